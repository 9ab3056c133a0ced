"""The fused ops behind the fast Conv2D, LSTM and GRU layers: ``conv2d_bias_relu``
(convolution, bias and ReLU in one op), ``BiasAddGrad``, ``lstm_sequence`` and
``gru_sequence`` (a whole sequence with a hand-written backward through time): values
against independent NumPy references, gradients against float64 finite differences, and the
layers' fused paths against their per-op paths."""
import multiprocessing
import os
import subprocess
import sys

import numpy as np
import pytest

import tapeflow as tf
from gradcheck import check_grad
from tapeflow.keras import layers
from tapeflow.keras.layers.masking import get_mask
from tapeflow.ops import _chunks, rnn
from tapeflow.ops import conv as C

rng = np.random.default_rng(7)


def rand(*shape):
    return rng.normal(size=shape)


# -- convolution + bias + ReLU --------------------------------------------------------------------
def ref_conv_valid(x, w):
    """Direct-loop NHWC 'VALID' convolution, stride 1."""
    n, h, wd, c = x.shape
    kh, kw, _, co = w.shape
    out = np.zeros((n, h - kh + 1, wd - kw + 1, co))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            patch = x[:, i:i + kh, j:j + kw, :].reshape(n, -1)
            out[:, i, j] = patch @ w.reshape(-1, co)
    return out


@pytest.mark.parametrize("relu", [True, False])
def test_conv2d_bias_relu_matches_reference(relu):
    x, w, b = rand(2, 6, 5, 3), rand(3, 2, 3, 4), rand(4)
    got = C.conv2d_bias_relu(x, w, b, 1, "VALID", relu=relu).numpy()
    want = ref_conv_valid(x, w) + b
    np.testing.assert_allclose(got, np.maximum(want, 0) if relu else want, rtol=1e-10)


@pytest.mark.parametrize("relu", [True, False])
@pytest.mark.parametrize("strides,padding", [(1, "VALID"), (2, "SAME"), ((1, 2), "SAME")])
def test_conv2d_bias_relu_gradients(relu, strides, padding):
    x, w, b = rand(2, 5, 6, 3), rand(3, 3, 3, 4), rand(4)
    # NOTE: keep pre-activations away from the ReLU kink, where differences are one-sided.
    z = tf.nn.conv2d(x, w, strides, padding).numpy() + b
    b = b + np.where(np.abs(z) < 1e-3, 1e-2, 0).max()
    check_grad(lambda x, w, b: C.conv2d_bias_relu(x, w, b, strides, padding, relu=relu),
               x, w, b)
    # NOTE: the gradients do not depend on the bias (ReLU's gradient is flat in its output),
    # so the second order is checked for the input and the filter.
    check_grad(lambda x, w: C.conv2d_bias_relu(x, w, b, strides, padding, relu=relu),
               x, w, second_order=True)


def test_conv2d_bias_relu_many_chunks_and_float32(monkeypatch):
    """Batches split into several im2col chunks give the same result as one chunk."""
    x, w, b = (rand(9, 8, 8, 5).astype(np.float32), rand(3, 3, 5, 6).astype(np.float32),
               rand(6).astype(np.float32))
    whole = C.conv2d_bias_relu(x, w, b, 1, "SAME", relu=True).numpy()
    monkeypatch.setattr(C, "CHUNK_BYTES", 4096)
    np.testing.assert_allclose(C.conv2d_bias_relu(x, w, b, 1, "SAME", relu=True).numpy(),
                               whole, rtol=1e-6, atol=1e-6)
    ref = np.maximum(tf.nn.conv2d(x, w, 1, "SAME").numpy() + b, 0)
    np.testing.assert_allclose(whole, ref, rtol=1e-5, atol=1e-5)


def _conv_relu_pool(x, w, b, fused, k=2, s=2, padding="VALID"):
    """max_pool(relu(conv(x, w) + b)): through the fused op, or through separate ops."""
    if fused:
        h = C.conv2d_bias_relu(x, w, b, 1, "VALID", relu=True)
    else:
        h = tf.nn.relu(tf.nn.conv2d(x, w, 1, "VALID") + b)
    return tf.nn.max_pool2d(h, k, s, padding)


def _tied_inputs():
    """Inputs whose ReLU outputs tie inside pooling windows: equal positive values (constant
    patches, as an image's background gives) and windows of zeros."""
    x = rand(3, 9, 10, 2)
    x[0, :5] = 0.5  # constant patches: the same positive output over whole windows
    x[1, :, :6] = 0.0  # the bias alone: positive or cut to zero by the ReLU
    w, b = rand(3, 3, 2, 4), np.array([0.3, -0.2, 0.0, 0.7])
    return x, w, b


