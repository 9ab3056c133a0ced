"""Gather/scatter/rearranging ops: values against NumPy, gradients against finite
differences, TF's errors, and property tests over shapes and axes."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tapeflow as tf
from gradcheck import check_grad

rng = np.random.default_rng(0)
FEW = settings(max_examples=25, deadline=None)
IAE = tf.errors.InvalidArgumentError


def r(*shape):
    return rng.normal(size=shape)


def sq(fn):
    """fn's output squared: makes linear ops' second-order gradients non-trivial."""
    return lambda *ts: fn(*ts) ** 2


def distinct(*shape):
    """Random values with no ties (sort/top_k/max gradients are smooth there)."""
    n = int(np.prod(shape))
    return (rng.permutation(n) + rng.uniform(0.1, 0.9, n)).reshape(shape) / n


shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3)


# -- gather -------------------------------------------------------------------------------------
def test_gather_values_match_numpy():
    p = r(3, 4, 2)
    for axis in (0, 1, 2, -1):
        n = p.shape[axis]
        idx = [n - 1, 0, n - 1]
        np.testing.assert_array_equal(tf.gather(p, idx, axis=axis).numpy(),
                                      np.take(p, idx, axis=axis))
    assert tf.gather(p, 1).shape == (4, 2)  # scalar index drops the axis
    two_d = tf.gather(p, [[0, 1], [2, 2]], axis=0)
    np.testing.assert_array_equal(two_d.numpy(), p[[[0, 1], [2, 2]]])
    assert tf.gather(tf.constant([True, False]), [1]).numpy().tolist() == [False]
    assert tf.gather(p, tf.constant([1], tf.int64)).shape == (1, 4, 2)
    assert tf.gather(p, tf.zeros([0], tf.int32)).shape == (0, 4, 2)


def _gather_batched_ref(p, idx, axis, bd):
    """Reference for batch_dims gather by looping over the batch (test-only Python)."""
    if bd == 0:
        return np.take(p, idx, axis=axis)
    return np.stack([_gather_batched_ref(p[i], idx[i], axis - 1, bd - 1)
                     for i in range(p.shape[0])])


def test_gather_batch_dims():
    p = np.arange(24).reshape(2, 3, 4)
    idx = np.array([[0, 1], [2, 0]])
    got = tf.gather(p, idx, axis=2, batch_dims=1).numpy()
    np.testing.assert_array_equal(got, [[[0, 1], [4, 5], [8, 9]], [[14, 12], [18, 16],
                                                                   [22, 20]]])
    np.testing.assert_array_equal(tf.gather(p, idx, axis=2, batch_dims=-1).numpy(), got)
    q = r(2, 3, 4, 5)
    qi = rng.integers(0, 3, size=(2, 3, 2))
    for axis, bd, ii in ((1, 1, rng.integers(0, 3, (2, 4))), (2, 2, qi % 4), (3, 2, qi + 1),
                         (2, 1, qi % 4)):
        np.testing.assert_array_equal(tf.gather(q, ii, axis=axis, batch_dims=bd).numpy(),
                                      _gather_batched_ref(q, ii, axis, bd))


def test_gather_gradient_accumulates_repeated_indices():
    p = tf.constant(np.ones((3, 2)))
    with tf.GradientTape() as tape:
        tape.watch(p)
        y = tf.reduce_sum(tf.gather(p, [0, 0, 2, 0]))
    np.testing.assert_array_equal(tape.gradient(y, p).numpy(), [[3, 3], [0, 0], [1, 1]])


def test_gather_grad():
    check_grad(sq(lambda p: tf.gather(p, [0, 2, 0, 0])), r(3, 2), second_order=True)
    check_grad(lambda p: tf.gather(p, [[1, 1], [0, 2]], axis=1), r(2, 3, 2))
    check_grad(sq(lambda p: tf.gather(p, [[0, 0, 2], [1, 2, 1]], axis=1, batch_dims=1)), r(2, 3, 2),
               second_order=True)


def test_gather_errors():
    with pytest.raises(IAE, match=r"indices\[1\] = 5 is not in \[0, 3\)"):
        tf.gather([1.0, 2.0, 3.0], [0, 5])
    with pytest.raises(IAE, match=r"indices\[0\] = -1 is not in \[0, 3\)"):
        tf.gather([1.0, 2.0, 3.0], [-1])
    with pytest.raises(IAE, match=r"indices\[0,1\] = 5 is not in \[0, 3\)"):
        tf.gather(r(2, 3), [[0, 5]], axis=1)
    with pytest.raises(IAE, match=r"indices = 7 is not in \[0, 2\)"):
        tf.gather(r(2, 3), 7)
    with pytest.raises(IAE, match="Tindices"):
        tf.gather(r(2, 3), [0.0])
    with pytest.raises(IAE, match="at least rank 3 but is rank 2"):
        tf.gather(r(2, 3), [0], axis=2)
    with pytest.raises(IAE, match=r"params.shape\[0\]: 2 should be equal to indices.shape\[0\]: 3"):
        tf.gather(r(2, 3, 4), [[0], [1], [1]], axis=1, batch_dims=1)
    with pytest.raises(IAE, match=r"batch_dims \(2\) must be less than or equal to axis \(1\)"):
        tf.gather(r(2, 2, 4), [[0, 1], [1, 0]], axis=1, batch_dims=2)
    with pytest.raises(IAE, match=r"Expected batch_dims in the range \[-1, 1\], but got 2"):
        tf.gather(r(2, 3), [0, 1], batch_dims=2)
    with pytest.raises(IAE) as e:
        tf.gather(r(3), [3])
    assert e.value.op == "GatherV2" and "[Op:GatherV2]" in str(e.value)


@FEW
@given(shapes, st.data())
def test_gather_property(shape, data):
    p = rng.normal(size=shape)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    ishape = data.draw(st.lists(st.integers(0, 3), max_size=2))
    idx = rng.integers(0, shape[axis], size=ishape)
    np.testing.assert_array_equal(tf.gather(p, idx, axis=axis).numpy(), np.take(p, idx, axis))


# -- gather_nd, scatter_nd, tensor_scatter ------------------------------------------------------
def test_gather_nd_values():
    p = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(tf.gather_nd(p, [[1, 2, 3], [0, 0, 1]]).numpy(), [23, 1])
    np.testing.assert_array_equal(tf.gather_nd(p, [[1, 2]]).numpy(), [p[1, 2]])
    np.testing.assert_array_equal(tf.gather_nd(p, [[[1], [0]]]).numpy(), [[p[1], p[0]]])
    np.testing.assert_array_equal(tf.gather_nd(p, [1]).numpy(), p[1])
    got = tf.gather_nd(p, [[[1, 0]], [[2, 3]]], batch_dims=1)
    np.testing.assert_array_equal(got.numpy(), [[4], [23]])
    np.testing.assert_array_equal(tf.gather_nd(p, [[1], [2]], batch_dims=1).numpy(),
                                  [p[0, 1], p[1, 2]])
    assert tf.gather_nd(p, tf.zeros([0, 2], tf.int32)).shape == (0, 4)
    assert tf.gather_nd(p, tf.zeros([2, 0], tf.int32)).shape == (2, 2, 3, 4)


def test_gather_nd_grad():
    check_grad(sq(lambda p: tf.gather_nd(p, [[0, 1], [0, 1], [1, 2]])), r(2, 3), second_order=True)
    check_grad(lambda p: tf.gather_nd(p, [[1], [1]]), r(2, 3))
    check_grad(sq(lambda p: tf.gather_nd(p, [[[1, 0], [1, 0]], [[2, 3], [0, 0]]], batch_dims=1)),
               r(2, 3, 4), second_order=True)


def test_gather_nd_errors():
    with pytest.raises(IAE, match=r"indices\[0\] = \[0, 5\] does not index into param shape "
                                  r"\[2,3\]"):
        tf.gather_nd(r(2, 3), [[0, 5]])
    with pytest.raises(IAE, match=r"indices\[1,1\] = \[1, 7\] does not index"):
        tf.gather_nd(r(2, 3), [[[0, 0], [1, 1]], [[0, 1], [1, 7]]])
    with pytest.raises(IAE, match=r"indices\[0\] = \[-1, 0\]"):
        tf.gather_nd(r(2, 3), [[-1, 0]])
    with pytest.raises(IAE, match="innermost dimension length must be <= params rank; saw: 3 "
                                  "vs. 2"):
        tf.gather_nd(r(2, 3), [[0, 1, 1]])
    with pytest.raises(IAE, match="at least a vector"):
        tf.gather_nd(r(2, 3), 1)
    with pytest.raises(IAE, match="Batch dimensions"):
        tf.gather_nd(r(2, 3, 4), [[[0]], [[2]], [[1]]], batch_dims=1)


@FEW
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.data())
def test_gather_nd_property(shape, data):
    p = rng.normal(size=shape)
    k = data.draw(st.integers(1, len(shape)))
    n = data.draw(st.integers(0, 4))
    idx = np.stack([rng.integers(0, d, size=n) for d in shape[:k]], axis=-1).reshape(n, k)
    want = p[tuple(idx[:, j] for j in range(k))]
    np.testing.assert_array_equal(tf.gather_nd(p, idx).numpy(), want)


def test_scatter_nd():
    np.testing.assert_array_equal(tf.scatter_nd([[1], [3], [1]], [1.0, 2, 3], [5]).numpy(),
                                  [0, 4, 0, 2, 0])
    got = tf.scatter_nd([[1]], [[1.0, 2]], tf.constant([3, 2]))
    np.testing.assert_array_equal(got.numpy(), [[0, 0], [1, 2], [0, 0]])
    assert tf.scatter_nd([[1]], [1], [3]).dtype == tf.int32
    check_grad(sq(lambda u: tf.scatter_nd([[0, 1], [1, 1], [0, 1]], u, [2, 3])), r(3),
               second_order=True)
    with pytest.raises(IAE, match=r"indices\[1\] = \[5\] does not index into shape \[5\]"):
        tf.scatter_nd([[1], [5]], [1.0, 2], [5])
    with pytest.raises(IAE, match=r"Dimensions \[0,1\) of indices\[shape=\[2,1\]\] must match "
                                  r"dimensions \[0,1\) of updates\[shape=\[3\]\]"):
        tf.scatter_nd([[1], [2]], [1.0, 2, 3], [5])
    with pytest.raises(IAE, match=r"output.shape=\[3,2\]"):
        tf.scatter_nd([[1]], [[1.0, 2, 3]], [3, 2])


def test_tensor_scatter_nd_update_and_add():
    x = np.arange(6.0).reshape(2, 3)
    got = tf.tensor_scatter_nd_update(x, [[0, 1], [1, 2]], [9.0, 8])
    np.testing.assert_array_equal(got.numpy(), [[0, 9, 2], [3, 4, 8]])
    np.testing.assert_array_equal(tf.tensor_scatter_nd_update([0.0, 0, 0], [[1], [1]],
                                                              [9.0, 8]).numpy(), [0, 8, 0])
    got = tf.tensor_scatter_nd_add(x, [[0], [0]], [[1.0, 1, 1], [2, 2, 2]])
    np.testing.assert_array_equal(got.numpy(), [[3, 4, 5], [3, 4, 5]])
    dbl = tf.tensor_scatter_nd_update(tf.zeros([3], tf.float64), [[1]], [2.0])
    assert dbl.dtype == tf.float64
    check_grad(sq(lambda t, u: tf.tensor_scatter_nd_update(t, [[0, 1], [1, 0]], u)), r(2, 3), r(2),
               second_order=True)
    check_grad(lambda t, u: tf.tensor_scatter_nd_add(t, [[1], [1]], u), r(2, 3), r(2, 3))
    with pytest.raises(IAE, match=r"indices\[0\] = \[0, 3\] does not index into shape \[2,3\]"):
        tf.tensor_scatter_nd_update(x, [[0, 3]], [9.0])
    with pytest.raises(IAE, match=r"updates.shape=\[2,2\]"):
        tf.tensor_scatter_nd_add(x, [[0], [0]], [[1.0, 1], [2, 2]])
    with pytest.raises(IAE, match="Inner dimensions"):
        tf.tensor_scatter_nd_update(tf.zeros([3]), [[1, 0]], [2.0])
    with pytest.raises(IAE, match="Tindices"):
        tf.tensor_scatter_nd_update([0.0, 0], [[1.0]], [1.0])


# -- boolean_mask -------------------------------------------------------------------------------
def test_boolean_mask():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(tf.boolean_mask(x, [True, False]).numpy(), [[0, 1, 2]])
    np.testing.assert_array_equal(tf.boolean_mask(x, [True, False, True], axis=1).numpy(),
                                  [[0, 2], [3, 5]])
    m = np.array([[True, False, True], [False, False, True]])
    np.testing.assert_array_equal(tf.boolean_mask(x, m).numpy(), x[m])
    assert tf.boolean_mask(x, [False, False]).shape == (0, 3)
    check_grad(lambda t: tf.boolean_mask(t, m), r(2, 3))
    check_grad(lambda t: tf.boolean_mask(t, [False, True, True], axis=1), r(2, 3, 2))
    with pytest.raises(ValueError, match=r"Shapes \(2,\) and \(3,\) are incompatible"):
        tf.boolean_mask(x, [True, False, True])
    with pytest.raises(ValueError, match="mask cannot be scalar"):
        tf.boolean_mask(x, True)


# -- pad ----------------------------------------------------------------------------------------
def test_pad_values():
    x = np.arange(6.0).reshape(2, 3)
    pads = [[1, 1], [2, 0]]
    np.testing.assert_array_equal(tf.pad(x, pads).numpy(), np.pad(x, pads))
    np.testing.assert_array_equal(tf.pad(x, [[1, 0], [0, 0]], constant_values=7).numpy(),
                                  np.pad(x, [[1, 0], [0, 0]], constant_values=7))
    np.testing.assert_array_equal(tf.pad(x, [[1, 1], [2, 2]], mode="REFLECT").numpy(),
                                  np.pad(x, [[1, 1], [2, 2]], mode="reflect"))
    np.testing.assert_array_equal(tf.pad(x, [[2, 2], [3, 1]], mode="symmetric").numpy(),
                                  np.pad(x, [[2, 2], [3, 1]], mode="symmetric"))
    assert tf.pad(tf.constant(1.0), tf.zeros([0, 2], tf.int32)).numpy() == 1.0


def test_pad_grad():
    check_grad(sq(lambda t: tf.pad(t, [[1, 2], [0, 1]])), r(2, 3), second_order=True)
    check_grad(sq(lambda t: tf.pad(t, [[1, 1], [2, 1]], mode="REFLECT")), r(3, 3),
               second_order=True)
    check_grad(lambda t: tf.pad(t, [[2, 1], [0, 3]], mode="SYMMETRIC"), r(2, 3))


def test_pad_errors():
    x = r(2, 3)
    with pytest.raises(IAE, match="paddings must be less than the dimension size: 2, 2 not "
                                  "less than 2"):
        tf.pad(x, [[2, 2], [0, 0]], mode="REFLECT")
    with pytest.raises(IAE, match="no greater than the dimension size: 3, 2 greater than 2"):
        tf.pad(x, [[3, 2], [0, 0]], mode="SYMMETRIC")
    with pytest.raises(ValueError, match="Received `mode` = WRAP"):
        tf.pad(x, [[2, 2], [0, 0]], mode="WRAP")
    with pytest.raises(IAE, match=r"The first dimension of paddings must be the rank of "
                                  r"inputs\[1,2\] \[2,3\]"):
        tf.pad(x, [[2, 2]])
    with pytest.raises(IAE, match="Paddings must be non-negative: -1 2"):
        tf.pad(x, [[-1, 2], [0, 0]])
    with pytest.raises(IAE, match="Tpaddings"):
        tf.pad(x, [[1.0, 1], [0, 0]])
    with pytest.raises(TypeError):
        tf.pad(tf.constant([1, 2]), [[1, 1]], constant_values=1.5)


@FEW
@given(shapes, st.sampled_from(["CONSTANT", "REFLECT", "SYMMETRIC"]), st.data())
def test_pad_property(shape, mode, data):
    x = rng.normal(size=shape)
    limit = {"CONSTANT": lambda d: 3, "REFLECT": lambda d: d - 1, "SYMMETRIC": lambda d: d}[mode]
    pads = [[data.draw(st.integers(0, limit(d))), data.draw(st.integers(0, limit(d)))]
            for d in shape]
    got = tf.pad(x, pads, mode=mode).numpy()
    np.testing.assert_array_equal(got, np.pad(x, pads, mode=mode.lower()))


# -- reverse, tile, roll, repeat ----------------------------------------------------------------
def test_reverse():
    x = r(2, 3, 4)
    np.testing.assert_array_equal(tf.reverse(x, [1]).numpy(), x[:, ::-1])
    np.testing.assert_array_equal(tf.reverse(x, [0, -1]).numpy(), x[::-1, :, ::-1])
    np.testing.assert_array_equal(tf.reverse(x, []).numpy(), x)
    check_grad(sq(lambda t: tf.reverse(t, [0, 2])), r(2, 2, 3), second_order=True)
    with pytest.raises(IAE, match=r"'axis'\[0\] = 3 is out of valid range"):
        tf.reverse(x, [3])
    with pytest.raises(IAE, match="axis 2 specified more than once"):
        tf.reverse(x, [2, -1])
    with pytest.raises(IAE, match="'dims' must be 1-dimension, not 0"):
        tf.reverse(x, 1)


def test_tile():
    x = r(2, 3)
    np.testing.assert_array_equal(tf.tile(x, [2, 1]).numpy(), np.tile(x, [2, 1]))
    np.testing.assert_array_equal(tf.tile(x, tf.constant([1, 3])).numpy(), np.tile(x, [1, 3]))
    assert tf.tile(x, [0, 2]).shape == (0, 6)
    check_grad(sq(lambda t: tf.tile(t, [2, 3])), r(2, 2), second_order=True)
    check_grad(lambda t: tf.tile(t, [1, 2, 2]), r(2, 1, 3))
    with pytest.raises(IAE, match="Expected multiples argument to be a vector of length 2 but "
                                  "got length 1"):
        tf.tile(x, [2])
    with pytest.raises(IAE, match=r"Expected multiples\[1\] >= 0, but got -1"):
        tf.tile(x, [2, -1])


@FEW
@given(shapes, st.data())
def test_tile_property(shape, data):
    x = rng.normal(size=shape)
    mult = [data.draw(st.integers(0, 3)) for _ in shape]
    np.testing.assert_array_equal(tf.tile(x, mult).numpy(), np.tile(x, mult))


def test_roll():
    x = r(2, 3)
    got = tf.roll(x, shift=[1, -1], axis=[0, 1])
    np.testing.assert_array_equal(got.numpy(), np.roll(x, (1, -1), (0, 1)))
    np.testing.assert_array_equal(tf.roll(x, [1, 1], [1, 1]).numpy(), np.roll(x, 2, 1))
    check_grad(sq(lambda t: tf.roll(t, [2, -1], [0, 1])), r(3, 4), second_order=True)
    with pytest.raises(IAE, match="shift and axis must have the same size"):
        tf.roll(x, [1], [0, 1])
    with pytest.raises(IAE, match="axis 2 is out of range"):
        tf.roll(x, 1, 2)
    with pytest.raises(IAE, match="input must be 1-D or higher"):
        tf.roll(tf.constant(1.0), 1, 0)


def test_repeat():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(tf.repeat(x, 2).numpy(), np.repeat(x, 2))
    np.testing.assert_array_equal(tf.repeat(x, [1, 2], axis=0).numpy(),
                                  np.repeat(x, [1, 2], axis=0))
    np.testing.assert_array_equal(tf.repeat(x, tf.constant([0, 2, 1]), axis=-1).numpy(),
                                  np.repeat(x, [0, 2, 1], axis=1))
    check_grad(sq(lambda t: tf.repeat(t, [3, 0, 1], axis=1)), r(2, 3), second_order=True)
    with pytest.raises(ValueError, match="Dimensions 2 and 3 are not compatible"):
        tf.repeat(x, [1, 2, 3], axis=0)
    with pytest.raises(ValueError, match="axis=2 out of bounds"):
        tf.repeat(x, 2, axis=2)
    with pytest.raises(IAE):
        tf.repeat(x, -1, axis=0)


# -- split, unstack -----------------------------------------------------------------------------
def test_split_values():
    x = r(2, 6)
    parts = tf.split(x, 3, axis=1)
    assert [p.shape for p in parts] == [(2, 2)] * 3
    for got, want in zip(parts, np.split(x, 3, axis=1)):
        np.testing.assert_array_equal(got.numpy(), want)
    parts = tf.split(x, [1, -1, 2], axis=-1)
    assert [tuple(p.shape) for p in parts] == [(2, 1), (2, 3), (2, 2)]
    assert [tuple(p.shape) for p in tf.split(x, tf.constant([0, 6]), 1)] == [(2, 0), (2, 6)]
    assert len(tf.split(x, [2, 4], axis=1, num=2)) == 2


def test_split_grad():
    def fn(t):
        parts = tf.split(t, [1, -1, 2], axis=1)
        return tf.concat([p * p * float(i + 1) for i, p in enumerate(parts)], axis=1)

    check_grad(fn, r(2, 5), second_order=True)
    check_grad(lambda t: tf.split(t, 2, axis=0)[1], r(4, 2))


def test_split_errors():
    x = r(2, 3)
    with pytest.raises(IAE, match=r"Number of ways to split should evenly divide the split "
                                  r"dimension, but got split_dim 1 \(size = 3\) and num_split 2"):
        tf.split(x, 2, axis=1)
    with pytest.raises(IAE, match="Determined shape must either match input shape"):
        tf.split(x, [1, 1], axis=1)
    with pytest.raises(IAE, match="Determined shape must either match input shape"):
        tf.split(x, [4, -1], axis=1)
    with pytest.raises(IAE, match="There can only be one -1 in the input"):
        tf.split(x, [-1, -1], axis=1)
    with pytest.raises(IAE, match="split_dim < input rank"):
        tf.split(x, 1, axis=3)
    with pytest.raises(IAE, match="num_split"):
        tf.split(x, 0, axis=1)
    with pytest.raises(ValueError, match="Rank-0 tensors are not supported"):
        tf.split(x, tf.constant(3), axis=1)
    with pytest.raises(IAE, match="same elements as outputs"):
        tf.split(x, [1, 2], axis=1, num=3)


@FEW
@given(shapes, st.data())
def test_split_property(shape, data):
    x = rng.normal(size=shape)
    axis = data.draw(st.integers(0, len(shape) - 1))
    d = shape[axis]
    cuts = sorted(data.draw(st.lists(st.integers(0, d), max_size=3)))
    sizes = np.diff([0] + cuts + [d]).tolist()
    if data.draw(st.booleans()):
        sizes[data.draw(st.integers(0, len(sizes) - 1))] = -1
    got = tf.split(x, sizes, axis=axis)
    for g, w in zip(got, np.split(x, cuts, axis=axis)):
        np.testing.assert_array_equal(g.numpy(), w)


def test_unstack():
    x = r(2, 3)
    got = tf.unstack(x, axis=1)
    assert len(got) == 3 and all(g.shape == (2,) for g in got)
    np.testing.assert_array_equal(got[2].numpy(), x[:, 2])
    assert len(tf.unstack(x, num=2)) == 2
    assert tf.unstack(tf.zeros([0, 2])) == []
    check_grad(sq(lambda t: tf.stack(tf.unstack(t, axis=1)[::-1])), r(2, 3), second_order=True)
    with pytest.raises(IAE, match=r"Input shape axis 0 must equal 3, got shape \[2,3\]"):
        tf.unstack(x, num=3)
    with pytest.raises(ValueError, match=r"Argument `axis` = 2 not in range \[-2, 2\)"):
        tf.unstack(x, axis=2)
    with pytest.raises(ValueError, match=r"not in range \[0, 0\)"):
        tf.unstack(tf.constant(1.0))


# -- sort, argsort, top_k -----------------------------------------------------------------------
def test_sort_and_argsort():
    x = np.array([[3.0, 1, 2, 1], [0, 5, 4, 5]])
    np.testing.assert_array_equal(tf.sort(x).numpy(), np.sort(x))
    np.testing.assert_array_equal(tf.sort(x, direction="DESCENDING").numpy(),
                                  -np.sort(-x))
    np.testing.assert_array_equal(tf.sort(x, axis=0).numpy(), np.sort(x, axis=0))
    assert tf.sort(tf.constant([3, 1, 2])).dtype == tf.int32
    a = tf.argsort([3, 1, 2, 1])
    assert a.dtype == tf.int32 and a.numpy().tolist() == [1, 3, 2, 0]
    assert tf.argsort([3, 1, 2, 1], direction="DESCENDING").numpy().tolist() == [0, 2, 1, 3]
    np.testing.assert_array_equal(tf.argsort(x, axis=0).numpy(),
                                  np.argsort(x, axis=0, kind="stable"))
    check_grad(sq(lambda t: tf.sort(t, direction="DESCENDING")), distinct(2, 4), second_order=True)
    check_grad(lambda t: tf.sort(t, axis=0), distinct(3, 2))
    with pytest.raises(ValueError, match="direction=UP"):
        tf.sort([3, 1, 2], direction="UP")
    with pytest.raises(IAE):
        tf.sort([True, False])


def test_top_k():
    v, i = tf.math.top_k([1.0, 3, 2, 3], k=2) if hasattr(tf.math, "top_k") else tf.top_k(
        [1.0, 3, 2, 3], k=2)
    assert v.numpy().tolist() == [3, 3] and i.numpy().tolist() == [1, 3]
    assert i.dtype == tf.int32
    res = tf.top_k(np.array([[1.0, 2, 3], [6, 5, 4]]), 2)
    np.testing.assert_array_equal(res.values.numpy(), [[3, 2], [6, 5]])
    np.testing.assert_array_equal(res.indices.numpy(), [[2, 1], [0, 1]])
    assert tf.top_k([1, 5, 3], 2).values.numpy().tolist() == [5, 3]
    assert tf.top_k([1.0, 2.0], k=tf.constant(1)).indices.numpy().tolist() == [1]
    check_grad(sq(lambda t: tf.top_k(t, 2).values), distinct(3, 4), second_order=True)
    with pytest.raises(IAE, match="input must have at least k columns. Had 4, needed 5"):
        tf.top_k([1.0, 3, 2, 3], k=5)
    with pytest.raises(IAE, match="Need k >= 0, got -1"):
        tf.top_k([1.0, 3, 2, 3], k=-1)
    with pytest.raises(IAE, match=r"input must be >= 1-D, got shape \[\]"):
        tf.top_k(tf.constant(1.0))


# -- unique, meshgrid ---------------------------------------------------------------------------
def test_unique():
    y, idx = tf.unique([1, 1, 2, 4, 4, 4, 7, 8, 8])
    assert y.numpy().tolist() == [1, 2, 4, 7, 8]
    assert idx.numpy().tolist() == [0, 0, 1, 2, 2, 2, 3, 4, 4] and idx.dtype == tf.int32
    y, idx, count = tf.unique_with_counts([5.0, 1, 5, 3], out_idx=tf.int64)
    assert y.numpy().tolist() == [5, 1, 3] and idx.numpy().tolist() == [0, 1, 0, 2]
    assert count.numpy().tolist() == [2, 1, 1] and idx.dtype == tf.int64
    with pytest.raises(IAE, match="unique expects a 1D vector"):
        tf.unique([[1, 2]])


def test_meshgrid():
    xs, ys = tf.meshgrid([1, 2, 3], [4, 5])
    want = np.meshgrid([1, 2, 3], [4, 5])
    np.testing.assert_array_equal(xs.numpy(), want[0])
    np.testing.assert_array_equal(ys.numpy(), want[1])
    got = tf.meshgrid([1.0, 2], [3.0, 4, 5], [6.0], indexing="ij")
    for g, w in zip(got, np.meshgrid([1.0, 2], [3.0, 4, 5], [6.0], indexing="ij")):
        np.testing.assert_array_equal(g.numpy(), w)
    check_grad(lambda a, b: tf.meshgrid(a, b)[0] * tf.meshgrid(a, b)[1], r(3), r(2))
    with pytest.raises(ValueError, match="must be either 'xy' or 'ij'"):
        tf.meshgrid([1.0], indexing="foo")


def test_public_names():
    for name in ("gather", "gather_nd", "boolean_mask", "pad", "reverse", "tile", "split",
                 "unstack", "repeat", "roll", "scatter_nd", "tensor_scatter_nd_update",
                 "tensor_scatter_nd_add", "sort", "argsort", "unique", "meshgrid"):
        assert callable(getattr(tf, name)), name


# -- parity with TensorFlow (skipped when it is not installed) ----------------------------------
def test_parity_with_tensorflow():
    real = pytest.importorskip("tensorflow")
    p = r(3, 4)
    cases = [
        (lambda m: m.gather(p, [[2, 0], [1, 1]], axis=0), None),
        (lambda m: m.gather_nd(p, [[2, 0], [1, 3]]), None),
        (lambda m: m.pad(p, [[1, 2], [3, 1]], mode="SYMMETRIC"), None),
        (lambda m: m.tile(p, [2, 1]), None),
        (lambda m: m.repeat(p, [1, 0, 2], axis=0), None),
        (lambda m: m.roll(p, [1, -2], [0, 1]), None),
        (lambda m: m.math.top_k(p, 2).indices if hasattr(m.math, "top_k") else m.top_k(p, 2)[1],
         None),
    ]
    for fn, _ in cases:
        np.testing.assert_allclose(np.asarray(fn(tf)), np.asarray(fn(real)))
    for m in (tf, real):
        with pytest.raises(m.errors.InvalidArgumentError, match=r"indices\[1\] = 5 is not in"):
            m.gather([1.0, 2.0, 3.0], [0, 5])


@pytest.mark.parametrize("idx_shape, feat", [((300,), (8,)), ((12, 25), (3, 4)), ((7,), ())])
def test_gather_gradient_rows_equal_add_at(idx_shape, feat):
    """The row-sorted scatter-add behind axis-0 gather gradients (an embedding's) gives
    add.at's sums (to float32 rounding: the additions group differently), repeated indices
    included, and zero rows for unused ones."""
    rng = np.random.default_rng(4)
    params = rng.standard_normal((20,) + feat).astype(np.float32)
    idx = rng.integers(0, 15, idx_shape)
    up = rng.standard_normal(idx_shape + feat).astype(np.float32)
    p = tf.constant(params)
    with tf.GradientTape() as tape:
        tape.watch(p)
        y = tf.gather(p, idx)
    got = tape.gradient(y, p, output_gradients=tf.constant(up))
    got = tf.convert_to_tensor(got).numpy()
    want = np.zeros_like(params)
    np.add.at(want, idx, up)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert not got[15:].any()
