"""``tf.audio.encode_wav``/``decode_wav`` against TF 2.21's recorded outcomes
(tests/fixtures/audio_wav_cases.py): the encoded bytes, the decoded samples, the channel
and length options, and the error classes."""
import json
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf
from tests.fixtures.audio_wav_cases import CASES, STEREO
from tests.fixtures.tf_behaviour_cases import outcome
from tests.test_tf_behaviour import _same

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "audio_wav_2_21.json")
                      .read_text())["cases"]


def test_every_case_was_recorded():
    assert sorted(RECORDED) == sorted(name for name, _ in CASES)


@pytest.mark.parametrize("name,fn", CASES, ids=[n for n, _ in CASES])
def test_matches_tensorflow(name, fn):
    want, got = RECORDED[name], outcome(tf, fn)
    if "error" in want or "error" in got:
        assert got == want
    else:
        _same(got, want)


def test_error_messages_name_the_op_and_shapes():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"2-dimensional\[2\].*EncodeWav"):
        tf.audio.encode_wav(tf.constant([0.1, 0.2]), 8000)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"scalar tensor, got \[1\]"):
        tf.audio.encode_wav(tf.constant(STEREO), [8000])
    with pytest.raises(tf.errors.InvalidArgumentError, match="float tensor but is a int32"):
        tf.audio.encode_wav(tf.constant([[1, 2]]), 8000)


def test_files_written_by_encode_wav_feed_audio_dataset_from_directory(tmp_path):
    (tmp_path / "a").mkdir()
    tone = np.sin(np.arange(100, dtype=np.float32) / 5)[:, None] * 0.5
    tf.io.write_file(str(tmp_path / "a" / "x.wav"), tf.audio.encode_wav(tone, 16000))
    ds = tf.keras.utils.audio_dataset_from_directory(str(tmp_path), batch_size=None,
                                                     verbose=False)
    (audio, label), = list(ds)
    np.testing.assert_allclose(audio.numpy(), tone, atol=1 / 32768)
    assert label.numpy() == 0
