"""Files written by real Keras 3.15 (``data/keras3/``, made by
``data/make_keras3_fixtures.py``) load in tapeflow with the predictions Keras recorded, for
each layer family; tapeflow's own files of the same architectures carry what Keras 3 needs
(``module``/``registered_name`` on nested configs, ``build_config`` shapes). The parity
test at the end has real Keras load tapeflow's files (skipped when TensorFlow is absent)."""
import json
import os
import subprocess
import sys
import textwrap
import zipfile

import keras3_families as fam
import numpy as np
import pytest

import tapeflow as tf

keras = tf.keras
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data", "keras3")
KERAS_PYTHON = os.environ.get("TAPEFLOW_KERAS_PYTHON", "/work/tfenv/bin/python")
MODERN = [n for n in fam.FAMILIES if n != "legacy_h5"]

pytest.importorskip("h5py")
fam.net_class(keras)  # registers keras3_fixtures>Net in tapeflow


def _expected(name):
    with open(os.path.join(DATA, "expected.json")) as f:
        rec = json.load(f)[name]
    return np.asarray(rec["data"], "float32").reshape(rec["shape"])


@pytest.mark.parametrize("name", MODERN)
def test_keras3_model_file_loads_with_recorded_predictions(name):
    model = keras.models.load_model(os.path.join(DATA, f"{name}.keras"))
    got = model.predict(fam.INPUTS[name], verbose=0)
    np.testing.assert_allclose(got, _expected(name), rtol=1e-5, atol=1e-6)
    assert model.optimizer is not None and int(model.optimizer.iterations.numpy()) == 4


@pytest.mark.parametrize("name", MODERN)
def test_keras3_weights_file_loads_into_the_same_architecture(name):
    model = fam.FAMILIES[name](keras)
    model.load_weights(os.path.join(DATA, f"{name}.weights.h5"))
    got = model.predict(fam.INPUTS[name], verbose=0)
    np.testing.assert_allclose(got, _expected(name), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", MODERN)
def test_load_weights_reads_the_weights_inside_a_keras_file(name):
    model = fam.FAMILIES[name](keras)
    model.load_weights(os.path.join(DATA, f"{name}.keras"))
    got = model.predict(fam.INPUTS[name], verbose=0)
    np.testing.assert_allclose(got, _expected(name), rtol=1e-5, atol=1e-6)


def test_keras3_legacy_h5_model_loads():
    path = os.path.join(DATA, "legacy_h5.h5")
    model = keras.models.load_model(path)
    got = model.predict(fam.INPUTS["legacy_h5"], verbose=0)
    np.testing.assert_allclose(got, _expected("legacy_h5"), rtol=1e-5, atol=1e-6)
    again = fam.FAMILIES["legacy_h5"](keras)  # and load_weights of the same file
    again.load_weights(path)
    np.testing.assert_allclose(again.predict(fam.INPUTS["legacy_h5"], verbose=0),
                               _expected("legacy_h5"), rtol=1e-5, atol=1e-6)


def _config(path):
    with zipfile.ZipFile(path) as z:
        return json.loads(z.read("config.json"))


def _objects(obj, out):
    if isinstance(obj, dict):
        if isinstance(obj.get("class_name"), str) and isinstance(obj.get("config"), dict) \
                and obj["class_name"] != "__keras_tensor__":
            out.append(obj)
        for v in obj.values():
            _objects(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _objects(v, out)
    return out


@pytest.mark.parametrize("name", ["bidirectional", "nested", "time_distributed"])
def test_nested_configs_carry_module_and_registered_name(name, tmp_path):
    model = fam.FAMILIES[name](keras)
    model.save(tmp_path / "m.keras")
    objects = _objects(_config(tmp_path / "m.keras"), [])
    assert len(objects) > 3
    for obj in objects:
        assert "module" in obj and "registered_name" in obj, obj["class_name"]
    modules = {o["class_name"]: o["module"] for o in objects}
    assert modules.get("Dense") == "keras.layers"
    assert modules.get("GlorotUniform") == "keras.initializers"
    if name == "nested":
        assert modules["Sequential"] == "keras"


def test_subclassed_model_writes_the_shape_it_was_called_with(tmp_path):
    model = fam.FAMILIES["subclassed"](keras)
    model.save(tmp_path / "m.keras")
    spec = _config(tmp_path / "m.keras")
    assert spec["build_config"] == {"input_shape": [4, 5]}
    assert spec["registered_name"] == "keras3_fixtures>Net"
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(fam.INPUTS["subclassed"], verbose=0),
                               model.predict(fam.INPUTS["subclassed"], verbose=0), rtol=1e-6)


def test_batch_normalization_takes_keras3_renorm_keys_at_their_defaults():
    layer = keras.layers.BatchNormalization(renorm=False, renorm_clipping=None,
                                            renorm_momentum=0.99)
    config = layer.get_config()
    assert (config["renorm"], config["renorm_clipping"], config["renorm_momentum"]) == (
        False, None, 0.99)
    with pytest.raises(ValueError, match="renorm=True"):
        keras.layers.BatchNormalization(renorm=True)
    with pytest.raises(ValueError, match="use_gate"):
        keras.layers.MultiHeadAttention(2, 3, use_gate=True)
    mha = keras.layers.MultiHeadAttention(1, 2, attention_axes=[2])
    x = np.zeros((1, 3, 4, 2), "float32")
    with pytest.raises(NotImplementedError, match="attention_axes"):
        mha(x, x)


def test_register_keras_serializable_in_keras_utils():
    assert keras.utils.register_keras_serializable is \
        keras.saving.register_keras_serializable
    assert keras.utils.get_registered_name(fam.net_class(keras)) == "keras3_fixtures>Net"


PARITY = textwrap.dedent("""
    import json, os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    sys.path.insert(0, sys.argv[2])
    import keras, numpy as np
    import keras3_families as fam
    fam.net_class(keras)
    d, out = sys.argv[1], {}
    for name in sys.argv[3:]:
        m = keras.models.load_model(f"{d}/{name}.keras")
        out[name + ".keras"] = np.asarray(m.predict(fam.INPUTS[name], verbose=0)).tolist()
        out[name + ".iterations"] = int(m.optimizer.iterations.numpy())
        m = fam.FAMILIES[name](keras)
        m.load_weights(f"{d}/{name}.weights.h5")
        out[name + ".weights.h5"] = np.asarray(m.predict(fam.INPUTS[name], verbose=0)).tolist()
    json.dump(out, open(f"{d}/keras.json", "w"))
""")


@pytest.mark.skipif(not os.path.exists(KERAS_PYTHON),
                    reason="no Python with TensorFlow/Keras 3 for the parity check")
def test_real_keras_loads_tapeflow_files_of_every_family(tmp_path):
    ours = {}
    for name in MODERN:
        model = fam.train(keras, name, fam.FAMILIES[name](keras))
        model.save(tmp_path / f"{name}.keras")
        model.save_weights(tmp_path / f"{name}.weights.h5")
        ours[name] = model.predict(fam.INPUTS[name], verbose=0)
    run = subprocess.run([KERAS_PYTHON, "-c", PARITY, str(tmp_path), HERE, *MODERN],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    with open(tmp_path / "keras.json") as f:
        theirs = json.load(f)
    assert len(theirs) == 3 * len(MODERN)
    for name in MODERN:  # the optimizer state came along: 2 epochs of 2 steps
        assert theirs.pop(name + ".iterations") == 4, name
    for key, got in theirs.items():
        np.testing.assert_allclose(np.asarray(got, "float32"), ours[key.split(".")[0]],
                                   rtol=1e-5, atol=1e-6, err_msg=key)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
