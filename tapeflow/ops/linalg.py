"""Linear algebra (matmul, tensordot, einsum, inv, det, norms, diagonals, solve, cholesky),
each op with its gradient rule."""
import collections
import math as _math
import string

from ..backend import host as np
from ..backend import xp_of
from ..errors import InvalidArgumentError
from ..errors import _invalid as invalid
from ..tensor import TensorBase, const, convert_to_tensor
from ._chunks import matmul_2d
from ._core import Op, apply, convert_inputs
from .array import broadcast_to, expand_dims, eye, reshape, squeeze, transpose
from .math import _holo, cast, conj, sqrt
from .math import abs as _abs
from .reduction import reduce_max, reduce_sum

__all__ = [
    "matmul", "tensordot", "einsum", "inv", "det", "slogdet", "logdet", "norm", "trace",
    "diag", "diag_part", "matrix_transpose", "adjoint", "band_part", "solve", "cholesky",
    "matvec", "eye",
]


def _mT(a):
    return a.swapaxes(-1, -2)


def _matmul_fwd(a, b, ta, tb):
    if ta:
        a = _mT(a)
    if tb:
        b = _mT(b)
    xp = xp_of(a)
    if xp is np and a.ndim == 2 and b.ndim == 2:
        return matmul_2d(a, b)  # load-tolerant threading (ops/_chunks.py)
    return xp.matmul(a, b)


def _matmul_grad(n, g):
    a, b = n.inputs
    ta, tb = n.attrs["ta"], n.attrs["tb"]
    ga = gb = None
    # NOTE: straight to the op: the forward already checked these shapes
    if n.needs[0]:
        if ta:
            ga = apply(MATMUL, (b, g), {"ta": tb, "tb": True})
        else:
            ga = apply(MATMUL, (g, b), {"ta": False, "tb": not tb})
    if n.needs[1]:
        if tb:
            gb = apply(MATMUL, (g, a), {"ta": True, "tb": ta})
        else:
            gb = apply(MATMUL, (a, g), {"ta": not ta, "tb": False})
    return ga, gb


MATMUL = Op("MatMul", _matmul_fwd, _holo(_matmul_grad), "fiuc")


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, grad_a=False, grad_b=False,
           name=None):
    """Matrix product of the last two axes, batched over leading axes (which broadcast)."""
    if not (isinstance(a, TensorBase) and isinstance(b, TensorBase)):
        a, b = convert_inputs(MATMUL, [a, b])
    ta, tb = bool(transpose_a or adjoint_a), bool(transpose_b or adjoint_b)
    if adjoint_a and a._v.dtype.kind == "c":
        a = conj(a)
    if adjoint_b and b._v.dtype.kind == "c":
        b = conj(b)
    sa, sb = a._v.shape, b._v.shape
    for i, s in enumerate((sa, sb)):
        if len(s) < 2:
            raise InvalidArgumentError(None, "MatMul", f"In[{i}] ndims must be >= 2: "
                                       f"{len(s)} (shapes {list(sa)} and {list(sb)}) [Op:MatMul]")
    k1 = sa[-2] if ta else sa[-1]
    k2 = sb[-1] if tb else sb[-2]
    if k1 != k2:
        raise InvalidArgumentError(
            None, "MatMul",
            f"Matrix size-incompatible: In[0]: {list(sa)}, In[1]: {list(sb)} "
            f"(transpose_a={ta}, transpose_b={tb}) [Op:MatMul]")
    try:
        return apply(MATMUL, (a, b), {"ta": ta, "tb": tb})
    except ValueError:
        raise InvalidArgumentError(None, "BatchMatMulV2", f"Incompatible batch dimensions: "
                                   f"In[0]: {list(sa)}, In[1]: {list(sb)} [Op:BatchMatMulV2]"
                                   ) from None


TensorBase.__matmul__ = lambda self, other: matmul(self, other)
TensorBase.__rmatmul__ = lambda self, other: matmul(other, self)



