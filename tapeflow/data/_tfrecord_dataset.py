"""``tf.data.TFRecordDataset``: the records of TFRecord files as scalar ``tf.string``
tensors (the framing and CRC checks live in ``tapeflow.io._tfrecord``)."""
from .. import dtypes, errors
from ..backend import host as np
from ..io._tfrecord import records
from ._structure import TensorSpec
from .dataset import UNKNOWN, Dataset
from .readers import _filenames


def _scalar(data):
    a = np.empty((), object)
    a[()] = data
    return [a]


class TFRecordDataset(Dataset):
    """The records of one or more TFRecord files, in order, as scalar ``tf.string`` tensors;
    each record's CRCs are checked (``tf.errors.DataLossError`` names the file and offset).

    ``compression_type`` is ``None``/``""``, ``"GZIP"`` or ``"ZLIB"``; ``num_parallel_reads=k``
    reads ``k`` files at once and takes one record from each in turn, as TF's parallel
    interleave does.
    """

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None, name=None):
        self._files = _filenames(filenames)
        self._compression = "" if compression_type is None else str(compression_type)
        self._size = int(buffer_size) if buffer_size else None
        self._parallel = None if num_parallel_reads is None else int(num_parallel_reads)
        self._spec = TensorSpec([], dtypes.string)

    def _cardinality(self):
        return UNKNOWN

    def _names(self):
        if isinstance(self._files, Dataset):
            return (a[0][()] for a in self._files._elements())
        return iter(self._files)

    def _read(self, name):
        return records(name, self._compression, self._size)

    def _elements(self):
        if self._compression not in ("", "GZIP", "ZLIB"):
            raise errors.InvalidArgumentError(
                None, "TFRecordDataset", f"Unsupported compression_type: "
                f"{self._compression!r} (expected '', 'GZIP' or 'ZLIB')")
        names = self._names()
        k = self._parallel
        if k is None or k == 1:
            for n in names:
                for r in self._read(n):
                    yield _scalar(r)
            return
        if k < 1:  # AUTOTUNE: TF picks the parallelism; every file at once here
            names = list(names)
            k = max(1, len(names))
            names = iter(names)
        slots = []
        for n in names:
            slots.append(self._read(n))
            if len(slots) == k:
                break
        i = 0
        while slots:
            try:
                r = next(slots[i])
            except StopIteration:
                nxt = next(names, None)
                if nxt is None:
                    del slots[i]
                    if not slots:
                        return
                    i %= len(slots)
                else:
                    slots[i] = self._read(nxt)
                    i = (i + 1) % len(slots)
                continue
            yield _scalar(r)
            i = (i + 1) % len(slots)
