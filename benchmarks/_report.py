"""Machine-readable results for ``benchmarks/run_all.py``.

A benchmark script calls ``emit(...)`` once at the end with what it printed as a table; when
the runner has set ``TAPEFLOW_BENCH_JSON`` the record is appended there as one JSON line
(otherwise nothing happens, so every script also runs on its own).
"""
import json
import os


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
