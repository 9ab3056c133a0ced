"""Elementwise math: arithmetic, comparisons, logic, unary functions, complex numbers
(``tf.complex``, real and imaginary parts, conjugate, angle), and the Python operators of
tensors. Each op's forward and gradient sit side by side; ``_holo`` gives holomorphic ops TF's
gradient convention on complex inputs."""
import builtins
import math as _pymath

from .. import dtypes
from .._recording import recording
from ..backend import device_erf, placement, xp_of
from ..backend import host as _host
from ..errors import InvalidArgumentError, UnimplementedError
from ..tensor import TensorBase, const, convert_to_tensor
from . import _core
from ._core import (
    CompositeInput,
    Op,
    apply,
    check_kinds,
    convert_inputs,
    dispatch,
    dtype_mismatch,
    record,
)
from ._device import place_inputs

__all__ = [
    "add", "subtract", "multiply", "divide", "truediv", "realdiv", "floordiv", "floor_div",
    "floormod", "mod", "truncatediv", "truncatemod", "pow", "maximum", "minimum",
    "squared_difference", "divide_no_nan",
    "add_n", "negative", "abs", "sign", "exp", "expm1", "log", "log1p", "sqrt", "rsqrt", "square",
    "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh",
    "atanh", "floor", "ceil", "round", "sigmoid", "erf", "log_sigmoid", "softplus",
    "reciprocal_no_nan",
    "xlogy", "clip_by_value", "is_nan", "is_inf", "is_finite", "cast", "saturate_cast",
    "identity", "stop_gradient", "equal", "not_equal", "less", "less_equal", "greater",
    "greater_equal", "logical_and", "logical_or", "logical_xor", "logical_not", "where",
    "zeros_like", "ones_like", "complex",
]
COMPLEX_PARTS = ["real", "imag", "conj", "angle"]  # tf.math only, not top-level names in TF

_F = "f"  # float-only ops
_NUM = "fiu"  # numbers, not bools
_INT = "iu"
_FC = "fc"  # float or complex
_NUMC = "fiuc"  # numbers, complex included


class _Conjugated:
    """A recorded node seen through its conjugates (inputs and output), for ``_holo``."""

    __slots__ = ("op", "inputs", "out", "attrs", "needs")

    def __init__(self, n):
        self.op, self.attrs, self.needs = n.op, n.attrs, n.needs
        self.inputs = [conj(x) for x in n.inputs]
        self.out = conj(n.out)


def _holo(rule):
    """TF's gradient convention for an op holomorphic on complex inputs: the upstream gradient
    times the conjugate of the derivative, i.e. the real rule run on the conjugated node
    (every rule here is a real-coefficient expression of the inputs and the output)."""

    def grad(n, g):
        if n.out._v.dtype.kind != "c":
            return rule(n, g)
        return rule(_Conjugated(n), g)

    return grad


# -- binary arithmetic -------------------------------------------------------------------------
def _add_grad(n, g):
    return g, g


def _sub_grad(n, g):
    return g, (-g if n.needs[1] else None)


def _mul_grad(n, g):
    x, y = n.inputs
    return (g * y if n.needs[0] else None), (x * g if n.needs[1] else None)


def _div_grad(n, g):
    x, y = n.inputs
    gx = g / y if n.needs[0] else None
    gy = -g * n.out / y if n.needs[1] else None
    return gx, gy


def _pow_grad(n, g):
    x, y = n.inputs
    gx = gy = None
    if n.needs[0]:
        gx = g * y * x ** (y - 1)
    if n.needs[1]:
        # NOTE: complex bases take log wherever x != 0 (there is no sign to test), as TF does
        pos = not_equal(x, 0) if x._v.dtype.kind == "c" else x > 0
        safe = where(pos, x, ones_like(x))
        gy = g * n.out * where(pos, log(safe), zeros_like(x))
    return gx, gy


def _minmax_grad(pick):
    def grad(n, g):
        x, y = n.inputs
        mask = pick(x, y)  # where x wins; ties send the gradient to x, as TF does
        gx = where(mask, g, zeros_like(g)) if n.needs[0] else None
        gy = where(mask, zeros_like(g), g) if n.needs[1] else None
        return gx, gy

    return grad


def _sqdiff_fwd(a, b):
    d = a - b
    return d * xp_of(d).conj(d) if d.dtype.kind == "c" else d * d  # |x - y|**2 for complex


def _sqdiff_grad(n, g):
    x, y = n.inputs
    d = 2.0 * g * (x - y)
    return (d if n.needs[0] else None), (-d if n.needs[1] else None)


def _truediv(a, b):
    return a / b


def _int_zero_check(name, a, b):
    if a.dtype.kind in "iu" and not b.all():
        raise InvalidArgumentError(None, name, f"Integer division by zero [Op:{name}]")


def _floordiv(a, b):
    _int_zero_check("FloorDiv", a, b)
    return a // b


def _floormod(a, b):
    _int_zero_check("FloorMod", a, b)
    return a % b


def _truncatediv(a, b):
    if a.dtype.kind in "iu":
        _int_zero_check("TruncateDiv", a, b)
        q = xp_of(a).abs(a) // xp_of(b).abs(b)
        return (q * (xp_of(a).sign(a) * xp_of(b).sign(b))).astype(a.dtype)
    return xp_of(a).trunc(a / b)


