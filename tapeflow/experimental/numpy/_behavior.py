"""``experimental_enable_numpy_behavior``: NumPy's methods on tensors (``.T``, ``.reshape``,
``.astype``...), NumPy type promotion in the Python operators and NumPy indexing in ``[]``.

It patches ``TensorBase`` once (process-wide, as TF does); the originals are kept so that
tests can undo it (``_disable``)."""
import tapeflow as tf

from ...backend import host as np
from ...tensor import TensorBase
from . import _core
from ._dtypes import is_weak, result_np, state

_BINARY = ["__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
           "__truediv__", "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__",
           "__rmod__", "__pow__", "__rpow__", "__lt__", "__le__", "__gt__", "__ge__",
           "__eq__", "__ne__", "__and__", "__rand__", "__or__", "__ror__", "__xor__",
           "__rxor__", "__matmul__", "__rmatmul__"]
_METHODS = ["T", "astype", "clip", "data", "flatten", "max", "mean", "min", "ravel",
            "reshape", "size", "tolist", "transpose", "__getitem__"]
_saved = {}


def _operand(x, d):
    if isinstance(x, TensorBase):
        return x if x._v.dtype == d else tf.cast(x, d)
    return tf.constant(_core._host_value(x, d)) if is_weak(x) else _core.asarray(x, d)


def _promoting(orig):
    def method(self, other):
        try:
            d = result_np(self, other)
        except (TypeError, ValueError):
            return orig(self, other)
        if self._v.dtype == d and ((is_weak(other) and not isinstance(other, np.generic)) or (
                isinstance(other, TensorBase) and other._v.dtype == d)):
            return orig(self, other)
        try:
            other = _operand(other, d)
        except (TypeError, ValueError):
            return orig(self, other)
        return orig(_operand(self, d), other)

    method.__name__ = orig.__name__ if hasattr(orig, "__name__") else "method"
    method.__doc__ = "The Python operator with NumPy's type promotion."
    return method


def _numpy_key(key):
    if isinstance(key, tuple):
        return tuple(_numpy_key(k) for k in key)
    if isinstance(key, TensorBase):
        return key.numpy()
    if isinstance(key, list):
        return np.asarray([_numpy_key(k) for k in key])
    return key


def _getitem(orig):
    def getitem(self, key):
        try:
            return orig(self, key)
        except TypeError:  # lists, int tensors, bool masks: NumPy's advanced indexing
            return _core._at(self, _core._positions(self)[_numpy_key(key)])

    getitem.__doc__ = "``t[key]`` with NumPy's indexing rules (advanced indexing included)."
    return getitem


def _reshape(self, *args, **kwargs):
    """``self`` in a new shape, given as one sequence or as several ints."""
    shape = args[0] if len(args) == 1 else list(args)
    return _core.reshape(self, shape, kwargs.get("order", "C"))


def _astype(self, dtype):
    """``self`` cast to ``dtype`` (a DType, NumPy dtype or name)."""
    return tf.cast(self, _core.np_dtype(dtype))


def _transpose(self, *axes):
    """``self`` with its axes reversed or permuted by ``axes``."""
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (list, tuple))):
        axes = axes[0]
    return _core.transpose(self, axes or None)


def _tolist(self):
    """The value as nested Python lists."""
    return self.numpy().tolist()


_NEW = {
    "T": property(lambda self: _core.transpose(self), doc="The transposed tensor."),
    "astype": _astype,
    "clip": lambda self, a_min, a_max: _core.clip(self, a_min, a_max),
    "data": property(lambda self: self, doc="The tensor itself."),
    "flatten": lambda self, order="C": _core.flatten(self, order),
    "max": lambda self, axis=None, keepdims=None: _core.amax(self, axis, keepdims=keepdims),
    "mean": lambda self, axis=None, dtype=None, out=None, keepdims=None: _core.mean(
        self, axis, dtype, out, keepdims),
    "min": lambda self, axis=None, keepdims=None: _core.amin(self, axis, keepdims=keepdims),
    "ravel": lambda self: _core.ravel(self),
    "reshape": _reshape,
    "size": property(lambda self: np.int64(self._v.size), doc="The number of elements."),
    "tolist": _tolist,
    "transpose": _transpose,
}


def experimental_enable_numpy_behavior(prefer_float32=False, dtype_conversion_mode="legacy"):
    """Give every tensor NumPy's methods (``T``, ``reshape``, ``ravel``, ``astype``, ``size``,
    ``tolist``...), NumPy promotion in its operators (``int32 tensor + 2.5`` is float64) and
    NumPy indexing; ``prefer_float32`` makes Python floats float32 in TF-NumPy.

    Only ``dtype_conversion_mode='legacy'`` is supported."""
    if dtype_conversion_mode != "legacy":
        raise NotImplementedError(
            f"tapeflow supports only dtype_conversion_mode='legacy', got "
            f"{dtype_conversion_mode!r}")
    state["prefer_float32"] = bool(prefer_float32)
    if state["enabled"]:
        return
    state["enabled"] = True
    for name in _BINARY + _METHODS:
        _saved[name] = TensorBase.__dict__.get(name)
    for name in _BINARY:
        orig = getattr(TensorBase, name, None)
        if orig is not None:
            setattr(TensorBase, name, _promoting(orig))
    TensorBase.__getitem__ = _getitem(TensorBase.__getitem__)
    for name, value in _NEW.items():
        if callable(value) and not isinstance(value, property):
            value.__doc__ = value.__doc__ or f"NumPy's ``ndarray.{name}`` for tensors."
        setattr(TensorBase, name, value)


def _disable():
    """Undo ``experimental_enable_numpy_behavior`` (for tests; TF has no such switch)."""
    if not state["enabled"]:
        return
    for name, value in _saved.items():
        if value is None:
            if name in TensorBase.__dict__:
                delattr(TensorBase, name)
        else:
            setattr(TensorBase, name, value)
    _saved.clear()
    state["enabled"] = False
    state["prefer_float32"] = False
