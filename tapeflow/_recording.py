"""Who is recording now: the one list of active recorders, ``GradientTape``s and
``tf.function`` traces alike, and the one way to push and pop them.

Every op checks ``recording`` (``ops/_core.py``: "is anyone recording?") with one global
lookup, so the list is mutated in place and never rebound; modules that test it import the
list itself. A recorder has two attributes the list's readers rely on:

* ``_thread``: the ``threading.get_ident()`` of the thread that opened it; recorders see
  only the work of that thread;
* ``_is_trace``: True for a ``tf.function`` trace (it sees every op, differentiable or
  not, and is told about conversions to Python values, tensors made outside recorded ops,
  variable creation and assignment through ``trace_here()``), False for a gradient tape.

Innermost last. This module sits below ``tensor.py``, the lowest layer that reads it.

Threads: several threads may record at once (two models trained in two threads). Changes
to the list go through ``push``/``pop``/``pop_here`` under one lock, and a reader that
walks the list walks a copy (``tuple(recording)``): a list iterator counts positions, so a
recorder that another thread removes meanwhile would make it skip one of this thread's.
No thread ever stops another thread's recorders.
"""
import threading
from threading import get_ident

recording = []
_lock = threading.Lock()


def push(*recorders):
    """Start ``recorders`` recording, innermost last."""
    with _lock:
        recording.extend(recorders)


def pop(recorder):
    """Stop ``recorder`` recording (its innermost entry); whether it was recording."""
    with _lock:
        for i in range(len(recording) - 1, -1, -1):
            if recording[i] is recorder:
                del recording[i]
                return True
    return False


def pop_here():
    """Stop the calling thread's recorders and return them (innermost last), for
    ``push(*saved)`` later; other threads' recorders go on recording."""
    tid = get_ident()
    with _lock:
        saved = [r for r in recording if r._thread == tid]
        if saved:
            recording[:] = [r for r in recording if r._thread != tid]
    return saved


def trace_here():
    """The innermost ``tf.function`` trace opened by the calling thread, or None."""
    tid = get_ident()
    for r in reversed(tuple(recording)):
        if r._is_trace and r._thread == tid:
            return r
    return None


def active_here():
    """Whether a tape or trace opened by the calling thread is recording."""
    if not recording:  # NOTE: the common case (a replayed tf.function, an op outside tapes)
        return False
    tid = get_ident()
    return any(r._thread == tid for r in tuple(recording))
