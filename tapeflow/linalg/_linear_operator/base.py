"""``tf.linalg.LinearOperator``: a matrix (or batch of matrices) known by its structure.

Each operator builds its results from tapeflow ops on its parameters, so gradients flow
back to them. A subclass gives its static shape (``_shape``) and its dense matrix
(``_to_dense``); the other methods fall back on the dense matrix unless the structure gives
something cheaper (a diagonal's determinant is a product, a triangle solves by
substitution...).
"""
from ... import dtypes
from ...backend import host as np
from ...errors import InvalidArgumentError
from ...module import Module
from ...ops import linalg as _la
from ...ops.array import broadcast_to, expand_dims, eye, squeeze
from ...ops.decompositions import eigvalsh, svd
from ...ops.matfun import det_any, log_abs_det_any, solve_any
from ...ops.math import abs as _abs
from ...ops.math import log
from ...ops.reduction import reduce_max, reduce_min, reduce_sum
from ...tensor import TensorBase, TensorShape, constant, convert_to_tensor

_ALLOWED = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.complex64,
            dtypes.complex128)


def as_float_tensor(value, arg, dtype=None):
    """``value`` as a tensor of a float or complex dtype; TF's TypeError otherwise."""
    t = value if isinstance(value, TensorBase) else convert_to_tensor(value, dtype)
    if t.dtype not in _ALLOWED:
        names = ", ".join(f"tf.{d.name}" for d in _ALLOWED)
        raise TypeError(f"Argument `{arg}` must have dtype in [{names}]. Received: "
                        f"{t.dtype!r}.")
    return t


def check_dtype(op, x):
    """``x`` as a tensor of ``op``'s dtype; TF's TypeError when it has another."""
    if isinstance(x, TensorBase):
        t = x
    elif hasattr(x, "dtype"):  # a NumPy array keeps its dtype, as in TF
        t = convert_to_tensor(x)
    else:
        t = convert_to_tensor(x, op.dtype)
    if t.dtype != op.dtype:
        raise TypeError(f"Expected argument to have dtype {op.dtype!r}.  Found: {t.dtype!r} "
                        f"in tensor {t}")
    return t


def broadcast_batch(*shapes):
    """The broadcast of several batch shapes (tuples)."""
    out = ()
    for s in shapes:
        s = tuple(s)
        n = max(len(out), len(s))
        a, b = (1,) * (n - len(out)) + out, (1,) * (n - len(s)) + s
        merged = []
        for x, y in zip(a, b):
            if x != y and 1 not in (x, y):
                raise ValueError(f"Incompatible batch shapes {out} and {s}")
            merged.append(max(x, y) if 1 in (x, y) else x)
        out = tuple(merged)
    return out


def broadcast_matrix(x, batch):
    """``x`` (``[..., M, N]``) broadcast to ``batch + [M, N]``."""
    shape = tuple(x.shape)
    full = broadcast_batch(shape[:-2], batch) + shape[-2:]
    return x if full == shape else broadcast_to(x, list(full))


