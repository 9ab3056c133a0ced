"""tf.distribute in one process (no MPI needed): the single-replica strategies, contexts,
reductions, sharding arithmetic and the lazy import."""
import contextlib
import subprocess
import sys

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.distribute import _mpi
from tapeflow.distribute.input import shard_batch, shard_bounds


def test_import_tapeflow_does_not_import_mpi4py():
    code = ("import sys, tapeflow as tf; tf.distribute.MirroredStrategy(); "
            "tf.keras.optimizers.SGD(); print('mpi4py' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_default_strategy_and_replica_context():
    s = tf.distribute.get_strategy()
    assert s.num_replicas_in_sync == 1
    assert not tf.distribute.has_strategy()
    ctx = tf.distribute.get_replica_context()
    assert ctx is not None and ctx.num_replicas_in_sync == 1
    assert int(ctx.replica_id_in_sync_group) == 0
    v = ctx.all_reduce("SUM", tf.constant([1.0, 2.0]))
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


@pytest.mark.parametrize("make", [tf.distribute.MirroredStrategy,
                                  lambda: tf.distribute.OneDeviceStrategy("/cpu:0")])
def test_single_replica_strategies(make):
    # NOTE: MultiWorkerMirroredStrategy in one process (no mpiexec) is checked by the MPI
    # tests' reference run, so this process never initialises MPI
    s = make()
    assert s.num_replicas_in_sync == 1
    with s.scope():
        assert tf.distribute.get_strategy() is s
        assert tf.distribute.has_strategy()
        assert tf.distribute.in_cross_replica_context()
        assert tf.distribute.get_replica_context() is None  # cross-replica, as TF
        out = s.run(lambda x: (tf.distribute.get_replica_context().num_replicas_in_sync, x * 2),
                    args=(tf.constant(3.0),))
    assert out[0] == 1 and float(out[1]) == 6.0
    assert tf.distribute.get_strategy() is not s
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(s.reduce("SUM", x, axis=None).numpy(), x.numpy())
    np.testing.assert_allclose(s.reduce(tf.distribute.ReduceOp.MEAN, x, axis=0).numpy(),
                               [2.0, 3.0])
    np.testing.assert_allclose(s.reduce("SUM", x, axis=0).numpy(), [4.0, 6.0])
    assert s.experimental_local_results(x) == (x,)


def test_reduce_op_validation_and_mixing_strategies():
    s = tf.distribute.MirroredStrategy()
    with pytest.raises(ValueError, match="'MAX' is not a valid ReduceOp"):
        s.reduce("MAX", tf.constant(1.0), axis=None)
    other = tf.distribute.OneDeviceStrategy("/cpu:0")
    with s.scope(), pytest.raises(ValueError, match="Mixing different"), other.scope():
        pass
    assert tf.distribute.ReduceOp.from_variable_aggregation(
        tf.VariableAggregation.MEAN) is tf.distribute.ReduceOp.MEAN
    assert repr(tf.distribute.ReduceOp.SUM) == "<ReduceOp.SUM: 'SUM'>"


def test_all_reduce_is_differentiable_and_traced():
    ctx = tf.distribute.get_replica_context()
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(ctx.all_reduce("SUM", x * x))
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 4.0])

    @tf.function
    def f(v):
        return ctx.all_reduce("MEAN", v) + 1.0

    np.testing.assert_allclose(f(tf.constant([1.0])).numpy(), [2.0])
    np.testing.assert_allclose(f(tf.constant([5.0])).numpy(), [6.0])


def test_mirrored_strategy_refuses_several_devices():
    with pytest.raises(ValueError, match="one replica per process"):
        tf.distribute.MirroredStrategy(["/gpu:0", "/gpu:1"])


def test_compute_average_loss():
    loss = tf.constant([1.0, 2.0, 3.0, 6.0])
    assert float(tf.distribute.compute_average_loss(loss)) == pytest.approx(3.0)
    assert float(tf.distribute.compute_average_loss(loss, global_batch_size=8)) == 1.5
    w = tf.constant([1.0, 0.0, 0.0, 1.0])
    assert float(tf.distribute.compute_average_loss(loss, sample_weight=w)) == 1.75


