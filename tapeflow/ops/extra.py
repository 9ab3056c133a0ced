"""More of TF's public ops: segment reductions, a few special functions, and the small
functional and shape helpers of ``tf.*`` (``map_fn``, ``clip_by_norm``, ``sequence_mask``,
``searchsorted``...). Most are built from existing ops, so their gradients come for free;
the segment reductions and special functions are ops with their own gradient rules.

``__all__`` lists the ``tf.*`` names; ``MATH`` and ``NN`` the ones ``tf.math`` and ``tf.nn``
add.
"""
import builtins as _builtins
import logging as _logging
import math as _pymath
import time as _time

from .. import dtypes, nest
from ..backend import host as np
from ..backend import to_host, xp_of
from ..errors import InvalidArgumentError
from ..errors import _invalid as invalid
from ..tensor import TensorBase, TensorShape, const, convert_to_tensor
from ._core import Op, apply
from .array import concat, reshape, stack, transpose
from .indexing import gather
from .math import (
    cast,
    divide_no_nan,
    equal,
    exp,
    log,
    log1p,
    maximum,
    multiply,
    sqrt,
    square,
    where,
    zeros_like,
)
from .reduction import cumsum, reduce_max, reduce_mean, reduce_sum

__all__ = [
    "atan2", "acosh", "clip_by_norm", "clip_by_global_norm", "sequence_mask",
    "reverse_sequence", "searchsorted", "unravel_index", "map_fn", "foldl", "foldr", "scan",
    "case", "switch_case", "group", "no_op", "control_dependencies", "get_static_value",
    "identity_n", "shape_n", "tuple", "timestamp", "ensure_shape", "broadcast_static_shape",
    "broadcast_dynamic_shape", "dynamic_partition", "dynamic_stitch", "parallel_stack",
    "scalar_mul", "histogram_fixed_width", "histogram_fixed_width_bins", "get_logger",
    "inside_function", "no_gradient", "invert_permutation",
]
MATH = [
    "atan2", "acosh", "segment_sum", "segment_mean", "segment_max", "segment_min",
    "segment_prod", "unsorted_segment_sum", "unsorted_segment_mean", "unsorted_segment_max",
    "unsorted_segment_min", "unsorted_segment_prod", "unsorted_segment_sqrt_n", "lgamma",
    "digamma", "erfc", "erfinv", "xdivy", "xlog1py", "multiply_no_nan", "rint", "scalar_mul",
    "zero_fraction", "is_non_decreasing", "is_strictly_increasing", "cumulative_logsumexp",
    "accumulate_n", "bincount", "confusion_matrix", "in_top_k", "invert_permutation",
    "polyval",
]
NN = ["zero_fraction", "in_top_k", "space_to_depth", "depth_to_space", "crelu",
      "normalize_moments", "sufficient_statistics", "weighted_moments", "log_poisson_loss"]


def _t(x):
    return x if isinstance(x, TensorBase) else convert_to_tensor(x)


def _ints(t):
    return np.asarray(to_host(_t(t)._v)).astype(np.int64)


# -- segment reductions -------------------------------------------------------------------------
def _segment_fwd(data, ids, num, kind):
    xp = xp_of(data)
    shape = (num,) + data.shape[ids.ndim:]
    flat = data.reshape((-1,) + data.shape[ids.ndim:])
    idx = ids.reshape(-1)
    keep = idx >= 0  # negative ids drop their rows, as TF's unsorted segment ops
    flat, idx = flat[keep], idx[keep]
    if kind == "sum":
        out = xp.zeros(shape, data.dtype)
        xp.add.at(out, idx, flat)
    elif kind == "prod":
        out = xp.ones(shape, data.dtype)
        xp.multiply.at(out, idx, flat)
    else:
        low = kind == "max"
        # empty segments hold the dtype's lowest (highest) finite value, as TF
        info = np.finfo(data.dtype) if data.dtype.kind == "f" else np.iinfo(data.dtype)
        fill = info.min if low else info.max
        out = xp.full(shape, fill, data.dtype)
        (xp.maximum if low else xp.minimum).at(out, idx, flat)
    return out


def _segment_grad(n, g):
    data, ids = n.inputs
    kind = n.attrs["kind"]
    safe = where(ids >= 0, ids, zeros_like(ids))
    picked = gather(g, safe)
    mask = cast(ids >= 0, g.dtype)
    mask = reshape(mask, list(ids._v.shape) + [1] * (data._v.ndim - ids._v.ndim))
    if kind == "sum":
        return picked * mask, None
    out = gather(n.out, safe)
    if kind == "prod":
        x = data
        nonzero = cast(x != 0, x.dtype)
        zeros_in = apply(SEGMENT, (1.0 - nonzero, ids), {"num": n.attrs["num"], "kind": "sum"})
        nz_prod = apply(SEGMENT, (where(x != 0, x, zeros_like(x) + 1.0), ids),
                        {"num": n.attrs["num"], "kind": "prod"})
        zc = gather(zeros_in, safe)
        others = where(x != 0, where(zc == 0, out / where(x != 0, x, zeros_like(x) + 1.0),
                                     zeros_like(x)),
                       where(zc == 1, gather(nz_prod, safe), zeros_like(x)))
        return picked * others * mask, None
    # max/min: the gradient goes to the elements equal to their segment's result, shared
    # equally among ties (as TF)
    hit = cast(equal(data, out), g.dtype) * mask
    count = apply(SEGMENT, (hit, ids), {"num": n.attrs["num"], "kind": "sum"})
    return picked * hit / where(gather(count, safe) > 0, gather(count, safe),
                                zeros_like(hit) + 1.0), None


