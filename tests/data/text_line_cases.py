"""Text files and ``tf.data.TextLineDataset`` pipelines checked against TensorFlow 2.21:
``tests/data/record_tf_text_line.py`` writes TF's answers to ``text_line_tf.json`` and
``test_text_line.py`` runs the same pipelines with tapeflow. Expressions use ``tf`` and
``D`` (``tf.data.TextLineDataset``) with the files below in the current directory."""
import gzip
import zlib

FILES = {
    "a.txt": b"h1,h2\n1,2\r\n3,4\n\nlast",
    "b.txt": b"b1\nb2\n",
    "e.txt": b"",
    "n.txt": b"\n",
    "u.txt": "\u00e9\x00x\n".encode(),
    "long.txt": b"".join(b"line %d %s\n" % (i, b"x" * (i % 50)) for i in range(3000)),
}


def write_files(directory):
    import os

    for name, data in FILES.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)
    with gzip.GzipFile(os.path.join(directory, "g.txt.gz"), "wb", mtime=0) as f:
        f.write(b"g1\ng2\n")
    with open(os.path.join(directory, "z.txt.z"), "wb") as f:
        f.write(zlib.compress(b"z1\nz2"))


CASES = [
    'list(D("a.txt").as_numpy_iterator())',
    'list(D(["a.txt", "b.txt"]).as_numpy_iterator())',
    'list(D(["e.txt", "n.txt", "b.txt"]).as_numpy_iterator())',
    'list(D("u.txt").as_numpy_iterator())',
    'list(D("g.txt.gz", compression_type="GZIP").as_numpy_iterator())',
    'list(D("z.txt.z", compression_type="ZLIB").as_numpy_iterator())',
    'list(D("g.txt.gz").as_numpy_iterator())',
    'list(D("b.txt", compression_type="GZIP").as_numpy_iterator())',
    'list(D("b.txt", compression_type="BAD").as_numpy_iterator())',
    'list(D("missing.txt").as_numpy_iterator())',
    'repr(D("a.txt").element_spec)',
    'int(D("a.txt").cardinality())',
    'list(D(["a.txt", "b.txt"], num_parallel_reads=2).as_numpy_iterator())',
    'list(D(["a.txt", "b.txt", "u.txt"], num_parallel_reads=2).as_numpy_iterator())',
    'list(D(tf.constant(["a.txt", "b.txt"]), buffer_size=2).as_numpy_iterator())',
    'list(D(tf.data.Dataset.from_tensor_slices(["b.txt", "a.txt"])).as_numpy_iterator())',
    'list(D("a.txt").skip(1).map(lambda l: tf.strings.split(l, ",")).as_numpy_iterator())',
    'list(D("a.txt").skip(1).map(lambda l: tf.strings.to_number(tf.strings.split(l, ",")))'
    '.filter(lambda v: tf.size(v) == 2).as_numpy_iterator())',
    'D(1)',
    'list(D([]).as_numpy_iterator())',
    'list(D("b.txt").batch(2).as_numpy_iterator())',
    'repr(next(iter(D("b.txt"))))',
    'str(next(iter(D("b.txt").batch(2))))',
    'list(D("long.txt", buffer_size=7).skip(2990).as_numpy_iterator())',
    'int(D("long.txt").reduce(tf.constant(0, tf.int64), lambda n, _: n + 1))',
    'list(D("long.txt").map(tf.strings.length).batch(1000).map(tf.reduce_sum)'
    '.as_numpy_iterator())',
    'list(D(["a.txt", "b.txt"]).map(tf.strings.upper).padded_batch(3).as_numpy_iterator())',
    'list(D("a.txt").map(lambda l: tf.strings.regex_replace(l, "[0-9]", "#"))'
    '.shuffle(10, seed=1).take(0).as_numpy_iterator())',
    'list(D("a.txt").enumerate().map(lambda i, l: tf.strings.format("{}:{}", (i, l)))'
    '.as_numpy_iterator())',
    'repr(D("a.txt").map(lambda l: (l, tf.strings.length(l))).element_spec)',
]
