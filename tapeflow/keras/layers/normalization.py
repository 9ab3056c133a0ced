"""Normalisation layers: ``BatchNormalization`` (batch statistics in training, moving averages
in inference), ``LayerNormalization``, ``GroupNormalization``, ``RMSNormalization`` and
``UnitNormalization`` (per-example statistics)."""
from ...ops import array as A
from ...ops import math as M
from ...ops import nn
from ...ops import reduction as R
from ...tensor import TensorShape
from .. import constraints, initializers, regularizers
from .base import InputSpec, Layer
from .masking import keep_mask


def _axes(axis, rank, name):
    axes = [axis] if isinstance(axis, int) else list(axis)
    out = sorted(a + rank if a < 0 else a for a in axes)
    if any(a < 0 or a >= rank for a in out) or len(set(out)) != len(out):
        raise ValueError(f"Invalid axis for {name}: {axis} (input rank {rank}).")
    return out


class _Normalization(Layer):
    """Shared arguments, weights and configs of the two normalisation layers."""

    _promotes_int_inputs = True  # TF 2.21: an int32 tensor in, float32 out

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.axis = axis if isinstance(axis, int) else list(axis)
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        shape = TensorShape(input_shape).as_list()
        rank = len(shape)
        self._param_axes = _axes(self.axis, rank, type(self).__name__)
        param_shape = tuple(shape[a] for a in self._param_axes)
        if None in param_shape:
            raise ValueError(f"Axis {self.axis} of the input to {type(self).__name__} must be "
                             f"defined. Received: input_shape={tuple(shape)}")
        # NOTE: parameters broadcast against the input via this shape (1 on other axes).
        self._bshape = [shape[a] if a in self._param_axes else 1 for a in range(rank)]
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight(name="gamma", shape=param_shape,
                                         initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight(name="beta", shape=param_shape,
                                        initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)
        self._build_extra(param_shape)
        self.input_spec = InputSpec(ndim=rank, axes={a: shape[a] for a in self._param_axes})
        self.built = True

    def _build_extra(self, param_shape):
        pass

    def _b(self, t):
        """``t`` (parameter-shaped) reshaped to broadcast against the input."""
        if t is None or len(self._param_axes) == 1 and self._param_axes[0] == len(
                self._bshape) - 1:
            return t
        return A.reshape(t, self._bshape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis, "epsilon": self.epsilon, "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        })
        return config


class BatchNormalization(_Normalization):
    """Normalises each feature (``axis``) with the batch's mean and variance when
    ``training`` is true, and with moving averages of them otherwise.

    The moving statistics are non-trainable weights updated in training as
    ``moving = moving * momentum + batch_stat * (1 - momentum)``.
    NOTE: as in Keras 3, the batch variance is the biased one (no n/(n-1) correction), and a
    layer with ``trainable=False`` always runs in inference mode.
    """

    _config_keys = (
        "name", "trainable", "dtype", "axis", "momentum", "epsilon", "center", "scale",
        "beta_initializer", "gamma_initializer", "moving_mean_initializer",
        "moving_variance_initializer", "beta_regularizer", "gamma_regularizer", "beta_constraint",
        "gamma_constraint", "synchronized", "renorm", "renorm_clipping", "renorm_momentum")

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, synchronized=False, renorm=False,
                 renorm_clipping=None, renorm_momentum=0.99, **kwargs):
        # Keras 3 writes the batch-renormalization options with every BatchNormalization;
        # tapeflow accepts them at their defaults (renorm off) and refuses the rest
        if renorm or renorm_clipping is not None:
            raise ValueError("BatchNormalization(renorm=True) (batch renormalization, with "
                             "`renorm_clipping`) is not supported by tapeflow; only "
                             "renorm=False, renorm_clipping=None.")
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint,
                         **kwargs)
        self.momentum = float(momentum)
        self.synchronized = bool(synchronized)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def _build_extra(self, param_shape):
        self.moving_mean = self.add_weight(name="moving_mean", shape=param_shape,
                                           initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight(name="moving_variance", shape=param_shape,
                                               initializer=self.moving_variance_initializer,
                                               trainable=False)

    def call(self, inputs, training=None, mask=None):
        if training and self.trainable:
            reduce = [a for a in range(len(self._bshape)) if a not in self._param_axes]
            mean, variance = nn.moments(inputs, reduce)
            m = self.momentum
            for var, stat in ((self.moving_mean, mean), (self.moving_variance, variance)):
                var.assign(var * m + M.stop_gradient(M.cast(stat, var.dtype)) * (1.0 - m))
        else:
            mean, variance = self.moving_mean, self.moving_variance
        return nn.batch_normalization(inputs, self._b(mean), self._b(variance),
                                      self._b(self.beta), self._b(self.gamma), self.epsilon)

    def get_config(self):
        config = super().get_config()
        config.update({
            "momentum": self.momentum, "synchronized": self.synchronized,
            "renorm": False, "renorm_clipping": None, "renorm_momentum": 0.99,
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(
                self.moving_variance_initializer),
        })
        return config


class LayerNormalization(_Normalization):
    """Normalises each example over ``axis`` (default the last) with its own mean and
    variance, then applies ``gamma`` and ``beta``; the same in training and inference."""

    _config_keys = (
        "name", "trainable", "dtype", "axis", "epsilon", "center", "scale", "rms_scaling")

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint,
                         **kwargs)
        self.rms_scaling = bool(rms_scaling)

    def call(self, inputs):
        if self.rms_scaling:
            ms = R.reduce_mean(M.square(inputs), axis=self._param_axes, keepdims=True)
            out = inputs * M.rsqrt(ms + self.epsilon)
            return out * self._b(self.gamma) if self.gamma is not None else out
        mean, variance = nn.moments(inputs, self._param_axes, keepdims=True)
        return nn.batch_normalization(inputs, mean, variance, self._b(self.beta),
                                      self._b(self.gamma), self.epsilon)

    def get_config(self):
        return {**super().get_config(), "rms_scaling": self.rms_scaling}


