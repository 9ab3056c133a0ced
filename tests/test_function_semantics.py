"""tf.function's check for variables created on every call and its pruning of ops whose
result nothing needs, against TF 2.21's recorded outcomes and messages
(tests/fixtures/function_semantics_cases.py), plus what those cases cannot record (tf.print
output, the cost of the check)."""
import contextlib
import io
import json
import re
from pathlib import Path

import pytest

import tapeflow as tf
from tests.fixtures.function_semantics_cases import CASES, recorded
from tests.test_tf_behaviour import _same

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "function_semantics_2_21.json")
                      .read_text())["cases"]


def _core(message):
    """The part of TF's message that does not name TF's graph: the text after "ValueError: "
    of an "in user code" error, or the kernel's line of a "Graph execution error"."""
    m = re.search(r"ValueError: (.*)", message)
    if m:
        return m.group(1).strip()
    lines = [ln for ln in message.splitlines() if ln.strip() and "[[" not in ln]
    return re.sub(r"^\{\{function_node [^}]*\}\} ", "", lines[-1]).strip()


def test_every_case_was_recorded():
    assert sorted(RECORDED) == sorted(name for name, _ in CASES)


# cases whose error message inside tf.function differs from TF's (the class matches)
MESSAGE_DIFFERS = {
    # TF's graph-mode Assert prints "assertion failed: [Condition x == y did not hold
    # element-wise:] [x (x:0) = ] [1 2] ..."; tapeflow gives the eager assert's text
    "assert_unused",
}


@pytest.mark.filterwarnings("ignore:invalid value encountered in log")  # check_numerics's NaN
@pytest.mark.parametrize("name,fn", CASES, ids=[n for n, _ in CASES])
def test_matches_tensorflow(name, fn):
    check_recorded(RECORDED[name], recorded(tf, fn),
                   None if name in MESSAGE_DIFFERS else lambda want, got: _core(want) in got)


def check_recorded(want, got, message_matches):
    """``got`` (tapeflow's ``recorded`` outcome) against TF's ``want``: the same value, or the
    same error class with ``message_matches(tf_message, message)`` (None: class only)."""
    want, got = dict(want), dict(got)
    want_msg, got_msg = want.pop("message", None), got.pop("message", None)
    if "error" in want or "error" in got:
        assert got == want
        if message_matches is not None:
            assert message_matches(want_msg, got_msg), (want_msg, got_msg)
    else:
        _same(got, want)


def _stderr_of(fn):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        fn()
    return err.getvalue()


def test_effects_of_the_first_call_happen_once():
    """The checking trace runs the body again with variable updates undone and tf.print
    silent: the call's effects are those of one run."""
    class Counter(tf.Module):
        def __init__(self):
            super().__init__()
            self.v = None

        @tf.function
        def __call__(self, x):
            if self.v is None:
                self.v = tf.Variable(0.0)
            self.v.assign_add(x)
            tf.print("step", self.v)
            return self.v * 1.0

    m = Counter()
    out = []
    # TF 2.21 prints "step 2" on the first call (traced twice) and "step 4" on the second
    assert _stderr_of(lambda: [out.append(m(tf.constant(2.0))) for _ in range(2)]) == \
        "step 2\nstep 4\n"
    assert [float(t) for t in out] == [2.0, 4.0] and float(m.v) == 4.0


def test_the_check_does_not_move_random_streams():
    tf.random.set_seed(1)
    eager = [tf.random.uniform([2]).numpy().tolist() for _ in range(2)]

    class Noisy(tf.Module):
        def __init__(self):
            super().__init__()
            self.v = None

        @tf.function
        def __call__(self):
            if self.v is None:
                self.v = tf.Variable(1.0)
            return tf.random.uniform([2]) * self.v

    tf.random.set_seed(1)
    m = Noisy()
    assert m().numpy().tolist() == eager[0]


def test_only_traces_that_create_variables_are_checked():
    runs = []
    v = tf.Variable(1.0)

    @tf.function
    def f(x):
        runs.append(1)
        return x * v

    f(tf.constant(1.0))
    assert len(runs) == 1 and f.experimental_get_tracing_count() == 1


def test_a_failing_first_call_prints_nothing_and_raises_tfs_error():
    @tf.function
    def f(x):
        tf.print("ran", x)
        return x * tf.Variable(1.0)

    # TF 2.21: the ValueError, and no "ran" (its graph never runs)
    with pytest.raises(ValueError, match="only supports singleton tf.Variables"):
        assert _stderr_of(lambda: f(tf.constant(1.0))) == ""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(ValueError):
        f(tf.constant(1.0))
    assert err.getvalue() == ""
    with pytest.raises(ValueError, match="only supports singleton tf.Variables"):
        f(tf.constant(1.0))  # and on the next call too, as TF


def test_unused_failed_op_is_pruned_from_the_plan():
    f = tf.function(lambda x: (tf.gather(x, [10]), x * 2.0)[1])
    assert f(tf.constant([1.0, 2.0])).numpy().tolist() == [2.0, 4.0]
    c = f.get_concrete_function(tf.constant([1.0, 2.0]))
    assert [o.type for o in c.graph.get_operations()] == ["Placeholder", "Mul", "Identity"]
    assert f(tf.constant([3.0, 4.0])).numpy().tolist() == [6.0, 8.0]


def test_a_value_error_still_raises_eagerly():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[0\] = 10 is not in"):
        tf.gather(tf.constant([1.0, 2.0]), [10])


def test_the_tracing_calls_prints_come_after_its_python(capsys):
    """TF runs a function's graph after tracing it: on the tracing call, Python's print
    (trace time) shows before tf.print; a traced loop prints each iteration in order."""
    @tf.function
    def f(n):
        print("trace")
        tf.print("before")
        for i in tf.range(n):
            tf.print("it", i)
        print("traced")
        return n

    f(tf.constant(3))
    out = capsys.readouterr()
    assert out.out == "trace\ntraced\n"
    assert out.err == "before\nit 0\nit 1\nit 2\n"
    f(tf.constant(2))
    assert capsys.readouterr().err == "before\nit 0\nit 1\n"
