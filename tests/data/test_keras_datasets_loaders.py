"""keras.datasets loaders and get_file on generated fixtures (every error path), plus the real
files from ../shared/datasets when they are there."""
import gzip
import hashlib
import io
import os
import pickle
import re
import struct
import subprocess
import sys
import tarfile
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from tapeflow.keras.datasets import (
    DatasetFileError,
    DownloadError,
    _files,
    cifar10,
    fashion_mnist,
    get_file,
    mnist,
)

IDX = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
       "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def idx_bytes(arr):
    arr = np.asarray(arr, np.uint8)
    return struct.pack(">BBBB", 0, 0, 8, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape) + \
        arr.tobytes()


def write_gz(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data))
    return path


def make_idx_set(directory, n_train=12, n_test=5, seed=0):
    rng = np.random.default_rng(seed)
    xs = rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8)
    ys = rng.integers(0, 10, n_train).astype(np.uint8)
    xt = rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8)
    yt = rng.integers(0, 10, n_test).astype(np.uint8)
    for name, arr in zip(IDX, (xs, ys, xt, yt)):
        write_gz(Path(directory) / name, idx_bytes(arr))
    return (xs, ys), (xt, yt)


def sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No real cache, no shared folder, no system folder, no network."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.delenv("TAPEFLOW_DATASETS", raising=False)
    monkeypatch.setattr(_files, "project_datasets_dir", lambda: None)
    monkeypatch.setattr(_files, "SYSTEM_DIR", str(tmp_path / "system"))
    monkeypatch.setattr(fashion_mnist, "HASHES", {})

    def offline(url, *a, **k):
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setattr(_files, "urlopen", offline)
    return tmp_path


def check(result, expected):
    (x, y), (xt, yt) = result
    (ex, ey), (ext, eyt) = expected
    for got, want in ((x, ex), (y, ey), (xt, ext), (yt, eyt)):
        assert got.dtype == np.uint8 and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


# -- where files are found ----------------------------------------------------------------------
def test_explicit_folder_and_plain_idx(isolated):
    expected = make_idx_set(isolated / "mine")
    check(fashion_mnist.load_data(path=str(isolated / "mine")), expected)
    check(mnist.load_data(path=str(isolated / "mine")), expected)
    # uncompressed IDX files work too
    plain = isolated / "plain"
    plain.mkdir()
    for name in IDX:
        (plain / name[:-3]).write_bytes(gzip.decompress((isolated / "mine" / name).read_bytes()))
    check(fashion_mnist.load_data(path=str(plain)), expected)


def test_mnist_npz_in_cache_verified(isolated, monkeypatch):
    cache = isolated / "keras" / "datasets"
    cache.mkdir(parents=True)
    (xs, ys), (xt, yt) = make_idx_set(isolated / "unused")
    np.savez(cache / "mnist.npz", x_train=xs, y_train=ys, x_test=xt, y_test=yt)
    monkeypatch.setattr(mnist, "NPZ_HASH", sha(cache / "mnist.npz"))
    check(mnist.load_data(), ((xs, ys), (xt, yt)))
    # explicit absolute path, read as given
    check(mnist.load_data(str(cache / "mnist.npz")), ((xs, ys), (xt, yt)))
    # a cached file that fails the checksum is skipped with a warning and fetched again;
    # offline, that fails loudly
    monkeypatch.setattr(mnist, "NPZ_HASH", "0" * 64)
    with pytest.warns(UserWarning, match="checksum mismatch"), \
            pytest.raises(DownloadError, match="To fix: put the four IDX files"):
        mnist.load_data()
    assert (cache / "mnist.npz").exists()  # the file was not deleted or replaced


def test_mnist_idx_via_env(isolated, monkeypatch):
    expected = make_idx_set(isolated / "env" / "mnist")
    monkeypatch.setenv("TAPEFLOW_DATASETS", str(isolated / "env"))
    check(mnist.load_data(), expected)


def test_no_network_says_where_to_put_files(isolated):
    make_idx_set(isolated / "partial")
    with pytest.raises(DownloadError) as e:
        fashion_mnist.load_data()
    msg = str(e.value)
    assert "no network" in msg and "TAPEFLOW_DATASETS" in msg
    assert str(isolated / "keras" / "datasets" / "fashion-mnist") in msg
    with pytest.raises(DownloadError, match="mnist.npz"):
        mnist.load_data()
    with pytest.raises(DownloadError, match="cifar-10-batches-py"):
        cifar10.load_data()
    assert not list((isolated / "keras").rglob("*.part"))


