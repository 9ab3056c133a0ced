"""``tf.function``: run a Python function once per input signature while recording every op
it executes (a GradientTape inside included), then replay that record as a generated flat
Python function of backend calls: no Tensor wrappers, no dispatch, no tape bookkeeping.

What cannot be replayed safely makes that signature run eagerly instead, with a one-time
warning saying why: converting a traced tensor to a Python value (``if x > 0:``), values
computed outside tapeflow's op library, variables updated outside ``assign*``. Results are
never silently different from eager execution.

Each traced signature's ``Plan`` also describes its steps (the plan contract below), which is
all that other ways of replaying it read: ``_graph_replay.py`` runs plans as CUDA graphs.
"""
import contextlib
import copy
import functools
import io
import logging
import sys
import threading
import weakref
from typing import NamedTuple

from . import _graph_replay, _recording, errors, nest
from .backend import host as np
from .backend import to_host
from .dtypes import from_numpy
from .errors import InvalidArgumentError
from .framework import config
from .tensor import Tensor, TensorBase, TensorShape, const, convert_to_tensor, summary_text
from .types import experimental as _types
from .variable import Variable

_log = logging.getLogger("tapeflow")
_DEPTH_WARN = 5  # retraces of one function before the warning TF also gives


# -- the plan contract --------------------------------------------------------------------------
# A plan runs as generated Python. Code that replays it another way (``_graph_replay.py``)
# reads only ``Plan.run``, ``Plan.variables`` and the kinds of ``Plan.steps``, never the
# generated source or the names in it.
OP = "op"  # a recorded op's forward on arrays: repeatable work where the arrays live
RANDOM = "random"  # an op drawing fresh random values on the host each call (``Op.random``)
EFFECT = "effect"  # a recorded Python side effect (``run_effect``: tf.print, Keras optimizer
#                    and metric updates), run as Python on every call
READ = "read"  # reads a variable's current array
ASSIGN = "assign"  # rebinds a variable to a new array (assign, assign_add, assign_sub)
CONTROL = "control"  # a traced conditional or loop (``ControlFlow``): Python on the host
#                      choosing between or repeating sub-plans (each a ``Plan``)
STEP_KINDS = (OP, RANDOM, EFFECT, READ, ASSIGN, CONTROL)
_ALWAYS_KEPT = (EFFECT, ASSIGN)  # steps that stay in the plan when nothing reads their result
_HOST_OPS = ("EagerPyFunc", "PyFunc")  # ops whose forward is user Python (custom_gradient.py)


def _foldable(a):
    """Whether an op's array may be folded into a plan's constants (see ``_Trace.op``)."""
    return getattr(getattr(a, "dtype", None), "kind", "O") in "biufc"


class PlanStep(NamedTuple):
    """One statement of a plan: its ``kind`` (one of ``STEP_KINDS``) and its ``target``, the
    ``Op`` it runs (op, random), the Python function it calls (effect) or the ``Variable`` it
    reads or assigns (read, assign)."""

    kind: str
    target: object
    detail: object = None  # an assign's kind: "assign", "add" or "sub"

    @property
    def host_side_effect(self):
        """Whether the step is Python that must run on the host on every call (a control
        step reads its predicate on the host)."""
        return self.kind in (EFFECT, CONTROL)

    @property
    def draws_random(self):
        """Whether the step draws new random values on every call (one draw must not be
        replayed twice)."""
        if self.kind == CONTROL:
            return any(s.draws_random for p in self.target.plans for s in p.steps)
        return self.kind == RANDOM


class ControlFlow(NamedTuple):
    """What a ``CONTROL`` step runs: ``kind`` "cond" (``plans``: the true and the false
    branch) or "while" (``plans``: the loop's condition and body)."""

    kind: str
    plans: tuple


class Plan:
    """One traced signature, ready to replay.

    * ``run(*input_arrays)``: the generated function; returns the tuple of output arrays,
      reading variables' arrays and rebinding assigned variables as it goes;
    * ``steps``: its statements in order, as ``PlanStep``s (dead code left out);
    * ``variables``: the variables those steps read or assign, in order of first use (a
      Python effect may touch others);
    * ``source``: the generated code, for people to read.
    """

    __slots__ = ("run", "steps", "variables", "source", "namespace", "failed")

    def __init__(self, run, steps, source, namespace=None):
        self.run = run
        self.steps = tuple(steps)
        found = {}
        for s in self.steps:
            if s.kind in (READ, ASSIGN):
                found.setdefault(id(s.target), s.target)
            elif s.kind == CONTROL:
                for p in s.target.plans:
                    for v in p.variables:
                        found.setdefault(id(v), v)
        self.variables = tuple(found.values())
        self.source = source
        self.namespace = namespace or {}  # the generated code's globals
        self.failed = None  # per output, the error of the failed trace-time op it needs

    def kinds(self):
        """The set of step kinds in the plan."""
        return {s.kind for s in self.steps}

    def __repr__(self):
        return f"<Plan of {len(self.steps)} steps: {sorted(self.kinds())}>"


class InaccessibleTensorError(ValueError):
    """A tensor made inside a traced branch or loop body used outside it (TF's
    ``tf.errors.InaccessibleTensorError``)."""


_TF_HINT = (" You can attempt the following resolutions to the problem: If you are running "
            "in Graph mode, use Eager execution mode or decorate this function with "
            "@tf.function. If you are using AutoGraph, you can try decorating this function "
            "with @tf.function. If that does not work, then you may be using an unsupported "
            "feature or your source code may not be visible to AutoGraph. See https://github."
            "com/tensorflow/tensorflow/blob/master/tensorflow/python/autograph/g3doc/reference/"
            "limitations.md#access-to-source-code for more information.")
# What Python on a traced tensor raises in a tf.function with autograph=False (TF's graph
# tensors refuse it; with AutoGraph tapeflow converts or runs the signature eagerly instead)
_NO_AUTOGRAPH = {
    "bool()": lambda: errors.OperatorNotAllowedInGraphError(
        "Using a symbolic `tf.Tensor` as a Python `bool` is not allowed." + _TF_HINT),
    "iteration": lambda: errors.OperatorNotAllowedInGraphError(
        "Iterating over a symbolic `tf.Tensor` is not allowed." + _TF_HINT),
    "int()": lambda: TypeError("int() argument must be a string, a bytes-like object or a "
                               "real number, not 'SymbolicTensor'"),
    "float()": lambda: TypeError("float() argument must be a string or a real number, not "
                                 "'SymbolicTensor'"),
}


