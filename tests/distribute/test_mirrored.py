"""MirroredStrategy over several devices of one process, on the NumPy-backed stand-in GPUs
(tests/fakegpu.py: it refuses arrays used while another device is current, as CuPy does)."""
import contextlib
import sys
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fakegpu import fake_gpus

if tf.config.list_physical_devices("GPU"):
    pytest.skip("a real GPU is registered: these tests use the stand-in devices of machines "
                "without one", allow_module_level=True)

GPU0 = "/job:localhost/replica:0/task:0/device:GPU:0"
GPU1 = "/job:localhost/replica:0/task:0/device:GPU:1"


@pytest.fixture
def gpus():
    with fake_gpus() as be:
        yield be


@pytest.fixture
def strategy(gpus):
    return tf.distribute.MirroredStrategy(["/gpu:0", "/gpu:1"])


def test_replicas_and_devices(gpus):
    s = tf.distribute.MirroredStrategy(["/gpu:0", "/gpu:1"])
    assert s.num_replicas_in_sync == 2
    assert s.extended.worker_devices == (GPU0, GPU1)
    assert tf.distribute.MirroredStrategy().num_replicas_in_sync == 2  # every GPU by default
    assert tf.distribute.MirroredStrategy(["/gpu:1"]).num_replicas_in_sync == 1
    with s.scope():
        v = tf.Variable([1.0, 2.0])
        assert tf.distribute.get_strategy() is s
    assert v.device == GPU0  # one copy, on the first device


def test_default_is_one_replica_without_several_gpus():
    assert tf.distribute.MirroredStrategy().num_replicas_in_sync == 1


def test_bad_device_names(gpus):
    with pytest.raises(ValueError, match="parsing the device spec"):
        tf.distribute.MirroredStrategy(["foo", "bar"])
    with pytest.raises(AssertionError, match="No duplicates"):
        tf.distribute.MirroredStrategy(["/gpu:0", "/GPU:0"])
    with pytest.raises(ValueError, match="does not exist"):
        tf.distribute.MirroredStrategy(["/gpu:0", "/gpu:5"])


def test_run_gives_per_replica_results_on_each_device(strategy):
    def fn(x):
        ctx = tf.distribute.get_replica_context()
        return {"id": tf.cast(ctx.replica_id_in_sync_group, tf.float32), "y": x * 2.0,
                "n": tf.constant(float(ctx.num_replicas_in_sync))}

    out = strategy.run(fn, args=(tf.constant([1.0, 2.0]),))
    assert isinstance(out["y"], tf.distribute.PerReplica)
    assert [int(v) for v in out["id"].values] == [0, 1]
    assert [v.device for v in out["y"].values] == [GPU0, GPU1]
    assert float(out["n"].values[1]) == 2.0
    local = strategy.experimental_local_results(out)
    assert len(local) == 2 and local[1]["y"].device == GPU1
    plain = tf.constant(1.0)
    assert strategy.experimental_local_results(plain) == (plain,)
    np.testing.assert_array_equal(strategy.reduce("SUM", out["y"], axis=None).numpy(),
                                  [4.0, 8.0])
    assert float(strategy.reduce("MEAN", out["id"], axis=None)) == 0.5
    assert float(strategy.reduce(tf.distribute.ReduceOp.SUM, out["y"], axis=0)) == 12.0
    with pytest.raises(ValueError, match="non-DistributedValues"):
        strategy.reduce("SUM", tf.constant(1.0), axis=None)
    assert float(strategy.reduce("MEAN", tf.constant(3.0), axis=None)) == 3.0


def test_all_reduce_in_a_replica_is_not_supported(strategy):
    def fn():
        return tf.distribute.get_replica_context().all_reduce("SUM", tf.constant(1.0))

    with pytest.raises(NotImplementedError, match="one after another"):
        strategy.run(fn)


