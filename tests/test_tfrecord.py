"""TFRecord files (``tf.io.TFRecordWriter``, ``tf.data.TFRecordDataset``) and
``tf.train.Example`` parsing, against files and answers recorded from TensorFlow 2.21 by
``tests/fixtures/tfrecord/make_tfrecord_fixtures.py``."""
import base64
import gzip
import json
import os
import struct
import sys
import zlib

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import _crc32c

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures", "tfrecord")
sys.path.insert(0, FIX)
sys.path.insert(0, os.path.join(HERE, "fixtures"))
import make_tfrecord_fixtures as cases  # noqa: E402

with open(os.path.join(FIX, "tf_tfrecord_2_21.json")) as _f:
    RECORDED = json.load(_f)


def _b64(data):
    return base64.b64decode(data)


# -- the shared CRC-32C --------------------------------------------------------------------
def test_crc32c_check_value_mask_and_lanes():
    assert _crc32c.crc32c(b"123456789") == 0xE3069283
    assert _crc32c.unmask(_crc32c.mask(0x12345678)) == 0x12345678
    data = np.random.default_rng(0).integers(0, 256, 10000).astype(np.uint8).tobytes()
    reg = 0xFFFFFFFF
    for b in data:
        reg = _crc32c._TABLE_LIST[(reg ^ b) & 0xFF] ^ (reg >> 8)
    assert _crc32c.crc32c(data) == reg ^ 0xFFFFFFFF
    assert _crc32c.masked_crc32c(data) == _crc32c.mask(reg ^ 0xFFFFFFFF)


# -- reading TF's files ----------------------------------------------------------------------
@pytest.mark.parametrize("name,comp", [("examples.tfrecord", None),
                                       ("examples.tfrecord.gz", "GZIP")])
def test_reads_tf_files_records_and_parsed_values(name, comp):
    want = RECORDED["files"][name]
    ds = tf.data.TFRecordDataset(os.path.join(FIX, name), compression_type=comp)
    assert ds.element_spec == tf.TensorSpec([], tf.string)
    got = [r for r in ds]
    assert all(r.shape == () and r.dtype == tf.string for r in got)
    assert [r.numpy() for r in got] == [_b64(r) for r in want["records"]]
    # the same Examples serialized by tapeflow (map keys sorted): TF's bytes
    assert [cases.serialized(tf, r) for r in cases.RECORDS] == [r.numpy() for r in got]
    parsed = [cases.plain(tf.io.parse_single_example(r, cases.spec(tf))) for r in got]
    assert parsed == want["parsed"]
    batch = next(iter(ds.batch(4)))
    assert cases.plain(tf.io.parse_example(batch, cases.spec(tf))) == want["batched"]


def test_pipeline_tfrecord_map_parse_batch():
    spec = {"x": tf.io.FixedLenFeature([2], tf.float32),
            "label": tf.io.FixedLenFeature([], tf.int64, default_value=-1)}
    ds = (tf.data.TFRecordDataset([os.path.join(FIX, "examples.tfrecord.gz")], "GZIP")
          .map(lambda r: tf.io.parse_single_example(r, spec))
          .map(lambda d: (d["x"], d["label"]))
          .batch(3))
    got = list(ds)
    assert [b[0].shape for b in got] == [(3, 2), (1, 2)]
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in got]), [1, 0, -1, -5])
    np.testing.assert_allclose(got[0][0].numpy()[1], [2.0, 3.5])
    assert got[0][0].dtype == tf.float32 and got[0][1].dtype == tf.int64