class _Trace:
    """Records one run of a Python function as a list of backend calls."""

    _is_trace = True

    def __init__(self, first):
        self._thread = threading.get_ident()
        self.first = first
        self.lines = []  # generated source lines of the plan body
        self.uses = []  # per line: (names read, name written or None, its PlanStep)
        self.names = {}  # id(tensor) -> local name in the plan
        self.computed = set()  # names produced by recorded ops or inputs (value-dependent)
        self.orphans = set()
        self.keep = []  # every tensor whose id is used as a key above (ids stay unique)
        self.ns = {}  # the plan's globals: op functions, attrs, constants, variables
        self.var_names = {}
        self.unsafe = None
        self.created = []
        self.n = 0
        self.suspended = 0  # >0 while a recorded side effect runs for real (see run_effect)
        self.dry = False  # get_concrete_function's trace: effects recorded, not run
        self.made = []  # the tensors this trace computed (unusable once it ends)
        self.parent = None  # the trace a branch's or loop body's trace is nested in
        self.capture_names = []  # a nested trace's extra inputs: tensors of its parents
        self.capture_parent = []  # ... and their names in the parent
        self.scoped_out = set()  # ids of tensors made inside a nested trace (out of scope)
        self.fn = None  # the traced Python function and its ConcreteFunction (dry runs
        self.concrete = None  # restore the variables reachable from them)
        self.failed = None  # name -> the error of the op it comes from (see ``defer``)
        self.rng_sandbox = False  # random draws use a throwaway generator (a check trace)
        self.prints = None  # a real root trace's tf.print output, shown when it succeeds
        self.undo = None  # variables a dry or first trace assigned: id -> (var, value before)
        self.autograph = True  # False: Python on traced tensors raises TF's errors (no AutoGraph)

    # -- bookkeeping -----------------------------------------------------------------------
    def fail(self, reason):
        if self.unsafe is None:
            self.unsafe = reason

    def _new(self, prefix="s"):
        self.n += 1
        return f"{prefix}{self.n}"

    def _var(self, v):
        name = self.var_names.get(id(v))
        if name is None:
            name = self.var_names[id(v)] = self._new("v")
            self.ns[name] = v
        return name

    def _emit(self, line, step, reads, writes=None):
        self.lines.append(line)
        self.uses.append((reads, writes, step))

    def name_of(self, t, user=None):
        """The plan's name for tensor ``t``, capturing it as a constant if it is not traced."""
        if isinstance(t, Variable):
            name = self._new()
            self._emit(f"{name} = {self._var(t)}._v", PlanStep(READ, t), (), name)
            self.computed.add(name)
            return name
        i = id(t)
        name = self.names.get(i)
        if name is not None:
            return name
        if i in self.scoped_out and self.unsafe is None:
            raise InaccessibleTensorError(
                f"{_LeakedTensor.__repr__(t)} is out of scope and cannot be used here. Use "
                "return values, explicit Python locals or TensorFlow collections to access it."
                "\nPlease see https://www.tensorflow.org/guide/function#all_outputs_of_a_"
                "tffunction_must_be_return_values for more information.")
        if self.parent is not None and i not in self.orphans:
            pname = self.parent.name_of(t, user)
            name = self._new("k")
            self.names[i] = name
            self.keep.append(t)
            self.capture_names.append(name)
            self.capture_parent.append(pname)
            if pname in self.parent.computed:
                self.computed.add(name)
            if self.parent.failed and pname in self.parent.failed:
                self._failed()[name] = self.parent.failed[pname]
            return name
        if i in self.orphans:
            self.fail(f"{user or 'the function'} used a tensor computed outside tapeflow's op "
                      "library (e.g. NumPy math on .numpy() values or an op without tracing "
                      "support)")
        name = self._new("c")
        self.ns[name] = t._v
        self.names[i] = name
        self.keep.append(t)
        return name

    def bind(self, t, name, computed=True):
        self.names[id(t)] = name
        if computed:
            self.computed.add(name)
        self.keep.append(t)
        self.made.append(t)

    # -- hooks called by the core -------------------------------------------------------------
    def op(self, op, inputs, out, attrs):
        if self.suspended:
            return
        if op.value_shaped:
            # a plan is specialised to the shapes seen at trace time: everything after this
            # op (tf.shape, gradients, reshapes) would keep this call's shape for every call
            self.fail(f"op {op.name} gives an output whose shape depends on the input values")
        args = [self.name_of(t, op.name) for t in inputs]
        if (not op.random and op.name not in _HOST_OPS and not self.dry
                and not any(a in self.computed for a in args)
                and not (self.failed and any(a in self.failed for a in args))
                and _foldable(out._v) and all(_foldable(t._v) for t in inputs)):
            # NOTE: an op of constants only (a gradient's seed, tf.shape(x)[0]) gives the same
            # value on every call of this plan: its trace-time result becomes a constant, and
            # the plan has one call fewer (a linear regression step's two of fifteen). Numbers
            # only: an object array may be a TensorArray's handle, which later ops fill in place
            name = self._new("c")
            self.ns[name] = out._v
            self.bind(out, name, False)
            return
        fname = self._new("f")
        self.ns[fname] = op.fwd
        call = ", ".join(args)
        if attrs:
            aname = self._new("a")
            self.ns[aname] = attrs
            call += f"{', ' if args else ''}**{aname}"
        name = self._new()
        if op.name in _HOST_OPS:  # py_function: Python run on every call (kept, on the host)
            step = PlanStep(EFFECT, op.fwd)
        else:
            step = PlanStep(RANDOM if op.random else OP, op)
        self._emit(f"{name} = {fname}({call})", step, tuple(args), name)
        if self.failed:  # computed from a failed op's stand-in: fails with it
            for a in args:
                if a in self.failed:
                    self.failed[name] = self.failed[a]
                    break
        # NOTE: an op of constants only (tf.shape(x)[0]) gives the same value on every call
        # of this plan: Python may read it
        computed = op.random or step.kind == EFFECT or any(a in self.computed for a in args)
        self.bind(out, name, computed)

    def read_var(self, var, snapshot):
        if self.suspended:
            return
        name = self._new()
        self._emit(f"{name} = {self._var(var)}._v", PlanStep(READ, var), (), name)
        self.bind(snapshot, name)

    # NOTE: the hooks below are reached through ``_recording.trace_here()`` (this thread's
    # trace); while a recorded side effect runs for real (``suspended``) they ignore it.
    def assign(self, var, kind, value):
        if self.dry or self.first:  # kept to put back (see put_back)
            self._keep_for_undo(var)
        if self.suspended:
            return
        src = self.name_of(value, "assign")
        if self.failed and src in self.failed and not self.dry:
            raise self.failed[src]
        v = self._var(var)
        if kind == "assign":
            line = f"{v}._v = {src}"
        else:
            line = f"{v}._v = {v}._v {'+' if kind == 'add' else '-'} {src}"
        self._emit(line, PlanStep(ASSIGN, var, kind), (src,))

    def assign_raw(self, var):
        if self.dry or self.first:  # an optimizer's update inside run_effect too
            self._keep_for_undo(var)
        if self.suspended:
            return
        self.fail(f"variable {var.name} was updated outside assign/assign_add/assign_sub")

    def _keep_for_undo(self, var):
        if self.undo is None:
            self.undo = {}
        self.undo.setdefault(id(var), (var, var._v))

    def put_back(self):
        """Undo the variable updates of a dry trace, or of a first trace (``first``) whose
        check for variables created on every call failed."""
        if self.undo:
            for v, value in self.undo.values():
                v._v = value

    def hold_print(self, emit, values):
        """Keep a tf.print of this real trace for ``show_prints``; False when the trace does
        not hold prints (they then print now)."""
        root = self
        while root.parent is not None:
            root = root.parent
        if root.prints is None:
            return False
        root.prints.append((emit, values))
        return True

    def show_prints(self):
        """Print what ``hold_print`` kept, in order (TF runs a traced function's prints after
        tracing it, and not at all when tracing fails)."""
        root = self
        while root.parent is not None:
            root = root.parent
        held, root.prints = root.prints, ([] if root.prints is not None else None)
        for emit, values in held or ():
            emit(*values)

    def orphan(self, t):
        if self.suspended:
            return
        self.orphans.add(id(t))
        self.keep.append(t)

    def read_value(self, t, what):
        if self.suspended:
            return
        if self.failed is not None:
            error = self.failure(t)
            if error is not None:  # Python needs the value of an op that failed
                raise error
        if not self.autograph and what in _NO_AUTOGRAPH and (isinstance(t, Variable)
                                                             or self.depends(t)):
            raise _NO_AUTOGRAPH[what]()
        if what == "iteration":  # NOTE: unrolled over the traced length (the plan keeps it)
            return
        if isinstance(t, Variable):
            self.fail(f"the function reads variable {t.name}'s value with {what} (Python "
                      "control flow or NumPy on a traced value)")
            return
        if self.depends(t):
            self.fail(f"the function converts a traced tensor to a Python value with {what} "
                      "(e.g. `if x > 0:` or .numpy()); use tf.cond/tf.where or run eagerly")

    def depends(self, t):
        """Whether tensor ``t`` was computed in this trace or one it is nested in (its value
        depends on the inputs)."""
        i = id(t)
        tr = self
        while tr is not None:
            if tr.names.get(i) in tr.computed or i in tr.orphans:
                return True
            tr = tr.parent
        return False

    def created_variable(self, v):
        if self.suspended:
            return
        if not self.first:
            raise ValueError("tf.function only supports singleton tf.Variables created on the "
                             "first call. Make sure the tf.Variable is only created once or "
                             "created outside tf.function. See https://www.tensorflow.org/"
                             "guide/function#creating_tfvariables for more information.")
        self.created.append(v)

    def effect(self, fn, args):
        """A side effect that runs on every call of the plan: ``fn(*args)`` with tensors in
        ``args`` replaced by their values at that point of the plan (tf.print)."""
        names = []
        for a in args:
            if isinstance(a, TensorBase):
                names.append(self.name_of(a, "a side effect"))
            else:
                k = self._new("k")
                self.ns[k] = a
                names.append(k)
        fname = self._new("p")
        self.ns[fname] = fn
        reads = tuple(n for n, a in zip(names, args) if isinstance(a, TensorBase))
        if self.failed and not self.dry:
            for n in reads:
                if n in self.failed:  # printing or applying a value that failed
                    raise self.failed[n]
        self._emit(f"{fname}({', '.join(names)})", PlanStep(EFFECT, fn), reads)

    def defer(self, out, error):
        """Op output ``out`` (a stand-in of the right shape and dtype) comes from an op that
        raised ``error`` on this call's values; TF prunes an op whose result nothing needs,
        so the error is raised only when something does: an output, an assign, tf.print,
        Python (``bool()``, ``.numpy()``) or a gradient that reads it."""
        self._failed().setdefault(self.names[id(out)], error)

    def _failed(self):
        if self.failed is None:
            self.failed = {}
        return self.failed

    def failure(self, t):
        """The error of the failed op tensor ``t`` comes from, or None."""
        i = id(t)
        tr = self
        while tr is not None:
            if tr.failed:
                name = tr.names.get(i)
                if name in tr.failed:
                    return tr.failed[name]
            tr = tr.parent
        return None

    def _needed(self, output_names):
        """Per recorded line, whether effects, assignments or ``output_names`` need it."""
        live = set(output_names)
        keep = [False] * len(self.lines)
        for k in range(len(self.lines) - 1, -1, -1):
            reads, writes, step = self.uses[k]
            if writes is not None and not isinstance(writes, str):  # a control step's outputs
                hit = any(w in live for w in writes) or _has_effects(step)
            else:
                hit = writes is not None and writes in live
            if step.kind in _ALWAYS_KEPT or hit:
                keep[k] = True
                live.update(reads)
        return keep

    def _raise_needed_failure(self, output_names):
        """Raise the error of the first failed op something needs (a nested trace's own
        outputs excepted: its parent decides whether they are needed)."""
        roots = () if self.parent is not None else output_names
        for n in roots:
            if n in self.failed:
                raise self.failed[n]
        keep = self._needed(roots)
        for k, (reads, writes, _) in enumerate(self.uses):
            if keep[k]:
                for n in (writes, *reads):
                    if n in self.failed:
                        raise self.failed[n]

    # -- code generation ---------------------------------------------------------------------
    def build(self, input_names, output_names):
        """The ``Plan``: the recorded lines that effects, assignments or outputs need. An op
        that failed at trace time and is needed raises its error here (see ``defer``)."""
        if self.failed and not self.dry:
            self._raise_needed_failure(output_names)
        keep = self._needed(output_names)
        body = [line for line, k in zip(self.lines, keep) if k]
        steps = [use[2] for use, k in zip(self.uses, keep) if k]
        ret = ", ".join(output_names)
        src = (f"def plan({', '.join(input_names)}):\n"
               + "".join(f"    {line}\n" for line in body)
               + f"    return ({ret}{',' if len(output_names) == 1 else ''})\n")
        ns = dict(self.ns)
        exec(compile(src, "<tf.function plan>", "exec"), ns)  # our own codegen
        plan = Plan(ns["plan"], steps, src, self.ns)
        if self.failed:
            plan.failed = [self.failed.get(n) for n in output_names]
        return plan

    # -- traced control flow ------------------------------------------------------------------
    def subtrace(self, fn, args, dry):
        """Trace ``fn(*args)`` as a nested plan: ``(result, plan, parent names of its
        captures, flat result)``; None (this trace failed) when it cannot be captured.
        ``args`` are tensors given as the plan's inputs, in order. A ``dry`` run records
        but undoes what it changes (variables reachable from the function, tf.print)."""
        child = _Trace(self.first)
        child.autograph = self.autograph
        child.parent, child.fn, child.concrete = self, self.fn, self.concrete
        child.dry = dry or self.dry
        child.rng_sandbox = self.rng_sandbox
        in_names, inputs = [], []
        for k, x in enumerate(args):
            v = x._v
            if v.dtype == object:  # a TensorArray handle: a dry run must not fill it
                v = _copy_handle(v)
            t = const(v)
            name = f"i{k}"
            child.bind(t, name)
            in_names.append(name)
            inputs.append(t)
        saved = _reachable_variables(self.fn, self.concrete, fn) if dry else None
        _recording.pop(self)
        _recording.push(child)
        error = None
        try:
            result = fn(*inputs)
        except Exception as e:
            if not dry:
                raise
            error = e
        finally:
            _recording.pop(child)
            _recording.push(self)
            if saved is not None:
                child.put_back()
                for v, value in saved:
                    v._v = value
            if child.undo:  # the first value of each: what a failed first call or an
                for k, entry in child.undo.items():  # outer dry trace puts back
                    if self.undo is None:
                        self.undo = {}
                    self.undo.setdefault(k, entry)
        self.created += child.created
        self.made += child.made
        self.scoped_out.update(id(t) for t in child.made)
        self.scoped_out.update(child.scoped_out)
        lost = None if saved is None else _unrestored(child, saved)
        if lost is not None:
            self.fail(f"a branch or loop body not taken at trace time assigns variable "
                      f"{lost.name}, which tapeflow cannot put back after tracing it")
        if error is not None:
            self.fail(f"a branch or loop body not taken at trace time failed on the traced "
                      f"values ({type(error).__name__}: {error})")
            return None
        flat = [_as_output(t, fn) for t in nest.flatten(result)]
        if child.unsafe is not None:
            self.fail(child.unsafe)
            return result, None, [], flat
        out_names = []
        for t in flat:
            if isinstance(t, TensorBase):
                out_names.append(child.name_of(getattr(t, "_parent", t), "a branch's result"))
        if child.unsafe is not None:
            self.fail(child.unsafe)
            return result, None, [], flat
        plan = child.build(in_names + child.capture_names, out_names)
        return result, plan, list(child.capture_parent), flat

    def control(self, kind, runner, plans, reads, outputs, failed=None):
        """Emit one control step calling ``runner(*reads)``; ``outputs`` (tensors) are bound
        to its results (``failed``: per output, the error of a failed op it needs)."""
        fname = self._new("w")
        self.ns[fname] = runner
        names = [self._new() for _ in outputs]
        lhs = ", ".join(names) + ("," if len(names) == 1 else "")
        call = f"{fname}({', '.join(reads)})"
        line = f"{lhs} = {call}" if names else call
        self._emit(line, PlanStep(CONTROL, ControlFlow(kind, tuple(plans))), tuple(reads),
                   tuple(names))
        for t, n in zip(outputs, names):
            self.bind(t, n)
        if self.failed or failed:
            upstream = next((self.failed[r] for r in reads if self.failed and r in self.failed),
                            None)
            for k, n in enumerate(names):
                error = (failed[k] if failed else None) or upstream
                if error is not None:
                    self._failed()[n] = error