SEGMENT = Op("UnsortedSegmentReduce", _segment_fwd, _segment_grad, None, same_dtype=False)


def _segment(data, segment_ids, num_segments, kind, opname, sorted_ids=False):
    data, ids = _t(data), _t(segment_ids)
    if ids._v.dtype.kind not in "iu":
        raise invalid(opname, f"segment_ids must be an integer tensor, got {ids.dtype.name}")
    shape = data._v.shape
    if _builtins.tuple(shape[:ids._v.ndim]) != _builtins.tuple(ids._v.shape):
        raise invalid(opname, f"data.shape = {list(shape)} does not start with "
                      f"segment_ids.shape = {list(ids._v.shape)}")
    host = _ints(ids)
    if sorted_ids:
        if host.ndim != 1:
            raise invalid(opname, "segment_ids should be a vector")
        if host.size and (np.any(np.diff(host) < 0) or host[0] < 0):
            raise invalid(opname, "segment ids are not increasing")
        num = int(host[-1]) + 1 if host.size else 0
    else:
        num = int(_ints(num_segments))
        if host.size and host.max() >= num:
            raise invalid(opname, f"segment_ids[{int(np.argmax(host >= num))}] = "
                          f"{int(host.max())} is out of range [0, {num})")
    out = apply(SEGMENT, (data, ids), {"num": num, "kind": kind})
    if sorted_ids and kind in ("max", "min"):  # empty segments are 0 for the sorted ops
        counts = np.bincount(host, minlength=num)
        empty = const(np.asarray(counts == 0).reshape((num,) + (1,) * (data._v.ndim - 1)))
        out = where(empty, zeros_like(out), out)
    return out


def segment_sum(data, segment_ids, name=None):
    """Sums of the rows of ``data`` that share a (sorted) segment id."""
    return _segment(data, segment_ids, None, "sum", "SegmentSum", True)


def segment_prod(data, segment_ids, name=None):
    """Products of the rows of ``data`` that share a (sorted) segment id."""
    return _segment(data, segment_ids, None, "prod", "SegmentProd", True)


def segment_max(data, segment_ids, name=None):
    """Maxima of the rows of ``data`` per (sorted) segment id (0 for empty segments)."""
    return _segment(data, segment_ids, None, "max", "SegmentMax", True)


def segment_min(data, segment_ids, name=None):
    """Minima of the rows of ``data`` per (sorted) segment id (0 for empty segments)."""
    return _segment(data, segment_ids, None, "min", "SegmentMin", True)


def segment_mean(data, segment_ids, name=None):
    """Means of the rows of ``data`` per (sorted) segment id (0 for empty segments)."""
    total = segment_sum(data, segment_ids)
    ids = _ints(segment_ids)
    counts = np.bincount(ids, minlength=total._v.shape[0]).astype(total._v.dtype)
    c = const(counts.reshape((-1,) + (1,) * (total._v.ndim - 1)))
    return divide_no_nan(total, c)


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """Sums of the rows of ``data`` per segment id (any order; negative ids are dropped)."""
    return _segment(data, segment_ids, num_segments, "sum", "UnsortedSegmentSum")


def unsorted_segment_prod(data, segment_ids, num_segments, name=None):
    """Products of the rows of ``data`` per segment id (1 for empty segments)."""
    return _segment(data, segment_ids, num_segments, "prod", "UnsortedSegmentProd")


def unsorted_segment_max(data, segment_ids, num_segments, name=None):
    """Maxima of the rows of ``data`` per segment id (the dtype's lowest for empty ones)."""
    return _segment(data, segment_ids, num_segments, "max", "UnsortedSegmentMax")


def unsorted_segment_min(data, segment_ids, num_segments, name=None):
    """Minima of the rows of ``data`` per segment id (the dtype's highest for empty ones)."""
    return _segment(data, segment_ids, num_segments, "min", "UnsortedSegmentMin")


def _unsorted_counts(segment_ids, num_segments, like):
    ids = _ints(segment_ids).reshape(-1)
    counts = np.bincount(ids[ids >= 0], minlength=int(_ints(num_segments)))
    return const(counts.astype(like._v.dtype).reshape((-1,) + (1,) * (like._v.ndim - 1)))


def unsorted_segment_mean(data, segment_ids, num_segments, name=None):
    """Means of the rows of ``data`` per segment id (0 for empty segments)."""
    total = unsorted_segment_sum(data, segment_ids, num_segments)
    return divide_no_nan(total, _unsorted_counts(segment_ids, num_segments, total))


def unsorted_segment_sqrt_n(data, segment_ids, num_segments, name=None):
    """Sums per segment id divided by the square root of the segment's size."""
    total = unsorted_segment_sum(data, segment_ids, num_segments)
    return divide_no_nan(total, sqrt(_unsorted_counts(segment_ids, num_segments, total)))