class LinearOperator(Module):
    """Base class of the structured linear operators of ``tf.linalg``.

    Args:
      dtype: the operator's dtype.
      graph_parents: ignored (TF1 graph bookkeeping).
      is_non_singular, is_self_adjoint, is_positive_definite, is_square: hints (``None``
        unknown); a positive definite operator is also non-singular.
      name: the operator's name.
      parameters: the constructor's arguments, returned by ``parameters``.
    """

    def __init__(self, dtype, graph_parents=None, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None, parameters=None):
        if is_positive_definite:
            if is_non_singular is False:
                raise ValueError("A positive definite matrix is always non-singular.")
            is_non_singular = True
        if is_non_singular and is_square is False:
            raise ValueError("A non-singular matrix is always square.")
        if is_non_singular or is_self_adjoint or is_positive_definite:
            is_square = True if is_square is None else is_square
        super().__init__(name=None)
        self._name = name or type(self).__name__
        self._dtype = dtypes.as_dtype(dtype) if dtype is not None else None
        self._is_non_singular = is_non_singular
        self._is_self_adjoint = is_self_adjoint
        self._is_positive_definite = is_positive_definite
        self._is_square_hint = is_square
        self._parameters = dict(parameters or {})

    # -- description ----------------------------------------------------------------------
    @property
    def name(self):
        """The operator's name."""
        return self._name

    @property
    def dtype(self):
        """The dtype of the matrix and of the tensors it acts on."""
        return self._dtype

    @property
    def parameters(self):
        """The constructor's arguments, as a dict."""
        return dict(self._parameters)

    @property
    def graph_parents(self):
        """Always ``[]`` (a TF1 notion)."""
        return []

    @property
    def is_non_singular(self):
        """Hint: the operator is invertible (``None``: unknown)."""
        return self._is_non_singular

    @property
    def is_self_adjoint(self):
        """Hint: the operator equals its adjoint."""
        return self._is_self_adjoint

    @property
    def is_positive_definite(self):
        """Hint: ``x^H A x > 0`` for all nonzero ``x``."""
        return self._is_positive_definite

    @property
    def is_square(self):
        """Whether the operator is square (known from the shape, else the hint)."""
        rows, cols = self._shape()[-2:]
        if rows is not None and cols is not None:
            return rows == cols
        return self._is_square_hint

    def _shape(self):
        """The static shape as a tuple (a subclass defines it)."""
        raise NotImplementedError(f"{type(self).__name__} must define _shape.")

    @property
    def shape(self):
        """The static ``TensorShape``: batch shape followed by ``[M, N]``."""
        return TensorShape(list(self._shape()))

    @property
    def batch_shape(self):
        """The batch dimensions (``shape[:-2]``)."""
        return TensorShape(list(self._shape()[:-2]))

    @property
    def domain_dimension(self):
        """``N``: the size of the vectors the operator acts on."""
        return self._shape()[-1]

    @property
    def range_dimension(self):
        """``M``: the size of the vectors it returns."""
        return self._shape()[-2]

    @property
    def tensor_rank(self):
        """The rank of the dense matrix (batch rank + 2)."""
        return len(self._shape())

    def shape_tensor(self, name="shape_tensor"):
        """``shape`` as an int32 tensor."""
        return constant(list(self._shape()), dtypes.int32)

    def batch_shape_tensor(self, name="batch_shape_tensor"):
        """``batch_shape`` as an int32 tensor."""
        return constant(list(self._shape()[:-2]), dtypes.int32)

    def domain_dimension_tensor(self, name="domain_dimension_tensor"):
        """``domain_dimension`` as an int32 scalar tensor."""
        return constant(self._shape()[-1], dtypes.int32)

    def range_dimension_tensor(self, name="range_dimension_tensor"):
        """``range_dimension`` as an int32 scalar tensor."""
        return constant(self._shape()[-2], dtypes.int32)

    def tensor_rank_tensor(self, name="tensor_rank_tensor"):
        """``tensor_rank`` as an int32 scalar tensor."""
        return constant(len(self._shape()), dtypes.int32)

    # -- the dense matrix and its parts -----------------------------------------------------
    def _to_dense(self):
        """By default, the operator applied to the identity (a subclass that defines
        ``_matmul`` need not define this)."""
        if type(self)._matmul is LinearOperator._matmul:
            raise NotImplementedError(f"{type(self).__name__} defines neither _to_dense nor "
                                      "_matmul.")
        *batch, rows, cols = self._shape()
        ident = eye(cols, batch_shape=list(batch) or None, dtype=self.dtype)
        return self._matmul(ident)

    def to_dense(self, name="to_dense"):
        """The operator as a dense ``[..., M, N]`` tensor."""
        return self._to_dense()

    def _diag_part(self):
        return _la.diag_part(self.to_dense())

    def diag_part(self, name="diag_part"):
        """The main diagonal, ``[..., min(M, N)]``."""
        return self._diag_part()

    def trace(self, name="trace"):
        """The sum of the main diagonal, ``[...]``."""
        return reduce_sum(self.diag_part(), axis=-1)

    def add_to_tensor(self, x, name="add_to_tensor"):
        """``to_dense() + x``."""
        return self.to_dense() + check_dtype(self, x)

    # -- products and solves ----------------------------------------------------------------
    def _check_inner(self, x, adjoint, adjoint_arg):
        rows, cols = self._shape()[-2:]
        inner = rows if adjoint else cols
        other = x.shape[-1] if adjoint_arg else x.shape[-2]
        if inner is not None and other is not None and inner != other:
            raise ValueError(f"Dimensions {inner} and {other} are not compatible")

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        return _la.matmul(self.to_dense(), x, adjoint_a=adjoint, adjoint_b=adjoint_arg)

    def matmul(self, x, adjoint=False, adjoint_arg=False, name="matmul"):
        """``self @ x`` (``x`` a ``[..., N, R]`` tensor or another operator).

        Args:
          x: tensor or ``LinearOperator``.
          adjoint: use this operator's adjoint.
          adjoint_arg: use ``x``'s adjoint.
          name: ignored.

        Returns:
          ``[..., M, R]`` tensor, or a ``LinearOperator`` when ``x`` is one.
        """
        if isinstance(x, LinearOperator):
            left = self.adjoint() if adjoint else self
            right = x.adjoint() if adjoint_arg else x
            return left._compose(right)
        x = check_dtype(self, x)
        self._check_inner(x, adjoint, adjoint_arg)
        return self._matmul(x, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def _compose(self, other):
        from .structured import LinearOperatorComposition  # cycle: the composition is one
        return LinearOperatorComposition([self, other])

    def __matmul__(self, other):
        return self.matmul(other)

    def matvec(self, x, adjoint=False, name="matvec"):
        """``self @ x`` for vectors ``x`` of shape ``[..., N]``; returns ``[..., M]``."""
        x = check_dtype(self, x)
        return squeeze(self.matmul(expand_dims(x, -1), adjoint=adjoint), -1)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        if adjoint_arg:
            rhs = _la.adjoint(rhs)
        dense = self.to_dense()
        batch = broadcast_batch(tuple(dense.shape[:-2]), tuple(rhs.shape[:-2]))
        dense, rhs = broadcast_matrix(dense, batch), broadcast_matrix(rhs, batch)
        if self.dtype.is_complex:
            return solve_any(_la.adjoint(dense) if adjoint else dense, rhs)
        return _la.solve(dense, rhs, adjoint=adjoint)

    def _check_solvable(self):
        if self.is_non_singular is False:
            raise NotImplementedError("Exact solve not implemented for an operator that is "
                                      "expected to be singular.")
        if self.is_square is False:
            raise NotImplementedError("Exact solve not implemented for an operator that is "
                                      "expected to not be square.")

    def solve(self, rhs, adjoint=False, adjoint_arg=False, name="solve"):
        """``x`` with ``self @ x = rhs`` (``rhs`` a ``[..., M, R]`` tensor or an operator).

        Args:
          rhs: tensor or ``LinearOperator``.
          adjoint: solve with this operator's adjoint.
          adjoint_arg: use ``rhs``'s adjoint.
          name: ignored.

        Returns:
          ``[..., N, R]`` tensor, or a ``LinearOperator`` when ``rhs`` is one.
        """
        self._check_solvable()
        if isinstance(rhs, LinearOperator):
            left = (self.adjoint() if adjoint else self).inverse()
            return left.matmul(rhs, adjoint_arg=adjoint_arg)
        rhs = check_dtype(self, rhs)
        self._check_inner(rhs, not adjoint, adjoint_arg)
        return self._solve(rhs, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def solvevec(self, rhs, adjoint=False, name="solve"):
        """``solve`` for vectors ``rhs`` of shape ``[..., M]``; returns ``[..., N]``."""
        rhs = check_dtype(self, rhs)
        return squeeze(self.solve(expand_dims(rhs, -1), adjoint=adjoint), -1)

    # -- scalars ----------------------------------------------------------------------------
    def _check_square(self, what):
        if self.is_square is False:
            raise NotImplementedError(f"{what} not implemented for an operator that is "
                                      "expected to not be square.")

    def _determinant(self):
        if self.dtype.is_complex:
            return det_any(self.to_dense())
        return _la.det(self.to_dense())

    def determinant(self, name="det"):
        """The determinant of each matrix, ``[...]``."""
        self._check_square("Determinant")
        return self._determinant()

    def _log_abs_determinant(self):
        if self.dtype.is_complex:  # TF returns log|det| in the complex dtype
            return log_abs_det_any(self.to_dense())
        return _la.slogdet(self.to_dense())[1]

    def log_abs_determinant(self, name="log_abs_det"):
        """``log |det|`` of each matrix, ``[...]``."""
        self._check_square("Determinant")
        return self._log_abs_determinant()

    def _eigvals(self):
        return eigvalsh(self.to_dense())

    def eigvals(self, name="eigvals"):
        """The eigenvalues of a self-adjoint operator (NotImplementedError otherwise)."""
        if not self.is_self_adjoint:
            raise NotImplementedError("Only self-adjoint matrices are supported.")
        return self._eigvals()

    def cond(self, name="cond"):
        """The condition number: largest over smallest singular value."""
        s = svd(self.to_dense(), compute_uv=False)
        return reduce_max(s, axis=-1) / reduce_min(s, axis=-1)

    # -- derived operators ------------------------------------------------------------------
    def _linop_adjoint(self):
        from .structured import LinearOperatorAdjoint  # cycle: it subclasses this class
        return LinearOperatorAdjoint(self)

    def adjoint(self, name="adjoint"):
        """The adjoint (conjugate transpose) as an operator; ``self`` when self-adjoint."""
        if self.is_self_adjoint is True:
            return self
        return self._linop_adjoint()

    H = property(adjoint, None, None, "The adjoint operator (``adjoint()``).")

    def _linop_inverse(self):
        from .structured import LinearOperatorInversion  # cycle: it subclasses this class
        return LinearOperatorInversion(self)

    def inverse(self, name="inverse"):
        """The inverse as an operator (ValueError for a non-square or singular one)."""
        if self.is_square is False:
            raise ValueError("Cannot take the Inverse: This operator represents a non square "
                             "matrix.")
        if self.is_non_singular is False:
            raise ValueError("Cannot take the Inverse: This operator represents a singular "
                             "matrix.")
        return self._linop_inverse()

    def _linop_cholesky(self):
        from .structured import LinearOperatorLowerTriangular  # cycle: a subclass
        return LinearOperatorLowerTriangular(_la.cholesky(self.to_dense()),
                                             is_non_singular=True, is_self_adjoint=False,
                                             is_square=True)

    def cholesky(self, name="cholesky"):
        """The lower Cholesky factor as an operator (positive definite self-adjoint only)."""
        if not (self.is_self_adjoint and self.is_positive_definite):
            raise ValueError("Cannot take the Cholesky decomposition: Not a positive definite "
                             "self adjoint matrix.")
        return self._linop_cholesky()

    # -- runtime checks ---------------------------------------------------------------------
    def assert_non_singular(self, name="assert_non_singular"):
        """Raise InvalidArgumentError when a matrix is singular (up to precision)."""
        s = svd(self.to_dense(), compute_uv=False).numpy()
        eps = np.finfo(s.dtype).eps
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = s.max(axis=-1) / s.min(axis=-1)
        if not np.all(ratio < 1.0 / eps):
            raise InvalidArgumentError(None, None, "Singular matrix up to precision epsilon.")

    def assert_positive_definite(self, name="assert_positive_definite"):
        """Raise InvalidArgumentError unless every matrix is positive definite."""
        try:
            _la.cholesky(self.to_dense())
        except InvalidArgumentError:
            raise InvalidArgumentError(None, None, "Cholesky decomposition was not "
                                       "successful. The input might not be valid.") from None

    def assert_self_adjoint(self, name="assert_self_adjoint"):
        """Raise InvalidArgumentError unless every matrix equals its adjoint."""
        dense = self.to_dense()
        if not bool(reduce_max(_abs(dense - _la.adjoint(dense))).numpy() == 0):
            raise InvalidArgumentError(None, None, "Matrix was not equal to its adjoint.")

    # -- batch slicing --------------------------------------------------------------------
    _SLICE = {}  # constructor argument -> its event rank (dims after the batch dims)

    def _batch_key(self, key):
        """``key`` as a tuple of per-batch-dimension indices (an Ellipsis expanded)."""
        key = key if isinstance(key, tuple) else (key,)
        rank = len(self._shape()) - 2
        if any(k is Ellipsis for k in key):
            i = next(i for i, k in enumerate(key) if k is Ellipsis)
            rest = len([k for k in key if k is not Ellipsis and k is not None])
            key = key[:i] + (slice(None),) * (rank - rest) + key[i + 1:]
        if len([k for k in key if k is not None]) > rank:
            raise InvalidArgumentError(None, "StridedSlice", f"Too many slices for the batch "
                                       f"shape {list(self._shape()[:-2])} of {self.name}: "
                                       f"{key}")
        return key

    def _child_key(self, child, key):
        """``key`` (for this operator's batch) for ``child``, whose batch shape broadcasts
        against it from the right: missing and size-1 dimensions are kept as they are."""
        if any(k is None for k in key):
            raise NotImplementedError("Batch slicing with tf.newaxis is not supported for "
                                      f"{type(self).__name__}.")
        batch = self._shape()[:-2]
        child_batch = child._shape()[:-2]
        offset = len(batch) - len(child_batch)
        full = list(key) + [slice(None)] * (len(batch) - len(key))
        out = []
        for dim, k in enumerate(full):
            if dim < offset:
                continue
            if child_batch[dim - offset] == 1 and batch[dim] != 1:
                out.append(slice(None) if isinstance(k, slice) else 0)  # a broadcast dim
            else:
                out.append(k)
        return tuple(out)

    def _slice_child(self, child, key):
        child_key = self._child_key(child, key)
        return child[child_key] if child_key else child

    def _slice_tensor(self, value, key, event):
        """``value`` (a parameter with ``event`` trailing non-batch dims) broadcast to the
        batch shape and sliced by ``key``."""
        t = value if isinstance(value, TensorBase) else convert_to_tensor(value)
        event_shape = list(t.shape[len(t.shape) - event:]) if event else []
        t = broadcast_to(t, list(self._shape()[:-2]) + event_shape)
        return t[key + (slice(None),) * event]

    def __getitem__(self, key):
        """The operator of the selected batch members: ``key`` indexes the batch dimensions
        only (as NumPy indexing), slicing every parameter alike."""
        if not self._SLICE:
            raise NotImplementedError(f"{type(self).__name__} does not support batch slicing.")
        key = self._batch_key(key)
        batch = list(self._shape()[:-2])
        params = self.parameters
        for arg, event in self._SLICE.items():
            value = params[arg]
            if event == "batch_shape":
                shape = np.empty(batch, dtype=np.int8)[key].shape
                params[arg] = list(shape) or None
                continue
            params[arg] = self._slice_tensor(value, key, event)
        return type(self)(**params)

    def __repr__(self):
        return (f"<tf.linalg.{type(self).__name__} '{self.name}' shape={self.shape} "
                f"dtype={self.dtype.name}>")


def real_dtype_of(dtype):
    """The real dtype of a complex one (float32 for complex64), else ``dtype``."""
    return {dtypes.complex64: dtypes.float32, dtypes.complex128: dtypes.float64}.get(dtype,
                                                                                    dtype)


def log_abs(x):
    """``log |x|`` elementwise (``x`` real or complex)."""
    a = _abs(x)
    return log(a)


__all__ = ["LinearOperator"]
