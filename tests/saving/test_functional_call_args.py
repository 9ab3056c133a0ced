"""Functional models whose layers take several tensors or call arguments: positional and
keyword tensors (``MultiHeadAttention(query, value, key)``, ``value=h``,
``attention_mask=m``), ``training=False``; recorded in the node, in ``get_config()`` and in
the ``.keras`` file as Keras 3 writes them (``"args": [...], "kwargs": {...}``)."""
import json
import os
import subprocess
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


def _seq2seq():
    """Keyword tensor lists (``initial_state=[h, c]``), a second positional tensor,
    ``return_attention_scores`` (two outputs), list inputs and masks from Embedding."""
    enc, dec = keras.Input((5, 3), name="enc"), keras.Input((4, 3), name="dec")
    _, h, c = L.LSTM(6, return_state=True)(enc)
    seq = L.LSTM(6, return_sequences=True)(dec, initial_state=[h, c])
    o, scores = L.MultiHeadAttention(2, 3)(seq, enc, return_attention_scores=True)
    g = L.GRU(4)(L.Attention()([seq, o]))
    tok = keras.Input((6,), dtype="int32", name="tok")
    r = L.LSTM(2)(L.Embedding(10, 3, mask_zero=True)(tok))
    out = L.Concatenate()([g, r, L.Flatten()(scores)])
    return keras.Model([enc, dec, tok], out)


SEQ_INPUTS = [np.random.default_rng(1).normal(size=(2, 5, 3)).astype("float32"),
              np.random.default_rng(2).normal(size=(2, 4, 3)).astype("float32"),
              np.array([[1, 2, 3, 0, 0, 0], [4, 5, 0, 0, 0, 0]], "int32")]
KERAS_PYTHON = os.environ.get("TAPEFLOW_KERAS_PYTHON", "/work/tfenv/bin/python")


def test_encoder_decoder_with_keyword_state_round_trips(tmp_path):
    model = _seq2seq()
    want = model.predict(SEQ_INPUTS, verbose=0)
    assert want.shape == (2, 4 + 2 + 2 * 4 * 5)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(SEQ_INPUTS, verbose=0), want, rtol=1e-6)
    config = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))
    lstm = [spec for spec in config["config"]["layers"] if spec["class_name"] == "LSTM"][1]
    state = lstm["inbound_nodes"][0]["kwargs"]["initial_state"]
    assert [s["config"]["keras_history"][2] for s in state] == [1, 2]


@pytest.mark.skipif(not os.path.exists(KERAS_PYTHON),
                    reason="no Python with TensorFlow/Keras 3 for the parity check")
def test_real_keras_loads_the_encoder_decoder(tmp_path):
    model = _seq2seq()
    model.save(tmp_path / "m.keras")
    for i, x in enumerate(SEQ_INPUTS):
        np.save(tmp_path / f"x{i}.npy", x)
    script = (
        "import os, sys; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
        "import keras, numpy as np\n"
        "d = sys.argv[1]\n"
        "m = keras.models.load_model(f'{d}/m.keras')\n"
        "xs = [np.load(f'{d}/x{i}.npy') for i in range(3)]\n"
        "np.save(f'{d}/out.npy', m.predict(xs, verbose=0))\n")
    run = subprocess.run([KERAS_PYTHON, "-c", script, str(tmp_path)], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"),
                               model.predict(SEQ_INPUTS, verbose=0), rtol=1e-5, atol=1e-6)


def _order_graphs():
    def two_inputs():
        a, b = keras.Input((3,), name="a"), keras.Input((4,), name="b")
        out = L.Add(name="add")([L.Dense(4, name="d1")(a), b])
        return keras.Model([a, b], L.Dense(1, name="d2")(out))

    def shared():
        a = keras.Input((3,), name="a")
        s = L.Dense(3, name="shared")
        x = s(a)
        z = s(L.Dense(3, name="mid")(x))
        return keras.Model(a, L.Concatenate(name="cat")([z, L.Dense(3, name="side")(a), x]))

    def keyword_tensors():
        q, v = keras.Input((4, 6), name="q"), keras.Input((5, 6), name="v")
        o = L.MultiHeadAttention(1, 2, name="mha")(q, value=L.Dense(6, name="vp")(v),
                                                   key=L.Dense(6, name="kp")(v))
        return keras.Model([q, v], o)

    return [two_inputs, shared, keyword_tensors]


# what Keras 3.15's model.layers lists for the same graphs
KERAS_ORDER = [["a", "d1", "b", "add", "d2"], ["a", "shared", "mid", "side", "cat"],
               ["v", "q", "kp", "vp", "mha"]]


@pytest.mark.parametrize("i", range(3))
def test_functional_layers_are_in_keras3_order(i):
    assert [layer.name for layer in _order_graphs()[i]().layers] == KERAS_ORDER[i]
