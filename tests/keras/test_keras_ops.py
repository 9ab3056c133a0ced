"""``tf.keras.ops``: every function against what Keras 3.15 on TensorFlow 2.21 gave (values,
dtypes, shapes, exception classes), gradients against central differences, and broadcasting
properties.

The cases live in ``tests/fixtures/keras_ops_cases.py``; Keras's outcomes were recorded by
running that file under tensorflow-cpu 2.21 into ``keras_ops_2_21.json`` (checked in).
"""
import contextlib
import json
import math
from pathlib import Path

import numpy as np
import pytest
from fakegpu import fake_gpus
from hypothesis import given, settings
from hypothesis import strategies as st

import tapeflow as tf
from gradcheck import check_grad
from tests.fixtures.keras_ops_cases import CASES, outcome

K = tf.keras.ops
FIXTURES = Path(__file__).parent.parent / "fixtures"
RECORDED = json.loads((FIXTURES / "keras_ops_2_21.json").read_text())["cases"]
NAMES = json.loads((Path(__file__).parent.parent.parent / "scripts" / "tf_names_2_21.json")
                   .read_text())["namespaces"]["tf.keras.ops"]


# where tapeflow deliberately gives NumPy's answer and Keras-on-TensorFlow does not
KNOWN_DIFFERENCES = {
    "rot90_1": "Keras 3.15's TF rot90 with k=2 returns a permutation that is not a rotation; "
               "tapeflow returns NumPy's rot90",
    "cdist_1": "Keras 3.15's TF cdist raises TypeError for p != 2; tapeflow computes it",
    "cdist_2": "Keras 3.15's TF cdist raises TypeError for p != 2; tapeflow computes it",
    "cf_vectorize": "Keras's TF vectorize needs equal leading dimensions; tapeflow broadcasts "
                    "as numpy.vectorize does",
}
# eigenvectors and singular vectors are defined up to sign: compare magnitudes
SIGN_FREE = ("eigh_", "linalg_eigh_", "svd_", "linalg_svd_", "qr_", "linalg_qr_")


def test_known_differences_give_numpys_answer():
    fns = dict(CASES)
    for name in KNOWN_DIFFERENCES:
        assert outcome(tf, fns[name]) != RECORDED[name], name
    x = np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, 0.5]], np.float32)
    np.testing.assert_array_equal(K.rot90(tf.constant(x), 2).numpy(), np.rot90(x, 2))
    a = np.array([[0.0, 0.0], [1.0, 1.0]])
    b = np.array([[1.0, 0.0], [2.0, 3.0]])
    for p in (1, 3.0):
        want = (np.abs(a[:, None] - b[None]) ** p).sum(-1) ** (1 / p)
        np.testing.assert_allclose(K.cdist(a, b, p=p).numpy(), want, rtol=1e-6)
    f = K.vectorize(lambda u, v: u * 2.0 + v)
    got = f(tf.constant([1.0, 2.0]), tf.constant([[1.0], [3.0]]))
    np.testing.assert_array_equal(got.numpy(), np.vectorize(lambda u, v: u * 2.0 + v)(
        np.array([1.0, 2.0]), np.array([[1.0], [3.0]])))


def test_every_case_was_recorded():
    assert sorted(RECORDED) == sorted(name for name, _ in CASES)


COMPARED = [(n, f) for n, f in CASES if n not in KNOWN_DIFFERENCES]


@pytest.mark.parametrize("name,fn", COMPARED, ids=[n for n, _ in COMPARED])
def test_matches_keras(name, fn):
    want = RECORDED[name]
    got = outcome(tf, fn)
    if "error" in want or "error" in got:
        assert got == want
        return
    _same(got, want, name.startswith(SIGN_FREE))


def _same(got, want, sign_free=False):
    if "items" in want:
        assert "items" in got, got
        assert len(got["items"]) == len(want["items"])
        for g, w in zip(got["items"], want["items"]):
            _same(g, w, sign_free)
        return
    assert {k: v for k, v in got.items() if k != "values"} == \
        {k: v for k, v in want.items() if k != "values"}
    if want.get("values") is not None:
        rtol = 2e-3 if want.get("dtype") == "float16" else 2e-5
        g, w = np.asarray(got["values"]), np.asarray(want["values"])
        if sign_free:
            g, w = np.abs(g), np.abs(w)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=1e-5)


