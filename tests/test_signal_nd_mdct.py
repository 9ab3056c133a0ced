"""tf.signal.fftnd/ifftnd/rfftnd/irfftnd and tf.signal.mdct/inverse_mdct.

TF 2.21's CPU build registers no kernels for FFTND/IFFTND/RFFTND/IRFFTND (it raises
NotFoundError on CPU; they run on GPU), so the N-D expected values below are the DFT's values
(the kernels' documented semantics: crop or zero-pad each of ``axes`` to ``fft_length``). The
MDCT values were recorded from TF 2.21 on CPU.
"""
import numpy as np
import pytest

import tapeflow as tf
from gradcheck import check_grad

X = np.array([[1 + 2j, -0.5j, 3], [0.25, 2 - 1j, -1]])
R = np.array([[1., 2., -1., 0.5], [3., 0., 1., -2.]])


def test_exported():
    for name in ["fftnd", "ifftnd", "rfftnd", "irfftnd", "mdct", "inverse_mdct"]:
        assert name in tf.signal.__all__ and callable(getattr(tf.signal, name))


def test_fftnd_defaults_all_axes():
    out = tf.signal.fftnd(tf.constant(X, tf.complex64))
    assert out.dtype == tf.complex64 and out.shape == (2, 3)
    np.testing.assert_allclose(out.numpy(), [[5.25 + 0.5j, -2.049038 + 2.75j, 0.549038 + 2.75j],
                                             [2.75 + 2.5j, 0.183013 + 6.946152j,
                                              -0.683013 - 3.446152j]], atol=1e-5)


def test_fftnd_fft_length_axes_norm():
    out = tf.signal.fftnd(tf.constant(X), fft_length=[4], axes=[1], norm="ortho")
    assert out.dtype == tf.complex128 and out.shape == (2, 4)
    np.testing.assert_allclose(out.numpy(), [[2 + 0.75j, -1.25 + 1j, 2 + 1.25j, -0.75 + 1j],
                                             [0.625 - 0.5j, 0.125 - 1j, -1.375 + 0.5j,
                                              1.125 + 1j]], atol=1e-6)


def test_ifftnd_crops_along_axes_in_given_order():
    out = tf.signal.ifftnd(tf.constant(X), fft_length=[1, 2], axes=[1, 0])
    assert out.shape == (2, 1)
    np.testing.assert_allclose(out.numpy(), [[0.625 + 1j], [0.375 + 1j]], atol=1e-12)


def test_ifftnd_inverts_fftnd_with_each_norm():
    x = tf.constant(X)
    for norm in [None, "backward", "forward", "ortho"]:
        back = tf.signal.ifftnd(tf.signal.fftnd(x, norm=norm), norm=norm)
        np.testing.assert_allclose(back.numpy(), X, atol=1e-12)


def test_python_list_input_becomes_complex64():
    out = tf.signal.fftnd([1.0, 2.0])
    assert out.dtype == tf.complex64
    np.testing.assert_allclose(out.numpy(), [3, -1], atol=1e-6)


def test_rfftnd():
    out = tf.signal.rfftnd(tf.constant(R, tf.float32))
    assert out.dtype == tf.complex64 and out.shape == (2, 3)
    np.testing.assert_allclose(out.numpy(), [[4.5, 4 - 3.5j, 3.5], [0.5, 0.5j, -8.5]], atol=1e-5)
    out = tf.signal.rfftnd(tf.constant(R), fft_length=[3], axes=[0], norm="forward")
    assert out.dtype == tf.complex128 and out.shape == (2, 4)
    np.testing.assert_allclose(out.numpy(), [
        [1.333333, 0.666667, 0, -0.5],
        [-0.166667 - 0.866025j, 0.666667, -0.5 - 0.288675j, 0.5 + 0.57735j]], atol=1e-6)


def test_irfftnd():
    out = tf.signal.irfftnd(tf.constant(X))
    assert out.dtype == tf.float64 and out.shape == (2, 4)
    np.testing.assert_allclose(out.numpy(), [[0.90625, 0.28125, -0.09375, -0.46875],
                                             [0.09375, -0.53125, 1.09375, -0.28125]], atol=1e-12)
    out = tf.signal.irfftnd(tf.constant(X, tf.complex64), fft_length=[3, 3], axes=[1, 0])
    assert out.dtype == tf.float32 and out.shape == (3, 3)
    np.testing.assert_allclose(out.numpy(), [[0.722222, 0.129452, -0.351674],
                                             [0.498006, -0.672115, 0.42411],
                                             [0.113105, 0.520335, -0.38344]], atol=1e-5)
    back = tf.signal.irfftnd(tf.signal.rfftnd(tf.constant(R)), fft_length=[2, 4])
    np.testing.assert_allclose(back.numpy(), R, atol=1e-12)


def test_nd_errors():
    with pytest.raises(ValueError, match="RFFT requires tf.float32 or tf.float64 inputs"):
        tf.signal.rfftnd(tf.constant([1, 2]))
    with pytest.raises(ValueError, match="IRFFT requires tf.complex64 or tf.complex128 inputs"):
        tf.signal.irfftnd(tf.constant([1.0, 2.0]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Tcomplex"):
        tf.signal.fftnd(tf.constant([1.0, 2.0]))
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.signal.fftnd(tf.constant(X), fft_length=[2, 2], axes=[0])
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.signal.fftnd(tf.constant(X), axes=[2])


def test_nd_gradients_float64():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2, 3, 4))
    check_grad(lambda x: tf.math.real(tf.signal.fftnd(tf.complex(x, tf.sin(x)), [3, 5],
                                                      [0, 2])) ** 2, a)
    check_grad(lambda x: tf.math.imag(tf.signal.ifftnd(tf.complex(x, x * x), axes=[2, 1],
                                                       norm="ortho")), a)
    check_grad(lambda x: tf.abs(tf.signal.rfftnd(x, fft_length=[2, 6], axes=[1, 2])) ** 2, a)
    check_grad(lambda x: tf.signal.irfftnd(tf.complex(x, x * x), axes=[0, 2]), a)


