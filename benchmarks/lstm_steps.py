"""Training steps of an LSTM(128) (and of a GRU(128)) on sequences of length 50 in tapeflow
and its peers, in samples/s, with GFLOP/s and each framework's peak RSS.

The task is synthetic and seeded: sequences of 50 steps of 16 features drawn from a normal
distribution; the label (10 classes) is which feature has the largest sum over the sequence.
The model: LSTM(128) (Keras's defaults) then Dense 10 softmax; Adam, sparse categorical
cross-entropy, batch 128; then the same with GRU(128) (Keras's defaults, ``reset_after``);
then the model of TensorFlow's RNN text-classification tutorial (``Embedding(1000, 64,
mask_zero=True)``, ``Bidirectional(LSTM(64))``, ``Dense(64, relu)``, a 2-way softmax) on
right-padded token sequences of 10 to 60 tokens (TF and tapeflow only).
Workloads, each in a fresh interpreter (so its peak memory is its own), warm-up steps then
``--steps`` timed steps:

* tapeflow ``model.fit`` and TensorFlow ``model.fit`` (the same Keras code);
* PyTorch eager (``nn.LSTM``/``nn.GRU`` + ``nn.Linear``, ``torch.optim.Adam``), when
  importable.

Run with the peers' environment::

    PYTHONPATH=. .bench-venv/bin/python benchmarks/lstm_steps.py [--steps 100] [--repeats 3]
        [--threads N] [--only tapeflow,tensorflow] [--cells lstm,gru,text]

``--threads N`` sets the BLAS/OpenMP/intra-op thread count of every framework alike.
Quote ratios, not absolute numbers: the machine is shared.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cnn_steps import (
    ROOT,
    bytecode,
    importable,
    matmul_peak,
    parse_args,
    peak_rss_mb,
    print_rates,
    run_keras,
    run_workers,
    set_threads,
)

BATCH, WARMUP, STEPS_IN_SEQ, FEATURES, UNITS, CLASSES = 128, 5, 50, 16, 128, 10
CELLS = {"lstm": ("LSTM", 4), "gru": ("GRU", 3), "text": ("LSTM", 4)}  # Keras class, gates
# "text": TensorFlow's RNN text-classification tutorial model on padded token sequences:
# Embedding(mask_zero=True) -> Bidirectional(LSTM(64)) -> Dense(64, relu) -> Dense(2)
VOCAB, TEXT_LEN, TEXT_DIM, TEXT_UNITS = 1000, 60, 64, 64
CELL_ENV = "LSTM_STEPS_CELL"  # the cell a worker process runs
FRAMEWORKS = ["tapeflow", "tensorflow", "torch"]
LABELS = {"tapeflow": "tapeflow fit", "tensorflow": "TF fit", "torch": "PyTorch eager"}


# NOTE: the frameworks (and NumPy where a thread count applies) are imported inside the
# functions that time them: each loads only in the process that runs it, after the thread
# settings.
def data(n):
    import numpy as np

    rng = np.random.default_rng(0)
    if cell_name() == "text":  # right-padded token ids (0 = padding), 10 to 60 tokens
        lengths = rng.integers(10, TEXT_LEN + 1, n)
        x = rng.integers(1, VOCAB, (n, TEXT_LEN)).astype(np.int64)
        x[np.arange(TEXT_LEN)[None, :] >= lengths[:, None]] = 0
        return x, (x.sum(1) % 2).astype(np.int64)
    x = rng.standard_normal((n, STEPS_IN_SEQ, FEATURES)).astype(np.float32)
    y = x.sum(1)[:, :CLASSES].argmax(1).astype(np.int64)
    return x, y


def train_flops_per_sample(cell="lstm"):
    """Multiply-adds x 2 of one sample's training step in the recurrent layer: the gates'
    matmuls over [h; x] forward, the recurrent state's gradient, and the kernels' gradients
    (the input needs no gradient); the elementwise work and the small dense head are left
    out."""
    if cell == "text":  # two directions over every (padded) step; the input needs a gradient
        u, d, steps, dirs = TEXT_UNITS, TEXT_DIM, TEXT_LEN, 2
        return 2 * dirs * steps * 4 * u * ((u + d) + u + (u + d) + d)
    gates = CELLS[cell][1] * UNITS
    return 2 * STEPS_IN_SEQ * gates * ((UNITS + FEATURES) + UNITS + (UNITS + FEATURES))


def cell_name():
    return os.environ.get(CELL_ENV, "lstm")


def lstm_model(keras):
    """The benchmark's model with the worker's cell (``LSTM_STEPS_CELL``, LSTM by default)."""
    if cell_name() == "text":
        return keras.Sequential([
            keras.Input((TEXT_LEN,), dtype="int64"),
            keras.layers.Embedding(VOCAB, TEXT_DIM, mask_zero=True),
            keras.layers.Bidirectional(keras.layers.LSTM(TEXT_UNITS)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(2, activation="softmax")])
    layer = getattr(keras.layers, CELLS[cell_name()][0])
    return keras.Sequential([keras.Input((STEPS_IN_SEQ, FEATURES)), layer(UNITS),
                             keras.layers.Dense(CLASSES, activation="softmax")])


def run_torch(x, y, steps, threads):
    import torch
    from torch import nn

    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = getattr(nn, CELLS[cell_name()][0])(FEATURES, UNITS, batch_first=True)
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
    if name == "torch":
        dt = run_torch(x, y, steps, threads)
    else:
        dt = run_keras(name, x, y, steps, threads, lstm_model, WARMUP)
    print(json.dumps({"seconds": dt, "rss_mb": peak_rss_mb()}))


def report(cell, present, results, args, peak):
    """Print one cell's table and ratios and hand them to the report."""
    secs = {n: [r["seconds"] for r in results[n]] for n in present}
    rss = {n: [r["rss_mb"] for r in results[n]] for n in present}
    layer = f"{CELLS[cell][0]}({UNITS})" if cell != "text" else (
        f"Embedding(mask_zero) + Bidirectional(LSTM({TEXT_UNITS}))")
    shape = f"{STEPS_IN_SEQ} x {FEATURES}" if cell != "text" else f"10-{TEXT_LEN} tokens"
    print(f"\n{layer} + Dense head, sequences of {shape}, Adam, "
          f"batch {BATCH}, {args.steps} steps after {WARMUP} warm-up steps; median of "
          f"{args.repeats} fresh processes (threads: {args.threads or 'default'})")
    flops = train_flops_per_sample(cell)
    rate = print_rates(present, secs, rss, args.steps, flops, peak, LABELS)
    target = ">= 1.0x" if cell == "lstm" else ""  # issue 7 sets the LSTM's
    if "tapeflow" in rate:
        print("\nratios" + (" (targets from issue 7):" if target else ":"))
        for peer, want in (("tensorflow", target), ("torch", "")):
            if peer in rate:
                print(f"  tapeflow / {LABELS[peer]:14s} samples/s "
                      f"{rate['tapeflow'] / rate[peer]:5.2f}x  {want}")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _report  # the driver only: the workers (this same file) stay lean

    r = rate["tapeflow"] / rate["tensorflow"] if "tapeflow" in rate and "tensorflow" in rate \
        else None
    targets = [("samples/s tapeflow / TF fit >= 1.0x", r, None if r is None else r >= 1.0),
               _report.rss_target(max(rss.get("tapeflow") or [0]),
                                  max(rss.get("tensorflow") or [0]))]
    _report.emit("lstm_steps", f"{layer}, sequences of {shape}, batch {BATCH}, {args.steps} steps "
                 f"(threads: {args.threads or 'default'}); matmul peak {peak:.0f} GFLOP/s",
                 "samples/s, higher is better",
                 [(LABELS[n], {"samples/s": rate[n], "ms/step": 1000 * BATCH / rate[n],
                               "GFLOP/s": rate[n] * flops / 1e9,
                               "peak RSS MB": max(rss[n])}) for n in present if n in rate],
                 targets if cell == "lstm" else targets[1:], higher_is_better=True)


def main():
    args = parse_args(__doc__, FRAMEWORKS, lambda ap: ap.add_argument(
        "--cells", default="lstm,gru,text", help="comma-separated models to time, of "
        + ",".join(CELLS) + " (default all)"))
    if args.worker:
        return worker(args.worker, args.steps, args.threads)
    bytecode()
    cells = [c.strip() for c in args.cells.split(",") if c.strip()]
    unknown = [c for c in cells if c not in CELLS]
    if unknown:
        raise SystemExit(f"unknown cells {unknown}: choose from {list(CELLS)}")
    present = importable(args.only.split(",") if args.only else FRAMEWORKS)
    set_threads(args.threads)
    peak = matmul_peak()
    for cell in cells:
        os.environ[CELL_ENV] = cell  # the workers' cell
        peers = [n for n in present if n != "torch" or cell != "text"]  # no torch text model
        report(cell, peers, run_workers(__file__, peers, args), args, peak)


if __name__ == "__main__":
    main()
