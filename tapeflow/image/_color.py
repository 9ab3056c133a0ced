"""Colour and dtype: ``convert_image_dtype``, the ``adjust_*`` family, RGB / HSV / grayscale,
``per_image_standardization`` and ``psnr``."""
from .. import dtypes
from ..backend import host as np
from ..errors import InvalidArgumentError
from ..ops.array import expand_dims
from ..ops.indexing import tile
from ..ops.linalg import tensordot
from ..ops.math import (
    add,
    as_t,
    cast,
    divide,
    floordiv,
    log,
    maximum,
    multiply,
    rsqrt,
    saturate_cast,
    subtract,
)
from ..ops.math import (
    pow as _pow,
)
from ..ops.reduction import reduce_mean, reduce_std
from ..tensor import convert_to_tensor
from ._common import at_least_3d, value_of

__all__ = ["convert_image_dtype", "adjust_brightness", "adjust_contrast", "adjust_gamma",
           "adjust_saturation", "adjust_hue", "rgb_to_grayscale", "grayscale_to_rgb",
           "rgb_to_hsv", "hsv_to_rgb", "per_image_standardization", "psnr"]

def convert_image_dtype(image, dtype, saturate=False, name=None):
    """TF's image dtype rule: floats live in [0, 1], integers in [0, dtype.max]; converting
    scales between the two (and between integer widths by powers of two)."""
    x = as_t(image)
    dtype = dtypes.as_dtype(dtype)
    if not (dtype.is_floating or dtype.is_integer):
        raise AttributeError("dtype must be either floating point or integer")
    src = x.dtype
    if not (src.is_floating or src.is_integer):
        raise AttributeError("image dtype must be either floating point or integer")
    if src == dtype:
        return x
    if src.is_integer and dtype.is_integer:
        if src.max > dtype.max:
            scaled = floordiv(x, convert_to_tensor((src.max + 1) // (dtype.max + 1), src))
            return saturate_cast(scaled, dtype) if saturate else cast(scaled, dtype)
        c = saturate_cast(x, dtype) if saturate else cast(x, dtype)
        return multiply(c, convert_to_tensor((dtype.max + 1) // (src.max + 1), dtype))
    if src.is_floating and dtype.is_floating:
        return cast(x, dtype)
    if src.is_integer:
        with np.errstate(over="ignore", invalid="ignore"):  # int32 -> float16 overflows
            return multiply(cast(x, dtype), convert_to_tensor(1.0 / src.max, dtype))
    return convert_to_tensor(_float_to_int(np.asarray(x.numpy()), dtype, saturate))


def _float_to_int(a, dtype, saturate):
    """Scale by ``dtype.max + 0.5`` in the source precision, then cast as TF's CPU kernel
    does: narrow integers clamp; 32/64-bit ones clamp only with ``saturate`` (otherwise an
    out-of-range value becomes ``dtype.min``, the x86 conversion's answer)."""
    out_np = np.dtype(dtype.as_numpy_dtype)
    with np.errstate(all="ignore"):  # float16 overflows to inf, as in TF
        scaled = (a * a.dtype.type(dtype.max + 0.5)).astype(np.float64)
        if saturate or out_np.itemsize < 4:
            return np.clip(np.nan_to_num(scaled), dtype.min, dtype.max).astype(out_np)
        bad = ~((scaled >= dtype.min) & (scaled < float(dtype.max) + 1))
        return np.where(bad, dtype.min, np.where(bad, 0, scaled).astype(out_np)).astype(out_np)

def _working(image):
    x = as_t(image)
    if x.dtype in (dtypes.float16, dtypes.float32):
        return x, x.dtype
    return convert_image_dtype(x, dtypes.float32), x.dtype

def adjust_brightness(image, delta):
    """Add ``delta`` to every channel (in the [0, 1] float scale for integer images)."""
    x, orig = _working(image)
    out = add(x, cast(delta, x.dtype))
    return convert_image_dtype(out, orig, saturate=True)

def adjust_contrast(images, contrast_factor):
    """``(x - mean) * contrast_factor + mean`` with the mean per image and channel."""
    x, orig = _working(at_least_3d(images, "images"))
    mean = reduce_mean(x, axis=[-3, -2], keepdims=True)
    out = add(multiply(subtract(x, mean), cast(contrast_factor, x.dtype)), mean)
    return convert_image_dtype(out, orig, saturate=True)

def adjust_gamma(image, gamma=1, gain=1):
    """``gain * image ** gamma`` in the [0, 1] float scale."""
    x, orig = _working(image)
    g = value_of(gamma)
    if np.any(g < 0):
        raise ValueError("Gamma should be a non-negative real number.")
    out = multiply(cast(gain, x.dtype), _pow(x, cast(gamma, x.dtype)))
    return convert_image_dtype(out, orig, saturate=True)

def _check_rgb(x, op):
    if len(x.shape) < 1 or x.shape[-1] != 3:
        raise InvalidArgumentError(None, op, f"input must have 3 channels but input has "
                                   f"{x.shape[-1] if len(x.shape) else 0} channels.")

def _rgb_to_hsv_np(a):
    r, g, b = a[..., 0], a[..., 1], a[..., 2]
    v = a.max(-1)
    mn = a.min(-1)
    rng = v - mn
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(v > 0, rng / v, 0.0)
        norm = np.where(rng > 0, 1.0 / (6.0 * rng), 0.0)
        h = np.where(r == v, (g - b) * norm,
                     np.where(g == v, (b - r) * norm + 2.0 / 6.0, (r - g) * norm + 4.0 / 6.0))
    h = np.where(rng > 0, h, 0.0)
    h = np.where(h < 0, h + 1.0, h)
    return np.stack([h, s, v], -1).astype(a.dtype)

def _hsv_to_rgb_np(a):
    h, s, v = a[..., 0], a[..., 1], a[..., 2]
    dh = h * 6.0
    r = np.clip(np.abs(dh - 3.0) - 1.0, 0.0, 1.0)
    g = np.clip(2.0 - np.abs(dh - 2.0), 0.0, 1.0)
    b = np.clip(2.0 - np.abs(dh - 4.0), 0.0, 1.0)
    rgb = np.stack([r, g, b], -1)
    return (((rgb - 1.0) * s[..., None] + 1.0) * v[..., None]).astype(a.dtype)

def _as_float(x):
    """TF's colour-space ops cast an integer image to float32 as is (no rescaling)."""
    return x if x.dtype.is_floating else cast(x, dtypes.float32)


def rgb_to_hsv(images, name=None):
    """RGB in [0, 1] to HSV with hue in [0, 1)."""
    x = _as_float(as_t(images))
    _check_rgb(x, "RGBToHSV")
    return convert_to_tensor(_rgb_to_hsv_np(np.asarray(x.numpy())))

def hsv_to_rgb(images, name=None):
    """HSV (hue in [0, 1)) back to RGB."""
    x = _as_float(as_t(images))
    _check_rgb(x, "HSVToRGB")
    return convert_to_tensor(_hsv_to_rgb_np(np.asarray(x.numpy())))

def _hsv_adjust(image, op, fn):
    x, orig = _working(image)
    _check_rgb(x, op)
    a = np.asarray(x.numpy()).astype(np.float32)
    hsv = _rgb_to_hsv_np(a)
    fn(hsv)
    out = convert_to_tensor(_hsv_to_rgb_np(hsv).astype(x.dtype.as_numpy_dtype))
    return convert_image_dtype(out, orig, saturate=True)

def adjust_saturation(image, saturation_factor, name=None):
    """Scale the HSV saturation by ``saturation_factor`` (clipped to [0, 1])."""
    f = float(value_of(saturation_factor))

    def fn(hsv):
        hsv[..., 1] = np.clip(hsv[..., 1] * f, 0.0, 1.0)
    return _hsv_adjust(image, "AdjustSaturation", fn)

def adjust_hue(image, delta, name=None):
    """Rotate the HSV hue by ``delta`` (a fraction of a turn, in [-1, 1])."""
    d = float(value_of(delta))
    if not -1.0 <= d <= 1.0:
        raise InvalidArgumentError(None, "AdjustHue", f"delta must be in the interval "
                                   f"[-1, 1], got {d}")

    def fn(hsv):
        hsv[..., 0] = np.mod(hsv[..., 0] + d, 1.0)
    return _hsv_adjust(image, "AdjustHue", fn)

def rgb_to_grayscale(images, name=None):
    """Luma ``0.2989 R + 0.5870 G + 0.1140 B``, keeping a last axis of 1."""
    x = as_t(images)
    orig = x.dtype
    f = convert_image_dtype(x, dtypes.float32)
    w = convert_to_tensor(np.array([0.2989, 0.5870, 0.1140], np.float32))
    g = tensordot(f, w, [[-1], [-1]])
    return convert_image_dtype(expand_dims(g, -1), orig)

def grayscale_to_rgb(images, name=None):
    """Repeat the single channel three times."""
    x = as_t(images)
    if len(x.shape) < 2 or x.shape[-1] != 1:
        raise ValueError(f"Last dimension of a grayscale image should be size 1, got "
                         f"shape {x.shape}.")
    return tile(x, [1] * (len(x.shape) - 1) + [3])

def per_image_standardization(image):
    """``(x - mean) / max(stddev, 1/sqrt(num_pixels))`` per image; integers become float32."""
    x = at_least_3d(image)
    if not x.dtype.is_floating:
        x = cast(x, dtypes.float32)
    n = int(np.prod(x.shape[-3:]))
    mean = reduce_mean(x, axis=[-1, -2, -3], keepdims=True)
    std = reduce_std(x, axis=[-1, -2, -3], keepdims=True)
    adj = maximum(std, rsqrt(convert_to_tensor(float(n), x.dtype)))
    return divide(subtract(x, mean), adj)

def psnr(a, b, max_val, name=None):
    """Peak signal-to-noise ratio per image, over the last three axes (float32 for integer
    images)."""
    a, b = as_t(a), as_t(b)
    if a.dtype != b.dtype:
        raise TypeError(f"psnr: a and b must have the same dtype, got {a.dtype.name} and "
                        f"{b.dtype.name}")
    mv = cast(max_val, a.dtype)
    mv = convert_image_dtype(mv, dtypes.float32)
    a = convert_image_dtype(a, dtypes.float32)
    b = convert_image_dtype(b, dtypes.float32)
    mse = reduce_mean((a - b) * (a - b), axis=[-3, -2, -1])
    ten_over_ln10 = convert_to_tensor(np.float32(10.0 / np.log(10.0)))
    return subtract(multiply(ten_over_ln10 * 2.0, log(mv)), multiply(ten_over_ln10, log(mse)))

