"""keras.wrappers: scikit-learn estimators around tapeflow models, checked against the
fits, predictions and messages recorded from Keras 3.15.1 (TF 2.21, scikit-learn 1.9)."""
import numpy as np
import pytest

import tapeflow as tf

sklearn = pytest.importorskip("sklearn")  # the wrappers need scikit-learn ([dev] has it)
keras = tf.keras
W = keras.wrappers

X = np.array([[0.0, 0], [1, 1], [0, 1], [1, 0], [2, 2], [-1, -1]], "float32")
Y_REG = X @ np.array([1.0, -2.0]) + 0.5


def _classifier_model(X, y, loss="categorical_crossentropy"):
    m = keras.Sequential([keras.Input(X.shape[1:]), keras.layers.Dense(
        y.shape[1], activation="softmax", kernel_initializer="zeros")])
    m.compile(loss=loss, optimizer=keras.optimizers.SGD(0.5))
    return m


def _regressor_model(X, y):
    m = keras.Sequential([keras.Input(X.shape[1:]),
                          keras.layers.Dense(1, kernel_initializer="zeros")])
    m.compile(loss="mse", optimizer=keras.optimizers.SGD(0.1))
    return m


def _transformer_model(X, y):
    m = keras.Sequential([keras.Input(X.shape[1:]),
                          keras.layers.Dense(3, kernel_initializer="ones")])
    m.compile(loss="mse", optimizer=keras.optimizers.SGD(0.0))
    return m


def test_classifier_string_labels():
    seen = {}

    def make(X, y):
        seen["y"] = y
        return _classifier_model(X, y)

    clf = W.SKLearnClassifier(make, fit_kwargs={"epochs": 5, "verbose": 0})
    assert clf.fit(X, np.array(["a", "b", "a", "b", "b", "a"])) is clf
    # the model is built for one-hot targets (float64), as in Keras
    assert seen["y"].shape == (6, 2) and seen["y"].dtype == np.float64
    assert seen["y"][:3].tolist() == [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]
    assert clf.classes_.tolist() == ["a", "b"] and clf.n_features_in_ == 2
    assert isinstance(clf.model_, keras.Sequential)
    assert isinstance(clf.history_, keras.callbacks.History)
    assert clf.predict(X).tolist() == ["a", "b", "b", "b", "b", "a"]
    assert clf.score(X, np.array(["a", "b", "a", "b", "b", "a"])) == pytest.approx(5 / 6)
    np.testing.assert_allclose(clf.decision_function(X)[[0, 5]],
                               [[0.58341897, 0.41658098], [0.86873263, 0.1312674]], rtol=1e-5)
    assert clf.get_params() == {"fit_kwargs": {"epochs": 5, "verbose": 0}, "model": make,
                                "model_kwargs": None, "warm_start": False}
    assert repr(W.SKLearnClassifier(make)).startswith("SKLearnClassifier(model=<function")


def test_classifier_three_classes_weights_match_keras():
    y = np.array([0, 1, 2, 1, 2, 0])
    clf = W.SKLearnClassifier(_classifier_model, fit_kwargs={"epochs": 20, "verbose": 0})
    clf.fit(X, y)
    assert clf.classes_.tolist() == [0, 1, 2]
    assert clf.predict(X).tolist() == [0, 2, 2, 1, 2, 0]
    assert clf.score(X, y) == pytest.approx(5 / 6)
    kernel, bias = clf.model_.get_weights()
    np.testing.assert_allclose(kernel, [[-1.0042738, 0.9502136, 0.05406002],
                                        [-1.0074254, -0.29272002, 1.3001454]], rtol=1e-4)
    np.testing.assert_allclose(bias, [0.44650713, 0.02963814, -0.47614533], rtol=1e-4)


