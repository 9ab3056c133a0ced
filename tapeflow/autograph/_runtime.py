"""What converted code calls (``ag__.*``, see ``_convert.py``): each statement decides at
run time between Python control flow and a traced ``tf.cond``/``tf.while_loop``."""
import builtins
import types

from .. import dtypes
from .._recording import trace_here
from ..backend import host as np
from ..function import _tapes_here, _traced_cond, _traced_pred, while_loop
from ..ops._core import Op, apply
from ..ops.array import range as _tf_range
from ..ops.indexing import gather
from ..ops.math import cast, greater, less, logical_and, logical_not, logical_or
from ..tensor import TensorBase, convert_to_tensor
from ..tensor_array import TensorArray
from ..variable import Variable

# the length of a tensor's first axis as a recorded op (a traced loop over a tensor reads it
# on every call; tf.shape would freeze it)
_LEN = Op("StridedSlice", lambda a: np.asarray(a.shape[0], np.int32), None, None)

_RETURN_IN_LOOP = ("a return statement cannot be placed inside this TensorFlow loop; this "
                   "may happen if a return statement depends on a static Python condition "
                   "such as a hyperparameter")


class _Undefined:
    """The value of a name not assigned yet when a converted statement starts."""

    __slots__ = ()

    def __repr__(self):
        return "<undefined>"


UNDEFINED = _Undefined()


def ld(getter):
    """The current value of a name, or UNDEFINED when it has none yet."""
    try:
        return getter()
    except NameError:
        return UNDEFINED


# -- logic on tensors and Python values ------------------------------------------------------
def not_(x):
    if isinstance(x, TensorBase):
        return logical_not(x)
    return not x


def and_(a, b):
    x = a()
    if isinstance(x, TensorBase):
        return logical_and(x, b())
    return x and b()


def or_(a, b):
    x = a()
    if isinstance(x, TensorBase):
        return logical_or(x, b())
    return x or b()


def not_any(*flags):
    out = flags[0]
    for f in flags[1:]:
        out = or_(lambda o=out: o, lambda f=f: f)
    return not_(out)


def _traced(x):
    trace = trace_here()
    if not isinstance(x, TensorBase):
        return trace, None
    return trace, _traced_pred(trace, x)


# -- if ------------------------------------------------------------------------------------------
def if_stmt(test, true_fn, false_fn, state, names):
    trace, pred = _traced(test)
    if pred is None:
        return true_fn(*state) if test else false_fn(*state)

    def check(r_t, r_f):
        for n, a, b in zip(names, r_t, r_f):
            if (a is UNDEFINED) != (b is UNDEFINED):
                branch = "else" if b is UNDEFINED else "main"
                raise ValueError(f"'{n}' must also be initialized in the {branch} branch")

    return _traced_cond(trace, pred, lambda: true_fn(*state), lambda: false_fn(*state), check)


def if_return(test, true_fn, false_fn, state, names):
    trace, pred = _traced(test)
    if pred is None:
        return true_fn(*state) if test else false_fn(*state)

    def check(r_t, r_f):
        if (r_t is None) != (r_f is None):
            branch = "else" if r_f is None else "main"
            raise ValueError(f"the {branch} branch must also have a return statement.")

    return _traced_cond(trace, pred, lambda: true_fn(*state), lambda: false_fn(*state), check)


# -- loops -----------------------------------------------------------------------------------------
def _split(state):
    keep = [k for k, v in enumerate(state) if v is not UNDEFINED]
    return keep


def _merge(state, keep, values):
    full = list(state)
    for k, v in zip(keep, values):
        like = state[k]
        full[k] = like._with_handle(v) if isinstance(like, TensorArray) else v
    return full


def _carried(v):
    """A loop var as the tensor a traced loop carries (a TensorArray: its handle)."""
    return v._handle_tensor() if isinstance(v, TensorArray) else v


def while_stmt(test_fn, body_fn, state, names):
    state = list(state)
    test = test_fn(*state)
    trace, pred = _traced(test)
    if pred is None:
        while test:
            state = list(body_fn(*state))
            test = test_fn(*state)
            if _traced(test)[1] is not None:  # became a traced condition: trace the rest
                return tuple(_traced_loop(test_fn, body_fn, state))
        return tuple(state)
    return tuple(_traced_loop(test_fn, body_fn, state))


def _traced_loop(test_fn, body_fn, state):
    keep = _split(state)

    def cond(*vs):
        return test_fn(*_merge(state, keep, vs))

    def body(*vs):
        out = body_fn(*_merge(state, keep, vs))
        return tuple(_carried(out[k]) for k in keep)

    values = while_loop(cond, body, tuple(_carried(state[k]) for k in keep))
    return _merge(state, keep, values)


