"""The op pattern: an ``Op`` is a forward function on backend arrays plus a gradient rule,
and calling it converts inputs, runs the forward, wraps the result and records it on
every active ``GradientTape`` that watches one of the inputs.

A gradient rule is ``grad(node, dy) -> one gradient (Tensor or None) per input``. It is
written with tapeflow ops, so an outer tape records it (higher-order gradients). The rule
may skip inputs where ``node.needs[i]`` is false; shapes are un-broadcast by the tape.
"""
from threading import get_ident

from .. import dtypes
from .._recording import recording, trace_here
from ..backend import placement, xp_of
from ..errors import InvalidArgumentError
from ..tensor import Tensor, TensorBase, const, convert_to_tensor, wrap

# The variable class (``tapeflow.variable.Variable``, registered at its definition by
# ``register_variable_type``: that module sits above this one). An op reads a variable input
# through a snapshot of its value (``snapshot``), which is what tapes and traces record.
VariableType = ()


def register_variable_type(cls):
    """Class decorator: ``cls`` (and its subclasses) are variables to tapes and traces."""
    global VariableType
    if VariableType not in ((), cls):
        raise TypeError(f"a variable type is registered already: {VariableType.__name__}")
    VariableType = cls
    return cls


class CompositeTensor:
    """Base of the tensors made of several tensors (``tf.RaggedTensor``, ``tf.SparseTensor``;
    their classes live in the public API layer, above the ops).

    An op meets one only on its slow path, where an input is not a ``Tensor``: converting it
    raises ``CompositeInput`` (through ``__tf_tensor__``), which the op's public function
    catches to hand the whole call to ``dispatch``. Plain tensors never pay for any of this.
    """

    __slots__ = ()

    def __tf_tensor__(self, dtype=None, name=None):
        raise CompositeInput(self)

    @classmethod
    def _dispatch(cls, func, args, kwargs):
        """``func(*args, **kwargs)`` (a public function or an ``Op``, whose ``kwargs`` are its
        attrs) with composite arguments, or ``NotImplemented``."""
        return NotImplemented


class CompositeInput(ValueError):
    """A composite tensor where a Tensor was needed (TF raises ValueError there too)."""

    def __init__(self, value):
        super().__init__()
        self.value = value

    def __str__(self):  # built only when shown: the op that catches it never pays for a repr
        return (f"Attempt to convert a value ({self.value!r}) with an unsupported type "
                f"({type(self.value)}) to a Tensor.")


def dispatch(func, args, kwargs=None):
    """Run ``func`` on arguments of which at least one is a composite tensor (the slow path of
    an op that caught ``CompositeInput``): the first composite's class decides."""
    kwargs = kwargs or {}
    for a in _flat_args(args):
        if isinstance(a, CompositeTensor):
            try:
                out = type(a)._dispatch(func, args, kwargs)
            except Exception as e:  # an error of the op itself, not of the failed conversion
                e.__suppress_context__ = True
                raise
            if out is not NotImplemented:
                return out
    # no rule: what converting the composite to a Tensor raises, as in TF
    raise CompositeInput(next(a for a in _flat_args(args) if isinstance(a, CompositeTensor)))


def _flat_args(args):
    for a in args:
        if isinstance(a, (list, tuple)):
            yield from a
        else:
            yield a


_KIND_NAMES = {"f": "floating", "i": "signed integer", "u": "unsigned integer", "b": "bool"}


class Op:
    """A named primitive: ``fwd(*arrays, **attrs)`` and ``grad(node, dy)``.

    ``random``: the forward draws fresh random values on the host on every call (so a replay
    of a traced plan must run it each time, never reuse one draw; see ``function.Plan``).
    """

    __slots__ = ("name", "fwd", "grad", "kinds", "same_dtype", "random", "value_shaped")

    def __init__(self, name, fwd, grad=None, kinds=None, same_dtype=True, random=False,
                 value_shaped=False):
        self.name = name
        self.fwd = fwd
        self.grad = grad
        self.kinds = kinds  # allowed dtype kinds of the inputs ('f', 'iu', 'b'...), None = all
        self.same_dtype = same_dtype
        self.random = random
        # the output's shape depends on the input values, not only on their shapes (tf.where
        # of a condition, tf.unique): a traced plan cannot replay it (see function._Trace.op)
        self.value_shaped = value_shaped

    def __call__(self, *inputs, **attrs):
        return apply(self, inputs, attrs)

    def __repr__(self):
        return f"<Op {self.name}>"


