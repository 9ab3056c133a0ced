"""Elementwise math: arithmetic, comparisons, logic, unary functions, and the Python
operators of tensors. Each op's forward and gradient sit side by side."""
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
    "floormod", "mod", "pow", "maximum", "minimum", "squared_difference", "divide_no_nan",
    "add_n", "negative", "abs", "sign", "exp", "expm1", "log", "log1p", "sqrt", "rsqrt", "square",
    "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh",
    "atanh", "floor", "ceil", "round", "sigmoid", "erf", "log_sigmoid", "softplus",
    "reciprocal_no_nan",
    "xlogy", "clip_by_value", "is_nan", "is_inf", "is_finite", "cast", "saturate_cast",
    "identity", "stop_gradient", "equal", "not_equal", "less", "less_equal", "greater",
    "greater_equal", "logical_and", "logical_or", "logical_xor", "logical_not", "where",
    "zeros_like", "ones_like",
]

_F = "f"  # float-only ops
_NUM = "fiu"  # numbers, not bools
_INT = "iu"


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
        safe = where(x > 0, x, ones_like(x))
        gy = g * n.out * where(x > 0, log(safe), zeros_like(x))
    return gx, gy


def _minmax_grad(pick):
    def grad(n, g):
        x, y = n.inputs
        mask = pick(x, y)  # where x wins; ties send the gradient to x, as TF does
        gx = where(mask, g, zeros_like(g)) if n.needs[0] else None
        gy = where(mask, zeros_like(g), g) if n.needs[1] else None
        return gx, gy

    return grad


def _sqdiff_grad(n, g):
    x, y = n.inputs
    d = 2.0 * g * (x - y)
    return (d if n.needs[0] else None), (-d if n.needs[1] else None)


def _truediv(a, b):
    return a / b


def _floordiv(a, b):
    return a // b


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


ADD = Op("AddV2", _add, _add_grad, _NUM + "O")  # strings concatenate, as in TF
SUB = Op("Sub", lambda a, b: a - b, _sub_grad, _NUM)
MUL = Op("Mul", lambda a, b: a * b, _mul_grad, _NUM)
DIV = Op("RealDiv", _truediv, _div_grad, _NUM)
FLOORDIV = Op("FloorDiv", _floordiv, None, _NUM)
MOD = Op("FloorMod", lambda a, b: a % b,
         lambda n, g: (g if n.needs[0] else None,
                       -g * floor(n.inputs[0] / n.inputs[1]) if n.needs[1] else None), _NUM)
POW = Op("Pow", _pow, _pow_grad, _NUM)
MAXIMUM = Op("Maximum", lambda a, b: xp_of(a).maximum(a, b),
             _minmax_grad(lambda x, y: x >= y), _NUM)
MINIMUM = Op("Minimum", lambda a, b: xp_of(a).minimum(a, b),
             _minmax_grad(lambda x, y: x <= y), _NUM)
SQDIFF = Op("SquaredDifference", lambda a, b: (a - b) * (a - b), _sqdiff_grad, _NUM)


def _binary(op, x, y):
    """``x <op> y`` for a tensor ``x``: the operators' lean path (TF's dtype rules)."""
    if op is POW and type(y) is int and y == 2:
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
    y = _operand(op, x, y)
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


def _operand(op, x, y):
    """Convert a non-tensor operand to ``x``'s dtype the way TF's operator overloads do."""
    d = x._v.dtype
    ty = type(y)
    if (ty is float and d.kind == "f") or (ty is int and d.kind in "fiu"):
        try:
            return const(d.type(y))  # a NumPy scalar of x's dtype: the cheap common case
        except OverflowError:
            pass  # an int out of range of a small int dtype wraps below, as in TF
    if isinstance(y, (str, bytes)) and d.kind != "O":
        raise TypeError(f"Cannot convert {y!r} to EagerTensor of dtype "
                        f"{dtypes.from_numpy(d).name}")
    if type(y) is float and x._v.dtype.kind != "f":
        raise InvalidArgumentError(
            None, op.name,
            f"cannot compute {op.name} as input #1(zero-based) was expected to be a "
            f"{dtypes.from_numpy(x._v.dtype).name} tensor but is a float tensor "
            f"(value {y!r}, shape {list(x._v.shape)}) [Op:{op.name}]",
        )
    return convert_to_tensor(y, dtypes.from_numpy(x._v.dtype))


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
    k = x._v.dtype
    if k.kind in "iub":
        target = dtypes.float32 if k.itemsize <= 2 else dtypes.float64
        x, y = cast(x, target), cast(y, target)
    return apply(DIV, (x, y), {})


def _fn2(op):
    """The public function of a binary op: ``fn(x, y, name=None)``."""

    def fn(x, y, name=None):
        return apply(op, (x, y), {})

    fn.__name__ = op.name.lower()
    return fn


