"""``tf.data``: input pipelines (``Dataset``) with TF's semantics and background prefetch."""
from . import experimental
from ._optional import IteratorSpec
from ._options import ThreadingOptions
from ._structure import TensorSpec
from ._tfrecord_dataset import TFRecordDataset
from .dataset import AUTOTUNE, Dataset, DatasetSpec, NumpyIterator, Options, OwnedIterator
from .readers import FixedLengthRecordDataset, TextLineDataset

INFINITE_CARDINALITY = experimental.INFINITE_CARDINALITY
UNKNOWN_CARDINALITY = experimental.UNKNOWN_CARDINALITY
Iterator = OwnedIterator

__all__ = ["AUTOTUNE", "Dataset", "DatasetSpec", "FixedLengthRecordDataset",
           "INFINITE_CARDINALITY", "Iterator", "IteratorSpec", "NumpyIterator", "Options",
           "TFRecordDataset", "TensorSpec", "TextLineDataset", "ThreadingOptions",
           "UNKNOWN_CARDINALITY", "experimental"]
