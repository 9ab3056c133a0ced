"""One epoch of the workshop's MLP on MNIST in tapeflow and its peers, in samples/s.

The model is the seed's: 784 -> Dense 50 -> ReLU -> Dense 10 -> softmax, sparse
categorical cross-entropy, SGD with learning rate 0.05, batch 256, one pass over the 60,000
training images (pixels / 255), the same initial weights everywhere. Workloads:

* tapeflow: (a) a custom ``GradientTape`` loop, eager; (b) the same loop under
  ``tf.function``; (c) ``model.fit`` (setup and first step included);
* TensorFlow, when importable: eager loop, ``@tf.function`` loop, ``model.fit``;
* PyTorch eager, JAX ``jit`` (when importable); a hand-written NumPy forward/backward loop.

Each line also gives test accuracy after the epoch, as a sanity check that every framework
did the same work. Peers that are absent are skipped. Run with the peers' environment::

    PYTHONPATH=. /work/refenv/bin/python benchmarks/mlp_epoch.py [--repeats 3] [--threads N]

``--threads N`` sets the BLAS/OpenMP thread count of every framework alike (before they load).
"""
import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

BATCH, LR, HIDDEN = 256, 0.05, 50


def load(np):
    import tapeflow as tf

    (xtr, ytr), (xte, yte) = tf.keras.datasets.mnist.load_data()
    xtr = (xtr.reshape(-1, 784) / 255.0).astype(np.float32)
    xte = (xte.reshape(-1, 784) / 255.0).astype(np.float32)
    return xtr, ytr.astype(np.int64), xte, yte.astype(np.int64)


def init_weights(np):
    rng = np.random.default_rng(0)
    lim1, lim2 = np.sqrt(6 / (784 + HIDDEN)), np.sqrt(6 / (HIDDEN + 10))
    return [rng.uniform(-lim1, lim1, (784, HIDDEN)).astype(np.float32),
            np.zeros(HIDDEN, np.float32),
            rng.uniform(-lim2, lim2, (HIDDEN, 10)).astype(np.float32), np.zeros(10, np.float32)]


def accuracy(np, logits, y):
    return float((np.asarray(logits).argmax(1) == y).mean())


# -- tapeflow and TensorFlow: the same code, since tapeflow's API is TF's -------------------
def tf_like_loop(module_name, data, w0, traced):
    import importlib

    import numpy as np

    tf = importlib.import_module(module_name)
    xtr, ytr, xte, yte = data
    vs = [tf.Variable(w) for w in w0]
    opt = tf.keras.optimizers.SGD(learning_rate=LR)

    def step(x, y):
        with tf.GradientTape() as tape:
            h = tf.nn.relu(x @ vs[0] + vs[1])
            logits = h @ vs[2] + vs[3]
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
        grads = tape.gradient(loss, vs)
        opt.apply_gradients(zip(grads, vs))
        return loss

    fn = tf.function(step) if traced else step
    t = time.perf_counter()
    for i in range(0, len(xtr), BATCH):
        fn(tf.constant(xtr[i:i + BATCH]), tf.constant(ytr[i:i + BATCH]))
    dt = time.perf_counter() - t
    logits = tf.nn.relu(xte @ vs[0] + vs[1]) @ vs[2] + vs[3]
    return dt, accuracy(np, logits, yte)


def tf_like_fit(module_name, data, w0):
    import importlib

    import numpy as np

    tf = importlib.import_module(module_name)
    xtr, ytr, xte, yte = data
    t = time.perf_counter()
    model = tf.keras.Sequential([tf.keras.layers.Dense(HIDDEN), tf.keras.layers.ReLU(),
                                 tf.keras.layers.Dense(10, activation="softmax")])
    model.build((None, 784))
    model.set_weights(w0)
    model.compile(optimizer=tf.keras.optimizers.SGD(LR),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(xtr, ytr, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    dt = time.perf_counter() - t
    return dt, accuracy(np, model.predict(xte, verbose=0), yte)


# -- PyTorch, JAX, NumPy --------------------------------------------------------------------
def torch_loop(data, w0):
    import numpy as np
    import torch

    xtr, ytr, xte, yte = data
    ps = [torch.tensor(w, requires_grad=True) for w in w0]
    xt, yt = torch.from_numpy(xtr), torch.from_numpy(ytr)
    t = time.perf_counter()
    for i in range(0, len(xtr), BATCH):
        x, y = xt[i:i + BATCH], yt[i:i + BATCH]
        logits = torch.relu(x @ ps[0] + ps[1]) @ ps[2] + ps[3]
        loss = torch.nn.functional.cross_entropy(logits, y)
        grads = torch.autograd.grad(loss, ps)
        with torch.no_grad():
            for p, g in zip(ps, grads):
                p -= LR * g
    dt = time.perf_counter() - t
    with torch.no_grad():
        logits = torch.relu(torch.from_numpy(xte) @ ps[0] + ps[1]) @ ps[2] + ps[3]
    return dt, accuracy(np, logits.numpy(), yte)


def jax_loop(data, w0):
    import jax
    import jax.numpy as jnp
    import numpy as np

    xtr, ytr, xte, yte = data

    def loss_fn(ps, x, y):
        logits = jax.nn.relu(x @ ps[0] + ps[1]) @ ps[2] + ps[3]
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], 1))

    @jax.jit
    def step(ps, x, y):
        grads = jax.grad(loss_fn)(ps, x, y)
        return [p - LR * g for p, g in zip(ps, grads)]

    ps = [jnp.asarray(w) for w in w0]
    t = time.perf_counter()
    for i in range(0, len(xtr), BATCH):
        ps = step(ps, xtr[i:i + BATCH], ytr[i:i + BATCH])
    jax.block_until_ready(ps)
    dt = time.perf_counter() - t
    logits = jax.nn.relu(xte @ ps[0] + ps[1]) @ ps[2] + ps[3]
    return dt, accuracy(np, logits, yte)


