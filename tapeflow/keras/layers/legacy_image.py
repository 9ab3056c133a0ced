"""``RandomHeight`` and ``RandomWidth``: the legacy Keras layers that TF 2.21's ``tf.keras``
still exports (Keras 3 keeps them under ``keras._legacy.layers``). In training each call
resizes the images' height (or width) by a random factor ``1 + U(lower, upper)``; in
inference the images pass unchanged.

The new size is drawn per call, so the output shape depends on a random value: inside
``tf.function`` such a call makes its signature run eagerly (with the warning that names
the cause), as other value-shaped ops do.
"""
from ... import image
from ...ops import math as M
from ...ops import random as rnd
from ...tensor import convert_to_tensor
from .. import backend
from .base import Layer


class _RandomSize(Layer):
    _axis = -3  # the height of NHWC / HWC images
    _what = "height"

    def __init__(self, factor, interpolation="bilinear", seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(factor, (tuple, list)):
            factor = tuple(factor)  # a pair reads back from JSON as a list: one form
            lower, upper = factor[0], factor[1]
        else:
            lower, upper = -factor, factor
        if upper < lower:
            raise ValueError("`factor` argument cannot have an upper bound lesser than the "
                             f"lower bound. Received: factor={factor}")
        if lower < -1.0 or upper < -1.0:
            raise ValueError("`factor` argument must have values larger than -1. "
                             f"Received: factor={factor}")
        self.factor = factor
        self._lower, self._upper = float(lower), float(upper)
        self.interpolation = interpolation
        self.seed = seed
        self._generator = backend.layer_rng(seed, type(self).__name__)  # the layer's own

    def call(self, inputs, training=True):
        x = inputs if hasattr(inputs, "dtype") and hasattr(inputs, "_v") else \
            convert_to_tensor(inputs)
        x = M.cast(x, self.compute_dtype)
        if not training:
            return x
        factor = rnd.uniform([], 1.0 + self._lower, 1.0 + self._upper,
                             seed=self._generator)
        size = list(x.shape[-3:-1])
        k = 0 if self._axis == -3 else 1
        size[k] = int(float(factor) * size[k])  # truncated, as Keras's cast to int32
        return M.cast(image.resize(x, size, method=self.interpolation), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        shape[self._axis] = None
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "interpolation": self.interpolation, "seed": self.seed}


class RandomHeight(_RandomSize):
    """Resize the images' height by a random factor in ``[1 + lower, 1 + upper]`` when
    training (``factor`` a float ``f`` means ``(-f, f)``); the identity in inference."""


class RandomWidth(_RandomSize):
    """Resize the images' width by a random factor in ``[1 + lower, 1 + upper]`` when
    training (``factor`` a float ``f`` means ``(-f, f)``); the identity in inference."""

    _axis = -2
    _what = "width"
