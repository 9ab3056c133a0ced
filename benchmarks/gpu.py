"""GPU training throughput: tapeflow (CuPy) next to PyTorch CUDA and JAX, on one GPU.

Workloads (synthetic data of MNIST's shapes; the numbers are samples per second):

* the seed's MLP (784 -> Dense 50 -> ReLU -> Dense 10 softmax, sparse cross-entropy, SGD
  lr 0.01) at batch 256 and 4096;
* the convnet (Conv2D 32 3x3 relu, MaxPool 2, Conv2D 64 3x3 relu, MaxPool 2, Flatten,
  Dense 10 softmax; dropout left out so every framework does the same work; Adam) at batch
  128 and 1024.

Per framework: tapeflow eager (GradientTape + optimizer), tapeflow ``tf.function`` (the
same step traced), tapeflow ``tf.function`` with ``assign_sub`` updates (the form a CUDA
graph can replay; MLP only), tapeflow ``fit``; PyTorch eager and PyTorch CUDA graphs
(``torch.cuda.CUDAGraph``); JAX ``jit``. Plus a large matmul's TFLOP/s: bf16 through
PyTorch (the chip's measured peak) and float16 through tapeflow (CuPy has no bfloat16).

Prints a table and the ratios the issue targets, and writes JSON with ``--json PATH``.
Frameworks that are missing are skipped with a note. ``--quick`` times fewer steps.

    PYTHONPATH=. python3 benchmarks/gpu.py --json /tmp/gpu.json
"""
import argparse
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

WORKLOADS = [("mlp", 256), ("mlp", 4096), ("convnet", 128), ("convnet", 1024)]
CPU_DRY_RUN = False  # --cpu-dry-run: run tapeflow's workloads on the CPU, tiny, untimed


# NOTE: the frameworks (and NumPy where a thread count applies) are imported inside the
# functions that time them: each loads only in the process that runs it, after the thread
# settings.
def data(kind, batch, steps, seed=0):
    rng = np.random.default_rng(seed)
    n = batch * steps
    x = rng.uniform(0, 1, (n, 28, 28, 1) if kind == "convnet" else (n, 784))
    return x.astype(np.float32), rng.integers(0, 10, n).astype(np.int64)


def timed(step, n_warm, n_steps, sync):
    for i in range(n_warm):
        step(i)
    sync()
    t0 = time.perf_counter()
    for i in range(n_steps):
        step(i)
    sync()
    return time.perf_counter() - t0


# -- tapeflow ---------------------------------------------------------------------------------
def tapeflow_model(tf, kind):
    L = tf.keras.layers
    if kind == "mlp":
        return tf.keras.Sequential([L.Input((784,)), L.Dense(50), L.ReLU(),
                                    L.Dense(10, activation="softmax")])
    return tf.keras.Sequential([
        L.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
        L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(),
        L.Dense(10, activation="softmax")])