def _t(x):
    return x if isinstance(x, TensorBase) else convert_to_tensor(x)


def _shape_text(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


def _float_input(x, opname):
    t = _t(x)
    if t._v.dtype.kind != "f":
        raise invalid(opname, f"Value for attr 'T' of {t.dtype.name} is not in the list of "
                      f"allowed values: double, float, half (input shape {list(t._v.shape)})")
    return t


def _matrix_input(x, opname, square=True):
    t = _float_input(x, opname)
    shape = t._v.shape
    if len(shape) < 2:
        raise invalid(opname, f"Input tensor 0 must have rank >= 2, got {len(shape)} (input "
                      f"shape {list(shape)})")
    if square and shape[-1] != shape[-2]:
        raise invalid(opname, f"Input matrix must be square. (input shape {list(shape)})")
    return t


def _linalg_error(opname, message):
    """Run a backend decomposition, turning its LinAlgError into TF's error."""

    def wrap_fwd(fwd):
        def run(*arrays, **attrs):
            try:
                return fwd(*arrays, **attrs)
            except Exception as e:  # numpy.linalg.LinAlgError / cupy's equivalent
                if type(e).__name__ != "LinAlgError":
                    raise
                shapes = ", ".join(str(list(a.shape)) for a in arrays)
                raise invalid(opname, f"{message} (input shapes {shapes})") from None

        return run

    return wrap_fwd


# -- tensordot ----------------------------------------------------------------------------------
def _tensordot_axes(a, b, axes):
    if isinstance(axes, TensorBase):
        axes = axes.numpy().tolist()
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0:
            raise ValueError(f"`axes` must be at least 0. Received: {n}.")
        for t in (a, b):
            if n > t._v.ndim:
                raise ValueError(f"`axes` must not be larger than the number of dimensions of "
                                 f"tensor {t}.  Received {n}, vs tensor dimensions "
                                 f"{t._v.ndim}.")
        return list(range(a._v.ndim - n, a._v.ndim)), list(range(n))
    if not isinstance(axes, (list, tuple)) or len(axes) != 2:
        raise ValueError(f"`axes` must be an integer or have length 2. Received {axes}.")
    pair = []
    for ax in axes:
        if isinstance(ax, TensorBase):
            ax = ax.numpy().tolist()
        pair.append([int(ax)] if isinstance(ax, (int, np.integer)) else [int(v) for v in ax])
    aa, bb = pair
    if len(aa) != len(bb):
        raise ValueError(f"Different number of contraction axes `a` and `b`, {len(aa)} != "
                         f"{len(bb)}.")
    return aa, bb


def tensordot(a, b, axes, name=None):
    """Sum of products over ``axes`` of ``a`` and ``b`` (a transpose-reshape-matmul)."""
    a, b = convert_inputs(MATMUL, [a, b])
    aa, bb = _tensordot_axes(a, b, axes)
    sa, sb = a._v.shape, b._v.shape
    norm_axes = []
    for axs, s, which in ((aa, sa, "a"), (bb, sb, "b")):
        out = []
        for ax in axs:
            if not -len(s) <= ax < len(s):
                raise ValueError(f"tensordot: axis {ax} is out of range for `{which}` of shape "
                                 f"{list(s)}")
            ax %= len(s)
            if ax in out:
                raise ValueError(f"tensordot: axis {ax} repeated in the axes of `{which}` "
                                 f"(shape {list(s)})")
            out.append(ax)
        norm_axes.append(out)
    aa, bb = norm_axes
    for x, y in zip(aa, bb):
        if sa[x] != sb[y]:
            raise invalid("MatMul", f"tensordot: contracted dimensions do not match: a.shape[{x}]"
                          f" = {sa[x]} vs. b.shape[{y}] = {sb[y]} (shapes {list(sa)} and "
                          f"{list(sb)}, axes {aa} and {bb})")
    free_a = [i for i in range(len(sa)) if i not in aa]
    free_b = [i for i in range(len(sb)) if i not in bb]
    k = _math.prod(sa[i] for i in aa)
    at = a if free_a + aa == list(range(len(sa))) else transpose(a, free_a + aa)
    bt = b if bb + free_b == list(range(len(sb))) else transpose(b, bb + free_b)
    m = _math.prod(sa[i] for i in free_a)
    n = _math.prod(sb[i] for i in free_b)
    r = matmul(reshape(at, [m, k]), reshape(bt, [k, n]))
    return reshape(r, [sa[i] for i in free_a] + [sb[i] for i in free_b])


# -- einsum -------------------------------------------------------------------------------------
def _einsum_fwd(*arrays, terms, out):
    xp = xp_of(arrays[0])
    equation = ",".join(terms) + "->" + out
    # NOTE: the contraction-order search (optimize=True) costs ~5 us but lets large
    # contractions use BLAS (10x faster for a 300x400x500 product); small ones skip it.
    big = len(arrays) > 1 and max(a.size for a in arrays) >= 4096
    return xp.einsum(equation, *arrays, optimize=big)


def _fresh_labels(used, n):
    free = [c for c in string.ascii_letters if c not in used]
    if n > len(free):
        raise ValueError(f"einsum: too many dimensions ({n} more labels needed)")
    return free[:n]


def _parse_einsum(equation, shapes):
    """Explicit subscripts (no ellipsis) for each input and the output, with TF's checks."""
    eq = equation.replace(" ", "")
    if eq.count("->") > 1:
        raise ValueError(f"Invalid einsum equation: {equation!r}")
    lhs, out = eq.split("->") if "->" in eq else (eq, None)
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f'Got {len(shapes)} inputs for equation "{equation}", expecting '
                         f"{len(terms)}")
    for term in terms + ([out] if out is not None else []):
        if any(not c.isalpha() for c in term.replace("...", "")) or term.count("...") > 1:
            raise ValueError(f"Invalid einsum subscripts {term!r} in equation {equation!r}")
    used = set(eq)
    ell_ranks = []
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        n_labels = len(term.replace("...", ""))
        if "..." in term:
            if len(shape) < n_labels:
                raise invalid("Einsum", f"Expected input {i} to have rank at least {n_labels} "
                              f"but got: {len(shape)} (equation {equation!r}, input shape "
                              f"{list(shape)})")
            ell_ranks.append(len(shape) - n_labels)
        else:
            if len(shape) != n_labels:
                raise invalid("Einsum", f"Expected input {i} to have rank {n_labels} but got: "
                              f"{len(shape)} (equation {equation!r}, input shape "
                              f"{list(shape)})")
            ell_ranks.append(0)
    n_ell = max(ell_ranks) if ell_ranks else 0
    ell = "".join(_fresh_labels(used, n_ell))
    terms = [t.replace("...", ell[n_ell - r:]) for t, r in zip(terms, ell_ranks)]
    if out is None:
        counts = collections.Counter("".join(terms))
        out = ell + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    seen_in = set("".join(terms))
    for c in out:
        if c not in seen_in:
            raise ValueError(f"Output subscripts contain the label {c} not present in the input "
                             "subscripts.")
    if len(set(out)) != len(out):
        raise ValueError(f"Output subscripts contain a label appearing more than once: "
                         f"{equation}")
    sizes = {}
    for term, shape in zip(terms, shapes):
        for ax, (c, d) in enumerate(zip(term, shape)):
            prev = sizes.get(c)
            if prev is None or (c in ell and prev == 1):
                sizes[c] = d
            elif prev != d and not (c in ell and d == 1):
                raise invalid("Einsum", f"Expected dimension {prev} at axis {ax} of the input "
                              f"shaped {_shape_text(shape)} but got dimension {d} (label "
                              f"{c!r} in equation {equation!r})")
    return terms, out


