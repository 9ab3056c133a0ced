"""Typical ``tf.function`` code, as the workshop's training loops and TF's guides on
tf.function, AutoGraph and graphs teach it (written for tapeflow, not copied): each snippet
is run traced and eagerly; it *traces* when every call replays its plan (no eager fallback),
results equal eager, and the trace count is TF's.

    PYTHONPATH=. python tests/function_snippets.py     # prints which trace and the count
"""
import logging

import numpy as np

import tapeflow as tf


def _data(n=64, d=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (x @ np.arange(1, d + 1, dtype=np.float32) > 0).astype(np.float32)
    return tf.constant(x), tf.constant(y)


def workshop_linear_regression():
    x = tf.range(1.0, 5.0, 0.1)
    y = 3.5 * x - 1.0
    m, b = tf.Variable(1.0), tf.Variable(0.0)

    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((y - (x * m + b)) ** 2)
        gm, gb = tape.gradient(loss, [m, b])
        m.assign_sub(0.05 * gm)
        b.assign_sub(0.05 * gb)
        return loss

    return step, [()] * 5


def workshop_logistic_regression():
    x, y = _data()
    w, b = tf.Variable(tf.zeros([3, 1])), tf.Variable(0.0)

    def step():
        with tf.GradientTape() as tape:
            logits = tf.squeeze(x @ w, 1) + b
            loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(y, logits))
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(0.5 * gw)
        b.assign_sub(0.5 * gb)
        return loss

    return step, [()] * 5


def workshop_neural_network():
    tf.random.set_seed(0)  # the eager copy gets the same initial weights
    x, y = _data()
    layers = [tf.keras.layers.Dense(8, activation="relu"), tf.keras.layers.Dense(1)]
    opt = tf.keras.optimizers.SGD(0.1)
    h = x
    for layer in layers:  # built now, from the seed (the eager copy builds the same)
        h = layer(h)

    def step(xb, yb):
        with tf.GradientTape() as tape:
            h = xb
            for layer in layers:
                h = layer(h)
            loss = tf.reduce_mean(tf.keras.losses.binary_crossentropy(
                yb[:, None], h, from_logits=True))
        vs = [v for layer in layers for v in layer.trainable_variables]
        opt.apply_gradients(zip(tape.gradient(loss, vs), vs))
        return loss

    return step, [(x, y)] * 4


def workshop_keras_fit():
    x, y = _data()
    model = tf.keras.Sequential([tf.keras.layers.Dense(4, activation="relu"),
                                 tf.keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])

    def fit_once():
        hist = model.fit(x.numpy(), y.numpy(), epochs=1, batch_size=32, verbose=0)
        return tf.constant(hist.history["loss"][-1])

    return fit_once, None  # checked through the model's own traced step


def guide_relu_with_if():
    def relu(x):
        if tf.greater(x, 0):
            return x
        return tf.constant(0.0)

    return relu, [(tf.constant(2.0),), (tf.constant(-3.0),)]


def guide_dense_module():
    class Dense(tf.Module):
        def __init__(self, i, o):
            super().__init__()
            self.w = tf.Variable(tf.ones([i, o]))
            self.b = tf.Variable(tf.zeros([o]))

        def __call__(self, x):
            return tf.nn.relu(x @ self.w + self.b)

    layer = Dense(3, 2)
    return layer.__call__, [(tf.ones([1, 3]),), (tf.ones([1, 3]) * 2.0,)]


def guide_retrace_python_arg():
    def power(x, n):
        return x ** n

    return power, [(tf.constant(2.0), 2), (tf.constant(3.0), 2), (tf.constant(2.0), 3)]


