"""Keras details from issue 20: integer tensors into layers, functional-style construction of
Model subclasses. Expected dtypes and errors recorded from TF 2.21 / Keras 3."""
import numpy as np
import pytest

import tapeflow as tf

L = tf.keras.layers
I32 = tf.constant([[1, 2, 3]])
SEQ = tf.constant(np.arange(12).reshape(1, 4, 3).astype(np.int32))


@pytest.mark.parametrize("make,x,dtype", [
    # TF 2.21: these mix the inputs with float weights or means: int/bool tensors come out
    # in the compute dtype
    (lambda: L.Dense(2), I32, "float32"),
    (lambda: L.Dense(2), tf.constant([[1, 2]], tf.int64), "float32"),
    (lambda: L.Dense(2), tf.constant([[1, 2]], tf.uint8), "float32"),
    (lambda: L.Dense(2), tf.constant([[True, False]]), "float32"),
    (lambda: L.Dense(2), tf.Variable([[1, 2]]), "float32"),
    (lambda: L.Dense(2, dtype="float64"), I32, "float64"),
    (lambda: L.Dense(2, dtype="mixed_float16"), I32, "float16"),
    (lambda: L.BatchNormalization(), I32, "float32"),
    (lambda: L.LayerNormalization(), I32, "float32"),
    (lambda: L.LSTM(2), SEQ, "float32"),
    (lambda: L.GRU(2), SEQ, "float32"),
    (lambda: L.SimpleRNN(2), SEQ, "float32"),
    (lambda: L.GlobalAveragePooling1D(), SEQ, "float32"),
    (lambda: L.Rescaling(0.5), I32, "float32"),
    (lambda: L.Embedding(20, 2), I32, "float32"),
    (lambda: tf.keras.Sequential([L.Dense(1)]), I32, "float32"),
    # ... and these keep the integer dtype
    (lambda: L.ReLU(), I32, "int32"),
    (lambda: L.Activation("relu"), I32, "int32"),
    (lambda: L.Flatten(), I32, "int32"),
    (lambda: L.Dropout(0.5), I32, "int32"),
    (lambda: L.Lambda(lambda x: x), I32, "int32"),
    (lambda: L.Reshape((3,)), I32, "int32"),
    (lambda: L.GaussianNoise(0.1), I32, "int32"),
    (lambda: L.MaxPooling1D(2), SEQ, "int32"),
    (lambda: L.UpSampling1D(), SEQ, "int32"),
    (lambda: L.ZeroPadding1D(), SEQ, "int32"),
])
def test_integer_tensor_inputs_dtype_as_tf(make, x, dtype):
    assert make()(x).dtype.name == dtype


def test_integer_tensor_values_and_merging_layers():
    d = L.Dense(2, kernel_initializer="ones")
    assert d(tf.constant([[1, 2]], tf.int64)).numpy().tolist() == [[3., 3.]]
    assert L.Add()([tf.constant([1]), tf.constant([2])]).dtype == tf.int32
    assert L.Concatenate()([I32, I32]).dtype == tf.int32
    assert L.Multiply()([I32, I32]).dtype == tf.int32

    class Identity(tf.keras.Model):
        def call(self, x):
            return x

    assert Identity()(tf.constant([1, 2])).dtype == tf.int32
    # TF 2.21: Conv1D and AveragePooling1D of an int32 tensor raise InvalidArgumentError
    with pytest.raises(tf.errors.InvalidArgumentError):
        L.Conv1D(2, 2)(SEQ)
    with pytest.raises(tf.errors.InvalidArgumentError):
        L.AveragePooling1D(2)(SEQ)


class Sub(tf.keras.Model):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.extra = 3


class Plain(tf.keras.Model):
    pass


class Custom(tf.keras.Model):
    def __init__(self, units=2, **kw):
        super().__init__(**kw)
        self.d = L.Dense(units)

    def call(self, x):
        return self.d(x)


def test_model_subclass_built_functional_style():
    inp = tf.keras.Input((3,))
    out = L.Dense(2)(inp)
    m = Sub(inp, out)
    # TF 2.21: ('Sub', 'Functional', 3, (1, 2), 2 layers); Model is replaced by Functional
    assert type(m) is Sub and type(m).__mro__[1].__name__ == "Functional"
    assert isinstance(m, tf.keras.Model)
    assert m.extra == 3
    assert tuple(m(np.ones((1, 3))).shape) == (1, 2)
    assert len(m.layers) == 2
    again = Sub(inp, out)  # a second construction works the same way
    assert again.extra == 3 and len(again.layers) == 2
    p = Plain(inputs=inp, outputs=out, name="s2")
    assert p.name == "s2" and type(p).__mro__[1].__name__ == "Functional"
    assert len(p.inputs) == 1 and p.count_params() == m.count_params() == 8
    np.testing.assert_allclose(p(np.ones((2, 3))).numpy(), m(np.ones((2, 3))).numpy())
    # subclasses built the usual way are unaffected
    assert tuple(Custom(units=3)(np.ones((1, 2))).shape) == (1, 3)
    assert Custom.__mro__[1] is tf.keras.Model
