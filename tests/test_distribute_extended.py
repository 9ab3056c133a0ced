"""``tf.distribute``'s ``StrategyExtended``, ``CrossDeviceOps`` family, ``DistributedValues``,
``DistributedIterator``, ``InputReplicationMode`` and ``RunOptions``. Expected values were
recorded from TF 2.21 (tensorflow-cpu; its several-device cases on two logical CPUs, here
on the NumPy-backed stand-in GPUs of tests/fakegpu.py)."""
import sys
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fakegpu import fake_gpus

D = tf.distribute
R = D.ReduceOp
CPU0 = "/job:localhost/replica:0/task:0/device:CPU:0"
GPU0 = "/job:localhost/replica:0/task:0/device:GPU:0"
GPU1 = "/job:localhost/replica:0/task:0/device:GPU:1"


def _vals(x):
    return [v.numpy().tolist() for v in x] if isinstance(x, (list, tuple)) else x.numpy().tolist()


# -- names and classes -------------------------------------------------------------------------
def test_public_names():
    for name in ("CrossDeviceOps", "ReductionToOneDevice", "HierarchicalCopyAllReduce",
                 "NcclAllReduce", "DistributedIterator", "DistributedValues",
                 "InputReplicationMode", "RunOptions", "StrategyExtended"):
        assert hasattr(D, name), name
    assert issubclass(D.ReductionToOneDevice, D.CrossDeviceOps)
    assert issubclass(D.HierarchicalCopyAllReduce, D.CrossDeviceOps)
    assert issubclass(D.NcclAllReduce, D.CrossDeviceOps)
    with pytest.raises(TypeError, match=r"DistributedValues\(\) takes no arguments"):
        D.DistributedValues([1, 2])


@pytest.mark.parametrize("make,cls", [
    (lambda: D.get_strategy(), "_DefaultDistributionExtended"),
    (lambda: D.MirroredStrategy(), "MirroredExtended"),
    (lambda: D.OneDeviceStrategy("/cpu:0"), "OneDeviceExtended"),
    (lambda: D.MultiWorkerMirroredStrategy(), "CollectiveAllReduceExtended"),
])
def test_extended_classes(make, cls):
    s = make()
    assert isinstance(s.extended, D.StrategyExtended)
    assert type(s.extended).__name__ == cls
    assert s.extended._container_strategy() is s
    assert s.extended.experimental_require_static_shapes is False
    assert s.extended.should_checkpoint is True and s.extended.should_save_summary is True


# -- StrategyExtended on the default strategy -------------------------------------------------
def test_default_extended_devices_unsupported():
    ext = D.get_strategy().extended
    with pytest.raises(RuntimeError, match=r"^worker_devices\(\) method unsupported by "
                                           r"default tf\.distribute\.Strategy\.$"):
        ext.worker_devices
    with pytest.raises(RuntimeError, match=r"^parameter_devices\(\) method unsupported by "
                                           r"default tf\.distribute\.Strategy\.$"):
        ext.parameter_devices


@pytest.mark.parametrize("make", [lambda: D.get_strategy(), lambda: D.MirroredStrategy()])
def test_reduce_to_one_replica(make):
    ext = make().extended
    x = tf.constant([1.0, 2.0])
    assert _vals(ext.reduce_to("SUM", x, destinations=x)) == [1.0, 2.0]
    assert _vals(ext.reduce_to(R.MEAN, x, destinations="/cpu:0")) == [1.0, 2.0]
    opts = D.experimental.CommunicationOptions()
    assert _vals(ext.reduce_to("SUM", x, destinations=x, options=opts)) == [1.0, 2.0]
    with pytest.raises(ValueError, match=r"^'MAX' is not a valid ReduceOp$"):
        ext.reduce_to("MAX", x, destinations=x)
    out = ext.batch_reduce_to(R.SUM, [(x, x), (x * 2, x)])
    assert isinstance(out, list) and _vals(out) == [[1.0, 2.0], [2.0, 4.0]]


def test_default_batch_reduce_to_empty():
    assert D.get_strategy().extended.batch_reduce_to(R.SUM, []) == []


@pytest.mark.parametrize("make", [lambda: D.get_strategy(), lambda: D.MirroredStrategy(),
                                  lambda: D.OneDeviceStrategy("/cpu:0")])
