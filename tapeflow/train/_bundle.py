"""TensorFlow's checkpoint files (a *tensor bundle*): ``<prefix>.index``, a sorted key/value
table of one small protobuf per tensor, and ``<prefix>.data-00000-of-00001``, the tensors'
bytes. Read and written here with a minimal protobuf wire codec and CRC32C, no TensorFlow."""
import mmap
import os
import struct

from .._crc32c import crc32c, mask, unmask
from ..backend import host as np
from ..errors import DataLossError, NotFoundError

# -- protobuf wire format: just what the bundle's messages use ------------------------------------


def _varint(value):
    out = bytearray()
    value &= (1 << 64) - 1
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _read_varint(buf, pos):
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ValueError("truncated or overlong varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def decode(buf):
    """``{field number: [values]}`` of one message: ints for varints and fixed32/64, bytes
    for length-delimited fields (sub-messages are decoded by the caller)."""
    fields, pos, end = {}, 0, len(buf)
    while pos < end:
        key, pos = _read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(buf, pos)
        elif wire == 1:
            if pos + 8 > end:
                raise ValueError("truncated fixed64")
            value, pos = struct.unpack_from("<Q", buf, pos)[0], pos + 8
        elif wire == 2:
            n, pos = _read_varint(buf, pos)
            if pos + n > end:
                raise ValueError("truncated length-delimited field")
            value, pos = bytes(buf[pos:pos + n]), pos + n
        elif wire == 5:
            if pos + 4 > end:
                raise ValueError("truncated fixed32")
            value, pos = struct.unpack_from("<I", buf, pos)[0], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        fields.setdefault(number, []).append(value)
    return fields


def field_int(number, value):
    return _varint(number << 3) + _varint(int(value))


def field_bytes(number, value):
    if isinstance(value, str):
        value = value.encode("utf-8")
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def field_fixed32(number, value):
    return _varint(number << 3 | 5) + struct.pack("<I", value)


# -- the sorted table (LevelDB's format, as TensorFlow's ``table`` library writes it) -------------
_MAGIC = 0xDB4775248B80FB57
_FOOTER = 48


def _block(entries, restart_interval=16):
    out, restarts, last = bytearray(), [], b""
    for i, (key, value) in enumerate(entries):
        shared = 0
        if i % restart_interval == 0:
            restarts.append(len(out))
        else:
            limit = min(len(key), len(last))
            while shared < limit and key[shared] == last[shared]:
                shared += 1
        out += _varint(shared) + _varint(len(key) - shared) + _varint(len(value))
        out += key[shared:] + value
        last = key
    for r in restarts or [0]:
        out += struct.pack("<I", r)
    out += struct.pack("<I", len(restarts or [0]))
    return bytes(out)


def write_table(f, items, block_size=4096):
    """Write sorted ``[(key bytes, value bytes)]`` as one table to the open file ``f``."""
    offset, index, chunk, size = 0, [], [], 0

    def flush_block(entries, restart_interval=16):
        nonlocal offset
        data = _block(entries, restart_interval)
        f.write(data + b"\x00" + struct.pack("<I", mask(crc32c(data + b"\x00"))))
        handle = _varint(offset) + _varint(len(data))
        offset += len(data) + 5
        return handle

    for key, value in items:
        chunk.append((key, value))
        size += len(key) + len(value) + 8
        if size >= block_size:
            index.append((chunk[-1][0], flush_block(chunk)))
            chunk, size = [], 0
    if chunk:
        index.append((chunk[-1][0], flush_block(chunk)))
    meta = flush_block([])
    idx = flush_block(index, 1)
    footer = meta + idx
    footer += b"\x00" * (40 - len(footer)) + struct.pack("<Q", _MAGIC)
    f.write(footer)


def _read_block(buf, handle, where):
    offset, size = handle
    if offset + size + 5 > len(buf):
        raise DataLossError(None, None, f"{where}: a table block lies past the end of the file "
                            "(truncated?)")
    data = buf[offset:offset + size]
    kind = buf[offset + size]
    stored = struct.unpack_from("<I", buf, offset + size + 1)[0]
    if unmask(stored) != crc32c(buf[offset:offset + size + 1]):
        raise DataLossError(None, None, f"{where}: checksum mismatch in the table block at "
                            f"offset {offset} (the file is corrupt)")
    if kind != 0:
        raise DataLossError(None, None, f"{where}: compressed table blocks (type {kind}) are not "
                            "supported")
    return data


def _block_entries(data, where):
    if len(data) < 4:
        raise DataLossError(None, None, f"{where}: a table block is too short")
    n = struct.unpack_from("<I", data, len(data) - 4)[0]
    limit = len(data) - 4 - 4 * n
    if limit < 0:
        raise DataLossError(None, None, f"{where}: bad restart count in a table block")
    pos, key, out = 0, b"", []
    try:
        while pos < limit:
            shared, pos = _read_varint(data, pos)
            unshared, pos = _read_varint(data, pos)
            vlen, pos = _read_varint(data, pos)
            if shared > len(key) or pos + unshared + vlen > limit:
                raise ValueError("entry out of bounds")
            key = key[:shared] + bytes(data[pos:pos + unshared])
            pos += unshared
            out.append((key, bytes(data[pos:pos + vlen])))
            pos += vlen
    except ValueError as e:
        raise DataLossError(None, None, f"{where}: corrupt table block ({e})") from None
    return out


def _handle(value):
    offset, pos = _read_varint(value, 0)
    size, _ = _read_varint(value, pos)
    return offset, size


def read_table(buf, where):
    """All ``(key, value)`` pairs of the table in ``buf`` (bytes of a whole ``.index``)."""
    if len(buf) < _FOOTER or struct.unpack_from("<Q", buf, len(buf) - 8)[0] != _MAGIC:
        raise DataLossError(None, None, f"{where}: not a TensorFlow checkpoint index (bad "
                            "magic number; truncated or another kind of file)")
    footer = buf[len(buf) - _FOOTER:]
    try:
        _, pos = _read_varint(footer, 0)
        _, pos = _read_varint(footer, pos)
        index_handle = _handle(footer[pos:])
    except ValueError as e:
        raise DataLossError(None, None, f"{where}: corrupt footer ({e})") from None
    out = []
    for _, handle in _block_entries(_read_block(buf, index_handle, where), where):
        out.extend(_block_entries(_read_block(buf, _handle(handle), where), where))
    return out


# -- the bundle ----------------------------------------------------------------------------------
# TF's DataType enum numbers <-> NumPy dtypes (bfloat16 is read as float32 would lose nothing but
# tapeflow has no host bfloat16 type, so it is refused clearly)
_DTYPES = {1: "float32", 2: "float64", 3: "int32", 4: "uint8", 5: "int16", 6: "int8",
           7: "string", 8: "complex64", 9: "int64", 10: "bool", 17: "uint16",
           18: "complex128", 19: "float16", 22: "uint32", 23: "uint64"}
_ENUM = {v: k for k, v in _DTYPES.items() if k != 14}
_ENUM["variant"] = 21
_DTYPES[14] = "bfloat16"  # NumPy knows it through ml_dtypes (tapeflow[bfloat16])
_TYPE_NAMES = {21: "variant", 20: "resource"}
HEADER_KEY = b""
OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"


def data_path(prefix):
    return f"{prefix}.data-00000-of-00001"


def index_path(prefix):
    return f"{prefix}.index"


class Entry:
    """One tensor's entry in the index: dtype name, shape, shard, offset, size, crc."""

    __slots__ = ("dtype", "shape", "shard", "offset", "size", "crc")

    def __init__(self, dtype, shape, shard, offset, size, crc):
        self.dtype, self.shape, self.shard = dtype, shape, shard
        self.offset, self.size, self.crc = offset, size, crc


def _parse_entry(value, key, where):
    try:
        f = decode(value)
        shape = []
        for dim in decode(f.get(2, [b""])[0]).get(2, []):
            shape.append(decode(dim).get(1, [0])[0])
        if f.get(7):
            raise DataLossError(None, None, f"{where}: '{key}' is stored as slices, which "
                                "tapeflow does not read (a partitioned variable)")
        code = f.get(1, [0])[0]
        dtype = _DTYPES.get(code) or _TYPE_NAMES.get(code) or f"DataType({code})"
        return Entry(dtype, tuple(int(s) for s in shape), f.get(3, [0])[0], f.get(4, [0])[0],
                     f.get(5, [0])[0], f.get(6, [None])[0])
    except ValueError as e:
        raise DataLossError(None, None, f"{where}: corrupt entry for '{key}' ({e})") from None


def _missing(prefix):
    return NotFoundError(None, None, "Unsuccessful TensorSliceReader constructor: Failed to "
                         f"find any matching files for {prefix}")


class BundleReader:
    """Reads one bundle: ``entries`` by key; ``tensor(key)`` returns a NumPy array (or bytes
    objects for strings) after checking its size and CRC32C against the index."""

    def __init__(self, prefix):
        self.prefix = os.fspath(prefix)
        index = index_path(self.prefix)
        if not os.path.isfile(index):
            raise _missing(self.prefix)
        with open(index, "rb") as f:
            buf = f.read()
        where = f"Checkpoint index '{index}'"
        self.entries = {}
        num_shards = 1
        for key, value in read_table(buf, where):
            if key == HEADER_KEY:
                try:
                    header = decode(value)
                except ValueError as e:
                    raise DataLossError(None, None, f"{where}: corrupt header ({e})") from None
                num_shards = header.get(1, [1])[0]
                if header.get(2, [0])[0] != 0:
                    raise DataLossError(None, None, f"{where}: big-endian bundles are not "
                                        "supported")
                continue
            name = key.decode("utf-8", "replace")
            self.entries[name] = _parse_entry(value, name, where)
        self.num_shards = num_shards
        self._data = {}

    def _shard(self, shard):
        if shard not in self._data:
            path = f"{self.prefix}.data-{shard:05d}-of-{self.num_shards:05d}"
            if not os.path.isfile(path):
                raise NotFoundError(None, None, f"Checkpoint data file '{path}' is missing "
                                    f"(the index '{index_path(self.prefix)}' refers to it)")
            with open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                # NOTE: mapped, not read: a restore waiting on objects that appear later keeps
                # its reader, and the file's pages are only touched for the tensors read
                self._data[shard] = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) \
                    if size else b""
        return self._data[shard]

    def tensor(self, key):
        e = self.entries.get(key)
        if e is None:
            raise NotFoundError(None, None, f"Key {key} not found in checkpoint")
        where = f"Checkpoint '{self.prefix}', tensor '{key}'"
        if e.dtype not in _ENUM and e.dtype != "bfloat16" or e.dtype == "variant":
            raise DataLossError(None, None, f"{where}: dtype {e.dtype} cannot be read by "
                                "tapeflow")
        data = self._shard(e.shard)
        if e.offset + e.size > len(data):
            raise DataLossError(None, None, f"{where}: its bytes lie past the end of the data "
                                "file (truncated?)")
        raw = memoryview(data)[e.offset:e.offset + e.size]
        count = int(np.prod(e.shape, dtype=np.int64)) if e.shape else 1
        if e.dtype == "string":
            return _read_strings(raw, count, e, where)
        if e.crc is not None and unmask(e.crc) != crc32c(raw):
            raise DataLossError(None, None, f"{where}: checksum mismatch (the data file is "
                                "corrupt)")
        dtype = _numpy_dtype(e.dtype, where).newbyteorder("<")
        if count * dtype.itemsize != e.size:
            raise DataLossError(None, None, f"{where}: the index says shape {list(e.shape)} "
                                f"{e.dtype} ({count * dtype.itemsize} bytes) but stores "
                                f"{e.size} bytes")
        return np.frombuffer(raw, dtype).astype(dtype.newbyteorder("=")).reshape(e.shape)


