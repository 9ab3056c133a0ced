"""Finding, verifying and downloading dataset files: the Keras cache, local dataset folders,
and ``get_file`` (also ``keras.utils.get_file``) with checksums and atomic writes."""
import hashlib
import os
import shutil
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

from ._idx import DatasetFileError


class DownloadError(OSError):
    """A dataset file could not be fetched (no network, HTTP error...). ``reason`` is why, in
    a few words, when known."""

    reason = None


# The opener used for downloads; tests replace it (``monkeypatch.setattr(_files, "urlopen", f)``).
urlopen = urllib.request.urlopen

_CHUNK = 1 << 16


# -- where files live -------------------------------------------------------------------------
def keras_home():
    """``$KERAS_HOME``, else ``~/.keras`` (``/tmp/.keras`` when home is not writable)."""
    env = os.environ.get("KERAS_HOME")
    if env:
        return os.path.expanduser(env)
    home = os.path.join(os.path.expanduser("~"), ".keras")
    parent = os.path.dirname(home)
    if not os.access(home if os.path.isdir(home) else parent, os.W_OK):
        return os.path.join(tempfile.gettempdir(), ".keras")
    return home


def cache_dir(subdir="datasets", root=None):
    return os.path.join(os.path.expanduser(root) if root else keras_home(), subdir)


def project_datasets_dir():
    """``shared/datasets`` next to the project checkout (``../shared/datasets`` from the repo
    root): the existing one, else that path when tapeflow runs from a checkout (it is searched
    and named in messages even before it exists), else None (an installed tapeflow)."""
    repo = Path(__file__).resolve().parents[3]
    cands = (repo.parent / "shared" / "datasets", repo / "shared" / "datasets")
    for cand in cands:
        if cand.is_dir():
            return str(cand)
    if (repo / "pyproject.toml").is_file():
        return str(cands[0])
    return None


SYSTEM_DIR = "/usr/share/datasets"  # where Debian's dataset-* packages install
KERAS_CACHE = "the Keras cache"


def search_dirs(name, keras_subdir):
    """``(directory, how it was found)`` for a dataset ``name`` in the search order: explicit
    folders first (``$TAPEFLOW_DATASETS/<name>``, where ``tapeflow-workshop --data-dir``
    goes), then the project's ``shared/datasets/<name>``, the Keras cache
    (``$KERAS_HOME/datasets/<keras_subdir>``), the system data directory."""
    out = []
    env = os.environ.get("TAPEFLOW_DATASETS")
    if env:
        for root in env.split(os.pathsep):
            if root:
                out.append((os.path.join(os.path.expanduser(root), name), "$TAPEFLOW_DATASETS"))
    shared = project_datasets_dir()
    if shared:
        out.append((os.path.join(shared, name), "the project's shared/datasets"))
    out.append((os.path.join(cache_dir(), keras_subdir), KERAS_CACHE))
    out.append((os.path.join(SYSTEM_DIR, name), "the system data directory"))
    return out


# -- checksums --------------------------------------------------------------------------------
def file_digest(path, algorithm="sha256"):
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _algorithm(file_hash, hash_algorithm="auto"):
    if hash_algorithm in ("sha256", "md5"):
        return hash_algorithm
    return "sha256" if len(file_hash) == 64 else "md5"


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=_CHUNK):
    """True when ``fpath``'s sha256 (or md5) digest equals ``file_hash``."""
    return file_digest(fpath, _algorithm(file_hash, algorithm)) == str(file_hash).lower()


class ChecksumMismatch(DatasetFileError):
    """A local file whose digest is not the expected one (``path``, ``algorithm``,
    ``expected``, ``actual``)."""

    def __init__(self, path, algorithm, expected, actual, what="file"):
        super().__init__(f"{path}: checksum mismatch: {algorithm} is {actual}, expected "
                         f"{expected} (the {what} is corrupt, incomplete or a different "
                         "version; delete it and fetch it again)")
        self.path, self.algorithm, self.expected, self.actual = path, algorithm, expected, actual


def check_hash(path, expected, what="file"):
    """Raise ``ChecksumMismatch`` (a ``DatasetFileError``) naming ``path`` when its digest is
    not ``expected``."""
    algo = _algorithm(expected)
    got = file_digest(path, algo)
    if got != expected.lower():
        raise ChecksumMismatch(path, algo, expected.lower(), got, what)


def manifest_hashes(directory):
    """``{relative path: sha256}`` from a ``SHA256SUMS`` in ``directory`` or its parent
    (relative to ``directory``)."""
    out = {}
    d = Path(directory)
    for where, prefix in ((d, ""), (d.parent, d.name + "/")):
        m = where / "SHA256SUMS"
        if not m.is_file():
            continue
        for line in m.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2 and len(parts[0]) == 64:
                rel = parts[1].lstrip("*")
                if rel.startswith(prefix):
                    out.setdefault(rel[len(prefix):], parts[0].lower())
    return out


# -- downloads --------------------------------------------------------------------------------
class _Progress:
    """A one-line progress bar on stderr (only when it is a terminal or forced)."""

    def __init__(self, total, stream=None):
        self.total = total
        self.stream = stream or sys.stderr
        self.last = 0.0
        self.live = getattr(self.stream, "isatty", lambda: False)()

    def update(self, done, final=False):
        now = time.monotonic()
        if not final and now - self.last < 0.1:
            return
        self.last = now
        if self.total:
            frac = min(1.0, done / self.total)
            bar = "=" * int(frac * 30)
            text = f"{done}/{self.total} [{bar:<30}] {frac:4.0%}"
        else:
            text = f"{done} bytes"
        if self.live:
            self.stream.write("\r" + text + ("\n" if final else ""))
        elif final:
            self.stream.write(text + "\n")
        self.stream.flush()