def guide_input_signature_none():
    def next_collatz(x):
        return tf.where(x % 2 == 0, x // 2, 3 * x + 1)

    f = tf.function(next_collatz, input_signature=[tf.TensorSpec([None], tf.int32)])
    return f, [(tf.constant([1, 2]),), (tf.constant([1, 2, 3, 4]),)]


def guide_tf_print_each_call():
    def f(x):
        tf.print("x =", x)
        return x + 1

    return f, [(tf.constant(1),), (tf.constant(2),)]


def guide_sum_loop_range():
    def total(n):
        s = tf.constant(0)
        for i in tf.range(n):
            s += i
        return s

    return total, [(tf.constant(5),), (tf.constant(10),)]


def guide_while_collatz_steps():
    def steps(n):
        k = tf.constant(0)
        while n > 1:
            n = tf.where(n % 2 == 0, n // 2, 3 * n + 1)
            k += 1
        return k

    return steps, [(tf.constant(6),), (tf.constant(27),)]


def guide_tensor_array_accumulate():
    def running(x):
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        acc = tf.constant(0.0)
        for i in tf.range(tf.shape(x)[0]):
            acc += x[i]
            ta = ta.write(i, acc)
        return ta.stack()

    return running, [(tf.constant([1.0, 2.0, 3.0]),), (tf.constant([4.0, 5.0]),)]


def guide_rnn_loop_over_time():
    cell = tf.Variable(tf.eye(2) * 0.5)

    def rnn(xs):
        state = tf.zeros([2])
        for x in xs:
            state = tf.tanh(tf.linalg.matvec(cell, state) + x)
        return state

    return rnn, [(tf.ones([3, 2]),), (tf.ones([3, 2]) * 0.5,)]


def guide_break_search():
    def first_negative(x):
        found = tf.constant(-1)
        for i in tf.range(tf.shape(x)[0]):
            if x[i] < 0:
                found = i
                break
        return found

    return first_negative, [(tf.constant([1.0, -2.0, -3.0]),), (tf.constant([1.0, 2.0, 3.0]),)]


def guide_cond_explicit():
    def f(x):
        return tf.cond(tf.reduce_sum(x) > 0, lambda: x * 2.0, lambda: x - 1.0)

    return f, [(tf.constant([1.0, 2.0]),), (tf.constant([-5.0, 1.0]),)]


def guide_while_loop_explicit():
    def f(n):
        return tf.while_loop(lambda i, a: i < n, lambda i, a: (i + 1, a * 2), (0, 1))[1]

    return f, [(tf.constant(3),), (tf.constant(5),)]


def guide_variable_first_call():
    class Counter(tf.Module):
        def __init__(self):
            super().__init__()
            self.v = None

        def __call__(self, x):
            if self.v is None:
                self.v = tf.Variable(0.0)
            self.v.assign_add(x)
            return self.v.read_value()

    return Counter().__call__, [(tf.constant(1.0),), (tf.constant(2.0),)]


def guide_assign_in_loop():
    v = tf.Variable(1.0)

    def grow(n):
        for _ in tf.range(n):
            v.assign(v * 2.0)
        return v.read_value()

    return grow, [(tf.constant(3),), (tf.constant(1),)]


def guide_custom_gradient():
    @tf.custom_gradient
    def clipped(x):
        return tf.identity(x), lambda dy: tf.clip_by_value(dy, -0.5, 0.5)

    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(clipped(x) * 3.0)
        return tape.gradient(y, x)

    return step, [(tf.constant([1.0, 2.0]),), (tf.constant([3.0, 4.0]),)]


def guide_py_function():
    def f(x):
        return tf.py_function(lambda a: a * 10.0, [x], tf.float32) + 1.0

    return f, [(tf.constant(1.0),), (tf.constant(2.0),)]


def guide_nested_structures():
    def f(inputs):
        return {"sum": inputs["a"] + inputs["b"], "diff": inputs["a"] - inputs["b"]}

    return f, [({"a": tf.constant(1.0), "b": tf.constant(2.0)},),
               ({"a": tf.constant(3.0), "b": tf.constant(1.0)},)]


def guide_if_on_python_flag():
    def f(x, training):
        if training:
            return tf.nn.dropout(x, 0.0)
        return x

    return f, [(tf.ones([3]), True), (tf.ones([3]), False)]


def guide_loop_over_dataset():
    ds = tf.data.Dataset.range(4)

    def total():
        s = tf.constant(0, tf.int64)
        for x in ds:
            s += x
        return s

    return total, [(), ()]


def guide_nested_function_if():
    def helper(x):
        if x > 0:  # AutoGraph converts functions called from the traced one
            return x
        return -x

    def f(x):
        return helper(x) * 2.0

    return f, [(tf.constant(2.0),), (tf.constant(-3.0),)]


SNIPPETS = [workshop_linear_regression, workshop_logistic_regression, workshop_neural_network,
            workshop_keras_fit, guide_relu_with_if, guide_dense_module,
            guide_retrace_python_arg, guide_input_signature_none, guide_tf_print_each_call,
            guide_sum_loop_range, guide_while_collatz_steps, guide_tensor_array_accumulate,
            guide_rnn_loop_over_time, guide_break_search, guide_cond_explicit,
            guide_while_loop_explicit, guide_variable_first_call, guide_assign_in_loop,
            guide_custom_gradient, guide_py_function, guide_nested_structures,
            guide_if_on_python_flag, guide_loop_over_dataset, guide_nested_function_if]


class _Fallbacks(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        if "runs eagerly" in record.getMessage():
            self.messages.append(record.getMessage())


def _eager_copy(make):
    """A second, independent instance for the eager reference run."""
    fn, calls = make()
    return getattr(fn, "python_function", fn), calls


def run(make):
    """(traces, why not): traced results equal eager and no call fell back to eager."""
    handler = _Fallbacks()
    log = logging.getLogger("tapeflow")
    log.addHandler(handler)
    try:
        fn, calls = make()
        if calls is None:  # Keras fit: its own traced step
            fn()
            return True, ""
        traced = fn if hasattr(fn, "get_concrete_function") else tf.function(fn)
        eager_fn, _ = _eager_copy(make)
        for args in calls:
            got, want = traced(*args), eager_fn(*args)
            for g, w in zip(tf.nest.flatten(got), tf.nest.flatten(want)):
                if not np.allclose(np.asarray(g), np.asarray(w)):
                    return False, f"traced {g} != eager {w}"
    except Exception as e:  # a snippet failing is a finding, not a crash of the count
        return False, f"{type(e).__name__}: {e}"
    finally:
        log.removeHandler(handler)
    if handler.messages:
        return False, handler.messages[0]
    return True, ""


def main():
    ok = 0
    for make in SNIPPETS:
        traced, why = run(make)
        ok += traced
        print(f"{'traces ' if traced else 'EAGER  '} {make.__name__}" + (f"  ({why[:90]})"
                                                                        if why else ""))
    print(f"{ok} of {len(SNIPPETS)} snippets trace")
    return ok


if __name__ == "__main__":
    main()
