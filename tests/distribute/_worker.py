"""Run by the tests under ``mpiexec -n N`` (or plainly, as the one-process reference):
``python _worker.py SCENARIO OUT_DIR [options]``. Rank 0 writes ``OUT_DIR/<scenario>.json``;
every rank writes ``OUT_DIR/<scenario>.rank<r>.json`` with its own view."""
import json
import os
import signal
import sys
import time

import numpy as np

import tapeflow as tf
from tapeflow.distribute.input import shard_bounds

SCENARIO, OUT = sys.argv[1], sys.argv[2]
OPTS = dict(a.split("=", 1) for a in sys.argv[3:])

strategy = tf.distribute.MultiWorkerMirroredStrategy()
RANK = strategy.cluster_resolver.task_id
SIZE = strategy.num_replicas_in_sync


def write(name, payload, every_rank=False):
    if every_rank:
        name = f"{name}.rank{RANK}"
    elif RANK != 0:
        return
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(payload, f)


def data(n=100, features=6, classes=3):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, features)).astype("float32")
    w = rng.normal(size=(features, classes)).astype("float32")
    y = (x @ w).argmax(axis=1).astype("int64")
    return x, y


def build(optimizer="sgd"):
    tf.random.set_seed(1)  # also resets every rank's streams the same way
    with strategy.scope():
        model = tf.keras.Sequential([tf.keras.Input((6,)),
                                     tf.keras.layers.Dense(8, activation="relu"),
                                     tf.keras.layers.Dense(3, activation="softmax")])
        opt = tf.keras.optimizers.SGD(0.1) if optimizer == "sgd" else \
            tf.keras.optimizers.Adam(0.01)
        model.compile(optimizer=opt, loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    return model


def weights(model):
    return [w.tolist() for w in model.get_weights()]


def fit_scenario():
    """fit on arrays (shuffled, uneven last batch) and on a tf.data pipeline, evaluate."""
    x, y = data()
    out = {}
    for opt in ("sgd", "adam"):
        model = build(opt)
        hist = model.fit(x, y, batch_size=32, epochs=2, shuffle=True, verbose=0,
                         validation_data=(x[:40], y[:40]))
        ev = model.evaluate(x, y, batch_size=25, verbose=0, return_dict=True)
        out[opt] = {"weights": weights(model), "history": hist.history, "evaluate": ev}
    model = build("sgd")
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(100).batch(30)
    hist = model.fit(ds, epochs=2, verbose=0)
    out["dataset"] = {"weights": weights(model), "history": hist.history}
    # AutoShardPolicy.OFF: every rank trains on whole batches, the gradients are averaged
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.distribute.AutoShardPolicy.OFF
    model = build("sgd")
    hist = model.fit(ds.with_options(options), epochs=1, verbose=0)
    out["off"] = {"weights": weights(model), "history": hist.history}
    write("fit", out)
    write("fit", {"weights": out["sgd"]["weights"]}, every_rank=True)


def custom_loop_scenario():
    """strategy.run / reduce / all_reduce / experimental_distribute_dataset, as in TF."""
    x, y = data()
    model = build("sgd")
    opt = model.optimizer
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(reduction="none")
    global_batch = 20
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(global_batch)
    dist = strategy.experimental_distribute_dataset(ds)

    def step(xb, yb):
        with tf.GradientTape() as tape:
            per_example = loss_fn(yb, model(xb, training=True))
            loss = tf.distribute.compute_average_loss(per_example,
                                                      global_batch_size=global_batch)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    @tf.function
    def traced_step(xb, yb):  # TF's usual form: the allreduce replays with the plan
        return strategy.run(step, args=(xb, yb))

    seen, losses, last = [], [], None
    for epoch in range(2):
        for xb, yb in dist:
            seen.append(int(xb.shape[0]))
            per_replica = strategy.run(step, args=(xb, yb)) if epoch == 0 else \
                traced_step(xb, yb)
            losses.append(float(strategy.reduce("SUM", per_replica, axis=None)))
            last = xb
    ctx_sum = strategy.run(lambda: tf.distribute.get_replica_context().all_reduce(
        "SUM", tf.constant([1.0, float(RANK)])))
    mean_axis = strategy.reduce(tf.distribute.ReduceOp.MEAN,
                                tf.constant([float(RANK)] * (RANK + 1)), axis=0)
    # train_on_batch in the scope, each rank on its third of a batch of 30: averaged
    model2 = build("sgd")
    lo, hi = shard_bounds(30, RANK, SIZE)
    for _ in range(2):  # outside the scope: the model was compiled in it
        model2.train_on_batch(x[lo:hi], y[lo:hi])
    gathered = strategy.gather(last, axis=0).numpy()  # uneven 7+7+6 rows on 3 ranks
    np.testing.assert_array_equal(gathered, x[80:100])
    gathered_t = strategy.gather(tf.transpose(last), axis=1).numpy()
    np.testing.assert_array_equal(gathered_t, x[80:100].T)
    write("loop", {"weights": weights(model), "on_batch": weights(model2), "losses": losses,
                   "seen": seen,
                   "all_reduce": ctx_sum.numpy().tolist(), "mean_axis": float(mean_axis),
                   "replicas": SIZE, "strategy": repr(tf.distribute.get_strategy())})


def coverage_scenario():
    """Every example is seen exactly once per epoch across the ranks (shuffled pipeline)."""
    n = 103
    ds = tf.data.Dataset.range(n).shuffle(n).batch(10)
    counts = np.zeros(n, np.float32)
    per_epoch = []
    for _ in range(2):
        mine = [int(i) for batch in strategy.experimental_distribute_dataset(ds)
                for i in batch.numpy()]
        per_epoch.append(len(mine))
        for i in mine:
            counts[i] += 1
    total = strategy.reduce("SUM", tf.constant(counts), axis=None).numpy()
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.distribute.AutoShardPolicy.OFF
    whole = sum(int(b.shape[0]) for b in
                strategy.experimental_distribute_dataset(ds.with_options(options)))
    write("coverage", {"counts": total.tolist(), "local": per_epoch, "off": whole},
          every_rank=True)


def output_scenario():
    """Only rank 0 prints progress and writes checkpoints."""
    x, y = data()
    model = build("sgd")
    path = os.path.join(OUT, "ckpt.npz")
    saved = []
    original = model.save_weights
    model.save_weights = lambda p, overwrite=True: (saved.append(p), original(p, overwrite))
    model.fit(x, y, batch_size=32, epochs=2, verbose=2,
              callbacks=[tf.keras.callbacks.ModelCheckpoint(path, save_weights_only=True)])
    model.evaluate(x, y, batch_size=50, verbose=2)
    model.predict(x, batch_size=50, verbose=2)
    write("output", {"saved": len(saved)}, every_rank=True)


def fault_scenario():
    """fit with BackupAndRestore; optionally kill, hang or raise on the last rank."""
    x, y = data()
    model = build("adam")
    fault = OPTS.get("fault")
    victim = SIZE - 1

    class Fault(tf.keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            # NOTE: after step 3 of epoch 3: its allreduce needed rank 0, so rank 0 has
            # finished step 2 and written any backup due then
            if RANK != victim or self.epoch != 2 or batch != 2:
                return
            if fault == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            elif fault == "hang":
                time.sleep(120)
            elif fault == "raise":
                raise RuntimeError("injected failure on the last rank")

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

    freq = OPTS.get("freq", "epoch")
    backup = tf.keras.callbacks.BackupAndRestore(os.path.join(OUT, "backup"),
                                                 save_freq=freq if freq == "epoch" else int(freq))
    hist = model.fit(x, y, batch_size=32, epochs=4, verbose=0, callbacks=[backup, Fault()])
    write("fault", {"weights": weights(model), "epochs": hist.epoch,
                    "loss": hist.history["loss"]})


def mismatch_scenario():
    """Ranks that cannot train together: other data sizes, another model, or a rank that
    leaves mid-fit with status 0."""
    x, y = data(n=100 + (20 * RANK if OPTS.get("data") == "uneven" else 0))
    units = 8 + (RANK if OPTS.get("model") == "uneven" else 0)
    tf.random.set_seed(1)
    with strategy.scope():
        model = tf.keras.Sequential([tf.keras.Input((6,)),
                                     tf.keras.layers.Dense(units, activation="relu"),
                                     tf.keras.layers.Dense(3, activation="softmax")])
        model.compile("sgd", "sparse_categorical_crossentropy")

    class Leave(tf.keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if OPTS.get("exit") == "0" and RANK == SIZE - 1 and batch == 1:
                sys.exit(0)

    model.fit(x, y, batch_size=20, epochs=2, verbose=0, callbacks=[Leave()])
    write("mismatch", {"done": True})


def batchnorm_scenario():
    """Moving statistics are averaged over the ranks at the end of each epoch."""
    x, y = data()
    with strategy.scope():
        model = tf.keras.Sequential([tf.keras.Input((6,)), tf.keras.layers.Dense(4),
                                     tf.keras.layers.BatchNormalization(),
                                     tf.keras.layers.Dense(3, activation="softmax")])
        model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x + RANK, y, batch_size=30, epochs=1, verbose=0)  # shards differ per rank
    write("bn", {"moving": [w.numpy().tolist() for w in model.non_trainable_weights]},
          every_rank=True)


SCENARIOS = {"bn": batchnorm_scenario, "fit": fit_scenario, "loop": custom_loop_scenario,
             "coverage": coverage_scenario, "output": output_scenario, "fault": fault_scenario,
             "mismatch": mismatch_scenario}
for name in SCENARIO.split(","):
    SCENARIOS[name]()
