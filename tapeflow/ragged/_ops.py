"""Ops on RaggedTensors: elementwise math on the flat values (the Python operators and every
elementwise op of ``tf.math``/``tf.nn`` through ``ops._core.dispatch``), reductions over ragged
dimensions (segment reductions, recorded with their gradients), concat/stack, and the
``tf.ragged`` functions (``constant``, ``range``, ``map_flat_values``, ``boolean_mask``...)."""
from .. import dtypes
from ..backend import host as np
from ..backend import xp_of
from ..errors import InvalidArgumentError
from ..nest import flatten, pack_sequence_as
from ..ops import array as _array
from ..ops import math as _math
from ..ops import nn as _nn
from ..ops import reduction as _reduction
from ..ops._core import Op, apply
from ..ops.array import concat, expand_dims, reshape
from ..ops.indexing import gather
from ..ops.math import cast, divide, equal, multiply, ones_like, where
from ..tensor import TensorBase, const, convert_to_tensor
from ._tensor import RaggedTensor, _host, _index_tensor, _ranges, _take

# Every elementwise op of the math and nn families applies to a ragged tensor's flat values.
_NOT_ELEMENTWISE = {_math.WHERE_INDICES, _math.WHERE_XY}
ELEMENTWISE = {v for m in (_math, _nn) for v in vars(m).values()
               if isinstance(v, Op) and v not in _NOT_ELEMENTWISE}


# -- elementwise -------------------------------------------------------------------------------
def _same_splits(opname, a, b):
    if a is b:
        return
    sa, sb = a.nested_row_splits, b.nested_row_splits
    if len(sa) != len(sb):
        raise ValueError(f"{opname}: ragged operands have different ragged ranks "
                         f"({len(sa)} and {len(sb)})")
    for x, y in zip(sa, sb):
        if x is y:
            continue
        hx, hy = _host(x), _host(y)
        if hx.shape != hy.shape or (hx != hy).any():
            raise InvalidArgumentError(
                None, opname,
                f"Condition x == y did not hold: the ragged operands of {opname} have "
                f"different row partitions: row_splits {hx.tolist()} vs. {hy.tolist()} "
                f"[Op:{opname}]")


def _dense_to_flat(opname, rt, t):
    """A dense operand ``t`` lined up with ``rt``'s flat values (TF's ragged broadcasting:
    dimensions that are 1 stretch over the rows and over each row's elements)."""
    inner = rt.flat_values._v.ndim - 1
    if t._v.ndim <= inner:
        return t
    rank = rt.shape.rank
    if t._v.ndim > rank:
        raise ValueError(f"{opname}: a dense operand of rank {t._v.ndim} cannot broadcast to "
                         f"a ragged tensor of rank {rank}")
    if rt.ragged_rank != 1:
        raise NotImplementedError(f"{opname}: broadcasting a dense tensor over the ragged "
                                  "dimensions of a ragged tensor with ragged_rank > 1")
    shape = (1,) * (rank - t._v.ndim) + tuple(t._v.shape)
    t = reshape(t, shape)
    nrows, ncols = shape[0], shape[1]
    if nrows not in (1, rt.nrows_host()):
        raise InvalidArgumentError(None, opname, f"Incompatible shapes: {list(shape)} vs. "
                                   f"{rt.shape} (number of rows) [Op:{opname}]")
    ids = rt._rowids_host() if nrows > 1 else np.zeros(rt.flat_values._v.shape[0], np.int64)
    if ncols == 1:
        return gather(reshape(t, (nrows,) + shape[2:]), _index_tensor(ids, np.int64))
    lens = rt._lengths_host()
    if (lens != ncols).any():
        raise InvalidArgumentError(None, opname, f"Incompatible shapes: {list(shape)} vs. "
                                   f"{rt.shape}: row lengths {lens.tolist()} [Op:{opname}]")
    cols = np.arange(ids.size) - rt._splits_host()[:-1][ids]
    flat = reshape(t, (nrows * ncols,) + shape[2:])
    return gather(flat, _index_tensor(ids * ncols + cols, np.int64))


