"""The one registry of Keras objects by name, for every kind (activation, initializer,
regularizer, constraint, loss, metric, optimizer, layer): the built-in tables, the classes
registered with ``keras.saving.register_keras_serializable``, and the shared
``get``/``serialize``/``deserialize`` that every kind's module calls, with Keras 3's errors.

Only names in these tables, registered classes and the caller's ``custom_objects`` resolve:
the ``module`` field of a config is never imported, so a config read from a file never runs
code (see ``saving/_keras_file.model_from_config``).
"""
import threading
import types

# kind -> how Keras 3's "Could not interpret ... identifier" error names it
_WHAT = {"activation": "activation function", "initializer": "initializer",
         "regularizer": "regularizer", "constraint": "constraint", "loss": "loss",
         "metric": "metric", "optimizer": "optimizer", "layer": "layer"}
_BUILTIN = {kind: {} for kind in _WHAT}  # kind -> {name: class or function}
_PRESETS = {kind: {} for kind in _WHAT}  # kind -> {alias: keyword arguments of its class}
_BASE = {}  # kind -> the class get() requires (optimizers); other kinds take any callable
_AS_IS = frozenset(["activation", "layer"])  # kinds whose classes a name does not instantiate
_FOLD_CASE = frozenset(["optimizer"])  # as Keras 3: 'Adam', 'adam' and 'ADAM' all resolve
# names get() leaves to its caller, listed in the error: Model.compile resolves 'accuracy'
# against the loss
_ALSO = {"metric": ("accuracy", "acc")}
_CUSTOM = {}  # "package>name" -> class, filled by register_keras_serializable
_SCOPE = threading.local()  # custom_objects of the deserialize calls in progress


# -- built-in tables ---------------------------------------------------------------------------
def _key(kind, name):
    """``name`` as ``kind``'s table keys it."""
    return name.lower() if kind in _FOLD_CASE else name


def register(kind, *objects, aliases=None, base=None):
    """Add built-in ``objects`` to ``kind``'s table under their ``__name__``. ``aliases`` maps
    more names to an object, or to ``(class, kwargs)``: the name then makes
    ``class(**kwargs)``. ``base``: the class ``get`` requires of an object (else callable)."""
    table = _BUILTIN[kind]
    entries = [(obj.__name__, obj, None) for obj in objects]
    for name, target in (aliases or {}).items():
        obj, kwargs = target if isinstance(target, tuple) else (target, None)
        entries.append((name, obj, kwargs))
    for name, obj, kwargs in entries:
        key = _key(kind, name)
        if table.get(key, obj) is not obj:
            raise RuntimeError(f"{kind} name {name!r} is already taken by {table[key]!r}")
        table[key] = obj
        if kwargs:
            _PRESETS[kind][key] = kwargs
    if base is not None:
        _BASE[kind] = base


def names(kind):
    """The built-in names of ``kind``, sorted."""
    return sorted(_BUILTIN[kind])


def builtin(kind):
    """``{name: object}``: a copy of ``kind``'s built-in table."""
    return dict(_BUILTIN[kind])


# -- registered classes and custom objects -----------------------------------------------------
def register_keras_serializable(package="Custom", name=None):
    """Class (or function) decorator: let ``load_model`` and ``deserialize_keras_object``
    find it by ``'package>name'``."""

    def decorator(cls):
        key = f"{package}>{name or cls.__name__}"
        if key in _CUSTOM and _CUSTOM[key] is not cls:
            raise ValueError(f"{key} has already been registered to {_CUSTOM[key]}")
        if isinstance(cls, type) and not hasattr(cls, "get_config"):  # functions need none
            raise ValueError("Cannot register a class that does not have a get_config() "
                             "method.")
        _CUSTOM[key] = cls
        cls._registered_name = key
        return cls

    return decorator


def _registered_key(cls):
    key = cls.__dict__.get("_registered_name")
    return key if key in _CUSTOM and _CUSTOM[key] is cls else None


