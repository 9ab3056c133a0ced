"""tf.io.serialize_tensor / parse_tensor and the SparseTensor serializers: bytes recorded
from TF 2.21."""
import numpy as np
import pytest

import tapeflow as tf

# (tensor, TF 2.21's serialize_tensor bytes)
CASES = [
    (lambda: tf.constant(1.5), b'\x08\x01\x12\x00"\x04\x00\x00\xc0?'),
    (lambda: tf.constant([1, 2, 3]),
     b'\x08\x03\x12\x04\x12\x02\x08\x03"\x0c\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00'),
    (lambda: tf.constant([[1., 2.], [3., 4.]], tf.float64),
     b'\x08\x02\x12\x08\x12\x02\x08\x02\x12\x02\x08\x02" \x00\x00\x00\x00\x00\x00\xf0?\x00\x00'
     b'\x00\x00\x00\x00\x00@\x00\x00\x00\x00\x00\x00\x08@\x00\x00\x00\x00\x00\x00\x10@'),
    (lambda: tf.constant([b"ab", b"c"]), b'\x08\x07\x12\x04\x12\x02\x08\x02B\x02abB\x01c'),
    (lambda: tf.constant(b"x"), b'\x08\x07\x12\x00B\x01x'),
    (lambda: tf.constant([True, False]), b'\x08\n\x12\x04\x12\x02\x08\x02"\x02\x01\x00'),
    (lambda: tf.constant(True), b'\x08\n\x12\x00"\x01\x01'),
    (lambda: tf.zeros([0, 3]), b'\x08\x01\x12\x06\x12\x00\x12\x02\x08\x03'),
    (lambda: tf.constant([1 + 2j]),
     b'\x08\x12\x12\x04\x12\x02\x08\x01"\x10\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00'
     b'\x00\x00@'),
    (lambda: tf.constant([1.5], tf.float16), b'\x08\x13\x12\x04\x12\x02\x08\x01"\x02\x00>'),
    (lambda: tf.constant([1, 2], tf.uint8), b'\x08\x04\x12\x04\x12\x02\x08\x02"\x02\x01\x02'),
    (lambda: tf.constant(7, tf.int64), b'\x08\t\x12\x00"\x08\x07\x00\x00\x00\x00\x00\x00\x00'),
    (lambda: tf.constant([[b"a"]]), b'\x08\x07\x12\x08\x12\x02\x08\x01\x12\x02\x08\x01B\x01a'),
    (lambda: tf.constant([], tf.string), b'\x08\x07\x12\x02\x12\x00'),
]


@pytest.mark.parametrize("make,expected", CASES)
def test_serialize_tensor_writes_tf_bytes_and_parses_back(make, expected):
    t = make()
    s = tf.io.serialize_tensor(t)
    assert s.dtype == tf.string and s.shape == ()
    assert s.numpy() == expected
    back = tf.io.parse_tensor(expected, t.dtype)
    assert back.dtype == t.dtype and back.shape == t.shape
    np.testing.assert_array_equal(back.numpy(), t.numpy())


def test_serialize_tensor_of_a_list():
    assert tf.io.serialize_tensor([1, 2]).numpy() == \
        b'\x08\x03\x12\x04\x12\x02\x08\x02"\x08\x01\x00\x00\x00\x02\x00\x00\x00'


def test_parse_tensor_reads_value_fields():
    # tf.make_tensor_proto(5.0).SerializeToString() and the same with shape=[3] (TF fills
    # the shape with the last value); int_val with a negative number
    five = b'\x08\x01\x12\x00*\x04\x00\x00\xa0@'
    assert tf.io.parse_tensor(five, tf.float32).numpy() == 5.0
    filled = b'\x08\x01\x12\x04\x12\x02\x08\x03*\x04\x00\x00\xa0@'
    np.testing.assert_array_equal(tf.io.parse_tensor(filled, tf.float32).numpy(), [5., 5., 5.])
    neg = b'\x08\x03\x12\x04\x12\x02\x08\x02:\x0b\x02\xfd\xff\xff\xff\xff\xff\xff\xff\xff\x01'
    np.testing.assert_array_equal(tf.io.parse_tensor(neg, tf.int32).numpy(), [2, -3])


def test_parse_tensor_errors():
    s = tf.io.serialize_tensor(tf.constant([1, 2]))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Type mismatch between parsed tensor \(int32\) and dtype "
                             r"\(float\)"):
        tf.io.parse_tensor(s, tf.float32)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Could not parse `serialized` as TensorProto, base64: //8="):
        tf.io.parse_tensor(b"\xff\xff", tf.float32)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Expected `serialized` to be a scalar, got shape: \[1\]"):
        tf.io.parse_tensor([b"a"], tf.float32)


SPARSE_ROWS = [
    [b'\x08\t\x12\x08\x12\x02\x08\x01\x12\x02\x08\x01"\x08\x01\x00\x00\x00\x00\x00\x00\x00',
     b'\x08\x01\x12\x04\x12\x02\x08\x01"\x04\x00\x00\xc0?',
     b'\x08\t\x12\x04\x12\x02\x08\x01"\x08\x04\x00\x00\x00\x00\x00\x00\x00'],
    [b'\x08\t\x12\x06\x12\x00\x12\x02\x08\x01', b'\x08\x01\x12\x02\x12\x00',
     b'\x08\t\x12\x04\x12\x02\x08\x01"\x08\x04\x00\x00\x00\x00\x00\x00\x00'],
    [b'\x08\t\x12\x08\x12\x02\x08\x01\x12\x02\x08\x01"\x08\x00\x00\x00\x00\x00\x00\x00\x00',
     b'\x08\x01\x12\x04\x12\x02\x08\x01"\x04\x00\x00 @',
     b'\x08\t\x12\x04\x12\x02\x08\x01"\x08\x04\x00\x00\x00\x00\x00\x00\x00'],
]


