"""``model.export(path, format="onnx")``: Sequential and functional models of Dense,
activations, Conv/pooling/BatchNorm/Flatten/Dropout and merges as an ONNX graph (inference)."""
import math
import os

from ... import nest
from ..._io import atomic_open
from ...backend import host as np
from ...backend import to_host

OPSET = 17
IR_VERSION = 8  # readable by every onnxruntime that runs opset 17


def _require_onnx():
    try:
        import onnx  # noqa: PLC0415
    except ImportError:
        raise ImportError("Exporting to ONNX needs the onnx package: "
                          "`pip install tapeflow[onnx]`.") from None
    return onnx


class _Graph:
    def __init__(self, onnx):
        self.onnx, self.nodes, self.inits, self._n = onnx, [], [], 0

    def name(self, hint):
        self._n += 1
        return f"{hint}_{self._n}"

    def const(self, value, hint="const", dtype=np.float32):
        name = self.name(hint)
        self.inits.append(self.onnx.numpy_helper.from_array(np.asarray(value, dtype), name))
        return name

    def op(self, op_type, inputs, hint=None, **attrs):
        out = self.name(hint or op_type.lower())
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), [out], **attrs))
        return out


def _w(var):
    return np.asarray(to_host(var._v), np.float32)


# -- activations -------------------------------------------------------------------------------
def _act_name(fn):
    from .. import activations  # noqa: PLC0415

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


class _Unsupported(Exception):
    pass


# -- layers ------------------------------------------------------------------------------------
def _channels_last(layer):
    return getattr(layer, "data_format", "channels_last") != "channels_first"


def _to_first(g, x, rank):
    return g.op("Transpose", [x], perm=[0, rank + 1] + list(range(1, rank + 1)))


def _to_last(g, x, rank):
    return g.op("Transpose", [x], perm=[0] + list(range(2, rank + 2)) + [1])


def _window(layer, kernel):
    pad = {"same": "SAME_UPPER", "valid": "VALID"}[layer.padding]
    return dict(kernel_shape=list(kernel), strides=list(layer.strides), auto_pad=pad)


def _conv(g, layer, x):
    rank = layer.rank
    if type(layer).__name__ not in ("Conv1D", "Conv2D", "Conv3D") or layer.padding not in (
            "same", "valid"):
        raise _Unsupported(f"{type(layer).__name__} with padding={layer.padding!r}")
    last = _channels_last(layer)
    if last:
        x = _to_first(g, x, rank)
    k = _w(layer.kernel)  # (*kernel, in / groups, out) -> (out, in / groups, *kernel)
    k = np.transpose(k, (rank + 1, rank) + tuple(range(rank)))
    inputs = [x, g.const(k, "kernel")]
    if layer.bias is not None:
        inputs.append(g.const(_w(layer.bias), "bias"))
    y = g.op("Conv", inputs, dilations=list(layer.dilation_rate), group=int(layer.groups),
             **_window(layer, layer.kernel_size))
    if last:
        y = _to_last(g, y, rank)
    return _activation(g, y, _act_name(layer.activation))


def _pool(g, layer, x):
    rank = layer.rank
    last = _channels_last(layer)
    if last:
        x = _to_first(g, x, rank)
    op = "MaxPool" if type(layer).__name__.startswith("Max") else "AveragePool"
    y = g.op(op, [x], **_window(layer, layer.pool_size))
    return _to_last(g, y, rank) if last else y


def _global_pool(g, layer, x):
    rank = layer.rank
    axes = list(range(1, rank + 1)) if _channels_last(layer) else list(range(2, rank + 2))
    op = "ReduceMax" if "Max" in type(layer).__name__ else "ReduceMean"
    return g.op(op, [x], axes=axes, keepdims=int(layer.keepdims))


def _dense(g, layer, x):
    y = g.op("MatMul", [x, g.const(_w(layer.kernel), "kernel")])
    if layer.use_bias:
        y = g.op("Add", [y, g.const(_w(layer.bias), "bias")])
    return _activation(g, y, _act_name(layer.activation))


def _batch_norm(g, layer, x):
    if type(layer).__name__ != "BatchNormalization":
        raise _Unsupported(type(layer).__name__)
    shape = list(layer.__dict__["_bshape"])
    inv = 1.0 / np.sqrt(_w(layer.moving_variance) + layer.epsilon)
    scale = inv * (_w(layer.gamma) if layer.gamma is not None else 1.0)
    shift = (_w(layer.beta) if layer.beta is not None else 0.0) - _w(layer.moving_mean) * scale
    y = g.op("Mul", [x, g.const(np.reshape(scale, shape), "bn_scale")])
    return g.op("Add", [y, g.const(np.reshape(shift, shape), "bn_shift")])


def _relu_layer(g, layer, x):
    if layer.threshold:
        raise _Unsupported("ReLU with a threshold")
    y = g.op("LeakyRelu", [x], alpha=float(layer.negative_slope)) if layer.negative_slope \
        else g.op("Relu", [x])
    if layer.max_value is not None:
        y = g.op("Min", [y, g.const(float(layer.max_value))])
    return y


def _softmax_layer(g, layer, x):
    if not isinstance(layer.axis, int):
        raise _Unsupported("Softmax over several axes")
    return g.op("Softmax", [x], axis=layer.axis)


def _normalization(g, layer, x):
    std = np.maximum(np.sqrt(_w(layer.variance)), 1e-7)
    mean = _w(layer.mean)
    if layer.invert:
        return g.op("Add", [g.op("Mul", [x, g.const(std)]), g.const(mean)])
    return g.op("Div", [g.op("Sub", [x, g.const(mean)]), g.const(std)])


