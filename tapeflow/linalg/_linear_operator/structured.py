"""The concrete linear operators of ``tf.linalg``: full, diagonal, identity, triangular,
and the operators built from other operators (composition, adjoint, inverse, block and
Kronecker products, low-rank updates), plus Toeplitz, tridiagonal, permutation,
Householder and zero matrices. Circulant operators are in ``circulant.py``.
"""
from ... import dtypes
from ...backend import host as np
from ...ops import linalg as _la
from ...ops._core import apply
from ...ops.array import broadcast_to, concat, eye, reshape, zeros
from ...ops.decompositions import triangular_solve
from ...ops.indexing import gather, reverse
from ...ops.linalg import DIAG_EMBED
from ...ops.matfun import inv_any
from ...ops.math import conj, reciprocal, sqrt
from ...ops.reduction import reduce_prod, reduce_sum
from ...tensor import TensorBase, convert_to_tensor
from .base import (
    LinearOperator,
    as_float_tensor,
    broadcast_batch,
    broadcast_matrix,
    log_abs,
)

__all__ = [
    "LinearOperatorFullMatrix", "LinearOperatorDiag", "LinearOperatorIdentity",
    "LinearOperatorScaledIdentity", "LinearOperatorLowerTriangular",
    "LinearOperatorComposition", "LinearOperatorAdjoint", "LinearOperatorInversion",
    "LinearOperatorBlockDiag", "LinearOperatorBlockLowerTriangular",
    "LinearOperatorKronecker", "LinearOperatorLowRankUpdate", "LinearOperatorToeplitz",
    "LinearOperatorTridiag", "LinearOperatorPermutation", "LinearOperatorHouseholder",
    "LinearOperatorZeros",
]


def _hints(is_non_singular, is_self_adjoint, is_positive_definite, is_square):
    return {"is_non_singular": is_non_singular, "is_self_adjoint": is_self_adjoint,
            "is_positive_definite": is_positive_definite, "is_square": is_square}


def _embed(d, k=0, rows=None, cols=None):
    n = d.shape[-1] + abs(k)
    return apply(DIAG_EMBED, (d,), {"k": k, "rows": rows or n, "cols": cols or n,
                                    "padding": 0})


def _real(dtype):
    return not dtype.is_complex


