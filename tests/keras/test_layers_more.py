"""Keras 3.15 layers added for issue 16: outputs, input gradients and weight shapes equal to
Keras's for fixed weights (tests/fixtures/keras_layers_more_cases.py, recorded under TF
2.21), gradients against central differences, configs, saving and use in models."""
import json
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf
from tests.fixtures.keras_layers_more_cases import CASES
from tests.fixtures.tf_behaviour_cases import outcome
from tests.gradcheck import check_grad

L = tf.keras.layers
RECORDED = json.loads((Path(__file__).parent.parent / "fixtures" /
                       "keras_layers_more_2_21.json").read_text())["cases"]


def _close(got, want):
    if "items" in want:
        assert "items" in got and len(got["items"]) == len(want["items"])
        for g, w in zip(got["items"], want["items"]):
            _close(g, w)
        return
    assert {k: v for k, v in got.items() if k != "values"} == \
        {k: v for k, v in want.items() if k != "values"}
    if want.get("values") is not None:
        np.testing.assert_allclose(got["values"], want["values"], rtol=1e-4, atol=1e-5)


def test_every_case_was_recorded():
    assert sorted(RECORDED) == sorted(name for name, _ in CASES)


@pytest.mark.parametrize("name,fn", CASES, ids=[n for n, _ in CASES])
def test_matches_keras(name, fn):
    want, got = RECORDED[name], outcome(tf, fn)
    if "error" in want or "error" in got:
        assert got == want
    else:
        _close(got, want)


# -- gradients against central differences (float64) ------------------------------------------
from tapeflow.ops import conv3d as C3  # noqa: E402

R = np.random.default_rng(11)
XV = R.standard_normal((1, 4, 3, 4, 2))
WV = R.standard_normal((2, 2, 3, 2, 3))


@pytest.mark.parametrize("fn,arrays", [
    (lambda x, w: tf.nn.conv3d(x, w, [1, 1, 1, 1, 1], "SAME"), (XV, WV)),
    (lambda x, w: tf.nn.conv3d(x, w, [1, 2, 1, 2, 1], "VALID"), (XV, WV)),
    (lambda x, w: C3._conv3d(x, w, [1, 1, 1, 1, 1], "VALID", dilations=[1, 2, 1, 1, 1]),
     (XV, WV)),
    (lambda x, w: tf.nn.conv3d_transpose(x, w, [1, 8, 6, 8, 2], 2, "SAME"),
     (R.standard_normal((1, 4, 3, 4, 3)), WV)),
    (lambda x, w: tf.nn.conv3d_transpose(x, w, [1, 5, 5, 5, 2], [1, 1, 2, 1, 1], "VALID"),
     (R.standard_normal((1, 4, 2, 3, 3)), WV)),
    (lambda x: C3._max_pool3d(x, [2, 2, 3], 1, "SAME"), (XV,)),
    (lambda x: C3._avg_pool3d(x, 2, [1, 2, 1], "SAME"), (XV,)),
    (lambda x: C3._avg_pool3d(x, 2, 1, "VALID", "NCDHW"), (XV,)),
], ids=["conv3d_same", "conv3d_strided", "conv3d_dilated", "conv3d_transpose_same",
        "conv3d_transpose_valid", "max_pool3d", "avg_pool3d_same", "avg_pool3d_ncdhw"])
def test_3d_op_gradients(fn, arrays):
    check_grad(fn, *arrays, rtol=1e-4, atol=1e-6)


def test_conv3d_second_order():
    check_grad(lambda x, w: tf.nn.conv3d(x, w, [1, 1, 1, 1, 1], "SAME") ** 2,
               XV[:, :2], WV[:1], rtol=1e-4, atol=1e-6, second_order=True)


def _fixed(layer, shapes):
    """``layer`` built on ``shapes`` (float64) with fixed weights; returns it."""
    layer([tf.zeros(s, tf.float64) for s in shapes] if len(shapes) > 1
          else tf.zeros(shapes[0], tf.float64))
    rng = np.random.default_rng(5)
    layer.set_weights([rng.uniform(0.2, 1.0, w.shape) for w in layer.get_weights()])
    return layer


