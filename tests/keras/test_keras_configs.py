"""``get_config()`` of every Keras object equal to Keras 3.15.1's (under TF 2.21).

``keras_configs.json`` holds Keras's configs (as ``repr`` strings, so tuples, lists, key order
and int/float survive), written by ``record_keras_configs.py`` from the same constructor calls
these tests evaluate against tapeflow. Auto-generated names are compared without their
numeric suffix. The calls tapeflow does not match yet are listed in ``KNOWN`` with the reason;
they run as strict xfails, so one that starts matching fails until it leaves the list.
"""
import json
import os
import re
import warnings

import pytest

import tapeflow as tf

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "keras_configs.json")) as _f:
    FIXTURE = json.load(_f)
RECORDS = FIXTURE["records"]

# call -> why tapeflow's config still differs from Keras's
KNOWN = {
    "layers.Bidirectional(layers.LSTM(3))":
        "Keras renames the wrapped layers forward_<name>/backward_<name>",
    "layers.Bidirectional(layers.GRU(2, return_sequences=True), merge_mode='sum')":
        "Keras renames the wrapped layers and sets zero_output_for_mask",
    "layers.Discretization(num_bins=4)":
        "Keras writes dtype 'float32' (its input dtype) and no trainable; tapeflow's dtype is "
        "the int64 output",
    "layers.RandomCrop(4, 5)": "Keras draws a random seed when none is given",
    "layers.UpSampling2D(size=(2, 3), interpolation='bilinear')":
        "tapeflow's UpSampling2D has nearest interpolation only",
    "models.Sequential([layers.Input((3,)), layers.Dense(2), layers.Dropout(0.5)])":
        "Keras gives a built Dropout no build_config",
    "functional_dense": "tapeflow's functional get_config is its own node list (the .keras "
                        "file has Keras's form)",
    "functional_two_inputs": "as functional_dense",
}
# deliberate: Keras 3.15's Identity config is empty, losing the gain; tapeflow keeps it
KNOWN.update({call: "tapeflow's Identity config keeps its gain" for call in (
    "initializers.Identity()", "initializers.IdentityInitializer()", "initializers.identity()",
    "initializers.Identity(gain=0.5)")})

_NAME = re.compile(r"'name': '([A-Za-z0-9_]*?)_\d+'")


def _norm(text):
    """A config's repr with the numeric suffixes of generated names dropped."""
    return _NAME.sub(r"'name': '\1'", text)


def _scope():
    k = tf.keras
    return {"layers": k.layers, "optimizers": k.optimizers, "losses": k.losses,
            "metrics": k.metrics, "initializers": k.initializers,
            "regularizers": k.regularizers, "constraints": k.constraints,
            "models": k.models, "activations": k.activations}


def _build(call):
    tf.keras.backend.clear_session()
    rec = RECORDS[call]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if "source" in rec:
            env = _scope()
            exec(rec["source"], env)
            return env["model"]
        return eval(call, _scope())


def _params():
    out = []
    for call in RECORDS:
        marks = [pytest.mark.xfail(reason=KNOWN[call], strict=True)] if call in KNOWN else []
        out.append(pytest.param(call, marks=marks, id=call[:90]))
    return out


def test_fixture_covers_every_namespace():
    assert FIXTURE["keras"] == "3.15.1"
    assert all("config" in rec for rec in RECORDS.values())
    prefixes = {call.split("(")[0].rsplit(".", 1)[0] for call in RECORDS}
    assert {"layers", "optimizers", "losses", "metrics", "initializers", "regularizers",
            "constraints", "optimizers.schedules", "models"} <= prefixes
    assert len(RECORDS) > 380


@pytest.mark.parametrize("call", _params())
def test_config_equals_keras(call):
    got = repr(_build(call).get_config())
    assert _norm(got) == _norm(RECORDS[call]["config"])


@pytest.mark.parametrize("call", [c for c in RECORDS if c not in KNOWN])
def test_from_config_round_trips(call):
    obj = _build(call)
    config = obj.get_config()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = type(obj).from_config(config)
    assert repr(again.get_config()) == repr(config)


def test_examples_from_the_brief():
    tf.keras.backend.clear_session()
    dense = tf.keras.layers.Dense(2).get_config()
    assert dense["dtype"] == {"module": "keras", "class_name": "DTypePolicy",
                              "config": {"name": "float32"}, "registered_name": None}
    assert "activity_regularizer" not in dense and dense["quantization_config"] is None
    assert dense["kernel_initializer"]["config"] == {"seed": None, "input_axes": None,
                                                     "output_axes": None}
    assert tf.keras.optimizers.SGD().get_config()["name"] == "sgd"
    assert tf.keras.optimizers.RMSprop().get_config()["name"] == "rm_sprop"
    assert tf.keras.layers.Flatten().get_config()["data_format"] == "channels_last"
    assert tf.keras.layers.Dense(2, dtype="mixed_float16").get_config()["dtype"]["config"] == \
        {"name": "mixed_float16"}


def test_variance_scaling_fan_axes():
    # Keras 3.15: input_axes/output_axes pick the kernel axes whose sizes make the fans
    init = tf.keras.initializers.VarianceScaling(distribution="uniform", seed=1,
                                                 input_axes=(0,), output_axes=(1, 2))
    v = init((4, 5, 6)).numpy()
    assert abs(v).max() <= (3 / 4) ** 0.5 and abs(v).max() > (3 / 20) ** 0.5


def test_keras_file_round_trip(tmp_path):
    tf.keras.backend.clear_session()
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(
        2, kernel_regularizer=tf.keras.regularizers.L1(0.1), kernel_initializer="he_normal"),
        tf.keras.layers.Dropout(0.5)])
    model.compile(optimizer=tf.keras.optimizers.Adam(
        tf.keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)), loss="mse")
    path = str(tmp_path / "m.keras")
    model.save(path)
    back = tf.keras.models.load_model(path)
    assert _norm(repr(back.get_config())) == _norm(repr(model.get_config()))
    assert back.optimizer.get_config() == model.optimizer.get_config()
