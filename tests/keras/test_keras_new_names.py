"""The Keras names added for issue 16 (metrics, activations, optimizers, schedules,
initializers, callbacks) against values, configs and error classes recorded from TF 2.21 /
Keras 3.15 by ``tests/fixtures/keras_new_names_cases.py`` (checked in as
``keras_new_names_2_21.json``), plus gradients by finite differences and saving round trips."""
import http.server
import json
import re
import threading
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf
from tests.fixtures.keras_new_names_cases import (
    ACTIVATIONS,
    CASES,
    CONFIGS,
    SERIALIZED,
    X,
    config_of,
    outcome,
)
from tests.gradcheck import check_grad

RECORDED = json.loads((Path(__file__).parent.parent / "fixtures" / "keras_new_names_2_21.json")
                      .read_text())


def test_every_case_was_recorded():
    assert sorted(RECORDED["cases"]) == sorted(n for n, _ in CASES)
    assert sorted(RECORDED["configs"]) == sorted(n for n, _ in CONFIGS)


def _same(got, want, name):
    if "items" in want:
        assert len(got["items"]) == len(want["items"]), name
        for g, w in zip(got["items"], want["items"]):
            _same(g, w, name)
        return
    assert {k: v for k, v in got.items() if k not in ("values", "kind")} == \
        {k: v for k, v in want.items() if k not in ("values", "kind")}, name
    if want.get("values") is not None:
        np.testing.assert_allclose(got["values"], want["values"], rtol=2e-5, atol=2e-6,
                                   err_msg=name)


# NOTE: Keras 3.15's TensorFlow backend computes sparsemax's threshold from the sum of the
# cumulative sums over the support instead of the last one, so rows whose support has more
# than one element come out all zero (they should sum to 1). tapeflow computes the true
# projection; rows with a one-element support agree with TF.
SPARSEMAX_DIFFERS = {"act_sparsemax", "act_sparsemax_float64"}


@pytest.mark.parametrize("name,fn", CASES, ids=[n for n, _ in CASES])
def test_matches_tensorflow(name, fn):
    want = RECORDED["cases"][name]
    got = outcome(tf, fn)
    if name == "act_by_name":  # sparsemax (see above) is item 11
        i = ACTIVATIONS.index("sparsemax")
        got["items"].pop(i)
        want = {"items": [w for k, w in enumerate(want["items"]) if k != i]}
    if name in SPARSEMAX_DIFFERS:
        n = len(want["values"]) // 2
        np.testing.assert_allclose(got["values"][:n], want["values"][:n], atol=1e-6)
        np.testing.assert_allclose(sum(got["values"][n:]), 1.0, rtol=1e-6)
        return
    if "error" in want or "error" in got:
        assert got == want
        return
    _same(got, want, name)


def _unnumbered(config):
    """Keras numbers default names (``io_u_2``); tapeflow does not."""
    config = dict(config)
    if isinstance(config.get("name"), str):
        config["name"] = re.sub(r"_\d+$", "", config["name"])
    return config


@pytest.mark.parametrize("name,fn", CONFIGS, ids=[n for n, _ in CONFIGS])
def test_config_matches_and_round_trips(name, fn):
    want = _unnumbered(RECORDED["configs"][name])
    got = _unnumbered(config_of(tf, fn))
    if name == "init_IdentityInitializer":
        # NOTE: Keras 3.15's Identity has no get_config, so its gain is lost on a round trip;
        # tapeflow keeps it
        assert want == {} and got == {"gain": 1.0}
    elif name.startswith("multi_"):  # the inner optimizers' configs: as opt_ below
        assert {k: v for k, v in got.items() if k != "optimizer_map"} == \
            {k: v for k, v in want.items() if k != "optimizer_map"}
        gmap, wmap = got["optimizer_map"], want["optimizer_map"]
        assert {k: v for k, v in gmap.items() if k != "config"} == \
            {k: v for k, v in wmap.items() if k != "config"}
        assert gmap["config"]["default_optimizer"]["class_name"] == "SGD"
        assert {k: v["class_name"] for k, v in gmap["config"]["optimizer_map"].items()} == \
            {k: v["class_name"] for k, v in wmap["config"]["optimizer_map"].items()}
    elif name.startswith("opt_"):  # tapeflow's base config has fewer of the shared keys
        shared = {k: v for k, v in want.items() if k in got}
        assert set(want) - set(got) <= {"loss_scale_factor", "gradient_accumulation_steps"}
        for k, v in shared.items():
            assert got[k] == (pytest.approx(v) if isinstance(v, float) else v), k
    else:
        assert got == want
    obj = fn(tf)
    again = type(obj).from_config(obj.get_config())
    assert again.get_config() == obj.get_config()


METRIC_CONFIGS = [n for n, _ in CONFIGS
                  if not n.startswith(("opt_", "multi_", "sched_", "init_"))]


