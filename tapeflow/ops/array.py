"""Creation and shape ops: zeros/ones/fill/eye/range/linspace/one_hot, reshape, transpose,
expand_dims/squeeze, concat/stack, broadcast_to, shape/size/rank, and tensor indexing."""
import math as _math

from .. import dtypes
from .._recording import recording
from ..backend import host as np
from ..backend import xp_of
from ..errors import InvalidArgumentError
from ..tensor import TensorBase, TensorShape, _converted, const, convert_to_tensor, wrap
from ._core import CompositeInput, Op, apply, convert_inputs, dispatch
from ._device import place_array
from .math import cast, conj, identity
from .math import ones_like as _ones_like
from .math import zeros_like as _zeros_like

__all__ = [
    "zeros", "ones", "fill", "eye", "range", "linspace", "one_hot", "reshape", "transpose",
    "expand_dims", "squeeze", "concat", "stack", "broadcast_to", "shape", "size", "rank",
    "strided_slice", "slice", "zeros_like", "ones_like",
]

_builtin_range = range
_builtin_slice = slice


def _t(x):
    return x if isinstance(x, TensorBase) else convert_to_tensor(x)


def _ints(v):
    """A list of Python ints from a list/tuple/TensorShape/tensor/array of ints."""
    if isinstance(v, TensorBase):
        v = v.numpy()
    if isinstance(v, TensorShape):
        v = v.as_list()
    if hasattr(v, "tolist"):
        v = v.tolist()
    if isinstance(v, (int, np.integer)):
        return [int(v)]
    return [int(d) if not isinstance(d, TensorBase) else int(d.numpy()) for d in v]


# -- creation -----------------------------------------------------------------------------------
def _shape_arg(shape, opname):
    dims = _ints(shape)
    for d in dims:
        if d < 0:
            raise InvalidArgumentError(None, opname, f"Dimension {d} must be >= 0 (shape "
                                       f"{dims}) [Op:{opname}]")
    return tuple(dims)


def zeros(shape, dtype=dtypes.float32, name=None, layout=None):
    """A tensor of ``shape`` filled with zeros."""
    dtype = dtypes.as_dtype(dtype)
    if dtype is dtypes.string:  # TF's zero string is b""
        return const(np.full(_shape_arg(shape, "Fill"), b"", object))
    return const(place_array(np.zeros(_shape_arg(shape, "Fill"), dtype._np)))


def ones(shape, dtype=dtypes.float32, name=None, layout=None):
    """A tensor of ``shape`` filled with ones."""
    if dtypes.as_dtype(dtype) is dtypes.string:
        raise TypeError("Cannot convert 1 to EagerTensor of dtype string")
    return const(place_array(np.ones(_shape_arg(shape, "Fill"), dtypes.as_dtype(dtype)._np)))


def zeros_like(input, dtype=None, name=None, layout=None):
    """Zeros of ``input``'s shape (and dtype, unless ``dtype`` is given)."""
    return _zeros_like(input, dtype)


def ones_like(input, dtype=None, name=None, layout=None):
    """Ones of ``input``'s shape (and dtype, unless ``dtype`` is given)."""
    return _ones_like(input, dtype)


def fill(dims, value, name=None, layout=None):
    """A tensor of shape ``dims`` with every element ``value``."""
    v = _t(value)
    if v._v.ndim != 0:
        raise InvalidArgumentError(None, "Fill", f"value must be a scalar, got shape "
                                   f"{list(v._v.shape)} [Op:Fill]")
    return apply(FILL, (v,), {"shape": _shape_arg(dims, "Fill")})


FILL = Op("Fill", lambda v, shape: xp_of(v).full(shape, v, v.dtype), None, None)


