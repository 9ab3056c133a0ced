"""Replay of TF 2.21's recorded outcomes: ``load_recorded``/``check_recorded`` for any
``tests/fixtures/*_cases.py`` file (test_extra_ops.py, test_toplevel_more.py), and
``check_case`` for tests/fixtures/tf_more_ops_cases.py (test_special_ops.py, test_nn_more.py,
test_random_more.py and test_debugging_config.py)."""
import json
from pathlib import Path

import numpy as np

from tests.fixtures.tf_behaviour_cases import outcome
from tests.fixtures.tf_more_ops_cases import CASES


def load_recorded(filename):
    """The recorded outcomes (name -> outcome) in ``tests/fixtures/<filename>``."""
    return json.loads((Path(__file__).parent / "fixtures" / filename).read_text())["cases"]


def every_case_recorded(recorded, cases):
    """Whether ``recorded`` holds exactly the names of ``cases``."""
    return sorted(recorded) == sorted(name for name, _ in cases)


def check_recorded(tf, recorded, name, fn, same):
    """Assert tapeflow's outcome of case ``name`` is the recorded one: an error exactly, else
    values as ``same(got, want)`` asserts."""
    want, got = recorded[name], outcome(tf, fn)
    if "error" in want or "error" in got:
        assert got == want
    else:
        same(got, want)


RECORDED = load_recorded("tf_more_ops_2_21.json")

# Where tapeflow deliberately differs from TF 2.21 (name: reason); the test asserts TF's
# recorded outcome is what the reason says, so a re-recording that changes it is noticed.
DEVIATIONS = {
    "math_approx_min_k": ("NotFoundError", "TF's CPU build has no ApproxTopK kernel for "
                                           "min-k; tapeflow computes it exactly"),
}


def cases(*prefixes):
    """The (name, fn) cases whose names start with one of ``prefixes``."""
    return [(n, f) for n, f in CASES if n.startswith(prefixes)]


def _close(got, want, rtol, rtol32, atol):
    if "items" in want:
        assert len(got["items"]) == len(want["items"])
        for g, w in zip(got["items"], want["items"]):
            _close(g, w, rtol, rtol32, atol)
        return
    assert {k: v for k, v in got.items() if k != "values"} == \
        {k: v for k, v in want.items() if k != "values"}
    if want.get("values") is not None:
        tol = {"float16": 1e-3, "float32": rtol32}.get(want["dtype"], rtol)
        np.testing.assert_allclose(np.asarray(got["values"], float),
                                   np.asarray(want["values"], float), rtol=tol, atol=atol)


def check_case(tf, name, fn, rtol=1e-11, rtol32=2e-6, atol=1e-12):
    """Assert tapeflow's outcome of case ``name`` is TF's (float64 values to ``rtol``, float32
    ones to ``rtol32``, both with ``atol``)."""
    if name in DEVIATIONS:
        want, got = RECORDED[name], outcome(tf, fn)
        assert want == {"error": DEVIATIONS[name][0]}
        assert "error" not in got
        return
    check_recorded(tf, RECORDED, name, fn,
                   lambda got, want: _close(got, want, rtol, rtol32, atol))


def all_recorded():
    """Whether every tf_more_ops case was recorded (and nothing else)."""
    return every_case_recorded(RECORDED, CASES)
