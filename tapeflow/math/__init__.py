"""``tf.math``: elementwise math, reductions and comparisons."""
from ..ops.extra import MATH as _extra_math
from ..ops.extra import (  # noqa: F401
    accumulate_n,
    acosh,
    atan2,
    bincount,
    confusion_matrix,
    cumulative_logsumexp,
    digamma,
    erfc,
    erfinv,
    in_top_k,
    invert_permutation,
    is_non_decreasing,
    is_strictly_increasing,
    lgamma,
    multiply_no_nan,
    polyval,
    rint,
    scalar_mul,
    segment_max,
    segment_mean,
    segment_min,
    segment_prod,
    segment_sum,
    unsorted_segment_max,
    unsorted_segment_mean,
    unsorted_segment_min,
    unsorted_segment_prod,
    unsorted_segment_sqrt_n,
    unsorted_segment_sum,
    xdivy,
    xlog1py,
    zero_fraction,
)
from ..ops.math import *  # noqa: F403
from ..ops.math import COMPLEX_PARTS, angle, conj, imag, real  # noqa: F401
from ..ops.math import __all__ as _m
from ..ops.nn import (
    l2_normalize,
    log_softmax,
    softmax,
    softsign,
)
from ..ops.nn_more import approx_max_k, approx_min_k
from ..ops.reduction import *  # noqa: F403
from ..ops.reduction import __all__ as _r
from ..ops.sampling import sobol_sample
from ..ops.sorting import top_k
from ..ops.special import (
    bessel_i0,
    bessel_i0e,
    bessel_i1,
    bessel_i1e,
    betainc,
    erfcinv,
    igamma,
    igammac,
    lbeta,
    ndtri,
    nextafter,
    polygamma,
    zeta,
)
from . import special

__all__ = list(_m) + list(_r) + ["top_k"] + COMPLEX_PARTS + list(_extra_math) + [
    "log_softmax", "softmax", "softsign", "l2_normalize", "approx_max_k", "approx_min_k",
    "sobol_sample", "bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e", "betainc", "erfcinv",
    "igamma", "igammac", "lbeta", "ndtri", "nextafter", "polygamma", "zeta", "special"]
