"""``tf.sparse`` ops. Index bookkeeping runs on the host with NumPy; whatever moves values
(gathers, segment sums, the sparse-dense product, scattering into a dense tensor) is a
recorded op, so gradients reach a SparseTensor's values and the dense operands."""
from .. import dtypes
from ..backend import host as np
from ..backend import to_host, xp_of
from ..errors import InvalidArgumentError
from ..ops import array as _array
from ..ops import math as _math
from ..ops._core import Op, apply
from ..ops.array import transpose as _dense_transpose
from ..ops.indexing import gather, gather_nd, tensor_scatter_nd_update
from ..ops.math import add as _add
from ..ops.math import cast, multiply
from ..ops.reduction import reduce_sum as _dense_reduce_sum
from ..ragged._ops import SEGMENT, _segment_host
from ..tensor import TensorBase, const, convert_to_tensor
from ._tensor import SparseTensor, _host, sparse_const


def _t(x, dtype=None):
    return x if isinstance(x, TensorBase) else convert_to_tensor(x, dtype)


def _idx(sp):
    return _host(sp.indices)


def _shape(sp):
    return _host(sp.dense_shape)


def _sp(x, opname):
    if not isinstance(x, SparseTensor):
        raise TypeError(f"{opname}: expected a SparseTensor, got {type(x).__name__}")
    return x


def _fmt(index):
    return "[" + ",".join(str(int(i)) for i in index) + "]"


def _row_major_keys(index, shape):
    """One int per row of ``index``: its position in row-major order of ``shape``."""
    if index.shape[1] == 0:
        return np.zeros(index.shape[0], np.int64)
    return np.ravel_multi_index(tuple(index.T), tuple(int(d) for d in shape), mode="wrap") \
        if index.size else np.zeros(0, np.int64)


def _validate(opname, index, shape):
    """TF's checks: in bounds, in row-major order, no repeats (InvalidArgumentError)."""
    _check_bounds(opname, index, shape)
    keys = _row_major_keys(index, shape)
    d = np.diff(keys)
    if (d < 0).any():
        i = int(np.argmax(d < 0)) + 1
        raise InvalidArgumentError(
            None, opname, f"indices[{i}] = {_fmt(index[i])} is out of order. Many sparse ops "
            "require sorted indices.\n    Use `tf.sparse.reorder` to create a correctly ordered "
            f"copy.\n\n [Op:{opname}]")
    if (d == 0).any():
        i = int(np.argmax(d == 0)) + 1
        raise InvalidArgumentError(None, opname,
                                   f"indices[{i}] = {_fmt(index[i])} is repeated [Op:{opname}]")


def _check_bounds(opname, index, shape):
    bad = ((index < 0) | (index >= shape)).any(axis=1) if index.size else np.zeros(0, bool)
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidArgumentError(
            None, opname, f"indices[{i}] = {_fmt(index[i])} is out of bounds: need 0 <= index "
            f"< {_fmt(shape)} [Op:{opname}]")


def _take(values, order):
    return gather(values, const(np.asarray(order, np.int64)))


# -- to_dense / from_dense ---------------------------------------------------------------------
def _to_dense_fwd(values, default, index, shape):
    xp = xp_of(values)
    out = xp.empty(shape, values.dtype)
    out[...] = default
    if index.shape[0]:
        out[tuple(xp.asarray(index).T)] = values
    return out


def _to_dense_grad(n, g):
    index = n.attrs["index"]
    gv = gather_nd(g, const(index)) if n.needs[0] else None
    gd = None
    if n.needs[1]:
        mask = np.ones(n.attrs["shape"], bool)
        if index.shape[0]:
            mask[tuple(index.T)] = False
        gd = _dense_reduce_sum(multiply(g, const(mask.astype(g._v.dtype))))
    return gv, gd


SPARSE_TO_DENSE = Op("SparseToDense", _to_dense_fwd, _to_dense_grad, None)


