"""Optimizers: three steps of each update rule against values recorded from Keras 3
(tensorflow 2.21), plus None gradients, minimize, schedules and string names."""
import warnings

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras

W0 = np.array([[0.5, -1.0], [2.0, 0.3]], dtype="float32")
GRADS = [np.array([[0.1, -0.2], [0.3, 0.05]], "float32"),
         np.array([[-0.4, 0.2], [0.1, 0.5]], "float32"),
         np.array([[0.2, 0.2], [-0.3, 0.1]], "float32")]
O = keras.optimizers
# Recorded with keras 3 (tensorflow 2.21): the same three gradients applied to W0.
CASES = {
    "sgd": (lambda: O.SGD(0.1), [[0.51, -1.02], [1.99, 0.235]]),
    "sgd_mom": (lambda: O.SGD(0.1, momentum=0.9), [[0.5289000, -1.0038000],
                                                   [1.9297003, 0.1814500]]),
    "sgd_nest": (lambda: O.SGD(0.1, momentum=0.9, nesterov=True),
                 [[0.5360100, -1.0234200], [1.9267300, 0.1283051]]),
    "adam": (lambda: O.Adam(0.1), [[0.4669704, -0.9454862], [1.8080586, 0.0456388]]),
    "adam_ams": (lambda: O.Adam(0.1, amsgrad=True), [[0.4669704, -0.9454862],
                                                     [1.8080586, 0.0456388]]),
    "adamw": (lambda: O.AdamW(0.1, weight_decay=0.1), [[0.4535504, -0.9177225],
                                                       [1.7515177, 0.0395254]]),
    "rmsprop": (lambda: O.RMSprop(0.1), [[0.3471798, -1.1052842], [1.8077598, -0.3959316]]),
    "rmsprop_c": (lambda: O.RMSprop(0.1, momentum=0.5, centered=True),
                  [[0.2474114, -0.9573350], [1.4749599, -0.8562825]]),
    "adagrad": (lambda: O.Adagrad(0.1), [[0.5109078, -1.0363283], [1.9645234, 0.1835584]]),
    "adadelta": (lambda: O.Adadelta(1.0), [[0.4992932, -1.0014623], [1.9994051, 0.2960352]]),
    "nadam": (lambda: O.Nadam(0.1), [[0.4502390, -1.0231037], [1.9208566, 0.0613532]]),
    "adamax": (lambda: O.Adamax(0.1), [[0.4480847, -0.9454846], [1.8309639, 0.0990089]]),
    "sgd_clipnorm": (lambda: O.SGD(0.1, clipnorm=0.1), [[0.4985346, -1.0023648],
                                                        [1.9976494, 0.2889463]]),
    "sgd_clipvalue": (lambda: O.SGD(0.1, clipvalue=0.15), [[0.49, -1.015], [1.99, 0.27]]),
    "sgd_gclip": (lambda: O.SGD(0.1, global_clipnorm=0.1), [[0.4985346, -1.0023648],
                                                            [1.9976494, 0.2889463]]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_three_steps_match_keras(case):
    make, expected = CASES[case]
    opt = make()
    v = tf.Variable(W0)
    for g in GRADS:
        opt.apply_gradients([(tf.constant(g), v)])
    np.testing.assert_allclose(v.numpy(), expected, rtol=2e-5, atol=2e-6)
    assert int(opt.iterations.numpy()) == 3
    assert v.dtype == tf.float32


def test_keras_defaults():
    assert float(O.SGD().learning_rate.numpy()) == pytest.approx(0.01)
    adam = O.Adam()
    assert float(adam.learning_rate.numpy()) == pytest.approx(0.001)
    assert adam.epsilon == 1e-7 and adam.beta_1 == 0.9 and adam.beta_2 == 0.999
    assert O.RMSprop().rho == 0.9 and O.Adagrad().initial_accumulator_value == 0.1
    assert O.AdamW().weight_decay == 0.004 and O.Adadelta().rho == 0.95


def test_lr_alias_warns_and_sets_learning_rate():
    with pytest.warns(DeprecationWarning, match="learning_rate"):
        opt = O.SGD(lr=0.05)
    assert float(opt.learning_rate.numpy()) == pytest.approx(0.05)


def test_unknown_argument_is_rejected():
    with pytest.raises(ValueError, match="not recognized"):
        O.Adam(learnin_rate=0.1)


def test_none_gradient_is_skipped_with_warning():
    a, b = tf.Variable([1.0]), tf.Variable([2.0])
    opt = O.SGD(0.5)
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        opt.apply_gradients([(None, a), (tf.constant([1.0]), b)])
    assert a.numpy()[0] == 1.0 and b.numpy()[0] == 1.5


def test_minimize_with_callable_and_with_tape():
    v = tf.Variable(3.0)
    opt = O.SGD(0.1)
    opt.minimize(lambda: v * v, [v])
    assert float(v.numpy()) == pytest.approx(3.0 - 0.1 * 6.0)
    with tf.GradientTape() as tape:
        loss = v * v
    opt.minimize(loss, [v], tape=tape)
    assert float(v.numpy()) == pytest.approx(2.4 - 0.1 * 4.8)
    with pytest.raises(ValueError, match="tape"):
        opt.minimize(v * 1.0, [v])


def test_learning_rate_is_settable():
    opt = O.SGD(0.1)
    opt.learning_rate = 0.5
    v = tf.Variable([1.0])
    opt.apply_gradients([(tf.constant([1.0]), v)])
    assert v.numpy()[0] == pytest.approx(0.5)


def test_schedules():
    s = O.schedules
    e = s.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert float(e(10).numpy()) == pytest.approx(0.05)
    assert float(s.ExponentialDecay(0.1, 10, 0.5, staircase=True)(19).numpy()) == \
        pytest.approx(0.05)
    p = s.PiecewiseConstantDecay([5, 10], [1.0, 0.5, 0.1])
    assert [float(p(i).numpy()) for i in (0, 5, 6, 10, 11)] == pytest.approx(
        [1.0, 1.0, 0.5, 0.5, 0.1])
    c = s.CosineDecay(1.0, decay_steps=10, alpha=0.1)
    assert float(c(0).numpy()) == pytest.approx(1.0)
    assert float(c(5).numpy()) == pytest.approx(0.55)
    assert float(c(20).numpy()) == pytest.approx(0.1)
    t = s.InverseTimeDecay(1.0, decay_steps=1, decay_rate=0.5)
    assert float(t(2).numpy()) == pytest.approx(0.5)


def test_schedule_drives_the_step():
    opt = O.SGD(O.schedules.PiecewiseConstantDecay([0], [1.0, 0.1]))
    v = tf.Variable([0.0])
    opt.apply_gradients([(tf.constant([1.0]), v)])  # step 0: lr 1.0
    opt.apply_gradients([(tf.constant([1.0]), v)])  # step 1: lr 0.1
    assert v.numpy()[0] == pytest.approx(-1.1)


def test_constraint_applied_after_update():
    v = tf.Variable([[3.0, 4.0]], constraint=keras.constraints.NonNeg())
    O.SGD(1.0).apply_gradients([(tf.constant([[4.0, 1.0]]), v)])
    np.testing.assert_allclose(v.numpy(), [[0.0, 3.0]])


def test_string_names_and_unknown():
    assert isinstance(O.get("adam"), O.Adam) and isinstance(O.get("SGD"), O.SGD)
    with pytest.raises(ValueError, match="adam"):
        O.get("adamm")


def test_only_one_clip_option():
    with pytest.raises(ValueError, match="Only one"):
        O.SGD(clipnorm=1.0, clipvalue=1.0)


def test_update_rebinds_instead_of_writing_in_place():
    v = tf.Variable([1.0, 2.0])
    before = v.value()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        O.Adam(0.1).apply_gradients([(tf.constant([1.0, 1.0]), v)])
    np.testing.assert_allclose(before.numpy(), [1.0, 2.0])
    assert not np.allclose(v.numpy(), [1.0, 2.0])
