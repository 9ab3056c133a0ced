"""Files cannot reach outside themselves or allocate more than their model needs, a flipped
bit in a file tapeflow wrote is an error naming the variable, killed saves leave no debris
past the next save, and a damaged backup is a clear error (issue 22)."""
import json
import os
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import _io
from tapeflow.keras.saving import _safetensors

h5py = pytest.importorskip("h5py", reason="h5py (the [h5] extra) is not installed")
keras = tf.keras
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _model(units=4):
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(units, name="d1"),
                          keras.layers.Dense(2, name="d2")])
    m.compile(optimizer="adam", loss="mse")
    return m


def _flip_inside(path, needle):
    """Flip one bit of the first occurrence of ``needle`` (an array's bytes) in the file."""
    blob = bytearray(open(path, "rb").read())
    at = blob.find(needle)
    assert at >= 0, "the array's bytes are not stored verbatim"
    blob[at + len(needle) // 2] ^= 0x10
    open(path, "wb").write(bytes(blob))


# -- reaching outside the file ------------------------------------------------------------------
def test_hdf5_external_storage_is_refused(tmp_path):
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(12, dtype="<f4").tobytes())
    path = tmp_path / "evil.weights.h5"
    _model().save_weights(path)
    with h5py.File(path, "a") as h:
        del h["layers/dense/vars/0"]
        h["layers/dense/vars"].create_dataset("0", shape=(3, 4), dtype="<f4",
                                           external=[(str(secret), 0, 48)])
    with pytest.raises(ValueError, match="another file.*external storage"):
        _model().load_weights(path)


@pytest.mark.parametrize("kind", ["soft", "external"])
def test_hdf5_links_are_refused(tmp_path, kind):
    path = tmp_path / "links.weights.h5"
    _model().save_weights(path)
    with h5py.File(path, "a") as h:
        del h["layers/dense_1/vars/1"]
        h["layers/dense_1/vars/1"] = (h5py.SoftLink("/layers/dense/vars/1") if kind == "soft" else
                                 h5py.ExternalLink(str(tmp_path / "other.h5"), "/x"))
    with pytest.raises(ValueError, match="is a link"):
        _model().load_weights(path)


def test_fifo_and_devices_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "m.weights.h5"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="FIFO"):
        _model().load_weights(fifo)
    dev = tmp_path / "z.safetensors"
    os.symlink("/dev/zero", dev)
    with pytest.raises(ValueError, match="device"):
        _model().load_weights(dev)
    keras_fifo = tmp_path / "m.keras"
    os.mkfifo(keras_fifo)
    with pytest.raises(ValueError, match="FIFO"):
        keras.models.load_model(keras_fifo)


def test_duplicate_zip_members_are_refused(tmp_path):
    path = tmp_path / "m.keras"
    _model().save(path)
    with zipfile.ZipFile(path) as z:
        config = z.read("config.json")
    with pytest.warns(UserWarning, match="Duplicate name"):
        with zipfile.ZipFile(path, "a") as z:
            z.writestr("config.json", config.replace(b'"d1"', b'"x1"'))
    with pytest.raises(ValueError, match="duplicate members.*config.json"):
        keras.models.load_model(path)


# -- memory bombs -------------------------------------------------------------------------------
def test_absurd_hdf5_shape_is_refused_before_reading(tmp_path):
    path = tmp_path / "bomb.weights.h5"
    _model().save_weights(path)
    with h5py.File(path, "a") as h:
        del h["layers/dense/vars/0"]
        h["layers/dense/vars"].create_dataset("0", shape=(10**6, 10**6), dtype="<f4",
                                           chunks=(1, 1024), compression="gzip")
    assert os.path.getsize(path) < 1 << 20
    with pytest.raises(ValueError, match=r"layer 'd1'.*model has \(3, 4\).*\(1000000, 1000000\)"):
        _model().load_weights(path)


