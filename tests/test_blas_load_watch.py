"""The BLAS load watch (``backend/tuning.watch_matmul``): medium 2-D products keep OpenBLAS's
threads while those beat one thread, and put OpenBLAS on one thread for good once they do not
(another process holding a core). The clock and OpenBLAS are stand-ins here, so each case
decides exactly; the real-machine figures are in ``benchmarks/run_all.py --busy``."""
import numpy as np
import pytest

from tapeflow.backend import tuning
from tapeflow.ops import _chunks


class FakeBLAS:
    """OpenBLAS's get/set thread count, and a clock each product advances by its cost on the
    thread count in force."""

    def __init__(self, multi_cost, one_cost, threads=2):
        self.threads, self.now = threads, 0.0
        self.cost = {1: one_cost, 2: multi_cost}
        self.sets = []

    def get(self):
        return self.threads

    def set(self, n):
        self.sets.append(n)
        self.threads = n

    def matmul(self, a, b, **kw):
        self.now += self.cost[min(self.threads, 2)]
        return np.matmul(a, b, **kw)


@pytest.fixture
def fake(monkeypatch):
    def make(multi_cost, one_cost, threads=2):
        blas = FakeBLAS(multi_cost, one_cost, threads)
        monkeypatch.setattr(tuning, "_openblas", lambda: (blas.get, blas.set))
        monkeypatch.setattr(tuning, "_watch", {})
        monkeypatch.setattr(tuning, "_switched", {})
        monkeypatch.setattr(tuning, "_applied", {})
        monkeypatch.setattr(tuning, "_user_setting", [])
        monkeypatch.setattr(tuning, "_product", blas.matmul)
        monkeypatch.setattr(tuning.time, "perf_counter", lambda: blas.now)
        for var in tuning._THREAD_VARS + ("TAPEFLOW_BLAS_TUNING",):
            monkeypatch.delenv(var, raising=False)
        return blas
    return make


def operands(m=256, k=784, n=50):
    rng = np.random.default_rng(0)
    return (rng.standard_normal((m, k)).astype(np.float32),
            rng.standard_normal((k, n)).astype(np.float32))


def run(calls, a, b):
    return [_chunks.matmul_2d(a, b) for _ in range(calls)]


def test_threads_that_pay_are_kept(fake):
    blas = fake(multi_cost=1.0, one_cost=1.8)  # an idle machine: 2 threads ~0.55x one
    a, b = operands()
    outs = run(200, a, b)
    assert tuning.load_switch() == {}
    assert blas.threads == 2
    # the reference timings each put OpenBLAS on one thread and back, and nothing else did
    assert blas.sets == [1, 2] * tuning._PROBES
    for out in outs:
        np.testing.assert_array_equal(out, np.matmul(a, b))


def test_threads_that_stop_paying_switch_to_one_thread_for_good(fake):
    blas = fake(multi_cost=1.0, one_cost=1.8)
    a, b = operands()
    run(50, a, b)
    assert tuning.load_switch() == {}
    blas.cost[2] = 4.0  # another process takes a core: each 2-thread call waits at the barrier
    run(4, a, b)
    assert tuning.load_switch() == {}, "a few slow calls do not outweigh the window"
    slow = 4
    while not tuning.load_switch() and slow < tuning._WINDOW:
        run(1, a, b)
        slow += 1
    # the window's mean passes 1.5x one thread's time (2.7) with 19 of its 32 calls at 4.0
    assert slow == 19
    got = tuning.load_switch()
    assert blas.threads == 1
    assert got["threads"] == 2 and got["macs"] == a.shape[0] * a.shape[1] * b.shape[1]
    assert got["multi_per_mac"] > got["one_per_mac"]
    sets = len(blas.sets)
    blas.cost[2] = 1.0  # the machine is idle again: one thread stays (results keep one rounding)
    run(50, a, b)
    assert blas.threads == 1 and len(blas.sets) == sets


def test_a_core_taken_from_the_start_switches_within_a_few_calls(fake):
    """~30x one thread's time on every call (measured with a core busy from the first
    product): three strikes in a row switch, without waiting for a full window."""
    blas = fake(multi_cost=30.0, one_cost=1.0)
    a, b = operands()
    run(tuning._WARM + tuning._STRIKES - 1, a, b)
    assert tuning.load_switch() == {}
    run(1, a, b)
    got = tuning.load_switch()
    assert blas.threads == 1 and got["multi_per_mac"] > tuning._STRIKE * got["one_per_mac"]


def test_moderate_contention_waits_for_the_window(fake):
    blas = fake(multi_cost=4.0, one_cost=1.0)  # 4x: over the median's margin, no strike
    a, b = operands()
    run(tuning._WARM + tuning._WINDOW - 1, a, b)
    assert tuning.load_switch() == {} and blas.threads == 2
    run(1, a, b)
    assert blas.threads == 1


def test_strikes_must_be_consecutive(fake):
    blas = fake(multi_cost=1.0, one_cost=1.8)
    a, b = operands()
    run(20, a, b)
    for _ in range(10):  # two strikes (over 8x one thread), then normal calls
        blas.cost[2] = 15.0
        run(tuning._STRIKES - 1, a, b)
        blas.cost[2] = 1.0
        run(tuning._WINDOW, a, b)  # the window's mean stays under 1.5x one thread
    assert tuning.load_switch() == {} and blas.threads == 2


def test_a_few_slow_calls_do_not_switch(fake):
    blas = fake(multi_cost=1.0, one_cost=1.8)
    a, b = operands()
    run(20, a, b)
    for _ in range(30):  # one stray slow call in every 16 (an idle epoch had none over 0.8 ms)
        blas.cost[2] = 10.0
        run(1, a, b)
        blas.cost[2] = 1.0
        run(15, a, b)
    assert tuning.load_switch() == {} and blas.threads == 2