def test_regressor_matches_keras_and_clones_models():
    reg = W.SKLearnRegressor(_regressor_model, fit_kwargs={
        "epochs": 10, "verbose": 0, "batch_size": 6, "shuffle": False}).fit(X, Y_REG)
    pred = reg.predict(X)
    assert pred.shape == (6,)
    np.testing.assert_allclose(pred, [0.33717686, -0.5536234, -0.5395162, 0.3230697,
                                      -1.4444237, 1.227977], rtol=1e-5)
    assert reg.score(X, Y_REG) == pytest.approx(0.7458772502837443, rel=1e-5)
    kernel, bias = reg.model_.get_weights()
    np.testing.assert_allclose(kernel, [[-0.01410718], [-0.87669307]], rtol=1e-5)
    np.testing.assert_allclose(bias, [0.33717686], rtol=1e-5)
    # fit's own keyword arguments win over fit_kwargs (one epoch here)
    assert len(reg.fit(X, Y_REG, epochs=1).history_.history["loss"]) == 1
    np.testing.assert_allclose(reg.history_.history["loss"], [1.5833333730697632], rtol=1e-6)
    # a compiled model is cloned (and recompiled) for fitting, as in Keras
    model = _regressor_model(X, Y_REG)
    reg2 = W.SKLearnRegressor(model, fit_kwargs={"epochs": 2, "verbose": 0}).fit(X, Y_REG)
    assert reg2.model_ is not model and reg2.model_.__dict__["compiled"]
    np.testing.assert_array_equal(model.get_weights()[0], np.zeros((2, 1), "float32"))
    warm = W.SKLearnRegressor(model, warm_start=True, fit_kwargs={"epochs": 1, "verbose": 0})
    first = warm.fit(X, Y_REG).model_
    assert warm.fit(X, Y_REG).model_ is first  # warm start keeps training the same model


def test_transformer():
    tr = W.SKLearnTransformer(_transformer_model, fit_kwargs={"epochs": 1, "verbose": 0})
    out = tr.fit(X, Y_REG).transform(X)
    np.testing.assert_array_equal(out, np.repeat(X.sum(1, keepdims=True), 3, axis=1))
    np.testing.assert_array_equal(tr.fit_transform(X, Y_REG), out)


def test_errors_recorded_from_keras():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="This SKLearnClassifier instance is not fitted "
                       "yet. Call 'fit' with appropriate arguments before using this "
                       "estimator."):
        W.SKLearnClassifier(_classifier_model).predict(X)
    with pytest.raises(TypeError, match=r"SKLBase.fit\(\) missing 1 required positional "
                       "argument: 'y'"):
        W.SKLearnTransformer(_transformer_model).fit(X)
    with pytest.raises(AttributeError, match="'int' object has no attribute 'compiled'"):
        W.SKLearnRegressor(lambda X, y: 3).fit(X, Y_REG)
    with pytest.raises(RuntimeError, match="Given model needs to be compiled, and have a loss "
                       "and an optimizer."):
        W.SKLearnRegressor(keras.Sequential([keras.layers.Dense(1)])).fit(X, Y_REG)
    with pytest.raises(TypeError, match="'int' object is not callable"):
        W.SKLearnRegressor(5).fit(X, Y_REG)
    with pytest.raises(ValueError, match=r"y should be a 1d array, got an array of shape "
                       r"\(6, 2\) instead."):
        W.SKLearnRegressor(_regressor_model).fit(X, np.stack([Y_REG, Y_REG], 1))
    reg = W.SKLearnRegressor(_regressor_model, fit_kwargs={"epochs": 1, "verbose": 0})
    reg.fit(X, Y_REG)
    with pytest.raises(ValueError, match="X has 3 features, but SKLearnRegressor is expecting "
                       "2 features as input."):
        reg.predict(np.ones((2, 3)))


def test_works_inside_scikit_learn_tools():
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    fit_kwargs = {"epochs": 10, "verbose": 0, "batch_size": 6, "shuffle": False}
    reg = W.SKLearnRegressor(_regressor_model, fit_kwargs=fit_kwargs).fit(X[3:], Y_REG[3:])
    # Keras 3.15.1's numbers for this fit on the second half, scored on the first half
    np.testing.assert_allclose(reg.predict(X[:3]), [0.7355597, -0.21181035, -0.14793968],
                               rtol=1e-5)
    assert reg.score(X[:3], Y_REG[:3]) == pytest.approx(0.016695624606825277, rel=1e-4)
    # NOTE: Keras's clone (used by cross_val_score) drops fit_kwargs, so its folds train one
    # epoch; here a clone keeps its parameters, as scikit-learn's contract asks
    scores = cross_val_score(W.SKLearnRegressor(_regressor_model, fit_kwargs=fit_kwargs),
                             X, Y_REG, cv=2)
    assert scores[0] == pytest.approx(0.016695624606825277, rel=1e-4)
    pipe = make_pipeline(StandardScaler(), W.SKLearnClassifier(
        _classifier_model, fit_kwargs={"epochs": 20, "verbose": 0}))
    y = np.array([0, 1, 0, 1, 1, 0])
    assert pipe.fit(X, y).predict(X).shape == (6,)
