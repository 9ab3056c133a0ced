"""``tf.summary``: writers, the default writer and step, ``record_if``, and the summary ops.

Every summary is a TF 2 tensor summary: a ``Summary.Value`` with the tag, the plugin's
metadata (scalars, histograms, images, text, audio) and a tensor, so TensorBoard's own
readers and plugins show it. The writer, the step and the recording condition are
per-thread, as in TF.
"""
import contextlib
import os
import threading
import time

import numpy as np

from .. import errors
from ..tensor import constant
from ..variable import _name_scope_stack
from . import _encode, _events

NO_STEP = ("No step set. Please specify one either through the `step` argument or through "
           "tf.summary.experimental.set_step()")


class _State(threading.local):
    def __init__(self):
        self.writer = None
        self.step = None
        self.condition = True


_state = _State()


def _numpy(x):
    if callable(getattr(x, "numpy", None)):
        return np.asarray(x.numpy())
    return np.asarray(x)


def _dtype_name(array):
    from .. import dtypes  # deferred: only for an error message

    try:
        return dtypes.as_dtype(array.dtype).name
    except (TypeError, ValueError, KeyError):
        return str(array.dtype)


# -- writers -----------------------------------------------------------------------------------

class SummaryWriter:
    """The interface of every summary writer (``tf.summary.SummaryWriter``)."""

    def set_as_default(self, step=None):
        """Makes this the default writer for this thread, with ``step`` as the default step
        when given; it stays the default until another is set."""
        self._check_open()
        _state.writer = self
        if step is not None:
            _state.step = step

    def as_default(self, step=None):
        """Within the block this is the default writer (and ``step``, when given, the default
        step); both are restored, and this writer flushed, when the block ends."""
        self._check_open()
        return self._default(step)

    @contextlib.contextmanager
    def _default(self, step):
        old_writer, old_step = _state.writer, _state.step
        _state.writer = self
        if step is not None:
            _state.step = step
        try:
            yield self
        finally:
            self.flush()
            _state.writer = old_writer
            if step is not None:
                _state.step = old_step

    def init(self):
        """Nothing to do: the writer is ready when created."""

    def flush(self):
        """Writes the queued events to disk."""

    def close(self):
        """Flushes and closes the writer."""

    def _check_open(self):
        pass


class _FileSummaryWriter(SummaryWriter):
    """Writes to one event file in ``logdir`` (see ``create_file_writer``)."""

    def __init__(self, logdir, max_queue, flush_millis, filename_suffix):
        self._file = _events.EventFile(logdir, max_queue, flush_millis, filename_suffix)
        self.logdir = logdir

    def __repr__(self):
        return f"<tapeflow.summary SummaryWriter {self._file.path!r}>"

    def _check_open(self):
        if self._file.closed:
            raise RuntimeError(f"SummaryWriter {self!r} is already closed")

    def _write(self, tag, array, step, metadata):
        tb = _events.tensorboard()
        event = tb.event_pb2.Event(wall_time=time.time(), step=step)
        event.summary.value.add(tag=tag, metadata=metadata,
                                tensor=_events.tensor_proto(array))
        self._file.add(event)

    def _write_raw(self, summary, step):
        tb = _events.tensorboard()
        event = tb.event_pb2.Event(wall_time=time.time(), step=step)
        event.summary.ParseFromString(summary)
        self._file.add(event)

    def flush(self):
        self._file.flush()

    def close(self):
        self._file.close()

    def __del__(self):
        try:
            self._file.close()
        except Exception:  # interpreter shutdown: nothing left to tell
            pass


class _NoopSummaryWriter(SummaryWriter):
    """A writer that writes nothing: summaries under it return False."""

    @contextlib.contextmanager
    def as_default(self, step=None):
        old = _state.writer
        _state.writer = self
        try:
            yield self
        finally:
            _state.writer = old

    def set_as_default(self, step=None):
        _state.writer = self


