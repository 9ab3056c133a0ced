"""Ragged elements in tf.data (``ragged_batch``, ``dense_to_ragged_batch``,
``from_tensor_slices`` of a RaggedTensor, ``batch`` of ragged rows, map/unbatch over them)
against TensorFlow 2.21's recorded answers (tests/fixtures/tf_data_ragged.json)."""
import numpy as np
import pytest
from tf_fixture_cases import check, load

import tapeflow as tf

CASES = load("tf_data_ragged.json")


@pytest.mark.parametrize("expr", sorted(CASES))
def test_matches_tf(expr):
    check(expr, CASES[expr], data=True)


def test_ragged_batches_feed_a_gradient_step():
    ds = tf.data.Dataset.range(1, 6).map(lambda n: tf.range(tf.cast(n, tf.float32)))
    w = tf.Variable(0.5)
    for batch in ds.ragged_batch(2):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.reduce_mean(batch * w, axis=1))
        g = tape.gradient(loss, w)
        want = float(np.sum([np.mean(r) for r in batch.to_list()]))
        np.testing.assert_allclose(g.numpy(), want, rtol=1e-6)


def test_numpy_iterator_of_ragged_batches():
    ds = tf.data.Dataset.range(4).map(lambda x: tf.range(x)).ragged_batch(3)
    first, second = list(ds.as_numpy_iterator())
    assert [r.tolist() for r in first] == [[], [0], [0, 1]]
    assert second.tolist() == [[0, 1, 2]]


def test_sparse_components_are_sliced_by_row():
    # as TF 2.21 (tests/fixtures/tf_data_experimental_cases.py records more cases)
    sp = tf.sparse.SparseTensor([[0, 0], [1, 1]], [1.0, 2.0], [2, 2])
    ds = tf.data.Dataset.from_tensor_slices(sp)
    assert ds.element_spec == tf.SparseTensorSpec([2], tf.float32)
    rows = [tf.sparse.to_dense(r).numpy().tolist() for r in ds]
    assert rows == [[1.0, 0.0], [0.0, 2.0]]
