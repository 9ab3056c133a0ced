"""Keras 3's default mask handling: Dense, Activation and Dropout support masking and hand
their input's mask on, so an ``Embedding(mask_zero=True)`` mask reaches a later
``GlobalAveragePooling1D`` through them (TF's text-classification tutorial's model)."""
import numpy as np

import tapeflow as tf
from tapeflow.keras.layers.masking import get_mask

L = tf.keras.layers


def test_the_mask_passes_dense_dropout_and_activation():
    x = np.array([[1, 2, 0, 0, 0], [3, 4, 5, 6, 0]])
    emb = L.Embedding(10, 3, mask_zero=True)
    h = emb(x)
    for layer in (L.Dropout(0.2), L.Dense(4), L.Activation("relu")):
        assert layer.supports_masking
        h = layer(h)
        np.testing.assert_array_equal(get_mask(h).numpy(), x != 0)
    assert L.GlobalAveragePooling1D().supports_masking
    assert not L.Flatten().supports_masking


def test_masked_average_after_dropout_and_dense_skips_the_padding():
    model = tf.keras.Sequential([tf.keras.Input((5,), dtype="int32"),
                                 L.Embedding(10, 3, mask_zero=True), L.Dropout(0.2),
                                 L.Dense(4), L.GlobalAveragePooling1D()])
    table = np.arange(30, dtype="float32").reshape(10, 3) / 10
    kernel = np.linspace(-1, 1, 12, dtype="float32").reshape(3, 4)
    bias = np.array([0.1, 0.0, -0.2, 0.3], "float32")
    model.set_weights([table, kernel, bias])
    x = np.array([[1, 2, 0, 0, 0], [3, 4, 5, 6, 0]])
    got = model.predict(x, verbose=0)
    for row, ids in zip(got, x):
        kept = ids[ids != 0]  # the padding (id 0) is left out of the mean
        want = (table[kept] @ kernel + bias).mean(axis=0)
        np.testing.assert_allclose(row, want, rtol=1e-6)
