"""Training-only noise layers: ``SpatialDropout1D/2D/3D`` (whole feature maps),
``GaussianNoise`` and ``GaussianDropout``; each is the identity in inference."""
import math

from ...ops import nn
from ...ops import random as rnd
from .. import backend
from .base import Layer
from .convolutional import normalize_data_format


class _Noise(Layer):
    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1 and type(self).__name__ != "GaussianNoise":
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float "
                             f"value between 0 and 1. Received: rate={rate}")
        self.rate, self.seed = float(rate), seed
        self.supports_masking = True
        # the layer's own source (see keras.backend.layer_rng)
        self._generator = backend.layer_rng(seed, type(self).__name__)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class SpatialDropout1D(_Noise):
    """Drops whole channels of ``(b, steps, c)`` inputs (one decision per example and
    channel), scaling the kept ones by ``1 / (1 - rate)``."""

    _config_keys = ("rate", "seed", "name", "dtype")

    rank = 1

    def __init__(self, rate, seed=None, data_format=None, **kwargs):
        super().__init__(rate, seed, **kwargs)
        self.data_format = normalize_data_format(data_format)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        shape = list(inputs.shape)
        keep = [0, 1] if self.data_format == "channels_first" else [0, len(shape) - 1]
        noise = [d if i in keep else 1 for i, d in enumerate(shape)]
        return nn.dropout(inputs, self.rate, noise_shape=noise, seed=self._generator)

    def get_config(self):
        config = super().get_config()
        # Keras 3.15's SpatialDropout layers take no `trainable` (nor 1-D a `data_format`)
        config.pop("trainable")
        # NOTE: Keras 3.15 writes a plain dtype name here
        config["dtype"] = getattr(self.dtype, "name", self.dtype)
        return config if self.rank == 1 else {**config, "data_format": self.data_format}


class SpatialDropout2D(SpatialDropout1D):
    """Drops whole feature maps of ``(b, h, w, c)`` inputs (one decision per example and
    channel), which regularises convnets better than pixelwise ``Dropout``."""

    rank = 2


class SpatialDropout3D(SpatialDropout1D):
    """Drops whole 3-D feature maps of ``(b, d, h, w, c)`` inputs (one decision per example
    and channel)."""

    rank = 3


class GaussianNoise(_Noise):
    """Adds zero-mean Gaussian noise of standard deviation ``stddev`` in training."""

    _config_keys = ("name", "trainable", "dtype", "stddev", "seed")

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(stddev, seed, **kwargs)
        self.stddev = self.rate

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        return inputs + rnd.normal(list(inputs.shape), 0.0, self.stddev, inputs.dtype,
                                   seed=self._generator)

    def get_config(self):
        config = super().get_config()
        config.pop("rate")
        return {**config, "stddev": self.stddev}


class GaussianDropout(_Noise):
    """Multiplies inputs by Gaussian noise of mean 1 and variance ``rate / (1 - rate)`` in
    training."""

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        std = math.sqrt(self.rate / (1.0 - self.rate))
        return inputs * rnd.normal(list(inputs.shape), 1.0, std, inputs.dtype,
                                   seed=self._generator)
