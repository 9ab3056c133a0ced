"""tf.math's special functions and tf.math.special (tapeflow/ops/special.py), approx top-k
and Sobol samples against TF 2.21's recorded outcomes (float64 values to 1e-11 relative), and
their gradients against float64 central differences."""
import numpy as np
import pytest

import tapeflow as tf
from gradcheck import check_grad
from tests.more_ops_parity import all_recorded, cases, check_case

CASES = cases("special_", "math_")


def test_every_case_was_recorded():
    assert all_recorded()


@pytest.mark.parametrize("name,fn", CASES, ids=[n for n, _ in CASES])
def test_matches_tensorflow(name, fn):
    # float32: TF evaluates in float32 (a few ulps off the true value), tapeflow in float64
    check_case(tf, name, fn, rtol32=1e-5)


POSITIVE = np.array([0.3, 1.2, 2.7, 6.0, 30.0])
SIGNED = np.array([-3.1, -0.4, 0.6, 1.7, 4.2, 9.5])


@pytest.mark.parametrize("name,x", [
    ("bessel_i0", SIGNED), ("bessel_i0e", SIGNED), ("bessel_i1", SIGNED),
    ("bessel_i1e", SIGNED), ("bessel_j0", SIGNED), ("bessel_j1", SIGNED),
    ("bessel_y0", POSITIVE), ("bessel_y1", POSITIVE), ("bessel_k0", POSITIVE),
    ("bessel_k0e", POSITIVE), ("bessel_k1", POSITIVE), ("bessel_k1e", POSITIVE),
    ("dawsn", SIGNED), ("expint", np.array([0.2, 0.5, 3.0, 12.0])),
    ("fresnel_cos", SIGNED), ("fresnel_sin", SIGNED),
    ("spence", np.array([0.2, 0.9, 1.0, 1.5, 7.0])),
])
def test_special_gradients(name, x):
    fn = getattr(tf.math.special, name)
    check_grad(fn, x, rtol=1e-5, atol=1e-7)


def test_bessel_second_derivatives():
    check_grad(tf.math.bessel_i0, np.array([-1.5, 0.7, 3.0]), second_order=True, rtol=1e-4)
    check_grad(tf.math.special.bessel_j0, np.array([0.7, 3.0]), second_order=True, rtol=1e-4)


def test_incomplete_gamma_gradients():
    a = np.array([0.7, 1.5, 4.0, 12.0])
    x = np.array([0.4, 2.0, 3.5, 15.0])
    check_grad(tf.math.igamma, a, x, rtol=1e-5, atol=1e-8)
    check_grad(tf.math.igammac, a, x, rtol=1e-5, atol=1e-8)


def test_betainc_gradient_flows_to_x_only():
    a, b, x = (tf.constant(v, tf.float64) for v in ([1.5, 2.0], [3.0, 0.7], [0.3, 0.6]))
    with tf.GradientTape() as tape:
        tape.watch([a, b, x])
        y = tf.math.betainc(a, b, x)
    ga, gb, gx = tape.gradient(y, [a, b, x])
    assert ga is None and gb is None
    check_grad(lambda v: tf.math.betainc(a, b, v), np.array([0.3, 0.6]), rtol=1e-5)
    assert gx.shape == (2,)


def test_zeta_polygamma_gradients():
    x = tf.constant([2.5, 4.0], tf.float64)
    check_grad(lambda q: tf.math.zeta(x, q), np.array([0.7, 3.0]), rtol=1e-5)
    n = tf.constant([0.0, 2.0], tf.float64)
    check_grad(lambda v: tf.math.polygamma(n, v), np.array([1.3, 2.5]), rtol=1e-5)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.math.zeta(x, tf.constant([0.7, 3.0], tf.float64))
    assert tape.gradient(y, x) is None


def test_inverse_function_gradients():
    check_grad(tf.math.erfcinv, np.array([0.1, 0.8, 1.3, 1.9]), rtol=1e-5)
    check_grad(tf.math.ndtri, np.array([0.05, 0.4, 0.9]), rtol=1e-5)
    check_grad(tf.math.lbeta, np.array([[1.5, 2.5, 0.7], [3.0, 4.0, 1.1]]), rtol=1e-5)


def test_nextafter_gradient_is_one_and_zero():
    a, b = tf.constant([1.0, 2.0], tf.float64), tf.constant([2.0, 1.0], tf.float64)
    with tf.GradientTape() as tape:
        tape.watch([a, b])
        y = tf.math.nextafter(a, b)
    ga, gb = tape.gradient(y, [a, b])
    np.testing.assert_array_equal(ga, [1.0, 1.0])
    np.testing.assert_array_equal(gb, [0.0, 0.0])


def test_approx_top_k_gradient_and_axis():
    vals, idx = tf.math.approx_max_k(tf.constant([[1.0, 5.0], [4.0, 2.0], [0.0, 9.0]]), 2,
                                     reduction_dimension=0)
    np.testing.assert_array_equal(vals, [[4.0, 9.0], [1.0, 5.0]])
    np.testing.assert_array_equal(idx, [[1, 2], [0, 0]])


def test_known_values():
    # zeta(2, 1) = pi^2 / 6; polygamma(1, 1) = pi^2 / 6; Ei(1) = 1.8951178163559368
    x = tf.constant([2.0], tf.float64)
    assert float(tf.math.zeta(x, [1.0])[0]) == pytest.approx(np.pi ** 2 / 6, rel=1e-14)
    assert float(tf.math.polygamma(tf.constant(1.0, tf.float64), 1.0)) == pytest.approx(
        np.pi ** 2 / 6, rel=1e-13)
    assert float(tf.math.special.expint(tf.constant(1.0, tf.float64))) == pytest.approx(
        1.8951178163559368, rel=1e-14)
    p = tf.constant(np.linspace(0.01, 0.99, 7))
    back = 0.5 * tf.math.erfc(-tf.math.ndtri(p) / np.sqrt(2.0))
    np.testing.assert_allclose(back, p, rtol=1e-13)


def test_scalars_and_traced_functions():
    names = ["bessel_i0", "bessel_i1e", "bessel_j1", "bessel_k0", "bessel_y1", "dawsn",
             "expint", "fresnel_cos", "spence"]
    x = tf.constant(1.3, tf.float64)
    eager = [getattr(tf.math.special, n)(x) for n in names]
    assert all(v.shape == () for v in eager)
    traced = tf.function(lambda v: [getattr(tf.math.special, n)(v) for n in names])(x)
    np.testing.assert_array_equal(traced, eager)
    a = tf.constant(2.5, tf.float64)
    for fn in (lambda: tf.math.igamma(a, 1.5), lambda: tf.math.betainc(a, a, 0.25),
               lambda: tf.math.zeta(a, 1.5), lambda: tf.math.polygamma(2.0 + 0 * a, a)):
        assert fn().shape == ()