def _numpy_dtype(name, where):
    if name != "bfloat16":
        return np.dtype(name)
    try:
        import ml_dtypes  # optional: bfloat16 for NumPy
    except ImportError:
        raise ImportError(f"{where} is bfloat16, which needs ml_dtypes: pip install "
                          "tapeflow[bfloat16]") from None
    return np.dtype(ml_dtypes.bfloat16)


def _read_strings(raw, count, entry, where):
    shape = entry.shape
    try:
        pos, lengths, crc = 0, [], 0
        for _ in range(count):
            n, pos = _read_varint(raw, pos)
            lengths.append(n)
            crc = crc32c(_len_bytes(n), crc)
        if pos + 4 + sum(lengths) != len(raw):
            raise ValueError("the lengths do not add up to the stored size")
        crc = crc32c(raw[pos:pos + 4], crc)
        pos += 4
        out = []
        for n in lengths:
            out.append(bytes(raw[pos:pos + n]))
            crc = crc32c(out[-1], crc)
            pos += n
    except ValueError as e:
        raise DataLossError(None, None, f"{where}: corrupt string tensor ({e})") from None
    if entry.crc is not None and unmask(entry.crc) != crc:
        raise DataLossError(None, None, f"{where}: checksum mismatch (the data file is "
                            "corrupt)")
    arr = np.empty(count, object)
    arr[:] = out
    return arr.reshape(shape) if shape else arr.reshape(())


