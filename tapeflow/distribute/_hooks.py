"""The small calls that ``Model.compile/fit/evaluate``, the optimizers and the callbacks make
into tf.distribute. Each is a no-op (one attribute read) without a multi-process strategy."""
from .. import backend
from ..backend import host as np
from . import _context
from .input import AutoShardPolicy, _policy, shard_batch, shard_bounds


def record_strategy(model):
    """``compile``: a model compiled inside ``strategy.scope()`` trains with that strategy
    even when ``fit`` is called outside the scope (Keras's ``model.distribute_strategy``)."""
    stack = _context.local.scopes
    s = stack[-1] if stack else None
    model.__dict__["_distribute_strategy"] = s
    if model.optimizer is not None:  # its steps outside the scope (train_on_batch) too
        model.optimizer._distribute_strategy = s


def _strategy_for(model):
    stack = _context.local.scopes
    s = stack[-1] if stack else model.__dict__.get("_distribute_strategy")
    return s if s is not None and s._collective is not None else None


class ShardedBatches:
    """This rank's rows of every global batch of ``inner`` (``ArrayBatches`` or
    ``DatasetBatches``). Training batches also tell the optimizer the share of the global
    batch this rank holds, so the allreduced gradient is the global batch's mean gradient."""

    def __init__(self, inner, strategy, model, train):
        self.inner, self.strategy, self.model, self.train = inner, strategy, model, train
        # NOTE: the dataset's options decide; look through a wrapper (DevicePrefetch)
        dataset = getattr(inner, "dataset", None) or getattr(
            getattr(inner, "inner", None), "dataset", None)
        self.shard = dataset is None or _policy(dataset) != AutoShardPolicy.OFF

    @property
    def steps(self):
        return self.inner.steps

    def __getattr__(self, name):
        # NOTE: ``state()``/``resume()`` (BackupAndRestore's mid-epoch position) and the rest
        # are the inner iterator's: the position in the global batches is the same on every
        # rank, so rank 0's saved position resumes every rank
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def epoch(self, start=0):
        s, model = self.strategy, self.model
        if self.train and model.built and model.weights:
            s._sync_variables(model.weights)  # start every rank from rank 0's values
        rank, size = s._rank, s._size
        if self.shard and _plain_arrays(self.inner):
            shards = _array_shards(self.inner, start, rank, size)
        else:
            inner = self.inner.epoch(start) if start else self.inner.epoch()
            shards = (shard_batch(b, rank, size) if self.shard else (b, 1, size) for b in inner)
        for batch, local, rows in shards:
            scale = local / rows  # this rank's share (1/size for unsharded whole batches)
            if not self.train:
                yield batch
                continue
            _context.local.step = (s, scale)
            try:
                yield batch
            finally:
                _context.local.step = None


def _plain_arrays(inner):
    from ..keras.models import data  # noqa: PLC0415

    return type(inner) is data.ArrayBatches


def _array_shards(inner, start, rank, size):
    """``ArrayBatches.epoch`` gathering only this rank's rows of each global batch (the
    whole batch is never copied): the same positions and order (``spans``), fewer rows."""
    for first, stop in inner.spans(start):
        rows = stop - first
        lo, hi = shard_bounds(rows, rank, size)
        if hi == lo:
            shard_batch((np.empty(rows),), rank, size)  # raises the error for empty shards
        yield inner.rows(first + lo, first + hi), hi - lo, rows


def fit_batches(model, batches, verbose):
    """``fit``: this rank's batches, and ``verbose`` 0 on every rank but 0."""
    s = _strategy_for(model)
    if s is None:
        return batches, verbose
    return ShardedBatches(batches, s, model, train=True), verbose if s._rank == 0 else 0


def eval_batches(model, batches):
    s = _strategy_for(model)
    if s is None or isinstance(batches, ShardedBatches):
        return batches
    return ShardedBatches(batches, s, model, train=False)


def rank_verbose(model, verbose):
    s = _strategy_for(model)
    return verbose if s is None or s._rank == 0 else 0


def global_logs(model, logs):
    """The logs with every compiled metric (the loss included) computed from the sum of
    the metric states of all ranks: the epoch's value over every rank's examples."""
    s = _strategy_for(model)
    if s is None:
        return logs
    _average_non_trainable(model, s)
    metrics = model.metrics
    variables = [v for m in metrics for v in m.variables]
    if not variables:
        return logs
    local = [v._v for v in variables]
    summed = s._collective.allreduce_arrays(local, what="metric allreduce")
    try:
        for v, a in zip(variables, summed):
            v._v = a
        results = {}
        for m in metrics:
            r = m.result()
            results.update(r if isinstance(r, dict) else {m.name: r})
    finally:
        for v, a in zip(variables, local):  # the local state, as each rank accumulated it
            v._v = a
    out = dict(logs)
    for k in out:
        if k in results:
            out[k] = float(results[k].numpy() if hasattr(results[k], "numpy") else results[k])
    return out