def _truncatemod(a, b):
    if a.dtype.kind in "iu":
        _int_zero_check("TruncateMod", a, b)
    return xp_of(a).fmod(a, b)


def _pow(a, b):
    if a.dtype.kind in "iu" and (b < 0).any():
        raise InvalidArgumentError(None, "Pow", "Integers to negative integer powers are not "
                                   "allowed [Op:Pow]")
    return a**b


def _add(a, b):
    r = a + b
    if type(r) is bytes:  # two 0-d string arrays concatenate to a bare bytes object
        r = _string_scalar(r)
    return r


def _string_scalar(b):
    """A 0-d object array holding the bytes ``b`` (a scalar string tensor's value)."""
    return _host.asarray(b, object)


ADD = Op("AddV2", _add, _add_grad, _NUMC + "O")  # strings concatenate, as in TF
SUB = Op("Sub", lambda a, b: a - b, _sub_grad, _NUMC)
MUL = Op("Mul", lambda a, b: a * b, _holo(_mul_grad), _NUMC)
DIV = Op("RealDiv", _truediv, _holo(_div_grad), _NUMC)
FLOORDIV = Op("FloorDiv", _floordiv, None, _NUM)
MOD = Op("FloorMod", _floormod,
         lambda n, g: (g if n.needs[0] else None,
                       -g * floor(n.inputs[0] / n.inputs[1]) if n.needs[1] else None), _NUM)
POW = Op("Pow", _pow, _holo(_pow_grad), _NUMC)
MAXIMUM = Op("Maximum", lambda a, b: xp_of(a).maximum(a, b),
             _minmax_grad(lambda x, y: x >= y), _NUM)
MINIMUM = Op("Minimum", lambda a, b: xp_of(a).minimum(a, b),
             _minmax_grad(lambda x, y: x <= y), _NUM)
TRUNCATEDIV = Op("TruncateDiv", _truncatediv, None, _NUM)
TRUNCATEMOD = Op("TruncateMod", _truncatemod, None, _NUM)
SQDIFF = Op("SquaredDifference", _sqdiff_fwd, _sqdiff_grad, _NUMC)


def _binary(op, x, y):
    """``x <op> y`` for a tensor ``x``: the operators' lean path (TF's dtype rules)."""
    if op is POW and type(y) is int and y == 2 and x._v.dtype.kind != "c":
        return apply(SQUARE, (x,), {})  # x**2 is x*x (same values, cheaper gradient)
    a = x._v
    if a.dtype.kind not in op.kinds:
        if a.dtype.kind == "O" and not isinstance(y, TensorBase):
            _operand(op, x, y)  # TF converts the operand first: TypeError for 2 * string
        raise _kind_error(op, a)
    if isinstance(y, TensorBase):
        b = y._v
        if b.dtype != a.dtype:
            raise dtype_mismatch(op.name, [x, y], 1)
    else:
        try:
            y = _operand(op, x, y)
        except CompositeInput:
            return NotImplemented  # Python then asks the composite's reflected operator
        b = y._v
    if placement:  # a device exists: move the inputs to the op's device (ops/_device.py)
        x, y = place_inputs(op, (x, y))
        a, b = x._v, y._v
    try:
        r = op.fwd(a, b)
    except ValueError as e:
        raise _shape_error(op, a, b, e) from None
    out = const(r)
    if recording:
        record(op, [x, y], out, None)
    return out


def _rbinary(op, x, y):
    """``y <op> x`` for a tensor ``x`` and a non-tensor ``y``."""
    if x._v.dtype.kind not in op.kinds:
        raise _kind_error(op, x._v)
    y = _operand(op, x, y, reflected=True)
    if placement:
        y, x = place_inputs(op, (y, x))
    a, b = y._v, x._v
    try:
        r = op.fwd(a, b)
    except ValueError as e:
        raise _shape_error(op, a, b, e) from None
    out = const(r)
    if recording:
        record(op, [y, x], out, None)
    return out


def _operand(op, x, y, reflected=False):
    """Convert a non-tensor operand to ``x``'s dtype the way TF's operator overloads do
    (``reflected``: the operand stands on the left, as in ``1.5 + x``)."""
    d = x._v.dtype
    ty = type(y)
    if (ty is float and d.kind == "f") or (ty is int and d.kind in "fiu"):
        try:
            return const(d.type(y))  # a NumPy scalar of x's dtype: the cheap common case
        except OverflowError:
            pass  # an int out of range of a small int dtype wraps below, as in TF
    if d.kind == "c" and ty in (float, int, builtins.complex):
        return const(d.type(y))
    if isinstance(y, (str, bytes)) and d.kind != "O":
        raise TypeError(f"Cannot convert {y!r} to EagerTensor of dtype "
                        f"{dtypes.from_numpy(d).name}")
    if ty is builtins.complex:
        raise InvalidArgumentError(
            None, op.name,
            f"cannot compute {op.name} as input #1(zero-based) was expected to be a "
            f"{dtypes.from_numpy(d).name} tensor but is a complex128 tensor "
            f"(value {y!r}, shape {list(x._v.shape)}) [Op:{op.name}]",
        )
    try:
        return convert_to_tensor(y, dtypes.from_numpy(d))
    except TypeError:
        if op is not ADD or reflected:
            raise
    # TF's quirk: ``x + 1.5`` (only ``+``, only with the tensor on the left) converts the
    # operand on its own and then fails on the dtypes, as the op, not as a TypeError
    other = convert_to_tensor(y)
    raise InvalidArgumentError(
        None, op.name,
        f"cannot compute {op.name} as input #1(zero-based) was expected to be a "
        f"{_kernel_name(d)} tensor but is a {_kernel_name(other._v.dtype)} tensor "
        f"[Op:{op.name}]")


