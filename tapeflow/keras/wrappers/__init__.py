"""``keras.wrappers``: scikit-learn estimators around Keras models (``SKLearnClassifier``,
``SKLearnRegressor``, ``SKLearnTransformer``). They need scikit-learn, imported when a
wrapper is first used.

``model`` is a compiled model (cloned and recompiled at each ``fit`` unless ``warm_start``)
or a callable ``model(X=X, y=y, **model_kwargs)`` returning one; ``fit_kwargs`` go to
``model.fit``. The classifier one-hot encodes the labels for the model and predicts labels
again; the regressor and the transformer give the model a ``(n, 1)`` target for a 1-D one.
"""
import importlib

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]
_BUILT = {}


def _sklearn():
    try:
        return importlib.import_module("sklearn")
    except ImportError:
        raise ImportError("keras.wrappers needs scikit-learn: `pip install scikit-learn`."
                          ) from None


def _build():
    """Make the three wrapper classes (they subclass scikit-learn's mixins)."""
    _sklearn()
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
    from sklearn.preprocessing import OneHotEncoder
    from sklearn.utils.validation import check_is_fitted

    try:
        from sklearn.utils.validation import validate_data
    except ImportError:  # scikit-learn < 1.6
        def validate_data(estimator, *args, **kwargs):
            return estimator._validate_data(*args, **kwargs)

    from ...backend import host as np
    from ..models import Model, clone_model
    from ..optimizers import get as get_optimizer

    def _as_numpy(y):
        return y.numpy() if hasattr(y, "numpy") else np.asarray(y)

    class SKLBase(BaseEstimator):
        """What the three wrappers share: building, checking and fitting the model."""

        def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
            self.model = model
            self.warm_start = warm_start
            self.model_kwargs = model_kwargs
            self.fit_kwargs = fit_kwargs

        def __sklearn_clone__(self):
            # NOTE: the model itself is shared, not deep-copied: `fit` clones it anyway
            return type(self)(**self.get_params(deep=False))

        def _get_model(self, X, y):
            if self.warm_start and hasattr(self, "model_"):
                return self.model_
            if isinstance(self.model, Model):
                return _clone_compiled(self.model)
            return self.model(X=X, y=y, **(self.model_kwargs or {}))

        def fit(self, X, y, **kwargs):
            """Fit the model on ``X``, ``y`` (keyword arguments go to ``model.fit``, over
            ``fit_kwargs``); returns the estimator."""
            X, y = validate_data(self, X, y)
            y = self._encode_target(y)
            model = self._get_model(X, y)
            compiled = model.compiled if not isinstance(model, Model) else \
                model.__dict__.get("compiled", False)
            if not compiled or model.__dict__.get("_loss_spec") is None or \
                    model.__dict__.get("optimizer") is None:
                raise RuntimeError("Given model needs to be compiled, and have a loss and an "
                                   "optimizer.")
            self.history_ = model.fit(X, y, **{**(self.fit_kwargs or {}), **kwargs})
            self.model_ = model
            return self

        def _encode_target(self, y):
            self._target_ndim = np.ndim(y)
            return y.reshape(-1, 1) if np.ndim(y) == 1 else y

        def _raw_predict(self, X):
            check_is_fitted(self)
            X = validate_data(self, X, reset=False)
            return _as_numpy(self.model_.predict(X))

    class SKLearnClassifier(ClassifierMixin, SKLBase):
        """A scikit-learn classifier around a Keras model: the model sees one-hot labels,
        ``predict`` gives labels (``classes_``), ``decision_function`` the model's outputs.
        """

        def _encode_target(self, y):
            y = super()._encode_target(y)
            self._target_encoder = OneHotEncoder(sparse_output=False).fit(y)
            self.classes_ = self._target_encoder.categories_[0]
            return self._target_encoder.transform(y)

        def predict(self, X):
            """The predicted class labels for ``X``."""
            raw = self._raw_predict(X)
            labels = self.classes_[np.argmax(raw, axis=-1)]
            return labels if self._target_ndim == 1 else labels.reshape(-1, 1)

        def decision_function(self, X):
            """The model's outputs for ``X``."""
            return self._raw_predict(X)

    class SKLearnRegressor(RegressorMixin, SKLBase):
        """A scikit-learn regressor around a Keras model (a 1-D target is given to the model
        as a column and predicted as 1-D again)."""

        def predict(self, X):
            """The model's predictions for ``X``."""
            out = self._raw_predict(X)
            return out.reshape(-1) if self._target_ndim == 1 else out

    class SKLearnTransformer(TransformerMixin, SKLBase):
        """A scikit-learn transformer: ``transform(X)`` is the fitted model's output."""

        def transform(self, X):
            """The model's outputs for ``X``."""
            return self._raw_predict(X)

    def _clone_compiled(model):
        """A fresh clone of ``model`` compiled as ``model`` is (a new optimizer of the same
        configuration)."""
        clone = clone_model(model)
        optimizer = model.__dict__.get("optimizer")
        if optimizer is not None:
            optimizer = get_optimizer({"class_name": type(optimizer).__name__,
                                       "config": optimizer.get_config()})
        clone.compile(optimizer=optimizer, loss=model.__dict__.get("_loss_spec"),
                      loss_weights=model.__dict__.get("_loss_weights_spec"),
                      metrics=model.__dict__.get("_metrics_spec"),
                      weighted_metrics=model.__dict__.get("_weighted_metrics_spec"))
        return clone

    for cls in (SKLBase, SKLearnClassifier, SKLearnRegressor, SKLearnTransformer):
        cls.__module__ = __name__
        cls.__qualname__ = cls.__name__
    _BUILT.update(SKLBase=SKLBase, SKLearnClassifier=SKLearnClassifier,
                  SKLearnRegressor=SKLearnRegressor, SKLearnTransformer=SKLearnTransformer)


def __getattr__(name):
    """Build the wrappers (importing scikit-learn) on first use."""
    if name in __all__:
        if not _BUILT:
            _build()
        globals().update(_BUILT)
        return _BUILT[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
