"""Eager overhead of tapeflow next to TensorFlow, PyTorch and plain NumPy.

Small workloads, where the framework's per-op Python cost dominates the arithmetic:

* ``a + b`` on two 4-element float32 tensors,
* a 32x32 float32 matmul,
* one step of the workshop's linear regression (tape, ``x*m + b``, MSE, gradient for
  ``[m, b]``, two ``assign_sub`` with lr 0.05; PyTorch: autograd and ``no_grad`` updates;
  NumPy: the gradient written by hand, as a floor), eagerly and compiled (tapeflow and TF:
  ``tf.function``; JAX: ``jax.jit``, the only way JAX runs it fast),
* the wall time of ``import <framework>`` in a fresh interpreter, and its peak resident
  memory.

Each time is the median over several timeit repeats. Frameworks that are not importable
are skipped with a note, so the script runs with NumPy alone. Run it with the peers'
environment, e.g.::

    PYTHONPATH=. .bench-venv/bin/python benchmarks/eager_overhead.py
    python benchmarks/eager_overhead.py --quick          # fewer repeats
    python benchmarks/eager_overhead.py --peers numpy    # tapeflow vs NumPy only

Quote the ratios, not the absolute times: machines are noisy.
"""
import argparse
import importlib
import os
import platform
import statistics
import subprocess
import sys
import timeit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)  # the checkout's tapeflow, installed or not
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _report  # noqa: E402

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up logs quiet

FRAMEWORKS = ["tapeflow", "numpy", "torch", "jax", "tensorflow"]
LABELS = {"tapeflow": "tapeflow", "numpy": "numpy", "torch": "torch", "jax": "JAX",
          "tensorflow": "TF"}

# Targets from the speed issue: (what, limit) checked at the end.
TARGETS = {"import": 0.25, "add/torch": 1.5, "lr_step/torch": 1.0, "lr_fn/torch": 0.5,
           "lr_fn/jax": 1.0}  # the last from issue 19: the traced step at most JAX jit's time

LR = 0.05


# NOTE: the frameworks (and NumPy where a thread count applies) are imported inside the
# functions that time them: each loads only in the process that runs it, after the thread
# settings.
def seed_data(np):
    """The seed's x = tf.range(1., 5., 0.1) (float32 accumulation) and y = 3.5x - 1 + noise."""
    x = np.float32(1.0) + np.cumsum(np.r_[0, np.full(39, 0.1, np.float32)], dtype=np.float32)
    noise = np.random.default_rng(0).uniform(-1, 1, 40).astype(np.float32)
    y = (np.float32(3.5) * x - np.float32(1) + noise).astype(np.float32)
    return x, y


# -- one setup per framework: returns {workload: zero-argument callable} ----------------------
def setup_tf_like(module_name):
    """The workloads written once against TF's API: it serves tapeflow and TensorFlow alike."""
    import numpy as np

    tf = importlib.import_module(module_name)
    a = tf.constant([1.0, 2.0, 3.0, 4.0], dtype=tf.float32)
    b = tf.constant([5.0, 6.0, 7.0, 8.0], dtype=tf.float32)
    rng = np.random.default_rng(1)
    p = tf.constant(rng.standard_normal((32, 32), dtype=np.float32))
    q = tf.constant(rng.standard_normal((32, 32), dtype=np.float32))
    x = tf.range(1., 5., 0.1)
    y = tf.constant(seed_data(np)[1])
    m = tf.Variable(1, dtype=tf.float32)
    c = tf.Variable(0, dtype=tf.float32)

    def lr_step():
        with tf.GradientTape() as tape:
            y_pred = x*m + c
            loss = tf.reduce_mean((y - y_pred)**2)
        gradient = tape.gradient(loss, [m, c])
        m.assign_sub(LR*gradient[0])
        c.assign_sub(LR*gradient[1])

    version = tf.__version__
    fns = {"add": lambda: a + b, "matmul": lambda: tf.matmul(p, q), "lr_step": lr_step,
           "lr_fn": tf.function(lr_step)}
    if module_name == "tapeflow":
        version += f" (tapeflow {tf.version.TAPEFLOW_VERSION})"
    return fns, version


def setup_tapeflow():
    return setup_tf_like("tapeflow")


def setup_tensorflow():
    return setup_tf_like("tensorflow")


