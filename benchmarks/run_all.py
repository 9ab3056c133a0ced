"""Run every benchmark in this folder and write one Markdown report.

    make bench BENCH_ARGS="[--quick] [--busy] [--only NAME ...]"
    PYTHONPATH=. .bench-venv/bin/python benchmarks/run_all.py [--quick] [--busy]
        [--only NAME ...] [--out benchmarks/results/latest.md]

Each script runs in its own interpreter (one at a time, so they do not compete for the
cores), with the Python that runs this file: give it an environment where the peers
(tensorflow-cpu, torch, jax) are importable to get their columns; absent peers are skipped
by each script. The report starts with the machine it ran on, then one table per workload
(from what the scripts hand over through ``_report.emit``), the targets met or missed, and
every script's full output. Each script's section is kept in ``results/sections/``, so
``--only NAME`` refreshes one section and leaves the others (with their dates) in place.
``make bench`` builds that environment (``.bench-venv``, from ``requirements-peers.txt``).

Each section states the machine's load average before and after its script, and the report
the BLAS (and OpenBLAS kernel) NumPy uses. ``--busy`` runs every script twice, idle and
with another process computing on one core (``burner()``), and adds each workload's slowdown
(busy time / idle time) for every framework, with tapeflow's worst next to TF's.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# (script, arguments, arguments with --quick); the order is the report's
BENCHMARKS = [
    ("eager_overhead", [], ["--quick"]),
    ("mlp_epoch", ["--repeats", "5"], ["--repeats", "1", "--model", "seed"]),
    ("input_pipeline", [], ["--passes", "1"]),
    ("cnn_steps", [], ["--steps", "20", "--repeats", "1"]),
    ("lstm_steps", ["--repeats", "5"], ["--steps", "20", "--repeats", "1"]),
    ("distributed", [], ["--repeats", "1"]),
    ("workshop", [], ["--quick"]),
    ("gpu", [], ["--quick"]),
]


def machine():
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            kb = int(f.readline().split()[1])
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    versions = []
    for name in ("numpy", "tensorflow", "torch", "jax", "cupy", "mpi4py"):
        code = f"import {name}; print({name}.__version__)"
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, timeout=300)
        versions.append(f"{name} {p.stdout.strip().splitlines()[-1]}" if p.returncode == 0
                        and p.stdout.strip() else f"{name} absent")
    threads = ", ".join(f"{k}={os.environ[k]}" for k in
                        ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_CORETYPE")
                        if k in os.environ) or "BLAS threads: library default"
    return [f"{cpu}, {os.cpu_count()} logical CPUs{mem}",
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}",
            "; ".join(versions), threads]


BLAS_PROBE = r"""
import ctypes, numpy as np
info = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
text = f"{info.get('name', '?')} {info.get('version', '')}".strip()
paths = []
try:
    with open("/proc/self/maps") as f:
        paths = sorted({ln.split()[-1] for ln in f if "openblas" in ln.lower()})
except OSError:
    pass
for path in paths:
    lib = ctypes.CDLL(path)
    for pre, post in (("scipy_openblas", "64_"), ("openblas", "64_"), ("scipy_openblas", ""),
                      ("openblas", "")):
        fn = getattr(lib, f"{pre}_get_corename{post}", None)
        if fn is not None:
            fn.restype = ctypes.c_char_p
            text += f", kernel {fn().decode()}"
            break
    else:
        continue
    break
print(text)
"""


def blas():
    """The BLAS NumPy uses, with OpenBLAS's kernel (core type) when that is the one."""
    p = subprocess.run([sys.executable, "-c", BLAS_PROBE], capture_output=True, text=True,
                       timeout=120)
    return p.stdout.strip() or f"unknown ({p.stderr.strip()[-200:]})"


def load():
    """The 1-minute load average, or None where the system has none."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def burner():
    """Another process computing on one core (the first this process may use) until killed:
    the busy machine of ``--busy``."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [0]
    code = (f"import os\ntry:\n    os.sched_setaffinity(0, {{{cpus[0]}}})\n"
            "except Exception:\n    pass\nwhile True:\n    pass\n")
    return subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.DEVNULL)


_SKIP = ("rss", "acc", "mib", "mb")  # columns that are not times or rates