def _operands(opname, inputs):
    """(the ragged tensor the result takes its rows from, flat operands)."""
    base = next(x for x in inputs if isinstance(x, RaggedTensor))
    out = []
    for x in inputs:
        if isinstance(x, RaggedTensor):
            _same_splits(opname, base, x)
            out.append(x.flat_values)
        elif isinstance(x, TensorBase):
            out.append(_dense_to_flat(opname, base, x))
        elif isinstance(x, (list, tuple)) or hasattr(x, "__array__"):
            out.append(_dense_to_flat(opname, base, convert_to_tensor(x)))
        else:
            out.append(x)  # a Python number: the op converts it with its dtype rules
    return base, out


def elementwise(op, inputs, attrs):
    base, flat = _operands(op.name, inputs)
    return base.with_flat_values(apply(op, tuple(flat), attrs))


def _operator(method, reflected=False):
    """A Python operator of RaggedTensor: the Tensor operator on the flat values."""

    def f(self, other):
        if isinstance(other, RaggedTensor):
            _same_splits(method.strip("_").title(), self, other)
            o = other.flat_values
        elif isinstance(other, TensorBase) or isinstance(other, (list, tuple)):
            t = other if isinstance(other, TensorBase) else convert_to_tensor(other)
            o = _dense_to_flat(method.strip("_").title(), self, t)
            if reflected:  # dense <op> ragged: the dense operand's own operator
                return self.with_flat_values(getattr(o, method.replace("__r", "__", 1))(
                    self.flat_values))
        elif isinstance(other, (int, float, bool, np.generic)):
            o = other
        else:
            return NotImplemented
        try:
            return self.with_flat_values(getattr(self.flat_values, method)(o))
        except TypeError:
            if method in ("__truediv__", "__rtruediv__") or not isinstance(o, (int, float)):
                raise
            # TF's ragged operators convert a Python number on its own, then fail on the
            # dtypes as the op (where a dense tensor's operator raises TypeError)
            values = self.flat_values
            other_t = convert_to_tensor(o)
            name = _OP_NAMES.get(method.replace("__r", "__", 1), method.strip("_").title())
            a, b = (other_t, values) if reflected else (values, other_t)
            raise InvalidArgumentError(
                None, name, f"cannot compute {name} as input #1(zero-based) was expected to be "
                f"a {_math._kernel_name(a._v.dtype)} tensor but is a "
                f"{_math._kernel_name(b._v.dtype)} tensor [Op:{name}]"
            ) from None

    return f


_OP_NAMES = {"__add__": "AddV2", "__sub__": "Sub", "__mul__": "Mul", "__floordiv__": "FloorDiv",
             "__mod__": "FloorMod", "__pow__": "Pow", "__lt__": "Less", "__le__": "LessEqual",
             "__gt__": "Greater", "__ge__": "GreaterEqual"}


def _install_operators():
    for name in ["add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "and", "or",
                 "xor"]:
        setattr(RaggedTensor, f"__{name}__", _operator(f"__{name}__"))
        setattr(RaggedTensor, f"__r{name}__", _operator(f"__r{name}__", True))
    for name in ["lt", "le", "gt", "ge"]:
        setattr(RaggedTensor, f"__{name}__", _operator(f"__{name}__"))
    RaggedTensor.__eq__ = lambda self, other: _compare(_math.equal, self, other)
    RaggedTensor.__ne__ = lambda self, other: _compare(_math.not_equal, self, other)
    RaggedTensor.__hash__ = None
    RaggedTensor.__neg__ = lambda self: self.with_flat_values(-self.flat_values)
    RaggedTensor.__abs__ = lambda self: self.with_flat_values(abs(self.flat_values))
    RaggedTensor.__invert__ = lambda self: self.with_flat_values(~self.flat_values)
    RaggedTensor.__pos__ = lambda self: self


def _compare(fn, self, other):
    if other is None:
        return fn is _math.not_equal
    return fn(self, other)


# -- reductions --------------------------------------------------------------------------------
_UFUNCS = {"sum": np.add, "prod": np.multiply, "max": np.maximum, "min": np.minimum,
           "any": np.logical_or, "all": np.logical_and}


