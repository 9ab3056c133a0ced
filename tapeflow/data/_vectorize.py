"""Running a dataset function once on a whole block of elements (a leading batch dimension)."""
# How: the block is handed to the function as tensors over ``Rows`` arrays, NumPy arrays that
# carry a hidden leading batch dimension and present themselves (``shape``, ``ndim``, ``size``,
# ``len``) as one element. Op code written for one element therefore computes the same
# attributes (reshape targets, squeeze axes, reduction axes) it would compute per element, and
# the NumPy calls it makes are translated to the batched arrays: element-wise ufuncs align
# ranks after the batch axis, axes shift by one, reshapes and indexing keep the batch axis in
# front. Anything without a rule raises ``NotBatchable`` (so does asking for an element's
# value, e.g. Python control flow on it); the caller then runs the function per element, and
# it checks the first block's rows against per-element results, so the two paths give
# identical elements.
import operator

from ..backend import host as np
from ..tensor import wrap
from . import _structure as S

_real_shape = np.ndarray.shape.__get__
_real_ndim = np.ndarray.ndim.__get__


class NotBatchable(BaseException):
    """The function did something that has no batching rule here (a BaseException, so that a
    user's ``except Exception`` cannot swallow it and silently take another branch)."""


def _base(x):
    return x.view(np.ndarray) if isinstance(x, Rows) else x


def _rows(x):
    return x.view(Rows) if isinstance(x, np.ndarray) else np.asarray(x).view(Rows)


def _elem_ndim(x):
    return _real_ndim(x) - 1


def _axis(a, nd):
    """An element axis (maybe negative) as an axis of the batched array."""
    a = operator.index(a)
    if not -nd <= a < nd:
        raise np.exceptions.AxisError(a, nd) if hasattr(np, "exceptions") else IndexError(a)
    return a + 1 if a >= 0 else a


def _axes(axis, nd):
    if axis is None:
        return tuple(range(1, nd + 1))
    if isinstance(axis, (tuple, list)):
        return tuple(_axis(a, nd) for a in axis)
    return _axis(axis, nd)


def _align(args):
    """Batched inputs padded with unit axes after the batch axis to the common element rank."""
    rank = 0
    for x in args:
        r = _elem_ndim(x) if isinstance(x, Rows) else np.ndim(x)
        rank = max(rank, r)
    out = []
    for x in args:
        if isinstance(x, Rows):
            b = x.view(np.ndarray)
            e = b.ndim - 1
            if e < rank:
                b = b.reshape(b.shape[:1] + (1,) * (rank - e) + b.shape[1:])
            out.append(b)
        else:
            out.append(x)
    return out


def _trailing(axes, nd):
    """True when the reduced batched axes are the last ones (same summation order as per
    element on a contiguous array)."""
    axes = sorted(a % (nd + 1) for a in ((axes,) if isinstance(axes, int) else axes))
    return axes == list(range(nd + 1 - len(axes), nd + 1))


def _reduce_ok(ufunc, base, axes, nd):
    if base.dtype.kind not in "fc":
        return True  # integer and bool reductions are exact in any order
    if ufunc in (np.maximum, np.minimum, np.fmax, np.fmin):
        return True
    return base.flags.c_contiguous and _trailing(axes, nd)


