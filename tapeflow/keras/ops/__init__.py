"""``tf.keras.ops``: Keras 3's backend-agnostic operations (NumPy-style functions, neural
network ops, linear algebra, control flow) on tapeflow tensors, with Keras's dtype rules.

>>> import tapeflow as tf
>>> tf.keras.ops.add(tf.constant([1, 2]), 1.5)
<tf.Tensor: shape=(2,), dtype=float32, numpy=array([2.5, 3.5], dtype=float32)>
>>> tf.keras.ops.mean(tf.constant([1, 2])).dtype
tf.float32
"""
import sys as _sys

from . import _symbolic, core, image, linalg, math, nn, numpy
from .core import *  # noqa: F403
from .core import map, slice  # noqa: F401
from .linalg import (  # noqa: F401
    cholesky,
    cholesky_inverse,
    det,
    eig,
    eigh,
    inv,
    jvp,
    lstsq,
    lu_factor,
    matrix_rank,
    norm,
    pinv,
    qr,
    solve,
    solve_triangular,
    svd,
)
from .math import *  # noqa: F403
from .nn import *  # noqa: F403
from .numpy import *  # noqa: F403
from .numpy import abs, all, any, max, min, round, sum  # noqa: F401

# keras.ops on KerasTensors build functional-graph nodes (ops/_symbolic.py)
for _m in (core, image, linalg, math, nn, numpy):
    _symbolic.install(_m)
_symbolic.install(_sys.modules[__name__])
del _m
