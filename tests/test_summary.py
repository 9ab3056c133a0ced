"""tf.summary: the event files are read back with TensorBoard's own readers (event file
loader, EventAccumulator) and compared with what TF 2.21 writes for the same calls
(tests/summary_data/tf_reference.json, made by make_tf_reference.py there)."""
import base64
import io
import json
import os
import re
import socket
import struct
import subprocess
import sys
import wave

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tapeflow as tf
from tapeflow.summary import _encode, _events, _summary

tb_loader = pytest.importorskip(
    "tensorboard.backend.event_processing.event_file_loader",
    reason="the reference reader, TensorBoard, is not installed (pip install -e '.[dev]')")
from tensorboard.backend.event_processing.event_accumulator import (  # noqa: E402
    EventAccumulator,
)
from tensorboard.compat.proto import event_pb2  # noqa: E402
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "summary_data", "tf_reference.json")) as _f:
    REF = json.load(_f)
FILE_NAME = re.compile(r"^events\.out\.tfevents\.\d{10}\.(?P<host>[^/]+)\.(?P<pid>\d+)\."
                       r"(?P<n>\d+)(?P<suffix>.*)$")


def event_files(logdir):
    return sorted(os.path.join(logdir, f) for f in os.listdir(logdir)
                  if f.startswith("events.out.tfevents."))


def read_events(logdir):
    """Every event of the run in ``logdir`` through TensorBoard's own record reader, as the
    JSON of make_tf_reference.py (decoded PNG pixels, WAV samples)."""
    from PIL import Image  # the dev extra has Pillow, as the tensorboard extra

    out = []
    for path in event_files(logdir):
        for raw in tb_loader.RawEventFileLoader(path).Load():  # as written, no read-time compat
            e = event_pb2.Event.FromString(raw)
            if e.HasField("file_version"):
                out.append({"file_version": e.file_version, "writer": e.source_metadata.writer})
                continue
            for v in e.summary.value:
                arr = tensor_util.make_ndarray(v.tensor)
                plugin = v.metadata.plugin_data.plugin_name
                d = {"step": e.step, "tag": v.tag, "plugin": plugin,
                     "content": base64.b64encode(v.metadata.plugin_data.content).decode(),
                     "description": v.metadata.summary_description,
                     "display_name": v.metadata.display_name,
                     "dtype": "string" if arr.dtype == object else arr.dtype.name,
                     "shape": list(arr.shape)}
                if plugin == "images":
                    d["dims"] = [x.decode() for x in arr[:2]]
                    d["pixels"] = [_png_pixels(Image, p) for p in arr[2:]]
                elif plugin == "audio":
                    clips = [_wav(a[0]) for a in arr]
                    d["samples"] = [c[0] for c in clips]
                    d["sample_rates"] = [c[1] for c in clips]
                    d["labels"] = [a[1].decode() for a in arr]
                elif arr.dtype == object:
                    d["value"] = [x.decode() for x in arr.ravel()]
                else:
                    d["value"] = arr.tolist()
                out.append(d)
    return out


def _png_pixels(Image, data):
    img = np.asarray(Image.open(io.BytesIO(data)))
    return (img[..., None] if img.ndim == 2 else img).tolist()


def _wav(data):
    with wave.open(io.BytesIO(data)) as w:
        assert w.getsampwidth() == 2
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2")
        return (pcm.reshape(-1, w.getnchannels()) / 32768.0).tolist(), w.getframerate()


