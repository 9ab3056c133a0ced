"""One list of active recorders (``_recording``: gradient tapes and tf.function traces, one
push and pop, the calling thread's trace) and the variable type registered with the recording
core (``ops/_core.register_variable_type``)."""
import threading

import pytest

import tapeflow as tf
from tapeflow import _recording
from tapeflow.ops import _core


# -- one list of recorders --------------------------------------------------------------------
def test_tapes_and_traces_share_one_list():
    seen = {}

    @tf.function
    def f(x):
        trace = _recording.trace_here()
        seen["trace"] = list(_recording.recording) == [trace] and trace._is_trace
        with tf.GradientTape() as tape:
            seen["both"] = _recording.recording[-2:] == [trace, tape]
            seen["innermost trace"] = _recording.trace_here() is trace
        seen["after tape"] = list(_recording.recording) == [trace]
        return x + 1.0

    assert not _recording.recording and _recording.trace_here() is None
    f(tf.constant(1.0))
    assert seen == {"trace": True, "both": True, "innermost trace": True, "after tape": True}
    assert not _recording.recording
    with tf.GradientTape() as tape:
        assert _recording.recording == [tape] and _recording.trace_here() is None
        with tape.stop_recording():
            assert not _recording.recording
        assert _recording.recording == [tape]
    assert not _recording.recording


def test_pop_takes_the_innermost_entry_and_reports_absence():
    class R:
        _is_trace, _thread = False, threading.get_ident()

    a, b = R(), R()
    _recording.push(a, b, a)
    try:
        assert _recording.pop(a) and _recording.recording == [a, b]
        assert _recording.active_here()
    finally:
        saved = _recording.pop_here()
    assert saved == [a, b] and not _recording.recording and not _recording.pop(a)
    assert not _recording.active_here()


def test_pop_here_leaves_other_threads_recording():
    class R:
        _is_trace = False

        def __init__(self, thread):
            self._thread = thread

    mine, other = R(threading.get_ident()), R(-1)
    _recording.push(other, mine)
    try:
        assert _recording.pop_here() == [mine] and _recording.recording == [other]
        _recording.push(mine)
        assert _recording.recording == [other, mine]
    finally:
        _recording.pop(mine)
        _recording.pop(other)
    assert not _recording.recording


def test_a_conversion_reaches_the_trace_of_its_own_thread():
    # thread A traces f and waits while this thread traces g; A's trace is then not the
    # last one pushed, and A's .numpy() on a traced value must still make f run eagerly
    a_tracing, g_tracing, a_done = threading.Event(), threading.Event(), threading.Event()
    result = {}

    @tf.function
    def f(x):
        a_tracing.set()
        assert g_tracing.wait(10)
        y = x * 2.0
        result["value"] = y.numpy()  # converts a traced tensor: f must run eagerly
        a_done.set()
        return y

    @tf.function
    def g(x):
        assert a_tracing.wait(10)
        g_tracing.set()
        assert a_done.wait(10)
        return x + 1.0

    th = threading.Thread(target=lambda: result.setdefault("f", f(tf.constant(1.0))))
    th.start()
    assert g(tf.constant(1.0)).numpy() == 2.0
    th.join(10)
    assert result["f"].numpy() == 2.0 and result["value"] == 2.0
    assert "numpy()" in f.get_concrete_function(tf.constant(1.0)).eager_reason
    assert g.get_concrete_function(tf.constant(1.0)).eager_reason is None


# -- the variable type is registered with the recording core -----------------------------------
def test_variable_type_is_registered_once():
    assert _core.VariableType is tf.Variable
    assert _core.register_variable_type(tf.Variable) is tf.Variable  # again: no change

    class Other(tf.Variable):
        pass

    with pytest.raises(TypeError, match="registered already"):
        _core.register_variable_type(Other)
    assert _core.VariableType is tf.Variable