def _einsum_apply(terms, out, tensors):
    return apply(EINSUM, tuple(tensors), {"terms": tuple(terms), "out": out})


def _einsum_grad(n, g):
    """d/dx_i: contract g with the other inputs back to x_i's labels, then broadcast the
    labels only x_i had and put repeated labels back on the diagonal."""
    terms, out = n.attrs["terms"], n.attrs["out"]
    grads = []
    for i, x in enumerate(n.inputs):
        if not n.needs[i]:
            grads.append(None)
            continue
        term = terms[i]
        others = [j for j in range(len(terms)) if j != i]
        avail = set(out).union(*(terms[j] for j in others))
        uniq = "".join(dict.fromkeys(term))
        keep = "".join(c for c in uniq if c in avail)
        gi = _einsum_apply([out] + [terms[j] for j in others], keep,
                           [g] + [n.inputs[j] for j in others])
        sizes = dict(zip(term, x._v.shape))
        if keep != uniq:
            got = dict(zip(keep, gi._v.shape))
            gi = reshape(gi, [got.get(c, 1) for c in uniq])
            gi = _broadcast(gi, [got.get(c, sizes[c]) for c in uniq])
        if uniq != term:
            xp = xp_of(g._v)
            fresh = _fresh_labels(set("".join(terms)) | set(out), len(term))
            target, eyes, eye_terms, seen = [], [], [], set()
            for k, c in enumerate(term):
                if c in seen:
                    target.append(fresh[k])
                    eyes.append(const(xp.eye(sizes[c], dtype=g._v.dtype)))
                    eye_terms.append(c + fresh[k])
                else:
                    target.append(c)
                    seen.add(c)
            gi = _einsum_apply([uniq] + eye_terms, "".join(target), [gi] + eyes)
        grads.append(gi)
    return grads


