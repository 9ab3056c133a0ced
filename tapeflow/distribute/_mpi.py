"""The MPI engine under the multi-process strategies: mpi4py's buffer interface (upper-case
``Allreduce``/``Bcast`` on NumPy arrays, never pickled), gradients flattened into a few large
buckets, collectives that give up after a deadline, and an excepthook that takes the whole
job down when one rank raises.

mpi4py is imported here only, and only when a strategy asks for it, so ``import tapeflow``
never loads MPI.
"""
import atexit
import os
import sys
import threading
import time
import traceback

from ..backend import host as np
from ..backend import to_host, xp_of

# NOTE: 4 Mi float32 elements (16 MiB) per bucket: large enough that one allreduce runs at
# link bandwidth, small enough that the staging buffer stays cheap. Horovod's default fusion
# buffer is 64 MiB; DDP's first bucket is 1 MiB then 25 MiB.
BUCKET_ELEMENTS = int(os.environ.get("TAPEFLOW_BUCKET_ELEMENTS", 4 << 20))


# How long a waiting rank polls before it yields its core (TAPEFLOW_COLLECTIVE_SPIN_US);
# default 2 ms, or 0 when this machine runs more ranks than it has cores.
SPIN_ENV = os.environ.get("TAPEFLOW_COLLECTIVE_SPIN_US")


def collective_timeout():
    """Seconds a collective may wait for the other ranks (``TAPEFLOW_COLLECTIVE_TIMEOUT``,
    default 600; 0 or less waits forever)."""
    return float(os.environ.get("TAPEFLOW_COLLECTIVE_TIMEOUT", "600"))


def load_mpi():
    """``mpi4py.MPI`` or None when mpi4py (or an MPI library) is not installed."""
    try:
        from mpi4py import MPI  # optional: the [mpi] extra, loaded on demand
    except ImportError:
        return None
    return MPI


def _spin_seconds(local_ranks):
    if SPIN_ENV is not None:
        return float(SPIN_ENV) * 1e-6
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    # NOTE: with more ranks than cores a spinning waiter holds the core its peer needs
    return 0.0 if local_ranks > cores else 2e-3


class CollectiveTimeoutError(RuntimeError):
    """A collective did not complete before the deadline (a rank died or stopped)."""