def test_absurd_shape_in_an_unknown_group_is_refused(tmp_path):
    path = tmp_path / "bomb2.weights.h5"
    _model().save_weights(path)
    with h5py.File(path, "a") as h:
        h.create_dataset("junk/vars/0", shape=(10**6, 10**6), dtype="<f4", chunks=(1, 1024),
                         compression="gzip")
    with pytest.raises(ValueError, match=r"declares shape \(1000000, 1000000\), which no "
                       r"variable of the model has"):
        _model().load_weights(path)


def test_npy_header_claiming_a_huge_array_is_refused(tmp_path):
    path = tmp_path / "bomb.npz"
    header = {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)}
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("layers/dense/vars/0.npy", buf.getvalue() + b"\0" * 64)
    with pytest.raises(ValueError, match=r"declares shape \(1000000, 1000000\)"):
        _model().load_weights(path)


def test_oversized_keras_member_is_refused_before_decompressing(tmp_path):
    path = tmp_path / "bomb.keras"
    _model().save(path)
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in members.items():
            z.writestr(n, data + (b"\0" * (64 << 20) if n == "model.weights.h5" else b""))
    assert os.path.getsize(path) < 1 << 20
    with pytest.raises(ValueError, match="more than the model's variables could need"):
        keras.models.load_model(path)


# -- corruption ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["m.weights.h5", "m.safetensors"])
def test_a_flipped_bit_in_a_tapeflow_file_names_the_array(tmp_path, name):
    model = _model(units=64)
    kernel = model.get_layer("d1").kernel
    kernel.assign(np.arange(3 * 64, dtype="float32").reshape(3, 64) / 7.0)
    path = tmp_path / name
    model.save_weights(path)
    _flip_inside(path, np.asarray(kernel.numpy(), "<f4").tobytes())
    with pytest.raises(ValueError, match="SHA-256") as err:
        _model(units=64).load_weights(path)
    assert "d1" in str(err.value)


def test_a_flipped_bit_inside_a_keras_file_is_an_error(tmp_path):
    model = _model(units=64)
    kernel = model.get_layer("d1").kernel
    kernel.assign(np.arange(3 * 64, dtype="float32").reshape(3, 64) / 7.0)
    path = tmp_path / "m.keras"
    model.save(path)
    _flip_inside(path, np.asarray(kernel.numpy(), "<f4").tobytes())
    with pytest.raises(ValueError, match="SHA-256|CRC"):
        keras.models.load_model(path)


def test_files_without_digests_still_load(tmp_path):
    model = _model()
    path = tmp_path / "plain.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "a") as h:
        h.visititems(lambda n, o: o.attrs.pop("tapeflow_sha256", None)
                     if isinstance(o, h5py.Dataset) else None)
    other = _model()
    other.load_weights(path)
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
    arrays, meta = _safetensors.loads(_plain_safetensors(model.get_weights()))
    assert "sha256" not in meta and len(arrays) == 4


def _plain_safetensors(weights):
    """A safetensors file as another writer makes it: no digests."""
    header, blobs, off = {}, [], 0
    for i, w in enumerate(weights):
        data = np.asarray(w, "<f4").tobytes()
        header[f"w{i}"] = {"dtype": "F32", "shape": list(w.shape),
                           "data_offsets": [off, off + len(data)]}
        off += len(data)
        blobs.append(data)
    raw = json.dumps(header).encode()
    return len(raw).to_bytes(8, "little") + raw + b"".join(blobs)


# -- debris -------------------------------------------------------------------------------------
KILLED_SAVE = textwrap.dedent("""
    import os, sys
    import tapeflow as tf
    from tapeflow import _io
    target = sys.argv[1]
    with _io.atomic_path(target) as tmp:
        open(tmp, "wb").write(b"partial")
        os._exit(9)  # killed mid-save: no cleanup runs
""")


