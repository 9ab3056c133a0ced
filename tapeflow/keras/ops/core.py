"""``keras.ops`` core: conversion, dtype and shape queries, scatter and slice updates, and
control flow (run eagerly in Python, like ``tf.cond``/``tf.while_loop`` in tapeflow)."""
import sys

from ... import nest
from ...backend import host as np
from ...backend import to_host
from ...data._vectorize import vectorized_map as _vmap
from ...function import cond as _cond
from ...ops import array as A
from ...ops import indexing as IX
from ...ops import math as M
from ...ops._core import Op, apply
from ...tensor import TensorBase
from ...variable import Variable
from ._base import conv, dname


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """A tensor from ``x`` (cast to ``dtype`` when given)."""
    if sparse:
        raise ValueError("`sparse=True` is not supported by tapeflow")
    if isinstance(x, Variable):
        x = x.value()
    return conv(x, dtype)


def convert_to_numpy(x):
    """``x`` as a NumPy array."""
    if isinstance(x, TensorBase):
        return np.asarray(to_host(to_host(x._v)))
    return np.asarray(x)


def is_tensor(x):
    """Whether ``x`` is a tapeflow tensor (variables included)."""
    return isinstance(x, TensorBase)


def dtype(x):
    """The Keras name of ``x``'s dtype (``"float32"``...)."""
    if not hasattr(x, "dtype"):
        raise AttributeError(f"'{type(x).__name__}' object has no attribute 'dtype'")
    return dname(x)


def shape(x):
    """``x``'s shape as a tuple of ints."""
    return tuple(conv(x).shape)


def cast(x, dtype):
    """``x`` as ``dtype``."""
    return M.cast(conv(x), dtype)


def saturate_cast(x, dtype):
    """``x`` as ``dtype``, clipped to its range first."""
    return M.saturate_cast(conv(x), dtype)


def stop_gradient(variable):
    """``variable``'s value, with no gradient through it."""
    return M.stop_gradient(conv(variable))


def unstack(x, num=None, axis=0):
    """The slices of ``x`` along ``axis``."""
    return IX.unstack(conv(x), num=num, axis=axis)


def scatter(indices, values, shape):
    """A zero tensor of ``shape`` with ``values`` added at ``indices``."""
    v = conv(values)
    return IX.scatter_nd(M.cast(conv(indices), "int64"), v, list(shape))


def scatter_update(inputs, indices, updates):
    """``inputs`` with the elements at ``indices`` replaced by ``updates``."""
    x = conv(inputs)
    return IX.tensor_scatter_nd_update(x, M.cast(conv(indices), "int64"), conv(updates, x.dtype))


def slice(inputs, start_indices, shape):
    """The block of ``shape`` starting at ``start_indices``."""
    x = conv(inputs)
    start = [int(v) for v in np.asarray(to_host(to_host(conv(start_indices)._v))).reshape(-1)]
    return A.slice(x, start, list(shape))


def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block at ``start_indices`` replaced by ``updates``."""
    x = conv(inputs)
    u = conv(updates, x.dtype)
    start = [int(v) for v in np.asarray(to_host(to_host(conv(start_indices)._v))).reshape(-1)]
    grids = np.meshgrid(*[np.arange(s) + b for s, b in zip(u.shape, start)], indexing="ij")
    idx = np.stack(grids, -1).astype("int64") if grids else np.zeros((0,), "int64")
    return IX.tensor_scatter_nd_update(x, conv(idx), u)


def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` else ``false_fn()``."""
    return _cond(pred, true_fn, false_fn)


def switch(index, branches, *operands):
    """``branches[index](*operands)`` (``index`` clipped to the valid range)."""
    i = int(np.clip(int(conv(index).numpy()), 0, len(branches) - 1))
    return branches[i](*operands)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Repeat ``body`` on ``loop_vars`` while ``cond`` holds; the structure of ``loop_vars``
    is kept (a single value stays single)."""
    is_tuple = isinstance(loop_vars, (tuple, list))
    vars_ = tuple(loop_vars) if is_tuple else (loop_vars,)
    i = 0
    while bool(cond(*vars_)):
        if maximum_iterations is not None and i >= maximum_iterations:
            break
        out = body(*vars_)
        vars_ = tuple(out) if is_tuple else (out,)
        i += 1
    if not is_tuple:
        return vars_[0]
    return type(loop_vars)(vars_) if isinstance(loop_vars, list) else vars_


def fori_loop(lower, upper, body_fun, init_val):
    """``init_val`` passed through ``body_fun(i, val)`` for ``i`` in ``[lower, upper)``."""
    val = init_val
    for i in range(int(conv(lower).numpy()), int(conv(upper).numpy())):
        val = body_fun(conv(i, "int32"), val)
    return val


def _leading(xs):
    flat = nest.flatten(xs)
    return flat[0].shape[0] if flat else 0


def map(f, xs):
    """``f`` applied to each slice of ``xs`` along the first axis, stacked."""
    xs = nest.map_structure(conv, xs)
    n = _leading(xs)
    outs = [f(nest.map_structure(lambda t, i=i: t[i], xs)) for i in range(n)]
    return nest.map_structure(lambda *ys: A.stack([conv(y) for y in ys]), *outs)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Loop ``carry, y = f(carry, x)`` over the first axis of ``xs``: ``(carry, stacked ys)``."""
    if xs is None:
        n = length
        items = [None] * n
    else:
        xs = nest.map_structure(conv, xs)
        n = _leading(xs)
        items = [nest.map_structure(lambda t, i=i: t[i], xs) for i in range(n)]
    order = range(n - 1, -1, -1) if reverse else range(n)
    carry, ys = init, [None] * n
    for i in order:
        carry, y = f(carry, items[i])
        ys[i] = y
    if n == 0 or ys[0] is None:
        return carry, None
    return carry, nest.map_structure(lambda *v: A.stack([conv(e) for e in v]), *ys)


