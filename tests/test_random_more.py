"""Issue 16's tf.random names (tapeflow/ops/sampling.py) against TF 2.21's recorded outcomes
(shapes, dtypes, errors and the values that do not depend on the generator), the laws the
draws follow, determinism under seeds, and the gamma draws' reparameterisation gradient."""
import numpy as np
import pytest

import tapeflow as tf
from tests.more_ops_parity import cases, check_case

CASES = cases("random_")
TRUE = tf.constant([[1, 2], [3, 4]], tf.int64)


@pytest.mark.parametrize("name,fn", CASES, ids=[n for n, _ in CASES])
def test_matches_tensorflow(name, fn):
    check_case(tf, name, fn)


def test_stateless_draws_depend_only_on_the_seed():
    for fn in (lambda s: tf.random.stateless_gamma([50], s, alpha=2.0),
               lambda s: tf.random.stateless_poisson([50], s, lam=3.0),
               lambda s: tf.random.stateless_binomial([50], s, counts=10.0, probs=0.3),
               lambda s: tf.random.stateless_parameterized_truncated_normal([50], s),
               lambda s: tf.random.split(s, 4), lambda s: tf.random.fold_in(s, 9)):
        np.testing.assert_array_equal(fn([1, 2]), fn([1, 2]))
        assert not np.array_equal(fn([1, 2]), fn([2, 1]))


def test_global_seed_repeats_stateful_draws():
    tf.random.set_seed(7)
    a = [tf.random.gamma([20], 1.5).numpy(), tf.random.poisson([20], 2.0).numpy()]
    tf.random.set_seed(7)
    b = [tf.random.gamma([20], 1.5).numpy(), tf.random.poisson([20], 2.0).numpy()]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_laws():
    tf.random.set_seed(1)
    g = tf.random.gamma([20000], [0.5, 3.0], beta=[2.0, 0.5], dtype=tf.float64).numpy()
    np.testing.assert_allclose(g.mean(0), [0.25, 6.0], rtol=0.05)
    p = tf.random.poisson([20000], [0.7, 4.0]).numpy()
    np.testing.assert_allclose(p.mean(0), [0.7, 4.0], rtol=0.05)
    b = tf.random.stateless_binomial([20000], [3, 4], counts=12.0, probs=0.25).numpy()
    assert abs(b.mean() - 3.0) < 0.1 and b.min() >= 0 and b.max() <= 12
    t = tf.random.stateless_parameterized_truncated_normal([20000], [5, 6], means=1.0,
                                                           stddevs=2.0, minvals=0.0,
                                                           maxvals=1.5).numpy()
    assert t.min() >= 0.0 and t.max() <= 1.5
    # mean of N(1, 2) truncated to [0, 1.5]
    a, b_ = -0.5, 0.25
    pdf = lambda z: np.exp(-z * z / 2) / np.sqrt(2 * np.pi)
    from math import erf
    cdf = lambda z: 0.5 * (1 + erf(z / np.sqrt(2)))
    want = 1.0 + 2.0 * (pdf(a) - pdf(b_)) / (cdf(b_) - cdf(a))
    assert abs(t.mean() - want) < 0.02


def test_gamma_reparameterisation_gradient():
    # d sample / d alpha, checked against finite differences of the inverse CDF at fixed u
    alpha = tf.constant([0.8, 2.5, 7.0], tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(alpha)
        x = tf.random.gamma([3], alpha, dtype=tf.float64, seed=4)
    grad = tape.gradient(x, alpha).numpy()
    u = tf.math.igamma(alpha, x)  # the uniform each draw came from

    def quantile(a):  # the inverse of igamma(a, .) at u, by bisection
        lo, hi = np.zeros((3, 3)), np.full((3, 3), 200.0)
        for _ in range(100):
            mid = 0.5 * (lo + hi)
            below = tf.math.igamma(a, tf.constant(mid)).numpy() < u.numpy()
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        return 0.5 * (lo + hi)
    h = 1e-5
    want = ((quantile(alpha + h) - quantile(alpha - h)) / (2 * h)).sum(axis=0)
    np.testing.assert_allclose(grad, want, rtol=1e-4)


def test_candidate_samplers():
    s, t, e = tf.random.uniform_candidate_sampler(TRUE, 2, 6, True, 8, seed=3)
    assert len(set(s.numpy().tolist())) == 6 and s.dtype == tf.int64
    # unique draws: expected count 1 - (1 - p)^tries, the same for every class
    tries = np.log1p(-t.numpy()[0, 0]) / np.log1p(-1 / 8)
    assert tries >= 6 and abs(tries - round(tries)) < 1e-3
    s, t, e = tf.random.log_uniform_candidate_sampler(TRUE, 2, 4, False, 10, seed=3)
    p = (np.log(s.numpy() + 2.0) - np.log(s.numpy() + 1.0)) / np.log(11.0)
    np.testing.assert_allclose(e, p * 4, rtol=1e-6)
    s, _, _ = tf.random.fixed_unigram_candidate_sampler(
        TRUE, 2, 50, False, 5, unigrams=[0.0, 1.0, 0.0, 1.0, 0.0], seed=2)
    assert set(s.numpy().tolist()) <= {1, 3}
    s, _, _ = tf.random.fixed_unigram_candidate_sampler(
        TRUE, 2, 40, False, 6, unigrams=[1.0] * 6, num_shards=2, shard=1, seed=2)
    assert all(v % 2 == 1 for v in s.numpy().tolist())


def test_index_shuffle_is_a_permutation():
    for n in (1, 7, 100, 1000):
        out = tf.random.experimental.index_shuffle(tf.range(n, dtype=tf.int64), [4, 5], n - 1)
        np.testing.assert_array_equal(np.sort(out.numpy()), np.arange(n))
    a = tf.random_index_shuffle(tf.range(50), [1, 2, 3], 49).numpy()
    assert not np.array_equal(a, np.arange(50))


def test_experimental_namespace():
    assert tf.random.experimental.Generator is tf.random.Generator
    assert tf.random.experimental.Algorithm is tf.random.Algorithm
    np.testing.assert_array_equal(tf.random.experimental.stateless_fold_in([1, 2], 3),
                                  tf.random.fold_in([1, 2], 3))


def test_traced_draws():
    @tf.function
    def draw(a):
        return tf.random.gamma([3], a, seed=2), tf.random.stateless_gamma([3], [1, 2], a)

    a = tf.constant(1.5)
    (g1, s1), (g2, s2) = draw(a), draw(a)
    assert not np.array_equal(g1, g2)  # a stateful draw runs afresh on every call
    np.testing.assert_array_equal(s1, s2)