def _segment_identity(kind, dtype):
    if kind in ("sum", "prod", "any", "all"):
        return {"sum": 0, "prod": 1, "any": False, "all": True}[kind]
    d = dtypes.from_numpy(dtype)
    return d.min if kind == "max" else d.max


def _segment_host(data, ids, n, kind):
    """The segment reduction on the host: one ``reduceat`` over the values sorted by segment
    (``ufunc.at`` would visit them one by one)."""
    if ids.size > 1 and (ids[1:] < ids[:-1]).any():
        # NOTE: NumPy's stable sort is a radix sort for 16-bit keys: much faster than int64's
        keys = ids.astype(np.uint16) if n <= 65536 else ids
        order = np.argsort(keys, kind="stable")
        ids, data = ids[order], data[order]
    out_dtype = bool if kind in ("any", "all") else data.dtype
    out = np.full((n,) + tuple(data.shape[1:]), _segment_identity(kind, data.dtype), out_dtype)
    if ids.size:
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
        out[ids[starts]] = _UFUNCS[kind].reduceat(data, starts, axis=0)
    return out


def _segment_fwd(data, ids, n, kind):
    if isinstance(data, np.ndarray):
        return _segment_host(data, np.asarray(ids), n, kind)
    xp = xp_of(data)
    ids = xp.asarray(ids)  # host ids: on the data's device
    shape = (n,) + tuple(data.shape[1:])
    d = dtypes.from_numpy(data.dtype)
    if kind == "sum":
        out = xp.zeros(shape, data.dtype)
        xp.add.at(out, ids, data)
    elif kind == "prod":
        out = xp.ones(shape, data.dtype)
        xp.multiply.at(out, ids, data)
    elif kind == "max":
        out = xp.full(shape, d.min, data.dtype)  # TF: an empty row's max is the lowest value
        xp.maximum.at(out, ids, data)
    elif kind == "min":
        out = xp.full(shape, d.max, data.dtype)
        xp.minimum.at(out, ids, data)
    elif kind == "any":
        out = xp.zeros(shape, bool)
        xp.logical_or.at(out, ids, data)
    else:  # all
        out = xp.ones(shape, bool)
        xp.logical_and.at(out, ids, data)
    return out


def _segment_grad(n, g):
    data = n.inputs[0]
    ids = const(n.attrs["ids"])
    kind = n.attrs["kind"]
    if kind == "sum":
        return (gather(g, ids),)
    if kind in ("max", "min"):  # ties share the gradient equally, as TF's reduce_max
        hit = cast(equal(data, gather(n.out, ids)), data.dtype)
        count = apply(SEGMENT, (hit,), {"ids": n.attrs["ids"], "n": n.attrs["n"],
                                        "kind": "sum"})
        return (multiply(gather(divide(g, where(equal(count, 0), ones_like(count), count)),
                                ids), hit),)
    # prod: d/dx_i = prod / x_i where x_i != 0 (TF's segment_prod rule needs no zeros here)
    return (multiply(gather(multiply(g, n.out), ids), _math.reciprocal_no_nan(data)),)


SEGMENT = Op("RaggedSegmentReduce", lambda a, ids, n, kind: _segment_fwd(a, ids, n, kind),
             _segment_grad, None)

_KIND = {"Sum": "sum", "Mean": "mean", "Max": "max", "Min": "min", "Prod": "prod",
         "Any": "any", "All": "all"}


def _segment(kind, data, ids, n):
    return apply(SEGMENT, (data,), {"ids": ids, "n": int(n), "kind": kind})