def _average_non_trainable(model, s):
    """Moving statistics (BatchNormalization's moving mean and variance) follow each rank's
    shard; average them so every rank, and the checkpoints rank 0 writes, hold one model
    (TF keeps them per replica and averages on read)."""
    floats = [v for v in model.non_trainable_weights if v.dtype.is_floating]
    if not floats:
        return
    summed = s._collective.allreduce_arrays([v._v for v in floats], scale=1.0 / s._size,
                                            what="moving-statistics allreduce")
    for v, a in zip(floats, summed):
        v._assign_raw(a.copy())  # own memory, not a view into the reduction buffer


def _unchanged(grads, variables):
    return grads


def gradient_reducer(aggregate=True, optimizer=None):
    """For ``apply_gradients``: the function its recorded effect runs on the raw gradient
    arrays. The strategy is taken now (when a ``tf.function`` step is traced, e.g. around
    ``strategy.run``), so every replay of the plan allreduces with it; the weight of this
    rank's share of the global batch is read at run time (set per step by ``fit``).

    How the ranks' gradients combine: in ``fit``, weighted by each rank's share of the global
    batch (the global-batch mean); inside ``strategy.run``, summed (TF's contract: the loss is
    scaled by the global batch); elsewhere in the scope (``train_on_batch``, a loop without
    ``strategy.run``), averaged, as Keras and Horovod do."""
    ctx = _context.local.replica
    if aggregate and ctx is not None and hasattr(ctx, "_device_obj"):
        # MirroredStrategy over several devices: stash for one update after the last replica
        from . import _mirrored  # noqa: PLC0415

        return _mirrored.stasher(ctx, optimizer)
    in_replica = ctx is not None
    step = _context.local.step
    if step is not None:
        s = step[0]
    else:
        stack = _context.local.scopes
        s = stack[-1] if stack else getattr(optimizer, "_distribute_strategy", None)
    if not aggregate or s is None or s._collective is None:
        return _unchanged

    def reduce(grads, variables):
        now = _context.local.step
        if now is not None and now[0] is s:
            scale = now[1]
        else:
            scale = None if in_replica else 1.0 / s._size
        s._sync_variables(variables)
        return s._collective.allreduce_arrays(grads, scale)

    return reduce


def apply_unless_stashed(optimizer, grads, variables):
    """``apply_gradients``'s effect: apply what the reducer returned; None means a
    MirroredStrategy replica stashed the gradients for the strategy's single update."""
    if grads is not None:
        optimizer.apply(grads, variables)


def on_state_device(metric, update):
    """A metric's raw update, run where its state lives: values computed by a
    MirroredStrategy replica on another device are copied there first, and that replica's
    device is made current again after (a traced plan's next ops run on it)."""
    if not backend.placement:
        return update

    def placed(*values):
        # NOTE: a state still on the host follows the values' device (metrics.py)
        homes = [backend.device_of(v._v) for v in getattr(metric, "_variables", ())]
        home = next((d for d in homes if d.backend is not None), None)
        if home is None:
            return update(*values)
        away = None
        moved = list(values)
        for i, v in enumerate(values):
            if backend.is_array(v):
                d = backend.device_of(v)
                if d is not home and d.backend is not None:
                    away, moved[i] = d, home.put(v)
        if away is None:
            return update(*values)
        from ..framework import device  # noqa: PLC0415

        home.select()
        try:
            with device(f"/{home.kind}:{home.index}"):  # the ops inside the update too
                return update(*moved)
        finally:
            away.select()

    return placed


def replica_steps(model, step_function, train):
    """``fit``/``evaluate``: with a MirroredStrategy over several devices, a step that splits
    each global batch across the replicas (``_mirrored.StepLoop``); else the step itself."""
    stack = _context.local.scopes
    s = stack[-1] if stack else model.__dict__.get("_distribute_strategy")
    if s is None or getattr(s, "_replica_devices", None) is None:
        return step_function
    from . import _mirrored  # noqa: PLC0415

    if train and hasattr(model.optimizer, "inner_optimizer"):
        # NOTE: LossScaleOptimizer applies outside gradient_reducer: it would step per replica
        raise NotImplementedError("Mixed precision's LossScaleOptimizer is not supported with "
                                  "a MirroredStrategy over several devices yet.")
    key = "_mirrored_train_step" if train else "_mirrored_test_step"
    loop = model.__dict__.get(key)
    if loop is None or loop.fn is not step_function or loop.strategy is not s:
        loop = model.__dict__[key] = _mirrored.StepLoop(s, step_function, train)
    return loop


def is_chief():
    """Callbacks: only rank 0 of a multi-process job writes files and prints."""
    return _context.is_chief()
