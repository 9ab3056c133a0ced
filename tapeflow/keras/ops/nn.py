"""``keras.ops.nn``: activations, normalisation, convolution and pooling, losses and
attention, on tapeflow ops (differentiable where the math is)."""
import math as _math

from ...backend import host as np
from ...errors import _invalid as invalid
from ...ops import array as A
from ...ops import conv as C
from ...ops import indexing as IX
from ...ops import linalg as L
from ...ops import math as M
from ...ops import nn as N
from ...ops import pooling as P
from ...ops import reduction as R
from ...ops import sorting as S
from ._base import conv as _t
from ._base import floatx, host, need_float, to_float


def _c(v, x):
    return _t(v, x.dtype)


def _f(fn, name, doc, kind="invalid"):
    def g(x):
        if kind == "keep":
            x = _t(x)
            return fn(x) if x.dtype.name != "bool" else fn(M.cast(x, "int32"))
        return fn(need_float(x, name, kind))
    g.__name__ = name
    g.__doc__ = doc
    return g


relu = _f(N.relu, "relu", "``max(x, 0)``.", "keep")
relu6 = _f(N.relu6, "relu6", "``min(max(x, 0), 6)``.", "keep")
sigmoid = _f(M.sigmoid, "sigmoid", "``1 / (1 + exp(-x))``.")
softplus = _f(M.softplus, "softplus", "``log(1 + exp(x))``.")
softsign = _f(lambda x: M.divide(x, M.add(M.abs(x), M.ones_like(x))), "softsign",
              "``x / (1 + |x|)``.")
silu = _f(lambda x: M.multiply(x, M.sigmoid(x)), "silu", "``x * sigmoid(x)``.")
swish = silu
log_sigmoid = _f(M.log_sigmoid, "log_sigmoid", "``log(sigmoid(x))``.")
selu = _f(N.selu, "selu", "Scaled exponential linear unit.")
tanh_shrink = _f(lambda x: M.subtract(x, M.tanh(x)), "tanh_shrink", "``x - tanh(x)``.")


def sparse_sigmoid(x):
    """0 below -1, 1 above 1, ``(x + 1) / 2`` between."""
    x = need_float(x, "sparse_sigmoid", "type")
    return M.clip_by_value(M.multiply(M.add(x, M.ones_like(x)), _c(0.5, x)), _c(0.0, x),
                           _c(1.0, x))


def hard_sigmoid(x):
    """``relu6(x + 3) / 6``."""
    x = need_float(x, "hard_sigmoid", "type")
    return M.divide(N.relu6(M.add(x, _c(3.0, x))), _c(6.0, x))


def hard_silu(x):
    """``x * hard_sigmoid(x)``."""
    x = need_float(x, "hard_silu", "type")
    return M.multiply(x, hard_sigmoid(x))


hard_swish = hard_silu


def hard_tanh(x):
    """``x`` clipped to [-1, 1]."""
    x = need_float(x, "hard_tanh", "type")
    return M.clip_by_value(x, _c(-1.0, x), _c(1.0, x))


def leaky_relu(x, negative_slope=0.2):
    """``x`` where positive, ``negative_slope * x`` elsewhere."""
    x = to_float(x)
    return M.where(M.greater_equal(x, M.zeros_like(x)), x, M.multiply(x, _c(negative_slope, x)))


def elu(x, alpha=1.0):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    x = need_float(x, "elu", "invalid")
    neg = M.multiply(_c(alpha, x), M.expm1(M.minimum(x, M.zeros_like(x))))
    return M.where(M.greater(x, M.zeros_like(x)), x, neg)


def celu(x, alpha=1.0):
    """``max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))``."""
    x = need_float(x, "celu", "type")
    a = _c(alpha, x)
    neg = M.multiply(a, M.expm1(M.divide(M.minimum(x, M.zeros_like(x)), a)))
    return M.add(M.maximum(x, M.zeros_like(x)), neg)


def gelu(x, approximate=True):
    """Gaussian error linear unit (the tanh approximation by default, as Keras)."""
    x = _t(x)
    if not x.dtype.is_floating:
        raise ValueError(f"gelu: expected a floating-point input, got {x.dtype.name}")
    if approximate:
        c = _c(_math.sqrt(2.0 / _math.pi), x)
        inner = M.multiply(c, M.add(x, M.multiply(_c(0.044715, x), M.pow(x, _c(3.0, x)))))
        return M.multiply(M.multiply(_c(0.5, x), x), M.add(M.ones_like(x), M.tanh(inner)))
    return M.multiply(M.multiply(_c(0.5, x), x),
                      M.add(M.ones_like(x), M.erf(M.divide(x, _c(_math.sqrt(2.0), x)))))


