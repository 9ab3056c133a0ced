"""Convolution, pooling, batch normalisation and embedding ops: forward values against direct-loop
NumPy references, gradients against finite differences, TF's shape rules and errors, TF parity."""
import numpy as np
import pytest

import tapeflow as tf
from gradcheck import check_grad
from tapeflow.ops import conv as C
from tapeflow.ops import pooling as P
from tapeflow.ops.indexing import embedding_lookup

rng = np.random.default_rng(3)


def rand(*shape):
    return rng.normal(size=shape)


# -- independent references: direct loops over output pixels and kernel taps ---------------------
def ref_pads(n, k, s, d, padding):
    """Per-dimension (before, after) padding from TF's documented formulas."""
    eff = (k - 1) * d + 1
    if padding == "VALID":
        return 0, 0
    out = (n + s - 1) // s
    total = max((out - 1) * s + eff - n, 0)
    return total // 2, total - total // 2


def ref_conv2d(x, w, strides=(1, 1), dilations=(1, 1), padding="SAME"):
    """NHWC convolution (grouped when the input depth is a multiple of the filter's)."""
    n, h, wd, c = x.shape
    kh, kw, cg, co = w.shape
    groups = c // cg
    if isinstance(padding, str):
        (pt, pb), (pl, pr) = (ref_pads(h, kh, strides[0], dilations[0], padding),
                              ref_pads(wd, kw, strides[1], dilations[1], padding))
    else:
        (pt, pb), (pl, pr) = padding
    oh = (h + pt + pb - (kh - 1) * dilations[0] - 1) // strides[0] + 1
    ow = (wd + pl + pr - (kw - 1) * dilations[1] - 1) // strides[1] + 1
    og = co // groups
    y = np.zeros((n, max(oh, 0), max(ow, 0), co))
    for p in range(max(oh, 0)):
        for q in range(max(ow, 0)):
            for i in range(kh):
                for j in range(kw):
                    r = p * strides[0] - pt + i * dilations[0]
                    s = q * strides[1] - pl + j * dilations[1]
                    if 0 <= r < h and 0 <= s < wd:
                        for g in range(groups):
                            xin = x[:, r, s, g * cg:(g + 1) * cg]
                            y[:, p, q, g * og:(g + 1) * og] += xin @ w[i, j, :, g * og:(g + 1) * og]
    return y


def ref_depthwise(x, w, strides, padding, dilations=(1, 1)):
    n, h, wd, c = x.shape
    kh, kw, _, m = w.shape
    out = np.zeros(ref_conv2d(x[..., :1], w[:, :, :1, :1], strides, dilations, padding).shape[:3]
                   + (c * m,))
    for ch in range(c):
        for k in range(m):
            out[..., ch * m + k] = ref_conv2d(x[..., ch:ch + 1], w[:, :, ch:ch + 1, k:k + 1],
                                              strides, dilations, padding)[..., 0]
    return out


def ref_conv2d_transpose(x, w, out_shape, strides, padding):
    """Scatter each input pixel through the filter: the adjoint of ref_conv2d."""
    n, oh, ow, co = out_shape
    kh, kw = w.shape[:2]
    pt, _ = ref_pads(oh, kh, strides[0], 1, padding)
    pl, _ = ref_pads(ow, kw, strides[1], 1, padding)
    y = np.zeros(out_shape)
    for p in range(x.shape[1]):
        for q in range(x.shape[2]):
            for i in range(kh):
                for j in range(kw):
                    r, s = p * strides[0] - pt + i, q * strides[1] - pl + j
                    if 0 <= r < oh and 0 <= s < ow:
                        y[:, r, s, :] += x[:, p, q, :] @ w[i, j].T
    return y


def ref_pool(x, k, s, padding, how):
    n, h, wd, c = x.shape
    pt, _ = ref_pads(h, k[0], s[0], 1, padding)
    pl, _ = ref_pads(wd, k[1], s[1], 1, padding)
    oh = (h + s[0] - 1) // s[0] if padding == "SAME" else (h - k[0]) // s[0] + 1
    ow = (wd + s[1] - 1) // s[1] if padding == "SAME" else (wd - k[1]) // s[1] + 1
    y = np.zeros((n, oh, ow, c))
    for p in range(oh):
        for q in range(ow):
            r0, c0 = p * s[0] - pt, q * s[1] - pl
            win = x[:, max(r0, 0):r0 + k[0], max(c0, 0):c0 + k[1], :]
            y[:, p, q] = win.max(axis=(1, 2)) if how == "max" else win.mean(axis=(1, 2))
    return y


