"""Convolution layers: ``Conv1D/2D/3D``, their transposes ``Conv1DTranspose/2D/3D``,
``DepthwiseConv1D/2D`` and ``SeparableConv1D/2D`` on top of ``tf.nn``'s convolution ops."""
from ...ops import array as A
from ...ops import conv as C
from ...ops import conv3d as C3
from ...ops import indexing as P
from ...ops import nn
from ...tensor import TensorShape
from .. import activations
from .base import (
    InputSpec,
    Layer,
    kernel_bias_config,
    set_kernel_bias,
    set_weight_options,
    weight_options_config,
)


def normalize_tuple(value, n, name, allow_zero=False):
    """``value`` (an int or ``n`` ints) as a tuple of ``n`` ints, checked positive."""
    vals = (int(value),) * n if isinstance(value, int) else tuple(int(v) for v in value)
    if len(vals) != n or any(v < (0 if allow_zero else 1) for v in vals):
        want = "non-negative" if allow_zero else "positive"
        raise ValueError(f"The `{name}` argument must be a tuple of {n} {want} integers. "
                         f"Received: {name}={value}")
    return vals


def normalize_data_format(value):
    """``value`` lower-cased and checked; None: the ``keras.config.image_data_format()``
    of now (as Keras, a layer created with none keeps the setting of its creation)."""
    if value is None:
        from .. import _legacy_backend  # deferred: it holds the image_data_format setting

        return _legacy_backend.image_data_format()
    fmt = str(value).lower()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError("The `data_format` argument must be one of {'channels_first', "
                         f"'channels_last'}}. Received: data_format={fmt}")
    return fmt


def normalize_padding(value, allowed=("valid", "same")):
    pad = str(value).lower()
    if pad not in allowed:
        raise ValueError(f"The `padding` argument must be one of {list(allowed)}. Received: "
                         f"padding={value}")
    return pad