def _broadcast(t, shape):
    return broadcast_to(t, shape)


EINSUM = Op("Einsum", _einsum_fwd, _holo(_einsum_grad), "fiuc")


def einsum(equation, *inputs, **kwargs):
    """Einstein summation (explicit or implicit output, ``...`` broadcasting)."""
    kwargs.pop("name", None)
    kwargs.pop("optimize", None)
    if kwargs:
        raise TypeError(f"Invalid keyword arguments for einsum: {', '.join(kwargs)}")
    if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
        inputs = tuple(inputs[0])
    ts = convert_inputs(EINSUM, list(inputs))
    if not ts:
        raise ValueError(f'Got 0 inputs for equation "{equation}", expecting at least 1')
    terms, out = _parse_einsum(equation, [t._v.shape for t in ts])
    return _einsum_apply(terms, out, ts)


# -- inverse, determinants ----------------------------------------------------------------------
def _inv_grad(n, g):
    y = n.out  # NOTE: d(A^-1) = -A^-1 dA A^-1, so the gradient is -A^-T G A^-T
    return (-matmul(matmul(y, g, transpose_a=True), y, transpose_b=True),)


INV = Op("MatrixInverse", _linalg_error("MatrixInverse", "Input is not invertible.")(
    lambda a: xp_of(a).linalg.inv(a)), _inv_grad, "f")


def inv(input, adjoint=False, name=None):
    """The inverse of each square matrix in the last two axes."""
    t = _matrix_input(input, "MatrixInverse")
    if adjoint:
        t = matrix_transpose(t)
    return apply(INV, (t,), {})


def _inv_transpose(a):
    return matrix_transpose(apply(INV, (a,), {}))


def _det_grad(n, g):
    # NOTE: G * det(A) * A^-T, which needs A invertible (as TF's rule does).
    a = n.inputs[0]
    scale = reshape(g * n.out, list(g._v.shape) + [1, 1])
    return (scale * _inv_transpose(a),)


def _logdet_grad(n, g):
    a = n.inputs[0]
    return (reshape(g, list(g._v.shape) + [1, 1]) * _inv_transpose(a),)


DET = Op("MatrixDeterminant", lambda a: xp_of(a).linalg.det(a), _det_grad, "f")
LOG_ABS_DET = Op("LogMatrixDeterminant", lambda a: xp_of(a).linalg.slogdet(a)[1], _logdet_grad,
                 "f")

