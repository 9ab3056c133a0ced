"""Random ops (``tf.random``) drawn from NumPy's Generator with TF 2's eager seed semantics:
global seed, op seeds, stateless seeds and the ``Generator`` object.

Seeds, as in TF 2 eager:

- ``set_seed(g)`` set, no op seed: each call draws from a fresh stream keyed by ``g`` and a
  counter that ``set_seed`` resets, so a program (or a repeat of ``set_seed(g)``) gets the same
  values in the same order;
- op seed ``s``: calls of the same op with the same ``(g, s)`` continue one stream, which
  ``set_seed`` restarts; without a global seed ``g`` is a fixed default;
- neither: fresh randomness from the operating system's entropy.

Values are not TF's bits: NumPy's PCG64 generator replaces TF's Philox.
"""
import zlib

from .. import dtypes
from .._recording import recording, trace_here
from ..backend import host as np
from ..backend import to_host, xp_of
from ..errors import InvalidArgumentError
from ..tensor import TensorBase, TensorShape, const, convert_to_tensor, wrap
from ._core import Op, apply, check_kinds

__all__ = [
    "set_seed", "uniform", "normal", "truncated_normal", "shuffle", "categorical",
    "stateless_uniform", "stateless_normal", "stateless_truncated_normal",
    "stateless_categorical", "Generator", "get_global_generator", "set_global_generator",
]

_DEFAULT_GLOBAL_SEED = 87654321  # TF's default graph seed, used for op seeds without set_seed
_MASK = (1 << 64) - 1
_STATELESS_TAG = 0x5EED
_GENERATOR_TAG = 0x6E6


class _SeedState:
    """The process-wide seed state that ``set_seed`` resets."""

    global_seed = None
    counter = 0  # op-seed stand-in for calls without an op seed, per set_seed
    streams = {}  # (op, global, op seed) -> numpy Generator
    fresh = np.random.default_rng()


def _seed_int(seed):
    if isinstance(seed, TensorBase):
        seed = seed.numpy()
    if isinstance(seed, str):
        return zlib.crc32(seed.encode())
    return int(seed) & _MASK


def _tag(op):
    return zlib.crc32(op.encode())


def set_seed(seed):
    """Set the global seed; it also restarts every op-seeded stream and the call counter."""
    _SeedState.global_seed = None if seed is None else _seed_int(seed)
    _SeedState.counter = 0
    _SeedState.streams = {}


def _rng(seed=None, op=""):
    """The NumPy ``Generator`` one random op call should draw from, under TF 2 seed rules.

    ``seed`` is the op-level seed (None, an int or a scalar tensor); ``op`` names the op kind,
    so that different ops with the same op seed keep separate streams as TF's per-op kernels do.
    Call it once per random draw: Keras initializers, dropout layers and anything else with a
    ``seed=`` argument reuse it to follow ``tf.random.set_seed`` exactly like the ops here.
    """
    if recording:
        trace = trace_here()
        if trace is not None and trace.rng_sandbox:  # a tf.function check trace: its draws
            return np.random.default_rng(0)  # must not move any stream (function.py)
    if isinstance(seed, np.random.Generator):
        return seed  # a Keras layer's own source (keras.backend.layer_rng): no shared state
    g = _SeedState.global_seed
    if seed is None:
        if g is None:
            return _SeedState.fresh
        n = _SeedState.counter
        _SeedState.counter = n + 1
        return np.random.default_rng([g, n, _tag(op), 1])
    s = _seed_int(seed)
    if g is None:
        g = _DEFAULT_GLOBAL_SEED
    key = (op, g, s)
    rng = _SeedState.streams.get(key)
    if rng is None:
        rng = _SeedState.streams[key] = np.random.default_rng([g, s, _tag(op), 2])
    return rng


