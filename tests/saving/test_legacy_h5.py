"""Legacy Keras HDF5 files (``model.save('m.h5')``; Keras 2's ``save_weights('w.h5')``):
``load_model`` and ``load_weights`` read them through the same allow-list and the same
data-only checks as ``.keras`` files. The files here are made with h5py in Keras 2's layout
(``model_config``/``training_config`` attributes, ``model_weights/<layer>/<weight name>``);
a file written by real Keras 3.15 is in test_keras3_fixtures.py."""
import json

import numpy as np
import pytest

import tapeflow as tf

h5py = pytest.importorskip("h5py")
keras = tf.keras
X = np.random.default_rng(3).normal(size=(4, 3)).astype("float32")


def _model():
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu",
                                                                   name="dense"),
                             keras.layers.BatchNormalization(name="bn"),
                             keras.layers.Dense(2, name="out")], name="seq")


def _keras2_config(model):
    """The model_config Keras 2 wrote: no module keys, ``batch_input_shape``."""
    layers = [{"class_name": "InputLayer", "config": {
        "batch_input_shape": [None, 3], "dtype": "float32", "name": "inp"}}]
    for layer in model.layers:
        cfg = layer.get_config()
        cfg["dtype"] = "float32"
        layers.append({"class_name": type(layer).__name__, "config": cfg})
    return {"class_name": "Sequential", "config": {"name": "seq", "layers": layers}}


def _write(path, model, with_config=True, root_weights=False, config=None):
    rng = np.random.default_rng(0)
    for v in model.weights:
        v.assign(np.abs(rng.normal(size=v.shape)).astype("float32") + 0.1)
    with h5py.File(path, "w") as h:
        if with_config:
            h.attrs["model_config"] = json.dumps(config or _keras2_config(model))
            h.attrs["training_config"] = json.dumps({
                "loss": "mse", "metrics": [["mae"]], "optimizer_config": {
                    "class_name": "Adam", "config": {"learning_rate": 0.005}}})
        g = h if root_weights else h.create_group("model_weights")
        g.attrs["layer_names"] = [layer.name.encode() for layer in model.layers]
        for layer in model.layers:
            lg = g.create_group(layer.name)
            names = [f"{layer.name}/{v.name.split('/')[-1].split(':')[0]}:0" for v in layer.weights]
            lg.attrs["weight_names"] = [n.encode() for n in names]
            for n, v in zip(names, layer.weights):
                lg.create_dataset(n, data=v.numpy())
        h.create_group("optimizer_weights").create_dataset("Adam/iter:0", data=np.int64(7))
    return model.predict(X, verbose=0)


def test_load_model_reads_a_keras2_full_model_h5(tmp_path):
    want = _write(tmp_path / "m.h5", _model())
    loaded = keras.models.load_model(tmp_path / "m.h5")
    np.testing.assert_allclose(loaded.predict(X, verbose=0), want, rtol=1e-6)
    assert type(loaded.optimizer).__name__ == "Adam"
    np.testing.assert_allclose(float(loaded.optimizer.learning_rate.numpy()), 0.005)
    loaded.fit(X, np.zeros((4, 2), "float32"), epochs=1, verbose=0)  # compiled from the file


@pytest.mark.parametrize("root_weights", [False, True])
def test_load_weights_reads_legacy_h5(tmp_path, root_weights):
    want = _write(tmp_path / "w.h5", _model(), with_config=False, root_weights=root_weights)
    model = _model()
    model.load_weights(tmp_path / "w.h5")
    np.testing.assert_allclose(model.predict(X, verbose=0), want, rtol=1e-6)


def test_legacy_h5_for_another_model_is_a_clear_error(tmp_path):
    _write(tmp_path / "w.h5", _model(), with_config=False)
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(5, name="dense"),
                              keras.layers.BatchNormalization(name="bn"),
                              keras.layers.Dense(2, name="out")])
    before = [w.copy() for w in other.get_weights()]
    with pytest.raises(ValueError, match=r"Shape mismatch .* has shape \(\d?,? ?5,?\)"):
        other.load_weights(tmp_path / "w.h5")
    for a, b in zip(before, other.get_weights()):  # nothing half-loaded
        np.testing.assert_array_equal(a, b)
    small = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="Layer count mismatch"):
        small.load_weights(tmp_path / "w.h5")
    with pytest.raises(ValueError, match="weights only"):
        keras.models.load_model(tmp_path / "w.h5")


