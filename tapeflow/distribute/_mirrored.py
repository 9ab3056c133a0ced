"""``MirroredStrategy`` over several devices of one process (GPUs, or the tests' stand-in).

No threads: the replicas run one after another, each under ``tf.device(its device)`` and a
replica context carrying its ``replica_id_in_sync_group``. Variables are single copies on the
first device; a replica on another device reads them through the placement machinery
(``ops/_device.py``: a recorded copy whose gradient copies back), so every gradient arrives
on its variable's device.

The optimizer's step inside a replica does not update: ``apply_gradients`` hands its raw
gradients to the function ``tapeflow._replicas.gradient_reducer`` returns, here the
replica's ``stasher``: it *stashes* them (summed over the replicas, weighted in ``fit`` by
each replica's share of the global batch) and returns None; ``flush`` then applies the sum
once, after the last replica. ``strategy.run`` records
the flush (and the device switches) with ``run_effect``, so a ``tf.function`` around it
replays the whole step.
"""
import weakref

from .. import _replicas, backend, nest
from ..framework import _DEVICE_RE, device
from ..function import Function, run_effect
from ..tensor import TensorBase, wrap
from ._values import DistributedValues
from .input import _rows, shard_bounds


class PerReplica(DistributedValues, tuple):
    """One value per replica (TF's ``PerReplica``); ``.values`` holds them in replica order.

    NOTE: a tuple with ``_fields``, so ``tf.nest`` (and so ``tf.function``'s signature)
    flattens it into its tensors and rebuilds it with ``PerReplica(*values)``."""

    __slots__ = ()

    def __new__(cls, *values):
        return super().__new__(cls, values)

    @property
    def _fields(self):
        return tuple(f"replica_{i}" for i in range(len(self)))

    @property
    def values(self):
        return tuple(self)

    def __repr__(self):
        body = ",\n".join(f"  {i}: {v!r}" for i, v in enumerate(self))
        return f"{type(self).__name__}:{{\n" + body + "\n}"

    def __str__(self):
        body = ",\n".join(f"  {i}: {v!s}" for i, v in enumerate(self))
        return f"{type(self).__name__}:{{\n" + body + "\n}"


class Mirrored(PerReplica):
    """The same value on each replica's device (what a reduction to several destinations
    gives, TF's ``Mirrored``)."""

    __slots__ = ()


# -- devices -----------------------------------------------------------------------------------
def resolve_devices(devices):
    """The ``backend.Device`` of each name, or None for the single-replica strategy."""
    backend.ensure()
    if devices is None:
        gpus = [d for d in backend.devices if d.kind == "GPU"]
        return tuple(gpus) if len(gpus) > 1 else None
    if isinstance(devices, str):
        devices = [devices]
    names = list(devices)
    found = []
    for name in names:
        if not isinstance(name, str):
            raise ValueError(f"Unknown attribute '{name!r}' is encountered while parsing the "
                             f"device spec: '{name!r}'.")
        m = _DEVICE_RE.match(name.strip())
        if not m or not m.group(6):
            raise ValueError(f"Unknown attribute '{name}' is encountered while parsing the "
                             f"device spec: '{name}'.")
        kind, index = m.group(6).upper(), int(name.strip().rsplit(":", 1)[1])
        dev = next((d for d in backend.devices if d.kind == kind and d.index == index), None)
        if dev is None and len(names) > 1:
            have = [d.name for d in backend.devices]
            raise ValueError(f"MirroredStrategy: device '{name}' does not exist (devices: "
                             f"{have}). Without several devices, run one replica per process "
                             "under `mpiexec -n N` with tf.distribute."
                             "MultiWorkerMirroredStrategy.")
        found.append(dev)
    if len(found) > 1 and len({id(d) for d in found}) < len(found):
        # NOTE: TF's own check is an assert
        raise AssertionError(f"No duplicates allowed in `devices` argument: "
                             f"{tuple(d.name for d in found)}")
    return tuple(found) if len(found) > 1 else None


def _device_scope(dev):
    return device(f"/{dev.kind}:{dev.index}")


def _select_effect(dev):
    """Make ``dev`` the backend's current device now and at this point of a traced plan
    (a plan's ops call the array module directly, which runs on the current device)."""
    run_effect(dev.select, [])


# -- per-replica values ------------------------------------------------------------------------
def _map(fn, value):
    """``nest.map_structure`` that stops at ``PerReplica`` values."""
    if isinstance(value, PerReplica) or not nest.is_nested(value):
        return fn(value)
    children = [_map(fn, c) for c in nest._children(value)]
    return nest._rebuild(value, children)


def select_replica(value, i):
    """Replica ``i``'s part of ``value`` (plain values are the same for every replica)."""
    return _map(lambda v: v[i] if isinstance(v, PerReplica) else v, value)


def pack(results):
    """Replica results (one structure each) as one structure of ``PerReplica`` leaves."""
    first = results[0]
    flats = [nest.flatten(r) for r in results]
    leaves = []
    for parts in zip(*flats):
        leaves.append(parts[0] if parts[0] is None else PerReplica(*parts))
    return nest.pack_sequence_as(first, leaves)


def put(value, dev):
    """``value``'s tensors and arrays on ``dev`` (raw copies: input data, not recorded)."""
    def one(v):
        if isinstance(v, TensorBase):
            a = v._v
        elif backend.is_array(v) and getattr(v, "ndim", 0):
            a = v
        else:
            return v
        return wrap(a if backend.device_of(a) is dev else dev.put(a))

    with _device_scope(dev):  # NOTE: ``wrap`` places new tensors on the current device
        return nest.map_structure(one, value)