class UnitNormalization(Layer):
    """Scales each example to unit L2 norm over ``axis`` (default the last)."""

    _promotes_int_inputs = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = list(axis)
        elif isinstance(axis, int):
            self.axis = axis
        else:
            raise TypeError("Invalid value for `axis` argument: expected an int or a list/tuple "
                            f"of ints. Received: axis={axis}")
        self.supports_masking = True

    def call(self, inputs):
        square_sum = R.reduce_sum(M.square(inputs), axis=self.axis, keepdims=True)
        # NOTE: the inverse norm is capped at 1e12 (a norm floor of 1e-12), as in Keras
        return keep_mask(inputs * M.minimum(M.rsqrt(square_sum), 1e12), inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class GroupNormalization(_Normalization):
    """Splits the channels (``axis``) into ``groups`` and normalises each example's group
    over it and the other non-batch axes, then applies per-channel ``gamma`` and ``beta``;
    ``groups=-1`` makes one group per channel (instance normalisation)."""

    _config_keys = ("name", "trainable", "dtype", "groups")

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint,
                         **kwargs)
        if not isinstance(axis, int):
            raise TypeError(f"GroupNormalization's `axis` must be an int. Received: {axis}")
        self.groups = int(groups)

    def build(self, input_shape):
        shape = TensorShape(input_shape).as_list()
        dim = shape[self.axis]
        if dim is None:
            raise ValueError(f"Axis {self.axis} of input tensor should have a defined "
                             f"dimension but the layer received an input with shape "
                             f"{tuple(shape)}.")
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError(f"Number of groups ({self.groups}) cannot be more than the number "
                             f"of channels ({dim}).")
        if dim % self.groups:
            raise ValueError(f"Number of groups ({self.groups}) must be a multiple of the "
                             f"number of channels ({dim}).")
        super().build(input_shape)

    def _grouped(self, shape):
        """``shape`` with the channel axis split into ``(groups, channels per group)``."""
        axis = self.axis % len(shape)
        return shape[:axis] + [self.groups, shape[axis] // self.groups] + shape[axis + 1:], axis

    def call(self, inputs):
        shape = list(inputs.shape)
        grouped, axis = self._grouped(shape)
        x = A.reshape(inputs, [-1] + grouped[1:])
        reduce = [a for a in range(1, len(grouped)) if a != axis]
        mean, variance = nn.moments(x, reduce, keepdims=True)
        inv = M.rsqrt(variance + self.epsilon)
        bshape = [1] * len(grouped)
        bshape[axis], bshape[axis + 1] = grouped[axis], grouped[axis + 1]
        if self.gamma is not None:
            inv = inv * A.reshape(self.gamma, bshape)
        shift = -mean * inv
        if self.beta is not None:
            shift = shift + A.reshape(self.beta, bshape)
        return keep_mask(A.reshape(x * inv + shift, [-1] + shape[1:]), inputs)

    def get_config(self):
        return {**super().get_config(), "groups": self.groups}


class RMSNormalization(Layer):
    """Divides each example by its root mean square over ``axis`` and multiplies by a
    learned ``scale``: ``x * rsqrt(mean(x**2) + epsilon) * scale``."""

    _promotes_int_inputs = True

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis, self.epsilon = axis, float(epsilon)
        self.supports_masking = True

    def build(self, input_shape):
        shape = TensorShape(input_shape).as_list()
        if isinstance(self.axis, (list, tuple)):
            self.axis = sorted(self.axis)
            param = tuple(shape[a] for a in self.axis)
        else:
            param = (shape[self.axis],)
            self.axis = [self.axis]
        self.scale = self.add_weight(name="scale", shape=param, initializer="ones")
        self.built = True

    def call(self, inputs):
        ms = R.reduce_mean(M.square(inputs), axis=self.axis, keepdims=True)
        return keep_mask(inputs * M.rsqrt(ms + self.epsilon) * self.scale, inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        # NOTE: as in Keras, a built layer writes its axis as a list
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
