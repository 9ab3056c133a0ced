"""Every layer config Keras 3.15 writes (``data/keras3/layer_configs.json``, made by
``data/make_keras3_layer_configs.py`` from a built layer of each class tapeflow has) is
accepted by tapeflow, and the options tapeflow writes back agree with Keras's."""
import json
import os

import pytest

import tapeflow as tf  # noqa: F401 - registers the layers
from tapeflow.keras import _registry
from tapeflow.keras.saving._keras_file import _keras_tree, _plain

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "keras3",
                    "layer_configs.json")
with open(PATH) as f:
    CONFIGS = json.load(f)["layers"]


def _norm(v):
    if isinstance(v, (list, tuple)):
        return [_norm(x) for x in v]
    if isinstance(v, dict) and "class_name" in v:  # nested objects: compare their class
        return v["class_name"]
    return v


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_keras3_layer_config_is_accepted(name):
    spec = CONFIGS[name]
    layer = _registry.deserialize("layer", _plain(spec))
    assert _registry.serialize(layer)["class_name"] == name
    ours = layer.get_config()
    theirs = spec["config"]
    differ = {k: (ours[k], theirs[k]) for k in ours if k in theirs and k not in (
        "name", "dtype") and not isinstance(theirs[k], dict)
        and _norm(ours[k]) != _norm(theirs[k])}
    assert not differ, differ
    tree = _keras_tree({"layer": {"class_name": name, "config": ours}})["layer"]
    assert tree["module"] == spec["module"] and tree["registered_name"] is None


def test_all_of_tapeflows_layer_classes_are_covered():
    skip = {"Functional", "Model", "Sequential", "Layer", "InputLayer", "Lambda",
            "Normalization", "GRUCell", "LSTMCell", "SimpleRNNCell", "StackedRNNCells",
            "GroupedQueryAttention"}  # Keras writes it as GroupQueryAttention
    assert set(_registry.names("layer")) - skip <= set(CONFIGS)
