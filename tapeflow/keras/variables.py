"""Keras 3's own variable and state scopes: ``keras.Variable``, ``keras.StatelessScope`` and
``keras.SymbolicScope``.

``keras.Variable`` is a ``tf.Variable`` with Keras's constructor (an initializer and a shape,
or a value), ``path``, ``value`` and repr, so it works wherever a tapeflow variable does
(tapes, optimizers, ops, layers). A layer's weights (``add_weight``) count as
``keras.Variable`` instances in ``isinstance`` checks, as they are in Keras.

>>> import tapeflow as tf
>>> v = tf.keras.Variable(initializer="ones", shape=(2,), name="w")
>>> v
<Variable path=w, shape=(2,), dtype=float32, value=[1. 1.]>
>>> with tf.keras.StatelessScope(state_mapping=[(v, [5.0, 6.0])]) as scope:
...     _ = v.assign_add([1.0, 1.0])
...     scope.get_current_value(v).numpy()
array([6., 7.], dtype=float32)
>>> v.numpy()
array([1., 1.], dtype=float32)
"""
import threading

from .. import dtypes
from ..backend import host as np
from ..backend import to_host
from ..tensor import Tensor, TensorBase, convert_to_tensor
from ..variable import Variable as _TFVariable
from ..variable import _name_scope_stack, _read
from . import backend, initializers

_STATE = threading.local()  # per thread: the open StatelessScopes and SymbolicScopes


def _stack(kind):
    stack = getattr(_STATE, kind, None)
    if stack is None:
        stack = []
        setattr(_STATE, kind, stack)
    return stack


class _ValueRead(Tensor):
    """What ``keras.Variable.value`` gives: the variable's value as a Tensor that can also be
    called, so code written for ``tf.Variable.value()`` keeps working on a Keras variable."""

    __slots__ = ()

    def __call__(self):
        return self

    def __tf_tensor__(self, dtype=None, name=None):
        return self


class _KerasVariableType(type):
    """``isinstance(layer.weights[0], keras.Variable)`` holds, as in Keras: a variable made
    by a layer's ``add_weight`` (it has a ``path``) counts as a Keras variable."""

    def __instancecheck__(cls, obj):
        if type.__instancecheck__(cls, obj):
            return True
        return (cls is Variable and type(obj) is _TFVariable
                and "path" in obj.__dict__)


_CREATE_IN_SCOPE = (
    "You are attempting to create a variable while in a stateless scope. This is disallowed. "
    "Make sure that all variables are created before you start using your layer/model "
    "objects.\n\nIn some cases, you might be seeing this error because you need to implement "
    "a `def build(self, input_shape)` method on your layer/model, which will create its "
    "variables.\n\nIn some other cases, you might be seeing this error because you are "
    "instantiating a `Variable` and assigning it to a layer without going through "
    "self.add_variable()/self.add_weight(). Always prefer using these methods (with a "
    "`shape` and `initializer` argument).")


def _initial_value(initializer, shape, dtype):
    """The first value of a Keras variable: an initializer (a name, an ``Initializer`` or a
    callable taking ``(shape, dtype)``) called on ``shape``, or a value converted to ``dtype``."""
    if isinstance(initializer, str):
        initializer = initializers.get(initializer)
    if callable(initializer):
        if shape is None:
            raise ValueError("When creating a Variable from an initializer, the `shape` "
                             f"argument should be specified. Received: initializer="
                             f"{initializer} and shape={shape}")
        dtype = dtypes.as_dtype(dtype or backend.floatx())
        value = initializer(tuple(shape), dtype=dtype)
        return convert_to_tensor(value if isinstance(value, TensorBase) else
                                 np.asarray(value, dtype.as_numpy_dtype))
    if in_stateless_scope():
        raise ValueError(_CREATE_IN_SCOPE)
    if isinstance(initializer, TensorBase):
        value = to_host(initializer._v)
    elif initializer is None:
        raise ValueError(f"Attempt to convert a value ({initializer}) with an unsupported type "
                         f"({type(initializer)}) to a Tensor.")
    else:
        value = convert_to_tensor(initializer)._v
    if dtype is not None:
        value = np.asarray(to_host(value)).astype(dtypes.as_dtype(dtype).as_numpy_dtype)
    return convert_to_tensor(value)


