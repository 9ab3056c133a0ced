"""Attention and MultiHeadAttention against NumPy references, with masks, gradients, configs
and functional-model use."""
import json

import numpy as np
import pytest

import tapeflow as tf
from gradcheck import check_grad
from tapeflow import keras
from tapeflow.keras import layers

RNG = np.random.default_rng(2)


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.backend.clear_session()


def softmax(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def np_mha(q, v, ws, keep=None):
    wq, bq, wk, bk, wv, bv, wo, bo = ws
    qh = np.einsum("btd,dhk->bhtk", q, wq) + bq[None, :, None]
    kh = np.einsum("btd,dhk->bhtk", v, wk) + bk[None, :, None]
    vh = np.einsum("btd,dhk->bhtk", v, wv) + bv[None, :, None]
    s = qh @ kh.transpose(0, 1, 3, 2) / np.sqrt(wq.shape[-1])
    if keep is not None:
        s = s - 1e9 * (1 - keep[:, None])
    w = softmax(s)
    return np.einsum("bhtv,hvo->bto", w @ vh, wo) + bo, w


def test_multi_head_attention_matches_reference_and_keras_shapes():
    q, v = RNG.standard_normal((2, 4, 6)), RNG.standard_normal((2, 5, 3))
    mha = layers.MultiHeadAttention(2, 3, value_dim=4, dtype="float64")
    out, w = mha(q, v, return_attention_scores=True)
    # weight shapes and count as Keras 3 reports them for this layer
    assert [tuple(x.shape) for x in mha.weights] == [
        (6, 2, 3), (2, 3), (3, 2, 3), (2, 3), (3, 2, 4), (2, 4), (2, 4, 6), (6,)]
    assert mha.count_params() == 152
    ws = [x.numpy() + RNG.uniform(-0.3, 0.3, tuple(x.shape)) for x in mha.weights]
    mha.set_weights(ws)
    out, w = mha(q, v, return_attention_scores=True)
    want, want_w = np_mha(q, v, ws)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w.numpy(), want_w, rtol=1e-10, atol=1e-12)
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    keep = np.broadcast_to(mask[:, None], (2, 4, 5)) & np.tril(np.ones((4, 5), bool))
    got = mha(q, v, attention_mask=np.broadcast_to(mask[:, None], (2, 4, 5)),
              use_causal_mask=True)
    np.testing.assert_allclose(got.numpy(), np_mha(q, v, ws, keep)[0], rtol=1e-10, atol=1e-12)
    assert mha.compute_output_shape((None, 4, 6), (None, 5, 3)) == (None, 4, 6)


def test_multi_head_attention_gradients_and_self_attention_model():
    x = RNG.standard_normal((2, 3, 4))
    mha = layers.MultiHeadAttention(2, 2, dtype="float64")
    mha(x, x)
    check_grad(lambda t: mha(t, t), x)
    t = tf.constant(x)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(mha(t, t) ** 2)
    grads = tape.gradient(loss, mha.trainable_variables)
    eps, v = 1e-6, mha.trainable_variables[2]  # the key kernel
    base, g = v.numpy(), grads[2].numpy()
    for i in range(0, base.size, 3):
        diff = []
        for sign in (1, -1):
            p = base.copy()
            p.reshape(-1)[i] += sign * eps
            v.assign(p)
            diff.append(float(tf.reduce_sum(mha(t, t) ** 2)))
        v.assign(base)
        np.testing.assert_allclose(g.reshape(-1)[i], (diff[0] - diff[1]) / (2 * eps),
                                   rtol=1e-5, atol=1e-8)
    inp = keras.Input((4, 6))
    out = layers.GlobalAveragePooling1D()(layers.MultiHeadAttention(2, 3)([inp, inp]))
    model = keras.Model(inp, layers.Dense(1)(out))
    assert model.count_params() == 168 + 7  # Keras: 168 for MultiHeadAttention(2, 3) on d=6
    clone = keras.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    xs = RNG.standard_normal((3, 4, 6)).astype("float32")
    np.testing.assert_allclose(clone(xs).numpy(), model(xs).numpy(), rtol=1e-5, atol=1e-6)
    model.compile("adam", "mse")
    model.fit(xs, np.ones((3, 1)), epochs=1, verbose=0)


def test_attention_dot_concat_masks_and_causal():
    q, v = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 5, 4))
    att = layers.Attention(dtype="float64")
    out, w = att([q, v], return_attention_scores=True)
    np.testing.assert_allclose(w.numpy(), softmax(q @ v.transpose(0, 2, 1)), rtol=1e-10)
    np.testing.assert_allclose(out.numpy(), w.numpy() @ v, rtol=1e-10)
    v_mask = np.array([[1, 1, 0, 0, 0], [1] * 5], bool)
    q_mask = np.array([[1, 1, 0], [1, 1, 1]], bool)
    out = att([q, v], mask=[tf.constant(q_mask), tf.constant(v_mask)]).numpy()
    s = q @ v.transpose(0, 2, 1) - 1e9 * (1 - v_mask[:, None])
    np.testing.assert_allclose(out, (softmax(s) @ v) * q_mask[..., None], rtol=1e-10,
                               atol=1e-12)
    concat = layers.Attention(use_scale=True, score_mode="concat", dtype="float64")
    out = concat([q, v[:, :3], v[:, 2:]], use_causal_mask=True).numpy()
    assert concat.count_params() == 2
    s = np.tanh(q[:, :, None] + v[:, None, 2:]).sum(-1) - 1e9 * (1 - np.tril(np.ones((3, 3))))
    np.testing.assert_allclose(out, softmax(s) @ v[:, :3], rtol=1e-10, atol=1e-12)
    check_grad(lambda a, b: att([a, b]), q, v)
    check_grad(lambda a, b: concat([a, b]), q, v[:, :3])


@pytest.mark.parametrize("make", [
    lambda: layers.Attention(use_scale=True, score_mode="concat", dropout=0.1),
    lambda: layers.MultiHeadAttention(4, 8, value_dim=6, output_shape=5, dropout=0.2,
                                      kernel_regularizer="l2"),
])
def test_attention_config_round_trip(make):
    layer = make()
    again = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
    assert type(again) is type(layer) and again.get_config() == layer.get_config()
