"""The op table for complex tensors and ``tf.signal`` that ``record_tf_complex_signal.py`` runs
under TensorFlow 2.21 and ``test_complex.py``/``test_signal.py`` run under tapeflow.

Each case is ``(name, fn, inputs)``: ``fn(m, *tensors)`` with ``m`` the module (``tensorflow``
or ``tapeflow``), ``inputs`` NumPy arrays. The recorder stores each case's output and the
gradient of the output against every float or complex input, for a fixed upstream gradient
(``upstream``), in ``fixtures/tf_complex_signal.npz`` (inputs too, so the tests do not depend on
the random stream). Printing, dtypes and error classes are expressions evaluated with ``tf``
and ``np`` in scope, stored in ``fixtures/tf_complex_signal.json``.
"""
import numpy as np

rng = np.random.default_rng(17)


def _c(*shape):
    return rng.normal(size=shape) + 1j * rng.normal(size=shape)


def _r(*shape):
    return rng.normal(size=shape)


Z = _c(2, 3)
W = _c(2, 3)
M = _c(3, 2)
X = _r(2, 3)
Y = _r(2, 3)
P = rng.uniform(0.5, 2.0, size=(2, 3)) + 1j * rng.uniform(0.5, 2.0, size=(2, 3))
S1 = _c(2, 6)
S2 = _c(2, 3, 4)
S3 = _c(2, 2, 3, 4)
R1 = _r(2, 6)
R1o = _r(2, 5)
R2 = _r(2, 4, 6)
R3 = _r(3, 4, 4)
H1 = _c(2, 4)
H2 = _c(3, 4, 3)
SIG = _r(2, 40)
V8 = _r(3, 8)

COMPLEX_CASES = [
    ("add", lambda m, a, b: a + b, (Z, W)),
    ("sub", lambda m, a, b: a - b, (Z, W)),
    ("mul", lambda m, a, b: a * b, (Z, W)),
    ("div", lambda m, a, b: a / b, (Z, P)),
    ("pow", lambda m, a, b: a ** b, (P, W * 0.3)),
    ("pow_scalar", lambda m, a: a ** 0.5 + a ** 3, (P,)),
    ("scalars", lambda m, a: (a * 2j - 1.5) / (3 - 1j) + 2, (Z,)),
    ("neg", lambda m, a: -a, (Z,)),
    ("real", lambda m, a: m.math.real(a), (Z,)),
    ("imag", lambda m, a: m.math.imag(a), (Z,)),
    ("conj", lambda m, a: m.math.conj(a), (Z,)),
    ("angle", lambda m, a: m.math.angle(a), (Z,)),
    ("abs", lambda m, a: m.abs(a), (Z,)),
    ("abs_squared", lambda m, a: m.abs(a) ** 2, (Z,)),
    ("complex", lambda m, x, y: m.complex(x, y), (X, Y)),
    ("complex_broadcast", lambda m, x, y: m.complex(x, y), (X, Y[:1])),
    ("exp", lambda m, a: m.exp(a), (Z,)),
    ("log", lambda m, a: m.math.log(a), (Z,)),
    ("sqrt", lambda m, a: m.sqrt(a), (Z,)),
    ("rsqrt", lambda m, a: m.math.rsqrt(a), (Z,)),
    ("square", lambda m, a: m.square(a), (Z,)),
    ("reciprocal", lambda m, a: m.math.reciprocal(a), (Z,)),
    ("sin_cos", lambda m, a: m.sin(a) * m.cos(a), (Z,)),
    ("tanh", lambda m, a: m.tanh(a), (Z,)),
    ("sigmoid", lambda m, a: m.sigmoid(a), (Z,)),
    ("sign", lambda m, a: m.sign(a), (Z,)),
    ("squared_difference", lambda m, a, b: m.math.squared_difference(a, b), (Z, W)),
    ("matmul", lambda m, a, b: m.matmul(a, b), (Z, M)),
    ("matmul_adjoint", lambda m, a, b: m.matmul(a, b, adjoint_a=True), (Z, W)),
    ("matmul_adjoint_b", lambda m, a, b: m.matmul(a, b, adjoint_b=True), (Z, W)),
    ("reduce_sum", lambda m, a: m.reduce_sum(a, axis=1), (Z,)),
    ("reduce_mean", lambda m, a: m.reduce_mean(a), (Z,)),
    ("reduce_prod", lambda m, a: m.reduce_prod(a, axis=0), (Z,)),
    ("cast_to_complex", lambda m, x: m.cast(x, m.complex128) * (1 + 2j), (X,)),
    ("cast_to_real", lambda m, a: m.cast(a, m.float64) * 3.0, (Z,)),
    ("mixed_real_loss", lambda m, a, x: m.abs(a * m.cast(x, m.complex128)) + m.math.real(a) * x,
     (Z, X)),
    ("reduce_variance", lambda m, a: m.math.reduce_variance(a, axis=0), (Z,)),
    ("reduce_std", lambda m, a: m.math.reduce_std(a), (Z,)),
    ("norm", lambda m, a: m.norm(a), (Z,)),
    ("norm_ord1_axis", lambda m, a: m.norm(a, ord=1, axis=1), (Z,)),
    ("euclidean_norm", lambda m, a: m.math.reduce_euclidean_norm(a, axis=1), (Z,)),
    ("einsum", lambda m, a, b: m.einsum("ij,kj->ik", a, b), (Z, W)),
    ("cumsum", lambda m, a: m.math.cumsum(a, axis=1), (Z,)),
    ("cumprod", lambda m, a: m.math.cumprod(a, axis=1, exclusive=True), (Z,)),
    ("transpose_conjugate", lambda m, a: m.transpose(a, conjugate=True), (Z,)),
    ("adjoint", lambda m, a: m.linalg.adjoint(a), (Z,)),
    ("complex64_mul_exp", lambda m, a, b: m.exp(m.cast(a, m.complex64) * m.cast(b, m.complex64)),
     (Z * 0.5, W * 0.5)),
]

