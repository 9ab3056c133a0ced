"""keras.legacy.saving / keras.utils.legacy (Keras 2's serialization) and keras.export,
against what Keras 3.15.1 gives."""
import re

import pytest

import tapeflow as tf

keras = tf.keras
L = keras.legacy.saving


def test_same_functions_in_both_places():
    assert L.serialize_keras_object is keras.utils.legacy.serialize_keras_object
    assert L.deserialize_keras_object is keras.utils.legacy.deserialize_keras_object
    assert "legacy" in dir(keras.utils)


def test_serialize_recorded_from_keras():
    assert L.serialize_keras_object(None) is None
    assert L.serialize_keras_object(keras.initializers.Ones()) == {"class_name": "Ones",
                                                                   "config": {}}
    assert L.serialize_keras_object(keras.regularizers.L2(0.1)) == {
        "class_name": "L2", "config": {"l2": 0.1}}
    mse = L.serialize_keras_object(keras.losses.MeanSquaredError())
    assert mse == {"class_name": "MeanSquaredError",
                   "config": {"name": "mean_squared_error", "reduction": "sum_over_batch_size"}}
    dense = L.serialize_keras_object(keras.layers.Dense(2, name="d"))
    assert dense["class_name"] == "Dense" and set(dense) == {"class_name", "config"}
    assert dense["config"]["units"] == 2 and dense["config"]["name"] == "d"
    assert L.serialize_keras_object(keras.activations.relu) == "relu"
    for value in (3, [1, 2], 2.5, "abc"):
        with pytest.raises(ValueError, match=re.escape(
                f"Cannot serialize {value} because it doesn't implement `get_config()`.")):
            L.serialize_keras_object(value)


def test_deserialize():
    layer = L.deserialize_keras_object({"class_name": "Dense", "config": {"units": 3,
                                                                           "name": "q"}},
                                       module_objects={"Dense": keras.layers.Dense})
    assert isinstance(layer, keras.layers.Dense) and (layer.units, layer.name) == (3, "q")
    layer = L.deserialize_keras_object({"class_name": "Dense", "config": {"units": 3}},
                                       custom_objects={"Dense": keras.layers.Dense})
    assert isinstance(layer, keras.layers.Dense)
    assert L.deserialize_keras_object(None) is None
    message = ("Unknown object: '{}'. Please ensure you are using a "
               "`keras.utils.custom_object_scope` and that this object is included in the "
               "scope. See https://www.tensorflow.org/guide/keras/save_and_serialize"
               "#registering_the_custom_object for details.")
    for name, kwargs in (("Dense", {}), ("Nope", {"module_objects": {}})):
        with pytest.raises(ValueError, match=re.escape(message.format(name))):
            L.deserialize_keras_object({"class_name": name, "config": {}}, **kwargs)
    # a name (Keras 3.15.1 itself fails here with an AttributeError; Keras 2 looked it up)
    relu = keras.activations.relu
    assert L.deserialize_keras_object("relu", module_objects={"relu": relu}) is relu
    with pytest.raises(ValueError, match="Unknown activation: 'nope'"):
        L.deserialize_keras_object("nope", module_objects={},
                                   printable_module_name="activation")
    round_trip = L.deserialize_keras_object(
        L.serialize_keras_object(keras.regularizers.L2(0.25)),
        module_objects={"L2": keras.regularizers.L2})
    assert round_trip.get_config() == {"l2": 0.25}


def test_export_archive_points_to_onnx_and_keras_files():
    assert keras.export.__all__ == ["ExportArchive"]
    with pytest.raises(NotImplementedError, match=r"TensorFlow SavedModel.*format='onnx'.*"
                       r"tf\.export\.to_onnx.*model\.save\('model\.keras'\)"):
        keras.export.ExportArchive()
