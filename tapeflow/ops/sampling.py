"""More of ``tf.random``: the candidate samplers of sampled losses, gamma, Poisson and binomial
draws (stateful and stateless), seed arithmetic (``fold_in``, ``split``, ``create_rng_state``),
``index_shuffle`` and Sobol sequences (``tf.math.sobol_sample``).

Draws come from tapeflow's seeded NumPy streams (``ops/random.py``), so they follow TF 2's
seed rules but are not TF's Philox bits; the shapes, dtypes, supports and expected counts are
TF's.
"""
import enum

from .. import dtypes
from ..backend import host as np
from ..backend import to_host
from ..errors import InvalidArgumentError
from ..errors import _invalid as invalid
from ..tensor import TensorBase, convert_to_tensor, wrap
from ._core import Op, apply
from .array import broadcast_to
from .indexing import gather
from .math import cast
from .random import _rng, _shape, _stateless_rng, stateless_uniform
from .reduction import reduce_sum
from .special import _ERFC64, _LGAMMA64, _d_da, _erfcinv, _igamma_pq

__all__ = [
    "Algorithm", "create_rng_state", "fold_in", "split", "gamma", "poisson",
    "stateless_binomial", "stateless_gamma", "stateless_poisson",
    "stateless_parameterized_truncated_normal", "uniform_candidate_sampler",
    "log_uniform_candidate_sampler", "learned_unigram_candidate_sampler",
    "fixed_unigram_candidate_sampler", "all_candidate_sampler", "compute_accidental_hits",
    "index_shuffle", "stateless_shuffle", "sobol_sample",
]


def _t(x, dtype=None):
    return x if isinstance(x, TensorBase) else convert_to_tensor(x, dtype)


class Algorithm(enum.Enum):
    """The random-number algorithms TF names (tapeflow draws every one with NumPy's PCG64)."""

    PHILOX = 1
    THREEFRY = 2
    AUTO_SELECT = 3


_STATE_SIZE = {Algorithm.PHILOX: 3, Algorithm.THREEFRY: 2, Algorithm.AUTO_SELECT: 3}


def _algorithm(alg):
    if isinstance(alg, Algorithm):
        return alg
    if isinstance(alg, int) and alg in (1, 2, 3):
        return Algorithm(alg)
    names = {"philox": Algorithm.PHILOX, "threefry": Algorithm.THREEFRY,
             "auto_select": Algorithm.AUTO_SELECT}
    if isinstance(alg, str) and alg.lower() in names:
        return names[alg.lower()]
    raise ValueError(f"Argument `alg` got unsupported value {alg}. Supported values are philox "
                     "for the Philox algorithm, threefry for the ThreeFry algorithm, and "
                     "auto_select for auto-selection.")


def create_rng_state(seed, alg):
    """The initial state a ``Generator`` of ``alg`` keeps for an integer ``seed``.

    Args:
        seed: a Python int.
        alg: an ``Algorithm``, its value, or its name.

    Returns:
        An int64 tensor: ``[seed, 0, 0]`` (Philox) or ``[seed, 0]`` (ThreeFry).
    """
    size = _STATE_SIZE[_algorithm(alg)]
    state = np.zeros(size, np.int64)
    state[0] = np.int64(np.uint64(int(seed) & ((1 << 64) - 1)))
    return wrap(state)


def fold_in(seed, data, alg="auto_select"):
    """A new stateless seed from ``seed`` and an integer ``data``: ``[h, data]`` with ``h`` a
    full-range draw keyed by ``seed``.

    Args:
        seed: a shape [2] integer seed.
        data: an int32 or int64 scalar.
        alg: accepted; tapeflow has one generator.

    Returns:
        A shape [2] tensor of ``data``'s dtype.
    """
    d = _t(data)
    h = stateless_uniform([], seed, minval=None, maxval=None, dtype=d.dtype)
    return wrap(np.stack([to_host(h._v), to_host(d._v)]).astype(d._v.dtype))


