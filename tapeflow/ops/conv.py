"""Convolution ops (``tf.nn``) on strided window views feeding one matmul, with gradients
written as further recorded ops so that higher orders work. Pooling (``ops/pooling.py``)
works on the same window views."""
import math as _math
import threading
import weakref

from ..backend import host as np
from ..backend import xp_of
from ..backend.tuning import workers
from ..errors import InvalidArgumentError, UnimplementedError
from ..errors import _invalid as invalid
from ..tensor import TensorBase, convert_to_tensor
from ._chunks import run_chunks
from ._core import Op, apply, convert_inputs
from .array import BROADCAST, reshape, transpose
from .nn import RELU_GRAD, batch_normalization

__all__ = [
    "conv1d", "conv2d", "convolution", "depthwise_conv2d", "separable_conv2d",
    "conv2d_transpose", "conv1d_transpose", "batch_normalization",
]

# NOTE: the im2col buffer of one batch chunk is kept under this many bytes; larger batches are
# processed in chunks of samples, so memory stays bounded whatever the batch size and the buffer
# stays near the caches (measured: no slower than one big buffer, often faster).
CHUNK_BYTES = 8 << 20
# NOTE: on a GPU the chunks only bound memory: each chunk costs a few dozen kernel launches,
# and a small model's step is launch-bound (the H200 check measured ~20 chunks per step at
# batch 1024 with the CPU's bound), so a chunk there is as large as this.
GPU_CHUNK_BYTES = 512 << 20

_CONV_DTYPES = ("half", "bfloat16", "float", "double", "int32")  # TF's names, for messages
_TF_NAMES = {"float16": "half", "float32": "float", "float64": "double"}


def _t(x):
    return x if isinstance(x, TensorBase) else convert_to_tensor(x)