@pytest.mark.parametrize("layer,shapes", [
    (lambda: L.Conv3DTranspose(2, 2, strides=(2, 1, 1), padding="same", dtype="float64"),
     [(1, 2, 3, 2, 2)]),
    (lambda: L.Conv1DTranspose(2, 3, strides=2, output_padding=1, dtype="float64"),
     [(2, 4, 3)]),
    (lambda: L.SeparableConv1D(2, 2, depth_multiplier=2, dtype="float64"), [(2, 5, 3)]),
    (lambda: L.DepthwiseConv1D(3, padding="same", dtype="float64"), [(2, 5, 3)]),
    (lambda: L.AdaptiveAveragePooling2D((2, 3), dtype="float64"), [(2, 5, 4, 2)]),
    (lambda: L.AdaptiveMaxPooling1D(3, dtype="float64"), [(2, 7, 2)]),
    (lambda: L.GroupNormalization(2, dtype="float64"), [(2, 3, 4)]),
    (lambda: L.RMSNormalization(dtype="float64"), [(2, 3, 4)]),
    (lambda: L.UnitNormalization(dtype="float64"), [(2, 3, 4)]),
    (lambda: L.PReLU(dtype="float64"), [(2, 3, 4)]),
    (lambda: L.Dot(axes=(2, 2), normalize=True, dtype="float64"), [(2, 3, 4), (2, 5, 4)]),
    (lambda: L.AdditiveAttention(dtype="float64"), [(2, 3, 4), (2, 5, 4)]),
    (lambda: L.EinsumDense("abc,cde->abde", (3, 2, 2), bias_axes="de", dtype="float64"),
     [(2, 3, 4)]),
], ids=["conv3d_transpose", "conv1d_transpose", "separable_conv1d", "depthwise_conv1d",
        "adaptive_avg2d", "adaptive_max1d", "group_norm", "rms_norm", "unit_norm", "prelu",
        "dot", "additive_attention", "einsum_dense"])
def test_layer_input_gradients(layer, shapes):
    lay = _fixed(layer(), shapes)
    arrays = [np.random.default_rng(i).standard_normal(s) for i, s in enumerate(shapes)]
    check_grad(lambda *xs: lay(list(xs) if len(xs) > 1 else xs[0]), *arrays, rtol=1e-4,
               atol=1e-6)


def test_layer_weight_gradients_flow():
    for layer, shape in [(L.Conv3D(2, 2, groups=2), (1, 3, 3, 3, 4)), (L.PReLU(), (2, 3)),
                         (L.GroupNormalization(2), (2, 4)), (L.RMSNormalization(), (2, 4)),
                         (L.EinsumDense("ab,bc->ac", 3, bias_axes="c"), (2, 4))]:
        x = tf.constant(np.random.default_rng(0).standard_normal(shape).astype("float32"))
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(x) ** 2)
        grads = tape.gradient(loss, layer.trainable_weights)
        assert grads and all(g is not None and g.shape == w.shape
                             for g, w in zip(grads, layer.trainable_weights))


# -- configs, saving and models --------------------------------------------------------------
NEW = [
    (L.Conv3D, {"filters": 2, "kernel_size": 2}, (2, 3, 4, 3, 2)),
    (L.Conv3DTranspose, {"filters": 2, "kernel_size": 2, "strides": 2}, (2, 2, 3, 2, 2)),
    (L.Conv1DTranspose, {"filters": 2, "kernel_size": 3}, (2, 5, 3)),
    (L.SeparableConv1D, {"filters": 2, "kernel_size": 3}, (2, 5, 3)),
    (L.DepthwiseConv1D, {"kernel_size": 3}, (2, 5, 3)),
    (L.MaxPooling3D, {}, (2, 4, 4, 4, 2)), (L.AveragePooling3D, {"pool_size": 2},
                                            (2, 4, 4, 4, 2)),
    (L.GlobalAveragePooling3D, {}, (2, 3, 3, 3, 2)), (L.GlobalMaxPooling3D, {},
                                                      (2, 3, 3, 3, 2)),
    (L.AdaptiveAveragePooling1D, {"output_size": 2}, (2, 5, 3)),
    (L.AdaptiveMaxPooling3D, {"output_size": 2}, (2, 3, 4, 5, 2)),
    (L.Cropping3D, {}, (2, 3, 4, 5, 2)), (L.UpSampling3D, {}, (2, 2, 2, 2, 2)),
    (L.ZeroPadding3D, {}, (2, 2, 2, 2, 2)), (L.SpatialDropout3D, {"rate": 0.2},
                                             (2, 2, 2, 2, 2)),
    (L.Permute, {"dims": (2, 1)}, (2, 5, 3)), (L.RepeatVector, {"n": 2}, (2, 3)),
    (L.PReLU, {"shared_axes": [1]}, (2, 5, 3)), (L.Identity, {}, (2, 3)),
    (L.UnitNormalization, {}, (2, 3)), (L.GroupNormalization, {"groups": 3}, (2, 5, 3)),
    (L.RMSNormalization, {}, (2, 3)), (L.ActivityRegularization, {"l1": 0.1}, (2, 3)),
    (L.AlphaDropout, {"rate": 0.2}, (2, 3)),
    (L.EinsumDense, {"equation": "abc,cd->abd", "output_shape": (5, 2), "bias_axes": "d"},
     (2, 5, 3)),
]