def bench_tapeflow(kind, batch, n_warm, n_steps):
    import tapeflow as tf

    if CPU_DRY_RUN:  # checks this code path on a machine without a GPU
        def sync():
            return None
    else:
        if not tf.config.list_physical_devices("GPU"):
            raise RuntimeError(tf.config.gpu_unavailable_reason)
        import cupy as cp

        sync = cp.cuda.Device().synchronize
    x, y = data(kind, batch, 8)
    xs = [tf.constant(x[i * batch:(i + 1) * batch]) for i in range(8)]
    ys = [tf.constant(y[i * batch:(i + 1) * batch]) for i in range(8)]
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy()
    out = {}

    def make_step(model, opt):
        def step(a, b):
            with tf.GradientTape() as tape:
                loss = loss_fn(b, model(a, training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            opt.apply_gradients(zip(grads, model.trainable_variables))
            return loss
        return step

    def new_opt():
        return tf.keras.optimizers.SGD(0.01) if kind == "mlp" else \
            tf.keras.optimizers.Adam(1e-3)

    tf.random.set_seed(0)
    model = tapeflow_model(tf, kind)
    step = make_step(model, new_opt())
    out["tapeflow eager"] = timed(lambda i: step(xs[i % 8], ys[i % 8]), n_warm, n_steps, sync)
    traced = tf.function(make_step(model, new_opt()))
    out["tapeflow tf.function"] = timed(lambda i: traced(xs[i % 8], ys[i % 8]), n_warm,
                                        n_steps, sync)
    if kind == "mlp":
        variables = model.trainable_variables

        @tf.function
        def sgd_step(a, b):  # updates as recorded assigns: a CUDA graph can replay this
            with tf.GradientTape() as tape:
                loss = loss_fn(b, model(a, training=True))
            for v, g in zip(variables, tape.gradient(loss, variables)):
                v.assign_sub(0.01 * g)
            return loss

        out["tapeflow tf.function (assign_sub)"] = timed(
            lambda i: sgd_step(xs[i % 8], ys[i % 8]), n_warm, n_steps, sync)
        runner = sgd_step.get_concrete_function(xs[0], ys[0])._gpu
        out["_cuda_graph_used"] = bool(runner is not None and runner.graph is not None)
    fit_model = tapeflow_model(tf, kind)
    fit_model.compile(new_opt(), "sparse_categorical_crossentropy")
    n_fit = max(n_steps, 8)
    fx, fy = data(kind, batch, n_fit, seed=1)
    fit_model.fit(fx[:batch * 2], fy[:batch * 2], batch_size=batch, epochs=1, verbose=0)
    sync()
    t0 = time.perf_counter()
    fit_model.fit(fx, fy, batch_size=batch, epochs=1, verbose=0)
    sync()
    out["tapeflow fit"] = (time.perf_counter() - t0) * n_steps / n_fit
    return out


# -- PyTorch ----------------------------------------------------------------------------------
def bench_torch(kind, batch, n_warm, n_steps):
    import torch
    from torch import nn

    if not torch.cuda.is_available() and not CPU_DRY_RUN:
        raise RuntimeError("torch sees no CUDA device")
    dev = torch.device("cpu" if CPU_DRY_RUN else "cuda")
    torch.manual_seed(0)
    if kind == "mlp":
        model = nn.Sequential(nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 10))
    else:
        model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                              nn.Linear(64 * 5 * 5, 10))
    model = model.to(dev)
    x, y = data(kind, batch, 8)
    if kind == "convnet":
        x = x.transpose(0, 3, 1, 2).copy()
    xs = torch.from_numpy(x).to(dev).split(batch)
    ys = torch.from_numpy(y).to(dev).split(batch)
    lossf = nn.CrossEntropyLoss()
    out = {}

    def make_opt():
        return torch.optim.SGD(model.parameters(), 0.01) if kind == "mlp" else \
            torch.optim.Adam(model.parameters(), 1e-3, capturable=not CPU_DRY_RUN)

    opt = make_opt()

    def step(a, b):
        opt.zero_grad(set_to_none=False)
        loss = lossf(model(a), b)
        loss.backward()
        opt.step()
        return loss

    sync = (lambda: None) if CPU_DRY_RUN else torch.cuda.synchronize
    out["torch eager"] = timed(lambda i: step(xs[i % 8], ys[i % 8]), n_warm, n_steps, sync)
    if CPU_DRY_RUN:
        return out
    static_x, static_y = xs[0].clone(), ys[0].clone()
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            step(static_x, static_y)
    torch.cuda.current_stream().wait_stream(s)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        step(static_x, static_y)

    def replay(i):
        static_x.copy_(xs[i % 8])
        static_y.copy_(ys[i % 8])
        graph.replay()

    out["torch CUDA graph"] = timed(replay, n_warm, n_steps, sync)
    return out


# -- JAX --------------------------------------------------------------------------------------
def bench_jax(kind, batch, n_warm, n_steps):
    import jax
    import jax.numpy as jnp

    if jax.default_backend() != "gpu":
        raise RuntimeError(f"JAX backend is {jax.default_backend()}")
    key = jax.random.PRNGKey(0)
    k = jax.random.split(key, 4)

    def glorot(kk, shape, fan_in, fan_out):
        lim = (6 / (fan_in + fan_out)) ** 0.5
        return jax.random.uniform(kk, shape, jnp.float32, -lim, lim)

    if kind == "mlp":
        params = [glorot(k[0], (784, 50), 784, 50), jnp.zeros(50),
                  glorot(k[1], (50, 10), 50, 10), jnp.zeros(10)]

        def forward(p, a):
            h = jnp.maximum(a @ p[0] + p[1], 0)
            return h @ p[2] + p[3]
    else:
        params = [glorot(k[0], (3, 3, 1, 32), 9, 288), jnp.zeros(32),
                  glorot(k[1], (3, 3, 32, 64), 288, 576), jnp.zeros(64),
                  glorot(k[2], (1600, 10), 1600, 10), jnp.zeros(10)]
        dn = ("NHWC", "HWIO", "NHWC")

        def pool(h):
            return jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1),
                                         "VALID")

        def forward(p, a):
            h = jax.lax.conv_general_dilated(a, p[0], (1, 1), "VALID", dimension_numbers=dn)
            h = pool(jnp.maximum(h + p[1], 0))
            h = jax.lax.conv_general_dilated(h, p[2], (1, 1), "VALID", dimension_numbers=dn)
            h = pool(jnp.maximum(h + p[3], 0))
            return h.reshape(h.shape[0], -1) @ p[4] + p[5]

    def loss(p, a, b):
        logits = forward(p, a)
        return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(b.shape[0]), b])

    @jax.jit
    def step(p, a, b):
        g = jax.grad(loss)(p, a, b)
        return [w - 0.01 * gw for w, gw in zip(p, g)]  # SGD for both: timing, not accuracy

    x, y = data(kind, batch, 8)
    xs = [jnp.asarray(x[i * batch:(i + 1) * batch]) for i in range(8)]
    ys = [jnp.asarray(y[i * batch:(i + 1) * batch].astype(np.int32)) for i in range(8)]
    state = [params]

    def run(i):
        state[0] = step(state[0], xs[i % 8], ys[i % 8])

    def sync():
        jax.block_until_ready(state[0])

    return {"jax jit": timed(run, n_warm, n_steps, sync)}