# -- trace keys ---------------------------------------------------------------------------------
# A call's key has one entry per flattened argument: ("tensor", shape, dtype) for tensors,
# arrays and TensorSpecs (a spec's unknown dimensions are None, an unknown rank is a None
# shape), ("var", id) for variables, ("py", value) for hashable Python values (so 1, 1.0 and
# True share a trace, as TF's Literal types do) and ("obj", id) for other objects.
def _is_spec(x):
    return type(x).__name__ == "TensorSpec" and hasattr(x, "is_compatible_with")


def _spec_dims(shape):
    dims = getattr(shape, "dims", shape)
    return None if dims is None else tuple(dims)


def _copy_handle(h):
    out = np.empty((), object)
    out[()] = copy.copy(h[()])
    out[()].elems = list(h[()].elems)
    return out


def _has_effects(step):
    """Whether a control step's sub-plans assign variables or run Python effects."""
    if step.kind != CONTROL:
        return False
    return any(s.kind in _ALWAYS_KEPT or _has_effects(s) for p in step.target.plans
               for s in p.steps)


def _leaf_key(x):
    if isinstance(x, Variable):
        return ("var", id(getattr(x, "_parent", x)))
    if isinstance(x, TensorBase):
        v = x._v
        return ("tensor", v.shape, v.dtype.str)
    if hasattr(x, "__array__") and hasattr(x, "shape") and hasattr(x, "dtype"):
        return ("tensor", tuple(x.shape), x.dtype.str)
    if _is_spec(x):
        return ("tensor", _spec_dims(x.shape), np.dtype(x.dtype._np).str)
    if hasattr(type(x), "__tf_tracing_type__"):  # TF's tracing protocol
        return ("trace_type", x.__tf_tracing_type__(None))
    try:
        hash(x)
        return ("py", x)
    except TypeError:
        return ("obj", id(x))


def _flat_and_structure(tree):
    """The leaves of ``tree`` with extension types expanded to their tensors
    (``nest.flatten(expand_composites=True)``), and what a trace keys the nesting by: the
    containers, and each extension type's class and Python fields."""
    plain = nest.flatten(tree)
    skeleton = repr(nest.pack_sequence_as(tree, [0] * len(plain)))
    ext = tuple(x._tf_static_key() for x in plain if hasattr(type(x), "_tf_static_key"))
    if not ext:
        return plain, skeleton
    return nest.flatten(tree, expand_composites=True), (skeleton, ext)


def _dims_compatible(spec, dims):
    """Whether concrete or partial ``dims`` fit the partial shape ``spec``."""
    if spec is None:
        return True
    if dims is None or len(spec) != len(dims):
        return False
    return all(a is None or a == b for a, b in zip(spec, dims))


def _key_compatible(spec_key, key):
    if len(spec_key) != len(key) or spec_key[0] != key[0]:  # [0]: the structure
        return False
    for a, b in zip(spec_key[1:], key[1:]):
        if a[0] == "tensor" == b[0]:
            if a[2] != b[2] or not _dims_compatible(a[1], b[1]):
                return False
        elif a != b:
            return False
    return True


def _relax_dims(a, b):
    if a is None or b is None or len(a) != len(b):
        return None
    return tuple(x if x == y else None for x, y in zip(a, b))


def _relaxed_key(old, new):
    """``new`` with its tensor shapes relaxed to also admit ``old`` (TF's reduce_retracing),
    or None when the two differ in more than shapes."""
    if len(old) != len(new) or old[0] != new[0]:
        return None
    out = [new[0]]
    for a, b in zip(old[1:], new[1:]):
        if a[0] == "tensor" == b[0] and a[2] == b[2]:
            out.append(("tensor", _relax_dims(a[1], b[1]), b[2]))
        elif a != b:
            return None
        else:
            out.append(b)
    return tuple(out)


def _specificity(key):
    """Fewer unknown dimensions first (the most specific compatible trace wins)."""
    n = 0
    for k in key[1:]:
        if k[0] == "tensor":
            n += 100 if k[1] is None else sum(d is None for d in k[1])
    return n


def _describe(i, a, b):
    if a[0] == b[0] == "tensor":
        if a[1] != b[1]:
            return f"argument {i} shape {a[1]} -> {b[1]}"
        return f"argument {i} dtype {a[2]} -> {b[2]}"
    return f"argument {i} {a[1:]!r} -> {b[1:]!r}"


_NOTHING = object()
_PY_OUTPUT = (bool, int, float, complex, str, np.generic, np.ndarray)


def _tensor_spec():
    from .data._structure import TensorSpec  # cycle: tf.TensorSpec lives with tf.data's specs
    return TensorSpec


def _dtype_of(key):
    return from_numpy(np.dtype(key[2]))


def _proto_name(key):
    """The dtype's name in TF's kernel messages (``float``, ``double``, ``int32``...)."""
    name = _dtype_of(key).name
    return {"float32": "float", "float64": "double", "float16": "half"}.get(name, name)


def _literal(x):
    return f"Literal[{x!r}]"


def _type_text(x):
    """TF's text for the type of an argument or output (``pretty_printed_signature``)."""
    if _is_spec(x):
        return repr(x)
    if hasattr(type(x), "_tf_static_key"):  # an extension type (or its spec): its spec
        return repr(getattr(x, "_type_spec", x))
    if isinstance(x, tuple) and not hasattr(x, "_fields"):
        return "Tuple[" + ", ".join(_type_text(e) for e in x) + "]"
    if isinstance(x, list):
        return "List[" + ", ".join(_type_text(e) for e in x) + "]"
    if isinstance(x, dict):
        return "Dict[" + ", ".join(f"[{k!r}, {_type_text(v)}]" for k, v in x.items()) + "]"
    if isinstance(x, Variable):
        return f"{type(x).__name__}(shape={x.shape}, dtype={x.dtype!r})"
    return _literal(x)


class GraphOperation(NamedTuple):
    """One operation of a ``ConcreteFunction.graph``: its ``name`` and ``type`` (TF's op
    type: ``Placeholder`` for inputs, ``Identity`` for outputs, the op's name otherwise)."""

    name: str
    type: str


class GraphTensor:
    """A symbolic input or output of a ``ConcreteFunction`` (TF's graph tensor): name, shape
    and dtype; it has no value."""

    __slots__ = ("name", "shape", "dtype")

    def __init__(self, name, shape, dtype):
        self.name, self.shape, self.dtype = name, shape, dtype

    def __repr__(self):
        return f"<tf.Tensor '{self.name}' shape={self.shape} dtype={self.dtype.name}>"


class FuncGraph:
    """What ``ConcreteFunction.graph`` shows of a traced plan: its operations in order
    (inputs as ``Placeholder``s, each plan step, outputs as ``Identity``s), ``inputs`` and
    ``outputs``. The list is the plan's own steps, not a TensorFlow graph."""

    def __init__(self, name, operations, inputs, outputs):
        self.name = name
        self._ops = list(operations)
        self.inputs = inputs
        self.outputs = outputs

    def get_operations(self):
        return list(self._ops)

    def get_operation_by_name(self, name):
        for op in self._ops:
            if op.name == name:
                return op
        raise KeyError(f"The name {name!r} refers to an Operation not in the graph.")

    def __repr__(self):
        return f"<FuncGraph {self.name!r} of {len(self._ops)} operations>"


_ASSIGN_TYPES = {"assign": "AssignVariableOp", "add": "AssignAddVariableOp",
                 "sub": "AssignSubVariableOp"}


def _graph_ops(plan, input_names):
    ops, used = [], {}

    def unique(name):
        n = used.get(name, 0)
        used[name] = n + 1
        return name if n == 0 else f"{name}_{n}"

    for name in input_names:
        ops.append(GraphOperation(unique(name), "Placeholder"))
    for step in plan.steps:
        if step.kind in (OP, RANDOM):
            t = step.target.name
        elif step.kind == READ:
            t = "ReadVariableOp"
        elif step.kind == ASSIGN:
            t = _ASSIGN_TYPES.get(step.detail, "AssignVariableOp")
        else:
            t = getattr(step.target, "_tf_op_type", "EagerPyFunc")
        ops.append(GraphOperation(unique(t), t))
    return ops


