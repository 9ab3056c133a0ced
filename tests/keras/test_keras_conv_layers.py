"""Convolution, pooling, normalisation, embedding, noise and spatial layers: forward values
against direct NumPy loops, float64 gradient checks, shape rules, configs and summaries."""
import json

import numpy as np
import pytest

import tapeflow as tf
from gradcheck import check_grad
from tapeflow import keras
from tapeflow.keras import layers

RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.backend.clear_session()


def rand(*shape):
    return RNG.standard_normal(shape)


def check_weight_grads(layer, x, eps=1e-6, rtol=1e-5, atol=1e-7, **call_kwargs):
    """Tape gradients of sum(layer(x) * w) w.r.t. the trainable weights vs central
    differences (inputs are checked separately with check_grad)."""
    x = tf.constant(x)
    out = layer(x, **call_kwargs)
    w = tf.constant(np.random.default_rng(5).uniform(0.5, 1.5, size=tuple(out.shape)))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x, **call_kwargs) * w)
    variables = layer.trainable_variables
    assert variables, "layer has no trainable weights"
    for v, g in zip(variables, tape.gradient(loss, variables)):
        base = v.numpy()
        num = np.zeros_like(base)
        for i in range(base.size):
            for sign in (1, -1):
                p = base.copy()
                p.reshape(-1)[i] += sign * eps
                v.assign(p)
                num.reshape(-1)[i] += sign * float(tf.reduce_sum(layer(x, **call_kwargs) * w))
        v.assign(base)
        np.testing.assert_allclose(g.numpy(), num / (2 * eps), rtol=rtol, atol=atol,
                                   err_msg=v.name)


def randomize(layer):
    for v in layer.weights:
        v.assign(RNG.uniform(0.5, 1.5, size=tuple(v.shape)) * RNG.choice([-1, 1], tuple(v.shape)))


# -- NumPy references (direct loops on tiny inputs) ---------------------------------------------
def same_pads(n, k, s, d=1):
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def np_conv2d(x, w, strides=(1, 1), padding="valid", dilation=(1, 1), groups=1):
    """NHWC x, HWIO w (I = in / groups)."""
    kh, kw, cin_g, cout = w.shape
    if padding == "same":
        ph, pw = (same_pads(x.shape[i + 1], w.shape[i], strides[i], dilation[i])
                  for i in range(2))
        x = np.pad(x, [(0, 0), ph, pw, (0, 0)])
    b, h, wd, c = x.shape
    oh = (h - (kh - 1) * dilation[0] - 1) // strides[0] + 1
    ow = (wd - (kw - 1) * dilation[1] - 1) // strides[1] + 1
    out = np.zeros((b, oh, ow, cout))
    per = cout // groups
    for n in range(b):
        for i in range(oh):
            for j in range(ow):
                for o in range(cout):
                    g = o // per
                    for a in range(kh):
                        for e in range(kw):
                            px = x[n, i * strides[0] + a * dilation[0],
                                   j * strides[1] + e * dilation[1],
                                   g * cin_g:(g + 1) * cin_g]
                            out[n, i, j, o] += px @ w[a, e, :, o]
    return out


def np_conv2d_transpose(x, w, strides, padding):
    """x NHWC, w (kh, kw, out, in): scatter every input pixel, then crop like TF."""
    b, h, wd, _ = x.shape
    kh, kw, cout, _ = w.shape
    outs = [n * s if padding == "same" else n * s + max(k - s, 0)
            for n, k, s in zip((h, wd), (kh, kw), strides)]
    full = np.zeros((b, (h - 1) * strides[0] + kh, (wd - 1) * strides[1] + kw, cout))
    for i in range(h):
        for j in range(wd):
            for a in range(kh):
                for e in range(kw):
                    full[:, i * strides[0] + a, j * strides[1] + e] += x[:, i, j] @ w[a, e].T
    lo = [same_pads(o, k, s)[0] if padding == "same" else 0
          for o, k, s in zip(outs, (kh, kw), strides)]
    full = np.pad(full, [(0, 0), (0, max(0, outs[0] + lo[0] - full.shape[1])),
                         (0, max(0, outs[1] + lo[1] - full.shape[2])), (0, 0)])
    return full[:, lo[0]:lo[0] + outs[0], lo[1]:lo[1] + outs[1]]


