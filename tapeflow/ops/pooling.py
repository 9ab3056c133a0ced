"""Max and average pooling ops (``tf.nn``) on the convolutions' strided window views, with
gradients written as further recorded ops so that higher orders work."""
import weakref

from ..backend import host as np
from ..backend import xp_of
from ..errors import _invalid as invalid
from ._chunks import run_chunks
from ._core import Op, apply
from .array import reshape
from .conv import (
    _CONV_DTYPES,
    RELU_MASKED,
    RELU_OUTPUTS,
    _channels_first,
    _check_dtype,
    _chunks,
    _crop,
    _dims,
    _from_nhwc,
    _nhwc,
    _out_size,
    _pad,
    _pads,
    _spatial,
    _t,
    _Tags,
    _tap,
)
from .math import zeros_like
from .nn import RELU_GRAD

__all__ = ["max_pool", "max_pool1d", "max_pool2d", "avg_pool", "avg_pool1d", "avg_pool2d"]


# -- pooling on NHWC arrays ---------------------------------------------------------------------
# The pooling geometry ``geo`` is (ksize, strides, pads) for the two spatial dims.
def _pool_out(shape, geo):
    k, s, pads = geo
    return (_out_size(shape[1], k[0], s[0], 1, *pads[0]),
            _out_size(shape[2], k[1], s[1], 1, *pads[1]))


def _lowest(dtype):
    if dtype.kind == "f":
        return -np.inf
    return np.iinfo(dtype).min


def _taps(k):
    return [(i, j) for i in range(k[0]) for j in range(k[1])]


def _pool_chunks(x):
    """Batch chunks of a pooling op, sized for the cache, spread over the workers."""
    return _chunks(x.shape[0], x[:1].nbytes * 2, xp_of(x))


# NOTE: the Keras default pool (2x2 windows, stride 2, no padding) on host arrays keeps, per
# output, which of its window's four taps held the maximum (one byte each, attached to the
# output by identity): its gradient then routes by that code instead of comparing every tap
# with the maximum again. Measured in the issue-19 convnet's training step (batch 128, 2
# cores): its two MaxPoolGrads 3.2 + 1.1 -> 1.65 + 0.65 ms, its two MaxPools 0.8 + 0.4 ->
# 1.15 + 0.45 ms. A traced plan gets a fresh code on every call (the forward attaches it).
# Below CODE_MIN_BYTES of input the tournament's extra array calls cost more than the
# comparisons it spares (measured with cold caches: 968 KB 1.21 against 1.08 ms forward and
# backward, 2.7 MB 1.41 against 1.74).
POOL_CODES = _Tags()  # output of a 2x2 max-pool -> (weak reference to its input, code)
CODE_MIN_BYTES = 2 << 20


def _pairs(geo):
    k, s, pads = geo
    return tuple(k) == (2, 2) and tuple(s) == (2, 2) and not any(p for pr in pads for p in pr)


def _pool_pairs(xp, x, y, c, out):
    """2x2, stride-2 max-pool of ``x`` into ``y`` as a tournament, and the code ``c`` of each
    window's first maximum (row-major, as TF): 2 * (the lower row wins) + (the right one wins
    in the winning row).

    NOTE: each row's pair gives its maximum, and its right element wins where that maximum
    differs from the left one; then the lower row wins where its maximum is strictly
    greater, so ties go to the first maximum. Comparing with the maxima already computed
    reads the strided taps 6 times instead of 8 (0.24 against 0.33 ms for 22 samples of the
    convnet's first pool). A window holding a NaN pools to NaN and gets a code like any
    other; the gradient drops it (``_max_pool_grad_fwd``), as the comparison does.
    """
    t0, t1, t2, t3 = (_tap(x, i, j, (2, 2), (1, 1), out) for i, j in _taps((2, 2)))
    low = xp.empty(y.shape, x.dtype)
    right_top, right_low, lower = (xp.empty(y.shape, bool) for _ in range(3))
    xp.maximum(t0, t1, out=y)
    xp.not_equal(y, t0, out=right_top)
    xp.maximum(t2, t3, out=low)
    xp.not_equal(low, t2, out=right_low)
    xp.greater(low, y, out=lower)
    xp.maximum(y, low, out=y)
    top, bottom, v = right_top.view(np.uint8), right_low.view(np.uint8), lower.view(np.uint8)
    xp.bitwise_xor(top, bottom, out=c)  # the winning row's choice: top ^ ((top ^ bottom) & v)
    xp.bitwise_and(c, v, out=c)
    xp.bitwise_xor(c, top, out=c)
    xp.add(c, v, out=c)
    xp.add(c, v, out=c)


