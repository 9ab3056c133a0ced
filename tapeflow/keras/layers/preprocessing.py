"""Preprocessing layers: ``Rescaling`` and ``Normalization`` (with ``adapt``)."""
from ... import nest
from ...backend import host as np
from ...backend import to_host
from ...ops import array as A
from ...ops import math as M
from ...tensor import TensorBase, wrap
from .. import backend
from .base import Layer


class Rescaling(Layer):
    """``inputs * scale + offset`` (e.g. ``Rescaling(1/255)``)."""

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset

    def call(self, inputs):
        if inputs.dtype.is_integer or inputs.dtype.is_bool:
            inputs = M.cast(inputs, self.dtype)
        return inputs * self.scale + self.offset

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


def _host(x):
    return np.asarray(to_host(to_host(x._v)) if isinstance(x, TensorBase) else x, dtype=np.float64)


class Normalization(Layer):
    """``(x - mean) / sqrt(variance)`` per feature of ``axis``; the statistics come from
    the constructor or from ``adapt(data)``."""

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = (axis,) if isinstance(axis, int) else tuple(axis or ())
        if (mean is None) != (variance is None):
            raise ValueError("When setting values directly, both `mean` and `variance` must be "
                             f"set. Received: mean={mean} and variance={variance}")
        self.invert = invert
        self.__dict__["_given"] = (mean, variance)

    def _stat_shape(self, shape):
        shape = list(shape)
        keep = {a % len(shape) for a in self.axis}
        return tuple(d if i in keep else 1 for i, d in enumerate(shape))

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        shape = self._stat_shape(input_shape)
        self.__dict__["_stat_shape_value"] = shape
        mean, variance = self.__dict__["_given"]
        if mean is None:
            # as Keras 3: the adapted statistics over the kept axes only, and a count that
            # older saved models carry; ``mean``/``variance`` are them in broadcast shape
            kept = tuple(input_shape[a % len(input_shape)] for a in sorted(
                a % len(input_shape) for a in self.axis))
            self.adapt_mean = self.add_weight(name="mean", shape=kept, initializer="zeros",
                                              trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=kept,
                                                  initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int64",
                                         initializer="zeros", trainable=False)
        else:  # given statistics are constants, not weights (Keras 3)
            for name, value in (("_mean_value", mean), ("_variance_value", variance)):
                self.__dict__[name] = wrap(np.broadcast_to(np.asarray(value), shape)
                                           .astype(self.dtype))
        self.built = True

    @property
    def mean(self):
        """The mean in the inputs' broadcast shape (None before the layer is built)."""
        return self._statistic("_mean_value", "adapt_mean")

    @property
    def variance(self):
        """The variance in the inputs' broadcast shape (None before the layer is built)."""
        return self._statistic("_variance_value", "adapt_variance")

    def _statistic(self, given, adapted):
        if not self.built:
            return None
        if given in self.__dict__:
            return self.__dict__[given]
        return A.reshape(getattr(self, adapted), self.__dict__["_stat_shape_value"])

    def adapt(self, data, batch_size=None, steps=None):
        """Compute per-feature mean and variance of ``data`` (array, tensor or batches)."""
        if isinstance(data, TensorBase) or hasattr(data, "__array__") or \
                isinstance(data, (list, tuple)):
            batches = [_host(data)]
        else:
            spec = getattr(data, "element_spec", None)
            if isinstance(spec, tuple):
                spec = spec[0]
            if getattr(spec, "shape", None) is not None and len(spec.shape) == 1 and \
                    hasattr(data, "batch"):
                data = data.batch(128)  # Keras batches a dataset of single vectors so
            batches = []
            for i, item in enumerate(data):
                if steps is not None and i >= steps:
                    break
                batches.append(_host(nest.flatten(item)[0]))
        first = batches[0]
        if not self.built:
            self.build((None,) + first.shape[1:])
        keep = {a % first.ndim for a in self.axis}
        red = tuple(i for i in range(first.ndim) if i not in keep)
        count, total, total_sq = 0, 0.0, 0.0
        for b in batches:
            n = int(np.prod([b.shape[i] for i in red])) if red else 1
            count += n
            total = total + b.sum(axis=red, keepdims=True)
            total_sq = total_sq + (b * b).sum(axis=red, keepdims=True)
        mean = total / count
        var = np.maximum(total_sq / count - mean * mean, 0.0)
        shape = tuple(self.adapt_mean.shape)
        self.adapt_mean.assign(mean.reshape(shape).astype(self.dtype))
        self.adapt_variance.assign(var.reshape(shape).astype(self.dtype))

    def call(self, inputs):
        if not inputs.dtype.is_floating:
            inputs = M.cast(inputs, self.dtype)
        std = M.maximum(M.sqrt(self.variance), backend.epsilon())
        if self.invert:
            return inputs * std + self.mean
        return (inputs - self.mean) / std

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        mean, variance = self.__dict__["_given"]
        tolist = lambda v: v.tolist() if hasattr(v, "tolist") else v
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": tolist(mean), "variance": tolist(variance)}
