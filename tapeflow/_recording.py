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
"""
from threading import get_ident

recording = []


def push(*recorders):
    """Start ``recorders`` recording, innermost last."""
    recording.extend(recorders)


def pop(recorder):
    """Stop ``recorder`` recording (its innermost entry); whether it was recording."""
    for i in range(len(recording) - 1, -1, -1):
        if recording[i] is recorder:
            del recording[i]
            return True
    return False


def pop_all():
    """Stop every recorder (all threads) and return them, for ``push(*saved)`` later."""
    saved = list(recording)
    recording.clear()
    return saved


def trace_here():
    """The innermost ``tf.function`` trace opened by the calling thread, or None."""
    tid = get_ident()
    for i in range(len(recording) - 1, -1, -1):
        r = recording[i]
        if r._is_trace and r._thread == tid:
            return r
    return None


def active_here():
    """Whether a tape or trace opened by the calling thread is recording."""
    tid = get_ident()
    return any(r._thread == tid for r in recording)
