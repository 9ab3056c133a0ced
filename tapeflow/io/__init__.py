"""``tf.io``: TFRecord files (``TFRecordWriter``, ``TFRecordOptions``) and ``tf.train.Example``
parsing (``parse_single_example``, ``parse_example``, ``parse_single_sequence_example``, with
``FixedLenFeature``, ``VarLenFeature``, ``RaggedFeature``, ``FixedLenSequenceFeature``)."""
from ._example import (
    FixedLenFeature,
    FixedLenSequenceFeature,
    RaggedFeature,
    VarLenFeature,
    parse_example,
    parse_single_example,
    parse_single_sequence_example,
)
from ._tfrecord import TFRecordCompressionType, TFRecordOptions, TFRecordWriter

__all__ = ["FixedLenFeature", "FixedLenSequenceFeature", "RaggedFeature",
           "TFRecordCompressionType", "TFRecordOptions", "TFRecordWriter", "VarLenFeature",
           "parse_example", "parse_single_example", "parse_single_sequence_example"]