class LinearOperatorFullMatrix(LinearOperator):
    """An operator holding its dense ``[..., M, N]`` matrix.

    Args:
      matrix: float or complex ``[..., M, N]`` tensor.
      is_non_singular, is_self_adjoint, is_positive_definite, is_square: hints.
      name: the operator's name.
    """

    _SLICE = {"matrix": 2}

    def __init__(self, matrix, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorFullMatrix"):
        params = dict(matrix=matrix, **_hints(is_non_singular, is_self_adjoint,
                                              is_positive_definite, is_square), name=name)
        self._matrix = as_float_tensor(matrix, "matrix")
        if len(self._matrix.shape) < 2:
            raise ValueError(f"Argument `matrix` must have at least 2 dimensions. Received: "
                             f"{self._matrix}.")
        super().__init__(self._matrix.dtype, None, is_non_singular, is_self_adjoint,
                         is_positive_definite, is_square, name, params)

    @property
    def matrix(self):
        """The dense matrix."""
        return self._matrix

    def _shape(self):
        return tuple(self._matrix.shape)

    def _to_dense(self):
        return self._matrix


class LinearOperatorDiag(LinearOperator):
    """A diagonal operator ``diag(d)``.

    Args:
      diag: ``[..., N]`` float or complex tensor, the diagonal.
      is_non_singular, is_self_adjoint, is_positive_definite, is_square: hints (a real
        diagonal is self-adjoint).
      name: the operator's name.
    """

    _SLICE = {"diag": 1}

    def __init__(self, diag, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorDiag"):
        params = dict(diag=diag, **_hints(is_non_singular, is_self_adjoint,
                                          is_positive_definite, is_square), name=name)
        self._diag = as_float_tensor(diag, "diag")
        if len(self._diag.shape) < 1:
            raise ValueError("Argument `diag` must have at least 1 dimension.")
        if _real(self._diag.dtype):
            if is_self_adjoint is False:
                raise ValueError("A real diagonal operator is always self adjoint.")
            is_self_adjoint = True
        if is_square is False:
            raise ValueError("Only square diagonal operators currently supported.")
        super().__init__(self._diag.dtype, None, is_non_singular, is_self_adjoint,
                         is_positive_definite, True, name, params)

    @property
    def diag(self):
        """The diagonal."""
        return self._diag

    def _shape(self):
        s = tuple(self._diag.shape)
        return s + (s[-1],)

    def _to_dense(self):
        return _embed(self._diag)

    def _diag_part(self):
        return self._diag

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        d = conj(self._diag) if adjoint else self._diag
        x = _la.adjoint(x) if adjoint_arg else x
        return reshape(d, list(d.shape) + [1]) * x

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        d = conj(self._diag) if adjoint else self._diag
        rhs = _la.adjoint(rhs) if adjoint_arg else rhs
        return rhs / reshape(d, list(d.shape) + [1])

    def _determinant(self):
        return reduce_prod(self._diag, axis=-1)

    def _log_abs_determinant(self):
        return reduce_sum(log_abs(self._diag), axis=-1)

    def _eigvals(self):
        return self._diag

    def _linop_adjoint(self):
        return LinearOperatorDiag(conj(self._diag), is_non_singular=self.is_non_singular,
                                  is_self_adjoint=self.is_self_adjoint,
                                  is_positive_definite=self.is_positive_definite)

    def _linop_inverse(self):
        return LinearOperatorDiag(reciprocal(self._diag), is_non_singular=self.is_non_singular,
                                  is_self_adjoint=self.is_self_adjoint,
                                  is_positive_definite=self.is_positive_definite)

    def _linop_cholesky(self):
        return LinearOperatorDiag(sqrt(self._diag), is_non_singular=True,
                                  is_self_adjoint=True, is_positive_definite=True)

    def _compose(self, other):
        if isinstance(other, LinearOperatorDiag):
            return LinearOperatorDiag(self._diag * other._diag)
        return super()._compose(other)


class _Identityish(LinearOperator):
    """Shared shape handling of the identity, scaled identity and zero operators."""

    def _shape(self):
        return tuple(self._batch) + (self._rows, self._cols)

    def _identity(self):
        return eye(self._rows, self._cols, batch_shape=list(self._batch) or None,
                   dtype=self.dtype)


def _check_rows(num_rows, arg="num_rows"):
    n = int(num_rows.numpy()) if isinstance(num_rows, TensorBase) else num_rows
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"Argument `{arg}` must be an integer. Received: {num_rows}.")
    if n < 0:
        raise ValueError(f"Argument `{arg}` must be non-negative. Received: {n}.")
    return int(n)


class LinearOperatorIdentity(_Identityish):
    """The identity operator (optionally batched).

    Args:
      num_rows: ``N``.
      batch_shape: optional batch shape (list of ints).
      dtype: the dtype (default float32).
      is_non_singular, is_self_adjoint, is_positive_definite, is_square: hints (all True).
      assert_proper_shapes: ignored (shapes are always checked eagerly).
      name: the operator's name.
    """

    _SLICE = {"batch_shape": "batch_shape"}

    def __init__(self, num_rows, batch_shape=None, dtype=None, is_non_singular=True,
                 is_self_adjoint=True, is_positive_definite=True, is_square=True,
                 assert_proper_shapes=False, name="LinearOperatorIdentity"):
        params = dict(num_rows=num_rows, batch_shape=batch_shape, dtype=dtype,
                      **_hints(is_non_singular, is_self_adjoint, is_positive_definite,
                               is_square), assert_proper_shapes=assert_proper_shapes,
                      name=name)
        for hint, text in ((is_non_singular, "non_singular"),
                           (is_self_adjoint, "self_adjoint"),
                           (is_positive_definite, "positive_definite"),
                           (is_square, "square")):
            if not hint:
                raise ValueError(f"An identity operator is always {text.replace('_', '-')}.")
        self._rows = self._cols = _check_rows(num_rows)
        self._batch = tuple(int(b) for b in (batch_shape or ()))
        super().__init__(dtype or dtypes.float32, None, True, True, True, True, name, params)

    def _to_dense(self):
        return self._identity()

    def _diag_part(self):
        return broadcast_to(convert_to_tensor(1, self.dtype), list(self._batch) + [self._rows])

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        x = _la.adjoint(x) if adjoint_arg else x
        return broadcast_matrix(x, self._batch)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self._matmul(rhs, adjoint, adjoint_arg)

    def _determinant(self):
        return broadcast_to(convert_to_tensor(1, self.dtype), list(self._batch))

    def _log_abs_determinant(self):
        return broadcast_to(convert_to_tensor(0, self.dtype), list(self._batch))

    def _eigvals(self):
        return self._diag_part()

    def _linop_inverse(self):
        return self

    def _linop_cholesky(self):
        return self

    def _compose(self, other):
        if isinstance(other, LinearOperatorIdentity) and self._batch == other._batch:
            return self
        if isinstance(other, (LinearOperatorIdentity, LinearOperatorScaledIdentity,
                              LinearOperatorDiag, LinearOperatorFullMatrix)) and \
                not self._batch:
            return other
        return super()._compose(other)


class LinearOperatorScaledIdentity(_Identityish):
    """``multiplier * I``, with a (possibly batched) scalar multiplier.

    Args:
      num_rows: ``N``.
      multiplier: float or complex tensor of shape ``batch_shape``.
      is_non_singular, is_self_adjoint, is_positive_definite, is_square: hints (a real
        multiplier is self-adjoint).
      assert_proper_shapes: ignored.
      name: the operator's name.
    """

    _SLICE = {"multiplier": 0}

    def __init__(self, num_rows, multiplier, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=True, assert_proper_shapes=False,
                 name="LinearOperatorScaledIdentity"):
        params = dict(num_rows=num_rows, multiplier=multiplier,
                      **_hints(is_non_singular, is_self_adjoint, is_positive_definite,
                               is_square), assert_proper_shapes=assert_proper_shapes,
                      name=name)
        self._multiplier = as_float_tensor(multiplier, "multiplier")
        if _real(self._multiplier.dtype) and is_self_adjoint is None:
            is_self_adjoint = True
        self._rows = self._cols = _check_rows(num_rows)
        self._batch = tuple(self._multiplier.shape)
        super().__init__(self._multiplier.dtype, None, is_non_singular, is_self_adjoint,
                         is_positive_definite, True, name, params)

    @property
    def multiplier(self):
        """The scalar (or batch of scalars) multiplying the identity."""
        return self._multiplier

    def _m(self):
        return reshape(self._multiplier, list(self._batch) + [1, 1])

    def _to_dense(self):
        return self._m() * self._identity()

    def _diag_part(self):
        return reshape(self._multiplier, list(self._batch) + [1]) * \
            broadcast_to(convert_to_tensor(1, self.dtype), [self._rows])

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        m = conj(self._m()) if adjoint else self._m()
        return m * (_la.adjoint(x) if adjoint_arg else x)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        m = conj(self._m()) if adjoint else self._m()
        return (_la.adjoint(rhs) if adjoint_arg else rhs) / m

    def _determinant(self):
        return self._multiplier ** self._rows

    def _log_abs_determinant(self):
        return self._rows * log_abs(self._multiplier)

    def _eigvals(self):
        return self._diag_part()

    def _scaled(self, m, **hints):
        return LinearOperatorScaledIdentity(self._rows, m, **hints)

    def _linop_adjoint(self):
        return self._scaled(conj(self._multiplier))

    def _linop_inverse(self):
        return self._scaled(reciprocal(self._multiplier),
                            is_non_singular=self.is_non_singular,
                            is_self_adjoint=self.is_self_adjoint,
                            is_positive_definite=self.is_positive_definite)

    def _linop_cholesky(self):
        return self._scaled(sqrt(self._multiplier), is_non_singular=True,
                            is_self_adjoint=True, is_positive_definite=True)

    def _compose(self, other):
        if isinstance(other, LinearOperatorScaledIdentity):
            return self._scaled(self._multiplier * other._multiplier)
        if isinstance(other, LinearOperatorIdentity):
            return self
        return super()._compose(other)


class LinearOperatorZeros(_Identityish):
    """The all-zeros ``[..., M, N]`` operator.

    Args:
      num_rows: ``M``.
      num_columns: ``N`` (default ``M``).
      batch_shape: optional batch shape.
      dtype: the dtype (default float32).
      is_non_singular, is_self_adjoint, is_positive_definite, is_square: hints.
      assert_proper_shapes: ignored.
      name: the operator's name.
    """

    _SLICE = {"batch_shape": "batch_shape"}

    def __init__(self, num_rows, num_columns=None, batch_shape=None, dtype=None,
                 is_non_singular=False, is_self_adjoint=True, is_positive_definite=False,
                 is_square=True, assert_proper_shapes=False, name="LinearOperatorZeros"):
        params = dict(num_rows=num_rows, num_columns=num_columns, batch_shape=batch_shape,
                      dtype=dtype, **_hints(is_non_singular, is_self_adjoint,
                                            is_positive_definite, is_square),
                      assert_proper_shapes=assert_proper_shapes, name=name)
        if is_non_singular:
            raise ValueError("A zeros operator is always singular.")
        if is_positive_definite:
            raise ValueError("A zeros operator is never positive-definite.")
        self._rows = _check_rows(num_rows)
        self._cols = self._rows if num_columns is None else _check_rows(num_columns,
                                                                          "num_columns")
        if self._rows != self._cols:
            if is_square:
                raise ValueError(f"LinearOperatorZeros initialized as is_square=True, but got "
                                 f"num_rows({self._rows}) != num_columns({self._cols})")
            if is_self_adjoint:
                raise ValueError("A self-adjoint matrix is always square.")
        self._batch = tuple(int(b) for b in (batch_shape or ()))
        super().__init__(dtype or dtypes.float32, None, False, is_self_adjoint, False,
                         is_square, name, params)

    def _to_dense(self):
        return zeros(list(self._shape()), self.dtype)

    def _diag_part(self):
        return zeros(list(self._batch) + [min(self._rows, self._cols)], self.dtype)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        rows = self._cols if adjoint else self._rows
        cols = x.shape[-2] if adjoint_arg else x.shape[-1]
        batch = broadcast_batch(self._batch, tuple(x.shape[:-2]))
        return zeros(list(batch) + [rows, cols], self.dtype)

    def _determinant(self):
        return zeros(list(self._batch), self.dtype)

    def _log_abs_determinant(self):
        return zeros(list(self._batch), self.dtype) + float("-inf")

    def _eigvals(self):
        return self._diag_part()

    def _linop_adjoint(self):
        return LinearOperatorZeros(self._cols, self._rows, list(self._batch) or None,
                                   self.dtype, is_self_adjoint=self.is_self_adjoint,
                                   is_square=self.is_square)

    def _compose(self, other):
        if isinstance(other, LinearOperatorZeros):
            return LinearOperatorZeros(self._rows, other._cols,
                                       list(broadcast_batch(self._batch, other._batch)) or
                                       None, self.dtype)
        return super()._compose(other)


class LinearOperatorLowerTriangular(LinearOperator):
    """A lower-triangular operator; only the lower triangle of ``tril`` is read.

    Args:
      tril: ``[..., N, N]`` float or complex tensor.
      is_non_singular, is_self_adjoint, is_positive_definite, is_square: hints.
      name: the operator's name.
    """

    _SLICE = {"tril": 2}

    def __init__(self, tril, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None,
                 name="LinearOperatorLowerTriangular"):
        params = dict(tril=tril, **_hints(is_non_singular, is_self_adjoint,
                                          is_positive_definite, is_square), name=name)
        if is_square is False:
            raise ValueError("Only square lower triangular operators supported at this time.")
        self._tril = as_float_tensor(tril, "tril")
        super().__init__(self._tril.dtype, None, is_non_singular, is_self_adjoint,
                         is_positive_definite, True, name, params)

    @property
    def tril(self):
        """The (lower triangle of the) matrix."""
        return self._tril

    def _shape(self):
        return tuple(self._tril.shape)

    def _to_dense(self):
        return _la.band_part(self._tril, -1, 0)

    def _diag_part(self):
        return _la.diag_part(self._tril)

    def _determinant(self):
        return reduce_prod(self._diag_part(), axis=-1)

    def _log_abs_determinant(self):
        return reduce_sum(log_abs(self._diag_part()), axis=-1)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        if self.dtype.is_complex:  # tapeflow's triangular solve is real: solve densely
            return super()._solve(rhs, adjoint, adjoint_arg)
        rhs = _la.adjoint(rhs) if adjoint_arg else rhs
        batch = broadcast_batch(tuple(self._tril.shape[:-2]), tuple(rhs.shape[:-2]))
        return triangular_solve(broadcast_matrix(self._tril, batch),
                                broadcast_matrix(rhs, batch), lower=True, adjoint=adjoint)

    def _eigvals(self):
        return self._diag_part()


def _determinant_product(ops):
    """The product of the determinants of ``ops`` (a non-empty list), in order."""
    out = ops[0].determinant()
    for op in ops[1:]:
        out = out * op.determinant()
    return out


def _log_abs_determinant_sum(ops):
    """The sum of the log absolute determinants of ``ops`` (a non-empty list), in order."""
    out = ops[0].log_abs_determinant()
    for op in ops[1:]:
        out = out + op.log_abs_determinant()
    return out


class _SlicesOperators:
    """Batch slicing of an operator built from the list ``operators`` (``_operators``)."""

    def __getitem__(self, key):
        """The operator of the selected batch members (each factor sliced alike)."""
        key = self._batch_key(key)
        params = self.parameters
        params["operators"] = [self._slice_child(op, key) for op in self._operators]
        return type(self)(**params)


class _SlicesOperator:
    """Batch slicing of an operator wrapping one ``operator`` (``_operator``)."""

    def __getitem__(self, key):
        """The operator of the selected batch members of the wrapped operator."""
        key = self._batch_key(key)
        params = self.parameters
        params["operator"] = self._slice_child(self._operator, key)
        return type(self)(**params)


def _names(operators, joiner):
    return joiner.join(op.name for op in operators)


def _all(ops, attr):
    return all(getattr(o, attr) for o in ops)


class LinearOperatorComposition(_SlicesOperators, LinearOperator):
    """The product ``A1 @ A2 @ ... @ Ak`` of operators, applied one after another.

    Args:
      operators: non-empty list of operators of one dtype.
      is_non_singular, is_self_adjoint, is_positive_definite, is_square: hints.
      name: the operator's name (default: the names joined by ``_o_``).
    """

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None):
        params = dict(operators=operators, **_hints(is_non_singular, is_self_adjoint,
                                                    is_positive_definite, is_square),
                      name=name)
        operators = list(operators)
        _check_operators(operators, "operators")
        for left, right in zip(operators, operators[1:]):
            if left.domain_dimension != right.range_dimension:
                raise ValueError(f"Dimensions {left.domain_dimension} and "
                                 f"{right.range_dimension} are not compatible")
        if _all(operators, "is_non_singular") and _all(operators, "is_square"):
            if is_non_singular is False:
                raise ValueError("The composition of non-singular operators is always "
                                 "non-singular.")
            is_non_singular = True
        self._operators = operators
        super().__init__(operators[0].dtype, None, is_non_singular, is_self_adjoint,
                         is_positive_definite, is_square, name or _names(operators, "_o_"),
                         params)

    @property
    def operators(self):
        """The factors, left to right."""
        return list(self._operators)

    def _shape(self):
        batch = broadcast_batch(*[o._shape()[:-2] for o in self._operators])
        return batch + (self._operators[0]._shape()[-2], self._operators[-1]._shape()[-1])

    def _to_dense(self):
        out = self._operators[-1].to_dense()
        for op in reversed(self._operators[:-1]):
            out = op.matmul(out)
        return out

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        if adjoint_arg:
            x = _la.adjoint(x)
        order = self._operators if adjoint else list(reversed(self._operators))
        for op in order:
            x = op.matmul(x, adjoint=adjoint)
        return x

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        if adjoint_arg:
            rhs = _la.adjoint(rhs)
        order = list(reversed(self._operators)) if adjoint else self._operators
        for op in order:
            rhs = op.solve(rhs, adjoint=adjoint)
        return rhs

    def _determinant(self):
        return _determinant_product(self._operators)

    def _log_abs_determinant(self):
        return _log_abs_determinant_sum(self._operators)