def to_dense(sp_input, default_value=None, validate_indices=True, name=None):
    """A dense tensor of ``sp_input``'s shape, its entries in place and ``default_value``
    elsewhere."""
    sp = _sp(sp_input, "to_dense")
    index, shape = _idx(sp), _shape(sp)
    if validate_indices:
        _validate("SparseToDense", index, shape)
    else:
        _check_bounds("SparseToDense", index, shape)
    values = sp.values
    if default_value is None:
        default = const(np.zeros((), values._v.dtype)) if values._v.dtype.kind in "biuf" else \
            const(np.full((), b"", values._v.dtype))
    else:
        default = _t(default_value, values.dtype)
    return apply(SPARSE_TO_DENSE, (values, default),
                 {"index": index, "shape": tuple(int(d) for d in shape)})


def from_dense(tensor, name=None):
    """A SparseTensor of the nonzero entries of ``tensor``."""
    t = _t(tensor)
    a = np.asarray(to_host(to_host(t._v)))
    zero = np.zeros((), a.dtype) if a.dtype.kind in "biufc" else np.full((), b"", a.dtype)
    index = np.argwhere(a != zero).astype(np.int64)
    values = gather_nd(t, const(index)) if t._v.ndim else t
    return sparse_const(index, values, a.shape)


# -- reorder, retain, slice, transpose, reshape, concat, expand_dims ---------------------------
def reorder(sp_input, name=None):
    """``sp_input`` with its entries in row-major order of their indices."""
    sp = _sp(sp_input, "reorder")
    index, shape = _idx(sp), _shape(sp)
    order = np.lexsort(index.T[::-1]) if index.size else np.arange(index.shape[0])
    return sparse_const(index[order], _take(sp.values, order), shape)


def retain(sp_input, to_retain):
    """The entries of ``sp_input`` where the 1-D boolean ``to_retain`` is True."""
    sp = _sp(sp_input, "retain")
    keep = np.asarray(_host(_t(to_retain)), bool)
    if keep.shape != (sp.indices._v.shape[0],):
        raise ValueError(f"Shape {keep.shape} must have rank 1 and length "
                         f"{sp.indices._v.shape[0]} (one flag per value)")
    where = np.flatnonzero(keep)
    return sparse_const(_idx(sp)[where], _take(sp.values, where), _shape(sp))


def slice(sp_input, start, size, name=None):
    """The entries of ``sp_input`` inside the box at ``start`` of extent ``size``, re-indexed
    from it."""
    sp = _sp(sp_input, "slice")
    index, shape = _idx(sp), _shape(sp)
    start = np.asarray(_host(_t(start, dtypes.int64)), np.int64)
    size = np.asarray(_host(_t(size, dtypes.int64)), np.int64)
    if start.shape != shape.shape or size.shape != shape.shape:
        raise InvalidArgumentError(None, "SparseSlice", f"Expected start and size of length "
                                   f"{shape.size}, got {start.size} and {size.size} "
                                   "[Op:SparseSlice]")
    end = np.minimum(start + size, shape)
    keep = ((index >= start) & (index < end)).all(axis=1) if index.size else \
        np.zeros(index.shape[0], bool)
    where = np.flatnonzero(keep)
    new_shape = np.maximum(end - start, 0)
    return sparse_const(index[where] - start, _take(sp.values, where), new_shape)


def transpose(sp_input, perm=None, name=None):
    """``sp_input`` with its dimensions permuted by ``perm`` (reversed by default)."""
    sp = _sp(sp_input, "transpose")
    index, shape = _idx(sp), _shape(sp)
    rank = shape.size
    perm = list(range(rank))[::-1] if perm is None else [int(p) for p in (
        _host(perm).tolist() if isinstance(perm, TensorBase) else perm)]
    if sorted(perm) != list(range(rank)):
        raise InvalidArgumentError(None, "SparseTranspose", f"perm {perm} is not a permutation "
                                   f"of [0, {rank}) [Op:SparseTranspose]")
    return reorder(sparse_const(index[:, perm], sp.values, shape[perm]))


