"""``model.export(path, format="onnx")`` / ``tf.export.to_onnx``: Sequential and functional
models as an ONNX graph (inference mode).

Covered: the layers with a converter in ``_SINGLE``/``_MULTI`` below (keyed by the layer
registry's names), the activations in ``_ACTIVATIONS``, and Sequential models nested in
functional ones; ``layers_without_conversion()`` lists the built-in layers that have none.
Anything a model cannot export is listed in one error before writing.
"""
import math
import os

from ... import nest
from ..._io import atomic_open
from ...backend import host as np
from ...backend import to_host
from .. import _registry, activations
from ..layers.input_layer import InputLayer, KerasTensor
from ..models import Functional, Sequential

OPSET = 17
IR_VERSION = 8  # readable by every onnxruntime that runs opset 17
_INT64_MAX, _INT64_MIN = int(np.iinfo(np.int64).max), int(np.iinfo(np.int64).min)


def _require_onnx():
    try:
        import onnx  # optional: the [onnx] extra
    except ImportError:
        raise ImportError("Exporting to ONNX needs the onnx package: "
                          "`pip install tapeflow[onnx]`.") from None
    return onnx


class _Graph:
    """The nodes and initializers being built, plus what is known about each value: its
    Keras shape (batch axis first, None when unknown) and whether it holds integers."""

    def __init__(self, onnx):
        self.onnx, self.nodes, self.inits, self._n = onnx, [], [], 0
        self.shapes, self.ints = {}, set()

    def name(self, hint):
        self._n += 1
        return f"{hint}_{self._n}"

    def const(self, value, hint="const", dtype=np.float32):
        name = self.name(hint)
        self.inits.append(self.onnx.numpy_helper.from_array(np.asarray(value, dtype), name))
        return name

    def ints64(self, values, hint="idx"):
        return self.const(list(values), hint, np.int64)

    def op(self, op_type, inputs, hint=None, **attrs):
        return self.op_n(op_type, inputs, 1, hint, **attrs)[0]

    def op_n(self, op_type, inputs, n, hint=None, **attrs):
        """A node with ``n`` outputs (their names)."""
        outs = [self.name(hint or op_type.lower()) for _ in range(n)]
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), outs, **attrs))
        return outs

    def shape(self, x):
        return self.shapes.get(x)


def _w(var):
    return np.asarray(to_host(var._v), np.float32)


class _Unsupported(Exception):
    pass


# -- activations -------------------------------------------------------------------------------
def _act_name(fn):
    name = activations.serialize(fn) if fn is not None else "linear"
    return name if isinstance(name, str) else getattr(fn, "__name__", repr(fn))


def _activation(g, x, name):
    simple = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softplus": "Softplus",
              "softsign": "Softsign", "exponential": "Exp", "selu": "Selu"}
    if name in ("linear", None):
        return x
    if name in simple:
        return g.op(simple[name], [x])
    if name == "softmax":
        return g.op("Softmax", [x], axis=-1)
    if name == "log_softmax":
        return g.op("LogSoftmax", [x], axis=-1)
    if name == "elu":
        return g.op("Elu", [x], alpha=1.0)
    if name == "leaky_relu":
        return g.op("LeakyRelu", [x], alpha=0.2)
    if name in ("silu", "swish"):
        return g.op("Mul", [x, g.op("Sigmoid", [x])])
    if name == "relu6":
        return g.op("Clip", [x, g.const(0.0), g.const(6.0)])
    if name == "hard_sigmoid":
        return g.op("HardSigmoid", [x], alpha=1.0 / 6.0, beta=0.5)
    if name == "gelu":  # tapeflow's default: the exact form with erf
        erf = g.op("Erf", [g.op("Mul", [x, g.const(1.0 / math.sqrt(2.0))])])
        return g.op("Mul", [g.op("Mul", [x, g.const(0.5)]), g.op("Add", [erf, g.const(1.0)])])
    raise _Unsupported(f"activation '{name}'")


_ACTIVATIONS = frozenset(["linear", "relu", "sigmoid", "tanh", "softplus", "softsign",
                          "exponential", "selu", "softmax", "log_softmax", "elu", "leaky_relu",
                          "silu", "swish", "relu6", "hard_sigmoid", "gelu"])
# the activations ONNX's recurrent operators take by name (and onnxruntime runs)
_RNN_ACTIVATIONS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu",
                    "softsign": "Softsign", "softplus": "Softplus"}


