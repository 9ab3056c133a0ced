"""Host-to-device copies ahead of the consumer (tapeflow/backend/transfer.py): tf.data's
``copy_to_device``/``prefetch_to_device`` and ``Model.fit``/``evaluate``/``predict`` on the
NumPy-backed stand-in GPU (tests/fakegpu.py), plus thread-local ``tf.device`` scopes."""
import gc
import threading
import time

import numpy as np
import pytest
from fakegpu import CPU0, GPU0, GPU1, FakeArray, FakeCupy, gpus_fixture, skip_if_real_gpu

import tapeflow as tf
from tapeflow import backend
from tapeflow.backend import transfer
from tapeflow.keras.models import data as batch_data

skip_if_real_gpu("tests/gpu/test_gpu_prefetch.py")
gpus = gpus_fixture()


def _workers():
    return [t for t in threading.enumerate() if t.name == transfer.THREAD_NAME and t.is_alive()]


def _wait_no_workers():
    deadline = time.monotonic() + 5
    while _workers() and time.monotonic() < deadline:
        time.sleep(0.01)
    return _workers()


class Boom(Exception):
    pass


# -- transfer.ahead: the worker thread ------------------------------------------------------------
def test_ahead_keeps_order_and_values_with_uneven_copy_times():
    rng = np.random.default_rng(0)
    delays = rng.uniform(0, 0.004, size=40)

    def slow_copy(i):
        time.sleep(delays[i])
        assert threading.current_thread().name == transfer.THREAD_NAME
        return i * 10

    assert list(transfer.ahead(iter(range(40)), slow_copy, depth=2)) == [i * 10 for i in
                                                                         range(40)]
    assert not _wait_no_workers()


def test_ahead_runs_at_most_depth_ahead_and_pulls_the_source_in_the_caller():
    pulled = []

    def source():
        for i in range(10):
            pulled.append((i, threading.current_thread() is threading.main_thread()))
            yield i

    gen = transfer.ahead(source(), lambda i: i, depth=2)
    assert next(gen) == 0
    assert [i for i, _ in pulled] == [0, 1, 2]  # the one handed out and two behind it
    assert all(main for _, main in pulled)
    assert list(gen) == list(range(1, 10))


def test_ahead_error_in_copy_keeps_type_after_earlier_items():
    def copy(i):
        if i == 3:
            raise Boom(f"bad item {i}")
        return i

    got = []
    with pytest.raises(Boom, match="bad item 3"):
        for v in transfer.ahead(iter(range(10)), copy, depth=2):
            got.append(v)
    assert got == [0, 1, 2]
    assert not _wait_no_workers()


def test_ahead_error_in_source_surfaces_after_the_items_before_it():
    def source():
        yield from range(3)
        raise KeyError("source failed")

    got = []
    with pytest.raises(KeyError, match="source failed"):
        for v in transfer.ahead(source(), lambda i: i, depth=2):
            got.append(v)
    assert got == [0, 1, 2]


def test_ahead_thread_stops_when_iteration_is_abandoned():
    closed = []

    def source():
        try:
            yield from range(1000)
        finally:
            closed.append(True)

    before = len(_workers())
    gen = transfer.ahead(source(), lambda i: i, depth=2)
    assert next(gen) == 0 and next(gen) == 1
    assert len(_workers()) == before + 1
    gen.close()  # abandoned (a ``break`` out of a for loop drops it the same way)
    assert closed == [True]
    assert not _wait_no_workers()

    gen = transfer.ahead(source(), lambda i: i, depth=1)
    next(gen)
    del gen  # dropped without close: CPython finalizes it at once
    gc.collect()
    assert not _wait_no_workers()


# -- the pinned-buffer copier, on a CuPy-shaped shim ----------------------------------------------
def test_cupy_stager_stages_in_pinned_memory_on_a_side_stream(gpus):
    cp = FakeCupy()
    dev = backend.resolve("GPU", 1)
    stager = transfer._CupyStager(cp, dev)
    assert stager.stream.non_blocking  # a blocking stream would serialise with compute
    a = np.arange(12, dtype=np.float32).reshape(3, 4)[:, ::2]  # not contiguous
    b = np.array([1, 2, 3], np.int64)
    empty = np.zeros((0, 2), np.float32)
    already = backend.resolve("GPU", 1).put(np.ones(2))
    scalar = np.float64(2.5)
    gpus.log.clear()
    out = stager.copy([a, b, empty, already, scalar])
    assert [type(o) for o in out] == [FakeArray] * 5
    assert all(o._dev == 1 for o in out)
    np.testing.assert_array_equal(out[0]._a, a)
    np.testing.assert_array_equal(out[1]._a, b)
    assert out[2].shape == (0, 2) and out[3] is already
    assert out[4].shape == () and out[4]._a == 2.5
    kinds = [e[0] for e in gpus.log]
    # the side stream waits for the work queued on the default stream before it writes...
    assert kinds[:2] == ["record", "wait"] and gpus.log[0][1].null
    assert gpus.log[1][1] is stager.stream
    # ...each host array goes through a pinned buffer and an asynchronous set on that stream
    assert [e[1] for e in gpus.log if e[0] == "pinned"] == [a.nbytes, b.nbytes, 8]
    assert [e[1] for e in gpus.log if e[0] == "set"] == [stager.stream] * 3
    # ...and the worker waits for its stream once, after all copies, before handing over
    assert kinds[-1] == "sync" and kinds.count("sync") == 1
    assert gpus.current == 0  # the device selection was restored


