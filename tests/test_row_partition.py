"""``tf.experimental.RowPartition`` and ``tf.experimental.DynamicRaggedShape``: encodings,
reprs, dtypes, slicing and ragged broadcasting, with values recorded from TF 2.21."""
import numpy as np
import pytest

import tapeflow as tf
from gradcheck import check_grad
from tapeflow.ragged.dynamic_ragged_shape import broadcast_dynamic_shape, broadcast_to

RP = tf.experimental.RowPartition
DRS = tf.experimental.DynamicRaggedShape


def _v(t):
    return t.numpy().tolist()


def test_row_partition_encodings():
    p = RP.from_row_lengths([3, 0, 2])
    assert repr(p) == "tf.RowPartition(row_splits=[0 3 3 5])" == str(p)
    assert _v(p.row_splits()) == [0, 3, 3, 5] and p.row_splits().dtype == tf.int64
    assert _v(p.row_lengths()) == [3, 0, 2]
    assert _v(p.value_rowids()) == [0, 0, 0, 2, 2]
    assert _v(p.row_starts()) == [0, 3, 3] and _v(p.row_limits()) == [3, 3, 5]
    assert _v(p.nrows()) == 3 and _v(p.nvals()) == 5
    assert _v(p.offsets_in_rows()) == [0, 1, 2, 0, 1]
    assert p.uniform_row_length() is None and not p.is_uniform()
    assert p.static_nrows == 3 and p.static_nvals is None and p.static_uniform_row_length is None
    assert p.dtype == tf.int64
    q = p.with_dtype(tf.int32)
    assert q.dtype == tf.int32 and q.row_splits().dtype == tf.int32


def test_row_partition_factories():
    assert repr(RP.from_row_splits([0, 2, 2, 5])) == "tf.RowPartition(row_splits=[0 2 2 5])"
    assert _v(RP.from_value_rowids([0, 0, 2], nrows=4).row_splits()) == [0, 2, 2, 3, 3]
    assert _v(RP.from_value_rowids([0, 0, 2]).row_splits()) == [0, 2, 2, 3]
    assert RP.from_value_rowids([0, 0, 2]).static_nrows == 3
    assert _v(RP.from_row_starts([0, 2], nvals=5).row_lengths()) == [2, 3]
    assert _v(RP.from_row_limits([2, 5]).row_lengths()) == [2, 3]
    u = RP.from_uniform_row_length(2, nvals=6)
    assert repr(u) == "tf.RowPartition(nrows=3, uniform_row_length=2)"
    assert _v(u.row_splits()) == [0, 2, 4, 6] and _v(u.uniform_row_length()) == 2
    assert u.is_uniform() and u.static_nvals == 6 and type(u.static_nvals) is np.int64
    assert _v(RP.from_uniform_row_length(0, nvals=0, nrows=3).row_splits()) == [0, 0, 0, 0]
    assert RP.from_row_lengths([1, 2], dtype=tf.int32).dtype == tf.int32
    assert RP.from_row_lengths([1, 2], dtype_hint=tf.int32).dtype == tf.int32
    assert RP.from_row_lengths(tf.constant([1, 2], tf.int32)).dtype == tf.int32
    assert repr(RP.from_row_splits([0, 1], validate=False)) == "tf.RowPartition(row_splits=[0 1])"


def test_row_partition_errors():
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Arguments to from_row_splits do not form a valid RaggedTensor"):
        RP.from_row_splits([1, 2])
    with pytest.raises(tf.errors.InvalidArgumentError, match="monotonic"):
        RP.from_row_splits([0, 3, 2])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Arguments to from_row_lengths do not form a valid RowPartition"):
        RP.from_row_lengths([1, -1])
    with pytest.raises(ValueError, match="row_lengths must have dtype int32 or int64"):
        RP.from_row_lengths([1.0])
    with pytest.raises(ValueError, match="Tensor conversion requested dtype int64 for Tensor "
                                         "with dtype int32"):
        RP.from_row_lengths(tf.constant([1, 2], tf.int32), dtype=tf.int64)
    with pytest.raises(ValueError, match="row_splits tensor may not be empty."):
        RP.from_row_splits([])
    with pytest.raises(ValueError, match="uniform_row_length=4 times nrows=1 must equal nvals=6"):
        RP.from_uniform_row_length(4, nvals=6)
    with pytest.raises(ValueError, match="constructor is private"):
        RP(None)


def test_ragged_tensor_row_partition():
    p = tf.RaggedTensor.from_row_lengths([1, 2, 3], [1, 2])._row_partition
    assert repr(p) == "tf.RowPartition(row_splits=[0 1 3])"
    assert _v(tf.ragged.constant([[1, 2], [3]])._row_partition.row_splits()) == [0, 2, 3]


