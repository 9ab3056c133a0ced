"""``keras.ops.image``: the image functions tapeflow has (grayscale conversion, padding and
cropping); others (resize, affine transforms, HSV...) are not provided yet."""
from ...ops import array as A
from ...ops import indexing as IX
from ...ops import math as M
from ...ops import reduction as R
from ._base import conv, to_float


def rgb_to_grayscale(images, data_format=None):
    """ITU-R 601 luma of RGB images, keeping a channel axis of 1."""
    x = to_float(images)
    ax = -3 if data_format == "channels_first" else -1
    shape = [1] * len(x.shape)
    shape[ax] = 3
    w = A.reshape(conv([0.2989, 0.5870, 0.1140], x.dtype), shape)
    return R.reduce_sum(M.multiply(x, w), axis=ax, keepdims=True)


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
    "crop_images", "pad_images", "rgb_to_grayscale"
]
