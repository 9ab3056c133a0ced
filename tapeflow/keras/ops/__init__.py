"""``tf.keras.ops``: Keras 3's backend-agnostic operations (NumPy-style functions, neural
network ops, linear algebra, control flow) on tapeflow tensors, with Keras's dtype rules.

>>> import tapeflow as tf
>>> tf.keras.ops.add(tf.constant([1, 2]), 1.5)
<tf.Tensor: shape=(2,), dtype=float32, numpy=array([2.5, 3.5], dtype=float32)>
>>> tf.keras.ops.mean(tf.constant([1, 2])).dtype
tf.float32
"""
from . import image, linalg, nn, numpy  # noqa: F401
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