# -- tf.data.experimental.copy_to_device / prefetch_to_device -------------------------------------
def _pipeline():
    x = np.arange(30, dtype=np.float32).reshape(10, 3)
    ds = tf.data.Dataset.from_tensor_slices(({"a": x, "b": np.arange(10)}, x[:, 0] * 2))
    return ds.map(lambda f, y: ({"a": f["a"] + 1.0, "b": f["b"]}, y)).batch(3)


def _host_values(ds):
    return [tf.nest.map_structure(lambda t: t.numpy(), el) for el in ds]


def _assert_same(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        tf.nest.assert_same_structure(g, w)
        for a, b in zip(tf.nest.flatten(g), tf.nest.flatten(w)):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("where", ["/gpu:1", "/job:localhost/replica:0/task:0/device:GPU:1"])
def test_prefetch_to_device_delivers_device_batches_in_order(gpus, where):
    want = _host_values(_pipeline())
    copied_in = []
    to_device = gpus.to_device

    def spy(a, index):
        if index == 1:  # (the map's ops run on GPU:0, the default device)
            copied_in.append(threading.current_thread().name)
        return to_device(a, index)

    gpus.to_device = spy
    ds = _pipeline().apply(tf.data.experimental.prefetch_to_device(where, buffer_size=2))
    assert ds.element_spec == _pipeline().element_spec
    assert int(ds.cardinality()) == tf.data.UNKNOWN_CARDINALITY  # as TF
    got = list(ds)
    for el in got:
        assert all(t.device == GPU1 and isinstance(t._v, FakeArray)
                   for t in tf.nest.flatten(el))
    _assert_same(_host_values(got), want)
    # the copies ran in prefetch's background thread, not in the loop that read the batches
    assert copied_in and all(name != threading.main_thread().name for name in copied_in)
    _assert_same(list(ds.as_numpy_iterator()), want)  # host copies, as TF


def test_copy_to_device_then_prefetch_and_the_host_target(gpus):
    want = _host_values(_pipeline())
    ds = _pipeline().apply(tf.data.experimental.copy_to_device("/gpu:0")).prefetch(1)
    got = list(ds)
    assert all(t.device == GPU0 for el in got for t in tf.nest.flatten(el))
    _assert_same(_host_values(got), want)
    with tf.device("/GPU:1"):  # elements stay on the device they were copied to
        assert all(t.device == GPU0 for t in tf.nest.flatten(next(iter(ds))))
    host = list(_pipeline().apply(tf.data.experimental.copy_to_device("/cpu:0")))
    assert all(t.device == CPU0 for el in host for t in tf.nest.flatten(el))
    _assert_same(_host_values(host), want)


def test_device_transformations_without_a_gpu_are_plain():
    assert not backend.placement
    want = _host_values(_pipeline())
    ds = _pipeline().apply(tf.data.experimental.prefetch_to_device("/gpu:0"))
    got = list(ds)  # soft placement: no GPU, the elements stay on the host
    assert all(t.device == CPU0 for el in got for t in tf.nest.flatten(el))
    _assert_same(_host_values(got), want)
    with pytest.raises(ValueError, match="Expecting a string device name"):
        _pipeline().apply(tf.data.experimental.prefetch_to_device(0))
    with pytest.raises(ValueError, match="Failed parsing device name"):
        tf.data.experimental.copy_to_device("/tpu:0")


def test_prefetch_to_device_surfaces_producer_errors_with_their_type(gpus):
    def gen():
        yield np.float32(1.0)
        yield np.float32(2.0)
        raise Boom("generator failed")

    def run(ds):
        seen = []
        with pytest.raises(Exception) as info:
            for t in ds:
                seen.append(float(t))
        return seen, info.value

    spec = tf.TensorSpec((), tf.float32)
    plain = tf.data.Dataset.from_generator(gen, output_signature=spec)
    seen, err = run(plain)
    seen_dev, err_dev = run(plain.apply(tf.data.experimental.prefetch_to_device("/gpu:0")))
    assert seen_dev == seen == [1.0, 2.0]
    assert type(err_dev) is type(err) and str(err_dev) == str(err)


def test_prefetch_to_device_thread_stops_when_abandoned(gpus):
    ds = tf.data.Dataset.range(10_000).batch(4).apply(
        tf.data.experimental.prefetch_to_device("/gpu:0", 2))
    before = {t.ident for t in threading.enumerate()}
    it = iter(ds)
    next(it)
    it.close()
    del it
    gc.collect()
    deadline = time.monotonic() + 5
    while {t.ident for t in threading.enumerate()} - before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not {t.ident for t in threading.enumerate()} - before


# -- fit / evaluate / predict -------------------------------------------------------------------
def _data():
    x = np.random.default_rng(0).normal(size=(90, 6)).astype(np.float32)
    y = (x[:, 0] - x[:, 2] > 0).astype(np.int32)
    return x, y


def _train(fit_input, seen_workers=None, **fit_kwargs):
    x, y = _data()
    tf.random.set_seed(3)
    model = tf.keras.Sequential([tf.keras.layers.Input((6,)),
                                 tf.keras.layers.Dense(8, activation="relu"),
                                 tf.keras.layers.Dropout(0.25),
                                 tf.keras.layers.Dense(2)])
    model.compile(tf.keras.optimizers.Adam(0.01),
                  tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])

    class Watch(tf.keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if seen_workers is not None:
                seen_workers.append(len(_workers()))

    hist = model.fit(*fit_input, epochs=3, verbose=0, callbacks=[Watch()], **fit_kwargs)
    return (hist.history, [w.numpy() for w in model.weights], model.predict(x, verbose=0),
            model.evaluate(x, y, verbose=0))


def _without_prefetch(monkeypatch, fn):
    with monkeypatch.context() as m:
        m.setattr(batch_data, "on_device", lambda batches: batches)
        return fn()


def _assert_same_training(a, b):
    assert a[0] == b[0]  # loss, metrics and validation per epoch
    for u, v in zip(a[1], b[1]):
        np.testing.assert_array_equal(u, v)
    np.testing.assert_array_equal(a[2], b[2])
    assert a[3] == b[3]


def test_fit_on_the_gpu_with_prefetch_equals_fit_without(gpus, monkeypatch):
    x, y = _data()
    kwargs = {"batch_size": 16, "shuffle": True, "validation_split": 0.2}
    workers = []
    with_prefetch = _train((x, y), workers, **kwargs)
    assert workers and all(n == 1 for n in workers)  # a copier ran during every step
    assert not _wait_no_workers()
    plain = _without_prefetch(monkeypatch, lambda: _train((x, y), **kwargs))
    _assert_same_training(with_prefetch, plain)


def test_fit_on_a_host_dataset_with_prefetch_equals_fit_without(gpus, monkeypatch):
    x, y = _data()

    def ds():
        return tf.data.Dataset.from_tensor_slices((x, y)).shuffle(90, seed=1).batch(16)

    workers = []
    with_prefetch = _train((ds(),), workers, validation_data=ds())
    assert workers and all(n == 1 for n in workers)
    plain = _without_prefetch(monkeypatch, lambda: _train((ds(),), validation_data=ds()))
    _assert_same_training(with_prefetch, plain)
    assert not _wait_no_workers()


def test_batches_arrive_on_the_device_with_the_inner_position(gpus):
    x, y = _data()
    tf.random.set_seed(5)
    ref = batch_data.ArrayBatches(x, y, batch_size=16, shuffle=True, steps=4)
    ref_batches, ref_states = [], []
    for b in ref.epoch():
        ref_batches.append(b)
        ref_states.append(ref.state())
    tf.random.set_seed(5)
    wrapped = batch_data.make_batches(x, y, batch_size=16, shuffle=True, steps=4)
    assert isinstance(wrapped, batch_data.DevicePrefetch) and wrapped.steps == 4
    got = []
    for b in wrapped.epoch():
        got.append(b)
        state = wrapped.state()  # what BackupAndRestore saves: the step's, not the reader's
        want = ref_states[len(got) - 1]
        assert state["pos"] == want["pos"]
        np.testing.assert_array_equal(state["perm"], want["perm"])
    for (gx, gy, gsw), (rx, ry, rsw) in zip(got, ref_batches, strict=True):
        assert gx.device == gy.device == GPU0 and isinstance(gx._v, FakeArray)
        assert gsw is None and rsw is None
        np.testing.assert_array_equal(gx.numpy(), rx.numpy())
        np.testing.assert_array_equal(gy.numpy(), ry.numpy())


def test_backup_mid_epoch_with_prefetch_resumes_on_the_same_trajectory(gpus, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-1.0], [2.0]], "float32")).astype("float32")

    def run(backup=None, kill_at=None):
        tf.random.set_seed(11)
        model = tf.keras.Sequential([tf.keras.Input((3,)),
                                     tf.keras.layers.Dense(8, activation="relu"),
                                     tf.keras.layers.Dropout(0.3), tf.keras.layers.Dense(1)])
        model.compile(optimizer=tf.keras.optimizers.Adam(0.02), loss="mse")
        seen = []

        class Steps(tf.keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.epoch = epoch

            def on_train_batch_end(self, batch, logs=None):
                seen.append([self.epoch, batch])
                if [self.epoch, batch] == kill_at:
                    raise KeyboardInterrupt

        cbs = [tf.keras.callbacks.BackupAndRestore(backup, save_freq=3)] if backup else []
        model.fit(x, y, batch_size=8, shuffle=True, epochs=3, verbose=0,
                  callbacks=cbs + [Steps()])
        return model.get_weights(), seen

    want, want_seen = run()
    with pytest.raises(KeyboardInterrupt):  # killed after step 4 of epoch 1: backup at 3
        run(tmp_path / "b", [1, 3])
    got, seen = run(tmp_path / "b")
    assert seen == want_seen[want_seen.index([1, 3]):]
    for g, w in zip(got, want, strict=True):  # same shuffle order, dropout masks, Adam steps
        np.testing.assert_array_equal(g, w)


def test_no_prefetch_when_not_needed(gpus):
    x, y = _data()
    on_gpu = batch_data.make_batches(tf.constant(x), tf.constant(y), batch_size=8)
    assert isinstance(on_gpu, batch_data.ArrayBatches)  # already on the device
    with tf.device("/CPU:0"):  # the host is the current device: nothing to copy
        assert isinstance(batch_data.make_batches(x, y), batch_data.ArrayBatches)
    ready = tf.data.Dataset.from_tensor_slices((x, y)).batch(8).apply(
        tf.data.experimental.prefetch_to_device("/gpu:0"))
    assert isinstance(batch_data.make_batches(ready), batch_data.DatasetBatches)


def test_host_only_fit_has_no_prefetch_work():
    assert not backend.placement
    x, y = _data()
    batches = batch_data.make_batches(x, y, batch_size=8)
    assert type(batches) is batch_data.ArrayBatches
    workers = []
    _train((x, y), workers, batch_size=16)
    assert workers and not any(workers)


def test_producer_error_in_fit_keeps_its_type(gpus):
    x, y = _data()

    def gen():
        for i in range(0, 48, 16):
            yield x[i:i + 16], y[i:i + 16]
        raise Boom("input pipeline broke")

    model = tf.keras.Sequential([tf.keras.layers.Input((6,)), tf.keras.layers.Dense(2)])
    model.compile("sgd", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    seen = []

    class Count(tf.keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)

    with pytest.raises(Boom, match="input pipeline broke"):
        model.fit(gen(), epochs=1, verbose=0, callbacks=[Count()])
    assert seen == [0, 1, 2]  # the batches before the failure were all trained on
    assert not _wait_no_workers()


# -- tf.device scopes are thread-local, as TF's ---------------------------------------------------
def test_device_scopes_are_thread_local(gpus):
    seen = {}
    entered, release = threading.Event(), threading.Event()

    def other():
        seen["before"] = tf.constant(1.0).device  # the main thread's scope does not apply
        with tf.device("/GPU:1"):
            seen["scoped"] = tf.constant(1.0).device
            seen["name"] = backend.local.names[-1]
            entered.set()
            release.wait(5)

    with tf.device("/CPU:0"):
        t = threading.Thread(target=other)
        t.start()
        assert entered.wait(5)
        # the other thread's open GPU:1 scope does not apply here either
        assert tf.constant(1.0).device == CPU0
        release.set()
        t.join(5)
    assert tf.constant(1.0).device == GPU0
    assert seen == {"before": GPU0, "scoped": GPU1, "name": "/GPU:1"}
    assert backend.local.devices == [] and backend.local.names == []


def test_device_scope_stack_restored_after_errors():
    with pytest.raises(Boom):
        with tf.device("/CPU:0"):
            assert backend.local.names == ["/CPU:0"]
            raise Boom()
    assert backend.local.devices == [] and backend.local.names == []


def test_loss_scale_optimizer_in_keras_optimizers():
    assert tf.keras.optimizers.LossScaleOptimizer is tf.keras.mixed_precision.LossScaleOptimizer
    opt = tf.keras.optimizers.LossScaleOptimizer(tf.keras.optimizers.SGD(0.1))
    assert float(opt.dynamic_scale) == 2.0 ** 15
    with pytest.raises(AttributeError):
        tf.keras.optimizers.NoSuchOptimizer
