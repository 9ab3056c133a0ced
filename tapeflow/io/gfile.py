"""``tf.io.gfile``: TF's file API over the local file system.

Paths are ``str``, ``bytes`` or ``os.PathLike``, plain or ``file://``. Errors are TF's
(``NotFoundError``, ``AlreadyExistsError``, ``FailedPreconditionError``,
``PermissionDeniedError``) with TF's messages. TF's other file systems (``gs://``,
``ram://``, ...) are not built in: their paths raise ``UnimplementedError``.

Quirks kept from TF: ``GFile`` opens its file on the first read or write (constructing one
for a missing file does not fail); text and binary modes both accept ``str`` and ``bytes``
to write; ``mkdir`` of an existing folder succeeds; ``size()`` is the size on disk (writes
not yet flushed are not counted).
"""
import glob as _glob
import os as _os
import shutil as _shutil

from .. import errors as _errors

__all__ = ["GFile", "copy", "exists", "get_registered_schemes", "glob", "isdir", "join",
           "listdir", "makedirs", "mkdir", "remove", "rename", "rmtree", "stat", "walk"]

_SCHEMES = ("", "file")


def get_registered_schemes():
    """The URL schemes whose paths this build can open: the local file system's."""
    return list(_SCHEMES)


def _path(path):
    """The local path of ``path`` (``file://`` removed); other schemes raise TF's error."""
    p = _os.fsdecode(_os.fspath(path))
    scheme, sep, rest = p.partition("://")
    if sep and "/" not in scheme:
        if scheme != "file":
            raise _errors.UnimplementedError(
                None, None, f"File system scheme '{scheme}' not implemented (file: '{p}')")
        return rest
    return p


def _not_found(p):
    return _errors.NotFoundError(None, None, f"{p}; No such file or directory")


def _is_a_directory(p):
    return _errors.FailedPreconditionError(None, None, f"{p}; Is a directory")


def join(path, *paths):
    """Join path components as ``os.path.join`` does; URLs (``gs://b``) join with ``/``."""
    p = _os.fsdecode(_os.fspath(path))
    rest = [_os.fsdecode(_os.fspath(x)) for x in paths]
    if "://" in p:
        for x in rest:
            p = x if "://" in x else (p.rstrip("/") + "/" + x.lstrip("/") if x else p + "/")
        return p
    return _os.path.join(p, *rest)


def exists(path):
    """Whether ``path`` names a file or folder."""
    return _os.path.exists(_path(path))


def isdir(path):
    """Whether ``path`` is a folder."""
    return _os.path.isdir(_path(path))


def listdir(path):
    """The names in folder ``path`` (not ``.`` and ``..``), in the file system's order."""
    p = _path(path)
    if not _os.path.isdir(p):
        raise _errors.NotFoundError(None, None, f"Could not find directory {p}")
    return _os.listdir(p)


def mkdir(path):
    """Create folder ``path``; its parent must exist (an existing folder is left as is)."""
    p = _path(path)
    if _os.path.isdir(p):
        return
    try:
        _os.mkdir(p)
    except FileNotFoundError:
        raise _not_found(p) from None
    except FileExistsError:
        raise _errors.AlreadyExistsError(None, None, f"{p}; File exists") from None