def create_file_writer(logdir, max_queue=None, flush_millis=None, filename_suffix=None,
                       name=None, experimental_trackable=False, experimental_mesh=None):
    """A writer of one new TensorBoard event file in ``logdir`` (created if missing).

    Events are written when more than ``max_queue`` (default 10) wait, every
    ``flush_millis`` (default 120000) as events arrive, on ``flush()``, at the end of an
    ``as_default()`` block and on ``close()``. The file is named
    ``events.out.tfevents.<seconds>.<host>.<pid>.<n>`` plus ``filename_suffix``
    (default ``.v2``). Needs the ``tensorboard`` package (``pip install
    tapeflow[tensorboard]``)."""
    if logdir is None:
        raise ValueError("Argument `logdir` cannot be None")
    logdir = os.fspath(_numpy(logdir).item() if hasattr(logdir, "numpy") else logdir)
    if isinstance(logdir, bytes):
        logdir = logdir.decode()
    return _FileSummaryWriter(logdir, 10 if max_queue is None else int(max_queue),
                              120000 if flush_millis is None else int(flush_millis),
                              ".v2" if filename_suffix is None else str(filename_suffix))


def create_noop_writer():
    """A writer that records nothing (summaries return False under it)."""
    return _NoopSummaryWriter()


def flush(writer=None, name=None):
    """Flushes ``writer``, or the default writer; nothing without one."""
    writer = _state.writer if writer is None else writer
    if writer is not None:
        writer.flush()


# -- recording condition and step --------------------------------------------------------------

@contextlib.contextmanager
def record_if(condition):
    """Within the block, summaries are recorded only while ``condition`` (a bool, a boolean
    tensor or a function returning one, called at each summary) holds."""
    old = _state.condition
    _state.condition = condition
    try:
        yield
    finally:
        _state.condition = old


def _recording():
    writer = _state.writer
    if writer is None or isinstance(writer, _NoopSummaryWriter):
        return False
    cond = _state.condition
    if callable(cond):
        cond = cond()
    return bool(_numpy(cond))


def should_record_summaries():
    """A boolean tensor: whether a summary written now would be recorded (a default writer
    is set and the ``record_if`` condition holds)."""
    return constant(_recording())


def set_step(step):
    """Sets the default step of the summary ops (``tf.summary.experimental.set_step``); an
    ``int``, an integer tensor or variable (read when each summary is written) or None."""
    _state.step = step


def get_step():
    """The default step set by ``set_step`` or ``as_default(step=...)``, or None."""
    return _state.step


def _step_value(step):
    if step is None:
        step = _state.step
        if step is None:
            raise ValueError(NO_STEP)
    value = _numpy(step)
    if value.ndim or value.dtype.kind not in "iu":
        raise TypeError(f"Cannot convert {step!r} to EagerTensor of dtype int64")
    return int(value)


def _tag(name):
    return "/".join(_name_scope_stack) + "/" + name if _name_scope_stack else name


def _metadata(plugin, description=None, **kwargs):
    module = getattr(_events.tensorboard(), plugin)
    return module.create_summary_metadata(display_name=None, description=description or "",
                                          **kwargs)


def write(tag, tensor, step=None, metadata=None, name=None):
    """Writes ``tensor`` (or the result of calling it, when it is a function) under ``tag``
    with ``metadata`` (a ``SummaryMetadata`` proto or its bytes); returns a boolean tensor,
    True when it was written."""
    return constant(_write(tag, tensor, step, metadata))


def _write(tag, tensor, step, metadata):
    if not _recording():
        return False
    step = _step_value(step)
    tb = _events.tensorboard()
    if callable(metadata):  # the summary ops' plugin metadata, made only when recording
        metadata = metadata()
    if metadata is None:
        metadata = tb.summary_pb2.SummaryMetadata()
    elif isinstance(metadata, (bytes, bytearray)):
        metadata = tb.summary_pb2.SummaryMetadata.FromString(bytes(metadata))
    array = tensor() if callable(tensor) else tensor
    _state.writer._write(tag, _numpy(array), step, metadata)
    return True


def write_raw_pb(tensor, step=None, name=None):
    """Writes serialized ``Summary`` protos (bytes, or a list of them) as they are."""
    if not _recording():
        return constant(False)
    step = _step_value(step)
    protos = _numpy(tensor).ravel().tolist() if not isinstance(tensor, bytes) else [tensor]
    for proto in protos:
        _state.writer._write_raw(proto if isinstance(proto, bytes) else proto.encode(), step)
    return constant(True)


@contextlib.contextmanager
def summary_scope(name, default_name=None, values=None):
    """Yields ``(tag, scope)`` for a summary named ``name`` (or ``default_name``) inside the
    current name scope, and opens that scope for the block."""
    name = name or default_name
    tag = _tag(name)
    _name_scope_stack.append(name)
    try:
        yield tag, "/".join(_name_scope_stack) + "/"
    finally:
        _name_scope_stack.pop()


# -- the summary ops ---------------------------------------------------------------------------