def test_distributed_dataset_splits_each_batch(strategy):
    x = np.arange(10, dtype=np.float32).reshape(5, 2)
    ds = tf.data.Dataset.from_tensor_slices(x).batch(5)
    (batch,) = list(strategy.experimental_distribute_dataset(ds))
    assert [v.device for v in batch.values] == [GPU0, GPU1]
    np.testing.assert_array_equal(batch.values[0].numpy(), x[:3])  # uneven: 3 then 2 rows
    np.testing.assert_array_equal(batch.values[1].numpy(), x[3:])
    mean = strategy.reduce("MEAN", batch, axis=0)  # over all 5 rows
    np.testing.assert_allclose(mean.numpy(), x.mean(axis=0))

    seen = []

    def dataset_fn(ctx):
        seen.append((ctx.num_input_pipelines, ctx.num_replicas_in_sync))
        return tf.data.Dataset.range(5).batch(1)

    elements = list(strategy.distribute_datasets_from_function(dataset_fn))
    assert seen == [(1, 2)]
    assert [[int(v.numpy()[0]) for v in e.values] for e in elements] == [[0, 1], [2, 3]]
    values = strategy.experimental_distribute_values_from_function(
        lambda ctx: tf.constant([ctx.replica_id_in_sync_group]))
    assert [v.device for v in values.values] == [GPU0, GPU1]
    assert [int(v.numpy()[0]) for v in values.values] == [0, 1]


def _data(n=23):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.1).astype(np.float32)
    return x, y


def _single_device_loop(make_opt, batches):
    w = tf.Variable(np.ones((3, 1), np.float32))
    opt = make_opt()
    for xb, yb in batches:
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.reduce_sum((tf.matmul(xb, w) - yb) ** 2, axis=1))
        opt.apply_gradients(zip(tape.gradient(loss, [w]), [w]))
    return w.numpy(), int(opt.iterations)


@pytest.mark.parametrize("traced", [False, True], ids=["eager", "tf.function"])
@pytest.mark.parametrize("make_opt", [lambda: tf.keras.optimizers.SGD(0.05),
                                      lambda: tf.keras.optimizers.Adam(0.05)],
                         ids=["sgd", "adam"])
def test_custom_loop_equals_single_device(strategy, make_opt, traced):
    x, y = _data()
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(5)  # last global batch: 3 rows
    with strategy.scope():
        w = tf.Variable(np.ones((3, 1), np.float32))
        opt = make_opt()

    def step(xb, yb):
        with tf.GradientTape() as tape:
            per_example = tf.reduce_sum((tf.matmul(xb, w) - yb) ** 2, axis=1)
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=gbs)
        grads = tape.gradient(loss, [w])
        assert grads[0].device == GPU0  # the copy's gradient returns to the variable
        opt.apply_gradients(zip(grads, [w]))
        return loss

    def distributed_step(batch):
        losses = strategy.run(step, args=batch)
        return strategy.reduce("SUM", losses, axis=None)

    if traced:
        distributed_step = tf.function(distributed_step)
    losses = []
    for batch in strategy.experimental_distribute_dataset(ds):
        gbs = sum(int(v.shape[0]) for v in batch[0].values)
        losses.append(float(distributed_step(batch)))
    if traced:  # two signatures (full and short batch), each replayed as a plan
        assert distributed_step.experimental_get_tracing_count() == 2
        assert all(c.eager_reason is None for c in distributed_step._cache.values())
    ref_w, ref_steps = _single_device_loop(make_opt, ds)
    assert int(opt.iterations) == ref_steps == 5  # one update per global batch
    assert w.device == GPU0
    np.testing.assert_allclose(w.numpy(), ref_w, rtol=1e-5, atol=1e-6)
    assert all(np.isfinite(losses))


