"""tapeflow: TensorFlow 2's eager programming model on NumPy. ``import tapeflow as tf``.

Importing this package loads NumPy and the core only; ``tf.keras`` and ``tf.data`` load on
first use, so ``import tapeflow`` stays fast and silent.
"""
import importlib as _importlib
import warnings as _warnings

from . import dtypes, errors, nest  # noqa: F401
from ._version import TF_API_VERSION as __version__  # TF-compatible string
from ._version import __version__ as __tapeflow_version__
from .dtypes import (  # noqa: F401
    DType, as_dtype, bool, double, float16, float32, float64, half, int8, int16,
    int32, int64, string, uint8, uint16, uint32, uint64,
)
from .dtypes import complex64, complex128  # noqa: F401
from .framework import config, debugging, device, executing_eagerly  # noqa: F401
from .custom_gradient import custom_gradient, init_scope, numpy_function, py_function  # noqa: F401
from .function import cond, function, while_loop  # noqa: F401
from .function import tf_print as print  # noqa: F401 - TF's name
from .module import Module, name_scope  # noqa: F401
from .ops.array import *
from .ops.indexing import *
from .ops.linalg import einsum, matmul, norm, tensordot  # noqa: F401
from .ops.math import *
from .ops.reduction import *
from .ops.sorting import *
from .ops.extra import *
from .tape import GradientTape, UnconnectedGradients  # noqa: F401
from .tensor import Tensor, TensorShape, constant, convert_to_tensor, is_tensor  # noqa: F401
from .tensor_array import TensorArray  # noqa: F401
from .variable import Variable, VariableAggregation, VariableSynchronization  # noqa: F401
from . import autodiff, linalg, math, nn, random  # noqa: F401

newaxis = None

# NOTE: TF computes log(0) = -inf, 1/0 = inf and exp overflow silently; NumPy warns. Silence
# NumPy's floating-point RuntimeWarnings raised from tapeflow's own modules only.
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"tapeflow(\.|$)")


class version:  # TF's ``tf.version`` namespace
    """``tf.version.VERSION``: the TF API level tapeflow follows; ``TAPEFLOW_VERSION``: its own."""

    VERSION = __version__
    TAPEFLOW_VERSION = __tapeflow_version__


_LAZY = {"keras": ".keras", "data": ".data", "train": ".train",
         "export": ".keras.saving.export", "distribute": ".distribute",
         "experimental": ".experimental", "summary": ".summary", "signal": ".signal",
         "ragged": ".ragged", "sparse": ".sparse", "strings": ".strings",
         "autograph": ".autograph", "types": ".types", "io": ".io", "image": ".image",
         "audio": ".audio",
         # TF 2.x keeps these Keras namespaces at the top level (tf.metrics.BinaryAccuracy)
         "metrics": ".keras.metrics", "losses": ".keras.losses",
         "optimizers": ".keras.optimizers", "initializers": ".keras.initializers"}
_LAZY_NAMES = {"TensorSpec": (".data", "TensorSpec"), "bfloat16": (".dtypes", "bfloat16"),
               "vectorized_map": (".data._vectorize", "vectorized_map"),
               "as_string": (".strings", "as_string"),
               "RaggedTensor": (".ragged", "RaggedTensor"),
               "RaggedTensorSpec": (".ragged", "RaggedTensorSpec"),
               "SparseTensor": (".sparse", "SparseTensor"),
               "SparseTensorSpec": (".sparse", "SparseTensorSpec")}


def __getattr__(name):
    """Load the heavier subpackages (keras, data) on first use."""
    if name in _LAZY:
        value = _importlib.import_module(_LAZY[name], __name__)
    elif name in _LAZY_NAMES:
        module, attr = _LAZY_NAMES[name]
        value = getattr(_importlib.import_module(module, __name__), attr)
    else:
        raise AttributeError(f"module 'tapeflow' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + list(_LAZY) + list(_LAZY_NAMES))