def reshape(sp_input, shape, name=None):
    """``sp_input`` with a new dense shape (one -1 dimension inferred), its indices recomputed."""
    sp = _sp(sp_input, "reshape")
    index, old = _idx(sp), _shape(sp)
    new = [int(d) for d in (_host(shape).tolist() if isinstance(shape, TensorBase) else shape)]
    total = int(np.prod(old))
    if new.count(-1) > 1:
        raise InvalidArgumentError(None, "SparseReshape", "only one output dimension may be -1"
                                   " [Op:SparseReshape]")
    if -1 in new:
        known = int(np.prod([d for d in new if d != -1]))
        if known == 0 or total % known:
            raise InvalidArgumentError(
                None, "SparseReshape", f"Input to reshape is a SparseTensor with {total} dense "
                f"values, but the requested shape requires a multiple of {known}. "
                f"inputShape={_fmt(old)} outputShape={_fmt(new)} [Op:SparseReshape]")
        new[new.index(-1)] = total // known
    if int(np.prod(new)) != total:
        raise InvalidArgumentError(
            None, "SparseReshape", f"Input to reshape is a tensor with {total} dense values, "
            f"but the requested shape has {int(np.prod(new))}. inputShape={_fmt(old)} "
            f"outputShape={_fmt(new)} [Op:SparseReshape]")
    flat = _row_major_keys(index, old)
    out = np.stack(np.unravel_index(flat, new), axis=1) if flat.size else \
        np.zeros((0, len(new)), np.int64)
    return sparse_const(out, sp.values, new)


def concat(axis, sp_inputs, name=None, expand_nonconcat_dims=False, concat_dim=None):
    """The SparseTensors ``sp_inputs`` joined along ``axis`` (``expand_nonconcat_dims`` widens
    the other dimensions to the largest)."""
    if concat_dim is not None:
        axis = concat_dim
    sps = [_sp(s, "concat") for s in sp_inputs]
    shapes = [_shape(s) for s in sps]
    rank = shapes[0].size
    axis = int(axis)
    if not -rank <= axis < rank:
        raise InvalidArgumentError(None, "SparseConcat", f"Concat dimension out of range: "
                                   f"{axis} for rank {rank} [Op:SparseConcat]")
    axis %= rank
    out_shape = shapes[0].copy()
    if expand_nonconcat_dims:
        out_shape = np.max(np.stack(shapes), axis=0)
    for i, s in enumerate(shapes[1:], 1):
        if s.size != rank:
            raise InvalidArgumentError(None, "SparseConcat", f"Ranks of all input tensors must "
                                       f"match: expected {rank} but got {s.size} at position "
                                       f"{i} [Op:SparseConcat]")
        for d in range(rank):
            if d != axis and s[d] != shapes[0][d] and not expand_nonconcat_dims:
                raise InvalidArgumentError(
                    None, "SparseConcat", f"Input shapes must match: expected {shapes[0][d]} "
                    f"for dimension {d} but got {s[d]} at position {i} [Op:SparseConcat]")
    parts, offset = [], 0
    for s, shp in zip(sps, shapes):
        idx = _idx(s).copy()
        idx[:, axis] += offset
        parts.append(idx)
        offset += int(shp[axis])
    out_shape[axis] = offset
    index = np.concatenate(parts)
    values = _math.identity(sps[0].values) if len(sps) == 1 else \
        _concat_values([s.values for s in sps])
    order = np.lexsort(index.T[::-1]) if index.size else np.arange(index.shape[0])
    return sparse_const(index[order], _take(values, order), out_shape)


def _concat_values(vals):
    return _array.concat(vals, 0)


def expand_dims(sp_input, axis=None, name=None):
    """``sp_input`` with a new dimension of size 1 inserted at ``axis``."""
    sp = _sp(sp_input, "expand_dims")
    index, shape = _idx(sp), _shape(sp)
    rank = shape.size + 1
    axis = -1 if axis is None else int(axis)
    if not -rank <= axis < rank:
        raise InvalidArgumentError(None, "ExpandDims", f"Tried to expand dim index {axis} for "
                                   f"tensor with {rank - 1} dimensions. [Op:ExpandDims]")
    axis %= rank
    index = np.insert(index, axis, 0, axis=1)
    return sparse_const(index, sp.values, np.insert(shape, axis, 1))


