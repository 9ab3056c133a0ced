"""SimpleRNN, LSTM, GRU, Bidirectional and TimeDistributed: values against hand-unrolled NumPy
cells with the same weights, masks, float64 gradient checks, configs and a learning task."""
import json

import numpy as np
import pytest

import tapeflow as tf
from gradcheck import check_grad
from tapeflow import keras
from tapeflow.keras import layers

RNG = np.random.default_rng(1)


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.backend.clear_session()


def sig(z):
    return 1 / (1 + np.exp(-z))


def np_simple(x, k, r, b, h):
    hs = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ k + h @ r + b)
        hs.append(h)
    return np.stack(hs, 1), [h]


def np_lstm(x, k, r, b, h, c):
    hs = []
    for t in range(x.shape[1]):
        i, f, g, o = np.split(x[:, t] @ k + h @ r + b, 4, axis=-1)  # Keras's gate order
        c = sig(f) * c + sig(i) * np.tanh(g)
        h = sig(o) * np.tanh(c)
        hs.append(h)
    return np.stack(hs, 1), [h, c]


def np_gru(x, k, r, b, h, reset_after=True):
    u, hs = h.shape[1], []
    for t in range(x.shape[1]):
        if reset_after:
            xz, xr, xh = np.split(x[:, t] @ k + b[0], 3, axis=-1)
            rz, rr, rh = np.split(h @ r + b[1], 3, axis=-1)
            z, rg = sig(xz + rz), sig(xr + rr)
            cand = np.tanh(xh + rg * rh)
        else:
            xz, xr, xh = np.split(x[:, t] @ k + b, 3, axis=-1)
            z = sig(xz + h @ r[:, :u])
            rg = sig(xr + h @ r[:, u:2 * u])
            cand = np.tanh(xh + (rg * h) @ r[:, 2 * u:])
        h = z * h + (1 - z) * cand
        hs.append(h)
    return np.stack(hs, 1), [h]


def randomize(layer, scale=0.7):
    for v in layer.weights:
        v.assign(RNG.uniform(-scale, scale, size=tuple(v.shape)))


def reference(layer, x, h0=None):
    """The NumPy recurrence of ``layer`` (go_backwards honoured): (sequence, states)."""
    cell = layer.cell
    k, r = cell.kernel.numpy(), cell.recurrent_kernel.numpy()
    b = cell.bias.numpy()
    u = cell.units
    if layer.go_backwards:
        x = x[:, ::-1]
    zeros = np.zeros((x.shape[0], u))
    if isinstance(layer, layers.LSTM):
        h0 = h0 or [zeros, zeros]
        return np_lstm(x, k, r, b, *h0)
    if isinstance(layer, layers.GRU):
        return np_gru(x, k, r, b, (h0 or [zeros])[0], cell.reset_after)
    return np_simple(x, k, r, b, (h0 or [zeros])[0])


MAKERS = [
    lambda **kw: layers.SimpleRNN(3, **kw),
    lambda **kw: layers.LSTM(3, **kw),
    lambda **kw: layers.GRU(3, **kw),
    lambda **kw: layers.GRU(3, reset_after=False, **kw),
]


@pytest.mark.parametrize("make", MAKERS)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_recurrent_layers_match_hand_unrolled_cells(make, go_backwards):
    x = RNG.standard_normal((2, 5, 4))
    layer = make(return_sequences=True, return_state=True, go_backwards=go_backwards,
                 dtype="float64")
    layer(x)
    randomize(layer)
    seq, *states = layer(x)
    want_seq, want_states = reference(layer, x)
    np.testing.assert_allclose(seq.numpy(), want_seq, rtol=1e-10, atol=1e-12)
    assert len(states) == len(want_states)
    for got, want in zip(states, want_states):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)
    last = make(dtype="float64", go_backwards=go_backwards)
    last(x)
    last.set_weights(layer.get_weights())
    np.testing.assert_allclose(last(x).numpy(), want_seq[:, -1], rtol=1e-10)


def test_initial_state_and_keras_defaults():
    x = RNG.standard_normal((2, 4, 3))
    lstm = layers.LSTM(2, dtype="float64")
    h0, c0 = RNG.standard_normal((2, 2)), RNG.standard_normal((2, 2))
    out = lstm(x, initial_state=[tf.constant(h0), tf.constant(c0)])
    want, _ = reference(lstm, x, [h0, c0])
    np.testing.assert_allclose(out.numpy(), want[:, -1], rtol=1e-10)
    # unit_forget_bias: the forget gate's bias starts at one; gate order i, f, c, o
    np.testing.assert_array_equal(lstm.cell.bias.numpy(), [0, 0, 1, 1, 0, 0, 0, 0])
    assert lstm.units == 2 and lstm.cell.recurrent_activation is keras.activations.sigmoid
    w = lstm.cell.recurrent_kernel.numpy()
    np.testing.assert_allclose(w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T,
                               np.eye(min(w.shape)), atol=1e-6)  # orthogonal initializer
    gru = layers.GRU(2)
    gru(x)
    assert gru.reset_after and tuple(gru.cell.bias.shape) == (2, 6)