def test_shard_bounds_split_like_array_split():
    for rows in range(1, 40):
        for size in (1, 2, 3, 5):
            if rows < size:
                continue
            parts = np.array_split(np.arange(rows), size)
            got = [shard_bounds(rows, r, size) for r in range(size)]
            assert got == [(int(p[0]), int(p[-1]) + 1) for p in parts]


def test_shard_batch_cuts_every_batched_leaf_and_refuses_empty_shards():
    x, y = tf.constant(np.arange(10.0).reshape(5, 2)), tf.constant([0, 1, 2, 3, 4])
    (lx, ly, sw), local, rows = shard_batch((x, y, None), 1, 2)
    assert (local, rows) == (2, 5) and sw is None
    np.testing.assert_array_equal(ly.numpy(), [3, 4])
    np.testing.assert_array_equal(lx.numpy(), [[6.0, 7.0], [8.0, 9.0]])
    with pytest.raises(ValueError, match="cannot give each of the 3 replicas"):
        shard_batch((tf.constant([1.0, 2.0]),), 2, 3)


def test_distributed_dataset_in_one_process_and_input_context():
    s = tf.distribute.MirroredStrategy()
    ds = tf.data.Dataset.range(10).batch(4)
    got = [b.numpy().tolist() for b in s.experimental_distribute_dataset(ds)]
    assert got == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    seen = []

    def fn(ctx):
        seen.append((ctx.num_input_pipelines, ctx.input_pipeline_id,
                     ctx.get_per_replica_batch_size(8)))
        return tf.data.Dataset.range(4).batch(2)

    got = [b.numpy().tolist() for b in s.distribute_datasets_from_function(fn)]
    assert seen == [(1, 0, 8)] and got == [[0, 1], [2, 3]]
    opts = tf.data.Options()
    assert opts.experimental_distribute.auto_shard_policy == \
        tf.distribute.AutoShardPolicy.AUTO


def test_fit_under_mirrored_scope_matches_plain_fit():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x.sum(axis=1) > 0).astype("float32")

    def train(scope):
        tf.random.set_seed(3)
        with scope:
            m = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(1)])
            m.compile(optimizer="sgd", loss="mse")
        m.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False)
        return m.get_weights()

    plain = train(contextlib.nullcontext())
    mirrored = train(tf.distribute.MirroredStrategy().scope())
    for a, b in zip(plain, mirrored):
        np.testing.assert_array_equal(a, b)


def test_buckets_group_by_dtype_and_size(monkeypatch):
    monkeypatch.setattr(_mpi, "BUCKET_ELEMENTS", 10)
    arrays = [np.zeros(4, np.float32), np.zeros(8, np.float32), np.zeros(3, np.float64),
              np.zeros(2, np.float32), np.zeros(20, np.float32)]
    assert _mpi._buckets(arrays) == [[0], [1, 3], [4], [2]]


def test_nn_namespace_exposes_the_loss_helpers():
    per_example = tf.constant([1.0, 2.0, 3.0, 4.0])
    assert float(tf.nn.compute_average_loss(per_example)) == 2.5
    assert float(tf.nn.compute_average_loss(per_example, global_batch_size=8)) == 1.25
    weights = tf.constant([1.0, 0.0, 1.0, 0.0])
    assert float(tf.nn.compute_average_loss(per_example, sample_weight=weights)) == 1.0
    assert float(tf.nn.scale_regularization_loss(3.0)) == 3.0  # one replica


def test_auto_shard_policy_is_also_under_tf_data_experimental():
    policy = tf.data.experimental.AutoShardPolicy
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = policy.OFF
    assert options.experimental_distribute.auto_shard_policy == policy.OFF
    assert {"OFF", "AUTO", "FILE", "DATA"} <= set(vars(policy))
