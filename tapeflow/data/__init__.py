"""``tf.data``: input pipelines (``Dataset``) with TF's semantics and background prefetch."""
from . import experimental
from ._structure import TensorSpec
from ._tfrecord_dataset import TFRecordDataset
from .dataset import AUTOTUNE, Dataset, DatasetSpec, NumpyIterator, Options, OwnedIterator
from .readers import TextLineDataset

INFINITE_CARDINALITY = experimental.INFINITE_CARDINALITY
UNKNOWN_CARDINALITY = experimental.UNKNOWN_CARDINALITY
Iterator = OwnedIterator

__all__ = ["AUTOTUNE", "Dataset", "DatasetSpec", "INFINITE_CARDINALITY", "Iterator",
           "NumpyIterator", "Options", "TFRecordDataset", "TensorSpec", "TextLineDataset",
           "UNKNOWN_CARDINALITY", "experimental"]
