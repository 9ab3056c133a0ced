"""Keras 3's image preprocessing layers: ``Resizing``, ``CenterCrop`` and the geometric and
colour augmentations (``RandomFlip``, ``RandomRotation``, ``RandomZoom``...).

Images are 3-D (one image) or 4-D (a batch), channels last unless ``data_format`` says
otherwise. The deterministic layers (``Resizing``, ``CenterCrop``, ``AutoContrast``) are
built from recorded tapeflow ops, so gradients flow through them. A random layer draws its
parameters (flip flags, warps, shifts...) in a recorded ``Op`` marked random, so a traced
``fit`` draws afresh each step, and applies them with recorded ops (an ``_apply`` method:
gradients reach the images as in TF); the colour-space and histogram layers instead compute
on the host in one random ``Op`` (``_augment``). Random layers act only when ``training``
is true (the default of a direct call, as in Keras) and are the identity in inference.
``seed`` fixes the sequence of draws: two layers made with the same seed transform the same
inputs the same way.

NOTE: draws come from NumPy's generators, not TF's, so the random values are tapeflow's own.
"""
import numbers
import random as _pyrandom

from ... import dtypes
from ...backend import host as np
from ...backend import to_host, xp_of
from ...errors import InvalidArgumentError
from ...ops import array as A
from ...ops import indexing as IX
from ...ops import math as M
from ...ops import reduction as R
from ...ops._core import Op, apply
from ...tensor import TensorBase, convert_to_tensor
from .base import Layer
from .convolutional import normalize_data_format

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("nearest", "bilinear")
_RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area")


# -- host helpers ----------------------------------------------------------------------------
def _on_host(state):
    """The extra inputs ``state`` (generator states, parameters) as host NumPy arrays."""
    return [np.asarray(to_host(s)) for s in state]


def _host_fwd(a, *state, fn, dtype):
    out = np.asarray(fn(np.asarray(to_host(a)), *_on_host(state)), dtype=dtype)
    xp = xp_of(a)
    return out if xp is np else xp.asarray(out)  # back on the images' device


# A host transform drawing random values: never differentiated, rerun on every traced call.
IMAGE_AUGMENT = Op("ImageAugmentation", _host_fwd, None, None, same_dtype=False, random=True)
# A deterministic host transform (histograms and other non-differentiable steps).
IMAGE_TRANSFORM = Op("ImageTransform", _host_fwd, None, None, same_dtype=False)


# Histogram equalisation: piecewise constant in the pixel values, so its gradient is zero
# (TF's lookup-table gather gives zeros too, not None).
EQUALIZE = Op("ImageEqualization", _host_fwd, lambda n, g: (M.zeros_like(g),), None,
              same_dtype=False)


def _params_fwd(a, *state, fn):
    return np.asarray(fn(tuple(a.shape), *_on_host(state)))


# The random parameters of one call (flip flags, warps, shifts): drawn afresh on every run;
# the images then go through differentiable ops, so gradients reach them as in TF.
IMAGE_PARAMS = Op("ImageAugmentationDraw", _params_fwd, None, None, same_dtype=False,
                  random=True)
# The same, from a generator state given as a second input (a dict's images and labels
# share one draw: the state is drawn once per run by IMAGE_SEED).
IMAGE_PARAMS_FIXED = Op("ImageAugmentationParams", _params_fwd, None, None, same_dtype=False)
IMAGE_SEED = Op("ImageAugmentationSeed", lambda a, layer: np.asarray(layer._next_state(),
                                                                     np.int64),
                None, None, same_dtype=False, random=True)


def _rng_from(state, salt):
    """The generator of a drawn ``[seed, n]`` state (and a part's ``salt``)."""
    return np.random.default_rng([int(v) for v in state] + list(salt))


def _warp_plan_fwd(t, shape, interpolation, fill_mode):
    return warp_plan(np.asarray(to_host(t)), shape, interpolation, fill_mode)


WARP_PLAN = Op("ImageWarpPlan", _warp_plan_fwd, None, None, same_dtype=False)


def _value_range(value_range):
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError("The `value_range` argument should be a list of two numbers. "
                         f"Received: value_range={value_range}")
    return value_range


def _as_tuple(value):
    """Lists (a config read back from JSON) as tuples, as the layer was first made."""
    return tuple(value) if isinstance(value, list) else value


def _to_range(a, src, dst):
    """Linearly map values of ``a`` from range ``src`` to range ``dst`` (float32)."""
    if src[0] == dst[0] and src[1] == dst[1]:
        return a
    a = a.astype(np.float32)
    lo, hi = np.float32(src[0]), np.float32(src[1])
    return (a - lo) / (hi - lo) * (np.float32(dst[1]) - np.float32(dst[0])) + \
        np.float32(dst[0])


def _map_coord(c, n, mode):
    """Out-of-image source coordinates ``c`` on an axis of ``n`` pixels mapped back in, as
    TF's projective transform kernel does for each ``fill_mode``."""
    if mode == "constant":
        return c
    if mode == "nearest":
        return np.clip(c, 0, n - 1)
    if n <= 1:
        return np.zeros_like(c)
    if mode == "reflect":
        sz2 = 2.0 * n
        neg = c < 0
        cn = sz2 * np.trunc(-c / sz2) + c
        cn = np.where(cn < -n, cn + sz2, -cn - 1)
        cp = c - sz2 * np.trunc(c / sz2)
        cp = np.where(cp >= n, sz2 - cp - 1, cp)
        out = np.where(neg, cn, np.where(c > n - 1, cp, c))
    else:  # wrap
        sz = n - 1.0
        cn = c + n * (np.trunc(-c / sz) + 1)
        cp = c - n * np.trunc(c / sz)
        out = np.where(c < 0, cn, np.where(c > n - 1, cp, c))
    return np.clip(out, 0, n - 1)


def _round_half_away(v):
    """C's ``round``: halves away from zero, exact (``floor(v + 0.5)`` is not in float32)."""
    whole = np.trunc(v)
    return whole + np.sign(v) * (np.abs(v - whole) >= 0.5)


def _read(images, yi, xi, fill):
    b, h, w, _ = images.shape
    inside = (yi >= 0) & (yi < h) & (xi >= 0) & (xi < w)
    yc = np.clip(yi, 0, h - 1).astype(np.int64)
    xc = np.clip(xi, 0, w - 1).astype(np.int64)
    got = images[np.arange(b)[:, None, None], yc, xc]
    return np.where(inside[..., None], got, np.asarray(fill, images.dtype))


