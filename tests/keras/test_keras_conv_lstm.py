"""ConvLSTM2D: Keras's convolutional LSTM against a hand-unrolled NumPy reference built on the
direct-loop convolution of tests/test_conv.py, its gradients against finite differences,
shapes, configs, training and saving."""
import os
import sys

import numpy as np
import pytest

import tapeflow as tf
from gradcheck import check_grad
from tapeflow.keras import layers

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from test_conv import ref_conv2d


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def ref_conv_lstm(x, kernel, recurrent, bias, strides, padding, go_backwards=False):
    """Every step's output, then the final c: gates i, f, c, o from conv(x_t) + conv(h)."""
    f = recurrent.shape[2]
    steps = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    h = c = None
    outs = []
    for t in steps:
        zx = ref_conv2d(x[:, t], kernel, strides, padding=padding.upper()) + bias
        if h is None:
            h = np.zeros(zx.shape[:3] + (f,))
            c = np.zeros_like(h)
        z = zx + ref_conv2d(h, recurrent, (1, 1), padding="SAME")
        zi, zf, zc, zo = np.split(z, 4, axis=-1)
        c = sigmoid(zf) * c + sigmoid(zi) * np.tanh(zc)
        h = sigmoid(zo) * np.tanh(c)
        outs.append(h)
    return np.stack(outs, 1), c


@pytest.mark.parametrize("kw", [{"padding": "same"}, {"padding": "valid", "strides": 2},
                                {"padding": "same", "go_backwards": True}])
def test_conv_lstm_matches_hand_unrolled_reference(kw):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 5, 6, 2))
    tf.keras.utils.set_random_seed(1)
    layer = layers.ConvLSTM2D(3, (3, 2), return_sequences=True, return_state=True,
                              dtype="float64", **kw)
    layer.build(x.shape)
    layer.cell.bias.assign(rng.standard_normal(12))
    seq, h, c = layer(x)
    kernel, recurrent, bias = (w.numpy() for w in layer.cell.weights)
    want, want_c = ref_conv_lstm(x, kernel, recurrent, bias, layer.cell.strides, kw["padding"],
                                 kw.get("go_backwards", False))
    np.testing.assert_allclose(seq.numpy(), want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h.numpy(), want[:, -1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c.numpy(), want_c, rtol=1e-10, atol=1e-12)
    assert layer.compute_output_shape(x.shape) == [seq.shape, h.shape, c.shape]


def test_conv_lstm_gradients():
    rng = np.random.default_rng(2)
    layer = layers.ConvLSTM2D(2, 2, padding="same", dtype="float64")
    x = rng.standard_normal((1, 3, 3, 3, 2))
    layer.build(x.shape)
    check_grad(lambda x: layer(x), x)  # through the inputs
    # through the weights: central differences on a few entries of each
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(tf.constant(x)) ** 2)
    grads = tape.gradient(loss, layer.trainable_weights)
    eps = 1e-6
    for var, g in zip(layer.trainable_weights, grads):
        base = var.numpy()
        flat = base.reshape(-1)
        for i in rng.choice(flat.size, 4, replace=False):
            up, down = flat.copy(), flat.copy()
            up[i] += eps
            down[i] -= eps
            var.assign(up.reshape(base.shape))
            lu = tf.reduce_sum(layer(tf.constant(x)) ** 2).numpy()
            var.assign(down.reshape(base.shape))
            ld = tf.reduce_sum(layer(tf.constant(x)) ** 2).numpy()
            var.assign(base)
            np.testing.assert_allclose(g.numpy().reshape(-1)[i], (lu - ld) / (2 * eps),
                                       rtol=1e-5, atol=1e-7)


def test_conv_lstm_trains_in_a_model_and_round_trips(tmp_path):
    """Keras's next-frame example in miniature: stacked ConvLSTM2D layers in a Sequential
    model fit, summarise, serialise and reload with equal predictions."""
    rng = np.random.default_rng(3)
    x = rng.random((8, 4, 6, 6, 1)).astype(np.float32)
    y = x[:, -1, :, :, :1].mean(axis=(1, 2))
    model = tf.keras.Sequential([
        tf.keras.Input((4, 6, 6, 1)),
        layers.ConvLSTM2D(4, 3, padding="same", return_sequences=True),
        layers.ConvLSTM2D(2, 3), layers.Flatten(), layers.Dense(1)])
    model.compile("adam", "mse")
    hist = model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert model.layers[0].count_params() == 3 * 3 * 1 * 16 + 3 * 3 * 4 * 16 + 16
    path = str(tmp_path / "m.keras")
    model.save(path)
    again = tf.keras.models.load_model(path)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    config = model.layers[1].get_config()
    assert config["filters"] == 2 and config["kernel_size"] == (3, 3) and "units" not in config


def test_conv_lstm_rejects_inputs_that_are_not_sequences_of_images():
    with pytest.raises(ValueError, match="expected ndim=5"):
        layers.ConvLSTM2D(2, 3)(np.zeros((2, 3, 4, 4), np.float32))
