"""Layer base class (build, tracking, names, weights, losses, configs), initializers,
activations, regularizers, constraints and the built-in layers, with float64 gradient
checks of every parameterised layer."""
import os

import numpy as np
import pytest

import tapeflow as tf
from gradcheck import check_grad
from tapeflow import keras
from tapeflow.keras import layers


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.backend.clear_session()


def check_layer_grads(layer, x, eps=1e-6, rtol=1e-5, atol=1e-7):
    """Tape gradients of sum(layer(x) * w) w.r.t. the layer's weights vs central
    differences (the inputs are checked separately with check_grad)."""
    x = tf.constant(x)
    out = layer(x)
    w = tf.constant(np.random.default_rng(5).uniform(0.5, 1.5, size=tuple(out.shape)))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x) * w)
    variables = layer.trainable_variables
    assert variables, "layer has no trainable weights"
    grads = tape.gradient(loss, variables)
    for v, g in zip(variables, grads):
        base = v.numpy()
        num = np.zeros_like(base)
        for i in range(base.size):
            for sign in (1, -1):
                p = base.copy()
                p.reshape(-1)[i] += sign * eps
                v.assign(p)
                num.reshape(-1)[i] += sign * float(tf.reduce_sum(layer(x) * w).numpy())
        v.assign(base)
        np.testing.assert_allclose(g.numpy(), num / (2 * eps), rtol=rtol, atol=atol,
                                   err_msg=v.name)


# -- the Layer contract ------------------------------------------------------------------------
def test_dense_builds_on_first_call_and_names_count_up():
    d = layers.Dense(3)
    assert not d.built and d.weights == []
    out = d(np.ones((2, 5), "float32"))
    assert d.built and out.shape == (2, 3)
    assert [tuple(w.shape) for w in d.weights] == [(5, 3), (3,)]
    assert d.name == "dense" and layers.Dense(1).name == "dense_1"
    assert d.kernel.name == "dense/kernel:0"
    keras.backend.clear_session()
    assert layers.Dense(1).name == "dense"


def test_inputs_are_cast_to_the_layer_dtype():
    d32 = layers.Dense(2)
    assert d32(np.ones((1, 3))).dtype == tf.float32  # float64 NumPy in, float32 out
    d64 = layers.Dense(2, dtype="float64")
    assert d64(np.ones((1, 3), "float32")).dtype == tf.float64
    assert d64.kernel.dtype == tf.float64


def test_tracking_through_attributes_lists_and_dicts():
    class Block(layers.Layer):
        def __init__(self):
            super().__init__()
            self.first = layers.Dense(2)
            self.stack = [layers.Dense(2), [layers.Dense(2)]]
            self.by_name = {"b": layers.Dense(2), "a": layers.Dense(2)}
            self.scale = tf.Variable(1.0, trainable=False)

        def call(self, x):
            for layer in [self.first, self.stack[0], self.stack[1][0],
                          self.by_name["b"], self.by_name["a"]]:
                x = layer(x)
            return x * self.scale

    b = Block()
    b(np.ones((1, 2)))
    assert len(b.layers) == 5
    assert len(b.trainable_weights) == 10 and len(b.non_trainable_weights) == 1
    assert len(b.weights) == len(b.variables) == 11
    b.first.trainable = False
    assert len(b.trainable_weights) == 8 and len(b.non_trainable_weights) == 3
    b.trainable = False
    assert b.trainable_weights == [] and len(b.non_trainable_variables) == 11
    b.trainable = True
    del b.by_name
    assert len(b.trainable_weights) == 6


def test_add_weight_keras2_and_keras3_orders_regularizers_and_losses():
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight("w", (input_shape[-1],), initializer="ones",
                                     regularizer=keras.regularizers.l2(0.5))
            self.c = self.add_weight((2,), "zeros", trainable=False)

        def call(self, x):
            return x * self.w

    s = Scale(activity_regularizer=keras.regularizers.l1(0.1))
    s(np.array([[1.0, -2.0]], "float32"))
    assert s.w.trainable and not s.c.trainable
    values = sorted(float(v.numpy()) for v in s.losses)
    assert values == pytest.approx([0.3, 1.0])  # activity l1: 0.1*3, weight l2: 0.5*2
    s(np.array([[1.0, 1.0]], "float32"))  # the next outer call replaces activity losses
    assert sorted(float(v.numpy()) for v in s.losses) == pytest.approx([0.2, 1.0])


