"""``keras.ops.numpy``: NumPy's array API on tapeflow tensors, with Keras 3's dtype rules.

Differentiable functions are composed of tapeflow ops, so ``GradientTape`` sees through them;
index-valued and set-valued ones (``argsort``, ``unique``, ``histogram``...) compute on the
backend array and give constants, as they do in TensorFlow.
"""
import builtins
import math as _math

from ... import dtypes
from ...backend import host as np
from ...errors import _invalid as invalid
from ...ops import array as A
from ...ops import indexing as IX
from ...ops import linalg as L
from ...ops import math as M
from ...ops import reduction as R
from ...ops import sorting as S
from ...ops import special
from ._base import (
    broadcast_shape,
    conv,
    dname,
    elementwise,
    floatx,
    host,
    is_float,
    is_int,
    need_float,
    np_fn,
    promote,
    result_type,
    to_float,
)

_bool = builtins.bool
_abs = builtins.abs
_min = builtins.min
_max = builtins.max
_round = builtins.round
_sum = builtins.sum


def _axes(axis, ndim):
    if axis is None:
        return list(range(ndim))
    if isinstance(axis, int):
        axis = [axis]
    return [a % ndim if ndim else a for a in axis]


def _ax(axis, ndim):
    return axis % ndim if axis is not None and ndim else axis


# ---------------------------------------------------------------- arithmetic

def _binary(fn):
    def f(x1, x2):
        a, b = promote(x1, x2)
        return fn(a, b)
    f.__name__ = fn.__name__
    f.__doc__ = f"Element-wise ``{fn.__name__}`` with Keras's dtype promotion."
    return f


add = _binary(M.add)
subtract = _binary(M.subtract)
multiply = _binary(M.multiply)
maximum = _binary(M.maximum)
minimum = _binary(M.minimum)


def fmax(x1, x2):
    """Element-wise maximum, ignoring NaNs (NaN only where both are NaN)."""
    a, b = promote(x1, x2)
    if not is_float(a.dtype.name):
        return M.maximum(a, b)
    a, b = [A.broadcast_to(v, _bshape(a, b)) for v in (a, b)]
    return M.where(M.is_nan(a), b, M.where(M.is_nan(b), a, M.maximum(a, b)))


def fmin(x1, x2):
    """Element-wise minimum, ignoring NaNs."""
    a, b = promote(x1, x2)
    if not is_float(a.dtype.name):
        return M.minimum(a, b)
    a, b = [A.broadcast_to(v, _bshape(a, b)) for v in (a, b)]
    return M.where(M.is_nan(a), b, M.where(M.is_nan(b), a, M.minimum(a, b)))


def floor_divide(x1, x2):
    """``x1 // x2`` with Keras's dtype promotion."""
    a, b = promote(x1, x2)
    return M.floordiv(a, b)


def mod(x1, x2):
    """``x1 % x2`` (the sign of the divisor), Keras dtypes; booleans compute as int32."""
    d = result_type(dname(x1), dname(x2))
    if d == "bool":
        d = "int32"
    return M.floormod(conv(x1, d), conv(x2, d))


def fmod(x1, x2):
    """``x1 % x2`` with the sign of the dividend (C's ``fmod``)."""
    d = result_type(dname(x1), dname(x2))
    if d == "bool":
        d = "int32"
    a, b = conv(x1, d), conv(x2, d)
    if is_float(d):
        return M.subtract(a, M.multiply(b, trunc(M.divide(a, b))))
    return M.truncatemod(a, b)


def power(x1, x2):
    """``x1 ** x2`` with Keras's dtype promotion."""
    a, b = promote(x1, x2)
    return M.pow(a, b)


def divide(x1, x2):
    """True division; integers give ``floatx``."""
    d = result_type(dname(x1), dname(x2), float)
    return M.divide(conv(x1, d), conv(x2, d))


true_divide = divide


def divide_no_nan(x1, x2):
    """``x1 / x2``, 0 where ``x2`` is 0."""
    d = result_type(dname(x1), dname(x2), float)
    return M.divide_no_nan(conv(x1, d), conv(x2, d))


def negative(x):
    """``-x``."""
    return M.negative(conv(x))


def absolute(x):
    """``|x|`` (booleans pass through)."""
    x = conv(x)
    if x.dtype.name == "bool" or x.dtype.name.startswith("uint"):
        return x
    return M.abs(x)


abs = absolute


def fabs(x):
    """``|x|`` as a float."""
    return M.abs(to_float(x))


def sign(x):
    """-1, 0 or 1 with ``x``'s dtype."""
    x = conv(x)
    if x.dtype.name == "bool" or x.dtype.name.startswith("uint"):
        return M.cast(M.not_equal(x, M.zeros_like(x)), x.dtype)
    return M.sign(x)


def square(x):
    """``x * x``; booleans become int32."""
    x = conv(x)
    if x.dtype.name == "bool":
        x = M.cast(x, "int32")
    return M.square(x)


def reciprocal(x):
    """``1 / x`` as a float."""
    x = conv(x)
    if not is_float(x.dtype.name):
        need_float(x, "Reciprocal", "notfound")
    return M.reciprocal(x)


def _float_unary(fn, name):
    def f(x):
        return fn(to_float(x))
    f.__name__ = name
    f.__doc__ = f"Element-wise ``{name}``; integers give ``floatx``."
    return f


sqrt = _float_unary(M.sqrt, "sqrt")
exp = _float_unary(M.exp, "exp")
expm1 = _float_unary(M.expm1, "expm1")
log = _float_unary(M.log, "log")
log1p = _float_unary(M.log1p, "log1p")
sin = _float_unary(M.sin, "sin")
cos = _float_unary(M.cos, "cos")
tan = _float_unary(M.tan, "tan")
arcsin = _float_unary(M.asin, "arcsin")
arccos = _float_unary(M.acos, "arccos")
arctan = _float_unary(M.atan, "arctan")
sinh = _float_unary(M.sinh, "sinh")
cosh = _float_unary(M.cosh, "cosh")
tanh = _float_unary(M.tanh, "tanh")
arcsinh = _float_unary(M.asinh, "arcsinh")
arctanh = _float_unary(M.atanh, "arctanh")


def _arccosh(x):
    return M.log(M.add(x, M.sqrt(M.subtract(M.square(x), M.ones_like(x)))))


arccosh = _float_unary(_arccosh, "arccosh")


def _const_like(v, x):
    return conv(v, x.dtype)


log2 = _float_unary(lambda x: M.divide(M.log(x), _const_like(_math.log(2.0), x)), "log2")
log10 = _float_unary(lambda x: M.divide(M.log(x), _const_like(_math.log(10.0), x)), "log10")
exp2 = _float_unary(lambda x: M.exp(M.multiply(x, _const_like(_math.log(2.0), x))), "exp2")
deg2rad = _float_unary(lambda x: M.multiply(x, _const_like(_math.pi / 180.0, x)), "deg2rad")
rad2deg = _float_unary(lambda x: M.multiply(x, _const_like(180.0 / _math.pi, x)), "rad2deg")


def _cbrt(x):
    return M.multiply(M.sign(x), M.pow(M.abs(x), _const_like(1.0 / 3.0, x)))


cbrt = _float_unary(_cbrt, "cbrt")


def _sinc(x):
    px = M.multiply(x, _const_like(_math.pi, x))
    zero = M.equal(x, M.zeros_like(x))
    safe = M.where(zero, M.ones_like(px), px)
    return M.where(zero, M.ones_like(x), M.divide(M.sin(safe), safe))


sinc = _float_unary(_sinc, "sinc")


def _atan2_grad(n, g):
    y, x = n.inputs
    den = M.add(M.square(x), M.square(y))
    return M.multiply(g, M.divide(x, den)), M.multiply(g, M.divide(M.negative(y), den))


_ATAN2 = elementwise("Atan2", lambda xp, y, x: xp.arctan2(y, x), _atan2_grad)


def arctan2(x1, x2):
    """The angle of the point ``(x2, x1)``; integers give ``floatx``."""
    d = result_type(dname(x1), dname(x2), float)
    a, b = conv(x1, d), conv(x2, d)
    a, b = A.broadcast_to(a, _bshape(a, b)), A.broadcast_to(b, _bshape(a, b))
    return _ATAN2(a, b)


def _bshape(a, b, op="BroadcastTo"):
    return broadcast_shape(op, a, b)