DET_SIGN = Op("LogMatrixDeterminantSign",
              lambda a: xp_of(a).linalg.slogdet(a)[0].astype(a.dtype), None, "f")

LogMatrixDeterminant = collections.namedtuple("LogMatrixDeterminant",
                                              ["sign", "log_abs_determinant"])


def det(input, name=None):
    """The determinant of each square matrix in the last two axes."""
    return apply(DET, (_matrix_input(input, "MatrixDeterminant"),), {})


def slogdet(input, name=None):
    """``(sign, log|det|)`` of each square matrix; only ``log|det|`` carries a gradient."""
    t = _matrix_input(input, "LogMatrixDeterminant")
    # NOTE: the sign and log|det| are two ops (two factorizations), so each is recorded.
    return LogMatrixDeterminant(apply(DET_SIGN, (t,), {}), apply(LOG_ABS_DET, (t,), {}))


def logdet(matrix, name=None):
    """log(det(matrix)) of Hermitian positive-definite matrices."""
    return apply(LOG_ABS_DET, (_matrix_input(matrix, "LogMatrixDeterminant"),), {})


# -- norm ---------------------------------------------------------------------------------------
def _spectral_fwd(a):
    xp = xp_of(a)
    if a.shape[-1] == 0 or a.shape[-2] == 0:
        return xp.zeros(a.shape[:-2], a.dtype)
    return xp.linalg.svd(a, compute_uv=False)[..., 0]


def _top_singular_fwd(a):
    u, _, vh = xp_of(a).linalg.svd(a, full_matrices=False)
    return u[..., :, :1] * vh[..., :1, :]


def _spectral_grad(n, g):
    # NOTE: d sigma_max = u1^T dA v1. u1 v1^T comes from an op without a gradient, so
    # second-order gradients of the 2-norm miss the singular vectors' own derivative.
    outer = apply(TOP_SINGULAR, (n.inputs[0],), {})
    return (reshape(g, list(g._v.shape) + [1, 1]) * outer,)


SPECTRAL_NORM = Op("SpectralNorm", _spectral_fwd, _spectral_grad, "f")
TOP_SINGULAR = Op("TopSingularVectors", _top_singular_fwd, None, "f")

_MATRIX_ORDS = ("euclidean", "fro", 1, 2, np.inf)


def _norm_axes(t, axis):
    """None, an int, or a normalized pair; TF's ValueError for anything else."""
    if axis is None:
        return None
    if isinstance(axis, TensorBase):
        axis = axis.numpy().tolist()
    if isinstance(axis, (int, np.integer)):
        axes = [int(axis)]
    else:
        axes = [int(a) for a in axis]
        if len(axes) not in (1, 2) or len(set(axes)) != len(axes):
            raise ValueError("'axis' must be None, an integer, or a tuple of 2 unique integers, "
                             f"got {axis}")
    nd = t._v.ndim
    for a in axes:
        if not -nd <= a < nd:
            raise invalid("Sum", f"Invalid reduction dimension ({a} for input with {nd} "
                          f"dimension(s) (norm of shape {list(t._v.shape)})")
    axes = [a % nd for a in axes]
    if len(axes) == 2 and axes[0] == axes[1]:
        raise ValueError("'axis' must be None, an integer, or a tuple of 2 unique integers, "
                         f"got {axis}")
    return axes


