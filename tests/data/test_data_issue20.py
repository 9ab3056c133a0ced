"""tf.data details from issue 20: padded_batch after map, window datasets, from_generator's
scalar shapes and ``tf.data.experimental.Counter``. Expected values recorded from TF 2.21."""
import numpy as np
import pytest

import tapeflow as tf
from tapeflow.data import DatasetSpec

TensorSpec = tf.TensorSpec


def ragged():
    return tf.data.Dataset.range(1, 5).map(lambda x: tf.fill([x], x))


def test_padded_batch_pads_elements_produced_by_map():
    ds = ragged().padded_batch(2)
    assert ds.element_spec == TensorSpec((None, None), tf.int64)
    assert [b.tolist() for b in ds.as_numpy_iterator()] == [[[1, 0], [2, 2]],
                                                             [[3, 3, 3, 0], [4, 4, 4, 4]]]
    ds = ragged().padded_batch(2, padded_shapes=[5], padding_values=tf.constant(-1, tf.int64),
                               drop_remainder=True)
    assert ds.element_spec == TensorSpec((2, 5), tf.int64)
    assert [b.tolist() for b in ds.as_numpy_iterator()] == [
        [[1, -1, -1, -1, -1], [2, 2, -1, -1, -1]], [[3, 3, 3, -1, -1], [4, 4, 4, 4, -1]]]
    with pytest.raises(tf.errors.DataLossError, match="pad to a smaller size"):
        list(ragged().padded_batch(2, padded_shapes=[2]))


def test_padded_batch_tuples_none_dims_and_values():
    ds = tf.data.Dataset.range(1, 4).map(
        lambda x: (tf.fill([x], x), tf.fill([x], tf.cast(x, tf.float32))))
    out = list(ds.padded_batch(3, padding_values=(tf.constant(-1, tf.int64), 9.))
               .as_numpy_iterator())
    assert out[0][0].tolist() == [[1, -1, -1], [2, 2, -1], [3, 3, 3]]
    assert out[0][1].dtype == np.float32
    assert out[0][1].tolist() == [[1., 9., 9.], [2., 2., 9.], [3., 3., 3.]]
    # a None dim in padded_shapes pads to the longest in the batch; a number pads to it
    ds = tf.data.Dataset.range(1, 4).map(lambda x: tf.fill([x, 2], tf.cast(x, tf.float32)))
    (b,) = ds.padded_batch(3, padded_shapes=[None, 3], padding_values=-1.).as_numpy_iterator()
    assert b.tolist() == [[[1, 1, -1], [-1, -1, -1], [-1, -1, -1]],
                          [[2, 2, -1], [2, 2, -1], [-1, -1, -1]],
                          [[3, 3, -1], [3, 3, -1], [3, 3, -1]]]
    # map outputs mixed by a shuffle are still padded one batch at a time
    lens = sorted(len(b[0]) for b in ragged().shuffle(4, seed=1).padded_batch(1)
                  .as_numpy_iterator())
    assert lens == [1, 2, 3, 4]
    # TF: batch() of ragged elements is an InvalidArgumentError
    with pytest.raises(tf.errors.InvalidArgumentError):
        list(ragged().batch(2))


@pytest.mark.parametrize("size,shift,stride,drop,card,want", [
    (2, None, 1, False, 4, [[0, 1], [2, 3], [4, 5], [6]]),
    (3, 2, 2, False, 4, [[0, 2, 4], [2, 4, 6], [4, 6], [6]]),
    (3, 2, 2, True, 2, [[0, 2, 4], [2, 4, 6]]),
    (3, 1, 1, True, 5, [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6]]),
    (10, 1, 1, True, 0, []),
    (3, 5, 1, False, 2, [[0, 1, 2], [5, 6]]),
    (3, 5, 1, True, 1, [[0, 1, 2]]),
])
def test_window_elements_and_cardinality(size, shift, stride, drop, card, want):
    w = tf.data.Dataset.range(7).window(size, shift, stride, drop)
    assert int(w.cardinality()) == card
    assert [list(x.as_numpy_iterator()) for x in w] == want


def test_window_yields_iterable_datasets():
    ds = tf.data.Dataset.range(5)
    w = ds.window(2)
    assert w.element_spec == DatasetSpec(TensorSpec((), tf.int64))
    assert repr(w.element_spec) == ("DatasetSpec(TensorSpec(shape=(), dtype=tf.int64, "
                                    "name=None), TensorShape([]))")
    first = next(iter(w))
    assert isinstance(first, tf.data.Dataset)
    assert first.element_spec == TensorSpec((), tf.int64)
    assert [[int(t) for t in x] for x in w] == [[0, 1], [2, 3], [4]]
    assert [int(x.cardinality()) for x in w] == [2, 2, 1]
    # a window can be read more than once
    assert list(first.as_numpy_iterator()) == list(first.as_numpy_iterator()) == [0, 1]
    # window datasets go through take / filter / interleave like any dataset
    assert [list(x.as_numpy_iterator()) for x in w.take(2)] == [[0, 1], [2, 3]]
    assert [list(x.as_numpy_iterator()) for x in w.filter(lambda x: True)] == \
        [[0, 1], [2, 3], [4]]
    assert [b.tolist() for b in w.interleave(lambda x: x.batch(2)).as_numpy_iterator()] == \
        [[0, 1], [2, 3], [4]]
    assert int(ds.repeat().window(2).cardinality()) == -1
    with pytest.raises(TypeError, match="not supported for datasets that produce values of "
                                        "type"):
        w.as_numpy_iterator()