def eye(num_rows, num_columns=None, batch_shape=None, dtype=dtypes.float32, name=None):
    """Identity matrices: ``num_rows`` x ``num_columns`` (square by default), stacked over
    ``batch_shape``."""
    m = np.eye(int(num_rows), None if num_columns is None else int(num_columns),
               dtype=dtypes.as_dtype(dtype)._np)
    if batch_shape is not None:
        bs = _ints(batch_shape)
        m = np.broadcast_to(m, tuple(bs) + m.shape).copy()
    return const(place_array(m))


def range(start, limit=None, delta=1, dtype=None, name="range"):  # TF's name
    """Numbers from ``start`` up to ``limit`` by ``delta``, TF's dtype inference.

    NOTE: float values are accumulated in the output dtype (v += delta), which reproduces
    the seed's ``tf.range(1., 5., 0.1)`` (..., 4.8999977). TF 2.21 computes start + i*delta.
    """
    if limit is None:
        start, limit = 0, start
    vals = [v.numpy() if isinstance(v, TensorBase) else v for v in (start, limit, delta)]
    if dtype is None:
        order = ["int32", "int64", "float32", "float64"]
        best = 0
        for v in vals:
            d = dtypes.infer_dtype(v).name
            best = max(best, order.index(d) if d in order else 0)
        dt = dtypes.as_dtype(order[best])
    else:
        dt = dtypes.as_dtype(dtype)
    start, limit, delta = vals
    if delta == 0:
        raise InvalidArgumentError(None, "Range", "Requires delta != 0: 0 [Op:Range]")
    if (delta > 0 and start > limit) or (delta < 0 and start < limit):
        raise InvalidArgumentError(
            None, "Range",
            f"Requires start <= limit when delta > 0: {start}/{limit} [Op:Range]"
            if delta > 0 else f"Requires start >= limit when delta < 0: {start}/{limit} "
            "[Op:Range]")
    if dt.is_integer:
        return const(place_array(np.arange(int(start), int(limit), int(delta), dtype=dt._np)))
    n = max(0, _math.ceil((float(limit) - float(start)) / float(delta)))
    one = dt._np.type
    # accumulate in the output precision: x_{i+1} = x_i + delta, in float32 for float32
    steps = np.full(n, one(delta), dt._np)
    if n:
        steps[0] = one(start)
    return const(place_array(np.cumsum(steps, dtype=dt._np)))


