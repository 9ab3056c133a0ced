"""Special functions of ``tf.math`` and ``tf.math.special`` on NumPy alone: Bessel functions,
incomplete gamma and beta functions, zeta and polygamma, inverse error functions, Dawson's and
Fresnel's integrals, the exponential integral and Spence's function.

Each forward works in float64 on the host (power series, continued fractions, asymptotic
expansions and Newton steps, chosen per region so that every value is good to about 1e-13
relative) and casts back to the input dtype. Gradients follow TF: where TF has none for an
argument (the order of ``polygamma``, ``a`` and ``b`` of ``betainc``, ``x`` of ``zeta``) the
rule gives None.

``MATH`` lists the names ``tf.math`` adds and ``SPECIAL`` those of ``tf.math.special``.
"""
import math as _pymath

from ..backend import host as np
from ..backend import to_host
from ..errors import NotFoundError
from ..errors import _invalid as invalid
from ..tensor import TensorBase, convert_to_tensor
from ._core import Op, apply
from .extra import _digamma_fwd, _lgamma_host, lgamma
from .math import (
    cos,
    equal,
    exp,
    log,
    negative,
    reciprocal,
    sign,
    sin,
    square,
    subtract,
    where,
)
from .reduction import reduce_sum

MATH = ["bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e", "betainc", "erfcinv", "igamma",
        "igammac", "lbeta", "ndtri", "nextafter", "polygamma", "zeta"]
SPECIAL = ["bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e", "bessel_j0", "bessel_j1",
           "bessel_k0", "bessel_k0e", "bessel_k1", "bessel_k1e", "bessel_y0", "bessel_y1",
           "dawsn", "expint", "fresnel_cos", "fresnel_sin", "spence"]
__all__ = [
    "bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e", "bessel_j0", "bessel_j1", "bessel_k0",
    "bessel_k0e", "bessel_k1", "bessel_k1e", "bessel_y0", "bessel_y1", "betainc", "dawsn",
    "erfcinv", "expint", "fresnel_cos", "fresnel_sin", "igamma", "igammac", "lbeta", "ndtri",
    "nextafter", "polygamma", "spence", "zeta",
]

_EULER = 0.5772156649015329
_F64 = np.float64


# The ops whose CPU kernels TF builds for float and double only (half finds no kernel).
_NO_HALF_KERNEL = ("Igamma", "Igammac", "Ndtri", "Erfcinv", "Dawsn", "Spence", "Expint",
                   "FresnelCos", "FresnelSin")
_TF_NAMES = {"float16": "half", "float32": "float", "float64": "double"}


def _float(x, opname, allowed="half, float, double"):
    t = x if isinstance(x, TensorBase) else convert_to_tensor(x)
    name = _TF_NAMES.get(t.dtype.name, t.dtype.name)
    if t._v.dtype.kind != "f" or name not in allowed.split(", "):
        raise invalid(opname, f"Value for attr 'T' of {name} is not in the list of "
                      f"allowed values: {allowed}")
    if name == "half" and opname in _NO_HALF_KERNEL:
        kernel = "Ndtri" if opname == "Erfcinv" else opname
        raise NotFoundError(None, kernel, f"Could not find device for node: {{{{node {kernel}}}}}"
                            f" = {kernel}[T=DT_HALF]: its CPU kernels take float and double "
                            f"only [Op:{kernel}]")
    return t


def _host64(a):
    return np.asarray(to_host(a), dtype=_F64)


def _elementwise64(fn64, *arrays):
    """``fn64`` on the float64 host copies of ``arrays``, broadcast and flattened to 1-D (the
    kernels index with masks), reshaped back and cast to the first array's dtype."""
    args = np.broadcast_arrays(*[_host64(a) for a in arrays])
    with np.errstate(all="ignore"):
        out = fn64(*[a.reshape(-1) for a in args])
    return np.asarray(out).reshape(args[0].shape).astype(arrays[0].dtype)


def _unary(name, fn64, grad=None):
    """An elementwise Op computing ``fn64`` in float64 on the host."""
    return Op(name, lambda a: _elementwise64(fn64, a), grad, "f")


def _vec(fn):
    u = np.frompyfunc(fn, 1, 1)
    return lambda x: np.asarray(u(x), dtype=_F64) if x.size else x.copy()


_ERFC64 = _vec(_pymath.erfc)
_LGAMMA64 = _vec(_lgamma_host)


def _until(step, state, cap):
    """Run ``step(state, k)`` for k = 1, 2, ... until it reports every term converged."""
    for k in range(1, cap):
        if step(state, k):
            break
    return state


# -- modified Bessel functions I0, I1 ---------------------------------------------------------
def _bessel_i_scaled(x, order):
    """exp(-|x|) I_order(|x|): the power series below 25, Hankel's expansion above it."""
    ax = np.abs(x)
    out = np.empty_like(ax)
    small = ax < 25.0
    xs = ax[small]
    q = 0.25 * xs * xs
    term = np.ones_like(xs) if order == 0 else 0.5 * xs
    total = term.copy()
    for k in range(1, 200):
        term = term * q / (k * (k + order))
        total += term
        if not (term > 1e-17 * total).any():
            break
    out[small] = total * np.exp(-xs)
    xl = ax[~small]
    mu = 4.0 * order * order
    term = np.ones_like(xl)
    total = term.copy()
    for k in range(1, 40):
        term = -term * (mu - (2 * k - 1) ** 2) / (k * 8.0 * xl)
        total += term
    out[~small] = total / np.sqrt(2.0 * np.pi * xl)
    return out


