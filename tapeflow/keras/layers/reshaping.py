"""Shape layers: ``Flatten``, ``Reshape``, ``Permute`` and ``RepeatVector`` (the batch axis
is kept)."""
from ...backend import host as np
from ...ops import array as A
from ...ops import indexing as P
from .base import Layer
from .convolutional import normalize_data_format


class Flatten(Layer):
    """Collapses all but the batch axis: ``(b, 28, 28)`` to ``(b, 784)``."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format)  # None: the global format

    def call(self, inputs):
        shape = inputs._v.shape
        if len(shape) == 2:
            return inputs
        if len(shape) < 2:
            return A.reshape(inputs, (-1, 1))
        if self.data_format == "channels_first":  # as Keras: channels moved last first
            inputs = A.transpose(inputs, (0,) + tuple(range(2, len(shape))) + (1,))
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


class Permute(Layer):
    """Reorders the non-batch axes: ``dims`` numbers them from 1, e.g. ``(2, 1)`` swaps the
    two axes of ``(b, steps, features)`` inputs."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError("Invalid permutation argument `dims` for Permute Layer. The set of "
                             "indices in `dims` must be consecutive and start from 1. "
                             f"Received dims={dims}")

    def call(self, inputs):
        return A.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        return (shape[0],) + tuple(shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeats ``(b, features)`` inputs ``n`` times: ``(b, n, features)``."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"Expected an integer value for `n`, got {type(n)}.")
        self.n = n

    def call(self, inputs):
        if inputs.ndim != 2:
            raise ValueError(f"Input of RepeatVector must be 2-D (batch, features). Received: "
                             f"input.shape={tuple(inputs.shape)}")
        return P.tile(A.expand_dims(inputs, 1), [1, self.n, 1])

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        return (shape[0], self.n, shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}
