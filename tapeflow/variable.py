"""``tf.Variable``: a mutable, optionally trainable tensor. Assignment rebinds the backend
array (never writes into it), so tensors read earlier keep their values."""
import itertools
import threading

from . import backend, dtypes
from ._recording import recording, trace_here
from .backend import host as np
from .errors import InvalidArgumentError
from .ops import _core, _device, indexing
from .ops.array import STRIDED_SLICE, _getitem, _normalize_key, is_mask_key
from .ops.math import IDENTITY
from .tensor import Tensor, TensorBase, TensorShape, as_shape, convert_to_tensor

_uid = itertools.count()
_name_scope_stack = []  # filled by tf.name_scope
_creator_stack = []  # filled by tf.variable_creator_scope, innermost last
_VARIABLE_ARGS = ("initial_value", "trainable", "validate_shape", "caching_device", "name",
                  "variable_def", "dtype", "import_scope", "constraint", "synchronization",
                  "aggregation", "shape", "experimental_enable_variable_lifting")


class VariableAggregation:
    """How a variable's updates combine across replicas (TF's enum; tapeflow keeps ``NONE``)."""
    NONE, SUM, MEAN, ONLY_FIRST_REPLICA = 0, 1, 2, 3


class VariableSynchronization:
    """When a variable is synchronised across replicas (TF's enum)."""
    AUTO, NONE, ON_WRITE, ON_READ = 0, 1, 2, 3


def _tell_trace(hook, *args):
    """Call ``hook`` of the calling thread's ``tf.function`` trace, if one is recording."""
    trace = trace_here()
    if trace is not None:
        getattr(trace, hook)(*args)


def _row_major(a):
    """``a`` C-contiguous: a variable's value always is. NOTE: e.g. a QR factor (Orthogonal)
    or a transposed array is not, and elementwise updates that mix it with row-major
    gradients run several times slower."""
    return a if a.flags.c_contiguous else backend.xp_of(a).ascontiguousarray(a)


