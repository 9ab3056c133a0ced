"""Neural-network ops (``tf.nn``): activations, softmax, losses on logits, dropout, moments,
bias_add and normalisation helpers, each with its forward and gradient side by side."""
import math as _pymath
import numbers

from .. import dtypes
from ..backend import cuda_kernels, reduce_add, reduce_extreme, to_host, xp_of
from ..backend import host as np
from ..errors import AbortedError, InvalidArgumentError
from ..tensor import Tensor, TensorBase, convert_to_tensor
from ._core import Op, apply, check_kinds
from .array import expand_dims, one_hot, reshape
from .math import (
    ERF,
    SOFTPLUS,
    abs,
    cast,
    erf,
    exp,
    identity,
    logical_and,
    maximum,
    rsqrt,
    sigmoid,
    square,
    squared_difference,
    stop_gradient,
    tanh,
    where,
    zeros_like,
)
from .random import _rng
from .reduction import _axes, reduce_mean, reduce_sum

__all__ = [
    "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "softplus", "softsign", "silu",
    "swish", "sigmoid", "tanh", "softmax", "log_softmax", "dropout",
    "sigmoid_cross_entropy_with_logits", "softmax_cross_entropy_with_logits",
    "sparse_softmax_cross_entropy_with_logits", "weighted_cross_entropy_with_logits",
    "l2_loss", "moments", "bias_add", "l2_normalize", "batch_normalization",
]

_F = "f"
_NUM = "fiu"
_SELU_SCALE = 1.0507009873554804934193349852946
_SELU_ALPHA = 1.6732632423543772848170429916717


def _t(x):
    return x if isinstance(x, TensorBase) else convert_to_tensor(x)


def _require(opname, t, kinds=_F):
    """Raise TF's InvalidArgumentError if ``t``'s dtype kind is not in ``kinds``."""
    check_kinds(Op(opname, None, None, kinds), [t._v])


def _shape_str(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


def _zero(a):
    return a.dtype.type(0)


# -- activations ---------------------------------------------------------------------------------
def _relu_grad(n, g):
    # NOTE: the gradient at exactly 0 is 0, as in TF (mask on output > 0); one fused op.
    return (apply(RELU_GRAD, (g, n.out), {}),)


def _relu_grad_fwd(g, y):
    if not isinstance(g, np.ndarray) and cuda_kernels.owns(g):
        return cuda_kernels.relu_grad(g, y)  # one fused CuPy kernel
    return g * (y > 0)


# ReluGrad(g, y) is linear in g (its gradient is ReluGrad again) and flat in y
RELU_GRAD = Op("ReluGrad", _relu_grad_fwd,
               lambda n, gg: (apply(RELU_GRAD, (gg, n.inputs[1]), {}), None), "fiu")


def _relu6_fwd(a):
    xp = xp_of(a)
    return xp.minimum(xp.maximum(a, _zero(a)), a.dtype.type(6))


def _relu6_grad(n, g):
    x = n.inputs[0]
    # NOTE: TF passes the gradient only strictly inside (0, 6); both kinks get 0.
    return (where(logical_and(x > 0, x < 6), g, zeros_like(g)),)


def _leaky_fwd(a, alpha):
    xp = xp_of(a)
    return xp.where(a > 0, a, a * a.dtype.type(alpha))


def _leaky_grad(n, g):
    # NOTE: at 0 the gradient is alpha, as TF's LeakyReluGrad (x > 0 ? g : alpha * g).
    return (where(n.inputs[0] > 0, g, g * n.attrs["alpha"]),)


def _elu_fwd(a):
    xp = xp_of(a)
    # NOTE: expm1 of min(a, 0) so the unused branch never overflows for large positive a.
    return xp.where(a > 0, a, xp.expm1(xp.minimum(a, _zero(a))))


def _elu_grad(n, g):
    y = n.out
    return (where(y < 0, g * (y + 1.0), g),)


def _selu_fwd(a):
    xp = xp_of(a)
    neg = xp.expm1(xp.minimum(a, _zero(a))) * a.dtype.type(_SELU_ALPHA)
    return (xp.where(a > 0, a, neg) * a.dtype.type(_SELU_SCALE)).astype(a.dtype, copy=False)


def _selu_grad(n, g):
    y = n.out
    return (where(y < 0, g * (y + _SELU_SCALE * _SELU_ALPHA), g * _SELU_SCALE),)


def _softsign_fwd(a):
    xp = xp_of(a)
    return a / (xp.abs(a) + a.dtype.type(1))


RELU = Op("Relu", lambda a: xp_of(a).maximum(a, _zero(a)), _relu_grad, _NUM)
RELU6 = Op("Relu6", _relu6_fwd, _relu6_grad, _NUM)
LEAKY_RELU = Op("LeakyRelu", _leaky_fwd, _leaky_grad, _F)
ELU = Op("Elu", _elu_fwd, _elu_grad, _F)
SELU = Op("Selu", _selu_fwd, _selu_grad, _F)
SOFTSIGN = Op("Softsign", _softsign_fwd,
              lambda n, g: (g / square(abs(n.inputs[0]) + 1.0),), _F)


def relu(features, name=None):
    """Elementwise ``max(features, 0)``."""
    return apply(RELU, (features,), {})


def relu6(features, name=None):
    """Elementwise ``min(max(features, 0), 6)``."""
    return apply(RELU6, (features,), {})


def leaky_relu(features, alpha=0.2, name=None):
    """Elementwise ``features`` where positive, ``alpha * features`` elsewhere."""
    if isinstance(alpha, TensorBase) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"Expected float for argument 'alpha' not {alpha!r}.")
    x = _t(features)
    if x._v.dtype.kind in "iu":  # NOTE: TF casts integer features to float32 here
        x = cast(x, dtypes.float32)
    return apply(LEAKY_RELU, (x,), {"alpha": float(alpha)})


