"""``tf.math``: elementwise math, reductions and comparisons."""
from ..ops import extra as _extra
from ..ops.math import *  # noqa: F403
from ..ops.math import COMPLEX_PARTS, angle, conj, imag, real  # noqa: F401
from ..ops.math import __all__ as _m
from ..ops.reduction import *  # noqa: F403
from ..ops.reduction import __all__ as _r
from ..ops.sorting import top_k

for _name in _extra.MATH:
    globals()[_name] = getattr(_extra, _name)
from ..ops.nn import (  # noqa: E402 - TF's tf.math aliases
    l2_normalize,
    log_softmax,
    softmax,
    softsign,
)

__all__ = list(_m) + list(_r) + ["top_k"] + COMPLEX_PARTS + list(_extra.MATH) + [
    "log_softmax", "softmax", "softsign", "l2_normalize"]