def test_update(make):
    s = make()
    ext = s.extended
    with s.scope():
        v = tf.Variable([1.0, 2.0])
    out = ext.update(v, lambda var, a: var.assign_add(a), args=(tf.constant([1.0, 1.0]),))
    np.testing.assert_array_equal(v.numpy(), [2.0, 3.0])
    np.testing.assert_array_equal(np.asarray(out), [2.0, 3.0])
    out = ext.update(v, lambda var: var * 3, group=False)
    assert isinstance(out, tuple) and len(out) == 1 and _vals(out[0]) == [6.0, 9.0]
    out = ext.update(v, lambda var: (var * 3, var + 1), group=True)
    assert isinstance(out, tuple) and _vals(out) == [[6.0, 9.0], [3.0, 4.0]]
    out = ext.update(v, lambda var: (var * 3, var + 1), group=False)
    assert [[_vals(r) for r in part] for part in out] == [[[6.0, 9.0]], [[3.0, 4.0]]]
    assert _vals(ext.update(v, lambda var, k=0: var + k, kwargs={"k": 2})) == [4.0, 5.0]


def test_value_container_and_colocate():
    s = D.MirroredStrategy()
    ext = s.extended
    with s.scope():
        v = tf.Variable([1.0, 2.0])
        with ext.colocate_vars_with(v):
            w = tf.Variable(1.0)
    assert ext.value_container(v) is v
    x = tf.constant([1.0])
    assert ext.value_container(x) is x
    assert w.device == CPU0


def test_variable_created_in_scope():
    assert D.get_strategy().extended.variable_created_in_scope(tf.Variable(1.0)) is True
    s = D.MirroredStrategy()
    with s.scope():
        inside = tf.Variable(1.0)
        with s.scope():
            nested = tf.Variable(1.0)
        assert s.extended.variable_created_in_scope(inside)  # asked inside the open scope
    outside = tf.Variable(2.0)
    assert s.extended.variable_created_in_scope(inside) is True
    assert s.extended.variable_created_in_scope(nested) is True
    assert s.extended.variable_created_in_scope(outside) is False
    other = D.MirroredStrategy()
    assert other.extended.variable_created_in_scope(inside) is False


def test_worker_devices_full_names():
    assert D.MirroredStrategy().extended.worker_devices == (CPU0,)
    assert D.MirroredStrategy().extended.parameter_devices == (CPU0,)
    assert D.OneDeviceStrategy("/cpu:0").extended.worker_devices == (CPU0,)


# -- CrossDeviceOps -------------------------------------------------------------------------------
def test_cross_device_ops_single_replica_values():
    x = tf.constant([1.0, 2.0])
    for c in (D.CrossDeviceOps(), D.ReductionToOneDevice(), D.HierarchicalCopyAllReduce(),
              D.NcclAllReduce()):
        assert _vals(c.reduce("SUM", x, x)) == [1.0, 2.0]
        assert _vals(c.reduce(R.MEAN, x, destinations="/cpu:0")) == [1.0, 2.0]
        assert _vals(c.batch_reduce("SUM", [(x, x), (x * 2, "/cpu:0")])) == [[1.0, 2.0],
                                                                            [2.0, 4.0]]
        assert _vals(c.broadcast(x, "/cpu:0")) == [1.0, 2.0]
        with pytest.raises(ValueError, match=r"^destinations must be one of a "
                                             r"`DistributedValues` object, a tf\.Variable "
                                             r"object, or a device string\.$"):
            c.reduce(R.MEAN, x, destinations=None)
    assert D.ReductionToOneDevice(reduce_to_device="/cpu:0").reduce("SUM", x, x).dtype == \
        tf.float32
    assert D.ReductionToOneDevice().reduce("MEAN", tf.constant([1, 2]), x).dtype == tf.int32


def test_cross_device_ops_base_is_abstract():
    c = D.CrossDeviceOps()
    with pytest.raises(NotImplementedError,
                       match=r"^_reduce method must be implemented in descendants\.$"):
        c.reduce_implementation("SUM", tf.constant(1.0), "/cpu:0", None)
    with pytest.raises(NotImplementedError, match=r"^batch_reduce_implementation method must "
                                                  r"be implemented in descendants\.$"):
        c.batch_reduce_implementation("SUM", [], None)
    assert _vals(c.broadcast_implementation(tf.constant(1.0), "/cpu:0")) == 1.0


