"""``tf.image.resize`` and friends: TF's half-pixel-centre samplers written as one weight
matrix per spatial axis, so a resize is two contractions (and its gradient is theirs)."""
import math

from .. import dtypes
from ..backend import host as np
from ..ops.indexing import gather
from ..ops.linalg import einsum
from ..ops.math import cast
from ..tensor import convert_to_tensor
from ._common import image_4d, unbatch, value_of
from ._geometry import pad_to_bounding_box

__all__ = ["ResizeMethod", "resize", "resize_with_pad"]


class ResizeMethod:
    """The names of ``tf.image.resize``'s interpolation methods, as TF's constants."""

    BILINEAR = "bilinear"
    NEAREST_NEIGHBOR = "nearest"
    BICUBIC = "bicubic"
    AREA = "area"
    LANCZOS3 = "lanczos3"
    LANCZOS5 = "lanczos5"
    GAUSSIAN = "gaussian"
    MITCHELLCUBIC = "mitchellcubic"


_METHODS = {"bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
            "mitchellcubic"}


# -- sampling kernels (scale-and-translate) ---------------------------------------------------
def _triangle(x):
    return np.maximum(0.0, 1.0 - x)


def _keys(x, a=-0.5):
    return np.where(x >= 2, 0.0, np.where(
        x >= 1, ((a * x - 5 * a) * x + 8 * a) * x - 4 * a,
        ((a + 2) * x - (a + 3)) * x * x + 1))


def _mitchell(x):
    return np.where(x >= 2, 0.0, np.where(
        x >= 1, (((-7.0 / 18) * x + 2) * x - 10.0 / 3) * x + 16.0 / 9,
        ((7.0 / 6 * x - 2) * x) * x + 8.0 / 9))


def _lanczos(r):
    def k(x):
        with np.errstate(divide="ignore", invalid="ignore"):
            v = r * np.sin(np.pi * x) * np.sin(np.pi * x / r) / (np.pi * np.pi * x * x)
        return np.where(x > r, 0.0, np.where(x <= 1e-3, 1.0, v))
    return k


def _gaussian(x, radius=1.5):
    sigma = radius / 3.0
    return np.where(x >= radius, 0.0, np.exp(-x * x / (2.0 * sigma * sigma)))


_KERNELS = {"triangle": (_triangle, 1.0), "keyscubic": (_keys, 2.0),
            "mitchellcubic": (_mitchell, 2.0), "lanczos3": (_lanczos(3), 3.0),
            "lanczos5": (_lanczos(5), 5.0), "gaussian": (_gaussian, 1.5)}


def _scale_translate_weights(n_in, n_out, kernel, antialias):
    fn, radius = _KERNELS[kernel]
    scale = np.float32(n_out) / np.float32(n_in)
    inv = 1.0 / float(scale)
    kscale = max(inv, 1.0) if antialias else 1.0
    w = np.zeros((n_out, n_in))
    for o in range(n_out):
        s = (o + 0.5) * inv
        if s < 0 or s > n_in:
            continue
        lo = min(max(math.ceil(s - radius * kscale - 0.5), 0), n_in - 1)
        hi = min(max(math.floor(s + radius * kscale - 0.5), 0), n_in - 1) + 1
        src = np.arange(lo, hi)
        k = fn(np.abs((src + 0.5 - s) / kscale))
        total = k.sum()
        if abs(total) >= 1000.0 * np.finfo(np.float32).tiny:
            k = k / total
        w[o, lo:hi] = k
    return w


# -- the classic resamplers -------------------------------------------------------------------
def _bilinear_weights(n_in, n_out):
    scale = n_in / n_out
    w = np.zeros((n_out, n_in))
    for o in range(n_out):
        s = (o + 0.5) * scale - 0.5
        f = math.floor(s)
        lo, hi = max(f, 0), min(math.ceil(s), n_in - 1)
        t = s - f
        w[o, lo] += 1 - t
        w[o, hi] += t
    return w


def _bicubic_weights(n_in, n_out):
    scale = n_in / n_out
    table = 1024
    w = np.zeros((n_out, n_in))
    for o in range(n_out):
        s = (o + 0.5) * scale - 0.5
        f = math.floor(s)
        off = int(np.rint((s - f) * table)) / table  # TF samples the kernel from a table
        taps = [f - 1, f, f + 1, f + 2]
        k = _keys(np.abs(np.array([off + 1, off, 1 - off, 2 - off])))
        k = np.where([0 <= t < n_in for t in taps], k, 0.0)
        k = k / k.sum()
        for t, v in zip(taps, k):
            w[o, min(max(t, 0), n_in - 1)] += v
    return w


def _area_weights(n_in, n_out):
    scale = n_in / n_out
    w = np.zeros((n_out, n_in))
    for o in range(n_out):
        a, b = o * scale, (o + 1) * scale
        for i in range(math.floor(a), math.ceil(b)):
            w[o, min(i, n_in - 1)] += (min(i + 1, b) - max(i, a)) / scale
    return w


