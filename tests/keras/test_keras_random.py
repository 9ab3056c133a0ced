"""``tf.keras.random``: names, seed semantics and errors recorded from TF 2.21 (Keras 3).

Sampled values come from NumPy keyed by the seed state, not TF's Philox, so these tests check
what TF guarantees (reproducibility, state advance, dtypes, shapes, supports, errors)."""
import numpy as np
import pytest

import tapeflow as tf

kr = tf.keras.random

# TF 2.21: [n for n in dir(tf.keras.random) if not n.startswith('_')]
TF_NAMES = ["SeedGenerator", "beta", "binomial", "categorical", "dropout", "gamma", "normal",
            "randint", "shuffle", "truncated_normal", "uniform"]


def test_names_match_tf():
    assert [n for n in dir(kr) if not n.startswith("_") and n in TF_NAMES] == TF_NAMES
    for n in TF_NAMES:
        assert callable(getattr(kr, n))


def test_seed_generator_state_and_sequence():
    sg = kr.SeedGenerator(42)
    # TF: <Variable path=seed_generator/seed_generator_state, shape=(2,), dtype=int64,
    # value=[42  0]>, trainable False
    assert sg.state.dtype == tf.int64 and tuple(sg.state.shape) == (2,)
    assert sg.state.numpy().tolist() == [42, 0]
    assert sg.state.trainable is False
    assert sg.state.name.split(":")[0] == "seed_generator_state"
    assert sg.name == "seed_generator" and sg.get_config() == {"seed": 42,
                                                                "name": "seed_generator"}
    a = kr.normal((2,), seed=sg)
    assert sg.state.numpy().tolist() == [42, 1]  # each draw advances the counter
    b = kr.normal((2,), seed=sg)
    assert sg.state.numpy().tolist() == [42, 2]
    assert not np.array_equal(a.numpy(), b.numpy())
    sg2 = kr.SeedGenerator(42)  # TF: the same seed replays the same sequence
    assert np.array_equal(kr.normal((2,), seed=sg2).numpy(), a.numpy())
    assert np.array_equal(kr.normal((2,), seed=sg2).numpy(), b.numpy())
    # TF: next() returns the state before advancing: [42 2], then the state is [42 3]
    nxt = sg.next()
    assert nxt.dtype == tf.int64 and nxt.numpy().tolist() == [42, 2]
    assert sg.state.numpy().tolist() == [42, 3]
    assert kr.SeedGenerator.from_config({"seed": 3}).state.numpy().tolist() == [3, 0]
    assert kr.SeedGenerator(5, name="abc").name == "abc"
    fresh = kr.SeedGenerator(None).state.numpy()
    assert fresh[1] == 0 and 1 <= fresh[0] <= 10**9


@pytest.mark.parametrize("bad", ["abc", 1.5, np.int64(3)])
def test_seed_generator_rejects_non_int_seeds(bad):
    with pytest.raises(ValueError, match=r"Argument `seed` must be an integer. Received: "
                                         r"seed=" + str(bad)):
        kr.SeedGenerator(bad)


@pytest.mark.parametrize("bad", ["x", np.int64(1), 1.5])
def test_draw_rejects_other_seeds(bad):
    with pytest.raises(ValueError, match="Argument `seed` must be either an integer or an "
                                         "instance of `SeedGenerator`"):
        kr.normal((2,), seed=bad)


def test_int_seed_is_reproducible_and_none_is_fresh():
    assert np.array_equal(kr.normal((3,), seed=1).numpy(), kr.normal((3,), seed=1).numpy())
    assert not np.array_equal(kr.normal((50,)).numpy(), kr.normal((50,)).numpy())
    # TF: truncated_normal(seed=1) equals normal(seed=1) where no value is redrawn
    n, t = kr.normal((3,), seed=1).numpy(), kr.truncated_normal((3,), seed=1).numpy()
    keep = np.abs(n) <= 2
    assert keep.any() and np.array_equal(n[keep], t[keep])
    assert np.all(np.abs(kr.truncated_normal((1000,), seed=2).numpy()) <= 2)


