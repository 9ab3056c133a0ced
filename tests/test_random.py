"""tf.random: TF 2 seed semantics (global, op and stateless seeds, Generator), value ranges
and distributions, shuffle and categorical, errors for bad arguments."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tapeflow as tf
from tapeflow.ops.random import _rng


@pytest.fixture(autouse=True)
def _no_global_seed():
    tf.random.set_seed(None)
    yield
    tf.random.set_seed(None)


def draws():
    return [tf.random.uniform([4]).numpy(), tf.random.normal([4]).numpy(),
            tf.random.uniform([4]).numpy(), tf.random.truncated_normal([3]).numpy(),
            tf.random.shuffle(tf.range(10)).numpy(),
            tf.random.categorical([[0.0, 0.0, 0.0]], 8).numpy()]


# -- seed semantics ------------------------------------------------------------------------------
def test_set_seed_reproduces_sequence():
    tf.random.set_seed(42)
    first = draws()
    tf.random.set_seed(42)
    second = draws()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[2])  # successive calls differ
    tf.random.set_seed(43)
    assert not np.array_equal(draws()[0], first[0])


def test_op_seed_continues_one_stream_that_set_seed_restarts():
    tf.random.set_seed(1)
    x1, x2 = tf.random.uniform([3], seed=5), tf.random.uniform([3], seed=5)
    tf.random.set_seed(1)
    y1, y2 = tf.random.uniform([3], seed=5), tf.random.uniform([3], seed=5)
    np.testing.assert_array_equal(x1, y1)
    np.testing.assert_array_equal(x2, y2)
    assert not np.array_equal(x1, x2)
    tf.random.set_seed(1)
    assert not np.array_equal(tf.random.uniform([3], seed=6), x1)


def test_op_seeded_streams_are_per_op_and_leave_the_counter_alone():
    tf.random.set_seed(1)
    x1, x2 = tf.random.uniform([3], seed=5), tf.random.uniform([3], seed=5)
    tf.random.set_seed(1)
    z1 = tf.random.uniform([3], seed=5)
    tf.random.normal([3], seed=5)  # another op's stream
    tf.random.uniform([3])  # a globally seeded call
    z2 = tf.random.uniform([3], seed=5)
    np.testing.assert_array_equal(z1, x1)
    np.testing.assert_array_equal(z2, x2)
    tf.random.set_seed(1)
    v0 = tf.random.uniform([3])
    tf.random.set_seed(1)
    tf.random.uniform([3], seed=5)
    np.testing.assert_array_equal(tf.random.uniform([3]), v0)


def test_op_seed_without_global_seed_is_deterministic():
    a1, a2 = tf.random.normal([3], seed=7), tf.random.normal([3], seed=7)
    tf.random.set_seed(None)
    b1, b2 = tf.random.normal([3], seed=7), tf.random.normal([3], seed=7)
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert not np.array_equal(a1, a2)


def test_no_seed_gives_fresh_values():
    a = tf.random.uniform([8]).numpy()
    tf.random.set_seed(None)
    b = tf.random.uniform([8]).numpy()
    assert not np.array_equal(a, b)


def test_seed_accepts_tensors():
    tf.random.set_seed(tf.constant(3))
    a = tf.random.uniform([3], seed=tf.constant(4))
    tf.random.set_seed(3)
    np.testing.assert_array_equal(tf.random.uniform([3], seed=4), a)


def test_rng_helper():
    assert isinstance(_rng(), np.random.Generator)
    tf.random.set_seed(9)
    a = _rng(op="Init").random(3)
    b = _rng(op="Init").random(3)
    tf.random.set_seed(9)
    np.testing.assert_array_equal(_rng(op="Init").random(3), a)
    np.testing.assert_array_equal(_rng(op="Init").random(3), b)
    s = _rng(seed=3, op="Init")
    assert _rng(seed=3, op="Init") is s


# -- uniform, normal, truncated_normal -----------------------------------------------------------
@pytest.mark.parametrize("dtype", [tf.float16, tf.float32, tf.float64])
def test_uniform_float(dtype):
    x = tf.random.uniform([100, 100], dtype=dtype, seed=1)
    assert x.dtype == dtype and x.shape == (100, 100)
    v = x.numpy()
    assert v.min() >= 0 and v.max() < 1
    assert abs(v.astype(np.float64).mean() - 0.5) < 0.01
    y = tf.random.uniform([1000], minval=-3.0, maxval=5.0, dtype=dtype).numpy()
    assert y.min() >= -3 and y.max() < 5 and y.min() < -2.5 and y.max() > 4.5


@settings(max_examples=25, deadline=None)
@given(st.floats(-1e3, 1e3), st.floats(1e-3, 1e3), st.lists(st.integers(0, 4), max_size=3))
def test_uniform_in_range(lo, width, shape):
    x = tf.random.uniform(shape, minval=lo, maxval=lo + width, dtype=tf.float64).numpy()
    assert x.shape == tuple(shape)
    assert np.all(x >= lo) and np.all(x < lo + width)


@pytest.mark.parametrize("dtype", [tf.int32, tf.int64])
def test_uniform_int(dtype):
    x = tf.random.uniform([5000], minval=-3, maxval=4, dtype=dtype, seed=2)
    assert x.dtype == dtype
    assert set(x.numpy().tolist()) == set(range(-3, 4))


def test_uniform_tensor_bounds_broadcast():
    x = tf.random.uniform([1000, 2], maxval=tf.constant([1.0, 10.0])).numpy()
    assert x[:, 0].max() < 1 and x[:, 1].max() > 5 and x[:, 1].max() < 10


def test_uniform_shapes():
    assert tf.random.uniform([]).shape == ()
    assert tf.random.uniform(tf.constant([2, 3])).shape == (2, 3)
    assert tf.random.uniform(tf.TensorShape([2])).shape == (2,)
    assert tf.random.uniform([0, 3]).shape == (0, 3)
    x = tf.ones([4, 2])
    assert tf.random.normal([tf.shape(x)[0], 3]).shape == (4, 3)


def test_uniform_errors():
    with pytest.raises(ValueError, match="Must specify maxval for integer dtype tf.int32"):
        tf.random.uniform([2], dtype=tf.int32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Need minval < maxval, got 5 >= 5"):
        tf.random.uniform([2], minval=5, maxval=5, dtype=tf.int32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="minval must be 0-D"):
        tf.random.uniform([2], minval=tf.constant([0, 1]), maxval=5, dtype=tf.int32)
    with pytest.raises(TypeError, match="Cannot convert 5.0"):
        tf.random.uniform([2], maxval=5.0, dtype=tf.int32)
    for bad in (tf.bool, tf.uint8, tf.int16):
        with pytest.raises(ValueError, match="Accepted dtypes"):
            tf.random.uniform([2], maxval=5, dtype=bad)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Dimension -1 must be >= 0"):
        tf.random.uniform([-1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="vector"):
        tf.random.uniform(3)
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.random.uniform([2.0])


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_normal_statistics(dtype):
    x = tf.random.normal([200, 100], mean=3.0, stddev=2.0, dtype=dtype, seed=3)
    assert x.dtype == dtype
    v = x.numpy()
    assert abs(v.mean() - 3.0) < 0.05 and abs(v.std() - 2.0) < 0.05
    y = tf.random.normal([1000, 2], mean=tf.constant([0.0, 100.0])).numpy()
    assert abs(y[:, 1].mean() - 100) < 0.2


def test_normal_rejects_integer_dtype():
    with pytest.raises(TypeError, match="Cannot convert 0.0"):
        tf.random.normal([2], dtype=tf.int32)
    with pytest.raises(TypeError):
        tf.random.truncated_normal([2], dtype=tf.int32)


def test_truncated_normal_bounds_and_spread():
    v = tf.random.truncated_normal([100, 200], mean=1.0, stddev=0.5, seed=4).numpy()
    assert v.min() >= 0.0 and v.max() <= 2.0
    assert abs(v.mean() - 1.0) < 0.01
    assert abs(v.std() - 0.5 * 0.8796) < 0.01  # sd of a normal cut at +-2 sd
    h = tf.random.truncated_normal([1000], dtype=tf.float16).numpy()
    assert h.dtype == np.float16 and np.all(np.abs(h) <= 2)


# -- shuffle, categorical ------------------------------------------------------------------------
def test_shuffle_rows():
    x = np.arange(40).reshape(20, 2)
    y = tf.random.shuffle(x, seed=1).numpy()
    assert sorted(map(tuple, y)) == sorted(map(tuple, x))
    assert not np.array_equal(x, y)
    assert np.all(y[:, 1] == y[:, 0] + 1)  # rows move as a whole
    assert int(tf.random.shuffle(5)) == 5
    tf.random.set_seed(2)
    a = tf.random.shuffle(tf.range(30)).numpy()
    tf.random.set_seed(2)
    np.testing.assert_array_equal(tf.random.shuffle(tf.range(30)).numpy(), a)


def test_categorical_matches_probabilities():
    p = np.array([[0.1, 0.2, 0.7], [0.5, 0.0, 0.5]])
    with np.errstate(divide="ignore"):
        logits = np.log(p)
    s = tf.random.categorical(logits, 20000, seed=5)
    assert s.dtype == tf.int64 and s.shape == (2, 20000)
    freq = np.stack([np.bincount(r, minlength=3) / 20000 for r in s.numpy()])
    np.testing.assert_allclose(freq, p, atol=0.015)
    assert freq[1, 1] == 0  # -inf logit never drawn
    assert not np.all(s.numpy()[0, :-1] <= s.numpy()[0, 1:])  # not sorted


def test_categorical_edge_cases():
    s = tf.random.categorical([[-np.inf, -np.inf], [0.0, -np.inf]], 4, dtype=tf.int32)
    assert s.dtype == tf.int32
    assert s.numpy().tolist() == [[2, 2, 2, 2], [0, 0, 0, 0]]  # TF: num_classes if no logit
    assert tf.random.categorical([[0.0, 0.0]], 0).shape == (1, 0)
    assert tf.random.categorical(tf.zeros([0, 3]), 2).shape == (0, 2)


def test_categorical_errors():
    with pytest.raises(ValueError, match="Accepted dtypes are"):
        tf.random.categorical([[0.0, 0.0]], 3, dtype=tf.float32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="should be a matrix"):
        tf.random.categorical([0.0, 0.0], 3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="non-negative, got -1"):
        tf.random.categorical([[0.0, 0.0]], -1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_classes should be positive"):
        tf.random.categorical(tf.zeros([2, 0]), 3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32"):
        tf.random.categorical([[0, 0]], 3)


# -- stateless and Generator ---------------------------------------------------------------------
def test_stateless_ops_are_pure():
    for fn in (tf.random.stateless_uniform, tf.random.stateless_normal,
               tf.random.stateless_truncated_normal):
        a = fn([5], seed=[1, 2]).numpy()
        np.testing.assert_array_equal(fn([5], seed=tf.constant([1, 2], tf.int64)).numpy(), a)
        assert not np.array_equal(fn([5], seed=[1, 3]).numpy(), a)
    tf.random.set_seed(3)  # the global seed plays no part
    a = tf.random.stateless_categorical([[0.0, 0.0, 0.0]], 10, seed=[4, 5]).numpy()
    tf.random.set_seed(4)
    np.testing.assert_array_equal(
        tf.random.stateless_categorical([[0.0, 0.0, 0.0]], 10, seed=[4, 5]).numpy(), a)


def test_stateless_ints_and_errors():
    x = tf.random.stateless_uniform([1000], seed=[1, 2], minval=0, maxval=10, dtype=tf.int32)
    assert x.dtype == tf.int32 and set(x.numpy().tolist()) == set(range(10))
    full = tf.random.stateless_uniform([4], seed=[1, 2], minval=None, maxval=None,
                                       dtype=tf.int64)
    assert full.dtype == tf.int64
    with pytest.raises(ValueError, match="must be both None or not None"):
        tf.random.stateless_uniform([2], seed=[1, 2], dtype=tf.int32)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"seed must have shape \[2\]"):
        tf.random.stateless_uniform([2], seed=[1, 2, 3])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"not \[\]"):
        tf.random.stateless_normal([2], seed=1)


def test_generator():
    g1, g2 = tf.random.Generator.from_seed(1), tf.random.Generator.from_seed(1)
    a = g1.normal([4])
    np.testing.assert_array_equal(a, g2.normal([4]))
    assert not np.array_equal(a, g1.normal([4]))
    u = g1.uniform([1000], minval=2, maxval=5, dtype=tf.int64).numpy()
    assert u.dtype == np.int64 and set(u.tolist()) == {2, 3, 4}
    assert np.all(np.abs(g1.truncated_normal([500]).numpy()) <= 2)
    f = g1.uniform([3], dtype=tf.float64)
    assert f.dtype == tf.float64 and np.all((f.numpy() >= 0) & (f.numpy() < 1))
    g1.reset_from_seed(1)
    np.testing.assert_array_equal(g1.normal([4]), a)
    c1, c2 = g1.split(2)
    assert not np.array_equal(c1.normal([4]), c2.normal([4]))
    assert g1.make_seeds(3).shape == (2, 3)
    with pytest.raises(ValueError, match="both `None` or both non-`None`"):
        g1.uniform([2], dtype=tf.int32)
    fresh = tf.random.Generator.from_non_deterministic_state()
    assert not np.array_equal(fresh.normal([4]), tf.random.Generator.from_seed(1).normal([4]))
    assert isinstance(tf.random.get_global_generator(), tf.random.Generator)
    tf.random.set_global_generator(tf.random.Generator.from_seed(1))
    np.testing.assert_array_equal(tf.random.get_global_generator().normal([4]), a)


def test_namespace():
    for name in ("set_seed", "uniform", "normal", "truncated_normal", "shuffle", "categorical",
                 "stateless_uniform", "stateless_normal", "Generator"):
        assert hasattr(tf.random, name), name


def _seed_pattern(mod):
    """Which of a scripted sequence of seeded draws equal which (TF-independent of bits)."""
    out = []
    for g in (1, None):
        mod.random.set_seed(g)
        out += [mod.random.uniform([3], seed=5), mod.random.uniform([3]),
                mod.random.normal([3], seed=5), mod.random.uniform([3], seed=5),
                mod.random.uniform([3])]
        mod.random.set_seed(g)
        out += [mod.random.uniform([3], seed=5), mod.random.uniform([3], seed=5),
                mod.random.uniform([3]), mod.random.uniform([3])]
    vals = [o.numpy() for o in out]
    return [[np.array_equal(a, b) for b in vals] for a in vals]


def test_seed_semantics_parity_with_tensorflow():
    real = pytest.importorskip("tensorflow")
    try:
        assert _seed_pattern(tf) == _seed_pattern(real)
    finally:
        real.random.set_seed(None)
