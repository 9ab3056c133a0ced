"""tf.custom_gradient, tf.TensorArray, tf.py_function/numpy_function, tf.init_scope,
tf.autograph and tf.types.experimental; expected values and messages taken from TF 2.21
running the same code."""
import numpy as np
import pytest

import tapeflow as tf


# -- custom_gradient -----------------------------------------------------------------------
@tf.custom_gradient
def clip_grad(x):
    def grad(dy):
        return tf.clip_by_value(dy, -0.1, 0.1)
    return tf.identity(x), grad


@tf.custom_gradient
def log1pexp(x):
    e = tf.exp(x)

    def grad(upstream):
        return upstream * (1 - 1 / (1 + e))
    return tf.math.log(1 + e), grad


def test_custom_gradient_replaces_the_gradient():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = clip_grad(x) * 5.0
    assert tape.gradient(y, x).numpy().tolist() == pytest.approx([0.1, 0.1])  # TF 2.21
    assert clip_grad(x).numpy().tolist() == [1.0, 2.0]


def test_custom_gradient_nested_tapes_give_second_derivatives():
    a = tf.constant(2.0)
    with tf.GradientTape() as t1:
        t1.watch(a)
        with tf.GradientTape() as t2:
            t2.watch(a)
            y = log1pexp(a)
        g = t2.gradient(y, a)
    gg = t1.gradient(g, a)
    # TF 2.21: 0.8807970881462097, 0.10499358177185059
    assert float(g) == pytest.approx(0.8807971, rel=1e-6)
    assert float(gg) == pytest.approx(0.10499358, rel=1e-5)


def test_custom_gradient_with_variables_and_errors():
    v = tf.Variable(2.0)
    x = tf.constant([1.0, 2.0])

    @tf.custom_gradient
    def uses_var(x):
        def grad(dy, variables=None):
            assert variables == [v]
            return dy * 3.0, [tf.reduce_sum(dy * 7.0)]
        return x * v, grad

    with tf.GradientTape() as tape:
        tape.watch(x)
        y = uses_var(x)
    gx, gv = tape.gradient(y, [x, v])
    assert gx.numpy().tolist() == [3.0, 3.0] and float(gv) == 14.0

    @tf.custom_gradient
    def bad(x):
        return x * v, lambda dy: dy * 3.0

    with pytest.raises(TypeError, match="@tf.custom_gradient grad_fn must accept keyword "
                                        "argument 'variables', since function uses variables"):
        bad(x)

    @tf.custom_gradient
    def two(x, y):
        return x * y, lambda dy: dy * 2.0

    a, b = tf.constant(1.0), tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch([a, b])
        z = two(a, b)
    with pytest.raises(ValueError, match="custom_gradient function expected to return 2 "
                                         "gradients, but returned 1 instead."):
        tape.gradient(z, [a, b])


def test_custom_gradient_multiple_outputs_and_inside_tf_function():
    @tf.custom_gradient
    def multi(x):
        def grad(dy1, dy2):
            return dy1 + 10 * dy2
        return (x * 2, x * 3), grad

    a = tf.constant(1.0)
    with tf.GradientTape() as tape:
        tape.watch(a)
        p, q = multi(a)
        z = p + 2 * q
    assert float(tape.gradient(z, a)) == 21.0  # TF 2.21

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(clip_grad(x) * 5.0)
        return y, tape.gradient(y, x)

    for xs in ([1.0, 2.0], [3.0, -1.0]):
        y, g = step(tf.constant(xs))
        assert float(y) == pytest.approx(5 * sum(xs)) and g.numpy().tolist() == pytest.approx(
            [0.1, 0.1])
    assert step.experimental_get_tracing_count() == 1