# -- the search order, warnings for bad local files, and the not-found message ---------------
def _npz(path, seed=0):
    (xs, ys), (xt, yt) = make_idx_set(path.parent / ("src-" + path.stem + str(seed)), seed=seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, x_train=xs, y_train=ys, x_test=xt, y_test=yt)
    return (xs, ys), (xt, yt)


@pytest.fixture
def recorder(monkeypatch):
    """The downloader, replaced by one that records each URL and fails (no network)."""
    calls = []

    def offline(url, *a, **k):
        calls.append(url)
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setattr(_files, "urlopen", offline)
    return calls


def test_search_order_explicit_folder_first(isolated, monkeypatch, recorder):
    """$TAPEFLOW_DATASETS (where --data-dir goes) first, then the project's shared/datasets,
    the Keras cache, the system folder: the order the docstrings and --help give."""
    env = make_idx_set(isolated / "env" / "fashion-mnist", seed=1)
    shared = make_idx_set(isolated / "shared" / "fashion-mnist", seed=2)
    cache = make_idx_set(isolated / "keras" / "datasets" / "fashion-mnist", seed=4)
    system = make_idx_set(isolated / "system" / "fashion-mnist", seed=3)
    monkeypatch.setattr(_files, "project_datasets_dir", lambda: str(isolated / "shared"))
    monkeypatch.setenv("TAPEFLOW_DATASETS", str(isolated / "env"))
    check(fashion_mnist.load_data(), env)
    monkeypatch.delenv("TAPEFLOW_DATASETS")
    check(fashion_mnist.load_data(), shared)
    monkeypatch.setattr(_files, "project_datasets_dir", lambda: None)
    check(fashion_mnist.load_data(), cache)
    for name in IDX:
        os.remove(isolated / "keras" / "datasets" / "fashion-mnist" / name)
    check(fashion_mnist.load_data(), system)
    assert recorder == []
    assert [how for _, how in _files.search_dirs("x", "x")] == [
        "the Keras cache", "the system data directory"]


def test_mnist_explicit_folder_beats_a_valid_cached_npz(isolated, monkeypatch, recorder):
    cache = isolated / "keras" / "datasets" / "mnist.npz"
    _npz(cache, seed=5)
    monkeypatch.setattr(mnist, "NPZ_HASH", sha(cache))
    env = make_idx_set(isolated / "env" / "mnist", seed=6)
    monkeypatch.setenv("TAPEFLOW_DATASETS", str(isolated / "env"))
    check(mnist.load_data(), env)
    assert recorder == []


def test_mnist_bad_cached_npz_warns_and_the_search_goes_on(isolated, monkeypatch, recorder):
    cache = isolated / "keras" / "datasets" / "mnist.npz"
    _npz(cache)
    actual = sha(cache)
    expected = "ab" * 32
    monkeypatch.setattr(mnist, "NPZ_HASH", expected)
    system = make_idx_set(isolated / "system" / "mnist", seed=7)
    with pytest.warns(UserWarning) as w:
        check(mnist.load_data(), system)  # the folder after the cache
    assert len(w) == 1
    msg = str(w[0].message)
    assert str(cache) in msg and expected in msg and actual in msg
    assert w[0].filename == __file__  # points at the caller, not the loader's internals
    assert recorder == []
    assert cache.read_bytes() and sha(cache) == actual  # left alone


def test_mnist_bad_cached_npz_does_not_block_data_dir(isolated, monkeypatch, recorder):
    """The old complaint: a cached mnist.npz that fails its checksum kept --data-dir's files
    from being read, and the message then pointed at the folder holding them."""
    cache = isolated / "keras" / "datasets" / "mnist.npz"
    _npz(cache)
    monkeypatch.setattr(mnist, "NPZ_HASH", "ab" * 32)
    env = make_idx_set(isolated / "env" / "mnist", seed=8)
    monkeypatch.setenv("TAPEFLOW_DATASETS", str(isolated / "env"))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the cache is never reached
        check(mnist.load_data(), env)
    assert recorder == []