# -- layout helpers ----------------------------------------------------------------------------
def _channels_last(layer):
    return getattr(layer, "data_format", "channels_last") != "channels_first"


def _to_first(g, x, rank):
    return g.op("Transpose", [x], perm=[0, rank + 1] + list(range(1, rank + 1)))


def _to_last(g, x, rank):
    return g.op("Transpose", [x], perm=[0] + list(range(2, rank + 2)) + [1])


def _spatial_axes(layer, rank):
    first = 1 if _channels_last(layer) else 2
    return list(range(first, first + rank))


def _window(layer, kernel, strides=None):
    pad = {"same": "SAME_UPPER", "valid": "VALID"}[layer.padding]
    return dict(kernel_shape=list(kernel), strides=list(strides or layer.strides), auto_pad=pad)


def _reverse(g, x, axis):
    return g.op("Slice", [x, g.ints64([-1]), g.ints64([_INT64_MIN]), g.ints64([axis]),
                          g.ints64([-1])])


def _squeeze(g, x, axis):
    return g.op("Squeeze", [x, g.ints64([axis])])


# -- convolutions ------------------------------------------------------------------------------
def _channels_first_call(g, layer, x, body):
    """``body(x)`` on a channels-first view of ``x`` (ONNX's layout), transposed back."""
    rank, last = layer.rank, _channels_last(layer)
    y = body(_to_first(g, x, rank) if last else x)
    return _to_last(g, y, rank) if last else y


def _finish(g, layer, y):
    return _activation(g, y, _act_name(layer.activation))


def _conv(g, layer, x):
    rank = layer.rank
    if layer.padding == "causal":  # left-pad the steps axis, then a valid convolution
        left = (layer.kernel_size[0] - 1) * layer.dilation_rate[0]
        pads = [0, left, 0] + [0, 0, 0] if _channels_last(layer) else [0, 0, left] + [0] * 3
        x = g.op("Pad", [x, g.ints64(pads)])
    k = _w(layer.kernel)  # (*kernel, in / groups, out) -> (out, in / groups, *kernel)
    k = np.transpose(k, (rank + 1, rank) + tuple(range(rank)))
    inputs = [g.const(k, "kernel")]
    if layer.bias is not None:
        inputs.append(g.const(_w(layer.bias), "bias"))
    pad = "valid" if layer.padding == "causal" else layer.padding
    attrs = dict(kernel_shape=list(layer.kernel_size), strides=list(layer.strides),
                 auto_pad={"same": "SAME_UPPER", "valid": "VALID"}[pad],
                 dilations=list(layer.dilation_rate), group=int(layer.groups))
    y = _channels_first_call(g, layer, x, lambda t: g.op("Conv", [t] + inputs, **attrs))
    return _finish(g, layer, y)


def _depthwise_kernel(k):
    """Keras's ``(kh, kw, C, M)`` depthwise kernel as ONNX's ``(C * M, 1, kh, kw)`` (output
    channel ``c * M + m``, as TF orders them)."""
    kh, kw, c, m = k.shape
    return np.transpose(k.reshape(kh, kw, c * m), (2, 0, 1))[:, None]


def _depthwise(g, layer, x, kernel_var, bias):
    k = _depthwise_kernel(_w(kernel_var))
    inputs = [g.const(k, "depthwise_kernel")]
    if bias is not None:
        inputs.append(g.const(_w(bias), "bias"))
    attrs = dict(dilations=list(layer.dilation_rate), group=int(_w(kernel_var).shape[2]),
                 **_window(layer, layer.kernel_size))
    return g.op("Conv", [x] + inputs, **attrs)


def _depthwise_conv(g, layer, x):
    y = _channels_first_call(
        g, layer, x, lambda t: _depthwise(g, layer, t, layer.kernel, layer.bias))
    return _finish(g, layer, y)


def _separable_conv(g, layer, x):
    def body(t):
        t = _depthwise(g, layer, t, layer.depthwise_kernel, None)
        p = np.transpose(_w(layer.pointwise_kernel), (3, 2, 0, 1))
        inputs = [t, g.const(p, "pointwise_kernel")]
        if layer.bias is not None:
            inputs.append(g.const(_w(layer.bias), "bias"))
        return g.op("Conv", inputs, kernel_shape=[1, 1])

    return _finish(g, layer, _channels_first_call(g, layer, x, body))