def elu(features, name=None):
    """Elementwise ``features`` where positive, ``exp(features) - 1`` elsewhere."""
    return apply(ELU, (features,), {})


def selu(features, name=None):
    """Scaled ELU with the fixed self-normalising constants."""
    return apply(SELU, (features,), {})


def softplus(features, name=None):
    """Elementwise ``log(1 + exp(x))``, computed stably."""
    return apply(SOFTPLUS, (features,), {})


def softsign(features, name=None):
    """Elementwise ``features / (1 + |features|)``."""
    return apply(SOFTSIGN, (features,), {})


def silu(features, beta=1.0, name=None):
    """``features * sigmoid(beta * features)`` (Swish)."""
    x = _t(features)
    _require("Sigmoid", x)
    if not isinstance(beta, TensorBase) and beta == 1.0:
        return x * sigmoid(x)
    beta = beta if isinstance(beta, TensorBase) else convert_to_tensor(beta, x.dtype)
    return x * sigmoid(beta * x)


swish = silu

_SQRT_HALF = 0.7071067811865476
_SQRT_2_OVER_PI = 0.7978845608028654
_INV_SQRT_2PI = 0.3989422804014327
_GELU_C = 0.044715


def _erfc(a):
    try:
        from scipy.special import erfc  # optional: scipy, accurate in the far tail

        return erfc(a).astype(a.dtype, copy=False)
    except ImportError:
        return a.dtype.type(1) - ERF.fwd(a)


def _gelu_fwd(a, approximate):
    xp = xp_of(a)
    half = a.dtype.type(0.5)
    if approximate:
        u = a.dtype.type(_SQRT_2_OVER_PI) * (a + a.dtype.type(_GELU_C) * a * a * a)
        return half * a * (a.dtype.type(1) + xp.tanh(u))
    # NOTE: 0.5 * x * erfc(-x / sqrt(2)) keeps precision for large negative x, where
    # 1 + erf(x / sqrt(2)) would cancel to 0.
    return (half * a * _erfc(-a * a.dtype.type(_SQRT_HALF))).astype(a.dtype, copy=False)


def _gelu_grad(n, g):
    x = n.inputs[0]
    if n.attrs["approximate"]:
        t = tanh(_SQRT_2_OVER_PI * (x + _GELU_C * x * x * x))
        du = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_C * square(x))
        return (g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du),)
    cdf = 0.5 * (1.0 + erf(x * _SQRT_HALF))
    pdf = _INV_SQRT_2PI * exp(-0.5 * square(x))
    return (g * (cdf + x * pdf),)


