"""Training steps of an LSTM(128) on sequences of length 50 in tapeflow and its peers, in
samples/s, with each framework's peak RSS.

The task is synthetic and seeded: sequences of 50 steps of 16 features drawn from a normal
distribution; the label (10 classes) is which feature has the largest sum over the sequence.
The model: LSTM(128) (Keras's defaults) then Dense 10 softmax; Adam, sparse categorical
cross-entropy, batch 128. Workloads, each in a fresh interpreter (so ``ru_maxrss`` is its
own), warm-up steps then ``--steps`` timed steps:

* tapeflow ``model.fit`` and TensorFlow ``model.fit`` (the same Keras code);
* PyTorch eager (``nn.LSTM`` + ``nn.Linear``, ``torch.optim.Adam``), when importable.

Run with the peers' environment::

    PYTHONPATH=. /work/refenv/bin/python benchmarks/lstm_steps.py [--steps 100] [--repeats 3]
        [--threads N] [--only tapeflow,tensorflow]

``--threads N`` sets the BLAS/OpenMP/intra-op thread count of every framework alike.
Quote ratios, not absolute numbers: the machine is shared.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cnn_steps import ROOT, available, peak_rss_mb, set_threads  # noqa: E402

BATCH, WARMUP, STEPS_IN_SEQ, FEATURES, UNITS, CLASSES = 128, 5, 50, 16, 128, 10
FRAMEWORKS = ["tapeflow", "tensorflow", "torch"]
LABELS = {"tapeflow": "tapeflow fit", "tensorflow": "TF fit", "torch": "PyTorch eager"}


def data(n):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, STEPS_IN_SEQ, FEATURES)).astype(np.float32)
    y = x.sum(1)[:, :CLASSES].argmax(1).astype(np.int64)
    return x, y


def run_keras(module, x, y, threads):
    import importlib

    tf = importlib.import_module(module)
    if module == "tensorflow" and threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    tf.random.set_seed(0)
    keras = tf.keras
    model = keras.Sequential([keras.Input((STEPS_IN_SEQ, FEATURES)),
                              keras.layers.LSTM(UNITS),
                              keras.layers.Dense(CLASSES, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    w = WARMUP * BATCH
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

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(FEATURES, UNITS, batch_first=True)
            self.head = nn.Linear(UNITS, CLASSES)

        def forward(self, xb):
            out, _ = self.lstm(xb)
            return self.head(out[:, -1])

    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)  # Keras's Adam defaults
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step(i):
        sl = slice(i * BATCH, (i + 1) * BATCH)
        opt.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(model(xt[sl]), yt[sl]).backward()
        opt.step()

    for i in range(WARMUP):
        step(i)
    t = time.perf_counter()
    for i in range(WARMUP, WARMUP + steps):
        step(i)
    return time.perf_counter() - t


def worker(name, steps, threads):
    set_threads(threads)
    if name == "tapeflow":
        sys.path.insert(0, ROOT)
    x, y = data((WARMUP + steps) * BATCH)
    dt = run_torch(x, y, steps, threads) if name == "torch" else run_keras(name, x, y, threads)
    print(json.dumps({"seconds": dt, "rss_mb": peak_rss_mb()}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=100, help="timed training steps (default 100)")
    ap.add_argument("--repeats", type=int, default=3,
                    help="fresh runs per framework, interleaved; the median is shown")
    ap.add_argument("--threads", type=int, default=None,
                    help="threads for every framework (default: each framework's default)")
    ap.add_argument("--only", default=None, help="comma-separated subset of " +
                    ",".join(FRAMEWORKS))
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args.worker, args.steps, args.threads)
    names = args.only.split(",") if args.only else FRAMEWORKS
    present = []
    for name in names:
        if name == "tapeflow" or available(name):
            present.append(name)
        else:
            print(f"({name} not importable: skipped)")
    secs = {n: [] for n in present}
    rss = {n: [] for n in present}
    for _ in range(args.repeats):  # interleaved, so load changes hit every framework alike
        for name in present:
            cmd = [sys.executable, os.path.abspath(__file__), "--worker", name,
                   "--steps", str(args.steps)] + (
                ["--threads", str(args.threads)] if args.threads else [])
            out = subprocess.run(cmd, capture_output=True, text=True)
            lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
            if out.returncode or not lines:
                print(f"{name} failed:\n{out.stderr[-2000:]}")
                continue
            r = json.loads(lines[-1])
            secs[name].append(r["seconds"])
            rss[name].append(r["rss_mb"])
    print(f"\nLSTM({UNITS}) + Dense {CLASSES}, sequences of {STEPS_IN_SEQ} x {FEATURES}, Adam, "
          f"batch {BATCH}, {args.steps} steps after {WARMUP} warm-up steps; median of "
          f"{args.repeats} fresh processes (threads: {args.threads or 'default'})")
    print(f"{'workload':16s} {'samples/s':>10s} {'ms/step':>8s} {'peak RSS MB':>12s}")
    rate = {}
    for name in present:
        if not secs[name]:
            continue
        dt = statistics.median(secs[name])
        rate[name] = BATCH * args.steps / dt
        print(f"{LABELS[name]:16s} {rate[name]:10,.0f} {1000 * dt / args.steps:8.1f} "
              f"{max(rss[name]):12.0f}")
    if "tapeflow" in rate:
        print("\nratios (targets from issue 7):")
        for peer, target in (("tensorflow", ">= 1.0x"), ("torch", "")):
            if peer in rate:
                print(f"  tapeflow / {LABELS[peer]:14s} samples/s "
                      f"{rate['tapeflow'] / rate[peer]:5.2f}x  {target}")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _report  # noqa: PLC0415

    r = rate["tapeflow"] / rate["tensorflow"] if "tapeflow" in rate and "tensorflow" in rate \
        else None
    _report.emit("lstm_steps", f"LSTM(128), sequences of 50, batch {BATCH}, {args.steps} steps "
                 f"(threads: {args.threads or 'default'})", "samples/s, higher is better",
                 [(LABELS[n], {"samples/s": rate[n], "ms/step": 1000 * BATCH / rate[n],
                               "peak RSS MB": max(rss[n])}) for n in present if n in rate],
                 [("samples/s tapeflow / TF fit >= 1.0x", r, None if r is None else r >= 1.0)],
                 higher_is_better=True)


if __name__ == "__main__":
    main()
