"""map run on whole blocks (fused with the following batch) gives exactly the per-element
results, and falls back to per-element execution when a function is not batch-safe."""
import numpy as np
import pytest

import tapeflow as tf
from tapeflow.data._vectorize import vectorized_map

rng = np.random.default_rng(0)
IMAGES = rng.integers(0, 256, (300, 28, 28), dtype=np.uint8)
LABELS = rng.integers(0, 10, 300).astype(np.uint8)
FLOATS = rng.standard_normal((300, 6, 5)).astype(np.float32)


def preprocess_tfdata(x, y):  # the workshop's function
    x = tf.reshape(x, (1, 28 * 28))
    x = tf.cast(tf.squeeze(x), tf.float32) / 255.0
    return x, y


FUNCTIONS = {
    "seed": (preprocess_tfdata, (IMAGES, LABELS)),
    "center": (lambda x: x - tf.reduce_mean(x), FLOATS),
    "leading_sum": (lambda x: tf.reduce_sum(x, axis=0), FLOATS),
    "last_sum": (lambda x: tf.reduce_sum(x, axis=-1, keepdims=True), FLOATS),
    "transpose": (lambda x: tf.transpose(x) * 2.0, FLOATS),
    "expand_concat": (lambda x: tf.concat([tf.expand_dims(x, 0), tf.ones((1, 6, 5))], 0), FLOATS),
    "slice": (lambda x: (x[1:3], x[:, 0], x[-1]), FLOATS),
    "matmul_const": (lambda x: tf.matmul(x, tf.ones((5, 2))), FLOATS),
    "python_branch": (lambda x: x * 2.0 if float(tf.reduce_sum(x)) > 0 else -x, FLOATS),
    "shape_logic": (lambda x: tf.reshape(x, (x.shape[0] * x.shape[1],)), FLOATS),
    "constant_out": (lambda x: (tf.reduce_max(x), 3, tf.constant([1.0, 2.0])), FLOATS),
    "dict": (lambda d: {"a": tf.cast(d["i"], tf.int32) + 1, "b": tf.abs(d["f"])},
             {"i": IMAGES[:, 0], "f": FLOATS}),
    "argmax": (lambda x: tf.argmax(x, axis=1), FLOATS),
    "where_max": (lambda x: tf.maximum(x, 0.0) + tf.minimum(x, 0.5), FLOATS),
    "one_hot": (lambda i: tf.one_hot(tf.cast(i[:3], tf.int32) % 10, 10), IMAGES[:, 0]),
    "gather": (lambda x: (tf.gather(x, [0, 2]), tf.gather(x, [4, 1], axis=1)), FLOATS),
    "tile_reverse": (lambda x: tf.reverse(tf.tile(x, [2, 1]), [0]), FLOATS),
    "softmax_clip": (lambda x: tf.clip_by_value(tf.nn.softmax(x), 0.1, 0.9), FLOATS),
    "stack_split": (lambda x: tf.split(tf.stack([x, x * 2.0]), 2, axis=0)[1], FLOATS),
    "where_cumsum": (lambda x: tf.math.cumsum(tf.where(x > 0, x, 0.0), axis=1), FLOATS),
}


def _datasets(fn, data, batch):
    fast = tf.data.Dataset.from_tensor_slices(data).map(fn)
    slow = tf.data.Dataset.from_tensor_slices(data).map(fn)
    slow._vec = False  # per element only
    return fast, slow.batch(batch), fast.batch(batch)


