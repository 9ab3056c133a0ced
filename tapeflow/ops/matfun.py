"""Matrix functions of ``tf.linalg`` beyond the decompositions: the general (non-symmetric)
eigendecomposition ``eig``/``eigvals``, the principal square root ``sqrtm`` and logarithm
``logm``, and the tridiagonal symmetric eigensolver ``eigh_tridiagonal``.

``eig`` and ``sqrtm`` carry gradient rules computed on the backend arrays (so they can be
differentiated once, not twice); ``logm`` has none: differentiating it raises TF's LookupError.
"""
import collections

from .. import dtypes
from ..backend import xp_of
from ..errors import InvalidArgumentError
from ..errors import _invalid as invalid
from ..tensor import TensorBase, const, convert_to_tensor
from ._core import Op, apply
from .array import eye, reshape
from .decompositions import _pack, _unpack, eigh, eigvalsh
from .linalg import DIAG_EMBED, _linalg_error, matmul, matrix_transpose
from .math import _holo, cast, conj, logical_and

__all__ = ["eig", "eigvals", "sqrtm", "matrix_square_root", "logm", "eigh_tridiagonal"]


# -- solve and determinant of real or complex matrices (the LinearOperators' dense path) -------
def _solve_rule(n, g):
    a, _ = n.inputs
    gb = apply(SOLVE_FC, (matrix_transpose(a), g), {})
    ga = -matmul(gb, n.out, transpose_b=True) if n.needs[0] else None
    return ga, gb


SOLVE_FC = Op("MatrixSolve", _linalg_error("MatrixSolve", "Input matrix is not invertible.")(
    lambda a, b: xp_of(a).linalg.solve(a, b)), _holo(_solve_rule), "fc")


def solve_any(matrix, rhs):
    """``matrix^-1 @ rhs`` for float or complex matrices of one dtype and batch shape
    (TF's MatrixSolve; gradients by TF's complex convention)."""
    return apply(SOLVE_FC, (matrix, rhs), {})


def _det_rule(n, g):
    """TF's rule ``g * det(A) * A^-H`` (for complex A it leaves det unconjugated, as TF)."""
    a = n.inputs[0]
    size = a._v.shape[-1]
    inverse = apply(SOLVE_FC, (a, eye(size, dtype=a.dtype) + a * 0), {})
    scale = reshape(g * n.out, list(g._v.shape) + [1, 1])
    return (scale * conj(matrix_transpose(inverse)),)


DET_FC = Op("MatrixDeterminant", lambda a: xp_of(a).linalg.det(a), _det_rule, "fc")


def det_any(matrix):
    """The determinant of float or complex square matrices."""
    return apply(DET_FC, (matrix,), {})


def _inverse_adjoint(a):
    size = a._v.shape[-1]
    return conj(matrix_transpose(apply(SOLVE_FC, (a, eye(size, dtype=a.dtype) + a * 0), {})))


def _log_abs_det_rule(n, g):
    """TF's rule for log|det|: ``g * A^-H``."""
    return (reshape(g, list(g._v.shape) + [1, 1]) * _inverse_adjoint(n.inputs[0]),)


LOG_ABS_DET_FC = Op("LogMatrixDeterminant",
                    lambda a: xp_of(a).linalg.slogdet(a)[1].astype(a.dtype), _log_abs_det_rule,
                    "fc")


def log_abs_det_any(matrix):
    """``log |det|`` of float or complex square matrices, in the input's dtype (TF's
    complex slogdet keeps the complex dtype)."""
    return apply(LOG_ABS_DET_FC, (matrix,), {})


def inv_any(matrix):
    """The inverse of float or complex square matrices (a solve against the identity)."""
    size = matrix._v.shape[-1]
    return apply(SOLVE_FC, (matrix, eye(size, dtype=matrix.dtype) + matrix * 0), {})

_NAMES = {"f": "double, float, half, complex64, complex128", "c": "complex64, complex128"}


