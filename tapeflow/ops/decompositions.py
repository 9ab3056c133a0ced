"""``tf.linalg`` decompositions and the solvers built on them: svd, qr, eigh, lu, triangular
and least-squares solves, pinv, expm and the small matrix helpers TF keeps beside them.

A decomposition with several results runs once, as one op whose output packs the results
along a last axis; the results are slices of it, so a gradient rule sees the gradients of
all of them at once (zeros for the ones not used). Gradient rules are written with tapeflow
ops, so they can be differentiated again.
"""
import collections
import math as _math

from .. import dtypes
from ..backend import host as np
from ..backend import to_host, xp_of
from ..errors import InvalidArgumentError
from ..errors import _invalid as invalid
from ..tensor import TensorBase, const, convert_to_tensor
from ._core import Op, apply
from .array import concat, expand_dims, eye, reshape, stack
from .indexing import gather
from .linalg import (
    DIAG_EMBED,
    DIAG_PART,
    _matrix_input,
    band_part,
    cholesky,
    diag_part,
    matmul,
    matrix_transpose,
    solve,
)
from .math import cast, sqrt, square, where, zeros_like
from .reduction import reduce_max, reduce_sum

__all__ = [
    "svd", "qr", "eigh", "eigvalsh", "lu", "lu_solve", "lu_reconstruct", "lu_matrix_inverse",
    "triangular_solve", "cholesky_solve", "lstsq", "matrix_solve_ls", "pinv", "matrix_rank",
    "expm", "cross", "set_diag", "matrix_set_diag", "normalize", "global_norm", "tensor_diag",
    "tensor_diag_part", "tridiagonal_solve", "tridiagonal_matmul", "banded_triangular_solve",
]

Qr = collections.namedtuple("Qr", ["q", "r"])
Lu = collections.namedtuple("Lu", ["lu", "p"])


def _t(x):
    return x if isinstance(x, TensorBase) else convert_to_tensor(x)


def _T(x):
    return matrix_transpose(x)


def _unpack(packed, batch, shapes):
    """The results packed along the last axis of ``packed``, each reshaped to ``batch +
    shape``."""
    out, off = [], 0
    for shp in shapes:
        size = _math.prod(shp)
        out.append(reshape(packed[..., off:off + size], list(batch) + list(shp)))
        off += size
    return out


def _pack(xp, arrays, batch):
    return xp.concatenate([a.reshape(tuple(batch) + (-1,)) for a in arrays], axis=-1)


def _eye_like(n, like):
    return eye(n, dtype=like.dtype)


def _off_diag_inverse(diff):
    """``1 / diff`` off the diagonal, 0 on it (the F matrix of the spectral gradients)."""
    n = diff._v.shape[-1]
    mask = cast(_eye_like(n, diff), "bool")
    safe = where(mask, zeros_like(diff) + 1.0, diff)
    return where(mask, zeros_like(diff), 1.0 / safe)


def _lower_with_half_diagonal(g):
    """TF's rule for ops that read only the lower triangle: fold the gradient of the upper
    triangle onto the lower one."""
    s = g + _T(g)
    low = band_part(s, -1, 0)
    d = apply(DIAG_PART, (low,), {"k": 0})
    n = g._v.shape[-1]
    return low - 0.5 * apply(DIAG_EMBED, (d,), {"k": 0, "rows": n, "cols": n, "padding": 0})


def _diag(d):
    n = d._v.shape[-1]
    return apply(DIAG_EMBED, (d,), {"k": 0, "rows": n, "cols": n, "padding": 0})


# -- svd ----------------------------------------------------------------------------------------
def _svd_fwd(a, full, uv):
    xp = xp_of(a)
    batch = a.shape[:-2]
    if not uv:
        return xp.linalg.svd(a, compute_uv=False)
    u, s, vh = xp.linalg.svd(a, full_matrices=full)
    return _pack(xp, [s, u, xp.swapaxes(vh, -1, -2)], batch)


