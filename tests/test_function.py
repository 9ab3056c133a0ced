"""tf.function: traced plans give eager's results exactly, retrace per signature with a
reason, and fall back to eager execution (with a warning) whenever replay would be unsafe."""
import logging
import threading

import numpy as np
import pytest

import tapeflow as tf


def make_lr():
    x = tf.range(1.0, 5.0, 0.1)
    y = 3.5 * x - 1 + tf.constant(np.sin(np.arange(40)).astype(np.float32))
    m, b = tf.Variable(1.0), tf.Variable(0.0)

    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((y - (x * m + b)) ** 2)
        gm, gb = tape.gradient(loss, [m, b])
        m.assign_sub(0.05 * gm)
        b.assign_sub(0.05 * gb)
        return loss

    return step, m, b


def test_traced_training_step_matches_eager_bit_for_bit():
    eager, m1, b1 = make_lr()
    traced_fn, m2, b2 = make_lr()
    traced = tf.function(traced_fn)
    for _ in range(50):
        l1, l2 = eager(), traced()
        assert l1.numpy() == l2.numpy()
    assert m1.numpy() == m2.numpy() and b1.numpy() == b2.numpy()
    assert traced.experimental_get_tracing_count() == 1
    src = traced.get_concrete_function().plan_source
    assert src.startswith("def plan(") and "._v = " in src  # variables written in the plan


def test_retracing_per_shape_with_reason(caplog):
    calls = []

    @tf.function
    def f(x, scale):
        calls.append(1)  # a Python side effect: runs at trace time only
        return tf.reduce_sum(x * scale, axis=1)

    a = f(tf.ones([4, 3]), 2.0)
    assert a.numpy().tolist() == [6.0] * 4
    f(tf.ones([4, 3]) * 2.0, 2.0)
    assert len(calls) == 1 and f.experimental_get_tracing_count() == 1
    with caplog.at_level(logging.INFO, logger="tapeflow"):
        r = f(tf.ones([2, 3]), 2.0)
    assert r.shape == (2,)
    assert "argument 0 shape (4, 3) -> (2, 3)" in caplog.text
    f(tf.ones([2, 3]), 3.0)  # a new Python value retraces too
    assert f.experimental_get_tracing_count() == 3 and len(calls) == 3


def test_value_dependent_python_if_is_one_traced_conditional(caplog):
    @tf.function
    def f(x):
        if tf.reduce_sum(x) > 0:
            return x * 2.0
        return x * -1.0

    with caplog.at_level(logging.WARNING, logger="tapeflow"):
        assert f(tf.constant([1.0, 2.0])).numpy().tolist() == [2.0, 4.0]
        assert f(tf.constant([-1.0, -2.0])).numpy().tolist() == [1.0, 2.0]  # never stale
        assert f(tf.constant([3.0, 2.0])).numpy().tolist() == [6.0, 4.0]
    assert "runs eagerly" not in caplog.text
    assert f.experimental_get_tracing_count() == 1
    assert "control" in f.get_concrete_function(tf.constant([1.0, 2.0])).plan.kinds()


def test_value_dependent_python_control_flow_without_autograph_raises_tfs_error():
    @tf.function(autograph=False)
    def f(x):
        if tf.reduce_sum(x) > 0:
            return x * 2.0
        return x * -1.0

    # as TF's graph tensors (tests/test_function_no_autograph.py has TF's recorded messages)
    with pytest.raises(tf.errors.OperatorNotAllowedInGraphError, match="Python `bool`"):
        f(tf.constant([1.0, 2.0]))


def test_values_computed_outside_ops_fall_back():
    @tf.function
    def f(x):
        y = tf.constant(x.numpy() * 3.0)  # NumPy math on a traced value
        return y + 1.0

    assert f(tf.constant([1.0])).numpy().tolist() == [4.0]
    assert f(tf.constant([2.0])).numpy().tolist() == [7.0]


