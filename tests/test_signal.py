"""``tf.signal``: FFTs, framing, windows, STFT, mel filterbanks and the DCT against TensorFlow
2.21's recorded answers (``fixtures/``, written by ``record_tf_complex_signal.py``),
gradients against central finite differences, and shapes with hypothesis."""
import math

import numpy as np
import pytest
from complex_signal_cases import (
    COMPLEX_CASES,
    ERROR_CASES,
    PRINT_CASES,
    SIGNAL_CASES,
    VALUE_CASES,
    load,
    numeric_grads,
    run_case,
    tolerance,
    upstream,
)
from fakegpu import gpus_fixture
from hypothesis import given, settings
from hypothesis import strategies as st
from test_complex import _check_against_tf

import tapeflow as tf
from gradcheck import check_grad
from tapeflow import backend

ARRAYS, RECORD = load()
NS = {"tf": tf, "np": np}
NAMES = [c[0] for c in SIGNAL_CASES]


@pytest.mark.parametrize("name, fn", [(c[0], c[1]) for c in SIGNAL_CASES], ids=NAMES)
def test_values_dtypes_and_gradients_match_tf(name, fn):
    _check_against_tf(name, fn)


FD_CASES = [c for c in SIGNAL_CASES
            if c[2] and not c[0].endswith(("float32", "complex64"))]


@pytest.mark.parametrize("name, fn", [(c[0], c[1]) for c in FD_CASES],
                         ids=[c[0] for c in FD_CASES])
def test_gradients_match_finite_differences(name, fn):
    inputs = [ARRAYS[f"{name}/in{i}"] for i in range(8) if f"{name}/in{i}" in ARRAYS]
    out, grads = run_case(tf, fn, inputs, name)
    assert out.dtype.name in ("float64", "complex128")
    up = upstream(name, out.shape, out.dtype.as_numpy_dtype)
    expected = numeric_grads(tf, fn, inputs, up)
    for i, (g, e) in enumerate(zip(grads, expected)):
        np.testing.assert_allclose(g.numpy(), e, rtol=1e-5, atol=1e-6,
                                   err_msg=f"{name}: input {i}")


def test_tf_has_no_gradient_for_3d_real_ffts_but_tapeflow_does():
    """TF 2.21 registers no gradient for RFFT3D/IRFFT3D (LookupError); tapeflow's is the
    same adjoint as in 1 and 2 D, checked by finite differences above."""
    assert "rfft3d/nograd" in ARRAYS and "irfft3d/nograd" in ARRAYS


@pytest.mark.parametrize("expr", [e for e in PRINT_CASES if "signal" in e])
def test_printing_matches_tf(expr):
    t = eval(expr, NS)
    want = RECORD["printed"][expr]
    assert (t.dtype.name, list(t.shape)) == (want["dtype"], want["shape"])
    assert str(t) == want["str"]
    assert repr(t) == want["repr"]


@pytest.mark.parametrize("expr", [e for e in VALUE_CASES if "signal" in e])
def test_shapes_and_dtypes_match_tf(expr):
    assert repr(eval(expr, NS)) == RECORD["values"][expr]


@pytest.mark.parametrize("expr", [e for e in ERROR_CASES if "signal" in e])
def test_errors_match_tf(expr):
    with pytest.raises(Exception) as info:
        eval(expr, NS)
    assert type(info.value).__name__ == RECORD["errors"][expr], str(info.value)


def test_error_messages_name_the_op_shape_and_dtype():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"float32.*\[2\].*\[Op:FFT\]"):
        tf.signal.fft(tf.constant([1.0, 2.0]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"rank of at least 2.*FFT2D"):
        tf.signal.fft2d(tf.constant([1j]))
    with pytest.raises(ValueError, match=r"RFFT requires.*dtype=int32"):
        tf.signal.rfft(tf.constant([1, 2]))


def test_signal_is_reachable_from_the_package():
    import tapeflow.signal as sig

    assert tf.signal is sig
    assert tf.signal.fft is sig.fft and callable(tf.signal.stft)


def test_stft_round_trip_reconstructs_the_interior():
    x = np.random.default_rng(3).normal(size=(2, 256))
    s = tf.signal.stft(tf.constant(x), 64, 16)
    y = tf.signal.inverse_stft(s, 64, 16, window_fn=tf.signal.inverse_stft_window_fn(16))
    np.testing.assert_allclose(y.numpy()[:, 64:-64], x[:, 64:-64], atol=1e-12)


def test_fft_matches_numpy_and_inverts():
    z = np.random.default_rng(4).normal(size=(3, 16)) * (1 + 0.5j)
    np.testing.assert_allclose(tf.signal.fft(z).numpy(), np.fft.fft(z), atol=1e-12)
    np.testing.assert_allclose(tf.signal.ifft(tf.signal.fft(z)).numpy(), z, atol=1e-12)
    r = z.real
    back = tf.signal.irfft(tf.signal.rfft(r), fft_length=[16])
    np.testing.assert_allclose(back.numpy(), r, atol=1e-12)


def test_spectrogram_pipeline_trains_through_stft():
    """The audio tutorial's front end: |stft| -> mel -> log, differentiable end to end."""
    wave = tf.constant(np.sin(np.linspace(0, 60, 400)).astype("float32"))
    gain = tf.Variable(1.0)
    mel = tf.signal.linear_to_mel_weight_matrix(16, 33, 8000, 20.0, 4000.0)
    with tf.GradientTape() as tape:
        spec = tf.abs(tf.signal.stft(wave * gain, 64, 32))
        logmel = tf.math.log(tf.matmul(spec, mel) + 1e-6)
        loss = tf.reduce_mean(tf.signal.mfccs_from_log_mel_spectrograms(logmel))
    g = tape.gradient(loss, gain)
    assert spec.shape == (11, 33) and logmel.dtype == tf.float32
    assert g is not None and np.isfinite(g.numpy())


def _frames(n, length, step, pad_end):
    if pad_end:
        return -(-n // step)
    return 0 if n < length else (n - length) // step + 1


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=0, max_size=2), st.integers(0, 30),
       st.integers(0, 9), st.integers(1, 7), st.booleans(), st.data())
