"""KerasTensor's repr and names, as Keras 3.15 prints them (recorded from TF 2.21's
tf.keras in a fresh process: the "keras_tensor" counter starts with the session)."""
import tapeflow as tf

keras = tf.keras


def test_names_and_repr_follow_keras():
    keras.backend.clear_session()
    x = keras.Input((3,))
    assert repr(x) == ("<KerasTensor shape=(None, 3), dtype=float32, sparse=False, "
                       "ragged=False, name=keras_tensor>")
    assert x.name == "keras_tensor" and x._node.layer.name == "input_layer"
    y = keras.layers.Dense(2)(x)
    assert repr(y) == ("<KerasTensor shape=(None, 2), dtype=float32, sparse=False, "
                       "ragged=False, name=keras_tensor_1>")
    z = keras.Input((3,), name="ids", dtype="int32")
    assert repr(z) == ("<KerasTensor shape=(None, 3), dtype=int32, sparse=False, "
                       "ragged=False, name=ids>")
    assert z._node.layer.name == "ids"
    assert keras.Input((3,)).name == "keras_tensor_2"
    assert keras.KerasTensor((None, 2), name="q").name == "q"
    s = keras.Input((2,), sparse=True)
    assert s.sparse and not s.ragged and s.name == "keras_tensor_3"
    m = keras.Model(x, y)
    assert [t.name for t in m.inputs] == ["keras_tensor"]
    assert [t.name for t in m.outputs] == ["keras_tensor_1"]
    assert m.input_names == ["input_layer"]


def test_clear_session_restarts_the_names():
    keras.Input((1,))
    keras.backend.clear_session()
    assert keras.Input((1,)).name == "keras_tensor"
