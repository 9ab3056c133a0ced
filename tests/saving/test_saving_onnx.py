"""ONNX export: the graph passes ``onnx.checker`` and onnxruntime reproduces tapeflow's outputs
to 1e-5 (skipped without onnx and onnxruntime)."""
import numpy as np
import pytest

import tapeflow as tf

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
keras = tf.keras
L = keras.layers
RNG = np.random.default_rng(0)


def _check(model, path, feeds):
    model.export(path, verbose=False)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    got = session.run(None, dict(zip(names, feeds)))
    want = model.predict(feeds if len(feeds) > 1 else feeds[0], verbose=0)
    want = want if isinstance(want, list) else [want]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
    return proto


def _randomize_bn(model):
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            n = layer.moving_mean.shape[0]
            layer.moving_mean.assign(RNG.normal(size=n).astype("float32"))
            layer.moving_variance.assign(RNG.uniform(0.5, 2.0, size=n).astype("float32"))
            layer.gamma.assign(RNG.normal(size=n).astype("float32"))
            layer.beta.assign(RNG.normal(size=n).astype("float32"))


def test_cnn_with_conv_pooling_batchnorm(tmp_path):
    model = keras.Sequential([
        keras.Input((12, 12, 3)),
        L.Conv2D(4, 3, padding="same", activation="relu"), L.BatchNormalization(),
        L.MaxPooling2D(2), L.Conv2D(6, (3, 2), strides=(2, 1), dilation_rate=1),
        L.AveragePooling2D(2, padding="same"), L.Conv2D(4, 1, groups=2), L.Flatten(),
        L.Dropout(0.5), L.Dense(8, activation="gelu"), L.Dense(3, activation="softmax")])
    _randomize_bn(model)
    proto = _check(model, tmp_path / "cnn.onnx",
                   [RNG.normal(size=(2, 12, 12, 3)).astype("float32")])
    ops = {n.op_type for n in proto.graph.node}
    assert {"Conv", "MaxPool", "AveragePool", "Flatten", "MatMul", "Softmax"} <= ops


def test_conv1d_and_global_pooling(tmp_path):
    model = keras.Sequential([keras.Input((10, 2)), L.Conv1D(3, 3, padding="same"),
                              L.MaxPooling1D(2), L.Conv1D(4, 2, activation="tanh"),
                              L.GlobalMaxPooling1D(), L.Dense(2)])
    _check(model, tmp_path / "c1.onnx", [RNG.normal(size=(3, 10, 2)).astype("float32")])
    model = keras.Sequential([keras.Input((6, 6, 2)), L.Conv2D(3, 2),
                              L.GlobalAveragePooling2D()])
    _check(model, tmp_path / "g.onnx", [RNG.normal(size=(1, 6, 6, 2)).astype("float32")])


ACTIVATIONS = ["linear", "relu", "sigmoid", "tanh", "softmax", "elu", "selu", "softplus",
               "softsign", "swish", "relu6", "hard_sigmoid", "gelu", "exponential",
               "leaky_relu", "log_softmax"]


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_dense_activations(tmp_path, act):
    model = keras.Sequential([keras.Input((5,)), L.Dense(4, activation=act)])
    _check(model, tmp_path / f"{act}.onnx", [RNG.normal(size=(7, 5)).astype("float32")])


def test_functional_merges_and_shape_layers(tmp_path):
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    x = L.Dense(4, name="da")(a)
    y = L.Rescaling(0.5, offset=1.0)(b)
    merged = [L.Add()([x, y]), L.Subtract()([x, y]), L.Multiply()([x, y]),
              L.Maximum()([x, y]), L.Minimum()([x, y]), L.Average()([x, y])]
    z = L.Concatenate()(merged)
    z = L.Reshape((4, 6))(z)
    z = L.ReLU(max_value=1.5, negative_slope=0.1)(z)
    z = L.LeakyReLU(0.3)(L.ELU(0.7)(z))
    z = L.Softmax(axis=1)(z)
    out1 = L.Flatten(name="flat")(z)
    out2 = L.Dense(2, activation="sigmoid", name="head")(x)
    model = keras.Model([a, b], [out1, out2])
    feeds = [RNG.normal(size=(3, 4)).astype("float32") for _ in range(2)]
    proto = _check(model, tmp_path / "f.onnx", feeds)
    assert [o.name for o in proto.graph.output] == ["flat", "head"]


def test_unexportable_layers_are_listed(tmp_path):
    model = keras.Sequential([keras.Input((3,)), L.Lambda(lambda t: t * 2, name="twice"),
                              L.Dense(2), L.Lambda(lambda t: t, name="same")])
    with pytest.raises(ValueError, match="'twice' \\(Lambda.*'same' \\(Lambda"):
        model.export(tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists()

    class Sub(keras.Model):
        def call(self, t):
            return t

    with pytest.raises(ValueError, match="subclassed"):
        Sub().export(tmp_path / "s.onnx")
    with pytest.raises(ValueError, match="format"):
        keras.Sequential([keras.Input((3,)), L.Dense(1)]).export(tmp_path / "m", format="tf")