# -- special functions --------------------------------------------------------------------------
def _float(x, opname):
    t = _t(x)
    if t._v.dtype.kind != "f":
        raise invalid(opname, f"Value for attr 'T' of {t.dtype.name} is not in the list of "
                      "allowed values: bfloat16, half, float, double")
    return t


def _as_dtype(r, dtype):
    """A ``np.frompyfunc`` result as ``dtype``: an array's own cast (a device array stays
    one); a 0-d input gives a Python scalar instead of an array."""
    return r.astype(dtype) if hasattr(r, "astype") else np.asarray(r, dtype)


def _vectorized(fn):
    ufunc = np.frompyfunc(fn, 1, 1)
    return lambda a: _as_dtype(ufunc(a), a.dtype) if a.size else a.copy()


def _lgamma_host(v):
    try:
        return _pymath.lgamma(v)
    except ValueError:  # the poles: +inf, as TF
        return _pymath.inf


_LGAMMA = _vectorized(_lgamma_host)


def _digamma_fwd(a):
    """psi(x): the recurrence psi(x) = psi(x+1) - 1/x up to x >= 10, then the asymptotic
    series; the reflection formula for negative x; NaN at the poles."""
    x = a.astype(np.float64)
    out = np.zeros_like(x)
    neg = x < 0.5
    refl = np.where(neg, 1.0 - x, x)
    acc = np.zeros_like(x)
    y = refl.copy()
    while True:
        small = y < 10.0
        if not small.any():
            break
        acc -= np.where(small, 1.0 / y, 0.0)
        y = np.where(small, y + 1.0, y)
    inv = 1.0 / y
    inv2 = inv * inv
    series = (np.log(y) - 0.5 * inv - inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (
        1.0 / 252 - inv2 * (1.0 / 240 - inv2 / 132)))))
    out = acc + series
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(neg, out - np.pi / np.tan(np.pi * x), out)
    out = np.where((x <= 0) & (x == np.floor(x)), np.nan, out)
    return out.astype(a.dtype)


def _trigamma_fwd(a):
    x = a.astype(np.float64)
    acc = np.zeros_like(x)
    y = x.copy()
    while True:
        small = y < 10.0
        if not small.any():
            break
        acc += np.where(small, 1.0 / (y * y), 0.0)
        y = np.where(small, y + 1.0, y)
    inv = 1.0 / y
    inv2 = inv * inv
    series = inv + 0.5 * inv2 + inv * inv2 * (1.0 / 6 - inv2 * (1.0 / 30 - inv2 * (
        1.0 / 42 - inv2 / 30)))
    return (acc + series).astype(a.dtype)


TRIGAMMA = Op("Polygamma1", _trigamma_fwd, None, "f")
DIGAMMA = Op("Digamma", _digamma_fwd, lambda n, g: (g * apply(TRIGAMMA, (n.inputs[0],), {}),),
             "f")
LGAMMA = Op("Lgamma", _LGAMMA, lambda n, g: (g * apply(DIGAMMA, (n.inputs[0],), {}),), "f")


def lgamma(x, name=None):
    """Elementwise ``log(|Gamma(x)|)`` (+inf at the poles), with its gradient ``digamma``."""
    return apply(LGAMMA, (_float(x, "Lgamma"),), {})


def digamma(x, name=None):
    """Elementwise ``psi(x)``, the derivative of ``lgamma`` (NaN at the poles)."""
    return apply(DIGAMMA, (_float(x, "Digamma"),), {})


_ERF = np.frompyfunc(_pymath.erf, 1, 1)


_erfc_fwd = _vectorized(_pymath.erfc)


ERFC = Op("Erfc", _erfc_fwd,
          lambda n, g: (g * (-1.1283791670955126) * exp(-square(n.inputs[0])),), "f")


def erfc(x, name=None):
    """Elementwise complementary error function ``1 - erf(x)``, accurate for large ``x``."""
    return apply(ERFC, (_float(x, "Erfc"),), {})


def _erfinv_fwd(a):
    """Inverse of erf: an initial guess (Winitzki's approximation), then Newton steps on
    math.erf; +-inf at +-1, NaN outside [-1, 1]."""
    x = a.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = 0.147
        ln = np.log1p(-x * x)
        t = 2.0 / (np.pi * k) + ln / 2.0
        y = np.sign(x) * np.sqrt(np.sqrt(t * t - ln / k) - t)
        for _ in range(4):
            err = _as_dtype(_ERF(y), np.float64) - x if y.size else y
            y = y - err / (1.1283791670955126 * np.exp(-y * y))
        y = np.where(np.abs(x) == 1, np.sign(x) * np.inf, y)
        y = np.where(np.abs(x) > 1, np.nan, y)
    return y.astype(a.dtype)


ERFINV = Op("Erfinv", _erfinv_fwd,
            lambda n, g: (g * 0.8862269254527580 * exp(square(n.out)),), "f")


def erfinv(x, name=None):
    """Elementwise inverse error function (``erf(erfinv(x)) == x`` on [-1, 1])."""
    return apply(ERFINV, (_float(x, "Erfinv"),), {})


def _atan2_grad(n, g):
    y, x = n.inputs
    d = square(x) + square(y)
    return (g * x / d if n.needs[0] else None), (-g * y / d if n.needs[1] else None)


ATAN2 = Op("Atan2", lambda y, x: xp_of(y).arctan2(y, x), _atan2_grad, "f")