class Rows(np.ndarray):
    """A block of elements presenting itself as a single element (see the module doc)."""

    shape = property(lambda self: _real_shape(self)[1:])
    ndim = property(lambda self: _real_ndim(self) - 1)

    @property
    def size(self):
        n = 1
        for d in _real_shape(self)[1:]:
            n *= d
        return n

    def __len__(self):
        s = _real_shape(self)
        if len(s) < 2:
            raise TypeError("len() of unsized object")
        return s[1]

    def _no(self, *a, **k):
        raise NotBatchable("the value of one element is needed")

    __iter__ = __bool__ = __int__ = __float__ = __index__ = __complex__ = _no
    item = tolist = tobytes = __setitem__ = _no

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if kwargs.get("out") is not None or kwargs.get("where", True) is not True:
            raise NotBatchable(f"{ufunc.__name__} with out=/where=")
        if method == "__call__":
            if ufunc.signature is not None:
                for x in inputs:
                    if np.ndim(_base(x)) - isinstance(x, Rows) < 2:
                        raise NotBatchable(f"{ufunc.__name__} on vectors")
            res = ufunc(*_align(inputs), **kwargs)
        elif method in ("reduce", "accumulate"):
            if len(inputs) != 1 or not isinstance(inputs[0], Rows):
                raise NotBatchable(f"{ufunc.__name__}.{method}")
            base = inputs[0].view(np.ndarray)
            nd = base.ndim - 1
            axis = kwargs.pop("axis", 0)
            if method == "accumulate":
                axes = _axis(axis, nd)
            else:
                axes = _axes(axis, nd)
                if not _reduce_ok(ufunc, base, axes, nd):
                    raise NotBatchable("a floating-point reduction over leading axes")
            res = getattr(ufunc, method)(base, axis=axes, **kwargs)
        else:
            raise NotBatchable(f"{ufunc.__name__}.{method}")
        if isinstance(res, tuple):
            return tuple(_rows(r) for r in res)
        return _rows(res)

    def __array_function__(self, func, types, args, kwargs):
        rule = _FUNCTIONS.get(func)
        if rule is None:
            raise NotBatchable(f"numpy.{getattr(func, '__name__', func)}")
        return rule(*args, **kwargs)

    # -- methods implemented in C that take element axes or shapes --------------------------
    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        if order != "C":
            raise NotBatchable("reshape with order")
        b = self.view(np.ndarray)
        return b.reshape(b.shape[:1] + tuple(operator.index(d) for d in shape)).view(Rows)

    def ravel(self, order="C"):
        return self.reshape(-1, order=order)

    def flatten(self, order="C"):
        return self.reshape(-1, order=order).copy()

    def transpose(self, *axes):
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        nd = self.ndim
        if not axes:
            axes = tuple(range(nd - 1, -1, -1))
        perm = (0,) + tuple(_axis(a, nd) % (nd + 1) for a in axes)
        return self.view(np.ndarray).transpose(perm).view(Rows)

    T = property(lambda self: self.transpose())

    def swapaxes(self, a, b):
        nd = self.ndim
        return self.view(np.ndarray).swapaxes(_axis(a, nd), _axis(b, nd)).view(Rows)

    def squeeze(self, axis=None):
        b = self.view(np.ndarray)
        if axis is None:
            keep = (b.shape[0],) + tuple(d for d in b.shape[1:] if d != 1)
            return b.reshape(keep).view(Rows)
        return b.squeeze(_axes(axis, self.ndim)).view(Rows)

    def __getitem__(self, key):
        if not isinstance(key, tuple):
            key = (key,)
        for k in key:
            if not (k is None or k is Ellipsis or isinstance(k, (int, np.integer, slice))):
                raise NotBatchable("indexing with arrays")
        return np.ndarray.__getitem__(self.view(np.ndarray), (slice(None),) + key).view(Rows)

    def _reduce_method(name):
        def method(self, axis=None, *args, **kwargs):
            return _reduction(getattr(np, name), self, axis, *args, **kwargs)

        method.__name__ = name
        return method

    argmax = _reduce_method("argmax")
    argmin = _reduce_method("argmin")
    del _reduce_method


def _reduction(func, x, axis=None, *args, **kwargs):
    if not isinstance(x, Rows):
        raise NotBatchable(func.__name__)
    b = x.view(np.ndarray)
    nd = b.ndim - 1
    if func in (np.argmax, np.argmin):
        if axis is None:
            return _rows(func(b.reshape(b.shape[0], -1), 1, *args, **kwargs))
        return _rows(func(b, _axis(axis, nd), *args, **kwargs))
    axes = _axes(axis, nd)
    if func not in (np.max, np.min, np.amax, np.amin, np.any, np.all) and \
            b.dtype.kind == "f" and not (b.flags.c_contiguous and _trailing(axes, nd)):
        raise NotBatchable("a floating-point reduction over leading axes")
    return _rows(func(b, axes, *args, **kwargs))


def _elementwise(func):
    def rule(*args, **kwargs):
        return _rows(func(*_align(args), **kwargs))

    return rule


def _like(func):
    def rule(a, *args, **kwargs):
        return _rows(func(_base(a), *args, **kwargs))

    return rule


def _reshape(a, shape, *args, **kwargs):
    return _rows(a).reshape(shape, *args, **kwargs) if isinstance(a, Rows) else \
        np.reshape(a, shape)


def _transpose(a, axes=None):
    return a.transpose(axes)