@pytest.mark.parametrize("name", METRIC_CONFIGS)
def test_metric_registry_round_trip(name):
    obj = dict(CONFIGS)[name](tf)
    again = tf.keras.metrics.deserialize(tf.keras.metrics.serialize(obj))
    assert type(again) is type(obj) and again.get_config() == obj.get_config()


@pytest.mark.parametrize("name", ["Lion", "Lamb", "Ftrl", "Adafactor", "Muon", "ScheduleFreeAdamW"])
def test_optimizer_registry(name):
    opt = tf.keras.optimizers.get(name.lower())
    assert type(opt).__name__ == name
    again = tf.keras.optimizers.deserialize(tf.keras.optimizers.serialize(opt))
    assert again.get_config() == opt.get_config()


@pytest.mark.parametrize("name", ["CosineDecayRestarts", "ExponentialDecay"])
def test_schedule_serialize(name):
    s = dict(SERIALIZED)[name](tf)
    assert tf.keras.optimizers.schedules.serialize(s) == RECORDED["serialized"][name]
    again = tf.keras.optimizers.schedules.deserialize(RECORDED["serialized"][name])
    assert again.get_config() == s.get_config()
    with pytest.raises(ValueError):
        tf.keras.optimizers.schedules.deserialize({"class_name": "Nope", "config": {}})


# -- activations: gradients and names ---------------------------------------------------------
SMOOTH = X + 0.013  # off the kinks (0, +-1, +-threshold) where finite differences straddle


@pytest.mark.parametrize("name", ACTIVATIONS + ["threshold"])
def test_activation_gradient(name):
    fn = getattr(tf.keras.activations, name)
    if name == "threshold":
        check_grad(lambda x: fn(x, 0.3, -1.0), SMOOTH)
    elif name == "sparsemax":
        check_grad(fn, SMOOTH * 0.4)  # several classes in the support
    else:
        check_grad(fn, SMOOTH)


@pytest.mark.parametrize("name", ACTIVATIONS + ["threshold"])
def test_activation_registry(name):
    fn = tf.keras.activations.get(name)
    want = "hard_silu" if name == "hard_swish" else name
    assert tf.keras.activations.serialize(fn) == want
    assert tf.keras.activations.deserialize(want) is fn


def test_sparsemax_sums_to_one_with_exact_zeros():
    out = tf.keras.activations.sparsemax(tf.constant(X * 0.4)).numpy()
    np.testing.assert_allclose(out.sum(axis=-1), 1.0, rtol=1e-6)
    assert (out == 0).any() and (out >= 0).all()


def test_dense_layer_with_named_activation_saves(tmp_path):
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2, activation="mish")])
    path = tmp_path / "m.keras"
    model.save(path)
    again = tf.keras.models.load_model(path)
    assert again.layers[0].get_config()["activation"] == "mish"
    x = np.ones((1, 3), np.float32)
    np.testing.assert_allclose(again(x).numpy(), model(x).numpy(), rtol=1e-6)


# -- optimizers: slot state saves and loads in Keras's order ------------------------------------
@pytest.mark.parametrize("name", ["Lion", "Lamb", "Ftrl", "Adafactor", "Muon", "ScheduleFreeAdamW",
                                  "multi"])
def test_optimizer_slots_in_keras_order(name):
    want = RECORDED["cases"][f"opt_vars_{name}"]
    got = outcome(tf, dict(CASES)[f"opt_vars_{name}"])
    _same(got, want, name)


@pytest.mark.parametrize("name", ["Lion", "Lamb", "Ftrl", "Adafactor", "Muon", "ScheduleFreeAdamW"])
def test_optimizer_state_round_trips_through_keras_file(name, tmp_path):
    def build():
        m = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
        m.compile(optimizer=getattr(tf.keras.optimizers, name)(learning_rate=0.01), loss="mse")
        return m

    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    y = np.random.default_rng(1).normal(size=(8, 2)).astype("float32")
    model = build()
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    again = tf.keras.models.load_model(path)
    assert type(again.optimizer).__name__ == name
    want = [v.numpy() for v in model.optimizer.variables]
    got = [v.numpy() for v in again.optimizer.variables]
    assert len(got) == len(want)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    again.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    for a, b in zip(again.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_metric_in_fit_logs():
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse",
                  metrics=[tf.keras.metrics.RootMeanSquaredError(), tf.keras.metrics.R2Score()])
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    y = x[:, :1] * 2.0
    logs = model.fit(x, y, epochs=1, batch_size=8, verbose=0).history
    assert "root_mean_squared_error" in logs and "r2_score" in logs
    ev = model.evaluate(x, y, verbose=0, return_dict=True)
    np.testing.assert_allclose(ev["root_mean_squared_error"], np.sqrt(ev["loss"]), rtol=1e-5)


# -- callbacks ----------------------------------------------------------------------------------
def _ema_model():
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])
    model.compile(optimizer=tf.keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5),
                  loss="mse")
    return model