MD_X = np.array([[0.5, -1.0, 2.0, 0.25, 1.5, -0.75, 3.0, 1.0, -2.0, 0.1],
                 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]], np.float32)
MD_M = np.array([[1.0, -0.5], [0.25, 2.0], [3.0, 1.0]], np.float32)


def test_mdct_values():
    out = tf.signal.mdct(tf.constant(MD_X), 4)
    assert out.dtype == tf.float32 and out.shape == (2, 4, 2)
    np.testing.assert_allclose(out.numpy(), [
        [[-2.8710362911224365, -3.5437822341918945], [-2.2199130058288574, -1.3797821998596191],
         [-4.997894287109375, -4.391417980194092], [3.334376811981201, 2.0080976486206055]],
        [[-8.398411750793457, 0.2431797981262207], [-13.98059368133545, 1.1592786312103271],
         [-19.562774658203125, 2.0753774642944336], [-25.14495849609375, 2.991476535797119]]],
        rtol=1e-5, atol=1e-5)
    padded = tf.signal.mdct(tf.constant(MD_X), 4, pad_end=True)
    assert padded.shape == (2, 5, 2)
    np.testing.assert_allclose(padded.numpy()[:, 4], [[-0.42354974150657654, 1.0225396156311035],
                                                      [-5.8814215660095215, 14.19900894165039]],
                               rtol=1e-5, atol=1e-5)


def test_mdct_window_none_ortho_and_kbd():
    out = tf.signal.mdct(tf.constant(MD_X), 8, window_fn=None, norm="ortho")
    assert out.shape == (2, 1, 4)
    np.testing.assert_allclose(out.numpy(), [
        [[-2.3659093379974365, 0.019216792657971382, -0.6218529939651489, 2.0500974655151367]],
        [[-12.710556983947754, -2.3875021934509277, 2.055527925491333, 1.5863080024719238]]],
        rtol=1e-5, atol=1e-5)
    out = tf.signal.mdct(tf.constant(MD_X[0]), 4,
                         window_fn=tf.signal.kaiser_bessel_derived_window)
    np.testing.assert_allclose(out.numpy(), [
        [-2.930649757385254, -3.386505126953125], [-2.941715717315674, -0.7087675333023071],
        [-4.974203586578369, -3.7075161933898926], [2.94541072845459, 3.3375802040100098]],
        rtol=1e-5, atol=1e-5)


def test_mdct_float64():
    out = tf.signal.mdct(tf.constant(MD_X.astype(np.float64)), 4)
    assert out.dtype == tf.float64
    np.testing.assert_allclose(out.numpy()[0, 0], [-2.8710361485524016, -3.543782205402027],
                               rtol=1e-6)


def test_mdct_errors():
    with pytest.raises(ValueError, match="The frame length must be a multiple of 4."):
        tf.signal.mdct(tf.constant(MD_X), 6)
    with pytest.raises(ValueError, match=r"Shape \(\) must have rank at least 1"):
        tf.signal.mdct(tf.constant(1.0), 4)
    with pytest.raises(ValueError, match=r"Shape \(1,\) must have rank 0"):
        tf.signal.mdct(tf.constant(MD_X), [4])
    with pytest.raises(ValueError, match="Unknown normalization. Expected None or 'ortho', "
                                         "got: bad"):
        tf.signal.mdct(tf.constant(MD_X), 4, norm="bad")


def test_inverse_mdct_values():
    out = tf.signal.inverse_mdct(tf.constant(MD_M))
    assert out.dtype == tf.float32 and out.shape == (8,)
    np.testing.assert_allclose(out.numpy(), [
        0.09629311412572861, -0.41118699312210083, -0.5563712120056152, 0.7694526314735413,
        -0.4594884216785431, -0.22272226214408875, -1.5356152057647705, -0.3596150577068329],
        rtol=1e-5, atol=1e-6)
    out = tf.signal.inverse_mdct(tf.constant(MD_M), window_fn=None, norm="ortho")
    np.testing.assert_allclose(out.numpy(), [
        0.5972387194633484, -0.5972387194633484, -1.7568957805633545, 0.7209308743476868,
        -0.5460036993026733, -0.8630291223526001, -2.2304422855377197, -2.2304422855377197],
        rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"Shape \(2,\) must have rank at least 2"):
        tf.signal.inverse_mdct(tf.constant(MD_M[0]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Number of ways to split"):
        tf.signal.inverse_mdct(tf.ones([2, 3]))


def test_mdct_round_trip():
    rng = np.random.default_rng(3)
    wave = rng.normal(size=40)
    padded = tf.pad(tf.constant(wave), [[4, 0]])
    back = tf.signal.inverse_mdct(tf.signal.mdct(padded, 8, pad_end=True))
    np.testing.assert_allclose(back.numpy()[4:44], wave, atol=1e-10)


def test_mdct_gradients_float64():
    rng = np.random.default_rng(1)
    check_grad(lambda x: tf.signal.mdct(x, 8, pad_end=True), rng.normal(size=(2, 13)))
    check_grad(lambda x: tf.signal.inverse_mdct(x * x, norm="ortho"), rng.normal(size=(3, 4)))