@pytest.mark.parametrize("make", MAKERS)
def test_recurrent_gradients_float64(make):
    x = RNG.standard_normal((2, 3, 2))
    layer = make(return_sequences=True, dtype="float64")
    layer(x)
    randomize(layer)
    check_grad(lambda t: layer(t), x)
    t = tf.constant(x)
    w = tf.constant(RNG.uniform(0.5, 1.5, (2, 3, 3)))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(t) * w)
    grads = tape.gradient(loss, layer.trainable_variables)
    eps = 1e-6
    for v, g in zip(layer.trainable_variables, grads):
        base, num = v.numpy(), np.zeros(tuple(v.shape))
        for i in range(base.size):
            for sign in (1, -1):
                p = base.copy()
                p.reshape(-1)[i] += sign * eps
                v.assign(p)
                num.reshape(-1)[i] += sign * float(tf.reduce_sum(layer(t) * w)) / (2 * eps)
        v.assign(base)
        np.testing.assert_allclose(g.numpy(), num, rtol=1e-5, atol=1e-8, err_msg=v.name)


def test_masks_from_embedding_skip_padded_steps():
    ids = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 2]])
    emb = layers.Embedding(10, 3, mask_zero=True, dtype="float64")
    lstm = layers.LSTM(4, return_sequences=True, dtype="float64")
    seq = lstm(emb(ids)).numpy()
    x = emb.embeddings.numpy()[ids]
    want, _ = reference(lstm, x[:1, :3])
    np.testing.assert_allclose(seq[0, :3], want[0], rtol=1e-10)
    np.testing.assert_allclose(seq[0, 3:], np.repeat(want[0, -1:], 2, axis=0), rtol=1e-10)
    full, _ = reference(lstm, x[1:])
    np.testing.assert_allclose(seq[1], full[0], rtol=1e-10)
    # in a Sequential model the mask flows from Embedding to the RNN
    model = keras.Sequential([emb, layers.GRU(2, dtype="float64")])
    masked = model(ids).numpy()
    short = layers.GRU(2, dtype="float64")
    short(x[:1, :3])
    short.set_weights(model.layers[1].get_weights())
    np.testing.assert_allclose(masked[0], short(x[:1, :3]).numpy()[0], rtol=1e-10)
    explicit = lstm(tf.constant(x), mask=tf.constant(ids != 0)).numpy()
    np.testing.assert_allclose(explicit, seq, rtol=1e-12)


def test_bidirectional_concat_and_sequences():
    x = RNG.standard_normal((2, 4, 3))
    bi = layers.Bidirectional(layers.LSTM(2, return_sequences=True, dtype="float64"))
    out = bi(x).numpy()
    assert out.shape == (2, 4, 4) and bi.count_params() == 2 * 4 * (3 * 2 + 2 * 2 + 2)
    fw, _ = reference(bi.forward_layer, x)
    bw, _ = reference(bi.backward_layer, x)
    np.testing.assert_allclose(out, np.concatenate([fw, bw[:, ::-1]], -1), rtol=1e-10)
    summed = layers.Bidirectional(layers.GRU(2, dtype="float64"), merge_mode="sum")
    out = summed(x).numpy()
    fw, _ = reference(summed.forward_layer, x)
    bw, _ = reference(summed.backward_layer, x)
    np.testing.assert_allclose(out, fw[:, -1] + bw[:, -1], rtol=1e-10)
    states = layers.Bidirectional(layers.SimpleRNN(2, return_state=True))(x)
    assert [tuple(s.shape) for s in states] == [(2, 4), (2, 2), (2, 2)]
    assert bi.compute_output_shape((None, 4, 3)) == (None, 4, 4)