def test_bad_idx_files_warn_with_hashes_and_the_search_goes_on(isolated, monkeypatch, recorder):
    # shared: a SHA256SUMS that one file fails; cache: a corrupt gzip; system: good files
    shared = isolated / "shared"
    d = shared / "fashion-mnist"
    make_idx_set(d)
    want = sha(d / IDX[1])
    (shared / "SHA256SUMS").write_text("".join(f"{sha(d / n)}  fashion-mnist/{n}\n"
                                               for n in IDX))
    write_gz(d / IDX[1], idx_bytes(np.ones(12, np.uint8)))
    got = sha(d / IDX[1])
    monkeypatch.setattr(_files, "project_datasets_dir", lambda: str(shared))
    c = isolated / "keras" / "datasets" / "fashion-mnist"
    make_idx_set(c)
    (c / IDX[2]).write_bytes(b"\x1f\x8b" + bytes(range(100)))
    system = make_idx_set(isolated / "system" / "fashion-mnist", seed=9)
    with pytest.warns(UserWarning) as w:
        check(fashion_mnist.load_data(), system)
    msgs = [str(x.message) for x in w]
    assert len(msgs) == 2
    assert str(d / IDX[1]) in msgs[0] and want in msgs[0] and got in msgs[0]
    assert str(c / IDX[2]) in msgs[1] and "corrupt gzip" in msgs[1]
    assert recorder == []


def _places(msg):
    return re.findall(r"^  \d+\. (\S+) \((.*?)\)", msg, re.M)


def test_not_found_message_lists_the_places_searched_in_order(isolated, monkeypatch, recorder):
    monkeypatch.setenv("TAPEFLOW_DATASETS", os.pathsep.join([str(isolated / "a"),
                                                             str(isolated / "b")]))
    monkeypatch.setattr(_files, "project_datasets_dir", lambda: str(isolated / "shared"))
    make_idx_set(isolated / "b" / "mnist")
    os.remove(isolated / "b" / "mnist" / IDX[3])
    with pytest.raises(DownloadError) as e:
        mnist.load_data()
    msg = str(e.value)
    cache = isolated / "keras" / "datasets"
    assert _places(msg) == [
        (str(isolated / "a" / "mnist") + os.sep, "$TAPEFLOW_DATASETS"),
        (str(isolated / "b" / "mnist") + os.sep, "$TAPEFLOW_DATASETS"),
        (str(isolated / "shared" / "mnist") + os.sep, "the project's shared/datasets"),
        (str(cache / "mnist.npz"), "the Keras cache"),
        (str(cache / "mnist") + os.sep, "the Keras cache"),
        (str(isolated / "system" / "mnist") + os.sep, "the system data directory"),
        (mnist.ORIGIN, "download into " + str(cache / "mnist.npz")),
    ], msg
    lines = msg.splitlines()
    idx_line = [ln for ln in lines if ln.startswith("  1. ")][0]
    assert all(n in idx_line for n in IDX)
    npz_line = [ln for ln in lines if ln.startswith("  4. ")][0]
    assert "mnist.npz" in npz_line and mnist.NPZ_HASH in npz_line and "IDX" not in npz_line
    assert "only " + ", ".join(IDX[:3]) in [ln for ln in lines if ln.startswith("  2. ")][0]
    assert "no network in this test" in lines[-2] or "no network in this test" in msg
    assert "TAPEFLOW_DATASETS" in msg.split("\n  7.")[1]  # the fix, after the list
    assert str(cache / "mnist") + os.sep + " (the Keras cache), for the four" in msg
    assert recorder == [mnist.ORIGIN]


def test_not_found_message_after_a_bad_cached_file(isolated, monkeypatch, recorder):
    cache = isolated / "keras" / "datasets" / "mnist.npz"
    _npz(cache)
    monkeypatch.setattr(mnist, "NPZ_HASH", "ab" * 32)
    with pytest.warns(UserWarning, match="mnist.npz"), pytest.raises(DownloadError) as e:
        mnist.load_data()
    line = [ln for ln in str(e.value).splitlines() if ln.startswith("  1. ")][0]
    assert str(cache) in line and "checksum mismatch" in line
    assert recorder == [mnist.ORIGIN]
    assert sha(cache) != "ab" * 32 and cache.exists()  # not deleted


