"""Chunks of a heavy op's batch spread over tapeflow's worker threads, each chunk's BLAS calls
on one thread (why: the NOTE in ``backend/tuning.py``, which also sizes the workers and holds
the process-wide settings the first chunked op applies)."""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from ..backend import host as np
from ..backend import tuning
from ..backend.tuning import one_blas_thread, workers

__all__ = ["run_chunks", "matmul_2d"]

_lock = threading.Lock()
_pool = []
_inside = threading.local()  # set while this thread runs chunks


def _after_fork_in_child():
    # NOTE: a forked child has none of the parent's pool threads: start afresh
    global _lock
    _pool.clear()
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _executor(n):
    if not _pool:
        with _lock:
            if not _pool:
                _pool.append(ThreadPoolExecutor(n - 1, thread_name_prefix="tapeflow-chunks"))
    return _pool[0]


def run_chunks(job, spans, xp=np, tune=True):
    """``[job(a, b) for (a, b) in spans]``, the calls spread over the cores (results in the
    order of ``spans``, so reductions over them are deterministic).

    ``job`` must write only its own part of any shared output. ``tune=False``: the caller
    applied the process-wide tuning itself (a split product: ``tuning.split_product``).
    """
    spans = list(spans)
    if tune:
        tuning.apply()  # from the first chunked op on, not at import (see backend/tuning.py)
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


# NOTE: a matrix product of at least this many multiply-adds (m * k * n) is split into blocks
# over tapeflow's workers (each block one single-threaded BLAS call); smaller ones stay one
# BLAS call with the library's own threads. Measured on 2 cores: the workshop's full-batch
# products (60000x784x50, 2.4e9) run faster split, while the seed MLP's batch-256 products
# (1e7) ran 1.7x slower split (thread hand-offs) and 1.4x slower on one BLAS thread than
# with OpenBLAS's two.
SPLIT_MACS = 1 << 27


# NOTE: a large product whose inner dimension is the long one (a weight gradient ``x.T @ g``
# over a whole dataset: 784 x 60000 x 50) is summed over blocks of this many inner indices
# instead: each worker reads its rows of ``x`` once, contiguously, where row blocks of ``x.T``
# would read strided columns and every block would re-read all of ``g`` (measured 15% faster
# on 2 cores). The block size is fixed, never derived from the worker count, so the values
# are the same on every machine.
K_BLOCK = 8192
_BLOCKS = 8  # row or column blocks of a large product: a few per worker (see run_chunks)


def narrow_transposed(a, m, k, n):
    """Whether ``a @ b`` (``a`` m x k, a transposed view; ``n`` narrow) runs faster as
    ``(b.T @ a.T).T``.

    NOTE: a weight gradient ``x.T @ g`` has exactly this form. OpenBLAS is slow when the
    transposed operand meets a narrow output: on one thread, 784 x 30000 x 10 (the workshop's
    logistic regression) took 19.3 ms as asked and 14.3 ms swapped, 288 x 2541 x 64 1.30
    against 1.04 ms. Swapping lost 9% at 512 x 2048 x 128, and lost with a short inner
    dimension (784 x 256 x 50) or a wide output (9 x 14500 x 32): those stay as asked.
    """
    return (3 * n <= m and n <= 64 and (n <= 16 or k >= m) and a.dtype.kind == "f"
            and a.flags.f_contiguous and not a.flags.c_contiguous)


def matmul_2d(a, b):
    """``a @ b`` for 2-D host arrays: a large product is split into row (or column) blocks
    that tapeflow's workers pull from a queue (a core taken by another process only takes
    fewer blocks instead of stalling every BLAS barrier), each block on one BLAS thread. A
    product whose inner dimension is much the longest is summed over ``K_BLOCK`` slices of it
    instead, in order (see the NOTE above).

    The blocks depend on the shapes only, never on the number of workers, so a product has
    the same values on every machine (with the same BLAS kernel); they are within rounding of
    one ``np.matmul`` call, not always bit for bit (BLAS treats a block's edge rows apart).
    """
    m, k = a.shape
    n = b.shape[1]
    if narrow_transposed(a, m, k, n):
        return np.ascontiguousarray(matmul_2d(b.T, a.T).T)
    macs = m * k * n
    if macs < SPLIT_MACS:  # NOTE: checked first: most products of a step are small
        if macs < tuning.WATCH_MACS:
            return np.matmul(a, b)
        tuning.medium_product()
        return tuning.watch_matmul(a, b, macs)  # OpenBLAS's threads, while they pay
    if a.dtype.kind not in "fc" or a.dtype != b.dtype:
        return np.matmul(a, b)
    tuning.split_product()
    if k >= 2 * K_BLOCK and k >= 8 * max(m, n):
        return _inner_blocks(a, b)
    out = np.empty((m, n), a.dtype)
    rows = m >= n
    size = m if rows else n
    step = -(-size // _BLOCKS)
    step = max(16, -(-step // 16) * 16)  # whole multiples of BLAS's row tiles
    spans = [(i, min(size, i + step)) for i in range(0, size, step)]
    if rows:
        def job(i, j):
            np.matmul(a[i:j], b, out=out[i:j])
    else:
        def job(i, j):
            out[:, i:j] = np.matmul(a, b[:, i:j])
    with one_blas_thread():  # NOTE: also with one worker: the values must not depend on it
        run_chunks(job, spans, tune=False)
    return out


def _inner_blocks(a, b):
    """``a @ b`` as the sum, in order, of ``a[:, i:j] @ b[i:j]`` over ``K_BLOCK`` slices."""
    k = a.shape[1]
    spans = [(i, min(k, i + K_BLOCK)) for i in range(0, k, K_BLOCK)]
    with one_blas_thread():  # NOTE: also with one worker: the values must not depend on it
        parts = run_chunks(lambda i, j: np.matmul(a[:, i:j], b[i:j]), spans, tune=False)
    out = parts[0]
    for part in parts[1:]:
        out += part
    return out
