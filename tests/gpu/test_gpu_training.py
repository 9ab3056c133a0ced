"""Training on the GPU reaches what the same training reaches on the host: the seed's MLP
(784 -> 50 -> ReLU -> 10 softmax, SGD) and a small convnet, plus float16 mixed precision.
MNIST is read from $TAPEFLOW_DATASETS or ../shared/datasets when present; otherwise a
synthetic 10-class problem of the same shapes is used (the device machine has no dataset)."""
import os

import numpy as np
import pytest

import tapeflow as tf

_DATA_DIRS = [os.environ.get("TAPEFLOW_DATASETS", ""),
              os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "datasets")]


def _data(n_train=16384, n_test=2048):
    for d in _DATA_DIRS:
        path = os.path.join(d, "mnist") if d else ""
        if path and os.path.isdir(path):
            (x, y), (xt, yt) = tf.keras.datasets.mnist.load_data(path=path)
            return (x[:n_train] / 255.0, y[:n_train]), (xt[:n_test] / 255.0, yt[:n_test])
    rng = np.random.default_rng(0)
    centers = rng.uniform(0, 1, (10, 28, 28)).astype(np.float32)

    def make(n):
        y = rng.integers(0, 10, n)
        x = np.clip(centers[y] + rng.normal(0, 0.35, (n, 28, 28)), 0, 1).astype(np.float32)
        return x, y.astype(np.uint8)

    return make(n_train), make(n_test)


def _fit(build, device, epochs, batch, optimizer="sgd"):
    (x, y), (xt, yt) = _data()
    with tf.device(device):
        tf.random.set_seed(2019)
        model = build()
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0)
        return model.evaluate(xt, yt, verbose=0)[1], model


def _mlp():
    return tf.keras.Sequential([tf.keras.layers.Flatten(), tf.keras.layers.Dense(50),
                                tf.keras.layers.ReLU(),
                                tf.keras.layers.Dense(10, activation="softmax")])


def _convnet():
    L = tf.keras.layers
    return tf.keras.Sequential([L.Reshape((28, 28, 1)), L.Conv2D(16, 3, activation="relu"),
                                L.MaxPooling2D(), L.Conv2D(32, 3, activation="relu"),
                                L.MaxPooling2D(), L.Flatten(),
                                L.Dense(10, activation="softmax")])


def test_seed_mlp_parity():
    acc_cpu, _ = _fit(_mlp, "/CPU:0", 5, 128)
    acc_gpu, model = _fit(_mlp, "/GPU:0", 5, 128)
    assert model.weights[0].device.endswith("GPU:0")
    assert acc_gpu > 0.8 and abs(acc_gpu - acc_cpu) < 0.01


def test_convnet_parity():
    acc_cpu, _ = _fit(_convnet, "/CPU:0", 1, 128, "adam")
    acc_gpu, _ = _fit(_convnet, "/GPU:0", 1, 128, "adam")
    assert acc_gpu > 0.8 and abs(acc_gpu - acc_cpu) < 0.02


def _rows_lstm():
    """The image's rows as a sequence: fused LSTM, then a bidirectional GRU pair."""
    L = tf.keras.layers
    return tf.keras.Sequential([L.Reshape((28, 28)), L.LSTM(32, return_sequences=True),
                                L.Bidirectional(L.GRU(16)), L.Dense(10, activation="softmax")])


def test_fused_recurrent_parity():
    acc_cpu, _ = _fit(_rows_lstm, "/CPU:0", 3, 128, "adam")  # 0.86 on MNIST on the host
    acc_gpu, model = _fit(_rows_lstm, "/GPU:0", 3, 128, "adam")
    assert model.weights[0].device.endswith("GPU:0")
    assert acc_gpu > 0.75 and abs(acc_gpu - acc_cpu) < 0.03


def test_mixed_float16_converges_on_gpu():
    tf.keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        def build():  # the seed's MLP with the final softmax in float32, as Keras advises
            return tf.keras.Sequential([tf.keras.layers.Flatten(), tf.keras.layers.Dense(64),
                                        tf.keras.layers.ReLU(), tf.keras.layers.Dense(10),
                                        tf.keras.layers.Activation("softmax",
                                                                   dtype="float32")])
        acc, model = _fit(build, "/GPU:0", 3, 256, "adam")
        assert isinstance(model.optimizer, tf.keras.mixed_precision.LossScaleOptimizer)
        assert model.layers[1].kernel.dtype == tf.float32
    finally:
        tf.keras.mixed_precision.set_global_policy("float32")
    assert acc > 0.8


def test_dlpack_round_trips():
    cp = pytest.importorskip("cupy")
    t = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    c = cp.from_dlpack(t)
    assert c.data.ptr == t._v.data.ptr
    back = tf.experimental.dlpack.from_dlpack(tf.experimental.dlpack.to_dlpack(t))
    assert back._v.data.ptr == t._v.data.ptr and back.device.endswith("GPU:0")
    u = tf.experimental.dlpack.from_dlpack(cp.arange(3, dtype=cp.float32))
    assert u.device.endswith("GPU:0") and u.numpy().tolist() == [0.0, 1.0, 2.0]
    torch = pytest.importorskip("torch")
    tt = torch.from_dlpack(t)
    assert tt.is_cuda and tt.data_ptr() == t._v.data.ptr
    src = torch.arange(4, device="cuda", dtype=torch.float32)
    w = tf.experimental.dlpack.from_dlpack(src)
    src[0] = 9.0
    torch.cuda.synchronize()
    assert w.numpy()[0] == 9.0
    jax = pytest.importorskip("jax")
    ja = jax.numpy.arange(5.0, dtype=jax.numpy.float32)
    jt = tf.experimental.dlpack.from_dlpack(ja)
    assert jt.device.endswith("GPU:0") and jt.numpy().tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    back_j = jax.numpy.from_dlpack(t)
    assert back_j.tolist() == [[1.0, 2.0], [3.0, 4.0]]
