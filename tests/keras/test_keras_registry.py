"""The one Keras registry (``keras/_registry.py``): every kind resolves names, configs,
callables and None the way Keras 3 does, with Keras 3's errors, and round-trips each
built-in object; the layer table cannot drift from ``tf.keras.layers``."""
import inspect
import json
import sys

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.keras import _registry
from tapeflow.keras.saving import _onnx

keras = tf.keras
L = keras.layers

# kind -> (module, the words of Keras 3's "Could not interpret ... identifier" error)
KINDS = {
    "activation": (keras.activations, "activation function"),
    "initializer": (keras.initializers, "initializer"),
    "regularizer": (keras.regularizers, "regularizer"),
    "constraint": (keras.constraints, "constraint"),
    "loss": (keras.losses, "loss"),
    "metric": (keras.metrics, "metric"),
    "optimizer": (keras.optimizers, "optimizer"),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_unknown_name_raises_keras_value_error(kind):
    module, what = KINDS[kind]
    with pytest.raises(ValueError, match=f"^Could not interpret {what} identifier: foo\\."):
        module.get("foo")
    with pytest.raises(ValueError, match=f"^Could not interpret {what} identifier: 42"):
        module.get(42)
    with pytest.raises(ValueError, match="^Could not locate class 'Foo'. Make sure custom "
                                         "classes are decorated with `@keras.saving."
                                         "register_keras_serializable"):
        module.get({"class_name": "Foo", "config": {}})


def test_unknown_layer_class_raises_keras_error():
    with pytest.raises(ValueError, match="^Could not locate class 'Foo'"):
        L.deserialize({"module": "keras.layers", "class_name": "Foo", "config": {},
                       "registered_name": None})
    # kinds are separate tables: an optimizer is not a layer
    with pytest.raises(ValueError, match="Could not locate class 'Adam'"):
        L.deserialize({"class_name": "Adam", "config": {}})


def test_configs_naming_modules_import_nothing():
    assert "this" not in sys.modules  # importing `this` prints the Zen of Python
    for config in ({"module": "this", "class_name": "s", "config": {}},
                   {"module": "this", "class_name": "function", "config": "s",
                    "registered_name": "s"}):
        for module, _ in KINDS.values():
            with pytest.raises(ValueError, match="Could not locate (class|function) 's'"):
                module.get(config)
        with pytest.raises(ValueError, match="Could not locate"):
            L.deserialize(config)
    assert "this" not in sys.modules


def test_activation_get_forms():
    A = keras.activations
    assert A.get(None) is A.linear
    assert A.get("relu") is A.relu and A.get("swish") is A.silu
    keras3 = {"module": "keras.activations", "class_name": "function", "config": "gelu",
              "registered_name": "gelu"}
    assert A.get(keras3) is A.gelu
    assert A.get({"class_name": "tanh", "config": {}}) is A.tanh
    assert A.get(np.tanh) is np.tanh
    assert A.serialize(A.swish) == "silu" and A.serialize(A.relu) == "relu"


def test_initializer_regularizer_constraint_get_forms():
    I, R, C = keras.initializers, keras.regularizers, keras.constraints
    for module in (I, R, C):
        assert module.get(None) is None
    assert isinstance(I.get("he_normal"), I.HeNormal) and isinstance(I.get("uniform"),
                                                                      I.RandomUniform)
    legacy = I.get({"class_name": "RandomNormal", "config": {"stddev": 2.0, "seed": 3}})
    keras3 = I.get({"module": "keras.initializers", "class_name": "RandomNormal",
                    "config": {"stddev": 2.0, "seed": 3}, "registered_name": None})
    assert legacy.get_config() == keras3.get_config() == {"mean": 0.0, "stddev": 2.0,
                                                          "seed": 3}
    assert isinstance(I.get(I.Ones), I.Ones)  # a class becomes an instance, as Keras 3

    def fill(shape, dtype=None):
        return tf.ones(shape)

    assert I.get(fill) is fill
    assert R.get("l1_l2").get_config() == {"l1": 0.01, "l2": 0.01}
    assert R.get({"class_name": "L2", "config": {"l2": 0.5}}).l2 == 0.5
    assert isinstance(C.get("non_neg"), C.NonNeg) and C.get(abs) is abs
    assert C.get({"class_name": "MaxNorm", "config": {"max_value": 3}}).max_value == 3


def test_loss_metric_optimizer_get_forms():
    Lo, M, O = keras.losses, keras.metrics, keras.optimizers
    assert Lo.get(None) is None and M.get(None) is None and O.get(None) is None
    assert Lo.get("mse") is Lo.mean_squared_error
    assert Lo.get({"class_name": "Huber", "config": {"delta": 2.0}}).delta == 2.0
    assert Lo.get({"class_name": "function", "config": "hinge"}) is Lo.hinge
    assert isinstance(Lo.get(Lo.Poisson), Lo.Poisson)
    assert M.get("mae").name == "mae" and isinstance(M.get("mae"), M.MeanAbsoluteError)
    assert M.get({"class_name": "AUC", "config": {"num_thresholds": 7}}).num_thresholds == 7

    def twice(y_true, y_pred):
        return 2.0 * y_pred

    wrapped = M.get(twice)
    assert isinstance(wrapped, M.MeanMetricWrapper) and wrapped.name == "twice"
    for name in ("adam", "Adam", "ADAM"):
        assert type(O.get(name)) is O.Adam
    assert O.get({"class_name": "rmsprop", "config": {"learning_rate": 0.5}}).get_config()[
        "learning_rate"] == pytest.approx(0.5)
    sgd = O.SGD()
    assert O.get(sgd) is sgd and isinstance(O.get(O.Nadam), O.Nadam)
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        O.get(lambda: None)  # callable, but not an Optimizer


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_registered_object_round_trips(kind):
    module, _ = KINDS[kind]
    names = _registry.names(kind)
    assert len(names) >= 4
    for name in names:
        target = _registry.builtin(kind)[name]
        if isinstance(target, type) and kind not in ("activation", "layer") and any(
                p.default is inspect.Parameter.empty and p.kind is p.POSITIONAL_OR_KEYWORD
                for p in list(inspect.signature(target.__init__).parameters.values())[1:]):
            # needs arguments (IoU's num_classes...): a bare name cannot make one, as Keras
            with pytest.raises(TypeError):
                module.get(name)
            continue
        obj = module.get(name)
        saved = json.loads(json.dumps(module.serialize(obj)))
        again = module.deserialize(saved)
        if isinstance(saved, str):
            assert again is obj, name
        else:
            assert type(again) is type(obj), name
            assert module.serialize(again) == saved, name


def test_every_exported_layer_class_is_registered():
    exported = {name: value for name, value in vars(L).items()
                if isinstance(value, type) and issubclass(value, L.Layer)
                and not name.startswith("_")}
    assert len(exported) > 50
    assert set(exported) <= set(L.__all__)
    for name, cls in exported.items():
        assert _registry.locate("layer", cls.__name__) is cls, name
    assert _registry.locate("layer", "Sequential") is keras.Sequential
    assert _registry.locate("layer", "Functional") is keras.models.Functional
    again = L.deserialize(json.loads(json.dumps(L.serialize(L.Dense(3, activation="tanh")))))
    assert type(again) is L.Dense and again.units == 3 and again.activation is \
        keras.activations.tanh


def test_onnx_converters_are_keyed_by_registered_layers():
    classes = {cls.__name__ for cls in _registry.builtin("layer").values()}
    assert set(_onnx._SINGLE) | set(_onnx._MULTI) <= classes
    missing = _onnx.layers_without_conversion()
    assert {"ConvLSTM2D", "Lambda", "Masking"} <= set(missing)
    assert not {"Dense", "LSTM", "InputLayer"} & set(missing)


@keras.saving.register_keras_serializable(package="test_registry")
class Halve(keras.initializers.Initializer):
    def __call__(self, shape, dtype=None):
        return tf.fill(shape, 0.5)


@keras.saving.register_keras_serializable(package="test_registry")
class Offset(L.Layer):
    def __init__(self, offset=1.0, **kwargs):
        super().__init__(**kwargs)
        self.offset = offset

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer=Halve(), name="w")

    def call(self, x):
        return x * self.w + self.offset

    def get_config(self):
        return {**super().get_config(), "offset": self.offset}


