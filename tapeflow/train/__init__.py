"""``tf.train``: ``Checkpoint``, ``CheckpointManager``, ``latest_checkpoint``,
``load_checkpoint`` and ``list_variables``, in TensorFlow's checkpoint format,
``CheckpointView`` / ``TrackableView`` over object graphs, ``ExponentialMovingAverage``,
``Coordinator``, and the ``tf.train.Example`` protobufs of TFRecord files."""
from . import experimental
from ._checkpoint import (
    Checkpoint,
    CheckpointLoadStatus,
    CheckpointOptions,
    CheckpointReader,
    CheckpointState,
    checkpoints_iterator,
    get_checkpoint_state,
    list_variables,
    load_checkpoint,
    load_variable,
)
from ._coordinator import Coordinator
from ._ema import ExponentialMovingAverage
from ._files import latest_checkpoint
from ._manager import CheckpointManager
from ._views import CheckpointView, TrackableView

__all__ = ["Checkpoint", "CheckpointLoadStatus", "CheckpointManager", "CheckpointOptions",
           "CheckpointReader", "CheckpointState", "checkpoints_iterator", "get_checkpoint_state",
           "latest_checkpoint", "list_variables", "load_checkpoint", "load_variable",
           "BytesList", "Example", "Feature", "FeatureList", "FeatureLists", "Features",
           "FloatList", "Int64List", "SequenceExample", "CheckpointView", "Coordinator",
           "ExponentialMovingAverage", "TrackableView", "experimental"]
_MESSAGES = ("BytesList", "Example", "Feature", "FeatureList", "FeatureLists", "Features",
             "FloatList", "Int64List", "SequenceExample")


def __getattr__(name):
    """``tf.train.Example`` and the other example protobufs, built on first use (they need
    the ``protobuf`` package: ``pip install tapeflow[tfrecord]``)."""
    if name in _MESSAGES:
        from ..io._example import message_class  # deferred: protobuf is imported on first use

        value = message_class(name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tapeflow.train' has no attribute {name!r}")