def _i0e(x):
    return _bessel_i_scaled(x, 0)


def _i1e(x):
    return np.sign(x) * _bessel_i_scaled(x, 1)


def _i0(x):
    return _i0e(x) * np.exp(np.abs(x))


def _i1(x):
    return _i1e(x) * np.exp(np.abs(x))


def _i1_over_x(i1, x):
    """I1(x)/x, which is 1/2 at 0."""
    with np.errstate(all="ignore"):
        return np.where(x == 0, 0.5, i1 / np.where(x == 0, 1.0, x))


BESSEL_I1 = _unary("BesselI1", _i1, lambda n, g: (g * apply(_I1_PRIME, (n.inputs[0],), {}),))
BESSEL_I0 = _unary("BesselI0", _i0, lambda n, g: (g * apply(BESSEL_I1, (n.inputs[0],), {}),))
BESSEL_I1E = _unary("BesselI1e", _i1e, lambda n, g: (
    g * apply(_I1E_PRIME, (n.inputs[0],), {}),))
BESSEL_I0E = _unary("BesselI0e", _i0e, lambda n, g: (
    g * (apply(BESSEL_I1E, (n.inputs[0],), {}) - sign(n.inputs[0]) * n.out),))
# I1' = I0 - I1/x and (I1e)' = I0e - I1e (sign(x) + 1/x); not differentiated again
_I1_PRIME = _unary("BesselI1Grad", lambda x: _i0(x) - _i1_over_x(_i1(x), x))
_I1E_PRIME = _unary("BesselI1eGrad", lambda x: _i0e(x) - np.sign(x) * _i1e(x) - _i1_over_x(
    _i1e(x), x))


def bessel_i0(x, name=None):
    """The modified Bessel function of the first kind of order 0, elementwise.

    Args:
        x: a float tensor.
        name: unused (TF's op name).

    Returns:
        ``I0(x)``, of ``x``'s dtype.
    """
    return apply(BESSEL_I0, (_float(x, "BesselI0"),), {})


def bessel_i0e(x, name=None):
    """The exponentially scaled ``I0``: ``exp(-|x|) * I0(x)``, elementwise.

    Args:
        x: a float tensor.
        name: unused.

    Returns:
        A tensor of ``x``'s dtype.
    """
    return apply(BESSEL_I0E, (_float(x, "BesselI0e"),), {})


def bessel_i1(x, name=None):
    """The modified Bessel function of the first kind of order 1, elementwise.

    Args:
        x: a float tensor.
        name: unused.

    Returns:
        ``I1(x)``, of ``x``'s dtype.
    """
    return apply(BESSEL_I1, (_float(x, "BesselI1"),), {})


def bessel_i1e(x, name=None):
    """The exponentially scaled ``I1``: ``exp(-|x|) * I1(x)``, elementwise.

    Args:
        x: a float tensor.
        name: unused.

    Returns:
        A tensor of ``x``'s dtype.
    """
    return apply(BESSEL_I1E, (_float(x, "BesselI1e"),), {})


# -- modified Bessel functions K0, K1 ---------------------------------------------------------
def _bessel_k_scaled(x, order):
    """exp(x) K_order(x) for x > 0: the series (with I0, I1) below 2, Steed's continued
    fraction (Temme's method for K0 and K1) above it; inf at and below 0 (as TF)."""
    out = np.full_like(x, np.nan)
    out[x <= 0] = np.inf
    small = (x > 0) & (x <= 2.0)
    xs = x[small]
    lg = np.log(0.5 * xs) + _EULER
    q = 0.25 * xs * xs
    if order == 0:
        # K0 = -(ln(x/2) + g) I0 + sum q^k/(k!)^2 H_k
        term, total, h = np.ones_like(xs), np.zeros_like(xs), 0.0
        for k in range(1, 60):
            term = term * q / (k * k)
            h += 1.0 / k
            total += term * h
        k_val = -lg * _i0(xs) + total
    else:
        # K1 = 1/x + ln(x/2) I1 - (x/4) sum q^k/(k!(k+1)!) (psi(k+1) + psi(k+2))
        term = np.ones_like(xs)
        psi1 = -_EULER
        total = term * (2 * psi1 + 1.0)
        for k in range(1, 60):
            term = term * q / (k * (k + 1))
            psi1 += 1.0 / k
            total += term * (2 * psi1 + 1.0 / (k + 1))
        k_val = 1.0 / xs + np.log(0.5 * xs) * _i1(xs) - 0.25 * xs * total
    out[small] = k_val * np.exp(xs)
    big = x > 2.0
    out[big] = _k_steed(x[big], order)
    return out


def _k_steed(x, order):
    """exp(x) K0(x) or exp(x) K1(x) for x > 2 by Steed's continued fraction (Temme)."""
    b = 2.0 * (1.0 + x)
    d = 1.0 / b
    h = delh = d
    q1, q2 = np.zeros_like(x), np.ones_like(x)
    a1 = 0.25
    q = c = a1
    a = -a1
    s = 1.0 + q * delh
    for i in range(2, 400):
        a -= 2 * (i - 1)
        c = -a * c / i
        qnew = (q1 - b * q2) / a
        q1, q2 = q2, qnew
        q = q + c * qnew
        b = b + 2.0
        d = 1.0 / (b + a * d)
        delh = (b * d - 1.0) * delh
        h = h + delh
        dels = q * delh
        s = s + dels
        if (np.abs(dels / s) < 1e-17).all():
            break
    k0 = np.sqrt(np.pi / (2.0 * x)) / s
    if order == 0:
        return k0
    return k0 * (x + 0.5 - a1 * h) / x


