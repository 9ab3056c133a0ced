"""Keras session state: float type, epsilon, automatic layer names and the seeded RNG."""
import re

from ..backend import host as np
from ..ops.random import _rng

_FLOATX = "float32"
_EPSILON = 1e-7
_NAME_COUNTS = {}


def floatx():
    """The default float type of layer weights and inputs (``'float32'``)."""
    return _FLOATX


def set_floatx(value):
    global _FLOATX
    if value not in ("float16", "bfloat16", "float32", "float64"):
        raise ValueError(f"Unknown `floatx` value: {value}. Expected one of float16, bfloat16, "
                         "float32, float64.")
    _FLOATX = str(value)


def epsilon():
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def clear_session(free_memory=True):
    """Forget automatic names so the next ``Dense`` is called ``dense`` again."""
    _NAME_COUNTS.clear()


def snake_case(name):
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def unique_name(base):
    """``base`` the first time, then ``base_1``, ``base_2``... until ``clear_session``."""
    n = _NAME_COUNTS.get(base, 0)
    _NAME_COUNTS[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def rng(seed=None, op="keras"):
    """A NumPy Generator for one random draw, under ``tf.random.set_seed``'s rules."""
    return _rng(seed, op)


def layer_rng(seed, op):
    """A random layer's own NumPy Generator, made once when the layer is built (Keras 3 gives
    each such layer its own ``SeedGenerator``).

    Draws then depend on this layer alone: two models trained at once in two threads get the
    masks they get when trained one after the other. A seeded layer replays the same
    sequence (two layers with one seed draw alike, as in Keras); an unseeded one takes its
    seed from the global stream at construction, so ``tf.random.set_seed`` before building
    the model makes it reproducible.
    """
    if seed is None:
        return np.random.default_rng(int(rng(None, op).integers(1, 1 << 62)))
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, sum(map(ord, op)), 3])


def initializer_rng(seed, name):
    """Keras initializers: a seeded one draws the same values on every call (Keras 3's
    documented behaviour); an unseeded one follows the global seed like a random op."""
    if seed is None:
        return rng(None, name)
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, sum(map(ord, name))])


def is_keras_tensor(x):
    from .layers.input_layer import KerasTensor  # cycle: keras.layers imports keras.backend

    return isinstance(x, KerasTensor)
