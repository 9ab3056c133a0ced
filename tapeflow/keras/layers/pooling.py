"""Pooling layers: windowed ``MaxPooling``/``AveragePooling`` (1-D to 3-D), their global
counterparts, which reduce over all spatial axes, and the adaptive ones, which pool to a fixed
output size."""
from ...ops import array as A
from ...ops import math as M
from ...ops import reduction as R
from ...ops.conv3d import avg_pool3d, max_pool3d
from ...ops.pooling import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from ...tensor import TensorShape
from .base import InputSpec, Layer
from .convolutional import (
    _join_shape,
    _op_format,
    _split_shape,
    conv_output_length,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
)
from .masking import get_mask


class _Pooling(Layer):
    rank = 2
    _op = None

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size")
        self.strides = self.pool_size if strides is None else normalize_tuple(
            strides, self.rank, "strides")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        return type(self)._op(inputs, self.pool_size, self.strides, self.padding.upper(),
                              _op_format(self.rank, self.data_format))

    def compute_output_shape(self, input_shape):
        shape = tuple(TensorShape(input_shape).as_list())
        channels, spatial = _split_shape(shape, self.data_format)
        out = [conv_output_length(n, k, self.padding, s) for n, k, s in
               zip(spatial, self.pool_size, self.strides)]
        return _join_shape(shape[0], channels, out, self.data_format)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


class MaxPooling1D(_Pooling):
    """Maximum over windows of ``pool_size`` steps."""

    rank, _op = 1, max_pool1d


class MaxPooling2D(_Pooling):
    """Maximum over ``pool_size`` windows of rows and columns."""

    rank, _op = 2, max_pool2d


class MaxPooling3D(_Pooling):
    """Maximum over ``pool_size`` windows of the three spatial axes."""

    rank, _op = 3, max_pool3d


class AveragePooling3D(_Pooling):
    """Mean over ``pool_size`` windows of the three spatial axes ('same' windows average real
    elements only)."""

    rank, _op = 3, avg_pool3d

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        # as Keras: the average poolings have no default window (the max poolings take 2)
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_Pooling):
    """Mean over windows of ``pool_size`` steps ('same' windows average real elements only)."""

    rank, _op = 1, avg_pool1d

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        # as Keras: the average poolings have no default window (the max poolings take 2)
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(_Pooling):
    """Mean over ``pool_size`` windows ('same' windows average real elements only)."""

    rank, _op = 2, avg_pool2d

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        # as Keras: the average poolings have no default window (the max poolings take 2)
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class _GlobalPooling(Layer):
    rank = 2
    _reduce = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _axes(self):
        first = 2 if self.data_format == "channels_first" else 1
        return list(range(first, first + self.rank))

    def call(self, inputs):
        return type(self)._reduce(inputs, axis=self._axes(), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        shape = tuple(TensorShape(input_shape).as_list())
        channels, _ = _split_shape(shape, self.data_format)
        if self.keepdims:
            return _join_shape(shape[0], channels, (1,) * self.rank, self.data_format)
        return (shape[0], channels)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format,
                "keepdims": self.keepdims}


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over the steps axis: ``(b, steps, c)`` to ``(b, c)``.

    A mask (``mask=`` or one carried from ``Embedding(mask_zero=True)``) averages the
    unmasked steps only, as in Keras.
    """

    _promotes_int_inputs = True  # TF 2.21: an int32 tensor in, float32 out

    rank, _reduce = 1, R.reduce_mean

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.supports_masking = True  # it averages the unmasked steps (the output has none)

    def call(self, inputs, mask=None):
        if mask is None:
            mask = get_mask(inputs)
        if mask is None:
            return super().call(inputs)
        first = self.data_format == "channels_first"
        m = A.expand_dims(M.cast(mask, inputs.dtype), 1 if first else 2)
        axis = 2 if first else 1
        total = R.reduce_sum(inputs * m, axis=axis, keepdims=self.keepdims)
        return total / R.reduce_sum(m, axis=axis, keepdims=self.keepdims)


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over rows and columns: ``(b, h, w, c)`` to ``(b, c)``."""

    _promotes_int_inputs = True  # TF 2.21: an int32 tensor in, float32 out

    rank, _reduce = 2, R.reduce_mean