def test_time_distributed():
    x = RNG.standard_normal((2, 4, 3))
    td = layers.TimeDistributed(layers.Dense(5, dtype="float64"), dtype="float64")
    out = td(x).numpy()
    dense = td.layer
    np.testing.assert_allclose(out, x @ dense.kernel.numpy() + dense.bias.numpy(), rtol=1e-12)
    assert td.count_params() == 20 and td.compute_output_shape((None, 4, 3)) == (None, 4, 5)
    conv = layers.TimeDistributed(layers.Conv2D(2, 3))
    assert tuple(conv(np.zeros((2, 3, 5, 5, 1), "float32")).shape) == (2, 3, 3, 3, 2)
    check_grad(lambda t: td(t), x)


RECURRENT = [
    lambda: layers.SimpleRNN(4, activation="relu", return_sequences=True, dropout=0.1),
    lambda: layers.LSTM(4, return_state=True, go_backwards=True, unit_forget_bias=False),
    lambda: layers.GRU(4, reset_after=False, recurrent_dropout=0.2, kernel_regularizer="l2"),
    lambda: layers.RNN(layers.LSTMCell(3), return_sequences=True),
    lambda: layers.Bidirectional(layers.GRU(3, return_sequences=True), merge_mode="ave"),
    lambda: layers.TimeDistributed(layers.Dense(3, activation="relu")),
]


@pytest.mark.parametrize("make", RECURRENT)
def test_recurrent_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    again = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
    assert type(again) is type(layer) and again.get_config() == config


def test_param_counts_match_keras_and_functional_summary():
    # counts reported by Keras 3 for the same layers on (batch, 5, 3) inputs
    for layer, count in ((layers.SimpleRNN(4), 32), (layers.LSTM(4), 128),
                         (layers.GRU(4), 108), (layers.GRU(4, reset_after=False), 96),
                         (layers.Bidirectional(layers.LSTM(3)), 168),
                         (layers.TimeDistributed(layers.Dense(2)), 8)):
        layer(np.zeros((2, 5, 3), "float32"))
        assert layer.count_params() == count, type(layer).__name__
    inp = keras.Input((7,), dtype="int32")
    h = layers.Embedding(20, 4, mask_zero=True)(inp)
    seq, state_h, state_c = layers.LSTM(5, return_sequences=True, return_state=True)(h)
    out = layers.Dense(1)(layers.GlobalAveragePooling1D()(seq))
    model = keras.Model(inp, [out, state_h])
    lines = []
    model.summary(print_fn=lines.append)
    assert "Total params: 286" in "\n".join(lines)  # 80 + 200 + 6
    out, h = model(np.array([[1, 2, 3, 0, 0, 0, 0]]))
    assert tuple(out.shape) == (1, 1) and tuple(h.shape) == (1, 5)


def test_dropout_only_in_training():
    x = RNG.standard_normal((4, 6, 3)).astype("float32")
    gru = layers.GRU(4, dropout=0.5, recurrent_dropout=0.5)
    a, b = gru(x).numpy(), gru(x).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(gru(x, training=True).numpy(), a)


def test_lstm_learns_the_sign_of_a_sum():
    """An LSTM(8) tells whether a length-10 sequence of N(0, 1) values sums to > 0: the
    running sum must be carried through the recurrence. Well under a second here."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1024, 10, 1)).astype("float32")
    y = (x.sum(axis=(1, 2)) > 0).astype("float32")
    tf.random.set_seed(2)
    model = keras.Sequential([keras.Input((10, 1)), layers.LSTM(8),
                              layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x[:768], y[:768], batch_size=32, epochs=15, verbose=0,
                        validation_data=(x[768:], y[768:]))
    acc = history.history["val_accuracy"]
    assert max(acc[-5:]) >= 0.93 and acc[-1] >= 0.88, acc


def test_functional_model_with_recurrent_layers_round_trips_its_config():
    inp = keras.Input((6, 3))
    h = layers.Bidirectional(layers.GRU(4, return_sequences=True))(inp)
    h = layers.TimeDistributed(layers.Dense(2))(h)
    out = layers.SimpleRNN(3)(layers.LSTM(5, return_sequences=True, go_backwards=True)(h))
    model = keras.Model(inp, out)
    clone = keras.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    x = RNG.standard_normal((2, 6, 3)).astype("float32")
    np.testing.assert_allclose(clone(x).numpy(), model(x).numpy(), rtol=1e-5, atol=1e-6)
    assert clone.count_params() == model.count_params() == 2 * 3 * (3 * 4 + 4 * 4 + 8) + 18 + \
        4 * (2 * 5 + 5 * 5 + 5) + (5 * 3 + 3 * 3 + 3)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
@pytest.mark.parametrize("nested", [False, True])
def test_stateful_rnn_carries_its_states_from_call_to_call(kind, nested):
    """stateful=True: a sequence fed in two calls gives the outputs of one call over it
    (fused and per-step paths alike); reset_state() starts again from zeros; the states are
    variables of the batch size, not weights."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 8, 4)).astype(np.float32)
    tf.keras.utils.set_random_seed(1)
    whole = getattr(tf.keras.layers, kind)(5, return_sequences=True)
    want = whole(x).numpy()
    layer = getattr(tf.keras.layers, kind)(5, return_sequences=True, stateful=True)
    layer.build(x.shape)
    layer.set_weights(whole.get_weights())

    def call(part):
        if nested:  # two recording tapes: the per-step path
            with tf.GradientTape(), tf.GradientTape():
                return layer(part).numpy()
        return layer(part).numpy()

    got = np.concatenate([call(x[:, :5]), call(x[:, 5:])], axis=1)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert len(layer.states) == (2 if kind == "LSTM" else 1)
    assert all(tuple(s.shape) == (3, 5) and not s.trainable for s in layer.states)
    assert len(layer.weights) == len(whole.weights)
    layer.reset_state()
    assert not any(np.any(s.numpy()) for s in layer.states)
    np.testing.assert_allclose(call(x[:, :5]), want[:, :5], rtol=1e-5, atol=1e-6)
    layer.reset_states()
    with pytest.raises(ValueError, match="Expected batch size: 3"):
        layer(x[:2])
    assert layer.get_config()["stateful"] is True