def _conv_transpose(g, layer, x):
    """ONNX ConvTranspose with explicit pads and output_padding reproducing TF's output size
    (needs the input's spatial sizes)."""
    shape = g.shape(x)
    spatial = [shape[a] for a in _spatial_axes(layer, 2)] if shape else [None]
    if None in spatial:
        raise _Unsupported(f"'{layer.name}' needs known spatial input sizes, got {shape}")
    out = layer._spatial_out(spatial)
    begins, ends, extra = [], [], []
    for n, k, s, d, o in zip(spatial, layer.kernel_size, layer.strides, layer.dilation_rate,
                             out):
        eff = (k - 1) * d + 1
        full = (n - 1) * s + eff
        # NOTE: TF's transposed conv is the gradient of a conv of the output: with 'same' it
        # drops half the surplus (rounded down) at the start of the axis
        before = max(full - o, 0) // 2 if layer.padding == "same" else 0
        left = o - (full - before)  # > 0: zeros appended at the end; < 0: cropped there
        begins.append(before)
        ends.append(max(-left, 0))
        extra.append(max(left, 0))
    k = np.transpose(_w(layer.kernel), (3, 2, 0, 1))  # (kh, kw, out, in) -> (in, out, kh, kw)
    inputs = [g.const(k, "kernel")]
    if layer.bias is not None:
        inputs.append(g.const(_w(layer.bias), "bias"))
    attrs = dict(kernel_shape=list(layer.kernel_size), strides=list(layer.strides),
                 dilations=list(layer.dilation_rate), pads=begins + ends,
                 output_padding=extra)
    y = _channels_first_call(g, layer, x, lambda t: g.op("ConvTranspose", [t] + inputs,
                                                         **attrs))
    return _finish(g, layer, y)


# -- pooling and spatial reshaping -------------------------------------------------------------
def _pool(g, layer, x):
    op = "MaxPool" if type(layer).__name__.startswith("Max") else "AveragePool"
    return _channels_first_call(g, layer, x, lambda t: g.op(
        op, [t], **_window(layer, layer.pool_size)))


def _global_pool(g, layer, x):
    op = "ReduceMax" if "Max" in type(layer).__name__ else "ReduceMean"
    return g.op(op, [x], axes=_spatial_axes(layer, layer.rank), keepdims=int(layer.keepdims))


def _rank_of(g, x, layer):
    shape = g.shape(x)
    if shape is None:
        raise _Unsupported(f"the input rank of '{layer.name}' is unknown")
    return len(shape)


def _zero_padding(g, layer, x):
    rank = _rank_of(g, x, layer)
    begin, end = [0] * rank, [0] * rank
    for axis, (lo, hi) in zip(_spatial_axes(layer, layer.rank), layer.padding):
        begin[axis], end[axis] = lo, hi
    return g.op("Pad", [x, g.ints64(begin + end)])


def _cropping(g, layer, x):
    axes = _spatial_axes(layer, layer.rank)
    starts = [lo for lo, _ in layer.cropping]
    ends = [-hi if hi else _INT64_MAX for _, hi in layer.cropping]
    return g.op("Slice", [x, g.ints64(starts), g.ints64(ends), g.ints64(axes)])


def _upsampling(g, layer, x):
    rank = _rank_of(g, x, layer)
    scales = [1.0] * rank
    for axis, s in zip(_spatial_axes(layer, layer.rank), layer.size):
        scales[axis] = float(s)
    # NOTE: nearest with floor(out_index / scale) is exactly "repeat each element s times"
    return g.op("Resize", [x, "", g.const(scales, "scales")], mode="nearest",
                coordinate_transformation_mode="asymmetric", nearest_mode="floor")


# -- dense, normalisation, preprocessing -------------------------------------------------------
def _dense(g, layer, x):
    y = g.op("MatMul", [x, g.const(_w(layer.kernel), "kernel")])
    if layer.use_bias:
        y = g.op("Add", [y, g.const(_w(layer.bias), "bias")])
    return _finish(g, layer, y)


def _batch_norm(g, layer, x):
    shape = list(layer.__dict__["_bshape"])
    inv = 1.0 / np.sqrt(_w(layer.moving_variance) + layer.epsilon)
    scale = inv * (_w(layer.gamma) if layer.gamma is not None else 1.0)
    shift = (_w(layer.beta) if layer.beta is not None else 0.0) - _w(layer.moving_mean) * scale
    y = g.op("Mul", [x, g.const(np.reshape(scale, shape), "bn_scale")])
    return g.op("Add", [y, g.const(np.reshape(shift, shape), "bn_shift")])


