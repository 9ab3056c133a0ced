"""Process-wide tuning, in one place and on first use.

``import tapeflow`` changes no process setting. The first heavy op (the first op that spreads
a batch over tapeflow's worker threads through ``ops/_chunks.run_chunks``: a convolution or
its gradients, max-pooling, a fused LSTM/GRU sequence) calls ``apply()``, which makes two
process-wide changes, once:

- glibc's malloc keeps freed multi-megabyte blocks for reuse (``tune_malloc``);
- OpenBLAS runs on one thread from then on (``tune_blas_threads``).

Code without such ops (a plain MLP) keeps OpenBLAS's threads, so its matmuls still use
every core; a very large 2-D product (the workshop's full-batch 60000x784 ones, an
evaluation over a whole test set) is split into blocks over the workers instead
(``ops/_chunks.matmul_2d``): it tunes malloc, and OpenBLAS's threads only once such
products are frequent (``split_product``).
While OpenBLAS keeps its threads, ``watch_matmul`` times the medium 2-D products: once they
run slower than the same product on one thread (another process holds a core), OpenBLAS is
put on one thread for good, as a heavy op would (see ``watch_matmul``).
One switch per behaviour, environment variables read when ``apply()`` runs:

- ``TAPEFLOW_MALLOC_TUNING=0`` leaves glibc's malloc alone.
- ``TAPEFLOW_BLAS_TUNING=0`` leaves OpenBLAS's thread count alone. So does setting a thread
  count (next item): the count set is then the one OpenBLAS keeps.
- ``TAPEFLOW_NUM_THREADS=N``: how many threads share a heavy op's chunks (``workers()``); when
  unset, the first of ``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` that
  is set, else the cores this process may use, at most 8. Read by every heavy op.
- ``tf.config.threading.set_intra_op_parallelism_threads(N)`` (``set_intra_op_threads``), N >
  0: N workers and N OpenBLAS threads from then on, before any environment variable; no load
  watch, no switch to one thread. 0 gives the default behaviour back.

Besides, while chunks run, ``one_blas_thread`` puts OpenBLAS on one thread and restores it
afterwards (each worker's BLAS calls then run on that worker's own thread).

NOTE: why not simply let OpenBLAS use every core? A multi-threaded BLAS call ends at a barrier
where all its threads meet, and its idle threads spin between calls. On a machine with more
runnable threads than cores (a laptop doing other work, a shared server) every barrier waits
for a descheduled thread and the spinning threads steal the main thread's core: a small
convnet's training step measured 5-15x slower with 2 OpenBLAS threads than with one on a busy
2-core machine. The heavy ops' workers pull chunks from a shared queue instead, so a worker
that gets no core simply takes fewer chunks (the caller's thread works too), and BLAS runs on
one thread per call.
"""
import collections
import ctypes
import os
import sys
import threading
import time

from . import host as np

__all__ = ["applied", "apply", "intra_op_threads", "load_switch", "medium_product",
           "one_blas_thread", "set_intra_op_threads", "split_product", "tune_blas_threads",
           "tune_malloc", "watch_matmul", "workers"]

_found = []  # [(get_num_threads, set_num_threads) or None], looked up once
_lock = threading.Lock()
_depth = [0, 0]  # [callers inside one_blas_thread, BLAS threads to restore]
_applied = {}  # what apply() did: {"malloc": bool, "blas_threads": bool}; empty until then
_apply_lock = threading.Lock()

_intra = [0]  # tf.config.threading's intra-op thread count (0: not set)
_blas_default = []  # OpenBLAS's thread count before set_intra_op_threads changed it

