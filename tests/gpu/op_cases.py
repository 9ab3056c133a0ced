"""Op-by-op cases shared by the device tests: the stand-in GPU on CPU (tests/test_placement.py)
and real CUDA (tests/gpu/test_gpu_ops.py). Each case computes one op from float32 inputs;
the tests compare its value and its gradient with respect to every float input between the
host and the device."""
import numpy as np

import tapeflow as tf

_rng = np.random.default_rng(7)


def r(*shape, lo=-1.0, hi=1.0):
    return _rng.uniform(lo, hi, shape).astype(np.float32)


def pos(*shape):
    return r(*shape, lo=0.2, hi=1.5)


def ints(*shape, n=3):
    return _rng.integers(0, n, shape).astype(np.int32)


class Case:
    def __init__(self, name, fn, *inputs, grad=True):
        self.name, self.fn, self.inputs, self.grad = name, fn, inputs, grad

    def __repr__(self):
        return self.name


def _cases():
    a, b, m = r(3, 4), r(3, 4), r(4, 5)
    img, ker = r(2, 6, 6, 3), r(3, 3, 3, 4)
    spd = (lambda q: (q @ q.T + 3 * np.eye(3)).astype(np.float32))(r(3, 3))
    unary = ["abs", "exp", "expm1", "sin", "cos", "tanh", "sigmoid", "square", "negative",
             "sign", "floor", "ceil", "round", "atan", "asinh", "sinh", "cosh", "erf",
             "softplus", "log_sigmoid", "is_nan", "is_finite"]
    cases = [Case(f"math.{u}", getattr(tf.math, u), a, grad=u not in ("is_nan", "is_finite",
                                                                      "sign", "floor", "ceil",
                                                                      "round"))
             for u in unary]
    cases += [Case(f"math.{u}", getattr(tf.math, u), pos(3, 4))
              for u in ("log", "sqrt", "rsqrt", "reciprocal", "log1p")]
    cases += [Case(f"math.{u}", getattr(tf.math, u), r(3, 4, lo=-0.9, hi=0.9))
              for u in ("asin", "acos", "atanh", "tan")]
    binary = ["add", "subtract", "multiply", "maximum", "minimum", "squared_difference",
              "greater", "less_equal", "equal"]
    cases += [Case(f"math.{o}", getattr(tf.math, o), a, b,
                   grad=o not in ("greater", "less_equal", "equal")) for o in binary]
    cases += [
        Case("divide", tf.math.divide, a, pos(3, 4)),
        Case("pow", tf.math.pow, pos(3, 4), b),
        Case("xlogy", tf.math.xlogy, a, pos(3, 4)),
        Case("divide_no_nan", tf.math.divide_no_nan, a, pos(3, 4)),
        Case("floormod", tf.math.floormod, a, pos(3, 4), grad=False),
        Case("operators", lambda x, y: (x + 1.5) * y - x / 2.0 + 2.0 ** y - (-x) ** 2, a, b),
        Case("broadcast_add", tf.add, a, r(4)),
        Case("add_n", lambda x, y: tf.add_n([x, y, x]), a, b),
        Case("clip_by_value", lambda x: tf.clip_by_value(x, -0.5, 0.5), a),
        Case("where", lambda x, y: tf.where(x > 0, x, y), a, b),
        Case("cast", lambda x: tf.cast(tf.cast(x * 10, tf.int32), tf.float32), a, grad=False),
        Case("cumsum", lambda x: tf.cumsum(x, axis=1), a),
        Case("cumprod", lambda x: tf.math.cumprod(x, axis=0), a),
        Case("reduce_sum", lambda x: tf.reduce_sum(x, axis=0), a),
        Case("reduce_mean", lambda x: tf.reduce_mean(x), a),
        Case("reduce_max", lambda x: tf.reduce_max(x, axis=1, keepdims=True), a),
        Case("reduce_min", lambda x: tf.reduce_min(x, axis=1), a),
        Case("reduce_prod", lambda x: tf.reduce_prod(x, axis=1), a),
        Case("reduce_std", lambda x: tf.math.reduce_std(x, axis=0), a),
        Case("reduce_variance", lambda x: tf.math.reduce_variance(x), a),
        Case("reduce_logsumexp", lambda x: tf.reduce_logsumexp(x, axis=1), a),
        Case("reduce_euclidean_norm", lambda x: tf.math.reduce_euclidean_norm(x, 1), a),
        Case("argmax", lambda x: tf.argmax(x, axis=1), a, grad=False),
        Case("argmin", lambda x: tf.argmin(x, axis=0), a, grad=False),
        Case("reduce_any", lambda x: tf.reduce_any(x > 0.5, axis=1), a, grad=False),
        Case("count_nonzero", lambda x: tf.math.count_nonzero(x > 0), a, grad=False),
        Case("top_k", lambda x: tf.math.top_k(x, 2).values, a),
        Case("sort", lambda x: tf.sort(x, axis=1), a),
        Case("argsort", lambda x: tf.argsort(x, axis=1), a, grad=False),
        Case("matmul", tf.matmul, a, m),
        Case("matmul_t", lambda x, y: tf.matmul(x, y, transpose_b=True), a, b),
        Case("batch_matmul", tf.matmul, r(2, 3, 4), r(2, 4, 2)),
        Case("einsum", lambda x, y: tf.einsum("ij,jk->ik", x, y), a, m),
        Case("tensordot", lambda x, y: tf.tensordot(x, y, 1), a, m),
        Case("norm", lambda x: tf.norm(x), a),
        Case("linalg.inv", tf.linalg.inv, spd),
        Case("linalg.det", tf.linalg.det, spd),
        Case("linalg.cholesky", tf.linalg.cholesky, spd),
        Case("linalg.solve", tf.linalg.solve, spd, r(3, 2)),
        Case("linalg.trace", tf.linalg.trace, spd),
        Case("linalg.diag_part", tf.linalg.diag_part, spd),
        Case("reshape", lambda x: tf.reshape(x, (2, 6)), a),
        Case("transpose", tf.transpose, a),
        Case("expand_squeeze", lambda x: tf.squeeze(tf.expand_dims(x, 0), 0), a),
        Case("concat", lambda x, y: tf.concat([x, y], axis=0), a, b),
        Case("stack", lambda x, y: tf.stack([x, y], axis=1), a, b),
        Case("unstack", lambda x: tf.unstack(x)[1], a),
        Case("split", lambda x: tf.split(x, 2, axis=1)[1], a),
        Case("tile", lambda x: tf.tile(x, [2, 1]), a),
        Case("repeat", lambda x: tf.repeat(x, 2, axis=0), a),
        Case("pad", lambda x: tf.pad(x, [[1, 0], [0, 2]]), a),
        Case("pad_reflect", lambda x: tf.pad(x, [[1, 1], [1, 1]], mode="REFLECT"), a),
        Case("reverse", lambda x: tf.reverse(x, [1]), a),
        Case("roll", lambda x: tf.roll(x, 1, axis=1), a),
        Case("broadcast_to", lambda x: tf.broadcast_to(x, (2, 3, 4)), a),
        Case("slice", lambda x: tf.slice(x, [1, 1], [2, 2]), a),
        Case("getitem", lambda x: x[1:, ::2] + x[0, :2], a),
        Case("getitem_newaxis", lambda x: x[:, None, 1], a),
        Case("gather", lambda x: tf.gather(x, [2, 0, 2]), a),
        Case("gather_axis1", lambda x: tf.gather(x, [[1, 3], [0, 0]], axis=1), a),
        Case("gather_nd", lambda x: tf.gather_nd(x, [[0, 1], [2, 3], [0, 1]]), a),
        Case("boolean_mask", lambda x: tf.boolean_mask(x, x > 0), a),
        Case("one_hot", lambda x: tf.one_hot(tf.argmax(x, 1), 4) * x, a),
        Case("scatter_nd", lambda x: tf.scatter_nd([[0], [2], [0]], x, (4, 4)), a),
        Case("tensor_scatter_nd_add",
             lambda x, y: tf.tensor_scatter_nd_add(x, [[0], [0]], y[:2]), a, b),
        Case("tensor_scatter_nd_update",
             lambda x, y: tf.tensor_scatter_nd_update(x, [[1]], y[:1]), a, b),
        Case("tensor_scatter_nd_sub",
             lambda x, y: tf.tensor_scatter_nd_sub(x, [[0], [0]], y[:2]), a, b),
        Case("tensor_scatter_nd_min",
             lambda x, y: tf.tensor_scatter_nd_min(x, [[0], [2], [0]], y[:3]), a, b),
        Case("tensor_scatter_nd_max",
             lambda x, y: tf.tensor_scatter_nd_max(x, [[1, 2], [0, 0], [1, 2]], y[0, :3]), a, b),
        Case("unique", lambda x: tf.unique(tf.reshape(tf.cast(x > 0, tf.int32), [-1])).y, a,
             grad=False),
        Case("zeros_ones_like", lambda x: tf.zeros_like(x) + tf.ones_like(x) * x, a),
        Case("fill_range_eye", lambda x: x + tf.fill([3, 4], 2.0) + tf.eye(3, 4)
             + tf.cast(tf.range(4), tf.float32) + tf.linspace(0.0, 1.0, 4), a),
        Case("stop_gradient", lambda x: tf.stop_gradient(x) * x, a),
        Case("relu", tf.nn.relu, a),
        Case("relu6", lambda x: tf.nn.relu6(x * 8), a),
        Case("leaky_relu", tf.nn.leaky_relu, a),
        Case("elu", tf.nn.elu, a),
        Case("selu", tf.nn.selu, a),
        Case("gelu", tf.nn.gelu, a),
        Case("silu", tf.nn.silu, a),
        Case("softsign", tf.nn.softsign, a),
        Case("softmax", tf.nn.softmax, a),
        Case("log_softmax", tf.nn.log_softmax, a),
        Case("l2_normalize", lambda x: tf.nn.l2_normalize(x, 1), a),
        Case("bias_add", tf.nn.bias_add, a, r(4)),
        Case("moments", lambda x: tf.add_n(list(tf.nn.moments(x, [0]))), a),
        Case("batch_normalization", lambda x, s: tf.nn.batch_normalization(
            x, tf.reduce_mean(x, 0), tf.math.reduce_variance(x, 0), s, s, 1e-3), a, r(4)),
        Case("softmax_xent", lambda x, y: tf.nn.softmax_cross_entropy_with_logits(
            tf.nn.softmax(y), x), a, b),
        Case("sparse_softmax_xent", lambda x: tf.nn.sparse_softmax_cross_entropy_with_logits(
            tf.constant([0, 3, 1]), x), a),
        Case("sigmoid_xent", lambda x, y: tf.nn.sigmoid_cross_entropy_with_logits(
            tf.sigmoid(y), x), a, b),
        Case("l2_loss", tf.nn.l2_loss, a),
        Case("conv2d", lambda x, k: tf.nn.conv2d(x, k, 1, "SAME"), img, ker),
        Case("conv2d_stride_valid", lambda x, k: tf.nn.conv2d(x, k, 2, "VALID"), img, ker),
        Case("conv2d_transpose", lambda x, k: tf.nn.conv2d_transpose(
            x, k, (2, 12, 12, 3), 2, "SAME"), r(2, 6, 6, 4), ker),
        Case("depthwise_conv2d", lambda x, k: tf.nn.depthwise_conv2d(
            x, k, [1, 1, 1, 1], "SAME"), img, r(3, 3, 3, 2)),
        Case("conv1d", lambda x, k: tf.nn.conv1d(x, k, 1, "SAME"), r(2, 8, 3), r(3, 3, 2)),
        Case("max_pool2d", lambda x: tf.nn.max_pool2d(x, 2, 2, "VALID"), img),
        Case("avg_pool2d", lambda x: tf.nn.avg_pool2d(x, 3, 2, "SAME"), img),
        Case("embedding_lookup", lambda x: tf.nn.embedding_lookup(x, [[0, 2], [1, 1]]), a),
    ]
    return cases


CASES = _cases()


def run_case(case, arrays):
    """The op's value and the gradients of sum(value * weights) for every float input, as
    host NumPy arrays. ``arrays`` are the inputs (placed wherever the caller's scope says)."""
    xs = [tf.constant(v) for v in arrays]
    with tf.GradientTape() as tape:
        for x in xs:
            tape.watch(x)
        y = case.fn(*xs)
        if case.grad:
            w = tf.constant(np.linspace(0.5, 1.5, int(np.prod(y.shape)))
                            .astype(np.float32).reshape(y.shape))
            loss = tf.reduce_sum(y * w)
    grads = tape.gradient(loss, xs) if case.grad else []
    return y.numpy(), [None if g is None else g.numpy() for g in grads], y.device, \
        [None if g is None else g.device for g in grads]