def test_non_differentiable_ops_are_replayed():
    @tf.function
    def f(x):
        return tf.argmax(x, axis=1), tf.one_hot(tf.argmax(x, axis=1), 3), tf.math.is_nan(x)

    a, h, n = f(tf.constant([[1.0, 3.0, 2.0]]))
    assert a.numpy().tolist() == [1] and h.numpy().tolist() == [[0.0, 1.0, 0.0]]
    a, h, n = f(tf.constant([[5.0, np.nan, 3.0]]))
    assert n.numpy().tolist() == [[False, True, False]]
    a, h, n = f(tf.constant([[5.0, 3.0, 4.0]]))
    assert a.numpy().tolist() == [0] and h.numpy().tolist() == [[1.0, 0.0, 0.0]]
    assert f.experimental_get_tracing_count() == 1


def test_variables_created_on_first_trace_only():
    class Scale(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = None

        @tf.function
        def __call__(self, x):
            if self.w is None:
                self.w = tf.Variable(2.0)
            return x * self.w

    s = Scale()
    assert s(tf.constant([1.0])).numpy().tolist() == [2.0]
    s.w.assign(3.0)
    assert s(tf.constant([1.0])).numpy().tolist() == [3.0]  # reads the variable each call

    @tf.function
    def bad(x):
        return x * tf.Variable(1.0)

    # TF 2.21 raises on the first call: its second trace creates a variable again
    with pytest.raises(ValueError, match="singleton tf.Variables created on the first call"):
        bad(tf.constant(1.0))


def test_gradients_flow_through_a_function_under_an_outer_tape():
    w = tf.Variable(3.0)

    @tf.function
    def f(x):
        return x * w * w

    with tf.GradientTape() as tape:
        y = f(tf.constant(2.0))
    assert float(tape.gradient(y, w)) == 12.0


def test_tf_print_runs_every_call(capsys):
    @tf.function
    def f(x):
        tf.print("value:", x)
        return x + 1

    f(tf.constant([1, 2]))
    f(tf.constant([3, 4]))
    err = capsys.readouterr().err
    assert "value: [1 2]" in err and "value: [3 4]" in err


def test_cond_and_while_loop_eager_semantics():
    assert float(tf.cond(tf.constant(True), lambda: tf.constant(1.0),
                         lambda: tf.constant(2.0))) == 1.0
    i, s = tf.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s + i),
                         (tf.constant(0), tf.constant(0)))
    assert int(i) == 5 and int(s) == 10


def test_nested_and_structured_outputs_and_input_signature():
    @tf.function
    def inner(x):
        return {"double": x * 2.0, "n": 3}

    @tf.function
    def outer(x):
        return inner(x)["double"] + 1.0, inner(x)

    a, d = outer(tf.constant([1.0, 2.0]))
    assert a.numpy().tolist() == [3.0, 5.0] and d["n"] == 3
    assert d["double"].numpy().tolist() == [2.0, 4.0]


def test_random_ops_and_dropout_draw_fresh_values_each_call_like_eager():
    def body(x):
        return tf.nn.dropout(x, 0.5) + tf.random.uniform([4]) + tf.random.normal([4])

    traced = tf.function(body)
    tf.random.set_seed(3)
    t1, t2 = traced(tf.ones([4])).numpy(), traced(tf.ones([4])).numpy()
    tf.random.set_seed(3)
    e1, e2 = body(tf.ones([4])).numpy(), body(tf.ones([4])).numpy()
    np.testing.assert_array_equal(t1, e1)
    np.testing.assert_array_equal(t2, e2)
    assert not np.array_equal(t1, t2) and traced.experimental_get_tracing_count() == 1


def test_ops_in_other_threads_are_not_recorded_by_this_threads_tape_or_trace():
    w = tf.Variable(2.0)
    done = []

    def worker():
        for _ in range(50):
            done.append(float(w * 3.0 + 1.0))

    with tf.GradientTape() as tape:
        t = threading.Thread(target=worker)
        t.start()
        y = w * w
        t.join()
    # two reads of w and the multiply; none of the worker's 150 ops
    assert [n.op.name for n in tape._nodes] == ["Mul"]
    assert [v is w for v, _ in tape._reads] == [True, True]
    assert float(tape.gradient(y, w)) == 4.0

    @tf.function
    def f(x):
        th = threading.Thread(target=worker)
        th.start()
        th.join()
        return x * 2.0

    assert f(tf.constant(1.0)).numpy() == 2.0 and f(tf.constant(5.0)).numpy() == 10.0
    src = f.get_concrete_function(tf.constant(1.0)).plan_source
    assert src.count(" = ") == 1, src  # only x * 2.0: the worker's ops are not in the plan


