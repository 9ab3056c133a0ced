"""Dataset sources: structures, element_spec, cardinality and values."""
import collections

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.data import TensorSpec

X = np.arange(24, dtype=np.float32).reshape(6, 4)
Y = np.arange(6, dtype=np.int64)


def values(ds):
    return list(ds.as_numpy_iterator())


def test_from_tensor_slices_tuple_yields_tensors():
    ds = tf.data.Dataset.from_tensor_slices((X, Y))
    assert ds.element_spec == (TensorSpec((4,), tf.float32), TensorSpec((), tf.int64))
    items = list(ds)
    assert len(items) == 6
    x, y = items[2]
    assert isinstance(x, tf.Tensor) and isinstance(y, tf.Tensor)
    np.testing.assert_array_equal(x.numpy(), X[2])
    assert y.numpy() == 2 and y.dtype == tf.int64


def test_from_tensor_slices_dict_nested_and_sorted_keys():
    ds = tf.data.Dataset.from_tensor_slices({"b": X, "a": (Y, Y * 2)})
    spec = ds.element_spec
    assert list(spec) == ["b", "a"]  # the caller's dict, keys kept
    assert spec["a"][1] == TensorSpec((), tf.int64)
    first = next(iter(ds))
    assert first["a"][1].numpy() == 0 and first["b"].shape == (4,)


def test_from_tensor_slices_lists_are_tensors_and_namedtuples_kept():
    ds = tf.data.Dataset.from_tensor_slices([[1, 2], [3, 4], [5, 6]])
    assert ds.element_spec == TensorSpec((2,), tf.int32)
    assert [v.tolist() for v in values(ds)] == [[1, 2], [3, 4], [5, 6]]
    Point = collections.namedtuple("Point", "x y")
    ds = tf.data.Dataset.from_tensor_slices(Point(X, Y))
    p = next(iter(ds))
    assert isinstance(p, Point) and p.y.numpy() == 0


def test_from_tensor_slices_from_tensors_input_and_copy():
    src = X.copy()
    ds = tf.data.Dataset.from_tensor_slices(tf.constant(src))
    src[:] = -1  # the dataset holds its own copy
    np.testing.assert_array_equal(values(ds)[0], X[0])


def test_from_tensor_slices_errors():
    with pytest.raises(ValueError, match="Dimensions 6 and 5"):
        tf.data.Dataset.from_tensor_slices((X, Y[:5]))
    with pytest.raises(ValueError):
        tf.data.Dataset.from_tensor_slices(3)


def test_from_tensors_range_and_dtypes():
    ds = tf.data.Dataset.from_tensors((X, 1.5))
    assert len(ds) == 1 and ds.element_spec[1] == TensorSpec((), tf.float32)
    assert values(tf.data.Dataset.range(2, 20, 3)) == [2, 5, 8, 11, 14, 17]
    assert values(tf.data.Dataset.range(10, 0, -4)) == [10, 6, 2]
    r = tf.data.Dataset.range(3, dtype=tf.int32)
    assert r.element_spec.dtype == tf.int32 and next(iter(r)).dtype == tf.int32


def test_from_generator_signature_and_errors():
    def gen():
        for i in range(4):
            yield np.arange(i), i * 0.5

    sig = (TensorSpec((None,), tf.int32), TensorSpec((), tf.float32))
    ds = tf.data.Dataset.from_generator(gen, output_signature=sig)
    assert ds.element_spec == sig and ds.cardinality().numpy() == -2
    out = values(ds)
    assert [a.tolist() for a, _ in out] == [[], [0], [0, 1], [0, 1, 2]]
    assert out[3][0].dtype == np.int32 and out[3][1] == np.float32(1.5)
    # the generator is called afresh for every iteration
    assert len(values(ds)) == 4

    bad = tf.data.Dataset.from_generator(lambda: iter([[1, 2]]),
                                         output_signature=TensorSpec((3,), tf.int32))
    with pytest.raises(tf.errors.InvalidArgumentError, match="shape"):
        values(bad)
    with pytest.raises(TypeError):
        tf.data.Dataset.from_generator(gen)


def test_from_generator_output_types_and_args():
    ds = tf.data.Dataset.from_generator(lambda n: iter(range(int(n))), output_types=tf.int64,
                                        output_shapes=(), args=(3,))
    assert values(ds) == [0, 1, 2]


def test_zip_and_concatenate():
    a, b = tf.data.Dataset.range(5), tf.data.Dataset.from_tensor_slices(X)
    z = tf.data.Dataset.zip((a, b))
    assert len(z) == 5 and values(z)[4][0] == 4
    z2 = tf.data.Dataset.zip(a, b)  # TF >= 2.13 also takes positional datasets
    assert len(z2) == 5
    zd = tf.data.Dataset.zip({"a": a, "b": b.batch(2)})
    assert len(zd) == 3 and values(zd)[2]["b"].shape == (2, 4)
    c = tf.data.Dataset.range(3).concatenate(tf.data.Dataset.range(10, 12))
    assert values(c) == [0, 1, 2, 10, 11] and len(c) == 5
    with pytest.raises(TypeError):
        tf.data.Dataset.range(3).concatenate(tf.data.Dataset.from_tensor_slices(X))


