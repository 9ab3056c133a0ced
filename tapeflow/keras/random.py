"""``keras.random`` (Keras 3): seeded sampling functions and ``SeedGenerator``.

A ``seed`` is a Python int (the same int gives the same values on every call), a
``SeedGenerator`` (each draw takes the generator's current state and advances it, so a
generator made from the same int replays the same sequence), or ``None`` (a fresh draw from a
process-wide generator). As in Keras, a generator's state is an int64 variable ``[seed, n]``
named ``seed_generator_state`` that ``next()`` returns and then advances to ``[seed, n + 1]``.

NOTE: the values come from NumPy's generators keyed by the state, not from TF's Philox, so
they are reproducible within tapeflow but not equal to TensorFlow's.
"""
import random as _pyrandom

from .. import dtypes
from ..backend import host as np
from ..backend import to_host, xp_of
from ..ops import random as _ops
from ..tensor import TensorBase, convert_to_tensor, wrap
from ..variable import Variable
from . import backend

__all__ = ["SeedGenerator", "beta", "binomial", "categorical", "dropout", "gamma", "normal",
           "randint", "shuffle", "truncated_normal", "uniform"]


class SeedGenerator:
    """A reproducible source of seeds for the ``keras.random`` functions and layers."""

    def __init__(self, seed=None, name=None, **kwargs):
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
        if name is None:
            name = "seed_generator"
        self.name = name
        if seed is None:
            seed = _pyrandom.randint(1, int(1e9))  # as Keras' make_default_seed
        elif not isinstance(seed, int) or isinstance(seed, bool):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed}")
        self._initial_seed = seed
        self.state = Variable(np.asarray([seed, 0], dtype=np.int64), trainable=False,
                              name="seed_generator_state", dtype=dtypes.int64)

    def next(self, ordered=True):
        """The current state ``[seed, n]``; the state becomes ``[seed, n + 1]``."""
        value = self.state.numpy().copy()
        self.state.assign(value + np.asarray([0, 1], dtype=np.int64))
        return wrap(value)

    def get_config(self):
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


_GLOBAL = []


def _global_generator():
    if not _GLOBAL:
        _GLOBAL.append(SeedGenerator())
    return _GLOBAL[0]


def _draw_seed(seed):
    """The ``[2]`` seed pair a draw uses (Keras' ``draw_seed``)."""
    if isinstance(seed, SeedGenerator):
        return seed.next().numpy()
    if isinstance(seed, int) and not isinstance(seed, bool):
        return np.asarray([seed, 0], dtype=np.int64)
    if seed is None:
        return _global_generator().next(ordered=False).numpy()
    raise ValueError(f"Argument `seed` must be either an integer or an instance of "
                     f"`SeedGenerator`. Received: seed={seed} (of type {type(seed)})")


def _rng(seed, op):
    return _ops._stateless_rng(_draw_seed(seed), op)


def _float_dtype(dtype, fn):
    dtype = dtypes.as_dtype(dtype or backend.floatx())
    if not dtype.is_floating:
        raise ValueError(f"`keras.random.{fn}` requires a floating point `dtype`. "
                         f"Received: dtype={dtype.name} ")
    return dtype


def _shape(shape):
    if isinstance(shape, TensorBase):
        shape = to_host(shape._v).tolist()
    return tuple(int(s) for s in shape)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal values; ``truncated_normal`` with the same int seed starts from the same draws."""
    dtype = dtypes.as_dtype(dtype or backend.floatx())
    return _ops._normal(_rng(seed, "normal"), _shape(shape), mean, stddev, dtype, False)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal values redrawn where they fall more than 2 ``stddev`` from ``mean``."""
    dtype = dtypes.as_dtype(dtype or backend.floatx())
    return _ops._normal(_rng(seed, "normal"), _shape(shape), mean, stddev, dtype, True)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Uniform values in ``[minval, maxval)``; the dtype must be floating point."""
    dtype = _float_dtype(dtype, "uniform")
    return _ops._uniform(_rng(seed, "uniform"), _shape(shape), minval, maxval, dtype,
                         "StatelessRandomUniformV2")


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers in ``[minval, maxval)``; the dtype must be an integer type."""
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_integer:
        raise ValueError(f"`keras.random.randint` requires an integer `dtype`. "
                         f"Received: dtype={dtype.name} ")
    return _ops._uniform(_rng(seed, "uniform"), _shape(shape), minval, maxval, dtype,
                         "StatelessRandomUniformIntV2")


def categorical(logits, num_samples, dtype="int32", seed=None):
    """``num_samples`` class indices per row of ``[batch, classes]`` unnormalised logits."""
    return _ops._categorical(_rng(seed, "categorical"), logits, num_samples, dtype)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """``inputs`` with a ``rate`` fraction zeroed and the rest scaled by ``1 / (1 - rate)``."""
    x = inputs if isinstance(inputs, TensorBase) else convert_to_tensor(inputs)
    r = float(rate.numpy()) if isinstance(rate, TensorBase) else rate
    if not isinstance(r, (int, float)) or isinstance(r, bool) or not 0 <= r < 1:
        raise ValueError(f"`rate` must be a scalar tensor or a float in the range [0, 1). "
                         f"Received: rate={rate}")
    shape = tuple(x.shape) if noise_shape is None else tuple(
        d if n is None else int(n) for d, n in zip(tuple(x.shape), noise_shape))
    keep = _ops._unit(_rng(seed, "uniform"), shape, dtypes.float32) >= r
    xp = xp_of(x._v)
    dt = x._v.dtype
    mask = xp.asarray(keep, dtype=dt) * dt.type(1.0 / (1.0 - r))
    return x * wrap(mask)


def shuffle(x, axis=0, seed=None):
    """``x`` with its entries along ``axis`` in a random order."""
    t = x if isinstance(x, TensorBase) else convert_to_tensor(x)
    a = to_host(t._v)
    ax = axis % a.ndim if a.ndim else 0
    if a.ndim == 0:
        return wrap(a)
    perm = _rng(seed, "shuffle").permutation(a.shape[ax])
    return wrap(np.take(a, perm, axis=ax))


def gamma(shape, alpha, dtype=None, seed=None):
    """Gamma values with concentration ``alpha`` (unit scale)."""
    dtype = _float_dtype(dtype, "gamma")
    out = _rng(seed, "gamma").gamma(np.asarray(alpha, np.float64), size=_shape(shape))
    return wrap(np.asarray(out, dtype=dtype._np))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Beta values with concentrations ``alpha`` and ``beta``."""
    dtype = _float_dtype(dtype, "beta")
    out = _rng(seed, "beta").beta(np.asarray(alpha, np.float64), np.asarray(beta, np.float64),
                                  size=_shape(shape))
    return wrap(np.asarray(out, dtype=dtype._np))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Binomial counts of successes (returned in a float dtype, as Keras does)."""
    dtype = dtypes.as_dtype(dtype or backend.floatx())
    out = _rng(seed, "binomial").binomial(np.asarray(counts, np.int64),
                                          np.asarray(probabilities, np.float64),
                                          size=_shape(shape))
    return wrap(np.asarray(out, dtype=dtype._np))
