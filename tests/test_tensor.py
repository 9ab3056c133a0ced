"""Tensor, TensorShape, dtypes and conversion: TF's printed forms and dtype rules."""
import numpy as np
import pytest

import tapeflow as tf


def test_repr_and_str_match_tf_format():
    x = tf.convert_to_tensor([1, 2, 3, 4])
    assert repr(x) == "<tf.Tensor: shape=(4,), dtype=int32, numpy=array([1, 2, 3, 4], dtype=int32)>"
    assert str(x) == "tf.Tensor([1 2 3 4], shape=(4,), dtype=int32)"
    m = tf.constant([[1, 2], [3, 4]])
    assert repr(m) == ("<tf.Tensor: shape=(2, 2), dtype=int32, numpy=\narray([[1, 2],\n"
                       "       [3, 4]], dtype=int32)>")
    assert str(m) == "tf.Tensor(\n[[1 2]\n [3 4]], shape=(2, 2), dtype=int32)"
    assert repr(tf.constant(1.5)) == "<tf.Tensor: shape=(), dtype=float32, numpy=1.5>"
    assert repr(tf.constant(-44.360188)) == "<tf.Tensor: shape=(), dtype=float32, numpy=-44.360188>"
    assert str(tf.constant(True)) == "tf.Tensor(True, shape=(), dtype=bool)"


def test_format_of_scalars_is_numpys():
    assert f"{tf.constant(0.1)}" == "0.10000000149011612"
    assert f"{tf.constant(0.1):.3f}" == "0.100"
    assert f"{tf.constant([0.1, 0.2])}" == "[0.1 0.2]"


def test_dtype_inference():
    assert tf.constant(1).dtype == tf.int32
    assert tf.constant(2**31).dtype == tf.int64
    assert tf.constant([1, 2**40]).dtype == tf.int64
    assert tf.constant(1.0).dtype == tf.float32
    assert tf.constant([1, 2.5]).dtype == tf.float32
    assert tf.constant(True).dtype == tf.bool
    assert tf.constant(np.array([1.0])).dtype == tf.float64
    assert tf.constant(np.float16(1.5)).dtype == tf.float16
    assert tf.constant([]).dtype == tf.float32
    assert tf.constant([1, 2], dtype=tf.float32).dtype == tf.float32
    with pytest.raises(TypeError, match="Cannot convert 1.5 to EagerTensor of dtype int32"):
        tf.constant(1.5, dtype=tf.int32)


# TF 2.21's dtypes for lists holding NumPy values (recorded): the first value sets the kind, and
# a NumPy float first its precision; integers are int32 unless one does not fit
@pytest.mark.parametrize("value, name", [
    ([np.int64(1), np.int64(2)], "int32"), ((np.int64(1), np.int64(2)), "int32"),
    ([np.array([1, 2], np.uint8)], "int32"), ([np.int32(5), 2**40], "int64"),
    ([np.uint64(2**40)], "int64"), ([np.int64(-2**31 - 1)], "int64"),
    ([np.array([1, 2**33])], "int64"), ([np.float64(1), np.float32(2)], "float64"),
    ([np.float32(1), np.float64(2)], "float32"), ([1.0, np.float64(2)], "float32"),
    ([np.float64(2), 1.0], "float64"), ([np.array([1.0, 2.0])], "float64"),
    ([np.array([1.0], np.float32), np.array([2.0])], "float32"),
    ([np.float16(1), np.float32(2)], "float16"), ([1, np.float64(2)], "float32"),
    ([np.float64(2), 1], "float64"), ([np.int8(1), np.float16(2)], "float32"),
    ([np.int64(1), np.float64(2)], "float32"), ([np.float16(1), 3], "float16"),
    ([np.bool_(True), True], "bool"), ([np.complex64(1)], "complex128"),
    ([np.complex64(1), np.float32(1)], "complex128"), ([[np.float64(1)], [2.0]], "float64"),
    ([[1.0], [np.float32(2)]], "float32"), ([np.array(1.0, np.float32)], "float32"),
    ([np.ones((2, 2))], "float64"), ([np.array([1.0]), [2.0]], "float64"),
    ([np.array(1, np.float32), 2.5], "float32"), ([1, True], "int32"),
    ([np.float64(1), True], "float64"), ([1.5, 2, np.int64(3)], "float32"),
    ([np.str_("a"), "b"], "string"), ([np.bytes_(b"a")], "string")])
def test_dtype_of_a_list_with_numpy_values_is_tfs(value, name):
    t = tf.constant(value)
    assert t.dtype.name == name
    np.testing.assert_array_equal(t.numpy(), np.asarray(value, dtype=t.dtype.as_numpy_dtype)
                                  if name != "string" else np.asarray(value).astype(bytes))


@pytest.mark.parametrize("value", [[True, 1], [True, 1.5], [[True], [1]],
                                   [np.bool_(True), np.int64(1)], [np.bool_(True), 1],
                                   [np.float32(1), 1j], [1, 1j]])