@pytest.mark.parametrize("k,s,padding", [(2, 2, "VALID"), (3, 2, "SAME"), (2, 3, "VALID")])
def test_max_pool_after_fused_relu_gradient_matches_separate_ops(k, s, padding):
    """The fused convolution's ReLU is applied inside the max-pool's gradient (its full-size
    ReluGrad skipped): gradients equal the separate ops' exactly, ties included."""
    x, w, b = _tied_inputs()
    up = rand(*_conv_relu_pool(x, w, b, False, k, s, padding).shape)
    grads = []
    for fused in (True, False):
        xs, ws, bs = tf.constant(x), tf.constant(w), tf.constant(b)
        with tf.GradientTape() as tape:
            tape.watch([xs, ws, bs])
            y = _conv_relu_pool(xs, ws, bs, fused, k, s, padding)
        grads.append([g.numpy() for g in tape.gradient(y, [xs, ws, bs], output_gradients=up)])
    for got, want in zip(*grads):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_max_pool_after_fused_relu_skips_the_relu_gradient():
    """The backward sweep of conv-relu-pool runs no ReluGrad; a second consumer of the ReLU's
    output (whose gradient is then a sum) brings it back, with the right value."""
    from tapeflow.ops import _core

    x, w, b = _tied_inputs()
    seen = []
    real = _core.apply

    def spy(op, inputs, attrs):
        seen.append(op.name)
        return real(op, inputs, attrs)

    for second in (False, True):
        seen.clear()
        xs = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xs)
            h = C.conv2d_bias_relu(xs, w, b, 1, "VALID", relu=True)
            y = tf.reduce_sum(tf.nn.max_pool2d(h, 2, 2, "VALID") * 1.5)
            if second:
                y = y + tf.reduce_sum(h * h)
        C.apply, saved = spy, C.apply
        try:
            got = tape.gradient(y, xs).numpy()
        finally:
            C.apply = saved
        assert ("ReluGrad" in seen) == second
        with tf.GradientTape() as tape:
            tape.watch(xs)
            h2 = tf.nn.relu(tf.nn.conv2d(xs, w, 1, "VALID") + b)
            y2 = tf.reduce_sum(tf.nn.max_pool2d(h2, 2, 2, "VALID") * 1.5)
            if second:
                y2 = y2 + tf.reduce_sum(h2 * h2)
        np.testing.assert_allclose(got, tape.gradient(y2, xs).numpy(), rtol=1e-12, atol=1e-12)


def test_max_pool_after_fused_relu_gradients_finite_differences():
    """First and second order, against float64 finite differences (inputs without ties, where
    max-pool and ReLU are differentiable)."""
    x = rng.permutation(2 * 8 * 8).reshape(2, 8, 8, 1) * 0.05 - 2.0
    w, b = rand(3, 3, 1, 3), np.array([0.5, -0.4, 0.1])
    check_grad(lambda x, w: _conv_relu_pool(x, w, b, True), x, w)
    check_grad(lambda x, w: _conv_relu_pool(x, w, b, True, 3, 2, "SAME"), x, w,
               second_order=True)


def test_max_pool_after_fused_relu_in_a_traced_step():
    """Under tf.function the choice made while tracing is replayed: same gradients as eager
    on new values."""
    w, b = tf.Variable(rand(3, 3, 2, 4)), tf.Variable(rand(4))

    def step(x):
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(_conv_relu_pool(x, w, b, True) ** 2)
        return tape.gradient(y, [w, b])

    traced = tf.function(step)
    for _ in range(3):
        x = tf.constant(rand(2, 9, 10, 2))
        for got, want in zip(traced(x), step(x)):
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)


def test_conv2d_bias_relu_rejects_a_wrong_bias():
    with pytest.raises(tf.errors.InvalidArgumentError, match="BiasAdd"):
        C.conv2d_bias_relu(rand(1, 4, 4, 2), rand(3, 3, 2, 5), rand(4), 1, "VALID")


def test_bias_add_grad_op():
    g = rand(3, 4, 2, 5)
    np.testing.assert_allclose(C.BIAS_GRAD(tf.constant(g)).numpy(), g.sum((0, 1, 2)))
    check_grad(lambda t: C.BIAS_GRAD(t), g)


@pytest.mark.parametrize("activation", ["relu", None])
def test_conv2d_layer_fused_path_matches_separate_ops(activation):
    x = tf.constant(rand(2, 7, 7, 3))
    layer = layers.Conv2D(4, 3, padding="same", activation=activation, dtype="float64")
    layer.build(x.shape)
    layer.bias.assign(rand(4))
    with tf.GradientTape() as tape:
        y = layer(x)
        loss = tf.reduce_sum(y * y)
    grads = tape.gradient(loss, [layer.kernel, layer.bias])
    with tf.GradientTape() as tape:
        ref = tf.nn.bias_add(tf.nn.conv2d(x, layer.kernel, 1, "SAME"), layer.bias)
        ref = tf.nn.relu(ref) if activation else ref
        loss = tf.reduce_sum(ref * ref)
    want = tape.gradient(loss, [layer.kernel, layer.bias])
    np.testing.assert_allclose(y.numpy(), ref.numpy(), rtol=1e-12)
    for g, r in zip(grads, want):
        np.testing.assert_allclose(g.numpy(), r.numpy(), rtol=1e-10, atol=1e-12)


