"""tf.sparse against TensorFlow 2.21's recorded answers (tests/fixtures/tf_sparse.json) and
the gradients of the sparse ops (float64 finite differences)."""
import numpy as np
import pytest
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