def test_regularizer_loss_is_differentiable():
    d = layers.Dense(2, kernel_regularizer=keras.regularizers.L1L2(l1=0.0, l2=1.0),
                     kernel_initializer="ones")
    d(np.ones((1, 2), "float32"))
    with tf.GradientTape() as tape:
        loss = tf.add_n(d.losses)
    g = tape.gradient(loss, d.kernel)
    np.testing.assert_allclose(g.numpy(), 2.0 * np.ones((2, 2)))


def test_wrong_rank_and_width_to_a_built_layer():
    d = layers.Dense(4)
    d(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="expected min_ndim=2, found ndim=1"):
        d(np.ones((3,), "float32"))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        d(np.ones((2, 5), "float32"))


def test_invalid_constructor_arguments_name_what_was_received():
    with pytest.raises(ValueError, match="units=0"):
        layers.Dense(0)
    with pytest.raises(ValueError,
                       match="Could not interpret activation function identifier: relux"):
        layers.Dense(2, activation="relux")
    with pytest.raises(TypeError, match="Unrecognized keyword"):
        layers.Dense(2, unit=3)
    with pytest.raises(ValueError, match="rate"):
        layers.Dropout(1.5)


def test_get_config_roundtrip_and_compute_output_shape():
    d = layers.Dense(3, activation="relu", kernel_initializer="he_normal", name="head",
                     kernel_regularizer="l2")
    again = layers.Dense.from_config(d.get_config())
    assert again.get_config() == d.get_config()
    assert again.units == 3 and again.activation is keras.activations.relu
    assert d.compute_output_shape((None, 7)) == (None, 3)
    assert layers.Flatten().compute_output_shape((None, 4, 5)) == (None, 20)
    assert layers.Reshape((2, -1)).compute_output_shape((None, 12)) == (None, 2, 6)
    assert layers.Concatenate().compute_output_shape([(None, 2), (None, 3)]) == (None, 5)
    assert layers.deserialize(layers.serialize(layers.ReLU(max_value=6))).max_value == 6


def test_lambda_runs_but_is_never_rebuilt_from_config():
    lam = layers.Lambda(lambda x: x * 2.0)
    assert float(lam(tf.constant([1.5])).numpy()[0]) == 3.0
    with pytest.raises(ValueError, match="never loads code"):
        layers.Lambda.from_config(lam.get_config())
    with pytest.raises(ValueError, match="Lambda"):
        layers.deserialize({"class_name": "Lambda", "config": lam.get_config()})


def test_count_params_and_weights_roundtrip():
    d = layers.Dense(3)
    with pytest.raises(ValueError, match="isn't built"):
        d.count_params()
    d(np.ones((1, 4), "float32"))
    assert d.count_params() == 15
    ws = [w + 1 for w in d.get_weights()]
    d.set_weights(ws)
    np.testing.assert_allclose(d.get_weights()[0], ws[0])
    with pytest.raises(ValueError, match="expecting 2 weights"):
        d.set_weights(ws[:1])