def test_not_found_messages_of_fashion_mnist_and_cifar10(isolated, recorder):
    with pytest.raises(DownloadError) as e:
        fashion_mnist.load_data()
    places = _places(str(e.value))
    assert [p for p, _ in places[:2]] == [
        str(isolated / "keras" / "datasets" / "fashion-mnist") + os.sep,
        str(isolated / "system" / "fashion-mnist") + os.sep]
    assert places[2][1].startswith("download into")
    with pytest.raises(DownloadError) as e:
        cifar10.load_data()
    msg = str(e.value)
    places = _places(msg)
    assert [p for p, _ in places[:4]] == [  # where Keras 3 unpacks it, then older Keras
        str(isolated / "keras" / "datasets" / "cifar-10-batches-py-target" /
            "cifar-10-batches-py") + os.sep,
        str(isolated / "keras" / "datasets" / "cifar-10-batches-py") + os.sep,
        str(isolated / "system" / "cifar10") + os.sep,
        str(isolated / "system" / "cifar10" / "cifar-10-batches-py") + os.sep]
    assert places[4][0] == cifar10.ORIGIN
    assert "data_batch_1" in msg.splitlines()[1] and "test_batch" in msg.splitlines()[1]


def test_unreadable_cifar_batches_warn_and_the_search_goes_on(isolated, recorder):
    c = isolated / "keras" / "datasets" / "cifar-10-batches-py"
    make_cifar(c)
    (c / "test_batch").write_bytes(b"garbage")
    make_cifar(isolated / "system" / "cifar10")
    with pytest.warns(UserWarning, match="test_batch"):
        (x, _), _ = cifar10.load_data()
    assert x.shape == (15, 32, 32, 3)
    assert recorder == []


def test_unreadable_cached_npz_under_another_name_warns(isolated, recorder):
    """``load_data(path=NAME)`` is a file name in the Keras cache (Keras's meaning), not
    checked against a hash; an unreadable one is skipped with a warning, then downloaded."""
    bad = isolated / "keras" / "datasets" / "other.npz"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.warns(UserWarning, match=r"other\.npz: not a readable \.npz"), \
            pytest.raises(DownloadError) as e:
        mnist.load_data("other.npz")
    lines = str(e.value).splitlines()
    assert lines[1] == f"  1. {bad} (the Keras cache), for other.npz: unreadable, skipped " \
                       "(see the warning)"
    assert recorder == [mnist.ORIGIN]


# -- bad files -----------------------------------------------------------------------------------
def _broken_set(directory, name, data, raw=False):
    make_idx_set(directory)
    p = directory / name
    p.write_bytes(data if raw else gzip.compress(data))
    return p


@pytest.mark.parametrize("case, match", [
    ("truncated_gzip", "truncated or corrupt gzip"),
    ("corrupt_gzip", "truncated or corrupt gzip"),
    ("wrong_magic", "wrong magic number"),
    ("unknown_type", "unknown IDX element type"),
    ("short_header", "too short for an IDX header"),
    ("truncated_data", "truncated: the header declares shape"),
    ("extra_bytes", "unexpected bytes after"),
    ("wrong_rank", "expected uint8 images of rank 3"),
    ("count_mismatch", "mismatched image/label counts"),
])
def test_idx_errors_name_file_and_problem(isolated, case, match):
    d = isolated / case
    images = np.zeros((12, 28, 28), np.uint8)
    good = idx_bytes(images)
    data, raw, name = None, False, IDX[0]
    if case == "truncated_gzip":
        data, raw = gzip.compress(good)[:-30], True
    elif case == "corrupt_gzip":
        data, raw = b"\x1f\x8b" + bytes(range(200)), True
    elif case == "wrong_magic":
        data = b"\x01\x02" + good[2:]
    elif case == "unknown_type":
        data = good[:2] + b"\x42" + good[3:]
    elif case == "short_header":
        data = b"\x00\x00"
    elif case == "truncated_data":
        data = good[:-100]
    elif case == "extra_bytes":
        data = good + b"\x00" * 7
    elif case == "wrong_rank":
        data = idx_bytes(np.zeros(12, np.uint8))
    elif case == "count_mismatch":
        data, name = idx_bytes(np.zeros(11, np.uint8)), IDX[1]
    p = _broken_set(d, name, data, raw)
    with pytest.raises(DatasetFileError, match=match) as e:
        fashion_mnist.load_data(path=str(d))
    assert p.name in str(e.value)


