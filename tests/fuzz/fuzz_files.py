"""A seeded fault-injection fuzzer over every file format tapeflow reads (issue 22).

Each case mutates a valid file (truncation, bit flips, byte runs, structural edits of a
``.keras`` config, malicious configs of each Keras CVE class) and loads it in a forked child
with a time limit. A case passes when the child either loads weights identical to the
original (the mutation hit bytes that do not matter) or raises a clear error: ``ValueError``
(or ``FileNotFoundError``/``NotImplementedError``/``ImportError`` where they apply) whose
message names the file. It fails on any other exception class, a hang, a crash (the child
dying), silently different weights, or the canary file appearing (code from a file ran).

``python tests/fuzz/fuzz_files.py --cases 2000`` runs it at length (``make fuzz``), with the
MPI fault cases (``mpi_faults``: ranks with different data or models, a rank raising, hanging,
killed or leaving with status 0 mid-fit) when the ``mpi`` extra is installed; the test suite
runs a short budget (tests/fuzz/test_fuzz.py; the MPI cases one by one in
tests/distribute/test_mpi.py).
"""
import argparse
import json
import os
import pickle
import random
import select
import signal
import sys
import tempfile
import time
import zipfile

import numpy as np

CLEAR = (ValueError, FileNotFoundError, NotImplementedError, ImportError)
FORMATS = ("weights.h5", "safetensors", "npz", "keras", "backup", "legacy.h5")
# formats tapeflow only reads (written by Keras, without digests): a flip in their data can
# only load as other weights; the fuzzer still requires no crash, hang or unclear error
UNVERIFIED = ("legacy.h5",)
LEGACY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "saving",
                      "data", "keras3", "legacy_h5.h5")  # written by real Keras 3.15


def _model(tf):
    m = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(8, activation="relu"),
                             tf.keras.layers.Dense(3)])
    m.compile(optimizer="adam", loss="mse")
    m.fit(np.ones((4, 4), "float32"), np.ones((4, 3), "float32"), epochs=1, verbose=0)
    return m


def make_originals(tf, folder):
    """One valid file per format and the weights each holds."""
    model = _model(tf)
    paths, held = {}, {}
    for fmt in ("weights.h5", "safetensors", "npz"):
        p = os.path.join(folder, f"orig.{fmt}")
        model.save_weights(p)
        paths[fmt] = p
    p = os.path.join(folder, "orig.keras")
    model.save(p)
    paths["keras"] = p
    for fmt in ("weights.h5", "safetensors", "npz", "keras"):
        held[fmt] = [w.copy() for w in model.get_weights()]
    bk = os.path.join(folder, "bk")
    cb = tf.keras.callbacks.BackupAndRestore(bk, delete_checkpoint=False)
    model.fit(np.ones((4, 4), "float32"), np.ones((4, 3), "float32"), epochs=1, verbose=0,
              callbacks=[cb])
    paths["backup"] = os.path.join(bk, "latest.safetensors")
    held["backup"] = [w.copy() for w in model.get_weights()]
    if os.path.exists(LEGACY):
        paths["legacy.h5"] = LEGACY
        held["legacy.h5"] = [w.copy() for w in
                             tf.keras.models.load_model(LEGACY, compile=False).get_weights()]
    return paths, held


# -- mutations ----------------------------------------------------------------------------------
def mutate_bytes(blob, rng):
    kind = rng.choice(["truncate", "flip", "flips", "run", "zero_tail"])
    b = bytearray(blob)
    if kind == "truncate":
        return bytes(b[:rng.randrange(0, len(b))]), kind
    if kind == "flip":
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
    elif kind == "flips":
        for _ in range(4):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    elif kind == "run":
        i = rng.randrange(len(b))
        n = rng.randrange(1, 64)
        b[i:i + n] = bytes(rng.randrange(256) for _ in range(min(n, len(b) - i)))
    else:
        i = rng.randrange(len(b))
        b[i:] = bytes(len(b) - i)
    return bytes(b), kind


