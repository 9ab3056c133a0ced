"""The replica context in the core (``tapeflow/_replicas.py``): keras, tf.data and tf.nn read
it and never import ``tapeflow.distribute``; with a strategy, the training loop's calls reach
the strategy's own methods (the protocol the module's doc names)."""
import contextlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import _replicas
from tapeflow.distribute.strategy import MirroredReplicaContext

PACKAGE = Path(tf.__file__).resolve().parent


# The import scan (no module below tapeflow.distribute imports it) is in
# tests/test_import_graph.py.


def test_training_without_a_strategy_loads_no_distribute(tmp_path):
    code = f"""
import sys
import numpy as np
import tapeflow as tf

x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
y = x.sum(axis=1, keepdims=True)
m = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])
m.compile(optimizer="adam", loss="mse", metrics=["mae"])
cbs = [tf.keras.callbacks.ModelCheckpoint({str(tmp_path / "w.weights.h5")!r},
                                          save_weights_only=True),
       tf.keras.callbacks.BackupAndRestore({str(tmp_path / "backup")!r})]
m.fit(x, y, batch_size=8, epochs=2, validation_split=0.25, verbose=0, callbacks=cbs)
options = tf.data.Options()
options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(8).with_options(options)
m.fit(ds, epochs=1, verbose=0)
m.evaluate(ds, verbose=0)
m.predict(x, verbose=0)
m.train_on_batch(x[:8], y[:8])
tf.nn.compute_average_loss(tf.constant([1.0, 2.0]))
tf.nn.scale_regularization_loss(1.0)
print(sorted(n for n in sys.modules if n.startswith("tapeflow.distribute")))
"""
    root = PACKAGE.parent
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=root, env={**os.environ, "PYTHONPATH": str(root)},
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


class _RecordingStrategy:
    """Rank 1 of a two-process job as the core sees it: every protocol call is recorded."""

    _rank, _size, num_replicas_in_sync = 1, 2, 2

    def __init__(self):
        self._collective = object()
        self.calls = []

    def _shard_batches(self, model, batches, train):
        self.calls.append(("shard", train))
        return batches

    def _global_logs(self, model, logs):
        self.calls.append(("logs",))
        return {**logs, "loss": -1.0}  # the value every rank would agree on

    def _replica_steps(self, model, step_function, train):
        self.calls.append(("steps", train))
        return step_function

    def _gradient_reducer(self, in_replica):
        self.calls.append(("reducer", in_replica))

        def reduce(grads, variables):
            self.calls.append(("reduce", len(grads)))
            return [g * 0 for g in grads]  # as if the ranks' gradients cancelled

        return reduce


@contextlib.contextmanager
def _scope(strategy):
    _replicas.local.scopes.append(strategy)
    try:
        yield strategy
    finally:
        _replicas.local.scopes.remove(strategy)


def test_fit_and_evaluate_reach_the_strategy_through_the_protocol(capsys):
    s = _RecordingStrategy()
    x = np.ones((8, 2), "float32")
    y = np.ones((8, 1), "float32")
    with _scope(s):
        m = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
        m.compile(optimizer="sgd", loss="mse")
    before = [w.copy() for w in m.get_weights()]
    # outside the scope: the strategy the model was compiled under still trains it
    history = m.fit(x, y, batch_size=4, epochs=1, verbose=1)
    assert capsys.readouterr().out == ""  # rank 1 prints nothing
    assert history.history["loss"] == [-1.0]  # the strategy's global logs
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)  # the strategy's reduced (zero) gradients
    assert s.calls[:2] == [("shard", True), ("steps", True)]
    assert ("reducer", False) in s.calls and s.calls.count(("reduce", 2)) == 2
    assert s.calls[-1] == ("logs",)
    s.calls.clear()
    m.evaluate(x, y, batch_size=4, verbose=1)
    assert capsys.readouterr().out == ""
    assert s.calls == [("shard", False), ("steps", False), ("logs",)]


def test_without_a_strategy_the_calls_change_nothing():
    m = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    m.compile(optimizer="sgd", loss="mse")
    assert m.__dict__["_distribute_strategy"] is None
    batches, logs, fn = object(), {"loss": 1.0}, object()
    assert _replicas.fit_batches(m, batches, 1) == (batches, 1)
    assert _replicas.eval_batches(m, batches) is batches
    assert _replicas.rank_verbose(m, 2) == 2
    assert _replicas.global_logs(m, logs) is logs
    assert _replicas.replica_steps(m, fn, train=True) is fn
    grads = [np.ones(2)]
    assert _replicas.gradient_reducer(True, m.optimizer)(grads, [None]) is grads
    assert _replicas.is_chief() and _replicas.rank_and_size() == (0, 1)


def test_loss_helpers_read_the_replicas_in_sync():
    per_example = tf.constant([1.0, 2.0, 3.0, 4.0])
    with _scope(_RecordingStrategy()):
        assert float(tf.nn.compute_average_loss(per_example)) == pytest.approx(10.0 / 8)
        assert float(tf.nn.scale_regularization_loss(3.0)) == 1.5
        assert float(tf.distribute.compute_average_loss(per_example,
                                                        global_batch_size=5)) == 2.0
    assert float(tf.nn.compute_average_loss(per_example)) == 2.5


def test_the_strategies_implement_the_protocol():
    for name in ("_shard_batches", "_global_logs", "_replica_steps", "_gradient_reducer"):
        assert name in _replicas.__doc__
        for cls in (tf.distribute.Strategy, tf.distribute.MirroredStrategy,
                    tf.distribute.MultiWorkerMirroredStrategy):
            assert callable(getattr(cls, name)), (cls, name)

    assert callable(MirroredReplicaContext._gradient_stasher)
    assert not hasattr(tf.distribute.ReplicaContext, "_gradient_stasher")  # one per process
    s = tf.distribute.MirroredStrategy()  # one replica: fit's step is the step itself
    fn = object()
    assert s._replica_steps(None, fn, train=True) is fn


def test_auto_shard_policy_is_one_class_owned_by_tf_data():
    assert tf.data.experimental.AutoShardPolicy is tf.distribute.AutoShardPolicy
    assert tf.data.experimental.AutoShardPolicy.__module__ == "tapeflow.data._options"
    assert tf.data.Options().experimental_distribute.auto_shard_policy == \
        tf.data.experimental.AutoShardPolicy.AUTO