def _kernel_name(np_dtype):
    """The dtype's name as TF's kernels spell it in messages (float32 is "float")."""
    name = dtypes.from_numpy(np_dtype).name
    return {"float32": "float", "float64": "double", "float16": "half"}.get(name, name)


def _shape_error(op, a, b, e):
    return InvalidArgumentError(
        None, op.name,
        f"Incompatible shapes: {list(a.shape)} vs. {list(b.shape)} [Op:{op.name}]",
    )


def _kind_error(op, a):
    try:
        check_kinds(op, [a])
    except InvalidArgumentError as e:
        return e
    return InvalidArgumentError(None, op.name, f"bad dtype for {op.name}")


def _truediv_op(x, y):
    """TF's truediv: integer inputs are cast to float (int8/16 -> float32, else float64)."""
    try:
        x, y = convert_inputs(DIV, [x, y])
    except CompositeInput:
        return dispatch(divide, (x, y))
    except TypeError:
        if not isinstance(x, TensorBase) or isinstance(y, TensorBase):
            raise
        other = dtypes.infer_dtype(y)
        raise TypeError(f"`x` and `y` must have the same dtype, got {x.dtype!r} != "
                        f"{other!r}.") from None
    k = x._v.dtype
    if k.kind in "iub":
        target = dtypes.float32 if k.itemsize <= 2 else dtypes.float64
        x, y = cast(x, target), cast(y, target)
    return apply(DIV, (x, y), {})


def _fn2(op, summary=None):
    """The public function of a binary op: ``fn(x, y, name=None)``."""

    def fn(x, y, name=None):
        return apply(op, (x, y), {})

    fn.__name__ = op.name.lower()
    if summary:
        fn.__doc__ = (f"{summary}\n\nArgs:\n    x, y: tensors of one dtype (or Python values, "
                      "converted to the other's dtype); their shapes broadcast.\n"
                      "    name: accepted for TF compatibility (tapeflow does not name ops).\n\n"
                      "Returns:\n    A tensor of the broadcast shape.\n")
    return fn


def add(x, y, name=None):
    """Elementwise ``x + y`` with broadcasting (strings concatenate)."""
    if isinstance(x, TensorBase) and not isinstance(y, TensorBase):
        return _binary(ADD, x, y)  # a Python value beside a tensor: the operator's rules
    return apply(ADD, (x, y), {})


def truncatediv(x, y, name=None):
    """``x / y`` rounded towards zero (C's integer division); integer division by zero is
    an error."""
    return apply(TRUNCATEDIV, (x, y), {})


def truncatemod(x, y, name=None):
    """The remainder of ``truncatediv``: it takes the sign of ``x`` (C's ``%``, ``fmod``)."""
    return apply(TRUNCATEMOD, (x, y), {})


subtract = _fn2(SUB, "Elementwise ``x - y`` with broadcasting.")
multiply = _fn2(MUL, "Elementwise ``x * y`` with broadcasting.")
realdiv = _fn2(DIV, "Elementwise ``x / y`` for floating (or complex) tensors of one dtype.")
floordiv = floor_div = _fn2(
    FLOORDIV, "Elementwise ``x // y`` (towards minus infinity); integer division by zero raises.")
floormod = mod = _fn2(MOD, "Elementwise remainder of ``floordiv``, with the sign of ``y``.")
pow = _fn2(POW, "Elementwise ``x ** y`` with broadcasting.")  # TF's name
maximum = _fn2(MAXIMUM, "Elementwise larger of ``x`` and ``y``.")
minimum = _fn2(MINIMUM, "Elementwise smaller of ``x`` and ``y``.")
squared_difference = _fn2(SQDIFF, "Elementwise ``(x - y) ** 2``.")


def divide(x, y, name=None):
    """Elementwise ``x / y``; integer inputs are divided as floats (TF's truediv)."""
    return _truediv_op(x, y)


truediv = divide


def divide_no_nan(x, y, name=None):
    """Elementwise ``x / y``, with 0 wherever ``y`` is 0."""
    try:
        x, y = convert_inputs(DIV, [x, y])
    except CompositeInput:
        return dispatch(divide_no_nan, (x, y))
    safe = where(equal(y, 0), ones_like(y), y)
    return where(equal(y, 0), zeros_like(x * safe), x / safe)


def add_n(inputs, name=None):
    """Sum of a list of tensors of the same shape and dtype."""
    if not inputs:
        raise ValueError("inputs must be a non-empty list of tensors")
    total = inputs[0]
    if not isinstance(total, TensorBase):
        try:
            total = convert_to_tensor(total)
        except CompositeInput:
            pass  # a composite's own addition (dispatched by ADD below)
    for t in inputs[1:]:
        total = apply(ADD, (total, t), {})
    return total if len(inputs) > 1 else identity(total)