def _svd_grad(n, g):
    a = n.inputs[0]
    full, uv = n.attrs["full"], n.attrs["uv"]
    m, k_n = a._v.shape[-2], a._v.shape[-1]
    k = min(m, k_n)
    batch = a._v.shape[:-2]
    if not uv:
        u, s, v = _svd_factors(a)
        return (matmul(u * expand_dims(g, -2), v, transpose_b=True),)
    if full and m != k_n:
        raise NotImplementedError(
            "SVD gradient has not been implemented for input with unequal number of rows and "
            "columns when full_matrices=True (tf.linalg.svd)")
    cols_u = m if full else k
    cols_v = k_n if full else k
    s, u, v = _unpack(n.out, batch, [(k,), (m, cols_u), (k_n, cols_v)])
    gs, gu, gv = _unpack(g, batch, [(k,), (m, cols_u), (k_n, cols_v)])
    return (_svd_backward(a, s, u, v, gs, gu, gv),)


def _svd_factors(a):
    out = apply(SVD, (a,), {"full": False, "uv": True})
    m, k_n = a._v.shape[-2], a._v.shape[-1]
    k = min(m, k_n)
    s, u, v = _unpack(out, a._v.shape[:-2], [(k,), (m, k), (k_n, k)])
    return u, s, v


def _svd_backward(a, s, u, v, gs, gu, gv):
    """The gradient of ``a = u diag(s) v^T`` (thin factors) from those of s, u and v."""
    m, k_n = a._v.shape[-2], a._v.shape[-1]
    if m < k_n:  # the wide case is the tall case of the transpose, with u and v swapped
        return _T(_svd_backward(_T(a), s, v, u, gs, gv, gu))
    s2 = square(s)
    f = _off_diag_inverse(expand_dims(s2, -2) - expand_dims(s2, -1))
    utgu = matmul(u, gu, transpose_a=True)
    vtgv = matmul(v, gv, transpose_a=True)
    j = f * (utgu - _T(utgu))
    kk = f * (vtgv - _T(vtgv))
    s_row = expand_dims(s, -2)
    s_col = expand_dims(s, -1)
    inner = j * s_row + _diag(gs) + s_col * kk
    out = matmul(matmul(u, inner), v, transpose_b=True)
    inv_s = 1.0 / s
    # the part of gu outside u's column space (tall matrices only)
    proj = gu - matmul(u, utgu)
    out = out + matmul(proj * expand_dims(inv_s, -2), v, transpose_b=True)
    return out


SVD = Op("Svd", _svd_fwd, _svd_grad, "f")


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """Singular values ``s`` (descending) and, with ``compute_uv``, the singular vectors:
    ``tensor = u @ diag(s) @ adjoint(v)``. Returns ``s`` or ``(s, u, v)``.

    >>> s, u, v = tf.linalg.svd(tf.constant([[3.0, 0.0], [0.0, 4.0]]))
    >>> s.numpy()
    array([4., 3.], dtype=float32)
    """
    a = _matrix_input(tensor, "Svd", square=False)
    if not compute_uv:
        return apply(SVD, (a,), {"full": False, "uv": False})
    out = apply(SVD, (a,), {"full": bool(full_matrices), "uv": True})
    m, k_n = a._v.shape[-2], a._v.shape[-1]
    k = min(m, k_n)
    cu, cv = (m, k_n) if full_matrices else (k, k)
    s, u, v = _unpack(out, a._v.shape[:-2], [(k,), (m, cu), (k_n, cv)])
    return s, u, v


# -- qr -----------------------------------------------------------------------------------------
def _qr_fwd(a, full):
    xp = xp_of(a)
    q, r = xp.linalg.qr(a, mode="complete" if full else "reduced")
    return _pack(xp, [q, r], a.shape[:-2])


def _qr_shapes(shape, full):
    m, n = shape[-2], shape[-1]
    k = m if full else min(m, n)
    return [(m, k), (k, n)]


def _qr_grad(n, g):
    a = n.inputs[0]
    full = n.attrs["full"]
    m, cols = a._v.shape[-2], a._v.shape[-1]
    if full and m > cols:
        raise NotImplementedError(
            "The gradient of tf.linalg.qr with full_matrices=True is implemented only when "
            f"the matrix has no more rows than columns (input shape {list(a._v.shape)})")
    batch = a._v.shape[:-2]
    q, r = _unpack(n.out, batch, _qr_shapes(a._v.shape, full))
    gq, gr = _unpack(g, batch, _qr_shapes(a._v.shape, full))
    return (_qr_backward(a, q, r, gq, gr),)


def _copy_lower_to_upper(mat):
    low = band_part(mat, -1, -1) - band_part(mat, 0, -1)  # strictly lower
    return low + _T(low) + _diag(apply(DIAG_PART, (mat,), {"k": 0}))


