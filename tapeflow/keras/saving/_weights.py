"""Weights files in Keras 3's layout (``.weights.h5``), ``.safetensors`` and ``.npz``: the
path of every layer's variables, the optimizer's state, and the readers and writers."""
import contextlib
import hashlib
import json
import os
import re
import warnings

from ..._io import Refused, atomic_open, atomic_path, load_npz, require_regular_file
from ...backend import host as np
from ...backend import to_host, xp_of
from ..layers.base import Layer
from . import _safetensors

# NOTE: tapeflow attributes that hold layers Keras keeps elsewhere (``layers`` is walked
# first for Sequential/Functional, as Keras does), so paths match Keras's files.
_INTERNAL = frozenset(["_layers_list", "_functional_layers", "output_names", "input_names",
                       "_inbound_nodes"])


def to_snake_case(name):
    """Keras's ``naming.to_snake_case`` (``RMSprop`` -> ``rm_sprop``), used in weight paths."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _join(path, name):
    return f"{path}/{name}" if path else name


def _own_vars(layer):
    own = layer._own_variables()
    return [v for v in own if v.trainable] + [v for v in own if not v.trainable]


def layer_groups(model):
    """``[(group path, layer name, [Variables])]`` in Keras 3's ``.weights.h5`` layout: each
    layer's own variables under ``<attribute path>/vars``, containers named by snake-cased
    class with a counter, an object reached twice saved once (first in sorted order)."""
    return [(_join(path, "vars"), obj.name, _own_vars(obj)) for path, obj in layer_paths(model)]


def layer_paths(model):
    """``[(attribute path, layer)]``: where Keras 3 keeps each layer's state in a ``.keras``
    file (``<path>/vars`` in the weights, ``assets/<path>/`` for asset files), the model at
    ``''``."""
    from ..models.model import Model  # cycle: keras.models imports keras.saving

    out, visited = [], set()

    def save(obj, path):
        visited.add(id(obj))
        out.append((path, obj))
        for attr, child in children(obj):
            if isinstance(child, Layer):
                if id(child) not in visited:
                    save(child, _join(path, attr))
            elif isinstance(child, (list, tuple, dict)):
                container(child, _join(path, attr))

    def container(items, path):
        used = {}
        for item in (items.values() if isinstance(items, dict) else items):
            if not isinstance(item, Layer):
                continue
            # NOTE: as Keras 3, a layer already saved elsewhere still takes its name's
            # counter (a subclassed model's ``self.hidden`` saved at 'hidden' makes the next
            # Dense in ``layers`` 'dense_1')
            name = to_snake_case(type(item).__name__)
            if name in used:
                used[name] += 1
                name = f"{name}_{used[name]}"
            else:
                used[name] = 0
            if id(item) not in visited:
                save(item, _join(path, name))

    def children(obj):
        d = obj.__dict__
        names = [n for n in d.get("_tracked", ()) if n in d and n not in _INTERNAL]
        items = [(n, d[n]) for n in names]
        if isinstance(obj, Model):
            items.append(("layers", obj.layers))
        items.sort(key=lambda item: item[0])
        if type(obj).__name__ in ("Sequential", "Functional") or any(
                c.__name__ in ("Sequential", "Functional") for c in type(obj).__mro__):
            items = [("layers", obj.layers)] + [i for i in items if i[0] != "layers"]
        return items

    save(model, "")
    return out


# -- optimizer state ---------------------------------------------------------------------------
def _slot_groups(opt, n):
    """Keras 3's order of slot variables: per group, every variable's slots interleaved."""
    name = type(opt).__name__
    if name == "RMSprop":
        return [[i] for i in range(n)]
    if name in ("Adam", "AdamW") and n == 3:  # amsgrad's velocity_hat comes after
        return [[0, 1], [2]]
    return [list(range(n))]


def _slot_layout(opt, var_list):
    """``[(variable index, slot index)]`` in Keras's order, and whether Nadam's momentum
    product follows."""
    per_variable = getattr(opt, "_keras_slot_order", None)
    if per_variable is not None:  # slot counts differ between variables (Muon)
        return per_variable(var_list), False
    n = len(opt._slots(var_list[0])) if var_list else 0
    layout = [(j, i) for group in _slot_groups(opt, n) for j in range(len(var_list))
              for i in group]
    return layout, type(opt).__name__ == "Nadam"


def optimizer_arrays(opt, var_list):
    """The optimizer's state as arrays in Keras's ``optimizer.variables`` order:
    ``iterations``, ``learning_rate``, then the slots (plus Nadam's momentum product)."""
    arrays = [to_host(opt.iterations._v), to_host(opt._lr._v)]
    if hasattr(opt, "_inner_optimizers"):  # MultiOptimizer: then each inner one's, in order
        for inner, variables, _ in opt._groups(list(var_list)):
            arrays.extend(optimizer_arrays(inner, variables))
        return arrays
    if not opt._state:  # never stepped: Keras writes only the two scalars too
        return arrays
    opt.build(var_list)
    layout, nadam = _slot_layout(opt, var_list)
    arrays.extend(to_host(opt._state[id(var_list[j])][1][i]) for j, i in layout)
    if nadam:
        arrays.append(np.asarray(opt._u_product, np.float32))
    return arrays


def set_optimizer_arrays(opt, var_list, arrays, where="the file"):
    """Restore what ``optimizer_arrays`` wrote; False (with a warning) when it does not fit."""
    arrays = list(arrays)
    if hasattr(opt, "_inner_optimizers"):
        return _set_multi_arrays(opt, var_list, arrays, where)
    layout, nadam = _slot_layout(opt, var_list)
    slots = [opt._slots(v) for v in var_list]  # fresh slots: their shapes and dtypes
    # NOTE: a slot's shape need not be its variable's (Adafactor's row/column factors)
    expected = [(), ()] + [tuple(slots[j][i].shape) for j, i in layout] + [()] * nadam
    if len(arrays) == 2:
        expected = expected[:2]
    if len(arrays) != len(expected) or any(
            tuple(a.shape) != e for a, e in zip(arrays, expected)):
        warnings.warn(f"Skipping variable loading for optimizer '{opt.name}', because it has "
                      f"{len(expected)} variables whereas the saved optimizer in {where} has "
                      f"{len(arrays)} variables.", UserWarning, stacklevel=3)
        return False
    opt.iterations._assign_raw(np.asarray(arrays[0], np.int64).reshape(()))
    opt._lr._assign_raw(np.asarray(arrays[1], np.float32).reshape(()))
    if len(arrays) == 2:
        return True
    for (j, i), a in zip(layout, arrays[2:]):
        v = var_list[j]
        slots[j][i] = xp_of(v._v).array(a, dtype=slots[j][i].dtype)
    for v, per_var in zip(var_list, slots):
        opt._state[id(v)] = (v, per_var)
    if nadam:
        opt._u_product = float(arrays[-1])
        opt._u_step = int(opt.iterations._v)
    return True


def _set_multi_arrays(opt, var_list, arrays, where):
    """A MultiOptimizer's arrays: its two scalars, then each inner optimizer's (all stepped,
    or none: Keras writes only the scalars of an optimizer never stepped)."""
    groups = [(inner, variables) for inner, variables, _ in opt._groups(list(var_list))]
    full = []
    for inner, variables in groups:
        layout, nadam = _slot_layout(inner, variables) if variables else ([], False)
        full.append(2 + len(layout) + nadam)
    if len(arrays) == 2 + sum(full):
        counts = full
    elif len(arrays) == 2 + 2 * len(groups):
        counts = [2] * len(groups)
    else:
        warnings.warn(f"Skipping variable loading for optimizer '{opt.name}', because it has "
                      f"{2 + sum(full)} variables whereas the saved optimizer in {where} has "
                      f"{len(arrays)} variables.", UserWarning, stacklevel=3)
        return False
    opt.iterations._assign_raw(np.asarray(arrays[0], np.int64).reshape(()))
    opt._lr._assign_raw(np.asarray(arrays[1], np.float32).reshape(()))
    start, ok = 2, True
    for (inner, variables), n in zip(groups, counts):
        ok = set_optimizer_arrays(inner, variables, arrays[start:start + n], where) and ok
        start += n
    return ok


# -- the store: {"<group>/<i>": array} plus {group: layer name} ---------------------------------
def model_store(model, include_optimizer=True):
    arrays, names = {}, {}
    for group, name, variables in layer_groups(model):
        names[group] = name
        for i, v in enumerate(variables):
            arrays[f"{group}/{i}"] = to_host(v._v)
    opt = model.__dict__.get("optimizer")
    if include_optimizer and opt is not None:
        names["optimizer/vars"] = opt.name
        for i, a in enumerate(optimizer_arrays(opt, model.trainable_variables)):
            arrays[f"optimizer/vars/{i}"] = a
    return arrays, names


def _grouped(arrays):
    groups = {}
    for key, a in arrays.items():
        group, _, index = key.rpartition("/")
        if not index.isdigit():
            continue
        groups.setdefault(group, {})[int(index)] = a
    return {g: [d[i] for i in sorted(d)] for g, d in groups.items()}


def _kind_clash(v, a):
    """A float variable from an integer or bool array (or the reverse): never a saved
    value, always a damaged or foreign file."""
    want = v._v.dtype.kind
    have = np.asarray(a).dtype.kind
    return (want == "f") != (have == "f")


def load_store(model, arrays, names, path, skip_mismatch=False, by_name=False):
    """Assign the store to ``model`` after checking all of it (nothing half-loaded)."""
    groups = _grouped(arrays)
    opt_arrays = groups.pop("optimizer/vars", None)
    if by_name:
        by_layer = {names.get(g, g): vs for g, vs in groups.items()}
    assignments, used, problems = [], set(), []
    for group, name, variables in layer_groups(model):
        key = name if by_name else group
        saved = by_layer.get(key) if by_name else groups.get(key)
        if saved is None:
            if variables and not by_name:
                problems.append(f"layer '{name}' (path '{group}') has {len(variables)} "
                                "variables but the file has none for it")
            continue
        used.add(key)
        if len(saved) != len(variables):
            problems.append(f"layer '{name}' expects {len(variables)} variables, the file has "
                            f"{len(saved)} for '{key}'")
            continue
        for v, a in zip(variables, saved):
            if not isinstance(a, _Declared) and _kind_clash(v, a):
                problems.append(f"dtype mismatch in layer '{name}' for variable '{v.name}': "
                                f"the model has {v.dtype.name}, the file has {a.dtype}")
                break
            if tuple(a.shape) != tuple(v.shape):
                problems.append(f"shape mismatch in layer '{name}' for variable '{v.name}': "
                                f"the model has {tuple(v.shape)}, the file has "
                                f"{tuple(a.shape)}")
                break
        else:
            assignments.extend(zip(variables, saved))
    if not by_name:
        extra = [g for g in groups if g not in used and groups[g]]
        problems += [f"the file has variables at '{g}' (layer '{names.get(g, '?')}') that the "
                     "model does not" for g in extra]
    if problems:
        text = f"while loading weights from '{path}': " + "; ".join(problems)
        if not skip_mismatch:
            raise ValueError("Mismatch " + text + ". Pass skip_mismatch=True to load what "
                             "matches.")
        warnings.warn("Skipped " + text, UserWarning, stacklevel=3)
    for v, a in assignments:
        xp = xp_of(v._v)
        v._assign_raw(xp.array(a, dtype=v._v.dtype))
    opt = model.__dict__.get("optimizer")
    if opt_arrays is not None and opt is not None:
        set_optimizer_arrays(opt, model.trainable_variables, opt_arrays, where=f"'{path}'")


# -- formats ---------------------------------------------------------------------------------
def format_of(path):
    path = os.fspath(path)
    if path.endswith(".h5") or path.endswith(".hdf5"):
        return "h5"
    if path.endswith(".safetensors"):
        return "safetensors"
    if path.endswith(".npz"):
        return "npz"
    raise ValueError(f"Unknown weights format for '{path}'. The filename must end in "
                     "`.weights.h5`, `.safetensors` or `.npz`.")


def require_h5py():
    try:
        import h5py  # optional: the [h5] extra
    except ImportError:
        raise ImportError("Reading and writing `.h5` files needs h5py: "
                          "`pip install tapeflow[h5]` (or use `.safetensors`/`.npz`).") from None
    return h5py


# each dataset tapeflow writes carries the SHA-256 of its bytes (C order, as stored), so a
# flipped bit in the file is an error naming the variable; Keras's files have none and load
_DIGEST = "tapeflow_sha256"
_MAX_DEPTH = 32
_MAX_OBJECTS = 100_000


def _digest(a):
    """SHA-256 of the array's dtype, shape and bytes: a flip that turns float32 into uint32
    leaves the bytes alone but not the digest."""
    a = np.ascontiguousarray(a)
    h = hashlib.sha256(f"{a.dtype.str}{list(a.shape)}".encode())
    h.update(a.tobytes())
    return h.hexdigest()


def write_h5(f, arrays, names):
    h5py = require_h5py()
    with h5py.File(f, "w") as h:
        for group in sorted(names):
            g = h.require_group(group)
            g.attrs["name"] = names[group]
        for key in sorted(arrays, key=_key_order):
            group, _, index = key.rpartition("/")
            a = np.asarray(arrays[key])
            ds = h.require_group(group).create_dataset(index, data=a)
            ds.attrs[_DIGEST] = _digest(a)


def _key_order(key):
    group, _, index = key.rpartition("/")
    return (group, int(index) if index.isdigit() else -1, index)


def read_h5(path, check=None):
    """``({key: array}, {group: layer name})`` from a weights ``.h5``.

    NOTE: a corrupt file can send the HDF5 library (C code no signal interrupts) into an
    endless loop, e.g. reading the attributes of a damaged group. On POSIX the file is
    therefore read in a forked child with a deadline (10 s plus 1 s per 20 MB): the arrays
    come back in ``.npy`` form over a pipe (no pickles), and a child that does not finish
    is killed and the file reported as corrupt.
    """
    if hasattr(os, "fork") and isinstance(path, (str, os.PathLike)) and not _IN_CHILD:
        return _read_h5_isolated(os.fspath(path), check)
    return _read_h5_here(path, check)


_IN_CHILD = False


def _read_h5_isolated(path, check):
    import io  # deferred: only this path needs it

    require_regular_file(path, "weights file")

    def work():
        arrays, names = _read_h5_here(path, check)
        head, blobs = {"names": names, "arrays": []}, []
        for key, a in arrays.items():
            if isinstance(a, _Declared):
                head["arrays"].append([key, "declared", list(a.shape)])
                continue
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(a), allow_pickle=False)
            head["arrays"].append([key, "array", len(buf.getvalue())])
            blobs.append(buf.getvalue())
        return head, blobs

    head, data = _in_forked_child(path, work, "weights file (HDF5)")
    arrays, at = {}, 0
    for key, kind, info in head["arrays"]:
        if kind == "declared":
            arrays[key] = _Declared(tuple(info))
            continue
        arrays[key] = np.lib.format.read_array(io.BytesIO(data[at:at + info]),
                                               allow_pickle=False)
        at += info
    return arrays, head["names"]


