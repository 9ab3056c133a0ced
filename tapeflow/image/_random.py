"""Random augmentations: the ``random_*`` ops (global / op seed) and their
``stateless_random_*`` twins (``seed=[a, b]``, deterministic). tapeflow's random streams are
its own, so the draws differ from TF's Philox values; the distributions and ranges match."""
from ..backend import host as np
from ..errors import InvalidArgumentError
from ..ops.indexing import reverse
from ..ops.math import as_t, less, where
from ..ops.random import stateless_uniform, uniform
from ._color import adjust_brightness, adjust_contrast, adjust_hue, adjust_saturation
from ._common import image_4d, unbatch, value_of

__all__ = ["random_flip_left_right", "random_flip_up_down", "random_brightness",
           "random_contrast", "random_saturation", "random_hue", "random_crop",
           "stateless_random_flip_left_right", "stateless_random_flip_up_down",
           "stateless_random_brightness", "stateless_random_contrast",
           "stateless_random_saturation", "stateless_random_hue", "stateless_random_crop"]


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
    return _flip(image, 2, _draw(seed, True))


def stateless_random_flip_up_down(image, seed):
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
    return adjust_brightness(image, _delta(float(max_delta), _draw(seed, True)))


def random_contrast(image, lower, upper, seed=None):
    """``adjust_contrast`` by a factor drawn from ``[lower, upper)``."""
    return adjust_contrast(image, _factor(float(lower), float(upper), _draw(seed, False)))


def stateless_random_contrast(image, lower, upper, seed):
    return adjust_contrast(image, _factor(float(lower), float(upper), _draw(seed, True)))


def random_saturation(image, lower, upper, seed=None):
    """``adjust_saturation`` by a factor drawn from ``[lower, upper)``."""
    return adjust_saturation(image, _factor(float(lower), float(upper), _draw(seed, False)))


def stateless_random_saturation(image, lower, upper, seed):
    return adjust_saturation(image, _factor(float(lower), float(upper), _draw(seed, True)))


def _hue(max_delta, draw):
    if max_delta > 0.5:
        raise ValueError("max_delta must be <= 0.5.")
    return _delta(max_delta, draw)


def random_hue(image, max_delta, seed=None):
    """``adjust_hue`` by a delta drawn from ``[-max_delta, max_delta)``, ``max_delta <= 0.5``."""
    return adjust_hue(image, _hue(float(max_delta), _draw(seed, False)))


def stateless_random_hue(image, max_delta, seed):
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
    return _crop(value, size, _draw(seed, True))


