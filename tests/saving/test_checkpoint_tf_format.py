"""Checkpoints TensorFlow 2.21 wrote (``scripts/make_tf_checkpoint_fixtures.py``) restore into
the equivalent tapeflow objects; names, shapes, dtypes and errors are TF's (recorded in
``tests/fixtures/tf_checkpoints/expected.json``)."""
import json
import os
import shutil
import sys

import numpy as np
import pytest

import tapeflow as tf

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "tf_checkpoints")
with open(os.path.join(HERE, "expected.json")) as f:
    EXPECTED = json.load(f)
keras = tf.keras


class Net(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable(tf.zeros((2, 3)))
        self.layers = [tf.Variable(0.0), {"b": tf.Variable([0.0, 0.0]), "a": tf.Variable(0)}]
        self.sub = tf.Module()
        self.sub.v = tf.Variable(np.zeros(2, "float64"))


def _keras_model():
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"),
                             keras.layers.Dense(1)])


def _as_lists(pairs):
    return [[name, list(shape)] for name, shape in pairs]


@pytest.fixture
def fixtures(tmp_path):
    """A copy, so that nothing a test does can change the checked-in files."""
    shutil.copytree(HERE, tmp_path / "tf", dirs_exist_ok=True)
    return tmp_path / "tf"


def test_latest_checkpoint_and_list_variables_on_tf_folders(fixtures):
    exp = EXPECTED["module"]
    latest = tf.train.latest_checkpoint(fixtures / "module")
    assert os.path.basename(latest) == exp["latest"] == "ckpt-2"
    assert _as_lists(tf.train.list_variables(latest)) == exp["list_variables"]
    assert _as_lists(tf.train.list_variables(fixtures / "module")) == exp["list_variables"]
    reader = tf.train.load_checkpoint(latest)
    dtypes = {k: v.name for k, v in reader.get_variable_to_dtype_map().items()}
    assert dtypes == exp["dtypes"]
    assert reader.has_tensor("net/w/.ATTRIBUTES/VARIABLE_VALUE")
    assert not reader.has_tensor("net/w")
    np.testing.assert_array_equal(reader.get_tensor("net/w/.ATTRIBUTES/VARIABLE_VALUE"),
                                  exp["values"]["w"])
    assert reader.get_variable_to_shape_map()["net/w/.ATTRIBUTES/VARIABLE_VALUE"] == [2, 3]


def test_restore_tf_module_checkpoint(fixtures):
    exp = EXPECTED["module"]["values"]
    net, step = Net(), tf.Variable(0, dtype=tf.int64)
    ckpt = tf.train.Checkpoint(net=net, step=step)
    ckpt.restore(tf.train.latest_checkpoint(fixtures / "module")).assert_consumed()
    np.testing.assert_array_equal(net.w.numpy(), exp["w"])
    assert float(net.layers[0].numpy()) == exp["l0"]
    np.testing.assert_array_equal(net.layers[1]["b"].numpy(), exp["b"])
    assert int(net.layers[1]["a"].numpy()) == exp["a"]
    np.testing.assert_array_equal(net.sub.v.numpy(), exp["v"])
    assert int(step.numpy()) == exp["step"]
    assert int(ckpt.save_counter.numpy()) == exp["save_counter"]


def test_restore_tf_keras_adam_checkpoint_and_continue_the_trajectory(fixtures):
    exp = EXPECTED["keras_adam"]
    model, opt = _keras_model(), keras.optimizers.Adam(0.01)
    status = tf.train.Checkpoint(model=model, optimizer=opt).restore(fixtures / exp["path"])
    status.assert_consumed()
    for got, want in zip(model.get_weights(), exp["weights"]):
        np.testing.assert_array_equal(got, np.asarray(want, "float32"))
    assert int(opt.iterations.numpy()) == exp["iterations"]
    x, y = np.asarray(exp["x"], "float32"), np.asarray(exp["y"], "float32")
    losses = []
    for _ in range(3):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((model(x) - y) ** 2)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        losses.append(float(loss.numpy()))
    np.testing.assert_allclose(losses, exp["losses_after"], rtol=1e-5)
    for got, want in zip(model.get_weights(), exp["weights_after"]):
        np.testing.assert_allclose(got, np.asarray(want, "float32"), rtol=1e-5, atol=1e-6)


