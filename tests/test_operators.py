"""Operators and broadcasting with TF's dtype rules (no promotion between tensors)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tapeflow as tf

InvalidArgumentError = tf.errors.InvalidArgumentError


def test_seed_vectorized_and_broadcast():
    x = tf.convert_to_tensor([1, 2, 3, 4])
    assert (2 * x + 1).numpy().tolist() == [3, 5, 7, 9]
    matrix = tf.convert_to_tensor([[1, 1, 1, 1], [4, 4, 4, 4], [5, 5, 5, 5]])
    assert (matrix + x).numpy().tolist() == [[2, 3, 4, 5], [5, 6, 7, 8], [6, 7, 8, 9]]
    assert (matrix + x).dtype == tf.int32


def test_mixed_tensor_dtypes_raise_invalid_argument():
    with pytest.raises(InvalidArgumentError) as e:
        tf.constant([1, 2]) + tf.constant([1.0, 2.0])
    msg = str(e.value)
    assert "AddV2" in msg and "int32" in msg and "float32" in msg and "[2]" in msg
    with pytest.raises(InvalidArgumentError, match="float64"):
        tf.constant([1.0]) * tf.constant([1.0], tf.float64)


def test_python_scalars_adopt_tensor_dtype():
    assert (tf.constant([1.0]) + 1).dtype == tf.float32
    assert (tf.constant([1], tf.int8) + 1000).numpy().tolist() == [-23]  # wraps like TF
    assert (tf.constant([1, 2]) + True).numpy().tolist() == [2, 3]
    with pytest.raises(InvalidArgumentError, match="int32"):
        tf.constant([1, 2]) + 1.5
    assert (tf.constant([1, 2]) + np.float64(1.5)).numpy().tolist() == [2, 3]
    assert (tf.constant([1.0, 2.0]) + np.array([1, 2])).dtype == tf.float32


def test_incompatible_shapes_name_both():
    with pytest.raises(InvalidArgumentError, match=r"Incompatible shapes: \[2\] vs. \[3\]"):
        tf.constant([1, 2]) + tf.constant([1, 2, 3])


def test_division_semantics():
    x = tf.constant([1, 2, 3, 4])
    assert (x / 2).dtype == tf.float64 and (x / x).numpy().tolist() == [1.0] * 4
    assert (tf.constant([1, 2], tf.int8) / tf.constant([1, 2], tf.int8)).dtype == tf.float32
    assert (x // 3).numpy().tolist() == [0, 0, 1, 1]
    assert (tf.constant([-7]) // 2).numpy().tolist() == [-4]
    assert (x % 3).numpy().tolist() == [1, 2, 0, 1]
    assert (x**2).numpy().tolist() == [1, 4, 9, 16]
    assert float(tf.constant(1.0) / 0.0) == np.inf
    with pytest.raises(InvalidArgumentError, match="negative integer powers"):
        tf.constant([1, 2]) ** -1


def test_comparison_and_logic():
    x = tf.constant([1, 2])
    assert (x < 2).numpy().tolist() == [True, False] and (x == 1).dtype == tf.bool
    assert (x == [1, 2]).numpy().tolist() == [True, True]
    assert (x == None) is False and (x != None) is True  # noqa: E711 - TF's behaviour
    with pytest.raises(TypeError):
        x == "a"  # noqa: B015
    t, f = tf.constant([True]), tf.constant([False])
    assert (t & f).numpy().tolist() == [False] and (t | True).numpy().tolist() == [True]
    assert (~t).numpy().tolist() == [False] and (t ^ t).numpy().tolist() == [False]
    assert (~x).numpy().tolist() == [-2, -3] and (x & x).numpy().tolist() == [1, 2]
    with pytest.raises(InvalidArgumentError, match="BitwiseAnd"):
        tf.constant([1.0]) & tf.constant([1.0])
    with pytest.raises(InvalidArgumentError, match="bool"):
        -tf.constant([True])
    with pytest.raises(InvalidArgumentError, match="bool"):
        tf.constant(True) + 1


def test_variable_in_operators_gives_tensor():
    v = tf.Variable([1.0, 2.0])
    for r in (v + 1, 1 + v, v * v, -v, abs(v), v @ tf.ones([2, 1]) if False else v * 2):
        assert type(r) is tf.Tensor


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_broadcasting_matches_numpy(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=4))
    a = data.draw(hnp.arrays(np.float32, shapes.input_shapes[0],
                             elements=st.floats(-10, 10, width=32)))
    b = data.draw(hnp.arrays(np.float32, shapes.input_shapes[1],
                             elements=st.floats(-10, 10, width=32)))
    for op in (lambda p, q: p + q, lambda p, q: p * q, lambda p, q: p - q,
               lambda p, q: tf.maximum(p, q) if isinstance(p, tf.Tensor) else np.maximum(p, q)):
        got = op(tf.constant(a), tf.constant(b))
        want = op(a, b)
        assert got.shape == want.shape
        np.testing.assert_array_equal(got.numpy(), want)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_broadcast_gradients_reduce_to_input_shapes(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=3))
    a = tf.constant(np.ones(shapes.input_shapes[0]))
    b = tf.constant(np.full(shapes.input_shapes[1], 2.0))
    with tf.GradientTape() as tape:
        tape.watch([a, b])
        y = a * b
    ga, gb = tape.gradient(y, [a, b])
    n_out = int(np.prod(shapes.result_shape))
    assert ga.shape == a.shape and gb.shape == b.shape
    # every output element contributes b (=2) to a's gradient and a (=1) to b's
    assert float(tf.reduce_sum(ga)) == pytest.approx(2.0 * n_out)
    assert float(tf.reduce_sum(gb)) == pytest.approx(1.0 * n_out)


def test_indexing():
    x = tf.constant([[1, 2, 3], [4, 5, 6]])
    assert x[1].numpy().tolist() == [4, 5, 6] and int(x[-1, -1]) == 6
    assert x[:, ::2].numpy().tolist() == [[1, 3], [4, 6]]
    assert x[..., 1].numpy().tolist() == [2, 5] and x[None].shape == (1, 2, 3)
    assert x[tf.constant(1), 0].numpy() == 4 and x[0, 1:10].shape == (2,)
    with pytest.raises(InvalidArgumentError, match="slice index 7 of dimension 0 out of bounds"):
        x[7]
    with pytest.raises(InvalidArgumentError, match="dimension 1"):
        x[:, 5]
    with pytest.raises(TypeError, match="Only integers, slices"):
        x[1.0]
    with pytest.raises(TypeError, match="Only integers, slices"):
        x[np.array([1, 0])]
