"""Dataset transformations: map/filter, shuffle buffers and seeds, batching, counting, cache."""
import numpy as np
import pytest

import tapeflow as tf
from tapeflow.data import TensorSpec

X = np.arange(24, dtype=np.float32).reshape(6, 4)
Y = np.arange(6, dtype=np.int64)


def values(ds):
    return list(ds.as_numpy_iterator())


# -- map / filter -------------------------------------------------------------------------------
def test_map_receives_tensors_and_unpacks_tuples():
    seen = []

    def fn(x, y):
        seen.append((type(x), type(y)))
        return {"s": tf.reduce_sum(x), "y": y + 1}

    ds = tf.data.Dataset.from_tensor_slices((X, Y)).map(fn)
    assert ds.element_spec == {"s": TensorSpec((), tf.float32), "y": TensorSpec((), tf.int64)}
    out = values(ds)
    assert [o["y"] for o in out] == list(range(1, 7)) and out[1]["s"] == X[1].sum()
    assert all(t == (tf.Tensor, tf.Tensor) for t in seen)


def test_map_dict_argument_list_result_and_constants():
    ds = tf.data.Dataset.from_tensor_slices({"x": X, "y": Y}).map(lambda d: [d["y"], 7])
    assert ds.element_spec == (TensorSpec((), tf.int64), TensorSpec((), tf.int32))
    assert values(ds)[3] == (3, 7)


def test_map_num_parallel_calls_keeps_order():
    ds = tf.data.Dataset.range(200).map(lambda x: x * 2, num_parallel_calls=tf.data.AUTOTUNE,
                                        deterministic=True)
    assert values(ds) == [2 * i for i in range(200)]
    ds = tf.data.Dataset.range(50).filter(lambda x: x % 2 == 0).map(
        lambda x: x + 1, num_parallel_calls=4)
    assert values(ds) == list(range(1, 50, 2))


def test_filter_and_predicate_errors():
    ds = tf.data.Dataset.range(20).filter(lambda x: x % 3 == 0)
    assert values(ds) == [0, 3, 6, 9, 12, 15, 18]
    assert [b.tolist() for b in values(ds.batch(3))] == [[0, 3, 6], [9, 12, 15], [18]]
    with pytest.raises(ValueError, match="scalar boolean"):
        values(tf.data.Dataset.range(3).filter(lambda x: x))


def test_take_while_reduce_apply():
    assert values(tf.data.Dataset.range(10).take_while(lambda x: x < 4)) == [0, 1, 2, 3]
    total = tf.data.Dataset.range(5).reduce(np.int64(0), lambda s, x: s + x)
    assert int(total) == 10
    ds = tf.data.Dataset.range(4).apply(lambda d: d.map(lambda x: x * 10))
    assert values(ds) == [0, 10, 20, 30]
    with pytest.raises(TypeError):
        tf.data.Dataset.range(4).apply(lambda d: 3)


def test_flat_map_interleave_window():
    assert values(tf.data.Dataset.range(4).flat_map(lambda x: tf.data.Dataset.range(x))) == \
        [0, 0, 1, 0, 1, 2]
    ds = tf.data.Dataset.range(1, 4).interleave(
        lambda x: tf.data.Dataset.from_tensors(x).repeat(4), cycle_length=2, block_length=3)
    assert values(ds) == [1, 1, 1, 2, 2, 2, 1, 2, 3, 3, 3, 3]  # as TF 2.21 gives
    w = tf.data.Dataset.range(7).window(3, shift=2).flat_map(lambda w: w.batch(3))
    assert [a.tolist() for a in values(w)] == [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6]]


# -- shuffle --------------------------------------------------------------------------------------
def _orders(ds, n=3):
    return [values(ds) for _ in range(n)]


@pytest.mark.parametrize("source", ["slices", "generator"])
def test_shuffle_is_a_buffer_not_a_permutation(source):
    n, k = 400, 10
    if source == "slices":
        ds = tf.data.Dataset.range(n)
    else:
        ds = tf.data.Dataset.from_generator(lambda: iter(range(n)),
                                            output_signature=TensorSpec((), tf.int64))
    for order in _orders(ds.shuffle(k, seed=1), 3):
        assert sorted(order) == list(range(n))
        # output j can only be one of the first j + k inputs
        assert all(v < j + k for j, v in enumerate(order))
        assert order != list(range(n))
    # with buffer 1 nothing moves
    assert values(ds.shuffle(1)) == list(range(n))