def _max_pool_fwd(x, geo):
    k, s, pads = geo
    out = _pool_out(x.shape, geo)
    xp = xp_of(x)
    y = xp.empty((x.shape[0],) + out + (x.shape[3],), x.dtype)
    if 0 in out:
        return y
    if xp is np and _pairs(geo) and x.dtype.kind == "f" and x.nbytes >= CODE_MIN_BYTES:
        code = xp.empty(y.shape, np.uint8)
        run_chunks(lambda a, b: _pool_pairs(xp, x[a:b], y[a:b], code[a:b], out),
                   _pool_chunks(x), xp)
        POOL_CODES.put(y, (weakref.ref(x), code))
        return y
    xpad = _pad(x, pads, _lowest(x.dtype))

    def job(a, b):
        part = xpad[a:b]
        for n, (i, j) in enumerate(_taps(k)):
            t = _tap(part, i, j, s, (1, 1), out)
            if n == 0:
                y[a:b] = t
            else:
                xp.maximum(y[a:b], t, out=y[a:b])

    run_chunks(job, _pool_chunks(x), xp)
    return y


def _first_max(xpad, y, geo, out):
    """Yield (tap, mask) with mask true where the tap holds its window's first maximum."""
    k, s, _ = geo
    xp = xp_of(y)
    free = xp.empty(y.shape, bool)  # windows whose maximum is not yet claimed
    m = xp.empty(y.shape, bool)
    taps = _taps(k)
    for n, (i, j) in enumerate(taps):
        xp.equal(_tap(xpad, i, j, s, (1, 1), out), y, out=m)
        if n == 0:
            xp.logical_not(m, out=free)
        else:
            m &= free
            if n < len(taps) - 1:
                free ^= m
        yield (i, j), m


def _covers(shape, geo, out):
    """True when the windows tile the padded input exactly, each element in one window."""
    k, s, pads = geo
    return all(s[a] == k[a] and out[a] * k[a] == shape[1 + a] + sum(pads[a]) for a in range(2))


def _max_pool_grad_fwd(x, y, g, geo, relu=False):
    """Route each output gradient to its window's first maximum (row-major, as TF does).

    ``relu``: ``x`` is a ReLU's output and the result is also the ReLU's gradient (what
    ``ReluGrad(MaxPoolGrad(x, y, g), x)`` computes): at a window's maximum ``x == y``, so the
    ReLU's mask is ``y > 0`` there and is applied to ``g``, a quarter of the size, instead.
    """
    k, s, pads = geo
    xp = xp_of(x)
    xpad = _pad(x, pads, _lowest(x.dtype))
    out = y.shape[1:3]
    disjoint = s[0] >= k[0] and s[1] >= k[1]  # each input in at most one window: no adds
    # NOTE: windows tiling the input write every element once: no zero fill needed
    dx = (xp.empty if _covers(xpad.shape, geo, out) else xp.zeros)(xpad.shape, g.dtype)

    tag = POOL_CODES.get(y)
    code = tag[1] if tag is not None and tag[0]() is x else None

    def job(a, b):
        part, gp = dx[a:b], g[a:b]
        if code is not None:
            # NOTE: ``y > 0`` is the ReLU's mask; ``y == y`` drops windows holding a NaN
            yc, cc = y[a:b], code[a:b]
            gp = gp * ((yc > 0) if relu else (yc == yc))
            for t, (i, j) in enumerate(_taps(k)):
                xp.multiply(gp, cc == t, out=_tap(part, i, j, s, (1, 1), out))
            return
        if relu:
            gp = gp * (y[a:b] > 0)
        for (i, j), m in _first_max(xpad[a:b], y[a:b], geo, out):
            t = _tap(part, i, j, s, (1, 1), out)
            if disjoint:
                xp.multiply(gp, m, out=t)
            else:
                t += gp * m

    if y.size:
        run_chunks(job, _pool_chunks(x), xp)
    return _crop(dx, pads, x.shape[1], x.shape[2])


