"""Threads for the heavy array ops: chunks of a batch run on all cores, each chunk's BLAS calls
on one thread.

NOTE: why not simply let OpenBLAS use every core? A multi-threaded BLAS call ends at a barrier
where all its threads meet, and its idle threads spin between calls. On a machine with more
runnable threads than cores (a laptop doing other work, a shared server) every barrier waits
for a descheduled thread and the spinning threads steal the main thread's core: a small
convnet's training step measured 5-15x slower with 2 OpenBLAS threads than with one on a busy
2-core machine. Here the workers pull chunks from a shared queue instead, so a worker that
gets no core simply takes fewer chunks (the caller's thread works too), and BLAS runs on one
thread per call (for the whole process, unless a thread count was set: ``take_over_threads``).
"""
import ctypes
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from ..backend import host as np

__all__ = ["one_blas_thread", "run_chunks", "take_over_threads", "workers"]

_found = []  # [(get_num_threads, set_num_threads) or None], looked up once
_lock = threading.Lock()
_depth = [0, 0]  # [callers inside one_blas_thread, BLAS threads to restore]
_pool = []
_inside = threading.local()  # set while this thread runs chunks
_took_over = []  # non-empty once OpenBLAS was put on one thread (take_over_threads)


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


_THREAD_VARS = ("TAPEFLOW_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                "MKL_NUM_THREADS")


def _env_threads():
    for var in _THREAD_VARS:
        value = os.environ.get(var, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return None


def take_over_threads():
    """Unless a thread count was set (``TAPEFLOW_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``,
    ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``), run OpenBLAS on one thread: tapeflow's heavy
    ops spread their chunks over the cores themselves (see the module's NOTE). Called by the
    first chunked op (a convolution, pooling, the fused LSTM), not at import, so code without
    such ops keeps OpenBLAS's own threading (a plain MLP's big matmuls use every core).

    NOTE: one multi-threaded BLAS call anywhere in a training step leaves OpenBLAS's workers
    spinning for a while after it, competing with the chunk workers for the cores.
    """
    if _env_threads() is not None:
        return
    blas = _openblas()
    if blas is None:
        return
    with _lock:
        if _depth[0] > 0:
            # NOTE: inside ``one_blas_thread`` (the fused ops call this from there) OpenBLAS is
            # on one thread already; what its exit restores must become one too, or every
            # later plain matmul would wake OpenBLAS's workers again
            _depth[1] = 1
        elif blas[0]() > 1:
            blas[1](1)


def workers():
    """How many threads share chunked work: the first thread count set among
    ``TAPEFLOW_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``,
    ``MKL_NUM_THREADS``, else the cores this process may use (at most 8)."""
    env = _env_threads()
    if env is not None:
        return env
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        n = os.cpu_count() or 1
    return max(1, min(n, 8))


def _after_fork_in_child():
    # NOTE: a forked child has none of the parent's pool threads: start afresh
    global _lock
    _pool.clear()
    _depth[0] = 0
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _executor(n):
    if not _pool:
        with _lock:
            if not _pool:
                _pool.append(ThreadPoolExecutor(n - 1, thread_name_prefix="tapeflow-chunks"))
    return _pool[0]


def run_chunks(job, spans, xp=np):
    """``[job(a, b) for (a, b) in spans]``, the calls spread over the cores (results in the
    order of ``spans``, so reductions over them are deterministic).

    ``job`` must write only its own part of any shared output.
    """
    spans = list(spans)
    if not _took_over:
        _took_over.append(True)
        take_over_threads()  # from the first chunked op on, not at import (see its NOTE)
    n = workers()
    if n < 2 or len(spans) < 2 or xp is not np or getattr(_inside, "yes", False):
        # NOTE: nested calls run serially: a pool worker waiting on the pool could deadlock
        return [job(a, b) for a, b in spans]
    todo = iter(enumerate(spans))
    take = threading.Lock()
    results = [None] * len(spans)

    def drain():
        _inside.yes = True
        try:
            while True:
                with take:
                    k, span = next(todo, (None, None))
                if span is None:
                    return
                results[k] = job(*span)
        finally:
            _inside.yes = False

    with one_blas_thread(xp):
        helpers = [_executor(n).submit(drain) for _ in range(min(n, len(spans)) - 1)]
        try:
            drain()
        finally:
            for h in helpers:
                h.result()
    return results