def affine_transform(images, transforms, interpolation="bilinear", fill_mode="constant",
                     fill_value=0.0):
    """Projective transform of NHWC host ``images`` (TF's ``ImageProjectiveTransformV3``).

    Args:
        images: a float array ``(batch, height, width, channels)``.
        transforms: ``(batch, 8)`` rows ``[a0, a1, a2, b0, b1, b2, c0, c1]`` mapping an output
            point ``(x, y)`` to the input point ``((a0 x + a1 y + a2) / k, (b0 x + b1 y +
            b2) / k)`` with ``k = c0 x + c1 y + 1``.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_mode: ``"reflect"``, ``"wrap"``, ``"constant"`` or ``"nearest"``.
        fill_value: the value of points outside the image in ``"constant"`` mode.

    Returns:
        The transformed array, same shape and dtype.
    """
    b, h, w, _ = images.shape
    t = np.asarray(transforms, np.float32).reshape(-1, 8)
    if t.shape[0] == 1 and b > 1:
        t = np.repeat(t, b, axis=0)
    ys, xs = np.meshgrid(np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32),
                         indexing="ij")
    t = t[:, :, None, None]
    k = t[:, 6] * xs + t[:, 7] * ys + np.float32(1)
    x = (t[:, 0] * xs + t[:, 1] * ys + t[:, 2]) / k
    y = (t[:, 3] * xs + t[:, 4] * ys + t[:, 5]) / k
    x, y = _map_coord(x, w, fill_mode), _map_coord(y, h, fill_mode)
    if interpolation == "nearest":
        return _read(images, _round_half_away(y), _round_half_away(x),
                     fill_value).astype(images.dtype)
    y0, x0 = np.floor(y), np.floor(x)
    y1, x1 = y0 + 1, x0 + 1
    wy0, wy1 = (y1 - y)[..., None], (y - y0)[..., None]
    wx0, wx1 = (x1 - x)[..., None], (x - x0)[..., None]
    top = wx0 * _read(images, y0, x0, fill_value) + wx1 * _read(images, y0, x1, fill_value)
    bot = wx0 * _read(images, y1, x0, fill_value) + wx1 * _read(images, y1, x1, fill_value)
    return (wy0 * top + wy1 * bot).astype(images.dtype)


def warp_plan(transforms, shape, interpolation, fill_mode):
    """Where each output pixel of a projective warp reads: ``(b, h, w, corners, 2)`` float64
    rows ``[flat index into the (b*h*w, c) image rows, weight]``; a corner outside the image
    has weight 0 (its share is the fill value's, in ``"constant"`` mode)."""
    b, h, w = shape
    t = np.asarray(transforms, np.float32).reshape(-1, 8)
    if t.shape[0] == 1 and b > 1:
        t = np.repeat(t, b, axis=0)
    ys, xs = np.meshgrid(np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32),
                         indexing="ij")
    t = t[:, :, None, None]
    k = t[:, 6] * xs + t[:, 7] * ys + np.float32(1)
    x = (t[:, 0] * xs + t[:, 1] * ys + t[:, 2]) / k
    y = (t[:, 3] * xs + t[:, 4] * ys + t[:, 5]) / k
    x, y = _map_coord(x, w, fill_mode), _map_coord(y, h, fill_mode)
    if interpolation == "nearest":
        corners = [(_round_half_away(y), _round_half_away(x), np.ones_like(x))]
    else:
        y0, x0 = np.floor(y), np.floor(x)
        corners = [(y0, x0, (y0 + 1 - y) * (x0 + 1 - x)), (y0, x0 + 1, (y0 + 1 - y) * (x - x0)),
                   (y0 + 1, x0, (y - y0) * (x0 + 1 - x)), (y0 + 1, x0 + 1, (y - y0) * (x - x0))]
    base = (np.arange(b) * h * w)[:, None, None]
    plan = np.empty((b, h, w, len(corners), 2), np.float64)
    for i, (yi, xi, wt) in enumerate(corners):
        inside = (yi >= 0) & (yi < h) & (xi >= 0) & (xi < w)
        flat = base + np.clip(yi, 0, h - 1).astype(np.int64) * w + \
            np.clip(xi, 0, w - 1).astype(np.int64)
        plan[..., i, 0] = flat
        plan[..., i, 1] = np.where(inside, wt, 0)
    return plan


def _warp(x, transforms, interpolation, fill_mode, fill_value, data_format):
    """Projective warp of a tapeflow image tensor (3-D or 4-D) as recorded gather and sum
    ops (gradients flow to the images); ``transforms`` a ``(batch, 8)`` tensor."""
    single = len(x.shape) == 3
    if single:
        x = A.expand_dims(x, 0)
    if data_format == "channels_first":
        x = A.transpose(x, [0, 2, 3, 1])
    b, h, w, c = x.shape
    plan = apply(WARP_PLAN, (transforms,), {"shape": (b, h, w),
                                           "interpolation": interpolation,
                                           "fill_mode": fill_mode})
    return _read_plan(x, plan, fill_mode == "constant", fill_value, data_format, single)


def _read_plan(x, plan, constant, fill_value, data_format, single):
    """Sum of the image rows a plan names (``warp_plan``'s layout), weighted; in constant
    mode the weight missing from a point goes to ``fill_value``. ``x`` is NHWC."""
    b, h, w, c = x.shape
    idx = M.cast(plan[..., 0], dtypes.int64)
    wt = M.cast(plan[..., 1], x.dtype)
    rows = IX.gather(A.reshape(x, [b * h * w, c]), idx)  # (b, h, w, corners, c)
    out = R.reduce_sum(rows * A.expand_dims(wt, -1), axis=3)
    if constant and fill_value != 0:
        out = out + A.expand_dims(1.0 - R.reduce_sum(wt, axis=3), -1) * float(fill_value)
    if data_format == "channels_first":
        out = A.transpose(out, [0, 3, 1, 2])
    return A.squeeze(out, [0]) if single else out


def affine_matrix(angle, translate_x, translate_y, scale, shear_x, shear_y, height, width):
    """``(batch, 8)`` transforms rotating by ``angle`` degrees about the image centre, then
    shearing (degrees), scaling and translating (pixels), as Keras's image layers build them.
    """
    rad = np.pi / 180.0
    angle = np.asarray(angle, np.float32) * np.float32(rad)
    shx = np.tan(np.asarray(shear_x, np.float32) * np.float32(rad))
    shy = np.tan(np.asarray(shear_y, np.float32) * np.float32(rad))
    cx, cy = np.float32(0.5 * (width - 1)), np.float32(0.5 * (height - 1))
    cos, sin = np.cos(angle), np.sin(angle)
    a0 = scale * (cos + shx * sin)
    a1 = scale * (-sin + shx * cos)
    b0 = scale * (shy * cos + sin)
    b1 = scale * (shy * -sin + cos)
    a2 = translate_x + cx - cx * a0 - cy * a1
    b2 = translate_y + cy - cx * b0 - cy * b1
    zeros = np.zeros_like(a0)
    return np.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1).astype(np.float32)