def _download(origin, fpath, file_hash=None, hash_algorithm="auto", progress=True):
    """Fetch ``origin`` into ``fpath`` atomically: stream into a temporary file in the same
    directory, check the digest, then ``os.replace``. A failure leaves ``fpath`` untouched."""
    directory = os.path.dirname(os.path.abspath(fpath))
    os.makedirs(directory, exist_ok=True)
    if progress:
        print(f"Downloading data from {origin}", file=sys.stderr)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(fpath) + ".", suffix=".part",
                               dir=directory)
    try:
        algo = _algorithm(file_hash, hash_algorithm) if file_hash else "sha256"
        h = hashlib.new(algo)
        try:
            response = urlopen(origin)
        except (urllib.error.URLError, OSError, ValueError) as e:
            reason = getattr(e, "reason", e)
            err = DownloadError(
                f"Could not download {origin}: {reason}. Without network access, put the file "
                f"at {fpath} yourself (or see the loader's docstring for the folders searched)."
            )
            err.reason = str(reason)
            raise err from None
        with os.fdopen(fd, "wb") as out, response:
            fd = None
            total = response.headers.get("Content-Length") if hasattr(response, "headers") \
                else None
            bar = _Progress(int(total) if total else None) if progress else None
            done = 0
            try:
                for chunk in iter(lambda: response.read(_CHUNK), b""):
                    out.write(chunk)
                    h.update(chunk)
                    done += len(chunk)
                    if bar:
                        bar.update(done)
            except OSError as e:
                raise DownloadError(f"Download of {origin} failed after {done} bytes: {e}; "
                                    f"{fpath} was not changed.") from None
            if bar:
                bar.update(done, final=True)
            if total and done != int(total):
                raise DownloadError(f"Download of {origin} is incomplete ({done} of {total} "
                                    f"bytes); {fpath} was not changed.")
        if file_hash and h.hexdigest() != str(file_hash).lower():
            raise DatasetFileError(
                f"The file downloaded from {origin} has {algo} {h.hexdigest()} but {file_hash} "
                f"was expected; it was discarded and {fpath} was not changed.")
        os.replace(tmp, fpath)
        tmp = None
    finally:
        if fd is not None:
            os.close(fd)
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)
    return fpath


def _extract(archive, directory):
    """Unpack a tar or zip archive into ``directory``, refusing paths that leave it."""
    root = os.path.realpath(directory)
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as t:
            for m in t.getmembers():
                dest = os.path.realpath(os.path.join(root, m.name))
                if not (dest == root or dest.startswith(root + os.sep)) or m.issym() or \
                        m.islnk() or m.isdev():
                    raise DatasetFileError(f"{archive}: refusing to extract {m.name!r}")
            t.extractall(root)
        return True
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            for name in z.namelist():
                dest = os.path.realpath(os.path.join(root, name))
                if not (dest == root or dest.startswith(root + os.sep)):
                    raise DatasetFileError(f"{archive}: refusing to extract {name!r}")
            z.extractall(root)
        return True
    return False


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False):
    """The local path of ``fname``, downloading it from ``origin`` into the Keras cache when it is
    missing, fails ``file_hash``, or ``force_download`` is set. Downloads are atomic and verified:
    a failed or mismatched download never replaces or corrupts the cached file.

    With ``extract=True`` (or ``untar=True``) the archive is unpacked next to it and the path
    of the unpacked folder is returned.
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(f"Can't parse the file name from the origin provided: {origin!r}.")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    base = cache_dir if cache_dir is not None else keras_home()
    datadir = os.path.join(os.path.expanduser(base), cache_subdir)
    os.makedirs(datadir, exist_ok=True)
    fpath = os.path.join(datadir, fname)
    archive = fpath
    if untar and not fname.endswith((".tar.gz", ".tgz", ".tar")):
        archive = fpath + ".tar.gz"
    need = force_download or not os.path.exists(archive)
    if not need and file_hash is not None and not validate_file(archive, file_hash,
                                                                hash_algorithm):
        print(f"A local file was found at {archive}, but its checksum does not match "
              f"{file_hash}; downloading it again.", file=sys.stderr)
        need = True
    if need:
        _download(origin, archive, file_hash, hash_algorithm)
    if untar or extract:
        target = archive
        for suffix in (".tar.gz", ".tgz", ".tar", ".zip"):
            if target.endswith(suffix):
                target = target[: -len(suffix)]
                break
        # NOTE: like Keras 3 (tf.keras in TF >= 2.16) the unpacked folder is returned
        if not os.path.exists(target) or need:
            tmpdir = tempfile.mkdtemp(prefix=".extract-", dir=datadir)
            try:
                if not _extract(archive, tmpdir):
                    raise DatasetFileError(f"{archive}: not a tar or zip archive")
                entries = os.listdir(tmpdir)
                src = os.path.join(tmpdir, entries[0]) if len(entries) == 1 and \
                    os.path.isdir(os.path.join(tmpdir, entries[0])) else tmpdir
                if os.path.exists(target):
                    shutil.rmtree(target)
                os.replace(src, target)
            finally:
                shutil.rmtree(tmpdir, ignore_errors=True)
        return target
    return fpath


__all__ = ["get_file", "validate_file", "cache_dir", "keras_home", "DownloadError",
           "DatasetFileError", "ChecksumMismatch"]