def _qr_backward(a, q, r, gq, gr):
    m, cols = a._v.shape[-2], a._v.shape[-1]
    if m >= cols:
        mid = matmul(r, gr, transpose_b=True) - matmul(gq, q, transpose_a=True)
        b = gq + matmul(q, _copy_lower_to_upper(mid))
        # b @ r^-T, with r upper triangular: solve r @ x^T = b^T
        return _T(triangular_solve(r, _T(b), lower=False))
    # wide: a = [x | y] with x square; r = [u | w], w = q^T y
    x = a[..., :, :m]
    y = a[..., :, m:]
    u = r[..., :, :m]
    gu = gr[..., :, :m]
    gw = gr[..., :, m:]
    gq_x = gq + matmul(y, gw, transpose_b=True)
    gx = _qr_backward(x, q, u, gq_x, gu)
    gy = matmul(q, gw)
    return concat([gx, gy], axis=-1)


QR = Op("Qr", _qr_fwd, _qr_grad, "f")


def qr(input, full_matrices=False, name=None):
    """``Qr(q, r)`` with ``input = q @ r``, ``q`` orthonormal columns, ``r`` upper triangular
    (signs as LAPACK's Householder QR gives them, as TF's CPU kernel)."""
    a = _matrix_input(input, "Qr", square=False)
    out = apply(QR, (a,), {"full": bool(full_matrices)})
    q, r = _unpack(out, a._v.shape[:-2], _qr_shapes(a._v.shape, bool(full_matrices)))
    return Qr(q, r)


# -- eigh ---------------------------------------------------------------------------------------
def _eigh_fwd(a, vectors):
    xp = xp_of(a)
    if not vectors:
        return xp.linalg.eigvalsh(a, UPLO="L")
    e, v = xp.linalg.eigh(a, UPLO="L")
    return _pack(xp, [e, v], a.shape[:-2])


def _eigh_grad(n, g):
    a = n.inputs[0]
    size = a._v.shape[-1]
    batch = a._v.shape[:-2]
    if not n.attrs["vectors"]:
        e, v = _unpack(apply(EIGH, (a,), {"vectors": True}), batch, [(size,), (size, size)])
        ga = matmul(v * expand_dims(g, -2), v, transpose_b=True)
        return (_lower_with_half_diagonal(ga),)
    e, v = _unpack(n.out, batch, [(size,), (size, size)])
    ge, gv = _unpack(g, batch, [(size,), (size, size)])
    f = _off_diag_inverse(expand_dims(e, -2) - expand_dims(e, -1))
    inner = _diag(ge) + f * matmul(v, gv, transpose_a=True)
    ga = matmul(matmul(v, inner), v, transpose_b=True)
    return (_lower_with_half_diagonal(ga),)


EIGH = Op("SelfAdjointEigV2", _eigh_fwd, _eigh_grad, "f")


def eigh(tensor, name=None):
    """Eigenvalues (ascending) and eigenvectors of self-adjoint matrices; only the lower
    triangle is read. Returns ``(e, v)`` with ``tensor @ v = v @ diag(e)``."""
    a = _matrix_input(tensor, "SelfAdjointEigV2")
    size = a._v.shape[-1]
    out = apply(EIGH, (a,), {"vectors": True})
    e, v = _unpack(out, a._v.shape[:-2], [(size,), (size, size)])
    return e, v


def eigvalsh(tensor, name=None):
    """Eigenvalues (ascending) of self-adjoint matrices (lower triangle read)."""
    a = _matrix_input(tensor, "SelfAdjointEigV2")
    return apply(EIGH, (a,), {"vectors": False})


# -- triangular solves --------------------------------------------------------------------------
def _tri_fwd(a, b, lower, adjoint):
    xp = xp_of(a)
    tri = xp.tril(a) if lower else xp.triu(a)
    if adjoint:
        tri = xp.swapaxes(tri, -1, -2)
    try:
        return xp.linalg.solve(tri, b)
    except xp.linalg.LinAlgError:
        raise invalid("MatrixTriangularSolve", "Input matrix is not invertible.") from None


def _tri_grad(n, g):
    a, _ = n.inputs
    lower, adjoint = n.attrs["lower"], n.attrs["adjoint"]
    gb = apply(TRI_SOLVE, (a, g), {"lower": lower, "adjoint": not adjoint})
    ga = None
    if n.needs[0]:
        x = n.out
        full = -matmul(x, gb, transpose_b=True) if adjoint else -matmul(gb, x, transpose_b=True)
        ga = band_part(full, -1, 0) if lower else band_part(full, 0, -1)
    return ga, gb


