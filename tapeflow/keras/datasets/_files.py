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
import warnings
import zipfile
from pathlib import Path

from ..._io import atomic_path
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


def _fetch_into(out, origin, fpath, h, progress):
    """Stream ``origin`` into the open file ``out``, updating the digest ``h``."""
    try:
        response = urlopen(origin)
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        err = DownloadError(
            f"URL fetch failure on {origin}: {reason}. Without network access, put the file "
            f"at {fpath} yourself (or see the loader's docstring for the folders searched).")
        err.reason = str(reason)
        raise err from None
    with response:
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


def _download(origin, fpath, file_hash=None, hash_algorithm="auto", progress=True):
    """Fetch ``origin`` into ``fpath`` atomically (``tapeflow._io.atomic_path``: a temporary
    file next to it, checked, then renamed). A failure leaves ``fpath`` untouched."""
    if progress:
        print(f"Downloading data from {origin}", file=sys.stderr)
    algo = _algorithm(file_hash, hash_algorithm) if file_hash else "sha256"
    h = hashlib.new(algo)
    with atomic_path(fpath, suffix=".part") as tmp:
        with open(tmp, "wb") as out:
            _fetch_into(out, origin, fpath, h, progress)
        if file_hash and h.hexdigest() != str(file_hash).lower():
            raise DatasetFileError(
                f"Incomplete or corrupted file detected. The {hash_algorithm} file hash does "
                f"not match the provided value of {file_hash}: the file downloaded from "
                f"{origin} has {algo} {h.hexdigest()}; it was discarded and {fpath} was not "
                "changed.")
    return fpath


def _inside(root, name):
    dest = os.path.realpath(os.path.join(root, name))
    return dest == root or dest.startswith(root + os.sep)


def _extract(archive, directory, archive_format="auto"):
    """Unpack a tar or zip ``archive`` into ``directory``; ``False`` when it is neither of the
    formats asked for. Members that would land outside ``directory`` (absolute paths, ``..``),
    links and device files are refused (``DatasetFileError``) before anything is written."""
    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else (
        [archive_format] if isinstance(archive_format, str) else list(archive_format))
    root = os.path.realpath(directory)
    for fmt in formats:
        if fmt == "tar" and tarfile.is_tarfile(archive):
            with tarfile.open(archive) as t:
                members = t.getmembers()
                for m in members:
                    if not _inside(root, m.name) or m.issym() or m.islnk() or m.isdev() or \
                            not (m.isfile() or m.isdir()):
                        raise DatasetFileError(f"{archive}: refusing to extract {m.name!r} "
                                               "(a path outside the target folder, a link or "
                                               "a special file)")
                if hasattr(tarfile, "data_filter"):  # Python >= 3.12 (and patched 3.8+)
                    t.extractall(root, members=members, filter="data")
                else:
                    t.extractall(root, members=members)
            return True
        if fmt == "zip" and zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as z:
                for name in z.namelist():
                    if not _inside(root, name):
                        raise DatasetFileError(f"{archive}: refusing to extract {name!r} (a "
                                               "path outside the target folder)")
                z.extractall(root)
            return True
        if fmt not in ("tar", "zip"):
            raise NotImplementedError(fmt)
    return False


def _targets(datadir, fname, provided, unpack):
    """``(download path, extraction folder or None)``, named as Keras 3 names them."""
    if not unpack:
        return os.path.join(datadir, fname), None
    if provided and "." in fname:
        return os.path.join(datadir, fname), os.path.join(datadir,
                                                          fname[:fname.find(".")] + "_extracted")
    return os.path.join(datadir, fname + "_archive"), os.path.join(datadir, fname)


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False):
    """Download a file from a URL into the Keras cache, unless a verified copy is there.

    Downloads are atomic and verified: a failed or mismatched download never replaces or
    corrupts the cached file, so a machine without network keeps using what it has.

    Args:
        fname: the file's name in the cache (a name, not a path); None takes the last part
            of ``origin``'s path.
        origin: the URL to fetch (``file://`` works too).
        untar: deprecated spelling of ``extract=True`` for tar archives.
        md5_hash: deprecated spelling of ``file_hash`` with ``hash_algorithm="md5"``.
        file_hash: the expected sha256 or md5 hex digest (None: not checked).
        cache_subdir: the folder under ``cache_dir`` to put the file in.
        hash_algorithm: ``"sha256"``, ``"md5"`` or ``"auto"`` (told apart by length).
        extract: unpack the archive (tar or zip) into a folder next to it.
        archive_format: ``"auto"``, ``"tar"``, ``"zip"``, a list of those, or None.
        cache_dir: the cache root (default ``$KERAS_HOME`` or ``~/.keras``; a root that is
            not writable falls back to ``/tmp/.keras``, as in Keras).
        force_download: fetch even when a verified copy is cached.

    Returns:
        The path of the file, or with ``extract``/``untar`` of the folder it was unpacked
        into: ``<fname up to its first dot>_extracted`` when ``fname`` has a dot, else
        ``<fname>`` (the archive then being ``<fname>_archive``), as Keras 3 names them.

    Raises:
        ValueError: no ``origin``, or ``fname`` is a path.
        DownloadError: the download failed (no network, HTTP error, short body).
        DatasetFileError: the download fails ``file_hash`` or the archive holds paths that
            leave its folder.
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    base = os.path.expanduser(cache_dir if cache_dir is not None else keras_home())
    if not os.access(base, os.W_OK) and os.path.exists(base):
        base = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(),
                            ".keras")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    datadir = os.path.join(base, cache_subdir)
    provided = fname
    fname = os.fspath(fname) if fname else ""
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(f"Can't parse the file name from the origin provided: '{origin}'."
                             "Please specify the `fname` argument.")
    elif os.sep in fname:
        raise ValueError("Paths are no longer accepted as the `fname` argument. To specify the "
                         "file's parent directory, use the `cache_dir` argument. Received: "
                         f"fname={fname}")
    os.makedirs(datadir, exist_ok=True)
    target, folder = _targets(datadir, fname, provided, extract or untar)
    need = force_download or not os.path.exists(target)
    if not need and file_hash is not None and not validate_file(target, file_hash,
                                                                hash_algorithm):
        print(f"A local file was found at {target}, but its {hash_algorithm} file hash does "
              f"not match {file_hash}; downloading it again.", file=sys.stderr)
        need = True
    if need:
        _download(origin, target, file_hash, hash_algorithm)
    if folder is None:
        return target
    # NOTE: Keras unpacks on every call; here only after a download or when the folder is gone
    if need or not os.path.isdir(folder):
        _unpack(target, folder, "tar" if untar else archive_format)
    return folder


def _unpack(archive, folder, archive_format):
    """Unpack into a temporary folder next to ``folder``, then swap it in (never half a
    folder under the final name)."""
    parent = os.path.dirname(folder)
    tmpdir = tempfile.mkdtemp(prefix=f".{os.path.basename(folder)}.extract-", dir=parent)
    try:
        if not _extract(archive, tmpdir, archive_format):
            warnings.warn("Could not extract archive.", stacklevel=3)
            return
        if os.path.isdir(folder):
            shutil.rmtree(folder)
        os.replace(tmpdir, folder)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


__all__ = ["get_file", "validate_file", "cache_dir", "keras_home", "DownloadError",
           "DatasetFileError", "ChecksumMismatch"]
