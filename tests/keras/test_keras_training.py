"""compile/fit/evaluate/predict, the batch-level methods, overridable steps, data inputs,
callbacks and the progress bar's output."""
import csv
import io
import re

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras
from tapeflow.keras import callbacks as cb
from tapeflow.keras import layers
from tapeflow.keras.utils.progbar import Progbar


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.backend.clear_session()


def blobs(n=300, seed=0):
    """Three well separated classes in 2-D."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centers = np.array([[2.0, 0.0], [-2.0, 2.0], [0.0, -2.5]])
    x = centers[y] + rng.normal(scale=0.4, size=(n, 2))
    return x.astype("float32"), y


def classifier(activation="softmax", units=3):
    return keras.Sequential([layers.Dense(16, activation="relu"),
                             layers.Dense(units, activation=activation)])


def test_fit_learns_and_history_has_keras_keys():
    x, y = blobs()
    model = classifier()
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    hist = model.fit(x, y, batch_size=32, epochs=5, validation_data=(x, y), verbose=0)
    assert list(hist.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert all(len(v) == 5 for v in hist.history.values())
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert hist.history["val_accuracy"][-1] > 0.95
    assert model.history is hist
    loss, acc = model.evaluate(x, y, verbose=0)
    assert acc == pytest.approx(hist.history["val_accuracy"][-1], abs=1e-6)
    assert model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"] == pytest.approx(acc)
    pred = model.predict(x, batch_size=64, verbose=0)
    assert isinstance(pred, np.ndarray) and pred.shape == (300, 3)
    assert (pred.argmax(1) == y).mean() == pytest.approx(acc, abs=1e-6)


@pytest.mark.parametrize("loss, targets, expected", [
    ("sparse_categorical_crossentropy", "sparse", "sparse_categorical_accuracy"),
    ("categorical_crossentropy", "onehot", "categorical_accuracy"),
    (keras.losses.SparseCategoricalCrossentropy(from_logits=True), "sparse",
     "sparse_categorical_accuracy"),
    ("mse", "onehot", "categorical_accuracy"),
])
def test_accuracy_string_is_resolved_from_the_loss(loss, targets, expected):
    x, y = blobs(60)
    t = y if targets == "sparse" else np.eye(3, dtype="float32")[y]
    model = classifier()
    model.compile("sgd", loss, metrics=["accuracy"])
    logs = model.train_on_batch(x, t, return_dict=True)
    m = [m for m in model.metrics if m.name == "accuracy"][0]
    assert m._fn.__name__ in (expected, "_accuracy_by_shape")
    p = model.predict_on_batch(x)
    ref = getattr(keras.metrics, expected)(t, p).numpy().mean()
    model.reset_metrics()
    assert model.test_on_batch(x, t, return_dict=True)["accuracy"] == pytest.approx(ref)
    assert set(logs) == {"accuracy", "loss"}


def test_binary_accuracy_for_binary_crossentropy():
    x, y = blobs(60)
    yb = (y == 0).astype("float32")[:, None]
    model = classifier("sigmoid", units=1)
    model.compile("sgd", "binary_crossentropy", metrics=["acc"])
    model.train_on_batch(x, yb)
    p = model.predict_on_batch(x)
    ref = ((p > 0.5) == (yb > 0.5)).mean()
    assert model.test_on_batch(x, yb, return_dict=True)["acc"] == pytest.approx(ref)


def test_validation_split_uses_the_last_fraction():
    x, y = blobs(100)
    model = classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, y, epochs=1, validation_split=0.2, shuffle=False, verbose=0)
    val = model.evaluate(x[80:], y[80:], verbose=0, return_dict=True)
    assert hist.history["val_loss"][0] == pytest.approx(val["loss"], rel=1e-5)


def test_sample_weight_and_class_weight():
    x, y = blobs(64)
    model = classifier()
    model.compile("sgd", "sparse_categorical_crossentropy")
    per_example = keras.losses.sparse_categorical_crossentropy(y, model.predict_on_batch(x))
    sw = (y == 1).astype("float32")
    got = model.test_on_batch(x, y, sample_weight=sw)
    assert got == pytest.approx(float(np.sum(per_example.numpy() * sw) / 64), rel=1e-5)
    logs = model.train_on_batch(x, y, class_weight={0: 0.0, 1: 1.0, 2: 0.0},
                                return_dict=True)
    assert logs["loss"] == pytest.approx(got, rel=1e-5)  # loss is computed before the step


def test_epochs_steps_initial_epoch_and_validation_freq():
    x, y = blobs(100)
    model = classifier()
    model.compile("sgd", "sparse_categorical_crossentropy")
    seen = []
    hist = model.fit(x, y, batch_size=10, epochs=5, initial_epoch=2, steps_per_epoch=3,
                     validation_data=(x, y), validation_freq=2, verbose=0,
                     callbacks=[cb.LambdaCallback(on_train_batch_end=lambda b, logs:
                                                  seen.append(b))])
    assert hist.epoch == [2, 3, 4] and len(hist.history["loss"]) == 3
    assert seen == [0, 1, 2] * 3
    assert len(hist.history["val_loss"]) == 1  # epoch 4 is the only one with (e+1) % 2 == 0


def test_overridden_train_step_and_batches_are_slices():
    x, y = blobs(50)
    batches = []

    class Recording(keras.Sequential):
        def train_step(self, data):
            xb, yb, _ = data
            batches.append((xb.numpy().copy(), yb.numpy().copy()))
            return super().train_step(data)

    model = Recording([layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    assert [len(b[0]) for b in batches] == [16, 16, 16, 2]
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), x)
    batches.clear()
    model.fit(x, y, batch_size=16, epochs=1, shuffle=True, verbose=0)
    got = np.concatenate([b[1] for b in batches])
    assert sorted(got.tolist()) == sorted(y.tolist()) and not np.array_equal(got, y)


def test_fit_on_tensors_dicts_and_an_iterable_of_batches():
    x, y = blobs(96)
    inp = keras.Input(shape=(2,), name="features")
    model = keras.Model(inp, layers.Dense(3, activation="softmax")(inp))
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(tf.constant(x), tf.constant(y), epochs=1, verbose=0)
    model.fit({"features": x}, y, epochs=1, verbose=0)

    class Batches:
        def __iter__(self):
            for i in range(0, 96, 32):
                yield x[i:i + 32], y[i:i + 32]

    hist = model.fit(Batches(), epochs=2, verbose=0, validation_data=Batches())
    assert len(hist.history["val_accuracy"]) == 2
    assert model.evaluate(Batches(), verbose=0, return_dict=True)["accuracy"] == \
        pytest.approx(model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"])
    assert model.predict(Batches(), verbose=0).shape == (96, 3)


def test_fit_on_a_tf_data_dataset():
    x, y = blobs(64)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    model = classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(ds, epochs=2, verbose=0)
    assert len(hist.history["loss"]) == 2
    assert model.evaluate(ds, verbose=0, return_dict=True)["accuracy"] == pytest.approx(
        model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"], abs=1e-6)


def test_bad_inputs_give_clear_errors():
    x, y = blobs(20)
    model = classifier()
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(x, y, verbose=0)
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"(?s)cardinality.*'x' sizes: 20.*'y' sizes: 19"):
        model.fit(x, y[:19], verbose=0)
    with pytest.raises(ValueError, match=r"optimizer identifier: sgdd\..*'sgd'"):
        model.compile("sgdd", "mse")
    with pytest.raises(ValueError, match=r"loss identifier: msee\..*'mse'"):
        model.compile("sgd", "msee")
    with pytest.raises(ValueError, match=r"metric identifier: acuracy\..*'accuracy'"):
        model.compile("sgd", "mse", metrics=["acuracy"])
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises(tf.errors.InvalidArgumentError, match="label value of 7"):
        model.fit(x, np.full(20, 7), verbose=0)


# -- callbacks -------------------------------------------------------------------------------
class Scripted(cb.Callback):
    """Replaces the epoch's val_loss with scripted values and records hook calls."""

    def __init__(self, values):
        super().__init__()
        self.values, self.calls = values, []

    def on_train_begin(self, logs=None):
        self.calls.append("train_begin")

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(f"epoch_begin {epoch}")

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]
        self.calls.append(f"epoch_end {epoch}")

    def on_train_end(self, logs=None):
        self.calls.append("train_end")