def test_tf_function_step_inside_run_is_traced_per_replica(strategy):
    x, y = _data(20)
    with strategy.scope():
        w = tf.Variable(np.ones((3, 1), np.float32))
        opt = tf.keras.optimizers.SGD(0.05)

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            per_example = tf.reduce_sum((tf.matmul(xb, w) - yb) ** 2, axis=1)
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=4)
        opt.apply_gradients(zip(tape.gradient(loss, [w]), [w]))
        return loss

    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    for batch in strategy.experimental_distribute_dataset(ds):
        out = strategy.run(step, args=batch)
        assert [v.device for v in out.values] == [GPU0, GPU1]
    ref_w, _ = _single_device_loop(lambda: tf.keras.optimizers.SGD(0.05), ds)
    np.testing.assert_allclose(w.numpy(), ref_w, rtol=1e-5, atol=1e-6)
    assert int(opt.iterations) == 5


def _fit(strategy, x, y, run_eagerly=False):
    tf.random.set_seed(3)
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        model = tf.keras.Sequential([tf.keras.layers.Input((6,)),
                                     tf.keras.layers.Dense(8, activation="relu"),
                                     tf.keras.layers.Dense(2)])
        model.compile(tf.keras.optimizers.Adam(0.01),
                      tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"], run_eagerly=run_eagerly)
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, shuffle=False)
    evaluation = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    return model, history.history, evaluation


@pytest.mark.parametrize("run_eagerly", [False, True], ids=["traced", "eager"])
def test_fit_equals_single_device_fit(strategy, run_eagerly):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(51, 6)).astype(np.float32)  # last batch: 3 rows, split 2 + 1
    y = (x[:, 0] - x[:, 2] > 0).astype(np.int32)
    model, hist, ev = _fit(strategy, x, y, run_eagerly)
    ref_model, ref_hist, ref_ev = _fit(None, x, y, run_eagerly)
    assert model.weights[0].device == GPU0
    for w, r in zip(model.weights, ref_model.weights):
        np.testing.assert_allclose(w.numpy(), r.numpy(), rtol=1e-5, atol=1e-6)
    assert sorted(hist) == sorted(ref_hist) == ["accuracy", "loss"]
    for k in hist:
        np.testing.assert_allclose(hist[k], ref_hist[k], rtol=1e-5)
    for k in ev:
        np.testing.assert_allclose(ev[k], ref_ev[k], rtol=1e-5)
    assert int(model.optimizer.iterations) == int(ref_model.optimizer.iterations) == 12


def test_fit_batch_smaller_than_replicas_is_refused(strategy):
    x = np.zeros((3, 6), np.float32)
    y = np.zeros((3,), np.int32)
    with strategy.scope():
        model = tf.keras.Sequential([tf.keras.layers.Input((6,)), tf.keras.layers.Dense(2)])
        model.compile("sgd", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(ValueError, match="at least one example"):
        model.fit(x, y, batch_size=1, epochs=1, verbose=0)


def test_fit_refuses_loss_scale_optimizer(strategy):
    x = np.zeros((4, 6), np.float32)
    y = np.zeros((4,), np.int32)
    with strategy.scope():
        model = tf.keras.Sequential([tf.keras.layers.Input((6,)), tf.keras.layers.Dense(2)])
        opt = tf.keras.mixed_precision.LossScaleOptimizer(tf.keras.optimizers.SGD())
        model.compile(opt, tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(NotImplementedError, match="LossScaleOptimizer"):
        model.fit(x, y, batch_size=4, epochs=1, verbose=0)


def test_loss_helpers_divide_by_the_replicas_in_the_scope(strategy):
    per_example = tf.constant([1.0, 2.0, 3.0, 4.0])
    with strategy.scope():  # tf.nn reads the replica count from the core, not tf.distribute
        assert float(tf.nn.compute_average_loss(per_example)) == pytest.approx(10.0 / 8)
        assert float(tf.nn.scale_regularization_loss(3.0)) == 1.5
    assert float(tf.nn.compute_average_loss(per_example)) == 2.5
