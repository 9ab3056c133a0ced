"""One epoch of an MLP on MNIST in tapeflow and its peers, in samples/s.

Two models, the same initial weights in every framework, batch 256, one pass over the 60,000
training images (pixels / 255), sparse categorical cross-entropy:

* ``seed``: the workshop's 784 -> Dense 50 -> ReLU -> Dense 10, SGD with learning rate 0.05;
* ``mlp3``: 784 -> 128 -> ReLU -> 64 -> ReLU -> 10 with Adam (1e-3), to show that the gains
  are not a special case of the seed's model.

Workloads: tapeflow (a) a custom ``GradientTape`` loop, eager, (b) the same loop under
``tf.function``, (c) ``model.fit`` (setup and first step included); TensorFlow, when
importable, the same three; PyTorch eager and JAX ``jit`` when importable; a hand-written
NumPy forward/backward loop (the practical limit for a NumPy backend).

Each line also gives test accuracy after the epoch, as a sanity check that every framework
did the same work. Runs are interleaved (load changes hit everyone alike), medians reported.
Each repeat runs every framework in a fresh interpreter of its own (the NumPy loop shares
tapeflow's, and so its OpenBLAS setting): a peer's thread pool, still spinning after its run,
would otherwise slow the next framework's products (and could trip tapeflow's BLAS load watch).

    PYTHONPATH=. .bench-venv/bin/python benchmarks/mlp_epoch.py [--repeats 3] [--threads N]
        [--model seed|mlp3|both]

``--threads N`` sets the BLAS/OpenMP thread count of every framework alike (before they load).
"""
import argparse
import importlib
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

BATCH = 256
MODELS = {  # hidden sizes, optimizer, learning rate
    "seed": ((50,), "sgd", 0.05),
    "mlp3": ((128, 64), "adam", 1e-3),
}
B1, B2, EPS = 0.9, 0.999, 1e-7  # Keras's Adam defaults, used by every hand-written Adam


# NOTE: the frameworks (and NumPy where a thread count applies) are imported inside the
# functions that time them: each loads only in the process that runs it, after the thread
# settings.
def load(np):
    import tapeflow as tf

    (xtr, ytr), (xte, yte) = tf.keras.datasets.mnist.load_data()
    # pixels / 255 in float32 throughout: no float64 copy of the dataset
    xtr = xtr.reshape(-1, 784).astype(np.float32) / np.float32(255)
    xte = xte.reshape(-1, 784).astype(np.float32) / np.float32(255)
    return xtr, ytr.astype(np.int64), xte, yte.astype(np.int64)


def init_weights(np, hidden):
    rng = np.random.default_rng(0)
    sizes = (784, *hidden, 10)
    ws = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        lim = np.sqrt(6 / (a + b))  # glorot_uniform, as Keras's Dense
        ws += [rng.uniform(-lim, lim, (a, b)).astype(np.float32), np.zeros(b, np.float32)]
    return ws


def accuracy(np, logits, y):
    return float((np.asarray(logits).argmax(1) == y).mean())


def forward(relu, x, ws):
    for i in range(0, len(ws) - 2, 2):
        x = relu(x @ ws[i] + ws[i + 1])
    return x @ ws[-2] + ws[-1]


# -- tapeflow and TensorFlow: the same code, since tapeflow's API is TF's -------------------
def keras_optimizer(tf, kind, lr):
    return tf.keras.optimizers.SGD(lr) if kind == "sgd" else tf.keras.optimizers.Adam(lr)


