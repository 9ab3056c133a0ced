"""tf.function plans replayed as CUDA graphs give what eager execution gives, and fall back
where a graph cannot replay them."""
import numpy as np

import tapeflow as tf


def _step_fn(w, b, lr):
    def step(x, y):
        with tf.GradientTape() as tape:
            pred = tf.matmul(x, w) + b
            loss = tf.reduce_mean(tf.square(pred - y))
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(lr * gw)
        b.assign_sub(lr * gb)
        return loss
    return step


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype(np.float32)
    y = (x @ rng.normal(size=(8, 1))).astype(np.float32)
    return tf.constant(x), tf.constant(y)


def _elementwise_step_fn(w, b, lr):
    def step(x, y):
        with tf.GradientTape() as tape:
            pred = x * w + b  # no matmul: CuPy refuses cuBLAS calls during stream capture
            loss = tf.reduce_mean(tf.square(pred - y))
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(lr * gw)
        b.assign_sub(lr * gb)
        return loss
    return step


def test_graph_replay_matches_eager():
    x, y = _data()
    y = y + x  # (64, 8): an elementwise model can fit it
    w1, b1 = tf.Variable(tf.zeros((8,))), tf.Variable(tf.zeros((8,)))
    w2, b2 = tf.Variable(tf.zeros((8,))), tf.Variable(tf.zeros((8,)))
    eager = _elementwise_step_fn(w1, b1, 0.1)
    traced = tf.function(_elementwise_step_fn(w2, b2, 0.1))
    held = w2.value()  # a tensor read before the steps keeps its value
    for _ in range(6):
        le, lt = eager(x, y), traced(x, y)
        np.testing.assert_allclose(lt.numpy(), le.numpy(), rtol=1e-5)
    np.testing.assert_allclose(w2.numpy(), w1.numpy(), rtol=1e-5)
    assert np.all(held.numpy() == 0)
    concrete = traced.get_concrete_function(x, y)
    runner = concrete._gpu
    assert runner is not None and runner.graph is not None and not runner.failed
    w2.assign(tf.ones((8,)))  # an update outside the graph is seen by the next launch
    w1.assign(tf.ones((8,)))
    np.testing.assert_allclose(traced(x, y).numpy(), eager(x, y).numpy(), rtol=1e-5)
    np.testing.assert_allclose(b2.numpy(), b1.numpy(), rtol=1e-5)


def test_a_plan_whose_capture_fails_runs_as_python_with_equal_results():
    # CuPy 14 raises NotImplementedError for cuBLAS calls (matmul) during stream capture:
    # the runner then gives up capturing that plan for good and runs it as Python.
    x, y = _data()
    w1, b1 = tf.Variable(tf.zeros((8, 1))), tf.Variable(tf.zeros((1,)))
    w2, b2 = tf.Variable(tf.zeros((8, 1))), tf.Variable(tf.zeros((1,)))
    eager = _step_fn(w1, b1, 0.1)
    traced = tf.function(_step_fn(w2, b2, 0.1))
    for _ in range(6):
        np.testing.assert_allclose(traced(x, y).numpy(), eager(x, y).numpy(), rtol=1e-5)
    np.testing.assert_allclose(w2.numpy(), w1.numpy(), rtol=1e-5)
    np.testing.assert_allclose(b2.numpy(), b1.numpy(), rtol=1e-5)
    runner = traced.get_concrete_function(x, y)._gpu
    assert runner is not None and (runner.failed or runner.graph is not None)


def test_plans_with_effects_or_random_ops_do_not_capture():
    x, _ = _data()

    @tf.function
    def noisy(a):
        return a + tf.random.normal(tf.shape(a))

    noisy(x)
    noisy(x)
    assert noisy.get_concrete_function(x)._gpu is None
    a, b = noisy(x).numpy(), noisy(x).numpy()
    assert not np.array_equal(a, b)  # a fresh draw per call, not one frozen in a graph
