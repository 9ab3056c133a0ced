"""``tf.io.gfile`` on the local file system: results, quirks and error types as TensorFlow
2.21 gives them (observed with TF itself; paths are this test's temporary folder)."""
import os
import pickle

import pytest

import tapeflow as tf

g = tf.io.gfile


def test_public_names_are_tfs():
    assert {n for n in dir(g) if not n.startswith("_")} == {
        "GFile", "copy", "exists", "get_registered_schemes", "glob", "isdir", "join", "listdir",
        "makedirs", "mkdir", "remove", "rename", "rmtree", "stat", "walk"}


@pytest.fixture
def text(tmp_path):
    p = str(tmp_path / "a.txt")
    with g.GFile(p, "w") as f:
        assert f.write("line1\nline2\n") is None
    return p


def test_reading(text):
    assert g.GFile(text).read() == "line1\nline2\n"
    assert g.GFile(text, "rb").read() == b"line1\nline2\n"
    assert g.GFile(text).readlines() == ["line1\n", "line2\n"]
    assert list(g.GFile(text)) == ["line1\n", "line2\n"]
    f = g.GFile(text)
    assert (f.readline(), f.readline(), f.readline()) == ("line1\n", "line2\n", "")
    f = g.GFile(text)
    assert (f.read(3), f.tell(), f.seek(1), f.read(2), f.tell()) == ("lin", 3, None, "in", 3)
    f = g.GFile(text)
    f.seek(0, 2)
    assert f.tell() == 12 and f.size() == 12 and f.seekable()
    f.seek(position=2)
    assert f.read() == "ne1\nline2\n"
    assert g.GFile(text, "rb").mode == "rb" and g.GFile(text).name == text


def test_writing(tmp_path, text):
    with g.GFile(text, "a") as f:
        f.write("z")
    assert g.GFile(text).read() == "line1\nline2\nz"
    p = str(tmp_path / "q")
    f = g.GFile(p, "w")
    f.write(b"bytes ")  # text and binary modes take both
    f.write("and text")
    assert f.size() == 0, "size() is the size on disk: unflushed writes are not counted"
    f.flush()
    assert f.size() == 14
    f.close()
    f.close()
    assert g.GFile(p, "rb").read() == b"bytes and text"
    with g.GFile(p, "w+") as f:
        f.write("new")
        f.seek(0)
        assert f.read() == "new"


def test_the_file_opens_on_first_use(tmp_path):
    p = str(tmp_path / "missing")
    f = g.GFile(p)  # no error yet, as in TF
    with pytest.raises(tf.errors.NotFoundError, match="missing; No such file or directory"):
        f.read()
    w = g.GFile(str(tmp_path / "w.txt"), "w")
    with pytest.raises(tf.errors.PermissionDeniedError, match="isn't open for reading"):
        w.read()
    assert not g.exists(str(tmp_path / "w.txt"))  # never written: never created


def test_mode_and_direction_errors(text):
    with pytest.raises(tf.errors.InvalidArgumentError, match="mode is not 'r' or 'w'"):
        g.GFile(text, "x")
    with pytest.raises(tf.errors.PermissionDeniedError, match="isn't open for writing"):
        g.GFile(text).write("x")


