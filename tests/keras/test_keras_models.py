"""Models: the seed's subclassed Model and Sequential, the functional API with several
inputs and outputs, summary tables, weights files and configs."""
import json
import os

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras
from tapeflow.keras import layers

SEQ_SUMMARY = """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ flatten (Flatten)               │ (None, 784)            │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense (Dense)                   │ (None, 50)             │        39,250 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ re_lu (ReLU)                    │ (None, 50)             │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 10)             │           510 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 39,760 (155.31 KB)
 Trainable params: 39,760 (155.31 KB)
 Non-trainable params: 0 (0.00 B)"""


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.backend.clear_session()


def _seed_sequential():
    return keras.Sequential([layers.Flatten(), layers.Dense(50), layers.ReLU(),
                             layers.Dense(10, activation="softmax")])


def test_summary_matches_keras_table():
    model = _seed_sequential()
    model.build((None, 28, 28))
    lines = []
    model.summary(print_fn=lines.append)
    assert "\n".join(lines) == SEQ_SUMMARY


def test_sequential_builds_on_first_call_or_from_input_shape():
    model = _seed_sequential()
    assert not model.built and model.weights == []
    out = model(np.zeros((3, 28, 28)))
    assert out.shape == (3, 10) and model.built and len(model.trainable_variables) == 4
    eager = keras.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(2)])
    assert eager.built and eager.count_params() == 16 + 10
    via_input = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])
    assert via_input.built and via_input.layers[0].kernel.shape == (3, 2)


def test_sequential_add_pop_and_indexing():
    model = keras.Sequential()
    model.add(layers.Dense(4))
    model.add(layers.Dense(2, name="head"))
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dense"]
    assert model.layers[-1].name == "head" and model.get_layer("head") is model.layers[1]
    popped = model.pop()
    assert popped.name == "head" and len(model.layers) == 1
    with pytest.raises(ValueError, match="unique names"):
        model.add(layers.Dense(1, name=model.layers[0].name))
    with pytest.raises(ValueError, match="No such layer"):
        model.get_layer("nope")


def test_seed_subclassed_model_and_custom_loop():
    class Model(tf.keras.Model):
        def __init__(self, input_length, output_length):
            super(Model, self).__init__()  # noqa: UP008 - the seed's spelling
            self.layer1 = layers.Dense(50, input_shape=(input_length,), activation="relu")
            self.layer2 = layers.Dense(output_length, input_shape=(output_length,))

        def call(self, x):
            output1 = self.layer1(x)
            output2 = self.layer2(output1)
            return keras.activations.softmax(output2)

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 8)).astype("float32")
    labels = (x[:, 0] > 0).astype("int64") + 2 * (x[:, 1] > 0)
    y = tf.one_hot(labels, depth=4)
    model = Model(8, 4)
    assert model.name == "model"
    optimizer = tf.keras.optimizers.SGD(learning_rate=0.5)
    losses = []
    for _ in range(60):
        with tf.GradientTape() as tape:
            y_pred = model(x)
            loss = tf.reduce_mean(tf.keras.losses.categorical_crossentropy(y_true=y,
                                                                            y_pred=y_pred))
        gradient = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradient, model.trainable_variables))
        losses.append(float(loss.numpy()))
    assert len(model.trainable_variables) == 4
    assert losses[-1] < 0.5 * losses[0]
    lines = []
    model.summary(print_fn=lines.append)
    assert any("dense (Dense)" in line for line in lines)


def test_functional_multi_input_multi_output_and_shared_layer():
    a = keras.Input(shape=(4,), name="a")
    b = keras.Input(shape=(3,), name="b")
    shared = layers.Dense(5, name="shared")
    h = shared(a)
    joined = layers.Concatenate()([h, b])
    out1 = layers.Dense(2, name="out1")(joined)
    out2 = layers.Dense(1, name="out2")(shared(layers.Dense(4)(b)))
    model = keras.Model(inputs=[a, b], outputs=[out1, out2])
    assert isinstance(model, keras.Model) and model.name == "functional"
    assert model.output_names == ["out1", "out2"]
    xa, xb = np.ones((6, 4), "float32"), np.ones((6, 3), "float32")
    r1, r2 = model([xa, xb])
    assert r1.shape == (6, 2) and r2.shape == (6, 1)
    d1, d2 = model({"a": xa, "b": xb})
    np.testing.assert_allclose(d1.numpy(), r1.numpy())
    assert model.get_layer("shared") is shared
    assert sum(layer is shared for layer in model.layers) == 1
    names = [layer.name for layer in model.layers]
    assert names[:2] == ["a", "b"]
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Connected to" in text and "a[0][0]" in text
    with pytest.raises(ValueError, match="expects 2 input"):
        model(xa)


def test_functional_disconnected_graph_error():
    a = keras.Input(shape=(2,))
    b = keras.Input(shape=(2,))
    out = layers.Add()([a, b])
    with pytest.raises(ValueError, match="disconnected"):
        keras.Model(inputs=a, outputs=out)


def test_functional_trains_with_fit():
    inp = keras.Input(shape=(2,))
    out = layers.Dense(1)(layers.Dense(8, activation="tanh")(inp))
    model = keras.Model(inp, out)
    x = np.random.default_rng(1).uniform(-1, 1, size=(256, 2)).astype("float32")
    y = x[:, :1] * 2 - x[:, 1:]
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    hist = model.fit(x, y, epochs=30, batch_size=64, verbose=0)
    assert hist.history["loss"][-1] < 0.05 * hist.history["loss"][0]


