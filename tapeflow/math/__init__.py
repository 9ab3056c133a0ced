"""``tf.math``: elementwise math, reductions and comparisons."""
from ..ops.math import *  # noqa: F403
from ..ops.math import COMPLEX_PARTS, angle, conj, imag, real  # noqa: F401
from ..ops.math import __all__ as _m
from ..ops.reduction import *  # noqa: F403
from ..ops.reduction import __all__ as _r
from ..ops.sorting import top_k

__all__ = list(_m) + list(_r) + ["top_k"] + COMPLEX_PARTS
