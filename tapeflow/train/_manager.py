"""``tf.train.CheckpointManager``: numbered checkpoints in one directory, the newest
``max_to_keep`` kept, recorded in TF's ``checkpoint`` state file.

Crash safety: ``save()`` writes the new checkpoint, then the state file naming it, and only
then deletes old checkpoints (and writes the state file again), so a crash at any point leaves
``latest_checkpoint`` naming a complete checkpoint. It deletes only ``<checkpoint_name>-<N>``
files directly inside its own directory, whatever the state file says, and removes the
temporary files of saves that were killed (their owner process is gone).
"""
import os
import re
import warnings

from ..backend import host as np
from ..backend import to_host
from . import _files
from ._checkpoint import Checkpoint


def _number(value):
    return int(to_host(getattr(value, "_v", value)))


class CheckpointManager:
    """Numbered checkpoints in ``directory``: ``save()`` writes ``<checkpoint_name>-N``, keeps
    the newest ``max_to_keep`` (plus one every ``keep_checkpoint_every_n_hours``)."""

    def __init__(self, checkpoint, directory, max_to_keep, keep_checkpoint_every_n_hours=None,
                 checkpoint_name="ckpt", step_counter=None, checkpoint_interval=None,
                 init_fn=None):
        if not isinstance(checkpoint, Checkpoint):
            raise TypeError(f"CheckpointManager expects a tf.train.Checkpoint. Received: "
                            f"{type(checkpoint).__name__}")
        if max_to_keep is not None and max_to_keep <= 0:
            raise ValueError(f"Expected a positive integer or `None` for `max_to_keep`, got "
                             f"{max_to_keep}.")
        if checkpoint_interval is not None and step_counter is None:
            raise ValueError("`step_counter` should be passed if `checkpoint_interval` is "
                             "not None.")
        if not checkpoint_name or "/" in checkpoint_name or os.sep in checkpoint_name:
            raise ValueError(f"`checkpoint_name` must be a file name, got {checkpoint_name!r}.")
        self._checkpoint = checkpoint
        self._directory = os.fspath(directory)
        self._max_to_keep = max_to_keep
        self._keep_hours = keep_checkpoint_every_n_hours
        self._name = checkpoint_name
        self._prefix = os.path.join(self._directory, checkpoint_name)
        self._step_counter, self._interval = step_counter, checkpoint_interval
        self._init_fn = init_fn
        self._last_step = None
        self._maybe_delete = {}  # path -> timestamp, oldest first
        self._latest = None
        self._last_preserved = _files.now()
        state = _files.read_state(self._directory)
        if state.latest is not None or state.paths:
            stamps = state.timestamps if len(state.timestamps) == len(state.paths) else []
            for i, path in enumerate(state.paths):
                if self._own(path) and _files.exists(path):
                    self._maybe_delete[path] = stamps[i] if stamps else _files.now()
            if state.latest is not None and self._own(state.latest) and \
                    _files.exists(state.latest):
                self._latest = state.latest
                if state.latest not in self._maybe_delete:
                    self._maybe_delete[state.latest] = _files.now()
            elif self._maybe_delete:
                self._latest = list(self._maybe_delete)[-1]
            if state.last_preserved is not None and state.last_preserved <= _files.now():
                self._last_preserved = state.last_preserved

    def _own(self, path):
        """Whether ``path`` is one of this manager's checkpoints (warns when the state file
        names something else: it is then neither tracked nor ever deleted)."""
        base = os.path.basename(path)
        if _files.inside(self._directory, path) and \
                re.fullmatch(re.escape(self._name) + r"-\d+", base):
            return True
        warnings.warn(f"CheckpointManager: the state file of '{self._directory}' names "
                      f"'{path}', which is not one of this manager's checkpoints "
                      f"('{self._name}-<N>' inside that directory); it is ignored and will "
                      "not be deleted.", UserWarning, stacklevel=3)
        return False

    @property
    def checkpoint(self):
        return self._checkpoint

    @property
    def directory(self):
        return self._directory

    @property
    def checkpoints(self):
        """The managed checkpoints still on disk, oldest first."""
        return list(self._maybe_delete)

    @property
    def latest_checkpoint(self):
        return self._latest

    @property
    def checkpoint_interval(self):
        return self._interval

    def _record_state(self):
        paths = list(self._maybe_delete)
        _files.write_state(self._directory, self._latest, paths,
                           [self._maybe_delete[p] for p in paths], self._last_preserved)

    def save(self, checkpoint_number=None, check_interval=True, options=None):
        """Write the next numbered checkpoint (None when ``checkpoint_interval`` says it is
        not time yet), record it, then delete the ones beyond ``max_to_keep``."""
        if self._interval is not None and check_interval:
            step = _number(self._step_counter)
            if self._last_step is not None and step < self._last_step + self._interval:
                return None
            self._last_step = step
        elif self._interval is not None:
            self._last_step = _number(self._step_counter)
        counter = self._checkpoint.save_counter
        counter._assign_raw(np.asarray(int(counter._v) + 1, np.int64))
        number = int(counter._v) if checkpoint_number is None else _number(checkpoint_number)
        os.makedirs(self._directory, exist_ok=True)
        # a killed save of this manager left temporaries: their owners are dead, remove them
        _files.remove_stale_temporaries(
            self._directory, lambda target: target == _files.STATE or
            target.startswith(self._name + "-"))
        path = self._checkpoint.write(f"{self._prefix}-{number}")
        legacy = path + ".npz"  # tapeflow 0.x's file under the same name: now replaced
        if os.path.isfile(legacy):
            os.unlink(legacy)
        self._maybe_delete.pop(path, None)
        self._maybe_delete[path] = _files.now()
        self._latest = path
        self._record_state()  # first: a crash while sweeping keeps the new checkpoint named
        if self._sweep():
            self._record_state()
        return path

    def _sweep(self):
        if self._max_to_keep is None:
            return False
        swept = False
        while len(self._maybe_delete) > self._max_to_keep:
            path, stamp = next(iter(self._maybe_delete.items()))
            del self._maybe_delete[path]
            swept = True
            if self._keep_hours is not None and \
                    stamp - self._keep_hours * 3600 >= self._last_preserved:
                self._last_preserved = stamp  # kept for good, no longer managed
                continue
            _files.delete_checkpoint(self._directory, path, self._name)
        return swept

    def restore_or_initialize(self):
        """Restore the latest checkpoint and return its path, or run ``init_fn`` and return
        None when there is none."""
        if self._latest is not None:
            self._checkpoint.restore(self._latest)
            if self._step_counter is not None:
                self._last_step = _number(self._step_counter)
            return self._latest
        if self._init_fn is not None:
            self._init_fn()
        return None

    def sync(self):
        return None
