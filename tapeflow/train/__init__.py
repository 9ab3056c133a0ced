"""``tf.train``: ``Checkpoint``, ``CheckpointManager``, ``latest_checkpoint``,
``load_checkpoint`` and ``list_variables``, in TensorFlow's checkpoint format."""
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
from ._files import latest_checkpoint
from ._manager import CheckpointManager

__all__ = ["Checkpoint", "CheckpointLoadStatus", "CheckpointManager", "CheckpointOptions",
           "CheckpointReader", "CheckpointState", "checkpoints_iterator", "get_checkpoint_state",
           "latest_checkpoint", "list_variables", "load_checkpoint", "load_variable"]