@_core.register_variable_type
class Variable(TensorBase):
    """A tensor whose value can change through ``assign``; ops read its current value.

    Args:
        initial_value: a tensor, a Python or NumPy value (copied), or a callable giving one.
        trainable: whether tapes watch it automatically (default True).
        name, dtype, shape, constraint: as in TF (a tensor of another dtype is refused).

    >>> v = tf.Variable([1.0, 2.0])
    >>> _ = v.assign_add([1.0, 1.0])
    >>> v.numpy()
    array([2., 3.], dtype=float32)
    """

    __slots__ = ("_v", "_name", "trainable", "_shape", "constraint", "_uid", "__weakref__",
                 "__dict__")

    def __new__(cls, *args, **kwargs):
        if not _creator_stack or cls is not Variable:
            return object.__new__(cls)
        return _create_through_scopes(dict(zip(_VARIABLE_ARGS, args), **kwargs))

    def __init__(self, initial_value=None, trainable=None, validate_shape=True,
                 caching_device=None, name=None, variable_def=None, dtype=None,
                 import_scope=None, constraint=None, synchronization=None, aggregation=None,
                 shape=None, experimental_enable_variable_lifting=True):
        if _creator_stack and self.__dict__.pop("_made_by_creator", False):
            return  # already built by the creator chain in __new__
        if initial_value is None:
            raise ValueError("The `initial_value` arg (None) must be specified.")
        if callable(initial_value):
            initial_value = initial_value()
        if dtype is not None:
            dtype = dtypes.as_dtype(dtype)
            if isinstance(initial_value, TensorBase) and initial_value._v.dtype != dtype._np:
                if isinstance(initial_value, Variable):
                    raise ValueError(
                        f"Incompatible type conversion requested to type {dtype.name} for "
                        f"`tf.Variable of type {initial_value.dtype.name}. (Variable: "
                        f"{initial_value!r})")
                raise ValueError(
                    f"initial_value: Tensor conversion requested dtype {dtype.name} for "
                    f"Tensor with dtype {initial_value.dtype.name}: {initial_value!r}")
        value = convert_to_tensor(initial_value, dtype)
        self._v = _row_major(value._v)
        if backend.placement:  # placed at creation, on the current device, as in TF
            self._v = backend.put_new(self._v)
        self.trainable = True if trainable is None else bool(trainable)
        if synchronization == VariableSynchronization.ON_READ and trainable is None:
            self.trainable = False
        self._shape = self._v.shape if shape is None else as_shape(shape)
        if shape is not None and not self._shape.is_compatible_with(self._v.shape):
            raise ValueError(f"The initial value's shape ({list(self._v.shape)}) is not "
                             f"compatible with the explicitly supplied `shape` argument "
                             f"({self._shape}).")
        base = name if name is not None else "Variable"
        if _name_scope_stack:
            base = "/".join(_name_scope_stack) + "/" + base
        self._name = base if base.endswith(":0") else base + ":0"
        self.constraint = constraint
        self._uid = next(_uid)
        if recording:
            _tell_trace("created_variable", self)

    # -- identity -------------------------------------------------------------------------
    @property
    def name(self):
        return self._name

    @property
    def _shared_name(self):
        return self._name[:-2] if self._name.endswith(":0") else self._name

    @property
    def _unique_id(self):
        return f"Variable_{self._uid}"

    @property
    def shape(self):
        s = self._shape
        return s if isinstance(s, TensorShape) else TensorShape(s)

    @property
    def handle(self):
        return self

    @property
    def synchronization(self):
        return VariableSynchronization.AUTO

    @property
    def aggregation(self):
        return VariableAggregation.NONE

    def __hash__(self):
        raise TypeError("Variable is unhashable. Instead, use variable.ref() as the key.")

    # -- reading ----------------------------------------------------------------------------
    def value(self):
        """The current value as a Tensor (recorded as a read on watching tapes)."""
        return _read(self)

    read_value = value

    def __tf_tensor__(self, dtype=None, name=None):
        t = _read(self)
        if dtype is not None and t._v.dtype != dtypes.as_dtype(dtype)._np:
            raise ValueError(f"Incompatible type conversion requested to type "
                             f"'{dtypes.as_dtype(dtype).name}' for variable of type "
                             f"'{self.dtype.name}' (name: {self.name})")
        return t

    # -- writing ----------------------------------------------------------------------------
    def _checked(self, value):
        t = convert_to_tensor(value, dtypes.from_numpy(self._v.dtype))
        v = t._v
        if backend.placement:  # the value moves to the variable's device
            dev = backend.device_of(self._v)
            dev.select()  # assign_add/sub compute on the variable's device
            if backend.device_of(v) is not dev:
                t = _device.copy_to(t, dev)  # recorded, so tf.function plans copy too
                v = t._v
        if v.shape != self._v.shape:
            shape = self._shape
            ok = isinstance(shape, TensorShape) and shape.is_compatible_with(v.shape)
            if not ok:
                raise ValueError(
                    f"Cannot assign value to variable ' {self._name}': Shape mismatch.The "
                    f"variable shape {self.shape}, and the assigned value shape "
                    f"{TensorShape(v.shape)} are incompatible."
                )
        return t

    def assign(self, value, use_locking=None, name=None, read_value=True):
        t = self._checked(value)
        if recording:  # first: a trace refuses a value that failed (function._Trace.assign)
            _tell_trace("assign", self, "assign", t)
        self._v = _row_major(t._v)
        return _Unread(self) if read_value else None

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        t = self._checked(delta)
        if recording:  # first: a trace refuses a value that failed (function._Trace.assign)
            _tell_trace("assign", self, "add", t)
        self._v = self._v + t._v
        return _Unread(self) if read_value else None

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        t = self._checked(delta)
        if recording:  # first: a trace refuses a value that failed (function._Trace.assign)
            _tell_trace("assign", self, "sub", t)
        self._v = self._v - t._v
        return _Unread(self) if read_value else None

    def _assign_raw(self, array):
        """Rebind to a backend array of the same shape and dtype (optimizers' fast path)."""
        if recording:  # first: a dry trace keeps the value to put back
            _tell_trace("assign_raw", self)
        self._v = array

    def __repr__(self):
        return (f"<tf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}, "
                f"numpy={self._value_text(True)}>")

    __str__ = __repr__

    # -- in-place operators: TF refuses them rather than rebinding the name to a tensor ------
    def __iadd__(self, other):
        raise RuntimeError(
            "`variable += value` with `tf.Variable`s is not supported. Use "
            "`variable.assign_add(value)` to modify the variable, or `out = variable + value` "
            "if you need to get a new output Tensor.")

    def __isub__(self, other):
        raise RuntimeError(
            "`variable -= value` with `tf.Variable`s is not supported. Use "
            "`variable.assign_sub(value)` to modify the variable, or `out = variable - value` "
            "if you need to get a new output Tensor.")

    def __imul__(self, other):
        raise _inplace_error("*")

    def __itruediv__(self, other):
        raise _inplace_error("/")

    def __ipow__(self, other):
        raise _inplace_error("**")

    def __setitem__(self, key, value):
        raise TypeError("'tapeflow.variable.Variable' object does not support item assignment; "
                        "use v[...].assign(value), v.assign(value) or "
                        "v.scatter_nd_update(indices, updates)")

    # -- sliced assignment and scatters -----------------------------------------------------
    def __getitem__(self, key):
        """``v[key]``: the slice's value (a read, as for a tensor), with ``.assign(value)``
        writing ``value`` into that slice of the variable (TF's strided-slice assignment)."""
        var = self._base()
        if is_mask_key(key):
            return _getitem(var, key)  # a boolean mask: a read, as in TF (no .assign)
        key = _normalize_key(var, key)
        out = _core.apply(STRIDED_SLICE, (var,), {"key": key})
        ref = _SliceRef(out._v)
        ref._var, ref._key = var, key
        if recording:  # the result stands for the slice on tapes and traces
            _core.record(IDENTITY, (out,), ref, {})
        return ref

    def _scattered(self, new):
        """Take ``new`` (a scatter of this variable's value) as the value; returns what TF
        returns (the variable, unread)."""
        return self.assign(new)

    def _base(self):
        return self._parent if isinstance(self, _Unread) else self

    def scatter_nd_update(self, indices, updates, name=None):
        """Write ``updates`` at ``indices`` (as ``tf.tensor_scatter_nd_update``)."""
        return self._scatter_nd("update", indices, updates)

    def scatter_nd_add(self, indices, updates, name=None):
        """Add ``updates`` at ``indices`` (repeated indices add up)."""
        return self._scatter_nd("add", indices, updates)

    def scatter_nd_sub(self, indices, updates, name=None):
        """Subtract ``updates`` at ``indices`` (repeated indices add up)."""
        return self._scatter_nd("sub", indices, updates)

    def scatter_nd_min(self, indices, updates, name=None):
        """Each entry at ``indices`` becomes the minimum of itself and its updates."""
        return self._scatter_nd("min", indices, updates)

    def scatter_nd_max(self, indices, updates, name=None):
        """Each entry at ``indices`` becomes the maximum of itself and its updates."""
        return self._scatter_nd("max", indices, updates)

    def _scatter_nd(self, kind, indices, updates):
        v = self._base()
        return v._scattered(indexing.resource_scatter_nd(kind, _core.snapshot(v), indices,
                                                         updates))

    def _scatter(self, kind, sparse_delta):
        v = self._base()
        return v._scattered(indexing.resource_scatter(kind, _core.snapshot(v), sparse_delta))

    def scatter_update(self, sparse_delta, use_locking=False, name=None):
        """Write rows ``sparse_delta.values`` at ``sparse_delta.indices`` (a tf.IndexedSlices)."""
        return self._scatter("update", sparse_delta)

    def scatter_add(self, sparse_delta, use_locking=False, name=None):
        """Add ``sparse_delta.values`` to the rows at ``sparse_delta.indices``."""
        return self._scatter("add", sparse_delta)

    def scatter_sub(self, sparse_delta, use_locking=False, name=None):
        """Subtract ``sparse_delta.values`` from the rows at ``sparse_delta.indices``."""
        return self._scatter("sub", sparse_delta)

    def scatter_mul(self, sparse_delta, use_locking=False, name=None):
        """Multiply the rows at ``sparse_delta.indices`` by ``sparse_delta.values``."""
        return self._scatter("mul", sparse_delta)

    def scatter_div(self, sparse_delta, use_locking=False, name=None):
        """Divide the rows at ``sparse_delta.indices`` by ``sparse_delta.values``."""
        return self._scatter("div", sparse_delta)

    def scatter_min(self, sparse_delta, use_locking=False, name=None):
        """Rows at ``sparse_delta.indices`` become the minimum of themselves and the values."""
        return self._scatter("min", sparse_delta)

    def scatter_max(self, sparse_delta, use_locking=False, name=None):
        """Rows at ``sparse_delta.indices`` become the maximum of themselves and the values."""
        return self._scatter("max", sparse_delta)

    def batch_scatter_update(self, sparse_delta, use_locking=False, name=None):
        """``scatter_update`` per batch entry: indices of shape ``batch + [n]`` address the
        variable's axis ``len(batch)``."""
        v = self._base()
        return v._scattered(indexing.resource_batch_scatter_update(_core.snapshot(v),
                                                                   sparse_delta))

    def numpy(self):
        return TensorBase.numpy(self)

    def __reduce__(self):
        return _rebuild_variable, (self.numpy(), self.trainable, self._shared_name)

    def __deepcopy__(self, memo):
        return Variable(self._v.copy(), trainable=self.trainable, name=self._shared_name)


