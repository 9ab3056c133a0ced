"""tf.experimental.dispatch_for_api, the elementwise variants, unregister_dispatch_for and
the eager no-ops (enable_strict_mode, async_scope, async_clear_error): behaviour recorded
from TF 2.21."""
# ruff: noqa: UP006, UP007, UP045 - the typing spellings of TF's guide are under test
import contextlib
import typing

import numpy as np
import pytest

import tapeflow as tf


class MT(tf.experimental.ExtensionType):
    values: tf.Tensor
    mask: tf.Tensor


A = MT([1.0, 2.0], [True, False])
B = MT([3.0, 4.0], [True, True])
NOT_CONVERTIBLE = "Attempt to convert a value"


@pytest.fixture
def registered():
    """Targets registered by a test, unregistered after it (even when it fails)."""
    targets = []
    yield targets
    for t in targets:
        with contextlib.suppress(ValueError):
            tf.experimental.unregister_dispatch_for(t)


def test_dispatch_for_api_every_namespace_and_unregister(registered):
    original = tf.math.add

    @tf.experimental.dispatch_for_api(tf.math.add, {"x": MT, "y": MT})
    def mt_add(x, y, name=None):
        return MT(x.values + y.values, tf.logical_and(x.mask, y.mask))

    registered.append(mt_add)
    assert mt_add.__name__ == "mt_add"  # the decorator returns the function itself
    for r in (tf.add(A, B), tf.math.add(A, B), tf.add(A, y=B)):
        np.testing.assert_array_equal(r.values.numpy(), [4.0, 6.0])
        np.testing.assert_array_equal(r.mask.numpy(), [True, False])
    assert tf.add is tf.math.add
    assert float(tf.add(1.0, 2.0)) == 3.0  # plain tensors: the op itself
    with pytest.raises(ValueError, match=NOT_CONVERTIBLE):
        tf.add(A, 1.0)  # y is not an MT: no target matches
    tf.experimental.unregister_dispatch_for(mt_add)
    assert tf.math.add is original and tf.add is original  # no wrapper left: no cost
    with pytest.raises(ValueError, match=NOT_CONVERTIBLE):
        tf.add(A, B)
    with pytest.raises(ValueError, match=r"^Function <function .*mt_add at 0x[0-9a-f]+> was not "
                                         r"registered using a `@dispatch_for_\*` decorator.$"):
        tf.experimental.unregister_dispatch_for(mt_add)