def _max_pool_gradgrad_fwd(x, y, h, geo):
    """The gradient of max-pool's gradient w.r.t. the upstream gradient: pick h at the argmax."""
    k, s, pads = geo
    xp = xp_of(x)
    xpad = _pad(x, pads, _lowest(x.dtype))
    hpad = _pad(h, pads)
    r = xp.zeros(y.shape, h.dtype)
    if y.size:
        for (i, j), m in _first_max(xpad, y, geo, y.shape[1:3]):
            r += _tap(hpad, i, j, s, (1, 1), y.shape[1:3]) * m
    return r


def _max_pool_grad(n, g):
    x = n.inputs[0]
    if RELU_OUTPUTS.get(x._v) is None:
        return (apply(MAX_POOL_GRAD, (x, n.out, g), {"geo": n.attrs["geo"]}),)
    dx = apply(MAX_POOL_GRAD, (x, n.out, g), {"geo": n.attrs["geo"], "relu": True})
    RELU_MASKED.put(dx._v, id(x._v))
    return (dx,)


def _zero_or_none(n, i):
    return zeros_like(n.inputs[i]) if n.needs[i] else None


def _max_pool_grad_grad(n, h):
    x, y, _ = n.inputs
    r = None
    if n.needs[2]:
        r = apply(MAX_POOL_GRADGRAD, (x, y, h), {"geo": n.attrs["geo"]})
        if n.attrs.get("relu"):  # the adjoint of routing ``g * (y > 0)``
            r = apply(RELU_GRAD, (r, y), {})
    return _zero_or_none(n, 0), _zero_or_none(n, 1), r


def _max_pool_gradgrad_grad(n, h):
    x, y, _ = n.inputs
    r = apply(MAX_POOL_GRAD, (x, y, h), n.attrs) if n.needs[2] else None
    return _zero_or_none(n, 0), _zero_or_none(n, 1), r


MAX_POOL = Op("MaxPool", _max_pool_fwd, _max_pool_grad, "fiu")
MAX_POOL_GRAD = Op("MaxPoolGrad", _max_pool_grad_fwd, _max_pool_grad_grad, "fiu")
MAX_POOL_GRADGRAD = Op("MaxPoolGradGrad", _max_pool_gradgrad_fwd, _max_pool_gradgrad_grad, "fiu")


def _avg_counts(shape, geo, out, xp, dtype):
    """How many real (unpadded) elements each output window covers: TF's 'SAME' divisor."""
    k, s, pads = geo
    counts = []
    for ax in range(2):
        start = np.arange(out[ax]) * s[ax] - pads[ax][0]
        pos = start[:, None] + np.arange(k[ax])[None, :]
        counts.append(((pos >= 0) & (pos < shape[1 + ax])).sum(1))
    c = np.outer(counts[0], counts[1]).astype(dtype)[:, :, None]
    return c if xp is np else xp.asarray(c)


def _avg_pool_fwd(x, geo):
    k, s, pads = geo
    out = _pool_out(x.shape, geo)
    xp = xp_of(x)
    if 0 in out:
        return xp.empty((x.shape[0],) + out + (x.shape[3],), x.dtype)
    xpad = _pad(x, pads)
    y = None
    for i, j in _taps(k):
        t = _tap(xpad, i, j, s, (1, 1), out)
        if y is None:
            y = t.copy()
        else:
            y += t
    y /= _avg_counts(x.shape, geo, out, xp, x.dtype)
    return y


def _avg_pool_grad_fwd(g, geo, shape):
    k, s, pads = geo
    xp = xp_of(g)
    out = g.shape[1:3]
    n, h, w, c = shape
    dx = xp.zeros((n, h + pads[0][0] + pads[0][1], w + pads[1][0] + pads[1][1], c), g.dtype)
    if g.size:
        gs = g / _avg_counts(shape, geo, out, xp, g.dtype)
        for i, j in _taps(k):
            _tap(dx, i, j, s, (1, 1), out)[...] += gs
    return _crop(dx, pads, h, w)


AVG_POOL = Op("AvgPool", _avg_pool_fwd,
              lambda n, g: (apply(AVG_POOL_GRAD, (g,), dict(n.attrs, shape=n.inputs[0]._v.shape)),),
              "f")
AVG_POOL_GRAD = Op("AvgPoolGrad", _avg_pool_grad_fwd,
                   lambda n, h: (apply(AVG_POOL, (h,), {"geo": n.attrs["geo"]}),), "f")


