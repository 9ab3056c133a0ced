"""Data-parallel training on MPI (tf.distribute.MultiWorkerMirroredStrategy) with 1 and 2
ranks on MNIST: samples/s, scaling efficiency, allreduce time per step, and the bandwidth
of tapeflow's gradient allreduce against raw mpi4py (``Allreduce`` and an OSU-style
ping-pong) on a buffer of the same size.

Models: the seed's MLP (784-50-10, SGD 0.05, global batch 1024) and the Keras MNIST convnet
(Conv2D 32 3x3, MaxPool 2, Conv2D 64 3x3, MaxPool 2, Flatten, Dropout 0.5, Dense 10
softmax, Adam, global batch 128). Strong scaling: the global batch is the same for 1 and 2
ranks, each rank computes its half. Every rank runs single-threaded BLAS.

    python benchmarks/distributed.py [--ranks 1 2] [--models mlp convnet] [--json out.json]

Needs the ``mpi`` extra (mpi4py, mpich) and MNIST (``../shared/datasets/mnist`` or the Keras
cache). The driver launches itself under ``mpiexec -n N ... --worker``.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_MNIST = os.path.join(os.path.dirname(ROOT), "shared", "datasets", "mnist")

# NOTE: many short epochs: the best one is the least disturbed by other jobs on the machine
CONFIG = {  # global batch, training examples per epoch, epochs (the first is warm-up)
    "mlp": (1024, 30720, 12),
    "convnet": (128, 512, 24),
}


# NOTE: the frameworks (and NumPy where a thread count applies) are imported inside the
# functions that time them: each loads only in the process that runs it, after the thread
# settings.


# -- worker (one MPI rank) -------------------------------------------------------------------
def _model(tf, name):
    if name == "mlp":
        model = tf.keras.Sequential([tf.keras.Input((784,)),
                                     tf.keras.layers.Dense(50, activation="relu"),
                                     tf.keras.layers.Dense(10, activation="softmax")])
        model.compile(tf.keras.optimizers.SGD(0.05), "sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model
    L = tf.keras.layers
    model = tf.keras.Sequential([
        tf.keras.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
        L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(), L.Dropout(0.5),
        L.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def worker(name, out):
    import numpy as np

    sys.path.insert(0, ROOT)
    import tapeflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    rank, size = strategy.cluster_resolver.task_id, strategy.num_replicas_in_sync
    path = SHARED_MNIST if os.path.isdir(SHARED_MNIST) else "mnist.npz"
    (x, y), _ = tf.keras.datasets.mnist.load_data(path)
    batch, n, epochs = CONFIG[name]
    x = (x[:n] / 255.0).astype(np.float32)
    x = x.reshape(-1, 784) if name == "mlp" else x.reshape(-1, 28, 28, 1)
    y = y[:n].astype(np.int64)
    tf.random.set_seed(0)
    with strategy.scope():
        model = _model(tf, name)
    collective = strategy._collective
    times, cpu, reduce_s, steps = [], [], [], []

    class Timer(tf.keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if collective is not None:
                collective.barrier()
                collective.seconds, collective.calls = 0.0, 0
            self.t0, self.steps = time.perf_counter(), 0
            self.c0 = time.process_time()

        def on_train_batch_end(self, batch, logs=None):
            self.steps += 1

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.t0)
            cpu.append(time.process_time() - self.c0)
            steps.append(self.steps)
            reduce_s.append(collective.seconds if collective is not None else 0.0)

    # NOTE: epoch 0 is warm-up (tf.function traces, first allocations); the rest are timed
    hist = model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=True, verbose=0,
                     callbacks=[Timer()])
    best = min(range(1, epochs), key=lambda i: times[i])
    if collective is not None:
        best = collective.comm.bcast(best, root=0)  # one epoch, rank 0's choice
    params = sum(int(np.prod(w.shape)) for w in model.trainable_variables)
    # NOTE: CPU seconds summed over the ranks measure the work data parallelism adds
    # (allreduce, sharding, waiting in polls) without the noise of other users' processes
    cpu_all = cpu[best] if collective is None else \
        collective.comm.allreduce(cpu[best])
    result = {"model": name, "cpu_s_all_ranks": cpu_all, "ranks": size, "global_batch": batch,
              "params": params,
              "epoch_s": times[best], "steps": steps[best],
              "samples_per_s": n / times[best], "step_ms": 1e3 * times[best] / steps[best],
              "allreduce_ms_per_step": 1e3 * reduce_s[best] / steps[best],
              "loss": hist.history["loss"][-1]}
    if collective is not None:
        result.update(_raw_mpi(collective, params))
    if rank == 0:
        with open(out, "w") as f:
            json.dump(result, f)


def _raw_mpi(collective, count, repeats=100, blocks=7):
    """Raw mpi4py on ``count`` float32: blocking ``Allreduce`` and a ping-pong between ranks
    0 and 1 (OSU latency-test style: half the round trip), against tapeflow's gradient path
    (pack into a bucket, ``Iallreduce`` polled with a deadline, unpack). Each is the best of
    ``blocks`` blocks of ``repeats``, so a burst of other load does not decide it."""
    import numpy as np

    MPI, comm = collective.MPI, collective.comm
    rank = comm.Get_rank()
    buf = np.ones(count, np.float32)
    res = np.empty_like(buf)
    parts = [buf[: count // 2].copy(), buf[count // 2:].copy()]

    def pingpong():
        if rank == 0:
            comm.Send(buf, dest=1)
            comm.Recv(res, source=1)
        elif rank == 1:
            comm.Recv(res, source=0)
            comm.Send(buf, dest=0)

    def best(fn):
        times = []
        for _ in range(blocks):
            comm.Barrier()
            t0 = MPI.Wtime()
            for _ in range(repeats):
                fn()
            times.append((MPI.Wtime() - t0) / repeats)
        return comm.bcast(min(times), root=0)

    allreduce = best(lambda: comm.Allreduce(buf, res))
    tapeflow = best(lambda: collective.allreduce_arrays(parts))
    one_way = best(pingpong) / 2
    nbytes = buf.nbytes
    return {"bytes": nbytes, "raw_allreduce_ms": 1e3 * allreduce,
            "tapeflow_allreduce_ms": 1e3 * tapeflow, "pingpong_one_way_ms": 1e3 * one_way,
            "raw_allreduce_GBps": nbytes / allreduce / 1e9,
            "tapeflow_allreduce_GBps": nbytes / tapeflow / 1e9,
            "pingpong_GBps": nbytes / one_way / 1e9}


# -- driver ----------------------------------------------------------------------------------
def _mpiexec():
    local = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return local if os.path.exists(local) else shutil.which("mpiexec")


def run(name, ranks):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1", HYDRA_LAUNCHER="fork")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        cmd = [_mpiexec(), "-n", str(ranks), sys.executable, os.path.abspath(__file__),
               "--worker", name, out]
        subprocess.run(cmd, check=True, env=env, stdin=subprocess.DEVNULL)
        with open(out) as f:
            return json.load(f)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    p.add_argument("--models", nargs="+", default=["mlp", "convnet"], choices=list(CONFIG))
    p.add_argument("--repeats", type=int, default=3, help="runs per rank count (best kept)")
    p.add_argument("--json", help="also write every result to this file")
    p.add_argument("--worker", nargs=2, metavar=("MODEL", "OUT"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        return worker(*args.worker)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _report  # the driver only: the workers (this same file) stay lean

    _report.ensure_bytecode()
    if _mpiexec() is None:
        sys.exit("mpiexec not found: pip install 'tapeflow[mpi]' (mpi4py and mpich)")
    results = []
    for name in args.models:
        base = None
        best = {}
        # NOTE: rank counts alternate, best of --repeats each: on a shared machine the
        # other users' load comes and goes, and the best run is the least disturbed
        for _ in range(args.repeats):
            for ranks in args.ranks:
                r = run(name, ranks)
                if ranks not in best or r["samples_per_s"] > best[ranks]["samples_per_s"]:
                    best[ranks] = r
        for ranks in args.ranks:
            r = best[ranks]
            base = base or r
            r["efficiency"] = r["samples_per_s"] / (base["samples_per_s"] * ranks / base["ranks"])
            r["allreduce_share"] = r["allreduce_ms_per_step"] / r["step_ms"]
            r["cpu_efficiency"] = base["cpu_s_all_ranks"] / r["cpu_s_all_ranks"]
            if ranks > 1:
                # NOTE: what a quiet machine gives: the one-rank step split N ways plus the
                # allreduce timed alone (the in-training figure also holds the waiting for a
                # rank that another process slowed down)
                ideal = base["step_ms"] * base["ranks"] / ranks
                r["projected_step_ms"] = ideal + r["tapeflow_allreduce_ms"]
                r["projected_efficiency"] = ideal / r["projected_step_ms"]
                r["isolated_allreduce_share"] = r["tapeflow_allreduce_ms"] / r["projected_step_ms"]
            results.append(r)
            line = (f"{name:8s} ranks={ranks} batch={r['global_batch']:5d} "
                    f"{r['samples_per_s']:9.0f} samples/s  step {r['step_ms']:7.2f} ms  "
                    f"efficiency {r['efficiency']:.2f} (CPU time {r['cpu_efficiency']:.2f})")
            if ranks > 1:
                line += (f"  allreduce {r['allreduce_ms_per_step']:.3f} ms/step "
                         f"({100 * r['allreduce_share']:.1f}% of the step) on "
                         f"{r['bytes'] / 1024:.0f} KiB: tapeflow {r['tapeflow_allreduce_ms']:.3f}"
                         f" ms, raw Allreduce {r['raw_allreduce_ms']:.3f} ms, ping-pong one-way "
                         f"{r['pingpong_one_way_ms']:.3f} ms ({r['pingpong_GBps']:.2f} GB/s)")
            if ranks > 1:
                line += (f"\n{'':8s} projected from the allreduce alone: step "
                         f"{r['projected_step_ms']:.2f} ms, efficiency "
                         f"{r['projected_efficiency']:.2f}, allreduce "
                         f"{100 * r['isolated_allreduce_share']:.1f}% of the step")
            print(line, flush=True)
    print(f"load average during the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores "
          "(figures are the best timed epoch; a busy machine lowers the 2-rank ones most)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    targets = []
    for r in results:
        if r["ranks"] == 2 and r["model"] == "convnet":
            targets.append(("convnet scaling efficiency at 2 ranks >= 0.8", r["efficiency"],
                            r["efficiency"] >= 0.8))
        if r["ranks"] == 2 and r["model"] == "mlp":
            targets.append(("MLP allreduce share of the step at 2 ranks <= 10%",
                            r["allreduce_share"], r["allreduce_share"] <= 0.10))
    _report.emit("distributed", "data-parallel training on MPI ranks (best timed epoch)",
                 "samples/s higher is better",
                 [(f"{r['model']}, {r['ranks']} rank(s)",
                   {"samples/s": r["samples_per_s"], "step ms": r["step_ms"],
                    "efficiency": r["efficiency"],
                    "allreduce ms/step": r.get("allreduce_ms_per_step")}) for r in results],
                 targets, higher_is_better=True)


if __name__ == "__main__":
    main()