def _reduce_axis(kind, rt, axis):
    """``rt`` (ragged) reduced over one dimension ``axis`` (already non-negative)."""
    rr = rt.ragged_rank
    if axis > rr:  # a dense dimension of the flat values
        fv = rt.flat_values
        dense = {"sum": _reduction.reduce_sum, "max": _reduction.reduce_max,
                 "min": _reduction.reduce_min, "prod": _reduction.reduce_prod,
                 "any": _reduction.reduce_any, "all": _reduction.reduce_all}[kind]
        return rt.with_flat_values(dense(fv, axis=axis - rr))
    if axis < rr and rr > 1:
        return _reduce_outer(kind, rt, axis)
    if axis == 0:
        ids = rt._rowids_host()
        cols = np.arange(ids.size) - rt._splits_host()[:-1][ids]
        width = int(rt._lengths_host().max()) if ids.size else 0
        return _segment(kind, rt.values, cols.astype(np.int64), width)
    inner = rt
    for _ in range(rr - 1):
        inner = inner.values
    reduced = _segment(kind, inner.values, inner._rowids_host().astype(np.int64),
                       inner.nrows_host())
    if rr == 1:
        return reduced
    return _replace_innermost(rt, reduced)


def _levels(rt):
    """The row lengths of every level: [{prefix tuple: length}], level 0 first."""
    levels = [{(): rt.nrows_host()}]
    prefixes = [()]
    x = rt
    while isinstance(x, RaggedTensor):
        lens = x._lengths_host().tolist()
        nxt, table, pos = [], {}, 0
        for p in prefixes:
            for j in range(levels[-1][p]):
                q = p + (j,)
                table[q] = lens[pos]
                nxt.append(q)
                pos += 1
        levels.append(table)
        prefixes = nxt
        x = x._values
    return levels


def _reduce_outer(kind, rt, axis):
    """``rt`` (ragged_rank >= 2) reduced over ragged dimension ``axis`` < ragged_rank: the
    elements that differ only in that coordinate meet; each row of the result is as long as
    the longest of the rows that meet in it."""
    rr = rt.ragged_rank
    levels = _levels(rt)  # levels[L]: prefix of length L -> its length
    out = [dict() for _ in range(rr)]  # output level L: prefix of length L -> length
    for L, table in enumerate(levels):
        for p, n in table.items():
            if L < axis:
                out[L][p] = n
            elif L == axis:
                out[L].setdefault(p, 0)  # a row with nothing below it stays, empty
            else:
                q = p[:axis] + p[axis + 1:]
                out[L - 1][q] = max(out[L - 1].get(q, 0), n)
    # the output's row lengths level by level, rows in row-major order
    prefixes, partitions = [()], []
    for L in range(1, rr):
        parents = [out[L - 1].get(p, 0) for p in prefixes]
        prefixes = [p + (j,) for p, n in zip(prefixes, parents) for j in range(n)]
        partitions.append([out[L].get(p, 0) for p in prefixes])
    last = partitions[-1]
    offsets = np.concatenate([[0], np.cumsum(last)]).astype(np.int64)
    starts = {p: int(o) for p, o in zip(prefixes, offsets[:-1])}
    index, _ = rt._dense_index()
    seg = np.asarray([starts[tuple(r[:axis]) + tuple(r[axis + 1:-1])] + r[-1]
                      for r in index.tolist()], np.int64)
    result = _segment(kind, rt.flat_values, seg, int(offsets[-1]))
    d = rt.row_splits._v.dtype
    for lens in reversed(partitions):
        splits = np.concatenate([[0], np.cumsum(lens)]).astype(d)
        result = RaggedTensor._make(result, _index_tensor(splits, d))
    return result


def _replace_innermost(rt, new_values):
    """``rt`` without its innermost ragged level, whose rows became ``new_values``."""
    if not isinstance(rt.values.values, RaggedTensor):
        return RaggedTensor._make(new_values, rt.row_splits)
    return RaggedTensor._make(_replace_innermost(rt.values, new_values), rt.row_splits)


def _reduce_all(kind, rt, axis):
    if isinstance(axis, TensorBase):
        axis = _host(axis).tolist()
    rank = rt.shape.rank
    axes = list(range(rank)) if axis is None else (
        list(axis) if isinstance(axis, (list, tuple)) else [axis])
    norm = []
    for a in axes:
        a = int(a)
        if not -rank <= a < rank:
            raise InvalidArgumentError(None, "Reduce", f"Invalid reduction dimension {a} for "
                                       f"input with {rank} dimension(s) [Op:Reduce]")
        norm.append(a % rank)
    out = rt
    for a in sorted(set(norm), reverse=True):
        if isinstance(out, RaggedTensor):
            out = _reduce_axis(kind, out, a)
        else:
            dense = {"sum": _reduction.reduce_sum, "max": _reduction.reduce_max,
                     "min": _reduction.reduce_min, "prod": _reduction.reduce_prod,
                     "any": _reduction.reduce_any, "all": _reduction.reduce_all}[kind]
            out = dense(out, axis=a)
    return out, sorted(set(norm))