def defop(name, grad=None, kinds=None, same_dtype=True, random=False):
    """Decorator turning a forward function into an ``Op``."""

    def make(fwd):
        return Op(name, fwd, grad, kinds, same_dtype, random)

    return make


class Node:
    """One recorded op execution: what the backward sweep needs and nothing more."""

    __slots__ = ("op", "inputs", "out", "attrs", "needs")

    def __init__(self, op, inputs, out, attrs, needs):
        self.op = op
        self.inputs = inputs
        self.out = out
        self.attrs = attrs
        self.needs = needs


def convert_inputs(op, inputs):
    """Tensors for ``inputs``; with ``same_dtype``, Python values adopt the tensors' dtype."""
    dtype = None
    if op.same_dtype:
        for x in inputs:
            if isinstance(x, TensorBase):
                dtype = x._v.dtype
                break
    out = []
    for i, x in enumerate(inputs):
        if isinstance(x, TensorBase):
            if dtype is not None and x._v.dtype != dtype:
                raise dtype_mismatch(op.name, out + list(inputs[i:]), i)
            out.append(x)
        elif dtype is not None:
            out.append(convert_to_tensor(x, dtypes.from_numpy(dtype)))
        else:
            t = convert_to_tensor(x)
            if op.same_dtype:
                dtype = t._v.dtype
            out.append(t)
    return out


def dtype_mismatch(opname, inputs, i):
    shapes = " vs. ".join(str(list(t._v.shape)) for t in inputs if isinstance(t, TensorBase))
    first = inputs[0] if isinstance(inputs[0], TensorBase) else convert_to_tensor(inputs[0])
    return InvalidArgumentError(
        None, opname,
        f"cannot compute {opname} as input #{i}(zero-based) was expected to be a "
        f"{first.dtype.name} tensor but is a {inputs[i].dtype.name} tensor "
        f"(shapes {shapes}) [Op:{opname}]",
    )


def check_kinds(op, arrays):
    kinds = op.kinds
    for a in arrays:
        if a.dtype.kind not in kinds:
            allowed = ", ".join(
                d.name for d in dtypes._ALL if d._np.kind in kinds and d.name != "bfloat16"
            )
            raise InvalidArgumentError(
                None, op.name,
                f"Value for attr 'T' of {dtypes.from_numpy(a.dtype).name} is not in the list of "
                f"allowed values: {allowed} [Op:{op.name}] (input shape {list(a.shape)})",
            )


def apply(op, inputs, attrs):
    """Run ``op`` on tensor-like ``inputs`` eagerly and record it if a tape watches."""
    if placement:  # a GPU (or the tests' stand-in device) exists: see ops/_device.py
        inputs = place_inputs(op, inputs)
    if len(inputs) == 1:  # the common unary case, without the general loops
        x = inputs[0]
        if not isinstance(x, TensorBase):
            try:
                x = convert_to_tensor(x)
            except CompositeInput:
                return dispatch(op, inputs, attrs)
            inputs = (x,)
        a = x._v
        kinds = op.kinds
        if kinds is not None and a.dtype.kind not in kinds:
            check_kinds(op, [a])
        try:
            out = const(op.fwd(a, **attrs))
        except InvalidArgumentError as e:
            if not recording:
                raise
            return _deferred(op, inputs, (a,), attrs, e)
        if recording:
            record(op, inputs, out, attrs)
        return out
    if len(inputs) == 2:  # the common binary case with two tensors
        x, y = inputs
        if isinstance(x, TensorBase) and isinstance(y, TensorBase):
            a, b = x._v, y._v
            if op.same_dtype and a.dtype != b.dtype:
                raise dtype_mismatch(op.name, inputs, 1)
            kinds = op.kinds
            if kinds is not None and (a.dtype.kind not in kinds or b.dtype.kind not in kinds):
                check_kinds(op, [a, b])
            try:
                out = const(op.fwd(a, b, **attrs))
            except InvalidArgumentError as e:
                if not recording:
                    raise
                return _deferred(op, inputs, (a, b), attrs, e)
            except ValueError as e:
                raise _broadcast_error(op, a, b, e) from None
            if recording:
                record(op, inputs, out, attrs)
            return out
    ins = inputs
    for x in inputs:
        if not isinstance(x, TensorBase):
            try:
                ins = convert_inputs(op, inputs)
            except CompositeInput:
                return dispatch(op, inputs, attrs)
            break
    else:
        if op.same_dtype and len(inputs) > 1:
            d = inputs[0]._v.dtype
            for i in range(1, len(inputs)):
                if inputs[i]._v.dtype != d:
                    raise dtype_mismatch(op.name, inputs, i)
    arrays = [x._v for x in ins]
    if op.kinds is not None:
        check_kinds(op, arrays)
    try:
        out = const(op.fwd(*arrays, **attrs))
    except InvalidArgumentError as e:
        if not recording:
            raise
        return _deferred(op, ins, arrays, attrs, e)
    except ValueError as e:
        if len(arrays) != 2:
            raise
        raise _broadcast_error(op, arrays[0], arrays[1], e) from None
    if recording:
        record(op, ins, out, attrs)
    return out


