"""Reductions over axes (sum, mean, max, min, prod, any, all, logsumexp, std, variance),
arg-reductions and cumulative sums/products, with their gradients."""
from .. import dtypes
from ..backend import reduce_add, reduce_extreme, reduce_multiply, xp_of
from ..errors import InvalidArgumentError
from ..tensor import TensorBase, convert_to_tensor
from ._core import CompositeInput, Op, apply, dispatch
from .array import BROADCAST, broadcast_to, reshape, transpose
from .math import (
    _holo,
    abs,
    cast,
    equal,
    exp,
    is_finite,
    log,
    not_equal,
    sqrt,
    square,
    stop_gradient,
    where,
    zeros_like,
)

__all__ = [
    "reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_any",
    "reduce_all", "reduce_logsumexp", "reduce_std", "reduce_variance", "argmax", "argmin",
    "cumsum", "cumprod", "count_nonzero", "reduce_euclidean_norm",
]


def _t(x):
    return x if isinstance(x, TensorBase) else convert_to_tensor(x)


def _axes(opname, x, axis):
    """Normalise ``axis`` (None, int, list, tensor) to a sorted tuple of non-negative axes."""
    nd = x._v.ndim
    if axis is None:
        return tuple(range(nd))
    if isinstance(axis, TensorBase):
        axis = axis.numpy().tolist()
    if not isinstance(axis, (list, tuple)):
        axis = [axis]
    out = set()
    for a in axis:
        a = int(a)
        if not -nd <= a < max(nd, 1) or (nd == 0 and a not in (0, -1)):
            raise InvalidArgumentError(
                None, opname,
                f"Invalid reduction dimension ({a} for input with {nd} dimension(s) "
                f"(input shape {list(x._v.shape)}) [Op:{opname}]",
            )
        out.add(a % nd if nd else 0)
    return tuple(sorted(out)) if nd else ()


def _kept_shape(shape, axes):
    return tuple(1 if i in axes else d for i, d in enumerate(shape))


def _expand_back(n, g):
    """Upstream gradient of a reduction reshaped and broadcast back to the input's shape."""
    x = n.inputs[0]
    axes = n.attrs["axis"]
    if not n.attrs["keepdims"] and g._v.ndim:
        g = reshape(g, _kept_shape(x._v.shape, axes))
    if g._v.shape == x._v.shape:
        return g
    return apply(BROADCAST, (g,), {"shape": x._v.shape})  # shapes known to be compatible


def _spread_fwd(g, kept, shape, scale):
    """``g`` reshaped to ``kept`` (the reduced axes kept as 1), broadcast to ``shape`` and
    scaled: a sum's or mean's gradient as one op."""
    xp = xp_of(g)
    if not g.ndim:  # NOTE: a full reduction's gradient: one fill
        return xp.full(shape, g * g.dtype.type(scale) if scale != 1.0 else g, g.dtype)
    out = xp.empty(shape, g.dtype)
    out[...] = g.reshape(kept)
    if scale != 1.0:
        out *= out.dtype.type(scale)
    return out


def _spread_grad(n, gg):
    g = n.inputs[0]
    kept, scale = n.attrs["kept"], n.attrs["scale"]
    axes = tuple(i for i, (k, d) in enumerate(zip(kept, n.attrs["shape"])) if k != d)
    total = reduce_sum(gg, axis=axes, keepdims=True) if axes else gg
    if scale != 1.0:
        total = total * scale
    return (reshape(total, g._v.shape),)


SPREAD = Op("ReductionGrad", _spread_fwd, _spread_grad, None)


def _spread(n, g, scale):
    x = n.inputs[0]
    shape = x._v.shape
    kept = shape if not n.attrs["axis"] else _kept_shape(shape, n.attrs["axis"])
    if g._v.shape == shape and scale == 1.0:
        return g
    return apply(SPREAD, (g,), {"kept": kept, "shape": shape, "scale": scale})


def _sum_grad(n, g):
    return (_spread(n, g, 1.0),)


def _mean_grad(n, g):
    x = n.inputs[0]
    count = 1
    for a in n.attrs["axis"]:
        count *= x._v.shape[a]
    return (_spread(n, g, 1.0 / max(count, 1)),)


def _extreme_grad(n, g):
    x = n.inputs[0]
    out = n.out
    axes = n.attrs["axis"]
    if not n.attrs["keepdims"]:
        out = reshape(out, _kept_shape(x._v.shape, axes))
    # NOTE: ties share the gradient equally, as TF's reduce_max gradient does.
    mask = cast(equal(x, broadcast_to(out, x._v.shape)), x.dtype)
    count = reduce_sum(mask, axis=list(axes), keepdims=True)
    return (_expand_back(n, g) * mask / count,)