# -- built-in layers ---------------------------------------------------------------------------
def test_activation_layers():
    x = tf.constant([[-2.0, -0.5, 0.0, 3.0, 8.0]])
    np.testing.assert_allclose(layers.ReLU()(x).numpy(), [[0, 0, 0, 3, 8]])
    np.testing.assert_allclose(layers.ReLU(max_value=6.0)(x).numpy(), [[0, 0, 0, 3, 6]])
    np.testing.assert_allclose(layers.LeakyReLU()(x).numpy(), [[-0.6, -0.15, 0, 3, 8]],
                               rtol=1e-6)
    np.testing.assert_allclose(layers.LeakyReLU(negative_slope=0.1)(x).numpy()[0, 0], -0.2)
    sm = layers.Softmax()(x).numpy()
    np.testing.assert_allclose(sm.sum(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(layers.Activation("tanh")(x).numpy(), np.tanh(x.numpy()),
                               rtol=1e-6)


def test_flatten_reshape():
    x = tf.constant(np.arange(24, dtype="float32").reshape(2, 3, 4))
    assert layers.Flatten()(x).shape == (2, 12)
    assert layers.Reshape((4, 3))(x).shape == (2, 4, 3)
    assert layers.Reshape((-1,))(x).shape == (2, 12)


def test_dropout_only_in_training():
    x = tf.ones((200, 50))
    d = layers.Dropout(0.4, seed=1)
    np.testing.assert_array_equal(d(x).numpy(), x.numpy())
    np.testing.assert_array_equal(d(x, training=False).numpy(), x.numpy())
    y = d(x, training=True).numpy()
    kept = y != 0
    assert 0.5 < kept.mean() < 0.7
    np.testing.assert_allclose(y[kept], 1.0 / 0.6, rtol=1e-6)
    np.testing.assert_array_equal(layers.Dropout(0.0)(x, training=True).numpy(), x.numpy())


def test_dropout_training_flag_reaches_inner_layers():
    model = keras.Sequential([layers.Dense(20, kernel_initializer="ones"), layers.Dropout(0.5)])
    x = np.ones((10, 3), "float32")
    assert (model(x, training=True).numpy() == 0).any()
    assert not (model(x).numpy() == 0).any()


def test_merge_layers():
    a, b = tf.constant([[1.0, 2.0]]), tf.constant([[3.0, 5.0]])
    np.testing.assert_allclose(layers.Add()([a, b]).numpy(), [[4, 7]])
    np.testing.assert_allclose(layers.Multiply()([a, b]).numpy(), [[3, 10]])
    np.testing.assert_allclose(layers.Subtract()([a, b]).numpy(), [[-2, -3]])
    np.testing.assert_allclose(layers.Average()([a, b]).numpy(), [[2, 3.5]])
    np.testing.assert_allclose(layers.Concatenate()([a, b]).numpy(), [[1, 2, 3, 5]])
    np.testing.assert_allclose(layers.Concatenate(axis=0)([a, b]).numpy(), [[1, 2], [3, 5]])
    with pytest.raises(ValueError, match="at least 2 inputs"):
        layers.Add()([a])


def test_rescaling_and_normalization_adapt():
    r = layers.Rescaling(1 / 255.0)
    out = r(tf.constant(np.array([[0, 255]], "uint8")))
    assert out.dtype == tf.float32
    np.testing.assert_allclose(out.numpy(), [[0, 1]])
    data = np.random.default_rng(0).normal(3.0, 2.0, size=(500, 4)).astype("float32")
    n = layers.Normalization()
    n.adapt(data)
    z = n(data).numpy()
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(0), 1, atol=1e-4)
    # Keras 3's weights: mean and variance over the kept axes, and a count (always 0)
    assert n.trainable_weights == []
    assert [(w.path, tuple(w.shape), w.dtype) for w in n.non_trainable_weights] == [
        ("normalization/mean", (4,), tf.float32), ("normalization/variance", (4,), tf.float32),
        ("normalization/count", (), tf.int64)]
    assert n.mean.shape == (1, 4) and n.count.numpy() == 0
    fixed = layers.Normalization(mean=2.0, variance=4.0)
    np.testing.assert_allclose(fixed(tf.constant([[4.0]])).numpy(), [[1.0]])
    assert fixed.weights == [] and fixed.mean.shape == (1, 1)  # given statistics: constants
    image = layers.Normalization()
    image.adapt(np.ones((2, 5, 6, 1), "float32"))
    assert image.adapt_mean.shape == (1,) and image.mean.shape == (1, 1, 1, 1)
    assert image.count_params() == 3
    back = layers.Normalization(mean=2.0, variance=4.0, invert=True)
    np.testing.assert_allclose(back(tf.constant([[1.0]])).numpy(), [[4.0]])


def test_input_and_input_layer():
    x = keras.Input(shape=(28, 28), name="pixels")
    assert x.shape == (None, 28, 28) and x.dtype == tf.float32
    y = layers.Flatten()(x)
    assert y.shape == (None, 784)
    z = layers.Dense(5)(y)
    assert z.shape == (None, 5)
    with pytest.raises(ValueError, match="shape"):
        layers.InputLayer()


# -- gradients (float64) -----------------------------------------------------------------------
RNG = np.random.default_rng(42)


@pytest.mark.parametrize("make", [
    lambda: layers.Dense(3, activation="tanh", dtype="float64"),
    lambda: layers.Dense(2, use_bias=False, dtype="float64"),
    lambda: layers.Dense(3, activation="softmax", dtype="float64"),
])
def test_dense_gradients_float64(make):
    layer = make()
    x = RNG.normal(size=(4, 5))
    layer(tf.constant(x))
    check_grad(lambda t: layer(t), x)
    check_layer_grads(layer, x)


def test_dense_on_rank3_input_gradients():
    layer = layers.Dense(2, dtype="float64")
    x = RNG.normal(size=(2, 3, 4))
    assert layer(tf.constant(x)).shape == (2, 3, 2)
    check_grad(lambda t: layer(t), x)
    check_layer_grads(layer, x)


@pytest.mark.parametrize("make", [
    lambda: layers.ReLU(dtype="float64"),
    lambda: layers.ReLU(max_value=0.5, negative_slope=0.1, dtype="float64"),
    lambda: layers.LeakyReLU(dtype="float64"),
    lambda: layers.Softmax(dtype="float64"),
    lambda: layers.Activation("gelu", dtype="float64"),
    lambda: layers.Activation("elu", dtype="float64"),
    lambda: layers.Activation("selu", dtype="float64"),
    lambda: layers.Activation("swish", dtype="float64"),
    lambda: layers.Activation("softplus", dtype="float64"),
    lambda: layers.Activation("sigmoid", dtype="float64"),
    lambda: layers.Flatten(dtype="float64"),
    lambda: layers.Reshape((6, 1), dtype="float64"),
    lambda: layers.Rescaling(0.5, offset=1.0, dtype="float64"),
    lambda: layers.Normalization(mean=1.0, variance=4.0, dtype="float64"),
])
def test_parameter_free_layer_gradients_float64(make):
    layer = make()
    x = RNG.normal(size=(3, 2, 3))
    x[np.abs(x) < 0.05] += 0.2  # keep away from the kinks of relu-like functions
    x[np.abs(x - 0.5) < 0.05] += 0.2
    check_grad(lambda t: layer(t), x)


def test_merge_layer_gradients_float64():
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3))
    for layer in (layers.Add(dtype="float64"), layers.Multiply(dtype="float64"),
                  layers.Concatenate(dtype="float64")):
        check_grad(lambda s, t, layer=layer: layer([s, t]), a, b)


