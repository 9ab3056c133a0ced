"""TF 2.21's behaviours at the edges (scalar mixing, division by zero, ``==`` on shapes that do
not broadcast, aliasing, Variable dtypes, in-place operators, mask indexing, one-argument
``tf.where``, Keras losses' dtype and reductions), checked against what TF itself gave.

The cases live in ``tests/fixtures/tf_behaviour_cases.py``; TF's outcomes were recorded by
running that file under tensorflow-cpu 2.21 into ``tf_behaviour_2_21.json`` (checked in).
"""
import json
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf
from tests.fixtures.tf_behaviour_cases import CASES, outcome

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "tf_behaviour_2_21.json")
                      .read_text())["cases"]


def test_every_case_was_recorded():
    assert sorted(RECORDED) == sorted(name for name, _ in CASES)


@pytest.mark.parametrize("name,fn", CASES, ids=[n for n, _ in CASES])
def test_matches_tensorflow(name, fn):
    want = RECORDED[name]
    got = outcome(tf, fn)
    if "error" in want or "error" in got:
        assert got == want
        return
    _same(got, want)


def _same(got, want):
    if "items" in want:
        assert len(got["items"]) == len(want["items"])
        for g, w in zip(got["items"], want["items"]):
            _same(g, w)
        return
    assert {k: v for k, v in got.items() if k != "values"} == \
        {k: v for k, v in want.items() if k != "values"}
    if want.get("values") is not None:
        rtol = 1e-3 if want["dtype"] == "float16" else 2e-6
        np.testing.assert_allclose(got["values"], want["values"], rtol=rtol, atol=1e-6)


def test_messages_name_the_op_and_dtypes():
    x = tf.constant([1, 2, 3])
    with pytest.raises(TypeError, match="Cannot convert 1.5 to EagerTensor of dtype int32"):
        x * 1.5
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"AddV2.*int32 tensor but is a "
                       r"float tensor"):
        x + 1.5
    with pytest.raises(TypeError, match=r"got tf.int32 != tf.float32"):
        x / 1.5
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"Integer division by zero "
                       r"\[Op:FloorMod\]"):
        x % 0
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"Incompatible shapes: \[3\] vs. "
                       r"\[2\] \[Op:Equal\]"):
        tf.equal(x, tf.constant([1, 2]))
    with pytest.raises(RuntimeError, match=r"assign_add"):
        v = tf.Variable([1.0])
        v += 1.0
    with pytest.raises(ValueError, match="requested dtype float32 for Tensor with dtype int32"):
        tf.Variable(tf.constant([1, 2]), dtype=tf.float32)


def test_numpy_values_are_copies_both_ways():
    a = np.ones(100_000, np.float32)
    t, v = tf.constant(a), tf.Variable(a)
    a[:] = 5.0
    assert float(tf.reduce_max(t)) == 1.0 and float(tf.reduce_max(v)) == 1.0
    out = t.numpy()
    out[:] = 7.0
    assert float(tf.reduce_max(t)) == 1.0


def test_mask_index_gradient_reaches_the_masked_elements():
    x = tf.Variable([1.0, 2.0, 3.0, 4.0])
    mask = tf.constant([True, False, True, False])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(x[mask] ** 2)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 0.0, 6.0, 0.0])


def test_loss_reduction_none_keeps_samples_and_sample_weights():
    loss = tf.keras.losses.MeanSquaredError(reduction=None)
    out = loss(tf.constant([[1.0, 2.0], [3.0, 4.0]]), tf.constant([[1.0, 1.0], [1.0, 1.0]]),
               sample_weight=tf.constant([1.0, 0.5]))
    np.testing.assert_allclose(out.numpy(), [0.5, 3.25])
    assert loss.get_config()["reduction"] is None
