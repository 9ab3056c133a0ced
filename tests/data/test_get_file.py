"""keras.utils.get_file against a local HTTP server (Python's http.server): Keras 3.15's
signature and cache names, checksums, atomic and offline-friendly caching, and extraction that
refuses paths leaving its folder."""
import hashlib
import http.server
import inspect
import io
import os
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest

import tapeflow as tf
from tapeflow.keras.datasets import DatasetFileError, DownloadError, _files

# Keras 3.15's keras.utils.get_file parameters, in order, with their defaults
KERAS_SIGNATURE = [("fname", None), ("origin", None), ("untar", False), ("md5_hash", None),
                   ("file_hash", None), ("cache_subdir", "datasets"),
                   ("hash_algorithm", "auto"), ("extract", False), ("archive_format", "auto"),
                   ("cache_dir", None), ("force_download", False)]


@pytest.fixture
def server(tmp_path, monkeypatch):
    """Serves ``tmp/www`` on localhost; ``hits`` counts the requests."""
    monkeypatch.setattr(_files, "urlopen", __import__("urllib.request").request.urlopen)
    www = tmp_path / "www"
    www.mkdir()
    hits = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(www), **k)

        def log_message(self, *a):
            pass

        def do_GET(self):
            hits.append(self.path)
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    yield www, base, hits
    httpd.shutdown()
    httpd.server_close()


def _tar(path, members):
    with tarfile.open(path, "w:gz") as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))


def test_signature_matches_keras():
    sig = inspect.signature(tf.keras.utils.get_file)
    assert [(p.name, p.default) for p in sig.parameters.values()] == KERAS_SIGNATURE
    assert tf.keras.utils.get_file.__doc__


def test_download_verify_and_cache(server, tmp_path, capsys):
    www, base, hits = server
    data = os.urandom(70_000)
    (www / "blob.bin").write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    cache = str(tmp_path / "cache")
    p = tf.keras.utils.get_file("blob.bin", base + "blob.bin", file_hash=sha, cache_dir=cache)
    assert p == os.path.join(cache, "datasets", "blob.bin") and Path(p).read_bytes() == data
    assert "Downloading data from " + base + "blob.bin" in capsys.readouterr().err
    # cached and verified: no second request, even with the server's file gone
    (www / "blob.bin").unlink()
    assert tf.keras.utils.get_file("blob.bin", base + "blob.bin", file_hash=sha,
                                   cache_dir=cache) == p
    assert hits == ["/blob.bin"]
    # md5 (by length or md5_hash=), fname from the URL, another cache_subdir
    (www / "m.txt").write_bytes(b"abc")
    md5 = hashlib.md5(b"abc").hexdigest()
    q = tf.keras.utils.get_file(origin=base + "m.txt", md5_hash=md5, cache_dir=cache,
                                cache_subdir="sub")
    assert q == os.path.join(cache, "sub", "m.txt")
    assert tf.keras.utils.get_file(origin=base + "m.txt", file_hash=md5, cache_dir=cache,
                                   cache_subdir="sub") == q


def test_stale_cache_is_refetched_and_force_download(server, tmp_path, capsys):
    www, base, hits = server
    (www / "f.bin").write_bytes(b"new")
    cache = tmp_path / "c" / "datasets"
    cache.mkdir(parents=True)
    (cache / "f.bin").write_bytes(b"old")
    sha = hashlib.sha256(b"new").hexdigest()
    tf.keras.utils.get_file("f.bin", base + "f.bin", file_hash=sha, cache_dir=str(tmp_path / "c"))
    assert (cache / "f.bin").read_bytes() == b"new"
    assert "does not match" in capsys.readouterr().err
    (www / "f.bin").write_bytes(b"newer")
    tf.keras.utils.get_file("f.bin", base + "f.bin", cache_dir=str(tmp_path / "c"))
    assert (cache / "f.bin").read_bytes() == b"new"  # no hash, cached: kept
    tf.keras.utils.get_file("f.bin", base + "f.bin", cache_dir=str(tmp_path / "c"),
                            force_download=True)
    assert (cache / "f.bin").read_bytes() == b"newer" and len(hits) == 2


def test_failures_leave_the_cache_untouched(server, tmp_path):
    www, base, _ = server
    cache = tmp_path / "c" / "datasets"
    cache.mkdir(parents=True)
    (cache / "f.bin").write_bytes(b"kept")
    (www / "f.bin").write_bytes(b"served")
    with pytest.raises(DatasetFileError, match="Incomplete or corrupted file detected"):
        tf.keras.utils.get_file("f.bin", base + "f.bin", file_hash="0" * 64,
                                cache_dir=str(tmp_path / "c"))
    with pytest.raises(DownloadError, match="URL fetch failure on .*missing.bin"):
        tf.keras.utils.get_file("missing.bin", base + "missing.bin",
                                cache_dir=str(tmp_path / "c"))
    assert sorted(p.name for p in cache.iterdir()) == ["f.bin"]  # no temporaries, no partials
    assert (cache / "f.bin").read_bytes() == b"kept"