class _Variant:
    """One plan of a ConcreteFunction, for one set of concrete input shapes (see
    ``ConcreteFunction``); None as plan when this signature runs eagerly."""

    __slots__ = ("concrete", "plan", "_plan", "_positions", "_structure", "_leaves",
                 "eager_reason", "_gpu", "out_shapes", "key", "_single")

    def __init__(self, concrete, plan, positions, structure, leaves, eager_reason=None):
        self.concrete = concrete
        self.plan = plan
        self._plan = None if plan is None else plan.run
        self._positions = positions
        self._structure = structure
        # one output (or None): nothing to rebuild; an extension type is rebuilt from its parts
        self._single = structure is None or not nest.is_nested(structure) and not hasattr(
            type(structure), "_tf_nest_parts")
        self._leaves = leaves  # per output leaf: True (plan value) or the Python value
        self.eager_reason = eager_reason
        self.out_shapes = None
        self.key = None
        # On a GPU the plan may replay as a CUDA graph (_graph_replay.py); None on CPU.
        self._gpu = None if plan is None else _graph_replay.runner_for(plan)

    @property
    def plan_source(self):
        return None if self.plan is None else self.plan.source

    def _run(self, flat_args):
        arrays = []
        for p in self._positions:
            x = flat_args[p]
            arrays.append(x._v if isinstance(x, TensorBase) else _to_array(x))
        outs = iter(self._plan(*arrays) if self._gpu is None else self._gpu(arrays))
        leaves = [const(next(outs)) if leaf is True else leaf for leaf in self._leaves]
        if self._single:
            return leaves[0]
        return nest.pack_sequence_as(self._structure, leaves, expand_composites=True)


def _same_plan(a, b):
    """Whether two plans of one function traced at different shapes are the same program:
    same code, same ops, same attributes and captured constants. Then the plan does not
    depend on the shapes it was traced at (nothing shape-derived was frozen into it)."""
    if a.plan is None or b.plan is None or a.plan.source != b.plan.source:
        return False
    if a._leaves != b._leaves:
        return False
    for sa, sb in zip(a.plan.steps, b.plan.steps):
        if sa.kind != sb.kind or sa.target is not sb.target:
            return False
    na, nb = a.plan.namespace, b.plan.namespace
    if na.keys() != nb.keys():
        return False
    for k, va in na.items():
        vb = nb[k]
        if va is vb:
            continue
        if not _same_value(va, vb):
            return False
    return True


def _same_value(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_value(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b))
    if hasattr(a, "shape") and hasattr(a, "dtype"):
        try:
            return a.shape == b.shape and a.dtype == b.dtype and bool((to_host(a) == to_host(b))
                                                                        .all())
        except Exception:  # arrays of different devices or kinds: not the same program
            return False
    try:
        return bool(a == b)
    except Exception:  # an object without a usable ==: identity decided already
        return False


