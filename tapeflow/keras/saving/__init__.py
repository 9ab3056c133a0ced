"""``keras.saving``: ``save_model``/``load_model`` (``.keras`` zips), weights files
(``.weights.h5``, ``.safetensors``, ``.npz``) and ``register_keras_serializable``."""
from .._registry import (
    CustomObjectScope,
    custom_object_scope,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    registered_table,
)
from ._keras_file import load_model, save_model
from ._weights import load_weights, save_weights
from .serialization import deserialize_keras_object, serialize_keras_object


def get_custom_objects():
    """The registered classes by name (a copy: register with the decorator); as in Keras,
    a ``CustomObjectScope``'s objects are not in it."""
    return registered_table()


__all__ = ["load_model", "save_model", "register_keras_serializable", "get_registered_name",
           "get_registered_object", "get_custom_objects", "load_weights", "save_weights",
           "CustomObjectScope", "custom_object_scope", "serialize_keras_object",
           "deserialize_keras_object"]
