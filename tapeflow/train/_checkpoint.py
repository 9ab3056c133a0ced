"""``tf.train.Checkpoint``/``CheckpointManager``: object graphs of variables, modules, Keras
models and optimizers saved as ``<prefix>.npz`` (arrays only) with TF's ``checkpoint`` file."""
import json
import os
import re
import sys
import time

from .._io import atomic_open, load_npz
from ..backend import host as np
from ..backend import to_host, xp_of
from ..module import Module
from ..variable import Variable

# NOTE: TF writes ``<prefix>.index`` + ``<prefix>.data-00000-of-00001`` (protobuf and a
# tensor bundle); tapeflow writes one ``<prefix>.npz`` read with ``allow_pickle=False``. The
# prefix API (save() returns ``dir/ckpt-N``, restore(prefix), the ``checkpoint`` state file,
# latest_checkpoint) matches TF, the bytes on disk do not.
_SUFFIX = ".npz"
_STATE = "checkpoint"


def _is_layer(obj):
    base = sys.modules.get("tapeflow.keras.layers.base")
    return base is not None and isinstance(obj, base.Layer)


def _is_optimizer(obj):
    base = sys.modules.get("tapeflow.keras.optimizers.base")
    return base is not None and isinstance(obj, base.Optimizer)


class _Graph:
    """The checkpoint's object graph flattened: ``{key: Variable}``, the Keras models that
    are not built yet, and the optimizers with their keys."""

    def __init__(self, objects):
        self.variables, self.unbuilt, self.optimizers = {}, [], []
        self._seen = set()
        # optimizers passed by name first, so a model's own optimizer keeps that name
        for name in sorted(objects, key=lambda n: (not _is_optimizer(objects[n]), n)):
            self._add(objects[name], name)

    def _add(self, obj, key):
        if isinstance(obj, Variable):
            if id(obj) not in self._seen:
                self._seen.add(id(obj))
                self.variables[key] = obj
        elif _is_layer(obj):
            from ..keras.saving._weights import layer_groups  # deferred: tf.train loads no keras

            if not obj.built:
                self.unbuilt.append(obj)
            for group, _, variables in layer_groups(obj):
                for i, v in enumerate(variables):
                    self._add(v, f"{key}/{group}/{i}")
            opt = obj.__dict__.get("optimizer") if hasattr(obj, "compiled") else None
            if opt is not None:
                self._add(opt, f"{key}/optimizer")
        elif _is_optimizer(obj):
            if id(obj) not in self._seen:
                self._seen.add(id(obj))
                self.optimizers.append((key, obj))
        elif isinstance(obj, (Module, Checkpoint)):
            items = obj._objects if isinstance(obj, Checkpoint) else {
                k: v for k, v in vars(obj).items() if k not in obj._TF_MODULE_IGNORED}
            for name in sorted(items):
                self._add_child(items[name], f"{key}/{name}")
        else:
            raise ValueError(f"Checkpoint was expecting a trackable object (a Variable, a "
                             f"tf.Module or Keras layer/model, an optimizer or a Checkpoint) "
                             f"for '{key}'. Received: {type(obj).__name__}")

    def _add_child(self, value, key):
        if isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                self._add_child(v, f"{key}/{i}")
        elif isinstance(value, dict):
            for k in sorted(value, key=str):
                self._add_child(value[k], f"{key}/{k}")
        elif isinstance(value, (Variable, Module, Checkpoint)) or _is_optimizer(value):
            self._add(value, key)

    def path_of(self):
        return {id(v): k for k, v in self.variables.items()}


def _optimizer_arrays(key, opt, paths):
    out = {f"{key}/iterations": to_host(opt.iterations._v), f"{key}/learning_rate":
           to_host(opt._lr._v)}
    for var, slots in opt._state.values():
        path = paths.get(id(var))
        if path is None:
            continue  # a variable outside the checkpoint: its slots cannot be matched later
        for i, s in enumerate(slots):
            out[f"{key}/slots/{path}/{i}"] = to_host(s)
    if hasattr(opt, "_u_product"):
        out[f"{key}/u_product"] = np.asarray(opt._u_product, np.float64)
    return out


