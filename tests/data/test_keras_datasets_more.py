"""keras.datasets imdb, reuters, boston_housing, california_housing and cifar100 on generated
files in the official formats: results replayed against Keras 3.15's (``keras_datasets_more.json``,
written by ``record_keras_datasets_more.py``), the local search and download paths, and the
pickle reader refusing everything but data."""
import hashlib
import importlib
import io
import json
import os
import pickle
import sys
import urllib.error
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tapeflow.keras import datasets
from tapeflow.keras.datasets import DatasetFileError, DownloadError, _files
from tapeflow.keras.datasets._safe_npz import load_npz, read_pickle

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from keras_datasets_more_cases import CASES, encode, write_files  # noqa: E402

RECORDED = json.loads((HERE / "keras_datasets_more.json").read_text())["cases"]


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No real cache, no shared or system folder, no network; the fixtures in ``tmp/files``."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.delenv("TAPEFLOW_DATASETS", raising=False)
    monkeypatch.setattr(_files, "project_datasets_dir", lambda: None)
    monkeypatch.setattr(_files, "SYSTEM_DIR", str(tmp_path / "system"))

    def offline(url, *a, **k):
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setattr(_files, "urlopen", offline)
    (tmp_path / "files").mkdir()
    write_files(str(tmp_path / "files"))
    return tmp_path


@pytest.mark.parametrize("case", RECORDED, ids=[f"{m}:{c}" for m, _, c, _ in RECORDED])
def test_matches_keras(isolated, monkeypatch, case):
    module, fname, call, want = case
    assert (module, fname, call) in CASES
    m = importlib.import_module(f"tapeflow.keras.datasets.{module}")
    files = isolated / "files"
    monkeypatch.setenv("TAPEFLOW_DATASETS", str(files))  # cifar100 is found in files/cifar100
    try:
        got = eval(call, {"m": m, "P": str(files / fname) if fname else None})
    except Exception as e:
        got = e
    assert encode(got) == want


def test_submodules_are_attributes():
    for name in ("imdb", "reuters", "boston_housing", "california_housing", "cifar100"):
        assert getattr(datasets, name).load_data.__doc__
    assert len(datasets.reuters.get_label_names()) == 46


def test_default_name_found_in_the_keras_cache_and_verified(isolated, monkeypatch):
    cache = isolated / "keras" / "datasets"
    cache.mkdir(parents=True)
    src = isolated / "files" / "boston_housing.npz"
    (cache / "boston_housing.npz").write_bytes(src.read_bytes())
    from tapeflow.keras.datasets import boston_housing
    monkeypatch.setattr(boston_housing, "NPZ_HASH", hashlib.sha256(src.read_bytes()).hexdigest())
    (x, y), (xt, yt) = boston_housing.load_data()
    assert x.shape == (18, 13) and xt.shape == (5, 13) and x.dtype == np.float64
    # a cached copy failing the official checksum is skipped with a warning, then the download
    monkeypatch.setattr(boston_housing, "NPZ_HASH", "0" * 64)
    with pytest.warns(UserWarning, match="checksum mismatch"), \
            pytest.raises(DownloadError, match="boston_housing.npz"):
        boston_housing.load_data()


def test_found_via_tapeflow_datasets(isolated, monkeypatch):
    from tapeflow.keras.datasets import imdb
    d = isolated / "data" / "imdb"
    d.mkdir(parents=True)
    (d / "imdb.npz").write_bytes((isolated / "files" / "imdb.npz").read_bytes())
    (d / "imdb_word_index.json").write_bytes(
        (isolated / "files" / "imdb_word_index.json").read_bytes())
    monkeypatch.setenv("TAPEFLOW_DATASETS", str(isolated / "data"))
    monkeypatch.setattr(imdb, "NPZ_HASH", hashlib.sha256((d / "imdb.npz").read_bytes())
                        .hexdigest())
    monkeypatch.setattr(imdb, "WORD_INDEX_HASH", hashlib.md5(
        (d / "imdb_word_index.json").read_bytes()).hexdigest())
    (x, y), _ = imdb.load_data()
    assert x.dtype == object and len(x) == 12 and all(s[0] == 1 for s in x)
    assert imdb.get_word_index()["café"] == 3


