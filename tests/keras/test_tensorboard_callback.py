"""tf.keras.callbacks.TensorBoard: the logs are read back with TensorBoard's own reader and
server, and laid out as Keras 3 (TF 2.21) lays them out for the same fit
(tests/summary_data/tf_reference.json, made by make_tf_reference.py there)."""
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.summary import _encode, _summary

pytest.importorskip("tensorboard", reason="the reference reader, TensorBoard, is not "
                                          "installed (pip install -e '.[dev]')")
from tensorboard.backend.event_processing.event_accumulator import (
    EventAccumulator,
)
from tensorboard.plugins.graph import keras_util
from tensorboard.util import tensor_util

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TESTS)
from test_summary import read_events  # noqa: E402

with open(os.path.join(TESTS, "summary_data", "tf_reference.json")) as _f:
    REF = json.load(_f)["keras_callback"]


@pytest.fixture(autouse=True)
def fresh_state():
    yield
    _summary._state.__init__()


def data():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 3)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int32)


def fit(logdir, epochs=2, validation=True, model_name=None, **kwargs):
    """The reference's fit: 32 examples in batches of 8, two epochs, validation on 16."""
    x, y = data()
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([tf.keras.Input((3,)),
                                 tf.keras.layers.Dense(4, activation="relu", name="d1"),
                                 tf.keras.layers.Dense(2, activation="softmax", name="d2")],
                                name=model_name)
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    cb = tf.keras.callbacks.TensorBoard(log_dir=logdir, **kwargs)
    history = model.fit(x, y, batch_size=8, epochs=epochs, verbose=0, callbacks=[cb],
                        validation_data=(x[:16], y[:16]) if validation else None)
    return model, history


def layout(events):
    """(step, tag, plugin, plugin content, dtype, shape, image dims) of each event, with the
    Sequential model's generated name (``sequential``, ``sequential_1``...) as MODEL."""
    return [(e["step"], re.sub(r"^sequential(_\d+)?/", "MODEL/", e["tag"]), e["plugin"],
             e["content"], e["dtype"], e["shape"], e.get("dims"))
            for e in events if "tag" in e]


@pytest.mark.parametrize("config", ["default", "full"])
def test_layout_is_keras3s(tmp_path, config):
    ref = REF[config]
    fit(str(tmp_path), **ref["args"])
    assert sorted(os.listdir(tmp_path)) == ref["dirs"] == ["train", "validation"]
    for run in ref["dirs"]:
        mine = read_events(str(tmp_path / run))
        assert len(mine[0]) == 2 and mine[0]["file_version"] == "brain.Event:2"
        assert layout(mine) == layout(ref[run]["events"]), run


def test_scalars_are_the_fits_logs(tmp_path):
    model, history = fit(str(tmp_path), histogram_freq=1, write_images=True)
    h = history.history
    acc = EventAccumulator(str(tmp_path / "train"), size_guidance={"tensors": 0})
    acc.Reload()

    def values(a, tag):
        return [(e.step, float(tensor_util.make_ndarray(e.tensor_proto)))
                for e in a.Tensors(tag)]

    f32 = lambda v: float(np.float32(v))
    assert values(acc, "epoch_loss") == [(i, f32(v)) for i, v in enumerate(h["loss"])]
    assert values(acc, "epoch_accuracy") == [(i, f32(v)) for i, v in enumerate(h["accuracy"])]
    assert values(acc, "epoch_learning_rate") == [(0, f32(0.01)), (1, f32(0.01))]
    val = EventAccumulator(str(tmp_path / "validation"), size_guidance={"tensors": 0})
    val.Reload()
    assert values(val, "epoch_loss") == [(i, f32(v)) for i, v in enumerate(h["val_loss"])]
    assert values(val, "evaluation_loss_vs_iterations") == \
        [(4 * (i + 1), f32(v)) for i, v in enumerate(h["val_loss"])]
    # the last epoch's histogram and image are those of the final weights
    kernel = model.layers[0].kernel.numpy()
    hist = tensor_util.make_ndarray(acc.Tensors(f"{model.name}/d1/kernel/histogram")[-1]
                                    .tensor_proto)
    np.testing.assert_array_equal(hist, _encode.histogram_buckets(kernel))
    assert hist[:, 2].sum() == kernel.size
    image = read_events(str(tmp_path / "train"))
    last = [e for e in image if e.get("tag") == f"{model.name}/d2/kernel/image"][-1]
    d2 = model.layers[1].kernel.numpy()  # (4, 2): shown transposed, 2 rows of 4
    assert last["dims"] == ["4", "2"]
    assert np.array(last["pixels"][0])[..., 0].tolist() == _encode.to_uint8(d2.T).tolist()
    graph = [e for e in image if e.get("tag") == "keras"]
    config = json.loads(graph[0]["value"][0])
    assert config["class_name"] == "Sequential" and graph[0]["plugin"] == "graph_keras_model"
    keras_util.keras_model_to_graph_def(config)  # TensorBoard's graph plugin reads it


