"""keras.distillation: losses and a teacher/student fit, against numbers recorded from
Keras 3.15.1 on TF 2.21 (same data, initial weights and optimizer)."""
import numpy as np
import pytest

import tapeflow as tf

keras = tf.keras
D = keras.distillation

T = np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 2.0]], "float32")
S = np.array([[0.3, 1.0, 0.0], [1.0, 0.0, 0.5]], "float32")


@pytest.mark.parametrize("make, expected", [
    (lambda: D.LogitsDistillation(), 2.0492942),
    (lambda: D.LogitsDistillation(temperature=2.0), 3.1246243),
    (lambda: D.LogitsDistillation(temperature=1.0), 4.6896677),
    (lambda: D.LogitsDistillation(temperature=2.0, loss="categorical_crossentropy"), -0.9575527),
    (lambda: D.FeatureDistillation(), 0.9666667),
    (lambda: D.FeatureDistillation(loss="cosine_similarity"), -0.70051444),
    (lambda: D.FeatureDistillation(loss="mae"), 0.93333334),
])
def test_loss_values(make, expected):
    value = make().compute_loss(T, S)
    assert value.dtype == tf.float32 and value.shape == ()
    np.testing.assert_allclose(float(value), expected, rtol=1e-6)


def test_several_outputs_sum_and_none_skips():
    one = D.LogitsDistillation(loss=["kl_divergence", None])
    np.testing.assert_allclose(float(one.compute_loss([T, T], [S, S])), 2.0492942, rtol=1e-6)
    two = D.LogitsDistillation(loss=["kl_divergence", "categorical_crossentropy"])
    np.testing.assert_allclose(float(two.compute_loss([T, T], [S, S])), 1.4109256, rtol=1e-6)
    by_key = D.FeatureDistillation(loss={"a": "mse", "b": None})
    np.testing.assert_allclose(float(by_key.compute_loss({"a": T, "b": T}, {"a": S, "b": T})),
                               0.9666667, rtol=1e-6)


def test_loss_errors_and_configs():
    with pytest.raises(ValueError, match="temperature must be positive."):
        D.LogitsDistillation(temperature=0)
    with pytest.raises(ValueError, match="At least one loss must be non-`None`."):
        D.LogitsDistillation(loss=None)
    with pytest.raises(ValueError, match="Could not interpret loss identifier: nope"):
        D.LogitsDistillation(loss="nope")
    with pytest.raises(NotImplementedError, match="Subclasses must implement compute_loss"):
        D.DistillationLoss().compute_loss(T, S)
    with pytest.raises(tf.errors.InvalidArgumentError):
        D.FeatureDistillation().compute_loss(T, S[:, :2])
    fn = {"module": "builtins", "class_name": "function", "registered_name": "function"}
    assert D.LogitsDistillation().get_config() == {
        "temperature": 3.0, "loss": {**fn, "config": "kl_divergence"}}
    assert D.FeatureDistillation(teacher_layer_name="a").get_config() == {
        "loss": {**fn, "config": "mean_squared_error"}, "teacher_layer_name": "a",
        "student_layer_name": None}
    again = D.LogitsDistillation.from_config({"temperature": 5.0, "loss": "kl_divergence"})
    assert again.temperature == 5.0
    again = D.LogitsDistillation.from_config(D.LogitsDistillation(2.0).get_config())
    np.testing.assert_allclose(float(again.compute_loss(T, S)), 3.1246243, rtol=1e-6)


X = np.array([[1.0, 2.0], [0.5, -1.0], [0.0, 1.0], [2.0, 0.5]], "float32")
Y = np.array([0, 1, 2, 1])


def _models():
    teacher = keras.Sequential([keras.Input((2,)), keras.layers.Dense(
        3, kernel_initializer=keras.initializers.Constant([[1.0, -1.0, 0.5], [0.2, 0.3, -0.4]]),
        name="t_dense")], name="teacher")
    student = keras.Sequential([keras.Input((2,)), keras.layers.Dense(
        3, kernel_initializer=keras.initializers.Constant([[0.1, 0.2, 0.3], [-0.1, 0.0, 0.1]]),
        name="s_dense")], name="student")
    return teacher, student