class LoadStatus:
    """What ``restore`` matched: ``assert_consumed()`` fails when anything was left over."""

    def __init__(self, path, unused, missing, deferred=False):
        self.path, self.unused, self.missing, self.deferred = path, unused, missing, deferred

    def assert_consumed(self):
        if self.unused or self.missing:
            raise AssertionError(
                f"Checkpoint '{self.path}' was not fully consumed. Values in the file with no "
                f"matching object: {sorted(self.unused)}; objects with no value in the file: "
                f"{sorted(self.missing)}")
        return self

    def assert_existing_objects_matched(self):
        if self.missing:
            raise AssertionError(f"Objects with no value in checkpoint '{self.path}': "
                                 f"{sorted(self.missing)}")
        return self

    def assert_nontrivial_match(self):
        return self

    def expect_partial(self):
        self.unused, self.missing = [], []
        self.partial = True
        return self

    def run_restore_ops(self, session=None):
        return None

    def initialize_or_restore(self, session=None):
        return None


class Checkpoint:
    """Groups trackable objects (``Checkpoint(model=model, optimizer=opt, step=step)``) so
    ``save``/``restore`` can write and read their state, optimizer slots included."""

    def __init__(self, root=None, **kwargs):
        objects = dict(kwargs)
        if root is not None:
            objects["root"] = root
        for k, v in objects.items():
            if v is None:
                raise ValueError(f"`Checkpoint` was expecting a trackable object for '{k}', "
                                 "got None.")
        self.__dict__["_objects"] = objects
        self.__dict__["save_counter"] = Variable(np.asarray(0, np.int64), trainable=False,
                                                 name="save_counter")

    def __getattr__(self, name):
        objects = self.__dict__.get("_objects", {})
        if name in objects:
            return objects[name]
        raise AttributeError(f"'Checkpoint' object has no attribute {name!r}")

    def __setattr__(self, name, value):
        self.__dict__["_objects"][name] = value

    # -- writing ------------------------------------------------------------------------------
    def _arrays(self):
        graph = _Graph({**self._objects, "save_counter": self.save_counter})
        arrays = {k: to_host(v._v) for k, v in graph.variables.items()}
        paths = graph.path_of()
        for key, opt in graph.optimizers:
            arrays.update(_optimizer_arrays(key, opt, paths))
        return arrays

    def write(self, file_prefix, options=None):
        """Write the state to ``file_prefix`` (no counter, no ``checkpoint`` file)."""
        file_prefix = os.fspath(file_prefix)
        arrays = self._arrays()
        meta = json.dumps({"format": "tapeflow-checkpoint", "version": 1})
        with atomic_open(file_prefix + _SUFFIX) as f:
            np.savez(f, __meta__=np.asarray(meta), **arrays)
        return file_prefix

    def save(self, file_prefix, options=None):
        """Write ``<file_prefix>-<N>`` (N = ``save_counter`` after incrementing it) and point
        the directory's ``checkpoint`` file at it; returns the path."""
        file_prefix = os.fspath(file_prefix)
        self.save_counter._assign_raw(np.asarray(int(self.save_counter._v) + 1, np.int64))
        path = self.write(f"{file_prefix}-{int(self.save_counter._v)}")
        directory = os.path.dirname(path) or "."
        state = _read_state(directory)
        kept = [p for p in state[1] if p != path] + [path]
        _write_state(directory, path, kept)
        return path

    # -- reading ------------------------------------------------------------------------------
    def read(self, save_path, options=None):
        return self.restore(save_path, options)

    def restore(self, save_path, options=None):
        """Assign the values saved at ``save_path`` (a prefix from ``save``). ``None`` does
        nothing. Keras models that are not built yet are restored on their first call."""
        if save_path is None:
            return LoadStatus(None, [], [], deferred=False)
        save_path = os.fspath(save_path)
        arrays = _read_arrays(save_path)
        graph = _Graph({**self._objects, "save_counter": self.save_counter})
        status = self._assign(graph, arrays, save_path)
        for model in graph.unbuilt:
            _restore_after_first_call(model, self, arrays, save_path, status)
        status.deferred = bool(graph.unbuilt)
        return status

    def _assign(self, graph, arrays, save_path):
        used, missing, plan = set(), [], []
        for key, var in graph.variables.items():
            if key not in arrays:
                missing.append(key)
                continue
            a = arrays[key]
            if tuple(a.shape) != tuple(var.shape):
                raise ValueError(f"Shape mismatch restoring '{key}' ({var.name}) from "
                                 f"'{save_path}': the object has {tuple(var.shape)}, the "
                                 f"checkpoint has {tuple(a.shape)}.")
            used.add(key)
            plan.append((var, a))
        by_path = graph.variables
        opt_plans = []
        for key, opt in graph.optimizers:
            slots = {}
            prefix = f"{key}/slots/"
            for k, a in arrays.items():
                if k.startswith(prefix):
                    path, _, i = k[len(prefix):].rpartition("/")
                    var = by_path.get(path)
                    if var is None:
                        continue
                    slots.setdefault(path, {})[int(i)] = a
                    used.add(k)
            for k in (f"{key}/iterations", f"{key}/learning_rate", f"{key}/u_product"):
                if k in arrays:
                    used.add(k)
            if f"{key}/iterations" not in arrays:
                missing.append(f"{key}/iterations")
            opt_plans.append((key, opt, slots))
        for var, a in plan:
            var._assign_raw(xp_of(var._v).array(a, dtype=var._v.dtype))
        for key, opt, slots in opt_plans:
            if f"{key}/iterations" in arrays:
                opt.iterations._assign_raw(np.asarray(arrays[f"{key}/iterations"], np.int64))
            if f"{key}/learning_rate" in arrays and opt._schedule is None:
                opt._lr._assign_raw(np.asarray(arrays[f"{key}/learning_rate"], np.float32))
            if f"{key}/u_product" in arrays:
                opt._u_product = float(arrays[f"{key}/u_product"])
                opt._u_step = int(opt.iterations._v)
            for path, saved in slots.items():
                var = by_path[path]
                fresh = opt._slots(var)
                if sorted(saved) != list(range(len(fresh))):
                    raise ValueError(f"Checkpoint '{save_path}' has {len(saved)} optimizer "
                                     f"slots for '{path}'; {type(opt).__name__} as configured "
                                     f"uses {len(fresh)}.")
                xp = xp_of(var._v)
                opt._state[id(var)] = (var, [xp.array(saved[i], dtype=var._v.dtype)
                                             for i in range(len(fresh))])
        unused = [k for k in arrays if k not in used]
        return LoadStatus(save_path, unused, missing)


