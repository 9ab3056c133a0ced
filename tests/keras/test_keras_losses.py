"""Losses against values recorded from Keras 3 (tensorflow 2.21), plus gradients of the
fused from_logits paths, reductions and bad labels."""
import warnings

import numpy as np
import pytest

import tapeflow as tf
from gradcheck import check_grad
from tapeflow import keras

L = keras.losses
YT = np.array([[0., 1., 0.], [1., 0., 0.], [0., 0., 1.]], "float32")
YP = np.array([[0.2, 0.7, 0.1], [0.5, 0.3, 0.2], [0.0, 0.1, 0.9]], "float32")
LOGITS = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0], [-2.0, 1.0, 0.0]], "float32")
YS = np.array([1, 0, 2])
RT = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.0]], "float32")
RP = np.array([[1.5, 1.0], [0.0, -1.0], [2.5, 0.2]], "float32")
BT = np.array([[1.0], [0.0], [1.0]], "float32")
BP = np.array([[0.8], [0.3], [0.0]], "float32")
BL = np.array([[2.0], [-1.0], [0.3]], "float32")
SW = np.array([1.0, 0.5, 2.0], "float32")

# (loss, y_true, y_pred, sample_weight) -> value recorded from Keras 3
CASES = {
    "mse": (L.MeanSquaredError(), RT, RP, None, 2.3816667),
    "mae": (L.MeanAbsoluteError(), RT, RP, None, 1.1166667),
    "huber": (L.Huber(delta=1.0), RT, RP, None, 0.7741666),
    "huber_d": (L.Huber(delta=0.5), RT, RP, None, 0.4616667),
    "bce": (L.BinaryCrossentropy(), BT, BP, None, 5.5659714),
    "bce_logits": (L.BinaryCrossentropy(from_logits=True), BT, BL, None, 0.3315150),
    "bce_ls": (L.BinaryCrossentropy(label_smoothing=0.2), BT, BP, None, 5.1031547),
    "cce": (L.CategoricalCrossentropy(), YT, YP, None, 0.3850609),
    "cce_logits": (L.CategoricalCrossentropy(from_logits=True), YT, LOGITS, None, 2.5333083),
    "cce_ls": (L.CategoricalCrossentropy(label_smoothing=0.1), YT, YP, None, 0.6387915),
    "scce": (L.SparseCategoricalCrossentropy(), YS, YP, None, 0.3850609),
    "scce_logits": (L.SparseCategoricalCrossentropy(from_logits=True), YS, LOGITS, None,
                    2.5333083),
    "kld": (L.KLDivergence(), YT, YP, None, 0.3850585),
    "mse_sw": (L.MeanSquaredError(), RT, RP, SW, 2.3050001),
    "mse_sum": (L.MeanSquaredError(reduction="sum"), RT, RP, None, 7.1450000),
    "scce_sw": (L.SparseCategoricalCrossentropy(), YS, YP, SW, 0.3046565),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_loss_values_match_keras(case):
    loss, yt, yp, sw, expected = CASES[case]
    got = loss(yt, yp, sample_weight=sw)
    assert got.shape == ()
    assert float(got.numpy()) == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_functions_return_one_value_per_example():
    np.testing.assert_allclose(L.categorical_crossentropy(YT, YP).numpy(),
                               [0.35667497, 0.69314718, 0.10536055], rtol=1e-6)
    np.testing.assert_allclose(L.MeanSquaredError(reduction="none")(RT, RP).numpy(),
                               [0.625, 4.5, 2.02], rtol=1e-6)
    assert L.mse is L.MSE is L.mean_squared_error


def test_probabilities_are_clipped_so_log_zero_never_appears():
    p = tf.Variable([[0.0, 1.0, 0.0]])
    with tf.GradientTape() as tape:
        loss = L.categorical_crossentropy([[1.0, 0.0, 0.0]], p)
    g = tape.gradient(loss, p)
    assert np.isfinite(loss.numpy()).all() and float(loss.numpy()[0]) == pytest.approx(
        -np.log(1e-7), rel=1e-4)
    assert np.isfinite(g.numpy()).all()


def test_logits_paths_are_stable_for_huge_logits():
    big = np.array([[1000.0, -1000.0, 0.0]], "float32")
    assert float(L.SparseCategoricalCrossentropy(from_logits=True)([0], big).numpy()) == \
        pytest.approx(0.0, abs=1e-6)
    assert float(L.CategoricalCrossentropy(from_logits=True)([[0., 1., 0.]], big).numpy()) \
        == pytest.approx(2000.0)
    assert np.isfinite(L.BinaryCrossentropy(from_logits=True)([[0.0]], [[500.0]]).numpy())


def test_gradients_of_logit_losses_float64():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4, 5))
    labels = np.array([0, 3, 4, 1])
    onehot = np.eye(5)[labels]
    check_grad(lambda z: L.sparse_categorical_crossentropy(labels, z, from_logits=True), logits)
    check_grad(lambda z: L.categorical_crossentropy(onehot, z, from_logits=True), logits)
    check_grad(lambda z: L.binary_crossentropy(onehot, z, from_logits=True), logits)
    probs = rng.uniform(0.1, 0.9, size=(4, 5))
    check_grad(lambda p: L.sparse_categorical_crossentropy(labels, p), probs)
    check_grad(lambda p: L.huber(onehot, p, delta=0.3), probs)
    check_grad(lambda p: L.kl_divergence(onehot * 0.5 + 0.1, p), probs)
    # the losses added for TF 2.21's list, float64 central differences
    check_grad(lambda z: L.squared_hinge(onehot, z), logits)
    check_grad(lambda z: L.categorical_hinge(onehot, z), logits)
    check_grad(lambda z: L.binary_focal_crossentropy(onehot, z, from_logits=True,
                                                     apply_class_balancing=True), logits)
    check_grad(lambda p: L.binary_focal_crossentropy(onehot, p, gamma=1.5), probs)
    check_grad(lambda z: L.categorical_focal_crossentropy(onehot, z, from_logits=True), logits)
    check_grad(lambda p: L.dice(onehot, p), probs)
    check_grad(lambda p: L.tversky(onehot, p, alpha=0.3, beta=0.7, axis=1), probs)


