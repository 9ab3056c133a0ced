"""``tf.train.Coordinator``: stop a group of threads together and report the first error."""
import contextlib
import sys
import threading
import time

from ..errors import OutOfRangeError


class Coordinator:
    """Threads poll ``should_stop()``; any of them may ``request_stop(ex)``; the main thread
    ``join``s them and re-raises the first exception that was not a clean stop
    (``tf.errors.OutOfRangeError`` by default).

    >>> import tapeflow as tf
    >>> coord = tf.train.Coordinator()
    >>> with coord.stop_on_exception():
    ...     raise tf.errors.OutOfRangeError(None, None, "end of input")
    >>> coord.should_stop()
    True
    >>> coord.join()
    """

    def __init__(self, clean_stop_exception_types=None):
        if clean_stop_exception_types is None:
            clean_stop_exception_types = (OutOfRangeError,)
        self._clean_stop_exception_types = tuple(clean_stop_exception_types)
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._exc_info_to_raise = None
        self._joined = False
        self._registered_threads = set()

    def _filter_exception(self, ex):
        """``None`` for a clean stop, else the exception info to raise at ``join``."""
        if isinstance(ex, tuple):
            error = ex[1]
        else:
            error = ex
            ex = (type(ex), ex, ex.__traceback__)
        if isinstance(error, self._clean_stop_exception_types):
            return None
        return ex

    def should_stop(self):
        """Whether a stop was requested."""
        return self._stop_event.is_set()

    def request_stop(self, ex=None):
        """Ask the threads to stop. ``ex`` (an exception, or a ``sys.exc_info()`` tuple) is
        re-raised by ``join`` unless it is a clean stop; only the first one is kept."""
        with self._lock:
            if ex is not None and not isinstance(ex, tuple) and \
                    not isinstance(ex, BaseException):
                raise ValueError(f"ex must be a tuple or sys.exc_info must return the current "
                                 f"exception: {ex}")
            if ex is not None and self._exc_info_to_raise is None and \
                    not self._stop_event.is_set():
                self._exc_info_to_raise = self._filter_exception(ex)
            if self._joined and self._exc_info_to_raise is not None:
                _raise(self._exc_info_to_raise)
            self._stop_event.set()

    def clear_stop(self):
        """Forget the stop request and its exception (the coordinator can be reused)."""
        with self._lock:
            self._joined = False
            self._exc_info_to_raise = None
            self._stop_event.clear()

    @contextlib.contextmanager
    def stop_on_exception(self):
        """A context that turns an exception raised inside it into ``request_stop``."""
        try:
            yield
        except BaseException:  # every exception stops the group, as in TF
            self.request_stop(ex=sys.exc_info())

    def wait_for_stop(self, timeout=None):
        """Block until a stop is requested (or ``timeout`` seconds pass); True if stopped."""
        return self._stop_event.wait(timeout)

    def register_thread(self, thread):
        """Have ``join`` wait for ``thread`` too."""
        with self._lock:
            self._registered_threads.add(thread)

    def join(self, threads=None, stop_grace_period_secs=120, ignore_live_threads=False):
        """Wait until every thread has finished or a stop was requested, then give the
        threads ``stop_grace_period_secs`` to finish. Raises the requested exception, or
        ``RuntimeError`` naming the threads still running (unless ``ignore_live_threads``)."""
        with self._lock:
            threads = set(self._registered_threads) | set(threads or ())
        while any(t.is_alive() for t in threads) and not self.wait_for_stop(1.0):
            pass
        deadline = time.monotonic() + stop_grace_period_secs
        while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
            time.sleep(min(0.002, max(deadline - time.monotonic(), 0.0)))
        with self._lock:
            self._joined = True
            self._registered_threads = set()
            exc_info = self._exc_info_to_raise
        stragglers = [t.name for t in threads if t.is_alive()]
        if exc_info is not None:
            _raise(exc_info)
        if stragglers and not ignore_live_threads:
            raise RuntimeError("Coordinator stopped with threads still running: "
                               f"{' '.join(stragglers)}")

    @property
    def joined(self):
        return self._joined

    def raise_requested_exception(self):
        """Raise the exception given to ``request_stop``, if any."""
        with self._lock:
            if self._exc_info_to_raise is not None:
                _raise(self._exc_info_to_raise)


def _raise(exc_info):
    error = exc_info[1] if exc_info[1] is not None else exc_info[0]()
    raise error.with_traceback(exc_info[2])
