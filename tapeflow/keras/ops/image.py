"""``keras.ops.image``: the image functions tapeflow has (resizing, grayscale conversion,
padding and cropping); others (affine transforms, HSV, patches...) are not provided yet."""
from ...backend import host as np
from ...ops import array as A
from ...ops import indexing as IX
from ...ops import math as M
from ...ops import reduction as R
from ._base import conv, to_float


def rgb_to_grayscale(images, data_format=None):
    """ITU-R 601 luma of RGB images, keeping a channel axis of 1 (and the input's dtype)."""
    x0 = conv(images)
    x = to_float(x0)
    ax = -3 if data_format == "channels_first" else -1
    shape = [1] * len(x.shape)
    shape[ax] = 3
    w = A.reshape(conv([0.2989, 0.5870, 0.1140], x.dtype), shape)
    y = R.reduce_sum(M.multiply(x, w), axis=ax, keepdims=True)
    return y if y.dtype == x0.dtype else M.cast(y, x0.dtype)


def _resize_axis(x, axis, out, method):
    n = x.shape[axis]
    scale = n / out
    dst = np.arange(out)
    if method == "nearest":
        idx = np.minimum(np.floor((dst + 0.5) * scale), n - 1).astype("int64")
        return IX.gather(x, conv(idx), axis=axis)
    src = np.clip((dst + 0.5) * scale - 0.5, 0.0, n - 1)
    lo = np.floor(src).astype("int64")
    hi = np.minimum(lo + 1, n - 1)
    shape = [1] * len(x.shape)
    shape[axis] = out
    frac = A.reshape(conv(src - lo, x.dtype), shape)
    a, b = IX.gather(x, conv(lo), axis=axis), IX.gather(x, conv(hi), axis=axis)
    return M.add(a, M.multiply(M.subtract(b, a), frac))


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Resize images to ``size`` (height, width) with half-pixel centres, as
    ``tf.image.resize`` (``"bilinear"`` or ``"nearest"``; no antialiasing)."""
    if interpolation not in ("bilinear", "nearest"):
        raise ValueError(f"tapeflow's resize supports interpolation 'bilinear' and 'nearest'."
                         f" Received: interpolation={interpolation}")
    if antialias or crop_to_aspect_ratio or pad_to_aspect_ratio:
        raise ValueError("tapeflow's resize supports antialias=False, crop_to_aspect_ratio="
                         "False and pad_to_aspect_ratio=False only")
    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers. Received: size={size}")
    x = conv(images)
    if len(x.shape) not in (3, 4):
        raise ValueError(f"Invalid images rank: expected rank 3 (single image) or rank 4 "
                         f"(batch of images). Received input with shape: "
                         f"images.shape={tuple(x.shape)}")
    dtype = x.dtype
    if interpolation == "bilinear":
        x = to_float(x)
    h_ax, w_ax = _hw_axes(x, data_format)
    y = _resize_axis(_resize_axis(x, h_ax, size[0], interpolation), w_ax, size[1],
                     interpolation)
    return y if y.dtype == dtype else M.cast(M.round(y), dtype)  # integer images: rounded


def _hw_axes(x, data_format):
    nd = len(x.shape)
    return (nd - 3, nd - 2) if data_format != "channels_first" else (nd - 2, nd - 1)


def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None,
               right_padding=None, target_height=None, target_width=None, data_format=None):
    """Zero-pad images to ``target_height`` x ``target_width`` (or by explicit paddings)."""
    x = conv(images)
    h_ax, w_ax = _hw_axes(x, data_format)
    h, w = x.shape[h_ax], x.shape[w_ax]
    top = top_padding or 0
    left = left_padding or 0
    bottom = bottom_padding if bottom_padding is not None else target_height - h - top
    right = right_padding if right_padding is not None else target_width - w - left
    pads = [[0, 0] for _ in x.shape]
    pads[h_ax], pads[w_ax] = [top, bottom], [left, right]
    return IX.pad(x, pads)


def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None):
    """Crop images to ``target_height`` x ``target_width`` (or by explicit croppings)."""
    x = conv(images)
    h_ax, w_ax = _hw_axes(x, data_format)
    h, w = x.shape[h_ax], x.shape[w_ax]
    top = top_cropping or 0
    left = left_cropping or 0
    th = target_height if target_height is not None else h - top - (bottom_cropping or 0)
    tw = target_width if target_width is not None else w - left - (right_cropping or 0)
    begin = [0] * len(x.shape)
    size = list(x.shape)
    begin[h_ax], begin[w_ax], size[h_ax], size[w_ax] = top, left, th, tw
    return A.slice(x, begin, size)


__all__ = [
    "crop_images", "pad_images", "resize", "rgb_to_grayscale"
]
