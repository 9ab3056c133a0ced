"""``tf.distribute`` strategies: the default (one replica), ``OneDeviceStrategy``,
``MirroredStrategy`` (several devices of one process, replicas run in turn), and
``MultiWorkerMirroredStrategy`` / ``MPIStrategy``: data parallelism across the processes of
an MPI job, one replica per process."""
import collections
import contextlib
import enum
import json
import weakref

from .. import _replicas, nest
from ..backend import host as np
from ..backend import to_host
from ..ops._core import Op
from ..ops.array import concat
from ..ops.reduction import reduce_sum
from ..tensor import TensorBase, constant, convert_to_tensor, wrap
from . import _hooks, _mirrored, _mpi
from .input import DistributedDataset, MirroredDataset, ValueContext


class ReduceOp(enum.Enum):
    """How values from the replicas combine: ``SUM`` or ``MEAN`` (the strings also work)."""

    SUM = "SUM"
    MEAN = "MEAN"

    @staticmethod
    def from_variable_aggregation(aggregation):
        name = str(getattr(aggregation, "name", aggregation)).upper()
        name = {"1": "SUM", "2": "MEAN"}.get(name, name)  # tapeflow's plain-int aggregations
        if name.endswith("SUM"):
            return ReduceOp.SUM
        if name.endswith("MEAN"):
            return ReduceOp.MEAN
        raise ValueError(f"Could not convert from `tf.VariableAggregation` {aggregation} to "
                         "`tf.distribute.ReduceOp` type")


def _reduce_op(op):
    """The op's name, "SUM" or "MEAN", from a ReduceOp or a string."""
    if isinstance(op, ReduceOp):
        return op.value
    if isinstance(op, str) and op.upper() in ("SUM", "MEAN"):
        return op.upper()
    raise ValueError(f"{op!r} is not a valid ReduceOp")


# -- a differentiable, traceable allreduce -----------------------------------------------------
def _allreduce_fwd(a, reduce_op):
    c = _replicas.process.collective
    if c is None or c.size == 1:
        return a.copy()
    out = c.allreduce_arrays([a], what="all_reduce")[0]
    if reduce_op == "MEAN":
        out = (out / c.size).astype(a.dtype, copy=False)
    return out


def _allreduce_grad(node, dy):
    # NOTE: y = sum_r x_r on every rank, so dL/dx_r = sum_r dL/dy_r: the same collective
    return [_ALLREDUCE(dy, reduce_op=node.attrs["reduce_op"])]


# One op, so tf.function records it (replays run the collective again) and tapes
# differentiate through it.
_ALLREDUCE = Op("CollectiveReduceV2", _allreduce_fwd, _allreduce_grad, same_dtype=False)


def _all_reduce_value(reduce_op, value):
    reduce_op = _reduce_op(reduce_op)

    def one(v):
        t = v if isinstance(v, TensorBase) else convert_to_tensor(v)
        return _ALLREDUCE(t, reduce_op=reduce_op)

    return nest.map_structure(one, value)


# -- contexts ----------------------------------------------------------------------------------
class ReplicaContext:
    """The replica-side view inside ``strategy.run`` (and outside any scope, the default
    strategy's single replica)."""

    def __init__(self, strategy, replica_id_in_sync_group=0):
        self._strategy = strategy
        self._replica_id = replica_id_in_sync_group

    @property
    def strategy(self):
        return self._strategy

    @property
    def num_replicas_in_sync(self):
        return self._strategy.num_replicas_in_sync

    @property
    def replica_id_in_sync_group(self):
        return constant(self._replica_id, dtype="int32")

    @property
    def devices(self):
        return (self._strategy._device,)

    def all_reduce(self, reduce_op, value, options=None):
        """``value`` (a tensor or a nest of them) summed or averaged over every replica;
        differentiable, and recorded by ``tf.function``."""
        return _all_reduce_value(reduce_op, value)

    def merge_call(self, merge_fn, args=(), kwargs=None):
        return merge_fn(self._strategy, *args, **(kwargs or {}))

    def __repr__(self):
        return f"<tf.distribute.ReplicaContext replica {self._replica_id} of " \
               f"{self.num_replicas_in_sync}>"


