"""Background prefetch (overlap, bounded buffer, no leaked threads) and errors in user code."""
import gc
import threading

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.data import TensorSpec

# Every wait below is on an event or a condition, never a sleep: WAIT only bounds how long a
# broken pipeline may take to fail the test (a hang), it never decides the outcome.
WAIT = 10.0


def _threads():
    return {t for t in threading.enumerate() if t.name.startswith("tapeflow.data")}


def _settle(before):
    """True once every pipeline thread started since ``before`` has ended."""
    gc.collect()  # a dropped iterator's generator is closed here, which stops its thread
    for t in _threads() - before:
        t.join(WAIT)
    return _threads() <= before


class _Progress:
    """What a generator has produced and what the consumer has taken, with a condition to
    wait on either."""

    def __init__(self):
        self.cond = threading.Condition()
        self.produced = []  # for each element made: how many the consumer had taken by then
        self.taken = 0

    def make(self, i):
        with self.cond:
            self.produced.append(self.taken)
            self.cond.notify_all()

    def wait_produced(self, n):
        with self.cond:
            return self.cond.wait_for(lambda: len(self.produced) >= n, WAIT)

    def take(self):
        with self.cond:
            self.taken += 1


def _counting(n, progress):
    def gen():
        for i in range(n):
            progress.make(i)
            yield i

    return tf.data.Dataset.from_generator(gen, output_signature=TensorSpec((), tf.int64))


def test_prefetch_runs_ahead_while_consumer_waits_and_stays_bounded():
    n, buffer = 40, 5
    progress = _Progress()
    it = iter(_counting(n, progress).prefetch(buffer))
    got = []
    for i in range(n):
        # from the second element on, the consumer does not ask for element i until the
        # producer has filled the buffer behind it (elements i..i+4) and made one more: that
        # happens only if prefetch runs ahead on its own thread (it starts on the first next)
        if i:
            assert progress.wait_produced(min(n, i + buffer + 1)), f"no read-ahead at {i}"
        got.append(int(next(it)))
        progress.take()
    assert got == list(range(n))
    with pytest.raises(StopIteration):
        next(it)
    # bounded: element j was made only once the consumer had taken all but the buffer's worth
    # plus the one in the producer's hand (and one more: ``take`` is counted after ``next``)
    late = [(j, t) for j, t in enumerate(progress.produced) if t < j - buffer - 1]
    assert not late, f"(element, taken when made) ran past the buffer: {late[:3]}"


def test_prefetch_overlaps_producer_and_consumer():
    started = [threading.Event() for _ in range(7)]

    def mark(x):
        started[int(x)].set()
        return x

    overlapped = []
    for x in _counting(6, _Progress()).map(mark).prefetch(2):
        i = int(x)
        # the "training step" on element i ends only once element i + 1 is being made: with
        # prefetch that happens behind the consumer's back (without it, this would wait out)
        if i < 5:
            overlapped.append(started[i + 1].wait(WAIT))
    assert overlapped == [True] * 5


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
