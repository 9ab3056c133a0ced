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


def _seq(shape, *layers, dtype="float32"):
    return keras.Sequential([keras.Input(shape, dtype=dtype), *layers])


def _randomize(model):
    """Non-trivial values for every weight (biases, moving statistics) so that a wrong gate
    order or a dropped bias shows."""
    rng = np.random.default_rng(1)
    for v in model.weights:
        value = rng.uniform(0.5, 2.0, size=tuple(v.shape)) if "variance" in v.name else \
            rng.normal(scale=0.5, size=tuple(v.shape))
        v.assign(value.astype("float32"))
    return model


def _x(*shape):
    return RNG.normal(size=shape).astype("float32")


# (id, model builder, input batch): one or more layers per case, each run in onnxruntime
LAYER_CASES = [
    ("conv1d-causal-dilated", lambda: _seq((9, 2), L.Conv1D(3, 3, padding="causal",
                                                            dilation_rate=2)), _x(2, 9, 2)),
    ("conv1d-strided-same", lambda: _seq((9, 2), L.Conv1D(3, 2, strides=2, padding="same",
                                                          activation="relu")), _x(2, 9, 2)),
    ("conv2d-channels-first", lambda: _seq((2, 6, 5), L.Conv2D(3, 2, padding="same",
                                                               data_format="channels_first")),
     _x(2, 2, 6, 5)),
    ("conv2d-transpose-valid", lambda: _seq((3, 4, 2), L.Conv2DTranspose(3, 3, strides=2)),
     _x(2, 3, 4, 2)),
    ("conv2d-transpose-same", lambda: _seq((3, 4, 2), L.Conv2DTranspose(
        3, (3, 2), strides=2, padding="same", activation="tanh")), _x(2, 3, 4, 2)),
    ("conv2d-transpose-small-kernel", lambda: _seq((3, 3, 2), L.Conv2DTranspose(
        2, 1, strides=3)), _x(2, 3, 3, 2)),
    ("conv2d-transpose-output-padding", lambda: _seq((3, 3, 2), L.Conv2DTranspose(
        2, 3, strides=2, padding="same", output_padding=1)), _x(2, 3, 3, 2)),
    ("conv2d-transpose-dilated", lambda: _seq((4, 4, 1), L.Conv2DTranspose(
        2, 2, dilation_rate=2)), _x(2, 4, 4, 1)),
    ("depthwise", lambda: _seq((6, 6, 3), L.DepthwiseConv2D(3, depth_multiplier=2,
                                                            padding="same")), _x(2, 6, 6, 3)),
    ("depthwise-strided", lambda: _seq((7, 7, 2), L.DepthwiseConv2D(2, strides=2,
                                                                    activation="relu6")),
     _x(2, 7, 7, 2)),
    ("separable", lambda: _seq((6, 6, 3), L.SeparableConv2D(4, 3, depth_multiplier=2,
                                                            padding="same")), _x(2, 6, 6, 3)),
    ("separable-dilated", lambda: _seq((8, 8, 2), L.SeparableConv2D(3, 3, dilation_rate=2,
                                                                    use_bias=False)),
     _x(2, 8, 8, 2)),
    ("pooling-1d", lambda: _seq((9, 3), L.AveragePooling1D(2, padding="same"),
                                L.MaxPooling1D(2, strides=1), L.GlobalAveragePooling1D(
                                    keepdims=True)), _x(2, 9, 3)),
    ("pooling-2d", lambda: _seq((7, 7, 2), L.AveragePooling2D(3, strides=2),
                                L.MaxPooling2D(2, padding="same"), L.GlobalMaxPooling2D()),
     _x(2, 7, 7, 2)),
    ("global-pooling-channels-first", lambda: _seq((2, 5, 4), L.GlobalAveragePooling2D(
        data_format="channels_first")), _x(2, 2, 5, 4)),
    ("padding-cropping-upsampling-2d", lambda: _seq(
        (4, 5, 2), L.ZeroPadding2D(((1, 2), (0, 3))), L.Cropping2D(((2, 0), (1, 1))),
        L.UpSampling2D((2, 3))), _x(2, 4, 5, 2)),
    ("padding-cropping-upsampling-1d", lambda: _seq(
        (5, 2), L.ZeroPadding1D((2, 1)), L.Cropping1D((0, 3)), L.UpSampling1D(3)),
     _x(2, 5, 2)),
    ("spatial-channels-first", lambda: _seq(
        (2, 4, 4), L.ZeroPadding2D(1, data_format="channels_first"),
        L.Cropping2D(1, data_format="channels_first"),
        L.UpSampling2D(2, data_format="channels_first")), _x(2, 2, 4, 4)),
    ("layer-norm", lambda: _seq((3, 4), L.LayerNormalization()), _x(2, 3, 4)),
    ("layer-norm-axes", lambda: _seq((3, 4), L.LayerNormalization(axis=[1, 2], epsilon=0.1)),
     _x(2, 3, 4)),
    ("layer-norm-rms", lambda: _seq((5,), L.LayerNormalization(rms_scaling=True)), _x(3, 5)),
    ("embedding-int32", lambda: _seq((4,), L.Embedding(10, 3), L.Flatten(), dtype="int32"),
     RNG.integers(0, 10, size=(3, 4)).astype("int32")),
    ("embedding-int64", lambda: _seq((4,), L.Embedding(10, 3), dtype="int64"),
     RNG.integers(0, 10, size=(3, 4)).astype("int64")),
    ("uint8-image-rescaling", lambda: _seq((4, 4, 1), L.Rescaling(1 / 255.0),
                                           L.Conv2D(2, 2), dtype="uint8"),
     RNG.integers(0, 256, size=(2, 4, 4, 1)).astype("uint8")),
    ("normalization", lambda: _seq((3,), L.Normalization(mean=[1.0, -1.0, 0.5],
                                                         variance=[2.0, 0.5, 1.0]),
                                   L.Normalization(mean=[0.0, 1.0, 2.0], variance=[1.0, 4.0,
                                                                                   9.0],
                                                   invert=True)), _x(4, 3)),
    ("reshape-softmax-relu", lambda: _seq((12,), L.Reshape((3, -1)), L.Softmax(axis=1),
                                          L.ReLU(threshold=0.2, negative_slope=0.1,
                                                 max_value=0.3), L.LeakyReLU(0.2)),
     _x(3, 12)),
    ("simple-rnn", lambda: _seq((5, 3), L.SimpleRNN(4, return_sequences=True),
                                L.SimpleRNN(2, activation="relu")), _x(2, 5, 3)),
    ("lstm", lambda: _seq((5, 3), L.LSTM(4, return_sequences=True), L.LSTM(3)), _x(2, 5, 3)),
    ("lstm-backwards-no-bias", lambda: _seq((5, 3), L.LSTM(4, go_backwards=True, use_bias=False,
                                                           return_sequences=True)),
     _x(2, 5, 3)),
    ("gru-reset-after", lambda: _seq((6, 3), L.GRU(4, return_sequences=True), L.GRU(2)),
     _x(2, 6, 3)),
    ("gru-reset-before", lambda: _seq((6, 3), L.GRU(4, reset_after=False, go_backwards=True)),
     _x(2, 6, 3)),
    ("bidirectional", lambda: _seq((5, 3), L.Bidirectional(L.LSTM(3, return_sequences=True)),
                                   L.Bidirectional(L.GRU(2), merge_mode="sum")), _x(2, 5, 3)),
    ("time-distributed", lambda: _seq((4, 6), L.TimeDistributed(L.Dense(3, activation="relu")),
                                      L.TimeDistributed(L.Reshape((3, 1)))), _x(2, 4, 6)),
]


