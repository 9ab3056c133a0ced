"""``tf.train.Checkpoint``: object-graph checkpoints in TensorFlow's own file format.

``save``/``write`` produce ``<prefix>.index`` + ``<prefix>.data-00000-of-00001`` with TF's
keys and its ``_CHECKPOINTABLE_OBJECT_GRAPH``, so TensorFlow reads tapeflow's checkpoints and
tapeflow reads TensorFlow's. ``restore`` matches the saved object graph against the Python
objects by local names, as TF does; what is not there yet is restored when it appears
(*deferred restoration*: an attribute assigned later, a Keras layer built on first call).
"""
import os

from .. import module as _module
from ..backend import host as np
from ..backend import to_host, xp_of
from ..dtypes import as_dtype
from ..errors import DataLossError, InvalidArgumentError, NotFoundError
from ..variable import Variable
from . import _bundle, _files
from ._tracking import (
    Graph,
    Leaf,
    _Node,
    attribute_of,
    children,
    is_layer,
    is_optimizer,
    is_trackable,
    optimizer_children,
    value_of,
)

# -- the object graph proto (TrackableObjectGraph) -------------------------------------------------
_B, _I = _bundle.field_bytes, _bundle.field_int


def _encode_graph(graph, values):
    keyed = {node: (key, value) for key, (node, value) in values.items()}
    has = [False] * len(graph.objects)
    for i in range(len(graph.objects) - 1, -1, -1):
        has[i] = i in keyed or any(has[j] for j, _ in graph.edges[i] if j > i)
    out = []
    for i, edges in enumerate(graph.edges):
        node = b"".join(_B(1, _I(1, j) + _B(2, name)) for j, name in edges)
        if i in keyed:
            key, value = keyed[i]
            node += _B(2, _B(1, attribute_of(value)) + _B(2, value.name) + _B(3, key))
        node += _B(5, _I(1, 1) if has[i] else b"")
        out.append(_B(1, node))
    return b"".join(out)


class _SavedNode:
    __slots__ = ("children", "attributes", "has_values")

    def __init__(self, children_, attributes, has_values):
        self.children, self.attributes, self.has_values = children_, attributes, has_values


def _decode_graph(blob, where):
    try:
        nodes = []
        for raw in _bundle.decode(blob).get(1, []):
            f = _bundle.decode(raw)
            kids = []
            for ref in f.get(1, []):
                r = _bundle.decode(ref)
                kids.append((r.get(1, [0])[0], r.get(2, [b""])[0].decode("utf-8")))
            attrs = []
            for a in f.get(2, []):
                t = _bundle.decode(a)
                attrs.append(tuple(t.get(k, [b""])[0].decode("utf-8") for k in (1, 2, 3)))
            has = f.get(5)
            has = bool(_bundle.decode(has[0]).get(1, [0])[0]) if has else None
            nodes.append(_SavedNode(kids, attrs, has))
    except (ValueError, UnicodeDecodeError) as e:
        raise DataLossError(None, None, f"{where}: corrupt object graph ({e})") from None
    for node in nodes:
        if any(not 0 <= j < len(nodes) for j, _ in node.children):
            raise DataLossError(None, None, f"{where}: the object graph refers to a node that "
                                "does not exist")
    return nodes


def _saved_paths(nodes):
    paths, queue = {0: []}, [0]
    for i in queue:
        for j, name in nodes[i].children:
            if j not in paths:
                paths[j] = paths[i] + [name]
                queue.append(j)
    return paths


# -- restoring -------------------------------------------------------------------------------------
def _lookup(kids, name):
    if name in kids:
        return kids[name]
    alt = name[1:] if name.startswith("_") else "_" + name
    return kids.get(alt)


