"""``tf.linalg.experimental``: the conjugate-gradient solver."""
import collections

from .. import dtypes
from ..ops.array import expand_dims, squeeze, zeros_like
from ..ops.math import conj, real, sqrt
from ..ops.reduction import reduce_sum
from ..tensor import TensorBase, convert_to_tensor

__all__ = ["conjugate_gradient"]

CGState = collections.namedtuple("CGState", ["i", "x", "r", "p", "gamma"])


def _dot(a, b):
    return reduce_sum(conj(a) * b, axis=-1)


def _apply(op, v):
    return squeeze(op.matmul(expand_dims(v, -1)), -1)


def conjugate_gradient(operator, rhs, preconditioner=None, x=None, tol=1e-5, max_iter=20,
                       name="conjugate_gradient"):
    """Solve ``A x = rhs`` for a self-adjoint positive definite operator by conjugate
    gradients, stopping when ``||rhs - A x|| <= tol * ||rhs||`` or after ``max_iter`` steps.

    Args:
      operator: a self-adjoint positive definite ``LinearOperator``.
      rhs: ``[..., N]`` right-hand side (of the operator's dtype).
      preconditioner: optional ``LinearOperator`` approximating ``A^-1``.
      x: optional initial guess ``[..., N]`` (default zeros).
      tol: relative residual tolerance.
      max_iter: the most iterations.
      name: ignored.

    Returns:
      ``CGState(i, x, r, p, gamma)``: iterations run (int32), the solution, the residual,
      the last search direction and ``r^H M r``.
    """
    if not (operator.is_self_adjoint and operator.is_positive_definite):
        raise ValueError("Expected a self-adjoint, positive definite operator.")
    rhs = rhs if isinstance(rhs, TensorBase) else convert_to_tensor(rhs, operator.dtype)
    if rhs.dtype != operator.dtype:
        raise TypeError(f"Expected argument to have dtype {operator.dtype!r}.  Found: "
                        f"{rhs.dtype!r} in tensor {rhs}")
    x = zeros_like(rhs) if x is None else convert_to_tensor(x, rhs.dtype)
    r = rhs - _apply(operator, x)
    z = r if preconditioner is None else _apply(preconditioner, r)
    p = z
    gamma = _dot(r, z)
    limit = tol * sqrt(real(_dot(rhs, rhs)))
    i = 0
    while i < max_iter and bool((sqrt(real(_dot(r, r))) > limit).numpy().any()):
        q = _apply(operator, p)
        alpha = gamma / _dot(p, q)
        x = x + expand_dims(alpha, -1) * p
        r = r - expand_dims(alpha, -1) * q
        z = r if preconditioner is None else _apply(preconditioner, r)
        gamma_next = _dot(r, z)
        beta = gamma_next / gamma
        p = z + expand_dims(beta, -1) * p
        gamma = gamma_next
        i += 1
    return CGState(convert_to_tensor(i, dtypes.int32), x, r, p, gamma)
