"""Random augmentations: the ``random_*`` ops (global / op seed) and their
``stateless_random_*`` twins (``seed=[a, b]``, deterministic). tapeflow's random streams are
its own, so the draws differ from TF's Philox values; the distributions and ranges match."""
import math

from .. import dtypes
from ..backend import host as np
from ..errors import InvalidArgumentError
from ..ops.indexing import reverse
from ..ops.math import as_t, less, where
from ..ops.random import stateless_uniform, uniform
from ..tensor import convert_to_tensor
from ._color import adjust_brightness, adjust_contrast, adjust_hue, adjust_saturation
from ._common import image_4d, unbatch, value_of

__all__ = ["random_flip_left_right", "random_flip_up_down", "random_brightness",
           "random_contrast", "random_saturation", "random_hue", "random_crop",
           "stateless_random_flip_left_right", "stateless_random_flip_up_down",
           "stateless_random_brightness", "stateless_random_contrast",
           "stateless_random_saturation", "stateless_random_hue", "stateless_random_crop",
           "sample_distorted_bounding_box", "stateless_sample_distorted_bounding_box"]


def _draw(seed, stateless):
    """``draw(shape, lo, hi)``: uniform float32 values from the op seed or the stateless
    seed."""
    if stateless:
        if seed is None:
            raise TypeError("stateless random ops need a seed of shape [2]")
        return lambda shape, lo, hi: stateless_uniform(shape, seed, lo, hi)
    return lambda shape, lo, hi: uniform(shape, lo, hi, seed=seed)


def _flip(image, axis, draw):
    x, single = image_4d(image)
    u = draw([x.shape[0], 1, 1, 1], 0.0, 1.0)  # tensor ops only: traceable by tf.function
    return unbatch(where(less(u, 0.5), reverse(x, [axis]), x), single)


def random_flip_left_right(image, seed=None):
    """Mirror each image's width axis with probability 1/2."""
    return _flip(image, 2, _draw(seed, False))


def random_flip_up_down(image, seed=None):
    """Mirror each image's height axis with probability 1/2."""
    return _flip(image, 1, _draw(seed, False))


def stateless_random_flip_left_right(image, seed):
    """``image`` (or each image of a batch) mirrored left-right with probability 1/2, fixed by
    ``seed``."""
    return _flip(image, 2, _draw(seed, True))


def stateless_random_flip_up_down(image, seed):
    """``image`` (or each image of a batch) flipped upside down with probability 1/2, fixed by
    ``seed``."""
    return _flip(image, 1, _draw(seed, True))


def _delta(max_delta, draw):
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    return draw([], -max_delta, max_delta)


def _factor(lower, upper, draw):
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")
    return draw([], lower, upper)


def random_brightness(image, max_delta, seed=None):
    """``adjust_brightness`` by a delta drawn from ``[-max_delta, max_delta)``."""
    return adjust_brightness(image, _delta(float(max_delta), _draw(seed, False)))


def stateless_random_brightness(image, max_delta, seed):
    """``image`` plus one delta drawn from ``[-max_delta, max_delta)``, fixed by the 2-element
    ``seed``."""
    return adjust_brightness(image, _delta(float(max_delta), _draw(seed, True)))


def random_contrast(image, lower, upper, seed=None):
    """``adjust_contrast`` by a factor drawn from ``[lower, upper)``."""
    return adjust_contrast(image, _factor(float(lower), float(upper), _draw(seed, False)))


def stateless_random_contrast(image, lower, upper, seed):
    """``adjust_contrast`` by a factor drawn from ``[lower, upper)``, fixed by the 2-element
    ``seed``."""
    return adjust_contrast(image, _factor(float(lower), float(upper), _draw(seed, True)))


def random_saturation(image, lower, upper, seed=None):
    """``adjust_saturation`` by a factor drawn from ``[lower, upper)``."""
    return adjust_saturation(image, _factor(float(lower), float(upper), _draw(seed, False)))


def stateless_random_saturation(image, lower, upper, seed):
    """``adjust_saturation`` by a factor drawn from ``[lower, upper)``, fixed by the 2-element
    ``seed``."""
    return adjust_saturation(image, _factor(float(lower), float(upper), _draw(seed, True)))


def _hue(max_delta, draw):
    if max_delta > 0.5:
        raise ValueError("max_delta must be <= 0.5.")
    return _delta(max_delta, draw)


def random_hue(image, max_delta, seed=None):
    """``adjust_hue`` by a delta drawn from ``[-max_delta, max_delta)``, ``max_delta <= 0.5``."""
    return adjust_hue(image, _hue(float(max_delta), _draw(seed, False)))


def stateless_random_hue(image, max_delta, seed):
    """``adjust_hue`` by a delta drawn from ``[-max_delta, max_delta)``, fixed by the 2-element
    ``seed``."""
    return adjust_hue(image, _hue(float(max_delta), _draw(seed, True)))


def _crop(value, size, draw):
    x = as_t(value)
    size = [int(s) for s in value_of(size).reshape(-1)]
    shape = list(x.shape)
    if len(size) != len(shape) or any(s > d for s, d in zip(size, shape)):
        raise InvalidArgumentError(None, "RandomCrop", f"Need value.shape >= size, got "
                                   f"{shape} and {size}")
    limits = np.array([d - s + 1 for s, d in zip(size, shape)], np.float32)
    u = np.asarray(draw([len(shape)], 0.0, 1.0).numpy())
    offs = np.minimum((u * limits).astype(np.int64), limits.astype(np.int64) - 1)
    return x[tuple(slice(int(o), int(o) + s) for o, s in zip(offs, size))]


