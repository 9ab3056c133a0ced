"""Functional models whose layers take several tensors or call arguments: positional and
keyword tensors (``MultiHeadAttention(query, value, key)``, ``value=h``,
``attention_mask=m``), ``training=False``; recorded in the node, in ``get_config()`` and in
the ``.keras`` file as Keras 3 writes them (``"args": [...], "kwargs": {...}``)."""
import json
import zipfile

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.keras.saving._keras_file import model_from_config

keras = tf.keras
L = keras.layers
X = np.random.default_rng(0).normal(size=(3, 4, 6)).astype("float32")


def _mha_model(kind):
    inp = keras.Input((4, 6), name="x")
    mha = L.MultiHeadAttention(2, 3, name="mha")
    if kind == "positional":
        out = mha(inp, inp)
    elif kind == "three":
        h = L.Dense(6, name="k")(inp)
        out = mha(inp, inp, h)
    elif kind == "keyword":
        out = mha(inp, value=inp, training=False)
    else:  # an attention mask as a keyword tensor, itself computed in the graph
        mask = keras.Input((4, 4), name="m")
        out = mha(query=inp, value=inp, attention_mask=mask)
        return keras.Model([inp, mask], out)
    return keras.Model(inp, out)


def _feed(model):
    if len(model.inputs) == 2:
        m = np.tril(np.ones((3, 4, 4), "float32"))
        return [X, m]
    return X


@pytest.mark.parametrize("kind", ["positional", "three", "keyword", "mask"])
def test_multi_head_attention_in_the_functional_api(kind, tmp_path):
    model = _mha_model(kind)
    assert model.output_shape == (None, 4, 6)
    data = _feed(model)
    want = model.predict(data, verbose=0)
    layer = model.get_layer("mha")
    # the same layer called eagerly on the same tensors gives the same values
    eager = {"positional": lambda: layer(X, X),
             "three": lambda: layer(X, X, model.get_layer("k")(X)),
             "keyword": lambda: layer(X, value=X),
             "mask": lambda: layer(X, value=X, attention_mask=data[1])}[kind]()
    np.testing.assert_allclose(want, eager.numpy(), rtol=1e-6)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(data, verbose=0), want, rtol=1e-6)
    again = keras.Model.from_config(model.get_config())
    again.set_weights(model.get_weights())
    np.testing.assert_allclose(again.predict(data, verbose=0), want, rtol=1e-6)


def test_call_arguments_are_written_as_keras3_does(tmp_path):
    model = _mha_model("keyword")
    model.save(tmp_path / "m.keras")
    config = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))
    (node,) = next(l for l in config["config"]["layers"] if l["name"] == "mha")["inbound_nodes"]
    assert [a["config"]["keras_history"] for a in node["args"]] == [["x", 0, 0]]
    assert node["kwargs"]["training"] is False
    assert node["kwargs"]["value"]["class_name"] == "__keras_tensor__"
    assert node["kwargs"]["value"]["config"]["keras_history"] == ["x", 0, 0]
    assert node["kwargs"]["value"]["config"]["shape"] == [None, 4, 6]


def test_recorded_training_false_is_applied_and_fit_overrides_it():
    inp = keras.Input((3,))
    out = L.Dropout(0.999, seed=1)(inp, training=True)
    model = keras.Model(inp, out)
    x = np.ones((2, 3), "float32")
    assert np.count_nonzero(model(x).numpy()) < 6  # recorded training=True applies
    np.testing.assert_array_equal(model(x, training=False).numpy(), x)  # the caller's wins
    node = model.get_config()["nodes"][1]
    assert node["kwargs"] == {"training": True}


def test_keras3_node_records_with_mask_none_and_training_load():
    """A config as Keras 3 writes it: ``mask: null`` after BatchNormalization and a
    wrapper (whose tapeflow call has no ``mask``), ``training: false``."""
    def kt(name, shape):
        return {"class_name": "__keras_tensor__", "config": {
            "shape": shape, "dtype": "float32", "keras_history": [name, 0, 0]}}

    layers = [
        {"class_name": "InputLayer", "name": "x", "inbound_nodes": [],
         "config": {"batch_shape": [None, 4, 6], "dtype": "float32", "name": "x"}},
        {"class_name": "BatchNormalization", "name": "bn", "config": {"name": "bn"},
         "inbound_nodes": [{"args": [kt("x", [None, 4, 6])],
                            "kwargs": {"training": False, "mask": None}}]},
        {"class_name": "TimeDistributed", "name": "td",
         "config": {"name": "td", "layer": {"class_name": "Dense",
                                            "config": {"name": "d", "units": 2}}},
         "inbound_nodes": [{"args": [kt("bn", [None, 4, 6])], "kwargs": {"mask": None}}]},
        {"class_name": "MultiHeadAttention", "name": "mha",
         "config": {"name": "mha", "num_heads": 1, "key_dim": 2},
         "inbound_nodes": [{"args": [kt("td", [None, 4, 2]), kt("bn", [None, 4, 6])],
                            "kwargs": {"key": kt("x", [None, 4, 6])}}]}]
    spec = {"class_name": "Functional", "config": {
        "name": "f", "trainable": True, "layers": layers,
        "input_layers": ["x", 0, 0], "output_layers": ["mha", 0, 0]}}
    model = model_from_config(json.loads(json.dumps(spec)))
    out = model.predict(X, verbose=0)
    assert out.shape == (3, 4, 2)
    node = model.get_config()["nodes"][-1]
    assert node["args"] == [{"__tensor__": "1:0"}] and node["kwargs"] == {
        "key": {"__tensor__": "0:0"}}


def test_unserializable_call_argument_is_a_clear_error():
    inp = keras.Input((4, 6))
    out = L.MultiHeadAttention(1, 2)(inp, inp, attention_mask=np.ones((1, 4, 4), bool))
    model = keras.Model(inp, out)
    with pytest.raises(NotImplementedError, match="cannot hold"):
        model.get_config()