SIGNAL_CASES = [
    ("fft", lambda m, a: m.signal.fft(a), (S1,)),
    ("ifft", lambda m, a: m.signal.ifft(a), (S1,)),
    ("fft2d", lambda m, a: m.signal.fft2d(a), (S2,)),
    ("ifft2d", lambda m, a: m.signal.ifft2d(a), (S2,)),
    ("fft3d", lambda m, a: m.signal.fft3d(a), (S3,)),
    ("ifft3d", lambda m, a: m.signal.ifft3d(a), (S3,)),
    ("fft_complex64", lambda m, a: m.signal.fft(m.cast(a, m.complex64)), (S1,)),
    ("rfft_even", lambda m, x: m.signal.rfft(x), (R1,)),
    ("rfft_odd", lambda m, x: m.signal.rfft(x), (R1o,)),
    ("rfft_padded", lambda m, x: m.signal.rfft(x, fft_length=[8]), (R1o,)),
    ("rfft_float32", lambda m, x: m.signal.rfft(m.cast(x, m.float32)), (R1,)),
    ("rfft2d", lambda m, x: m.signal.rfft2d(x), (R2,)),
    ("rfft2d_padded", lambda m, x: m.signal.rfft2d(x, fft_length=[5, 8]), (R2,)),
    ("rfft3d", lambda m, x: m.signal.rfft3d(x), (R3,)),
    ("irfft", lambda m, a: m.signal.irfft(a), (H1,)),
    ("irfft_odd", lambda m, a: m.signal.irfft(a, fft_length=[7]), (H1,)),
    ("irfft_padded", lambda m, a: m.signal.irfft(a, fft_length=[10]), (H1,)),
    ("irfft2d", lambda m, a: m.signal.irfft2d(a), (H2,)),
    ("irfft2d_odd", lambda m, a: m.signal.irfft2d(a, fft_length=[4, 5]), (H2,)),
    ("irfft3d", lambda m, a: m.signal.irfft3d(a), (S3,)),
    ("fftshift", lambda m, x: m.signal.fftshift(x), (R1o,)),
    ("ifftshift_axis", lambda m, x: m.signal.ifftshift(x, axes=1), (R1o,)),
    ("frame", lambda m, x: m.signal.frame(x, 8, 5), (SIG,)),
    ("frame_pad_end", lambda m, x: m.signal.frame(x, 7, 3, pad_end=True, pad_value=0.5),
     (SIG,)),
    ("frame_axis0", lambda m, x: m.signal.frame(x, 2, 1, axis=0), (R2,)),
    ("overlap_and_add", lambda m, x: m.signal.overlap_and_add(x, 3), (R2,)),
    ("overlap_and_add_wide_step", lambda m, x: m.signal.overlap_and_add(x, 8), (V8,)),
    ("stft", lambda m, x: m.signal.stft(x, 16, 8), (SIG,)),
    ("stft_fft_length", lambda m, x: m.signal.stft(x, 10, 4, fft_length=16, pad_end=True),
     (SIG,)),
    ("stft_hamming", lambda m, x: m.signal.stft(x, 12, 5, window_fn=m.signal.hamming_window),
     (SIG,)),
    ("stft_float32", lambda m, x: m.signal.stft(m.cast(x, m.float32), 16, 8), (SIG,)),
    ("inverse_stft", lambda m, a: m.signal.inverse_stft(
        a, 8, 4, window_fn=m.signal.inverse_stft_window_fn(4)), (_c(2, 5, 5),)),
    ("stft_roundtrip", lambda m, x: m.signal.inverse_stft(
        m.signal.stft(x, 16, 4), 16, 4, window_fn=m.signal.inverse_stft_window_fn(4)), (SIG,)),
    ("abs_stft", lambda m, x: m.abs(m.signal.stft(x, 16, 8)) ** 2, (SIG,)),
    ("hann_window", lambda m: m.signal.hann_window(10), ()),
    ("hann_window_odd", lambda m: m.signal.hann_window(9), ()),
    ("hann_window_symmetric", lambda m: m.signal.hann_window(10, periodic=False,
                                                              dtype=m.float64), ()),
    ("hamming_window", lambda m: m.signal.hamming_window(12), ()),
    ("kaiser_window", lambda m: m.signal.kaiser_window(9), ()),
    ("kaiser_window_beta", lambda m: m.signal.kaiser_window(8, beta=4.0, dtype=m.float64), ()),
    ("kbd_window", lambda m: m.signal.kaiser_bessel_derived_window(10, beta=6.0), ()),
    ("vorbis_window", lambda m: m.signal.vorbis_window(10), ()),
    ("stft_vorbis", lambda m, x: m.signal.stft(x, 16, 8, window_fn=m.signal.vorbis_window),
     (SIG,)),
    ("inverse_stft_window", lambda m: m.signal.inverse_stft_window_fn(3)(10, m.float32), ()),
    ("mel_default", lambda m: m.signal.linear_to_mel_weight_matrix(), ()),
    ("mel_small", lambda m: m.signal.linear_to_mel_weight_matrix(8, 33, 16000, 20.0, 8000.0),
     ()),
    ("mel_float64", lambda m: m.signal.linear_to_mel_weight_matrix(
        10, 65, 22050, 0.0, 11025.0, dtype=m.float64), ()),
    ("dct1", lambda m, x: m.signal.dct(x, type=1), (R1,)),
    ("dct2", lambda m, x: m.signal.dct(x), (R1,)),
    ("dct2_ortho", lambda m, x: m.signal.dct(x, norm="ortho"), (R1o,)),
    ("dct3", lambda m, x: m.signal.dct(x, type=3), (R1,)),
    ("dct3_ortho", lambda m, x: m.signal.dct(x, type=3, norm="ortho"), (R1,)),
    ("dct4", lambda m, x: m.signal.dct(x, type=4), (R1o,)),
    ("dct4_ortho", lambda m, x: m.signal.dct(x, type=4, norm="ortho"), (R1,)),
    ("dct_n", lambda m, x: m.signal.dct(x, n=8) + 0.0, (R1,)),
    ("idct", lambda m, x: m.signal.idct(x, norm="ortho"), (R1,)),
    ("mfccs", lambda m, x: m.signal.mfccs_from_log_mel_spectrograms(x), (R2,)),
]


