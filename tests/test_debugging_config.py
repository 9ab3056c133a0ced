"""Issue 16's tf.debugging, tf.config and tf.dtypes names (tapeflow/framework.py,
tapeflow/dtypes.py) and TF 2's top-level Assert and assert_* against TF 2.21's recorded
outcomes, plus the messages TF gives."""
import numpy as np
import pytest

import tapeflow as tf
from tests.more_ops_parity import cases, check_case

CASES = cases("debug_", "config_", "dtypes_", "assert_shapes_")


@pytest.mark.parametrize("name,fn", CASES, ids=[n for n, _ in CASES])
def test_matches_tensorflow(name, fn):
    check_case(tf, name, fn)


def test_messages():
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        tf.debugging.Assert(False, ["bad", tf.constant([1, 2, 3, 4, 5]), 2.5, [[1.5, 2.0]], "x"])
    assert e.value.message == ("Expected 'False' to be true. Summarized data: b'bad'\n"
                               "1, 2, 3, ...\n2.5\n1.5, 2.0\nb'x'")
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        tf.debugging.Assert(False, [tf.constant([1, 2, 3, 4, 5])], summarize=2)
    assert e.value.message.endswith("Summarized data: 1, 2, ...")
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        tf.debugging.assert_negative(tf.constant([1.0, -2.0]), message="m")
    assert e.value.message == ("m.  \nCondition x < 0 did not hold element-wise:x "
                               "(shape=(2,) dtype=float32) = \n['1.0', '-2.0']")
    with pytest.raises(TypeError, match=r"^m\.  Expected \"x\" to be integer type\.  Found: "
                       r"tensor of dtype <dtype: 'float32'>$"):
        tf.debugging.assert_integer(tf.constant([1.0]), message="m")
    with pytest.raises(ValueError, match=r"^Tensor  must have rank in \(0, 2\)\.  Received "
                       r"rank 1, shape \(1,\)$"):
        tf.debugging.assert_rank_in(tf.constant([1]), (0, 2))
    with pytest.raises(ValueError, match=r"^Expected scalar shape, saw shape: \(2,\)\.$"):
        tf.debugging.assert_scalar([1, 2])
    with pytest.raises(ValueError, match="Expected floating point type, got <dtype: 'int32'>"):
        tf.debugging.assert_same_float_dtype([tf.constant(1)])
    with pytest.raises(ValueError) as e:
        tf.debugging.assert_same_float_dtype([tf.constant(1.0), tf.constant(1.0, tf.float64)])
    assert str(e.value) == ("tf.Tensor(1.0, shape=(), dtype=float64), type=<dtype: 'float64'>, "
                            "must be of the same type (<dtype: 'float32'>) as tf.Tensor(1.0, "
                            "shape=(), dtype=float32).")
    with pytest.raises(TypeError, match=r'"proper" iterable.  Found: <class .str.>'):
        tf.debugging.assert_proper_iterable("abc")


def test_same_float_dtype_and_numeric():
    assert tf.debugging.assert_same_float_dtype([tf.constant(1.0, tf.float64)]) == tf.float64
    assert tf.debugging.assert_same_float_dtype(None, tf.float16) == tf.float16
    assert tf.debugging.assert_same_float_dtype() == tf.float32
    assert tf.debugging.is_numeric_tensor(tf.constant([1 + 2j]))


def test_config_objects():
    c = tf.config.LogicalDeviceConfiguration(memory_limit=10)
    assert repr(c) == ("LogicalDeviceConfiguration(memory_limit=10, experimental_priority=None, "
                       "experimental_device_ordinal=None)")
    assert c == tf.config.LogicalDeviceConfiguration(10)
    cpu = tf.config.list_physical_devices("CPU")[0]
    assert isinstance(cpu, tf.config.PhysicalDevice)
    assert tf.config.get_logical_device_configuration(cpu) is None
    with pytest.raises(RuntimeError, match="Virtual devices cannot be modified"):
        tf.config.set_logical_device_configuration(cpu, [c, c])
    tf.config.set_soft_device_placement(False)
    assert tf.config.get_soft_device_placement() is False
    tf.config.set_soft_device_placement(True)
    tf.config.experimental_run_functions_eagerly(True)
    assert tf.config.functions_run_eagerly() and tf.config.experimental_functions_run_eagerly()
    tf.config.experimental_run_functions_eagerly(False)
    tf.config.optimizer.set_experimental_options({"constant_folding": True})
    assert tf.config.optimizer.get_experimental_options()["constant_folding"] is True


def test_log_device_placement_flag():
    tf.debugging.set_log_device_placement(True)
    assert tf.debugging.get_log_device_placement() is True
    tf.debugging.set_log_device_placement(False)
    assert tf.debugging.get_log_device_placement() is False


def test_dtypes_functions():
    np.testing.assert_array_equal(tf.dtypes.saturate_cast(tf.constant([300.0, -5.0]), tf.uint8),
                                  [255, 0])
    assert tf.dtypes.complex(tf.constant([1.0], tf.float64), tf.constant([2.0], tf.float64)
                             ).dtype == tf.complex128
    assert tf.dtypes.cast is tf.cast
    with pytest.raises(AttributeError):
        tf.dtypes.no_such_name


def test_dump_debug_info_is_refused():
    with pytest.raises(NotImplementedError, match="tfdbg2"):
        tf.debugging.experimental.enable_dump_debug_info("/tmp/x")
    assert tf.debugging.experimental.disable_dump_debug_info() is None