def _sp():
    return tf.sparse.SparseTensor([[0, 1], [2, 0]], [1.5, 2.5], [3, 4])


def test_serialize_sparse_bytes():
    out = tf.io.serialize_sparse(_sp())
    assert out.shape == (3,) and out.dtype == tf.string
    assert out.numpy().tolist() == [
        b'\x08\t\x12\x08\x12\x02\x08\x02\x12\x02\x08\x02" \x00\x00\x00\x00\x00\x00\x00\x00\x01'
        b'\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
        b'\x00\x00',
        b'\x08\x01\x12\x04\x12\x02\x08\x02"\x08\x00\x00\xc0?\x00\x00 @',
        b'\x08\t\x12\x04\x12\x02\x08\x02"\x10\x03\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00'
        b'\x00\x00\x00\x00']


def test_serialize_many_sparse_and_back():
    out = tf.io.serialize_many_sparse(_sp())
    assert out.shape == (3, 3)
    assert out.numpy().tolist() == SPARSE_ROWS
    back = tf.io.deserialize_many_sparse(tf.constant(SPARSE_ROWS), tf.float32)
    np.testing.assert_array_equal(back.indices.numpy(), [[0, 1], [2, 0]])
    np.testing.assert_array_equal(back.values.numpy(), [1.5, 2.5])
    np.testing.assert_array_equal(back.dense_shape.numpy(), [3, 4])
    assert back.values.dtype == tf.float32 and back.indices.dtype == tf.int64


def test_deserialize_many_sparse_rank3_and_errors():
    st = tf.sparse.SparseTensor([[0, 1, 1], [2, 0, 0]], [1, 2], [3, 4, 2])
    m = tf.io.serialize_many_sparse(st)
    back = tf.io.deserialize_many_sparse(m, tf.int32, rank=3)
    np.testing.assert_array_equal(back.indices.numpy(), [[0, 1, 1], [2, 0, 0]])
    np.testing.assert_array_equal(back.dense_shape.numpy(), [3, 4, 2])
    with pytest.raises(ValueError, match=r"Tensor's shape \(2, 3\) is not compatible with "
                                         r"supplied shape \(None, 2\)."):
        tf.io.deserialize_many_sparse(m, tf.int32, rank=2)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Requested SparseTensor of type float but "
                             r"SparseTensor\[0\].values.dtype\(\) == int32"):
        tf.io.deserialize_many_sparse(m, tf.float32)
    rank1 = tf.sparse.SparseTensor(tf.zeros([0, 1], tf.int64), tf.zeros([0]), [3])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Rank of input SparseTensor should be > 1, but saw rank: 1"):
        tf.io.serialize_many_sparse(rank1)


JSON = ('{"features": {"feature": {"a": {"int64List": {"value": ["1", 2]}}, '
        '"b": {"floatList": {"value": [1.5]}}, "c": {"bytesList": {"value": ["aGk="]}}}}}')
JSON_BYTES = (b'\n(\n\x0b\n\x01a\x12\x06\x1a\x04\x08\x01\x08\x02\n\x0c\n\x01b\x12\x07\x12\x05'
              b'\r\x00\x00\xc0?\n\x0b\n\x01c\x12\x06\n\x04\n\x02hi')


def test_decode_json_example_bytes():
    out = tf.io.decode_json_example(JSON)
    assert out.dtype == tf.string and out.shape == ()
    assert out.numpy() == JSON_BYTES
    out = tf.io.decode_json_example([[JSON], ['{"features": {}}']])
    assert out.shape == (2, 1)
    assert out.numpy().tolist() == [[JSON_BYTES], [b'\n\x00']]
    assert tf.io.decode_json_example(["{}"]).numpy().tolist() == [b""]
    snake = '{"features": {"feature": {"a": {"int64_list": {"value": [1]}}}}}'
    assert tf.io.decode_json_example(snake).numpy() == b'\n\x0b\n\t\n\x01a\x12\x04\x1a\x02\x08\x01'


def test_decode_json_example_errors():
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Error while parsing JSON: invalid JSON in "
                             "type.googleapis.com/tensorflow.Example.*no such field: 'x'"):
        tf.io.decode_json_example('{"x": 1}')
    with pytest.raises(tf.errors.InvalidArgumentError, match="Error while parsing JSON"):
        tf.io.decode_json_example("not json")


def test_bfloat16_round_trip():
    pytest.importorskip("ml_dtypes", reason="tf.bfloat16 needs ml_dtypes (optional)")
    want = b'\x08\x0e\x12\x04\x12\x02\x08\x01"\x02\xc0?'  # TF 2.21, [1.5] as bfloat16
    x = tf.cast(tf.constant([1.5]), tf.bfloat16)
    assert tf.io.serialize_tensor(x).numpy() == want
    back = tf.io.parse_tensor(want, tf.bfloat16)
    assert back.dtype == tf.bfloat16 and back.numpy().astype(np.float32).tolist() == [1.5]