def split(seed, num=2, alg="auto_select"):
    """``num`` new stateless seeds drawn from ``seed``.

    Args:
        seed: a shape [2] integer seed.
        num: how many seeds.
        alg: accepted; tapeflow has one generator.

    Returns:
        A ``[num, 2]`` tensor of ``seed``'s dtype.
    """
    s = _t(seed)
    return stateless_uniform([int(num), 2], s, minval=None, maxval=None, dtype=s.dtype)


# -- gamma, Poisson, binomial ----------------------------------------------------------------
def _float_dtype(dtype, opname):
    d = dtypes.as_dtype(dtype)
    if d.name not in ("float16", "float32", "float64", "bfloat16"):
        raise InvalidArgumentError(None, opname, f"Value for attr 'T' of {d.name} is not in "
                                   "the list of allowed values: half, float, double")
    return d


def _gamma_sample_grad(alpha, sample):
    """d sample / d alpha of a unit-rate gamma draw (implicit reparameterisation):
    -(dP(alpha, x)/dalpha) / density(alpha, x)."""
    a, x = np.broadcast_arrays(alpha.astype(np.float64), sample.astype(np.float64))
    dp = _d_da(lambda u, v: _igamma_pq(u, v)[0], a, x)
    with np.errstate(all="ignore"):
        dens = np.exp((a - 1.0) * np.log(x) - x - _LGAMMA64(a))
        out = -dp / dens
    return np.where(np.isfinite(out), out, 0.0)


_RANDOM_GAMMA_GRAD = Op("RandomGammaGrad", lambda a, s: _gamma_sample_grad(
    to_host(a), to_host(s)).astype(a.dtype), None, "f")


def _gamma_fwd(a, rng=None, shape=(), seed=None):
    """Unit-rate gamma draws of shape ``shape + a.shape``: from the stream ``rng`` (fresh on
    every run) or from a stateless ``seed`` (the same on every run)."""
    if rng is None:
        rng = _stateless_rng(seed, "gamma")
    conc = np.asarray(to_host(a), np.float64)
    sample = rng.standard_gamma(np.broadcast_to(conc, tuple(shape) + conc.shape))
    return np.maximum(sample, np.finfo(a.dtype).tiny).astype(a.dtype)


def _gamma_grad(n, g):
    alpha = n.inputs[0]
    extra = n.out._v.ndim - alpha._v.ndim
    dz = g * apply(_RANDOM_GAMMA_GRAD, (alpha, n.out), {})
    return (reduce_sum(dz, axis=list(range(extra))) if extra else dz,)


RANDOM_GAMMA = Op("RandomGamma", _gamma_fwd, _gamma_grad, "f", random=True)
STATELESS_GAMMA = Op("StatelessRandomGammaV3", _gamma_fwd, _gamma_grad, "f")


def gamma(shape, alpha, beta=None, dtype=dtypes.float32, seed=None, name=None):
    """Gamma draws of shape ``shape + broadcast(alpha, beta).shape``.

    Args:
        shape: the sample shape.
        alpha: the concentration, a float tensor.
        beta: the rate (default 1); the draws are divided by it.
        dtype: float16, float32 or float64.
        seed: an op seed.
        name: unused.

    Returns:
        A float tensor; its gradient with respect to ``alpha`` (and ``beta``) is the
        implicit reparameterisation gradient, as in TF.
    """
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"data type {dtype._np.type} not inexact")
    dims = _shape(shape, "RandomGamma")
    a = _t(alpha, dtype)
    if a.dtype != dtype:
        a = cast(a, dtype)
    if beta is not None:
        b = _t(beta, dtype)
        bshape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
        a = broadcast_to(a, bshape)
    out = apply(RANDOM_GAMMA, (a,), {"rng": _rng(seed, "gamma"), "shape": dims})
    return out if beta is None else out / b


def _cast_draw(values, dtype):
    return wrap(np.asarray(values).astype(dtypes.as_dtype(dtype)._np))