def conv_same(x, kernel, rows, cols, data_format):
    """``x`` (3-D or 4-D) filtered per channel by a ``rows`` x ``cols`` ``kernel`` (an array
    or a tensor of ``rows * cols`` weights), zero-padded to the same size, as recorded ops."""
    h_ax, w_ax = _hw_axes(x, data_format)
    h, w = x.shape[h_ax], x.shape[w_ax]
    top, left = (rows - 1) // 2, (cols - 1) // 2
    pads = [[0, 0] for _ in x.shape]
    pads[h_ax], pads[w_ax] = [top, rows - 1 - top], [left, cols - 1 - left]
    padded = IX.pad(x, pads)
    out = None
    for i in range(rows):
        for j in range(cols):
            k = kernel[i * cols + j]
            term = _slice_hw(padded, data_format, i, j, h, w) * (
                M.cast(k, x.dtype) if isinstance(k, TensorBase) else float(k))
            out = term if out is None else out + term
    return out


def _gray_t(x, data_format):
    """ITU-R 601 luma of an RGB image tensor as recorded ops, one channel kept."""
    ax = len(x.shape) - 1 if data_format == "channels_last" else len(x.shape) - 3
    shape = [1] * len(x.shape)
    shape[ax] = 3
    w = A.reshape(convert_to_tensor(np.asarray([0.2989, 0.5870, 0.1140], np.float32)), shape)
    return R.reduce_sum(x * M.cast(w, x.dtype), axis=ax, keepdims=True)


def _gray(a):
    """ITU-R 601 luma of NHWC RGB host images, one channel kept."""
    w = np.asarray([0.2989, 0.5870, 0.1140], np.float32)
    return (a[..., :3] * w).sum(-1, keepdims=True, dtype=np.float32)


# -- the base layer --------------------------------------------------------------------------
class BaseImagePreprocessingLayer(Layer):
    """Shared machinery of the image layers: ``data_format``, the seed, the 3-D/4-D handling
    and the host transform of random layers.

    Subclasses set ``_out`` (``"float"``: the output is always the compute dtype;
    ``"train"``: identity in inference, the compute dtype in training; ``"keep"``: the
    input's dtype) and implement ``_apply(x, state)`` with recorded ops (parameters from
    ``_draw``) or ``_augment(nhwc, rng)`` on host arrays.
    """

    _out = "train"
    _random = True
    _moves_pixels = False  # geometric layers: boxes in a dict would have to move too

    def __init__(self, data_format=None, seed=None, bounding_box_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format)
        self.bounding_box_format = bounding_box_format
        self.seed = seed
        d = self.__dict__
        d["_seed_value"] = seed if seed is not None else _pyrandom.randint(1, int(1e9))
        d["_draws"] = 0
        self.built = True

    def _next_rng(self):
        """A NumPy generator for one call: the layer's seed and a per-call counter."""
        return np.random.default_rng(self._next_state())

    _autocast_inputs = True  # Keras casts float images to the compute dtype (not RandomCrop)

    def _convert(self, x):
        """A tensor of ``x``: integer images keep their dtype (Keras's image layers do not
        promote them), float ones take the compute dtype."""
        if x is None or isinstance(x, (str, bool)):
            return x
        if not isinstance(x, TensorBase):
            x = convert_to_tensor(np.asarray(x))
        want = self.compute_dtype
        if self._autocast_inputs and self.__dict__.get("_autocast", True) and \
                x.dtype.is_floating and x.dtype != want:
            return M.cast(x, want)
        return x

    def _check_rank(self, x):
        if len(x.shape) not in (3, 4):
            raise ValueError("Expected the input image to be rank 3 or 4. Received "
                             f"inputs.shape={tuple(x.shape)}")

    def _next_state(self):
        """``[seed, n]`` for the layer's next draw (``n`` counts the calls)."""
        d = self.__dict__
        n = d["_draws"]
        d["_draws"] = n + 1
        return [int(d["_seed_value"]) & (2 ** 63 - 1), n]

    def _host_call(self, x, fn, dtype, random=True, state=None, op=None):
        """Run ``fn(nhwc_array, rng)`` on the host as one recorded op; ``x`` 3-D or 4-D in
        the layer's data format. ``state`` fixes the draws (a dict's images and labels share
        one, as ``(state tensor, salt)``); otherwise a random layer draws afresh on every run
        of the op."""
        layer, cf = self, self.data_format == "channels_first"

        def run(a, st=None):
            single = a.ndim == 3
            if single:
                a = a[None]
            if cf:
                a = np.transpose(a, (0, 2, 3, 1))
            if st is not None:
                rng = _rng_from(st, state[1])
            else:
                rng = layer._next_rng() if random else None
            out = fn(a, rng)
            if cf:
                out = np.transpose(out, (0, 3, 1, 2))
            return out[0] if single else out

        dtype = np.dtype(dtypes.as_dtype(dtype).as_numpy_dtype)
        if state is not None:
            return apply(IMAGE_TRANSFORM, (x, state[0]), {"fn": run, "dtype": dtype})
        op = op or (IMAGE_AUGMENT if random else IMAGE_TRANSFORM)
        return apply(op, (x,), {"fn": run, "dtype": dtype})

    def _draw(self, x, fn, state=None):
        """A tensor of this call's random parameters, ``fn(nhwc_shape, rng)``, drawn by a
        recorded op (afresh on every run, or from ``state``: ``(state tensor, salt)``)."""
        layer, cf = self, self.data_format == "channels_first"

        def draw(shape, st=None):
            if len(shape) == 3:
                shape = (1,) + shape
            if cf:
                shape = (shape[0], shape[2], shape[3], shape[1])
            rng = _rng_from(st, state[1]) if st is not None else layer._next_rng()
            return fn(shape, rng)

        if state is not None:
            return apply(IMAGE_PARAMS_FIXED, (x, state[0]), {"fn": draw})
        return apply(IMAGE_PARAMS, (x,), {"fn": draw})

    def _per_image(self, x, values):
        """``(batch,)`` values shaped to broadcast over ``x`` (3-D: the one image's)."""
        return A.reshape(values, [-1] + [1] * (len(x.shape) - 1)) if len(x.shape) == 4 else \
            A.reshape(values, [1] * len(x.shape))

    def call(self, inputs, training=True):
        if isinstance(inputs, dict):
            return self._call_dict(inputs, training)
        return self._call_images(inputs, training)

    def _call_dict(self, data, training):
        """``{"images": ..., "labels": ...}``: the images as in a plain call and the labels
        moved with them (by the layers that mix images: ``MixUp``, ``CutMix``)."""
        if "bounding_boxes" in data and not self.bounding_box_format:
            raise ValueError("You passed an input with a 'bounding_boxes' key, but you didn't "
                             "specify a bounding box format. Pass a `bounding_box_format` "
                             f"argument to your {type(self).__name__} layer, e.g. "
                             "`bounding_box_format='xyxy'`.")
        if self._moves_pixels and ("bounding_boxes" in data or "segmentation_masks" in data):
            raise NotImplementedError(f"tapeflow's {type(self).__name__} does not move "
                                      "bounding boxes or segmentation masks yet")
        out = dict(data)
        images = self._convert(data["images"])
        # one state per run, drawn by a random op: a traced call draws afresh each time
        state = (apply(IMAGE_SEED, (images,), {"layer": self}), ()) \
            if self._random and training else None
        out["images"] = self._call_images(images, training, state)
        if "labels" in data and training and hasattr(self, "_augment_labels"):
            labels = self._convert(data["labels"])
            shape = tuple(images.shape)
            fn = lambda a, st: self._augment_labels(a, _rng_from(st, ()), shape)
            out["labels"] = apply(IMAGE_TRANSFORM, (labels, state[0]), {
                "fn": fn, "dtype": np.dtype(dtypes.as_dtype(self.compute_dtype).as_numpy_dtype)
                if not labels.dtype.is_floating else np.dtype(labels.dtype.as_numpy_dtype)})
        return out

    def _call_images(self, inputs, training, state=None):
        x = self._convert(inputs)
        self._check_rank(x)
        compute = self.compute_dtype
        if not training and self._random:
            if self._out == "float" and x.dtype != compute:
                return M.cast(x, compute)
            return x
        if self._out == "float" and x.dtype != compute:
            x = M.cast(x, compute)
        if hasattr(self, "_apply"):  # differentiable: drawn parameters, then tapeflow ops
            return self._apply(x, state)
        dtype = x.dtype if self._out == "keep" else compute
        return self._host_call(x, self._augment, dtype, state=state)

    def _augment(self, a, rng):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = {**super().get_config(), "data_format": self.data_format}
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config


