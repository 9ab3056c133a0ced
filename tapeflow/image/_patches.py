"""``extract_patches`` and ``ssim``: gathers and banded-matrix filters over tapeflow ops, so
gradients flow through both."""

from .. import dtypes
from ..backend import host as np
from ..errors import InvalidArgumentError
from ..ops.array import concat, reshape, stack, transpose
from ..ops.indexing import gather, pad
from ..ops.linalg import einsum
from ..ops.math import add, as_t, cast, divide, multiply, pow, square, subtract
from ..ops.nn import relu
from ..ops.reduction import reduce_mean, reduce_prod
from ..tensor import convert_to_tensor
from ._color import convert_image_dtype

__all__ = ["extract_patches", "ssim", "ssim_multiscale"]


def _four(v, what):
    v = [int(x) for x in v]
    if len(v) != 4 or v[0] != 1 or v[3] != 1:
        raise ValueError(f"{what} must be [1, r, c, 1], got {v}")
    return v[1], v[2]


def _axis_plan(n, k, s, r, padding):
    ek = k + (k - 1) * (r - 1)
    if padding == "VALID":
        out = max(0, -(-(n - ek + 1) // s))
        before = 0
    else:
        out = -(-n // s)
        before = max((out - 1) * s + ek - n, 0) // 2
    idx = np.array([[o * s + i * r for i in range(k)] for o in range(out)], np.int32)
    need = int(idx.max()) + 1 if idx.size else 0
    return out, before, max(0, need - n - before), idx.reshape(-1)


def extract_patches(images, sizes, strides, rates, padding, name=None):
    """``[batch, out_rows, out_cols, size_rows * size_cols * depth]``: every (dilated)
    ``sizes`` window, ``strides`` apart, flattened in row, column, depth order."""
    x = as_t(images)
    if len(x.shape) != 4:
        raise ValueError(f"input must be 4-dimensional, got shape {x.shape}")
    padding = padding.upper()
    if padding not in ("VALID", "SAME"):
        raise ValueError(f"padding must be 'VALID' or 'SAME', got {padding!r}")
    (kr, kc), (sr, sc), (rr, rc) = (_four(sizes, "sizes"), _four(strides, "strides"),
                                    _four(rates, "rates"))
    b, h, w, d = x.shape
    orow, top, bottom, ri = _axis_plan(h, kr, sr, rr, padding)
    ocol, left, right, ci = _axis_plan(w, kc, sc, rc, padding)
    if top or bottom or left or right:
        x = pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]])
    wp = x.shape[2]
    y = reshape(gather(x, ri, axis=1), [b, orow, kr, wp, d])
    y = reshape(gather(y, ci, axis=3), [b, orow, kr, ocol, kc, d])
    y = transpose(y, [0, 1, 3, 2, 4, 5])
    return reshape(y, [b, orow, ocol, kr * kc * d])


def _gauss_band(n, size, sigma):
    c = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = np.exp(-0.5 * c * c / (sigma * sigma))
    g /= g.sum()
    out = n - size + 1
    m = np.zeros((out, n))
    for o in range(out):
        m[o, o:o + size] = g
    return convert_to_tensor(m.astype(np.float32))


def _ssim_maps(a, b, mv, fs, sigma, k1, k2):
    """``(ssim map, contrast-structure map)`` of float32 images ``a``, ``b`` (``[..., h, w,
    c]``), each ``[..., h - fs + 1, w - fs + 1, c]``."""
    h, w = a.shape[-3], a.shape[-2]
    bh, bw = _gauss_band(h, fs, sigma), _gauss_band(w, fs, sigma)

    def blur(t):
        return einsum("pw,...owc->...opc", bw, einsum("oh,...hwc->...owc", bh, t))

    c1 = square(multiply(mv, float(k1)))
    c2 = square(multiply(mv, float(k2)))
    m1, m2 = blur(a), blur(b)
    num0 = multiply(multiply(m1, m2), 2.0)
    den0 = add(square(m1), square(m2))
    lum = divide(add(num0, c1), add(den0, c1))
    num1 = multiply(blur(multiply(a, b)), 2.0)
    den1 = blur(add(square(a), square(b)))
    cs = divide(add(subtract(num1, num0), c2), add(subtract(den1, den0), c2))
    return multiply(lum, cs), cs