class ConcreteFunction(_types.ConcreteFunction):
    """One trace of a ``tf.function``: the input signature it accepts (``TensorSpec``s,
    possibly with unknown dimensions, and the Python values bound into it), its outputs and
    graph, and how to call it.

    tapeflow replays a plan specialised to concrete shapes. A signature with unknown
    dimensions keeps one plan per shape seen; when two shapes give the same program, that
    plan serves every shape from then on (the Python body runs no more). The Python body's
    extra runs for new shapes print nothing to stdout (TF runs it once per trace).
    """

    def __init__(self, function, key, args, kwargs, index):
        self._function = function
        self._key = key
        self._args, self._kwargs = args, kwargs  # the canonical arguments that made it
        self._variants = {}
        self._primary = None
        self._generic = None
        self._index = index
        self._sig_cache = None

    # -- what the first plan says (tapeflow's own attributes) -----------------------------
    plan = property(lambda self: self._primary and self._primary.plan)
    plan_source = property(lambda self: self._primary and self._primary.plan_source)
    eager_reason = property(lambda self: self._primary and self._primary.eager_reason)
    _gpu = property(lambda self: self._primary and self._primary._gpu)
    _plan = property(lambda self: self._primary and self._primary._plan)

    @property
    def name(self):
        return f"__inference_{self._function.__name__}_{self._index}".encode()

    @property
    def function_type(self):
        return self.structured_input_signature

    # -- signatures -----------------------------------------------------------------------
    def _specs(self, named):
        """The canonical arguments with every tensor as its TensorSpec from the key."""
        TensorSpec = _tensor_spec()
        structure = (self._args, self._kwargs)
        flat = nest.flatten(structure, expand_composites=True)
        names = _leaf_names(self._function._param_names(), structure) if named else None
        if names is not None and len(names) != len(flat):
            names = None  # extension types: their tensors are not named
            named = False
        sig = self._function.input_signature
        sig = None if sig is None else nest.flatten(list(sig), expand_composites=True)
        out = []
        for i, (x, k) in enumerate(zip(flat, self._key[1:])):
            if k[0] == "tensor":
                given = x.name if _is_spec(x) and x.name else None
                if sig is not None and i < len(sig):
                    given = getattr(sig[i], "name", None)
                name = given or (names[i] if named else None)
                out.append(TensorSpec(k[1], _dtype_of(k), name))
            else:
                out.append(x)
        return nest.pack_sequence_as(structure, out, expand_composites=True)

    @property
    def structured_input_signature(self):
        """``(args, kwargs)`` with a ``TensorSpec`` per tensor argument (named after its
        parameter) and the Python values bound into this trace."""
        args, kwargs = self._specs(named=True)
        return tuple(args), dict(kwargs)

    def _out_specs(self):
        v = self._primary
        if v is None or v.plan is None:
            return None
        TensorSpec = _tensor_spec()
        none_sizes = set()
        for k, seen in zip(self._key[1:], v.key[1:]):
            if k[0] == "tensor" and k[1] is not None and seen[1] is not None:
                none_sizes.update(d for d, s in zip(seen[1], k[1]) if s is None)
        unknown_rank = any(k[0] == "tensor" and k[1] is None for k in self._key[1:])
        specs, shapes = [], iter(v.out_shapes)
        for leaf in v._leaves:
            if leaf is not True:
                specs.append(leaf)
                continue
            shape, dtype = next(shapes)
            if self._generic is not None or self._key_relaxed():
                shape = None if unknown_rank else tuple(
                    None if d in none_sizes else d for d in shape)
            specs.append(TensorSpec(shape, dtype))
        return nest.pack_sequence_as(v._structure, specs, expand_composites=True)

    def _key_relaxed(self):
        return any(k[0] == "tensor" and (k[1] is None or None in k[1]) for k in self._key[1:])

    @property
    def output_shapes(self):
        return nest.map_structure(lambda s: s.shape if _is_spec(s) else s, self._out_specs())

    @property
    def output_dtypes(self):
        return nest.map_structure(lambda s: s.dtype if _is_spec(s) else s, self._out_specs())

    @property
    def structured_outputs(self):
        """The outputs' structure with a symbolic ``GraphTensor`` per tensor."""
        specs = self._out_specs()
        if specs is None:
            return None
        n = iter(range(1 << 30))

        def sym(s):
            if not _is_spec(s):
                return s
            i = next(n)
            return GraphTensor(f"Identity{'' if i == 0 else f'_{i}'}:0", s.shape, s.dtype)

        return nest.map_structure(sym, specs)

    @property
    def inputs(self):
        return [GraphTensor(f"{s.name}:0", s.shape, s.dtype)
                for s in nest.flatten(self._specs(named=True)) if _is_spec(s)]

    @property
    def outputs(self):
        return [t for t in nest.flatten(self.structured_outputs) if isinstance(t, GraphTensor)]

    @property
    def variables(self):
        plan = self.plan
        return () if plan is None else plan.variables

    trainable_variables = property(lambda self: tuple(v for v in self.variables
                                                      if v.trainable))

    @property
    def graph(self):
        """The plan's operations as a ``FuncGraph`` (``get_operations()``: name and type)."""
        plan = self.plan
        names = [s.name for s in nest.flatten(self._specs(named=True)) if _is_spec(s)]
        ops = [] if plan is None else _graph_ops(plan, names)
        outs = self.outputs if plan is not None else []
        for i in range(len(outs)):
            ops.append(GraphOperation("Identity" + ("" if i == 0 else f"_{i}"), "Identity"))
        return FuncGraph(self.name.decode(), ops, self.inputs, outs)

    def pretty_printed_signature(self, verbose=True):
        """TF's text: the input parameters with their types, the output type, captures."""
        args, kwargs = self._specs(named=False)
        lines = ["Input Parameters:"]
        params = self._function._parameters()
        for i, a in enumerate(args):
            p = params[i] if i < len(params) else None
            name = p.name if p is not None else f"arg_{i}"
            kind = p.kind.name if p is not None else "POSITIONAL_ONLY"
            lines.append(f"  {name} ({kind}): {_type_text(a)}")
        by_name = {p.name: p for p in params}
        for k, a in kwargs.items():
            kind = by_name[k].kind.name if k in by_name else "VAR_KEYWORD"
            lines.append(f"  {k} ({kind}): {_type_text(a)}")
        lines.append("Output Type:")
        out = self._out_specs()
        lines.append(f"  {_type_text(out)}")
        lines.append("Captures:")
        caps = [f"  {id(v)}: TensorSpec(shape={v.shape}, dtype=tf.resource, name=None)"
                for v in self.variables]
        lines.extend(caps or ["  None"])
        return "\n".join(lines)

    def __str__(self):
        return "ConcreteFunction " + self.pretty_printed_signature()

    def __repr__(self):
        args, kwargs = self._specs(named=False)
        params = self._function._parameters()
        parts = []
        for i, a in enumerate(args):
            parts.append(f"{params[i].name if i < len(params) else f'arg_{i}'}: "
                         f"{_type_text(a)}")
        parts += [f"{k}: {_type_text(a)}" for k, a in kwargs.items()]
        return (f"<ConcreteFunction ({', '.join(parts)}) -> {_type_text(self._out_specs())} "
                f"at 0x{id(self):X}>")

    # -- calling ----------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        """Call with tensors for the traced signature's tensor parameters (positionally or by
        name); Python values bound into the trace may be left out or passed equal."""
        fn = self._function
        sig_args, sig_kwargs = self._args, self._kwargs
        params = fn._parameters()
        bound = {}
        names = [p.name for p in params]
        if len(args) > len(sig_args):
            raise fn._binding_error("too many positional arguments", args, kwargs, self)
        for i, a in enumerate(args):
            bound[i] = a
        for k, a in kwargs.items():
            if k in names and names.index(k) < len(sig_args):
                bound[names.index(k)] = a
            elif k not in sig_kwargs:
                raise fn._binding_error(f"got an unexpected keyword argument '{k}'", args,
                                        kwargs, self)
        new_args = []
        for i, s in enumerate(sig_args):
            if i not in bound:
                if any(_leaf_key(x)[0] == "tensor" for x in nest.flatten(s)):
                    raise fn._binding_error(f"missing a required argument: '{names[i]}'",
                                            args, kwargs, self)
                new_args.append(s)
            else:
                new_args.append(self._cast_arg(bound[i], s, args, kwargs))
        new_kwargs = {k: self._cast_arg(kwargs[k], v, args, kwargs) if k in kwargs else v
                      for k, v in sig_kwargs.items()}
        flat = nest.flatten((tuple(new_args), new_kwargs), expand_composites=True)
        key = (self._key[0],) + tuple(_leaf_key(x) for x in flat)
        for i, (a, b) in enumerate(zip(self._key[1:], key[1:])):
            if a[0] == "tensor" and b[0] == "tensor" and a[2] != b[2]:
                raise InvalidArgumentError(
                    None, None,
                    f"cannot compute {self.name.decode()} as input #{i}(zero-based) was "
                    f"expected to be a {_proto_name(a)} tensor but is a "
                    f"{_proto_name(b)} tensor [Op:{self.name.decode()}]")
        variant = self._variant_for(tuple(new_args), new_kwargs, flat, key)
        if isinstance(variant, tuple):  # the tracing run's own result
            return variant[1]
        if variant._plan is None:
            return fn._python_function(*new_args, **new_kwargs)
        return variant._run(flat)

    def _cast_arg(self, value, spec, args, kwargs):
        if hasattr(type(spec), "_tf_nest_parts"):  # an extension type: its tensors are keyed
            return value
        flat_s = nest.flatten(spec)
        if len(flat_s) == 1 and _leaf_key(flat_s[0])[0] == "tensor":
            if not isinstance(value, TensorBase):
                try:
                    return convert_to_tensor(value, _dtype_of(_leaf_key(flat_s[0])))
                except (TypeError, ValueError):
                    raise self._function._binding_error(
                        f"Can not cast {value!r} to {_type_text(spec)}", args, kwargs,
                        self) from None
            return value
        if _leaf_key(spec)[0] != "tensor" and not isinstance(value, TensorBase):
            try:
                same = value == spec
                same = bool(same)
            except Exception:  # an object without ==: identity
                same = value is spec
            if not same:
                raise self._function._binding_error(
                    f"Can not cast {value!r} to {_type_text(spec)}", args, kwargs, self)
            return spec
        return value

    def _variant_for(self, args, kwargs, flat, key):
        variant = self._variants.get(key)
        if variant is not None:
            return variant
        if self._generic is not None:
            self._variants[key] = self._generic
            return self._generic
        return self._function._trace(self, args, kwargs, flat, key)


def _leaf_names(params, structure):
    """TF's names of the flattened arguments: the parameter's name, ``name_i`` inside a
    list or tuple argument, the key inside a dict."""
    args, kwargs = structure
    names = []
    for i, a in enumerate(args):
        base = params[i] if i < len(params) else f"arg_{i}"
        names += _nested_names(base, a)
    for k, a in kwargs.items():
        names += _nested_names(k, a)
    return names


def _nested_names(base, a):
    flat = nest.flatten(a)
    if len(flat) == 1 and flat[0] is a:
        return [base]
    paths = nest.flatten_with_joined_string_paths(a, separator="_")
    return [f"{base}_{p}" for p, _ in paths]


class Function(_types.PolymorphicFunction):
    """A callable that traces ``python_function`` per input signature (see module doc).

    TF's rules for when it traces again: a tensor argument of a new shape or dtype, a new
    Python value (by equality: ``1``, ``1.0`` and ``True`` are one value), another object
    (by hash and equality, identity for unhashable objects) or a new structure. With
    ``input_signature`` every call must match the given ``TensorSpec``s (``None``: any
    size) and one trace serves them all; ``reduce_retracing=True`` widens a trace's shapes to
    unknown dimensions when a call with a new shape comes. ``get_concrete_function`` traces
    with ``TensorSpec``s or tensors and binds Python arguments into the trace.

    Example::

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def total(x):
            return tf.reduce_sum(x, axis=1)

        total(tf.ones([2, 3]))  # traces
        total(tf.ones([5, 3]))  # same trace: None accepts any batch size
        total.experimental_get_tracing_count()  # 1
    """

    def __init__(self, python_function, input_signature=None, autograph=True,
                 jit_compile=None, reduce_retracing=False, name=None):
        self._python_function = python_function
        if input_signature is not None:
            if not isinstance(input_signature, (list, tuple)):
                raise TypeError(f"input_signature must be either a tuple or a list, got "
                                f"{type(input_signature)}.")
            for s in nest.flatten(list(input_signature), expand_composites=True):
                if not _is_spec(s):
                    raise TypeError(f"input_signature must be a possibly nested sequence of "
                                    f"TensorSpec objects, got invalid args {s!r} of type "
                                    f"{type(s)}.")
            input_signature = tuple(input_signature)
        self.input_signature = input_signature
        self._autograph = autograph
        self._autograph_fn = None
        self._reduce_retracing = bool(reduce_retracing)
        self._cache = {}  # a call's raw key -> its _Variant (when the call is canonical)
        self._variants = {}  # canonical key -> _Variant
        self._concretes = []  # ConcreteFunctions, in the order they were traced
        self._tracing_count = 0
        self._traces_run = 0  # runs of the Python body under a trace, specialisations too
        self._last_key = None
        self._warned = set()
        self._retraced = set()  # signatures traced again after a first trace made variables
        self._check_created = True  # trace again after a first trace that made variables
        self._instances = weakref.WeakKeyDictionary()
        self._params = None
        functools.update_wrapper(self, python_function)
        if name is not None:
            self.__name__ = name

    @property
    def python_function(self):
        return self._python_function

    @property
    def function_spec(self):
        return self.input_signature

    def experimental_get_tracing_count(self):
        """How many times the function has been traced (TF's count: a new shape under an
        ``input_signature`` or a ``reduce_retracing`` trace that accepts it is not one)."""
        return self._tracing_count

    def pretty_printed_concrete_signatures(self, verbose=True):
        """Every trace's signature (``ConcreteFunction.pretty_printed_signature``)."""
        return "\n\n".join(c.pretty_printed_signature(verbose) for c in self._concretes)

    def __get__(self, instance, owner):
        if instance is None:
            return self
        try:
            bound = self._instances.get(instance)
        except TypeError:
            bound = None
        if bound is None:
            bound = Function(self._python_function.__get__(instance, owner),
                             self.input_signature, self._autograph,
                             reduce_retracing=self._reduce_retracing)
            bound._check_created = self._check_created
            try:
                self._instances[instance] = bound
            except TypeError:
                pass
        return bound

    # -- binding ----------------------------------------------------------------------------
    def _signature(self):
        if self._params is None:
            import inspect  # deferred: a heavy module, needed only when a call is bound
            try:
                self._params = inspect.signature(self._python_function)
            except (TypeError, ValueError):  # a builtin or callable without a signature
                self._params = False
        return self._params or None

    def _parameters(self):
        sig = self._signature()
        return [] if sig is None else list(sig.parameters.values())

    def _param_names(self):
        return [p.name for p in self._parameters()]

    def _signature_text(self, concrete=None):
        if self.input_signature is not None and concrete is None:
            names = self._param_names()
            parts = []
            for i, s in enumerate(self.input_signature):
                name = names[i] if i < len(names) else f"arg_{i}"
                parts.append(f"{name}: {_type_text(_named(s, name))}")
            return f"({', '.join(parts)})"
        text = repr(concrete)[len("<ConcreteFunction "):]
        return text[:text.rindex(" at 0x")]

    def _binding_error(self, why, args, kwargs, concrete=None):
        return TypeError(f"Binding inputs to tf.function failed due to `{why}`. Received "
                         f"args: {args!r} and kwargs: {kwargs!r} for signature: "
                         f"{self._signature_text(concrete)}.")

    def _canonical(self, args, kwargs):
        """``(args, kwargs)`` bound to the parameters (defaults filled in, keyword arguments
        given positionally where they can be) and checked against ``input_signature``."""
        sig = self._signature()
        if sig is not None:
            try:
                bound = sig.bind(*args, **kwargs)
            except TypeError as e:
                raise self._binding_error(str(e), args, kwargs) from None
            bound.apply_defaults()
            cargs, ckwargs = tuple(bound.args), dict(bound.kwargs)
        else:
            cargs, ckwargs = tuple(args), dict(kwargs)
        if self.input_signature is None:
            return cargs, ckwargs
        specs = self.input_signature
        if len(cargs) > len(specs):
            raise self._binding_error("too many positional arguments", args, kwargs)
        if ckwargs:
            k = next(iter(ckwargs))
            raise self._binding_error(f"got an unexpected keyword argument '{k}'", args, kwargs)
        names = self._param_names()
        out = []
        for i, spec in enumerate(specs):
            if i >= len(cargs):
                name = names[i] if i < len(names) else f"arg_{i}"
                raise self._binding_error(f"missing a required argument: '{name}'", args,
                                          kwargs)
            value = cargs[i]
            name = names[i] if i < len(names) else f"arg_{i}"
            out.append(_bind_to_spec(value, spec, name, self, args, kwargs))
        return tuple(out), {}

    def _key(self, args, kwargs):
        if kwargs or any(nest.is_nested(a) for a in args):
            flat = nest.flatten((args, kwargs))
        else:  # NOTE: the common call (tensors or nothing): its own flat list, no walk
            flat = list(args)
        return flat, tuple(_leaf_key(x) for x in flat)

    # -- calling ----------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if _recording.active_here() or _functions_run_eagerly():
            # inside another trace: inline; under an outer GradientTape: run eagerly so the
            # tape records the ops and gradients flow through the function
            if self.input_signature is not None:
                args, kwargs = self._canonical(args, kwargs)
            return self._python_function(*args, **kwargs)
        flat, key = self._key(args, kwargs)
        variant = self._cache.get(key)
        if variant is None:
            cargs, ckwargs, flat, ckey, canonical = self._prepare(args, kwargs, flat)
            variant = self._variants.get(ckey)
            if variant is None:
                variant = self._find_or_trace(cargs, ckwargs, flat, ckey)
                if isinstance(variant, tuple):  # the tracing run's result
                    variant, result = variant
                    if canonical and variant is not None:
                        self._cache[key] = variant
                    return result
            if canonical:
                self._cache[key] = variant
            args, kwargs = cargs, ckwargs
        if variant._plan is None:
            return self._python_function(*args, **kwargs)
        return variant._run(flat)

    def _prepare(self, args, kwargs, flat):
        cargs, ckwargs = self._canonical(args, kwargs)
        cflat, structure = _flat_and_structure((cargs, ckwargs))
        ckey = (structure,) + tuple(_leaf_key(x) for x in cflat)
        canonical = (len(cflat) == len(flat) and all(a is b for a, b in zip(cflat, flat))
                     and not ckwargs and len(cargs) == len(args))
        return cargs, ckwargs, cflat, ckey, canonical

    def _find(self, ckey):
        found = [c for c in self._concretes if _key_compatible(c._key, ckey)]
        return min(found, key=lambda c: _specificity(c._key)) if found else None

    def _find_or_trace(self, cargs, ckwargs, flat, ckey, execute=True):
        concrete = self._find(ckey)
        if concrete is None:
            concrete = self._new_concrete(cargs, ckwargs, ckey)
        return concrete._variant_for(cargs, ckwargs, flat, ckey) if execute else concrete

    def _new_concrete(self, cargs, ckwargs, ckey):
        if self.input_signature is not None:
            key = ckey[:1] + tuple(
                ("tensor", _spec_dims(s.shape), np.dtype(s.dtype._np).str)
                for s in nest.flatten(list(self.input_signature), expand_composites=True))
        elif self._reduce_retracing:
            key = ckey
            for c in reversed(self._concretes):
                relaxed = _relaxed_key(c._key, ckey)
                if relaxed is not None:
                    key = relaxed
                    break
        else:
            key = ckey
        if self._last_key is not None:
            reasons = [_describe(i, a, b) for i, (a, b) in
                       enumerate(zip(self._last_key[1:], ckey[1:])) if a != b]
            if len(self._last_key) != len(ckey) or self._last_key[0] != ckey[0]:
                reasons = ["a new input structure"]
            msg = f"tf.function {self.__name__!r} retracing: " + "; ".join(
                reasons or ["a new input structure"])
            if self._tracing_count + 1 >= _DEPTH_WARN:
                _log.warning("%s (%d traces so far; pass tensors of fixed shapes or an "
                             "input_signature to avoid it)", msg, self._tracing_count + 1)
            else:
                _log.info(msg)
        self._last_key = ckey
        self._tracing_count += 1
        concrete = ConcreteFunction(self, key, cargs, ckwargs, len(self._concretes))
        self._concretes.append(concrete)
        return concrete

    def get_concrete_function(self, *args, **kwargs):
        """The trace for these arguments (``TensorSpec``s, tensors, Python values), made now
        if needed. Tracing with specs runs the body on stand-in values (ones; unknown sizes
        2); variable updates it makes are undone and tf.print does not print."""
        if not args and not kwargs and self.input_signature is not None:
            args = self.input_signature
        cargs, ckwargs = self._canonical(args, kwargs)
        flat, structure = _flat_and_structure((cargs, ckwargs))
        ckey = (structure,) + tuple(_leaf_key(x) for x in flat)
        concrete = self._find(ckey)
        if concrete is None:
            concrete = self._new_concrete(cargs, ckwargs, ckey)
        if concrete._primary is None:
            concrete_flat = [_stand_in(x) if _is_spec(x) else x for x in flat]
            ckey2 = (ckey[0],) + tuple(_leaf_key(x) for x in concrete_flat)
            a2, k2 = nest.pack_sequence_as((cargs, ckwargs), concrete_flat,
                                           expand_composites=True)
            self._trace(concrete, a2, k2, concrete_flat, ckey2, dry=True)
        return concrete

    def _trace(self, concrete, args, kwargs, flat, key, dry=False):
        """Run the Python function once under a trace for ``concrete`` at these concrete
        arguments; returns ``(variant, the run's result)`` (variant None when the trace must be
        redone on the next call), or the variant alone for a dry run."""
        first = self._traces_run == 0 or key in self._retraced
        self._traces_run += 1
        trace = _Trace(first=first)
        trace.dry = dry
        trace.autograph = bool(self._autograph)
        if not dry:
            trace.prints = []
        trace.fn, trace.concrete = self._python_function, concrete
        tensor_positions = []
        traced_flat = list(flat)
        input_names = []
        for p, x in enumerate(flat):
            if isinstance(x, Variable):
                continue
            if isinstance(x, TensorBase) or _leaf_key(x)[0] == "tensor":
                t = const(x._v if isinstance(x, TensorBase) else _to_array(x))
                name = f"i{p}"
                trace.bind(t, name)
                traced_flat[p] = t
                tensor_positions.append(p)
                input_names.append(name)
        t_args, t_kwargs = nest.pack_sequence_as((args, kwargs), traced_flat,
                                                 expand_composites=True)
        shadow = concrete._primary is not None  # a new shape of a trace made before
        saved = _reachable_variables(self._python_function, concrete) if dry else None
        fn = self._converted()
        _recording.push(trace)
        try:
            try:
                if shadow:
                    with contextlib.redirect_stdout(io.StringIO()):
                        result = fn(*t_args, **t_kwargs)
                else:
                    result = fn(*t_args, **t_kwargs)
            except BaseException:
                if not shadow:
                    self._forget(concrete)  # TF counts no trace that raised
                raise
            if trace.created and first and not shadow and self._check_created:
                _recording.pop(trace)
                try:
                    self._check_singletons(concrete, fn, args, kwargs, flat, trace)
                except BaseException:
                    trace.put_back()  # TF's failing call changes no variable
                    raise
                finally:
                    _recording.push(trace)
        finally:
            _recording.pop(trace)
            if saved is not None:
                trace.put_back()
                for v, value in saved:
                    v._v = value
                lost = _unrestored(trace, saved)
                if lost is not None:
                    _log.warning("tf.function %r: get_concrete_function's trace updated "
                                 "variable %s, which tapeflow could not put back",
                                 self.__name__, lost.name)
        if trace.failed and trace.unsafe is not None and not dry:
            raise next(iter(trace.failed.values()))  # runs eagerly: the op would fail there
        out_flat = nest.flatten(result, expand_composites=True)
        out_names, leaves, out_shapes = [], [], []
        if trace.unsafe is None:
            for t in out_flat:
                t = _as_output(t, self._python_function)
                if isinstance(t, TensorBase):
                    out_names.append(trace.name_of(getattr(t, "_parent", t),
                                                   "the function's result"))
                    leaves.append(True)
                    out_shapes.append((tuple(t._v.shape), t.dtype))
                else:
                    leaves.append(t)
        retry = trace.unsafe is not None and trace.created and key not in self._retraced
        if retry:
            # NOTE: this first run created variables (a layer built, weights loaded into it
            # on first call): what made it untraceable may have been that one-time setup, so
            # the next call traces again instead of running eagerly for good
            self._retraced.add(key)
            _log.info("tf.function %r: the first trace created variables and could not be "
                      "replayed (%s); tracing again on the next call", self.__name__,
                      trace.unsafe)
            variant = None
        elif trace.unsafe is not None:
            if key not in self._warned:
                self._warned.add(key)
                _log.warning("tf.function %r runs eagerly for this input signature: %s.",
                             self.__name__, trace.unsafe)
            variant = _Variant(concrete, None, tensor_positions, None, None, trace.unsafe)
        else:
            variant = _Variant(concrete, trace.build(input_names, out_names),
                               tensor_positions, result, leaves)
            variant.out_shapes = out_shapes
        if variant is not None:
            variant.key = key
        if variant is not None:
            concrete._variants[key] = variant
            self._variants[key] = variant
            if concrete._primary is None:
                concrete._primary = variant
            elif (concrete._generic is None and variant.plan is not None
                  and _same_plan(concrete._primary, variant)):
                concrete._generic = concrete._primary
        elif dry:
            return self._trace(concrete, args, kwargs, flat, key, dry=True)
        if dry:
            _poison(trace, ())
            return variant
        trace.show_prints()
        # the tracing run executed the function for real (variables assigned, outputs computed)
        outs = []
        for t in out_flat:
            if isinstance(t, TensorBase) and not isinstance(t, Variable):
                outs.append(const(t._v))
            elif variant is not None and variant.plan is not None:
                c = _as_output(t, self._python_function)
                outs.append(const(c._v) if isinstance(c, TensorBase) else c)
            else:
                outs.append(t)
        eager_result = nest.pack_sequence_as(result, outs, expand_composites=True)
        if variant is not None and variant.plan is not None:
            _poison(trace, out_flat)
        return variant, eager_result

    def _check_singletons(self, concrete, fn, args, kwargs, flat, first):
        """TF's check after a trace that created variables: trace the body once more (dry:
        variable updates undone, tf.print silent, on the same values) and raise TF's
        ``ValueError`` if it creates variables again (a ``tf.Variable(...)`` run on every
        call rather than once, as ``if self.v is None:`` does). TF counts it as a trace."""
        check = _Trace(first=False)
        check.dry = check.rng_sandbox = True
        check.autograph = bool(self._autograph)
        check.fn, check.concrete = self._python_function, concrete
        traced_flat = list(flat)
        for p, x in enumerate(flat):
            if isinstance(x, Variable):
                continue
            if isinstance(x, TensorBase) or _leaf_key(x)[0] == "tensor":
                t = const(x._v if isinstance(x, TensorBase) else _to_array(x))
                check.bind(t, f"i{p}")
                traced_flat[p] = t
        c_args, c_kwargs = nest.pack_sequence_as((args, kwargs), traced_flat,
                                                 expand_composites=True)
        # put back: what the check's assign hooks kept (check.undo), and the variables
        # reachable from the function (in case Python rebinds one's array directly)
        saved = _reachable_variables(self._python_function, concrete)
        known = {id(v) for v, _ in saved}
        saved += [(v, v._v) for v in first.created if id(v) not in known]
        _recording.push(check)
        try:
            fn(*c_args, **c_kwargs)
        finally:
            _recording.pop(check)
            check.put_back()
            for v, value in saved:
                v._v = value
            _poison(check, ())
        self._tracing_count += 1

    def _forget(self, concrete):
        """Drop a concrete function whose first trace raised: the next call traces afresh, and
        the tracing count is as before (TF's)."""
        if concrete in self._concretes:
            self._concretes.remove(concrete)
            self._tracing_count -= 1

    def _converted(self):
        """The Python function as tracing runs it: AutoGraph-converted when ``autograph``."""
        conv = self._autograph_fn
        if conv is None:
            conv = self._python_function
            if self._autograph:
                from .autograph import convert  # cycle: autograph's runtime calls tf.cond here
                conv = convert(self._python_function)
            self._autograph_fn = conv
        return conv

    def __repr__(self):
        return f"<tapeflow.function.Function {self.__name__!r}>"