def _layer_norm(g, layer, x):
    axes = list(layer._param_axes)
    shape = list(layer.__dict__["_bshape"])
    eps = g.const(layer.epsilon, "epsilon")
    if layer.rms_scaling:
        ms = g.op("ReduceMean", [g.op("Mul", [x, x])], axes=axes, keepdims=1)
        y = g.op("Div", [x, g.op("Sqrt", [g.op("Add", [ms, eps])])])
    else:
        d = g.op("Sub", [x, g.op("ReduceMean", [x], axes=axes, keepdims=1)])
        var = g.op("ReduceMean", [g.op("Mul", [d, d])], axes=axes, keepdims=1)
        y = g.op("Div", [d, g.op("Sqrt", [g.op("Add", [var, eps])])])
    if layer.gamma is not None:
        y = g.op("Mul", [y, g.const(np.reshape(_w(layer.gamma), shape), "gamma")])
    if layer.beta is not None and not layer.rms_scaling:
        y = g.op("Add", [y, g.const(np.reshape(_w(layer.beta), shape), "beta")])
    return y


def _relu_layer(g, layer, x):
    """tapeflow's relu: ``min(x > t ? x : 0, max) + slope * min(x - t, 0)``."""
    t, slope = float(layer.threshold or 0.0), float(layer.negative_slope or 0.0)
    if t:
        zero = g.const(0.0)
        pos = g.op("Where", [g.op("Greater", [x, g.const(t)]), x, zero])
    else:
        pos = g.op("Relu", [x])
    if layer.max_value is not None:
        pos = g.op("Min", [pos, g.const(float(layer.max_value))])
    if slope:
        below = g.op("Min", [g.op("Sub", [x, g.const(t)]), g.const(0.0)])
        pos = g.op("Add", [pos, g.op("Mul", [below, g.const(slope)])])
    return pos


def _softmax_layer(g, layer, x):
    return g.op("Softmax", [x], axis=int(layer.axis))


def _normalization(g, layer, x):
    std = np.maximum(np.sqrt(_w(layer.variance)), 1e-7)
    mean = _w(layer.mean)
    if layer.invert:
        return g.op("Add", [g.op("Mul", [x, g.const(std)]), g.const(mean)])
    return g.op("Div", [g.op("Sub", [x, g.const(mean)]), g.const(std)])


def _embedding(g, layer, x):
    if x not in g.ints:  # tapeflow casts float ids to integers (truncating)
        x = g.op("Cast", [x], to=g.onnx.TensorProto.INT64)
    return g.op("Gather", [g.const(_w(layer.embeddings), "embeddings"), x], axis=0)


# -- recurrent layers --------------------------------------------------------------------------
_LSTM_ORDER = (0, 3, 1, 2)  # Keras's gates i, f, c, o as ONNX's i, o, f, c


def _gates(a, order, units):
    return np.concatenate([a[..., j * units:(j + 1) * units] for j in order], axis=-1)


def _rnn(g, layer, x):
    """SimpleRNN/LSTM/GRU as ONNX's RNN/LSTM/GRU operator (time-major, one direction); a
    ``go_backwards`` layer reads the time-reversed input, as Keras does."""
    cell = layer.cell
    kind, u = type(cell).__name__, cell.units
    if layer.go_backwards:
        x = _reverse(g, x, 1)
    xt = g.op("Transpose", [x], perm=[1, 0, 2])
    k, rk = _w(cell.kernel), _w(cell.recurrent_kernel)
    b = _w(cell.bias) if cell.bias is not None else None
    act = _RNN_ACTIVATIONS[_act_name(cell.activation)]
    attrs = {"hidden_size": u}
    if kind == "LSTMCell":
        op, n_gates, n_out = "LSTM", 4, 3
        k, rk = _gates(k, _LSTM_ORDER, u), _gates(rk, _LSTM_ORDER, u)
        b = None if b is None else np.concatenate([_gates(b, _LSTM_ORDER, u),
                                                   np.zeros(4 * u, np.float32)])
        attrs["activations"] = [_RNN_ACTIVATIONS[_act_name(cell.recurrent_activation)], act, act]
    elif kind == "GRUCell":  # Keras's z, r, h gate order is ONNX's
        op, n_gates, n_out = "GRU", 3, 2
        if b is not None:
            b = b.reshape(-1) if cell.reset_after else np.concatenate(
                [b, np.zeros(3 * u, np.float32)])
        # NOTE: Keras's reset_after=True (reset gate applied after the recurrent matmul, with
        # a separate recurrent bias) is ONNX's linear_before_reset=1.
        attrs["linear_before_reset"] = int(cell.reset_after)
        attrs["activations"] = [_RNN_ACTIVATIONS[_act_name(cell.recurrent_activation)], act]
    else:
        op, n_gates, n_out = "RNN", 1, 2
        b = None if b is None else np.concatenate([b, np.zeros(u, np.float32)])
        attrs["activations"] = [act]
    inputs = [xt, g.const(k.T[None], "W"), g.const(rk.T[None], "R")]
    if b is not None:
        inputs.append(g.const(b.reshape(1, 2 * n_gates * u), "B"))
    outs = g.op_n(op, inputs, n_out, hint=op.lower(), **attrs)
    if layer.return_sequences:  # Y: (steps, 1, batch, units) -> (batch, steps, units)
        result = g.op("Transpose", [_squeeze(g, outs[0], 1)], perm=[1, 0, 2])
    else:
        result = _squeeze(g, outs[1], 0)
    if not layer.return_state:
        return result
    return [result] + [_squeeze(g, s, 0) for s in outs[1:]]