def setup_torch():
    import numpy as np
    import torch

    a = torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float32)
    b = torch.tensor([5.0, 6.0, 7.0, 8.0], dtype=torch.float32)
    rng = np.random.default_rng(1)
    p = torch.from_numpy(rng.standard_normal((32, 32), dtype=np.float32))
    q = torch.from_numpy(rng.standard_normal((32, 32), dtype=np.float32))
    xs, ys = seed_data(np)
    x, y = torch.from_numpy(xs), torch.from_numpy(ys)
    m = torch.tensor(1.0, requires_grad=True)
    c = torch.tensor(0.0, requires_grad=True)

    def lr_step():
        y_pred = x*m + c
        loss = ((y - y_pred)**2).mean()
        gradient = torch.autograd.grad(loss, [m, c])
        with torch.no_grad():
            m.sub_(LR*gradient[0])
            c.sub_(LR*gradient[1])

    return {"add": lambda: a + b, "matmul": lambda: torch.matmul(p, q),
            "lr_step": lr_step}, torch.__version__


def setup_numpy():
    import numpy as np

    a = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    b = np.array([5.0, 6.0, 7.0, 8.0], np.float32)
    rng = np.random.default_rng(1)
    p = rng.standard_normal((32, 32), dtype=np.float32)
    q = rng.standard_normal((32, 32), dtype=np.float32)
    x, y = seed_data(np)
    state = [np.float32(1.0), np.float32(0.0)]
    lr = np.float32(LR)

    def lr_step():  # the gradient of the MSE written by hand
        m, c = state
        r = (x*m + c) - y
        _loss = np.mean(r * r)
        gm, gc = 2 * np.mean(r * x), 2 * np.mean(r)
        state[0], state[1] = m - lr*gm, c - lr*gc

    return {"add": lambda: a + b, "matmul": lambda: np.matmul(p, q),
            "lr_step": lr_step}, np.__version__


def setup_jax():
    import jax
    import jax.numpy as jnp
    import numpy as np

    jax.config.update("jax_platforms", "cpu")
    a = jnp.asarray([1.0, 2.0, 3.0, 4.0], jnp.float32)
    b = jnp.asarray([5.0, 6.0, 7.0, 8.0], jnp.float32)
    rng = np.random.default_rng(1)
    p = jnp.asarray(rng.standard_normal((32, 32), dtype=np.float32))
    q = jnp.asarray(rng.standard_normal((32, 32), dtype=np.float32))
    xs, ys = seed_data(np)
    x, y = jnp.asarray(xs), jnp.asarray(ys)

    def loss(params):
        m, c = params
        return jnp.mean((y - (x*m + c))**2)

    def step(params):
        g = jax.grad(loss)(params)
        return tuple(v - LR*gv for v, gv in zip(params, g))

    state = [(jnp.float32(1.0), jnp.float32(0.0))]
    jitted = jax.jit(step)

    def lr_step():  # JAX has no eager tape: op-by-op grad, the closest to an eager step
        state[0] = jax.block_until_ready(step(state[0]))

    def lr_fn():
        state[0] = jax.block_until_ready(jitted(state[0]))

    return {"add": lambda: (a + b).block_until_ready(),
            "matmul": lambda: jnp.matmul(p, q).block_until_ready(),
            "lr_step": lr_step, "lr_fn": lr_fn}, jax.__version__


SETUPS = {"tapeflow": setup_tapeflow, "tensorflow": setup_tensorflow, "torch": setup_torch,
          "numpy": setup_numpy, "jax": setup_jax}

WORKLOADS = [
    ("add", "a + b, 4 x float32 (us)"),
    ("matmul", "matmul 32x32 float32 (us)"),
    ("lr_step", "linear-regression step (us)"),
    ("lr_fn", "LR step, tf.function/jit (us)"),
]


# -- measuring ----------------------------------------------------------------------------------
def per_call_us(fn, repeat, min_time):
    """Median over ``repeat`` timeit runs of the time per call, in microseconds."""
    for _ in range(3):
        fn()  # warm up caches and lazy paths
    t = timeit.Timer(fn)
    number, total = t.autorange()
    if total < min_time:
        number = max(1, int(number * min_time / max(total, 1e-9)))
    runs = t.repeat(repeat=repeat, number=number)
    return statistics.median(runs) / number * 1e6


IMPORT_ROWS = [("import", "import (s, fresh interpreter)"),
               ("import_rss", "import, peak RSS (MiB)")]


def import_seconds(module, runs):
    """Median wall time of ``import module`` in fresh interpreters (start-up excluded, bytecode
    cached), and the largest peak resident memory (MiB) of those interpreters."""
    code = (f"import time; t = time.perf_counter(); import {module}; "
            "dt = time.perf_counter() - t; import _report; print(dt, _report.peak_rss_mib())")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
    env["PYTHONPATH"] += os.pathsep + os.path.dirname(os.path.abspath(__file__))  # _report
    # NOTE: as installed users have it: with bytecode (a workplace may set
    # PYTHONDONTWRITEBYTECODE), written by one uncounted warm-up import
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    times, peaks = [], []
    for k in range(runs + 1):
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=env, cwd=ROOT, timeout=300)
        if p.returncode != 0:
            return None, None
        dt, peak = p.stdout.strip().splitlines()[-1].split()
        if k == 0:
            continue
        times.append(float(dt))
        peaks.append(float(peak))
    return statistics.median(times), max(peaks)


