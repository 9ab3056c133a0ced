"""``tf.io`` (files, image codecs, ``decode_raw``, ``decode_csv``) checked against TF 2.21:
the cases in ``tests/fixtures/tf_io_cases.py`` were run under tensorflow-cpu 2.21 into
``tf_io_2_21.json`` (checked in) on the sample images in ``tests/fixtures/images/``.

PNG/BMP/GIF decoding and PNG round trips must equal TF exactly. JPEG decoding goes through
Pillow's libjpeg-turbo with its default (accurate integer) IDCT and TF's through its own
libjpeg-turbo with the fast integer IDCT, so pixels may differ by a few levels: the bound is
asserted below; so is the 16-bit RGB-to-gray conversion (within 4 of 65535).
JPEG *encoding* uses a different encoder from TF's, so only closeness of the
decoded images is checked."""
import json
import os
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf
from tests.fixtures.tf_io_cases import CASES, IMAGES, PHOTO, outcome_io

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "tf_io_2_21.json")
                      .read_text())["cases"]
JPEG_ATOL = 6      # decoding the same JPEG bytes: max per-pixel difference from TF
JPEG_MEAN = 1.25   # and the mean absolute difference
JPEG_CROP_ATOL = 8  # TF decodes only the crop window's rows, whose edges upsample apart
JPEGENC_ATOL = 12  # decoding images encoded by different encoders at the same quality


def test_every_case_was_recorded():
    assert sorted(RECORDED) == sorted(name for name, _ in CASES)


def _same(got, want, name):
    if "items" in want:
        assert "items" in got and len(got["items"]) == len(want["items"])
        for g, w in zip(got["items"], want["items"]):
            _same(g, w, name)
        return
    assert {k: v for k, v in got.items() if k != "values"} == \
        {k: v for k, v in want.items() if k != "values"}
    if want.get("values") is None:
        return
    g, w = np.asarray(got["values"]), np.asarray(want["values"])
    if name.startswith("jpegenc"):
        assert np.abs(g - w).max() <= JPEGENC_ATOL, name
    elif name.startswith("jpeg_") or name == "png_of_jpeg":
        scale = 255.0 if want["dtype"] == "float32" else 1.0
        d = np.abs(g - w) * scale
        atol = JPEG_CROP_ATOL if "crop" in name else JPEG_ATOL
        assert d.max() <= atol and d.mean() <= JPEG_MEAN, (name, d.max(), d.mean())
    elif name.endswith("16_c1"):
        # libpng's 16-bit RGB-to-gray goes through its gamma tables: within 4 of 65535
        assert np.abs(g - w).max() <= 4, name
    elif want["dtype"].startswith("float"):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)
    else:
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("name,fn", CASES, ids=[n for n, _ in CASES])
def test_matches_tensorflow(name, fn):
    want = RECORDED[name]
    got = outcome_io(tf, fn)
    if "error" in want or "error" in got:
        assert got == want
        return
    _same(got, want, name)


def test_png_round_trip_is_lossless_for_every_layout():
    r = np.random.RandomState(0)
    for c in (1, 2, 3, 4):
        a = r.randint(0, 256, (9, 4, c)).astype(np.uint8)
        np.testing.assert_array_equal(tf.io.decode_png(tf.io.encode_png(a)).numpy(), a)
    a16 = r.randint(0, 65536, (3, 5, 1)).astype(np.uint16)
    out = tf.io.decode_png(tf.io.encode_png(a16), dtype=tf.uint16)
    assert out.dtype == tf.uint16
    np.testing.assert_array_equal(out.numpy(), a16)


def test_jpeg_quality_orders_the_error():
    errs = [np.abs(tf.io.decode_jpeg(tf.io.encode_jpeg(PHOTO, quality=q)).numpy()
                   .astype(int) - PHOTO).mean() for q in (10, 50, 95)]
    assert errs[0] > errs[1] > errs[2]
    assert errs[2] < 2.0


def test_encoded_values_are_string_scalars(tmp_path):
    png = tf.io.encode_png(np.zeros((2, 2, 3), np.uint8))
    assert png.dtype == tf.string and png.shape == ()
    assert png.numpy().startswith(b"\x89PNG")
    path = str(tmp_path / "x.png")
    tf.io.write_file(path, png)
    assert tf.io.read_file(path).numpy() == png.numpy()
    assert os.path.getsize(path) == len(png.numpy())


@pytest.mark.parametrize("call,exc", [
    (lambda: tf.io.encode_png(np.zeros((2, 2), np.uint8)), tf.errors.InvalidArgumentError),
    (lambda: tf.io.encode_png(np.zeros((2, 2, 3), np.float32)), tf.errors.InvalidArgumentError),
    (lambda: tf.io.encode_png(tf.zeros((2, 2, 3), tf.int32)), tf.errors.InvalidArgumentError),
    (lambda: tf.io.encode_jpeg(np.zeros((2, 2, 4), np.uint8)), tf.errors.InvalidArgumentError),
    (lambda: tf.io.decode_png(tf.constant(b"\x89PNG\r\n\x1a\ngarbage")),
     tf.errors.InvalidArgumentError),
    (lambda: tf.io.decode_png(tf.constant([b"a", b"b"])), tf.errors.InvalidArgumentError),
    (lambda: tf.io.decode_csv(["1"], [np.array([[1, 2]])]), ValueError),
    (lambda: tf.io.decode_gif(tf.constant(b"not an image")), tf.errors.InvalidArgumentError),
])
def test_errors(call, exc):
    with pytest.raises(exc):
        call()


def test_missing_pillow_names_the_extra(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_pil(name, *a, **k):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("no PIL")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_pil)
    with pytest.raises(ImportError, match=r"pip install tapeflow\[image\]"):
        tf.io.encode_png(np.zeros((2, 2, 3), np.uint8))


def test_sample_images_are_present():
    assert len(os.listdir(IMAGES)) >= 14


def test_files_to_images_in_a_dataset_pipeline():
    files = sorted(str(p) for p in Path(IMAGES).glob("*.png"))

    def load(path):
        img = tf.io.decode_png(tf.io.read_file(path), channels=3)
        return tf.image.resize(img, tf.constant([4, 4]))

    batches = list(tf.data.Dataset.from_tensor_slices(files).map(load).batch(3))
    assert sum(b.shape[0] for b in batches) == len(files) >= 10
    assert all(b.shape[1:] == (4, 4, 3) and b.dtype == tf.float32 for b in batches)


def test_decode_csv_in_a_dataset_map():
    ds = tf.data.Dataset.from_tensor_slices(["1,2.5,a", "3,4,b"]).map(
        lambda r: tf.io.decode_csv(r, [[0], [0.0], [""]]))
    rows = [tuple(t.numpy() for t in row) for row in ds]
    assert rows == [(1, 2.5, b"a"), (3, 4.0, b"b")]


def test_matching_files_sorted_and_base64_round_trip(tmp_path):
    for n in ("b.txt", "a.txt", "c.bin"):
        (tmp_path / n).write_bytes(n.encode())
    got = tf.io.matching_files(str(tmp_path / "*.txt")).numpy()
    assert [os.path.basename(p) for p in got] == [b"a.txt", b"b.txt"]
    data = tf.constant([bytes(range(256)), b"", b"\x00"])
    for pad in (False, True):
        back = tf.io.decode_base64(tf.io.encode_base64(data, pad=pad))
        assert list(back.numpy()) == list(data.numpy())
