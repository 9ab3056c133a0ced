"""tf.nn: activation values and gradients, stable softmax and cross-entropies, dropout,
moments, bias_add and normalisation, errors for bad input, optional parity with TensorFlow."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tapeflow as tf
from gradcheck import check_grad

SELU_SCALE = 1.0507009873554805
SELU_ALPHA = 1.6732632423543772
ERF = np.vectorize(math.erf)


def away_from(x, kinks, gap=0.05):
    """``x`` with every element at least ``gap`` from each kink (for finite differences)."""
    x = np.array(x, dtype=np.float64)
    for k in kinks:
        near = np.abs(x - k) < gap
        x[near] = k + np.where(x[near] >= k, gap, -gap) * 2
    return x


def grad_of(fn, x):
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    return tape.gradient(y, x).numpy()


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_log_softmax(x, axis=-1):
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


def gelu_exact(x):
    return 0.5 * x * (1 + ERF(x / np.sqrt(2)))


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


ACTIVATIONS = {
    "relu": (tf.nn.relu, lambda x: np.maximum(x, 0), [0.0]),
    "relu6": (tf.nn.relu6, lambda x: np.clip(x, 0, 6), [0.0, 6.0]),
    "leaky_relu": (tf.nn.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x), [0.0]),
    "elu": (tf.nn.elu, lambda x: np.where(x > 0, x, np.expm1(x)), [0.0]),
    "selu": (tf.nn.selu, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)),
             [0.0]),
    "softplus": (tf.nn.softplus, lambda x: np.logaddexp(0, x), []),
    "softsign": (tf.nn.softsign, lambda x: x / (1 + np.abs(x)), [0.0]),
    "silu": (tf.nn.silu, lambda x: x / (1 + np.exp(-x)), []),
    "swish": (tf.nn.swish, lambda x: x / (1 + np.exp(-x)), []),
    "sigmoid": (tf.nn.sigmoid, lambda x: 1 / (1 + np.exp(-x)), []),
    "tanh": (tf.nn.tanh, np.tanh, []),
    "gelu": (tf.nn.gelu, gelu_exact, []),
    "gelu_tanh": (lambda x: tf.nn.gelu(x, approximate=True), gelu_tanh, []),
}


# -- activations ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_values_and_dtype(name, dtype):
    fn, ref, _ = ACTIVATIONS[name]
    x = np.linspace(-8, 8, 41).astype(dtype)
    y = fn(tf.constant(x))
    assert y.dtype == tf.as_dtype(dtype)
    tol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y.numpy(), ref(x.astype(np.float64)), rtol=tol * 5, atol=tol)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_gradients(name):
    fn, _, kinks = ACTIVATIONS[name]
    x = away_from(np.random.default_rng(3).normal(scale=3.0, size=(3, 4)), kinks)
    check_grad(fn, x)


@pytest.mark.parametrize("name", ["elu", "selu", "softplus", "softsign", "gelu", "gelu_tanh",
                                  "silu"])
def test_activation_second_order(name):
    fn, _, kinks = ACTIVATIONS[name]
    x = away_from(np.random.default_rng(4).normal(scale=2.0, size=(5,)), kinks)
    check_grad(fn, x, second_order=True)


def test_gradients_at_kinks_match_tf():
    x = np.array([-1.0, 0.0, 1.0, 6.0, 7.0], dtype=np.float32)
    np.testing.assert_array_equal(grad_of(tf.nn.relu, x), [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(grad_of(tf.nn.relu6, x), [0, 0, 1, 0, 0])
    np.testing.assert_allclose(grad_of(tf.nn.leaky_relu, x), [0.2, 0.2, 1, 1, 1])
    np.testing.assert_allclose(grad_of(tf.nn.elu, x), [np.exp(-1), 1, 1, 1, 1], rtol=1e-6)
    np.testing.assert_allclose(grad_of(tf.nn.selu, x)[1:], [SELU_SCALE] * 4, rtol=1e-6)
    np.testing.assert_allclose(grad_of(tf.nn.softsign, x)[1], 1.0)
    np.testing.assert_allclose(grad_of(tf.nn.softplus, x)[1], 0.5)
    np.testing.assert_allclose(grad_of(tf.nn.gelu, x)[1], 0.5)


def test_relu_keeps_integers_and_nan():
    out = tf.nn.relu(tf.constant([1, -2, 0], dtype=tf.int32))
    assert out.dtype == tf.int32
    np.testing.assert_array_equal(out.numpy(), [1, 0, 0])
    assert tf.nn.relu6(tf.constant([9, -2], dtype=tf.int64)).numpy().tolist() == [6, 0]
    assert np.isnan(tf.nn.relu([np.nan]).numpy()[0])
    assert np.isnan(tf.nn.relu6([np.nan]).numpy()[0])


def test_leaky_relu_alpha_and_int_cast():
    np.testing.assert_allclose(tf.nn.leaky_relu([-1.0, 2.0], alpha=2.0).numpy(), [-2, 2])
    out = tf.nn.leaky_relu(tf.constant([-1], dtype=tf.int64))
    assert out.dtype == tf.float32 and np.isclose(out.numpy()[0], -0.2)
    with pytest.raises(TypeError, match="alpha"):
        tf.nn.leaky_relu([-1.0], alpha=tf.constant(0.3))


def test_silu_beta():
    x = np.array([-1.0, 0.0, 1.5])
    np.testing.assert_allclose(tf.nn.silu(x, beta=2.0).numpy(), x / (1 + np.exp(-2 * x)))
    check_grad(lambda x: tf.nn.silu(x, beta=2.0), x)


def test_stable_at_extremes():
    big = np.array([-1e4, -100.0, 0.0, 100.0, 1e4], dtype=np.float32)
    for fn in (tf.nn.softplus, tf.nn.elu, tf.nn.selu, tf.nn.silu, tf.nn.gelu, tf.nn.sigmoid):
        assert np.all(np.isfinite(fn(big).numpy())), fn
    np.testing.assert_allclose(tf.nn.softplus(big).numpy(), [0, np.exp(-100), np.log(2), 100, 1e4],
                               rtol=1e-6, atol=1e-40)
    # the erfc form keeps the tiny negative tail of gelu
    assert tf.nn.gelu(tf.constant([-10.0], tf.float64)).numpy()[0] < 0


@pytest.mark.parametrize("name,opname", [
    ("elu", "Elu"), ("selu", "Selu"), ("softplus", "Softplus"), ("softsign", "Softsign"),
    ("silu", "Sigmoid"), ("sigmoid", "Sigmoid"), ("softmax", "Softmax"),
    ("log_softmax", "LogSoftmax"), ("l2_loss", "L2Loss"),
])
def test_integer_input_rejected(name, opname):
    with pytest.raises(tf.errors.InvalidArgumentError, match=f"int32.*Op:{opname}"):
        getattr(tf.nn, name)(tf.constant([1, -2, 0]))


def test_bool_relu_and_int_gelu_rejected():
    with pytest.raises(tf.errors.InvalidArgumentError, match="bool.*Op:Relu"):
        tf.nn.relu([True])
    with pytest.raises(ValueError, match="floating point"):
        tf.nn.gelu(tf.constant([1, 2]))


# -- softmax -------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:invalid value")
def test_softmax_huge_logits():
    np.testing.assert_array_equal(tf.nn.softmax([[1000.0, 0.0]]).numpy(), [[1.0, 0.0]])
    np.testing.assert_array_equal(tf.nn.log_softmax([[1000.0, 0.0]]).numpy(), [[0.0, -1000.0]])
    np.testing.assert_array_equal(tf.nn.softmax([[-np.inf, 0.0]]).numpy(), [[0.0, 1.0]])
    assert np.all(np.isnan(tf.nn.softmax([[-np.inf, -np.inf]]).numpy()))


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                  elements=st.floats(-1e300, 1e300)), st.integers(-1, 0))
def test_softmax_finite_and_normalised(x, axis):
    y = tf.nn.softmax(x, axis=axis).numpy()
    assert np.all(np.isfinite(y)) and np.all(y >= 0)
    np.testing.assert_allclose(y.sum(axis=axis), 1.0, rtol=1e-12)
    ly = tf.nn.log_softmax(x, axis=axis).numpy()
    assert not np.any(np.isnan(ly)) and np.all(ly <= 0)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_values_and_gradients(axis):
    x = np.random.default_rng(5).normal(size=(3, 4, 2))
    np.testing.assert_allclose(tf.nn.softmax(x, axis=axis).numpy(), np_softmax(x, axis))
    np.testing.assert_allclose(tf.nn.log_softmax(x, axis=axis).numpy(), np_log_softmax(x, axis))
    check_grad(lambda t: tf.nn.softmax(t, axis=axis), x, second_order=True)
    check_grad(lambda t: tf.nn.log_softmax(t, axis=axis), x, second_order=True)


def test_softmax_axis_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"range \[-2, 2\).*dim=5"):
        tf.nn.softmax(tf.ones([2, 3]), axis=5)
    with pytest.raises(tf.errors.AbortedError):
        tf.nn.softmax(tf.constant(1.0))


# -- cross-entropies -----------------------------------------------------------------------------
def test_sigmoid_cross_entropy_values_and_grads():
    rng = np.random.default_rng(6)
    x, z = rng.normal(scale=3, size=(4, 3)), rng.uniform(size=(4, 3))
    ref = np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))
    out = tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x)
    np.testing.assert_allclose(out.numpy(), ref)
    np.testing.assert_allclose(out.numpy(), -z * np.log(1 / (1 + np.exp(-x)))
                               - (1 - z) * np.log(1 - 1 / (1 + np.exp(-x))), rtol=1e-9)
    check_grad(lambda lab, lg: tf.nn.sigmoid_cross_entropy_with_logits(lab, lg), z, x,
               second_order=True)


def test_sigmoid_cross_entropy_extreme_and_errors():
    out = tf.nn.sigmoid_cross_entropy_with_logits(labels=[0.0, 1.0, 1.0],
                                                  logits=[1e4, -1e4, 1e4])
    np.testing.assert_array_equal(out.numpy(), [1e4, 1e4, 0.0])
    g = grad_of(lambda t: tf.nn.sigmoid_cross_entropy_with_logits([0.0, 1.0, 1.0], t),
                np.array([1e4, -1e4, 1e4], np.float32))
    np.testing.assert_array_equal(g, [1.0, -1.0, 0.0])
    with pytest.raises(ValueError, match="same shape"):
        tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.zeros([2, 3]), logits=tf.zeros([2, 4]))
    with pytest.raises(ValueError, match="must be provided"):
        tf.nn.sigmoid_cross_entropy_with_logits(logits=[1.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="float64"):
        tf.nn.sigmoid_cross_entropy_with_logits(np.array([1.0]), tf.constant([1.0]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32"):
        tf.nn.sigmoid_cross_entropy_with_logits([0, 1], [1, 2])


def test_weighted_cross_entropy():
    rng = np.random.default_rng(7)
    x, z = rng.normal(scale=2, size=(3, 4)), rng.uniform(size=(3, 4))
    p = 1 / (1 + np.exp(-x))
    ref = -(3.0 * z * np.log(p) + (1 - z) * np.log(1 - p))
    out = tf.nn.weighted_cross_entropy_with_logits(z, x, pos_weight=3.0)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-9)
    check_grad(lambda lg: tf.nn.weighted_cross_entropy_with_logits(z, lg, 3.0), x)


def _normalised(rng, shape, axis=-1):
    z = rng.uniform(size=shape)
    return z / z.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_cross_entropy_values_and_grads(axis):
    rng = np.random.default_rng(8)
    x, z = rng.normal(size=(3, 4)), _normalised(rng, (3, 4), axis)
    out = tf.nn.softmax_cross_entropy_with_logits(z, x, axis=axis)
    np.testing.assert_allclose(out.numpy(), -(z * np_log_softmax(x, axis)).sum(axis=axis))
    check_grad(lambda lab, lg: tf.nn.softmax_cross_entropy_with_logits(lab, lg, axis=axis),
               z, x, second_order=True)


def test_softmax_cross_entropy_broadcast_cast_and_extremes():
    out = tf.nn.softmax_cross_entropy_with_logits([[0, 1]], [[1.0, 2.0], [3.0, 1.0]])
    assert out.dtype == tf.float32 and out.shape == (2,)
    np.testing.assert_allclose(out.numpy(), [np.log1p(np.exp(-1)), np.log1p(np.exp(2))],
                               rtol=1e-6)
    ext = tf.nn.softmax_cross_entropy_with_logits([[0.0, 1.0]], [[1e4, -1e4]])
    np.testing.assert_array_equal(ext.numpy(), [2e4])
    g = grad_of(lambda t: tf.nn.softmax_cross_entropy_with_logits([[0.0, 1.0]], t),
                np.array([[1e4, -1e4]], np.float32))
    np.testing.assert_array_equal(g, [[1.0, -1.0]])
    # batch of logits with one broadcast label row: the labels' gradient is summed back
    x = np.random.default_rng(9).normal(size=(3, 4))
    check_grad(lambda lab, lg: tf.nn.softmax_cross_entropy_with_logits(lab, lg),
               np.full((1, 4), 0.25), x)


def test_softmax_cross_entropy_unnormalised_labels_gradient_is_tf_s():
    x, z = np.array([[1.0, 2.0, 3.0]]), np.array([[0.5, 0.0, 0.0]])
    g = grad_of(lambda t: tf.nn.softmax_cross_entropy_with_logits(z, t), x)
    np.testing.assert_allclose(g, np_softmax(x) - z)  # TF's rule: softmax - labels


def test_softmax_cross_entropy_errors():
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"broadcastable: logits_size=\[2,4\] labels_size=\[2,3\]"):
        tf.nn.softmax_cross_entropy_with_logits(tf.zeros([2, 3]), tf.zeros([2, 4]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32"):
        tf.nn.softmax_cross_entropy_with_logits([[0, 1]], [[1, 2]])
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.nn.softmax_cross_entropy_with_logits(tf.ones([2, 3]), tf.zeros([2, 3]), axis=2)


def test_sparse_softmax_cross_entropy_values_and_grads():
    rng = np.random.default_rng(10)
    x = rng.normal(size=(2, 3, 5))
    labels = rng.integers(0, 5, size=(2, 3)).astype(np.int32)
    out = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, x)
    ref = -np.take_along_axis(np_log_softmax(x), labels[..., None], -1)[..., 0]
    np.testing.assert_allclose(out.numpy(), ref)
    check_grad(lambda lg: tf.nn.sparse_softmax_cross_entropy_with_logits(labels, lg), x,
               second_order=True)
    one = tf.nn.sparse_softmax_cross_entropy_with_logits(1, [0.0, 0.0])
    assert one.shape == () and np.isclose(one.numpy(), np.log(2))
    empty = tf.nn.sparse_softmax_cross_entropy_with_logits(tf.zeros([0], tf.int32),
                                                           tf.zeros([0, 3]))
    assert empty.shape == (0,)


def test_sparse_softmax_cross_entropy_second_order_matches_tf():
    lg = tf.constant([[1.0, 2.0, 3.0]])
    with tf.GradientTape() as outer:
        outer.watch(lg)
        with tf.GradientTape() as inner:
            inner.watch(lg)
            y = tf.nn.sparse_softmax_cross_entropy_with_logits(tf.constant([1]), lg)
        s = tf.reduce_sum(inner.gradient(y, lg) * tf.constant([[1.0, 2.0, 3.0]]))
    np.testing.assert_allclose(outer.gradient(s, lg).numpy(),
                               [[-0.14181706, -0.14077029, 0.28258762]], rtol=1e-5)


def test_sparse_softmax_cross_entropy_extremes():
    out = tf.nn.sparse_softmax_cross_entropy_with_logits([0, 1], [[1e4, -1e4], [1e4, -1e4]])
    np.testing.assert_array_equal(out.numpy(), [0.0, 2e4])


@pytest.mark.parametrize("labels,bad", [
    ([10, 1], 10), ([-1, 1], -1), ([1, 12, 11, 10], 12), ([12, -1, 10, -2], -2),
])
def test_sparse_labels_out_of_range(labels, bad):
    values = " ".join(str(v) for v in labels)
    msg = (f"Received a label value of {bad} which is outside the valid range of [0, 10).  "
           f"Label values: {values}")
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels, tf.zeros([len(labels), 10]))
    assert msg in str(e.value)


def test_sparse_cross_entropy_other_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="'Tlabels' of float32"):
        tf.nn.sparse_softmax_cross_entropy_with_logits([1.0, 1.0], tf.zeros([2, 10]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="'T' of int32"):
        tf.nn.sparse_softmax_cross_entropy_with_logits([1, 1], tf.zeros([2, 10], tf.int32))
    with pytest.raises(ValueError, match="except for the last dimension"):
        tf.nn.sparse_softmax_cross_entropy_with_logits([1, 1, 1], tf.zeros([2, 10]))
    with pytest.raises(ValueError, match="cannot be a scalar"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(1, 0.0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least one class"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(tf.zeros([2], tf.int32), tf.zeros([2, 0]))


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.float32, (3, 4), elements=st.floats(-2.0**100, 2.0**100, width=32)),
       hnp.arrays(np.int32, (3,), elements=st.integers(0, 3)))
def test_cross_entropies_finite(x, labels):
    z = np.eye(4, dtype=np.float32)[labels]
    sparse = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, x).numpy()
    dense = tf.nn.softmax_cross_entropy_with_logits(z, x).numpy()
    sig = tf.nn.sigmoid_cross_entropy_with_logits(z, x).numpy()
    assert np.all(np.isfinite(sparse)) and np.all(sparse >= 0)
    np.testing.assert_allclose(dense, sparse, rtol=1e-6, atol=1e-6)
    assert np.all(np.isfinite(sig)) and np.all(sig >= 0)
    g = grad_of(lambda t: tf.nn.sparse_softmax_cross_entropy_with_logits(labels, t), x)
    assert np.all(np.isfinite(g))


# -- dropout -------------------------------------------------------------------------------------
def test_dropout_rate_zero_is_identity():
    x = tf.constant([1.0, 2.0, 3.0])
    assert tf.nn.dropout(x, 0.0) is x
    np.testing.assert_array_equal(tf.nn.dropout(x, tf.constant(0.0)).numpy(), x.numpy())
    v = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = tf.nn.dropout(v, 0.0)
    assert type(y) is tf.Tensor
    np.testing.assert_array_equal(tape.gradient(y, v).numpy(), [1.0, 1.0])


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_dropout_statistics(rate):
    x = np.ones((200, 500), np.float32)
    y = tf.nn.dropout(x, rate, seed=1).numpy()
    kept = y != 0
    assert abs(kept.mean() - (1 - rate)) < 0.01
    np.testing.assert_allclose(y[kept], 1 / (1 - rate), rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.03


def test_dropout_gradient_is_mask_times_scale():
    x = tf.constant(np.arange(1.0, 101.0))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.dropout(x, 0.25)
    g = tape.gradient(y, x).numpy()
    kept = y.numpy() != 0
    np.testing.assert_allclose(g, np.where(kept, 1 / 0.75, 0.0))
    assert y.dtype == tf.float64


def test_dropout_noise_shape():
    y = tf.nn.dropout(tf.ones([50, 8]), 0.5, noise_shape=[50, 1]).numpy()
    assert np.all(y == y[:, :1])
    y = tf.nn.dropout(tf.ones([8, 50]), 0.5, noise_shape=[None, 1]).numpy()
    assert np.all(y == y[:, :1])
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.nn.dropout(tf.ones([3, 4]), 0.5, noise_shape=[2, 1])


def test_dropout_seeded_reproducible():
    tf.random.set_seed(3)
    a = tf.nn.dropout(tf.ones([100]), 0.5).numpy()
    b = tf.nn.dropout(tf.ones([100]), 0.5).numpy()
    tf.random.set_seed(3)
    np.testing.assert_array_equal(tf.nn.dropout(tf.ones([100]), 0.5).numpy(), a)
    np.testing.assert_array_equal(tf.nn.dropout(tf.ones([100]), 0.5).numpy(), b)
    assert not np.array_equal(a, b)
    tf.random.set_seed(None)


@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5])
def test_dropout_bad_rate(rate):
    with pytest.raises(ValueError, match=r"range \[0, 1\)"):
        tf.nn.dropout(tf.ones([3]), rate)


def test_dropout_other_errors():
    with pytest.raises(ValueError, match="floating point"):
        tf.nn.dropout(tf.constant([1, 2]), 0.5)
    with pytest.raises(ValueError, match="rank 0"):
        tf.nn.dropout(tf.ones([3]), tf.constant([0.5]))
    with pytest.raises(ValueError, match="compatible"):
        tf.nn.dropout(tf.ones([3]), tf.constant(0.5, tf.float64))
    with pytest.raises(ValueError, match="scalar"):
        tf.nn.dropout(tf.ones([3]), "a")


# -- moments, bias_add, l2, batch_normalization --------------------------------------------------
@pytest.mark.parametrize("axes,keepdims", [([0], False), ([0, 2], True), (1, False),
                                           ([0, 1, 2], False)])
def test_moments(axes, keepdims):
    x = np.random.default_rng(11).normal(size=(3, 4, 5))
    mean, var = tf.nn.moments(x, axes, keepdims=keepdims)
    ax = tuple(axes) if isinstance(axes, list) else axes
    np.testing.assert_allclose(mean.numpy(), x.mean(axis=ax, keepdims=keepdims))
    np.testing.assert_allclose(var.numpy(), x.var(axis=ax, keepdims=keepdims))
    check_grad(lambda t: tf.nn.moments(t, axes)[0] + 2.0 * tf.nn.moments(t, axes)[1],
               x[:2, :3, :2])


def test_moments_dtypes():
    m, v = tf.nn.moments(tf.constant([[1, 2], [4, 8]]), [0, 1])
    assert m.dtype == tf.int32 and (m.numpy(), v.numpy()) == (3, 7)
    m, v = tf.nn.moments(tf.constant([1.0, 2.0], tf.float16), [0])
    assert m.dtype == tf.float16 and (float(m), float(v)) == (1.5, 0.25)
    m, v = tf.nn.moments(tf.constant([[1.0, 2.0], [3.0, 5.0]]), axes=[0], shift=3.0)
    np.testing.assert_allclose(v.numpy(), [1.0, 2.25])


def test_bias_add():
    x, b = np.random.default_rng(12).normal(size=(2, 3, 4)), np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(tf.nn.bias_add(x, b).numpy(), x + b)
    check_grad(lambda t, c: tf.nn.bias_add(t, c), x, b)
    c = b[:3]
    np.testing.assert_allclose(tf.nn.bias_add(x, c, data_format="NCHW").numpy(),
                               x + c[:, None])
    check_grad(lambda t, c: tf.nn.bias_add(t, c, data_format="NCW"), x, c)
    out = tf.nn.bias_add(tf.ones([2, 3], tf.int32), [1, 2, 3])
    assert out.dtype == tf.int32 and out.numpy().tolist() == [[2, 3, 4]] * 2


def test_bias_add_errors():
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"as many biases .*: \[2\] vs. \[2,3\]"):
        tf.nn.bias_add(tf.ones([2, 3]), [1.0, 2.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"Biases must be 1D: \[1,3\]"):
        tf.nn.bias_add(tf.ones([2, 3]), [[1.0, 2.0, 3.0]])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"at least 2D: \[3\]"):
        tf.nn.bias_add(tf.ones([3]), [1.0, 2.0, 3.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="BiasAdd"):
        tf.nn.bias_add(tf.ones([2, 3]), tf.ones([3], tf.float64))
    with pytest.raises(ValueError, match="data_format"):
        tf.nn.bias_add(tf.ones([2, 3]), [1.0, 2.0, 3.0], data_format="XY")


def test_l2_loss_and_l2_normalize():
    assert float(tf.nn.l2_loss([1.0, 2.0, 3.0])) == 7.0
    assert float(tf.nn.l2_loss(3.0)) == 4.5
    x = np.random.default_rng(13).normal(size=(3, 4))
    check_grad(tf.nn.l2_loss, x, second_order=True)
    np.testing.assert_allclose(tf.nn.l2_normalize([[3.0, 4.0], [0.0, 1.0]], axis=1).numpy(),
                               [[0.6, 0.8], [0.0, 1.0]])
    np.testing.assert_array_equal(tf.nn.l2_normalize([0.0, 0.0]).numpy(), [0.0, 0.0])
    np.testing.assert_allclose(tf.nn.l2_normalize(x, axis=0).numpy(),
                               x / np.sqrt((x**2).sum(axis=0)))
    check_grad(lambda t: tf.nn.l2_normalize(t, axis=-1), x)
    with pytest.raises(TypeError):
        tf.nn.l2_normalize([3, 4])


def test_batch_normalization():
    rng = np.random.default_rng(14)
    x, mean, var = rng.normal(size=(4, 3)), rng.normal(size=3), rng.uniform(1, 2, size=3)
    off, sc = rng.normal(size=3), rng.normal(size=3)
    out = tf.nn.batch_normalization(x, mean, var, off, sc, 1e-3)
    np.testing.assert_allclose(out.numpy(), (x - mean) / np.sqrt(var + 1e-3) * sc + off)
    check_grad(lambda *a: tf.nn.batch_normalization(*a, 1e-3), x, mean, var, off, sc)
    np.testing.assert_allclose(
        tf.nn.batch_normalization(tf.constant([1.0, 2.0]), 1.0, 4.0, None, None, 0.0).numpy(),
        [0.0, 0.5])


def test_namespace():
    for name in tf.nn.__all__ if hasattr(tf.nn, "__all__") else []:
        assert callable(getattr(tf.nn, name)), name
    assert tf.nn.sigmoid is tf.math.sigmoid and tf.nn.tanh is tf.math.tanh
    assert tf.nn.swish is tf.nn.silu
    np.testing.assert_allclose(tf.math.log_sigmoid(tf.constant([-1000.0, 0.0])).numpy(),
                               [-1000.0, -np.log(2)], rtol=1e-6)


# -- parity with TensorFlow (skipped where TF is not installed) ----------------------------------
PARITY = [
    ("relu", {}), ("relu6", {}), ("leaky_relu", {"alpha": 0.3}), ("elu", {}), ("selu", {}),
    ("gelu", {}), ("gelu", {"approximate": True}), ("softplus", {}), ("softsign", {}),
    ("silu", {}), ("softmax", {}), ("log_softmax", {"axis": 0}), ("l2_loss", {}),
    ("l2_normalize", {"axis": 1}),
]


@pytest.mark.parametrize("name,kw", PARITY)
def test_parity_with_tensorflow(name, kw):
    real = pytest.importorskip("tensorflow")
    x = np.array([[-7.0, -1.0, 0.0, 0.5], [3.0, 6.0, 7.0, 100.0]], np.float32)

    def run(mod):
        t = mod.constant(x)
        with mod.GradientTape() as tape:
            tape.watch(t)
            y = getattr(mod.nn, name)(t, **kw)
        return y.numpy(), tape.gradient(y, t).numpy()

    (y, g), (ry, rg) = run(tf), run(real)
    np.testing.assert_allclose(y, ry, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g, rg, rtol=1e-5, atol=1e-6)


def test_cross_entropy_parity_with_tensorflow():
    real = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(15)
    x = rng.normal(scale=5, size=(4, 6)).astype(np.float32)
    labels = rng.integers(0, 6, size=4).astype(np.int64)
    z = rng.uniform(size=(4, 6)).astype(np.float32)

    def run(mod):
        t, zt = mod.constant(x), mod.constant(z)
        with mod.GradientTape(persistent=True) as tape:
            tape.watch([t, zt])
            outs = [mod.nn.sparse_softmax_cross_entropy_with_logits(labels, t),
                    mod.nn.softmax_cross_entropy_with_logits(zt, t),
                    mod.nn.sigmoid_cross_entropy_with_logits(zt, t)]
        grads = [g.numpy() for o in outs for g in tape.gradient(o, [t, zt]) if g is not None]
        return [o.numpy() for o in outs] + grads

    for mine, theirs in zip(run(tf), run(real)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-5)


def test_sparse_cross_entropy_gradient_is_fused_and_twice_differentiable():
    rng = np.random.default_rng(5)
    labels = np.array([[1, 0, 3], [2, 2, 0]])
    check_grad(lambda x: tf.nn.sparse_softmax_cross_entropy_with_logits(labels, x),
               rng.normal(size=(2, 3, 4)), second_order=True)
    x = tf.constant(rng.normal(size=(2, 4)))
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.nn.sparse_softmax_cross_entropy_with_logits([1, 3], x)
        g = tape.gradient(y, x)
    # the backward pass is one fused op (recorded on the outer tape for second order)
    assert [n.op.name for n in outer._nodes][1:] == ["SparseSoftmaxCrossEntropyWithLogitsGrad"]
    p = np.exp(x.numpy()) / np.exp(x.numpy()).sum(1, keepdims=True)
    p[[0, 1], [1, 3]] -= 1
    np.testing.assert_allclose(g.numpy(), p, rtol=1e-12)


def test_sparse_cross_entropy_checks_labels_inside_traced_functions():
    f = tf.function(lambda y, x: tf.nn.sparse_softmax_cross_entropy_with_logits(y, x))
    x = tf.zeros([2, 3])
    f(tf.constant([0, 2]), x)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Received a label value of 3"):
        f(tf.constant([0, 3]), x)


def test_sparse_xent_gradient_reuses_the_forward_softmax_only_for_the_same_logits():
    rng = np.random.default_rng(5)
    a = tf.constant(rng.normal(size=(6, 4)).astype("float32"))
    b = tf.constant(rng.normal(size=(6, 4)).astype("float32"))
    labels = tf.constant(rng.integers(0, 4, 6))

    def expected(x):
        e = np.exp(x - x.max(1, keepdims=True))
        p = e / e.sum(1, keepdims=True)
        p[np.arange(6), labels.numpy()] -= 1
        return p

    with tf.GradientTape(persistent=True) as tape:
        tape.watch([a, b])
        la = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, a)
        lb = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, b)  # the slot now holds b
    # a's gradient recomputes its softmax; b's uses the kept one; asking again recomputes
    np.testing.assert_allclose(tape.gradient(la, a).numpy(), expected(a.numpy()), atol=1e-6)
    for _ in range(2):
        np.testing.assert_allclose(tape.gradient(lb, b).numpy(), expected(b.numpy()),
                                   atol=1e-6)