# -- matmul -----------------------------------------------------------------------------------
def bench_matmul(n=8192, reps=10):
    out = {}
    flops = 2 * n ** 3 * reps
    try:
        import torch

        a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
        b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
        for _ in range(3):
            a @ b
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(reps):
            a @ b
        torch.cuda.synchronize()
        out["torch bf16 TFLOP/s"] = flops / (time.perf_counter() - t0) / 1e12
    except Exception as e:
        out["torch bf16 TFLOP/s"] = f"skipped: {e}"
    try:
        import cupy as cp

        import tapeflow as tf

        a = tf.random.normal((n, n), dtype=tf.float16)
        b = tf.random.normal((n, n), dtype=tf.float16)
        for _ in range(3):
            tf.matmul(a, b)
        cp.cuda.Device().synchronize()
        t0 = time.perf_counter()
        for _ in range(reps):
            tf.matmul(a, b)
        cp.cuda.Device().synchronize()
        out["tapeflow float16 TFLOP/s"] = flops / (time.perf_counter() - t0) / 1e12
        out["tapeflow bf16"] = "not available: CuPy/NumPy have no bfloat16 arithmetic"
    except Exception as e:
        out["tapeflow float16 TFLOP/s"] = f"skipped: {e}"
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer timed steps")
    p.add_argument("--json", help="write the results here")
    p.add_argument("--only", default="", help="comma list of frameworks: tapeflow,torch,jax")
    p.add_argument("--cpu-dry-run", action="store_true",
                   help="run tapeflow's workloads once on the CPU (checks the script)")
    args = p.parse_args(argv)
    n_warm, n_steps = (3, 10) if args.quick else (5, 40)
    global CPU_DRY_RUN, WORKLOADS
    if args.cpu_dry_run:
        CPU_DRY_RUN, n_warm, n_steps = True, 1, 2
        WORKLOADS = [("mlp", 32), ("convnet", 16)]
    benches = {"tapeflow": bench_tapeflow, "torch": bench_torch, "jax": bench_jax}
    if args.only:
        benches = {k: v for k, v in benches.items() if k in args.only.split(",")}
    results = {}
    for kind, batch in WORKLOADS:
        row = {}
        for name, fn in benches.items():
            try:
                times = fn(kind, batch, n_warm, n_steps)
            except Exception as e:  # report and go on
                row[name] = f"skipped: {type(e).__name__}: {e}"
                continue
            for label, t in times.items():
                row[label] = t if label.startswith("_") else batch * n_steps / t
        results[f"{kind} batch {batch}"] = row
        print(f"\n{kind}, batch {batch} (samples/s)")
        for label, v in row.items():
            print(f"  {label:<36} {v:>12.0f}" if isinstance(v, float) else f"  {label:<36} {v}")
    results["matmul 8192"] = bench_matmul(reps=5 if args.quick else 10)
    print("\nlarge matmul")
    for label, v in results["matmul 8192"].items():
        print(f"  {label:<36} {v:.1f}" if isinstance(v, float) else f"  {label:<36} {v}")
    ratios = {}
    for key, row in results.items():
        tf_fn, torch_eager = row.get("tapeflow tf.function"), row.get("torch eager")
        if isinstance(tf_fn, float) and isinstance(torch_eager, float):
            ratios[f"{key}: tf.function / torch eager"] = tf_fn / torch_eager
        best = max((v for k, v in row.items() if k.startswith("tapeflow tf.function")
                    and isinstance(v, float)), default=None)
        if best is not None and isinstance(torch_eager, float):
            ratios[f"{key}: best tf.function / torch eager"] = best / torch_eager
    mm = results["matmul 8192"]
    if isinstance(mm.get("tapeflow float16 TFLOP/s"), float) and isinstance(
            mm.get("torch bf16 TFLOP/s"), float):
        ratios["tapeflow f16 matmul / torch bf16 peak"] = (mm["tapeflow float16 TFLOP/s"]
                                                          / mm["torch bf16 TFLOP/s"])
    results["ratios"] = ratios
    print("\nratios (targets: tf.function >= 0.7x torch at batch 256, >= 0.9x at large "
          "batches; matmul >= 0.8 of peak)")
    for k, v in ratios.items():
        print(f"  {k:<60} {v:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1, default=str)
    return results


if __name__ == "__main__":
    main()