def tf_like_loop(module_name, data, w0, traced, kind, lr, converted=False):
    """One epoch of the GradientTape loop; ``converted``: the batches made tensors before the
    clock starts (``tf.constant`` copies its array, as TF's does: the NumPy loop copies none)."""
    import numpy as np

    tf = importlib.import_module(module_name)
    xtr, ytr, xte, yte = data
    if converted:
        batches = [(tf.constant(xtr[i:i + BATCH]), tf.constant(ytr[i:i + BATCH]))
                   for i in range(0, len(xtr), BATCH)]
    vs = [tf.Variable(w) for w in w0]
    opt = keras_optimizer(tf, kind, lr)

    def step(x, y):
        with tf.GradientTape() as tape:
            logits = forward(tf.nn.relu, x, vs)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
        grads = tape.gradient(loss, vs)
        opt.apply_gradients(zip(grads, vs))
        return loss

    fn = tf.function(step) if traced else step
    t = time.perf_counter()
    if converted:
        for x, y in batches:
            fn(x, y)
    else:
        for i in range(0, len(xtr), BATCH):
            fn(tf.constant(xtr[i:i + BATCH]), tf.constant(ytr[i:i + BATCH]))
    dt = time.perf_counter() - t
    return dt, accuracy(np, forward(tf.nn.relu, xte, vs), yte)


def tf_like_fit(module_name, data, w0, hidden, kind, lr):
    import numpy as np

    tf = importlib.import_module(module_name)
    xtr, ytr, xte, yte = data
    t = time.perf_counter()
    layers = []
    for h in hidden:
        layers += [tf.keras.layers.Dense(h), tf.keras.layers.ReLU()]
    model = tf.keras.Sequential(layers + [tf.keras.layers.Dense(10, activation="softmax")])
    model.build((None, 784))
    model.set_weights(w0)
    model.compile(optimizer=keras_optimizer(tf, kind, lr),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(xtr, ytr, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    dt = time.perf_counter() - t
    return dt, accuracy(np, model.predict(xte, verbose=0), yte)


# -- PyTorch, JAX, NumPy --------------------------------------------------------------------
def torch_loop(data, w0, kind, lr):
    import numpy as np
    import torch

    xtr, ytr, xte, yte = data
    ps = [torch.tensor(w, requires_grad=True) for w in w0]
    opt = (torch.optim.SGD(ps, lr) if kind == "sgd"
           else torch.optim.Adam(ps, lr, betas=(B1, B2), eps=EPS))
    xt, yt = torch.from_numpy(xtr), torch.from_numpy(ytr)
    t = time.perf_counter()
    for i in range(0, len(xtr), BATCH):
        x, y = xt[i:i + BATCH], yt[i:i + BATCH]
        loss = torch.nn.functional.cross_entropy(forward(torch.relu, x, ps), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    dt = time.perf_counter() - t
    with torch.no_grad():
        logits = forward(torch.relu, torch.from_numpy(xte), ps)
    return dt, accuracy(np, logits.numpy(), yte)


def jax_loop(data, w0, kind, lr):
    import jax
    import jax.numpy as jnp
    import numpy as np

    xtr, ytr, xte, yte = data

    def loss_fn(ps, x, y):
        logits = forward(jax.nn.relu, x, ps)
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], 1))

    @jax.jit
    def step(state, x, y):
        ps, ms, vs, k = state
        grads = jax.grad(loss_fn)(ps, x, y)
        if kind == "sgd":
            return [p - lr * g for p, g in zip(ps, grads)], ms, vs, k
        k = k + 1
        ms = [B1 * m + (1 - B1) * g for m, g in zip(ms, grads)]
        vs = [B2 * v + (1 - B2) * g * g for v, g in zip(vs, grads)]
        a = lr * jnp.sqrt(1 - B2 ** k) / (1 - B1 ** k)
        return [p - a * m / (jnp.sqrt(v) + EPS) for p, m, v in zip(ps, ms, vs)], ms, vs, k

    ps = [jnp.asarray(w) for w in w0]
    state = (ps, [jnp.zeros_like(p) for p in ps], [jnp.zeros_like(p) for p in ps],
             jnp.float32(0))
    t = time.perf_counter()
    for i in range(0, len(xtr), BATCH):
        state = step(state, xtr[i:i + BATCH], ytr[i:i + BATCH])
    jax.block_until_ready(state)
    dt = time.perf_counter() - t
    return dt, accuracy(np, forward(jax.nn.relu, xte, state[0]), yte)


