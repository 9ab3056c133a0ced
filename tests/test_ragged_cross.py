"""tf.ragged.cross, cross_hashed and stack_dynamic_partitions (expected values recorded from
TF 2.21)."""
import numpy as np
import pytest

import tapeflow as tf
from gradcheck import check_grad

RG = tf.ragged.constant([["a", "b"], ["c"], []])
DN = tf.constant([["x"], ["y"], ["z"]])
SP = tf.sparse.SparseTensor([[0, 0], [1, 0], [2, 0]], tf.constant(["p", "q", "r"]), [3, 1])


def test_exported():
    for name in ["cross", "cross_hashed", "stack_dynamic_partitions"]:
        assert name in tf.ragged.__all__ and callable(getattr(tf.ragged, name))


def test_cross():
    out = tf.ragged.cross([RG, DN])
    assert isinstance(out, tf.RaggedTensor) and out.dtype == tf.string
    assert out.to_list() == [[b"a_X_x", b"b_X_x"], [b"c_X_y"], []]
    assert out.row_splits.dtype == tf.int64
    # unlike tf.sparse.cross, the inputs keep their order
    assert tf.ragged.cross([DN, SP, RG]).to_list() == [[b"x_X_p_X_a", b"x_X_p_X_b"],
                                                       [b"y_X_q_X_c"], []]
    assert tf.ragged.cross([DN, DN]).to_list() == [[b"x_X_x"], [b"y_X_y"], [b"z_X_z"]]


def test_cross_integers_and_empty():
    ints = tf.ragged.constant([[1, 2], [3], [4]])
    assert tf.ragged.cross([ints, DN]).to_list() == [[b"1_X_x", b"2_X_x"], [b"3_X_y"],
                                                     [b"4_X_z"]]
    assert tf.ragged.cross([tf.constant([[1]], tf.int32)]).to_list() == [[b"1"]]
    empty = tf.ragged.cross([])
    assert isinstance(empty, tf.RaggedTensor) and empty.to_list() == []
    rg32 = tf.ragged.constant([["a"]], row_splits_dtype=tf.int32)
    assert tf.ragged.cross([rg32]).row_splits.dtype == tf.int32


def test_cross_hashed():
    out = tf.ragged.cross_hashed([RG, DN], num_buckets=50)
    assert out.dtype == tf.int64 and out.to_list() == [[42, 4], [10], []]
    assert tf.ragged.cross_hashed([RG, DN]).to_list() == [
        [1484974617627318892, 3552177129620670004], [6571367263544129360], []]


def test_cross_errors():
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="inputs must all have the same batch dimension size."):
        tf.ragged.cross([RG, tf.constant([["x"]])])
    sp1 = tf.sparse.SparseTensor([[0, 0], [1, 0]], tf.constant(["a", "b"]), [2, 2])
    sp2 = tf.sparse.SparseTensor([[0, 0]], tf.constant(["d"]), [1, 1])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="inputs must all have the same batch dimension size."):
        tf.ragged.cross([sp1, sp2])
    with pytest.raises(ValueError, match="Unexpected dtype for inputs\\[0\\]: <dtype: 'float32'>"):
        tf.ragged.cross([tf.constant([[1.5]])])
    with pytest.raises(ValueError, match="tf.ragged.cross only supports inputs with rank=2"):
        tf.ragged.cross([tf.ragged.constant([[["a"]]])])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="tf.ragged.cross only supports inputs with rank=2."):
        tf.ragged.cross([tf.constant(["a"])])


def test_stack_dynamic_partitions():
    out = tf.ragged.stack_dynamic_partitions(["a", "b", "c", "d", "e"], [3, 0, 2, 2, 3], 5)
    assert isinstance(out, tf.RaggedTensor)
    assert out.to_list() == [[b"b"], [], [b"c", b"d"], [b"a", b"e"], []]
    assert out.row_splits.dtype == tf.int32
    out = tf.ragged.stack_dynamic_partitions(tf.constant([[1, 2], [3, 4], [5, 6]]), [1, 0, 1], 3)
    assert out.to_list() == [[[3, 4]], [[1, 2], [5, 6]], []]
    out = tf.ragged.stack_dynamic_partitions([1, 2, 3], tf.constant([0, 1, 1], tf.int64), 3)
    assert out.to_list() == [[1], [2, 3], []] and out.row_splits.dtype == tf.int64
    assert tf.ragged.stack_dynamic_partitions(1, 0, 2).to_list() == [[1], []]


def test_stack_dynamic_partitions_ragged_and_2d_partitions():
    data = tf.ragged.constant([[1], [2, 3], [4, 5, 6]])
    assert tf.ragged.stack_dynamic_partitions(data, [1, 0, 1], 2).to_list() == [
        [[2, 3]], [[1], [4, 5, 6]]]
    out = tf.ragged.stack_dynamic_partitions(tf.ragged.constant([[1], [2, 3]]),
                                             tf.ragged.constant([[0], [1, 1]]), 2)
    assert out.to_list() == [[1], [2, 3]]
    out = tf.ragged.stack_dynamic_partitions(tf.constant([[1, 2], [3, 4]]),
                                             tf.constant([[0, 1], [1, 1]]), 2)
    assert out.to_list() == [[1], [2, 3, 4]]


def test_stack_dynamic_partitions_errors():
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="partitions must be less than num_partitions"):
        tf.ragged.stack_dynamic_partitions([1, 2, 3], [0, 5, 1], 3)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="partitions must be less than num_partitions"):
        tf.ragged.stack_dynamic_partitions([1, 2, 3], [0, 1, 1], 0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="partitions must be non-negative."):
        tf.ragged.stack_dynamic_partitions([1, 2, 3], [0, -1, 1], 3)
    with pytest.raises(ValueError, match=r"Shapes \(2,\) and \(3,\) are incompatible"):
        tf.ragged.stack_dynamic_partitions([1, 2, 3], [0, 1], 3)
    with pytest.raises(ValueError, match="value_rowids must have dtype int32 or int64"):
        tf.ragged.stack_dynamic_partitions([1, 2, 3], [0., 1, 1], 3)


def test_stack_dynamic_partitions_gradient():
    x = tf.constant([1., 2., 3.])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.ragged.stack_dynamic_partitions(x * x, [1, 0, 1], 2)
        s = tf.reduce_sum(y.flat_values * tf.constant([1., 2., 3.]))
    np.testing.assert_allclose(tape.gradient(s, x).numpy(), [4.0, 4.0, 18.0])
    check_grad(lambda d: tf.ragged.stack_dynamic_partitions(d * d, [2, 0, 2, 1], 3).flat_values,
               np.array([[1.0, -2.0], [0.5, 3.0], [2.0, 0.25], [-1.5, 1.0]]))