def test_swap_ema_weights_evaluates_with_the_averages():
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = _ema_model()
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)  # ends on the averages, as Keras
    for i in range(0, 16, 4):  # steps outside fit: the weights move away from the averages
        model.train_on_batch(x[i:i + 4], y[i:i + 4])
    weights = [w.copy() for w in model.get_weights()]
    averages = [a.copy() for _, a in model.optimizer._ema.values()]
    swap = tf.keras.callbacks.SwapEMAWeights()
    loss = model.evaluate(x, y, verbose=0, callbacks=[swap])
    for a, b in zip(model.get_weights(), weights):  # swapped back after evaluation
        np.testing.assert_array_equal(a, b)
    kernel, bias = averages
    want = np.mean((x @ kernel + bias - y) ** 2)
    np.testing.assert_allclose(loss, want, rtol=1e-5)
    assert not np.allclose(loss, model.evaluate(x, y, verbose=0))


def test_swap_ema_weights_on_epoch_and_without_ema():
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = _ema_model()
    model.fit(x, y, epochs=2, batch_size=4, verbose=0,
              callbacks=[tf.keras.callbacks.SwapEMAWeights(swap_on_epoch=True)])
    for w, (_, a) in zip(model.trainable_variables, model.optimizer._ema.values()):
        np.testing.assert_array_equal(w.numpy(), a)  # the model ends on its averages
    plain = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])
    plain.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="use_ema=True"):
        plain.evaluate(x, y, verbose=0, callbacks=[tf.keras.callbacks.SwapEMAWeights()])


class _Recorder(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.path, self.headers["Content-Type"], body.decode()))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("as_json", [False, True])
def test_remote_monitor_posts_each_epoch(as_json):
    import urllib.parse

    _Recorder.received = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        monitor = tf.keras.callbacks.RemoteMonitor(
            root=f"http://127.0.0.1:{server.server_address[1]}", send_as_json=as_json,
            headers={"X-Run": "t"})
        x = np.ones((4, 2), np.float32)
        model.fit(x, x[:, :1], epochs=2, verbose=0, callbacks=[monitor])
    finally:
        server.shutdown()
        server.server_close()
    assert [r[0] for r in _Recorder.received] == ["/publish/epoch/end/"] * 2
    path, ctype, body = _Recorder.received[1]
    if as_json:
        assert ctype == "application/json"
        sent = json.loads(body)
    else:
        assert ctype == "application/x-www-form-urlencoded"
        sent = json.loads(urllib.parse.parse_qs(body)["data"][0])
    assert sent["epoch"] == 1 and isinstance(sent["loss"], float)


def test_remote_monitor_unreachable_warns():
    monitor = tf.keras.callbacks.RemoteMonitor(root="http://127.0.0.1:9")
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor"):
        monitor.on_epoch_end(0, {"loss": np.float32(1.5)})


def test_multi_optimizer_in_fit_and_keras_file(tmp_path):
    O = tf.keras.optimizers

    def build():
        m = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2, name="d")])
        m.compile(optimizer=O.MultiOptimizer(O.OptimizerMap(
            O.SGD(0.05, momentum=0.9), {"d/bias": O.Adam(0.01)})), loss="mse")
        return m

    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    y = np.random.default_rng(1).normal(size=(8, 2)).astype("float32")
    model = build()
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    inner = model.optimizer.optimizers
    assert [type(o).__name__ for o in inner] == ["Adam", "SGD"]
    assert [int(o.iterations.numpy()) for o in inner] == [4, 4]
    path = tmp_path / "m.keras"
    model.save(path)
    again = tf.keras.models.load_model(path)
    assert type(again.optimizer).__name__ == "MultiOptimizer"
    for a, b in zip(again.optimizer.variables, model.optimizer.variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    again.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    for a, b in zip(again.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="Multiple optimizers"):
        O.OptimizerMap(O.SGD(), {".*": O.SGD(), "d/.*": O.Adam()})["d/kernel"]


def test_metric_names_resolve_as_keras():
    from tests.fixtures.keras_new_names_cases import METRIC_NAMES, metric_by_name

    want = RECORDED["metric_names"]
    assert sorted(want) == sorted(METRIC_NAMES)
    assert {n: metric_by_name(tf, n) for n in METRIC_NAMES} == want


def test_fit_with_use_ema_ends_on_the_moving_averages():
    """Keras ends fit with finalize_variable_values; the weights equal TF 2.21's for the same
    run (recorded: [[0.69525993, -0.05473999], [0.29526001]])."""
    import numpy as np

    import tapeflow as tf

    m = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    m.set_weights([np.array([[0.5], [-0.25]], "float32"), np.array([0.1], "float32")])
    m.compile(optimizer=tf.keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5),
              loss="mse")
    m.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0, batch_size=2, shuffle=False)
    np.testing.assert_allclose(m.get_weights()[0].ravel(), [0.69525993, -0.05473999],
                               rtol=1e-6)
    np.testing.assert_allclose(m.get_weights()[1], [0.29526001], rtol=1e-6)
