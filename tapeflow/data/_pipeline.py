"""Iteration machinery shared by the datasets: blocks, stacking, background producers, errors."""
import queue
import threading

from .. import errors
from ..backend import host as np

_END = object()


def block_len(block):
    return block[0].shape[0] if block else 0


def rows(block):
    """The elements (flat lists of arrays) of one block, in order."""
    n = block_len(block)
    if len(block) == 1:
        c = block[0]
        for i in range(n):
            yield [c[i, ...]]
    else:
        for i in range(n):
            yield [c[i, ...] for c in block]


def stack(elements, start=0):
    """One block from a list of elements; TF's error when their shapes differ."""
    first = elements[0]
    out = []
    for k in range(len(first)):
        comps = [e[k] for e in elements]
        shape = comps[0].shape
        for j, c in enumerate(comps):
            if c.shape != shape:
                raise errors.InvalidArgumentError(
                    None, "IteratorGetNext",
                    f"Cannot batch tensors with different shapes in component {k}. First "
                    f"element had shape {list(shape)} and element {j} had shape "
                    f"{list(c.shape)}. (batch starting at element {start}; use padded_batch "
                    "for ragged elements)")
        out.append(np.stack(comps))
    return out


def concat_blocks(blocks):
    if len(blocks) == 1:
        return blocks[0]
    out = []
    for k in range(len(blocks[0])):
        parts = [b[k] for b in blocks]
        shape = parts[0].shape[1:]
        for p in parts:
            if p.shape[1:] != shape:
                raise errors.InvalidArgumentError(
                    None, "IteratorGetNext",
                    f"Cannot batch tensors with different shapes in component {k}. First "
                    f"element had shape {list(shape)} and another had shape {list(p.shape[1:])}.")
        out.append(np.concatenate(parts))
    return out


def rechunk(blocks, size, drop_remainder=False):
    """Blocks of exactly ``size`` rows (the last may be shorter) from blocks of any size."""
    pending = []
    have = 0
    for b in blocks:
        n = block_len(b)
        if n == 0:
            continue
        if not pending and n == size:
            yield b
            continue
        pending.append(b)
        have += n
        while have >= size:
            whole = concat_blocks(pending)
            yield [c[:size] for c in whole]
            rest = [c[size:] for c in whole]
            have -= size
            pending = [rest] if have else []
    if pending and not drop_remainder:
        yield concat_blocks(pending)


def blocks_from_elements(elements, size, drop_remainder=False):
    buf = []
    count = 0
    for e in elements:
        buf.append(e)
        if len(buf) == size:
            yield stack(buf, count)
            count += size
            buf = []
    if buf and not drop_remainder:
        yield stack(buf, count)


def with_position(exc, where, position):
    """``exc`` re-made with a message naming the function and the element position."""
    msg = f"Error in the function passed to {where} on element {position}: {exc}"
    try:
        if isinstance(exc, errors.OpError):
            new = type(exc)(exc.node_def, exc.op, msg)
        elif isinstance(exc, (KeyError,)):
            new = KeyError(msg)
        else:
            new = type(exc)(msg)
    except Exception:  # an exception type with an unusual constructor: keep it, add a note
        exc.add_note(msg)
        return exc
    return new


# -- background producer --------------------------------------------------------------------------
def _producer(make_iter, q, stop):
    """Thread body: fill ``q`` from ``make_iter()`` until exhausted, failed or told to stop."""

    def put(item):
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
                return True
            except queue.Full:
                pass
        return False

    try:
        it = make_iter()
        try:
            for item in it:
                if not put((0, item)):
                    return
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()
        put((2, None))
    except BaseException as e:  # handed to the consumer, which re-raises it
        put((1, e))


def background(make_iter, buffer_size, name="tapeflow.data.prefetch"):
    """Iterate ``make_iter()`` in a daemon thread that runs at most ``buffer_size`` ahead.

    The thread stops when the returned generator is exhausted, raises, or is closed or dropped
    (CPython closes a dropped generator at once, which runs the ``finally`` below).
    """
    q = queue.Queue(maxsize=max(1, int(buffer_size)))
    stop = threading.Event()
    t = threading.Thread(target=_producer, args=(make_iter, q, stop), name=name, daemon=True)
    t.start()
    try:
        while True:
            kind, item = q.get()
            if kind == 0:
                yield item
            elif kind == 1:
                raise item
            else:
                return
    finally:
        stop.set()
        if t is not threading.current_thread():
            t.join(timeout=5.0)