GELU = Op("Gelu", _gelu_fwd, _gelu_grad, _F)


def gelu(features, approximate=False, name=None):
    """Gaussian error linear unit (``approximate``: the tanh form)."""
    x = _t(features)
    if x._v.dtype.kind != "f":
        raise ValueError("`features.dtype` must be a floating point tensor."
                         f"Received:features.dtype={x.dtype}")
    return apply(GELU, (x,), {"approximate": bool(approximate)})


# -- softmax -------------------------------------------------------------------------------------
def _shifted(a, axis):
    """``a - max(a, axis)``; an empty axis has nothing to shift."""
    if a.shape[axis] == 0:
        return a
    return a - reduce_extreme(a, "max", axis, True)


def _softmax_fwd(a, axis):
    # NOTE: subtracting the row max keeps exp() finite: softmax([1000, 0]) == [1, 0].
    xp = xp_of(a)
    e = xp.exp(_shifted(a, axis))
    return e / reduce_add(e, axis=axis, keepdims=True)


def _log_softmax_fwd(a, axis):
    xp = xp_of(a)
    s = _shifted(a, axis)
    return s - xp.log(reduce_add(xp.exp(s), axis=axis, keepdims=True))


def _softmax_grad(n, g):
    y = n.out
    gy = g * y
    return (gy - y * reduce_sum(gy, axis=n.attrs["axis"], keepdims=True),)


def _log_softmax_grad(n, g):
    return (g - exp(n.out) * reduce_sum(g, axis=n.attrs["axis"], keepdims=True),)


SOFTMAX = Op("Softmax", _softmax_fwd, _softmax_grad, _F)
LOG_SOFTMAX = Op("LogSoftmax", _log_softmax_fwd, _log_softmax_grad, _F)


def _softmax_axis(op, x, axis):
    nd = x._v.ndim
    if nd == 0:
        _require(op.name, x)
        raise AbortedError(None, op.name,
                           f"Input dims must be <= 5 and >=1 [Op:{op.name}]")
    axis = -1 if axis is None else int(axis.numpy() if isinstance(axis, TensorBase) else axis)
    if not -nd <= axis < nd:
        raise InvalidArgumentError(
            None, op.name,
            f"`dim` must be in the range [{-nd}, {nd}) where {nd} is the number of dimensions "
            f"in the input. Received: dim={axis}")
    return axis % nd


def _softmax_like(op, logits, axis):
    x = _t(logits)
    return apply(op, (x,), {"axis": _softmax_axis(op, x, axis)})


def softmax(logits, axis=None, name=None):
    """``exp(logits) / sum(exp(logits))`` along ``axis`` (the last by default), computed stably."""
    return _softmax_like(SOFTMAX, logits, axis)


def log_softmax(logits, axis=None, name=None):
    """``logits - logsumexp(logits)`` along ``axis`` (the last by default)."""
    return _softmax_like(LOG_SOFTMAX, logits, axis)


# -- losses on logits ----------------------------------------------------------------------------
# NOTE: the three cross-entropies are fused ops rather than compositions: one stable forward
# (log-sum-exp with the max subtracted, or the |x| form of the logistic loss) stays finite for
# extreme logits where softmax-then-log or sigmoid-then-log overflows to inf/nan, and the fused
# gradient (probabilities minus labels) is both cheaper and exact there.
def _sigmoid_xent_fwd(x, z):
    xp = xp_of(x)
    return xp.maximum(x, _zero(x)) - x * z + xp.log1p(xp.exp(-xp.abs(x)))


def _sigmoid_xent_grad(n, g):
    x, z = n.inputs
    gx = g * (sigmoid(x) - z) if n.needs[0] else None
    gz = -g * x if n.needs[1] else None
    return gx, gz


