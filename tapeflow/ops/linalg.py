"""Linear algebra: matmul (batched, transposes) and friends."""
from ..backend import xp_of
from ..errors import InvalidArgumentError
from ..tensor import TensorBase
from ._core import Op, apply, convert_inputs

__all__ = ["matmul"]


def _mT(a):
    return a.swapaxes(-1, -2)


def _matmul_fwd(a, b, ta, tb):
    if ta:
        a = _mT(a)
    if tb:
        b = _mT(b)
    return xp_of(a).matmul(a, b)


def _matmul_grad(n, g):
    a, b = n.inputs
    ta, tb = n.attrs["ta"], n.attrs["tb"]
    ga = gb = None
    if n.needs[0]:
        if ta:
            ga = matmul(b, g, transpose_a=tb, transpose_b=True)
        else:
            ga = matmul(g, b, transpose_b=not tb)
    if n.needs[1]:
        if tb:
            gb = matmul(g, a, transpose_a=True, transpose_b=ta)
        else:
            gb = matmul(a, g, transpose_a=not ta)
    return ga, gb


MATMUL = Op("MatMul", _matmul_fwd, _matmul_grad, "fiu")


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, grad_a=False, grad_b=False,
           name=None):
    """Matrix product of the last two axes, batched over leading axes (which broadcast)."""
    a, b = convert_inputs(MATMUL, [a, b])
    ta, tb = bool(transpose_a or adjoint_a), bool(transpose_b or adjoint_b)
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