def ref_conv1d(x, w, stride, padding):
    return ref_conv2d(x[:, None], w[None], (1, stride), (1, 1), padding)[:, 0]


def close(a, b, tol=1e-10):
    np.testing.assert_allclose(np.asarray(a), b, rtol=tol, atol=tol)


# -- forward values -----------------------------------------------------------------------------
CONV_CASES = [
    # (input shape, filter shape, strides, dilations, padding)
    ((2, 7, 6, 3), (3, 3, 3, 4), (1, 1), (1, 1), "SAME"),
    ((2, 7, 6, 3), (3, 3, 3, 4), (1, 1), (1, 1), "VALID"),
    ((1, 7, 7, 2), (3, 2, 2, 3), (2, 2), (1, 1), "SAME"),
    ((1, 8, 9, 2), (2, 3, 2, 3), (3, 2), (1, 1), "SAME"),
    ((1, 10, 11, 2), (4, 4, 2, 3), (3, 3), (1, 1), "SAME"),
    ((1, 9, 8, 2), (3, 3, 2, 2), (3, 3), (1, 1), "VALID"),
    ((2, 9, 9, 2), (3, 3, 2, 3), (1, 1), (2, 2), "SAME"),
    ((1, 11, 10, 3), (3, 2, 3, 2), (1, 1), (2, 3), "VALID"),
    ((1, 9, 9, 2), (3, 3, 2, 2), (2, 2), (2, 2), "SAME"),
    ((2, 5, 5, 12), (3, 3, 12, 5), (1, 1), (1, 1), "SAME"),  # wide input: the (M, K) layout
    ((2, 5, 6, 6), (3, 3, 2, 6), (1, 1), (1, 1), "SAME"),  # grouped: 3 groups
    ((2, 6, 5, 3), (2, 3, 1, 6), (2, 1), (1, 1), "SAME"),  # one channel per group: depthwise
    ((1, 8, 7, 9), (3, 2, 9, 2), (1, 1), (2, 3), "VALID"),  # wide, dilated, stride 1
    ((1, 6, 6, 2), (1, 1, 2, 3), (2, 2), (1, 1), "VALID"),
]


@pytest.mark.parametrize("xs,ws,s,d,pad", CONV_CASES)
def test_conv2d_forward(xs, ws, s, d, pad):
    x, w = rand(*xs), rand(*ws)
    got = C.conv2d(x, w, list(s), pad, dilations=list(d))
    close(got, ref_conv2d(x, w, s, d, pad))


@pytest.mark.parametrize("xs,ws,s,d,pad", CONV_CASES[:9])
def test_conv2d_nchw_matches_nhwc(xs, ws, s, d, pad):
    x, w = rand(*xs), rand(*ws)
    got = C.conv2d(x.transpose(0, 3, 1, 2), w, [1, 1] + list(s), pad, data_format="NCHW",
                   dilations=[1, 1] + list(d))
    close(np.asarray(got).transpose(0, 2, 3, 1), ref_conv2d(x, w, s, d, pad))


def test_conv2d_explicit_padding():
    x, w = rand(1, 5, 6, 2), rand(3, 3, 2, 3)
    got = C.conv2d(x, w, [1, 2], [[0, 0], [2, 0], [1, 3], [0, 0]])
    close(got, ref_conv2d(x, w, (1, 2), (1, 1), ((2, 0), (1, 3))))
    got = C.conv2d(x.transpose(0, 3, 1, 2), w, 1, [[0, 0], [0, 0], [0, 1], [2, 2]],
                   data_format="NCHW")
    close(np.asarray(got).transpose(0, 2, 3, 1), ref_conv2d(x, w, (1, 1), (1, 1),
                                                             ((0, 1), (2, 2))))