def test_update_freq_batch_no_validation_and_arguments(tmp_path):
    fit(str(tmp_path), epochs=1, validation=False, update_freq="batch", write_graph=False)
    assert os.listdir(tmp_path) == ["train"]  # no validation run without validation data
    events = read_events(str(tmp_path / "train"))
    assert [(e["step"], e["tag"]) for e in events[1:] if e["tag"] == "batch_loss"] == \
        [(1, "batch_loss"), (2, "batch_loss"), (3, "batch_loss"), (4, "batch_loss")]
    assert all(e["tag"] != "keras" for e in events[1:])
    with pytest.raises(ValueError, match="Unrecognized update_freq"):
        tf.keras.callbacks.TensorBoard(str(tmp_path), update_freq="step")
    with pytest.warns(UserWarning, match="profile_batch=2 is ignored"):
        tf.keras.callbacks.TensorBoard(str(tmp_path), profile_batch=2)
    with pytest.warns(UserWarning, match="embeddings_freq=1 is ignored"):
        tf.keras.callbacks.TensorBoard(str(tmp_path), embeddings_freq=1)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get_json(url, deadline, proc):
    """The JSON at ``url`` once the server answers it with data, or None at the deadline."""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return None
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                body = json.loads(r.read())
            if body:
                return body
        except (urllib.error.URLError, ConnectionError, OSError, ValueError):
            pass
        time.sleep(0.5)
    return None


def test_the_tensorboard_server_serves_the_scalars(tmp_path):
    _, history = fit(str(tmp_path / "logs"))
    port = _free_port()
    cmd = [sys.executable, "-m", "tensorboard.main", "--logdir", str(tmp_path / "logs"),
           "--host", "127.0.0.1", "--port", str(port), "--load_fast", "false",
           "--reload_interval", "1"]
    log = open(tmp_path / "server.log", "w+")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        base = f"http://127.0.0.1:{port}/data/plugin/scalars/scalars?tag=epoch_loss&run="
        train = _get_json(base + "train", deadline, proc)
        val = _get_json(base + "validation", deadline, proc)
        log.seek(0)
        assert train is not None and val is not None, log.read()[-3000:]
        # rows of [wall time, step, value]
        assert [(r[1], r[2]) for r in train] == \
            [(i, float(np.float32(v))) for i, v in enumerate(history.history["loss"])]
        assert [(r[1], r[2]) for r in val] == \
            [(i, float(np.float32(v))) for i, v in enumerate(history.history["val_loss"])]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/data/runs", timeout=5) as r:
            assert sorted(json.loads(r.read())) == ["train", "validation"]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_missing_tensorboard_names_the_extra(tmp_path, monkeypatch):
    from tapeflow.summary import _events

    monkeypatch.setattr(_events, "_TB", None)
    for name in [m for m in sys.modules if m.split(".")[0] == "tensorboard"]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=re.escape("pip install tapeflow[tensorboard]")):
        tf.keras.callbacks.TensorBoard(str(tmp_path))


def test_weight_tags_follow_keras3s_paths(tmp_path):
    """Keras 3 (checked with 3.15): a functional model's weights are ``d/kernel``, a
    subclassed or Sequential model's ``<model name>/d/kernel``."""
    x, _ = data()
    inputs = tf.keras.Input((3,))
    functional = tf.keras.Model(inputs, tf.keras.layers.Dense(2, name="d")(inputs), name="fm")

    class Sub(tf.keras.Model):
        def __init__(self):
            super().__init__(name="sub")
            self.d = tf.keras.layers.Dense(2, name="d")

        def call(self, x):
            return self.d(x)

    for model, prefix in [(functional, ""), (Sub(), "sub/")]:
        model.compile(optimizer="sgd", loss="mse")
        logdir = str(tmp_path / model.name)
        cb = tf.keras.callbacks.TensorBoard(logdir, histogram_freq=1, write_graph=False)
        model.fit(x, x[:, :2], epochs=1, verbose=0, callbacks=[cb])
        tags = [e["tag"] for e in read_events(os.path.join(logdir, "train"))[1:]
                if e["plugin"] == "histograms"]
        assert tags == [f"{prefix}d/kernel/histogram", f"{prefix}d/bias/histogram"]
