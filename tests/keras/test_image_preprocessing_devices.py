"""Keras's image layers on the NumPy-backed stand-in GPU (tests/fakegpu.py): every layer
runs on device images and leaves its output on the device; the differentiable ones give the
host's values and gradients."""
import numpy as np
import pytest
from fakegpu import gpus_fixture, skip_if_real_gpu

import tapeflow as tf
from tapeflow import backend

skip_if_real_gpu("the CPU image layer tests")
gpus = gpus_fixture()
L = tf.keras.layers
IMG = np.random.default_rng(0).uniform(0, 255, (2, 6, 7, 3)).astype("float32")
LAYERS = [
    lambda: L.Resizing(3, 4), lambda: L.CenterCrop(3, 3), L.AutoContrast,
    lambda: L.RandomFlip(seed=1), lambda: L.RandomRotation(0.2, seed=1),
    lambda: L.RandomZoom(0.2, seed=1), lambda: L.RandomTranslation(0.1, 0.1, seed=1),
    lambda: L.RandomShear(0.2, seed=1), lambda: L.RandomContrast(0.2, seed=1),
    lambda: L.RandomBrightness(0.2, seed=1), lambda: L.RandomCrop(3, 3, seed=1),
    lambda: L.RandomGrayscale(seed=1), lambda: L.RandomInvert(seed=1),
    lambda: L.RandomHue(0.2, seed=1), lambda: L.RandomSaturation(0.2, seed=1),
    lambda: L.RandomPosterization(4, seed=1), lambda: L.RandomSharpness(0.2, seed=1),
    lambda: L.RandomColorDegeneration(0.2, seed=1), lambda: L.Solarization(0.2, 0.5, seed=1),
    L.Equalization, lambda: L.MixUp(seed=1), lambda: L.CutMix(seed=1),
    lambda: L.RandomErasing(seed=1), lambda: L.RandomGaussianBlur(seed=1),
    lambda: L.RandomPerspective(seed=1),
    lambda: L.RandomColorJitter(brightness_factor=0.1, hue_factor=0.1, seed=1),
    lambda: L.RandAugment(seed=1), lambda: L.AugMix(seed=1),
    lambda: L.RandomElasticTransform(seed=1),
    lambda: L.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2)),
]


@pytest.mark.parametrize("make", LAYERS, ids=[str(i) for i in range(len(LAYERS))])
def test_image_layer_on_a_device(make, gpus):
    x = tf.constant(IMG)
    assert x.device.endswith("GPU:0")
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = make()(x, training=True)
        loss = tf.reduce_sum(y * y)
    grad = tape.gradient(loss, x)
    assert y.device.endswith("GPU:0")
    backend.unregister_backend(gpus)
    try:
        xh = tf.constant(IMG)
        with tf.GradientTape() as tape:
            tape.watch(xh)
            yh = make()(xh, training=True)
            loss = tf.reduce_sum(yh * yh)
        grad_h = tape.gradient(loss, xh)
    finally:
        backend.register_backend(gpus)
    np.testing.assert_allclose(y.numpy(), yh.numpy(), rtol=1e-5, atol=1e-3)
    assert (grad is None) == (grad_h is None)
    if grad is not None:
        np.testing.assert_allclose(grad.numpy(), grad_h.numpy(), rtol=1e-4, atol=1e-2)