def _merge(op):
    def convert(g, layer, xs):
        return g.op(op, list(xs))
    return convert


def _concat(g, layer, xs):
    return g.op("Concat", list(xs), axis=int(layer.axis))


_MULTI = {"Add": _merge("Sum"), "Multiply": _merge("Mul"), "Maximum": _merge("Max"),
          "Minimum": _merge("Min"), "Average": _merge("Mean"), "Subtract": _merge("Sub"),
          "Concatenate": _concat}

_SINGLE = {
    "Dense": _dense,
    "Activation": lambda g, layer, x: _activation(g, x, _act_name(layer.activation)),
    "ReLU": _relu_layer,
    "LeakyReLU": lambda g, layer, x: g.op("LeakyRelu", [x], alpha=float(layer.negative_slope)),
    "ELU": lambda g, layer, x: g.op("Elu", [x], alpha=float(layer.alpha)),
    "Softmax": _softmax_layer,
    "Dropout": lambda g, layer, x: g.op("Identity", [x]),
    "SpatialDropout1D": lambda g, layer, x: g.op("Identity", [x]),
    "SpatialDropout2D": lambda g, layer, x: g.op("Identity", [x]),
    "GaussianNoise": lambda g, layer, x: g.op("Identity", [x]),
    "GaussianDropout": lambda g, layer, x: g.op("Identity", [x]),
    "Flatten": lambda g, layer, x: g.op("Flatten", [x], axis=1),
    "Reshape": lambda g, layer, x: g.op(
        "Reshape", [x, g.const([0] + list(layer.target_shape), "shape", np.int64)]),
    "Rescaling": lambda g, layer, x: g.op("Add", [
        g.op("Mul", [x, g.const(layer.scale, "scale")]), g.const(layer.offset, "offset")]),
    "Normalization": _normalization,
    "BatchNormalization": _batch_norm,
    "Conv1D": _conv, "Conv2D": _conv, "Conv3D": _conv,
    "MaxPooling1D": _pool, "MaxPooling2D": _pool, "AveragePooling1D": _pool,
    "AveragePooling2D": _pool,
    "GlobalAveragePooling1D": _global_pool, "GlobalAveragePooling2D": _global_pool,
    "GlobalMaxPooling1D": _global_pool, "GlobalMaxPooling2D": _global_pool,
}


def _check(layer):
    """Why ``layer`` cannot be exported, or None."""
    kind = type(layer).__name__
    if kind == "InputLayer":
        return None
    if kind not in _SINGLE and kind not in _MULTI:
        return f"{kind} has no ONNX conversion"
    act = getattr(layer, "activation", None)
    if act is not None and kind in ("Dense", "Activation") or kind.startswith("Conv"):
        name = _act_name(act)
        if name not in _ACTIVATIONS:
            return f"activation '{name}' has no ONNX conversion"
    return None


def _convert(g, layer, inputs):
    kind = type(layer).__name__
    if kind in _MULTI:
        return _MULTI[kind](g, layer, nest.flatten(inputs))
    flat = nest.flatten(inputs)
    if len(flat) != 1:
        raise _Unsupported(f"{kind} called on {len(flat)} inputs")
    return _SINGLE[kind](g, layer, flat[0])


def _value_info(onnx, name, shape):
    if shape is None:
        raise _Unsupported(f"the shape of '{name}' is unknown")
    dims = [d if d is not None else "batch" if i == 0 else f"{name}_d{i}"
            for i, d in enumerate(shape)]
    return onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, dims)


def to_onnx(model):
    """The ONNX ``ModelProto`` of a Sequential or functional tapeflow model."""
    onnx = _require_onnx()
    from ..layers.input_layer import InputLayer, KerasTensor  # noqa: PLC0415
    from ..models import Functional, Sequential  # noqa: PLC0415

    if not isinstance(model, (Sequential, Functional)):
        raise ValueError(f"ONNX export supports Sequential and functional models; "
                         f"'{model.name}' is a subclassed {type(model).__name__}, whose call() "
                         "is Python code. Rebuild it as a functional model to export it.")
    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built; call it or build() it first.")
    problems = [f"'{layer.name}' ({why})" for layer in model._flatten_layers(include_self=False)
                for why in [_check(layer)] if why]
    if problems:
        raise ValueError(f"Cannot export model '{model.name}' to ONNX; these layers have no "
                         f"ONNX conversion: {', '.join(problems)}.")
    g = _Graph(onnx)
    inputs, outputs = [], []
    try:
        if isinstance(model, Sequential):
            shape = model.__dict__["_input_shape"]
            inputs.append(_value_info(onnx, "input", shape))
            x = "input"
            for layer in model.layers:
                x = _convert(g, layer, x)
            outputs.append(_value_info(onnx, "output", model.__dict__.get("_output_shape")))
            g.nodes.append(onnx.helper.make_node("Identity", [x], ["output"]))
        else:
            names = {}
            for node in model.__dict__["_nodes_in_order"]:
                if isinstance(node.layer, InputLayer):
                    kt = nest.flatten(node.outputs)[0]
                    names[id(kt)] = node.layer.name
                    inputs.append(_value_info(onnx, node.layer.name, kt.shape))
                    continue
                if node.args or node.kwargs:
                    raise _Unsupported(f"layer '{node.layer.name}' called with extra arguments")
                args = nest.map_structure(
                    lambda t: names[id(t)] if isinstance(t, KerasTensor) else t, node.inputs)
                out = _convert(g, node.layer, args)
                for kt in nest.flatten(node.outputs):
                    names[id(kt)] = out
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
