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
import functools
import logging
import sys
import threading
import weakref
from typing import NamedTuple

from . import _graph_replay, _recording, nest
from .backend import host as np
from .backend import to_host
from .framework import config
from .tensor import TensorBase, const, convert_to_tensor, summary_text
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
STEP_KINDS = (OP, RANDOM, EFFECT, READ, ASSIGN)
_ALWAYS_KEPT = (EFFECT, ASSIGN)  # steps that stay in the plan when nothing reads their result


class PlanStep(NamedTuple):
    """One statement of a plan: its ``kind`` (one of ``STEP_KINDS``) and its ``target``, the
    ``Op`` it runs (op, random), the Python function it calls (effect) or the ``Variable`` it
    reads or assigns (read, assign)."""

    kind: str
    target: object

    @property
    def host_side_effect(self):
        """Whether the step is Python that must run on the host on every call."""
        return self.kind == EFFECT

    @property
    def draws_random(self):
        """Whether the step draws new random values on every call (one draw must not be
        replayed twice)."""
        return self.kind == RANDOM


class Plan:
    """One traced signature, ready to replay.

    * ``run(*input_arrays)``: the generated function; returns the tuple of output arrays,
      reading variables' arrays and rebinding assigned variables as it goes;
    * ``steps``: its statements in order, as ``PlanStep``s (dead code left out);
    * ``variables``: the variables those steps read or assign, in order of first use (a
      Python effect may touch others);
    * ``source``: the generated code, for people to read.
    """

    __slots__ = ("run", "steps", "variables", "source")

    def __init__(self, run, steps, source):
        self.run = run
        self.steps = tuple(steps)
        self.variables = tuple({id(s.target): s.target for s in self.steps
                                if s.kind in (READ, ASSIGN)}.values())
        self.source = source

    def kinds(self):
        """The set of step kinds in the plan."""
        return {s.kind for s in self.steps}

    def __repr__(self):
        return f"<Plan of {len(self.steps)} steps: {sorted(self.kinds())}>"


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
            return name
        i = id(t)
        name = self.names.get(i)
        if name is not None:
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

    def bind(self, t, name):
        self.names[id(t)] = name
        self.computed.add(name)
        self.keep.append(t)

    # -- hooks called by the core -------------------------------------------------------------
    def op(self, op, inputs, out, attrs):
        if self.suspended:
            return
        args = [self.name_of(t, op.name) for t in inputs]
        fname = self._new("f")
        self.ns[fname] = op.fwd
        call = ", ".join(args)
        if attrs:
            aname = self._new("a")
            self.ns[aname] = attrs
            call += f"{', ' if args else ''}**{aname}"
        name = self._new()
        step = PlanStep(RANDOM if op.random else OP, op)
        self._emit(f"{name} = {fname}({call})", step, tuple(args), name)
        self.bind(out, name)

    def read_var(self, var, snapshot):
        if self.suspended:
            return
        name = self._new()
        self._emit(f"{name} = {self._var(var)}._v", PlanStep(READ, var), (), name)
        self.bind(snapshot, name)

    # NOTE: the hooks below are reached through ``_recording.trace_here()`` (this thread's
    # trace); while a recorded side effect runs for real (``suspended``) they ignore it.
    def assign(self, var, kind, value):
        if self.suspended:
            return
        src = self.name_of(value, "assign")
        v = self._var(var)
        if kind == "assign":
            line = f"{v}._v = {src}"
        else:
            line = f"{v}._v = {v}._v {'+' if kind == 'add' else '-'} {src}"
        self._emit(line, PlanStep(ASSIGN, var), (src,))

    def assign_raw(self, var):
        if self.suspended:
            return
        self.fail(f"variable {var.name} was updated outside assign/assign_add/assign_sub")

    def orphan(self, t):
        if self.suspended:
            return
        self.orphans.add(id(t))
        self.keep.append(t)

    def read_value(self, t, what):
        if self.suspended:
            return
        if isinstance(t, Variable):
            self.fail(f"the function reads variable {t.name}'s value with {what} (Python "
                      "control flow or NumPy on a traced value)")
            return
        i = id(t)
        if self.names.get(i) in self.computed or i in self.orphans:
            self.fail(f"the function converts a traced tensor to a Python value with {what} "
                      "(e.g. `if x > 0:` or .numpy()); use tf.cond/tf.where or run eagerly")

    def created_variable(self, v):
        if self.suspended:
            return
        if not self.first:
            raise ValueError("tf.function only supports singleton tf.Variables created on the "
                             "first call. Make sure the tf.Variable is only created once or "
                             "created outside tf.function.")
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
        self._emit(f"{fname}({', '.join(names)})", PlanStep(EFFECT, fn), reads)

    # -- code generation ---------------------------------------------------------------------
    def build(self, input_names, output_names):
        """The ``Plan``: the recorded lines that effects, assignments or outputs need."""
        live = set(output_names)
        keep = [False] * len(self.lines)
        for k in range(len(self.lines) - 1, -1, -1):
            reads, writes, step = self.uses[k]
            if step.kind in _ALWAYS_KEPT or (writes is not None and writes in live):
                keep[k] = True
                live.update(reads)
        body = [line for line, k in zip(self.lines, keep) if k]
        steps = [use[2] for use, k in zip(self.uses, keep) if k]
        ret = ", ".join(output_names)
        src = (f"def plan({', '.join(input_names)}):\n"
               + "".join(f"    {line}\n" for line in body)
               + f"    return ({ret}{',' if len(output_names) == 1 else ''})\n")
        ns = dict(self.ns)
        exec(compile(src, "<tf.function plan>", "exec"), ns)  # our own codegen
        return Plan(ns["plan"], steps, src)