@pytest.mark.parametrize("make_opt", [lambda: tf.keras.optimizers.SGD(0.1, momentum=0.9),
                                      lambda: tf.keras.optimizers.Adam(0.01)])
def test_traced_keras_optimizer_step_matches_eager(make_opt):
    def setup():
        rng = np.random.default_rng(0)
        vs = [tf.Variable(rng.normal(size=(3, 2)).astype(np.float32)), tf.Variable(tf.zeros(2))]
        x = tf.constant(rng.normal(size=(8, 3)).astype(np.float32))
        opt = make_opt()

        def step():
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(x @ vs[0] + vs[1] - 1.0))
            opt.apply_gradients(zip(tape.gradient(loss, vs), vs))
            return loss

        return vs, opt, step

    v1, o1, eager = setup()
    v2, o2, traced_fn = setup()
    traced = tf.function(traced_fn)
    for _ in range(5):
        assert eager().numpy() == traced().numpy()
    for a, b in zip(v1, v2):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(o1.iterations) == int(o2.iterations) == 5
    assert traced.experimental_get_tracing_count() == 1
    assert traced.get_concrete_function().eager_reason is None


def test_a_first_trace_that_builds_and_loads_variables_is_traced_again(caplog):
    class Lazy(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = None

        def __call__(self, x):
            if self.w is None:  # built on first call, then given saved values
                self.w = tf.Variable(tf.zeros((3,)))
                self.w._assign_raw(np.array([1.0, 2.0, 3.0], np.float32))
            return x * self.w

    m = Lazy()
    f = tf.function(m.__call__)
    x = tf.constant([1.0, 1.0, 1.0])
    with caplog.at_level(logging.WARNING, logger="tapeflow"):
        assert f(x).numpy().tolist() == [1.0, 2.0, 3.0]
        assert f(x * 2.0).numpy().tolist() == [2.0, 4.0, 6.0]
    assert not [r for r in caplog.records if "runs eagerly" in r.getMessage()]
    concrete = f.get_concrete_function(x)
    assert concrete.eager_reason is None and "v" in concrete.plan_source
    # TF 2.21 counts 2: a first call that creates variables is traced twice (the second
    # trace checks that no variable is created again)
    assert f.experimental_get_tracing_count() == 2
    m.w.assign([0.0, 1.0, 0.0])  # the plan reads the variable on every call
    assert f(x).numpy().tolist() == [0.0, 1.0, 0.0]


def test_value_shaped_ops_run_eagerly_instead_of_replaying_a_stale_shape():
    """tf.boolean_mask, tf.where(cond) and tf.unique give outputs whose shape depends on the
    values: a plan traced on one call would keep that call's shapes (tf.shape, gradients),
    so such a signature runs eagerly and every call gives what eager execution gives."""
    @tf.function
    def masked(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.boolean_mask(x, x > 0)
            loss = tf.reduce_mean(y * 2.0)
        return loss, tape.gradient(loss, x), tf.shape(y)[0], tf.shape(tf.where(x > 1))[0]

    for values, n, n_big in (([1., 2., -1., 3.], 3, 2), ([1., -2., -1., 3.], 2, 1)):
        loss, grad, size, big = masked(tf.constant(values))
        assert int(size) == n and int(big) == n_big
        np.testing.assert_allclose(grad.numpy(), [2 / n if v > 0 else 0 for v in values])
    assert "depends on the input values" in masked.get_concrete_function(
        tf.constant([1., 2., -1., 3.])).eager_reason

    @tf.function
    def distinct(x):
        return tf.size(tf.unique(x).y)

    assert int(distinct(tf.constant([1, 1, 2]))) == 2
    assert int(distinct(tf.constant([1, 2, 3]))) == 3