def ragged_reduce(op, rt, axis=None, keepdims=False):
    kind = _KIND.get(op.name)
    if kind is None:
        return NotImplemented
    if kind == "mean":
        total, axes = _reduce_all("sum", rt, axis)
        count, _ = _reduce_all("sum", rt.with_flat_values(ones_like(rt.flat_values)), axis)
        out = divide(total, count) if not isinstance(total, RaggedTensor) else \
            total.with_flat_values(divide(total.flat_values, count.flat_values))
    else:
        out, axes = _reduce_all(kind, rt, axis)
    if keepdims:
        for a in axes:
            out = _insert_unit(out, a)
    return out


def _insert_unit(x, axis):
    """``x`` with a new dimension of size 1 at ``axis`` (a uniform partition where it falls
    among the ragged dimensions)."""
    if not isinstance(x, RaggedTensor):
        return expand_dims(x, axis)
    d = x.row_splits._v.dtype
    n = x.nrows_host()
    if axis == 0:
        return RaggedTensor._make(x, _index_tensor(np.asarray([0, n]), d), n)
    if axis == 1:
        return RaggedTensor._make(x, _index_tensor(np.arange(n + 1), d), 1)
    return x.with_values(_insert_unit(x.values, axis - 1))


# -- concat and stack --------------------------------------------------------------------------
def _as_ragged(x, ragged_rank):
    if isinstance(x, RaggedTensor):
        return x
    t = x if isinstance(x, TensorBase) else convert_to_tensor(x)
    return RaggedTensor.from_tensor(t, ragged_rank=ragged_rank)


def _concat_rows(rts):
    """Rows of every ragged tensor in ``rts``, one after another (axis 0)."""
    if not all(isinstance(r, RaggedTensor) for r in rts):
        return concat(list(rts), 0)
    d = rts[0].row_splits._v.dtype
    parts, offset = [np.zeros(1, d)], 0
    for r in rts:
        s = r._splits_host().astype(d)
        parts.append(s[1:] + offset)
        offset += int(s[-1])
    values = _concat_rows([r.values for r in rts])
    return RaggedTensor._make(values, _index_tensor(np.concatenate(parts), d))


def ragged_concat(values, axis=0, name=None):
    values = list(values)
    rr = max(v.ragged_rank for v in values if isinstance(v, RaggedTensor))
    rts = [_as_ragged(v, rr) for v in values]
    for r in rts[1:]:
        if r.ragged_rank != rts[0].ragged_rank or r.dtype != rts[0].dtype:
            raise ValueError("concat: the ragged inputs must share ragged_rank and dtype")
    rank = rts[0].shape.rank
    axis = int(axis)
    if not -rank <= axis < rank:
        raise ValueError(f"axis={axis} out of bounds: expected {-rank}<=axis<{rank}")
    axis %= rank
    if len(rts) == 1:
        return rts[0]
    if axis == 0:
        return _concat_rows(rts)
    if axis == 1 and rr == 1:
        n = rts[0].nrows_host()
        if any(r.nrows_host() != n for r in rts):
            raise InvalidArgumentError(None, "RaggedConcat", "Input tensors have incompatible "
                                       "shapes: the numbers of rows differ [Op:RaggedConcat]")
        # output row i holds row i of every input in turn: where each input's values go
        lens_k = [np.diff(r._splits_host().astype(np.int64)) for r in rts]
        lens = np.sum(lens_k, axis=0)
        out_start = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
        before = np.zeros(n, np.int64)
        dest = []
        for lk in lens_k:
            dest.append(_ranges(out_start + before, lk))
            before += lk
        dest = np.concatenate(dest)
        order = np.empty_like(dest)
        order[dest] = np.arange(dest.size)  # output position -> position in the inputs' values
        allv = concat([r.values for r in rts], 0)
        d = rts[0].row_splits._v.dtype
        splits = np.concatenate([[0], np.cumsum(lens)]).astype(d)
        return RaggedTensor._make(gather(allv, _index_tensor(order, np.int64)),
                                  _index_tensor(splits, d))
    if axis > rr:
        return rts[0].with_flat_values(concat([r.flat_values for r in rts], axis - rr))
    raise NotImplementedError(f"tf.concat of RaggedTensors along axis {axis}")


