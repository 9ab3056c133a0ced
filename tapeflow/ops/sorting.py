"""Sorting ops: sort, argsort, top_k (one stable argsort op, values taken along the axis, the
gradient put back along it) and unique (first-occurrence order)."""
import collections

from .. import dtypes
from ..backend import host as np
from ..backend import xp_of
from ..errors import _invalid as invalid
from ._core import Op, apply
from .indexing import _add_at, _int, _t

__all__ = ["sort", "argsort", "top_k", "unique", "unique_with_counts"]

TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])
Unique = collections.namedtuple("Unique", ["y", "idx"])
UniqueWithCounts = collections.namedtuple("UniqueWithCounts", ["y", "idx", "count"])


# -- sort, argsort, top_k -----------------------------------------------------------------------
def _take_along_fwd(a, indices, axis):
    return xp_of(a).take_along_axis(a, indices, axis)


def _along_key(xp, indices, axis):
    """Full advanced-index tuple for ``take_along_axis(a, indices, axis)`` positions."""
    nd = indices.ndim
    key = []
    for d, s in enumerate(indices.shape):
        if d == axis:
            key.append(indices)
        else:
            key.append(xp.arange(s).reshape((1,) * d + (s,) + (1,) * (nd - d - 1)))
    return tuple(key)


def _put_along_fwd(g, indices, axis, shape):
    xp = xp_of(g)
    out = xp.zeros(shape, g.dtype)
    _add_at(out, _along_key(xp, indices, axis), g)
    return out


TAKE_ALONG = Op(
    "TakeAlongAxis", _take_along_fwd,
    lambda n, g: (apply(PUT_ALONG, (g, n.inputs[1]),
                        {"axis": n.attrs["axis"], "shape": n.inputs[0]._v.shape}), None),
    None, same_dtype=False)
PUT_ALONG = Op(
    "PutAlongAxisAdd", _put_along_fwd,
    lambda n, g: (apply(TAKE_ALONG, (g, n.inputs[1]), {"axis": n.attrs["axis"]}), None),
    None, same_dtype=False)


def _argsort_fwd(a, axis, descending, k, dtype):
    """Stable argsort; descending keeps equal elements in index order, as TF's top_k does.
    ``k`` keeps the first k along ``axis`` (None: all)."""
    xp = xp_of(a)
    if a.ndim == 0:
        return xp.zeros((), dtype)
    if not descending:
        r = xp.argsort(a, axis=axis, kind="stable")
    else:
        n = a.shape[axis]
        r = xp.flip(n - 1 - xp.argsort(xp.flip(a, axis), axis=axis, kind="stable"), axis)
    if k is not None:
        r = r[(slice(None),) * axis + (slice(0, k),)]
    return r.astype(dtype, copy=False)


ARGSORT = Op("ArgSort", _argsort_fwd, None, None)


def _sort_args(opname, values, axis, direction):
    t = _t(values)
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError("Argument `direction` should be one of ASCENDING, DESCENDING. "
                         f"Received: direction={direction}")
    if t._v.dtype.kind not in "fiu":
        raise invalid(opname, f"Value for attr 'T' of {t.dtype.name} is not in the list of "
                      "allowed values: half, float, double, int8, int16, int32, int64, uint8, "
                      "uint16, uint32, uint64")
    nd = t._v.ndim
    axis = _int(axis)
    if not -nd <= axis < max(nd, 1):
        raise invalid(opname, f"axis {axis} is out of range for input of rank {nd} (shape "
                      f"{list(t._v.shape)})")
    return t, (axis % nd if nd else 0)


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """``values`` sorted along ``axis``; the gradient flows back through the permutation.

    NOTE: NaNs sort last ascending and first descending (NumPy's order); TF's order for
    NaNs differs between directions.
    """
    t, axis = _sort_args("Sort", values, axis, direction)
    if t._v.ndim == 0:
        return t
    perm = apply(ARGSORT, (t,), {"axis": axis, "descending": direction == "DESCENDING",
                                 "k": None, "dtype": np.int64})
    return apply(TAKE_ALONG, (t, perm), {"axis": axis})


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """Indices (int32) that sort ``values`` along ``axis``; always stable."""
    t, axis = _sort_args("ArgSort", values, axis, direction)
    return apply(ARGSORT, (t,), {"axis": axis, "descending": direction == "DESCENDING",
                                 "k": None, "dtype": np.int32})


def top_k(input, k=1, sorted=True, index_type=dtypes.int32, name=None):
    """The ``k`` largest entries of the last axis and their indices (ties: lower index first).

    NOTE: the result is always sorted, also for ``sorted=False`` (TF leaves that order
    unspecified).
    """
    t = _t(input)
    k = _int(k)
    nd = t._v.ndim
    if nd == 0:
        raise invalid("TopKV2", "input must be >= 1-D, got shape []")
    if k < 0:
        raise invalid("TopKV2", f"Need k >= 0, got {k}")
    n = t._v.shape[-1]
    if k > n:
        raise invalid("TopKV2", f"input must have at least k columns. Had {n}, needed {k} "
                      f"(input shape {list(t._v.shape)})")
    if t._v.dtype.kind not in "fiu":
        raise invalid("TopKV2", f"Value for attr 'T' of {t.dtype.name} is not in the list of "
                      "allowed values: real number types")
    idx = apply(ARGSORT, (t,), {"axis": nd - 1, "descending": True, "k": k,
                                "dtype": dtypes.as_dtype(index_type)._np})
    return TopKV2(apply(TAKE_ALONG, (t, idx), {"axis": nd - 1}), idx)


# -- unique -------------------------------------------------------------------------------------
def _unique_fwd(a, part, dtype):
    """One of unique's results (``part``: "y", "idx" or "count"), in first-occurrence order."""
    xp = xp_of(a)
    u, first, inv, counts = xp.unique(a, return_index=True, return_inverse=True,
                                      return_counts=True)
    order = xp.argsort(first, kind="stable")
    if part == "y":
        return u[order]
    if part == "count":
        return counts[order].astype(dtype)
    rank = xp.empty_like(order)
    rank[order] = xp.arange(order.size)
    return rank[inv.reshape(-1)].astype(dtype)


UNIQUE = Op("Unique", _unique_fwd, None, None, value_shaped=True)


def _unique_input(x, opname):
    t = _t(x)
    if t._v.ndim != 1:
        raise invalid(opname, f"unique expects a 1D vector. (input shape {list(t._v.shape)})")
    return t


def unique(x, out_idx=dtypes.int32, name=None):
    """The distinct elements of a 1-D tensor in order of first occurrence, and for each
    element of ``x`` the index of its value in ``y``."""
    t = _unique_input(x, "Unique")
    d = dtypes.as_dtype(out_idx)._np
    return Unique(apply(UNIQUE, (t,), {"part": "y", "dtype": d}),
                  apply(UNIQUE, (t,), {"part": "idx", "dtype": d}))


def unique_with_counts(x, out_idx=dtypes.int32, name=None):
    """``unique`` plus how often each distinct value occurs."""
    t = _unique_input(x, "UniqueWithCounts")
    d = dtypes.as_dtype(out_idx)._np
    return UniqueWithCounts(*(apply(UNIQUE, (t,), {"part": p, "dtype": d})
                              for p in ("y", "idx", "count")))