def ssim(img1, img2, max_val, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         return_index_map=False):
    """Structural similarity per image (mean over the last three axes), with TF's Gaussian
    window (``filter_size``, ``filter_sigma``) applied without padding."""
    a, b = as_t(img1), as_t(img2)
    if a.shape != b.shape:
        raise InvalidArgumentError(None, "SSIM", f"img1 and img2 shapes differ: {a.shape} vs "
                                   f"{b.shape}")
    if len(a.shape) < 3:
        raise ValueError(f"ssim needs images of rank >= 3, got shape {a.shape}")
    h, w = a.shape[-3], a.shape[-2]
    fs = int(filter_size)
    if h < fs or w < fs:
        raise InvalidArgumentError(None, "SSIM", f"images of shape {a.shape} are smaller than "
                                   f"filter_size {fs}")
    mv = convert_image_dtype(cast(max_val, a.dtype), dtypes.float32)
    a, b = convert_image_dtype(a, dtypes.float32), convert_image_dtype(b, dtypes.float32)
    smap, _ = _ssim_maps(a, b, mv, fs, float(filter_sigma), k1, k2)
    if return_index_map:
        return reduce_mean(smap, [-1])
    return reduce_mean(smap, [-3, -2, -1])


_MS_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def _halve(x):
    """2x2 average pooling (stride 2) of ``[n, h, w, c]``, an odd last row or column
    repeated first (TF pads SYMMETRIC before its VALID pool)."""
    n, h, w, c = x.shape
    if h % 2:
        x = concat([x, x[:, h - 1:]], 1)
    if w % 2:
        x = concat([x, x[:, :, w - 1:]], 2)
    h, w = x.shape[1], x.shape[2]
    return reduce_mean(reshape(x, [n, h // 2, 2, w // 2, 2, c]), [2, 4])


def ssim_multiscale(img1, img2, max_val, power_factors=_MS_WEIGHTS, filter_size=11,
                    filter_sigma=1.5, k1=0.01, k2=0.03):
    """Multi-scale SSIM per image: the product over ``len(power_factors)`` scales (each
    half the size of the one before) of the contrast-structure term, and at the last scale
    the SSIM, each (clipped at 0) to its power factor; averaged over channels."""
    a, b = as_t(img1), as_t(img2)
    if a.shape != b.shape:
        raise ValueError(f"Shapes {a.shape} and {b.shape} are incompatible")
    if len(a.shape) < 3:
        raise ValueError(f"Shape must be at least rank 3 but is rank {len(a.shape)}")
    mv = convert_image_dtype(cast(max_val, a.dtype), dtypes.float32)
    a, b = convert_image_dtype(a, dtypes.float32), convert_image_dtype(b, dtypes.float32)
    heads = list(a.shape[:-3])
    a = reshape(a, [-1] + list(a.shape[-3:]))
    b = reshape(b, [-1] + list(b.shape[-3:]))
    fs = int(filter_size)
    terms = []
    for k in range(len(power_factors)):
        if k:
            a, b = _halve(a), _halve(b)
        if a.shape[1] < fs or a.shape[2] < fs:
            dims = ", ".join(str(d) for d in heads + list(a.shape[1:]))
            raise InvalidArgumentError(None, "Assert", "Expected 'tf.Tensor(False, shape=(), "
                                       f"dtype=bool)' to be true. Summarized data: {dims}\n"
                                       f"{fs}")
        smap, cs = _ssim_maps(a, b, mv, fs, float(filter_sigma), k1, k2)
        last = k == len(power_factors) - 1
        terms.append(relu(reduce_mean(smap if last else cs, [1, 2])))
    stacked = stack(terms, -1)
    weights = convert_to_tensor(np.asarray(power_factors, np.float32))
    out = reduce_mean(reduce_prod(pow(stacked, weights), [-1]), [-1])
    return reshape(out, heads)
