"""Safe file I/O: atomic writes (a temporary file in the target's directory, flushed, fsynced,
renamed), reading only regular files, and loading ``.npz`` arrays without ever unpickling or
allocating more than the caller allows."""
import contextlib
import os
import stat
import tempfile
import zipfile

from .backend import host as np


class Refused(ValueError):
    """A file that is readable but does not fit what reads it (shapes no variable has, more
    data than the model needs): raised before the data is read."""


def _temp_prefix(path):
    """Temporary files of a save to ``path`` are ``.<name>.tmp-<pid>-<random>``: the target
    and the owner are in the name, so a later save can tell a dead owner's leftovers."""
    return f".{os.path.basename(path)}.tmp-"


def _alive(pid):
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process, or no way to tell: leave its file alone
    return True


def sweep_stale_temporaries(path):
    """Remove temporary files that saves to ``path`` by processes that no longer exist left
    behind (a save killed midway); returns how many were removed."""
    directory = os.path.dirname(os.path.abspath(path))
    prefix = _temp_prefix(path)
    removed = 0
    try:
        entries = os.listdir(directory)
    except OSError:
        return 0
    for entry in entries:
        if not entry.startswith(prefix):
            continue
        pid = entry[len(prefix):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(directory, entry))
                removed += 1
    return removed


@contextlib.contextmanager
def atomic_path(path, suffix=""):
    """Yield a temporary path next to ``path``; on success it replaces ``path``.

    NOTE: the temporary file lives in the same directory so ``os.replace`` is a rename on one
    file system (atomic on POSIX and Windows); any exception, a full disk included, removes
    the temporary file and leaves the previous ``path`` untouched. A process killed midway
    cannot clean up: its file is named after the target and the process, and the next save
    to the same target removes it (so at most one stray file per target outlives a crash).
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    sweep_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f"{_temp_prefix(path)}{os.getpid()}-",
                               suffix=suffix)
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


def require_regular_file(path, what="file"):
    """Refuse anything but a regular file (a FIFO or a device would block or never end)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"No such {what}: '{path}'") from None
    if not stat.S_ISREG(mode):
        kind = ("a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket"
                if stat.S_ISSOCK(mode) else "not a regular file")
        raise ValueError(f"'{path}' is {kind}, not a regular {what}; refusing to read it.")


def check_zip_members(z, subject):
    """Refuse duplicate member names (a reader taking the first would see a different file
    than one taking the last) and unsafe paths."""
    names = z.namelist()
    seen, dup = set(), set()
    for n in names:
        (dup if n in seen else seen).add(n)
    if dup:
        raise ValueError(f"{subject} has duplicate members {sorted(dup)}; refusing an archive "
                         "whose readers could disagree on its content.")
    bad = [n for n in names if n.startswith(("/", "\\")) or ".." in n.replace("\\", "/")
           .split("/") or ":" in n]
    if bad:
        raise ValueError(f"{subject} contains unsafe member paths {bad} (path traversal); "
                         "refusing to load it.")
    return names


def _npy_header(fp):
    version = np.lib.format.read_magic(fp)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(fp)
    if version in ((2, 0), (3, 0)):
        return np.lib.format.read_array_header_2_0(fp)
    raise ValueError(f"unsupported .npy format version {version}")


def load_npz(path, subject, invalid, check=None):
    """The arrays of the ``.npz`` at ``path`` (pickles refused); errors read
    ``f"{subject} holds pickled..."`` and ``f"{subject} {invalid}: <cause>"``.

    Each member's header is read first: its shape and dtype must agree with the member's
    size, and ``check(name, shape, dtype)`` (if given) may refuse it, all before a byte of
    its data is read or a buffer allocated.
    """
    require_regular_file(path)
    try:
        with zipfile.ZipFile(path) as z:
            names = check_zip_members(z, subject)
            out = {}
            for member in names:
                key = member[:-4] if member.endswith(".npy") else member
                info = z.getinfo(member)
                with z.open(member) as fp:
                    shape, fortran, dtype = _npy_header(fp)
                    if dtype.hasobject:
                        raise ValueError(f"{subject} holds pickled Python objects; tapeflow "
                                         "loads arrays only and refuses it.")
                    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
                    if nbytes > info.file_size:
                        raise ValueError(f"{subject} {invalid}: member '{member}' declares "
                                         f"shape {shape} ({nbytes} bytes) but holds only "
                                         f"{info.file_size} bytes")
                    verdict = True if check is None else check(key, tuple(shape), dtype)
                    if verdict is not True:
                        if verdict is not False:
                            out[key] = verdict
                        continue
                    data = fp.read(nbytes)
                    if len(data) != nbytes:
                        raise ValueError(f"{subject} {invalid}: member '{member}' is truncated")
                    a = np.frombuffer(data, dtype=dtype)
                    out[key] = (a.reshape(shape[::-1]).T if fortran else a.reshape(shape)).copy()
            return out
    except Refused:
        raise
    except ValueError as e:
        if str(e).startswith(subject):
            raise
        raise ValueError(f"{subject} {invalid}: {e}") from None
    except (OSError, EOFError, KeyError, zipfile.BadZipFile, NotImplementedError,
            RuntimeError) as e:  # RuntimeError: zipfile on a member flagged as encrypted
        raise ValueError(f"{subject} {invalid}: {e}") from None