SIGMOID_XENT = Op("SigmoidCrossEntropyWithLogits", _sigmoid_xent_fwd, _sigmoid_xent_grad, _F)


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """Logistic loss ``max(x, 0) - x * z + log(1 + exp(-|x|))`` elementwise."""
    if labels is None or logits is None:
        raise ValueError("Both `labels` and `logits` must be provided for sigmoid_cross_entropy"
                         f"_with_logitsReceived: labels={labels} and logits={logits}")
    # NOTE: labels are converted on their own (not to the logits' dtype), as TF does, so
    # mismatched dtypes raise instead of casting silently.
    x, z = _t(logits), _t(labels)
    if x._v.shape != z._v.shape:
        raise ValueError("`logits` and `labels` must have the same shape, received "
                         f"({tuple(x._v.shape)} vs {tuple(z._v.shape)}).")
    return apply(SIGMOID_XENT, (x, z), {})


def weighted_cross_entropy_with_logits(labels, logits, pos_weight, name=None):
    """Logistic loss with the positive term weighted by ``pos_weight``."""
    x, z = _t(logits), _t(labels)
    if x._v.shape != z._v.shape:
        raise ValueError("`logits` and `labels` must have the same shape, received "
                         f"({tuple(x._v.shape)} vs {tuple(z._v.shape)}).")
    log_weight = 1.0 + (pos_weight - 1.0) * z
    return (1.0 - z) * x + log_weight * (softplus(-abs(x)) + relu(-x))


def _softmax_xent_fwd(x, z, axis):
    xp = xp_of(x)
    s = _shifted(x, axis)
    lse = xp.log(reduce_add(xp.exp(s), axis=axis, keepdims=True))
    return reduce_add(z * (lse - s), axis=axis)


def _softmax_xent_grad(n, g):
    x, z = n.inputs
    axis = n.attrs["axis"]
    g = expand_dims(g, axis)
    # NOTE: like TF, the logits gradient is softmax - labels, i.e. it assumes each label
    # distribution sums to 1 (the exact gradient would scale softmax by sum(labels)).
    gx = g * (softmax(x, axis) - z) if n.needs[0] else None
    gz = -g * log_softmax(x, axis) if n.needs[1] else None
    return gx, gz


SOFTMAX_XENT = Op("SoftmaxCrossEntropyWithLogits", _softmax_xent_fwd, _softmax_xent_grad, _F)


def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    """``-sum(labels * log_softmax(logits), axis)``; labels are cast to the logits' dtype."""
    x = _t(logits)
    _require(SOFTMAX_XENT.name, x)
    z = _t(labels)
    if z._v.dtype != x._v.dtype:
        z = cast(z, x.dtype)
    nd = x._v.ndim
    axis = int(axis)
    if nd == 0 or not -nd <= axis < nd:
        raise InvalidArgumentError(
            None, SOFTMAX_XENT.name,
            f"axis {axis} is out of range for logits of shape {_shape_str(x._v.shape)} "
            f"[Op:{SOFTMAX_XENT.name}]")
    try:
        shape = np.broadcast_shapes(x._v.shape, z._v.shape)
    except ValueError:
        shape = None
    if shape is None or len(shape) != nd:
        raise InvalidArgumentError(
            None, SOFTMAX_XENT.name,
            f"logits and labels must be broadcastable: logits_size={_shape_str(x._v.shape)} "
            f"labels_size={_shape_str(z._v.shape)} [Op:{SOFTMAX_XENT.name}]")
    return apply(SOFTMAX_XENT, (x, z), {"axis": axis % nd})


def _check_labels(labels, classes):
    """Out-of-range labels raise TF's error; checked in the forward so traced plans check too."""
    if not labels.size:
        return
    lo, hi = int(labels.min()), int(labels.max())
    if lo < 0 or hi >= classes:
        op = SPARSE_XENT.name
        # NOTE: TF reports the smallest label when one is negative, else the largest.
        bad = lo if lo < 0 else hi
        values = " ".join(str(v) for v in to_host(labels).ravel().tolist())
        raise InvalidArgumentError(
            None, op,
            f"Received a label value of {bad} which is outside the valid range of "
            f"[0, {classes}).  Label values: {values} [Op:{op}]")