def test_manifest_and_official_checksums(isolated, monkeypatch):
    d = isolated / "sums" / "fashion-mnist"
    make_idx_set(d)
    lines = [f"{sha(d / n)}  fashion-mnist/{n}" for n in IDX]
    (d.parent / "SHA256SUMS").write_text("\n".join(lines) + "\n")
    fashion_mnist.load_data(path=str(d))  # matches
    write_gz(d / IDX[3], idx_bytes(np.ones(5, np.uint8)))  # still valid IDX, other bytes
    with pytest.raises(DatasetFileError, match=r"t10k-labels.*checksum mismatch"):
        fashion_mnist.load_data(path=str(d))
    # the official digests apply wherever the files are found
    d2 = isolated / "official"
    make_idx_set(d2)
    monkeypatch.setattr(fashion_mnist, "HASHES", {IDX[0]: "f" * 64})
    with pytest.raises(DatasetFileError, match="checksum mismatch"):
        fashion_mnist.load_data(path=str(d2))


def test_npz_errors(isolated):
    p = isolated / "bad.npz"
    p.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DatasetFileError, match="bad.npz.*not a readable .npz"):
        mnist.load_data(str(p))
    np.savez(p, x_train=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(DatasetFileError, match="lacks y_train"):
        mnist.load_data(str(p))
    np.savez(p, x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.zeros(3, np.uint8),
             x_test=np.zeros((1, 28, 28), np.uint8), y_test=np.zeros(1, np.uint8))
    with pytest.raises(DatasetFileError, match="mismatched image/label counts"):
        mnist.load_data(str(p))
    good = io.BytesIO()
    np.savez(good, x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.zeros(2, np.uint8),
             x_test=np.zeros((1, 28, 28), np.uint8), y_test=np.zeros(1, np.uint8))
    p.write_bytes(good.getvalue()[:-40])
    with pytest.raises(DatasetFileError, match="truncated or corrupt"):
        mnist.load_data(str(p))


# -- get_file and downloads -----------------------------------------------------------------------
class FakeResponse(io.BytesIO):
    def __init__(self, data, length=None, fail_after=None):
        super().__init__(data)
        self.headers = {"Content-Length": str(len(data) if length is None else length)}
        self.fail_after = fail_after

    def read(self, n=-1):
        if self.fail_after is not None and self.tell() >= self.fail_after:
            raise ConnectionResetError("connection reset")
        return super().read(n)


def test_get_file_from_file_url_with_hash(tmp_path, monkeypatch):
    monkeypatch.setattr(_files, "urlopen", __import__("urllib.request").request.urlopen)
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(200_000))
    digest = sha(src)
    path = get_file("data.bin", src.as_uri(), file_hash=digest, cache_dir=str(tmp_path / "c"))
    assert path == str(tmp_path / "c" / "datasets" / "data.bin")
    assert sha(path) == digest
    # found in the cache: no download (the origin is gone)
    src.unlink()
    assert get_file("data.bin", src.as_uri(), file_hash=digest,
                    cache_dir=str(tmp_path / "c")) == path
    # md5 digests work too, and fname defaults to the URL's last part
    src.write_bytes(b"abc")
    p2 = get_file(origin=src.as_uri(), md5_hash=hashlib.md5(b"abc").hexdigest(),
                  cache_dir=str(tmp_path / "c"), cache_subdir="other")
    assert p2.endswith(os.path.join("other", "src.bin"))


def test_bad_download_never_replaces_the_cache(tmp_path, monkeypatch):
    cache = tmp_path / "c" / "datasets"
    cache.mkdir(parents=True)
    old = cache / "f.bin"
    old.write_bytes(b"old contents")
    good = b"new contents" * 100
    served = {}

    def opener(url):
        return served["response"]

    monkeypatch.setattr(_files, "urlopen", opener)
    for response, err in (
        (FakeResponse(good), DatasetFileError),  # wrong checksum
        (FakeResponse(good[:50], length=len(good)), DownloadError),  # short body
        (FakeResponse(good, fail_after=10), DownloadError),  # connection dropped
    ):
        served["response"] = response
        with pytest.raises(err):
            get_file("f.bin", "https://example.invalid/f.bin", file_hash="a" * 64,
                     cache_dir=str(tmp_path / "c"))
        assert old.read_bytes() == b"old contents"
        assert sorted(p.name for p in cache.iterdir()) == ["f.bin"]  # no temp files left
    served["response"] = FakeResponse(good)
    get_file("f.bin", "https://example.invalid/f.bin",
             file_hash=hashlib.sha256(good).hexdigest(), cache_dir=str(tmp_path / "c"))
    assert old.read_bytes() == good


