"""``CheckpointManager`` on failing disks and hostile folders: a save killed between writing
and sweeping never loses ``latest_checkpoint``; a tampered state file cannot make it delete
anything outside its directory; killed saves leave no temporaries behind the next save."""
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tapeflow as tf

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")

_CHILD = textwrap.dedent("""
    import os, signal, sys
    import tapeflow as tf
    from tapeflow.train import _files, _manager
    directory, n, where = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    v = tf.Variable(0.0)
    ckpt = tf.train.Checkpoint(v=v)
    manager = tf.train.CheckpointManager(ckpt, directory, max_to_keep=1)
    manager.restore_or_initialize()
    for i in range(n - 1):
        v.assign_add(1.0)
        manager.save()
    v.assign_add(1.0)
    if where == "sweep":  # killed after the new checkpoint and state file, before deleting
        def die(*a, **k):
            os.kill(os.getpid(), signal.SIGKILL)
        _files.delete_checkpoint = die
    elif where == "write":  # killed halfway through writing the bundle's files
        real = _files._fsync
        def die(path):
            if ".index.tmp-" in path:
                os.kill(os.getpid(), signal.SIGKILL)
            real(path)
        _files._fsync = die
    manager.save()
""")


def _run(directory, n, where):
    env = dict(os.environ, PYTHONPATH=os.path.abspath(ROOT))
    return subprocess.run([sys.executable, "-c", _CHILD, str(directory), str(n), where],
                          env=env, capture_output=True, timeout=120)


def _value(directory):
    latest = tf.train.latest_checkpoint(directory)
    assert latest is not None
    w = tf.Variable(-1.0)
    tf.train.Checkpoint(v=w).restore(latest).assert_consumed()
    return os.path.basename(latest), float(w.numpy())


def test_sigkill_between_write_and_sweep_keeps_the_new_checkpoint(tmp_path):
    proc = _run(tmp_path, 2, "sweep")
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    # the new checkpoint is written and named; the old one was not swept yet
    assert _value(tmp_path) == ("ckpt-2", 2.0)
    assert os.path.exists(tmp_path / "ckpt-1.index")
    # the next run resumes from ckpt-2 and sweeps what the killed one left
    proc = _run(tmp_path, 1, "none")
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert _value(tmp_path) == ("ckpt-3", 3.0)
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "ckpt-3.data-00000-of-00001",
                                            "ckpt-3.index"]


def test_killed_saves_leave_no_debris_after_the_next_save(tmp_path):
    for _ in range(3):
        proc = _run(tmp_path, 1, "write")
        assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    temps = [n for n in os.listdir(tmp_path) if ".tmp-" in n]
    assert temps and all(n.startswith(".ckpt-") for n in temps)
    targets = [n.split(".tmp-")[0] for n in temps]
    assert len(targets) == len(set(targets))  # at most one temporary per target
    # the owner's pid and the target are in the name
    assert all(n.split(".tmp-")[1].split("-")[0].isdigit() for n in temps)
    assert tf.train.latest_checkpoint(tmp_path) is None  # no checkpoint ever completed
    proc = _run(tmp_path, 1, "none")
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert [n for n in os.listdir(tmp_path) if ".tmp-" in n] == []
    assert _value(tmp_path) == ("ckpt-1", 1.0)


def test_tampered_state_file_cannot_delete_outside(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    victims = [elsewhere / "victim.index", elsewhere / "victim.data-00000-of-00001",
               elsewhere / "victim.npz", tmp_path / "ckpts" / "notes.index"]
    directory = tmp_path / "ckpts"
    directory.mkdir()
    for v in victims:
        v.write_bytes(b"precious")
    (directory / "checkpoint").write_text(
        f'model_checkpoint_path: "{elsewhere}/victim"\n'
        f'all_model_checkpoint_paths: "{elsewhere}/victim"\n'
        'all_model_checkpoint_paths: "../elsewhere/victim"\n'
        'all_model_checkpoint_paths: "notes"\n')
    v = tf.Variable(1.0)
    with pytest.warns(UserWarning, match="not one of this manager's checkpoints"):
        manager = tf.train.CheckpointManager(tf.train.Checkpoint(v=v), directory, max_to_keep=1)
    assert manager.checkpoints == [] and manager.latest_checkpoint is None
    for _ in range(3):
        manager.save()
    for victim in victims:
        assert victim.read_bytes() == b"precious"
    assert os.path.basename(tf.train.latest_checkpoint(directory)) == "ckpt-3"
    state = (directory / "checkpoint").read_text()
    assert "elsewhere" not in state and "notes" not in state


def test_malformed_state_file_is_a_clear_error(tmp_path):
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "ckpt-1"\nrm -rf /\n')
    with pytest.raises(ValueError, match=r"checkpoint' line 2 is not TensorFlow's "
                                         r"CheckpointState"):
        tf.train.CheckpointManager(tf.train.Checkpoint(), tmp_path, max_to_keep=1)
    with pytest.raises(ValueError, match="line 2"):
        tf.train.latest_checkpoint(tmp_path)


def test_state_file_is_tfs_format_and_keep_every_n_hours(tmp_path, monkeypatch):
    from tapeflow.train import _files

    clock = [1000.0]
    monkeypatch.setattr(_files, "now", lambda: clock[0])
    v = tf.Variable(0.0)
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(v=v), tmp_path, max_to_keep=2,
                                         keep_checkpoint_every_n_hours=1)
    for _ in range(5):
        clock[0] += 1800  # half an hour per save
        manager.save()
    kept = sorted(n for n in os.listdir(tmp_path) if n.endswith(".index"))
    # TF 2.21 with the same clock keeps exactly these (ckpt-2 preserved for good)
    assert kept == ["ckpt-2.index", "ckpt-4.index", "ckpt-5.index"]
    lines = (tmp_path / "checkpoint").read_text().splitlines()
    assert lines[:3] == ['model_checkpoint_path: "ckpt-5"', 'all_model_checkpoint_paths: "ckpt-4"',
                         'all_model_checkpoint_paths: "ckpt-5"']
    assert lines[3].startswith("all_model_checkpoint_timestamps: ")
    assert lines[-1].startswith("last_preserved_timestamp: ")


def test_checkpoint_interval_and_step_counter(tmp_path):
    step = tf.Variable(0, dtype=tf.int64)
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(step=step), tmp_path,
                                         max_to_keep=None, step_counter=step,
                                         checkpoint_interval=10)
    saved = []
    for i in range(25):
        step.assign(i)
        saved.append(manager.save() is not None)
    assert [i for i, s in enumerate(saved) if s] == [0, 10, 20]
    assert manager.save(check_interval=False).endswith("ckpt-4")
    np.testing.assert_equal(len(manager.checkpoints), 4)