def test_legacy_h5_config_goes_through_the_allow_list(tmp_path):
    model = _model()
    config = _keras2_config(model)
    config["config"]["layers"][1] = {"class_name": "Lambda", "config": {
        "name": "dense", "function": ["4wEAAAAAAAAA", None, None], "function_type": "lambda"}}
    _write(tmp_path / "lambda.h5", model, config=config)
    with pytest.raises(ValueError):
        keras.models.load_model(tmp_path / "lambda.h5")
    config["config"]["layers"][1] = {"class_name": "system", "module": "os",
                                     "config": {"command": "touch pwned"}}
    _write(tmp_path / "os.h5", model, config=config)
    with pytest.raises(ValueError, match="system"):
        keras.models.load_model(tmp_path / "os.h5")
    config["config"]["layers"][1]["class_name"] = "Tense"  # a flipped bit in a class name
    config["config"]["layers"][1].pop("module")
    _write(tmp_path / "flip.h5", model, config=config)
    with pytest.raises(ValueError, match=r"flip\.h5.*'Tense'"):
        keras.models.load_model(tmp_path / "flip.h5")


def test_legacy_h5_external_link_and_storage_are_refused(tmp_path):
    _write(tmp_path / "w.h5", _model(), with_config=False)
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(12, dtype="float32").tobytes())
    with h5py.File(tmp_path / "w.h5", "a") as h:
        g = h["model_weights/dense"]
        del g["dense/kernel:0"]
        g.create_dataset("dense/kernel:0", shape=(3, 4), dtype="float32",
                         external=[(str(secret), 0, 48)])
    with pytest.raises(ValueError, match="another file"):
        _model().load_weights(tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5", "a") as h:
        del h["model_weights/dense"]
        h["model_weights/dense"] = h5py.ExternalLink(str(tmp_path / "other.h5"), "/x")
    with pytest.raises(ValueError, match="link"):
        _model().load_weights(tmp_path / "w.h5")


def test_not_a_legacy_file_is_a_clear_error(tmp_path):
    with h5py.File(tmp_path / "x.h5", "w") as h:
        h.create_dataset("a", data=np.zeros(3))
    with pytest.raises(ValueError, match="layer_names"):
        keras.models.load_model(tmp_path / "x.h5")
    (tmp_path / "junk.h5").write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match="junk.h5"):
        keras.models.load_model(tmp_path / "junk.h5")


def test_keras2_functional_node_records(tmp_path):
    inp = keras.Input((3,), name="inp")
    h = keras.layers.Dense(4, name="dense")(inp)
    out = keras.layers.Dense(2, name="out")(keras.layers.Concatenate(name="cat")([h, inp]))
    model = keras.Model(inp, out, name="fn")

    def layer(name, cls, inbound):
        cfg = model.get_layer(name).get_config()
        cfg["dtype"] = "float32"
        return {"class_name": cls, "name": name, "config": cfg, "inbound_nodes": inbound}

    config = {"class_name": "Functional", "config": {
        "name": "fn", "input_layers": [["inp", 0, 0]], "output_layers": [["out", 0, 0]],
        "layers": [
            {"class_name": "InputLayer", "name": "inp", "inbound_nodes": [], "config": {
                "batch_input_shape": [None, 3], "dtype": "float32", "name": "inp"}},
            layer("dense", "Dense", [[["inp", 0, 0, {}]]]),
            layer("cat", "Concatenate", [[["dense", 0, 0, {}], ["inp", 0, 0, {}]]]),
            layer("out", "Dense", [[["cat", 0, 0, {}]]])]}}
    want = _write(tmp_path / "f.h5", model, config=config)
    loaded = keras.models.load_model(tmp_path / "f.h5", compile=False)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), want, rtol=1e-6)


def test_keras2_sequential_with_batch_input_shape_on_its_first_layer(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="dense")])
    cfg = model.layers[0].get_config()
    cfg.update(dtype="float32", batch_input_shape=[None, 3])
    config = {"class_name": "Sequential", "config": {
        "name": "seq", "layers": [{"class_name": "Dense", "config": cfg}]}}
    want = _write(tmp_path / "s.h5", model, config=config)
    loaded = keras.models.load_model(tmp_path / "s.h5")
    np.testing.assert_allclose(loaded.predict(X, verbose=0), want, rtol=1e-6)
