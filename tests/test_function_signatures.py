"""tf.function's signatures and retracing rules, checked against what TensorFlow 2.21 does
(expected values, exception classes and the key parts of messages were taken from TF 2.21 by
running the same code; see the comments)."""
import contextlib
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tapeflow as tf

SPEC = "TensorSpec(shape=(None, 3), dtype=tf.float32, name='x')"


def make_sum():
    prints = []

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
    def f(x):
        prints.append(x.shape)
        return tf.reduce_sum(x, axis=1)

    return f, prints


def test_input_signature_one_trace_for_any_batch_size():
    f, prints = make_sum()
    assert f(tf.ones([2, 3])).numpy().tolist() == [3.0, 3.0]
    assert f(tf.ones([5, 3])).numpy().tolist() == [3.0] * 5
    assert f(tf.ones([7, 3])).numpy().tolist() == [3.0] * 7
    assert f(x=tf.ones([1, 3])).numpy().tolist() == [3.0]
    assert f([[1.0, 2.0, 3.0]]).numpy().tolist() == [6.0]  # Python lists convert
    assert f([[1, 2, 3]]).numpy().tolist() == [6.0]  # to the spec's dtype
    assert f.experimental_get_tracing_count() == 1  # TF 2.21: 1
    # a plan that does not depend on the batch size serves every size after two traces
    assert len(prints) <= 2


@pytest.mark.parametrize("arg, got", [
    (lambda: tf.ones([2, 3], tf.int32), "TensorSpec(shape=(2, 3), dtype=tf.int32, name='x')"),
    (lambda: tf.ones([3]), "TensorSpec(shape=(3,), dtype=tf.float32, name='x')"),
    (lambda: tf.ones([2, 4]), "TensorSpec(shape=(2, 4), dtype=tf.float32, name='x')"),
])
def test_input_signature_mismatch_is_tfs_type_error(arg, got):
    f, _ = make_sum()
    with pytest.raises(TypeError) as e:
        f(arg())
    # TF 2.21: "Binding inputs to tf.function failed due to `Can not cast <got> to <spec>`.
    # Received args: (...) and kwargs: {} for signature: (x: <spec>)."
    msg = str(e.value)
    assert msg.startswith(f"Binding inputs to tf.function failed due to `Can not cast {got} "
                          f"to {SPEC}`. Received args: (")
    assert msg.endswith(f"and kwargs: {{}} for signature: (x: {SPEC}).")


def test_input_signature_extra_and_missing_arguments():
    f, _ = make_sum()
    with pytest.raises(TypeError, match="failed due to `too many positional arguments`"):
        f(tf.ones([2, 3]), tf.ones([2, 3]))
    with pytest.raises(TypeError, match="failed due to `missing a required argument: 'x'`"):
        f()
    with pytest.raises(TypeError, match="input_signature must be a possibly nested sequence"):
        tf.function(lambda x: x, input_signature=[3])