TRI_SOLVE = Op("MatrixTriangularSolve", _tri_fwd, _tri_grad, "f")


def triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """Solve ``matrix @ x = rhs`` for a triangular ``matrix`` (only its ``lower`` or upper
    triangle is read; ``adjoint`` solves with its transpose)."""
    a = _matrix_input(matrix, "MatrixTriangularSolve")
    b = _t(rhs)
    if b._v.dtype != a._v.dtype:
        raise InvalidArgumentError(
            None, "MatrixTriangularSolve",
            f"cannot compute MatrixTriangularSolve as input #1(zero-based) was expected to be a "
            f"{a.dtype.name} tensor but is a {b.dtype.name} tensor [Op:MatrixTriangularSolve]")
    if b._v.ndim < 2 or b._v.shape[-2] != a._v.shape[-1]:
        raise invalid("MatrixTriangularSolve", f"Input matrix and rhs are incompatible. (matrix "
                      f"shape {list(a._v.shape)}, rhs shape {list(b._v.shape)})")
    return apply(TRI_SOLVE, (a, b), {"lower": bool(lower), "adjoint": bool(adjoint)})


def cholesky_solve(chol, rhs, name=None):
    """Solve ``A x = rhs`` given ``chol``, the Cholesky factor of ``A``."""
    y = triangular_solve(chol, rhs, lower=True, adjoint=False)
    return triangular_solve(chol, y, lower=True, adjoint=True)