def test_every_name_is_present_and_covered():
    """Each of Keras's names exists and has a case."""
    covered = {n.rsplit("_", 1)[0] for n, _ in CASES} | {n[3:] for n, _ in CASES
                                                          if n.startswith("cf_")} | {"istft"}
    for name, kind in NAMES.items():
        assert hasattr(K, name), name
        if kind[0] == "m":
            continue
        assert name in covered, f"no recorded case for keras.ops.{name}"


def test_submodules_reexport_the_same_functions():
    assert K.numpy.add is K.add and K.nn.relu is K.relu and K.linalg.svd is K.svd
    assert K.image.rgb_to_grayscale is not None
    assert tf.keras.ops is K


def test_submodules_have_kerass_names():
    """keras.ops.numpy/nn/linalg export what Keras's do; keras.ops.image a subset."""
    names = json.loads((FIXTURES / "keras_ops_submodules.json").read_text())
    for sub in ("numpy", "nn", "linalg"):
        assert sorted(getattr(K, sub).__all__) == names[sub], sub
    assert set(K.image.__all__) < set(names["image"])


def test_image_helpers():
    img = tf.constant(np.arange(2 * 3 * 4 * 3, dtype=np.float32).reshape(2, 3, 4, 3))
    g = K.image.rgb_to_grayscale(img)
    assert g.shape == (2, 3, 4, 1)
    np.testing.assert_allclose(g.numpy()[..., 0], img.numpy() @ [0.2989, 0.587, 0.114],
                               rtol=1e-5)
    padded = K.image.pad_images(img, 1, 2, target_height=5, target_width=7)
    assert padded.shape == (2, 5, 7, 3)
    np.testing.assert_array_equal(K.image.crop_images(padded, 1, 2, target_height=3,
                                                      target_width=4).numpy(), img.numpy())


# ---------------------------------------------------------------- gradients

R = np.random.default_rng(0)
A23 = R.uniform(-1.5, 1.5, (2, 3))
B23 = R.uniform(-1.5, 1.5, (2, 3))
P23 = R.uniform(0.3, 2.0, (2, 3))
SPD = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
IMG = R.uniform(-1, 1, (1, 4, 4, 2))
KER = R.uniform(-1, 1, (3, 3, 2, 2))

