"""tf.sparse against TensorFlow 2.21's recorded answers (tests/fixtures/tf_sparse.json) and
the gradients of the sparse ops (float64 finite differences)."""
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tf_fixture_cases import check, load

import tapeflow as tf
from gradcheck import check_grad

CASES = load("tf_sparse.json")


@pytest.mark.parametrize("expr", sorted(CASES))
def test_matches_tf(expr):
    check(expr, CASES[expr])


# -- gradients (float64 central differences) ---------------------------------------------------
IDX = [[0, 1], [1, 0], [1, 3], [2, 2]]
SHAPE = [3, 4]
VALS = np.array([0.5, -1.25, 2.0, 0.75])


def _sp(v, idx=IDX, shape=SHAPE):
    return tf.sparse.SparseTensor(idx, v, shape)


@pytest.mark.parametrize("adjoint_a,adjoint_b", [(False, False), (True, False), (False, True),
                                                 (True, True)])
def test_sparse_dense_matmul_gradients(adjoint_a, adjoint_b):
    rng = np.random.default_rng(3)
    k = SHAPE[0] if adjoint_a else SHAPE[1]
    b = rng.normal(size=(2, k) if adjoint_b else (k, 2))
    check_grad(lambda v, m: tf.sparse.sparse_dense_matmul(_sp(v), m, adjoint_a=adjoint_a,
                                                          adjoint_b=adjoint_b), VALS, b,
               second_order=True)


def test_sparse_dense_matmul_matches_dense():
    rng = np.random.default_rng(0)
    b = rng.normal(size=(4, 5)).astype(np.float32)
    sp = _sp(VALS.astype(np.float32))
    want = tf.sparse.to_dense(sp).numpy() @ b
    np.testing.assert_allclose(tf.sparse.sparse_dense_matmul(sp, b).numpy(), want, rtol=1e-6)
    a = rng.normal(size=(2, 3)).astype(np.float32)
    np.testing.assert_allclose(tf.sparse.sparse_dense_matmul(a, sp).numpy(),
                               a @ tf.sparse.to_dense(sp).numpy(), rtol=1e-6)


@pytest.mark.parametrize("fn", [
    lambda v: tf.sparse.to_dense(_sp(v)),
    lambda v: tf.sparse.to_dense(_sp(v), default_value=tf.constant(0.5, tf.float64)),
    lambda v: tf.sparse.reduce_sum(_sp(v), axis=1),
    lambda v: tf.sparse.reduce_sum(_sp(v), axis=0, keepdims=True),
    lambda v: tf.sparse.reduce_sum(_sp(v)),
    lambda v: tf.sparse.reduce_sum(_sp(v), axis=1, output_is_sparse=True).values,
    lambda v: tf.sparse.add(_sp(v), _sp(v * v, [[0, 1], [0, 2], [2, 2], [2, 3]])).values,
    lambda v: tf.sparse.add(_sp(v), tf.ones([3, 4], tf.float64)),
    lambda v: tf.sparse.reorder(_sp(v, [[2, 2], [0, 1], [1, 3], [1, 0]])).values,
    lambda v: tf.sparse.concat(1, [_sp(v), _sp(2.0 * v)]).values,
    lambda v: tf.sparse.slice(_sp(v), [1, 0], [2, 3]).values,
    lambda v: tf.sparse.transpose(_sp(v)).values,
    lambda v: tf.sparse.retain(_sp(v), [True, False, True, True]).values,
    lambda v: (_sp(v) * tf.reshape(tf.range(1.0, 13.0, dtype=tf.float64), [3, 4])).values,
    lambda v: tf.sparse.maximum(_sp(v), _sp(v * 0.5 + 0.3)).values,
    lambda v: tf.math.square(_sp(v)).values,
    lambda v: tf.sparse.from_dense(tf.reshape(v, [2, 2]) * 3.0).values,
    lambda v: tf.sparse.softmax(_sp(v)).values,
    lambda v: tf.sparse.segment_sum(tf.reshape(v, [2, 2]), [1, 0, 1], [0, 0, 2]),
    lambda v: tf.sparse.segment_mean(tf.reshape(v, [2, 2]), [1, 0, 1], [0, 0, 2]),
    lambda v: tf.sparse.segment_sqrt_n(v, [3, 0, 1, 2], [0, 1, 1, 3], num_segments=5),
    lambda v: tf.sparse.to_dense(tf.sparse.reset_shape(_sp(v), [4, 5])),
], ids=lambda f: "")
def test_gradients(fn):
    check_grad(fn, VALS)