def _deferred(op, inputs, arrays, attrs, error):
    """An op that failed on this call's values inside a ``tf.function`` trace. TF never runs
    an op whose result nothing needs, so the trace records the op with a stand-in result of
    the right shape and dtype (the forward run on zeros, or ones) and raises ``error`` only if
    an output, a side effect or Python needs it (``function._Trace.defer``). An op that fails
    on zeros and ones alike fails on its shapes: TF refuses those when tracing, so it raises
    now."""
    trace = trace_here()
    if trace is None or trace.suspended or op.random or op.name in ("EagerPyFunc", "PyFunc"):
        raise error  # py_function: user Python, stateful as in TF (never pruned)
    out = None
    for fill in (0, 1):
        try:
            out = op.fwd(*[_filled(a, fill) for a in arrays], **attrs)
            break
        except Exception:  # the stand-in fails too: shapes or attributes, not values
            continue
    if out is None:
        raise error
    out = const(out)
    record(op, inputs, out, attrs)
    trace.defer(out, error)
    return out


def _filled(a, fill):
    if a.dtype.kind in "OSU":
        raise TypeError("no stand-in for strings")
    return xp_of(a).full_like(a, fill)


def _broadcast_error(op, a, b, e):
    """TF's error for a binary op on shapes that do not broadcast (NumPy's ValueError says
    "could not be broadcast"); any other ValueError is re-raised as it is."""
    if "broadcast" not in str(e):
        return e
    return InvalidArgumentError(
        None, op.name,
        f"Incompatible shapes: {list(a.shape)} vs. {list(b.shape)} [Op:{op.name}]")


def record(op, inputs, out, attrs):
    """Put one op execution on each recording tape that watches one of its inputs, and on
    every tf.function trace in progress (traces see every op, differentiable or not)."""
    differentiable = op.grad is not None and out._v.dtype.kind in "fc"
    recorders = tuple(recording)  # a copy: other threads may push or pop meanwhile
    if len(recorders) == 1:  # the common case: one GradientTape, no trace
        tape = recorders[0]
        if not tape._is_trace:
            if differentiable and tape._thread == get_ident():
                _record_one(tape, op, inputs, out, attrs)
            return
    snaps = {}  # one snapshot per variable input, shared by every tape (traces see it once)
    tid = get_ident()
    for tape in recorders:
        if tape._thread != tid:
            continue  # tapes and traces see only the ops of the thread that opened them
        if tape._is_trace:
            tape.op(op, inputs, out, attrs)
        elif differentiable:
            _record_one(tape, op, inputs, out, attrs, snaps)


def _record_one(tape, op, inputs, out, attrs, snaps=None):
    """Put the op on ``tape`` if it watches an input; ``snaps`` shares variable snapshots
    between tapes (None: a single tape and no trace, so nobody else to tell of the read)."""
    ids = tape._ids
    needs = []
    ins = inputs
    for k, t in enumerate(inputs):
        if isinstance(t, VariableType):
            if id(t) in ids or (tape._auto and t.trainable):
                if snaps is None:
                    s = const(t._v)
                else:
                    s = snaps.get(k)
                    if s is None:
                        s = snaps[k] = snapshot(t)
                tape._read(t, s)
                if ins is inputs:
                    ins = list(inputs)
                ins[k] = s
                needs.append(True)
            else:
                needs.append(False)
        else:
            needs.append(id(t) in ids)
    if True in needs:
        tape._nodes.append(Node(op, ins, out, attrs, needs))
        ids.add(id(out))


def snapshot(var):
    """A Tensor holding ``var``'s current value; traces treat it as a read of ``var``."""
    s = const(var._v)
    tid = get_ident()
    for r in tuple(recording):
        if r._is_trace and r._thread == tid:
            r.read_var(var, s)
    return s


def as_tensor(x):
    return x if isinstance(x, TensorBase) else convert_to_tensor(x)


__all__ = ["Op", "defop", "CompositeTensor", "CompositeInput", "dispatch", "Node", "apply",
           "record", "recording", "Tensor", "wrap", "as_tensor"]

from ._device import place_inputs  # noqa: E402 - it builds on the definitions above