# -- least squares and the pseudo-inverse -------------------------------------------------------
def lstsq(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    """The least-squares (or, for underdetermined systems, minimum-norm) solution of
    ``matrix @ x = rhs``, optionally Tikhonov-regularised.

    ``fast=True`` solves the normal equations by Cholesky, as TF does; ``fast=False`` uses
    the pseudo-inverse (SVD), which copes with rank-deficient matrices.
    """
    a = _matrix_input(matrix, "MatrixSolveLs", square=False)
    b = _t(rhs)
    if b._v.dtype != a._v.dtype:
        raise InvalidArgumentError(None, "MatrixSolveLs", "matrix and rhs must have the same "
                                   f"dtype, got {a.dtype.name} and {b.dtype.name}")
    if b._v.ndim < 2 or b._v.shape[-2] != a._v.shape[-2]:
        raise invalid("MatrixSolveLs", f"matrix and rhs do not have the same number of rows "
                      f"(matrix shape {list(a._v.shape)}, rhs shape {list(b._v.shape)})")
    lam = float(l2_regularizer)
    m, n = a._v.shape[-2], a._v.shape[-1]
    if not fast:
        if lam:
            raise InvalidArgumentError(None, "MatrixSolveLs", "l2_regularizer must be 0 when "
                                       "fast=False")
        return matmul(pinv(a), b)
    if m >= n:
        gram = matmul(a, a, transpose_a=True)
        if lam:
            gram = gram + lam * _eye_like(n, a)
        return cholesky_solve(cholesky(gram), matmul(a, b, transpose_a=True))
    gram = matmul(a, a, transpose_b=True)
    if lam:
        gram = gram + lam * _eye_like(m, a)
    return matmul(a, cholesky_solve(cholesky(gram), b), transpose_a=True)


matrix_solve_ls = lstsq


def _default_rcond(a):
    m, n = a._v.shape[-2], a._v.shape[-1]
    return 10.0 * max(m, n) * float(np.finfo(a._v.dtype).eps)


def pinv(a, rcond=None, validate_args=False, name=None):
    """The Moore-Penrose pseudo-inverse: singular values at or below ``rcond * max(s)`` are
    treated as zero (default ``rcond``: ``10 * max(rows, cols) * eps``, as TF)."""
    a = _matrix_input(a, "Pinv", square=False)
    rcond = _default_rcond(a) if rcond is None else float(rcond)
    s, u, v = svd(a)
    cutoff = rcond * reduce_max(s, axis=-1, keepdims=True)
    keep = s > cutoff
    safe = where(keep, s, zeros_like(s) + 1.0)
    inv_s = where(keep, 1.0 / safe, zeros_like(s))
    return matmul(v * expand_dims(inv_s, -2), u, transpose_b=True)


def matrix_rank(a, tol=None, validate_args=False, name=None):
    """The number of singular values above ``tol`` (default ``eps * max(rows, cols) *
    max(s)``), as int32."""
    a = _matrix_input(a, "MatrixRank", square=False)
    s = svd(a, compute_uv=False)
    if tol is None:
        m, n = a._v.shape[-2], a._v.shape[-1]
        tol = float(np.finfo(a._v.dtype).eps) * max(m, n) * reduce_max(s, axis=-1,
                                                                      keepdims=True)
    return reduce_sum(cast(s > tol, dtypes.int32), axis=-1)


# -- lu -----------------------------------------------------------------------------------------
def _lu_fwd(a, idx_dtype):
    """Packed LU with partial pivoting: ``a[perm] = L @ U`` (unit-diagonal L below the
    diagonal, U on and above it), plus ``perm``, packed after the matrix."""
    xp = xp_of(a)
    n = a.shape[-1]
    batch = a.shape[:-2]
    lu_ = a.reshape((-1, n, n)).copy()
    perm = xp.tile(xp.arange(n), (lu_.shape[0], 1))
    rows = xp.arange(lu_.shape[0])
    for k in range(n):
        p = k + xp.argmax(xp.abs(lu_[:, k:, k]), axis=1)
        if (lu_[rows, p, k] == 0).any():
            raise invalid("Lu", "Input is not invertible.")
        swap = p != k
        if swap.any():
            rk = lu_[rows, k].copy()
            lu_[rows, k] = lu_[rows, p]
            lu_[rows, p] = rk
            pk = perm[rows, k].copy()
            perm[rows, k] = perm[rows, p]
            perm[rows, p] = pk
        lu_[:, k + 1:, k] /= lu_[:, k:k + 1, k]
        lu_[:, k + 1:, k + 1:] -= lu_[:, k + 1:, k:k + 1] * lu_[:, k:k + 1, k + 1:]
    return _pack(xp, [lu_.reshape(batch + (n, n)), perm.reshape(batch + (n,)).astype(a.dtype)],
                 batch)


def _lu_grad(n, g):
    a = n.inputs[0]
    size = a._v.shape[-1]
    batch = a._v.shape[:-2]
    lu_, perm = _unpack(n.out, batch, [(size, size), (size,)])
    glu, _ = _unpack(g, batch, [(size, size), (size,)])
    ident = _eye_like(size, a)
    lower = band_part(lu_, -1, 0) - band_part(lu_, 0, 0) + ident
    upper = band_part(lu_, 0, -1)
    gl = band_part(glu, -1, 0) - band_part(glu, 0, 0)
    gu = band_part(glu, 0, -1)
    mid = band_part(matmul(lower, gl, transpose_a=True), -1, 0) - band_part(
        matmul(lower, gl, transpose_a=True), 0, 0) + band_part(
        matmul(gu, upper, transpose_b=True), 0, -1)
    # L^-T mid U^-T, then undo the row permutation
    x = triangular_solve(lower, mid, lower=True, adjoint=True)
    ga_perm = _T(triangular_solve(upper, _T(x), lower=False))
    inv = _inverse_permutation(cast(perm, dtypes.int64))
    return (gather(ga_perm, inv, axis=-2, batch_dims=len(batch)),)


def _inverse_permutation(perm):
    p = perm._v
    xp = xp_of(p)
    inv = xp.empty_like(p)
    xp.put_along_axis(inv, p, xp.broadcast_to(xp.arange(p.shape[-1]), p.shape), axis=-1)
    return const(inv)


LU = Op("Lu", _lu_fwd, _lu_grad, "f")


def lu(input, output_idx_type=dtypes.int32, name=None):
    """``Lu(lu, p)``: the packed LU factorisation of square matrices with partial pivoting,
    ``input[..., p, :] = L @ U`` (``L`` unit lower triangular, stored below the diagonal)."""
    a = _matrix_input(input, "Lu")
    size = a._v.shape[-1]
    out = apply(LU, (a,), {"idx_dtype": None})
    packed, perm = _unpack(out, a._v.shape[:-2], [(size, size), (size,)])
    return Lu(packed, cast(perm, dtypes.as_dtype(output_idx_type)))


def lu_reconstruct(lower_upper, perm, validate_args=False, name=None):
    """The matrix an ``lu`` factorisation came from."""
    packed = _t(lower_upper)
    size = packed._v.shape[-1]
    lower = band_part(packed, -1, 0) - band_part(packed, 0, 0) + _eye_like(size, packed)
    prod = matmul(lower, band_part(packed, 0, -1))
    inv = _inverse_permutation(cast(_t(perm), dtypes.int64))
    return gather(prod, inv, axis=-2, batch_dims=packed._v.ndim - 2)


def lu_solve(lower_upper, perm, rhs, validate_args=False, name=None):
    """Solve ``A x = rhs`` from ``A``'s ``lu`` factorisation."""
    packed = _t(lower_upper)
    b = _t(rhs)
    size = packed._v.shape[-1]
    pb = gather(b, cast(_t(perm), dtypes.int64), axis=-2, batch_dims=packed._v.ndim - 2)
    lower = band_part(packed, -1, 0) - band_part(packed, 0, 0) + _eye_like(size, packed)
    y = triangular_solve(lower, pb, lower=True)
    return triangular_solve(band_part(packed, 0, -1), y, lower=False)


def lu_matrix_inverse(lower_upper, perm, validate_args=False, name=None):
    """The inverse of the matrix an ``lu`` factorisation came from."""
    packed = _t(lower_upper)
    size = packed._v.shape[-1]
    ident = _eye_like(size, packed) + zeros_like(packed)
    return lu_solve(packed, perm, ident)


# -- expm ---------------------------------------------------------------------------------------
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0,
           1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0)


