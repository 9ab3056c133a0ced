"""``tf.train.experimental``: ``PythonState``, Python state saved in object-based
checkpoints. The checkpoint-sharding names (``ShardingCallback``, ``ShardByTaskPolicy``,
``MaxShardSizePolicy``, ``ShardableTensor``) are not provided: tapeflow writes one shard."""
import abc

__all__ = ["PythonState"]


class PythonState(metaclass=abc.ABCMeta):
    """Subclass it and implement ``serialize()`` (returns a string) and
    ``deserialize(string_value)``: an instance reachable from a ``tf.train.Checkpoint`` is
    saved under ``<path>/.ATTRIBUTES/py_state`` and restored through ``deserialize`` (which
    receives bytes, as in TF)."""

    @abc.abstractmethod
    def serialize(self):
        """Callback to serialize the object. Returns a string."""

    @abc.abstractmethod
    def deserialize(self, string_value):
        """Callback to deserialize the object."""