def _bidirectional(g, layer, x):
    y = _rnn(g, layer.forward_layer, x)
    yb = _rnn(g, layer.backward_layer, x)
    states = []
    if layer.return_state:
        y, states = y[0], y[1:]
        yb, states = yb[0], states + yb[1:]
    if layer.return_sequences and layer.backward_layer.go_backwards:
        yb = _reverse(g, yb, 1)
    mode = layer.merge_mode
    if mode == "concat":
        out = [g.op("Concat", [y, yb], axis=-1)]
    elif mode == "sum":
        out = [g.op("Add", [y, yb])]
    elif mode == "mul":
        out = [g.op("Mul", [y, yb])]
    elif mode == "ave":
        out = [g.op("Mul", [g.op("Add", [y, yb]), g.const(0.5)])]
    else:
        out = [y, yb]
    out += states
    return out[0] if len(out) == 1 else out


def _time_distributed(g, layer, x):
    """The inner layer on ``(batch * steps, ...)``, reshaped back using the runtime shape."""
    shape = g.shape(x)
    if shape is None or None in shape[2:]:
        raise _Unsupported(f"'{layer.name}' needs known per-step input sizes, got {shape}")
    inner_in = (None,) + tuple(shape[2:])
    flat = g.op("Reshape", [x, g.ints64([-1] + list(shape[2:]))])
    g.shapes[flat] = inner_in
    y = _convert(g, layer.layer, flat)
    rest = tuple(layer.layer.compute_output_shape(inner_in))[1:]
    if None in rest:
        raise _Unsupported(f"'{layer.name}' needs known per-step output sizes")
    lead = g.op("Slice", [g.op("Shape", [x]), g.ints64([0]), g.ints64([2])])
    target = g.op("Concat", [lead, g.ints64(rest)], axis=0)
    return g.op("Reshape", [y, target])


def _causal_bias(g, layer, scores_shape):
    """``-1e9`` above the diagonal (tapeflow's masked softmax), as a constant."""
    tq, tk = scores_shape
    if tq is None or tk is None:
        raise _Unsupported(f"'{layer.name}' with use_causal_mask needs known sequence lengths")
    return g.const(-1e9 * (1.0 - np.tril(np.ones((tq, tk), np.float32))), "causal")


def _attention(g, layer, xs, use_causal_mask=False):
    """Luong-style ``Attention([query, value(, key)])``."""
    q, v = xs[0], xs[1]
    k = xs[2] if len(xs) == 3 else v
    if layer.score_mode == "dot":
        scores = g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 2, 1])])
        if layer.scale is not None:
            scores = g.op("Mul", [scores, g.const(_w(layer.scale), "scale")])
    else:
        s = g.op("Add", [g.op("Unsqueeze", [q, g.ints64([-2])]),
                         g.op("Unsqueeze", [k, g.ints64([-3])])])
        if layer.scale is not None:
            s = g.op("Mul", [s, g.const(_w(layer.scale), "scale")])
        scores = g.op("Mul", [g.op("ReduceSum", [g.op("Tanh", [s]), g.ints64([-1])],
                                   keepdims=0),
                              g.const(_w(layer.concat_score_weight), "score_weight")])
    if use_causal_mask:
        qs, ks = g.shape(q), g.shape(k)
        scores = g.op("Add", [scores, _causal_bias(g, layer, (qs and qs[1], ks and ks[1]))])
    return g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v])