def upstream(name, shape, dtype):
    """The fixed output gradient of case ``name`` (complex for a complex output)."""
    r = np.random.default_rng(_seed(name))
    g = r.uniform(0.5, 1.5, size=shape)
    if np.dtype(dtype).kind == "c":
        g = g + 1j * r.uniform(-1.0, 1.0, size=shape)
    return g.astype(dtype)


def _seed(name):
    return sum((i + 1) * ord(c) for i, c in enumerate(name))


def pack(arrays):
    """One buffer per dtype for many small arrays (an .npz entry costs a zip header each),
    identical arrays stored once: (buffers, {key: [buffer, offset, shape]})."""
    chunks, index, seen = {}, {}, {}
    for key, a in arrays.items():
        a = np.asarray(a)
        kind = a.dtype.name
        digest = (kind, a.shape, a.tobytes())
        if digest not in seen:
            parts = chunks.setdefault(kind, [])
            offset = sum(p.size for p in parts)
            parts.append(a.reshape(-1))
            seen[digest] = offset
        index[key] = [kind, seen[digest], list(a.shape)]
    return {k: np.concatenate(v) for k, v in chunks.items()}, index


def unpack(buffers, index):
    out = {}
    for key, (kind, offset, shape) in index.items():
        n = int(np.prod(shape)) if shape else 1
        out[key] = buffers[kind][offset:offset + n].reshape(shape)
    return out