def _factor(factor, bounds=(-1, 1)):
    """Keras's ``factor`` normalisation: a number ``f`` becomes ``(max(-|f|, lo), |f|)``, a
    pair is sorted; values outside ``bounds`` are refused."""
    msg = ("The `factor` argument should be a number (or a list of two numbers) in the range "
           f"[{bounds[0]}, {bounds[1]}]. Received: factor={factor}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(msg)
        return tuple(sorted(factor))
    if isinstance(factor, numbers.Real) and not isinstance(factor, bool):
        if factor < bounds[0] or factor > bounds[1]:
            raise ValueError(msg)
        factor = abs(factor)
        return (max(-factor, bounds[0]), factor)
    raise ValueError(msg)


def _unit_factor(factor, name):
    """A factor in ``[0, 1]``: a number ``f`` becomes ``(0, f)``, a pair is sorted."""
    msg = ("The `addition_factor` and `threshold_factor` arguments should be a number (or a "
           "list of two numbers) in the range [0, 1]. ")

    def check(v):
        if v > 1.0 or v < 0:
            raise ValueError(msg + f"Received: input_number={v}")

    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(msg + f"Received: {name}={factor}")
        check(factor[0])
        check(factor[1])
        return tuple(sorted(factor))
    if isinstance(factor, numbers.Real) and not isinstance(factor, bool):
        check(factor)
        return (0, factor)
    raise ValueError(msg + f"Received: {name}={factor}")


def _batch_uniform(rng, n, lo, hi):
    return rng.uniform(lo, hi, size=n).astype(np.float32)


# -- resizing and cropping -------------------------------------------------------------------
def _hw_axes(x, data_format):
    nd = len(x.shape)
    return (nd - 3, nd - 2) if data_format == "channels_last" else (nd - 2, nd - 1)


def _slice_hw(x, data_format, top, left, height, width):
    h_ax, w_ax = _hw_axes(x, data_format)
    begin, size = [0] * len(x.shape), list(x.shape)
    begin[h_ax], begin[w_ax], size[h_ax], size[w_ax] = top, left, height, width
    return A.slice(x, begin, size)


def _aspect_crop_box(height, width, target_h, target_w):
    ch = max(min(height, int(float(width * target_h) / target_w)), 1)
    cw = max(min(width, int(float(height * target_w) / target_h)), 1)
    return int(float(height - ch) / 2), int(float(width - cw) / 2), ch, cw


def _resize(x, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
            pad_to_aspect_ratio=False, fill_value=0.0, data_format="channels_last",
            fill_mode="constant"):
    """Keras's ``ops.image.resize`` (TF backend) on a tapeflow tensor, as recorded ops."""
    from ...image import _resize as _rs  # deferred: tf.image (and tf.io) load on first use

    if interpolation not in _RESIZE_INTERPOLATIONS:
        raise ValueError("Invalid value for argument `interpolation`. Expected of one "
                         f"{_RESIZE_INTERPOLATIONS}. Received: interpolation={interpolation}")
    if fill_mode != "constant":
        raise ValueError("Invalid value for argument `fill_mode`. Only `'constant'` is "
                         f"supported. Received: fill_mode={fill_mode}")
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be "
                         "`True`.")
    h_ax, w_ax = _hw_axes(x, data_format)
    height, width = x.shape[h_ax], x.shape[w_ax]
    th, tw = size
    if crop_to_aspect_ratio:
        top, left, ch, cw = _aspect_crop_box(height, width, th, tw)
        x = _slice_hw(x, data_format, top, left, ch, cw)
    elif pad_to_aspect_ratio:
        ph = max(height, int(float(width * th) / tw))
        pw = max(width, int(float(height * tw) / th))
        top, left = int(float(ph - height) / 2), int(float(pw - width) / 2)
        pads = [[0, 0] for _ in x.shape]
        pads[h_ax], pads[w_ax] = [top, top], [left, left]
        x = IX.pad(x, pads, constant_values=fill_value)
    cf = data_format == "channels_first"
    if cf:
        x = A.transpose(x, [0, 2, 3, 1] if len(x.shape) == 4 else [1, 2, 0])
    out = _rs.resize(x, [th, tw], method=interpolation, antialias=antialias)
    if cf:
        out = A.transpose(out, [0, 3, 1, 2] if len(out.shape) == 4 else [2, 0, 1])
    return out


def _saturate_round(y, dtype):
    """Float results back to the integer input dtype: rounded and clipped to its range."""
    if y.dtype == dtype:
        return y
    if dtype.is_integer:
        info = np.iinfo(dtype.as_numpy_dtype)
        y = M.round(M.clip_by_value(y, float(info.min), float(info.max)))
    return M.cast(y, dtype)


class Resizing(BaseImagePreprocessingLayer):
    """Resizes images to ``(height, width)``, optionally cropping or padding first so the
    aspect ratio is kept; integer images come back rounded in their own dtype."""

    _moves_pixels = True

    _random = False

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = height, width
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode, self.fill_value = fill_mode, fill_value
        self.antialias = antialias

    def call(self, inputs, training=True):
        x = self._convert(inputs)
        if len(x.shape) < 3:  # Keras reads the height and width at -3 and -2 first
            raise IndexError(f"Resizing needs 3-D or 4-D images; got shape {tuple(x.shape)}")
        self._check_rank(x)
        out = _resize(x, (self.height, self.width), self.interpolation, self.antialias,
                      self.crop_to_aspect_ratio, self.pad_to_aspect_ratio, self.fill_value,
                      self.data_format, self.fill_mode)
        return _saturate_round(out, x.dtype)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        h_ax, w_ax = (len(shape) - 3, len(shape) - 2) if self.data_format == "channels_last" \
            else (len(shape) - 2, len(shape) - 1)
        shape[h_ax], shape[w_ax] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias}