def _restore_after_first_call(model, checkpoint, arrays, save_path, status):
    """Restore again once ``model`` has made its variables in its first call.

    NOTE: as TF's deferred restoration: an instance attribute shadows ``call`` once and
    removes itself; the class is untouched.
    """
    if "call" in model.__dict__:
        return
    cls_call = type(model).call

    def call(inputs, *args, **kwargs):
        del model.__dict__["call"]
        cls_call(model, inputs, *args, **kwargs)  # creates the variables
        graph = _Graph({**checkpoint._objects, "save_counter": checkpoint.save_counter})
        again = checkpoint._assign(graph, arrays, save_path)
        if status.unused or status.missing:  # not silenced by expect_partial()
            status.unused, status.missing = again.unused, again.missing
        return cls_call(model, inputs, *args, **kwargs)

    model.__dict__["call"] = call


def _read_arrays(save_path):
    path = save_path + _SUFFIX if not save_path.endswith(_SUFFIX) else save_path
    if not os.path.exists(path):
        raise FileNotFoundError(f"No checkpoint at '{save_path}' (looked for '{path}').")
    arrays = load_npz(path, f"Checkpoint '{path}'", "is corrupt or truncated")
    arrays.pop("__meta__", None)
    return arrays


# -- the ``checkpoint`` state file ---------------------------------------------------------------
_LINE = re.compile(r'^(model_checkpoint_path|all_model_checkpoint_paths|'
                   r'all_model_checkpoint_timestamps|last_preserved_timestamp):\s*"?([^"]*)"?$')


