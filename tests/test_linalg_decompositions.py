"""tf.linalg decompositions and solvers against TF 2.21's recorded values (values and
gradients, ``tests/fixtures/tf_linalg_cases.py``), and every gradient against float64
central differences."""
import json
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf
from gradcheck import check_grad
from tests.fixtures.tf_behaviour_cases import outcome
from tests.fixtures.tf_linalg_cases import CASES, A, B, L, M, S, W
from tests.test_tf_behaviour import _same

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "tf_linalg_2_21.json")
                      .read_text())["cases"]

# Gradients TF does not have: tapeflow gives them (checked by finite differences below)
BEYOND_TF = {"grad_lu"}


def test_every_case_was_recorded():
    assert sorted(RECORDED) == sorted(name for name, _ in CASES)


@pytest.mark.parametrize("name,fn", CASES, ids=[n for n, _ in CASES])
def test_matches_tensorflow(name, fn):
    want, got = RECORDED[name], outcome(tf, fn)
    if "error" in want or "error" in got:
        assert got == want
    else:
        _same(got, want)


def _sym(x):
    return (x + tf.transpose(x)) / 2.0


@pytest.mark.parametrize("fn,value", [
    (lambda x: tf.reduce_sum(tf.linalg.svd(x, compute_uv=False) ** 3), A),
    (lambda x: (lambda s, u, v: tf.reduce_sum(s) + tf.reduce_sum(
        (u * u)[:, 0]) + tf.reduce_sum((v * v)[1]))(*tf.linalg.svd(x)), A),
    (lambda x: (lambda s, u, v: tf.reduce_sum(u @ tf.linalg.diag(s ** 2) @ tf.transpose(u)))(
        *tf.linalg.svd(x)), W),
    (lambda x: (lambda q, r: tf.reduce_sum(tf.abs(q[:, 0])) + tf.reduce_sum(r ** 2))(
        *tf.linalg.qr(x)), A),
    (lambda x: (lambda q, r: tf.reduce_sum(q ** 3) + tf.reduce_sum(r))(*tf.linalg.qr(x)), W),
    (lambda x: (lambda q, r: tf.reduce_sum(q[:, :1] ** 3) + tf.reduce_sum(r))(
        *tf.linalg.qr(x, full_matrices=True)), W),
    (lambda x: (lambda e, v: tf.reduce_sum(e ** 2) + tf.reduce_sum((v * v)[0]))(
        *tf.linalg.eigh(_sym(x))), S),
    (lambda x: tf.reduce_sum(tf.linalg.eigvalsh(x) ** 3), S),
    (lambda x: tf.reduce_sum(tf.linalg.triangular_solve(x, tf.constant(B[:3])) ** 2), L),
    (lambda x: tf.reduce_sum(tf.linalg.triangular_solve(
        x, tf.constant(B[:3]), lower=False, adjoint=True) ** 2), np.ascontiguousarray(L.T)),
    (lambda x: tf.reduce_sum(tf.linalg.lstsq(x, tf.constant(B), l2_regularizer=0.3) ** 2), A),
    (lambda x: tf.reduce_sum(tf.linalg.lstsq(x, tf.constant(B[:2])) ** 2), W),
    (lambda x: tf.reduce_sum(tf.linalg.pinv(x) ** 2), W),
    (lambda x: tf.reduce_sum(tf.linalg.expm(x) ** 2), M),
    (lambda x: tf.reduce_sum(tf.linalg.lu(x).lu ** 2), M),
    (lambda x: tf.reduce_sum(tf.linalg.lu_solve(*tf.linalg.lu(x), tf.constant(B[:3])) ** 2), M),
    (lambda x: tf.reduce_sum(tf.linalg.cross(x[:2], x[2:]) ** 2), A),
    (lambda x: tf.reduce_sum(tf.linalg.set_diag(x, tf.linalg.diag_part(x) ** 2) ** 2), S),
    (lambda x: tf.reduce_sum(tf.linalg.tridiagonal_solve(x, tf.constant(B)) ** 2),
     np.array([[0.5, 1.0, 2.0, 9.0], [4.0, 5.0, 6.0, 7.0], [9.0, 1.0, 2.0, 3.0]])),
])
def test_gradients_match_central_differences(fn, value):
    check_grad(fn, value, rtol=1e-4, atol=1e-6)


def test_svd_and_eigh_second_order():
    check_grad(lambda x: tf.reduce_sum(tf.linalg.svd(x, compute_uv=False) ** 2), A,
               second_order=True)
    check_grad(lambda x: tf.reduce_sum(tf.linalg.eigvalsh(_sym(x)) ** 3), S, second_order=True)


def test_batched_decompositions_reconstruct():
    rng = np.random.default_rng(3)
    a = tf.constant(rng.normal(size=(2, 5, 3)))
    s, u, v = tf.linalg.svd(a)
    np.testing.assert_allclose((u @ tf.linalg.diag(s) @ tf.linalg.adjoint(v)).numpy(),
                               a.numpy(), atol=1e-12)
    q, r = tf.linalg.qr(a)
    np.testing.assert_allclose((q @ r).numpy(), a.numpy(), atol=1e-12)
    m = tf.constant(rng.normal(size=(2, 4, 4)))
    lu, p = tf.linalg.lu(m)
    np.testing.assert_allclose(tf.linalg.lu_reconstruct(lu, p).numpy(), m.numpy(), atol=1e-12)
    assert p.dtype == tf.int32


def test_errors_name_the_op():
    with pytest.raises(tf.errors.InvalidArgumentError, match="SelfAdjointEigV2"):
        tf.linalg.eigh(tf.constant(A))
    with pytest.raises(tf.errors.InvalidArgumentError, match="MatrixTriangularSolve"):
        tf.linalg.triangular_solve(tf.constant(L), tf.constant(B))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Cross"):
        tf.linalg.cross(tf.constant(W), tf.constant(W))
    with pytest.raises(NotImplementedError, match="full_matrices=True"):
        x = tf.Variable(A)
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(tf.linalg.svd(x, full_matrices=True)[1])
        tape.gradient(y, x)
