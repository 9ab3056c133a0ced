"""keras.mixed_precision: policies, autocast in layers, float32 losses, LossScaleOptimizer and
float16 training converging on CPU."""
import numpy as np
import pytest

import tapeflow as tf

mp = tf.keras.mixed_precision


@pytest.fixture
def mixed16():
    mp.set_global_policy("mixed_float16")
    yield
    mp.set_global_policy("float32")


def test_policies():
    p = mp.Policy("mixed_float16")
    assert (p.name, p.compute_dtype, p.variable_dtype) == ("mixed_float16", "float16",
                                                           "float32")
    assert repr(p) == '<DTypePolicy "mixed_float16">'
    assert mp.DTypePolicy("float64").compute_dtype == "float64"
    assert repr(mp.global_policy()) == '<DTypePolicy "float32">'
    with pytest.raises(ValueError, match="Cannot convert 'foo' to a mixed precision"):
        mp.Policy("foo")
    with pytest.raises(ValueError, match="Invalid `policy` argument"):
        mp.set_global_policy(None)
    with pytest.raises(ValueError, match="bfloat16"):  # no bfloat16 arithmetic in NumPy/CuPy
        mp.set_global_policy("mixed_bfloat16")
    assert repr(mp.global_policy()) == '<DTypePolicy "float32">'


def test_dense_keeps_float32_variables_and_computes_in_float16(mixed16):
    d = tf.keras.layers.Dense(3, kernel_initializer="ones")
    x = np.ones((2, 4), np.float32)
    with tf.GradientTape() as tape:
        y = d(x)
        loss = tf.reduce_sum(tf.cast(y, tf.float32))
    assert (d.dtype, d.compute_dtype, d.variable_dtype) == ("float32", "float16", "float32")
    assert d.dtype_policy == mp.Policy("mixed_float16")
    assert d.kernel.dtype == tf.float32 and y.dtype == tf.float16
    np.testing.assert_array_equal(y.numpy(), np.full((2, 3), 4.0, np.float16))
    gk, gb = tape.gradient(loss, [d.kernel, d.bias])
    assert gk.dtype == tf.float32 and gb.dtype == tf.float32  # through the recorded casts
    np.testing.assert_array_equal(gk.numpy(), np.full((4, 3), 2.0))
    assert isinstance(d.kernel, tf.Variable)  # restored after the call
    assert d.get_config()["dtype"] == {"module": "keras", "class_name": "DTypePolicy",  # Keras 3
                                       "config": {"name": "mixed_float16"}, "registered_name": None}
    f32 = tf.keras.layers.Activation("softmax", dtype="float32")
    assert f32(y).dtype == tf.float32 and f32.compute_dtype == "float32"


def test_normalization_computes_in_float32(mixed16):
    bn = tf.keras.layers.BatchNormalization()
    out = bn(tf.constant(np.random.default_rng(0).normal(size=(8, 3)), tf.float16),
             training=True)
    assert out.dtype == tf.float16 and bn.moving_mean.dtype == tf.float32


def test_loss_scale_optimizer_scales_skips_and_grows():
    v = tf.Variable([1.0, 2.0])
    opt = mp.LossScaleOptimizer(tf.keras.optimizers.SGD(0.5), initial_scale=8.0,
                                dynamic_growth_steps=2)
    assert float(opt.scale_loss(tf.constant(3.0))) == 24.0
    opt.apply_gradients([(tf.constant([8.0, 16.0]), v)])  # unscaled: [1, 2]
    np.testing.assert_allclose(v.numpy(), [0.5, 1.0])
    assert float(opt.dynamic_scale) == 8.0
    opt.apply_gradients([(tf.constant([np.inf, 1.0]), v)])  # skipped, scale halved
    np.testing.assert_allclose(v.numpy(), [0.5, 1.0])
    assert float(opt.dynamic_scale) == 4.0 and int(opt.iterations) == 1
    opt.apply_gradients([(tf.constant([4.0, 4.0]), v)])
    opt.apply_gradients([(tf.constant([4.0, 4.0]), v)])  # two finite steps: scale doubles
    assert float(opt.dynamic_scale) == 8.0 and int(opt.iterations) == 3
    np.testing.assert_allclose(v.numpy(), [-0.5, 0.0])
    g16 = tf.constant([np.float16(8.0), np.float16(8.0)])
    w = tf.Variable([0.0, 0.0])
    opt.apply_gradients([(g16, w)])  # float16 gradients unscale in float32
    assert w.dtype == tf.float32
    np.testing.assert_allclose(w.numpy(), [-0.5, -0.5])


def test_compile_wraps_optimizer_under_mixed_float16(mixed16):
    m = tf.keras.Sequential([tf.keras.layers.Input((2,)), tf.keras.layers.Dense(1)])
    m.compile("sgd", "mse")
    assert isinstance(m.optimizer, mp.LossScaleOptimizer)
    m.compile("sgd", "mse", auto_scale_loss=False)
    assert not isinstance(m.optimizer, mp.LossScaleOptimizer)


def test_float16_training_converges(mixed16):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(512, 10)).astype(np.float32)
    y = (x @ rng.normal(size=(10,)) > 0).astype(np.int32)
    tf.random.set_seed(0)
    model = tf.keras.Sequential([
        tf.keras.layers.Input((10,)), tf.keras.layers.Dense(32, activation="relu"),
        tf.keras.layers.Dense(2), tf.keras.layers.Activation("softmax", dtype="float32")])
    model.compile(tf.keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    hist = model.fit(x, y, epochs=8, batch_size=64, verbose=0)
    assert model.layers[0].kernel.dtype == tf.float32
    assert model.layers[0](x[:1]).dtype == tf.float16
    assert hist.history["loss"][-1] < 0.3 * hist.history["loss"][0]
    assert hist.history["accuracy"][-1] > 0.95


@pytest.mark.parametrize("make, shape", [
    (lambda L: L.Conv2D(4, 3), (2, 6, 6, 3)),
    (lambda L: L.LSTM(4), (2, 5, 3)),
    (lambda L: L.GRU(4), (2, 5, 3)),
    (lambda L: L.Bidirectional(L.SimpleRNN(2)), (2, 5, 3)),
    (lambda L: L.MultiHeadAttention(2, 4), (2, 5, 3)),  # makes its weights in the first call
    (lambda L: L.LayerNormalization(), (2, 5, 3)),
], ids=["conv2d", "lstm", "gru", "bidirectional", "attention", "layernorm"])
def test_layers_compute_in_float16_with_float32_weights(mixed16, make, shape):
    layer = make(tf.keras.layers)
    x = tf.constant(np.random.default_rng(0).normal(size=shape).astype(np.float32))
    for _ in range(2):  # the first call builds, the second runs built
        with tf.GradientTape() as tape:
            y = layer(x, x) if isinstance(layer, tf.keras.layers.MultiHeadAttention) \
                else layer(x)
            loss = tf.reduce_sum(tf.cast(y, tf.float32))
        assert y.dtype == tf.float16
        assert layer.weights and all(w.dtype == tf.float32 for w in layer.weights)
        grads = tape.gradient(loss, layer.trainable_weights)
        assert all(g is not None and g.dtype == tf.float32 for g in grads)
