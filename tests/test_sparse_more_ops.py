"""tf.sparse.bincount, mask, cross, cross_hashed and sampled_addmm (expected values recorded
from TF 2.21)."""
import numpy as np
import pytest

import tapeflow as tf
from gradcheck import check_grad


def _parts(sp):
    return sp.indices.numpy().tolist(), sp.values.numpy().tolist(), sp.dense_shape.numpy().tolist()


def test_exported():
    for name in ["bincount", "mask", "cross", "cross_hashed", "sampled_addmm"]:
        assert name in tf.sparse.__all__ and callable(getattr(tf.sparse, name))


# -- bincount ---------------------------------------------------------------------------------
V = [1, 1, 2, 3, 2, 4, 4, 5]


def test_bincount_1d():
    out = tf.sparse.bincount(tf.constant(V))
    assert isinstance(out, tf.sparse.SparseTensor) and out.values.dtype == tf.int32
    assert _parts(out) == ([[1], [2], [3], [4], [5]], [2, 2, 1, 2, 1], [6])
    assert _parts(tf.sparse.bincount(tf.constant(V), minlength=8))[2] == [8]
    assert _parts(tf.sparse.bincount(tf.constant(V), minlength=2))[2] == [6]
    assert _parts(tf.sparse.bincount(tf.constant(V), maxlength=3)) == ([[1], [2]], [2, 2], [3])
    assert _parts(tf.sparse.bincount(tf.constant(V), maxlength=10))[2] == [10]
    assert _parts(tf.sparse.bincount(tf.constant(V), minlength=9, maxlength=3))[2] == [3]
    assert _parts(tf.sparse.bincount(tf.constant(V), binary_output=True))[1] == [1, 1, 1, 1, 1]
    assert _parts(tf.sparse.bincount([1, 2, 2])) == ([[1], [2]], [1, 2], [3])
    empty = tf.sparse.bincount(tf.zeros([0], tf.int32))
    assert _parts(empty) == ([], [], [1]) and empty.indices.shape == (0, 1)


def test_bincount_weights():
    out = tf.sparse.bincount(tf.constant(V), weights=tf.constant([0.5, 1, 2, 3, 4, 5, 6, 7]))
    assert out.values.dtype == tf.float32
    assert _parts(out) == ([[1], [2], [3], [4], [5]], [1.5, 6.0, 3.0, 11.0, 7.0], [6])
    out = tf.sparse.bincount(tf.constant(V), weights=tf.constant([1, 2, 3, 4, 5, 6, 7, 8],
                                                                  tf.float64))
    assert out.values.dtype == tf.float64 and _parts(out)[1] == [3, 8, 4, 13, 8]


def test_bincount_2d_axes():
    m = tf.constant([[1, 1, 2], [3, 0, 3]], tf.int64)
    out = tf.sparse.bincount(m)
    assert out.values.dtype == tf.int64
    assert _parts(out) == ([[0], [1], [2], [3]], [1, 2, 1, 2], [4])
    assert _parts(tf.sparse.bincount(m, axis=-1)) == ([[0, 1], [0, 2], [1, 0], [1, 3]],
                                                      [2, 1, 1, 2], [2, 4])
    out = tf.sparse.bincount(m, weights=tf.constant([[1., 2, 3], [4, 5, 6]]), axis=-1)
    assert _parts(out)[1] == [3.0, 3.0, 5.0, 10.0]
    empty = tf.sparse.bincount(tf.zeros([2, 0], tf.int32), axis=-1)
    assert _parts(empty) == ([], [], [2, 1])