# -- unary --------------------------------------------------------------------------------------
def unary(name, fwd, grad=None, kinds=_F):
    return Op(name, fwd, grad, kinds)


def _abs_grad(n, g):
    x = n.inputs[0]
    if x._v.dtype.kind != "c":
        return (g * sign(x),)
    # d|z| in TF's convention: g * z / |z|, and 0 at z = 0
    out = n.out
    safe = where(equal(out, 0), ones_like(out), out)
    return (cast(g / safe, dtypes.from_numpy(x._v.dtype)) * x,)



def _xp(f):
    return lambda a: getattr(xp_of(a), f)(a)


NEG = unary("Neg", lambda a: -a, lambda n, g: (-g,), _NUMC)
ABS = unary("Abs", _xp("abs"), _abs_grad, _NUMC)  # complex in, real out
SIGN = unary("Sign", _xp("sign"), lambda n, g: (zeros_like(g),), _NUM)
EXP = unary("Exp", _xp("exp"), _holo(lambda n, g: (g * n.out,)), _FC)
EXPM1 = unary("Expm1", _xp("expm1"), _holo(lambda n, g: (g * (n.out + 1.0),)), _FC)
LOG = unary("Log", _xp("log"), _holo(lambda n, g: (g / n.inputs[0],)), _FC)
LOG1P = unary("Log1p", _xp("log1p"), _holo(lambda n, g: (g / (n.inputs[0] + 1.0),)), _FC)
SQRT = unary("Sqrt", _xp("sqrt"), _holo(lambda n, g: (g * 0.5 / n.out,)), _FC)
RSQRT = unary("Rsqrt", lambda a: 1 / xp_of(a).sqrt(a),
              _holo(lambda n, g: (g * -0.5 * n.out / n.inputs[0],)), _FC)
SQUARE = unary("Square", lambda a: a * a, _holo(lambda n, g: (g * 2.0 * n.inputs[0],)), _NUMC)
RECIP = unary("Reciprocal", lambda a: 1 / a, _holo(lambda n, g: (-g * n.out * n.out,)), _FC)
SIN = unary("Sin", _xp("sin"), _holo(lambda n, g: (g * cos(n.inputs[0]),)), _FC)
COS = unary("Cos", _xp("cos"), _holo(lambda n, g: (-g * sin(n.inputs[0]),)), _FC)
TAN = unary("Tan", _xp("tan"), _holo(lambda n, g: (g * (1.0 + n.out * n.out),)), _FC)
ASIN = unary("Asin", _xp("arcsin"),
             _holo(lambda n, g: (g * rsqrt(1.0 - square(n.inputs[0])),)), _FC)
ACOS = unary("Acos", _xp("arccos"),
             _holo(lambda n, g: (-g * rsqrt(1.0 - square(n.inputs[0])),)), _FC)
ATAN = unary("Atan", _xp("arctan"), _holo(lambda n, g: (g / (1.0 + square(n.inputs[0])),)), _FC)
SINH = unary("Sinh", _xp("sinh"), _holo(lambda n, g: (g * cosh(n.inputs[0]),)), _FC)
COSH = unary("Cosh", _xp("cosh"), _holo(lambda n, g: (g * sinh(n.inputs[0]),)), _FC)
TANH = unary("Tanh", _xp("tanh"), _holo(lambda n, g: (g * (1.0 - n.out * n.out),)), _FC)
ASINH = unary("Asinh", _xp("arcsinh"),
              _holo(lambda n, g: (g * rsqrt(square(n.inputs[0]) + 1.0),)), _FC)
ATANH = unary("Atanh", _xp("arctanh"),
              _holo(lambda n, g: (g / (1.0 - square(n.inputs[0])),)), _FC)
FLOOR = unary("Floor", _xp("floor"), lambda n, g: (zeros_like(g),))
CEIL = unary("Ceil", _xp("ceil"), lambda n, g: (zeros_like(g),))
ROUND = unary("Round", _xp("rint"), lambda n, g: (zeros_like(g),), _NUM)  # half to even


def _sigmoid_fwd(a):
    xp = xp_of(a)
    if a.dtype.kind == "c":
        return 1 / (1 + xp.exp(-a))
    # NOTE: evaluated as exp(-|a|) so neither branch overflows for large |a|.
    e = xp.exp(-xp.abs(a))
    return xp.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


SIGMOID = unary("Sigmoid", _sigmoid_fwd, _holo(lambda n, g: (g * n.out * (1.0 - n.out),)), _FC)


def _softplus_fwd(a):
    xp = xp_of(a)
    # NOTE: max(a, 0) + log1p(exp(-|a|)) never overflows and keeps precision at both ends.
    return xp.maximum(a, a.dtype.type(0)) + xp.log1p(xp.exp(-xp.abs(a)))


SOFTPLUS = unary("Softplus", _softplus_fwd, lambda n, g: (g * sigmoid(n.inputs[0]),))


def _erf_fwd(a):
    xp = xp_of(a)
    if not isinstance(a, (_host.ndarray, _host.generic)):
        return device_erf(a)  # CuPy: cupyx.scipy.special.erf (scipy's would copy to the host)
    try:
        from scipy.special import erf as sp_erf  # optional: scipy

        return sp_erf(a).astype(a.dtype, copy=False)
    except ImportError:
        return xp.vectorize(_pymath.erf, otypes=[a.dtype])(a)