def expm(input, name=None):
    """The matrix exponential, by scaling and squaring with a degree-13 Padé approximant
    (differentiable: it is built from matmuls and a solve)."""
    a = _matrix_input(input, "MatrixExponential")
    size = a._v.shape[-1]
    norm1 = float(np.max(np.sum(np.abs(np.asarray(to_host(a._v))), axis=-2))) if a._v.size else 0.0
    squarings = max(0, int(_math.ceil(_math.log2(norm1 / 5.37)))) if norm1 > 5.37 else 0
    x = a * (0.5 ** squarings)
    ident = _eye_like(size, a) + zeros_like(x)
    b = _PADE13
    x2 = matmul(x, x)
    x4 = matmul(x2, x2)
    x6 = matmul(x4, x2)
    u = matmul(x, matmul(x6, b[13] * x6 + b[11] * x4 + b[9] * x2)
               + b[7] * x6 + b[5] * x4 + b[3] * x2 + b[1] * ident)
    v = matmul(x6, b[12] * x6 + b[10] * x4 + b[8] * x2) + b[6] * x6 + b[4] * x4 + \
        b[2] * x2 + b[0] * ident
    r = solve(v - u, v + u)
    for _ in range(squarings):
        r = matmul(r, r)
    return r


# -- small helpers ------------------------------------------------------------------------------
def cross(a, b, name=None):
    """The cross product of 3-vectors along the last axis."""
    a, b = _t(a), _t(b)
    if a._v.shape[-1:] != (3,) or b._v.shape[-1:] != (3,):
        raise invalid("Cross", f"Arrays must have size 3 in the last dimension (shapes "
                      f"{list(a._v.shape)} and {list(b._v.shape)})")
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)


def set_diag(input, diagonal, name="set_diag", k=0, align="RIGHT_LEFT"):
    """``input`` with its ``k``-th diagonal replaced by ``diagonal``."""
    t = _t(input)
    d = _t(diagonal)
    if d._v.dtype != t._v.dtype:
        raise InvalidArgumentError(
            None, "MatrixSetDiagV3",
            "cannot compute MatrixSetDiagV3 as input #1(zero-based) was expected to be a "
            f"{t.dtype.name} tensor but is a {d.dtype.name} tensor [Op:MatrixSetDiagV3]")
    rows, cols = t._v.shape[-2], t._v.shape[-1]
    k = int(k)
    ones = const(np.ones(d._v.shape, t._v.dtype))
    mask = apply(DIAG_EMBED, (ones,), {"k": k, "rows": rows, "cols": cols, "padding": 0})
    new = apply(DIAG_EMBED, (d,), {"k": k, "rows": rows, "cols": cols,
                                                  "padding": 0})
    return t * (1.0 - mask) + new if t._v.dtype.kind == "f" else where(
        cast(mask, "bool"), new, t)


matrix_set_diag = set_diag


