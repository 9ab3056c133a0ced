"""tf.io.parse_sequence_example and tf.io.SparseFeature; serialized records and expected
values recorded from TF 2.21."""
import numpy as np
import pytest

import tapeflow as tf

pytest.importorskip("google.protobuf", reason="tf.train.Example parsing needs protobuf")

# tf.train.SequenceExample: context id=7, feature list tok=[[1, 2], [3, 4], [5, 6]]; and
# id=8, tok=[[9, 9]]
S1 = (b'\n\r\n\x0b\n\x02id\x12\x05\x1a\x03\n\x01\x07\x12!\n\x1f\n\x03tok\x12\x18\n\x06\x1a\x04'
      b'\n\x02\x01\x02\n\x06\x1a\x04\n\x02\x03\x04\n\x06\x1a\x04\n\x02\x05\x06')
S2 = (b'\n\r\n\x0b\n\x02id\x12\x05\x1a\x03\n\x01\x08\x12\x11\n\x0f\n\x03tok\x12\x08\n\x06\x1a'
      b'\x04\n\x02\t\t')
# tf.train.Example: ix=[3, 1], v=[0.5, 1.5], jx=[4, 2]; and ix=[0], v=[2.0], jx=[1]
E1 = (b'\n/\n\x11\n\x01v\x12\x0c\x12\n\n\x08\x00\x00\x00?\x00\x00\xc0?\n\x0c\n\x02ix\x12\x06'
      b'\x1a\x04\n\x02\x03\x01\n\x0c\n\x02jx\x12\x06\x1a\x04\n\x02\x04\x02')
E2 = (b'\n)\n\r\n\x01v\x12\x08\x12\x06\n\x04\x00\x00\x00@\n\x0b\n\x02ix\x12\x05\x1a\x03\n\x01'
      b'\x00\n\x0b\n\x02jx\x12\x05\x1a\x03\n\x01\x01')


def test_dense_feature_lists_and_lengths():
    ctx, lists, lengths = tf.io.parse_sequence_example(
        [S1, S2], context_features={"id": tf.io.FixedLenFeature([], tf.int64)},
        sequence_features={"tok": tf.io.FixedLenSequenceFeature([2], tf.int64)})
    assert ctx["id"].numpy().tolist() == [7, 8]
    assert lists["tok"].dtype == tf.int64
    assert lists["tok"].numpy().tolist() == [[[1, 2], [3, 4], [5, 6]], [[9, 9], [0, 0], [0, 0]]]
    assert lengths["tok"].dtype == tf.int64 and lengths["tok"].numpy().tolist() == [3, 1]


def test_scalar_input_parses_one():
    ctx, lists, lengths = tf.io.parse_sequence_example(
        S1, context_features={"id": tf.io.FixedLenFeature([], tf.int64)},
        sequence_features={"tok": tf.io.FixedLenSequenceFeature([2], tf.int64)})
    assert ctx["id"].shape == () and ctx["id"].numpy() == 7
    assert lists["tok"].shape == (3, 2)
    assert lengths["tok"].shape == () and lengths["tok"].numpy() == 3


def test_varlen_and_ragged_feature_lists():
    _, lists, lengths = tf.io.parse_sequence_example(
        [S1, S2], sequence_features={"tok": tf.io.VarLenFeature(tf.int64)})
    sp = lists["tok"]
    assert lengths == {}
    assert sp.indices.numpy().tolist() == [[0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 1],
                                           [0, 2, 0], [0, 2, 1], [1, 0, 0], [1, 0, 1]]
    assert sp.values.numpy().tolist() == [1, 2, 3, 4, 5, 6, 9, 9]
    assert sp.dense_shape.numpy().tolist() == [2, 3, 2]
    _, lists, _ = tf.io.parse_sequence_example(
        [S1, S2], sequence_features={"tok": tf.io.RaggedFeature(tf.int64)})
    assert lists["tok"].to_list() == [[[1, 2], [3, 4], [5, 6]], [[9, 9]]]


def test_missing_and_errors():
    _, lists, lengths = tf.io.parse_sequence_example(
        [S1, S2],
        sequence_features={"nope": tf.io.FixedLenSequenceFeature([2], tf.int64,
                                                                 allow_missing=True)})
    assert lists["nope"].shape == (2, 0, 2) and lengths["nope"].numpy().tolist() == [0, 0]
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Name: <unknown>, Feature list 'nope' is required but could not "
                             "be found.  Did you mean to include it in "
                             "feature_list_dense_missing_assumed_empty or "
                             "feature_list_dense_defaults?"):
        tf.io.parse_sequence_example(
            [S1, S2], sequence_features={"nope": tf.io.FixedLenSequenceFeature([2], tf.int64)})
    with pytest.raises(ValueError, match="Both `context_features` and `sequence_features` "
                                         "argument are None, but at least one should have "
                                         "values."):
        tf.io.parse_sequence_example([S1, S2])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Name: <unknown>, Key: tok, Index: 0.  Number of values != "
                             r"expected.  values size: 2 but output shape: \[3\]"):
        tf.io.parse_sequence_example(
            [S1, S2], sequence_features={"tok": tf.io.FixedLenSequenceFeature([3], tf.int64)})


def test_sparse_feature_repr_and_defaults():
    f = tf.io.SparseFeature(index_key="ix", value_key="v", dtype=tf.float32, size=5)
    assert f.already_sorted is False
    assert repr(f) == ("SparseFeature(index_key='ix', value_key='v', dtype=tf.float32, "
                       "size=5, already_sorted=False)")


def test_sparse_feature_single_and_batch():
    f = {"sp": tf.io.SparseFeature("ix", "v", tf.float32, 5)}
    sp = tf.io.parse_single_example(E1, f)["sp"]
    assert sp.indices.numpy().tolist() == [[1], [3]]
    assert sp.values.numpy().tolist() == [1.5, 0.5]
    assert sp.dense_shape.numpy().tolist() == [5]
    sp = tf.io.parse_example([E1, E2], f)["sp"]
    assert sp.indices.numpy().tolist() == [[0, 1], [0, 3], [1, 0]]
    assert sp.values.dtype == tf.float32 and sp.values.numpy().tolist() == [1.5, 0.5, 2.0]
    assert sp.dense_shape.numpy().tolist() == [2, 5]
    sp = tf.io.parse_example(
        [E1, E2], {"sp": tf.io.SparseFeature("ix", "v", tf.float32, 5, already_sorted=True)})["sp"]
    assert sp.indices.numpy().tolist() == [[0, 3], [0, 1], [1, 0]]
    assert sp.values.numpy().tolist() == [0.5, 1.5, 2.0]


def test_sparse_feature_multi_index_and_errors():
    sp = tf.io.parse_example(
        [E1, E2], {"sp": tf.io.SparseFeature(["ix", "jx"], "v", tf.float32, [5, 6])})["sp"]
    assert sp.indices.numpy().tolist() == [[0, 1, 2], [0, 3, 4], [1, 0, 1]]
    assert sp.dense_shape.numpy().tolist() == [2, 5, 6]
    with pytest.raises(ValueError, match="Dimensions 0 and 2 are not compatible"):
        tf.io.parse_example([E1], {"sp": tf.io.SparseFeature("zz", "v", tf.float32, 5)})
    out = tf.io.parse_example([E1], {"sp": tf.io.SparseFeature("ix", "v", tf.float32, 5),
                                     "v": tf.io.VarLenFeature(tf.float32)})
    np.testing.assert_array_equal(out["sp"].indices.numpy(), [[0, 1], [0, 3]])
    np.testing.assert_array_equal(out["v"].values.numpy(), [0.5, 1.5])
