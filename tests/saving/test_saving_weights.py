"""Weights files: ``.weights.h5`` (Keras 3's layout, checked against files Keras wrote),
``.safetensors`` and ``.npz``; mismatches, partial loads and corrupt files."""
import json
import os
import pickle
import struct
import sys

import keras_models
import numpy as np
import pytest

import tapeflow as tf
from tapeflow.keras.saving import _safetensors

keras = tf.keras
FORMATS = ["model.weights.h5", "model.safetensors", "model.weights.npz"]
DATA = os.path.join(os.path.dirname(__file__), "data")


def _needs(fmt):
    if fmt.endswith(".h5"):
        pytest.importorskip("h5py")


def _trained(build=keras_models.sequential, optimizer=None):
    model = build(keras)
    model.compile(optimizer=optimizer or keras.optimizers.Adam(0.01), loss="mse")
    model.fit(keras_models.X, keras_models.Y2, batch_size=5, epochs=2, shuffle=False,
              verbose=0)
    return model


def _assert_same_weights(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    assert len(wa) == len(wb) and wa
    for p, q in zip(wa, wb):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", sorted(keras_models.BUILDERS))
def test_roundtrip_every_format_and_model_kind(tmp_path, fmt, kind):
    _needs(fmt)
    build = keras_models.BUILDERS[kind]
    model = build(keras)
    path = tmp_path / fmt
    model.save_weights(path)
    other = build(keras)
    assert not np.array_equal(other.get_weights()[0], model.get_weights()[0])
    other.load_weights(path)
    _assert_same_weights(model, other)
    np.testing.assert_allclose(other.predict(keras_models.X, verbose=0),
                               model.predict(keras_models.X, verbose=0))
    assert [p for p in os.listdir(tmp_path) if p.startswith(".tmp")] == []


def test_cross_format_conversion_keeps_every_array(tmp_path):
    pytest.importorskip("h5py")
    model = keras_models.functional(keras)
    model.save_weights(tmp_path / "a.weights.h5")
    chain = [keras_models.functional(keras) for _ in range(3)]
    chain[0].load_weights(tmp_path / "a.weights.h5")
    chain[0].save_weights(tmp_path / "b.safetensors")
    chain[1].load_weights(tmp_path / "b.safetensors")
    chain[1].save_weights(tmp_path / "c.npz")
    chain[2].load_weights(tmp_path / "c.npz")
    _assert_same_weights(model, chain[2])


def test_safetensors_file_follows_the_published_layout(tmp_path):
    model = keras_models.sequential(keras)
    path = tmp_path / "w.safetensors"
    model.save_weights(path)
    blob = path.read_bytes()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    kernel = header["layers/dense/vars/0"]
    assert kernel["dtype"] == "F32" and kernel["shape"] == [3, 4]
    start, end = kernel["data_offsets"]
    data = np.frombuffer(blob[8 + n + start:8 + n + end], "<f4").reshape(3, 4)
    np.testing.assert_array_equal(data, model.layers[0].kernel.numpy())
    assert json.loads(header["__metadata__"]["names"])["layers/dense/vars"] == "d1"


def test_npz_is_plain_arrays_keyed_by_keras_path(tmp_path):
    model = _trained()
    path = tmp_path / "w.npz"
    model.save_weights(path)
    with np.load(path, allow_pickle=False) as data:
        assert sorted(data.files) == ["layers/dense/vars/0", "layers/dense/vars/1",
                                      "layers/dense_1/vars/0", "layers/dense_1/vars/1"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_shape_mismatch_names_layer_and_both_shapes_and_loads_nothing(tmp_path, fmt):
    _needs(fmt)
    saved = keras_models.sequential(keras)
    saved.save_weights(tmp_path / fmt)
    wide = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, name="d1"),
                             keras.layers.Dropout(0.1), keras.layers.Dense(3, name="d2")])
    before = wide.get_weights()
    with pytest.raises(ValueError, match=r"layer 'd2'.*model has \(4, 3\), the file has "
                                         r"\(4, 2\)") as err:
        wide.load_weights(tmp_path / fmt)
    assert str(tmp_path / fmt) in str(err.value)
    for p, q in zip(before, wide.get_weights()):  # nothing half-loaded, d1 included
        np.testing.assert_array_equal(p, q)
    with pytest.warns(UserWarning, match="Skipped"):
        wide.load_weights(tmp_path / fmt, skip_mismatch=True)
    np.testing.assert_array_equal(wide.layers[0].kernel.numpy(), saved.layers[0].kernel.numpy())
    np.testing.assert_array_equal(wide.layers[2].kernel.numpy(), before[2])