def _named(spec, name):
    if _is_spec(spec) and spec.name is None:
        return type(spec)(spec.shape, spec.dtype, name)
    return spec


def _bind_to_spec(value, spec, name, fn, args, kwargs):
    """``value`` as a tensor matching ``spec`` (nested specs: each leaf), or TF's
    TypeError."""
    if hasattr(type(spec), "_tf_static_key"):  # an extension type's spec: bind its tensors
        v_spec = getattr(value, "_type_spec", value)
        if not hasattr(type(v_spec), "_tf_static_key") or \
                v_spec._tf_static_key() != spec._tf_static_key():
            raise fn._binding_error(f"Can not cast {value!r} to {_type_text(spec)}", args,
                                    kwargs)
        return nest.pack_sequence_as(spec, [
            _bind_to_spec(v, s, None, fn, args, kwargs) for v, s in zip(
                nest.flatten(value, expand_composites=True),
                nest.flatten(spec, expand_composites=True))], expand_composites=True)
    if not _is_spec(spec):
        flat_s = nest.flatten(spec)
        try:
            nest.assert_same_structure(spec, value, check_types=False)
        except (TypeError, ValueError):
            raise fn._binding_error(f"Can not cast {value!r} to {_type_text(spec)}", args,
                                    kwargs) from None
        flat_v = nest.flatten(value)
        return nest.pack_sequence_as(spec, [_bind_to_spec(v, s, name, fn, args, kwargs)
                                            for v, s in zip(flat_v, flat_s)])
    t = value
    if _is_spec(value):
        if value.dtype != spec.dtype or not _dims_compatible(_spec_dims(spec.shape),
                                                             _spec_dims(value.shape)):
            raise fn._binding_error(f"Can not cast {value!r} to "
                                    f"{_type_text(_named(spec, name))}", args, kwargs)
        return value
    if not isinstance(t, TensorBase):
        try:
            t = convert_to_tensor(value, spec.dtype)
        except (TypeError, ValueError):
            t = None
    if t is None or not spec.is_compatible_with(t):
        got = repr(value)
        if t is not None:
            got = repr(_named(_tensor_spec().from_tensor(t), spec.name or name))
        raise fn._binding_error(f"Can not cast {got} to {_type_text(_named(spec, name))}",
                                args, kwargs)
    return t