def _check_operators(operators, arg):
    if not operators:
        raise ValueError(f"Expected a non-empty list of `{arg}`. Found: {operators}")
    dtype = operators[0].dtype
    for op in operators:
        if op.dtype != dtype:
            names = [(o.name, o.dtype.name) for o in operators]
            raise TypeError(f"Expected all operators to have the same dtype.  Found {names}")


class LinearOperatorAdjoint(_SlicesOperator, LinearOperator):
    """The adjoint (conjugate transpose) of another operator.

    Args:
      operator: the operator.
      is_non_singular, is_self_adjoint, is_positive_definite, is_square: hints (default:
        the operator's).
      name: the operator's name (default: ``<name>_adjoint``).
    """

    def __init__(self, operator, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None):
        params = dict(operator=operator, **_hints(is_non_singular, is_self_adjoint,
                                                  is_positive_definite, is_square), name=name)
        self._operator = operator
        super().__init__(operator.dtype, None,
                         operator.is_non_singular if is_non_singular is None
                         else is_non_singular,
                         operator.is_self_adjoint if is_self_adjoint is None
                         else is_self_adjoint,
                         operator.is_positive_definite if is_positive_definite is None
                         else is_positive_definite,
                         operator.is_square if is_square is None else is_square,
                         name or operator.name + "_adjoint", params)

    @property
    def operator(self):
        """The operator whose adjoint this is."""
        return self._operator

    def _shape(self):
        s = self._operator._shape()
        return s[:-2] + (s[-1], s[-2])

    def _to_dense(self):
        return _la.adjoint(self._operator.to_dense())

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        return self._operator.matmul(x, adjoint=not adjoint, adjoint_arg=adjoint_arg)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self._operator.solve(rhs, adjoint=not adjoint, adjoint_arg=adjoint_arg)

    def _determinant(self):
        return conj(self._operator.determinant())

    def _log_abs_determinant(self):
        return self._operator.log_abs_determinant()

    def _linop_adjoint(self):
        return self._operator