def _squeeze(a, axis=None):
    return a.squeeze(axis)


def _expand_dims(a, axis):
    nd = a.ndim + 1
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    axes = tuple((_axis(x, nd) % (nd + 1)) for x in axes)
    return _rows(np.expand_dims(a.view(np.ndarray), axes))


def _join(func):
    def rule(arrays, axis=0, *args, **kwargs):
        arrays = list(arrays)
        batched = [x for x in arrays if isinstance(x, Rows)]
        if not batched:
            raise NotBatchable(func.__name__)
        n = _real_shape(batched[0])[0]
        # a constant joins every row: repeat it along the batch axis
        parts = [x.view(np.ndarray) if isinstance(x, Rows) else
                 np.broadcast_to(np.asarray(x), (n,) + np.shape(x)) for x in arrays]
        nd = parts[0].ndim - 1 + (func is np.stack)
        return _rows(func(parts, _axis(axis, nd), *args, **kwargs))

    return rule


def _broadcast_to(a, shape, subok=False):
    b = _align([a, np.empty(tuple(shape), np.bool_)])[0]
    return _rows(np.broadcast_to(b, b.shape[:1] + tuple(shape)))


def _moveaxis(a, source, destination):
    nd = a.ndim
    return _rows(np.moveaxis(a.view(np.ndarray), _axes(source, nd), _axes(destination, nd)))


def _where(cond, *xy):
    if not xy:
        raise NotBatchable("where with one argument")
    return _rows(np.where(*_align((cond,) + xy)))


def _clip(a, a_min=None, a_max=None, **kwargs):
    lo, hi = a_min, a_max
    args = _align([a] + [v for v in (lo, hi) if v is not None])
    it = iter(args[1:])
    return _rows(np.clip(args[0], next(it) if lo is not None else None,
                         next(it) if hi is not None else None, **kwargs))


def _take(a, indices, axis=None, **kwargs):
    if isinstance(indices, Rows) or not isinstance(a, Rows) or kwargs.get("out") is not None:
        raise NotBatchable("take with per-element indices")
    b = a.view(np.ndarray)
    if axis is None:
        return _rows(np.take(b.reshape(b.shape[0], -1), indices, axis=1, **kwargs))
    return _rows(np.take(b, indices, axis=_axis(axis, b.ndim - 1), **kwargs))


def _flip(a, axis=None):
    b = a.view(np.ndarray)
    return _rows(np.flip(b, _axes(axis, b.ndim - 1)))


def _tile(a, reps):
    b = a.view(np.ndarray)
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    e = b.ndim - 1
    if len(reps) > e:
        b = b.reshape(b.shape[:1] + (1,) * (len(reps) - e) + b.shape[1:])
    else:
        reps = (1,) * (e - len(reps)) + reps
    return _rows(np.tile(b, (1,) + tuple(reps)))


def _pad(a, pad_width, mode="constant", **kwargs):
    if not isinstance(a, Rows) or any(isinstance(v, Rows) for v in kwargs.values()):
        raise NotBatchable("pad with per-element values")
    b = a.view(np.ndarray)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (b.ndim - 1, 2))
    return _rows(np.pad(b, [(0, 0)] + [tuple(w) for w in widths.tolist()], mode=mode, **kwargs))


def _sorting(func):
    def rule(a, axis=-1, **kwargs):
        if axis is None:
            raise NotBatchable(f"{func.__name__} of a flattened element")
        b = a.view(np.ndarray)
        return _rows(func(b, axis=_axis(axis, b.ndim - 1), **kwargs))

    return rule


def _accumulate(func):
    def rule(a, axis=None, *args, **kwargs):
        b = a.view(np.ndarray)
        if axis is None:
            return _rows(func(b.reshape(b.shape[0], -1), 1, *args, **kwargs))
        return _rows(func(b, _axis(axis, b.ndim - 1), *args, **kwargs))

    return rule