# -- reductions --------------------------------------------------------------------------------
def _reduce(kind, sp, axis, keepdims, output_is_sparse):
    index, shape = _idx(sp), _shape(sp)
    rank = shape.size
    if axis is None:
        axes = list(range(rank))
    else:
        raw = _host(axis).tolist() if isinstance(axis, TensorBase) else axis
        raw = raw if isinstance(raw, (list, tuple)) else [raw]
        axes = []
        for a in raw:
            a = int(a)
            if not -rank <= a < rank:
                raise InvalidArgumentError(None, "SparseReduceSum", f"Invalid reduction "
                                           f"dimension {a}, for input with {rank} dimensions. "
                                           "[Op:SparseReduceSum]")
            axes.append(a % rank)
    axes = sorted(set(axes))
    kept = [d for d in range(rank) if d not in axes]
    out_shape = [int(shape[d]) if d in kept else 1 for d in range(rank)] if keepdims else \
        [int(shape[d]) for d in kept]
    out_index = index.copy()
    if keepdims:
        out_index[:, axes] = 0
    else:
        out_index = index[:, kept]
    keys = _row_major_keys(out_index, out_shape) if out_index.shape[1] else \
        np.zeros(out_index.shape[0], np.int64)
    uniq, seg = np.unique(keys, return_inverse=True)
    seg = seg.reshape(-1).astype(np.int64)
    vals = apply(SEGMENT, (sp.values,), {"ids": seg, "n": int(uniq.size), "kind": kind})
    if kind in ("max", "min") and uniq.size == 0:
        vals = sp.values
    uidx = np.stack(np.unravel_index(uniq, out_shape), axis=1) if out_shape and uniq.size else \
        np.zeros((uniq.size, len(out_shape)), np.int64)
    if output_is_sparse:
        return sparse_const(uidx, vals, out_shape)
    if not out_shape:  # every axis reduced: a scalar
        total = vals if uniq.size else const(np.zeros(1, sp.values._v.dtype))
        return _array.reshape(total, ())
    default = const(np.zeros((), sp.values._v.dtype))
    return apply(SPARSE_TO_DENSE, (vals, default),
                 {"index": uidx.astype(np.int64), "shape": tuple(out_shape)})


def reduce_sum(sp_input, axis=None, keepdims=None, output_is_sparse=False, name=None,
               reduction_axes=None, keep_dims=None):
    """The sum of a SparseTensor's entries over ``axis`` (a dense tensor, or sparse with
    ``output_is_sparse``)."""
    if reduction_axes is not None:
        axis = reduction_axes
    keepdims = bool(keepdims if keepdims is not None else keep_dims)
    return _reduce("sum", _sp(sp_input, "reduce_sum"), axis, keepdims, output_is_sparse)


def reduce_max(sp_input, axis=None, keepdims=None, output_is_sparse=False, name=None,
               reduction_axes=None, keep_dims=None):
    """The maximum of a SparseTensor's entries over ``axis`` (a dense tensor, or sparse with
    ``output_is_sparse``)."""
    if reduction_axes is not None:
        axis = reduction_axes
    keepdims = bool(keepdims if keepdims is not None else keep_dims)
    return _reduce("max", _sp(sp_input, "reduce_max"), axis, keepdims, output_is_sparse)


# -- add, maximum, minimum ---------------------------------------------------------------------
def _check_same_shape(opname, a, b):
    sa, sb = _shape(a), _shape(b)
    if sa.size != sb.size:
        raise InvalidArgumentError(None, opname, f"Operands do not have the same ranks; got "
                                   f"shapes: {_fmt(sa)} and {_fmt(sb)} [Op:{opname}]")
    for d in range(sa.size):
        if sa[d] != sb[d]:
            raise InvalidArgumentError(None, opname, f"Operands' shapes do not match: got "
                                       f"{sa[d]} and {sb[d]} for dimension {d} [Op:{opname}]")
    return sa


def _union(a, b, shape):
    """(sorted unique indices of a and b, segment ids of a's rows, of b's rows)."""
    ka, kb = _row_major_keys(_idx(a), shape), _row_major_keys(_idx(b), shape)
    uniq, inv = np.unique(np.concatenate([ka, kb]), return_inverse=True)
    inv = inv.reshape(-1).astype(np.int64)
    index = np.stack(np.unravel_index(uniq, tuple(int(d) for d in shape)), axis=1) \
        if uniq.size else np.zeros((0, shape.size), np.int64)
    return index, inv[:ka.size], inv[ka.size:], uniq.size


