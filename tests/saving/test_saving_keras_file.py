"""Whole models in ``.keras`` zips: Sequential, functional and subclassed models, compile and
optimizer state, and files that must never run code."""
import json
import os
import zipfile

import keras_models
import numpy as np
import pytest

import tapeflow as tf
from tapeflow.keras.saving import _keras_file

keras = tf.keras
X, Y = keras_models.X, keras_models.Y2


def _fit(model, epochs=2):
    model.fit(X, Y, batch_size=5, epochs=epochs, shuffle=False, verbose=0)


@pytest.mark.parametrize("kind", ["sequential", "functional", "mlp"])
def test_sequential_and_functional_roundtrip_with_optimizer_state(tmp_path, kind):
    model = keras_models.BUILDERS.get(kind, getattr(keras_models, kind))(keras)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    _fit(model)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded) is type(model)
    assert [type(x).__name__ for x in loaded.layers] == [type(x).__name__ for x in model.layers]
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    assert isinstance(loaded.optimizer, keras.optimizers.Adam)
    assert int(loaded.optimizer.iterations.numpy()) == 2
    assert loaded.optimizer.learning_rate.numpy() == pytest.approx(0.01)
    if kind == "mlp":  # no dropout: the continued training is deterministic
        _fit(model)
        _fit(loaded)
        for a, b in zip(model.get_weights(), loaded.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-6)
        assert set(loaded.evaluate(X, Y, verbose=0, return_dict=True)) == {"loss", "mae"}


def test_keras_zip_layout(tmp_path):
    model = keras_models.mlp(keras)
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        names = set(z.namelist())
        config = json.loads(z.read("config.json"))
        metadata = json.loads(z.read("metadata.json"))
    weights = {"model.weights.h5", "model.weights.safetensors"} & names
    assert names == {"config.json", "metadata.json"} | weights and len(weights) == 1
    assert config["class_name"] == "Sequential"
    assert config["compile_config"]["loss"] == "mse"
    assert config["compile_config"]["optimizer"]["class_name"] == "SGD"
    assert metadata["keras_version"].startswith("3.")


def test_without_h5py_the_weights_go_in_safetensors(tmp_path, monkeypatch):
    monkeypatch.setattr(_keras_file, "_has_h5py", lambda: False)
    model = keras_models.functional(keras)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        assert "model.weights.safetensors" in z.namelist()
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


@keras.saving.register_keras_serializable(package="tests")
class Scaled(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones",
                                     name="scale")

    def call(self, x):
        return x * self.scale * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="tests")
class Registered(keras.Model):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.body = keras.layers.Dense(units, activation="relu")
        self.head = [Scaled(0.5), keras.layers.Dense(2)]

    def call(self, x):
        x = self.body(x)
        for layer in self.head:
            x = layer(x)
        return x

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class NotRegistered(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(2)

    def call(self, x):
        return self.dense(x)


def test_registered_subclassed_model_roundtrip_and_resumes(tmp_path):
    model = Registered(units=5)
    model.compile(optimizer=keras.optimizers.RMSprop(0.01, momentum=0.3), loss="mse")
    _fit(model)
    model.save(tmp_path / "r.keras")
    loaded = keras.models.load_model(tmp_path / "r.keras")
    assert isinstance(loaded, Registered) and loaded.units == 5
    assert loaded.head[0].factor == 0.5
    out = loaded.predict(X, verbose=0)  # the first call creates and then loads the weights
    np.testing.assert_allclose(out, model.predict(X, verbose=0), rtol=1e-6)
    _fit(model)
    _fit(loaded)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_unregistered_subclass_needs_custom_objects(tmp_path):
    model = NotRegistered()
    model(X)
    model.save(tmp_path / "n.keras")
    with pytest.raises(ValueError, match="unknown model class 'NotRegistered'.*custom_objects"):
        keras.models.load_model(tmp_path / "n.keras")
    loaded = keras.models.load_model(tmp_path / "n.keras",
                                     custom_objects={"NotRegistered": NotRegistered})
    np.testing.assert_allclose(loaded(X).numpy(), model(X).numpy())


def test_sequential_with_registered_custom_layer(tmp_path):
    model = keras.Sequential([keras.Input((3,)), Scaled(3.0), keras.layers.Dense(1)])
    model.layers[0].scale.assign([1.0, 2.0, 3.0])
    model.save(tmp_path / "s.keras")
    loaded = keras.models.load_model(tmp_path / "s.keras")
    np.testing.assert_array_equal(loaded.layers[0].scale.numpy(), [1.0, 2.0, 3.0])
    assert loaded.layers[0].factor == 3.0


def test_compile_false_and_uncompiled_models(tmp_path):
    model = keras_models.mlp(keras)
    model.compile(optimizer="adam", loss="mse")
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", compile=False)
    assert loaded.optimizer is None and not loaded.compiled
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_lambda_layer_refuses_to_save(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda x: x * 2)])
    with pytest.raises(ValueError, match="Lambda layer.*Python code"):
        model.save(tmp_path / "l.keras")
    assert not (tmp_path / "l.keras").exists()