# -- LSTM and GRU sequences --------------------------------------------------------------------
def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def ref_lstm(x, h, c, w, r, b, reverse=False, keep=None):
    """Keras's cell unrolled by hand: gates i, f, c, o; where ``keep`` [batch, steps] is 0
    the step keeps the previous states."""
    outs = []
    steps = range(x.shape[1] - 1, -1, -1) if reverse else range(x.shape[1])
    for t in steps:
        zi, zf, zc, zo = np.split(x[:, t] @ w + h @ r + b, 4, axis=-1)
        c_new = sigmoid(zf) * c + sigmoid(zi) * np.tanh(zc)
        h_new = sigmoid(zo) * np.tanh(c_new)
        k = 1.0 if keep is None else keep[:, t:t + 1]
        h, c = np.where(k == 1, h_new, h), np.where(k == 1, c_new, c)
        outs.append(h)
    return np.concatenate([np.stack(outs, 1), c[:, None]], 1)


def lstm_args(b=3, t=4, d=2, u=3):
    return [rand(*s) for s in [(b, t, d), (b, u), (b, u), (d, 4 * u), (u, 4 * u), (4 * u,)]]


def ref_gru(x, h, w, r, bi, br, reverse=False, keep=None):
    """Keras's GRU cell (reset_after=True) unrolled by hand: gates z, r, candidate; where
    ``keep`` [batch, steps] is 0 the step keeps the previous state."""
    u = h.shape[1]
    outs = []
    steps = range(x.shape[1] - 1, -1, -1) if reverse else range(x.shape[1])
    for t in steps:
        xz, xr, xh = np.split(x[:, t] @ w + bi, 3, axis=-1)
        rz, rr, rh = np.split(h @ r + br, 3, axis=-1)
        z, rg = sigmoid(xz + rz), sigmoid(xr + rr)
        cand = np.tanh(xh + rg * rh)
        h_new = z * h + (1 - z) * cand
        h = h_new if keep is None else np.where(keep[:, t:t + 1] == 1, h_new, h)
        assert h.shape[1] == u
        outs.append(h)
    return np.stack(outs, 1)


def gru_args(b=3, t=4, d=2, u=3):
    return [rand(*s) for s in [(b, t, d), (b, u), (d, 3 * u), (u, 3 * u), (3 * u,), (3 * u,)]]


# the fused sequence ops: (op, arguments, hand-unrolled reference, the reference's part
# returned without ``sequences``, the index of the bias argument)
SEQUENCE_OPS = {
    "lstm": (rnn.lstm_sequence, lstm_args, ref_lstm, lambda want: want[:, -2:], 5),
    "gru": (rnn.gru_sequence, gru_args, ref_gru, lambda want: want[:, -1], 4),
}


def sequence_op(name, **shape):
    """The fused op and arguments of its shapes."""
    fn, make_args = SEQUENCE_OPS[name][:2]
    return fn, make_args(**shape)


@pytest.mark.parametrize("op", ["lstm", "gru"])
@pytest.mark.parametrize("sequences", [True, False])
@pytest.mark.parametrize("reverse", [False, True])
def test_sequence_matches_hand_unrolled_cell(op, reverse, sequences):
    fn, make_args, ref, final, _ = SEQUENCE_OPS[op]
    args = make_args()
    got = fn(*args, reverse=reverse, sequences=sequences).numpy()
    want = ref(*args, reverse=reverse)
    np.testing.assert_allclose(got, want if sequences else final(want), rtol=1e-12,
                               atol=1e-14)


@pytest.mark.parametrize("op", ["lstm", "gru"])
def test_sequence_saturated_gates_stay_finite(op):
    fn, make_args, ref, _, bias = SEQUENCE_OPS[op]
    args = make_args()
    args[bias] = args[bias] + 200.0  # exp(-z) would overflow in a naive sigmoid
    got = fn(*[a.astype(np.float32) for a in args]).numpy()
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, ref(*args), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op", ["lstm", "gru"])
@pytest.mark.parametrize("sequences", [True, False])
@pytest.mark.parametrize("reverse", [False, True])
def test_sequence_gradients(op, reverse, sequences):
    fn, args = sequence_op(op)
    check_grad(lambda *a: fn(*a, reverse=reverse, sequences=sequences), *args)


@pytest.mark.parametrize("op", ["lstm", "gru"])
def test_sequence_gradients_over_several_weight_blocks(monkeypatch, op):
    """More steps than one weight-gradient block holds, with a short last block."""
    monkeypatch.setattr(rnn, "_BLOCK_COLS", 6)  # 2 steps of 3 columns per block
    fn, args = sequence_op(op, t=5)
    check_grad(fn, *args)