def _small_model():
    x, y = blobs(40)
    model = classifier()
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    return model, x, y


def test_early_stopping_restores_best_weights():
    model, x, y = _small_model()
    snapshots = []
    record = cb.LambdaCallback(on_epoch_end=lambda e, logs: snapshots.append(
        model.get_weights()))
    script = Scripted([1.0, 0.5, 0.7, 0.8, 0.9, 0.1])
    stop = cb.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    hist = model.fit(x, y, epochs=6, verbose=0, callbacks=[script, record, stop])
    assert len(hist.history["loss"]) == 4  # best at epoch 1, stopped after two bad epochs
    assert script.calls[0] == "train_begin" and script.calls[-1] == "train_end"
    for best, now in zip(snapshots[1], model.get_weights()):
        np.testing.assert_array_equal(best, now)


def test_model_checkpoint_saves_only_improvements_atomically(tmp_path):
    model, x, y = _small_model()
    path = tmp_path / "best.weights.npz"
    saved = []

    class Watch(cb.Callback):
        def on_epoch_end(self, epoch, logs=None):
            saved.append(path.exists() and path.stat().st_mtime_ns)

    ckpt = cb.ModelCheckpoint(str(path), monitor="val_loss", save_best_only=True)
    model.fit(x, y, epochs=4, verbose=0, callbacks=[Scripted([1.0, 2.0, 0.5, 3.0]), ckpt,
                                                    Watch()])
    assert path.exists() and saved[0] and saved[1] == saved[0] and saved[2] != saved[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.weights.npz"]
    with np.load(path, allow_pickle=False) as data:
        assert len(data.files) == len(model.weights)


def test_learning_rate_scheduler_and_reduce_on_plateau():
    model, x, y = _small_model()
    rates = []
    sched = cb.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))
    spy = cb.LambdaCallback(on_epoch_end=lambda e, logs: rates.append(logs["learning_rate"]))
    model.fit(x, y, epochs=3, verbose=0, callbacks=[sched, spy])
    assert rates == pytest.approx([0.1, 0.05, 0.1 / 3])
    model, x, y = _small_model()
    plateau = cb.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1)
    model.fit(x, y, epochs=4, verbose=0,
              callbacks=[Scripted([1.0, 1.0, 1.0, 1.0]), plateau])
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(0.1 * 0.5 ** 3)


