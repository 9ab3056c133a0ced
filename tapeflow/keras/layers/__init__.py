"""``keras.layers``: the layer base class and the built-in layers."""
from .activation_layers import ELU, LeakyReLU, ReLU, Softmax
from .base import InputSpec, Layer
from .core import Activation, Dense, Lambda
from .input_layer import Input, InputLayer, KerasTensor
from .merging import (
    Add,
    Average,
    Concatenate,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    concatenate,
    multiply,
)
from .preprocessing import Normalization, Rescaling
from .regularization import Dropout
from .reshaping import Flatten, Reshape

_ALLOWED = {c.__name__: c for c in (
    ELU, LeakyReLU, ReLU, Softmax, Activation, Dense, InputLayer, Add, Average, Concatenate,
    Maximum, Minimum, Multiply, Subtract, Normalization, Rescaling, Dropout, Flatten, Reshape,
    Lambda)}


def serialize(layer):
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config, custom_objects=None):
    """A layer from ``{'class_name', 'config'}``; only built-in and ``custom_objects`` classes
    are allowed (configs are data, never code)."""
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _ALLOWED.get(name)
    if cls is None:
        from .. import models  # noqa: PLC0415

        cls = {"Sequential": models.Sequential, "Functional": models.Functional}.get(name)
    if cls is None:
        raise ValueError(f"Unknown layer: '{name}'. Please ensure you are using a "
                         "`keras.utils.custom_object_scope` or pass it in `custom_objects`.")
    return cls.from_config(config["config"])


__all__ = [
    "Activation", "Add", "Average", "Concatenate", "Dense", "Dropout", "ELU", "Flatten", "Input",
    "InputLayer", "InputSpec", "KerasTensor", "Lambda", "Layer", "LeakyReLU", "Maximum",
    "Minimum", "Multiply", "Normalization", "ReLU", "Rescaling", "Reshape", "Softmax",
    "Subtract", "add", "concatenate", "deserialize", "multiply", "serialize",
]
