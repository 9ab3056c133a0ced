"""Layer wrappers: the ``Wrapper`` base, ``TimeDistributed`` (a layer applied to every time
step), ``Bidirectional`` (an RNN run forwards and backwards) and ``SpectralNormalization``."""
from ...ops import array as A
from ...ops import indexing as P
from ...ops import linalg, rnn
from ...ops import math as M
from ...ops import reduction as R
from ...tensor import TensorShape
from .. import _registry, initializers
from .base import InputSpec, Layer
from .masking import get_mask


class Wrapper(Layer):
    """A layer holding one inner ``layer``; its config nests the inner layer's."""

    def __init__(self, layer, _track=True, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `{type(self).__name__}` layer with a "
                             f"`keras.layers.Layer` instance. Received: {layer}")
        kwargs.setdefault("dtype", layer.dtype)  # NOTE: computes in the inner layer's dtype
        super().__init__(**kwargs)
        if _track:
            self.layer = layer
        else:
            self.__dict__["layer"] = layer  # a template only: its weights are not this layer's

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True
        self.built = True

    def get_config(self):
        return {**super().get_config(), "layer": _registry.serialize(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = _registry.deserialize("layer", config.pop("layer"), custom_objects)
        return cls(layer, **config)


def _l2_normalize_all(x):
    """``x`` over its L2 norm (all elements; the inverse norm capped at 1e7, as in Keras)."""
    return x * M.minimum(M.rsqrt(R.reduce_sum(M.square(x))), 1e7)


class SpectralNormalization(Wrapper):
    """Divides the wrapped layer's ``kernel`` (or ``embeddings``) by its largest singular
    value, estimated by ``power_iterations`` steps of power iteration per training call
    (Miyato et al., 2018); the normalised kernel is written back into the layer."""

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if power_iterations <= 0:
            raise ValueError("`power_iterations` should be greater than zero. Received: "
                             f"`power_iterations={power_iterations}`")
        self.power_iterations = power_iterations

    def build(self, input_shape):
        super().build(input_shape)
        shape = TensorShape(input_shape).as_list()
        self.input_spec = InputSpec(min_ndim=1, axes={-1: shape[-1]})
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if kernel is None:
            raise ValueError(f"{type(self.layer).__name__} object has no attribute 'kernel' "
                             "nor 'embeddings'")
        self.kernel_shape = tuple(kernel.shape)
        self.vector_u = self.add_weight(
            name="vector_u", shape=(1, self.kernel_shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02), trainable=False,
            dtype=kernel.dtype)
        self.kernel = kernel
        own = self.__dict__["_own_weights"]  # NOTE: Keras's order: the kernel, then vector_u
        own.insert(0, kernel)
        self.built = True

    def normalized_weights(self):
        """``(vector_u, kernel)``: the power iteration's new vector and the kernel divided by
        its estimated spectral norm."""
        weights = A.reshape(self.kernel, [-1, self.kernel_shape[-1]])
        u = self.vector_u.read_value()
        for _ in range(self.power_iterations):
            v = _l2_normalize_all(linalg.matmul(u, weights, transpose_b=True))
            u = _l2_normalize_all(linalg.matmul(v, weights))
        u, v = M.stop_gradient(u), M.stop_gradient(v)
        sigma = linalg.matmul(linalg.matmul(v, weights), u, transpose_b=True)
        return u, A.reshape(self.kernel / sigma, self.kernel_shape)

    def call(self, inputs, training=False):
        if training and bool(R.reduce_any(M.not_equal(self.kernel, 0.0))):
            u, kernel = self.normalized_weights()
            self.vector_u.assign(u)
            self.kernel.assign(kernel)
        out = self.layer(inputs)
        return out if out.dtype == inputs.dtype else M.cast(out, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}


class TimeDistributed(Wrapper):
    """Applies ``layer`` to each slice ``inputs[:, t]`` (the batch and time axes are merged
    for one call): ``TimeDistributed(Dense(8))`` maps ``(b, t, d)`` to ``(b, t, 8)``."""

    def build(self, input_shape):
        shape = tuple(TensorShape(input_shape).as_list())
        if len(shape) < 3:
            raise ValueError("`TimeDistributed` Layer should be passed an `input_shape` with "
                             f"at least 3 dimensions, received: {shape}")
        if not self.layer.built:
            self.layer.build((None,) + shape[2:])
            self.layer.built = True
        self.built = True

    def call(self, inputs, training=None):
        shape = list(inputs.shape)
        flat = A.reshape(inputs, [shape[0] * shape[1]] + shape[2:])
        kwargs = {"training": training} if training is not None else {}
        out = self.layer(flat, **kwargs)
        return A.reshape(out, shape[:2] + list(out.shape)[1:])

    def compute_output_shape(self, input_shape):
        shape = tuple(TensorShape(input_shape).as_list())
        inner = self.layer.compute_output_shape((shape[0],) + shape[2:])
        return (shape[0], shape[1]) + tuple(inner)[1:]


class Bidirectional(Wrapper):
    """Runs a copy of the RNN ``layer`` forwards and one backwards over the sequence and
    merges their outputs (``merge_mode``: 'concat', 'sum', 'mul', 'ave' or None for a list).

    With ``return_sequences`` the backward outputs are flipped back into time order.
    """

    _config_keys = ("name", "trainable", "dtype", "merge_mode", "layer", "backward_layer")

    _MODES = ("concat", "sum", "mul", "ave", None)

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None,
                 **kwargs):
        super().__init__(layer, _track=False, **kwargs)
        if merge_mode not in self._MODES:
            raise ValueError(f"Invalid merge mode. Received: {merge_mode}. Merge mode should be "
                             f"one of {list(self._MODES)}")
        cfg = layer.get_config()
        self.forward_layer = type(layer).from_config({**cfg, "name": "forward_" + cfg["name"]})
        if backward_layer is None:
            back = {**cfg, "name": "backward_" + cfg["name"],
                    "go_backwards": not cfg.get("go_backwards", False)}
            backward_layer = type(layer).from_config(back)
        self.backward_layer = backward_layer
        self.merge_mode = merge_mode
        self.return_sequences = bool(cfg.get("return_sequences", False))
        self.return_state = bool(cfg.get("return_state", False))
        self.supports_masking = True
        self._given_weights = weights

    def build(self, input_shape):
        for layer in (self.forward_layer, self.backward_layer):
            if not layer.built:
                layer.build(input_shape)
                layer.built = True
        self.built = True
        if self._given_weights is not None:
            self.set_weights(self._given_weights)
            self._given_weights = None

    def _merge(self, y, yb):
        mode = self.merge_mode
        if mode == "concat":
            return A.concat([y, yb], axis=-1)
        if mode == "sum":
            return y + yb
        if mode == "mul":
            return y * yb
        if mode == "ave":
            return (y + yb) * 0.5
        return [y, yb]

    def call(self, inputs, mask=None, training=None, initial_state=None):
        if mask is None:
            mask = get_mask(inputs)
        fw_state = bw_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            fw_state, bw_state = initial_state[:half], initial_state[half:]
        pair = self._fused_pair(inputs, mask, training, initial_state)
        if pair is not None:
            y, yb = pair
        else:
            y = self.forward_layer(inputs, mask=mask, training=training, initial_state=fw_state)
            yb = self.backward_layer(inputs, mask=mask, training=training,
                                     initial_state=bw_state)
        states = []
        if self.return_state:
            y, states = y[0], list(y[1:])
            yb, back = yb[0], list(yb[1:])
            states += back
        if self.return_sequences and self.backward_layer.go_backwards:
            yb = P.reverse(yb, [1])
        out = self._merge(y, yb)
        if self.return_state:
            return (out if isinstance(out, list) else [out]) + states
        return out

    def _fused_pair(self, inputs, mask, training, initial_state):
        """Both directions as one op, side by side on the worker threads
        (``ops.rnn.sequence_pair``): the two layers' results, or None where that does not
        compute exactly what the two layers' own calls would."""
        f, b = self.forward_layer, self.backward_layer
        cells = (getattr(f, "cell", None), getattr(b, "cell", None))
        if (initial_state is not None or cells[0] is None or type(cells[0]) is not type(cells[1])
                or f.stateful or b.stateful or f.return_sequences != b.return_sequences
                or not f._can_fuse(inputs, mask, None) or not b._can_fuse(inputs, mask, None)
                or any(layer.__dict__.get("_compute") is not None
                       or layer.activity_regularizer is not None for layer in (f, b))
                or (training and any(c.dropout > 0 for c in cells))):  # own input masks
            return None
        for layer in (f, b):
            if not layer.built:
                layer.build(tuple(inputs.shape))
                layer.built = True
        ops = []
        for layer in (f, b):
            states = layer.get_initial_state(inputs.shape[0])
            ops.append(layer.cell.fused(inputs, states, training))
        if ops[0] is None or ops[1] is None:
            return None
        keep = None if mask is None else M.cast(mask, inputs.dtype)
        y = rnn.sequence_pair(ops[0][0], inputs, ops[0][2], ops[1][2],
                              reverse=(f.go_backwards, b.go_backwards),
                              sequences=f.return_sequences, keep=keep)
        out = []
        for i, layer in enumerate((f, b)):
            result, states = layer._fused_result(layer.cell.unfuse(y[i], layer.return_sequences),
                                                 keep, mask)
            out.append([result] + list(states) if layer.return_state else result)
        return tuple(out)

    def compute_output_shape(self, input_shape):
        fw = self.forward_layer.compute_output_shape(input_shape)
        bw = self.backward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            fw, states = fw[0], list(fw[1:]) + list(bw[1:])
            bw = bw[0]
        if self.merge_mode == "concat":
            out = tuple(fw)[:-1] + (fw[-1] + bw[-1],)
        elif self.merge_mode is None:
            out = [tuple(fw), tuple(bw)]
        else:
            out = tuple(fw)
        if self.return_state:
            return (out if isinstance(out, list) else [out]) + states
        return out

    def get_config(self):
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "backward_layer": _registry.serialize(self.backward_layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        back = config.pop("backward_layer", None)
        if back is not None:
            config["backward_layer"] = _registry.deserialize("layer", back, custom_objects)
        layer = _registry.deserialize("layer", config.pop("layer"), custom_objects)
        return cls(layer, **config)