def fmt(v, unit=""):
    if v is None:
        return "-"
    if v >= 100:
        return f"{v:,.0f}{unit}"
    if v >= 10:
        return f"{v:.1f}{unit}"
    return f"{v:.2f}{unit}"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--peers", default="numpy,torch,jax,tensorflow",
                    help="comma-separated peers to compare against (default: %(default)s)")
    ap.add_argument("--repeat", type=int, default=7, help="timeit repeats (median reported)")
    ap.add_argument("--import-runs", type=int, default=5, help="fresh interpreters per import")
    ap.add_argument("--quick", action="store_true", help="fewer repeats, for a smoke run")
    args = ap.parse_args(argv)
    repeat, import_runs, min_time = args.repeat, args.import_runs, 0.2
    if args.quick:
        repeat, import_runs, min_time = 3, 2, 0.05

    wanted = ["tapeflow"] + [p.strip() for p in args.peers.split(",") if p.strip()]
    names = [f for f in FRAMEWORKS if f in wanted]
    print(f"eager overhead: Python {platform.python_version()} on {platform.machine()}, "
          f"{os.cpu_count()} CPUs; median of {repeat} repeats")
    fns, notes = {}, []
    for name in names:
        try:
            fns[name], version = SETUPS[name]()
            print(f"  {LABELS[name]:<10} {version}")
        except ImportError as e:
            notes.append(f"  {LABELS[name]:<10} skipped: not importable ({e})")
    if notes:
        print("\n".join(notes))
    present = [n for n in names if n in fns]

    rows = {}
    for key, _ in WORKLOADS:
        rows[key] = {n: per_call_us(fns[n][key], repeat, min_time) for n in present
                     if key in fns[n]}
    imports = {n: import_seconds(n, import_runs if n != "tensorflow" else
                                 max(2, import_runs // 2)) for n in present}
    rows["import"] = {n: t for n, (t, _) in imports.items()}
    rows["import_rss"] = {n: peak for n, (_, peak) in imports.items()}

    cols = [LABELS[n] for n in present] + ["tapeflow/torch", "tapeflow/JAX", "tapeflow/TF"]
    w0 = 30
    print()
    print(f"{'':<{w0}}" + "".join(f"{c:>16}" for c in cols))
    for key, title in WORKLOADS + IMPORT_ROWS:
        r = rows[key]
        cells = [fmt(r.get(n)) for n in present]
        cells += [fmt(ratio(r.get("tapeflow"), r.get(p)), "x")
                  for p in ("torch", "jax", "tensorflow")]
        print(f"{title:<{w0}}" + "".join(f"{c:>16}" for c in cells))

    print("\ntargets:")
    checks = [
        ("import tapeflow <= 0.25 s", rows["import"].get("tapeflow"), TARGETS["import"], " s"),
        ("a + b <= 1.5x torch", ratio(rows["add"].get("tapeflow"), rows["add"].get("torch")),
         TARGETS["add/torch"], "x"),
        ("LR step eager <= 1.0x torch",
         ratio(rows["lr_step"].get("tapeflow"), rows["lr_step"].get("torch")),
         TARGETS["lr_step/torch"], "x"),
        ("LR step tf.function <= 0.5x torch",
         ratio(rows["lr_fn"].get("tapeflow"), rows["lr_step"].get("torch")),
         TARGETS["lr_fn/torch"], "x"),
        ("LR step tf.function <= 1.0x JAX jit",
         ratio(rows["lr_fn"].get("tapeflow"), rows["lr_fn"].get("jax")),
         TARGETS["lr_fn/jax"], "x"),
    ]
    rss = _report.rss_target(rows["import_rss"].get("tapeflow"),
                             rows["import_rss"].get("tensorflow"),
                             "import peak RSS tapeflow / TF")
    checks.append((rss[0], rss[1], _report.RSS_TARGET, "x"))
    met = []
    for what, got, limit, unit in checks:
        verdict = "n/a (peer absent)" if got is None else ("met" if got <= limit else "MISSED")
        met.append((what, got, None if got is None else got <= limit))
        print(f"  {what:<34} {fmt(got, unit):>10}   {verdict}")
    titles = dict(WORKLOADS + IMPORT_ROWS)
    _report.emit("eager_overhead", "Eager overhead: small ops, linear-regression step, import",
                 "us (import: s, MiB), lower is better",
                 [(titles[k], {LABELS[n]: rows[k].get(n) for n in present}) for k in titles],
                 met)
    return 0


if __name__ == "__main__":
    sys.exit(main())
