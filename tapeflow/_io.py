"""Safe file I/O: atomic writes (a temporary file in the target's directory, flushed, fsynced,
renamed) and loading ``.npz`` arrays without ever unpickling."""
import contextlib
import os
import tempfile
import zipfile

from .backend import host as np


@contextlib.contextmanager
def atomic_path(path, suffix=""):
    """Yield a temporary path next to ``path``; on success it replaces ``path``.

    NOTE: the temporary file lives in the same directory so ``os.replace`` is a rename on one
    file system (atomic on POSIX and Windows); any exception, a full disk included, removes
    the temporary file and leaves the previous ``path`` untouched.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=suffix)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(directory)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_open(path, mode="wb"):
    """A file object open for writing that replaces ``path`` only when the block succeeds."""
    with atomic_path(path) as tmp, open(tmp, mode) as f:
        yield f
        f.flush()


def _fsync_dir(directory):
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def load_npz(path, subject, invalid):
    """The arrays of the ``.npz`` at ``path`` (pickles refused); errors read
    ``f"{subject} holds pickled..."`` and ``f"{subject} {invalid}: <cause>"``."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except ValueError as e:
        if "pickle" in str(e):
            raise ValueError(f"{subject} holds pickled Python objects; tapeflow loads arrays "
                             "only and refuses it.") from None
        raise ValueError(f"{subject} {invalid}: {e}") from None
    except (OSError, EOFError, KeyError, zipfile.BadZipFile) as e:
        raise ValueError(f"{subject} {invalid}: {e}") from None
