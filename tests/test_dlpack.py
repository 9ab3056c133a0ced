"""DLPack: tf.experimental.dlpack and Tensor.__dlpack__, zero-copy with NumPy and PyTorch on
CPU (the torch tests skip when torch is absent: run them with /work/refenv/bin/python)."""
import numpy as np
import pytest

import tapeflow as tf
from tapeflow.experimental.dlpack import capsule_device


@pytest.fixture(autouse=True)
def _on_the_cpu():
    """These are the host-memory exchanges: on a machine with a GPU, tensors are placed on
    the CPU explicitly (NumPy cannot read device memory; tests/gpu covers the GPU side)."""
    with tf.device("/CPU:0"):
        yield


def test_capsule_round_trip_shares_memory():
    t = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    capsule = tf.experimental.dlpack.to_dlpack(t)
    assert type(capsule).__name__ == "PyCapsule"
    assert capsule_device(capsule) == (1, 0)
    back = tf.experimental.dlpack.from_dlpack(capsule)
    assert isinstance(back, tf.Tensor) and back.dtype == tf.float32 and back.shape == (2, 2)
    assert np.shares_memory(back._v, t._v)
    np.testing.assert_array_equal(back.numpy(), t.numpy())


def test_numpy_both_ways_zero_copy():
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    t = tf.experimental.dlpack.from_dlpack(a)
    assert t.dtype == tf.int32 and np.shares_memory(t._v, a)
    t2 = tf.constant([1.5, 2.5], dtype=tf.float64)
    out = np.from_dlpack(t2)
    assert out.dtype == np.float64 and np.shares_memory(out, t2._v)
    assert t2.__dlpack_device__() == (1, 0)
    assert float(np.from_dlpack(tf.constant(3.0))) == 3.0  # rank-0 tensors too
    v = tf.Variable([1.0, 2.0])
    np.testing.assert_array_equal(np.from_dlpack(v), [1.0, 2.0])


def test_read_only_views_still_export():
    t = tf.broadcast_to(tf.constant([1.0, 2.0]), (3, 2))
    np.testing.assert_array_equal(np.from_dlpack(t), np.broadcast_to([1.0, 2.0], (3, 2)))


def test_bad_arguments():
    with pytest.raises(TypeError, match="must be a TF tensor"):
        tf.experimental.dlpack.to_dlpack(np.ones(2))
    with pytest.raises(TypeError, match="DLPack capsule"):
        tf.experimental.dlpack.from_dlpack([1, 2])
    capsule = tf.experimental.dlpack.to_dlpack(tf.constant([1.0]))
    tf.experimental.dlpack.from_dlpack(capsule)
    with pytest.raises(ValueError):  # a capsule is consumed once
        tf.experimental.dlpack.from_dlpack(capsule)


def test_torch_round_trips_share_memory():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (optional peer)")
    src = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    t = tf.experimental.dlpack.from_dlpack(src)
    assert t.shape == (2, 3) and t.dtype == tf.float32
    src[0, 0] = 42.0  # same memory: the write shows through
    assert t.numpy()[0, 0] == 42.0
    t_from_capsule = tf.experimental.dlpack.from_dlpack(torch.utils.dlpack.to_dlpack(src))
    assert t_from_capsule.numpy()[0, 0] == 42.0
    mine = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    out = torch.from_dlpack(mine)
    assert out.data_ptr() == mine._v.ctypes.data
    out2 = torch.utils.dlpack.from_dlpack(tf.experimental.dlpack.to_dlpack(mine))
    assert out2.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    y = tf.reduce_sum(tf.experimental.dlpack.from_dlpack(torch.ones(4, dtype=torch.float64)))
    assert y.dtype == tf.float64 and float(y) == 4.0


def test_jax_round_trips_on_the_cpu():
    jax = pytest.importorskip("jax", reason="JAX is not installed (optional peer)")
    import jax.numpy as jnp  # optional, skipped above when absent

    src = jnp.arange(6, dtype=jnp.float32).reshape(2, 3)
    t = tf.experimental.dlpack.from_dlpack(src)
    assert t.shape == (2, 3) and t.dtype == tf.float32
    assert t.numpy().tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    mine = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    back = jax.dlpack.from_dlpack(mine)
    assert back.dtype == jnp.float32 and back.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert float(tf.reduce_sum(tf.experimental.dlpack.from_dlpack(jnp.ones(3)))) == 3.0
