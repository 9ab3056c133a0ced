"""``tf.Variable``: a mutable, optionally trainable tensor. Assignment rebinds the backend
array (never writes into it), so tensors read earlier keep their values."""
import itertools
import threading

from . import backend, dtypes
from ._recording import recording, trace_here
from .ops import _core, _device
from .tensor import TensorBase, TensorShape, as_shape, const, convert_to_tensor

_uid = itertools.count()
_name_scope_stack = []  # filled by tf.name_scope


class VariableAggregation:
    NONE, SUM, MEAN, ONLY_FIRST_REPLICA = 0, 1, 2, 3


class VariableSynchronization:
    AUTO, NONE, ON_WRITE, ON_READ = 0, 1, 2, 3


def _row_major(a):
    """``a`` C-contiguous: a variable's value always is. NOTE: e.g. a QR factor (Orthogonal)
    or a transposed array is not, and elementwise updates that mix it with row-major
    gradients run several times slower."""
    return a if a.flags.c_contiguous else backend.xp_of(a).ascontiguousarray(a)


@_core.register_variable_type
class Variable(TensorBase):
    """A tensor whose value can change through ``assign``; ops read its current value."""

    __slots__ = ("_v", "_name", "trainable", "_shape", "constraint", "_uid", "__weakref__",
                 "__dict__")

    def __init__(self, initial_value=None, trainable=None, validate_shape=True,
                 caching_device=None, name=None, variable_def=None, dtype=None,
                 import_scope=None, constraint=None, synchronization=None, aggregation=None,
                 shape=None, experimental_enable_variable_lifting=True):
        if initial_value is None:
            raise ValueError("The `initial_value` arg (None) must be specified.")
        if callable(initial_value):
            initial_value = initial_value()
        if dtype is not None:
            dtype = dtypes.as_dtype(dtype)
            if isinstance(initial_value, TensorBase):
                initial_value = initial_value._v.astype(dtype._np, copy=False)
                initial_value = const(initial_value)
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
            trace = trace_here()
            if trace is not None:
                trace.created_variable(self)

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
        self._v = _row_major(t._v)
        if recording:
            trace = trace_here()
            if trace is not None:
                trace.assign(self, "assign", t)
        return _Unread(self) if read_value else None

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        t = self._checked(delta)
        self._v = self._v + t._v
        if recording:
            trace = trace_here()
            if trace is not None:
                trace.assign(self, "add", t)
        return _Unread(self) if read_value else None

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        t = self._checked(delta)
        self._v = self._v - t._v
        if recording:
            trace = trace_here()
            if trace is not None:
                trace.assign(self, "sub", t)
        return _Unread(self) if read_value else None

    def _assign_raw(self, array):
        """Rebind to a backend array of the same shape and dtype (optimizers' fast path)."""
        self._v = array
        if recording:
            trace = trace_here()
            if trace is not None:
                trace.assign_raw(self)

    def __repr__(self):
        return (f"<tf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}, "
                f"numpy={self._value_text(True)}>")

    __str__ = __repr__

    def __setitem__(self, key, value):
        raise TypeError(f"'{type(self).__module__}.{type(self).__name__}' object does not "
                        "support item assignment; use assign() or scatter_nd_update()")

    def numpy(self):
        return TensorBase.numpy(self)

    def __reduce__(self):
        return _rebuild_variable, (self.numpy(), self.trainable, self._shared_name)

    def __deepcopy__(self, memo):
        return Variable(self._v.copy(), trainable=self.trainable, name=self._shared_name)


def _rebuild_variable(value, trainable, name):
    return Variable(value, trainable=trainable, name=name)


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


def _read(var):
    """A Tensor snapshot of ``var`` that watching tapes connect back to the variable."""
    if isinstance(var, _Unread):
        var = var._parent
    t = _core.snapshot(var)
    tid = threading.get_ident()
    for tape in recording:
        if tape._is_trace or tape._thread != tid:
            continue
        if t._v.dtype.kind == "f" and (id(var) in tape._ids or (tape._auto and var.trainable)):
            tape._read(var, t)
    return t