def _stand_in(spec):
    """A tensor of ones fitting ``spec``: unknown sizes 2, unknown rank a scalar."""
    dims = _spec_dims(spec.shape)
    shape = () if dims is None else tuple(2 if d is None else d for d in dims)
    return const(np.ones(shape, np.dtype(spec.dtype._np)))


def _as_output(t, fn):
    """An output leaf as TF returns it: a variable as its value, a Python number, string or
    NumPy value as a tensor; None and other objects unchanged."""
    if isinstance(t, Variable):
        return getattr(t, "_parent", t)
    if isinstance(t, _PY_OUTPUT) and not isinstance(t, TensorBase):
        try:
            return convert_to_tensor(t)
        except (TypeError, ValueError, NotImplementedError):  # strings: kept as Python
            return t
    return t


def _reachable_variables(fn, concrete, *more):
    """``[(variable, its current array)]`` for the variables a dry trace may assign: those
    of earlier plans, the functions' closures, globals they (or functions defined in them)
    name and their ``self``."""
    found = {}

    def add(x, depth=0):
        if isinstance(x, Variable):
            found.setdefault(id(x), x)
        elif isinstance(x, (list, tuple)) and depth < 2:
            for e in x:
                add(e, depth + 1)
        elif isinstance(x, dict) and depth < 2:
            for e in x.values():
                add(e, depth + 1)
        elif depth < 2 and hasattr(x, "variables") and not isinstance(x, type):
            try:
                for v in x.variables:
                    add(v, 2)
            except Exception:  # a `variables` that is not a tf.Module's: not ours to read
                pass

    def names(code, depth=0):
        out = list(code.co_names)
        if depth < 3:
            for c in code.co_consts:
                if hasattr(c, "co_names"):
                    out += names(c, depth + 1)
        return out

    for f in (fn, *more):
        inner = getattr(f, "__func__", f)
        add(getattr(f, "__self__", None))
        for cell in getattr(inner, "__closure__", None) or ():
            try:
                add(cell.cell_contents)
            except ValueError:  # an empty cell
                pass
        code = getattr(inner, "__code__", None)
        glb = getattr(inner, "__globals__", {})
        for name in names(code) if code is not None else ():
            if name in glb:
                add(glb[name])
    if concrete is not None:
        for c in concrete._function._concretes:
            for v in c.variables:
                add(v)
    return [(v, v._v) for v in found.values()]


def _unrestored(trace, saved):
    """A variable the dry ``trace`` assigned that ``saved`` cannot put back, or None."""
    ids = {id(v) for v, _ in saved} | set(trace.undo or ())  # undo: put back by its hooks
    for _, _, step in trace.uses:
        if step.kind == ASSIGN and id(step.target) not in ids:
            return step.target
        if step.kind == CONTROL:
            for p in step.target.plans:
                for v in p.variables:
                    if id(v) not in ids and any(st.kind == ASSIGN and st.target is v
                                                for st in p.steps):
                        return v
    return None


class _LeakedTensor(Tensor):
    """A tensor made inside a ``tf.function`` trace and kept past it (in a global, on an
    object): TF's graph tensors cannot be used outside their function, nor can these."""

    __slots__ = ()

    @property
    def _v(self):
        raise TypeError(f"{self!r} is out of scope and cannot be used here. Use return "
                        "values, explicit Python locals or TensorFlow collections to access "
                        "it.\nPlease see https://www.tensorflow.org/guide/function"
                        "#all_outputs_of_a_tffunction_must_be_return_values for more "
                        "information.")

    def numpy(self):
        raise AttributeError("'SymbolicTensor' object has no attribute 'numpy'")

    def __repr__(self):
        v = _SLOT(self)
        return (f"<tf.Tensor 'traced:0' shape={TensorShape(v.shape)} "
                f"dtype={from_numpy(v.dtype).name}>")

    __str__ = __repr__


_SLOT = Tensor.__dict__["_v"].__get__


def _poison(trace, outputs):
    """Make the tensors a trace computed unusable, as TF's graph tensors are outside their
    function (returned ones were copied already)."""
    for t in trace.made:
        if type(t) is Tensor:
            t.__class__ = _LeakedTensor


def _to_array(x):
    return convert_to_tensor(x)._v


def _functions_run_eagerly():
    return config.functions_run_eagerly()


def function(func=None, input_signature=None, autograph=True, jit_compile=None,
             reduce_retracing=False, experimental_implements=None,
             experimental_autograph_options=None, experimental_relax_shapes=None,
             experimental_compile=None, experimental_follow_type_hints=None, name=None):
    """Decorator compiling a Python function into traced plans (``@tf.function``).

    Args:
      func: the function to trace (or None: returns the decorator).
      input_signature: a list of ``tf.TensorSpec`` every call must match; ``None``
        dimensions accept any size with one trace.
      autograph: convert Python ``if``/``for``/``while`` on tensors into traced control
        flow (``tf.autograph``); False runs them as Python at trace time.
      reduce_retracing: widen shapes to unknown dimensions when a call's shape is new
        (``experimental_relax_shapes`` is its old name).
      jit_compile, experimental_*: accepted for TF compatibility (no XLA).
      name: the function's name in logs and concrete-function names.

    Returns:
      A ``Function``: call it like ``func``; ``get_concrete_function`` gives a trace.

    >>> @tf.function
    ... def step(x):
    ...     if tf.reduce_sum(x) > 0:  # one traced conditional
    ...         return x * 2.0
    ...     return -x
    >>> step(tf.constant([1.0, 2.0])).numpy()
    array([2., 4.], dtype=float32)
    >>> step.experimental_get_tracing_count()
    1

    See ``docs/tf-function.md`` for what is traced, what retraces, and the differences from
    TensorFlow.
    """
    def decorate(f):
        return Function(f, input_signature, autograph, jit_compile,
                        reduce_retracing or bool(experimental_relax_shapes), name)

    return decorate if func is None else decorate(func)


def tf_print(*inputs, output_stream=None, sep=" ", end="\n", summarize=3, name=None):
    """``tf.print``: prints now, and on every call of a traced function."""
    stream = output_stream or sys.stderr

    def emit(*values):
        parts = []
        for v in values:
            if hasattr(v, "shape") and hasattr(v, "dtype"):
                h = np.asarray(to_host(v))
                if h.ndim == 0 and h.dtype.kind == "O":  # a scalar string prints as it is
                    parts.append(h[()].decode("utf-8", "replace"))
                else:  # TF's text: its number formats, quoted strings, summarized dims
                    parts.append(summary_text(h, summarize).encode(
                        "utf-8", "surrogateescape").decode("utf-8", "replace"))
            else:
                parts.append(str(v))
        print(sep.join(parts), end=end, file=stream)

    emit._tf_op_type = "PrintV2"
    trace = _recording.trace_here()
    values = [x._v if isinstance(x, TensorBase) else x for x in inputs]
    if trace is not None:
        trace.effect(emit, list(inputs))
        if trace.dry or trace.hold_print(emit, values):
            return
    emit(*values)


def _tapes_here():
    """Whether a GradientTape of this thread is recording (traced control flow then runs as
    Python: a tape must see the ops of the branch or iterations that really run)."""
    tid = threading.get_ident()
    return any(not r._is_trace and r._thread == tid for r in tuple(_recording.recording))


def _traced_pred(trace, pred):
    """``pred`` as a tensor whose value the trace must not freeze, or None (Python rules)."""
    if trace is None or trace.suspended or _tapes_here() or not isinstance(pred, TensorBase):
        return None
    if isinstance(pred, Variable):
        from .ops.math import identity  # deferred: ops sit below; only traced conds need it
        pred = identity(pred)
    return pred if trace.depends(pred) else None