def test_one_long_stall_on_an_idle_machine_does_not_switch(fake):
    """Measured on an idle 2-core VM: one call of an epoch took 313x one thread's time
    (~100 ms) among calls at ~0.6x; it must not switch (it did, in 3 of 4 processes)."""
    blas = fake(multi_cost=0.6, one_cost=1.0)
    a, b = operands()
    run(20, a, b)
    blas.cost[2] = 313.0
    run(1, a, b)
    blas.cost[2] = 0.6
    run(tuning._WINDOW, a, b)
    assert tuning.load_switch() == {} and blas.threads == 2


def test_periodic_stalls_switch(fake):
    """With a core taken, most 2-thread calls ran fast and one in ~13 waited a time slice for
    the busy core (measured 120 us, and 4 ms, against one thread's 225 us): the median saw
    nothing, the mean sees 2x one thread's time."""
    blas = fake(multi_cost=120.0, one_cost=225.0)
    a, b = operands()
    run(20, a, b)
    for _ in range(tuning._WINDOW):
        blas.cost[2] = 4000.0
        run(1, a, b)
        blas.cost[2] = 120.0
        run(12, a, b)
        if tuning.load_switch():
            break
    assert blas.threads == 1


@pytest.mark.parametrize("env", [{"TAPEFLOW_BLAS_TUNING": "0"}, {"OPENBLAS_NUM_THREADS": "2"},
                                 {"TAPEFLOW_NUM_THREADS": "2"}], ids=lambda e: next(iter(e)))
def test_a_user_setting_turns_the_watch_off(fake, monkeypatch, env):
    blas = fake(multi_cost=4.0, one_cost=1.0)  # would switch at once
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    run(40, *operands())
    assert tuning.load_switch() == {} and blas.sets == []


def test_noise_and_small_products_do_not_switch(fake):
    """Two threads a quarter slower than one (a noisy but quiet machine), or slower on a
    product too small to gain from them (an MLP's 256x128x64), leave the threads."""
    blas = fake(multi_cost=1.25, one_cost=1.0)
    run(60, *operands())
    assert tuning.load_switch() == {} and blas.threads == 2
    blas = fake(multi_cost=4.0, one_cost=1.0)
    run(60, *operands(256, 128, 64))  # 2^21 multiply-adds: under WATCH_MACS
    assert tuning.load_switch() == {} and blas.threads == 2


def test_small_and_one_thread_products_are_not_watched(fake):
    blas = fake(multi_cost=4.0, one_cost=1.0)
    run(40, *operands(64, 64, 64))  # under WATCH_MACS
    assert blas.sets == [] and tuning._watch == {}
    blas.threads = 1  # OpenBLAS already on one thread (a heavy op ran, or the user's choice)
    run(40, *operands())
    assert blas.sets == [] and tuning.load_switch() == {}


def test_inside_one_blas_thread_the_switch_is_what_exit_restores(fake, monkeypatch):
    blas = fake(multi_cost=4.0, one_cost=1.0)
    a, b = operands()
    run(tuning._WARM + tuning._PROBES, a, b)  # references taken: one thread is 4x faster
    monkeypatch.setattr(tuning, "_depth", [0, 0])
    with tuning.one_blas_thread():
        assert blas.threads == 1
        run(tuning._WINDOW, a, b)  # products inside chunks are not watched
        assert tuning.load_switch() == {}
        # a switch decided meanwhile (by another thread) must survive the context's exit
        tuning._switch((blas.get, blas.set), 1, 4.0, 1.0)
    assert blas.threads == 1
    assert tuning.load_switch()["multi_per_mac"] == 4.0


# -- products split over the workers ------------------------------------------------------------
@pytest.fixture
def split_state(fake, monkeypatch):
    """A fresh split-product history and a recording stand-in for the tuning it applies."""
    blas = fake(1.0, 1.0)
    monkeypatch.setattr(tuning, "_recent", tuning.collections.deque(
        maxlen=tuning._SPLITS_RECENT))
    monkeypatch.setattr(tuning, "tune_malloc", lambda: True)
    return blas


def test_an_occasional_split_product_leaves_openblas_threads(split_state):
    """An evaluation over a whole test set between epochs of medium products: malloc tuned,
    OpenBLAS keeps its threads for training."""
    big = operands(2048, 1024, 64)  # 2^27 multiply-adds: split
    medium = operands()
    for _epoch in range(4):
        for _ in range(tuning._SPLITS_RECENT):
            _chunks.matmul_2d(*medium)
        out = _chunks.matmul_2d(*big)
        np.testing.assert_allclose(out, big[0] @ big[1], rtol=1e-4, atol=1e-3)
    assert tuning.applied() == {"malloc": True}
    assert split_state.threads == 2 and tuning.load_switch() == {}


def test_frequent_split_products_put_openblas_on_one_thread(split_state):
    """Full-batch training steps (split products every step among few medium ones): the
    third split product among the last few switches OpenBLAS to one thread for good."""
    big = operands(2048, 1024, 64)
    medium = operands()
    _chunks.matmul_2d(*big)
    _chunks.matmul_2d(*medium)
    _chunks.matmul_2d(*big)
    assert "blas_threads" not in tuning.applied()
    _chunks.matmul_2d(*medium)
    _chunks.matmul_2d(*big)
    assert tuning.applied() == {"malloc": True, "blas_threads": True}
    assert split_state.threads == 1
