"""Where a GPU training step spends its time: the convnet's kernels one by one, and a Python
profile of the traced step.

For each array-level kernel of the convnet of ``benchmarks/gpu.py`` (forward convolution,
its input and filter gradients, max-pool and its gradient) at the shapes of one training
step, the CPU and GPU time per call (``cupyx.profiler.benchmark``); then ``cProfile`` of
the traced training step (top functions by own time), and whether a traced ``assign_sub``
step replays as a CUDA graph (and why not when it does not).

    PYTHONPATH=. python3 benchmarks/gpu_profile.py [--batch 128]

Needs CuPy and a CUDA GPU (it exits with the reason otherwise).
"""
import argparse
import cProfile
import io
import os
import pstats
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402


def kernels(cp, batch):
    """(name, callable) for the convnet's array-level kernels at batch ``batch``."""
    from tapeflow.ops import conv, pooling  # deferred: after the backend is chosen

    rng = np.random.default_rng(0)

    def arr(*shape):
        return cp.asarray(rng.normal(size=shape).astype(np.float32))

    x1, w1 = arr(batch, 28, 28, 1), arr(3, 3, 1, 32)
    x2, w2 = arr(batch, 13, 13, 32), arr(3, 3, 32, 64)
    g1, g2 = arr(batch, 26, 26, 32), arr(batch, 11, 11, 64)
    valid = ((1, 1), (1, 1), ((0, 0), (0, 0)), 1)
    pool = ((2, 2), (2, 2), ((0, 0), (0, 0)))
    y1 = pooling._max_pool_fwd(g1, pool)
    b1, b2, flat, wd = arr(32), arr(64), arr(batch, 1600), arr(1600, 10)
    return [
        ("conv1 forward (+bias relu)", lambda: conv._conv_fwd(x1, w1, valid, b1, True)),
        ("conv1 filter grad", lambda: conv._conv_bw(x1, g1, valid, w1.shape)),
        ("conv2 forward (+bias relu)", lambda: conv._conv_fwd(x2, w2, valid, b2, True)),
        ("conv2 input grad", lambda: conv._conv_bx(g2, w2, valid, x2.shape)),
        ("conv2 filter grad", lambda: conv._conv_bw(x2, g2, valid, w2.shape)),
        ("maxpool1 forward", lambda: pooling._max_pool_fwd(g1, pool)),
        ("maxpool1 grad", lambda: pooling._max_pool_grad_fwd(g1, y1, y1, pool)),
        (f"dense matmul {batch}x1600x10", lambda: flat @ wd),
    ]


def convnet_step(tf, batch):
    L = tf.keras.layers
    model = tf.keras.Sequential([
        L.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
        L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(),
        L.Dense(10, activation="softmax")])
    opt = tf.keras.optimizers.Adam()
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy()
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(batch, 28, 28, 1)).astype(np.float32))
    y = tf.constant(rng.integers(0, 10, batch))

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    return lambda: step(x, y)


def graph_replay_report(tf, cp):
    """Why a traced assign_sub step does or does not replay as a CUDA graph."""
    from tapeflow import _graph_replay  # deferred: reads the plan contract

    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(64, 8)).astype(np.float32))
    y = tf.constant(rng.normal(size=(64, 1)).astype(np.float32))
    w, b = tf.Variable(tf.zeros((8, 1))), tf.Variable(tf.zeros((1,)))

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(0.1 * gw)
        b.assign_sub(0.1 * gb)
        return loss

    errors = []
    capture = _graph_replay._GraphRunner._capture

    def recording_capture(self, arrays):
        try:
            return capture(self, arrays)
        except Exception as e:
            errors.append(repr(e))
            raise

    _graph_replay._GraphRunner._capture = recording_capture
    try:
        for _ in range(5):
            step(x, y)
    finally:
        _graph_replay._GraphRunner._capture = capture
    concrete = step.get_concrete_function(x, y)
    runner = concrete._gpu
    print("variants:", len(concrete._variants), "primary is last:",
          list(concrete._variants.values())[-1] is concrete._primary)
    if runner is None:
        print("no runner; blocker:", _graph_replay.replay_blocker(concrete.plan))
        return
    print("runner calls", runner.calls, "graph", runner.graph is not None, "failed",
          runner.failed, "capture errors", errors)
    arrays = [x._v, y._v]
    print("eligible:", runner._eligible(arrays))
    for a in arrays + [v._v for v in runner.variables]:
        print("  ", type(a).__module__, type(a).__name__, getattr(a, "device", None),
              getattr(getattr(a, "device", None), "id", None))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=128)
    args = p.parse_args()
    import tapeflow as tf

    if not tf.config.list_physical_devices("GPU"):
        sys.exit(f"no GPU: {tf.config.gpu_unavailable_reason}")
    import cupy as cp  # optional: the GPU backend
    from cupyx.profiler import benchmark  # optional: ships with CuPy

    print(f"## kernels at batch {args.batch} (ms per call)")
    for name, fn in kernels(cp, args.batch):
        r = benchmark(fn, n_repeat=20, n_warmup=3)
        print(f"  {name:32s} cpu {r.cpu_times.mean() * 1e3:8.3f}  gpu "
              f"{r.gpu_times.mean() * 1e3:8.3f}")

    print(f"\n## traced convnet step at batch {args.batch}")
    run = convnet_step(tf, args.batch)
    for _ in range(3):
        run()
    cp.cuda.Device().synchronize()
    t0 = time.perf_counter()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(10):
        run()
    cp.cuda.Device().synchronize()
    prof.disable()
    print(f"  {(time.perf_counter() - t0) / 10 * 1e3:.2f} ms per step (profiled)")
    s = io.StringIO()
    pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(25)
    print("\n".join(s.getvalue().splitlines()[:45]))

    print("\n## CUDA-graph replay of a traced assign_sub step")
    graph_replay_report(tf, cp)


if __name__ == "__main__":
    main()
