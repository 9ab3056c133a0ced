"""``tf.distribute.DistributedValues``: the base class of values with one part per replica
(``PerReplica`` results of ``strategy.run``, ``Mirrored`` copies)."""


class DistributedValues:
    """Values with one component per replica of a strategy (TF's base class of
    ``PerReplica`` and ``Mirrored``); the concrete classes hold the components in
    ``.values``, in replica order."""

    __slots__ = ()
