"""Gathering, scattering and rearranging ops (gather, embedding_lookup, gather_nd, boolean_mask,
pad, reverse, tile, split, unstack, repeat, roll, scatter_nd, meshgrid). Sorting, top_k and
unique are in ``ops/sorting.py``."""
import math as _math

from ..backend import host as np
from ..backend import scatter_add, scatter_extreme, to_host, xp_of
from ..errors import NotFoundError
from ..errors import _invalid as invalid
from ..tensor import TensorBase, TensorShape, const, convert_to_tensor, wrap
from ._core import Op, apply
from .array import STRIDED_SLICE, _ints, broadcast_to, concat, reshape
from .math import cast, equal, maximum, ones_like, sqrt, where
from .reduction import reduce_sum

__all__ = [
    "gather", "gather_nd", "boolean_mask", "pad", "reverse", "tile", "split", "unstack",
    "repeat", "roll", "scatter_nd", "tensor_scatter_nd_update", "tensor_scatter_nd_add",
    "tensor_scatter_nd_sub", "tensor_scatter_nd_min", "tensor_scatter_nd_max", "meshgrid",
    "IndexedSlices",
]

_INDEX_DTYPES = ("int16", "int32", "int64")


def _t(x):
    return x if isinstance(x, TensorBase) else convert_to_tensor(x)


def _int(v):
    """A Python int from an int, NumPy integer or 0-d integer tensor."""
    if isinstance(v, TensorBase):
        v = v.numpy()
    return int(v)


def _indices(x, opname, allowed=_INDEX_DTYPES):
    t = _t(x)
    name = t.dtype.name
    if name not in allowed:
        raise invalid(opname, f"Value for attr 'Tindices' of {name} is not in the list of "
                      f"allowed values: {', '.join(allowed)} (indices shape "
                      f"{list(t._v.shape)})")
    return t