def test_bincount_sparse_and_ragged():
    sp = tf.sparse.SparseTensor([[0, 0], [0, 2], [1, 1]], tf.constant([3, 3, 7]), [2, 4])
    assert _parts(tf.sparse.bincount(sp, axis=-1)) == ([[0, 3], [1, 7]], [2, 1], [2, 8])
    assert _parts(tf.sparse.bincount(sp)) == ([[3], [7]], [2, 1], [8])
    w = tf.sparse.SparseTensor([[0, 0], [0, 2], [1, 1]], [1., 2, 3], [2, 4])
    assert _parts(tf.sparse.bincount(sp, weights=w, axis=-1))[1] == [3.0, 3.0]
    rg = tf.ragged.constant([[1, 1], [2, 5, 5]])
    assert _parts(tf.sparse.bincount(rg, axis=-1)) == ([[0, 1], [1, 2], [1, 5]], [2, 1, 2],
                                                       [2, 6])
    out = tf.sparse.bincount(rg, weights=tf.ragged.constant([[1., 2], [3, 4, 5]]))
    assert _parts(out) == ([[1], [2], [5]], [3.0, 3.0, 9.0], [6])


def test_bincount_errors():
    with pytest.raises(ValueError, match="Unsupported value for argument axis=1. Only 0 and -1 "
                                         "are currently supported."):
        tf.sparse.bincount(tf.constant([[1]]), axis=1)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Input values must all be non-negative"):
        tf.sparse.bincount(tf.constant([-1, 2]))
    with pytest.raises(ValueError, match="Arguments `binary_output` and `weights` are mutually "
                                         "exclusive. Please specify only one."):
        tf.sparse.bincount(tf.constant(V), weights=tf.ones([8]), binary_output=True)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Weights and data must have the same shape. Weight shape: \[7\]; "
                             r"data shape: \[8\]"):
        tf.sparse.bincount(tf.constant(V), weights=tf.ones([7]))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Input must be a 1 or 2-dimensional tensor. Got: \[1,1,1\]"):
        tf.sparse.bincount(tf.constant([[[1]]]), axis=-1)
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.sparse.bincount(tf.constant([1.0]))
    sp = tf.sparse.SparseTensor([[0, 0]], tf.constant([3]), [1, 4])
    with pytest.raises(ValueError, match="Argument `weights` must be a SparseTensor if `values` "
                                         "is a SparseTensor."):
        tf.sparse.bincount(sp, weights=tf.constant([1.0]))


# -- mask -------------------------------------------------------------------------------------
def test_mask():
    a = tf.IndexedSlices(tf.constant([[1., 2.], [3., 4.], [5., 6.]]), tf.constant([12, 26, 37]),
                         tf.constant([40, 2]))
    out = tf.sparse.mask(a, [12, 45])
    assert isinstance(out, tf.IndexedSlices)
    assert out.indices.dtype == tf.int32 and out.indices.numpy().tolist() == [26, 37]
    assert out.values.numpy().tolist() == [[3., 4.], [5., 6.]]
    assert out.dense_shape.numpy().tolist() == [40, 2]
    assert tf.sparse.mask(a, [1]).indices.numpy().tolist() == [12, 26, 37]
    b = tf.sparse.mask(tf.IndexedSlices(tf.constant([1., 2., 3.]), tf.constant([5, 5, 2])), [5])
    assert b.indices.numpy().tolist() == [2] and b.values.numpy().tolist() == [3.0]
    assert b.dense_shape is None
    with pytest.raises(AttributeError):
        tf.sparse.mask(tf.constant([1., 2.]), [0])


def test_mask_gradient():
    idx = tf.constant([0, 3, 5])
    check_grad(lambda v: tf.sparse.mask(tf.IndexedSlices(v * v, idx), [3]).values,
               np.array([[1.0, -2.0], [0.5, 3.0], [2.0, 0.25]]))


# -- cross ------------------------------------------------------------------------------------
SP1 = tf.sparse.SparseTensor([[0, 0], [1, 0], [1, 1]], tf.constant(["a", "b", "c"]), [2, 2])
SP2 = tf.sparse.SparseTensor([[0, 0], [1, 0]], tf.constant(["d", "e"]), [2, 1])
DN = tf.constant([["f", "g"], ["h", "i"]])
IDX6 = [[0, 0], [0, 1], [1, 0], [1, 1], [1, 2], [1, 3]]