_THREAD_VARS = ("TAPEFLOW_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                "MKL_NUM_THREADS")


# -- on the first heavy op ----------------------------------------------------------------------
def apply(blas=True):
    """Apply the process-wide tuning (see the module's docstring) on the first call; later
    calls cost one check. Called by every heavy op, never at import.

    ``blas=False``: malloc only (see ``split_product``).
    """
    if "blas_threads" in _applied or (not blas and _applied):
        return
    with _apply_lock:
        if not _applied:
            _applied["malloc"] = tune_malloc()
        if blas and "blas_threads" not in _applied:
            _applied["blas_threads"] = tune_blas_threads()


# NOTE: products split over the workers (ops/_chunks.matmul_2d) switch OpenBLAS to one thread
# only when they are frequent: a full-batch training step (the workshop's) runs several, and
# OpenBLAS's threads, spinning after its other products, then take the workers' cores (its
# logistic regression measured 1.5x slower). An occasional one, an MLP's evaluation over its
# whole test set once per epoch, tunes malloc only, and training keeps OpenBLAS's threads
# (an epoch measured 1.5x slower on one). Counted over the last products of at least
# WATCH_MACS, so the switch depends on the sequence of products alone, never on timing.
_SPLITS_RECENT = 32  # how many of the last medium or split products are looked at
_SPLITS_FREQUENT = 3  # split products among them that make the switch
_recent = collections.deque(maxlen=_SPLITS_RECENT)  # True for a split product


def medium_product():
    """Note a product of WATCH_MACS or more that is not split (see ``split_product``)."""
    _recent.append(False)


def split_product():
    """Note a product split over the workers, before it runs: tunes malloc, and OpenBLAS's
    threads when split products are frequent (see the NOTE above)."""
    if "blas_threads" in _applied:
        return
    _recent.append(True)
    apply(blas=sum(_recent) >= _SPLITS_FREQUENT)


def applied():
    """What ``apply()`` changed: ``{"malloc": bool, "blas_threads": bool}``, ``{"malloc":
    bool}`` after split plain products only, or ``{}`` before either."""
    return dict(_applied)


def tune_malloc():
    """Ask glibc's malloc to keep freed multi-megabyte blocks for reuse; False where it did not
    (``TAPEFLOW_MALLOC_TUNING=0``, not Linux, not glibc).

    NOTE: by default glibc serves blocks over a (moving) threshold with fresh ``mmap`` pages
    and trims freed heap memory back to the kernel, so every activation of a convnet step
    (tens of megabytes, allocated and freed each step) pays a page fault per 4 KiB: measured
    ~30% of a small convnet's training step. Keeping blocks up to 32 MiB (the most every glibc
    accepts) on the heap and trimming only beyond 256 MiB free removes that cost; the
    process's peak memory is unchanged (freed memory is reused, not added).
    """
    if not sys.platform.startswith("linux") or os.environ.get("TAPEFLOW_MALLOC_TUNING") == "0":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl, ...): leave malloc alone
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's <malloc.h> parameter numbers
    mallopt(m_trim_threshold, 256 << 20)
    mallopt(m_mmap_threshold, 32 << 20)
    return True


def tune_blas_threads():
    """Run OpenBLAS on one thread from now on: tapeflow's heavy ops spread their chunks over
    the cores themselves (see the module's NOTE). False where it did not: switched off
    (``TAPEFLOW_BLAS_TUNING=0``), a thread count was set (``TAPEFLOW_NUM_THREADS``,
    ``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``), or NumPy does not
    use OpenBLAS.

    NOTE: one multi-threaded BLAS call anywhere in a training step leaves OpenBLAS's workers
    spinning for a while after it, competing with the chunk workers for the cores.
    """
    if (os.environ.get("TAPEFLOW_BLAS_TUNING") == "0" or _env_threads() is not None
            or _intra[0]):
        return False
    blas = _openblas()
    if blas is None:
        return False
    with _lock:
        if _depth[0] > 0:
            # NOTE: inside ``one_blas_thread`` (the fused ops apply the tuning from there)
            # OpenBLAS is on one thread already; what its exit restores must become one too,
            # or every later plain matmul would wake OpenBLAS's workers again
            _depth[1] = 1
        elif blas[0]() > 1:
            blas[1](1)
    return True


# -- OpenBLAS threads ---------------------------------------------------------------------------
def _openblas():
    """``(get, set)`` num-threads functions of the OpenBLAS NumPy has loaded, or None."""
    if not _found:
        found = None
        try:
            with open("/proc/self/maps") as f:
                paths = sorted({ln.split()[-1] for ln in f if "openblas" in ln.lower()})
            for path in paths:
                lib = ctypes.CDLL(path)
                for pre, post in (("scipy_openblas", "64_"), ("openblas", "64_"),
                                  ("scipy_openblas", ""), ("openblas", "")):
                    get = getattr(lib, f"{pre}_get_num_threads{post}", None)
                    put = getattr(lib, f"{pre}_set_num_threads{post}", None)
                    if get is not None and put is not None:
                        found = (get, put)
                        break
                if found:
                    break
        except OSError:  # no /proc (not Linux) or a library that will not load
            found = None
        _found.append(found)
    return _found[0]


