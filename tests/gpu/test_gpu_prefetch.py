"""Host-to-device copies ahead of the steps on a real GPU (tapeflow/backend/transfer.py):
pinned staging buffers and an asynchronous copy on a side stream, tf.data's
``prefetch_to_device``, and ``Model.fit`` with and without the copies. Skipped without a GPU
(tests/gpu/conftest.py); tests/test_device_prefetch.py runs the same logic on the CPU."""
import os
import threading
import time

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import backend
from tapeflow.backend import transfer
from tapeflow.keras.models import data as batch_data

cp = pytest.importorskip("cupy", reason="the GPU tests need CuPy (pip install tapeflow[gpu])")


def test_stager_copies_exact_values_through_pinned_memory():
    dev = backend.resolve("GPU", 0)
    copy = transfer.copier(dev)
    assert isinstance(copy.__self__, transfer._CupyStager)
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=(64, 33)).astype(np.float32),
              rng.integers(0, 9, size=(64,)).astype(np.int64),
              rng.normal(size=(8, 6)).astype(np.float16)[:, ::2],  # not contiguous
              np.zeros((0, 3), np.float32), np.float64(2.5)]
    out = copy(arrays)
    for a, d in zip(arrays, out, strict=True):
        assert isinstance(d, cp.ndarray) and d.device.id == 0
        np.testing.assert_array_equal(d.get(), np.asarray(a))


def test_copies_overlapping_compute_never_read_stale_or_reused_memory():
    # the consumer computes on each batch on the default stream and drops it, while the
    # worker refills freed pool blocks: every batch's sum must still be its own
    dev = backend.resolve("GPU", 0)
    rng = np.random.default_rng(1)
    batches = [[rng.normal(size=(512, 1024)).astype(np.float32)] for _ in range(40)]
    want = [float(b[0].astype(np.float64).sum()) for b in batches]
    w = cp.asarray(rng.normal(size=(1024, 1024)).astype(np.float32))
    got = []
    for (d,) in transfer.ahead(iter(batches), transfer.copier(dev), depth=2):
        for _ in range(4):  # enough queued work for the copies to run under
            cp.matmul(d, w)
        got.append(float(d.astype(cp.float64).sum()))
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_prefetch_to_device_gives_gpu_tensors_with_the_host_values():
    x = np.arange(600, dtype=np.float32).reshape(100, 6)
    ds = tf.data.Dataset.from_tensor_slices((x, np.arange(100))).batch(16)
    want = [(a.numpy(), b.numpy()) for a, b in ds]
    got = list(ds.apply(tf.data.experimental.prefetch_to_device("/gpu:0", 2)))
    assert len(got) == len(want)
    for (a, b), (wa, wb) in zip(got, want):
        assert a.device.endswith("GPU:0") and isinstance(a._v, cp.ndarray)
        np.testing.assert_array_equal(a.numpy(), wa)
        np.testing.assert_array_equal(b.numpy(), wb)
    assert not [t for t in threading.enumerate() if t.name == transfer.THREAD_NAME]


def _fit(prefetch, x, y):
    tf.random.set_seed(7)
    model = tf.keras.Sequential([tf.keras.layers.Input((784,)),
                                 tf.keras.layers.Dense(256, activation="relu"),
                                 tf.keras.layers.Dense(10)])
    model.compile(tf.keras.optimizers.Adam(1e-3),
                  tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    saved = batch_data.on_device
    if not prefetch:
        batch_data.on_device = lambda batches: batches
    try:
        model.fit(x, y, batch_size=256, epochs=1, verbose=0)  # warm-up: plans, kernels
        start = time.perf_counter()
        hist = model.fit(x, y, batch_size=256, epochs=2, verbose=0, shuffle=True)
        seconds = time.perf_counter() - start
    finally:
        batch_data.on_device = saved
    return hist.history["loss"], [w.numpy() for w in model.weights], seconds


def test_fit_with_prefetch_matches_fit_without():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(16384, 784)).astype(np.float32)
    y = rng.integers(0, 10, 16384)
    loss_p, w_p, t_p = _fit(True, x, y)
    loss_n, w_n, t_n = _fit(False, x, y)
    line = f"fit 2 epochs, 16384x784, batch 256: prefetch {t_p:.3f} s, without {t_n:.3f} s"
    if os.environ.get("OUT"):  # scripts/gpu_check.sh puts it in its report
        with open(os.path.join(os.environ["OUT"], "gpu_prefetch.txt"), "a") as f:
            print(line, file=f)
    np.testing.assert_allclose(loss_p, loss_n, rtol=1e-5)
    for a, b in zip(w_p, w_n):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