def np_pool2d(x, k, s, padding, kind):
    b, h, w, c = x.shape
    if padding == "same":
        oh, ow = -(-h // s[0]), -(-w // s[1])
        ph, pw = same_pads(h, k[0], s[0])[0], same_pads(w, k[1], s[1])[0]
    else:
        oh, ow, ph, pw = (h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1, 0, 0
    out = np.zeros((b, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * s[0] - ph, j * s[1] - pw
            win = x[:, max(r0, 0):r0 + k[0], max(c0, 0):c0 + k[1]]
            out[:, i, j] = win.max(axis=(1, 2)) if kind == "max" else win.mean(axis=(1, 2))
    return out


# -- convolutions ------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    dict(filters=3, kernel_size=3),
    dict(filters=2, kernel_size=(2, 3), strides=2, padding="same"),
    dict(filters=4, kernel_size=3, padding="same", dilation_rate=2),
    dict(filters=4, kernel_size=2, groups=2, strides=(1, 2)),
])
def test_conv2d_matches_direct_loops(kwargs):
    x = rand(2, 7, 6, 4)
    layer = layers.Conv2D(**kwargs, dtype="float64", activation="relu")
    layer(x)
    randomize(layer)
    k, b = layer.kernel.numpy(), layer.bias.numpy()
    want = np_conv2d(x, k, layer.strides, layer.padding, layer.dilation_rate, layer.groups) + b
    np.testing.assert_allclose(layer(x).numpy(), np.maximum(want, 0), rtol=1e-10, atol=1e-12)


def test_conv2d_channels_first_equals_channels_last():
    x = rand(2, 5, 6, 3)
    last = layers.Conv2D(4, 3, strides=2, padding="same", dtype="float64")
    first = layers.Conv2D(4, 3, strides=2, padding="same", data_format="channels_first",
                          dtype="float64")
    want = last(x).numpy()
    first(x.transpose(0, 3, 1, 2))
    first.set_weights(last.get_weights())
    got = first(x.transpose(0, 3, 1, 2)).numpy().transpose(0, 2, 3, 1)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert first.compute_output_shape((None, 3, 5, 6)) == (None, 4, 3, 3)


def test_conv1d_valid_same_causal_against_conv2d_reference():
    x = rand(2, 7, 3)
    for padding in ("valid", "same", "causal"):
        layer = layers.Conv1D(2, 3, padding=padding, dilation_rate=2, dtype="float64")
        out = layer(x).numpy()
        k, b = layer.kernel.numpy(), layer.bias.numpy()
        if padding == "causal":
            ref = np_conv2d(np.pad(x, [(0, 0), (4, 0), (0, 0)])[:, None], k[None], (1, 1),
                            "valid", (1, 2))
        else:
            ref = np_conv2d(x[:, None], k[None], (1, 1), padding, (1, 2))
        np.testing.assert_allclose(out, ref[:, 0] + b, rtol=1e-10, atol=1e-12)
        assert layer.compute_output_shape((None, 7, 3)) == (None,) + out.shape[1:]
    causal = layers.Conv1D(1, 2, padding="causal", use_bias=False, kernel_initializer="ones")
    seq = np.arange(5, dtype="float32").reshape(1, 5, 1)
    assert causal(seq).numpy().ravel().tolist() == [0, 1, 3, 5, 7]  # sees only the past


@pytest.mark.parametrize("padding,strides", [("same", 2), ("valid", 2), ("same", 1),
                                             ("valid", (1, 2))])
def test_conv2d_transpose_matches_scatter_reference(padding, strides):
    x = rand(2, 3, 4, 2)
    layer = layers.Conv2DTranspose(3, 3, strides=strides, padding=padding, dtype="float64")
    out = layer(x).numpy()
    want = np_conv2d_transpose(x, layer.kernel.numpy(), layer.strides, padding)
    np.testing.assert_allclose(out, want + layer.bias.numpy(), rtol=1e-10, atol=1e-12)
    assert layer.compute_output_shape((None, 3, 4, 2)) == (None,) + out.shape[1:]


def test_depthwise_and_separable_conv2d():
    x = rand(2, 5, 5, 3)
    dw = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", dtype="float64")
    out = dw(x).numpy()
    k = dw.kernel.numpy()  # (3, 3, 3, 2)
    want = np.concatenate([np_conv2d(x[..., c:c + 1], k[:, :, c:c + 1, :], padding="same")
                           for c in range(3)], axis=-1)
    np.testing.assert_allclose(out, want + dw.bias.numpy(), rtol=1e-10, atol=1e-12)
    assert [tuple(w.shape) for w in dw.weights] == [(3, 3, 3, 2), (6,)]
    sep = layers.SeparableConv2D(4, 3, strides=2, dtype="float64")
    out = sep(x).numpy()
    dk, pk = sep.depthwise_kernel.numpy(), sep.pointwise_kernel.numpy()
    mid = np.concatenate([np_conv2d(x[..., c:c + 1], dk[:, :, c:c + 1, :], (2, 2))
                          for c in range(3)], axis=-1)
    np.testing.assert_allclose(out, mid @ pk[0, 0] + sep.bias.numpy(), rtol=1e-10, atol=1e-12)
    assert sep.count_params() == 27 + 12 + 4


@pytest.mark.parametrize("make", [
    lambda: layers.Conv2D(2, 2, strides=(2, 1), padding="same", dtype="float64",
                          activation="tanh"),
    lambda: layers.Conv1D(2, 2, padding="causal", dtype="float64"),
    lambda: layers.Conv2DTranspose(2, 2, strides=2, dtype="float64"),
    lambda: layers.DepthwiseConv2D(2, depth_multiplier=2, dtype="float64"),
    lambda: layers.SeparableConv2D(2, 2, padding="same", dtype="float64"),
])
def test_conv_layer_gradients(make):
    layer = make()
    x = rand(2, 3, 3, 2) if "1D" not in type(layer).__name__ else rand(2, 4, 2)
    layer(x)
    check_weight_grads(layer, x)
    check_grad(lambda t: layer(t), x)


@pytest.mark.parametrize("size,stride", [(7, 2), (9, 3), (5, 1), (1, 2), (8, 3)])
def test_same_padding_output_shapes_with_odd_sizes_and_strides(size, stride):
    x = np.zeros((1, size, size + 2, 2), "float32")
    for layer in (layers.Conv2D(3, 3, strides=stride, padding="same"),
                  layers.MaxPooling2D(3, strides=stride, padding="same"),
                  layers.AveragePooling2D(2, strides=stride, padding="same")):
        out = layer(x)
        want = (1, -(-size // stride), -(-(size + 2) // stride))
        assert tuple(out.shape)[:3] == want, type(layer).__name__
        assert layer.compute_output_shape((None,) + x.shape[1:])[1:3] == want[1:]


def test_conv_argument_errors():
    with pytest.raises(ValueError, match="filters"):
        layers.Conv2D(0, 3)
    with pytest.raises(ValueError, match="padding"):
        layers.Conv2D(2, 3, padding="full")
    with pytest.raises(ValueError, match="groups"):
        layers.Conv2D(3, 3, groups=2)
    with pytest.raises(ValueError, match="ndim=4"):
        layers.Conv2D(2, 3)(np.zeros((2, 5, 5), "float32"))


# -- pooling -----------------------------------------------------------------------------------
@pytest.mark.parametrize("padding,k,s", [("valid", (2, 2), (2, 2)), ("same", (3, 3), (2, 2)),
                                         ("same", (2, 3), (1, 2)), ("valid", (3, 2), (1, 1))])
def test_pooling_2d_matches_loops(padding, k, s):
    x = rand(2, 5, 6, 3)
    mx = layers.MaxPooling2D(k, s, padding, dtype="float64")(x).numpy()
    av = layers.AveragePooling2D(k, s, padding, dtype="float64")(x).numpy()
    np.testing.assert_allclose(mx, np_pool2d(x, k, s, padding, "max"))
    np.testing.assert_allclose(av, np_pool2d(x, k, s, padding, "avg"), rtol=1e-12)


def test_pooling_1d_channels_first_and_global_pooling():
    x = rand(2, 7, 3)
    out = layers.MaxPooling1D(3, strides=2, padding="same", dtype="float64")(x).numpy()
    np.testing.assert_allclose(out, np_pool2d(x[:, None], (1, 3), (1, 2), "same", "max")[:, 0])
    out = layers.AveragePooling1D(2, data_format="channels_first", dtype="float64")(
        x.transpose(0, 2, 1)).numpy()
    np.testing.assert_allclose(out.transpose(0, 2, 1),
                               np_pool2d(x[:, None], (1, 2), (1, 2), "valid", "avg")[:, 0])
    x4 = rand(2, 3, 4, 5)
    np.testing.assert_allclose(layers.GlobalAveragePooling2D(dtype="float64")(x4),
                               x4.mean(axis=(1, 2)))
    np.testing.assert_allclose(layers.GlobalMaxPooling2D(dtype="float64", keepdims=True)(x4),
                               x4.max(axis=(1, 2), keepdims=True))
    np.testing.assert_allclose(
        layers.GlobalAveragePooling2D(data_format="channels_first", dtype="float64")(x4),
        x4.mean(axis=(2, 3)))
    np.testing.assert_allclose(layers.GlobalMaxPooling1D(dtype="float64")(x), x.max(axis=1))
    gap = layers.GlobalAveragePooling1D(dtype="float64")
    np.testing.assert_allclose(gap(x), x.mean(axis=1))
    mask = np.array([[1, 1, 0, 0, 0, 0, 0], [1] * 7], bool)
    np.testing.assert_allclose(gap(tf.constant(x), mask=tf.constant(mask))[0],
                               x[0, :2].mean(axis=0))
    check_grad(lambda t: layers.MaxPooling2D(2, padding="same", dtype="float64")(t),
               rand(1, 3, 3, 2))
    check_grad(lambda t: layers.AveragePooling2D(2, 1, dtype="float64")(t), rand(1, 3, 3, 2))
    check_grad(lambda t: layers.GlobalAveragePooling2D(dtype="float64")(t), rand(2, 2, 3, 2))


# -- normalisation -----------------------------------------------------------------------------
def test_batch_normalization_training_inference_and_moving_averages():
    x = rand(8, 3, 4) * 2 + 1
    bn = layers.BatchNormalization(dtype="float64")
    out = bn(x, training=True).numpy()
    mean, var = x.mean(axis=(0, 1)), x.var(axis=(0, 1))
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-10)
    # Keras's update: moving = moving * momentum + batch * (1 - momentum), biased variance
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.01 * mean, rtol=1e-12)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.99 + 0.01 * var, rtol=1e-12)
    bn(x, training=True)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.01 * mean * 0.99 + 0.01 * mean)
    mm, mv = bn.moving_mean.numpy(), bn.moving_variance.numpy()
    for got in (bn(x), bn(x, training=False)):  # inference: moving statistics, no update
        np.testing.assert_allclose(got.numpy(), (x - mm) / np.sqrt(mv + 1e-3), rtol=1e-10)
    np.testing.assert_allclose(bn.moving_mean.numpy(), mm)
    bn.trainable = False  # a frozen layer runs in inference mode even when training
    np.testing.assert_allclose(bn(x, training=True).numpy(),
                               (x - mm) / np.sqrt(mv + 1e-3), rtol=1e-10)
    assert [w.name.split("/")[-1] for w in bn.weights] == [
        "gamma:0", "beta:0", "moving_mean:0", "moving_variance:0"]


