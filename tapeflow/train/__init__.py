"""``tf.train``: ``Checkpoint``, ``CheckpointManager`` and ``latest_checkpoint`` for custom
training loops (variables, modules, Keras models and optimizer state)."""
from ._checkpoint import Checkpoint, CheckpointManager, latest_checkpoint

__all__ = ["Checkpoint", "CheckpointManager", "latest_checkpoint"]
