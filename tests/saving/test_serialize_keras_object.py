"""keras.saving / keras.utils serialize_keras_object and deserialize_keras_object: Keras 3's
forms (recorded from Keras 3.15 for the same objects), round trips, and lookups that never
import the module a config names."""
import json

import numpy as np
import pytest

import tapeflow as tf

keras = tf.keras
S, D = keras.utils.serialize_keras_object, keras.utils.deserialize_keras_object


def test_the_same_functions_in_saving_and_utils():
    assert S is keras.saving.serialize_keras_object
    assert D is keras.saving.deserialize_keras_object


def test_objects_become_keras_3_records():
    s = S(keras.layers.Dense(3, activation="relu", name="d"))
    assert (s["module"], s["class_name"], s["registered_name"]) == ("keras.layers", "Dense",
                                                                     None)
    assert s["config"]["kernel_initializer"] == {
        "module": "keras.initializers", "class_name": "GlorotUniform",
        "config": {"seed": None, "input_axes": None, "output_axes": None},
        "registered_name": None}
    assert S(keras.losses.MeanSquaredError()) == {
        "module": "keras.losses", "class_name": "MeanSquaredError",
        "config": {"name": "mean_squared_error", "reduction": "sum_over_batch_size"},
        "registered_name": None}
    assert S(keras.constraints.MaxNorm(2)) == {
        "module": "keras.constraints", "class_name": "MaxNorm",
        "config": {"max_value": 2, "axis": 0}, "registered_name": None}
    assert S(keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9))["module"] == \
        "keras.optimizers.schedules"
    assert S(keras.metrics.AUC())["module"] == "keras.metrics"
    assert S(keras.optimizers.Adam(0.01))["module"] == "keras.optimizers"
    json.dumps(s)  # JSON-ready


def test_functions_and_plain_values():
    assert S(keras.activations.relu) == {"module": "builtins", "class_name": "function",
                                         "config": "relu", "registered_name": "function"}
    assert D(S(keras.activations.relu)) is keras.activations.relu
    assert D(S(keras.losses.mean_squared_error)) is keras.losses.mean_squared_error
    for v in (3, "abc", None, 1.5, True, [1, 2], (1, 2), {"a": 1}):
        assert S(v) == v and D(S(v)) == v
    assert S(np.float32(1.5)) == 1.5 and type(S(np.int64(3))) is int
    assert S(np.array([1.5, 2.0], np.float32)) == {
        "class_name": "__numpy__", "config": {"value": [1.5, 2.0], "dtype": "float32"}}
    back = D(S(np.array([1.5, 2.0], np.float32)))
    assert back.dtype == np.float32 and back.tolist() == [1.5, 2.0]
    assert S(tf.constant([1, 2])) == {"class_name": "__tensor__",
                                      "config": {"value": [1, 2], "dtype": "int32"}}
    t = D(S(tf.constant([1, 2])))
    assert t.dtype == tf.int32 and t.numpy().tolist() == [1, 2]
    assert S(b"ab") == {"class_name": "__bytes__", "config": {"value": "ab"}}
    assert D(S(b"ab")) == b"ab"
    assert S(slice(1, 3)) == {"class_name": "__slice__",
                              "config": {"start": 1, "stop": 3, "step": None}}
    assert D(S(slice(1, 3))) == slice(1, 3)
    assert S({"a": np.float32(1), "b": (1, np.array([1], np.int32))}) == {
        "a": 1.0, "b": (1, {"class_name": "__numpy__",
                            "config": {"value": [1], "dtype": "int32"}})}
    assert D("relu") == "relu"  # a bare string stays one, as in Keras


def test_round_trips_rebuild_equal_objects():
    dense = D(S(keras.layers.Dense(3, activation="relu", use_bias=False, name="d")))
    assert (type(dense).__name__, dense.units, dense.use_bias, dense.name) == ("Dense", 3,
                                                                              False, "d")
    assert dense.activation is keras.activations.relu
    adam = D(S(keras.optimizers.Adam(0.5)))
    assert float(adam.learning_rate.numpy()) == 0.5
    sched = D(S(keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)))
    assert float(sched(10)) == pytest.approx(0.09)
    assert D(S(keras.regularizers.L2(0.01))).get_config() == {"l2": 0.01}
    m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, kernel_initializer="ones")])
    m2 = D(S(m))
    assert [type(layer).__name__ for layer in m2.layers] == ["Dense"]
    x = np.ones((1, 2), np.float32)
    np.testing.assert_array_equal(m2(x).numpy(), m(x).numpy())


def test_registered_and_custom_objects():
    @keras.saving.register_keras_serializable(package="pk")
    def my_activation(x):
        return x

    assert S(my_activation)["config"] == "pk>my_activation"
    assert D(S(my_activation)) is my_activation
    assert keras.saving.get_registered_object("pk>my_activation") is my_activation

    class Scaled(keras.layers.Layer):
        def __init__(self, k=1, **kwargs):
            super().__init__(**kwargs)
            self.k = k

        def get_config(self):
            return {**super().get_config(), "k": self.k}

    s = S(Scaled(5))
    assert s["class_name"] == "Scaled" and s["config"]["k"] == 5
    assert D(s, custom_objects={"Scaled": Scaled}).k == 5
    with keras.saving.custom_object_scope({"Scaled": Scaled}):
        assert D(s).k == 5


def test_errors_are_keras_s():
    with pytest.raises(TypeError, match="^Could not locate class 'Dense'. Make sure custom "
                                        "classes and functions are decorated with"):
        D({"class_name": "Dense", "config": {"units": 2}})  # no module: Keras cannot either
    assert type(D({"class_name": "Dense", "config": {"units": 2},
                   "module": "keras.layers"})).__name__ == "Dense"
    with pytest.raises(ValueError, match="^Could not deserialize 'keras.layers.Nope' because "
                                         "it is not a KerasSaveable subclass$"):
        D({"module": "keras.layers", "class_name": "Nope", "config": {},
           "registered_name": None})
    with pytest.raises(TypeError, match="^Could not locate function 'nope'."):
        D({"module": "builtins", "class_name": "function", "config": "nope",
           "registered_name": "function"})
    with pytest.raises(TypeError, match="^Cannot serialize object float32 of type <class "
                                        "'numpy.dtypes.Float32DType'>. To be serializable, a "
                                        "class must implement the `get_config\\(\\)` method.$"):
        S(np.dtype("float32"))
    # a module path in a config is never imported
    with pytest.raises(TypeError, match="Could not locate class 'system'"):
        D({"module": "os", "class_name": "system", "config": {}, "registered_name": None})


def test_a_lambda_needs_unsafe_mode():
    with pytest.warns(UserWarning, match="The object being serialized includes a `lambda`"):
        s = S(lambda x, k=2: x * k)
    assert s["class_name"] == "__lambda__"
    with pytest.raises(ValueError, match="Requested the deserialization of a `lambda` object"):
        D(s)
    assert D(s, safe_mode=False)(3) == 6
