"""``tf.train.Checkpoint``/``CheckpointManager``: a custom loop resumes on the same
trajectory, numbering, ``max_to_keep``, ``latest_checkpoint`` and partial restores."""
import os

import numpy as np
import pytest

import tapeflow as tf

keras = tf.keras
RNG = np.random.default_rng(0)
X = RNG.normal(size=(64, 3)).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.5]], "float32") + 0.3).astype("float32")


def _make(optimizer=lambda: keras.optimizers.Adam(0.01), built=True):
    layers = [keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)]
    model = keras.Sequential(([keras.Input((3,))] if built else []) + layers)
    return model, optimizer()


def _step(model, opt):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((model(X) - Y) ** 2)
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
    return float(loss.numpy())


OPTIMIZERS = {
    "adam": lambda: keras.optimizers.Adam(0.01),
    "sgd_momentum": lambda: keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "rmsprop": lambda: keras.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "nadam": lambda: keras.optimizers.Nadam(0.01),
    "adagrad": lambda: keras.optimizers.Adagrad(0.1),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("built", [True, False], ids=["built", "deferred"])
def test_custom_loop_resumes_on_the_same_trajectory(tmp_path, name, built):
    model, opt = _make(OPTIMIZERS[name])
    step = tf.Variable(0, dtype=tf.int64)
    ckpt = tf.train.Checkpoint(model=model, optimizer=opt, step=step)
    manager = tf.train.CheckpointManager(ckpt, tmp_path, max_to_keep=3)
    for _ in range(4):
        _step(model, opt)
        step.assign_add(1)
    manager.save()
    for _ in range(3):  # the run that "crashed" went on: this is the reference trajectory
        _step(model, opt)

    fresh, fresh_opt = _make(OPTIMIZERS[name], built=built)
    fresh_step = tf.Variable(0, dtype=tf.int64)
    restored = tf.train.Checkpoint(model=fresh, optimizer=fresh_opt, step=fresh_step)
    status = restored.restore(tf.train.latest_checkpoint(tmp_path))
    assert int(fresh_step.numpy()) == 4 and int(fresh_opt.iterations.numpy()) == 4
    for _ in range(3):
        _step(fresh, fresh_opt)
    status.assert_consumed()
    for a, b in zip(model.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_without_optimizer_state_the_trajectory_differs(tmp_path):
    """The test above could not pass by accident: dropping the slots changes the result."""
    model, opt = _make()
    for _ in range(4):
        _step(model, opt)
    path = tf.train.Checkpoint(model=model).save(tmp_path / "only-model")
    _step(model, opt)
    fresh, fresh_opt = _make()
    tf.train.Checkpoint(model=fresh).restore(path).assert_consumed()
    _step(fresh, fresh_opt)
    assert not np.allclose(model.get_weights()[0], fresh.get_weights()[0])


def test_manager_numbers_keeps_max_to_keep_and_recovers_its_state(tmp_path):
    v = tf.Variable(1.0)
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(v=v), tmp_path, max_to_keep=2)
    assert manager.latest_checkpoint is None and tf.train.latest_checkpoint(tmp_path) is None
    paths = []
    for i in range(4):
        v.assign(float(i))
        paths.append(manager.save())
    assert [os.path.basename(p) for p in paths] == ["ckpt-1", "ckpt-2", "ckpt-3", "ckpt-4"]
    assert sorted(os.listdir(tmp_path)) == [
        "checkpoint", "ckpt-3.data-00000-of-00001", "ckpt-3.index", "ckpt-4.data-00000-of-00001",
        "ckpt-4.index"]
    assert manager.checkpoints == paths[2:]
    assert tf.train.latest_checkpoint(tmp_path) == paths[3] == manager.latest_checkpoint
    state = (tmp_path / "checkpoint").read_text()
    assert 'model_checkpoint_path: "ckpt-4"' in state
    again = tf.train.CheckpointManager(tf.train.Checkpoint(v=tf.Variable(0.0)), tmp_path,
                                       max_to_keep=2)
    assert again.checkpoints == paths[2:]
    w = tf.Variable(0.0)
    tf.train.Checkpoint(v=w).restore(paths[2])
    assert float(w.numpy()) == 2.0
    assert manager.save(checkpoint_number=100).endswith("ckpt-100")


def test_checkpoint_save_counter_and_restore_or_initialize(tmp_path):
    v = tf.Variable([1.0, 2.0])
    ckpt = tf.train.Checkpoint(v=v)
    assert ckpt.save(tmp_path / "c").endswith("c-1")
    assert ckpt.save(tmp_path / "c").endswith("c-2")
    assert int(ckpt.save_counter.numpy()) == 2
    assert tf.train.latest_checkpoint(tmp_path).endswith("c-2")
    called = []
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(v=tf.Variable([0.0, 0.0])),
                                         tmp_path / "empty", max_to_keep=1,
                                         init_fn=lambda: called.append(1))
    assert manager.restore_or_initialize() is None and called == [1]