class _Restore:
    """One ``restore()``: which saved node each Python object is bound to, and what is still
    waiting for its object to appear."""

    def __init__(self, path, reader, nodes):
        self.path, self.reader, self.nodes = path, reader, nodes
        self.bound, self.assigned = {}, set()  # saved node -> object; nodes restored
        self.matched, self.assigned_vars = set(), set()  # ids of Python objects (variables)
        self.node_of = {}  # id(object) -> saved node id
        self.optimizers = {}  # id(opt) -> (opt, node id), until their slots are restored
        self.waiting = {}  # id(object) -> object with saved children not matched yet
        self.has = self._has_values()

    def _has_values(self):
        nodes = self.nodes
        has = [bool(n.attributes) for n in nodes]
        changed = True
        while changed:
            changed = False
            for i, n in enumerate(nodes):
                if not has[i] and any(has[j] for j, _ in n.children):
                    has[i] = changed = True
        return has

    def match(self, node, obj):
        queue = [(node, obj)]
        for sid, obj in queue:
            self.bound[sid] = obj
            if not isinstance(obj, (Leaf, _Node)):  # transient wrappers have no lasting id
                self.matched.add(id(obj))
            self.node_of[id(obj)] = sid
            value = value_of(obj)
            if value is not None and (id(value) not in self.assigned_vars if isinstance(
                    value, Variable) else sid not in self.assigned):
                self._assign(sid, value)
            kids = dict(children(obj))
            missing = False
            for cid, name in self.nodes[sid].children:
                child = _lookup(kids, name)
                if child is None:
                    missing = missing or self.has[cid]
                elif self.bound.get(cid) is not child:
                    queue.append((cid, child))
            if is_optimizer(obj):
                self.optimizers[id(obj)] = (obj, sid)
            if missing:
                self._wait(obj)
            elif id(obj) in self.waiting:
                self._done_waiting(obj)
        self._finish_optimizers()

    def _assign(self, sid, value):
        attrs = {a[0]: a[2] for a in self.nodes[sid].attributes}
        key = attrs.get(attribute_of(value))
        if key is None:
            return
        entry = self.reader.entries.get(key)
        saved_shape = tuple(entry.shape) if entry is not None else None
        if isinstance(value, Variable) and saved_shape is not None and \
                saved_shape != tuple(value.shape):  # before a byte of it is read
            raise ValueError(f"Received incompatible tensor with shape {saved_shape} "
                             "when attempting to restore variable with shape "
                             f"{tuple(value.shape)} and name {value.name}.")
        array = self.reader.tensor(key)
        if isinstance(value, Variable):
            want = np.dtype(value._v.dtype)
            if array.dtype != want:
                raise InvalidArgumentError(
                    None, "RestoreV2", f"tensor_name = {key}; expected dtype {_tf_name(want)} "
                    f"does not equal original dtype {_tf_name(array.dtype)} [Op:RestoreV2] "
                    f"(checkpoint '{self.path}')")
            value._assign_raw(xp_of(value._v).asarray(array, dtype=want))
            self.assigned_vars.add(id(value))
        else:
            if tuple(array.shape) != tuple(value.shape):
                raise ValueError(f"Received incompatible tensor with shape {tuple(array.shape)} "
                                 f"when attempting to restore {value.name} with shape "
                                 f"{tuple(value.shape)} from '{self.path}' ('{key}').")
            value.set(array)
        self.assigned.add(sid)

    # deferred restoration: attributes assigned later, Keras layers built on first call
    def _wait(self, obj):
        if id(obj) in self.waiting:
            return
        if isinstance(obj, Checkpoint):
            self.waiting[id(obj)] = obj
            obj.__dict__["_deferred_restore"] = self.rematch
        elif isinstance(obj, _module.Module):
            self.waiting[id(obj)] = obj
            _module.wait_for_attributes(obj, self.rematch)
            if is_layer(obj) and hasattr(obj, "call") and not obj.built:
                _rematch_after_first_call(obj, self)

    def _done_waiting(self, obj):
        del self.waiting[id(obj)]
        if obj.__dict__.get("_deferred_restore") == self.rematch:
            if isinstance(obj, Checkpoint):
                del obj.__dict__["_deferred_restore"]
            else:
                _module.stop_waiting(obj)

    def rematch(self, obj, name=None):
        sid = self.node_of.get(id(obj))
        if sid is not None:
            self.match(sid, obj)

    def _finish_optimizers(self):
        from ..keras.saving._weights import _slot_layout  # deferred: tf.train loads no keras

        for key, (opt, sid) in list(self.optimizers.items()):
            saved = dict((name, cid) for cid, name in self.nodes[sid].children)
            tv = saved.get("_trainable_variables")
            sv = saved.get("_variables")
            if tv is None or sv is None:
                del self.optimizers[key]
                continue
            var_nodes = [cid for cid, _ in self.nodes[tv].children]
            slot_nodes = dict((name, cid) for cid, name in self.nodes[sv].children)
            var_list = [self.bound.get(cid) for cid in var_nodes]
            if not var_list or not all(isinstance(v, Variable) for v in var_list):
                if not var_list:
                    del self.optimizers[key]
                continue  # the model's variables appear later (deferred)
            opt.build(var_list)
            layout, nadam = _slot_layout(opt, var_list)
            named = dict(optimizer_children(opt))
            kids = named["_variables"]
            for idx in range(2, 2 + len(layout)):
                cid = slot_nodes.get(str(idx))
                if cid is not None and idx < len(kids):
                    self._bind(cid, kids[idx])
            if nadam and "_u_product" in saved and "_u_product" in named:
                self._bind(saved["_u_product"], named["_u_product"])
            del self.optimizers[key]

    def _bind(self, sid, value):
        self.bound[sid] = value
        if sid not in self.assigned:
            self._assign(sid, value)