ERF = unary("Erf", _erf_fwd,
            lambda n, g: (g * 1.1283791670955126 * exp(-square(n.inputs[0])),))


def _unary_fn(op, summary=None):
    def fn(x, name=None):
        return apply(op, (x,), {})

    fn.__name__ = op.name.lower()
    if summary:
        fn.__doc__ = (f"{summary}\n\nArgs:\n    x: a tensor, or a value convertible to one.\n"
                      "    name: accepted for TF compatibility (tapeflow does not name ops).\n\n"
                      "Returns:\n    A tensor of ``x``'s shape; differentiable where TF's op is.\n")
    return fn


negative = _unary_fn(NEG, "Elementwise ``-x``.")
abs = _unary_fn(  # TF's name
    ABS, "Elementwise absolute value (for complex ``x``, the modulus, of the real dtype).")


def sign(x, name=None):
    """-1, 0 or 1; for complex ``x``, ``x / |x|`` (0 at 0), differentiable as TF's."""
    x = as_t(x)
    if x._v.dtype.kind == "c":
        return divide_no_nan(x, cast(apply(ABS, (x,), {}), x.dtype))
    return apply(SIGN, (x,), {})


exp = _unary_fn(EXP, "Elementwise ``e ** x``.")
expm1 = _unary_fn(EXPM1, "Elementwise ``exp(x) - 1``, accurate for small ``x``.")
log = _unary_fn(LOG, "Elementwise natural logarithm.")
log1p = _unary_fn(LOG1P, "Elementwise ``log(1 + x)``, accurate for small ``x``.")
sqrt = _unary_fn(SQRT, "Elementwise square root.")
rsqrt = _unary_fn(RSQRT, "Elementwise ``1 / sqrt(x)``.")
square = _unary_fn(SQUARE, "Elementwise ``x * x``.")
reciprocal = _unary_fn(RECIP, "Elementwise ``1 / x``.")
sin = _unary_fn(SIN, "Elementwise sine.")
cos = _unary_fn(COS, "Elementwise cosine.")
tan = _unary_fn(TAN, "Elementwise tangent.")
asin = _unary_fn(ASIN, "Elementwise inverse sine.")
acos = _unary_fn(ACOS, "Elementwise inverse cosine.")
atan = _unary_fn(ATAN, "Elementwise inverse tangent.")
sinh = _unary_fn(SINH, "Elementwise hyperbolic sine.")
cosh = _unary_fn(COSH, "Elementwise hyperbolic cosine.")
tanh = _unary_fn(TANH, "Elementwise hyperbolic tangent.")
asinh = _unary_fn(ASINH, "Elementwise inverse hyperbolic sine.")
atanh = _unary_fn(ATANH, "Elementwise inverse hyperbolic tangent.")
floor = _unary_fn(FLOOR, "Elementwise largest integer not greater than ``x`` (same dtype).")
ceil = _unary_fn(CEIL, "Elementwise smallest integer not less than ``x`` (same dtype).")
round = _unary_fn(
    ROUND, "Elementwise rounding to the nearest integer, halves to even, as TF.")  # TF's name
sigmoid = _unary_fn(SIGMOID, "Elementwise logistic function ``1 / (1 + exp(-x))``.")
erf = _unary_fn(ERF, "Elementwise Gauss error function.")


def log_sigmoid(x, name=None):
    """Elementwise ``log(sigmoid(x))``, computed stably."""
    try:
        x = as_t(x)
    except CompositeInput:
        pass  # negation and softplus apply to a composite's values
    return -softplus(-x)


def softplus(x, name=None):
    """Elementwise ``log(1 + exp(x))``, computed stably."""
    return apply(SOFTPLUS, (x,), {})


def reciprocal_no_nan(x, name=None):
    """Elementwise ``1 / x``, with 0 where ``x`` is 0."""
    return divide_no_nan(ones_like(x), x)


def xlogy(x, y, name=None):
    """Elementwise ``x * log(y)``, with 0 where ``x`` is 0."""
    try:
        x, y = convert_inputs(MUL, [x, y])
    except CompositeInput:
        return dispatch(xlogy, (x, y))
    safe = where(equal(x, 0), ones_like(y), y)
    return where(equal(x, 0), zeros_like(x), x * log(safe))


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """``t`` with its values clipped to ``[clip_value_min, clip_value_max]``."""
    if not isinstance(t, TensorBase):
        try:
            t = convert_to_tensor(t)
        except CompositeInput:
            pass  # maximum and minimum dispatch on a composite
    return minimum(maximum(t, clip_value_min), clip_value_max)


IS_NAN = Op("IsNan", _xp("isnan"), None, "f")
IS_INF = Op("IsInf", _xp("isinf"), None, "f")
IS_FINITE = Op("IsFinite", _xp("isfinite"), None, "f")


def is_nan(x, name=None):
    """Elementwise: is the value NaN (bool)."""
    return apply(IS_NAN, (x,), {})


def is_inf(x, name=None):
    """Elementwise: is the value +/-infinity (bool)."""
    return apply(IS_INF, (x,), {})


def is_finite(x, name=None):
    """Elementwise: is the value neither NaN nor infinite (bool)."""
    return apply(IS_FINITE, (x,), {})