GRADS = [
    ("add", lambda a, b: K.add(a, b), (A23, B23)),
    ("multiply", lambda a, b: K.multiply(a, b), (A23, B23)),
    ("divide", lambda a, b: K.divide(a, b), (A23, P23)),
    ("power", lambda a, b: K.power(a, b), (P23, B23)),
    ("arctan2", lambda a, b: K.arctan2(a, b), (A23, B23)),
    ("hypot", lambda a, b: K.hypot(a, b), (A23, B23)),
    ("logaddexp", lambda a, b: K.logaddexp(a, b), (A23, B23)),
    ("logaddexp2", lambda a, b: K.logaddexp2(a, b), (A23, B23)),
    ("fmax", lambda a, b: K.fmax(a, b), (A23, B23)),
    ("arccosh", lambda a: K.arccosh(a), (P23 + 1.0,)),
    ("cbrt", lambda a: K.cbrt(a), (A23,)),
    ("log2", lambda a: K.log2(a), (P23,)),
    ("log10", lambda a: K.log10(a), (P23,)),
    ("exp2", lambda a: K.exp2(a), (A23,)),
    ("sinc", lambda a: K.sinc(a), (A23,)),
    ("erfinv", lambda a: K.erfinv(a), (A23 / 2.0,)),
    ("i0", lambda a: K.i0(a), (A23,)),
    ("mean", lambda a: K.mean(a, axis=1), (A23,)),
    ("std", lambda a: K.std(a, axis=0), (A23,)),
    ("var", lambda a: K.var(a), (A23,)),
    ("logsumexp", lambda a: K.logsumexp(a, axis=1), (A23,)),
    ("quantile", lambda a: K.quantile(a, [0.3, 0.8], axis=1), (A23,)),
    ("median", lambda a: K.median(a, axis=1), (A23,)),
    ("nanmean", lambda a: K.nanmean(a, axis=0), (A23,)),
    ("nanvar", lambda a: K.nanvar(a), (A23,)),
    ("average", lambda a, w: K.average(a, axis=1, weights=w), (A23, P23[0])),
    ("cumprod", lambda a: K.cumprod(a, axis=1), (A23,)),
    ("diff", lambda a: K.diff(a, n=2), (A23,)),
    ("tril", lambda a: K.tril(a), (SPD,)),
    ("diagonal", lambda a: K.diagonal(a, 1), (SPD,)),
    ("diag", lambda a: K.diag(a, 1), (A23[0],)),
    ("trace", lambda a: K.trace(a), (SPD,)),
    ("take_along_axis", lambda a: K.take_along_axis(
        a, tf.constant([[2, 0], [1, 1]]), axis=1), (A23,)),
    ("take", lambda a: K.take(a, tf.constant([-1, 0]), axis=1), (A23,)),
    ("kron", lambda a, b: K.kron(a, b), (A23, B23)),
    ("cross", lambda a, b: K.cross(a, b), (A23, B23)),
    ("outer", lambda a, b: K.outer(a, b), (A23[0], B23[1])),
    ("matmul", lambda a, b: K.matmul(a, b), (A23, np.ascontiguousarray(B23.T))),
    ("einsum", lambda a, b: K.einsum("ij,kj->ik", a, b), (A23, B23)),
    ("correlate", lambda a, b: K.correlate(a, b, mode="full"), (A23[0], B23[1][:2])),
    ("corrcoef", lambda a: K.corrcoef(a), (A23,)),
    ("trapezoid", lambda a: K.trapezoid(a, axis=1), (A23,)),
    ("roll", lambda a: K.roll(a, 1, axis=1), (A23,)),
    ("rot90", lambda a: K.rot90(a), (A23,)),
    ("pad", lambda a: K.pad(a, ((1, 1), (1, 1)), mode="reflect"), (A23,)),
    ("linspace", lambda a, b: K.linspace(a, b, 4), (A23[0], B23[0])),
    ("vander", lambda a: K.vander(a, 3), (A23[0],)),
    ("clip", lambda a: K.clip(a, -1.0, 1.0), (A23,)),
    ("where", lambda a, b: K.where(a > 0, a, b), (A23, B23)),
    ("nan_to_num", lambda a: K.nan_to_num(a), (A23,)),
    ("norm_vector", lambda a: K.norm(a, ord=3, axis=1), (A23,)),
    ("norm_fro", lambda a: K.norm(a), (A23,)),
    ("norm_nuc", lambda a: K.norm(a, ord="nuc"), (A23,)),
    ("det", lambda a: K.det(a), (SPD,)),
    ("inv", lambda a: K.inv(a), (SPD,)),
    ("solve", lambda a, b: K.solve(a, b), (SPD, np.ascontiguousarray(A23.T))),
    ("solve_triangular", lambda a, b: K.solve_triangular(a, b, lower=True),
     (np.tril(SPD), np.ascontiguousarray(A23.T))),
    ("cholesky_inverse", lambda a: K.cholesky_inverse(a), (np.linalg.cholesky(SPD),)),
    ("lstsq", lambda a, b: K.lstsq(a, b),
     (np.ascontiguousarray(A23.T), np.ascontiguousarray(B23.T))),
    ("relu6", lambda a: K.relu6(a * 4), (A23,)),
    ("gelu", lambda a: K.gelu(a), (A23,)),
    ("celu", lambda a: K.celu(a, 0.7), (A23,)),
    ("glu", lambda a: K.glu(a, axis=0), (A23,)),
    ("sparse_plus", lambda a: K.sparse_plus(a), (A23 * 0.9,)),
    ("squareplus", lambda a: K.squareplus(a), (A23,)),
    ("hard_silu", lambda a: K.hard_silu(a * 2), (A23,)),
    ("softmax_axes", lambda a: K.softmax(a, axis=(0, 1)), (A23,)),
    ("log_softmax", lambda a: K.log_softmax(a, axis=0), (A23,)),
    ("sparsemax", lambda a: K.sparsemax(a), (A23,)),
    ("layer_normalization", lambda a, g: K.layer_normalization(a, gamma=g), (A23, B23[0])),
    ("rms_normalization", lambda a: K.rms_normalization(a), (A23,)),
    ("batch_normalization", lambda a, m, v: K.batch_normalization(a, m, v, axis=1),
     (A23, B23[0], P23[0])),
    ("normalize", lambda a: K.normalize(a, order=1), (A23,)),
    ("moments", lambda a: K.moments(a, axes=[1])[1], (A23,)),
    ("binary_crossentropy", lambda t, o: K.binary_crossentropy(t, o, from_logits=True),
     (P23 / 2, A23)),
    ("categorical_crossentropy", lambda t, o: K.categorical_crossentropy(t, o),
     (P23, P23 + 0.5)),
    ("psnr", lambda a, b: K.psnr(a, b, 2.0), (A23, B23)),
    ("conv", lambda x, k: K.conv(x, k, padding="same"), (IMG, KER)),
    ("conv_transpose", lambda x, k: K.conv_transpose(x, k, strides=2), (IMG, KER)),
    ("depthwise_conv", lambda x, k: K.depthwise_conv(x, k), (IMG, KER)),
    ("average_pool", lambda x: K.average_pool(x, 2), (IMG,)),
    ("adaptive_average_pool", lambda x: K.adaptive_average_pool(x, 3), (IMG,)),
    ("unfold", lambda x: K.unfold(x, 2, stride=2), (IMG,)),
    ("fold", lambda x: K.fold(x, (3, 3), 2), (R.uniform(-1, 1, (1, 4, 4)),)),
    ("dot_product_attention", lambda q, k, v: K.dot_product_attention(q, k, v, is_causal=True),
     (R.uniform(-1, 1, (1, 3, 2, 2)), R.uniform(-1, 1, (1, 3, 2, 2)),
      R.uniform(-1, 1, (1, 3, 2, 2)))),
    ("ctc_loss", lambda o: K.ctc_loss(tf.constant([[1, 2]]), o, tf.constant([2]),
                                      tf.constant([4])), (R.uniform(-1, 1, (1, 4, 3)),)),
    ("fft", lambda a, b: K.fft((a, b))[1], (A23, B23)),
    ("fft2", lambda a, b: K.fft2((a, b))[0], (A23, B23)),
    ("ifft2", lambda a, b: K.ifft2((a, b))[1], (A23, B23)),
    ("rfft", lambda a: K.rfft(a, fft_length=4)[1], (A23,)),
    ("irfft", lambda a, b: K.irfft((a, b)), (A23, B23)),
    ("stft", lambda a: K.stft(a, 3, 2, 4)[0], (R.uniform(-1, 1, (2, 7)),)),
    ("istft", lambda a, b: K.istft((a, b), 3, 1, 4), (R.uniform(-1, 1, (2, 5, 3)),
                                                     R.uniform(-1, 1, (2, 5, 3)))),
    ("image.resize", lambda x: K.image.resize(x, (3, 5)), (IMG,)),
    ("image.rgb_to_grayscale", lambda x: K.image.rgb_to_grayscale(x),
     (R.uniform(0, 1, (1, 2, 2, 3)),)),
    ("segment_sum", lambda d: K.segment_sum(d, tf.constant([0, 1]), num_segments=3), (A23,)),
    ("cdist", lambda a, b: K.cdist(a, b), (A23, B23 + 3.0)),
    ("scatter_update", lambda a, u: K.scatter_update(a, tf.constant([[0, 1]]), u),
     (A23, B23[0, :1])),
    ("slice_update", lambda a, u: K.slice_update(a, (0, 1), u), (A23, B23[:1, :2])),
    ("rearrange", lambda a: K.rearrange(a, "a b -> b a"), (A23,)),
    ("scan", lambda a: K.scan(lambda c, x: (c * x, c + x), tf.constant(np.ones(3)), a)[1],
     (A23,)),
    ("associative_scan", lambda a: K.associative_scan(lambda u, v: u * v, a), (A23,)),
    ("map", lambda a: K.map(lambda r: K.sin(r) * r, a), (A23,)),
]