def _k0e(x):
    return _bessel_k_scaled(x, 0)


def _k1e(x):
    return _bessel_k_scaled(x, 1)


def _k0(x):
    return _k0e(x) * np.exp(-x)


def _k1(x):
    return _k1e(x) * np.exp(-x)


BESSEL_K1 = _unary("BesselK1", _k1, lambda n, g: (
    -g * (apply(BESSEL_K0, (n.inputs[0],), {}) + n.out / n.inputs[0]),))
BESSEL_K0 = _unary("BesselK0", _k0, lambda n, g: (-g * apply(BESSEL_K1, (n.inputs[0],), {}),))
BESSEL_K1E = _unary("BesselK1e", _k1e, lambda n, g: (
    g * (n.out * (1.0 - reciprocal(n.inputs[0])) - apply(BESSEL_K0E, (n.inputs[0],), {})),))
BESSEL_K0E = _unary("BesselK0e", _k0e, lambda n, g: (
    g * (n.out - apply(BESSEL_K1E, (n.inputs[0],), {})),))


def bessel_k0(x, name=None):
    """The modified Bessel function of the second kind of order 0 (inf for x <= 0).

    Args:
        x: a float tensor.
        name: unused.

    Returns:
        ``K0(x)``, of ``x``'s dtype.
    """
    return apply(BESSEL_K0, (_float(x, "BesselK0"),), {})


def bessel_k0e(x, name=None):
    """The exponentially scaled ``K0``: ``exp(x) * K0(x)``.

    Args:
        x: a float tensor.
        name: unused.

    Returns:
        A tensor of ``x``'s dtype.
    """
    return apply(BESSEL_K0E, (_float(x, "BesselK0e"),), {})


def bessel_k1(x, name=None):
    """The modified Bessel function of the second kind of order 1 (inf for x <= 0).

    Args:
        x: a float tensor.
        name: unused.

    Returns:
        ``K1(x)``, of ``x``'s dtype.
    """
    return apply(BESSEL_K1, (_float(x, "BesselK1"),), {})


def bessel_k1e(x, name=None):
    """The exponentially scaled ``K1``: ``exp(x) * K1(x)``.

    Args:
        x: a float tensor.
        name: unused.

    Returns:
        A tensor of ``x``'s dtype.
    """
    return apply(BESSEL_K1E, (_float(x, "BesselK1e"),), {})


# -- Bessel functions J0, J1, Y0, Y1 ----------------------------------------------------------
def _hankel(x, order):
    """(J, Y) of ``order`` for x >= 25 from Hankel's asymptotic expansion."""
    mu = 4.0 * order * order
    p, q = np.ones_like(x), np.zeros_like(x)
    term = np.ones_like(x)
    for k in range(1, 40):
        term = term * (mu - (2 * k - 1) ** 2) / (k * 8.0 * x)
        if k % 2:
            q += term if k % 4 == 1 else -term
        else:
            p += -term if k % 4 == 2 else term
    chi = x - (0.5 * order + 0.25) * np.pi
    amp = np.sqrt(2.0 / (np.pi * x))
    return amp * (p * np.cos(chi) - q * np.sin(chi)), amp * (p * np.sin(chi) + q * np.cos(chi))


def _miller(x):
    """J_0 ... J_n for 1 <= x < 25 by backward recurrence normalised with
    J0 + 2 (J2 + J4 + ...) = 1; a list of arrays."""
    n = 80
    js = [None] * (n + 2)
    js[n + 1] = np.zeros_like(x)
    js[n] = np.full_like(x, 1e-30)
    for k in range(n, 0, -1):
        js[k - 1] = (2.0 * k / x) * js[k] - js[k + 1]
    norm = js[0] + 2.0 * sum(js[k] for k in range(2, n + 1, 2))
    return [j / norm for j in js[:n]]