class CenterCrop(BaseImagePreprocessingLayer):
    """Crops the centre ``(height, width)`` of images; an image smaller than that is
    centre-cropped to the target aspect ratio and resized instead. Outputs the compute
    dtype."""

    _moves_pixels = True

    _random = False

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = height, width

    def call(self, inputs, training=True):
        x = self._convert(inputs)
        self._check_rank(x)
        if x.dtype != self.compute_dtype:
            x = M.cast(x, self.compute_dtype)
        h_ax, w_ax = _hw_axes(x, self.data_format)
        dh, dw = x.shape[h_ax] - self.height, x.shape[w_ax] - self.width
        if dh >= 0 and dw >= 0:
            return _slice_hw(x, self.data_format, dh // 2, dw // 2, self.height, self.width)
        return _resize(x, (self.height, self.width), crop_to_aspect_ratio=True,
                       data_format=self.data_format)

    compute_output_shape = Resizing.compute_output_shape

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


# -- geometric augmentations -------------------------------------------------------------------
class RandomFlip(BaseImagePreprocessingLayer):
    """Flips each image left-right and/or up-down with probability 1/2 in training
    (``mode``: ``"horizontal"``, ``"vertical"`` or ``"horizontal_and_vertical"``)."""

    _moves_pixels = True

    _out = "float"

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.mode = mode  # as Keras, another mode is accepted and flips nothing

    def _flips(self, shape, rng):
        return rng.random(shape[0]) <= 0.5

    def _apply(self, x, state):
        flips = self._per_image(x, self._draw(x, self._flips, state))
        h_ax, w_ax = _hw_axes(x, self.data_format)
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            x = M.where(flips, IX.reverse(x, [w_ax]), x)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            x = M.where(flips, IX.reverse(x, [h_ax]), x)
        return x

    def get_config(self):
        return {**super().get_config(), "seed": self.seed, "mode": self.mode}


class _AffineLayer(BaseImagePreprocessingLayer):
    """Random affine warps: ``fill_mode``, ``interpolation`` and ``fill_value`` checks and
    the host warp; subclasses give ``_transforms(rng, batch, height, width)``."""

    _moves_pixels = True

    _out = "float"

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        if fill_mode not in _FILL_MODES:
            raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}. Expected of one "
                                      f"{_FILL_MODES}.")
        if interpolation not in _INTERPOLATIONS:
            raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of "
                                      f"one {_INTERPOLATIONS}.")
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, \
            fill_value

    def _augment(self, a, rng):
        b, h, w, _ = a.shape
        return affine_transform(a, self._transforms(rng, b, h, w), self.interpolation,
                                self.fill_mode, self.fill_value)

    def _apply(self, x, state):
        t = self._draw(x, lambda s, rng: self._transforms(rng, s[0], s[1], s[2]), state)
        return _warp(x, t, self.interpolation, self.fill_mode, self.fill_value,
                     self.data_format)

    def _geometry_config(self):
        return {"fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "seed": self.seed, "fill_value": self.fill_value}


class RandomRotation(_AffineLayer):
    """Rotates each image about its centre by a random angle of ``factor`` turns
    (``0.2``: up to 72 degrees either way; ``(lo, hi)``: a range)."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = _factor(factor)

    def _transforms(self, rng, b, h, w):
        angle = _batch_uniform(rng, b, self.factor[0] * 360.0, self.factor[1] * 360.0)
        zeros = np.zeros(b, np.float32)
        return affine_matrix(angle, zeros, zeros, np.float32(1), zeros, zeros, h, w)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "interpolation": self.interpolation,
                "seed": self.seed}


def _axis_factor(factor, name, closed_low):
    """Keras's zoom/translation factor: a number ``f`` becomes ``(-|f|, |f|)``, a pair is
    sorted; values outside ``[-1, 1]`` (zoom: ``(-1, 1]``) are refused."""
    head = ("The `factor` argument should be a number (or a list of two numbers) in the range "
            "[-1.0, 1.0]. ") if closed_low else (
        "The `height_factor` and `width_factor` arguments should be a number (or a list of "
        "two numbers) in the range (-1.0, 1.0]. ")

    def check(v):
        if v > 1.0 or v < -1.0 or (not closed_low and v == -1.0):
            raise ValueError(head + f"Received: input_number={v}")

    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(head + f"Received: {name}={factor}")
        check(factor[0])
        check(factor[1])
        return tuple(sorted(factor))
    if isinstance(factor, numbers.Real) and not isinstance(factor, bool):
        check(factor)
        return (-abs(factor), abs(factor))
    raise ValueError(head + f"Received: {name}={factor}")


class RandomZoom(_AffineLayer):
    """Zooms each image by a random factor: ``height_factor`` ``0.2`` scales the height by
    ``1 + u`` with ``u`` in ``[-0.2, 0.2]`` (positive zooms out); ``width_factor`` None
    keeps the aspect ratio."""

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = _as_tuple(height_factor), _as_tuple(width_factor)
        self.__dict__["_h"] = _axis_factor(height_factor, "height_factor", False)
        self.__dict__["_w"] = None if width_factor is None else \
            _axis_factor(width_factor, "width_factor", False)

    def _transforms(self, rng, b, h, w):
        hl, hu = self.__dict__["_h"]
        zy = _batch_uniform(rng, b, 1.0 + hl, 1.0 + hu)
        wf = self.__dict__["_w"]
        zx = zy if wf is None else _batch_uniform(rng, b, 1.0 + wf[0], 1.0 + wf[1])
        zeros = np.zeros(b, np.float32)
        x_off = np.float32((w - 1.0) / 2.0) * (1 - zx)
        y_off = np.float32((h - 1.0) / 2.0) * (1 - zy)
        return np.stack([zx, zeros, x_off, zeros, zy, y_off, zeros, zeros], axis=1)

    def get_config(self):
        return {**BaseImagePreprocessingLayer.get_config(self),
                "height_factor": self.height_factor,
                "width_factor": self.width_factor, "fill_mode": self.fill_mode,
                "interpolation": self.interpolation, "seed": self.seed,
                "fill_value": self.fill_value}


class RandomTranslation(_AffineLayer):
    """Shifts each image by a random fraction of its height and width (``height_factor``
    ``0.2``: up to 20% up or down)."""

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = _as_tuple(height_factor), _as_tuple(width_factor)
        self.__dict__["_h"] = _axis_factor(height_factor, "height_factor", True)
        self.__dict__["_w"] = _axis_factor(width_factor, "width_factor", True)

    def _transforms(self, rng, b, h, w):
        dy = _batch_uniform(rng, b, *self.__dict__["_h"]) * np.float32(h)
        dx = _batch_uniform(rng, b, *self.__dict__["_w"]) * np.float32(w)
        ones, zeros = np.ones(b, np.float32), np.zeros(b, np.float32)
        return np.stack([ones, zeros, -dx, zeros, ones, -dy, zeros, zeros], axis=1)

    get_config = RandomZoom.get_config


class RandomShear(_AffineLayer):
    """Shears each image by random factors drawn from ``x_factor`` and ``y_factor`` (one
    random sign for both): an output point ``(x, y)`` reads the input at
    ``(x + sx * y, sy * x + y)``."""

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear",
                 fill_mode="reflect", fill_value=0.0, data_format=None, seed=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.x_factor, self.y_factor = _factor(x_factor), _factor(y_factor)

    def _transforms(self, rng, b, h, w):
        sign = np.where(rng.uniform(0, 1, size=b) > 0.5, -1.0, 1.0).astype(np.float32)
        sy = _batch_uniform(rng, b, *self.y_factor) * sign
        sx = _batch_uniform(rng, b, *self.x_factor) * sign
        ones, zeros = np.ones(b, np.float32), np.zeros(b, np.float32)
        return np.stack([ones, sx, zeros, sy, ones, zeros, zeros, zeros], axis=1)

    def get_config(self):
        return {**super().get_config(), "x_factor": self.x_factor, "y_factor": self.y_factor,
                **self._geometry_config()}


class RandomCrop(BaseImagePreprocessingLayer):
    """Crops a random ``(height, width)`` window (one place per batch) in training; an
    image not larger than that is centre-cropped to the aspect ratio and resized. The
    identity in inference."""

    _autocast_inputs = False
    _moves_pixels = True

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        if seed is None:
            seed = _pyrandom.randint(1, int(1e9))  # Keras keeps the drawn seed in its config
        super().__init__(data_format=data_format, seed=seed, name=name, **kwargs)
        self.height, self.width = height, width

    def call(self, inputs, training=True):
        x = self._convert(inputs)
        self._check_rank(x)
        if not training:
            return x
        x = M.cast(x, self.compute_dtype) if x.dtype != self.compute_dtype else x
        h_ax, w_ax = _hw_axes(x, self.data_format)
        ih, iw = x.shape[h_ax], x.shape[w_ax]
        if ih > self.height and iw > self.width:
            def corner(shape, rng):
                top = int(rng.uniform(0, float(ih - self.height + 1)))
                left = int(rng.uniform(0, float(iw - self.width + 1)))
                return np.asarray([min(top, ih - self.height), min(left, iw - self.width)],
                                  np.int64)

            # the corner is drawn by a recorded op (a traced call draws afresh); the window
            # is gathered, so gradients reach the images
            at = self._draw(x, corner)
            rows = at[0] + convert_to_tensor(np.arange(self.height, dtype=np.int64))
            cols = at[1] + convert_to_tensor(np.arange(self.width, dtype=np.int64))
            return IX.gather(IX.gather(x, rows, axis=h_ax), cols, axis=w_ax)
        top, left, _, _ = _aspect_crop_box(ih, iw, self.height, self.width)
        # as Keras: the window keeps the target size from the aspect-ratio box's corner,
        # cut short by the image's edge, and is then resized
        ch, cw = min(self.height, ih - top), min(self.width, iw - left)
        x = _slice_hw(x, self.data_format, top, left, ch, cw)
        if (ch, cw) != (self.height, self.width):
            x = _resize(x, (self.height, self.width), data_format=self.data_format)
        return x

    compute_output_shape = Resizing.compute_output_shape

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "seed": self.seed}


# -- colour augmentations --------------------------------------------------------------------
class RandomContrast(BaseImagePreprocessingLayer):
    """Scales each image's deviation from its per-channel mean by a random factor in
    ``[1 - lower, 1 + upper]`` (``factor`` in ``[0, 1]``), clipped to ``value_range``."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = _factor(factor, (0, 1))
        self.value_range = _as_tuple(value_range)

    def _factors(self, shape, rng):
        return rng.uniform(1.0 - self.factor[0], 1.0 + self.factor[1],
                           size=shape[0]).astype(np.float32)

    def _augment(self, a, rng):
        a = a.astype(np.float32)
        f = self._factors(a.shape, rng)[:, None, None, None]
        mean = a.mean(axis=(1, 2), keepdims=True, dtype=np.float32)
        out = (a - mean) * f + mean
        return np.clip(out, self.value_range[0], self.value_range[1])

    def _apply(self, x, state):
        if not x.dtype.is_floating:  # as Keras 3.15: its float mean meets the integers
            raise InvalidArgumentError(
                None, "Sub", f"cannot compute Sub as input #1(zero-based) was expected to be "
                f"a {x.dtype.name} tensor but is a float tensor [Op:Sub]")
        if x.dtype != self.compute_dtype:
            x = M.cast(x, self.compute_dtype)
        f = M.cast(self._per_image(x, self._draw(x, self._factors, state)), x.dtype)
        mean = R.reduce_mean(x, axis=list(_hw_axes(x, self.data_format)), keepdims=True)
        lo, hi = (float(v) for v in self.value_range)
        return M.clip_by_value((x - mean) * f + mean, lo, hi)

    def get_config(self):
        return {**BaseImagePreprocessingLayer.get_config(self), "factor": self.factor,
                "value_range": self.value_range, "seed": self.seed}


class RandomBrightness(BaseImagePreprocessingLayer):
    """Adds a random ``u * (max - min)`` to each image, ``u`` in ``factor``'s range
    (``[-1, 1]``), clipped to ``value_range``; keeps the input dtype."""

    _out = "keep"

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = _factor(factor)
        self.value_range = sorted(_value_range(value_range))

    def _delta(self, shape, rng):
        lo, hi = self.value_range
        delta = rng.uniform(self.factor[0], self.factor[1], size=shape[0])
        return (delta * (hi - lo)).astype(np.float32)

    def _augment(self, a, rng):
        delta = self._delta(a.shape, rng)[:, None, None, None].astype(a.dtype)
        return np.clip(a + delta, *self.value_range)

    def _apply(self, x, state):
        delta = M.cast(self._per_image(x, self._draw(x, self._delta, state)), x.dtype)
        lo, hi = self.value_range
        return M.clip_by_value(x + delta, M.cast(lo, x.dtype), M.cast(hi, x.dtype))

    def get_config(self):
        return {**BaseImagePreprocessingLayer.get_config(self), "factor": self.factor,
                "value_range": self.value_range, "seed": self.seed}


class RandomGrayscale(BaseImagePreprocessingLayer):
    """Turns each image grayscale (luma copied to the three channels) with probability
    ``factor``; keeps the input dtype."""

    _out = "keep"

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        if not 0 <= factor <= 1:
            raise ValueError("`factor` should be between 0 and 1. Received: "
                             f"factor={factor}")
        self.factor = factor

    def _picks(self, shape, rng):
        return rng.random(shape[0]) < self.factor

    def _apply(self, x, state):
        pick = self._per_image(x, self._draw(x, self._picks, state))
        xf = x if x.dtype.is_floating else M.cast(x, dtypes.float32)
        gray = _gray_t(xf, self.data_format)
        gray = gray if gray.dtype == x.dtype else M.cast(gray, x.dtype)  # truncated, as TF
        return M.where(pick, gray + M.zeros_like(x), x)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomInvert(BaseImagePreprocessingLayer):
    """Inverts each image (``max - x``, ``max`` the top of ``value_range``) with
    probability drawn from ``factor``."""

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = _factor(factor, (0, 1))
        self.value_range = _as_tuple(value_range)

    def _picks(self, shape, rng):
        p = rng.uniform(self.factor[0], self.factor[1], size=shape[0])
        return rng.random(shape[0]) < p

    def _apply(self, x, state):
        x = x if x.dtype == self.compute_dtype else M.cast(x, self.compute_dtype)
        pick = self._per_image(x, self._draw(x, self._picks, state))
        return M.where(pick, float(self.value_range[1]) - x, x)

    def get_config(self):
        return {**BaseImagePreprocessingLayer.get_config(self), "factor": self.factor,
                "value_range": self.value_range, "seed": self.seed}


class RandomPosterization(BaseImagePreprocessingLayer):
    """Keeps the top ``b`` bits of each 8-bit channel value, ``b`` drawn from ``factor``
    (``f``: ``[1, f)``; a pair ``(lo, hi)``: ``[lo, hi)``, or ``lo`` when equal)."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        if isinstance(factor, (tuple, list)):
            lo, hi = sorted(factor)
        else:
            lo, hi = 1, factor
        if not (1 <= lo and hi <= 8):
            raise ValueError("The `factor` argument should be a number (or a list of two "
                             f"numbers) in the range [1, 8]. Received: factor={factor}")
        self.factor = (lo, hi)
        self.value_range = sorted(_value_range(value_range))

    def _augment(self, a, rng):
        lo, hi = self.factor  # as Keras: the upper bound is excluded unless lo == hi
        bits = rng.integers(lo, hi, size=(a.shape[0], 1, 1, 1)) if lo != hi else \
            np.full((a.shape[0], 1, 1, 1), lo)
        x = _to_range(a.astype(np.float32), self.value_range, (0, 255))
        shift = (8 - bits).astype(np.uint8)
        q = np.left_shift(np.right_shift(np.clip(x, 0, 255).astype(np.uint8), shift), shift)
        return _to_range(q.astype(np.float32), (0, 255), self.value_range)

    def get_config(self):
        return {**BaseImagePreprocessingLayer.get_config(self), "factor": self.factor,
                "value_range": self.value_range, "seed": self.seed}


def _hsv_host(a, fn):
    from ...image._color import _hsv_to_rgb_np, _rgb_to_hsv_np  # deferred: as in _resize

    return _hsv_to_rgb_np(fn(_rgb_to_hsv_np(a)))


class RandomHue(BaseImagePreprocessingLayer):
    """Shifts each image's hue by a random fraction of the colour circle drawn from
    ``factor`` (``[0, 1]``; 0.5 spans the whole circle both ways)."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = _factor(factor, (0, 1))
        self.value_range = _as_tuple(value_range)

    def _augment(self, a, rng):
        b = a.shape[0]
        mag = rng.uniform(self.factor[0], self.factor[1], size=b)
        sign = np.where(rng.random(b) > 0.5, 1.0, -1.0)
        delta = (mag * sign * 0.5)[:, None, None].astype(np.float32)
        x = _to_range(a.astype(np.float32), self.value_range, (0, 1))

        def shift(hsv):
            hsv = hsv.copy()
            hsv[..., 0] = np.mod(hsv[..., 0] + delta, 1.0)
            return hsv

        out = np.clip(_hsv_host(x, shift), 0, 1)
        return _to_range(out.astype(np.float32), (0, 1), self.value_range)

    def get_config(self):
        return {**BaseImagePreprocessingLayer.get_config(self), "factor": self.factor,
                "value_range": self.value_range, "seed": self.seed}


class RandomSaturation(BaseImagePreprocessingLayer):
    """Scales each image's saturation: ``factor`` in ``[0, 1]`` maps to a multiplier
    ``u / (1 - u)`` (0.5: unchanged, 0: grayscale, 1: fully saturated)."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = _factor(factor)
        self.value_range = sorted(_value_range(value_range))

    def _call_images(self, inputs, training, state=None):
        x = self._convert(inputs)
        if training and not x.dtype.is_floating:  # as Keras 3.15's HSV conversion
            raise ValueError("Invalid images dtype: expected float dtype. Received: "
                             f"images.dtype={x.dtype.name}")
        return super()._call_images(x, training, state)

    def _augment(self, a, rng):
        u = rng.uniform(self.factor[0], self.factor[1], size=a.shape[0]).astype(np.float32)
        scale = (u / (np.float32(1) - u + np.float32(1e-7)))[:, None, None]
        lo, hi = self.value_range

        def sat(hsv):
            hsv = hsv.copy()
            hsv[..., 1] = np.clip(hsv[..., 1] * scale, lo, hi)  # Keras clips to value_range
            return hsv

        return _hsv_host(a.astype(np.float32), sat).astype(np.float32)

    get_config = RandomPosterization.get_config


class RandomColorDegeneration(BaseImagePreprocessingLayer):
    """Blends each image with its grayscale version by a random weight from ``factor``
    (0: unchanged, 1: gray), clipped to ``value_range``."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = _factor(factor)
        self.value_range = sorted(_value_range(value_range))

    def _weights(self, shape, rng):
        return rng.uniform(self.factor[0], self.factor[1], size=shape[0]).astype(np.float32)

    def _augment(self, a, rng):
        f = self._weights(a.shape, rng)[:, None, None, None]
        x = a.astype(np.float32)
        return np.clip(x + f * (_gray(x) - x), *self.value_range)

    def _apply(self, x, state):
        x = x if x.dtype == self.compute_dtype else M.cast(x, self.compute_dtype)
        f = M.cast(self._per_image(x, self._draw(x, self._weights, state)), x.dtype)
        lo, hi = (float(v) for v in self.value_range)
        return M.clip_by_value(x + f * (_gray_t(x, self.data_format) - x), lo, hi)

    get_config = RandomPosterization.get_config


class RandomSharpness(BaseImagePreprocessingLayer):
    """Blends each image with a smoothed copy (3x3 kernel): ``factor`` in ``[0, 1]``,
    doubled, weighs the image against the blur (0: blurred, 0.5: unchanged, 1: sharper)."""

    _out = "float"

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = _factor(factor, (0, 1))
        self.value_range = sorted(_value_range(value_range))

    def _augment(self, a, rng):
        f = rng.uniform(self.factor[0], self.factor[1],
                        size=(a.shape[0], 1, 1, 1)).astype(np.float32) * np.float32(2)
        x = a.astype(np.float32)
        k = np.asarray([[1, 1, 1], [1, 5, 1], [1, 1, 1]], np.float32) / np.float32(13)
        h, w = x.shape[1:3]
        padded = np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)])  # "same", zero-padded
        smooth = np.zeros_like(x)
        for i in range(3):
            for j in range(3):
                smooth += k[i, j] * padded[:, i:i + h, j:j + w]
        return np.clip(x + (1 - f) * (smooth - x), *self.value_range)

    def _factors(self, shape, rng):
        return rng.uniform(self.factor[0], self.factor[1], size=shape[0]).astype(
            np.float32) * np.float32(2)

    def _apply(self, x, state):
        f = M.cast(self._per_image(x, self._draw(x, self._factors, state)), x.dtype)
        k = (np.asarray([1, 1, 1, 1, 5, 1, 1, 1, 1], np.float32) / np.float32(13))
        smooth = conv_same(x, k.astype(np.float64), 3, 3, self.data_format)
        lo, hi = (float(v) for v in self.value_range)
        return M.clip_by_value(x + (1.0 - f) * (smooth - x), lo, hi)

    get_config = RandomPosterization.get_config


