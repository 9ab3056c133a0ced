"""The safetensors format, read and written directly: 8-byte header length, JSON, raw data.

NOTE: the format is a documented ~10-line layout (little-endian u64 header size, a JSON
header of ``{name: {dtype, shape, data_offsets}}`` plus optional ``__metadata__`` strings,
then the raw little-endian bytes); writing it here avoids a compiled dependency, and the
reader validates every offset and dtype so a tampered file fails with a clear message.
"""
import hashlib
import json
import struct

from ..._io import Refused, require_regular_file
from ...backend import host as np

_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4",
           "I16": "<i2", "I8": "i1", "U8": "u1", "U16": "<u2", "U32": "<u4", "U64": "<u8",
           "BOOL": "?"}
_CODES = {np.dtype(v).str.lstrip("<|"): k for k, v in _DTYPES.items()}
_MAX_HEADER = 100 * 1024 * 1024


def write(f, tensors, metadata=None):
    """Write ``{name: array}`` (and string ``metadata``) to the binary file ``f``.

    The metadata also gets ``sha256``: a JSON object of each tensor's SHA-256 (of its raw
    bytes), which ``read`` verifies, so a flipped bit is an error naming the tensor.
    """
    header, offset, blobs = {}, 0, []
    digests = {}
    for name in sorted(tensors):
        a = np.asarray(tensors[name])  # (not ascontiguousarray: it makes scalars 1-d)
        if not a.flags.c_contiguous:
            a = a.copy(order="C")
        code = _CODES.get(a.dtype.str.lstrip("<>|="))
        if code is None:
            raise TypeError(f"safetensors cannot store dtype {a.dtype} (tensor {name!r})")
        data = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": code, "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
        digests[name] = _digest(code, a.shape, data)
    meta = {str(k): str(v) for k, v in (metadata or {}).items()}
    meta["sha256"] = json.dumps(digests, separators=(",", ":"))
    header = {"__metadata__": meta, **header}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # the data starts 8-byte aligned, as the reference writer
    f.write(struct.pack("<Q", len(raw)))
    f.write(raw)
    for data in blobs:
        f.write(data)


def _digest(code, shape, data):
    """SHA-256 of a tensor's dtype code, shape and bytes (so a header edit that changes how
    the bytes read is caught too)."""
    h = hashlib.sha256(f"{code}{[int(d) for d in shape]}".encode())
    h.update(data)
    return h.hexdigest()


def _layer_of(name, metadata):
    """`` (layer 'd1', variable 0)`` for a tensor of a tapeflow weights file, else ''."""
    group, _, index = name.rpartition("/")
    try:
        layer = json.loads(metadata.get("names", "{}")).get(group)
    except (ValueError, AttributeError):
        return ""
    return f" (layer '{layer}', variable {index})" if layer else ""


def read(path, check=None):
    """``({name: array}, metadata)`` from a safetensors file; ValueError names the file."""
    require_regular_file(path)
    with open(path, "rb") as f:
        return loads(f.read(), path, check)


def loads(blob, path="<bytes>", check=None):
    """``read`` for the file's bytes; ``path`` only names it in errors. ``check(name, shape,
    dtype)`` sees each tensor's declared shape before its data is copied (it may raise, or
    return False to leave the tensor out)."""
    try:
        if len(blob) < 8:
            raise ValueError("file shorter than its 8-byte header size")
        (n,) = struct.unpack("<Q", blob[:8])
        if n > min(_MAX_HEADER, len(blob) - 8):
            raise ValueError(f"header size {n} exceeds the file")
        header = json.loads(blob[8:8 + n].decode("utf-8"))
        if not isinstance(header, dict):
            raise ValueError("header is not a JSON object")
        metadata = header.pop("__metadata__", None) or {}
        if not isinstance(metadata, dict):
            raise ValueError("__metadata__ is not a JSON object")
        digests = json.loads(metadata["sha256"]) if "sha256" in metadata else None
        if digests is not None and not isinstance(digests, dict):
            raise ValueError("the sha256 metadata is not a JSON object")
        data = memoryview(blob)[8 + n:]
        out = {}
        for name, spec in header.items():
            if not isinstance(spec, dict):
                raise ValueError(f"tensor {name!r} has no dtype/shape/offsets object")
            dtype = _DTYPES.get(spec.get("dtype"))
            if dtype is None:
                raise ValueError(f"tensor {name!r} has unsupported dtype {spec.get('dtype')!r}")
            shape = tuple(int(s) for s in spec["shape"])
            start, end = (int(v) for v in spec["data_offsets"])
            size = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
            if not 0 <= start <= end <= len(data) or end - start != size:
                raise ValueError(f"tensor {name!r} has data offsets [{start}, {end}] that do "
                                 f"not fit its shape {shape} or the file")
            verdict = True if check is None else check(name, shape, np.dtype(dtype))
            if verdict is not True:
                if verdict is not False:
                    out[name] = verdict
                continue
            if digests is not None:
                want = digests.get(name)
                if want is None or _digest(spec.get("dtype"), shape, data[start:end]) != want:
                    raise ValueError(f"tensor {name!r}{_layer_of(name, metadata)} does not "
                                     "match its SHA-256 digest "
                                     "(the file is corrupt: a changed byte, not a different "
                                     "model)")
            out[name] = np.frombuffer(data[start:end], dtype=dtype).reshape(shape).copy()
    except Refused:
        raise
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, struct.error,
            RecursionError) as e:
        raise ValueError(f"'{path}' is not a valid safetensors file: {e}") from None
    return out, metadata