def isolated_json(path, fn):
    """``fn()`` (which reads the HDF5 file ``path`` and returns JSON-able data) run in a
    forked child with read_h5's deadline, so a damaged file that sends the HDF5 library
    into an endless loop is an error, not a hang; in-process where there is no fork."""
    if not hasattr(os, "fork") or _IN_CHILD:
        return fn()
    value, _ = _in_forked_child(path, lambda: (fn(), []), "HDF5 file")
    return value


def _in_forked_child(path, work, kind):
    """Run ``work()`` (reading the HDF5 file ``path``; it returns JSON-able data and a list
    of byte blobs) in a forked child, within the deadline (10 s plus 1 s per 20 MB, or
    ``TAPEFLOW_H5_READ_TIMEOUT``); returns the data and the blobs joined. The child's error
    comes back as a ValueError (Refused kept); a child that does not finish is killed and
    one that dies is reported, both naming the file as not a valid ``kind``."""
    import select  # deferred: only this path needs them
    import signal
    import struct
    import time

    h5py = require_h5py()
    deadline = float(os.environ.get("TAPEFLOW_H5_READ_TIMEOUT", 0)) or (
        10.0 + os.path.getsize(path) / 20e6)
    r, w = os.pipe()
    lock = getattr(getattr(h5py, "_objects", None), "phil", None)
    with lock if lock is not None else contextlib.nullcontext():
        pid = os.fork()
    if pid == 0:
        global _IN_CHILD
        _IN_CHILD = True
        try:
            os.close(r)
            try:
                value, blobs = work()
                head = {"value": value}
            except Refused as e:
                head, blobs = {"error": ["Refused", str(e)]}, []
            except Exception as e:  # reported to the parent, which raises
                head, blobs = {"error": [type(e).__name__, str(e)]}, []
            text = json.dumps(head).encode()
            with os.fdopen(w, "wb") as out:
                out.write(struct.pack("<Q", len(text)) + text)
                for b in blobs:
                    out.write(b)
        finally:
            os._exit(0)
    os.close(w)
    chunks, start = [], time.monotonic()
    try:
        while True:
            left = deadline - (time.monotonic() - start)
            ready, _, _ = select.select([r], [], [], max(left, 0))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                raise ValueError(f"'{path}' is not a valid {kind}: the HDF5 library did not "
                                 f"finish reading it in {deadline:.0f} s (a corrupt file can "
                                 "make it loop forever)")
            chunk = os.read(r, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(r)
        os.waitpid(pid, 0)
    data = b"".join(chunks)
    if len(data) < 8:
        raise ValueError(f"'{path}' is not a valid {kind}: reading it crashed the HDF5 "
                         "library")
    (n,) = struct.unpack("<Q", data[:8])
    head = json.loads(data[8:8 + n])
    if "error" in head:
        name, message = head["error"]
        raise (Refused if name == "Refused" else ValueError)(message)
    return head["value"], data[8 + n:]


def _read_h5_here(path, check=None):
    """``read_h5`` in this process.

    NOTE: data only, from this file only: links to other files (external links), soft links,
    datasets stored in other files (``external=``) or mapping them (virtual datasets), and
    non-numeric dtypes are refused; the walk is bounded in depth and object count; each
    dataset's declared shape goes to ``check(key, shape, dtype)`` before a byte is read;
    tapeflow's own digests are verified.
    """
    h5py = require_h5py()
    if isinstance(path, (str, bytes, os.PathLike)):
        require_regular_file(path, "weights file")
    arrays, names = {}, {}
    count = [0]

    def walk(group, prefix, depth):
        if depth > _MAX_DEPTH:
            raise ValueError(f"groups nest deeper than {_MAX_DEPTH} levels at '{prefix}'")
        for key in list(group.keys()):
            count[0] += 1
            if count[0] > _MAX_OBJECTS:
                raise ValueError(f"more than {_MAX_OBJECTS} objects")
            name = f"{prefix}/{key}" if prefix else key
            link = group.get(key, getlink=True)
            if not isinstance(link, h5py.HardLink):
                raise ValueError(f"entry '{name}' is a link ({type(link).__name__}) to "
                                 "elsewhere; weights files hold their data themselves")
            obj = group[key]
            if isinstance(obj, h5py.Group):
                if key == "vars":
                    label = obj.attrs.get("name", name)
                    names[name] = label.decode() if isinstance(label, bytes) else str(label)
                walk(obj, name, depth + 1)
                continue
            if not isinstance(obj, h5py.Dataset) or obj.dtype.kind not in "biuf":
                raise ValueError(f"entry '{name}' is not a numeric array")
            if obj.is_virtual or obj.external:
                raise ValueError(f"entry '{name}' keeps its data in another file "
                                 f"({'virtual dataset' if obj.is_virtual else 'external storage'})"
                                 "; refusing to read outside the weights file")
            verdict = True if check is None else check(name, tuple(obj.shape), obj.dtype)
            if verdict is not True:
                if verdict is not False:
                    arrays[name] = verdict
                continue
            a = obj[()]
            want = obj.attrs.get(_DIGEST)
            if want is not None:
                want = want.decode() if isinstance(want, bytes) else str(want)
                if _digest(a) != want:
                    layer = names.get(prefix)
                    of = f" (layer '{layer}', variable {key})" if layer else ""
                    raise ValueError(f"dataset '{name}'{of} does not match its SHA-256 digest "
                                     "(the file is corrupt: a changed byte, not a different "
                                     "model)")
            arrays[name] = a

    try:
        with h5py.File(path, "r") as h:
            walk(h, "", 0)
    except Refused:
        raise
    except (OSError, ValueError, KeyError, RuntimeError, TypeError, RecursionError) as e:
        raise ValueError(f"'{path}' is not a valid weights file (HDF5): {e}") from None
    return arrays, names


def write_npz(f, arrays, names):
    # NOTE: `.npz` is the plain format: one array per layer variable keyed by its Keras path,
    # no layer names and no optimizer state (use `.weights.h5`, `.safetensors` or `.keras`
    # for those), so any NumPy reads it as it is.
    np.savez(f, **{k: a for k, a in arrays.items() if not k.startswith("optimizer/")})


def read_npz(path, check=None):
    arrays = load_npz(path, f"'{path}'", "is not a valid .npz weights file", check)
    names = {}
    if arrays and not any("/" in k for k in arrays):  # the first format: arr_0000, ...
        names = {"__flat__": "flat"}
    return arrays, names


def write_safetensors(f, arrays, names):
    _safetensors.write(f, arrays, {"format": "tapeflow", "names": json.dumps(names)})


def read_safetensors(path, check=None):
    arrays, meta = _safetensors.read(path, check)
    try:
        names = json.loads(meta.get("names", "{}"))
    except ValueError:
        names = {}
    return arrays, names


_WRITERS = {"h5": write_h5, "npz": write_npz, "safetensors": write_safetensors}
_READERS = {"h5": read_h5, "npz": read_npz, "safetensors": read_safetensors}


def write_store(path, arrays, names, fmt=None):
    fmt = fmt or format_of(path)
    if fmt == "h5":
        require_h5py()
        with atomic_path(path, suffix=".h5") as tmp:
            write_h5(tmp, arrays, names)
    else:
        with atomic_open(path) as f:
            _WRITERS[fmt](f, arrays, names)


def read_store(path, fmt=None, check=None):
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such weights file: '{path}'")
    return _READERS[fmt or format_of(path)](path, check)


class _Declared:
    """Stands for an array whose declared shape already rules it out: it is never read."""

    def __init__(self, shape):
        self.shape = shape


def shape_check(model, path, skip_mismatch=False):
    """``check(key, shape, dtype)`` for the readers: an array whose declared shape no
    variable of ``model`` (or of its optimizer's state) has is refused before it is read,
    and the arrays together may not declare more than the model could hold (4x its
    variables' size: weights plus an optimizer's slots), so no file allocates more than its
    model needs. With ``skip_mismatch`` such an array is left out instead (load_store
    then reports it as missing)."""
    variables = list(model.weights)
    opt = model.__dict__.get("optimizer")
    if opt is not None:
        variables += list(getattr(opt, "variables", []) or [])
    shapes = {tuple(v.shape) for v in variables} | {(), (1,)}
    if opt is not None and model.built and hasattr(opt, "_slots"):
        # slots shaped unlike their variable (Adafactor's factors) are the optimizer's too
        inner = getattr(opt, "_optimizer_of", lambda v: opt)  # MultiOptimizer: per variable
        shapes |= {tuple(a.shape) for v in model.trainable_variables
                   for a in inner(v)._slots(v)}
    expected = {f"{group}/{i}": tuple(v.shape) for group, _, vs in layer_groups(model)
                for i, v in enumerate(vs)} if model.built else {}
    budget = 4 * sum(int(np.prod(v.shape)) * 8 for v in variables) + (1 << 20)
    used = [0]

    def check(key, shape, dtype):
        want = expected.get(key)
        if want is not None and want != shape:
            return _Declared(shape)  # load_store names the layer and both shapes
        if model.built and variables and shape not in shapes:
            if skip_mismatch:
                return False
            raise Refused(f"'{path}': array '{key}' declares shape {shape}, which no variable "
                          "of the model has; refusing to read it (the file does not belong "
                          "to this model or is corrupt)")
        used[0] += int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if used[0] > budget:
            raise Refused(f"'{path}': the arrays declare more data ({used[0]} bytes so far, at "
                          f"'{key}') than the model's variables need ({budget} bytes at most); "
                          "refusing to read it")
        return True

    return check


def save_weights(model, path, overwrite=True):
    path = os.fspath(path)
    fmt = format_of(path)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"'{path}' exists and overwrite=False")
    arrays, names = model_store(model)
    write_store(path, arrays, names, fmt)


def load_weights(model, path, skip_mismatch=False, by_name=False):
    arrays, names = read_store(path, check=shape_check(model, path, skip_mismatch))
    if by_name and not names:
        raise ValueError(f"by_name=True needs layer names, which '{path}' does not store "
                         "(`.npz` keeps arrays by path only); use `.weights.h5` or "
                         "`.safetensors`.")
    if names.get("__flat__"):
        flat = [arrays[k] for k in sorted(arrays)]
        model.set_weights(flat)
        return
    load_store(model, arrays, names, path, skip_mismatch=skip_mismatch, by_name=by_name)