class LinearOperatorInversion(_SlicesOperator, LinearOperator):
    """The inverse of another (non-singular, square) operator: its ``matmul`` solves.

    Args:
      operator: the operator.
      is_non_singular, is_self_adjoint, is_positive_definite, is_square: hints (default:
        the operator's).
      name: the operator's name (default: ``<name>_inv``).
    """

    def __init__(self, operator, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None):
        params = dict(operator=operator, **_hints(is_non_singular, is_self_adjoint,
                                                  is_positive_definite, is_square), name=name)
        if operator.is_non_singular is False or is_non_singular is False:
            raise ValueError(f"operator and supplied hints must be 'non_singular'. Found: "
                             f"operator.is_non_singular = {operator.is_non_singular}, "
                             f"is_non_singular = {is_non_singular}.")
        if operator.is_square is False or is_square is False:
            raise ValueError(f"operator and supplied hints must be 'square'. Found: "
                             f"operator.is_square = {operator.is_square}, is_square = "
                             f"{is_square}.")
        self._operator = operator
        super().__init__(operator.dtype, None,
                         operator.is_non_singular if is_non_singular is None
                         else is_non_singular,
                         operator.is_self_adjoint if is_self_adjoint is None
                         else is_self_adjoint,
                         operator.is_positive_definite if is_positive_definite is None
                         else is_positive_definite,
                         True, name or operator.name + "_inv", params)

    @property
    def operator(self):
        """The operator whose inverse this is."""
        return self._operator

    def _shape(self):
        return self._operator._shape()

    def _to_dense(self):
        dense = self._operator.to_dense()
        return inv_any(dense) if self.dtype.is_complex else _la.inv(dense)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        return self._operator.solve(x, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self._operator.matmul(rhs, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def _determinant(self):
        return 1.0 / self._operator.determinant()

    def _log_abs_determinant(self):
        return -self._operator.log_abs_determinant()

    def _linop_inverse(self):
        return self._operator


def _block_dense(rows, batch, dtype):
    """A dense matrix from a grid of dense blocks (``None``: zeros of the right size)."""
    heights = [next(b.shape[-2] for b in row if b is not None) for row in rows]
    widths = [None] * max(len(r) for r in rows)
    for row in rows:
        for j, b in enumerate(row):
            if b is not None:
                widths[j] = b.shape[-1]
    out_rows = []
    for row, h in zip(rows, heights):
        parts = [broadcast_matrix(b, batch) if b is not None
                 else zeros(list(batch) + [h, w], dtype)
                 for b, w in zip(list(row) + [None] * (len(widths) - len(row)), widths)]
        out_rows.append(concat(parts, axis=-1))
    return concat(out_rows, axis=-2)


class LinearOperatorBlockDiag(_SlicesOperators, LinearOperator):
    """A block-diagonal operator ``diag(A1, ..., Ak)`` of square blocks.

    Args:
      operators: non-empty list of square operators of one dtype.
      is_non_singular, is_self_adjoint, is_positive_definite, is_square: hints.
      name: the operator's name (default: the names joined by ``_ds_``).
    """

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=True, name=None):
        params = dict(operators=operators, **_hints(is_non_singular, is_self_adjoint,
                                                    is_positive_definite, is_square),
                      name=name)
        operators = list(operators)
        _check_operators(operators, "operators")
        for key, hint in (("is_non_singular", is_non_singular),
                          ("is_self_adjoint", is_self_adjoint),
                          ("is_positive_definite", is_positive_definite)):
            if _all(operators, key):
                if hint is False:
                    raise ValueError(f"The direct sum of {key[3:].replace('_', '-')} operators "
                                     f"is always {key[3:].replace('_', '-')}.")
        if _all(operators, "is_non_singular"):
            is_non_singular = True
        if _all(operators, "is_self_adjoint"):
            is_self_adjoint = True
        if _all(operators, "is_positive_definite"):
            is_positive_definite = True
        self._operators = operators
        super().__init__(operators[0].dtype, None, is_non_singular, is_self_adjoint,
                         is_positive_definite, is_square, name or _names(operators, "_ds_"),
                         params)

    @property
    def operators(self):
        """The diagonal blocks."""
        return list(self._operators)

    def _batch(self):
        return broadcast_batch(*[o._shape()[:-2] for o in self._operators])

    def _shape(self):
        return self._batch() + (sum(o._shape()[-2] for o in self._operators),
                                sum(o._shape()[-1] for o in self._operators))

    def _to_dense(self):
        k = len(self._operators)
        rows = [[op.to_dense() if i == j else None for j in range(k)]
                for i, op in enumerate(self._operators)]
        for i, op in enumerate(self._operators):
            for j in range(k):
                if rows[i][j] is None:
                    rows[i][j] = zeros(list(self._batch()) + [op._shape()[-2],
                                                              self._operators[j]._shape()[-1]],
                                       self.dtype)
        return _block_dense(rows, self._batch(), self.dtype)

    def _split_apply(self, x, fn, adjoint, adjoint_arg, use_rows):
        if adjoint_arg:
            x = _la.adjoint(x)
        outs, start = [], 0
        for op in self._operators:
            size = op._shape()[-2] if use_rows else op._shape()[-1]
            outs.append(fn(op, x[..., start:start + size, :]))
            start += size
        batch = broadcast_batch(*[tuple(o.shape[:-2]) for o in outs])
        return concat([broadcast_matrix(o, batch) for o in outs], axis=-2)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        return self._split_apply(x, lambda op, part: op.matmul(part, adjoint=adjoint),
                                 adjoint, adjoint_arg, use_rows=adjoint)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self._split_apply(rhs, lambda op, part: op.solve(part, adjoint=adjoint),
                                 adjoint, adjoint_arg, use_rows=not adjoint)

    def _determinant(self):
        return _determinant_product(self._operators)

    def _log_abs_determinant(self):
        return _log_abs_determinant_sum(self._operators)

    def _diag_part(self):
        return concat([op.diag_part() for op in self._operators], axis=-1)

    def _linop_adjoint(self):
        return LinearOperatorBlockDiag([op.adjoint() for op in self._operators])

    def _linop_inverse(self):
        return LinearOperatorBlockDiag([op.inverse() for op in self._operators])


class LinearOperatorBlockLowerTriangular(LinearOperator):
    """A block lower-triangular operator given by its rows of blocks: row ``i`` holds the
    ``i + 1`` operators ``A_i0 .. A_ii``; the diagonal blocks are square.

    Args:
      operators: list of lists of operators (row ``i`` of length ``i + 1``).
      is_non_singular, is_self_adjoint, is_positive_definite, is_square: hints.
      name: the operator's name.
    """

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None,
                 name="LinearOperatorBlockLowerTriangular"):
        params = dict(operators=operators, **_hints(is_non_singular, is_self_adjoint,
                                                    is_positive_definite, is_square),
                      name=name)
        rows = [list(r) for r in operators]
        if not rows:
            raise ValueError("Expected a non-empty list of `operators`.")
        for i, row in enumerate(rows):
            if len(row) != i + 1:
                raise ValueError(f"Argument `operators[{i}]` must contain `{i + 1}` blocks. "
                                 f"Received: {len(row)} blocks.")
        _check_operators([op for row in rows for op in row], "operators")
        diag = [row[-1] for row in rows]
        if _all(diag, "is_non_singular"):
            is_non_singular = True
        self._rows = rows
        super().__init__(rows[0][0].dtype, None, is_non_singular, is_self_adjoint,
                         is_positive_definite, is_square, name, params)

    @property
    def operators(self):
        """The rows of blocks."""
        return [list(r) for r in self._rows]

    def _batch(self):
        return broadcast_batch(*[o._shape()[:-2] for row in self._rows for o in row])

    def __getitem__(self, key):
        """The operator of the selected batch members (every block sliced alike)."""
        key = self._batch_key(key)
        params = self.parameters
        params["operators"] = [[self._slice_child(op, key) for op in row]
                               for row in self._rows]
        return type(self)(**params)

    def _shape(self):
        n = sum(row[-1]._shape()[-2] for row in self._rows)
        return self._batch() + (n, n)

    def _to_dense(self):
        k = len(self._rows)
        grid = []
        for i, row in enumerate(self._rows):
            h = row[-1]._shape()[-2]
            cells = [op.to_dense() for op in row]
            cells += [zeros(list(self._batch()) + [h, self._rows[j][-1]._shape()[-1]],
                            self.dtype) for j in range(i + 1, k)]
            grid.append(cells)
        return _block_dense(grid, self._batch(), self.dtype)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        if adjoint or adjoint_arg:
            return super()._solve(rhs, adjoint, adjoint_arg)
        parts, start = [], 0
        for row in self._rows:
            size = row[-1]._shape()[-2]
            r = rhs[..., start:start + size, :]
            for op, x in zip(row[:-1], parts):
                r = r - op.matmul(x)
            parts.append(row[-1].solve(r))
            start += size
        batch = broadcast_batch(*[tuple(p.shape[:-2]) for p in parts])
        return concat([broadcast_matrix(p, batch) for p in parts], axis=-2)

    def _determinant(self):
        return _determinant_product([row[-1] for row in self._rows])

    def _log_abs_determinant(self):
        return _log_abs_determinant_sum([row[-1] for row in self._rows])