def test_custom_gradient_float64_matches_finite_differences():
    x = tf.constant([0.3, -1.2, 2.0], tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(log1pexp(x))
    g = tape.gradient(y, x).numpy()
    xs = x.numpy()
    eps = 1e-6
    num = [(np.log1p(np.exp(v + eps)) - np.log1p(np.exp(v - eps))) / (2 * eps) for v in xs]
    np.testing.assert_allclose(g, num, rtol=1e-7)


# -- TensorArray ------------------------------------------------------------------------------
def test_tensor_array_eager_as_tf():
    ta = tf.TensorArray(tf.float32, size=3)
    assert ta.write(0, [1.0, 2.0]) is not ta  # a new object, shared storage
    assert int(ta.write(1, [3.0, 4.0]).size()) == 3
    assert ta.read(2).numpy().tolist() == [0.0, 0.0]  # unwritten: zeros of element shape
    assert ta.stack().numpy().tolist() == [[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]]
    assert ta.element_shape == tf.TensorShape([2]) and ta.dtype == tf.float32
    assert not ta.dynamic_size
    with pytest.raises(tf.errors.OutOfRangeError,
                       match="Tried to write to index 3 but array is not resizeable and size "
                             "is: 3"):
        ta.write(3, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"Incompatible shape for value \(\(3,\)\), expected "
                                         r"\(\(2,\)\)"):
        ta.write(2, [1.0, 2.0, 3.0])
    with pytest.raises(tf.errors.OutOfRangeError,
                       match="Tried to read from index 5 but array size is: 3"):
        ta.read(5)
    with pytest.raises(tf.errors.OutOfRangeError,
                       match=r"Reading from negative indices \(index -1\) is not allowed."):
        ta.read(-1)

    dyn = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    assert int(dyn.write(2, 1.0).size()) == 3
    assert dyn.stack().numpy().tolist() == [0.0, 0.0, 1.0]

    t3 = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
    assert int(t3.unstack([[1, 2], [3, 4], [5, 6]]).size()) == 3
    assert t3.gather([2, 0]).numpy().tolist() == [[5, 6], [1, 2]]
    assert t3.concat().numpy().tolist() == [1, 2, 3, 4, 5, 6]
    t4 = tf.TensorArray(tf.float32, size=3)
    assert t4.scatter([0, 2], [[1.0], [2.0]]).stack().numpy().tolist() == [[1.0], [0.0],
                                                                          [2.0]]
    assert tf.TensorArray(tf.float32, size=0).stack().shape == (0,)
    assert tf.TensorArray(tf.float32, size=0, element_shape=[2]).stack().shape == (0, 2)
    t5 = tf.TensorArray(tf.float32, size=2, clear_after_read=True)
    t5.write(0, 1.0)
    assert float(t5.read(0)) == 1.0
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Could not read index 0 twice because it was cleared after a "
                             "previous read"):
        t5.read(0)
    t7 = tf.TensorArray(tf.float32, size=2)
    t7.write(0, 1.0)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Concat saw a scalar shape at index 0 but requires at least "
                             "vectors."):
        t7.write(1, 3.0).concat()
    sp = tf.TensorArray(tf.float32, size=2).split([1.0, 2.0, 3.0], [1, 2])
    assert sp.read(1).numpy().tolist() == [2.0, 3.0]


def test_tensor_array_gradients_through_write_stack_read():
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        ta = tf.TensorArray(tf.float32, size=3)
        for i in range(3):
            ta = ta.write(i, x[i] * x[i])
        y = tf.reduce_sum(ta.stack() * [1.0, 2.0, 3.0]) + ta.read(1)
    assert tape.gradient(y, x).numpy().tolist() == [2.0, 12.0, 18.0]  # TF 2.21


def test_tensor_array_in_a_tf_function_loop():
    @tf.function
    def squares(n):
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        for i in tf.range(n):
            ta = ta.write(i, tf.cast(i, tf.float32) ** 2)
        return ta.stack()

    assert squares(tf.constant(4)).numpy().tolist() == [0.0, 1.0, 4.0, 9.0]  # TF 2.21
    assert squares(tf.constant(2)).numpy().tolist() == [0.0, 1.0]
    assert squares(tf.constant(0)).numpy().tolist() == []
    assert squares.experimental_get_tracing_count() == 1
    c = squares.get_concrete_function(tf.constant(4))
    assert c.eager_reason is None  # one traced loop carrying the TensorArray's handle
    assert {"TensorListReserve", "TensorListStack"} <= {o.type for o in
                                                        c.graph.get_operations()}