def ragged_stack(values, axis=0, name=None):
    values = list(values)
    if axis != 0:
        raise NotImplementedError("tf.stack of RaggedTensors along an axis other than 0")
    rr = max(v.ragged_rank for v in values if isinstance(v, RaggedTensor))
    rts = [_as_ragged(v, rr) for v in values]
    inner = _concat_rows(rts)
    d = inner.row_splits._v.dtype
    splits = np.concatenate([[0], np.cumsum([r.nrows_host() for r in rts])]).astype(d)
    return RaggedTensor._make(inner, _index_tensor(splits, d))


# -- the dispatch table: ops._core.dispatch lands here for RaggedTensor arguments ---------------
def _where(condition, x=None, y=None, name=None):
    if x is None and y is None:
        raise NotImplementedError("tf.where(condition) with a RaggedTensor condition")
    return elementwise(_math.WHERE, (condition, x, y), {})


def _like(fn):
    def f(x, dtype=None, name=None):
        return x.with_flat_values(fn(x.flat_values, dtype))

    return f


FUNCTIONS = {
    _math.divide: lambda x, y, name=None: elementwise_fn(divide, x, y),
    _math.divide_no_nan: lambda x, y, name=None: elementwise_fn(_math.divide_no_nan, x, y),
    _math.xlogy: lambda x, y, name=None: elementwise_fn(_math.xlogy, x, y),
    _math.cast: lambda x, dtype, name=None: x.with_flat_values(cast(x.flat_values, dtype)),
    _math.zeros_like: _like(_math.zeros_like),
    _math.ones_like: _like(_math.ones_like),
    _math.where: _where,
    _array.concat: ragged_concat,
    _array.stack: ragged_stack,
    _array.shape: lambda input, out_type=dtypes.int32, name=None: _ragged_shape(input, out_type),
}


def _ragged_shape(rt, out_type):
    """``tf.shape`` of a RaggedTensor: a DynamicRaggedShape of ``out_type``."""
    from .dynamic_ragged_shape import DynamicRaggedShape  # built on request only

    return DynamicRaggedShape.from_tensor(rt, out_type)


def elementwise_fn(fn, *inputs):
    """``fn`` (a public elementwise function) on the flat values of ragged ``inputs``."""
    base, flat = _operands(getattr(fn, "__name__", "op"), inputs)
    return base.with_flat_values(fn(*flat))


def _dispatch(func, args, kwargs):
    if isinstance(func, Op):
        if func in ELEMENTWISE:
            return elementwise(func, args, kwargs)
        if len(args) == 1 and isinstance(args[0], RaggedTensor) and "axis" in kwargs:
            return ragged_reduce(func, args[0], kwargs["axis"], kwargs.get("keepdims", False))
        return NotImplemented
    fn = FUNCTIONS.get(func)
    if fn is None:
        return NotImplemented
    return fn(*args, **kwargs)


RaggedTensor._dispatch = staticmethod(_dispatch)
_install_operators()


# -- tf.ragged functions -----------------------------------------------------------------------
def map_flat_values(op, *args, **kwargs):
    """``op`` applied to the flat values of the RaggedTensors in its arguments (which must
    share row partitions); the result has their rows."""
    leaves = flatten([list(args), kwargs])
    rts = [x for x in leaves if isinstance(x, RaggedTensor)]
    if not rts:
        return op(*args, **kwargs)
    base = rts[0]
    for r in rts[1:]:
        _same_splits("map_flat_values", base, r)
    flat = [x.flat_values if isinstance(x, RaggedTensor) else x for x in leaves]
    new_args, new_kwargs = pack_sequence_as([list(args), kwargs], flat)
    out = op(*new_args, **new_kwargs)
    out = out if isinstance(out, TensorBase) else convert_to_tensor(out)
    if out._v.shape[:1] != base.flat_values._v.shape[:1]:
        raise ValueError("map_flat_values: the op must keep the number of flat values "
                         f"({base.flat_values._v.shape[0]}), got shape {list(out._v.shape)}")
    return base.with_flat_values(out)