def conv_output_length(n, k, padding, stride, dilation=1):
    """Keras's output length of a convolution or pooling window along one axis."""
    if n is None:
        return None
    eff = (k - 1) * dilation + 1
    if padding == "same":
        return -(-n // stride)
    if padding == "causal":
        return -(-n // stride)  # NOTE: the input is left-padded by eff - 1 first
    return max(0, (n - eff) // stride + 1)


def deconv_output_length(n, k, padding, output_padding, stride, dilation=1):
    """Keras's output length of a transposed convolution along one axis."""
    if n is None:
        return None
    k = k + (k - 1) * (dilation - 1)
    if output_padding is None:
        return n * stride if padding == "same" else n * stride + max(k - stride, 0)
    pad = k // 2 if padding == "same" else 0
    return (n - 1) * stride + k - 2 * pad + output_padding


def _split_shape(shape, data_format):
    """``(channels, spatial dims)`` of a full input shape."""
    shape = tuple(shape)
    if data_format == "channels_first":
        return shape[1], shape[2:]
    return shape[-1], shape[1:-1]


def _join_shape(batch, channels, spatial, data_format):
    if data_format == "channels_first":
        return (batch, channels) + tuple(spatial)
    return (batch,) + tuple(spatial) + (channels,)


def _strides4(strides, data_format):
    return (1, 1) + strides if data_format == "channels_first" else (1,) + strides + (1,)


def _op_format(rank, data_format):
    if data_format == "channels_first":
        return ("NCW", "NCHW", "NCDHW")[rank - 1]
    return ("NWC", "NHWC", "NDHWC")[rank - 1]


def _expand_1d(inputs, data_format):
    """A 1-D input ``(b, steps, c)`` (or ``(b, c, steps)``) as a 2-D one of one row."""
    return A.expand_dims(inputs, 2 if data_format == "channels_first" else 1)


def _squeeze_1d(out, data_format):
    return A.squeeze(out, [2 if data_format == "channels_first" else 1])


class BaseConv(Layer):
    """The shared contract of the convolution layers: argument checks, kernel and bias
    weights, output shapes and configs. Subclasses give ``rank`` and ``_convolve``."""

    rank = 2
    _causal = True  # whether a rank-1 layer takes padding='causal' (Conv1D's only)

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        r = self.rank
        if filters is not None and (int(filters) != filters or int(filters) <= 0):
            raise ValueError("Invalid value for argument `filters`. Expected a strictly "
                             f"positive value. Received filters={filters}.")
        self.filters = None if filters is None else int(filters)
        self.groups = int(groups)
        if self.groups <= 0 or (self.filters and self.filters % self.groups):
            raise ValueError("The number of filters must be evenly divisible by the number of "
                             f"groups. Received: groups={groups}, filters={filters}.")
        self.kernel_size = normalize_tuple(kernel_size, r, "kernel_size")
        self.strides = normalize_tuple(strides, r, "strides")
        self.dilation_rate = normalize_tuple(dilation_rate, r, "dilation_rate")
        self.padding = normalize_padding(
            padding, ("valid", "same", "causal") if r == 1 and self._causal
            else ("valid", "same"))
        self.data_format = normalize_data_format(data_format)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError("`strides > 1` not supported in conjunction with `dilation_rate > "
                             f"1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        set_kernel_bias(self, kernel_initializer, bias_initializer, kernel_regularizer,
                        bias_regularizer, kernel_constraint, bias_constraint)
        self.input_spec = InputSpec(min_ndim=r + 2)

    def _in_channels(self, input_shape):
        channels, _ = _split_shape(TensorShape(input_shape).as_list(), self.data_format)
        if channels is None:
            raise ValueError(f"The channel dimension of the inputs to {type(self).__name__} "
                             f"should be defined. Received: input_shape={input_shape}")
        return channels

    def _kernel_shape(self, channels):
        if channels % self.groups:
            raise ValueError("The number of input channels must be evenly divisible by the "
                             f"number of groups. Received groups={self.groups}, but the input "
                             f"has {channels} channels.")
        return self.kernel_size + (channels // self.groups, self.filters)

    def _out_channels(self, channels):
        return self.filters

    def build(self, input_shape):
        channels = self._in_channels(input_shape)
        self._build_kernels(channels)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self._out_channels(channels),),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        axis = 1 if self.data_format == "channels_first" else -1
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: channels})
        self.built = True

    def _build_kernels(self, channels):
        self.kernel = self.add_weight(name="kernel", shape=self._kernel_shape(channels),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)

    def call(self, inputs):
        act = self.activation
        if self._fusable(act):
            # NOTE: one op for convolution, bias and ReLU: the bias and the ReLU run on each
            # output chunk while it is in cache (see ops/conv.py).
            return C.conv2d_bias_relu(inputs, self.kernel, self.bias, self.strides,
                                      self.padding.upper(), self.dilation_rate,
                                      relu=act is activations.relu)
        out = self._convolve(inputs)
        if self.bias is not None:
            out = nn.bias_add(out, self.bias, data_format=_op_format(self.rank,
                                                                     self.data_format))
        act = self.activation
        return out if act is activations.linear else act(out)

    def _fusable(self, act):
        return (self.rank == 2 and self.bias is not None and self.data_format == "channels_last"
                and type(self)._convolve is BaseConv._convolve
                and (act is activations.relu or act is activations.linear)
                and self.kernel.dtype.name in ("float32", "float64"))

    def _convolve(self, inputs):
        fmt = _op_format(self.rank, self.data_format)
        pad = self.padding.upper()
        if self.padding == "causal":
            left = (self.kernel_size[0] - 1) * self.dilation_rate[0]
            pairs = [[0, 0], [0, 0], [left, 0]] if fmt == "NCW" else [[0, 0], [left, 0], [0, 0]]
            inputs, pad = P.pad(inputs, pairs), "VALID"
        if self.rank == 1:
            return C.conv1d(inputs, self.kernel, self.strides[0], pad, fmt,
                            self.dilation_rate[0])
        if self.rank == 3:
            return C3._conv3d(inputs, self.kernel, self.strides, pad, fmt, self.dilation_rate)
        return C.conv2d(inputs, self.kernel, self.strides, pad, fmt, self.dilation_rate)

    def _spatial_out(self, spatial):
        return [conv_output_length(n, k, self.padding, s, d) for n, k, s, d in
                zip(spatial, self.kernel_size, self.strides, self.dilation_rate)]

    def compute_output_shape(self, input_shape):
        shape = tuple(TensorShape(input_shape).as_list())
        channels, spatial = _split_shape(shape, self.data_format)
        return _join_shape(shape[0], self._out_channels(channels), self._spatial_out(spatial),
                           self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters, "kernel_size": self.kernel_size, "strides": self.strides,
            "padding": self.padding, "data_format": self.data_format,
            "dilation_rate": self.dilation_rate, "groups": self.groups,
            "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
            **kernel_bias_config(self),
        })
        return config