class InputContext:
    """What ``distribute_datasets_from_function``'s function learns about its pipeline."""

    def __init__(self, num_input_pipelines=1, input_pipeline_id=0, num_replicas_in_sync=1):
        self.num_input_pipelines = num_input_pipelines
        self.input_pipeline_id = input_pipeline_id
        self.num_replicas_in_sync = num_replicas_in_sync

    def get_per_replica_batch_size(self, global_batch_size):
        if global_batch_size % self.num_replicas_in_sync != 0:
            raise ValueError(f"The `global_batch_size` {global_batch_size} is not divisible "
                             f"by `num_replicas_in_sync` {self.num_replicas_in_sync} ")
        return global_batch_size // self.num_replicas_in_sync

    def __repr__(self):
        return (f"tf.distribute.InputContext(input pipeline id {self.input_pipeline_id}, "
                f"total: {self.num_input_pipelines})")


class InputReplicationMode(enum.Enum):
    """How input pipelines map to replicas: ``PER_WORKER`` (one pipeline per worker, its
    batches split over the worker's replicas) or ``PER_REPLICA`` (one pipeline each)."""

    PER_WORKER = "PER_WORKER"
    PER_REPLICA = "PER_REPLICA"


class InputOptions(collections.namedtuple("InputOptions", (
        "experimental_fetch_to_device", "experimental_replication_mode",
        "experimental_place_dataset_on_device", "experimental_per_replica_buffer_size"))):
    """Options of ``experimental_distribute_dataset`` and
    ``distribute_datasets_from_function`` (accepted; batches are produced on the host and
    placed on the replicas' devices). ``experimental_fetch_to_device=None`` means True."""

    __slots__ = ()

    def __new__(cls, experimental_fetch_to_device=None,
                experimental_replication_mode=InputReplicationMode.PER_WORKER,
                experimental_place_dataset_on_device=False,
                experimental_per_replica_buffer_size=1):
        if experimental_fetch_to_device is None:
            experimental_fetch_to_device = True
        return super().__new__(cls, experimental_fetch_to_device,
                               experimental_replication_mode,
                               experimental_place_dataset_on_device,
                               experimental_per_replica_buffer_size)


class RunOptions(collections.namedtuple("RunOptions", (
        "experimental_enable_dynamic_batch_size", "experimental_bucketizing_dynamic_shape",
        "experimental_xla_options"))):
    """Options of ``strategy.run`` (TF's TPU settings; accepted, nothing to change here)."""

    __slots__ = ()

    def __new__(cls, experimental_enable_dynamic_batch_size=True,
                experimental_bucketizing_dynamic_shape=False, experimental_xla_options=None):
        return super().__new__(cls, experimental_enable_dynamic_batch_size,
                               experimental_bucketizing_dynamic_shape,
                               experimental_xla_options)


