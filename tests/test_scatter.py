"""Sliced assignment (``v[...].assign``), the TensorScatter family, a Variable's scatter
methods and item assignment. Expected values, dtypes, exception classes and messages are
TensorFlow 2.21's (CPU), recorded here so CI checks them without TF."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tapeflow as tf
from gradcheck import check_grad

IAE = tf.errors.InvalidArgumentError
FEW = settings(max_examples=30, deadline=None)
rng = np.random.default_rng(7)

T = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
DUP_IDX = [[0], [2], [0]]
DUP_U = [[10.0, -1.0], [20.0, 20.0], [-5.0, 30.0]]
W = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]  # the weights of the loss in the gradient records

# -- TensorScatter: values and gradients as TF 2.21 gives them --------------------------------
# {op: (value with DUP_IDX/DUP_U, value with element indices [[0,1],[2,0],[0,1]] and [7,8,9],
#       grads (tensor, updates) of sum(op(T, [[0],[2]], [[0,2.5],[6,6]]) * W),
#       grad of the tensor for a tie: op(T, [[0]], [[1,3]]), grad of that update,
#       grads (tensor, updates) with DUP_IDX/DUP_U)}
RECORDED = {
    "update": ([[-5, 30], [3, 4], [20, 20]], [[1, 9], [3, 4], [8, 6]],
               ([[0, 0], [3, 4], [0, 0]], [[1, 2], [5, 6]]),
               [[0, 0], [3, 4], [5, 6]], [[1, 2]],
               ([[0, 0], [3, 4], [0, 0]], [[1, 2], [5, 6], [1, 2]])),
    "add": ([[6, 31], [3, 4], [25, 26]], [[1, 18], [3, 4], [13, 6]],
            (W, [[1, 2], [5, 6]]), W, [[1, 2]],
            (W, [[1, 2], [5, 6], [1, 2]])),
    "sub": ([[-4, -27], [3, 4], [-15, -14]], [[1, -14], [3, 4], [-3, 6]],
            (W, [[-1, -2], [-5, -6]]), W, [[-1, -2]],
            (W, [[-1, -2], [-5, -6], [-1, -2]])),
    "min": ([[-5, -1], [3, 4], [5, 6]], [[1, 2], [3, 4], [5, 6]],
            ([[0, 2], [3, 4], [5, 3]], [[1, 0], [0, 3]]),
            [[0.5, 2], [3, 4], [5, 6]], [[0.5, 0]],
            ([[0, 0], [3, 4], [5, 6]], [[0, 2], [0, 0], [1, 0]])),
    "max": ([[10, 30], [3, 4], [20, 20]], [[1, 9], [3, 4], [8, 6]],
            ([[1, 0], [3, 4], [0, 3]], [[0, 2], [5, 3]]),
            [[0.5, 0], [3, 4], [5, 6]], [[0.5, 2]],
            ([[0, 0], [3, 4], [0, 0]], [[1, 0], [5, 6], [0, 2]])),
}


def _fn(kind):
    return getattr(tf, f"tensor_scatter_nd_{kind}")


def _grads(f, indices, u):
    x, uu = tf.constant(T), tf.constant(u)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, uu])
        loss = tf.reduce_sum(f(x, indices, uu) * tf.constant(W))
    return tape.gradient(loss, x).numpy(), tape.gradient(loss, uu).numpy()


@pytest.mark.parametrize("kind", sorted(RECORDED))
def test_tensor_scatter_values_and_gradients_as_tf(kind):
    f = _fn(kind)
    dup, elem, grads, tie_t, tie_u, dup_grads = RECORDED[kind]
    got = f(tf.constant(T), DUP_IDX, DUP_U)
    assert got.dtype == tf.float32
    np.testing.assert_array_equal(got.numpy(), dup)
    np.testing.assert_array_equal(f(tf.constant(T), [[0, 1], [2, 0], [0, 1]],
                                    [7.0, 8, 9]).numpy(), elem)
    for g, want in zip(_grads(f, [[0], [2]], [[0.0, 2.5], [6, 6]]), grads):
        np.testing.assert_allclose(g, want)
    gt, gu = _grads(f, [[0]], [[1.0, 3.0]])
    np.testing.assert_allclose(gt, tie_t)
    np.testing.assert_allclose(gu, tie_u)
    for g, want in zip(_grads(f, DUP_IDX, DUP_U), dup_grads):
        np.testing.assert_allclose(g, want)


@pytest.mark.parametrize("kind", sorted(RECORDED))
def test_tensor_scatter_gradients_match_finite_differences(kind):
    f = _fn(kind)
    # distinct values: no ties between the tensor and the updates (min/max are smooth there)
    t = rng.permutation(12).reshape(3, 4) + rng.uniform(0.1, 0.4, (3, 4))
    u = rng.permutation(8).reshape(2, 4) + rng.uniform(0.5, 0.9, (2, 4))
    check_grad(lambda a, b: f(a, [[2], [0]], b), t, u)
    # element indices, repeated ones included (update: the last one wins)
    if kind != "update":
        check_grad(lambda a, b: f(a, [[0, 1], [2, 3], [0, 1]], b), t,
                   np.array([0.3, 9.6, 5.2]))
    check_grad(lambda a, b: f(a, [[1, 2]], b) ** 2, t, np.array([4.45]), second_order=True)


@pytest.mark.parametrize("kind", sorted(RECORDED))
def test_tensor_scatter_errors_as_tf(kind):
    f = _fn(kind)
    op = "TensorScatter" + kind.capitalize()
    with pytest.raises(IAE, match=rf"indices\[0\] = \[3\] does not index into shape \[3,2\] "
                       rf"\[Op:{op}\]"):
        f(tf.constant(T), [[3]], [[1.0, 1.0]])
    with pytest.raises(IAE, match=r"indices\[0\] = \[-1\] does not index into shape \[3,2\]"):
        f(tf.constant(T), [[-1]], [[1.0, 1.0]])
    with pytest.raises(IAE, match=rf"cannot compute {op} as input #2\(zero-based\) was expected "
                       "to be a float tensor but is a int32 tensor"):
        f(tf.constant(T), [[1]], tf.constant([[1, 1]]))
    with pytest.raises(IAE, match=r"The inner 1 dimensions of output.shape=\[3,2\] must match "
                       r"the inner 1 dimensions of updates.shape=\[1,3\]"):
        f(tf.constant(T), [[1]], [[1.0, 1.0, 1.0]])
    with pytest.raises(IAE, match=r"Inner dimensions of output shape must match inner "
                       r"dimensions of updates shape. Output: \[3,2\] updates: \[1\]"):
        f(tf.constant(T), [[1, 1, 1]], [1.0])
    allowed = "int16, int32, int64, uint16" if kind == "update" else "int32, int64"
    with pytest.raises(IAE, match=f"Tindices.*allowed values: {allowed}"):
        f(tf.constant(T), [[1.0]], [[1.0, 1.0]])
    if kind != "update":  # TF 2.21: int16 indices only for TensorScatterUpdate
        with pytest.raises(IAE, match="Tindices"):
            f(tf.constant([1.0, 2.0]), tf.constant([[1]], tf.int16), [0.0])


@pytest.mark.parametrize("kind, ints, boolean", [
    ("update", [1, 5, 3], [True, True]),
    ("add", [1, 7, 3], None),
    ("sub", [1, -3, 3], None),
    ("min", [1, 2, 3], None),
    ("max", [1, 5, 3], None),
])
def test_tensor_scatter_dtypes_as_tf(kind, ints, boolean):
    f = _fn(kind)
    got = f(tf.constant([1, 2, 3]), [[1]], [5])
    assert got.dtype == tf.int32
    np.testing.assert_array_equal(got.numpy(), ints)
    if boolean is None:  # TF 2.21 has no CPU kernel: NotFoundError
        with pytest.raises(tf.errors.NotFoundError, match="Could not find device for node"):
            f(tf.constant([True, False]), [[1]], [True])
    else:
        np.testing.assert_array_equal(f(tf.constant([True, False]), [[1]], [True]).numpy(),
                                      boolean)
    half = f(tf.constant([1.0, 2.0], tf.float16), tf.constant([[1]], tf.int64),
             tf.constant([3.0], tf.float16))
    assert half.dtype == tf.float16


def test_tensor_scatter_min_max_nan_as_tf():
    # TF replaces a value only by a strictly smaller (larger) one: NaN updates are ignored,
    # NaN entries stay
    np.testing.assert_array_equal(
        tf.tensor_scatter_nd_min([1.0, 2.0], [[1]], [float("nan")]).numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(
        tf.tensor_scatter_nd_max([1.0, float("nan")], [[1]], [3.0]).numpy(), [1.0, np.nan])
    np.testing.assert_array_equal(
        tf.tensor_scatter_nd_max([1.0, 2.0], [[1]], [float("nan")]).numpy(), [1.0, 2.0])


def test_scatter_nd_duplicates_sum_as_tf():
    got = tf.scatter_nd([[1], [1], [3]], [1.0, 2.0, 3.0], [5])
    np.testing.assert_array_equal(got.numpy(), [0, 3, 0, 3, 0])
    got = tf.scatter_nd([[1], [1]], [1, 2], [3])
    assert got.dtype == tf.int32
    np.testing.assert_array_equal(got.numpy(), [0, 3, 0])
    with pytest.raises(IAE, match=r"indices\[0\] = \[5\] does not index into shape \[3\] "
                       r"\[Op:ScatterNd\]"):
        tf.scatter_nd([[5]], [1.0], [3])
    check_grad(lambda u: tf.scatter_nd([[1], [0], [1]], u, [3, 2]), rng.normal(size=(3, 2)))


@FEW
@given(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.integers(0, 5),
       st.sampled_from(sorted(RECORDED)))
def test_tensor_scatter_shapes_match_numpy(n0, n1, n2, m, kind):
    """Slice updates (index depth 1 and 2 of a rank-3 tensor) against a NumPy loop."""
    shape = (n0, n1, n2)
    t = rng.normal(size=shape)
    for depth in (1, 2):
        idx = np.stack([rng.integers(0, shape[d], m) for d in range(depth)], -1).reshape(m, depth)
        u = rng.normal(size=(m,) + shape[depth:])
        want = t.copy()
        for i, row in zip(idx, u):
            k = tuple(i)
            want[k] = {"update": row, "add": want[k] + row, "sub": want[k] - row,
                       "min": np.minimum(want[k], row), "max": np.maximum(want[k], row)}[kind]
        got = _fn(kind)(tf.constant(t), idx.astype(np.int32), tf.constant(u))
        assert got.shape == shape
        np.testing.assert_allclose(got.numpy(), want)


# -- sliced assignment ------------------------------------------------------------------------
def test_sliced_assign_follows_tf_slicing_rules():
    v = tf.Variable(np.arange(12.0).reshape(3, 4))
    r = v[1:].assign(tf.zeros((2, 4), tf.float64))
    # TF returns the variable (an 'UnreadVariable' view of it), not the slice
    assert r.shape == (3, 4) and "UnreadVariable" in repr(r)
    np.testing.assert_array_equal(v.numpy(), [[0, 1, 2, 3], [0, 0, 0, 0], [0, 0, 0, 0]])
    v[1:, ::-2].assign([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(v.numpy(), [[0, 1, 2, 3], [0, 2, 0, 1], [0, 4, 0, 3]])
    v[0].assign(5.0)  # a scalar broadcasts
    np.testing.assert_array_equal(v.numpy()[0], [5, 5, 5, 5])
    v[0].assign([1, 2, 3, 4])  # a Python list takes the variable's dtype
    v[..., 1].assign([7.0, 7.0, 7.0])
    np.testing.assert_array_equal(v.numpy(), [[1, 7, 3, 4], [0, 7, 0, 1], [0, 7, 0, 3]])
    v[None, 0].assign([[1.0, 1.0, 1.0, 1.0]])
    v[tf.constant(2), 1:3].assign([9.0, 9.0])
    np.testing.assert_array_equal(v.numpy(), [[1, 1, 1, 1], [0, 7, 0, 1], [0, 9, 9, 3]])
    v[::-1].assign(np.arange(12.0).reshape(3, 4))
    np.testing.assert_array_equal(v.numpy(), np.arange(12.0).reshape(3, 4)[::-1])
    v[0:0].assign(tf.zeros((0, 4), tf.float64))  # an empty slice: nothing written


def test_sliced_assign_broadcasting_as_tf():
    ones = lambda *s: tf.ones(s, tf.float64)
    # accepted by TF 2.21: the value broadcasts to the slice, extra leading 1-dims allowed
    for key, value in [((1,), ones(1, 4)), ((1,), ones(1, 1, 4)), ((slice(1, 2),), ones(4)),
                       ((slice(1, 2),), ones(1, 1, 4)), ((1, 2), ones(1)), ((1, 2), ones(1, 1)),
                       ((slice(1, 3), 2), ones(1, 2)), ((slice(1, 3),), ones(1, 4)),
                       ((slice(1, 3),), ones(2, 1))]:
        v = tf.Variable(np.zeros((3, 4)))
        v[key].assign(value)
        want = np.zeros((3, 4))
        want[key] = 1.0
        np.testing.assert_array_equal(v.numpy(), want)
    # rejected, with TF's message
    v = tf.Variable(np.zeros((3, 4)))
    for key, value, text in [((1,), ones(2, 4), r"\[2,4\] into final shape \[4\]"),
                             ((slice(1, 3), 2), ones(2, 1), r"\[2,1\] into final shape \[2\]"),
                             ((slice(1, 3), slice(2, 3)), ones(2),
                              r"\[2\] into final shape \[2,1\]"),
                             ((slice(1, 3),), ones(3, 4), r"\[3,4\] into final shape \[2,4\]"),
                             ((0,), ones(2), r"\[2\] into final shape \[4\]")]:
        with pytest.raises(IAE, match=r"Cannot broadcast input shape " + text +
                           r" \[Op:ResourceStridedSliceAssign\]"):
            v[key].assign(value)
    np.testing.assert_array_equal(v.numpy(), np.zeros((3, 4)))


def test_sliced_assign_errors_as_tf():
    v = tf.Variable(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="Tensor conversion requested dtype float64 for Tensor "
                       "with dtype int32"):
        v[0].assign(tf.constant([1, 2, 3, 4]))
    with pytest.raises(ValueError, match="requested dtype float64 for Tensor with dtype float32"):
        v[0].assign(tf.constant([1, 2, 3, 4], tf.float32))
    with pytest.raises(IAE, match="slice index 5 of dimension 0 out of bounds"):
        v[5].assign(1.0)
    with pytest.raises(TypeError, match="valid indices, got 1.5"):
        v[1.5].assign(1.0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'read_value'"):
        v[1:].assign(1.0, read_value=False)  # TF's slice assign takes (val, name=None)
    v[1:].assign(1.0, name="x")
    vi = tf.Variable([1, 2, 3])
    with pytest.raises(TypeError, match=r"Cannot convert \[1.5, 2.0\] to EagerTensor of dtype "
                       "int32"):
        vi[1:].assign([1.5, 2.0])
    vi[1:].assign(np.array([1, 2], np.int64))  # a NumPy array converts to the variable's dtype
    np.testing.assert_array_equal(vi.numpy(), [1, 1, 2])
    with pytest.raises(ValueError, match="requested dtype int32 for Tensor with dtype int64"):
        vi[1:].assign(tf.constant([1, 2], tf.int64))
    vi[1:].assign(7)
    np.testing.assert_array_equal(vi.numpy(), [1, 7, 7])


def test_slices_of_tensors_and_assign_results():
    t = tf.constant([1.0, 2.0, 3.0])
    with pytest.raises(AttributeError, match="assign"):
        t[1:].assign([0.0, 0.0])  # only a Variable's slices can be assigned
    w = tf.Variable([1.0, 2.0, 3.0])
    s = w[1:]
    assert not hasattr(s, "assign_add") and not hasattr(s, "assign_sub")  # as in TF 2.21
    with pytest.raises(AttributeError):
        s[0].assign(1.0)  # a slice of the slice is a plain tensor
    r = w[0:1].assign([4.0])
    r.assign([1.0, 1.0, 1.0])  # what assign returns assigns the variable
    np.testing.assert_array_equal(w.numpy(), [1, 1, 1])
    r[0].assign(9.0)
    np.testing.assert_array_equal(w.numpy(), [9, 1, 1])
    w.assign([1.0, 2.0, 3.0])[1:].assign([0.0, 0.0])
    np.testing.assert_array_equal(w.numpy(), [1, 0, 0])
    # a slice read earlier keeps its value
    w2 = tf.Variable([1.0, 2.0])
    old = w2[0:]
    w2[0].assign(5.0)
    np.testing.assert_array_equal(old.numpy(), [1, 2])


def test_sliced_assign_gradients_as_tf():
    x = tf.constant([1.0, 2.0])
    w = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        w[1:].assign(x * 2)
        y = tf.reduce_sum(w * w)
        z = w[0:2] * 3.0
    assert tape.gradient(y, x) is None  # the assignment is not differentiable (TF: None)
    np.testing.assert_array_equal(tape.gradient(y, w).numpy(), [2, 4, 8])
    np.testing.assert_array_equal(tape.gradient(z, w).numpy(), [3, 3, 0])
    w2 = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        a = w2 * 1.0  # read before the assignment: the old value
        w2[0].assign(10.0)
        b = tf.reduce_sum(a) + tf.reduce_sum(w2 * w2)
    np.testing.assert_array_equal(tape.gradient(b, w2).numpy(), [21, 5, 7])
    # a variable's slice is differentiable like a tensor's
    check_grad(lambda a: a[1:, ::-1] * 2.0, rng.normal(size=(3, 2)))
    v = tf.Variable(rng.normal(size=(3, 4)))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v[1:, ::2] ** 2)
    want = np.zeros((3, 4))
    want[1:, ::2] = 2 * v.numpy()[1:, ::2]
    np.testing.assert_allclose(tape.gradient(y, v).numpy(), want)


def test_sliced_assign_in_tf_function():
    w = tf.Variable([1.0, 2.0, 3.0])

    @tf.function
    def f(x):
        w[1:].assign(x)
        return w.read_value()

    np.testing.assert_array_equal(f(tf.constant([5.0, 6.0])).numpy(), [1, 5, 6])
    np.testing.assert_array_equal(f(tf.constant([7.0, 8.0])).numpy(), [1, 7, 8])
    np.testing.assert_array_equal(w.numpy(), [1, 7, 8])

    @tf.function
    def g(i):
        w[i].assign(0.0)
        return w + 0

    # TF: [0, 7, 8] then [0, 7, 0] (a tensor index is not frozen into the traced function)
    np.testing.assert_array_equal(g(tf.constant(0)).numpy(), [0, 7, 8])
    np.testing.assert_array_equal(g(tf.constant(2)).numpy(), [0, 7, 0])


def test_tensor_index_is_not_frozen_by_tf_function():
    x = tf.constant([1.0, 2.0, 3.0])

    @tf.function
    def f(i):
        return x[i] + x[:i + 1][-1]

    assert float(f(tf.constant(0))) == 2.0
    assert float(f(tf.constant(2))) == 6.0


@FEW
@given(st.integers(1, 5), st.integers(-6, 6), st.integers(-6, 6),
       st.sampled_from([None, 1, 2, -1, -2]))
def test_sliced_assign_matches_numpy(n, start, stop, step):
    base = np.arange(float(n * 2)).reshape(n, 2)
    key = (slice(start, stop, step),)
    v = tf.Variable(base)
    slot = base[key]
    value = -np.arange(float(slot.size)).reshape(slot.shape)
    v[key].assign(value)
    want = base.copy()
    want[key] = value
    np.testing.assert_array_equal(v.numpy(), want)


# -- a Variable's scatter methods -------------------------------------------------------------
def test_variable_scatter_nd_methods_as_tf():
    v = tf.Variable(T)
    r = v.scatter_nd_update([[0], [2]], [[9.0, 9.0], [8.0, 8.0]])
    assert "UnreadVariable" in repr(r) and r.shape == (3, 2)
    np.testing.assert_array_equal(v.numpy(), [[9, 9], [3, 4], [8, 8]])
    v.scatter_nd_add([[0, 1], [0, 1]], [1.0, 1.0])
    v.scatter_nd_sub([[1]], [[1.0, 1.0]])
    np.testing.assert_array_equal(v.numpy(), [[9, 11], [2, 3], [8, 8]])
    v.scatter_nd_max([[1]], [[100.0, 0.0]])
    v.scatter_nd_min([[1]], [[-100.0, 100.0]])
    np.testing.assert_array_equal(v.numpy(), [[9, 11], [-100, 3], [8, 8]])
    v.scatter_nd_update([[1]], [[1, 1]])  # a Python list takes the variable's dtype
    np.testing.assert_array_equal(v.numpy()[1], [1, 1])
    with pytest.raises(IAE, match=r"indices\[0\] = \[3\] does not index into shape \[3,2\] "
                       r"\[Op:ResourceScatterNdUpdate\]"):
        v.scatter_nd_update([[3]], [[1.0, 1.0]])
    with pytest.raises(ValueError, match="requested dtype float32 for Tensor with dtype int32"):
        v.scatter_nd_update([[1]], tf.constant([[1, 1]]))
    with pytest.raises(IAE, match=r"Dimensions \[1,2\) of input\[shape=\[3,2\]\] must match "
                       r"dimensions \[1,2\) of updates\[shape=\[1,3\]\]"):
        v.scatter_nd_update([[1]], [[1.0, 1.0, 1.0]])
    with pytest.raises(IAE, match="Tindices.*int32, int64"):
        v.scatter_nd_update([[1.0]], [[1.0, 1.0]])
    with pytest.raises(TypeError, match="read_value"):
        v.scatter_nd_update([[0]], [[0.0, 0.0]], read_value=False)


def test_variable_scatter_with_indexed_slices_as_tf():
    v = tf.Variable([[0.0, 0.0], [3.0, 4.0], [8.0, 8.0]])
    s = tf.IndexedSlices(tf.constant([[7.0, 7.0]]), tf.constant([1]))
    steps = [("scatter_update", s, [7, 7]), ("scatter_add", s, [14, 14]),
             ("scatter_sub", s, [7, 7]), ("scatter_mul", s, [49, 49]),
             ("scatter_div", s, [7, 7]),
             ("scatter_max", tf.IndexedSlices(tf.constant([[100.0, 0.0]]), tf.constant([1])),
              [100, 7]),
             ("scatter_min", tf.IndexedSlices(tf.constant([[-1.0, 0.0]]), tf.constant([1])),
              [-1, 0])]
    for name, delta, row in steps:
        r = getattr(v, name)(delta)
        assert "UnreadVariable" in repr(r), name
        np.testing.assert_array_equal(v.numpy(), [[0, 0], row, [8, 8]], err_msg=name)
    # repeated indices: update keeps the last, add sums; a scalar value fills the rows
    v.scatter_update(tf.IndexedSlices(tf.constant([[7.0, 7.0], [8.0, 8.0]]), tf.constant([1, 1])))
    np.testing.assert_array_equal(v.numpy()[1], [8, 8])
    v.scatter_add(tf.IndexedSlices(tf.constant([[1.0, 1.0], [1.0, 1.0]]), tf.constant([1, 1])))
    np.testing.assert_array_equal(v.numpy()[1], [10, 10])
    v.scatter_update(tf.IndexedSlices(tf.constant(3.0), tf.constant([1])))
    np.testing.assert_array_equal(v.numpy()[1], [3, 3])
    v.scatter_update(tf.IndexedSlices(tf.constant([[[5.0, 5.0]]]), tf.constant([[2]])))
    np.testing.assert_array_equal(v.numpy()[2], [5, 5])
    with pytest.raises(TypeError, match=r"Argument `sparse_delta` must be a `tf.IndexedSlices`. "
                       r"Received arg: \[1.\]"):
        v.scatter_update(tf.constant([1.0]))
    with pytest.raises(IAE, match=r"indices\[0\] = 5 is not in \[0, 3\) "
                       r"\[Op:ResourceScatterUpdate\]"):
        v.scatter_update(tf.IndexedSlices(tf.constant([[7.0, 7.0]]), tf.constant([5])))
    with pytest.raises(ValueError, match="requested dtype float32 for Tensor with dtype int32"):
        v.scatter_update(tf.IndexedSlices(tf.constant([[7, 7]]), tf.constant([1])))
    with pytest.raises(TypeError, match="read_value"):
        v.scatter_update(s, read_value=False)
    vi = tf.Variable([4, 9, -9])
    vi.scatter_div(tf.IndexedSlices(tf.constant([2, 2]), tf.constant([1, 2])))
    np.testing.assert_array_equal(vi.numpy(), [4, 4, -4])  # C division: toward zero
    with pytest.raises(IAE, match=r"updates must not contain 0 \[Op:ResourceScatterDiv\]"):
        vi.scatter_div(tf.IndexedSlices(tf.constant([0]), tf.constant([1])))


def test_batch_scatter_update():
    v = tf.Variable([[0.0, 0.0], [3.0, 4.0], [8.0, 8.0]])
    v.batch_scatter_update(tf.IndexedSlices(tf.constant([[7.0, 7.0]]), tf.constant([1])))
    np.testing.assert_array_equal(v.numpy(), [[0, 0], [7, 7], [8, 8]])
    # indices [batch, n]: per batch row, entries of axis 1
    v.batch_scatter_update(tf.IndexedSlices(tf.constant([[1.0], [2.0], [3.0]]),
                                            tf.constant([[1], [0], [1]])))
    np.testing.assert_array_equal(v.numpy(), [[0, 1], [2, 7], [8, 3]])


def test_variable_scatter_gradients_as_tf():
    w = tf.Variable([1.0, 2.0, 3.0])
    x = tf.constant([5.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        w.scatter_nd_update([[0]], x)
        y = tf.reduce_sum(w * w)
    gx, gw = tape.gradient(y, [x, w])
    assert gx is None  # TF: None
    np.testing.assert_array_equal(gw.numpy(), [10, 4, 6])


def test_variable_scatter_in_tf_function():
    v = tf.Variable([0.0, 0.0, 0.0])

    @tf.function
    def f(u):
        v.scatter_nd_add([[1], [1]], u)
        v.scatter_update(tf.IndexedSlices(u[:1], tf.constant([2])))
        return v.read_value()

    np.testing.assert_array_equal(f(tf.constant([1.0, 2.0])).numpy(), [0, 3, 1])
    np.testing.assert_array_equal(f(tf.constant([1.0, 2.0])).numpy(), [0, 6, 1])


def test_indexed_slices():
    s = tf.IndexedSlices(tf.constant([[7.0, 7.0]]), tf.constant([1]))
    assert s.dense_shape is None and s.dtype == tf.float32 and s.shape.rank is None
    assert str(s) == ("IndexedSlices(indices=tf.Tensor([1], shape=(1,), dtype=int32), "
                      "values=tf.Tensor([[7. 7.]], shape=(1, 2), dtype=float32))")
    with pytest.raises(ValueError, match="Tensor conversion requested for IndexedSlices for "
                       "argument `value` without dense_shape"):
        tf.convert_to_tensor(s)
    d = tf.IndexedSlices(tf.constant([[7.0, 7.0], [1.0, 1.0]]), tf.constant([1, 1]),
                         tf.constant([3, 2]))
    assert d.shape == (3, 2)
    np.testing.assert_array_equal(tf.convert_to_tensor(d).numpy(), [[0, 0], [8, 8], [0, 0]])


# -- item assignment --------------------------------------------------------------------------
def test_item_assignment_errors_name_functions_that_exist():
    t = tf.constant([1.0, 2.0, 3.0])
    # TF: 'tensorflow.python.framework.ops.EagerTensor' object does not support item assignment
    with pytest.raises(TypeError, match=r"^'tapeflow.tensor.Tensor' object does not support "
                       r"item assignment$"):
        t[0] = 1.0
    v = tf.Variable([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match=r"does not support item assignment") as e:
        v[0] = 1.0  # TF: 'ResourceVariable' object does not support item assignment
    with pytest.raises(TypeError, match=r"^'tapeflow.tensor.Tensor' object does not support "):
        v[0:1][0] = 1.0
    # the functions the message names exist and do what it says
    message = str(e.value)
    for name in ("assign", "scatter_nd_update"):
        assert f".{name}(" in message
        assert callable(getattr(v, name))
    v[0].assign(7.0)
    v.scatter_nd_update([[1]], [8.0])
    np.testing.assert_array_equal(v.numpy(), [7, 8, 3])