def test_restore_tf_keras_checkpoint_into_a_model_built_later(fixtures):
    """Deferred restoration: the Sequential has no input shape, so its variables (and the
    optimizer's slots for them) appear in the first call and take the saved values then."""
    exp = EXPECTED["keras_adam"]
    model = keras.Sequential([keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(1)])
    opt = keras.optimizers.Adam(0.01)
    status = tf.train.Checkpoint(model=model, optimizer=opt).restore(fixtures / exp["path"])
    x = np.asarray(exp["x"], "float32")
    first = model(x)
    for got, want in zip(model.get_weights(), exp["weights"]):
        np.testing.assert_array_equal(got, np.asarray(want, "float32"))
    np.testing.assert_allclose(first.numpy(), model(x).numpy())
    status.assert_consumed()
    slots = [s for _, ss in opt._state.values() for s in ss]
    assert len(slots) == len(exp["slots"])


def test_tapeflow_writes_the_names_tf_writes(tmp_path):
    model = _keras_model()
    path = tf.train.Checkpoint(model=model).write(str(tmp_path / "m"))
    assert _as_lists(tf.train.list_variables(path)) == EXPECTED["model_only"]["list_variables"]
    opt = keras.optimizers.Adam(0.01)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(np.ones((2, 3), "float32")))
    opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                            model.trainable_variables))
    path = tf.train.Checkpoint(model=model, optimizer=opt).save(str(tmp_path / "ckpt"))
    assert _as_lists(tf.train.list_variables(path)) == EXPECTED["keras_adam"]["list_variables"]
    net = Net()
    step = tf.Variable(0, dtype=tf.int64)
    ckpt = tf.train.Checkpoint(net=net, step=step)
    ckpt.save(str(tmp_path / "n"))
    path = ckpt.save(str(tmp_path / "n"))
    assert _as_lists(tf.train.list_variables(path)) == EXPECTED["module"]["list_variables"]


def test_errors_are_tfs(fixtures):
    err = EXPECTED["errors"]
    module = str(fixtures / "module" / "ckpt-2")
    with pytest.raises(tf.errors.NotFoundError, match="Error when restoring from checkpoint "
                       "or SavedModel at .*nothing: Unsuccessful TensorSliceReader"):
        tf.train.Checkpoint(a=tf.Variable(0.0)).restore(str(fixtures / "nothing"))
    assert err["restore_missing"][0] == "NotFoundError"
    with pytest.raises(tf.errors.NotFoundError, match="Failed to find any matching files"):
        tf.train.load_checkpoint(str(fixtures / "nothing"))
    assert err["load_missing"][0] == "NotFoundError"
    with pytest.raises(tf.errors.NotFoundError, match=err["get_tensor_missing"][1]):
        tf.train.load_checkpoint(module).get_tensor("x")
    with pytest.raises(ValueError) as e:
        tf.train.Checkpoint(step=tf.Variable([1, 2], dtype=tf.int64)).restore(module)
    assert str(e.value).startswith(err["shape_mismatch"][1].split(" and name")[0])
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        tf.train.Checkpoint(step=tf.Variable(1.0)).restore(module)
    want = "tensor_name = step/.ATTRIBUTES/VARIABLE_VALUE; expected dtype float does not " \
           "equal original dtype int64"
    assert want in str(e.value) and want in err["dtype_mismatch"][1]
    status = tf.train.Checkpoint(step=tf.Variable(0, dtype=tf.int64)).restore(module)
    assert err["partial_existing"] is None
    status.assert_existing_objects_matched()
    with pytest.raises(AssertionError, match=r"Unresolved object in checkpoint \(root\)\.net\."):
        status.assert_consumed()
    assert err["partial_consumed"][1].startswith("Unresolved object in checkpoint (root).net.")
    status.expect_partial()
    extra = tf.train.Checkpoint(step=tf.Variable(0, dtype=tf.int64), other=tf.Variable(0.0))
    with pytest.raises(AssertionError) as e:
        extra.restore(module).assert_existing_objects_matched()
    assert str(e.value).split(": [")[0] == err["extra_existing"][1].split(": [")[0]
    with pytest.raises(AssertionError, match=err["none_consumed"][1].replace("(", r"\(")
                       .replace(")", r"\)")):
        tf.train.Checkpoint().restore(None).assert_consumed()
    with pytest.raises(ValueError) as e:
        tf.train.Checkpoint(x=3)
    assert str(e.value) == err["not_trackable"][1]
    with pytest.raises(ValueError) as e:
        tf.train.CheckpointManager(tf.train.Checkpoint(), str(fixtures), 0)
    assert str(e.value) == err["max_to_keep"][1]


