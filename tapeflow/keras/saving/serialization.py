"""``serialize_keras_object`` / ``deserialize_keras_object``: any Keras object, function or
plain value as Keras 3's JSON-ready form and back.

Objects become ``{'module', 'class_name', 'config', 'registered_name'}`` (plus
``build_config`` for a built layer; a model as ``model_to_json`` writes it), functions
``{'class_name': 'function', 'config': name}``, NumPy arrays, tensors, bytes and slices
``'__numpy__'``/``'__tensor__'``/``'__bytes__'``/``'__slice__'`` records. Reading back never
imports the ``module`` a config names: it only picks which table of tapeflow's classes (and
the registered and custom objects) the name is looked up in.
"""
import base64
import marshal
import types
import warnings

from ...backend import host as np
from ...tensor import TensorBase, constant
from .. import _registry
from .._registry import CustomObjectScope, get_registered_name
from . import _keras_file

__all__ = ["serialize_keras_object", "deserialize_keras_object"]

# NOTE: the kind (tapeflow's lookup table) of each module Keras writes for its own objects
_KIND_OF_MODULE = {**{m: k for k, m in _keras_file._KIND_MODULE.items()},
                   "keras.activations": "activation",
                   "keras.optimizers.schedules": "schedule", "keras": "model",
                   "keras.models": "model", "keras.src.models.functional": "model",
                   "keras.src.models.model": "model", "keras.src.models.sequential": "model"}
_FUNCTION_KINDS = ("activation", "loss", "metric", "initializer", "regularizer", "constraint")


def _bases():
    """(kind, module, base class) in the order an object is matched (models first, layers
    last: a metric or a model is also a layer)."""
    from .. import constraints, initializers, losses, metrics, regularizers  # cycle: Keras
    from ..layers.base import Layer  # cycle: keras.layers imports keras.saving
    from ..mixed_precision.policy import DTypePolicy  # cycle: as above
    from ..models import Model  # cycle: as above
    from ..optimizers.base import Optimizer  # cycle: as above
    from ..optimizers.schedules import LearningRateSchedule  # cycle: as above

    return (("model", None, Model), ("metric", "keras.metrics", metrics.Metric),
            ("loss", "keras.losses", losses.Loss),
            ("optimizer", "keras.optimizers", Optimizer),
            ("schedule", "keras.optimizers.schedules", LearningRateSchedule),
            ("initializer", "keras.initializers", initializers.Initializer),
            ("regularizer", "keras.regularizers", regularizers.Regularizer),
            ("constraint", "keras.constraints", constraints.Constraint),
            ("dtype_policy", "keras", DTypePolicy), ("layer", "keras.layers", Layer))


