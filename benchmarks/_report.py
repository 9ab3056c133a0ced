"""Machine-readable results for ``benchmarks/run_all.py``.

A benchmark script calls ``emit(...)`` once at the end with what it printed as a table; when
the runner has set ``TAPEFLOW_BENCH_JSON`` the record is appended there as one JSON line
(otherwise nothing happens, so every script also runs on its own).

It also measures peak memory the same way for every script: ``peak_rss_mib()`` in a worker
process, or ``python benchmarks/_report.py --peak-rss-to FILE -m MODULE ARGS...`` (or a script
path instead of ``-m MODULE``), which runs the program as ``__main__`` and writes its peak to
FILE at exit.
"""
import atexit
import json
import os
import runpy
import sys

RSS_TARGET = 0.5  # issue 19: tapeflow's peak resident memory at most half of TF's


def peak_rss_mib():
    """This process's peak resident memory in MiB, everything it imported included.

    NOTE: VmHWM, not ``ru_maxrss``: Linux carries a parent's ``ru_maxrss`` into a child across
    fork+exec, so a worker started by a big process would report the parent's peak.
    """
    try:
        with open("/proc/self/status") as f:
            return next(int(ln.split()[1]) for ln in f if ln.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        import resource  # optional: Unix only

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_target(tapeflow_mib, tf_mib, what="peak RSS tapeflow / TF"):
    """The report's memory target row: ``(label, ratio or None, met or None)``."""
    r = tapeflow_mib / tf_mib if tapeflow_mib and tf_mib else None
    return f"{what} <= {RSS_TARGET}x", r, None if r is None else r <= RSS_TARGET


def ensure_bytecode(root=None):
    """Compile tapeflow's modules to bytecode (``__pycache__``, ignored by git) before any
    worker starts, so every timed run loads them as an installed copy does.

    NOTE: pip compiles a package's bytecode when it installs it (the peers' in the benchmark
    environment have theirs), while a workplace may set ``PYTHONDONTWRITEBYTECODE``. Run from
    the source tree without bytecode, each fresh worker compiled the modules a workload
    imports lazily inside its timed region: the first ``tf.function`` trace (autograph) took
    15 ms instead of 9, a tenth of the seed MLP's ``tf.function`` epoch. Only the driver
    calls this; an up-to-date file is left as it is. ``root``: the package folder (tapeflow's
    by default).
    """
    import compileall  # the driver only: the workers stay lean

    if root is None:
        root = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            "tapeflow")
    if os.path.isdir(root):
        compileall.compile_dir(root, quiet=1)


def read_peak(path):
    """The figure ``--peak-rss-to`` wrote to ``path``, or None when the program left none."""
    try:
        with open(path, encoding="utf-8") as f:
            return float(f.read())
    except (OSError, ValueError):
        return None


def emit(benchmark, title, unit, rows, targets=(), higher_is_better=False):
    """``rows``: ``[(workload, {framework: value or None})]``; ``targets``:
    ``[(what, value or None, met: bool or None)]``."""
    path = os.environ.get("TAPEFLOW_BENCH_JSON")
    if not path:
        return
    record = {
        "benchmark": benchmark, "title": title, "unit": unit,
        "higher_is_better": higher_is_better,
        "rows": [{"workload": w, "values": dict(v)} for w, v in rows],
        "targets": [{"what": what, "value": value, "met": met} for what, value, met in targets],
    }
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


def _run_recording_peak(argv):
    out, rest = argv[0], argv[1:]

    def write():
        with open(out, "w", encoding="utf-8") as f:
            f.write(f"{peak_rss_mib():.1f}\n")

    atexit.register(write)
    if rest[0] == "-m":
        sys.argv = rest[1:]
        sys.path[0] = os.getcwd()  # as ``python -m`` has it
        runpy.run_module(rest[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = rest
        runpy.run_path(rest[0], run_name="__main__")


if __name__ == "__main__":
    if len(sys.argv) < 4 or sys.argv[1] != "--peak-rss-to":
        sys.exit("usage: _report.py --peak-rss-to FILE (-m MODULE | SCRIPT) [ARGS...]")
    _run_recording_peak(sys.argv[2:])
