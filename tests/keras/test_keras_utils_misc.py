"""keras.utils's small helpers: standardize_dtype, get_source_inputs, Config and the
interactive-logging switch, against what Keras 3.15 gives for the same calls (recorded)."""
import logging

import numpy as np
import pytest

import tapeflow as tf

keras = tf.keras
U = keras.utils


@pytest.mark.parametrize("given, name", [
    (None, "float32"), ("int", "int64"), ("float32", "float32"), (np.float64, "float64"),
    (np.dtype("int8"), "int8"), ("bool", "bool"), (bool, "bool"), (int, "int64"),
    (float, "float32"), ("string", "string"), ("bfloat16", "bfloat16"), ("uint8", "uint8"),
    ("complex64", "complex64"), (tf.float32, "float32"), (tf.int64, "int64"),
    (tf.string, "string")])
def test_standardize_dtype_names_like_keras(given, name):
    assert U.standardize_dtype(given) == name


@pytest.mark.parametrize("given, shown", [("float", "float"), ("foo", "foo"),
                                          (object, "object")])
def test_standardize_dtype_refuses_what_keras_refuses(given, shown):
    with pytest.raises(ValueError, match=f"^Invalid dtype: {shown}$"):
        U.standardize_dtype(given)


def test_get_source_inputs_walks_back_to_the_inputs():
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    c = keras.layers.Concatenate()([a, keras.layers.Dense(3)(b)])
    d = keras.layers.Dense(1)(c)
    assert [t.name for t in U.get_source_inputs(d)] == ["a", "b"]
    assert [t.name for t in U.get_source_inputs(a)] == ["a"]
    shared = keras.layers.Add()([d, keras.layers.Dense(1)(a)])  # a reached twice: listed once
    assert [t.name for t in U.get_source_inputs(shared)] == ["a", "b"]
    x = np.zeros(3)
    assert U.get_source_inputs(x) is x  # not a symbolic tensor: as is, as Keras


def test_config_is_a_freezable_attribute_dict():
    c = U.Config(a=1, b={"x": 2})
    assert repr(c) == "<Config {'a': 1, 'b': {'x': 2}}>" == str(c)
    assert (c.a, c["b"], len(c), list(c), c.as_dict()) == (1, {"x": 2}, 2, ["a", "b"],
                                                             {"a": 1, "b": {"x": 2}})
    c.z = 5
    assert c.to_json() == '{"a": 1, "b": {"x": 2}, "z": 5}'
    c.freeze()
    assert c.frozen
    for mutate in (lambda: setattr(c, "a", 3), lambda: c.__setitem__("a", 3),
                   lambda: c.update(a=3), lambda: c.pop("a"), lambda: c.__delitem__("a")):
        with pytest.raises(ValueError, match="^Cannot mutate attribute\\(s\\) because the "
                                             "config is frozen.$"):
            mutate()
    with pytest.raises(AttributeError, match="^Unknown attribute: 'nope'.$"):
        c.nope
    c.unfreeze()
    c.a = 3
    assert list(c.items()) == [("a", 3), ("b", {"x": 2}), ("z", 5)]
    assert c.get("q", 7) == 7 and "a" in c
    del c["a"]
    assert repr(c) == "<Config {'b': {'x': 2}, 'z': 5}>"


@pytest.fixture
def quiet():
    U.disable_interactive_logging()
    yield
    U.enable_interactive_logging()


def test_disabled_interactive_logging_sends_progress_and_summaries_to_the_log(
        quiet, capsys, caplog):
    assert not U.is_interactive_logging_enabled()
    m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    m.compile("sgd", "mse")
    with caplog.at_level(logging.INFO, logger="tapeflow"):
        m.fit(np.zeros((4, 2)), np.zeros(4), verbose=1, epochs=1)
        m.summary()
        keras.callbacks.EarlyStopping(patience=0, verbose=1, monitor="loss")  # built: silent
    assert capsys.readouterr().out == ""  # Keras 3.15 prints nothing either
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Epoch 1/1" in logged and "1/1" in logged and "Total params: 3" in logged


def test_interactive_logging_prints_by_default(capsys):
    assert U.is_interactive_logging_enabled()
    m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    m.compile("sgd", "mse")
    m.fit(np.zeros((4, 2)), np.zeros(4), verbose=2, epochs=1)
    assert capsys.readouterr().out.startswith("Epoch 1/1\n1/1 - ")