def test_distiller_fit_matches_keras():
    teacher, student = _models()
    d = D.Distiller(teacher, student, D.LogitsDistillation(temperature=2.0),
                    student_loss_weight=0.3)
    assert not teacher.trainable and d.name == "distiller"
    assert d.student is student and d.teacher is teacher
    d.compile(optimizer=keras.optimizers.SGD(0.1),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
    np.testing.assert_allclose(d(X).numpy(), student(X).numpy())
    h = d.fit(X, Y, epochs=3, batch_size=4, verbose=0, shuffle=False)
    keras_history = {
        "accuracy": [0.25, 0.25, 0.25],
        "distillation_loss": [4.539647102355957, 1.061219334602356, 0.8230441808700562],
        "loss": [3.5264368057250977, 1.0995738506317139, 0.9298837780952454],
        "student_loss": [1.1622791290283203, 1.1890677213668823, 1.1791760921478271],
        "total_loss": [3.5264368057250977, 1.0995738506317139, 0.9298837780952454]}
    assert sorted(h.history) == sorted(keras_history)
    for key, values in keras_history.items():
        np.testing.assert_allclose(h.history[key], values, rtol=2e-6, err_msg=key)
    kernel, bias = student.get_weights()
    np.testing.assert_allclose(kernel, [[0.4702121, 0.23441224, 0.39771563],
                                        [0.0973769, -0.02729252, -0.03351016]], rtol=1e-5)
    np.testing.assert_allclose(bias, [0.25474185, 0.0187746, 0.16432498], rtol=1e-5)
    np.testing.assert_array_equal(teacher.get_weights()[0],
                                  np.float32([[1.0, -1.0, 0.5], [0.2, 0.3, -0.4]]))  # frozen
    logs = d.evaluate(X, Y, verbose=0, return_dict=True)
    expected = {"accuracy": 0.25, "distillation_loss": 0.7250076532363892,
                "loss": 0.8612359166145325, "student_loss": 1.179101824760437,
                "total_loss": 0.8612359166145325}
    for key, value in expected.items():
        np.testing.assert_allclose(logs[key], value, rtol=2e-6, err_msg=key)
    np.testing.assert_allclose(d.predict(X, verbose=0)[0], [0.9197077, 0.1986018, 0.49502027],
                               rtol=1e-5)
    assert len(d.trainable_weights) == 2 and len(d.weights) == 4
    assert {"student_loss", "distillation_loss", "total_loss"} <= {m.name for m in d.metrics}


def test_distiller_loss_formula_with_feature_distillation():
    teacher, student = _models()
    losses = [D.LogitsDistillation(temperature=3.0),
              D.FeatureDistillation(teacher_layer_name="t_dense",
                                    student_layer_name="s_dense")]
    d = D.Distiller(teacher, student, losses, distillation_loss_weights=[1.0, 0.5],
                    student_loss_weight=0.25)
    assert d.distillation_loss_weights == [1.0, 0.5]
    d.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    t_out, s_out = teacher(X).numpy(), student(X).numpy()
    got = float(d.compute_loss(x=X, y=Y, y_pred=d(X)))
    student_loss = float(keras.losses.SparseCategoricalCrossentropy(from_logits=True)(Y, s_out))
    dist = float(losses[0].compute_loss(t_out, s_out)) + 0.5 * float(np.mean((t_out - s_out) ** 2))
    np.testing.assert_allclose(got, 0.25 * student_loss + 0.75 * dist, rtol=1e-6)


def test_distiller_functional_feature_layers_and_gradient():
    inp = keras.Input((2,))
    hidden = keras.layers.Dense(3, kernel_initializer="ones", name="h")(inp)
    teacher = keras.Model(inp, keras.layers.Dense(2, name="o")(hidden))
    s_in = keras.Input((2,))
    s_hidden = keras.layers.Dense(3, name="sh")(s_in)
    student = keras.Model(s_in, keras.layers.Dense(2, name="so")(s_hidden))
    d = D.Distiller(teacher, student, D.FeatureDistillation(
        teacher_layer_name="h", student_layer_name="sh"), student_loss_weight=0.0)
    d.compile(optimizer="sgd", loss="mse")
    before = student.get_layer("so").get_weights()[0].copy()
    d.fit(X, np.zeros((4, 2), "float32"), epochs=2, verbose=0)
    # only the feature loss trains (student weight 0): the head past 'sh' gets no gradient
    np.testing.assert_array_equal(student.get_layer("so").get_weights()[0], before)
    with pytest.raises(ValueError, match="Layer 'nope' not found in teacher model."):
        D.Distiller(teacher, student, D.FeatureDistillation(teacher_layer_name="nope"))


def test_distiller_errors():
    teacher, student = _models()
    with pytest.raises(ValueError, match="student_loss_weight must be between 0.0 and 1.0, "
                       "got 1.5"):
        D.Distiller(teacher, student, D.LogitsDistillation(), student_loss_weight=1.5)
    with pytest.raises(ValueError, match=r"Number of distillation_loss_weights \(2\) must "
                       r"match number of distillation_losses \(1\)"):
        D.Distiller(teacher, student, [D.LogitsDistillation()],
                    distillation_loss_weights=[1.0, 2.0])
    with pytest.raises(AttributeError, match="validate_model_compatibility"):
        D.Distiller(teacher, student, "kl")