def _square(x, opname, kinds="fc"):
    """``x`` as a tensor of square matrices of an allowed dtype kind, or TF's error."""
    t = x if isinstance(x, TensorBase) else convert_to_tensor(x)
    if t._v.dtype.kind not in kinds:
        raise InvalidArgumentError(
            None, opname, f"Value for attr 'T' of {t.dtype.name} is not in the list of allowed "
            f"values: {_NAMES[kinds[0]]} [Op:{opname}]")
    shape = t._v.shape
    if len(shape) < 2:
        raise invalid(opname, f"Input must have rank >= 2, got {len(shape)}")
    if shape[-1] != shape[-2]:
        raise invalid(opname, f"Input matrices must be squares, got {shape[-2]} != "
                      f"{shape[-1]}")
    return t


def _complex_of(np_dtype):
    return dtypes.complex64._np if np_dtype.itemsize <= 4 else dtypes.complex128._np


def _adj(a):
    return a.conj().swapaxes(-1, -2)


# -- eig ----------------------------------------------------------------------------------------
def _eig_fwd(a, vectors):
    xp = xp_of(a)
    work = a.astype(xp.complex128) if a.dtype.kind == "c" else a.astype(xp.float64)
    e, v = xp.linalg.eig(work)
    ct = _complex_of(a.dtype) if a.dtype.kind != "c" else a.dtype
    e, v = e.astype(ct), v.astype(ct)
    if not vectors:
        return e
    return _pack(xp, [e, v], a.shape[:-2])


def _eig_grad(n, g):
    """grad A = V^-H (diag(ge) + F * (V^H gv - V^H V diag(re(diag(V^H gv))))) V^H, with
    F_ij = 1 / conj(e_j - e_i) off the diagonal; the real part for a real input."""
    a = n.inputs[0]._v
    xp = xp_of(a)
    size = a.shape[-1]
    batch = a.shape[:-2]
    if n.attrs["vectors"]:
        packed = n.out._v.reshape(batch + (-1,))
        e, v = packed[..., :size], packed[..., size:].reshape(batch + (size, size))
        gp = g._v.reshape(batch + (-1,))
        ge, gv = gp[..., :size], gp[..., size:].reshape(batch + (size, size))
    else:
        e, v = xp.linalg.eig(a.astype(xp.complex128))
        ge, gv = g._v, None
    vh = _adj(v)
    mid = xp.zeros(batch + (size, size), dtype=xp.complex128)
    idx = xp.arange(size)
    mid[..., idx, idx] = ge
    if gv is not None:
        diff = e[..., None, :] - e[..., :, None]
        off = ~xp.eye(size, dtype=bool)
        f = xp.zeros_like(diff)
        f[..., off] = 1.0 / xp.where(diff[..., off] == 0, 1.0, diff[..., off])
        f = xp.conj(f)
        vgv = vh @ gv
        d = xp.zeros_like(vgv)
        d[..., idx, idx] = vgv[..., idx, idx].real
        mid = mid + f * (vgv - (vh @ v) @ d)
    ga = xp.linalg.solve(vh, mid @ vh)
    ga = ga.real if a.dtype.kind != "c" else ga
    return (const(ga.astype(a.dtype)),)


EIG = Op("Eig", _eig_fwd, _eig_grad, "fc")

Eig = collections.namedtuple("Eig", ["e", "v"])


def eig(tensor, name=None):
    """Eigenvalues and right eigenvectors of square (not necessarily symmetric) matrices.

    Args:
      tensor: ``[..., N, N]`` float or complex tensor.
      name: ignored (TF's op name).

    Returns:
      ``(e, v)``: complex eigenvalues ``[..., N]`` and unit-norm eigenvectors ``[..., N, N]``
      (columns), complex64 for float32 input and complex128 for float64.
    """
    a = _square(tensor, "Eig")
    size = a._v.shape[-1]
    out = apply(EIG, (a,), {"vectors": True})
    e, v = _unpack(out, a._v.shape[:-2], [(size,), (size, size)])
    return e, v


