"""``tf.data.TextLineDataset`` and string pipelines against TensorFlow 2.21's answers
(``text_line_tf.json``, recorded by ``record_tf_text_line.py`` from ``text_line_cases.py``)."""
import gzip
import json
import os
import sys

import numpy as np
import pytest

import tapeflow as tf

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from strings_cases import encode  # noqa: E402
from text_line_cases import CASES, write_files  # noqa: E402

with open(os.path.join(HERE, "text_line_tf.json")) as _f:
    FIXTURE = json.load(_f)


@pytest.fixture
def files(tmp_path, monkeypatch):
    write_files(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_fixture_covers_every_case():
    assert sorted(FIXTURE["cases"]) == sorted(CASES)


@pytest.mark.parametrize("expr", CASES)
def test_matches_tensorflow(expr, files):
    try:
        r = eval(expr, {"tf": tf, "np": np, "D": tf.data.TextLineDataset})
    except Exception as e:
        r = e
    assert encode(r, tf) == FIXTURE["cases"][expr]


def test_csv_with_a_header_through_map_batch_and_a_traced_function(files):
    (files / "data.csv").write_bytes(b"x,label\n1.5,a\n-2,b\n4,a\n")

    def parse(line):
        parts = tf.strings.split(line, ",")
        return tf.strings.to_number(parts[0]), tf.cast(parts[1] == "a", tf.int32)

    ds = tf.data.TextLineDataset("data.csv").skip(1).map(parse).batch(2)
    assert ds.element_spec[0].dtype == tf.float32
    got = [(x.numpy().tolist(), y.numpy().tolist()) for x, y in ds]
    assert got == [([1.5, -2.0], [1, 0]), ([4.0], [1])]

    @tf.function
    def total(ds):
        s = tf.constant(0.0)
        for x, _ in ds:
            s += tf.reduce_sum(x)
        return s

    assert float(total(ds)) == pytest.approx(3.5)


def test_large_gzip_file_in_small_buffers(files):
    lines = [f"w{i} " * (i % 7) for i in range(5000)]
    with gzip.open(files / "big.gz", "wb") as f:
        f.write("\n".join(lines).encode())
    got = list(tf.data.TextLineDataset("big.gz", compression_type="GZIP", buffer_size=100)
               .as_numpy_iterator())
    assert got == [s.encode() for s in lines]


def test_lines_of_a_file_name_given_as_a_tensor_and_parallel_reads_use_every_line(files):
    names = tf.constant(["a.txt", "b.txt", "u.txt", "long.txt"])
    serial = list(tf.data.TextLineDataset(names).as_numpy_iterator())
    mixed = list(tf.data.TextLineDataset(names, num_parallel_reads=3).as_numpy_iterator())
    assert sorted(serial) == sorted(mixed) and serial != mixed
    auto = list(tf.data.TextLineDataset(names, num_parallel_reads=tf.data.AUTOTUNE)
                .as_numpy_iterator())
    assert sorted(auto) == sorted(serial)


def test_string_elements_survive_a_cache_file(files):
    def build():
        return (tf.data.TextLineDataset(["a.txt", "u.txt"]).map(tf.strings.bytes_split)
                .cache(str(files / "cache")))

    first = list(build().as_numpy_iterator())
    assert list(files.glob("cache*"))
    again = list(build().as_numpy_iterator())  # a new dataset reads the file
    assert [a.tolist() for a in again] == [a.tolist() for a in first]
    assert again[-1].tolist() == [b"\xc3", b"\xa9", b"\x00", b"x"]