# -- deterministic colour layers ------------------------------------------------------------
class AutoContrast(BaseImagePreprocessingLayer):
    """Stretches each image's channels so their minimum maps to the bottom of
    ``value_range`` and their maximum to the top (constant channels are left as they are).
    """

    _random = False

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        self.value_range = sorted(_value_range(value_range))

    def call(self, inputs, training=True):
        x0 = self._convert(inputs)
        self._check_rank(x0)
        lo, hi = (float(v) for v in self.value_range)
        x = M.cast(x0, self.compute_dtype) if x0.dtype != self.compute_dtype else x0
        if (lo, hi) != (0.0, 255.0):
            x = (x - lo) / (hi - lo) * 255.0
        axes = [-3, -2] if self.data_format == "channels_last" else [-2, -1]
        low = R.reduce_min(x, axis=axes, keepdims=True)
        high = R.reduce_max(x, axis=axes, keepdims=True)
        spread = high - low
        flat = M.equal(spread, 0.0)  # Keras's 0 * inf gives NaN there: the input is kept
        scale = 255.0 / M.where(flat, M.ones_like(spread), spread)
        out = M.minimum(M.maximum(x * scale + (-low * scale), 0.0), 255.0)
        if (lo, hi) != (0.0, 255.0):
            out = out / 255.0 * (hi - lo) + lo
        keep = M.cast(x0, self.compute_dtype) if x0.dtype != self.compute_dtype else x0
        return M.where(M.logical_or(flat, M.is_nan(out)), keep, out)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range}


