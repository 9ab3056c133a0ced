"""Background prefetch (overlap, bounded buffer, no leaked threads) and errors in user code."""
import gc
import threading
import time

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.data import TensorSpec


def _threads():
    return {t for t in threading.enumerate() if t.name.startswith("tapeflow.data")}


def _settle(before, timeout=3.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        gc.collect()
        if _threads() <= before:
            return True
        time.sleep(0.01)
    return False


def _counting(n, produced):
    def gen():
        for i in range(n):
            produced.append(i)
            yield i

    return tf.data.Dataset.from_generator(gen, output_signature=TensorSpec((), tf.int64))


def test_prefetch_runs_ahead_while_consumer_sleeps():
    produced = []
    it = iter(_counting(100, produced).prefetch(5))
    assert int(next(it)) == 0
    deadline = time.monotonic() + 5.0
    while len(produced) < 6 and time.monotonic() < deadline:  # the consumer is idle here
        time.sleep(0.01)
    time.sleep(0.1)
    # one consumed, 5 waiting in the buffer, at most one more in hand: bounded, not the dataset
    assert 6 <= len(produced) <= 7
    assert [int(x) for x in it] == list(range(1, 100))


def test_prefetch_overlaps_producer_and_consumer():
    log = []

    def slow(x):
        log.append(("made", int(x), time.monotonic()))
        time.sleep(0.02)
        return x

    for x in _counting(6, []).map(slow).prefetch(2):
        start = time.monotonic()
        time.sleep(0.03)  # the "training step"
        log.append(("used", int(x), start))
    made = {i: t for kind, i, t in log if kind == "made"}
    used = {i: t for kind, i, t in log if kind == "used"}
    # element i + 1 was being produced while the consumer was still busy with element i
    # (without prefetch it only starts after the consumer asks for it)
    assert sum(made[i + 1] < used[i] + 0.03 for i in range(5)) >= 3


def test_prefetch_autotune_and_zero():
    ds = tf.data.Dataset.range(7)
    assert [int(x) for x in ds.prefetch(tf.data.AUTOTUNE)] == list(range(7))
    assert [int(x) for x in ds.prefetch(0)] == list(range(7))
    assert [b.tolist() for b in ds.prefetch(1).batch(3).prefetch(2).as_numpy_iterator()] == \
        [[0, 1, 2], [3, 4, 5], [6]]


def test_no_leaked_threads_across_epochs_and_early_breaks():
    before = _threads()
    ds = tf.data.Dataset.range(1000).map(lambda x: x + 1, num_parallel_calls=2).batch(
        10).prefetch(3)
    for _epoch in range(3):
        for i, _ in enumerate(ds):
            if i == 2:
                break  # the iterator is dropped mid-epoch
    for _ in range(2):
        assert len(list(ds)) == 100  # full epochs
    it = iter(ds)
    next(it)
    del it
    assert _settle(before), f"leaked: {_threads() - before}"


def test_no_leaked_thread_after_error():
    before = _threads()

    def bad(x):
        if int(x) == 5:
            raise RuntimeError("bad element")
        return x

    with pytest.raises(RuntimeError):
        list(tf.data.Dataset.range(20).map(bad).prefetch(2))
    assert _settle(before)


@pytest.mark.parametrize("wrap", [
    lambda d: d, lambda d: d.prefetch(2), lambda d: d.batch(4), lambda d: d.shuffle(3, seed=1),
])
def test_map_error_names_the_element_and_never_hangs(wrap):
    def fn(x):
        if int(x) == 6:
            raise ValueError("no sixes")
        return x

    ds = wrap(tf.data.Dataset.range(10).map(fn))
    with pytest.raises(ValueError, match="Dataset.map.*element 6.*no sixes"):
        for _ in ds:
            pass


def test_map_error_keeps_tapeflow_error_type_and_filter_errors():
    ds = tf.data.Dataset.from_tensor_slices(np.ones((3, 4), np.float32)).map(
        lambda x: tf.reshape(x, [3]) if False else x)
    assert len(list(ds)) == 3
    ds = tf.data.Dataset.range(4).map(lambda x: tf.reshape(tf.fill([int(x) + 1], 1.0), [2]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="element 0"):
        list(ds.batch(2))
    bad = tf.data.Dataset.range(5).filter(lambda x: 1 // (int(x) - 3) > -9)
    with pytest.raises(ZeroDivisionError, match="Dataset.filter.*element 3"):
        list(bad.prefetch(1))


def test_generator_error_propagates_through_prefetch():
    def gen():
        yield 1
        raise KeyError("missing")

    ds = tf.data.Dataset.from_generator(gen, output_signature=TensorSpec((), tf.int32))
    it = iter(ds.prefetch(2))
    assert int(next(it)) == 1
    with pytest.raises(KeyError):
        next(it)
