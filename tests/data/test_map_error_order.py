"""A ``Dataset.map`` function that raises on one element: the elements before it come out
first, then the error (as TF does), whichever way the map runs (per element, in blocks over
in-memory data, in parallel), and a batch holding the failing element is not produced."""
import pytest

import tapeflow as tf


def _f(x):
    if int(x) == 5:
        raise ValueError("boom at 5")
    return x * 2


@pytest.mark.parametrize("make", [
    lambda: tf.data.Dataset.range(10).map(_f),
    lambda: tf.data.Dataset.from_tensor_slices(list(range(10))).map(_f),
    lambda: tf.data.Dataset.from_tensor_slices(list(range(10))).map(
        _f, num_parallel_calls=tf.data.AUTOTUNE),
    lambda: tf.data.Dataset.from_generator(lambda: iter(range(10)), output_signature=(
        tf.TensorSpec((), tf.int32))).map(_f),
], ids=["range", "tensor_slices", "parallel", "generator"])
def test_elements_before_the_failure_come_first(make):
    out = []
    with pytest.raises(ValueError, match="on element 5: boom at 5"):
        for e in make():
            out.append(int(e))
    assert out == [0, 2, 4, 6, 8]


def test_batches_before_the_failing_one_come_first():
    out = []
    with pytest.raises(ValueError, match="boom at 5"):
        for b in tf.data.Dataset.from_tensor_slices(list(range(10))).map(_f).batch(2):
            out.append(b.numpy().tolist())
    assert out == [[0, 2], [4, 6]]
