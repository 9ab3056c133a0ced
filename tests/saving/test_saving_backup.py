"""``BackupAndRestore``: a ``fit`` killed mid-run resumes at the next epoch with the same
weights, optimizer state and random-number position; a kill mid-save loses nothing."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tapeflow as tf

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
        keras.callbacks.BackupAndRestore(tmp_path, save_freq=10)
    with pytest.raises(ValueError, match="backup_dir"):
        keras.callbacks.BackupAndRestore("")
