"""Training steps of the issue's small convnet in tapeflow and its peers: samples/s, peak RSS
and GFLOP/s against this machine's float32 matmul peak.

The model: Conv2D 32 3x3 relu, MaxPool 2, Conv2D 64 3x3 relu, MaxPool 2, Flatten,
Dropout 0.5, Dense 10 softmax; Adam (Keras defaults), sparse categorical cross-entropy, batch
128 and batch 32 (``--batch``), on MNIST images from ``../shared/datasets/mnist`` (random
images when absent). Each framework runs warm-up steps, then ``--steps`` timed training steps:

* tapeflow ``model.fit`` and TensorFlow ``model.fit`` (the same Keras code);
* PyTorch eager (``nn.Sequential``, ``torch.optim.Adam``), JAX ``jit`` (a hand-written
  Adam step), each only when importable.

Every framework runs in its own fresh interpreter, so its peak resident memory (VmHWM,
``_report.peak_rss_mib``) is its own and nothing else's (the input batches, identical
everywhere, are part of it). GFLOP/s counts the multiply-adds of the convolutions and the
dense layer (forward, filter gradient, input gradient except the first layer's) and is
compared with a large NumPy float32 matmul timed in the same run with the same thread
setting. Run with the peers' environment::

    PYTHONPATH=. .bench-venv/bin/python benchmarks/cnn_steps.py [--steps 100] [--repeats 3]
        [--batch 128 --batch 32] [--threads N] [--only tapeflow,torch]

``--threads N`` sets the BLAS/OpenMP/intra-op thread count of every framework alike; without
it each uses its default. Quote ratios, not absolute numbers: the machine is shared.
"""
import argparse
import gzip
import importlib
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("TAPEFLOW_DATASETS",
                      os.path.join(os.path.dirname(ROOT), "shared", "datasets"))
BATCH, WARMUP = 128, 10
FRAMEWORKS = ["tapeflow", "tensorflow", "torch", "jax"]
LABELS = {"tapeflow": "tapeflow fit", "tensorflow": "TF fit", "torch": "PyTorch eager",
          "jax": "JAX jit"}


# NOTE: the frameworks (and NumPy where a thread count applies) are imported inside the
# functions that time them: each loads only in the process that runs it, after the thread
# settings.


# -- shared by every worker -----------------------------------------------------------------
def set_threads(threads):
    """Thread count for BLAS/OpenMP, set before any numeric library loads."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if threads:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(threads)


def batches(n):
    """``n`` images (N, 28, 28, 1) float32 in [0, 1] and int64 labels: the first ``n`` MNIST
    training images, or seeded random ones when the IDX files are absent."""
    import numpy as np

    images = os.path.join(DATA, "mnist", "train-images-idx3-ubyte.gz")
    labels = os.path.join(DATA, "mnist", "train-labels-idx1-ubyte.gz")
    if os.path.exists(images) and os.path.exists(labels):
        with gzip.open(images) as f:
            x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28, 1)
        with gzip.open(labels) as f:
            y = np.frombuffer(f.read(), np.uint8, offset=8)
        reps = -(-n // len(x))
        x, y = np.concatenate([x] * reps)[:n], np.concatenate([y] * reps)[:n]
        return (x / np.float32(255)).astype(np.float32), y.astype(np.int64), "MNIST"
    rng = np.random.default_rng(0)
    return (rng.random((n, 28, 28, 1), np.float32), rng.integers(0, 10, n, np.int64),
            "random data (MNIST not found under " + DATA + ")")


def peak_rss_mb():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _report  # json, os, runpy only: the workers stay lean

    return _report.peak_rss_mib()


def bytecode():
    """The driver's ``_report.ensure_bytecode()`` (the workers never import it)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _report  # the driver only

    _report.ensure_bytecode()


def keras_model(keras):
    layers = keras.layers
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax"),
    ])


# -- the workloads: each returns the seconds of ``steps`` timed training steps ---------------
def run_keras(module, x, y, steps, threads, build=None, warmup=WARMUP):
    """``fit`` on the warm-up rows, then timed ``fit`` on the rest (``build(keras)`` makes
    the model: the convnet by default; ``lstm_steps.py`` passes its own)."""
    tf = importlib.import_module(module)
    if module == "tensorflow" and threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    tf.random.set_seed(0)
    model = (build or keras_model)(tf.keras)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    w = warmup * BATCH
    model.fit(x[:w], y[:w], batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    t = time.perf_counter()
    model.fit(x[w:], y[w:], batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    return time.perf_counter() - t


def run_torch(x, y, steps, threads):
    import torch
    from torch import nn

    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)  # Keras's Adam defaults
    xt = torch.from_numpy(x.transpose(0, 3, 1, 2).copy())
    yt = torch.from_numpy(y)

    def step(i):
        xb, yb = xt[i * BATCH:(i + 1) * BATCH], yt[i * BATCH:(i + 1) * BATCH]
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(xb), yb)  # softmax + cross-entropy, fused
        loss.backward()
        opt.step()

    model.train()
    for i in range(WARMUP):
        step(i)
    t = time.perf_counter()
    for i in range(WARMUP, WARMUP + steps):
        step(i)
    return time.perf_counter() - t