def _tf_name(dtype):
    """TF's own spelling of a dtype in its kernels' messages (``float``, ``double``)."""
    return {"float32": "float", "float64": "double", "float16": "half"}.get(dtype.name,
                                                                              dtype.name)


def _rematch_after_first_call(model, session):
    """A Keras model that is not built makes its variables in its first call: restore them
    then, and compute that first call again with the restored values."""
    if "call" in model.__dict__:
        return
    cls_call = type(model).call

    def call(inputs, *args, **kwargs):
        del model.__dict__["call"]
        cls_call(model, inputs, *args, **kwargs)  # creates the variables
        session.rematch(model)
        return cls_call(model, inputs, *args, **kwargs)

    model.__dict__["call"] = call


# -- load status -----------------------------------------------------------------------------------
def _describe(node):
    return " ".join(f'attributes {{ name: "{n}" full_name: "{f}" checkpoint_key: "{k}" }}'
                    for n, f, k in node.attributes)


class CheckpointLoadStatus:
    """What ``restore`` matched. ``assert_consumed()`` fails when a saved value found no
    object or an object found no saved value; ``expect_partial()`` silences that."""

    def __init__(self, session, root):
        self._session, self._root = session, root

    def _unbound_objects(self):
        bound = self._session.matched
        graph = Graph(self._root)
        out = []
        for obj in graph.objects[1:]:
            if isinstance(obj, Variable) or (value_of(obj) is not None and
                                             not type(value_of(obj)).__name__ == "Leaf"):
                if id(obj) not in bound:
                    out.append(obj)
        return out

    def _unmatched_objects_error(self, objects):
        shown = ", ".join(repr(o) for o in objects[:10])
        return AssertionError(
            f"Found {len(objects)} Python objects that were not bound to checkpointed values, "
            "likely due to changes in the Python program. Showing "
            f"{min(len(objects), 10)} of {len(objects)} unmatched objects: [{shown}]")

    def assert_consumed(self):
        self.assert_existing_objects_matched()  # first, as TF
        s = self._session
        paths = _saved_paths(s.nodes)
        for sid, node in enumerate(s.nodes):
            if node.attributes and sid not in s.assigned:
                where = ".".join(["(root)"] + paths.get(sid, ["?"]))
                raise AssertionError(f"Unresolved object in checkpoint {where}: "
                                     f"{_describe(node)}")
        return self

    def assert_existing_objects_matched(self):
        unbound = self._unbound_objects()
        if unbound:
            raise self._unmatched_objects_error(unbound)
        return self

    def assert_nontrivial_match(self):
        if not any(sid != 0 for sid in self._session.bound):
            raise AssertionError(
                "Nothing except the root object matched a checkpointed value. Typically this "
                "means that the checkpoint does not match the Python program.")
        return self

    def expect_partial(self):
        return self

    def run_restore_ops(self, session=None):
        return None

    def initialize_or_restore(self, session=None):
        return None