def hypot(x1, x2):
    """``sqrt(x1**2 + x2**2)``."""
    d = result_type(dname(x1), dname(x2), float)
    a, b = conv(x1, d), conv(x2, d)
    return M.sqrt(M.add(M.square(a), M.square(b)))


def logaddexp(x1, x2):
    """``log(exp(x1) + exp(x2))``, computed stably."""
    d = result_type(dname(x1), dname(x2), float)
    a, b = conv(x1, d), conv(x2, d)
    m = M.maximum(a, b)
    return M.add(m, M.log1p(M.exp(M.negative(M.abs(M.subtract(a, b))))))


def logaddexp2(x1, x2):
    """``log2(2**x1 + 2**x2)``, computed stably."""
    d = result_type(dname(x1), dname(x2), float)
    a, b = conv(x1, d), conv(x2, d)
    ln2 = _const_like(_math.log(2.0), a)
    m = M.maximum(a, b)
    t = M.exp(M.multiply(M.negative(M.abs(M.subtract(a, b))), ln2))
    return M.add(m, M.divide(M.log1p(t), ln2))


def i0(x):
    """The modified Bessel function of the first kind, order 0 (``tf.math.bessel_i0``)."""
    return special.bessel_i0(to_float(x))


def trunc(x):
    """Round toward zero (integers pass through)."""
    x = conv(x)
    if not is_float(x.dtype.name):
        return x
    return M.where(M.less(x, M.zeros_like(x)), M.ceil(x), M.floor(x))


def floor(x):
    """Round down; integers give ``floatx``."""
    return M.floor(to_float(x))


def ceil(x):
    """Round up; integers give ``floatx``."""
    return M.ceil(to_float(x))


def round(x, decimals=0):
    """Round half to even, to ``decimals`` places."""
    x = conv(x)
    if decimals == 0 or not is_float(x.dtype.name):
        if decimals < 0 and not is_float(x.dtype.name):
            f = 10 ** (-decimals)
            xf = M.cast(x, "float64")
            return M.cast(M.multiply(M.round(M.divide(xf, conv(f, "float64"))),
                                     conv(f, "float64")), x.dtype)
        return M.round(x) if is_float(x.dtype.name) else x
    f = _const_like(10.0 ** decimals, x)
    return M.divide(M.round(M.multiply(x, f)), f)


def clip(x, x_min, x_max):
    """``x`` limited to ``[x_min, x_max]``; booleans become int32."""
    x = conv(x)
    d = x.dtype.name
    if d == "bool":
        x = M.cast(x, "int32")
        d = "int32"
    return M.minimum(M.maximum(x, conv(x_min, d)), conv(x_max, d))


def heaviside(x1, x2):
    """0 where ``x1 < 0``, ``x2`` where ``x1 == 0``, 1 where ``x1 > 0``."""
    d = result_type(dname(x1), dname(x2))
    if d in ("bool", "int8", "int16", "uint8", "uint16"):
        d = floatx()
    elif d == "int32":
        d = floatx()
    elif d == "int64":
        d = "float64"
    a, b = conv(x1, d), conv(x2, d)
    z = M.zeros_like(a)
    return M.where(M.greater(a, z), M.ones_like(a), M.where(M.equal(a, z), b + z, z))


def ldexp(x1, x2):
    """``x1 * 2**x2``; ``x2`` must be an integer."""
    if not is_int(dname(x2)) and dname(x2) is not int:
        raise TypeError(f"ldexp exponent must be an integer type. Received: x2={dname(x2)}")
    d = result_type(dname(x1), float)
    a = conv(x1, d)
    return M.multiply(a, M.pow(conv(2.0, d), conv(x2, d)))


def nextafter(x1, x2):
    """The next float after ``x1`` toward ``x2``."""
    d = result_type(dname(x1), dname(x2), float)
    a, b = conv(x1, d), conv(x2, d)
    _bshape(a, b, "NextAfter")
    return np_fn(lambda xp, p, q: xp.nextafter(p, q), a, b)


def signbit(x):
    """Whether the sign bit is set."""
    return np_fn(lambda xp, a: xp.signbit(a), x)


# integer-only element-wise ops

def _int_pair(name, f, strong=False):
    def g(x1, x2):
        if strong:
            x1, x2 = conv(x1), conv(x2)
        d = result_type(dname(x1), dname(x2))
        return np_fn(f, conv(x1, d), conv(x2, d))
    g.__name__ = name
    g.__doc__ = f"Element-wise ``{name}`` of integers."
    return g


gcd = _int_pair("gcd", lambda xp, a, b: xp.gcd(a, b), True)
lcm = _int_pair("lcm", lambda xp, a, b: xp.lcm(a, b), True)
bitwise_and = _int_pair("bitwise_and", lambda xp, a, b: xp.bitwise_and(a, b), True)
bitwise_or = _int_pair("bitwise_or", lambda xp, a, b: xp.bitwise_or(a, b), True)
bitwise_xor = _int_pair("bitwise_xor", lambda xp, a, b: xp.bitwise_xor(a, b), True)
bitwise_left_shift = _int_pair("bitwise_left_shift", lambda xp, a, b: xp.left_shift(a, b))
bitwise_right_shift = _int_pair("bitwise_right_shift", lambda xp, a, b: xp.right_shift(a, b))
left_shift = bitwise_left_shift
right_shift = bitwise_right_shift


def bitwise_invert(x):
    """``~x``."""
    return np_fn(lambda xp, a: xp.invert(a), x)


bitwise_not = bitwise_invert


# ---------------------------------------------------------------- comparisons and logic

def _cmp(fn, name):
    def f(x1, x2):
        a, b = promote(x1, x2)
        return fn(a, b)
    f.__name__ = name
    f.__doc__ = f"Element-wise ``{name}`` (a boolean tensor)."
    return f


equal = _cmp(M.equal, "equal")
not_equal = _cmp(M.not_equal, "not_equal")
less = _cmp(M.less, "less")
less_equal = _cmp(M.less_equal, "less_equal")
greater = _cmp(M.greater, "greater")
greater_equal = _cmp(M.greater_equal, "greater_equal")


def _logic(fn, name):
    def f(x1, x2):
        return fn(conv(x1, "bool"), conv(x2, "bool"))
    f.__name__ = name
    f.__doc__ = f"Element-wise ``{name}`` of the inputs' truth values."
    return f


logical_and = _logic(M.logical_and, "logical_and")
logical_or = _logic(M.logical_or, "logical_or")
logical_xor = _logic(M.logical_xor, "logical_xor")


def logical_not(x):
    """Element-wise not of ``x``'s truth values."""
    return M.logical_not(conv(x, "bool"))


def isnan(x):
    """Where ``x`` is NaN (never for integers)."""
    x = conv(x)
    return M.is_nan(x) if is_float(x.dtype.name) else A.zeros(x.shape, "bool")


def isinf(x):
    """Where ``x`` is infinite."""
    x = conv(x)
    return M.is_inf(x) if is_float(x.dtype.name) else A.zeros(x.shape, "bool")


def isfinite(x):
    """Where ``x`` is finite."""
    x = conv(x)
    return M.is_finite(x) if is_float(x.dtype.name) else A.ones(x.shape, "bool")


def isposinf(x):
    """Where ``x`` is +inf."""
    return np_fn(lambda xp, a: xp.isposinf(a), x)


def isneginf(x):
    """Where ``x`` is -inf."""
    return np_fn(lambda xp, a: xp.isneginf(a), x)


def isreal(x):
    """Where ``x`` has no imaginary part (always, for real dtypes)."""
    return np_fn(lambda xp, a: xp.isreal(a), x)


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Where ``|x1 - x2| <= atol + rtol * |x2|``."""
    a, b = promote(x1, x2)
    return np_fn(lambda xp, p, q: xp.isclose(p, q, rtol=rtol, atol=atol, equal_nan=equal_nan),
                 a, b)


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether every element is close (a boolean scalar tensor)."""
    return all(isclose(x1, x2, rtol, atol, equal_nan))


def isin(x1, x2, assume_unique=False, invert=False):
    """Where the elements of ``x1`` occur in ``x2``."""
    a, b = promote(x1, x2)
    return np_fn(lambda xp, p, q: xp.isin(p, q, invert=invert), a, b)