# -- initializers, activations, regularizers, constraints ------------------------------------
def test_initializers_statistics_and_seeds():
    I = keras.initializers
    g = I.GlorotUniform(seed=3)((400, 300)).numpy()
    limit = np.sqrt(6 / 700)
    assert g.dtype == np.float32 and np.abs(g).max() <= limit and np.abs(g).max() > 0.9 * limit
    np.testing.assert_array_equal(g, I.GlorotUniform(seed=3)((400, 300)).numpy())
    assert not np.array_equal(g, I.GlorotUniform(seed=4)((400, 300)).numpy())
    h = I.get("he_normal")((1000, 200)).numpy()
    assert h.std() == pytest.approx(np.sqrt(2 / 1000), rel=0.05)
    assert I.HeUniform()((1000, 10)).numpy().max() <= np.sqrt(6 / 1000)
    t = I.TruncatedNormal(stddev=1.0, seed=0)((10000,)).numpy()
    assert np.abs(t).max() <= 2.0
    n = I.RandomNormal(mean=1.0, stddev=0.1, seed=1)((5000,)).numpy()
    assert n.mean() == pytest.approx(1.0, abs=0.01)
    u = I.RandomUniform(-1, 1, seed=1)((5000,)).numpy()
    assert u.min() >= -1 and u.max() <= 1
    q = I.Orthogonal(seed=0)((6, 4)).numpy()
    np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-5)
    np.testing.assert_array_equal(I.Constant(2.5)((2, 2)).numpy(), np.full((2, 2), 2.5))
    assert I.get("zeros")((3,)).numpy().sum() == 0 and I.get("ones")((3,)).numpy().sum() == 3
    with pytest.raises(ValueError, match="glorot_uniform"):
        I.get("glorot")