def test_a_killed_saves_temporary_file_is_removed_by_the_next_save(tmp_path):
    target = tmp_path / "m.weights.h5"
    env = {**os.environ, "PYTHONPATH": ROOT}
    for _ in range(3):
        subprocess.run([sys.executable, "-c", KILLED_SAVE, str(target)], env=env, check=False)
    stale = [p for p in os.listdir(tmp_path) if p.startswith(".m.weights.h5.tmp-")]
    # each killed save swept its dead predecessor's file first: one is left, named after
    # its target and its (now dead) process
    assert len(stale) == 1
    live = tmp_path / f".m.weights.h5.tmp-{os.getpid()}-inflight"
    live.write_bytes(b"")  # a save in progress in a live process is left alone
    other = tmp_path / ".other.h5.tmp-999999999-x"
    other.write_bytes(b"")  # another target's file is not this save's business
    _model().save_weights(target)
    left = sorted(p for p in os.listdir(tmp_path) if ".tmp-" in p)
    assert left == sorted([live.name, other.name])
    _model().load_weights(target)


# -- damaged backups ----------------------------------------------------------------------------
def _backup(tmp_path):
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    y = x[:, :2]
    model = _model()
    cb = keras.callbacks.BackupAndRestore(str(tmp_path / "bk"), delete_checkpoint=False)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[cb])
    return x, y, tmp_path / "bk" / "latest.safetensors"


def _rewrite_meta(path, **changes):
    arrays, meta = _safetensors.read(path)
    for k, v in changes.items():
        if v is None:
            meta.pop(k, None)
        else:
            meta[k] = v
    meta.pop("sha256")
    with open(path, "wb") as f:
        _safetensors.write(f, arrays, meta)


@pytest.mark.parametrize("changes,message", [
    ({"epoch": "-7"}, "its 'epoch' is '-7', not a count"),
    ({"epoch": None}, "it has no 'epoch' entry"),
    ({"rng": None}, r"it has no random-number state \('rng'\)"),
    ({"rng": "{}"}, "its random-number state is unreadable"),
    ({"names": "[1, 2]"}, "its layer names are not a JSON object"),
])
def test_a_damaged_backup_is_a_clear_error(tmp_path, changes, message):
    x, y, path = _backup(tmp_path)
    _rewrite_meta(path, **changes)
    cb = keras.callbacks.BackupAndRestore(str(tmp_path / "bk"))
    with pytest.raises(ValueError, match=f"backup '.*latest.safetensors' is damaged: {message}"):
        _model().fit(x, y, epochs=3, verbose=0, callbacks=[cb])


def test_a_backup_with_a_flipped_bit_is_an_error(tmp_path):
    x, y, path = _backup(tmp_path)
    blob = bytearray(path.read_bytes())
    blob[-3] ^= 0x04  # the last tensor's data
    path.write_bytes(bytes(blob))
    cb = keras.callbacks.BackupAndRestore(str(tmp_path / "bk"))
    with pytest.raises(ValueError, match="SHA-256"):
        _model().fit(x, y, epochs=3, verbose=0, callbacks=[cb])


def test_sweep_ignores_unrelated_names(tmp_path):
    (tmp_path / ".m.h5.tmp-notapid").write_bytes(b"")
    assert _io.sweep_stale_temporaries(str(tmp_path / "m.h5")) == 0


def test_a_config_asking_for_huge_layers_is_refused_before_allocating(tmp_path):
    path = tmp_path / "huge.keras"
    _model().save(path)
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    config = json.loads(members["config.json"])
    for layer in config["config"]["layers"]:
        if layer["class_name"] == "Dense" and layer["config"]["name"] == "d1":
            layer["config"]["units"] = 10**9  # 12 GB of kernel from a few-KB file
    with zipfile.ZipFile(path, "w") as z:
        for n, data in members.items():
            z.writestr(n, json.dumps(config) if n == "config.json" else data)
    with pytest.raises(ValueError, match=r"layer 'd1' asks for a variable .*more than the "
                       r"file's weights could fill"):
        keras.models.load_model(path)