def _kron(a, b):
    """Kronecker product of two ``[..., m, n]`` and ``[..., p, q]`` dense matrices."""
    m, n = a.shape[-2:]
    p, q = b.shape[-2:]
    batch = broadcast_batch(tuple(a.shape[:-2]), tuple(b.shape[:-2]))
    big = reshape(a, list(a.shape[:-2]) + [m, 1, n, 1]) * \
        reshape(b, list(b.shape[:-2]) + [1, p, 1, q])
    return reshape(big, list(batch) + [m * p, n * q])


class LinearOperatorKronecker(_SlicesOperators, LinearOperator):
    """The Kronecker product ``A1 ⊗ A2 ⊗ ... ⊗ Ak`` of operators.

    Args:
      operators: non-empty list of operators of one dtype.
      is_non_singular, is_self_adjoint, is_positive_definite, is_square: hints.
      name: the operator's name (default: the names joined by ``_x_``).
    """

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None):
        params = dict(operators=operators, **_hints(is_non_singular, is_self_adjoint,
                                                    is_positive_definite, is_square),
                      name=name)
        operators = list(operators)
        _check_operators(operators, "operators")
        if _all(operators, "is_non_singular"):
            is_non_singular = True
        if _all(operators, "is_self_adjoint"):
            is_self_adjoint = True
        self._operators = operators
        super().__init__(operators[0].dtype, None, is_non_singular, is_self_adjoint,
                         is_positive_definite, is_square, name or _names(operators, "_x_"),
                         params)

    @property
    def operators(self):
        """The factors."""
        return list(self._operators)

    def _shape(self):
        batch = broadcast_batch(*[o._shape()[:-2] for o in self._operators])
        rows = int(np.prod([o._shape()[-2] for o in self._operators]))
        cols = int(np.prod([o._shape()[-1] for o in self._operators]))
        return batch + (rows, cols)

    def _to_dense(self):
        out = self._operators[0].to_dense()
        for op in self._operators[1:]:
            out = _kron(out, op.to_dense())
        return out

    def _determinant(self):
        total = self._shape()[-1]
        out = None
        for op in self._operators:
            d = op.determinant() ** (total // op._shape()[-1])
            out = d if out is None else out * d
        return out

    def _log_abs_determinant(self):
        total = self._shape()[-1]
        out = None
        for op in self._operators:
            d = op.log_abs_determinant() * float(total // op._shape()[-1])
            out = d if out is None else out + d
        return out

    def _diag_part(self):
        out = self._operators[0].diag_part()
        for op in self._operators[1:]:
            d = op.diag_part()
            out = reshape(reshape(out, list(out.shape) + [1]) *
                          reshape(d, list(d.shape[:-1]) + [1, d.shape[-1]]),
                          list(broadcast_batch(tuple(out.shape[:-1]), tuple(d.shape[:-1])))
                          + [out.shape[-1] * d.shape[-1]])
        return out

    def _linop_adjoint(self):
        return LinearOperatorKronecker([op.adjoint() for op in self._operators])

    def _linop_inverse(self):
        return LinearOperatorKronecker([op.inverse() for op in self._operators])


class LinearOperatorLowRankUpdate(LinearOperator):
    """``A = L + U D V^H``: a base operator plus a low-rank update.

    Args:
      base_operator: the operator ``L``.
      u: ``[..., M, K]`` tensor.
      diag_update: optional ``[..., K]`` diagonal ``D`` (default identity).
      v: optional ``[..., N, K]`` tensor (default ``u``).
      is_diag_update_positive: hint that ``D`` is positive.
      is_non_singular, is_self_adjoint, is_positive_definite, is_square: hints.
      name: the operator's name.
    """

    def __init__(self, base_operator, u, diag_update=None, v=None,
                 is_diag_update_positive=None, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None,
                 name="LinearOperatorLowRankUpdate"):
        params = dict(base_operator=base_operator, u=u, diag_update=diag_update, v=v,
                      is_diag_update_positive=is_diag_update_positive,
                      **_hints(is_non_singular, is_self_adjoint, is_positive_definite,
                               is_square), name=name)
        dtype = base_operator.dtype
        self._base = base_operator
        self._u = as_float_tensor(u, "u", dtype)
        self._v = None if v is None else as_float_tensor(v, "v", dtype)
        self._diag_update = None if diag_update is None else \
            as_float_tensor(diag_update, "diag_update", dtype)
        for t in (self._u, self._v, self._diag_update):
            if t is not None and t.dtype != dtype:
                raise TypeError(f"Expected argument to have dtype {dtype!r}.  Found: "
                                f"{t.dtype!r} in tensor {t}")
        self._is_diag_update_positive = is_diag_update_positive
        if v is None and base_operator.is_self_adjoint and is_self_adjoint is None:
            is_self_adjoint = True
        super().__init__(dtype, None, is_non_singular, is_self_adjoint,
                         is_positive_definite, is_square, name, params)

    @property
    def base_operator(self):
        """The operator ``L``."""
        return self._base

    @property
    def u(self):
        """The ``U`` factor."""
        return self._u

    @property
    def v(self):
        """The ``V`` factor (``U`` when not given)."""
        return self._u if self._v is None else self._v

    @property
    def diag_update(self):
        """The diagonal ``D`` (``None``: identity)."""
        return self._diag_update

    @property
    def is_diag_update_positive(self):
        """Hint that ``D`` is positive."""
        return self._is_diag_update_positive

    def __getitem__(self, key):
        """The operator of the selected batch members (base operator and factors)."""
        key = self._batch_key(key)
        params = self.parameters
        params["base_operator"] = self._slice_child(self._base, key)
        params["u"] = self._slice_tensor(self._u, key, 2)
        if self._v is not None:
            params["v"] = self._slice_tensor(self._v, key, 2)
        if self._diag_update is not None:
            params["diag_update"] = self._slice_tensor(self._diag_update, key, 1)
        return type(self)(**params)

    def _shape(self):
        parts = [self._base._shape()[:-2], tuple(self._u.shape[:-2])]
        if self._v is not None:
            parts.append(tuple(self._v.shape[:-2]))
        return broadcast_batch(*parts) + self._base._shape()[-2:]

    def _update(self):
        ud = self._u if self._diag_update is None else \
            self._u * reshape(self._diag_update, list(self._diag_update.shape[:-1]) +
                              [1, self._diag_update.shape[-1]])
        return _la.matmul(ud, self.v, adjoint_b=True)

    def _to_dense(self):
        return self._base.to_dense() + self._update()


class LinearOperatorToeplitz(LinearOperator):
    """A Toeplitz operator: constant along its diagonals, given its first column and row.

    Args:
      col: ``[..., N]`` first column.
      row: ``[..., N]`` first row (its first entry is ignored: ``col[0]`` is used).
      is_non_singular, is_self_adjoint, is_positive_definite, is_square: hints.
      name: the operator's name.
    """

    _SLICE = {"col": 1, "row": 1}

    def __init__(self, col, row, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorToeplitz"):
        params = dict(col=col, row=row, **_hints(is_non_singular, is_self_adjoint,
                                                 is_positive_definite, is_square), name=name)
        self._col = as_float_tensor(col, "col")
        self._row = as_float_tensor(row, "row", self._col.dtype)
        super().__init__(self._col.dtype, None, is_non_singular, is_self_adjoint,
                         is_positive_definite, True, name, params)

    @property
    def col(self):
        """The first column."""
        return self._col

    @property
    def row(self):
        """The first row."""
        return self._row

    def _shape(self):
        batch = broadcast_batch(tuple(self._col.shape[:-1]), tuple(self._row.shape[:-1]))
        n = self._col.shape[-1]
        return batch + (n, n)

    def _to_dense(self):
        n = self._col.shape[-1]
        batch = list(self._shape()[:-2])
        col = broadcast_to(self._col, batch + [n])
        row = broadcast_to(self._row, batch + [n])
        values = concat([reverse(row[..., 1:], [-1]), col], axis=-1)
        idx = (n - 1) + np.arange(n)[:, None] - np.arange(n)[None, :]
        return gather(values, convert_to_tensor(idx.astype(np.int32)), axis=-1,
                      batch_dims=0) if not batch else _gather_last(values, idx)


def _gather_last(values, idx):
    """``values[..., idx]`` for an index matrix ``idx``."""
    n = idx.shape[0]
    flat = gather(values, convert_to_tensor(idx.reshape(-1).astype(np.int32)), axis=-1)
    return reshape(flat, list(values.shape[:-1]) + [n, n])


class LinearOperatorTridiag(LinearOperator):
    """A square tridiagonal operator.

    Args:
      diagonals: ``'compact'``: ``[..., 3, N]`` superdiagonal (last entry ignored),
        diagonal, subdiagonal (first entry ignored); ``'sequence'``: those three
        ``[..., N]`` tensors in a list; ``'matrix'``: the ``[..., N, N]`` matrix.
      diagonals_format: one of ``'compact'``, ``'sequence'``, ``'matrix'``.
      is_non_singular, is_self_adjoint, is_positive_definite, is_square: hints.
      name: the operator's name.
    """

    def __init__(self, diagonals, diagonals_format="compact", is_non_singular=None,
                 is_self_adjoint=None, is_positive_definite=None, is_square=None,
                 name="LinearOperatorTridiag"):
        params = dict(diagonals=diagonals, diagonals_format=diagonals_format,
                      **_hints(is_non_singular, is_self_adjoint, is_positive_definite,
                               is_square), name=name)
        if diagonals_format not in ("compact", "sequence", "matrix"):
            raise ValueError(f"Diagonals Format must be one of compact, matrix, sequence, got "
                             f": {diagonals_format}")
        if diagonals_format == "sequence":
            first = as_float_tensor(diagonals[0], "diagonals")
            self._diagonals = [first] + [as_float_tensor(d, "diagonals", first.dtype)
                                         for d in diagonals[1:]]
            dtype = first.dtype
        else:
            self._diagonals = as_float_tensor(diagonals, "diagonals")
            dtype = self._diagonals.dtype
        self._format = diagonals_format
        super().__init__(dtype, None, is_non_singular, is_self_adjoint, is_positive_definite,
                         True, name, params)

    @property
    def diagonals(self):
        """The diagonals as given."""
        return self._diagonals

    @property
    def diagonals_format(self):
        """``'compact'``, ``'sequence'`` or ``'matrix'``."""
        return self._format

    def _parts(self):
        if self._format == "sequence":
            return self._diagonals
        d = self._diagonals
        return [d[..., 0, :], d[..., 1, :], d[..., 2, :]]

    def __getitem__(self, key):
        """The operator of the selected batch members of the diagonals."""
        key = self._batch_key(key)
        params = self.parameters
        if self._format == "sequence":
            params["diagonals"] = [self._slice_tensor(d, key, 1) for d in self._diagonals]
        else:
            params["diagonals"] = self._slice_tensor(self._diagonals, key, 2)
        return type(self)(**params)

    def _shape(self):
        if self._format == "matrix":
            return tuple(self._diagonals.shape)
        parts = self._parts()
        n = parts[1].shape[-1]
        return broadcast_batch(*[tuple(p.shape[:-1]) for p in parts]) + (n, n)

    def _to_dense(self):
        if self._format == "matrix":
            return _la.band_part(self._diagonals, 1, 1)
        sup, mid, sub = self._parts()
        n = mid.shape[-1]
        out = _embed(mid)
        if n > 1:
            out = out + _embed(sup[..., :-1], 1, n, n) + _embed(sub[..., 1:], -1, n, n)
        return out


class LinearOperatorPermutation(LinearOperator):
    """A permutation matrix: row ``i`` has its one in column ``perm[i]``.

    Args:
      perm: ``[..., N]`` integer tensor, a permutation of ``0..N-1``.
      dtype: the operator's dtype (default float32).
      is_non_singular, is_self_adjoint, is_positive_definite, is_square: hints.
      name: the operator's name.
    """

    _SLICE = {"perm": 1}

    def __init__(self, perm, dtype=dtypes.float32, is_non_singular=None,
                 is_self_adjoint=None, is_positive_definite=None, is_square=None,
                 name="LinearOperatorPermutation"):
        params = dict(perm=perm, dtype=dtype, **_hints(is_non_singular, is_self_adjoint,
                                                       is_positive_definite, is_square),
                      name=name)
        self._perm = perm if isinstance(perm, TensorBase) else convert_to_tensor(perm)
        if not self._perm.dtype.is_integer:
            raise TypeError(f"Argument `perm` must be integer dtype. Received: "
                            f"{self._perm.dtype}.")
        if is_non_singular is False:
            raise ValueError("A Permutation operator is always non-singular.")
        if is_square is False:
            raise ValueError("A Permutation operator is always square.")
        super().__init__(dtype, None, is_non_singular, is_self_adjoint, is_positive_definite, True,
                         name, params)

    @property
    def perm(self):
        """The permutation."""
        return self._perm

    def _shape(self):
        s = tuple(self._perm.shape)
        return s + (s[-1],)

    def _to_dense(self):
        n = self._perm.shape[-1]
        return gather(eye(n, dtype=self.dtype), self._perm)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        return _la.matmul(self.to_dense(), x, adjoint_a=adjoint, adjoint_b=adjoint_arg)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return _la.matmul(self.to_dense(), rhs, adjoint_a=not adjoint,
                          adjoint_b=adjoint_arg)


class LinearOperatorHouseholder(LinearOperator):
    """The Householder reflection ``I - 2 v v^H / (v^H v)`` about the hyperplane normal to
    ``reflection_axis`` (self-adjoint, its own inverse, never positive definite).

    Args:
      reflection_axis: ``[..., N]`` float or complex tensor ``v``.
      is_non_singular, is_self_adjoint, is_positive_definite, is_square: hints.
      name: the operator's name.
    """

    _SLICE = {"reflection_axis": 1}

    def __init__(self, reflection_axis, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorHouseholder"):
        params = dict(reflection_axis=reflection_axis,
                      **_hints(is_non_singular, is_self_adjoint, is_positive_definite,
                               is_square), name=name)
        self._axis = as_float_tensor(reflection_axis, "reflection_axis")
        if is_self_adjoint is False:
            raise ValueError("A Householder operator is always self adjoint.")
        if is_non_singular is False:
            raise ValueError("A Householder operator is always non-singular.")
        if is_positive_definite is True:
            raise ValueError("A Householder operator is always non-positive definite.")
        if is_square is False:
            raise ValueError("A Householder operator is always square.")
        super().__init__(self._axis.dtype, None, is_non_singular, True, False, True, name,
                         params)

    @property
    def reflection_axis(self):
        """The vector ``v``."""
        return self._axis

    def _shape(self):
        s = tuple(self._axis.shape)
        return s + (s[-1],)

    def _to_dense(self):
        v = self._axis
        n = v.shape[-1]
        col = reshape(v, list(v.shape) + [1])
        norm2 = reduce_sum(conj(v) * v, axis=-1)
        outer = _la.matmul(col, col, adjoint_b=True)
        return eye(n, dtype=self.dtype) - 2.0 * outer / reshape(norm2, list(norm2.shape) +
                                                                   [1, 1])

    def _determinant(self):
        return broadcast_to(convert_to_tensor(-1, self.dtype), list(self._shape()[:-2]))

    def _log_abs_determinant(self):
        return broadcast_to(convert_to_tensor(0, self.dtype), list(self._shape()[:-2]))

    def _linop_inverse(self):
        return self
