"""tf.function's outputs and effects as TensorFlow 2.21 gives them (expected values and
messages taken from TF 2.21 running the same code)."""
import numpy as np
import pytest

import tapeflow as tf


def test_python_values_returned_come_back_as_tensors_in_their_structure():
    @tf.function
    def f(x):
        return {"a": 1, "b": [2.0, x], "c": (None, 7), "d": np.float32(3)}

    for _ in range(2):  # the tracing call and a replay
        out = f(tf.constant(1.0))
        # TF 2.21: {'a': <int32 1>, 'b': [<float32 2.0>, <float32 1.0>], 'c': (None, ...),
        #           'd': <float32 3.0>}
        assert isinstance(out["a"], tf.Tensor) and out["a"].dtype == tf.int32
        assert int(out["a"]) == 1
        assert out["b"][0].dtype == tf.float32 and float(out["b"][0]) == 2.0
        assert float(out["b"][1]) == 1.0 and out["c"][0] is None
        assert out["c"][1].dtype == tf.int32
        assert out["d"].dtype == tf.float32 and float(out["d"]) == 3.0


def test_assign_inside_returns_the_variables_final_value():
    v = tf.Variable(1.0)

    @tf.function
    def g():
        return v.assign(2.0), v.assign_add(1.0), v.assign_sub(0.5)

    for expected_v in (2.5, 2.5):
        out = g()
        # TF 2.21: (2.5, 2.5, 2.5): each result is the variable, read when the function returns
        assert [float(t) for t in out] == [2.5, 2.5, 2.5]
        assert all(isinstance(t, tf.Tensor) for t in out)
        assert float(v) == expected_v


def test_returning_a_variable_returns_its_value_each_call():
    v = tf.Variable([1.0, 2.0])

    @tf.function
    def f():
        return v

    assert f().numpy().tolist() == [1.0, 2.0]
    v.assign([3.0, 4.0])
    out = f()
    assert isinstance(out, tf.Tensor) and out.numpy().tolist() == [3.0, 4.0]


def test_unused_results_are_pruned_from_the_plan():
    @tf.function
    def f(x):
        tf.exp(x) * 3.0  # unused: not in the plan
        return x + 1.0

    f(tf.constant(1.0))
    src = f.get_concrete_function(tf.constant(1.0)).plan_source
    assert src.count(" = ") == 1, src
    assert [o.type for o in f.get_concrete_function(tf.constant(1.0)).graph.get_operations()
            ] == ["Placeholder", "AddV2", "Identity"]


def test_a_tensor_leaking_out_of_a_trace_is_out_of_scope():
    leak = []

    @tf.function
    def f(x):
        y = x * 2.0
        leak.append(y)
        return x

    assert float(f(tf.constant(1.0))) == 1.0
    # TF 2.21: TypeError "<tf.Tensor 'mul:0' shape=() dtype=float32> is out of scope and
    # cannot be used here. Use return values, explicit Python locals or TensorFlow
    # collections to access it."
    with pytest.raises(TypeError, match="is out of scope and cannot be used here. Use return "
                                        "values, explicit Python locals or TensorFlow"):
        leak[0] + 1.0
    with pytest.raises(AttributeError, match="has no attribute 'numpy'"):
        leak[0].numpy()
    assert repr(leak[0]).startswith("<tf.Tensor '") and "shape=() dtype=float32>" in repr(
        leak[0])
    assert float(f(tf.constant(3.0))) == 3.0  # the function itself still works


def test_creating_a_variable_on_every_call_raises_tfs_value_error():
    @tf.function
    def mk(x):
        return x * tf.Variable(1.0)

    with pytest.raises(ValueError) as e:
        mk(tf.constant(1.0))
    # TF 2.21's message, on the first call: a trace that created variables is traced again,
    # and this one creates a variable again
    assert ("tf.function only supports singleton tf.Variables created on the first call. "
            "Make sure the tf.Variable is only created once or created outside tf.function. "
            "See https://www.tensorflow.org/guide/function#creating_tfvariables for more "
            "information.") in str(e.value)


def test_traced_results_equal_eager_for_returned_structures():
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2))

    def body(x, scale):
        h = tf.matmul(x, w) * scale
        return {"h": h, "n": tf.reduce_sum(h), "k": scale}

    f = tf.function(body)
    x = tf.constant(np.ones((4, 3), np.float32))
    for _ in range(3):
        a, b = body(x, 2.0), f(x, 2.0)
        np.testing.assert_array_equal(a["h"].numpy(), b["h"].numpy())
        assert float(a["n"]) == float(b["n"]) and float(b["k"]) == 2.0
