"""Every built-in layer type survives ``.keras`` and weights-file round trips (config,
weights, outputs); layers another change has not added yet are skipped."""
import numpy as np
import pytest

import tapeflow as tf

keras = tf.keras
L = keras.layers

# (layer name, constructor arguments, input shape without the batch axis, input dtype)
CASES = [
    ("Dense", dict(units=3, activation="tanh"), (4,), "float32"),
    ("Activation", dict(activation="relu"), (4,), "float32"),
    ("ReLU", dict(max_value=2.0), (4,), "float32"),
    ("LeakyReLU", dict(negative_slope=0.1), (4,), "float32"),
    ("ELU", dict(alpha=0.5), (4,), "float32"),
    ("Softmax", dict(), (4,), "float32"),
    ("Dropout", dict(rate=0.3), (4,), "float32"),
    ("Flatten", dict(), (2, 3), "float32"),
    ("Reshape", dict(target_shape=(3, 2)), (6,), "float32"),
    ("Rescaling", dict(scale=0.5, offset=0.1), (4,), "float32"),
    ("Normalization", dict(mean=[0.5, 1.0, 0.0, 2.0], variance=[1.0, 4.0, 2.0, 1.0]), (4,),
     "float32"),
    ("Conv1D", dict(filters=3, kernel_size=2), (5, 2), "float32"),
    ("Conv2D", dict(filters=3, kernel_size=2, padding="same"), (5, 5, 2), "float32"),
    ("Conv2DTranspose", dict(filters=2, kernel_size=2, strides=2), (3, 3, 2), "float32"),
    ("DepthwiseConv2D", dict(kernel_size=2), (4, 4, 2), "float32"),
    ("SeparableConv2D", dict(filters=3, kernel_size=2), (4, 4, 2), "float32"),
    ("MaxPooling2D", dict(pool_size=2), (4, 4, 2), "float32"),
    ("AveragePooling1D", dict(pool_size=2), (4, 2), "float32"),
    ("GlobalAveragePooling2D", dict(), (4, 4, 2), "float32"),
    ("BatchNormalization", dict(), (4,), "float32"),
    ("LayerNormalization", dict(), (4,), "float32"),
    ("Embedding", dict(input_dim=10, output_dim=3), (4,), "int32"),
    ("ZeroPadding2D", dict(padding=1), (3, 3, 1), "float32"),
    ("UpSampling2D", dict(size=2), (2, 2, 1), "float32"),
    ("SimpleRNN", dict(units=3), (4, 2), "float32"),
    ("LSTM", dict(units=3, return_sequences=True), (4, 2), "float32"),
    ("GRU", dict(units=3), (4, 2), "float32"),
]


def _model(name, kwargs, shape, dtype):
    cls = getattr(L, name, None)
    if cls is None:
        pytest.skip(f"{name} is not in tapeflow yet")
    model = keras.Sequential([keras.Input(shape, dtype=dtype), cls(**kwargs)])
    rng = np.random.default_rng(0)
    for v in model.weights:  # non-trivial values (biases and moving stats included)
        v.assign(rng.normal(size=tuple(v.shape)).astype(v.dtype.name) if "variance" not in
                 v.name else rng.uniform(0.5, 2.0, size=tuple(v.shape)).astype("float32"))
    x = rng.integers(0, 10, size=(2,) + shape) if dtype == "int32" else \
        rng.normal(size=(2,) + shape).astype("float32")
    return model, x


@pytest.mark.parametrize("name,kwargs,shape,dtype", CASES, ids=[c[0] for c in CASES])
def test_layer_roundtrips_through_keras_file_and_weights(tmp_path, name, kwargs, shape, dtype):
    model, x = _model(name, kwargs, shape, dtype)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded.layers[0]) is type(model.layers[0])
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)
    other, _ = _model(name, kwargs, shape, dtype)
    for v in other.weights:
        v.assign(np.zeros(tuple(v.shape), v.dtype.name))
    other.load_weights(_save(model, tmp_path / "w.safetensors"))
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)


def _save(model, path):
    model.save_weights(path)
    return path
