"""tf.stack of Python/NumPy constants along axis 0 converts the list as one value, as TF's
does (values, dtypes and errors recorded from TF 2.21)."""
import numpy as np
import pytest

import tapeflow as tf


@pytest.mark.parametrize("values, dtype, expected", [
    ([1, 2.0], tf.float32, [1.0, 2.0]),
    ([np.float64(1), 2], tf.float64, [1.0, 2.0]),
    ([np.int64(1), 2], tf.int32, [1, 2]),
    ([1 + 2j, 3], tf.complex128, [1 + 2j, 3]),
    ([2 ** 40, 1], tf.int64, [2 ** 40, 1]),
    ((1, 2), tf.int32, [1, 2]),
    ([np.array([1.0, 2.0]), np.array([1, 2])], tf.float64, [[1.0, 2.0], [1.0, 2.0]]),
    ([np.array([1, 2]), np.array([1.0, 2.0])], tf.float32, [[1.0, 2.0], [1.0, 2.0]]),
    ([], tf.float32, []),
])
def test_constants_stack_as_one_value(values, dtype, expected):
    out = tf.stack(values)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.numpy(), np.array(expected, dtype.as_numpy_dtype))


def test_other_axes_and_tensors_stack_element_by_element():
    with pytest.raises(TypeError, match="Cannot convert 2.0 to EagerTensor of dtype int32"):
        tf.stack([1, 2.0], axis=-1)
    out = tf.stack([[1.5, 2], [3, 4]], axis=1)
    np.testing.assert_array_equal(out.numpy(), [[1.5, 3.0], [2.0, 4.0]])
    with pytest.raises(TypeError, match="Cannot convert 'a' to EagerTensor of dtype int32"):
        tf.stack([1, "a"])
    with pytest.raises(TypeError, match="Cannot convert 1 to EagerTensor of dtype bool"):
        tf.stack([True, 1])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"values\[0\].shape = \[2\] != values\[1\].shape = \[1\]"):
        tf.stack([[1, 2], [3]])


def test_stacking_variables_still_records_gradients():
    v = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.stack([v, 3.0 * v]) ** 2)
    assert float(tape.gradient(y, v)) == pytest.approx(2 * 2.0 + 2 * 9 * 2.0)
    r = tf.stack([tf.ragged.constant([[1], [2, 3]]), tf.ragged.constant([[4], [5]])])
    assert r.to_list() == [[[1], [2, 3]], [[4], [5]]]