class one_blas_thread:
    """Context: OpenBLAS runs each call on one thread (nested and concurrent uses count)."""

    __slots__ = ("xp",)

    def __init__(self, xp=np):
        self.xp = xp

    def __enter__(self):
        if self.xp is not np:
            return self
        blas = _openblas()
        if blas is not None:
            with _lock:
                if _depth[0] == 0:
                    _depth[1] = blas[0]()
                    if _depth[1] > 1:
                        blas[1](1)
                _depth[0] += 1
        return self

    def __exit__(self, *exc):
        if self.xp is not np:
            return False
        blas = _openblas()
        if blas is not None:
            with _lock:
                _depth[0] -= 1
                if _depth[0] == 0 and _depth[1] > 1:
                    blas[1](_depth[1])
        return False


# -- load watch ---------------------------------------------------------------------------------
# NOTE: a product under 2^23 multiply-adds (an MLP's 256x128x64) may run no faster on two
# threads even on an idle machine, and a noisy machine's timings vary by a quarter: such
# products and such margins had switched OpenBLAS to one thread on a quiet machine (in 2 of 5
# benchmark processes), costing the big products their threads. Contention measures 2-30x.
WATCH_MACS = 1 << 23  # 2-D products of at least this many multiply-adds are watched
_WARM = 2  # calls of a size class not timed (first pages, caches, OpenBLAS's thread start)
_PROBES = 3  # one-thread timings per size class, right after the warm-up: its reference
_WINDOW = 32  # multi-threaded calls whose mean time is compared with the reference
_MARGIN = 1.5  # how much slower than one thread that mean must be
# NOTE: the mean, not the median: with a core taken, most 2-thread calls still ran fast
# (120 us against one thread's 225 for the seed MLP's product) while one in ~13 waited a
# whole time slice for the busy core (4 ms): 2x one thread's time on average, which only the
# mean sees (the median kept the threads for a whole epoch, 2.3x an idle one). On an idle
# machine no call of an epoch took over 0.8 ms; a window of 32 absorbs one stray stall.
# NOTE: with a core taken from the start, each watched call took ~30x one thread's time
# (7.6 ms for the seed MLP's 256x784x50): waiting for a full window of them cost the first
# epoch 2x its time. Consecutive calls this far over one thread switch at once.
_STRIKE = 8.0  # a call this many times slower than one thread is a strike
_CLIP = 20.0  # a call counts in the window's mean as at most this many times one thread
# NOTE: on an idle machine a single product sometimes stalls ~100 ms (313x one thread's time
# for the mlp3 benchmark's 256x784x128, once in an epoch: the VM or a sleeping BLAS thread);
# unclipped, that one call lifted the window's mean over 1.5x and switched OpenBLAS to one
# thread in 3 of 4 quiet benchmark processes. A busy core's stalls (a time slice, ~18x) stay
# whole, so contention still switches (test_periodic_stalls_switch).
_STRIKES = 3  # consecutive strikes that switch without waiting for the window
_watch = {}  # size class -> [calls, one-thread best per MAC, probes, recent per-MAC times,
#                             consecutive strikes]
_switched = {}  # load_switch(): what made the watch put OpenBLAS on one thread
_user_setting = []  # [whether a switch or a thread count leaves OpenBLAS alone], read once


def _product(a, b):  # the product the watch times (a stand-in in tests)
    return np.matmul(a, b)


def load_switch():
    """What the load watch decided: ``{}`` while OpenBLAS keeps its threads, else the size
    class and per-multiply-add seconds that made it switch to one thread."""
    return dict(_switched)


def _watching():
    if _switched or _applied.get("blas_threads") or _depth[0] > 0 or _intra[0]:
        return None
    if not _user_setting:  # NOTE: read once, as apply() reads them: not on every product
        _user_setting.append(os.environ.get("TAPEFLOW_BLAS_TUNING") == "0"
                             or _env_threads() is not None)
    if _user_setting[0]:
        return None
    blas = _openblas()
    return blas if blas is not None and blas[0]() > 1 else None