def keep_mask(b, t):
    """Rows ending in masked steps, one masked in the middle, one fully masked, one full."""
    keep = np.ones((b, t))
    keep[0, t - 2:] = 0
    keep[1, 1] = 0
    keep[2, :] = 0
    return keep


@pytest.mark.parametrize("op", ["lstm", "gru"])
@pytest.mark.parametrize("sequences", [True, False])
@pytest.mark.parametrize("reverse", [False, True])
def test_masked_sequence_matches_hand_unrolled_cell(op, reverse, sequences):
    fn, make_args, ref, final, _ = SEQUENCE_OPS[op]
    args = make_args(b=4, t=5)
    keep = keep_mask(4, 5)
    got = fn(*args, reverse=reverse, sequences=sequences, keep=keep).numpy()
    want = ref(*args, reverse=reverse, keep=keep)
    np.testing.assert_allclose(got, want if sequences else final(want), rtol=1e-12,
                               atol=1e-14)
    assert np.allclose(want[2, 0], args[1][2])  # the fully masked row kept its initial state


@pytest.mark.parametrize("op", ["lstm", "gru"])
@pytest.mark.parametrize("reverse", [False, True])
def test_masked_sequence_gradients(op, reverse):
    fn, args = sequence_op(op, b=4, t=5)
    keep = tf.constant(keep_mask(4, 5))
    check_grad(lambda *a: fn(*a, reverse=reverse, keep=keep), *args)


@pytest.mark.parametrize("op", ["lstm", "gru"])
def test_masked_sequence_on_several_threads_matches_one(monkeypatch, op):
    fn, args = sequence_op(op, b=40, t=5, d=3, u=6)
    keep = np.ones((40, 5))
    keep[::3, 3:] = 0

    def run():
        ts = [tf.constant(a) for a in args]
        with tf.GradientTape() as tape:
            tape.watch(ts)
            loss = tf.reduce_sum(fn(*ts, keep=tf.constant(keep)) ** 2)
        return [g.numpy() for g in tape.gradient(loss, ts)]

    monkeypatch.setenv("TAPEFLOW_NUM_THREADS", "1")
    serial = run()
    monkeypatch.setenv("TAPEFLOW_NUM_THREADS", "2")
    for a, b in zip(run(), serial):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("threads", ["1", "2", "4"])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("sequences", [True, False])
@pytest.mark.parametrize("op", ["lstm", "gru"])
def test_sequence_pair_equals_two_sequence_ops(monkeypatch, op, sequences, masked, threads):
    """Both directions as one op (side by side on the workers): the two single ops' values,
    and gradients where the input's is their sum."""
    monkeypatch.setenv("TAPEFLOW_NUM_THREADS", threads)
    fn, args = sequence_op(op, b=20, t=5)
    _, other = sequence_op(op, b=20, t=5)
    other[0] = args[0]  # the same input, the other direction's own states and weights
    keep = tf.constant(keep_mask(20, 5)) if masked else None
    ts = [tf.constant(a) for a in args] + [tf.constant(a) for a in other[1:]]

    def pair(*t):
        return rnn.sequence_pair(op, t[0], t[1:6], t[6:11], sequences=sequences, keep=keep)

    def single(*t):
        return tf.stack([fn(t[0], *t[1:6], sequences=sequences, keep=keep),
                         fn(t[0], *t[6:11], reverse=True, sequences=sequences, keep=keep)])

    with tf.GradientTape(persistent=True) as tape:
        tape.watch(ts)
        got, want = pair(*ts), single(*ts)
        w = tf.constant(np.random.default_rng(2).standard_normal(got.shape))
        loss_got, loss_want = tf.reduce_sum(got * w), tf.reduce_sum(want * w)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-14)
    for g, h in zip(tape.gradient(loss_got, ts), tape.gradient(loss_want, ts)):
        np.testing.assert_allclose(g.numpy(), h.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("op", ["lstm", "gru"])
def test_sequence_pair_gradients(op):
    _, args = sequence_op(op)
    _, other = sequence_op(op)
    check_grad(lambda *t: rnn.sequence_pair(op, t[0], t[1:6], t[6:11]), *args, *other[1:])


@pytest.mark.parametrize("op", ["lstm", "gru"])
def test_sequence_gradient_after_forward_cache_is_gone(op):
    """The backward recomputes the forward when the saved activations are missing."""
    fn, args = sequence_op(op)
    args = [tf.constant(a) for a in args]
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(args)
        loss = tf.reduce_sum(fn(*args) ** 2)
    first = tape.gradient(loss, args)
    rnn._SAVED.clear()
    again = tape.gradient(loss, args)
    for g1, g2 in zip(first, again):
        np.testing.assert_allclose(g1.numpy(), g2.numpy(), rtol=1e-12)


def recurrent_layer(kind="LSTM", **kw):
    """A float64 LSTM or GRU layer of 5 units over 3 features, with a random bias."""
    tf.keras.utils.set_random_seed(3)
    layer = getattr(layers, kind)(5, dtype="float64", **kw)
    layer.build((None, 6, 3))
    if layer.cell.bias is not None:
        layer.cell.bias.assign(rand(*layer.cell.bias.shape))
    return layer


def lstm_layer(**kw):
    return recurrent_layer("LSTM", **kw)


def gru_layer(**kw):
    return recurrent_layer("GRU", **kw)


def run_layer(layer, x, nested, mask=None):
    """Outputs and weight gradients; ``nested`` wraps an outer tape, which makes the layer
    take its per-step path (the fused op has no second-order gradient)."""
    with tf.GradientTape() as tape:
        if nested:
            with tf.GradientTape():
                out = layer(x, mask=mask)
        else:
            out = layer(x, mask=mask)
        outs = out if isinstance(out, list) else [out]
        loss = sum(tf.reduce_sum(o * o) for o in outs)
    return outs, tape.gradient(loss, layer.trainable_weights)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
@pytest.mark.parametrize("kw", [{}, {"return_sequences": True}, {"go_backwards": True},
                                {"use_bias": False},
                                {"return_state": True, "return_sequences": True,
                                 "go_backwards": True}])
def test_recurrent_layer_fused_path_matches_per_step_path(kind, kw):
    layer = recurrent_layer(kind, **kw)
    x = tf.constant(rand(4, 6, 3))
    fused, g_fused = run_layer(layer, x, nested=False)
    steps, g_steps = run_layer(layer, x, nested=True)
    for a, b in zip(fused, steps):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)
    for a, b in zip(g_fused, g_steps):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-12)