@pytest.mark.parametrize("name,fn,arrays", GRADS, ids=[g[0] for g in GRADS])
def test_gradient(name, fn, arrays):
    check_grad(fn, *arrays, rtol=1e-4, atol=1e-6)


def test_gradient_through_integer_promotion():
    """Tape gradients flow through a float result mixed with an int tensor."""
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = K.sum(K.multiply(x, tf.constant([3, 4])))
    assert y.dtype == tf.float32
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [3.0, 4.0])


def test_while_loop_and_fori_loop_gradients():
    x = tf.Variable(1.5)
    with tf.GradientTape() as tape:
        y = K.fori_loop(0, 3, lambda i, v: v * x, tf.constant(1.0))
    assert math.isclose(float(tape.gradient(y, x)), 3 * 1.5 ** 2, rel_tol=1e-6)


# ---------------------------------------------------------------- broadcasting properties

def _shapes():
    dim = st.integers(1, 3)
    return st.lists(dim, min_size=0, max_size=3).flatmap(
        lambda s: st.tuples(st.just(tuple(s)), st.lists(
            st.sampled_from([0, 1]), min_size=len(s), max_size=len(s))))


@pytest.mark.parametrize("op", ["add", "multiply", "maximum", "arctan2", "hypot", "logaddexp",
                                "fmin"])
