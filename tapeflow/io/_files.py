"""``tf.io.read_file`` / ``write_file`` and ``decode_raw``."""
import base64
import glob
import gzip
import os
import zlib

from .. import dtypes
from ..backend import host as np
from ..errors import DataLossError, InvalidArgumentError, NotFoundError
from ..tensor import convert_to_tensor

__all__ = ["read_file", "write_file", "decode_raw", "encode_base64", "decode_base64",
           "decode_compressed", "matching_files"]


def scalar_bytes(x, what, op):
    """The bytes of a scalar string tensor (or of ``bytes`` / ``str``)."""
    v = x.numpy() if hasattr(x, "numpy") else x
    if isinstance(v, np.ndarray):
        if v.ndim != 0:
            raise InvalidArgumentError(None, op, f"{what} must be a scalar, got shape "
                                       f"{list(v.shape)} [Op:{op}]")
        v = v.item()
    if isinstance(v, str):
        v = v.encode()
    if not isinstance(v, bytes):
        raise TypeError(f"{op}: {what} must be a string tensor, got {type(v).__name__}")
    return v


def read_file(filename, name=None):
    """The whole file as a scalar string tensor."""
    path = scalar_bytes(filename, "filename", "ReadFile")
    try:
        with open(os.fsdecode(path), "rb") as f:
            return convert_to_tensor(np.array(f.read(), dtype=object), dtypes.string)
    except FileNotFoundError:
        raise NotFoundError(None, "ReadFile", f"{os.fsdecode(path)}; No such file or directory "
                            f"[Op:ReadFile]") from None


def write_file(filename, contents, name=None):
    """Write the scalar string ``contents`` to ``filename`` (parent folders are created)."""
    path = os.fsdecode(scalar_bytes(filename, "filename", "WriteFile"))
    data = scalar_bytes(contents, "contents", "WriteFile")
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def _strings(x):
    v = x.numpy() if hasattr(x, "numpy") else x
    a = np.asarray(v, dtype=object)
    return np.vectorize(lambda s: s.encode() if isinstance(s, str) else s, otypes=[object])(a) \
        if a.size else a


def decode_raw(input_bytes, out_type, little_endian=True, fixed_length=None, name=None):
    """Each string's bytes reinterpreted as ``out_type`` numbers: shape ``S + [n]``."""
    out = dtypes.as_dtype(out_type)
    if out == dtypes.string:
        raise InvalidArgumentError(None, "DecodeRaw", f"out_type {out.name} is not a numeric "
                                   f"type [Op:DecodeRaw]")
    a = _strings(input_bytes)
    item = np.dtype(out.as_numpy_dtype)
    size = item.itemsize
    flat = a.reshape(-1)
    if fixed_length is not None:
        n = int(fixed_length)
        if n % size:
            raise InvalidArgumentError(None, "DecodePaddedRaw", f"fixed_length ({n}) must be a "
                                       f"multiple of the size of out_type ({size})")
        flat = np.array([s[:n] + b"\0" * max(0, n - len(s)) for s in flat], dtype=object)
    if flat.size == 0:
        return convert_to_tensor(np.zeros(a.shape + (0,), item), out)
    n = len(flat[0])
    for i, s in enumerate(flat):
        if len(s) != n:
            raise InvalidArgumentError(None, "DecodeRaw", f"DecodeRaw requires input strings to "
                                       f"all be the same size, but element {i} has size "
                                       f"{len(s)} != {n} [Op:DecodeRaw]")
    if n % size:
        raise InvalidArgumentError(None, "DecodeRaw", f"Input to DecodeRaw has length {n} that "
                                   f"is not a multiple of {size}, the size of {out.name} "
                                   f"[Op:DecodeRaw]")
    order = "<" if little_endian else ">"
    dt = item.newbyteorder(order) if size > 1 else item
    vals = np.frombuffer(b"".join(flat), dtype=dt).astype(item)
    return convert_to_tensor(vals.reshape(a.shape + (n // size,)), out)


def _map_strings(x, fn, op, error=InvalidArgumentError):
    a = _strings(x)
    out = np.empty(a.shape, dtype=object)
    flat_in, flat_out = a.reshape(-1), out.reshape(-1)
    for i, s in enumerate(flat_in):
        try:
            flat_out[i] = fn(s)
        except Exception as e:
            raise error(None, op, f"{op} failed on element {i}: {e} [Op:{op}]") from None
    return convert_to_tensor(out, dtypes.string)


def encode_base64(input, pad=False, name=None):
    """Web-safe base64 (``-`` and ``_``) of each string, without ``=`` padding unless
    ``pad``."""

    def enc(s):
        e = base64.urlsafe_b64encode(s)
        return e if pad else e.rstrip(b"=")
    return _map_strings(input, enc, "EncodeBase64")


def decode_base64(input, name=None):
    """The bytes of each web-safe base64 string (padding optional)."""

    def dec(s):
        if b"+" in s or b"/" in s:
            raise ValueError("Invalid character found in base64.")
        return base64.urlsafe_b64decode(s + b"=" * (-len(s) % 4))
    return _map_strings(input, dec, "DecodeBase64")


def decode_compressed(bytes, compression_type="", name=None):
    """Each string decompressed: ``compression_type`` is ``""`` (as is), ``"ZLIB"`` or
    ``"GZIP"``."""

    kind = compression_type.upper()
    fns = {"": lambda s: s, "ZLIB": zlib.decompress, "GZIP": gzip.decompress}
    if kind not in fns:
        raise InvalidArgumentError(None, "DecodeCompressed", f"Only ZLIB, GZIP or no "
                                   f"compression types are supported, got {compression_type!r}")
    return _map_strings(bytes, fns[kind], "DecodeCompressed", DataLossError)


def matching_files(pattern, name=None):
    """The sorted file names matching the glob ``pattern`` (or any of several patterns)."""

    pats = [os.fsdecode(p) for p in _strings(pattern).reshape(-1)]
    names = sorted({f for p in pats for f in glob.glob(p)})
    out = np.empty(len(names), dtype=object)
    out[:] = [n.encode() for n in names]
    return convert_to_tensor(out, dtypes.string)
