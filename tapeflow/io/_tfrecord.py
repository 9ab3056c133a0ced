"""TFRecord files: ``tf.io.TFRecordWriter``, ``tf.io.TFRecordOptions`` and the record reader
under ``tf.data.TFRecordDataset``.

A record is a little-endian uint64 length, the masked CRC-32C of those 8 bytes, the data, and
the masked CRC-32C of the data; a GZIP or ZLIB file is that byte stream compressed."""
import gzip
import struct
import zlib

from .. import errors
from .._crc32c import crc32c_many, masked_crc32c, masked_many
from ..backend import host as np

_NAMES = {None: "", "": "", "GZIP": "GZIP", "ZLIB": "ZLIB"}
_CHUNK = 256 * 1024


class TFRecordCompressionType:
    """The compression types of a TFRecord file (``NONE``, ``ZLIB``, ``GZIP``)."""
    NONE, ZLIB, GZIP = 0, 1, 2


_TYPE_NAMES = {0: "", 1: "ZLIB", 2: "GZIP"}


class TFRecordOptions:
    """Options of a TFRecord file: its ``compression_type`` (``None``/``""``, ``"ZLIB"`` or
    ``"GZIP"``) and, for compressed files, ``compression_level`` (zlib's 0-9)."""

    compression_type_map = {0: "", 1: "ZLIB", 2: "GZIP"}

    def __init__(self, compression_type=None, flush_mode=None, input_buffer_size=None,
                 output_buffer_size=None, window_bits=None, compression_level=None,
                 compression_method=None, mem_level=None, compression_strategy=None):
        compression_type = TFRecordOptions.get_compression_type_string(compression_type)
        self.compression_type = compression_type
        self.flush_mode = flush_mode
        self.input_buffer_size = input_buffer_size
        self.output_buffer_size = output_buffer_size
        self.window_bits = window_bits
        self.compression_level = compression_level
        self.compression_method = compression_method
        self.mem_level = mem_level
        self.compression_strategy = compression_strategy

    @classmethod
    def get_compression_type_string(cls, options):
        """The compression name (``""``, ``"ZLIB"``, ``"GZIP"``) of ``options``: a
        ``TFRecordOptions``, a ``TFRecordCompressionType`` value, a name or None."""
        if isinstance(options, TFRecordOptions):
            return options.compression_type
        if options is None:
            return ""
        if isinstance(options, int) and not isinstance(options, bool):
            if options in _TYPE_NAMES:
                return _TYPE_NAMES[options]
        elif isinstance(options, str) and options in _NAMES:
            return _NAMES[options]
        raise ValueError(f'Not a valid compression_type: "{options}"')


def frame(data):
    """One record's bytes: length, its masked CRC, the data, the data's masked CRC."""
    header = struct.pack("<Q", len(data))
    return b"".join([header, struct.pack("<I", masked_crc32c(header)), data,
                     struct.pack("<I", masked_crc32c(data))])


def _as_record(record):
    if isinstance(record, str):
        return record.encode("utf-8")
    if isinstance(record, (bytes, bytearray, memoryview)):
        return bytes(record)
    numpy = getattr(record, "numpy", None)
    if numpy is not None:
        value = numpy()
        if isinstance(value, bytes):
            return value
    raise TypeError(f"write(): incompatible function arguments. The record must be bytes or "
                    f"str, got {type(record).__name__}")


def _path(path):
    numpy = getattr(path, "numpy", None)
    if numpy is not None:
        path = numpy()
    if isinstance(path, bytes):
        path = path.decode("utf-8", "surrogateescape")
    return str(path)


class TFRecordWriter:
    """Writes records (``bytes``) to a TFRecord file, optionally GZIP or ZLIB compressed.

    ``write``, ``flush`` and ``close`` as TF's writer; a context manager closes it."""

    def __init__(self, path, options=None):
        if not isinstance(options, TFRecordOptions):
            options = TFRecordOptions(compression_type=options)
        self._compression = options.compression_type
        level = options.compression_level
        level = 6 if level is None or level < 0 else int(level)
        path = _path(path)
        try:
            self._file = open(path, "wb")
        except FileNotFoundError:
            raise errors.NotFoundError(None, "TFRecordWriter",
                                       f"{path}; No such file or directory") from None
        except IsADirectoryError:
            raise errors.FailedPreconditionError(None, "TFRecordWriter",
                                                 f"{path}; Is a directory") from None
        # zlib's own gzip wrapper (window bits 16 + 15), as TF's writer uses it: the same
        # header (no name, no time) and so the same bytes
        self._zlib = (zlib.compressobj(level, zlib.DEFLATED, 31) if self._compression == "GZIP"
                      else zlib.compressobj(level) if self._compression == "ZLIB" else None)
        self._closed = False

    def _check(self):
        if self._closed:
            raise errors.FailedPreconditionError(None, "TFRecordWriter", "Writer is closed.")

    def write(self, record):
        """Appends one record."""
        self._check()
        data = frame(_as_record(record))
        self._file.write(data if self._zlib is None else self._zlib.compress(data))

    def flush(self):
        """Writes what is buffered to the file (a compressed stream is flushed to a byte
        boundary, as TF's writer does)."""
        self._check()
        if self._zlib is not None:
            self._file.write(self._zlib.flush(zlib.Z_SYNC_FLUSH))
        self._file.flush()

    def close(self):
        """Finishes the file (the compressed stream's end) and closes it; closing twice is
        fine."""
        if self._closed:
            return
        self._closed = True
        if self._zlib is not None:
            self._file.write(self._zlib.flush())
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # NOTE: interpreter shutdown; nothing to report to
            pass