class Solarization(BaseImagePreprocessingLayer):
    """Adds a random ``addition_factor * 255`` to each image, then inverts (``255 - x``)
    the values at or above a random ``threshold_factor * 255`` (in the 0-255 scale of
    ``value_range``). Outputs the compute dtype."""

    _out = "float"

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255),
                 seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.addition_factor = _unit_factor(addition_factor, "addition_factor")
        self.threshold_factor = _unit_factor(threshold_factor, "threshold_factor")
        self.value_range = sorted(_value_range(value_range))

    def _amounts(self, shape, rng):
        # as Keras 3.15: the draws are uniform on [lower, upper * 255]
        af, tf_ = self.addition_factor, self.threshold_factor
        add = rng.uniform(af[0], af[1] * 255, size=shape[0]).astype(np.float32)
        thr = rng.uniform(tf_[0], tf_[1] * 255, size=shape[0]).astype(np.float32)
        return np.stack([add, thr])

    def _augment(self, a, rng):
        add, thr = self._amounts(a.shape, rng)[:, :, None, None, None]
        x = _to_range(a.astype(np.float32), self.value_range, (0, 255))
        x = np.clip(x + add, 0, 255)
        x = np.where(x < thr, x, np.float32(255) - x)
        return _to_range(x, (0, 255), self.value_range)

    def _apply(self, x, state):
        amounts = M.cast(self._draw(x, self._amounts, state), x.dtype)
        add, thr = self._per_image(x, amounts[0]), self._per_image(x, amounts[1])
        lo, hi = (float(v) for v in self.value_range)
        if (lo, hi) != (0.0, 255.0):
            x = (x - lo) / (hi - lo) * 255.0
        x = M.clip_by_value(x + add, 0.0, 255.0)
        x = M.where(M.less(x, thr), x, 255.0 - x)
        return x / 255.0 * (hi - lo) + lo if (lo, hi) != (0.0, 255.0) else x

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "addition_factor": self.addition_factor,
                "threshold_factor": self.threshold_factor, "seed": self.seed}