def _mha(g, layer, xs, use_causal_mask=False):
    """``MultiHeadAttention`` on ``(batch, steps, features)`` query/value(/key)."""
    q, v = xs[0], xs[1]
    k = xs[2] if len(xs) == 3 else v
    for x in (q, v, k):
        if g.shape(x) is None or len(g.shape(x)) != 3:
            raise _Unsupported(f"'{layer.name}' on inputs of rank other than 3")
    h, kd, vd = layer.num_heads, layer.key_dim, layer.value_dim

    def project(x, weights, dim, hint):
        kernel, bias = weights
        w = _w(kernel)
        y = g.op("MatMul", [x, g.const(w.reshape(w.shape[0], h * dim), hint)])
        if bias is not None:
            y = g.op("Add", [y, g.const(_w(bias).reshape(h * dim), hint + "_bias")])
        y = g.op("Reshape", [y, g.ints64([0, 0, h, dim])])
        return g.op("Transpose", [y], perm=[0, 2, 1, 3])  # (b, heads, t, dim)

    qh = g.op("Mul", [project(q, layer._q, kd, "query"), g.const(1.0 / math.sqrt(kd))])
    kh = project(k, layer._k, kd, "key")
    vh = project(v, layer._v, vd, "value")
    scores = g.op("MatMul", [qh, g.op("Transpose", [kh], perm=[0, 1, 3, 2])])
    if use_causal_mask:
        scores = g.op("Add", [scores, _causal_bias(g, layer, (g.shape(q)[1], g.shape(k)[1]))])
    ctx = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), vh])
    ctx = g.op("Reshape", [g.op("Transpose", [ctx], perm=[0, 2, 1, 3]),
                           g.ints64([0, 0, h * vd])])
    kernel, bias = layer._o
    w = _w(kernel)
    out = g.op("MatMul", [ctx, g.const(w.reshape(h * vd, w.shape[-1]), "attention_output")])
    if bias is not None:
        out = g.op("Add", [out, g.const(_w(bias), "attention_output_bias")])
    return out


def _nested_sequential(g, layer, x):
    """A Sequential model used as a layer of a functional model: its layers in turn."""
    shape = g.shape(x)
    for sub in layer.layers:
        x = _convert(g, sub, x)
        shape = _output_shape(sub, shape) if shape is not None else None
        g.shapes[x] = shape
    return x


# -- the tables --------------------------------------------------------------------------------
def _merge(op):
    def convert(g, layer, xs):
        return g.op(op, list(xs))
    return convert


def _concat(g, layer, xs):
    return g.op("Concat", list(xs), axis=int(layer.axis))


def _identity(g, layer, x):
    return g.op("Identity", [x])


_MULTI = {"Add": _merge("Sum"), "Multiply": _merge("Mul"), "Maximum": _merge("Max"),
          "Minimum": _merge("Min"), "Average": _merge("Mean"), "Subtract": _merge("Sub"),
          "Concatenate": _concat, "Attention": _attention, "MultiHeadAttention": _mha}
# keyword arguments a functional graph may have passed to a layer call, per layer kind
_CALL_KWARGS = {"Attention": {"use_causal_mask"}, "MultiHeadAttention": {"use_causal_mask"}}