def numpy_loop(data, w0):
    import numpy as np

    xtr, ytr, xte, yte = data
    w1, b1, w2, b2 = [w.copy() for w in w0]
    t = time.perf_counter()
    for i in range(0, len(xtr), BATCH):
        x, y = xtr[i:i + BATCH], ytr[i:i + BATCH]
        n = len(x)
        z = x @ w1 + b1
        h = np.maximum(z, 0)
        logits = h @ w2 + b2
        e = np.exp(logits - logits.max(1, keepdims=True))
        p = e / e.sum(1, keepdims=True)
        p[np.arange(n), y] -= 1
        g = p / n
        gw2, gb2 = h.T @ g, g.sum(0)
        gh = (g @ w2.T) * (z > 0)
        gw1, gb1 = x.T @ gh, gh.sum(0)
        w1 -= LR * gw1
        b1 -= LR * gb1
        w2 -= LR * gw2
        b2 -= LR * gb2
    dt = time.perf_counter() - t
    return dt, accuracy(np, np.maximum(xte @ w1 + b1, 0) @ w2 + b2, yte)


def available(name):
    try:
        __import__(name)
        return True
    except Exception:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    if args.threads:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)
    import numpy as np

    data = load(np)
    w0 = init_weights(np)
    runs = [("tapeflow GradientTape loop, eager",
             lambda: tf_like_loop("tapeflow", data, w0, False)),
            ("tapeflow GradientTape loop, tf.function",
             lambda: tf_like_loop("tapeflow", data, w0, True)),
            ("tapeflow model.fit (setup included)", lambda: tf_like_fit("tapeflow", data, w0)),
            ("NumPy hand-written forward/backward", lambda: numpy_loop(data, w0))]
    if available("tensorflow"):
        import tensorflow as tf_real

        if args.threads:
            tf_real.config.threading.set_intra_op_parallelism_threads(args.threads)
        runs += [("TF eager loop", lambda: tf_like_loop("tensorflow", data, w0, False)),
                 ("TF @tf.function loop", lambda: tf_like_loop("tensorflow", data, w0, True)),
                 ("TF model.fit (setup included)", lambda: tf_like_fit("tensorflow", data, w0))]
    else:
        print("(TensorFlow not importable: skipped)")
    if available("torch"):
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
        runs.append(("PyTorch eager", lambda: torch_loop(data, w0)))
    else:
        print("(PyTorch not importable: skipped)")
    if available("jax"):
        runs.append(("JAX jit", lambda: jax_loop(data, w0)))
    else:
        print("(JAX not importable: skipped)")
    results = {name: [] for name, _ in runs}
    accs = {}
    for _ in range(args.repeats):  # interleaved, so load changes hit every framework alike
        for name, fn in runs:
            dt, acc = fn()
            results[name].append(len(data[0]) / dt)
            accs[name] = acc
    print(f"\nMLP 784-50-10, SGD {LR}, batch {BATCH}, one epoch of {len(data[0])} MNIST images; "
          f"median of {args.repeats} (threads: {args.threads or 'default'})")
    print(f"{'workload':44s} {'samples/s':>12s} {'test acc':>9s}")
    for name, _ in runs:
        print(f"{name:44s} {statistics.median(results[name]):12,.0f} {accs[name]:9.4f}")
    med = {k: statistics.median(v) for k, v in results.items()}

    def ratio(a, b):
        return f"{med[a] / med[b]:.2f}x" if a in med and b in med else "n/a"

    print("\nratios (targets from the Keras issue):")
    eager, traced = "tapeflow GradientTape loop, eager", "tapeflow GradientTape loop, tf.function"
    fit = "tapeflow model.fit (setup included)"
    for label, a, b, target in [
            ("tapeflow eager loop / PyTorch eager", eager, "PyTorch eager", ">= 0.8x"),
            ("tapeflow eager loop / TF eager loop", eager, "TF eager loop", ">= 5x"),
            ("tapeflow fit / TF fit", fit, "TF model.fit (setup included)", ">= 1.0x"),
            ("tapeflow tf.function loop / NumPy", traced, "NumPy hand-written forward/backward",
             "")]:
        print(f"  {label:40s} {ratio(a, b):>8s}  {target}")

if __name__ == "__main__":
    main()
