"""``keras.ops.linalg``: decompositions, solves and norms on tapeflow's ``tf.linalg`` ops
(differentiable where TensorFlow's are)."""
from ... import autodiff, nest
from ...backend import host as np
from ...ops import array as A
from ...ops import decompositions as D
from ...ops import linalg as L
from ...ops import matfun as MF
from ...ops import math as M
from ...ops import reduction as R
from ._base import conv, host, need_float, to_float
from .numpy import swapaxes, tril, triu


def _square(x, name):
    if len(x.shape) < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"`{name}` requires square matrices (last two dimensions equal). "
                         f"Received: x.shape={tuple(x.shape)}")
    return x


def cholesky(x, upper=False):
    """The Cholesky factor of a symmetric positive definite matrix (lower by default)."""
    x = _square(to_float(x), "cholesky")
    c = L.cholesky(x)
    return swapaxes(c, -1, -2) if upper else c


def cholesky_inverse(x, upper=False):
    """The inverse of ``A`` from its Cholesky factor ``x``."""
    x = _square(to_float(x), "cholesky_inverse")
    lower = swapaxes(x, -1, -2) if upper else x
    a = L.matmul(lower, swapaxes(lower, -1, -2))
    return L.inv(a)


def det(x):
    """The determinant of square matrices."""
    return L.det(_square(need_float(x, "MatrixDeterminant"), "det"))


def inv(x):
    """The inverse of square matrices."""
    return L.inv(_square(to_float(x), "inv"))


def eig(x):
    """Eigenvalues and right eigenvectors of square matrices (complex results:
    ``tf.linalg.eig``)."""
    return MF.eig(_square(to_float(x), "eig"))


def eigh(x):
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices."""
    return D.eigh(_square(to_float(x), "eigh"))


def lstsq(a, b, rcond=None):
    """The least-squares solution of ``a @ x = b``."""
    a, b = to_float(a), to_float(b)
    vec = len(b.shape) == 1
    if vec:
        b = A.expand_dims(b, 1)
    x = L.matmul(D.pinv(a, rcond=rcond), b)
    return A.squeeze(x, axis=[-1]) if vec else x


def lu_factor(x):
    """LU factorisation with partial pivoting: ``(lu, pivots)`` in LAPACK's form (pivots
    are the row swapped with at each step)."""
    x = _square(to_float(x), "lu_factor")
    lu, perm = D.lu(x)
    p = np.asarray(host(perm))

    def swaps(row):
        cur = list(range(len(row)))
        where_ = {v: i for i, v in enumerate(cur)}
        out = []
        for i, target in enumerate(row):
            j = where_[int(target)]
            out.append(j)
            cur[i], cur[j] = cur[j], cur[i]
            where_[cur[i]], where_[cur[j]] = i, j
        return out
    piv = np.apply_along_axis(swaps, -1, p).astype("int32")
    return lu, conv(piv)


def matrix_rank(x, tol=None):
    """The number of singular values above ``tol``."""
    return D.matrix_rank(to_float(x), tol=tol)


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norms (NumPy's ``ord`` values)."""
    x = to_float(x)
    nd = len(x.shape)
    if axis is None:
        axis = tuple(range(nd))
    if isinstance(axis, int):
        axis = (axis,)
    axis = tuple(a % nd for a in axis)
    if len(axis) == 1:
        ax = axis[0]
        if ord is None or ord == 2:
            return M.sqrt(R.reduce_sum(M.square(x), axis=ax, keepdims=keepdims))
        if ord == float("inf"):
            return R.reduce_max(M.abs(x), axis=ax, keepdims=keepdims)
        if ord == float("-inf"):
            return R.reduce_min(M.abs(x), axis=ax, keepdims=keepdims)
        if ord == 0:
            return R.reduce_sum(M.cast(M.not_equal(x, M.zeros_like(x)), x.dtype), axis=ax,
                                keepdims=keepdims)
        if ord == 1:
            return R.reduce_sum(M.abs(x), axis=ax, keepdims=keepdims)
        if isinstance(ord, str):
            raise ValueError(f"Invalid `ord` argument for vector norm. Received: ord={ord}")
        p = conv(float(ord), x.dtype)
        s = R.reduce_sum(M.pow(M.abs(x), p), axis=ax, keepdims=keepdims)
        return M.pow(s, M.reciprocal(p))
    if len(axis) != 2:
        raise ValueError(f"Invalid axis for norm: {axis}")
    r, c = axis
    if ord is None or ord == "fro":
        return M.sqrt(R.reduce_sum(M.square(x), axis=list(axis), keepdims=keepdims))
    if ord in (1, -1):
        s = R.reduce_sum(M.abs(x), axis=r, keepdims=True)
        red = R.reduce_max if ord == 1 else R.reduce_min
        out = red(s, axis=c, keepdims=True)
    elif ord in (float("inf"), float("-inf")):
        s = R.reduce_sum(M.abs(x), axis=c, keepdims=True)
        red = R.reduce_max if ord > 0 else R.reduce_min
        out = red(s, axis=r, keepdims=True)
    elif ord in (2, -2, "nuc"):
        rest = [i for i in range(nd) if i not in axis]
        xt = A.transpose(x, rest + [r, c])
        sv = D.svd(xt, compute_uv=False)
        if ord == "nuc":
            out = R.reduce_sum(sv, axis=-1)
        else:
            out = (R.reduce_max if ord == 2 else R.reduce_min)(sv, axis=-1)
        if keepdims:
            for a in sorted(axis):
                out = A.expand_dims(out, a)
        return out
    else:
        raise ValueError(f"Invalid `ord` argument for matrix norm. Received: ord={ord}")
    return out if keepdims else A.squeeze(out, axis=list(axis))