class Conv1D(BaseConv):
    """1-D convolution over ``(batch, steps, channels)``; ``padding='causal'`` pads on the
    left only, so output step ``t`` sees inputs up to ``t``."""

    rank = 1


class Conv2D(BaseConv):
    """2-D convolution over ``(batch, rows, cols, channels)`` (or channels first)."""

    rank = 2


class Conv3D(BaseConv):
    """3-D convolution over ``(batch, depth, rows, cols, channels)`` (or channels first).

    NOTE: dilation rates above 1 are computed (TF's CPU kernel refuses them).
    """

    rank = 3


class Conv2DTranspose(BaseConv):
    """The transpose of ``Conv2D`` (a "deconvolution"): upsamples by ``strides``."""

    _config_keys = (
        "name", "trainable", "dtype", "filters", "kernel_size", "strides", "padding",
        "output_padding", "data_format", "dilation_rate", "activation", "use_bias",
        "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
        "activity_regularizer", "kernel_constraint", "bias_constraint")

    _causal = False

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, **kwargs)
        self.output_padding = None if output_padding is None else normalize_tuple(
            output_padding, self.rank, "output_padding", allow_zero=True)
        if self.output_padding is not None and any(
                p >= s for p, s in zip(self.output_padding, self.strides)):
            raise ValueError(f"Strides {self.strides} must be greater than output padding "
                             f"{self.output_padding}.")

    def _kernel_shape(self, channels):
        return self.kernel_size + (self.filters, channels)

    def _spatial_out(self, spatial):
        pads = self.output_padding or (None,) * self.rank
        return [deconv_output_length(n, k, self.padding, p, s, d) for n, k, p, s, d in
                zip(spatial, self.kernel_size, pads, self.strides, self.dilation_rate)]

    def _convolve(self, inputs):
        shape = list(inputs.shape)
        _, spatial = _split_shape(shape, self.data_format)
        out = _join_shape(shape[0], self.filters, self._spatial_out(spatial), self.data_format)
        op = {1: C.conv1d_transpose, 2: C.conv2d_transpose, 3: C3.conv3d_transpose}[self.rank]
        return op(inputs, self.kernel, out, self.strides, self.padding.upper(),
                  _op_format(self.rank, self.data_format), self.dilation_rate)

    def get_config(self):
        config = super().get_config()
        config.pop("groups")
        return {**config, "output_padding": self.output_padding}


class Conv1DTranspose(Conv2DTranspose):
    """The transpose of ``Conv1D``: upsamples ``(batch, steps, channels)`` by ``strides``."""

    rank = 1


class Conv3DTranspose(Conv2DTranspose):
    """The transpose of ``Conv3D``: upsamples the three spatial axes by ``strides``."""

    rank = 3


