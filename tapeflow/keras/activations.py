"""Activation functions by name or callable: ``keras.activations.get('relu')``."""
import math
import warnings
import weakref

from ..backend import host as np
from ..ops import indexing, nn, reduction
from ..ops import math as M
from ..tensor import convert_to_tensor
from . import _registry

# NOTE: as Keras, softmax and sigmoid remember their input (the logits) for the output
# tensor, so a cross-entropy loss on that output computes from the logits: the stable fused
# form and its cheap gradient (softmax - one-hot), with no clipping at 1e-7. Keras stores
# them as ``output._keras_logits``; tapeflow's tensors have slots, so this table maps
# ``id(output)`` to (a weak reference to the output, the logits) until the output dies.
_LOGITS = {}


def _remember_logits(out, logits):
    key = id(out)

    def forget(_ref, key=key):
        _LOGITS.pop(key, None)

    _LOGITS[key] = (weakref.ref(out, forget), logits)
    return out


def logits_of(output, from_logits, fn_name, op_type):
    """``(tensor, from_logits)`` for a cross-entropy: the logits behind a softmax/sigmoid
    output when known (with Keras's warning when ``from_logits`` was also given)."""
    entry = _LOGITS.get(id(output))
    if entry is None or entry[0]() is not output:
        return output, from_logits
    if from_logits:
        warnings.warn(f'"`{fn_name}` received `from_logits=True`, but the `output` argument '
                      f"was produced by a {op_type} activation and thus does not represent "
                      "logits. Was this intended?", stacklevel=3)
    return entry[1], True


def linear(x):
    """The identity: ``x`` unchanged."""
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """``max(x, 0)``, with an optional slope below ``threshold`` and a cap ``max_value``."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return nn.relu(x)
    pos = M.where(x > threshold, x, M.zeros_like(x)) if threshold else M.maximum(x, 0.0)
    if max_value is not None:
        pos = M.minimum(pos, float(max_value))
    if negative_slope:
        pos = pos + negative_slope * M.minimum(x - threshold, 0.0)
    return pos


def leaky_relu(x, negative_slope=0.2):
    """``x`` where positive, ``negative_slope * x`` elsewhere."""
    return M.maximum(x, x * negative_slope)


def softmax(x, axis=-1):
    """Exponentials of ``x`` normalised to sum to 1 along ``axis``."""
    return _remember_logits(nn.softmax(x, axis=axis), x)


def log_softmax(x, axis=-1):
    """The logarithm of ``softmax(x, axis)``, computed stably."""
    return nn.log_softmax(x, axis=axis)


def sigmoid(x):
    """``1 / (1 + exp(-x))``."""
    return _remember_logits(M.sigmoid(x), x)


def tanh(x):
    """The hyperbolic tangent of ``x``."""
    return M.tanh(x)


def elu(x, alpha=1.0):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    return M.where(x > 0, x, alpha * M.expm1(M.minimum(x, 0.0)))


def selu(x):
    """Scaled ELU with the self-normalising constants of Klambauer et al. (2017)."""
    # NOTE: the constants of Klambauer et al. (2017), as Keras uses.
    return 1.0507009873554805 * elu(x, 1.6732632423543772)


def gelu(x, approximate=False):
    """Gaussian error linear unit: ``x * Phi(x)`` (the tanh form when ``approximate``)."""
    if approximate:
        c = math.sqrt(2.0 / math.pi)
        return 0.5 * x * (1.0 + M.tanh(c * (x + 0.044715 * x * x * x)))
    return 0.5 * x * (1.0 + M.erf(x * (1.0 / math.sqrt(2.0))))


def softplus(x):
    """``log(1 + exp(x))``."""
    return M.softplus(x)


def softsign(x):
    """``x / (1 + |x|)``."""
    return x / (1.0 + M.abs(x))


def silu(x):
    """``x * sigmoid(x)`` (also named ``swish``)."""
    return x * M.sigmoid(x)


swish = silu


def exponential(x):
    """``exp(x)``."""
    return M.exp(x)


def hard_sigmoid(x):
    """The piecewise-linear sigmoid ``clip(x / 6 + 0.5, 0, 1)``."""
    return M.clip_by_value(x * (1.0 / 6.0) + 0.5, 0.0, 1.0)


def relu6(x):
    """``min(max(x, 0), 6)``."""
    return M.clip_by_value(x, 0.0, 6.0)


def celu(x, alpha=1.0):
    """Continuously differentiable ELU: ``x`` for ``x >= 0``, else
    ``alpha * (exp(x / alpha) - 1)``."""
    return M.maximum(x, 0.0) + alpha * M.expm1(M.minimum(x, 0.0) / alpha)


def glu(x, axis=-1):
    """Gated linear unit: the input split in two halves ``a, b`` along ``axis``,
    ``a * sigmoid(b)``."""
    x = convert_to_tensor(x)
    if x.shape[axis] % 2:
        raise ValueError("axis size must be divisible by 2. Received: "
                         f"x.shape={tuple(x.shape)} with axis={axis}")
    a, b = indexing.split(x, 2, axis=axis)
    return a * M.sigmoid(b)


def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0."""
    x = convert_to_tensor(x)
    return M.where(M.abs(x) > threshold, x, M.zeros_like(x))


