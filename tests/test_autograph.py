"""AutoGraph in tapeflow: Python control flow on tensors inside tf.function becomes one traced
conditional or loop (the Python body runs once per trace), results equal eager execution and
TensorFlow 2.21 (expected values, messages and print counts taken from TF 2.21 running the same
code)."""
import contextlib
import io

import numpy as np
import pytest

import tapeflow as tf


def traced_and_eager(fn, *cases):
    """Results of ``fn`` traced (asserting it traced without falling back) and eager."""
    f = tf.function(fn)
    out = []
    for args in cases:
        got = f(*[tf.constant(a) for a in args])
        want = fn(*[tf.constant(a) for a in args])
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
        out.append(np.asarray(got).tolist())
    concrete = f.get_concrete_function(*[tf.constant(a) for a in cases[0]])
    assert concrete.eager_reason is None, concrete.eager_reason
    assert f.experimental_get_tracing_count() == 1
    return out, concrete


def test_print_runs_at_trace_time_tf_print_every_iteration(capsys):
    @tf.function
    def f(x):
        print("py print", x.shape)
        tf.print("tf print", x)
        s = tf.constant(0.0)
        for i in tf.range(3):
            print("body trace")
            tf.print("iter", i)
            s += x
        return s

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        r1, r2 = f(tf.constant(1.0)), f(tf.constant(2.0))
    # TF 2.21: stdout 'py print ()\nbody trace\n' (once: the body is traced once)
    assert buf.getvalue() == "py print ()\nbody trace\n"
    assert float(r1) == 3.0 and float(r2) == 6.0
    err = capsys.readouterr().err
    assert err.count("iter 0") == 2 and err.count("iter 2") == 2  # every call, every iteration
    plan = f.get_concrete_function(tf.constant(1.0)).plan
    assert "control" in plan.kinds()


def test_while_and_if_on_tensors_collatz():
    def collatz(n):
        steps = tf.constant(0)
        while n != 1:
            if n % 2 == 0:
                n = n // 2
            else:
                n = 3 * n + 1
            steps += 1
        return steps

    out, _ = traced_and_eager(collatz, (27,), (6,))
    assert out == [111, 8]  # TF 2.21


def test_for_range_with_elif_and_continue():
    def fizz(n):
        out = tf.constant(0)
        for i in tf.range(1, n + 1):
            if i % 15 == 0:
                out += 15
            elif i % 3 == 0:
                out += 3
            elif i % 5 == 0:
                continue
            else:
                out += 1
        return out

    out, _ = traced_and_eager(fizz, (20,), (7,))
    assert out == [41, 10]  # TF 2.21


def test_break_inside_a_loop_over_a_range():
    def find(x, t):
        idx = tf.constant(-1)
        for i in tf.range(tf.shape(x)[0]):
            if x[i] == t:
                idx = i
                break
        return idx

    f = tf.function(find)
    assert int(f(tf.constant([3, 5, 7, 5]), tf.constant(5))) == 1  # TF 2.21
    assert int(f(tf.constant([3, 5, 7, 5]), tf.constant(9))) == -1
    assert f.experimental_get_tracing_count() == 1
    c = f.get_concrete_function(tf.constant([3, 5, 7, 5]), tf.constant(5))
    assert c.eager_reason is None


def test_while_with_break_and_python_loop_var():
    def h2(n):
        s = tf.constant(0)
        i = 0
        while i < n:
            if i == 3:
                break
            s += i
            i += 1
        return s, i

    out, _ = traced_and_eager(h2, (10,), (2,))
    assert out[0] == [3, 3]  # TF 2.21: (3, 3)


def test_returns_inside_ifs_and_logical_operators():
    def sign(x):
        if x > 0:
            return 1
        elif x < 0:
            return -1
        return 0  # TF 2.21 raises here ("the else branch must also have a return"); tapeflow
        #          takes the trailing return into the else branch

    out, _ = traced_and_eager(sign, (3.0,), (-2.0,), (0.0,))
    assert out == [1, -1, 0]

    def andor(x, y):
        if x > 0 and y > 0:
            return x + y
        if not (x > 0) or y < 0:
            return x - y
        return x * y

    out, _ = traced_and_eager(andor, (1.0, 2.0), (-1.0, 2.0), (1.0, -2.0))
    assert out == [3.0, -3.0, 3.0]  # TF 2.21


def test_loop_over_a_tensors_rows_and_python_loops_unroll():
    out, _ = traced_and_eager(lambda_rows, ([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]],))
    assert out == [[9.0, 12.0]]  # TF 2.21

    def pyloop(x):
        for _ in range(3):
            x = x * 2
        return x

    out, c = traced_and_eager(pyloop, (1.0,))
    assert out == [8.0] and "control" not in c.plan.kinds()  # a Python range: unrolled


def lambda_rows(m):
    total = tf.zeros([2])
    for r in m:
        total += r
    return total