def test_lstm_layer_second_order_gradient_through_nested_tapes():
    layer = lstm_layer()
    x = tf.constant(rand(2, 6, 3))
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            loss = tf.reduce_sum(layer(x) ** 2)
        gx = inner.gradient(loss, x)
        total = tf.reduce_sum(gx * gx)
    assert outer.gradient(total, layer.cell.kernel) is not None


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_recurrent_layer_in_tf_function_matches_eager(kind):
    layer = recurrent_layer(kind, return_sequences=True)
    x = tf.constant(rand(3, 6, 3))

    def grads(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(x) ** 2)
        return tape.gradient(loss, layer.trainable_weights)

    eager = grads(x)
    traced = tf.function(grads)
    for _ in range(2):  # the second call replays the traced plan
        for a, b in zip(traced(x), eager):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


def test_lstm_with_mask_matches_the_hand_unrolled_cell_on_the_kept_steps():
    x = tf.constant(rand(2, 5, 3))
    masked = lstm_layer()
    mask = tf.constant([[True] * 5, [True, True, True, False, False]])
    out = masked(x, mask=mask).numpy()
    ref = ref_lstm(x.numpy()[1:, :3], np.zeros((1, 5)), np.zeros((1, 5)),
                   *[w.numpy() for w in masked.cell.weights])
    np.testing.assert_allclose(out[1], ref[0, 2], rtol=1e-10)


def count_fused_calls(monkeypatch):
    calls = []
    for name in ("lstm_sequence", "gru_sequence"):
        real = getattr(rnn, name)
        monkeypatch.setattr(rnn, name, lambda *a, _real=real, **k: calls.append(1)
                            or _real(*a, **k))
    return calls


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_recurrent_layer_uses_the_fused_op_only_where_it_applies(monkeypatch, kind):
    calls = count_fused_calls(monkeypatch)
    x = tf.constant(rand(2, 6, 3))
    mask = tf.constant([[True] * 6, [True] * 3 + [False] * 3])

    state = [tf.zeros((2, 5), tf.float64)] * (2 if kind == "LSTM" else 1)
    call_args = ("training", "mask", "initial_state")

    def fused(**kw):
        before = len(calls)
        recurrent_layer(kind, **{k: v for k, v in kw.items() if k not in call_args})(
            x, **{k: v for k, v in kw.items() if k in call_args})
        return len(calls) - before

    assert fused() == 1
    assert fused(dropout=0.5, training=True) == 1  # the mask applied to the inputs
    assert fused(dropout=0.5, recurrent_dropout=0.2, training=False) == 1
    assert fused(recurrent_dropout=0.2, training=True) == 0
    assert fused(mask=mask) == 1
    assert fused(initial_state=state) == 1
    assert fused(mask=mask, initial_state=state) == 0  # masked steps' outputs differ there
    if kind == "GRU":
        assert fused(reset_after=False) == 0


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
@pytest.mark.parametrize("kw", [{}, {"return_sequences": True}, {"go_backwards": True},
                                {"return_sequences": True, "go_backwards": True,
                                 "return_state": True},
                                {"zero_output_for_mask": True},
                                {"zero_output_for_mask": True, "return_sequences": True,
                                 "go_backwards": True}])
