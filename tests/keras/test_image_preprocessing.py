"""Keras 3's image preprocessing layers: values against Keras 3.15 (recorded in
``fixtures/keras_image_preprocessing.json``), the random layers' structure, configs, saving,
models and ``Dataset.map``."""
import json
import os

import numpy as np
import pytest

import tapeflow as tf
from tests.fixtures.keras_image_preprocessing_cases import CASES, IMG, IMG8, record

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "fixtures")
with open(os.path.join(FIX, "keras_image_preprocessing.json")) as f:
    RECORDED = json.load(f)["cases"]
L = tf.keras.layers


@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_matches_keras(name, fn):
    want, got = RECORDED[name], record(tf, fn)
    if "error" in want:
        assert got == want, name
        return
    assert "error" not in got, (name, got)
    assert (got["dtype"], got["shape"]) == (want["dtype"], want["shape"]), name
    np.testing.assert_allclose(got["values"], want["values"], rtol=1e-4, atol=2e-3,
                               err_msg=name)