def atan2(y, x, name=None):
    """Elementwise angle of the point ``(x, y)``: ``arctan(y / x)`` in the right quadrant."""
    return apply(ATAN2, (y, x), {})


ACOSH = Op("Acosh", lambda a: xp_of(a).arccosh(a),
           lambda n, g: (g / sqrt(square(n.inputs[0]) - 1.0),), "f")


def acosh(x, name=None):
    """Elementwise inverse hyperbolic cosine (NaN below 1)."""
    return apply(ACOSH, (_float(x, "Acosh"),), {})


def xdivy(x, y, name=None):
    """Elementwise ``x / y``, with 0 where ``x`` is 0."""
    x, y = _t(x), _t(y)
    safe = where(equal(x, 0), zeros_like(y) + 1.0, y)
    return where(equal(x, 0), zeros_like(x * safe), x / safe)


def xlog1py(x, y, name=None):
    """Elementwise ``x * log1p(y)``, with 0 where ``x`` is 0."""
    x, y = _t(x), _t(y)
    safe = where(equal(x, 0), zeros_like(y), y)
    return where(equal(x, 0), zeros_like(x * safe), x * log1p(safe))


def multiply_no_nan(x, y, name=None):
    """Elementwise ``x * y``, with 0 where ``y`` is 0 even if ``x`` is NaN or infinite."""
    x, y = _t(x), _t(y)
    safe = where(equal(y, 0), zeros_like(x), x)
    return safe * y


RINT = Op("Rint", lambda a: xp_of(a).rint(a), None, "f")


def rint(x, name=None):
    """Elementwise nearest integer (halves to even), in ``x``'s float dtype."""
    return apply(RINT, (_float(x, "Rint"),), {})


def scalar_mul(scalar, x, name=None):
    """``scalar * x`` for a scalar (a Python number or a 0-d tensor)."""
    s = _t(scalar) if isinstance(scalar, TensorBase) else scalar
    if isinstance(s, TensorBase) and s._v.ndim != 0:
        raise ValueError(f"Only scalar multiply works, got shape {_builtins.tuple(s.shape)}")
    return multiply(s, x) if isinstance(s, TensorBase) else _t(x) * s


def zero_fraction(value, name=None):
    """The fraction of zeros in ``value`` (float32)."""
    t = _t(value)
    return reduce_mean(cast(equal(t, zeros_like(t)), dtypes.float32))


def is_non_decreasing(x, name=None):
    """True when every element is >= the one before it (flattened)."""
    v = np.asarray(to_host(_t(x)._v)).reshape(-1)
    return const(np.bool_(bool(np.all(v[1:] >= v[:-1]))))


def is_strictly_increasing(x, name=None):
    """True when every element is > the one before it (flattened)."""
    v = np.asarray(to_host(_t(x)._v)).reshape(-1)
    return const(np.bool_(bool(np.all(v[1:] > v[:-1]))))


def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False, name=None):
    """``log(cumsum(exp(x)))`` along ``axis``, computed stably."""
    x = _t(x)
    m = reduce_max(x, axis=axis, keepdims=True)
    m = where(equal(m, m), m, zeros_like(m))  # keep NaN out of the shift
    out = log(cumsum(exp(x - m), axis=axis, exclusive=exclusive, reverse=reverse)) + m
    return out


def accumulate_n(inputs, shape=None, tensor_dtype=None, name=None):
    """The elementwise sum of a list of same-shaped tensors."""
    if not inputs:
        raise ValueError("inputs must be a non-empty list of tensors")
    total = _t(inputs[0])
    for t in inputs[1:]:
        total = total + t
    return total


def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=dtypes.int32,
             name=None, axis=None, binary_output=False):
    """How often each value 0..max occurs in ``arr`` (weighted by ``weights``)."""
    a = _ints(arr).reshape(-1)
    if a.size and a.min() < 0:
        raise invalid("Bincount", "Input arr must be non-negative!")
    n = int(a.max()) + 1 if a.size else 0
    if minlength is not None:
        n = max(n, int(minlength))
    if maxlength is not None:
        n = min(n, int(maxlength))
        keep = a < n
    else:
        keep = np.ones(a.shape, bool)
    if weights is not None:
        w = np.asarray(to_host(_t(weights)._v)).reshape(-1)
        out = np.bincount(a[keep], weights=w[keep], minlength=n)[:n].astype(w.dtype)
        return const(out)
    out = np.bincount(a[keep], minlength=n)[:n]
    if binary_output:
        out = (out > 0)
    return const(out.astype(dtypes.as_dtype(dtype)._np))


def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype=dtypes.int32,
                     name=None):
    """``m[i, j]``: how many examples of class ``labels == i`` were predicted ``j``."""
    lab, pred = _ints(labels).reshape(-1), _ints(predictions).reshape(-1)
    if lab.shape != pred.shape:
        raise ValueError(f"labels and predictions must have the same shape, got {lab.shape} "
                         f"and {pred.shape}")
    n = int(num_classes) if num_classes is not None else int(max(lab.max(initial=-1),
                                                                 pred.max(initial=-1)) + 1)
    if (lab < 0).any() or (pred < 0).any() or (lab >= n).any() or (pred >= n).any():
        raise InvalidArgumentError(None, "ConfusionMatrix",
                                   "labels and predictions must be in [0, num_classes)")
    w = np.ones(lab.shape) if weights is None else np.asarray(to_host(_t(weights)._v)).reshape(-1)
    out = np.zeros((n, n), np.float64)
    np.add.at(out, (lab, pred), w)
    return const(out.astype(dtypes.as_dtype(dtype)._np))