# -- argument checks -----------------------------------------------------------------------------
def _shape(shape, opname):
    """A tuple of non-negative dims from a shape vector (list, tuple, TensorShape, 1-D tensor)."""
    if isinstance(shape, TensorShape):
        shape = shape.as_list()
    if isinstance(shape, TensorBase):
        shape = to_host(shape._v)
    arr = np.asarray(shape)
    if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
        if arr.ndim == 1 and arr.dtype.kind not in "iu":
            kind = dtypes.from_numpy(arr.dtype).name if arr.dtype.kind in "fb" else arr.dtype
            raise InvalidArgumentError(
                None, opname, f"Value for attr 'T' of {kind} is not in the list of allowed "
                f"values: int32, int64 [Op:{opname}]")
        raise InvalidArgumentError(None, opname, "shape must be a vector of {int32,int64}, "
                                   f"got shape {list(arr.shape)} [Op:{opname}]")
    dims = tuple(int(d) for d in arr.tolist())
    for d in dims:
        if d < 0:
            raise InvalidArgumentError(None, opname, f"Dimension {d} must be >= 0 [Op:{opname}]")
    return dims


def _check_dtype(dtype, allowed):
    if dtype.name not in allowed:
        names = ", ".join(f"tf.{n}" for n in allowed)
        raise ValueError(f"Argument `dtype` got invalid value {dtype}. Accepted dtypes are "
                         f"({names}).")


_FLOATS = ("float16", "bfloat16", "float32", "float64")
_UNIFORM_DTYPES = _FLOATS + ("int32", "int64")


def _host_value(v, dtype):
    """A host array of ``dtype`` for a Python value or tensor (TF's conversion rules)."""
    t = convert_to_tensor(v, dtype) if not isinstance(v, TensorBase) else v
    if t._v.dtype != dtype._np:
        raise InvalidArgumentError(
            None, "Mul", f"cannot compute Mul as input #1(zero-based) was expected to be a "
            f"{dtype.name} tensor but is a {t.dtype.name} tensor [Op:Mul]")
    return to_host(t._v)


def _unit(rng, shape, dtype):
    """Uniform [0, 1) values of float ``dtype`` (generated in float32/float64)."""
    if dtype._np == np.float64:
        return rng.random(shape, dtype=np.float64)
    u = rng.random(shape, dtype=np.float32)
    if dtype._np != np.float32:
        # NOTE: rounding to a narrower float can reach 1.0; keep the interval half-open.
        u = u.astype(dtype._np)
        below_one = np.nextafter(np.asarray(1, dtype._np), np.asarray(0, dtype._np))
        u = np.minimum(u, below_one)
    return u


def _std_normal(rng, shape, dtype):
    gen = np.float64 if dtype._np == np.float64 else np.float32
    return rng.standard_normal(shape, dtype=gen)


# -- samplers shared by the stateful, stateless and Generator APIs -------------------------------
def _uniform(rng, shape, minval, maxval, dtype, opname):
    if dtype.is_integer:
        lo = _host_value(minval, dtype)
        hi = _host_value(maxval, dtype)
        for name, v in (("minval", lo), ("maxval", hi)):
            if v.ndim != 0:
                raise InvalidArgumentError(None, "RandomUniformInt", f"{name} must be 0-D, got "
                                           f"shape {list(v.shape)} [Op:RandomUniformInt]")
        if lo >= hi:
            raise InvalidArgumentError(None, "RandomUniformInt", f"Need minval < maxval, got "
                                       f"{lo} >= {hi} [Op:RandomUniformInt]")
        return wrap(rng.integers(lo, hi, size=shape, dtype=dtype._np))
    lo = _host_value(minval, dtype)
    hi = _host_value(1 if maxval is None else maxval, dtype)
    u = _unit(rng, shape, dtype)
    if lo.ndim == 0 and hi.ndim == 0 and lo == 0 and hi == 1:
        return wrap(u)
    return wrap(np.asarray(u * (hi - lo) + lo, dtype=dtype._np))