def _stream(path, compression, size, op):
    """The decompressed bytes of one file as a readable object (TF's errors for a missing
    file)."""
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise errors.NotFoundError(None, op, f"{path}; No such file or directory") from None
    except IsADirectoryError:
        raise errors.FailedPreconditionError(None, op, f"{path}; Is a directory") from None
    if compression == "GZIP":
        return gzip.GzipFile(fileobj=f)
    if compression == "ZLIB":
        return _ZlibReader(f, size)
    return f


class _ZlibReader:
    """``read(n)`` over a ZLIB stream (``gzip.GzipFile`` is the GZIP counterpart)."""

    def __init__(self, f, size):
        self._f, self._size = f, max(size, 4096)
        self._d = zlib.decompressobj()
        self._buf = bytearray()

    def read(self, n):
        while len(self._buf) < n and self._d is not None:
            raw = self._f.read(self._size)
            if raw:
                self._buf += self._d.decompress(raw)
            else:
                self._buf += self._d.flush()
                self._d = None
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    def close(self):
        self._f.close()


def records(path, compression="", buffer_size=None, op="TFRecordDataset"):
    """The records of one TFRecord file, in order, CRCs checked: ``DataLossError`` names the
    file and the offset of a corrupted or truncated record.

    NOTE: the file is read a block at a time; each length is checked as it is read (before it
    is trusted), the data CRCs of a block's records together (``crc32c_many``)."""
    if isinstance(path, bytes):
        path = path.decode("utf-8", "surrogateescape")
    size = int(buffer_size) if buffer_size else _CHUNK
    src = _stream(path, compression, size, op)

    def read(n):
        try:
            return src.read(n)
        except (OSError, EOFError, zlib.error) as e:
            raise errors.DataLossError(None, op, f"{path}: inflate() failed: {e}") from None

    buf, base, eof = b"", 0, False  # base: the file offset of buf[0]
    try:
        while True:
            if not eof:
                more = read(max(size, 12))
                eof = not more
                buf += more
            pos, found = 0, []
            while len(buf) - pos >= 12:
                header = buf[pos:pos + 8]
                if struct.unpack_from("<I", buf, pos + 8)[0] != masked_crc32c(header):
                    yield from _checked(buf, found, base, path, op)
                    at = base + pos
                    raise errors.DataLossError(
                        None, op, f"{path}: corrupted record at {at}" +
                        (" (Is this even a TFRecord file?)" if at == 0 else ""))
                n = struct.unpack_from("<Q", header)[0]
                if len(buf) - pos < n + 16:
                    if eof:
                        yield from _checked(buf, found, base, path, op)
                        raise errors.DataLossError(None, op,
                                                   f"{path}: truncated record at {base + pos}")
                    if not found:  # one record longer than the block: read the rest of it
                        more = read(n + 16 - (len(buf) - pos))
                        eof = not more
                        buf += more
                        continue
                    break
                found.append((pos, n))
                pos += n + 16
            yield from _checked(buf, found, base, path, op)
            buf, base = buf[pos:], base + pos
            if eof and not found:
                return  # what is left is shorter than a header: the end, as TF reads it
    finally:
        src.close()


def _checked(buf, found, base, path, op):
    """The data of the records at ``found`` (``(position, length)`` in ``buf``), their CRCs
    checked together; a mismatch is reported at the data's offset, as TF does, after the
    records before it."""
    if not found:
        return
    view = memoryview(buf)
    datas = [view[p + 12:p + 12 + n] for p, n in found]
    stored = np.frombuffer(b"".join(view[p + 12 + n:p + 16 + n] for p, n in found), "<u4")
    bad = np.flatnonzero(masked_many(crc32c_many(datas)) != stored)
    stop = int(bad[0]) if bad.size else len(found)
    for d in datas[:stop]:
        yield bytes(d)
    if bad.size:
        raise errors.DataLossError(None, op,
                                   f"{path}: corrupted record at {base + found[stop][0] + 12}")