def _nearest_index(n_in, n_out):
    scale = n_in / n_out
    return np.array([max(0, min(math.floor((o + 0.5) * scale), n_in - 1))
                     for o in range(n_out)], np.int32)


def _size(size):
    s = value_of(size)
    if s.shape != (2,):
        raise ValueError(f"'size' must be a 1-D Tensor of 2 elements: new_height, new_width, "
                         f"got {s.tolist()}")
    if s.dtype.kind not in "iu":
        raise ValueError(f"'size' must be a 1-D int32 Tensor, got {s.tolist()}")
    return int(s[0]), int(s[1])


def resize(images, size, method=ResizeMethod.BILINEAR, preserve_aspect_ratio=False,
           antialias=False, name=None):
    """Resize ``images`` (HWC or NHWC) to ``size`` = ``[height, width]``. Every method but
    ``nearest`` returns float32; ``nearest`` keeps the dtype."""
    x, single = image_4d(images, "images")
    method = getattr(method, "value", method)
    if method not in _METHODS:
        raise ValueError(f"Resize method is not implemented: [{method}]")
    _, h, w, _ = x.shape
    nh, nw = _size(size)
    if preserve_aspect_ratio:
        f = min(np.float32(nh) / np.float32(h), np.float32(nw) / np.float32(w))
        nh = int(np.round(np.float32(f) * np.float32(h)))
        nw = int(np.round(np.float32(f) * np.float32(w)))
    if nh <= 0 or nw <= 0:
        raise ValueError(f"'size' must have positive values, got {[nh, nw]}")
    if method == "nearest":
        out = gather(gather(x, _nearest_index(h, nh), axis=1), _nearest_index(w, nw), axis=2)
        return unbatch(out, single)
    if x.dtype != dtypes.float32:
        x = cast(x, dtypes.float32)
    kernel = {"bilinear": "triangle", "bicubic": "keyscubic"}.get(method, method)
    if method == "area":
        wh, ww = _area_weights(h, nh), _area_weights(w, nw)
    elif antialias or method not in ("bilinear", "bicubic"):
        wh = _scale_translate_weights(h, nh, kernel, antialias)
        ww = _scale_translate_weights(w, nw, kernel, antialias)
    elif method == "bilinear":
        wh, ww = _bilinear_weights(h, nh), _bilinear_weights(w, nw)
    else:
        wh, ww = _bicubic_weights(h, nh), _bicubic_weights(w, nw)
    return unbatch(_apply(_apply(x, wh, 1), ww, 2), single)


def _apply(x, weights, axis):
    """Contract ``x``'s ``axis`` with ``weights`` [n_out, n_in]. Each output row uses a short
    contiguous span of inputs: a few weighted gathers (memory-bound, like TF's kernels) beat a
    dense contraction unless the spans are wide."""
    nz = weights != 0
    n_out, n_in = weights.shape
    if not nz.any():
        return einsum("oh,nhwc->nowc" if axis == 1 else "pw,nowc->nopc",
                      convert_to_tensor(weights.astype(np.float32)), x)
    first = np.where(nz.any(1), nz.argmax(1), 0)
    last = np.where(nz.any(1), n_in - 1 - nz[:, ::-1].argmax(1), 0)
    taps = int((last - first).max()) + 1
    if taps > 8:
        w = convert_to_tensor(weights.astype(np.float32))
        return einsum("oh,nhwc->nowc" if axis == 1 else "pw,nowc->nopc", w, x)
    shape = [1, 1, 1, 1]
    shape[axis] = n_out
    out = None
    for k in range(taps):
        idx = np.minimum(first + k, n_in - 1)
        wk = np.where(first + k <= last, weights[np.arange(n_out), idx], 0.0)
        if not wk.any():
            continue
        term = gather(x, idx.astype(np.int32), axis=axis)
        term = term * convert_to_tensor(wk.astype(np.float32).reshape(shape))
        out = term if out is None else out + term
    return out


def resize_with_pad(image, target_height, target_width, method=ResizeMethod.BILINEAR,
                    antialias=False):
    """Resize keeping the aspect ratio, then pad with zeros to the target size."""
    x, single = image_4d(image, "image")
    _, h, w, _ = x.shape
    th, tw = int(value_of(target_height)), int(value_of(target_width))
    if th <= 0:
        raise ValueError("target_height must be > 0.")
    if tw <= 0:
        raise ValueError("target_width must be > 0.")
    f32 = np.float32
    ratio = max(f32(w) / f32(tw), f32(h) / f32(th))
    rh, rw = f32(h) / ratio, f32(w) / ratio
    ph = max(0, int(np.floor((f32(th) - rh) / f32(2))))
    pw = max(0, int(np.floor((f32(tw) - rw) / f32(2))))
    resized = resize(x, [int(np.floor(rh)), int(np.floor(rw))], method, antialias=antialias)
    return unbatch(pad_to_bounding_box(resized, ph, pw, th, tw), single)
