"""Run every workshop section (``NN_*.py`` in this folder) in order, each in a fresh Python.

    python examples/workshop/run_all.py          # or: python -m examples.workshop
    python examples/workshop/run_all.py 02       # only the sections whose name starts so

Plots are saved under ``./out/workshop/`` (``$WORKSHOP_OUT`` overrides) when matplotlib is
installed. Exits non-zero if any section fails.
"""
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SECTION = re.compile(r"^\d\d_\w+\.py$")


def sections(prefixes=()):
    names = sorted(n for n in os.listdir(HERE) if SECTION.match(n))
    if prefixes:
        names = [n for n in names if n.startswith(tuple(prefixes))]
    return [os.path.join(HERE, n) for n in names]


def run(path):
    env = dict(os.environ)
    env.setdefault("MPLBACKEND", "Agg")
    # the package from this checkout, even when it is not installed
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
    return subprocess.call([sys.executable, path], env=env)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    paths = sections(argv)
    if not paths:
        print(f"no workshop sections match {argv}", file=sys.stderr)
        return 2
    failed = []
    for path in paths:
        name = os.path.basename(path)
        print(f"\n===== {name} " + "=" * max(0, 60 - len(name)), flush=True)
        t0 = time.perf_counter()
        rc = run(path)
        dt = time.perf_counter() - t0
        status = "ok" if rc == 0 else f"FAILED (exit {rc})"
        print(f"----- {name}: {status} in {dt:.1f} s", flush=True)
        if rc:
            failed.append(name)
    print(f"\n{len(paths) - len(failed)} of {len(paths)} workshop sections ran"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