def get_registered_name(obj):
    """The name an object is saved under: its ``'package>name'`` when registered, else its
    (class) name."""
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
        return _registered_key(obj) or obj.__name__
    cls = obj if isinstance(obj, type) else type(obj)
    return _registered_key(cls) or cls.__name__


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object registered or in scope under ``name`` (``custom_objects`` first, then
    registered ones, then ``module_objects``), or None."""
    custom = _custom_objects(custom_objects)  # an enclosing CustomObjectScope's too
    if name in custom:
        return custom[name]
    if name in _CUSTOM:
        return _CUSTOM[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def registered_table():
    """``{name: class}`` of the registered classes, by ``'package>name'`` and by class name
    (no custom object scope's: ``keras.saving.get_custom_objects``)."""
    table = {}
    for key, cls in _CUSTOM.items():
        table[key] = cls
        table.setdefault(cls.__name__, cls)
    return table


def custom_table(custom_objects=None):
    """``{name: class}`` of the registered classes (by ``'package>name'`` and by class name),
    then the ``custom_objects`` of the deserialize calls in progress and ``custom_objects``
    (which win)."""
    table = registered_table()
    table.update(_custom_objects(custom_objects))
    return table


def _custom_objects(custom_objects=None):
    """The ``custom_objects`` of the deserialize calls in progress, then ``custom_objects``
    (which win)."""
    return {**(getattr(_SCOPE, "objects", None) or {}), **(custom_objects or {})}


class CustomObjectScope:
    """``with CustomObjectScope({"name": obj}):`` makes ``obj`` resolve by ``name`` wherever
    Keras looks objects up (``load_model``, ``get_registered_object``, deserialization)
    until the block ends; scopes nest, the inner one winning. ``custom_object_scope`` is the
    same class."""

    def __init__(self, custom_objects):
        self.custom_objects = custom_objects or {}
        self.backup = None

    def __enter__(self):
        self.backup = getattr(_SCOPE, "objects", None)
        _SCOPE.objects = {**(self.backup or {}), **self.custom_objects}
        return self

    def __exit__(self, *args, **kwargs):
        _SCOPE.objects = self.backup


custom_object_scope = CustomObjectScope
# NOTE: nested deserialize calls (a wrapper's inner layer, a layer's initializer) see the outer
# call's ``custom_objects`` through the same scope
_scope = CustomObjectScope


# -- resolution --------------------------------------------------------------------------------
def locate(kind, name, registered=None, custom_objects=None):
    """The object ``name`` (or ``registered``, a ``'package>name'`` key) stands for: custom
    objects first, then registered classes by key, then ``kind``'s built-ins, then registered
    classes by bare class name; None when nothing matches."""
    custom = _custom_objects(custom_objects)
    for key in (registered, name):
        if isinstance(key, str):
            obj = custom.get(key, _CUSTOM.get(key))
            if obj is not None:
                return obj
    obj = _BUILTIN[kind].get(_key(kind, name))
    if obj is None:
        obj = next((c for c in _CUSTOM.values() if c.__name__ == name), None)
    return obj


def _interpret_error(kind, identifier):
    known = sorted(k for k, v in _BUILTIN[kind].items()
                   if not (isinstance(v, type) and k == v.__name__))
    hint = f" Expected one of {[*_ALSO.get(kind, ()), *known]}." if known else ""
    return ValueError(f"Could not interpret {_WHAT[kind]} identifier: {identifier}.{hint}")


def deserialize(kind, config, custom_objects=None):
    """The object a name or a config stands for: a name (``'relu'``, ``'adam'``, a class
    name), Keras 3's ``{'module', 'class_name', 'config', 'registered_name'}`` (``module`` is
    ignored; ``class_name: 'function'`` names a function in ``config``) or the legacy
    ``{'class_name', 'config'}``. Classes named by a string are instantiated (with the
    alias's preset arguments), by a config rebuilt with ``from_config``."""
    if config is None:
        return None
    if isinstance(config, str):
        obj = locate(kind, config, None, custom_objects)
        if obj is None:
            raise _interpret_error(kind, config)
        if isinstance(obj, type) and kind not in _AS_IS:
            obj = obj(**_PRESETS[kind].get(_key(kind, config), {}))
        return obj
    if not (isinstance(config, dict) and isinstance(config.get("class_name"), str)):
        raise _interpret_error(kind, config)
    name, inner = config["class_name"], config.get("config")
    is_function = name == "function" and isinstance(inner, str)
    obj = locate(kind, inner, None, custom_objects) if is_function else \
        locate(kind, name, config.get("registered_name"), custom_objects)
    if obj is None:
        raise ValueError(
            f"Could not locate {'function' if is_function else 'class'} "
            f"'{inner if is_function else name}'. Make sure custom classes are decorated "
            f"with `@keras.saving.register_keras_serializable()`. Full object config: {config}")
    if is_function:
        return deserialize(kind, inner, custom_objects)  # as the bare name
    if not isinstance(obj, type):
        return obj  # a function named in a config
    if custom_objects:
        with _scope(custom_objects):
            return obj.from_config(inner or {})
    return obj.from_config(inner or {})


def get(kind, identifier):
    """Keras 3's ``get``: None stays None; a name or a config resolves through
    ``deserialize``; a class becomes an instance (not for activations); then the object must
    be callable (or an instance of the kind's base class, for optimizers)."""
    if identifier is None:
        return None
    obj = deserialize(kind, identifier) if isinstance(identifier, (str, dict)) else identifier
    if isinstance(obj, type) and kind not in _AS_IS:
        obj = obj()
    base = _BASE.get(kind)
    if isinstance(obj, base) if base is not None else callable(obj):
        return obj
    raise _interpret_error(kind, identifier)


def serialize(obj):
    """A function's name; an object with ``get_config`` in Keras 3's form
    ``{'module', 'class_name', 'config', 'registered_name'}`` (plus ``build_config`` for a
    built layer), as ``keras.saving.serialize_keras_object`` writes it; None for None or
    anything else."""
    if obj is None:
        return None
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, type)) or \
            not hasattr(obj, "get_config"):
        return getattr(obj, "__name__", None)
    from .saving.serialization import serialize_keras_object  # cycle: saving imports this

    return serialize_keras_object(obj)
