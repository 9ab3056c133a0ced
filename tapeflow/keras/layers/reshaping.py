"""Shape layers: ``Flatten`` and ``Reshape`` (the batch axis is kept)."""
from ...backend import host as np
from ...ops import array as A
from .base import Layer


class Flatten(Layer):
    """Collapses all but the batch axis: ``(b, 28, 28)`` to ``(b, 784)``."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format

    def call(self, inputs):
        shape = inputs._v.shape
        if len(shape) == 2:
            return inputs
        if len(shape) < 2:
            return A.reshape(inputs, (-1, 1))
        return A.reshape(inputs, (shape[0], -1))

    def compute_output_shape(self, input_shape):
        rest = tuple(input_shape)[1:]
        n = None if any(d is None for d in rest) else int(np.prod(rest)) if rest else 1
        return (tuple(input_shape)[0], n)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each example to ``target_shape`` (one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1:
            raise ValueError(f"There must be at most one unknown dimension (-1) in "
                             f"target_shape. Received: target_shape={self.target_shape}")

    def call(self, inputs):
        return A.reshape(inputs, (inputs._v.shape[0],) + self.target_shape)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        known = [d for d in self.target_shape if d != -1]
        if -1 in self.target_shape and all(d is not None for d in shape[1:]):
            total = int(np.prod(shape[1:]))
            fill = total // int(np.prod(known)) if known else total
            out = tuple(fill if d == -1 else d for d in self.target_shape)
        else:
            out = tuple(None if d == -1 else d for d in self.target_shape)
        return (shape[0],) + out

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}