def pinv(x, rcond=1e-15):
    """The Moore-Penrose pseudo-inverse."""
    return D.pinv(to_float(x), rcond=rcond)


def qr(x, mode="reduced"):
    """QR decomposition (``mode`` "reduced" or "complete")."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"`mode` argument value not supported. Expected one of "
                         f"{{'reduced', 'complete'}}. Received: mode={mode}")
    return D.qr(to_float(x), full_matrices=mode == "complete")


def solve(a, b):
    """The solution ``x`` of ``a @ x = b``."""
    a, b = _square(to_float(a), "solve"), to_float(b)
    vec = len(b.shape) == len(a.shape) - 1
    if vec:
        b = A.expand_dims(b, -1)
    x = L.solve(a, b)
    return A.squeeze(x, axis=[-1]) if vec else x


def solve_triangular(a, b, lower=False):
    """The solution of a triangular system."""
    a, b = to_float(a), to_float(b)
    vec = len(b.shape) == len(a.shape) - 1
    if vec:
        b = A.expand_dims(b, -1)
    a = tril(a) if lower else triu(a)
    x = D.triangular_solve(a, b, lower=lower)
    return A.squeeze(x, axis=[-1]) if vec else x


def svd(x, full_matrices=True, compute_uv=True):
    """Singular value decomposition ``u, s, vh`` (``x = u @ diag(s) @ vh``)."""
    x = to_float(x)
    if not compute_uv:
        return D.svd(x, full_matrices=full_matrices, compute_uv=False)
    s, u, v = D.svd(x, full_matrices=full_matrices, compute_uv=True)
    return u, s, swapaxes(v, -1, -2)


def jvp(fun, primals, tangents, has_aux=False):
    """Forward-mode Jacobian-vector product of ``fun`` at ``primals`` along ``tangents``:
    ``(fun(*primals), jvp)`` (plus ``aux`` when ``has_aux``)."""
    ps = [conv(p) for p in primals]
    ts = [conv(t, p.dtype) for t, p in zip(tangents, ps)]
    with autodiff.ForwardAccumulator(ps, ts) as acc:
        out = fun(*ps)
        aux = None
        if has_aux:
            out, aux = out
    tang = nest.map_structure(lambda o: acc.jvp(o, unconnected_gradients="zero"), out)
    return (out, tang, aux) if has_aux else (out, tang)


__all__ = [
    "cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "jvp", "lstsq", "lu_factor",
    "matrix_rank", "norm", "pinv", "qr", "solve", "solve_triangular", "svd"
]
