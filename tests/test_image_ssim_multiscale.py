"""tf.image.ssim_multiscale; expected values recorded from TF 2.21 on the same inputs."""
import numpy as np
import pytest

import tapeflow as tf


def _pair():
    rng = np.random.default_rng(0)
    a = rng.uniform(size=(2, 48, 40, 3)).astype(np.float32)
    b = np.clip(a + rng.normal(scale=0.1, size=a.shape), 0, 1).astype(np.float32)
    return a, b


def test_values_and_options():
    a, b = _pair()
    out = tf.image.ssim_multiscale(a, b, 1.0, power_factors=(0.5, 0.3, 0.2), filter_size=5)
    assert out.dtype == tf.float32 and out.shape == (2,)
    np.testing.assert_allclose(out.numpy(), [0.9435132145881653, 0.9467847943305969], rtol=1e-5)
    out = tf.image.ssim_multiscale(a, b, 1.0, power_factors=(0.5, 0.5), filter_size=3,
                                   filter_sigma=1.0, k1=0.02)
    np.testing.assert_allclose(out.numpy(), [0.9362895488739014, 0.9379355311393738], rtol=1e-5)
    single = tf.image.ssim_multiscale(a[0], b[0], 1.0, power_factors=(0.5, 0.5), filter_size=3)
    assert single.shape == ()
    np.testing.assert_allclose(single.numpy(), 0.9370929598808289, rtol=1e-5)


def test_uint8_images():
    a, b = _pair()
    a8, b8 = (a * 255).astype(np.uint8), (b * 255).astype(np.uint8)
    out = tf.image.ssim_multiscale(a8, b8, 255, power_factors=(0.6, 0.4), filter_size=5)
    assert out.dtype == tf.float32
    np.testing.assert_allclose(out.numpy(), [0.9432368874549866, 0.9455924034118652], rtol=1e-5)


def test_default_five_scales_and_odd_sizes():
    rng = np.random.default_rng(0)
    rng.uniform(size=(2, 48, 40, 3))
    rng.normal(size=(2, 48, 40, 3))
    big = rng.uniform(size=(1, 180, 180, 1)).astype(np.float32)
    big2 = np.clip(big + rng.normal(scale=0.2, size=big.shape), 0, 1).astype(np.float32)
    np.testing.assert_allclose(tf.image.ssim_multiscale(big, big2, 1.0).numpy(),
                               [0.8465958833694458], rtol=1e-5)
    odd = rng.uniform(size=(1, 33, 27, 1)).astype(np.float32)
    out = tf.image.ssim_multiscale(odd, odd * 0.9, 1.0, power_factors=(0.2, 0.3, 0.5),
                                   filter_size=3)
    np.testing.assert_allclose(out.numpy(), [0.9921641945838928], rtol=1e-5)


def test_too_small_for_the_scales():
    a, b = _pair()
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Expected 'tf.Tensor\(False, shape=\(\), dtype=bool\)' to be "
                             r"true. Summarized data: 2, 12, 10, 3\n11"):
        tf.image.ssim_multiscale(a, b, 1.0)


def test_gradient_matches_finite_differences():
    x0 = np.random.RandomState(3).rand(1, 8, 9, 2) * 0.8 + 0.1
    ref = tf.constant(x0 * 0.7 + 0.2 * np.random.RandomState(5).rand(1, 8, 9, 2), tf.float32)

    def loss(v):
        return tf.reduce_sum(tf.image.ssim_multiscale(v, ref, 1.0, power_factors=(0.6, 0.4),
                                                      filter_size=3))

    x = tf.constant(x0, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = loss(x)
    g = tape.gradient(out, x).numpy()
    num = np.zeros_like(x0)
    eps = 1e-3
    for i in range(x0.size):
        p, m = x0.copy(), x0.copy()
        p.reshape(-1)[i] += eps
        m.reshape(-1)[i] -= eps
        num.reshape(-1)[i] = (float(loss(tf.constant(p, tf.float32)))
                              - float(loss(tf.constant(m, tf.float32)))) / (2 * eps)
    assert np.abs(g).max() > 1e-3
    np.testing.assert_allclose(g, num, rtol=2e-2, atol=2e-3)
