"""keras.ops and Python operators on KerasTensors build functional-graph nodes, as in Keras 3
(names, classes and shapes recorded from TF 2.21's tf.keras)."""
import numpy as np
import pytest

import tapeflow as tf

keras = tf.keras
ops = keras.ops


def test_ops_and_operators_make_named_nodes():
    keras.backend.clear_session()
    x = keras.Input((3,))
    assert ops.shape(x) == (None, 3) and ops.dtype(x) == "float32"
    assert not ops.is_tensor(x)
    y = ops.add(x, 1)
    layer, node_index, tensor_index = y._keras_history
    assert (type(layer).__name__, layer.name, node_index, tensor_index) == ("Add", "add", 0, 0)
    assert (x + 1)._keras_history[0].name == "add_1"
    w = x[:, :2]
    assert w.shape == (None, 2) and type(w._keras_history[0]).__name__ == "GetItem"
    c = ops.concatenate([x, y], axis=-1)
    assert c.shape == (None, 6)
    assert type((x * 2)._keras_history[0]).__name__ == "Multiply"
    assert type((2 - x)._keras_history[0]).__name__ == "Subtract"
    assert ops.mean(x, axis=-1, keepdims=True).shape == (None, 1)


def test_a_model_of_ops_runs_and_trains():
    x = keras.Input((3,))
    h = keras.layers.Dense(4)(x)
    h = ops.relu(h) * 2.0 - ops.mean(h, axis=-1, keepdims=True)
    out = keras.layers.Dense(1)(ops.concatenate([h, x[:, :1] ** 2], axis=-1))
    model = keras.Model(x, out)
    data = np.random.default_rng(0).random((16, 3)).astype("float32")
    d1, d2 = model.layers[1], model.layers[-1]
    a = d1(data).numpy()
    want = np.concatenate([np.maximum(a, 0) * 2 - a.mean(-1, keepdims=True),
                           data[:, :1] ** 2], -1) @ d2.kernel.numpy() + d2.bias.numpy()
    np.testing.assert_allclose(model.predict(data, verbose=0), want, rtol=1e-5, atol=1e-6)
    model.compile("sgd", "mse")
    before = model.evaluate(data, np.zeros((16, 1)), verbose=0)
    model.fit(data, np.zeros((16, 1)), epochs=5, verbose=0)
    assert model.evaluate(data, np.zeros((16, 1)), verbose=0) < before


def test_eager_ops_are_unchanged_and_tf_functions_refuse_keras_tensors():
    np.testing.assert_array_equal(ops.add(tf.constant([1, 2]), 1).numpy(), [2, 3])
    assert ops.shape(tf.ones((2, 3))) == (2, 3)
    with pytest.raises(ValueError, match="A KerasTensor cannot be used as input to a "
                                         "TensorFlow function"):
        tf.add(keras.Input((3,)), 1)


def test_saving_an_op_node_says_what_to_do(tmp_path):
    x = keras.Input((3,))
    model = keras.Model(x, keras.layers.Dense(1)(x + 1))
    with pytest.raises(ValueError, match=r"layer 'add(_\d+)?' is a `keras.ops.add` call on "
                                         "symbolic tensors"):
        model.save(tmp_path / "m.keras")
    model.save_weights(tmp_path / "m.weights.h5")
