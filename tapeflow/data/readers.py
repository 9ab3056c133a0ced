"""File readers for ``tf.data``: ``TextLineDataset`` (the lines of text files, optionally
GZIP or ZLIB compressed)."""
import gzip
import zlib

from .. import dtypes, errors
from ..backend import host as np
from ..tensor import TensorBase, convert_to_tensor
from ._structure import TensorSpec
from .dataset import UNKNOWN, Dataset

_CHUNK = 256 * 1024  # bytes read at a time when no buffer_size is given
_COMPRESSIONS = ("", "GZIP", "ZLIB")


def _filenames(filenames):
    """The file names as a list of bytes, or a Dataset of names (TF accepts both)."""
    if isinstance(filenames, Dataset):
        spec = filenames.element_spec
        if not isinstance(spec, TensorSpec) or spec.dtype != dtypes.string or spec.shape.rank:
            raise TypeError("The `filenames` argument must contain `tf.string` elements. Got a "
                            f"dataset of {spec}.")
        return filenames
    if isinstance(filenames, (list, tuple)) and not filenames:
        return []
    t = filenames if isinstance(filenames, TensorBase) else convert_to_tensor(
        filenames, dtype_hint=dtypes.string)
    if t.dtype != dtypes.string:
        raise TypeError("The `filenames` argument must contain `tf.string` elements. Got "
                        f"`{t.dtype!r}` elements.")
    if t.ndim > 1:
        raise TypeError(f"The `filenames` argument must be a scalar or a vector of file names, "
                        f"got shape {t.shape}.")
    return list(np.asarray(t.numpy(), object).reshape(-1))


def _chunks(name, compression, size):
    """The decompressed bytes of one file, a chunk at a time (TF's errors for a missing file
    and for data that is not in the compression format)."""
    path = name.decode("utf-8", "surrogateescape")
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise errors.NotFoundError(None, "TextLineDataset",
                                   f"{path}; No such file or directory") from None
    except IsADirectoryError:
        raise errors.FailedPreconditionError(None, "TextLineDataset",
                                             f"{path}; Is a directory") from None
    with f:
        if compression == "GZIP":
            src = gzip.GzipFile(fileobj=f)
            try:
                while True:
                    block = src.read(size)
                    if not block:
                        return
                    yield block
            except (OSError, EOFError, zlib.error) as e:
                raise errors.DataLossError(None, "TextLineDataset",
                                           f"{path}: inflate() failed: {e}") from None
        elif compression == "ZLIB":
            d = zlib.decompressobj()
            try:
                while True:
                    raw = f.read(size)
                    if not raw:
                        tail = d.flush()
                        if tail:
                            yield tail
                        return
                    block = d.decompress(raw)
                    if block:
                        yield block
            except zlib.error as e:
                raise errors.DataLossError(None, "TextLineDataset",
                                           f"{path}: inflate() failed: {e}") from None
        else:
            while True:
                block = f.read(size)
                if not block:
                    return
                yield block


def _lines(name, compression, size):
    """The lines of one file without their ``\\n`` (and a ``\\r`` before it); a last line
    without a newline counts, an empty file has none."""
    rest = b""
    for block in _chunks(name, compression, size):
        parts = (rest + block).split(b"\n")
        rest = parts.pop()
        for line in parts:
            yield line[:-1] if line.endswith(b"\r") else line
    if rest:
        yield rest[:-1] if rest.endswith(b"\r") else rest


def _scalar(line):
    a = np.empty((), object)
    a[()] = line
    return [a]


class TextLineDataset(Dataset):
    """The lines of one or more text files, in order, as scalar ``tf.string`` tensors.

    ``num_parallel_reads=k`` reads ``k`` files at once and takes one line from each in turn
    (a finished file's place goes to the next file), as TF's parallel interleave does.
    """

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None, name=None):
        self._files = _filenames(filenames)
        self._compression = "" if compression_type is None else str(compression_type)
        self._size = int(buffer_size) if buffer_size else _CHUNK
        self._parallel = None if num_parallel_reads is None else int(num_parallel_reads)
        self._spec = TensorSpec([], dtypes.string)

    def _cardinality(self):
        return UNKNOWN

    def _names(self):
        if isinstance(self._files, Dataset):
            return (a[0][()] for a in self._files._elements())
        return iter(self._files)

    def _elements(self):
        if self._compression not in _COMPRESSIONS:
            raise errors.InvalidArgumentError(
                None, "TextLineDataset", f"Unsupported compression_type: "
                f"{self._compression!r} (expected '', 'GZIP' or 'ZLIB')")
        comp, size = self._compression, self._size
        names = self._names()
        k = self._parallel
        if k is None or k == 1:
            for n in names:
                for line in _lines(n, comp, size):
                    yield _scalar(line)
            return
        if k == -1 or k < 1:  # AUTOTUNE: TF picks the parallelism; every file at once here
            names = list(names)
            k = max(1, len(names))
            names = iter(names)
        slots = []
        for n in names:
            slots.append(_lines(n, comp, size))
            if len(slots) == k:
                break
        i = 0
        while slots:
            try:
                line = next(slots[i])
            except StopIteration:
                nxt = next(names, None)
                if nxt is None:
                    del slots[i]
                    if not slots:
                        return
                    i %= len(slots)
                else:
                    slots[i] = _lines(nxt, comp, size)
                    i = (i + 1) % len(slots)
                continue
            yield _scalar(line)
            i = (i + 1) % len(slots)
