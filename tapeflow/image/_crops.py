"""``crop_and_resize`` (TF's box sampling, bilinear or nearest, with gradients w.r.t. the
image) and the JPEG-quality augmentations."""
import math

from .. import dtypes
from ..backend import host as np
from ..errors import InvalidArgumentError, OutOfRangeError
from ..io._image import decode_jpeg, encode_jpeg
from ..ops.indexing import gather
from ..ops.linalg import einsum
from ..ops.math import as_t, cast, where
from ..ops.random import stateless_uniform, uniform
from ..tensor import convert_to_tensor
from ._color import convert_image_dtype
from ._common import value_of

__all__ = ["crop_and_resize", "adjust_jpeg_quality", "random_jpeg_quality",
           "stateless_random_jpeg_quality"]


def _axis(lo, hi, n_in, n_out, method):
    """(weights [n_out, n_in], valid [n_out]) for one box side, as TF samples it."""
    w = np.zeros((n_out, n_in))
    valid = np.zeros(n_out, bool)
    scale = (hi - lo) * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    for o in range(n_out):
        s = lo * (n_in - 1) + o * scale if n_out > 1 else 0.5 * (lo + hi) * (n_in - 1)
        if s < 0 or s > n_in - 1:
            continue
        valid[o] = True
        if method == "nearest":
            w[o, int(math.floor(s + 0.5))] = 1.0  # roundf: halves away from zero (s >= 0)
        else:
            f, c = math.floor(s), math.ceil(s)
            w[o, f] += 1.0 - (s - f)
            w[o, c] += s - f
    return w, valid


def crop_and_resize(image, boxes, box_indices, crop_size, method="bilinear",
                    extrapolation_value=0.0, name=None):
    """For each normalised box ``[y1, x1, y2, x2]`` of ``image[box_indices[i]]``, a
    ``crop_size`` sampling (float32 ``[num_boxes, h, w, depth]``); samples outside the
    image take ``extrapolation_value``."""
    x = as_t(image)
    if len(x.shape) != 4:
        raise InvalidArgumentError(None, "CropAndResize", f"input image must be 4-D, got "
                                   f"shape {x.shape}")
    if method not in ("bilinear", "nearest"):
        raise ValueError(f"method must be 'bilinear' or 'nearest', got {method!r}")
    b = np.asarray(value_of(boxes), np.float32).reshape(-1, 4) if np.size(value_of(boxes)) \
        else np.zeros((0, 4), np.float32)
    idx = np.asarray(value_of(box_indices)).reshape(-1).astype(np.int32)
    ch, cw = (int(v) for v in value_of(crop_size))
    if ch <= 0 or cw <= 0:
        raise InvalidArgumentError(None, "CropAndResize", f"crop dimensions must be positive,"
                                   f" got {[ch, cw]}")
    n, h, w, _ = x.shape
    if len(idx) != len(b):
        raise InvalidArgumentError(None, "CropAndResize", f"box_index has incompatible shape "
                                   f"{list(idx.shape)} for boxes {list(b.shape)}")
    if len(idx) and (idx.min() < 0 or idx.max() >= n):
        raise OutOfRangeError(None, "CropAndResize", f"box_index has values outside "
                              f"[0, {n})")
    wys, wxs, mask = [], [], []
    for (y1, x1, y2, x2) in b.astype(np.float64):
        wy, vy = _axis(y1, y2, h, ch, method)
        wx, vx = _axis(x1, x2, w, cw, method)
        wys.append(wy)
        wxs.append(wx)
        mask.append(np.logical_and.outer(vy, vx))
    xf = cast(x, dtypes.float32) if x.dtype != dtypes.float32 else x
    g = gather(xf, idx, axis=0)
    wy = convert_to_tensor(np.array(wys, np.float32).reshape(len(b), ch, h))
    wx = convert_to_tensor(np.array(wxs, np.float32).reshape(len(b), cw, w))
    out = einsum("bqw,bpwc->bpqc", wx, einsum("bph,bhwc->bpwc", wy, g))
    m = np.array(mask, bool).reshape(len(b), ch, cw, 1)
    if m.all():
        return out
    fill = convert_to_tensor(np.float32(extrapolation_value))
    return where(np.broadcast_to(m, out.shape), out, fill)


def adjust_jpeg_quality(image, jpeg_quality, dct_method="", name=None):
    """The image after a JPEG encode/decode round trip at ``jpeg_quality`` (0-100), in its
    own dtype. (Pillow's encoder: the artefacts are not TF's bit for bit.)"""
    x = as_t(image)
    q = int(value_of(jpeg_quality))
    if not 0 <= q <= 100:
        raise InvalidArgumentError(None, "AdjustJpegQuality", f"jpeg_quality must be in "
                                   f"[0, 100], got {q}")
    orig = x.dtype
    u8 = convert_image_dtype(x, dtypes.uint8, saturate=True)
    c = u8.shape[-1]
    if c not in (1, 3):
        raise InvalidArgumentError(None, "AdjustJpegQuality", f"image must have 1 or 3 "
                                   f"channels, got {c}")
    if len(u8.shape) == 4:
        outs = [decode_jpeg(encode_jpeg(u8[i], quality=q), channels=c).numpy()
                for i in range(u8.shape[0])]
        dec = convert_to_tensor(np.stack(outs), dtypes.uint8)
    else:
        dec = decode_jpeg(encode_jpeg(u8, quality=q), channels=c)
    return convert_image_dtype(dec, orig, saturate=True)


def _quality(lo, hi, draw):
    lo, hi = int(lo), int(hi)
    if lo < 0 or hi > 100 or lo >= hi:
        raise ValueError("jpeg encode quality must be in [0, 100] with min < max.")
    return int(np.asarray(draw(lo, hi).numpy()))


def random_jpeg_quality(image, min_jpeg_quality, max_jpeg_quality, seed=None):
    """``adjust_jpeg_quality`` at a quality drawn from ``[min, max)``."""
    q = _quality(min_jpeg_quality, max_jpeg_quality,
                 lambda lo, hi: uniform([], lo, hi, dtypes.int32, seed=seed))
    return adjust_jpeg_quality(image, q)


def stateless_random_jpeg_quality(image, min_jpeg_quality, max_jpeg_quality, seed):
    """``image`` re-encoded as JPEG at a quality drawn from ``[min_jpeg_quality,
    max_jpeg_quality)``, fixed by ``seed``."""
    q = _quality(min_jpeg_quality, max_jpeg_quality,
                 lambda lo, hi: stateless_uniform([], seed, lo, hi, dtypes.int32))
    return adjust_jpeg_quality(image, q)