def _write_keras_zip(path, config, extra=None):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.0.0"}))
        z.writestr("config.json", json.dumps(config))
        for name, data in (extra or {}).items():
            z.writestr(name, data)


@pytest.mark.parametrize("config", [
    {"module": "os", "class_name": "system", "config": {"command": "touch {marker}"}},
    {"module": "builtins", "class_name": "eval", "registered_name": "eval",
     "config": "open('{marker}', 'w')"},
    {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"module": "os", "class_name": "system", "config": "touch {marker}"}]}},
    {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"module": "subprocess", "class_name": "Popen", "registered_name": "Popen",
         "config": {"args": ["touch", "{marker}"]}}]}},
], ids=["os.system", "eval", "layer-os.system", "layer-subprocess"])
def test_malicious_configs_fail_clearly_and_run_nothing(tmp_path, config):
    marker = tmp_path / "pwned"
    text = json.dumps(config).replace("{marker}", str(marker))
    path = tmp_path / "evil.keras"
    _write_keras_zip(path, json.loads(text))
    with pytest.raises(ValueError, match=r"unknown model class|Could not locate class") as err:
        keras.models.load_model(path)
    assert "system" in str(err.value) or "eval" in str(err.value) or "Popen" in str(err.value)
    assert not marker.exists()


def test_path_traversal_zip_is_refused(tmp_path):
    model = keras_models.mlp(keras)
    model.save(tmp_path / "ok.keras")
    with zipfile.ZipFile(tmp_path / "ok.keras") as z:
        config = json.loads(z.read("config.json"))
    path = tmp_path / "sub" / "evil.keras"
    path.parent.mkdir()
    _write_keras_zip(path, config, {"../escape.txt": "x"})
    with pytest.raises(ValueError, match="unsafe member paths.*escape"):
        keras.models.load_model(path)
    assert not (tmp_path / "escape.txt").exists()


def test_truncated_and_non_zip_files_name_the_file(tmp_path):
    model = keras_models.mlp(keras)
    model.save(tmp_path / "m.keras")
    blob = (tmp_path / "m.keras").read_bytes()
    (tmp_path / "t.keras").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match="t.keras.*not a valid .keras file"):
        keras.models.load_model(tmp_path / "t.keras")
    (tmp_path / "j.keras").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="j.keras"):
        keras.models.load_model(tmp_path / "j.keras")
    with pytest.raises(ValueError, match=r"\.keras"):
        keras.models.load_model(tmp_path / "m.pkl")
    with pytest.raises(FileNotFoundError, match="m.h5"):  # legacy .h5 is read when present
        keras.models.load_model(tmp_path / "m.h5")


def test_failed_save_leaves_the_previous_model_intact(tmp_path, monkeypatch):
    model = keras_models.mlp(keras)
    model.save(tmp_path / "m.keras")
    before = (tmp_path / "m.keras").read_bytes()

    class Exploding(zipfile.ZipFile):
        def writestr(self, name, data, *args, **kwargs):
            super().writestr(name, data, *args, **kwargs)
            if name == "config.json":
                raise OSError(28, "No space left on device")

    monkeypatch.setattr(_keras_file.zipfile, "ZipFile", Exploding)
    with pytest.raises(OSError, match="No space"):
        keras_models.mlp(keras).save(tmp_path / "m.keras")
    monkeypatch.undo()
    assert (tmp_path / "m.keras").read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m.keras"]
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_model_checkpoint_writes_keras_files_and_weights(tmp_path):
    model = keras_models.mlp(keras)
    model.compile(optimizer="adam", loss="mse")
    cbs = [keras.callbacks.ModelCheckpoint(str(tmp_path / "e{epoch}.keras")),
           keras.callbacks.ModelCheckpoint(str(tmp_path / "best.weights.h5"), monitor="loss",
                                           save_best_only=True, save_weights_only=True)]
    if not _has("h5py"):
        cbs[1] = keras.callbacks.ModelCheckpoint(str(tmp_path / "best.safetensors"),
                                                 monitor="loss", save_best_only=True)
    model.fit(X, Y, epochs=2, verbose=0, callbacks=cbs)
    names = sorted(os.listdir(tmp_path))
    assert names[:2] == ["best.safetensors" if not _has("h5py") else "best.weights.h5",
                         "e1.keras"] and names[2:] == ["e2.keras"]
    loaded = keras.models.load_model(tmp_path / "e2.keras")
    assert int(loaded.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy())