def test_sampler_dtypes_and_ranges():
    assert kr.normal((2,), seed=3).dtype == tf.float32
    assert kr.normal((2,), seed=3, dtype="float64").dtype == tf.float64
    assert kr.normal((2,), seed=3, dtype="float16").dtype == tf.float16
    assert kr.normal((2,), mean=5., stddev=0., seed=3).numpy().tolist() == [5., 5.]
    u = kr.uniform((1000,), minval=1, maxval=2, seed=1).numpy()
    assert u.dtype == np.float32 and u.min() >= 1 and u.max() < 2
    with pytest.raises(ValueError, match=r"`keras.random.uniform` requires a floating point "
                                         r"`dtype`. Received: dtype=int32"):
        kr.uniform((3,), dtype="int32", seed=1)
    r = kr.randint((1000,), 0, 10, seed=1)
    assert r.dtype == tf.int32 and set(r.numpy().tolist()) == set(range(10))
    assert kr.randint((2,), 0, 5, seed=1, dtype="int64").dtype == tf.int64
    with pytest.raises(ValueError, match=r"`keras.random.randint` requires an integer `dtype`. "
                                         r"Received: dtype=float32"):
        kr.randint((2,), 0, 5, seed=3, dtype="float32")
    c = kr.categorical(tf.math.log([[0.5, 0.5], [0.1, 0.9]]), 5, seed=1)
    assert c.dtype == tf.int32 and tuple(c.shape) == (2, 5)
    assert set(c.numpy().ravel().tolist()) <= {0, 1}
    assert kr.categorical([[0., 0.]], 3, seed=1, dtype="int64").dtype == tf.int64
    g, b, bi = kr.gamma((3,), 2., seed=1), kr.beta((3,), 2., 3., seed=1), \
        kr.binomial((3,), 10, 0.5, seed=1)
    assert g.dtype == b.dtype == bi.dtype == tf.float32  # TF: binomial counts are float32
    assert np.all(g.numpy() > 0) and np.all((b.numpy() > 0) & (b.numpy() < 1))
    counts = bi.numpy()
    assert np.all(counts == np.round(counts)) and np.all((counts >= 0) & (counts <= 10))
    assert np.array_equal(kr.gamma((3,), 2., seed=1).numpy(), g.numpy())


def test_dropout_and_shuffle():
    d = kr.dropout(tf.ones((1000,)), 0.5, seed=1).numpy()
    assert set(np.unique(d).tolist()) == {0., 2.}  # TF: [2. 0. 2. 0. 0. 0.] for shape (6,)
    assert 350 < (d == 0).sum() < 650
    noisy = kr.dropout(tf.ones((4, 50)), 0.5, noise_shape=(1, 50), seed=1).numpy()
    assert (noisy == noisy[0]).all()  # the noise is broadcast along the size-1 dimension
    assert kr.dropout(tf.ones((3,), tf.float64), 0.5, seed=1).dtype == tf.float64
    with pytest.raises(ValueError, match=r"`rate` must be a scalar tensor or a float in the "
                                         r"range \[0, 1\). Received: rate=1.5"):
        kr.dropout(tf.ones((3,)), 1.5, seed=1)
    s = kr.shuffle(tf.range(6), seed=1).numpy()
    assert sorted(s.tolist()) == list(range(6))
    assert np.array_equal(kr.shuffle(tf.range(6), seed=1).numpy(), s)
    m = kr.shuffle(np.arange(6).reshape(2, 3), axis=1, seed=1).numpy()
    # TF: [[1 2 0] [4 5 3]]: the same permutation of the columns in every row
    assert sorted(m[0].tolist()) == [0, 1, 2] and (m[1] - m[0] == 3).all()
    rows = kr.shuffle(np.arange(6).reshape(3, 2), axis=0, seed=1).numpy()
    assert sorted(rows[:, 0].tolist()) == [0, 2, 4] and (rows[:, 1] - rows[:, 0] == 1).all()


def test_seed_generator_in_a_layer_reproducible():
    class Noisy(tf.keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.sg = kr.SeedGenerator(7)

        def call(self, x):
            return x + kr.normal(tuple(x.shape), seed=self.sg)

    a, b = Noisy(), Noisy()
    x = tf.zeros((2,))
    first = a(x).numpy()
    assert not np.array_equal(a(x).numpy(), first)
    assert np.array_equal(b(x).numpy(), first)
    # TF 2.21: the generator's state is not among the layer's weights
    assert a.weights == [] and a.non_trainable_weights == [] and a.trainable_weights == []