def _leaf_key(x):
    if isinstance(x, Variable):
        return ("var", id(x))
    if isinstance(x, TensorBase):
        v = x._v
        return ("tensor", v.shape, v.dtype.str)
    if hasattr(x, "__array__") and hasattr(x, "shape") and hasattr(x, "dtype"):
        return ("tensor", tuple(x.shape), x.dtype.str)
    try:
        hash(x)
        return ("py", type(x).__name__, x)
    except TypeError:
        return ("obj", id(x))


def _describe(i, a, b):
    if a[0] == b[0] == "tensor":
        if a[1] != b[1]:
            return f"argument {i} shape {a[1]} -> {b[1]}"
        return f"argument {i} dtype {a[2]} -> {b[2]}"
    return f"argument {i} {a[1:]!r} -> {b[1:]!r}"


class ConcreteFunction:
    """One traced signature: its ``Plan`` (None when it runs eagerly) and how to call it."""

    def __init__(self, fn, plan, tensor_positions, out_structure, out_leaves,
                 eager_reason=None):
        self._fn = fn
        self.plan = plan
        self._plan = None if plan is None else plan.run
        self.plan_source = None if plan is None else plan.source
        self._positions = tensor_positions
        self._structure = out_structure
        self._leaves = out_leaves  # per output leaf: True (plan value) or the Python value
        self.eager_reason = eager_reason
        # On a GPU the plan may replay as a CUDA graph (_graph_replay.py); None on CPU.
        self._gpu = None if plan is None else _graph_replay.runner_for(plan)

    def _run(self, flat_args):
        arrays = []
        for p in self._positions:
            x = flat_args[p]
            arrays.append(x._v if isinstance(x, TensorBase) else x)
        outs = iter(self._plan(*arrays) if self._gpu is None else self._gpu(arrays))
        leaves = [const(next(outs)) if leaf is True else leaf for leaf in self._leaves]
        return nest.pack_sequence_as(self._structure, leaves)

    def __call__(self, *args, **kwargs):
        return self._fn(*args, **kwargs)