class StrategyExtended:
    """The additional API of a strategy (``strategy.extended``): reductions to chosen
    destinations, variable updates, device lists.

    Args:
      container_strategy: the strategy this object extends.
    """

    def __init__(self, container_strategy):
        self._strategy = container_strategy

    def _container_strategy(self):
        return self._strategy

    @property
    def experimental_require_static_shapes(self):
        """Whether the strategy needs static shapes (False: none of tapeflow's do)."""
        return False

    @property
    def should_checkpoint(self):
        """Whether this worker should save checkpoints (rank 0 of an MPI job)."""
        return self._strategy._rank == 0

    @property
    def should_save_summary(self):
        """Whether this worker should write summaries (rank 0 of an MPI job)."""
        return self._strategy._rank == 0

    @property
    def worker_devices(self):
        """The names of the devices the replicas of this worker run on."""
        names = getattr(self._strategy, "_devices", None) or (self._strategy._device,)
        return tuple(_full_device(n) for n in names)

    @property
    def parameter_devices(self):
        """The names of the devices holding the variables' copies."""
        return self.worker_devices

    def _in_multi_worker_mode(self):
        return self._strategy._size > 1

    def reduce_to(self, reduce_op, value, destinations, options=None):
        """Combine a per-replica ``value`` and place it on ``destinations``.

        Args:
          reduce_op: a ``tf.distribute.ReduceOp`` or ``"SUM"``/``"MEAN"``.
          value: a per-replica value (or a plain tensor: one replica's).
          destinations: a device string, a tensor or variable (its device), or a
            ``DistributedValues``.
          options: a ``CommunicationOptions`` (accepted).

        Returns:
          The reduced tensor (a ``Mirrored`` value for several destination devices).
        """
        from .cross_device_ops import _to_destinations  # deferred: loaded on first use

        _reduce_op(reduce_op)
        return _to_destinations(self._strategy.reduce(reduce_op, value, axis=None),
                                destinations)

    def batch_reduce_to(self, reduce_op, value_destination_pairs, options=None):
        """``reduce_to`` of each ``(value, destinations)`` pair.

        Args:
          reduce_op: as for ``reduce_to``.
          value_destination_pairs: a list of ``(value, destinations)`` tuples.
          options: accepted.

        Returns:
          A list with one reduced value per pair.
        """
        return [self.reduce_to(reduce_op, v, d, options) for v, d in value_destination_pairs]

    def update(self, var, fn, args=(), kwargs=None, group=True):
        """Run ``fn(var, *args, **kwargs)`` on the variable (tapeflow keeps one copy of each
        variable, so once).

        Args:
          var: the variable to update.
          fn: the update function, e.g. ``lambda v, g: v.assign_sub(g)``.
          args: further positional arguments of ``fn``.
          kwargs: keyword arguments of ``fn``.
          group: True: ``fn``'s result; False: each of its values as a tuple of the
            per-device results (one here).

        Returns:
          ``fn``'s result, as ``group`` asks.
        """
        out = fn(var, *tuple(args), **(kwargs or {}))
        if group:
            return out
        return nest.map_structure(lambda r: (r,), out)

    def value_container(self, value):
        """The container of ``value``: the value itself (no variable has per-device
        components in tapeflow).

        Args:
          value: a variable or tensor.

        Returns:
          ``value``.
        """
        return value

    def colocate_vars_with(self, colocate_with_variable):
        """A context in which new variables are created on ``colocate_with_variable``'s
        device.

        Args:
          colocate_with_variable: a variable created in this strategy's scope.

        Returns:
          A context manager.
        """
        from ..framework import device  # deferred: placement is needed only here

        return device(getattr(colocate_with_variable, "device", None) or None)

    def variable_created_in_scope(self, v):
        """Whether ``v`` was created in this strategy's ``scope()``.

        Args:
          v: a variable.

        Returns:
          A bool.
        """
        uid = getattr(v, "_uid", None)
        if uid is None:
            return False
        spans = self._strategy._variable_spans
        return any(lo <= uid < (hi if hi is not None else _next_uid()) for lo, hi in spans)


def _next_uid():
    """The ``_uid`` the next variable will get (read without taking it)."""
    from .. import variable  # deferred: the count of created variables lives there

    return int(repr(variable._uid)[len("count("):-1])


def _full_device(name):
    """``/cpu:0`` as TF's full name ``/job:localhost/replica:0/task:0/device:CPU:0``."""
    kind, _, index = name.strip("/").rpartition(":")
    if name.startswith("/job:") or not index.isdigit() or not kind:
        return name
    return f"/job:localhost/replica:0/task:0/device:{kind.rpartition(':')[2].upper()}:{index}"


class _DefaultDistributionExtended(StrategyExtended):
    """``get_strategy().extended`` outside every scope: one replica, every variable is the
    default strategy's."""

    @property
    def worker_devices(self):
        """Unsupported by the default strategy (RuntimeError, as TF)."""
        raise RuntimeError("worker_devices() method unsupported by default "
                           "tf.distribute.Strategy.")

    @property
    def parameter_devices(self):
        """Unsupported by the default strategy (RuntimeError, as TF)."""
        raise RuntimeError("parameter_devices() method unsupported by default "
                           "tf.distribute.Strategy.")

    def variable_created_in_scope(self, v):
        """True: every variable belongs to the default strategy.

        Args:
          v: a variable.

        Returns:
          True.
        """
        return True


class OneDeviceExtended(StrategyExtended):
    """``OneDeviceStrategy(...).extended``."""


class MirroredExtended(StrategyExtended):
    """``MirroredStrategy(...).extended``."""


class CollectiveAllReduceExtended(StrategyExtended):
    """``MultiWorkerMirroredStrategy(...).extended``."""


