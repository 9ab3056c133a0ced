"""``Sequential``: a plain stack of layers, built on first call or from an input shape."""
from ..layers import deserialize, serialize
from ..layers.base import Layer, dtype_policy_config
from ..layers.input_layer import InputLayer, KerasTensor
from .model import Model


class Sequential(Model):
    """``Sequential([Dense(50), ReLU(), Dense(10, activation='softmax')])``."""

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(name=name, trainable=trainable)
        self._layers_list = []
        self.__dict__["_input_shape"] = None
        for layer in layers or ():
            self.add(layer, rebuild=False)
        self._maybe_build_from_shape()

    def add(self, layer, rebuild=True):
        """Append a layer (a ``keras.Input`` tensor or InputLayer sets the input shape)."""
        if isinstance(layer, KerasTensor):
            layer = layer._node.layer
        if isinstance(layer, InputLayer):
            if self._layers_list or self.__dict__["_input_shape"] is not None:
                raise ValueError("An InputLayer must be the first layer of a Sequential model.")
            self.__dict__["_input_shape"] = layer.batch_shape
            self.__dict__["_input_layer"] = layer
            return
        if not isinstance(layer, Layer):
            raise ValueError(f"Only instances of `keras.Layer` can be added to a Sequential "
                             f"model. Received: {layer!r} (of type {type(layer)})")
        if any(existing.name == layer.name for existing in self._layers_list):
            raise ValueError(f"All layers added to a Sequential model should have unique "
                             f"names. Name '{layer.name}' is already the name of a layer in "
                             "this model. Update the `name` argument to pass a unique name.")
        if not self._layers_list and self.__dict__["_input_shape"] is None:
            shape = layer.__dict__.get("_batch_input_shape")
            if shape is None and isinstance(layer, Model):  # a model that knows its input
                shape = _known_input_shape(layer)
            if shape is not None:
                self.__dict__["_input_shape"] = shape
        self._layers_list.append(layer)
        self.built = False
        if rebuild:
            self._maybe_build_from_shape()

    def pop(self, rebuild=True):
        if not self._layers_list:
            raise TypeError("There are no layers in the model.")
        layer = self._layers_list.pop()
        self.built = bool(self._layers_list) and all(layer_.built for layer_ in
                                                     self._layers_list)
        return layer

    def _maybe_build_from_shape(self):
        shape = self.__dict__["_input_shape"]
        if shape is not None and self._layers_list:
            self.build(shape)

    @property
    def layers(self):
        return list(self._layers_list)

    @property
    def input_shape(self):
        return self.__dict__["_input_shape"]

    def build(self, input_shape=None):
        if input_shape is None:
            input_shape = self.__dict__["_input_shape"]
        if input_shape is None:
            raise ValueError("You must provide an `input_shape` argument.")
        input_shape = (None,) + tuple(input_shape)[1:]  # the batch size stays open
        self.__dict__["_input_shape"] = input_shape
        x = KerasTensor(input_shape, self.dtype)
        for layer in self._layers_list:
            x = layer(x)
        self.__dict__["_output_shape"] = x.shape if isinstance(x, KerasTensor) else None
        self.built = True

    def call(self, inputs, training=None, mask=None):
        x = inputs
        for layer in self._layers_list:
            x = layer(x, training=training) if training is not None else layer(x)
        return x

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._layers_list:
            shape = layer.compute_output_shape(shape)
        return shape

    def get_config(self):
        """Keras 3's Sequential config: name, trainable, dtype policy, each layer serialized
        (an InputLayer first where the input shape is known) and the built input shape."""
        layers = [serialize(layer) for layer in self._layers_list]
        shape = self.__dict__["_input_shape"]
        if shape is not None:
            given = self.__dict__.get("_input_layer")
            layers.insert(0, {"module": "keras.layers", "class_name": "InputLayer", "config": {
                "batch_shape": shape, "dtype": self.dtype, "sparse": False, "ragged": False,
                "name": given.name if given is not None else "input_layer",
                "optional": False}, "registered_name": None})
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": dtype_policy_config(self), "layers": layers}
        if shape is not None and self.built:
            config["build_input_shape"] = shape
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for spec in config["layers"]:
            if spec["class_name"] == "InputLayer":
                model.add(InputLayer(batch_shape=spec["config"]["batch_shape"]), rebuild=False)
            else:
                model.add(deserialize(spec, custom_objects), rebuild=False)
        model._maybe_build_from_shape()
        return model


def _known_input_shape(model):
    """A model's single input shape (a tuple) where it is known, else None: a Sequential or
    functional model put first in a Sequential gives it its input shape, as in Keras."""
    try:
        shape = model.input_shape
    except (AttributeError, ValueError):
        return None
    return shape if isinstance(shape, tuple) else None