def run_jax(x, y, steps, threads):
    import jax
    import jax.numpy as jnp

    def conv(h, w, b):
        h = jax.lax.conv_general_dilated(h, w, (1, 1), "VALID",
                                         dimension_numbers=("NHWC", "HWIO", "NHWC"))
        return jax.nn.relu(h + b)

    def pool(h):
        return jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1),
                                     "VALID")

    def loss_fn(ps, xb, yb, key):
        h = pool(conv(xb, ps[0], ps[1]))
        h = pool(conv(h, ps[2], ps[3])).reshape(xb.shape[0], -1)
        keep = jax.random.bernoulli(key, 0.5, h.shape)
        h = jnp.where(keep, h / 0.5, 0)
        logp = jax.nn.log_softmax(h @ ps[4] + ps[5])
        return -jnp.mean(jnp.take_along_axis(logp, yb[:, None], 1))

    @jax.jit
    def step(ps, m, v, t, xb, yb, key):
        g = jax.grad(loss_fn)(ps, xb, yb, key)
        m = [0.9 * a + 0.1 * b for a, b in zip(m, g)]
        v = [0.999 * a + 0.001 * b * b for a, b in zip(v, g)]
        lr = 1e-3 * jnp.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        ps = [p - lr * a / (jnp.sqrt(b) + 1e-7) for p, a, b in zip(ps, m, v)]
        return ps, m, v

    key = jax.random.PRNGKey(0)
    ks = jax.random.split(key, 4)
    shapes = [(3, 3, 1, 32), (32,), (3, 3, 32, 64), (64,), (1600, 10), (10,)]
    ps = [0.05 * jax.random.normal(ks[i % 4], s) if len(s) > 1 else jnp.zeros(s)
          for i, s in enumerate(shapes)]
    m = [jnp.zeros_like(p) for p in ps]
    v = [jnp.zeros_like(p) for p in ps]

    def run(lo, hi, ps, m, v):
        for i in range(lo, hi):
            sl = slice(i * BATCH, (i + 1) * BATCH)
            ps, m, v = step(ps, m, v, i + 1.0, x[sl], y[sl], jax.random.fold_in(key, i))
        jax.block_until_ready(ps)
        return ps, m, v

    ps, m, v = run(0, WARMUP, ps, m, v)
    t = time.perf_counter()
    run(WARMUP, WARMUP + steps, ps, m, v)
    return time.perf_counter() - t


def worker(name, steps, threads, batch=None):
    """Run one framework in this (fresh) process and print one JSON line."""
    global BATCH
    BATCH = batch or BATCH
    set_threads(threads)
    if name in ("tapeflow",):
        sys.path.insert(0, ROOT)
    x, y, source = batches((WARMUP + steps) * BATCH)
    if name in ("tapeflow", "tensorflow"):
        dt = run_keras(name, x, y, steps, threads)
    elif name == "torch":
        dt = run_torch(x, y, steps, threads)
    else:
        dt = run_jax(x, y, steps, threads)
    print(json.dumps({"seconds": dt, "rss_mb": peak_rss_mb(), "source": source}))


# -- the driver -----------------------------------------------------------------------------
def train_flops_per_sample():
    """Multiply-adds x 2 of one training step per sample: each layer's forward, its filter
    gradient and (except the first layer, whose input needs none) its input gradient."""
    conv1 = 2 * 26 * 26 * 32 * 3 * 3 * 1
    conv2 = 2 * 11 * 11 * 64 * 3 * 3 * 32
    dense = 2 * 1600 * 10
    return 2 * conv1 + 3 * conv2 + 3 * dense


def matmul_peak(n=2048, repeats=5):
    """Best float32 GFLOP/s of an n x n NumPy matmul (this process's thread setting)."""
    import numpy as np

    a = np.random.default_rng(0).random((n, n), np.float32)
    a @ a
    best = min(_timed(lambda: a @ a) for _ in range(repeats))
    return 2 * n ** 3 / best / 1e9


def _timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def available(name):
    return importlib.util.find_spec(name) is not None


