"""Shared checks for ``tf.image``: image rank, static sizes, the float working copy."""
from .. import dtypes
from ..backend import host as np
from ..ops.array import expand_dims, squeeze
from ..ops.math import as_t


def value_of(v):
    """A Python/NumPy value from a tensor or a plain value."""
    return np.asarray(v.numpy()) if hasattr(v, "numpy") else np.asarray(v)


def image_4d(images, name="image"):
    """``(tensor as NHWC, was it 3-D)``; TF's ValueError for another rank."""
    x = as_t(images)
    nd = len(x.shape)
    if nd == 3:
        return expand_dims(x, 0), True
    if nd == 4:
        return x, False
    raise ValueError(f"'{name}' (shape {x.shape}) must have either 3 or 4 dimensions.")


def unbatch(x, single):
    return squeeze(x, [0]) if single else x


def at_least_3d(image, name="image"):
    x = as_t(image)
    if len(x.shape) < 3:
        raise ValueError(f"'{name}' (shape {x.shape}) must be at least three-dimensional.")
    return x


def is_float(dtype):
    return dtypes.as_dtype(dtype).is_floating
