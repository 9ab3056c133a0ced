"""CIFAR-10: 32x32 colour images in 10 classes (the Python pickle batches of the original)."""
import os
import pickle

from ...backend import host as np
from . import _files
from ._common import Search
from ._idx import DatasetFileError

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
DIRNAME = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))

_ALLOWED = {  # the only globals a CIFAR batch pickle needs (NumPy array reconstruction)
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"), ("numpy.core.numeric", "_frombuffer"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def load_batch(fpath, label_key="labels"):
    """``(data, labels)`` of one CIFAR batch file: (N, 3, 32, 32) uint8 and a list of ints."""
    try:
        with open(fpath, "rb") as f:
            d = _Unpickler(f, encoding="bytes").load()
    except FileNotFoundError:
        raise DatasetFileError(f"{fpath}: missing CIFAR batch file") from None
    except Exception as e:
        raise DatasetFileError(f"{fpath}: not a readable CIFAR batch (truncated or corrupt: "
                               f"{type(e).__name__}: {e})") from None
    if not isinstance(d, dict):
        raise DatasetFileError(f"{fpath}: not a CIFAR batch (a pickled dict was expected)")
    d = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in d.items()}
    if "data" not in d or label_key not in d:
        raise DatasetFileError(f"{fpath}: not a CIFAR batch: it lacks 'data' or '{label_key}'")
    data = np.asarray(d["data"])
    labels = list(d[label_key])
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise DatasetFileError(f"{fpath}: expected uint8 data of shape (N, 3072), found "
                               f"{data.dtype} {data.shape}")
    if data.shape[0] != len(labels):
        raise DatasetFileError(f"{fpath}: mismatched image/label counts: {data.shape[0]} images "
                               f"but {len(labels)} labels")
    return data.reshape(-1, 3, 32, 32), labels


def read_dir(directory):
    """``(x_train, y_train), (x_test, y_test)`` from an unpacked ``cifar-10-batches-py``."""
    xs, ys = [], []
    for b in TRAIN_BATCHES:
        x, y = load_batch(os.path.join(directory, b))
        xs.append(x)
        ys.extend(y)
    x_test, y_test = load_batch(os.path.join(directory, "test_batch"))
    x_train = np.concatenate(xs).transpose(0, 2, 3, 1)  # channels last, as Keras returns it
    x_test = x_test.transpose(0, 2, 3, 1)
    y_train = np.asarray(ys, dtype=np.uint8).reshape(-1, 1)
    y_test = np.asarray(y_test, dtype=np.uint8).reshape(-1, 1)
    return (np.ascontiguousarray(x_train), y_train), (np.ascontiguousarray(x_test), y_test)


def candidates(name, dirname):
    """The folders searched, in order: for each data folder ``<dir>/<name>/`` and
    ``<dir>/<name>/<dirname>/``; in the Keras cache the unpacked folder where Keras 3 puts it
    (``<dirname>-target/<dirname>``), then where older versions put it (``<dirname>``)."""
    out = []
    for directory, how in _files.search_dirs(name, dirname):
        if how == _files.KERAS_CACHE:
            out.append((os.path.join(_files.cache_dir(), dirname + "-target", dirname), how))
            out.append((directory, how))
        else:
            out.append((directory, how))
            out.append((os.path.join(directory, dirname), how))
    return out


BATCHES = TRAIN_BATCHES + ("test_batch",)


def _read_if_there(directory):
    if not os.path.isdir(directory):
        return "no such folder"
    got = [b for b in BATCHES if os.path.isfile(os.path.join(directory, b))]
    if len(got) < len(BATCHES):
        return f"only {', '.join(got)}" if got else "not there"
    return read_dir(directory)


def load_data(path=None):
    """``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (50000, 32, 32, 3),
    (50000, 1), (10000, 32, 32, 3), (10000, 1).

    Looks in ``path`` (an unpacked ``cifar-10-batches-py`` folder) when given; else, in order,
    ``$TAPEFLOW_DATASETS/cifar10/``, the project's ``shared/datasets/cifar10/``, the Keras
    cache (``$KERAS_HOME/datasets/cifar-10-batches-py-target/cifar-10-batches-py`` as Keras 3
    unpacks it, or ``.../datasets/cifar-10-batches-py``), ``/usr/share/datasets/cifar10/``
    (each data folder also with a ``cifar-10-batches-py`` inside); only then downloads the
    archive (sha256-verified) into the Keras cache and unpacks it. Unreadable batch files are
    skipped with a warning.
    """
    if path is not None:
        return read_dir(os.path.expanduser(path))
    search = Search("cifar10")
    accepts = ", ".join(BATCHES)
    for directory, how in candidates("cifar10", DIRNAME):
        found = search.look(os.path.join(directory, ""), how, accepts,
                            lambda d=directory: _read_if_there(d))
        if found is not None:
            return found
    try:
        directory = _files.get_file(DIRNAME + "-target", ORIGIN, extract=True, file_hash=HASH)
    except _files.DownloadError as e:
        raise search.failed(
            e, ORIGIN, os.path.join(_files.cache_dir(), DIRNAME + "-target_archive"),
            f"put the unpacked {DIRNAME} folder ({accepts}) into {_files.cache_dir()}, or "
            "into DIR/cifar10/ and set TAPEFLOW_DATASETS=DIR") from None
    return read_dir(os.path.join(directory, DIRNAME))
