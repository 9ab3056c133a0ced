"""Loading the MNIST-layout datasets (four IDX files, or Keras's ``mnist.npz``) from the first
place that has them, else from the official mirror."""
import os
import sys
import warnings

from ...backend import host as np
from . import _files
from ._idx import DatasetFileError, read_images_labels

IDX_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def _find(directory, fname):
    """``fname`` in ``directory``, or its uncompressed twin (without ``.gz``)."""
    for cand in (fname, fname[:-3]):
        p = os.path.join(directory, cand)
        if os.path.isfile(p):
            return p
    return None


def read_idx_dir(directory, known_hashes=None):
    """``(x_train, y_train), (x_test, y_test)`` from a folder with the four IDX files, each
    checked against a ``SHA256SUMS`` next to it or the official digest when one is known."""
    paths = []
    for f in IDX_FILES:
        p = _find(directory, f)
        if p is None:
            raise DatasetFileError(f"{directory}: missing {f}")
        paths.append(p)
    sums = _files.manifest_hashes(directory)
    for p in paths:
        name = os.path.basename(p)
        expected = sums.get(name) or (known_hashes or {}).get(name)
        if expected:
            _files.check_hash(p, expected, "dataset file")
    train = read_images_labels(paths[0], paths[1])
    test = read_images_labels(paths[2], paths[3])
    return train, test


