"""Device placement and dispatch, exercised on CPU with a NumPy-backed stand-in registered as
GPU:0 and GPU:1 (tests/fakegpu.py): every GPU code path except the CUDA calls themselves."""
import numpy as np
import pytest
from fakegpu import CPU0, GPU0, GPU1, FakeArray, gpus_fixture, skip_if_real_gpu
from gpu.op_cases import CASES, run_case

import tapeflow as tf
from tapeflow import backend
from tapeflow.ops import rnn

skip_if_real_gpu("tests/gpu")
gpus = gpus_fixture()


def test_host_only_has_no_placement_work():
    # the hot path's one flag: empty while only the host exists (after any pending probe)
    assert tf.constant([1.0]).device == CPU0
    assert not backend.placement
    assert tf.config.list_physical_devices("GPU") == []
    reason = tf.config.gpu_unavailable_reason
    assert isinstance(reason, str) and reason  # says why (CuPy missing, no driver...)


def test_devices_listed_and_memory_growth(gpus):
    gpu = tf.config.list_physical_devices("GPU")
    assert [d.name for d in gpu] == ["/physical_device:GPU:0", "/physical_device:GPU:1"]
    assert [d.name for d in tf.config.list_logical_devices("GPU")] == ["/device:GPU:0",
                                                                      "/device:GPU:1"]
    tf.config.experimental.set_memory_growth(gpu[0], True)
    assert tf.config.experimental.get_memory_growth(gpu[0]) is True
    with pytest.raises(ValueError, match="non-GPU"):
        tf.config.experimental.set_memory_growth(tf.config.list_physical_devices("CPU")[0],
                                                 True)


def test_default_placement_and_scopes(gpus):
    x = tf.constant([1.0, 2.0])
    assert x.device == GPU0 and isinstance(x._v, FakeArray)
    assert backend.xp_of(x._v) is gpus.xp
    assert (x * 2).device == GPU0
    with tf.device("/CPU:0"):
        c = tf.constant([3.0, 4.0])
        assert c.device == CPU0 and isinstance(c._v, np.ndarray)
        moved = tf.identity(x)  # tf.identity under a scope moves the data
        assert moved.device == CPU0 and isinstance(moved._v, np.ndarray)
    with tf.device("/GPU:1"):
        assert tf.identity(x).device == GPU1
        assert tf.zeros((2,)).device == GPU1
    with tf.device("/job:localhost/replica:0/task:0/device:GPU:1"):
        assert tf.ones((1,)).device == GPU1
    with tf.device("/GPU:7"):  # soft placement: a missing device falls back to the default
        assert tf.identity(c).device == GPU0
    mixed = c + x  # inputs on two devices: copied to the op's device (GPU:0)
    assert mixed.device == GPU0
    np.testing.assert_array_equal(mixed.numpy(), [4.0, 6.0])


def test_host_copies_for_numpy_array_and_printing(gpus):
    x = tf.constant([[1.0, 2.0]])
    assert isinstance(x.numpy(), np.ndarray)
    np.testing.assert_array_equal(np.asarray(x), [[1.0, 2.0]])
    assert repr(x) == "<tf.Tensor: shape=(1, 2), dtype=float32, numpy=array([[1., 2.]], " \
                      "dtype=float32)>"
    assert float(tf.reduce_sum(x)) == 3.0 and bool(tf.reduce_all(x > 0))
    with pytest.raises(TypeError):  # the stand-in refuses implicit host conversion, as CuPy
        np.asarray(x._v)


def test_variables_placed_at_creation_and_assign_moves(gpus):
    v = tf.Variable([1.0, 2.0])
    assert v.device == GPU0
    with tf.device("/GPU:1"):
        w = tf.Variable([1.0, 2.0])
    assert w.device == GPU1
    with tf.device("/CPU:0"):
        host = tf.constant([5.0, 6.0])
    w.assign(host)
    assert w.device == GPU1
    w.assign_add(tf.constant([1.0, 1.0]))  # a GPU:0 value lands on GPU:1
    assert w.device == GPU1
    np.testing.assert_array_equal(w.numpy(), [6.0, 7.0])


def test_sliced_assign_and_scatters_keep_the_variable_on_its_device(gpus):
    with tf.device("/GPU:1"):
        w = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with tf.device("/CPU:0"):
        host = tf.constant([7.0, 8.0])
    w[1].assign(host)
    assert w.device == GPU1
    w[::2, 0].assign(tf.constant([0.0, 0.0]))  # a GPU:0 value
    w.scatter_nd_max([[2, 1], [2, 1]], tf.constant([9.0, 10.0]))
    w.scatter_mul(tf.IndexedSlices(tf.constant([[2.0, 2.0]]), tf.constant([0])))
    w.scatter_min(tf.IndexedSlices(tf.constant([[1.0, 1.0]]), tf.constant([1])))
    assert w.device == GPU1
    assert isinstance(w._v, FakeArray)
    np.testing.assert_array_equal(w.numpy(), [[0.0, 4.0], [1.0, 1.0], [0.0, 10.0]])


def test_gradients_flow_back_across_devices(gpus):
    with tf.device("/GPU:1"):
        w = tf.Variable([1.0, 2.0, 3.0])
    with tf.device("/CPU:0"):
        c = tf.constant([2.0, 2.0, 2.0])
    x = tf.constant([1.0, 0.5, 0.25])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(w * x * c)  # runs on GPU:0
    g = tape.gradient(loss, w)
    assert g.device == GPU1  # the copy's gradient goes back to the variable's device
    np.testing.assert_allclose(g.numpy(), [2.0, 1.0, 0.5])


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_op_on_device_matches_host(case, gpus):
    ref_y, ref_g, _, _ = _host(case)
    y, grads, dev, gdevs = run_case(case, case.inputs)
    assert dev == GPU0
    assert all(d is None or d == GPU0 for d in gdevs)
    np.testing.assert_array_equal(y, ref_y)
    for g, r in zip(grads, ref_g):
        if r is None:
            assert g is None
        else:
            np.testing.assert_allclose(g, r, rtol=1e-6, atol=1e-7)


