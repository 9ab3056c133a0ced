"""``tf.experimental.numpy.random``: NumPy's legacy sampling functions, drawing from one
generator of this module (``seed`` resets it). Floats are float64 and integers int64, as in
TF-NumPy; the values differ from TF's, whose generator tapeflow does not reproduce."""
from ...backend import host as np
from ...errors import InvalidArgumentError
from ...tensor import constant
from ._dtypes import np_dtype

__all__ = ["poisson", "rand", "randint", "randn", "random", "seed", "standard_normal",
           "uniform"]

_gen = [np.random.default_rng()]


def _size(size):
    if size is None:
        return ()
    if isinstance(size, (int, np.integer)):
        return (int(size),)
    return tuple(int(s) for s in size)


def _out(values, dtype=np.float64):
    return constant(np.asarray(values).astype(dtype))


def seed(s):
    """Reset this module's generator from ``s`` (the draws after it repeat)."""
    _gen[0] = np.random.default_rng(int(s))


def random(size=None):
    """Uniform float64 samples in ``[0, 1)`` of shape ``size`` (a scalar when None)."""
    return uniform(0.0, 1.0, size)


def rand(*size):
    """Uniform float64 samples in ``[0, 1)`` with the shape given by the arguments."""
    return uniform(0.0, 1.0, size)


def uniform(low=0.0, high=1.0, size=None):
    """Uniform float64 samples in ``[low, high)`` of shape ``size``."""
    return _out(_gen[0].uniform(np.asarray(low, np.float64), np.asarray(high, np.float64),
                                _size(size)))


def standard_normal(size=None):
    """Standard normal float64 samples of shape ``size`` (a scalar when None)."""
    return _out(_gen[0].standard_normal(_size(size)))


def randn(*args):
    """Standard normal float64 samples with the shape given by the arguments."""
    return standard_normal(args)


def poisson(lam=1.0, size=None):
    """Poisson int64 samples with rate ``lam`` of shape ``size``."""
    return _out(_gen[0].poisson(lam, _size(size)), np.int64)


def randint(low, high=None, size=None, dtype=np.int64):
    """Uniform integers in ``[low, high)`` (``[0, low)`` without ``high``); ``dtype`` int32 or
    int64."""
    d = np_dtype(dtype)
    if d not in (np.dtype(np.int32), np.dtype(np.int64)):
        raise ValueError(f"Argument `dtype` got an invalid value {dtype}. Only those "
                         "convertible to (<class 'numpy.int32'>, <class 'numpy.int64'>) are "
                         "supported.")
    if high is None:
        low, high = 0, low
    if not low < high:
        raise InvalidArgumentError(None, "RandomUniformInt",
                                   f"Need minval < maxval, got {low} >= {high} "
                                   "[Op:RandomUniformInt]")
    return _out(_gen[0].integers(low, high, _size(size)), d)