def poisson(shape, lam, dtype=dtypes.float32, seed=None, name=None):
    """Poisson draws of shape ``shape + lam.shape``.

    Args:
        shape: the sample shape.
        lam: the rates, a float tensor.
        dtype: the output dtype (float or integer).
        seed: an op seed.
        name: unused.

    Returns:
        A tensor of ``dtype``.
    """
    dims = _shape(shape, "RandomPoissonV2")
    lam_t = _t(lam, dtypes.float32)
    rates = np.asarray(to_host(lam_t._v), np.float64)
    draws = _rng(seed, "poisson").poisson(np.broadcast_to(rates, tuple(dims) + rates.shape))
    return _cast_draw(draws, dtype)


def _stateless_shape(shape, params, opname):
    dims = _shape(shape, opname)
    b = np.broadcast_shapes(*[np.shape(p) for p in params])
    if tuple(dims[len(dims) - len(b):]) != tuple(b) or len(b) > len(dims):
        raise InvalidArgumentError(None, opname, "Shape passed in must end with broadcasted "
                                   f"shape. [Op:{opname}]")
    return dims


def stateless_gamma(shape, seed, alpha, beta=None, dtype=dtypes.float32, name=None):
    """Gamma draws that depend only on ``seed``; ``shape`` must end with the broadcast shape
    of ``alpha`` and ``beta``.

    Args:
        shape: the output shape.
        seed: a shape [2] integer seed.
        alpha: the concentration.
        beta: the rate (default 1).
        dtype: float16, float32 or float64.
        name: unused.

    Returns:
        A float tensor, differentiable in ``alpha`` and ``beta``.
    """
    dtype = _float_dtype(dtype, "StatelessRandomGammaV3")
    a = _t(alpha, dtype)
    params = [to_host(a._v)] + ([] if beta is None else [to_host(_t(beta, dtype)._v)])
    dims = _stateless_shape(shape, params, "StatelessRandomGammaV3")
    a = broadcast_to(a, dims)
    _stateless_rng(seed, "gamma")  # checks the seed's shape
    seed = np.asarray(to_host(seed._v) if isinstance(seed, TensorBase) else seed)
    out = apply(STATELESS_GAMMA, (a,), {"seed": seed, "shape": ()})
    return out if beta is None else out / _t(beta, dtype)


def stateless_poisson(shape, seed, lam, dtype=dtypes.int32, name=None):
    """Poisson draws that depend only on ``seed``; ``shape`` must end with ``lam``'s shape.

    Args:
        shape: the output shape.
        seed: a shape [2] integer seed.
        lam: the rates.
        dtype: the output dtype.
        name: unused.

    Returns:
        A tensor of ``dtype``.
    """
    rates = np.asarray(to_host(_t(lam, dtypes.float32)._v), np.float64)
    dims = _stateless_shape(shape, [rates], "StatelessRandomPoisson")
    draws = _stateless_rng(seed, "poisson").poisson(np.broadcast_to(rates, dims))
    return _cast_draw(draws, dtype)


def stateless_binomial(shape, seed, counts, probs, output_dtype=dtypes.int32, name=None):
    """Binomial draws that depend only on ``seed``.

    Args:
        shape: the output shape.
        seed: a shape [2] integer seed.
        counts: the numbers of trials, broadcast to ``shape``.
        probs: the success probabilities, broadcast to ``shape``.
        output_dtype: the output dtype.
        name: unused.

    Returns:
        A tensor of ``output_dtype``.
    """
    dims = _shape(shape, "StatelessRandomBinomial")
    n = np.broadcast_to(np.asarray(to_host(_t(counts)._v)), dims).astype(np.int64)
    p = np.broadcast_to(np.asarray(to_host(_t(probs)._v), np.float64), dims)
    draws = _stateless_rng(seed, "binomial").binomial(n, p)
    return _cast_draw(draws, output_dtype)


