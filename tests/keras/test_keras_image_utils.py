"""``keras.utils.array_to_img`` / ``img_to_array``: values and errors recorded from TF 2.21
(Keras 3) with Pillow installed, and its ImportError without Pillow."""
import numpy as np
import pytest

import tapeflow as tf
from tapeflow.keras.utils import image as image_utils

u = tf.keras.utils
X = np.arange(12).reshape(2, 2, 3)


def test_img_to_array_shapes_and_dtypes():
    a = u.img_to_array(X)
    assert a.dtype == np.float32 and a.shape == (2, 2, 3) and a[0, 0].tolist() == [0., 1., 2.]
    assert u.img_to_array(X, data_format="channels_first").shape == (3, 2, 2)
    assert u.img_to_array(np.ones((2, 3))).shape == (2, 3, 1)
    assert u.img_to_array(np.ones((2, 3)), data_format="channels_first").shape == (1, 2, 3)
    assert u.img_to_array(X, dtype="uint8").dtype == np.uint8
    t = u.img_to_array(tf.ones((2, 2, 3)))
    assert type(t) is np.ndarray and t.dtype == np.float32
    with pytest.raises(ValueError, match=r"Unsupported image shape: \(3,\)"):
        u.img_to_array(np.ones(3))
    with pytest.raises(ValueError, match=r"The `data_format` argument must be one of "
                                         r"\{'channels_first', 'channels_last'\}. Received: "
                                         r"data_format=nchw"):
        u.img_to_array(X, data_format="nchw")


def test_array_to_img_without_pillow(monkeypatch):
    monkeypatch.setattr(image_utils, "_pil_image", lambda: None)
    # TF 2.21 without Pillow: ImportError "Could not import PIL.Image. The use of
    # `array_to_img` requires PIL." (tapeflow adds the extra to install)
    with pytest.raises(ImportError, match=r"Could not import PIL.Image. The use of "
                                          r"`array_to_img` requires PIL.*tapeflow\[image\]"):
        u.array_to_img(X)


def test_array_to_img_with_pillow():
    pytest.importorskip("PIL")
    img = u.array_to_img(X)
    assert type(img).__name__ == "Image" and img.mode == "RGB" and img.size == (2, 2)
    assert np.asarray(img).tolist() == [[[0, 23, 46], [69, 92, 115]],
                                        [[139, 162, 185], [208, 231, 255]]]
    assert np.asarray(u.array_to_img(X, scale=False)).tolist() == [
        [[0, 1, 2], [3, 4, 5]], [[6, 7, 8], [9, 10, 11]]]
    gray = u.array_to_img(np.arange(6).reshape(2, 3, 1))
    assert (gray.mode, gray.size) == ("L", (3, 2))
    assert np.asarray(gray).tolist() == [[0, 51, 102], [153, 204, 255]]
    wide = u.array_to_img(np.arange(6).reshape(2, 3, 1) * 100, scale=False)
    assert wide.mode == "I" and np.asarray(wide).tolist() == [[0, 100, 200], [300, 400, 500]]
    rgba = u.array_to_img(np.ones((2, 3, 4)))
    assert (rgba.mode, rgba.size) == ("RGBA", (3, 2))
    cf = u.array_to_img(np.ones((3, 2, 5)), data_format="channels_first")
    assert (cf.mode, cf.size) == ("RGB", (5, 2))
    assert np.asarray(u.array_to_img(np.full((1, 2, 3), 7.))).tolist() == [[[0, 0, 0],
                                                                             [0, 0, 0]]]
    assert u.array_to_img(tf.ones((2, 2, 3))).mode == "RGB"
    assert u.img_to_array(u.array_to_img(X)).tolist() == [
        [[0., 23., 46.], [69., 92., 115.]], [[139., 162., 185.], [208., 231., 255.]]]
    with pytest.raises(ValueError, match=r"Expected image array to have rank 3 \(single "
                                         r"image\). Got array with shape: \(2, 3\)"):
        u.array_to_img(np.ones((2, 3)))
    with pytest.raises(ValueError, match="Unsupported channel number: 2"):
        u.array_to_img(np.ones((2, 3, 2)))
