"""Ragged and sparse tensors on the NumPy-backed stand-in GPU (tests/fakegpu.py): host index
arrays must reach the device before they meet device values."""
import numpy as np
from fakegpu import GPU0, gpus_fixture, skip_if_real_gpu

import tapeflow as tf

skip_if_real_gpu("tests/test_ragged.py and tests/test_sparse.py (device-agnostic)")
gpus = gpus_fixture()


def test_ragged_ops_on_the_device(gpus):
    rt = tf.ragged.constant([[1.0, 2.0], [3.0], []])
    assert rt.flat_values.device == GPU0
    assert (rt + rt).to_list() == [[2.0, 4.0], [6.0], []]
    assert (rt * tf.constant([[1.0], [2.0], [3.0]])).to_list() == [[1.0, 2.0], [6.0], []]
    np.testing.assert_array_equal(rt.to_tensor().numpy(), [[1, 2], [3, 0], [0, 0]])
    for axis, want in [(0, [4.0, 2.0]), (1, [3.0, 3.0, 0.0])]:
        out = tf.reduce_sum(rt, axis=axis)
        assert out.device == GPU0
        np.testing.assert_array_equal(out.numpy(), want)
    assert rt[:, 1:].to_list() == [[2.0], [], []]
    assert tf.concat([rt, rt], 1).to_list() == [[1.0, 2.0, 1.0, 2.0], [3.0, 3.0], []]
    nested = tf.ragged.constant([[[1, 2], [3], []], [[5], [6, 7, 8]], [], [[], [9]]])
    assert tf.reduce_sum(nested, axis=1).to_list() == [[4, 2], [11, 7, 8], [], [9]]
    v = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(v)
        y = tf.reduce_sum(tf.reduce_max(tf.RaggedTensor.from_row_lengths(v, [2, 1]), axis=1))
    g = tape.gradient(y, v)
    assert g.device == GPU0
    np.testing.assert_array_equal(g.numpy(), [0.0, 1.0, 1.0])


def test_sparse_ops_on_the_device(gpus):
    sp = tf.sparse.SparseTensor([[0, 0], [1, 2]], [1.0, 2.0], [3, 4])
    dense = tf.sparse.to_dense(sp)
    assert dense.device == GPU0
    out = tf.sparse.sparse_dense_matmul(sp, tf.ones([4, 2]))
    assert out.device == GPU0
    np.testing.assert_array_equal(out.numpy(), [[1, 1], [2, 2], [0, 0]])
    np.testing.assert_array_equal(tf.sparse.reduce_sum(sp, axis=1).numpy(), [1, 2, 0])
    np.testing.assert_array_equal(tf.sparse.add(sp, sp).values.numpy(), [2, 4])
    np.testing.assert_array_equal((sp * tf.ones([3, 4]) * 3.0).values.numpy(), [3, 6])