def test_csv_logger(tmp_path):
    model, x, y = _small_model()
    path = tmp_path / "log.csv"
    model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y),
              callbacks=[cb.CSVLogger(str(path))])
    rows = list(csv.DictReader(open(path)))
    assert [r["epoch"] for r in rows] == ["0", "1"]
    assert set(rows[0]) == {"epoch", "loss", "val_loss"} and float(rows[1]["loss"]) > 0


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_terminate_on_nan_stops_with_a_message(capsys):
    x, y = blobs(64)
    model = keras.Sequential([layers.Dense(3)])
    model.compile(keras.optimizers.SGD(1e30), "mse")
    hist = model.fit(x * 1e10, np.eye(3)[y] * 1e10, batch_size=8, epochs=3, verbose=0,
                     callbacks=[cb.TerminateOnNaN()])
    assert "Invalid loss" in capsys.readouterr().out
    assert len(hist.history["loss"]) == 1


def test_callback_sees_every_hook_in_order():
    model, x, y = _small_model()
    order = []

    class Spy(cb.Callback):
        pass

    spy = Spy()
    for hook in ("on_train_begin", "on_epoch_begin", "on_train_batch_begin",
                 "on_train_batch_end", "on_test_begin", "on_test_end", "on_epoch_end",
                 "on_train_end"):
        setattr(spy, hook, (lambda h: lambda *a: order.append(h))(hook))
        spy._hooks = getattr(spy, "_hooks", set()) | {hook}
    model.fit(x, y, batch_size=40, epochs=1, verbose=0, validation_data=(x, y),
              callbacks=[spy])
    assert order == ["on_train_begin", "on_epoch_begin", "on_train_batch_begin",
                     "on_train_batch_end", "on_test_begin", "on_test_end", "on_epoch_end",
                     "on_train_end"]