_SINGLE = {
    "Dense": _dense,
    "Activation": lambda g, layer, x: _activation(g, x, _act_name(layer.activation)),
    "ReLU": _relu_layer,
    "LeakyReLU": lambda g, layer, x: g.op("LeakyRelu", [x], alpha=float(layer.negative_slope)),
    "ELU": lambda g, layer, x: g.op("Elu", [x], alpha=float(layer.alpha)),
    "Softmax": _softmax_layer,
    "Dropout": _identity, "SpatialDropout1D": _identity, "SpatialDropout2D": _identity,
    "GaussianNoise": _identity, "GaussianDropout": _identity,
    "Flatten": lambda g, layer, x: g.op("Flatten", [x], axis=1),
    "Reshape": lambda g, layer, x: g.op(
        "Reshape", [x, g.ints64([0] + list(layer.target_shape), "shape")]),
    "Rescaling": lambda g, layer, x: g.op("Add", [
        g.op("Mul", [x, g.const(layer.scale, "scale")]), g.const(layer.offset, "offset")]),
    "Normalization": _normalization,
    "BatchNormalization": _batch_norm,
    "LayerNormalization": _layer_norm,
    "Embedding": _embedding,
    "Conv1D": _conv, "Conv2D": _conv,
    "Conv2DTranspose": _conv_transpose, "DepthwiseConv2D": _depthwise_conv,
    "SeparableConv2D": _separable_conv,
    "MaxPooling1D": _pool, "MaxPooling2D": _pool, "AveragePooling1D": _pool,
    "AveragePooling2D": _pool,
    "GlobalAveragePooling1D": _global_pool, "GlobalAveragePooling2D": _global_pool,
    "GlobalMaxPooling1D": _global_pool, "GlobalMaxPooling2D": _global_pool,
    "ZeroPadding1D": _zero_padding, "ZeroPadding2D": _zero_padding,
    "Cropping1D": _cropping, "Cropping2D": _cropping,
    "UpSampling1D": _upsampling, "UpSampling2D": _upsampling,
    "SimpleRNN": _rnn, "LSTM": _rnn, "GRU": _rnn, "RNN": _rnn, "Bidirectional": _bidirectional,
    "TimeDistributed": _time_distributed, "Sequential": _nested_sequential,
}


def layers_without_conversion():
    """The built-in layers (the registry's layer table) that have no converter."""
    names = {cls.__name__ for cls in _registry.builtin("layer").values()}
    return sorted(names - set(_SINGLE) - set(_MULTI) - {"InputLayer"})


def _why_not(layer):
    """Why ``layer`` cannot be exported, or None (checked before anything is converted, so
    one error lists every problem)."""
    kind = type(layer).__name__
    if kind == "InputLayer":
        return None
    if kind not in _SINGLE and kind not in _MULTI:
        return f"{kind} has no ONNX conversion"
    if kind in ("Dense", "Activation") or kind.startswith("Conv") or kind in (
            "DepthwiseConv2D", "SeparableConv2D"):
        name = _act_name(getattr(layer, "activation", None))
        if name not in _ACTIVATIONS:
            return f"activation '{name}' has no ONNX conversion"
    if kind == "Embedding" and layer.mask_zero:
        return "Embedding with mask_zero=True: the mask it passes on has no ONNX conversion"
    if kind == "Softmax" and not isinstance(layer.axis, int):
        return "Softmax over several axes"
    if kind == "LayerNormalization" and 0 in layer._param_axes:
        return "LayerNormalization over the batch axis"
    if kind == "Bidirectional":
        return _why_not(layer.forward_layer) or _why_not(layer.backward_layer)
    if kind == "TimeDistributed":
        return _why_not(layer.layer)
    if kind == "Sequential":
        inner = [f"'{sub.name}' ({why})" for sub in layer.layers for why in [_why_not(sub)]
                 if why]
        return f"inner layers {', '.join(inner)}" if inner else None
    if kind == "MultiHeadAttention" and not layer._made:
        return "MultiHeadAttention that was never called"
    if kind in ("SimpleRNN", "LSTM", "GRU", "RNN"):
        cell = layer.cell
        if type(cell).__name__ not in ("SimpleRNNCell", "LSTMCell", "GRUCell"):
            return f"RNN of a {type(cell).__name__} cell"
        kind = type(cell).__name__[:-4]
        acts = [cell.activation] + ([cell.recurrent_activation] if kind != "SimpleRNN" else [])
        for fn in acts:
            if _act_name(fn) not in _RNN_ACTIVATIONS:
                return f"{kind} activation '{_act_name(fn)}' has no ONNX RNN form"
    return None


def _convert(g, layer, inputs, kwargs=None):
    """The ONNX value name(s) of ``layer`` applied to the named input(s)."""
    kind = type(layer).__name__
    flat = nest.flatten(inputs)
    if kind != "Embedding":  # integer inputs (image bytes, ids) meet a float layer: cast
        flat = [g.op("Cast", [x], to=g.onnx.TensorProto.FLOAT) if x in g.ints else x
                for x in flat]
    if kind in _MULTI:
        return _MULTI[kind](g, layer, flat, **(kwargs or {}))
    if len(flat) != 1:
        raise _Unsupported(f"{kind} called on {len(flat)} inputs")
    return _SINGLE[kind](g, layer, flat[0])