class GlobalMaxPooling1D(_GlobalPooling):
    """Maximum over the steps axis: ``(b, steps, c)`` to ``(b, c)``."""

    rank, _reduce = 1, R.reduce_max


class GlobalMaxPooling2D(_GlobalPooling):
    """Maximum over rows and columns: ``(b, h, w, c)`` to ``(b, c)``."""

    rank, _reduce = 2, R.reduce_max


class GlobalAveragePooling3D(_GlobalPooling):
    """Mean over the three spatial axes: ``(b, d, h, w, c)`` to ``(b, c)``."""

    _promotes_int_inputs = True

    rank, _reduce = 3, R.reduce_mean


class GlobalMaxPooling3D(_GlobalPooling):
    """Maximum over the three spatial axes: ``(b, d, h, w, c)`` to ``(b, c)``."""

    rank, _reduce = 3, R.reduce_max


def _adaptive_windows(n, out):
    """``[(start, end)]`` of the ``out`` windows adaptive pooling reads from ``n`` steps:
    window ``i`` covers ``floor(i n / out)`` up to ``ceil((i + 1) n / out)``."""
    return [(min(i * n // out, n - 1), min(-(-(i + 1) * n // out), n)) for i in range(out)]


class _AdaptivePooling(Layer):
    rank = 2
    _reduce = None

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.output_size = normalize_tuple(output_size, self.rank, "output_size")
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        first = 2 if self.data_format == "channels_first" else 1
        reduce = type(self)._reduce
        for i, out in enumerate(self.output_size):
            axis = first + i
            n = inputs.shape[axis]
            if n is None:
                raise ValueError("Input length must be statically known for adaptive pooling")
            index = [slice(None)] * inputs.ndim
            parts = []
            for start, end in _adaptive_windows(n, out):
                index[axis] = slice(start, end)
                parts.append(reduce(inputs[tuple(index)], axis=axis, keepdims=True))
            inputs = A.concat(parts, axis=axis)
        return inputs

    def compute_output_shape(self, input_shape):
        shape = tuple(TensorShape(input_shape).as_list())
        channels, _ = _split_shape(shape, self.data_format)
        return _join_shape(shape[0], channels, self.output_size, self.data_format)

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size,
                "data_format": self.data_format}


class AdaptiveAveragePooling1D(_AdaptivePooling):
    """Mean over ``output_size`` nearly equal windows of the steps axis."""

    rank, _reduce = 1, R.reduce_mean


class AdaptiveAveragePooling2D(_AdaptivePooling):
    """Mean over an ``output_size`` grid of nearly equal windows of rows and columns."""

    rank, _reduce = 2, R.reduce_mean


class AdaptiveAveragePooling3D(_AdaptivePooling):
    """Mean over an ``output_size`` grid of nearly equal windows of the three spatial axes."""

    rank, _reduce = 3, R.reduce_mean


class AdaptiveMaxPooling1D(_AdaptivePooling):
    """Maximum over ``output_size`` nearly equal windows of the steps axis."""

    rank, _reduce = 1, R.reduce_max


class AdaptiveMaxPooling2D(_AdaptivePooling):
    """Maximum over an ``output_size`` grid of nearly equal windows of rows and columns."""

    rank, _reduce = 2, R.reduce_max


class AdaptiveMaxPooling3D(_AdaptivePooling):
    """Maximum over an ``output_size`` grid of nearly equal windows of the three spatial
    axes."""

    rank, _reduce = 3, R.reduce_max


MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = (MaxPooling1D, MaxPooling2D, AveragePooling1D,
                                              AveragePooling2D)
MaxPool3D, AvgPool3D = MaxPooling3D, AveragePooling3D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
GlobalAvgPool3D, GlobalMaxPool3D = GlobalAveragePooling3D, GlobalMaxPooling3D
