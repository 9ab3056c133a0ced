"""Small files in the formats of Keras's IMDB, Reuters, Boston/California housing and
CIFAR-100 downloads, and loader calls checked against Keras 3.15:
``tests/data/record_keras_datasets_more.py`` writes Keras's answers to
``keras_datasets_more.json`` and ``test_keras_datasets_more.py`` makes the same calls on
tapeflow. ``m`` in a call is the loader's module."""
import hashlib
import io
import os
import pickle
import zipfile

import numpy as np


def _seqs(rng, n, lo=1, hi=40):
    return [[int(w) for w in rng.randint(0, 30, rng.randint(lo, hi))] for _ in range(n)]


def _object_array(seqs):
    a = np.empty(len(seqs), dtype=object)
    a[:] = seqs
    return a


class _Py2Pickler(pickle._Pickler):
    """Pickles ``bytes`` as Python 2 wrote ``str`` (``SHORT_BINSTRING``/``BINSTRING``), as in
    the protocol-2 pickles of Keras's official IMDB, Reuters and CIFAR files."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_bytes(self, obj):
        n = len(obj)
        if n < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([n]) + obj)
        else:
            self.write(pickle.BINSTRING + n.to_bytes(4, "little") + obj)
        self.memoize(obj)

    dispatch[bytes] = save_bytes


def _dumps(obj, protocol):
    if protocol != 2:
        return pickle.dumps(obj, protocol=protocol)
    buf = io.BytesIO()
    _Py2Pickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


def _npy_pickled(a, protocol):
    """A ``.npy`` of the object array ``a`` whose pickle uses ``protocol``."""
    header = {"descr": "|O", "fortran_order": False, "shape": a.shape}
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    buf.write(_dumps(a, protocol))
    return buf.getvalue()


def _npz(path, arrays, protocol=4):
    with zipfile.ZipFile(path, "w") as z:
        for k, a in arrays.items():
            if a.dtype.hasobject:
                z.writestr(k + ".npy", _npy_pickled(a, protocol))
            else:
                buf = io.BytesIO()
                np.lib.format.write_array(buf, a)
                z.writestr(k + ".npy", buf.getvalue())


def _cifar100_batch(path, rng, n):
    d = {b"filenames": [b"img_%d.png" % i for i in range(n)], b"batch_label": b"training",
         b"fine_labels": [int(v) for v in rng.randint(0, 100, n)],
         b"coarse_labels": [int(v) for v in rng.randint(0, 20, n)],
         b"data": rng.randint(0, 256, (n, 3072)).astype(np.uint8)}
    with open(path, "wb") as f:
        f.write(_dumps(d, 2))


def write_files(directory):
    """Writes ``imdb.npz``, ``imdb_p2.npz`` (Python 2's protocol-2 pickles), ``reuters.npz``,
    ``boston_housing.npz``, ``california_housing.npz``, ``imdb_word_index.json`` and
    ``cifar100/cifar-100-python/{train,test}`` into ``directory``."""
    rng = np.random.RandomState(7)
    imdb = {"x_train": _object_array(_seqs(rng, 12)), "y_train": rng.randint(0, 2, 12),
            "x_test": _object_array(_seqs(rng, 9)), "y_test": rng.randint(0, 2, 9)}
    _npz(os.path.join(directory, "imdb.npz"), imdb)
    _npz(os.path.join(directory, "imdb_p2.npz"), imdb, protocol=2)
    _npz(os.path.join(directory, "reuters.npz"),
         {"x": _object_array(_seqs(rng, 15)), "y": rng.randint(0, 46, 15)})
    _npz(os.path.join(directory, "boston_housing.npz"),
         {"x": rng.rand(23, 13) * 100, "y": rng.rand(23) * 50})
    _npz(os.path.join(directory, "california_housing.npz"),
         {"x": rng.rand(611, 8).astype(np.float32), "y": rng.rand(611).astype(np.float32)})
    with open(os.path.join(directory, "imdb_word_index.json"), "w") as f:
        f.write('{"the": 1, "and": 2, "caf\\u00e9": 3}')
    c = os.path.join(directory, "cifar100", "cifar-100-python")
    os.makedirs(c, exist_ok=True)
    _cifar100_batch(os.path.join(c, "train"), rng, 7)
    _cifar100_batch(os.path.join(c, "test"), rng, 4)


# (module, file in the fixture folder, call)
CASES = [
    ("imdb", "imdb.npz", "m.load_data(P)"),
    ("imdb", "imdb_p2.npz", "m.load_data(P)"),
    ("imdb", "imdb.npz", "m.load_data(P, num_words=12, skip_top=4)"),
    ("imdb", "imdb.npz", "m.load_data(P, maxlen=15, seed=3)"),
    ("imdb", "imdb.npz", "m.load_data(P, maxlen=1)"),
    ("imdb", "imdb.npz", "m.load_data(P, start_char=None, index_from=0)"),
    ("imdb", "imdb.npz", "m.load_data(P, start_char=None, index_from=5, oov_char=None, "
                         "num_words=20)"),
    ("imdb", "imdb.npz", "m.load_data(P, num_words=10, oov_char=None, skip_top=2)"),
    ("imdb", "imdb_word_index.json", "m.get_word_index(P)"),
    ("reuters", "reuters.npz", "m.load_data(P)"),
    ("reuters", "reuters.npz", "m.load_data(P, test_split=0.5, seed=0)"),
    ("reuters", "reuters.npz", "m.load_data(P, num_words=15, maxlen=20, start_char=None)"),
    ("reuters", "reuters.npz", "m.load_data(P, test_split=0.0)"),
    ("reuters", None, "m.get_label_names()"),
    ("boston_housing", "boston_housing.npz", "m.load_data(P)"),
    ("boston_housing", "boston_housing.npz", "m.load_data(P, test_split=0.3, seed=0)"),
    ("boston_housing", "boston_housing.npz", "m.load_data(P, test_split=1)"),
    ("boston_housing", "boston_housing.npz", "m.load_data(P, test_split=-0.1)"),
    ("california_housing", "california_housing.npz", "m.load_data(path=P)"),
    ("california_housing", "california_housing.npz", "m.load_data('small', P, 0.25, 5)"),
    ("california_housing", "california_housing.npz", "m.load_data('medium', P)"),
    ("cifar100", "cifar100", "m.load_data()"),
    ("cifar100", "cifar100", "m.load_data('coarse')"),
    ("cifar100", "cifar100", "m.load_data(label_mode='both')"),
]


def encode(value):
    """A JSON-able record of a loader's result (arrays with dtype and shape) or exception."""
    if isinstance(value, BaseException):
        return {"error": type(value).__name__, "message": str(value)}
    if isinstance(value, np.ndarray):
        out = {"dtype": str(value.dtype), "shape": list(value.shape)}
        if value.dtype != object and value.size > 500:  # big numeric arrays: their bytes' digest
            out["sha256"] = hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()
        else:
            out["values"] = encode(value.tolist())
        return out
    if isinstance(value, (list, tuple)):
        return {"type": type(value).__name__, "items": [encode(v) for v in value]}
    if isinstance(value, dict):
        return {"dict": {k: encode(v) for k, v in value.items()}}
    if isinstance(value, float):
        return repr(value)
    return value
