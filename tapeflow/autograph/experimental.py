"""``tf.autograph.experimental``."""
import functools

__all__ = ["do_not_convert", "Feature", "set_loop_options"]


def do_not_convert(func=None):
    """Decorator: ``func`` runs as written under ``tf.function`` (no AutoGraph conversion)."""
    if func is None:
        return do_not_convert
    func.__tapeflow_do_not_convert__ = True

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    wrapper.__tapeflow_do_not_convert__ = True
    return wrapper


class Feature:
    """AutoGraph's optional features (accepted, not used)."""

    ALL = "ALL"
    AUTO_CONTROL_DEPS = "AUTO_CONTROL_DEPS"
    ASSERT_STATEMENTS = "ASSERT_STATEMENTS"
    BUILTIN_FUNCTIONS = "BUILTIN_FUNCTIONS"
    EQUALITY_OPERATORS = "EQUALITY_OPERATORS"
    LISTS = "LISTS"
    NAME_SCOPES = "NAME_SCOPES"


def set_loop_options(parallel_iterations=None, swap_memory=None, maximum_iterations=None,
                     shape_invariants=None):
    """Accepted inside converted loops (no effect on tapeflow's loops)."""