class Collective:
    """Allreduce and broadcast over one MPI communicator, with a deadline on every wait."""

    def __init__(self, MPI, comm=None):
        self.MPI = MPI
        self.comm = comm if comm is not None else MPI.COMM_WORLD
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        self.timeout = collective_timeout()
        self.local_size = self.comm.Split_type(MPI.COMM_TYPE_SHARED).Get_size()
        self.spin = _spin_seconds(self.local_size)
        self.seconds = 0.0  # time spent inside allreduce calls (benchmarks read it)
        self.calls = 0

    # -- waiting with a deadline ---------------------------------------------------------
    def _wait(self, request, what):
        """Poll ``request`` until done; raise after ``self.timeout`` seconds."""
        if request.Test():
            return
        start = time.monotonic()
        while not request.Test():
            waited = time.monotonic() - start
            if self.timeout > 0 and waited > self.timeout:
                # NOTE: raised, not aborted here: the excepthook ends the job with the
                # traceback, and a caller that can recover may catch it.
                raise CollectiveTimeoutError(
                    f"tapeflow.distribute: rank {self.rank} of {self.size}: {what} did not "
                    f"complete within {self.timeout:g} s (TAPEFLOW_COLLECTIVE_TIMEOUT): another "
                    "rank died, hung or stopped calling collectives")
            # NOTE: spin briefly (lowest latency when the peers are nearly there), then yield
            # the core, then sleep in short naps: a rank that keeps spinning takes the CPU
            # from the very rank it waits for whenever ranks (or other jobs) share cores.
            if waited > self.spin:
                time.sleep(0 if waited < 10 * self.spin + 1e-3 else 5e-5)

    def abort(self, message):
        """Print ``message`` naming this rank on stderr and end every rank of the job."""
        message = message.rstrip(".")
        sys.stderr.write(f"tapeflow.distribute: rank {self.rank} of {self.size}: {message}. "
                         "Aborting the MPI job.\n")
        sys.stderr.flush()
        sys.stdout.flush()
        # NOTE: the launcher forwards output through pipes and kills every rank on Abort;
        # a moment's pause lets it forward this rank's traceback first
        time.sleep(0.5)
        self.comm.Abort(1)

    # -- primitives ----------------------------------------------------------------------
    def allreduce_inplace(self, buf, what="allreduce"):
        """Sum the contiguous NumPy array ``buf`` across ranks, in place."""
        t0 = time.perf_counter()
        req = self.comm.Iallreduce(self.MPI.IN_PLACE, buf, op=self.MPI.SUM)
        self._wait(req, what)
        self.seconds += time.perf_counter() - t0
        self.calls += 1
        return buf

    def bcast_inplace(self, buf, root=0, what="broadcast"):
        req = self.comm.Ibcast(buf, root=root)
        self._wait(req, what)
        return buf

    def barrier(self, what="barrier"):
        self._wait(self.comm.Ibarrier(), what)

    def bcast_bytes(self, data, root=0):
        """Broadcast a bytes object from ``root`` (length first, then the bytes)."""
        n = np.array([len(data) if self.rank == root else 0], np.int64)
        self.bcast_inplace(n, root)
        buf = np.frombuffer(data, np.uint8).copy() if self.rank == root else \
            np.empty(int(n[0]), np.uint8)
        self.bcast_inplace(buf, root)
        return buf.tobytes()

    def allgather_bytes(self, data, what="allgather"):
        """Every rank's ``data`` (bytes), in rank order: the lengths first, then the bytes
        padded to the longest, each rank writing its own row of one allreduce."""
        lengths = np.zeros(self.size, np.int64)
        lengths[self.rank] = len(data)
        self.allreduce_inplace(lengths, what)
        rows = np.zeros((self.size, int(lengths.max())), np.uint8)
        rows[self.rank, :len(data)] = np.frombuffer(data, np.uint8)
        self.allreduce_inplace(rows, what)
        return [rows[r, :int(lengths[r])].tobytes() for r in range(self.size)]

    # -- arrays of any shape, bucketed ---------------------------------------------------
    def allreduce_arrays(self, arrays, scale=None, what="gradient allreduce"):
        """Sum a list of arrays across ranks (each first multiplied by ``scale``).

        Arrays are grouped by dtype and packed into buckets of about ``BUCKET_ELEMENTS``; a
        bucket is one ``Iallreduce`` on a host buffer (device arrays are staged through the
        host). Returns arrays with the input shapes and dtypes: host results are views into
        the step's own bucket (one allocation per bucket, no copy back), device results are
        copied back to the device.
        """
        out = [None] * len(arrays)
        for bucket in _buckets(arrays):
            dtype = arrays[bucket[0]].dtype
            total = sum(int(arrays[i].size) for i in bucket)
            # NOTE: a fresh buffer per step, not a reused one: the results are views into it
            buf = np.empty(total, dtype)
            pos = 0
            for i in bucket:
                a = arrays[i]
                n = int(a.size)
                part = buf[pos:pos + n]
                host = to_host(a).reshape(-1)
                if scale is None:
                    part[...] = host
                else:
                    np.multiply(host, scale, out=part, casting="unsafe")
                pos += n
            self.allreduce_inplace(buf, what)
            pos = 0
            for i in bucket:
                a = arrays[i]
                n = int(a.size)
                piece = buf[pos:pos + n].reshape(a.shape)
                xp = xp_of(a)
                out[i] = piece if xp is np else xp.asarray(piece)
                pos += n
        return out

    def broadcast_arrays(self, arrays, root=0):
        """Rank ``root``'s values of a list of arrays, on every rank (one buffer per dtype)."""
        out = list(arrays)
        for bucket in _buckets(arrays):
            dtype = np.result_type(*[arrays[i].dtype for i in bucket])
            total = sum(int(arrays[i].size) for i in bucket)
            buf = np.empty(total, dtype)
            pos = 0
            for i in bucket:
                n = int(arrays[i].size)
                buf[pos:pos + n] = to_host(arrays[i]).reshape(-1)
                pos += n
            self.bcast_inplace(buf, root, "variable broadcast")
            pos = 0
            for i in bucket:
                a = arrays[i]
                n = int(a.size)
                piece = buf[pos:pos + n].reshape(a.shape).astype(a.dtype, copy=True)
                xp = xp_of(a)
                out[i] = piece if xp is np else xp.asarray(piece)
                pos += n
        return out


def _buckets(arrays):
    """Index lists: arrays of one dtype kind, in order, up to ``BUCKET_ELEMENTS`` each."""
    groups = {}
    for i, a in enumerate(arrays):
        groups.setdefault(np.dtype(a.dtype).str, []).append(i)
    out = []
    for idx in groups.values():
        current, size = [], 0
        for i in idx:
            n = int(arrays[i].size)
            if current and size + n > BUCKET_ELEMENTS:
                out.append(current)
                current, size = [], 0
            current.append(i)
            size += n
        if current:
            out.append(current)
    return out


_hook_lock = threading.Lock()
_hooked = []


def install_abort_hook(collective):
    """On an uncaught exception, print it and abort every rank instead of leaving the other
    ranks blocked in their next collective."""
    with _hook_lock:
        if _hooked:
            return
        _hooked.append(collective)
    previous = sys.excepthook

    def hook(kind, value, tb):
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, value, tb)
        else:
            traceback.print_exception(kind, value, tb)
        collective.abort(f"uncaught {kind.__name__}: {value}")

    sys.excepthook = hook

    def at_exit():
        # a rank leaving while a fit is under way (sys.exit, even with status 0) would leave
        # the other ranks waiting in their next collective: end the whole job instead
        if _replicas_busy():
            collective.abort("exited while Model.fit was still running on the other ranks")

    atexit.register(at_exit)


def _replicas_busy():
    from . import _hooks  # deferred: only read at exit, and _hooks loads with fit

    return _hooks.fit_active[0] > 0
