"""The replica context in the core: which ``tf.distribute`` strategy is active (the
``scope()`` stack per thread, the replica inside ``strategy.run``, the process's MPI job),
and the calls ``Model.compile/fit/evaluate``, the optimizers, the callbacks and
``tf.nn.compute_average_loss`` make on it. ``tapeflow.distribute`` sets this state; nothing
below it (keras, tf.data, tf.nn) imports that package.

Without a strategy every call is a no-op after one attribute read. With one, the work is
the strategy's own (the training-loop protocol, implemented in ``tapeflow/distribute``):

- ``strategy._rank``, ``._size``, ``._collective`` (None in one process),
  ``.num_replicas_in_sync``;
- ``strategy._shard_batches(model, batches, train)``: this rank's share of every global batch;
- ``strategy._global_logs(model, logs)``: the logs over every rank's examples;
- ``strategy._replica_steps(model, step_function, train)``: the step ``fit``/``evaluate`` run;
- ``strategy._gradient_reducer(in_replica)``: the allreduce ``apply_gradients`` runs;
- ``replica_context._gradient_stasher(optimizer)`` (optional): inside one replica of several
  on this process, stash the gradients for one update after the last replica.

Nothing heavy is imported here: the training loop reads this module on every step.
"""
import threading


class _Local(threading.local):
    def __init__(self):
        self.scopes = []  # strategies whose scope() is entered, innermost last
        self.replica = None  # the ReplicaContext inside strategy.run
        self.step = None  # (strategy, gradient scale) while fit runs one train_step


local = _Local()


class _Process:
    collective = None  # the MPI Collective of a multi-process job (rank 0 of 1 otherwise)
    strategy = None  # the multi-process strategy that owns it


process = _Process()


def is_chief():
    """True on rank 0 of a multi-process job and in every single-process run (only the
    chief writes files: checkpoints, backups, CSV logs)."""
    c = process.collective
    return c is None or c.rank == 0


def rank_and_size():
    c = process.collective
    return (0, 1) if c is None else (c.rank, c.size)


def scope_strategy():
    """The strategy of the innermost ``scope()`` on this thread, or None."""
    stack = local.scopes
    return stack[-1] if stack else None


def num_replicas_in_sync():
    """The replicas of the innermost scope's strategy (1 outside every scope)."""
    stack = local.scopes
    return stack[-1].num_replicas_in_sync if stack else 1


# -- the training loop's calls -----------------------------------------------------------------
def record_strategy(model):
    """``compile``: a model compiled inside ``strategy.scope()`` trains with that strategy
    even when ``fit`` is called outside the scope (Keras's ``model.distribute_strategy``)."""
    s = scope_strategy()
    model.__dict__["_distribute_strategy"] = s
    if model.optimizer is not None:  # its steps outside the scope (train_on_batch) too
        model.optimizer._distribute_strategy = s


def _strategy_for(model):
    s = scope_strategy()
    return s if s is not None else model.__dict__.get("_distribute_strategy")


def _multi_process(model):
    s = _strategy_for(model)
    return s if s is not None and s._collective is not None else None


def fit_batches(model, batches, verbose):
    """``fit``: this rank's batches, and ``verbose`` 0 on every rank but 0."""
    s = _multi_process(model)
    if s is None:
        return batches, verbose
    return s._shard_batches(model, batches, train=True), verbose if s._rank == 0 else 0


def eval_batches(model, batches):
    """``evaluate``: this rank's batches."""
    s = _multi_process(model)
    return batches if s is None else s._shard_batches(model, batches, train=False)


def rank_verbose(model, verbose):
    """``verbose`` on rank 0, 0 on the other ranks of a multi-process job."""
    s = _multi_process(model)
    return verbose if s is None or s._rank == 0 else 0


def global_logs(model, logs):
    """The epoch's logs: over every rank's examples in a multi-process job."""
    s = _multi_process(model)
    return logs if s is None else s._global_logs(model, logs)


def replica_steps(model, step_function, train):
    """The step ``fit``/``evaluate`` run on each batch: ``step_function`` itself unless the
    strategy runs several replicas per step (a MirroredStrategy over several devices)."""
    s = _strategy_for(model)
    return step_function if s is None else s._replica_steps(model, step_function, train)


def _unchanged(grads, variables):
    return grads


def gradient_reducer(aggregate=True, optimizer=None):
    """For ``apply_gradients``: the function its recorded effect runs on the raw gradient
    arrays and the variables; it returns the gradients to apply, or None when a replica
    stashed them for the strategy's single update. The strategy is taken now (when a
    ``tf.function`` step is traced, e.g. around ``strategy.run``), so every replay of the
    plan reduces with it."""
    if not aggregate:
        return _unchanged
    ctx = local.replica
    if ctx is not None and hasattr(ctx, "_gradient_stasher"):
        return ctx._gradient_stasher(optimizer)
    step = local.step
    if step is not None:
        s = step[0]
    else:
        s = scope_strategy()
        if s is None:
            s = getattr(optimizer, "_distribute_strategy", None)
    if s is None or s._collective is None:
        return _unchanged
    return s._gradient_reducer(in_replica=ctx is not None)