def in_top_k(targets, predictions, k, name=None):
    """Whether each example's target class is among its ``k`` highest predictions (TF's
    tie rule: a tie with the k-th value counts as in)."""
    pt = _t(predictions)
    if pt.dtype != dtypes.float32:
        raise InvalidArgumentError(
            None, "InTopKV2", "cannot compute InTopKV2 as input #0(zero-based) was expected to "
            f"be a float tensor but is a {pt.dtype.name} tensor [Op:InTopKV2]")
    p = np.asarray(to_host(pt._v))
    t = _ints(targets)
    if t.ndim != 1 or p.ndim != 2 or p.shape[0] != t.shape[0]:
        raise invalid("InTopKV2", f"predictions must be 2-D and targets 1-D of the same "
                      f"batch, got {list(p.shape)} and {list(t.shape)}")
    target_score = p[np.arange(len(t)), np.clip(t, 0, p.shape[1] - 1)]
    higher = (p > target_score[:, None]).sum(axis=1)
    valid = (t >= 0) & (t < p.shape[1]) & np.isfinite(target_score)
    return const(np.asarray((higher < int(k)) & valid))


def invert_permutation(x, name=None):
    """The inverse permutation: ``y[x[i]] = i``."""
    p = _ints(x)
    if p.ndim != 1 or sorted(p.tolist()) != list(range(p.size)):
        raise invalid("InvertPermutation", f"{p.tolist()} is not a permutation of 0..n-1")
    out = np.empty_like(p)
    out[p] = np.arange(p.size)
    return const(out.astype(_t(x)._v.dtype))


def polyval(coeffs, x, name=None):
    """``coeffs[0] * x**(n-1) + ... + coeffs[n-1]`` by Horner's rule (differentiable)."""
    x = _t(x)
    if not coeffs:
        return zeros_like(x)
    coeffs = [_t(c) for c in coeffs]  # Python numbers become float32 tensors, as in TF
    out = zeros_like(x) + coeffs[0]
    for c in coeffs[1:]:
        out = out * x + c
    return out


# -- functional helpers -------------------------------------------------------------------------
def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True,
           swap_memory=False, infer_shape=True, name=None, fn_output_signature=None):
    """``fn`` applied to each slice of ``elems`` along axis 0 (a nest of tensors), the
    results stacked (eagerly: one call per element)."""
    flat = [_t(e) for e in nest.flatten(elems)]
    if not flat:
        raise ValueError("elems must be a Tensor or (possibly nested) sequence of tensors.")
    n = flat[0]._v.shape[0]
    outs = []
    for i in range(n):
        args = nest.pack_sequence_as(elems, [f[i] for f in flat])
        outs.append(fn(args))
    if not outs:
        raise ValueError("map_fn over zero elements needs fn_output_signature")
    if fn_output_signature is None and dtype is None:
        try:
            nest.assert_same_structure(elems, outs[0])
        except (ValueError, TypeError):
            raise ValueError("The two structures don't have the same nested structure: fn's "
                             "output differs from elems; pass fn_output_signature.") from None
    first = nest.flatten(outs[0])
    stacked = [stack([nest.flatten(o)[j] for o in outs]) for j in range(len(first))]
    return nest.pack_sequence_as(outs[0], stacked)


def _fold(fn, elems, initializer, reverse_order, name):
    flat = [_t(e) for e in nest.flatten(elems)]
    n = flat[0]._v.shape[0]
    order = range(n - 1, -1, -1) if reverse_order else range(n)
    acc = initializer
    start = 0
    if acc is None:
        first = next(iter(order))
        acc = nest.pack_sequence_as(elems, [f[first] for f in flat])
        start = 1
    for k, i in enumerate(order):
        if k < start:
            continue
        acc = fn(acc, nest.pack_sequence_as(elems, [f[i] for f in flat]))
    return acc


