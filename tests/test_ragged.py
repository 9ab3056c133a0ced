"""tf.RaggedTensor and tf.ragged against TensorFlow 2.21's recorded answers
(tests/fixtures/tf_ragged.json), gradients through the flat values (float64 finite
differences), and elementwise ops over random row lengths (hypothesis)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tf_fixture_cases import check, load

import tapeflow as tf
from gradcheck import check_grad

CASES = load("tf_ragged.json")


@pytest.mark.parametrize("expr", sorted(CASES))
def test_matches_tf(expr):
    check(expr, CASES[expr])


# -- gradients through the flat values (float64 central differences) ---------------------------
LENS = [2, 0, 3, 1]
V = np.linspace(-1.3, 2.1, 6)


def _rt(v, lens=LENS):
    return tf.RaggedTensor.from_row_lengths(v, lens)


@pytest.mark.parametrize("fn", [
    lambda v: _rt(v).flat_values * 3.0,
    lambda v: (_rt(v) * _rt(v) + 1.0).flat_values,
    lambda v: (tf.math.sin(_rt(v)) / (2.0 + tf.abs(_rt(v)))).flat_values,
    lambda v: tf.math.exp(_rt(v)).to_tensor(default_value=0.5),
    lambda v: _rt(v).to_tensor(shape=[3, 2]),
    lambda v: tf.reduce_sum(_rt(v), axis=1),
    lambda v: tf.reduce_sum(_rt(v), axis=0),
    lambda v: tf.reduce_mean(_rt(v, [2, 1, 3]) * _rt(v, [2, 1, 3]), axis=1),
    lambda v: tf.reduce_max(_rt(v, [2, 1, 3]), axis=1),
    lambda v: tf.reduce_min(_rt(v, [2, 1, 3]), axis=0),
    lambda v: tf.reduce_prod(_rt(v, [2, 1, 3]), axis=1),
    lambda v: tf.reduce_sum(_rt(v)),
    lambda v: _rt(v)[2],
    lambda v: _rt(v)[1:].flat_values,
    lambda v: _rt(v)[:, 1:].flat_values,
    lambda v: tf.concat([_rt(v), _rt(v) * 2.0], axis=1).flat_values,
    lambda v: tf.stack([_rt(v), _rt(v)], axis=0).flat_values,
    lambda v: tf.where(_rt(v) > 0.0, _rt(v), -2.0 * _rt(v)).flat_values,
    lambda v: tf.ragged.map_flat_values(tf.nn.relu, _rt(v) - 0.05).flat_values,
    lambda v: (tf.constant([[1.0], [2.0], [3.0], [4.0]], tf.float64) * _rt(v)).flat_values,
    lambda v: tf.ragged.boolean_mask(_rt(v), _rt(v) > 0.0).flat_values,
], ids=lambda f: "")
def test_gradient_through_flat_values(fn):
    check_grad(fn, V)


def test_gradient_from_a_dense_tensor():
    dense = np.arange(1.0, 13.0).reshape(3, 4) / 7.0
    check_grad(lambda t: tf.RaggedTensor.from_tensor(t, lengths=[1, 4, 2]).flat_values ** 2,
               dense)
    check_grad(lambda t: tf.RaggedTensor.from_tensor(t, lengths=[1, 4, 2]).to_tensor(), dense)


def test_gradient_nested_ragged():
    v = np.linspace(0.2, 1.9, 5)
    check_grad(lambda x: tf.reduce_sum(tf.RaggedTensor.from_nested_row_lengths(
        x, [[2, 1], [1, 2, 2]]) * 2.0, axis=2).flat_values, v)
    check_grad(lambda x: tf.RaggedTensor.from_nested_row_lengths(
        x, [[2, 1], [1, 2, 2]]).to_tensor(), v)


def test_tape_gradient_for_the_source_of_a_ragged_tensor():
    values = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        rt = tf.RaggedTensor.from_row_splits(values, [0, 2, 3])
        loss = tf.reduce_sum(tf.reduce_mean(rt * rt, axis=1))
    g = tape.gradient(loss, values)
    np.testing.assert_allclose(g.numpy(), [1.0, 2.0, 6.0])  # d/dv mean(v^2) per row


def test_second_order_through_ragged_math():
    check_grad(lambda v: (_rt(v) * _rt(v) * _rt(v)).flat_values, V, second_order=True)


# -- elementwise ops over random row lengths (hypothesis) ---------------------------------------
@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=6), st.sampled_from(
    ["add", "subtract", "multiply", "maximum", "minimum", "squared_difference"]),
    st.integers(0, 10_000))
def test_elementwise_matches_dense(lens, opname, seed):
    rng = np.random.default_rng(seed)
    n = int(sum(lens))
    a, b = rng.normal(size=n).astype(np.float32), rng.normal(size=n).astype(np.float32)
    ra, rb = tf.RaggedTensor.from_row_lengths(a, lens), tf.RaggedTensor.from_row_lengths(b, lens)
    op = getattr(tf.math, opname)
    out = op(ra, rb)
    assert isinstance(out, tf.RaggedTensor)
    np.testing.assert_array_equal(out.row_splits.numpy(), ra.row_splits.numpy())
    np.testing.assert_allclose(out.flat_values.numpy(), op(tf.constant(a), tf.constant(b)).numpy())
    # a scalar and a per-row column broadcast over the rows
    col = rng.normal(size=(len(lens), 1)).astype(np.float32)
    out2 = op(ra, tf.constant(col))
    want = op(tf.constant(a), tf.constant(np.repeat(col[:, 0], lens))).numpy()
    np.testing.assert_allclose(out2.flat_values.numpy(), want)
    dense = ra.to_tensor(default_value=0.0).numpy()
    assert dense.shape == (len(lens), max(lens))
    assert tf.RaggedTensor.from_tensor(dense, lengths=lens).to_list() == ra.to_list()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=6), st.lists(st.integers(0, 4),
                                                                      min_size=1, max_size=6))
def test_different_row_splits_raise(la, lb):
    a = tf.RaggedTensor.from_row_lengths(np.zeros(sum(la), np.float32), la)
    b = tf.RaggedTensor.from_row_lengths(np.zeros(sum(lb), np.float32), lb)
    if la == lb:
        assert (a + b).to_list() == a.to_list()
    else:
        with pytest.raises((tf.errors.InvalidArgumentError, ValueError)):
            a + b