def load():
    """The recorded fixtures: (arrays by key, the JSON record)."""
    import json
    import os

    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
    with open(os.path.join(here, "tf_complex_signal.json")) as f:
        record = json.load(f)
    with np.load(os.path.join(here, "tf_complex_signal.npz")) as z:
        buffers = {k: z[k] for k in z.files}
    return unpack(buffers, record["arrays"]), record


def differentiable(a):
    return np.asarray(a).dtype.kind in "fc"


# Expressions whose value, dtype, str() and repr() TF's answers are recorded for.
PRINT_CASES = [
    "tf.constant(1+2j)",
    "tf.constant([1+2j, 3-4j])",
    "tf.constant([[1+2j, 3-4j], [0.5j, -1]])",
    "tf.constant([[1+2j, 3-4j], [0.5j, -1]], dtype=tf.complex64)",
    "tf.constant([1, 2.5], dtype=tf.complex64)",
    "tf.constant(1.5, dtype=tf.complex128)",
    "tf.constant(np.complex64(1+2j))",
    "tf.constant([0.1+0.2j, 0.3333333j], tf.complex64)",
    "tf.constant(np.arange(12).reshape(3, 4) * (1+1j))",
    "tf.constant([1e10+2j, 3j])",
    "tf.constant([1j, np.float32(2)])",
    "tf.constant(np.array([1, 2]), dtype=tf.complex64)",
    "tf.convert_to_tensor(1.5, dtype=tf.complex64)",
    "tf.Variable(1+2j).assign_add(1.5)",
    "tf.math.angle(1j)",
    "tf.complex(1., 2.)",
    "tf.complex(tf.constant([1., 2.], tf.float64), tf.constant(3., tf.float64))",
    "tf.cast(tf.constant(1+2j), tf.float32)",
    "tf.cast(tf.constant(1+2j), tf.int32)",
    "tf.cast(tf.constant(1.5), tf.complex64)",
    "tf.cast(tf.constant(3), tf.complex128)",
    "tf.cast(tf.constant(True), tf.complex64)",
    "tf.cast(tf.constant([1+2j, 0j]), tf.bool)",
    "tf.constant(1+2j) + 1.0",
    "tf.constant(1+2j) + 1",
    "tf.constant(1+2j) * 2j",
    "1.5 - tf.constant(1+2j)",
    "tf.constant(1+2j) == tf.constant(1+2j)",
    "tf.constant([1+2j, 3j]) != 1+2j",
    "tf.math.real(tf.constant(3.))",
    "tf.math.imag(tf.constant(3.))",
    "tf.math.real(tf.constant(3))",
    "tf.math.conj(tf.constant(2.))",
    "tf.math.angle(tf.constant([-2., 0., 3.]))",
    "tf.abs(tf.constant(3+4j, tf.complex64))",
    "tf.zeros([2], tf.complex64)",
    "tf.ones([2], tf.complex128)",
    "tf.zeros_like(tf.constant(1+2j))",
    "tf.ones_like(tf.constant([1j], tf.complex64))",
    "tf.fill([2], 1j)",
    "tf.reduce_sum(tf.constant([1+2j, 3j]))",
    "tf.reduce_mean(tf.constant([1+2j, 3j]))",
    "tf.Variable([1+2j], dtype=tf.complex64)",
    "tf.signal.fft(tf.constant([1+2j, 3j], tf.complex64))",
    "tf.signal.rfft(tf.constant([1., 2., 3.]))",
    "tf.signal.irfft(tf.constant([1+2j, 3j, 1]))",
    "tf.signal.fftshift(tf.range(5))",
    "tf.signal.frame(tf.range(10), 3, 2, pad_end=True)",
    "tf.signal.frame(tf.range(2), 3, 2)",
    "tf.signal.frame(tf.range(0), 3, 2, pad_end=True)",
    "tf.signal.frame(tf.range(10), 0, 2)",
    "tf.signal.hann_window(1)",
    "tf.signal.hann_window(0)",
    "tf.signal.stft(tf.zeros([2, 3, 20]), 8, 4)",
]