def foldl(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """``fn(...fn(fn(initializer, elems[0]), elems[1])..., elems[n-1])``."""
    return _fold(fn, elems, initializer, False, name)


def foldr(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """``foldl`` from the last element to the first."""
    return _fold(fn, elems, initializer, True, name)


def scan(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
         swap_memory=False, infer_shape=True, reverse=False, name=None):
    """Every intermediate accumulator of a fold over ``elems``, stacked along axis 0."""
    flat = [_t(e) for e in nest.flatten(elems)]
    n = flat[0]._v.shape[0]
    order = list(range(n - 1, -1, -1)) if reverse else list(range(n))
    acc, outs = initializer, []
    if acc is None:
        acc = nest.pack_sequence_as(elems, [f[order[0]] for f in flat])
        outs.append(acc)
        order = order[1:]
    for i in order:
        acc = fn(acc, nest.pack_sequence_as(elems, [f[i] for f in flat]))
        outs.append(acc)
    if reverse:
        outs = outs[::-1]
    first = nest.flatten(outs[0])
    stacked = [stack([nest.flatten(o)[j] for o in outs]) for j in range(len(first))]
    return nest.pack_sequence_as(outs[0], stacked)


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """The result of the function paired with the first true predicate (``default`` if
    none); with ``exclusive``, more than one true predicate is an error."""
    pairs = list(pred_fn_pairs.items()) if isinstance(pred_fn_pairs, dict) else \
        list(pred_fn_pairs)
    hits = [fn for p, fn in pairs if bool(_t(p))]
    if exclusive and len(hits) > 1:
        raise InvalidArgumentError(None, "case", "Input error: exclusive=True and more than "
                                   "one predicate evaluated to True")
    if hits:
        return hits[0]()
    if default is None:
        raise InvalidArgumentError(None, "case", "No predicate was true and no default")
    return default()


def switch_case(branch_index, branch_fns, default=None, name="switch_case"):
    """The result of ``branch_fns[branch_index]`` (``default``, or the last branch, when the
    index is out of range)."""
    fns = dict(branch_fns) if isinstance(branch_fns, dict) else dict(enumerate(branch_fns))
    i = int(_t(branch_index))
    if i in fns:
        return fns[i]()
    return (default or fns[max(fns)])()


def group(*inputs, **kwargs):
    """TF's op that waits for ``inputs``; eager ops have already run, so it does nothing."""
    return None


def no_op(name=None):
    """An op that does nothing (kept for code written for graphs)."""
    return None


class control_dependencies:
    """A context manager ordering ops after ``control_inputs``; eager code already runs in
    order, so it only checks its argument."""

    def __init__(self, control_inputs):
        if control_inputs is not None and not isinstance(control_inputs, (list, tuple)):
            raise TypeError("control_inputs must be a list of tensors or operations")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def get_static_value(tensor, partial=False):
    """The NumPy value of ``tensor`` (every tapeflow tensor has one), or None for
    non-tensors that are not constants."""
    if isinstance(tensor, TensorBase):
        return tensor.numpy()
    try:
        return np.asarray(tensor)
    except Exception:
        return None


def identity_n(input, name=None):
    """Each tensor of the list ``input`` as it is."""
    return [_t(x) for x in input]


def shape_n(input, out_type=dtypes.int32, name=None):
    """The shapes of the tensors of ``input`` as 1-D tensors."""
    d = dtypes.as_dtype(out_type)._np
    return [const(np.asarray(_t(x)._v.shape, d)) for x in input]


def tuple(tensors, name=None, control_inputs=None):  # TF's name
    """The tensors (as a list), grouped; eagerly nothing waits."""
    return [None if t is None else _t(t) for t in tensors]


def timestamp(name=None):
    """Seconds since the epoch as a float64 scalar."""
    return const(np.float64(_time.time()))


def ensure_shape(x, shape, name=None):
    """``x`` unchanged if its shape is compatible with ``shape`` (None dims match any);
    else InvalidArgumentError."""
    t = _t(x)
    want = TensorShape(shape) if not isinstance(shape, TensorShape) else shape
    if not want.is_compatible_with(t._v.shape):
        raise InvalidArgumentError(
            None, "EnsureShape", f"Shape of tensor {_builtins.tuple(t.shape)} is not "
            f"compatible with expected shape {want}.")
    return t


def broadcast_static_shape(shape_x, shape_y):
    """The ``TensorShape`` two shapes broadcast to (ValueError if they do not)."""
    a, b = TensorShape(shape_x), TensorShape(shape_y)
    try:
        out = np.broadcast_shapes(*(_builtins.tuple(s.as_list()) for s in (a, b)))
    except ValueError:
        raise ValueError(f"Incompatible shapes for broadcasting. Two shapes are compatible if "
                         f"for each dimension pair they are either equal or one of them is 1. "
                         f"Received: {a} and {b}.") from None
    return TensorShape(list(out))


def broadcast_dynamic_shape(shape_x, shape_y):
    """The broadcast of two shapes given as 1-D integer tensors."""
    a, b = _ints(shape_x), _ints(shape_y)
    try:
        out = np.broadcast_shapes(_builtins.tuple(a.tolist()), _builtins.tuple(b.tolist()))
    except ValueError:
        raise InvalidArgumentError(None, "BroadcastArgs", f"Incompatible shapes: {a.tolist()} "
                                   f"vs. {b.tolist()}") from None
    return const(np.asarray(out, _t(shape_x)._v.dtype))


def dynamic_partition(data, partitions, num_partitions, name=None):
    """``data``'s rows split into ``num_partitions`` tensors by the ``partitions`` index."""
    data = _t(data)
    p = _ints(partitions)
    if p.size and (p.min() < 0 or p.max() >= num_partitions):
        raise invalid("DynamicPartition", f"partitions must be in [0, {num_partitions})")
    flat = reshape(data, [-1] + list(data._v.shape[p.ndim:]))
    pf = p.reshape(-1)
    return [gather(flat, const(np.nonzero(pf == i)[0])) for i in range(int(num_partitions))]


def dynamic_stitch(indices, data, name=None):
    """``merged[indices[m][i]] = data[m][i]`` (later values win), the inverse of
    ``dynamic_partition``."""
    idx = np.concatenate([_ints(i).reshape(-1) for i in indices])
    parts = [_t(d) for d in data]
    inner = list(parts[0]._v.shape[_ints(indices[0]).ndim:])
    rows = concat([reshape(d, [-1] + inner) for d in parts], 0)
    n = int(idx.max()) + 1 if idx.size else 0
    last = np.full(n, -1, np.int64)
    last[idx] = np.arange(idx.size)  # the last occurrence of each index wins
    if (last < 0).any():
        raise invalid("DynamicStitch", "indices must cover 0..max without gaps")
    return gather(rows, const(last))


def parallel_stack(values, name="parallel_stack"):
    """``tf.stack`` for graphs; like TF, refused eagerly (use ``tf.stack``)."""
    from .. import _recording  # deferred: a lookup only

    if _recording.trace_here() is None:
        raise RuntimeError("tf.parallel_stack() is not compatible with eager execution.")
    return stack(values, 0)


def histogram_fixed_width_bins(values, value_range, nbins=100, dtype=dtypes.int32, name=None):
    """The bin index of each value among ``nbins`` equal bins over ``value_range`` (values
    outside go to the first or last bin)."""
    v = np.asarray(to_host(_t(values)._v), np.float64)
    lo, hi = (float(x) for x in np.asarray(to_host(_t(value_range)._v)))
    if hi <= lo:
        raise invalid("HistogramFixedWidth", "value_range should satisfy value_range[0] < "
                      "value_range[1]")
    idx = np.floor((v - lo) / (hi - lo) * nbins)
    return const(np.clip(idx, 0, nbins - 1).astype(dtypes.as_dtype(dtype)._np))


def histogram_fixed_width(values, value_range, nbins=100, dtype=dtypes.int32, name=None):
    """Counts of ``values`` in ``nbins`` equal bins over ``value_range`` (outliers in the
    end bins)."""
    idx = np.asarray(histogram_fixed_width_bins(values, value_range, nbins)._v).reshape(-1)
    return const(np.bincount(idx, minlength=nbins).astype(dtypes.as_dtype(dtype)._np))


def get_logger():
    """The logger TF code writes to (``logging.getLogger("tensorflow")``)."""
    return _logging.getLogger("tensorflow")


def inside_function():
    """True while a ``tf.function`` is being traced."""
    from .. import _recording  # deferred: a lookup only

    return _recording.trace_here() is not None


def no_gradient(op_type):
    """Declare an op type as having no gradient (tapeflow's ops declare their own)."""
    if not isinstance(op_type, str):
        raise TypeError(f"op_type must be a string, got {type(op_type).__name__}")


# -- clipping, masks, searching -----------------------------------------------------------------
def clip_by_norm(t, clip_norm, axes=None, name=None):
    """``t * clip_norm / max(l2norm(t), clip_norm)`` (over ``axes``, all by default)."""
    t = _t(t)
    sq = reduce_sum(square(t), axis=axes, keepdims=True)
    norm = sqrt(where(sq > 0, sq, zeros_like(sq) + 1.0))
    norm = where(sq > 0, norm, zeros_like(sq))
    c = cast(_t(clip_norm), t.dtype)
    return t * c / maximum(norm, c)


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """The tensors of ``t_list`` scaled together so their global L2 norm is at most
    ``clip_norm``; returns ``(clipped list, global norm)``."""
    if isinstance(t_list, TensorBase) or not isinstance(t_list, (list, tuple)):
        raise TypeError("`t_list` should be a sequence of tensors. Received "
                        f"{type(t_list)}.")
    present = [_t(x) for x in t_list if x is not None]
    if use_norm is None:
        total = None
        for x in present:
            s = reduce_sum(square(cast(x, dtypes.float32) if x.dtype != present[0].dtype
                                  else x))
            total = s if total is None else total + s
        use_norm = sqrt(total) if total is not None else const(np.float32(0.0))
    norm = _t(use_norm)
    c = cast(_t(clip_norm), norm.dtype)
    scale = c / maximum(norm, c)
    out = [None if x is None else _t(x) * cast(scale, _t(x).dtype) for x in t_list]
    return out, norm


def sequence_mask(lengths, maxlen=None, dtype=dtypes.bool, name=None):
    """``mask[..., j] = j < lengths[...]``, ``maxlen`` columns (``max(lengths)`` by default)."""
    n = _ints(lengths)
    m = int(n.max()) if maxlen is None and n.size else int(maxlen or 0)
    out = np.arange(m) < n[..., None]
    return const(out.astype(dtypes.as_dtype(dtype)._np))


def reverse_sequence(input, seq_lengths, seq_axis=None, batch_axis=None, name=None):
    """Each batch row's first ``seq_lengths[i]`` elements along ``seq_axis`` reversed."""
    t = _t(input)
    lengths = _ints(seq_lengths)
    seq_axis = 1 if seq_axis is None else int(seq_axis)
    batch_axis = 0 if batch_axis is None else int(batch_axis)
    n = t._v.shape[seq_axis]
    if lengths.size and lengths.max() > n:
        raise invalid("ReverseSequence", f"seq_lens[i] must be <= input.dims({seq_axis}), "
                      f"got {int(lengths.max())}")
    pos = np.arange(n)
    idx = np.where(pos[None, :] < lengths[:, None], lengths[:, None] - 1 - pos[None, :],
                   pos[None, :])  # [batch, n]
    moved = transpose(t, _perm_front(t._v.ndim, batch_axis, seq_axis))
    out = gather(moved, const(idx), axis=1, batch_dims=1)
    return transpose(out, list(np.argsort(_perm_front(t._v.ndim, batch_axis, seq_axis))))


def _perm_front(ndim, a, b):
    rest = [i for i in range(ndim) if i not in (a, b)]
    return [a, b] + rest


def searchsorted(sorted_sequence, values, side="left", out_type=dtypes.int32, name=None):
    """Where each of ``values`` would go in the (last-axis sorted) ``sorted_sequence``."""
    s = np.asarray(to_host(_t(sorted_sequence)._v))
    v = np.asarray(to_host(_t(values)._v))
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    if s.ndim == 1 and v.ndim == 1:
        out = np.searchsorted(s, v, side=side)
    else:
        out = np.stack([np.searchsorted(a, b, side=side) for a, b in
                        zip(s.reshape(-1, s.shape[-1]), v.reshape(-1, v.shape[-1]))]
                       ).reshape(v.shape)
    return const(out.astype(dtypes.as_dtype(out_type)._np))


def unravel_index(indices, dims, name=None):
    """The coordinates of flat ``indices`` in an array of shape ``dims`` (one row per
    dimension)."""
    i = _ints(indices)
    d = _builtins.tuple(int(x) for x in _ints(dims))
    if i.size and (i.min() < 0 or i.max() >= int(np.prod(d))):
        raise invalid("UnravelIndex", f"index out of bounds for dims {list(d)}")
    out = np.stack(np.unravel_index(i, d)) if i.ndim else np.asarray(np.unravel_index(i, d))
    return const(out.astype(_t(indices)._v.dtype))


# -- nn -----------------------------------------------------------------------------------------
def space_to_depth(input, block_size, data_format="NHWC", name=None):
    """Blocks of ``block_size`` x ``block_size`` pixels moved into the channels (NHWC)."""
    t = _t(input)
    n, h, w, c = t._v.shape
    b = int(block_size)
    if h % b or w % b:
        raise invalid("SpaceToDepth", f"Image height {h} and width {w} must be divisible by "
                      f"block_size {b}")
    x = reshape(t, [n, h // b, b, w // b, b, c])
    return reshape(transpose(x, [0, 1, 3, 2, 4, 5]), [n, h // b, w // b, b * b * c])


def depth_to_space(input, block_size, data_format="NHWC", name=None):
    """The inverse of ``space_to_depth``: channels moved out into pixel blocks (NHWC)."""
    t = _t(input)
    n, h, w, c = t._v.shape
    b = int(block_size)
    if c % (b * b):
        raise invalid("DepthToSpace", f"Input depth dimension {c} should be divisible by "
                      f"{b * b}")
    x = reshape(t, [n, h, w, b, b, c // (b * b)])
    return reshape(transpose(x, [0, 1, 3, 2, 4, 5]), [n, h * b, w * b, c // (b * b)])


def crelu(features, axis=-1, name=None):
    """``concat([relu(x), relu(-x)], axis)``."""
    from .nn import relu  # cycle: ops.nn is a sibling loaded with this one

    x = _t(features)
    return concat([relu(x), relu(-x)], axis)


def normalize_moments(counts, mean_ss, variance_ss, shift, name=None):
    """``(mean, variance)`` from sufficient statistics (``shift`` as used to compute them)."""
    c = _t(counts)
    mean = _t(mean_ss) / c
    if shift is not None:
        var = _t(variance_ss) / c - square(mean)
        mean = mean + shift
    else:
        var = _t(variance_ss) / c - square(mean)
    return mean, var


def sufficient_statistics(x, axes, shift=None, keepdims=False, name=None):
    """``(count, sum(x - shift), sum((x - shift)**2), shift)`` over ``axes``."""
    x = _t(x)
    axes = [axes] if isinstance(axes, int) else list(axes)
    count = const(np.asarray(float(np.prod([x._v.shape[a] for a in axes])), x._v.dtype))
    y = x - shift if shift is not None else x
    return (count, reduce_sum(y, axis=axes, keepdims=keepdims),
            reduce_sum(square(y), axis=axes, keepdims=keepdims), shift)


def weighted_moments(x, axes, frequency_weights, keepdims=False, name=None):
    """``(mean, variance)`` of ``x`` over ``axes`` with ``frequency_weights``."""
    x = _t(x)
    w = cast(_t(frequency_weights), x.dtype) + zeros_like(x)
    total = reduce_sum(w, axis=axes, keepdims=True)
    mean = divide_no_nan(reduce_sum(w * x, axis=axes, keepdims=True), total)
    var = divide_no_nan(reduce_sum(w * square(x - mean), axis=axes, keepdims=True), total)
    if not keepdims:
        from .array import squeeze  # cycle: see crelu

        mean, var = squeeze(mean, axes), squeeze(var, axes)
    return mean, var


def log_poisson_loss(targets, log_input, compute_full_loss=False, name=None):
    """``exp(log_input) - targets * log_input`` (plus Stirling's term with
    ``compute_full_loss``)."""
    z, c = _t(targets), _t(log_input)
    loss = exp(c) - c * z
    if compute_full_loss:
        safe = where(z > 1.0, z, zeros_like(z) + 1.0)
        stirling = safe * log(safe) - safe + 0.5 * log(2.0 * _pymath.pi * safe)
        loss = loss + where(z > 1.0, stirling, zeros_like(z))
    return loss