def test_nothing_local_and_no_network_says_where(isolated):
    from tapeflow.keras.datasets import cifar100, reuters
    with pytest.raises(DownloadError) as e:
        reuters.load_data()
    msg = str(e.value)
    assert "reuters.npz" in msg and "TAPEFLOW_DATASETS" in msg and "no network in this test" in msg
    with pytest.raises(DownloadError, match="cifar-100-python"):
        cifar100.load_data()


def test_download_fills_the_cache(isolated, monkeypatch):
    from tapeflow.keras.datasets import california_housing
    src = isolated / "files" / "california_housing.npz"
    monkeypatch.setattr(california_housing, "ORIGIN", src.parent.as_uri() + "/")
    monkeypatch.setattr(california_housing, "NPZ_HASH",
                        hashlib.sha256(src.read_bytes()).hexdigest())
    monkeypatch.setattr(_files, "urlopen", __import__("urllib.request").request.urlopen)
    (x, _), _ = california_housing.load_data("small")
    assert x.shape == (480, 8) and x.dtype == np.float32
    assert (isolated / "keras" / "datasets" / "california_housing.npz").exists()


# -- the pickle reader -----------------------------------------------------------------------
class _Evil:
    def __reduce__(self):
        return (os.system, ("echo owned > /tmp/tapeflow_owned",))


def _npz_with_pickle(path, payload):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "|O", "fortran_order": False,
                                               "shape": (1,)})
    buf.write(payload)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("x.npy", buf.getvalue())
        z.writestr("y.npy", b"")


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_malicious_pickle_is_refused_not_run(tmp_path, protocol):
    arr = np.empty(1, dtype=object)
    arr[0] = _Evil()
    p = tmp_path / "evil.npz"
    _npz_with_pickle(p, pickle.dumps(arr, protocol=protocol))
    with pytest.raises(DatasetFileError, match="refusing to load posix.system|nt.system"):
        load_npz(str(p), ("x",))
    assert not os.path.exists("/tmp/tapeflow_owned")


@pytest.mark.parametrize("payload, match", [
    (b"cbuiltins\neval\n(S'1'\ntR.", "refusing to load builtins.eval"),
    (b"\x80\x02}q\x00.", "pickled array does not match"),  # a dict, not an array
    (b"\x80\x02]q\x00(K\x01K\x02", "truncated or malformed"),
    (b"\x80\x02I1\n.", "refusing pickle opcode"),  # protocol-0 text int
    (b"\x80\x02P1\n.", "refusing pickle opcode"),  # persistent id
])
def test_pickle_reader_errors(tmp_path, payload, match):
    p = tmp_path / "bad.npz"
    _npz_with_pickle(p, payload)
    with pytest.raises(DatasetFileError, match=match):
        load_npz(str(p), ("x",))


def test_pickle_reader_builds_arrays_of_any_layout():
    for a in (np.arange(6, dtype=">i4").reshape(2, 3), np.asfortranarray(
            np.arange(6.0).reshape(2, 3)), np.array([], dtype=np.int16)):
        for protocol in (2, 3, 4, 5):
            got = read_pickle(pickle.dumps(a, protocol=protocol))
            assert got.dtype == a.dtype and got.shape == a.shape
            np.testing.assert_array_equal(got, a)
    nested = {b"k": [1, -2, 2 ** 70, 1.5, None, True, "s", (1, 2)]}
    assert read_pickle(pickle.dumps(nested, protocol=2)) == nested


