"""``tf.data.TFRecordDataset``: the records of TFRecord files as scalar ``tf.string``
tensors (the framing and CRC checks live in ``tapeflow.io._tfrecord``)."""
from ..io._tfrecord import records
from .readers import _FileReaderDataset


class TFRecordDataset(_FileReaderDataset):
    """The records of one or more TFRecord files, in order, as scalar ``tf.string`` tensors;
    each record's CRCs are checked (``tf.errors.DataLossError`` names the file and offset).

    ``compression_type`` is ``None``/``""``, ``"GZIP"`` or ``"ZLIB"``; ``num_parallel_reads=k``
    reads ``k`` files at once and takes one record from each in turn, as TF's parallel
    interleave does.
    """

    _op = "TFRecordDataset"
    _default_size = None  # the record reader picks its own

    def _read(self, name):
        return records(name, self._compression, self._size)
