"""Layer.get_build_config / build_from_config, and a layer's own ``build`` recording the shape
it was called with, as Keras 3.15 does (values recorded from TF 2.21's tf.keras)."""
import json

import pytest

import tapeflow as tf

keras = tf.keras


class Projection(keras.layers.Layer):
    """A user layer whose build neither calls super().build nor sets ``built``."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 2))

    def call(self, x):
        return x @ self.w


def test_unbuilt_layer_has_no_build_config():
    assert keras.layers.Dense(2).get_build_config() is None
    assert Projection().get_build_config() is None


def test_a_direct_build_call_is_recorded_and_marks_the_layer_built():
    d = keras.layers.Dense(3)
    d.build((None, 4))
    assert d.built and d.get_build_config() == {"input_shape": (None, 4)}
    p = Projection()
    assert not p.built
    p.build((2, 5))  # Keras marks it built although its build never says so
    assert p.built and p.get_build_config() == {"input_shape": (2, 5)}
    c = keras.layers.Concatenate()
    c.build([(None, 2), (None, 3)])
    assert c.get_build_config() == {"input_shape": [(None, 2), (None, 3)]}


def test_a_first_call_records_the_shapes_as_tuples():
    d = keras.layers.Dense(2)
    d(tf.ones((3, 4)))
    assert d.get_build_config() == {"input_shape": (3, 4)}
    p = Projection()
    p(tf.ones((3, 6)))
    assert p.get_build_config() == {"input_shape": (3, 6)}
    s = keras.Sequential([keras.layers.Dense(2)])
    s(tf.ones((1, 3)))
    assert s.get_build_config() == {"input_shape": (1, 3)}
    s2 = keras.Sequential([keras.layers.Dense(2)])
    s2.build((None, 7))
    assert s2.get_build_config() == {"input_shape": (None, 7)}


def test_subclassed_and_functional_models():
    class M(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = keras.layers.Dense(2)

        def call(self, x):
            return self.d(x)

    m = M()
    m(tf.ones((2, 3)))
    assert m.get_build_config() == {"input_shape": (2, 3)}
    x = keras.Input((4,))
    f = keras.Model(x, keras.layers.Dense(2)(x))
    assert f.get_build_config() == {"input_shape": None}


def test_build_from_config():
    p = Projection()
    p.build_from_config({"input_shape": [4, 3]})
    assert p.built and tuple(p.w.shape) == (3, 2)
    assert p.get_build_config() == {"input_shape": [4, 3]}
    for empty in ({}, None):
        q = Projection()
        q.build_from_config(empty)
        assert not q.built


def test_a_directly_built_layer_serializes_its_build_config():
    d = keras.layers.Dense(3)
    d.build((None, 4))
    record = json.loads(json.dumps(keras.saving.serialize_keras_object(d)))
    assert record["build_config"] == {"input_shape": [None, 4]}
    back = keras.saving.deserialize_keras_object(record)
    assert back.built and tuple(back.kernel.shape) == (4, 3)


def test_a_failing_build_records_nothing():
    class Bad(keras.layers.Layer):
        def build(self, input_shape):
            raise ValueError("no")

    b = Bad()
    with pytest.raises(ValueError, match="no"):
        b.build((1, 2))
    assert not b.built and b.get_build_config() is None