def _normal(rng, shape, mean, stddev, dtype, truncate):
    mean = _host_value(mean, dtype)
    stddev = _host_value(stddev, dtype)
    _check_dtype(dtype, _FLOATS)
    z = _std_normal(rng, shape, dtype)
    if truncate:
        # NOTE: values beyond 2 standard deviations are redrawn, in vectorised rounds.
        bad = np.abs(z) > 2
        while bad.any():
            z[bad] = rng.standard_normal(int(bad.sum()), dtype=z.dtype)
            bad = np.abs(z) > 2
    return wrap(np.asarray(z * stddev + mean, dtype=dtype._np))


_MULTINOMIAL = Op("Multinomial", None, None, "f")


def _categorical(rng, logits, num_samples, dtype):
    dtype = dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)
    _check_dtype(dtype, ("int32", "int64"))
    x = logits if isinstance(logits, TensorBase) else convert_to_tensor(logits)
    check_kinds(_MULTINOMIAL, [x._v])
    n = int(num_samples.numpy() if isinstance(num_samples, TensorBase) else num_samples)
    if x._v.ndim != 2:
        raise InvalidArgumentError(None, "Multinomial", f"logits should be a matrix, got shape "
                                   f"{list(x._v.shape)} [Op:Multinomial]")
    if n < 0:
        raise InvalidArgumentError(None, "Multinomial", f"num_samples should be non-negative, "
                                   f"got {n} [Op:Multinomial]")
    rows, classes = x._v.shape
    if classes == 0:
        raise InvalidArgumentError(None, "Multinomial", f"num_classes should be positive, got "
                                   f"{classes} [Op:Multinomial]")
    lg = to_host(x._v).astype(np.float64)
    m = lg.max(axis=1, keepdims=True)
    valid = np.isfinite(m[:, 0])
    p = np.exp(lg - np.where(np.isfinite(m), m, 0))
    p[~valid] = 1.0
    p /= p.sum(axis=1, keepdims=True)
    # NOTE: exact and vectorised: draw the class counts of each row (multinomial), lay the
    # classes out in order, then shuffle within rows; i.i.d. draws have exactly this law.
    counts = rng.multinomial(n, p)
    flat = np.repeat(np.tile(np.arange(classes), rows), counts.ravel())
    out = rng.permuted(flat.reshape(rows, n), axis=1)
    out[~valid] = classes  # NOTE: TF answers num_classes for rows with no finite logit
    return wrap(out.astype(dtype._np))


# -- recorded draws ------------------------------------------------------------------------------
# NOTE: each stateful draw runs inside an op's forward, so a tf.function plan draws fresh
# values on every call (following the seed rules) instead of replaying the traced ones.
DRAW = Op("RandomDraw", lambda sample: sample()._v, None, None, random=True)
SHUFFLE = Op("RandomShuffle", lambda a, seed: _shuffle_array(a, _rng(seed, "RandomShuffle")),
             None, None, random=True)
MULTINOMIAL = Op("Multinomial", lambda lg, seed, n, dtype: _categorical(
    _rng(seed, "Multinomial"), const(lg), n, dtype)._v, None, None, random=True)


def _draw(sample):
    return apply(DRAW, (), {"sample": sample})


def _shuffle_array(a, rng):
    if a.ndim == 0:
        return a
    xp = xp_of(a)
    return xp.take(a, xp.asarray(rng.permutation(a.shape[0])), axis=0)


# -- tf.random.* ---------------------------------------------------------------------------------
def uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None, name=None):
    """Uniform values in ``[minval, maxval)``; integer dtypes need ``maxval``."""
    dtype = dtypes.as_dtype(dtype)
    _check_dtype(dtype, _UNIFORM_DTYPES)
    if dtype.is_integer and maxval is None:
        raise ValueError(f"Must specify maxval for integer dtype {dtype!r}")
    opname = "RandomUniformInt" if dtype.is_integer else "RandomUniform"
    shape = _shape(shape, opname)
    return _draw(lambda: _uniform(_rng(seed, opname), shape, minval, maxval, dtype, opname))


def normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    """Normal values with the given ``mean`` and ``stddev``."""
    dtype = dtypes.as_dtype(dtype)
    shape = _shape(shape, "RandomStandardNormal")
    return _draw(lambda: _normal(_rng(seed, "RandomStandardNormal"), shape, mean, stddev, dtype,
                                 False))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    """Normal values, redrawn where they fall more than 2 ``stddev`` from ``mean``."""
    dtype = dtypes.as_dtype(dtype)
    shape = _shape(shape, "TruncatedNormal")
    return _draw(lambda: _normal(_rng(seed, "TruncatedNormal"), shape, mean, stddev, dtype, True))


def shuffle(value, seed=None, name=None):
    """``value`` with its first dimension randomly permuted."""
    t = value if isinstance(value, TensorBase) else convert_to_tensor(value)
    return apply(SHUFFLE, (t,), {"seed": seed})


def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """``num_samples`` class indices per row of ``[batch, classes]`` unnormalised ``logits``."""
    x = logits if isinstance(logits, TensorBase) else convert_to_tensor(logits)
    n = int(num_samples.numpy() if isinstance(num_samples, TensorBase) else num_samples)
    _categorical(np.random.default_rng(0), x, n, dtype)  # validates arguments eagerly
    return apply(MULTINOMIAL, (x,), {"seed": seed, "n": n, "dtype": dtype})


# -- stateless -----------------------------------------------------------------------------------
def _stateless_rng(seed, op):
    s = np.asarray(to_host(to_host(seed._v)) if isinstance(seed, TensorBase) else seed)
    if s.shape != (2,):
        raise InvalidArgumentError(None, "StatelessRandomGetKeyCounter", f"seed must have shape "
                                   f"[2], not {list(s.shape)} [Op:StatelessRandomGetKeyCounter]")
    a, b = (int(v) & _MASK for v in s.tolist())
    return np.random.default_rng([a, b, _tag(op), _STATELESS_TAG])


def _full_range_ints(rng, shape, dtype):
    info = np.iinfo(dtype._np)
    return wrap(rng.integers(info.min, info.max, size=shape, dtype=dtype._np, endpoint=True))


def stateless_uniform(shape, seed, minval=0, maxval=None, dtype=dtypes.float32, name=None,
                      alg="auto_select"):
    """Deterministic uniform values: the same ``seed`` (shape [2]) gives the same tensor."""
    dtype = dtypes.as_dtype(dtype)
    _check_dtype(dtype, _UNIFORM_DTYPES + ("uint32", "uint64"))
    if dtype.is_integer and (minval is None) != (maxval is None):
        raise ValueError(f"For integer `dtype` argument {dtype}, argument `minval` and `maxval` "
                         f"must be both None or not None. Got `minval`={minval} and "
                         f"`maxval`={maxval}.")
    shape = _shape(shape, "StatelessRandomUniformV2")
    rng = _stateless_rng(seed, "uniform")
    if dtype.is_integer and maxval is None:
        return _full_range_ints(rng, shape, dtype)
    return _uniform(rng, shape, minval, maxval, dtype, "StatelessRandomUniformV2")


def stateless_normal(shape, seed, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None,
                     alg="auto_select"):
    """Normal random values that depend only on ``seed`` (a pair of ints) and the shape."""
    dtype = dtypes.as_dtype(dtype)
    shape = _shape(shape, "StatelessRandomNormalV2")
    return _normal(_stateless_rng(seed, "normal"), shape, mean, stddev, dtype, False)


def stateless_truncated_normal(shape, seed, mean=0.0, stddev=1.0, dtype=dtypes.float32,
                               name=None, alg="auto_select"):
    """Normal random values within two standard deviations, depending only on ``seed``."""
    dtype = dtypes.as_dtype(dtype)
    shape = _shape(shape, "StatelessTruncatedNormalV2")
    return _normal(_stateless_rng(seed, "normal"), shape, mean, stddev, dtype, True)