@pytest.mark.parametrize("build,x", [c[1:] for c in LAYER_CASES],
                         ids=[c[0] for c in LAYER_CASES])
def test_layer_parity_in_onnxruntime(tmp_path, build, x):
    model = _randomize(build())
    _check(model, tmp_path / "m.onnx", [x])


def test_rnn_states_and_nested_models_in_a_functional_graph(tmp_path):
    inp = keras.Input((5, 3), name="seq")
    seq, h, c = L.LSTM(4, return_sequences=True, return_state=True, name="lstm")(inp)
    g_out, g_h = L.GRU(4, return_state=True, name="gru")(seq)
    block = keras.Sequential([L.Dense(4, activation="tanh"), L.LayerNormalization()],
                             name="block")
    merged = L.Concatenate(name="cat")([g_out, g_h, block(h), c])
    out = L.Dense(2, name="head")(merged)
    model = _randomize(keras.Model(inp, [out, h]))
    _check(model, tmp_path / "f.onnx", [_x(3, 5, 3)])


def test_export_entry_point(tmp_path):
    model = _randomize(_seq((4,), L.Dense(3), L.Softmax()))
    proto = tf.export.to_onnx(model, tmp_path / "e.onnx")
    assert isinstance(proto, onnx.ModelProto) and (tmp_path / "e.onnx").exists()
    assert tf.export.to_onnx(model).graph.output[0].name == "output"  # in memory only
    session = ort.InferenceSession(str(tmp_path / "e.onnx"), providers=["CPUExecutionProvider"])
    x = _x(2, 4)
    np.testing.assert_allclose(session.run(None, {"input": x})[0],
                               model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_every_problem_is_listed_at_once(tmp_path):
    inp = keras.Input((4,), dtype="int32")
    x = L.Embedding(10, 3, mask_zero=True, name="emb")(inp)
    x = L.LSTM(2, activation="elu", name="elu_lstm")(x)
    x = L.Dense(2, activation=lambda t: t, name="custom")(x)
    y = L.Lambda(lambda t: t, name="lam")(x)
    model = keras.Model(inp, y)
    with pytest.raises(ValueError) as info:
        tf.export.to_onnx(model, tmp_path / "x.onnx")
    msg = str(info.value)
    for name in ("'emb' (Embedding with mask_zero", "'elu_lstm' (LSTM activation 'elu'",
                 "'custom' (activation", "'lam' (Lambda"):
        assert name in msg
    assert not (tmp_path / "x.onnx").exists()


def test_attention_layers_and_generic_rnn(tmp_path):
    q, v = keras.Input((4, 6), name="q"), keras.Input((5, 6), name="v")
    a = L.MultiHeadAttention(2, 3, name="mha")([q, v])
    b = L.MultiHeadAttention(3, 2, value_dim=4, output_shape=5, use_bias=False,
                             name="mha_self")([q, q], use_causal_mask=True)
    c = L.Attention(use_scale=True, name="dot")([q, v])
    d = L.Attention(score_mode="concat", name="additive")([q, v, v], use_causal_mask=True)
    e = L.RNN(L.LSTMCell(3), return_sequences=True, name="rnn")(q)
    out = L.Concatenate()([a, b, c, d, e])
    model = _randomize(keras.Model([q, v], out))
    proto = _check(model, tmp_path / "att.onnx", [_x(2, 4, 6), _x(2, 5, 6)])
    assert {"LSTM", "Softmax", "MatMul"} <= {n.op_type for n in proto.graph.node}


def test_transformer_encoder_block(tmp_path):
    inp = keras.Input((6,), dtype="int32")
    x = L.Embedding(20, 8)(inp)
    att = L.MultiHeadAttention(2, 4)([x, x])
    x = L.LayerNormalization()(L.Add()([x, att]))
    ff = L.Dense(8)(L.Dense(16, activation="gelu")(x))
    x = L.LayerNormalization()(L.Add()([x, L.Dropout(0.1)(ff)]))
    out = L.Dense(3, activation="softmax")(L.GlobalAveragePooling1D()(x))
    model = _randomize(keras.Model(inp, out))
    _check(model, tmp_path / "enc.onnx", [RNG.integers(0, 20, size=(3, 6)).astype("int32")])