def test_conv2d_float32_and_int32():
    x, w = rand(2, 6, 5, 3).astype(np.float32), rand(3, 3, 3, 4).astype(np.float32)
    got = C.conv2d(x, w, 2, "SAME")
    assert got.dtype == tf.float32
    close(got, ref_conv2d(x.astype(np.float64), w.astype(np.float64), (2, 2)), tol=1e-4)
    xi, wi = rng.integers(-3, 4, (1, 4, 4, 2)).astype(np.int32), rng.integers(
        -3, 4, (2, 2, 2, 3)).astype(np.int32)
    got = C.conv2d(xi, wi, 1, "VALID")
    assert got.dtype == tf.int32
    np.testing.assert_array_equal(got, ref_conv2d(xi, wi, padding="VALID").astype(np.int32))


def test_conv2d_chunked_batches_match(monkeypatch):
    x, w = rand(9, 6, 7, 3), rand(3, 3, 3, 4)
    whole = C.conv2d(x, w, 2, "SAME")
    with tf.GradientTape() as tape:
        xt = tf.constant(x)
        tape.watch(xt)
        wt = tf.constant(w)
        tape.watch(wt)
        gw = tape.gradient(C.conv2d(xt, wt, 2, "SAME"), [xt, wt])
    monkeypatch.setattr(C, "CHUNK_BYTES", 1000)  # one or two samples per chunk
    close(C.conv2d(x, w, 2, "SAME"), np.asarray(whole))
    with tf.GradientTape() as tape:
        tape.watch(xt)
        tape.watch(wt)
        gc = tape.gradient(C.conv2d(xt, wt, 2, "SAME"), [xt, wt])
    for a, b in zip(gc, gw):
        close(a, np.asarray(b))


def test_conv1d_forward():
    x, w = rand(2, 9, 3), rand(3, 3, 4)
    for stride, pad in [(1, "SAME"), (2, "SAME"), (3, "VALID")]:
        close(C.conv1d(x, w, stride, pad), ref_conv1d(x, w, stride, pad))
    got = C.conv1d(x.transpose(0, 2, 1), w, 2, "SAME", data_format="NCW")
    close(np.asarray(got).transpose(0, 2, 1), ref_conv1d(x, w, 2, "SAME"))
    d = C.conv1d(x, w, 1, "VALID", dilations=2)
    close(d, ref_conv2d(x[:, None], w[None], (1, 1), (1, 2), "VALID")[:, 0])


def test_convolution_dispatches_on_rank():
    x, w = rand(1, 6, 6, 2), rand(3, 3, 2, 2)
    close(C.convolution(x, w, padding="SAME"), ref_conv2d(x, w))
    close(C.convolution(x[:, 0], w[0], padding="VALID"), ref_conv1d(x[:, 0], w[0], 1, "VALID"))


@pytest.mark.parametrize("s,pad,d,m", [((1, 1), "SAME", (1, 1), 2), ((2, 2), "SAME", (1, 1), 1),
                                       ((1, 1), "VALID", (2, 2), 1), ((2, 2), "VALID", (1, 1), 3)])
def test_depthwise_forward(s, pad, d, m):
    x, w = rand(2, 7, 6, 3), rand(3, 3, 3, m)
    got = C.depthwise_conv2d(x, w, [1, s[0], s[1], 1], pad, dilations=list(d))
    close(got, ref_depthwise(x, w, s, pad, d))


def test_separable_forward():
    x, dw, pw = rand(1, 6, 6, 2), rand(3, 3, 2, 2), rand(1, 1, 4, 3)
    got = C.separable_conv2d(x, dw, pw, [1, 1, 1, 1], "SAME")
    close(got, ref_conv2d(ref_depthwise(x, dw, (1, 1), "SAME"), pw, padding="VALID"))


@pytest.mark.parametrize("out_hw,s,pad", [((10, 10), 2, "SAME"), ((9, 9), 2, "SAME"),
                                          ((11, 11), 2, "VALID"), ((5, 5), 1, "SAME"),
                                          ((15, 14), 3, "SAME")])
def test_conv2d_transpose_forward(out_hw, s, pad):
    x, w = rand(2, 5, 5, 3), rand(3, 3, 4, 3)
    shape = (2,) + out_hw + (4,)
    got = C.conv2d_transpose(x, w, shape, s, pad)
    close(got, ref_conv2d_transpose(x, w, shape, (s, s), pad))


def test_conv2d_transpose_is_the_adjoint_of_conv2d():
    x, w, g = rand(2, 9, 8, 3), rand(3, 3, 3, 4), None
    y = C.conv2d(x, w, 2, "SAME")
    g = rand(*y.shape)
    back = C.conv2d_transpose(g, w, x.shape, 2, "SAME")
    np.testing.assert_allclose(np.sum(np.asarray(y) * g), np.sum(np.asarray(back) * x))


