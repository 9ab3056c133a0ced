"""TF-NumPy's dtype rules: the NumPy scalar types it exports, what dtype a Python value gets,
and how the dtypes of several operands promote (NumPy's table, Python scalars weak)."""
import builtins
import functools

from ... import dtypes as _dt
from ...backend import host as np
from ...tensor import TensorBase

# ``experimental_enable_numpy_behavior(prefer_float32=...)`` flips this: Python floats then
# become float32 instead of float64 (tensors and NumPy arrays keep their dtypes).
state = {"prefer_float32": False, "enabled": False}

bool_ = np.bool_
int_ = np.int64
float_ = np.float64
complex_ = np.complex128
string_ = np.bytes_
unicode_ = np.str_
object_ = np.object_
inexact = np.inexact
int8, int16, int32, int64 = np.int8, np.int16, np.int32, np.int64
uint8, uint16, uint32, uint64 = np.uint8, np.uint16, np.uint32, np.uint64
float16, float32, float64 = np.float16, np.float32, np.float64
complex64, complex128 = np.complex64, np.complex128

_PY_SCALARS = (builtins.bool, builtins.int, builtins.float, builtins.complex)


def default_float():
    """float64, or float32 after ``experimental_enable_numpy_behavior(prefer_float32=True)``."""
    return np.dtype(np.float32 if state["prefer_float32"] else np.float64)


def is_weak(x):
    """A Python scalar: it takes the dtype of the other operands. NumPy scalars are strong,
    except float64 ones with ``prefer_float32`` (TF-NumPy treats them as Python floats)."""
    if isinstance(x, np.generic):
        return state["prefer_float32"] and isinstance(x, np.float64)
    return isinstance(x, _PY_SCALARS)


def _scalar_dtype(x):
    if isinstance(x, builtins.bool):
        return np.dtype(np.bool_)
    if isinstance(x, builtins.int):
        return np.dtype(np.int64)
    if isinstance(x, builtins.float):
        return default_float()
    return np.dtype(np.complex64 if state["prefer_float32"] else np.complex128)


def np_dtype(d):
    """A NumPy dtype for a DType, a NumPy dtype or type, a Python type or a name."""
    if d is None:
        return None
    if isinstance(d, _dt.DType):
        return np.dtype(d.as_numpy_dtype)
    return np.dtype(d)


def _is_dtype_like(x):
    return isinstance(x, (_dt.DType, np.dtype, str)) or (
        isinstance(x, type) and (issubclass(x, np.generic) or x in _PY_SCALARS))


def operand_dtype(x):
    """The dtype ``x`` keeps as an operand (None for a Python scalar, which is weak)."""
    if is_weak(x):
        return None
    if isinstance(x, TensorBase):
        return x._v.dtype
    if isinstance(x, (np.ndarray, np.generic)):
        return x.dtype
    if _is_dtype_like(x):
        return np_dtype(x)
    from ._core import asarray  # a nested list: the dtype asarray infers

    return asarray(x)._v.dtype


def result_np(*args):
    """The NumPy dtype of an operation on ``args`` (TF-NumPy's ``result_type``)."""
    strong = [d for d in (operand_dtype(a) for a in args) if d is not None]
    weak = [a for a in args if is_weak(a)]
    if not strong:  # only Python scalars: the default dtype of the highest kind among them
        if not weak:
            return default_float()
        return builtins.max((_scalar_dtype(w) for w in weak), key=lambda d: "biufc".index(
            d.kind))
    r = functools.reduce(np.promote_types, strong)
    for w in weak:
        r = np.result_type(r, w.item() if isinstance(w, np.generic) else w)  # NEP 50: kind
    return r


def result_type(*arrays_and_dtypes):
    """The dtype (a ``tf.DType``) NumPy's promotion gives ``arrays_and_dtypes``; Python
    scalars count only by kind (``result_type(np.int8, 2) == tf.int8``)."""
    return _dt.as_dtype(result_np(*arrays_and_dtypes))


def promote_types(type1, type2):
    """The smallest NumPy dtype both ``type1`` and ``type2`` convert to safely."""
    return np.promote_types(np_dtype(type1), np_dtype(type2))


def issubdtype(arg1, arg2):
    """Whether ``arg1`` is lower than or equal to ``arg2`` in NumPy's type hierarchy."""
    if isinstance(arg1, _dt.DType):
        arg1 = arg1.as_numpy_dtype
    if isinstance(arg2, _dt.DType):
        arg2 = arg2.as_numpy_dtype
    return np.issubdtype(arg1, arg2)


def finfo(dtype):
    """Machine limits of a floating dtype (NumPy's ``finfo``; it also takes a ``tf.DType``)."""
    return np.finfo(np_dtype(dtype))


iinfo = np.iinfo  # TF-NumPy exports NumPy's class itself
