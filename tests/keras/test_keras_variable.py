"""keras.Variable, keras.StatelessScope, keras.SymbolicScope and keras.Operation, checked
against values, reprs and messages recorded from Keras 3.15.1 on TF 2.21."""
import doctest

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.keras import variables as kv

keras = tf.keras


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.backend.clear_session()


def test_repr_path_and_automatic_names():
    v = keras.Variable([1.0, 2.0])
    assert repr(v) == "<Variable path=variable, shape=(2,), dtype=float32, value=[1. 2.]>"
    assert str(v) == repr(v)
    assert keras.Variable(1.0).path == "variable_1"
    w = keras.Variable(initializer="ones", shape=(2, 2), name="foo")
    assert repr(w) == ("<Variable path=foo, shape=(2, 2), dtype=float32, value=[[1. 1.]\n"
                       " [1. 1.]]>")
    assert (v.name, v.path, tuple(v.shape), v.ndim, v.trainable) == \
        ("variable", "variable", (2,), 1, True)
    with keras.name_scope("outer"):
        inner = keras.Variable(1.0, name="inner")
    assert (inner.path, inner.name) == ("outer/inner", "inner")
    keras.backend.clear_session()
    assert keras.Variable(1.0).path == "variable"


@pytest.mark.parametrize("value, dtype, text", [
    (3, "int32", "3"), (np.array([1, 2]), "int64", "[1 2]"),
    (np.array([1.0, 2.0]), "float64", "[1. 2.]"), (True, "bool", "True"),
    ([1, 2], "int32", "[1 2]")])
def test_dtype_of_a_value(value, dtype, text):
    v = keras.Variable(value, name="v")
    assert v.dtype == dtype
    assert repr(v).endswith(f"dtype={dtype}, value={text}>")


def test_initializers_and_errors():
    z = keras.Variable(keras.initializers.Zeros(), shape=(3,), dtype="int32")
    assert z.dtype == "int32" and z.numpy().tolist() == [0, 0, 0]
    assert keras.Variable("zeros", shape=(2,), name="z").numpy().tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match=r"When creating a Variable from an initializer, the "
                       r"`shape` argument should be specified\. Received: initializer=.* "
                       r"and shape=None"):
        keras.Variable("ones")
    with pytest.raises(ValueError, match="When creating a Variable from an initializer"):
        keras.Variable(lambda shape, dtype=None: 3.0)
    with pytest.raises(ValueError, match="Argument `name` must be a string and cannot "
                       "contain character `/`. Received: name=a/b"):
        keras.Variable([1.0], name="a/b")
    with pytest.raises(ValueError, match=r"Attempt to convert a value \(None\)"):
        keras.Variable(None)
    assert keras.Variable([1.0, 2.0], dtype="float64").dtype == "float64"
    assert keras.Variable([1, 2], dtype="float32").numpy().tolist() == [1.0, 2.0]