def read_npz(path):
    """``(x_train, y_train), (x_test, y_test)`` from a Keras-style ``.npz``."""
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in ("x_train", "y_train", "x_test", "y_test") if k not in z]
            if missing:
                raise DatasetFileError(f"{path}: not a dataset archive: it lacks "
                                       f"{', '.join(missing)} (has {', '.join(z.files)})")
            arrays = {k: z[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    except DatasetFileError:
        raise
    except Exception as e:  # zipfile.BadZipFile, EOFError, ValueError, OSError...
        raise DatasetFileError(f"{path}: not a readable .npz archive (truncated or corrupt: "
                               f"{type(e).__name__}: {e})") from None
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.shape[:1] != y.shape[:1]:
            raise DatasetFileError(f"{path}: mismatched image/label counts: x_{split} has "
                                   f"{x.shape[0] if x.ndim else 0} images but y_{split} has "
                                   f"{y.shape[0] if y.ndim else 0} labels")
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _complete(directory):
    return all(_find(directory, f) for f in IDX_FILES)


def _partial(directory):
    return [f for f in IDX_FILES if _find(directory, f)]


def warn(message):
    """A ``UserWarning`` attributed to the first caller outside this package (the line that
    called ``load_data``)."""
    here = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(0), 1
    while frame is not None and os.path.dirname(os.path.abspath(
            frame.f_code.co_filename)) == here:
        frame, level = frame.f_back, level + 1
    warnings.warn(message, UserWarning, stacklevel=level)


def idx_accepts():
    return (f"the four IDX files {', '.join(IDX_FILES)} (or the same names without .gz)")


class Search:
    """The local places a loader looks in, in order: what each accepts and what was there.

    ``look`` runs a reader for one place; a file there that fails its checksum or cannot be
    read is reported as a warning and the search goes on. ``failed`` is the error that lists
    every place searched, then the download, then how to fix it."""

    def __init__(self, name):
        self.name = name
        self.lines = []

    def look(self, location, how, accepts, read):
        """``read()`` gives the data, or a short note (a str) saying why there is none."""
        try:
            got = read()
        except DatasetFileError as e:
            warn(f"{self.name}: skipping a local copy that fails verification: {e}; "
                 "looking in the other places")
            reason = "checksum mismatch" if isinstance(e, _files.ChecksumMismatch) else \
                "unreadable"
            got = f"{reason}, skipped (see the warning)"
        if isinstance(got, str):
            self.lines.append(f"{location} ({how}), for {accepts}: {got}")
            return None
        return got

    def look_idx(self, directory, how, known_hashes=None):
        def read():
            if not os.path.isdir(directory):
                return "no such folder"
            got = _partial(directory)
            if len(got) < len(IDX_FILES):
                return f"only {', '.join(got)}" if got else "not there"
            return read_idx_dir(directory, known_hashes)

        return self.look(os.path.join(directory, ""), how, idx_accepts(), read)

    def failed(self, error, origin, dest, fix):
        """The ``DownloadError`` to raise when no place had the data and ``error`` (a
        ``DownloadError``) ended the download of ``origin`` into ``dest``."""
        lines = self.lines + [f"{origin} (download into {dest}): "
                              f"{error.reason or error}"]
        listing = "\n".join(f"  {i}. {line}" for i, line in enumerate(lines, 1))
        return _files.DownloadError(
            f"{self.name}: no usable local copy, and the download failed. Searched, in "
            f"order:\n{listing}\nTo fix: {fix}, or run once with network access.")


def idx_fix(name):
    return (f"put the four IDX files into DIR/{name}/ and set TAPEFLOW_DATASETS=DIR (or into "
            "one of the folders above)")


def load_idx_dataset(name, keras_subdir, origin_base, known_hashes, path=None):
    """The four-IDX-file datasets (Fashion-MNIST's layout): local copies first, then download."""
    if path is not None:
        return read_idx_dir(os.path.expanduser(path), known_hashes)
    search = Search(name)
    for directory, how in _files.search_dirs(name, keras_subdir):
        found = search.look_idx(directory, how, known_hashes)
        if found is not None:
            return found
    subdir = os.path.join("datasets", keras_subdir)
    paths = []
    for f in IDX_FILES:
        try:
            paths.append(_files.get_file(f, origin_base + f, file_hash=known_hashes.get(f),
                                         cache_subdir=subdir))
        except _files.DownloadError as e:
            raise search.failed(e, origin_base + f, os.path.join(_files.cache_dir(), keras_subdir,
                                                                 f), idx_fix(name)) from None
    return read_idx_dir(os.path.dirname(paths[0]), known_hashes)


def _read_verified(fpath, expected, read):
    if not os.path.isfile(fpath):
        return "not there"
    if expected:
        _files.check_hash(fpath, expected, "dataset file")
    return read(fpath)


def load_file(name, path, default, origin, file_hash, read):
    """``read(local path)`` of the one-file dataset ``name`` (``default`` is its official file
    name, ``file_hash`` the official digest).

    ``path`` is Keras's: a file name in the Keras cache; an absolute or existing path is read
    directly (no checksum: the caller named it). Otherwise the search goes through
    ``$TAPEFLOW_DATASETS/<name>/``, the project's ``shared/datasets/<name>/``, the Keras cache
    and ``/usr/share/datasets/<name>/`` (each copy of the official file is checked against
    ``file_hash``; one that fails is skipped with a warning), then downloads ``origin`` with
    ``get_file`` (verified, atomic) into the Keras cache.
    """
    p = os.path.expanduser(os.fspath(path))
    if os.path.isabs(p) or (p != default and os.path.exists(p)):
        if os.path.isfile(p):
            return read(p)
        if os.path.isabs(p) and os.path.exists(p):
            raise DatasetFileError(f"{p}: not a file")
    expected = file_hash if p == default else None
    search = Search(name)
    cached = os.path.join(_files.cache_dir(), p)
    accepts = os.path.basename(p) + (f" with {_files._algorithm(expected)} {expected}"
                                     if expected else "")
    for directory, how in _files.search_dirs(name, ""):
        fpath = cached if how == _files.KERAS_CACHE else os.path.join(directory,
                                                                       os.path.basename(p))
        found = search.look(fpath, how, accepts,
                            lambda f=fpath: _read_verified(f, expected, read))
        if found is not None:
            return found
    try:  # a cached file still here failed verification: fetch a fresh one
        fpath = _files.get_file(p, origin, file_hash=expected,
                                force_download=os.path.exists(cached))
    except _files.DownloadError as e:
        raise search.failed(e, origin, cached, f"put {os.path.basename(p)} into DIR/{name}/ "
                            f"and set TAPEFLOW_DATASETS=DIR, or put it at {cached}") from None
    return read(fpath)