def where(condition, x1=None, x2=None):
    """Pick from ``x1`` where ``condition`` holds, else ``x2``; one argument: the indices
    of the true elements, one tensor per axis."""
    c = conv(condition, "bool")
    if x1 is None and x2 is None:
        return nonzero(c)
    if x1 is None or x2 is None:
        raise ValueError("`x1` and `x2` either both should be `None` or both should have "
                         "non-None value.")
    a, b = promote(x1, x2)
    shape = np.broadcast_shapes(tuple(c.shape), tuple(a.shape), tuple(b.shape))
    return M.where(A.broadcast_to(c, shape), A.broadcast_to(a, shape), A.broadcast_to(b, shape))


def select(condlist, choicelist, default=0):
    """The first choice whose condition holds, element by element, else ``default``."""
    if len(condlist) != len(choicelist):
        raise ValueError("condlist and choicelist must have the same length. Received: "
                         f"len(condlist)={len(condlist)}, len(choicelist)={len(choicelist)}")
    if not condlist:
        raise ValueError("condlist must be non-empty.")
    choices = promote(*choicelist, default)
    outv = choices[-1]
    for c, v in reversed(list(zip(condlist, choices[:-1]))):
        outv = where(c, v, outv)
    return outv


def nonzero(x):
    """The indices of the non-zero elements, one int32 tensor per axis."""
    return tuple(np_fn(lambda xp, a: tuple(i.astype("int32") for i in xp.nonzero(a)), x))


# ---------------------------------------------------------------- creation

def array(x, dtype=None):
    """A tensor from ``x``."""
    return conv(x, dtype)


def copy(x):
    """A copy of ``x``."""
    return M.identity(conv(x))


def _shape(shape):
    if isinstance(shape, int):
        return [shape]
    return list(shape)


def zeros(shape, dtype=None):
    """A tensor of zeros (``floatx`` by default)."""
    return A.zeros(_shape(shape), dtype or floatx())


def ones(shape, dtype=None):
    """A tensor of ones (``floatx`` by default)."""
    return A.ones(_shape(shape), dtype or floatx())


def empty(shape, dtype=None):
    """An uninitialised tensor: here, zeros."""
    return zeros(shape, dtype)


def full(shape, fill_value, dtype=None):
    """A tensor filled with ``fill_value``."""
    v = conv(fill_value, dtype or floatx())
    return A.broadcast_to(v, _shape(shape))


def zeros_like(x, dtype=None):
    """Zeros shaped like ``x``."""
    return M.zeros_like(conv(x), dtype=dtype)


def ones_like(x, dtype=None):
    """Ones shaped like ``x``."""
    return M.ones_like(conv(x), dtype=dtype)


def empty_like(x, dtype=None):
    """Like ``zeros_like``."""
    return zeros_like(x, dtype)


def full_like(x, fill_value, dtype=None):
    """``fill_value`` shaped like ``x``."""
    x = conv(x)
    return A.broadcast_to(M.cast(conv(fill_value), dtype or x.dtype), list(x.shape))


def identity(n, dtype=None):
    """The ``n`` x ``n`` identity matrix."""
    return eye(n, dtype=dtype)


def eye(N, M_=None, k=0, dtype=None, **kw):
    """Ones on the ``k``-th diagonal of an ``N`` x ``M`` matrix."""
    m = kw.pop("M", M_)
    m = N if m is None else m
    return conv(np.eye(N, m, k), dtype or floatx())


def tri(N, M_=None, k=0, dtype=None, **kw):
    """Ones at and below the ``k``-th diagonal."""
    m = kw.pop("M", M_)
    m = N if m is None else m
    return conv(np.tri(N, m, k), dtype or floatx())


def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in ``[start, stop)``; the dtype follows the arguments."""
    if stop is None:
        start, stop = 0, start
    if step is None:
        step = 1
    if dtype is None:
        kinds = [dname(v) for v in (start, stop, step)]
        dtype = result_type(*kinds)
    dtype = dtypes.as_dtype(dtype).name
    vals = np.arange(start, stop, step, dtype="float64" if is_float(dtype) else None)
    return conv(vals, dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` (differentiable in both)."""
    d = dtype or result_type(dname(start), dname(stop), float)
    s, e = promote(start, stop)
    s, e = M.cast(s, "float64"), M.cast(e, "float64")
    shape = list(np.broadcast_shapes(tuple(s.shape), tuple(e.shape)))
    s, e = A.broadcast_to(s, shape), A.broadcast_to(e, shape)
    div = (num - 1) if endpoint else num
    step_ = M.divide(M.subtract(e, s), conv(float(_max(div, 1)), "float64"))
    nd = len(shape) + 1
    ax = axis % nd
    t_shape = [1] * nd
    t_shape[ax] = num
    t = A.reshape(conv(np.arange(num, dtype="float64")), t_shape)
    vals = M.add(A.expand_dims(s, ax), M.multiply(t, A.expand_dims(step_, ax)))
    if endpoint and num > 1:
        last = [0] * nd
        last[ax] = num - 1
        idx = np.arange(num) == num - 1
        mask = A.reshape(conv(idx), t_shape)
        vals = M.where(A.broadcast_to(mask, list(vals.shape)),
                       A.broadcast_to(A.expand_dims(e, ax), list(vals.shape)), vals)
    if is_int(dtypes.as_dtype(d).name):
        vals = M.floor(vals)
    vals = M.cast(vals, d)
    if retstep:
        return vals, M.cast(step_, d)
    return vals


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """``base ** linspace(start, stop)``."""
    d = dtype or result_type(dname(start), dname(stop), float)
    e = linspace(start, stop, num, endpoint, dtype="float64", axis=axis)
    return M.cast(M.pow(conv(float(base), "float64"), e), d)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Values spaced evenly on a log scale from ``start`` to ``stop``."""
    d = dtype or result_type(dname(start), dname(stop), float)
    return conv(np.geomspace(host(start), host(stop), num, endpoint=endpoint, axis=axis), d)


def _window(f, x):
    return conv(f(int(x)), floatx())


def bartlett(x):
    """The Bartlett window of ``x`` points."""
    return _window(np.bartlett, x)


def blackman(x):
    """The Blackman window of ``x`` points."""
    return _window(np.blackman, x)


def hamming(x):
    """The Hamming window of ``x`` points."""
    return _window(np.hamming, x)


def hanning(x):
    """The Hann window of ``x`` points."""
    return _window(np.hanning, x)


def kaiser(x, beta):
    """The Kaiser window of ``x`` points."""
    return conv(np.kaiser(int(x), float(beta)), floatx())


def meshgrid(*x, indexing="xy"):
    """Coordinate grids from 1-D tensors."""
    return IX.meshgrid(*[conv(v) for v in x], indexing=indexing)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of ``x``."""
    x = conv(x)
    n = x.shape[0] if N is None else N
    powers = range(n) if increasing else range(n - 1, -1, -1)
    cols = [M.pow(x, conv(p, x.dtype)) for p in powers]
    if not cols:
        return A.zeros([x.shape[0], 0], x.dtype)
    return A.stack(cols, axis=1)


# ---------------------------------------------------------------- reductions

def _reduce_dtype(d, kind):
    if kind == "sum":
        if d in ("bool", "int8", "int16"):
            return "int32"
        if d in ("uint8", "uint16"):
            return "uint32"
        return d
    if kind == "mean":
        return result_type(d, float)
    return d


def sum(x, axis=None, keepdims=False):
    """The sum over ``axis``; small integers and booleans sum as int32."""
    x = conv(x)
    d = _reduce_dtype(x.dtype.name, "sum")
    return R.reduce_sum(M.cast(x, d), axis=axis, keepdims=keepdims)