def test_cardinality_len_and_constants():
    ds = tf.data.Dataset.range(5)
    assert tf.data.INFINITE_CARDINALITY == -1 and tf.data.UNKNOWN_CARDINALITY == -2
    assert tf.data.experimental.INFINITE_CARDINALITY == -1
    assert tf.data.AUTOTUNE == tf.data.experimental.AUTOTUNE == -1
    assert ds.repeat().cardinality().numpy() == tf.data.INFINITE_CARDINALITY
    assert ds.filter(lambda x: x > 2).cardinality().numpy() == tf.data.UNKNOWN_CARDINALITY
    assert tf.data.experimental.cardinality(ds.batch(2)).numpy() == 3
    with pytest.raises(TypeError, match="infinite"):
        len(ds.repeat())
    with pytest.raises(TypeError, match="unknown"):
        len(ds.filter(lambda x: x > 2))
    assert bool(ds.repeat())  # truthiness never asks for the length
    assert len(ds.repeat().take(3)) == 3 and len(ds.repeat(2).skip(3)) == 7
    assert len(ds.shuffle(3)) == 5 and len(ds.batch(2, drop_remainder=True)) == 2


def test_tensor_spec():
    s = TensorSpec((None, 3), tf.float32, "x")
    assert repr(s) == "TensorSpec(shape=(None, 3), dtype=tf.float32, name='x')"
    assert s.is_compatible_with(tf.zeros((2, 3)))
    assert s.is_compatible_with(TensorSpec((5, 3), tf.float32))
    assert not s.is_compatible_with(tf.zeros((2, 4)))
    assert not s.is_compatible_with(TensorSpec((5, 3), tf.int32))
    assert not s.is_compatible_with(np.zeros((2, 3), np.float64))
    assert s.shape.as_list() == [None, 3] and s.dtype == tf.float32 and s.name == "x"
    assert TensorSpec.from_tensor(tf.constant([1, 2])) == TensorSpec((2,), tf.int32)
    assert s != TensorSpec((None, 3), tf.float32) and hash(s) == hash(TensorSpec((None, 3),
                                                                                  name="x"))


def test_iterator_protocol_and_numpy_iterator():
    ds = tf.data.Dataset.range(2)
    it = iter(ds)
    assert it.get_next().numpy() == 0 and next(it).numpy() == 1
    with pytest.raises(tf.errors.OutOfRangeError):
        it.get_next()
    n = ds.as_numpy_iterator()
    assert isinstance(next(n), np.int64) and repr(n).startswith("NumpyIterator")
    assert "RangeDataset" in repr(ds) and "element_spec" in repr(ds)


def test_from_generator_args_are_numpy_and_lists_fit_tuples():
    seen = []

    def gen(n, scale):
        seen.append((type(n), type(scale)))
        for i in range(int(n)):
            yield [i, float(i) * scale]

    sig = (TensorSpec((), tf.int32), TensorSpec((), tf.float32))
    ds = tf.data.Dataset.from_generator(gen, output_signature=sig, args=(3, np.float32(0.5)))
    assert values(ds) == [(0, 0.0), (1, 0.5), (2, 1.0)]
    assert all(not isinstance(t, tf.Tensor) for pair in seen for t in pair)
    assert seen and all(issubclass(t, np.generic) for pair in seen for t in pair)


def test_window_of_ragged_elements():
    def gen():
        for i in range(5):
            yield np.arange(i, dtype=np.int32)

    ds = tf.data.Dataset.from_generator(gen, output_signature=TensorSpec((None,), tf.int32))
    out = values(ds.window(2).flat_map(lambda w: w.padded_batch(2)))
    assert [o.tolist() for o in out] == [[[0], [0]], [[0, 1, 0], [0, 1, 2]], [[0, 1, 2, 3]]]
    with pytest.raises(TypeError):
        ds.window(2).as_numpy_iterator()


def test_counter_choose_sample_scan_unique():
    r = tf.data.Dataset.range
    assert values(tf.data.Dataset.counter(3, 2).take(4)) == [3, 5, 7, 9]
    assert tf.data.Dataset.counter().cardinality().numpy() == tf.data.INFINITE_CARDINALITY
    choice = tf.data.Dataset.from_tensor_slices(np.array([0, 1, 1, 0, 0, 0, 1], np.int64))
    assert values(tf.data.Dataset.choose_from_datasets([r(3), r(10, 13)], choice)) == \
        [0, 10, 11, 1, 2]  # stops when dataset 0 runs out
    with pytest.raises(TypeError):
        tf.data.Dataset.choose_from_datasets([r(3)], r(3).map(lambda x: tf.cast(x, tf.int32)))
    mixed = values(tf.data.Dataset.sample_from_datasets([r(50), r(100, 150)], [0.5, 0.5],
                                                         seed=3))
    assert sorted(mixed) == list(range(50)) + list(range(100, 150))
    assert [v for v in mixed if v < 100] == list(range(50))  # each input keeps its order
    assert values(r(5).scan(np.int64(0), lambda s, x: (s + x, s * 2))) == [0, 0, 2, 6, 12]
    uniq = tf.data.Dataset.from_tensor_slices(np.array([3, 1, 3, 2, 1], np.int32)).unique()
    assert values(uniq) == [3, 1, 2]


def test_numpy_str_and_bytes_arrays_slice_into_string_tensors_string_ops_accept():
    """NumPy ``<U``/``S`` arrays become string tensors as tf.constant makes them (bytes),
    so tf.strings ops take their elements and batches inside ``map``."""
    for texts in (np.array(["Ab", "cD"]), np.array([b"Ab", b"cD"])):
        ds = tf.data.Dataset.from_tensor_slices((texts, np.array([1, 0])))
        assert ds.element_spec[0] == TensorSpec((), tf.string)
        assert values(ds.map(lambda x, y: tf.strings.lower(x))) == [b"ab", b"cd"]
        got = values(ds.batch(2).map(lambda x, y: tf.strings.upper(x)))
        assert got[0].tolist() == [b"AB", b"CD"]
        assert values(tf.data.Dataset.from_tensors(texts).map(tf.strings.lower))[0].tolist() \
            == [b"ab", b"cd"]