def test_argument_errors(tmp_path):
    with pytest.raises(ValueError, match='specify the "origin" argument'):
        tf.keras.utils.get_file("x")
    with pytest.raises(ValueError, match="Paths are no longer accepted"):
        tf.keras.utils.get_file(os.path.join("a", "b.bin"), "http://127.0.0.1:9/b.bin",
                                cache_dir=str(tmp_path))
    with pytest.raises(ValueError, match="Can't parse the file name"):
        tf.keras.utils.get_file(origin="http://127.0.0.1:9/", cache_dir=str(tmp_path))


def test_extract_names_as_keras(server, tmp_path):
    www, base, _ = server
    _tar(www / "pack.tar.gz", {"pack/a.txt": b"a", "pack/d/b.txt": b"b"})
    with zipfile.ZipFile(www / "z.zip", "w") as z:
        z.writestr("top/c.txt", "c")
    cache = str(tmp_path / "c")
    d = os.path.join(cache, "datasets")
    out = tf.keras.utils.get_file("pack.tar.gz", base + "pack.tar.gz", extract=True,
                                  cache_dir=cache)
    assert out == os.path.join(d, "pack_extracted")
    assert Path(out, "pack", "d", "b.txt").read_text() == "b"
    out = tf.keras.utils.get_file("pk", base + "pack.tar.gz", untar=True, cache_dir=cache)
    assert out == os.path.join(d, "pk") and os.path.isfile(os.path.join(d, "pk_archive"))
    assert Path(out, "pack", "a.txt").read_text() == "a"
    out = tf.keras.utils.get_file(origin=base + "z.zip", extract=True, cache_dir=cache)
    assert out == os.path.join(d, "z.zip") and Path(out, "top", "c.txt").read_text() == "c"
    # a second call finds the folder: nothing fetched or unpacked again
    Path(out, "top", "c.txt").write_text("edited")
    tf.keras.utils.get_file(origin=base + "z.zip", extract=True, cache_dir=cache)
    assert Path(out, "top", "c.txt").read_text() == "edited"
    with pytest.warns(UserWarning, match="Could not extract archive"):
        tf.keras.utils.get_file("zz", base + "z.zip", extract=True, archive_format="tar",
                                cache_dir=cache)


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink", "zip"])
def test_extraction_refuses_paths_leaving_the_folder(server, tmp_path, kind):
    www, base, _ = server
    if kind == "zip":
        name = "evil.zip"
        with zipfile.ZipFile(www / name, "w") as z:
            z.writestr("ok.txt", "fine")
            z.writestr("../../escaped.txt", "x")
    else:
        name = "evil.tar.gz"
        with tarfile.open(www / name, "w:gz") as t:
            ok = tarfile.TarInfo("ok.txt")
            ok.size = 4
            t.addfile(ok, io.BytesIO(b"fine"))
            if kind == "symlink":
                info = tarfile.TarInfo("link")
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
                t.addfile(info)
            else:
                path = "../../escaped.txt" if kind == "dotdot" else str(tmp_path / "escaped.txt")
                info = tarfile.TarInfo(path)
                info.size = 1
                t.addfile(info, io.BytesIO(b"x"))
    cache = tmp_path / "c"
    with pytest.raises(DatasetFileError, match="refusing to extract"):
        tf.keras.utils.get_file(name, base + name, extract=True, cache_dir=str(cache))
    assert not (tmp_path / "escaped.txt").exists()
    assert not (cache / "escaped.txt").exists()
    assert not (cache / "datasets" / "evil_extracted").exists()  # no half-unpacked folder
    leftovers = [p.name for p in (cache / "datasets").iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_offline_with_a_cached_copy(tmp_path, monkeypatch):
    def offline(url, *a, **k):
        raise __import__("urllib.error").error.URLError("no network")

    monkeypatch.setattr(_files, "urlopen", offline)
    cache = tmp_path / "c" / "datasets"
    cache.mkdir(parents=True)
    (cache / "f.bin").write_bytes(b"data")
    sha = hashlib.sha256(b"data").hexdigest()
    assert tf.keras.utils.get_file("f.bin", "https://example.invalid/f.bin", file_hash=sha,
                                   cache_dir=str(tmp_path / "c")) == str(cache / "f.bin")
    with pytest.raises(DownloadError, match="no network"):
        tf.keras.utils.get_file("g.bin", "https://example.invalid/g.bin",
                                cache_dir=str(tmp_path / "c"))