def glu(x, axis=-1):
    """First half of ``x`` along ``axis`` gated by the sigmoid of the second half."""
    x = need_float(x, "glu", "invalid")
    if x.shape[axis] % 2:
        raise ValueError(f"axis size must be divisible by 2. Received: x.shape={tuple(x.shape)}"
                         f" with axis={axis}")
    a, b = IX.split(x, 2, axis=axis)
    return M.multiply(a, M.sigmoid(b))


def soft_shrink(x, threshold=0.5):
    """``x - threshold`` above it, ``x + threshold`` below ``-threshold``, 0 between."""
    x = need_float(x, "soft_shrink", "type")
    t = _c(threshold, x)
    z = M.zeros_like(x)
    return M.where(M.greater(x, t), M.subtract(x, t),
                   M.where(M.less(x, M.negative(t)), M.add(x, t), z))


def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, 0 elsewhere."""
    x = need_float(x, "hard_shrink", "type")
    return M.where(M.greater(M.abs(x), _c(threshold, x)), x, M.zeros_like(x))


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, ``default_value`` elsewhere."""
    x = _t(x)
    return M.where(M.greater(x, _c(threshold, x)), x,
                   A.broadcast_to(_c(default_value, x), list(x.shape)))


def sparse_plus(x):
    """0 below -1, ``(x + 1)**2 / 4`` between, ``x`` above 1."""
    x = need_float(x, "sparse_plus", "type")
    one = M.ones_like(x)
    mid = M.multiply(_c(0.25, x), M.square(M.add(x, one)))
    return M.where(M.less_equal(x, M.negative(one)), M.zeros_like(x),
                   M.where(M.less(x, one), mid, x))


def squareplus(x, b=4):
    """``(x + sqrt(x**2 + b)) / 2``."""
    x = need_float(x, "squareplus", "invalid")
    return M.multiply(_c(0.5, x), M.add(x, M.sqrt(M.add(M.square(x), _c(b, x)))))


def softmax(x, axis=-1):
    """Softmax over ``axis`` (several axes flattened together)."""
    x = need_float(x, "softmax", "invalid")
    if isinstance(axis, (tuple, list)):
        m = R.reduce_max(x, axis=list(axis), keepdims=True)
        e = M.exp(M.subtract(x, M.stop_gradient(m)))
        return M.divide(e, R.reduce_sum(e, axis=list(axis), keepdims=True))
    return N.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    """Log of the softmax over ``axis``."""
    x = need_float(x, "log_softmax", "invalid")
    if isinstance(axis, (tuple, list)):
        return M.subtract(x, R.reduce_logsumexp(x, axis=list(axis), keepdims=True))
    return N.log_softmax(x, axis=axis)


def sparsemax(x, axis=-1):
    """The Euclidean projection of ``x`` onto the probability simplex along ``axis``."""
    x = need_float(x, "sparsemax", "invalid")
    nd = len(x.shape)
    axis %= nd
    srt = M.negative(S.sort(M.negative(x), axis=axis))
    cs = R.cumsum(srt, axis=axis)
    k = x.shape[axis]
    shape = [1] * nd
    shape[axis] = k
    r = A.reshape(_t(np.arange(1, k + 1), x.dtype), shape)
    support = M.cast(M.greater(M.add(M.ones_like(srt), M.multiply(r, srt)), cs), x.dtype)
    kz = R.reduce_sum(support, axis=axis, keepdims=True)
    tau = M.divide(M.subtract(R.reduce_sum(M.multiply(support, srt), axis=axis, keepdims=True),
                              M.ones_like(kz)), kz)
    return M.maximum(M.subtract(x, tau), M.zeros_like(x))


# ---------------------------------------------------------------- normalisation

