"""Checkpoint files on disk: atomic writes whose temporary files name their owner and target,
removal of the temporaries of dead owners, and TF's ``checkpoint`` state file (read with
validation, written atomically)."""
import contextlib
import errno
import os
import re
import secrets
import time
import warnings

from .._io import _fsync_dir
from . import _bundle

STATE = "checkpoint"
# ``.<target>.tmp-<pid>-<8 hex>``: the owner (pid) and the target are in the name
_TEMP = re.compile(r"^\.(?P<target>.+)\.tmp-(?P<pid>\d+)-[0-9a-f]{8}$")
_active = set()  # temporaries this process is writing now


def temp_name(path):
    directory, base = os.path.split(os.path.abspath(path))
    return os.path.join(directory, f".{base}.tmp-{os.getpid()}-{secrets.token_hex(4)}")


def _alive(pid):
    if pid == os.getpid():
        return True
    if os.name != "posix":  # NOTE: os.kill(pid, 0) would terminate the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def remove_stale_temporaries(directory, owns=lambda target: True):
    """Delete ``directory``'s temporary files whose owner process is gone (a save killed
    midway) and whose target ``owns(target)`` accepts; returns their names."""
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        m = _TEMP.match(name)
        if not m or not owns(m.group("target")):
            continue
        path = os.path.join(directory, name)
        pid = int(m.group("pid"))
        if path in _active or (_alive(pid) and pid != os.getpid()):
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
            removed.append(name)
    return removed


@contextlib.contextmanager
def _temporary(path):
    tmp = temp_name(path)
    _active.add(tmp)
    try:
        yield tmp
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    finally:
        _active.discard(tmp)


def _fsync(path):
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def write_bundle(prefix, tensors):
    """Write a checkpoint bundle atomically: both files go to temporaries first; the data file
    is renamed into place before the index, so an index never points at missing data."""
    directory = os.path.dirname(os.path.abspath(prefix))
    os.makedirs(directory, exist_ok=True)
    base = os.path.basename(prefix)
    remove_stale_temporaries(directory, lambda target: target.startswith(base + "."))
    data, index = _bundle.data_path(prefix), _bundle.index_path(prefix)
    with _temporary(data) as tmp_data, _temporary(index) as tmp_index:
        with open(tmp_data, "wb") as fd, open(tmp_index, "wb") as fi:
            _bundle.write_bundle(fi, fd, tensors)
        _fsync(tmp_data)
        _fsync(tmp_index)
        os.replace(tmp_data, data)
        os.replace(tmp_index, index)
    _fsync_dir(directory)
    return prefix


def refuse_legacy(prefix):
    if not os.path.exists(_bundle.index_path(prefix)) and os.path.isfile(prefix + ".npz"):
        raise ValueError(f"'{prefix}.npz' is a checkpoint in the .npz format of tapeflow 0.x; "
                         "tapeflow now writes and reads TensorFlow's checkpoint format "
                         "(.index + .data). Re-save it with the tapeflow that wrote it.")


# -- the ``checkpoint`` state file (TF's CheckpointState as text) -------------------------------
_LINE = re.compile(r'^(?P<key>[a-z_]+)\s*:\s*(?P<value>"(?:[^"\\]|\\.)*"|[-+0-9.eE]+)\s*$')
_PATH_KEYS = ("model_checkpoint_path", "all_model_checkpoint_paths")
_TIME_KEYS = ("all_model_checkpoint_timestamps", "last_preserved_timestamp")


class State:
    """The parsed state file: ``latest`` and ``paths`` (absolute, in order), their
    ``timestamps`` and ``last_preserved``."""

    def __init__(self):
        self.latest, self.paths, self.timestamps, self.last_preserved = None, [], [], None


def _unquote(text):
    body = text[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)),
                  body)


def _quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def read_state(directory, filename=STATE):
    """The state file of ``directory`` (an empty State when there is none). A line that is
    not TF's format raises ValueError naming the file and the line."""
    state = State()
    path = os.path.join(directory, filename)
    try:
        with open(path, "rb") as f:
            raw = f.read(1 << 20)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return state
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"Checkpoint state file '{path}' is not text (corrupt?)") from None
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = _LINE.match(line.strip())
        key = m and m.group("key")
        if not m or key not in _PATH_KEYS + _TIME_KEYS or (
                key in _PATH_KEYS) != m.group("value").startswith('"'):
            raise ValueError(f"Checkpoint state file '{path}' line {n} is not TensorFlow's "
                             f"CheckpointState text format: {line[:200]!r}")
        value = m.group("value")
        if key in _PATH_KEYS:
            value = _unquote(value)
            full = value if os.path.isabs(value) else os.path.join(directory, value)
            if key == "model_checkpoint_path":
                state.latest = full
            else:
                state.paths.append(full)
        else:
            try:
                number = float(value)
            except ValueError:
                raise ValueError(f"Checkpoint state file '{path}' line {n}: {key} is not a "
                                 f"number: {value!r}") from None
            if key == "last_preserved_timestamp":
                state.last_preserved = number
            else:
                state.timestamps.append(number)
    return state


def write_state(directory, latest, paths, timestamps=None, last_preserved=None):
    """Write the state file atomically, with paths relative to ``directory`` when inside."""
    root = os.path.abspath(directory)

    def rel(p):
        full = os.path.abspath(p)
        return os.path.relpath(full, root) if os.path.dirname(full) == root else p

    lines = [f"model_checkpoint_path: {_quote(rel(latest))}"] if latest else []
    lines += [f"all_model_checkpoint_paths: {_quote(rel(p))}" for p in paths]
    lines += [f"all_model_checkpoint_timestamps: {t!r}" for t in timestamps or ()]
    if last_preserved is not None:
        lines.append(f"last_preserved_timestamp: {last_preserved!r}")
    target = os.path.join(directory, STATE)
    remove_stale_temporaries(root, lambda t: t == STATE)
    with _temporary(target) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    _fsync_dir(root)


def exists(prefix):
    """Whether the checkpoint ``prefix`` is on disk (tapeflow 0.x's ``.npz`` counts, so that
    restoring it says why it is refused instead of silently starting afresh)."""
    return os.path.isfile(_bundle.index_path(prefix)) or os.path.isfile(prefix + ".npz")


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The prefix of the newest checkpoint recorded in ``checkpoint_dir``'s state file, or
    None (no state file, or its checkpoint is gone)."""
    directory = os.fspath(checkpoint_dir)
    state = read_state(directory, latest_filename or STATE)
    if state.latest and exists(state.latest):
        return state.latest
    return None


def inside(directory, path):
    root = os.path.realpath(directory)
    return os.path.dirname(os.path.realpath(path)) == root


def delete_checkpoint(directory, prefix, name):
    """Delete the files of checkpoint ``prefix`` if, and only if, it is ``<name>-<N>`` directly
    inside ``directory``; returns whether it did."""
    base = os.path.basename(prefix)
    if not inside(directory, prefix) or not re.fullmatch(re.escape(name) + r"-\d+", base):
        warnings.warn(f"CheckpointManager: not deleting '{prefix}': it is not one of this "
                      f"manager's checkpoints ('{name}-<N>' in '{directory}').", UserWarning,
                      stacklevel=3)
        return False
    root = os.path.realpath(directory)
    part = re.compile(re.escape(base) + r"\.(index|data-\d{5}-of-\d{5}|npz)$")
    for entry in os.listdir(root):
        if part.match(entry):
            try:
                os.unlink(os.path.join(root, entry))
            except FileNotFoundError:
                pass
            except OSError as e:
                if e.errno != errno.ENOENT:
                    raise
    return True


def now():
    return time.time()