def test_conv1d_transpose_forward():
    x, w = rand(2, 4, 3), rand(3, 5, 3)
    got = C.conv1d_transpose(x, w, [2, 8, 5], 2, "SAME")
    close(got, ref_conv2d_transpose(x[:, None], w[None], (2, 1, 8, 5), (1, 2), "SAME")[:, 0])


POOL_CASES = [((2, 2), (2, 2), "VALID"), ((3, 3), (2, 2), "SAME"), ((2, 3), (3, 2), "SAME"),
              ((3, 3), (1, 1), "SAME"), ((3, 2), (2, 3), "VALID"), ((4, 4), (3, 3), "SAME")]


@pytest.mark.parametrize("k,s,pad", POOL_CASES)
def test_pool2d_forward(k, s, pad):
    x = rand(2, 7, 8, 3)
    close(P.max_pool2d(x, list(k), list(s), pad), ref_pool(x, k, s, pad, "max"))
    close(P.avg_pool2d(x, list(k), list(s), pad), ref_pool(x, k, s, pad, "avg"))
    nchw = x.transpose(0, 3, 1, 2)
    got = P.max_pool2d(nchw, list(k), list(s), pad, data_format="NCHW")
    close(np.asarray(got).transpose(0, 2, 3, 1), ref_pool(x, k, s, pad, "max"))


def test_pool1d_and_generic_pool():
    x = rand(2, 9, 3)
    ref = ref_pool(x[:, None], (1, 3), (1, 2), "SAME", "max")[:, 0]
    close(P.max_pool1d(x, 3, 2, "SAME"), ref)
    close(P.max_pool(x, 3, 2, "SAME"), ref)
    close(P.avg_pool1d(x, 2, 2, "VALID"), ref_pool(x[:, None], (1, 2), (1, 2), "VALID",
                                                   "avg")[:, 0])
    close(P.avg_pool(x[:, None], [1, 2], [1, 2], "VALID"),
          ref_pool(x[:, None], (1, 2), (1, 2), "VALID", "avg"))
    got = P.max_pool1d(x.transpose(0, 2, 1), 3, 2, "SAME", data_format="NCW")
    close(np.asarray(got).transpose(0, 2, 1), ref)


def test_avg_pool_same_divides_by_real_elements():
    got = P.avg_pool2d(np.arange(25.0).reshape(1, 5, 5, 1), 2, 2, "SAME")
    close(np.asarray(got)[0, :, :, 0], [[3, 5, 6.5], [13, 15, 16.5], [20.5, 22.5, 24]])
    close(P.avg_pool2d(np.ones((1, 5, 5, 1)), 3, 2, "SAME"), np.ones((1, 3, 3, 1)))


def test_max_pool_int_and_explicit_padding():
    x = rng.integers(-9, 9, (1, 5, 5, 2)).astype(np.int32)
    got = P.max_pool2d(x, 2, 2, "SAME")
    assert got.dtype == tf.int32
    np.testing.assert_array_equal(got, ref_pool(x, (2, 2), (2, 2), "SAME", "max"))
    xf = rand(1, 4, 4, 1)
    got = P.max_pool2d(xf, 2, 2, [[0, 0], [1, 1], [1, 1], [0, 0]])
    padded = np.pad(xf, ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=-np.inf)
    close(got, ref_pool(padded, (2, 2), (2, 2), "VALID", "max"))


def test_batch_normalization_forward():
    x, m, v, o, s = rand(4, 3), rand(3), rng.uniform(0.5, 2, 3), rand(3), rand(3)
    close(C.batch_normalization(x, m, v, o, s, 1e-3), (x - m) / np.sqrt(v + 1e-3) * s + o)
    close(C.batch_normalization(x, m, v, None, None, 1e-3), (x - m) / np.sqrt(v + 1e-3))


def test_embedding_lookup_forward():
    p = rand(5, 3)
    ids = np.array([[0, 4], [4, 2]])
    close(embedding_lookup(p, ids), p[ids])
    shards = [np.arange(6.0).reshape(3, 2), np.arange(6.0, 10).reshape(2, 2)]
    close(embedding_lookup(shards, [0, 1, 2, 3, 4]), np.arange(10.0).reshape(5, 2))
    big = np.array([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0]])
    close(embedding_lookup(big, [0, 1, 2], max_norm=1.0), [[0.6, 0.8], [0.3, 0.4], [0, 0]])


