"""keras.utils.image_dataset_from_directory / text_dataset_from_directory /
audio_dataset_from_directory on a generated folder tree, replayed against Keras 3.15's
answers (``dir_datasets.json``, written by ``record_dir_datasets.py``): printed counts,
class names, element specs, file order, splits, label modes, decoded and resized images and
clips, and errors."""
import contextlib
import io
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf

pytest.importorskip("PIL")  # the tree's images are written and read with Pillow

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from dir_datasets_cases import CASES, encode, make_tree, to_numpy  # noqa: E402

RECORDED = json.loads((HERE / "dir_datasets.json").read_text())["cases"]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("tree")
    make_tree(str(root))
    return str(root)


def _samples(record):
    """[(values of each part, as arrays)] per sample of a dataset record (batches split)."""
    out = []
    for el in record["elements"]:
        parts = []
        for a in el:
            numeric = a["dtype"] != "object" and not a["dtype"].startswith("|S")
            v = np.array(a["values"], dtype=float if numeric else object)
            n = a["shape"][0] if a["shape"] and record.get("batched", True) else 1
            parts.append(v.reshape(n, -1) if n else v.reshape(0, 1))
        out.extend(zip(*parts))
    return out


# NOTE: tf.io.decode_jpeg here is Pillow's libjpeg, TF's is libjpeg-turbo with its own IDCT
# and chroma upsampling: the same JPEG decodes a few levels apart; every other format is exact
JPEG_TOLERANCE = 6.0


def _same(g, w, jpeg):
    if len(g) != len(w):
        return False
    for a, b in zip(g, w):
        if a.dtype == object or b.dtype == object:
            if a.tolist() != b.tolist():
                return False
        elif a.shape != b.shape or not np.allclose(a, b, rtol=0, atol=JPEG_TOLERANCE if jpeg
                                                   else 1.1e-3):
            return False
    return True


def _compare(got, want, call):
    for seq in ("list", "tuple"):  # subset="both": a list of datasets (a tuple for audio)
        if seq in want:
            assert seq in got and len(got[seq]) == len(want[seq])
            for g, w in zip(got[seq], want[seq]):
                _compare(g, w, call)
            return
    if "error" in want:
        assert got == want
        return
    assert {k: v for k, v in got.items() if k != "elements"} == \
        {k: v for k, v in want.items() if k != "elements"}
    assert [[(a["dtype"], a["shape"], a["ragged"]) for a in el] for el in got["elements"]] == \
        [[(a["dtype"], a["shape"], a["ragged"]) for a in el] for el in want["elements"]]
    batched = "batch_size=None" not in call
    got_s, want_s = (_samples(dict(r, batched=batched)) for r in (got, want))
    assert len(got_s) == len(want_s)
    paths = want.get("file_paths") or [""] * len(want_s)
    jpeg = [p.lower().endswith((".jpg", ".jpeg")) for p in paths]
    if "shuffle=False" in call:  # the files in Keras's order
        for g, w, j in zip(got_s, want_s, jpeg):
            assert _same(g, w, j)
        return
    # shuffled: TF's shuffle buffer draws from its own generator, so the samples are matched
    # without order (their files, file_paths order and the split are Keras's, checked above)
    left = list(want_s)
    for g in got_s:
        match = next(i for i, w in enumerate(left) if _same(g, w, any(jpeg)))
        left.pop(match)


@pytest.mark.parametrize("call", CASES)
def test_matches_keras(tree, call):
    want = RECORDED[call]
    names = {"I": tf.keras.utils.image_dataset_from_directory,
             "T": tf.keras.utils.text_dataset_from_directory,
             "A": tf.keras.utils.audio_dataset_from_directory, "D": tree}
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            r = eval(call, names)
    except Exception as e:
        r = e
    got = encode(r, tree, to_numpy)
    assert printed.getvalue() == want["printed"]
    _compare(got, want["result"], call)


def test_attributes_and_specs(tree):
    ds = tf.keras.utils.image_dataset_from_directory(
        os.path.join(tree, "img"), image_size=(4, 6), batch_size=5, shuffle=False, verbose=False)
    assert ds.class_names == ["cat", "dog"] and len(ds.file_paths) == 12
    x, y = next(iter(ds))
    assert x.shape == (5, 4, 6, 3) and x.dtype == tf.float32 and y.dtype == tf.int32
    t = tf.keras.utils.text_dataset_from_directory(os.path.join(tree, "txt"), verbose=False,
                                                    seed=1, label_mode="categorical")
    assert t.class_names == ["neg", "pos", "z"]
    x, y = next(iter(t))
    assert x.dtype == tf.string and y.shape == (11, 3) and y.dtype == tf.float32


def test_follow_links(tree, tmp_path):
    root = tmp_path / "links"
    (root / "a").mkdir(parents=True)
    (root / "a" / "x.txt").write_text("x")
    os.symlink(os.path.join(tree, "txt", "neg"), root / "a" / "linked")
    kw = dict(shuffle=False, verbose=False, labels=None, batch_size=None)
    plain = [t.numpy() for t in tf.keras.utils.text_dataset_from_directory(str(root), **kw)]
    assert plain == [b"x"]
    followed = [t.numpy() for t in tf.keras.utils.text_dataset_from_directory(
        str(root), follow_links=True, **kw)]
    assert len(followed) == 6 and followed[:2] == [b"x", b"neg text number 0 "]


def test_grain_format_is_refused(tree):
    with pytest.raises(NotImplementedError, match="grain"):
        tf.keras.utils.text_dataset_from_directory(tree, format="grain")
    with pytest.raises(ValueError, match="`format` should be"):
        tf.keras.utils.text_dataset_from_directory(tree, format="torch")


def _wav_bytes(samples, channels=1, width=2):
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(8000)
        w.writeframes(np.asarray(samples).astype({1: "u1", 2: "<i2"}[width]).tobytes())
    return buf.getvalue()


def test_decode_wav_as_tf():
    """The values and errors TF 2.21's tf.audio.decode_wav gives for the same files."""
    from tapeflow.keras.utils.audio_dataset import decode_wav
    d = _wav_bytes([0, 1, -1, 32767, -32768, 100])
    a, rate = decode_wav(d)
    assert a.dtype == tf.float32 and a.shape == (6, 1) and rate.dtype == tf.int32
    assert int(rate) == 8000
    assert a.numpy().ravel().tolist() == [0.0, 3.0517578125e-05, -3.0517578125e-05,
                                          0.999969482421875, -1.0, 0.0030517578125]
    a, _ = decode_wav(d, desired_samples=8)
    assert a.shape == (8, 1) and a.numpy()[6:].ravel().tolist() == [0.0, 0.0]
    assert decode_wav(d, desired_samples=3)[0].shape == (3, 1)
    a, _ = decode_wav(d, desired_channels=2)
    assert a.numpy()[:2].tolist() == [[0.0, 0.0], [3.0517578125e-05, 3.0517578125e-05]]
    stereo = _wav_bytes([1, 2, 3, 4], channels=2)
    assert decode_wav(stereo)[0].numpy().tolist() == [[3.0517578125e-05, 6.103515625e-05],
                                                      [9.1552734375e-05, 0.0001220703125]]
    assert decode_wav(stereo, desired_channels=1)[0].numpy().tolist() == [
        [3.0517578125e-05], [9.1552734375e-05]]
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Can only read 16-bit WAV files, but received 8"):
        decode_wav(_wav_bytes([1, 2], width=1))
    for bad in (b"RIFFxx", d[:-3]):
        with pytest.raises(tf.errors.InvalidArgumentError, match="Data too short"):
            decode_wav(bad)