def _rebuild_variable(value, trainable, name):
    return Variable(value, trainable=trainable, name=name)


def _inplace_error(op):
    return RuntimeError(
        f"`var {op}= value` with `tf.Variable`s is not supported. Use "
        f"`var.assign(var {op} value)` to modify the variable, or `out = var {op} value` if you "
        "need to get a new output Tensor.")


class _Unread(Variable):
    """What ``assign`` returns: the same variable, printed as TF prints it ('UnreadVariable')."""

    __slots__ = ("_parent",)

    def __init__(self, parent):
        self._parent = parent

    @property
    def _v(self):
        return self._parent._v

    @property
    def _name(self):
        return "UnreadVariable"

    @property
    def _shape(self):
        return self._parent._shape

    @property
    def trainable(self):
        return self._parent.trainable

    @property
    def constraint(self):
        return self._parent.constraint

    def assign(self, *a, **k):
        return self._parent.assign(*a, **k)

    def assign_add(self, *a, **k):
        return self._parent.assign_add(*a, **k)

    def assign_sub(self, *a, **k):
        return self._parent.assign_sub(*a, **k)

    def __tf_tensor__(self, dtype=None, name=None):
        return self._parent.__tf_tensor__(dtype, name)


def _slice_assign_fwd(a, value, key):
    out = a.copy()
    slot = out[key]
    if slot.size:  # TF writes nothing (and checks nothing) for an empty slice
        extra = value.ndim - slot.ndim  # leading dimensions of size 1, dropped
        out[key] = value.reshape(value.shape[extra:]) if extra > 0 else value
    return out


