"""Keras 2's object serialization: ``{'class_name': ..., 'config': ...}`` dicts, without the
``module`` / ``registered_name`` entries of Keras 3's format (``keras.saving``).

>>> import tapeflow as tf
>>> from tapeflow.keras.legacy.saving import serialize_keras_object
>>> serialize_keras_object(tf.keras.regularizers.L2(0.5))
{'class_name': 'L2', 'config': {'l2': 0.5}}
"""
import inspect
import types

from ... import _registry

__all__ = ["serialize_keras_object", "deserialize_keras_object"]


def serialize_keras_object(instance):
    """``{'class_name': name, 'config': instance.get_config()}`` (the registered name for a
    registered class); a function gives its name, None gives None."""
    if instance is None:
        return None
    if hasattr(instance, "get_config") and not isinstance(instance, type):
        return {"class_name": _registry.get_registered_name(instance),
                "config": instance.get_config()}
    if isinstance(instance, (types.FunctionType, types.BuiltinFunctionType)):
        return _registry.get_registered_name(instance)
    raise ValueError(f"Cannot serialize {instance} because it doesn't implement "
                     "`get_config()`.")


def _unknown(what, name):
    return ValueError(
        f"Unknown {what}: '{name}'. Please ensure you are using a "
        "`keras.utils.custom_object_scope` and that this object is included in the scope. "
        "See https://www.tensorflow.org/guide/keras/save_and_serialize"
        "#registering_the_custom_object for details.")


def deserialize_keras_object(identifier, module_objects=None, custom_objects=None,
                             printable_module_name="object"):
    """The object a Keras 2 config (a ``{'class_name', 'config'}`` dict, or a name) stands
    for, looked up in ``custom_objects``, the registered objects, then ``module_objects``."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        config = identifier.get("config", {})
        cls = _registry.get_registered_object(name, custom_objects, module_objects)
        if cls is None:
            raise _unknown(printable_module_name, name)
        if hasattr(cls, "from_config"):
            takes = "custom_objects" in inspect.signature(cls.from_config).parameters
            with _registry.CustomObjectScope(custom_objects or {}):
                if takes:
                    return cls.from_config(config, custom_objects=custom_objects)
                return cls.from_config(config)
        return cls(**config)
    if isinstance(identifier, str):
        # NOTE: Keras 3.15.1 fails here with an AttributeError of its own; this looks the
        # name up as Keras 2 did
        obj = _registry.get_registered_object(identifier, custom_objects, module_objects)
        if obj is None:
            raise _unknown(printable_module_name, identifier)
        return obj() if isinstance(obj, type) else obj
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret serialized {printable_module_name}: {identifier}")
