"""tf.nest, tf.Module, name scopes, devices, config, debugging and creation ops."""
import collections
import subprocess
import sys

import numpy as np
import pytest

import tapeflow as tf


def test_nest_roundtrip_and_map():
    Point = collections.namedtuple("Point", "x y")
    s = {"b": [1, (2, 3)], "a": Point(4, 5), "c": None}
    flat = tf.nest.flatten(s)
    assert flat == [4, 5, 1, 2, 3, None]  # dict keys sorted, namedtuples kept
    back = tf.nest.pack_sequence_as(s, flat)
    assert back == s and isinstance(back["a"], Point)
    doubled = tf.nest.map_structure(lambda v: None if v is None else v * 2, s)
    assert doubled["b"] == [2, (4, 6)] and doubled["a"] == Point(8, 10)
    assert tf.nest.flatten(tf.constant(1.0))[0].shape == ()
    with pytest.raises(ValueError):
        tf.nest.assert_same_structure([1, 2], [1])
    with pytest.raises(ValueError, match="Could not pack"):
        tf.nest.pack_sequence_as([1, 2], [1])


def test_module_tracks_variables_and_submodules():
    class Dense(tf.Module):
        def __init__(self, n_in, n_out, name=None):
            super().__init__(name=name)
            self.w = tf.Variable(tf.ones([n_in, n_out]), name="w")
            self.b = tf.Variable(tf.zeros([n_out]), name="b")

        def __call__(self, x):
            return tf.nn.relu(x @ self.w + self.b) if hasattr(tf.nn, "relu") else x @ self.w

    class MLP(tf.Module):
        def __init__(self):
            super().__init__()
            self.layers = [Dense(3, 4), Dense(4, 2)]
            self.extra = {"scale": tf.Variable(2.0, trainable=False)}

    m = MLP()
    assert m.name == "mlp"
    assert len(m.variables) == 5 and len(m.trainable_variables) == 4
    assert len(m.non_trainable_variables) == 1 and len(m.submodules) == 2
    assert Dense(1, 1).name.startswith("dense")
    with pytest.raises(ValueError):
        tf.Module(name="not valid!")


def test_device_scope_and_config():
    with tf.device("/CPU:0"):
        t = tf.constant([1.0])
    assert t.device == "/job:localhost/replica:0/task:0/device:CPU:0"
    with pytest.raises(ValueError, match="Failed parsing device name"):
        with tf.device("nonsense"):
            pass
    cpus = tf.config.list_physical_devices("CPU")
    assert cpus and cpus[0].device_type == "CPU"
    assert tf.config.list_physical_devices("GPU") == []
    assert tf.executing_eagerly()