def prod(x, axis=None, keepdims=False, dtype=None):
    """The product over ``axis``."""
    x = conv(x)
    d = dtype or _reduce_dtype(x.dtype.name, "sum")
    return R.reduce_prod(M.cast(x, d), axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """The mean over ``axis``; integers give ``floatx``."""
    x = conv(x)
    d = _reduce_dtype(x.dtype.name, "mean")
    return R.reduce_mean(M.cast(x, d), axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    """The variance over ``axis``."""
    return R.reduce_variance(to_float(x), axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    """The standard deviation over ``axis``."""
    return R.reduce_std(to_float(x), axis=axis, keepdims=keepdims)


def _empty_check(x, axis, name):
    if axis is None and 0 in tuple(x.shape):
        raise ValueError(f"Cannot compute the {name} of an empty tensor.")


def max(x, axis=None, keepdims=False, initial=None):
    """The maximum over ``axis``."""
    x = conv(x)
    if initial is None and 0 in tuple(x.shape):
        raise invalid("Max", "Expected a non-empty tensor to reduce over (no identity for "
                      f"max without `initial`; shape {list(x.shape)})")
    if x.dtype.name == "bool":
        return R.reduce_any(x, axis=axis, keepdims=keepdims)
    r = R.reduce_max(x, axis=axis, keepdims=keepdims)
    return r if initial is None else M.maximum(r, conv(initial, r.dtype))


def min(x, axis=None, keepdims=False, initial=None):
    """The minimum over ``axis``."""
    x = conv(x)
    if initial is None and 0 in tuple(x.shape):
        raise invalid("Min", "Expected a non-empty tensor to reduce over (no identity for "
                      f"min without `initial`; shape {list(x.shape)})")
    if x.dtype.name == "bool":
        return R.reduce_all(x, axis=axis, keepdims=keepdims)
    r = R.reduce_min(x, axis=axis, keepdims=keepdims)
    return r if initial is None else M.minimum(r, conv(initial, r.dtype))


amax = max
amin = min


def ptp(x, axis=None, keepdims=False):
    """``max - min`` over ``axis``."""
    return M.subtract(max(x, axis, keepdims), min(x, axis, keepdims))


def all(x, axis=None, keepdims=False):
    """Whether every element is true."""
    return R.reduce_all(conv(x, "bool"), axis=axis, keepdims=keepdims)


def any(x, axis=None, keepdims=False):
    """Whether any element is true."""
    return R.reduce_any(conv(x, "bool"), axis=axis, keepdims=keepdims)


def count_nonzero(x, axis=None):
    """How many elements are non-zero (int32)."""
    x = conv(x)
    return R.reduce_sum(M.cast(M.not_equal(x, M.zeros_like(x)), "int32"), axis=axis)


def average(x, axis=None, weights=None):
    """The (weighted) mean over ``axis``."""
    if weights is None:
        return mean(x, axis)
    d = result_type(dname(x), dname(weights), float)
    x, w = conv(x, d), conv(weights, d)
    if len(w.shape) == 1 and len(x.shape) > 1 and axis is not None:
        shape = [1] * len(x.shape)
        shape[_ax(axis, len(x.shape))] = w.shape[0]
        w = A.reshape(w, shape)
    num = R.reduce_sum(M.multiply(x, w), axis=axis)
    den = R.reduce_sum(M.multiply(M.ones_like(x), w), axis=axis)
    return M.divide(num, den)


def cumsum(x, axis=None, dtype=None):
    """Running sums along ``axis`` (flattened when ``axis`` is None)."""
    x = conv(x)
    d = dtype or ("int32" if x.dtype.name == "bool" else x.dtype.name)
    x = M.cast(x, d)
    if axis is None:
        x, axis = A.reshape(x, [-1]), 0
    return R.cumsum(x, axis=axis)


def cumprod(x, axis=None, dtype=None):
    """Running products along ``axis``."""
    x = conv(x)
    d = dtype or ("int32" if x.dtype.name == "bool" else x.dtype.name)
    x = M.cast(x, d)
    if axis is None:
        x, axis = A.reshape(x, [-1]), 0
    return R.cumprod(x, axis=axis)


def argmax(x, axis=None, keepdims=False):
    """The index of the largest element (int32)."""
    return _arg(x, axis, keepdims, "argmax")


def argmin(x, axis=None, keepdims=False):
    """The index of the smallest element (int32)."""
    return _arg(x, axis, keepdims, "argmin")


def _arg(x, axis, keepdims, name):
    return np_fn(lambda xp, a: getattr(xp, name)(a, axis=axis, keepdims=keepdims)
                 .astype("int32"), x)


def median(x, axis=None, keepdims=False):
    """The median over ``axis``."""
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


def _moveaxes_last(x, axes):
    nd = len(x.shape)
    rest = [i for i in range(nd) if i not in axes]
    x = A.transpose(x, rest + list(axes))
    shape = [x.shape[i] for i in range(len(rest))] + [-1]
    return A.reshape(x, shape), rest


def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th quantile(s) over ``axis``, NumPy's methods; differentiable in ``x``."""
    x = to_float(x)
    nd = len(x.shape)
    axes = _axes(axis, nd)
    flat, rest = _moveaxes_last(x, axes)
    n = flat.shape[-1]
    srt = S.sort(flat, axis=-1)
    qa = np.asarray(host(q), dtype="float64")
    pos = qa * (n - 1)
    lo = np.floor(pos).astype("int64")
    hi = np.ceil(pos).astype("int64")
    frac = pos - lo
    if method == "lower":
        hi, frac = lo, frac * 0
    elif method == "higher":
        lo, frac = hi, frac * 0
    elif method == "nearest":
        near = np.round(pos).astype("int64")
        lo = hi = near
        frac = frac * 0
    elif method == "midpoint":
        frac = np.where(hi > lo, 0.5, 0.0)
    elif method != "linear":
        raise ValueError(f"Invalid value for argument `method`. Received: method={method}")
    glo = IX.gather(srt, conv(lo.reshape(-1), "int64"), axis=-1)
    ghi = IX.gather(srt, conv(hi.reshape(-1), "int64"), axis=-1)
    f = conv(frac.reshape(-1), x.dtype)
    r = M.add(glo, M.multiply(M.subtract(ghi, glo), f))
    # r: rest dims + [len(q)]; NumPy puts q's axes first
    nr = len(rest)
    r = A.transpose(r, [nr] + list(range(nr)))
    r = A.reshape(r, list(qa.shape) + [x.shape[i] for i in rest])
    if keepdims:
        shape = list(qa.shape) + [1 if i in axes else x.shape[i] for i in range(nd)]
        r = A.reshape(r, shape)
    return r


def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th percentile(s) over ``axis``."""
    qa = np.asarray(host(q), dtype="float64") / 100.0
    return quantile(x, qa, axis, method, keepdims)


# NaN-aware reductions

def _nan_to(x, v):
    x = conv(x)
    if not is_float(x.dtype.name):
        return x
    return M.where(M.is_nan(x), A.broadcast_to(conv(v, x.dtype), list(x.shape)), x)


def nansum(x, axis=None, keepdims=False):
    """The sum, NaNs counted as 0."""
    return sum(_nan_to(x, 0), axis, keepdims)


def nanprod(x, axis=None, keepdims=False):
    """The product, NaNs counted as 1."""
    return prod(_nan_to(x, 1), axis, keepdims)


def _nancount(x, axis, keepdims):
    x = conv(x)
    if not is_float(x.dtype.name):
        return R.reduce_sum(M.ones_like(to_float(x)), axis=axis, keepdims=keepdims)
    return R.reduce_sum(M.cast(M.logical_not(M.is_nan(x)), x.dtype), axis=axis,
                        keepdims=keepdims)


def nanmean(x, axis=None, keepdims=False):
    """The mean of the non-NaN elements."""
    x = to_float(x)
    return M.divide(R.reduce_sum(_nan_to(x, 0), axis=axis, keepdims=keepdims),
                    _nancount(x, axis, keepdims))


def nanvar(x, axis=None, keepdims=False):
    """The variance of the non-NaN elements."""
    x = to_float(x)
    m = nanmean(x, axis, True)
    dev = M.square(M.subtract(x, m))
    return M.divide(R.reduce_sum(_nan_to(dev, 0), axis=axis, keepdims=keepdims),
                    _nancount(x, axis, keepdims))


def nanstd(x, axis=None, keepdims=False):
    """The standard deviation of the non-NaN elements."""
    return M.sqrt(nanvar(x, axis, keepdims))


def nanmax(x, axis=None, keepdims=False):
    """The maximum, ignoring NaNs (NaN where all are NaN)."""
    x = conv(x)
    if not is_float(x.dtype.name):
        return max(x, axis, keepdims)
    r = R.reduce_max(_nan_to(x, -np.inf), axis=axis, keepdims=keepdims)
    alln = R.reduce_all(M.is_nan(x), axis=axis, keepdims=keepdims)
    return M.where(alln, A.broadcast_to(conv(np.nan, x.dtype), list(r.shape)), r)


def nanmin(x, axis=None, keepdims=False):
    """The minimum, ignoring NaNs."""
    x = conv(x)
    if not is_float(x.dtype.name):
        return min(x, axis, keepdims)
    r = R.reduce_min(_nan_to(x, np.inf), axis=axis, keepdims=keepdims)
    alln = R.reduce_all(M.is_nan(x), axis=axis, keepdims=keepdims)
    return M.where(alln, A.broadcast_to(conv(np.nan, x.dtype), list(r.shape)), r)


def nanargmax(x, axis=None, keepdims=False):
    """The index of the largest non-NaN element (-1 where all are NaN)."""
    return np_fn(lambda xp, a: _nanarg(xp, a, axis, keepdims, "nanargmax"), x)


def nanargmin(x, axis=None, keepdims=False):
    """The index of the smallest non-NaN element (-1 where all are NaN)."""
    return np_fn(lambda xp, a: _nanarg(xp, a, axis, keepdims, "nanargmin"), x)


def _nanarg(xp, a, axis, keepdims, name):
    if a.dtype.kind != "f":
        return getattr(xp, name[3:])(a, axis=axis, keepdims=keepdims).astype("int32")
    alln = xp.all(xp.isnan(a), axis=axis, keepdims=keepdims)
    fill = -xp.inf if name == "nanargmax" else xp.inf
    r = getattr(xp, name[3:])(xp.where(xp.isnan(a), fill, a), axis=axis, keepdims=keepdims)
    return xp.where(alln, -1, r).astype("int32")


def nancumsum(x, axis=None, dtype=None):
    """Running sums, NaNs counted as 0."""
    return cumsum(_nan_to(x, 0), axis, dtype)


def nancumprod(x, axis=None, dtype=None):
    """Running products, NaNs counted as 1."""
    return cumprod(_nan_to(x, 1), axis, dtype)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """The quantile(s), ignoring NaNs (not differentiable)."""
    x = to_float(x)
    return np_fn(lambda xp, a: xp.nanquantile(a, xp.asarray(host(q)), axis=axis, method=method,
                                              keepdims=keepdims).astype(a.dtype), x)


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """The percentile(s), ignoring NaNs."""
    x = to_float(x)
    return np_fn(lambda xp, a: xp.nanpercentile(a, xp.asarray(host(q)), axis=axis,
                                                method=method, keepdims=keepdims)
                 .astype(a.dtype), x)


def nanmedian(x, axis=None, keepdims=False):
    """The median, ignoring NaNs."""
    if dname(x) in ("int32", "int64"):  # as Keras on TF: its NaN mask meets an int tensor
        need_float(x, "NanMedian")
    return nanquantile(x, 0.5, axis=axis, keepdims=keepdims)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """NaN and infinities replaced by finite numbers."""
    x = conv(x)
    if not is_float(x.dtype.name):
        return x
    info = np.finfo(x.dtype.as_numpy_dtype)
    pos = info.max if posinf is None else posinf
    neg = info.min if neginf is None else neginf

    def full_(v):
        return A.broadcast_to(conv(v, x.dtype), list(x.shape))
    x = M.where(M.is_nan(x), full_(nan), x)
    x = M.where(M.logical_and(M.is_inf(x), M.greater(x, M.zeros_like(x))), full_(pos), x)
    return M.where(M.logical_and(M.is_inf(x), M.less(x, M.zeros_like(x))), full_(neg), x)


# ---------------------------------------------------------------- shapes

def ndim(x):
    """The number of axes (a Python int)."""
    return len(conv(x).shape)


def size(x):
    """The number of elements (an int32 scalar tensor)."""
    return conv(int(np.prod(conv(x).shape)), "int32")


def reshape(x, newshape):
    """``x`` with shape ``newshape`` (at most one ``-1``)."""
    shape = _shape(newshape)
    if _sum(1 for d in shape if d == -1) > 1:
        raise ValueError(f"There must be at most one unknown dimension (-1) in newshape. "
                         f"Received: newshape={tuple(shape)}")
    return A.reshape(conv(x), shape)


def ravel(x):
    """``x`` flattened."""
    return A.reshape(conv(x), [-1])


def transpose(x, axes=None):
    """``x`` with its axes permuted (reversed by default)."""
    return A.transpose(conv(x), perm=axes)


def swapaxes(x, axis1, axis2):
    """``x`` with two axes swapped."""
    x = conv(x)
    perm = list(range(len(x.shape)))
    a, b = axis1 % len(perm), axis2 % len(perm)
    perm[a], perm[b] = perm[b], perm[a]
    return A.transpose(x, perm)


def moveaxis(x, source, destination):
    """``x`` with axes moved from ``source`` to ``destination``."""
    x = conv(x)
    nd = len(x.shape)
    src = [s % nd for s in _shape(source)]
    dst = [d % nd for d in _shape(destination)]
    order = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return A.transpose(x, order)


def expand_dims(x, axis):
    """``x`` with new axes of length 1."""
    x = conv(x)
    axes = _shape(axis)
    nd = len(x.shape) + len(axes)
    axes = sorted(a % nd for a in axes)
    for a in axes:
        x = A.expand_dims(x, a)
    return x


def squeeze(x, axis=None):
    """``x`` without its length-1 axes (or those in ``axis``)."""
    x = conv(x)
    if axis is not None:
        for a in _shape(axis):
            if x.shape[a] != 1:
                raise ValueError(f"Cannot squeeze axis {a}, because the dimension is not 1.")
    return A.squeeze(x, axis=axis if axis is None else _shape(axis))


def broadcast_to(x, shape):
    """``x`` broadcast to ``shape``."""
    return A.broadcast_to(conv(x), _shape(shape))


def concatenate(xs, axis=0):
    """Tensors joined along ``axis`` (after Keras's dtype promotion)."""
    if axis is None:
        raise ValueError("concatenate: `axis=None` is not supported; pass an integer axis")
    return A.concat(promote(*xs), axis)


def append(x1, x2, axis=None):
    """``x2`` appended to ``x1`` (flattened when ``axis`` is None)."""
    if axis is None:
        return A.concat([A.reshape(v, [-1]) for v in promote(x1, x2)], 0)
    return concatenate([x1, x2], axis=axis)


def stack(x, axis=0):
    """Tensors stacked along a new axis."""
    return A.stack(promote(*x), axis=axis)


def hstack(xs):
    """Tensors joined column-wise."""
    xs = promote(*xs)
    return A.concat(xs, 0 if len(xs[0].shape) == 1 else 1)


def vstack(xs):
    """Tensors joined row-wise."""
    return A.concat(promote(*xs), 0)


def dstack(xs):
    """Tensors joined along the third axis."""
    out = []
    for v in promote(*xs):
        if len(v.shape) == 1:
            v = A.reshape(v, [1, -1, 1])
        elif len(v.shape) == 2:
            v = A.expand_dims(v, 2)
        out.append(v)
    return A.concat(out, 2)


def split(x, indices_or_sections, axis=0):
    """``x`` split into equal sections or at indices."""
    x = conv(x)
    n = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if n % indices_or_sections:
            raise invalid("Split", f"Number of ways to split should evenly divide the split "
                          f"dimension, but got split_dim {axis} (size = {n}) and num_split "
                          f"{indices_or_sections}")
        return IX.split(x, indices_or_sections, axis=axis)
    return _split_at(x, list(indices_or_sections), axis)


def _split_at(x, idx, axis):
    n = x.shape[axis]
    bounds = [0] + [_min(_max(i if i >= 0 else n + i, 0), n) for i in idx] + [n]
    out = []
    nd = len(x.shape)
    for a, b in zip(bounds[:-1], bounds[1:]):
        b = _max(a, b)
        begin = [0] * nd
        size_ = list(x.shape)
        begin[axis % nd], size_[axis % nd] = a, b - a
        out.append(A.slice(x, begin, size_))
    return out


def array_split(x, indices_or_sections, axis=0):
    """``x`` split into nearly equal sections."""
    x = conv(x)
    n = x.shape[axis]
    k = indices_or_sections
    sizes = [n // k + 1] * (n % k) + [n // k] * (k - n % k)
    idx = list(np.cumsum(sizes)[:-1])
    return _split_at(x, [int(i) for i in idx], axis)


def hsplit(x, indices_or_sections):
    """Split along columns."""
    return split(x, indices_or_sections, axis=0 if len(conv(x).shape) == 1 else 1)


def vsplit(x, indices_or_sections):
    """Split along rows."""
    return split(x, indices_or_sections, axis=0)


def dsplit(x, indices_or_sections):
    """Split along the third axis."""
    return split(x, indices_or_sections, axis=2)


def flip(x, axis=None):
    """``x`` reversed along ``axis`` (all axes by default)."""
    x = conv(x)
    return IX.reverse(x, _axes(axis, len(x.shape)))


def fliplr(x):
    """``x`` reversed left-right."""
    return flip(x, 1)


def flipud(x):
    """``x`` reversed up-down."""
    return flip(x, 0)


def rot90(array, k=1, axes=(0, 1)):
    """``x`` rotated by 90 degrees ``k`` times in the plane of ``axes``."""
    x = conv(array)
    if len(x.shape) < 2:
        raise ValueError(f"Input array must have at least 2 dimensions. Received: "
                         f"array.ndim={len(x.shape)}")
    a, b = axes
    k %= 4
    if k == 0:
        return x
    if k == 2:
        return flip(flip(x, a), b)
    if k == 1:
        return swapaxes(flip(x, b), a, b)
    return flip(swapaxes(x, a, b), b)


def roll(x, shift, axis=None):
    """``x`` rolled by ``shift`` along ``axis`` (flattened when None)."""
    x = conv(x)
    if axis is None:
        return A.reshape(IX.roll(A.reshape(x, [-1]), shift, 0), list(x.shape))
    return IX.roll(x, shift, axis)


def tile(x, repeats):
    """``x`` repeated ``repeats`` times along each axis."""
    x = conv(x)
    reps = _shape(repeats)
    nd = _max(len(reps), len(x.shape))
    x = A.reshape(x, [1] * (nd - len(x.shape)) + list(x.shape))
    return IX.tile(x, [1] * (nd - len(reps)) + reps)


def repeat(x, repeats, axis=None):
    """Each element repeated ``repeats`` times."""
    x = conv(x)
    if axis is None:
        x, axis = A.reshape(x, [-1]), 0
    return IX.repeat(x, repeats, axis=axis)


def pad(x, pad_width, mode="constant", constant_values=None):
    """``x`` padded by ``pad_width`` (NumPy's forms), mode constant/reflect/symmetric."""
    x = conv(x)
    if constant_values is not None and mode != "constant":
        raise ValueError("Argument `constant_values` can only be provided when "
                         f"`mode == 'constant'`. Received: mode={mode}")
    if np.ndim(pad_width) == 0 and len(x.shape) != 0:
        raise invalid("Pad", f"paddings must be a matrix with 2 columns: [{len(x.shape)},2] "
                      f"for input shape {list(x.shape)}, got a scalar {pad_width}")
    pw = np.broadcast_to(np.asarray(pad_width, dtype="int64"), (len(x.shape), 2)).tolist()
    if constant_values is not None and mode != "constant":
        raise ValueError("Argument `constant_values` can only be provided when "
                         f"`mode == 'constant'`. Received: mode={mode}")
    return IX.pad(x, pw, mode=mode.upper(), constant_values=constant_values or 0)


def diff(a, n=1, axis=-1):
    """``n``-th differences along ``axis``."""
    x = conv(a)
    nd = len(x.shape)
    ax = axis % nd
    for _ in range(n):
        m = x.shape[ax]
        b1, b0 = [0] * nd, [0] * nd
        b1[ax] = 1
        s = list(x.shape)
        s[ax] = m - 1
        x = M.subtract(A.slice(x, b1, s), A.slice(x, b0, s))
    return x


def tril(x, k=0):
    """The lower triangle (at and below diagonal ``k``)."""
    x = conv(x)
    n, m = x.shape[-2], x.shape[-1]
    mask = conv(np.tri(n, m, k, dtype=bool))
    return M.where(A.broadcast_to(mask, list(x.shape)), x, M.zeros_like(x))


def triu(x, k=0):
    """The upper triangle (at and above diagonal ``k``)."""
    x = conv(x)
    n, m = x.shape[-2], x.shape[-1]
    mask = conv(~np.tri(n, m, k - 1, dtype=bool))
    return M.where(A.broadcast_to(mask, list(x.shape)), x, M.zeros_like(x))


def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal of the plane ``axis1``/``axis2`` (moved last)."""
    x = conv(x)
    nd = len(x.shape)
    a1, a2 = axis1 % nd, axis2 % nd
    rest = [i for i in range(nd) if i not in (a1, a2)]
    x = A.transpose(x, rest + [a1, a2])
    n, m = x.shape[-2], x.shape[-1]
    rows = np.arange(_max(0, -offset), _min(n, m - offset))
    cols = rows + offset
    lead = list(x.shape[:-2])
    flat = A.reshape(x, lead + [n * m])
    return IX.gather(flat, conv((rows * m + cols).astype("int64")), axis=len(lead))


def diag(x, k=0):
    """The ``k``-th diagonal of a matrix, or a matrix with ``x`` on its diagonal."""
    x = conv(x)
    if len(x.shape) == 1:
        n = x.shape[0] + _abs(k)
        rows = np.arange(x.shape[0]) + _max(0, -k)
        cols = rows + k
        idx = conv(np.stack([rows, cols], 1).astype("int64"))
        return IX.scatter_nd(idx, x, [n, n])
    if len(x.shape) == 2:
        return diagonal(x, k)
    raise ValueError(f"`x` must be 1-D or 2-D. Received: x.shape={tuple(x.shape)}")


def diagflat(x, k=0):
    """A matrix with flattened ``x`` on diagonal ``k``."""
    return diag(ravel(x), k)


def trace(x, offset=0, axis1=0, axis2=1):
    """The sum along a diagonal."""
    x = conv(x)
    d = x.dtype.name
    if d in ("bool", "int8", "int16"):
        x = M.cast(x, "int32")
    return R.reduce_sum(diagonal(x, offset, axis1, axis2), axis=-1)


def take(x, indices, axis=None):
    """Elements of ``x`` at ``indices`` along ``axis`` (flattened when None); negative
    indices count from the end."""
    x = conv(x)
    if axis is None:
        x, axis = A.reshape(x, [-1]), 0
    idx = conv(indices)
    if not is_int(idx.dtype.name):
        raise invalid("GatherV2", f"Value for attr 'Tindices' of {idx.dtype.name} is not in "
                      f"the list of allowed values: int16, int32, int64")
    n = x.shape[axis]
    idx = M.where(M.less(idx, M.zeros_like(idx)), M.add(idx, conv(n, idx.dtype)), idx)
    return IX.gather(x, idx, axis=axis)


def take_along_axis(x, indices, axis=None):
    """Elements of ``x`` at ``indices`` matched along ``axis``."""
    x = conv(x)
    idx = conv(indices)
    if axis is None:
        x, axis = A.reshape(x, [-1]), 0
        idx = A.reshape(idx, [-1])
    nd = len(x.shape)
    axis %= nd
    shape = list(np.broadcast_shapes(
        tuple(s for i, s in enumerate(x.shape) if i != axis),
        tuple(s for i, s in enumerate(idx.shape) if i != axis)))
    xs = shape[:axis] + [x.shape[axis]] + shape[axis:]
    ish = shape[:axis] + [idx.shape[axis]] + shape[axis:]
    x = A.broadcast_to(x, xs)
    idx = A.broadcast_to(M.cast(idx, "int64"), ish)
    idx = M.where(M.less(idx, M.zeros_like(idx)), M.add(idx, conv(xs[axis], "int64")), idx)
    grids = np.meshgrid(*[np.arange(s) for s in ish], indexing="ij")
    parts = [conv(g.astype("int64")) for g in grids]
    parts[axis] = idx
    return IX.gather_nd(x, A.stack(parts, axis=-1))


def get_item(x, key):
    """``x[key]``."""
    return conv(x)[key]


def outer(x1, x2):
    """The outer product of flattened ``x1`` and ``x2``."""
    a, b = promote(x1, x2)
    return M.multiply(A.reshape(a, [-1, 1]), A.reshape(b, [1, -1]))


def inner(x1, x2):
    """The inner product over the last axes."""
    a, b = promote(x1, x2)
    if not len(a.shape) or not len(b.shape):
        return M.multiply(a, b)
    return L.tensordot(a, b, [[len(a.shape) - 1], [len(b.shape) - 1]])


def vdot(x1, x2):
    """The dot product of flattened ``x1`` and ``x2``."""
    a, b = promote(x1, x2)
    return R.reduce_sum(M.multiply(A.reshape(a, [-1]), A.reshape(b, [-1])))


def _mm_dtype(a, b):
    d = result_type(dname(a), dname(b))
    if d in ("bool", "int8", "int16", "uint8", "uint16"):
        return "int32"
    return d


def matmul(x1, x2):
    """Matrix product (NumPy's rules for 1-D operands); small integers give int32."""
    d = _mm_dtype(x1, x2)
    a, b = conv(x1, d), conv(x2, d)
    va, vb = len(a.shape) == 1, len(b.shape) == 1
    if va:
        a = A.expand_dims(a, 0)
    if vb:
        b = A.expand_dims(b, 1)
    lead = np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2]))
    if a.shape[-1] != b.shape[-2]:
        raise invalid("MatMul", f"Matrix size-incompatible: In[0]: {list(a.shape)}, In[1]: "
                      f"{list(b.shape)}")
    a = A.broadcast_to(a, list(lead) + list(a.shape[-2:]))
    b = A.broadcast_to(b, list(lead) + list(b.shape[-2:]))
    r = L.matmul(a, b)
    if va:
        r = A.squeeze(r, axis=[-2])
    if vb:
        r = A.squeeze(r, axis=[-1])
    return r


def dot(x1, x2):
    """NumPy's ``dot``: products for scalars, matmul otherwise (last axis of ``x1`` with the
    second-to-last of ``x2``)."""
    d = _mm_dtype(x1, x2)
    a, b = conv(x1, d), conv(x2, d)
    if not len(a.shape) or not len(b.shape):
        return M.multiply(a, b)
    if len(b.shape) <= 2:
        return L.tensordot(a, b, [[len(a.shape) - 1], [0]])
    return L.tensordot(a, b, [[len(a.shape) - 1], [len(b.shape) - 2]])


def tensordot(x1, x2, axes=2):
    """Sum products over ``axes``."""
    a, b = promote(x1, x2)
    return L.tensordot(a, b, axes)


def einsum(subscripts, *operands, **kwargs):
    """Einstein summation."""
    ops_ = promote(*operands)
    d = ops_[0].dtype.name
    if d in ("bool", "int8", "int16", "uint8", "uint16"):
        ops_ = [M.cast(o, "int32") for o in ops_]
    return L.einsum(subscripts, *ops_)


def kron(x1, x2):
    """The Kronecker product."""
    a, b = promote(x1, x2)
    nd = _max(len(a.shape), len(b.shape))
    a = A.reshape(a, [1] * (nd - len(a.shape)) + list(a.shape))
    b = A.reshape(b, [1] * (nd - len(b.shape)) + list(b.shape))
    ai = A.reshape(a, [s for d in a.shape for s in (d, 1)])
    bi = A.reshape(b, [s for d in b.shape for s in (1, d)])
    return A.reshape(M.multiply(ai, bi), [p * q for p, q in zip(a.shape, b.shape)])


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors (2-vectors are padded with a zero z)."""
    a, b = promote(x1, x2)
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)

    def comps(v):
        cs = IX.unstack(v, axis=-1)
        if len(cs) == 2:
            cs.append(M.zeros_like(cs[0]))
        return cs
    (a0, a1, a2), (b0, b1, b2) = comps(a), comps(b)
    c = A.stack([M.subtract(M.multiply(a1, b2), M.multiply(a2, b1)),
                 M.subtract(M.multiply(a2, b0), M.multiply(a0, b2)),
                 M.subtract(M.multiply(a0, b1), M.multiply(a1, b0))], axis=-1)
    if conv(x1).shape[axisa] == 2 and conv(x2).shape[axisb] == 2:
        return IX.unstack(c, axis=-1)[2]
    return moveaxis(c, -1, axisc)


def correlate(x1, x2, mode="valid"):
    """Cross-correlation of two 1-D sequences."""
    d = result_type(dname(x1), dname(x2), float)
    a, b = conv(x1, d), conv(x2, d)
    n, m = a.shape[0], b.shape[0]
    if mode == "valid":
        lo, hi = 0, 0
    elif mode == "same":
        lo = (m - 1) // 2
        hi = m - 1 - lo
    elif mode == "full":
        lo = hi = m - 1
    else:
        raise ValueError(f"mode must be 'valid', 'same' or 'full'. Received: mode={mode}")
    if n < m:
        raise ValueError("x1 must be at least as long as x2")
    ap = IX.pad(a, [[lo, hi]])
    L_ = n + lo + hi - m + 1
    idx = np.arange(L_)[:, None] + np.arange(m)[None, :]
    win = IX.gather(ap, conv(idx.astype("int64")))
    return R.reduce_sum(M.multiply(win, A.reshape(b, [1, m])), axis=1)


def corrcoef(x):
    """Pearson correlation coefficients of the rows of ``x``."""
    x = to_float(x)
    if len(x.shape) == 1:
        x = A.reshape(x, [1, -1])
    c = M.subtract(x, R.reduce_mean(x, axis=1, keepdims=True))
    cov = L.matmul(c, A.transpose(c))
    dv = M.sqrt(L.diag_part(cov))
    return M.divide(M.divide(cov, A.reshape(dv, [-1, 1])), A.reshape(dv, [1, -1]))


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of ``y`` by the trapezoid rule."""
    y = to_float(y)
    nd = len(y.shape)
    ax = axis % nd
    n = y.shape[ax]
    b1, b0, s = [0] * nd, [0] * nd, list(y.shape)
    b1[ax], s[ax] = 1, n - 1
    avg = M.multiply(M.add(A.slice(y, b1, s), A.slice(y, b0, s)), conv(0.5, y.dtype))
    if x is None:
        return M.multiply(R.reduce_sum(avg, axis=ax), conv(dx, y.dtype))
    dxs = diff(conv(x, y.dtype), axis=-1)
    if len(dxs.shape) == 1 and nd > 1:
        shape = [1] * nd
        shape[ax] = n - 1
        dxs = A.reshape(dxs, shape)
    return R.reduce_sum(M.multiply(avg, dxs), axis=ax)


# ---------------------------------------------------------------- sorting and sets

def sort(x, axis=-1):
    """``x`` sorted along ``axis`` (flattened when ``axis`` is None)."""
    x = conv(x)
    if axis is None:
        x, axis = A.reshape(x, [-1]), -1
    if x.dtype.name == "bool":
        return M.cast(S.sort(M.cast(x, "int32"), axis=axis), "bool")
    return S.sort(x, axis=axis)


def argsort(x, axis=-1):
    """The indices that sort ``x`` (stable, int32)."""
    x = conv(x)
    if not x.shape:
        return conv(0, "int32")
    return np_fn(lambda xp, a: xp.argsort(a, axis=axis, kind="stable").astype("int32"), x)


def argpartition(x, kth, axis=-1):
    """Indices that partition ``x`` around its ``kth`` element (int32)."""
    return np_fn(lambda xp, a: xp.moveaxis(_argpartition(xp, xp.moveaxis(a, axis, -1), kth),
                                           -1, axis), x)


def _argpartition(xp, a, kth):
    # the kth+1 smallest first (in sorted order), then the others in their original order
    order = xp.argsort(a, axis=-1, kind="stable")
    low = order[..., :kth + 1]
    rest = xp.sort(order[..., kth + 1:], axis=-1)
    return xp.concatenate([low, rest], axis=-1).astype("int32")


def searchsorted(sorted_sequence, values, side="left"):
    """Where ``values`` would be inserted to keep the sequence sorted (int32)."""
    a, v = promote(sorted_sequence, values)
    if len(a.shape) != 1:
        raise ValueError("`searchsorted` only supports 1-D sorted sequences.")
    return np_fn(lambda xp, p, q: xp.searchsorted(p, q, side=side).astype("int32"), a, v)


def digitize(x, bins):
    """The bin of each element of ``x`` (int32)."""
    return np_fn(lambda xp, a, b: xp.digitize(a, b).astype("int32"), x, bins)


def bincount(x, weights=None, minlength=0, sparse=False):
    """How often each non-negative integer occurs (weighted when ``weights`` given)."""
    x = conv(x)
    if weights is None:
        return np_fn(lambda xp, a: _bincount(xp, a, None, minlength).astype("int32"), x)
    w = conv(weights)
    return np_fn(lambda xp, a, b: _bincount(xp, a, b, minlength).astype(b.dtype), x, w)


def _bincount(xp, a, w, minlength):
    if a.ndim == 1:
        return xp.bincount(a, weights=w, minlength=minlength)
    n = _max(int(a.max()) + 1 if a.size else 0, minlength)
    rows = [xp.bincount(a[i], weights=None if w is None else w[i], minlength=n)
            for i in range(a.shape[0])]
    return xp.stack(rows)


def histogram(x, bins=10, range=None):
    """Counts per bin and the bin edges."""
    x = conv(x)
    if len(x.shape) != 1:
        raise ValueError(f"Input tensor must be 1-dimensional. Received: input.shape="
                         f"{tuple(x.shape)}")
    counts, edges = np.histogram(host(x), bins=bins, range=range)
    nd = x.dtype.as_numpy_dtype
    return conv(counts.astype(nd)), conv(edges.astype(nd))


def unique(x, sorted=True, return_inverse=False, return_counts=False, axis=None, size=None,
           fill_value=None):
    """The distinct elements of ``x`` (optionally the inverse indices and counts)."""
    a = np.asarray(host(x))
    vals, inv, cnt = np.unique(a, return_inverse=True, return_counts=True, axis=axis)
    if size is not None:
        fv = fill_value if fill_value is not None else (vals.min() if vals.size else 0)
        if len(vals) < size:
            vals = np.concatenate([vals, np.full(size - len(vals), fv, vals.dtype)])
            cnt = np.concatenate([cnt, np.zeros(size - len(cnt), cnt.dtype)])
        vals, cnt = vals[:size], cnt[:size]
    outs = [conv(vals)]
    if return_inverse:
        outs.append(conv(inv.reshape(a.shape if axis is None else -1).astype("int32")))
    if return_counts:
        outs.append(conv(cnt.astype("int32")))
    return outs[0] if len(outs) == 1 else tuple(outs)


def unravel_index(indices, shape):
    """Flat indices as a tuple of coordinate tensors."""
    idx = conv(indices)
    r = np.unravel_index(np.asarray(host(idx)), tuple(shape))
    return tuple(conv(v.astype(idx.dtype.as_numpy_dtype)) for v in r)


# ---------------------------------------------------------------- complex numbers

def real(x):
    """The real part (the input itself for real dtypes)."""
    return conv(x)


def imag(x):
    """The imaginary part (zeros for real dtypes)."""
    return M.zeros_like(conv(x))


def conjugate(x):
    """The complex conjugate (the input itself for real dtypes)."""
    return conv(x)


conj = conjugate


def angle(x):
    """The complex argument: 0 or pi for real numbers."""
    x = to_float(x)
    return arctan2(M.zeros_like(x), x)


# ---------------------------------------------------------------- misc

def vectorize(pyfunc, *, excluded=None, signature=None):
    """``pyfunc`` applied element by element (or over ``signature``'s core dimensions)."""
    excluded = set(excluded or ())

    def run(*args, **kwargs):
        ts = [conv(a) if i not in excluded else a for i, a in enumerate(args)]
        tensors = [t for i, t in enumerate(ts) if i not in excluded]
        if signature is None:
            shape = np.broadcast_shapes(*[tuple(t.shape) for t in tensors])
            bs = [A.reshape(A.broadcast_to(t, list(shape)), [-1]) for t in tensors]
            n = int(np.prod(shape))
            outs = []
            for k in range(n):
                it = iter([b[k] for b in bs])
                call = [a if i in excluded else next(it) for i, a in enumerate(ts)]
                outs.append(conv(pyfunc(*call, **kwargs)))
            return A.reshape(A.stack(outs), list(shape)) if outs else A.zeros(list(shape))
        core_in = signature.split("->")[0]
        ncore = [len([d for d in p.strip("() ").split(",") if d.strip()])
                 for p in core_in.split("),")]
        batch = [tuple(t.shape[:len(t.shape) - c]) for t, c in zip(tensors, ncore)]
        shape = np.broadcast_shapes(*batch)
        n = int(np.prod(shape))
        bs = [A.reshape(A.broadcast_to(t, list(shape) + list(t.shape[len(t.shape) - c:])),
                        [n] + list(t.shape[len(t.shape) - c:])) for t, c in zip(tensors, ncore)]
        outs = []
        for k in range(n):
            it = iter([b[k] for b in bs])
            call = [a if i in excluded else next(it) for i, a in enumerate(ts)]
            outs.append(conv(pyfunc(*call, **kwargs)))
        r = A.stack(outs)
        return A.reshape(r, list(shape) + list(r.shape[1:]))
    run.__name__ = getattr(pyfunc, "__name__", "vectorized")
    run.__doc__ = getattr(pyfunc, "__doc__", None)
    return run


def view(x, dtype=None):
    """``x``'s bytes reinterpreted as ``dtype``."""
    x = conv(x)
    if dtype is None:
        return x
    nd = dtypes.as_dtype(dtype).as_numpy_dtype
    return np_fn(lambda xp, a: xp.ascontiguousarray(a).view(nd), x)


def slogdet(x):
    """The sign and log of ``|det(x)|``."""
    return L.slogdet(to_float(x))


__all__ = [
    "abs", "absolute", "add", "all", "allclose", "amax", "amin", "angle", "any", "append",
    "arange", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh",
    "argmax", "argmin", "argpartition", "argsort", "array", "array_split", "average",
    "bartlett", "bincount", "bitwise_and", "bitwise_invert", "bitwise_left_shift",
    "bitwise_not", "bitwise_or", "bitwise_right_shift", "bitwise_xor", "blackman",
    "broadcast_to", "cbrt", "ceil", "clip", "concatenate", "conj", "conjugate", "copy",
    "corrcoef", "correlate", "cos", "cosh", "count_nonzero", "cross", "cumprod", "cumsum",
    "deg2rad", "diag", "diagflat", "diagonal", "diff", "digitize", "divide", "divide_no_nan",
    "dot", "dsplit", "dstack", "einsum", "empty", "empty_like", "equal", "exp", "exp2",
    "expand_dims", "expm1", "eye", "fabs", "flip", "fliplr", "flipud", "floor", "floor_divide",
    "fmax", "fmin", "fmod", "full", "full_like", "gcd", "geomspace", "get_item", "greater",
    "greater_equal", "hamming", "hanning", "heaviside", "histogram", "hsplit", "hstack",
    "hypot", "i0", "identity", "imag", "inner", "isclose", "isfinite", "isin", "isinf",
    "isnan", "isneginf", "isposinf", "isreal", "kaiser", "kron", "lcm", "ldexp", "left_shift",
    "less", "less_equal", "linspace", "log", "log10", "log1p", "log2", "logaddexp",
    "logaddexp2", "logical_and", "logical_not", "logical_or", "logical_xor", "logspace",
    "matmul", "max", "maximum", "mean", "median", "meshgrid", "min", "minimum", "mod",
    "moveaxis", "multiply", "nan_to_num", "nanargmax", "nanargmin", "nancumprod", "nancumsum",
    "nanmax", "nanmean", "nanmedian", "nanmin", "nanpercentile", "nanprod", "nanquantile",
    "nanstd", "nansum", "nanvar", "ndim", "negative", "nextafter", "nonzero", "not_equal",
    "ones", "ones_like", "outer", "pad", "percentile", "power", "prod", "ptp", "quantile",
    "rad2deg", "ravel", "real", "reciprocal", "repeat", "reshape", "right_shift", "roll",
    "rot90", "round", "searchsorted", "select", "sign", "signbit", "sin", "sinc", "sinh",
    "size", "slogdet", "sort", "split", "sqrt", "square", "squeeze", "stack", "std",
    "subtract", "sum", "swapaxes", "take", "take_along_axis", "tan", "tanh", "tensordot",
    "tile", "trace", "transpose", "trapezoid", "tri", "tril", "triu", "true_divide", "trunc",
    "unique", "unravel_index", "vander", "var", "vdot", "vectorize", "view", "vsplit",
    "vstack", "where", "zeros", "zeros_like"
]