_DTYPES = {"float32": "FLOAT", "int32": "INT32", "int64": "INT64", "uint8": "UINT8",
           "int8": "INT8", "int16": "INT16", "uint16": "UINT16"}


def _value_info(onnx, name, shape, dtype="float32"):
    if shape is None:
        raise _Unsupported(f"the shape of '{name}' is unknown")
    if dtype not in _DTYPES:
        raise _Unsupported(f"'{name}' has dtype {dtype}; ONNX export supports float32 models "
                           "with float32 or integer inputs")
    dims = [d if d is not None else "batch" if i == 0 else f"{name}_d{i}"
            for i, d in enumerate(shape)]
    return onnx.helper.make_tensor_value_info(name, getattr(onnx.TensorProto, _DTYPES[dtype]),
                                              dims)


def _add_input(g, inputs, name, shape, dtype):
    inputs.append(_value_info(g.onnx, name, shape, dtype))
    g.shapes[name] = tuple(shape)
    if dtype != "float32":
        g.ints.add(name)


def _output_shape(layer, shape):
    try:
        return tuple(layer.compute_output_shape(shape))
    except Exception:  # only the few shape-dependent converters need it
        return None


def to_onnx(model):
    """The ONNX ``ModelProto`` of a Sequential or functional tapeflow model."""
    onnx = _require_onnx()

    if not isinstance(model, (Sequential, Functional)):
        raise ValueError(f"ONNX export supports Sequential and functional models; "
                         f"'{model.name}' is a subclassed {type(model).__name__}, whose call() "
                         "is Python code. Rebuild it as a functional model to export it.")
    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built; call it or build() it first.")
    problems = [f"'{layer.name}' ({why})" for layer in model.layers
                for why in [_why_not(layer)] if why]
    if problems:
        raise ValueError(f"Cannot export model '{model.name}' to ONNX; these layers have no "
                         f"ONNX conversion: {', '.join(problems)}.")
    g = _Graph(onnx)
    inputs, outputs = [], []
    try:
        if isinstance(model, Sequential):
            shape = model.__dict__["_input_shape"]
            first = model.__dict__.get("_input_layer")
            _add_input(g, inputs, "input", shape, first.dtype if first else "float32")
            x = "input"
            for layer in model.layers:
                x = _convert(g, layer, x)
                shape = _output_shape(layer, shape) if shape is not None else None
                g.shapes[x] = shape
            outputs.append(_value_info(onnx, "output", model.__dict__.get("_output_shape")))
            g.nodes.append(onnx.helper.make_node("Identity", [x], ["output"]))
        else:
            names = {}
            for node in model.__dict__["_nodes_in_order"]:
                if isinstance(node.layer, InputLayer):
                    kt = nest.flatten(node.outputs)[0]
                    names[id(kt)] = node.layer.name
                    _add_input(g, inputs, node.layer.name, kt.shape, kt.dtype.name)
                    continue
                kind = type(node.layer).__name__
                extra = set(node.kwargs) - _CALL_KWARGS.get(kind, set())
                if extra or node.args:
                    raise _Unsupported(f"layer '{node.layer.name}' called with extra arguments "
                                       f"{sorted(extra) or list(node.args)}")
                args = nest.map_structure(
                    lambda t: names[id(t)] if isinstance(t, KerasTensor) else t, node.inputs)
                out = nest.flatten(_convert(g, node.layer, args, node.kwargs))
                for kt, name in zip(nest.flatten(node.outputs), out):
                    names[id(kt)] = name
                    g.shapes[name] = kt.shape
            for name, kt in zip(model.output_names, model.outputs):
                outputs.append(_value_info(onnx, name, kt.shape))
                g.nodes.append(onnx.helper.make_node("Identity", [names[id(kt)]], [name]))
    except _Unsupported as e:
        raise ValueError(f"Cannot export model '{model.name}' to ONNX: {e}.") from None
    graph = onnx.helper.make_graph(g.nodes, model.name, inputs, outputs, g.inits)
    proto = onnx.helper.make_model(graph, producer_name="tapeflow",
                                   opset_imports=[onnx.helper.make_opsetid("", OPSET)])
    proto.ir_version = IR_VERSION
    onnx.checker.check_model(proto)
    return proto


def export_onnx(model, filepath):
    proto = to_onnx(model)
    with atomic_open(os.fspath(filepath)) as f:
        f.write(proto.SerializeToString())
    return proto