def moments(x, axes, keepdims=False, synchronized=False):
    """Mean and variance over ``axes``; float16 inputs compute in float32, integer inputs
    in integer arithmetic (as TensorFlow's reductions do)."""
    x = _t(x)
    d = x.dtype.name
    if not x.dtype.is_floating:
        m = R.reduce_mean(x, axis=list(axes), keepdims=True)
        v = R.reduce_mean(M.squared_difference(x, m), axis=list(axes), keepdims=keepdims)
        return (m if keepdims else A.squeeze(m, axis=list(axes))), v
    if d == "float16":
        x = M.cast(x, "float32")
    m = R.reduce_mean(x, axis=list(axes), keepdims=True)
    v = R.reduce_mean(M.square(M.subtract(x, M.stop_gradient(m))), axis=list(axes),
                      keepdims=True)
    if not keepdims:
        m = A.squeeze(m, axis=list(axes))
        v = A.squeeze(v, axis=list(axes))
    return M.cast(m, d), M.cast(v, d)


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset``, the statistics along
    ``axis``."""
    x = to_float(x)
    nd = len(x.shape)
    shape = [1] * nd
    shape[axis % nd] = x.shape[axis]

    def r(v):
        return A.reshape(_t(v, x.dtype), shape)
    inv = M.rsqrt(M.add(r(variance), _c(epsilon, x)))
    if scale is not None:
        inv = M.multiply(inv, r(scale))
    y = M.multiply(M.subtract(x, r(mean)), inv)
    return y if offset is None else M.add(y, r(offset))


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """Normalise over ``axis`` then scale by ``gamma`` and shift by ``beta``."""
    x = to_float(x)
    eps = 1e-7 if epsilon is None else epsilon
    axes = [axis] if isinstance(axis, int) else list(axis)
    m, v = moments(x, axes, keepdims=True)
    y = M.multiply(M.subtract(x, m), M.rsqrt(M.add(v, _c(eps, x))))
    if gamma is not None:
        y = M.multiply(y, _t(gamma, x.dtype))
    if beta is not None:
        y = M.add(y, _t(beta, x.dtype))
    return y


def rms_normalization(x, scale=1, axis=-1, epsilon=None):
    """``x / sqrt(mean(x**2) + epsilon) * scale``."""
    x = to_float(x)
    eps = 1e-7 if epsilon is None else epsilon
    ms = R.reduce_mean(M.square(x), axis=axis, keepdims=True)
    return M.multiply(M.multiply(x, M.rsqrt(M.add(ms, _c(eps, x)))), _t(scale, x.dtype))


def normalize(x, axis=-1, order=2, epsilon=None):
    """``x`` divided by its ``order``-norm along ``axis``."""
    x = to_float(x)
    eps = 1e-12 if epsilon is None else epsilon
    if order == 2:
        sq = R.reduce_sum(M.square(x), axis=axis, keepdims=True)
        return M.multiply(x, M.rsqrt(M.maximum(sq, _c(eps * eps, x))))
    n = L.norm(x, ord=order, axis=axis, keepdims=True)
    return M.divide(x, M.maximum(n, _c(eps, x)))


def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio in dB."""
    a, b = to_float(x1), to_float(x2)
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(f"Input shapes {tuple(a.shape)} and {tuple(b.shape)} must match for "
                         "PSNR calculation.")
    mse = R.reduce_mean(M.square(M.subtract(a, b)))
    mv = _c(max_val, mse)
    return M.subtract(M.multiply(_c(20.0, mse), M.divide(M.log(mv), _c(_math.log(10), mse))),
                      M.multiply(_c(10.0, mse), M.divide(M.log(mse), _c(_math.log(10), mse))))


# ---------------------------------------------------------------- one-hot and losses