def test_download_fills_the_keras_cache_for_fashion_mnist(isolated, monkeypatch, capsys):
    src = isolated / "mirror"
    expected = make_idx_set(src)
    monkeypatch.setattr(fashion_mnist, "HASHES", {n: sha(src / n) for n in IDX})
    monkeypatch.setattr(fashion_mnist, "ORIGIN", src.as_uri() + "/")
    monkeypatch.setattr(_files, "urlopen", __import__("urllib.request").request.urlopen)
    check(fashion_mnist.load_data(), expected)
    assert "Downloading data from" in capsys.readouterr().err
    assert all((isolated / "keras" / "datasets" / "fashion-mnist" / n).exists() for n in IDX)


def test_get_file_extract_and_unsafe_archive(tmp_path, monkeypatch):
    monkeypatch.setattr(_files, "urlopen", __import__("urllib.request").request.urlopen)
    arc = tmp_path / "pack.tar.gz"
    with tarfile.open(arc, "w:gz") as t:
        info = tarfile.TarInfo("pack/hello.txt")
        info.size = 5
        t.addfile(info, io.BytesIO(b"hello"))
    out = get_file("pack.tar.gz", arc.as_uri(), extract=True, cache_dir=str(tmp_path / "c"))
    # Keras 3 names the folder after fname up to its first dot and unpacks the archive as is
    assert out == str(tmp_path / "c" / "datasets" / "pack_extracted")
    assert Path(out, "pack", "hello.txt").read_text() == "hello"
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as t:
        info = tarfile.TarInfo("../outside.txt")
        info.size = 1
        t.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(DatasetFileError, match="refusing"):
        get_file("evil.tar.gz", evil.as_uri(), extract=True, cache_dir=str(tmp_path / "c"))
    assert not (tmp_path / "c" / "outside.txt").exists()
    with pytest.raises(ValueError, match="origin"):
        get_file("x")


# -- CIFAR-10 ----------------------------------------------------------------------------------
def make_cifar(directory, per_batch=3):
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    batches = {}
    for name in list(cifar10.TRAIN_BATCHES) + ["test_batch"]:
        data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, per_batch)]
        with open(directory / name, "wb") as f:
            pickle.dump({b"data": data, b"labels": labels, b"batch_label": b"x"}, f, protocol=2)
        batches[name] = (data, labels)
    return batches


def test_cifar10_loader_shapes_and_layout(isolated):
    d = isolated / "keras" / "datasets" / "cifar-10-batches-py"
    batches = make_cifar(d)
    (x, y), (xt, yt) = cifar10.load_data()
    assert x.shape == (15, 32, 32, 3) and y.shape == (15, 1) and x.dtype == y.dtype == np.uint8
    assert xt.shape == (3, 32, 32, 3) and yt.shape == (3, 1)
    data, labels = batches["data_batch_2"]
    np.testing.assert_array_equal(x[3], data[0].reshape(3, 32, 32).transpose(1, 2, 0))
    assert y[3:6, 0].tolist() == labels
    (x2, _), _ = cifar10.load_data(path=str(d))
    np.testing.assert_array_equal(x, x2)


def test_cifar10_errors(isolated, monkeypatch):
    d = isolated / "c10"
    make_cifar(d)
    (d / "data_batch_3").unlink()
    with pytest.raises(DatasetFileError, match="data_batch_3: missing"):
        cifar10.load_data(path=str(d))
    make_cifar(d)
    (d / "test_batch").write_bytes((d / "test_batch").read_bytes()[:100])
    with pytest.raises(DatasetFileError, match="test_batch: not a readable CIFAR batch"):
        cifar10.load_data(path=str(d))
    make_cifar(d)

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    with open(d / "data_batch_1", "wb") as f:
        pickle.dump({b"data": Evil(), b"labels": []}, f)
    with pytest.raises(DatasetFileError, match="refusing to load"):
        cifar10.load_data(path=str(d))
    make_cifar(d)
    with open(d / "data_batch_1", "wb") as f:
        pickle.dump({b"data": np.zeros((2, 3072), np.uint8), b"labels": [1]}, f, protocol=2)
    with pytest.raises(DatasetFileError, match="mismatched image/label counts"):
        cifar10.load_data(path=str(d))