def same_calls_as_tf(logdir):
    """make_tf_reference.summaries() with tapeflow: the returns and the events written."""
    ret = {}
    w = tf.summary.create_file_writer(logdir)
    rng = np.random.default_rng(0)
    normal = rng.normal(size=100).astype(np.float32)
    with w.as_default():
        try:
            tf.summary.scalar("x", 1.0)
        except ValueError as e:
            ret["no_step_error"] = str(e)
        ret["scalar"] = bool(tf.summary.scalar("loss", 0.5, step=3))
        tf.summary.scalar("loss", np.float64(0.1), step=4, description="the loss")
        tf.summary.scalar("int", 7, step=4)
        tf.summary.histogram("h_arange", np.arange(10, dtype=np.float32), step=1)
        tf.summary.histogram("h_normal_5", normal, step=1, buckets=5)
        tf.summary.histogram("h_normal", tf.constant(normal), step=1)
        tf.summary.histogram("h_const", [3.0, 3.0, 3.0, 3.0], step=1)
        tf.summary.histogram("h_empty", np.zeros([0], np.float32), step=1)
        tf.summary.histogram("h_int", np.array([1, 2, 2, 3, 3, 3]), step=1)
        tf.summary.histogram("h_one_bucket", [1.0, 2.0, 5.0], step=1, buckets=1)
        tf.summary.histogram("h_zero_buckets", [1.0, 2.0], step=1, buckets=0)
        tf.summary.histogram("h_matrix", tf.Variable(np.linspace(-1, 1, 12).reshape(3, 4)),
                             step=2)
        u8 = (np.arange(3 * 4 * 5 * 3) % 256).astype(np.uint8).reshape(3, 4, 5, 3)
        tf.summary.image("img_u8", u8, step=1, max_outputs=2)
        fl = np.array([-0.5, 0.0, 0.001, 0.002, 0.5, 0.998, 0.999, 1.0, 1.5, 0.25, 0.75, 0.1],
                      np.float32).reshape(1, 3, 4, 1)
        tf.summary.image("img_float", tf.constant(fl), step=1)
        tf.summary.image("img_rgba", np.full((1, 2, 2, 4), 0.5, np.float32), step=1)
        tf.summary.text("txt", "hello **world**", step=1)
        tf.summary.text("txt_table", [["a", "b"], ["c", "d"]], step=1)
        wave_ = np.sin(np.linspace(0, 20, 64)).astype(np.float32).reshape(1, 64, 1)
        wave_ = np.concatenate([wave_, 0.5 * wave_, -wave_])
        wave_[1, :3, 0] = [1.5, -1.5, 1.0 / 65536]
        tf.summary.audio("snd", wave_, 8000, step=1, max_outputs=2)
        with tf.summary.record_if(False):
            ret["record_if_false"] = bool(tf.summary.scalar("skip", 1.0, step=1))
            ret["should_record_false"] = bool(tf.summary.should_record_summaries())
        ret["should_record_true"] = bool(tf.summary.should_record_summaries())
        with tf.summary.record_if(lambda: tf.summary.experimental.get_step() % 2 == 0):
            for s in range(4):
                tf.summary.experimental.set_step(s)
                tf.summary.scalar("even", float(s))
        tf.summary.experimental.set_step(None)
    w.close()
    ret["no_writer"] = bool(tf.summary.scalar("x", 1.0, step=1))
    for name, call in [("image_rank3", lambda: tf.summary.image("b", np.zeros((2, 2, 3)), 1)),
                       ("audio_rank2", lambda: tf.summary.audio("b", np.zeros((2, 2)), 8000, 1))]:
        with tf.summary.create_file_writer(os.path.join(logdir, "err")).as_default():
            try:
                call()
                ret[name] = None
            except Exception as e:  # recording whatever is raised, as the generator does
                ret[name] = [type(e).__name__, str(e).splitlines()[0]]
    return ret


@pytest.fixture(autouse=True)
def fresh_state():
    """No default writer, step or condition before and after each test."""
    yield
    _summary._state.__init__()


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    logdir = str(tmp_path_factory.mktemp("summary"))
    ret = same_calls_as_tf(logdir)
    return logdir, ret, read_events(logdir)


def test_returns_and_errors_are_tfs(written):
    _, ret, _ = written
    assert ret == REF["returns"]


def test_events_are_tfs_tags_plugins_dtypes_and_values(written):
    _, _, events = written
    ref = REF["summaries"]["events"]
    assert events[0]["file_version"] == ref[0]["file_version"] == "brain.Event:2"
    assert [(e["tag"], e["step"]) for e in events[1:]] == \
        [(e["tag"], e["step"]) for e in ref[1:]]
    for mine, theirs in zip(events[1:], ref[1:]):
        assert mine == theirs, mine["tag"]  # exact: values, bucket edges and counts, pixels


