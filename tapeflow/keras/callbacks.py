"""Training callbacks: the ``Callback`` hooks, ``History``, ``ProgbarLogger``,
``EarlyStopping``, ``ModelCheckpoint``, ``BackupAndRestore``, ``LearningRateScheduler``,
``ReduceLROnPlateau``, ``CSVLogger``, ``TerminateOnNaN``, ``LambdaCallback`` and
``TensorBoard``."""
import csv
import json
import math
import os
import time
import warnings

import numpy as np

from .. import _replicas, summary
from .._io import atomic_open
from ..summary import _events as _summary_events
from .saving import _backup, _safetensors
from .saving._keras_file import _load_on_first_call, model_config
from .saving._weights import load_store, model_store
from .utils.misc import print_msg
from .utils.progbar import Progbar


def _float(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return v


class Callback:
    """Base class with every hook Keras calls; override the ones you need."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_train_batch_begin(self, batch, logs=None): pass
    def on_train_batch_end(self, batch, logs=None): pass
    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass

    def on_batch_begin(self, batch, logs=None):
        self.on_train_batch_begin(batch, logs)

    def on_batch_end(self, batch, logs=None):
        self.on_train_batch_end(batch, logs)


_HOOKS = [n for n in vars(Callback) if n.startswith("on_")]


def _overrides(cb, hook):
    if hook in getattr(cb, "_hooks", ()):  # LambdaCallback sets hooks on the instance
        return True
    return getattr(type(cb), hook, None) is not getattr(Callback, hook)


class CallbackList:
    """Calls a hook on every callback; batch hooks only reach callbacks that define them."""

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        if isinstance(callbacks, Callback):  # one callback, not in a list (Keras takes it)
            callbacks = [callbacks]
        self.callbacks = list(callbacks or [])
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        if add_history:
            self.history = next((c for c in self.callbacks if isinstance(c, History)), None)
            if self.history is None:
                self.history = History()
                self.callbacks.append(self.history)
        for c in self.callbacks:
            if model is not None:
                c.set_model(model)
            c.set_params(dict(params))
        self._by_hook = {h: [c for c in self.callbacks if _overrides(c, h)] for h in _HOOKS}
        for c in self.callbacks:  # the old names on_batch_* still reach train batches
            for old, new in (("on_batch_begin", "on_train_batch_begin"),
                             ("on_batch_end", "on_train_batch_end")):
                if _overrides(c, old) and c not in self._by_hook[new]:
                    self._by_hook[new].append(c)

    def call(self, hook, *args):
        for c in self._by_hook[hook]:
            getattr(c, hook)(*args)

    def wants(self, hook):
        return bool(self._by_hook[hook])


class History(Callback):
    """Records each epoch's logs: ``history.history['loss']`` is a list per epoch."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(_float(v))
        if self.model is not None:
            self.model.history = self


class ProgbarLogger(Callback):
    """Prints ``Epoch i/n`` and the progress bar (``verbose`` 1) or one line (2)."""

    def __init__(self, count_mode="steps", stream=None):
        super().__init__()
        self.stream = stream
        self._bar = None

    def _verbose(self):
        return self.params.get("verbose", 1)

    def on_epoch_begin(self, epoch, logs=None):
        if self._verbose() and self.params.get("epochs", 1) > 0:
            print_msg(f"Epoch {epoch + 1}/{self.params.get('epochs', 1)}", stream=self.stream)
        self._bar = Progbar(self.params.get("steps"), verbose=self._verbose(),
                            stream=self.stream)
        self._seen = 0

    def on_train_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        bar = self._bar
        # NOTE: only a live bar reads the running metrics, and only when it redraws, so a
        # log file or a GPU run pays nothing per batch.
        if bar is not None and bar.dynamic and self._verbose() == 1 and bar.due(batch + 1):
            values = {k: float(v) for k, v in logs.items()} if logs else None
            bar.update(batch + 1, values, finalize=False)  # the epoch's end finalizes

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            self._bar.target = self._bar.target or self._seen
            self._bar.update(self._seen, {k: float(v) for k, v in (logs or {}).items()},
                             finalize=True)

    def on_test_begin(self, logs=None):
        if self.model is not None and getattr(self.model, "_in_fit", False):
            return
        self._bar = Progbar(self.params.get("steps"), verbose=self._verbose(),
                            stream=self.stream)
        self._seen = 0

    def on_test_batch_end(self, batch, logs=None):
        if self.model is None or not getattr(self.model, "_in_fit", False):
            self._seen = batch + 1

    on_predict_begin = on_test_begin
    on_predict_batch_end = on_test_batch_end

    def on_test_end(self, logs=None):
        if self.model is not None and getattr(self.model, "_in_fit", False):
            return
        if self._bar is not None:
            self._bar.target = self._bar.target or self._seen
            self._bar.update(self._seen, {k: float(v) for k, v in (logs or {}).items()},
                             finalize=True)

    def on_predict_end(self, logs=None):
        self.on_test_end(None)


class _Monitor(Callback):
    def __init__(self, monitor, mode, min_delta=0.0):
        super().__init__()
        self.monitor = monitor
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{type(self).__name__} mode {mode} is unknown, fallback to auto "
                          "mode.", stacklevel=3)
            mode = "auto"
        if mode == "auto":
            mode = "max" if ("acc" in monitor or monitor.endswith("auc")
                             or "precision" in monitor or "recall" in monitor) else "min"
        self.mode = mode
        self.min_delta = abs(min_delta)

    def _better(self, current, reference):
        if reference is None:
            return True
        if self.mode == "min":
            return current < reference - self.min_delta
        return current > reference + self.min_delta

    def _get(self, logs):
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(f"{type(self).__name__} is conditioned on metric `{self.monitor}` "
                          f"which is not available. Available metrics are: "
                          f"{','.join(logs or {})}", stacklevel=3)
            return None
        return float(value)


