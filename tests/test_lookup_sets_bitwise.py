"""tf.lookup, tf.sets, tf.bitwise and tf.audio against TF 2.21's recorded outcomes
(tests/fixtures/tf_lookup_sets_bitwise_cases.py)."""
import json
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf
from tests.fixtures.tf_behaviour_cases import outcome
from tests.fixtures.tf_lookup_sets_bitwise_cases import CASES
from tests.test_linear_operator import same

RECORDED = json.loads((Path(__file__).parent / "fixtures" /
                       "tf_lookup_sets_bitwise_2_21.json").read_text())["cases"]


def test_every_case_was_recorded():
    assert sorted(RECORDED) == sorted(name for name, _ in CASES)


@pytest.mark.parametrize("name,fn", CASES, ids=[n for n, _ in CASES])
def test_matches_tensorflow(name, fn):
    want, got = RECORDED[name], outcome(tf, fn)
    if "error" in want or "error" in got:
        assert got == want
    else:
        same(got, want)


def test_wav_round_trip_keeps_16_bit_precision():
    audio = np.linspace(-1.0, 0.999, 50, dtype=np.float32).reshape(25, 2)
    decoded, rate = tf.audio.decode_wav(tf.audio.encode_wav(audio, 22050))
    assert int(rate) == 22050
    np.testing.assert_allclose(decoded.numpy(), audio, atol=1.0 / 32768)


def test_lookup_and_sets_modules_are_lazy():
    import subprocess
    import sys

    code = ("import sys, tapeflow; print(any(m in sys.modules for m in "
            "('tapeflow.lookup', 'tapeflow.sets', 'tapeflow.audio', 'tapeflow.bitwise')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(Path(tf.__file__).parent.parent)})
    assert out.stdout.strip() == "False", out.stderr