# -- gradients ----------------------------------------------------------------------------------
@pytest.mark.parametrize("xs,ws,s,d,pad", [CONV_CASES[i] for i in (0, 3, 4, 6, 8, 9, 10, 11, 12)])
def test_conv2d_gradients(xs, ws, s, d, pad):
    check_grad(lambda x, w: C.conv2d(x, w, list(s), pad, dilations=list(d)), rand(*xs),
               rand(*ws))


def test_conv2d_gradients_nchw_and_explicit():
    x = np.ascontiguousarray(rand(1, 2, 7, 6))
    check_grad(lambda x, w: C.conv2d(x, w, 2, "SAME", data_format="NCHW"), x, rand(3, 3, 2, 3))
    check_grad(lambda x, w: C.conv2d(x, w, 1, [[0, 0], [2, 1], [0, 2], [0, 0]]),
               rand(1, 5, 4, 2), rand(2, 3, 2, 2))
    check_grad(lambda x, w: C.conv2d(x, w, 1, [[0, 0], [3, 0], [0, 1], [0, 0]]),  # wide
               rand(1, 4, 4, 8), rand(2, 2, 8, 2))


def test_conv2d_second_order():
    # the input and filter gradients are themselves recorded convolutions
    check_grad(lambda x, w: C.conv2d(x * x, w, 2, "SAME"), rand(1, 5, 6, 2), rand(3, 3, 2, 2),
               second_order=True)
    check_grad(lambda x, w: C.conv2d(x, w, 1, "VALID", dilations=2), rand(1, 6, 6, 3),
               rand(2, 2, 3, 2), second_order=True)


def test_conv1d_depthwise_transpose_gradients():
    check_grad(lambda x, w: C.conv1d(x, w, 2, "SAME"), rand(2, 9, 3), rand(3, 3, 4))
    check_grad(lambda x, w: C.depthwise_conv2d(x, w, [1, 2, 2, 1], "SAME"), rand(1, 6, 5, 3),
               rand(3, 3, 3, 2))
    check_grad(lambda x, w: C.depthwise_conv2d(x * x, w, [1, 1, 1, 1], "VALID", dilations=[2, 1]),
               rand(2, 6, 5, 2), rand(2, 2, 2, 1), second_order=True)
    check_grad(lambda x, w: C.conv2d_transpose(x, w, [1, 9, 9, 4], 2, "SAME"), rand(1, 5, 5, 3),
               rand(3, 3, 4, 3), second_order=True)


@pytest.mark.parametrize("k,s,pad", POOL_CASES)
def test_pool_gradients(k, s, pad):
    x = rng.permutation(2 * 7 * 6 * 2).reshape(2, 7, 6, 2) * 0.1  # distinct: no ties
    check_grad(lambda a: P.max_pool2d(a, list(k), list(s), pad), x)
    check_grad(lambda a: P.avg_pool2d(a, list(k), list(s), pad), x)


def test_pool_second_order():
    x = rng.permutation(50).reshape(1, 5, 5, 2) * 0.1 + 0.5
    check_grad(lambda a: P.max_pool2d(a * a, 3, 2, "SAME"), x, second_order=True)
    check_grad(lambda a: P.avg_pool2d(a * a, 2, 1, "SAME"), x, second_order=True)


def test_max_pool_gradient_ties_go_to_first_max():
    a = np.array([[1, 3, 3, 0], [3, 2, 1, 3], [0, 0, 0, 0], [5, 5, 5, 5]], np.float32)
    x = tf.constant(a.reshape(1, 4, 4, 1))
    for k, s, want in [
        (2, 2, [[0, 1, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0], [1, 0, 1, 0]]),  # TF's values
        (3, 1, [[0, 6, 2, 0], [0, 0, 0, 0], [0, 0, 0, 0], [4, 2, 2, 0]]),
    ]:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = P.max_pool2d(x, k, s, "SAME" if s == 1 else "VALID")
        close(np.asarray(tape.gradient(y, x)).reshape(4, 4), np.array(want, float))


