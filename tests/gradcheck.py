"""Shared test helper: compare tapeflow's gradients with float64 central finite differences.

``check_grad(fn, *arrays)`` treats every float array as a differentiable input, computes
``sum(fn(*tensors) * w)`` for a fixed random ``w`` (so symmetric errors cannot cancel), and
compares tape gradients with central differences. ``second_order=True`` also checks the
gradient of the gradient through nested tapes.
"""
import numpy as np

import tapeflow as tf


def _weights(shape, seed=1234):
    return np.random.default_rng(seed).uniform(0.5, 1.5, size=shape)


def _scalar(fn, arrays, w):
    out = fn(*[tf.constant(a) for a in arrays])
    return float(np.sum(np.asarray(out, dtype=np.float64) * w))


def numeric_grad(fn, arrays, w, index, eps=1e-6):
    a = arrays[index]
    g = np.zeros_like(a, dtype=np.float64)
    flat = g.reshape(-1)
    for i in range(a.size):
        plus = [x.copy() for x in arrays]
        minus = [x.copy() for x in arrays]
        plus[index].reshape(-1)[i] += eps
        minus[index].reshape(-1)[i] -= eps
        flat[i] = (_scalar(fn, plus, w) - _scalar(fn, minus, w)) / (2 * eps)
    return g


def tape_grad(fn, arrays, w):
    ts = [tf.constant(a) for a in arrays]
    with tf.GradientTape() as tape:
        for t, a in zip(ts, arrays):
            if a.dtype.kind == "f":
                tape.watch(t)
        out = fn(*ts)
        loss = tf.reduce_sum(out * tf.constant(w, dtype=out.dtype))
    return tape.gradient(loss, ts)


def check_grad(fn, *arrays, eps=1e-6, rtol=1e-5, atol=1e-6, second_order=False):
    """Assert tape gradients of ``fn`` match central differences for each float input."""
    arrays = [np.asarray(a) for a in arrays]
    arrays = [a.astype(np.float64) if a.dtype.kind == "f" else a for a in arrays]
    out = fn(*[tf.constant(a) for a in arrays])
    w = _weights(np.shape(np.asarray(out)))
    grads = tape_grad(fn, arrays, w)
    for i, a in enumerate(arrays):
        if a.dtype.kind != "f":
            continue
        expected = numeric_grad(fn, arrays, w, i, eps)
        got = grads[i]
        assert got is not None, f"gradient for input {i} is None"
        assert tuple(got.shape) == a.shape, f"input {i}: grad shape {got.shape} vs {a.shape}"
        np.testing.assert_allclose(got.numpy(), expected, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i}")
    if second_order:
        check_second_order(fn, *arrays, eps=eps, rtol=max(rtol, 1e-4), atol=max(atol, 1e-5))


def check_second_order(fn, *arrays, eps=1e-5, rtol=1e-4, atol=1e-5):
    """Gradient of sum(grad * v) through nested tapes vs finite differences of the grad."""
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    out = fn(*[tf.constant(a) for a in arrays])
    w = _weights(np.shape(np.asarray(out)))
    vs = [_weights(a.shape, seed=99 + i) for i, a in enumerate(arrays)]

    def first(*ts):
        with tf.GradientTape() as inner:
            for t in ts:
                inner.watch(t)
            loss = tf.reduce_sum(fn(*ts) * tf.constant(w))
        gs = inner.gradient(loss, list(ts))
        total = tf.constant(0.0, dtype=tf.float64)
        for g, v in zip(gs, vs):
            if g is not None:
                total = total + tf.reduce_sum(g * tf.constant(v))
        return total

    check_grad(first, *arrays, eps=eps, rtol=rtol, atol=atol)
