"""Turning ``fit``/``evaluate``/``predict`` inputs into batches: arrays and tensors (sliced,
never copied whole), dicts and lists of them, and datasets that yield batches."""
from ... import backend as devices
from ... import nest
from ...backend import host as np
from ...backend import is_array, placement, to_host, transfer, xp_of
from ...tensor import TensorBase, const, convert_to_tensor, wrap
from ...variable import Variable
from .. import backend
from ..utils import py_dataset


def _leaf_array(x):
    if isinstance(x, TensorBase):
        return x.value()._v if isinstance(x, Variable) else x._v
    if is_array(x):
        return x
    if hasattr(x, "__array__") or isinstance(x, (list, tuple, int, float)):
        return np.asarray(x)
    raise TypeError(f"Unrecognized data type: {type(x).__name__}. Expected NumPy arrays, "
                    "tensors, lists/dicts of them, or a tf.data.Dataset.")


def is_batch_source(x):
    """True for datasets and other iterables that yield whole batches."""
    if x is None or isinstance(x, (TensorBase, dict, list, tuple)) or is_array(x):
        return False
    if hasattr(x, "__array__"):
        return False
    return hasattr(x, "__iter__")


def as_arrays(structure):
    """The same nest with backend arrays as leaves (lists of numbers become one array)."""
    if structure is None:
        return None
    if isinstance(structure, list) and structure:
        leaves = nest.flatten(structure)
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in leaves):
            return np.asarray(structure)  # nested lists of numbers are one array
    return nest.map_structure(_leaf_array, structure)


def num_samples(**named):
    """The common first dimension of every array, with Keras's error when they differ."""
    sizes = {}
    for name, struct in named.items():
        if struct is None:
            continue
        sizes[name] = [int(a.shape[0]) if a.ndim else 1 for a in nest.flatten(struct)]
    flat = {s for v in sizes.values() for s in v}
    if len(flat) > 1:
        detail = "\n".join(f"'{k}' sizes: {', '.join(map(str, v))}" for k, v in sizes.items())
        raise ValueError("Data cardinality is ambiguous. Make sure all arrays contain the "
                         f"same number of samples.\n{detail}")
    return flat.pop() if flat else 0


def take(struct, index):
    """Rows ``index`` (a slice or an index array) of each array, wrapped as Tensors."""
    if struct is None:
        return None

    def one(a):
        if isinstance(index, slice):
            return wrap(a[index])
        xp = xp_of(a)
        return wrap(a[index if xp is np else xp.asarray(index)])

    if isinstance(struct, (list, tuple, dict)):
        return nest.map_structure(one, struct)
    return one(struct)


def split_tail(struct, start):
    """(head, tail) of each array at row ``start`` (views, no copies)."""
    if struct is None:
        return None, None
    head = nest.map_structure(lambda a: a[:start], struct)
    tail = nest.map_structure(lambda a: a[start:], struct)
    return head, tail