class _ClusterResolver:
    def __init__(self, rank, size):
        self.task_type = "worker"
        self.task_id = rank
        self.num_workers = size
        self.rpc_layer = "mpi"

    def num_accelerators(self, task_type=None, task_id=None, config_proto=None):
        return {}


# -- strategies --------------------------------------------------------------------------------
class Strategy:
    """The common API. A subclass sets ``_rank``, ``_size`` and ``_collective`` (None in one
    process). Every process holds one replica, so ``run`` calls the function once and returns
    its result as is (TF's value for one local replica)."""

    _rank, _size, _collective = 0, 1, None
    _device = "/job:localhost/replica:0/task:0/device:CPU:0"

    _extended_class = StrategyExtended

    def __init__(self):
        self.extended = self._extended_class(self)
        self._synced = {}  # id -> weakref of the variables already equal on every rank
        # [lo, hi) of the variable uids created in this strategy's scope (hi None: open)
        self._variable_spans = []

    @property
    def num_replicas_in_sync(self):
        return self._size

    @property
    def cluster_resolver(self):
        return _ClusterResolver(self._rank, self._size)

    @contextlib.contextmanager
    def scope(self):
        """Make this the strategy ``get_strategy()`` returns, and that ``fit`` and the
        optimizers of models compiled here use."""
        stack = _replicas.local.scopes
        if stack and stack[-1] is not self and not isinstance(stack[-1], _DefaultStrategy) \
                and not isinstance(self, _DefaultStrategy):
            raise ValueError("Mixing different tf.distribute.Strategy objects: "
                             f"{self!r} is not {stack[-1]!r}")
        stack.append(self)
        spans = self._variable_spans
        if spans and spans[-1][1] is None:
            opened = None  # nested in an open scope of this strategy: its span covers it
        else:
            opened = [_next_uid(), None]
            spans.append(opened)
        try:
            yield self
        finally:
            if opened is not None:
                opened[1] = _next_uid()
                if opened[1] == opened[0]:
                    spans.remove(opened)  # no variable made: keep the list short
            # NOTE: remove this entry, not the last: a generator that entered a scope may be
            # closed late
            for i in range(len(stack) - 1, -1, -1):
                if stack[i] is self:
                    del stack[i]
                    break

    # -- data ----------------------------------------------------------------------------
    def experimental_distribute_dataset(self, dataset, options=None):
        """Each replica iterates its share of every global batch of ``dataset`` (TF's
        ``AutoShardPolicy.DATA`` after rebatching: the first ``B % N`` ranks get one extra
        row when the global batch ``B`` does not divide evenly)."""
        return DistributedDataset(dataset, self)

    def distribute_datasets_from_function(self, dataset_fn, options=None):
        """``dataset_fn(InputContext)`` builds this rank's own pipeline of per-replica
        batches (shard it with ``input_pipeline_id`` / ``num_input_pipelines``)."""
        ctx = InputContext(self._size, self._rank, self._size)
        return DistributedDataset(dataset_fn(ctx), self, shard=False)

    experimental_distribute_datasets_from_function = distribute_datasets_from_function

    def experimental_distribute_values_from_function(self, value_fn):
        return value_fn(ValueContext(self._rank, self._size))

    # -- running and reducing ------------------------------------------------------------
    def run(self, fn, args=(), kwargs=None, options=None):
        """Call ``fn`` in this process's replica context; the optimizer steps it takes
        sum their gradients over all replicas (as TF: scale the loss by the global batch,
        e.g. with ``tf.distribute.compute_average_loss``)."""
        outer = _replicas.local.replica
        _replicas.local.replica = ReplicaContext(self, self._rank)
        try:
            with self.scope():
                return fn(*args, **(kwargs or {}))
        finally:
            _replicas.local.replica = outer

    def reduce(self, reduce_op, value, axis=None):
        """Combine per-replica ``value`` across replicas; with ``axis``, also across that
        axis of each replica's value (``MEAN`` then divides by the global count)."""
        reduce_op = _reduce_op(reduce_op)

        def one(v):
            t = v if isinstance(v, TensorBase) else convert_to_tensor(v)
            if axis is None:
                return _ALLREDUCE(t, reduce_op=reduce_op)
            total = _ALLREDUCE(_sum(t, axis), reduce_op="SUM")
            if reduce_op == "SUM":
                return total
            count = _ALLREDUCE(constant(float(t.shape[axis]), dtype=t.dtype), reduce_op="SUM")
            return total / count

        return nest.map_structure(one, value)

    def experimental_local_results(self, value):
        return (value,)

    def gather(self, value, axis):
        """Every replica's ``value`` concatenated along ``axis`` in rank order (the sizes
        along ``axis`` may differ, as uneven shards do; the other dimensions must agree)."""
        def one(v):
            a = np.asarray(to_host(v._v) if isinstance(v, TensorBase) else v)
            if self._collective is None:
                return wrap(a.copy())
            return wrap(_allgather(self._collective, a, axis))

        return nest.map_structure(one, value)

    def __repr__(self):
        return f"<{type(self).__module__.replace('tapeflow', 'tf')}.{type(self).__name__}>"

    # -- the training-loop protocol (``tapeflow/_replicas.py`` calls these) -----------------
    def _shard_batches(self, model, batches, train):
        return _hooks.shard_batches(self, model, batches, train)

    def _global_logs(self, model, logs):
        return _hooks.global_logs(self, model, logs)

    def _replica_steps(self, model, step_function, train):
        return step_function  # one replica per process: the step itself

    def _gradient_reducer(self, in_replica):
        return _hooks.allreduce_reducer(self, in_replica)

    def _sync_variables(self, variables, force=False):
        """Broadcast rank 0's values of the variables not yet synchronised."""
        if self._collective is None:
            return
        synced = self._synced
        todo = [v for v in variables
                if force or (synced.get(id(v)) or (lambda: None))() is not v]
        if not todo:
            return
        values = self._collective.broadcast_arrays([v._v for v in todo])
        for v, a in zip(todo, values):
            v._assign_raw(a)
            synced[id(v)] = weakref.ref(v)