# -- progress output ---------------------------------------------------------------------------
LINE = re.compile(r"^2/2 \u2501{20} \d+s \d+(us|ms|s)/step - accuracy: \d\.\d{4} - "
                  r"loss: \d\.\d{4} - val_accuracy: \d\.\d{4} - val_loss: \d\.\d{4}$")


def test_fit_output_off_a_terminal_is_clean_lines(capsys):
    x, y = blobs(64)
    model = classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=2, validation_data=(x, y), verbose=1)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert LINE.match(lines[1]) and LINE.match(lines[3]), lines
    assert "\x1b" not in out and "\r" not in out and "\b" not in out


def test_verbose_two_and_zero(capsys):
    x, y = blobs(64)
    model = classifier()
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=32, epochs=1, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/1"
    assert re.match(r"^2/2 - \d+s - \d+(us|ms|s)/step - loss: \d\.\d{4}$", lines[1]), lines
    model.fit(x, y, epochs=1, verbose=0)
    model.evaluate(x, y, verbose=0)
    assert capsys.readouterr().out == ""


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_progbar_redraws_on_a_tty_with_colour_unless_no_color(monkeypatch):
    stream = FakeTTY()
    bar = Progbar(4, stream=stream, interval=0)
    for i in range(1, 5):
        bar.update(i, {"loss": 0.5})
    text = stream.getvalue()
    assert text.count("\r") == 4 and "\x1b[32m" in text and text.endswith("\n")
    monkeypatch.setenv("NO_COLOR", "1")
    stream = FakeTTY()
    bar = Progbar(2, stream=stream, interval=0)
    bar.update(2, {"loss": 0.25})
    assert "\x1b" not in stream.getvalue() and "loss: 0.2500" in stream.getvalue()


def test_fit_on_a_terminal_redraws_one_line_per_epoch(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    stream = FakeTTY()
    x, y = blobs(64)
    model = classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=8, epochs=1, verbose=1,
              callbacks=[cb.ProgbarLogger(stream=stream)])
    text = stream.getvalue()
    assert text.startswith("Epoch 1/1\n") and text.count("\n") == 2
    assert text.count("\r") >= 2  # redrawn in place, then one newline
    last = re.sub(r"\x1b\[\d+m", "", text.split("\r")[-1]).rstrip()
    assert re.match(r"^8/8 \u2501{20} \d+s \d+(us|ms|s)/step - accuracy: \d\.\d{4} - loss: ",
                    last), last


def test_only_weighted_metrics_see_sample_weights():
    x, y = blobs(40)
    model = classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"],
                  weighted_metrics=[keras.metrics.SparseCategoricalAccuracy(name="w_acc")])
    sw = (np.arange(40) < 10).astype("float32")
    logs = model.test_on_batch(x, y, sample_weight=sw, return_dict=True)
    hits = model.predict_on_batch(x).argmax(1) == y
    assert logs["accuracy"] == pytest.approx(hits.mean())
    assert logs["w_acc"] == pytest.approx(hits[:10].mean())