def _items(ds):
    return [tuple(np.asarray(v).tolist() for v in e) if isinstance(e, tuple)
            else np.asarray(e).tolist() for e in ds.as_numpy_iterator()]


@pytest.mark.parametrize("sizes, left, right", [
    (dict(left_size=0.8), list(range(8)), [8, 9]),
    (dict(left_size=3), [0, 1, 2], list(range(3, 10))),
    (dict(right_size=0.25), list(range(8)), [8, 9]),
    (dict(left_size=0.5, right_size=0.2), [0, 1, 2, 3, 4], [8, 9]),  # the middle left out
    (dict(left_size=2, right_size=3), [0, 1], [7, 8, 9])])
def test_split_dataset_sizes(sizes, left, right):
    a, b = U.split_dataset(np.arange(10), **sizes)
    assert (_items(a), _items(b)) == (left, right)
    assert isinstance(a, tf.data.Dataset)


def test_split_dataset_of_arrays_datasets_and_batches():
    x, y = np.arange(10), np.arange(10) * 10
    a, b = U.split_dataset((x, y), left_size=0.7)
    assert _items(a) == [(i, 10 * i) for i in range(7)]
    assert _items(b) == [(i, 10 * i) for i in range(7, 10)]
    assert a.element_spec == (tf.TensorSpec((), tf.int64), tf.TensorSpec((), tf.int64))
    a, b = U.split_dataset([x, y], left_size=0.3)
    assert _items(a) == [(0, 0), (1, 10), (2, 20)]
    a, b = U.split_dataset(tf.data.Dataset.range(6), left_size=0.5)
    assert (_items(a), _items(b)) == ([0, 1, 2], [3, 4, 5])
    a, b = U.split_dataset(tf.data.Dataset.range(8).batch(2), left_size=0.5)  # re-batched
    assert a.element_spec == tf.TensorSpec((None,), tf.int64)
    assert (_items(a), _items(b)) == ([[0, 1], [2, 3]], [[4, 5], [6, 7]])
    a, b = U.split_dataset(np.arange(8).reshape(4, 2), left_size=0.5)
    assert (_items(a), _items(b)) == ([[0, 1], [2, 3]], [[4, 5], [6, 7]])


def test_split_dataset_shuffles_with_python_random():
    a, b = U.split_dataset(np.arange(10), left_size=0.5, shuffle=True, seed=1)
    assert (_items(a), _items(b)) == ([6, 8, 9, 7, 5], [3, 0, 4, 1, 2])  # Keras 3.15


@pytest.mark.parametrize("dataset, sizes, error, message", [
    (np.arange(10), {}, ValueError, "At least one of the `left_size` or `right_size` must be "
     "specified. Received: left_size=None and right_size=None"),
    (np.arange(10), dict(left_size=1.5), ValueError, "`left_size` should be either a positive "
     "integer smaller than 10, or a float within the range `[0, 1]`. Received: "
     "left_size=1.5"),
    (np.arange(10), dict(left_size=11), ValueError, "`left_size` should be either a positive "
     "integer smaller than 10, or a float within the range `[0, 1]`. Received: left_size=11"),
    (np.arange(10), dict(left_size=0.8, right_size=0.3), ValueError, "The sum of `left_size` "
     "and `right_size` is greater than 1. It must be less than or equal to 1."),
    (np.arange(10), dict(left_size="a"), TypeError, "Invalid `left_size` Type. Expected: int "
     "or float or None, Received: type(left_size)=<class 'str'>.  "),
    (np.arange(10), dict(left_size=0.01), ValueError, "With `dataset` of length=10, "
     "`left_size`=0 and `right_size`=10.Resulting left side dataset split will be empty. "
     "Adjust any of the aforementioned parameters"),
    ({"a": np.arange(3)}, dict(left_size=0.5), TypeError,
     "Unsupported dataset type: <class 'dict'>"),
    ((np.arange(10), np.arange(3)), dict(left_size=0.5), ValueError,
     "Received a tuple of NumPy arrays with different lengths.Mismatch found at index 1, "
     "Expected shape=(10,) Received shape=(3,).Please provide a tuple of NumPy arrays of the "
     "same length.")])
def test_split_dataset_errors_are_keras_s(dataset, sizes, error, message):
    with pytest.raises(error) as e:
        U.split_dataset(dataset, **sizes)
    assert str(e.value) == message
