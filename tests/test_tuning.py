"""Process-wide tuning (``tapeflow/backend/tuning.py``): ``import tapeflow`` and light ops
change no process setting (OpenBLAS's thread count, glibc's malloc thresholds, threads); the
first heavy op applies the tuning once; each switch turns its behaviour off.

Each case runs in a fresh interpreter, which observes the settings itself: OpenBLAS's thread
count through the library's own getter, glibc's mmap threshold by whether a ~31 MiB block is
served by a fresh mapping (``mallinfo2().hblks``), threads in ``/proc/self/task``, and, through
an audit hook, any lookup of ``mallopt`` or an OpenBLAS ``set_num_threads``."""
import json
import os
import subprocess
import sys

import pytest

_CHILD = r"""
import ctypes, json, os, sys, threading
import numpy as np

def find_openblas():
    with open("/proc/self/maps") as f:
        paths = sorted({ln.split()[-1] for ln in f if "openblas" in ln.lower()})
    for path in paths:
        lib = ctypes.CDLL(path)
        for pre, post in (("scipy_openblas", "64_"), ("openblas", "64_"),
                          ("scipy_openblas", ""), ("openblas", "")):
            get = getattr(lib, f"{pre}_get_num_threads{post}", None)
            put = getattr(lib, f"{pre}_set_num_threads{post}", None)
            if get is not None and put is not None:
                return get, put
    return None

blas = find_openblas()
if blas is not None:
    blas[1](2)

libc = ctypes.CDLL(None)
mallinfo2 = getattr(libc, "mallinfo2", None)
if mallinfo2 is not None:
    class MallInfo2(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
            "fordblks", "keepcost")]
    mallinfo2.restype = MallInfo2
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
# NOTE: glibc raises its mmap threshold to the size of each mapped block freed, so each probe
# asks for a little more than the last; all stay under the 32 MiB the tuning sets
sizes = iter(range(31 << 20, 32 << 20, 1 << 16))

def big_block_mapped():
    if mallinfo2 is None:
        return None
    before = mallinfo2().hblks
    p = libc.malloc(next(sizes))
    mapped = mallinfo2().hblks > before
    libc.free(p)
    return mapped

looked_up = []

def hook(event, args):
    if event == "ctypes.dlsym" and isinstance(args[1], str) and (
            "mallopt" in args[1] or "set_num_threads" in args[1]):
        looked_up.append(args[1])

sys.addaudithook(hook)

def state():
    return {"blas": blas[0]() if blas else None, "mapped": big_block_mapped(),
            "tasks": len(os.listdir("/proc/self/task")), "threads": threading.active_count(),
            "looked_up": list(looked_up)}

out = {"before": state()}
import tapeflow as tf
from tapeflow.backend import tuning
x = tf.constant(1.) + 1
y = tf.matmul(tf.ones([64, 64]), tf.ones([64, 64]))
out["light"] = dict(state(), applied=tuning.applied())
big = tf.ones([4096, 1024]) @ tf.ones([1024, 64])  # 2^28 multiply-adds: split over workers
out["split"] = dict(state(), applied=tuning.applied(), value=float(big[0, 0]))

calls = {"tune_malloc": 0, "tune_blas_threads": 0}
def counted(name):
    fn = getattr(tuning, name)
    def wrapper():
        calls[name] += 1
        return fn()
    return wrapper
for name in calls:
    setattr(tuning, name, counted(name))

img, w = tf.ones([4, 8, 8, 3]), tf.ones([3, 3, 3, 5])
tf.nn.conv2d(img, w, 1, "SAME")
out["conv"] = dict(state(), applied=tuning.applied())
with tf.GradientTape() as tape:
    tape.watch(img)
    loss = tf.reduce_sum(tf.nn.max_pool2d(tf.nn.conv2d(img, w, 1, "SAME"), 2, 2, "VALID"))
tape.gradient(loss, img)
out["more"] = dict(state(), applied=tuning.applied(), calls=calls)
print(json.dumps(out))
"""

_SWITCHES = ("TAPEFLOW_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
             "MKL_NUM_THREADS", "TAPEFLOW_MALLOC_TUNING", "TAPEFLOW_BLAS_TUNING")


