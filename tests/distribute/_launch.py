"""Launching ``_worker.py`` under ``mpiexec -n N`` (or as one plain process) from a test."""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

WORKER = Path(__file__).with_name("_worker.py")
ROOT = Path(__file__).resolve().parents[2]


def mpiexec():
    """The ``mpiexec`` next to this interpreter (the ``mpich`` wheel's), else on PATH."""
    local = Path(sys.executable).parent / "mpiexec"
    return str(local) if local.exists() else shutil.which("mpiexec")


needs_mpi = pytest.mark.skipif(
    importlib.util.find_spec("mpi4py") is None or mpiexec() is None,
    reason="needs the `mpi` extra (mpi4py and an MPI such as the `mpich` wheel)")


def _env(extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    env["OPENBLAS_NUM_THREADS"] = "1"
    # NOTE: harmless for other launchers: MPICH's Hydra starts local ranks without ssh,
    # Open MPI allows root (CI containers) and more ranks than cores
    env.setdefault("HYDRA_LAUNCHER", "fork")
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    env.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")
    # a stuck test job ends itself well before the subprocess timeout would orphan ranks
    env.setdefault("TAPEFLOW_COLLECTIVE_TIMEOUT", "30")
    env.update(extra or {})
    return env


def launch(n, scenario, out, *options, env=None, timeout=60, check=True):
    """Run the worker on ``n`` ranks (``n=None``: one process without mpiexec); returns
    ``(completed process, seconds)``."""
    cmd = [sys.executable, str(WORKER), scenario, str(out), *options]
    if n is not None:
        cmd = [mpiexec(), "-n", str(n), *cmd]
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env=_env(env), stdin=subprocess.DEVNULL)
    seconds = time.monotonic() - start
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n"
                             f"{proc.stderr}")
    return proc, seconds


def result(out, name):
    return json.loads((Path(out) / f"{name}.json").read_text())
