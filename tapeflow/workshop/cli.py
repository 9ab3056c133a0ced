"""The ``tapeflow-workshop`` command: run the workshop's sections in order, each in a fresh
Python, with a header before and the wall time after each."""
import argparse
import importlib.util
import os
import subprocess
import sys
import time

from . import NEEDS_MNIST, SECTIONS, section_path
from ._runner import MNIST_MISSING

QUICK_STEPS, QUICK_EPOCHS = 101, 1  # enough for the loops' second report (they print every 100)
FULL_STEPS, FULL_EPOCHS = 1000, 10  # the article's
TENSORBOARD_EXTRA = "pip install tapeflow[tensorboard]"

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def resolve(tokens):
    """The ``SECTIONS`` rows named by ``tokens`` (a name, a number, or ``NN_name``), in the
    article's order; raises ValueError naming an unknown one."""
    chosen = set()
    for token in tokens:
        t = token.strip().lower().removesuffix(".py")
        for n, name, filename, _ in SECTIONS:
            if t in (name, str(n), f"{n:02d}", filename[:-3]):
                chosen.add(n)
                break
        else:
            valid = ", ".join(f"{n} {name}" for n, name, _, _ in SECTIONS)
            raise ValueError(f"unknown section {token!r}; the sections are: {valid}")
    return [row for row in SECTIONS if row[0] in chosen]


def plural(n, noun):
    """``1 step``, ``2 steps``."""
    return f"{n} {noun}" + ("" if int(n) == 1 else "s")


def parser():
    p = argparse.ArgumentParser(
        prog="tapeflow-workshop",
        description="Run the introduction-to-neural-networks workshop with tapeflow, section "
                    "by section, printing what the article prints and saving its plots.")
    p.add_argument("--section", "-s", action="append", default=[], metavar="NAME",
                   help="run only this section (a name such as linear_regression, or its "
                        "number); repeatable. Default: all ten, in order")
    p.add_argument("--quick", action="store_true",
                   help=f"short runs for a smoke test: {QUICK_STEPS} steps instead of "
                        f"{FULL_STEPS}, {QUICK_EPOCHS} fit epoch instead of {FULL_EPOCHS}")
    p.add_argument("--steps", type=int, metavar="N",
                   help="steps of the 1000-step training loops (overrides --quick)")
    p.add_argument("--epochs", type=int, metavar="N",
                   help="epochs of the final fit (overrides --quick)")
    p.add_argument("--data-dir", metavar="DIR",
                   help="where to look for MNIST first: DIR/mnist/ with the four IDX files "
                        "(put first on TAPEFLOW_DATASETS); then come any other "
                        "TAPEFLOW_DATASETS folders, the project's ../shared/datasets, the "
                        "Keras cache and /usr/share/datasets, and only then a download")
    p.add_argument("--out", metavar="DIR", default=os.path.join("out", "workshop"),
                   help="where the plots are saved as PNG files (default: %(default)s)")
    p.add_argument("--tensorboard", metavar="DIR",
                   help="the fit section also writes a TensorBoard log to DIR (DIR/train, "
                        "DIR/validation; view it with `tensorboard --logdir DIR`); needs "
                        f"{TENSORBOARD_EXTRA}")
    p.add_argument("--list", action="store_true", help="list the sections and exit")
    return p


def child_env(args):
    env = dict(os.environ)
    env.setdefault("MPLBACKEND", "Agg")
    # the tapeflow this command belongs to, also when it runs from a checkout
    env["PYTHONPATH"] = os.pathsep.join(p for p in (PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
    steps = args.steps or (QUICK_STEPS if args.quick else None)
    epochs = args.epochs or (QUICK_EPOCHS if args.quick else None)
    env["WORKSHOP_STEPS"] = str(steps or env.get("WORKSHOP_STEPS") or FULL_STEPS)
    env["WORKSHOP_EPOCHS"] = str(epochs or env.get("WORKSHOP_EPOCHS") or FULL_EPOCHS)
    env["WORKSHOP_OUT"] = os.path.abspath(args.out)
    if args.tensorboard:
        env["WORKSHOP_TENSORBOARD"] = os.path.abspath(os.path.expanduser(args.tensorboard))
    if args.data_dir:
        dirs = [os.path.abspath(os.path.expanduser(args.data_dir)), env.get("TAPEFLOW_DATASETS")]
        env["TAPEFLOW_DATASETS"] = os.pathsep.join(d for d in dirs if d)
    return env


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        rows = resolve(args.section) if args.section else list(SECTIONS)
    except ValueError as e:
        parser().error(str(e))
    if args.list:
        for n, name, _, title in SECTIONS:
            print(f"{n:2d}  {name:<24} {title}")
        return 0
    if args.tensorboard and importlib.util.find_spec("tensorboard") is None:
        parser().error("--tensorboard writes its log with the `tensorboard` package, which is "
                       f"not installed: {TENSORBOARD_EXTRA}")
    env = child_env(args)
    print(f"tapeflow workshop: {plural(len(rows), 'section')}, "
          f"{plural(env['WORKSHOP_STEPS'], 'step')} per long loop, "
          f"{plural(env['WORKSHOP_EPOCHS'], 'fit epoch')}; plots in {env['WORKSHOP_OUT']}",
          flush=True)
    times, failed = [], []
    for n, name, filename, title in rows:
        print(f"\n{'=' * 78}\nSection {n} of {len(SECTIONS)}: {name}\n{title}\n{'=' * 78}",
              flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, "-m", "tapeflow.workshop._runner",
                              section_path(filename)], env=env)
        dt = time.perf_counter() - t0
        times.append((n, name, dt, rc))
        status = {0: "ok", MNIST_MISSING: "MNIST not found"}.get(rc, f"FAILED (exit {rc})")
        print(f"--- {name}: {status} in {dt:.1f} s", flush=True)
        if rc == MNIST_MISSING and n in NEEDS_MNIST:
            later = [r[1] for r in rows if r[0] > n and r[0] in NEEDS_MNIST]
            print("\nStopped: MNIST was not found (see the message above)"
                  + (f"; not run: {', '.join(later)}" if later else "") + ".", file=sys.stderr)
            return MNIST_MISSING
        if rc:
            failed.append(name)
    print(f"\n{'=' * 78}\nSection times")
    for n, name, dt, rc in times:
        print(f"{n:2d}  {name:<24} {dt:7.1f} s" + ("" if rc == 0 else "  FAILED"))
    total = sum(t[2] for t in times)
    print(f"{len(rows) - len(failed)} of {len(rows)} workshop sections ran in {total:.1f} s"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