def test_cifar10_download_and_extract(isolated, monkeypatch):
    make_cifar(isolated / "src" / "cifar-10-batches-py")
    arc = isolated / "cifar-10-python.tar.gz"
    with tarfile.open(arc, "w:gz") as t:
        t.add(isolated / "src" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    monkeypatch.setattr(cifar10, "ORIGIN", arc.as_uri())
    monkeypatch.setattr(cifar10, "HASH", sha(arc))
    monkeypatch.setattr(_files, "urlopen", __import__("urllib.request").request.urlopen)
    (x, _), _ = cifar10.load_data()
    assert x.shape == (15, 32, 32, 3)
    assert (isolated / "keras" / "datasets" / "cifar-10-batches-py-target" /
            "cifar-10-batches-py" / "test_batch").exists()  # where Keras 3 unpacks it


# -- import hygiene --------------------------------------------------------------------------------
def test_datasets_package_imports_without_keras_models():
    code = (
        "import sys, types, importlib.util, tapeflow, os\n"
        "k = types.ModuleType('tapeflow.keras')\n"
        "k.__path__ = [os.path.join(os.path.dirname(tapeflow.__file__), 'keras')]\n"
        "sys.modules['tapeflow.keras'] = k\n"
        "import tapeflow.keras.datasets as d\n"
        "d.mnist, d.fashion_mnist, d.cifar10\n"
        "bad = [m for m in sys.modules if m.startswith('tapeflow.keras.')"
        " and not m.startswith('tapeflow.keras.datasets')]\n"
        "assert not bad, bad\n"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root,
                   env={**os.environ, "PYTHONPATH": str(root)})


# -- the real files --------------------------------------------------------------------------------
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


@pytest.fixture
def real(monkeypatch, tmp_path):
    if not (SHARED / "mnist" / IDX[0]).exists():
        pytest.skip(f"the real datasets are not at {SHARED} (../shared/datasets from the repo)")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty-keras-home"))
    monkeypatch.setenv("TAPEFLOW_DATASETS", str(SHARED))
    return SHARED


def test_real_mnist(real):
    (x, y), (xt, yt) = mnist.load_data()
    assert x.shape == (60000, 28, 28) and y.shape == (60000,)
    assert xt.shape == (10000, 28, 28) and yt.shape == (10000,)
    assert x.dtype == y.dtype == xt.dtype == yt.dtype == np.uint8
    assert np.bincount(y).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851,
                                       5949]
    assert yt.max() == 9 and x.max() == 255


def test_real_fashion_mnist_matches_official_digests(real):
    (x, y), (xt, yt) = fashion_mnist.load_data()
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28)
    assert np.bincount(y).tolist() == [6000] * 10 and np.bincount(yt).tolist() == [1000] * 10


def test_idx_gzip_bomb_is_refused_after_its_header(tmp_path):
    """A small .gz whose header declares more than any IDX dataset holds is refused
    before it is decompressed; one with gigabytes after its declared data is read only as
    far as the header says (plus a little, to report what follows)."""
    import gzip

    from tapeflow.keras.datasets import _idx

    huge = tmp_path / "huge-images-idx3-ubyte.gz"
    with gzip.open(huge, "wb") as g:
        g.write(b"\x00\x00\x08\x03" + (100000).to_bytes(4, "big") * 3)
    with pytest.raises(_idx.DatasetFileError, match="more than an IDX dataset file holds"):
        _idx.read_idx(huge)
    tail = tmp_path / "tail-labels-idx1-ubyte.gz"
    with gzip.open(tail, "wb", compresslevel=9) as g:
        g.write(b"\x00\x00\x08\x01" + (10).to_bytes(4, "big") + bytes(10))
        for _ in range(64):  # 256 MiB of zeros after the declared data
            g.write(bytes(4 << 20))
    assert tail.stat().st_size < 2 << 20
    with pytest.raises(_idx.DatasetFileError, match="unexpected bytes after"):
        _idx.read_idx(tail)