def _infer_depth(x):
    """(depth of the scalars, or None if there are none; depth of the deepest list)."""
    if not isinstance(x, (list, tuple)):
        return 0, 0
    scal, lists = None, 1
    for v in x:
        s, li = _infer_depth(v)
        lists = max(lists, li + 1)
        if s is not None:
            s += 1
            if scal is not None and s != scal:
                raise ValueError("all scalar values must have the same nesting depth")
            scal = s
    return scal, lists


def _as_pylist(x):
    """Nested lists for ``x``, NumPy arrays inside it included (their elements stay NumPy
    scalars, whose dtype TF's inference reads: ``[[], np.array([1.0])]`` is float64)."""
    if isinstance(x, np.ndarray):
        if x.ndim <= 1:
            return list(x) if x.ndim else x[()]
        return [_as_pylist(v) for v in x]
    if isinstance(x, (list, tuple)):
        return [_as_pylist(v) for v in x]
    return x


def constant(pylist, dtype=None, ragged_rank=None, inner_shape=None, name=None,
             row_splits_dtype=dtypes.int64):
    """A RaggedTensor (or a Tensor, for a ragged_rank of 0) from a nested Python list."""
    if isinstance(pylist, RaggedTensor):
        raise TypeError("pylist may not be a RaggedTensor")
    pylist = _as_pylist(pylist)
    if not isinstance(pylist, list):  # a scalar: a Tensor, as in TF
        return convert_to_tensor(pylist, dtype)
    sd = dtypes.as_dtype(row_splits_dtype)._np
    scalar_depth, list_depth = _infer_depth(pylist)
    depth = scalar_depth if scalar_depth is not None else list_depth
    if inner_shape is not None:
        inner_shape = tuple(int(d) for d in inner_shape)
    if ragged_rank is None:
        ragged_rank = max(0, depth - 1 - (len(inner_shape) if inner_shape else 0))
    elif ragged_rank < 0:
        raise ValueError(f"Invalid ragged_rank {ragged_rank}: must be nonnegative")
    if scalar_depth is not None and 0 < ragged_rank >= scalar_depth:
        raise ValueError(f"Invalid pylist={pylist!r}: incompatible with ragged_rank="
                         f"{ragged_rank}")
    nested = []
    level = pylist
    for _ in range(ragged_rank):
        lens = [len(v) for v in level]
        nested.append(np.concatenate([[0], np.cumsum(lens)]).astype(sd))
        level = [x for v in level for x in v]
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    if level:
        values = convert_to_tensor(level, dtype)
    else:
        inner = inner_shape if inner_shape is not None else ()
        if ragged_rank == 0:
            inner = ()
        values = const(np.zeros((0,) + tuple(inner), (dtype or dtypes.float32)._np))
    if ragged_rank == 0:
        return values
    if inner_shape is not None and level:
        values = reshape(values, (-1,) + inner_shape)
    out = values
    for splits in reversed(nested):
        out = RaggedTensor._make(out, _index_tensor(splits, sd))
    return out


def constant_value(pylist, dtype=None, ragged_rank=None, inner_shape=None,
                   row_splits_dtype="int64"):
    """The NumPy value TF returns (ragged: an object of the row arrays)."""
    return constant(pylist, dtype, ragged_rank, inner_shape,
                    row_splits_dtype=row_splits_dtype).numpy()