def _sum(t, axis):
    return reduce_sum(t, axis=axis)


def _allgather(collective, a, axis):
    """Every rank's ``a`` concatenated along ``axis``: the sizes along it first, then the
    values padded to the largest, each rank writing its own slot of one allreduce."""
    rank, size = collective.rank, collective.size
    sizes = np.zeros(size, np.int64)
    sizes[rank] = a.shape[axis]
    collective.allreduce_inplace(sizes, "gather sizes")
    padded = list(a.shape)
    padded[axis] = int(sizes.max())
    buf = np.zeros((size,) + tuple(padded), a.dtype)
    index = [rank] + [slice(None)] * a.ndim
    index[1 + axis] = slice(0, a.shape[axis])
    buf[tuple(index)] = a
    collective.allreduce_inplace(buf.reshape(-1), "gather")
    parts = []
    for r in range(size):
        index = [r] + [slice(None)] * a.ndim
        index[1 + axis] = slice(0, int(sizes[r]))
        parts.append(buf[tuple(index)])
    return np.concatenate(parts, axis=axis)


class _DefaultStrategy(Strategy):
    """What ``get_strategy()`` returns outside every scope: one replica, no communication."""

    _extended_class = _DefaultDistributionExtended

    def experimental_distribute_dataset(self, dataset, options=None):
        """``dataset`` itself (one replica, nothing to distribute), as TF's default."""
        return dataset

    def distribute_datasets_from_function(self, dataset_fn, options=None):
        """``dataset_fn(InputContext())``, as TF's default strategy."""
        return dataset_fn(InputContext())

    experimental_distribute_datasets_from_function = distribute_datasets_from_function

    def __repr__(self):
        return "<tensorflow.python.distribute.distribute_lib._DefaultDistributionStrategy>"


class OneDeviceStrategy(Strategy):
    """Everything on one device: one replica."""

    _extended_class = OneDeviceExtended

    def __init__(self, device):
        super().__init__()
        self._device = device


