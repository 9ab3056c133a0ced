"""tf.linalg's matrix functions and LinearOperator family against TF 2.21's recorded
outcomes (tests/fixtures/tf_linalg_more_cases.py), and their gradients against float64
central differences."""
import json
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf
from gradcheck import check_grad
from tests.fixtures.tf_behaviour_cases import outcome
from tests.fixtures.tf_linalg_more_cases import B3, CASES, V3, A, S

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "tf_linalg_more_2_21.json")
                      .read_text())["cases"]


def same(got, want, rtol=1e-5, atol=1e-6):
    """Recorded outcomes agree: same structure, dtypes and shapes, values within tolerance
    (float32 eigen-solvers differ from TF's in the last bits)."""
    if "items" in want:
        assert len(got["items"]) == len(want["items"])
        for g, w in zip(got["items"], want["items"]):
            same(g, w, rtol, atol)
        return
    assert {k: v for k, v in got.items() if k != "values"} == \
        {k: v for k, v in want.items() if k != "values"}
    if want.get("values") is not None:
        np.testing.assert_allclose(got["values"], want["values"], rtol=rtol, atol=atol)


def test_every_case_was_recorded():
    assert sorted(RECORDED) == sorted(name for name, _ in CASES)


# eigh_tridiagonal's eigenvectors are compared up to sign below, not here
@pytest.mark.parametrize("name,fn", CASES, ids=[n for n, _ in CASES])
def test_matches_tensorflow(name, fn):
    want, got = RECORDED[name], outcome(tf, fn)
    if "error" in want or "error" in got:
        assert got == want
    else:
        same(got, want)


def test_eigh_tridiagonal_vectors_up_to_sign():
    e, v = tf.linalg.eigh_tridiagonal(np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.5]),
                                      eigvals_only=False)
    t = np.diag([1.0, 2.0, 3.0]) + np.diag([0.5, 0.5], 1) + np.diag([0.5, 0.5], -1)
    np.testing.assert_allclose(t @ v.numpy(), v.numpy() * e.numpy(), atol=1e-12)
    np.testing.assert_allclose(v.numpy().T @ v.numpy(), np.eye(3), atol=1e-12)


def test_eig_reconstructs_the_matrix():
    m = np.array([[1.0, 2.0, 0.0], [-2.0, 1.0, 1.0], [0.5, 0.0, 3.0]])
    e, v = tf.linalg.eig(m)
    assert e.dtype == tf.complex128 and v.dtype == tf.complex128
    np.testing.assert_allclose(m @ v.numpy(), v.numpy() * e.numpy(), atol=1e-12)


def test_sqrtm_of_a_defective_matrix():
    m = np.array([[4.0, 1.0], [0.0, 4.0]])  # a Jordan block: no eigenvector basis
    r = tf.linalg.sqrtm(m).numpy()
    np.testing.assert_allclose(r @ r, m, atol=1e-10)