add = _fn2(ADD)
subtract = _fn2(SUB)
multiply = _fn2(MUL)
realdiv = _fn2(DIV)
floordiv = floor_div = _fn2(FLOORDIV)
floormod = mod = _fn2(MOD)
pow = _fn2(POW)  # TF's name
maximum = _fn2(MAXIMUM)
minimum = _fn2(MINIMUM)
squared_difference = _fn2(SQDIFF)


def divide(x, y, name=None):
    return _truediv_op(x, y)


truediv = divide


def divide_no_nan(x, y, name=None):
    x, y = convert_inputs(DIV, [x, y])
    safe = where(equal(y, 0), ones_like(y), y)
    return where(equal(y, 0), zeros_like(x * safe), x / safe)


def add_n(inputs, name=None):
    """Sum of a list of tensors of the same shape and dtype."""
    if not inputs:
        raise ValueError("inputs must be a non-empty list of tensors")
    total = inputs[0] if isinstance(inputs[0], TensorBase) else convert_to_tensor(inputs[0])
    for t in inputs[1:]:
        total = apply(ADD, (total, t), {})
    return total if len(inputs) > 1 else identity(total)


# -- unary --------------------------------------------------------------------------------------
def unary(name, fwd, grad=None, kinds=_F):
    return Op(name, fwd, grad, kinds)


def _xp(f):
    return lambda a: getattr(xp_of(a), f)(a)


NEG = unary("Neg", lambda a: -a, lambda n, g: (-g,), _NUM)
ABS = unary("Abs", _xp("abs"), lambda n, g: (g * sign(n.inputs[0]),), _NUM)
SIGN = unary("Sign", _xp("sign"), lambda n, g: (zeros_like(g),), _NUM)
EXP = unary("Exp", _xp("exp"), lambda n, g: (g * n.out,))
EXPM1 = unary("Expm1", _xp("expm1"), lambda n, g: (g * (n.out + 1.0),))
LOG = unary("Log", _xp("log"), lambda n, g: (g / n.inputs[0],))
LOG1P = unary("Log1p", _xp("log1p"), lambda n, g: (g / (n.inputs[0] + 1.0),))
SQRT = unary("Sqrt", _xp("sqrt"), lambda n, g: (g * 0.5 / n.out,))
RSQRT = unary("Rsqrt", lambda a: 1 / xp_of(a).sqrt(a),
              lambda n, g: (g * -0.5 * n.out / n.inputs[0],))
SQUARE = unary("Square", lambda a: a * a, lambda n, g: (g * 2.0 * n.inputs[0],), _NUM)
RECIP = unary("Reciprocal", lambda a: 1 / a, lambda n, g: (-g * n.out * n.out,))
SIN = unary("Sin", _xp("sin"), lambda n, g: (g * cos(n.inputs[0]),))
COS = unary("Cos", _xp("cos"), lambda n, g: (-g * sin(n.inputs[0]),))
TAN = unary("Tan", _xp("tan"), lambda n, g: (g * (1.0 + n.out * n.out),))
ASIN = unary("Asin", _xp("arcsin"), lambda n, g: (g * rsqrt(1.0 - square(n.inputs[0])),))
ACOS = unary("Acos", _xp("arccos"), lambda n, g: (-g * rsqrt(1.0 - square(n.inputs[0])),))
ATAN = unary("Atan", _xp("arctan"), lambda n, g: (g / (1.0 + square(n.inputs[0])),))
SINH = unary("Sinh", _xp("sinh"), lambda n, g: (g * cosh(n.inputs[0]),))
COSH = unary("Cosh", _xp("cosh"), lambda n, g: (g * sinh(n.inputs[0]),))
TANH = unary("Tanh", _xp("tanh"), lambda n, g: (g * (1.0 - n.out * n.out),))
ASINH = unary("Asinh", _xp("arcsinh"), lambda n, g: (g * rsqrt(square(n.inputs[0]) + 1.0),))
ATANH = unary("Atanh", _xp("arctanh"), lambda n, g: (g / (1.0 - square(n.inputs[0])),))
FLOOR = unary("Floor", _xp("floor"), lambda n, g: (zeros_like(g),))
CEIL = unary("Ceil", _xp("ceil"), lambda n, g: (zeros_like(g),))
ROUND = unary("Round", _xp("rint"), lambda n, g: (zeros_like(g),), _NUM)  # half to even


def _sigmoid_fwd(a):
    xp = xp_of(a)
    # NOTE: evaluated as exp(-|a|) so neither branch overflows for large |a|.
    e = xp.exp(-xp.abs(a))
    return xp.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


SIGMOID = unary("Sigmoid", _sigmoid_fwd, lambda n, g: (g * n.out * (1.0 - n.out),))


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


def _unary_fn(op):
    def fn(x, name=None):
        return apply(op, (x,), {})

    fn.__name__ = op.name.lower()
    return fn


