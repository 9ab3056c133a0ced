"""tf.image.extract_glimpse; expected windows recorded from TF 2.21 (noise="zero", or only
the pixels inside the image where the noise is random)."""
import numpy as np
import pytest

import tapeflow as tf


def _x():
    return np.arange(2 * 6 * 7 * 2, dtype=np.float32).reshape(2, 6, 7, 2)


def test_centered_normalized_default():
    out = tf.image.extract_glimpse(_x(), [3, 3], [[0., 0.], [0.5, -0.5]])
    assert out.dtype == tf.float32 and out.shape == (2, 3, 3, 2)
    assert out.numpy().reshape(-1).tolist() == [
        18, 19, 20, 21, 22, 23, 32, 33, 34, 35, 36, 37, 46, 47, 48, 49, 50, 51,
        126, 127, 128, 129, 130, 131, 140, 141, 142, 143, 144, 145, 154, 155, 156, 157, 158, 159]
    out = tf.image.extract_glimpse(_x(), [3, 3], [[0.25, 0.3], [-0.3, -0.1]])
    assert out.numpy().reshape(-1).tolist() == [
        34, 35, 36, 37, 38, 39, 48, 49, 50, 51, 52, 53, 62, 63, 64, 65, 66, 67,
        86, 87, 88, 89, 90, 91, 100, 101, 102, 103, 104, 105, 114, 115, 116, 117, 118, 119]


def test_zero_noise_outside():
    out = tf.image.extract_glimpse(_x(), [3, 3], [[0.9, 0.9], [-0.9, -1.2]], noise="zero")
    assert out.numpy().reshape(-1).tolist() == [
        66, 67, 68, 69, 0, 0, 80, 81, 82, 83, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 84, 85, 0, 0, 0, 0, 98, 99]


def test_uncentered_and_unnormalized_offsets():
    out = tf.image.extract_glimpse(_x(), [2, 2], [[0.5, 0.5], [1.5, 2.5]], centered=False,
                                   normalized=False)
    assert out.numpy().reshape(-1).tolist() == [0, 1, 2, 3, 14, 15, 16, 17,
                                                102, 103, 104, 105, 116, 117, 118, 119]
    out = tf.image.extract_glimpse(_x(), [2, 4], [[1., 2.], [-1., 3.]], centered=False,
                                   normalized=False).numpy()
    assert out[0].reshape(-1).tolist() == [18, 19, 20, 21, 22, 23, 24, 25,
                                           32, 33, 34, 35, 36, 37, 38, 39]
    assert out[1, 1].reshape(-1).tolist() == [90, 91, 92, 93, 94, 95, 96, 97]
    out = tf.image.extract_glimpse(_x(), [3, 3], [[1., 2.], [-1., 3.]], centered=True,
                                   normalized=False).numpy()
    assert out[0, :2, :2].reshape(-1).tolist() == [66, 67, 68, 69, 80, 81, 82, 83]
    out = tf.image.extract_glimpse(_x(), [2, 4], [[0., 0.], [0.5, -0.5]], centered=False,
                                   normalized=True).numpy()
    assert out[0].reshape(-1).tolist() == [0, 1, 2, 3, 4, 5, 6, 7,
                                           14, 15, 16, 17, 18, 19, 20, 21]
    assert out[1, :, 3].tolist() == [[126, 127], [140, 141]]


def test_uniform_noise_stays_in_the_image_range():
    out = tf.image.extract_glimpse(_x(), [3, 3], [[0.9, 0.9], [-0.9, -1.2]]).numpy()
    assert out[0, 0, 0].tolist() == [66, 67]
    assert 0 <= out[0].min() and out[0].max() <= 83
    assert 84 <= out[1].min() and out[1].max() <= 167
    out = tf.image.extract_glimpse(_x(), [3, 3], [[0.9, 0.9], [-0.9, -1.2]],
                                   noise="gaussian").numpy()
    assert out[0, 0, 0].tolist() == [66, 67] and out[1, 2, 2].tolist() == [98, 99]
    assert np.isfinite(out).all() and out[0, 2, 2].tolist() != [0, 0]


def test_errors():
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="The noise could only be uniform, gaussian, or zero, gotfoo"):
        tf.image.extract_glimpse(_x(), [3, 3], [[0., 0.], [0.5, -0.5]], noise="foo")
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"first dimension should be batch\[1,2\]"):
        tf.image.extract_glimpse(_x(), [3, 3], [[0., 0.]])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"input must be 4-dimensional \(batch_size, height, width, "
                             r"depth\)\[6,7,2\]"):
        tf.image.extract_glimpse(_x()[0], [3, 3], [[0., 0.]])