def test_concrete_function_of_a_signature():
    f, _ = make_sum()
    c = f.get_concrete_function()
    # TF 2.21's answers, verbatim
    assert c.structured_input_signature == (
        (tf.TensorSpec([None, 3], tf.float32, name="x"),), {})
    assert repr(c.structured_outputs) == "<tf.Tensor 'Identity:0' shape=(None,) dtype=float32>"
    assert repr(c.inputs) == "[<tf.Tensor 'x:0' shape=(None, 3) dtype=float32>]"
    assert f.pretty_printed_concrete_signatures() == (
        f"Input Parameters:\n  x (POSITIONAL_OR_KEYWORD): {SPEC}\nOutput Type:\n"
        "  TensorSpec(shape=(None,), dtype=tf.float32, name=None)\nCaptures:\n  None")
    assert str(c) == "ConcreteFunction " + f.pretty_printed_concrete_signatures()
    assert repr(c).startswith(f"<ConcreteFunction (x: {SPEC}) -> TensorSpec(shape=(None,), "
                              "dtype=tf.float32, name=None) at 0x")
    ops = [(o.name, o.type) for o in c.graph.get_operations()]
    # TF: [('x', 'Placeholder'), ('Sum/reduction_indices', 'Const'), ('Sum', 'Sum'),
    #      ('Identity', 'Identity')]; tapeflow's axis is an attribute, not a Const
    assert ops == [("x", "Placeholder"), ("Sum", "Sum"), ("Identity", "Identity")]
    assert c(tf.ones([4, 3])).numpy().tolist() == [3.0] * 4
    assert c([[1.0, 2.0, 3.0]]).numpy().tolist() == [6.0]
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"input #0\(zero-based\) was expected to be a float tensor but is "
                             r"a double tensor"):
        c(tf.ones([4, 3], tf.float64))
    with pytest.raises(TypeError, match="too many positional arguments"):
        c(tf.ones([4, 3]), 1)
    with pytest.raises(TypeError, match=r"Can not cast TensorSpec\(shape=\(None, 4\)"):
        f.get_concrete_function(tf.TensorSpec([None, 4]))
    assert f.experimental_get_tracing_count() == 1


def test_python_arguments_are_part_of_the_key_and_bound_into_concrete_functions():
    traced = []

    @tf.function
    def g(x, n):
        traced.append(n)
        return x * n

    assert float(g(tf.constant(1.0), 2)) == 2.0
    assert float(g(tf.constant(1.0), 3)) == 3.0  # a new Python value retraces
    assert float(g(tf.constant(2.0), 2)) == 4.0
    assert g.experimental_get_tracing_count() == 2 and traced == [2, 3]
    cg = g.get_concrete_function(tf.TensorSpec([], tf.float32), 5)
    assert cg.structured_input_signature == ((tf.TensorSpec([], tf.float32, name="x"), 5), {})
    assert float(cg(tf.constant(2.0))) == 10.0  # the bound 5 may be left out
    assert float(cg(tf.constant(2.0), 5)) == 10.0
    with pytest.raises(TypeError, match=r"`Can not cast 6 to Literal\[5\]`"):
        cg(tf.constant(2.0), 6)
    cg2 = g.get_concrete_function(tf.constant([1.0, 2.0]), 5)
    assert cg2.structured_input_signature == (
        (tf.TensorSpec([2], tf.float32, name="x"), 5), {})
    assert cg2(tf.constant([3.0, 4.0])).numpy().tolist() == [15.0, 20.0]
    assert g.experimental_get_tracing_count() == 4
    text = g.pretty_printed_concrete_signatures()
    assert text.count("Input Parameters:") == 4
    assert ("  n (POSITIONAL_OR_KEYWORD): Literal[3]\nOutput Type:\n"
            "  TensorSpec(shape=(), dtype=tf.float32, name=None)") in text


def test_python_values_compare_by_value_objects_by_hash():
    class Obj:
        pass

    o1, o2 = Obj(), Obj()

    @tf.function
    def k(x, o):
        return x

    x = tf.constant(1.0)
    k(x, o1), k(x, o1), k(x, o2)
    assert k.experimental_get_tracing_count() == 2  # TF 2.21: 2 (another object)
    k(x, [1, 2]), k(x, [1, 2]), k(x, [1, 3])
    assert k.experimental_get_tracing_count() == 4  # TF 2.21: 4
    k(x, 1.0), k(x, 1), k(x, True)
    assert k.experimental_get_tracing_count() == 5  # TF 2.21: 1, 1.0 and True are one key
    k(np.ones(3), 1), k(np.zeros(3), 1)
    assert k.experimental_get_tracing_count() == 6  # NumPy arrays key by shape and dtype