def add(a, b, threshold=0, thresh=None, name=None):
    """sparse + sparse -> sparse (entries below ``threshold`` in magnitude dropped);
    sparse + dense or dense + sparse -> dense."""
    if thresh is not None:
        threshold = thresh
    if not isinstance(a, SparseTensor) and not isinstance(b, SparseTensor):
        raise TypeError("At least one input should be SparseTensor; do you mean to use tf.add?")
    if not isinstance(a, SparseTensor):
        a, b = b, a
    if not isinstance(b, SparseTensor):
        d = _t(b, a.dtype)
        dense = to_dense(a, validate_indices=False)
        if tuple(d._v.shape) != tuple(dense._v.shape):
            raise InvalidArgumentError(None, "SparseTensorDenseAdd", f"Dimensions of a and b "
                                       f"must match: {_fmt(_shape(a))} vs. "
                                       f"{_fmt(d._v.shape)} [Op:SparseTensorDenseAdd]")
        return _add(dense, d)
    if a.dtype != b.dtype:
        raise InvalidArgumentError(None, "SparseAdd", f"cannot compute SparseAdd as input #4"
                                   f"(zero-based) was expected to be a {a.dtype.name} tensor "
                                   f"but is a {b.dtype.name} tensor [Op:SparseAdd]")
    shape = _check_same_shape("SparseAdd", a, b)
    index, ia, ib, n = _union(a, b, shape)
    vals = apply(SEGMENT, (_array.concat([a.values, b.values], 0),),
                 {"ids": np.concatenate([ia, ib]), "n": n, "kind": "sum"})
    thr = float(_host(threshold)) if isinstance(threshold, TensorBase) else threshold
    if thr:
        keep = np.flatnonzero(np.abs(_host(vals)) >= thr)
        return sparse_const(index[keep], _take(vals, keep), shape)
    return sparse_const(index, vals, shape)


def _elementwise_union(op, a, b, opname):
    shape = _check_same_shape(opname, a, b)
    index, ia, ib, n = _union(a, b, shape)
    zero = const(np.zeros(n, a.values._v.dtype))
    va = tensor_scatter_nd_update(zero, const(ia.reshape(-1, 1)), a.values)
    vb = tensor_scatter_nd_update(zero, const(ib.reshape(-1, 1)), b.values)
    return sparse_const(index, op(va, vb), shape)


def maximum(sp_a, sp_b, name=None):
    """The elementwise maximum of two SparseTensors of the same shape (entries missing in one
    count as zero)."""
    return _elementwise_union(_math.maximum, sp_a, sp_b, "SparseSparseMaximum")


def minimum(sp_a, sp_b, name=None):
    """The elementwise minimum of two SparseTensors of the same shape (entries missing in one
    count as zero)."""
    return _elementwise_union(_math.minimum, sp_a, sp_b, "SparseSparseMinimum")


# -- sparse x dense product --------------------------------------------------------------------
def _spmm_fwd(values, b, rows, cols, nout):
    if isinstance(b, np.ndarray):  # the host
        try:
            from scipy import sparse as sps  # optional: scipy's CSR product is the fast path
        except ImportError:  # products summed per output row
            return _segment_host(values[:, None] * b[cols], rows, nout, "sum")
        a = sps.csr_matrix((values, (rows, cols)), shape=(nout, b.shape[0]))
        return np.asarray(a @ b, dtype=b.dtype)
    xp = xp_of(b)
    out = xp.zeros((nout, b.shape[1]), b.dtype)
    if rows.size:
        xp.add.at(out, xp.asarray(rows), values[:, None] * b[xp.asarray(cols)])
    return out


def _spmm_grad(n, g):
    values, b = n.inputs
    rows, cols = n.attrs["rows"], n.attrs["cols"]
    gv = gb = None
    if n.needs[0]:
        gv = _dense_reduce_sum(multiply(gather(g, const(rows)), gather(b, const(cols))), axis=1)
    if n.needs[1]:
        gb = apply(SPMM, (values, g), {"rows": cols, "cols": rows, "nout": b._v.shape[0]})
    return gv, gb