def _direction(record, column):
    """+1 when larger is faster for this column, -1 when smaller is, None to skip it."""
    c = column.lower()
    if any(k in c for k in _SKIP):
        return None
    if c in ("ms/step", "s", "seconds", "us", "ms") or c.endswith((" s", "/step", "(s)")):
        return -1  # a time (checked first: "ms/step" also contains "/s")
    if c.endswith("/s") or "gflop" in c or "samples" in c:
        return 1
    return 1 if record.get("higher_is_better") else -1


def _memory(record):
    """Whether a record's figures are memory (no slowdown to take of them)."""
    unit = record.get("unit", "").lower()
    return unit in ("mib", "mb") or unit.startswith(("mib ", "mb "))


def slowdowns(idle, busy):
    """``(table text, tapeflow's worst slowdown, TF's median slowdown)`` for one record run
    idle and busy (busy time / idle time per cell)."""
    rows = {r["workload"]: r["values"] for r in busy["rows"]}
    cols, out, mine, tfs = [], [], [], []
    for r in idle["rows"]:
        b = rows.get(r["workload"])
        if b is None:
            continue
        vals = {}
        for c, v in r["values"].items():
            d = _direction(idle, c)
            w = b.get(c)
            if d is None or not isinstance(v, (int, float)) or not isinstance(w, (int, float)) \
                    or v <= 0 or w <= 0:
                continue
            vals[c] = v / w if d > 0 else w / v
            if c not in cols:
                cols.append(c)
            names = f"{r['workload']} {c}".replace(",", " ").split()
            if "tapeflow" in names:
                mine.append(vals[c])
            elif "TF" in names or any(n.startswith("TensorFlow") for n in names):
                tfs.append(vals[c])
        out.append((r["workload"], vals))
    lines = [f"**{idle['title']}: slowdown with one core busy** (busy time / idle time, "
             "lower is better)", "", "| workload | " + " | ".join(cols) + " |",
             "|---|" + "---:|" * len(cols)]
    for w, vals in out:
        lines.append(f"| {w} | " + " | ".join(
            "–" if vals.get(c) is None else f"{vals[c]:.2f}x" for c in cols) + " |")
    tf_median = sorted(tfs)[len(tfs) // 2] if tfs else None
    worst = max(mine) if mine else None
    if worst is not None:
        verdict = ("n/a (TF absent)" if tf_median is None else
                   "met" if worst <= tf_median else "**missed**")
        lines += ["", f"tapeflow's worst slowdown {worst:.2f}x; TF's median "
                  f"{'–' if tf_median is None else f'{tf_median:.2f}x'}: {verdict}"]
    return "\n".join(lines), worst, tf_median


def fmt(v):
    if v is None:
        return "–"
    if isinstance(v, float):
        if abs(v) >= 100:
            return f"{v:,.0f}"
        if abs(v) >= 1:
            return f"{v:.2f}"
        return f"{v:.4f}"
    return str(v)


def table(record):
    cols = []
    for row in record["rows"]:
        for k in row["values"]:
            if k not in cols:
                cols.append(k)
    lines = [f"**{record['title']}** ({record['unit']})", "",
             "| workload | " + " | ".join(cols) + " |",
             "|---|" + "---:|" * len(cols)]
    for row in record["rows"]:
        lines.append(f"| {row['workload']} | "
                     + " | ".join(fmt(row["values"].get(c)) for c in cols) + " |")
    if record["targets"]:
        lines += ["", "| target | measured | |", "|---|---:|---|"]
        for t in record["targets"]:
            verdict = {True: "met", False: "**missed**", None: "n/a (peer absent)"}[t["met"]]
            value = "–" if t["value"] is None else f"{t['value']:.2f}"
            lines.append(f"| {t['what']} | {value} | {verdict} |")
    return "\n".join(lines)


def run_script(cmd, timeout):
    """Run one benchmark script: ``(records, output, status, seconds, load text)``."""
    fd, jpath = tempfile.mkstemp(suffix=".jsonl")
    os.close(fd)
    env = {**os.environ, "TAPEFLOW_BENCH_JSON": jpath, "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)}
    before = load()
    t = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT,
                           timeout=timeout)
        out, status = p.stdout + p.stderr, f"exit {p.returncode}"
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        status = f"timed out after {timeout} s"
    took = time.perf_counter() - t
    after = load()
    print(out[-3000:], flush=True)
    with open(jpath, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    os.unlink(jpath)
    loads = ("unknown" if before is None else
             f"{before:.2f} before, {after:.2f} after (1-minute average)")
    return records, out, status, took, loads


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="each script's smoke-run settings")
    ap.add_argument("--only", nargs="*", help="run only these scripts (names without .py)")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "latest.md"))
    ap.add_argument("--timeout", type=int, default=3600, help="per script, seconds")
    ap.add_argument("--busy", action="store_true",
                    help="also run each script with another process computing on one core")
    args = ap.parse_args(argv)
    sys.path.insert(0, HERE)
    import _report  # the driver only

    _report.ensure_bytecode()  # once for every script (each checks again, finding it done)
    started = datetime.datetime.now(datetime.timezone.utc)
    # NOTE: each report keeps its own sections (latest.md's in sections/, busy-quick.md's in
    # sections-busy-quick/): a run written to one report never replaces another's figures
    stem = os.path.splitext(os.path.basename(args.out))[0]
    sections_dir = os.path.join(os.path.dirname(os.path.abspath(args.out)),
                                "sections" if stem == "latest" else f"sections-{stem}")
    os.makedirs(sections_dir, exist_ok=True)
    for name, full, quick in BENCHMARKS:
        if args.only and name not in args.only:
            continue
        script = os.path.join(HERE, f"{name}.py")
        if not os.path.exists(script):
            continue
        cmd = [sys.executable, script, *(quick if args.quick else full)]
        print(f"== {name}: {' '.join(cmd[1:])}", flush=True)
        when = datetime.datetime.now(datetime.timezone.utc)
        records, out, status, took, loads = run_script(cmd, args.timeout)
        busy_text = ""
        if args.busy:
            print(f"== {name} with one core busy", flush=True)
            hog = burner()
            try:
                brecords, bout, bstatus, btook, bloads = run_script(cmd, args.timeout)
            finally:
                hog.kill()
                hog.wait()
            parts = []
            for r in records:  # the same table of the busy run: same key, same order
                same = [b for b in brecords if b["benchmark"] == r["benchmark"]]
                k = [x for x in records if x["benchmark"] == r["benchmark"]].index(r)
                if k < len(same) and not _memory(r):
                    parts.append(slowdowns(r, same[k])[0])
            busy_text = ("\n\n" + "\n\n".join(parts) if parts else "") + (
                f"\n\nBusy run: {bstatus}, {btook:.0f} s, load {bloads}.\n\n<details><summary>"
                f"{name} with one core busy: full output</summary>\n\n```\n{bout.strip()}\n"
                "```\n</details>")
        args_text = " ".join(quick if args.quick else full)
        cmdline = f"{name}.py {args_text}".strip()
        section = (f"### {name}\n\n`{cmdline}`, run "
                   f"{when:%Y-%m-%d %H:%M} UTC, {status}, {took:.0f} s, load {loads}\n\n"
                   + ("\n\n".join(table(r) for r in records) if records else
                      "(no table: see the output below)")
                   + busy_text
                   + f"\n\n<details><summary>{name}: full output</summary>\n\n```\n"
                   + out.strip() + "\n```\n</details>\n")
        with open(os.path.join(sections_dir, f"{name}.md"), "w", encoding="utf-8") as f:
            f.write(section)

    # the report: this machine, then every script's latest section (kept from earlier runs
    # for scripts not run this time, each with its own date)
    lines = ["# tapeflow benchmarks", "",
             f"Last written {started:%Y-%m-%d %H:%M} UTC by `benchmarks/run_all.py` on:", ""]
    lines += [f"- {m}" for m in machine()]
    lines += [f"- BLAS: {blas()}"]
    lines += ["", "Ratios within one table were measured side by side (interleaved or in "
              "fresh processes, as each script says); absolute figures move with the "
              "machine's load.", ""]
    parts = []
    for name, _, _ in BENCHMARKS:
        path = os.path.join(sections_dir, f"{name}.md")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                parts.append(f.read())
    text = "\n".join(lines) + "\n" + "\n".join(parts)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