def random_crop(value, size, seed=None, name=None):
    """A ``size`` window of ``value`` at a uniformly random offset."""
    return _crop(value, size, _draw(seed, False))


def stateless_random_crop(value, size, seed, name=None):
    """A random ``size`` crop of ``value``, its offset fixed by the 2-element ``seed``."""
    return _crop(value, size, _draw(seed, True))




def _distorted_box(image_size, bounding_boxes, rng, min_object_covered, aspect_ratio_range,
                   area_range, max_attempts, use_image_if_no_bounding_boxes):
    size = value_of(image_size)
    if size.shape != (3,):
        raise InvalidArgumentError(None, "SampleDistortedBoundingBoxV2", f"image_size must be "
                                   f"1-D with 3 elements, got shape {list(size.shape)}")
    h, w = int(size[0]), int(size[1])
    boxes = np.asarray(value_of(bounding_boxes), np.float64).reshape(-1, 4)
    if not len(boxes):
        if not use_image_if_no_bounding_boxes:
            raise InvalidArgumentError(None, "SampleDistortedBoundingBoxV2", "No bounding boxes"
                                       " provided as input. One must enable use_image_if_no_"
                                       "bounding_boxes if you wish to not provide any bounding "
                                       "boxes.")
        boxes = np.array([[0.0, 0.0, 1.0, 1.0]])
    lo_a, hi_a = (float(v) for v in aspect_ratio_range)
    lo_s, hi_s = (float(v) for v in area_range)
    if lo_a <= 0 or lo_a > hi_a or lo_s <= 0 or lo_s > hi_s or hi_s > 1:
        raise InvalidArgumentError(None, "SampleDistortedBoundingBoxV2", "aspect_ratio_range "
                                   "and area_range must be positive increasing ranges, "
                                   "area_range within (0, 1]")
    cover = float(value_of(min_object_covered))
    ys = boxes[:, [0, 2]] * h
    xs = boxes[:, [1, 3]] * w
    areas = np.maximum((ys[:, 1] - ys[:, 0]) * (xs[:, 1] - xs[:, 0]), 1e-12)
    found = (0, 0, h, w)
    for _ in range(int(max_attempts)):
        aspect = rng.uniform(lo_a, hi_a)
        area = rng.uniform(lo_s, hi_s) * h * w
        ch = int(round(math.sqrt(area / aspect)))
        cw = int(round(ch * aspect))
        if not (1 <= ch <= h and 1 <= cw <= w):
            continue
        y = int(rng.integers(0, h - ch + 1))
        x = int(rng.integers(0, w - cw + 1))
        iy = np.clip(np.minimum(ys[:, 1], y + ch) - np.maximum(ys[:, 0], y), 0, None)
        ix = np.clip(np.minimum(xs[:, 1], x + cw) - np.maximum(xs[:, 0], x), 0, None)
        if np.any(iy * ix / areas >= cover):
            found = (y, x, ch, cw)
            break
    y, x, ch, cw = found
    dt = as_t(image_size).dtype
    begin = convert_to_tensor(np.array([y, x, 0]), dt)
    extent = convert_to_tensor(np.array([ch, cw, -1]), dt)
    box = convert_to_tensor(np.array([[[y / h, x / w, (y + ch) / h, (x + cw) / w]]],
                                     np.float32))
    return begin, extent, box


def sample_distorted_bounding_box(image_size, bounding_boxes, seed=None, min_object_covered=0.1,
                                  aspect_ratio_range=None, area_range=None, max_attempts=None,
                                  use_image_if_no_bounding_boxes=None, name=None):
    """A random crop ``(begin, size, bboxes)`` of an image of ``image_size`` that covers at
    least ``min_object_covered`` of one of ``bounding_boxes`` (the whole image when no attempt
    succeeds). tapeflow's draws, not TF's."""
    draw = np.asarray(uniform([2], 0, 2 ** 31 - 1, dtypes.int64, seed=seed).numpy())
    return _distorted_box(image_size, bounding_boxes, np.random.default_rng(draw.tolist()),
                          min_object_covered, aspect_ratio_range or (0.75, 1.33),
                          area_range or (0.05, 1.0), max_attempts or 100,
                          bool(use_image_if_no_bounding_boxes))


def stateless_sample_distorted_bounding_box(image_size, bounding_boxes, seed,
                                            min_object_covered=0.1, aspect_ratio_range=None,
                                            area_range=None, max_attempts=None,
                                            use_image_if_no_bounding_boxes=None, name=None):
    """``(begin, size, bboxes)`` of a random crop covering part of ``bounding_boxes``, fixed by
    ``seed`` (TF's constraints on aspect ratio, area and coverage)."""
    s = [int(v) for v in value_of(seed).reshape(-1)]
    if len(s) != 2:
        raise InvalidArgumentError(None, "StatelessSampleDistortedBoundingBox", "seed must "
                                   f"have shape [2], got {s}")
    return _distorted_box(image_size, bounding_boxes, np.random.default_rng([v & 0xFFFFFFFF
                                                                              for v in s]),
                          min_object_covered, aspect_ratio_range or (0.75, 1.33),
                          area_range or (0.05, 1.0), max_attempts or 100,
                          bool(use_image_if_no_bounding_boxes))