class DepthwiseConv2D(BaseConv):
    """Convolves each input channel with its own ``depth_multiplier`` filters."""

    _config_keys = (
        "name", "trainable", "dtype", "depth_multiplier", "kernel_size", "strides", "padding",
        "data_format", "dilation_rate", "activation", "use_bias", "depthwise_initializer",
        "bias_initializer", "depthwise_regularizer", "bias_regularizer", "activity_regularizer",
        "depthwise_constraint", "bias_constraint")

    _causal = False

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(None, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=depthwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)
        self.depth_multiplier = int(depth_multiplier)

    def _kernel_shape(self, channels):
        return self.kernel_size + (channels, self.depth_multiplier)

    def _out_channels(self, channels):
        return None if channels is None else channels * self.depth_multiplier

    def _convolve(self, inputs):
        if self.rank == 1:
            fmt = self.data_format
            out = C.depthwise_conv2d(
                _expand_1d(inputs, fmt), A.expand_dims(self.kernel, 0),
                _strides4((1,) + self.strides, fmt), self.padding.upper(), _op_format(2, fmt),
                (1,) + self.dilation_rate)
            return _squeeze_1d(out, fmt)
        return C.depthwise_conv2d(inputs, self.kernel, _strides4(self.strides, self.data_format),
                                  self.padding.upper(), _op_format(2, self.data_format),
                                  self.dilation_rate)

    def get_config(self):
        config = super().get_config()
        for key in ("filters", "groups"):
            config.pop(key)
        for old, new in (("kernel", "depthwise"),):
            for part in ("initializer", "regularizer", "constraint"):
                config[f"{new}_{part}"] = config.pop(f"{old}_{part}")
        return {**config, "depth_multiplier": self.depth_multiplier}


class SeparableConv2D(BaseConv):
    """A depthwise convolution followed by a pointwise (1x1) one mixing channels."""

    _config_keys = (
        "name", "trainable", "dtype", "depth_multiplier", "filters", "kernel_size", "strides",
        "padding", "data_format", "dilation_rate", "activation", "use_bias",
        "depthwise_initializer", "pointwise_initializer", "bias_initializer",
        "depthwise_regularizer", "pointwise_regularizer", "bias_regularizer",
        "activity_regularizer", "depthwise_constraint", "pointwise_constraint", "bias_constraint")

    _causal = False

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        self.depth_multiplier = int(depth_multiplier)
        set_weight_options(self, "depthwise", depthwise_initializer, depthwise_regularizer,
                           depthwise_constraint)
        set_weight_options(self, "pointwise", pointwise_initializer, pointwise_regularizer,
                           pointwise_constraint)

    def _build_kernels(self, channels):
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel", shape=(1,) * self.rank + (channels * self.depth_multiplier,
                                                               self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)

    def _convolve(self, inputs):
        if self.rank == 1:
            fmt = self.data_format
            out = C.separable_conv2d(
                _expand_1d(inputs, fmt), A.expand_dims(self.depthwise_kernel, 0),
                A.expand_dims(self.pointwise_kernel, 0), _strides4((1,) + self.strides, fmt),
                self.padding.upper(), _op_format(2, fmt), (1,) + self.dilation_rate)
            return _squeeze_1d(out, fmt)
        return C.separable_conv2d(inputs, self.depthwise_kernel, self.pointwise_kernel,
                                  _strides4(self.strides, self.data_format), self.padding.upper(),
                                  _op_format(2, self.data_format), self.dilation_rate)

    def get_config(self):
        config = super().get_config()
        for key in ("groups", "kernel_initializer", "kernel_regularizer", "kernel_constraint"):
            config.pop(key)
        return {**config, **weight_options_config(self, ("depthwise", "pointwise")),
                "depth_multiplier": self.depth_multiplier}


class DepthwiseConv1D(DepthwiseConv2D):
    """Convolves each channel of ``(batch, steps, channels)`` with its own
    ``depth_multiplier`` filters."""

    rank = 1


class SeparableConv1D(SeparableConv2D):
    """A 1-D depthwise convolution followed by a pointwise one mixing channels."""

    rank = 1


Convolution1D, Convolution2D, Convolution2DTranspose = Conv1D, Conv2D, Conv2DTranspose
Convolution3D, Convolution1DTranspose, Convolution3DTranspose = (Conv3D, Conv1DTranspose,
                                                                 Conv3DTranspose)
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
