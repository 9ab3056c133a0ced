"""``tf.data.experimental``: AUTOTUNE, the cardinality constants, ``AutoShardPolicy``, the
older aliases, and the device transformations ``copy_to_device`` / ``prefetch_to_device``."""
import re

from .. import backend, dtypes
from ..backend import to_host, transfer
from ..tensor import const
from . import _structure as S
from ._ragged import dense_to_ragged_batch
from .dataset import (
    AUTOTUNE,
    INFINITE,
    UNKNOWN,
    AutoShardPolicy,
    Dataset,
    NumpyIterator,
    OwnedIterator,
    PrefetchDataset,
)

INFINITE_CARDINALITY = INFINITE
UNKNOWN_CARDINALITY = UNKNOWN


def Counter(start=0, step=1, dtype=dtypes.int64):
    """``tf.data.experimental.Counter``: the older spelling of ``Dataset.counter``."""
    return Dataset.counter(start, step, dtype)


def cardinality(dataset):
    return dataset.cardinality()


def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False):
    return Dataset.sample_from_datasets(datasets, weights, seed, stop_on_empty_dataset)


def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=True):
    return Dataset.choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset)


# -- copies to a device ----------------------------------------------------------------------
_SPEC = re.compile(r"^(/job:[^/]+)?(/replica:\d+)?(/task:\d+)?/?(device:)?(CPU|GPU)(:(\d+))?$",
                   re.IGNORECASE)


def _parse_device(name):
    """(kind, index) of a device string such as '/gpu:0' or TF's full device name."""
    if not isinstance(name, str):
        raise ValueError(f"Expecting a string device name. Got {type(name)}({name!r})")
    m = _SPEC.match(name.strip())
    if not m:
        raise ValueError(f"Failed parsing device name: '{name}'")
    return m.group(5).upper(), int(m.group(7) or 0)


class _DeviceIterator(OwnedIterator):
    """Elements already on their device become tensors there (no placement by scope)."""

    def __next__(self):
        flat = next(self._gen)
        if not self._nested:
            return const(flat[0])
        return S.pack(self._template, [const(a) for a in flat])

    next = __next__


class _DeviceNumpyIterator(NumpyIterator):
    """``as_numpy_iterator`` of device elements: copies on the host, as TF gives."""

    def __init__(self, dataset):
        super().__init__(dataset)
        device_gen = self._gen
        self._gen = ([to_host(a) for a in flat] for flat in device_gen)


class _DeviceResident:
    """Mixed into datasets whose elements already sit on a device."""

    _device_resident = True

    def __iter__(self):
        return _DeviceIterator(self)

    def as_numpy_iterator(self):
        return _DeviceNumpyIterator(self)

    def prefetch(self, buffer_size, name=None):
        # the background thread of ``prefetch`` runs the copies: elements arrive on the device
        return _DevicePrefetchDataset(self, buffer_size)


class _CopyToDeviceDataset(_DeviceResident, Dataset):
    """``copy_to_device``: each element copied to ``device`` as it is read (through pinned
    buffers and a side stream on CuPy: ``backend/transfer.py``)."""

    def __init__(self, parent, target_device):
        self._kind, self._index = _parse_device(target_device)
        self._parent = parent
        self._spec = parent.element_spec
        self.target_device = target_device

    def _template(self):
        return self._parent._template()

    def _cardinality(self):
        return UNKNOWN  # NOTE: TF reports unknown cardinality after a device copy

    def _device(self):
        # NOTE: soft placement, as TF's eager mode: a device that does not exist is the default
        return backend.resolve(self._kind, self._index) or backend.current()

    def _copied(self, make_iter):
        device = self._device()
        if device.backend is None:  # the host: the elements are there already
            yield from make_iter()
            return
        copy = transfer.copier(device)
        for flat in make_iter():
            yield copy(flat)

    def _elements(self):
        return self._copied(self._parent._elements)

    def _blocks(self, size, drop_remainder=False):
        return self._copied(lambda: self._parent._blocks(size, drop_remainder))


class _DevicePrefetchDataset(_DeviceResident, PrefetchDataset):
    """``prefetch`` after a device copy: up to ``buffer_size`` device elements kept ready."""


def copy_to_device(target_device, source_device="/cpu:0"):
    """A transformation (for ``Dataset.apply``) copying every element to ``target_device``."""
    _parse_device(target_device)
    _parse_device(source_device)

    def _apply_fn(dataset):
        return _CopyToDeviceDataset(dataset, target_device)

    return _apply_fn


def prefetch_to_device(device, buffer_size=None):
    """A transformation (for ``Dataset.apply``, last in the pipeline, as TF requires) that
    copies elements to ``device`` in a background thread and keeps ``buffer_size`` of them
    ready there (``None``: autotuned)."""

    def _apply_fn(dataset):
        copied = dataset.apply(copy_to_device(device))
        return copied.prefetch(AUTOTUNE if buffer_size is None else buffer_size)

    return _apply_fn


__all__ = ["AUTOTUNE", "AutoShardPolicy", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY",
           "cardinality", "choose_from_datasets", "copy_to_device", "prefetch_to_device",
           "dense_to_ragged_batch", "sample_from_datasets"]
