"""``Dropout``: zeroes a fraction of inputs during training and rescales the rest; also
``AlphaDropout`` and ``ActivityRegularization``."""
from ...ops import math as M
from ...ops import random as rnd
from ...ops.nn import dropout
from .. import backend, regularizers
from .base import Layer
from .masking import keep_mask


class Dropout(Layer):
    """Keeps each input with probability ``1 - rate`` (scaled by ``1/(1-rate)``) when
    ``training`` is true; the identity otherwise."""

    _config_keys = ("name", "trainable", "dtype", "rate", "seed", "noise_shape")

    _passes_mask = True  # Keras 3: supports masking, the mask passes through

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float "
                             f"value between 0 and 1. Received: rate={rate}")
        self.rate, self.noise_shape, self.seed = float(rate), noise_shape, seed
        self._generator = backend.layer_rng(seed, "Dropout")

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate >= 1:  # Keras: everything dropped (tf.nn.dropout refuses rate 1)
            return inputs * 0
        noise = None
        if self.noise_shape is not None:
            noise = [s if n is None else n for s, n in zip(inputs.shape, self.noise_shape)]
        # NOTE: tf.nn's op draws its mask in an op of its own, so a traced step draws anew
        # per call; the layer's generator is its attribute (no state shared between models)
        return dropout(inputs, rate=self.rate, noise_shape=noise, seed=self._generator)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape,
                "seed": self.seed}


class ActivityRegularization(Layer):
    """The identity, adding ``l1 * sum(|x|) + l2 * sum(x**2)`` of its outputs to the layer's
    losses."""

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.supports_masking = True
        self.l1, self.l2 = l1, l2

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}


class AlphaDropout(Layer):
    """Dropout for self-normalising (SELU) networks: dropped inputs are set to SELU's
    negative saturation value and an affine map keeps the mean and variance, in training."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float "
                             f"value between 0 and 1. Received: rate={rate}")
        self.rate, self.noise_shape, self.seed = rate, noise_shape, seed
        self.supports_masking = True
        self._generator = backend.layer_rng(seed, "AlphaDropout")  # the layer's own source

    def call(self, inputs, training=False):
        if not training or self.rate <= 0:
            return inputs
        shape = tuple(inputs._v.shape)
        if self.noise_shape is not None:
            shape = tuple(s if n is None else n for s, n in zip(shape, self.noise_shape))
        # NOTE: drawn by a random op, so a traced step draws a new mask per call
        u = rnd.uniform(list(shape), dtype=inputs.dtype, seed=self._generator)
        kept = M.cast(M.greater_equal(u, self.rate), inputs.dtype)
        alpha_p = -1.6732632423543772 * 1.0507009873554805
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        return keep_mask((inputs * kept + alpha_p * (1.0 - kept)) * a + b, inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": self.noise_shape}