def linspace(start, stop, num, name=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` inclusive, along ``axis``."""
    s, e = _t(start), _t(stop)
    d = s._v.dtype if s._v.dtype.kind == "f" else np.float64
    r = np.linspace(s.numpy(), e.numpy(), int(num), dtype=d, axis=axis)
    return wrap(r)


lin_space = linspace


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """One-hot vectors; out-of-range indices give all-off rows, as in TF."""
    idx = _t(indices)
    if idx._v.dtype.kind not in "iu":
        raise InvalidArgumentError(None, "OneHot", f"indices must be integers, got "
                                   f"{idx.dtype.name} [Op:OneHot]")
    depth = int(depth.numpy() if isinstance(depth, TensorBase) else depth)
    if dtype is None:
        for v in (on_value, off_value):
            if v is not None:
                dtype = v.dtype if isinstance(v, TensorBase) else dtypes.infer_dtype(v)
                break
        else:
            dtype = dtypes.float32
    dt = dtypes.as_dtype(dtype)
    on = _t(1 if on_value is None else on_value)
    off = _t(0 if off_value is None else off_value)
    on, off = on if on.dtype == dt else cast_to(on, dt), off if off.dtype == dt else cast_to(
        off, dt)
    return apply(ONE_HOT, (idx, on, off), {"depth": depth, "axis": axis})


def cast_to(t, dt):
    return cast(t, dt)


def _one_hot_fwd(idx, on, off, depth, axis):
    xp = xp_of(idx)
    hot = idx[..., None] == xp.arange(depth)
    out = xp.where(hot, on, off).astype(on.dtype)
    if axis is not None and axis != -1 and axis != out.ndim - 1:
        out = xp.moveaxis(out, -1, axis)
    return out


ONE_HOT = Op("OneHot", _one_hot_fwd, None, None, same_dtype=False)


# -- shape ops ----------------------------------------------------------------------------------
def _reshape_fwd(a, shape):
    return a.reshape(shape)


RESHAPE = Op("Reshape", _reshape_fwd, lambda n, g: (reshape(g, n.inputs[0]._v.shape),), None)


def reshape(tensor, shape, name=None):
    """``tensor``'s elements in a new shape (one dimension may be -1, inferred)."""
    t = _t(tensor)
    dims = _ints(shape)
    size = t._v.size
    known = 1
    unknown = 0
    for d in dims:
        if d == -1:
            unknown += 1
        else:
            known *= d
    if unknown > 1:
        raise InvalidArgumentError(None, "Reshape", f"Only one input size may be -1, not both "
                                   f"[Op:Reshape] (requested shape {dims})")
    if unknown and (known == 0 or size % known):
        raise InvalidArgumentError(
            None, "Reshape",
            f"Input to reshape is a tensor with {size} values, but the requested shape requires "
            f"a multiple of {known} [Op:Reshape] (input shape {list(t._v.shape)}, requested "
            f"shape {dims})")
    if not unknown and known != size:
        raise InvalidArgumentError(
            None, "Reshape",
            f"Input to reshape is a tensor with {size} values, but the requested shape has "
            f"{known} [Op:Reshape] (input shape {list(t._v.shape)}, requested shape {dims})")
    return apply(RESHAPE, (t,), {"shape": tuple(dims)})


def _inverse(perm):
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return inv


TRANSPOSE = Op("Transpose", lambda a, perm: a.transpose(perm),
               lambda n, g: (transpose(g, _inverse(n.attrs["perm"])),), None)


def transpose(a, perm=None, conjugate=False, name="transpose"):
    """``a`` with its axes permuted by ``perm`` (reversed by default); ``conjugate`` conjugates
    complex values."""
    t = _t(a)
    nd = t._v.ndim
    perm = list(_builtin_range(nd - 1, -1, -1)) if perm is None else _ints(perm)
    if sorted(p % nd if nd else p for p in perm) != list(_builtin_range(nd)) or len(perm) != nd:
        raise InvalidArgumentError(None, "Transpose", f"transpose expects a vector of size {nd}."
                                   f" But input(1) is a vector of size {len(perm)} (perm {perm})"
                                   " [Op:Transpose]")
    perm = [p % nd for p in perm]
    if conjugate and t._v.dtype.kind == "c":
        t = conj(t)
    return apply(TRANSPOSE, (t,), {"perm": tuple(perm)})


def expand_dims(input, axis, name=None):
    """``input`` with a new axis of length 1 at ``axis``."""
    t = _t(input)
    nd = t._v.ndim
    axis = int(axis.numpy() if isinstance(axis, TensorBase) else axis)
    if not -nd - 1 <= axis <= nd:
        raise InvalidArgumentError(None, "ExpandDims", f"Tried to expand dim index {axis} for "
                                   f"tensor with {nd} dimensions. [Op:ExpandDims]")
    if axis < 0:
        axis += nd + 1
    shape = list(t._v.shape)
    shape.insert(axis, 1)
    return apply(RESHAPE, (t,), {"shape": tuple(shape)})


def squeeze(input, axis=None, name=None):
    """``input`` without its axes of length 1 (only those in ``axis`` if given)."""
    t = _t(input)
    shape = list(t._v.shape)
    nd = len(shape)
    if axis is None:
        new = [d for d in shape if d != 1]
    else:
        axes = set()
        for a in _ints(axis):
            if not -nd <= a < nd:
                raise InvalidArgumentError(None, "Squeeze", f"Tried to squeeze dim index {a} for"
                                           f" tensor with {nd} dimensions. [Op:Squeeze]")
            a %= nd
            if shape[a] != 1:
                raise InvalidArgumentError(None, "Squeeze", f"Can not squeeze dim[{a}], expected"
                                           f" a dimension of 1, got {shape[a]} [Op:Squeeze]")
            axes.add(a)
        new = [d for i, d in enumerate(shape) if i not in axes]
    return apply(RESHAPE, (t,), {"shape": tuple(new)})


def _concat_fwd(*arrays, axis):
    return xp_of(arrays[0]).concatenate(arrays, axis=axis)


def _concat_grad(n, g):
    axis = n.attrs["axis"]
    out, start = [], 0
    for x, need in zip(n.inputs, n.needs):
        size = x._v.shape[axis]
        if need:
            idx = [_builtin_slice(None)] * g._v.ndim
            idx[axis] = _builtin_slice(start, start + size)
            out.append(g[tuple(idx)])
        else:
            out.append(None)
        start += size
    return out


CONCAT = Op("ConcatV2", _concat_fwd, _concat_grad, None)


def concat(values, axis, name="concat"):
    """The tensors of ``values`` joined along an existing ``axis``."""
    if not isinstance(values, (list, tuple)):
        values = [values]
    try:
        ts = convert_inputs(CONCAT, list(values))
    except CompositeInput:
        return dispatch(concat, (list(values), axis))
    if len(ts) == 1:
        return identity(ts[0])
    nd = ts[0]._v.ndim
    axis = int(axis.numpy() if isinstance(axis, TensorBase) else axis)
    if not -nd <= axis < nd:
        raise InvalidArgumentError(None, "ConcatV2", f"ConcatOp : Expected concatenating "
                                   f"dimensions in the range [{-nd}, {nd}), but got {axis} "
                                   "[Op:ConcatV2]")
    axis %= nd
    for i, t in enumerate(ts[1:], 1):
        s0, s = ts[0]._v.shape, t._v.shape
        if len(s) != nd:
            raise InvalidArgumentError(None, "ConcatV2", f"ConcatOp : Ranks of all input tensors"
                                       f" should match: shape[0] = {list(s0)} vs. shape[{i}] = "
                                       f"{list(s)} [Op:ConcatV2]")
        if any(a != b for k, (a, b) in enumerate(zip(s0, s)) if k != axis):
            raise InvalidArgumentError(None, "ConcatV2", f"ConcatOp : Dimension {axis} ... "
                                       f"Dimensions of inputs should match: shape[0] = "
                                       f"{list(s0)} vs. shape[{i}] = {list(s)} [Op:ConcatV2]")
    return apply(CONCAT, tuple(ts), {"axis": axis})


def stack(values, axis=0, name="stack"):
    """The same-shaped tensors of ``values`` stacked along a new ``axis``."""
    values = list(values)
    if axis == 0 and not any(isinstance(v, TensorBase) for v in values):
        # as TF: a list of constants along axis 0 converts as one value, so its dtype comes
        # from all of them (``tf.stack([1, 2.0])`` is float32)
        try:
            return convert_to_tensor(values)
        except (TypeError, ValueError, NotImplementedError):
            pass  # e.g. different shapes: stacked one by one below, with Pack's error
    try:
        ts = convert_inputs(CONCAT, values)
    except CompositeInput:
        return dispatch(stack, (list(values), axis))
    if not ts:
        raise ValueError("stack needs at least one tensor")
    s0 = ts[0]._v.shape
    for i, t in enumerate(ts[1:], 1):
        if t._v.shape != s0:
            raise InvalidArgumentError(None, "Pack", f"Shapes of all inputs must match: values[0]"
                                       f".shape = {list(s0)} != values[{i}].shape = "
                                       f"{list(t._v.shape)} [Op:Pack]")
    nd = len(s0) + 1
    if not -nd <= axis < nd:
        raise ValueError(f"Argument `axis` = {axis} not in range [{-nd}, {nd})")
    axis %= nd
    return concat([expand_dims(t, axis) for t in ts], axis) if len(ts) > 1 else expand_dims(
        ts[0], axis)


def _broadcast_fwd(a, shape):
    # NOTE: a materialised copy (like any op result); cheaper than xp.broadcast_to's wrapper
    out = xp_of(a).empty(shape, a.dtype)
    out[...] = a
    return out


BROADCAST = Op("BroadcastTo", _broadcast_fwd, lambda n, g: (g,), None)  # tape un-broadcasts


def broadcast_to(input, shape, name=None):
    """``input`` broadcast to ``shape`` (NumPy's rules)."""
    t = _t(input)
    shape = tuple(_ints(shape))
    if t._v.shape == shape:
        return t
    try:
        np.broadcast_shapes(t._v.shape, shape)
        if len(shape) < t._v.ndim:
            raise ValueError
        if np.broadcast_shapes(t._v.shape, shape) != shape:
            raise ValueError
    except ValueError:
        raise InvalidArgumentError(None, "BroadcastTo", f"Unable to broadcast tensor of shape "
                                   f"{list(t._v.shape)} to tensor of shape {list(shape)} "
                                   "[Op:BroadcastTo]") from None
    return apply(BROADCAST, (t,), {"shape": shape})


def shape(input, out_type=dtypes.int32, name=None):
    """The shape of ``input`` as a 1-D integer tensor (``out_type``); a RaggedTensor gives a
    ``tf.experimental.DynamicRaggedShape``."""
    try:
        t = _t(input)
    except CompositeInput:
        return dispatch(shape, (input,), {"out_type": out_type})
    return const(np.asarray(t._v.shape, dtype=dtypes.as_dtype(out_type)._np))


def size(input, out_type=dtypes.int32, name=None):
    """The number of elements of ``input`` as a scalar integer tensor."""
    t = _t(input)
    return const(np.asarray(t._v.size, dtype=dtypes.as_dtype(out_type)._np)[()])


def rank(input, name=None):
    """The number of dimensions of ``input`` as a scalar int32 tensor."""
    t = _t(input)
    return const(np.int32(t._v.ndim))


# -- indexing -----------------------------------------------------------------------------------
def _index_error(key):
    return TypeError("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and "
                     f"scalar tf.int32/tf.int64 tensors are valid indices, got {key!r}")


def _normalize_key(t, key):
    """Check a __getitem__ key against TF's rules and the shape; return a NumPy basic index."""
    if not isinstance(key, tuple):
        key = (key,)
    shape = t._v.shape
    out = []
    dim = 0
    n_real = sum(1 for k in key if k is not None and k is not Ellipsis)
    for k in key:
        if k is None:
            out.append(None)
            continue
        if k is Ellipsis:
            out.append(Ellipsis)
            dim += len(shape) - n_real
            continue
        if isinstance(k, TensorBase):
            if k._v.ndim != 0 or k._v.dtype.kind not in "iu":
                raise _index_error(k)
            if recording:  # a traced index: the plan cannot freeze its value
                _converted(k, "a tensor index")
            k = int(k._v)
        if isinstance(k, (bool, np.bool_)):
            raise _index_error(k)
        if isinstance(k, (int, np.integer)):
            if dim >= len(shape):
                raise InvalidArgumentError(
                    None, "StridedSlice",
                    f"Index out of range using input dim {dim}; input has only {len(shape)} "
                    f"dims [Op:StridedSlice] name: strided_slice/")
            k = int(k)
            if not -shape[dim] <= k < shape[dim]:
                raise InvalidArgumentError(
                    None, "StridedSlice",
                    f"slice index {k} of dimension {dim} out of bounds. [Op:StridedSlice] "
                    f"name: strided_slice/ (input shape {list(shape)})")
            out.append(k)
            dim += 1
            continue
        if isinstance(k, _builtin_slice):
            parts = []
            for p in (k.start, k.stop, k.step):
                if isinstance(p, TensorBase):
                    if recording:
                        _converted(p, "a tensor slice bound")
                    p = int(p._v)
                elif p is not None and not isinstance(p, (int, np.integer)):
                    raise _index_error(k)
                parts.append(p)
            if parts[2] == 0:
                raise InvalidArgumentError(None, "StridedSlice", "slice step cannot be zero "
                                           "[Op:StridedSlice]")
            out.append(_builtin_slice(*parts))
            dim += 1
            continue
        if isinstance(k, list) and len(shape) <= dim + 1:
            raise InvalidArgumentError(
                None, "StridedSlice",
                f"Index out of range using input dim {dim + 1}; input has only {len(shape)} "
                "dims [Op:StridedSlice] name: strided_slice/")
        raise _index_error(k)
    if dim > len(shape):
        raise InvalidArgumentError(None, "StridedSlice", f"Index out of range using input dim "
                                   f"{len(shape)}; input has only {len(shape)} dims "
                                   "[Op:StridedSlice] name: strided_slice/")
    if t._v.dtype.kind == "O" and Ellipsis not in out:
        out.append(Ellipsis)  # a string element stays a 0-d array, not a bare bytes object
    return tuple(out)


def _slice_grad(n, g):
    x = n.inputs[0]
    return (wrap_scatter(g, x, n.attrs["key"]),)


SLICE_SCATTER = Op("StridedSliceGrad", None, None, None)


def wrap_scatter(g, x, key):
    """Gradient of ``x[key]``: zeros shaped like x with ``g`` placed at ``key`` (recorded)."""
    return apply(SLICE_GRAD, (g,), {"key": key, "shape": x._v.shape})


def _slice_grad_fwd(g, key, shape):
    z = xp_of(g).zeros(shape, g.dtype)
    z[key] = g
    return z


SLICE_GRAD = Op("StridedSliceGrad", _slice_grad_fwd,
                lambda n, gg: (gg[n.attrs["key"]],), None)
STRIDED_SLICE = Op("StridedSlice", lambda a, key: a[key], _slice_grad, None)


def _getitem(self, key):
    if type(key) is int:
        shape = self._v.shape
        if not shape or not -shape[0] <= key < shape[0] or self._v.dtype.kind == "O":
            key = _normalize_key(self, key)  # raises TF's error
        return apply(STRIDED_SLICE, (self,), {"key": key})
    if is_mask_key(key):
        from .indexing import boolean_mask  # cycle: indexing builds on this module

        return boolean_mask(self, key)
    return apply(STRIDED_SLICE, (self,), {"key": _normalize_key(self, key)})


def is_mask_key(key):
    """Whether ``key`` is a boolean tensor or array: ``t[mask]`` is ``tf.boolean_mask``."""
    if isinstance(key, TensorBase):
        return key._v.dtype.kind == "b"
    return isinstance(key, np.ndarray) and key.dtype.kind == "b"


TensorBase.__getitem__ = _getitem


def strided_slice(input_, begin, end, strides=None, name=None, **masks):
    """``input_[begin:end:strides]`` along each axis, as ``t[...]`` indexing does."""
    b, e = _ints(begin), _ints(end)
    s = _ints(strides) if strides is not None else [1] * len(b)
    return _getitem(_t(input_), tuple(_builtin_slice(x, y, z) for x, y, z in zip(b, e, s)))


def slice(input_, begin, size, name=None):  # TF's name
    """The ``size``-long block of ``input_`` starting at ``begin`` (-1 in ``size``: to the end)."""
    t = _t(input_)
    b, sz = _ints(begin), _ints(size)
    key = []
    for i, (bb, ss) in enumerate(zip(b, sz)):
        end = t._v.shape[i] if ss == -1 else bb + ss
        if bb < 0 or end > t._v.shape[i]:
            raise InvalidArgumentError(None, "Slice", f"Expected begin[{i}] in [0, "
                                       f"{t._v.shape[i]}] and size[{i}] in [0, "
                                       f"{t._v.shape[i] - bb}], but got {bb} and {ss} [Op:Slice]")
        key.append(_builtin_slice(bb, end))
    return apply(STRIDED_SLICE, (t,), {"key": tuple(key)})