def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot encoding of integer ``x`` (``floatx`` by default)."""
    x = _t(x)
    return A.one_hot(M.cast(x, "int32"), num_classes, axis=axis, dtype=dtype or floatx())


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """Multi-hot encoding: 1 for each class present along the last axis."""
    num_classes = kwargs.pop("num_tokens", num_classes)
    x = _t(inputs)
    oh = A.one_hot(M.cast(x, "int32"), num_classes, axis=axis, dtype=dtype or floatx())
    red = -2 if len(x.shape) > 1 else 0
    if axis not in (-1, len(x.shape)):
        red = axis
    return R.reduce_max(oh, axis=red)


def binary_crossentropy(target, output, from_logits=False):
    """Element-wise binary cross-entropy."""
    t, o = _t(target), to_float(output)
    if t.dtype != o.dtype:
        raise invalid("Mul", f"cannot compute Mul as input #1(zero-based) was expected to be a "
                      f"{t.dtype.name} tensor but is a {o.dtype.name} tensor")
    t = _t(t, o.dtype)
    if tuple(t.shape) != tuple(o.shape):
        raise ValueError("Arguments `target` and `output` must have the same shape. Received:"
                         f" target.shape={tuple(t.shape)}, output.shape={tuple(o.shape)}")
    if from_logits:
        return N.sigmoid_cross_entropy_with_logits(labels=t, logits=o)
    eps = _c(1e-7, o)
    o = M.clip_by_value(o, eps, M.subtract(M.ones_like(eps), eps))
    one = M.ones_like(o)
    return M.negative(M.add(M.multiply(t, M.log(o)),
                            M.multiply(M.subtract(one, t), M.log(M.subtract(one, o)))))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy between one-hot ``target`` and probabilities (or logits) ``output``."""
    t, o = to_float(target), to_float(output)
    t = _t(t, o.dtype)
    if len(t.shape) < 1:
        raise ValueError("Arguments `target` and `output` must be at least rank 1. Received:"
                         f" target.shape={tuple(t.shape)}, output.shape={tuple(o.shape)}")
    if tuple(t.shape) != tuple(o.shape):
        raise ValueError("Arguments `target` and `output` must have the same shape. Received:"
                         f" target.shape={tuple(t.shape)}, output.shape={tuple(o.shape)}")
    if from_logits:
        return M.negative(R.reduce_sum(M.multiply(t, N.log_softmax(o, axis=axis)), axis=axis))
    o = M.divide(o, R.reduce_sum(o, axis=axis, keepdims=True))
    eps = _c(1e-7, o)
    o = M.clip_by_value(o, eps, M.subtract(M.ones_like(eps), eps))
    return M.negative(R.reduce_sum(M.multiply(t, M.log(o)), axis=axis))


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy between integer ``target`` and probabilities (or logits) ``output``."""
    o = to_float(output)
    t = _t(target)
    if len(t.shape) == len(o.shape) and t.shape[-1] == 1:
        t = A.squeeze(t, axis=[-1])
    if len(t.shape) != len(o.shape) - 1:
        raise ValueError("Argument `output` must have rank (ndim) `target.ndim - 1`. Received:"
                         f" target.shape={tuple(t.shape)}, output.shape={tuple(o.shape)}")
    oh = A.one_hot(M.cast(t, "int32"), o.shape[axis], axis=axis, dtype=o.dtype)
    if from_logits:
        return categorical_crossentropy(oh, o, from_logits=True, axis=axis)
    eps = _c(1e-7, o)
    o = M.clip_by_value(o, eps, M.subtract(M.ones_like(eps), eps))
    logp = N.log_softmax(M.log(o), axis=axis)
    return M.negative(R.reduce_sum(M.multiply(oh, logp), axis=axis))


# ---------------------------------------------------------------- convolution and pooling

def _nd(x):
    return len(x.shape) - 2


def _tuple(v, n):
    return [v] * n if isinstance(v, int) else list(v)


def _to_last(x, data_format):
    if data_format == "channels_first":
        nd = len(x.shape)
        return A.transpose(x, [0] + list(range(2, nd)) + [1])
    return x


def _from_last(x, data_format):
    if data_format == "channels_first":
        nd = len(x.shape)
        return A.transpose(x, [0, nd - 1] + list(range(1, nd - 1)))
    return x


def _pool(fn, inputs, pool_size, strides, padding, data_format):
    x = to_float(inputs)
    n = _nd(x)
    ps = _tuple(pool_size, n)
    st = ps if strides is None else _tuple(strides, n)
    y = fn(_to_last(x, data_format), ps, st, padding.upper())
    return _from_last(y, data_format)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling of a 1-D or 2-D input (``channels_last`` by default)."""
    return _pool(P.max_pool, inputs, pool_size, strides, padding, data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling of a 1-D or 2-D input."""
    return _pool(P.avg_pool, inputs, pool_size, strides, padding, data_format)


def _adaptive(reduce, inputs, output_size, data_format):
    x = _to_last(to_float(inputs), data_format)
    n = _nd(x)
    out = _tuple(output_size, n)
    for d in range(n):
        ax = 1 + d
        size = x.shape[ax]
        parts = []
        for i in range(out[d]):
            a = (i * size) // out[d]
            b = -((-(i + 1) * size) // out[d])
            begin = [0] * len(x.shape)
            sz = list(x.shape)
            begin[ax], sz[ax] = a, b - a
            parts.append(reduce(A.slice(x, begin, sz), axis=ax, keepdims=True))
        x = A.concat(parts, ax)
    return _from_last(x, data_format)


def adaptive_average_pool(inputs, output_size, data_format=None):
    """Average pooling to a fixed ``output_size``."""
    return _adaptive(R.reduce_mean, inputs, output_size, data_format)


def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max pooling to a fixed ``output_size``."""
    return _adaptive(R.reduce_max, inputs, output_size, data_format)


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution (1-D or 2-D), kernel ``[*spatial, in, out]``."""
    x, w = to_float(inputs), to_float(kernel)
    n = _nd(x)
    y = C.convolution(_to_last(x, data_format), w, strides=_tuple(strides, n),
                      padding=padding.upper(), dilations=_tuple(dilation_rate, n))
    return _from_last(y, data_format)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """Per-channel convolution, kernel ``[*spatial, in, multiplier]``."""
    x, w = to_float(inputs), to_float(kernel)
    n = _nd(x)
    xl = _to_last(x, data_format)
    if n == 1:
        xl = A.expand_dims(xl, 1)
        w = A.expand_dims(w, 0)
    st = [1] + ([1] if n == 1 else []) + _tuple(strides, n) + [1]
    dr = ([1] if n == 1 else []) + _tuple(dilation_rate, n)
    y = C.depthwise_conv2d(xl, w, st, padding.upper(), dilations=dr)
    if n == 1:
        y = A.squeeze(y, axis=[1])
    return _from_last(y, data_format)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    """Depthwise convolution then a 1x1 convolution."""
    y = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(y, pointwise_kernel, 1, "valid", data_format)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    """Transposed convolution (1-D or 2-D), kernel ``[*spatial, out, in]``."""
    x, w = to_float(inputs), to_float(kernel)
    n = _nd(x)
    xl = _to_last(x, data_format)
    if w.shape[-1] != xl.shape[-1]:
        raise ValueError(f"conv_transpose: the kernel's last dimension ({w.shape[-1]}) must "
                         f"match the input channels ({xl.shape[-1]}). Received: "
                         f"inputs.shape={tuple(x.shape)}, kernel.shape={tuple(w.shape)}")
    st, dr = _tuple(strides, n), _tuple(dilation_rate, n)
    ks = list(w.shape[:n])
    op = [None] * n if output_padding is None else _tuple(output_padding, n)
    spatial = []
    for i in range(n):
        k = (ks[i] - 1) * dr[i] + 1
        length = xl.shape[1 + i]
        if op[i] is None:
            spatial.append(length * st[i] if padding == "same"
                           else length * st[i] + max(k - st[i], 0))
        else:
            pad = 0 if padding == "valid" else k // 2
            spatial.append((length - 1) * st[i] + k - 2 * pad + op[i])
    osh = [xl.shape[0]] + spatial + [w.shape[-2]]
    if n == 1:
        y = C.conv1d_transpose(xl, w, osh, st[0], padding.upper(), dilations=dr[0])
    else:
        y = C.conv2d_transpose(xl, w, osh, st, padding.upper(), dilations=dr)
    return _from_last(y, data_format)


def depth_to_space(x, block_size, data_format="channels_last"):
    """Rearrange channel blocks into spatial blocks (NHWC or NCHW)."""
    x = _to_last(_t(x), data_format)
    b = block_size
    n, h, w, c = x.shape
    y = A.reshape(x, [n, h, w, b, b, c // (b * b)])
    y = A.transpose(y, [0, 1, 3, 2, 4, 5])
    return _from_last(A.reshape(y, [n, h * b, w * b, c // (b * b)]), data_format)


def space_to_depth(x, block_size, data_format="channels_last"):
    """Rearrange spatial blocks into channels."""
    x = _to_last(_t(x), data_format)
    b = block_size
    n, h, w, c = x.shape
    y = A.reshape(x, [n, h // b, b, w // b, b, c])
    y = A.transpose(y, [0, 1, 3, 2, 4, 5])
    return _from_last(A.reshape(y, [n, h // b, w // b, b * b * c]), data_format)


def _patch_index(h, w, k, d, p, s):
    oh = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    ki, kj = np.meshgrid(np.arange(k[0]), np.arange(k[1]), indexing="ij")
    oi, oj = np.meshgrid(np.arange(oh), np.arange(ow), indexing="ij")
    rows = oi.reshape(1, -1) * s[0] + ki.reshape(-1, 1) * d[0]
    cols = oj.reshape(1, -1) * s[1] + kj.reshape(-1, 1) * d[1]
    return rows, cols, oh, ow


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding local blocks of an NCHW image as columns ``[N, C*kh*kw, L]``."""
    x = _t(x)
    k, d, p, s = (_tuple(v, 2) for v in (kernel_size, dilation, padding, stride))
    n, c, h, w = x.shape
    xp_ = IX.pad(x, [[0, 0], [0, 0], [p[0], p[0]], [p[1], p[1]]])
    rows, cols, oh, ow = _patch_index(h, w, k, d, p, s)
    flat = A.reshape(xp_, [n, c, -1])
    idx = (rows * (w + 2 * p[1]) + cols).reshape(-1)
    g = IX.gather(flat, _t(idx.astype("int64")), axis=2)
    return A.reshape(g, [n, c * k[0] * k[1], oh * ow])


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The adjoint of ``unfold``: columns summed back into an NCHW image."""
    x = _t(x)
    k, d, p, s = (_tuple(v, 2) for v in (kernel_size, dilation, padding, stride))
    h, w = _tuple(output_size, 2)
    n, ckk, length = x.shape
    c = ckk // (k[0] * k[1])
    rows, cols, oh, ow = _patch_index(h, w, k, d, p, s)
    hp, wp = h + 2 * p[0], w + 2 * p[1]
    idx = (rows * wp + cols).reshape(-1)
    cols_t = A.transpose(A.reshape(x, [n, c, k[0] * k[1] * length]), [2, 0, 1])
    img = IX.scatter_nd(_t(idx.reshape(-1, 1).astype("int64")), cols_t, [hp * wp, n, c])
    img = A.reshape(A.transpose(img, [1, 2, 0]), [n, c, hp, wp])
    return A.slice(img, [0, 0, p[0], p[1]], [n, c, h, w])


# ---------------------------------------------------------------- attention and CTC

def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """Scaled dot-product attention on ``[batch, seq, heads, dim]`` tensors."""
    if attn_logits_soft_cap is not None:
        raise ValueError("attn_logits_soft_cap is only supported for JAX on TPU. Set "
                         "attn_logits_soft_cap=None when not using JAX on TPU.")
    q, k, v = to_float(query), to_float(key), to_float(value)
    if len(q.shape) != 4:
        raise ValueError("`dot_product_attention` only supports 4D inputs. Received: "
                         f"query.shape={tuple(q.shape)}, key.shape={tuple(k.shape)}, "
                         f"value.shape={tuple(v.shape)}.")
    hq, hk = q.shape[2], k.shape[2]
    if hq != hk:
        rep = hq // hk
        k = IX.repeat(k, rep, axis=2)
        v = IX.repeat(v, rep, axis=2)
    sc = 1.0 / _math.sqrt(q.shape[-1]) if scale is None else scale
    logits = L.einsum("bthd,bshd->bhts", q, k)
    logits = M.multiply(logits, _c(sc, logits))
    if bias is not None:
        logits = M.add(logits, _t(bias, logits.dtype))
    t, s_ = logits.shape[-2], logits.shape[-1]
    keep = None
    if mask is not None:
        keep = _t(mask, "bool")
    if is_causal:
        causal = _t(np.tri(t, s_, dtype=bool))
        keep = causal if keep is None else M.logical_and(keep, causal)
    if keep is not None:
        big = _c(np.finfo(logits.dtype.as_numpy_dtype).min * 0.7, logits)
        keep = A.broadcast_to(keep, list(logits.shape))
        logits = M.where(keep, logits, A.broadcast_to(big, list(logits.shape)))
    probs = N.softmax(logits, axis=-1)
    return L.einsum("bhts,bshd->bthd", probs, v)


def _ctc_loss_one(labels, logp, blank):
    """CTC negative log-likelihood of one sequence from log-probabilities ``logp`` [T, C]."""
    ext = [blank]
    for c in labels:
        ext += [int(c), blank]
    S_ = len(ext)
    T = logp.shape[0]
    big = -1e30  # finite "log 0": keeps every logsumexp (and its gradient) finite
    neg = _t(big, logp.dtype)
    ext_t = _t(np.asarray(ext, dtype="int64"))
    allow = np.zeros(S_, bool)
    for s in range(2, S_):
        allow[s] = ext[s] != blank and ext[s] != ext[s - 2]
    allow_t = _t(allow)
    emit = IX.gather(logp, ext_t, axis=1)  # [T, S]
    init = np.full(S_, big)
    init[0] = 0.0
    if S_ > 1:
        init[1] = 0.0
    alpha = M.add(_t(init, logp.dtype), emit[0])
    negs = A.broadcast_to(neg, [1])
    for t in range(1, T):
        a1 = A.concat([negs, alpha[:-1]], 0)
        a2 = A.concat([negs, negs, alpha[:-2]], 0) if S_ > 1 else A.broadcast_to(neg, [S_])
        a2 = M.where(allow_t, a2[:S_], A.broadcast_to(neg, [S_]))
        stacked = A.stack([alpha, a1, a2], 0)
        m = M.stop_gradient(R.reduce_max(stacked, axis=0))
        lse = M.add(M.log(R.reduce_sum(M.exp(M.subtract(stacked, m)), axis=0)), m)
        alpha = M.add(lse, emit[t])
    last = alpha[S_ - 1:]
    if S_ > 1:
        last = A.concat([alpha[S_ - 2:S_ - 1], last], 0)
    return M.negative(R.reduce_logsumexp(last))


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Connectionist temporal classification loss per batch item (``output`` is logits
    ``[batch, time, classes]``)."""
    o = to_float(output)
    logp = N.log_softmax(o, axis=-1)
    tg = np.asarray(host(target))
    tl = np.asarray(host(target_length)).reshape(-1)
    ol = np.asarray(host(output_length)).reshape(-1)
    losses = []
    for b in range(o.shape[0]):
        losses.append(_ctc_loss_one(tg[b, :tl[b]], logp[b, :int(ol[b])], mask_index))
    return A.stack(losses)


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """Greedy CTC decoding: best class per step, repeats merged, blanks dropped; returns
    ``(decoded [1, batch, time] padded with -1, log_probabilities [batch, 1])``."""
    if strategy != "greedy":
        raise NotImplementedError("tapeflow implements greedy CTC decoding only")
    x = to_float(inputs)
    logp = np.asarray(host(x))
    lens = np.asarray(host(sequence_lengths)).reshape(-1)
    b, t = logp.shape[:2]
    dec = np.full((b, t), -1, dtype="int32")
    scores = np.zeros((b, 1), dtype=logp.dtype)
    for i in range(b):
        best = logp[i, :lens[i]].argmax(-1)
        scores[i, 0] = -logp[i, :lens[i]].max(-1).sum()
        prev, k = -1, 0
        for c in best:
            if c != mask_index and not (merge_repeated and c == prev):
                dec[i, k] = c
                k += 1
            prev = c
    return _t(dec[None]), _t(scores)


# ``abs_ * exp(1j * angle)`` needs complex dtypes: tapeflow's NotImplementedError placeholder
def polar(abs_, angle):
    """The complex numbers of magnitude ``abs_`` and phase ``angle`` (radians)."""
    a, t = _t(abs_), _t(angle)
    return M.complex(a * M.cos(t), a * M.sin(t))


__all__ = [
    "adaptive_average_pool", "adaptive_max_pool", "average_pool", "batch_normalization",
    "binary_crossentropy", "categorical_crossentropy", "celu", "conv", "conv_transpose",
    "ctc_decode", "ctc_loss", "depth_to_space", "depthwise_conv", "dot_product_attention",
    "elu", "fold", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish",
    "hard_tanh", "layer_normalization", "leaky_relu", "log_sigmoid", "log_softmax", "max_pool",
    "moments", "multi_hot", "normalize", "one_hot", "polar", "psnr", "relu", "relu6",
    "rms_normalization", "selu", "separable_conv", "sigmoid", "silu", "soft_shrink", "softmax",
    "softplus", "softsign", "space_to_depth", "sparse_categorical_crossentropy", "sparse_plus",
    "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh_shrink", "threshold", "unfold"
]