def parse_args(doc, frameworks, extra=None):
    """The options every steps benchmark takes (``lstm_steps.py`` shares them, adding its own
    through ``extra(parser)``)."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    if extra is not None:
        extra(ap)
    ap.add_argument("--steps", type=int, default=100, help="timed training steps (default 100)")
    ap.add_argument("--repeats", type=int, default=3,
                    help="fresh runs per framework, interleaved; the median is shown")
    ap.add_argument("--threads", type=int, default=None,
                    help="threads for every framework (default: each framework's default)")
    ap.add_argument("--only", default=None, help="comma-separated subset of " +
                    ",".join(frameworks))
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    return ap.parse_args()


def importable(names):
    """The frameworks of ``names`` that can run here (tapeflow always), noting the rest."""
    present = []
    for name in names:
        if name == "tapeflow" or available(name):
            present.append(name)
        else:
            print(f"({name} not importable: skipped)")
    return present


def print_rates(present, secs, rss, steps, flops, peak, labels):
    """Print the table of each workload's median samples/s, ms/step, GFLOP/s against the
    matmul ``peak`` and peak RSS (``lstm_steps.py`` shares it); return samples/s by name."""
    print(f"float32 matmul peak (NumPy 2048^3): {peak:.1f} GFLOP/s; training work "
          f"{flops / 1e6:.2f} MFLOP/sample")
    print(f"{'workload':16s} {'samples/s':>10s} {'ms/step':>8s} {'GFLOP/s':>8s} "
          f"{'% peak':>7s} {'peak RSS MB':>12s}")
    rate = {}
    for name in present:
        if not secs[name]:
            continue
        dt = statistics.median(secs[name])
        rate[name] = BATCH * steps / dt
        gf = rate[name] * flops / 1e9
        print(f"{labels[name]:16s} {rate[name]:10,.0f} {1000 * dt / steps:8.1f} "
              f"{gf:8.1f} {100 * gf / peak:6.1f}% {max(rss[name]):12.0f}")
    return rate


def run_workers(script, present, args, batch=None):
    """Each framework's worker in fresh interpreters, ``args.repeats`` rounds interleaved (so
    load changes hit every framework alike): per framework the list of results."""
    results = {n: [] for n in present}
    for _ in range(args.repeats):
        for name in present:
            cmd = [sys.executable, os.path.abspath(script), "--worker", name,
                   "--steps", str(args.steps)] + (
                ["--threads", str(args.threads)] if args.threads else []) + (
                ["--batch", str(batch)] if batch else [])
            out = subprocess.run(cmd, capture_output=True, text=True)
            lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
            if out.returncode or not lines:
                print(f"{name} failed:\n{out.stderr[-2000:]}")
                continue
            results[name].append(json.loads(lines[-1]))
    return results


def _batch_option(ap):
    ap.add_argument("--batch", type=int, action="append", default=None,
                    help="batch size; repeat for several (default: 128 and 32)")


def main():
    global BATCH
    args = parse_args(__doc__, FRAMEWORKS, _batch_option)
    if args.worker:
        return worker(args.worker, args.steps, args.threads, (args.batch or [None])[-1])
    bytecode()
    set_threads(args.threads)
    present = importable(args.only.split(",") if args.only else FRAMEWORKS)
    peak = matmul_peak()
    for batch in args.batch or (128, 32):
        BATCH = batch
        compare(present, args, peak, batch)


# NOTE: issue 19's targets: at least TF fit's samples/s and 1.3x PyTorch eager's, at batch 128
# and at batch 32; peak RSS at most half of TF's.
TARGETS = (("tensorflow", 1.0), ("torch", 1.3))


def compare(present, args, peak, batch):
    """Run every framework at ``batch``, print the table and ratios, emit the report rows."""
    results = run_workers(__file__, present, args, batch)
    secs = {n: [r["seconds"] for r in results[n]] for n in present}
    rss = {n: [r["rss_mb"] for r in results[n]] for n in present}
    source = next((r["source"] for n in present for r in results[n]), "?")
    flops = train_flops_per_sample()
    print(f"\nconvnet 32c3-p2-64c3-p2-drop-10, Adam, batch {BATCH}, {args.steps} steps after "
          f"{WARMUP} warm-up steps, on {source}; median of {args.repeats} fresh processes "
          f"(threads: {args.threads or 'default'})")
    rate = print_rates(present, secs, rss, args.steps, flops, peak, LABELS)
    if "tapeflow" in rate:
        print("\nratios (targets from issue 19):")
        for peer, target in TARGETS + (("jax", None),):
            if peer in rate:
                r = rate["tapeflow"] / rate[peer]
                want = f">= {target}x" if target else ""
                print(f"  tapeflow / {LABELS[peer]:14s} samples/s {r:5.2f}x  {want}")
        if "tensorflow" in rss and rss["tensorflow"]:
            print(f"  tapeflow / TF peak RSS {max(rss['tapeflow']) / max(rss['tensorflow']):9.2f}x"
                  f"  <= 0.5x")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _report  # the driver only: the workers (this same file) stay lean

    targets = []
    for peer, lo in TARGETS:
        r = rate["tapeflow"] / rate[peer] if "tapeflow" in rate and peer in rate else None
        targets.append((f"samples/s tapeflow / {LABELS[peer]} >= {lo}x", r,
                        None if r is None else r >= lo))
    targets.append(_report.rss_target(max(rss.get("tapeflow") or [0]),
                                      max(rss.get("tensorflow") or [0])))
    _report.emit("cnn_steps", f"convnet, batch {BATCH}, {args.steps} steps (threads: "
                 f"{args.threads or 'default'}); matmul peak {peak:.0f} GFLOP/s",
                 "higher is better except ms/step and RSS",
                 [(LABELS[n], {"samples/s": rate[n], "ms/step": 1000 * BATCH / rate[n],
                               "GFLOP/s": rate[n] * flops / 1e9,
                               "peak RSS MB": max(rss[n])}) for n in present if n in rate],
                 targets, higher_is_better=True)


if __name__ == "__main__":
    main()