def _host(case):
    saved = list(backend.placement), list(backend._backends)
    be = saved[1][0]
    backend.unregister_backend(be)
    try:
        return run_case(case, case.inputs)
    finally:
        backend.register_backend(be)


def test_function_and_keras_fit_match_host(gpus):
    x = np.random.default_rng(0).normal(size=(128, 6)).astype(np.float32)
    y = (x[:, 0] - x[:, 2] > 0).astype(np.int32)

    def train():
        tf.random.set_seed(3)
        model = tf.keras.Sequential([tf.keras.layers.Input((6,)),
                                     tf.keras.layers.Dense(8, activation="relu"),
                                     tf.keras.layers.Dense(2)])
        model.compile(tf.keras.optimizers.Adam(0.01),
                      tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        hist = model.fit(x, y, epochs=2, batch_size=32, verbose=0)
        return hist.history["loss"], model.weights[0]

    loss_dev, w_dev = train()
    assert w_dev.device == GPU0
    backend.unregister_backend(gpus)
    try:
        loss_host, w_host = train()
    finally:
        backend.register_backend(gpus)
    assert w_host.device == CPU0
    np.testing.assert_allclose(loss_dev, loss_host, rtol=1e-6)

    @tf.function
    def f(a):
        return tf.reduce_sum(tf.nn.relu(a) * 2.0)

    a = tf.constant(x)
    assert f(a).device == GPU0
    np.testing.assert_allclose(f(a).numpy(), 2 * np.maximum(x, 0).sum(), rtol=1e-5)


def _adam_steps():
    vs = [tf.Variable(np.random.default_rng(i).normal(size=s).astype(np.float32))
          for i, s in enumerate([(3, 4), (4,), (2, 2, 2)])]
    opt = tf.keras.optimizers.Adam(0.1)
    held = vs[0].value()
    for step in range(4):
        with tf.GradientTape() as tape:
            loss = tf.add_n([tf.reduce_sum(tf.sin(v) * (k + 1.0)) for k, v in enumerate(vs)])
        grads = tape.gradient(loss, vs)
        n = 2 if step == 2 else 3  # one step updates a subset: the flat state is rebuilt
        opt.apply_gradients(zip(grads[:n], vs[:n]))
    return vs, held, opt


def test_adam_updates_all_device_variables_at_once(gpus):
    vs, held, opt = _adam_steps()
    flat = opt._flat_state  # the multi-tensor path ran (backend/multi_tensor.py)
    assert all(v._v._a.base is flat.params._a.base or v._v._a.base is flat.params._a
               for v in vs)
    backend.unregister_backend(gpus)
    try:
        ref_vs, ref_held, ref_opt = _adam_steps()
    finally:
        backend.register_backend(gpus)
    assert not hasattr(ref_opt, "_flat_state")
    for v, r in zip(vs, ref_vs):
        assert v.device == GPU0
        np.testing.assert_allclose(v.numpy(), r.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(held.numpy(), ref_held.numpy())  # earlier reads unchanged
    assert int(opt.iterations) == int(ref_opt.iterations) == 4
    for s, r in zip(opt.variables[2:], ref_opt.variables[2:]):
        np.testing.assert_allclose(s.numpy(), r.numpy(), rtol=1e-6, atol=1e-7)


def test_fused_recurrent_layers_on_a_device_match_host(gpus, monkeypatch):
    """The fused LSTM/GRU ops (and the bidirectional pair), masks included, run on device
    arrays only and give the host's values and gradients."""
    used = []
    for name in ("lstm_sequence", "sequence_pair"):
        real = getattr(rnn, name)
        monkeypatch.setattr(rnn, name, lambda *a, _r=real, _n=name, **k: used.append(_n)
                            or _r(*a, **k))
    rng = np.random.default_rng(2)
    tokens = rng.integers(1, 50, (6, 7))
    tokens[0, 4:] = 0
    tokens[3, 2:] = 0

    def run():
        tf.random.set_seed(4)
        model = tf.keras.Sequential([
            tf.keras.layers.Input((7,), dtype="int64"),
            tf.keras.layers.Embedding(50, 4, mask_zero=True),
            tf.keras.layers.LSTM(5, return_sequences=True),
            tf.keras.layers.Bidirectional(tf.keras.layers.GRU(3)),
            tf.keras.layers.Dense(2)])
        x = tf.constant(tokens)
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(model(x) ** 2)
        grads = tape.gradient(loss, model.trainable_weights)
        return loss, grads

    loss_dev, grads_dev = run()
    assert set(used) == {"lstm_sequence", "sequence_pair"}
    assert loss_dev.device == GPU0 and all(g.device == GPU0 for g in grads_dev)
    backend.unregister_backend(gpus)
    try:
        loss_host, grads_host = run()
    finally:
        backend.register_backend(gpus)
    np.testing.assert_allclose(loss_dev.numpy(), loss_host.numpy(), rtol=1e-5)
    for a, b in zip(grads_dev, grads_host):
        np.testing.assert_allclose(tf.convert_to_tensor(a).numpy(),
                                   tf.convert_to_tensor(b).numpy(), rtol=1e-4, atol=1e-6)