def test_frame_shapes_and_values(outer, n, length, step, pad_end, data):
    shape = outer + [n]
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    shape = list(shape)
    shape.insert(axis % len(shape), shape.pop()) if axis != -1 else None
    x = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    out = tf.signal.frame(tf.constant(x), length, step, pad_end=pad_end, pad_value=-1.0,
                          axis=axis)
    ax = axis % len(shape)
    count = _frames(shape[ax], length, step, pad_end)
    assert list(out.shape) == shape[:ax] + [count, length] + shape[ax + 1:]
    moved = np.moveaxis(x, ax, -1)
    got = np.moveaxis(out.numpy(), (ax, ax + 1), (-2, -1))
    for f in range(count):
        for j in range(length):
            k = f * step + j
            want = moved[..., k] if k < moved.shape[-1] else -1.0
            np.testing.assert_array_equal(got[..., f, j], want)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 3), st.integers(0, 70), st.integers(2, 20), st.integers(1, 12),
       st.sampled_from([None, 8, 16, 32]), st.booleans())
def test_stft_shapes(batch, n, frame_length, step, fft_length, pad_end):
    x = tf.zeros([batch, n], tf.float64)
    s = tf.signal.stft(x, frame_length, step, fft_length=fft_length, pad_end=pad_end)
    nfft = fft_length or 2 ** math.ceil(math.log2(frame_length))
    assert list(s.shape) == [batch, _frames(n, frame_length, step, pad_end), nfft // 2 + 1]
    assert s.dtype == tf.complex128


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(1, 9), st.integers(1, 9))
def test_overlap_and_add_is_the_adjoint_of_frame(frames, length, step):
    rng = np.random.default_rng(frames * 100 + length * 10 + step)
    n = (frames - 1) * step + length
    x = rng.normal(size=(2, n))
    y = rng.normal(size=(2, frames, length))
    fx = tf.signal.frame(tf.constant(x), length, step).numpy()
    ay = tf.signal.overlap_and_add(tf.constant(y), step).numpy()
    assert ay.shape == (2, n)
    np.testing.assert_allclose(np.sum(fx * y), np.sum(x * ay), rtol=1e-10)


def test_windows_in_float64_and_tolerance_helper():
    w = tf.signal.hann_window(8, dtype=tf.float64).numpy()
    np.testing.assert_allclose(w, 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(8) / 8))
    assert tolerance(np.float32)[0] > tolerance(np.float64)[0]


gpus = gpus_fixture()

DEVICE_CASES = ["mul", "div", "abs_squared", "complex", "angle", "sign", "matmul_adjoint",
                "reduce_prod", "fft2d", "rfft_padded", "irfft_odd", "frame_pad_end",
                "overlap_and_add", "stft", "inverse_stft", "dct3_ortho"]


@pytest.mark.parametrize("name", DEVICE_CASES)
def test_complex_and_signal_ops_on_a_device_match_host(name, gpus):
    """On the NumPy-backed stand-in GPU (tests/fakegpu.py): same values and gradients, and
    the results stay on the device."""
    fn = dict((c[0], c[1]) for c in COMPLEX_CASES + SIGNAL_CASES)[name]
    inputs = [ARRAYS[f"{name}/in{i}"] for i in range(8) if f"{name}/in{i}" in ARRAYS]
    out, grads = run_case(tf, fn, inputs, name)
    assert out.device.endswith("GPU:0")
    backend.unregister_backend(gpus)
    try:
        ref_out, ref_grads = run_case(tf, fn, inputs, name)
    finally:
        backend.register_backend(gpus)
    np.testing.assert_allclose(out.numpy(), ref_out.numpy(), rtol=1e-12, atol=1e-12)
    for g, r in zip(grads, ref_grads):
        assert g.device.endswith("GPU:0")
        np.testing.assert_allclose(g.numpy(), r.numpy(), rtol=1e-12, atol=1e-12)


def test_second_order_gradients_through_the_transforms():
    """The FFT gradient rules are recorded ops, so nested tapes differentiate them again."""
    rng = np.random.default_rng(5)
    check_grad(lambda x: tf.abs(tf.signal.rfft(x, fft_length=[8])) ** 2, rng.normal(size=(2, 6)),
               second_order=True)
    check_grad(lambda x: tf.signal.irfft(tf.complex(x, x * x)), rng.normal(size=(2, 5)),
               second_order=True)
    check_grad(lambda x: tf.math.real(tf.signal.fft(tf.complex(x, tf.sin(x))) ** 2),
               rng.normal(size=(6,)), second_order=True)
    check_grad(lambda x: tf.signal.overlap_and_add(tf.signal.frame(x * x, 4, 2), 2),
               rng.normal(size=(12,)), second_order=True)