@pytest.mark.parametrize("cls,kwargs,shape", NEW, ids=[c.__name__ for c, _, _ in NEW])
def test_config_round_trip_and_models(cls, kwargs, shape, tmp_path):
    layer = cls(**kwargs)
    x = np.random.default_rng(1).standard_normal(shape).astype("float32")
    y = layer(x)
    again = cls.from_config(layer.get_config())
    assert again.get_config() == layer.get_config()
    assert tuple(layer.compute_output_shape(shape)) == tuple(y.shape)
    inp = L.Input(shape[1:])
    model = tf.keras.Model(inp, cls(**kwargs)(inp))
    seq = tf.keras.Sequential([L.Input(shape[1:]), cls(**kwargs)])
    np.testing.assert_allclose(seq(x).shape, model(x).shape)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = tf.keras.models.load_model(path)
    np.testing.assert_allclose(loaded(x), model(x), rtol=1e-6, atol=1e-6)


def test_two_input_layers_in_models(tmp_path):
    a, b = L.Input((4, 3)), L.Input((5, 3))
    out = L.Dot(axes=(2, 2), normalize=True)([a, b])
    att = L.AdditiveAttention()([a, b])
    model = tf.keras.Model([a, b], [out, att, L.subtract([a, a]), L.average([a, a]),
                                    L.maximum([a, a]), L.minimum([a, a])])
    xs = [np.random.default_rng(i).standard_normal((2, n, 3)).astype("float32")
          for i, n in ((0, 4), (1, 5))]
    model.save(str(tmp_path / "m.keras"))
    loaded = tf.keras.models.load_model(str(tmp_path / "m.keras"))
    for g, w in zip(loaded(xs), model(xs)):
        np.testing.assert_allclose(g, w, rtol=1e-6)


def test_layers_inside_dataset_map():
    layer = L.UpSampling3D(size=(1, 2, 1))
    ds = tf.data.Dataset.from_tensor_slices(np.ones((2, 1, 2, 2, 2, 1), "float32")).map(layer)
    assert [tuple(e.shape) for e in ds] == [(1, 2, 4, 2, 1)] * 2


def test_training_noise_layers():
    x = tf.ones((64, 2, 2, 2, 8))
    y = L.SpatialDropout3D(0.5, seed=1)(x, training=True).numpy()
    per_map = y.transpose(0, 4, 1, 2, 3).reshape(64, 8, 8)
    assert np.all(per_map == per_map[..., :1])  # one decision per example and channel
    assert set(np.unique(y)) <= {0.0, 2.0}
    z = L.AlphaDropout(0.3, seed=2)(tf.zeros((1000,)), training=True).numpy()
    assert len(np.unique(np.round(z, 5))) == 2  # kept values and the dropped value


def test_argument_errors_match_keras():
    with pytest.raises(ValueError, match="padding"):
        L.SeparableConv1D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="padding"):
        L.Conv1DTranspose(2, 3, padding="causal")
    with pytest.raises(ValueError, match="consecutive"):
        L.Permute((1, 3))
    with pytest.raises(ValueError, match="multiple"):
        L.GroupNormalization(2)(tf.zeros((1, 3)))
    with pytest.raises(ValueError, match="einsum"):
        L.EinsumDense("ab->c", 3)


def test_loads_a_keras_3_15_file_of_the_new_layers(tmp_path):
    """tests/fixtures/make_keras_layers_more_model.py: the model saved by Keras 3.15."""
    fixtures = Path(__file__).parent.parent / "fixtures"
    want = json.loads((fixtures / "keras_layers_more_model.json").read_text())
    xs = [np.asarray(x, "float32") for x in want["inputs"]]
    model = tf.keras.models.load_model(str(fixtures / "keras_layers_more.keras"))
    np.testing.assert_allclose(model(xs), want["output"], rtol=1e-4, atol=1e-5)
    model.save(str(tmp_path / "again.keras"))
    again = tf.keras.models.load_model(str(tmp_path / "again.keras"))
    np.testing.assert_allclose(again(xs), want["output"], rtol=1e-4, atol=1e-5)


ISSUE16 = ["Conv3D", "Conv3DTranspose", "Conv1DTranspose", "SeparableConv1D", "DepthwiseConv1D",
           "MaxPooling3D", "AveragePooling3D", "GlobalAveragePooling3D", "GlobalMaxPooling3D",
           "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
           "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D", "Cropping3D",
           "UpSampling3D", "ZeroPadding3D", "SpatialDropout1D", "SpatialDropout2D",
           "SpatialDropout3D", "Dot", "Permute", "RepeatVector", "PReLU", "Identity",
           "UnitNormalization", "GroupNormalization", "RMSNormalization",
           "ActivityRegularization", "AlphaDropout", "AdditiveAttention", "EinsumDense",
           "ThresholdedReLU", "Wrapper", "SpectralNormalization", "ConvLSTM1D",
           "ConvLSTM3D", "ReversibleEmbedding", "GroupQueryAttention",
           "HashedCrossing", "MelSpectrogram", "STFTSpectrogram"]