def _pick(a, labels):
    """``a[..., labels]`` elementwise over the leading axes (one fancy index, no wrapper)."""
    xp = xp_of(a)
    flat = a.reshape(-1, a.shape[-1])
    return flat[xp.arange(flat.shape[0]), labels.reshape(-1)].reshape(labels.shape)


# NOTE: the forward's softmax, kept for the gradient op of the same logits (one slot: the
# training step computes the loss and then, right away, its gradient from the same array).
# Reused at most once (the gradient works on it in place), checked by identity.
_SOFTMAX = [None]


def _sparse_xent_fwd(x, labels):
    _check_labels(labels, x.shape[-1])
    xp = xp_of(x)
    s = _shifted(x, -1)
    e = xp.exp(s)
    total = reduce_add(e, axis=-1, keepdims=True)
    loss = xp.log(total[..., 0]) - _pick(s, labels)
    if type(e) is np.ndarray:
        e /= total
        _SOFTMAX[0] = (x, e)
    return loss


def _sparse_xent_grad_fwd(x, labels, g):
    # NOTE: one fused op (softmax minus the one-hot label, times g): the gradient the training
    # step needs, without building the one-hot matrix through separate ops.
    xp = xp_of(x)
    kept = _SOFTMAX[0]
    if kept is not None and kept[0] is x:
        _SOFTMAX[0] = None
        p = kept[1]
    else:
        p = xp.exp(_shifted(x, -1))
        if not isinstance(p, np.ndarray) and cuda_kernels.owns(p):
            return cuda_kernels.sparse_xent_grad(p, labels, g)  # one fused CuPy kernel
        p /= reduce_add(p, axis=-1, keepdims=True)
    c = p.shape[-1]
    if p.size:  # one flat index per row: cheaper than a 2-D fancy index
        p.reshape(-1)[xp.arange(0, p.size, c) + labels.reshape(-1)] -= 1
    p *= g[..., None]
    return p


def _sparse_xent_grad_grad(n, gg):
    x, labels, g = n.inputs
    p = softmax(x)
    gx = gy = None
    if n.needs[0]:  # d/dx of (p - onehot) * g: the softmax Jacobian applied to gg * g
        v = gg * expand_dims(g, -1)
        gx = p * (v - reduce_sum(v * p, axis=-1, keepdims=True))
    if n.needs[2]:
        hot = one_hot(labels, x._v.shape[-1], dtype=x.dtype)
        gy = reduce_sum(gg * (p - hot), axis=-1)
    return gx, None, gy


SPARSE_XENT_GRAD = Op("SparseSoftmaxCrossEntropyWithLogitsGrad", _sparse_xent_grad_fwd,
                      _sparse_xent_grad_grad, None, same_dtype=False)


def _sparse_xent_grad(n, g):
    x, labels = n.inputs
    return apply(SPARSE_XENT_GRAD, (x, labels, g), {}), None


SPARSE_XENT = Op("SparseSoftmaxCrossEntropyWithLogits", _sparse_xent_fwd, _sparse_xent_grad,
                 None, same_dtype=False)


def sparse_softmax_cross_entropy_with_logits(labels, logits, name=None):
    """Cross-entropy between integer class ``labels`` and ``logits`` over the last axis."""
    op = SPARSE_XENT.name
    x, z = _t(logits), _t(labels)
    zd = z._v.dtype
    if zd.kind != "i" or zd.itemsize not in (4, 8):
        raise InvalidArgumentError(
            None, op,
            f"Value for attr 'Tlabels' of {z.dtype.name} is not in the list of allowed values: "
            f"int32, int64 [Op:{op}]")
    _require(op, x)
    if x._v.ndim == 0:
        raise ValueError(f"`logits` cannot be a scalar. Received logits={x}`")
    if z._v.shape != x._v.shape[:-1]:
        raise ValueError("`labels.shape` must equal `logits.shape` except for the last "
                         f"dimension. Received: labels.shape={tuple(z._v.shape)} and "
                         f"logits.shape={tuple(x._v.shape)}")
    if x._v.shape[-1] == 0:
        raise InvalidArgumentError(None, op, "Must have at least one class, but got logits "
                                   f"shape {_shape_str(x._v.shape)} [Op:{op}]")
    return apply(SPARSE_XENT, (x, z), {})


