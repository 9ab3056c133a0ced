"""MNIST handwritten digits: 28x28 grey images of the digits 0-9."""
import os

from . import _files
from ._common import Search, idx_fix, read_idx_dir, read_npz

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
NPZ_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def _read_cached(fpath, expected):
    if not os.path.isfile(fpath):
        return "not there"
    if expected:
        _files.check_hash(fpath, expected, "cached file")
    return read_npz(fpath)


def load_data(path="mnist.npz"):
    """``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (60000, 28, 28),
    (60000,), (10000, 28, 28), (10000,).

    ``path`` is Keras's: a file name inside the Keras cache (``$KERAS_HOME/datasets``); an
    absolute or existing path is read directly (a ``.npz`` or a folder with the four IDX files).
    Otherwise the search goes, in order, through ``$TAPEFLOW_DATASETS/mnist/`` (each folder of
    the list), the project's ``shared/datasets/mnist/``, the Keras cache (``mnist.npz``,
    sha256-verified, or the four IDX files in ``mnist/``), ``/usr/share/datasets/mnist/``, and
    only then downloads ``mnist.npz`` (sha256-verified) into the Keras cache. A local copy that
    fails its checksum or cannot be read is skipped with a warning; when nothing is found the
    error lists every place searched and what each accepts.
    """
    p = os.path.expanduser(os.fspath(path))
    if os.path.isabs(p) or (p != "mnist.npz" and os.path.exists(p)):
        if os.path.isdir(p):
            return read_idx_dir(p)
        if os.path.exists(p):
            return read_npz(p)  # NOTE: a file the caller names is not checked against a hash
    cached = os.path.join(_files.cache_dir(), p)
    expected = NPZ_HASH if p == "mnist.npz" else None
    search = Search("mnist")
    for directory, how in _files.search_dirs("mnist", "mnist"):
        if how == _files.KERAS_CACHE:
            accepts = os.path.basename(p) + (f" with sha256 {expected}" if expected else "")
            found = search.look(cached, how, accepts, lambda: _read_cached(cached, expected))
            if found is not None:
                return found
        found = search.look_idx(directory, how)
        if found is not None:
            return found
    try:  # a cached file still here failed verification: fetch a fresh one
        fpath = _files.get_file(p, ORIGIN, file_hash=expected,
                                force_download=os.path.exists(cached))
    except _files.DownloadError as e:
        npz = os.path.join(_files.cache_dir(), "mnist.npz")
        raise search.failed(e, ORIGIN, cached, idx_fix("mnist") + f", or put mnist.npz "
                            f"(sha256 {NPZ_HASH}) at {npz}") from None
    return read_npz(fpath)