def test_file_name_and_tfrecord_framing(written):
    logdir, _, _ = written
    (path,) = event_files(logdir)
    m = FILE_NAME.match(os.path.basename(path))
    assert m and m["host"] == socket.gethostname() and int(m["pid"]) == os.getpid()
    assert m["suffix"] == ".v2"
    assert FILE_NAME.match(REF["summaries"]["files"][0])["suffix"] == ".v2"  # TF's too
    data = open(path, "rb").read()
    pos = records = 0
    while pos < len(data):  # uint64 length, masked CRC32C of it, payload, masked CRC32C
        header = data[pos:pos + 8]
        (n,) = struct.unpack("<Q", header)
        assert struct.unpack("<I", data[pos + 8:pos + 12])[0] == masked_crc32c(header)
        payload = data[pos + 12:pos + 12 + n]
        assert struct.unpack("<I", data[pos + 12 + n:pos + 16 + n])[0] == \
            masked_crc32c(payload)
        pos += 16 + n
        records += 1
    assert pos == len(data) and records == len(REF["summaries"]["events"])


def test_tensorboards_reader_checks_the_crc(tmp_path):
    with tf.summary.create_file_writer(str(tmp_path)).as_default(step=0):
        tf.summary.scalar("a", 1.0)
        tf.summary.scalar("b", 2.0)
    (path,) = event_files(str(tmp_path))
    assert len(list(tb_loader.RawEventFileLoader(path).Load())) == 3
    data = bytearray(open(path, "rb").read())
    data[-6] ^= 0xFF  # a payload byte of the last record
    open(path, "wb").write(bytes(data))
    assert len(list(tb_loader.RawEventFileLoader(path).Load())) == 2


def test_event_accumulator_reads_every_plugin(written):
    logdir, _, _ = written
    acc = EventAccumulator(logdir, size_guidance={"tensors": 0})
    acc.Reload()
    tags = acc.Tags()["tensors"]
    assert set(tags) == {e["tag"] for e in REF["summaries"]["events"][1:]}
    plugin_of = {t: acc.SummaryMetadata(t).plugin_data.plugin_name for t in tags}
    assert plugin_of["loss"] == "scalars" and plugin_of["h_normal"] == "histograms"
    assert plugin_of["img_u8"] == "images" and plugin_of["txt"] == "text"
    assert plugin_of["snd"] == "audio"
    loss = acc.Tensors("loss")
    assert [e.step for e in loss] == [3, 4]
    assert [float(tensor_util.make_ndarray(e.tensor_proto)) for e in loss] == \
        [0.5, float(np.float32(0.1))]
    assert [e.step for e in acc.Tensors("even")] == [0, 2]
    h = tensor_util.make_ndarray(acc.Tensors("h_normal")[0].tensor_proto)
    assert h.shape == (30, 3) and h[:, 2].sum() == 100
    img = tensor_util.make_ndarray(acc.Tensors("img_u8")[0].tensor_proto)
    assert img[:2].tolist() == [b"5", b"4"] and len(img) == 4  # width, height, 2 images


def test_histogram_buckets_match_tf_exactly():
    ref = {e["tag"]: np.array(e["value"]).reshape(e["shape"])
           for e in REF["summaries"]["events"] if e.get("plugin") == "histograms"}
    rng = np.random.default_rng(0)
    normal = rng.normal(size=100).astype(np.float32)
    assert _encode.histogram_buckets(normal).dtype == np.float64
    np.testing.assert_array_equal(_encode.histogram_buckets(normal), ref["h_normal"])
    np.testing.assert_array_equal(_encode.histogram_buckets(normal, 5), ref["h_normal_5"])
    assert _encode.histogram_buckets([1.0, 2.0], -3).shape == (0, 3)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False, width=32), min_size=1, max_size=60),
       st.integers(1, 40))
def test_histogram_counts_every_value_once_in_ordered_buckets(values, k):
    h = _encode.histogram_buckets(np.array(values, np.float32), k)
    assert h.shape == (k, 3)
    assert h[:, 2].sum() == len(values)
    assert np.all(h[:, 0] <= h[:, 1]) and np.all(h[1:, 0] == h[:-1, 1])
    assert h[0, 0] == min(values) and h[-1, 1] == max(values)


