"""``tf.bitwise``: elementwise bit operations on integer tensors (no gradients, as in TF)."""
from ..backend import xp_of
from ..errors import InvalidArgumentError
from ..ops._core import Op, apply

__all__ = ["bitwise_and", "bitwise_or", "bitwise_xor", "invert", "left_shift", "right_shift"]


def _clamped(a, b):
    """Shift amounts clamped to ``[0, bits - 1]``, as TF's kernels do."""
    xp = xp_of(a)
    return xp.clip(b, 0, a.dtype.itemsize * 8 - 1).astype(a.dtype)


def _shift_left(a, b):
    xp = xp_of(a)
    return xp.left_shift(a, _clamped(a, b))


def _shift_right(a, b):
    xp = xp_of(a)
    return xp.right_shift(a, _clamped(a, b))


_AND = Op("BitwiseAnd", lambda a, b: xp_of(a).bitwise_and(a, b), None, "iu")
_OR = Op("BitwiseOr", lambda a, b: xp_of(a).bitwise_or(a, b), None, "iu")
_XOR = Op("BitwiseXor", lambda a, b: xp_of(a).bitwise_xor(a, b), None, "iu")
_INVERT = Op("Invert", lambda a: xp_of(a).invert(a), None, "iu")
_LSHIFT = Op("LeftShift", _shift_left, None, "iu")
_RSHIFT = Op("RightShift", _shift_right, None, "iu")


def _binary(op):
    def fn(x, y, name=None):
        try:
            return apply(op, (x, y), {})
        except ValueError as e:
            raise InvalidArgumentError(None, op.name, f"{e} [Op:{op.name}]") from None
    return fn


bitwise_and = _binary(_AND)
bitwise_and.__doc__ = "Elementwise ``x & y`` of two integer tensors of one dtype."
bitwise_or = _binary(_OR)
bitwise_or.__doc__ = "Elementwise ``x | y`` of two integer tensors of one dtype."
bitwise_xor = _binary(_XOR)
bitwise_xor.__doc__ = "Elementwise ``x ^ y`` of two integer tensors of one dtype."
left_shift = _binary(_LSHIFT)
left_shift.__doc__ = ("Elementwise ``x << y``; shifts are clamped to ``[0, bits - 1]``, as "
                      "TF.")
right_shift = _binary(_RSHIFT)
right_shift.__doc__ = ("Elementwise ``x >> y`` (arithmetic for signed ints); shifts are "
                       "clamped to ``[0, bits - 1]``, as TF.")


def invert(x, name=None):
    """Elementwise bitwise NOT of an integer tensor."""
    return apply(_INVERT, (x,), {})
