"""More of TF's top-level names against TF 2.21's recorded outcomes
(tests/fixtures/tf_toplevel_more_cases.py), and their gradients against float64 central
differences."""
import numpy as np
import pytest

import tapeflow as tf
from gradcheck import check_grad
from tests.fixtures.tf_toplevel_more_cases import CASES, IMG, X
from tests.more_ops_parity import check_recorded, every_case_recorded, load_recorded
from tests.test_linear_operator import same

RECORDED = load_recorded("tf_toplevel_more_2_21.json")


def test_every_case_was_recorded():
    assert every_case_recorded(RECORDED, CASES)


@pytest.mark.parametrize("name,fn", CASES, ids=[n for n, _ in CASES])
def test_matches_tensorflow(name, fn):
    check_recorded(tf, RECORDED, name, fn, same)


@pytest.mark.parametrize("fn,value", [
    (lambda x: tf.space_to_batch_nd(x, [2, 2], [[1, 1], [0, 2]]), IMG),
    (lambda x: tf.batch_to_space(x, [2, 1], [[0, 1], [0, 0]]), IMG),
    (lambda x: tf.math.real(tf.fftnd(tf.cast(x, tf.complex128), [3, 4], [-2, -1])), X),
    (lambda x: tf.math.imag(tf.rfftnd(x, [2, 4], [0, 2], Tcomplex=tf.complex128)), X),
    (lambda x: tf.irfftnd(tf.rfftnd(x, [3, 4], [1, 2], Tcomplex=tf.complex128), [3, 4],
                          [1, 2], Treal=tf.float64) * x, X),
    (lambda x: tf.matrix_square_root(x + 3.0 * tf.eye(3, dtype=tf.float64)), X[0, :, :3]
     / 20.0),
])
def test_gradients_match_central_differences(fn, value):
    check_grad(fn, value, rtol=1e-4, atol=1e-6)


