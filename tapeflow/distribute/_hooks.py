"""The small calls that ``Model.compile/fit/evaluate``, the optimizers and the callbacks make
into tf.distribute. Each is a no-op (one attribute read) without a multi-process strategy."""
from . import _context
from .input import AutoShardPolicy, _policy, shard_batch


def record_strategy(model):
    """``compile``: a model compiled inside ``strategy.scope()`` trains with that strategy
    even when ``fit`` is called outside the scope (Keras's ``model.distribute_strategy``)."""
    stack = _context.local.scopes
    model.__dict__["_distribute_strategy"] = stack[-1] if stack else None


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
        dataset = getattr(inner, "dataset", None)
        self.shard = dataset is None or _policy(dataset) != AutoShardPolicy.OFF

    @property
    def steps(self):
        return self.inner.steps

    def epoch(self):
        s, model = self.strategy, self.model
        if self.train and model.built and model.weights:
            s._sync_variables(model.weights)  # start every rank from rank 0's values
        rank, size = s._rank, s._size
        for batch in self.inner.epoch():
            if self.shard:
                batch, local, rows = shard_batch(batch, rank, size)
                scale = local / rows
            else:
                scale = 1.0 / size  # every rank holds the whole batch: average
            if not self.train:
                yield batch
                continue
            _context.local.step = (s, scale)
            try:
                yield batch
            finally:
                _context.local.step = None


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
        v._assign_raw(a)


def _unchanged(grads, variables):
    return grads


def gradient_reducer(aggregate=True):
    """For ``apply_gradients``: the function its recorded effect runs on the raw gradient
    arrays. The strategy is taken now (when a ``tf.function`` step is traced, e.g. around
    ``strategy.run``), so every replay of the plan allreduces with it; the weight of this
    rank's share of the global batch is read at run time (set per step by ``fit``)."""
    step = _context.local.step
    if step is not None:
        s = step[0]
    else:
        stack = _context.local.scopes
        s = stack[-1] if stack else None
    if not aggregate or s is None or s._collective is None:
        return _unchanged

    def reduce(grads, variables):
        now = _context.local.step
        scale = now[1] if now is not None and now[0] is s else None
        s._sync_variables(variables)
        # summed over the ranks: within fit each rank's weighted by its share of the batch
        return s._collective.allreduce_arrays(grads, scale)

    return reduce


def is_chief():
    """Callbacks: only rank 0 of a multi-process job writes files and prints."""
    return _context.is_chief()
