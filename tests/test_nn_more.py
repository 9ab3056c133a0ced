"""Issue 16's tf.nn names (tapeflow/ops/nn_more.py, ops/ctc.py, ops/sampling.py, nn/_more.py,
keras/layers/rnn_cell_wrappers.py) against TF 2.21's recorded outcomes, and their gradients
against float64 central differences."""
import numpy as np
import pytest

import tapeflow as tf
from gradcheck import check_grad
from tapeflow.ops import ctc, nn_more
from tests.more_ops_parity import cases, check_case

CASES = cases("nn_")
IMG = np.sin(np.arange(2 * 5 * 6 * 3, dtype=np.float64)).reshape(2, 5, 6, 3)


@pytest.mark.parametrize("name,fn", CASES, ids=[n for n, _ in CASES])
def test_matches_tensorflow(name, fn):
    # TF accumulates CTC in float32 (its float64 kernel too, to ~1e-7); tapeflow in float64
    # an impossible alignment: TF's float32 sums around its log(0) stand-in (-706.9, spaced
    # 6e-5 apart in float32) leave its gradient good to about 1e-5 absolute
    atol = 1e-4 if name == "nn_ctc_loss_impossible_dense" else 1e-12
    check_case(tf, name, fn, rtol=1e-6, rtol32=1e-5, atol=atol)


def test_lrn_gradient():
    # tf.nn.lrn takes half/float32 only (as TF); its float64 core is checked directly
    check_grad(lambda x: nn_more._lrn(x, 1, 0.5, 0.3, 0.75), IMG, rtol=1e-5)


def _fixed_windows(pool, x, ratio, **kw):
    tf.random.set_seed(3)  # the same windows on every call of the finite differences
    return pool(x, ratio, seed=5, **kw)[0]


@pytest.mark.parametrize("fn", [
    lambda x: tf.nn.dilation2d(x, tf.constant(np.arange(12.0).reshape(2, 2, 3) * 0.05),
                               [1, 1, 1, 1], "SAME", "NHWC", [1, 1, 1, 1]),
    lambda x: tf.nn.erosion2d(x, tf.constant(np.arange(12.0).reshape(2, 2, 3) * 0.05),
                              [1, 2, 1, 1], "VALID", "NHWC", [1, 1, 2, 1]),
    lambda x: tf.nn.max_pool_with_argmax(x, 2, 2, "SAME")[0],
    lambda x: tf.nn.space_to_batch(x, [2, 3], [[1, 0], [0, 0]]),
    lambda x: tf.batch_to_space(tf.nn.space_to_batch(x, [2, 2], [[1, 0], [0, 0]]), [2, 2],
                                [[1, 0], [0, 0]]),
    lambda x: tf.nn.pool(x, [2, 2], "AVG", padding="VALID", dilations=[2, 2]),
    lambda x: tf.nn.atrous_conv2d(x, tf.constant(np.ones((2, 2, 3, 2))), 2, "SAME"),
    lambda x: _fixed_windows(tf.nn.fractional_max_pool, x, [1.0, 1.5, 1.5, 1.0]),
    lambda x: _fixed_windows(tf.nn.fractional_avg_pool, x, [1.0, 1.5, 2.0, 1.0],
                             overlapping=True),
    lambda x: tf.nn.isotonic_regression(x, axis=2)[0],
    lambda x: tf.nn.batch_norm_with_global_normalization(
        x, tf.constant([0.1, 0.2, 0.3], tf.float64), tf.constant([1.0, 2.0, 3.0], tf.float64),
        tf.constant([0.0, 1.0, 0.0], tf.float64), tf.constant([2.0, 1.0, 0.5], tf.float64),
        0.001, True),
], ids=["dilation2d", "erosion2d", "max_pool_with_argmax", "space_to_batch",
        "batch_to_space", "pool_dilated", "atrous_conv2d", "fractional_max_pool",
        "fractional_avg_pool", "isotonic_regression", "bn_global"])
def test_gradients(fn):
    check_grad(fn, IMG, rtol=1e-5, atol=1e-7)


def test_depthwise_backprops_are_the_convolution_gradients():
    x = tf.constant(IMG)
    w = tf.constant(np.cos(np.arange(12.0)).reshape(2, 2, 3, 1))
    g = tf.constant(np.ones((2, 5, 6, 3)))
    with tf.GradientTape() as tape:
        tape.watch([x, w])
        y = tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME")
    gx, gw = tape.gradient(y, [x, w], output_gradients=g)
    np.testing.assert_allclose(tf.nn.depthwise_conv2d_backprop_input(
        [2, 5, 6, 3], w, g, [1, 1, 1, 1], "SAME"), gx, rtol=1e-12)
    np.testing.assert_allclose(tf.nn.depthwise_conv2d_backprop_filter(
        x, [2, 2, 3, 1], g, [1, 1, 1, 1], "SAME"), gw, rtol=1e-12)


