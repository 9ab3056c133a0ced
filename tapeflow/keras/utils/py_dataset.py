"""``keras.utils.PyDataset`` (``Sequence`` is the same class): a dataset whose batches a
Python object builds by index, and how ``fit``/``evaluate``/``predict`` read it -- in order
(shuffled by ``fit``), inline or on worker threads or processes, the hooks called around each
pass, as Keras 3 does."""
import itertools
import random
import warnings
from collections import deque
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from ...backend import host as np

__all__ = ["PyDataset", "Sequence"]

_SUPER_NOT_CALLED = (
    "Your `PyDataset` class should call `super().__init__(**kwargs)` in its constructor. "
    "`**kwargs` can include `workers`, `use_multiprocessing`, `max_queue_size`. Do not pass "
    "these arguments to `fit()`, as they will be ignored.")


class PyDataset:
    """Base class for a dataset built batch by batch in Python.

    Subclass it and implement ``__getitem__(index)``, returning one batch -- ``(inputs,)``,
    ``(inputs, targets)``, ``(inputs, targets, sample_weights)``, a bare array or a dict --
    and ``__len__`` (or the ``num_batches`` property; ``None`` means no end). Optionally
    implement ``on_epoch_begin`` / ``on_epoch_end``, called around every pass Keras makes.

    Call ``super().__init__(**kwargs)`` from ``__init__``: ``workers`` batches are then built
    ahead on that many threads (processes with ``use_multiprocessing=True``), at most
    ``max_queue_size`` waiting, and always handed over in index order.
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    def _warn_if_super_not_called(self):
        missing = False
        for name, default in (("_workers", 1), ("_use_multiprocessing", False),
                              ("_max_queue_size", 10)):
            if not hasattr(self, name):
                setattr(self, name, default)
                missing = True
        if missing:
            warnings.warn(_SUPER_NOT_CALLED, stacklevel=3)

    @property
    def workers(self):
        self._warn_if_super_not_called()
        return self._workers

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        self._warn_if_super_not_called()
        return self._use_multiprocessing

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        self._warn_if_super_not_called()
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        """The batch at position ``index``."""
        raise NotImplementedError

    def __iter__(self):
        try:
            n = self.num_batches
        except NotImplementedError:
            n = None
        for index in itertools.count() if n is None else range(n):
            yield self[index]

    @property
    def num_batches(self):
        """The number of batches, or ``None`` for a dataset without end (``len(self)`` by
        default)."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError("You need to implement the `num_batches` property:\n\n"
                                  "@property\ndef num_batches(self):\n  return ...")

    def on_epoch_begin(self):
        """Called at the start of every pass over the dataset."""

    def on_epoch_end(self):
        """Called at the end of every pass over the dataset."""


Sequence = PyDataset


def standard_batch(batch, class_weight=None, weights_of=None):
    """A batch as ``__getitem__`` returned it, made a dict or a tuple of 1 to 3 parts (Keras's
    errors otherwise); with ``class_weight``, ``(x, y)`` gains its sample weights
    (``weights_of(y, class_weight)``)."""
    if isinstance(batch, dict):
        return batch
    if isinstance(batch, np.ndarray):
        batch = (batch,)
    if isinstance(batch, list):
        batch = tuple(batch)
    if not isinstance(batch, tuple) or len(batch) not in (1, 2, 3):
        raise ValueError(
            "PyDataset.__getitem__() must return a tuple or a dict. If a tuple, it must be "
            "ordered either (input,) or (inputs, targets) or (inputs, targets, "
            f"sample_weights). Received: {str(batch)[:100]}... of type {type(batch)}")
    if class_weight is not None:
        if len(batch) == 3:
            raise ValueError("You cannot specify `class_weight` and `sample_weight` at the "
                             "same time.")
        if len(batch) == 2:
            batch = batch + (weights_of(batch[1], class_weight),)
    return batch


def check_arguments(x, y, sample_weight, shuffle):
    """Keras's refusals and warning for a PyDataset given to ``fit``/``evaluate``."""
    for arg, what, given in (("y", "the targets", y),
                             ("sample_weights", "the sample weights", sample_weight)):
        if given is not None:
            raise ValueError(f"When providing `x` as a PyDataset, `{arg}` should not be "
                             f"passed. Instead, {what} should be included as part of the "
                             "PyDataset.")
    if shuffle and getattr(x, "num_batches", None) is None:
        warnings.warn("`shuffle=True` was passed, but will be ignored since the data `x` was "
                      "provided as an infinite PyDataset. The PyDataset is expected to "
                      "already be shuffled.", stacklevel=3)


def indices(dataset, shuffle, skip=0):
    """The batch indices of one pass: all of them, in order or shuffled with Python's
    ``random`` (as Keras: ``keras.utils.set_random_seed`` fixes the order), without end for an
    endless dataset; the first ``skip`` left out (a resumed epoch)."""
    n = dataset.num_batches
    if n is None:
        order = itertools.count()
    elif shuffle:
        order = list(range(n))
        random.shuffle(order)
    else:
        order = range(n)
    return itertools.islice(order, skip, None)


def batches(dataset, order):
    """``dataset[i]`` for ``i`` in ``order``: inline, or built ahead by the dataset's workers
    (threads, or processes with ``use_multiprocessing``), handed over in order."""
    workers = dataset.workers
    processes = dataset.use_multiprocessing
    if workers > 1 or (workers > 0 and processes):
        return _ahead(dataset, order, workers, processes, max(1, dataset.max_queue_size))
    return (dataset[i] for i in order)


_SHARED = {}  # in a worker process: the dataset it builds batches of


def _install(dataset):
    _SHARED["dataset"] = dataset


def _fetch(index):
    return _SHARED["dataset"][index]


def _ahead(dataset, order, workers, processes, depth):
    if processes:
        import multiprocessing  # deferred: only datasets that ask for processes need it

        # NOTE: the dataset reaches each process once, as it starts (inherited where the
        # platform forks, pickled where it spawns), never once per batch
        pool = ProcessPoolExecutor(workers, multiprocessing.get_context(),
                                   initializer=_install, initargs=(dataset,))
        fetch = _fetch
    else:
        pool = ThreadPoolExecutor(workers, thread_name_prefix="tapeflow-pydataset")
        fetch = dataset.__getitem__
    order = iter(order)
    pending = deque(pool.submit(fetch, i) for i in itertools.islice(order, depth))
    try:
        while pending:
            batch = pending.popleft().result()
            for i in itertools.islice(order, 1):
                pending.append(pool.submit(fetch, i))
            yield batch
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