def test_corruption_is_detected(fixtures):
    path = fixtures / "keras_adam" / "ckpt-1.data-00000-of-00001"
    data = bytearray(path.read_bytes())
    data[100] ^= 0x10
    path.write_bytes(bytes(data))
    model, opt = _keras_model(), keras.optimizers.Adam(0.01)
    with pytest.raises(tf.errors.DataLossError, match="checksum mismatch"):
        tf.train.Checkpoint(model=model, optimizer=opt).restore(
            str(fixtures / "keras_adam" / "ckpt-1"))
    index = fixtures / "module" / "ckpt-2.index"
    raw = bytearray(index.read_bytes())
    for cut in (len(raw) - 3, 10):
        index.write_bytes(bytes(raw[:cut]))
        with pytest.raises(tf.errors.DataLossError, match="ckpt-2.index"):
            tf.train.load_checkpoint(str(fixtures / "module" / "ckpt-2"))
    raw[5] ^= 0x01
    index.write_bytes(bytes(raw))
    with pytest.raises(tf.errors.DataLossError, match="checksum mismatch"):
        tf.train.load_checkpoint(str(fixtures / "module" / "ckpt-2"))


def test_tensorflow_reads_tapeflow_checkpoints(tmp_path):
    tensorflow = pytest.importorskip("tensorflow", reason="TensorFlow is not installed")
    model = _keras_model()
    ckpt = tf.train.Checkpoint(model=model)
    path = ckpt.save(str(tmp_path / "c"))
    other = tensorflow.keras.Sequential([
        tensorflow.keras.Input((3,)), tensorflow.keras.layers.Dense(4, activation="tanh"),
        tensorflow.keras.layers.Dense(1)])
    tensorflow.train.Checkpoint(model=other).restore(path).assert_consumed()
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert tensorflow.train.latest_checkpoint(str(tmp_path)) == path


OPTIMIZERS = {
    "rmsprop_centered": lambda: keras.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "nadam": lambda: keras.optimizers.Nadam(0.01),
    "sgd_nesterov": lambda: keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "adam_amsgrad": lambda: keras.optimizers.Adam(0.01, amsgrad=True),
    "adagrad": lambda: keras.optimizers.Adagrad(0.1),
}


def _train(model, opt, x, y, steps):
    losses = []
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((model(x) - y) ** 2)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        losses.append(float(loss.numpy()))
    return losses


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_tf_optimizer_state_restores_and_names_match(fixtures, tmp_path, name):
    exp = EXPECTED["optimizers"][name]
    x = np.asarray(EXPECTED["keras_adam"]["x"], "float32")
    y = np.asarray(EXPECTED["keras_adam"]["y"], "float32")
    model, opt = _keras_model(), OPTIMIZERS[name]()
    tf.train.Checkpoint(model=model, optimizer=opt).read(
        str(fixtures / "optimizers" / name)).assert_consumed()
    np.testing.assert_allclose(_train(model, opt, x, y, 2), exp["losses_after"], rtol=1e-5)
    ours, our_opt = _keras_model(), OPTIMIZERS[name]()
    _train(ours, our_opt, x, y, 1)
    path = tf.train.Checkpoint(model=ours, optimizer=our_opt).write(str(tmp_path / name))
    assert _as_lists(tf.train.list_variables(path)) == exp["list_variables"]


def test_compiled_model_carries_its_optimizer_with_tfs_names(tmp_path):
    x = np.asarray(EXPECTED["keras_adam"]["x"], "float32")
    y = np.asarray(EXPECTED["keras_adam"]["y"], "float32")
    model = _keras_model()
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    path = tf.train.Checkpoint(model=model).write(str(tmp_path / "c"))
    assert _as_lists(tf.train.list_variables(path)) == EXPECTED["compiled"]["list_variables"]


def test_manager_adopts_a_folder_tensorflow_wrote(fixtures):
    net, step = Net(), tf.Variable(0, dtype=tf.int64)
    ckpt = tf.train.Checkpoint(net=net, step=step)
    manager = tf.train.CheckpointManager(ckpt, fixtures / "module", max_to_keep=2)
    assert [os.path.basename(p) for p in manager.checkpoints] == ["ckpt-1", "ckpt-2"]
    assert manager.restore_or_initialize().endswith("ckpt-2")
    assert int(step.numpy()) == 7 and int(ckpt.save_counter.numpy()) == 2
    assert manager.save().endswith("ckpt-3")  # TF numbers on from the restored save_counter
    assert sorted(n for n in os.listdir(fixtures / "module") if n.endswith(".index")) == [
        "ckpt-2.index", "ckpt-3.index"]