_FUNCTIONS = {
    np.reshape: _reshape, np.transpose: _transpose, np.squeeze: _squeeze,
    np.expand_dims: _expand_dims, np.concatenate: _join(np.concatenate),
    np.stack: _join(np.stack), np.broadcast_to: _broadcast_to, np.moveaxis: _moveaxis,
    np.where: _where, np.clip: _clip, np.copy: _like(np.copy),
    np.zeros_like: _like(np.zeros_like), np.ones_like: _like(np.ones_like),
    np.full_like: _like(np.full_like), np.empty_like: _like(np.empty_like),
    np.round: _like(np.round), np.around: _like(np.around),
    np.result_type: lambda *a: np.result_type(*[_base(x) for x in a]),
    np.take: _take, np.flip: _flip, np.tile: _tile, np.pad: _pad,
    np.sort: _sorting(np.sort), np.argsort: _sorting(np.argsort),
    np.cumsum: _accumulate(np.cumsum), np.cumprod: _accumulate(np.cumprod),
    np.ndim: lambda a: a.ndim, np.shape: lambda a: a.shape, np.size: lambda a, axis=None: (
        a.size if axis is None else a.shape[axis]),
}
for _name in ("sum", "mean", "prod", "max", "min", "amax", "amin", "any", "all", "argmax",
              "argmin", "std", "var", "nansum", "nanmean", "nanmax", "nanmin"):
    _f = getattr(np, _name, None)
    if _f is not None:
        _FUNCTIONS[_f] = (lambda f: lambda x, axis=None, *a, **k: _reduction(f, x, axis, *a,
                                                                                **k))(_f)
for _name in ("logaddexp", "isclose", "maximum", "minimum"):
    _f = getattr(np, _name)
    if not isinstance(_f, np.ufunc):
        _FUNCTIONS[_f] = _elementwise(_f)


def call_batched(fn, block, n):
    """``fn`` run once on all ``n`` rows of ``block``: flat output blocks, or None when the
    function has no batching rule for something it does (the caller goes per element)."""
    tensors = S.pack(fn.in_template, [wrap(a.view(Rows)) for a in block])
    try:
        with np.errstate(all="ignore"):
            out = fn.call_tensors(tensors)
        _, arrays = fn.flatten_output(out)
    except NotBatchable:
        return None
    res = []
    for a in arrays:
        if isinstance(a, Rows):
            b = a.view(np.ndarray)
            if b.ndim == 0 or b.shape[0] != n:
                return None
        else:  # a value that does not depend on the element: the same in every row
            b = np.broadcast_to(a, (n,) + np.shape(a))
        res.append(b)
    return res


def vectorized_map(fn, elems, fallback_to_while_loop=True, warn=True):
    """``tf.vectorized_map``: ``fn`` applied to the slices of ``elems`` along axis 0, run once
    on the whole batch when it is batch-safe (checked against per-slice results on the first
    and last slice), else slice by slice; the results are stacked either way."""
    leaves = S.flatten(elems)
    arrays = [S.to_array(x, "vectorized_map input") for x in leaves]
    if not arrays or any(a.ndim == 0 for a in arrays):
        raise ValueError("vectorized_map needs tensors with a leading dimension to map over.")
    n = arrays[0].shape[0]
    if any(a.shape[0] != n for a in arrays):
        raise ValueError("All inputs to vectorized_map must have the same leading dimension, "
                         f"got {[a.shape[0] for a in arrays]}.")

    class _Fn:
        in_template = elems

        @staticmethod
        def call_tensors(tensors):
            return fn(tensors)

        @staticmethod
        def flatten_output(out):
            return out, [S.to_array(x, "vectorized_map result") for x in S.flatten(out)]

    def one(i):
        return _Fn.flatten_output(fn(S.pack(elems, [wrap(a[i, ...]) for a in arrays])))

    template = None
    out = None
    if n > 1:
        try:
            out = call_batched(_Fn, arrays, n)
        except Exception:
            out = None
        if out is not None:
            template, first = one(0)
            _, last = one(n - 1)
            if not all(o.shape[1:] == f.shape and np.array_equal(o[0], f, equal_nan=True)
                       and np.array_equal(o[n - 1], la, equal_nan=True)
                       for o, f, la in zip(out, first, last)):
                out = None
    if out is None:
        if not fallback_to_while_loop:
            raise ValueError("vectorized_map: the function is not batch-safe and "
                             "fallback_to_while_loop is False.")
        rows = [one(i) for i in range(n)]
        template = rows[0][0] if rows else None
        out = [np.stack([r[1][k] for r in rows]) for k in range(len(rows[0][1]))] if rows \
            else []
    if template is None:
        return None
    template = S.normalize(template, "vectorized_map")
    results = [wrap(np.ascontiguousarray(o)) for o in out]
    if not S.is_nested(template):
        return results[0]
    return S.pack(template, results)
