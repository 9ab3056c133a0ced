"""Input-pipeline throughput: the workshop's ``tf.data`` pipeline in tapeflow next to TensorFlow.

Pipelines, each one full pass over the 60,000 MNIST training images with no training:

* ``map->batch`` (the seed's): ``from_tensor_slices((x, y)).map(preprocess_tfdata)
  .shuffle(5000).batch(256).prefetch(AUTOTUNE)``
* ``batch->map``: ``from_tensor_slices((x, y)).shuffle(5000).batch(256)
  .map(preprocess_batch).prefetch(AUTOTUNE)`` -- the seed's function reshapes each element to
  ``(1, 784)`` and so cannot take a batch; ``preprocess_batch`` is its batch form.

plus, when ``tf.keras`` pieces are importable, one epoch of the seed's ``tf.data`` training loop
(Dense(50)-ReLU-Dense(10, softmax), SGD 0.05) next to the same loop fed by slicing in-memory
arrays, showing what the pipeline costs. Run it with the peers' environment::

    PYTHONPATH=. .bench-venv/bin/python benchmarks/input_pipeline.py [--passes 3] [--no-train]

Elements/s are the best of ``--passes`` passes (after the first, which is also shown). Quote
ratios, not absolute numbers: machines are noisy. Last, each framework's peak resident memory
for one pass of both pipelines and one ``tf.data``-fed epoch, each in a fresh interpreter.
"""
import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _report  # noqa: E402

import tapeflow  # noqa: E402
from tapeflow.keras.datasets import mnist  # noqa: E402


def make_functions(tf):
    def preprocess_tfdata(x, y):  # the workshop's function, as written there
        x = tf.reshape(x, (1, 28 * 28))
        x = tf.cast(tf.squeeze(x), tf.float32) / 255.0
        return x, y

    def preprocess_batch(x, y):
        x = tf.reshape(x, (-1, 28 * 28))
        x = tf.cast(x, tf.float32) / 255.0
        return x, y

    return preprocess_tfdata, preprocess_batch


def pipelines(tf, x, y):
    pre, pre_batch = make_functions(tf)
    auto = tf.data.experimental.AUTOTUNE
    return {
        "map->batch": lambda: tf.data.Dataset.from_tensor_slices((x, y)).map(pre)
        .shuffle(buffer_size=5000).batch(256).prefetch(buffer_size=auto),
        "batch->map": lambda: tf.data.Dataset.from_tensor_slices((x, y))
        .shuffle(buffer_size=5000).batch(256).map(pre_batch).prefetch(buffer_size=auto),
    }


def one_pass(ds):
    t = time.perf_counter()
    n = 0
    for xb, _ in ds:
        n += int(xb.shape[0])
    return n, time.perf_counter() - t


def measure(tf, x, y, passes):
    out = {}
    for name, build in pipelines(tf, x, y).items():
        ds = build()
        rates = []
        for _ in range(passes):
            n, dt = one_pass(ds)
            assert n == len(x), (name, n)
            rates.append(n / dt)
        out[name] = (rates[0], max(rates))
    return out


def train_epoch(tf, x, y, use_dataset, seed=0):
    """One epoch of the seed's loop; returns (seconds, final batch loss)."""
    tf.random.set_seed(seed)
    pre, _ = make_functions(tf)
    model = tf.keras.Sequential([
        tf.keras.layers.Dense(50), tf.keras.layers.ReLU(),
        tf.keras.layers.Dense(10, activation="softmax")])
    optimizer = tf.keras.optimizers.SGD(learning_rate=0.05)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=False)
    model(tf.zeros((1, 784)))
    if use_dataset:
        batches = tf.data.Dataset.from_tensor_slices((x, y)).map(pre).shuffle(
            buffer_size=5000).batch(256).prefetch(buffer_size=tf.data.experimental.AUTOTUNE)
    else:
        xf = (x.reshape(-1, 784).astype(np.float32) / 255.0)
        perm = np.random.default_rng(seed).permutation(len(x))
        batches = ((xf[perm[i:i + 256]], y[perm[i:i + 256]]) for i in range(0, len(x), 256))
    t = time.perf_counter()
    loss = None
    for xb, yb in batches:
        with tf.GradientTape() as tape:
            y_pred = model(xb)
            loss = tf.reduce_mean(loss_fn(y_true=yb, y_pred=y_pred))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return time.perf_counter() - t, float(loss.numpy())


