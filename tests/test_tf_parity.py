"""Parity with TensorFlow itself: the same op table run in both, values and gradients
compared. Skipped when TensorFlow is not installed (CI does not install it)."""
import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
real = pytest.importorskip("tensorflow")

import tapeflow as tf  # noqa: E402

rng = np.random.default_rng(7)
A = rng.normal(size=(3, 4))
B = rng.uniform(0.5, 2.0, size=(3, 4))
V = rng.normal(size=(4,))

# (name, function of a module `m` (tapeflow or tensorflow) and tensors, inputs)
CASES = [
    ("add_broadcast", lambda m, a, v: a + v, (A, V)),
    ("mul_div", lambda m, a, b: a * b / (b + 1.0), (A, B)),
    ("pow", lambda m, b, a: m.pow(b, a), (B, A)),
    ("exp_log", lambda m, b: m.exp(m.math.log(b)) + m.math.log1p(b), (B,)),
    ("sqrt_rsqrt", lambda m, b: m.sqrt(b) * m.math.rsqrt(b + 1.0), (B,)),
    ("trig", lambda m, a: m.sin(a) + m.cos(a) * m.tanh(a), (A,)),
    ("sigmoid", lambda m, a: m.sigmoid(a * 30.0), (A,)),
    ("max_min", lambda m, a, b: m.maximum(a, b) - m.minimum(a, 0.1), (A, B)),
    ("abs_sign", lambda m, a: m.abs(a) * m.sign(a), (A,)),
    ("reduce_sum_axis", lambda m, a: m.reduce_sum(a, axis=1), (A,)),
    ("reduce_mean_keep", lambda m, a: m.reduce_mean(a, axis=0, keepdims=True), (A,)),
    ("reduce_max", lambda m, a: m.reduce_max(a, axis=-1), (A,)),
    ("reduce_prod", lambda m, b: m.reduce_prod(b, axis=0), (B,)),
    ("logsumexp", lambda m, a: m.reduce_logsumexp(a * 100.0, axis=1), (A,)),
    ("std_var", lambda m, a: m.math.reduce_std(a) + m.math.reduce_variance(a, axis=0), (A,)),
    ("cumsum", lambda m, a: m.cumsum(a, axis=1, exclusive=True, reverse=True), (A,)),
    ("matmul_t", lambda m, a, b: m.matmul(a, b, transpose_b=True), (A, B)),
    ("reshape_transpose", lambda m, a: m.transpose(m.reshape(a, [2, 6]) * 2.0), (A,)),
    ("concat_stack", lambda m, a, b: m.concat([a, m.stack([a[0], b[1]])], 0), (A, B)),
    ("slicing", lambda m, a: a[1:, ::-2] * a[0, 1], (A,)),
    ("where", lambda m, a, b: m.where(a > 0.0, a, b * 2.0), (A, B)),
    ("clip", lambda m, a: m.clip_by_value(a, -0.5, 0.5), (A,)),
    ("square_diff", lambda m, a, b: m.math.squared_difference(a, b), (A, B)),
    ("expand_squeeze", lambda m, a: m.squeeze(m.expand_dims(a, 1) * 3.0), (A,)),
    ("broadcast_to", lambda m, v: m.broadcast_to(v, [3, 4]) * 2.0, (V,)),
    ("tensor_scatter_update", lambda m, a, b: m.tensor_scatter_nd_update(a, [[2], [0]], b[:2]),
     (A, B)),
    ("tensor_scatter_add_sub", lambda m, a, b: m.tensor_scatter_nd_add(a, [[0, 1], [0, 1]],
                                                                       b[0, :2])
     - m.tensor_scatter_nd_sub(a, [[1]], b[1:2]), (A, B)),
    ("tensor_scatter_min_max", lambda m, a, b: m.tensor_scatter_nd_min(a, [[2], [0], [2]], b)
     + m.tensor_scatter_nd_max(a, [[1, 1], [2, 3]], b[0, :2]), (A, B)),
    ("scatter_nd", lambda m, v: m.scatter_nd([[1], [3], [1], [0]], v, [5]), (V,)),
]


