"""Reading IDX files (the MNIST format, optionally gzip-compressed) with errors that say what is
wrong with which file."""
import gzip
import os
import zlib

from ..._io import require_regular_file
from ...backend import host as np

# IDX type byte -> big-endian NumPy dtype
_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class DatasetFileError(ValueError):
    """A dataset file is missing a part, corrupt, truncated or does not match its checksum."""


# the most data one IDX file may declare (the largest Keras IDX dataset is ~47 MB): a
# header claiming more is refused before anything is decompressed or allocated
MAX_IDX_BYTES = 1 << 30


def read_bytes(path, limit=None):
    """The (decompressed) contents of ``path``, at most ``limit`` bytes (more is an error);
    gzip is detected by its magic bytes."""
    try:
        with open(path, "rb") as f:
            head = f.read(2)
            f.seek(0)
            if head == b"\x1f\x8b":
                with gzip.GzipFile(fileobj=f) as g:
                    return g.read() if limit is None else _bounded(g, limit, path)
            return f.read() if limit is None else _bounded(f, limit, path)
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise DatasetFileError(f"{path}: truncated or corrupt gzip data ({e}); delete the file "
                               "and fetch it again") from None


def _bounded(stream, limit, path):
    """At most ``limit`` bytes and a few more: enough for parse_idx to report what follows
    the declared data, never the rest of a bomb."""
    return stream.read(limit + 4096)


def _declared_size(stream, path):
    """The byte count an IDX file's header declares (header included), read from the first
    bytes of ``stream``; refused when it is beyond MAX_IDX_BYTES."""
    head = stream.read(4)
    if len(head) == 4 and head[0] == 0 and head[1] == 0 and head[2] in _TYPES and head[3]:
        dims = stream.read(4 * head[3])
        if len(dims) == 4 * head[3]:
            shape = [int.from_bytes(dims[i:i + 4], "big") for i in range(0, len(dims), 4)]
            need = np.dtype(_TYPES[head[2]]).itemsize
            for d in shape:
                need *= d
            if need > MAX_IDX_BYTES:
                raise DatasetFileError(f"{path}: the IDX header declares shape {tuple(shape)} "
                                       f"({need} bytes), more than an IDX dataset file holds "
                                       f"({MAX_IDX_BYTES} bytes at most); refusing to read it")
            return 4 + len(dims) + need
    return None  # not a valid header: parse_idx says what is wrong


def parse_idx(data, path="<bytes>"):
    """The array stored in IDX bytes ``data``."""
    if len(data) < 4:
        raise DatasetFileError(f"{path}: too short for an IDX header ({len(data)} bytes)")
    if data[0] != 0 or data[1] != 0:
        raise DatasetFileError(f"{path}: wrong magic number 0x{data[:4].hex()} (an IDX file "
                               "starts with two zero bytes, a type byte and the rank)")
    kind, ndim = data[2], data[3]
    if kind not in _TYPES:
        raise DatasetFileError(f"{path}: unknown IDX element type 0x{kind:02x} in magic number "
                               f"0x{data[:4].hex()}")
    if ndim == 0:
        raise DatasetFileError(f"{path}: IDX header declares rank 0")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetFileError(f"{path}: truncated IDX header (rank {ndim} needs {header} "
                               f"bytes, the file has {len(data)})")
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    dtype = np.dtype(_TYPES[kind])
    need = dtype.itemsize
    for d in dims:
        need *= d
    have = len(data) - header
    if have < need:
        raise DatasetFileError(f"{path}: truncated: the header declares shape {tuple(dims)} "
                               f"({need} bytes of data) but only {have} bytes follow")
    if have > need:
        raise DatasetFileError(f"{path}: corrupt: {have - need} unexpected bytes after the "
                               f"{need} bytes of data for shape {tuple(dims)}")
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path):
    """The array of an IDX file (gzip or plain): the header is read first, so the data read
    and decompressed is never more than the header declares (a 3 GiB bomb in a small
    ``.gz`` is refused after its header)."""
    path = os.fspath(path)
    require_regular_file(path, "dataset file")
    try:
        with open(path, "rb") as f:
            stream = gzip.GzipFile(fileobj=f) if f.read(2) == b"\x1f\x8b" else f
            f.seek(0)
            limit = _declared_size(stream, path)
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as e:
        raise DatasetFileError(f"{path}: truncated or corrupt gzip data ({e}); delete the file "
                               "and fetch it again") from None
    return parse_idx(read_bytes(path, limit if limit is not None else 1 << 16), path)


def read_images_labels(images_path, labels_path):
    """``(x, y)`` from an IDX image file (rank 3, uint8) and its label file (rank 1, uint8)."""
    x = read_idx(images_path)
    y = read_idx(labels_path)
    if x.ndim != 3 or x.dtype != np.uint8:
        raise DatasetFileError(f"{images_path}: expected uint8 images of rank 3 (magic "
                               f"0x00000803), found {x.dtype} data of shape {x.shape}")
    if y.ndim != 1 or y.dtype != np.uint8:
        raise DatasetFileError(f"{labels_path}: expected uint8 labels of rank 1 (magic "
                               f"0x00000801), found {y.dtype} data of shape {y.shape}")
    if x.shape[0] != y.shape[0]:
        raise DatasetFileError(f"mismatched image/label counts: {images_path} holds "
                               f"{x.shape[0]} images but {labels_path} holds {y.shape[0]} labels")
    return x, y