def _l2_loss_fwd(a):
    xp = xp_of(a)
    return xp.asarray(reduce_add(a * a) / 2, dtype=a.dtype)


L2_LOSS = Op("L2Loss", _l2_loss_fwd, lambda n, g: (g * n.inputs[0],), _F)


def l2_loss(t, name=None):
    """``sum(t ** 2) / 2``."""
    return apply(L2_LOSS, (t,), {})


# -- dropout -------------------------------------------------------------------------------------
_UINTS = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def _dropout_fwd(a, keep, scale):
    """``where(keep, a * scale, 0)``.

    NOTE: NumPy's ``where`` branches per element, and a random mask defeats the branch
    predictor (~15x slower than a multiply); ANDing the bits of ``a * scale`` with an
    all-ones/all-zeros mask gives the same values (dropped NaN and inf become 0, as in TF).
    """
    xp = xp_of(a)
    out = a * a.dtype.type(scale)
    ui = _UINTS.get(out.dtype.itemsize)
    if xp is not np or ui is None:
        return xp.where(keep, out, _zero(a))
    mask = keep.astype(ui)
    mask *= ui(-1 & (256 ** out.dtype.itemsize - 1))
    bits = out.view(ui)
    np.bitwise_and(bits, mask, out=bits)
    return out


def _dropout_grad(n, g):
    # NOTE: linear in its input: the gradient is the same mask and scale applied to g
    return apply(DROPOUT, (g, n.inputs[1]), n.attrs), None


DROPOUT = Op("Dropout", _dropout_fwd, _dropout_grad, _F + "b", same_dtype=False)


def _noise_shape(x_shape, noise_shape):
    if noise_shape is None:
        return tuple(x_shape)
    if isinstance(noise_shape, TensorBase):
        noise_shape = noise_shape.numpy().tolist()
    dims = list(getattr(noise_shape, "as_list", lambda: noise_shape)())
    if len(dims) == len(x_shape):
        dims = [x_shape[i] if d is None else d for i, d in enumerate(dims)]
    return tuple(int(d) for d in dims)


def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """Zero each element with probability ``rate`` and scale the rest by ``1 / (1 - rate)``."""
    x = _t(x)
    if x._v.dtype.kind != "f":
        raise ValueError("`x.dtype` must be a floating point tensor as `x` will be scaled. "
                         f"Received: x_dtype={x.dtype}")
    if isinstance(rate, TensorBase):
        if rate._v.ndim != 0:
            raise ValueError(f"Shape {tuple(rate._v.shape)} must have rank 0")
        if rate._v.dtype != x._v.dtype:
            raise ValueError("`x.dtype` must be compatible with `rate.dtype`. Received: "
                             f"x.dtype={x.dtype} and rate.dtype={rate.dtype}")
        rate = float(rate.numpy())
    elif isinstance(rate, numbers.Real) and not isinstance(rate, bool):
        if not 0 <= rate < 1:
            raise ValueError("`rate` must be a scalar tensor or a float in the range [0, 1). "
                             f"Received: rate={rate}")
        if rate == 0:
            # NOTE: TF returns the (converted) input itself for a Python rate of 0; a Variable
            # reads through identity so the result is a Tensor that still carries gradients.
            return x if type(x) is Tensor else identity(x)
    else:
        raise ValueError(f"`rate` must be a scalar or scalar tensor. Received: rate={rate}")
    shape = _noise_shape(x._v.shape, noise_shape)
    try:
        np.broadcast_shapes(shape, x._v.shape)
    except ValueError:
        raise InvalidArgumentError(
            None, "Dropout",
            f"noise_shape {_shape_str(shape)} is not broadcastable to the shape of x "
            f"{_shape_str(x._v.shape)} [Op:Dropout]") from None
    scale = _pymath.inf if rate >= 1 else 1.0 / (1.0 - rate)
    # NOTE: the mask is drawn by an op of its own, so traced functions draw a new one per call
    keep = apply(DROPOUT_MASK, (x,), {"shape": shape, "rate": rate, "seed": seed})
    return apply(DROPOUT, (x, keep), {"scale": scale})