def test_batch_normalization_and_embedding_gradients():
    check_grad(lambda x, m, v, o, s: C.batch_normalization(x, m, v, o, s, 1e-3), rand(4, 3),
               rand(3), rng.uniform(0.5, 2, 3), rand(3), rand(3))
    ids = np.array([[0, 2, 2], [3, 2, 0]])  # repeated ids: the gradient adds up
    check_grad(lambda p: embedding_lookup(p, ids), rand(4, 3))
    check_grad(lambda p: embedding_lookup(p, ids, max_norm=0.5), rand(4, 3))
    with tf.GradientTape() as tape:
        p = tf.Variable(np.ones((4, 2)))
        loss = tf.reduce_sum(embedding_lookup(p, ids))
    close(tape.gradient(loss, p), np.array([[2, 2], [0, 0], [3, 3], [1, 1]], float))


def test_tf_function_replays_conv_and_pool_steps():
    w = tf.Variable(rand(3, 3, 3, 4))

    def step(x):
        with tf.GradientTape() as tape:
            y = P.max_pool2d(C.conv2d(x, w, 2, "SAME"), 2, 1, "SAME")
            loss = tf.reduce_sum(P.avg_pool2d(y, 2, 2, "VALID") ** 2)
        return loss, tape.gradient(loss, w)

    traced = tf.function(step)
    traced(tf.constant(rand(2, 7, 7, 3)))
    x = tf.constant(rand(2, 7, 7, 3))
    for a, b in zip(traced(x), step(x)):
        close(a, np.asarray(b))