def test_batch_normalization_axis_momentum_and_gradients():
    x = rand(4, 3, 2, 2)
    bn = layers.BatchNormalization(axis=1, momentum=0.5, epsilon=1e-2, dtype="float64")
    bn(x, training=True)
    randomize(bn)
    g, b = bn.gamma.numpy()[None, :, None, None], bn.beta.numpy()[None, :, None, None]
    mean, var = x.mean(axis=(0, 2, 3), keepdims=True), x.var(axis=(0, 2, 3), keepdims=True)
    mm0 = bn.moving_mean.numpy()
    np.testing.assert_allclose(bn(x, training=True).numpy(),
                               g * (x - mean) / np.sqrt(var + 1e-2) + b, rtol=1e-10)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.5 * mm0 + 0.5 * mean.ravel())
    check_weight_grads(bn, x, training=True)
    check_grad(lambda t: bn(t, training=True), x)
    check_grad(lambda t: bn(t, training=False), x)


def test_batch_normalization_in_fit_updates_moving_statistics():
    x = rand(64, 4).astype("float32") * 3 + 2
    y = (x.sum(axis=1) > 8).astype("float32")
    model = keras.Sequential([keras.Input((4,)), layers.BatchNormalization(),
                              layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    bn = model.layers[0]
    assert np.all(bn.moving_mean.numpy() > 0.05)  # moved from 0 towards the data mean
    assert len(model.non_trainable_weights) == 2 and len(model.trainable_weights) == 4


def test_layer_normalization_values_and_gradients():
    x = rand(3, 4, 5)
    ln = layers.LayerNormalization(dtype="float64")
    ln(x)
    randomize(ln)
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    want = (x - mean) / np.sqrt(var + 1e-3) * ln.gamma.numpy() + ln.beta.numpy()
    np.testing.assert_allclose(ln(x).numpy(), want, rtol=1e-10)
    np.testing.assert_allclose(ln(x, training=True).numpy(), want, rtol=1e-10)
    ln2 = layers.LayerNormalization(axis=[1, 2], center=False, dtype="float64")
    mean, var = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(ln2(x).numpy(), (x - mean) / np.sqrt(var + 1e-3), rtol=1e-10)
    assert [tuple(w.shape) for w in ln2.weights] == [(4, 5)]
    check_weight_grads(ln, x)
    check_grad(lambda t: ln(t), x)
    check_grad(lambda t: ln2(t), x)


# -- embedding ---------------------------------------------------------------------------------
def test_embedding_lookup_mask_and_gradient():
    emb = layers.Embedding(6, 3, mask_zero=True)
    ids = np.array([[1, 2, 0], [5, 5, 0]])
    out = emb(ids)
    assert out.dtype == tf.float32 and tuple(out.shape) == (2, 3, 3)
    np.testing.assert_array_equal(out.numpy(), emb.embeddings.numpy()[ids])
    np.testing.assert_array_equal(emb.compute_mask(ids).numpy(), ids != 0)
    assert np.all(np.abs(emb.embeddings.numpy()) <= 0.05)  # Keras's 'uniform' initializer
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(emb(ids))
    g = tf.convert_to_tensor(tape.gradient(loss, emb.embeddings)).numpy()
    np.testing.assert_array_equal(g[:, 0], [2, 1, 1, 0, 0, 2])  # repeated ids accumulate
    assert emb.compute_output_shape((None, 3)) == (None, 3, 3)


# -- noise and spatial layers ------------------------------------------------------------------
def test_spatial_dropout_and_gaussian_noise_only_in_training():
    tf.random.set_seed(3)
    x = np.ones((4, 5, 5, 8), "float32")
    sd = layers.SpatialDropout2D(0.5)
    np.testing.assert_array_equal(sd(x).numpy(), x)
    out = sd(x, training=True).numpy()
    per_map = out.reshape(4, 25, 8)
    assert np.all(per_map.min(axis=1) == per_map.max(axis=1))  # whole maps kept or dropped
    assert set(np.unique(out)) <= {0.0, 2.0} and 0 < (out == 0).mean() < 1
    gn = layers.GaussianNoise(0.5)
    np.testing.assert_array_equal(gn(x).numpy(), x)
    noisy = gn(np.zeros((200, 50), "float32"), training=True).numpy()
    assert abs(noisy.std() - 0.5) < 0.02 and abs(noisy.mean()) < 0.02


def test_zero_padding_cropping_upsampling():
    x = rand(2, 3, 4, 2)
    pad = layers.ZeroPadding2D(((1, 2), (0, 1)), dtype="float64")
    np.testing.assert_array_equal(pad(x), np.pad(x, [(0, 0), (1, 2), (0, 1), (0, 0)]))
    crop = layers.Cropping2D(((1, 0), (1, 2)), dtype="float64")
    np.testing.assert_array_equal(crop(x), x[:, 1:, 1:2])
    up = layers.UpSampling2D((2, 3), dtype="float64")
    np.testing.assert_array_equal(up(x), x.repeat(2, axis=1).repeat(3, axis=2))
    upf = layers.UpSampling2D(2, data_format="channels_first", dtype="float64")
    np.testing.assert_array_equal(upf(x), x.repeat(2, axis=2).repeat(2, axis=3))
    x1 = rand(2, 5, 3)
    np.testing.assert_array_equal(layers.ZeroPadding1D(2, dtype="float64")(x1),
                                  np.pad(x1, [(0, 0), (2, 2), (0, 0)]))
    np.testing.assert_array_equal(layers.Cropping1D((1, 2), dtype="float64")(x1), x1[:, 1:3])
    np.testing.assert_array_equal(layers.UpSampling1D(3, dtype="float64")(x1),
                                  x1.repeat(3, axis=1))
    for layer, shape in ((pad, (None, 6, 5, 2)), (crop, (None, 2, 1, 2)),
                         (up, (None, 6, 12, 2))):
        assert layer.compute_output_shape((None, 3, 4, 2)) == shape
    check_grad(lambda t: up(pad(t)), x)


# -- configs, models and summaries -------------------------------------------------------------
ALL = [
    lambda: layers.Conv1D(3, 2, padding="causal", dilation_rate=2, activation="relu"),
    lambda: layers.Conv2D(4, (3, 2), strides=2, padding="same", use_bias=False,
                          kernel_regularizer="l2", data_format="channels_first"),
    lambda: layers.Conv2DTranspose(3, 3, strides=2, output_padding=1),
    lambda: layers.DepthwiseConv2D(3, depth_multiplier=2, depthwise_regularizer="l1"),
    lambda: layers.SeparableConv2D(3, 3, pointwise_initializer="he_normal"),
    lambda: layers.MaxPooling1D(3, 2, "same"), lambda: layers.AveragePooling2D((2, 3)),
    lambda: layers.GlobalAveragePooling1D(keepdims=True), lambda: layers.GlobalMaxPooling2D(),
    lambda: layers.BatchNormalization(axis=1, momentum=0.9, center=False),
    lambda: layers.LayerNormalization(epsilon=1e-5, rms_scaling=True),
    lambda: layers.Embedding(10, 4, mask_zero=True), lambda: layers.SpatialDropout2D(0.3),
    lambda: layers.GaussianNoise(0.2), lambda: layers.ZeroPadding2D(2),
    lambda: layers.Cropping2D(((1, 2), (3, 4))), lambda: layers.UpSampling2D((1, 2)),
]


@pytest.mark.parametrize("make", ALL)
def test_config_round_trip_through_the_registry(make):
    layer = make()
    config = layer.get_config()
    again = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
    assert type(again) is type(layer)
    assert again.get_config() == config


def _convnet():
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax"),
    ])


