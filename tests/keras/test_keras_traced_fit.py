"""``fit``/``evaluate``/``predict`` run their steps through tf.function by default (as Keras),
give the same numbers as ``run_eagerly=True``, and do not grow memory over many calls."""
import gc
import logging
import tracemalloc

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras
from tapeflow.keras import layers


def blobs(n=96, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = (rng.normal(size=(n, 4)) + y[:, None]).astype("float32")
    return x, y


def train(run_eagerly, **fit_kwargs):
    tf.random.set_seed(3)
    x, y = blobs()
    model = keras.Sequential([layers.Dense(8, activation="relu"), layers.Dropout(0.3),
                              layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy",
                  metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=2)],
                  run_eagerly=run_eagerly)
    sw = np.where(y == 0, 2.0, 1.0).astype("float32")
    hist = model.fit(x, y, sample_weight=sw, batch_size=20, epochs=3, verbose=0,
                     validation_split=0.25, shuffle=False, **fit_kwargs)
    return model, hist.history, model.evaluate(x, y, verbose=0), model.predict(x, verbose=0)


def test_traced_fit_equals_eager_fit(caplog):
    with caplog.at_level(logging.WARNING, logger="tapeflow"):
        traced = train(False)
    eager = train(True)
    assert not [r for r in caplog.records if "runs eagerly" in r.getMessage()]
    assert traced[1].keys() == eager[1].keys()
    for k in traced[1]:
        np.testing.assert_allclose(traced[1][k], eager[1][k], rtol=1e-5, err_msg=k)
    np.testing.assert_allclose(traced[2], eager[2], rtol=1e-5)
    np.testing.assert_allclose(traced[3], eager[3], rtol=1e-5, atol=1e-7)
    for a, b in zip(traced[0].get_weights(), eager[0].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_steps_are_traced_once_per_batch_shape():
    model, *_ = train(False)
    fn = model.make_train_function()
    assert hasattr(fn, "get_concrete_function")
    # 72 training rows in batches of 20: a full batch and the last one of 12
    assert fn.experimental_get_tracing_count() == 2
    eager, *_ = train(True)
    assert not hasattr(eager.make_train_function(), "experimental_get_tracing_count")


def test_python_side_effects_run_at_trace_time_only():
    calls = []

    class Counting(keras.Sequential):
        def train_step(self, data):
            calls.append(1)
            return super().train_step(data)

    x, y = blobs(40)
    model = Counting([layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=10, epochs=2, verbose=0)
    assert len(calls) == 1  # 8 steps, one trace
    model.compile("sgd", "sparse_categorical_crossentropy", run_eagerly=True)
    model.fit(x, y, batch_size=10, epochs=1, verbose=0)
    assert len(calls) == 5


def test_custom_metric_with_tapeflow_ops_is_traced():
    class Positives(keras.metrics.Metric):
        def __init__(self, name="positives"):
            super().__init__(name=name)
            self.n = self.add_variable((), name="n")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.n.assign_add(tf.reduce_sum(tf.cast(y_pred[:, 0] > 0.5, "float32")))

        def result(self):
            return tf.identity(self.n)

    x, y = blobs(40)
    results = []
    for eager in (False, True):
        tf.random.set_seed(0)
        model = keras.Sequential([layers.Dense(3, activation="softmax")])
        model.compile("sgd", "sparse_categorical_crossentropy", metrics=[Positives()],
                      run_eagerly=eager)
        results.append(model.fit(x, y, batch_size=10, epochs=2, verbose=0).history)
    assert results[0] == results[1]
    counts = np.asarray(results[0]["positives"])
    assert counts.max() > 0  # something was counted, per epoch (the state resets)


def test_train_and_test_on_batch_use_the_traced_steps():
    x, y = blobs(32)
    model = keras.Sequential([layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    first = model.train_on_batch(x, y)
    for _ in range(3):
        last = model.train_on_batch(x, y)
    assert last[0] < first[0]
    assert model.make_train_function().experimental_get_tracing_count() == 1
    loss, acc = model.test_on_batch(x, y)
    assert 0 <= acc <= 1 and np.isfinite(loss)


def _growth(fn, warm, n):
    for _ in range(warm):
        fn()
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(n):
            fn()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return after - before


@pytest.mark.parametrize("run_eagerly", [False, True])
def test_no_memory_growth_over_1000_predicts(run_eagerly):
    x, _ = blobs(16)
    model = keras.Sequential([layers.Dense(8, activation="relu"), layers.Dense(3)])
    model.compile("sgd", "mse", run_eagerly=run_eagerly)
    grew = _growth(lambda: model.predict(x, verbose=0), 20, 1000)
    assert grew < 64 * 1024, f"predict grew the heap by {grew} bytes over 1000 calls"


def test_no_memory_growth_over_100_fits():
    x, y = blobs(32)
    model = keras.Sequential([layers.Dense(8, activation="relu"), layers.Dropout(0.2),
                              layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    grew = _growth(lambda: model.fit(x, y, batch_size=16, epochs=1, verbose=0), 5, 100)
    assert grew < 64 * 1024, f"fit grew the heap by {grew} bytes over 100 calls"