def test_folders(tmp_path, text):
    d = str(tmp_path)
    assert g.exists(text) and not g.exists(text + "x") and g.exists(text.encode())
    assert (g.isdir(d), g.isdir(text), g.isdir(text + "x")) == (True, False, False)
    assert g.mkdir(os.path.join(d, "m")) is None
    g.mkdir(os.path.join(d, "m"))  # an existing folder: no error, as in TF
    with pytest.raises(tf.errors.NotFoundError, match="n2; No such file or directory"):
        g.mkdir(os.path.join(d, "n1", "n2"))
    g.makedirs(os.path.join(d, "x", "y", "z"))
    g.makedirs(os.path.join(d, "x", "y", "z"))
    with pytest.raises(tf.errors.FailedPreconditionError, match="a.txt is not a directory"):
        g.makedirs(text)
    assert sorted(g.listdir(d)) == ["a.txt", "m", "x"]
    for bad in (os.path.join(d, "nope"), text):
        with pytest.raises(tf.errors.NotFoundError, match="Could not find directory"):
            g.listdir(bad)
    walked = {t: (sorted(s), sorted(f)) for t, s, f in g.walk(d)}
    assert walked == {d: (["m", "x"], ["a.txt"]), os.path.join(d, "m"): ([], []),
                      os.path.join(d, "x"): (["y"], []), os.path.join(d, "x", "y"): (["z"], []),
                      os.path.join(d, "x", "y", "z"): ([], [])}
    up = [t for t, _, _ in g.walk(d, topdown=False)]
    assert up[-1] == d and up.index(os.path.join(d, "x", "y", "z")) < up.index(
        os.path.join(d, "x"))
    assert list(g.walk(os.path.join(d, "nope"))) == []
    errors = []
    assert list(g.walk(os.path.join(d, "nope"), onerror=errors.append)) == []
    assert isinstance(errors[0], tf.errors.NotFoundError)
    with pytest.raises(tf.errors.FailedPreconditionError, match="m; Is a directory"):
        g.remove(os.path.join(d, "m"))
    g.rmtree(os.path.join(d, "x"))
    assert not g.exists(os.path.join(d, "x"))
    with pytest.raises(tf.errors.NotFoundError, match="x not found"):
        g.rmtree(os.path.join(d, "x"))


def test_copy_rename_remove(tmp_path, text):
    b, c = str(tmp_path / "b.txt"), str(tmp_path / "c.txt")
    g.copy(text, b)
    with pytest.raises(tf.errors.AlreadyExistsError, match="file already exists"):
        g.copy(text, b)
    g.copy(text, b, overwrite=True)
    with pytest.raises(tf.errors.NotFoundError, match="No such file or directory"):
        g.copy(text + "x", c)
    g.rename(b, c)
    assert not g.exists(b) and g.GFile(c).read() == "line1\nline2\n"
    with pytest.raises(tf.errors.AlreadyExistsError):
        g.rename(c, text)
    g.rename(c, text, overwrite=True)
    with pytest.raises(tf.errors.NotFoundError):
        g.rename(text + "x", text + "y")
    g.remove(text)
    with pytest.raises(tf.errors.NotFoundError, match="a.txt; No such file or directory"):
        g.remove(text)


def test_glob_stat_join(tmp_path, text):
    d = str(tmp_path)
    g.mkdir(os.path.join(d, "m"))
    assert sorted(g.glob(os.path.join(d, "*"))) == [text, os.path.join(d, "m")]
    assert g.glob([os.path.join(d, "*.txt"), os.path.join(d, "m")]) == [
        text, os.path.join(d, "m")]
    assert g.glob(os.path.join(d, "*.zzz")) == [] == g.glob(os.path.join(d, "nope", "*"))
    s = g.stat(text)
    assert (s.length, s.is_directory, type(s).__name__) == (12, False, "FileStatistics")
    assert isinstance(s.mtime_nsec, int) and s.mtime_nsec == os.stat(text).st_mtime_ns
    assert g.stat(d).is_directory
    with pytest.raises(tf.errors.NotFoundError):
        g.stat(text + "x")
    assert g.join("a", "b", "c") == "a/b/c" and g.join("a/", "/b") == "/b"
    assert g.join("gs://bucket", "x") == "gs://bucket/x"


def test_schemes(tmp_path, text):
    assert g.get_registered_schemes() == ["", "file"]
    assert g.exists("file://" + text) and g.GFile("file://" + text).read().startswith("line1")
    with pytest.raises(tf.errors.UnimplementedError, match="scheme 'gs' not implemented"):
        g.exists("gs://bucket/x")
    assert g.exists(tmp_path / "a.txt")  # os.PathLike


def test_errors_pickle_and_keep_tfs_codes(tmp_path):
    with pytest.raises(tf.errors.NotFoundError) as e:
        g.GFile(str(tmp_path / "nope")).read()
    back = pickle.loads(pickle.dumps(e.value))
    assert back.error_code == tf.errors.NOT_FOUND and str(back) == str(e.value)
