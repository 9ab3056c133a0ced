"""File readers for ``tf.data``: ``TextLineDataset`` (the lines of text files) and
``FixedLengthRecordDataset`` (fixed-size binary records), optionally GZIP or ZLIB
compressed."""
import gzip
import itertools
import os
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
    """One element: the scalar ``tf.string`` ``line`` (an object array), in a list."""
    a = np.empty((), object)
    a[()] = line
    return [a]


class _FileReaderDataset(Dataset):
    """What the file readers share: the file names, the compression, buffer and parallel
    reads options, an unknown cardinality, scalar ``tf.string`` elements, and reading the
    files in order or ``num_parallel_reads`` at a time, one item from each in turn (a
    finished file's place goes to the next file), as TF's parallel interleave does.

    A reader names its TF op in ``_op``, reads one file's items in ``_read`` and may check
    its options in ``_check`` (when iteration starts).
    """

    _op = None
    _default_size = _CHUNK  # bytes read at a time when no buffer_size is given

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None, name=None):
        self._files = _filenames(filenames)
        self._options(compression_type, buffer_size, num_parallel_reads)

    def _options(self, compression_type, buffer_size, num_parallel_reads=None):
        """Keeps the compression, buffer size and parallel reads; the elements are strings."""
        self._compression = "" if compression_type is None else str(compression_type)
        self._size = int(buffer_size) if buffer_size else self._default_size
        self._parallel = None if num_parallel_reads is None else int(num_parallel_reads)
        self._spec = TensorSpec([], dtypes.string)

    def _cardinality(self):
        return UNKNOWN

    def _names(self):
        if isinstance(self._files, Dataset):
            return (a[0][()] for a in self._files._elements())
        return iter(self._files)

    def _check(self):
        if self._compression not in _COMPRESSIONS:
            raise errors.InvalidArgumentError(
                None, self._op, f"Unsupported compression_type: "
                f"{self._compression!r} (expected '', 'GZIP' or 'ZLIB')")

    def _read(self, name):
        """The items (bytes) of the file ``name``."""
        raise NotImplementedError

    def _elements(self):
        self._check()
        names = self._names()
        k = self._parallel
        if k is None or k == 1:
            for n in names:
                for item in self._read(n):
                    yield _scalar(item)
            return
        if k < 1:  # AUTOTUNE: TF picks the parallelism; every file at once here
            names = list(names)
            k = max(1, len(names))
            names = iter(names)
        slots = [self._read(n) for n in itertools.islice(names, k)]
        i = 0
        while slots:
            item = next(slots[i], None)
            if item is None:
                nxt = next(names, None)
                if nxt is None:
                    del slots[i]
                    if slots:
                        i %= len(slots)
                else:
                    slots[i] = self._read(nxt)
                    i = (i + 1) % len(slots)
                continue
            yield _scalar(item)
            i = (i + 1) % len(slots)


class TextLineDataset(_FileReaderDataset):
    """The lines of one or more text files, in order, as scalar ``tf.string`` tensors.

    ``num_parallel_reads=k`` reads ``k`` files at once and takes one line from each in turn
    (a finished file's place goes to the next file), as TF's parallel interleave does.
    """

    _op = "TextLineDataset"

    def _read(self, name):
        return _lines(name, self._compression, self._size)


def _body_chunks(name, compression, size, op):
    """The decompressed bytes of one file (``_chunks``' errors, named for ``op``)."""
    try:
        yield from _chunks(name, compression, size)
    except errors.OpError as e:
        raise type(e)(None, op, e.message) from None


class FixedLengthRecordDataset(_FileReaderDataset):
    """The fixed-size records of one or more binary files as scalar ``tf.string`` tensors.

    Each file is ``header_bytes``, then records of ``record_bytes``, then ``footer_bytes``;
    a body that is not a whole number of records is an error (``InvalidArgumentError``, or
    ``DataLossError`` for a compressed file, found when its end is read).

    Args:
      filenames: file names (a string, a list, or a dataset of names).
      record_bytes: bytes per record (> 0).
      header_bytes: bytes skipped at the start of each file.
      footer_bytes: bytes ignored at the end of each file.
      buffer_size: bytes read at a time.
      compression_type: ``None``/``""``, ``"GZIP"`` or ``"ZLIB"``.
      num_parallel_reads: files read at once, records taken from each in turn.
    """

    _op = "FixedLengthRecordDataset"

    def __init__(self, filenames, record_bytes, header_bytes=None, footer_bytes=None,
                 buffer_size=None, compression_type=None, num_parallel_reads=None, name=None):
        self._files = _filenames(filenames)
        self._record = int(_host_int(record_bytes))
        self._header = int(_host_int(header_bytes or 0))
        self._footer = int(_host_int(footer_bytes or 0))
        self._options(compression_type, buffer_size, num_parallel_reads)

    def _check(self):
        for what, v, low in (("record_bytes", self._record, 1), ("header_bytes", self._header,
                             0), ("footer_bytes", self._footer, 0)):
            if v < low:
                raise errors.InvalidArgumentError(None, "FixedLengthRecordDataset",
                                                  f"`{what}` must be {'>' if low else '>='} 0")
        if self._compression not in _COMPRESSIONS:
            raise errors.InvalidArgumentError(None, "FixedLengthRecordDataset",
                                              "Unsupported compression_type.")

    def _bad_length(self, path, body, compressed):
        kind = errors.DataLossError if compressed else errors.InvalidArgumentError
        return kind(None, "FixedLengthRecordDataset",
                    f"Excluding the header ({self._header} bytes) and footer ({self._footer} "
                    f"bytes), input file \"{path}\" has body length {body} bytes, which is not "
                    f"an exact multiple of the record length ({self._record} bytes).")

    def _read(self, name):
        path = name.decode("utf-8", "surrogateescape")
        rec, head, foot = self._record, self._header, self._footer
        if not self._compression:
            try:
                total = os.path.getsize(path)
            except OSError:
                total = None  # the open below reports it
            if total is not None and os.path.isfile(path):
                body = max(0, total - head - foot)
                if body % rec:
                    raise self._bad_length(path, body, False)
        buf = bytearray()
        skipped = total = 0
        for block in _body_chunks(name, self._compression, self._size,
                                  "FixedLengthRecordDataset"):
            total += len(block)
            if skipped < head:
                take = min(head - skipped, len(block))
                skipped += take
                block = block[take:]
            buf += block
            # keep the footer's worth of bytes back: they may be the end of the file
            usable = len(buf) - foot
            n = max(0, usable // rec)
            for k in range(n):
                yield bytes(buf[k * rec:(k + 1) * rec])
            del buf[:n * rec]
        if max(0, len(buf) - foot):
            raise self._bad_length(path, max(0, total - head - foot), bool(self._compression))


def _host_int(x):
    return x.numpy() if isinstance(x, TensorBase) else x