def numpy_loop(data, w0, kind, lr):
    import numpy as np

    xtr, ytr, xte, yte = data
    ws = [w.copy() for w in w0]
    ms = [np.zeros_like(w) for w in ws]
    vs = [np.zeros_like(w) for w in ws]
    k = 0
    t = time.perf_counter()
    for i in range(0, len(xtr), BATCH):
        x, y = xtr[i:i + BATCH], ytr[i:i + BATCH]
        n = len(x)
        acts, zs = [x], []
        for j in range(0, len(ws) - 2, 2):
            z = acts[-1] @ ws[j] + ws[j + 1]
            zs.append(z)
            acts.append(np.maximum(z, 0))
        logits = acts[-1] @ ws[-2] + ws[-1]
        e = np.exp(logits - logits.max(1, keepdims=True))
        g = e / e.sum(1, keepdims=True)
        g[np.arange(n), y] -= 1
        g /= n
        grads = [None] * len(ws)
        for j in range(len(ws) - 2, -1, -2):
            grads[j], grads[j + 1] = acts[j // 2].T @ g, g.sum(0)
            if j:
                g = (g @ ws[j].T) * (zs[j // 2 - 1] > 0)
        if kind == "sgd":
            for w, gw in zip(ws, grads):
                w -= lr * gw
        else:
            k += 1
            a = lr * np.sqrt(1 - B2 ** k) / (1 - B1 ** k)
            for w, gw, m, v in zip(ws, grads, ms, vs):
                m *= B1
                m += (1 - B1) * gw
                v *= B2
                v += (1 - B2) * gw * gw
                w -= a * m / (np.sqrt(v) + EPS)
    dt = time.perf_counter() - t
    return dt, accuracy(np, forward(lambda z: np.maximum(z, 0), xte, ws), yte)


def available(name):
    try:
        __import__(name)
        return True
    except Exception:
        return False


GROUPS = ("tapeflow", "tensorflow", "torch", "jax")  # one fresh process each per repeat


def group_of(name):
    """The process a workload runs in: its framework's (the NumPy loop shares tapeflow's)."""
    first = name.split()[0]
    return {"TF": "tensorflow", "PyTorch": "torch", "JAX": "jax"}.get(first, "tapeflow")


def runs_for(model, data, np, threads):
    hidden, kind, lr = MODELS[model]
    w0 = init_weights(np, hidden)
    runs = [("tapeflow GradientTape loop, eager",
             lambda: tf_like_loop("tapeflow", data, w0, False, kind, lr)),
            ("tapeflow GradientTape loop, tf.function",
             lambda: tf_like_loop("tapeflow", data, w0, True, kind, lr)),
            ("tapeflow model.fit (setup included)",
             lambda: tf_like_fit("tapeflow", data, w0, hidden, kind, lr)),
            ("NumPy hand-written forward/backward", lambda: numpy_loop(data, w0, kind, lr)),
            ("tapeflow tf.function loop, batches converted untimed",
             lambda: tf_like_loop("tapeflow", data, w0, True, kind, lr, converted=True))]
    if available("tensorflow"):
        import tensorflow as tf_real

        if threads:
            tf_real.config.threading.set_intra_op_parallelism_threads(threads)
        runs += [("TF eager loop", lambda: tf_like_loop("tensorflow", data, w0, False, kind, lr)),
                 ("TF @tf.function loop",
                  lambda: tf_like_loop("tensorflow", data, w0, True, kind, lr)),
                 ("TF model.fit (setup included)",
                  lambda: tf_like_fit("tensorflow", data, w0, hidden, kind, lr))]
    if available("torch"):
        import torch

        if threads:
            torch.set_num_threads(threads)
        runs.append(("PyTorch eager", lambda: torch_loop(data, w0, kind, lr)))
    if available("jax"):
        runs.append(("JAX jit", lambda: jax_loop(data, w0, kind, lr)))
    return runs


TARGETS = [  # (label, numerator, denominator, minimum ratio) from the Keras and speed issues
    ("eager loop / PyTorch eager", "tapeflow GradientTape loop, eager", "PyTorch eager", 1.0),
    ("eager loop / TF eager loop", "tapeflow GradientTape loop, eager", "TF eager loop", 5.0),
    ("tf.function loop / JAX jit", "tapeflow GradientTape loop, tf.function", "JAX jit", 1.0),
    ("tf.function loop / NumPy", "tapeflow GradientTape loop, tf.function",
     "NumPy hand-written forward/backward", 1.0),  # issue 19 (issue 7 asked 0.85)
    ("same, batches converted untimed / NumPy",
     "tapeflow tf.function loop, batches converted untimed",
     "NumPy hand-written forward/backward", 1.0),
    ("fit / TF fit", "tapeflow model.fit (setup included)", "TF model.fit (setup included)",
     2.0),
    ("fit / JAX jit", "tapeflow model.fit (setup included)", "JAX jit", 1.0),
]


MEMORY_RUNS = ["tapeflow model.fit (setup included)", "tapeflow GradientTape loop, eager",
               "TF model.fit (setup included)", "TF eager loop", "PyTorch eager", "JAX jit"]


def peak_rss(model, threads):
    """Peak resident memory (MiB) of a fresh interpreter that loads MNIST and runs one
    workload's epoch: the whole process, framework import included, as a user sees it."""
    out = {}
    for name in MEMORY_RUNS:
        cmd = [sys.executable, os.path.abspath(__file__), "--rss-worker", name,
               "--model", model] + (["--threads", str(threads)] if threads else [])
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
        lines = p.stdout.strip().splitlines()
        out[name] = float(lines[-1]) if p.returncode == 0 and lines else None
    return out


def _only_peer(peer):
    """Make ``runs_for`` import no peer framework but ``peer`` (None: none)."""
    global available
    have = available
    available = lambda module: module == peer and have(module)


def rss_worker(name, model, threads):
    import _report  # json, os, runpy only
    import numpy as np

    group = group_of(name)
    _only_peer(None if group == "tapeflow" else group)
    data = load(np)
    runs = dict(runs_for(model, data, np, threads))
    if name in runs:
        runs[name]()
        print(_report.peak_rss_mib())


def group_worker(group, model, threads):
    """One repeat of ``group``'s workloads in this fresh process: a JSON line of
    ``{workload: [samples/s, test accuracy]}`` in ``runs_for``'s order, the number of training
    images (``_samples``) and, for tapeflow, its load watch's switch."""
    import json

    import numpy as np

    _only_peer(None if group == "tapeflow" else group)
    data = load(np)
    out = {"_samples": len(data[0])}
    for name, fn in runs_for(model, data, np, threads):
        if group_of(name) == group:
            dt, acc = fn()
            out[name] = [len(data[0]) / dt, acc]
    if group == "tapeflow":
        from tapeflow.backend import tuning

        out["_switch"] = tuning.load_switch()
    print(json.dumps(out))


def run_group(group, model, threads):
    """``group_worker``'s result from a fresh interpreter (None if it failed)."""
    import json

    cmd = [sys.executable, os.path.abspath(__file__), "--group-worker", group,
           "--model", model] + (["--threads", str(threads)] if threads else [])
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    if p.returncode or not lines:
        print(f"{group} failed:\n{p.stderr[-2000:]}")
        return None
    return json.loads(lines[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--model", choices=["seed", "mlp3", "both"], default="both")
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-RSS runs")
    ap.add_argument("--rss-worker", help=argparse.SUPPRESS)
    ap.add_argument("--group-worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.threads:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)
    if args.rss_worker:
        return rss_worker(args.rss_worker, args.model, args.threads)
    if args.group_worker:
        return group_worker(args.group_worker, args.model, args.threads)
    import _report  # the driver only: the workers (this same file) stay lean

    _report.ensure_bytecode()
    groups = ["tapeflow"]
    for peer in ("tensorflow", "torch", "jax"):
        if available(peer):
            groups.append(peer)
        else:
            print(f"({peer} not importable: skipped)")
    models = ["seed", "mlp3"] if args.model == "both" else [args.model]
    for model in models:
        # NOTE: the workers load the data and name the workloads (in runs_for's order): the
        # driver loads and builds nothing
        results, accs, switches, samples = {}, {}, [], None
        for _ in range(args.repeats):  # interleaved, so load changes hit every framework alike
            for group in groups:
                got = run_group(group, model, args.threads) or {}
                samples = got.pop("_samples", samples)
                if group == "tapeflow":
                    switches.append(got.pop("_switch", {}))
                for name, (rate, acc) in got.items():
                    results.setdefault(name, []).append(rate)
                    accs[name] = acc
        hidden, kind, lr = MODELS[model]
        title = (f"MLP {'-'.join(map(str, (784, *hidden, 10)))} ({model}), {kind} {lr}, "
                 f"batch {BATCH}, one epoch of {samples} MNIST images")
        print(f"\n{title}; median of {args.repeats} (threads: {args.threads or 'default'})")
        print(f"{'workload':44s} {'samples/s':>12s} {'test acc':>9s}")
        med = {k: statistics.median(v) for k, v in results.items()}
        for name in med:
            print(f"{name:44s} {med[name]:12,.0f} {accs[name]:9.4f}")
        print("ratios (targets):")
        met = []
        for label, a, b, target in TARGETS:
            got = med[a] / med[b] if a in med and b in med else None
            verdict = "n/a" if got is None else ("met" if got >= target else "MISSED")
            shown = "-" if got is None else f"{got:.2f}x"
            print(f"  {label:32s} {shown:>8s}  >= {target}x  {verdict}")
            met.append((f"{label} >= {target}x", got, None if got is None else got >= target))
        # NOTE: tapeflow's workloads and the NumPy loop share a process, and so OpenBLAS's
        # thread setting
        switched = [sw for sw in switches if sw]
        print(f"tapeflow's BLAS load watch: kept OpenBLAS's threads in "
              f"{len(switches) - len(switched)} of {len(switches)} processes" + "".join(
                  f"; switched to one thread after products of {sw['macs']:,} multiply-adds "
                  f"took {sw['multi_per_mac'] / sw['one_per_mac']:.2f}x one thread's time"
                  for sw in switched))
        rss = {} if args.no_memory else peak_rss(model, args.threads)
        if rss:
            print("peak RSS of a fresh process running one epoch (MiB):")
            for name, mib in rss.items():
                print(f"  {name:42s} {'-' if mib is None else f'{mib:8.0f}'}")
            for ours, theirs, what in ((0, 2, "fit"), (1, 3, "eager loop")):
                a, b = rss.get(MEMORY_RUNS[ours]), rss.get(MEMORY_RUNS[theirs])
                row = _report.rss_target(a, b, f"peak RSS: tapeflow {what} / TF {what}")
                if row[1] is not None:
                    print(f"  {row[0]}: {a:.0f} vs {b:.0f} MiB = {row[1]:.2f}x  "
                          f"{'met' if row[2] else 'MISSED'}")
                    met.append(row)
        _report.emit(f"mlp_epoch_{model}", title, "samples/s, higher is better",
                     [(name, {"samples/s": med[name], "test acc": accs[name],
                              "peak RSS MiB": rss.get(name)})
                      for name in med], met, higher_is_better=True)


if __name__ == "__main__":
    sys.exit(main())
