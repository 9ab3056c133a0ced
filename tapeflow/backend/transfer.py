"""Host-to-device copies that overlap with compute: ``fit`` and ``tf.data`` use them to have
the next batches on the GPU before the training step asks for them.

* ``copier(device)``: a function that copies a list of arrays to ``device``. On CuPy it
  stages each host array in pinned (page-locked) memory and copies it with an asynchronous
  copy on a side stream of its own (``_CupyStager``); on other device backends (the tests'
  stand-in) it is the backend's plain copy.
* ``ahead(items, copy, depth)``: ``copy(item)`` for every item of an iterator, done by a
  worker thread up to ``depth`` items ahead of the consumer. The iterator itself is advanced
  in the consumer's thread, so whatever it does (random draws, position bookkeeping) happens
  in the same thread and order as without the worker.

Nothing here runs while only the host exists: callers check ``backend.placement`` first.
"""
import queue
import threading

from . import device_of, generic, ndarray, to_host
from . import host as np
from .cuda import CupyBackend

_STOP = object()
THREAD_NAME = "tapeflow.transfer"


def copier(device):
    """A function taking a list of arrays and returning them on ``device`` (in the same
    order); arrays already there are returned as they are."""
    if device.backend is None:
        return lambda arrays: [to_host(a) for a in arrays]
    if isinstance(device.backend, CupyBackend):
        return _CupyStager(device.backend.xp, device).copy

    def plain(arrays):
        return [device.put(a) for a in arrays]

    return plain


class _CupyStager:
    """Pinned staging buffers and an asynchronous copy on a non-default stream.

    NOTE: the copy runs on a non-blocking stream so it can overlap with kernels on the
    legacy default stream, where tapeflow's ops run. Two hazards follow, both handled here:
    the consumer must not read a batch before its copy lands (the producer thread waits for
    its own stream before handing the batch over: the wait is in the worker, not in the
    training loop), and a pool block freed by the consumer must not be overwritten while a
    kernel queued earlier still reads it (the side stream first waits for an event recorded
    on the default stream, i.e. for the work queued so far).
    """

    def __init__(self, cp, device):
        self.cp = cp
        self.index = device.index
        self.device = device
        with cp.cuda.Device(self.index):
            self.stream = cp.cuda.Stream(non_blocking=True)

    def copy(self, arrays):
        cp = self.cp
        out = []
        staged = []  # pinned buffers, kept alive until the copies have landed
        with cp.cuda.Device(self.index):
            self.stream.wait_event(cp.cuda.Stream.null.record())
            with self.stream:
                for a in arrays:
                    if isinstance(a, (ndarray, generic)) and a.dtype.kind in "OSU":
                        out.append(a)  # strings stay on the host, as TF keeps them
                        continue
                    if not isinstance(a, (ndarray, generic)) or a.nbytes == 0:
                        out.append(self.device.put(a))  # device arrays, empty arrays
                        continue
                    a = np.asarray(a)  # (a NumPy scalar: a 0-d array)
                    mem = cp.cuda.alloc_pinned_memory(a.nbytes)
                    buf = np.frombuffer(mem, a.dtype, a.size).reshape(a.shape)
                    buf[...] = a  # any layout in, C order in the pinned buffer
                    d = cp.empty(a.shape, a.dtype)
                    d.set(buf, stream=self.stream)
                    staged.append(mem)
                    out.append(d)
            self.stream.synchronize()
        return out


def _worker(jobs, results, copy):
    """Thread body: ``copy`` each job until told to stop; errors go to the consumer."""
    while True:
        item = jobs.get()
        if item is _STOP:
            return
        try:
            results.put((True, copy(item)))
        except BaseException as e:  # re-raised in the consumer's thread
            results.put((False, e))


def ahead(items, copy, depth=2):
    """Yield ``copy(item)`` for each item of the iterator ``items``, in order, with a worker
    thread copying up to ``depth`` items ahead.

    ``items`` is advanced here, in the consumer's thread; an exception from it or from
    ``copy`` reaches the consumer unchanged (same object, same type). The worker stops when
    the generator is exhausted, raises, or is closed or dropped.
    """
    depth = max(1, int(depth))
    jobs, results = queue.SimpleQueue(), queue.SimpleQueue()
    t = threading.Thread(target=_worker, args=(jobs, results, copy), name=THREAD_NAME,
                         daemon=True)
    t.start()
    it = iter(items)
    pending = 0  # items handed to the worker and not yet yielded
    done = False
    error = None  # raised by ``items``: surfaces after the items before it, as without us
    try:
        while True:
            # keep ``depth`` copies queued or running behind the one handed out next
            while not done and pending <= depth:
                try:
                    item = next(it)
                except StopIteration:
                    done = True
                    break
                except Exception as e:  # re-raised in order below
                    done, error = True, e
                    break
                jobs.put(item)
                pending += 1
            if not pending:
                if error is not None:
                    raise error
                return
            ok, value = results.get()
            pending -= 1
            if not ok:
                raise value
            yield value
    finally:
        jobs.put(_STOP)
        if t is not threading.current_thread():
            t.join(timeout=5.0)
        close = getattr(it, "close", None)
        if close is not None:
            close()


def on_device(arrays, device):
    """True when every array of the list already sits on ``device``."""
    return all(device_of(a) is device for a in arrays)


__all__ = ["ahead", "copier", "on_device"]