# Expressions of Python values (dtype properties...): their repr.
VALUE_CASES = [
    "tf.complex64.is_complex", "tf.complex128.is_complex", "tf.float32.is_complex",
    "tf.complex64.real_dtype", "tf.complex128.real_dtype", "tf.float64.real_dtype",
    "tf.complex64.is_floating", "tf.complex64.size", "tf.complex128.size",
    "tf.complex64.as_numpy_dtype", "tf.as_dtype(np.complex64)", "tf.as_dtype('complex128')",
    "tf.complex64.is_numpy_compatible", "complex(tf.constant(1+2j))",
    "tf.constant(1+2j).numpy()", "tf.constant(1+2j, tf.complex64).numpy()",
    "tf.signal.stft(tf.zeros([2, 3, 20]), 8, 4).shape",
    "tf.signal.stft(tf.zeros([50]), 10, 4, pad_end=True).shape",
    "tf.signal.stft(tf.zeros([50]), 6, 4).shape",
    "tf.signal.frame(tf.zeros([2, 3, 20]), 8, 4, axis=1).shape",
    "tf.signal.frame(tf.zeros([2, 30, 3]), 8, 4, axis=-2).shape",
    "tf.signal.irfft(tf.zeros([3, 5], tf.complex64), fft_length=[12]).shape",
    "tf.signal.stft(tf.zeros([16], tf.float64), 8, 4).dtype",
    "tf.signal.irfft(tf.zeros([3], tf.complex64)).dtype",
]

