"""``tf.custom_gradient``, ``tf.py_function``, ``tf.numpy_function`` and ``tf.init_scope``.

A custom gradient is one recorded op per output: the function runs with every tape
recording (so an outer tape can differentiate the gradient function, which is how nested
tapes give second derivatives), its outputs are copied by an identity no tape sees, and each
tape gets one node whose gradient rule calls ``grad_fn``. Under ``tf.function`` the forward
is traced as usual and the rule runs (and is traced) when a tape inside the function asks.

``py_function``/``numpy_function`` run Python on every call: a traced plan keeps them as a
host step (``function.EFFECT``) that runs the Python function and hands its results to
one small op per output.
"""
import functools
from threading import get_ident

from . import _recording, dtypes, nest
from .backend import host as np
from .backend import to_host
from .errors import InvalidArgumentError
from .ops import _core
from .ops._core import Op, apply
from .ops.array import zeros_like
from .ops.math import IDENTITY
from .tape import GradientTape
from .tensor import TensorBase, const, convert_to_tensor

__all__ = ["custom_gradient", "py_function", "numpy_function", "init_scope"]


def _tapes_here():
    tid = get_ident()
    return [r for r in tuple(_recording.recording) if not r._is_trace and r._thread == tid]


def _takes_variables(fn):
    import inspect  # deferred: a heavy module, needed only when variables are used
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a builtin: assume it does
        return True
    return any(p.name == "variables" or p.kind == p.VAR_KEYWORD for p in params)


def custom_gradient(f=None):
    """Decorator giving ``f`` its own gradient: ``f(*x)`` returns ``(y, grad_fn)`` and
    ``grad_fn(*upstream)`` returns the gradient for each ``x`` (with a ``variables=`` keyword
    when ``f`` reads trainable variables: then ``(input_grads, variable_grads)``).

    Example::

        @tf.custom_gradient
        def clip_grad(x):
            def grad(upstream):
                return tf.clip_by_value(upstream, -0.1, 0.1)
            return tf.identity(x), grad
    """
    if f is None:
        return custom_gradient

    @functools.wraps(f)
    def decorated(*args, **kwargs):
        return _call_custom(f, args, kwargs)

    return decorated


def _call_custom(f, args, kwargs):
    watcher = GradientTape(watch_accessed_variables=True)
    with watcher:  # which trainable variables f reads (TF's VariableWatcher)
        result, grad_fn = f(*args, **kwargs)
    variables = [v for v in watcher.watched_variables()
                 if not any(v is a for a in nest.flatten((args, kwargs)))]
    if variables and not _takes_variables(grad_fn):
        raise TypeError("@tf.custom_gradient grad_fn must accept keyword argument "
                        f"'variables', since function uses variables: {variables}")
    inputs = [x if isinstance(x, TensorBase) else convert_to_tensor(x)
              for x in nest.flatten(args)]
    flat_out = nest.flatten(result)
    tapes = _tapes_here()
    for t in tapes:  # the copies below are the outputs' only producers the tapes see
        _recording.pop(t)
    try:
        outs = [apply(IDENTITY, (y,), {}) if isinstance(y, TensorBase) else y
                for y in flat_out]
    finally:
        _recording.push(*tapes)
    n_in = len(inputs)
    tensors = [o for o in outs if isinstance(o, TensorBase)]
    for k, out in enumerate(tensors):
        op = Op("CustomGradient", None, _rule(grad_fn, tensors, k, n_in, variables), None,
                same_dtype=False)
        snaps = {}
        for tape in tapes:
            _core._record_one(tape, op, inputs + variables, out, {}, snaps)
    return nest.pack_sequence_as(result, outs)


def _rule(grad_fn, outs, k, n_in, variables):
    def grad(node, dy):
        upstream = [dy if i == k else zeros_like(o) for i, o in enumerate(outs)]
        if variables:
            got = grad_fn(*upstream, variables=variables)
            in_grads, var_grads = got
            var_grads = list(var_grads)
        else:
            in_grads, var_grads = grad_fn(*upstream), []
        in_grads = list(in_grads) if isinstance(in_grads, (list, tuple)) else [in_grads]
        if len(in_grads) != n_in:
            raise ValueError(f"custom_gradient function expected to return {n_in} gradients, "
                             f"but returned {len(in_grads)} instead.")
        if len(var_grads) != len(variables):
            raise ValueError(f"custom_gradient function expected to return "
                             f"{len(variables)} variable gradients, but returned "
                             f"{len(var_grads)} instead.")
        return tuple(None if g is None else
                     (g if isinstance(g, TensorBase) else convert_to_tensor(g))
                     for g in in_grads + var_grads)

    return grad