def _dims(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


# -- geometry -----------------------------------------------------------------------------------
def _out_size(n, k, s, d, lo, hi):
    """Output length of a window of ``k`` taps, dilation ``d``, stride ``s`` over padded ``n``."""
    return max(0, (n + lo + hi - (k - 1) * d - 1) // s + 1)


def _same_pads(n, k, s, d):
    """TF's 'SAME' padding: output ceil(n / s), the odd pixel of padding goes after."""
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def _channels_first(data_format, nd, opname):
    """True for ``NC...`` layouts, False for ``N...C``; anything else is refused."""
    if data_format is None:
        return False
    fmt = str(data_format)
    if len(fmt) == nd + 2 and fmt.startswith("N"):
        if fmt.endswith("C"):
            return False
        if fmt[1] == "C":
            return True
    raise ValueError(f"{opname}: `data_format` must be {'NWC' if nd == 1 else 'NHWC'} or "
                     f"{'NCW' if nd == 1 else 'NCHW'}. Received: data_format={data_format}")


def _spatial(value, name, nd, cf, opname, kind):
    """Per-spatial-dim ints from an int or a list of 1, ``nd`` or ``nd + 2`` ints."""
    if isinstance(value, TensorBase):
        value = value.numpy().tolist()  # NOTE: .numpy() lets a tf.function trace see the read
    if isinstance(value, (int, np.integer)):
        vals = [int(value)] * nd
    else:
        vals = [int(v) for v in value]
        if len(vals) == 1:
            vals = vals * nd
        elif len(vals) == nd + 2:
            outer = (vals[0], vals[1]) if cf else (vals[0], vals[-1])
            if outer != (1, 1):
                what = "Pooling is not yet supported on the batch dimension." if (
                    kind == "ksize" and vals[0] != 1) else (
                    f"Current implementation does not yet support {kind} in the batch and "
                    "depth dimensions.")
                raise UnimplementedError(None, opname, f"{what} ({name}={vals}) [Op:{opname}]")
            vals = vals[2:] if cf else vals[1:-1]
        elif len(vals) != nd:
            raise ValueError(f"{name} should be of length 1, {nd} or {nd + 2}. Received: "
                             f"{name}={vals} of length {len(vals)}")
    if min(vals) <= 0:
        msg = {"strides": "Row and column strides should be larger than 0.",
               "dilations": "Dilated rates should be larger than 0.",
               "ksize": "Sliding window ksize must be positive."}[kind]
        raise InvalidArgumentError(None, opname, f"{msg} ({name}={vals}) [Op:{opname}]")
    return tuple(vals)


def _pads(padding, sizes, ksize, strides, dilations, cf, opname, explicit=True):
    """((lo, hi), ...) per spatial dim for 'SAME', 'VALID' or an explicit list of pairs."""
    if isinstance(padding, str):
        if padding == "VALID":
            return tuple((0, 0) for _ in sizes)
        if padding == "SAME":
            return tuple(_same_pads(*a) for a in zip(sizes, ksize, strides, dilations))
        allowed = '"SAME", "VALID"' + (', "EXPLICIT"' if explicit else "")
        raise invalid(opname, f"Value for attr 'padding' of \"{padding}\" is not in the list of "
                      f"allowed values: {allowed}")
    if not explicit:
        raise TypeError(f"Expected string for argument 'padding' not {padding!r}.")
    pairs = [[int(v) for v in p] for p in padding]
    nd = len(sizes)
    if len(pairs) != nd + 2 or any(len(p) != 2 for p in pairs):
        raise ValueError(f"padding should be a list of {nd + 2} [before, after] pairs. "
                         f"Received: padding={padding}")
    outer = pairs[:2] if cf else [pairs[0], pairs[-1]]
    if any(v != 0 for p in outer for v in p):
        raise invalid(opname, "Nonzero explicit padding in the batch or depth dimensions is not "
                      f"supported (padding={pairs})")
    inner = pairs[2:] if cf else pairs[1:-1]
    if any(v < 0 for p in inner for v in p):
        raise invalid(opname, f"All elements of explicit_paddings must be nonnegative "
                      f"(padding={pairs})")
    return tuple(tuple(p) for p in inner)


def _pad(a, pads, value=0):
    """``a`` (NHWC) with spatial padding filled with ``value``; ``a`` itself if none."""
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return a
    n, h, w, c = a.shape
    xp = xp_of(a)
    out = xp.empty((n, h + pt + pb, w + pl + pr, c), a.dtype)
    out[:, :pt] = value
    out[:, pt + h:] = value
    out[:, pt:pt + h, :pl] = value
    out[:, pt:pt + h, pl + w:] = value
    out[:, pt:pt + h, pl:pl + w] = a
    return out


def _crop(a, pads, h, w):
    (pt, _), (pl, _) = pads
    if a.shape[1] == h and a.shape[2] == w:
        return a
    return xp_of(a).ascontiguousarray(a[:, pt:pt + h, pl:pl + w])


def _windows(a, k, s, d, out):
    """A (N, OH, OW, KH, KW, C) strided view of the windows of ``a`` (NHWC): no copy."""
    n, _, _, c = a.shape
    s0, s1, s2, s3 = a.strides
    return xp_of(a).lib.stride_tricks.as_strided(
        a, (n, out[0], out[1], k[0], k[1], c),
        (s0, s1 * s[0], s2 * s[1], s1 * d[0], s2 * d[1], s3))


def _tap(a, i, j, s, d, out):
    """The (N, OH, OW, C) slice of ``a`` that kernel tap (i, j) sees, as a writable view."""
    h0, w0 = i * d[0], j * d[1]
    return a[:, h0:h0 + s[0] * (out[0] - 1) + 1:s[0], w0:w0 + s[1] * (out[1] - 1) + 1:s[1]]


_scratch = threading.local()


def _workspace(xp, shape, dtype):
    """A reusable per-thread scratch array for im2col buffers (never returned to callers).

    NOTE: reusing it spares a fresh multi-megabyte allocation per chunk, whose page faults
    cost more than the copy itself on some machines.
    """
    nbytes = _math.prod(shape) * np.dtype(dtype).itemsize
    key = id(xp)
    bufs = getattr(_scratch, "bufs", None)
    if bufs is None:
        bufs = _scratch.bufs = {}
    buf = bufs.get(key)
    if buf is None or buf.nbytes < nbytes:
        buf = bufs[key] = xp.empty(max(nbytes, 1), np.uint8)
    return buf[:nbytes].view(dtype).reshape(shape)


# NOTE: the work a chunk should bring at least (bytes of its im2col buffer and output, as
# ``per_sample`` counts them): below it the per-chunk costs (a Python job, BLAS calls on
# small matrices, a thread hand-off) outweigh the balance that more chunks give. Measured on
# 2 cores, batch-32 convnet steps ran 16% faster (2 chunks of 16 samples instead of 6 of 6),
# batch 64 8% faster, batch 128 unchanged (6 chunks either way).
CHUNK_MIN_BYTES = 3 << 20


def _chunks(n, per_sample, xp=np):
    """Batch spans ``[(a, b), ...]`` for ``run_chunks``: at most ``CHUNK_BYTES`` each; on
    several workers a whole number of chunks per worker, up to 3 each (a busy core hands its
    share to a free one) when chunks stay over ``CHUNK_MIN_BYTES``."""
    per_sample = max(per_sample, 1)
    if xp is not np:
        step = max(1, GPU_CHUNK_BYTES // per_sample)
        return [(a, min(n, a + step)) for a in range(0, n, step)]
    step = max(1, CHUNK_BYTES // per_sample)
    k = workers()
    if k > 1:
        count = -(-n * per_sample // CHUNK_MIN_BYTES)
        count = min(3 * k, max(k, -(-count // k) * k))
        step = max(1, min(step, -(-n // count)))
    return [(a, min(n, a + step)) for a in range(0, n, step)]


# -- convolution on NHWC arrays -----------------------------------------------------------------
# The geometry attribute ``geo`` is (strides, dilations, pads, groups) for the spatial dims.


def _filter_matrix(w, groups):
    """The filter as a (K, O) matrix, or (G, K, O/G) for grouped convolutions."""
    kh, kw, cg, co = w.shape
    if groups == 1:
        return w.reshape(kh * kw * cg, co)
    og = co // groups
    return w.reshape(kh, kw, cg, groups, og).transpose(3, 0, 1, 2, 4).reshape(
        groups, kh * kw * cg, og)


# NOTE: with few input channels (the first layer of an image model) the im2col matrix is built
# tap-major, (K, M) in memory: each tap is one plain slice copy and BLAS runs far faster on the
# transposed view than on an (M, K) matrix with K < 16. Wider inputs use the (M, K) layout.
_NARROW = 8


def _kmajor(c, groups):
    return groups == 1 and c < _NARROW


def _cols(xpad, k, geo, out):
    """The im2col matrix of ``xpad``: (M, K) (possibly a transposed view), or (G, M, K/G)."""
    s, d, _, groups = geo
    n, c = xpad.shape[0], xpad.shape[3]
    m = n * out[0] * out[1]
    xp = xp_of(xpad)
    if _kmajor(c, groups):
        buf = _workspace(xp, (k[0], k[1], c, n, out[0], out[1]), xpad.dtype)
        for i in range(k[0]):
            for j in range(k[1]):
                buf[i, j] = _tap(xpad, i, j, s, d, out).transpose(3, 0, 1, 2)
        return buf.reshape(-1, m).T
    win = _windows(xpad, k, s, d, out)
    if groups == 1:
        buf = _workspace(xp, win.shape, xpad.dtype)
        buf[...] = win
        return buf.reshape(m, -1)
    _, oh, ow, kh, kw, _ = win.shape
    win = win.reshape(n, oh, ow, kh, kw, groups, c // groups)
    return win.transpose(5, 0, 1, 2, 3, 4, 6).reshape(groups, m, -1)


# NOTE: a depthwise convolution (one input channel per group) is a per-channel weighted sum of
# kh*kw shifted slices: tap loops of broadcast multiply-adds over cache-sized batch chunks beat
# any matmul formulation (the matmuls would be matrix-vector products per channel).
_DW_CHUNK = 1 << 20


def _depthwise(cg, groups):
    return groups > 1 and cg == 1


def _dw_fwd(x, w, geo, out, y):
    s, d, pads, _ = geo
    xp = xp_of(x)
    n, _, _, c = x.shape
    kh, kw, _, co = w.shape
    wt = w.reshape(kh, kw, c, co // c)
    y5 = y.reshape(n, out[0], out[1], c, co // c)
    xpad = _pad(x, pads)
    step = max(1, _DW_CHUNK // (out[0] * out[1] * co * x.itemsize))
    tmp = _workspace(xp, (min(step, n),) + y5.shape[1:], y.dtype)
    for a in range(0, n, step):
        b = min(n, a + step)
        acc, t = y5[a:b], tmp[:b - a]
        for i in range(kh):
            for j in range(kw):
                xt = _tap(xpad[a:b], i, j, s, d, out)[..., None]
                if i == 0 and j == 0:
                    xp.multiply(xt, wt[i, j], out=acc)
                else:
                    xp.multiply(xt, wt[i, j], out=t)
                    acc += t
    return y


def _dw_bx(g, w, geo, shape, dx):
    s, d, _, _ = geo
    xp = xp_of(g)
    n, _, _, c = shape
    kh, kw, _, co = w.shape
    m = co // c
    out = g.shape[1:3]
    wt = w.reshape(kh, kw, c, m)
    g5 = g.reshape(n, out[0], out[1], c, m)
    step = max(1, _DW_CHUNK // (out[0] * out[1] * c * g.itemsize))
    tmp = _workspace(xp, (min(step, n), out[0], out[1], c), g.dtype)
    for a in range(0, n, step):
        b = min(n, a + step)
        t = tmp[:b - a]
        for i in range(kh):
            for j in range(kw):
                if m == 1:
                    xp.multiply(g5[a:b, ..., 0], wt[i, j, :, 0], out=t)
                else:
                    t[...] = xp.einsum("nhwcm,cm->nhwc", g5[a:b], wt[i, j])
                _tap(dx[a:b], i, j, s, d, out)[...] += t
    return dx


def _dw_bw(x, g, geo, shape):
    s, d, pads, _ = geo
    xp = xp_of(x)
    n, _, _, c = x.shape
    kh, kw, _, co = shape
    m = co // c
    out = g.shape[1:3]
    g5 = g.reshape(n, out[0], out[1], c, m)
    xpad = _pad(x, pads)
    dw = xp.empty((kh, kw, c, m), g.dtype)
    for i in range(kh):
        for j in range(kw):
            xt = _tap(xpad, i, j, s, d, out)
            if m == 1:
                dw[i, j, :, 0] = xp.einsum("nhwc,nhwc->c", xt, g5[..., 0])
            else:
                dw[i, j] = xp.einsum("nhwc,nhwcm->cm", xt, g5)
    return dw.reshape(shape)


def _epilogue_rows(y, bias, relu):
    """The bias and the zeros of the epilogue as rows of one output image row (W * C)."""
    xp = xp_of(y)
    ow = y.shape[2]
    wide_bias = None if bias is None else xp.tile(bias, ow)
    zeros = xp.zeros(ow * y.shape[3], y.dtype) if relu else None
    return wide_bias, zeros


def _epilogue(y, rows):
    """``y += bias`` then ReLU in place on an output chunk (N, H, W, C) still in cache.

    NOTE: seen as (N * H, W * C) rows and combined with a whole row of bias (or zeros) the
    ufuncs run long contiguous inner loops: ~2.5x faster than broadcasting a C-vector, and
    ``maximum`` with an array operand is much faster than with a scalar one.
    """
    wide_bias, zeros = rows
    if wide_bias is None and zeros is None:
        return
    xp = xp_of(y)
    y2 = y.reshape(y.shape[0] * y.shape[1], -1)
    if wide_bias is not None:
        xp.add(y2, wide_bias, out=y2)
    if zeros is not None:
        xp.maximum(y2, zeros, out=y2)


def _conv_fwd(x, w, geo, bias=None, relu=False):
    s, d, pads, groups = geo
    xp = xp_of(x)
    n, h, wd, c = x.shape
    kh, kw, _, co = w.shape
    out = (_out_size(h, kh, s[0], d[0], *pads[0]), _out_size(wd, kw, s[1], d[1], *pads[1]))
    y = xp.empty((n, out[0], out[1], co), x.dtype)
    if y.size == 0:
        return y
    rows = _epilogue_rows(y, bias, relu)
    if _depthwise(w.shape[2], groups):
        _dw_fwd(x, w, geo, out, y)
        _epilogue(y, rows)
        return y
    xpad = _pad(x, pads)
    wm = _filter_matrix(w, groups)
    # NOTE: chunks sized by the im2col buffer and the output chunk, so the epilogue finds the
    # output still in cache.
    def job(a, b):
        cols = _cols(xpad[a:b], (kh, kw), geo, out)
        if groups == 1:
            xp.matmul(cols, wm, out=y[a:b].reshape(cols.shape[0], co))
        else:
            r = xp.matmul(cols, wm)  # (G, M, O/G)
            y[a:b].reshape(-1, groups, co // groups)[...] = r.transpose(1, 0, 2)
        _epilogue(y[a:b], rows)

    run_chunks(job, _chunks(n, out[0] * out[1] * (kh * kw * c + co) * x.itemsize, xp), xp)
    return y


def _conv_bx(g, w, geo, shape):
    """Gradient of a convolution w.r.t. its input (a transposed convolution): col2im."""
    s, d, pads, groups = geo
    xp = xp_of(g)
    n, h, wd, c = shape
    kh, kw, cg, co = w.shape
    out = g.shape[1:3]
    eff = ((kh - 1) * d[0] + 1, (kw - 1) * d[1] + 1)
    full = tuple((e - 1 - lo, e - 1 - hi) for e, (lo, hi) in zip(eff, pads))
    if (g.size and s == (1, 1) and groups == 1 and not _kmajor(c, groups)
            and min(min(full)) >= 0 and h * wd == out[0] * out[1]):
        # NOTE: at stride 1 with 'SAME'-sized output the input gradient is the forward
        # convolution of the padded gradient with the flipped filter: one im2col + matmul, ~15%
        # faster than col2im. ('VALID' would make that matmul larger than col2im's.)
        flipped = xp.ascontiguousarray(w[::-1, ::-1].transpose(0, 1, 3, 2))
        return _conv_fwd(g, flipped, (s, d, full, 1))
    hp, wp = h + pads[0][0] + pads[0][1], wd + pads[1][0] + pads[1][1]
    dx = xp.zeros((n, hp, wp, c), g.dtype)
    if g.size == 0:
        return _crop(dx, pads, h, wd)
    if _depthwise(cg, groups):
        return _crop(_dw_bx(g, w, geo, shape, dx), pads, h, wd)
    wm = _filter_matrix(w, groups)
    kmajor = _kmajor(c, groups)

    def job(a, b):
        nb = b - a
        m = nb * out[0] * out[1]
        if kmajor:
            dcols = _workspace(xp, (kh * kw * c, m), g.dtype)
            xp.matmul(wm, g[a:b].reshape(m, co).T, out=dcols)
            dcols = dcols.reshape(kh, kw, c, nb, out[0], out[1]).transpose(3, 4, 5, 0, 1, 2)
        elif groups == 1:
            # NOTE: one small matmul per kernel tap, added into its strided slice at once
            # while the (M, C) product is in cache: ~15% faster than one (M, K) product whose
            # columns the taps then read with a stride of K.
            gm = g[a:b].reshape(m, co)
            tmp = _workspace(xp, (m, c), g.dtype)
            part = dx[a:b]
            for i in range(kh):
                for j in range(kw):
                    xp.matmul(gm, w[i, j].T, out=tmp)
                    _tap(part, i, j, s, d, out)[...] += tmp.reshape(nb, out[0], out[1], c)
            return
        else:
            gg = g[a:b].reshape(m, groups, co // groups).transpose(1, 0, 2)
            dcols = xp.matmul(gg, wm.transpose(0, 2, 1)).reshape(
                groups, nb, out[0], out[1], kh, kw, cg).transpose(1, 2, 3, 4, 5, 0, 6).reshape(
                nb, out[0], out[1], kh, kw, c)
        part = dx[a:b]
        # NOTE: the scatter-add loops over the kh*kw kernel taps (never over pixels); each tap
        # adds one strided slice, so overlapping windows accumulate without np.add.at.
        for i in range(kh):
            for j in range(kw):
                _tap(part, i, j, s, d, out)[...] += dcols[:, :, :, i, j]

    # NOTE: chunks split the batch, so each writes its own samples of dx
    run_chunks(job, _chunks(n, out[0] * out[1] * kh * kw * c * g.itemsize, xp), xp)
    return _crop(dx, pads, h, wd)


def _conv_bw(x, g, geo, shape):
    """Gradient of a convolution w.r.t. its filter: patches^T @ upstream gradient."""
    s, d, pads, groups = geo
    xp = xp_of(x)
    kh, kw, cg, co = shape
    n, _, _, c = x.shape
    out = g.shape[1:3]
    og = co // groups
    if g.size == 0:
        return xp.zeros(shape, g.dtype)
    if _depthwise(cg, groups):
        return _dw_bw(x, g, geo, shape)
    xpad = _pad(x, pads)

    def job(a, b):
        cols = _cols(xpad[a:b], (kh, kw), geo, out)
        if groups == 1:
            return xp.matmul(cols.T, g[a:b].reshape(-1, co))
        gg = g[a:b].reshape(-1, groups, og).transpose(1, 0, 2)
        return xp.matmul(cols.transpose(0, 2, 1), gg)

    parts = run_chunks(job, _chunks(n, out[0] * out[1] * kh * kw * c * x.itemsize, xp), xp)
    dw = parts[0]
    for p in parts[1:]:
        dw += p
    if groups == 1:
        return dw.reshape(shape)
    return dw.reshape(groups, kh, kw, cg, og).transpose(1, 2, 3, 0, 4).reshape(shape)


# NOTE: the three ops are bilinear and close under differentiation: the gradients of the input
# and filter gradients are again convolutions of the same geometry, so any order works.
def _conv_grad(n, g):
    x, w = n.inputs
    geo = n.attrs["geo"]
    dx = apply(CONV_BX, (g, w), {"geo": geo, "shape": x._v.shape}) if n.needs[0] else None
    dw = apply(CONV_BW, (x, g), {"geo": geo, "shape": w._v.shape}) if n.needs[1] else None
    return dx, dw


def _conv_bx_grad(n, h):
    g, w = n.inputs
    geo = n.attrs["geo"]
    dg = apply(CONV, (h, w), {"geo": geo}) if n.needs[0] else None
    dw = apply(CONV_BW, (h, g), {"geo": geo, "shape": w._v.shape}) if n.needs[1] else None
    return dg, dw


def _conv_bw_grad(n, h):
    x, g = n.inputs
    geo = n.attrs["geo"]
    dx = apply(CONV_BX, (g, h), {"geo": geo, "shape": x._v.shape}) if n.needs[0] else None
    dg = apply(CONV, (x, h), {"geo": geo}) if n.needs[1] else None
    return dx, dg


CONV = Op("Conv2D", _conv_fwd, _conv_grad, "fi")
CONV_BX = Op("Conv2DBackpropInput", _conv_bx, _conv_bx_grad, "fi")
CONV_BW = Op("Conv2DBackpropFilter", _conv_bw, _conv_bw_grad, "fi")


# -- convolution + bias + ReLU as one op (what a Conv2D layer runs) -----------------------------
# NOTE: applying the bias and the ReLU to each output chunk right after its matmul, while it is
# in cache, spares two passes over (and two allocations of) the largest activation of a convnet.
class _Tags:
    """Values attached to live arrays by identity (arrays are unhashable); an entry goes with
    its array."""

    def __init__(self):
        self._d = {}

    def put(self, a, value):
        k, d = id(a), self._d
        d[k] = (weakref.ref(a, lambda _r, k=k: d.pop(k, None)), value)

    def get(self, a):
        e = self._d.get(id(a))
        return e[1] if e is not None and e[0]() is a else None


# NOTE: a max-pool after the fused ReLU (every Keras convnet) routes its gradient to the window
# maxima, where the ReLU's mask is known from the pooled output: MaxPoolGrad applies it to its
# small input gradient and tags its result, and the fused convolution's gradient then skips
# the full-size ReluGrad (see pooling._max_pool_grad). Tags are set when ops run, so a traced
# plan keeps the choice made while tracing.
RELU_OUTPUTS = _Tags()  # outputs of the fused convolution's ReLU
RELU_MASKED = _Tags()  # gradients already masked by the ReLU whose output has id ``value``


def _fused_fwd(x, w, b, geo, relu):
    y = _conv_fwd(x, w, geo, b, relu)
    if relu:
        RELU_OUTPUTS.put(y, True)
    return y


def _relu_grad_fwd(g, y):
    """``g * (y > 0)`` in batch chunks spread over the workers (what ``ReluGrad`` computes)."""
    xp = xp_of(g)
    out = xp.empty_like(g)

    def job(a, b):
        xp.multiply(g[a:b], y[a:b] > 0, out=out[a:b])

    run_chunks(job, _chunks(g.shape[0], g[:1].nbytes * 4, xp), xp)
    return out


# NOTE: the same op as nn's ReluGrad (linear in g, flat in y), computed in parallel chunks
RELU_GRAD_CHUNKED = Op("ReluGrad", _relu_grad_fwd,
                       lambda n, gg: (apply(RELU_GRAD, (gg, n.inputs[1]), {}), None), "f")


def _fused_grad(n, g):
    x, w, _ = n.inputs
    geo = n.attrs["geo"]
    if n.attrs["relu"] and RELU_MASKED.get(g._v) != id(n.out._v):
        g = apply(RELU_GRAD_CHUNKED, (g, n.out), {})
    dx = apply(CONV_BX, (g, w), {"geo": geo, "shape": x._v.shape}) if n.needs[0] else None
    dw = apply(CONV_BW, (x, g), {"geo": geo, "shape": w._v.shape}) if n.needs[1] else None
    db = apply(BIAS_GRAD, (g,), {}) if n.needs[2] else None
    return dx, dw, db


def _bias_grad_fwd(g):
    """Sum over all axes but the last, as one matrix-vector product (several times faster
    than ``sum(axis=0)`` over a tall matrix)."""
    c = g.shape[-1]
    m = g.size // c if c else 0
    return xp_of(g).ones(m, g.dtype) @ g.reshape(m, c)


FUSED_CONV = Op("_FusedConv2D", _fused_fwd, _fused_grad, "f")
BIAS_GRAD = Op("BiasAddGrad", _bias_grad_fwd,
               lambda n, h: (apply(BROADCAST, (h,), {"shape": n.inputs[0]._v.shape}),), "f")


# -- public convolutions ------------------------------------------------------------------------
def _check_dtype(opname, t, allowed=_CONV_DTYPES):
    name = t.dtype.name
    if _TF_NAMES.get(name, name) not in allowed:
        raise invalid(opname, f"Value for attr 'T' of {name} is not in the list of allowed "
                      f"values: {', '.join(allowed)} (input shape {_dims(t._v.shape)})")


_NAMED = {}  # opname -> an Op used only to convert inputs (its name goes into dtype errors)


def _pair(opname, x, w):
    op = _NAMED.get(opname) or _NAMED.setdefault(opname, Op(opname, None))
    x, w = convert_inputs(op, [x, w])
    _check_dtype(opname, x)
    return x, w


def _nhwc(t, cf):
    return transpose(t, [0, 2, 3, 1]) if cf else t


def _from_nhwc(t, cf):
    return transpose(t, [0, 3, 1, 2]) if cf else t


def _conv2d(opname, x, w, strides, padding, data_format, dilations, explicit=True, bias=None,
            relu=False):
    """Validated 2-D convolution of tensors ``x`` and ``w`` (filter HWIO) in ``data_format``,
    optionally fused with a channel ``bias`` and a ReLU (channels-last only)."""
    cf = _channels_first(data_format, 2, opname)
    xs, ws = x._v.shape, w._v.shape
    if len(xs) != 4:
        raise invalid(opname, f"convolution input must be 4-dimensional: {_dims(xs)}")
    if len(ws) != 4:
        raise invalid(opname, f"convolution filter must be 4-dimensional: {_dims(ws)}")
    s = _spatial(strides, "strides", 2, cf, opname, "strides")
    d = _spatial(1 if dilations is None else dilations, "dilations", 2, cf, opname, "dilations")
    c = xs[1] if cf else xs[3]
    hw = (xs[2], xs[3]) if cf else (xs[1], xs[2])
    if 0 in ws:
        raise invalid(opname, "filter must not have zero elements (i.e. all dimensions must be "
                      f"non-zero) (filter shape {_dims(ws)})")
    if c % ws[2]:
        raise invalid(opname, f"input depth must be evenly divisible by filter depth: {c} vs "
                      f"{ws[2]} (input shape {_dims(xs)}, filter shape {_dims(ws)})")
    groups = c // ws[2]
    if ws[3] % groups:
        raise invalid(opname, f"output depth must be evenly divisible by number of groups: "
                      f"{ws[3]} vs {groups} (input shape {_dims(xs)}, filter shape {_dims(ws)})")
    pads = _pads(padding, hw, ws[:2], s, d, cf, opname, explicit)
    if bias is not None and not cf:
        return apply(FUSED_CONV, (x, w, bias), {"geo": (s, d, pads, groups), "relu": relu})
    y = apply(CONV, (_nhwc(x, cf), w), {"geo": (s, d, pads, groups)})
    return _from_nhwc(y, cf)


def conv2d_bias_relu(input, filters, bias, strides, padding, dilations=None, relu=False):
    """``relu(conv2d(input, filters) + bias)`` (NHWC) as one op, for the Keras Conv2D layer;
    ``relu=False`` leaves out the ReLU. Not a TF name."""
    x, w = _pair("Conv2D", input, filters)
    b = convert_inputs(_NAMED["Conv2D"], [x, bias])[1]
    if b._v.shape != (w._v.shape[3],):
        raise invalid("BiasAdd", f"Must provide as many biases as the last dimension of the "
                      f"input tensor: {_dims(b._v.shape)} vs. {_dims(w._v.shape)}")
    return _conv2d("Conv2D", x, w, strides, padding, "NHWC", dilations, bias=b, relu=relu)


def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None, name=None):
    """2-D convolution of ``input`` (NHWC or NCHW) with ``filters`` [kh, kw, in, out].

    Input depth a multiple of the filter's in-depth makes a grouped convolution, as in TF.
    """
    x, w = _pair("Conv2D", input, filters)
    return _conv2d("Conv2D", x, w, strides, padding, data_format, dilations)


def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None, name=None):
    """1-D convolution of ``input`` [batch, width, in] (or NCW) with ``filters`` [k, in, out]."""
    x, w = _pair("Conv2D", input, filters)
    cf = _channels_first(data_format, 1, "conv1d")
    if not isinstance(padding, str):
        raise TypeError(f"Expected string for argument 'padding' not {padding!r}.")
    s = _spatial(stride, "stride", 1, cf, "Conv2D", "strides")
    d = _spatial(1 if dilations is None else dilations, "dilations", 1, cf, "Conv2D",
                 "dilations")
    xs = list(x._v.shape)
    x4 = reshape(x, xs[:-1] + [1, xs[-1]] if cf else xs[:-2] + [1] + xs[-2:])
    w4 = reshape(w, [1] + list(w._v.shape))
    y = _conv2d("Conv2D", x4, w4, (1, s[0]), padding, "NCHW" if cf else "NHWC", (1, d[0]))
    ys = list(y._v.shape)
    return reshape(y, ys[:2] + ys[3:] if cf else ys[:1] + ys[2:])


def convolution(input, filters, strides=None, padding="VALID", data_format=None,
                dilations=None, name=None):
    """N-D convolution dispatching on rank: 1-D (rank 3), 2-D (rank 4) and 3-D (rank 5)."""
    x = _t(input)
    nd = x._v.ndim - 2
    strides = 1 if strides is None else strides
    if nd == 1:
        return conv1d(x, filters, strides, padding, data_format or "NWC", dilations)
    if nd == 2:
        return conv2d(x, filters, strides, padding, data_format or "NHWC", dilations)
    if nd == 3:
        from .conv3d import conv3d  # cycle: the 3-D convolution is built from conv2d
        return conv3d(x, filters, strides, padding, data_format or "NDHWC", dilations)
    raise UnimplementedError(None, "Conv", f"tapeflow implements 1-D to 3-D convolutions only "
                             f"(input shape {_dims(x._v.shape)})")


def depthwise_conv2d(input, filter, strides, padding, data_format=None, dilations=None,
                     name=None):
    """Per-channel 2-D convolution: ``filter`` [kh, kw, in, multiplier] -> in*multiplier outputs.

    NOTE: computed as a grouped convolution with one group per input channel, so it shares the
    conv ops (and their gradients of every order).
    """
    op = "DepthwiseConv2dNative"
    x, w = _pair(op, input, filter)
    cf = _channels_first(data_format or "NHWC", 2, op)
    xs, ws = x._v.shape, w._v.shape
    if len(xs) != 4:
        raise invalid(op, f"input must be 4-dimensional: {_dims(xs)}")
    if len(ws) != 4:
        raise invalid(op, f"filter must be 4-dimensional: {_dims(ws)}")
    st = [int(v) for v in (strides.numpy().tolist() if isinstance(strides, TensorBase)
                           else ([strides] if isinstance(strides, int) else strides))]
    if len(st) != 4:
        raise invalid(op, f"Sliding window strides field must specify 4 dimensions "
                      f"(strides={st})")
    c = xs[1] if cf else xs[3]
    if c != ws[2]:
        raise invalid(op, f"input and filter must have the same depth: {c} vs {ws[2]} "
                      f"(input shape {_dims(xs)}, filter shape {_dims(ws)})")
    rate = _spatial(1 if dilations is None else dilations, "dilations", 2, cf, op, "dilations")
    if max(rate) > 1 and max(st) > 1:
        # NOTE: TF only warns here and returns a space-to-batch artefact, not a strided dilated
        # convolution; refusing is better than silently returning different numbers.
        raise ValueError("depthwise_conv2d: when the dilation rate is greater than 1, all "
                         f"strides must be 1. Received: dilations={list(rate)}, strides={st}")
    w2 = reshape(w, [ws[0], ws[1], 1, ws[2] * ws[3]])
    return _conv2d(op, x, w2, st, padding, "NCHW" if cf else "NHWC", rate)


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding,
                     data_format=None, dilations=None, name=None):
    """Depthwise convolution followed by a 1x1 (pointwise) convolution."""
    y = depthwise_conv2d(input, depthwise_filter, strides, padding, data_format, dilations)
    return conv2d(y, pointwise_filter, 1, "VALID", data_format or "NHWC")


def _conv2d_transpose(op, x, w, output_shape, strides, padding, data_format, dilations):
    cf = _channels_first(data_format, 2, op)
    xs, ws = x._v.shape, w._v.shape
    if isinstance(output_shape, TensorBase):
        output_shape = output_shape.numpy().tolist()
    osh = [int(v) for v in output_shape]
    if len(xs) != 4 or len(ws) != 4:
        raise invalid(op, f"input and filter must be 4-dimensional: {_dims(xs)} and "
                      f"{_dims(ws)}")
    n = xs[0]
    if len(osh) == 2:
        osh = [n, ws[2]] + osh if cf else [n] + osh + [ws[2]]
    if len(osh) != 4:
        raise invalid(op, f"Conv2DBackpropInput requires input_sizes to contain 4 values or 2 "
                      f"values, but got: {len(osh)}")
    s = _spatial(strides, "strides", 2, cf, op, "strides")
    d = _spatial(1 if dilations is None else dilations, "dilations", 2, cf, op, "dilations")
    c_out, hw = (osh[1], osh[2:]) if cf else (osh[3], osh[1:3])
    c_in, in_hw = (xs[1], xs[2:]) if cf else (xs[3], xs[1:3])
    pre = "Conv2DCustomBackpropInput: "
    if osh[0] != n:
        raise invalid(op, f"{pre}input and out_backprop must have the same batch size. Input "
                      f"batch: {osh[0]}, outbackprop batch: {n}, batch_dim: 0")
    if c_out != ws[2]:
        raise invalid(op, f"{pre}input and filter must have the same depth: {c_out} vs {ws[2]} "
                      f"(output_shape {osh}, filter shape {_dims(ws)})")
    if c_in != ws[3]:
        raise invalid(op, f"{pre}filter and out_backprop must have the same out_depth: "
                      f"{ws[3]} vs {c_in} (input shape {_dims(xs)}, filter shape {_dims(ws)})")
    pads = _pads(padding, hw, ws[:2], s, d, cf, op)
    for i in range(2):
        want = _out_size(hw[i], ws[i], s[i], d[i], *pads[i])
        if want != in_hw[i]:
            raise invalid(op, f"{pre}Size of out_backprop doesn't match computed: actual = "
                          f"{in_hw[i]}, computed = {want} spatial_dim: {i + 1} input: {hw[i]} "
                          f"filter: {ws[i]} output: {in_hw[i]} stride: {s[i]} dilation: {d[i]}")
    shape = (n, hw[0], hw[1], c_out)
    y = apply(CONV_BX, (_nhwc(x, cf), w), {"geo": (s, d, pads, 1), "shape": shape})
    return _from_nhwc(y, cf)


def conv2d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NHWC",
                     dilations=None, name=None):
    """The transpose (gradient) of ``conv2d``: ``filters`` [kh, kw, out, in], to ``output_shape``.

    NOTE: dilations > 1 are computed (TF's CPU kernel refuses them; its GPU kernel does not).
    """
    op = "Conv2DBackpropInput"
    x, w = _pair(op, input, filters)
    return _conv2d_transpose(op, x, w, output_shape, strides, padding, data_format, dilations)


def conv1d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NWC",
                     dilations=None, name=None):
    """The transpose of ``conv1d``: ``filters`` [k, out, in], to ``output_shape`` (3 values)."""
    op = "Conv2DBackpropInput"
    x, w = _pair(op, input, filters)
    cf = _channels_first(data_format, 1, "conv1d_transpose")
    if isinstance(output_shape, TensorBase):
        output_shape = output_shape.numpy().tolist()
    osh = [int(v) for v in output_shape]
    if len(osh) != 3:
        raise ValueError(f"output_shape must have length 3. Received: output_shape={osh}")
    s = _spatial(strides, "strides", 1, cf, op, "strides")
    d = _spatial(1 if dilations is None else dilations, "dilations", 1, cf, op, "dilations")
    xs = list(x._v.shape)
    x4 = reshape(x, xs[:-1] + [1, xs[-1]] if cf else xs[:-2] + [1] + xs[-2:])
    w4 = reshape(w, [1] + list(w._v.shape))
    o4 = osh[:2] + [1, osh[2]] if cf else [osh[0], 1] + osh[1:]
    y = _conv2d_transpose(op, x4, w4, o4, (1, s[0]), padding, "NCHW" if cf else "NHWC",
                          (1, d[0]))
    ys = list(y._v.shape)
    return reshape(y, ys[:2] + ys[3:] if cf else ys[:1] + ys[2:])