def test_window_nests_per_component():
    tup = tf.data.Dataset.from_tensor_slices(([1, 2, 3], [4, 5, 6]))
    got = [tuple(list(c.as_numpy_iterator()) for c in x)
           for x in tup.window(2, shift=1, drop_remainder=True)]
    assert got == [([1, 2], [4, 5]), ([2, 3], [5, 6])]
    zipped = tup.window(2).flat_map(lambda a, b: tf.data.Dataset.zip((a.batch(2), b.batch(2))))
    assert [(a.tolist(), b.tolist()) for a, b in zipped.as_numpy_iterator()] == \
        [([1, 2], [4, 5]), ([3], [6])]
    d = tf.data.Dataset.from_tensor_slices({"a": [1, 2, 3], "b": [4., 5., 6.]})
    got = [{k: list(v.as_numpy_iterator()) for k, v in x.items()} for x in d.window(2)]
    assert got == [{"a": [1, 2], "b": [4., 5.]}, {"a": [3], "b": [6.]}]
    mapped = tf.data.Dataset.range(5).map(lambda x: x * 2).window(3, 1, drop_remainder=True)
    assert [b.tolist() for b in mapped.flat_map(lambda x: x.batch(3)).as_numpy_iterator()] == \
        [[0, 2, 4], [2, 4, 6], [4, 6, 8]]


def test_from_generator_empty_tuple_is_a_scalar_shape():
    ds = tf.data.Dataset.from_generator(lambda: iter([(1, [2.]), (3, [4.])]),
                                        output_types=(tf.int64, tf.float32),
                                        output_shapes=((), (1,)))
    assert ds.element_spec == (TensorSpec((), tf.int64), TensorSpec((1,), tf.float32))
    out = list(ds.as_numpy_iterator())
    assert [(int(a), b.tolist()) for a, b in out] == [(1, [2.]), (3, [4.])]
    ds = tf.data.Dataset.from_generator(lambda: iter([1, 2, 3]), output_types=tf.int64,
                                        output_shapes=())
    assert ds.element_spec == TensorSpec((), tf.int64)
    assert list(ds.as_numpy_iterator()) == [1, 2, 3]
    nested = tf.data.Dataset.from_generator(
        lambda: iter([]), output_types=(tf.int64, (tf.float32, tf.int32)),
        output_shapes=((), ((), (2,))))
    assert nested.element_spec == (TensorSpec((), tf.int64), (TensorSpec((), tf.float32),
                                                               TensorSpec((2,), tf.int32)))
    lists = tf.data.Dataset.from_generator(lambda: iter([]), output_types=(tf.int64, tf.float32),
                                           output_shapes=([], [None]))
    assert lists.element_spec == (TensorSpec((), tf.int64), TensorSpec((None,), tf.float32))
    d = tf.data.Dataset.from_generator(lambda: iter([{"a": 1, "b": [2.]}]),
                                       output_types={"a": tf.int64, "b": tf.float32},
                                       output_shapes={"a": (), "b": (1,)})
    (el,) = d.as_numpy_iterator()
    assert int(el["a"]) == 1 and el["b"].tolist() == [2.]
    # TF: a yielded value of the wrong shape is an error when the element is read
    bad = tf.data.Dataset.from_generator(lambda: iter([[1, 2]]), output_types=tf.int64,
                                         output_shapes=())
    with pytest.raises(tf.errors.InvalidArgumentError, match="shape"):
        list(bad)


def test_experimental_counter():
    c = tf.data.experimental.Counter()
    assert c.element_spec == TensorSpec((), tf.int64)
    assert int(c.cardinality()) == -1  # INFINITE
    assert list(c.take(3).as_numpy_iterator()) == [0, 1, 2]
    c = tf.data.experimental.Counter(start=5, step=-2, dtype=tf.int32)
    out = list(c.take(3).as_numpy_iterator())
    assert out == [5, 3, 1] and out[0].dtype == np.int32
    f = list(tf.data.experimental.Counter(0.5, 0.25, dtype=tf.float32).take(3)
             .as_numpy_iterator())
    assert f == [0.5, 0.75, 1.0] and f[0].dtype == np.float32
    assert list(tf.data.Dataset.counter(2, 3).take(3).as_numpy_iterator()) == [2, 5, 8]