def stateless_parameterized_truncated_normal(shape, seed, means=0.0, stddevs=1.0,
                                             minvals=-2.0, maxvals=2.0, name=None):
    """Normal draws truncated to ``[minvals, maxvals]`` that depend only on ``seed`` (inverse
    CDF sampling).

    Args:
        shape: the output shape; the parameters broadcast to it.
        seed: a shape [2] integer seed.
        means, stddevs, minvals, maxvals: the parameters.
        name: unused.

    Returns:
        A float tensor of the parameters' dtype (float32 for Python numbers).
    """
    dims = _shape(shape, "StatelessParameterizedTruncatedNormal")
    m = _t(means)
    dtype = m.dtype if m.dtype.is_floating else dtypes.float32
    ps = [np.broadcast_to(np.asarray(to_host(_t(v, dtype)._v), np.float64), dims)
          for v in (means, stddevs, minvals, maxvals)]
    mu, sd, lo, hi = ps
    a, b = (lo - mu) / sd, (hi - mu) / sd
    cdf = lambda z: 0.5 * _erfc64(-z / np.sqrt(2.0))
    u = _stateless_rng(seed, "truncated_normal").random(size=dims)
    p = cdf(a) + u * (cdf(b) - cdf(a))
    z = -np.sqrt(2.0) * _erfcinv(2.0 * p)
    out = np.clip(mu + sd * z, lo, hi)
    return wrap(out.astype(dtype._np))


def _erfc64(x):
    return _ERFC64(np.asarray(x, np.float64))


# -- candidate samplers ----------------------------------------------------------------------
def _check_true(true_classes, num_true, opname):
    t = _t(true_classes)
    if t.dtype != dtypes.int64:
        raise InvalidArgumentError(None, opname, f"cannot compute {opname} as input #0"
                                   f"(zero-based) was expected to be a int64 tensor but is a "
                                   f"{t.dtype.name} tensor [Op:{opname}]")
    a = to_host(t._v)
    if a.ndim != 2 or a.shape[1] != num_true:
        raise invalid(opname, f"true_classes must have num_true columns, expected: {num_true} "
                      f"was: {a.shape[1] if a.ndim == 2 else a.ndim}")
    return a


def _expected(p, num_sampled, tries):
    if tries == num_sampled:
        return p * num_sampled
    return -np.expm1(tries * np.log1p(-p))


def _sample(probs, num_sampled, unique, rng, opname):
    """(candidates, tries): draws from ``probs`` (rejecting repeats when ``unique``)."""
    range_max = len(probs)
    if unique and num_sampled > range_max:
        raise invalid(opname, "Sampler's range is too small.")
    if not unique:
        return rng.choice(range_max, size=num_sampled, p=probs), num_sampled
    picked, seen, tries = [], set(), 0
    while len(picked) < num_sampled:
        batch = rng.choice(range_max, size=max(num_sampled, 16), p=probs)
        for c in batch.tolist():
            tries += 1
            if c not in seen:
                seen.add(c)
                picked.append(c)
                if len(picked) == num_sampled:
                    break
    return np.asarray(picked, np.int64), tries


def _sampler(name, true_classes, num_true, num_sampled, unique, probs, seed):
    true = _check_true(true_classes, num_true, name)
    probs = np.asarray(probs, np.float64)
    probs = probs / probs.sum()
    cands, tries = _sample(probs, int(num_sampled), unique, _rng(seed, name), name)
    true_c = np.clip(true, 0, len(probs) - 1)
    t_exp = _expected(probs[true_c], int(num_sampled), tries).astype(np.float32)
    s_exp = _expected(probs[cands], int(num_sampled), tries).astype(np.float32)
    return wrap(np.asarray(cands, np.int64)), wrap(t_exp), wrap(s_exp)


def uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None,
                              name=None):
    """Sample ``num_sampled`` classes uniformly from ``[0, range_max)``.

    Args:
        true_classes: ``[batch, num_true]`` int64 target classes.
        num_true: targets per example.
        num_sampled: how many classes to sample.
        unique: sample without repeats.
        range_max: the number of classes.
        seed: an op seed.
        name: unused.

    Returns:
        ``(sampled_candidates, true_expected_count, sampled_expected_count)``: int64
        ``[num_sampled]``, float32 ``[batch, num_true]`` and ``[num_sampled]``.
    """
    return _sampler("UniformCandidateSampler", true_classes, num_true, num_sampled, unique,
                    np.ones(int(range_max)), seed)


def _log_uniform_probs(range_max):
    k = np.arange(int(range_max), dtype=np.float64)
    return (np.log(k + 2.0) - np.log(k + 1.0)) / np.log(range_max + 1.0)


def log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                                  seed=None, name=None):
    """Sample classes from the log-uniform (Zipfian) distribution
    ``P(k) = log((k + 2) / (k + 1)) / log(range_max + 1)``.

    Args:
        true_classes, num_true, num_sampled, unique, range_max, seed: as for
            ``uniform_candidate_sampler``.
        name: unused.

    Returns:
        ``(sampled_candidates, true_expected_count, sampled_expected_count)``.
    """
    return _sampler("LogUniformCandidateSampler", true_classes, num_true, num_sampled, unique,
                    _log_uniform_probs(range_max), seed)


def learned_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                                      seed=None, name=None):
    """Sample classes from a unigram distribution learned from the targets seen; like TF's
    kernel state, a fresh call starts from the uniform distribution.

    Args:
        true_classes, num_true, num_sampled, unique, range_max, seed: as for
            ``uniform_candidate_sampler``.
        name: unused.

    Returns:
        ``(sampled_candidates, true_expected_count, sampled_expected_count)``.
    """
    return _sampler("LearnedUnigramCandidateSampler", true_classes, num_true, num_sampled,
                    unique, np.ones(int(range_max)), seed)


def fixed_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                                    vocab_file="", distortion=1.0, num_reserved_ids=0,
                                    num_shards=1, shard=0, unigrams=(), seed=None, name=None):
    """Sample classes from given unigram counts raised to ``distortion``.

    Args:
        true_classes, num_true, num_sampled, unique, range_max, seed: as for
            ``uniform_candidate_sampler``.
        vocab_file: a CSV file whose last column holds the counts (instead of ``unigrams``).
        distortion: the power applied to each count.
        num_reserved_ids: ids before the counts, with probability 0.
        num_shards, shard: sample only the ids ``i`` with ``i % num_shards == shard``.
        unigrams: the counts.
        name: unused.

    Returns:
        ``(sampled_candidates, true_expected_count, sampled_expected_count)``.
    """
    if vocab_file:
        with open(vocab_file, encoding="utf-8") as f:
            counts = [float(line.strip().split(",")[-1]) for line in f if line.strip()]
    else:
        counts = [float(u) for u in unigrams]
    weights = np.zeros(int(range_max))
    vals = np.power(np.asarray(counts, np.float64), float(distortion))
    ids = np.arange(len(vals)) + int(num_reserved_ids)
    keep = (ids < range_max) & (ids % int(num_shards) == int(shard))
    weights[ids[keep]] = vals[keep]
    if len(counts) + int(num_reserved_ids) != int(range_max):
        raise invalid("FixedUnigramCandidateSampler", f"Must have the same number of unigrams "
                      f"({len(counts) + int(num_reserved_ids)}) as range_max ({range_max})")
    return _sampler("FixedUnigramCandidateSampler", true_classes, num_true, num_sampled, unique,
                    weights, seed)