def test_missing_layer_is_an_error_unless_skip_mismatch(tmp_path):
    keras_models.sequential(keras).save_weights(tmp_path / "w.safetensors")
    bigger = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, name="d1"),
                               keras.layers.Dense(2, name="d2"), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="has 2 variables but the file has none"):
        bigger.load_weights(tmp_path / "w.safetensors")


def test_by_name_matches_layers_by_name_not_position(tmp_path):
    inp = keras.Input((3,))
    source = keras.Model(inp, keras.layers.Dense(2, name="head")(
        keras.layers.Dense(4, name="body")(inp)))
    source.save_weights(tmp_path / "w.safetensors")
    inp = keras.Input((3,))
    x = keras.layers.Dense(4, name="body")(inp)
    x = keras.layers.Dense(4, name="extra")(x)
    target = keras.Model(inp, keras.layers.Dense(2, name="other")(x))
    extra = target.get_layer("extra").kernel.numpy()
    target.load_weights(tmp_path / "w.safetensors", by_name=True)
    np.testing.assert_array_equal(target.get_layer("body").kernel.numpy(),
                                  source.get_layer("body").kernel.numpy())
    np.testing.assert_array_equal(target.get_layer("extra").kernel.numpy(), extra)
    with pytest.raises(ValueError, match="by_name=True needs layer names"):
        source.save_weights(tmp_path / "w.npz")
        target.load_weights(tmp_path / "w.npz", by_name=True)


def test_pickle_inside_npz_is_refused_without_running_it(tmp_path):
    ran = tmp_path / "ran"

    class Boom:
        def __reduce__(self):
            return (open, (str(ran), "w"))

    path = tmp_path / "evil.npz"
    np.savez(path, **{"layers/dense/vars/0": np.array([Boom()], dtype=object)})
    with pytest.raises(ValueError, match="pickled Python objects"):
        keras_models.sequential(keras).load_weights(path)
    assert not ran.exists()
    assert pickle  # the payload above is a pickle; loading never unpickles it


def test_npz_member_flagged_as_encrypted_is_a_clear_error(tmp_path):
    """A bit flip that sets a zip member's encryption flag: zipfile raises RuntimeError
    (password required); the loader names the file instead (found by make fuzz)."""
    model = keras_models.sequential(keras)
    path = tmp_path / "w.npz"
    model.save_weights(path)
    raw = bytearray(path.read_bytes())
    at = raw.index(b"PK\x01\x02")  # the first central-directory entry: general flags at +8
    raw[at + 8] |= 1
    local = raw.index(b"PK\x03\x04")  # and its local header's flags at +6
    raw[local + 6] |= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="w.npz"):
        keras_models.sequential(keras).load_weights(path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_truncated_file_gives_a_clear_error_naming_it(tmp_path, fmt):
    _needs(fmt)
    model = keras_models.sequential(keras)
    path = tmp_path / fmt
    model.save_weights(path)
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(ValueError, match="not a valid") as err:
        keras_models.sequential(keras).load_weights(path)
    assert str(path) in str(err.value)


def test_tampered_safetensors_offsets_are_rejected(tmp_path):
    path = tmp_path / "w.safetensors"
    keras_models.sequential(keras).save_weights(path)
    blob = bytearray(path.read_bytes())
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    header["layers/dense/vars/0"]["data_offsets"][1] += 10 ** 9
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(blob[8 + n:]))
    with pytest.raises(ValueError, match="data offsets"):
        keras_models.sequential(keras).load_weights(path)


def test_unknown_extension_and_missing_file():
    model = keras_models.sequential(keras)
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        model.save_weights("w.pt")
    with pytest.raises(FileNotFoundError, match="nope.safetensors"):
        model.load_weights("nope.safetensors")