def test_object_graph_agrees_with_the_official_proto_definition(fixtures, tmp_path):
    """tapeflow's small protobuf codec against the ``TrackableObjectGraph`` definition that
    the tensorboard package ships (the one maintained package that carries it)."""
    pb = pytest.importorskip("tensorboard.compat.proto.trackable_object_graph_pb2",
                             reason="tensorboard (the reference proto definitions) is absent")
    from tapeflow.train import _checkpoint

    model, opt = _keras_model(), keras.optimizers.Adam(0.01)
    tf.train.Checkpoint(model=model, optimizer=opt).restore(
        str(fixtures / EXPECTED["keras_adam"]["path"]))
    ours = tf.train.Checkpoint(model=model, optimizer=opt).write(str(tmp_path / "o"))
    for path in (str(fixtures / EXPECTED["keras_adam"]["path"]), ours):
        blob = tf.train.load_checkpoint(path).get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH")
        official = pb.TrackableObjectGraph()
        official.ParseFromString(blob)
        mine = _checkpoint._decode_graph(blob, path)
        assert len(mine) == len(official.nodes)
        for a, b in zip(mine, official.nodes):
            assert a.children == [(c.node_id, c.local_name) for c in b.children]
            assert a.attributes == [(t.name, t.full_name, t.checkpoint_key)
                                    for t in b.attributes]


@pytest.mark.parametrize("n", [0, 1, 9, 2047, 2048, 4099, 70_001])
def test_crc32c_lanes_equal_the_byte_by_byte_definition(n):
    from tapeflow.train import _bundle

    data = np.random.default_rng(n).bytes(n)
    reg = 0xFFFFFFFF
    for b in data:  # the definition: reflected polynomial 0x82F63B78
        reg ^= b
        for _ in range(8):
            reg = (reg >> 1) ^ 0x82F63B78 if reg & 1 else reg >> 1
    assert _bundle.crc32c(data) == reg ^ 0xFFFFFFFF
    assert _bundle.crc32c(data[n // 3:], _bundle.crc32c(data[:n // 3])) == reg ^ 0xFFFFFFFF
    assert _bundle.crc32c(b"123456789") == 0xE3069283  # the standard check value
    assert _bundle.unmask(_bundle.mask(reg)) == reg


@pytest.mark.parametrize("seed", range(40))
def test_damaged_files_give_a_clear_error_or_the_same_values(fixtures, seed):
    """A seeded mini-fuzzer: one bit flip or truncation of the index or data file either
    raises DataLossError naming the file, or (bytes nothing reads) restores the same values."""
    rng = np.random.default_rng(seed)
    prefix = fixtures / "keras_adam" / "ckpt-1"
    good, good_opt = _keras_model(), keras.optimizers.Adam(0.01)
    tf.train.Checkpoint(model=good, optimizer=good_opt).restore(str(prefix))
    target = fixtures / "keras_adam" / rng.choice(["ckpt-1.index",
                                                    "ckpt-1.data-00000-of-00001"])
    raw = bytearray(target.read_bytes())
    if seed % 4 == 3:
        raw = raw[:int(rng.integers(0, len(raw)))]
    else:
        raw[int(rng.integers(0, len(raw)))] ^= 1 << int(rng.integers(0, 8))
    target.write_bytes(bytes(raw))
    model, opt = _keras_model(), keras.optimizers.Adam(0.01)
    try:
        tf.train.Checkpoint(model=model, optimizer=opt).restore(str(prefix))
    except tf.errors.DataLossError as e:
        assert "ckpt-1" in str(e)
        return
    for a, b in zip(model.get_weights(), good.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert int(opt.iterations.numpy()) == int(good_opt.iterations.numpy())


sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
from checkpoint_layer_specs import LAYERS as LAYER_SPECS  # noqa: E402
from checkpoint_layer_specs import build_layer as BUILD_LAYER  # noqa: E402


@pytest.mark.parametrize("spec", LAYER_SPECS, ids=[s[0] for s in LAYER_SPECS])
def test_layer_variables_have_tfs_names(tmp_path, spec):
    name, make, shape, dtype = spec
    layer = BUILD_LAYER(name, make, shape, dtype, keras.layers, keras.Input, keras.Model)
    path = tf.train.Checkpoint(layer=layer).write(str(tmp_path / "l"))
    assert _as_lists(tf.train.list_variables(path)) == EXPECTED["layers"][name]