def eigvals(tensor, name=None):
    """The complex eigenvalues of square matrices (see ``eig``).

    Args:
      tensor: ``[..., N, N]`` float or complex tensor.
      name: ignored.

    Returns:
      ``[..., N]`` complex tensor.
    """
    a = _square(tensor, "Eig")
    return apply(EIG, (a,), {"vectors": False})


# -- sqrtm --------------------------------------------------------------------------------------
def _sqrt_via_eig(xp, a):
    """The principal square root through the eigendecomposition, or None when the
    eigenvectors are too ill-conditioned (defective matrices)."""
    e, v = xp.linalg.eig(a)
    if a.dtype.kind != "c" and xp.any((e.imag == 0) & (e.real < 0)):
        return xp.full(a.shape, xp.nan)
    if xp.linalg.cond(v) > 1e10:
        return None
    r = (v * xp.sqrt(e.astype(xp.complex128))[None, :]) @ xp.linalg.inv(v)
    return r.real if a.dtype.kind != "c" else r


def _sqrt_denman_beavers(xp, a):
    y, z = a.astype(xp.complex128 if a.dtype.kind == "c" else xp.float64), xp.eye(a.shape[-1])
    for _ in range(100):
        try:
            yi, zi = xp.linalg.inv(y), xp.linalg.inv(z)
        except xp.linalg.LinAlgError:
            return xp.full(a.shape, xp.nan)
        y_next, z = 0.5 * (y + zi), 0.5 * (z + yi)
        if xp.allclose(y_next, y, rtol=1e-15, atol=1e-15):
            return y_next
        y = y_next
    return y


def _sqrtm_fwd(a):
    xp = xp_of(a)
    work = a.astype(xp.complex128 if a.dtype.kind == "c" else xp.float64)
    flat = work.reshape((-1,) + a.shape[-2:])
    out = xp.empty_like(flat)
    for i, m in enumerate(flat):
        r = _sqrt_via_eig(xp, m) if m.size else m
        out[i] = _sqrt_denman_beavers(xp, m) if r is None else r
    return out.reshape(a.shape).astype(a.dtype)


def _sqrtm_grad(n, g):
    """Solve the Sylvester equation ``S^H X + X S^H = g`` for ``X`` (S = sqrtm(A))."""
    s, gv = n.out._v, g._v
    xp = xp_of(s)
    flat_s = _adj(s).reshape((-1,) + s.shape[-2:]).astype(xp.complex128)
    flat_g = gv.reshape(flat_s.shape).astype(xp.complex128)
    out = xp.empty_like(flat_s)
    for i, (m, gm) in enumerate(zip(flat_s, flat_g)):
        d, w = xp.linalg.eig(m)
        winv = xp.linalg.inv(w)
        y = (winv @ gm @ w) / (d[:, None] + d[None, :])
        out[i] = w @ y @ winv
    res = out.reshape(s.shape)
    return (const((res.real if s.dtype.kind != "c" else res).astype(s.dtype)),)


SQRTM = Op("MatrixSquareRoot", _sqrtm_fwd, _sqrtm_grad, "fc")


def sqrtm(input, name=None):
    """The principal square root of square matrices (``tf.linalg.sqrtm``).

    Args:
      input: ``[..., N, N]`` float or complex tensor. A real matrix with a negative real
        eigenvalue has no real principal root: the result is NaN, as in TF.
      name: ignored.

    Returns:
      Tensor of ``input``'s shape and dtype whose square is ``input``.
    """
    a = _square(input, "MatrixSquareRoot")
    return apply(SQRTM, (a,), {})


matrix_square_root = sqrtm


# -- logm ---------------------------------------------------------------------------------------
def _logm_fwd(a):
    xp = xp_of(a)
    flat = a.reshape((-1,) + a.shape[-2:]).astype(xp.complex128)
    out = xp.empty_like(flat)
    for i, m in enumerate(flat):
        e, v = xp.linalg.eig(m)
        out[i] = (v * xp.log(e)[None, :]) @ xp.linalg.inv(v)
    return out.reshape(a.shape).astype(a.dtype)


