"""RaggedTensors through ``tf.function`` and ``tf.nest(expand_composites=True)``, as TF 2.21:
a ragged argument or result is its flat values and row splits (it leaked a traced tensor
before), and a ``RaggedTensorSpec`` may stand in an ``input_signature``."""
import numpy as np
import pytest

import tapeflow as tf


def _ragged_equal(a, b):
    assert isinstance(a, tf.RaggedTensor) and isinstance(b, tf.RaggedTensor)
    assert a.to_list() == b.to_list()
    assert a.dtype == b.dtype


ROWS = [[[1, 2], [3], []], [[1], [2, 3, 4]], [[5, 6, 7]], [[], [], [8]]]


def test_ragged_arguments_and_results_equal_eager_for_any_row_lengths():
    def step(r):
        return r * 2 + 1, tf.reduce_sum(r, axis=1), r.row_lengths()

    traced = tf.function(step)
    for rows in ROWS:
        r = tf.ragged.constant(rows)
        got, want = traced(r), step(r)
        _ragged_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1].numpy(), want[1].numpy())
        np.testing.assert_array_equal(got[2].numpy(), want[2].numpy())


def test_ragged_results_print_after_the_call():
    f = tf.function(lambda r: r * 2)
    assert repr(f(tf.ragged.constant([[1, 2], [3], []]))) == "<tf.RaggedTensor [[2, 4], [6], []]>"


def test_ragged_input_signature_traces_once():
    @tf.function(input_signature=[tf.RaggedTensorSpec([None, None], tf.int32)])
    def h(r):
        return r + 1

    for rows in ROWS:
        assert h(tf.ragged.constant(rows)).to_list() == [[x + 1 for x in row] for row in rows]
    assert h.experimental_get_tracing_count() == 1
    assert repr(h.get_concrete_function().structured_input_signature) == (
        "((RaggedTensorSpec(TensorShape([None, None]), tf.int32, 1, tf.int64),), {})")
    with pytest.raises(TypeError, match="Can not cast <tf.RaggedTensor"):
        h(tf.ragged.constant([[1.0]]))


def test_concrete_signature_text_is_tfs():
    f = tf.function(lambda r: r * 2)
    f(tf.ragged.constant([[1, 2], [3], []]))
    text = f.pretty_printed_concrete_signatures()
    assert "RaggedTensorSpec(TensorShape([3, None]), tf.int32, 1, tf.int64)" in text
    assert "Output Type:\n  RaggedTensorSpec(TensorShape([3, None]), tf.int32, 1, tf.int64)" \
        in text


def test_nest_expands_ragged_into_tfs_components():
    r = tf.ragged.constant([[1, 2], [3], []])
    flat = tf.nest.flatten([r, 5], expand_composites=True)
    assert len(flat) == 3 and flat[2] == 5
    np.testing.assert_array_equal(flat[0].numpy(), [1, 2, 3])
    np.testing.assert_array_equal(flat[1].numpy(), [0, 2, 3, 3])
    assert flat[1].dtype == tf.int64
    back = tf.nest.pack_sequence_as([r, 5], [flat[0] * 10, flat[1], 5], expand_composites=True)
    assert back[0].to_list() == [[10, 20], [30], []]
    # ragged_rank 1 over 2-D flat values: one splits tensor, flat values (3, 1), as TF
    r2 = tf.ragged.constant([[[1], [2]], [[3]]], ragged_rank=1)
    parts = tf.nest.flatten(r2, expand_composites=True)
    assert [p.shape for p in parts] == [(3, 1), (3,)]
    specs = tf.nest.flatten(tf.RaggedTensorSpec([None, None], tf.int32), expand_composites=True)
    assert [repr(s) for s in specs] == [
        "TensorSpec(shape=(None,), dtype=tf.int32, name=None)",
        "TensorSpec(shape=(None,), dtype=tf.int64, name=None)"]


def test_datasets_still_carry_ragged_elements():
    ds = tf.data.Dataset.from_tensor_slices(tf.ragged.constant([[1, 2], [3]]))
    assert [e.numpy().tolist() for e in ds] == [[1, 2], [3]]
