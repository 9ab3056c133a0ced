"""``Dense``, ``Activation``, ``Lambda`` and ``Identity``."""
import types

from ...ops import array as A
from ...ops import linalg
from ...tensor import TensorShape
from .. import activations, regularizers
from .base import InputSpec, Layer, kernel_bias_config, set_kernel_bias


class Dense(Layer):
    """``activation(inputs @ kernel + bias)`` applied on the last axis."""

    _config_fixed = {"quantization_config": None}

    _passes_mask = True  # Keras 3: supports masking, the mask passes through

    _promotes_int_inputs = True  # TF 2.21: an int32 tensor in, float32 out

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            try:
                ok = int(units) == units and int(units) > 0
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise ValueError("Received an invalid value for `units`, expected a positive "
                                 f"integer. Received: units={units}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        set_kernel_bias(self, kernel_initializer, bias_initializer, kernel_regularizer,
                        bias_regularizer, kernel_constraint, bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        last = TensorShape(input_shape)[-1]
        if last is None:
            raise ValueError(f"The last dimension of the inputs to a Dense layer should be "
                             f"defined. Found None. Full input shape received: {input_shape}")
        self.kernel = self.add_weight(name="kernel", shape=(last, self.units),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: last})
        self.built = True

    def call(self, inputs):
        if inputs.ndim == 2:
            out = linalg.matmul(inputs, self.kernel)
        else:
            lead = inputs.shape.as_list()[:-1]
            flat = A.reshape(inputs, (-1, inputs.shape[-1]))
            out = A.reshape(linalg.matmul(flat, self.kernel), lead + [self.units])
        if self.bias is not None:
            out = out + self.bias
        act = self.activation
        return out if act is activations.linear else act(out)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)[:-1] + (self.units,)

    def get_config(self):
        config = super().get_config()
        if self.activity_regularizer is not None:  # as Keras: listed only when set
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        config.update({
            "units": self.units, "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            **kernel_bias_config(self, activity=False),
        })
        return config


class Activation(Layer):
    """Applies an activation function given by name or callable."""

    _passes_mask = True  # Keras 3: supports masking, the mask passes through

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Lambda(Layer):
    """Wraps a Python function as a layer. It runs, but is never rebuilt from a config: code
    is not data."""

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda expects a callable. Received: function={function!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        self._given_output_shape = output_shape

    def call(self, inputs, training=None):
        return self.function(inputs, **self.arguments)

    def compute_output_shape(self, input_shape):
        if self._given_output_shape is not None:
            shape = self._given_output_shape
            return (tuple(input_shape)[0],) + tuple(shape) if not callable(shape) \
                else tuple(shape(input_shape))
        return super().compute_output_shape(input_shape)

    def get_config(self):
        fn = self.function
        if isinstance(fn, types.FunctionType) and fn.__name__ != "<lambda>":
            # a named function, as Keras writes it (a record naming it; no code)
            from ..saving.serialization import serialize_keras_object  # cycle: saving

            function = serialize_keras_object(fn)
        else:
            function = getattr(fn, "__name__", repr(fn))
        return {**super().get_config(), "function": function, "arguments": self.arguments}

    @classmethod
    def from_config(cls, config):
        """A Lambda of a function that a config names (a built-in, registered or custom
        object, looked up in tables); never one whose code would come from the config."""
        fn = config.get("function")
        if isinstance(fn, dict) and fn.get("class_name") == "function":
            from ..saving.serialization import deserialize_keras_object  # cycle: saving

            return cls(**{**config, "function": deserialize_keras_object(fn)})
        # NOTE: Keras can rebuild a Lambda from pickled bytecode; that runs code from a file.
        raise ValueError(f"Lambda layer {config.get('name')!r} cannot be rebuilt from a "
                         "config: its function is code, and tapeflow never loads code from "
                         "data. Recreate the Lambda in Python and load only its weights.")


class Identity(Layer):
    """Returns its inputs unchanged (a placeholder layer); masks pass through."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