# -- public pooling -----------------------------------------------------------------------------
_POOL_KINDS = {
    "MaxPool": ("half", "bfloat16", "float", "double", "int32", "int64", "uint8", "int16",
                "int8", "uint16"),
    "AvgPool": _CONV_DTYPES[:4],
}


def _pool2d(op, opname, input, ksize, strides, padding, data_format, explicit):
    x = _t(input)
    _check_dtype(opname, x, _POOL_KINDS[opname])
    cf = _channels_first(data_format, 2, opname)
    xs = x._v.shape
    if len(xs) != 4:
        raise invalid(opname, f"tensor_in_shape must have 2 spatial dimensions. input shape "
                      f"{_dims(xs)}")
    k = _spatial(ksize, "ksize", 2, cf, opname, "ksize")
    s = _spatial(strides, "strides", 2, cf, opname, "strides")
    hw = (xs[2], xs[3]) if cf else (xs[1], xs[2])
    pads = _pads(padding, hw, k, s, (1, 1), cf, opname, explicit)
    y = apply(op, (_nhwc(x, cf),), {"geo": (k, s, pads)})
    return _from_nhwc(y, cf)


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """Max over ``ksize`` windows; the gradient goes to each window's first maximum."""
    return _pool2d(MAX_POOL, "MaxPool", input, ksize, strides, padding, data_format, True)


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """Mean over ``ksize`` windows; 'SAME' windows divide by their count of real elements."""
    return _pool2d(AVG_POOL, "AvgPool", input, ksize, strides, padding, data_format, False)


def _pool1d(fn, input, ksize, strides, padding, data_format):
    x = _t(input)
    cf = _channels_first(data_format, 1, "pool1d")
    xs = list(x._v.shape)
    if len(xs) != 3:
        raise ValueError(f"`input.shape.rank` must be 3. Received: input.shape={tuple(xs)} of "
                         f"rank {len(xs)}.")
    k = _spatial(ksize, "ksize", 1, cf, "pool1d", "ksize")
    s = _spatial(strides, "strides", 1, cf, "pool1d", "strides")
    if not isinstance(padding, str):
        pairs = [list(p) for p in padding]
        padding = pairs[:2] + [[0, 0]] + pairs[2:] if cf else pairs[:1] + [[0, 0]] + pairs[1:]
    x4 = reshape(x, xs[:2] + [1, xs[2]] if cf else [xs[0], 1] + xs[1:])
    y = fn(x4, (1, k[0]), (1, s[0]), padding, "NCHW" if cf else "NHWC")
    ys = list(y._v.shape)
    return reshape(y, ys[:2] + ys[3:] if cf else ys[:1] + ys[2:])


def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    """1-D max pooling of ``input`` [batch, width, channels] (or NCW)."""
    return _pool1d(max_pool2d, input, ksize, strides, padding, data_format)


def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    """1-D average pooling of ``input`` [batch, width, channels] (or NCW)."""
    return _pool1d(avg_pool2d, input, ksize, strides, padding, data_format)


def _pool_nd(fn1, fn2, input, ksize, strides, padding, data_format):
    x = _t(input)
    nd = x._v.ndim
    if nd == 3:
        return fn1(x, ksize, strides, padding, data_format or "NWC")
    if nd == 4:
        return fn2(x, ksize, strides, padding, data_format or "NHWC")
    if nd == 5:
        from . import conv3d  # cycle: the 3-D pools are built from this module's 2-D ones
        fn3 = conv3d.max_pool3d if fn2 is max_pool2d else conv3d.avg_pool3d
        return fn3(x, ksize, strides, padding, data_format or "NDHWC")
    raise ValueError(f"`input.shape.rank` must be 3, 4 or 5. Received: "
                     f"input.shape={tuple(x._v.shape)} of rank {nd}.")


def max_pool(input, ksize, strides, padding, data_format=None, name=None):
    """Max pooling of a rank-3 (1-D), rank-4 (2-D) or rank-5 (3-D) input."""
    return _pool_nd(max_pool1d, max_pool2d, input, ksize, strides, padding, data_format)


def avg_pool(input, ksize, strides, padding, data_format=None, name=None):
    """Average pooling of a rank-3 (1-D), rank-4 (2-D) or rank-5 (3-D) input."""
    return _pool_nd(avg_pool1d, avg_pool2d, input, ksize, strides, padding, data_format)