def test_tf_module_and_nested_structures_are_tracked(tmp_path):
    class Net(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(tf.ones((2, 2)))
            self.layers = [tf.Variable(1.0), {"b": tf.Variable([3.0])}]

    net = Net()
    net.w.assign(tf.fill((2, 2), 5.0))
    net.layers[1]["b"].assign([7.0])
    path = tf.train.Checkpoint(net=net).save(tmp_path / "m")
    other = Net()
    tf.train.Checkpoint(net=other).restore(path).assert_consumed()
    np.testing.assert_array_equal(other.w.numpy(), np.full((2, 2), 5.0))
    np.testing.assert_array_equal(other.layers[1]["b"].numpy(), [7.0])


def test_partial_restores_and_shape_mismatch(tmp_path):
    a, b = tf.Variable(1.0), tf.Variable([1.0, 2.0])
    path = tf.train.Checkpoint(a=a, b=b).save(tmp_path / "p")
    only_a = tf.Variable(0.0)
    status = tf.train.Checkpoint(a=only_a).restore(path)
    assert float(only_a.numpy()) == 1.0
    with pytest.raises(AssertionError, match=r"Unresolved object in checkpoint \(root\)\.b"):
        status.assert_consumed()
    status.assert_existing_objects_matched()
    with pytest.raises(AssertionError):  # TF: expect_partial silences warnings, not asserts
        status.expect_partial().assert_consumed()
    extra = tf.train.Checkpoint(a=tf.Variable(0.0), c=tf.Variable(0.0))
    with pytest.raises(AssertionError, match="c"):
        extra.restore(path).assert_existing_objects_matched()
    wrong = tf.train.Checkpoint(b=tf.Variable([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"incompatible tensor with shape \(2,\) .* \(3,\)"):
        wrong.restore(path)


def test_corrupt_checkpoint_and_legacy_npz_are_refused(tmp_path):
    path = tf.train.Checkpoint(a=tf.Variable(1.0)).save(tmp_path / "x")
    data = (tmp_path / "x-1.index").read_bytes()
    (tmp_path / "x-1.index").write_bytes(data[:20])
    with pytest.raises(tf.errors.DataLossError, match="x-1.index.*truncated"):
        tf.train.Checkpoint(a=tf.Variable(0.0)).restore(path)
    np.savez(tmp_path / "old.npz", a=np.array([1.0]))
    with pytest.raises(ValueError, match="old.npz.*tapeflow 0.x"):
        tf.train.Checkpoint(a=tf.Variable(0.0)).restore(str(tmp_path / "old"))
    with pytest.raises(tf.errors.NotFoundError, match="nothing-here"):
        tf.train.Checkpoint(a=tf.Variable(0.0)).restore(str(tmp_path / "nothing-here"))


def test_failed_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    from tapeflow.train import _bundle

    v = tf.Variable(1.0)
    ckpt = tf.train.Checkpoint(v=v)
    path = ckpt.write(str(tmp_path / "w"))
    before = sorted((p.name, p.read_bytes()) for p in tmp_path.iterdir())

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_bundle, "write_table", boom)
    v.assign(2.0)
    with pytest.raises(OSError):
        ckpt.write(path)
    assert sorted((p.name, p.read_bytes()) for p in tmp_path.iterdir()) == before


def test_non_trackable_objects_are_rejected():
    with pytest.raises(ValueError, match="trackable"):
        tf.train.Checkpoint(thing=object())
    with pytest.raises(ValueError, match="max_to_keep"):
        tf.train.CheckpointManager(tf.train.Checkpoint(), "d", max_to_keep=0)


def test_checkpoint_save_state_file_and_get_checkpoint_state(tmp_path):
    # TF 2.21, the same two saves: the state file names only the newest checkpoint
    c = tf.train.Checkpoint(a=tf.Variable(1.0))
    c.save(str(tmp_path / "x"))
    c.save(str(tmp_path / "x"))
    assert (tmp_path / "checkpoint").read_text() == \
        'model_checkpoint_path: "x-2"\nall_model_checkpoint_paths: "x-2"\n'
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path == str(tmp_path / "x-2")
    assert state.all_model_checkpoint_paths == [str(tmp_path / "x-2")]
    assert tf.train.get_checkpoint_state(str(tmp_path / "nothing")) is None
    with pytest.raises(tf.errors.DataLossError, match="Is a directory"):
        tf.train.Checkpoint(a=tf.Variable(0.0)).restore(str(tmp_path))


def test_load_variable_checkpoints_iterator_sync_and_manager_checkpoint(tmp_path):
    ckpt = tf.train.Checkpoint(a=tf.Variable([1.0, 2.0]))
    manager = tf.train.CheckpointManager(ckpt, tmp_path, max_to_keep=3)
    assert manager.checkpoint is ckpt and ckpt.sync() is None
    path = manager.save()
    np.testing.assert_array_equal(
        tf.train.load_variable(str(tmp_path), "a/.ATTRIBUTES/VARIABLE_VALUE:0"), [1.0, 2.0])
    seen = list(tf.train.checkpoints_iterator(str(tmp_path), timeout=1))
    assert seen == [path]


def test_half_bfloat16_bool_and_int_variables_round_trip(tmp_path):
    pytest.importorskip("ml_dtypes", reason="bfloat16 needs the ml_dtypes extra")
    values = {"v": tf.Variable(tf.cast(tf.constant([1.5, 2.25]), tf.bfloat16)),
              "h": tf.Variable(np.array([1.5, -2], np.float16)),
              "b": tf.Variable([True, False]), "i": tf.Variable(np.array([7], np.int8))}
    path = tf.train.Checkpoint(**values).write(str(tmp_path / "x"))
    dtypes = {k.split("/")[0]: v.name
              for k, v in tf.train.load_checkpoint(path).get_variable_to_dtype_map().items()}
    assert dtypes == {"_CHECKPOINTABLE_OBJECT_GRAPH": "string", "v": "bfloat16",
                      "h": "float16", "b": "bool", "i": "int8"}
    fresh = {k: tf.Variable(tf.zeros_like(v)) for k, v in values.items()}
    tf.train.Checkpoint(**fresh).read(path).assert_consumed()
    for k in values:
        np.testing.assert_array_equal(fresh[k].numpy(), values[k].numpy())
        assert fresh[k].dtype == values[k].dtype


def test_a_folder_of_old_npz_checkpoints_is_not_silently_ignored(tmp_path):
    np.savez(tmp_path / "ckpt-1.npz", a=np.array(1.0))
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "ckpt-1"\n'
                                         'all_model_checkpoint_paths: "ckpt-1"\n')
    assert tf.train.latest_checkpoint(tmp_path) == str(tmp_path / "ckpt-1")
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(a=tf.Variable(0.0)), tmp_path,
                                         max_to_keep=1)
    with pytest.raises(ValueError, match="ckpt-1.npz.*tapeflow 0.x"):
        manager.restore_or_initialize()
    manager.save()  # numbered from the fresh save_counter: it replaces the old file
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "ckpt-1.data-00000-of-00001",
                                            "ckpt-1.index"]
    manager.restore_or_initialize()