def as_t(x):
    return x if isinstance(x, TensorBase) else convert_to_tensor(x)


# -- cast, identity, stop_gradient --------------------------------------------------------------
def _cast_fwd(a, dtype):
    if a.dtype.kind == "c" and dtype.kind != "c":
        a = a.real  # TF keeps the real part (bool: real part != 0)
    return a.astype(dtype)


def _cast_grad(n, g):
    src = n.inputs[0]._v.dtype  # complex -> real keeps the real part both ways, as TF
    return (cast(g, dtypes.from_numpy(src)) if src.kind in "fc" else None,)


CAST = Op("Cast", _cast_fwd, _cast_grad, None, same_dtype=False)


def cast(x, dtype, name=None):
    """``x`` converted to ``dtype`` (floats to ints truncate toward zero; complex to real keeps
    the real part)."""
    dtype = dtypes.as_dtype(dtype)
    if not isinstance(x, TensorBase):
        try:
            x = as_t(x)
        except CompositeInput:
            return dispatch(cast, (x, dtype))
    if x._v.dtype == dtype._np:
        return x if type(x) is not _core.VariableType else identity(x)
    if dtype is dtypes.string or x._v.dtype.kind == "O":
        raise UnimplementedError(None, "Cast", f"Cast {x.dtype.name} to {dtype.name} is not "
                                 "supported [Op:Cast]")
    return apply(CAST, (x,), {"dtype": dtype._np})


def saturate_cast(value, dtype, name=None):
    """``value`` converted to ``dtype``, clipping values outside its range first."""
    dtype = dtypes.as_dtype(dtype)
    value = as_t(value)
    if dtype.is_integer or dtype.is_floating:
        lo, hi = dtype.min, dtype.max
        src = value.dtype
        if src.is_floating or src.is_integer:
            lo = builtins.max(lo, src.min) if src.is_integer else lo
            hi = builtins.min(hi, src.max) if src.is_integer else hi
            if src.is_floating:
                value = clip_by_value(value, float(lo), float(hi))
            else:
                value = clip_by_value(value, int(lo), int(hi))
    return cast(value, dtype)


IDENTITY = Op("Identity", lambda a: a, lambda n, g: (g,), None)
STOP = Op("StopGradient", lambda a: a, None, None)


def identity(x, name=None):
    """A tensor with the same value as ``x`` (the gradient passes through)."""
    return apply(IDENTITY, (x,), {})


def stop_gradient(x, name=None):
    """``x``'s value, seen by tapes as a constant: no gradient flows through it."""
    return apply(STOP, (x,), {})


# -- comparisons and logic (no gradients) -------------------------------------------------------
def _cmp(name, f, kinds="fiub"):
    return Op(name, f, None, kinds)


EQUAL = Op("Equal", lambda a, b: a == b, None, "fiubcO")  # strings compare equal or not
NOT_EQUAL = Op("NotEqual", lambda a, b: a != b, None, "fiubcO")
LESS = _cmp("Less", lambda a, b: a < b)
LESS_EQUAL = _cmp("LessEqual", lambda a, b: a <= b)
GREATER = _cmp("Greater", lambda a, b: a > b)
GREATER_EQUAL = _cmp("GreaterEqual", lambda a, b: a >= b)
LOGICAL_AND = Op("LogicalAnd", lambda a, b: a & b, None, "b")
LOGICAL_OR = Op("LogicalOr", lambda a, b: a | b, None, "b")
LOGICAL_XOR = Op("LogicalXor", lambda a, b: a ^ b, None, "b")
LOGICAL_NOT = Op("LogicalNot", lambda a: ~a, None, "b")
BIT_AND = Op("BitwiseAnd", lambda a, b: a & b, None, _INT)
BIT_OR = Op("BitwiseOr", lambda a, b: a | b, None, _INT)
BIT_XOR = Op("BitwiseXor", lambda a, b: a ^ b, None, _INT)
INVERT = Op("Invert", lambda a: ~a, None, _INT)


equal = _fn2(EQUAL, "Elementwise ``x == y`` (bool); the shapes must broadcast.")
not_equal = _fn2(NOT_EQUAL, "Elementwise ``x != y`` (bool); the shapes must broadcast.")
less = _fn2(LESS, "Elementwise ``x < y`` (bool).")
less_equal = _fn2(LESS_EQUAL, "Elementwise ``x <= y`` (bool).")
greater = _fn2(GREATER, "Elementwise ``x > y`` (bool).")
greater_equal = _fn2(GREATER_EQUAL, "Elementwise ``x >= y`` (bool).")
logical_and = _fn2(LOGICAL_AND, "Elementwise logical AND of bool tensors.")
logical_or = _fn2(LOGICAL_OR, "Elementwise logical OR of bool tensors.")
logical_xor = _fn2(LOGICAL_XOR, "Elementwise logical XOR of bool tensors.")


def logical_not(x, name=None):
    """Elementwise logical NOT of a bool tensor."""
    return apply(LOGICAL_NOT, (x,), {})


# -- where, zeros_like, ones_like (used by gradient rules) --------------------------------------
def _where_grad(n, g):
    c = n.inputs[0]
    z = zeros_like(g)
    return None, (where(c, g, z) if n.needs[1] else None), (where(c, z, g) if n.needs[2] else None)


