"""``tf.config.threading``: the intra-op count sets tapeflow's worker threads and OpenBLAS's
threads (it was recorded nowhere before), with TF's argument errors."""
import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.backend import tuning
from tapeflow.ops._chunks import run_chunks

_ENV = ("TAPEFLOW_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
        "TAPEFLOW_BLAS_TUNING")

# A fresh process: the counts change process-wide state (OpenBLAS's threads).
_CHILD = r"""
import json, threading
import numpy as np
import tapeflow as tf
from tapeflow.backend import tuning
from tapeflow.ops._chunks import run_chunks

blas = tuning._openblas()
count = (lambda: blas[0]()) if blas else (lambda: None)
out = {"default": [tf.config.threading.get_intra_op_parallelism_threads(), tuning.workers(),
                   count()]}

def seen():
    names = set()
    def job(a, b):
        names.add(threading.current_thread().name)
    run_chunks(job, [(i, i + 1) for i in range(64)])
    return len(names)

tf.config.threading.set_intra_op_parallelism_threads(1)
img = tf.random.normal([8, 12, 12, 3])
with tf.GradientTape() as tape:
    tape.watch(img)
    y = tf.nn.max_pool2d(tf.nn.conv2d(img, tf.ones([3, 3, 3, 4]), 1, "VALID"), 2, 2, "VALID")
tape.gradient(y, img)  # heavy ops: the first one applies the tuning
out["one"] = [tf.config.threading.get_intra_op_parallelism_threads(), tuning.workers(),
              count(), seen(), tuning.applied()]
tf.config.threading.set_intra_op_parallelism_threads(2)
out["two"] = [tuning.workers(), count(), seen()]
tf.config.threading.set_intra_op_parallelism_threads(0)
out["back"] = [tf.config.threading.get_intra_op_parallelism_threads(), tuning.workers(), count()]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def child():
    env = {k: v for k, v in os.environ.items() if k not in _ENV}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    p = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True,
                       text=True, timeout=180)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


def _cores():
    try:
        return min(len(os.sched_getaffinity(0)), 8)
    except AttributeError:
        return min(os.cpu_count() or 1, 8)


def test_default_is_zero_and_the_system_choice(child):
    intra, workers, _ = child["default"]
    assert intra == 0
    assert workers == _cores()


def test_one_intra_op_thread_runs_chunks_and_blas_on_one_thread(child):
    intra, workers, blas, threads_seen, applied = child["one"]
    assert (intra, workers, threads_seen) == (1, 1, 1)
    if blas is not None:
        assert blas == 1
        # the user's count stands: the first heavy op did not take OpenBLAS's threads over
        assert applied.get("blas_threads") is False


def test_two_intra_op_threads_use_two_workers_and_two_blas_threads(child):
    workers, blas, threads_seen = child["two"]
    assert workers == 2
    assert threads_seen <= 2
    if blas is not None:
        assert blas == 2


def test_zero_gives_the_default_back(child):
    intra, workers, blas = child["back"]
    assert (intra, workers) == (0, _cores())
    if blas is not None:
        assert blas == child["default"][2]  # OpenBLAS's count from before the first setting


def test_set_intra_op_overrides_environment_thread_counts(monkeypatch):
    monkeypatch.setenv("TAPEFLOW_NUM_THREADS", "3")
    assert tuning.workers() == 3
    try:
        tf.config.threading.set_intra_op_parallelism_threads(2)
        assert tuning.workers() == 2
        names = set()
        run_chunks(lambda a, b: names.add(threading.current_thread().name),
                   [(i, i + 1) for i in range(32)])
        assert len(names) <= 2
    finally:
        tf.config.threading.set_intra_op_parallelism_threads(0)
    assert tuning.workers() == 3


def test_intra_op_count_keeps_results_equal():
    x = np.random.default_rng(0).random((4, 10, 10, 2), np.float32)
    k = np.random.default_rng(1).random((3, 3, 2, 5), np.float32)
    want = tf.nn.conv2d(x, k, 1, "SAME").numpy()
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        got = tf.nn.conv2d(x, k, 1, "SAME").numpy()
    finally:
        tf.config.threading.set_intra_op_parallelism_threads(0)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_inter_op_count_is_recorded():
    try:
        tf.config.threading.set_inter_op_parallelism_threads(np.int64(3))
        assert tf.config.threading.get_inter_op_parallelism_threads() == 3
        tf.config.threading.set_inter_op_parallelism_threads(None)  # None is 0, as in TF
        assert tf.config.threading.get_inter_op_parallelism_threads() == 0
    finally:
        tf.config.threading.set_inter_op_parallelism_threads(0)


@pytest.mark.parametrize("setter", ["set_intra_op_parallelism_threads",
                                    "set_inter_op_parallelism_threads"])
def test_bad_counts_raise_tf_errors(setter):
    fn = getattr(tf.config.threading, setter)
    which = setter.split("_")[1]
    with pytest.raises(TypeError, match="'float' object cannot be interpreted as an integer"):
        fn(2.5)
    with pytest.raises(TypeError, match="'str' object cannot be interpreted as an integer"):
        fn("2")
    with pytest.raises(TypeError, match=f"ConfigProto.{which}_op_parallelism_threads: "
                                        "Expected an int, got a boolean"):
        fn(True)
    with pytest.raises(ValueError, match=f"{which}_op_parallelism_threads must be >= 0"):
        fn(-1)
    assert getattr(tf.config.threading, "g" + setter[1:])() == 0