def run(module, fn, inputs, with_grads):
    ts = [module.constant(x) for x in inputs]
    with module.GradientTape() as tape:
        for t in ts:
            tape.watch(t)
        out = fn(module, *ts)
        loss = module.reduce_sum(out * module.constant(np.linspace(0.5, 1.5, int(
            np.prod(out.shape))).reshape(out.shape)))
    grads = tape.gradient(loss, ts) if with_grads else []
    return np.asarray(out), [None if g is None else np.asarray(g) for g in grads]


@pytest.mark.parametrize("name,fn,inputs", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients_match_tensorflow(name, fn, inputs):
    got, got_g = run(tf, fn, inputs, True)
    want, want_g = run(real, fn, inputs, True)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    for g, w in zip(got_g, want_g):
        assert (g is None) == (w is None)
        if g is not None:
            np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("expr", [
    "m.constant([1, 2, 3, 4])", "2 * m.constant([1, 2, 3, 4]) + 1", "m.constant([[1, 2], [3, 4]])",
    "m.constant(1.5)", "m.constant(True)", "m.constant([1, 2.5])", "m.constant(2**31)",
    "m.constant([1, 2]) / 2", "m.constant([1, 2], m.int8) / m.constant([1, 2], m.int8)",
    "m.constant([1], m.int8) + 1000", "m.zeros([2, 0])", "m.one_hot([1, -1, 5], 3)",
    "m.argmax(m.constant([[1, 2], [3, 1]]), axis=1)", "m.reduce_mean(m.constant([1, 2]))",
    "m.cast(m.constant([1.7, -1.7]), m.int32)", "m.constant([-7]) // 2",
    "m.Variable([[1, 2], [3, 4]])", "m.range(5)", "m.linspace(0, 1, 5)",
])
def test_printed_forms_match_tensorflow(expr):
    got = eval(expr, {"m": tf})
    want = eval(expr, {"m": real})
    assert repr(got) == repr(want)
    assert str(got) == str(want)


@pytest.mark.parametrize("expr", [
    "m.constant([1, 2]) + 1.5", "m.constant([1, 2]) + m.constant([1., 2.])",
    "m.constant([1, 2]) + m.constant([1, 2, 3])", "m.constant([1, 2, 3])[7]",
    "m.reshape(m.ones([2, 3]), [4, 2])", "m.constant(1.5, dtype=m.int32)",
    "m.Variable([[1, 2], [3, 4]]).assign([1, 2])", "m.constant([[1]])[1.0]",
    "m.math.exp(m.constant([1]))", "m.matmul(m.ones([2, 3]), m.ones([2, 3]))",
    "m.concat([m.ones([2]), m.ones([3, 1])], 0)", "m.constant([1, 2]) ** -1",
    "len(m.constant(3))", "hash(m.constant([1]))", "m.squeeze(m.ones([1, 2]), 1)",
    "m.Variable([1., 2.])[0:2].assign([1., 2., 3.])",
    "m.Variable([1., 2.])[0].assign(m.constant(1))", "m.constant([1., 2.])[1:].assign([0.])",
    "m.Variable([1., 2.]).scatter_nd_update([[2]], [1.])",
    "m.tensor_scatter_nd_max(m.constant([True]), [[0]], [False])",
    "m.tensor_scatter_nd_min([1., 2.], [[1.]], [0.])",
    "m.Variable([1., 2.]).scatter_update(m.IndexedSlices(m.constant([1.]), m.constant([5])))",
])
def test_errors_have_tensorflows_types(expr):
    with pytest.raises(Exception) as want:
        eval(expr, {"m": real})
    with pytest.raises(Exception) as got:
        eval(expr, {"m": tf})
    assert type(got.value).__name__ == type(want.value).__name__