def _logm_grad(n, g):
    raise LookupError("gradient registry has no entry for: MatrixLogarithm")


LOGM = Op("MatrixLogarithm", _logm_fwd, _logm_grad, "c")


def logm(input, name=None):
    """The principal matrix logarithm of complex square matrices (TF accepts only
    complex64 and complex128 here, and defines no gradient).

    Args:
      input: ``[..., N, N]`` complex tensor.
      name: ignored.

    Returns:
      Tensor of ``input``'s shape and dtype.
    """
    a = _square(input, "MatrixLogarithm", kinds="c")
    return apply(LOGM, (a,), {})


# -- eigh_tridiagonal ---------------------------------------------------------------------------
def _tridiagonal(alpha, beta):
    n = alpha._v.shape[-1]
    d = apply(DIAG_EMBED, (alpha,), {"k": 0, "rows": n, "cols": n, "padding": 0})
    if n > 1:
        d = d + apply(DIAG_EMBED, (beta,), {"k": -1, "rows": n, "cols": n, "padding": 0})
        d = d + apply(DIAG_EMBED, (conj(beta),), {"k": 1, "rows": n, "cols": n, "padding": 0})
    return d


def eigh_tridiagonal(alpha, beta, eigvals_only=True, select="a", select_range=None,
                     tol=None, name=None):
    """Eigenvalues (ascending) and optionally eigenvectors of a Hermitian tridiagonal matrix.

    Args:
      alpha: ``[n]`` real diagonal.
      beta: ``[n - 1]`` off-diagonal (complex allowed: the upper one is its conjugate).
      eigvals_only: return only the eigenvalues.
      select: ``'a'`` all, ``'v'`` those in the half-open interval ``select_range``,
        ``'i'`` those with indices ``select_range[0]..select_range[1]`` (inclusive).
      select_range: the interval or index pair for ``'v'``/``'i'``.
      tol: ignored (the eigenvalues are computed to full precision).
      name: ignored.

    Returns:
      The eigenvalues ``[k]``, or ``(eigenvalues, eigenvectors [n, k])``.
    """
    a = alpha if isinstance(alpha, TensorBase) else convert_to_tensor(alpha)
    b = beta if isinstance(beta, TensorBase) else convert_to_tensor(beta)
    if a._v.dtype.kind not in "fc" or a._v.ndim != 1 or b._v.ndim != 1:
        raise ValueError("eigh_tridiagonal takes a rank-1 float alpha and rank-1 beta")
    if select not in ("a", "v", "i"):
        raise ValueError(f"Invalid select: {select!r}; expected 'a', 'v' or 'i'")
    if a._v.dtype.kind == "c":
        a = cast(a, dtypes.float32 if a._v.dtype.itemsize == 8 else dtypes.float64)
    if b._v.dtype.kind != "c" and b._v.dtype != a._v.dtype:
        b = cast(b, a.dtype)
    mat = _tridiagonal(cast(a, b.dtype) if b._v.dtype.kind == "c" else a, b)
    if eigvals_only:
        e, v = eigvalsh(mat), None
    else:
        e, v = eigh(mat)
    if select != "a":
        lo, hi = select_range
        if select == "i":
            keep = slice(int(lo), int(hi) + 1)
            e = e[keep]
            v = None if v is None else v[:, keep]
        else:
            ev = e._v
            mask = logical_and(const(ev > lo), const(ev <= hi))
            idx = [i for i, m in enumerate(mask._v.tolist()) if m]
            e = e[idx[0]:idx[-1] + 1] if idx else e[0:0]
            v = None if v is None else (v[:, idx[0]:idx[-1] + 1] if idx else v[:, 0:0])
    return e if eigvals_only else (e, v)