def test_lists_of_mixed_kinds_are_refused_as_tf_refuses_them(value):
    with pytest.raises(ValueError, match="^Can't convert Python sequence with mixed types to "
                                         "Tensor.$"):
        tf.constant(value)


@pytest.mark.parametrize("value, dtype, shape", [([], tf.int32, (0,)), ([[]], tf.bool, (1, 0)),
                                                 ([[], []], tf.complex64, (2, 0))])
def test_an_empty_list_takes_any_dtype(value, dtype, shape):
    t = tf.constant(value, dtype)  # TF 2.21: no value to lose, so no TypeError
    assert (t.dtype, t.shape) == (dtype, shape)


def test_a_numpy_integer_past_int64_in_a_list_is_refused():
    with pytest.raises(ValueError, match="^Can't convert Python sequence with out-of-range "
                                         "integer to Tensor.$"):
        tf.constant([np.uint64(2**64 - 1)])


def test_dtype_objects():
    assert tf.float32 == "float32" and tf.float32 == np.float32 and tf.float32 != tf.float64
    assert tf.float32.name == "float32" and tf.float32.as_numpy_dtype is np.float32
    assert tf.float32.is_floating and not tf.int32.is_floating and tf.uint8.is_integer
    assert not tf.bool.is_integer
    assert tf.int8.max == 127 and tf.uint8.min == 0
    assert tf.float32.min == np.float32(-3.4028235e38)
    assert repr(tf.float32) == "tf.float32" and str(tf.float32) == "<dtype: 'float32'>"
    assert tf.as_dtype("float64") is tf.float64 and tf.as_dtype(np.dtype("int8")) is tf.int8
    with pytest.raises(TypeError):
        tf.bool.min
    assert tf.as_dtype("string") is tf.string and tf.as_dtype(np.str_) is tf.string
    assert tf.constant(np.array([1j])).dtype is tf.complex128  # complex: tests/test_complex.py


def test_constant_with_shape():
    assert tf.constant(5, shape=[2, 2]).numpy().tolist() == [[5, 5], [5, 5]]
    assert tf.constant([1, 2], shape=[2, 1]).shape == (2, 1)
    with pytest.raises(TypeError):
        tf.constant([1, 2, 3], shape=[2, 2])


def test_tensorshape():
    s = tf.ones([2, 3]).shape
    assert s == (2, 3) and s == [2, 3] and s == tf.TensorShape([2, 3])
    assert s.as_list() == [2, 3] and s.rank == 2 and len(s) == 2 and list(s) == [2, 3]
    assert s[1] == 3 and s[0:1] == tf.TensorShape([2])
    assert repr(s) == "TensorShape([2, 3])" and str(s) == "(2, 3)"
    assert str(tf.TensorShape([4])) == "(4,)"
    p = tf.TensorShape([None, 3])
    assert p.num_elements() is None and not p.is_fully_defined()
    assert p.is_compatible_with([5, 3]) and not p.is_compatible_with([5, 4])
    assert p.merge_with([5, 3]) == [5, 3]
    assert tf.TensorShape(None).rank is None and repr(tf.TensorShape(None)) == "TensorShape(None)"
    with pytest.raises(ValueError):
        tf.TensorShape(None).as_list()


def test_python_protocols():
    x = tf.constant([1, 2, 3])
    assert len(x) == 3 and [int(v) for v in x] == [1, 2, 3]
    assert bool(tf.constant(1)) and int(tf.constant(3.7)) == 3 and float(tf.constant(3)) == 3.0
    assert [10, 20, 30][tf.constant(1)] == 20
    with pytest.raises(TypeError, match="no `len"):
        len(tf.constant(3))
    with pytest.raises(ValueError):
        bool(tf.constant([1, 2]))
    with pytest.raises(TypeError, match="unhashable"):
        hash(x)
    assert x.ref() == x.ref() and x.ref().deref() is x
    assert tf.is_tensor(x) and tf.is_tensor(tf.Variable(1.0)) and not tf.is_tensor(1.0)
    assert x.ndim == 1 and x.device.endswith("device:CPU:0")


def test_numpy_interop():
    x = tf.constant([1.0, 2.0])
    a = x.numpy()
    a[0] = 100  # a copy: the tensor is immutable
    assert x.numpy()[0] == 1.0
    assert isinstance(tf.constant(1.5).numpy(), np.float32)
    assert np.asarray(x).tolist() == [1.0, 2.0]
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    r = np.array([1.0, 2.0], np.float32) + x
    assert isinstance(r, tf.Tensor) and r.numpy().tolist() == [2.0, 4.0]
    assert np.exp(tf.constant(0.0)) == 1.0


def test_item_assignment_raises_type_error():
    m = tf.constant([[1, 1], [4, 4]])
    with pytest.raises(TypeError, match="'tapeflow.tensor.Tensor' object does not support item "
                                        "assignment"):
        m[1, :] += tf.constant([1, 1])


def test_sum_of_scalar_tensors():
    s = sum([tf.constant(1.0), tf.constant(2.0)])
    assert isinstance(s, tf.Tensor) and float(s) == 3.0
    assert float(sum([tf.constant(1.0), tf.constant(2.0)]) / 2) == 1.5