def all_candidate_sampler(true_classes, num_true, num_sampled, unique, seed=None, name=None):
    """The classes ``0 .. num_sampled - 1``, each expected once.

    Args:
        true_classes: ``[batch, num_true]`` int64 targets, each in ``[0, num_sampled)``.
        num_true, num_sampled, unique, seed: as for ``uniform_candidate_sampler``.
        name: unused.

    Returns:
        ``(sampled_candidates, true_expected_count, sampled_expected_count)`` (all ones).
    """
    true = _check_true(true_classes, num_true, "AllCandidateSampler")
    n = int(num_sampled)
    bad = true[(true < 0) | (true >= n)]
    if bad.size:
        raise invalid("AllCandidateSampler", f"`true_candidate` out of range [0, {n}), "
                      f"received {int(bad[0])}")
    return (wrap(np.arange(n, dtype=np.int64)), wrap(np.ones(true.shape, np.float32)),
            wrap(np.ones(n, np.float32)))


def compute_accidental_hits(true_classes, sampled_candidates, num_true, seed=None, name=None):
    """Where a sampled candidate equals one of an example's targets.

    Args:
        true_classes: ``[batch, num_true]`` int64 targets.
        sampled_candidates: ``[num_sampled]`` int64 candidates.
        num_true: targets per example.
        seed: unused (the op is deterministic).
        name: unused.

    Returns:
        ``(indices, ids, weights)``: int32 example indices, int64 candidate positions and
        float32 weights of -FLT_MAX, one per hit.
    """
    true = _check_true(true_classes, num_true, "ComputeAccidentalHits")
    cands = to_host(_t(sampled_candidates)._v).tolist()
    idx, ids = [], []
    where = {c: j for j, c in enumerate(cands)}  # a repeated candidate: its last position
    for i, row in enumerate(true.tolist()):
        for t in row:
            if t in where:
                idx.append(i)
                ids.append(where[t])
    weights = np.full(len(idx), -np.finfo(np.float32).max, np.float32)
    return (wrap(np.asarray(idx, np.int32)), wrap(np.asarray(ids, np.int64)), wrap(weights))


# -- shuffles ---------------------------------------------------------------------------------
def _feistel(index, keys, bits):
    """A keyed bijection of ``[0, 2^bits)`` (a balanced Feistel network, 4 rounds)."""
    half = (bits + 1) // 2
    mask = (1 << half) - 1
    left, right = index >> half, index & mask
    for k in keys:
        f = ((right * 0x9E3779B1 + k) ^ (right >> 3)) & mask
        left, right = right, left ^ f
    return ((left << half) | right) & ((1 << (2 * half)) - 1)


def _raw_index_shuffle(index, seed, max_index):
    idx_t = _t(index)
    idx = np.asarray(to_host(idx_t._v)).astype(np.int64)
    s = np.asarray(to_host(_t(seed)._v) if isinstance(seed, TensorBase) else seed)
    s = s.astype(np.int64)
    rows = max(idx.size, 1) if idx.ndim else 1
    if s.shape != (3,) and s.shape != (rows, 3):
        raise InvalidArgumentError(
            None, "RandomIndexShuffle", f"Seed must be a vector of size [3] or a matrix of "
            f"size [{rows}, 3] but got {list(s.shape)}. [Op:RandomIndexShuffle]")
    n = int(max_index) + 1
    bits = max(2, int(n - 1).bit_length())
    keys_of = np.broadcast_to(s.reshape(-1, 3), (rows, 3))
    flat = idx.reshape(-1)
    out = np.empty_like(flat)
    for i, v in enumerate(flat.tolist()):
        keys = [int(k) & 0xFFFFFFFF for k in keys_of[i]] + [0x5EED]
        y = _feistel(v, keys, bits)
        while y >= n:  # cycle-walk back into range
            y = _feistel(y, keys, bits)
        out[i] = y
    return wrap(out.reshape(idx.shape).astype(idx_t._v.dtype))


def index_shuffle(index, seed, max_index):
    """A keyed bijection of ``[0, max_index]`` (as ``tf.random_index_shuffle``, top level)
    keyed by a stateless seed of shape [2]
    (``tf.random.experimental.index_shuffle``).

    Args:
        index: a scalar or vector of indices in ``[0, max_index]``.
        seed: a shape [2] integer seed.
        max_index: the largest index.

    Returns:
        A tensor of ``index``'s shape and dtype.
    """
    s = np.asarray(to_host(_t(seed)._v)).astype(np.int64).reshape(-1)
    key = np.concatenate([s, [0x1D5]])  # a [2] seed makes the [3] key of the raw op
    return _raw_index_shuffle(index, key, max_index)


