"""Linear algebra ops: values against NumPy, gradients against finite differences, TF's
errors, and property tests for tensordot and einsum."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tapeflow as tf
from gradcheck import check_grad

rng = np.random.default_rng(0)
FEW = settings(max_examples=25, deadline=None)
IAE = tf.errors.InvalidArgumentError


def r(*shape):
    return rng.normal(size=shape)


def well_conditioned(*shape):
    """Random square matrices with the identity times 3 added (far from singular)."""
    n = shape[-1]
    return r(*shape) + 3 * np.eye(n)


def spd(n, batch=()):
    a = r(*batch, n, n)
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def sym(t):
    return 0.5 * (t + tf.linalg.matrix_transpose(t))


# -- tensordot ----------------------------------------------------------------------------------
def test_tensordot_values():
    a, b = r(2, 3, 4), r(4, 3, 5)
    np.testing.assert_allclose(tf.tensordot(a, b, 1).numpy(), np.tensordot(a, b, 1))
    np.testing.assert_allclose(tf.tensordot(a, b, [[1, 2], [1, 0]]).numpy(),
                               np.tensordot(a, b, [[1, 2], [1, 0]]))
    np.testing.assert_allclose(tf.tensordot(a, b, [[-1], [0]]).numpy(),
                               np.tensordot(a, b, [[2], [0]]))
    np.testing.assert_allclose(tf.tensordot(a, b, [2, 0]).numpy(), np.tensordot(a, b, [2, 0]))
    np.testing.assert_allclose(tf.tensordot([1.0, 2], [3.0, 4], 0).numpy(), [[3, 4], [6, 8]])
    assert tf.tensordot(r(2, 3), r(3, 2), tf.constant(1)).shape == (2, 2)


def test_tensordot_grad():
    check_grad(lambda a, b: tf.tensordot(a, b, [[0, 2], [2, 1]]), r(2, 3, 2), r(3, 2, 2),
               second_order=True)
    check_grad(lambda a, b: tf.tensordot(a, b, 0), r(2), r(3))


def test_tensordot_errors():
    x = r(2, 3)
    with pytest.raises(IAE, match=r"a.shape\[1\] = 3 vs. b.shape\[0\] = 2"):
        tf.tensordot(x, r(2, 2), 1)
    with pytest.raises(ValueError, match="`axes` must be at least 0. Received: -1"):
        tf.tensordot(x, r(3, 2), -1)
    with pytest.raises(ValueError, match="must not be larger than the number of dimensions"):
        tf.tensordot([1.0, 2], [3.0, 4], 2)
    with pytest.raises(ValueError, match="Different number of contraction axes `a` and `b`, 2 "
                                         "!= 1"):
        tf.tensordot(x, r(3, 2), [[1, 0], [0]])
    with pytest.raises(ValueError, match="must be an integer or have length 2"):
        tf.tensordot(x, r(3, 2), [1])
    with pytest.raises(IAE):
        tf.tensordot(tf.ones([2, 3]), tf.ones([3, 2], tf.float64), 1)


@FEW
@given(st.data())
def test_tensordot_property(data):
    dims = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=4))
    na = data.draw(st.integers(0, len(dims)))
    contracted = data.draw(st.lists(st.integers(1, 3), max_size=2))
    a_shape = dims[:na] + contracted
    b_shape = contracted + dims[na:]
    a, b = rng.normal(size=a_shape), rng.normal(size=b_shape)
    perm_a = data.draw(st.permutations(range(len(a_shape))))
    perm_b = data.draw(st.permutations(range(len(b_shape))))
    at, bt = np.transpose(a, perm_a), np.transpose(b, perm_b)
    ax_a = [list(perm_a).index(na + i) for i in range(len(contracted))]
    ax_b = [list(perm_b).index(i) for i in range(len(contracted))]
    got = tf.tensordot(at, bt, [ax_a, ax_b]).numpy()
    np.testing.assert_allclose(got, np.tensordot(at, bt, [ax_a, ax_b]), atol=1e-12)


# -- einsum -------------------------------------------------------------------------------------
EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 2)]),
    ("...ij,...jk->...ik", [(1, 2, 3), (3, 3, 2)]),
    ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("iij->j", [(2, 2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("i,j->ij", [(2,), (3,)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]),
    ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
    ("ba", [(2, 3)]),
    ("ij,jk", [(2, 3), (3, 2)]),
    ("i j , j k -> i k", [(2, 3), (3, 2)]),
    ("Ab,bC->AC", [(2, 3), (3, 2)]),
    ("bij,k->bki", [(2, 2, 3), (2,)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM_CASES)
def test_einsum_values_and_grads(eq, shapes):
    arrays = [r(*s) for s in shapes]
    np.testing.assert_allclose(tf.einsum(eq, *arrays).numpy(),
                               np.einsum(eq.replace(" ", ""), *arrays), atol=1e-12)
    check_grad(lambda *ts: tf.einsum(eq, *ts), *arrays)


def test_einsum_second_order():
    check_grad(lambda a, b: tf.einsum("bij,bjk->bik", a, b), r(2, 2, 3), r(2, 3, 2),
               second_order=True)
    check_grad(lambda a: tf.einsum("ii,ij->j", a, a), r(3, 3), second_order=True)


def test_einsum_types_and_aliases():
    assert tf.einsum("ij->ji", tf.constant([[1, 2]])).dtype == tf.int32
    assert tf.linalg.einsum is tf.einsum
    assert tf.einsum("ij,jk->ik", [r(2, 3), r(3, 1)]).shape == (2, 1)  # a list of inputs


def test_einsum_errors():
    x = r(2, 3)
    with pytest.raises(IAE, match=r"Expected dimension 3 at axis 0 of the input shaped \[2,2\] "
                                  r"but got dimension 2"):
        tf.einsum("ij,jk->ik", x, r(2, 2))
    with pytest.raises(ValueError, match='Got 1 inputs for equation "ij,jk->ik", expecting 2'):
        tf.einsum("ij,jk->ik", x)
    with pytest.raises(ValueError, match="label k not present in the input subscripts"):
        tf.einsum("ij->k", x)
    with pytest.raises(ValueError, match="appearing more than once"):
        tf.einsum("ij->ii", r(2, 2))
    with pytest.raises(IAE, match="Expected input 0 to have rank 3 but got: 2"):
        tf.einsum("ijk,jk->i", x, r(3, 2))
    with pytest.raises(IAE, match="Expected dimension 1"):
        tf.einsum("ij,ij->ij", r(1, 3), r(2, 3))  # TF broadcasts only under an ellipsis
    with pytest.raises(IAE):
        tf.einsum("ij,jk->ik", tf.ones([2, 3]), tf.ones([3, 2], tf.float64))


@FEW
@given(st.data())
def test_einsum_property(data):
    labels = "abcd"
    sizes = {c: data.draw(st.integers(1, 3)) for c in labels}
    n_in = data.draw(st.integers(1, 3))
    terms = [data.draw(st.lists(st.sampled_from(labels), max_size=3, unique=True))
             for _ in range(n_in)]
    used = sorted(set("".join("".join(t) for t in terms)))
    out = data.draw(st.permutations(used))
    out = out[:data.draw(st.integers(0, len(out)))]
    eq = ",".join("".join(t) for t in terms) + "->" + "".join(out)
    arrays = [rng.normal(size=[sizes[c] for c in t]) for t in terms]
    np.testing.assert_allclose(tf.einsum(eq, *arrays).numpy(), np.einsum(eq, *arrays),
                               atol=1e-12)
    w = rng.normal(size=np.einsum(eq, *arrays).shape)
    ts = [tf.constant(a) for a in arrays]
    with tf.GradientTape() as tape:
        tape.watch(ts)
        loss = tf.reduce_sum(tf.einsum(eq, *ts) * w)
    grads = tape.gradient(loss, ts)
    for i, a in enumerate(arrays):  # the loss is linear in each input: grad = d loss / d a_i
        others = [x for j, x in enumerate(arrays) if j != i]
        oterms = ["".join(t) for j, t in enumerate(terms) if j != i]
        avail = set(out).union(*oterms)
        keep = "".join(c for c in terms[i] if c in avail)
        part = np.einsum(",".join(["".join(out)] + oterms) + "->" + keep, w, *others)
        part = part.reshape([sizes[c] if c in avail else 1 for c in terms[i]])
        np.testing.assert_allclose(grads[i].numpy(), np.broadcast_to(part, a.shape), atol=1e-10)


# -- inv, det, slogdet --------------------------------------------------------------------------
def test_inv():
    a = well_conditioned(2, 3, 3)
    np.testing.assert_allclose(tf.linalg.inv(a).numpy(), np.linalg.inv(a))
    np.testing.assert_allclose(tf.linalg.inv(a, adjoint=True).numpy(),
                               np.linalg.inv(np.swapaxes(a, -1, -2)))
    assert tf.linalg.inv(tf.ones([0, 0])).shape == (0, 0)
    check_grad(tf.linalg.inv, well_conditioned(3, 3), second_order=True)
    check_grad(lambda t: tf.linalg.inv(t, adjoint=True), well_conditioned(2, 2, 2))
    with pytest.raises(IAE, match="Input is not invertible"):
        tf.linalg.inv(tf.ones([2, 2]))
    with pytest.raises(IAE, match="Input matrix must be square"):
        tf.linalg.inv(r(2, 3))
    with pytest.raises(IAE, match="int32"):
        tf.linalg.inv(tf.constant([[1, 2], [3, 4]]))
    with pytest.raises(IAE, match="rank >= 2, got 1"):
        tf.linalg.det(tf.ones([3]))


def test_det_slogdet_logdet():
    a = well_conditioned(2, 3, 3)
    np.testing.assert_allclose(tf.linalg.det(a).numpy(), np.linalg.det(a))
    sign, logabs = tf.linalg.slogdet(-a)
    ws, wl = np.linalg.slogdet(-a)
    np.testing.assert_allclose(sign.numpy(), ws)
    np.testing.assert_allclose(logabs.numpy(), wl)
    assert tf.linalg.slogdet(tf.ones([2, 2])).sign.numpy() == 0
    m = spd(3)
    np.testing.assert_allclose(tf.linalg.logdet(m).numpy(), np.log(np.linalg.det(m)))
    np.testing.assert_allclose(tf.linalg.det(tf.ones([2, 0, 0])).numpy(), [1, 1])
    check_grad(tf.linalg.det, well_conditioned(2, 3, 3), second_order=True)
    check_grad(lambda t: tf.linalg.slogdet(t).log_abs_determinant, -well_conditioned(3, 3),
               second_order=True)
    check_grad(tf.linalg.logdet, spd(3))
    with pytest.raises(IAE, match="Input matrix must be square"):
        tf.linalg.det(r(2, 3))


# -- norm ---------------------------------------------------------------------------------------
NORM_CASES = [
    ("euclidean", None), (2, None), (1, None), (np.inf, None), (3, None), (0.5, 0),
    ("euclidean", 1), (1, 0), (np.inf, -1), (3, 1),
    ("fro", [0, 1]), ("euclidean", (0, 1)), (1, [0, 1]), (np.inf, [0, 1]), (2, [0, 1]),
    (1, [1, 0]), (2, [-1, -2]),
]


def _np_norm(x, ord, axis, keepdims):
    if axis is None:
        v = np.linalg.norm(x.reshape(-1), None if ord == "euclidean" else ord)
        return np.reshape(v, [1] * x.ndim) if keepdims else v
    if isinstance(axis, (list, tuple)):
        o = "fro" if ord == "euclidean" else ord
        return np.linalg.norm(x, o, tuple(axis), keepdims)
    return np.linalg.norm(x, None if ord == "euclidean" else ord, axis, keepdims)


@pytest.mark.parametrize("ord,axis", NORM_CASES)
def test_norm_values_and_grads(ord, axis):
    x = r(3, 4)
    for keepdims in (False, True):
        got = tf.norm(x, ord=ord, axis=axis, keepdims=keepdims)
        want = _np_norm(x, ord, axis, keepdims)
        assert got.shape == np.shape(want)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    check_grad(lambda t: tf.norm(t, ord=ord, axis=axis), x)


def test_norm_batched_and_second_order():
    x = r(2, 3, 4)
    np.testing.assert_allclose(tf.norm(x, ord=1, axis=[-1, 0]).numpy(),
                               np.linalg.norm(x, 1, (2, 0)))
    np.testing.assert_allclose(tf.linalg.norm(x, ord=2, axis=[1, 2]).numpy(),
                               np.linalg.norm(x, 2, (1, 2)))
    check_grad(lambda t: tf.norm(t, axis=[1, 2]), x, second_order=True)
    check_grad(lambda t: tf.norm(t, ord=3, axis=0), x, second_order=True)


def test_norm_errors():
    x = r(2, 3)
    with pytest.raises(ValueError, match="'ord' must be a supported vector norm, got 0"):
        tf.norm(x, ord=0, axis=0)
    with pytest.raises(ValueError, match="supported vector norm, got fro"):
        tf.norm(x, ord="fro")
    with pytest.raises(ValueError, match="supported vector norm, got -1"):
        tf.norm(x, ord=-1, axis=0)
    with pytest.raises(ValueError, match=r"supported matrix norm in \['euclidean', 'fro', 1, 2, "
                                         r"inf\], got 3"):
        tf.norm(x, ord=3, axis=[0, 1])
    with pytest.raises(ValueError, match="got nuc"):
        tf.norm(x, ord="nuc", axis=[0, 1])
    with pytest.raises(ValueError, match="tuple of 2 unique integers"):
        tf.norm(x, axis=[1, 1])
    with pytest.raises(ValueError, match="tuple of 2 unique integers"):
        tf.norm(x, axis=[0, 1, 2])
    with pytest.raises(IAE, match="Invalid reduction dimension"):
        tf.norm(x, axis=2)
    with pytest.raises(IAE):
        tf.norm(tf.constant([3, 4]))


# -- diagonals, trace, transpose, band ----------------------------------------------------------
def test_diag_and_diag_part():
    np.testing.assert_array_equal(tf.linalg.diag([1.0, 2]).numpy(), np.diag([1.0, 2]))
    np.testing.assert_array_equal(tf.linalg.diag([1.0, 2], k=1).numpy(), np.diag([1.0, 2], 1))
    np.testing.assert_array_equal(tf.linalg.diag([1.0, 2], k=-1).numpy(), np.diag([1.0, 2], -1))
    np.testing.assert_array_equal(tf.linalg.diag([[1.0, 2], [3, 4]]).numpy(),
                                  [np.diag([1.0, 2]), np.diag([3.0, 4])])
    np.testing.assert_array_equal(tf.linalg.diag([1.0, 2], padding_value=9).numpy(),
                                  [[1, 9], [9, 2]])
    np.testing.assert_array_equal(tf.linalg.diag([1.0, 2], num_rows=2, num_cols=3).numpy(),
                                  [[1, 0, 0], [0, 2, 0]])
    x = np.arange(24.0).reshape(2, 3, 4)
    for k in (0, 1, -1, 3, -2):
        np.testing.assert_array_equal(tf.linalg.diag_part(x, k=k).numpy(),
                                      np.diagonal(x, k, -2, -1))
    check_grad(lambda t: tf.linalg.diag(t, k=1), r(2, 3))
    check_grad(lambda t: tf.linalg.diag_part(t, k=-1), r(2, 3, 4))
    check_grad(sq(lambda t: tf.linalg.diag_part(t)), r(3, 3), second_order=True)
    with pytest.raises(IAE, match=r"diagonal must be at least 1-dim, received shape: \[\]"):
        tf.linalg.diag(1.0)
    with pytest.raises(IAE, match="The number of rows is too small"):
        tf.linalg.diag([1.0, 2], num_rows=1)
    with pytest.raises(IAE, match="not consistent"):
        tf.linalg.diag([1.0, 2], num_rows=3, num_cols=4)
    with pytest.raises(IAE, match=r"input must be at least 2-dim, received shape: \[3\]"):
        tf.linalg.diag_part(tf.ones([3]))
    with pytest.raises(IAE, match="lower_diag_index is out of bound: 5"):
        tf.linalg.diag_part(r(2, 3), k=5)


def sq(fn):
    return lambda *ts: fn(*ts) ** 2


def test_trace_transpose_band():
    x = r(2, 3, 3)
    np.testing.assert_allclose(tf.linalg.trace(x).numpy(), np.trace(x, axis1=1, axis2=2))
    assert tf.linalg.trace([[1, 2], [3, 4]]).numpy() == 5
    check_grad(tf.linalg.trace, r(2, 3))
    assert tf.linalg.matrix_transpose(tf.ones([2, 3, 4])).shape == (2, 4, 3)
    np.testing.assert_array_equal(tf.linalg.adjoint(x).numpy(), np.swapaxes(x, 1, 2))
    check_grad(tf.linalg.matrix_transpose, r(2, 3))
    ones = np.ones((3, 4))
    for lo, up in ((1, -1), (-1, 0), (0, 0), (2, 1), (-1, -1)):
        want = np.triu(np.tril(ones, up if up >= 0 else 4), -lo if lo >= 0 else -3)
        np.testing.assert_array_equal(tf.linalg.band_part(ones, lo, up).numpy(), want)
    check_grad(sq(lambda t: tf.linalg.band_part(t, 1, 0)), r(3, 3), second_order=True)
    with pytest.raises(ValueError, match="rank >= 2"):
        tf.linalg.matrix_transpose(tf.ones([3]))
    with pytest.raises(IAE, match="input must be at least 2-dim"):
        tf.linalg.trace(tf.ones([3]))
    with pytest.raises(IAE, match=r"num_lower must be negative or less or equal to number of "
                                  r"rows \(3\) got: 5"):
        tf.linalg.band_part(ones, 5, 0)
    with pytest.raises(IAE, match=r"number of columns \(4\) got: 5"):
        tf.linalg.band_part(ones, 0, 5)


# -- solve, cholesky, matvec --------------------------------------------------------------------
def test_solve():
    a, b = well_conditioned(2, 3, 3), r(2, 3, 2)
    np.testing.assert_allclose(tf.linalg.solve(a, b).numpy(), np.linalg.solve(a, b))
    np.testing.assert_allclose(tf.linalg.solve(a, b, adjoint=True).numpy(),
                               np.linalg.solve(np.swapaxes(a, 1, 2), b))
    check_grad(tf.linalg.solve, well_conditioned(3, 3), r(3, 2), second_order=True)
    check_grad(lambda m, y: tf.linalg.solve(m, y, adjoint=True), well_conditioned(2, 2, 2),
               r(2, 2, 1))
    with pytest.raises(IAE, match="Input matrix is not invertible"):
        tf.linalg.solve(tf.ones([2, 2]), [[1.0], [2]])
    with pytest.raises(IAE, match="Input matrix and rhs are incompatible"):
        tf.linalg.solve(well_conditioned(2, 2), [[1.0], [2], [3]])
    with pytest.raises(IAE, match="All input tensors must have the same rank"):
        tf.linalg.solve(well_conditioned(2, 2), [1.0, 2])
    with pytest.raises(IAE, match="same outer dimensions"):
        tf.linalg.solve(well_conditioned(1, 2, 2), np.ones((3, 2, 1)))


def test_cholesky():
    m = spd(3, (2,))
    np.testing.assert_allclose(tf.linalg.cholesky(m).numpy(), np.linalg.cholesky(m))
    check_grad(lambda t: tf.linalg.cholesky(sym(t)), spd(3), second_order=True)
    check_grad(lambda t: tf.linalg.cholesky(sym(t)), spd(2, (2,)))
    with pytest.raises(IAE, match="Cholesky decomposition was not successful"):
        tf.linalg.cholesky(-spd(2))
    with pytest.raises(IAE, match="Input matrix must be square"):
        tf.linalg.cholesky(r(2, 3))


def test_matvec():
    a, v = r(2, 3), r(3)
    np.testing.assert_allclose(tf.linalg.matvec(a, v).numpy(), a @ v)
    np.testing.assert_allclose(tf.linalg.matvec(a, r(2)[:2], transpose_a=True).numpy().shape,
                               (3,))
    assert tf.linalg.matvec(tf.ones([4, 2, 3]), tf.ones([3])).shape == (4, 2)
    assert tf.linalg.matvec([[1, 2]], [1, 1]).numpy().tolist() == [3]
    check_grad(tf.linalg.matvec, r(2, 2, 3), r(2, 3), second_order=True)
    with pytest.raises(IAE, match="Matrix size-incompatible"):
        tf.linalg.matvec(a, [1.0, 1])


def test_public_names():
    for name in ("einsum", "norm", "tensordot", "matmul"):
        assert callable(getattr(tf, name))
    for name in ("tensordot", "einsum", "inv", "det", "slogdet", "logdet", "norm", "trace",
                 "diag", "diag_part", "matrix_transpose", "adjoint", "band_part", "solve",
                 "cholesky", "matvec", "eye", "matmul"):
        assert callable(getattr(tf.linalg, name)), name


# -- parity with TensorFlow (skipped when it is not installed) ----------------------------------
def test_parity_with_tensorflow():
    real = pytest.importorskip("tensorflow")
    a, b, m = r(3, 4), r(4, 2), well_conditioned(3, 3)
    cases = [
        lambda k: k.tensordot(a, b, 1),
        lambda k: k.einsum("ij,jk->ki", a, b),
        lambda k: k.linalg.inv(m),
        lambda k: k.linalg.det(m),
        lambda k: k.norm(a, ord=1, axis=[0, 1]),
        lambda k: k.norm(a, ord=np.inf, axis=[0, 1]),
        lambda k: k.norm(a, ord=2, axis=[0, 1]),
        lambda k: k.norm(a, ord=3, axis=0, keepdims=True),
        lambda k: k.linalg.diag_part(a, k=1),
        lambda k: k.linalg.band_part(a, 1, 0),
        lambda k: k.linalg.solve(m, b[:3]),
    ]
    for fn in cases:
        np.testing.assert_allclose(np.asarray(fn(tf)), np.asarray(fn(real)), rtol=1e-6)
    for k in (tf, real):
        t = k.constant(m)
        with k.GradientTape() as tape:
            tape.watch(t)
            y = k.reduce_sum(k.linalg.cholesky(t) * 1.5) + k.norm(t, ord=2, axis=[0, 1])
        g = tape.gradient(y, t).numpy()
        if k is tf:
            mine = g
    np.testing.assert_allclose(mine, g, rtol=1e-6)