class Function:
    """A callable that traces ``python_function`` per input signature (see module doc)."""

    def __init__(self, python_function, input_signature=None, autograph=True,
                 jit_compile=None, reduce_retracing=False, name=None):
        self._python_function = python_function
        self.input_signature = input_signature
        self._cache = {}
        self._tracing_count = 0
        self._last_key = None
        self._warned = set()
        self._retraced = set()  # signatures traced again after a first trace made variables
        self._instances = weakref.WeakKeyDictionary()
        functools.update_wrapper(self, python_function)

    @property
    def python_function(self):
        return self._python_function

    def experimental_get_tracing_count(self):
        return self._tracing_count

    def __get__(self, instance, owner):
        if instance is None:
            return self
        try:
            bound = self._instances.get(instance)
        except TypeError:
            bound = None
        if bound is None:
            bound = Function(self._python_function.__get__(instance, owner),
                             self.input_signature)
            try:
                self._instances[instance] = bound
            except TypeError:
                pass
        return bound

    def _key(self, args, kwargs):
        flat = nest.flatten((args, kwargs))
        return flat, tuple(_leaf_key(x) for x in flat)

    def __call__(self, *args, **kwargs):
        if _recording.active_here() or _functions_run_eagerly():
            # inside another trace: inline; under an outer GradientTape: run eagerly so the
            # tape records the ops and gradients flow through the function
            return self._python_function(*args, **kwargs)
        flat, key = self._key(args, kwargs)
        concrete = self._cache.get(key)
        if concrete is None:
            concrete = self._trace(args, kwargs, flat, key)
            if concrete is None:  # the first run already happened eagerly during tracing
                return self._eager_result
        if concrete._plan is None:
            return self._python_function(*args, **kwargs)
        return concrete._run(flat)

    def get_concrete_function(self, *args, **kwargs):
        flat, key = self._key(args, kwargs)
        concrete = self._cache.get(key)
        if concrete is None:
            self._trace(args, kwargs, flat, key, execute=False)
            concrete = self._cache[key]
        return concrete

    def _trace(self, args, kwargs, flat, key, execute=True):
        """Run the Python function once, recording it; returns the ConcreteFunction, or None
        when the recording could not be trusted (the eager result is kept in that case)."""
        if self._last_key is not None:
            reasons = [_describe(i, a, b) for i, (a, b) in enumerate(zip(self._last_key, key))
                       if a != b] or ["a new input structure"]
            msg = f"tf.function {self.__name__!r} retracing: " + "; ".join(reasons)
            if self._tracing_count + 1 >= _DEPTH_WARN:
                _log.warning("%s (%d traces so far; pass tensors of fixed shapes or an "
                             "input_signature to avoid it)", msg, self._tracing_count + 1)
            else:
                _log.info(msg)
        self._tracing_count += 1
        self._last_key = key
        trace = _Trace(first=self._tracing_count == 1)
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
        t_args, t_kwargs = nest.pack_sequence_as((args, kwargs), traced_flat)
        _recording.push(trace)
        try:
            result = self._python_function(*t_args, **t_kwargs)
        finally:
            _recording.pop(trace)
        out_flat = nest.flatten(result)
        out_names, leaves = [], []
        if trace.unsafe is None:
            for t in out_flat:
                if isinstance(t, TensorBase) and not isinstance(t, Variable):
                    out_names.append(trace.name_of(t, "the function's result"))
                    leaves.append(True)
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
            self._tracing_count -= 1  # the retrace replaces this one
            self._last_key = None
            if not execute:
                return self._trace(args, kwargs, flat, key, execute=False)
        elif trace.unsafe is not None:
            if key not in self._warned:
                self._warned.add(key)
                _log.warning("tf.function %r runs eagerly for this input signature: %s.",
                             self.__name__, trace.unsafe)
            concrete = ConcreteFunction(self._python_function, None, tensor_positions, None,
                                        None, trace.unsafe)
        else:
            concrete = ConcreteFunction(self._python_function,
                                        trace.build(input_names, out_names), tensor_positions,
                                        result, leaves)
        if not retry:
            self._cache[key] = concrete
            if not execute:
                return concrete
        # the tracing run executed the function for real (variables assigned, outputs computed)
        self._eager_result = nest.pack_sequence_as(
            result, [const(t._v) if isinstance(t, TensorBase) and not isinstance(t, Variable)
                     else t for t in out_flat])
        return None

    def __repr__(self):
        return f"<tapeflow.function.Function {self.__name__!r}>"


def _to_array(x):
    return convert_to_tensor(x)._v


def _functions_run_eagerly():
    return config.functions_run_eagerly()


def function(func=None, input_signature=None, autograph=True, jit_compile=None,
             reduce_retracing=False, experimental_implements=None,
             experimental_autograph_options=None, experimental_relax_shapes=None,
             experimental_compile=None, experimental_follow_type_hints=None, name=None):
    """Decorator compiling a Python function into traced plans (``@tf.function``)."""
    def decorate(f):
        return Function(f, input_signature, autograph, jit_compile, reduce_retracing, name)

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

    trace = _recording.trace_here()
    if trace is not None:
        trace.effect(emit, list(inputs))
    emit(*[x._v if isinstance(x, TensorBase) else x for x in inputs])


def cond(pred, true_fn=None, false_fn=None, name=None):
    """``tf.cond``: calls one branch. Under tf.function a traced ``pred`` makes that signature
    run eagerly (its value decides which ops run)."""
    if true_fn is None or false_fn is None:
        raise TypeError("cond(): 'true_fn' and 'false_fn' arguments are required")
    return true_fn() if bool(pred) else false_fn()


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10,
               back_prop=True, swap_memory=False, maximum_iterations=None, name=None):
    """``tf.while_loop``: repeats ``body`` while ``cond`` holds, returning the loop vars in
    their structure."""
    single = not isinstance(loop_vars, (list, tuple))
    vars_ = [loop_vars] if single else list(loop_vars)
    i = 0
    while bool(cond(*vars_)):
        if maximum_iterations is not None and i >= int(maximum_iterations):
            break
        out = body(*vars_)
        vars_ = [out] if single or not isinstance(out, (list, tuple)) else list(out)
        i += 1
    if single:
        return vars_[0]
    return type(loop_vars)(vars_) if isinstance(loop_vars, tuple) else vars_


def run_effect(fn, args):
    """Run ``fn`` on the values of ``args`` now and, inside a tf.function trace, on every
    replay of the plan with the values the plan computed: for stateful updates made on
    backend arrays (optimizer steps) that the trace cannot see op by op."""
    arrays = [a._v if isinstance(a, TensorBase) else a for a in args]
    trace = _recording.trace_here()
    if trace is None or trace.suspended:
        return fn(*arrays)
    trace.effect(fn, list(args))
    trace.suspended += 1
    try:
        return fn(*arrays)
    finally:
        trace.suspended -= 1