class InitializationOnlyStatus:
    """``restore(None)``: nothing restored; the asserts say so."""

    def _fail(self):
        raise AssertionError("No checkpoint specified (save_path=None); nothing is being "
                             "restored.")

    def assert_consumed(self):
        self._fail()

    def assert_existing_objects_matched(self):
        self._fail()

    def assert_nontrivial_match(self):
        self._fail()

    def expect_partial(self):
        return self

    def run_restore_ops(self, session=None):
        return None

    def initialize_or_restore(self, session=None):
        return None


# -- the Checkpoint object -------------------------------------------------------------------------
_OWN = frozenset(["_objects", "_root", "_save_counter", "_deferred_restore"])


class Checkpoint:
    """Groups trackable objects (``Checkpoint(model=model, optimizer=opt, step=step)``) so
    ``save``/``write`` store their state and ``restore``/``read`` bring it back."""

    def __init__(self, root=None, **kwargs):
        d = self.__dict__
        d["_objects"], d["_root"], d["_save_counter"] = {}, root, None
        if root is not None and not is_trackable(root):
            raise ValueError(_not_trackable("root", root))
        for k in sorted(kwargs):
            v = kwargs[k]
            if not is_trackable(v):
                raise ValueError(_not_trackable(k, v))
            d["_objects"][k] = v

    def __getattr__(self, name):
        objects = self.__dict__.get("_objects", {})
        if name in objects:
            return objects[name]
        raise AttributeError(f"'Checkpoint' object has no attribute {name!r}")

    def __setattr__(self, name, value):
        if name in _OWN:
            self.__dict__[name] = value
            return
        self.__dict__["_objects"][name] = value
        hook = self.__dict__.get("_deferred_restore")
        if hook is not None:
            hook(self, name)

    def __delattr__(self, name):
        self.__dict__["_objects"].pop(name)

    @property
    def save_counter(self):
        """How many times ``save`` ran (an int64 variable, saved with the checkpoint)."""
        if self._save_counter is None:
            self.__dict__["_save_counter"] = Variable(np.asarray(0, np.int64), trainable=False,
                                                      name="save_counter")
            hook = self.__dict__.get("_deferred_restore")
            if hook is not None:
                hook(self, "save_counter")
        return self._save_counter

    def _checkpoint_children(self):
        out = [] if self._root is None else list(children(self._root))
        out += [(k, v) for k, v in self._objects.items() if is_trackable(v)]
        if self._save_counter is not None:
            out.append(("save_counter", self._save_counter))
        return out

    # -- writing ------------------------------------------------------------------------------
    def _tensors(self):
        graph = Graph(self)
        values = graph.values()
        tensors = {}
        for key, (_, value) in values.items():
            tensors[key] = to_host(value._v) if isinstance(value, Variable) else value.get()
        tensors[_bundle.OBJECT_GRAPH_KEY] = ((), [_encode_graph(graph, values)])
        return tensors

    def write(self, file_prefix, options=None):
        """Write the state to ``file_prefix`` (``.index`` + ``.data-00000-of-00001``); no
        counter, no ``checkpoint`` file. Returns ``file_prefix``."""
        file_prefix = os.fspath(file_prefix)
        _files.write_bundle(file_prefix, self._tensors())
        return file_prefix

    def save(self, file_prefix, options=None):
        """Write ``<file_prefix>-<N>`` (N = ``save_counter`` after incrementing it) and point
        the directory's ``checkpoint`` file at it; returns the path."""
        file_prefix = os.fspath(file_prefix)
        counter = self.save_counter
        counter._assign_raw(np.asarray(int(counter._v) + 1, np.int64))
        path = self.write(f"{file_prefix}-{int(counter._v)}")
        # as TF: the state file names only this checkpoint (a manager keeps the list)
        _files.write_state(os.path.dirname(path) or ".", path, [path])
        return path

    def sync(self):
        """Wait for asynchronous saves: tapeflow's saves are synchronous, so nothing to do."""
        return None

    # -- reading ------------------------------------------------------------------------------
    def read(self, save_path, options=None):
        """Restore from ``save_path`` (as ``restore``, without creating ``save_counter``)."""
        return self._restore(save_path, "read")

    def restore(self, save_path, options=None):
        """Assign the values saved at ``save_path``; objects that do not exist yet take their
        value when they are created. ``None`` restores nothing."""
        if save_path is None:
            return InitializationOnlyStatus()
        self.save_counter  # noqa: B018  (created, as TF's restore does, so it can be matched)
        return self._restore(save_path, "restore")

    def _restore(self, save_path, how):
        save_path = os.fspath(save_path)
        if os.path.isdir(save_path):
            raise DataLossError(None, None, f"Unable to open table file {save_path}: "
                                f"FAILED_PRECONDITION: {save_path}; Is a directory: a "
                                "checkpoint is a prefix (e.g. tf.train.latest_checkpoint(dir))")
        try:
            reader = _bundle.BundleReader(save_path)
        except NotFoundError as e:
            _files.refuse_legacy(save_path)
            if how == "restore":
                raise NotFoundError(
                    None, None, "Error when restoring from checkpoint or SavedModel at "
                    f"{save_path}: {e.message}\nPlease double-check that the path is correct. "
                    "You may be missing the checkpoint suffix (e.g. the '-1' in "
                    "'path/to/ckpt-1').") from None
            raise
        where = f"Checkpoint '{save_path}'"
        if _bundle.OBJECT_GRAPH_KEY not in reader.entries:
            raise ValueError(f"{where} has no object graph ({_bundle.OBJECT_GRAPH_KEY}): it is "
                             "a name-based (TF 1) checkpoint, which tapeflow does not restore. "
                             "Read its values with tf.train.load_checkpoint().")
        nodes = _decode_graph(reader.tensor(_bundle.OBJECT_GRAPH_KEY)[()], where)
        session = _Restore(save_path, reader, nodes)
        session.match(0, self)
        return CheckpointLoadStatus(session, self)


