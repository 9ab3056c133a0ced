"""Every op of tests/gpu/op_cases.py on the GPU (CuPy) against the same op on the host:
values and gradients, and the device the results live on."""
import numpy as np
import pytest

import tapeflow as tf
from gpu.op_cases import CASES, run_case
from tapeflow.backend import cuda_kernels

GPU0 = "/job:localhost/replica:0/task:0/device:GPU:0"

# linear algebra and long reductions differ in rounding between cuBLAS/cuSOLVER and LAPACK
_LOOSE = {"linalg.inv", "linalg.det", "linalg.cholesky", "linalg.solve", "conv2d",
          "conv2d_stride_valid", "conv2d_transpose", "depthwise_conv2d", "conv1d", "cumprod",
          "reduce_prod", "batch_normalization", "moments", "reduce_std", "pow"}


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_op_matches_numpy(case):
    with tf.device("/CPU:0"):
        ref_y, ref_g, ref_dev, _ = run_case(case, case.inputs)
    y, grads, dev, gdevs = run_case(case, case.inputs)
    assert ref_dev.endswith("CPU:0") and dev == GPU0
    assert all(d is None or d == GPU0 for d in gdevs)
    rtol, atol = (2e-4, 2e-5) if case.name in _LOOSE else (2e-5, 2e-6)
    assert y.dtype == ref_y.dtype and y.shape == ref_y.shape
    if y.dtype.kind in "biu":
        np.testing.assert_array_equal(y, ref_y)
    else:
        np.testing.assert_allclose(y, ref_y, rtol=rtol, atol=atol)
    for g, r in zip(grads, ref_g):
        assert (g is None) == (r is None)
        if r is not None:
            np.testing.assert_allclose(g, r, rtol=10 * rtol, atol=10 * atol)


def test_placement_on_the_gpu():
    x = tf.constant([1.0, 2.0])
    assert x.device == GPU0 and type(x._v).__module__.startswith("cupy")
    with tf.device("/CPU:0"):
        c = tf.identity(x)
    assert c.device.endswith("CPU:0") and isinstance(c._v, np.ndarray)
    v = tf.Variable([3.0, 4.0])
    assert v.device == GPU0
    v.assign(c)
    assert v.device == GPU0
    assert repr(x) == "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.], " \
                      "dtype=float32)>"
    np.testing.assert_array_equal(np.asarray(x + c), [2.0, 4.0])


def test_fused_kernels_match_numpy():
    cp = pytest.importorskip("cupy")
    rng = np.random.default_rng(0)
    g, y = rng.normal(size=(64, 33)).astype(np.float32), rng.normal(size=(64, 33))
    y = y.astype(np.float32)
    np.testing.assert_array_equal(cuda_kernels.relu_grad(cp.asarray(g), cp.asarray(y)).get(),
                                  g * (y > 0))
    x = rng.normal(size=(16, 10)).astype(np.float32)
    labels = rng.integers(0, 10, 16).astype(np.int64)
    gg = rng.uniform(0.5, 1.5, 16).astype(np.float32)
    e = np.exp(x - x.max(-1, keepdims=True))
    want = (e / e.sum(-1, keepdims=True) - np.eye(10)[labels]) * gg[:, None]
    got = cuda_kernels.sparse_xent_grad(cp.asarray(e), cp.asarray(labels), cp.asarray(gg))
    np.testing.assert_allclose(got.get(), want, rtol=1e-5, atol=1e-6)
    p, m, v, grad = (rng.normal(size=50).astype(np.float32) for _ in range(4))
    v = np.abs(v)
    mc, vc = cp.asarray(m), cp.asarray(v)
    out = cuda_kernels.adam_update(cp.asarray(p), cp.asarray(grad), mc, vc, 0.01, 0.9, 0.999,
                                   1e-7)
    m2 = m + (grad - m) * np.float32(0.1)
    v2 = v + (grad * grad - v) * np.float32(0.001)
    np.testing.assert_allclose(mc.get(), m2, rtol=1e-5)
    np.testing.assert_allclose(vc.get(), v2, rtol=1e-5)
    np.testing.assert_allclose(out.get(), p - m2 * 0.01 / (np.sqrt(v2) + 1e-7), rtol=1e-4)


def _adam(device):
    with tf.device(device):
        vs = [tf.Variable(np.random.default_rng(i).normal(size=s).astype(np.float32))
              for i, s in enumerate([(30, 40), (40,), (2, 20, 2)])]
        opt = tf.keras.optimizers.Adam(0.05)
        for _ in range(5):
            with tf.GradientTape() as tape:
                loss = tf.add_n([tf.reduce_sum(tf.sin(v) * (k + 1.0))
                                 for k, v in enumerate(vs)])
            opt.apply_gradients(zip(tape.gradient(loss, vs), vs))
    return vs, opt


def test_multi_tensor_adam_matches_host():
    vs, opt = _adam("/GPU:0")
    ref, _ = _adam("/CPU:0")
    assert getattr(opt, "_flat_state", None) is not None  # the fused all-variables path ran
    for v, r in zip(vs, ref):
        assert v.device == GPU0
        np.testing.assert_allclose(v.numpy(), r.numpy(), rtol=1e-5, atol=1e-6)