def test_sparse_labels_out_of_range_is_a_clear_error():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"label value of 3.*\[0, 3\)"):
        L.SparseCategoricalCrossentropy()(np.array([0, 3, 1]), YP)
    with pytest.raises(tf.errors.InvalidArgumentError, match="label value of -1"):
        L.sparse_categorical_crossentropy(np.array([0, -1, 1]), LOGITS, from_logits=True)


def test_sparse_accepts_column_labels_and_float_labels():
    a = L.sparse_categorical_crossentropy(YS.reshape(-1, 1), YP).numpy()
    b = L.sparse_categorical_crossentropy(YS.astype("float32"), YP).numpy()
    np.testing.assert_allclose(a, b)


def test_shape_mismatch_and_bad_reduction():
    with pytest.raises(ValueError, match="same shape"):
        L.categorical_crossentropy(YT[:, :2], YP)
    with pytest.raises(ValueError, match="reduction"):
        L.MeanSquaredError(reduction="average")


def test_get_by_name_and_unknown():
    assert L.get("mse") is L.mean_squared_error
    assert isinstance(L.get("SparseCategoricalCrossentropy"), L.SparseCategoricalCrossentropy)
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        L.get("sparse_categorical_crossentropyy")


def test_config_roundtrip():
    loss = L.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    again = L.CategoricalCrossentropy.from_config(loss.get_config())
    assert again.from_logits is True and again.label_smoothing == 0.1
    assert float(again(YT, LOGITS).numpy()) == pytest.approx(float(loss(YT, LOGITS).numpy()))


def test_crossentropy_on_a_softmax_or_sigmoid_output_uses_its_logits_as_keras():
    x = tf.constant([[100.0, 0.0, -100.0], [1.0, 2.0, 3.0]])
    p = tf.keras.activations.softmax(x)
    # from the logits: log-sum-exp minus the label's logit, not -log(1e-7) from clipping
    z = x.numpy()
    lse = np.log(np.exp(z - z.max(1, keepdims=True)).sum(1)) + z.max(1)
    want = lse - z[[0, 1], [2, 0]]
    got = tf.keras.losses.sparse_categorical_crossentropy(tf.constant([2, 0]), p).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6)
    hot = tf.constant([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(tf.keras.losses.categorical_crossentropy(hot, p).numpy(), want,
                               rtol=1e-6)
    # a plain tf.nn.softmax output carries no logits (eager Keras clips it)
    clipped = tf.keras.losses.sparse_categorical_crossentropy(tf.constant([2, 0]),
                                                             tf.nn.softmax(x)).numpy()
    assert clipped[0] == pytest.approx(-np.log(1e-7), rel=1e-5)
    # the gradient reaches the logits as softmax - one-hot, without passing the softmax
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(tf.keras.losses.categorical_crossentropy(
            hot, tf.keras.activations.softmax(x)))
    e = np.exp(z - z.max(1, keepdims=True))
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(),
                               e / e.sum(1, keepdims=True) - hot.numpy(), atol=1e-6)
    s = tf.keras.activations.sigmoid(tf.constant([[50.0], [-3.0]]))
    bce = tf.keras.losses.binary_crossentropy(tf.constant([[0.0], [1.0]]), s).numpy()
    np.testing.assert_allclose(bce, [50.0, np.log1p(np.exp(3.0))], rtol=1e-6)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tf.keras.losses.sparse_categorical_crossentropy(tf.constant([2, 0]), p,
                                                        from_logits=True)
    assert any("does not represent logits" in str(w.message) for w in caught)
