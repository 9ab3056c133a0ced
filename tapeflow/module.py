"""``tf.Module`` (variables and sub-modules tracked through attributes and containers) and
``tf.name_scope``."""
import re
import weakref

from .variable import Variable, _name_scope_stack

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-/]*$")
_name_counts = {}


def _camel_to_snake(name):
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


class name_scope:  # TF's name
    """Context manager prefixing the names of variables created inside it."""

    def __init__(self, name):
        if not isinstance(name, str) or (name and not _NAME_RE.match(name)):
            raise ValueError(f"'{name}' is not a valid scope name. A scope name has to match "
                             f"the following pattern: {_NAME_RE.pattern}")
        self._name = name.rstrip("/")

    def __enter__(self):
        _name_scope_stack.append(self._name)
        return "/".join(_name_scope_stack) + "/"

    def __exit__(self, *exc):
        _name_scope_stack.pop()
        return False


def _walk(obj, seen, leaves_of, stop_at_modules):
    """Depth-first walk of attributes/lists/tuples/dicts, yielding (kind, value)."""
    stack = [obj]
    while stack:
        x = stack.pop()
        if id(x) in seen:
            continue
        seen.add(id(x))
        yield x
        if isinstance(x, Module) and (x is leaves_of or not stop_at_modules):
            items = [v for k, v in sorted(vars(x).items()) if k not in x._TF_MODULE_IGNORED]
            stack.extend(reversed(items))
        elif isinstance(x, dict):
            stack.extend(reversed([x[k] for k in sorted(x, key=str)]))
        elif isinstance(x, (list, tuple)):
            stack.extend(reversed(x))


# ids of objects a checkpoint restore waits on (deferred restoration: the value of an attribute
# assigned later). ``tapeflow.train`` fills it through ``wait_for_attributes``; only while it is
# not empty does ``Module`` have a Python ``__setattr__`` (plain attribute sets stay C-speed).
deferred_restores = set()


def _setattr_then_restore(self, name, value):
    object.__setattr__(self, name, value)
    if id(self) in deferred_restores:
        hook = self.__dict__.get("_deferred_restore")
        if hook is not None:
            hook(self, name)


def wait_for_attributes(obj, hook):
    """Call ``hook(obj, name)`` after each attribute assignment on ``obj`` until
    ``stop_waiting(obj)``."""
    obj.__dict__["_deferred_restore"] = hook
    if id(obj) not in deferred_restores:
        deferred_restores.add(id(obj))
        weakref.finalize(obj, _forget, id(obj))  # an object dropped while waiting
    Module.__setattr__ = _setattr_then_restore


def _forget(key):
    deferred_restores.discard(key)
    if not deferred_restores and "__setattr__" in Module.__dict__:
        del Module.__setattr__


def stop_waiting(obj):
    obj.__dict__.pop("_deferred_restore", None)
    _forget(id(obj))


class Module:
    """Base class for models built from variables and other modules (TF's ``tf.Module``)."""

    _TF_MODULE_IGNORED = frozenset(["_self_unconditional_checkpoint_dependencies",
                                    "_parameters", "_name", "_scope_name",
                                    "_deferred_restore"])

    def __init__(self, name=None):
        if name is None:
            base = _camel_to_snake(type(self).__name__)
            n = _name_counts.get(base, 0)
            _name_counts[base] = n + 1
            name = base if n == 0 else f"{base}_{n}"
        elif not _NAME_RE.match(name):
            raise ValueError(f"{name!r} is not a valid module name. Module names must be valid "
                             "Python identifiers (e.g. a valid class name).")
        self._name = name

    @property
    def name(self):
        return self.__dict__.get("_name") or _camel_to_snake(type(self).__name__)

    @property
    def name_scope(self):
        return name_scope(self.name)

    def _flatten(self, predicate, recursive=True):
        seen = {id(self)}
        out = []
        items = [v for k, v in sorted(vars(self).items()) if k not in self._TF_MODULE_IGNORED]
        for item in items:
            for x in _walk(item, seen, None, not recursive):
                if predicate(x):
                    out.append(x)
        return out

    @property
    def variables(self):
        return tuple(self._flatten(lambda x: isinstance(x, Variable)))

    @property
    def trainable_variables(self):
        return tuple(self._flatten(lambda x: isinstance(x, Variable) and x.trainable))

    @property
    def non_trainable_variables(self):
        return tuple(self._flatten(lambda x: isinstance(x, Variable) and not x.trainable))

    @property
    def submodules(self):
        return tuple(self._flatten(lambda x: isinstance(x, Module)))

    @classmethod
    def with_name_scope(cls, method):
        return method

    def __repr__(self):
        return f"<{type(self).__module__}.{type(self).__name__} object at {hex(id(self))}>"