def test_tape_gradient_for_values_and_dense_matrix():
    values = tf.Variable([1.0, 2.0])
    dense = tf.Variable(np.arange(8.0, dtype=np.float32).reshape(4, 2))
    sp = tf.sparse.SparseTensor([[0, 0], [1, 2]], values, [3, 4])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.sparse.sparse_dense_matmul(sp, dense))
    gv, gd = tape.gradient(loss, [values, dense])
    np.testing.assert_allclose(gv.numpy(), [0.0 + 1.0, 4.0 + 5.0])
    want = np.zeros((4, 2), np.float32)
    want[0] = 1.0
    want[2] = 2.0
    np.testing.assert_allclose(gd.numpy(), want)


# -- random sparse tensors against their dense values (hypothesis) ------------------------------

@st.composite
def sparse_cases(draw):
    rank = draw(st.integers(1, 3))
    shape = [draw(st.integers(1, 4)) for _ in range(rank)]
    size = int(np.prod(shape))
    flat = sorted(draw(st.sets(st.integers(0, size - 1), max_size=size)))
    index = np.stack(np.unravel_index(flat, shape), axis=1) if flat else \
        np.zeros((0, rank), np.int64)
    values = np.asarray(draw(st.lists(st.integers(-9, 9).filter(bool), min_size=len(flat),
                                      max_size=len(flat))), np.float64)
    return index.astype(np.int64), values, shape


def _dense(index, values, shape):
    out = np.zeros(shape)
    if len(values):
        out[tuple(index.T)] = values
    return out


@settings(max_examples=50, deadline=None)
@given(sparse_cases(), st.integers(0, 10_000))
def test_sparse_ops_match_dense(case, seed):
    index, values, shape = case
    rng = np.random.default_rng(seed)
    sp = tf.sparse.SparseTensor(index, values, shape)
    dense = _dense(index, values, shape)
    np.testing.assert_array_equal(tf.sparse.to_dense(sp).numpy(), dense)
    back = tf.sparse.from_dense(dense)
    np.testing.assert_array_equal(back.indices.numpy(), index)
    perm = rng.permutation(len(values))
    shuffled = tf.sparse.SparseTensor(index[perm], values[perm], shape)
    np.testing.assert_array_equal(tf.sparse.reorder(shuffled).indices.numpy(), index)
    rank = len(shape)
    axis = int(rng.integers(0, rank))
    np.testing.assert_allclose(tf.sparse.reduce_sum(sp, axis=axis).numpy(), dense.sum(axis))
    perm_axes = list(rng.permutation(rank))
    np.testing.assert_array_equal(tf.sparse.to_dense(tf.sparse.transpose(sp, perm_axes)).numpy(),
                                  dense.transpose(perm_axes))
    np.testing.assert_array_equal(tf.sparse.to_dense(tf.sparse.reshape(sp, [-1])).numpy(),
                                  dense.reshape(-1))
    both = tf.sparse.concat(axis, [sp, sp])
    np.testing.assert_array_equal(tf.sparse.to_dense(both).numpy(),
                                  np.concatenate([dense, dense], axis))
    start = [int(rng.integers(0, d)) for d in shape]
    size = [int(rng.integers(1, d + 1)) for d in shape]
    sl = tf.sparse.to_dense(tf.sparse.slice(sp, start, size)).numpy()
    want = dense[tuple(slice(a, a + b) for a, b in zip(start, size))]
    np.testing.assert_array_equal(sl, want)
    other = _dense(index[perm[: len(perm) // 2]], values[perm[: len(perm) // 2]] * 2, shape)
    added = tf.sparse.add(sp, tf.sparse.from_dense(other))
    np.testing.assert_array_equal(tf.sparse.to_dense(added).numpy(), dense + other)
    if rank == 2:
        b = rng.normal(size=(shape[1], 3))
        np.testing.assert_allclose(tf.sparse.sparse_dense_matmul(sp, b).numpy(), dense @ b,
                                   atol=1e-12)


def test_sparse_dense_matmul_without_scipy(monkeypatch):
    rng = np.random.default_rng(5)
    b = rng.normal(size=(4, 3))
    sp = _sp(VALS)
    with_scipy = tf.sparse.sparse_dense_matmul(sp, b).numpy()
    monkeypatch.setitem(sys.modules, "scipy", None)  # `import scipy...` now raises ImportError
    without = tf.sparse.sparse_dense_matmul(sp, b).numpy()
    np.testing.assert_allclose(without, with_scipy, rtol=1e-12)
    np.testing.assert_allclose(without, tf.sparse.to_dense(sp).numpy() @ b, rtol=1e-12)