def test_convnet_summary_param_counts_match_keras():
    lines = []
    _convnet().summary(print_fn=lines.append)
    text = "\n".join(lines)
    # Keras 3.x prints these output shapes and counts for the same model
    for shape, params in (("(None, 26, 26, 32)", "320"), ("(None, 13, 13, 32)", "0"),
                          ("(None, 11, 11, 64)", "18,496"), ("(None, 5, 5, 64)", "0"),
                          ("(None, 1600)", "0"), ("(None, 10)", "16,010")):
        assert any(shape in row and row.rstrip("│ ").endswith(params) for row in lines), shape
    assert "Total params: 34,826" in text


def test_summary_of_a_mixed_model_matches_keras_counts():
    inp = keras.Input((9, 7, 3))
    h = layers.SeparableConv2D(6, 3, padding="same")(inp)            # Keras: 51
    h = layers.BatchNormalization()(h)                               # 24 (12 non-trainable)
    h = layers.DepthwiseConv2D(3, depth_multiplier=2)(h)             # 120
    h = layers.Conv2DTranspose(4, 3, strides=2, padding="same")(h)   # 436
    h = layers.Conv2D(6, 3, groups=2)(h)                             # 114
    h = layers.LayerNormalization()(h)                               # 12
    out = layers.GlobalAveragePooling2D()(h)
    model = keras.Model(inp, out)
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Total params: 757" in text and "Non-trainable params: 12" in text
    assert model.output_shape == (None, 6)
    assert tuple(model(np.zeros((2, 9, 7, 3))).shape) == (2, 6)
    clone = keras.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    x = rand(2, 9, 7, 3).astype("float32")
    np.testing.assert_allclose(clone(x).numpy(), model(x).numpy(), rtol=1e-5, atol=1e-6)