def test_stateful_lstm_trains_with_fit_and_keeps_its_states_across_batches():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 6, 3)).astype(np.float32)
    y = rng.standard_normal((4, 2)).astype(np.float32)
    model = tf.keras.Sequential([tf.keras.Input((6, 3), batch_size=2),
                                 tf.keras.layers.LSTM(2, stateful=True)])
    model.compile("sgd", "mse")
    model.fit(x, y, batch_size=2, epochs=2, shuffle=False, verbose=0)
    lstm = model.layers[0]
    carried = [s.numpy() for s in lstm.states]
    assert all(np.abs(c).max() > 0 for c in carried)
    # the carried states are those of the last batch run from the states before it
    lstm.reset_states()
    model.predict(x[:2], batch_size=2, verbose=0)
    first = [s.numpy() for s in lstm.states]
    model.predict(x[2:], batch_size=2, verbose=0)
    assert not np.allclose(first[0], lstm.states[0].numpy())


def test_stacked_rnn_cells_equal_the_stacked_layers():
    """RNN([cell, cell]) (StackedRNNCells) runs each step through the cells in turn: the
    outputs and gradients of the two layers stacked, the states grouped per cell as in Keras,
    Keras's state_size and output_size, and a config that round-trips."""
    rng = np.random.default_rng(3)
    x = tf.constant(rng.standard_normal((3, 5, 4)))
    tf.keras.utils.set_random_seed(2)
    stacked = layers.RNN([layers.LSTMCell(6, dtype="float64"), layers.GRUCell(3, dtype="float64")],
                         return_sequences=True, return_state=True, dtype="float64")
    out = stacked(x)
    assert stacked.cell.state_size == [[6, 6], 3] and stacked.cell.output_size == 3
    assert len(out) == 3 and [len(s) for s in out[1:]] == [2, 1]
    first = layers.RNN(layers.LSTMCell(6, dtype="float64"), return_sequences=True,
                       return_state=True, dtype="float64")
    second = layers.RNN(layers.GRUCell(3, dtype="float64"), return_sequences=True,
                        return_state=True, dtype="float64")
    first.build(x.shape)
    second.build((3, 5, 6))
    first.set_weights(stacked.get_weights()[:3])
    second.set_weights(stacked.get_weights()[3:])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        seq, h1, c1 = first(x)
        seq2, h2 = second(seq)
        got = stacked(x)
        loss_got = tf.reduce_sum(got[0] ** 2) + tf.reduce_sum(got[1][1])
        loss_want = tf.reduce_sum(seq2 ** 2) + tf.reduce_sum(c1)
    np.testing.assert_allclose(got[0].numpy(), seq2.numpy(), rtol=1e-12)
    for a, b in zip([*got[1], *got[2]], [h1, c1, h2]):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    np.testing.assert_allclose(tape.gradient(loss_got, x).numpy(),
                               tape.gradient(loss_want, x).numpy(), rtol=1e-10)
    again = layers.deserialize(layers.serialize(stacked))
    assert [type(c).__name__ for c in again.cell.cells] == ["LSTMCell", "GRUCell"]
    assert again.compute_output_shape((3, 5, 4)) == [(3, 5, 3), [(3, 6), (3, 6)], [(3, 3)]]
