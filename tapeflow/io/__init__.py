"""``tf.io``: files, image codecs, raw bytes and CSV records; TFRecord files
(``TFRecordWriter``, ``TFRecordOptions``) and ``tf.train.Example`` parsing
(``parse_single_example``, ``parse_example``, ``parse_single_sequence_example``,
``parse_sequence_example``, with ``FixedLenFeature``, ``VarLenFeature``, ``RaggedFeature``,
``FixedLenSequenceFeature``, ``SparseFeature``; ``decode_json_example``); tensors as
``TensorProto`` bytes (``serialize_tensor``/``parse_tensor``, the ``SparseTensor``
serializers); and ``tf.io.gfile``, TF's file API."""
from . import gfile  # noqa: F401
from ._csv import *  # noqa: F403
from ._example import (  # noqa: F401
    FixedLenFeature,
    FixedLenSequenceFeature,
    RaggedFeature,
    SparseFeature,
    VarLenFeature,
    parse_example,
    parse_sequence_example,
    parse_single_example,
    parse_single_sequence_example,
)
from ._files import *  # noqa: F403
from ._image import *  # noqa: F403
from ._json_example import *  # noqa: F403
from ._serialize import *  # noqa: F403
from ._tfrecord import TFRecordCompressionType, TFRecordOptions, TFRecordWriter  # noqa: F401