def _equalize_channel(ch, bins):
    """Histogram-equalise one 0-255 channel with ``bins`` bins: each value maps through the
    cumulative histogram, stretched so the first occupied bin goes to 0 and the whole to
    255; a channel with one occupied bin is left alone."""
    n = np.float32(bins - 1)
    idx = np.clip((ch * n / np.float32(255)).astype(np.int32), 0, bins - 1)
    hist = np.bincount(idx.ravel(), minlength=bins)
    if np.count_nonzero(hist) <= 1:
        return ch
    cdf = np.cumsum(hist)
    low = cdf[np.nonzero(cdf)[0][0]]
    denom = (cdf[-1] - low) or 1
    lut = np.clip(np.round(((cdf - low) * 255) / denom), 0, 255).astype(np.float32)
    take = np.clip((ch / np.float32(255)) * n, 0, bins - 1).astype(np.int32)
    return lut[take]


class Equalization(BaseImagePreprocessingLayer):
    """Histogram equalisation of each channel of each image (``bins`` bins over
    ``value_range``), which spreads the intensities over the whole range."""

    _random = False

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.bins = bins
        self.value_range = sorted(_value_range(value_range))

    def call(self, inputs, training=True):
        x = self._convert(inputs)
        self._check_rank(x)
        if not training:
            return x
        return self._host_call(x, self._equalize, self.compute_dtype, random=False,
                               op=EQUALIZE)

    def _equalize(self, a, rng):
        x = _to_range(a.astype(np.float32), self.value_range, (0, 255))
        out = np.empty_like(x, dtype=np.float32)
        for c in range(x.shape[-1]):  # one histogram per channel over the whole batch
            out[..., c] = _equalize_channel(x[..., c], self.bins)
        return _to_range(out, (0, 255), self.value_range)

    def get_config(self):
        return {**super().get_config(), "bins": self.bins, "value_range": self.value_range}