def test_ctc_loss_gradient_float64():
    # the dense tf.nn.ctc_loss refuses float64 as TF does; the op itself is checked in float64
    logits = np.sin(np.arange(6 * 2 * 5, dtype=np.float64)).reshape(6, 2, 5) * 2.0
    labels = np.array([[1, 2, 2], [3, 1, 0]])

    def loss(x):
        return ctc.ctc_loss_dense(labels, x, np.array([3, 2]), np.array([6, 5]), True, 0)
    check_grad(loss, logits, rtol=1e-5, atol=1e-8)


def test_ctc_loss_is_minus_log_probability_of_all_alignments():
    # two steps, label [1], blank 0: alignments (1,1), (1,0), (0,1)
    p = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])
    loss = tf.nn.ctc_loss(tf.constant([[1]]), tf.constant(np.log(p)[:, None, :], tf.float32),
                          tf.constant([1]), tf.constant([2]))
    want = -np.log(p[0, 1] * p[1, 1] + p[0, 1] * p[1, 0] + p[0, 0] * p[1, 1])
    np.testing.assert_allclose(loss, [want], rtol=1e-6)


def test_sampled_losses_train():
    tf.random.set_seed(1)
    w = tf.Variable(tf.random.normal([20, 4], dtype=tf.float64))
    b = tf.Variable(tf.zeros([20], tf.float64))
    x = tf.constant(np.cos(np.arange(12.0)).reshape(3, 4))
    labels = tf.constant([[1], [5], [7]], tf.int64)
    for fn in (tf.nn.nce_loss, tf.nn.sampled_softmax_loss):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(fn(w, b, labels, x, 5, 20))
        gw, gb = tape.gradient(loss, [w, b])
        assert loss.shape == () and np.isfinite(loss.numpy())
        assert gw.shape == (20, 4) and np.any(np.asarray(gb) != 0)


def test_embedding_lookup_sparse_gradient():
    sp = tf.SparseTensor([[0, 0], [0, 1], [2, 0]], tf.constant([1, 3, 1], tf.int64), [3, 2])
    spw = tf.SparseTensor([[0, 0], [0, 1], [2, 0]], tf.constant([1.0, 2.0, 0.5], tf.float64),
                          [3, 2])
    for combiner in ("sum", "mean", "sqrtn"):
        check_grad(lambda p: tf.nn.embedding_lookup_sparse(p, sp, spw, combiner=combiner),
                   np.arange(20.0).reshape(5, 4) * 0.1, rtol=1e-6)


def test_rnn_cell_wrappers():
    cell = tf.keras.layers.SimpleRNNCell(3)
    res = tf.nn.RNNCellResidualWrapper(cell)
    layer = tf.keras.layers.RNN(res, return_sequences=True)
    x = tf.constant(np.ones((2, 4, 3)), tf.float32)
    y = layer(x)
    assert y.shape == (2, 4, 3)
    assert res.state_size == 3 and res.output_size == 3
    drop = tf.nn.RNNCellDropoutWrapper(tf.keras.layers.SimpleRNNCell(3), output_keep_prob=0.5,
                                       seed=1)
    out = tf.keras.layers.RNN(drop)(x, training=True)
    assert np.any(out.numpy() == 0.0)
    same = tf.keras.layers.RNN(drop)(x, training=False)
    assert not np.any(same.numpy() == 0.0)
    with pytest.raises(ValueError, match="input_keep_prob"):
        tf.nn.RNNCellDropoutWrapper(cell, input_keep_prob=0.0)
    dev = tf.nn.RNNCellDeviceWrapper(tf.keras.layers.SimpleRNNCell(2), "/CPU:0")
    assert tf.keras.layers.RNN(dev)(x).shape == (2, 2)
    config = drop.get_config()
    again = tf.nn.RNNCellDropoutWrapper.from_config(config)
    assert again.output_keep_prob == 0.5 and again.cell.units == 3


def test_rnn_cell_wrapper_saves_and_loads(tmp_path):
    cell = tf.nn.RNNCellResidualWrapper(tf.nn.RNNCellDropoutWrapper(
        tf.keras.layers.SimpleRNNCell(3), state_keep_prob=0.8, seed=2))
    model = tf.keras.Sequential([tf.keras.Input((4, 3)), tf.keras.layers.RNN(cell)])
    x = np.cos(np.arange(24.0)).reshape(2, 4, 3).astype(np.float32)
    path = str(tmp_path / "m.keras")
    model.save(path)
    again = tf.keras.models.load_model(path)
    np.testing.assert_allclose(again(x), model(x), rtol=1e-6)
    inner = again.layers[0].cell
    assert type(inner) is tf.nn.RNNCellResidualWrapper
    assert inner.cell.state_keep_prob == 0.8
