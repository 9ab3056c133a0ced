"""TensorFlow reads the TFRecord files and ``tf.train.Example`` bytes that tapeflow writes,
and tapeflow reads TF's (plain, GZIP, ZLIB). Skipped when TensorFlow is not installed."""
import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
real = pytest.importorskip("tensorflow")

import tapeflow as tf  # noqa: E402

RECORDS = [
    {"x": [0.5, -1.25], "label": [3], "name": [b"a"]},
    {"x": [2.0, 1e30], "label": [-(2 ** 40)], "name": [b"\x00\xff", b"two"]},
    {"x": [np.float32(np.pi), 0.0], "name": []},
]


def _example(m, feats):
    F = m.train.Feature
    out = {"x": F(float_list=m.train.FloatList(value=feats["x"])),
           "name": F(bytes_list=m.train.BytesList(value=feats["name"]))}
    if "label" in feats:
        out["label"] = F(int64_list=m.train.Int64List(value=feats["label"]))
    return m.train.Example(features=m.train.Features(feature=out))


def _spec(m):
    return {"x": m.io.FixedLenFeature([2], m.float32),
            "label": m.io.FixedLenFeature([], m.int64, default_value=0),
            "name": m.io.VarLenFeature(m.string)}


def _parsed(m, path, comp):
    ds = m.data.TFRecordDataset(path, compression_type=comp).batch(8)
    d = m.io.parse_example(next(iter(ds)), _spec(m))
    return (d["x"].numpy(), d["label"].numpy(), d["name"].indices.numpy(),
            list(d["name"].values.numpy()), d["name"].dense_shape.numpy())


@pytest.mark.parametrize("comp", [None, "GZIP", "ZLIB"])
@pytest.mark.parametrize("writer,reader", [(tf, real), (real, tf)])
def test_files_cross_read(tmp_path, comp, writer, reader):
    path = str(tmp_path / "x.tfrecord")
    with writer.io.TFRecordWriter(path, comp) as w:
        for r in RECORDS:
            w.write(_example(writer, r).SerializeToString())
    got = _parsed(reader, path, comp)
    want = _parsed(writer, path, comp)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    assert got[1].tolist() == [3, -(2 ** 40), 0]


def test_example_bytes_identical_for_one_feature():
    for feats in ({"x": [1.5, 2.0], "name": []}, {"x": [], "name": [b"q"]}):
        ex = {k: v for k, v in feats.items()}
        a = _example(tf, ex).SerializeToString()
        b = _example(real, ex).SerializeToString()
        assert real.train.Example.FromString(a) == real.train.Example.FromString(b)
        assert tf.train.Example.FromString(b) == tf.train.Example.FromString(a)


def test_sequence_example_round_trip():
    def build(m):
        return m.train.SequenceExample(
            context=m.train.Features(feature={"c": m.train.Feature(
                int64_list=m.train.Int64List(value=[4]))}),
            feature_lists=m.train.FeatureLists(feature_list={"s": m.train.FeatureList(
                feature=[m.train.Feature(float_list=m.train.FloatList(value=[1.0]))])}))

    assert build(tf).SerializeToString() == build(real).SerializeToString()