def _where_fwd(c, x, y):
    return xp_of(x).where(c, x, y)


WHERE = Op("SelectV2", _where_fwd, _where_grad, None, same_dtype=False)


def where(condition, x=None, y=None, name=None):
    """Elements of ``x`` where ``condition`` holds, else of ``y`` (broadcasting, SelectV2)."""
    try:
        condition = as_t(condition)
    except CompositeInput:
        return dispatch(where, (condition, x, y))
    if x is None and y is None:  # the coordinates of the true (non-zero) elements
        if condition._v.ndim == 0:
            raise InvalidArgumentError(None, "Where", "WhereOp : Unhandled input dimensions: 0 "
                                       "[Op:Where]")
        return apply(WHERE_INDICES, (condition,), {})
    if condition._v.dtype.kind != "b":
        raise InvalidArgumentError(
            None, "SelectV2",
            "cannot compute SelectV2 as input #0(zero-based) was expected to be a bool tensor "
            f"but is a {_kernel_name(condition._v.dtype)} tensor [Op:SelectV2]")
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    try:
        x, y = convert_inputs(WHERE_XY, [x, y])
    except CompositeInput:
        return dispatch(where, (condition, x, y))
    try:
        return apply(WHERE, (condition, x, y), {})
    except ValueError:
        raise InvalidArgumentError(
            None, "SelectV2",
            f"condition [{condition._v.shape}], then [{x._v.shape}], and else [{y._v.shape}] "
            "must be broadcastable [Op:SelectV2]") from None


WHERE_INDICES = Op("Where", lambda c: xp_of(c).argwhere(c).astype("int64"), None, None,
                   value_shaped=True)
WHERE_XY = Op("SelectV2", None, None, None, same_dtype=True)  # only for dtype conversion


def zeros_like(x, dtype=None, name=None):
    """Zeros of ``input``'s shape (and dtype, unless ``dtype`` is given)."""
    try:
        x = as_t(x)
    except CompositeInput:
        return dispatch(zeros_like, (x, dtype))
    xp = xp_of(x._v)
    d = x._v.dtype if dtype is None else dtypes.as_dtype(dtype)._np
    if d.kind == "O":  # TF's zero string is b""
        return const(_host.full(x._v.shape, b"", object))
    return const(xp.zeros(x._v.shape, d))


def ones_like(x, dtype=None, name=None):
    """Ones of ``input``'s shape (and dtype, unless ``dtype`` is given)."""
    try:
        x = as_t(x)
    except CompositeInput:
        return dispatch(ones_like, (x, dtype))
    xp = xp_of(x._v)
    d = x._v.dtype if dtype is None else dtypes.as_dtype(dtype)._np
    if d.kind == "O":
        raise InvalidArgumentError(None, "OnesLike", "Value for attr 'T' of string is not in "
                                   "the list of allowed values [Op:OnesLike]")
    return const(xp.ones(x._v.shape, d))


# -- complex numbers ------------------------------------------------------------------------------
def _complex_dtype(real_np):
    return dtypes.complex64 if real_np.itemsize == 4 else dtypes.complex128


def _complex_fwd(re, im):
    xp = xp_of(re)
    out = xp.empty(xp.broadcast_shapes(re.shape, im.shape), _complex_dtype(re.dtype)._np)
    out.real = re
    out.imag = im
    return out


def _complex_grad(n, g):
    return (real(g) if n.needs[0] else None), (imag(g) if n.needs[1] else None)


def _real_grad(n, g):  # the real part's gradient is complex(g, 0)
    return (cast(g, dtypes.from_numpy(n.inputs[0]._v.dtype)),)


def _imag_grad(n, g):  # complex(0, g)
    return (apply(COMPLEX, (zeros_like(g), g), {}),)


def _angle_grad(n, g):  # -g / (imag(z) + i real(z)), as TF
    z = n.inputs[0]
    swapped = apply(COMPLEX, (imag(z), real(z)), {})
    return (-cast(g, dtypes.from_numpy(z._v.dtype)) / swapped,)


COMPLEX = Op("Complex", _complex_fwd, _complex_grad, _F)
REAL = Op("Real", lambda a: xp_of(a).real(a).copy(), _real_grad, "c")
IMAG = Op("Imag", lambda a: xp_of(a).imag(a).copy(), _imag_grad, "c")
CONJ = Op("Conj", lambda a: xp_of(a).conj(a), lambda n, g: (conj(g),), "c")


def _angle_fwd(a):
    # NOTE: NumPy's float32 arctan2 is off by an ulp (angle(1+1j) 0.7853981, not TF's
    # correctly rounded 0.7853982): complex64 goes through float64
    xp = xp_of(a)
    if a.dtype == xp.complex64:
        return xp.angle(a.astype(xp.complex128)).astype(xp.float32)
    return xp.angle(a)


ANGLE = Op("Angle", _angle_fwd, _angle_grad, "c")


