"""``Dropout``: zeroes a fraction of inputs during training and rescales the rest."""
from ...ops.nn import dropout
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