def stateless_categorical(logits, num_samples, seed, dtype=dtypes.int64, name=None):
    """Class indices drawn from ``logits``, depending only on ``seed``."""
    return _categorical(_stateless_rng(seed, "categorical"), logits, num_samples, dtype)


# -- Generator -----------------------------------------------------------------------------------
class Generator:
    """A random-number generator object with its own state (``tf.random.Generator``)."""

    def __init__(self, copy_from=None, state=None, alg=None):
        if copy_from is not None:
            self._seed = copy_from._seed
            self._rng = np.random.Generator(type(copy_from._rng.bit_generator)())
            self._rng.bit_generator.state = copy_from._rng.bit_generator.state
        else:
            self._reset(None if state is None else _seed_int(np.asarray(state).ravel()[0]))
        self.algorithm = alg

    def _reset(self, seed):
        self._seed = seed
        entropy = None if seed is None else [seed, _GENERATOR_TAG]
        self._rng = np.random.default_rng(entropy)

    @classmethod
    def from_seed(cls, seed, alg=None):
        g = cls.__new__(cls)
        g._reset(_seed_int(seed))
        g.algorithm = alg
        return g

    @classmethod
    def from_non_deterministic_state(cls, alg=None):
        g = cls.__new__(cls)
        g._reset(None)
        g.algorithm = alg
        return g

    def reset_from_seed(self, seed):
        self._reset(_seed_int(seed))

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None):
        dtype = dtypes.as_dtype(dtype)
        shape = _shape(shape, "StatefulStandardNormalV2")
        return _normal(self._rng, shape, mean, stddev, dtype, False)

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None):
        dtype = dtypes.as_dtype(dtype)
        shape = _shape(shape, "StatefulTruncatedNormal")
        return _normal(self._rng, shape, mean, stddev, dtype, True)

    def uniform(self, shape, minval=0, maxval=None, dtype=dtypes.float32, name=None):
        dtype = dtypes.as_dtype(dtype)
        _check_dtype(dtype, _UNIFORM_DTYPES + ("uint32", "uint64"))
        if dtype.is_integer and (minval is None) != (maxval is None):
            raise ValueError(f"For integer dtype {dtype}, minval and maxval must be both `None` "
                             f"or both non-`None`; got minval={minval} and maxval={maxval}")
        shape = _shape(shape, "StatefulUniform")
        if dtype.is_integer and maxval is None:
            return _full_range_ints(self._rng, shape, dtype)
        return _uniform(self._rng, shape, minval, maxval, dtype, "StatefulUniform")

    def uniform_full_int(self, shape, dtype=dtypes.uint64, name=None):
        dtype = dtypes.as_dtype(dtype)
        return _full_range_ints(self._rng, _shape(shape, "StatefulUniformFullInt"), dtype)

    def make_seeds(self, count=1):
        """A ``[2, count]`` int64 tensor of seeds for the stateless ops."""
        info = np.iinfo(np.int64)
        return wrap(self._rng.integers(info.min, info.max, size=(2, int(count)), dtype=np.int64,
                                       endpoint=True))

    def split(self, count=1):
        """``count`` new generators with independent streams, advancing this one."""
        out = []
        for child_seed in self._rng.integers(0, 1 << 63, size=int(count)).tolist():
            g = Generator.__new__(Generator)
            g._reset(child_seed)
            g.algorithm = self.algorithm
            out.append(g)
        return out


_global_generator = []


def get_global_generator():
    """The process-wide ``Generator`` (non-deterministic until ``set_global_generator``)."""
    if not _global_generator:
        _global_generator.append(Generator.from_non_deterministic_state())
    return _global_generator[0]


def set_global_generator(generator):
    """Make ``generator`` the one ``tf.random.get_global_generator()`` returns."""
    _global_generator[:] = [generator]