def _not_trackable(name, value):
    return (f"`Checkpoint` was expecting {name} to be a trackable object (an object derived "
            f"from `Trackable`), got {value!r}. If you believe this object should be trackable "
            "(i.e. it is part of the TensorFlow Python API and manages state), please open an "
            "issue.")


# -- reading any checkpoint ------------------------------------------------------------------------
class _NamedDType:
    """A dtype tapeflow has no tensors for (``tf.string``), as the reader's dtype map shows."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"tf.{self.name}"

    def __eq__(self, other):
        return getattr(other, "name", other) == self.name

    def __hash__(self):
        return hash(self.name)


def _dtype(name):
    try:
        return as_dtype(name)
    except (NotImplementedError, TypeError, ValueError):
        return _NamedDType(name)


class CheckpointReader:
    """``tf.train.load_checkpoint``'s reader: names, shapes, dtypes and values."""

    def __init__(self, prefix):
        self._bundle = _bundle.BundleReader(prefix)

    def get_variable_to_shape_map(self):
        return {k: list(e.shape) for k, e in self._bundle.entries.items()}

    def get_variable_to_dtype_map(self):
        return {k: _dtype(e.dtype) for k, e in self._bundle.entries.items()}

    def has_tensor(self, name):
        return name in self._bundle.entries

    def get_tensor(self, name):
        value = self._bundle.tensor(name)
        if value.dtype == object and value.shape == ():
            return value[()]
        return value