MALICIOUS = [  # (name, function of (config, canary) -> config): each Keras CVE class
    ("cve_2024_3660_lambda_code", lambda c, canary: _add_layer(c, {
        "class_name": "Lambda", "module": "keras.layers", "config": {
            "name": "evil", "function": {"class_name": "__lambda__", "config": {
                "code": "4wEAAAAAAAAAAAAAAAEAAAADAAAA", "defaults": None,
                "closure": None}}}})),
    ("cve_2025_1550_module_os_system", lambda c, canary: _add_layer(c, {
        "class_name": "system", "module": "os", "registered_name": None,
        "config": {"command": f"touch {canary}"}})),
    ("cve_2025_9905_h5_lambda", lambda c, canary: _add_layer(c, {
        "class_name": "Lambda", "config": {"name": "evil2", "function": [
            "eval", f"__import__('os').system('touch {canary}')"]}})),
    ("cve_2025_9906_enable_unsafe", lambda c, canary: _add_layer(c, {
        "class_name": "__builtins__.exec", "module": "builtins",
        "config": {"source": f"open('{canary}','w')"}})),
    ("subprocess_in_compile", lambda c, canary: {**c, "compile_config": {
        "loss": {"module": "subprocess", "class_name": "call",
                 "config": {"args": ["touch", canary]}}, "optimizer": "adam"}}),
    ("registered_name_import", lambda c, canary: {**c, "registered_name":
                                                    "os>system"}),
    ("deep_nesting", lambda c, canary: {**c, "config": _deep(3000)}),
    ("wrong_type_config", lambda c, canary: {**c, "config": "not a dict"}),
    ("nested_model_no_name", lambda c, canary: _add_layer(c, {
        "class_name": "Sequential", "config": {"layers": []}})),
]


def _deep(n):
    d = {}
    for _ in range(n):
        d = {"layers": [d]}
    return d


def _add_layer(config, layer):
    c = json.loads(json.dumps(config))
    c.setdefault("config", {}).setdefault("layers", []).insert(1, layer)
    return c


def mutate_config(blob, rng, canary, malicious=None):
    """A ``.keras`` file with its config.json edited (structure) or made malicious (with
    ``malicious``, that entry of MALICIOUS)."""
    with zipfile.ZipFile(_bytes_io(blob)) as z:
        members = {n: z.read(n) for n in z.namelist()}
    config = json.loads(members["config.json"])
    if malicious is not None or rng.random() < 0.4:
        name, fn = MALICIOUS[malicious] if malicious is not None else rng.choice(MALICIOUS)
        config = fn(config, canary)
        kind = name
    else:
        kind = "edit"
        layers = config.get("config", {}).get("layers", [])
        if layers:
            layer = rng.choice(layers)
            key = rng.choice(list(layer.get("config", {}) or {"units": 0}))
            layer.setdefault("config", {})[key] = rng.choice(
                [None, -1, 10**12, "x", [], {}, 1.5, True])
            kind = f"edit:{key}"
    out = _bytes_io()
    with zipfile.ZipFile(out, "w") as z:
        for n, data in members.items():
            try:
                text = json.dumps(config) if n == "config.json" else None
            except RecursionError:
                text = '{"a":' * 3000 + "1" + "}" * 3000
            z.writestr(n, text if text is not None else data)
    return out.getvalue(), kind


def _bytes_io(b=b""):
    import io

    return io.BytesIO(b)


# -- the child ----------------------------------------------------------------------------------
def _load(tf, fmt, path):
    if fmt == "legacy.h5":
        return tf.keras.models.load_model(path, compile=False).get_weights()
    if fmt == "keras":
        return tf.keras.models.load_model(path).get_weights()
    model = _model(tf)
    if fmt == "backup":
        folder = os.path.dirname(path)
        cb = tf.keras.callbacks.BackupAndRestore(folder, delete_checkpoint=False)
        cb.set_model(model)
        cb.on_train_begin()
        return model.get_weights()
    model.load_weights(path)
    return model.get_weights()


MEMORY_LIMIT = 3 << 30  # address space above the child's baseline: a bomb raises, never swaps


def _limit_memory():
    try:
        import resource

        with open("/proc/self/statm") as f:
            base = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (base + MEMORY_LIMIT, base + MEMORY_LIMIT))
    except (ImportError, OSError, ValueError):
        pass  # no limit where the platform has none


