"""The public surface: ``tf.keras`` and ``from tapeflow import keras``, lazy datasets,
utils and backend helpers."""
import doctest
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras


def test_both_spellings_reach_the_same_package():
    assert tf.keras is keras
    assert tf.keras.layers.Dense is keras.layers.Dense
    assert tf.keras.Model is keras.models.Model and tf.keras.Sequential is keras.Sequential
    for name in ("losses", "metrics", "optimizers", "callbacks", "initializers",
                 "activations", "regularizers", "constraints", "utils", "backend"):
        assert hasattr(keras, name)


def test_datasets_load_lazily():
    code = ("import sys, tapeflow as tf; tf.keras.layers.Dense(1);"
            "assert 'tapeflow.keras.datasets' not in sys.modules;"
            "d = tf.keras.datasets; assert 'tapeflow.keras.datasets' in sys.modules")
    root = Path(tf.__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(root)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, env=env)


def test_get_file_comes_from_the_datasets_package():
    files = pytest.importorskip("tapeflow.keras.datasets._files")
    assert keras.utils.get_file is files.get_file


def test_to_categorical():
    out = keras.utils.to_categorical([0, 2, 1, 2])
    np.testing.assert_array_equal(out, np.eye(3)[[0, 2, 1, 2]])
    assert isinstance(out, np.ndarray) and out.dtype == np.float64  # Keras 3.15's dtype
    assert keras.utils.to_categorical(np.array([0.0, 1.0], np.float32)).dtype == np.float64
    t = keras.utils.to_categorical(tf.constant([0, 2]), 3)  # a tensor gives a float32 tensor
    assert isinstance(t, tf.Tensor) and t.dtype == tf.float32
    np.testing.assert_array_equal(t.numpy(), [[1, 0, 0], [0, 0, 1]])
    assert keras.utils.to_categorical([[1, 2]]).shape == (1, 2, 3)
    assert keras.utils.to_categorical([[[1], [2]]]).shape == (1, 2, 3)
    assert keras.utils.to_categorical(3).shape == (4,)
    assert keras.utils.to_categorical(np.array([[1], [0]]), num_classes=4).shape == (2, 4)
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        keras.utils.to_categorical([0, 5], num_classes=2)


def test_backend_helpers():
    assert keras.backend.floatx() == "float32" and keras.backend.epsilon() == 1e-7
    keras.backend.clear_session()
    assert keras.layers.ReLU().name == "re_lu"
    keras.backend.clear_session()
    assert keras.layers.ReLU().name == "re_lu"


def test_layers_are_tf_modules():
    d = keras.layers.Dense(2)
    d(np.ones((1, 3), "float32"))
    assert isinstance(d, tf.Module) and len(d.variables) == 2


def test_docstring_examples_run():
    result = doctest.testmod(keras, verbose=False)
    assert result.attempted >= 4 and result.failed == 0


def test_top_level_keras_namespaces_as_in_tf2():
    """``tf.metrics``, ``tf.losses``, ``tf.optimizers`` and ``tf.initializers`` are Keras's
    namespaces, as TF 2.21 gives them (the tutorials write ``tf.metrics.BinaryAccuracy``)."""
    assert tf.metrics.BinaryAccuracy is tf.keras.metrics.BinaryAccuracy
    assert tf.losses.BinaryCrossentropy is tf.keras.losses.BinaryCrossentropy
    assert tf.optimizers.Adam is tf.keras.optimizers.Adam
    assert tf.initializers.GlorotUniform is tf.keras.initializers.GlorotUniform
    assert {"metrics", "losses", "optimizers", "initializers"} <= set(dir(tf))
