"""CIFAR-100: 32x32 colour images in 100 classes (grouped into 20 superclasses)."""
import os

from ...backend import host as np
from . import _files
from ._common import Search
from ._idx import DatasetFileError
from ._safe_npz import load_pickle_file
from .cifar10 import candidates

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
DIRNAME = "cifar-100-python"
FILES = ("train", "test")


def load_batch(fpath, label_key):
    """``(data, labels)`` of a CIFAR-100 file: (N, 3, 32, 32) uint8 and a list of ints. The
    pickle is read as data only (``_safe_npz.read_pickle``), never run."""
    d = load_pickle_file(fpath)
    if not isinstance(d, dict):
        raise DatasetFileError(f"{fpath}: not a CIFAR batch (a pickled dict was expected)")
    d = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in d.items()}
    if "data" not in d or label_key not in d:
        raise DatasetFileError(f"{fpath}: not a CIFAR batch: it lacks 'data' or '{label_key}'")
    data, labels = d["data"], d[label_key]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or \
            data.shape[1] != 3 * 32 * 32:
        raise DatasetFileError(f"{fpath}: expected uint8 data of shape (N, 3072), found "
                               f"{getattr(data, 'dtype', type(data).__name__)} "
                               f"{getattr(data, 'shape', '')}")
    if not isinstance(labels, list) or not all(type(v) is int for v in labels):
        raise DatasetFileError(f"{fpath}: '{label_key}' must be a list of ints")
    if data.shape[0] != len(labels):
        raise DatasetFileError(f"{fpath}: mismatched image/label counts: {data.shape[0]} images "
                               f"but {len(labels)} labels")
    return data.reshape(data.shape[0], 3, 32, 32), labels


def read_dir(directory, label_mode="fine"):
    """``(x_train, y_train), (x_test, y_test)`` from an unpacked ``cifar-100-python`` folder."""
    key = f"{label_mode}_labels"
    x_train, y_train = load_batch(os.path.join(directory, "train"), key)
    x_test, y_test = load_batch(os.path.join(directory, "test"), key)
    y_train = np.reshape(y_train, (len(y_train), 1))
    y_test = np.reshape(y_test, (len(y_test), 1))
    return (x_train.transpose(0, 2, 3, 1), y_train), (x_test.transpose(0, 2, 3, 1), y_test)


def _read_if_there(directory, label_mode):
    if not os.path.isdir(directory):
        return "no such folder"
    got = [b for b in FILES if os.path.isfile(os.path.join(directory, b))]
    if len(got) < len(FILES):
        return f"only {', '.join(got)}" if got else "not there"
    return read_dir(directory, label_mode)


def load_data(label_mode="fine"):
    """The CIFAR-100 images and labels.

    Looks, in order, in ``$TAPEFLOW_DATASETS/cifar100/``, the project's
    ``shared/datasets/cifar100/``, the Keras cache
    (``$KERAS_HOME/datasets/cifar-100-python-target/cifar-100-python`` as Keras 3 unpacks it,
    or ``.../datasets/cifar-100-python``), ``/usr/share/datasets/cifar100/`` (each data folder
    also with a ``cifar-100-python`` inside), for the ``train`` and ``test`` files; only then
    downloads the archive (sha256-verified) into the Keras cache and unpacks it.

    Args:
        label_mode: ``"fine"`` (the 100 classes) or ``"coarse"`` (the 20 superclasses).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shapes (50000, 32, 32, 3)
        and (10000, 32, 32, 3), int64 labels of shapes (50000, 1) and (10000, 1).

    Raises:
        ValueError: an unknown ``label_mode``.
        DatasetFileError: an unpacked file is not a CIFAR-100 file (given a path).
        DownloadError: nothing local and the download failed.
    """
    if label_mode not in ["fine", "coarse"]:
        raise ValueError('`label_mode` must be one of `"fine"`, `"coarse"`. Received: '
                         f"label_mode={label_mode}.")
    search = Search("cifar100")
    accepts = ", ".join(FILES)
    for directory, how in candidates("cifar100", DIRNAME):
        found = search.look(os.path.join(directory, ""), how, accepts,
                            lambda d=directory: _read_if_there(d, label_mode))
        if found is not None:
            return found
    try:
        directory = _files.get_file(DIRNAME + "-target", ORIGIN, extract=True, file_hash=HASH)
    except _files.DownloadError as e:
        raise search.failed(
            e, ORIGIN, os.path.join(_files.cache_dir(), DIRNAME + "-target_archive"),
            f"put the unpacked {DIRNAME} folder ({accepts}) into {_files.cache_dir()}, or "
            "into DIR/cifar100/ and set TAPEFLOW_DATASETS=DIR") from None
    return read_dir(os.path.join(directory, DIRNAME), label_mode)