# NOTE: no gradient, as in TF: a variable's later reads are new values, not functions of the
# assigned one (tape.gradient of a read w.r.t. the assigned value is None).
SLICE_ASSIGN = _core.Op("ResourceStridedSliceAssign", _slice_assign_fwd, None, None,
                        same_dtype=False)


class _SliceRef(Tensor):
    """What ``v[key]`` gives for a variable ``v``: the slice's value, as a Tensor, with
    ``assign`` (TF attaches ``assign`` to the sliced EagerTensor the same way)."""

    __slots__ = ("_var", "_key")

    def __tf_tensor__(self, dtype=None, name=None):
        return self

    def __setitem__(self, key, value):
        raise TypeError("'tapeflow.tensor.Tensor' object does not support item assignment")

    def assign(self, val, name=None):
        """Write ``val`` (broadcast to the slice's shape) into this slice of the variable;
        returns the variable, as ``Variable.assign`` does."""
        var, key = self._var, self._key
        t = convert_to_tensor(val, dtypes.from_numpy(var._v.dtype))
        final = self._v.shape
        vs = t._v.shape
        if self._v.size and not _broadcasts_into(vs, final):
            raise InvalidArgumentError(
                None, "ResourceStridedSliceAssign",
                f"Cannot broadcast input shape {_dims(vs)} into final shape {_dims(final)} "
                "[Op:ResourceStridedSliceAssign] name: strided_slice/_assign")
        new = _core.apply(SLICE_ASSIGN, (_core.snapshot(var), t), {"key": key})
        return var.assign(new)