def _is_number(v):
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):
    """Vector norms (any p > 0, inf) over one axis or all, matrix norms ('fro'/'euclidean',
    1, 2, inf) over an axis pair; TF's ``tf.norm``/``tf.linalg.norm``."""
    t = _t(tensor)
    axes = _norm_axes(t, axis)
    shape = t._v.shape
    if t._v.dtype.kind == "c" and not (axes is not None and len(axes) == 2 and ord == 2):
        # every norm but the spectral one is the norm of |t|; TF returns the euclidean one
        # (sqrt(sum(t * conj(t)))) in t's complex dtype, the others real
        r = norm(_abs(t), ord, axis, keepdims)
        euclid = ord in ("euclidean", "fro") or (ord == 2 and (axes is None or len(axes) == 1))
        return cast(r, t.dtype) if euclid else r
    if axes is not None and len(axes) == 2:
        if not (ord in _MATRIX_ORDS and (isinstance(ord, str) or _is_number(ord))):
            raise ValueError("'ord' must be a supported matrix norm in ['euclidean', 'fro', 1, "
                             f"2, inf], got {ord}")
        r, c = axes
        if ord in ("euclidean", "fro"):
            res = sqrt(reduce_sum(t * t, axis=axes, keepdims=True))
        elif ord == 1:
            res = reduce_max(reduce_sum(_abs(t), axis=r, keepdims=True), axis=c, keepdims=True)
        elif ord == np.inf:
            res = reduce_max(reduce_sum(_abs(t), axis=c, keepdims=True), axis=r, keepdims=True)
        else:
            rest = [i for i in range(len(shape)) if i not in axes]
            res = apply(SPECTRAL_NORM, (transpose(t, rest + [r, c]),), {})
    else:
        ok = ord == "euclidean" or (_is_number(ord) and ord > 0)
        if not ok:
            raise ValueError(f"'ord' must be a supported vector norm, got {ord}")
        red = axes if axes is not None else list(range(len(shape)))
        if ord in ("euclidean", 2):
            res = sqrt(reduce_sum(t * t, axis=red, keepdims=True))
        elif ord == 1:
            res = reduce_sum(_abs(t), axis=red, keepdims=True)
        elif ord == np.inf:
            res = reduce_max(_abs(t), axis=red, keepdims=True)
        else:
            p = float(ord)
            res = reduce_sum(_abs(t) ** p, axis=red, keepdims=True) ** (1.0 / p)
        axes = red
    if keepdims:
        return reshape(res, [1 if i in axes else d for i, d in enumerate(shape)])
    return reshape(res, [d for i, d in enumerate(shape) if i not in axes])


# -- diagonals, transpose, band -----------------------------------------------------------------
def _diag_coords(xp, length, k):
    rows = xp.arange(length) + max(-k, 0)
    cols = xp.arange(length) + max(k, 0)
    return rows, cols


def _diag_part_fwd(a, k):
    return xp_of(a).diagonal(a, offset=k, axis1=-2, axis2=-1).copy()


def _diag_embed_fwd(d, k, rows, cols, padding):
    xp = xp_of(d)
    out = xp.full(d.shape[:-1] + (rows, cols), padding, d.dtype)
    r, c = _diag_coords(xp, d.shape[-1], k)
    out[..., r, c] = d
    return out


DIAG_PART = Op(
    "MatrixDiagPartV3", _diag_part_fwd,
    lambda n, g: (apply(DIAG_EMBED, (g,), {"k": n.attrs["k"], "rows": n.inputs[0]._v.shape[-2],
                                          "cols": n.inputs[0]._v.shape[-1], "padding": 0}),),
    None)
DIAG_EMBED = Op("MatrixDiagV3", _diag_embed_fwd,
                lambda n, g: (apply(DIAG_PART, (g,), {"k": n.attrs["k"]}),), None)


def _scalar_k(k, opname):
    if isinstance(k, TensorBase):
        k = k.numpy()
        k = k.tolist() if getattr(k, "ndim", 0) else int(k)
    if isinstance(k, (list, tuple)):
        if len(k) == 2 and int(k[0]) == int(k[1]):
            return int(k[0])
        raise NotImplementedError(f"{opname}: only a single diagonal (scalar k) is supported, "
                                  f"got k={k}")
    return int(k)