class MirroredReplicaContext(ReplicaContext):
    """Replica ``i`` of a several-device ``MirroredStrategy`` (the replicas run one after
    another in this process, see ``_mirrored.py``)."""

    def __init__(self, strategy, replica_id_in_sync_group, device):
        super().__init__(strategy, replica_id_in_sync_group)
        self._device_obj = device

    @property
    def devices(self):
        return (self._device_obj.name,)

    def all_reduce(self, reduce_op, value, options=None):
        raise NotImplementedError(
            "ReplicaContext.all_reduce is not supported by tapeflow's MirroredStrategy over "
            "several devices: its replicas run one after another in one process, so a replica "
            "cannot see the values of the replicas after it. Return the per-replica values "
            "from strategy.run and combine them with strategy.reduce, or use "
            "MultiWorkerMirroredStrategy (one process per device under mpiexec).")

    def merge_call(self, merge_fn, args=(), kwargs=None):
        raise NotImplementedError(
            "ReplicaContext.merge_call is not supported by tapeflow's MirroredStrategy over "
            "several devices (its replicas run one after another in one process).")

    def _gradient_stasher(self, optimizer):
        """``apply_gradients`` in this replica: stash for one update after the last replica."""
        return _mirrored.stasher(self, optimizer)


class MirroredStrategy(Strategy):
    """Synchronous training on the devices of one machine.

    With several devices (``devices=['/gpu:0', '/gpu:1']``, or by default every GPU when
    more than one is registered) the replicas run one after another in this process, each
    under ``tf.device`` of its device; variables are single copies on the first device, and
    the optimizer updates once per step with the replicas' summed gradients
    (``_mirrored.py``). With one device it is one replica, as the default strategy."""

    _extended_class = MirroredExtended

    def __init__(self, devices=None, cross_device_ops=None):
        super().__init__()
        self.extended._cross_device_ops = cross_device_ops
        replicas = _mirrored.resolve_devices(devices)
        self._replica_devices = replicas
        self._stash = {}  # id(optimizer) -> (optimizer, variables, summed raw gradients)
        if replicas is not None:
            self._devices = tuple(d.name for d in replicas)
        else:
            self._devices = tuple(devices) if devices else (self._device,)
            if isinstance(devices, str):
                self._devices = (devices,)
        self._device = self._devices[0]

    @property
    def num_replicas_in_sync(self):
        return len(self._devices) if self._replica_devices else self._size

    @contextlib.contextmanager
    def scope(self):
        """As ``Strategy.scope``; with several devices, variables created in it (and ops
        run in its cross-replica context) go to the first device."""
        if self._replica_devices is None:
            with super().scope():
                yield self
            return
        with super().scope(), _mirrored._device_scope(self._replica_devices[0]):
            yield self

    def _replica_steps(self, model, step_function, train):
        if self._replica_devices is None:
            return step_function
        return _hooks.replica_steps(self, model, step_function, train)

    def run(self, fn, args=(), kwargs=None, options=None):
        """``fn`` once per replica, each on its device with its values of ``args``; returns
        ``PerReplica`` results. Optimizer steps taken in ``fn`` sum the replicas'
        gradients and update once, after the last replica."""
        if self._replica_devices is None:
            return super().run(fn, args, kwargs, options)
        return _mirrored.run(self, fn, args, kwargs)

    def reduce(self, reduce_op, value, axis=None):
        if self._replica_devices is None:
            return super().reduce(reduce_op, value, axis)
        reduce_op = _reduce_op(reduce_op)

        def one(v):
            if not isinstance(v, _mirrored.PerReplica):
                if reduce_op == "SUM":
                    raise ValueError(f"A non-DistributedValues value {v!s} cannot be reduced "
                                     f"with the given reduce op ReduceOp.SUM.")
                return v if isinstance(v, TensorBase) else convert_to_tensor(v)
            parts = [p if isinstance(p, TensorBase) else convert_to_tensor(p) for p in v]
            if axis is not None:
                count = sum(int(p.shape[axis]) for p in parts)
                parts = [_sum(p, axis) for p in parts]
            total = parts[0]
            for p in parts[1:]:
                total = total + p  # NOTE: placement copies each onto the current device
            if reduce_op == "MEAN":
                total = total / float(count if axis is not None else len(parts))
            return total

        return _mirrored._map(one, value)

    def experimental_local_results(self, value):
        if self._replica_devices is None:
            return super().experimental_local_results(value)
        found = []
        _mirrored._map(lambda v: found.append(isinstance(v, _mirrored.PerReplica)), value)
        if not any(found):
            return (value,)  # a plain value is one local result, as TF
        return tuple(_mirrored.select_replica(value, i) for i in range(len(self._devices)))

    def gather(self, value, axis):
        if self._replica_devices is None:
            return super().gather(value, axis)
        def one(v):
            parts = list(v) if isinstance(v, _mirrored.PerReplica) else [v] * len(self._devices)
            return concat([p if isinstance(p, TensorBase) else convert_to_tensor(p)
                           for p in parts], axis)

        return _mirrored._map(one, value)

    def experimental_distribute_dataset(self, dataset, options=None):
        if self._replica_devices is None:
            return super().experimental_distribute_dataset(dataset, options)
        return MirroredDataset(dataset, self, split=True)

    def distribute_datasets_from_function(self, dataset_fn, options=None):
        if self._replica_devices is None:
            return super().distribute_datasets_from_function(dataset_fn, options)
        ctx = InputContext(1, 0, len(self._devices))
        return MirroredDataset(dataset_fn(ctx), self, split=False)

    experimental_distribute_datasets_from_function = distribute_datasets_from_function

    def experimental_distribute_values_from_function(self, value_fn):
        if self._replica_devices is None:
            return super().experimental_distribute_values_from_function(value_fn)
        n = len(self._devices)
        values = []
        for i, dev in enumerate(self._replica_devices):
            with _mirrored._device_scope(dev):
                values.append(_mirrored.put(value_fn(ValueContext(i, n)), dev))
        return _mirrored.pack(values)


