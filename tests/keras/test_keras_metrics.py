"""Metrics: accumulation across batches as total and count, reset, values recorded from
Keras 3 (tensorflow 2.21) for the confusion-matrix metrics."""
import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras

M = keras.metrics
YT = np.array([0, 1, 1, 0, 1, 0, 1, 1], "float32")
YP = np.array([0.1, 0.8, 0.4, 0.6, 0.9, 0.2, 0.55, 0.3], "float32")
SW = np.array([1, 2, 1, 1, 0.5, 1, 1, 3], "float32")
CASES = {  # recorded from Keras 3
    "auc": (lambda: M.AUC(), (YT, YP), 0.8),
    "auc_pr": (lambda: M.AUC(curve="PR"), (YT, YP), 0.8613706),
    "auc_sw": (lambda: M.AUC(), (YT, YP, SW), 0.7777778),
    "precision": (lambda: M.Precision(), (YT, YP), 0.75),
    "recall": (lambda: M.Recall(), (YT, YP), 0.6),
    "precision_sw": (lambda: M.Precision(), (YT, YP, SW), 0.7777778),
    "recall_t": (lambda: M.Recall(thresholds=0.35), (YT, YP), 0.8),
    "binacc": (lambda: M.BinaryAccuracy(), (YT, YP), 0.625),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_values_match_keras(case):
    make, args, expected = CASES[case]
    m = make()
    m.update_state(*args)
    assert float(m.result().numpy()) == pytest.approx(expected, abs=1e-5)


def test_split_batches_accumulate_like_one_batch():
    whole, parts = M.AUC(), M.AUC()
    whole.update_state(YT, YP)
    parts.update_state(YT[:3], YP[:3])
    parts.update_state(YT[3:], YP[3:])
    assert float(parts.result().numpy()) == pytest.approx(float(whole.result().numpy()))


def test_mean_keeps_total_and_count_and_resets():
    m = M.Mean()
    m(2.0)
    m([4.0, 6.0])
    assert float(m.result().numpy()) == pytest.approx(4.0)
    assert float(m.total.numpy()) == 12.0 and float(m.count.numpy()) == 3.0
    assert len(m.variables) == 2  # state is two numbers, never a list of values
    m.reset_states()  # the seed's spelling
    assert float(m.result().numpy()) == 0.0
    m.update_state([1.0, 3.0], sample_weight=[3.0, 1.0])
    assert float(m.result().numpy()) == pytest.approx(1.5)
    s = M.Sum()
    s.update_state([1.0, 2.0])
    assert float(s.result().numpy()) == 3.0


def test_seed_style_sparse_accuracy():
    ys = np.array([2, 0, 1, 1])
    p = np.array([[0.1, 0.2, 0.7], [0.5, 0.4, 0.1], [0.3, 0.3, 0.4], [0.2, 0.6, 0.2]], "float32")
    acc = M.SparseCategoricalAccuracy()
    assert float(acc(y_true=tf.constant(ys), y_pred=tf.constant(p)).numpy()) == 0.75
    acc.reset_state()
    acc.update_state(ys, p, sample_weight=[1, 1, 2, 1])
    assert float(acc.result().numpy()) == pytest.approx(0.6)
    top2 = M.SparseTopKCategoricalAccuracy(k=2)
    top2.update_state(ys, p)
    assert float(top2.result().numpy()) == 1.0
    cat = M.CategoricalAccuracy()
    cat.update_state(np.eye(3)[ys], p)
    assert float(cat.result().numpy()) == 0.75
    topk = M.TopKCategoricalAccuracy(k=1)
    topk.update_state(np.eye(3)[ys], p)
    assert float(topk.result().numpy()) == 0.75


def test_accuracy_and_regression_metrics():
    a = M.Accuracy()
    a.update_state([1, 2, 3, 4], [1, 2, 0, 4])
    assert float(a.result().numpy()) == 0.75
    mse = M.MeanSquaredError()
    mse.update_state([[1.0, 2.0]], [[2.0, 4.0]])
    assert float(mse.result().numpy()) == pytest.approx(2.5)
    mae = M.MeanAbsoluteError()
    mae.update_state([[1.0, 2.0]], [[2.0, 4.0]])
    assert float(mae.result().numpy()) == pytest.approx(1.5)


def test_metric_update_is_not_recorded_on_a_tape():
    v = tf.Variable([[0.2, 0.8]])
    m = M.MeanSquaredError()
    with tf.GradientTape() as tape:
        m.update_state([[0.0, 1.0]], v * 1.0)
        loss = tf.reduce_sum(v)
    assert tape.gradient(loss, v) is not None
    assert float(m.result().numpy()) == pytest.approx(0.04)


def test_mean_metric_wrapper_with_function():
    m = M.MeanMetricWrapper(lambda t, p: tf.abs(tf.constant(t) - tf.constant(p)), name="dist")
    m.update_state([1.0, 2.0], [2.0, 2.0])
    assert m.name == "dist" and float(m.result().numpy()) == 0.5


def test_get_and_unknown():
    assert isinstance(M.get("mae"), M.MeanAbsoluteError)
    assert isinstance(M.get("AUC"), M.AUC)
    with pytest.raises(ValueError, match="accuracy"):
        M.get("acuracy")
