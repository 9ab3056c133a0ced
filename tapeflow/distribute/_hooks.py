"""What a strategy does for ``Model.fit/evaluate`` and the optimizers when the core's replica
context (``tapeflow/_replicas.py``) hands it the work: shard the batches, combine the logs
and the gradients across the ranks, run several replicas per step. The core calls these
through the strategy's methods (``Strategy._shard_batches`` and the rest, ``strategy.py``)."""
from .. import _replicas
from ..backend import host as np
from . import _mirrored
from .input import AutoShardPolicy, _policy, shard_batch, shard_bounds

# How many fits of this process are between their first training step and their last
# epoch's end: a rank that exits while it is non-zero aborts the job (``_mpi``)
fit_active = [0]


def check_peers(strategy, model, steps):
    """Before the first step, every rank compares its model's variables (shapes, dtypes)
    and its steps per epoch with the other ranks'; a difference stops every rank with an
    error naming the ranks and what differs (instead of a collective that never completes)."""
    import json  # deferred: used once per fit

    sig = {"variables": [[list(v.shape), v.dtype.name] for v in model.weights],
           "steps": steps}
    texts = strategy._collective.allgather_bytes(json.dumps(sig).encode(), "peer check")
    peers = [json.loads(t) for t in texts]
    problems = []
    for r, p in enumerate(peers[1:], start=1):
        if p["steps"] != peers[0]["steps"]:
            problems.append(f"rank {r} has {p['steps']} steps per epoch, rank 0 has "
                            f"{peers[0]['steps']} (their datasets differ in size)")
        if p["variables"] != peers[0]["variables"]:
            mine, base = p["variables"], peers[0]["variables"]
            if len(mine) != len(base):
                what = f"{len(mine)} variables where rank 0 has {len(base)}"
            else:
                k = next(i for i, (a, b) in enumerate(zip(mine, base)) if a != b)
                what = (f"variable {k} of shape {tuple(mine[k][0])} ({mine[k][1]}) where rank "
                        f"0 has {tuple(base[k][0])} ({base[k][1]})")
            problems.append(f"rank {r}'s model has {what}")
    if problems:
        raise ValueError("tapeflow.distribute: the ranks cannot train together: "
                         + "; ".join(problems) + ".")


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
            if not getattr(self, "_checked", False) and s._collective is not None:
                check_peers(s, model, self.inner.steps)
                self._checked = True
            s._sync_variables(model.weights)  # start every rank from rank 0's values
        if self.train:
            fit_active[0] += 1  # until the epoch's logs are combined (global_logs)
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
            _replicas.local.step = (s, scale)
            try:
                yield batch
            finally:
                _replicas.local.step = None


def shard_batches(strategy, model, batches, train):
    """``fit``/``evaluate`` on several ranks: this rank's share of ``batches`` (already
    sharded batches, as ``fit`` hands its validation data to ``evaluate``, stay as they are)."""
    if not train and isinstance(batches, ShardedBatches):
        return batches
    return ShardedBatches(batches, strategy, model, train)


def _plain_arrays(inner):
    from ..keras.models import data  # deferred: keras loads on use, not with tf.distribute

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


def global_logs(s, model, logs):
    """The logs with every compiled metric (the loss included) computed from the sum of
    the metric states of all ranks: the epoch's value over every rank's examples."""
    fit_active[0] = 0  # the epoch ended on every rank together
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


def allreduce_reducer(s, in_replica):
    """``apply_gradients`` on several ranks: the raw gradients allreduced. The weight of this
    rank's share of the global batch is read at run time (set per step by ``fit``).

    How the ranks' gradients combine: in ``fit``, weighted by each rank's share of the global
    batch (the global-batch mean); inside ``strategy.run``, summed (TF's contract: the loss is
    scaled by the global batch); elsewhere in the scope (``train_on_batch``, a loop without
    ``strategy.run``), averaged, as Keras and Horovod do."""

    def reduce(grads, variables):
        now = _replicas.local.step
        if now is not None and now[0] is s:
            scale = now[1]
        else:
            scale = None if in_replica else 1.0 / s._size
        s._sync_variables(variables)
        return s._collective.allreduce_arrays(grads, scale)

    return reduce


def replica_steps(s, model, step_function, train):
    """``fit``/``evaluate`` with a MirroredStrategy over several devices: a step that splits
    each global batch across the replicas (``_mirrored.StepLoop``)."""
    if train and hasattr(model.optimizer, "inner_optimizer"):
        # NOTE: LossScaleOptimizer applies outside gradient_reducer: it would step per replica
        raise NotImplementedError("Mixed precision's LossScaleOptimizer is not supported with "
                                  "a MirroredStrategy over several devices yet.")
    key = "_mirrored_train_step" if train else "_mirrored_test_step"
    loop = model.__dict__.get(key)
    if loop is None or loop.fn is not step_function or loop.strategy is not s:
        loop = model.__dict__[key] = _mirrored.StepLoop(s, step_function, train)
    return loop