class MultiWorkerMirroredStrategy(Strategy):
    """Data parallelism over the processes of an MPI job (``mpiexec -n N python train.py``,
    ``srun``, ``mpirun --hostfile``), one replica per process.

    Creating it (once, at the start of the program, on every rank) connects to MPI through
    mpi4py, makes every rank's random-number state equal to rank 0's (so weights drawn by
    initializers and unseeded shuffles agree), and installs an excepthook that aborts the
    whole job when one rank raises. Without mpi4py, or in a single process, it is one replica.
    """

    _extended_class = CollectiveAllReduceExtended

    def __init__(self, cluster_resolver=None, communication_options=None):
        super().__init__()
        existing = _replicas.process.strategy
        MPI = _mpi.load_mpi()
        if MPI is None or MPI.COMM_WORLD.Get_size() == 1:
            return
        if existing is not None:
            # NOTE: one MPI job per process: later strategies share the first's communicator
            self._rank, self._size = existing._rank, existing._size
            self._collective = existing._collective
            return
        c = _mpi.Collective(MPI)
        timeout = getattr(communication_options, "timeout_seconds", None)
        if timeout:
            c.timeout = float(timeout)
        self._rank, self._size, self._collective = c.rank, c.size, c
        _replicas.process.collective = c
        _replicas.process.strategy = self
        _mpi.install_abort_hook(c)
        _sync_random_state(c)

    @property
    def _mpi_comm(self):
        return None if self._collective is None else self._collective.comm


MPIStrategy = MultiWorkerMirroredStrategy


def _sync_random_state(collective):
    """Every rank continues rank 0's ``tf.random`` state (seeds, streams, counters)."""
    from ..keras.saving import _backup  # deferred: loads all of keras (MPI strategies only)

    text = _backup.rng_state().encode() if collective.rank == 0 else b""
    state = collective.bcast_bytes(text).decode()
    if collective.rank != 0:
        _backup.set_rng_state(state)
    json.loads(state)  # a truncated broadcast fails here, loudly


_DEFAULT = _DefaultStrategy()


def get_strategy():
    """The strategy of the innermost ``scope()``, else the default strategy."""
    s = _replicas.scope_strategy()
    return _DEFAULT if s is None else s


def has_strategy():
    """Whether a strategy other than the default is current."""
    s = _replicas.scope_strategy()
    return s is not None and not isinstance(s, _DefaultStrategy)


def in_cross_replica_context():
    """True in a non-default strategy's scope outside its replica functions (``strategy.run``);
    False with no strategy set, as in TF."""
    return has_strategy() and _replicas.local.replica is None


def get_replica_context():
    """The replica context inside ``strategy.run`` (or outside any scope); None in a
    scope's cross-replica context, as TF."""
    if _replicas.local.replica is not None:
        return _replicas.local.replica
    if has_strategy():
        return None
    return ReplicaContext(_DEFAULT, 0)


def experimental_set_strategy(strategy):
    """Make ``strategy`` the current one outside any scope (None restores the default)."""
    stack = _replicas.local.scopes
    stack.clear()
    if strategy is not None:
        stack.append(strategy)
