"""Input for the replicas: each rank's share of every global batch (TF's
``AutoShardPolicy.DATA`` after rebatching), for ``fit``/``evaluate`` and for
``strategy.experimental_distribute_dataset``."""
from .. import nest
from ..data.dataset import AutoShardPolicy
from ..tensor import TensorBase, wrap


def shard_bounds(rows, rank, size):
    """``(lo, hi)``: rank's rows of a batch of ``rows``; the first ``rows % size`` ranks get
    one more (``numpy.array_split``'s split, TF's rebatching order)."""
    q, r = divmod(rows, size)
    lo = rank * q + min(rank, r)
    return lo, lo + q + (rank < r)


def _rows(batch):
    for leaf in nest.flatten(batch):
        if leaf is None:
            continue
        shape = leaf.shape if not isinstance(leaf, TensorBase) else leaf._v.shape
        if len(shape):
            return int(shape[0])
    raise ValueError("Cannot shard a batch without a batch dimension across replicas: every "
                     "element of the distributed dataset must be batched.")


def shard_batch(batch, rank, size):
    """``(local batch, local rows, global rows)``: rows ``lo:hi`` of every batched leaf."""
    rows = _rows(batch)
    lo, hi = shard_bounds(rows, rank, size)
    if hi == lo:
        raise ValueError(f"A global batch of {rows} example(s) cannot give each of the "
                         f"{size} replicas at least one example. Use a batch size of at least "
                         f"{size} (and drop_remainder=True for a short last batch).")

    def cut(leaf):
        if leaf is None:
            return None
        a = leaf._v if isinstance(leaf, TensorBase) else leaf
        if not getattr(a, "ndim", 0) or a.shape[0] != rows:
            return leaf
        return wrap(a[lo:hi])

    return nest.map_structure(cut, batch), hi - lo, rows


def _policy(dataset):
    options = getattr(dataset, "options", None)
    if options is None:
        return AutoShardPolicy.AUTO
    dist = getattr(options(), "experimental_distribute", None)
    return getattr(dist, "auto_shard_policy", AutoShardPolicy.AUTO)


class DistributedIterator:
    """What iterating a distributed dataset gives (``iter(dist_dataset)``): its elements by
    ``next()`` or ``get_next()`` (``tf.errors.OutOfRangeError`` at the end), or as
    ``tf.experimental.Optional`` values by ``get_next_as_optional()``."""

    def __init__(self, elements, element_spec):
        self._elements = elements
        self._element_spec = element_spec

    @property
    def element_spec(self):
        """The type specification of each element (that of the underlying dataset)."""
        return self._element_spec

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._elements)

    def get_next(self):
        """The next element.

        Returns:
          The next element (``PerReplica`` parts with several local replicas).

        Raises:
          tf.errors.OutOfRangeError: at the end of the input.
        """
        try:
            return next(self._elements)
        except StopIteration:
            from ..errors import OutOfRangeError  # deferred: the end of input only

            raise OutOfRangeError(None, "IteratorGetNext", "End of sequence") from None

    def get_next_as_optional(self):
        """The next element as a ``tf.experimental.Optional``, empty at the end.

        Returns:
          An ``Optional``.
        """
        from ..data._optional import Optional  # deferred: tf.data is loaded by then

        try:
            return Optional(next(self._elements), self._element_spec, True)
        except StopIteration:
            return Optional.empty(self._element_spec)

    def __repr__(self):
        return f"<tapeflow.distribute.DistributedIterator at 0x{id(self):x}>"


class DistributedDataset:
    """What ``experimental_distribute_dataset`` returns: iterating yields this replica's
    batches (plain tensors: one replica per process)."""

    def __init__(self, dataset, strategy, shard=True):
        self._dataset = dataset
        self._strategy = strategy
        self._shard = shard and strategy._size > 1 and _policy(dataset) != AutoShardPolicy.OFF

    @property
    def element_spec(self):
        """The type specification of the underlying dataset's elements."""
        return getattr(self._dataset, "element_spec", None)

    def _elements(self):
        rank, size = self._strategy._rank, self._strategy._size
        for batch in self._dataset:
            yield shard_batch(batch, rank, size)[0] if self._shard else batch

    def __iter__(self):
        return DistributedIterator(self._elements(), self.element_spec)

    def reduce(self, initial_state, reduce_func):
        """Fold every element into a state: ``state = reduce_func(state, element)``.

        Args:
          initial_state: the first state.
          reduce_func: ``fn(state, element) -> state``.

        Returns:
          The last state.
        """
        state = initial_state
        for element in self._elements():
            state = reduce_func(state, element)
        return state

    def __repr__(self):
        return f"<tapeflow.distribute.DistributedDataset over {self._dataset!r}>"


class ValueContext:
    """What ``strategy.experimental_distribute_values_from_function`` passes its function:
    which replica the value is for and how many replicas there are (read-only)."""

    def __init__(self, replica_id_in_sync_group=0, num_replicas_in_sync=1):
        self._replica_id_in_sync_group = replica_id_in_sync_group
        self._num_replicas_in_sync = num_replicas_in_sync

    @property
    def replica_id_in_sync_group(self):
        """This replica's index, 0 to ``num_replicas_in_sync - 1``."""
        return self._replica_id_in_sync_group

    @property
    def num_replicas_in_sync(self):
        """How many replicas the strategy keeps in sync."""
        return self._num_replicas_in_sync

    def __str__(self):
        return (f"tf.distribute.ValueContext(replica id {self._replica_id_in_sync_group}, "
                f" total replicas in sync: {self._num_replicas_in_sync})")


class MirroredDataset(DistributedDataset):
    """``experimental_distribute_dataset`` of a several-device ``MirroredStrategy``: each
    element a structure of ``PerReplica`` values, replica ``i``'s part on device ``i``.
    ``split``: each global batch split into per-replica rows; otherwise (from
    ``distribute_datasets_from_function``) consecutive elements go to consecutive replicas."""

    def __init__(self, dataset, strategy, split=True):
        self._dataset = dataset
        self._strategy = strategy
        self._split = split and _policy(dataset) != AutoShardPolicy.OFF

    def _elements(self):
        from . import _mirrored  # cycle: distribute._mirrored imports this module

        devices = self._strategy._replica_devices
        n = len(devices)
        if self._split:
            for batch in self._dataset:
                parts, _ = _mirrored.split(batch, n)
                yield _mirrored.pack([_mirrored.put(p, d) for (p, _), d in zip(parts, devices)])
            return
        it = iter(self._dataset)
        while True:
            group = []
            for d in devices:
                try:
                    group.append(_mirrored.put(next(it), d))
                except StopIteration:
                    break
            if len(group) < n:
                return  # NOTE: a short tail that cannot feed every replica is dropped
            yield _mirrored.pack(group)
