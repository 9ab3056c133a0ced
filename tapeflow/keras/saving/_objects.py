"""Name resolution for configs: the built-in allow-list, registered classes and the caller's
``custom_objects`` (never an import of a module path read from a file)."""
import re

_REGISTRY = {}  # "package>name" -> class


def to_snake_case(name):
    """Keras's ``naming.to_snake_case`` (``RMSprop`` -> ``rm_sprop``), used in weight paths."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def register_keras_serializable(package="Custom", name=None):
    """Class decorator: let ``load_model`` rebuild this class from ``'package>name'``."""

    def decorator(cls):
        key = f"{package}>{name or cls.__name__}"
        if key in _REGISTRY and _REGISTRY[key] is not cls:
            raise ValueError(f"{key} has already been registered to {_REGISTRY[key]}")
        if not hasattr(cls, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() "
                             "method.")
        _REGISTRY[key] = cls
        cls._registered_name = key
        return cls

    return decorator


def get_registered_name(obj):
    cls = obj if isinstance(obj, type) else type(obj)
    key = cls.__dict__.get("_registered_name")
    return key if key in _REGISTRY and _REGISTRY[key] is cls else cls.__name__


def get_registered_object(name, custom_objects=None, module_objects=None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _REGISTRY:
        return _REGISTRY[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def custom_table(custom_objects=None):
    """``{class name: class}`` from registered classes, then the caller's ``custom_objects``
    (which win)."""
    table = {}
    for key, cls in _REGISTRY.items():
        table[key] = cls
        table.setdefault(cls.__name__, cls)
    table.update(custom_objects or {})
    return table