def _bessel_jy(x, want):
    """One of J0, J1, Y0, Y1 ('j0', 'j1', 'y0', 'y1') of a float64 array."""
    ax = np.abs(x)
    out = np.empty_like(ax)
    order = int(want[1])
    small, mid, big = ax < 1.0, (ax >= 1.0) & (ax < 25.0), ax >= 25.0
    xs = ax[small]
    q = 0.25 * xs * xs
    lg = np.log(0.5 * xs)
    if want == "j0" or want == "y0":
        term, j, h, tail = np.ones_like(xs), np.ones_like(xs), 0.0, np.zeros_like(xs)
        for k in range(1, 30):
            term = -term * q / (k * k)
            h += 1.0 / k
            j += term
            tail -= term * h
        out[small] = j if want == "j0" else (2 / np.pi) * ((lg + _EULER) * j + tail)
    else:
        term = 0.5 * xs
        j = term.copy()
        psi = -_EULER
        tail = term * (2 * psi + 1.0)
        for k in range(1, 30):
            term = -term * q / (k * (k + 1))
            psi += 1.0 / k
            j += term
            tail += term * (2 * psi + 1.0 / (k + 1))
        out[small] = j if want == "j1" else (2 / np.pi) * (j * lg - 1.0 / xs) - tail / np.pi
    xm = ax[mid]
    js = _miller(xm)
    if want == "j0":
        out[mid] = js[0]
    elif want == "j1":
        out[mid] = js[1]
    else:
        lg = np.log(0.5 * xm) + _EULER
        if want == "y0":
            tail = sum(((-1) ** k / k) * js[2 * k] for k in range(1, len(js) // 2))
            out[mid] = (2 / np.pi) * (lg * js[0] - 2.0 * tail)
        else:
            tail = sum(((-1) ** k / k) * (js[2 * k - 1] - js[2 * k + 1])
                       for k in range(1, len(js) // 2 - 1))
            out[mid] = (2 / np.pi) * (lg * js[1] - js[0] / xm + tail)
    jv, yv = _hankel(ax[big], order)
    out[big] = jv if want[0] == "j" else yv
    if want == "j1":
        out = np.sign(x) * out
    elif want[0] == "y":
        out = np.where(x <= 0, -np.inf, out)
    return out


BESSEL_J1 = _unary("BesselJ1", lambda x: _bessel_jy(x, "j1"), lambda n, g: (g * (
    apply(BESSEL_J0, (n.inputs[0],), {}) - _safe_over_x(n.out, n.inputs[0], 0.5)),))
BESSEL_J0 = _unary("BesselJ0", lambda x: _bessel_jy(x, "j0"),
                   lambda n, g: (-g * apply(BESSEL_J1, (n.inputs[0],), {}),))
BESSEL_Y1 = _unary("BesselY1", lambda x: _bessel_jy(x, "y1"), lambda n, g: (g * (
    apply(BESSEL_Y0, (n.inputs[0],), {}) - n.out / n.inputs[0]),))
BESSEL_Y0 = _unary("BesselY0", lambda x: _bessel_jy(x, "y0"),
                   lambda n, g: (-g * apply(BESSEL_Y1, (n.inputs[0],), {}),))


def _safe_over_x(f, x, at_zero):
    """f / x, with ``at_zero`` where x == 0 (f vanishes there like ``at_zero * x``)."""
    zero = equal(x, 0.0)
    return where(zero, at_zero + 0.0 * x, f / where(zero, 1.0 + 0.0 * x, x))


def bessel_j0(x, name=None):
    """The Bessel function of the first kind of order 0, elementwise.

    Args:
        x: a float tensor.
        name: unused.

    Returns:
        ``J0(x)``, of ``x``'s dtype.
    """
    return apply(BESSEL_J0, (_float(x, "BesselJ0"),), {})


def bessel_j1(x, name=None):
    """The Bessel function of the first kind of order 1, elementwise.

    Args:
        x: a float tensor.
        name: unused.

    Returns:
        ``J1(x)``, of ``x``'s dtype.
    """
    return apply(BESSEL_J1, (_float(x, "BesselJ1"),), {})


def bessel_y0(x, name=None):
    """The Bessel function of the second kind of order 0 (-inf at and below 0, as TF).

    Args:
        x: a float tensor.
        name: unused.

    Returns:
        ``Y0(x)``, of ``x``'s dtype.
    """
    return apply(BESSEL_Y0, (_float(x, "BesselY0"),), {})


def bessel_y1(x, name=None):
    """The Bessel function of the second kind of order 1 (-inf at and below 0, as TF).

    Args:
        x: a float tensor.
        name: unused.

    Returns:
        ``Y1(x)``, of ``x``'s dtype.
    """
    return apply(BESSEL_Y1, (_float(x, "BesselY1"),), {})


# -- Dawson, Fresnel, exponential integral, Spence --------------------------------------------
_GL_X, _GL_W = np.polynomial.legendre.leggauss(24)


def _dawsn(x):
    """Dawson's integral: the Taylor series below 3, else the integral of
    exp(u^2 - 2|x|u) over u in [0, min(|x|, 40/|x|)] by composite Gauss-Legendre."""
    ax = np.abs(x)
    out = np.empty_like(ax)
    small = ax < 3.0
    xs = ax[small]
    term = xs.copy()
    total = term.copy()
    for k in range(1, 120):
        term = -term * 2.0 * xs * xs / (2 * k + 1)
        total += term
    out[small] = total
    xl = ax[~small][:, None]
    upper = np.minimum(xl, 40.0 / xl)
    panels = 16
    total = np.zeros_like(xl)
    for p in range(panels):
        lo, hi = upper * p / panels, upper * (p + 1) / panels
        u = 0.5 * (hi - lo) * _GL_X[None, :] + 0.5 * (hi + lo)
        total = total + 0.5 * (hi - lo) * np.sum(_GL_W * np.exp(u * u - 2.0 * xl * u), axis=1,
                                                 keepdims=True)
    out[~small] = total[:, 0]
    return np.sign(x) * out


def _fresnel(x):
    """(C(x), S(x)): the series up to 1.5, else a continued fraction for the complex
    error function (Lentz's method)."""
    ax = np.abs(x)
    c, s = np.empty_like(ax), np.empty_like(ax)
    small = ax <= 1.5
    xs = ax[small]
    t = 0.5 * np.pi * xs * xs
    cs, ss = np.zeros_like(xs), np.zeros_like(xs)
    term = xs.copy()  # x (pi x^2 / 2)^n / n!
    for n in range(0, 40):
        part = term / (2 * n + 1)
        if n % 4 == 0:
            cs += part
        elif n % 4 == 1:
            ss += part
        elif n % 4 == 2:
            cs -= part
        else:
            ss -= part
        term = term * t / (n + 1)
    c[small], s[small] = cs, ss
    xl = ax[~small]
    b = 1.0 - 1j * np.pi * xl * xl
    tiny = 1e-300
    cc = np.full(xl.shape, 1.0 / tiny, complex)
    d = h = 1.0 / b
    n = -1
    for _ in range(2, 200):
        n += 2
        a = -n * (n + 1.0)
        b = b + 4.0
        d = 1.0 / (a * d + b)
        cc = b + a / cc
        delta = cc * d
        h = h * delta
        if (np.abs(delta - 1.0) < 1e-16).all():
            break
    h = h * (xl - 1j * xl)
    half = 0.5 * np.pi * xl * xl
    val = (0.5 + 0.5j) * (1.0 - (np.cos(half) + 1j * np.sin(half)) * h)
    c[~small], s[~small] = val.real, val.imag
    return np.sign(x) * c, np.sign(x) * s


def _expint(x):
    """Ei(x): the power series for 0 < x < 40, the asymptotic series above; -inf at 0 and
    NaN below (as TF)."""
    out = np.full_like(x, -np.inf)
    out[x < 0] = np.nan
    mid = (x > 0) & (x < 40.0)
    xm = x[mid]
    term, total = np.ones_like(xm), np.zeros_like(xm)
    for k in range(1, 200):
        term = term * xm / k
        total += term / k
        if not (term / k > 1e-17 * np.abs(total)).any():
            break
    out[mid] = _EULER + np.log(xm) + total
    big = x >= 40.0
    xb = x[big]
    term, total = np.ones_like(xb), np.ones_like(xb)
    for k in range(1, 40):
        term = term * k / xb
        total += term
    out[big] = np.exp(xb) / xb * total
    out[np.isnan(x)] = np.nan
    return out


def _li2(z):
    """The dilogarithm Li2(z) for real z <= 1."""
    out = np.empty_like(z)
    lo = z < -1.0
    mid_neg = (z >= -1.0) & (z < -0.5)
    core = (z >= -0.5) & (z <= 0.5)
    hi = z > 0.5

    def series(w):
        term, total = np.ones_like(w), np.zeros_like(w)
        for k in range(1, 80):
            term = term * w
            total += term / (k * k)
        return total

    out[core] = series(z[core])
    w = z[hi]
    with np.errstate(all="ignore"):
        out[hi] = np.pi ** 2 / 6 - np.log(w) * np.where(w == 1, 0.0, np.log1p(-w)) - \
            series(1.0 - w)
    w = z[mid_neg]
    out[mid_neg] = -0.5 * np.log1p(-w) ** 2 - series(w / (w - 1.0))
    w = z[lo]
    inv = 1.0 / w  # in (-1, 0): Li2(1/w) by the two rules above
    inner = np.where(inv < -0.5, -0.5 * np.log1p(-inv) ** 2 - series(inv / (inv - 1.0)),
                     series(inv))
    out[lo] = -np.pi ** 2 / 6 - 0.5 * np.log(-w) ** 2 - inner
    return out


def _spence(x):
    """Spence's function: the integral of log(t) / (1 - t) from 1 to x, i.e. Li2(1 - x), for
    x >= 0; NaN below."""
    out = np.full_like(x, np.nan)
    ok = x >= 0
    out[ok] = _li2(1.0 - x[ok])
    return out


def _spence_grad(n, g):
    x = n.inputs[0]
    one = equal(x, 1.0)
    safe = where(one, 2.0 + 0.0 * x, x)
    return (g * where(one, -1.0 + 0.0 * x, log(safe) / (1.0 - safe)),)


DAWSN = _unary("Dawsn", _dawsn, lambda n, g: (g * (1.0 - 2.0 * n.inputs[0] * n.out),))
EXPINT = _unary("Expint", _expint, lambda n, g: (g * exp(n.inputs[0]) / n.inputs[0],))
FRESNEL_COS = _unary("FresnelCos", lambda x: _fresnel(x)[0], lambda n, g: (
    g * _cos_half_pi_sq(n.inputs[0]),))
FRESNEL_SIN = _unary("FresnelSin", lambda x: _fresnel(x)[1], lambda n, g: (
    g * _sin_half_pi_sq(n.inputs[0]),))
SPENCE = _unary("Spence", _spence, _spence_grad)


def _cos_half_pi_sq(x):
    return cos(square(x) * (0.5 * np.pi))


def _sin_half_pi_sq(x):
    return sin(square(x) * (0.5 * np.pi))


def dawsn(x, name=None):
    """Dawson's integral ``exp(-x^2) * integral(exp(t^2), 0..x)``, elementwise.

    Args:
        x: a float tensor.
        name: unused.

    Returns:
        A tensor of ``x``'s dtype.
    """
    return apply(DAWSN, (_float(x, "Dawsn"),), {})


def expint(x, name=None):
    """The exponential integral ``Ei(x)``, elementwise (-inf at 0, NaN below).

    Args:
        x: a float tensor.
        name: unused.

    Returns:
        A tensor of ``x``'s dtype.
    """
    return apply(EXPINT, (_float(x, "Expint"),), {})


def fresnel_cos(x, name=None):
    """The Fresnel cosine integral ``integral(cos(pi t^2 / 2), 0..x)``, elementwise.

    Args:
        x: a float tensor.
        name: unused.

    Returns:
        A tensor of ``x``'s dtype.
    """
    return apply(FRESNEL_COS, (_float(x, "FresnelCos"),), {})


def fresnel_sin(x, name=None):
    """The Fresnel sine integral ``integral(sin(pi t^2 / 2), 0..x)``, elementwise.

    Args:
        x: a float tensor.
        name: unused.

    Returns:
        A tensor of ``x``'s dtype.
    """
    return apply(FRESNEL_SIN, (_float(x, "FresnelSin"),), {})


def spence(x, name=None):
    """Spence's function ``integral(log(t) / (1 - t), 1..x)`` (NaN for x < 0).

    Args:
        x: a float tensor.
        name: unused.

    Returns:
        A tensor of ``x``'s dtype.
    """
    return apply(SPENCE, (_float(x, "Spence"),), {})


# -- incomplete gamma and beta functions ------------------------------------------------------
def _igamma_pq(a, x):
    """(P(a, x), Q(a, x)), the regularised lower and upper incomplete gamma functions: the
    series for P where x < a + 1, the continued fraction for Q elsewhere; NaN for a <= 0 or
    x < 0."""
    a, x = np.broadcast_arrays(a, x)
    p = np.full(a.shape, np.nan)
    with np.errstate(all="ignore"):
        lp = a * np.log(x) - x - _LGAMMA64(a)
    ok = (a > 0) & (x >= 0)
    p[ok & (x == 0)] = 0.0
    p[ok & np.isinf(x)] = 1.0
    finite = ok & (x > 0) & np.isfinite(x)
    ser = finite & (x < a + 1)
    aa, xx = a[ser], x[ser]
    term = 1.0 / aa
    total = term.copy()
    ap = aa.copy()
    for _ in range(5000):
        ap = ap + 1.0
        term = term * xx / ap
        total += term
        if not (np.abs(term) > 1e-17 * np.abs(total)).any():
            break
    p[ser] = total * np.exp(lp[ser])
    q = 1.0 - p
    cf = finite & ~ser
    aa, xx = a[cf], x[cf]
    tiny = 1e-300
    b = xx + 1.0 - aa
    c = np.full_like(xx, 1.0 / tiny)
    d = 1.0 / b
    h = d.copy()
    for i in range(1, 5000):
        an = -i * (i - aa)
        b = b + 2.0
        d = an * d + b
        d = np.where(np.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        d = 1.0 / d
        delta = d * c
        h = h * delta
        if (np.abs(delta - 1.0) < 1e-16).all():
            break
    q[cf] = np.exp(lp[cf]) * h
    p[cf] = 1.0 - q[cf]
    return p, q


def _d_da(fn, a, x):
    """d fn(a, x) / da by a fourth-order central difference with Richardson's step."""
    h = 1e-3 * np.sqrt(np.maximum(np.abs(a), 1.0))  # P varies on a scale of sqrt(a)
    h = np.minimum(h, 0.25 * a)  # a - 2h stays inside a > 0
    f = [fn(a + k * h, x) for k in (-2, -1, 1, 2)]
    return (f[0] - 8.0 * f[1] + 8.0 * f[2] - f[3]) / (12.0 * h)


def _igamma_dx(a, x):
    with np.errstate(all="ignore"):
        return np.exp((a - 1.0) * np.log(x) - x - _LGAMMA64(a))


def _binary(name, fn64, grad):
    return Op(name, lambda a, b: _elementwise64(fn64, a, b), grad, "f")


_IGAMMA_GRAD_A = _binary("IgammaGradA", lambda a, x: _d_da(
    lambda u, v: _igamma_pq(u, v)[0], a, x), None)
_IGAMMA_DX = _binary("IgammaDx", _igamma_dx, None)


def _igamma_grad(sign_):
    def grad(n, g):
        a, x = n.inputs
        ga = g * sign_ * apply(_IGAMMA_GRAD_A, (a, x), {}) if n.needs[0] else None
        gx = g * sign_ * apply(_IGAMMA_DX, (a, x), {}) if n.needs[1] else None
        return ga, gx
    return grad


IGAMMA = _binary("Igamma", lambda a, x: _igamma_pq(a, x)[0], _igamma_grad(1.0))
IGAMMAC = _binary("Igammac", lambda a, x: _igamma_pq(a, x)[1], _igamma_grad(-1.0))


def _pair(a, x, opname):
    a, x = _float(a, opname, "bfloat16, half, float, double"), x
    x = x if isinstance(x, TensorBase) else convert_to_tensor(x, a.dtype)
    _float(x, opname, "bfloat16, half, float, double")
    return a, x


def igamma(a, x, name=None):
    """The regularised lower incomplete gamma function ``P(a, x)``, elementwise.

    Args:
        a: a float tensor, the shape parameter (NaN where a <= 0).
        x: a float tensor of the same dtype (NaN where x < 0); broadcast with ``a``.
        name: unused.

    Returns:
        ``P(a, x)``; gradients flow to both ``a`` and ``x``.
    """
    return apply(IGAMMA, _pair(a, x, "Igamma"), {})


def igammac(a, x, name=None):
    """The regularised upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)``.

    Args:
        a: a float tensor (NaN where a <= 0).
        x: a float tensor of the same dtype (NaN where x < 0).
        name: unused.

    Returns:
        ``Q(a, x)``; gradients flow to both ``a`` and ``x``.
    """
    return apply(IGAMMAC, _pair(a, x, "Igammac"), {})


def _betacf(a, b, x):
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = np.ones_like(x)
    d = 1.0 - qab * x / qap
    d = 1.0 / np.where(np.abs(d) < tiny, tiny, d)
    h = d.copy()
    for m in range(1, 5000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / np.where(np.abs(d) < tiny, tiny, d)
        c = 1.0 + aa / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        h = h * d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / np.where(np.abs(d) < tiny, tiny, d)
        c = 1.0 + aa / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        delta = d * c
        h = h * delta
        if (np.abs(delta - 1.0) < 1e-16).all():
            break
    return h


def _lbeta64(a, b):
    return _LGAMMA64(a) + _LGAMMA64(b) - _LGAMMA64(a + b)


def _betainc(a, b, x):
    """The regularised incomplete beta function by its continued fraction (on the side of
    the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) where it converges fast)."""
    a, b, x = np.broadcast_arrays(a, b, x)
    out = np.full(a.shape, np.nan)
    ok = (a > 0) & (b > 0) & (x >= 0) & (x <= 1)
    out[ok & (x == 0)] = 0.0
    out[ok & (x == 1)] = 1.0
    inner = ok & (x > 0) & (x < 1)
    aa, bb, xx = a[inner], b[inner], x[inner]
    front = np.exp(aa * np.log(xx) + bb * np.log1p(-xx) - _lbeta64(aa, bb))
    direct = xx < (aa + 1.0) / (aa + bb + 2.0)
    val = np.empty_like(xx)
    val[direct] = front[direct] * _betacf(aa[direct], bb[direct], xx[direct]) / aa[direct]
    flip = ~direct
    val[flip] = 1.0 - front[flip] * _betacf(bb[flip], aa[flip], 1.0 - xx[flip]) / bb[flip]
    out[inner] = val
    return out


def _betainc_dx(a, b, x):
    with np.errstate(all="ignore"):
        return np.exp((a - 1.0) * np.log(x) + (b - 1.0) * np.log1p(-x) - _lbeta64(a, b))


_BETAINC_DX = Op("BetaincDx", lambda a, b, x: _elementwise64(_betainc_dx, a, b, x), None, "f")
BETAINC = Op("Betainc", lambda a, b, x: _elementwise64(_betainc, a, b, x), lambda n, g: (
    None, None, g * apply(_BETAINC_DX, tuple(n.inputs), {})), "f")


def betainc(a, b, x, name=None):
    """The regularised incomplete beta function ``I_x(a, b)``, elementwise.

    Args:
        a: a float tensor (NaN where a <= 0).
        b: a float tensor of the same dtype (NaN where b <= 0).
        x: a float tensor of the same dtype, in [0, 1] (NaN outside). The three have one
            shape, or some are scalars (TF does not broadcast otherwise).
        name: unused.

    Returns:
        ``I_x(a, b)``; the gradient flows to ``x`` only, as in TF.

    Raises:
        InvalidArgumentError: for shapes that are neither equal nor scalar.
    """
    a = _float(a, "Betainc", "float, double")
    b = b if isinstance(b, TensorBase) else convert_to_tensor(b, a.dtype)
    x = x if isinstance(x, TensorBase) else convert_to_tensor(x, a.dtype)
    for t in (b, x):
        _float(t, "Betainc", "float, double")
    shapes = [list(t.shape) for t in (a, b, x)]
    full = [s for s in shapes if s]
    names = ("a", "b", "x")
    for i, s in enumerate(shapes):
        if s and s != full[0]:
            first = names[shapes.index(full[0])]
            raise invalid("Betainc", f"Shapes of {first} and {names[i]} are inconsistent: "
                          f"{full[0]} vs. {s}")
    return apply(BETAINC, (a, b, x), {})


def lbeta(x, name=None):
    """``log(|Beta(x)|)`` of the last axis: ``sum(lgamma(x)) - lgamma(sum(x))``.

    Args:
        x: a float tensor of rank >= 1.
        name: unused.

    Returns:
        A tensor with the last axis reduced away (-inf for an empty last axis).
    """
    x = _float(x, "Lgamma")
    if x._v.ndim == 0:
        raise invalid("Sum", "Invalid reduction dimension (-1 for input with 0 dimension(s)")
    return subtract(reduce_sum(lgamma(x), axis=-1), lgamma(reduce_sum(x, axis=-1)))


# -- inverse error functions ------------------------------------------------------------------
def _erfcinv(y):
    """Inverse of erfc on (0, 2): Newton steps on log(erfc) from sqrt(-log y) (below 1),
    by symmetry above; +-inf at 0 and 2, NaN outside."""
    lo = np.where(y <= 1.0, y, 2.0 - y)
    side = np.where(y <= 1.0, 1.0, -1.0)
    ok = (lo > 0) & (lo <= 1.0)
    v = np.where(ok, lo, 0.5)
    x = np.where(v > 0.3, (1.0 - v) * 0.9, np.sqrt(-np.log(v)) * 0.95)
    target = np.log(v)
    for _ in range(60):
        e = _ERFC64(x)
        step = (np.log(e) - target) / (-1.1283791670955126 * np.exp(-x * x) / e)
        x = x - step
        if not (np.abs(step) > 1e-16 * np.abs(x)).any():
            break
    x = np.where(v == 1.0, 0.0, x)
    out = np.where(ok, side * x, np.nan)
    out = np.where(lo == 0, side * np.inf, out)
    return out


ERFCINV = _unary("Erfcinv", _erfcinv, lambda n, g: (
    g * (-0.886226925452758) * exp(square(n.out)),))
NDTRI = _unary("Ndtri", lambda p: -np.sqrt(2.0) * _erfcinv(2.0 * p), lambda n, g: (
    g * 2.5066282746310002 * exp(0.5 * square(n.out)),))


def erfcinv(x, name=None):
    """The inverse of ``erfc``, elementwise: inf at 0, -inf at 2, NaN outside [0, 2].

    Args:
        x: a float tensor.
        name: unused.

    Returns:
        A tensor of ``x``'s dtype.
    """
    return apply(ERFCINV, (_float(x, "Erfcinv"),), {})


def ndtri(x, name=None):
    """The inverse of the standard normal CDF (the probit function), elementwise.

    Args:
        x: a float tensor of probabilities (NaN outside [0, 1], -inf at 0, inf at 1).
        name: unused.

    Returns:
        A tensor of ``x``'s dtype.
    """
    return apply(NDTRI, (_float(x, "Ndtri"),), {})


# -- zeta, polygamma, nextafter ---------------------------------------------------------------
_B2K = [1.0 / 6, -1.0 / 30, 1.0 / 42, -1.0 / 30, 5.0 / 66, -691.0 / 2730, 7.0 / 6,
        -3617.0 / 510, 43867.0 / 798, -174611.0 / 330, 854513.0 / 138, -236364091.0 / 2730]


def _zeta(x, q):
    """Hurwitz's zeta function by Euler-Maclaurin summation: terms (q + k)^-x until q + k is
    at least 10 (and ten at least), then the integral and Bernoulli corrections."""
    with np.errstate(all="ignore"):
        return _zeta_sum(x, q)


def _zeta_sum(x, q):
    x, q = np.broadcast_arrays(x, q)
    x, q = x.astype(_F64), q.astype(_F64)
    total = np.zeros_like(x)
    a = q.copy()
    for _ in range(10):
        total += np.power(a, -x)
        a = a + 1.0
    while (a < 10.0).any():
        add = a < 10.0
        total += np.where(add, np.power(np.where(add, a, 1.0), -x), 0.0)
        a = np.where(add, a + 1.0, a)
    tail = np.power(a, 1.0 - x) / (x - 1.0) + 0.5 * np.power(a, -x)
    fact = x / a  # x (x+1) ... / a^(x+2k-1) / (2k)!, times a^-x below
    power = np.power(a, -x)
    kfact = 1.0
    for k, b in enumerate(_B2K, start=1):
        kfact *= (2 * k - 1) * (2 * k) if k > 1 else 2
        if k > 1:
            fact = fact * (x + 2 * k - 3) * (x + 2 * k - 2) / (a * a)
        tail = tail + b / kfact * fact * power
    out = total + tail
    out = np.where(x == 1, np.inf, out)
    out = np.where(x < 1, np.nan, out)
    nonpos = q <= 0
    qint = nonpos & (q == np.floor(q))
    even = (x == np.floor(x)) & (np.mod(x, 2) == 0)
    out = np.where(qint, np.where(even, np.inf, np.nan), out)
    out = np.where(nonpos & ~qint & (x != np.floor(x)), np.nan, out)
    return out


ZETA = Op("Zeta", lambda x, q: _elementwise64(_zeta, x, q), lambda n, g: (
    None, g * negative(n.inputs[0]) * apply(ZETA, (n.inputs[0] + 1.0, n.inputs[1]), {})), "f")


def _polygamma(n, x):
    n, x = np.broadcast_arrays(n, x)
    out = np.full(n.shape, np.nan)
    bad = (n != np.floor(n)) | (n < 0)
    zero = (n == 0) & ~bad
    out[zero] = _digamma_fwd(x[zero].astype(_F64))
    rest = ~bad & ~zero
    nn = n[rest]
    fact = np.exp(_LGAMMA64(nn + 1.0))
    out[rest] = np.where(np.mod(nn, 2) == 1, 1.0, -1.0) * fact * _zeta(nn + 1.0, x[rest])
    return out


POLYGAMMA = Op("Polygamma", lambda a, x: _elementwise64(_polygamma, a, x),
               lambda n, g: (None, g * apply(POLYGAMMA, (n.inputs[0] + 1.0, n.inputs[1]), {})),
               "f")


def zeta(x, q, name=None):
    """Hurwitz's zeta function ``sum((q + k)^-x for k >= 0)``, elementwise.

    Args:
        x: a float tensor (inf at 1, NaN below 1).
        q: a float tensor of the same dtype, broadcast with ``x``.
        name: unused.

    Returns:
        ``zeta(x, q)``; the gradient flows to ``q`` only, as in TF.
    """
    x = _float(x, "Zeta", "float, double")
    q = q if isinstance(q, TensorBase) else convert_to_tensor(q, x.dtype)
    return apply(ZETA, (x, _float(q, "Zeta", "float, double")), {})


def polygamma(a, x, name=None):
    """The polygamma function: the ``a``-th derivative of ``digamma``, elementwise.

    Args:
        a: a float tensor of non-negative integer values (NaN elsewhere).
        x: a float tensor of the same dtype, broadcast with ``a``.
        name: unused.

    Returns:
        ``psi^(a)(x)``; the gradient flows to ``x`` only, as in TF.
    """
    a = _float(a, "Polygamma", "float, double")
    x = x if isinstance(x, TensorBase) else convert_to_tensor(x, a.dtype)
    return apply(POLYGAMMA, (a, _float(x, "Polygamma", "float, double")), {})


NEXTAFTER = Op("NextAfter", lambda a, b: np.nextafter(a, b), lambda n, g: (
    g, g * 0.0), "f")


def nextafter(x1, x2, name=None):
    """The next representable value after ``x1`` towards ``x2``, elementwise.

    Args:
        x1: a float32 or float64 tensor.
        x2: a tensor of the same dtype, broadcast with ``x1``.
        name: unused.

    Returns:
        A tensor of ``x1``'s dtype; its gradient is 1 for ``x1`` and 0 for ``x2`` (TF's).
    """
    x1 = _float(x1, "NextAfter", "double, float")
    x2 = x2 if isinstance(x2, TensorBase) else convert_to_tensor(x2, x1.dtype)
    return apply(NEXTAFTER, (x1, x2), {})