def hard_silu(x):
    """``x * relu6(x + 3) / 6``: a piecewise-linear SiLU."""
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def hard_tanh(x):
    """``x`` clipped to ``[-1, 1]``."""
    return M.clip_by_value(x, -1.0, 1.0)


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``, computed stably."""
    return -M.softplus(-convert_to_tensor(x))


def mish(x):
    """``x * tanh(softplus(x))`` (Misra, 2019)."""
    return x * M.tanh(M.softplus(x))


def soft_shrink(x, threshold=0.5):
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, else 0."""
    x = convert_to_tensor(x)
    zero = M.zeros_like(x)
    return M.where(x > threshold, x - threshold, M.where(x < -threshold, x + threshold, zero))


def sparse_plus(x):
    """0 for ``x <= -1``, ``x`` for ``x >= 1``, ``(x + 1)**2 / 4`` between."""
    x = convert_to_tensor(x)
    mid = M.square(x + 1.0) * 0.25
    return M.where(x <= -1.0, M.zeros_like(x), M.where(x >= 1.0, x, mid))


def sparse_sigmoid(x):
    """0 for ``x <= -1``, 1 for ``x >= 1``, ``(x + 1) / 2`` between."""
    x = convert_to_tensor(x)
    return M.where(x <= -1.0, M.zeros_like(x),
                   M.where(x >= 1.0, M.ones_like(x), 0.5 * (x + 1.0)))


def sparsemax(x, axis=-1):
    """The Euclidean projection of ``x`` onto the probability simplex along ``axis``
    (Martins & Astudillo, 2016): like softmax, but exact zeros outside a support set."""
    x = convert_to_tensor(x)
    z = np.asarray(x.numpy(), dtype=np.float64)
    zs = -np.sort(-z, axis=axis)
    shape = [1] * z.ndim
    shape[axis] = z.shape[axis]
    k = np.arange(1, z.shape[axis] + 1, dtype=np.float64).reshape(shape)
    in_support = 1.0 + k * zs > np.cumsum(zs, axis=axis)
    size = in_support.sum(axis=axis, keepdims=True)
    # NOTE: the support is piecewise constant in x: a mask, so the gradient is sparsemax's
    # Jacobian diag(s) - s s^T / |S| through tau below
    tau_sorted = np.take_along_axis(zs, size - 1, axis=axis)
    mask = convert_to_tensor((z >= tau_sorted).astype(x.dtype.as_numpy_dtype))
    count = reduction.reduce_sum(mask, axis=axis, keepdims=True)
    tau = (reduction.reduce_sum(x * mask, axis=axis, keepdims=True) - 1.0) / count
    return M.maximum(x - tau, 0.0)


def squareplus(x, b=4):
    """``(x + sqrt(x**2 + b)) / 2``: a smooth, algebraic ReLU."""
    x = convert_to_tensor(x)
    return (x + M.sqrt(M.square(x) + float(b))) * 0.5


def tanh_shrink(x):
    """``x - tanh(x)``."""
    return x - M.tanh(x)


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``."""
    x = convert_to_tensor(x)
    return M.where(x > threshold, x, M.zeros_like(x) + default_value)


_registry.register("activation", linear, relu, leaky_relu, softmax, log_softmax, sigmoid, tanh,
                   elu, selu, gelu, softplus, softsign, silu, exponential, hard_sigmoid,
                   relu6, celu, glu, hard_shrink, hard_silu, hard_tanh, log_sigmoid, mish,
                   soft_shrink, sparse_plus, sparse_sigmoid, sparsemax, squareplus, tanh_shrink,
                   threshold, aliases={"swish": silu, "hard_swish": hard_silu})



def get(identifier):
    """The activation for a name, a config, a callable or None (linear)."""
    return linear if identifier is None else _registry.get("activation", identifier)


def serialize(activation):
    """The activation's name (``swish`` is ``silu``); ``repr`` for a callable without one."""
    return _registry.serialize(activation) or repr(activation)


def deserialize(config, custom_objects=None):
    """An activation function from its name or config (built-in, registered and
    ``custom_objects`` functions only)."""
    return _registry.deserialize("activation", config, custom_objects)