def test_annotation_signature_union_and_list(registered):
    @tf.experimental.dispatch_for_api(tf.math.multiply)
    def mt_mul(x: MT, y: typing.Union[MT, tf.Tensor], name=None):
        yv = y.values if isinstance(y, MT) else y
        return MT(x.values * yv, x.mask)

    @tf.experimental.dispatch_for_api(tf.concat, {"values": typing.List[MT]})
    def mt_concat(values, axis, name="concat"):
        return MT(tf.concat([v.values for v in values], axis),
                  tf.concat([v.mask for v in values], axis))

    registered += [mt_mul, mt_concat]
    np.testing.assert_array_equal(tf.multiply(A, B).values.numpy(), [3.0, 8.0])
    np.testing.assert_array_equal(tf.multiply(A, tf.constant(2.0)).values.numpy(), [2.0, 4.0])
    with pytest.raises(ValueError, match=NOT_CONVERTIBLE):
        tf.multiply(A, 2.0)  # a Python float is neither MT nor Tensor
    r = tf.concat([A, B], 0)
    np.testing.assert_array_equal(r.values.numpy(), [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(r.mask.numpy(), [True, False, True, True])
    with pytest.raises(ValueError, match=NOT_CONVERTIBLE):
        tf.concat([A, tf.constant([1.0])], 0)
    np.testing.assert_array_equal(tf.concat([[1], [2]], 0).numpy(), [1, 2])


def test_two_matching_targets(registered):
    def f1(x, y, name=None):
        return 1

    def f2(x, y, name=None):
        return 2

    tf.experimental.dispatch_for_api(tf.math.subtract, {"x": MT})(f1)
    tf.experimental.dispatch_for_api(tf.math.subtract, {"x": typing.Optional[MT]})(f2)
    registered += [f1, f2]
    with pytest.raises(ValueError, match=r"^Multiple dispatch targets that were registered with "
                                         r"tf.dispatch_for \(<function .*f1 at 0x[0-9a-f]+> and "
                                         r"<function .*f2 at 0x[0-9a-f]+>\) match the arguments "
                                         r"to "):
        tf.subtract(A, B)


@pytest.mark.parametrize("api, sig, message", [
    (lambda: tf.math.add, {"z": MT}, "signature includes annotation for unknown parameter 'z'."),
    (lambda: tf.math.add, {"x": 3}, "Type annotation 3 is not currently supported by dispatch."
                                    "  Supported annotations: type objects,  List[...], and "
                                    "Union[...]"),
    (lambda: tf.math.add, {"x": typing.Tuple[MT]}, "Type annotation typing.Tuple[test_dispatch_"
                                                   "for_api.MT] is not currently supported"),
])
def test_registration_errors(api, sig, message):
    with pytest.raises(ValueError) as e:
        tf.experimental.dispatch_for_api(api(), sig)(lambda x, y, name=None: 0)
    assert str(e.value).startswith(message)


def test_registration_errors_of_the_target():
    with pytest.raises(ValueError, match="The dispatch_for_api decorator must be called with at "
                                         "least one signature, or applied to a function that "
                                         "has type annotations on its parameters."):
        tf.experimental.dispatch_for_api(tf.math.add)(lambda x, y, name=None: 0)
    with pytest.raises(ValueError, match=r"^<function .*<lambda> at 0x[0-9a-f]+> does not support "
                                         r"dispatch.$"):
        tf.experimental.dispatch_for_api(lambda x: x, {"x": MT})
    with pytest.raises(ValueError, match=r"^Dispatch function's signature \(x, y, name=None\) "
                                         r"does not match API's signature \(x, name=None\).$"):
        tf.experimental.dispatch_for_api(tf.math.abs, {"x": MT})(lambda x, y, name=None: 0)


def test_unary_elementwise(registered):
    seen = []

    @tf.experimental.dispatch_for_unary_elementwise_apis(MT)
    def unary(api_func, x):
        seen.append(api_func.__name__)
        return MT(api_func(x.values), x.mask)

    registered.append(unary)
    np.testing.assert_allclose(tf.math.exp(A).values.numpy(), np.exp([1.0, 2.0]), rtol=1e-6)
    np.testing.assert_array_equal(tf.abs(MT([-1.0], [True])).values.numpy(), [1.0])
    np.testing.assert_array_equal(tf.nn.relu(MT([-1.0, 2.0], [True, True])).values.numpy(),
                                  [0.0, 2.0])
    r = tf.cast(A, tf.int32)  # dtype bound into api_func
    assert r.values.dtype == tf.int32
    assert seen == ["exp", "abs", "relu", "<lambda>"]
    with pytest.raises(ValueError, match=r"^A unary elementwise dispatch handler \(<function .*"
                                         r"unary at 0x[0-9a-f]+>\) has already been registered "
                                         r"for <class 'test_dispatch_for_api.MT'>.$"):
        tf.experimental.dispatch_for_unary_elementwise_apis(MT)(lambda api_func, x: 0)
    tf.experimental.unregister_dispatch_for(unary)
    with pytest.raises(ValueError, match=NOT_CONVERTIBLE):
        tf.math.exp(A)


def test_binary_elementwise(registered):
    either = typing.Union[MT, tf.Tensor, float]

    @tf.experimental.dispatch_for_binary_elementwise_apis(either, either)
    def binary(api_func, x, y):
        xv = x.values if isinstance(x, MT) else x
        yv = y.values if isinstance(y, MT) else y
        return MT(api_func(xv, yv), A.mask)

    registered.append(binary)
    np.testing.assert_array_equal(tf.math.maximum(A, B).values.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(tf.math.pow(A, 2.0).values.numpy(), [1.0, 4.0])
    np.testing.assert_array_equal(tf.math.equal(A, B).values.numpy(), [False, False])
    r = tf.math.add(1.0, 2.0)  # no MT argument: the op itself
    assert isinstance(r, tf.Tensor) and float(r) == 3.0
    with pytest.raises(ValueError, match=r"^A binary elementwise dispatch handler \(<function "
                                         r".*binary at 0x[0-9a-f]+>\) has already been "
                                         r"registered for \(typing.Union"):
        tf.experimental.dispatch_for_binary_elementwise_apis(either, either)(lambda f, x, y: 0)
    tf.experimental.unregister_dispatch_for(binary)
    with pytest.raises(ValueError, match=NOT_CONVERTIBLE):
        tf.math.maximum(A, B)


def test_binary_elementwise_assert(registered):
    @tf.experimental.dispatch_for_binary_elementwise_assert_apis(MT, MT)
    def check(assert_func, x, y):
        return assert_func(x.values, y.values)

    registered.append(check)
    assert tf.debugging.assert_equal(A, A) is None
    assert tf.debugging.assert_less(A, B) is None
    with pytest.raises(tf.errors.InvalidArgumentError, match="Condition x < y did not hold."):
        tf.debugging.assert_less(B, A)
    tf.experimental.unregister_dispatch_for(check)
    assert "assert_less" not in vars(tf.debugging)  # the namespace's own method again


def test_undispatched_ops_are_untouched():
    # nothing registered: the public functions are the ops' own functions, no wrapper
    assert not hasattr(tf.math.add, "_tf_dispatch_api")
    assert not hasattr(tf.abs, "_tf_dispatch_api")


def test_strict_mode_and_async():
    assert tf.experimental.enable_strict_mode() is None
    assert float(tf.constant(1.0) + 1) == 2.0
    assert tf.experimental.async_clear_error() is None
    scope = tf.experimental.async_scope()
    assert isinstance(scope, contextlib.AbstractContextManager)
    with scope as s:
        assert s is None
        assert float(tf.constant(1.0) * 2) == 2.0