class Unregistered(L.Layer):
    def call(self, x):
        return x * 3.0


def test_registered_layer_and_initializer_reach_load_model(tmp_path):
    model = keras.Sequential([keras.Input((4,)), Offset(2.0), L.Dense(2)])
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.layers[0], Offset) and loaded.layers[0].offset == 2.0
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    config = L.serialize(L.Dense(2, kernel_initializer=Halve()))["config"]
    assert config["kernel_initializer"]["registered_name"] == "test_registry>Halve"
    dense = L.deserialize({"class_name": "Dense", "config": config})
    assert isinstance(dense.kernel_initializer, Halve)


def test_custom_objects_reach_layers_inside_wrappers(tmp_path):
    model = keras.Sequential([keras.Input((2, 3)), L.TimeDistributed(Unregistered())])
    model.save(tmp_path / "w.keras")
    with pytest.raises(ValueError, match="Could not locate class 'Unregistered'"):
        keras.models.load_model(tmp_path / "w.keras")
    loaded = keras.models.load_model(tmp_path / "w.keras",
                                     custom_objects={"Unregistered": Unregistered})
    assert isinstance(loaded.layers[0].layer, Unregistered)
    np.testing.assert_allclose(loaded(np.ones((1, 2, 3), "float32")).numpy(), 3.0)


def test_categorical_crossentropy_from_logits_on_any_axis():
    logits = np.random.default_rng(1).normal(size=(4, 3)).astype("float32")
    labels = np.eye(4, 3, dtype="float32")
    got = keras.losses.categorical_crossentropy(labels, logits, from_logits=True, axis=0)
    log_p = logits - np.log(np.exp(logits).sum(axis=0, keepdims=True))
    np.testing.assert_allclose(got.numpy(), -(labels * log_p).sum(axis=0), rtol=1e-5)