# Expressions that raise: the exception class TF raises.
ERROR_CASES = [
    "tf.constant(1+0j, dtype=tf.float32)",
    "tf.constant([1, 2+1j])",
    "tf.constant([1.0, True, 2j])",
    "tf.convert_to_tensor(True, dtype=tf.complex64)",
    "tf.constant([1j], dtype=tf.int32)",
    "tf.complex(tf.constant(1., tf.float64), 2.)",
    "tf.complex(1, 2)",
    "tf.complex(tf.constant(1., tf.float16), tf.constant(1., tf.float16))",
    "tf.complex(tf.constant([1., 2.]), tf.constant([3., 4., 5.]))",
    "tf.constant(1+2j) + tf.constant(1.0, tf.float64)",
    "tf.constant(1.0) + 1j",
    "tf.constant(1) + 1j",
    "tf.constant(1+2j, tf.complex64) + tf.constant(1+2j)",
    "tf.add(tf.constant(1+2j), tf.constant(1.0, tf.float64))",
    "tf.constant([1+2j, 3j]) * tf.constant([1., 2.], tf.float64)",
    "tf.constant(1+2j) < tf.constant(1+2j)",
    "tf.constant(1+2j) > 1",
    "tf.math.greater_equal(tf.constant(1j), tf.constant(2j))",
    "tf.maximum(tf.constant(1j), tf.constant(2j))",
    "tf.reduce_max(tf.constant([1+2j, 3j]))",
    "tf.math.is_nan(tf.constant(1j))",
    "tf.constant(1+2j) % tf.constant(1+1j)",
    "tf.math.angle(tf.constant(2))",
    "tf.complex64.min",
    "tf.complex64.limits",
    "tf.signal.fft(tf.constant([1., 2.]))",
    "tf.signal.fft(tf.constant([1, 2]))",
    "tf.signal.fft(tf.constant(1+2j))",
    "tf.signal.fft2d(tf.constant([1+2j, 3j]))",
    "tf.signal.ifft(tf.constant([[1., 2.]]))",
    "tf.signal.rfft(tf.constant([1+2j]))",
    "tf.signal.rfft(tf.constant([1, 2]))",
    "tf.signal.rfft2d(tf.constant([1., 2.]))",
    "tf.signal.irfft(tf.constant([1., 2.]))",
    "tf.signal.hann_window(4, dtype=tf.int32)",
    "tf.signal.stft(tf.range(16), 8, 4)",
    "tf.signal.inverse_stft(tf.zeros([3, 5]), 8, 4)",
    "tf.signal.frame(tf.constant(1.), 3, 1)",
    "tf.signal.linear_to_mel_weight_matrix(4, 9, 100, 10., 60.)",
    "tf.signal.linear_to_mel_weight_matrix(4, 9, 100, 50., 40.)",
    "tf.signal.linear_to_mel_weight_matrix(0)",
    "tf.signal.linear_to_mel_weight_matrix(4, 9, 0)",
    "tf.signal.linear_to_mel_weight_matrix(4, 9, 100, -1., 40.)",
    "tf.signal.dct(tf.constant([1., 2., 3., 4.]), type=1, norm='ortho')",
    "tf.signal.dct(tf.constant([1., 2., 3., 4.]), type=5)",
    "tf.signal.dct(tf.constant([1., 2., 3., 4.]), norm='forward')",
]


# -- helpers the tests share ----------------------------------------------------------------
def run_case(tf, fn, inputs, up_name=None):
    """tapeflow's output and gradients (against the recorded upstream) for one case."""
    ts = [tf.constant(a) for a in inputs]
    with tf.GradientTape() as tape:
        for t, a in zip(ts, inputs):
            if differentiable(a):
                tape.watch(t)
        out = fn(tf, *ts)
    grads = None
    if inputs and out.dtype.name in ("float32", "float64", "complex64", "complex128"):
        up = upstream(up_name, out.shape, out.dtype.as_numpy_dtype)
        grads = tape.gradient(out, ts, output_gradients=tf.constant(up))
    return out, grads


def tolerance(dtype):
    """(rtol, atol) for values of ``dtype``: 32-bit parts or 64-bit ones."""
    d = np.dtype(dtype)
    return (2e-5, 2e-5) if d in (np.float32, np.complex64) else (1e-9, 1e-9)


def numeric_grads(tf, fn, inputs, up, eps=1e-6):
    """Central differences of ``L = sum(Re(conj(up) * fn(...)))``: for a complex input the
    gradient TF's convention gives is dL/dRe + 1j * dL/dIm."""
    def loss(arrays):
        out = np.asarray(fn(tf, *[tf.constant(a) for a in arrays]).numpy())
        return float(np.sum(np.real(np.conj(up) * out)))

    result = []
    for i, a in enumerate(inputs):
        if not differentiable(a):
            result.append(None)
            continue
        g = np.zeros(a.shape, a.dtype)
        steps = [1.0, 1j] if a.dtype.kind == "c" else [1.0]
        for j in range(a.size):
            for unit in steps:
                plus = [x.copy() for x in inputs]
                minus = [x.copy() for x in inputs]
                plus[i].reshape(-1)[j] += eps * unit
                minus[i].reshape(-1)[j] -= eps * unit
                d = (loss(plus) - loss(minus)) / (2 * eps)
                g.reshape(-1)[j] += d * unit
        result.append(g)
    return result