def _shape_text(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


def _first_bad(bad):
    """Position (a tuple) of the first True in a backend bool array."""
    return tuple(int(i) for i in np.argwhere(to_host(bad))[0])


def _add_at(out, key, values):
    """``out[key] += values`` accumulating repeated indices (NumPy's ``add.at``; on CuPy
    ``cupyx.scatter_add``, through the backend)."""
    scatter_add(out, key, values)


# -- gather -------------------------------------------------------------------------------------
def _gather_parts(shape, indices_shape, axis, batch_dims):
    b = _math.prod(shape[:batch_dims])
    a = _math.prod(shape[batch_dims:axis])
    i = _math.prod(shape[axis + 1:])
    q = _math.prod(indices_shape[batch_dims:])
    return b, a, i, q


def _gather_fwd(params, indices, axis, batch_dims):
    xp = xp_of(params)
    _check_range("GatherV2", indices, params.shape[axis])
    if batch_dims == 0:
        r = xp.take(params, indices, axis=axis)
        return r if params.dtype.kind != "O" else np.asarray(r, object)  # a string stays 0-d
    shape = params.shape
    b, a, i, q = _gather_parts(shape, indices.shape, axis, batch_dims)
    p4 = params.reshape(b, a, shape[axis], i)
    bi = xp.arange(b).reshape(b, 1)
    # advanced indices split by a slice go first: (b, q, a, i)
    r = p4[bi, :, indices.reshape(b, q), :].transpose(0, 2, 1, 3)
    return r.reshape(shape[:axis] + indices.shape[batch_dims:] + shape[axis + 1:])


def _add_rows(out, idx, rows):
    """``out[idx[k]] += rows[k]`` for a flat host index, repeated indices adding up: rows
    sorted by index (stably, so the result is the same every run), each run of equal
    indices summed with ``add.reduceat``. NOTE: NumPy's ``add.at`` goes element by element,
    5-10x slower for an embedding's gradient (thousands of rows of tens of features)."""
    order = np.argsort(idx, kind="stable")
    s = idx[order]
    starts = np.flatnonzero(np.concatenate([[True], s[1:] != s[:-1]]))
    out[s[starts]] += np.add.reduceat(rows[order], starts, axis=0)


def _gather_grad_fwd(g, indices, axis, batch_dims, shape):
    """Scatter-add of ``g`` into zeros of ``shape`` along ``axis`` (repeated indices add)."""
    xp = xp_of(g)
    # NOTE: reached with bad indices only inside a tf.function trace, where the forward's
    # error waits until something needs the result (function._Trace.defer)
    _check_range("GatherV2", indices, shape[axis])
    out = xp.zeros(shape, g.dtype)
    if batch_dims == 0 and axis == 0 and xp is np and g.size:  # e.g. an embedding's
        _add_rows(out.reshape(shape[0], -1), indices.reshape(-1),
                  g.reshape(indices.size, -1))
        return out
    if batch_dims == 0:
        _add_at(out, (slice(None),) * axis + (indices,), g)
        return out
    b, a, i, q = _gather_parts(shape, indices.shape, axis, batch_dims)
    out4 = out.reshape(b, a, shape[axis], i)
    g4 = g.reshape(b, a, q, i).transpose(0, 2, 1, 3)
    bi = xp.arange(b).reshape(b, 1)
    _add_at(out4, (bi, slice(None), indices.reshape(b, q), slice(None)), g4)
    return out


def _gather_grad(n, g):
    p, idx = n.inputs
    attrs = dict(n.attrs, shape=p._v.shape)
    return apply(GATHER_GRAD, (g, idx), attrs), None


def _gather_grad_grad(n, gg):
    attrs = {"axis": n.attrs["axis"], "batch_dims": n.attrs["batch_dims"]}
    return apply(GATHER, (gg, n.inputs[1]), attrs), None


GATHER = Op("GatherV2", _gather_fwd, _gather_grad, None, same_dtype=False)
GATHER_GRAD = Op("UnsortedSegmentSum", _gather_grad_fwd, _gather_grad_grad, None,
                 same_dtype=False)


def _check_range(opname, v, n):
    """TF's ``indices[i,j] = v is not in [0, n)`` for the first out-of-range index.

    NOTE: checked inside the forward, so a replayed tf.function plan checks too; out-of-range
    indices always raise, as on TF's CPU (TF's GPU kernel writes zeros instead).
    """
    if v.size == 0:
        return
    bad = (v < 0) | (v >= n)
    if bool(bad.any()):
        pos = _first_bad(bad)
        where = "[" + ",".join(map(str, pos)) + "]" if pos else ""
        value = int(to_host(v)[pos])
        raise invalid(opname, f"indices{where} = {value} is not in [0, {n})")


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """Slices of ``params`` along ``axis`` at ``indices`` (TF's GatherV2, with batch_dims)."""
    p = _t(params)
    idx = _indices(indices, "GatherV2")
    nd, ni = p._v.ndim, idx._v.ndim
    bd = _int(batch_dims)
    if not -ni <= bd <= ni:
        raise invalid("GatherV2", f"Expected batch_dims in the range [{-ni}, {ni}], but got "
                      f"{bd} (indices shape {list(idx._v.shape)})")
    if bd < 0:
        bd += ni
    axis = bd if axis is None else _int(axis)
    if not -nd <= axis < nd:
        need = axis + 1 if axis >= 0 else -axis
        raise invalid("GatherV2", f"Shape must be at least rank {need} but is rank {nd} "
                      f"(params shape {list(p._v.shape)}, axis {axis})")
    axis %= nd
    if bd > axis:
        raise invalid("GatherV2", f"batch_dims ({bd}) must be less than or equal to axis "
                      f"({axis}).")
    for i in range(bd):
        if p._v.shape[i] != idx._v.shape[i]:
            raise invalid("GatherV2", f"params.shape[{i}]: {p._v.shape[i]} should be equal to "
                          f"indices.shape[{i}]: {idx._v.shape[i]} (params shape "
                          f"{list(p._v.shape)}, indices shape {list(idx._v.shape)})")
    return apply(GATHER, (p, idx), {"axis": axis, "batch_dims": bd})


def _gather_raw(t, index_array, axis):
    """gather with indices known to be valid (built here from shapes)."""
    idx = const(xp_of(t._v).asarray(index_array))
    return apply(GATHER, (t, idx), {"axis": axis, "batch_dims": 0})


# -- embedding_lookup: gather from a (sharded) table -------------------------------------------
def embedding_lookup(params, ids, max_norm=None, name=None):
    """Rows of ``params`` at ``ids`` (any shape); the gradient scatter-adds over repeated ids.

    A list of tensors is one table sharded with TF's 'div' strategy (contiguous blocks, the
    first ``rows % shards`` shards one row longer). ``max_norm`` clips each looked-up row's L2
    norm, as TF does.
    """
    if isinstance(params, (list, tuple)):
        shards = [_t(p) for p in params]
        if not shards:
            raise ValueError("Length of params is currently 0. Need at least one param.")
    else:
        shards = [_t(params)]
    idx = _indices(ids, "GatherV2")
    if len(shards) == 1:
        table, flat = shards[0], idx
    else:
        # NOTE: 'div' partitioning: map each id to (shard, local row) as TF does, check the
        # local row against that shard, then gather from the concatenated table.
        sizes = [int(p._v.shape[0]) for p in shards]
        total, k = sum(sizes), len(sizes)
        per, extras = total // k, total % k
        v = np.asarray(idx.numpy(), np.int64)
        shard = np.maximum(v // (per + 1), (v - extras) // max(per, 1))
        local = np.where(shard < extras, v % (per + 1), (v - extras) % max(per, 1))
        for p, size in enumerate(sizes):
            sel = shard == p
            bad = sel & ((local < 0) | (local >= size))
            if bad.any():
                pos = np.argwhere(bad)[0]
                raise invalid("GatherV2", f"indices[{','.join(map(str, pos))}] = "
                              f"{int(local[tuple(pos)])} is not in [0, {size})")
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        glob = (offsets[np.clip(shard, 0, k - 1)] + local).astype(idx._v.dtype)
        xp = xp_of(idx._v)
        flat = wrap(glob if xp is np else xp.asarray(glob))
        table = concat(shards, axis=0)
    rows = gather(table, flat)
    if max_norm is not None:
        rows = _clip_rows(rows, max_norm, idx._v.ndim)
    return rows


def _clip_rows(rows, max_norm, id_rank):
    """Scale each looked-up row so its L2 norm is at most ``max_norm`` (TF's clip_by_norm)."""
    axes = list(range(id_rank, rows._v.ndim))
    if not axes:
        return rows
    mx = cast(max_norm, rows.dtype) if isinstance(max_norm, TensorBase) else max_norm
    sq = reduce_sum(rows * rows, axis=axes, keepdims=True)
    # NOTE: all-zero rows take norm 0 through a safe sqrt, so their gradient stays finite.
    live = sq > 0
    norm = where(live, sqrt(where(live, sq, ones_like(sq))), sq)
    return rows * mx / maximum(norm, mx)


# -- gather_nd / scatter_nd ---------------------------------------------------------------------
def _nd_key(xp, indices, batch_dims):
    """The advanced-index tuple addressing ``indices`` (last axis = coordinates)."""
    k = indices.shape[-1]
    if batch_dims == 0:
        return tuple(indices[..., j] for j in range(k))
    b = _math.prod(indices.shape[:batch_dims])
    flat = indices.reshape(b, -1, k) if indices.size else indices.reshape(b, 0, k)
    bi = xp.arange(b).reshape(b, 1)
    return (bi,) + tuple(flat[..., j] for j in range(k))


def _gather_nd_fwd(params, indices, batch_dims):
    xp = xp_of(params)
    shape = params.shape
    _check_nd_range("GatherNd", indices, shape[batch_dims:batch_dims + indices.shape[-1]],
                    f"param shape {_shape_text(shape)}, node name: GatherNd", False)
    k = indices.shape[-1]
    q = indices.shape[:-1]
    tail = params.shape[batch_dims + k:]
    if k == 0:
        expand = params.reshape(params.shape[:batch_dims] + (1,) * (len(q) - batch_dims) + tail)
        return xp.broadcast_to(expand, q + tail).copy()
    if batch_dims:
        b = _math.prod(params.shape[:batch_dims])
        params = params.reshape((b,) + params.shape[batch_dims:])
    return xp.asarray(params[_nd_key(xp, indices, batch_dims)]).reshape(q + tail)


def _scatter_nd_fwd(updates, indices, shape, batch_dims):
    """Zeros of ``shape`` plus ``updates`` added at ``indices`` (duplicates accumulate)."""
    if not batch_dims:  # with batch_dims it is gather_nd's gradient: indices checked there
        _scatter_range("ScatterNd", indices, shape)
    xp = xp_of(updates)
    out = xp.zeros(shape, updates.dtype)
    _scatter_into(out, indices, updates, batch_dims, True)
    return out


def _scatter_into(out, indices, updates, batch_dims, add):
    xp = xp_of(out)
    k = indices.shape[-1]
    tail = out.shape[batch_dims + k:]
    if k == 0:
        lead = out.shape[:batch_dims]
        u = updates.reshape(lead + (-1,) + tail) if updates.size else \
            updates.reshape(lead + (0,) + tail)
        if add:
            out += u.sum(axis=batch_dims)
        elif u.shape[batch_dims]:
            out[...] = xp.take(u, -1, axis=batch_dims)
        return
    view = out
    if batch_dims:
        b = _math.prod(out.shape[:batch_dims])
        view = out.reshape((b,) + out.shape[batch_dims:])
    key = _nd_key(xp, indices, batch_dims)
    vals = updates.reshape(key[-1].shape + tail)
    if add:
        _add_at(view, key, vals)
    else:
        view[key] = vals


def _gather_nd_grad(n, g):
    p, idx = n.inputs
    attrs = {"shape": p._v.shape, "batch_dims": n.attrs["batch_dims"]}
    return apply(SCATTER_ND, (g, idx), attrs), None


def _scatter_nd_grad(n, g):
    return apply(GATHER_ND, (g, n.inputs[1]), {"batch_dims": n.attrs["batch_dims"]}), None


GATHER_ND = Op("GatherNd", _gather_nd_fwd, _gather_nd_grad, None, same_dtype=False)
SCATTER_ND = Op("ScatterNd", _scatter_nd_fwd, _scatter_nd_grad, None, same_dtype=False)


def _check_nd_range(opname, v, dims, what, flat):
    """TF's ``indices[i] = [a, b] does not index into <what>`` for the first bad index vector
    (``flat``: the position counts index vectors, as ScatterNd reports it)."""
    if v.size == 0 or not dims:
        return
    xp = xp_of(v)
    bad = ((v < 0) | (v >= xp.asarray(dims, dtype=v.dtype))).any(axis=-1)
    if bool(bad.any()):
        if flat:
            bad = bad.reshape(-1)
            v = v.reshape(-1, v.shape[-1])
        pos = _first_bad(bad)
        coords = ", ".join(str(int(c)) for c in to_host(v)[pos])
        where = ",".join(map(str, pos))
        raise invalid(opname, f"indices[{where}] = [{coords}] does not index into {what}")


def gather_nd(params, indices, batch_dims=0, name=None):
    """Slices of ``params`` addressed by the index vectors in the last axis of ``indices``."""
    p = _t(params)
    idx = _indices(indices, "GatherNd")
    pshape, ishape = p._v.shape, idx._v.shape
    if idx._v.ndim == 0:
        raise invalid("GatherNd", f"indices must be at least a vector (indices shape [], params "
                      f"shape {list(pshape)})")
    bd = _int(batch_dims)
    if bd < 0 or bd >= idx._v.ndim or bd > p._v.ndim:
        raise invalid("GatherNd", f"batch_dims = {bd} must be in [0, {idx._v.ndim}) and at most "
                      f"the params rank {p._v.ndim} (params shape {list(pshape)}, indices shape "
                      f"{list(ishape)})")
    if pshape[:bd] != ishape[:bd]:
        raise invalid("GatherNd", f"Batch dimensions of params {list(pshape)} and indices "
                      f"{list(ishape)} must match in the first {bd} dimensions")
    k = ishape[-1]
    if k > p._v.ndim - bd:
        raise invalid("GatherNd", f"index innermost dimension length must be <= params rank; "
                      f"saw: {k} vs. {p._v.ndim - bd} (params shape {list(pshape)}, indices "
                      f"shape {list(ishape)})")
    return apply(GATHER_ND, (p, idx), {"batch_dims": bd})


def _check_scatter_shapes(opname, ishape, ushape, shape):
    """updates.shape must be indices.shape[:-1] + shape[k:] (TF's ScatterNd checks)."""
    k = ishape[-1] if ishape else 0
    if k > len(shape):
        raise invalid(opname, f"Inner dimensions of output shape must match inner dimensions of "
                      f"updates shape. Output: {_shape_text(shape)} updates: "
                      f"{_shape_text(ushape)} (indices shape {_shape_text(ishape)})")
    lead = ishape[:-1]
    if tuple(ushape[:len(lead)]) != tuple(lead):
        raise invalid(opname, f"Dimensions [0,{len(lead)}) of indices[shape="
                      f"{_shape_text(ishape)}] must match dimensions [0,{len(lead)}) of "
                      f"updates[shape={_shape_text(ushape)}]")
    if tuple(ushape[len(lead):]) != tuple(shape[k:]):
        raise invalid(opname, f"The inner {len(shape) - k} dimensions of output.shape="
                      f"{_shape_text(shape)} must match the inner {len(shape) - k} dimensions "
                      f"of updates.shape={_shape_text(ushape)} (indices shape "
                      f"{_shape_text(ishape)})")


def _scatter_range(opname, v, shape):
    _check_nd_range(opname, v, tuple(shape[:v.shape[-1]]), f"shape {_shape_text(shape)}", True)


def scatter_nd(indices, updates, shape, name=None):
    """Zeros of ``shape`` with ``updates`` added at ``indices`` (repeated indices sum)."""
    idx = _indices(indices, "ScatterNd")
    u = _t(updates)
    shape = tuple(_ints(shape))
    if idx._v.ndim == 0:
        raise invalid("ScatterNd", "Indices must be at least a vector (indices shape [])")
    _check_scatter_shapes("ScatterNd", idx._v.shape, u._v.shape, shape)
    return apply(SCATTER_ND, (u, idx), {"shape": shape, "batch_dims": 0})


def _tensor_scatter_fwd(kind):
    """The forward of TensorScatter<kind>: a copy of ``tensor`` with ``updates`` written,
    added, subtracted or min/max-combined at ``indices``. ``opname`` names the op in range
    errors (a Variable's scatter methods reuse these forwards as ResourceScatterNd...)."""
    default = "TensorScatter" + kind

    def fwd(tensor, indices, updates, opname=default):
        _scatter_range(opname, indices, tensor.shape)
        out = tensor.copy()
        if kind == "Update":
            _scatter_into(out, indices, updates, 0, False)
        elif kind == "Add":
            _scatter_into(out, indices, updates, 0, True)
        elif kind == "Sub":
            _scatter_into(out, indices, -updates, 0, True)
        else:
            _scatter_extreme_into(out, indices, updates, kind == "Max")
        return out

    fwd.__name__ = f"_tensor_scatter_{kind.lower()}_fwd"
    return fwd


def _scatter_extreme_into(out, indices, updates, is_max):
    """``out[i] = max(out[i], u)`` (or min) over every update, repeated indices included.
    NaN updates are ignored and NaN entries of ``out`` stay NaN, as TF's CPU kernel does
    (it replaces a value only by a strictly greater, or smaller, one)."""
    xp = xp_of(out)
    k = indices.shape[-1]
    tail = out.shape[k:]
    if k == 0:  # every update combines with the whole tensor
        vals = updates.reshape((-1,) + tail)
        key, view = (xp.zeros(vals.shape[0], dtype="int64"),), out.reshape((1,) + tail)
    else:
        key, view = _nd_key(xp, indices, 0), out
        vals = updates.reshape(key[-1].shape + tail)
    if vals.dtype.kind == "f":
        vals = xp.where(xp.isnan(vals), -xp.inf if is_max else xp.inf, vals).astype(vals.dtype)
    with np.errstate(invalid="ignore"):  # NaN entries of ``out`` stay NaN, quietly
        scatter_extreme(view, key, vals, is_max)


def _tensor_scatter_update_grad(n, g):
    t, idx, u = n.inputs
    gt = gu = None
    if n.needs[0]:
        zeros = const(xp_of(u._v).zeros(u._v.shape, g._v.dtype))
        gt = apply(TENSOR_SCATTER_UPDATE, (g, idx, zeros), {})
    if n.needs[2]:
        gu = apply(GATHER_ND, (g, idx), {"batch_dims": 0})
    return gt, None, gu


def _tensor_scatter_add_grad(n, g):
    gu = apply(GATHER_ND, (g, n.inputs[1]), {"batch_dims": 0}) if n.needs[2] else None
    return g, None, gu


def _tensor_scatter_sub_grad(n, g):
    gu = -apply(GATHER_ND, (g, n.inputs[1]), {"batch_dims": 0}) if n.needs[2] else None
    return g, None, gu


def _tensor_scatter_extreme_grad(n, g):
    """TF's rule: the gradient goes to every input equal to the result, split evenly among
    ties (the tensor's entry and each update that reached it)."""
    t, idx, u = n.inputs
    out = n.out
    dtype = g.dtype
    t_hit = cast(equal(t, out), dtype)
    u_hit = cast(equal(u, apply(GATHER_ND, (out, idx), {"batch_dims": 0})), dtype)
    count = apply(TENSOR_SCATTER_ADD, (t_hit, idx, u_hit), {})
    share = g / count
    gt = t_hit * share if n.needs[0] else None
    gu = u_hit * apply(GATHER_ND, (share, idx), {"batch_dims": 0}) if n.needs[2] else None
    return gt, None, gu


TENSOR_SCATTER_UPDATE = Op("TensorScatterUpdate", _tensor_scatter_fwd("Update"),
                           _tensor_scatter_update_grad, None, same_dtype=False)
TENSOR_SCATTER_ADD = Op("TensorScatterAdd", _tensor_scatter_fwd("Add"),
                        _tensor_scatter_add_grad, None, same_dtype=False)
TENSOR_SCATTER_SUB = Op("TensorScatterSub", _tensor_scatter_fwd("Sub"),
                        _tensor_scatter_sub_grad, None, same_dtype=False)
TENSOR_SCATTER_MIN = Op("TensorScatterMin", _tensor_scatter_fwd("Min"),
                        _tensor_scatter_extreme_grad, None, same_dtype=False)
TENSOR_SCATTER_MAX = Op("TensorScatterMax", _tensor_scatter_fwd("Max"),
                        _tensor_scatter_extreme_grad, None, same_dtype=False)
_SCATTER_OPS = {"update": TENSOR_SCATTER_UPDATE, "add": TENSOR_SCATTER_ADD,
                "sub": TENSOR_SCATTER_SUB, "min": TENSOR_SCATTER_MIN, "max": TENSOR_SCATTER_MAX}


def _tf_type(t):
    """The dtype as TF's kernels name it in messages (float32 is 'float')."""
    return {"float16": "half", "float32": "float", "float64": "double"}.get(t.dtype.name,
                                                                          t.dtype.name)


def _tensor_scatter(op, tensor, indices, updates):
    t = _t(tensor)
    allowed = _INDEX_DTYPES + ("uint16",) if op is TENSOR_SCATTER_UPDATE else ("int32", "int64")
    idx = _indices(indices, op.name, allowed)
    u = updates if isinstance(updates, TensorBase) else convert_to_tensor(updates, t.dtype)
    if u._v.dtype != t._v.dtype:
        raise invalid(op.name, f"cannot compute {op.name} as input #2(zero-based) was expected "
                      f"to be a {_tf_type(t)} tensor but is a {_tf_type(u)} tensor")
    if op is not TENSOR_SCATTER_UPDATE and t._v.dtype.kind == "b":
        raise NotFoundError(None, op.name, f"Could not find device for node: {{{{node "
                            f"{op.name}}}}} = {op.name}[T=DT_BOOL]: no kernel for bool tensors "
                            f"[Op:{op.name}]")
    if idx._v.ndim == 0:
        raise invalid(op.name, "Indices must be at least a vector (indices shape [])")
    _check_scatter_shapes(op.name, idx._v.shape, u._v.shape, t._v.shape)
    return apply(op, (t, idx, u), {})


def tensor_scatter_nd_update(tensor, indices, updates, name=None):
    """A copy of ``tensor`` with ``updates`` written at ``indices``.

    NOTE: with repeated indices the last update wins, as TF's CPU kernel does (TF documents
    the order as unspecified).
    """
    return _tensor_scatter(TENSOR_SCATTER_UPDATE, tensor, indices, updates)


def tensor_scatter_nd_add(tensor, indices, updates, name=None):
    """A copy of ``tensor`` with ``updates`` added at ``indices`` (repeated indices sum)."""
    return _tensor_scatter(TENSOR_SCATTER_ADD, tensor, indices, updates)


def tensor_scatter_nd_sub(tensor, indices, updates, name=None):
    """A copy of ``tensor`` with ``updates`` subtracted at ``indices`` (repeated indices sum)."""
    return _tensor_scatter(TENSOR_SCATTER_SUB, tensor, indices, updates)


def tensor_scatter_nd_min(tensor, indices, updates, name=None):
    """A copy of ``tensor`` where each entry at ``indices`` becomes the minimum of itself and
    the updates addressed to it; the gradient is split evenly among tied minima."""
    return _tensor_scatter(TENSOR_SCATTER_MIN, tensor, indices, updates)


def tensor_scatter_nd_max(tensor, indices, updates, name=None):
    """A copy of ``tensor`` where each entry at ``indices`` becomes the maximum of itself and
    the updates addressed to it; the gradient is split evenly among tied maxima."""
    return _tensor_scatter(TENSOR_SCATTER_MAX, tensor, indices, updates)


# -- a Variable's scatter methods -----------------------------------------------------------------
class IndexedSlices:
    """Rows ``values`` of a tensor of shape ``dense_shape`` at ``indices`` (axis 0): what
    ``Variable.scatter_update`` and its family take. Converting it to a tensor sums the rows
    of repeated indices into zeros of ``dense_shape``.

    NOTE: tapeflow's gradients are always dense tensors; TF returns IndexedSlices for the
    gradient of ``gather`` (``tf.convert_to_tensor`` turns either into the same values).
    """

    def __init__(self, values, indices, dense_shape=None):
        self._values = _t(values)
        self._indices = _t(indices)
        self._dense_shape = None if dense_shape is None else _t(dense_shape)

    values = property(lambda self: self._values)
    indices = property(lambda self: self._indices)
    dense_shape = property(lambda self: self._dense_shape)
    dtype = property(lambda self: self._values.dtype)
    device = property(lambda self: self._values.device)

    @property
    def shape(self):
        if self._dense_shape is None:
            return TensorShape(None)
        return TensorShape([int(d) for d in to_host(self._dense_shape._v)])

    def __str__(self):
        extra = "" if self._dense_shape is None else f", dense_shape={self._dense_shape!s}"
        return f"IndexedSlices(indices={self._indices!s}, values={self._values!s}{extra})"

    def __neg__(self):
        return IndexedSlices(-self._values, self._indices, self._dense_shape)

    def __tf_tensor__(self, dtype=None, name=None):
        if self._dense_shape is None:
            raise ValueError("Tensor conversion requested for IndexedSlices for argument "
                             f"`value` without dense_shape: {self}")
        shape = tuple(int(d) for d in to_host(self._dense_shape._v))
        idx = reshape(self._indices, [-1, 1])
        rows = reshape(self._values, [-1] + list(shape[1:]))
        out = scatter_nd(idx, rows, shape)
        if dtype is not None and out.dtype != dtype:
            return convert_to_tensor(out, dtype)  # raises TF's ValueError
        return out


def _resource_shape_check(opname, ishape, ushape, shape):
    """TF's ResourceScatterNd shape checks: updates = indices[:-1] + shape[k:]."""
    k = ishape[-1]
    b = len(ishape) - 1
    if k > len(shape):
        raise invalid(opname, f"Output must have rank at least {k} (the last dimension of "
                      f"indices), got shape {_shape_text(shape)} (indices shape "
                      f"{_shape_text(ishape)})")
    if tuple(ushape[:b]) != tuple(ishape[:b]):
        raise invalid(opname, f"Dimensions [0,{b}) of indices[shape={_shape_text(ishape)}] must "
                      f"match dimensions [0,{b}) of updates[shape={_shape_text(ushape)}]")
    if tuple(ushape[b:]) != tuple(shape[k:]):
        raise invalid(opname, f"Dimensions [{k},{len(shape)}) of input[shape="
                      f"{_shape_text(shape)}] must match dimensions [{b},{len(ushape)}) of "
                      f"updates[shape={_shape_text(ushape)}]")


def resource_scatter_nd(kind, tensor, indices, updates):
    """The value a variable holding ``tensor`` takes after ``Variable.scatter_nd_<kind>``
    (``kind``: update, add, sub, min, max), with TF's ResourceScatterNd<Kind> checks."""
    opname = "ResourceScatterNd" + kind.capitalize()
    idx = _indices(indices, opname, ("int32", "int64"))
    u = convert_to_tensor(updates, tensor.dtype)  # a tensor of another dtype: ValueError
    if idx._v.ndim == 0:
        raise invalid(opname, "Indices must be at least a vector (indices shape [])")
    _resource_shape_check(opname, idx._v.shape, u._v.shape, tensor._v.shape)
    return apply(_SCATTER_OPS[kind], (tensor, idx, u), {"opname": opname})


def _scatter_rows_fwd(tensor, indices, updates, kind, opname):
    """``tensor`` with each row ``indices[i]`` combined with ``updates[i]`` in turn (mul, div:
    the kinds without a TensorScatter op; no gradient, as TF has none)."""
    xp = xp_of(tensor)
    n = tensor.shape[0]
    flat = to_host(indices).reshape(-1)
    bad = (flat < 0) | (flat >= n)
    if bad.any():
        i = int(np.argmax(bad))
        raise invalid(opname, f"indices[{i}] = {int(flat[i])} is not in [0, {n})")
    vals = to_host(updates).reshape((flat.size,) + tensor.shape[1:])
    out = to_host(tensor).copy()
    if kind == "mul":
        np.multiply.at(out, flat, vals)
    elif out.dtype.kind == "f":
        np.divide.at(out, flat, vals)
    else:
        if (vals == 0).any():
            raise invalid(opname, "updates must not contain 0")
        for i, row in zip(flat, vals):  # C's division: the quotient truncated toward zero
            q = np.abs(out[i]) // np.abs(row)
            out[i] = np.where((out[i] < 0) != (row < 0), -q, q)
    return out if xp is np else xp.asarray(out)


SCATTER_ROWS = Op("ResourceScatter", _scatter_rows_fwd, None, None, same_dtype=False)


def resource_scatter(kind, tensor, sparse_delta):
    """The value a variable holding ``tensor`` takes after ``Variable.scatter_<kind>``:
    rows ``sparse_delta.indices`` of the variable combined with ``sparse_delta.values``
    (a scalar value applies to every addressed row)."""
    if not isinstance(sparse_delta, IndexedSlices):
        shown = sparse_delta.numpy() if isinstance(sparse_delta, TensorBase) else sparse_delta
        raise TypeError(f"Argument `sparse_delta` must be a `tf.IndexedSlices`. Received arg: "
                        f"{shown}")
    opname = "ResourceScatter" + kind.capitalize()
    idx = _indices(sparse_delta.indices, opname, ("int32", "int64"))
    u = convert_to_tensor(sparse_delta.values, tensor.dtype)
    shape = tensor._v.shape
    want = idx._v.shape + shape[1:]
    if u._v.ndim == 0:
        u = broadcast_to(u, want)
    elif u._v.shape != want:
        raise invalid(opname, f"Must have updates.shape = indices.shape + params.shape[1:] or "
                      f"updates.shape = [], got updates.shape {_shape_text(u._v.shape)}, "
                      f"indices.shape {_shape_text(idx._v.shape)}, params.shape "
                      f"{_shape_text(shape)}")
    if kind in ("mul", "div"):
        return apply(SCATTER_ROWS, (tensor, idx, u), {"kind": kind, "opname": opname})
    flat = to_host(idx._v).reshape(-1)
    bad = (flat < 0) | (flat >= shape[0])
    if bad.any():
        i = int(np.argmax(bad))
        raise invalid(opname, f"indices[{i}] = {int(flat[i])} is not in [0, {shape[0]})")
    nd = reshape(idx, list(idx._v.shape) + [1])
    return apply(_SCATTER_OPS[kind], (tensor, nd, u), {"opname": opname})


def resource_batch_scatter_update(tensor, sparse_delta):
    """``Variable.batch_scatter_update``: indices of shape ``batch + [n]`` address rows of the
    variable's axis ``len(batch)`` within each batch entry."""
    if not isinstance(sparse_delta, IndexedSlices):
        raise TypeError(f"Argument `sparse_delta` must be a `tf.IndexedSlices`. Received arg: "
                        f"{sparse_delta}")
    idx = _t(sparse_delta.indices)
    if idx._v.ndim <= 1:
        return resource_scatter("update", tensor, sparse_delta)
    ishape = idx._v.shape
    grids = np.meshgrid(*[np.arange(d) for d in ishape], indexing="ij")[:-1]
    coords = [g.astype(idx._v.dtype) for g in grids] + [to_host(idx._v)]
    nd = np.stack(coords, axis=-1)
    return tensor_scatter_nd_update(tensor, const(place_index(tensor, nd)),
                                    sparse_delta.values)


def place_index(like, a):
    """A host index array moved next to ``like``'s backend array."""
    xp = xp_of(like._v)
    return a if xp is np else xp.asarray(a)


# -- boolean_mask -------------------------------------------------------------------------------
def boolean_mask(tensor, mask, axis=None, name="boolean_mask"):
    """Elements (or slices) of ``tensor`` where ``mask`` is true, flattened over mask's axes.

    NOTE: a negative ``axis`` counts from the end; TF 2.21 rejects it with a shape error.
    """
    t = _t(tensor)
    m = _t(mask)
    md = m._v.ndim
    if md == 0:
        raise ValueError("mask cannot be scalar.")
    shape = t._v.shape
    axis = 0 if axis is None else _int(axis)
    if axis < 0:
        axis += len(shape)
    part = shape[axis:axis + md] if 0 <= axis else ()
    if tuple(part) != tuple(m._v.shape):
        raise ValueError(f"Shapes {tuple(part)} and {tuple(m._v.shape)} are incompatible "
                         f"(boolean_mask of a tensor of shape {tuple(shape)} at axis {axis})")
    n = _math.prod(part)
    flat = reshape(t, shape[:axis] + (n,) + shape[axis + md:])
    keep = apply(WHERE_FLAT, (m,), {})
    return apply(GATHER, (flat, keep), {"axis": axis, "batch_dims": 0})


WHERE_FLAT = Op("Where", lambda m: xp_of(m).nonzero(m.reshape(-1))[0], None, None,
                value_shaped=True)


# -- pad ----------------------------------------------------------------------------------------
def _pad_fwd(a, paddings, value):
    if not paddings:  # a scalar
        return a
    if a.dtype.kind == "O":  # strings: np.pad would store the fill as np.bytes_
        out = xp_of(a).full(tuple(d + lo + hi for d, (lo, hi) in zip(a.shape, paddings)),
                            value, object)
        out[tuple(slice(lo, lo + d) for d, (lo, _) in zip(a.shape, paddings))] = a
        return out
    return xp_of(a).pad(a, paddings, mode="constant", constant_values=value)


def _pad_grad(n, g):
    x = n.inputs[0]
    key = tuple(slice(lo, lo + d) for (lo, _), d in zip(n.attrs["paddings"], x._v.shape))
    return (apply(STRIDED_SLICE, (g,), {"key": key}),)


def _mirror_map(n, lo, hi, mode):
    return np.pad(np.arange(n), (lo, hi), mode=mode)


def _mirror_fwd(a, paddings, mode):
    if not paddings:
        return a
    return xp_of(a).pad(a, paddings, mode=mode)


def _mirror_grad(n, g):
    """Fold the mirrored borders back: one scatter-add per padded axis."""
    x = n.inputs[0]
    mode = n.attrs["mode"]
    xp = xp_of(g._v)
    for axis, ((lo, hi), d) in enumerate(zip(n.attrs["paddings"], x._v.shape)):
        if lo or hi:
            idx = const(xp.asarray(_mirror_map(d, lo, hi, mode)))
            shape = g._v.shape[:axis] + (d,) + g._v.shape[axis + 1:]
            g = apply(GATHER_GRAD, (g, idx), {"axis": axis, "batch_dims": 0, "shape": shape})
    return (g,)


PAD = Op("PadV2", _pad_fwd, _pad_grad, None)
MIRROR_PAD = Op("MirrorPad", _mirror_fwd, _mirror_grad, None)


def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    """Pad with a constant, or mirror the borders (REFLECT excludes, SYMMETRIC includes them)."""
    t = _t(tensor)
    m = str(mode).upper()
    if m not in ("CONSTANT", "REFLECT", "SYMMETRIC"):
        raise ValueError('Value of argument `mode` expected to be one of "CONSTANT", '
                         f'"REFLECT", or "SYMMETRIC". Received `mode` = {mode}')
    p = _t(paddings)
    opname = "Pad" if m == "CONSTANT" else "MirrorPad"
    if p.dtype.name not in ("int32", "int64"):
        raise invalid(opname, f"Value for attr 'Tpaddings' of {p.dtype.name} is not in the list "
                      "of allowed values: int32, int64")
    shape = t._v.shape
    pv = np.asarray(p.numpy())
    if pv.ndim != 2 or pv.shape[1] != 2 or pv.shape[0] != len(shape):
        raise invalid(opname, f"The first dimension of paddings must be the rank of inputs"
                      f"{_shape_text(pv.shape)} {_shape_text(shape)}")
    pads = tuple((int(lo), int(hi)) for lo, hi in pv.tolist())
    for (lo, hi), d in zip(pads, shape):
        if lo < 0 or hi < 0:
            raise invalid(opname, f"Paddings must be non-negative: {lo} {hi} (input shape "
                          f"{_shape_text(shape)})")
        if m == "REFLECT" and (lo >= d or hi >= d):
            raise invalid(opname, f"paddings must be less than the dimension size: {lo}, {hi} "
                          f"not less than {d} (input shape {_shape_text(shape)})")
        if m == "SYMMETRIC" and (lo > d or hi > d):
            raise invalid(opname, f"paddings must be no greater than the dimension size: {lo}, "
                          f"{hi} greater than {d} (input shape {_shape_text(shape)})")
    if m == "CONSTANT":
        cv = constant_values
        if t._v.dtype.kind == "O" and type(cv) is int and cv == 0:
            cv = b""  # TF pads strings with b"" for the default 0
        cv = cv if isinstance(cv, TensorBase) else convert_to_tensor(cv, t.dtype)
        if cv._v.dtype != t._v.dtype:
            raise invalid("PadV2", f"constant_values dtype {cv.dtype.name} does not match input "
                          f"dtype {t.dtype.name}")
        # NOTE: constant_values is an attribute here, so no gradient reaches it (TF's PadV2
        # gradient also returns None for it).
        return apply(PAD, (t,), {"paddings": pads, "value": cv.numpy()})
    return apply(MIRROR_PAD, (t,), {"paddings": pads, "mode": m.lower()})


# -- reverse, tile, roll ------------------------------------------------------------------------
def _reverse_fwd(a, axis):
    return xp_of(a).flip(a, axis=axis) if axis else a


REVERSE = Op("ReverseV2", _reverse_fwd,
             lambda n, g: (apply(REVERSE, (g,), dict(n.attrs)),), None)


def reverse(tensor, axis, name=None):
    """``tensor`` with the given axes reversed."""
    t = _t(tensor)
    a = _t(axis)
    nd = t._v.ndim
    if a._v.ndim != 1:
        raise invalid("ReverseV2", f"'dims' must be 1-dimension, not {a._v.ndim} (input shape "
                      f"{list(t._v.shape)})")
    axes = []
    for i, ax in enumerate(_ints(a)):
        if not -nd <= ax < nd:
            raise invalid("ReverseV2", f"'axis'[{i}] = {ax} is out of valid range [0, {nd - 1}] "
                          f"(input shape {list(t._v.shape)})")
        ax %= nd
        if ax in axes:
            raise invalid("ReverseV2", f"axis {ax} specified more than once.")
        axes.append(ax)
    return apply(REVERSE, (t,), {"axis": tuple(axes)})


def _tile_fwd(a, multiples):
    return xp_of(a).tile(a, multiples) if multiples else a.copy()


def _tile_grad(n, g):
    shape = n.inputs[0]._v.shape
    mult = n.attrs["multiples"]
    if not shape:
        return (g,)
    split = []
    for m, d in zip(mult, shape):
        split += [m, d]
    g = reshape(g, split)
    return (reduce_sum(g, axis=list(range(0, 2 * len(shape), 2))),)


TILE = Op("Tile", _tile_fwd, _tile_grad, None)


def tile(input, multiples, name=None):
    """``input`` repeated ``multiples[i]`` times along each axis i."""
    t = _t(input)
    mult = _ints(multiples)
    nd = t._v.ndim
    if len(mult) != nd:
        raise invalid("Tile", f"Expected multiples argument to be a vector of length {nd} but "
                      f"got length {len(mult)} (input shape {list(t._v.shape)})")
    for i, m in enumerate(mult):
        if m < 0:
            raise invalid("Tile", f"Expected multiples[{i}] >= 0, but got {m}")
    return apply(TILE, (t,), {"multiples": tuple(mult)})


def _roll_fwd(a, shift, axis):
    return xp_of(a).roll(a, shift, axis)


ROLL = Op("Roll", _roll_fwd,
          lambda n, g: (apply(ROLL, (g,), {"shift": tuple(-s for s in n.attrs["shift"]),
                                           "axis": n.attrs["axis"]}),), None)


def roll(input, shift, axis, name=None):
    """Elements shifted cyclically by ``shift`` along ``axis`` (repeated axes add up)."""
    t = _t(input)
    shifts, axes = _ints(shift), _ints(axis)
    nd = t._v.ndim
    if nd == 0:
        raise invalid("Roll", "input must be 1-D or higher")
    if len(shifts) != len(axes):
        raise invalid("Roll", f"shift and axis must have the same size (shift {shifts}, axis "
                      f"{axes})")
    for ax in axes:
        if not -nd <= ax < nd:
            raise invalid("Roll", f"axis {ax} is out of range (input shape {list(t._v.shape)})")
    return apply(ROLL, (t,), {"shift": tuple(shifts), "axis": tuple(a % nd for a in axes)})


def repeat(input, repeats, axis=None, name=None):
    """Each element (or slice along ``axis``) repeated ``repeats`` times; a gather."""
    t = _t(input)
    if axis is None:
        t = reshape(t, [-1])
        axis = 0
    axis = _int(axis)
    nd = t._v.ndim
    if not -nd <= axis < nd:
        raise ValueError(f"axis={axis} out of bounds: expected {-nd}<=axis<{nd}")
    axis %= nd
    n = t._v.shape[axis]
    reps = _ints(repeats)
    if len(reps) == 1:
        reps = reps * n
    if len(reps) != n:
        raise ValueError(f"Dimensions {n} and {len(reps)} are not compatible (repeat of shape "
                         f"{list(t._v.shape)} along axis {axis})")
    for r in reps:
        if r < 0:
            raise invalid("Repeat", f"repeats must be non-negative, got {r}")
    return _gather_raw(t, np.repeat(np.arange(n), reps), axis)


# -- split, unstack -----------------------------------------------------------------------------
def _piece(t, axis, index):
    key = (slice(None),) * axis + (index,)
    if t._v.dtype.kind == "O":
        key += (Ellipsis,)  # a string element stays a 0-d array, not a bare bytes object
    return apply(STRIDED_SLICE, (t,), {"key": key})


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """Pieces of ``value`` along ``axis``: ``n`` equal ones, or the given sizes (one -1)."""
    t = _t(value)
    nd = t._v.ndim
    axis = _int(axis)
    if not -nd <= axis < nd:
        raise invalid("Split", f"-input rank(-{nd}) <= split_dim < input rank ({nd}), but got "
                      f"{axis}")
    axis %= nd
    size = t._v.shape[axis]
    spec = num_or_size_splits
    if isinstance(spec, TensorBase) and spec._v.ndim == 0:
        raise ValueError("Rank-0 tensors are not supported as the num_or_size_splits argument "
                         f"to split. Argument provided: {spec}")
    if isinstance(spec, (int, np.integer)):
        n = int(spec)
        if n < 1:
            raise invalid("Split", f"Value for attr 'num_split' of {n} must be at least "
                          "minimum 1")
        if size % n:
            raise invalid("Split", f"Number of ways to split should evenly divide the split "
                          f"dimension, but got split_dim {axis} (size = {size}) and num_split "
                          f"{n} (input shape {list(t._v.shape)})")
        sizes = [size // n] * n
    else:
        sizes = _ints(spec)
        if num is not None and int(num) != len(sizes):
            raise invalid("SplitV", f"size of the split_tensor must be 1-D and have the same "
                          f"elements as outputs got 1 -D and {len(sizes)} elements")
        if sizes.count(-1) > 1:
            raise invalid("SplitV", "There can only be one -1 in the input.")
        known = sum(s for s in sizes if s != -1)
        bad = any(s < -1 for s in sizes) or known > size or (-1 not in sizes and known != size)
        if bad:
            raise invalid("SplitV", "Determined shape must either match input shape along "
                          "split_dim exactly if fully specified, or be less than the size of "
                          f"the input along split_dim if not fully specified.  Got: {known} "
                          f"(input shape {list(t._v.shape)}, size_splits {sizes})")
        sizes = [size - known if s == -1 else s for s in sizes]
    out, start = [], 0
    for s in sizes:
        out.append(_piece(t, axis, slice(start, start + s)))
        start += s
    return out


def unstack(value, num=None, axis=0, name="unstack"):
    """The slices of ``value`` along ``axis``, each with that axis removed."""
    t = _t(value)
    nd = t._v.ndim
    axis = _int(axis)
    if not -nd <= axis < nd:
        raise ValueError(f"Argument `axis` = {axis} not in range [{-nd}, {nd})")
    axis %= nd
    n = t._v.shape[axis]
    if num is not None and int(num) != n:
        raise invalid("Unpack", f"Input shape axis {axis} must equal {int(num)}, got shape "
                      f"{_shape_text(t._v.shape)}")
    return [_piece(t, axis, i) for i in range(n)]


# -- meshgrid -----------------------------------------------------------------------------------
def meshgrid(*args, **kwargs):
    """N-D coordinate grids from 1-D coordinate vectors ('xy' or 'ij' indexing)."""
    indexing = kwargs.pop("indexing", "xy")
    kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"'{next(iter(kwargs))}' is an invalid keyword argument for this "
                        "function")
    if indexing not in ("xy", "ij"):
        raise ValueError("Argument `indexing` parameter must be either 'xy' or 'ij', got "
                         f"'{indexing}'")
    ts = [reshape(_t(a), [-1]) for a in args]
    n = len(ts)
    shape = [t._v.shape[0] for t in ts]
    if indexing == "xy" and n > 1:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, t in enumerate(ts):
        pos = i
        if indexing == "xy" and n > 1 and i < 2:
            pos = 1 - i
        view = [1] * n
        view[pos] = -1
        out.append(broadcast_to(reshape(t, view), shape))
    return out