def test_cross():
    out = tf.sparse.cross([SP1, SP2, DN])
    assert isinstance(out, tf.sparse.SparseTensor) and out.values.dtype == tf.string
    assert _parts(out) == (IDX6, [b"a_X_d_X_f", b"a_X_d_X_g", b"b_X_e_X_h", b"b_X_e_X_i",
                                  b"c_X_e_X_h", b"c_X_e_X_i"], [2, 4])
    assert _parts(tf.sparse.cross([SP1, DN], separator="--"))[1] == [
        b"a--f", b"a--g", b"b--h", b"b--i", b"c--h", b"c--i"]
    # sparse inputs come first in each cross, whatever the order given
    assert _parts(tf.sparse.cross([DN, SP1]))[1] == [
        b"a_X_f", b"a_X_g", b"b_X_h", b"b_X_i", b"c_X_h", b"c_X_i"]


def test_cross_integers_and_empty():
    spi = tf.sparse.SparseTensor([[0, 0], [1, 1]], tf.constant([7, 8], tf.int64), [2, 2])
    assert _parts(tf.sparse.cross([spi, DN])) == ([[0, 0], [0, 1], [1, 0], [1, 1]],
                                                  [b"7_X_f", b"7_X_g", b"8_X_h", b"8_X_i"],
                                                  [2, 2])
    assert _parts(tf.sparse.cross([spi])) == ([[0, 0], [1, 0]], [b"7", b"8"], [2, 1])
    assert _parts(tf.sparse.cross([tf.constant([[1]], tf.int32), DN[:1]]))[1] == [b"1_X_f",
                                                                                  b"1_X_g"]
    assert _parts(tf.sparse.cross([tf.constant([[1.5, -2.7]])]))[1] == [b"1", b"-2"]
    sp3 = tf.sparse.SparseTensor([[1, 0]], tf.constant(["z"]), [3, 1])
    assert _parts(tf.sparse.cross([sp3, tf.constant([["x"], ["y"], ["w"]])])) == (
        [[1, 0]], [b"z_X_y"], [3, 1])
    empty = tf.sparse.cross([])
    assert _parts(empty) == ([], [], [0, 0]) and empty.indices.shape == (0, 2)


def test_cross_hashed():
    out = tf.sparse.cross_hashed([SP1, SP2, DN])
    assert out.values.dtype == tf.int64
    assert _parts(out) == (IDX6, [5684865645872741371, 9189713398209887962, 6448846800170488875,
                                  7771627434994332045, 6771102025118430112, 6249914741091539292],
                           [2, 4])
    out = tf.sparse.cross_hashed([SP1, SP2, DN], num_buckets=100)
    assert _parts(out)[1] == [78, 69, 82, 52, 19, 99]
    out = tf.sparse.cross_hashed([SP1, DN], num_buckets=1000, hash_key=12345)
    assert _parts(out)[1] == [455, 521, 669, 918, 258, 367]
    assert _parts(tf.sparse.cross_hashed([SP1]))[1] == [3550520439517529108, 5701958020731327761,
                                                        5287514571041673476]
    # hash_key=0 means the default key, as in TF
    assert _parts(tf.sparse.cross_hashed([tf.constant([["a"]])], hash_key=0))[1] == [
        3550520439517529108]
    assert _parts(tf.sparse.cross_hashed([tf.constant([["a"]]), tf.constant([["a"]])]))[1] == [
        3112133398209135108]


def test_cross_hashed_integers():
    spi = tf.sparse.SparseTensor([[0, 0], [1, 1]], tf.constant([7, 8], tf.int64), [2, 2])
    assert _parts(tf.sparse.cross_hashed([spi, DN]))[1] == [
        4248272816791748458, 5760622652877398573, 5946070643656917077, 8956034964062911977]
    assert _parts(tf.sparse.cross_hashed([spi]))[1] == [7129489355927154095, 8054468179830813262]
    assert _parts(tf.sparse.cross_hashed([spi], num_buckets=10**9))[1] == [781929902, 830813262]