def makedirs(path):
    """Create folder ``path`` and its missing parents."""
    p = _path(path)
    try:
        _os.makedirs(p, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        bad = p
        while bad and not _os.path.exists(bad):
            bad = _os.path.dirname(bad)
        raise _errors.FailedPreconditionError(
            None, None, f"{bad or p} is not a directory") from None


def remove(path):
    """Delete file ``path``."""
    p = _path(path)
    if _os.path.isdir(p):
        raise _is_a_directory(p)
    try:
        _os.remove(p)
    except FileNotFoundError:
        raise _not_found(p) from None


def rmtree(path):
    """Delete folder ``path`` with everything in it."""
    p = _path(path)
    if not _os.path.exists(p):
        raise _errors.NotFoundError(None, None, f"{p} not found")
    if not _os.path.isdir(p):
        raise _errors.FailedPreconditionError(None, None, f"{p} is not a directory")
    _shutil.rmtree(p)


def _check_target(src, dst, overwrite):
    if not _os.path.exists(src):
        raise _not_found(src)
    if not overwrite and _os.path.exists(dst):
        raise _errors.AlreadyExistsError(None, None, "file already exists")


def copy(src, dst, overwrite=False):
    """Copy file ``src`` to ``dst``; an existing ``dst`` needs ``overwrite=True``."""
    s, d = _path(src), _path(dst)
    _check_target(s, d, overwrite)
    if _os.path.isdir(s):
        raise _is_a_directory(s)
    _shutil.copyfile(s, d)


def rename(src, dst, overwrite=False):
    """Rename (move) ``src`` to ``dst``; an existing ``dst`` needs ``overwrite=True``."""
    s, d = _path(src), _path(dst)
    _check_target(s, d, overwrite)
    _os.replace(s, d)


def glob(pattern):
    """The paths matching ``pattern`` (or any of a list of patterns); none is ``[]``."""
    patterns = [pattern] if isinstance(pattern, (str, bytes, _os.PathLike)) else list(pattern)
    found = []
    for pat in patterns:
        found.extend(_glob.glob(_path(pat)))
    return found


def walk(top, topdown=True, onerror=None):
    """``(folder, subfolder names, file names)`` for ``top`` and every folder under it, as
    ``os.walk`` yields them; a missing ``top`` yields nothing (``onerror`` gets the error)."""
    t = _path(top)
    if not _os.path.isdir(t):
        if onerror is not None and not _os.path.exists(t):
            onerror(_errors.NotFoundError(None, None, f"Could not find directory {t}"))
        return
    yield from _os.walk(t, topdown=topdown)


class _FileStatistics:
    """What ``stat`` returns: ``length`` (bytes), ``mtime_nsec`` and ``is_directory``."""

    __slots__ = ("length", "mtime_nsec", "is_directory")

    def __init__(self, length=None, mtime_nsec=None, is_directory=None):
        self.length, self.mtime_nsec, self.is_directory = length, mtime_nsec, is_directory

    def __repr__(self):
        return (f"FileStatistics(length={self.length}, mtime_nsec={self.mtime_nsec}, "
                f"is_directory={self.is_directory})")


_FileStatistics.__name__ = _FileStatistics.__qualname__ = "FileStatistics"  # TF's name


def stat(path):
    """``FileStatistics`` of ``path``."""
    p = _path(path)
    try:
        st = _os.stat(p)
    except FileNotFoundError:
        raise _not_found(p) from None
    return _FileStatistics(st.st_size, st.st_mtime_ns, _os.path.isdir(p))


_MODES = ("r", "w", "a", "r+", "w+", "a+")


class GFile:
    """A file: ``GFile(name, mode="r")`` with ``read``, ``readline``, ``readlines``,
    iteration, ``write``, ``seek``, ``tell``, ``size``, ``flush``, ``close``, and ``with``.

    ``mode`` is one of ``r w a r+ w+ a+``, with ``b`` for bytes (without it, reads give
    ``str``). The file opens on the first read or write.
    """

    def __init__(self, name, mode="r"):
        base = mode.replace("b", "")
        if base not in _MODES:
            raise _errors.InvalidArgumentError(
                None, None, "mode is not 'r' or 'w' or 'a' or 'r+' or 'w+' or 'a+'")
        self._path = _path(name)
        self.__name = name
        self.__mode = mode
        self._binary = "b" in mode
        self._read_ok = base.startswith("r") or "+" in base
        self._write_ok = base != "r"
        self._f = None

    @property
    def name(self):
        return self.__name

    @property
    def mode(self):
        return self.__mode

    def _file(self):
        if self._f is None:
            flags = self.__mode.replace("b", "") + "b"
            try:
                self._f = open(self._path, flags)
            except FileNotFoundError:
                raise _not_found(self._path) from None
            except IsADirectoryError:
                raise _is_a_directory(self._path) from None
        return self._f

    def _reading(self):
        if not self._read_ok:
            raise _errors.PermissionDeniedError(None, None, "File isn't open for reading")
        return self._file()

    def _text(self, data):
        return data if self._binary else data.decode("utf-8")

    def read(self, n=-1):
        """``n`` bytes (characters' bytes in text mode) from the position; all when -1."""
        return self._text(self._reading().read(-1 if n is None or n < 0 else n))

    def readline(self):
        """The next line, with its newline; empty at the end."""
        return self._text(self._reading().readline())

    def readlines(self):
        """The remaining lines."""
        return [self._text(line) for line in self._reading().readlines()]

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    next = __next__

    def write(self, file_content):
        """Write ``str`` (as UTF-8) or ``bytes``, in either mode."""
        if not self._write_ok:
            raise _errors.PermissionDeniedError(None, None, "File isn't open for writing")
        data = file_content.encode("utf-8") if isinstance(file_content, str) else bytes(
            file_content)
        self._file().write(data)

    def seek(self, offset=None, whence=0, position=None):
        """Move to ``offset`` from the start (``whence`` 0), the position (1) or the end
        (2); ``position`` is TF's older name for ``offset``."""
        if position is not None:
            if offset is not None:
                raise ValueError("offset and position cannot both be given")
            offset = position
        self._file().seek(0 if offset is None else offset, whence)

    def tell(self):
        """The current position in bytes."""
        return self._file().tell()

    def size(self):
        """The file's size on disk in bytes."""
        return _os.stat(self._path).st_size

    def seekable(self):
        return True

    def flush(self):
        if self._f is not None:
            self._f.flush()

    def close(self):
        if self._f is not None:
            self._f.close()
            self._f = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        f = getattr(self, "_f", None)
        if f is not None:
            f.close()