def _run_child(**switches):
    env = {k: v for k, v in os.environ.items() if k not in _SWITCHES}
    env.update(switches)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    p = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True,
                       timeout=180)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def default_run():
    if not sys.platform.startswith("linux"):
        pytest.skip("the observations read /proc and glibc")
    return _run_child()


def _blas_observable(out):
    if out["before"]["blas"] != 2:
        pytest.skip("NumPy here does not use OpenBLAS, or OpenBLAS cannot run 2 threads")


def _malloc_observable(out):
    if out["before"]["mapped"] is not True:
        pytest.skip("no glibc mallinfo2, or large blocks do not come from mmap here")


def test_import_and_light_ops_change_no_process_setting(default_run):
    before, light = default_run["before"], default_run["light"]
    assert light["looked_up"] == []  # no mallopt, no OpenBLAS set_num_threads
    assert light["applied"] == {}
    assert light["tasks"] == before["tasks"]
    assert light["threads"] == before["threads"]
    assert light["blas"] == before["blas"]
    assert light["mapped"] == before["mapped"]


def test_import_leaves_openblas_threads_alone(default_run):
    _blas_observable(default_run)
    assert default_run["light"]["blas"] == 2


def test_import_leaves_malloc_alone(default_run):
    _malloc_observable(default_run)
    assert default_run["light"]["mapped"] is True


def test_first_heavy_op_applies_the_tuning_once(default_run):
    conv, more = default_run["conv"], default_run["more"]
    assert conv["applied"] == {"malloc": True, "blas_threads": default_run["before"]["blas"]
                               is not None}
    # counted from after the split product on: malloc was tuned by it, the first conv tuned
    # OpenBLAS, later heavy ops (a conv, max-pooling and their gradients) nothing again
    assert more["calls"] == {"tune_malloc": 0, "tune_blas_threads": 1}
    assert more["applied"] == conv["applied"]
    assert any("mallopt" in name for name in conv["looked_up"])


def test_split_plain_product_tunes_malloc_only(default_run):
    """A product large enough to be split over the workers (an evaluation over a whole test
    set) keeps big blocks on the heap but leaves OpenBLAS's threads to the model's other
    products; the first heavy op still switches them."""
    split = default_run["split"]
    assert split["value"] == 1024.0
    assert split["applied"] == {"malloc": True}
    if default_run["before"]["blas"] == 2:
        assert split["blas"] == 2
        assert default_run["conv"]["blas"] == 1
    if default_run["before"]["mapped"] is True:
        assert split["mapped"] is False


def test_first_heavy_op_puts_openblas_on_one_thread(default_run):
    _blas_observable(default_run)
    assert default_run["conv"]["blas"] == 1
    assert default_run["more"]["blas"] == 1


def test_first_heavy_op_keeps_big_blocks_on_the_heap(default_run):
    _malloc_observable(default_run)
    assert default_run["conv"]["mapped"] is False
    assert default_run["more"]["mapped"] is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and glibc")
def test_malloc_switch_turns_malloc_tuning_off():
    out = _run_child(TAPEFLOW_MALLOC_TUNING="0")
    assert out["conv"]["applied"]["malloc"] is False
    assert not any("mallopt" in name for name in out["more"]["looked_up"])
    _malloc_observable(out)
    assert out["more"]["mapped"] is True
    if out["before"]["blas"] == 2:
        assert out["more"]["blas"] == 1  # the other behaviour is still on


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and glibc")
@pytest.mark.parametrize("switch", [{"TAPEFLOW_BLAS_TUNING": "0"},
                                    {"TAPEFLOW_NUM_THREADS": "2"}], ids=lambda s: next(iter(s)))
def test_blas_switch_turns_blas_tuning_off(switch):
    out = _run_child(**switch)
    assert out["conv"]["applied"]["blas_threads"] is False
    _blas_observable(out)
    # NOTE: inside each chunked op OpenBLAS still runs on one thread; afterwards the count set
    # (2) is back
    assert out["conv"]["blas"] == 2
    assert out["more"]["blas"] == 2
    if out["before"]["mapped"] is True:
        assert out["more"]["mapped"] is False  # the other behaviour is still on
