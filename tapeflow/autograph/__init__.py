"""``tf.autograph``: what ``tf.function`` does to Python control flow on tensors.

``to_code(f)`` returns the source ``tf.function`` runs for ``f`` (the converted source,
see ``_convert.py``); ``experimental.do_not_convert`` marks a function to run as written.
"""
import inspect
import types

from . import experimental
from ._convert import convert, converted_source

__all__ = ["to_code", "to_graph", "experimental", "set_verbosity", "trace"]


def to_code(entity, recursive=True, experimental_optional_features=None):
    """The Python source of ``entity`` as ``tf.function`` converts it."""
    if not isinstance(entity, (types.FunctionType, types.MethodType)):
        raise ValueError(f"Expected a function or method, got {entity!r}")
    src = converted_source(entity)
    return src if src is not None else inspect.getsource(entity)


def to_graph(entity, recursive=True, experimental_optional_features=None):
    """``entity`` converted (Python control flow on tensors becomes traced control flow)."""
    return convert(entity)


def set_verbosity(level, alsologtostdout=False):
    """Accepted for TF compatibility (tapeflow logs conversions at DEBUG level)."""


def trace(*args):
    """Print ``args`` at trace time (TF's ``tf.autograph.trace``)."""
    print(*args)
