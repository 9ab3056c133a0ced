"""``tf.experimental.numpy``: NumPy's API over tapeflow tensors, with NumPy's dtype rules
(Python ints become int64 and floats float64, operands promote like NumPy's). Results are
``tf.Tensor`` (``ndarray`` is ``tf.Tensor``) and differentiable ones record on a
``GradientTape``. Loaded on first use of ``tf.experimental.numpy``."""
from . import random  # noqa: F401
from ._behavior import experimental_enable_numpy_behavior  # noqa: F401
from ._core import *  # noqa: F403
from ._core import __all__ as _core_names
from ._dtypes import (  # noqa: F401
    bool_,
    complex64,
    complex128,
    complex_,
    finfo,
    float16,
    float32,
    float64,
    float_,
    iinfo,
    inexact,
    int8,
    int16,
    int32,
    int64,
    int_,
    issubdtype,
    object_,
    promote_types,
    result_type,
    string_,
    uint8,
    uint16,
    uint32,
    uint64,
    unicode_,
)

__all__ = sorted(_core_names + [
    "random", "experimental_enable_numpy_behavior", "bool_", "complex64", "complex128",
    "complex_", "finfo", "float16", "float32", "float64", "float_", "iinfo", "inexact", "int8",
    "int16", "int32", "int64", "int_", "issubdtype", "object_", "promote_types", "result_type",
    "string_", "uint8", "uint16", "uint32", "uint64", "unicode_"])
