"""complex64/complex128 tensors: values, dtypes, printing, errors and gradients (TF's
conjugate convention) against TensorFlow 2.21's recorded answers (``fixtures/``, written by
``record_tf_complex_signal.py``), and gradients against central finite differences."""
import logging

import numpy as np
import pytest
from complex_signal_cases import (
    COMPLEX_CASES,
    ERROR_CASES,
    PRINT_CASES,
    VALUE_CASES,
    differentiable,
    load,
    numeric_grads,
    run_case,
    tolerance,
    upstream,
)

import tapeflow as tf
from gradcheck import check_grad

ARRAYS, RECORD = load()
NS = {"tf": tf, "np": np}


def _check_against_tf(name, fn):
    inputs = [ARRAYS[f"{name}/in{i}"] for i in range(8) if f"{name}/in{i}" in ARRAYS]
    out, grads = run_case(tf, fn, inputs, name)
    expected = ARRAYS[f"{name}/out"]
    assert out.dtype.name == expected.dtype.name, name
    assert tuple(out.shape) == expected.shape, name
    rtol, atol = tolerance(expected.dtype)
    np.testing.assert_allclose(out.numpy(), expected, rtol=rtol, atol=atol, err_msg=name)
    if f"{name}/nograd" in ARRAYS or grads is None:
        return inputs, out
    for i, a in enumerate(inputs):
        key = f"{name}/grad{i}"
        if key not in ARRAYS:
            assert grads[i] is None, f"{name}: TF gives no gradient for input {i}"
            continue
        g = grads[i]
        assert g is not None, f"{name}: no gradient for input {i}"
        assert g.dtype.name == ARRAYS[key].dtype.name, f"{name} grad {i}"
        assert tuple(g.shape) == a.shape
        rtol, atol = max(tolerance(ARRAYS[key].dtype), tolerance(expected.dtype))
        np.testing.assert_allclose(g.numpy(), ARRAYS[key], rtol=rtol, atol=atol,
                                   err_msg=f"{name}: gradient of input {i}")
    return inputs, out


@pytest.mark.parametrize("name, fn", [(c[0], c[1]) for c in COMPLEX_CASES],
                         ids=[c[0] for c in COMPLEX_CASES])
def test_values_dtypes_and_gradients_match_tf(name, fn):
    _check_against_tf(name, fn)


# complex64_mul_exp needs 64 bits; TF 2.21's Cumprod gradient does not conjugate (unlike its
# other complex rules), and tapeflow gives TF's, checked against the recorded values only
FD_CASES = [c for c in COMPLEX_CASES if c[0] not in ("complex64_mul_exp", "cumprod")]
REAL_VALUED = ("squared_difference", "euclidean_norm")


@pytest.mark.parametrize("name, fn", [(c[0], c[1]) for c in FD_CASES],
                         ids=[c[0] for c in FD_CASES])
def test_gradients_match_finite_differences(name, fn):
    """TF's convention for a real loss L of complex z is dL/dRe(z) + 1j dL/dIm(z)."""
    inputs = [ARRAYS[f"{name}/in{i}"] for i in range(8) if f"{name}/in{i}" in ARRAYS]
    out, grads = run_case(tf, fn, inputs, name)
    if out.dtype.name not in ("float64", "complex128"):
        pytest.fail(f"{name}: finite differences need a 64-bit output")
    up = upstream(name, out.shape, out.dtype.as_numpy_dtype)
    if name in REAL_VALUED:
        # |x - y|**2 and the norm are real in a complex dtype: TF's rules (2 g (x - y),
        # g x / |x|) assume the upstream gradient is real too, as it is for any real loss of
        # them; check with a real one
        up = up.real.astype(up.dtype)
        ts = [tf.constant(a) for a in inputs]
        with tf.GradientTape() as tape:
            tape.watch(ts)
            out = fn(tf, *ts)
        grads = tape.gradient(out, ts, output_gradients=tf.constant(up))
    expected = numeric_grads(tf, fn, inputs, up)
    for i, (g, e) in enumerate(zip(grads, expected)):
        if e is None:
            continue
        np.testing.assert_allclose(g.numpy(), e, rtol=1e-5, atol=1e-6,
                                   err_msg=f"{name}: input {i}")


@pytest.mark.parametrize("expr", PRINT_CASES)
def test_printing_matches_tf(expr):
    t = eval(expr, NS)
    want = RECORD["printed"][expr]
    assert t.dtype.name == want["dtype"]
    assert list(t.shape) == want["shape"]
    assert str(t) == want["str"]
    got_repr = repr(t)
    if expr.startswith("tf.Variable"):  # TF numbers variables (Variable:0); compare the rest
        got_repr = got_repr.split(" shape=")[1]
        want["repr"] = want["repr"].split(" shape=")[1]
    assert got_repr == want["repr"]


@pytest.mark.parametrize("expr", [e for e in VALUE_CASES if "signal" not in e])
def test_dtype_properties_and_values_match_tf(expr):
    assert repr(eval(expr, NS)) == RECORD["values"][expr]