def scalar(name, data, step=None, description=None):
    """Writes a scalar (stored as float32) for TensorBoard's scalars dashboard; returns a
    boolean tensor, True when it was written."""
    value = _numpy(data)
    if value.shape:
        raise ValueError(f"Expected scalar shape, saw shape: {tuple(value.shape)}.")
    if value.dtype.kind in "USO":
        raise errors.UnimplementedError(None, "Cast", "Cast string to float is not supported "
                                                      "[Op:Cast]")
    if not _recording():
        return constant(False)
    return constant(_write(_tag(name), value.astype(np.float32), step,
                           lambda: _metadata("scalar", description)))


def histogram(name, data, step=None, buckets=None, description=None):
    """Writes the histogram of ``data`` (any shape, flattened) in ``buckets`` equal-width
    buckets (default 30) as TensorBoard's ``[k, 3]`` float64 tensor of left edge, right edge
    and count; returns a boolean tensor, True when it was written."""
    return constant(_write(_tag(name),
                           lambda: _encode.histogram_buckets(_numpy(data), buckets), step,
                           lambda: _metadata("histogram", description)))


def image(name, data, step=None, max_outputs=3, description=None):
    """Writes up to ``max_outputs`` images of a ``[k, h, w, c]`` batch (c = 1 to 4; uint8,
    or floats in [0, 1]) as PNG; returns a boolean tensor, True when it was written."""
    def encode():
        arr = _numpy(data)
        _encode.check_rank(arr, 4)
        _encode.check_channels(arr)
        if max_outputs < 0:
            raise errors._invalid("AssertGreaterEqual", f"max_outputs must be non-negative, "
                                                       f"got {max_outputs}")
        pixels = _encode.to_uint8(arr[:max_outputs])
        dims = [str(arr.shape[2]), str(arr.shape[1])]  # width, height
        return np.array([d.encode() for d in dims] + [_encode.png(p) for p in pixels],
                        dtype=object)

    return constant(_write(_tag(name), encode, step, lambda: _metadata("image", description)))


def text(name, data, step=None, description=None):
    """Writes a string, or a 1-D or 2-D array of strings (shown as a table), for
    TensorBoard's text dashboard (Markdown); returns a boolean tensor."""
    arr = _numpy(data)
    if arr.dtype.kind not in "USO":
        raise TypeError(f"tensor must be of type tf.string; got tf.{_dtype_name(arr)}")
    return constant(_write(_tag(name), arr, step, lambda: _metadata("text", description)))


def audio(name, data, sample_rate, step=None, max_outputs=3, encoding=None, description=None):
    """Writes up to ``max_outputs`` clips of a ``[k, t, c]`` float batch in [-1, 1] as 16-bit
    WAV at ``sample_rate`` Hz; returns a boolean tensor, True when it was written."""
    if encoding not in (None, "wav"):
        raise ValueError(f"Unknown encoding: {encoding!r}")
    tb = _events.tensorboard() if _recording() else None

    def encode():
        arr = _numpy(data)
        _encode.check_rank(arr, 3)
        if arr.dtype.kind != "f":
            raise errors._invalid("EncodeWav", "cannot compute EncodeWav as input #0(zero-based) "
                                 "was expected to be a float tensor but is a "
                                 f"{_dtype_name(arr)} tensor")
        rate = float(_numpy(sample_rate))
        clips = [_encode.wav(clip, rate) for clip in arr[:max_outputs]]
        return np.array([[c, b""] for c in clips], dtype=object).reshape(len(clips), 2)

    if tb is None:
        return constant(False)
    metadata = _metadata("audio", description, encoding=tb.audio.Encoding.Value("WAV"))
    return constant(_write(_tag(name), encode, step, metadata))


def _no_graphs(what, does):
    def unsupported(*args, **kwargs):
        raise NotImplementedError(f"tf.summary.{what}: tapeflow runs eagerly and builds no TF "
                                  "graph, so there is no graph or profile to write")

    unsupported.__name__ = what
    unsupported.__doc__ = (f"TF's ``tf.summary.{what}`` {does}; tapeflow runs eagerly, builds "
                           "no graph and raises NotImplementedError.")
    return unsupported


graph = _no_graphs("graph", "writes a TF graph's structure to the default writer")
trace_on = _no_graphs("trace_on", "starts recording a graph (and profiler) trace")
trace_off = _no_graphs("trace_off", "stops the trace and discards it")
trace_export = _no_graphs("trace_export", "stops the trace and writes it to the default writer")