def test_masked_layer_fused_path_matches_per_step_path(kind, kw):
    """A mask (right padding, a gap, a fully masked row) on the fused op: outputs, states,
    the output mask and gradients as on the per-step path."""
    layer = recurrent_layer(kind, **kw)
    x = tf.constant(rand(4, 6, 3))
    mask = tf.constant(keep_mask(4, 6) > 0)
    (fused, g_fused), (steps, g_steps) = (run_layer(layer, x, nested, mask)
                                          for nested in (False, True))
    for a, b in zip(fused, steps):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)
    for a, b in zip(g_fused, g_steps):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-12)

    m_fused, m_steps = get_mask(fused[0]), get_mask(steps[0])
    assert (m_fused is None) == (m_steps is None) == (not kw.get("return_sequences"))
    if m_fused is not None:
        np.testing.assert_array_equal(np.asarray(m_fused), np.asarray(m_steps))


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
@pytest.mark.parametrize("kw, masked", [({}, False), ({"return_sequences": True}, True),
                                        ({"return_state": True}, True),
                                        ({"return_sequences": True, "merge_mode": "sum"}, False),
                                        ({"return_sequences": True, "merge_mode": None}, True)])
def test_bidirectional_runs_both_directions_as_one_op(monkeypatch, kind, kw, masked):
    """Bidirectional over fused LSTM/GRU layers runs one pair op (the directions side by
    side), with the outputs, states, output mask and gradients of the per-step path."""
    pairs = []
    real = rnn.sequence_pair
    monkeypatch.setattr(rnn, "sequence_pair", lambda *a, **k: pairs.append(1) or real(*a, **k))
    merge = kw.pop("merge_mode", "concat")
    tf.keras.utils.set_random_seed(5)
    layer = layers.Bidirectional(getattr(layers, kind)(4, dtype="float64", **kw),
                                 merge_mode=merge)
    x = tf.constant(rand(4, 6, 3))
    mask = tf.constant(keep_mask(4, 6) > 0) if masked else None
    fused, g_fused = run_layer(layer, x, False, mask)
    assert len(pairs) == 1
    steps, g_steps = run_layer(layer, x, True, mask)
    assert len(pairs) == 1  # the per-step path ran the second time
    assert len(fused) == len(steps)
    for a, b in zip(fused, steps):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)
    assert len(g_fused) == len(g_steps) == len(layer.trainable_weights)
    for a, b in zip(g_fused, g_steps):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-12)


def test_bidirectional_with_input_dropout_runs_the_directions_apart(monkeypatch):
    """Each direction draws its own input-dropout mask, so training with dropout runs the two
    layers' own (fused) ops."""
    calls = count_fused_calls(monkeypatch)
    pairs = []
    monkeypatch.setattr(rnn, "sequence_pair", lambda *a, **k: pairs.append(1))
    layer = layers.Bidirectional(layers.LSTM(4, dropout=0.5))
    layer(tf.constant(rand(2, 5, 3).astype(np.float32)), training=True)
    assert (len(pairs), len(calls)) == (0, 2)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_input_dropout_on_the_fused_path_matches_the_per_step_path(kind):
    """Training with input dropout: the fused op sees the inputs under the very mask the
    per-step path draws (same seed), so values and gradients agree."""
    layer = recurrent_layer(kind, dropout=0.5, return_sequences=True)
    x = tf.constant(rand(4, 6, 3))

    def run(nested):
        tf.keras.utils.set_random_seed(11)
        with tf.GradientTape() as tape:
            if nested:  # a second recording tape: the per-step path
                with tf.GradientTape():
                    out = layer(x, training=True)
            else:
                out = layer(x, training=True)
            loss = tf.reduce_sum(out * out)
        return [out] + tape.gradient(loss, layer.trainable_weights)

    fused, steps = run(False), run(True)
    for a, b in zip(fused, steps):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-12)
    no_dropout = layer(x, training=False).numpy()
    assert np.abs(fused[0].numpy() - no_dropout).max() > 1e-3  # the mask did apply


# -- chunks spread over threads (ops/_chunks.py) --------------------------------------------------
def test_run_chunks_keeps_order_and_propagates_errors(monkeypatch):
    monkeypatch.setenv("TAPEFLOW_NUM_THREADS", "3")
    spans = [(a, a + 1) for a in range(10)]
    assert _chunks.run_chunks(lambda a, b: (a, b), spans) == spans
    # a nested call from a worker runs serially instead of waiting on the busy pool
    nested = _chunks.run_chunks(lambda a, b: _chunks.run_chunks(lambda c, d: c * d, spans), spans)
    assert nested == [[a * b for a, b in spans]] * len(spans)

    def bad(a, b):
        if a == 7:
            raise ValueError("chunk 7")
        return a

    with pytest.raises(ValueError, match="chunk 7"):
        _chunks.run_chunks(bad, spans)