def test_value_assign_and_arithmetic():
    v = keras.Variable([1.0, 2.0])
    value = v.value
    assert isinstance(value, tf.Tensor) and value.numpy().tolist() == [1.0, 2.0]
    assert v.value().numpy().tolist() == [1.0, 2.0]  # tf.Variable's spelling works too
    r = v.assign([3.0, 4.0])
    assert isinstance(r, tf.Tensor) and not isinstance(r, tf.Variable)
    assert r.numpy().tolist() == [3.0, 4.0]
    assert v.assign_add([1.0, 1.0]).numpy().tolist() == [4.0, 5.0]
    assert v.assign_sub([1.0, 1.0]).numpy().tolist() == [3.0, 4.0]
    assert v.assign([1, 2]).numpy().tolist() == [1.0, 2.0]  # Keras casts the value
    v.assign([3.0, 4.0])
    assert (v + 1).numpy().tolist() == [4.0, 5.0]
    assert (v * v).numpy().tolist() == [9.0, 16.0]
    assert (-v).numpy().tolist() == [-3.0, -4.0]
    assert float(v[0]) == 3.0
    assert np.asarray(v).tolist() == [3.0, 4.0]
    assert float(keras.Variable(2.0)) == 2.0 and int(keras.Variable(2)) == 2
    with pytest.raises(ValueError, match=r"The shape of the target variable and the shape of "
                       r"the target value in `variable.assign\(value\)` must match\. "
                       r"variable.shape=\(2,\), Received: value.shape=\(3,\)\. Target "
                       r"variable: <Variable path=variable, shape=\(2,\)"):
        v.assign([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="'Variable' object does not support item assignment"):
        v[0] = 1.0
    with pytest.raises(TypeError, match="object of type 'Variable' has no len()"):
        len(v)
    u = v
    u += 1.0  # Keras: a new tensor; the variable keeps its value
    assert isinstance(u, tf.Tensor) and v.numpy().tolist() == [3.0, 4.0]
    with pytest.raises(TypeError, match="unhashable"):
        hash(v)


def test_attributes():
    v = keras.Variable([1.0], trainable=False)
    assert (v.trainable, v.aggregation, v.synchronization, v.constraint, v.regularizer,
            v.overwrite_with_gradient, v.autocast) == (False, "none", "auto", None, None,
                                                      False, True)
    v.trainable = True
    assert v.trainable


def test_isinstance_relations():
    layer = keras.layers.Dense(2)
    layer.build((None, 3))
    v = keras.Variable([1.0])
    assert isinstance(layer.weights[0], keras.Variable)  # as in Keras
    assert not isinstance(tf.Variable(1.0), keras.Variable)  # as in Keras
    # NOTE: tapeflow's Keras variable is also a tf.Variable (Keras's is not)
    assert isinstance(v, tf.Variable)
    assert tf.is_tensor(v)


def test_gradient_tape_and_optimizer():
    v = keras.Variable([3.0, 4.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v * v)
    assert tape.gradient(y, v).numpy().tolist() == [6.0, 8.0]
    with tf.GradientTape() as tape:
        y = keras.ops.sum(v.value * v.value)
    assert tape.gradient(y, [v])[0].numpy().tolist() == [6.0, 8.0]
    keras.optimizers.SGD(0.1).apply_gradients([(tf.constant([1.0, 1.0]), v)])
    assert repr(v) == "<Variable path=variable, shape=(2,), dtype=float32, value=[2.9 3.9]>"
    layer = keras.layers.Dense(1, kernel_initializer="ones")
    layer.build((None, 2))
    with tf.GradientTape() as tape:
        out = layer(tf.constant([[1.0, 2.0]]))
    k, b = tape.gradient(out, layer.trainable_weights)
    assert k.numpy().tolist() == [[1.0], [2.0]] and b.numpy().tolist() == [1.0]


def test_float64_gradient_matches_finite_differences():
    v = keras.Variable(np.array([0.3, -0.7, 1.1]))

    def f(value):
        return float(np.sum(np.sin(value) * value ** 2))

    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.sin(v.value) * v * v)
    grad = tape.gradient(y, v).numpy()
    x, eps = v.numpy(), 1e-6
    numeric = [(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(grad, numeric, rtol=1e-7)


def test_in_a_layer_and_tf_function():
    v = keras.Variable([2.0], name="scale")

    @tf.function
    def f(x):
        return x * v

    assert f(tf.constant([3.0])).numpy().tolist() == [6.0]
    v.assign([4.0])
    assert f(tf.constant([3.0])).numpy().tolist() == [12.0]
    assert tf.matmul(keras.Variable([[1.0]]), keras.Variable([[2.0]])).numpy().tolist() == \
        [[2.0]]


def test_stateless_scope_recorded_from_keras():
    v = keras.Variable([1.0, 2.0], name="v")
    with keras.StatelessScope() as scope:
        assert scope.get_current_value(v) is None
        v.assign([5.0, 6.0])
        assert v.value.numpy().tolist() == [5.0, 6.0]
        assert scope.get_current_value(v).numpy().tolist() == [5.0, 6.0]
        v.assign_add([1.0, 1.0])
        assert scope.get_current_value(v).numpy().tolist() == [6.0, 7.0]
    assert v.numpy().tolist() == [1.0, 2.0]
    w = keras.Variable([0.0, 0.0], name="w")
    with keras.StatelessScope(state_mapping=[(w, np.array([3, 4]))]) as scope:
        assert w.value.numpy().tolist() == [3.0, 4.0]
        assert w.value.dtype == tf.float32  # the mapped value takes the variable's dtype
        assert keras.ops.add(w, 1.0).numpy().tolist() == [4.0, 5.0]
        assert scope.get_current_value(v) is None
    assert w.numpy().tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match=r"Invalid variable value in StatelessScope: all "
                       r"values in argument `mapping` must be tensors with a shape that "
                       r"matches the corresponding variable shape\. For variable <Variable "
                       r"path=w, shape=\(2,\), dtype=float32, value=\[0\. 0\.\]>, received "
                       r"invalid value \[3\. 4\. 5\.\] with shape \(3,\)\."):
        keras.StatelessScope(state_mapping=[(w, np.array([3.0, 4.0, 5.0]))])
    with pytest.raises(ValueError, match="Invalid reference variable in StatelessScope: all "
                       "keys in argument `mapping` must be Variable instances. Received "
                       "instead: 1"):
        keras.StatelessScope(state_mapping=[(1, np.array([3.0]))])


def test_stateless_scope_maps_layer_weights_and_refuses_new_values():
    layer = keras.layers.Dense(1, kernel_initializer="ones", bias_initializer="zeros")
    layer.build((None, 2))
    kernel, bias = layer.weights
    x = tf.constant([[1.0, 2.0]])
    with keras.StatelessScope(state_mapping=[(kernel, np.full((2, 1), 2.0)),
                                             (bias, np.array([0.5]))]):
        assert layer(x).numpy().tolist() == [[6.5]]
    assert layer(x).numpy().tolist() == [[3.0]]
    with keras.StatelessScope():
        with pytest.raises(ValueError, match="You are attempting to create a variable while "
                           "in a stateless scope. This is disallowed."):
            keras.Variable([1.0])
        made = keras.Variable(initializer="ones", shape=(2,), name="new")
    assert made.numpy().tolist() == [1.0, 1.0]
    assert not kv.in_stateless_scope()


def test_stateless_scope_losses_and_updates():
    v = keras.Variable([1.0])
    with keras.StatelessScope(collect_losses=True) as scope:
        scope.add_loss(tf.constant(2.0))
        scope.add_update((v, [5.0]))
        assert scope.get_current_value(v).numpy().tolist() == [5.0]
        assert kv.get_stateless_scope() is scope
    assert [float(x) for x in scope.losses] == [2.0]
    assert v.numpy().tolist() == [1.0]
    with keras.StatelessScope() as scope:
        scope.add_loss(tf.constant(2.0))
    assert scope.losses == []


def test_symbolic_scope():
    assert not kv.in_symbolic_scope()
    with keras.SymbolicScope() as scope:
        assert kv.in_symbolic_scope() and kv.get_symbolic_scope() is scope
        # nothing changes for eager ops, as in Keras on TF
        assert keras.ops.add(np.ones(2), 1).numpy().tolist() == [2.0, 2.0]
    assert not kv.in_symbolic_scope()


class MyOp(keras.Operation):
    def call(self, x):
        return x * 2


def test_operation_names_calls_and_functional_models():
    op = MyOp()
    assert op.name == "my_op" and MyOp().name == "my_op_1"  # Keras's names
    assert repr(op) == "<Operation name=my_op>"
    assert op(np.array([1.0])).numpy().tolist() == [2.0]
    assert MyOp(name="zz").name == "zz"
    assert op.get_config() == {"name": "my_op"}
    inp = keras.Input((3,))
    out = op(inp)
    assert out.shape == (None, 3)
    model = keras.Model(inp, out)
    assert model(np.ones((1, 3), "float32")).numpy().tolist() == [[2.0, 2.0, 2.0]]
    assert isinstance(keras.layers.Dense(1), keras.Operation)  # as in Keras
    assert not isinstance(keras.layers.Dense(1), MyOp)
    spec = op.compute_output_spec(keras.Input((4,)))
    assert spec.shape == (None, 4)


def test_operation_errors():
    with pytest.raises(ValueError, match="Argument `name` must be a string and cannot contain "
                       r"character `/`. Received: name=a/b \(of type <class 'str'>\)"):
        MyOp(name="a/b")
    with pytest.raises(ValueError, match=r"Received: name=3 \(of type <class 'int'>\)"):
        MyOp(name=3)
    with pytest.raises(NotImplementedError, match=r"Exception encountered when calling "
                       r"Operation.call\(\)"):
        keras.Operation()(tf.constant(1.0))


def test_module_example_runs():
    parser = doctest.DocTestParser()
    test = parser.get_doctest(kv.__doc__, {"tf": tf}, "variables", None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0 and runner.tries > 0