def test_failed_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "w.safetensors"
    model = keras_models.sequential(keras)
    model.save_weights(path)
    before = path.read_bytes()

    def full_disk(f, tensors, metadata=None):
        f.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_safetensors, "write", full_disk)
    with pytest.raises(OSError, match="No space"):
        keras_models.sequential(keras).save_weights(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["w.safetensors"]


# -- files written by real Keras 3 (generated by keras_models.py) --------------------------------
@pytest.mark.parametrize("kind", sorted(keras_models.BUILDERS))
def test_loads_weights_written_by_keras3(kind):
    pytest.importorskip("h5py")
    expected = keras_models.load_expected()
    model = keras_models.BUILDERS[kind](keras)
    model.load_weights(os.path.join(DATA, f"keras3_{kind}.weights.h5"))
    np.testing.assert_allclose(model.predict(expected["x"], verbose=0), expected[kind],
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("opt", sorted(keras_models.OPTIMIZERS))
def test_optimizer_state_from_keras3_continues_keras_trajectory(opt):
    pytest.importorskip("h5py")
    expected = keras_models.load_expected()
    model = keras_models.mlp(keras)
    model.compile(optimizer=keras_models.OPTIMIZERS[opt](keras), loss="mse")
    model.load_weights(os.path.join(DATA, f"keras3_{opt}_trained.weights.h5"))
    assert int(model.optimizer.iterations.numpy()) == 2
    model.fit(expected["x"], expected["y"], batch_size=5, epochs=1, shuffle=False, verbose=0)
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, expected[f"{opt}_next_{i}"], rtol=1e-5, atol=1e-6)


def test_h5_layout_matches_keras3(tmp_path):
    h5py = pytest.importorskip("h5py")
    model = _trained(keras_models.mlp)
    model.save_weights(tmp_path / "w.weights.h5")

    def layout(path):
        out = []
        with h5py.File(path) as f:
            f.visititems(lambda n, o: out.append(
                (n, tuple(o.shape) if hasattr(o, "shape") else sorted(o.attrs))))
        return out

    ours = layout(tmp_path / "w.weights.h5")
    theirs = layout(os.path.join(DATA, "keras3_adam_trained.weights.h5"))
    assert ours == theirs


ALL_OPTIMIZERS = {
    **keras_models.OPTIMIZERS,
    "nadam": lambda k: k.optimizers.Nadam(0.01),
    "adamax": lambda k: k.optimizers.Adamax(0.01),
    "adadelta": lambda k: k.optimizers.Adadelta(1.0),
    "adagrad": lambda k: k.optimizers.Adagrad(0.05),
    "adamw": lambda k: k.optimizers.AdamW(0.01),
    "amsgrad": lambda k: k.optimizers.Adam(0.01, amsgrad=True),
    "plain_sgd": lambda k: k.optimizers.SGD(0.05),
}


@pytest.mark.parametrize("fmt", ["w.weights.h5", "w.safetensors"])
@pytest.mark.parametrize("opt", sorted(ALL_OPTIMIZERS))
def test_save_weights_keeps_optimizer_state_and_resumes(tmp_path, fmt, opt):
    _needs(fmt)
    make = ALL_OPTIMIZERS[opt]
    model = _trained(keras_models.mlp, make(keras))
    model.save_weights(tmp_path / fmt)
    _fit_once = lambda m: m.fit(keras_models.X, keras_models.Y2, batch_size=5, epochs=1,
                                shuffle=False, verbose=0)
    _fit_once(model)
    fresh = keras_models.mlp(keras)
    fresh.compile(optimizer=make(keras), loss="mse")
    fresh.load_weights(tmp_path / fmt)
    assert int(fresh.optimizer.iterations.numpy()) == 2
    _fit_once(fresh)
    for a, b in zip(model.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_h5_entries_that_are_not_numeric_arrays_are_refused(tmp_path):
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "odd.weights.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("layers/dense/vars/0", data=np.array([b"rm -rf /"], dtype=object),
                         dtype=h5py.string_dtype())
    with pytest.raises(ValueError, match="odd.weights.h5.*not a numeric array"):
        keras_models.mlp(keras).load_weights(path)


def test_checkpoint_of_compiled_model_names_its_optimizer_once(tmp_path):
    model = _trained(keras_models.mlp)
    ckpt = tf.train.Checkpoint(model=model, optimizer=model.optimizer)
    keys = [k for k, _ in tf.train.list_variables(ckpt.write(str(tmp_path / "c")))]
    assert "optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE" in keys
    assert not any(k.startswith("model/optimizer") for k in keys)


def test_without_h5py_h5_files_ask_for_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)  # as if h5py were not installed
    model = keras_models.mlp(keras)
    with pytest.raises(ImportError, match=r"tapeflow\[h5\]"):
        model.save_weights(tmp_path / "w.weights.h5")
    assert not (tmp_path / "w.weights.h5").exists()
    model.save_weights(tmp_path / "w.safetensors")  # the other formats need nothing
    model.save(tmp_path / "m.keras")  # falls back to safetensors inside the zip
    loaded = keras.models.load_model(tmp_path / "m.keras")
    _assert_same_weights(model, loaded)


def test_earlier_flat_npz_files_still_load(tmp_path):
    model = keras_models.mlp(keras)
    np.savez(tmp_path / "old.weights.npz",
             **{f"arr_{i:04d}": w for i, w in enumerate(model.get_weights())})
    other = keras_models.mlp(keras)
    other.load_weights(tmp_path / "old.weights.npz")
    _assert_same_weights(model, other)