def normalize(tensor, ord="euclidean", axis=None, name=None):
    """``(tensor / norm, norm)`` with ``tf.norm``'s ``ord`` and ``axis``."""
    from .linalg import norm as _norm  # deferred: keeps this module's import list short

    t = _t(tensor)
    n = _norm(t, ord=ord, axis=axis, keepdims=True)
    return t / n, n


def global_norm(t_list, name=None):
    """``sqrt(sum of squares of every tensor in t_list)`` (None entries skipped)."""
    if isinstance(t_list, TensorBase) or not isinstance(t_list, (list, tuple)):
        raise TypeError("t_list should be a sequence")
    parts = [reduce_sum(square(cast(_t(x), dtypes.float32) if _t(x).dtype.is_integer
                               else _t(x))) for x in t_list if x is not None]
    if not parts:
        return const(np.float32(0.0))
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return sqrt(total)


def tensor_diag(diagonal, name=None):
    """A rank-2k tensor with ``diagonal`` (rank k) on its diagonal."""
    d = _t(diagonal)
    shape = list(d._v.shape)
    n = _math.prod(shape)
    flat = reshape(d, [n])
    return reshape(_diag(flat), shape + shape)


def tensor_diag_part(input, name=None):
    """The diagonal of a rank-2k tensor whose first and last k axes match."""
    t = _t(input)
    shape = list(t._v.shape)
    half = len(shape) // 2
    if len(shape) % 2 or shape[:half] != shape[half:]:
        raise invalid("DiagPart", f"Input must have even rank and matching halves, got "
                      f"shape {shape}")
    n = _math.prod(shape[:half])
    return reshape(diag_part(reshape(t, [n, n])), shape[:half])


def _tridiagonal_dense(diagonals, diagonals_format, rhs_like):
    if diagonals_format == "matrix":
        return _t(diagonals)
    if diagonals_format == "sequence":
        sup, main, sub = (_t(x) for x in diagonals)
    elif diagonals_format == "compact":
        d = _t(diagonals)
        sup, main, sub = d[..., 0, :], d[..., 1, :], d[..., 2, :]
    else:
        raise ValueError(f"Unrecognized diagonals_format: {diagonals_format}")
    n = main._v.shape[-1]
    emb = {"rows": n, "cols": n, "padding": 0}
    return (_diag(main) + apply(DIAG_EMBED, (sup[..., :-1],), {"k": 1, **emb})
            + apply(DIAG_EMBED, (sub[..., 1:],), {"k": -1, **emb}))


def tridiagonal_solve(diagonals, rhs, diagonals_format="compact", transpose_rhs=False,
                      conjugate_rhs=False, name=None, partial_pivoting=True,
                      perturb_singular=False):
    """Solve a tridiagonal system. ``compact`` diagonals are ``[..., 3, n]``: the
    superdiagonal (last element ignored), the diagonal, the subdiagonal (first ignored)."""
    b = _t(rhs)
    a = _tridiagonal_dense(diagonals, diagonals_format, b)
    if transpose_rhs:
        b = _T(b) if b._v.ndim > 1 else b
    vector = b._v.ndim == a._v.ndim - 1
    x = solve(a, expand_dims(b, -1) if vector else b)
    x = x[..., 0] if vector else x
    return _T(x) if transpose_rhs and x._v.ndim > 1 else x


def tridiagonal_matmul(diagonals, rhs, diagonals_format="compact", name=None):
    """``A @ rhs`` for a tridiagonal ``A`` given by its diagonals."""
    b = _t(rhs)
    return matmul(_tridiagonal_dense(diagonals, diagonals_format, b), b)


def banded_triangular_solve(bands, rhs, lower=True, adjoint=False, name=None):
    """Solve with a banded triangular matrix given as ``[..., K, n]`` bands. ``lower``: row
    i is the i-th subdiagonal (the diagonal first), padded on the left; otherwise row i is
    the (K-1-i)-th superdiagonal (the diagonal last), padded on the right."""
    bd = _t(bands)
    n = bd._v.shape[-1]
    nb = bd._v.shape[-2]
    emb = {"rows": n, "cols": n, "padding": 0}
    dense = None
    for i in range(nb):
        if lower:
            part = apply(DIAG_EMBED, (bd[..., i, i:],), {"k": -i, **emb})
        else:
            j = nb - 1 - i
            part = apply(DIAG_EMBED, (bd[..., i, :n - j],), {"k": j, **emb})
        dense = part if dense is None else dense + part
    return triangular_solve(dense, rhs, lower=lower, adjoint=adjoint)

