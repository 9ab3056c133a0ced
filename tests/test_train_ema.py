"""tf.train.ExponentialMovingAverage, Coordinator, TrackableView and CheckpointView, against
TF 2.21's behaviour (values recorded from TF)."""
import threading

import numpy as np
import pytest

import tapeflow as tf


# -- ExponentialMovingAverage -------------------------------------------------------------------
def test_ema_apply_and_average():
    v = tf.Variable([1.0, 2.0], name="v")
    w = tf.Variable(3.0, name="w")
    ema = tf.train.ExponentialMovingAverage(0.9)
    assert ema.apply([v, w]) is None
    shadow = ema.average(v)
    # TF: <tf.Variable 'v/ExponentialMovingAverage:0' ... numpy=array([1., 2.])>, untrainable
    assert shadow.name == "v/ExponentialMovingAverage:0"
    assert not shadow.trainable
    assert ema.average_name(v) == "v/ExponentialMovingAverage"
    assert ema.name == "ExponentialMovingAverage"
    np.testing.assert_array_equal(shadow.numpy(), [1.0, 2.0])
    v.assign([3.0, 4.0])
    ema.apply([v, w])
    np.testing.assert_allclose(shadow.numpy(), np.array([1.2, 2.2], np.float32))
    v.assign([5.0, 0.0])
    ema.apply([v])
    np.testing.assert_allclose(shadow.numpy(), np.array([1.5800002, 1.98], np.float32))
    assert float(ema.average(w).numpy()) == 3.0
    assert ema.average(tf.Variable(1.0)) is None
    restore = ema.variables_to_restore()
    assert sorted(restore) == ["v/ExponentialMovingAverage", "w/ExponentialMovingAverage"]
    assert restore["v/ExponentialMovingAverage"] is v
    assert list(ema.variables_to_restore([w])) == ["w/ExponentialMovingAverage"]


def test_ema_num_updates_and_decay_tensor():
    n = tf.Variable(0, dtype=tf.int64)
    e = tf.train.ExponentialMovingAverage(0.99, num_updates=n)
    x = tf.Variable(0.0, name="x")
    e.apply([x])
    x.assign(10.0)
    e.apply([x])
    assert float(e.average(x).numpy()) == 9.0  # TF: decay min(0.99, 1/10)
    e4 = tf.train.ExponentialMovingAverage(0.5, num_updates=3)
    z = tf.Variable(1.0, name="z")
    e4.apply([z])
    z.assign(2.0)
    e4.apply([z])
    np.testing.assert_allclose(e4.average(z).numpy(), np.float32(1.6923077), rtol=1e-6)
    e5 = tf.train.ExponentialMovingAverage(tf.constant(0.7))
    t = tf.Variable(2.0, name="t")
    e5.apply([t])
    t.assign(4.0)
    e5.apply([t])
    np.testing.assert_allclose(e5.average(t).numpy(), np.float32(2.6), rtol=1e-6)


def test_ema_zero_debias_leaves_variables_alone():
    # TF: zero debiasing applies to plain tensors only; a variable's average: 4 -> 6
    e = tf.train.ExponentialMovingAverage(0.5, zero_debias=True)
    y = tf.Variable(4.0, name="y")
    e.apply([y])
    y.assign(8.0)
    e.apply([y])
    assert float(e.average(y).numpy()) == 6.0


def test_ema_dtypes_names_and_scopes():
    e = tf.train.ExponentialMovingAverage(0.9, name="foo")
    d = tf.Variable([1.0, 2.0], dtype=tf.float64, name="d")
    e.apply([d])
    assert e.average(d).dtype == tf.float64
    assert e.average_name(d) == "d/foo"
    h = tf.Variable(1.0, dtype=tf.float16, name="h")
    e.apply([h])
    h.assign(3.0)
    e.apply([h])
    assert e.average(h).dtype == tf.float16
    assert float(e.average(h).numpy()) == 1.2001953125  # TF's float16 value
    with tf.name_scope("sc"):
        x = tf.Variable(1.0, name="x")
    with tf.name_scope("other"):
        e.apply([x])
    assert e.average(x).name == "sc/x/foo:0"


def test_ema_errors():
    ema = tf.train.ExponentialMovingAverage(0.9)
    with pytest.raises(TypeError, match="The variables must be half, float, or double: i:0"):
        ema.apply([tf.Variable(1, name="i")])
    with pytest.raises(TypeError, match="tf.train.ExponentialMovingAverage does not support "
                                        "non-Variable tensors when eager execution is "
                                        "enabled."):
        ema.apply([tf.constant(1.0)])
    with pytest.raises(AttributeError, match="Tensor.name is undefined when eager execution "
                                             "is enabled."):
        ema.average_name(tf.constant(1.0))
    assert ema.apply() is None


def test_ema_tracks_training():
    v = tf.Variable(0.0)
    ema = tf.train.ExponentialMovingAverage(0.5)
    ema.apply([v])
    for value in (2.0, 4.0):
        v.assign(value)
        ema.apply([v])
    assert float(ema.average(v).numpy()) == 2.5  # 0 -> 1 -> 2.5


# -- Coordinator --------------------------------------------------------------------------------
def test_coordinator_reraises_thread_error():
    c = tf.train.Coordinator()
    assert (c.should_stop(), c.joined) == (False, False)

    def work():
        with c.stop_on_exception():
            raise ValueError("boom")

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert c.should_stop() and c.wait_for_stop(0.01)
    with pytest.raises(ValueError, match="boom"):
        c.join([t])
    assert c.joined
    c.clear_stop()
    assert not c.should_stop()