negative = _unary_fn(NEG)
abs = _unary_fn(ABS)  # TF's name
sign = _unary_fn(SIGN)
exp = _unary_fn(EXP)
expm1 = _unary_fn(EXPM1)
log = _unary_fn(LOG)
log1p = _unary_fn(LOG1P)
sqrt = _unary_fn(SQRT)
rsqrt = _unary_fn(RSQRT)
square = _unary_fn(SQUARE)
reciprocal = _unary_fn(RECIP)
sin = _unary_fn(SIN)
cos = _unary_fn(COS)
tan = _unary_fn(TAN)
asin = _unary_fn(ASIN)
acos = _unary_fn(ACOS)
atan = _unary_fn(ATAN)
sinh = _unary_fn(SINH)
cosh = _unary_fn(COSH)
tanh = _unary_fn(TANH)
asinh = _unary_fn(ASINH)
atanh = _unary_fn(ATANH)
floor = _unary_fn(FLOOR)
ceil = _unary_fn(CEIL)
round = _unary_fn(ROUND)  # TF's name
sigmoid = _unary_fn(SIGMOID)
erf = _unary_fn(ERF)


def log_sigmoid(x, name=None):
    return -softplus(-as_t(x))


def softplus(x, name=None):
    return apply(SOFTPLUS, (x,), {})


def reciprocal_no_nan(x, name=None):
    return divide_no_nan(ones_like(x), x)


def xlogy(x, y, name=None):
    x, y = convert_inputs(MUL, [x, y])
    safe = where(equal(x, 0), ones_like(y), y)
    return where(equal(x, 0), zeros_like(x), x * log(safe))


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    t = t if isinstance(t, TensorBase) else convert_to_tensor(t)
    return minimum(maximum(t, clip_value_min), clip_value_max)


IS_NAN = Op("IsNan", _xp("isnan"), None, "f")
IS_INF = Op("IsInf", _xp("isinf"), None, "f")
IS_FINITE = Op("IsFinite", _xp("isfinite"), None, "f")


def is_nan(x, name=None):
    return apply(IS_NAN, (x,), {})


def is_inf(x, name=None):
    return apply(IS_INF, (x,), {})


def is_finite(x, name=None):
    return apply(IS_FINITE, (x,), {})


def as_t(x):
    return x if isinstance(x, TensorBase) else convert_to_tensor(x)


# -- cast, identity, stop_gradient --------------------------------------------------------------
def _cast_fwd(a, dtype):
    return a.astype(dtype)


def _cast_grad(n, g):
    src = n.inputs[0]._v.dtype
    return (cast(g, dtypes.from_numpy(src)) if src.kind == "f" else None,)


CAST = Op("Cast", _cast_fwd, _cast_grad, None, same_dtype=False)


def cast(x, dtype, name=None):
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
    return apply(IDENTITY, (x,), {})


def stop_gradient(x, name=None):
    return apply(STOP, (x,), {})


# -- comparisons and logic (no gradients) -------------------------------------------------------
def _cmp(name, f, kinds="fiub"):
    return Op(name, f, None, kinds)


EQUAL = _cmp("Equal", lambda a, b: a == b, "fiubO")  # strings compare equal or not
NOT_EQUAL = _cmp("NotEqual", lambda a, b: a != b, "fiubO")
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


equal = _fn2(EQUAL)
not_equal = _fn2(NOT_EQUAL)
less = _fn2(LESS)
less_equal = _fn2(LESS_EQUAL)
greater = _fn2(GREATER)
greater_equal = _fn2(GREATER_EQUAL)
logical_and = _fn2(LOGICAL_AND)
logical_or = _fn2(LOGICAL_OR)
logical_xor = _fn2(LOGICAL_XOR)


def logical_not(x, name=None):
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
    if condition._v.dtype.kind != "b":
        raise InvalidArgumentError(None, "SelectV2",
                                   f"condition must be a bool tensor, got {condition.dtype.name} "
                                   "[Op:SelectV2]")
    if x is None and y is None:
        return apply(WHERE_INDICES, (condition,), {})
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


WHERE_INDICES = Op("Where", lambda c: xp_of(c).argwhere(c).astype("int64"), None, None)
WHERE_XY = Op("SelectV2", None, None, None, same_dtype=True)  # only for dtype conversion


def zeros_like(x, dtype=None, name=None):
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
    """``==``: elementwise like TF 2 (``False`` against None)."""
    try:
        o = _eq_operand(self, other)
    except CompositeInput:
        return NotImplemented
    if o is None:
        return False
    return apply(EQUAL, (self, o), {})


def not_equal_operator(self, other):
    try:
        o = _eq_operand(self, other)
    except CompositeInput:
        return NotImplemented
    if o is None:
        return True
    return apply(NOT_EQUAL, (self, o), {})


_install_operators()