def test_debugging_checks():
    tf.debugging.check_numerics(tf.constant([1.0]), "ok")
    with pytest.raises(tf.errors.InvalidArgumentError, match="my tensor : Tensor had NaN"):
        tf.debugging.check_numerics(tf.constant([np.nan]), "my tensor")
    with pytest.raises(tf.errors.InvalidArgumentError, match="Inf"):
        tf.debugging.check_numerics(tf.constant([np.inf]), "t")
    tf.debugging.assert_equal(tf.constant([1, 2]), tf.constant([1, 2]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="x == y did not hold"):
        tf.debugging.assert_equal(tf.constant([1, 2]), tf.constant([1, 3]))


def test_errors_hierarchy():
    e = tf.errors.InvalidArgumentError(None, "Op", "bad")
    assert isinstance(e, tf.errors.OpError) and str(e) == "bad" and e.op == "Op"
    assert tf.errors.InvalidArgumentError.error_code == tf.errors.INVALID_ARGUMENT
    assert not isinstance(e, ValueError)  # as in TF


def test_creation_ops():
    assert tf.zeros(3).numpy().tolist() == [0.0, 0.0, 0.0] and tf.zeros(3).dtype == tf.float32
    assert tf.zeros([2], dtype=tf.int32).dtype == tf.int32
    assert tf.ones_like(tf.constant([1, 2])).numpy().tolist() == [1, 1]
    assert tf.fill([2], 3).numpy().tolist() == [3, 3] and tf.fill([2], 3).dtype == tf.int32
    assert tf.eye(2).numpy().tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert tf.range(5).dtype == tf.int32 and tf.range(5).numpy().tolist() == [0, 1, 2, 3, 4]
    assert tf.range(5, dtype=tf.float32).dtype == tf.float32
    assert tf.range(0, 1, 0.25).numpy().tolist() == [0.0, 0.25, 0.5, 0.75]
    assert tf.range(10, 0, -3).numpy().tolist() == [10, 7, 4, 1]
    with pytest.raises(tf.errors.InvalidArgumentError, match="Requires start <= limit"):
        tf.range(5, 1)
    assert tf.linspace(0.0, 1.0, 5).numpy().tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert tf.linspace(0, 1, 5).dtype == tf.float64
    oh = tf.one_hot([1, -1, 5], 3)
    assert oh.numpy().tolist() == [[0, 1, 0], [0, 0, 0], [0, 0, 0]] and oh.dtype == tf.float32
    assert tf.one_hot([0, 2], 3, on_value=5, off_value=-1).numpy().tolist() == [[5, -1, -1],
                                                                                [-1, -1, 5]]
    assert tf.one_hot([0, 1], 2, axis=0).numpy().tolist() == [[1, 0], [0, 1]]
    assert tf.shape(tf.ones([2, 3])).numpy().tolist() == [2, 3]
    assert int(tf.size(tf.ones([2, 3]))) == 6 and int(tf.rank(tf.ones([2, 3]))) == 2


def test_shape_op_errors():
    err = tf.errors.InvalidArgumentError
    with pytest.raises(err, match="requires a multiple of 4"):
        tf.reshape(tf.ones([2, 3]), [4, -1])
    with pytest.raises(err, match="the requested shape has 8"):
        tf.reshape(tf.ones([2, 3]), [4, 2])
    with pytest.raises(err, match="Ranks of all input tensors should match"):
        tf.concat([tf.ones([2]), tf.ones([3, 1])], 0)
    with pytest.raises(err, match=r"Can not squeeze dim\[1\]"):
        tf.squeeze(tf.ones([1, 2]), 1)
    with pytest.raises(err, match="Invalid reduction dimension"):
        tf.reduce_sum(tf.ones([1, 2]), axis=5)
    with pytest.raises(err, match=r"Matrix size-incompatible: In\[0\]: \[2, 3\], In\[1\]: "):
        tf.matmul(tf.ones([2, 3]), tf.ones([2, 3]))
    with pytest.raises(err, match="float64"):
        tf.matmul(tf.ones([2, 3]), tf.ones([3, 2], tf.float64))
    with pytest.raises(err, match="Exp"):
        tf.math.exp(tf.constant([1]))
    with pytest.raises(err, match="Unable to broadcast"):
        tf.broadcast_to(tf.ones([3]), [2, 2])


def test_reductions_and_casts_values():
    assert int(tf.reduce_sum(tf.constant([1, 2, 3]))) == 6
    assert int(tf.reduce_mean(tf.constant([1, 2]))) == 1  # integer mean truncates, as TF
    assert tf.argmax(tf.constant([[1, 2], [3, 1]]), axis=1).numpy().tolist() == [1, 0]
    assert tf.argmax(tf.constant([[1, 2], [3, 1]])).dtype == tf.int64
    assert tf.cast(tf.constant([1.7, -1.7]), tf.int32).numpy().tolist() == [1, -1]
    assert tf.cast(tf.constant([300]), tf.uint8).numpy().tolist() == [44]
    assert tf.round(tf.constant([0.5, 1.5, 2.5])).numpy().tolist() == [0.0, 2.0, 2.0]
    assert tf.sign(tf.constant([-2, 0, 3])).numpy().tolist() == [-1, 0, 1]
    assert tf.reduce_any(tf.constant([False, True])).numpy()
    assert float(tf.reduce_max(tf.zeros([0]))) == -np.inf
    assert tf.add_n([tf.constant(1.0), tf.constant(2.0), 3.0]).numpy() == 6.0
    assert tf.cumsum(tf.constant([1, 2, 3]), exclusive=True).numpy().tolist() == [0, 1, 3]
    assert tf.math.count_nonzero(tf.constant([0, 1, 2])).numpy() == 2


def test_import_loads_nothing_optional_starts_no_threads_prints_nothing():
    code = ("import sys, threading\n"
            "import tapeflow as tf\n"
            "optional = ('cupy', 'mpi4py', 'scipy', 'matplotlib', 'h5py', 'onnx', 'ml_dtypes',\n"
            "            'onnxruntime', 'tensorflow', 'torch', 'jax')\n"
            "loaded = sorted(m for m in sys.modules if m.split('.')[0] in optional)\n"
            "sys.stderr.write(repr((loaded, threading.active_count())))\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout == ""
    assert p.stderr == repr(([], 1))


@pytest.mark.parametrize("shape, axis", [((3000, 10), 1), ((3000, 10), -1), ((40, 300, 7), 2),
                                         ((2000, 12), 0), ((2000, 12), (1,)), ((256, 10), 1),
                                         ((60, 3), -1), ((30000, 40), 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_over_a_short_axis_of_many_rows(shape, axis, keepdims):
    """Sums over a short last axis (or the first axis of a tall matrix) run as matrix-vector
    products and max/min over a transposed copy (NumPy's own loop past a million elements
    and 16 columns): NumPy's values and shapes, NaN and infinity propagating."""
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        a = rng.standard_normal(shape).astype(dtype)
        a.reshape(-1)[[5, 77]] = [np.nan, np.inf]
        t = tf.constant(a)
        ax = axis[0] if isinstance(axis, tuple) else axis
        for fn, ref, rtol in ((tf.reduce_sum, np.sum, 1e-5), (tf.reduce_mean, np.mean, 1e-5),
                              (tf.reduce_max, np.max, 0), (tf.reduce_min, np.min, 0)):
            got = fn(t, axis=axis, keepdims=keepdims).numpy()
            want = ref(a, axis=ax, keepdims=keepdims)
            assert got.shape == want.shape and got.dtype == want.dtype, fn.__name__
            np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-5 if rtol else 0,
                                       err_msg=fn.__name__)
    x = rng.standard_normal((5000, 10)).astype(np.float32)
    s = tf.nn.softmax(tf.constant(x)).numpy()
    e = np.exp(x - x.max(1, keepdims=True))
    np.testing.assert_allclose(s, e / e.sum(1, keepdims=True), rtol=1e-6)


@pytest.mark.parametrize("shape", [(256, 10), (3, 4, 5), (2, 64), (7, 65), (5, 1), (4, 0, 3),
                                   (1, 6)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int8])
def test_max_min_over_a_short_last_axis_of_a_small_array(shape, dtype):
    """Max/min over the short last axis of a small array (a batch's logits, reduced through
    a transposed copy): exactly NumPy's values, dtypes and shapes, NaN propagating."""
    rng = np.random.default_rng(1)
    a = (rng.standard_normal(shape) * 10).astype(dtype)
    if a.size and a.dtype.kind == "f":
        a.reshape(-1)[[0, a.size // 2]] = [np.nan, -np.inf]
    t = tf.constant(a)
    for fn, ref in ((tf.reduce_max, np.max), (tf.reduce_min, np.min)):
        for axis in (-1, len(shape) - 1, [len(shape) - 1]):
            for keepdims in (False, True):
                if not a.size:
                    continue  # an empty reduction: TF's identity values, tested elsewhere
                got = fn(t, axis=axis, keepdims=keepdims).numpy()
                want = ref(a, axis=len(shape) - 1, keepdims=keepdims)
                assert got.shape == want.shape and got.dtype == want.dtype
                np.testing.assert_array_equal(got, want)
