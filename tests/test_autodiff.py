"""tf.autodiff.ForwardAccumulator: Jacobian-vector products equal central differences in
the tangent's direction, and the Jacobian from a tape times the tangent (TF's recorded
outcomes are in tests/test_tf_behaviour.py, cases ``jvp_*`` and ``hvp_*``)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tapeflow as tf

FUNCS = {
    "tanh_matmul": lambda x: tf.tanh(x @ tf.transpose(x)) * 2.0,
    "softplus_sum": lambda x: tf.reduce_sum(tf.nn.softplus(x), axis=0),
    "exp_div": lambda x: tf.exp(x) / (1.0 + x * x),
    "logsumexp": lambda x: tf.reduce_logsumexp(x, axis=-1),
    "slice_concat": lambda x: tf.concat([x[:, :1] * 3.0, tf.sin(x)], axis=1),
    "svd": lambda x: tf.linalg.svd(x, compute_uv=False),
}


def _jvp(fn, x, v):
    primal = tf.constant(x)
    with tf.autodiff.ForwardAccumulator(primal, tf.constant(v)) as acc:
        y = fn(primal)
    return acc.jvp(y).numpy()


@settings(max_examples=20, deadline=None)
@given(name=st.sampled_from(sorted(FUNCS)), seed=st.integers(0, 2**16))
def test_jvp_equals_central_differences(name, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3, 2))
    v = rng.normal(size=(3, 2))
    fn = FUNCS[name]
    eps = 1e-6
    numeric = (fn(tf.constant(x + eps * v)).numpy() - fn(tf.constant(x - eps * v)).numpy()) / (
        2 * eps)
    np.testing.assert_allclose(_jvp(fn, x, v), numeric, rtol=1e-5, atol=1e-7)


def test_jvp_equals_jacobian_times_tangent():
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(4,)))
    v = rng.normal(size=(4,))
    fn = FUNCS["exp_div"]
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    jac = tape.jacobian(y, x).numpy()
    np.testing.assert_allclose(_jvp(fn, x.numpy(), v), jac @ v, rtol=1e-12)


def test_variables_and_several_primals():
    w = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    b = tf.Variable([0.5, -0.5])
    with tf.autodiff.ForwardAccumulator([w, b], [tf.ones([2, 2]), tf.constant([1.0, 0.0])]) as acc:
        y = tf.reduce_sum(tf.matmul(w, w) + b)
    # d/dt sum((w + tV)^2 + b + t e0) at t=0 = sum(V w + w V) + 2 (b's tangent broadcast)
    assert float(acc.jvp(y)) == pytest.approx(40.0 + 2.0)


def test_bad_tangents_are_clear_errors():
    x = tf.constant([1.0, 2.0])
    with pytest.raises(ValueError, match="tangent's shape"):
        tf.autodiff.ForwardAccumulator(x, tf.constant([1.0]))
    with pytest.raises(ValueError, match="same structure"):
        tf.autodiff.ForwardAccumulator([x, x * 2.0], [x])
    with pytest.raises(ValueError, match="multiple times"):
        tf.autodiff.ForwardAccumulator([x, x], [x, x])
    assert tf.autodiff.GradientTape is tf.GradientTape