@pytest.mark.parametrize("fn,value", [
    (lambda x: tf.math.real(tf.linalg.eigvals(x)), A),
    (lambda x: tf.math.real(tf.linalg.eig(x)[1]) ** 2, A),
    (lambda x: tf.linalg.sqrtm(x), A),
    (lambda x: tf.linalg.sqrtm(x), S),
    (lambda x: tf.linalg.LinearOperatorFullMatrix(x).solve(tf.constant(B3)), S),
    (lambda x: tf.linalg.LinearOperatorLowerTriangular(x).solvevec(tf.constant(V3)), S),
    (lambda x: tf.linalg.LinearOperatorDiag(x).log_abs_determinant(), V3),
    (lambda x: tf.linalg.LinearOperatorScaledIdentity(3, x).matvec(tf.constant(V3)),
     np.array(1.5)),
    (lambda x: tf.linalg.LinearOperatorToeplitz(x, x * 0.5).to_dense(), V3 + 3.0),
    (lambda x: tf.linalg.LinearOperatorTridiag(x).to_dense(), S),
    (lambda x: tf.linalg.LinearOperatorHouseholder(x).to_dense(), V3),
    (lambda x: tf.linalg.LinearOperatorCirculant(tf.cast(x, tf.complex128),
                                                  input_output_dtype=tf.float64).to_dense(),
     np.array([6.0, 2.0, 2.0])),
    (lambda x: tf.linalg.LinearOperatorComposition(
        [tf.linalg.LinearOperatorFullMatrix(x), tf.linalg.LinearOperatorFullMatrix(x)]
    ).determinant(), A),
    (lambda x: tf.linalg.LinearOperatorBlockDiag(
        [tf.linalg.LinearOperatorFullMatrix(x), tf.linalg.LinearOperatorDiag(x[0])]
    ).solvevec(tf.constant([1.0, 2.0, 3.0, 4.0], tf.float64)), A),
    (lambda x: tf.linalg.LinearOperatorKronecker(
        [tf.linalg.LinearOperatorFullMatrix(x), tf.linalg.LinearOperatorFullMatrix(x)]
    ).log_abs_determinant(), A),
    (lambda x: tf.linalg.LinearOperatorLowRankUpdate(
        tf.linalg.LinearOperatorDiag(tf.constant([1.0, 2.0, 3.0], tf.float64)), x
    ).solvevec(tf.constant(V3)), B3),
    (lambda x: tf.linalg.eigh_tridiagonal(x, x[:2] * 0.5), np.array([1.0, 2.5, 4.0])),
    (lambda x: tf.linalg.experimental.conjugate_gradient(
        tf.linalg.LinearOperatorFullMatrix(tf.constant(S), is_self_adjoint=True,
                                           is_positive_definite=True), x, tol=1e-12).x, V3),
    (lambda x: tf.linalg.LinearOperatorBlockLowerTriangular(
        [[tf.linalg.LinearOperatorFullMatrix(x)],
         [tf.linalg.LinearOperatorFullMatrix(x * 0.5), tf.linalg.LinearOperatorDiag(x[0])]]
    ).solvevec(tf.constant([1.0, 2.0, 3.0, 4.0], tf.float64)), A),
])
def test_gradients_match_central_differences(fn, value):
    check_grad(fn, value, rtol=1e-4, atol=1e-6)


def test_operator_is_a_module_and_tracks_variables():
    v = tf.Variable(np.array([1.0, 2.0]))
    op = tf.linalg.LinearOperatorDiag(v)
    assert isinstance(op, tf.Module)
    assert [x is v for x in op.trainable_variables] == [True]
    with tf.GradientTape() as tape:
        y = op.determinant()
    np.testing.assert_allclose(tape.gradient(y, v).numpy(), [2.0, 1.0])


def test_adjoint_and_inverse_types_follow_tensorflow():
    L = tf.linalg
    full = L.LinearOperatorFullMatrix(A)
    assert type(full.adjoint()) is L.LinearOperatorAdjoint
    assert type(full.inverse()) is L.LinearOperatorInversion
    assert type(full @ full) is L.LinearOperatorComposition
    diag = L.LinearOperatorDiag(np.array([2.0, 3.0]))
    assert type(diag.inverse()) is L.LinearOperatorDiag
    assert type(diag @ diag) is L.LinearOperatorDiag
    assert diag.adjoint() is diag  # a real diagonal is self-adjoint
    ident = L.LinearOperatorIdentity(2)
    assert ident.inverse() is ident and ident.cholesky() is ident
    house = L.LinearOperatorHouseholder([1.0, 2.0, 2.0])
    assert house.inverse() is house


def test_shape_properties():
    op = tf.linalg.LinearOperatorFullMatrix(np.ones((4, 2, 3)))
    assert op.shape == tf.TensorShape([4, 2, 3])
    assert op.batch_shape == tf.TensorShape([4])
    assert (op.range_dimension, op.domain_dimension, op.tensor_rank) == (2, 3, 3)
    assert op.shape_tensor().numpy().tolist() == [4, 2, 3]
    assert op.batch_shape_tensor().numpy().tolist() == [4]
    assert op.is_square is False
