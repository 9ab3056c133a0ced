"""``tf.train``: ``Checkpoint``, ``CheckpointManager``, ``latest_checkpoint``,
``load_checkpoint`` and ``list_variables``, in TensorFlow's checkpoint format."""
from ._checkpoint import (
                          Checkpoint,
                          CheckpointLoadStatus,
                          CheckpointReader,
                          list_variables,
                          load_checkpoint,
)
from ._files import latest_checkpoint
from ._manager import CheckpointManager

__all__ = ["Checkpoint", "CheckpointLoadStatus", "CheckpointManager", "CheckpointReader",
           "latest_checkpoint", "list_variables", "load_checkpoint"]