def test_variable_updates_in_a_traced_loop():
    v = tf.Variable(0.0)

    @tf.function
    def var_loop(n):
        for _ in tf.range(n):
            v.assign_add(1.0)
        return v.read_value()

    assert float(var_loop(tf.constant(3))) == 3.0
    assert float(var_loop(tf.constant(2))) == 5.0  # TF 2.21: 3.0, 5.0
    assert var_loop.experimental_get_tracing_count() == 1


def test_the_branch_not_taken_at_trace_time_changes_nothing():
    v = tf.Variable(0.0)

    @tf.function
    def f(x):
        if x > 0:
            v.assign_add(1.0)
            tf.print("took true")
            y = x
        else:
            v.assign_sub(1.0)
            tf.print("took false")
            y = -x
        return y

    assert float(f(tf.constant(2.0))) == 2.0 and float(v) == 1.0
    assert float(f(tf.constant(-2.0))) == 2.0 and float(v) == 0.0
    assert float(f(tf.constant(3.0))) == 3.0 and float(v) == 1.0


def test_tfs_errors_for_what_cannot_be_traced():
    @tf.function
    def undefined(x):
        if x > 0:
            y = x
        return y

    with pytest.raises(ValueError, match="'y' must also be initialized in the else branch"):
        undefined(tf.constant(1.0))

    @tf.function
    def one_return(x):
        if x > 0:
            return x

    with pytest.raises(ValueError, match="the else branch must also have a return statement."):
        one_return(tf.constant(1.0))

    @tf.function
    def ret_in_loop(x):
        for v in x:
            if v > 2:
                return v
        return -1.0

    with pytest.raises(NotImplementedError, match="a return statement cannot be placed inside "
                                                  "this TensorFlow loop"):
        ret_in_loop(tf.constant([1.0, 3.0]))

    @tf.function
    def grows(x):
        return tf.while_loop(lambda v: tf.reduce_sum(v) < 10, lambda v: tf.concat([v, v], 0),
                             [x])

    with pytest.raises(ValueError, match=r"enters the loop with shape \(1,\), but has shape "
                                         r"\(2,\) after one iteration. To allow the shape to "
                                         "vary across iterations, use the `shape_invariants`"):
        grows(tf.constant([1.0]))

    @tf.function
    def retype(x):
        return tf.while_loop(lambda v: v < 10, lambda v: tf.cast(v, tf.float64), [x])

    with pytest.raises(TypeError, match="enters the loop with type tf.float32 but has type "
                                        "tf.float64 after 1 iteration"):
        retype(tf.constant(1.0))

    @tf.function
    def mismatch(x):
        return tf.cond(x > 0, lambda: x, lambda: tf.cast(x, tf.int32))

    with pytest.raises(TypeError, match="true_fn and false_fn arguments to tf.cond must have "
                                        "the same number, type, and overall structure"):
        mismatch(tf.constant(1.0))

    @tf.function
    def leak(x):
        items = []
        for i in tf.range(3):
            items.append(i)
        return items

    with pytest.raises(ValueError, match="is out of scope and cannot be used here"):
        leak(tf.constant(1.0))  # TF 2.21: InaccessibleTensorError (a ValueError)


def test_autograph_false_keeps_python_semantics():
    @tf.function(autograph=False)
    def f(x):
        if x > 0:
            return x
        return -x

    with pytest.raises(tf.errors.OperatorNotAllowedInGraphError):  # TF 2.21's error
        f(tf.constant(-2.0))


def test_tf_cond_and_while_loop_traced_directly():
    def g(n):
        _, s = tf.while_loop(lambda i, s: i < n, lambda i, s: (i + 1, s + i), (0, 0))
        return tf.cond(s > 10, lambda: s * 2, lambda: s)

    out, c = traced_and_eager(g, (5,), (10,), (0,))
    assert out == [10, 90, 0]
    kinds = [s.target.kind for s in c.plan.steps if s.kind == "control"]
    assert kinds == ["while", "cond"]
    assert c.plan.steps[-1].host_side_effect  # control flow reads its predicate on the host


def test_gradients_inside_a_function_with_python_control_flow():
    w = tf.Variable(2.0)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            y = w * x
            if x > 0:  # under a tape: runs as Python, the function falls back to eager
                y = y * 3.0
        return tape.gradient(y, w)

    assert float(step(tf.constant(1.0))) == 3.0
    assert float(step(tf.constant(-1.0))) == -1.0  # never the stale branch


def test_functions_sharing_code_keep_their_own_closures():
    def make(scale):
        def f(x):
            if x > 0:
                return x * scale
            return x
        return tf.function(f)

    f2, f3 = make(2.0), make(3.0)
    assert float(f2(tf.constant(1.0))) == 2.0
    assert float(f3(tf.constant(1.0))) == 3.0  # one converted code, each its own closure