def test_all_reduce_num_packs():
    assert D.HierarchicalCopyAllReduce(0).num_packs == 0
    assert D.NcclAllReduce(num_packs=2).num_packs == 2
    with pytest.raises(ValueError, match=r"^HierarchicalCopy requires num_packs >= 0, but -1 "
                                         r"is specified$"):
        D.HierarchicalCopyAllReduce(num_packs=-1)
    with pytest.raises(ValueError, match=r"^NCCL all-reduce requires num_packs >= 0, but -1 "
                                         r"is specified$"):
        D.NcclAllReduce(num_packs=-1)


def test_reduce_gradient_matches_finite_differences():
    # d/dx of MEAN(x0 * x1, sin(x0)) through ReductionToOneDevice, float64
    def f(x):
        a, b = x[0], x[1]
        pr = D.PerReplica(a * b, tf.sin(a))
        return D.ReductionToOneDevice().reduce(R.MEAN, pr, destinations="/cpu:0")

    x0 = np.array([0.3, -1.2], np.float64)
    x = tf.Variable(x0)
    with tf.GradientTape() as tape:
        y = f(x)
    g = tape.gradient(y, x).numpy()
    eps = 1e-6
    num = np.zeros(2)
    for i in range(2):
        d = np.zeros(2)
        d[i] = eps
        num[i] = (f(tf.constant(x0 + d)).numpy() - f(tf.constant(x0 - d)).numpy()) / (2 * eps)
    np.testing.assert_allclose(g, num, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(g, [(x0[1] + np.cos(x0[0])) / 2, x0[0] / 2])


# -- several devices ---------------------------------------------------------------------------
@pytest.fixture
def two():
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("a real GPU is registered: these tests use the stand-in devices")
    with fake_gpus():
        s = D.MirroredStrategy(["/gpu:0", "/gpu:1"])
        pr = s.experimental_distribute_values_from_function(
            lambda ctx: tf.constant(float(ctx.replica_id_in_sync_group + 1)))
        ri = s.experimental_distribute_values_from_function(
            lambda ctx: tf.constant(ctx.replica_id_in_sync_group + 1))
        yield s, pr, ri


def test_per_replica_is_distributed_values(two):
    s, pr, _ = two
    assert isinstance(pr, D.DistributedValues) and type(pr).__name__ == "PerReplica"
    assert _vals(pr.values) == [1.0, 2.0]
    assert str(pr) == ("PerReplica:{\n  0: tf.Tensor(1.0, shape=(), dtype=float32),\n"
                       "  1: tf.Tensor(2.0, shape=(), dtype=float32)\n}")
    assert repr(pr) == ("PerReplica:{\n  0: <tf.Tensor: shape=(), dtype=float32, numpy=1.0>,\n"
                        "  1: <tf.Tensor: shape=(), dtype=float32, numpy=2.0>\n}")
    assert not isinstance(tf.constant(1.0), D.DistributedValues)


ALL_CDO = [lambda: D.ReductionToOneDevice(), lambda: D.HierarchicalCopyAllReduce(),
           lambda: D.NcclAllReduce(), lambda: D.ReductionToOneDevice(reduce_to_device="/gpu:1")]


@pytest.mark.parametrize("make", ALL_CDO)
def test_cross_device_reduce_values(two, make):
    _, pr, ri = two
    c = make()
    out = c.reduce(R.SUM, pr, destinations="/gpu:0")
    assert (_vals(out), out.device) == (3.0, GPU0)
    out = c.reduce(R.SUM, pr, destinations="/gpu:1")
    assert (_vals(out), out.device) == (3.0, GPU1)
    out = c.reduce(R.MEAN, pr, destinations="/gpu:1")
    assert (_vals(out), out.dtype) == (1.5, tf.float32)
    out = c.reduce(R.MEAN, ri, destinations="/gpu:0")
    assert (_vals(out), out.dtype) == (1.5, tf.float64)  # TF: an int mean is float64
    out = c.reduce(R.SUM, pr, destinations=pr)
    assert type(out).__name__ == "Mirrored" and isinstance(out, D.DistributedValues)
    assert _vals(out.values) == [3.0, 3.0]
    assert [v.device for v in out.values] == [GPU0, GPU1]
    assert repr(out).startswith("Mirrored:{\n  0: <tf.Tensor: shape=(), dtype=float32, "
                                "numpy=3.0>,")
    out = c.batch_reduce(R.SUM, [(pr, "/gpu:0"), (pr, "/gpu:0")])
    assert _vals(out) == [3.0, 3.0]
    out = c.broadcast(tf.constant(1.0), pr)
    assert type(out).__name__ == "Mirrored" and _vals(out.values) == [1.0, 1.0]
    assert _vals(c.reduce("SUM", tf.constant(1.0), destinations="/gpu:0")) == 1.0


@pytest.mark.parametrize("make", ALL_CDO + [lambda: D.CrossDeviceOps()])
def test_cross_device_reduce_errors(two, make):
    _, pr, _ = two
    c = make()
    with pytest.raises(ValueError, match=r"^`reduce_op` must be Reduce\.SUM or Reduce\.MEAN\.$"):
        c.reduce("SUM", pr, destinations="/gpu:0")
    with pytest.raises(ValueError, match="^destinations must be one of"):
        c.reduce(R.SUM, pr, destinations=3)
    with pytest.raises(ValueError, match=r"^Each element of `value_destination_pairs` should "
                                         r"be a tuple\.$"):
        c.batch_reduce(R.SUM, (pr, "/gpu:0"))


def test_cross_device_base_on_several_replicas(two):
    _, pr, _ = two
    with pytest.raises(NotImplementedError, match="_reduce method must be implemented"):
        D.CrossDeviceOps().reduce(R.SUM, pr, destinations="/gpu:0")
    with pytest.raises(NotImplementedError, match="batch_reduce_implementation method"):
        D.CrossDeviceOps().batch_reduce(R.SUM, [(pr, "/gpu:0")])


def test_accumulation_fn(two):
    _, pr, ri = two
    c = D.ReductionToOneDevice(accumulation_fn=lambda xs: tf.math.add_n(xs) * 10)
    assert _vals(c.reduce(R.SUM, pr, destinations="/gpu:0")) == 30.0
    assert _vals(c.reduce(R.MEAN, pr, destinations="/gpu:1")) == 15.0
    out = c.reduce(R.MEAN, ri, destinations="/gpu:0")
    assert (_vals(out), out.dtype) == (15.0, tf.float64)


def test_extended_reduce_to_several_replicas(two):
    s, pr, _ = two
    ext = s.extended
    assert type(ext).__name__ == "MirroredExtended"
    assert ext.worker_devices == (GPU0, GPU1)
    assert _vals(ext.reduce_to("SUM", pr, destinations="/gpu:0")) == 3.0
    out = ext.reduce_to("MEAN", pr, destinations=pr)
    assert type(out).__name__ == "Mirrored" and _vals(out.values) == [1.5, 1.5]
    with pytest.raises(ValueError) as info:
        ext.reduce_to("SUM", tf.constant(1.0), destinations="/gpu:0")
    assert str(info.value) == ("A non-DistributedValues value tf.Tensor(1.0, shape=(), "
                               "dtype=float32) cannot be reduced with the given reduce op "
                               "ReduceOp.SUM.")
    assert _vals(ext.reduce_to("MEAN", tf.constant(1.0), destinations="/gpu:0")) == 1.0
    assert _vals(ext.batch_reduce_to("SUM", [(pr, "/gpu:0"), (pr, "/gpu:1")])) == [3.0, 3.0]
    assert _vals(s.reduce("SUM", pr, axis=None)) == 3.0


def test_mirrored_cross_device_ops_argument(two):
    c = D.ReductionToOneDevice()
    s = D.MirroredStrategy(["/gpu:0", "/gpu:1"], cross_device_ops=c)
    assert s.extended._cross_device_ops is c
    assert D.MirroredStrategy(["/gpu:0", "/gpu:1"]).extended._cross_device_ops is None


def test_distributed_iterator_several_replicas(two):
    s, _, _ = two
    ds = tf.data.Dataset.range(8).batch(4)
    dd = s.experimental_distribute_dataset(ds)
    it = iter(dd)
    assert isinstance(dd, D.DistributedDataset) and isinstance(it, D.DistributedIterator)
    assert type(it).__name__ == "DistributedIterator"
    first = it.get_next()
    assert type(first).__name__ == "PerReplica" and _vals(first.values) == [[0, 1], [2, 3]]
    assert _vals(next(it).values) == [[4, 5], [6, 7]]
    with pytest.raises(tf.errors.OutOfRangeError, match="End of sequence"):
        it.get_next()
    with pytest.raises(StopIteration):
        next(it)
    total = dd.reduce(tf.constant(0, tf.int64),
                      lambda st, b: st + s.reduce("SUM", s.run(tf.reduce_sum, args=(b,)),
                                                  axis=None))
    assert (_vals(total), total.dtype) == (28, tf.int64)


# -- input on one replica ----------------------------------------------------------------------
def test_default_strategy_returns_the_dataset():
    ds = tf.data.Dataset.range(4).batch(2)
    s = D.get_strategy()
    assert s.experimental_distribute_dataset(ds) is ds
    assert not isinstance(iter(ds), D.DistributedIterator)
    assert s.distribute_datasets_from_function(lambda ctx: ds) is ds


@pytest.mark.parametrize("make", [lambda: D.MirroredStrategy(["/cpu:0"]),
                                  lambda: D.OneDeviceStrategy("/cpu:0")])
def test_distributed_iterator_one_replica(make):
    s = make()
    ds = tf.data.Dataset.range(8).batch(4)
    dd = s.experimental_distribute_dataset(ds)
    assert isinstance(dd, D.DistributedDataset)
    it = iter(dd)
    assert isinstance(it, D.DistributedIterator) and iter(it) is it
    assert _vals(it.get_next()) == [0, 1, 2, 3]
    assert _vals(it.get_next()) == [4, 5, 6, 7]
    with pytest.raises(tf.errors.OutOfRangeError):
        it.get_next()
    opt = iter(dd).get_next_as_optional()
    assert bool(opt.has_value()) and _vals(opt.get_value()) == [0, 1, 2, 3]
    it = iter(dd)
    it.get_next(), it.get_next()
    assert bool(it.get_next_as_optional().has_value()) is False
    fn_dd = s.distribute_datasets_from_function(lambda ctx: ds)
    assert isinstance(iter(fn_dd), D.DistributedIterator)


# -- InputReplicationMode, InputOptions, RunOptions ------------------------------------------
def test_input_replication_mode():
    M = D.InputReplicationMode
    assert [(m.name, m.value) for m in M] == [("PER_WORKER", "PER_WORKER"),
                                              ("PER_REPLICA", "PER_REPLICA")]
    assert repr(M.PER_WORKER) == "<InputReplicationMode.PER_WORKER: 'PER_WORKER'>"
    assert str(M.PER_WORKER) == "InputReplicationMode.PER_WORKER"
    assert M("PER_REPLICA") is M.PER_REPLICA


def test_input_options():
    assert repr(D.InputOptions()) == (
        "InputOptions(experimental_fetch_to_device=True, experimental_replication_mode="
        "<InputReplicationMode.PER_WORKER: 'PER_WORKER'>, "
        "experimental_place_dataset_on_device=False, experimental_per_replica_buffer_size=1)")
    o = D.InputOptions(experimental_replication_mode=D.InputReplicationMode.PER_REPLICA)
    assert o.experimental_replication_mode is D.InputReplicationMode.PER_REPLICA
    assert o.experimental_fetch_to_device is True
    assert D.InputOptions(experimental_fetch_to_device=False).experimental_fetch_to_device is \
        False


def test_run_options():
    o = D.RunOptions()
    assert repr(o) == ("RunOptions(experimental_enable_dynamic_batch_size=True, "
                       "experimental_bucketizing_dynamic_shape=False, "
                       "experimental_xla_options=None)")
    assert D.RunOptions._fields == ("experimental_enable_dynamic_batch_size",
                                    "experimental_bucketizing_dynamic_shape",
                                    "experimental_xla_options")
    assert tuple(D.RunOptions(False, True, None)) == (False, True, None)
    assert D.RunOptions(experimental_enable_dynamic_batch_size=False) == (False, False, None)
    assert D.RunOptions() == D.RunOptions() and isinstance(o, tuple)
    with pytest.raises(TypeError, match=r"RunOptions\.__new__\(\) got an unexpected keyword "
                                        r"argument 'foo'"):
        D.RunOptions(foo=1)
    s = D.MirroredStrategy()
    assert _vals(s.run(lambda: tf.constant(3.0), options=o)) == 3.0