# -- writing: the same bytes as TF ----------------------------------------------------------
def test_writer_writes_tf_bytes(tmp_path):
    records = [_b64(r) for r in RECORDED["files"]["examples.tfrecord"]["records"]]
    path = tmp_path / "out.tfrecord"
    with tf.io.TFRecordWriter(str(path)) as w:
        for r in records:
            w.write(r)
    assert path.read_bytes() == open(os.path.join(FIX, "examples.tfrecord"), "rb").read()
    # the GZIP file decompresses to the same stream
    for comp, unpack in (("GZIP", gzip.decompress), ("ZLIB", zlib.decompress)):
        p = tmp_path / f"out.{comp}"
        with tf.io.TFRecordWriter(str(p), tf.io.TFRecordOptions(compression_type=comp)) as w:
            for r in records:
                w.write(r)
        assert unpack(p.read_bytes()) == path.read_bytes()
        assert [r.numpy() for r in tf.data.TFRecordDataset(str(p), comp)] == records
    # zlib's gzip wrapper, as TF's writer uses it: byte for byte TF's file
    assert (tmp_path / "out.GZIP").read_bytes() == open(
        os.path.join(FIX, "examples.tfrecord.gz"), "rb").read()


def test_protobuf_is_imported_only_for_examples():
    import subprocess

    code = ("import sys, tapeflow as tf; tf.io.TFRecordWriter; tf.data.TFRecordDataset; "
            "tf.train.Checkpoint; print('google.protobuf' in sys.modules); tf.train.Example; "
            "print('google.protobuf' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=os.path.dirname(HERE)))
    assert out.stdout.split() == ["False", "True"], out.stderr


def test_parse_accepts_tensors_lists_and_numpy():
    blob = cases.serialized(tf, cases.E1)
    spec = {"i": tf.io.FixedLenFeature([], tf.int64)}
    for given in (tf.constant([blob, blob]), [blob, blob], np.array([blob, blob], object)):
        np.testing.assert_array_equal(tf.io.parse_example(given, spec)["i"].numpy(), [3, 3])
    assert tf.io.parse_single_example(tf.constant(blob), spec)["i"].numpy() == 3
    with pytest.raises(TypeError, match="serialized"):
        tf.io.parse_single_example(tf.constant(1.0), spec)


def test_writer_framing_write_str_flush_close(tmp_path):
    path = str(tmp_path / "a.tfrecord")
    w = tf.io.TFRecordWriter(path)
    w.write(b"hello")
    w.write("w\u00f6rld")
    w.flush()
    raw = open(path, "rb").read()
    # TF 2.21's bytes for the same two writes
    assert raw == (b"\x05\x00\x00\x00\x00\x00\x00\x00\xea\xb2\x04>hello\xbb\x1f\x1c\x19"
                   b"\x06\x00\x00\x00\x00\x00\x00\x00si\xd57w\xc3\xb6rldj\x892Z")
    w.close()
    w.close()
    with pytest.raises(tf.errors.FailedPreconditionError, match="Writer is closed"):
        w.write(b"x")
    with pytest.raises(TypeError):
        tf.io.TFRecordWriter(str(tmp_path / "b")).write(3)


def test_zlib_flush_makes_records_readable_before_close(tmp_path):
    path = str(tmp_path / "z")
    w = tf.io.TFRecordWriter(path, "ZLIB")
    w.write(b"abc")
    w.flush()
    assert [r.numpy() for r in tf.data.TFRecordDataset(path, "ZLIB")] == [b"abc"]
    w.close()


def test_options_and_bad_options(tmp_path):
    assert tf.io.TFRecordOptions(compression_type="GZIP").compression_type == "GZIP"
    assert tf.io.TFRecordOptions.get_compression_type_string(None) == ""
    assert tf.io.TFRecordOptions.get_compression_type_string("ZLIB") == "ZLIB"
    assert tf.io.TFRecordOptions.get_compression_type_string(
        tf.io.TFRecordCompressionType.GZIP) == "GZIP"
    with pytest.raises(ValueError, match='Not a valid compression_type: "BAD"'):
        tf.io.TFRecordWriter(str(tmp_path / "x"), "BAD")
    with pytest.raises(tf.errors.NotFoundError, match="No such file or directory"):
        tf.io.TFRecordWriter(str(tmp_path / "no" / "x"))


# -- reading: errors as TF's ---------------------------------------------------------------
def _two_records(tmp_path):
    path = tmp_path / "a.tfrecord"
    with tf.io.TFRecordWriter(str(path)) as w:
        w.write(b"hello")
        w.write(b"world!")
    return path, bytearray(path.read_bytes())


@pytest.mark.parametrize("flip,match", [
    (14, r"corrupted record at 12$"),  # a data byte: the offset of the data (as TF)
    (8, r"corrupted record at 0 \(Is this even a TFRecord file\?\)"),  # the length's CRC
    (25, r"corrupted record at 21$"),  # the second record's length
])
def test_corrupted_record_is_data_loss_naming_file_and_offset(tmp_path, flip, match):
    path, raw = _two_records(tmp_path)
    raw[flip] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(tf.errors.DataLossError, match=match) as e:
        list(tf.data.TFRecordDataset(str(path)))
    assert str(path) in str(e.value)


def test_truncated_record_and_partial_header(tmp_path):
    path, raw = _two_records(tmp_path)
    path.write_bytes(bytes(raw[:-3]))
    with pytest.raises(tf.errors.DataLossError, match="truncated record at 21"):
        list(tf.data.TFRecordDataset(str(path)))
    path.write_bytes(bytes(raw[:25]))  # 4 bytes of a header after the first record: the end
    assert [r.numpy() for r in tf.data.TFRecordDataset(str(path))] == [b"hello"]


def test_missing_file_and_wrong_compression(tmp_path):
    with pytest.raises(tf.errors.NotFoundError, match="No such file or directory"):
        list(tf.data.TFRecordDataset(str(tmp_path / "nope")))
    path, _ = _two_records(tmp_path)
    with pytest.raises(tf.errors.DataLossError, match="inflate"):
        list(tf.data.TFRecordDataset(str(path), compression_type="GZIP"))


def test_many_files_names_dataset_and_parallel_reads(tmp_path):
    names = []
    for f in range(3):
        p = str(tmp_path / f"f{f}")
        with tf.io.TFRecordWriter(p) as w:
            for i in range(f + 2):
                w.write(f"{f}:{i}".encode())
        names.append(p)
    flat = [r.numpy().decode() for r in tf.data.TFRecordDataset(names)]
    assert flat == ["0:0", "0:1", "1:0", "1:1", "1:2", "2:0", "2:1", "2:2", "2:3"]
    from_ds = tf.data.TFRecordDataset(tf.data.Dataset.from_tensor_slices(names))
    assert [r.numpy().decode() for r in from_ds] == flat
    inter = tf.data.TFRecordDataset(names, num_parallel_reads=2)
    assert [r.numpy().decode() for r in inter] == [  # TF 2.21's order
        "0:0", "1:0", "0:1", "1:1", "1:2", "2:0", "2:1", "2:2", "2:3"]
    assert tf.data.TFRecordDataset(names).cardinality().numpy() == -2
    with pytest.raises(TypeError, match="tf.string"):
        tf.data.TFRecordDataset([1, 2])


def test_large_record_round_trip(tmp_path):
    data = np.random.default_rng(1).integers(0, 256, 300_000).astype(np.uint8).tobytes()
    path = str(tmp_path / "big")
    with tf.io.TFRecordWriter(path) as w:
        w.write(data)
        w.write(b"")
    raw = open(path, "rb").read()
    assert struct.unpack_from("<Q", raw)[0] == len(data)
    assert [r.numpy() for r in tf.data.TFRecordDataset(path)] == [data, b""]


# -- tf.train.Example -----------------------------------------------------------------------
def test_example_constructor_serialize_and_parse():
    ex = tf.train.Example(features=tf.train.Features(feature={
        "x": tf.train.Feature(float_list=tf.train.FloatList(value=[1.0]))}))
    blob = ex.SerializeToString()
    back = tf.train.Example.FromString(blob)
    assert back == ex
    assert list(back.features.feature["x"].float_list.value) == [1.0]
    other = tf.train.Example()
    other.ParseFromString(blob)
    assert other.features.feature["x"].WhichOneof("kind") == "float_list"
    assert type(ex).DESCRIPTOR.full_name == "tensorflow.Example"
    with pytest.raises(AttributeError):
        tf.train.NotAMessage


@pytest.mark.parametrize("name", sorted(RECORDED["cases"]))
def test_cases_match_tf(name):
    fn = dict(cases.CASES)[name]
    assert cases.run(tf, fn) == RECORDED["cases"][name]


def test_parse_errors_name_the_feature():
    blob = cases.serialized(tf, cases.E1)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Feature: zz \(data type: float\) is required"):
        tf.io.parse_single_example(blob, {"zz": tf.io.FixedLenFeature([], tf.float32)})
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Key: f.  Data types don't match. Data type: float but expected "
                             "type: int64"):
        tf.io.parse_single_example(blob, {"f": tf.io.FixedLenFeature([2], tf.int64)})
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Name: <unknown>, Key: f, Index: 0.  Can't parse"):
        tf.io.parse_example([blob], {"f": tf.io.FixedLenFeature([], tf.float32)})
    with pytest.raises(tf.errors.InvalidArgumentError, match="Could not parse example input"):
        tf.io.parse_single_example(b"\xff\xff", {"f": tf.io.VarLenFeature(tf.float32)})