def split(batch, n):
    """Each replica's rows of a global batch (``numpy.array_split``'s order) and its count."""
    rows = _rows(batch)
    if rows < n:
        raise ValueError(f"A global batch of {rows} example(s) cannot give each of the {n} "
                         f"replicas at least one example. Use a batch size of at least {n} "
                         "(and drop_remainder=True for a short last batch).")
    parts = []
    for i in range(n):
        lo, hi = shard_bounds(rows, i, n)

        def cut(leaf, lo=lo, hi=hi):
            if leaf is None:
                return None
            a = leaf._v if isinstance(leaf, TensorBase) else leaf
            if not getattr(a, "ndim", 0) or a.shape[0] != rows:
                return leaf
            backend.device_of(a).select()  # slicing runs on the array's device
            return wrap(a[lo:hi])

        parts.append((nest.map_structure(cut, batch), hi - lo))
    return parts, rows


# -- the replica loop --------------------------------------------------------------------------
class ReplicaSteps:
    """Per-replica copies of a step function: a ``tf.function`` is traced once per replica
    (its plan holds that replica's device copies), a plain function is shared."""

    def __init__(self, fn, n):
        self.fn = fn
        if isinstance(fn, Function):
            self.copies = [Function(fn.python_function, fn.input_signature) for _ in range(n)]
        else:
            self.copies = [fn] * n


_copies = weakref.WeakKeyDictionary()  # user tf.functions passed to strategy.run


def _replica_fns(fn, n):
    if not isinstance(fn, Function):
        return [fn] * n
    steps = _copies.get(fn)
    if steps is None or len(steps.copies) != n:
        steps = _copies[fn] = ReplicaSteps(fn, n)
    return steps.copies


def run(strategy, fn, args, kwargs):
    """``strategy.run``: ``fn`` once per replica, then one optimizer update."""
    from .strategy import MirroredReplicaContext  # cycle: distribute.strategy imports this

    devices = strategy._replica_devices
    fns = _replica_fns(fn, len(devices))
    outer_dev = backend.current()
    outer = _replicas.local.replica
    results = []
    try:
        with strategy.scope():
            for i, dev in enumerate(devices):
                a, k = select_replica((tuple(args), dict(kwargs or {})), i)
                _replicas.local.replica = MirroredReplicaContext(strategy, i, dev)
                try:
                    with _device_scope(dev):
                        _select_effect(dev)
                        results.append(fns[i](*a, **k))
                finally:
                    _replicas.local.replica = outer
            _flush_effect(strategy, outer_dev)
    finally:
        strategy._stash.clear()  # an error in a replica drops its half-summed gradients
    return pack(results)


def _flush_effect(strategy, outer_dev):
    def flush_then_select():
        flush(strategy)
        outer_dev.select()

    run_effect(flush_then_select, [])


def stasher(ctx, optimizer):
    """The reducer ``apply_gradients`` gets inside a replica: stash, return None."""
    strategy, dev = ctx.strategy, ctx._device_obj

    def stash(grads, variables):
        now = _replicas.local.step
        scale = now[1] if now is not None and now[0] is strategy else None
        entry = strategy._stash.get(id(optimizer))
        if entry is None:
            sums = [None] * len(variables)
            strategy._stash[id(optimizer)] = (optimizer, list(variables), sums)
        else:
            _, held, sums = entry
            if [id(v) for v in held] != [id(v) for v in variables]:
                raise ValueError("MirroredStrategy: the replicas applied gradients to "
                                 "different variables; every replica must update the same "
                                 "variables in the same order.")
        for j, (g, v) in enumerate(zip(grads, variables)):
            vdev = backend.device_of(v._v)
            vdev.select()
            if backend.device_of(g) is not vdev:
                g = vdev.put(g)
            if scale is not None:
                g = g * g.dtype.type(scale)
            sums[j] = g if sums[j] is None else sums[j] + g
        dev.select()  # back to this replica's device for the rest of its step
        return None

    return stash


def flush(strategy):
    """Apply the stashed (summed) gradients once per optimizer, on the variables' device."""
    pending = list(strategy._stash.values())
    strategy._stash.clear()
    for opt, variables, sums in pending:
        backend.device_of(variables[0]._v).select()
        opt.apply(sums, variables)


class StepLoop:
    """``fit``/``evaluate``'s step for several replicas: split the global batch, run each
    replica's copy of the step on its rows and device, then one optimizer update."""

    def __init__(self, strategy, fn, train):
        self.strategy, self.train = strategy, train
        self.steps = ReplicaSteps(fn, len(strategy._replica_devices))
        self.fn = fn

    def __call__(self, batch):
        from .strategy import MirroredReplicaContext  # cycle: distribute.strategy imports this

        s = self.strategy
        devices = s._replica_devices
        parts, rows = split(batch, len(devices))
        outer_dev = backend.current()
        outer = _replicas.local.replica
        logs = None
        try:
            with s.scope():
                for i, ((part, local), dev) in enumerate(zip(parts, devices)):
                    part = put(part, dev)
                    _replicas.local.replica = MirroredReplicaContext(s, i, dev)
                    _replicas.local.step = (s, local / rows) if self.train else None
                    try:
                        with _device_scope(dev):
                            dev.select()
                            logs = self.steps.copies[i](part)
                    finally:
                        _replicas.local.replica = outer
                        _replicas.local.step = None
                flush(s)
        finally:
            s._stash.clear()
            outer_dev.select()
        return logs