def run_case(tf, fmt, path, original, timeout):
    """``(verdict, detail)``: "ok", "clear", "unclear", "different", "hang" or "crash"."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: load, report, exit without running the parent's cleanups
        os.close(r)
        _limit_memory()
        try:
            weights = _load(tf, fmt, path)
            same = len(weights) == len(original) and all(
                a.shape == b.shape and np.array_equal(a, b) for a, b in zip(weights, original))
            msg = ("ok", "") if same else ("different", "weights differ")
        except CLEAR as e:
            text = str(e)
            named = os.path.basename(path) in text or os.path.dirname(path) in text
            msg = ("clear", f"{type(e).__name__}: {text[:200]}") if named else (
                "unclear", f"{type(e).__name__} without the file's name: {text[:200]}")
        except BaseException as e:
            msg = ("unclear", f"{type(e).__name__}: {str(e)[:200]}")
        os.write(w, pickle.dumps(msg))
        os._exit(0)
    os.close(w)
    ready, _, _ = select.select([r], [], [], timeout)
    if not ready:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(r)
        return "hang", f"no answer in {timeout} s"
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if not data:
        return "crash", f"child ended with status {status}"
    return pickle.loads(data)


def fuzz(cases, seed=0, timeout=20.0, formats=FORMATS, log=None, malicious_only=False):
    """Run ``cases`` mutations; returns {verdict: count} and the failures (with
    ``malicious_only``, each MALICIOUS config in turn, in ``.keras`` files)."""
    import tapeflow as tf

    rng = random.Random(seed)
    counts, failures = {}, []
    with tempfile.TemporaryDirectory() as folder:
        canary = os.path.join(folder, "CANARY")
        originals, weights = make_originals(tf, folder)
        blobs = {fmt: open(p, "rb").read() for fmt, p in originals.items()}
        formats = [f for f in formats if f in originals]
        for i in range(cases):
            fmt = "keras" if malicious_only else formats[i % len(formats)]
            if malicious_only:
                blob, kind = mutate_config(blobs[fmt], rng, canary, i % len(MALICIOUS))
            elif fmt == "keras" and rng.random() < 0.5:
                blob, kind = mutate_config(blobs[fmt], rng, canary)
            else:
                blob, kind = mutate_bytes(blobs[fmt], rng)
            sub = os.path.join(folder, f"case{i}")
            os.makedirs(sub)
            name = "latest.safetensors" if fmt == "backup" else (
                "m.h5" if fmt == "legacy.h5" else f"m.{fmt}")
            path = os.path.join(sub, name)
            with open(path, "wb") as f:
                f.write(blob)
            verdict, detail = run_case(tf, fmt, path, weights[fmt], timeout)
            if os.path.exists(canary):
                verdict, detail = "code ran", f"the canary appeared ({kind})"
                os.unlink(canary)
            if verdict == "different" and fmt in UNVERIFIED:
                verdict = "different (no digest)"  # Keras's own formats carry no checksums
            counts[verdict] = counts.get(verdict, 0) + 1
            if verdict not in ("ok", "clear", "different (no digest)"):
                failures.append((i, fmt, kind, verdict, detail))
            if log:
                log(f"{i:5d} {fmt:11s} {kind:32s} {verdict:9s} {detail[:90]}")
    return counts, failures


# -- SIGKILL during saves -----------------------------------------------------------------------
SAVER = """
import os, sys
import numpy as np
import tapeflow as tf
target, kind = sys.argv[1], sys.argv[2]
m = tf.keras.Sequential([tf.keras.Input((64,)), tf.keras.layers.Dense(512),
                         tf.keras.layers.Dense(64)])
m.compile(optimizer="adam", loss="mse")
x = np.ones((8, 64), "float32")
i = 0
while True:  # save again and again until killed; each save holds different weights
    i += 1
    m.get_layer(index=0).kernel.assign(np.full((64, 512), i, "float32"))
    if kind == "keras":
        m.save(target)
    elif kind == "backup":
        cb = tf.keras.callbacks.BackupAndRestore(os.path.dirname(target),
                                                 delete_checkpoint=False)
        m.fit(x, x, epochs=1, verbose=0, callbacks=[cb])
    else:
        m.save_weights(target)
    if i == 1:
        print("saved", flush=True)
