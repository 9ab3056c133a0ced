"""``extract_glimpse``: a window of each image at an offset, filled with noise (or zeros)
where it leaves the image, placed as TF's ``ExtractGlimpseV2`` places it."""
from .. import dtypes
from ..backend import host as np
from ..errors import InvalidArgumentError
from ..ops.random import normal, uniform
from ..tensor import TensorBase, convert_to_tensor
from ._common import value_of

__all__ = ["extract_glimpse"]

_OP = "ExtractGlimpseV2"


def _invalid(message):
    return InvalidArgumentError(None, _OP, f"{message} [Op:{_OP}]")


def _dims(shape):
    return "[" + ",".join(str(int(d)) for d in shape) + "]"


def _corner(y, x, h, w, gh, gw, centered, normalized):
    """The window's top-left pixel: offsets scaled by the image size when ``normalized``,
    measured from the centre when ``centered`` (then the window is centred on them too, for
    normalized offsets only, as TF does); truncated toward zero."""
    if normalized:
        y, x = y * h, x * w
        if centered:
            y, x = y / 2.0 + h / 2.0 - gh / 2.0, x / 2.0 + w / 2.0 - gw / 2.0
    elif centered:
        y, x = y + h / 2.0, x + w / 2.0
    return int(np.float32(y)), int(np.float32(x))


def extract_glimpse(input, size, offsets, centered=True, normalized=True, noise="uniform",
                    name=None):
    """``[batch, size[0], size[1], depth]``: from each image, the window at
    ``offsets[i] = (y, x)`` (see ``centered``/``normalized``); pixels outside the image are
    ``noise``: ``"uniform"`` (within the image's per-channel range), ``"gaussian"`` (its
    per-channel mean and deviation) or ``"zero"``."""
    if isinstance(input, TensorBase) and input.dtype != dtypes.float32:
        raise _invalid(f"cannot compute {_OP} as input #0(zero-based) was expected to be a "
                       f"float tensor but is a {input.dtype.name} tensor")
    x = np.asarray(value_of(input), np.float32)
    if x.ndim != 4:
        raise _invalid("input must be 4-dimensional (batch_size, height, width, depth)"
                       f"{_dims(x.shape)}")
    gh, gw = (int(v) for v in np.asarray(value_of(size)).reshape(-1))
    off = np.asarray(value_of(offsets), np.float32)
    if off.ndim != 2:
        raise _invalid(f"input must be a matrix{_dims(off.shape)}")
    if off.shape[0] != x.shape[0]:
        raise _invalid(f"first dimension should be batch{_dims(off.shape)}")
    if off.shape[1] != 2:
        raise _invalid(f"input must be a matrix{_dims(off.shape)}")
    if noise not in ("uniform", "gaussian", "zero"):
        raise _invalid(f"The noise could only be uniform, gaussian, or zero, got{noise}")
    b, h, w, d = x.shape
    out = np.zeros((b, gh, gw, d), np.float32)
    for i in range(b):
        if noise == "uniform":
            lo, hi = x[i].min(axis=(0, 1)), x[i].max(axis=(0, 1))
            u = uniform([gh, gw, d]).numpy()
            out[i] = lo + u * (hi - lo)
        elif noise == "gaussian":
            mean, std = x[i].mean(axis=(0, 1)), x[i].std(axis=(0, 1))
            out[i] = mean + normal([gh, gw, d]).numpy() * std
        y0, x0 = _corner(float(off[i, 0]), float(off[i, 1]), h, w, gh, gw, centered,
                         normalized)
        ys, xs = max(y0, 0), max(x0, 0)
        ye, xe = min(y0 + gh, h), min(x0 + gw, w)
        if ys < ye and xs < xe:
            out[i, ys - y0:ye - y0, xs - x0:xe - x0] = x[i, ys:ye, xs:xe]
    return convert_to_tensor(out, dtypes.float32)