def serialize_keras_object(obj):
    """``obj`` in Keras 3's serialized form (see the module's docstring); ``TypeError`` for
    an object without ``get_config``."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(),
                                                       "dtype": _dtype_name(obj.dtype)}}
    if isinstance(obj, TensorBase) and not hasattr(obj, "assign"):
        return {"class_name": "__tensor__", "config": {"value": obj.numpy().tolist(),
                                                        "dtype": obj.dtype.name}}
    if isinstance(obj, slice):
        return {"class_name": "__slice__", "config": {
            "start": serialize_keras_object(obj.start), "stop": serialize_keras_object(obj.stop),
            "step": serialize_keras_object(obj.step)}}
    if isinstance(obj, (list, tuple)):
        return type(obj)(serialize_keras_object(v) for v in obj)
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, types.FunctionType) and obj.__name__ == "<lambda>":
        return _lambda(obj)
    if callable(obj) and not isinstance(obj, type) and not hasattr(obj, "get_config"):
        return {"module": "builtins", "class_name": "function",
                "config": get_registered_name(obj), "registered_name": "function"}
    if not hasattr(obj, "get_config"):
        raise TypeError(f"Cannot serialize object {obj} of type {type(obj)}. To be "
                        "serializable, a class must implement the `get_config()` method.")
    kind, module = _kind_and_module(obj)
    if kind == "model":
        return _keras_file.model_config(obj)
    cls = type(obj)
    registered = _registry._registered_key(cls)
    name = cls.__dict__.get("_keras_class_name", cls.__name__)
    if kind == "layer" and not registered:  # tf.keras's legacy layers: keras._legacy.layers
        module = _keras_file._MODEL_MODULE.get(name, module)
    out = {"module": cls.__module__ if registered or module is None else module,
           "class_name": name,
           "config": _keras_file._keras_tree(serialize_keras_object(obj.get_config()),
                                             kind or "layer"),
           "registered_name": registered}
    shapes = obj.__dict__.get("_build_shapes") if kind == "layer" else None
    if shapes is not None and getattr(obj, "built", False):
        out["build_config"] = {"input_shape": _keras_file._jsonable(shapes)}
    return out


def _kind_and_module(obj):
    for kind, module, base in _bases():
        if isinstance(obj, base):
            return kind, module
    return None, None


def _dtype_name(dtype):
    from ..utils.misc import standardize_dtype  # cycle: keras.utils imports keras.saving

    return standardize_dtype(dtype)


def _lambda(fn):
    warnings.warn("The object being serialized includes a `lambda`. This is unsafe. In order "
                  "to reload the object, you will have to pass `safe_mode=False` to the loading "
                  "function. Please avoid using `lambda` in the future, and use named Python "
                  "functions instead.", stacklevel=3)
    code = base64.b64encode(marshal.dumps(fn.__code__)).decode("ascii")
    return {"class_name": "__lambda__", "config": {
        "value": code, "defaults": serialize_keras_object(fn.__defaults__)}}


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """The object ``config`` (Keras 3's serialized form) stands for; names resolve through
    ``custom_objects``, any enclosing ``CustomObjectScope``, registered objects and tapeflow's
    own classes and functions."""
    module_objects = kwargs.pop("module_objects", None)
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, str):
        table = {**(module_objects or {}), **_registry._custom_objects(custom_objects)}
        return table.get(config, config)
    if isinstance(config, (list, tuple)):
        return type(config)(deserialize_keras_object(v, custom_objects, safe_mode)
                            for v in config)
    if not isinstance(config, dict):
        raise TypeError(f"Could not parse config: {config}")
    if "class_name" not in config or "config" not in config:
        return {k: deserialize_keras_object(v, custom_objects, safe_mode)
                for k, v in config.items()}
    name, inner = config["class_name"], config["config"]
    special = _SPECIAL.get(name)
    if special is not None:
        return special(inner, custom_objects, safe_mode)
    if name == "function":
        return _function(inner, config, custom_objects)
    module = config.get("module")
    kind = _KIND_OF_MODULE.get(module)
    if kind == "model":
        return _keras_file.model_from_config(config, custom_objects)
    cls = _registry.locate(kind or "layer", name, config.get("registered_name"),
                           custom_objects) if kind not in (None, "schedule", "dtype_policy") \
        else _custom_or_registered(name, config.get("registered_name"), custom_objects)
    if cls is None and kind in ("schedule", "dtype_policy"):
        cls = _special_class(kind, name)
    if cls is None:
        if kind is None:
            raise TypeError(
                f"Could not locate class '{name}'. Make sure custom classes and functions are "
                "decorated with `@keras.saving.register_keras_serializable()`. If they are "
                "already decorated, make sure they are all imported so that the decorator is "
                f"run before trying to load them. Full object config: {config}")
        raise ValueError(f"Could not deserialize '{module}.{name}' because it is not a "
                         "KerasSaveable subclass")
    if not isinstance(cls, type):
        return cls
    with CustomObjectScope(_registry._custom_objects(custom_objects)):
        obj = cls.from_config(_keras_file._plain(inner) if kind == "layer" else inner)
        build = config.get("build_config")
        if build and kind == "layer" and build.get("input_shape") is not None:
            obj.build(build["input_shape"])
    return obj


def _custom_or_registered(name, registered, custom_objects):
    table = _registry.custom_table(custom_objects)
    return table.get(registered) if registered in table else table.get(name)


def _special_class(kind, name):
    if kind == "dtype_policy":
        from ..mixed_precision.policy import DTypePolicy  # cycle: as in _bases

        return DTypePolicy if name in ("DTypePolicy", "Policy") else None
    from ..optimizers import schedules  # cycle: as in _bases

    cls = getattr(schedules, name, None)
    return cls if isinstance(cls, type) and issubclass(cls, schedules.LearningRateSchedule) \
        else None


def _function(name, config, custom_objects):
    found = _custom_or_registered(name, None, custom_objects)
    for kind in _FUNCTION_KINDS if found is None else ():
        obj = _registry.builtin(kind).get(name)
        if obj is not None and not isinstance(obj, type):
            found = obj
            break
    if found is None:
        raise TypeError(
            f"Could not locate function '{name}'. Make sure custom classes and functions are "
            "decorated with `@keras.saving.register_keras_serializable()`. If they are already "
            "decorated, make sure they are all imported so that the decorator is run before "
            f"trying to load them. Full object config: {config}")
    return found


def _numpy(inner, custom_objects, safe_mode):
    return np.array(inner["value"], dtype=inner["dtype"])


def _tensor(inner, custom_objects, safe_mode):
    return constant(inner["value"], dtype=inner["dtype"])


def _bytes(inner, custom_objects, safe_mode):
    return inner["value"].encode("utf-8")


def _slice(inner, custom_objects, safe_mode):
    return slice(*(deserialize_keras_object(inner[k], custom_objects, safe_mode)
                   for k in ("start", "stop", "step")))


def _lambda_back(inner, custom_objects, safe_mode):
    from .. import config  # deferred: keras.config.enable_unsafe_deserialization's switch

    if safe_mode and config.in_safe_mode() is not False:
        raise ValueError(
            "Requested the deserialization of a `lambda` object. This carries a potential risk "
            "of arbitrary code execution and thus it is disallowed by default. If you trust the "
            "source of the saved model, you can pass `safe_mode=False` to the loading function "
            "in order to allow `lambda` loading.")
    code = marshal.loads(base64.b64decode(inner["value"]))
    defaults = deserialize_keras_object(inner.get("defaults"), custom_objects, safe_mode)
    return types.FunctionType(code, globals(), None, tuple(defaults) if defaults else None)


_SPECIAL = {"__numpy__": _numpy, "__tensor__": _tensor, "__bytes__": _bytes,
            "__slice__": _slice, "__lambda__": _lambda_back}