def cond(pred, true_fn=None, false_fn=None, name=None):
    """``tf.cond``: ``true_fn()`` if ``pred`` else ``false_fn()``.

    Under ``tf.function`` a ``pred`` computed from the inputs makes one traced conditional:
    both branches are traced (the branch not taken at trace time runs on the traced values
    with its variable updates undone and tf.print silent), and every call runs the branch
    its ``pred`` selects. Both must return the same structure and dtypes.
    """
    if true_fn is None or false_fn is None:
        raise TypeError("cond(): 'true_fn' and 'false_fn' arguments are required")
    if not callable(true_fn):
        raise TypeError("true_fn must be callable.")
    if not callable(false_fn):
        raise TypeError("false_fn must be callable.")
    trace = _recording.trace_here()
    traced = _traced_pred(trace, pred)
    if traced is None:
        return true_fn() if bool(pred) else false_fn()
    return _traced_cond(trace, traced, true_fn, false_fn)


def _traced_cond(trace, pred, true_fn, false_fn, check=None):
    pred_name = trace.name_of(pred, "tf.cond")
    if trace.failed is not None and trace.failure(pred) is not None:
        raise trace.failure(pred)  # the predicate comes from an op that failed
    taken = bool(np.asarray(to_host(to_host(pred._v))))
    untaken_fn, taken_fn = (false_fn, true_fn) if taken else (true_fn, false_fn)
    dry = trace.subtrace(untaken_fn, [], dry=True)
    if dry is None or dry[1] is None:  # the trace failed: finish as Python (the function
        return taken_fn()  # then runs eagerly)
    real = trace.subtrace(taken_fn, [], dry=False)
    if real[1] is None:
        return real[0]
    (r_t, p_t, c_t, f_t), (r_f, p_f, c_f, f_f) = (real, dry) if taken else (dry, real)
    if check is not None:
        check(r_t, r_f)
    _same_branch_outputs(r_t, r_f, f_t, f_f)
    run_t, run_f, nt = p_t.run, p_f.run, len(c_t)

    def run_cond(p, *caps):
        return run_t(*caps[:nt]) if p else run_f(*caps[nt:])

    result, flat = real[0], real[3]
    outs = [const(t._v) if isinstance(t, TensorBase) else t for t in flat]
    trace.control("cond", run_cond, (p_t, p_f), [pred_name] + c_t + c_f,
                  [t for t in outs if isinstance(t, TensorBase)], real[1].failed)
    return nest.pack_sequence_as(result, outs)


def _same_branch_outputs(r_t, r_f, f_t, f_f):
    try:
        nest.assert_same_structure(r_t, r_f, check_types=False)
        same = len(f_t) == len(f_f)
    except (TypeError, ValueError):
        same = False
    if not same:
        raise ValueError("true_fn and false_fn arguments to tf.cond must have the same number, "
                         f"type, and overall structure of return values.\n\ntrue_fn output: "
                         f"{r_t!r}\nfalse_fn output: {r_f!r}")
    ok = all(
        (isinstance(a, TensorBase) and isinstance(b, TensorBase) and a.dtype == b.dtype)
        or (not isinstance(a, TensorBase) and not isinstance(b, TensorBase) and a == b)
        for a, b in zip(f_t, f_f))
    if not ok:
        raise TypeError("true_fn and false_fn arguments to tf.cond must have the same number, "
                        f"type, and overall structure of return values.\n\ntrue_fn output: "
                        f"{r_t!r}\nfalse_fn output: {r_f!r}")


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10,
               back_prop=True, swap_memory=False, maximum_iterations=None, name=None):
    """``tf.while_loop``: repeats ``body`` while ``cond`` holds, returning the loop vars in
    their structure.

    Under ``tf.function``, with tensor (or number) loop vars, the loop is one traced step:
    ``cond`` and ``body`` are traced once each (their Python runs once per trace) and every
    call repeats the traced body. Loop vars keep their dtypes and shapes (TF's errors
    otherwise); other Python objects as loop vars run the loop as Python.
    """
    single = not isinstance(loop_vars, (list, tuple))
    start = 0
    trace = _recording.trace_here()
    if (trace is not None and not trace.suspended and not _tapes_here()
            and shape_invariants is None):
        flat = nest.flatten(loop_vars)
        if all(isinstance(x, (TensorBase, bool, int, float)) for x in flat):
            done = _traced_while(trace, cond, body, loop_vars, single, maximum_iterations)
            if isinstance(done, _Continue):  # not capturable after one iteration ran
                loop_vars, start = done.vars, 1
            elif done is not None:
                return done
    # NOTE: TF's eager loop holds its vars as tensors: numbers, strings and NumPy values are
    # converted, a variable gives its value; tensors and other objects stay as they are
    loop_vars = nest.map_structure(_loop_value, loop_vars)
    vars_ = [loop_vars] if single else list(loop_vars)
    i = start
    while bool(cond(*vars_)):
        if maximum_iterations is not None and i >= int(maximum_iterations):
            break
        out = body(*vars_)
        new = [out] if single or not isinstance(out, (list, tuple)) else list(out)
        nest.assert_same_structure(vars_, new)  # ValueError, as TF's
        vars_ = new
        i += 1
    if single:
        return vars_[0]
    return type(loop_vars)(vars_) if isinstance(loop_vars, tuple) else vars_


_LOOP_CONVERTED = (bool, int, float, complex, str, bytes, np.ndarray, np.generic, type(None))


def _loop_value(x):
    """A ``tf.while_loop`` var as TF's eager loop holds it (see ``while_loop``)."""
    if isinstance(x, Variable):
        return x.value()
    if isinstance(x, _LOOP_CONVERTED):
        return convert_to_tensor(x)  # None: TF's ValueError
    return x


def _traced_while(trace, cond, body, loop_vars, single, maximum_iterations):
    """One traced loop step for ``tf.while_loop``; None when the condition turns out to be a
    Python value (the loop then runs as Python, as in TF)."""
    structure = loop_vars
    flat = nest.flatten(loop_vars)
    init = []
    for x in flat:
        if isinstance(x, Variable):
            from .ops.math import identity  # deferred: ops sit below; only loops need it
            x = identity(x)
        init.append(x if isinstance(x, TensorBase) else convert_to_tensor(x))

    def pack(xs):
        return xs[0] if single else nest.pack_sequence_as(structure, list(xs))

    def cond_flat(*xs):
        return cond(*([pack(xs)] if single else pack(xs)))

    def body_flat(*xs):
        out = body(*([pack(xs)] if single else pack(xs)))
        if single and not isinstance(out, (list, tuple)):
            out = [out]
        elif single:
            out = list(out)
        return nest.flatten(out)

    c = trace.subtrace(cond_flat, init, dry=False)
    if c is None or c[1] is None:
        return None
    pred = c[0]
    if not isinstance(pred, TensorBase):
        return None
    taken = bool(np.asarray(to_host(to_host(pred._v))))
    b = trace.subtrace(body_flat, init, dry=not taken)
    if b is None:
        return None
    if b[1] is None:  # the body ran once for real; the trace failed: go on as Python
        if not taken:
            return None
        out = b[3]
        return _Continue(out[0] if single else nest.pack_sequence_as(structure, out))
    outs = b[3]
    if len(outs) != len(init):
        raise ValueError(f"The two structures don't have the same number of elements. First "
                         f"structure: {flat}, second structure: {outs}.")
    for k, (a, o) in enumerate(zip(init, outs)):
        if not isinstance(o, TensorBase):
            raise TypeError(f"Loop var {k} is {o!r} after 1 iteration: the body must return "
                            "tensors for tensor loop vars.")
        if o._v.dtype != a._v.dtype:
            raise TypeError(f"Loop var {_loop_var_name(trace, a, k)} enters the loop with type "
                            f"{a.dtype!r} but has type {o.dtype!r} after 1 iteration. "
                            f"{_loop_var_name(trace, a, k)} type should remain constant.")
        if tuple(o._v.shape) != tuple(a._v.shape):
            raise ValueError(
                f"Input tensor `{_loop_var_name(trace, a, k)}` enters the loop with shape "
                f"{_shape_text(a)}, but has shape {_shape_text(o)} after one iteration. To "
                "allow the shape to vary across iterations, use the `shape_invariants` "
                "argument of tf.while_loop to specify a less-specific shape.")
    p_c, c_caps, c_tensors = c[1], c[2], _capture_values(trace, c[2])
    p_b, b_caps, b_tensors = b[1], b[2], _capture_values(trace, b[2])
    run_c, run_b, nv, ncc = p_c.run, p_b.run, len(init), len(c_caps)
    limit = None if maximum_iterations is None else int(maximum_iterations)

    def run_while(*args):
        vals, cc, bc = args[:nv], args[nv:nv + ncc], args[nv + ncc:]
        n = 0
        while (limit is None or n < limit) and run_c(*vals, *cc)[0]:
            vals = run_b(*vals, *bc)
            n += 1
        return vals

    # the trace ran the first iteration for real (when it ran): finish the loop with the
    # traced plans, so this call's results and effects are those of every later call
    failed = None
    if taken and (limit is None or limit > 0):
        trace.show_prints()  # before the prints of the iterations run through the plans
        vals = tuple(t._v for t in outs)
        n = 1
        failed = p_b.failed
        while (limit is None or n < limit) and run_c(*vals, *c_tensors)[0]:
            vals = run_b(*vals, *b_tensors)
            n += 1
    else:
        vals = tuple(t._v for t in init)
    results = [const(v) for v in vals]
    reads = [trace.name_of(t, "tf.while_loop") for t in init] + c_caps + b_caps
    trace.control("while", run_while, (p_c, p_b), reads, results, failed)
    return pack(results) if not single else results[0]


class _Continue(NamedTuple):
    vars: object


def _capture_values(trace, names):
    """The current arrays of a nested plan's captures (by their names in ``trace``)."""
    by_name = {}
    for t in trace.keep:
        n = trace.names.get(id(t))
        if n is not None:
            by_name[n] = t
    out = []
    for n in names:
        t = by_name.get(n)
        out.append(t._v if t is not None else trace.ns[n])
    return out


def _loop_var_name(trace, t, k):
    return f"loop_var_{k}:0"


def _shape_text(t):
    return str(TensorShape(t._v.shape))


def run_effect(fn, args):
    """Run ``fn`` on the values of ``args`` now and, inside a tf.function trace, on every
    replay of the plan with the values the plan computed: for stateful updates made on
    backend arrays (optimizer steps) that the trace cannot see op by op."""
    arrays = [a._v if isinstance(a, TensorBase) else a for a in args]
    trace = _recording.trace_here()
    if trace is None or trace.suspended:
        return fn(*arrays)
    trace.effect(fn, list(args))
    if trace.dry:
        return None
    trace.suspended += 1
    try:
        return fn(*arrays)
    finally:
        trace.suspended -= 1
