"""Flips, transposes, rotations, crops and pads of HWC / NHWC images."""
from ..backend import host as np
from ..ops.array import concat, stack
from ..ops.array import transpose as _transpose
from ..ops.indexing import pad, reverse
from ..ops.math import abs as _abs
from ..ops.math import as_t, subtract
from ..ops.reduction import reduce_sum
from ..tensor import convert_to_tensor
from ._common import image_4d, unbatch, value_of

__all__ = ["flip_left_right", "flip_up_down", "transpose", "rot90", "central_crop",
           "crop_to_bounding_box", "pad_to_bounding_box", "resize_with_crop_or_pad",
           "image_gradients", "sobel_edges", "total_variation"]


def flip_left_right(image):
    """Mirror the width axis."""
    x, single = image_4d(image)
    return unbatch(reverse(x, [2]), single)


def flip_up_down(image):
    """Mirror the height axis."""
    x, single = image_4d(image)
    return unbatch(reverse(x, [1]), single)


def transpose(image, name=None):
    """Swap height and width."""
    x, single = image_4d(image)
    return unbatch(_transpose(x, [0, 2, 1, 3]), single)


def rot90(image, k=1, name=None):
    """Rotate by ``k`` quarter turns counter-clockwise."""
    x, single = image_4d(image)
    k = int(value_of(k)) % 4
    if k == 1:
        x = _transpose(reverse(x, [2]), [0, 2, 1, 3])
    elif k == 2:
        x = reverse(x, [1, 2])
    elif k == 3:
        x = reverse(_transpose(x, [0, 2, 1, 3]), [2])
    return unbatch(x, single)


def _ints(*vals):
    return [int(value_of(v)) for v in vals]


def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """The ``target_height x target_width`` window whose top-left corner is at the offsets."""
    x, single = image_4d(image)
    oh, ow, th, tw = _ints(offset_height, offset_width, target_height, target_width)
    _, h, w, _ = x.shape
    for ok, msg in ((ow >= 0, "offset_width must be >= 0."),
                    (oh >= 0, "offset_height must be >= 0."),
                    (tw > 0, "target_width must be > 0."),
                    (th > 0, "target_height must be > 0."),
                    (w >= tw + ow, "width must be >= target + offset."),
                    (h >= th + oh, "height must be >= target + offset.")):
        if not ok:
            raise ValueError(msg)
    return unbatch(x[:, oh:oh + th, ow:ow + tw, :], single)


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """Zero-pad to ``target_height x target_width`` with the image at the offsets."""
    x, single = image_4d(image)
    oh, ow, th, tw = _ints(offset_height, offset_width, target_height, target_width)
    _, h, w, _ = x.shape
    after_h, after_w = th - oh - h, tw - ow - w
    for ok, msg in ((oh >= 0, "offset_height must be >= 0"),
                    (ow >= 0, "offset_width must be >= 0"),
                    (after_w >= 0, "width must be <= target - offset"),
                    (after_h >= 0, "height must be <= target - offset")):
        if not ok:
            raise ValueError(msg)
    return unbatch(pad(x, [[0, 0], [oh, after_h], [ow, after_w], [0, 0]]), single)


def resize_with_crop_or_pad(image, target_height, target_width):
    """Centre-crop and/or zero-pad evenly to the target size."""
    x, single = image_4d(image)
    th, tw = _ints(target_height, target_width)
    if tw <= 0:
        raise ValueError("target_width must be > 0.")
    if th <= 0:
        raise ValueError("target_height must be > 0.")
    _, h, w, _ = x.shape
    dw, dh = tw - w, th - h
    x = crop_to_bounding_box(x, max(-dh // 2, 0), max(-dw // 2, 0), min(th, h), min(tw, w))
    x = pad_to_bounding_box(x, max(dh // 2, 0), max(dw // 2, 0), th, tw)
    return unbatch(x, single)


def central_crop(image, central_fraction):
    """The centre ``central_fraction`` of each spatial side."""
    f = float(value_of(central_fraction))
    if f <= 0.0 or f > 1.0:
        raise ValueError("central_fraction must be within (0, 1]")
    x, single = image_4d(image)
    if f == 1.0:
        return unbatch(x, single)
    _, h, w, _ = x.shape
    sh, sw = int((h - h * f) / 2), int((w - w * f) / 2)
    return unbatch(x[:, sh:h - sh, sw:w - sw, :], single)


def image_gradients(image):
    """``(dy, dx)``: forward differences, zero in the last row / column."""
    x = as_t(image)
    if len(x.shape) != 4:
        raise ValueError(f"image_gradients expects a 4D tensor [batch_size, h, w, d], "
                         f"not {x.shape}.")
    n, h, w, c = x.shape
    dy = subtract(x[:, 1:], x[:, :-1])
    dx = subtract(x[:, :, 1:], x[:, :, :-1])
    dy = concat([dy, convert_to_tensor(np.zeros((n, 1, w, c), x.dtype.as_numpy_dtype))], 1)
    dx = concat([dx, convert_to_tensor(np.zeros((n, h, 1, c), x.dtype.as_numpy_dtype))], 2)
    return dy, dx


def sobel_edges(image):
    """``[batch, h, w, d, 2]``: the vertical and horizontal Sobel responses, reflect-padded."""
    x = as_t(image)
    if len(x.shape) != 4:
        raise ValueError(f"sobel_edges expects a 4D tensor [batch_size, h, w, d], "
                         f"not {x.shape}.")
    _, h, w, _ = x.shape
    p = pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
    ky = [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]
    outs = []
    for kern in (ky, [list(r) for r in zip(*ky)]):
        acc = None
        for i in range(3):
            for j in range(3):
                if kern[i][j]:
                    term = p[:, i:i + h, j:j + w, :] * float(kern[i][j])
                    acc = term if acc is None else acc + term
        outs.append(acc)
    return stack(outs, axis=-1)


def total_variation(images, name=None):
    """Sum of absolute differences of neighbouring pixels: a scalar for HWC, one per image
    for NHWC."""
    x = as_t(images)
    nd = len(x.shape)
    if nd == 3:
        return (reduce_sum(_abs(x[1:] - x[:-1])) + reduce_sum(_abs(x[:, 1:] - x[:, :-1])))
    if nd == 4:
        return (reduce_sum(_abs(x[:, 1:] - x[:, :-1]), axis=[1, 2, 3])
                + reduce_sum(_abs(x[:, :, 1:] - x[:, :, :-1]), axis=[1, 2, 3]))
    raise ValueError("'images' must be either 3 or 4-dimensional.")