@pytest.mark.parametrize("threads", ["1", "3"])
def test_convolutions_on_several_threads_match_one(monkeypatch, threads):
    """Convolution, ReLU and max-pooling forward and gradients split over worker threads
    equal the serial ones exactly (chunks write their own samples; partial filter gradients
    add up in order)."""
    x = rand(13, 9, 8, 4).astype(np.float32)
    w = rand(3, 3, 4, 6).astype(np.float32)
    b = rand(6).astype(np.float32)
    monkeypatch.setattr(C, "CHUNK_BYTES", 16384)

    def run():
        xt = tf.constant(x)
        wt, bt = tf.constant(w), tf.constant(b)
        with tf.GradientTape() as tape:
            tape.watch([xt, wt, bt])
            y = C.conv2d_bias_relu(xt, wt, bt, 1, "VALID", relu=True)
            y = tf.nn.max_pool2d(y, 2, 2, "VALID")  # 7x6 -> 3x3: a cropped row
            loss = tf.reduce_sum(y * y)
        return [y.numpy()] + [g.numpy() for g in tape.gradient(loss, [xt, wt, bt])]

    monkeypatch.setenv("TAPEFLOW_NUM_THREADS", "1")
    serial = run()
    monkeypatch.setenv("TAPEFLOW_NUM_THREADS", threads)
    for a, b_ in zip(run(), serial):
        np.testing.assert_array_equal(a, b_)


def _chunks_in_child():
    spans = [(a, a + 1) for a in range(6)]
    os._exit(0 if _chunks.run_chunks(lambda a, b: a, spans) == list(range(6)) else 1)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX)")
def test_run_chunks_works_in_a_forked_child(monkeypatch):
    """A child forked after the pool started gets a fresh pool instead of waiting forever."""
    monkeypatch.setenv("TAPEFLOW_NUM_THREADS", "2")
    _chunks.run_chunks(lambda a, b: a, [(0, 1), (1, 2), (2, 3)])  # the pool now exists
    child = multiprocessing.get_context("fork").Process(target=_chunks_in_child)
    child.start()
    child.join(60)
    if child.is_alive():
        child.kill()
    assert child.exitcode == 0


_TAKE_OVER_CHILD = """
import numpy as np
import tapeflow as tf
from tapeflow.backend import tuning
from tapeflow.ops import rnn

blas = tuning._openblas()
if blas is None:
    print("no-openblas")
    raise SystemExit(0)
blas[1](2)
args = [tf.constant(np.ones(s, np.float32)) for s in [(4, 3, 2), (4, 3), (4, 3), (2, 12),
                                                      (3, 12), (12,)]]
rnn.lstm_sequence(*args)  # the first chunked op, run inside one_blas_thread
print("after", blas[0]())
"""


def test_first_chunked_op_leaves_openblas_on_one_thread():
    """The first chunked op puts OpenBLAS on one thread for good, also when it runs inside
    ``one_blas_thread`` (whose exit used to restore the multi-threaded setting, so every later
    plain matmul woke OpenBLAS's spinning workers against the chunk workers)."""
    env = {k: v for k, v in os.environ.items() if k not in _THREAD_ENV}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", _TAKE_OVER_CHILD], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    if "no-openblas" in out.stdout:
        pytest.skip("NumPy here does not use OpenBLAS")
    assert out.stdout.split()[-1] == "1"


_THREAD_ENV = ("TAPEFLOW_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
               "MKL_NUM_THREADS")


def test_lstm_sequence_keeps_few_saved_activations():
    args = [tf.constant(a) for a in lstm_args()]
    outs = [rnn.lstm_sequence(*args) for _ in range(3 * rnn._KEEP)]
    assert len(rnn._SAVED) <= rnn._KEEP
    last = id(outs[-1]._v)
    assert last in rnn._SAVED
    del outs
    assert last not in rnn._SAVED  # dropped with its output


@pytest.mark.parametrize("op", ["lstm", "gru"])
@pytest.mark.parametrize("sequences", [True, False])
@pytest.mark.parametrize("reverse", [False, True])
def test_sequence_on_several_threads_matches_one(monkeypatch, op, reverse, sequences):
    """Batch columns recur independently: split over workers, values and gradients agree
    with one worker to rounding (the matmuls' blocking differs), and repeated runs on the same
    workers are bit-equal."""
    fn, args = sequence_op(op, b=40, t=5, d=3, u=6)

    def run():
        ts = [tf.constant(a) for a in args]
        with tf.GradientTape() as tape:
            tape.watch(ts)
            y = fn(*ts, reverse=reverse, sequences=sequences)
            loss = tf.reduce_sum(y * y)
        return [y.numpy()] + [g.numpy() for g in tape.gradient(loss, ts)]

    monkeypatch.setenv("TAPEFLOW_NUM_THREADS", "1")
    serial = run()
    monkeypatch.setenv("TAPEFLOW_NUM_THREADS", "2")
    assert len(rnn._batch_spans(40)) == 2
    parallel = run()
    for a, b in zip(parallel, serial):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    for a, b in zip(run(), parallel):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("make", [lambda: layers.LSTM(3),
                                  lambda: layers.GRU(3, return_sequences=True),
                                  lambda: layers.Bidirectional(layers.GRU(2))])