def _prod_grad(n, g):
    """Product of all the other reduced elements, zeros included (exclusive cumprods)."""
    x = n.inputs[0]
    axes = n.attrs["axis"]
    shape = x._v.shape
    keep = [i for i in range(len(shape)) if i not in axes]
    perm = keep + list(axes)
    inv = sorted(range(len(perm)), key=perm.__getitem__)
    k = 1
    for a in axes:
        k *= shape[a]
    flat = reshape(transpose(x, perm), [shape[i] for i in keep] + [k])
    others = cumprod(flat, axis=-1, exclusive=True) * cumprod(flat, axis=-1, exclusive=True,
                                                              reverse=True)
    others = transpose(reshape(others, [shape[i] for i in perm]), inv)
    return (_expand_back(n, g) * others,)


def _red(name, f, grad, kinds):
    return Op(name, f, grad, kinds)


SUM = _red("Sum", lambda a, axis, keepdims: reduce_add(a, axis, keepdims, a.dtype), _sum_grad,
           "fiuc")
MEAN = _red("Mean", lambda a, axis, keepdims: _mean_fwd(a, axis, keepdims), _mean_grad, "fiuc")
MAX = _red("Max", lambda a, axis, keepdims: _extreme(a, axis, keepdims, "max"), _extreme_grad,
           "fiu")
MIN = _red("Min", lambda a, axis, keepdims: _extreme(a, axis, keepdims, "min"), _extreme_grad,
           "fiu")
PROD = _red("Prod", lambda a, axis, keepdims: reduce_multiply(a, axis, keepdims, a.dtype),
            _holo(_prod_grad), "fiuc")
ANY = _red("Any", lambda a, axis, keepdims: xp_of(a).any(a, axis=axis, keepdims=keepdims), None,
           "b")
ALL = _red("All", lambda a, axis, keepdims: xp_of(a).all(a, axis=axis, keepdims=keepdims), None,
           "b")


def _mean_fwd(a, axis, keepdims):
    xp = xp_of(a)
    if a.dtype.kind in "iu":  # TF's integer mean truncates toward zero
        s = reduce_add(a, axis, keepdims, xp.int64)
        n = 1
        for ax in axis:
            n *= a.shape[ax]
        return (xp.trunc(s / max(n, 1))).astype(a.dtype)
    if a.dtype.itemsize < 4:  # float16 accumulates in float32, as NumPy's mean does
        return xp.mean(a, axis=axis, keepdims=keepdims, dtype=xp.float32).astype(a.dtype)
    n = 1
    for ax in axis:
        n *= a.shape[ax]
    # NOTE: sum / count is NumPy's mean (same pairwise sum, same division) without its wrapper
    return reduce_add(a, axis, keepdims, a.dtype) / a.dtype.type(n or xp.nan)


def _extreme(a, axis, keepdims, which):
    xp = xp_of(a)
    if a.size == 0:  # TF gives the identity of the reduction for empty inputs
        shape = tuple(1 if i in axis else d for i, d in enumerate(a.shape)) if keepdims else \
            tuple(d for i, d in enumerate(a.shape) if i not in axis)
        d = dtypes.from_numpy(a.dtype)
        fill = d.min if which == "max" else d.max
        if a.dtype.kind == "f":
            fill = -xp.inf if which == "max" else xp.inf
        return xp.full(shape, fill, a.dtype)
    return reduce_extreme(a, which, axis, keepdims)


def _reduce(op, x, axis, keepdims):
    if not isinstance(x, TensorBase):
        try:
            x = convert_to_tensor(x)
        except CompositeInput:
            return dispatch(op, (x,), {"axis": axis, "keepdims": keepdims})
    axes = _axes(op.name, x, axis)
    return apply(op, (x,), {"axis": axes, "keepdims": bool(keepdims)})


def reduce_sum(input_tensor, axis=None, keepdims=False, name=None):
    """The sum of ``input_tensor``'s elements over ``axis`` (all axes by default).

    Args:
        input_tensor: the tensor to reduce.
        axis: an int, a list of ints or None (every axis); negative values count from the end.
        keepdims: keep the reduced axes with length 1.
        name: accepted for TF compatibility.

    Returns:
        The reduced tensor.
    """
    return _reduce(SUM, input_tensor, axis, keepdims)


def reduce_mean(input_tensor, axis=None, keepdims=False, name=None):
    """The mean of ``input_tensor``'s elements over ``axis`` (all axes by default).

    Args:
        input_tensor: the tensor to reduce.
        axis: an int, a list of ints or None (every axis); negative values count from the end.
        keepdims: keep the reduced axes with length 1.
        name: accepted for TF compatibility.

    Returns:
        The reduced tensor.
    """
    return _reduce(MEAN, input_tensor, axis, keepdims)