def unpack(data):
    """``(x, y, sample_weight)`` from a batch given as ``x``, ``(x,)``, ``(x, y)`` or
    ``(x, y, sample_weight)``."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(f"Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                     f"`(x, y, sample_weight)`, found: {data!r}")


unpack_x_y_sample_weight = unpack


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``: the tuple a dataset yields for those
    parts."""
    if y is None:
        return (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def class_weights_for(y, class_weight):
    """Per-example weights ``class_weight[label]`` (labels sparse or one-hot)."""
    a = y._v if isinstance(y, TensorBase) else np.asarray(y)
    xp = xp_of(a)
    if a.ndim > 1 and a.shape[-1] > 1:
        labels = a.argmax(axis=-1)
    else:
        labels = a.reshape(a.shape[0]) if a.ndim > 1 else a
    labels = labels.astype("int64")
    size = max(max(class_weight) + 1, int(labels.max()) + 1 if labels.size else 0)
    table = np.ones(size, dtype="float32")
    for k, w in class_weight.items():
        table[int(k)] = w
    return wrap(xp.asarray(table)[labels])


class ArrayBatches:
    """Batches of in-memory arrays: a fresh permutation per epoch when shuffling, plain
    slices (views) otherwise."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=False,
                 steps=None, class_weight=None, rng=None):
        self.x, self.y, self.sw = as_arrays(x), as_arrays(y), as_arrays(sample_weight)
        self.rng = rng  # the model's own Generator for the shuffle orders (None: tf.random's)
        self.n = num_samples(x=self.x, y=self.y, sample_weight=self.sw)
        self.batch_size = int(batch_size)
        if self.batch_size <= 0:
            raise ValueError(f"Expected `batch_size` to be a positive integer. Received: "
                             f"batch_size={batch_size}")
        self.shuffle = shuffle
        self.class_weight = class_weight
        full = -(-self.n // self.batch_size)
        self.steps = full if steps is None else int(steps)
        self._pos = 0
        self._perm = None

    def state(self):
        """Where the iteration stands (for ``BackupAndRestore``): the read position and the
        current epoch's shuffle order, as plain integers and an integer array."""
        perm = None if self._perm is None else np.asarray(to_host(self._perm), np.int64)
        return {"pos": int(self._pos), "perm": perm}

    def resume(self, state):
        """Continue from ``state()`` saved after ``state["step"]`` batches of an epoch: the
        first step to run (0 without a state)."""
        if not state:
            return 0
        perm = state.get("perm")
        if int(state["pos"]) > self.n or perm is not None and len(perm) != self.n:
            raise ValueError(f"Cannot resume mid-epoch: the backup was made while iterating "
                             f"over {len(perm) if perm is not None else 'other'} examples, "
                             f"this fit has {self.n}.")
        self._pos = int(state["pos"])
        self._perm = None if perm is None else np.asarray(perm, np.int64)
        return int(state["step"])

    def epoch(self, start=0):
        """Yield ``steps`` batches as ``(x, y, sample_weight)`` tuples of Tensors; ``start``
        steps of this epoch were run before a resume (``resume``)."""
        for first, stop in self.spans(start):
            yield self.rows(first, stop)

    def spans(self, start=0):
        """Each step's ``(first, stop)`` positions in the (shuffled) order, advancing the
        position and drawing a new order when a pass begins, as ``epoch`` does."""
        bs, n = self.batch_size, self.n
        for _ in range(start, self.steps):
            if self._pos >= n or self._perm is None and self.shuffle:
                self._pos = 0
                rng = self.rng if self.rng is not None else backend.rng(None, "Shuffle")
                self._perm = rng.permutation(n) if self.shuffle else None
            first, stop = self._pos, min(self._pos + bs, n)
            self._pos = stop
            yield first, stop
        if self._pos >= n:
            self._pos = 0
            self._perm = None

    def rows(self, first, stop):
        """The batch of positions ``first:stop`` of the current order (class weights
        applied), as ``(x, y, sample_weight)`` Tensors."""
        index = slice(first, stop) if self._perm is None else self._perm[first:stop]
        x, y, sw = take(self.x, index), take(self.y, index), take(self.sw, index)
        if self.class_weight is not None and y is not None:
            cw = class_weights_for(y, self.class_weight)
            sw = cw if sw is None else sw * cw
        return x, y, sw


class DatasetBatches:
    """Batches from a dataset or any iterable of ``x``/``(x, y)``/``(x, y, sw)``."""

    def __init__(self, dataset, steps=None, class_weight=None):
        self.dataset = dataset
        self.steps = steps
        self._user_steps = steps  # given steps continue one iterator across epochs (Keras)
        self.class_weight = class_weight
        self._iter = None
        cardinality = getattr(dataset, "cardinality", None)
        if steps is None and cardinality is not None and int(cardinality()) == -1:
            # NOTE: Keras refuses an infinitely repeating dataset without a step count
            raise ValueError("When passing an infinitely repeating dataset, please specify a "
                             "`steps_per_epoch` value so that epoch level callbacks continue "
                             "to work. The value can be the number of batches in one pass "
                             "over the data (e.g. `len(dataset)` before `.repeat()`).")
        try:
            n = len(dataset)
            self.steps = n if steps is None else steps
        except TypeError:
            pass

    def state(self):
        return {}  # an iterator's position cannot be saved; resume() re-reads instead

    def resume(self, state):
        """Skip the ``state["step"]`` batches run before a resume: they are read from a fresh
        pass and dropped (the same batches when the dataset's order is reproducible)."""
        if not state:
            return 0
        self._iter = iter(self.dataset)
        for _ in range(int(state["step"])):
            next(self._iter, None)
        return int(state["step"])

    def epoch(self, start=0):
        if self._iter is None or (self._user_steps is None and not start):
            self._iter = iter(self.dataset)
        count = start
        while self.steps is None or count < self.steps:
            try:
                batch = next(self._iter)
            except StopIteration:
                self._iter = None
                if self._user_steps is None:
                    self.steps = count
                break
            x, y, sw = unpack(batch)
            x = nest.map_structure(_tensor, x)
            y = None if y is None else nest.map_structure(_tensor, y)
            sw = None if sw is None else _tensor(sw)
            sw = self._weighted(y, sw)
            count += 1
            yield x, y, sw

    def _weighted(self, y, sw):
        if self.class_weight is not None and y is not None:
            cw = class_weights_for(y, self.class_weight)
            sw = cw if sw is None else sw * cw
        return sw


class PyDatasetBatches(DatasetBatches):
    """Batches of a ``keras.utils.PyDataset``: one pass of its indices per epoch (shuffled
    when ``fit`` shuffles), its ``on_epoch_begin``/``on_epoch_end`` around each epoch, each
    batch checked and given its class weights as Keras does."""

    def __init__(self, dataset, steps=None, class_weight=None, shuffle=False):
        self.source = dataset
        self.shuffle = shuffle and dataset.num_batches is not None
        self._skip = 0
        # NOTE: DatasetBatches reads ``self.dataset``: one pass of checked batches per iter()
        super().__init__(_Passes(self._pass), steps, None)
        self.class_weight = class_weight
        if self.steps is None:
            self.steps = dataset.num_batches

    def _pass(self):
        skip, self._skip = self._skip, 0
        order = py_dataset.indices(self.source, self.shuffle, skip)
        for batch in py_dataset.batches(self.source, order):
            yield py_dataset.standard_batch(batch, self.class_weight, class_weights_for)

    def resume(self, state):
        """Start the resumed epoch after its ``state["step"]`` batches, without building them
        (a fresh pass: the same batches when the order is not shuffled)."""
        self._iter = None
        self._skip = int(state["step"]) if state else 0
        return self._skip

    def epoch(self, start=0):
        if start and self._iter is not None:
            self._iter = None  # a resume: the fresh pass resume() set up
        self.source.on_epoch_begin()
        try:
            yield from super().epoch(start)
        finally:
            if self._user_steps is None and self._iter is not None:
                self._iter.close()  # the pass is over: its worker threads or processes end
                self._iter = None
            self.source.on_epoch_end()

    def _weighted(self, y, sw):
        return sw  # standard_batch gave the class weights already


class _Passes:
    """An iterable whose every ``iter()`` is ``new_pass()``."""

    def __init__(self, new_pass):
        self.new_pass = new_pass

    def __iter__(self):
        return self.new_pass()


def _tensor(x):
    return x if isinstance(x, TensorBase) else convert_to_tensor(x)


def make_batches(x, y=None, sample_weight=None, batch_size=None, shuffle=False, steps=None,
                 class_weight=None, rng=None):
    if isinstance(x, py_dataset.PyDataset):
        py_dataset.check_arguments(x, y, sample_weight, shuffle)
        return on_device(PyDatasetBatches(x, steps, class_weight, shuffle))
    if is_batch_source(x):
        if y is not None:
            raise ValueError("`y` argument is not supported when using a dataset as input: "
                             "the dataset must yield (x, y) or (x, y, sample_weight).")
        if sample_weight is not None:
            raise ValueError("`sample_weight` argument is not supported when using a "
                             "dataset as input.")
        return on_device(DatasetBatches(x, steps, class_weight))
    if x is None:
        raise ValueError("Expected input data `x`; received None.")
    return on_device(ArrayBatches(x, y, sample_weight, batch_size or 32, shuffle, steps,
                                  class_weight, rng))


# -- copying batches to the GPU ahead of the steps ----------------------------------------------
PREFETCH_DEPTH = 2  # batches copied ahead of the one the step is using


def on_device(batches):
    """``batches`` with each batch copied to the GPU by a background thread while the steps
    run (``DevicePrefetch``), when a GPU is the current device and the data are on the host;
    ``batches`` itself otherwise (always while only the host exists: one flag read)."""
    if not placement:
        return batches
    device = devices.current()
    if device.backend is None:
        return batches
    if isinstance(batches, ArrayBatches):
        leaves = [a for part in (batches.x, batches.y, batches.sw) if part is not None
                  for a in nest.flatten(part)]
        if all(devices.device_of(a) is device for a in leaves):
            return batches  # already on the device: nothing to copy
    elif getattr(getattr(batches, "dataset", None), "_device_resident", False):
        return batches  # copy_to_device/prefetch_to_device made device batches already
    return DevicePrefetch(batches, device)


class DevicePrefetch:
    """The batches of ``inner`` (``ArrayBatches``/``DatasetBatches``), each copied to
    ``device`` by a worker thread up to ``depth`` steps ahead (``backend/transfer.py``:
    pinned buffers and an asynchronous copy on CuPy).

    ``inner`` makes its host batches in the training loop's thread, in the same order and
    with the same random draws as without the copies (under a host scope, so they are not
    placed on the GPU there). ``state()`` is ``inner``'s position as of the batch the step is
    using, although ``inner`` has read ahead. NOTE: when ``steps_per_epoch`` makes a shuffled
    pass wrap around mid-epoch, the new order is drawn one or two steps earlier than without
    prefetching: a step that draws random numbers too (dropout) then sees other draws.
    """

    def __init__(self, inner, device, depth=PREFETCH_DEPTH):
        self.inner, self.device, self.depth = inner, device, depth
        self._copy = None
        self._state = None  # inner's state() right after it made the batch handed out last

    @property
    def steps(self):
        return self.inner.steps

    def __getattr__(self, name):  # dataset, batch_size, resume()... are the inner's
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def state(self):
        return self.inner.state() if self._state is None else self._state

    def epoch(self, start=0):
        if self._copy is None:
            self._copy = transfer.copier(self.device)
        for batch, state in transfer.ahead(self._host_batches(start), self._to_device,
                                           self.depth):
            self._state = state
            yield batch
        self._state = None  # the epoch ran to its end: inner is where the steps are

    def _host_batches(self, start):
        """``(batch, inner position)`` pairs of one epoch, made on the host."""
        gen = self.inner.epoch(start) if start else self.inner.epoch()
        snapshot = self.inner.state
        scopes = devices.local.devices
        try:
            while True:
                scopes.append(devices.CPU)
                try:
                    batch = next(gen)
                except StopIteration:
                    return
                finally:
                    scopes.pop()
                yield batch, snapshot()
        finally:
            gen.close()

    def _to_device(self, item):
        """Worker thread: one ``(x, y, sample_weight)`` batch copied to the device at once."""
        batch, state = item
        leaves = []
        for part in batch:
            if part is not None:
                leaves.extend(nest.flatten(part))
        moved = iter(self._copy([_leaf_array(t) for t in leaves]))

        def put(_):
            return const(next(moved))

        out = tuple(None if part is None else nest.map_structure(put, part) for part in batch)
        return out, state


def resume_step(batches, state):
    """The step ``fit`` starts its first epoch at: 0, or after ``BackupAndRestore`` restored a
    mid-epoch backup, the number of batches that epoch had already run (not recomputed)."""
    if not state:
        return 0
    resume = getattr(batches, "resume", None)
    if resume is None:
        raise ValueError(f"Cannot resume mid-epoch: {type(batches).__name__} cannot skip the "
                         "batches already run. Use BackupAndRestore(save_freq='epoch').")
    return resume(state)


def epoch_from(batches, start):
    """One epoch of ``batches`` beginning at step ``start``."""
    return batches.epoch(start) if start else batches.epoch()