def _flat(x):
    return tf.nest.flatten(x)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_blocks_equal_per_element(name):
    fn, data = FUNCTIONS[name]
    fast, slow_b, fast_b = _datasets(fn, data, 64)
    ref = list(slow_b.as_numpy_iterator())
    got = list(fast_b.as_numpy_iterator())
    assert len(ref) == len(got) == 5
    for r, g in zip(ref, got):
        for a, b in zip(_flat(r), _flat(g)):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a, b)  # bit for bit, not approximately
    # element-wise iteration too (blocks split back into rows)
    one = list(fast.take(70).as_numpy_iterator())
    for i, el in enumerate(one[:70:23]):
        for a, b in zip(_flat(el), _flat(ref[(i * 23) // 64])):
            np.testing.assert_array_equal(a, b[(i * 23) % 64])


def test_seed_function_runs_on_blocks():
    fn, data = FUNCTIONS["seed"]
    ds = tf.data.Dataset.from_tensor_slices(data).map(fn)
    batches = list(ds.shuffle(100, seed=1).batch(64).prefetch(2))
    assert ds._vec is True
    assert batches[0][0].shape == (64, 784) and batches[0][0].dtype == tf.float32
    assert ds.element_spec[0].shape == (784,)


def test_batch_unsafe_functions_fall_back():
    for name in ("python_branch", "leading_sum"):
        fn, data = FUNCTIONS[name]
        ds = tf.data.Dataset.from_tensor_slices(data).map(fn)
        list(ds.batch(64))
        assert ds._vec is False, name


def test_random_map_is_per_element():
    ds = tf.data.Dataset.from_tensor_slices(np.zeros((50, 3), np.float32)).map(
        lambda x: x + tf.random.uniform((3,)))
    out = next(iter(ds.batch(50))).numpy()
    assert len({tuple(r) for r in out.tolist()}) == 50  # every element drew its own numbers


def test_errors_in_blocks_name_the_element():
    data = np.arange(100, dtype=np.float32)

    def fn(x):
        tf.debugging.assert_less(x, 70.0)
        return x * 2.0

    with pytest.raises(tf.errors.InvalidArgumentError, match="element 70"):
        list(tf.data.Dataset.from_tensor_slices(data).map(fn).batch(32))


def test_ragged_inputs_are_mapped_before_batching():
    def gen():
        for i in range(1, 6):
            yield np.arange(i, dtype=np.float32)

    ds = tf.data.Dataset.from_generator(gen, output_signature=tf.data.TensorSpec((None,),
                                                                                 tf.float32))
    out = list(ds.map(lambda v: tf.reduce_sum(v)).batch(2).as_numpy_iterator())
    assert [b.tolist() for b in out] == [[0.0, 1.0], [3.0, 6.0], [10.0]]


def test_vectorized_map_matches_a_loop():
    x = FLOATS[:20]
    got = vectorized_map(lambda r: r * 2.0 + tf.reduce_sum(r), tf.constant(x))
    want = np.stack([r * 2.0 + r.sum() for r in x])
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)
    a, b = vectorized_map(lambda t: (t[0] + 1.0, t[1] * 2), (x, np.arange(20)))
    assert a.shape == (20, 6, 5) and b.numpy().tolist() == list(range(0, 40, 2))
    branchy = vectorized_map(lambda r: r * 2.0 if float(r[0, 0]) > 0 else -r, x)
    np.testing.assert_array_equal(branchy.numpy(),
                                  np.stack([r * 2.0 if r[0, 0] > 0 else -r for r in x]))
    with pytest.raises(ValueError):
        vectorized_map(lambda r: r, (x, x[:3]))


def test_spec_inference_marks_data_dependent_and_ragged_dims_unknown():
    def gen():
        for i in range(1, 5):
            yield np.arange(i, dtype=np.float32)

    ragged = tf.data.Dataset.from_generator(
        gen, output_signature=tf.data.TensorSpec((None,), tf.float32))
    grown = ragged.map(lambda v: tf.concat([v, [0.0]], 0))
    assert grown.element_spec == tf.data.TensorSpec((None,), tf.float32)
    assert ragged.map(tf.reduce_sum).element_spec == tf.data.TensorSpec((), tf.float32)
    padded = list(grown.padded_batch(2).as_numpy_iterator())
    assert padded[1].tolist() == [[0, 1, 2, 0, 0], [0, 1, 2, 3, 0]]
    fixed = tf.data.Dataset.from_tensor_slices(FLOATS).map(lambda x: x[:2, 1:])
    assert fixed.element_spec == tf.data.TensorSpec((2, 4), tf.float32)


def test_user_except_clauses_cannot_hide_the_fallback():
    def fn(x):
        try:
            k = int(x[0])  # needs one element's value
        except Exception:
            k = 0
        return x * float(k)

    data = np.arange(40, dtype=np.float32).reshape(20, 2)
    ds = tf.data.Dataset.from_tensor_slices(data).map(fn)
    got = np.concatenate(list(ds.batch(8).as_numpy_iterator()))
    np.testing.assert_array_equal(got, data * data[:, :1])
    assert ds._vec is False