def test_shuffle_uniform_over_buffer():
    counts = np.zeros(5)
    ds = tf.data.Dataset.range(5).shuffle(5, seed=7)
    for _ in range(400):
        counts[values(ds)[0]] += 1
    assert counts.min() > 40  # each of the 5 buffered elements comes first ~80 times


def test_shuffle_seed_and_reshuffle_each_iteration():
    a = tf.data.Dataset.range(50).shuffle(20, seed=3)
    o1, o2 = values(a), values(a)
    assert o1 != o2  # reshuffled every iteration
    b = tf.data.Dataset.range(50).shuffle(20, seed=3)
    assert values(b) == o1 and values(b) == o2  # same seed, same sequence of orders
    c = tf.data.Dataset.range(50).shuffle(20, seed=3, reshuffle_each_iteration=False)
    assert values(c) == values(c)
    d = tf.data.Dataset.range(50).shuffle(20, seed=4)
    assert values(d) != o1


def test_shuffle_then_batch_and_repeat_cover_every_element():
    ds = tf.data.Dataset.from_tensor_slices((X, Y)).shuffle(4, seed=0).batch(4)
    batches = values(ds)
    assert [b[1].shape[0] for b in batches] == [4, 2]
    ys = np.concatenate([b[1] for b in batches])
    assert sorted(ys.tolist()) == list(range(6))
    for x, y in batches:  # rows stay aligned across components
        np.testing.assert_array_equal(x, X[y])
    epochs = values(tf.data.Dataset.range(6).shuffle(6, seed=1).repeat(3))
    assert [sorted(epochs[i:i + 6]) for i in (0, 6, 12)] == [list(range(6))] * 3
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.data.Dataset.range(3).shuffle(0)