def test_as_default_sets_and_restores_writer_and_step(tmp_path):
    w = tf.summary.create_file_writer(str(tmp_path))
    assert tf.summary.experimental.get_step() is None
    assert not bool(tf.summary.should_record_summaries())
    with w.as_default(step=10) as same:
        assert same is w
        assert tf.summary.experimental.get_step() == 10
        assert bool(tf.summary.should_record_summaries())
        assert bool(tf.summary.scalar("s", 1.0))
    assert tf.summary.experimental.get_step() is None
    assert not bool(tf.summary.scalar("s", 1.0, step=1))  # no default writer any more
    w.set_as_default(step=tf.Variable(7, dtype=tf.int64))
    assert bool(tf.summary.scalar("s", 2.0))
    tf.summary.experimental.get_step().assign(8)  # a variable step is read at each write
    assert bool(tf.summary.scalar("s", 3.0))
    tf.summary.flush()
    steps = [(e["step"], e["value"]) for e in read_events(str(tmp_path))[1:]]
    assert steps == [(10, 1.0), (7, 2.0), (8, 3.0)]


def test_noop_writer_records_nothing_and_ignores_the_step():
    with tf.summary.create_noop_writer().as_default(step=3):
        assert tf.summary.experimental.get_step() is None
        assert not bool(tf.summary.should_record_summaries())
        r = tf.summary.scalar("x", 1.0)
        assert isinstance(r, tf.Tensor) and r.dtype == tf.bool and not bool(r)


def test_events_wait_in_the_queue_until_flushed(tmp_path):
    w = tf.summary.create_file_writer(str(tmp_path / "q"))
    (path,) = event_files(str(tmp_path / "q"))
    first = os.path.getsize(path)
    assert first > 0  # the file_version event is on disk at once
    with w.as_default(step=0):
        tf.summary.scalar("a", 1.0)
        assert os.path.getsize(path) == first
    assert os.path.getsize(path) > first  # the end of as_default flushed
    small = tf.summary.create_file_writer(str(tmp_path / "s"), max_queue=2,
                                          filename_suffix=".mine")
    (spath,) = event_files(str(tmp_path / "s"))
    assert spath.endswith(".v2.mine") is False and spath.endswith(".mine")
    small.set_as_default(step=1)
    for i in range(3):
        tf.summary.scalar("a", float(i))
    assert len(read_events(str(tmp_path / "s"))) == 4  # more than 2 waited: written
    tf.summary.scalar("a", 3.0)
    assert len(read_events(str(tmp_path / "s"))) == 4
    small.close()
    assert len(read_events(str(tmp_path / "s"))) == 5  # close flushes
    with pytest.raises(RuntimeError, match="is already closed"):
        small.as_default()
    with pytest.raises(RuntimeError, match="is already closed"):
        small.set_as_default()
    small.flush()
    small.close()  # a second close does nothing, as TF's


def test_name_scope_prefixes_the_tag_and_bad_input_raises_tfs_errors(tmp_path):
    with tf.summary.create_file_writer(str(tmp_path)).as_default(step=1):
        with tf.name_scope("outer"):
            tf.summary.scalar("in scope", 1.0)
        with tf.summary.experimental.summary_scope("inner") as (tag, scope):
            assert (tag, scope) == ("inner", "inner/")
        with pytest.raises(ValueError, match=r"Expected scalar shape, saw shape: \(2,\)\."):
            tf.summary.scalar("v", [1.0, 2.0])
        with pytest.raises(tf.errors.UnimplementedError, match="Cast string to float"):
            tf.summary.scalar("v", "a")
        with pytest.raises(TypeError, match="tensor must be of type tf.string; got tf.int32"):
            tf.summary.text("t", np.int32(3))
        with pytest.raises(tf.errors.InvalidArgumentError, match="1, 2, 3, or 4 channels"):
            tf.summary.image("i", np.zeros((1, 2, 2, 5), np.float32))
        with pytest.raises(tf.errors.InvalidArgumentError, match="float tensor but is a int32"):
            tf.summary.audio("a", np.zeros((1, 4, 1), np.int32), 8000)
        with pytest.raises(TypeError, match="Cannot convert 2.7 to EagerTensor of dtype int64"):
            tf.summary.scalar("sf", 1.0, step=2.7)
        with pytest.raises(ValueError, match="Unknown encoding"):
            tf.summary.audio("a", np.zeros((1, 4, 1), np.float32), 8000, encoding="mp3")
    assert [e["tag"] for e in read_events(str(tmp_path))[1:]] == ["outer/in scope"]
    with pytest.raises(ValueError, match="Argument `logdir` cannot be None"):
        tf.summary.create_file_writer(None)
    with pytest.raises(NotImplementedError, match="no TF graph"):
        tf.summary.trace_on()