def stateless_shuffle(value, seed, alg="auto_select", name=None):
    """``value`` shuffled along its first axis, depending only on ``seed``.

    Args:
        value: a tensor.
        seed: a shape [2] integer seed.
        alg: accepted; tapeflow has one generator.
        name: unused.

    Returns:
        A tensor like ``value``.
    """
    v = _t(value)
    n = int(v.shape[0]) if v._v.ndim else 0
    return gather(v, _stateless_rng(seed, "shuffle").permutation(n).astype(np.int64))


# -- Sobol sequences ---------------------------------------------------------------------------
# Primitive polynomials (degree s, coefficient bits a) and initial direction numbers m for the
# dimensions after the first (Joe and Kuo's table, as TF uses).
_SOBOL = [(1, 0, [1]), (2, 1, [1, 3]), (3, 1, [1, 3, 1]), (3, 2, [1, 1, 1]),
          (4, 1, [1, 1, 3, 3]), (4, 4, [1, 3, 5, 13]), (5, 2, [1, 1, 5, 5, 17]),
          (5, 4, [1, 1, 5, 5, 5]), (5, 7, [1, 1, 7, 11, 19]), (5, 11, [1, 1, 5, 1, 1]),
          (5, 13, [1, 1, 1, 3, 11]), (5, 14, [1, 3, 5, 5, 31])]
_BITS = 32


def _directions(dim):
    v = np.zeros((dim, _BITS), np.uint64)
    v[0] = [1 << (_BITS - 1 - i) for i in range(_BITS)]
    for d in range(1, dim):
        s, a, m = _SOBOL[d - 1]
        mm = list(m)
        for i in range(s, _BITS):
            val = mm[i - s] ^ (mm[i - s] << s)
            for k in range(1, s):
                if (a >> (s - 1 - k)) & 1:
                    val ^= mm[i - k] << k
            mm.append(val)
        v[d] = [mm[i] << (_BITS - 1 - i) for i in range(_BITS)]
    return v


def sobol_sample(dim, num_results, skip=0, dtype=dtypes.float32, name=None):
    """Points of the Sobol low-discrepancy sequence in ``[0, 1)^dim`` (Gray-code order,
    starting after the origin and ``skip`` more points).

    Args:
        dim: the dimension (tapeflow carries direction numbers for up to 13).
        num_results: how many points.
        skip: how many points to skip first.
        dtype: float32 or float64.
        name: unused.

    Returns:
        A ``[num_results, dim]`` tensor.
    """
    dtype = dtypes.as_dtype(dtype)
    if dtype.name not in ("float32", "float64"):
        raise invalid("SobolSample", f"Value for attr 'dtype' of {dtype.name} is not in the "
                      "list of allowed values: float, double")
    dim, n, skip = int(dim), int(num_results), int(skip)
    if dim < 1:
        raise invalid("SobolSample", "dim must be at least one")
    if n < 1:
        raise invalid("SobolSample", "num_results must be at least one")
    if dim > len(_SOBOL) + 1:
        raise NotImplementedError(f"tf.math.sobol_sample: tapeflow has Sobol direction numbers "
                                  f"for up to {len(_SOBOL) + 1} dimensions, not {dim}")
    v = _directions(dim)
    x = np.zeros(dim, np.uint64)
    out = np.zeros((n, dim), np.float64)
    for i in range(1, skip + n + 1):
        c = ((i - 1) ^ i).bit_length() - 1  # the lowest zero bit of i - 1
        x = x ^ v[:, c]
        if i > skip:
            out[i - skip - 1] = x.astype(np.float64) / float(1 << _BITS)
    return wrap(out.astype(dtype._np))