# -- batching -----------------------------------------------------------------------------------
def test_batch_remainders_and_specs():
    ds = tf.data.Dataset.range(10)
    assert [b.tolist() for b in values(ds.batch(4))] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [b.tolist() for b in values(ds.batch(4, drop_remainder=True))] == \
        [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert ds.batch(4).element_spec == TensorSpec((None,), tf.int64)
    assert ds.batch(4, True).element_spec == TensorSpec((4,), tf.int64)
    assert len(ds.batch(4)) == 3 and len(ds.batch(4, True)) == 2
    assert values(ds.batch(20, drop_remainder=True)) == []
    with pytest.raises(tf.errors.InvalidArgumentError):
        ds.batch(0)


def test_batch_ragged_elements_fails_like_tf_and_padded_batch_pads():
    def gen():
        for i in range(5):
            yield np.arange(i, dtype=np.int32)

    ds = tf.data.Dataset.from_generator(gen, output_signature=TensorSpec((None,), tf.int32))
    with pytest.raises(tf.errors.InvalidArgumentError, match="different shapes"):
        values(ds.batch(2))
    padded = values(ds.padded_batch(2))
    assert [p.tolist() for p in padded] == [[[0], [0]], [[0, 1, 0], [0, 1, 2]], [[0, 1, 2, 3]]]
    ds2 = ds.padded_batch(2, padded_shapes=[6], padding_values=-1, drop_remainder=True)
    assert ds2.element_spec == TensorSpec((2, 6), tf.int32)
    assert values(ds2)[1].tolist() == [[0, 1, -1, -1, -1, -1], [0, 1, 2, -1, -1, -1]]
    # TF 2.21: DataLossError "Attempted to pad to a smaller size than the input element."
    with pytest.raises(tf.errors.DataLossError, match="smaller"):
        values(ds.padded_batch(2, padded_shapes=[2]))


def test_unbatch_rebatch_roundtrip():
    ds = tf.data.Dataset.from_tensor_slices((X, Y)).batch(4)
    un = ds.unbatch()
    assert un.element_spec == (TensorSpec((4,), tf.float32), TensorSpec((), tf.int64))
    assert [int(y) for _, y in values(un)] == list(range(6))
    assert [b.tolist() for b in values(tf.data.Dataset.range(10).batch(4).rebatch(3))] == \
        [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    with pytest.raises(ValueError):
        tf.data.Dataset.range(3).unbatch()


# -- counting -----------------------------------------------------------------------------------
def test_repeat_take_skip_interplay():
    r = tf.data.Dataset.range(4)
    assert values(r.repeat().take(10)) == [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]
    assert values(r.take(2).repeat(3)) == [0, 1] * 3
    assert [b.tolist() for b in values(tf.data.Dataset.range(5).repeat(3).batch(4))] == \
        [[0, 1, 2, 3], [4, 0, 1, 2], [3, 4, 0, 1], [2, 3, 4]]
    assert [b.tolist() for b in values(tf.data.Dataset.range(5).batch(4).repeat(2))] == \
        [[0, 1, 2, 3], [4], [0, 1, 2, 3], [4]]
    assert values(r.skip(3)) == [3] and values(r.skip(-1)) == [] and values(r.take(-1)) == \
        [0, 1, 2, 3]
    assert values(r.repeat(2).skip(3).take(3)) == [3, 0, 1]
    assert values(tf.data.Dataset.range(0).repeat()) == []  # does not spin forever
    assert len(r.repeat(0)) == 0 and values(r.repeat(0)) == []


def test_shard_enumerate():
    assert values(tf.data.Dataset.range(11).shard(4, 3)) == [3, 7]
    assert len(tf.data.Dataset.range(10).shard(3, 1)) == 3
    assert values(tf.data.Dataset.range(10).filter(lambda x: x < 8).shard(3, 0)) == [0, 3, 6]
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.data.Dataset.range(10).shard(2, 2)
    e = values(tf.data.Dataset.from_tensor_slices(Y[:3]).enumerate(5))
    assert e == [(5, 0), (6, 1), (7, 2)]


# -- cache --------------------------------------------------------------------------------------
def test_cache_in_memory_runs_the_pipeline_once():
    calls = []

    def gen():
        calls.append(1)
        yield from range(4)

    ds = tf.data.Dataset.from_generator(gen, output_signature=TensorSpec((), tf.int64)).map(
        lambda x: x * x).cache()
    assert values(ds) == [0, 1, 4, 9] and values(ds) == [0, 1, 4, 9]
    assert len(calls) == 1
    # a partial pass is not cached
    ds2 = tf.data.Dataset.from_generator(gen, output_signature=TensorSpec((), tf.int64)).cache()
    calls.clear()
    next(iter(ds2))
    assert values(ds2) == [0, 1, 2, 3] and values(ds2) == [0, 1, 2, 3] and len(calls) == 2


def test_cache_to_file_is_reused_by_a_new_pipeline(tmp_path):
    calls = []

    def gen():
        calls.append(1)
        for i in range(5):
            yield np.arange(i, dtype=np.float32), i

    sig = (TensorSpec((None,), tf.float32), TensorSpec((), tf.int32))
    path = str(tmp_path / "cache" / "ds")
    first = values(tf.data.Dataset.from_generator(gen, output_signature=sig).cache(path))
    again = values(tf.data.Dataset.from_generator(gen, output_signature=sig).cache(path))
    assert len(calls) == 1
    assert [(a.tolist(), int(b)) for a, b in first] == [(a.tolist(), int(b)) for a, b in again]
    assert not [p for p in (tmp_path / "cache").iterdir() if ".tmp" in p.name]
    (tmp_path / "cache" / "ds.tapeflow-cache.npz").write_bytes(b"garbage")
    with pytest.raises(tf.errors.DataLossError, match="cannot be read"):
        values(tf.data.Dataset.from_generator(gen, output_signature=sig).cache(path))


def test_options_are_accepted():
    opts = tf.data.Options()
    opts.experimental_deterministic = False
    ds = tf.data.Dataset.range(3).with_options(opts)
    assert values(ds) == [0, 1, 2] and ds.options() == opts and len(ds) == 3
    assert ds.options().deterministic is False


def test_shuffle_follows_the_global_seed():
    def orders():
        a = tf.data.Dataset.range(30).shuffle(30)
        b = tf.data.Dataset.range(30).shuffle(30)
        return values(a), values(a), values(b)

    tf.random.set_seed(5)
    first = orders()
    tf.random.set_seed(5)
    assert orders() == first  # reproducible program-wide
    assert first[0] != first[1] and first[0] != first[2]
    tf.random.set_seed(6)
    assert orders() != first
    tf.random.set_seed(None)


def test_in_memory_shuffle_matches_the_streaming_buffer_distribution():
    # from_tensor_slices shuffles indices on whole arrays; a generator goes element by element
    n, k, reps = 10, 3, 1500
    fast = tf.data.Dataset.range(n).shuffle(k, seed=1)
    slow = tf.data.Dataset.from_generator(lambda: iter(range(n)),
                                          output_signature=TensorSpec((), tf.int64)).shuffle(k,
                                                                                             seed=2)
    counts = {}
    for name, ds in (("fast", fast), ("slow", slow)):
        m = np.zeros((n, n))
        for _ in range(reps):
            for pos, v in enumerate(values(ds)):
                m[pos, v] += 1
        counts[name] = m / reps
    assert np.abs(counts["fast"] - counts["slow"]).max() < 0.06
    assert np.allclose(counts["fast"][0, :k], 1 / k, atol=0.05) and counts["fast"][0, k:].sum() == 0


def test_filter_on_in_memory_blocks_equals_per_element():
    data = np.random.default_rng(0).standard_normal((1000, 3)).astype(np.float32)
    labels = np.arange(1000) % 7
    pred = lambda x, y: tf.logical_and(tf.reduce_sum(x) > 0.0, y != 3)
    fast = tf.data.Dataset.from_tensor_slices((data, labels)).filter(pred)
    want = [i for i in range(1000) if data[i].sum() > 0 and labels[i] != 3]
    got = values(fast)
    assert [int(np.where((data == x).all(1))[0][0]) for x, _ in got] == want
    assert [int(y) for y in np.concatenate([b[1] for b in values(fast.batch(64))])] == \
        [int(labels[i]) for i in want]
    with pytest.raises(ValueError, match="scalar boolean"):
        values(tf.data.Dataset.from_tensor_slices(data).filter(lambda x: x > 0))
    branchy = tf.data.Dataset.range(300).filter(lambda x: bool(x % 5 == 0) and x > 100)
    assert values(branchy) == list(range(105, 300, 5))


def test_cached_uniform_elements_become_in_memory_slices(tmp_path):
    calls = []

    def gen():
        calls.append(1)
        for i in range(50):
            yield np.full(3, i, np.float32), i

    sig = (TensorSpec((3,), tf.float32), TensorSpec((), tf.int32))
    ds = tf.data.Dataset.from_generator(gen, output_signature=sig).cache()
    assert len(values(ds)) == 50 and ds.cardinality().numpy() == -2  # static, as in TF
    shuffled = values(ds.shuffle(10, seed=0).batch(16))
    ys = np.concatenate([b[1] for b in shuffled])
    assert sorted(ys.tolist()) == list(range(50)) and ys.tolist() != list(range(50))
    for x, y in shuffled:
        np.testing.assert_array_equal(x[:, 0], y.astype(np.float32))
    assert len(calls) == 1
    empty = tf.data.Dataset.range(0).cache(str(tmp_path / "empty"))
    assert values(empty) == [] and values(tf.data.Dataset.range(0).cache(
        str(tmp_path / "empty"))) == []


def test_in_memory_compositions_under_shuffle_and_batch():
    a = tf.data.Dataset.from_tensor_slices((X, Y))
    b = tf.data.Dataset.from_tensor_slices((X + 100.0, Y + 100))
    both = a.concatenate(b).shuffle(12, seed=0).batch(5)
    got = values(both)
    ys = np.concatenate([y for _, y in got])
    assert sorted(ys.tolist()) == list(range(6)) + list(range(100, 106))
    for x, y in got:
        np.testing.assert_array_equal(x, np.where((y >= 100)[:, None], X[y % 100] + 100.0,
                                                  X[y % 100]))
    mixed = tf.data.Dataset.zip((tf.data.Dataset.range(7),
                                 tf.data.Dataset.range(10).filter(lambda v: v % 2 == 0)))
    assert [p[1].tolist() for p in values(mixed.batch(2))] == [[0, 2], [4, 6], [8]]
    sk = values(a.skip(2).take(3).shard(2, 0).repeat(2).shuffle(4, seed=1).batch(8))
    assert sorted(sk[0][1].tolist()) == [2, 2, 4, 4]