def test_fit_matches_keras_step_for_step():
    """Three epochs of fit (momentum SGD, an L2 kernel regularizer, sample weights,
    validation data, no shuffling) from fixed weights; numbers recorded from Keras 3."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64") + (x[:, 2] > 0.5)
    w = [rng.normal(scale=0.5, size=s).astype("float32") for s in [(4, 5), (5,), (5, 3), (3,)]]
    model = keras.Sequential([
        layers.Dense(5, activation="relu", kernel_regularizer=keras.regularizers.l2(0.01)),
        layers.Dense(3, activation="softmax")])
    model.build((None, 4))
    model.set_weights(w)
    model.compile(keras.optimizers.SGD(0.1, momentum=0.9), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    hist = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0,
                     validation_data=(x[:20], y[:20]),
                     sample_weight=np.linspace(0.5, 1.5, 64).astype("float32"))
    expected = {"accuracy": [0.5, 0.578125, 0.703125],
                "loss": [1.097494, 0.859839, 0.746497],
                "val_accuracy": [0.55, 0.65, 0.75],
                "val_loss": [0.956839, 0.847464, 0.784459]}
    assert list(hist.history) == list(expected)
    for key, values in expected.items():
        np.testing.assert_allclose(hist.history[key], values, rtol=2e-5, atol=2e-6)
    firsts = [a.ravel()[:4] for a in model.get_weights()]
    np.testing.assert_allclose(firsts[0], [0.70512, 0.06014, -0.4456, 0.42842], atol=2e-5)
    np.testing.assert_allclose(firsts[3], [0.23467, 0.56094, -0.91567], atol=2e-5)
    loss, acc = model.evaluate(x, y, verbose=0)
    assert loss == pytest.approx(0.7003982, rel=1e-5) and acc == pytest.approx(0.765625)


def test_iterable_of_weighted_batches_and_overridden_test_step():
    x, y = blobs(32)
    sw = (y == 0).astype("float32")

    class Weighted:
        def __iter__(self):
            for i in (0, 16):
                yield x[i:i + 16], y[i:i + 16], sw[i:i + 16]

    seen = []

    class Model(keras.Sequential):
        def test_step(self, data):
            seen.append(len(data))
            return super().test_step(data)

    model = Model([layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    got = model.evaluate(Weighted(), verbose=0)
    per = keras.losses.sparse_categorical_crossentropy(y, model.predict(x, verbose=0)).numpy()
    expected = np.mean([np.sum(per[i:i + 16] * sw[i:i + 16]) / 16 for i in (0, 16)])
    assert got == pytest.approx(expected, rel=1e-5)
    # the step runs as a tf.function: Python side effects happen when it is traced (once
    # for both equal-shaped batches), as in Keras
    assert seen == [3]
    model.compile("sgd", "sparse_categorical_crossentropy", run_eagerly=True)
    seen.clear()
    model.evaluate(Weighted(), verbose=0)
    assert seen == [3, 3]
    hist = model.fit(Weighted(), epochs=2, verbose=0)
    assert len(hist.history["loss"]) == 2


def test_fit_on_infinite_and_weighted_datasets():
    x, y = blobs(64)
    model = classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(64, seed=1).batch(16).repeat()
    with pytest.raises(ValueError, match="steps_per_epoch"):
        model.fit(ds, epochs=1, verbose=0)
    hist = model.fit(ds, epochs=3, steps_per_epoch=5, verbose=0)
    assert len(hist.history["loss"]) == 3 and int(model.optimizer.iterations) == 15
    zero_w = tf.data.Dataset.from_tensor_slices((x, y, np.zeros(64, np.float32))).batch(16)
    before = [w.copy() for w in model.get_weights()]
    model.fit(zero_w, epochs=1, verbose=0)  # every sample weighted 0: nothing to learn
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-7)


def test_fit_takes_one_callback_not_in_a_list():
    """``callbacks=EarlyStopping(...)`` (TF's audio tutorial writes it so) works as Keras 3
    takes it: the callback runs and stops training."""
    model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    model.compile(loss="mse", optimizer=tf.keras.optimizers.SGD(0.0))
    x, y = np.ones((8, 2), np.float32), np.ones((8, 1), np.float32)
    stop = tf.keras.callbacks.EarlyStopping(monitor="loss", patience=1)
    history = model.fit(x, y, epochs=10, callbacks=stop, verbose=0)
    assert len(history.history["loss"]) == 2 and stop.stopped_epoch == 1