def complex(real, imag, name=None):
    """``real + 1j * imag``: float32 parts give complex64, float64 parts complex128."""
    re, im = as_t(real), as_t(imag)
    rd, id_ = re._v.dtype, im._v.dtype
    if rd != id_ or rd.kind != "f" or rd.itemsize < 4:
        raise TypeError(
            f"The `real` and `imag` components have incorrect types: {re.dtype.name} "
            f"{im.dtype.name}. They must be consistent, and one of [tf.float32, tf.float64]")
    try:
        return apply(COMPLEX, (re, im), {})
    except ValueError:
        raise InvalidArgumentError(
            None, "Complex", f"Incompatible shapes: {list(re._v.shape)} vs. {list(im._v.shape)} "
            "[Op:Complex]") from None


def real(input, name=None):
    """The real part of a complex tensor (a real tensor is returned as it is)."""
    x = as_t(input)
    return apply(REAL, (x,), {}) if x._v.dtype.kind == "c" else _value(x)


def imag(input, name=None):
    """The imaginary part of a complex tensor (zeros for a real tensor)."""
    x = as_t(input)
    return apply(IMAG, (x,), {}) if x._v.dtype.kind == "c" else zeros_like(x)


def conj(x, name=None):
    """The complex conjugate (a real tensor is returned as it is)."""
    x = as_t(x)
    return apply(CONJ, (x,), {}) if x._v.dtype.kind == "c" else _value(x)


def angle(input, name=None):
    """The argument of a complex tensor; for a real one pi where negative, else 0."""
    x = as_t(input)
    k = x._v.dtype.kind
    if k == "c":
        return apply(ANGLE, (x,), {})
    if k != "f":
        raise TypeError(f"Cannot convert {_pymath.pi!r} to EagerTensor of dtype {x.dtype.name}")
    return where(less(x, 0), _fill_like(x, _pymath.pi), zeros_like(x))


def _value(x):
    """``x`` itself, or a variable's current value (TF converts a variable to a tensor)."""
    return x if type(x) is not _core.VariableType else identity(x)


def _fill_like(x, value):
    return const(xp_of(x._v).full(x._v.shape, value, x._v.dtype))


# -- Python operators ----------------------------------------------------------------------------
def _install_operators():
    T = TensorBase

    def binop(op):
        return (lambda self, other: _binary(op, self, other),
                lambda self, other: _rbinary(op, self, other))

    for names, op in [
        (("__add__", "__radd__"), ADD), (("__sub__", "__rsub__"), SUB),
        (("__mul__", "__rmul__"), MUL), (("__floordiv__", "__rfloordiv__"), FLOORDIV),
        (("__mod__", "__rmod__"), MOD), (("__pow__", "__rpow__"), POW),
        (("__lt__", None), LESS), (("__le__", None), LESS_EQUAL),
        (("__gt__", None), GREATER), (("__ge__", None), GREATER_EQUAL),
    ]:
        f, rf = binop(op)
        setattr(T, names[0], f)
        if names[1]:
            setattr(T, names[1], rf)

    T.__truediv__ = lambda self, other: _truediv_op(self, other)
    T.__rtruediv__ = lambda self, other: _truediv_op(as_like(other, self), self)
    T.__neg__ = lambda self: apply(NEG, (self,), {})
    T.__pos__ = lambda self: self
    T.__abs__ = lambda self: apply(ABS, (self,), {})
    T.__invert__ = lambda self: apply(LOGICAL_NOT if self._v.dtype.kind == "b" else INVERT,
                                      (self,), {})
    T.__eq__ = equal_operator
    T.__ne__ = not_equal_operator

    def logic(lop, bop, swap=False):
        def f(self, other):
            op = lop if self._v.dtype.kind == "b" else bop
            args = (as_like(other, self), self) if swap else (self, other)
            return apply(op, args, {})

        return f

    T.__and__, T.__rand__ = logic(LOGICAL_AND, BIT_AND), logic(LOGICAL_AND, BIT_AND, True)
    T.__or__, T.__ror__ = logic(LOGICAL_OR, BIT_OR), logic(LOGICAL_OR, BIT_OR, True)
    T.__xor__, T.__rxor__ = logic(LOGICAL_XOR, BIT_XOR), logic(LOGICAL_XOR, BIT_XOR, True)


def as_like(value, t):
    if isinstance(value, TensorBase):
        return value
    return _operand(DIV, t, value)


def _eq_operand(self, other):
    if other is None:
        return None
    try:
        return as_like(other, self)
    except (InvalidArgumentError, CompositeInput):
        raise
    except (TypeError, ValueError) as e:
        raise TypeError(str(e)) from None


def equal_operator(self, other):
    """``==``: elementwise like TF 2 (``False`` against None, and a scalar ``False`` for
    shapes that do not broadcast, where ``tf.equal`` raises)."""
    try:
        o = _eq_operand(self, other)
    except CompositeInput:
        return NotImplemented
    if o is None:
        return False
    try:
        return apply(EQUAL, (self, o), {})
    except InvalidArgumentError as e:
        if "Incompatible shapes" in e.message:
            return const(_host.bool_(False))
        raise


def not_equal_operator(self, other):
    """``!=``: the negation of ``==`` (a scalar ``True`` for shapes that do not broadcast)."""
    try:
        o = _eq_operand(self, other)
    except CompositeInput:
        return NotImplemented
    if o is None:
        return True
    try:
        return apply(NOT_EQUAL, (self, o), {})
    except InvalidArgumentError as e:
        if "Incompatible shapes" in e.message:
            return const(_host.bool_(True))
        raise


_install_operators()