def watch_matmul(a, b, macs):
    """``np.matmul(a, b)`` of a medium 2-D product while OpenBLAS runs it on several threads,
    timed; OpenBLAS goes to one thread for good once such products stop paying for them.

    NOTE: a multi-threaded BLAS call waits at a barrier for every thread, and its idle threads
    spin: with another process computing on one of 2 cores, the seed MLP's epoch measured
    3-5x slower on OpenBLAS's 2 threads and unchanged on one. Each size class (a power of
    two of multiply-adds) skips a few warm-up calls, then times the same product on one
    thread three times (results dropped: 1- and 2-thread OpenBLAS round differently, and every
    result must come from the setting in force) and keeps its best; when the mean of the last
    multi-threaded calls is 1.5x slower than that, ``_switch`` puts OpenBLAS on one thread,
    as the first heavy op does; three calls in a row over 8x that best switch at once. On an
    idle machine the threads run such products in ~0.6x one thread's time (a window of 32
    absorbs a stray slow call), so the switch, and its change of rounding, comes only with
    real contention.
    """
    blas = _watching()
    if blas is None:
        return _product(a, b)
    st = _watch.get(macs.bit_length())
    if st is None:
        st = _watch[macs.bit_length()] = [0, float("inf"), 0, collections.deque(maxlen=_WINDOW),
                                          0]
    st[0] += 1
    if st[0] <= _WARM:
        return _product(a, b)
    if st[2] < _PROBES:
        st[2] += 1
        st[1] = min(st[1], _one_thread_time(blas, a, b) / macs)
    t = time.perf_counter()
    out = _product(a, b)
    per_mac = (time.perf_counter() - t) / macs
    recent = st[3]
    recent.append(min(per_mac, _CLIP * st[1]))
    st[4] = st[4] + 1 if per_mac > _STRIKE * st[1] else 0
    if st[4] >= _STRIKES:
        _switch(blas, macs, per_mac, st[1])
    elif len(recent) == _WINDOW:
        mean = sum(recent) / _WINDOW
        if mean > _MARGIN * st[1]:
            _switch(blas, macs, mean, st[1])
    return out


def _one_thread_time(blas, a, b):
    """Seconds of ``a @ b`` on one OpenBLAS thread (the result is dropped: see watch_matmul)."""
    with _lock:
        threads = blas[0]()
        if _depth[0] > 0 or threads < 2:
            return float("inf")
        blas[1](1)
        try:
            t = time.perf_counter()
            _product(a, b)
            return time.perf_counter() - t
        finally:
            blas[1](threads)


def _switch(blas, macs, multi, one):
    with _lock:
        if _switched:
            return
        _switched.update(macs=macs, threads=blas[0](), multi_per_mac=multi, one_per_mac=one)
        if _depth[0] > 0:  # NOTE: as in tune_blas_threads: what one_blas_thread restores
            _depth[1] = 1
        else:
            blas[1](1)


# -- worker threads -----------------------------------------------------------------------------
def _env_threads():
    for var in _THREAD_VARS:
        value = os.environ.get(var, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return None


def set_intra_op_threads(n):
    """``tf.config.threading.set_intra_op_parallelism_threads(n)``: ``n`` > 0 threads share
    each heavy op's chunks and run OpenBLAS's products (the load watch and the switch to one
    thread stand aside: the user chose); 0 restores the default behaviour and OpenBLAS's count
    from before. Applies at once, also after ops have run (TF refuses that; see
    ``framework.py``)."""
    with _lock:
        _intra[0] = n
        blas = _openblas()
        if blas is None:
            return
        current = _depth[1] if _depth[0] > 0 else blas[0]()
        if n > 0:
            if not _blas_default:
                _blas_default.append(current)
            target = n
        elif _blas_default:
            target = _blas_default.pop()
        else:
            return
        if _depth[0] > 0:  # NOTE: inside one_blas_thread: what its exit restores
            _depth[1] = target
        elif target != current:
            blas[1](target)


def intra_op_threads():
    """The count ``set_intra_op_threads`` set (0: none)."""
    return _intra[0]


def workers():
    """How many threads share chunked work: the count ``set_intra_op_threads`` set, else the
    first thread count set among ``TAPEFLOW_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``,
    ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``, else the cores this process may use (at most
    8)."""
    if _intra[0]:
        return _intra[0]
    env = _env_threads()
    if env is not None:
        return env
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        n = os.cpu_count() or 1
    return max(1, min(n, 8))


def _after_fork_in_child():
    # NOTE: a forked child has none of the parent's threads: none of them is inside
    # ``one_blas_thread`` or holds a lock there
    global _lock, _apply_lock
    _depth[0] = 0
    _lock = threading.Lock()
    _apply_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