SPMM = Op("SparseTensorDenseMatMul", _spmm_fwd, _spmm_grad, "fiu")


def sparse_dense_matmul(sp_a, b, adjoint_a=False, adjoint_b=False, name=None):
    """``sp_a @ b`` (either may be the sparse one), with gradients for the sparse values and
    the dense matrix."""
    if not isinstance(sp_a, SparseTensor):
        if not isinstance(b, SparseTensor):
            raise TypeError("sparse_dense_matmul: one of the operands must be a SparseTensor")
        # a @ B == (B^T @ a^T)^T
        out = sparse_dense_matmul(b, _t(sp_a), adjoint_a=not adjoint_b, adjoint_b=not adjoint_a)
        return _dense_transpose(out)
    b = _t(b)
    shape = _shape(sp_a)
    if shape.size != 2 or b._v.ndim != 2:
        raise InvalidArgumentError(None, "SparseTensorDenseMatMul", f"Tensor 'a.shape' and "
                                   f"'b' must be matrices: got shapes {_fmt(shape)} and "
                                   f"{list(b._v.shape)} [Op:SparseTensorDenseMatMul]")
    if sp_a.values._v.dtype != b._v.dtype:
        raise InvalidArgumentError(
            None, "SparseTensorDenseMatMul", "cannot compute SparseTensorDenseMatMul as input "
            f"#3(zero-based) was expected to be a {_tf_name(sp_a.dtype)} tensor but is a "
            f"{_tf_name(b.dtype)} tensor [Op:SparseTensorDenseMatMul]")
    index = _idx(sp_a)
    rows, cols = index[:, 0], index[:, 1]
    m, k = int(shape[0]), int(shape[1])
    if adjoint_a:
        rows, cols, m, k = cols, rows, k, m
    b_eff = _dense_transpose(b) if adjoint_b else b
    if b_eff._v.shape[0] != k:
        raise InvalidArgumentError(
            None, "SparseTensorDenseMatMul", f"Cannot multiply A and B because inner dimension "
            f"does not match: {k} vs. {b_eff._v.shape[0]}.  Did you forget a transpose?  "
            f"Dimensions of A: [{shape[0]}, {shape[1]}).  Dimensions of B: "
            f"[{b._v.shape[0]},{b._v.shape[1]}] [Op:SparseTensorDenseMatMul]")
    _check_bounds("SparseTensorDenseMatMul", index, shape)
    return apply(SPMM, (sp_a.values, b_eff), {"rows": np.ascontiguousarray(rows),
                                              "cols": np.ascontiguousarray(cols), "nout": m})


def _tf_name(d):
    """TF's C++ type name in op errors (float, double, int32...)."""
    return {"float32": "float", "float64": "double", "float16": "half"}.get(d.name, d.name)


# -- to_indicator, fill_empty_rows -------------------------------------------------------------
def to_indicator(sp_input, vocab_size, name=None):
    """A dense boolean tensor, last dimension ``vocab_size``, True at each id of each row of
    ``sp_input``."""
    sp = _sp(sp_input, "to_indicator")
    index, shape = _idx(sp), _shape(sp)
    ids = _host(sp.values).astype(np.int64)
    n = int(vocab_size)
    out = np.zeros(tuple(int(d) for d in shape[:-1]) + (n,), bool)
    if ids.size:
        if (ids < 0).any() or (ids >= n).any():
            raise InvalidArgumentError(None, "SparseToDense", f"values must be in [0, {n}) "
                                       "[Op:SparseToDense]")
        out[tuple(index[:, :-1].T) + (ids,)] = True
    return const(out)


def fill_empty_rows(sp_input, default_value, name=None):
    """``(output, empty_row_indicator)``: every empty row of a 2-D SparseTensor gets one entry
    ``default_value`` at column 0."""
    sp = _sp(sp_input, "fill_empty_rows")
    index, shape = _idx(sp), _shape(sp)
    nrows = int(shape[0])
    has = np.zeros(nrows, bool)
    has[index[:, 0]] = True
    empty = np.flatnonzero(~has)
    extra = np.zeros((empty.size, shape.size), np.int64)
    extra[:, 0] = empty
    all_index = np.concatenate([index, extra])
    fill = _t(default_value, sp.dtype)
    values = _array.concat([sp.values, _array.fill([empty.size], fill)], 0)
    order = np.lexsort(all_index.T[::-1]) if all_index.size else np.arange(0)
    return sparse_const(all_index[order], _take(values, order), shape), const(~has)


