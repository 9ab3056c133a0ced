"""``Dropout``: zeroes a fraction of inputs during training and rescales the rest."""
from ...backend import xp_of
from ...ops.nn import dropout
from ...tensor import wrap
from .. import backend
from .base import Layer


class Dropout(Layer):
    """Keeps each input with probability ``1 - rate`` (scaled by ``1/(1-rate)``) when
    ``training`` is true; the identity otherwise."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float "
                             f"value between 0 and 1. Received: rate={rate}")
        self.rate, self.noise_shape, self.seed = float(rate), noise_shape, seed

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.seed is None and self.noise_shape is None:  # tf.nn's op
            return dropout(inputs, rate=self.rate)
        shape = tuple(inputs._v.shape)
        if self.noise_shape is not None:
            shape = tuple(s if n is None else n for s, n in zip(shape, self.noise_shape))
        keep = backend.rng(self.seed, "Dropout").random(shape) >= self.rate
        xp = xp_of(inputs._v)
        scale = 0.0 if self.rate >= 1 else 1.0 / (1.0 - self.rate)
        mask = xp.asarray(keep, dtype=inputs._v.dtype) * inputs._v.dtype.type(scale)
        return inputs * wrap(mask)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape,
                "seed": self.seed}
