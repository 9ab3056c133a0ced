"""``ConvLSTM1D/2D/3D``: LSTMs whose input and recurrent transformations are convolutions,
over ``(batch, time, *spatial, channels)`` (or channels first) sequences of feature maps."""
from ...ops import array as A
from ...ops import conv as C
from ...ops import conv3d as C3
from ...ops import indexing as P
from ...tensor import TensorShape
from .. import activations
from .base import InputSpec
from .convolutional import (
    conv_output_length,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
)
from .recurrent import _Cell, _CellRNN, _lstm_bias


class ConvLSTM2DCell(_Cell):
    """One step of ``ConvLSTM2D``: Keras's LSTM gates (input, forget, cell, output) computed
    by a convolution of the input (``strides``, ``padding``, ``dilation_rate``) plus a
    'same' convolution of the previous output, both with ``4 * filters`` output channels."""

    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 unit_forget_bias=True, **kwargs):
        super().__init__(int(filters), activation, **kwargs)
        self.filters = int(filters)
        r = self.rank
        self.kernel_size = normalize_tuple(kernel_size, r, "kernel_size")
        self.strides = normalize_tuple(strides, r, "strides")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)
        self.dilation_rate = normalize_tuple(dilation_rate, r, "dilation_rate")
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self._out_shape = None  # (rows, cols, filters) or (filters, rows, cols), at build

    @property
    def state_size(self):
        return [TensorShape(self._out_shape)] * 2 if self._out_shape else [-1, -1]

    @property
    def output_size(self):
        return TensorShape(self._out_shape) if self._out_shape else -1

    def output_shape_for(self, input_shape):
        """The per-sample output shape for a per-step input shape ``(batch, ...)``."""
        last = self.data_format == "channels_last"
        spatial = input_shape[1:1 + self.rank] if last else input_shape[2:2 + self.rank]
        out = [conv_output_length(n, k, self.padding, s, d) for n, k, s, d in
               zip(spatial, self.kernel_size, self.strides, self.dilation_rate)]
        return (*out, self.filters) if last else (self.filters, *out)

    def build(self, input_shape):
        shape = tuple(TensorShape(input_shape).as_list())  # one step: (batch, ...)
        channels = shape[-1] if self.data_format == "channels_last" else shape[1]
        if channels is None:
            raise ValueError("The channel dimension of the inputs should be defined. "
                             f"Found None. Full input shape received: {shape}")
        self._out_shape = self.output_shape_for(shape)
        f = self.filters
        self.kernel = self._weight("kernel", self.kernel_size + (channels, 4 * f), "kernel")
        self.recurrent_kernel = self._weight("recurrent_kernel", self.kernel_size + (f, 4 * f),
                                             "recurrent")
        self.bias = _lstm_bias(self) if self.use_bias else None
        self.built = True

    def _conv(self, x, w, strides, padding, dilations):
        last = self.data_format == "channels_last"
        if self.rank == 1:
            return C.conv1d(x, w, strides[0], padding.upper(), "NWC" if last else "NCW",
                            dilations[0])
        if self.rank == 3:
            return C3._conv3d(x, w, tuple(strides), padding.upper(),
                              "NDHWC" if last else "NCDHW", tuple(dilations))
        fmt = "NHWC" if last else "NCHW"
        return C.conv2d(x, w, strides, padding.upper(), data_format=fmt, dilations=dilations)

    def _split(self, z):
        axis = -1 if self.data_format == "channels_last" else 1
        return P.split(z, 4, axis=axis)

    def project(self, x, training=None):
        """The input convolution (with the bias) of one step's ``x``."""
        dp, _ = self._masks(x, None, training)
        if dp is not None:
            x = x * dp
        z = self._conv(x, self.kernel, self.strides, self.padding, self.dilation_rate)
        if self.bias is None:
            return z
        ones = [1] * self.rank
        shape = [1] + ones + [-1] if self.data_format == "channels_last" else [1, -1] + ones
        return z + A.reshape(self.bias, shape)

    def step(self, xk, states, training=None):
        h, c = states
        ones = (1,) * self.rank
        z = xk + self._conv(self._h(h, training), self.recurrent_kernel, ones, "same", ones)
        zi, zf, zc, zo = self._split(z)
        ra = self.recurrent_activation
        c = ra(zf) * c + ra(zi) * self.activation(zc)
        h = ra(zo) * self.activation(c)
        return h, [h, c]

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate,
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("units", None)
        return cls(**config)


class ConvLSTM2D(_CellRNN):
    """A convolutional LSTM over ``(batch, time, rows, cols, channels)`` inputs (Keras's
    arguments and defaults); returns the last output ``(batch, rows', cols', filters)``, or
    every step's with ``return_sequences``, then the states with ``return_state``."""

    _config_drop = ()
    _config_keys = (
        "name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards",
        "stateful", "unroll", "zero_output_for_mask", "filters", "kernel_size", "strides",
        "padding", "data_format", "dilation_rate", "activation", "recurrent_activation",
        "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer",
        "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
        "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint",
        "dropout", "recurrent_dropout", "seed")

    cell_class = ConvLSTM2DCell

    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(filters, kernel_size=kernel_size, **kwargs)
        self.input_spec = InputSpec(ndim=self.cell_class.rank + 3)

    def build(self, input_shape):
        shape = tuple(TensorShape(input_shape).as_list())
        self.input_spec.check(self, 0, shape)  # NOTE: before the cell builds on a wrong shape
        super().build(shape)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        out = (shape[0],) + tuple(self.cell.output_shape_for((shape[0],) + shape[2:]))
        seq = out[:1] + (shape[1],) + out[1:] if self.return_sequences else out
        return [seq, out, out] if self.return_state else seq

    def get_config(self):
        config = super().get_config()
        config.pop("units", None)  # ``filters`` instead
        return config


class ConvLSTM1DCell(ConvLSTM2DCell):
    """One step of ``ConvLSTM1D`` (1-D convolutions)."""

    rank = 1


class ConvLSTM3DCell(ConvLSTM2DCell):
    """One step of ``ConvLSTM3D`` (3-D convolutions)."""

    rank = 3


class ConvLSTM1D(ConvLSTM2D):
    """A convolutional LSTM over ``(batch, time, steps, channels)`` inputs."""

    cell_class = ConvLSTM1DCell


class ConvLSTM3D(ConvLSTM2D):
    """A convolutional LSTM over ``(batch, time, depth, rows, cols, channels)`` inputs."""

    cell_class = ConvLSTM3DCell