def map_values(op, *args, **kwargs):
    """``op`` on the values of the SparseTensors among its arguments (which must share their
    indices and dense shape); the result keeps their indices."""
    sps = [x for x in list(args) + list(kwargs.values()) if isinstance(x, SparseTensor)]
    if not sps:
        raise ValueError("map_values: no SparseTensor among the arguments")
    base = sps[0]
    for o in sps[1:]:
        if o is base:
            continue
        same = (_idx(o).shape == _idx(base).shape and (_idx(o) == _idx(base)).all()
                and (_shape(o) == _shape(base)).all())
        if not same:
            raise InvalidArgumentError(None, "map_values", "map_values: the SparseTensors must "
                                       "have the same indices and dense_shape")
    new_args = [x.values if isinstance(x, SparseTensor) else x for x in args]
    new_kwargs = {k: v.values if isinstance(v, SparseTensor) else v for k, v in kwargs.items()}
    return base.with_values(op(*new_args, **new_kwargs))


def eye(num_rows, num_columns=None, dtype=dtypes.float32, name=None):
    """A sparse identity matrix (ones on the main diagonal)."""
    m = int(num_rows)
    n = m if num_columns is None else int(num_columns)
    k = min(m, n)
    diag = np.arange(k, dtype=np.int64)
    return sparse_const(np.stack([diag, diag], axis=1),
                        const(np.ones(k, dtypes.as_dtype(dtype)._np)), [m, n])


def split(sp_input=None, num_split=None, axis=None, name=None):
    """``num_split`` slices along ``axis``; the first ``size % num_split`` are one longer."""
    sp = _sp(sp_input, "split")
    shape = _shape(sp)
    axis = int(axis) % shape.size
    n, k = int(shape[axis]), int(num_split)
    if k <= 0 or k > max(n, 1):
        raise InvalidArgumentError(None, "SparseSplit", f"num_split must be in [1, {n}] "
                                   f"(the size of dimension {axis}), got {k} [Op:SparseSplit]")
    out, start = [], 0
    for i in range(k):
        size = n // k + (1 if i < n % k else 0)
        begin = np.zeros(shape.size, np.int64)
        begin[axis] = start
        extent = shape.copy()
        extent[axis] = size
        out.append(slice(sp, begin, extent))
        start += size
    return out


def reset_shape(sp_input, new_shape=None):
    """The same values with ``new_shape`` (at least as large) or the tightest shape."""
    sp = _sp(sp_input, "reset_shape")
    index, shape = _idx(sp), _shape(sp)
    if new_shape is None:
        out = index.max(axis=0) + 1 if index.size else np.zeros(shape.size, np.int64)
    else:
        out = np.asarray(_host(_t(new_shape, dtypes.int64)), np.int64)
        if out.shape != shape.shape or (out < shape).any():
            raise ValueError(f"reset_shape: new_shape {out.tolist()} must have rank "
                             f"{shape.size} and be at least the old shape {shape.tolist()}")
    return sparse_const(index, sp.values, out)


def softmax(sp_input, name=None):
    """Softmax over the explicit values of each innermost row (implicit zeros take no part)."""
    sp = _sp(sp_input, "softmax")
    index, shape = _idx(sp), _shape(sp)
    if shape.size < 2:
        raise InvalidArgumentError(None, "SparseSoftmax", "Input should have rank >= 2, but "
                                   f"received shape: {_fmt(shape)} [Op:SparseSoftmax]")
    keys = _row_major_keys(index[:, :-1], shape[:-1])
    uniq, seg = np.unique(keys, return_inverse=True)
    seg = seg.reshape(-1).astype(np.int64)
    n = int(uniq.size)
    ids = const(seg)
    top = apply(SEGMENT, (_math.stop_gradient(sp.values),), {"ids": seg, "n": n, "kind": "max"})
    e = _math.exp(sp.values - gather(top, ids))
    total = apply(SEGMENT, (e,), {"ids": seg, "n": n, "kind": "sum"})
    return sp.with_values(e / gather(total, ids))