def _resolve(ckpt_dir_or_file):
    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path):
        latest = _files.latest_checkpoint(path)
        if latest is None:
            raise ValueError(f"Couldn't find 'checkpoint' file or checkpoints in given "
                             f"directory {path}")
        return latest
    _files.refuse_legacy(path)
    return path


def load_checkpoint(ckpt_dir_or_file):
    """A reader for the checkpoint at a prefix, or the latest one in a directory."""
    return CheckpointReader(_resolve(ckpt_dir_or_file))


def load_variable(ckpt_dir_or_file, name):
    """The value of the tensor ``name`` (a trailing ``:0`` is ignored) in the checkpoint."""
    if name.endswith(":0"):
        name = name[:-2]
    return load_checkpoint(ckpt_dir_or_file).get_tensor(name)


def checkpoints_iterator(checkpoint_dir, min_interval_secs=0, timeout=None, timeout_fn=None):
    """Yield each new latest checkpoint of ``checkpoint_dir`` as it appears (polling once a
    second); after ``timeout`` seconds without one, stop unless ``timeout_fn()`` is false."""
    import time  # deferred: only this polling helper sleeps

    last = None
    while True:
        start = time.time()
        deadline = None if timeout is None else start + timeout
        while True:
            path = _files.latest_checkpoint(checkpoint_dir)
            if path is not None and path != last:
                break
            if deadline is not None and time.time() + 1 > deadline:
                path = None
                break
            time.sleep(1)
        if path is None:
            if timeout_fn is None or timeout_fn():
                return
            continue
        last = path
        yield path
        time.sleep(max(0.0, min_interval_secs - (time.time() - start)))


def list_variables(ckpt_dir_or_file):
    """``[(name, shape)]`` of every tensor in the checkpoint, sorted by name."""
    reader = load_checkpoint(ckpt_dir_or_file)
    return sorted(reader.get_variable_to_shape_map().items())


class CheckpointOptions:
    """Accepted for TF's signatures; tapeflow writes synchronously on the host."""

    def __init__(self, experimental_io_device=None, experimental_enable_async_checkpoint=False,
                 experimental_write_callbacks=None, enable_async=False,
                 experimental_sharding_callback=None, experimental_skip_slot_variables=False):
        self.experimental_io_device = experimental_io_device
        self.enable_async = enable_async or experimental_enable_async_checkpoint
        self.experimental_enable_async_checkpoint = self.enable_async
        self.experimental_write_callbacks = experimental_write_callbacks
        self.experimental_sharding_callback = experimental_sharding_callback
        self.experimental_skip_slot_variables = experimental_skip_slot_variables


class CheckpointState:
    """``tf.train.get_checkpoint_state``'s answer (TF's CheckpointState fields)."""

    def __init__(self, state):
        self.model_checkpoint_path = state.latest or ""
        self.all_model_checkpoint_paths = list(state.paths)
        self.all_model_checkpoint_timestamps = list(state.timestamps)
        self.last_preserved_timestamp = state.last_preserved or 0.0

    def __repr__(self):
        lines = [f'model_checkpoint_path: "{self.model_checkpoint_path}"']
        lines += [f'all_model_checkpoint_paths: "{p}"' for p in self.all_model_checkpoint_paths]
        return "\n".join(lines) + "\n"


def get_checkpoint_state(checkpoint_dir, latest_filename=None):
    """The directory's ``checkpoint`` state file, or None when it has none."""
    directory = os.fspath(checkpoint_dir)
    if not os.path.isfile(os.path.join(directory, latest_filename or _files.STATE)):
        return None
    return CheckpointState(_files.read_state(directory, latest_filename or _files.STATE))