def test_reduce_retracing_generalises_shapes_as_tf():
    @tf.function(reduce_retracing=True)
    def h(x):
        return x + 1

    counts = []
    for s in ([2], [3], [4], [2, 2], [3, 3], [4, 4, 4]):
        assert h(tf.ones(s)).shape == tuple(s)
        counts.append(h.experimental_get_tracing_count())
    assert counts == [1, 2, 2, 3, 3, 3]  # TF 2.21's counts
    specs = [c.structured_input_signature[0][0].shape for c in h._concretes]
    assert [str(s) for s in specs] == ["(2,)", "(None,)", "<unknown>"]


def test_get_concrete_function_with_specs_does_not_run_the_function():
    v = tf.Variable(1.0)

    @tf.function
    def step(x):
        v.assign_add(tf.reduce_sum(x))
        tf.print("stepped")
        return v

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        c = step.get_concrete_function(tf.TensorSpec([None], tf.float32))
    assert float(v) == 1.0 and err.getvalue() == ""  # TF 2.21: v stays 1.0, nothing printed
    assert [o.type for o in c.graph.get_operations()] == [
        "Placeholder", "Sum", "AssignAddVariableOp", "PrintV2", "ReadVariableOp", "Identity"]
    assert float(step(tf.constant([1.0, 2.0]))) == 4.0  # the call runs it
    assert float(v) == 4.0
    assert "dtype=tf.resource" in step.pretty_printed_concrete_signatures()


def test_shape_specialised_traces_stay_silent_and_exact():
    """A plan that froze a shape (the mean's 1/n in its gradient) is traced per batch size
    behind one TF trace; results equal eager for each size."""
    w = tf.Variable([1.0, 2.0])

    def loss(x):
        with tf.GradientTape() as tape:
            y = tf.reduce_mean(tf.reduce_sum(x * w, axis=1))
        return tape.gradient(y, w)

    f = tf.function(loss, input_signature=[tf.TensorSpec([None, 2], tf.float32)])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for n in (2, 3, 4, 3):
            x = tf.constant(np.arange(2 * n, dtype=np.float32).reshape(n, 2))
            np.testing.assert_array_equal(f(x).numpy(), loss(x).numpy())
    assert f.experimental_get_tracing_count() == 1


def test_tensor_spec_as_tf():
    spec = tf.TensorSpec([None, 3], tf.float32, name="x")
    assert repr(spec) == SPEC and str(spec) == SPEC
    assert spec.is_compatible_with(tf.ones([2, 3]))
    assert not spec.is_compatible_with(tf.ones([2, 3], tf.int32))
    assert spec.is_compatible_with(tf.TensorSpec([4, 3]))
    assert spec.is_compatible_with(tf.TensorSpec(None))
    assert repr(tf.TensorSpec.from_tensor(tf.ones([2, 3]), name="t")) == (
        "TensorSpec(shape=(2, 3), dtype=tf.float32, name='t')")
    assert repr(tf.TensorSpec([2])) == "TensorSpec(shape=(2,), dtype=tf.float32, name=None)"


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=6), st.integers(1, 4))
def test_unknown_batch_sizes_match_eager_with_one_trace(sizes, d):
    w = tf.Variable(np.linspace(-1.0, 1.0, d).astype(np.float32))

    def loss_grad(x):
        with tf.GradientTape() as tape:
            y = tf.reduce_mean(tf.reduce_sum(x * w, axis=1) ** 2)
        return y, tape.gradient(y, w)

    f = tf.function(loss_grad, input_signature=[tf.TensorSpec([None, d], tf.float32)])
    g = tf.function(loss_grad, reduce_retracing=True)
    rng = np.random.default_rng(len(sizes) * 10 + d)
    for n in sizes:
        x = tf.constant(rng.normal(size=(n, d)).astype(np.float32))
        want = loss_grad(x)
        for fn in (f, g):
            got = fn(x)
            np.testing.assert_allclose(got[0].numpy(), want[0].numpy(), rtol=1e-6)
            np.testing.assert_allclose(got[1].numpy(), want[1].numpy(), rtol=1e-6, atol=1e-7)
    assert f.experimental_get_tracing_count() == 1
    assert g.experimental_get_tracing_count() <= 2  # TF: the first shape, then (None, d)