def test_fftnd_family_matches_numpy():
    # TF 2.21 registers FFTND kernels for GPUs only (its CPU build raises NotFoundError);
    # tapeflow computes them everywhere, with NumPy's definition, which TF's GPU kernels use
    c = X.astype(np.complex128) * (1 + 0.5j)
    np.testing.assert_allclose(tf.fftnd(c, [2, 3, 4], [0, 1, 2]).numpy(), np.fft.fftn(c),
                               rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(tf.ifftnd(c, [3, 2], [1, 2]).numpy(),
                               np.fft.ifftn(c, s=[3, 2], axes=[1, 2]), rtol=1e-10, atol=1e-12)
    r = tf.rfftnd(X, [3, 4], [-2, -1])
    assert r.dtype == tf.complex64 and r.shape == (2, 3, 3)
    np.testing.assert_allclose(r.numpy(), np.fft.rfftn(X, axes=[-2, -1]), rtol=1e-5,
                               atol=1e-3)
    back = tf.irfftnd(r, [3, 4], [-2, -1])
    assert back.dtype == tf.float32
    np.testing.assert_allclose(back.numpy(), X, atol=1e-4)


def test_critical_section_runs_one_at_a_time():
    import threading

    cs, seen, active = tf.CriticalSection(), [], [0]

    def body():
        active[0] += 1
        seen.append(active[0])
        active[0] -= 1
        return tf.constant(1.0)

    threads = [threading.Thread(target=lambda: cs.execute(body)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [1] * 8


def test_register_gradient_refuses_a_second_registration():
    name = "TapeflowTestOnlyOp"
    tf.RegisterGradient(name)(lambda op, g: g)
    with pytest.raises(KeyError, match="Registering two gradient"):
        tf.RegisterGradient(name)(lambda op, g: g)


def test_initializer_configs_round_trip():
    init = tf.random_normal_initializer(mean=1.0, stddev=0.5, seed=7)
    assert init.get_config() == {"mean": 1.0, "stddev": 0.5, "seed": 7}
    again = tf.random_normal_initializer.from_config(init.get_config())
    assert again.get_config() == init.get_config()
    draws = tf.random_normal_initializer(mean=1.0, stddev=0.5, seed=7)([2000], tf.float64)
    assert abs(float(tf.reduce_mean(draws)) - 1.0) < 0.05
    assert abs(float(tf.math.reduce_std(draws)) - 0.5) < 0.05
    assert tf.constant_initializer(2.0).get_config() == {"value": 2.0}
    assert tf.zeros_initializer().get_config() == {}


def test_nondifferentiable_batch_function_stops_gradients():
    fn = tf.nondifferentiable_batch_function(1, 10, 100)(lambda x: x * 2.0)
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(fn(x))
    np.testing.assert_allclose(y.numpy(), 6.0)
    assert tape.gradient(y, x) is None


def test_conv2d_backprop_v2_match_tensorflows_conv2d_gradients():
    from tests.fixtures.tf_toplevel_more_cases import CONV_F, CONV_X

    want_f, want_x = RECORDED["conv2d_gradients_reference"]["items"]
    y_shape = tf.nn.conv2d(CONV_X, CONV_F, [1, 2, 1, 1], "SAME").shape
    g = tf.reshape(tf.range(float(np.prod(y_shape))) / 10.0, y_shape)
    got_f = tf.conv2d_backprop_filter_v2(CONV_X, CONV_F, g, [1, 2, 1, 1], "SAME")
    got_x = tf.conv2d_backprop_input_v2(CONV_X, CONV_F, g, [1, 2, 1, 1], "SAME")
    for got, want in ((got_f, want_f), (got_x, want_x)):
        assert list(got.shape) == want["shape"]
        np.testing.assert_allclose(got.numpy().ravel(), want["values"], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("fn,value", [
    (lambda x: tf.conv(x, tf.constant(np.linspace(-1, 1, 8).reshape(2, 2, 1, 2)),
                       [1, 1, 2, 1], "SAME"), np.linspace(0, 1, 18).reshape(1, 3, 6, 1)),
    (lambda x: tf.extract_volume_patches(x, [1, 2, 2, 1, 1], [1, 1, 2, 1, 1], "SAME"),
     np.linspace(-1, 1, 24).reshape(1, 2, 3, 2, 2)),
    (lambda x: tf.approx_top_k(tf.cast(x, tf.float32), 2)[0], np.array([0.3, -1.0, 2.0])),
])
def test_more_gradients_match_central_differences(fn, value):
    if "approx" in repr(fn.__code__.co_names):
        # ApproxTopK is float32 only: check the rule on a float32 input by hand
        x = tf.Variable(np.asarray(value, np.float32))
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(tf.approx_top_k(x, 2).values * [1.0, 10.0])
        np.testing.assert_allclose(tape.gradient(y, x).numpy(), [10.0, 0.0, 1.0])
        return
    check_grad(fn, value, rtol=1e-4, atol=1e-6)


def test_registered_conversion_functions_feed_ops():
    class Pair:
        def __init__(self, v):
            self.v = v

    def convert(value, dtype=None, name=None, as_ref=False):
        return tf.constant([value.v, -value.v], dtype=dtype)

    tf.register_tensor_conversion_function(Pair, convert)
    np.testing.assert_allclose(tf.add(Pair(2.0), 1.0).numpy(), [3.0, -1.0])
    with pytest.raises(TypeError, match="must be a type"):
        tf.register_tensor_conversion_function("Pair", convert)


def test_make_ndarray_reads_a_parsed_proto_like_object():
    p = tf.make_tensor_proto(np.array([[1.5, -2.0], [0.25, 4.0]], np.float32))
    assert tf.make_ndarray(p).dtype == np.float32
    np.testing.assert_array_equal(tf.make_ndarray(p), [[1.5, -2.0], [0.25, 4.0]])
    assert p == tf.make_tensor_proto(np.array([[1.5, -2.0], [0.25, 4.0]], np.float32))


def test_tf_test_case_assertions_behave_like_tensorflows():
    import unittest

    results = []

    class Case(tf.test.TestCase):
        def runTest(self):
            self.assertAllClose([1.0, 2.0], tf.constant([1.0, 2.0000001]))
            self.assertAllEqual(tf.constant([1, 2]), [1, 2])
            with self.assertRaises(AssertionError):
                self.assertAllClose([1.0], [1.1])
            with self.assertRaises(AssertionError):
                self.assertAllEqual([1, 2], [1, 3])
            results.append(self.evaluate({"a": tf.constant([1])})["a"])
            self.assertAllInRange(tf.constant([1.0, 2.0]), 1.0, 2.0)
            with self.assertRaises(AssertionError):
                self.assertAllInRange(tf.constant([1.0, 2.0]), 1.0, 2.0, open_upper_bound=True)

    import io

    outcome_ = unittest.TextTestRunner(verbosity=0, stream=io.StringIO()).run(Case())
    assert outcome_.wasSuccessful()
    assert isinstance(results[0], np.ndarray)


def test_tf_test_device_queries_on_the_host():
    gpu = bool(tf.config.list_physical_devices("GPU"))
    assert tf.test.is_gpu_available() is gpu
    assert tf.test.gpu_device_name() == ("/device:GPU:0" if gpu else "")
    assert tf.test.is_built_with_rocm() is False
    assert tf.test.is_cpu_target_available("x86") is True


def test_keras_namespaces_are_aliased_at_the_top_level():
    # TF 2.21's tf.losses, tf.metrics, tf.optimizers and tf.initializers are Keras's
    assert tf.losses.MSE is tf.keras.losses.MSE
    assert tf.metrics.AUC is tf.keras.metrics.AUC
    assert tf.optimizers.Adam is tf.keras.optimizers.Adam
    assert tf.initializers.GlorotUniform is tf.keras.initializers.GlorotUniform


def test_tf_test_compute_gradient_matches_tensorflows_layout():
    # TF 2.21: one [y.size, x.size] Jacobian per input, numerical with delta 1/1024
    theoretical, numerical = tf.test.compute_gradient(
        lambda x, y: x * y[:2] + tf.reduce_sum(y), [tf.constant([1.0, 2.0]),
                                                   tf.constant([3.0, 4.0, 5.0])])
    np.testing.assert_array_equal(theoretical[0], [[3.0, 0.0], [0.0, 4.0]])
    np.testing.assert_allclose(numerical[1], [[2.0, 1.0, 1.0], [1.0, 3.0, 1.0]], rtol=1e-3)
    _, numerical = tf.test.compute_gradient(lambda x: x ** 3, [np.array([1.0])])
    np.testing.assert_allclose(numerical[0][0, 0] - 3.0, (1.0 / 1024) ** 2, rtol=1e-6)
