"""The first half of the workshop (../shared/seed) as tests: the values it prints where they
are deterministic, and the behaviour it relies on where they are random."""
import numpy as np
import pytest

import tapeflow as tf

SEED_RANGE = [
    1.0, 1.1, 1.2, 1.3000001, 1.4000001, 1.5000001, 1.6000001, 1.7000002, 1.8000002, 1.9000002,
    2.0000002, 2.1000001, 2.2, 2.3, 2.3999999, 2.4999998, 2.5999997, 2.6999996, 2.7999995,
    2.8999994, 2.9999993, 3.0999992, 3.199999, 3.299999, 3.399999, 3.4999988, 3.5999987,
    3.6999986, 3.7999985, 3.8999984, 3.9999983, 4.0999985, 4.1999984, 4.2999983, 4.399998,
    4.499998, 4.599998, 4.699998, 4.799998, 4.8999977,
]


def mse(y_true, y_pred):
    return tf.reduce_mean((y_true - y_pred) ** 2)


def test_range_prints_the_seeds_values():
    x = tf.range(1.0, 5.0, 0.1)
    assert x.shape == (40,) and x.dtype == tf.float32
    np.testing.assert_array_equal(x.numpy(), np.array(SEED_RANGE, dtype=np.float32))
    assert repr(x).endswith("4.799998 , 4.8999977], dtype=float32)>")


def test_seed_tensor_section():
    x = tf.convert_to_tensor([1, 2, 3, 4])
    assert repr(2 * x + 1) == ("<tf.Tensor: shape=(4,), dtype=int32, "
                               "numpy=array([3, 5, 7, 9], dtype=int32)>")
    matrix = tf.Variable([[1, 1, 1, 1], [4, 4, 4, 4], [5, 5, 5, 5]])
    assert (matrix + x).numpy().tolist() == [[2, 3, 4, 5], [5, 6, 7, 8], [6, 7, 8, 9]]


@pytest.fixture
def data():
    tf.random.set_seed(0)
    x = tf.range(1.0, 5.0, 0.1)
    y = 3.5 * x - 1 + tf.random.uniform(shape=(40,), minval=-1, maxval=1, dtype=tf.float32)
    return x, y


def test_untrained_line_and_closed_form(data):
    x, y = data
    m = tf.Variable(1, dtype=tf.float32)
    b = tf.Variable(0, dtype=tf.float32)
    y_pred = x * m + b
    np.testing.assert_array_equal(y_pred.numpy(), x.numpy())
    sxx = tf.reduce_mean((x - tf.reduce_mean(x)) ** 2)
    sxy = tf.reduce_mean((x - tf.reduce_mean(x)) * (y - tf.reduce_mean(y)))
    m.assign(sxy / sxx)
    b.assign(tf.reduce_mean(y) - m * tf.reduce_mean(x))
    loss = mse(y, x * m + b)
    # uniform(-1, 1) noise: the fit is within noise of y = 3.5x - 1 and the loss ~ 1/3
    assert abs(float(m) - 3.5) < 0.35 and abs(float(b) + 1.0) < 1.0
    assert 0.15 < float(loss) < 0.6
    np.testing.assert_allclose(float(m), np.polyfit(x.numpy(), y.numpy(), 1)[0], rtol=1e-4)


def test_gradient_descent_loss_goes_down(data):
    x, y = data
    m = tf.Variable(1, dtype=tf.float32)
    b = tf.Variable(0, dtype=tf.float32)
    with tf.GradientTape() as tape:
        loss = mse(y_true=y, y_pred=x * m + b)
    gm, gb = tape.gradient(loss, [m, b])
    # analytic gradients of the MSE at m=1, b=0
    r = (x * 1.0 - y).numpy().astype(np.float64)
    np.testing.assert_allclose(float(gm), 2 * np.mean(r * x.numpy()), rtol=1e-5)
    np.testing.assert_allclose(float(gb), 2 * np.mean(r), rtol=1e-5)
    losses = []
    for _ in range(100):
        with tf.GradientTape() as tape:
            loss = mse(y_true=y, y_pred=x * m + b)
        gradient = tape.gradient(loss, [m, b])
        m.assign_sub(0.05 * gradient[0])
        b.assign_sub(0.05 * gradient[1])
        losses.append(float(loss))
    assert losses[0] > 40 and losses[-1] < 0.7
    assert all(a >= c for a, c in zip(losses[1::10], losses[11::10]))


def test_linear_class_with_matmul_and_hand_softmax_overflow():
    class Linear:
        def __init__(self, input_length, output_length):
            self.W = tf.Variable(tf.ones([input_length, output_length]))
            self.b = tf.Variable(tf.zeros(output_length))
            self.trainable_variables = [self.W, self.b]

        def __call__(self, x):
            return x @ self.W + self.b

    x = tf.constant(np.linspace(0, 1, 5 * 784, dtype=np.float32).reshape(5, 784)) * 0.3
    logits = Linear(784, 10)(x)
    assert logits.shape == (5, 10)
    hand = tf.math.exp(logits) / tf.reduce_sum(tf.math.exp(logits))
    assert np.isnan(hand.numpy()).any()  # the seed's overflow
    p = tf.nn.softmax(logits)
    assert np.isfinite(p.numpy()).all()
    np.testing.assert_allclose(tf.reduce_sum(p, axis=1).numpy(), 1.0, rtol=1e-6)
    y = tf.one_hot([1, 0, 3, 9, 2], depth=10)
    ce = -tf.reduce_sum(y * tf.math.log(p), axis=1)
    np.testing.assert_allclose(ce.numpy(), np.log(10.0), rtol=1e-6)
    eq = tf.math.argmax(p, axis=1) == tf.math.argmax(y, axis=1)
    assert eq.dtype == tf.bool and float(tf.reduce_mean(tf.cast(eq, tf.float32))) == np.float32(0.2)