def _has(module):
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def test_overwrite_false_and_bad_extension(tmp_path):
    model = keras_models.mlp(keras)
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "m.keras", overwrite=False)
    with pytest.raises(ValueError, match=r"\.keras"):
        model.save(tmp_path / "m.h5")


# -- .keras files written by real Keras 3 (generated by keras_models.py) -------------------------
DATA = os.path.join(os.path.dirname(__file__), "data")


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_loads_keras3_model_files(kind):
    pytest.importorskip("h5py")
    expected = keras_models.load_expected()
    model = keras.models.load_model(os.path.join(DATA, f"keras3_{kind}.keras"))
    assert type(model).__name__ == {"sequential": "Sequential", "functional": "Functional"}[kind]
    np.testing.assert_allclose(model.predict(expected["x"], verbose=0), expected[kind],
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("opt", sorted(keras_models.OPTIMIZERS))
def test_keras3_model_file_resumes_on_keras_trajectory(opt):
    pytest.importorskip("h5py")
    expected = keras_models.load_expected()
    model = keras.models.load_model(os.path.join(DATA, f"keras3_{opt}_trained.keras"))
    assert int(model.optimizer.iterations.numpy()) == 2
    model.fit(expected["x"], expected["y"], batch_size=5, epochs=1, shuffle=False, verbose=0)
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, expected[f"{opt}_next_{i}"], rtol=1e-5, atol=1e-6)


def test_model_checkpoint_every_n_batches_counts_across_epochs(tmp_path):
    # Keras 3 with 10 batches an epoch and save_freq=3 writes w1-3, w1-6, w1-9, w2-2, ...
    model = keras_models.mlp(keras)
    model.compile(optimizer="sgd", loss="mse")
    cb = keras.callbacks.ModelCheckpoint(str(tmp_path / "w{epoch}-{batch}.safetensors"),
                                         save_weights_only=True, save_freq=3)
    x, y = np.ones((20, 3), "float32"), np.ones((20, 2), "float32")
    model.fit(x, y, batch_size=2, epochs=2, verbose=0, callbacks=[cb])
    assert sorted(os.listdir(tmp_path)) == sorted(
        f"w{e}-{b}.safetensors" for e, b in [(1, 3), (1, 6), (1, 9), (2, 2), (2, 5), (2, 8)])
    other = keras_models.mlp(keras)
    other.load_weights(tmp_path / "w2-8.safetensors")
    assert not np.array_equal(other.get_weights()[0], model.get_weights()[0])  # 2 steps ago
    best = keras.callbacks.ModelCheckpoint(str(tmp_path / "b{epoch}.keras"), monitor="loss",
                                           save_best_only=True, save_freq=4)
    model.fit(x, y, batch_size=2, epochs=1, verbose=0, callbacks=[best])
    assert "b1.keras" in os.listdir(tmp_path)
    with pytest.raises(ValueError, match="Unrecognized save_freq"):
        keras.callbacks.ModelCheckpoint(str(tmp_path / "m.keras"), save_freq="often")


def test_custom_object_scope_resolves_on_load(tmp_path):
    model = NotRegistered()
    model(X)
    model.save(tmp_path / "n.keras")
    assert keras.utils.custom_object_scope is keras.utils.CustomObjectScope
    assert keras.saving.CustomObjectScope is keras.utils.CustomObjectScope
    with keras.utils.custom_object_scope({"NotRegistered": NotRegistered}) as scope:
        assert type(scope).__name__ == "CustomObjectScope"
        loaded = keras.models.load_model(tmp_path / "n.keras")
        assert keras.saving.get_registered_object("NotRegistered") is NotRegistered
        # as in Keras 3.15: the scope's objects are not among the global custom objects
        assert "NotRegistered" not in keras.saving.get_custom_objects()
        with keras.saving.CustomObjectScope({"NotRegistered": Registered}):  # inner wins
            assert keras.saving.get_registered_object("NotRegistered") is Registered
        assert keras.saving.get_registered_object("NotRegistered") is NotRegistered
    np.testing.assert_allclose(loaded(X).numpy(), model(X).numpy())
    assert keras.saving.get_registered_object("NotRegistered") is None
    with pytest.raises(ValueError, match="unknown model class 'NotRegistered'"):
        keras.models.load_model(tmp_path / "n.keras")
