"""Behaviours found different from TF 2.21 by a sweep of guide-style snippets (2026-12-05),
with TF's answers written down: conversion errors, scalar special functions, the eager
``tf.while_loop``'s tensors, ``approx_max_k``'s result type, ``angle``'s rounding."""
import numpy as np
import pytest

import tapeflow as tf

_UNSUPPORTED = (r"Attempt to convert a value \({}\) with an unsupported type \(<class '{}'>\) "
                r"to a Tensor\.")


class _Thing:
    pass


@pytest.mark.parametrize("convert", [tf.constant, tf.convert_to_tensor])
@pytest.mark.parametrize("value, shown, cls", [
    (None, "None", "NoneType"), ([None], "None", "NoneType"),
    ([[None], [None]], "None", "NoneType"),
    ({"a": 1}, r"\{'a': 1\}", "dict"), ({1, 2}, r"\{1, 2\}", "set"),
    (_Thing(), "<.*_Thing object at .*>", r"test_parity_sweep_1205\._Thing"),
])
def test_values_of_unsupported_types_raise_tfs_value_error(convert, value, shown, cls):
    with pytest.raises(ValueError, match=_UNSUPPORTED.format(shown, cls)):
        convert(value)


@pytest.mark.parametrize("value", [[1, None], [[1], [None]], [1.5, None], [1, object()], [1, "a"]])
def test_sequences_mixing_numbers_with_other_values_raise_mixed_types(value):
    with pytest.raises(ValueError, match="Can't convert Python sequence with mixed types"):
        tf.constant(value)


def test_none_operand_of_an_op_raises_value_error():
    for fn in (lambda: tf.add(None, 1), lambda: tf.ones([2]) + None,
               lambda: tf.constant(None, tf.float32)):
        with pytest.raises(ValueError, match=_UNSUPPORTED.format("None", "NoneType")):
            fn()


def test_scalar_special_functions():
    # TF 2.21: lgamma(3.) 0.6931472, erfc(0.5) 0.4795001, erfinv(0.5) 0.47693631
    assert tf.math.lgamma(3.).numpy() == np.float32(np.log(2.0))
    assert tf.math.lgamma(3.).shape == ()
    np.testing.assert_allclose(tf.math.erfc(0.5).numpy(), 0.47950011, rtol=1e-6)
    np.testing.assert_allclose(tf.math.erfinv(0.5).numpy(), 0.47693631, rtol=1e-6)
    np.testing.assert_array_equal(tf.math.lgamma([[0., -1.]]).numpy(), [[np.inf, np.inf]])


def test_eager_while_loop_returns_tensors():
    i, s = tf.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s + i), (0, 0))
    assert isinstance(i, tf.Tensor) and i.dtype == tf.int32
    assert (int(i), int(s)) == (5, 10)
    v = tf.Variable(1.0)
    _, got = tf.while_loop(lambda i, v: i < 2, lambda i, v: (i + 1, v), (0, v))
    assert type(got) is tf.Tensor and float(got) == 1.0  # the variable's value, as TF
    _, text = tf.while_loop(lambda i, s: i < 2, lambda i, s: (i + 1, s), (0, "ab"))
    assert text.dtype == tf.string and text.numpy() == b"ab"
    n, d = tf.while_loop(lambda i, d: i < 3, lambda i, d: (i + 1, d), (0, {"a": 1.0}))
    assert int(n) == 3 and isinstance(d["a"], tf.Tensor) and d["a"].dtype == tf.float32
    (never,) = tf.while_loop(lambda i: False, lambda i: i + 1, (0,))
    assert isinstance(never, tf.Tensor) and int(never) == 0


def test_eager_while_loop_errors():
    with pytest.raises(ValueError, match=_UNSUPPORTED.format("None", "NoneType")):
        tf.while_loop(lambda i, s: i < 2, lambda i, s: (i + 1, s), (0, None))
    with pytest.raises(ValueError, match="The two structures don't have the same"):
        tf.while_loop(lambda i, s: i < 2, lambda i, s: (i + 1, s * 2), (0, [1., 2.]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="cannot compute AddV2"):
        tf.while_loop(lambda i: i < 3, lambda i: i + 1.5, (0,))


def test_approx_top_k_returns_tfs_named_tuple():
    r = tf.math.approx_max_k([1., 3., 2.], 2)
    assert type(r).__name__ == "ApproxTopK" and r._fields == ("values", "indices")
    np.testing.assert_array_equal(r.values.numpy(), [3., 2.])
    np.testing.assert_array_equal(r.indices.numpy(), [1, 2])
    assert type(tf.math.approx_min_k([1., 3., 2.], 2)).__name__ == "ApproxTopK"


def test_complex64_angle_is_correctly_rounded():
    got = tf.math.angle(tf.complex([1., -1., 0.3], [1., 0., -2.])).numpy()
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, np.float32([0.7853982, 3.1415927, -1.4219064]))


def test_lookup_layers_take_python_lists_as_keras_does():
    # Keras 3.15 / TF 2.21: [1 0 2], [1 0 2], [[2 4 1]]
    s = tf.keras.layers.StringLookup(vocabulary=["a", "b"])(["a", "c", "b"])
    np.testing.assert_array_equal(s.numpy(), [1, 0, 2])
    i = tf.keras.layers.IntegerLookup(vocabulary=[5, 7])([5, 6, 7])
    np.testing.assert_array_equal(i.numpy(), [1, 0, 2])
    v = tf.keras.layers.TextVectorization()
    v.adapt(["a b c", "a b", "a"])
    np.testing.assert_array_equal(v(["a c d"]).numpy(), [[2, 4, 1]])


def test_vocabularies_hold_numpy_scalars_as_keras_does():
    v = tf.keras.layers.TextVectorization()
    v.adapt(["a b c", "a b", "a"])
    assert repr(v.get_vocabulary()) == "['', '[UNK]', np.str_('a'), np.str_('b'), np.str_('c')]"
    assert repr(v.get_vocabulary(include_special_tokens=False)) == (
        "[np.str_('a'), np.str_('b'), np.str_('c')]")
    i = tf.keras.layers.IntegerLookup()
    i.adapt([5, 7, 5])
    assert repr(i.get_vocabulary()) == "[-1, np.int64(5), np.int64(7)]"
    s = tf.keras.layers.StringLookup(vocabulary=["a", "b"])
    assert repr(s.get_vocabulary()) == "['[UNK]', np.str_('a'), np.str_('b')]"
    assert s.get_config()["vocabulary"] == ["a", "b"]  # configs keep plain strings


def test_special_functions_keep_device_arrays():
    """The scalar fix must not convert a device array through NumPy (the stand-in device
    refuses implicit conversion, as CuPy does)."""
    from fakegpu import fake_gpus

    with fake_gpus(), tf.device("/GPU:0"):
        x = tf.constant([0.5, 3.0])
        got = [tf.math.lgamma(x), tf.math.erfc(x), tf.math.erfinv(x / 10.0)]
        for y in got:
            assert "GPU:0" in y.device
    np.testing.assert_allclose(got[0].numpy(), [0.5723649, np.log(2.0)], rtol=1e-6)
    np.testing.assert_allclose(got[1].numpy(), [0.47950011, 2.2090497e-05], rtol=1e-6)