def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive scan with the associative ``f`` along ``axis``."""
    elems = nest.map_structure(conv, elems)
    flat = nest.flatten(elems)
    n = flat[0].shape[axis]

    def at(i):
        return nest.map_structure(lambda t: IX.gather(t, conv(i, "int32"), axis=axis), elems)
    order = list(range(n - 1, -1, -1)) if reverse else list(range(n))
    acc, outs = None, [None] * n
    for i in order:
        acc = at(i) if acc is None else f(acc, at(i))
        outs[i] = acc
    return nest.map_structure(lambda *v: A.stack([conv(e) for e in v], axis=axis), *outs)


def vectorized_map(function, elements):
    """``function`` mapped over the first axis of ``elements``."""
    return _vmap(function, elements)


def custom_gradient(f):
    """Decorator: ``f`` returns ``(y, grad_fn)``; gradients through ``y`` use ``grad_fn``."""
    # tf.custom_gradient, where the package root has it (looked up, not imported: the root
    # is above keras); otherwise a simple eager version
    tf_custom_gradient = getattr(sys.modules.get("tapeflow"), "custom_gradient", None)
    if tf_custom_gradient is not None:
        return tf_custom_gradient(f)

    def wrapped(*args):
        xs = [conv(a) for a in args]
        y, grad_fn = f(*xs)
        y = conv(y)

        def grad(node, dy):
            g = grad_fn(dy)
            return tuple(g) if isinstance(g, (list, tuple)) else (g,)
        op = Op("CustomGradient", lambda *arrays: y._v, grad, None, same_dtype=False)
        return apply(op, tuple(xs), {})
    wrapped.__name__ = getattr(f, "__name__", "custom_gradient")
    wrapped.__doc__ = f.__doc__
    return wrapped


def rearrange(tensor, pattern, **axes_lengths):
    """einops-style ``rearrange``: transpose, split and merge axes by a pattern such as
    ``"b (h w) c -> b h w c"``."""
    x = conv(tensor)
    left, right = (s.strip() for s in pattern.split("->"))

    def groups(side):
        out, cur, depth = [], None, False
        for tok in side.replace("(", " ( ").replace(")", " ) ").split():
            if tok == "(":
                depth, cur = True, []
            elif tok == ")":
                out.append(cur)
                depth = False
            elif depth:
                cur.append(tok)
            else:
                out.append([tok])
        return out
    lg, rg = groups(left), groups(right)
    if len(lg) != len(x.shape):
        raise ValueError(f"Pattern {left!r} has {len(lg)} axes but the tensor has shape "
                         f"{tuple(x.shape)}")
    sizes = dict(axes_lengths)
    for g, dim in zip(lg, x.shape):
        unknown = [a for a in g if a not in sizes and a != "1"]
        known = int(np.prod([sizes[a] for a in g if a in sizes] or [1]))
        if len(unknown) == 1:
            sizes[unknown[0]] = dim // known
        elif len(unknown) > 1:
            raise ValueError(f"Could not infer sizes for {unknown}")
    elem = [a for g in lg for a in g if a != "1"]
    x = A.reshape(x, [sizes[a] for a in elem])
    order = [a for g in rg for a in g if a != "1"]
    x = A.transpose(x, [elem.index(a) for a in order])
    final = [int(np.prod([sizes[a] for a in g if a != "1"] or [1])) for g in rg]
    return A.reshape(x, final)


__all__ = [
    "associative_scan", "cast", "cond", "convert_to_numpy", "convert_to_tensor",
    "custom_gradient", "dtype", "fori_loop", "is_tensor", "map", "rearrange", "saturate_cast",
    "scan", "scatter", "scatter_update", "shape", "slice", "slice_update", "stop_gradient",
    "switch", "unstack", "vectorized_map", "while_loop"
]