# -- Python functions in the graph ----------------------------------------------------------
def _py_out_fwd(token, *arrays, k, cell, **_):
    return cell[k]


def _py_out_grad(node, dy):
    func, k, eager = node.attrs["func"], node.attrs["k"], node.attrs["eager"]
    if not eager:
        return (None,) * len(node.inputs)  # numpy_function: no gradient, as in TF
    xs = list(node.inputs[1:])
    with GradientTape() as tape:
        tape.watch(xs)
        outs = func(*xs)
    outs = nest.flatten(outs)
    grads = tape.gradient(outs[k], xs, output_gradients=dy)
    return (None, *grads)


PY_OUT = Op("PyFuncOutput", _py_out_fwd, _py_out_grad, None, same_dtype=False)


def _script(func, inp, Tout, eager, name):
    single = not isinstance(Tout, (list, tuple))
    touts = [Tout] if single else list(Tout)
    touts = [None if t is None else dtypes.as_dtype(t) for t in touts]
    inputs = [x if isinstance(x, TensorBase) else convert_to_tensor(x)
              for x in (inp or [])]
    cell = []
    op_name = "EagerPyFunc" if eager else "PyFunc"

    def run(*arrays):
        saved = _recording.pop_here()
        try:
            if eager:
                outs = func(*[const(a) for a in arrays])
            else:
                outs = func(*[np.asarray(to_host(a)) for a in arrays])
        finally:
            _recording.push(*saved)
        outs = [outs] if single or not isinstance(outs, (list, tuple)) else list(outs)
        if len(outs) != len(touts):
            raise InvalidArgumentError(None, op_name, f"{op_name}: func returned {len(outs)} "
                                       f"values, but Tout has {len(touts)} [Op:{op_name}]")
        vals = []
        for o, dt in zip(outs, touts):
            if eager and dt is not None:
                if isinstance(o, TensorBase) and o.dtype != dt:
                    raise InvalidArgumentError(
                        None, op_name, f"ValueError: Tensor conversion requested dtype "
                        f"{dt.name} for Tensor with dtype {o.dtype.name}: {o!r} "
                        f"[Op:{op_name}]")
                vals.append(convert_to_tensor(o, dt)._v)
            else:
                vals.append(convert_to_tensor(o)._v)
        cell[:] = vals
        return np.zeros((), np.bool_)

    run._tf_op_type = op_name
    token = apply(Op(op_name, run, None, None, same_dtype=False), inputs, {})
    outs = [apply(PY_OUT, (token, *inputs), {"k": k, "cell": cell, "func": func,
                                             "eager": eager})
            for k in range(len(touts))]
    return outs[0] if single else outs


def py_function(func=None, inp=None, Tout=None, name=None):
    """Run ``func`` on tensors eagerly, on every call, even inside ``tf.function``;
    gradients flow through the TensorFlow ops ``func`` runs. Returns one tensor per
    ``Tout`` dtype (one tensor when ``Tout`` is a single dtype).

    Example::

        y = tf.py_function(lambda a, b: a * b + 1.0, [x, tf.constant(2.0)], tf.float32)
    """
    if func is None:  # decorator form: @tf.py_function(Tout=...)
        return lambda f: functools.wraps(f)(lambda *a: py_function(f, list(a), Tout, name))
    return _script(func, inp, Tout, True, name)


def numpy_function(func=None, inp=None, Tout=None, stateful=True, name=None):
    """Run ``func`` on NumPy arrays on every call (no gradient); returns tensors."""
    if func is None:
        return lambda f: functools.wraps(f)(
            lambda *a: numpy_function(f, list(a), Tout, stateful, name))
    return _script(func, inp, Tout, False, name)


class init_scope:
    """Context manager lifting code out of a ``tf.function`` trace (and pausing this
    thread's tapes): what runs inside runs once, eagerly, and the trace captures its results
    as constants."""

    def __enter__(self):
        self._saved = _recording.pop_here()
        return None

    def __exit__(self, *exc):
        _recording.push(*self._saved)
        return False