def test_feature_specs_print_as_tf():
    assert repr(tf.io.FixedLenFeature([2], tf.float32)) == \
        "FixedLenFeature(shape=[2], dtype=tf.float32, default_value=None)"
    assert repr(tf.io.VarLenFeature(tf.int64)) == "VarLenFeature(dtype=tf.int64)"
    assert repr(tf.io.RaggedFeature(tf.string)) == (
        "RaggedFeature(dtype=tf.string, value_key=None, partitions=(), "
        "row_splits_dtype=tf.int32, validate=False)")


def test_missing_protobuf_names_the_extra(monkeypatch):
    from tapeflow.io import _example

    monkeypatch.setattr(_example, "_CLASSES", {})
    monkeypatch.setitem(sys.modules, "google.protobuf", None)
    with pytest.raises(ImportError, match=r"pip install tapeflow\[tfrecord\]"):
        _example.message_class("Example")


@pytest.mark.parametrize("comp", [None, "GZIP", "ZLIB"])
@pytest.mark.parametrize("buffer_size", [None, 1, 50, 1000])
def test_round_trip_many_sizes_any_buffer(tmp_path, comp, buffer_size):
    rng = np.random.default_rng(7)
    recs = [rng.integers(0, 256, int(k)).astype(np.uint8).tobytes()
            for k in rng.choice([0, 1, 3, 4, 5, 17, 100, 700, 3000, 70000], 120)]
    path = str(tmp_path / "r")
    with tf.io.TFRecordWriter(path, comp) as w:
        for r in recs:
            w.write(r)
    got = [r.numpy() for r in tf.data.TFRecordDataset(path, comp, buffer_size=buffer_size)]
    assert got == recs


@pytest.mark.parametrize("buffer_size", [None, 64])
def test_corruption_deep_in_a_file_yields_the_records_before(tmp_path, buffer_size):
    recs = [bytes([i]) * (10 + i) for i in range(200)]
    path = tmp_path / "r"
    with tf.io.TFRecordWriter(str(path)) as w:
        for r in recs:
            w.write(r)
    raw = bytearray(path.read_bytes())
    at = sum(16 + len(r) for r in recs[:150])  # the 151st record
    raw[at + 12 + 3] ^= 0x40
    path.write_bytes(bytes(raw))
    got = []
    with pytest.raises(tf.errors.DataLossError, match=f"corrupted record at {at + 12}$"):
        for r in tf.data.TFRecordDataset(str(path), buffer_size=buffer_size):
            got.append(r.numpy())
    assert got == recs[:150]
    raw[at + 12 + 3] ^= 0x40
    raw[at + 2] ^= 1  # its length
    path.write_bytes(bytes(raw))
    with pytest.raises(tf.errors.DataLossError, match=f"corrupted record at {at}$"):
        list(tf.data.TFRecordDataset(str(path), buffer_size=buffer_size))
