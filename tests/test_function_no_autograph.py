"""Python on traced tensors in ``tf.function(autograph=False)`` raises TF's errors (recorded from
TF 2.21 in tests/fixtures/function_no_autograph_cases.py); with AutoGraph the same code runs."""
import json
from pathlib import Path

import pytest

import tapeflow as tf
from tests.fixtures.function_no_autograph_cases import CASES
from tests.fixtures.function_semantics_cases import recorded
from tests.test_function_semantics import check_recorded

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "function_no_autograph_2_21.json")
                      .read_text())["cases"]


def test_every_case_was_recorded():
    assert sorted(RECORDED) == sorted(name for name, _ in CASES)


@pytest.mark.parametrize("name,fn", CASES, ids=[n for n, _ in CASES])
def test_matches_tensorflow(name, fn):
    check_recorded(RECORDED[name], recorded(tf, fn), lambda want, got: got == want)


def test_the_error_class_is_tfs():
    assert issubclass(tf.errors.OperatorNotAllowedInGraphError, TypeError)

    @tf.function(autograph=False)
    def f(x):
        return x if x > 0 else -x

    with pytest.raises(tf.errors.OperatorNotAllowedInGraphError, match="as a Python `bool`"):
        f(tf.constant(1.0))
    assert f.experimental_get_tracing_count() == 0  # as in TF: a trace that raised counts not
    with pytest.raises(tf.errors.OperatorNotAllowedInGraphError):  # the next call too
        f(tf.constant(-1.0))
    assert f.experimental_get_tracing_count() == 0


def test_a_trace_that_raises_is_not_counted():
    @tf.function
    def f(x):
        if x.shape[0] > 1:
            raise ValueError("too long")
        return x * 2.0

    for _ in range(2):
        with pytest.raises(ValueError, match="too long"):
            f(tf.constant([1.0, 2.0]))
    assert f.experimental_get_tracing_count() == 0  # TF 2.21 gives 0 and 0
    assert f(tf.constant([3.0])).numpy().tolist() == [6.0]
    assert f.experimental_get_tracing_count() == 1
