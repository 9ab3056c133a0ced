"""Spatial reshaping of feature maps: ``ZeroPadding1D/2D/3D``, ``Cropping1D/2D/3D`` and
``UpSampling1D/2D/3D`` (nearest neighbour)."""
from ...ops import indexing as P
from ...tensor import TensorShape
from .base import Layer
from .convolutional import _join_shape, _split_shape, normalize_data_format


def _pairs(value, rank, name):
    """``((lo, hi),) * rank`` from an int, ``rank`` ints, or ``rank`` pairs."""
    if isinstance(value, int):
        return ((value, value),) * rank
    value = tuple(value)
    if rank == 1 and len(value) == 2 and all(isinstance(v, int) for v in value):
        return (tuple(value),)
    if len(value) != rank:
        raise ValueError(f"`{name}` should have {rank} elements. Received: {name}={value}")
    out = tuple((v, v) if isinstance(v, int) else tuple(int(u) for u in v) for v in value)
    if any(len(p) != 2 or min(p) < 0 for p in out):
        raise ValueError(f"`{name}` should be non-negative pairs. Received: {name}={value}")
    return out


def _size(n, delta):
    return None if n is None else n + delta


class _Spatial(Layer):
    rank = 2

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format)

    def _axes(self):
        first = 2 if self.data_format == "channels_first" else 1
        return list(range(first, first + self.rank))

    def compute_output_shape(self, input_shape):
        shape = tuple(TensorShape(input_shape).as_list())
        channels, spatial = _split_shape(shape, self.data_format)
        return _join_shape(shape[0], channels, self._out(spatial), self.data_format)

    def get_config(self):
        config = super().get_config()
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


class ZeroPadding2D(_Spatial):
    """Adds rows and columns of zeros: ``padding`` is an int, ``(rows, cols)`` or
    ``((top, bottom), (left, right))``."""

    _config_keys = ("name", "trainable", "dtype", "padding", "data_format")

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.padding = _pairs(padding, self.rank, "padding")

    def call(self, inputs):
        pads = [[0, 0]] * inputs.ndim
        for axis, p in zip(self._axes(), self.padding):
            pads[axis] = list(p)
        return P.pad(inputs, pads)

    def _out(self, spatial):
        return [_size(n, lo + hi) for n, (lo, hi) in zip(spatial, self.padding)]

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


class ZeroPadding1D(ZeroPadding2D):
    """Adds zero steps at the start and end of ``(b, steps, c)`` inputs."""

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        # Keras 3.15 writes data_format (always 'channels_last' for this layer's use)
        if data_format not in (None, "channels_last"):
            raise ValueError("tapeflow's ZeroPadding1D pads (batch, steps, channels) inputs "
                             f"only: data_format='channels_last'. Received: {data_format!r}")
        super().__init__(padding, None, **kwargs)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding[0],
                "data_format": "channels_last"}


class Cropping2D(_Spatial):
    """Removes rows and columns at the edges: ``cropping`` as in ``ZeroPadding2D``."""

    _config_keys = ("name", "trainable", "dtype", "cropping", "data_format")

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.cropping = _pairs(cropping, self.rank, "cropping")

    def call(self, inputs):
        index = [slice(None)] * inputs.ndim
        for axis, (lo, hi) in zip(self._axes(), self.cropping):
            index[axis] = slice(lo, inputs.shape[axis] - hi)
        return inputs[tuple(index)]

    def _out(self, spatial):
        return [_size(n, -lo - hi) for n, (lo, hi) in zip(spatial, self.cropping)]

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}


class Cropping1D(Cropping2D):
    """Removes steps at the start and end of ``(b, steps, c)`` inputs."""

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, None, **kwargs)

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping[0]}


class UpSampling2D(_Spatial):
    """Repeats rows and columns ``size`` times (nearest-neighbour upsampling)."""

    _config_keys = ("name", "trainable", "dtype", "size", "data_format", "interpolation")

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(data_format, **kwargs)
        self.size = (int(size),) * self.rank if isinstance(size, int) else tuple(
            int(s) for s in size)
        if interpolation != "nearest":
            # NOTE: only nearest-neighbour is implemented; refusing beats resizing differently.
            raise NotImplementedError(f"UpSampling2D supports interpolation='nearest' only in "
                                      f"tapeflow. Received: interpolation={interpolation!r}")
        self.interpolation = interpolation

    def call(self, inputs):
        for axis, s in zip(self._axes(), self.size):
            if s != 1:
                inputs = P.repeat(inputs, s, axis=axis)
        return inputs

    def _out(self, spatial):
        return [None if n is None else n * s for n, s in zip(spatial, self.size)]

    def get_config(self):
        return {**super().get_config(), "size": self.size, "interpolation": self.interpolation}


class UpSampling1D(UpSampling2D):
    """Repeats each step ``size`` times."""

    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(size, None, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("interpolation")
        return {**config, "size": self.size[0]}


class ZeroPadding3D(ZeroPadding2D):
    """Adds zeros around the three spatial axes: ``padding`` is an int, 3 ints or 3 pairs."""

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class Cropping3D(Cropping2D):
    """Removes slices at the edges of the three spatial axes: an int, 3 ints or 3 pairs."""

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class UpSampling3D(UpSampling2D):
    """Repeats each of the three spatial axes ``size`` times (nearest neighbour)."""

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, data_format, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("interpolation")
        return config
