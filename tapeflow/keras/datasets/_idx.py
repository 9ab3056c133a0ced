"""Reading IDX files (the MNIST format, optionally gzip-compressed) with errors that say what is
wrong with which file."""
import gzip
import os
import zlib

from ...backend import host as np

# IDX type byte -> big-endian NumPy dtype
_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class DatasetFileError(ValueError):
    """A dataset file is missing a part, corrupt, truncated or does not match its checksum."""


def read_bytes(path):
    """The (decompressed) contents of ``path``; gzip is detected by its magic bytes."""
    try:
        with open(path, "rb") as f:
            head = f.read(2)
            f.seek(0)
            if head == b"\x1f\x8b":
                with gzip.GzipFile(fileobj=f) as g:
                    return g.read()
            return f.read()
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise DatasetFileError(f"{path}: truncated or corrupt gzip data ({e}); delete the file "
                               "and fetch it again") from None


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
    return parse_idx(read_bytes(path), os.fspath(path))


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
