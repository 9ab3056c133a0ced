"""Every differentiable core op (math, reductions, shape ops, matmul) against float64 central
finite differences, from one declarative table; a few also to second order."""
import numpy as np
import pytest

import tapeflow as tf
from gradcheck import check_grad

rng = np.random.default_rng(42)


def pos(*shape):
    return rng.uniform(0.5, 2.0, size=shape)


def any_(*shape):
    return rng.normal(size=shape)


def unit(*shape):
    return rng.uniform(-0.8, 0.8, size=shape)


def away_from_zero(*shape):
    return rng.choice([-1, 1], size=shape) * rng.uniform(0.3, 2.0, size=shape)


UNARY = [
    ("negative", tf.negative, any_), ("abs", tf.abs, away_from_zero), ("exp", tf.exp, any_),
    ("expm1", tf.math.expm1, any_), ("log", tf.math.log, pos), ("log1p", tf.math.log1p, pos),
    ("sqrt", tf.sqrt, pos), ("rsqrt", tf.math.rsqrt, pos), ("square", tf.square, any_),
    ("reciprocal", tf.math.reciprocal, pos), ("sin", tf.sin, any_), ("cos", tf.cos, any_),
    ("tan", tf.tan, unit), ("asin", tf.asin, unit), ("acos", tf.acos, unit),
    ("atan", tf.atan, any_), ("sinh", tf.sinh, any_), ("cosh", tf.cosh, any_),
    ("tanh", tf.tanh, any_), ("asinh", tf.asinh, any_), ("atanh", tf.atanh, unit),
    ("sigmoid", tf.sigmoid, any_), ("erf", tf.math.erf, any_), ("identity", tf.identity, any_),
    ("log_sigmoid", tf.math.log_sigmoid, any_), ("cast64", lambda x: tf.cast(x, tf.float64),
                                                 any_),
]


@pytest.mark.parametrize("name,fn,gen", UNARY, ids=[u[0] for u in UNARY])
def test_unary_gradients(name, fn, gen):
    check_grad(fn, gen(3, 4))


BINARY = [
    ("add", tf.add, any_, any_), ("subtract", tf.subtract, any_, any_),
    ("multiply", tf.multiply, any_, any_), ("divide", tf.divide, any_, pos),
    ("pow", tf.pow, pos, any_), ("maximum", tf.maximum, any_, any_),
    ("minimum", tf.minimum, any_, any_), ("squared_difference", tf.math.squared_difference,
                                          any_, any_),
    ("floormod", tf.math.floormod, pos, pos), ("xlogy", tf.math.xlogy, pos, pos),
    ("divide_no_nan", tf.math.divide_no_nan, any_, pos),
]


@pytest.mark.parametrize("name,fn,ga,gb", BINARY, ids=[b[0] for b in BINARY])
def test_binary_gradients_with_broadcasting(name, fn, ga, gb):
    check_grad(fn, ga(2, 3), gb(3))
    check_grad(fn, ga(2, 1), gb(1, 3))


def test_operator_gradients_with_python_scalars():
    check_grad(lambda x: 3.0 * x - 1.0, any_(4))
    check_grad(lambda x: 2.0 / x + x**3 + x**2, pos(4))
    check_grad(lambda x: 2.0**x, any_(4))


REDUCTIONS = [
    ("sum", tf.reduce_sum), ("mean", tf.reduce_mean), ("max", tf.reduce_max),
    ("min", tf.reduce_min), ("prod", tf.reduce_prod), ("logsumexp", tf.reduce_logsumexp),
    ("std", tf.math.reduce_std), ("variance", tf.math.reduce_variance),
    ("euclidean_norm", tf.math.reduce_euclidean_norm),
]


@pytest.mark.parametrize("name,fn", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@pytest.mark.parametrize("axis,keepdims", [(None, False), (1, False), ([0, 2], True), (-1, True)])
def test_reduction_gradients(name, fn, axis, keepdims):
    check_grad(lambda x: fn(x, axis=axis, keepdims=keepdims), any_(2, 3, 4))


def test_prod_gradient_with_a_zero():
    x = any_(2, 3)
    x[0, 1] = 0.0
    check_grad(lambda t: tf.reduce_prod(t, axis=1), x)


def test_max_gradient_splits_ties():
    x = tf.constant([[1.0, 3.0, 3.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_max(x)
    assert tape.gradient(y, x).numpy().tolist() == [[0.0, 0.5, 0.5]]


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumulative_gradients(exclusive, reverse):
    check_grad(lambda x: tf.cumsum(x, axis=1, exclusive=exclusive, reverse=reverse), any_(2, 4))
    check_grad(lambda x: tf.math.cumprod(x, axis=1, exclusive=exclusive, reverse=reverse),
               pos(2, 4))


SHAPE_OPS = [
    ("reshape", lambda x: tf.reshape(x, [4, -1])),
    ("transpose", lambda x: tf.transpose(x, [2, 0, 1])),
    ("transpose_default", lambda x: tf.transpose(x)),
    ("expand_dims", lambda x: tf.expand_dims(x, 1)),
    ("squeeze", lambda x: tf.squeeze(tf.expand_dims(x, 0), 0)),
    ("concat", lambda x: tf.concat([x, x * 2.0], axis=1)),
    ("stack", lambda x: tf.stack([x, x * 3.0], axis=-1)),
    ("broadcast_to", lambda x: tf.broadcast_to(x[:, :1], [2, 5, 4])),
    ("getitem", lambda x: x[1, ::2, 1:3]),
    ("getitem_newaxis", lambda x: x[..., None, 0]),
    ("slice", lambda x: tf.slice(x, [0, 1, 1], [2, 1, -1])),
    ("where", lambda x: tf.where(x > 0, x * 2.0, x * x)),
    ("clip", lambda x: tf.clip_by_value(x, -0.5, 0.5)),
]


@pytest.mark.parametrize("name,fn", SHAPE_OPS, ids=[s[0] for s in SHAPE_OPS])
def test_shape_op_gradients(name, fn):
    x = any_(2, 3, 4)
    x[np.abs(np.abs(x) - 0.5) < 0.05] = 0.9  # keep away from clip kinks
    x[np.abs(x) < 0.05] = 0.3
    check_grad(fn, x)


@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
def test_matmul_gradients(ta, tb):
    a = any_(3, 2) if ta else any_(2, 3)
    b = any_(4, 3) if tb else any_(3, 4)
    check_grad(lambda p, q: tf.matmul(p, q, transpose_a=ta, transpose_b=tb), a, b)


def test_batched_matmul_gradient_broadcasts_batch():
    check_grad(lambda p, q: p @ q, any_(2, 3), any_(5, 3, 2))


def test_second_order_gradients():
    check_grad(lambda x: tf.exp(x) * tf.sin(x), any_(3), second_order=True)
    check_grad(lambda x, y: tf.reduce_sum(x * y, axis=0) / (1.0 + x[0] * x[0]), any_(2, 3),
               any_(3), second_order=True)
    check_grad(lambda a, b: tf.matmul(a, b), any_(2, 3), any_(3, 2), second_order=True)
    check_grad(lambda x: tf.reduce_logsumexp(x, axis=1), any_(2, 3), second_order=True)
