"""GradientTape: TF's semantics for watching, structures, persistence, nesting, jacobians."""
import logging

import numpy as np
import pytest

import tapeflow as tf


def test_trainable_variables_watched_automatically():
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x * x
    assert float(tape.gradient(y, x)) == 6.0


def test_non_persistent_tape_second_call_raises():
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="non-persistent GradientTape can only be used to "
                                           "compute one set of gradients"):
        tape.gradient(y, x)


def test_persistent_tape_and_structures():
    x = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        y = x * x * x
        z = y + x
    assert float(tape.gradient(y, x)) == 12.0
    g = tape.gradient(z, {"a": x, "b": [x, (x,)]})
    assert set(g) == {"a", "b"} and float(g["b"][1][0]) == 13.0
    assert float(tape.gradient([y, z], x)) == 25.0  # several targets are summed


def test_watch_tensors_and_unwatched_constants():
    a = tf.constant([1.0, 2.0])
    c = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(a)
        y = tf.reduce_sum(a * c)
    assert tape.gradient(y, a).numpy().tolist() == [3.0, 3.0]
    assert tape.gradient(y, c) is None
    assert float(tape.gradient(y, c, unconnected_gradients="zero")) == 0.0


def test_integer_sources_give_none(caplog):
    xi = tf.constant(3)
    with caplog.at_level(logging.WARNING, logger="tapeflow"):
        with tf.GradientTape() as tape:
            tape.watch(xi)
            y = xi * xi
    assert "must be floating" in caplog.text
    assert tape.gradient(y, xi) is None


def test_watch_accessed_variables_false():
    a, b = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(a)
        y = a * b
    ga, gb = tape.gradient(y, [a, b])
    assert float(ga) == 2.0 and gb is None
    assert tape.watched_variables() == (a,)


def test_non_trainable_variables_not_watched():
    v = tf.Variable(1.0, trainable=False)
    with tf.GradientTape() as tape:
        y = v * 2.0
    assert tape.gradient(y, v) is None


def test_output_gradients_and_non_scalar_targets():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
    assert tape.gradient(y, x).numpy().tolist() == [2.0, 4.0, 6.0]
    g = tape.gradient(y, x, output_gradients=tf.constant([1.0, 0.0, 2.0]))
    assert g.numpy().tolist() == [2.0, 0.0, 12.0]


def test_stop_recording_and_stop_gradient():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x * x
        with tape.stop_recording():
            z = x * 100.0
        w = y + z + tf.stop_gradient(x * 7.0)
    assert float(tape.gradient(w, x)) == 4.0


def test_nested_tapes_second_derivative():
    x = tf.Variable(3.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = x * x * x
        dy = inner.gradient(y, x)
    d2y = outer.gradient(dy, x)
    assert float(dy) == 27.0 and float(d2y) == 18.0


def test_gradient_uses_values_read_at_forward_time():
    v = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = v * v
    v.assign(100.0)
    assert float(tape.gradient(y, v)) == 4.0


def test_relu_kink_gives_zero_gradient_and_max_ties():
    x = tf.constant([0.0, 1.0, -1.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.maximum(x, 0.0))
    assert tape.gradient(y, x).numpy().tolist() == [1.0, 1.0, 0.0]  # ties go to x, as TF


def test_jacobian_and_batch_jacobian():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
    j = tape.jacobian(y, x)
    assert j.shape == (2, 2, 2, 2)
    expected = np.zeros((2, 2, 2, 2))
    for i in range(2):
        for k in range(2):
            expected[i, k, i, k] = 2 * x.numpy()[i, k]
    np.testing.assert_allclose(j.numpy(), expected)
    bj = tape.batch_jacobian(y, x)
    assert bj.shape == (2, 2, 2)
    np.testing.assert_allclose(bj.numpy(), [np.diag([2.0, 4.0]), np.diag([6.0, 8.0])])


def test_gradient_of_tensor_not_on_tape_is_none():
    x = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        pass
    assert tape.gradient(tf.constant(3.0), x) is None


def test_reset_and_bad_sources():
    x = tf.Variable(1.0)
    with tf.GradientTape(persistent=True) as tape:
        y = x * 2.0
        tape.reset()
        z = x * 5.0
    assert tape.gradient(y, x) is None and float(tape.gradient(z, x)) == 5.0
    with pytest.raises(ValueError, match="not tf.Tensor"):
        tape.gradient(z, "x")


def test_target_that_is_a_source_gets_one_as_in_tf():
    # TF's autodiff guide: `result = v0` taken under a tape gives dv0 = 1, dv1 = None
    x = tf.constant(1.0)
    v0, v1 = tf.Variable(2.0), tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        result = v0 if x > 0.0 else v1**2
    dv0, dv1 = tape.gradient(result, [v0, v1])
    assert float(dv0) == 1.0 and dv1 is None
    c = tf.constant(3.0)
    assert float(tape.gradient(c, c)) == 1.0


def test_guide_examples_python_list_operand_and_dict_sources():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x * [3.0, 4.0]
    assert float(tape.gradient(y, x)) == 7.0
    w = tf.Variable(tf.ones((3, 2)), name="w")
    b = tf.Variable(tf.zeros(2, dtype=tf.float32), name="b")
    with tf.GradientTape(persistent=True) as tape:
        y = [[1.0, 2.0, 3.0]] @ w + b
        loss = tf.reduce_mean(y**2)
    grad = tape.gradient(loss, {"w": w, "b": b})
    assert grad["w"].shape == (3, 2) and grad["b"].numpy().tolist() == [6.0, 6.0]