def test_image_dtypes_convert_as_tfs_convert_image_dtype():
    assert _encode.to_uint8(np.full(2, 65535, np.uint16)).tolist() == [255, 255]
    assert _encode.to_uint8(np.full(2, 7, np.int32)).tolist() == [0, 0]
    assert _encode.to_uint8(np.array([0.5], np.float64)).tolist() == [127]
    assert _encode.to_uint8(np.array([True, False])).tolist() == [255, 0]


def test_missing_tensorboard_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setattr(_events, "_TB", None)
    for name in [m for m in sys.modules if m.split(".")[0] == "tensorboard"]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=re.escape("pip install tapeflow[tensorboard]")):
        tf.summary.create_file_writer(str(tmp_path))
    # nothing is needed to record nothing
    assert not bool(tf.summary.scalar("x", 1.0, step=1))
    assert not bool(tf.summary.histogram("x", [1.0], step=1))


def test_import_tapeflow_does_not_import_tensorboard():
    code = ("import sys, tapeflow as tf; tf.summary; tf.keras.callbacks; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('tensorboard', 'google', 'PIL', 'tensorflow')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.path.dirname(HERE)}, check=True)
    assert out.stdout.strip() == "[]"


def test_write_write_raw_pb_and_a_tensor_condition(tmp_path):
    from tensorboard.compat.proto import summary_pb2

    raw = summary_pb2.Summary()
    raw.value.add(tag="raw", simple_value=2.5)
    with tf.summary.create_file_writer(str(tmp_path)).as_default(step=5):
        assert bool(tf.summary.write("ints", tf.constant([1, 2], tf.int64)))
        assert bool(tf.summary.write("lazy", lambda: np.float64(4.0), step=6,
                                     metadata=summary_pb2.SummaryMetadata(
                                         display_name="shown").SerializeToString()))
        assert bool(tf.summary.experimental.write_raw_pb(raw.SerializeToString()))
        with tf.summary.record_if(tf.constant(False)):
            assert not bool(tf.summary.write("no", 1.0))
            assert not bool(tf.summary.experimental.write_raw_pb(raw.SerializeToString()))
    events = [event_pb2.Event.FromString(r) for p in event_files(str(tmp_path))
              for r in tb_loader.RawEventFileLoader(p).Load()][1:]
    got = [(e.step, v.tag, v.metadata.display_name, v.WhichOneof("value"))
           for e in events for v in e.summary.value]
    assert got == [(5, "ints", "", "tensor"), (6, "lazy", "shown", "tensor"),
                   (5, "raw", "", "simple_value")]
    ints = tensor_util.make_ndarray(events[0].summary.value[0].tensor)
    assert ints.dtype == np.int64 and ints.tolist() == [1, 2]


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=0, max_size=3000))
def test_masked_crc32c_is_tensorboards(data):
    assert _events.masked_crc32c(data) == masked_crc32c(data)


def test_crc32c_check_value_and_long_records():
    assert _events.crc32c(b"123456789") == 0xE3069283  # CRC-32C's published check value
    rng = np.random.default_rng(3)
    for n in (511, 512, 513, 4099, 65536):
        data = rng.integers(0, 256, n).astype(np.uint8).tobytes()
        assert _events.masked_crc32c(data) == masked_crc32c(data), n