def diag_part(input, name="diag_part", k=0, padding_value=0, align="RIGHT_LEFT"):
    """The k-th diagonal of each matrix in the last two axes."""
    t = _t(input)
    shape = t._v.shape
    if len(shape) < 2:
        raise invalid("MatrixDiagPartV3", f"input must be at least 2-dim, received shape: "
                      f"{_shape_text(shape)}")
    k = _scalar_k(k, "diag_part")
    m, n = shape[-2:]
    if m and n and not -m < k < n:
        raise invalid("MatrixDiagPartV3", f"lower_diag_index is out of bound: {k}. It must be "
                      f"between {-m} and {n} (input shape {_shape_text(shape)})")
    return apply(DIAG_PART, (t,), {"k": k})


def diag(diagonal, name="diag", k=0, num_rows=-1, num_cols=-1, padding_value=0,
         align="RIGHT_LEFT"):
    """Matrices with ``diagonal`` on their k-th diagonal (batched over leading axes)."""
    t = _t(diagonal)
    shape = t._v.shape
    if len(shape) < 1:
        raise invalid("MatrixDiagV3", "diagonal must be at least 1-dim, received shape: []")
    k = _scalar_k(k, "diag")
    length = shape[-1]
    min_rows, min_cols = length + max(-k, 0), length + max(k, 0)
    rows, cols = int(num_rows), int(num_cols)
    if rows == -1 and cols == -1:
        rows = cols = max(min_rows, min_cols)
    elif rows == -1:
        rows = min_rows
    elif cols == -1:
        cols = min_cols
    if rows < min_rows:
        raise invalid("MatrixDiagV3", f"The number of rows is too small. (num_rows {rows}, "
                      f"diagonal shape {_shape_text(shape)}, k {k})")
    if cols < min_cols:
        raise invalid("MatrixDiagV3", f"The number of columns is too small. (num_cols {cols}, "
                      f"diagonal shape {_shape_text(shape)}, k {k})")
    if min(rows + min(k, 0), cols - max(k, 0)) != length:
        raise invalid("MatrixDiagV3", "The number of rows or columns is not consistent with the "
                      f"specified d_lower, d_upper, and diagonal. (num_rows {rows}, num_cols "
                      f"{cols}, diagonal shape {_shape_text(shape)}, k {k})")
    pad = convert_to_tensor(padding_value, t.dtype).numpy()
    return apply(DIAG_EMBED, (t,), {"k": k, "rows": rows, "cols": cols, "padding": pad})


def trace(x, name=None):
    """Sum of the main diagonal of each matrix in the last two axes."""
    return reduce_sum(diag_part(x), axis=-1)


def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """Swap the last two axes."""
    t = _t(a)
    nd = t._v.ndim
    if nd < 2:
        raise ValueError("Argument `a` should be a (batch) matrix with rank >= 2.  Received `a` "
                         f"= {t} with shape: {tuple(t._v.shape)}")
    return transpose(t, list(range(nd - 2)) + [nd - 1, nd - 2], conjugate=conjugate)


def adjoint(matrix, name=None):
    """The conjugate transpose; the transpose for real tensors."""
    return matrix_transpose(matrix, conjugate=True)


def _band_fwd(a, lower, upper):
    xp = xp_of(a)
    m, n = a.shape[-2:]
    i = xp.arange(m).reshape(m, 1)
    j = xp.arange(n).reshape(1, n)
    keep = ((lower < 0) | (i - j <= lower)) & ((upper < 0) | (j - i <= upper))
    return xp.where(keep, a, xp.zeros((), a.dtype))


BAND = Op("MatrixBandPart", _band_fwd, lambda n, g: (apply(BAND, (g,), dict(n.attrs)),), None)


def band_part(input, num_lower, num_upper, name=None):
    """Zero everything outside a band of ``num_lower`` sub- and ``num_upper`` super-diagonals
    (negative: keep the whole triangle)."""
    t = _t(input)
    shape = t._v.shape
    if len(shape) < 2:
        raise invalid("MatrixBandPart", f"input must be at least 2-dim, received shape: "
                      f"{_shape_text(shape)}")
    lo, up = int(_t(num_lower).numpy()), int(_t(num_upper).numpy())
    if lo > shape[-2]:
        raise invalid("MatrixBandPart", f"num_lower must be negative or less or equal to number "
                      f"of rows ({shape[-2]}) got: {lo}")
    if up > shape[-1]:
        raise invalid("MatrixBandPart", f"num_upper must be negative or less or equal to number "
                      f"of columns ({shape[-1]}) got: {up}")
    return apply(BAND, (t,), {"lower": lo, "upper": up})


