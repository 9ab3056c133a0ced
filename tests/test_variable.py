"""tf.Variable: assignment rules, names, printing, tracking by tapes."""
import numpy as np
import pytest

import tapeflow as tf


def test_seed_variable_printing_and_assign():
    matrix = tf.Variable([[1, 1, 1, 1], [4, 4, 4, 4], [5, 5, 5, 5]])
    assert repr(matrix) == (
        "<tf.Variable 'Variable:0' shape=(3, 4) dtype=int32, numpy=\n"
        "array([[1, 1, 1, 1],\n       [4, 4, 4, 4],\n       [5, 5, 5, 5]], dtype=int32)>")
    vec = tf.convert_to_tensor([1, 2, 3, 4])
    r = matrix.assign(matrix + vec)
    assert repr(r).startswith("<tf.Variable 'UnreadVariable' shape=(3, 4) dtype=int32, numpy=")
    assert matrix.numpy().tolist() == [[2, 3, 4, 5], [5, 6, 7, 8], [6, 7, 8, 9]]
    x = tf.Variable(0)
    assert repr(x + tf.convert_to_tensor(1)) == "<tf.Tensor: shape=(), dtype=int32, numpy=1>"
    m = tf.Variable(1, dtype=tf.float32)
    assert repr(m) == "<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=1.0>"


def test_names_trainable_and_read():
    v = tf.Variable([1.0, 2.0], name="w", trainable=False)
    assert v.name == "w:0" and not v.trainable and v.shape == (2,) and v.dtype == tf.float32
    assert type(v.read_value()) is tf.Tensor and type(v.value()) is tf.Tensor
    with tf.name_scope("layer"):
        assert tf.Variable(1.0, name="k").name == "layer/k:0"
    assert v.assign([3.0, 4.0], read_value=False) is None
    assert v.assign_add([1.0, 1.0]).numpy().tolist() == [4.0, 5.0]
    assert v.assign_sub([4.0, 5.0]).numpy().tolist() == [0.0, 0.0]


def test_assign_checks_shape_and_dtype():
    v = tf.Variable([[1, 2], [3, 4]])
    with pytest.raises(ValueError, match=r"Shape mismatch.*\(2, 2\).*\(2,\)"):
        v.assign([1, 2])
    with pytest.raises(TypeError, match="Cannot convert"):
        v.assign([[1.5, 1], [1, 1]])
    with pytest.raises(TypeError, match="does not support item assignment"):
        v[0] = 1
    flexible = tf.Variable([1.0], shape=tf.TensorShape(None))
    flexible.assign([1.0, 2.0, 3.0])
    assert flexible.numpy().tolist() == [1.0, 2.0, 3.0]


def test_tensors_read_earlier_keep_their_values():
    v = tf.Variable([1.0, 2.0])
    before = v + 0.0
    snap = v.value()
    v.assign_add([10.0, 10.0])
    assert before.numpy().tolist() == [1.0, 2.0] and snap.numpy().tolist() == [1.0, 2.0]


def test_variable_is_unhashable_and_compares_elementwise():
    v = tf.Variable([1, 2])
    with pytest.raises(TypeError, match="unhashable"):
        hash(v)
    assert (v == [1, 3]).numpy().tolist() == [True, False]
    assert v.ref() in {v.ref()}


def test_callable_initial_value_and_dtype_cast():
    v = tf.Variable(lambda: [1.0, 2.0], dtype=tf.float64)
    assert v.dtype == tf.float64
    # as TF: a tensor (from a callable too) is never cast to another dtype by the Variable
    with pytest.raises(ValueError, match="requested dtype float64 for Tensor with dtype float32"):
        tf.Variable(lambda: tf.ones([2]), dtype=tf.float64)
    with pytest.raises(ValueError, match="initial_value"):
        tf.Variable(None)


def test_variable_values_are_row_major_whatever_the_initial_layout():
    """A Fortran-ordered initial value (e.g. a QR factor) is stored row-major, as every other
    array, so elementwise updates never mix layouts (several times slower in NumPy)."""
    value = np.asfortranarray(np.arange(12, dtype=np.float32).reshape(3, 4))
    v = tf.Variable(value)
    assert v._v.flags.c_contiguous
    np.testing.assert_array_equal(v.numpy(), value)
    kernel = tf.keras.initializers.Orthogonal(seed=1)((6, 8))
    assert kernel.numpy().flags.c_contiguous
    opt = tf.keras.optimizers.Adam()
    opt.apply([tf.ones((3, 4))], [v])
    slots = opt._state[id(v)][1]
    assert len(slots) == 2 and all(s.flags.c_contiguous for s in slots)
    assert v._v.flags.c_contiguous
    v.assign(np.asfortranarray(value + 1))
    assert v._v.flags.c_contiguous
    np.testing.assert_array_equal(v.numpy(), value + 1)
