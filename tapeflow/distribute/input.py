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


class DistributedDataset:
    """What ``experimental_distribute_dataset`` returns: iterating yields this replica's
    batches (plain tensors: one replica per process)."""

    def __init__(self, dataset, strategy, shard=True):
        self._dataset = dataset
        self._strategy = strategy
        self._shard = shard and strategy._size > 1 and _policy(dataset) != AutoShardPolicy.OFF

    @property
    def element_spec(self):
        return getattr(self._dataset, "element_spec", None)

    def __iter__(self):
        rank, size = self._strategy._rank, self._strategy._size
        for batch in self._dataset:
            yield shard_batch(batch, rank, size)[0] if self._shard else batch

    def __repr__(self):
        return f"<tapeflow.distribute.DistributedDataset over {self._dataset!r}>"


class ValueContext:
    def __init__(self, replica_id_in_sync_group=0, num_replicas_in_sync=1):
        self.replica_id_in_sync_group = replica_id_in_sync_group
        self.num_replicas_in_sync = num_replicas_in_sync


class MirroredDataset:
    """``experimental_distribute_dataset`` of a several-device ``MirroredStrategy``: each
    element a structure of ``PerReplica`` values, replica ``i``'s part on device ``i``.
    ``split``: each global batch split into per-replica rows; otherwise (from
    ``distribute_datasets_from_function``) consecutive elements go to consecutive replicas."""

    def __init__(self, dataset, strategy, split=True):
        self._dataset = dataset
        self._strategy = strategy
        self._split = split and _policy(dataset) != AutoShardPolicy.OFF

    @property
    def element_spec(self):
        return getattr(self._dataset, "element_spec", None)

    def __iter__(self):
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

    def __repr__(self):
        return f"<tapeflow.distribute.DistributedDataset over {self._dataset!r}>"