def _dropout_mask(x, shape, rate, seed):
    gen_dtype = np.float64 if x.dtype == np.float64 else np.float32
    keep = _rng(seed, "Dropout").random(shape, dtype=gen_dtype) >= rate
    xp = xp_of(x)
    return keep if xp is np else xp.asarray(keep)


DROPOUT_MASK = Op("DropoutMask", _dropout_mask, None, None, same_dtype=False, random=True)


# -- statistics and normalisation ----------------------------------------------------------------
def moments(x, axes, shift=None, keepdims=False, name=None):
    """``(mean, variance)`` of ``x`` over ``axes``; ``shift`` is accepted and unused, as in TF."""
    x = _t(x)
    y = cast(x, dtypes.float32) if x._v.dtype == np.float16 else x  # NOTE: f16 sums in f32
    axes = list(_axes("Mean", y, axes))
    mean = reduce_mean(y, axis=axes, keepdims=True)
    variance = reduce_mean(squared_difference(y, stop_gradient(mean)), axis=axes, keepdims=True)
    if not keepdims:
        kept = [d for i, d in enumerate(y._v.shape) if i not in axes]
        mean, variance = reshape(mean, kept), reshape(variance, kept)
    if y is not x:
        mean, variance = cast(mean, x.dtype), cast(variance, x.dtype)
    return mean, variance


def _bias_add_fwd(a, b, channel_first):
    if channel_first and a.ndim > 2:
        b = b.reshape((b.shape[0],) + (1,) * (a.ndim - 2))
    return a + b


def _bias_add_grad(n, g):
    x = n.inputs[0]
    nd = x._v.ndim
    channel = 1 if n.attrs["channel_first"] else nd - 1
    gb = None
    if n.needs[1]:
        gb = reduce_sum(g, axis=[i for i in range(nd) if i != channel])
    return (g if n.needs[0] else None), gb


BIAS_ADD = Op("BiasAdd", _bias_add_fwd, _bias_add_grad, _NUM)


def bias_add(value, bias, data_format=None, name=None):
    """``value + bias`` with ``bias`` (1-D) along the channel axis (last, or 1 for ``NC...``)."""
    if data_format is None or (data_format.startswith("N") and data_format.endswith("C")):
        channel_first = False
    elif data_format.startswith("NC"):
        channel_first = True
    else:
        raise ValueError("`data_format` must be of the form `N...C` or `NC...`. Received: "
                         f"data_format={data_format}")
    x = _t(value)
    b = bias if isinstance(bias, TensorBase) else convert_to_tensor(bias, x.dtype)
    xs, bs = x._v.shape, b._v.shape
    if len(bs) != 1:
        raise InvalidArgumentError(None, "BiasAdd",
                                   f"Biases must be 1D: {_shape_str(bs)} [Op:BiasAdd]")
    if len(xs) < 2:
        raise InvalidArgumentError(None, "BiasAdd", "Input tensor must be at least 2D: "
                                   f"{_shape_str(xs)} [Op:BiasAdd]")
    channels = xs[1] if channel_first else xs[-1]
    if bs[0] != channels:
        raise InvalidArgumentError(
            None, "BiasAdd",
            "Must provide as many biases as the last dimension of the input tensor: "
            f"{_shape_str(bs)} vs. {_shape_str(xs)} [Op:BiasAdd]")
    return apply(BIAS_ADD, (x, b), {"channel_first": channel_first})


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """``x / sqrt(max(sum(x ** 2, axis), epsilon))``."""
    if axis is None:
        axis = dim
    x = _t(x)
    sq = reduce_sum(square(x), axis=axis, keepdims=True)
    return x * rsqrt(maximum(sq, epsilon))


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """``scale * (x - mean) / sqrt(variance + variance_epsilon) + offset``."""
    x = _t(x)
    inv = rsqrt(variance + variance_epsilon)
    if scale is not None:
        inv = inv * scale
    shift = offset - mean * inv if offset is not None else -mean * inv
    return x * cast(inv, x.dtype) + cast(shift, x.dtype)