def _string_bytes(values):
    """TF's layout: varint lengths, the masked CRC32C of the lengths (each hashed as a
    little-endian uint32, uint64 past 4 GiB), then the bytes."""
    lengths = b"".join(_varint(len(v)) for v in values)
    crc = 0
    for v in values:
        crc = crc32c(_len_bytes(len(v)), crc)
    check = struct.pack("<I", mask(crc))
    crc = crc32c(check, crc)
    for v in values:
        crc = crc32c(v, crc)
    return lengths + check + b"".join(values), crc


def _len_bytes(n):
    return struct.pack("<I" if n <= 0xFFFFFFFF else "<Q", n)


def _shape_proto(shape):
    return b"".join(field_bytes(2, field_int(1, d) if d else b"") for d in shape)


def write_bundle(index_file, data_file, tensors):
    """Write ``{key: array or [bytes]}`` (strings as a list of bytes with their shape in a
    ``(shape, [bytes])`` tuple) to the open files: data first, then the index."""
    items, offset = [], 0
    for key in sorted(tensors):
        value = tensors[key]
        if isinstance(value, tuple):  # (shape, [bytes])
            (payload, crc), shape, code = _string_bytes(value[1]), value[0], _ENUM["string"]
        else:
            arr = np.asarray(value)
            code = _ENUM.get(arr.dtype.name, 14 if arr.dtype.name == "bfloat16" else None)
            if code is None:
                raise TypeError(f"Cannot write '{key}' to a checkpoint: dtype {arr.dtype} has no "
                                "TensorFlow equivalent")
            shape = arr.shape
            payload = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
            crc = crc32c(payload)
        data_file.write(payload)
        entry = field_int(1, code) + field_bytes(2, _shape_proto(shape))
        if offset:
            entry += field_int(4, offset)
        if payload:
            entry += field_int(5, len(payload))
        entry += field_fixed32(6, mask(crc))
        items.append((key.encode("utf-8"), entry))
        offset += len(payload)
    header = field_int(1, 1) + field_bytes(3, field_int(1, 1))
    write_table(index_file, [(HEADER_KEY, header)] + items)