@pytest.mark.parametrize("expr", [e for e in ERROR_CASES if "signal" not in e])
def test_errors_match_tf(expr):
    with pytest.raises(Exception) as info:
        eval(expr, NS)
    assert type(info.value).__name__ == RECORD["errors"][expr], str(info.value)


def test_error_messages_name_the_op_and_dtypes():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"AddV2.*complex128.*float64"):
        tf.constant(1 + 2j) + tf.constant(1.0, tf.float64)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"complex128.*\[Op:Less\]"):
        _ = tf.constant(1 + 2j) < tf.constant(1 + 2j)
    with pytest.raises(TypeError, match="float64 float32"):
        tf.complex(tf.constant(1.0, tf.float64), 2.0)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[2\] vs. \[3\]"):
        tf.complex(tf.constant([1.0, 2.0]), tf.constant([3.0, 4.0, 5.0]))


def test_python_scalars_take_the_tensor_dtype():
    z = tf.constant([1 + 2j], tf.complex64)
    for r in (z + 1, z * 2.5, z - 1j, 2j / z, 1 - z):
        assert r.dtype == tf.complex64
    np.testing.assert_allclose((z * 1j).numpy(), [-2 + 1j])


def test_variable_of_complex_dtype_gets_a_gradient():
    v = tf.Variable([1 + 2j, -0.5j])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.abs(v) ** 2)
    g = tape.gradient(loss, v)
    np.testing.assert_allclose(g.numpy(), 2 * v.numpy())
    v.assign_sub(0.25 * g)
    np.testing.assert_allclose(v.numpy(), [0.5 + 1j, -0.25j])


def test_complex_target_seeds_ones_and_holomorphic_gradient_is_conjugate():
    z = tf.constant([0.3 + 0.4j, -1 + 2j])
    with tf.GradientTape() as tape:
        tape.watch(z)
        y = z * z * z
    np.testing.assert_allclose(tape.gradient(y, z).numpy(), np.conj(3 * z.numpy() ** 2))


def test_watching_a_complex_tensor_needs_no_warning(caplog):
    z = tf.constant(1 + 1j)
    with caplog.at_level(logging.WARNING), tf.GradientTape() as tape:
        tape.watch(z)
        y = tf.exp(z)
    assert not caplog.records
    np.testing.assert_allclose(tape.gradient(y, z).numpy(), np.conj(np.exp(1 + 1j)))


def test_second_order_through_complex_ops():
    x = tf.constant(0.7, tf.float64)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            z = tf.complex(x, x * x)
            y = tf.math.real(z * tf.math.conj(z))  # x**2 + x**4
        g = inner.gradient(y, x)
    np.testing.assert_allclose(g.numpy(), 2 * 0.7 + 4 * 0.7 ** 3)
    np.testing.assert_allclose(outer.gradient(g, x).numpy(), 2 + 12 * 0.7 ** 2)


def test_differentiable_helper_and_fixture_are_consistent():
    assert RECORD["tensorflow"].startswith("2.21")
    assert differentiable(np.zeros(1, np.complex64)) and not differentiable(np.zeros(1, int))


def test_tf_function_traces_complex_ops():
    @tf.function
    def f(z):
        return tf.abs(tf.exp(z) * tf.math.conj(z))

    z = tf.constant([1 + 1j, 2 - 0.5j])
    np.testing.assert_allclose(f(z).numpy(), np.abs(np.exp(z.numpy()) * np.conj(z.numpy())))


def test_transpose_conjugate_and_adjoint():
    z = tf.constant([[1 + 2j, 3j], [2, -1j]])
    want = np.conj(z.numpy()).T
    np.testing.assert_array_equal(tf.linalg.adjoint(z).numpy(), want)
    np.testing.assert_array_equal(tf.transpose(z, conjugate=True).numpy(), want)
    np.testing.assert_array_equal(tf.linalg.matrix_transpose(z, conjugate=True).numpy(), want)
    np.testing.assert_array_equal(tf.transpose(z).numpy(), z.numpy().T)
    x = tf.constant([[1.0, 2.0]])
    np.testing.assert_array_equal(tf.linalg.adjoint(x).numpy(), [[1.0], [2.0]])


def test_second_order_gradients_of_holomorphic_ops():
    rng = np.random.default_rng(6)

    def fn(x, y):
        z = tf.complex(x, y)
        w = tf.exp(z) * tf.math.log(z) / (z + 2.0) + tf.sqrt(z) ** 3
        return tf.math.real(w) + tf.math.imag(tf.matmul(z, z, adjoint_b=True))

    check_grad(fn, rng.uniform(0.5, 1.5, (2, 2)), rng.uniform(0.5, 1.5, (2, 2)),
               second_order=True)
    check_grad(lambda x: tf.abs(tf.complex(x, 1.0 - x)) + tf.math.angle(tf.complex(x, x * x)),
               rng.uniform(0.5, 1.5, (5,)), second_order=True)