def test_coordinator_clean_stops():
    c = tf.train.Coordinator()
    with c.stop_on_exception():
        raise tf.errors.OutOfRangeError(None, None, "eof")
    assert c.should_stop()
    c.join()
    assert c.joined
    c = tf.train.Coordinator(clean_stop_exception_types=(ValueError,))
    try:
        raise ValueError("v")
    except ValueError as e:
        c.request_stop(e)
    c.join()
    c = tf.train.Coordinator()
    c.request_stop()
    c.request_stop(ValueError("late"))  # the first request wins: no error
    c.join()
    assert c.wait_for_stop() is True
    assert tf.train.Coordinator().wait_for_stop(0.01) is False


def test_coordinator_raise_requested_and_tuple():
    c = tf.train.Coordinator()
    try:
        raise ValueError("x")
    except ValueError as e:
        c.request_stop(e)
    with pytest.raises(ValueError, match="x"):
        c.raise_requested_exception()
    c = tf.train.Coordinator()
    c.request_stop(ex=(ValueError, ValueError("t"), None))
    with pytest.raises(ValueError, match="t"):
        c.join()


def test_coordinator_stragglers():
    c = tf.train.Coordinator()
    ev = threading.Event()
    t = threading.Thread(target=ev.wait, name="waiter")
    t.start()
    c.request_stop()
    try:
        with pytest.raises(RuntimeError, match="^Coordinator stopped with threads still "
                                               "running: waiter$"):
            c.join([t], stop_grace_period_secs=0.05)
        c2 = tf.train.Coordinator()
        c2.request_stop()
        c2.join([t], stop_grace_period_secs=0.05, ignore_live_threads=True)
        # the requested exception comes before the stragglers, as in TF
        c3 = tf.train.Coordinator()
        c3.register_thread(t)
        c3.request_stop(ex=(ValueError, ValueError("first"), None))
        with pytest.raises(ValueError, match="first"):
            c3.join(stop_grace_period_secs=0.05)
    finally:
        ev.set()
        t.join()


def test_coordinator_stops_worker_threads():
    c = tf.train.Coordinator()
    counts = [0, 0]

    def loop(i):
        while not c.should_stop():
            counts[i] += 1
            if counts[i] >= 5:
                c.request_stop()

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    c.join(threads)
    assert not any(t.is_alive() for t in threads)


# -- TrackableView / CheckpointView -------------------------------------------------------------
def _module():
    m = tf.Module()
    m.v = tf.Variable(1.0)
    m.sub = tf.Module()
    m.sub.w = tf.Variable(2.0)
    return m


def test_trackable_view():
    m = _module()
    view = tf.train.TrackableView(m)
    assert view.root is m
    kids = view.children(m)
    assert list(kids) == ["v", "sub"] and kids["v"] is m.v and kids["sub"] is m.sub
    assert [id(o) for o in view.descendants()] == [id(m), id(m.v), id(m.sub), id(m.sub.w)]


def test_checkpoint_view(tmp_path):
    m = _module()
    ck = tf.train.Checkpoint(model=m)
    path = ck.write(str(tmp_path / "x"))
    view = tf.train.CheckpointView(path)
    # TF: {'model': 1}, [0..4]; 1: {'v': 2, 'sub': 3}; 3: {'w': 4}
    assert view.children(0) == {"model": 1}
    assert view.descendants() == [0, 1, 2, 3, 4]
    assert [view.children(i) for i in range(5)] == [{"model": 1}, {"v": 2, "sub": 3}, {},
                                                    {"w": 4}, {}]
    matched = view.match(ck)
    assert [matched[i] is o for i, o in enumerate([ck, m, m.v, m.sub, m.sub.w])] == [True] * 5
    both, only_ckpt, only_obj = view.diff(ck)
    assert len(both) == 5 and only_ckpt == [] and only_obj == []
    other = tf.Module()
    other.v = tf.Variable(1.0)
    other.extra = tf.Variable(3.0)
    both, only_ckpt, only_obj = view.diff(tf.train.Checkpoint(model=other))
    assert sorted(both) == [0, 1, 2] and only_ckpt == [3, 4]
    assert len(only_obj) == 1 and only_obj[0] is other.extra


# -- experimental.PythonState -------------------------------------------------------------------
class _State(tf.train.experimental.PythonState):
    def __init__(self):
        self.x = "hello"

    def serialize(self):
        return self.x

    def deserialize(self, string_value):
        self.x = string_value


def test_python_state_in_a_checkpoint(tmp_path):
    s = _State()
    m = tf.Module()
    m.s = s
    m.v = tf.Variable(1.0)
    path = tf.train.Checkpoint(m=m).write(str(tmp_path / "c"))
    # TF 2.21 writes these keys, and loads the state as bytes
    assert tf.train.list_variables(path) == [("_CHECKPOINTABLE_OBJECT_GRAPH", []),
                                             ("m/s/.ATTRIBUTES/py_state", []),
                                             ("m/v/.ATTRIBUTES/VARIABLE_VALUE", [])]
    assert tf.train.load_variable(path, "m/s/.ATTRIBUTES/py_state") == b"hello"
    s.x = "changed"
    tf.train.Checkpoint(m=m).read(path).assert_consumed()
    assert s.x == b"hello"


def test_python_state_is_abstract():
    with pytest.raises(TypeError):
        tf.train.experimental.PythonState()
