"""Run every benchmark in this folder and write one Markdown report.

    PYTHONPATH=. /work/refenv/bin/python benchmarks/run_all.py [--quick] [--only NAME ...]
        [--out benchmarks/results/latest.md]

Each script runs in its own interpreter (one at a time, so they do not compete for the
cores), with the Python that runs this file: give it an environment where the peers
(tensorflow-cpu, torch, jax) are importable to get their columns; absent peers are skipped
by each script. The report starts with the machine it ran on, then one table per workload
(from what the scripts hand over through ``_report.emit``), the targets met or missed, and
every script's full output. Each script's section is kept in ``results/sections/``, so
``--only NAME`` refreshes one section and leaves the others (with their dates) in place.
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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="each script's smoke-run settings")
    ap.add_argument("--only", nargs="*", help="run only these scripts (names without .py)")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "latest.md"))
    ap.add_argument("--timeout", type=int, default=3600, help="per script, seconds")
    args = ap.parse_args(argv)

    started = datetime.datetime.now(datetime.timezone.utc)
    sections_dir = os.path.join(os.path.dirname(os.path.abspath(args.out)), "sections")
    os.makedirs(sections_dir, exist_ok=True)
    for name, full, quick in BENCHMARKS:
        if args.only and name not in args.only:
            continue
        script = os.path.join(HERE, f"{name}.py")
        if not os.path.exists(script):
            continue
        fd, jpath = tempfile.mkstemp(suffix=".jsonl")
        os.close(fd)
        env = {**os.environ, "TAPEFLOW_BENCH_JSON": jpath, "TF_CPP_MIN_LOG_LEVEL": "3",
               "PYTHONPATH": os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH"))
                                             if p)}
        cmd = [sys.executable, script, *(quick if args.quick else full)]
        print(f"== {name}: {' '.join(cmd[1:])}", flush=True)
        when = datetime.datetime.now(datetime.timezone.utc)
        t = time.perf_counter()
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT,
                               timeout=args.timeout)
            out, status = p.stdout + p.stderr, f"exit {p.returncode}"
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            status = f"timed out after {args.timeout} s"
        took = time.perf_counter() - t
        print(out[-3000:], flush=True)
        with open(jpath, encoding="utf-8") as f:
            records = [json.loads(line) for line in f if line.strip()]
        os.unlink(jpath)
        args_text = " ".join(quick if args.quick else full)
        cmdline = f"{name}.py {args_text}".strip()
        section = (f"### {name}\n\n`{cmdline}`, run "
                   f"{when:%Y-%m-%d %H:%M} UTC, {status}, {took:.0f} s\n\n"
                   + ("\n\n".join(table(r) for r in records) if records else
                      "(no table: see the output below)")
                   + f"\n\n<details><summary>{name}: full output</summary>\n\n```\n"
                   + out.strip() + "\n```\n</details>\n")
        with open(os.path.join(sections_dir, f"{name}.md"), "w", encoding="utf-8") as f:
            f.write(section)

    # the report: this machine, then every script's latest section (kept from earlier runs
    # for scripts not run this time, each with its own date)
    lines = ["# tapeflow benchmarks", "",
             f"Last written {started:%Y-%m-%d %H:%M} UTC by `benchmarks/run_all.py` on:", ""]
    lines += [f"- {m}" for m in machine()]
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