def ragged_range(starts, limits=None, deltas=1, dtype=None, name=None,
                 row_splits_dtype=dtypes.int64):
    """Row i is ``tf.range(starts[i], limits[i], deltas[i])``."""
    if limits is None:
        starts, limits = 0, starts
    ts = [x if isinstance(x, TensorBase) else convert_to_tensor(x, dtype)
          for x in (starts, limits, deltas)]
    d = dtype._np if isinstance(dtype, dtypes.DType) else (
        dtypes.as_dtype(dtype)._np if dtype is not None else None)
    if d is None:
        kinds = [t._v.dtype for t in ts]
        d = np.result_type(*kinds)
    s, lim, de = (np.asarray(_host(t), d) for t in ts)
    s, lim, de = np.broadcast_arrays(s, lim, de)
    if (de == 0).any():
        raise InvalidArgumentError(None, "RaggedRange", "Requires delta != 0 [Op:RaggedRange]")
    rows = [np.arange(a, b, c, dtype=d) for a, b, c in zip(s.ravel(), lim.ravel(), de.ravel())]
    sd = dtypes.as_dtype(row_splits_dtype)._np
    splits = np.concatenate([[0], np.cumsum([r.size for r in rows])]).astype(sd)
    vals = np.concatenate(rows).astype(d) if rows else np.zeros(0, d)
    return RaggedTensor._make(const(vals), _index_tensor(splits, sd))


def row_splits_to_segment_ids(splits, name=None, out_type=None):
    """The row id of each value, from a ragged tensor's ``splits``."""
    s = _host(splits if isinstance(splits, TensorBase) else convert_to_tensor(
        splits, dtype_hint=dtypes.int64))
    d = s.dtype if out_type is None else dtypes.as_dtype(out_type)._np
    return const(np.repeat(np.arange(s.size - 1), np.diff(s)).astype(d))


def segment_ids_to_row_splits(segment_ids, num_segments=None, out_type=None, name=None):
    """Row splits from sorted ``segment_ids`` (``num_segments`` rows at least)."""
    ids = _host(segment_ids if isinstance(segment_ids, TensorBase) else convert_to_tensor(
        segment_ids, dtype_hint=dtypes.int64))
    d = ids.dtype if out_type is None else dtypes.as_dtype(out_type)._np
    n = int(ids.max()) + 1 if ids.size else 0
    if num_segments is not None:
        n = int(num_segments)
    counts = np.bincount(ids, minlength=n) if ids.size else np.zeros(n, np.int64)
    return const(np.concatenate([[0], np.cumsum(counts)]).astype(d))


def boolean_mask(data, mask, name=None):
    """The elements of ``data`` where ``mask`` is true, keeping ``data``'s rows (ragged)."""
    if not isinstance(mask, RaggedTensor):
        mask = mask if isinstance(mask, TensorBase) else convert_to_tensor(mask)
    if mask.dtype != dtypes.bool:
        raise ValueError("mask must have dtype bool")
    if not isinstance(mask, RaggedTensor) and mask._v.ndim == 1:
        keep = np.flatnonzero(_host(mask))
        if isinstance(data, RaggedTensor):
            return _take(data, keep)
        return gather(data, _index_tensor(keep, np.int64))
    if not isinstance(data, RaggedTensor):
        data = RaggedTensor.from_tensor(data if isinstance(data, TensorBase)
                                        else convert_to_tensor(data))
    if not isinstance(mask, RaggedTensor):
        mask = RaggedTensor.from_tensor(mask)
    if data.ragged_rank != 1 or mask.ragged_rank != 1:
        raise NotImplementedError("tf.ragged.boolean_mask with ragged_rank > 1")
    _same_splits("boolean_mask", data, mask)
    m = _host(mask.values)
    keep = np.flatnonzero(m)
    ids = data._rowids_host()[keep]
    n = data.nrows_host()
    d = data.row_splits._v.dtype
    splits = np.concatenate([[0], np.cumsum(np.bincount(ids, minlength=n))]).astype(d)
    return RaggedTensor._make(gather(data.values, _index_tensor(keep, np.int64)),
                              _index_tensor(splits, d))


def stack(values, axis=0, name=None):
    """The ragged or dense ``values`` stacked along a new dimension ``axis`` into one
    RaggedTensor."""
    return ragged_stack(values, axis)


__all__ = ["constant", "constant_value", "map_flat_values", "ragged_range", "boolean_mask",
           "row_splits_to_segment_ids", "segment_ids_to_row_splits", "stack"]