def test_layers_inside_a_subclassed_model():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = layers.Conv2D(4, 3, padding="same")
            self.bn = layers.BatchNormalization()
            self.pool = layers.GlobalMaxPooling2D()
            self.out = layers.Dense(2)

        def call(self, x, training=False):
            return self.out(self.pool(self.bn(self.conv(x), training=training)))

    net = Net()
    x = rand(8, 5, 5, 1).astype("float32")
    net.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    net.fit(x, np.arange(8) % 2, epochs=1, batch_size=4, verbose=0)
    assert len(net.trainable_weights) == 6 and len(net.non_trainable_weights) == 2
    assert tuple(net.predict(x, verbose=0).shape) == (8, 2)


def test_masking_spatial_dropout_1d_and_gaussian_dropout():
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]], "float32")
    masking = layers.Masking(0.0)
    out = masking(x)
    np.testing.assert_array_equal(out.numpy(), x)
    np.testing.assert_array_equal(masking.compute_mask(tf.constant(x)).numpy(),
                                  [[True, False, True]])
    lstm = layers.LSTM(2)
    keras.Sequential([masking, lstm])(x)  # the LSTM skips the masked step
    tf.random.set_seed(4)
    ones = np.ones((6, 10, 16), "float32")
    out = layers.SpatialDropout1D(0.5)(ones, training=True).numpy()
    assert np.all(out.min(axis=1) == out.max(axis=1)) and 0 < (out == 0).mean() < 1
    gd = layers.GaussianDropout(0.2)
    np.testing.assert_array_equal(gd(ones).numpy(), ones)
    noisy = gd(np.ones((100, 100), "float32"), training=True).numpy()
    assert abs(noisy.mean() - 1) < 0.02 and abs(noisy.std() - 0.5) < 0.03  # sqrt(.2 / .8)