"""

KILL_KINDS = {"weights.h5": "m.weights.h5", "safetensors": "m.safetensors", "npz": "m.npz",
              "keras": "m.keras", "backup": "latest.safetensors"}


def kill_trials(trials, seed=0, log=None):
    """Kill savers at random moments; each time the target must still load (an old or a
    new save, never a torn one) and at most one temporary file per target may remain."""
    import subprocess

    import tapeflow as tf

    rng = random.Random(seed)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "PYTHONPATH": root}
    failures, done = [], 0
    with tempfile.TemporaryDirectory() as folder:
        for t in range(trials):
            kind = list(KILL_KINDS)[t % len(KILL_KINDS)]
            sub = os.path.join(folder, kind)
            os.makedirs(sub, exist_ok=True)
            target = os.path.join(sub, KILL_KINDS[kind])
            p = subprocess.Popen([sys.executable, "-c", SAVER, target, kind], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            p.stdout.readline()  # the first save is complete
            time.sleep(rng.uniform(0.0, 0.6))
            p.kill()
            p.wait()
            temps = [f for f in os.listdir(sub) if ".tmp-" in f]
            try:
                if kind == "keras":
                    loaded = tf.keras.models.load_model(target)
                else:
                    loaded = tf.keras.Sequential([tf.keras.Input((64,)),
                                                  tf.keras.layers.Dense(512),
                                                  tf.keras.layers.Dense(64)])
                    if kind == "backup":
                        arrays, _ = __import__(
                            "tapeflow.keras.saving._safetensors",
                            fromlist=["read"]).read(target)
                        kernel = next(a for k, a in arrays.items() if k.endswith("/0")
                                      and a.shape == (64, 512))
                    else:
                        loaded.load_weights(target)
                if kind != "backup":
                    kernel = loaded.get_layer(index=0).kernel.numpy()
                # one whole save: the kernel a save wrote (fit moves a backup's weights, so
                # there reading it whole, digests verified, is the check)
                ok = kind == "backup" or float(kernel.min()) == float(kernel.max()) >= 1
                verdict = "ok" if ok and len(temps) <= 1 else (
                    "torn" if not ok else f"{len(temps)} temporary files")
            except Exception as e:
                verdict = f"unloadable: {type(e).__name__}: {e}"
            done += 1
            if verdict != "ok":
                failures.append((t, kind, verdict))
            if log:
                log(f"kill {t:3d} {kind:11s} {verdict}")
    return done, failures


# (scenario, options, env, what the job's output must say): each must end the whole job
# with a non-zero status well before the collective timeout, naming the cause
MPI_FAULTS = [
    ("mismatch", ["data=uneven"], {}, "steps per epoch"),
    ("mismatch", ["model=uneven"], {}, "model has variable 0 of shape"),
    ("mismatch", ["exit=0"], {}, "exited while Model.fit was still running"),
    ("fault", ["fault=raise"], {}, "injected failure on the last rank"),
    # a SIGKILLed rank cannot speak: the launcher reports it (MPICH: "Killed (signal 9)",
    # Open MPI: "signal 9 (Killed)")
    ("fault", ["fault=kill"], {}, "Killed"),
    ("fault", ["fault=hang"], {"TAPEFLOW_COLLECTIVE_TIMEOUT": "2"}, "did not complete within 2 s"),
]


def mpi_faults(log=None, deadline=30.0):
    """Run each MPI fault case on 2 ranks; ``[(case, verdict)]`` of those that failed (a
    zero exit status, a job outliving ``deadline`` seconds, or an output not naming the cause),
    or None when MPI is not installed."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
        __file__))), "distribute"))
    import _launch  # deferred: the MPI launcher of the distribute tests

    if _launch.mpiexec() is None:
        return None
    try:
        import mpi4py  # noqa: F401  # optional: the mpi extra
    except ImportError:
        return None
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (scenario, options, env, expect) in enumerate(MPI_FAULTS):
            case = f"{scenario} {' '.join(options)}"
            try:
                proc, seconds = _launch.launch(2, scenario, os.path.join(tmp, str(i)),
                                               *options, env=env, check=False,
                                               timeout=deadline * 3)
            except Exception as e:  # a hang past the timeout is a failure
                failures.append((case, f"{type(e).__name__}: {e}"))
                continue
            if proc.returncode == 0:
                verdict = "the job exited 0"
            elif seconds > deadline:
                verdict = f"the job took {seconds:.0f} s"
            elif expect not in proc.stderr + proc.stdout:
                verdict = f"the output does not say {expect!r}: {proc.stderr[-300:]!r}"
            else:
                verdict = "ok"
            if log:
                log(f"mpi  {case:24s} {verdict} ({seconds:.1f} s)")
            if verdict != "ok":
                failures.append((case, verdict))
    return failures


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("--kills", type=int, default=50, help="SIGKILL-during-save trials")
    p.add_argument("--no-mpi", action="store_true", help="skip the MPI fault cases")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args(argv)
    start = time.time()
    counts, failures = fuzz(args.cases, args.seed, args.timeout,
                            log=print if args.verbose else None)
    print(f"{args.cases} cases in {time.time() - start:.0f} s (seed {args.seed}): "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    start = time.time()
    done, kill_failures = kill_trials(args.kills, args.seed,
                                      log=print if args.verbose else None)
    print(f"{done} kills during saves in {time.time() - start:.0f} s: "
          f"{done - len(kill_failures)} left a loadable target and at most one temporary file")
    mpi_failures = [] if args.no_mpi else mpi_faults(log=print if args.verbose else None)
    if mpi_failures is None:
        print("MPI fault cases skipped: the `mpi` extra (mpi4py, mpiexec) is not installed")
        mpi_failures = []
    elif not args.no_mpi:
        print(f"{len(MPI_FAULTS)} MPI fault cases: "
              f"{len(MPI_FAULTS) - len(mpi_failures)} ended the job naming the cause")
    for f in failures + kill_failures + mpi_failures:
        print("FAIL", *f)
    return 1 if failures or kill_failures or mpi_failures else 0


if __name__ == "__main__":
    sys.exit(main())