def test_sequence_archives_must_hold_lists_of_ints(isolated):
    from tapeflow.keras.datasets import reuters
    arr = np.empty(2, dtype=object)
    arr[:] = [[1, 2], ["word"]]
    p = isolated / "r.npz"
    np.savez(p, x=arr, y=np.array([0, 1]))
    with pytest.raises(DatasetFileError, match="lists of word indices"):
        reuters.load_data(str(p))
    np.savez(p, x=np.zeros(3), z=np.zeros(3))
    with pytest.raises(DatasetFileError, match="lacks y"):
        reuters.load_data(str(p))
    p.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(DatasetFileError, match="not a readable .npz"):
        reuters.load_data(str(p))


def test_cifar100_files_are_checked(isolated, monkeypatch):
    from tapeflow.keras.datasets import cifar100
    c = isolated / "files" / "cifar100" / "cifar-100-python"
    monkeypatch.setenv("TAPEFLOW_DATASETS", str(isolated / "files"))
    (x, y), (xt, yt) = cifar100.load_data()
    assert x.shape == (7, 32, 32, 3) and x.dtype == np.uint8 and y.shape == (7, 1)
    assert y.dtype == np.int64 and xt.shape == (4, 32, 32, 3)
    (c / "test").write_bytes(pickle.dumps({b"data": np.zeros((2, 5), np.uint8),
                                           b"fine_labels": [1, 2]}))
    with pytest.warns(UserWarning, match=r"expected uint8 data of shape \(N, 3072\)"), \
            pytest.raises(DownloadError):
        cifar100.load_data()


def test_sequences_stored_as_integer_arrays(isolated):
    """Archives whose reviews are 1-D int arrays (not lists) load as Keras loads them."""
    from tapeflow.keras.datasets import imdb
    rng = np.random.RandomState(3)
    arrays = {}
    for split, n in (("train", 4), ("test", 3)):
        x = np.empty(n, dtype=object)
        x[:] = [rng.randint(0, 20, rng.randint(2, 9)).astype(np.int32) for _ in range(n)]
        arrays[f"x_{split}"], arrays[f"y_{split}"] = x, rng.randint(0, 2, n)
    p = isolated / "arr.npz"
    np.savez(p, **arrays)
    (x, y), (xt, yt) = imdb.load_data(str(p), num_words=15, seed=0)
    order = np.arange(4)
    rng2 = np.random.RandomState(0)
    rng2.shuffle(order)
    for got, i in zip(x, order):
        want = [1] + [w + 3 if w + 3 < 15 else 2 for w in arrays["x_train"][i]]
        assert [int(v) for v in got] == want
    np.testing.assert_array_equal(y, arrays["y_train"][order])


def test_cifar100_keras3_cache_layout_and_download(isolated, monkeypatch):
    import tarfile

    from tapeflow.keras.datasets import cifar100
    src = isolated / "files" / "cifar100"
    arc = isolated / "cifar-100-python.tar.gz"
    with tarfile.open(arc, "w:gz") as t:
        t.add(src / "cifar-100-python", arcname="cifar-100-python")
    monkeypatch.setattr(cifar100, "ORIGIN", arc.as_uri())
    monkeypatch.setattr(cifar100, "HASH", hashlib.sha256(arc.read_bytes()).hexdigest())
    monkeypatch.setattr(_files, "urlopen", __import__("urllib.request").request.urlopen)
    (x, y), _ = cifar100.load_data("coarse")
    unpacked = isolated / "keras" / "datasets" / "cifar-100-python-target" / "cifar-100-python"
    assert (unpacked / "train").exists() and x.shape == (7, 32, 32, 3)  # where Keras 3 puts it
    assert (y < 20).all()

    def offline(url, *a, **k):
        raise urllib.error.URLError("offline")

    monkeypatch.setattr(_files, "urlopen", offline)  # found in the cache from now on
    (x2, _), _ = cifar100.load_data("coarse")
    np.testing.assert_array_equal(x, x2)
