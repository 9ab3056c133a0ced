"""The benchmarks' shared measuring code (``benchmarks/_report.py``, ``run_all.py``): peak
memory read the same way in every script, the memory target rows, and the busy-machine
slowdown tables. The benchmarks themselves run with ``make bench``, not in the suite."""
import os
import subprocess
import sys

import pytest

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks")
sys.path.insert(0, BENCH)

import _report  # noqa: E402
import run_all  # noqa: E402


def test_rss_target_rows():
    assert _report.rss_target(100.0, 400.0) == ("peak RSS tapeflow / TF <= 0.5x", 0.25, True)
    label, r, met = _report.rss_target(300.0, 400.0, "import")
    assert label == "import <= 0.5x" and r == pytest.approx(0.75) and met is False
    assert _report.rss_target(None, 400.0)[1:] == (None, None)  # TF absent or a failed run
    assert _report.rss_target(100.0, None)[1:] == (None, None)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_peak_rss_of_a_wrapped_program(tmp_path):
    script = tmp_path / "big.py"
    script.write_text("import sys\nblock = bytearray(96 * 2**20)\nblock[::4096] = b'x' * "
                      "len(block[::4096])\nprint('ran', sys.argv[1:])\n")
    out = tmp_path / "peak.txt"
    p = subprocess.run([sys.executable, os.path.join(BENCH, "_report.py"), "--peak-rss-to",
                        str(out), str(script), "a", "b"], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    assert "ran ['a', 'b']" in p.stdout  # run as __main__ with its own arguments
    peak = _report.read_peak(str(out))
    assert 96 < peak < 96 + 200  # the 96 MiB it touched, plus an interpreter
    assert _report.read_peak(str(tmp_path / "missing.txt")) is None


def test_this_process_peak_is_at_least_what_it_holds():
    held = bytearray(32 * 2**20)
    held[::4096] = b"y" * len(held[::4096])
    assert _report.peak_rss_mib() >= 32


def _record(unit, rows, higher=False):
    return {"benchmark": "b", "title": "t", "unit": unit, "higher_is_better": higher,
            "rows": [{"workload": w, "values": v} for w, v in rows]}


def test_slowdowns_of_times_and_rates():
    idle = _record("s", [("1 tensors", {"tapeflow": 1.0, "TF": 4.0}),
                         ("tapeflow fit", {"samples/s": 100.0, "ms/step": 10.0})])
    busy = _record("s", [("1 tensors", {"tapeflow": 1.5, "TF": 4.4}),
                         ("tapeflow fit", {"samples/s": 50.0, "ms/step": 20.0})])
    text, worst, tf_median = run_all.slowdowns(idle, busy)
    assert worst == pytest.approx(2.0)  # a rate halved and a time doubled: both 2x slower
    assert tf_median == pytest.approx(1.1)
    assert "| 1 tensors | 1.50x | 1.10x |" in text and "**missed**" in text


def test_memory_records_get_no_slowdown_table():
    assert run_all._memory(_record("MiB", []))
    assert not run_all._memory(_record("s", []))
    assert not run_all._memory(_record("samples/s, higher is better", []))


def test_each_report_keeps_its_own_sections(tmp_path, capsys):
    """A run written to another report (``--out busy-quick.md``) neither reads nor replaces
    the sections ``latest.md`` is assembled from."""
    (tmp_path / "sections").mkdir()
    (tmp_path / "sections" / "cnn_steps.md").write_text("### cnn_steps\n\nquiet figures\n")
    (tmp_path / "sections-busy").mkdir()
    (tmp_path / "sections-busy" / "workshop.md").write_text("### workshop\n\nbusy figures\n")
    run_all.main(["--only", "none", "--out", str(tmp_path / "busy.md")])
    busy = (tmp_path / "busy.md").read_text()
    assert "busy figures" in busy and "quiet figures" not in busy
    run_all.main(["--only", "none", "--out", str(tmp_path / "latest.md")])
    latest = (tmp_path / "latest.md").read_text()
    assert "quiet figures" in latest and "busy figures" not in latest


def test_bytecode_is_written_even_where_the_workplace_turns_it_off(tmp_path, monkeypatch):
    # the benchmark workers must load compiled modules, as an installed copy does
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "a.py").write_text("X = 1\n")
    (pkg / "sub" / "b.py").write_text("Y = 2\n")
    _report.ensure_bytecode(str(pkg))
    tag = sys.implementation.cache_tag
    assert (pkg / "__pycache__" / f"a.{tag}.pyc").is_file()
    assert (pkg / "sub" / "__pycache__" / f"b.{tag}.pyc").is_file()
    _report.ensure_bytecode(str(tmp_path / "absent"))  # nothing to compile: no error