class _Range:
    """``range``/``tf.range`` over traced tensors, not materialised: a traced loop counts."""

    def __init__(self, args):
        start, limit, delta = (args + (1,))[:3] if len(args) > 1 else (0, args[0], 1)
        vals = [v if isinstance(v, TensorBase) else convert_to_tensor(v)
                for v in (start, limit, delta)]
        kinds = [v.dtype for v in vals]
        dt = dtypes.float32 if any(k.is_floating for k in kinds) else max(
            kinds, key=lambda k: k.size)
        self.start, self.limit, self.delta = (cast(v, dt) for v in vals)


def range_(fn, *args, **kwargs):
    """``fn(*args)``, unless it is ``range``/``tf.range`` of traced tensors inside a trace:
    then a ``_Range`` a converted ``for`` loop traces."""
    trace = trace_here()
    if (trace is not None and not kwargs and (fn is builtins.range or fn is _tf_range)
            and 1 <= len(args) <= 3 and not trace.suspended and not _tapes_here()
            and any(isinstance(a, TensorBase) for a in args)):
        return _Range(args)
    return fn(*args, **kwargs)


def for_stmt(iterable, body_fn, state, names, extra_test):
    state = list(state)
    if isinstance(iterable, _Range):
        return tuple(_traced_range(iterable, body_fn, state, extra_test))
    trace = trace_here()
    if (isinstance(iterable, TensorBase) and trace is not None and not trace.suspended
            and not _tapes_here() and iterable._v.ndim > 0):
        return tuple(_traced_for(iterable, body_fn, state, extra_test))
    for x in iterable:
        if extra_test is not None and not extra_test(*state):
            break
        state = list(body_fn(x, *state))
    return tuple(state)


def _traced_range(r, body_fn, state, extra_test):
    keep = _split(state)

    def cond(i, *vs):
        up = logical_and(greater(r.delta, 0), less(i, r.limit))
        down = logical_and(less(r.delta, 0), greater(i, r.limit))
        more = logical_or(up, down)
        if extra_test is None:
            return more
        return logical_and(more, convert_to_tensor(extra_test(*_merge(state, keep, vs))))

    def body(i, *vs):
        out = body_fn(i, *_merge(state, keep, vs))
        return (i + r.delta, *(_carried(out[k]) for k in keep))

    values = while_loop(cond, body, (r.start, *(_carried(state[k]) for k in keep)))
    return _merge(state, keep, values[1:])


def _traced_for(iterable, body_fn, state, extra_test):
    keep = _split(state)
    n = apply(_LEN, (iterable,), {})

    def cond(i, *vs):
        more = less(i, n)
        if extra_test is None:
            return more
        return logical_and(more, convert_to_tensor(extra_test(*_merge(state, keep, vs))))

    def body(i, *vs):
        out = body_fn(gather(iterable, i), *_merge(state, keep, vs))
        return (i + 1, *(_carried(out[k]) for k in keep))

    start = convert_to_tensor(0, dtypes.int32)
    values = while_loop(cond, body, (start, *(_carried(state[k]) for k in keep)))
    return _merge(state, keep, values[1:])


def call(f, *args, **kwargs):
    """``f(*args, **kwargs)``, with a user function (not tapeflow's, not a lambda) converted
    first while a trace runs."""
    if trace_here() is not None:
        inner = getattr(f, "__func__", f)
        if (isinstance(inner, types.FunctionType) and inner.__name__ != "<lambda>"
                and not (inner.__module__ or "").startswith(("tapeflow", "numpy"))):
            from ._convert import convert  # cycle: the converter builds code calling this
            f = convert(f)
    return f(*args, **kwargs)


def getitem(x, key):
    """``x[key]``; a traced integer scalar ``key`` of a tensor ``x`` gathers its row."""
    if isinstance(key, TensorBase) and isinstance(x, TensorBase) and key._v.ndim == 0 \
            and key._v.dtype.kind in "iu" and not isinstance(x, Variable):  # v[i].assign
        trace = trace_here()
        if trace is not None and trace.depends(key):
            return gather(x, key)
    return x[key]


def check_loop_iter(iterable):
    """A loop with ``return`` in its body runs as Python: not over a traced tensor."""
    trace = trace_here()
    if isinstance(iterable, TensorBase) and trace is not None and trace.depends(iterable):
        raise NotImplementedError(_RETURN_IN_LOOP)
    return iterable


def check_loop_test(test):
    if _traced(test)[1] is not None:
        raise NotImplementedError(_RETURN_IN_LOOP)
    return test