def _read_state(directory):
    """``(latest, [all])`` from ``directory/checkpoint`` (TF's text format), as paths."""
    latest, paths = None, []
    try:
        with open(os.path.join(directory, _STATE), encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return None, []
    for line in lines:
        m = _LINE.match(line.strip())
        if not m:
            continue
        value = m.group(2)
        if m.group(1) in ("model_checkpoint_path", "all_model_checkpoint_paths"):
            full = value if os.path.isabs(value) else os.path.join(directory, value)
            if m.group(1) == "model_checkpoint_path":
                latest = full
            else:
                paths.append(full)
    return latest, paths


def _write_state(directory, latest, paths):
    def rel(p):
        return os.path.relpath(p, directory) if not os.path.isabs(p) or \
            os.path.dirname(os.path.abspath(p)) == os.path.abspath(directory) else p

    lines = [f'model_checkpoint_path: "{rel(latest)}"'] if latest else []
    lines += [f'all_model_checkpoint_paths: "{rel(p)}"' for p in paths]
    with atomic_open(os.path.join(directory, _STATE), "w") as f:
        f.write("\n".join(lines) + "\n")


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The prefix of the newest checkpoint in ``checkpoint_dir`` or None."""
    directory = os.fspath(checkpoint_dir)
    latest, _ = _read_state(directory) if latest_filename is None else (None, [])
    if latest_filename is not None:
        path = os.path.join(directory, latest_filename)
        if os.path.exists(path):
            latest = _read_state_file(path, directory)
    if latest and os.path.exists(latest + _SUFFIX):
        return latest
    return None


def _read_state_file(path, directory):
    with open(path, encoding="utf-8") as f:
        for line in f.read().splitlines():
            m = _LINE.match(line.strip())
            if m and m.group(1) == "model_checkpoint_path":
                v = m.group(2)
                return v if os.path.isabs(v) else os.path.join(directory, v)
    return None


class CheckpointManager:
    """Numbered checkpoints in ``directory``: ``save()`` writes ``ckpt-N``, keeps the newest
    ``max_to_keep`` and records them in the ``checkpoint`` file."""

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
        self._checkpoint = checkpoint
        self._directory = os.fspath(directory)
        self._max_to_keep = max_to_keep
        self._keep_hours = keep_checkpoint_every_n_hours
        self._name = checkpoint_name
        self._step_counter, self._interval = step_counter, checkpoint_interval
        self._init_fn = init_fn
        self._last_step = None
        latest, paths = _read_state(self._directory)
        self._paths = [p for p in paths if os.path.exists(p + _SUFFIX)]
        if latest and latest not in self._paths and os.path.exists(latest + _SUFFIX):
            self._paths.append(latest)
        self._last_kept = time.time()

    @property
    def directory(self):
        return self._directory

    @property
    def checkpoints(self):
        return list(self._paths)

    @property
    def latest_checkpoint(self):
        return self._paths[-1] if self._paths else None

    @property
    def checkpoint_interval(self):
        return self._interval

    def save(self, checkpoint_number=None, check_interval=True, options=None):
        """Write the next numbered checkpoint (or None when ``checkpoint_interval`` says it
        is not time yet); older ones beyond ``max_to_keep`` are deleted."""
        if self._interval is not None and check_interval:
            step = int(to_host(getattr(self._step_counter, "_v", self._step_counter)))
            if self._last_step is not None and step < self._last_step + self._interval:
                return None
            self._last_step = step
        counter = self._checkpoint.save_counter
        counter._assign_raw(np.asarray(int(counter._v) + 1, np.int64))
        number = int(counter._v) if checkpoint_number is None else int(
            to_host(getattr(checkpoint_number, "_v", checkpoint_number)))
        os.makedirs(self._directory, exist_ok=True)
        path = self._checkpoint.write(os.path.join(self._directory, f"{self._name}-{number}"))
        self._paths = [p for p in self._paths if p != path] + [path]
        self._sweep()
        _write_state(self._directory, path, self._paths)
        return path

    def _sweep(self):
        if self._max_to_keep is None:
            return
        while len(self._paths) > self._max_to_keep:
            old = self._paths.pop(0)
            if self._keep_hours is not None and time.time() - self._last_kept >= \
                    self._keep_hours * 3600:
                self._last_kept = time.time()
                continue
            try:
                os.unlink(old + _SUFFIX)
            except FileNotFoundError:
                pass

    def restore_or_initialize(self):
        """Restore the latest checkpoint, or run ``init_fn`` when there is none."""
        if self.latest_checkpoint is not None:
            self._checkpoint.restore(self.latest_checkpoint)
            return self.latest_checkpoint
        if self._init_fn is not None:
            self._init_fn()
        return None

    def sync(self):
        return None