def reduce_max(input_tensor, axis=None, keepdims=False, name=None):
    """The largest element of ``input_tensor`` over ``axis`` (all axes by default).

    Args:
        input_tensor: the tensor to reduce.
        axis: an int, a list of ints or None (every axis); negative values count from the end.
        keepdims: keep the reduced axes with length 1.
        name: accepted for TF compatibility.

    Returns:
        The reduced tensor.
    """
    return _reduce(MAX, input_tensor, axis, keepdims)


def reduce_min(input_tensor, axis=None, keepdims=False, name=None):
    """The smallest element of ``input_tensor`` over ``axis`` (all axes by default).

    Args:
        input_tensor: the tensor to reduce.
        axis: an int, a list of ints or None (every axis); negative values count from the end.
        keepdims: keep the reduced axes with length 1.
        name: accepted for TF compatibility.

    Returns:
        The reduced tensor.
    """
    return _reduce(MIN, input_tensor, axis, keepdims)


def reduce_prod(input_tensor, axis=None, keepdims=False, name=None):
    """The product of ``input_tensor``'s elements over ``axis`` (all axes by default).

    Args:
        input_tensor: the tensor to reduce.
        axis: an int, a list of ints or None (every axis); negative values count from the end.
        keepdims: keep the reduced axes with length 1.
        name: accepted for TF compatibility.

    Returns:
        The reduced tensor.
    """
    return _reduce(PROD, input_tensor, axis, keepdims)


def reduce_any(input_tensor, axis=None, keepdims=False, name=None):
    """Logical OR of a bool tensor over ``axis`` (all axes by default).

    Args:
        input_tensor: the tensor to reduce.
        axis: an int, a list of ints or None (every axis); negative values count from the end.
        keepdims: keep the reduced axes with length 1.
        name: accepted for TF compatibility.

    Returns:
        The reduced tensor.
    """
    return _reduce(ANY, input_tensor, axis, keepdims)


def reduce_all(input_tensor, axis=None, keepdims=False, name=None):
    """Logical AND of a bool tensor over ``axis`` (all axes by default).

    Args:
        input_tensor: the tensor to reduce.
        axis: an int, a list of ints or None (every axis); negative values count from the end.
        keepdims: keep the reduced axes with length 1.
        name: accepted for TF compatibility.

    Returns:
        The reduced tensor.
    """
    return _reduce(ALL, input_tensor, axis, keepdims)


def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    """log(sum(exp(x))) computed stably by subtracting the (gradient-free) max."""
    x = _t(input_tensor)
    axes = _axes("Max", x, axis)
    m = stop_gradient(reduce_max(x, axis=list(axes), keepdims=True))
    m = where(is_finite(m), m, zeros_like(m))
    out = log(reduce_sum(exp(x - m), axis=list(axes), keepdims=True)) + m
    if not keepdims:
        out = reshape(out, [d for i, d in enumerate(x._v.shape) if i not in axes])
    return out


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """The variance of ``input_tensor`` over ``axis`` (all axes by default).

    Args:
        input_tensor: the tensor to reduce.
        axis: an int, a list of ints or None (every axis); negative values count from the end.
        keepdims: keep the reduced axes with length 1.
        name: accepted for TF compatibility.

    Returns:
        The reduced tensor.
    """
    x = _t(input_tensor)
    if x._v.dtype.kind in "iu":
        raise TypeError(f"Input must be either real or complex. Received integer type "
                        f"{x.dtype}.")
    mean = reduce_mean(x, axis=axis, keepdims=True)  # bool and string fail here, as TF's Mean
    d = x - mean
    if x._v.dtype.kind == "c":  # the mean squared modulus: a real variance, as TF
        d = abs(d)
    return reduce_mean(square(d), axis=axis, keepdims=keepdims)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """The standard deviation of ``input_tensor`` over ``axis`` (all axes by default).

    Args:
        input_tensor: the tensor to reduce.
        axis: an int, a list of ints or None (every axis); negative values count from the end.
        keepdims: keep the reduced axes with length 1.
        name: accepted for TF compatibility.

    Returns:
        The reduced tensor.
    """
    return sqrt(reduce_variance(input_tensor, axis=axis, keepdims=keepdims))


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    """``sqrt(sum(x ** 2))`` over ``axis`` (all axes by default).

    Args:
        input_tensor: the tensor to reduce.
        axis: an int, a list of ints or None (every axis); negative values count from the end.
        keepdims: keep the reduced axes with length 1.
        name: accepted for TF compatibility.

    Returns:
        The reduced tensor.
    """
    x = _t(input_tensor)
    if x._v.dtype.kind == "c":  # sqrt(sum |x|**2), returned in x's complex dtype as TF
        return _reduce(EUCLIDEAN_NORM, x, axis, keepdims)
    return sqrt(reduce_sum(square(x), axis=axis, keepdims=keepdims))