class Variable(_TFVariable, metaclass=_KerasVariableType):
    """Keras 3's variable: a ``tf.Variable`` made from an initializer and a shape, or a value.

    Args:
        initializer: an initializer (name, ``keras.initializers`` object or callable of
            ``(shape, dtype)``; needs ``shape``), or an initial value.
        shape, dtype: the variable's shape and dtype (dtype defaults to ``floatx()`` for an
            initializer, to the value's own dtype otherwise).
        trainable: whether tapes watch it and optimizers train it (default True).
        autocast, aggregation, synchronization, layout: accepted as Keras does.
        name: a name without ``/`` (default ``variable``, ``variable_1``...); ``path`` adds
            the enclosing ``keras.name_scope``\\s.

    ``value`` is a property (the current value as a Tensor, also callable as
    ``tf.Variable.value()`` is); ``assign*`` return the new value.
    """

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, autocast=True,
                 aggregation="none", synchronization="auto", name=None, layout=None,
                 **kwargs):
        if kwargs:
            raise TypeError(f"Unexpected keyword argument(s): {tuple(kwargs)}")
        if name is None:
            name = backend.unique_name("variable")
        if not isinstance(name, str) or "/" in name:
            raise ValueError("Argument `name` must be a string and cannot contain character "
                             f"`/`. Received: name={name}")
        value = _initial_value(initializer, shape, dtype)
        super().__init__(value, trainable=bool(trainable), name=name)
        self.__dict__["path"] = "/".join([*_name_scope_stack, name])
        self.__dict__["_keras_name"] = name
        self.__dict__["autocast"] = bool(autocast)
        self.__dict__["_aggregation"] = aggregation
        self.__dict__["_synchronization"] = synchronization
        self.__dict__["regularizer"] = None
        self.__dict__["overwrite_with_gradient"] = False

    @property
    def name(self):
        """The variable's own name (``path`` has the enclosing scopes)."""
        return self.__dict__["_keras_name"]

    @property
    def aggregation(self):
        return self.__dict__["_aggregation"]

    @property
    def synchronization(self):
        return self.__dict__["_synchronization"]

    @property
    def value(self):
        """The current value as a Tensor (the scope's value inside a ``StatelessScope``)."""
        scope = get_stateless_scope()
        if scope is not None:
            current = scope.get_current_value(self)
            if current is not None:
                current.__class__ = _ValueRead
                return current
        t = _read(self)
        t.__class__ = _ValueRead  # same layout: the tape keeps its record of this read
        return t

    def _remember(self):
        scope = get_stateless_scope()
        if scope is not None:
            scope._remember(self)

    def assign(self, value):
        """Set the value; returns the new value (a Tensor)."""
        self._remember()
        t = convert_to_tensor(value)
        if tuple(t.shape) != tuple(self.shape):
            raise ValueError("The shape of the target variable and the shape of the target "
                             "value in `variable.assign(value)` must match. variable.shape="
                             f"{tuple(self.shape)}, Received: value.shape={tuple(t.shape)}. "
                             f"Target variable: {self!r}")
        if t._v.dtype != self._v.dtype:
            t = convert_to_tensor(np.asarray(to_host(t._v)).astype(self._v.dtype))
        super().assign(t)
        return self.value

    def assign_add(self, value):
        """Add ``value``; returns the new value."""
        self._remember()
        super().assign_add(value)
        return self.value

    def assign_sub(self, value):
        """Subtract ``value``; returns the new value."""
        self._remember()
        super().assign_sub(value)
        return self.value

    def __iadd__(self, other):  # Keras: a new tensor, the variable unchanged
        return self.value + other

    def __isub__(self, other):
        return self.value - other

    def __imul__(self, other):
        return self.value * other

    def __itruediv__(self, other):
        return self.value / other

    def __setitem__(self, key, value):
        raise TypeError("'Variable' object does not support item assignment")

    def __len__(self):
        raise TypeError("object of type 'Variable' has no len()")

    def __repr__(self):
        text = np.array2string(np.asarray(to_host(self._v)))
        return (f"<Variable path={self.path}, shape={tuple(self.shape)}, "
                f"dtype={self.dtype.name}, value={text}>")

    __str__ = __repr__

    def __reduce__(self):
        return _rebuild, (self.numpy(), self.trainable, self.name)

    def __deepcopy__(self, memo):
        return Variable(self.numpy(), trainable=self.trainable, name=self.name)