def test_cross_errors():
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Expected batch size 2 got 1 at dense tensor 0"):
        tf.sparse.cross([SP1, tf.constant([["a"]])])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Expected batch size 1 got 2 at dense tensor 1"):
        tf.sparse.cross([tf.constant([["a"]]), tf.constant([["a"], ["b"]])])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Expected batch size 2 got 1 at position 1"):
        tf.sparse.cross([SP1, tf.sparse.SparseTensor([[0, 0]], tf.constant(["d"]), [1, 1])])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Dense inputs should be a matrix but received shape \[1,1,1\] at "
                             "position 0|Dense inputs should be a matrix but received shape "
                             r"\[1, 1, 1\] at position 0"):
        tf.sparse.cross([tf.constant([[["a"]]])])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Expected D2 of index to be 2 got 3 at position 0"):
        tf.sparse.cross([tf.sparse.SparseTensor([[0, 0, 0]], ["a"], [1, 1, 1])])
    with pytest.raises(TypeError, match="All inputs must be Tensor or SparseTensor."):
        tf.sparse.cross([tf.ragged.constant([["a"]])])
    with pytest.raises(TypeError, match="Inputs must be a list"):
        tf.sparse.cross(tf.constant([["a"]]))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Value for attr 'num_buckets' of -1 must be at least minimum 0"):
        tf.sparse.cross_hashed([tf.constant([[1]]), tf.constant([["a"]])], num_buckets=-1)


# -- sampled_addmm ----------------------------------------------------------------------------
def test_sampled_addmm():
    indices, values, shape = tf.sparse.sampled_addmm(
        tf.constant([0, 0, 1, 1], shape=[2, 2]), tf.constant([0.5, 0.3]), tf.constant([2, 2]),
        tf.constant([1, 2, 3, 4, 5, 6], shape=[2, 3], dtype=tf.float32),
        tf.constant([7, 8, 9, 10, 11, 12], shape=[3, 2], dtype=tf.float32), alpha=0.75,
        beta=0.25)
    assert indices.dtype == tf.int32 and indices.numpy().tolist() == [[0, 0], [1, 1]]
    assert values.dtype == tf.float32
    np.testing.assert_allclose(values.numpy(), [43.625, 115.575], rtol=1e-6)
    assert shape.dtype == tf.int32 and shape.numpy().tolist() == [2, 2]


def test_sampled_addmm_batched():
    _, values, _ = tf.sparse.sampled_addmm(
        tf.constant([0, 1, 1, 0, 0, 0, 1, 0], shape=[2, 2, 2]),
        tf.constant([3, 5, 2, 7], shape=[2, 2], dtype=tf.float32), [2, 2],
        tf.constant(np.arange(1, 13), shape=[2, 2, 3], dtype=tf.float32),
        tf.constant(np.arange(13, 25), shape=[2, 3, 2], dtype=tf.float32), alpha=0.75, beta=0.25)
    np.testing.assert_allclose(values.numpy(), [[75.75, 173.0], [381.5, 524.5]], rtol=1e-6)


def test_sampled_addmm_shape_error():
    with pytest.raises(ValueError, match=r"Dense shape: \[3 3\] does not match output shape: "
                                         r"\[2 2\]"):
        tf.sparse.sampled_addmm([[0, 0]], [1.], [3, 3], tf.ones([2, 2]), tf.ones([2, 2]))


def test_sampled_addmm_gradient_float64():
    rng = np.random.default_rng(0)
    idx = tf.constant([[0, 1], [1, 0], [2, 2]])
    check_grad(lambda v, a, b: tf.sparse.sampled_addmm(idx, v, [3, 3], a, b, beta=0.5, alpha=2.0,
                                                       output_type=tf.float64)[1],
               rng.normal(size=3), rng.normal(size=(3, 4)), rng.normal(size=(4, 3)))