# -- py_function, numpy_function, init_scope ----------------------------------------------------
def test_py_function_runs_every_call_with_gradients():
    a = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(a)
        y = tf.py_function(lambda p, q: p * q + 1.0, [a, tf.constant(2.0)], tf.float32)
    assert float(y) == 7.0 and float(tape.gradient(y, a)) == 2.0  # TF 2.21
    multi = tf.py_function(lambda p: (p, p * 2), [tf.constant(1.0)], [tf.float32, tf.float32])
    assert [float(t) for t in multi] == [1.0, 2.0]
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Tensor conversion requested dtype int32 for Tensor with dtype "
                             "float32"):
        tf.py_function(lambda p: p * 2, [tf.constant(1.0)], tf.int32)

    calls = []

    @tf.function
    def pf(x):
        return tf.py_function(lambda p: (calls.append(1), p * 2)[1], [x], tf.float32) + 1

    assert float(pf(tf.constant(1.0))) == 3.0 and float(pf(tf.constant(2.0))) == 5.0
    assert len(calls) == 2 and pf.experimental_get_tracing_count() == 1  # TF 2.21: 2 calls
    types = [o.type for o in pf.get_concrete_function(tf.constant(1.0)).graph.get_operations()]
    assert "EagerPyFunc" in types


def test_numpy_function_gets_arrays():
    out = tf.numpy_function(lambda a: np.array(type(a).__name__ == "ndarray"),
                            [tf.constant([1.0])], tf.bool)
    assert out.dtype == tf.bool and bool(out)  # TF 2.21: True
    assert float(tf.numpy_function(lambda a: a * 2, [tf.constant(1.0)], tf.float32)) == 2.0


def test_init_scope_lifts_out_of_the_trace():
    made = []

    @tf.function
    def f(x):
        with tf.init_scope():
            c = tf.constant(5.0) * 1.0
            made.append(tf.executing_eagerly())
        return x + c

    assert float(f(tf.constant(1.0))) == 6.0 and float(f(tf.constant(2.0))) == 7.0
    assert made == [True]  # TF 2.21: executing eagerly inside init_scope


# -- autograph and types ---------------------------------------------------------------------------
def test_autograph_names():
    def g(x):
        if x > 0:
            x = x * 2
        return x

    src = tf.autograph.to_code(g)
    assert "ag__.if_stmt" in src and "def g(x):" in src
    assert tf.autograph.experimental.do_not_convert(g)(3) == 6

    @tf.function
    @tf.autograph.experimental.do_not_convert
    def h(x):
        return x + 1

    assert float(h(tf.constant(1.0))) == 2.0


def test_types_experimental_names():
    names = {"TraceType", "SupportsTracingProtocol", "ConcreteFunction", "GenericFunction",
             "PolymorphicFunction", "TensorLike", "Callable", "AtomicFunction", "FunctionType"}
    assert names <= set(dir(tf.types.experimental))  # TF 2.21's names
    assert tf.types.experimental.GenericFunction is tf.types.experimental.PolymorphicFunction
    f = tf.function(lambda x: x)
    assert isinstance(f, tf.types.experimental.PolymorphicFunction)
    assert isinstance(f.get_concrete_function(tf.constant(1.0)),
                      tf.types.experimental.ConcreteFunction)


def test_tracing_protocol_keys_arguments_by_their_trace_type():
    class Kind(tf.types.experimental.TraceType):
        def __init__(self, k):
            self.k = k

        def is_subtype_of(self, other):
            return self == other

        def most_specific_common_supertype(self, others):
            return self if all(self == o for o in others) else None

        def __eq__(self, other):
            return isinstance(other, Kind) and other.k == self.k

        def __hash__(self):
            return hash(self.k)

    class Config:
        def __init__(self, k, scale):
            self.k, self.scale = k, scale

        def __tf_tracing_type__(self, context):
            return Kind(self.k)

    @tf.function
    def f(x, cfg):
        return x * cfg.scale

    assert float(f(tf.constant(1.0), Config("a", 2.0))) == 2.0
    assert float(f(tf.constant(1.0), Config("a", 3.0))) == 2.0  # same trace type: same trace
    assert float(f(tf.constant(1.0), Config("b", 3.0))) == 3.0
    assert f.experimental_get_tracing_count() == 2
    assert isinstance(Config("a", 1.0), tf.types.experimental.SupportsTracingProtocol)
