"""Optimizers' ``gradient_accumulation_steps``: Keras 3.15's behaviour (values recorded
from TF 2.21's tf.keras: SGD(0.1, gradient_accumulation_steps=2) on [1, 2] with gradients
[1, 1], [3, 5], [1, 1], [2, 2] gives [1, 2], [0.8, 1.7], [0.8, 1.7], [0.65, 1.55] and
iterations 0, 1, 1, 2)."""
import numpy as np
import pytest

import tapeflow as tf

keras = tf.keras
GRADS = ([1.0, 1.0], [3.0, 5.0], [1.0, 1.0], [2.0, 2.0])
VALUES = ([1.0, 2.0], [0.8, 1.7], [0.8, 1.7], [0.65, 1.55])
ITERATIONS = (0, 1, 1, 2)


@pytest.mark.parametrize("traced", [False, True])
def test_sgd_updates_with_the_mean_every_second_call(traced):
    v = tf.Variable([1.0, 2.0])
    opt = keras.optimizers.SGD(0.1, gradient_accumulation_steps=2)

    def step(g):
        opt.apply_gradients([(g, v)])

    step = tf.function(step) if traced else step
    for g, want, it in zip(GRADS, VALUES, ITERATIONS):
        step(tf.constant(g))
        np.testing.assert_allclose(v.numpy(), want, rtol=1e-6)
        assert int(opt.iterations) == it


def test_adam_matches_adam_on_the_mean_gradients():
    a, b = tf.Variable([1.0, -2.0]), tf.Variable([1.0, -2.0])
    acc = keras.optimizers.Adam(0.1, gradient_accumulation_steps=3)
    plain = keras.optimizers.Adam(0.1)
    rng = np.random.default_rng(0)
    for _ in range(2):
        gs = [rng.normal(size=2).astype("float32") for _ in range(3)]
        for g in gs:
            acc.apply_gradients([(tf.constant(g), a)])
        plain.apply_gradients([(tf.constant(np.mean(gs, axis=0)), b)])
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5)
    assert int(acc.iterations) == int(plain.iterations) == 2


def test_fit_counts_only_the_applied_updates():
    x = np.ones((8, 2), "float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.01, gradient_accumulation_steps=2), "mse")
    model.fit(x, np.zeros((8, 1), "float32"), batch_size=2, epochs=1, verbose=0)
    assert int(model.optimizer.iterations) == 2  # 4 batches, 2 updates
    assert model.optimizer.get_config()["gradient_accumulation_steps"] == 2


def test_bad_values_raise_keras_error():
    with pytest.raises(ValueError, match=r"`gradient_accumulation_steps` must be an integer "
                                         r">= 2. Received: gradient_accumulation_steps=1"):
        keras.optimizers.SGD(0.1, gradient_accumulation_steps=1)
    assert keras.optimizers.SGD(0.1, gradient_accumulation_steps=0)  # falsy: off, as Keras