def test_shape_of_ragged_is_a_dynamic_ragged_shape():
    rt = tf.ragged.constant([[[1, 2], [3]], [[4, 5, 6]]])
    s = tf.shape(rt)
    assert isinstance(s, DRS)
    assert repr(s) == "<DynamicRaggedShape lengths=[2, (2, 1), (2, 1, 3)] num_row_partitions=2>"
    assert s.dtype == tf.int32 and s.rank == 3 and s.num_row_partitions == 2
    assert _v(s.inner_shape) == [6] and s.inner_shape.dtype == tf.int32 and s.inner_rank == 1
    assert [repr(p) for p in s.row_partitions] == ["tf.RowPartition(row_splits=[0 2 3])",
                                                   "tf.RowPartition(row_splits=[0 2 3 6])"]
    assert s.static_lengths() == [2, (2, 1), (2, 1, 3)]
    assert s.static_lengths(ragged_lengths=False) == [2, None, None]
    assert _v(s[0]) == 2 and s[0].dtype == tf.int32
    assert repr(s[0:2]) == "<DynamicRaggedShape lengths=[2, (2, 1)] num_row_partitions=1>"
    assert s.is_uniform(0) and not s.is_uniform(1)
    with pytest.raises(ValueError, match="Index 1 is not uniform"):
        s[1]
    with pytest.raises(ValueError, match="Index 2 is not uniform"):
        s[-1]
    with pytest.raises(ValueError, match="All relevant dimensions must be uniform"):
        s[1:]
    with pytest.raises(IndexError, match="Index is too big: 5>=3"):
        s[5]
    assert tf.shape(tf.ragged.constant([[1, 2], [3]]), out_type=tf.int64).dtype == tf.int64
    assert DRS.from_tensor(rt).dtype == tf.int64
    assert _v(tf.shape(tf.constant([[1, 2]]))) == [1, 2]  # dense tf.shape is unchanged


def test_dynamic_ragged_shape_of_dense_and_from_lengths():
    d = DRS.from_tensor(tf.ones([2, 3, 4]))
    assert repr(d) == "<DynamicRaggedShape lengths=[2, 3, 4] num_row_partitions=0>"
    assert d.dtype == tf.int32 and d.rank == 3 and _v(d.inner_shape) == [2, 3, 4]
    assert _v(d[1]) == 3 and repr(d[1:]) == ("<DynamicRaggedShape lengths=[3, 4] "
                                            "num_row_partitions=0>")
    assert d.static_lengths() == [2, 3, 4] and d.is_uniform(1)
    f = DRS.from_lengths([2, (2, 1), 3])
    assert repr(f) == "<DynamicRaggedShape lengths=[2, (2, 1), 3] num_row_partitions=1>"
    assert _v(f.inner_shape) == [3, 3] and f.inner_shape.dtype == tf.int64
    g = DRS.from_lengths([2, 3, 4], num_row_partitions=1)
    assert repr(g) == "<DynamicRaggedShape lengths=[2, 3, 4] num_row_partitions=1>"
    assert _v(g.inner_shape) == [6, 4]
    assert repr(g.row_partitions[0]) == "tf.RowPartition(nrows=2, uniform_row_length=3)"
    with pytest.raises(ValueError, match="Shape not consistent."):
        DRS.from_lengths([2, (2, 1, 3)])
    h = DRS([RP.from_row_lengths([2, 1])], [3, 4])
    assert repr(h) == "<DynamicRaggedShape lengths=[2, (2, 1), 4] num_row_partitions=1>"
    assert DRS([], [3, 4]).dtype == tf.int64
    k = DRS.from_row_partitions([RP.from_row_lengths([2, 1])])
    assert repr(k) == "<DynamicRaggedShape lengths=[2, (2, 1)] num_row_partitions=1>"


def test_broadcast_to_ragged_shape():
    r = broadcast_to(tf.constant([[1], [2]]), DRS.from_lengths([2, (2, 1)]))
    assert isinstance(r, tf.RaggedTensor) and r.to_list() == [[1, 1], [2]]
    assert broadcast_to(tf.constant(7), DRS.from_lengths([2, (2, 1)])).to_list() == [[7, 7], [7]]
    assert _v(broadcast_to(tf.constant([1, 2]), DRS.from_lengths([3, 2]))) == [[1, 2]] * 3
    with pytest.raises(tf.errors.InvalidArgumentError, match="Cannot broadcast"):
        broadcast_to(tf.constant([1, 2]), DRS.from_lengths([2, (2, 1)]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Cannot broadcast"):
        broadcast_to(tf.constant([[1], [2]]), DRS.from_lengths([2, (2, 1), 2]))


def test_broadcast_to_gradient():
    shape = DRS.from_lengths([2, (2, 1), 3])
    check_grad(lambda x: broadcast_to(x, shape).flat_values, np.array([[0.5, -1.0, 2.0]]))


@pytest.mark.parametrize("a,b,want", [  # recorded from TF 2.21 (tf.broadcast_dynamic_shape)
    ([2, (2, 1)], [1], "lengths=[2, (2, 1)] num_row_partitions=1"),
    ([2, (2, 1)], [2, 1], "lengths=[2, (2, 1)] num_row_partitions=1"),
    ([2, 1], [2, 5], "lengths=[2, 5] num_row_partitions=0"),
    ([2, (2, 1), 1], [4], "lengths=[2, (2, 1), 4] num_row_partitions=1"),
    ([4], [2, (2, 1), 1], "lengths=[2, (2, 1), 4] num_row_partitions=1"),
])
def test_broadcast_dynamic_shape(a, b, want):
    out = broadcast_dynamic_shape(DRS.from_lengths(a), DRS.from_lengths(b))
    assert repr(out) == f"<DynamicRaggedShape {want}>"


@pytest.mark.parametrize("a,b", [([2, (2, 1)], [2, 1, 3]), ([2, 1], [3, 2]),
                                 ([2, (2, 1)], [1, 1, 4])])
def test_broadcast_dynamic_shape_errors(a, b):
    with pytest.raises(tf.errors.InvalidArgumentError):
        broadcast_dynamic_shape(DRS.from_lengths(a), DRS.from_lengths(b))


def test_experimental_names_load_lazily():
    import subprocess
    import sys

    code = ("import sys, tapeflow as tf; tf.experimental.dlpack; "
            "assert 'tapeflow.ragged.row_partition' not in sys.modules; "
            "tf.experimental.RowPartition; assert 'tapeflow.ragged.row_partition' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