@settings(max_examples=25, deadline=None)
@given(spec=_shapes(), drop=st.integers(0, 2))
def test_binary_broadcasting(op, spec, drop):
    shape, ones = spec
    other = tuple(1 if o else s for s, o in zip(shape, ones))[drop:]
    a = np.linspace(-1.0, 1.5, int(np.prod(shape))).reshape(shape)
    b = np.linspace(0.5, -2.0, int(np.prod(other))).reshape(other)
    np_op = {"add": np.add, "multiply": np.multiply, "maximum": np.maximum,
             "arctan2": np.arctan2, "hypot": np.hypot, "logaddexp": np.logaddexp,
             "fmin": np.fmin}[op]
    for x, y in ((a, b), (b, a)):
        got = getattr(K, op)(tf.constant(x, tf.float32), tf.constant(y, tf.float32))
        want = np_op(x, y)
        assert tuple(got.shape) == want.shape
        assert got.dtype == tf.float32
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(dtype=st.sampled_from(["int8", "int16", "int32", "int64", "uint8", "float16",
                              "float32", "float64", "bool"]),
       scalar=st.sampled_from([2, 1.5, True]))
def test_scalar_promotion_is_weak(dtype, scalar):
    """A Python scalar keeps the tensor's dtype, except a float with an integer tensor."""
    x = tf.cast(tf.constant([1, 0]), dtype)
    if dtype == "bool" and scalar is True:  # TF's AddV2 has no bool kernel (Keras: same)
        with pytest.raises(tf.errors.InvalidArgumentError):
            K.add(x, scalar)
        return
    got = K.add(x, scalar).dtype.name
    if isinstance(scalar, float) and not dtype.startswith("float"):
        assert got == "float32"
    elif dtype == "bool" and not isinstance(scalar, bool):
        assert got == "int32"
    else:
        assert got == dtype


def test_every_case_on_a_gpu():
    """The recorded cases give the same answers with tensors on a GPU (the real one where
    there is one, else the NumPy-backed stand-in): host bookkeeping goes through to_host,
    device arrays stay on the device."""
    real = bool(tf.config.list_physical_devices("GPU"))
    with (contextlib.nullcontext() if real else fake_gpus()), tf.device("/GPU:0"):
        x = tf.constant([[3.0, 1.0], [2.0, 5.0]])
        for y in (K.quantile(x, 0.5), K.argsort(x), K.erfinv(x / 10.0),
                  K.segment_sum(x, tf.constant([0, 0]))):
            assert y.device.endswith("GPU:0")
        for name, fn in COMPARED:
            want, got = RECORDED[name], outcome(tf, fn)
            if "error" in want or "error" in got:
                assert got == want, name
            else:
                try:
                    _same(got, want, name.startswith(SIGN_FREE))
                except AssertionError as e:
                    raise AssertionError(f"{name}: {e}") from None