def test_weights_file_roundtrip_is_plain_npz(tmp_path):
    model = _seed_sequential()
    model(np.zeros((1, 28, 28)))
    path = tmp_path / "w.weights.npz"
    model.save_weights(path)
    with np.load(path, allow_pickle=False) as data:
        assert len(data.files) == 4
    other = _seed_sequential()
    other(np.zeros((1, 28, 28)))
    other.load_weights(path)
    for p, q in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(p, q)
    assert [f for f in os.listdir(tmp_path) if f.startswith(".tmp")] == []


def test_sequential_config_roundtrip():
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(4, activation="relu"),
                              layers.Dropout(0.2), layers.Dense(1)])
    again = keras.Sequential.from_config(model.get_config())
    assert again.built and [type(x).__name__ for x in again.layers] == [
        "Dense", "Dropout", "Dense"]
    assert again.count_params() == model.count_params()


def test_functional_dicts_losses_and_metrics_match_keras():
    """Two inputs and two outputs fed by name, per-output losses, loss weights and metrics;
    numbers recorded from Keras 3 with the same weights and batches."""
    rng = np.random.default_rng(3)
    xa = rng.normal(size=(32, 4)).astype("float32")
    xb = rng.normal(size=(32, 3)).astype("float32")
    t1 = rng.normal(size=(32, 2)).astype("float32")
    t2 = rng.integers(0, 3, 32)
    a, b = keras.Input(shape=(4,), name="a"), keras.Input(shape=(3,), name="b")
    h = layers.Dense(6, activation="tanh", name="h")(layers.Concatenate()([a, b]))
    model = keras.Model([a, b], [layers.Dense(2, name="reg")(h),
                                 layers.Dense(3, activation="softmax", name="cls")(h)])
    model.set_weights([rng.normal(scale=0.4, size=w.shape).astype("float32")
                       for w in model.get_weights()])
    model.compile("sgd", loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
                  loss_weights={"reg": 0.5, "cls": 2.0},
                  metrics={"cls": ["accuracy"], "reg": ["mae"]})
    hist = model.fit({"a": xa, "b": xb}, {"reg": t1, "cls": t2}, batch_size=8, epochs=2,
                     shuffle=False, verbose=0)
    expected = {"cls_accuracy": [0.40625, 0.40625], "cls_loss": [1.10329, 1.09476],
                "loss": [3.11581, 3.07806], "reg_loss": [1.81844, 1.77707],
                "reg_mae": [1.08113, 1.06919]}
    assert list(hist.history) == list(expected)
    for key, values in expected.items():
        np.testing.assert_allclose(hist.history[key], values, atol=1e-5)
    logs = model.evaluate({"a": xa, "b": xb}, {"reg": t1, "cls": t2}, verbose=0,
                          return_dict=True)
    assert logs["loss"] == pytest.approx(3.0454566, rel=1e-5)
    preds = model.predict({"a": xa, "b": xb}, verbose=0)
    assert [p.shape for p in preds] == [(32, 2), (32, 3)]


def test_functional_config_roundtrip_through_json():
    a, b = keras.Input(shape=(4,), name="a"), keras.Input(shape=(3,), name="b")
    shared = layers.Dense(3, activation="relu", name="shared")
    out = layers.Add(name="sum")([shared(layers.Dense(3, name="pa")(a)),
                                  shared(layers.Dense(3, name="pb")(b))])
    model = keras.Model([a, b], [out, layers.Dense(1, name="head")(out)], name="twin")
    config = json.loads(json.dumps(model.get_config()))
    keras.backend.clear_session()
    again = keras.Model.from_config(config)
    assert again.name == "twin" and [x.name for x in again.layers] == [
        x.name for x in model.layers]
    again.set_weights(model.get_weights())
    xa, xb = np.random.rand(5, 4).astype("float32"), np.random.rand(5, 3).astype("float32")
    for p, q in zip(model.predict([xa, xb], verbose=0), again.predict([xa, xb], verbose=0)):
        np.testing.assert_allclose(p, q, rtol=1e-6)
    lam = keras.Input(shape=(2,))
    with_code = keras.Model(lam, layers.Lambda(lambda t: t * 2)(lam))
    with pytest.raises(ValueError, match="never loads code"):
        keras.Model.from_config(with_code.get_config())


def test_sequential_whose_first_layer_is_a_model_with_an_input_shape_is_built():
    """As in Keras 3 (the augmentation block of TF's image tutorial): a Sequential or
    functional model that knows its input shape, put first, builds the outer Sequential;
    one that does not leaves it unbuilt."""
    inner = tf.keras.Sequential([tf.keras.layers.RandomFlip("horizontal",
                                                            input_shape=(8, 8, 3))])
    outer = tf.keras.Sequential([inner, tf.keras.layers.Conv2D(4, 3),
                                 tf.keras.layers.Flatten(), tf.keras.layers.Dense(2)])
    assert outer.built and outer.count_params() == (27 * 4 + 4) + (36 * 4 * 2 + 2)
    assert outer.output_shape == (None, 2)
    inp = tf.keras.Input((4,))
    functional = tf.keras.Model(inp, tf.keras.layers.Dense(2)(inp))
    assert tf.keras.Sequential([functional, tf.keras.layers.Dense(3)]).count_params() == 19
    unknown = tf.keras.Sequential([tf.keras.layers.Dense(2)])
    assert not tf.keras.Sequential([unknown, tf.keras.layers.Dense(3)]).built