# -- shapes -------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [5, 6, 7, 28])
@pytest.mark.parametrize("s", [1, 2, 3])
@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_same_and_valid_output_sizes(n, s, k):
    x, w = np.zeros((1, n, n + 1, 1), np.float32), np.zeros((k, k, 1, 1), np.float32)
    assert C.conv2d(x, w, s, "SAME").shape == (1, -(-n // s), -(-(n + 1) // s), 1)
    assert C.conv2d(x, w, s, "VALID").shape == (
        1, max(0, (n - k) // s + 1), max(0, (n + 1 - k) // s + 1), 1)
    assert P.max_pool2d(x, k, s, "SAME").shape == (1, -(-n // s), -(-(n + 1) // s), 1)
    d = C.conv2d(x, w, 1, "VALID", dilations=2)
    assert d.shape == (1, max(0, n - 2 * (k - 1)), max(0, n + 1 - 2 * (k - 1)), 1)


def test_empty_outputs_and_batches_have_zero_gradients():
    for x, k in [(np.ones((2, 2, 2, 9)), 3), (np.ones((0, 5, 5, 9)), 1)]:
        xt, wt = tf.constant(x), tf.constant(np.ones((k, k, 9, 2)))
        with tf.GradientTape() as tape:
            tape.watch([xt, wt])
            y = C.conv2d(xt, wt, 1, "VALID")
            z = P.max_pool2d(xt, k, 1, "VALID") if k > 1 else y
        gx, gw = tape.gradient([y, z], [xt, wt])
        assert gx.shape == x.shape and not np.asarray(gx).any()
        assert gw.shape == (k, k, 9, 2) and not np.asarray(gw).any()


def test_nchw_output_shapes():
    x = np.zeros((2, 3, 9, 7), np.float32)
    assert C.conv2d(x, np.zeros((3, 3, 3, 5), np.float32), 2, "SAME",
                    data_format="NCHW").shape == (2, 5, 5, 4)
    assert P.avg_pool2d(x, 3, 3, "VALID", data_format="NCHW").shape == (2, 3, 3, 2)


# -- errors -------------------------------------------------------------------------------------
def test_conv2d_errors():
    x = np.zeros((2, 5, 5, 3), np.float32)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"input depth must be evenly divisible by filter depth: 3 vs 4 "
                             r"\(input shape \[2,5,5,3\], filter shape \[3,3,4,8\]\) "
                             r"\[Op:Conv2D\]"):
        C.conv2d(x, np.zeros((3, 3, 4, 8), np.float32), 1, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"must be 4-dimensional: \[5,5,3\]"):
        C.conv2d(x[0], np.zeros((3, 3, 3, 8), np.float32), 1, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"filter must be 4-dim.*Conv2D"):
        C.conv2d(x, np.zeros((3, 3, 8), np.float32), 1, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="float64 tensor but is a float32"):
        C.conv2d(tf.zeros((2, 5, 5, 3), tf.float64), tf.zeros((3, 3, 3, 8)), 1, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="attr 'T' of int64"):
        C.conv2d(np.zeros((1, 3, 3, 1), np.int64), np.zeros((1, 1, 1, 1), np.int64), 1, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="'padding' of \"same\""):
        C.conv2d(x, np.zeros((3, 3, 3, 8), np.float32), 1, "same")
    with pytest.raises(ValueError, match="strides should be of length 1, 2 or 4"):
        C.conv2d(x, np.zeros((3, 3, 3, 8), np.float32), [1, 2, 1], "SAME")
    with pytest.raises(tf.errors.UnimplementedError, match="strides in the batch and depth"):
        C.conv2d(x, np.zeros((3, 3, 3, 8), np.float32), [2, 1, 1, 1], "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="strides should be larger than 0"):
        C.conv2d(x, np.zeros((3, 3, 3, 8), np.float32), 0, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="Nonzero explicit padding"):
        C.conv2d(x, np.zeros((3, 3, 3, 8), np.float32), 1, [[1, 0], [1, 1], [1, 1], [0, 0]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="filter must not have zero"):
        C.conv2d(x, np.zeros((0, 3, 3, 8), np.float32), 1, "SAME")
    with pytest.raises(ValueError, match="data_format"):
        C.conv2d(x, np.zeros((3, 3, 3, 8), np.float32), 1, "SAME", data_format="HWNC")


def test_other_op_errors():
    x = np.zeros((2, 5, 5, 3), np.float32)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"same depth: 3 vs 4.*DepthwiseConv2dNative"):
        C.depthwise_conv2d(x, np.zeros((3, 3, 4, 2), np.float32), [1, 1, 1, 1], "SAME")
    with pytest.raises(ValueError, match="all strides must be 1"):
        C.depthwise_conv2d(x, np.zeros((3, 3, 3, 2), np.float32), [1, 2, 2, 1], "SAME",
                           dilations=[2, 2])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Size of out_backprop doesn't match computed: actual = 5, computed "
                             r"= 6.*Conv2DBackpropInput"):
        C.conv2d_transpose(x, np.zeros((3, 3, 4, 3), np.float32), [2, 12, 10, 4], 2, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="same out_depth"):
        C.conv2d_transpose(x, np.zeros((3, 3, 4, 2), np.float32), [2, 10, 10, 4], 2, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="same batch size"):
        C.conv2d_transpose(x, np.zeros((3, 3, 4, 3), np.float32), [3, 10, 10, 4], 2, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"attr 'T' of int32.*\[Op:AvgPool\]"):
        P.avg_pool2d(np.zeros((1, 4, 4, 1), np.int32), 2, 2, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"attr 'T' of bool.*\[Op:MaxPool\]"):
        P.max_pool2d(np.zeros((1, 4, 4, 1), bool), 2, 2, "SAME")
    with pytest.raises(tf.errors.UnimplementedError, match="batch dimension"):
        P.max_pool2d(x, [2, 2, 2, 1], 2, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="ksize must be positive"):
        P.max_pool2d(x, 0, 1, "SAME")
    with pytest.raises(TypeError, match="Expected string for argument 'padding'"):
        P.avg_pool2d(x, 2, 2, [[0, 0], [1, 1], [1, 1], [0, 0]])
    with pytest.raises(ValueError, match=r"rank` must be 3, 4 or 5"):
        P.max_pool(np.zeros((2, 7), np.float32), 3, 2, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[1\] = 5 is not in"):
        embedding_lookup(np.zeros((5, 3), np.float32), [0, 5])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[2\] = 2 is not in \[0, 2"):
        embedding_lookup([np.zeros((2, 2)), np.zeros((3, 2))], [0, 1, 2])
    with pytest.raises(tf.errors.InvalidArgumentError, match="'Tindices' of float"):
        embedding_lookup([np.zeros((2, 2)), np.zeros((3, 2))], [0.0, 1.0])


@pytest.mark.parametrize("module", [C, P], ids=["conv", "pooling"])
def test_all_names_exported(module):
    for name in module.__all__:
        assert callable(getattr(module, name)), name
        assert getattr(tf.nn, name) is getattr(module, name), name
    assert tf.nn.embedding_lookup is embedding_lookup


# -- parity with TensorFlow ---------------------------------------------------------------------
def _run_both(real, fn_tf, fn_tp, arrays):
    """Forward values and gradients of ``sum(fn * w)`` in TF and tapeflow (float32)."""
    arrays = [a.astype(np.float32) for a in arrays]
    outs = []
    for lib, fn in ((real, fn_tf), (tf, fn_tp)):
        ts = [lib.constant(a) for a in arrays]
        with lib.GradientTape() as tape:
            for t in ts:
                tape.watch(t)
            y = fn(*ts)
            wt = lib.constant(np.linspace(0.5, 1.5, int(np.prod(y.shape))).reshape(
                y.shape).astype(np.float32))
            loss = lib.reduce_sum(y * wt)
        grads = [lib.convert_to_tensor(g) for g in tape.gradient(loss, ts)]  # IndexedSlices
        outs.append([np.asarray(y)] + [np.asarray(g) for g in grads])
    for a, b in zip(*outs):
        np.testing.assert_allclose(b, a, rtol=2e-4, atol=2e-4)


PARITY = [
    ("conv2d SAME s2", lambda n: lambda x, w: n.conv2d(x, w, 2, "SAME"), [(2, 9, 8, 3),
                                                                          (3, 3, 3, 4)]),
    ("conv2d VALID s3 odd", lambda n: lambda x, w: n.conv2d(x, w, [3, 2], "VALID"),
     [(2, 11, 10, 2), (4, 3, 2, 3)]),
    ("conv2d dilated", lambda n: lambda x, w: n.conv2d(x, w, 1, "SAME", dilations=2),
     [(1, 9, 9, 2), (3, 3, 2, 3)]),
    ("conv2d grouped", lambda n: lambda x, w: n.conv2d(x, w, 1, "SAME"),
     [(1, 6, 6, 4), (3, 3, 2, 6)]),
    ("conv2d explicit", lambda n: lambda x, w: n.conv2d(x, w, 2, [[0, 0], [1, 2], [0, 3], [0, 0]]),
     [(1, 7, 6, 2), (3, 3, 2, 2)]),
    ("conv1d", lambda n: lambda x, w: n.conv1d(x, w, 2, "SAME"), [(2, 9, 3), (3, 3, 4)]),
    ("depthwise", lambda n: lambda x, w: n.depthwise_conv2d(x, w, [1, 2, 2, 1], "SAME"),
     [(2, 7, 7, 3), (3, 3, 3, 2)]),
    ("transpose", lambda n: lambda x, w: n.conv2d_transpose(x, w, [2, 9, 10, 4], 2, "SAME"),
     [(2, 5, 5, 3), (3, 3, 4, 3)]),
    ("max_pool", lambda n: lambda x: n.max_pool2d(x, 3, 2, "SAME"), [(2, 7, 8, 3)]),
    ("avg_pool", lambda n: lambda x: n.avg_pool2d(x, [3, 2], [2, 3], "SAME"), [(2, 7, 8, 3)]),
    ("max_pool1d", lambda n: lambda x: n.max_pool1d(x, 3, 2, "VALID"), [(2, 9, 3)]),
    ("avg_pool1d", lambda n: lambda x: n.avg_pool1d(x, 2, 2, "SAME"), [(2, 9, 3)]),
    ("batch_norm", lambda n: lambda x, m, v, o, s: n.batch_normalization(x, m, v ** 2 + 0.5, o,
                                                                         s, 1e-3),
     [(4, 3), (3,), (3,), (3,), (3,)]),
]


@pytest.mark.parametrize("label,make,shapes", PARITY, ids=[p[0] for p in PARITY])
def test_parity_with_tensorflow(label, make, shapes):
    real = pytest.importorskip("tensorflow")
    arrays = [rand(*s) for s in shapes]
    _run_both(real, make(real.nn), make(tf.nn), arrays)


def test_embedding_parity_with_tensorflow():
    real = pytest.importorskip("tensorflow")
    ids = np.array([[1, 3, 3], [0, 1, 3]])
    _run_both(real, lambda p: real.nn.embedding_lookup(p, ids, max_norm=1.5),
              lambda p: embedding_lookup(p, ids, max_norm=1.5), [rand(4, 3)])
