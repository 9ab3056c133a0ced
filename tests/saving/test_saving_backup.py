"""``BackupAndRestore``: a ``fit`` killed mid-run resumes at the next epoch, or with an
integer ``save_freq`` at the same epoch and step, with the same weights, optimizer state,
random-number position and shuffle order; a kill mid-save loses nothing."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.keras.saving import _safetensors

keras = tf.keras
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# the training script: shuffling and dropout both draw from tf.random, so resuming on the
# same trajectory needs the RNG position as well as weights and Adam's slots
SCRIPT = textwrap.dedent("""
    import os, sys
    import numpy as np
    import tapeflow as tf
    keras = tf.keras
    backup, out, kill_after, kill_in_save = sys.argv[1], sys.argv[2], int(sys.argv[3]), \\
        sys.argv[4] == "1"
    tf.random.set_seed(7)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-1.0], [2.0]], "float32")).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dropout(0.3), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")

    class Kill(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == kill_after:
                if kill_in_save:  # die half-way through writing the next backup
                    from tapeflow.keras.saving import _safetensors
                    def half(f, tensors, metadata=None):
                        f.write(b"half a backup")
                        f.flush()
                        os._exit(9)
                    _safetensors.write = half
                else:
                    os._exit(9)

    cbs = [keras.callbacks.BackupAndRestore(backup)] if backup != "-" else []
    history = model.fit(x, y, batch_size=8, epochs=6, verbose=0, shuffle=True,
                        callbacks=cbs + [Kill()])
    np.savez(out, *model.get_weights(), epochs=np.array(history.epoch))
""")


def _run(tmp_path, backup, kill_after=-1, kill_in_save=False, out="out.npz"):
    env = {**os.environ, "PYTHONPATH": ROOT}
    return subprocess.run([sys.executable, "-c", SCRIPT, str(backup), str(tmp_path / out),
                           str(kill_after), "1" if kill_in_save else "0"],
                          capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.parametrize("kill_in_save", [False, True], ids=["killed", "killed-mid-save"])
def test_killed_fit_resumes_on_the_same_trajectory(tmp_path, kill_in_save):
    ref = _run(tmp_path, "-", out="ref.npz")
    assert ref.returncode == 0, ref.stderr
    backup = tmp_path / "backup"
    crashed = _run(tmp_path, backup, kill_after=2, kill_in_save=kill_in_save)
    assert crashed.returncode == 9 and not (tmp_path / "out.npz").exists()
    left = sorted(os.listdir(backup))
    assert left[-1] == "latest.safetensors" and len(left) == 1 + kill_in_save  # + a .tmp-
    resumed = _run(tmp_path, backup)
    assert resumed.returncode == 0, resumed.stderr
    got, want = np.load(tmp_path / "out.npz"), np.load(tmp_path / "ref.npz")
    # killed after the backup of epoch 2 was written (or, mid-save, while writing the one of
    # epoch 3, so epoch 2's survived): the resumed fit runs epochs 3-5 only
    assert list(got["epochs"]) == [3, 4, 5]
    for i in range(4):
        np.testing.assert_array_equal(got[f"arr_{i}"], want[f"arr_{i}"])
    assert not os.path.exists(backup / "latest.safetensors")  # deleted after a clean finish


def test_no_backup_means_a_normal_fit_and_bad_arguments(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    cb = keras.callbacks.BackupAndRestore(tmp_path / "b", delete_checkpoint=False)
    history = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0, callbacks=[cb])
    assert history.epoch == [0, 1]
    assert os.path.exists(tmp_path / "b" / "latest.safetensors")
    again = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=3, verbose=0, callbacks=[cb])
    assert again.epoch == [2]
    with pytest.raises(ValueError, match="save_freq"):
        keras.callbacks.BackupAndRestore(tmp_path, save_freq="often")
    with pytest.raises(ValueError, match="backup_dir"):
        keras.callbacks.BackupAndRestore("")


# killed after a given batch: with save_freq=3 and 5 batches an epoch, a backup is made
# after steps 3 of every epoch and at every epoch's end
SCRIPT_MID = textwrap.dedent("""
    import json, os, sys
    import numpy as np
    import tapeflow as tf
    keras = tf.keras
    backup, out, kill_at, source = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), \\
        sys.argv[4]
    tf.random.set_seed(11)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-1.0], [2.0]], "float32")).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dropout(0.3), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")
    seen = []

    class Steps(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
            if kill_at and kill_at[1] == -1 and epoch == kill_at[0]:
                os._exit(9)

        def on_train_batch_begin(self, batch, logs=None):
            seen.append([self.epoch, batch])

        def on_train_batch_end(self, batch, logs=None):
            if kill_at and [self.epoch, batch] == kill_at[:2]:
                if kill_at[2]:  # die half-way through writing the next backup
                    from tapeflow.keras.saving import _safetensors
                    def half(f, tensors, metadata=None):
                        f.write(b"half a backup")
                        f.flush()
                        os._exit(9)
                    _safetensors.write = half
                else:
                    os._exit(9)

    cbs = [keras.callbacks.BackupAndRestore(backup, save_freq=3)] if backup != "-" else []
    if source == "dataset":  # a fixed order: the resume re-reads and drops the first batches
        data = dict(x=tf.data.Dataset.from_tensor_slices((x, y)).batch(8))
    else:
        data = dict(x=x, y=y, batch_size=8, shuffle=True)
    history = model.fit(epochs=4, verbose=0, callbacks=cbs + [Steps()], **data)
    np.savez(out, *model.get_weights(), seen=np.array(seen))
""")


def _run_mid(tmp_path, backup, kill_at, source, out):
    env = {**os.environ, "PYTHONPATH": ROOT}
    return subprocess.run([sys.executable, "-c", SCRIPT_MID, str(backup), str(tmp_path / out),
                           json.dumps(kill_at), source],
                          capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.parametrize("source,kill_at,first", [
    ("arrays", [2, 3, False], [2, 3]),    # after step 4 of epoch 2; the backup has 3 steps
    ("arrays", [1, 2, True], [1, 3]),     # dies writing epoch 1's end: its step-3 one holds
    ("arrays", [0, 4, False], [0, 3]),    # after an epoch's last batch, before its end
    ("arrays", [1, -1, False], [1, 0]),   # at the next epoch's start: that epoch, whole
    ("dataset", [2, 3, False], [2, 3]),
], ids=["arrays-mid-epoch", "arrays-killed-mid-save", "arrays-last-batch", "arrays-next-epoch",
                               "dataset-mid-epoch"])
def test_killed_mid_epoch_resumes_at_the_same_step(tmp_path, source, kill_at, first):
    ref = _run_mid(tmp_path, "-", None, source, "ref.npz")
    assert ref.returncode == 0, ref.stderr
    backup = tmp_path / "backup"
    crashed = _run_mid(tmp_path, backup, kill_at, source, "out.npz")
    assert crashed.returncode == 9, crashed.stderr
    assert not (tmp_path / "out.npz").exists()
    resumed = _run_mid(tmp_path, backup, None, source, "out.npz")
    assert resumed.returncode == 0, resumed.stderr
    got, want = np.load(tmp_path / "out.npz"), np.load(tmp_path / "ref.npz")
    # the resumed fit starts at the step after the last backup and runs what is left
    want_seen = want["seen"].tolist()
    assert got["seen"].tolist() == want_seen[want_seen.index(first):]
    for i in range(4):  # the same shuffle orders, dropout masks and Adam steps: bit-equal
        np.testing.assert_array_equal(got[f"arr_{i}"], want[f"arr_{i}"])
    assert not os.path.exists(backup / "latest.safetensors")


def test_mid_epoch_backup_records_step_position_and_shuffle_order(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    cb = keras.callbacks.BackupAndRestore(tmp_path, save_freq=2, delete_checkpoint=False)

    class Stop(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                self.model.stop_training = True

    tf.random.set_seed(0)
    model.fit(np.ones((10, 2)), np.ones((10, 1)), batch_size=2, epochs=1, verbose=0,
              callbacks=[cb, Stop()])
    # a stopped fit ends its epoch: the epoch-end backup replaced the one made after step 2
    arrays, meta = _safetensors.read(tmp_path / "latest.safetensors")
    assert meta["epoch"] == "0" and "step" not in meta
    cb2 = keras.callbacks.BackupAndRestore(tmp_path / "b", save_freq=2, delete_checkpoint=False)
    seen = []

    class Kill(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)
            if batch == 1:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # interrupted after step 2: that backup stays
        model.fit(np.ones((10, 2)), np.ones((10, 1)), batch_size=2, epochs=2, verbose=0,
                  shuffle=True, callbacks=[cb2, Kill()])
    arrays, meta = _safetensors.read(tmp_path / "b" / "latest.safetensors")
    assert (meta["epoch"], meta["step"], meta["pos"]) == ("0", "2", "4")
    assert sorted(arrays["__fit__/perm"].tolist()) == list(range(10))
    assert arrays["__fit__/perm"].dtype == np.int64


def test_mid_epoch_backup_of_other_data_is_refused(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")

    class Kill(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                raise KeyboardInterrupt

    cb = keras.callbacks.BackupAndRestore(tmp_path, save_freq=2)
    with pytest.raises(KeyboardInterrupt):
        model.fit(np.ones((10, 2)), np.ones((10, 1)), batch_size=2, verbose=0,
                  callbacks=[cb, Kill()])
    with pytest.raises(ValueError, match="10 examples, this fit has 12"):
        model.fit(np.ones((12, 2)), np.ones((12, 1)), batch_size=2, verbose=0, callbacks=[cb])