@pytest.mark.parametrize("name", ISSUE16)
def test_config_keys_are_keras_keys(name):
    """Keras 3.15 refuses unknown constructor arguments, so a file tapeflow writes must carry
    exactly Keras's keys (tests/saving/data/keras3/layer_configs.json)."""
    from tapeflow.keras import _registry
    from tapeflow.keras.saving._keras_file import _plain

    path = Path(__file__).parent.parent / "saving" / "data" / "keras3" / "layer_configs.json"
    spec = json.loads(path.read_text())["layers"][name]
    layer = _registry.deserialize("layer", _plain(spec))
    assert set(layer.get_config()) == set(spec["config"])


@pytest.mark.parametrize("fn,labels,shape", [
    (lambda t, p: tf.keras.losses.circle(t, p / tf.norm(p, axis=1, keepdims=True), gamma=4.0),
     np.array([0, 1, 0, 2, 1]), (5, 3)),
    (lambda t, p: tf.keras.losses.categorical_generalized_cross_entropy(t, tf.nn.softmax(p),
                                                                        0.6),
     np.array([0, 2, 1]), (3, 4)),
    (lambda t, p: tf.keras.losses.ctc(t, p), np.array([[1, 2, 0], [2, 2, 1]]), (2, 5, 4)),
], ids=["circle", "generalized_cross_entropy", "ctc"])
def test_loss_gradients(fn, labels, shape):
    x = np.random.default_rng(2).standard_normal(shape)
    check_grad(lambda p: fn(tf.constant(labels), p), x, rtol=1e-4, atol=1e-6)


def test_group_query_attention_files(tmp_path):
    """Written as Keras writes it: class 'GroupQueryAttention', weights under the
    'grouped_query_attention' path (Keras's class is GroupedQueryAttention)."""
    a, b = L.Input((4, 6)), L.Input((5, 6))
    layer = L.GroupQueryAttention(3, 4, 2, use_gate=True)
    model = tf.keras.Model([a, b], layer(a, b))
    assert layer.name.startswith("grouped_query_attention")
    assert tf.keras.layers.serialize(layer)["class_name"] == "GroupQueryAttention"
    xs = [np.random.default_rng(i).standard_normal((2, n, 6)).astype("float32")
          for i, n in ((0, 4), (1, 5))]
    model.save(str(tmp_path / "g.keras"))
    loaded = tf.keras.models.load_model(str(tmp_path / "g.keras"))
    np.testing.assert_allclose(loaded(xs), model(xs), rtol=1e-6)
    assert len(layer.weights) == 10  # query, key, gate, value, output: kernel and bias each


@pytest.mark.parametrize("make", [
    L.Identity, L.PReLU, lambda: L.ThresholdedReLU(0.0), L.UnitNormalization,
    L.RMSNormalization, lambda: L.GroupNormalization(2), lambda: L.ActivityRegularization(0.1),
    lambda: L.AlphaDropout(0.2)],
    ids=["Identity", "PReLU", "ThresholdedReLU", "UnitNormalization", "RMSNormalization",
         "GroupNormalization", "ActivityRegularization", "AlphaDropout"])
def test_masks_pass_through(make):
    """As in Keras, these layers hand their input's mask on to mask-aware layers."""
    from tapeflow.keras.layers.masking import get_mask

    ids = np.array([[3, 1, 4, 0, 0], [2, 0, 0, 0, 0]])
    h = L.Embedding(6, 4, mask_zero=True)(ids)
    out = make()(h)
    np.testing.assert_array_equal(get_mask(out), ids != 0)
    lstm = L.LSTM(3)
    np.testing.assert_allclose(lstm(out)[1:], lstm(out[1:, :1]), rtol=1e-5, atol=1e-6)


def test_einsum_dense_kernel_fans_follow_the_equation():
    """Keras 3 scales EinsumDense's initial kernel by the equation's input and output units:
    'abc,cde->abde' with c=16, d*e=4*2 draws GlorotUniform within sqrt(6 / (16 + 8))."""
    layer = L.EinsumDense("abc,cde->abde", (3, 4, 2),
                          kernel_initializer=tf.keras.initializers.GlorotUniform(seed=1))
    layer(tf.zeros((2, 3, 16)))
    k = layer.kernel.numpy()
    limit = np.sqrt(6.0 / (16 + 8))
    assert np.abs(k).max() <= limit and np.abs(k).max() > 0.9 * limit
    assert layer.kernel_initializer.fan_axes is None  # the layer's own initializer is kept