class EarlyStopping(_Monitor):
    """Stops training when ``monitor`` stops improving for ``patience`` epochs."""

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta)
        self.patience, self.verbose, self.baseline = patience, verbose, baseline
        self.restore_best_weights, self.start_from_epoch = restore_best_weights, start_from_epoch

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best, self.best_weights = 0, 0, None, None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        current = self._get(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
        self.wait += 1
        if self._better(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._better(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print_msg("Restoring model weights from the end of the best epoch: "
                          f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(_Monitor):
    """Saves the model after each epoch, or only when ``monitor`` improves: the weights
    (``save_weights_only=True``, format by extension: ``.weights.h5``, ``.safetensors``,
    ``.npz``) or the whole ``.keras`` model. Every file is written to a temporary name in the
    same directory and renamed over the target, so a crash mid-save keeps the previous one."""

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__(monitor, mode)
        self.filepath, self.verbose = os.fspath(filepath), verbose
        self.save_best_only = save_best_only
        # NOTE: Keras 3 defaults to whole `.keras` models; a weights-only extension (the
        # earlier tapeflow default `.weights.npz` included) selects weights only, as Keras
        # requires `save_weights_only=True` for those names.
        self.save_weights_only = save_weights_only or not self.filepath.endswith(".keras")
        self.best = initial_value_threshold
        if save_freq != "epoch" and not isinstance(save_freq, int):
            raise ValueError(f"Unrecognized save_freq: {save_freq}. Expected save_freq are "
                             "'epoch' or integer values")
        # NOTE: an integer saves every `save_freq` batches (the count runs across epochs, as
        # Keras's); the path may then name `{batch}` (1-based within the epoch) too.
        self.save_freq = save_freq
        self._epoch, self._since_save = 0, 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._since_save += 1
        if self._since_save >= self.save_freq:
            self._since_save = 0
            self._save(self._epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _save(self, epoch, batch, logs):
        logs = logs or {}
        values = {k: _float(v) for k, v in logs.items()}
        if batch is not None and "batch" not in values:
            values["batch"] = batch + 1
        path = self.filepath.format(epoch=epoch + 1, **values)
        if self.save_best_only:
            current = self._get(logs)
            if current is None or not self._better(current, self.best):
                if self.verbose > 0 and current is not None:
                    print_msg(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from "
                              f"{self.best:.5f}")
                return
            if self.verbose > 0:
                prev = "inf" if self.best is None else f"{self.best:.5f}"
                print_msg(f"\nEpoch {epoch + 1}: {self.monitor} improved from {prev} to "
                          f"{current:.5f}, saving model to {path}")
            self.best = current
        if not _replicas.is_chief():  # distribute: only rank 0 of a multi-process job writes
            return
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)


class BackupAndRestore(Callback):
    """Backs up the model, optimizer state, epoch and random-number position to
    ``backup_dir``; a ``fit`` restarted after a crash or kill resumes on the same trajectory.
    The backup is deleted when training ends (``delete_checkpoint``).

    ``save_freq="epoch"`` backs up at the end of every epoch; an integer ``n`` also every
    ``n`` batches, with the step reached and the batch iterator's position (the interrupted
    epoch's shuffle order included): the resumed ``fit`` runs the rest of that epoch from the
    next step, on exactly the batches the uninterrupted run would have seen, without
    recomputing the ones already run. ``save_freq=False`` only restores.
    NOTE: as Keras saves no metric states, the resumed epoch's logged metrics cover the steps
    run after the resume only. Unlike Keras, an integer ``save_freq`` backs up at each epoch's
    end too, so the last batches of an epoch are never rerun.

    The backup is one file (``latest.safetensors``: arrays plus JSON metadata) written to a
    temporary name and renamed, so a kill mid-save leaves the previous backup usable.
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and not isinstance(save_freq, int):
            raise ValueError(f"Invalid value for argument `save_freq`. Received: "
                             f"save_freq={save_freq}. Expected either 'epoch' or an integer "
                             "value.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint
        self._path = os.path.join(self.backup_dir, "latest.safetensors")
        self._epoch, self._since_save, self._warned = 0, 0, False

    def on_train_begin(self, logs=None):
        self._since_save = 0
        if not os.path.exists(self._path):
            return
        arrays, meta = _safetensors.read(self._path)
        perm = arrays.pop("__fit__/perm", None)
        epoch, step, pos, names = self._checked(meta, perm)
        if self.model.built and self.model.weights:
            load_store(self.model, arrays, names, self._path)
        else:
            _load_on_first_call(self.model, arrays, names, self._path)
        try:
            _backup.set_rng_state(meta["rng"], self.model)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise self._damaged(f"its random-number state is unreadable ({e!r})") from None
        if step:  # mid-epoch: that epoch again, from the next step (Model.fit skips the rest)
            self.model.__dict__["_initial_epoch"] = epoch
            self.model.__dict__["_resume_batches"] = {"step": step, "pos": pos, "perm": perm}
        else:
            self.model.__dict__["_initial_epoch"] = epoch + 1

    def _damaged(self, what):
        return ValueError(f"BackupAndRestore: the backup '{self._path}' is damaged: {what}. "
                          "Delete it to train from the start.")

    def _checked(self, meta, perm):
        """The backup's epoch, step, position and layer names, validated."""
        def count(key, default=None):
            text = meta.get(key, default)
            if text is None:
                raise self._damaged(f"it has no '{key}' entry")
            if not str(text).isdigit():
                raise self._damaged(f"its '{key}' is {text!r}, not a count")
            return int(text)

        epoch = count("epoch")
        step = count("step", "0")
        pos = count("pos", "0") if step else 0
        if "rng" not in meta:
            raise self._damaged("it has no random-number state ('rng')")
        if step and perm is not None and pos > len(perm):
            raise self._damaged(f"it resumes at position {pos}, past its batch order's "
                                f"{len(perm)} examples")
        try:
            names = json.loads(meta.get("names", "{}"))
        except ValueError:
            raise self._damaged("its layer names are not JSON") from None
        if not isinstance(names, dict):
            raise self._damaged("its layer names are not a JSON object")
        return epoch, step, pos, names

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch" or self.save_freq is False:
            return
        self._since_save += 1
        if self._since_save < self.save_freq:
            return
        steps = self.params.get("steps")
        if steps is not None and batch + 1 >= steps:
            return  # the epoch-end backup follows at once
        batches = self.model.__dict__.get("_fit_batches")
        state = batches.state() if hasattr(batches, "state") else None
        if state is None:
            if not self._warned:
                warnings.warn(f"BackupAndRestore: {type(batches).__name__} cannot report its "
                              "position, so backups are made at epoch ends only.", UserWarning,
                              stacklevel=2)
                self._warned = True
            return
        self._save({"epoch": str(self._epoch), "step": str(batch + 1),
                    "pos": str(state.get("pos", 0))}, state.get("perm"))

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq is not False:
            self._save({"epoch": str(epoch)})

    def _save(self, meta, perm=None):
        self._since_save = 0
        if not _replicas.is_chief():  # distribute: only rank 0 of a multi-process job writes
            return
        arrays, names = model_store(self.model)
        if perm is not None:
            arrays["__fit__/perm"] = perm
        meta = {"format": "tapeflow-backup", "names": json.dumps(names),
                "rng": _backup.rng_state(self.model), **meta}
        with atomic_open(self._path) as f:
            _safetensors.write(f, arrays, meta)

    def on_train_end(self, logs=None):
        # distribute: only rank 0 of a multi-process job wrote the backup
        if self.delete_checkpoint and os.path.exists(self._path) and _replicas.is_chief():
            os.unlink(self._path)


class LearningRateScheduler(Callback):
    """Sets the learning rate from ``schedule(epoch, lr)`` at the start of each epoch."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        opt = self.model.optimizer
        lr = float(opt.learning_rate.numpy())
        try:
            new = self.schedule(epoch, lr)
        except TypeError:
            new = self.schedule(epoch)
        new = float(new.numpy() if hasattr(new, "numpy") else new)
        if not isinstance(new, float) or math.isnan(new):
            raise ValueError(f'The output of the "schedule" function should be a float. Got: '
                             f"{new}")
        opt.learning_rate = new
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                      f"{new}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate.numpy())


class ReduceLROnPlateau(_Monitor):
    """Multiplies the learning rate by ``factor`` after ``patience`` epochs without
    improvement of ``monitor``."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        super().__init__(monitor, mode, min_delta)
        if factor >= 1.0:
            raise ValueError("ReduceLROnPlateau does not support a factor >= 1.0. Received "
                             f"factor={factor}")
        self.factor, self.patience, self.verbose = factor, patience, verbose
        self.cooldown, self.min_lr = cooldown, min_lr

    def on_train_begin(self, logs=None):
        self.wait, self.cooldown_counter, self.best = 0, 0, None

    def on_epoch_end(self, epoch, logs=None):
        current = self._get(logs)
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate.numpy())
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._better(current, self.best):
            self.best, self.wait = current, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                opt = self.model.optimizer
                old = float(opt.learning_rate.numpy())
                if old > self.min_lr:
                    new = max(old * self.factor, self.min_lr)
                    opt.learning_rate = new
                    if self.verbose > 0:
                        print_msg(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning "
                                  f"rate to {new}.")
                    self.cooldown_counter, self.wait = self.cooldown, 0


class CSVLogger(Callback):
    """Streams each epoch's logs to a CSV file (``epoch`` first, then sorted keys)."""

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename, self.sep, self.append = os.fspath(filename), separator, append
        self._file = self._writer = self._keys = None

    def on_train_begin(self, logs=None):
        exists = self.append and os.path.exists(self.filename) and \
            os.path.getsize(self.filename) > 0
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._header_written = exists

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._keys is None:
            self._keys = sorted(logs)
            self._writer = csv.DictWriter(self._file, fieldnames=["epoch"] + self._keys,
                                          delimiter=self.sep)
            if not self._header_written:
                self._writer.writeheader()
        row = {"epoch": epoch}
        row.update({k: _float(logs.get(k, "NA")) for k in self._keys})
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None
            self._keys = None


class TerminateOnNaN(Callback):
    """Stops training, with a message naming the batch, when the loss becomes NaN or inf."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None:
            value = float(loss)
            if math.isnan(value) or math.isinf(value):
                print_msg(f"Batch {batch}: Invalid loss ({value}), terminating training. "
                          "Lower the learning rate, check the inputs for NaN/inf, or clip "
                          "gradients (clipnorm=1.0).")
                self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback from functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end, **kwargs)
        if "on_batch_begin" in hooks:
            hooks["on_train_batch_begin"] = hooks.pop("on_batch_begin")
        if "on_batch_end" in hooks:
            hooks["on_train_batch_end"] = hooks.pop("on_batch_end")
        for name, fn in hooks.items():
            if name not in _HOOKS:
                raise ValueError(f"Unrecognized LambdaCallback hook: {name}")
            if fn is not None:
                setattr(self, name, fn)
        self._hooks = {n for n, f in hooks.items() if f is not None}



class TensorBoard(Callback):
    """Writes TensorBoard logs as Keras 3 does: ``log_dir/train`` and
    ``log_dir/validation`` hold the epoch scalars ``epoch_<metric>`` (with
    ``epoch_learning_rate``, and ``epoch_steps_per_second`` when ``write_steps_per_second``),
    the validation run the same names plus ``evaluation_<metric>_vs_iterations`` at the
    optimizer's step. An integer ``update_freq`` (or ``"batch"``, every batch) also writes
    ``batch_<metric>`` every that many batches, at the global batch count. Every
    ``histogram_freq`` epochs each layer weight gets a ``<model>/<layer>/<weight>/histogram``
    and, with ``write_images``, an ``.../image``. ``write_graph`` writes the model's Keras
    config (TensorBoard's "conceptual graph").

    Needs the ``tensorboard`` package: ``pip install tapeflow[tensorboard]``.
    NOTE: tapeflow has no profiler and no projector: ``profile_batch`` and the
    ``embeddings_*`` arguments are accepted, as TF code passes them, and a non-default value
    only warns. tapeflow builds no TF graph, so the op-level graph is never written.
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = int(histogram_freq)
        self.write_graph, self.write_images = write_graph, write_images
        self.write_steps_per_second = write_steps_per_second
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and not (isinstance(update_freq, int) and update_freq > 0):
            raise ValueError(f"Unrecognized update_freq: {update_freq}. Expected 'epoch', "
                             "'batch' or a positive integer.")
        self.update_freq = update_freq
        self.profile_batch, self.embeddings_freq = profile_batch, embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        ignored = [f"{n}={v!r}" for n, v in (("profile_batch", profile_batch),
                                             ("embeddings_freq", embeddings_freq))
                   if v not in (0, None, (0, 0))]
        if ignored:
            warnings.warn(f"TensorBoard: tapeflow has no profiler or embedding projector; "
                          f"{', '.join(ignored)} is ignored.", UserWarning, stacklevel=2)
        _summary_events.tensorboard()  # without the extra: an ImportError naming it, now
        self._writers = {}
        self._global_train_batch = 0
        self._batch_start = self._epoch_start = None

    def _writer(self, run):
        w = self._writers.get(run)
        if w is None:
            w = self._writers[run] = summary.create_file_writer(
                os.path.join(self.log_dir, run))
        return w

    def _scalars(self, run, prefix, logs, step):
        with self._writer(run).as_default(step=step):
            for name, value in logs.items():
                summary.scalar(prefix + name, _float(value))

    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        if not _replicas.is_chief():  # distribute: only rank 0 of a multi-process job writes
            return
        if self.write_graph:
            self._write_keras_model()

    def _write_keras_model(self):
        try:
            config = json.dumps(model_config(self.model))
        except Exception as e:  # Keras too warns and goes on for models it cannot describe
            warnings.warn(f"TensorBoard: the model's config could not be written ({e}); "
                          "its conceptual graph is left out.", UserWarning, stacklevel=3)
            return
        tb = _summary_events.tensorboard()
        metadata = tb.summary_pb2.SummaryMetadata()
        metadata.plugin_data.plugin_name = tb.graph.PLUGIN_NAME_KERAS_MODEL
        metadata.plugin_data.content = b"1"  # the version of this summary, as Keras writes
        with self._writer("train").as_default(step=0):
            summary.write("keras", config, metadata=metadata)

    def on_train_batch_begin(self, batch, logs=None):
        if self.write_steps_per_second:
            self._batch_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._global_train_batch += 1
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        if not _replicas.is_chief():
            return
        values = {}
        if self.write_steps_per_second and self._batch_start is not None:
            elapsed = time.perf_counter() - self._batch_start
            values["steps_per_second"] = 1.0 / elapsed if elapsed > 0 else 0.0
        values.update(logs or {})
        self._scalars("train", "batch_", values, self._global_train_batch)

    def on_test_end(self, logs=None):
        opt = getattr(self.model, "optimizer", None)
        if not logs or opt is None or not _replicas.is_chief():
            return
        step = int(opt.iterations.numpy()) if hasattr(opt, "iterations") else \
            self._global_train_batch
        self._scalars("validation", "evaluation_", {f"{k}_vs_iterations": v
                                                    for k, v in logs.items()}, step)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._epoch_batches = self._global_train_batch

    def on_epoch_end(self, epoch, logs=None):
        if not _replicas.is_chief():
            return
        logs = logs or {}
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        opt = getattr(self.model, "optimizer", None)
        if opt is not None and "learning_rate" not in train:
            lr = opt.learning_rate
            train["learning_rate"] = float(lr.numpy() if hasattr(lr, "numpy") else lr)
        if self.write_steps_per_second and self._epoch_start is not None:
            elapsed = time.perf_counter() - self._epoch_start
            steps = self._global_train_batch - self._epoch_batches
            train["steps_per_second"] = steps / elapsed if elapsed > 0 else 0.0
        self._scalars("train", "epoch_", train, epoch)
        if val:
            self._scalars("validation", "epoch_", val, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)

    def _weight_tag(self, weight):
        # NOTE: Keras 3 builds the layers of Sequential and subclassed models inside the
        # model's name scope, so their weights' paths start with the model's name; a
        # functional model's layers are built before the model, and theirs do not.
        path = getattr(weight, "path", None) or weight.name.split(":")[0]
        if type(self.model).__name__ != "Functional" and \
                not path.startswith(self.model.name + "/"):
            path = f"{self.model.name}/{path}"
        return path.replace(":", "_")

    def _log_weights(self, epoch):
        with self._writer("train").as_default(step=epoch):
            for layer in self.model.layers:
                for weight in layer.weights:
                    tag = self._weight_tag(weight)
                    summary.histogram(tag + "/histogram", weight)
                    if self.write_images:
                        self._weight_image(tag + "/image", weight)

    @staticmethod
    def _weight_image(tag, weight):
        """A weight as Keras 3 shows it: a bias as one column, a matrix with its longer side
        across, a 3-D kernel as one grey image per output channel; others are left out."""
        w = np.squeeze(np.asarray(weight.numpy()))
        if w.ndim == 1:
            w = w.reshape(1, w.shape[0], 1, 1)
        elif w.ndim == 2:
            if w.shape[0] > w.shape[1]:
                w = w.T
            w = w.reshape(1, w.shape[0], w.shape[1], 1)
        elif w.ndim == 3:
            w = np.transpose(w, (2, 0, 1))[..., None]
        if w.ndim == 4 and w.shape[-1] in (1, 3, 4):
            summary.image(tag, w)

    def on_train_end(self, logs=None):
        for w in self._writers.values():
            w.close()
        self._writers = {}


class SwapEMAWeights(Callback):
    """Evaluate (and, with ``swap_on_epoch``, checkpoint) with the optimizer's moving
    averages of the weights: the model's weights and their averages are swapped before
    evaluation and swapped back after. Needs an optimizer with ``use_ema=True``."""

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _optimizer(self):
        opt = self.model.optimizer
        opt = getattr(opt, "inner_optimizer", opt)
        if not getattr(opt, "use_ema", False):
            raise ValueError("SwapEMAWeights must be used when `use_ema=True` is set on the "
                             f"optimizer. Received: use_ema={getattr(opt, 'use_ema', None)}")
        return opt

    def _swap(self):
        self._optimizer()._swap_moving_average()

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = False

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = True
            if epoch == self.params.get("epochs", 0) - 1:
                opt = self._optimizer()
                for var, avg in opt._ema.values():  # the averages are now the model's
                    avg[...] = var._v

    def on_test_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = True

    def on_test_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap()
        self._ema_weights_in_model = False


class RemoteMonitor(Callback):
    """POST each epoch's logs (with ``epoch``) to ``root + path``: as a form field ``field``
    holding JSON, or as a JSON body with ``send_as_json``. Uses the standard library's
    ``urllib``; an unreachable server gives a warning, not an error."""

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data",
                 headers=None, send_as_json=False):
        super().__init__()
        self.root, self.path, self.field = root, path, field
        self.headers, self.send_as_json = headers, send_as_json

    def on_epoch_end(self, epoch, logs=None):
        import urllib.error  # deferred: only RemoteMonitor talks HTTP
        import urllib.parse  # deferred: only RemoteMonitor talks HTTP
        import urllib.request  # deferred: only RemoteMonitor talks HTTP

        send = {"epoch": epoch}
        for k, v in (logs or {}).items():
            send[k] = v.item() if isinstance(v, (np.ndarray, np.generic)) else _float(v)
        headers = dict(self.headers or {})
        if self.send_as_json:
            body = json.dumps(send).encode()
            headers.setdefault("Content-Type", "application/json")
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        request = urllib.request.Request(self.root + self.path, data=body, headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except (urllib.error.URLError, OSError, ValueError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}",
                          stacklevel=2)