def test_fused_layers_take_an_empty_batch(make):
    """A batch of no sequences: empty outputs and zero weight gradients of the right shapes."""
    layer = make()
    x = tf.constant(np.zeros((0, 4, 2), np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(layer(x))
    grads = tape.gradient(loss, layer.trainable_weights + [x])
    assert layer(x).shape[0] == 0
    for g, w in zip(grads, layer.trainable_weights + [x]):
        assert tuple(g.shape) == tuple(w.shape) and not np.any(g.numpy())


# -- 2x2 max-pool: the code of each window's maximum --------------------------------------------
def _pool_input(shape, dtype):
    """ReLU-like values with ties (inside windows and at zero), NaNs and signed zeros."""
    x = np.maximum(rng.normal(size=shape), 0).astype(dtype)
    x[0, :2, :2, 0] = 0.5  # four equal values: the first (row-major) takes the gradient
    x[0, 2:4, 2:4, 0] = [[0.1, 0.7], [0.7, 0.2]]  # a tie between rows
    x[-1, 0:2, 2:4, -1] = [[-0.0, 0.0], [-0.0, 0.0]]
    x[-1, 2, 3, 0] = np.nan
    return x


@pytest.mark.parametrize("shape", [(3, 8, 8, 2), (2, 7, 9, 3), (40, 26, 26, 8)])
@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_code_gives_the_comparison_gradient(shape, relu, dtype, monkeypatch):
    """The 2x2 max-pool's forward keeps, per window, which tap held the maximum; its
    gradient routes by that code: every value equals the comparison path's (ties to the
    first maximum, NaN windows dropped, odd sizes' last row and column zero), over one
    chunk or several."""
    from tapeflow.ops import pooling as P

    monkeypatch.setattr(P, "CODE_MIN_BYTES", 0)  # small inputs take the code path too
    geo = ((2, 2), (2, 2), ((0, 0), (0, 0)))
    x = _pool_input(shape, dtype)
    y = P._max_pool_fwd(x, geo)
    assert P.POOL_CODES.get(y) is not None
    g = rng.normal(size=y.shape).astype(dtype)
    coded = P._max_pool_grad_fwd(x, y, g, geo, relu)
    compared = P._max_pool_grad_fwd(x.copy(), y, g, geo, relu)  # another input: no code
    np.testing.assert_array_equal(coded, compared)
    # the pooled values are the window maxima (NaN where a window holds one)
    oh, ow = shape[1] // 2, shape[2] // 2
    windows = x[:, :2 * oh, :2 * ow].reshape(shape[0], oh, 2, ow, 2, shape[3])
    np.testing.assert_array_equal(y, windows.max(axis=(2, 4)))
    assert np.isnan(y[-1, 1, 1, 0]) and not coded[-1, 2:4, 2:4, 0].any()


def test_max_pool_code_in_tape_and_traced_step_matches_tf_values(monkeypatch):
    """Through the tape and a traced step, the 2x2 pool's gradient is TF's (recorded from TF
    2.21: the first maximum of each window takes it, row-major)."""
    from tapeflow.ops import pooling as P

    monkeypatch.setattr(P, "CODE_MIN_BYTES", 0)
    a = np.array([[1, 3, 3, 0], [3, 2, 1, 3], [0, 0, 0, 0], [5, 5, 5, 5]], np.float32)
    want = np.array([[0, 1, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0], [1, 0, 1, 0]], np.float32)

    def grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.nn.max_pool2d(x, 2, 2, "VALID")
        return tape.gradient(y, x)

    x = tf.constant(a.reshape(1, 4, 4, 1))
    traced = tf.function(grad)
    np.testing.assert_array_equal(grad(x).numpy().reshape(4, 4), want)
    for _ in range(2):
        np.testing.assert_array_equal(traced(x).numpy().reshape(4, 4), want)
    b = a[::-1].copy()
    np.testing.assert_array_equal(traced(tf.constant(b.reshape(1, 4, 4, 1))).numpy(),
                                  grad(tf.constant(b.reshape(1, 4, 4, 1))).numpy())


def test_max_pool_code_only_from_its_threshold():
    """Inputs under ``CODE_MIN_BYTES`` keep the comparison path (no code attached)."""
    from tapeflow.ops import pooling as P

    geo = ((2, 2), (2, 2), ((0, 0), (0, 0)))
    small = np.zeros((1, 4, 4, 1), np.float32)
    assert P.POOL_CODES.get(P._max_pool_fwd(small, geo)) is None
    n = P.CODE_MIN_BYTES // (8 * 8 * 4 * 4) + 1
    assert P.POOL_CODES.get(P._max_pool_fwd(np.zeros((n, 8, 8, 4), np.float32), geo))
