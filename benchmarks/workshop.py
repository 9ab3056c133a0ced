"""Wall time of each workshop section with tapeflow and, when it is importable, TensorFlow.

Each section script of ``tapeflow/workshop/`` runs in a fresh interpreter through
``python -m tapeflow.workshop._runner``, once as written (tapeflow) and once with
``WORKSHOP_TF=tensorflow``, which reads its ``import tapeflow as tf`` as
``import tensorflow as tf`` (see ``_runner.TF_REWRITES``; MNIST comes from tapeflow's loader in
both). The times include interpreter start, imports and loading MNIST; each section's peak
resident memory (the whole process) is shown next to TensorFlow's. Run with an
environment that has TensorFlow::

    PYTHONPATH=$PWD /path/to/env-with-tf/bin/python benchmarks/workshop.py [--quick]

``--quick`` uses the test suite's short loops instead of the article's counts; ``--log-dir``
keeps every section's output; the last figures each section printed are shown for both.
"""
import argparse
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import _report  # noqa: E402

from tapeflow.workshop import SECTIONS, section_path  # noqa: E402
from tapeflow.workshop.cli import (  # noqa: E402
    FULL_EPOCHS,
    FULL_STEPS,
    QUICK_EPOCHS,
    QUICK_STEPS,
    resolve,
)

FIGURE = re.compile(r"^(Loss: .*|Epoch \d .*|.*val_accuracy: .*|m: .*)$", re.M)


def run_section(filename, tf_module, env, log_dir):
    e = dict(env)
    if tf_module == "tensorflow":
        e["WORKSHOP_TF"] = "tensorflow"
        e.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    fd, peak_file = tempfile.mkstemp(prefix="workshop-rss-")
    os.close(fd)
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "_report.py"),
                        "--peak-rss-to", peak_file, "-m", "tapeflow.workshop._runner",
                        section_path(filename)], env=e, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    peak = _report.read_peak(peak_file)
    os.unlink(peak_file)
    if log_dir:
        with open(os.path.join(log_dir, f"{filename[:-3]}.{tf_module}.log"), "w") as f:
            f.write(p.stdout + p.stderr)
    figures = FIGURE.findall(re.sub(r"\x1b\[[0-9;]*m", "", p.stdout))  # Keras 3's colours
    last = figures[-1].split("━")[-1].strip() if figures else ""
    return dt, p.returncode, last, p.stderr, peak


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the test suite's short loops")
    ap.add_argument("--section", "-s", action="append", default=[], metavar="NAME")
    ap.add_argument("--no-tf", action="store_true", help="time tapeflow only")
    ap.add_argument("--log-dir", metavar="DIR", help="keep each section's output here")
    args = ap.parse_args(argv)
    rows = resolve(args.section) if args.section else SECTIONS
    _report.ensure_bytecode()
    has_tf = not args.no_tf and importlib.util.find_spec("tensorflow") is not None
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
    env["MPLBACKEND"] = "Agg"
    env["WORKSHOP_STEPS"] = str(QUICK_STEPS if args.quick else FULL_STEPS)
    env["WORKSHOP_EPOCHS"] = str(QUICK_EPOCHS if args.quick else FULL_EPOCHS)
    env["WORKSHOP_OUT"] = tempfile.mkdtemp(prefix="workshop-bench-")
    if args.log_dir:
        os.makedirs(args.log_dir, exist_ok=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"{env['WORKSHOP_STEPS']} steps, {env['WORKSHOP_EPOCHS']} epochs"
          + ("" if has_tf else "; TensorFlow not importable: tapeflow only"), flush=True)
    head = f"{'section':<26}{'tapeflow s':>11}"
    if has_tf:
        head += f"{'TF s':>9}{'tf/TF':>8}"
    head += f"{'tapeflow MiB':>14}" + (f"{'TF MiB':>9}{'tf/TF':>8}" if has_tf else "")
    print(head)
    total = {"tapeflow": 0.0, "tensorflow": 0.0}
    lasts = []
    table = []  # (section, {framework: seconds}) for run_all.py's report
    memory = []  # (section, {framework: peak MiB})
    for n, name, filename, _ in rows:
        line = f"{n:2d} {name:<23}"
        got = {}
        for mod in ("tapeflow", "tensorflow") if has_tf else ("tapeflow",):
            dt, rc, last, err, peak = run_section(filename, mod, env, args.log_dir)
            got[mod] = (dt, rc, last, peak)
            total[mod] += dt
            if rc:
                print(f"   {mod} failed on {name} (exit {rc}):\n{err[-1500:]}", file=sys.stderr)
        dt, rc, _, peak = got["tapeflow"]
        line += f"{dt:11.1f}" + ("!" if rc else "")
        if has_tf:
            tdt, trc, _, tpeak = got["tensorflow"]
            line += f"{tdt:9.1f}" + ("!" if trc else "") + f"{dt / tdt:8.2f}"
        line += f"{peak or float('nan'):14.0f}"
        if has_tf:
            line += f"{tpeak or float('nan'):9.0f}"
            line += f"{peak / tpeak:8.2f}" if peak and tpeak else f"{'-':>8}"
        print(line, flush=True)
        lasts.append((name, got))
        table.append((f"{n} {name}", {("tapeflow" if m == "tapeflow" else "TF"): got[m][0]
                                      for m in got}))
        memory.append((f"{n} {name}", {("tapeflow" if m == "tapeflow" else "TF"): got[m][3]
                                       for m in got}))
    line = f"{'   total':<26}{total['tapeflow']:11.1f}"
    if has_tf:
        line += f"{total['tensorflow']:9.1f}{total['tapeflow'] / total['tensorflow']:8.2f}"
    print(line)
    table.append(("total", {"tapeflow": total["tapeflow"],
                            **({"TF": total["tensorflow"]} if has_tf else {})}))
    ratio = total["tapeflow"] / total["tensorflow"] if has_tf and total["tensorflow"] else None
    slowest = max(((v["tapeflow"] / v["TF"], s) for s, v in table[:-1] if v.get("TF")),
                  default=None)
    if slowest:
        print(f"slowest section next to TF: {slowest[1]}, {slowest[0]:.2f}x TF's time")
    _report.emit("workshop", f"Workshop sections, {env['WORKSHOP_STEPS']} steps", "s",
                 table, [("whole workshop <= 0.8x TF", ratio,
                          None if ratio is None else ratio <= 0.8),
                         (f"every section <= 1.0x TF (slowest: "
                          f"{slowest[1] if slowest else '-'})", slowest and slowest[0],
                          None if slowest is None else slowest[0] <= 1.0)])
    worst = max(((v["tapeflow"] / v["TF"], section, v) for section, v in memory
                 if v.get("tapeflow") and v.get("TF")), default=None, key=lambda w: w[0])
    label, r, met = _report.rss_target(worst and worst[2]["tapeflow"], worst and worst[2]["TF"],
                                       what="peak RSS tapeflow / TF, worst section")
    _report.emit("workshop", f"Workshop sections, {env['WORKSHOP_STEPS']} steps: peak resident "
                 "memory of each section's process", "MiB", memory, [(label, r, met)])
    if worst:
        print(f"\npeak memory: tapeflow / TF at most {worst[0]:.2f}x ({worst[1]}); "
              f"target <= {_report.RSS_TARGET}x: {'met' if met else 'not met'}")
    print("\nlast figures printed (tapeflow | TensorFlow):")
    for name, got in lasts:
        if got["tapeflow"][2]:
            print(f"  {name}: {got['tapeflow'][2]}"
                  + (f"  |  {got['tensorflow'][2]}" if "tensorflow" in got else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