def rss_worker(module):
    """In a fresh interpreter: one pass of each pipeline and one tf.data-fed epoch, then print
    the process's peak resident memory (MiB)."""
    import importlib

    tf = importlib.import_module(module)
    (x, y), _ = mnist.load_data()
    for build in pipelines(tf, x, y).values():
        one_pass(build())
    train_epoch(tf, x, y, True)
    print(_report.peak_rss_mib())


def peak_memory(frameworks):
    """``{name: peak MiB or None}``, each framework's ``rss_worker`` in its own interpreter."""
    out = {}
    for name, mod in frameworks.items():
        p = subprocess.run([sys.executable, os.path.abspath(__file__), "--rss-worker",
                            mod.__name__], capture_output=True, text=True, timeout=1800)
        lines = p.stdout.strip().splitlines()
        out[name] = float(lines[-1]) if p.returncode == 0 and lines else None
        if p.returncode:
            print(f"  {name}: memory run failed (exit {p.returncode}): {p.stderr[-500:]}")
    return out


def report_memory(frameworks):
    peaks = peak_memory(frameworks)
    print("\nPeak resident memory, a fresh interpreter per framework (both pipelines once and "
          "one tf.data-fed epoch):")
    for name, mib in peaks.items():
        print(f"  {name:<16}{'-' if mib is None else f'{mib:8.0f} MiB'}")
    tf_name = next((n for n in peaks if n.startswith("TF")), None)
    row = _report.rss_target(peaks["tapeflow"], peaks.get(tf_name))
    if row[1] is not None:
        print(f"  {row[0]}: {row[1]:.2f}x  {'met' if row[2] else 'MISSED'}")
    _report.emit("input_pipeline", "tf.data pipelines and one tf.data-fed epoch: peak resident "
                 "memory", "MiB", [("both pipelines + one epoch",
                                    {("TF" if n == tf_name else n): v for n, v in peaks.items()})],
                 [row])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--no-train", action="store_true", help="skip the training-epoch part")
    ap.add_argument("--no-tf", action="store_true", help="skip TensorFlow")
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    ap.add_argument("--rss-worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.rss_worker:
        return rss_worker(args.rss_worker)

    (x, y), _ = mnist.load_data()
    print(f"MNIST train {x.shape} {x.dtype}; {os.cpu_count()} CPUs; numpy {np.__version__}")
    frameworks = {"tapeflow": tapeflow}
    if not args.no_tf:
        try:
            import tensorflow  # optional peer
            frameworks["TF " + tensorflow.__version__] = tensorflow
        except ImportError as e:
            print(f"TensorFlow not importable ({e}); tapeflow only")
    results = {name: measure(mod, x, y, args.passes) for name, mod in frameworks.items()}

    names = list(results)
    print(f"\nOne full pass, elements/s (first pass / best of {args.passes}):")
    header = f"{'pipeline':<12}" + "".join(f"{n:>28}" for n in names)
    if len(names) > 1:
        header += f"{'tapeflow/TF (best)':>22}"
    print(header)
    for p in pipelines(tapeflow, x, y):
        row = f"{p:<12}"
        for n in names:
            first, best = results[n][p]
            row += f"{first:>15,.0f} /{best:>11,.0f}"
        if len(names) > 1:
            row += f"{results['tapeflow'][p][1] / results[names[1]][p][1]:>21.1f}x"
        print(row)

    # tapeflow's per-element fallback (what a function that is not batch-safe gets)
    pre, _ = make_functions(tapeflow)
    mapped = tapeflow.data.Dataset.from_tensor_slices((x, y)).map(pre)
    mapped._vec = False
    ds = mapped.shuffle(5000).batch(256).prefetch(tapeflow.data.AUTOTUNE)
    n, dt = one_pass(ds)
    print(f"{'map->batch, tapeflow per-element fallback (no block fusion)':<60}{n / dt:>12,.0f}")

    if not args.no_memory:
        report_memory(frameworks)
    if args.no_train:
        return
    print("\nOne training epoch of the seed's loop (235 steps of 256), best of two:")
    for name, mod in frameworks.items():
        try:  # alternate the two loops and keep the faster of two runs each
            runs = [train_epoch(mod, x, y, use) for use in (True, False, True, False)]
            (t_ds, loss_ds), (t_np, loss_np) = min(runs[0::2]), min(runs[1::2])
        except (AttributeError, ImportError, NotImplementedError, TypeError) as e:
            print(f"  {name}: skipped ({type(e).__name__}: {e})")
            continue
        print(f"  {name}: tf.data-fed {t_ds:.2f} s (last loss {loss_ds:.3f}), array-fed "
              f"{t_np:.2f} s (last loss {loss_np:.3f}), ratio {t_ds / t_np:.2f}")


if __name__ == "__main__":
    main()
