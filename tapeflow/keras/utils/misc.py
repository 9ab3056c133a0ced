"""Small ``keras.utils`` helpers: ``standardize_dtype``, ``get_source_inputs``, ``Config`` and
the interactive-logging switch that silences progress bars and callback messages."""
import json
import logging
import sys

from ... import dtypes, nest

__all__ = ["standardize_dtype", "get_source_inputs", "Config", "print_msg",
           "enable_interactive_logging", "disable_interactive_logging",
           "is_interactive_logging_enabled"]

# NOTE: Keras's dtype names; Python's int is int64 and float is floatx(), as Keras has them
_PYTHON = {int: "int64", float: None, bool: "bool", str: "string"}
_NAMES = {"int": "int64", "bool": "bool", "string": "string", "bfloat16": "bfloat16"}


def standardize_dtype(dtype):
    """A dtype-like (a name, a NumPy or tapeflow dtype, ``int``/``float``/``bool``, None for
    ``floatx()``) as Keras's dtype name, e.g. ``'float32'``; ``ValueError`` otherwise."""
    from ..backend import floatx  # cycle: keras.backend imports keras.utils's registry

    if dtype is object:
        raise _invalid_dtype(dtype)
    if dtype is None or dtype is float:
        return floatx()
    if dtype in _PYTHON:
        return _PYTHON[dtype]
    if isinstance(dtype, str) and dtype in _NAMES:
        return _NAMES[dtype]
    try:
        name = dtypes.as_dtype(dtype).name
    except (TypeError, ValueError):
        name = None
    if name is None or name in ("object", "float", "variant", "resource") or (
            isinstance(dtype, str) and dtype != name):
        raise _invalid_dtype(dtype)
    return name


def _invalid_dtype(dtype):
    return ValueError(f"Invalid dtype: {dtype.__name__ if isinstance(dtype, type) else dtype}")


def get_source_inputs(tensor):
    """The ``keras.Input`` tensors that ``tensor`` (a symbolic tensor of the functional API)
    was computed from, in the order they are first reached; anything else comes back as is."""
    if getattr(tensor, "_node", False) is False:
        return tensor
    found, seen, todo = [], set(), [tensor]
    while todo:
        t = todo.pop()
        node = t._node
        layer = getattr(node, "layer", None)
        if node is None or type(layer).__name__ == "InputLayer" or not nest.flatten(node.inputs):
            if id(t) not in seen:
                seen.add(id(t))
                found.append(t)
            continue
        todo.extend(reversed(nest.flatten(node.inputs)))
    return found


class Config:
    """A dict that also reads and writes its keys as attributes, and can be frozen."""

    def __init__(self, **kwargs):
        object.__setattr__(self, "_config", dict(kwargs))
        object.__setattr__(self, "_frozen", False)

    @property
    def frozen(self):
        return self._frozen

    def freeze(self):
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self):
        object.__setattr__(self, "_frozen", False)

    def _raise_if_frozen(self):
        if self._frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen.")

    def as_dict(self):
        return dict(self._config)

    def to_json(self):
        return json.dumps(self._config)

    def keys(self):
        return self._config.keys()

    def values(self):
        return self._config.values()

    def items(self):
        return self._config.items()

    def get(self, key, default=None):
        return self._config.get(key, default)

    def pop(self, *args):
        self._raise_if_frozen()
        return self._config.pop(*args)

    def update(self, *args, **kwargs):
        self._raise_if_frozen()
        self._config.update(*args, **kwargs)

    def __getattr__(self, name):
        try:
            return self.__dict__["_config"][name]
        except KeyError:
            raise AttributeError(f"Unknown attribute: '{name}'.") from None

    def __setattr__(self, name, value):
        self._raise_if_frozen()
        self._config[name] = value

    def __delattr__(self, name):
        self._raise_if_frozen()
        try:
            del self._config[name]
        except KeyError:
            raise AttributeError(f"Unknown attribute: '{name}'.") from None

    def __getitem__(self, key):
        return self._config[key]

    def __setitem__(self, key, value):
        self._raise_if_frozen()
        self._config[key] = value

    def __delitem__(self, key):
        self._raise_if_frozen()
        del self._config[key]

    def __contains__(self, key):
        return key in self._config

    def __len__(self):
        return len(self._config)

    def __iter__(self):
        return iter(self._config)

    def __repr__(self):
        return f"<Config {self._config}>"


# -- interactive logging --------------------------------------------------------------------
_INTERACTIVE = [True]


def enable_interactive_logging():
    """Progress bars, ``summary()`` and callback messages print to standard output (the
    default)."""
    _INTERACTIVE[0] = True


def disable_interactive_logging():
    """Progress bars, ``summary()`` and callback messages go to the ``tapeflow`` logger at
    INFO level instead of standard output (silent unless logging is configured to show it),
    as Keras sends them to absl's log."""
    _INTERACTIVE[0] = False


def is_interactive_logging_enabled():
    """Whether progress bars and messages print to standard output (see
    ``disable_interactive_logging``)."""
    return _INTERACTIVE[0]


def print_msg(message, line_break=True, stream=None):
    """``message`` to ``stream`` (standard output by default) while interactive logging is
    on, else to the ``tapeflow`` logger."""
    if not _INTERACTIVE[0]:
        logging.getLogger("tapeflow").info(message)
        return
    if stream is None:
        stream = sys.stdout  # looked up at each call: tests and notebooks replace it
    stream.write(message + ("\n" if line_break else ""))
    flush = getattr(stream, "flush", None)
    if flush is not None:
        flush()