# -- solve, cholesky, matvec --------------------------------------------------------------------
def _solve_fwd(a, b, adjoint):
    if adjoint:
        a = _mT(a)
    return xp_of(a).linalg.solve(a, b)


def _solve_grad(n, g):
    a, _ = n.inputs
    adj = n.attrs["adjoint"]
    gb = solve(a, g, adjoint=not adj)
    ga = None
    if n.needs[0]:
        x = n.out
        ga = -matmul(x, gb, transpose_b=True) if adj else -matmul(gb, x, transpose_b=True)
    return ga, gb


SOLVE = Op("MatrixSolve", _linalg_error("MatrixSolve", "Input matrix is not invertible.")(
    _solve_fwd), _solve_grad, "f")


def solve(matrix, rhs, adjoint=False, name=None):
    """X with ``matrix @ X = rhs`` (or ``matrix^T @ X = rhs`` when ``adjoint``)."""
    a, b = convert_inputs(SOLVE, [matrix, rhs])
    a = _matrix_input(a, "MatrixSolve")
    sa, sb = a._v.shape, b._v.shape
    if len(sa) != len(sb):
        raise invalid("MatrixSolve", f"All input tensors must have the same rank. (matrix shape "
                      f"{_shape_text(sa)}, rhs shape {_shape_text(sb)})")
    if sa[:-2] != sb[:-2]:
        raise invalid("MatrixSolve", "All input tensors must have the same outer dimensions. "
                      f"(matrix shape {_shape_text(sa)}, rhs shape {_shape_text(sb)})")
    if sa[-1] != sb[-2]:
        raise invalid("MatrixSolve", f"Input matrix and rhs are incompatible. (matrix shape "
                      f"{_shape_text(sa)}, rhs shape {_shape_text(sb)})")
    return apply(SOLVE, (a, b), {"adjoint": bool(adjoint)})


def _cholesky_grad(n, g):
    """Murray's rule: with Phi = lower triangle with halved diagonal,
    dA = sym(L^-T Phi(L^T G) L^-1)."""
    chol = n.out
    l_inv = apply(INV, (chol,), {})
    mid = matmul(chol, g, transpose_a=True)
    d = apply(DIAG_PART, (mid,), {"k": 0})
    size = chol._v.shape[-1]
    mid = band_part(mid, -1, 0) - 0.5 * apply(
        DIAG_EMBED, (d,), {"k": 0, "rows": size, "cols": size, "padding": 0})
    ga = matmul(matmul(l_inv, mid, transpose_a=True), l_inv)
    return (0.5 * (ga + matrix_transpose(ga)),)


CHOLESKY = Op("Cholesky", _linalg_error(
    "Cholesky", "Cholesky decomposition was not successful. The input might not be valid.")(
    lambda a: xp_of(a).linalg.cholesky(a)), _cholesky_grad, "f")


def cholesky(input, name=None):
    """Lower-triangular L with ``L @ L^T = input`` (reads the lower triangle of the input).

    NOTE: a matrix that is not positive definite raises InvalidArgumentError; TF 2.21 on CPU
    returns NaNs instead.
    """
    return apply(CHOLESKY, (_matrix_input(input, "Cholesky"),), {})


def matvec(a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False, b_is_sparse=False,
           name=None):
    """Matrix-vector product of the last two axes of ``a`` with the last axis of ``b``."""
    a, b = convert_inputs(MATMUL, [a, b])
    ta = bool(transpose_a or adjoint_a)
    return squeeze(matmul(a, expand_dims(b, -1), transpose_a=ta), -1)