def _dims(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


def _broadcasts_into(vs, final):
    """TF's rule for a sliced assignment's value: it broadcasts to the slice's shape, extra
    leading dimensions of size 1 allowed."""
    try:
        b = np.broadcast_shapes(tuple(vs), tuple(final))
    except ValueError:
        return False
    extra = len(b) - len(final)
    return b[extra:] == tuple(final) and all(d == 1 for d in b[:extra])


def _read(var):
    """A Tensor snapshot of ``var`` that watching tapes connect back to the variable."""
    var = var._base()
    t = _core.snapshot(var)
    tid = threading.get_ident()
    for tape in tuple(recording):  # a copy: other threads may push or pop meanwhile
        if tape._is_trace or tape._thread != tid:
            continue
        if t._v.dtype.kind in "fc" and (id(var) in tape._ids or (tape._auto and var.trainable)):
            tape._read(var, t)
    return t


def _create_through_scopes(kwargs):
    """Build a Variable through the creators of the open ``variable_creator_scope``s, the
    innermost first; the last ``next_creator`` builds the variable itself."""
    def default(**kw):
        var = object.__new__(Variable)
        Variable.__init__(var, **kw)
        return var

    def chain(index):
        if index < 0:
            return default
        creator = _creator_stack[index]
        nxt = chain(index - 1)
        return lambda **kw: creator(nxt, **kw)

    full = {name: None for name in _VARIABLE_ARGS}
    full.update(validate_shape=True, synchronization=VariableSynchronization.AUTO,
                aggregation=VariableAggregation.NONE)
    full.update(kwargs)
    var = chain(len(_creator_stack) - 1)(**full)
    if isinstance(var, Variable):
        var.__dict__["_made_by_creator"] = True  # Python calls __init__ next: skip it once
    return var


class variable_creator_scope:  # TF's name
    """Context manager routing ``tf.Variable(...)`` through ``variable_creator``.

    Inside it, creating a variable calls ``variable_creator(next_creator, **kwargs)`` with
    the constructor's arguments as keywords; the creator may change them and call
    ``next_creator(**kwargs)`` (the next outer scope's creator, or the plain constructor),
    or return something else.

    Args:
      variable_creator: the creator function.
    """

    def __init__(self, variable_creator):
        self._creator = variable_creator

    def __enter__(self):
        _creator_stack.append(self._creator)
        return None

    def __exit__(self, *exc):
        _creator_stack.pop()
        return False