def _segment_reduce(data, indices, segment_ids, num_segments, scale):
    data = _t(data)
    idx = np.asarray(_host(_t(indices)), np.int64)
    seg = np.asarray(_host(_t(segment_ids)), np.int64)
    if idx.shape != seg.shape or idx.ndim != 1:
        raise InvalidArgumentError(None, "SparseSegmentSum", f"segment_ids and indices should "
                                   f"have the same size: {seg.shape} vs {idx.shape} "
                                   "[Op:SparseSegmentSum]")
    if seg.size and (np.diff(seg) < 0).any():
        raise InvalidArgumentError(None, "SparseSegmentSum", "segment ids are not increasing "
                                   "[Op:SparseSegmentSum]")
    n = int(num_segments) if num_segments is not None else (int(seg[-1]) + 1 if seg.size
                                                             else 0)
    rows = gather(data, const(idx))
    total = apply(SEGMENT, (rows,), {"ids": seg, "n": n, "kind": "sum"})
    if scale is None:
        return total
    count = np.maximum(np.bincount(seg, minlength=n), 1).astype(data._v.dtype)
    factor = scale(count).reshape((-1,) + (1,) * (data._v.ndim - 1))
    return total * const(factor.astype(data._v.dtype))


def segment_sum(data, indices, segment_ids, num_segments=None, name=None):
    """``out[s] = sum(data[indices[i]] for i where segment_ids[i] == s)``."""
    return _segment_reduce(data, indices, segment_ids, num_segments, None)


def segment_mean(data, indices, segment_ids, num_segments=None, name=None):
    """The mean of ``data``'s rows picked by ``indices``, per segment of ``segment_ids``."""
    return _segment_reduce(data, indices, segment_ids, num_segments, lambda c: 1 / c)


def segment_sqrt_n(data, indices, segment_ids, num_segments=None, name=None):
    """The sum of ``data``'s rows picked by ``indices``, per segment, divided by the square root
    of its size."""
    return _segment_reduce(data, indices, segment_ids, num_segments, lambda c: 1 / np.sqrt(c))


# -- the dispatch of tf ops on SparseTensor arguments ------------------------------------------
# Unary ops with f(0) == 0 keep the sparsity pattern: they apply to the values.
_ZERO_PRESERVING = {_math.ABS, _math.NEG, _math.SIGN, _math.SQUARE, _math.SQRT, _math.SIN,
                    _math.TAN, _math.TANH, _math.ASIN, _math.ATAN, _math.SINH, _math.ASINH,
                    _math.ATANH, _math.EXPM1, _math.LOG1P, _math.FLOOR, _math.CEIL,
                    _math.ROUND, _math.CAST, _math.IDENTITY}


def _dispatch(func, args, kwargs):
    if isinstance(func, Op):
        if func in _ZERO_PRESERVING and len(args) == 1:
            sp = args[0]
            return sp.with_values(apply(func, (sp.values,), kwargs))
        return NotImplemented
    if func is _math.cast:
        sp, dtype = args[0], args[1]
        return sp.with_values(cast(sp.values, dtype))
    return NotImplemented


def _cwise(name):
    """``sp * x`` / ``sp / x``: x (dense or a number) at the sparse positions; sparse result."""

    def f(self, other):
        if isinstance(other, SparseTensor):
            return NotImplemented
        o = _t(other, self.dtype) if not isinstance(other, TensorBase) else other
        if o._v.ndim:
            shape = tuple(int(d) for d in _shape(self))
            full = o if tuple(o._v.shape) == shape else _array.broadcast_to(o, shape)
            o = gather_nd(full, self.indices)
        v = self.values
        out = getattr(v, name)(o)
        return self.with_values(out)

    return f


SparseTensor._dispatch = staticmethod(_dispatch)
SparseTensor.__mul__ = _cwise("__mul__")
SparseTensor.__rmul__ = _cwise("__mul__")
SparseTensor.__truediv__ = _cwise("__truediv__")
SparseTensor.__div__ = SparseTensor.__truediv__