def count_nonzero(input, axis=None, keepdims=None, dtype=dtypes.int64, name=None):
    """How many elements of ``input`` are non-zero over ``axis``."""
    x = _t(input)
    nz = cast(not_equal(x, False if x._v.dtype.kind == "b" else 0), dtype)
    return reduce_sum(nz, axis=axis, keepdims=bool(keepdims))


def _euclidean_fwd(a, axis, keepdims):
    xp = xp_of(a)
    m = xp.abs(a)
    return xp.sqrt(reduce_add(m * m, axis, keepdims, m.dtype)).astype(a.dtype)


def _euclidean_grad(n, g):  # TF's rule for its complex EuclideanNorm: g * x / norm
    return (_expand_back(n, g) * n.inputs[0] / _expand_back(n, n.out),)


EUCLIDEAN_NORM = Op("EuclideanNorm", _euclidean_fwd, _euclidean_grad, "c")


def _arg_fwd(a, axis, which, dtype):
    return getattr(xp_of(a), which)(a, axis=axis).astype(dtype)


ARGMAX = Op("ArgMax", lambda a, axis, dtype: _arg_fwd(a, axis, "argmax", dtype), None, "fiub")
ARGMIN = Op("ArgMin", lambda a, axis, dtype: _arg_fwd(a, axis, "argmin", dtype), None, "fiub")


def _arg(op, x, axis, output_type):
    name = op.name
    x = _t(x)
    nd = x._v.ndim
    axis = 0 if axis is None else int(axis)
    if not -nd <= axis < max(nd, 1):
        raise InvalidArgumentError(None, name, f"Expected dimension in the range [{-nd}, {nd}),"
                                   f" but got {axis} [Op:{name}]")
    if x._v.shape[axis] == 0:
        raise InvalidArgumentError(None, name, f"Reduction axis {axis} is empty in shape "
                                   f"{list(x._v.shape)} [Op:{name}]")
    return apply(op, (x,), {"axis": axis, "dtype": dtypes.as_dtype(output_type)._np})


def argmax(input, axis=None, output_type=dtypes.int64, name=None):
    """The index of the largest value along ``axis`` (0 by default; first on ties)."""
    return _arg(ARGMAX, input, axis, output_type)


def argmin(input, axis=None, output_type=dtypes.int64, name=None):
    """The index of the smallest value along ``axis`` (0 by default; first on ties)."""
    return _arg(ARGMIN, input, axis, output_type)


def _cum_fwd(a, axis, exclusive, reverse, which):
    xp = xp_of(a)
    if reverse:
        a = xp.flip(a, axis)
    r = getattr(xp, which)(a, axis=axis, dtype=a.dtype)
    if exclusive:
        ident = 0 if which == "cumsum" else 1
        pad = xp.full_like(xp.take(r, [0], axis=axis), ident)
        r = xp.concatenate([pad, xp.take(r, range(a.shape[axis] - 1), axis=axis)], axis=axis)
    if reverse:
        r = xp.flip(r, axis)
    return r


def _cumsum_grad(n, g):
    a = n.attrs
    return (cumsum(g, axis=a["axis"], exclusive=a["exclusive"], reverse=not a["reverse"]),)


def _cumprod_grad(n, g):
    # NOTE: exact when x has no zeros (TF's gradient has the same limitation).
    a = n.attrs
    x = n.inputs[0]
    return (cumsum(g * n.out, axis=a["axis"], exclusive=a["exclusive"],
                   reverse=not a["reverse"]) / x,)


CUMSUM = Op("Cumsum", lambda a, axis, exclusive, reverse: _cum_fwd(a, axis, exclusive, reverse,
                                                                   "cumsum"), _cumsum_grad, "fiuc")
CUMPROD = Op("Cumprod", lambda a, axis, exclusive, reverse: _cum_fwd(a, axis, exclusive, reverse,
                                                                     "cumprod"),
             _cumprod_grad, "fiuc")  # NOTE: TF's rule, unconjugated for complex too


def _cum(op, x, axis, exclusive, reverse):
    x = _t(x)
    nd = x._v.ndim
    axis = int(axis)
    if not -nd <= axis < nd:
        raise InvalidArgumentError(None, op.name, f"Expected axis in the range [{-nd}, {nd}), "
                                   f"but got {axis} [Op:{op.name}]")
    return apply(op, (x,), {"axis": axis % nd, "exclusive": bool(exclusive),
                            "reverse": bool(reverse)})


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Cumulative sum along ``axis`` (``exclusive``: shifted by one; ``reverse``: from the end)."""
    return _cum(CUMSUM, x, axis, exclusive, reverse)


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """Cumulative product along ``axis`` (``exclusive``: shifted by one; ``reverse``: from the
    end)."""
    return _cum(CUMPROD, x, axis, exclusive, reverse)
