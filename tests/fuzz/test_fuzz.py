"""The fault-injection fuzzer (tests/fuzz/fuzz_files.py) at a short, seeded budget: mutated
and malicious files of every format give a clear error or the original weights, never a hang,
a crash, other weights or code run; killed saves leave a loadable target and at most one
temporary file. ``make fuzz`` runs it at length."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fuzz_files

pytest.importorskip("h5py", reason="h5py (the [h5] extra) is not installed")
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the fuzzer forks (POSIX)")


def test_mutated_and_malicious_files_fail_clearly():
    counts, failures = fuzz_files.fuzz(cases=200, seed=2, timeout=40.0)
    assert not failures, "\n".join(map(str, failures))
    assert counts.get("clear", 0) > 150  # the mutations do reach the readers' checks


def test_every_cve_class_is_refused_without_running_code():
    counts, failures = fuzz_files.fuzz(cases=len(fuzz_files.MALICIOUS), seed=5, timeout=40.0,
                                       malicious_only=True)
    assert not failures, "\n".join(map(str, failures))
    # refused with a clear error, or (a malicious entry that is ignored, e.g. a registered_name
    # beside a known class) loaded as the original model; never run
    assert sum(counts.values()) == len(fuzz_files.MALICIOUS)
    assert counts.get("clear", 0) >= len(fuzz_files.MALICIOUS) - 2


def test_killed_saves_leave_a_loadable_target():
    done, failures = fuzz_files.kill_trials(5, seed=3)
    assert done == 5 and not failures, failures