def test_activations_by_name():
    A = keras.activations
    x = tf.constant([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(A.get("relu")(x).numpy(), [0, 0, 2])
    np.testing.assert_allclose(A.get("linear")(x).numpy(), x.numpy())
    np.testing.assert_allclose(A.get("gelu")(x).numpy(), [-0.15865526, 0.0, 1.9544997],
                               rtol=1e-5)
    np.testing.assert_allclose(A.get("selu")(x).numpy(), [-1.1113307, 0.0, 2.101402],
                               rtol=1e-5)
    np.testing.assert_allclose(A.get("swish")(x).numpy(), A.get("silu")(x).numpy())
    np.testing.assert_allclose(A.get("softplus")(x).numpy(), np.log1p(np.exp([-1.0, 0, 2])),
                               rtol=1e-6)
    np.testing.assert_allclose(A.get("leaky_relu")(x).numpy(), [-0.2, 0, 2], rtol=1e-6)
    assert A.get(None) is A.linear and A.get(np.tanh) is np.tanh


def test_regularizers_and_constraints():
    w = tf.constant([[3.0, -4.0], [0.0, 1.0]])
    R = keras.regularizers
    assert float(R.l1(0.1)(w).numpy()) == pytest.approx(0.8)
    assert float(R.l2(0.1)(w).numpy()) == pytest.approx(2.6)
    assert float(R.l1_l2(l1=0.1, l2=0.1)(w).numpy()) == pytest.approx(3.4)
    C = keras.constraints
    np.testing.assert_allclose(C.NonNeg()(w).numpy(), [[3, 0], [0, 1]])
    clipped = C.MaxNorm(2.0)(w).numpy()
    np.testing.assert_allclose(np.linalg.norm(clipped, axis=0), [2.0, 2.0], rtol=1e-5)
    assert isinstance(C.get("max_norm"), C.MaxNorm)
    with pytest.raises(ValueError, match="l1"):
        R.get("l3")


def test_activity_losses_belong_to_their_own_outer_call():
    def model():
        return keras.Sequential([layers.Dense(2, kernel_initializer="ones",
                                              activity_regularizer=keras.regularizers.l1(1.0))])
    a, b = model(), model()
    a(np.ones((1, 3), "float32"))
    b(np.ones((1, 1), "float32"))
    assert [float(v.numpy()) for v in a.losses] == [6.0]  # b's call leaves a's losses alone
    assert [float(v.numpy()) for v in b.losses] == [2.0]
    a(np.zeros((1, 3), "float32"))
    assert [float(v.numpy()) for v in a.losses] == [0.0]


def test_forgetting_super_init_is_a_clear_error():
    class Broken(layers.Layer):
        def __init__(self):
            self.inner = layers.Dense(2)

    with pytest.raises(RuntimeError, match="super\\(\\).__init__"):
        Broken()(np.ones((1, 2), "float32"))


def test_normalization_adapted_in_keras_loads_and_saves_with_keras_weights(tmp_path):
    """``tests/fixtures/keras_normalization_adapted.keras`` was written by Keras 3.15 after
    ``adapt`` on ``x`` below (the audio tutorial's Resizing + Normalization): tapeflow
    reads its mean/variance/count weights and writes the same layout back."""
    x = (np.arange(2 * 5 * 6 * 1).reshape(2, 5, 6, 1) % 7).astype("float32")
    path = os.path.join(os.path.dirname(__file__), "..", "fixtures",
                        "keras_normalization_adapted.keras")
    model = keras.saving.load_model(path)
    norm = model.layers[1]
    np.testing.assert_allclose(norm.adapt_mean.numpy(), [x.mean()], rtol=1e-6)
    np.testing.assert_allclose(norm.adapt_variance.numpy(), [x.var()], rtol=1e-5)
    assert model.count_params() == 3
    resized = tf.image.resize(x, (4, 4)).numpy()
    want = ((resized - x.mean()) / np.sqrt(x.var())).reshape(2, -1)
    np.testing.assert_allclose(model(x).numpy(), want, rtol=1e-5, atol=1e-5)
    model.save(tmp_path / "again.keras")
    again = keras.saving.load_model(tmp_path / "again.keras")
    np.testing.assert_allclose(again(x).numpy(), want, rtol=1e-5, atol=1e-5)