def _rebuild(value, trainable, name):
    return Variable(value, trainable=trainable, name=name)


class StatelessScope:
    """A scope where variables keep their values: assignments inside it are seen inside it
    (``get_current_value``) and undone when it closes.

    Args:
        state_mapping: ``(variable, value)`` pairs; inside the scope each variable reads as
            its value. Any tapeflow variable may be mapped (a layer's weights too).
        collect_losses: whether ``add_loss`` collects losses into ``losses``.
        initialize_variables: accepted as Keras does (tapeflow initialises at creation).

    Mapped variables and ``keras.Variable``\\s assigned inside the scope get their old
    values back on exit. NOTE: tapeflow computes eagerly, so the scope swaps the values in
    and out of the variables themselves; other threads see the swapped values meanwhile.
    """

    def __init__(self, state_mapping=None, collect_losses=False, initialize_variables=True):
        self.collect_losses = collect_losses
        self.initialize_variables = initialize_variables
        self.losses = []
        self._mapping = []
        for var, value in state_mapping or ():
            if not isinstance(var, _TFVariable):
                raise ValueError("Invalid reference variable in StatelessScope: all keys in "
                                 "argument `mapping` must be Variable instances. Received "
                                 f"instead: {var}")
            array = np.asarray(to_host(value._v) if isinstance(value, TensorBase) else value)
            if tuple(array.shape) != tuple(var.shape):
                raise ValueError("Invalid variable value in StatelessScope: all values in "
                                 "argument `mapping` must be tensors with a shape that "
                                 "matches the corresponding variable shape. For variable "
                                 f"{var!r}, received invalid value {array} with shape "
                                 f"{array.shape}.")
            self._mapping.append((var, array.astype(to_host(var._v).dtype)))
        self._saved = {}  # id(variable) -> (variable, its value before the scope)

    def _remember(self, var):
        if id(var) not in self._saved:
            self._saved[id(var)] = (var, var._v)

    def __enter__(self):
        _stack("stateless").append(self)
        for var, array in self._mapping:
            self._remember(var)
            var._v = convert_to_tensor(array)._v
        return self

    def __exit__(self, *exc):
        for var, original in reversed(list(self._saved.values())):
            var._v = original
        self._saved = {}
        stack = _stack("stateless")
        if self in stack:
            stack.remove(self)
        return False

    def get_current_value(self, variable):
        """The variable's value in this scope (a Tensor), or None when the scope neither
        maps nor assigned it."""
        if id(variable) in self._saved:
            return Tensor(variable._v)
        return None

    def add_loss(self, loss):
        """Collect ``loss`` (kept when the scope collects losses)."""
        if self.collect_losses:
            self.losses.append(loss)

    def add_update(self, update):
        """Apply ``update`` (a ``(variable, value)`` pair): seen in this scope, undone when it
        closes."""
        variable, value = update
        self._remember(variable)
        variable.assign(value)


class SymbolicScope:
    """Marks the symbolic stage (Keras builds and traces inside it). tapeflow runs eagerly,
    so the scope changes nothing but ``in_symbolic_scope()``."""

    def __enter__(self):
        _stack("symbolic").append(self)
        return self

    def __exit__(self, *exc):
        stack = _stack("symbolic")
        if self in stack:
            stack.remove(self)
        return False


def get_stateless_scope():
    """The innermost open ``StatelessScope`` of this thread, or None."""
    stack = _stack("stateless")
    return stack[-1] if stack else None


def in_stateless_scope():
    """Whether a ``StatelessScope`` is open in this thread."""
    return bool(_stack("stateless"))


def get_symbolic_scope():
    """The innermost open ``SymbolicScope`` of this thread, or None."""
    stack = _stack("symbolic")
    return stack[-1] if stack else None


def in_symbolic_scope():
    """Whether a ``SymbolicScope`` is open in this thread."""
    return bool(_stack("symbolic"))
