"""Loading the MNIST-layout datasets (four IDX files, or Keras's ``mnist.npz``) from the first
place that has them, else from the official mirror."""
import os

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


def search_idx(name, keras_subdir, known_hashes=None):
    """The first searched folder with all four IDX files, read; else None and what was seen."""
    seen = []
    for directory, how in _files.search_dirs(name, keras_subdir):
        if _complete(directory):
            return read_idx_dir(directory, known_hashes), seen
        got = _partial(directory)
        seen.append(f"{directory} ({how})" + (f": only {', '.join(got)}" if got else ""))
    return None, seen


def where_to_put(name, keras_subdir, files):
    return (f"Put {', '.join(files)} into {os.path.join(_files.cache_dir(), keras_subdir)} "
            f"(the Keras cache), or into <dir>/{name}/ and set TAPEFLOW_DATASETS=<dir>.")


def load_idx_dataset(name, keras_subdir, origin_base, known_hashes, path=None):
    """The four-IDX-file datasets (Fashion-MNIST's layout): local copies first, then download."""
    if path is not None:
        return read_idx_dir(os.path.expanduser(path), known_hashes)
    found, seen = search_idx(name, keras_subdir, known_hashes)
    if found is not None:
        return found
    try:
        paths = [_files.get_file(f, origin_base + f, file_hash=known_hashes.get(f),
                                 cache_subdir=os.path.join("datasets", keras_subdir))
                 for f in IDX_FILES]
    except _files.DownloadError as e:
        raise _files.DownloadError(
            f"{name}: no local copy found (searched {'; '.join(seen)}), and {e} "
            + where_to_put(name, keras_subdir, IDX_FILES)) from None
    return read_idx_dir(os.path.dirname(paths[0]), known_hashes)
