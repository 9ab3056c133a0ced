"""``tf.data.experimental``: AUTOTUNE, the cardinality constants, the option classes, the
older spellings of ``Dataset`` methods as transformations for ``Dataset.apply``, readers
(``CsvDataset``, ``SqlDataset``...), ``save``/``load``/``snapshot``, lookup tables from
datasets, and the device transformations ``copy_to_device`` / ``prefetch_to_device``."""
import re

from .. import backend, dtypes
from ..backend import host as np
from ..backend import to_host, transfer
from ..io import TFRecordWriter as _Writer
from ..tensor import const
from . import _structure as S
from ._grouping import GroupByReducerDataset, Reducer
from ._optional import Optional
from ._options import (
    AutotuneAlgorithm,
    AutotuneOptions,
    DistributeOptions,
    ExternalStatePolicy,
    OptimizationOptions,
    ServiceOptions,
    ThreadingOptions,
)
from ._ragged import dense_to_ragged_batch
from ._save import distributed_save, load, save
from ._sources import (
    CsvDataset,
    SqlDataset,
    make_batched_features_dataset,
    make_csv_dataset,
    parse_example_dataset,
)
from ._tables import DatasetInitializer, index_table_from_dataset, table_from_dataset
from ._transforms import AssertCardinalityDataset, RandomDataset, at, pad_to_cardinality
from .dataset import (
    _DEBUG_MODE,
    AUTOTUNE,
    INFINITE,
    UNKNOWN,
    AutoShardPolicy,
    Dataset,
    NumpyIterator,
    OwnedIterator,
    PrefetchDataset,
    _ListDataset,
)

INFINITE_CARDINALITY = INFINITE
UNKNOWN_CARDINALITY = UNKNOWN
SHARD_HINT = -1  # a placeholder shard count for AutoShardPolicy.HINT


def Counter(start=0, step=1, dtype=dtypes.int64):
    """``tf.data.experimental.Counter``: the older spelling of ``Dataset.counter``.

    Args:
      start: the first value.
      step: the increment.
      dtype: the dtype.

    Returns:
      An endless ``Dataset``.
    """
    return Dataset.counter(start, step, dtype)


def cardinality(dataset):
    """The number of elements of ``dataset`` (``INFINITE_CARDINALITY`` or
    ``UNKNOWN_CARDINALITY`` when not known statically), an int64 scalar tensor.

    Args:
      dataset: a ``Dataset``.

    Returns:
      An int64 scalar tensor.
    """
    return dataset.cardinality()


def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False):
    """Elements picked at random from ``datasets`` by ``weights`` (see
    ``Dataset.sample_from_datasets``; here ``stop_on_empty_dataset`` defaults to False).

    Args:
      datasets: the datasets.
      weights: their probabilities (default: equal).
      seed: a random seed.
      stop_on_empty_dataset: end when one runs out.

    Returns:
      A ``Dataset``.
    """
    return Dataset.sample_from_datasets(datasets, weights, seed, stop_on_empty_dataset)


def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=False):
    """The next element of ``datasets[c]`` for each ``c`` of ``choice_dataset`` (see
    ``Dataset.choose_from_datasets``; here ``stop_on_empty_dataset`` defaults to False).

    Args:
      datasets: the datasets.
      choice_dataset: scalar int64 indices into ``datasets``.
      stop_on_empty_dataset: end when a chosen one runs out.

    Returns:
      A ``Dataset``.
    """
    return Dataset.choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset)


# -- transformations for Dataset.apply (the older spellings of Dataset methods) ----------------
def assert_cardinality(expected_cardinality):
    """A transformation asserting the dataset has ``expected_cardinality`` elements (it then
    reports that cardinality; ``FailedPreconditionError`` when iteration finds otherwise).

    Args:
      expected_cardinality: the number of elements the dataset must have.

    Returns:
      A function for ``Dataset.apply``.
    """
    return lambda dataset: AssertCardinalityDataset(dataset, expected_cardinality)


def dense_to_sparse_batch(batch_size, row_shape):
    """A transformation batching elements of varying shape into ``SparseTensor`` (see
    ``Dataset.sparse_batch``).

    Args:
      batch_size: elements per batch.
      row_shape: the dense shape of one row (``None`` dims: the largest in the batch).

    Returns:
      A function for ``Dataset.apply``.
    """
    return lambda dataset: dataset.sparse_batch(batch_size, row_shape)


def enumerate_dataset(start=0):
    """A transformation pairing each element with its position, counted from ``start``.

    Args:
      start: the first position.

    Returns:
      A function for ``Dataset.apply``.
    """
    return lambda dataset: dataset.enumerate(start)


def group_by_reducer(key_func, reducer):
    """A transformation folding the elements of each key group with a ``Reducer``; one
    output element per key.

    Args:
      key_func: element -> scalar int64 key.
      reducer: a ``Reducer``.

    Returns:
      A function for ``Dataset.apply``.
    """
    return lambda dataset: GroupByReducerDataset(dataset, key_func, reducer)


def group_by_window(key_func, reduce_func, window_size=None, window_size_func=None):
    """A transformation grouping elements by key into windows (see
    ``Dataset.group_by_window``).

    Args:
      key_func: element -> scalar int64 key.
      reduce_func: ``(key, window dataset) -> Dataset``.
      window_size: elements per window (or give ``window_size_func``).
      window_size_func: key -> window size.

    Returns:
      A function for ``Dataset.apply``.
    """
    return lambda dataset: dataset.group_by_window(key_func, reduce_func, window_size,
                                                   window_size_func)


def bucket_by_sequence_length(element_length_func, bucket_boundaries, bucket_batch_sizes,
                              padded_shapes=None, padding_values=None,
                              pad_to_bucket_boundary=False, no_padding=False,
                              drop_remainder=False):
    """A transformation batching elements by length buckets (see
    ``Dataset.bucket_by_sequence_length``).

    Args:
      element_length_func: element -> its length.
      bucket_boundaries: increasing length bounds.
      bucket_batch_sizes: a batch size per bucket.
      padded_shapes, padding_values, pad_to_bucket_boundary, no_padding, drop_remainder:
        how each bucket is batched (see ``Dataset.bucket_by_sequence_length``).

    Returns:
      A function for ``Dataset.apply``.
    """
    return lambda dataset: dataset.bucket_by_sequence_length(
        element_length_func, bucket_boundaries, bucket_batch_sizes, padded_shapes,
        padding_values, pad_to_bucket_boundary, no_padding, drop_remainder)


def ignore_errors(log_warning=False):
    """A transformation dropping the elements whose computation raised an error.

    Args:
      log_warning: warn about each error dropped.

    Returns:
      A function for ``Dataset.apply``.
    """
    return lambda dataset: dataset.ignore_errors(log_warning)


def map_and_batch(map_func, batch_size, num_parallel_batches=None, drop_remainder=False,
                  num_parallel_calls=None):
    """A transformation: ``map(map_func)`` then ``batch(batch_size, drop_remainder)``.

    Args:
      map_func: the function of each element.
      batch_size: elements per batch.
      num_parallel_batches, num_parallel_calls: parallelism (at most one of them).
      drop_remainder: drop a last, smaller batch.

    Returns:
      A function for ``Dataset.apply``.
    """
    if num_parallel_batches is not None and num_parallel_calls is not None:
        raise ValueError("`map_and_batch` allows only one of `num_parallel_batches` and "
                         "`num_parallel_calls` to be set, but `num_parallel_batches` was set to "
                         f"{num_parallel_batches} and `num_parallel_calls` as set to "
                         f"{num_parallel_calls}.")
    return lambda dataset: dataset.map(map_func, num_parallel_calls).batch(
        batch_size, drop_remainder)


def parallel_interleave(map_func, cycle_length, block_length=1, sloppy=False,
                        buffer_output_elements=None, prefetch_input_elements=None):
    """A transformation interleaving the datasets ``map_func`` returns (see
    ``Dataset.interleave``; ``sloppy`` order is not used: the order is deterministic).

    Args:
      map_func: element -> Dataset.
      cycle_length: datasets read at once.
      block_length: consecutive elements taken from each.
      sloppy, buffer_output_elements, prefetch_input_elements: unused.

    Returns:
      A function for ``Dataset.apply``.
    """
    return lambda dataset: dataset.interleave(map_func, cycle_length, block_length)


def rejection_resample(class_func, target_dist, initial_dist=None, seed=None):
    """A transformation resampling towards a class distribution (see
    ``Dataset.rejection_resample``).

    Args:
      class_func: element -> scalar integer class.
      target_dist: the wanted class probabilities.
      initial_dist: the input's class probabilities (estimated when ``None``).
      seed: a random seed.

    Returns:
      A function for ``Dataset.apply``.
    """
    return lambda dataset: dataset.rejection_resample(class_func, target_dist, initial_dist,
                                                      seed)


def scan(initial_state, scan_func):
    """A transformation carrying a state along the elements (see ``Dataset.scan``).

    Args:
      initial_state: the first state.
      scan_func: ``(state, element) -> (new state, output)``.

    Returns:
      A function for ``Dataset.apply``.
    """
    return lambda dataset: dataset.scan(initial_state, scan_func)


def shuffle_and_repeat(buffer_size, count=None, seed=None):
    """A transformation: ``shuffle(buffer_size, seed)`` then ``repeat(count)``.

    Args:
      buffer_size: the shuffle buffer.
      count: passes (``None``: forever).
      seed: a random seed.

    Returns:
      A function for ``Dataset.apply``.
    """
    return lambda dataset: dataset.shuffle(buffer_size, seed).repeat(count)


def take_while(predicate):
    """A transformation keeping elements up to the first one ``predicate`` rejects.

    Args:
      predicate: element -> scalar bool.

    Returns:
      A function for ``Dataset.apply``.
    """
    return lambda dataset: dataset.take_while(predicate)


def unbatch():
    """A transformation splitting each element along its first dimension.

    Returns:
      A function for ``Dataset.apply``.
    """
    return lambda dataset: dataset.unbatch()


def unique():
    """A transformation keeping the first occurrence of each element.

    Returns:
      A function for ``Dataset.apply``.
    """
    return lambda dataset: dataset.unique()


def snapshot(path, compression="AUTO", reader_func=None, shard_func=None):
    """A transformation writing the elements to ``path`` on the first complete pass and
    reading them from there afterwards (see ``Dataset.snapshot``).

    Args:
      path: the directory.
      compression: ``"AUTO"``, ``"GZIP"`` or ``None``.
      reader_func: shards dataset -> Dataset (as ``load``'s).
      shard_func: element -> int64 shard (as ``save``'s).

    Returns:
      A function for ``Dataset.apply``.
    """
    return lambda dataset: dataset.snapshot(path, compression, reader_func, shard_func)


# -- functions of datasets ---------------------------------------------------------------------
def from_list(elements, name=None):
    """A dataset of the elements of a Python list (each a structure of tensors).

    Args:
      elements: a non-empty list; every element has the same structure and dtypes.
      name: unused (TF's op name).

    Returns:
      A ``Dataset``.
    """
    if not elements:
        raise ValueError("Invalid `elements`. `elements` should not be empty. If you want an "
                         "empty dataset, use `tf.data.Dataset.range(0)`.")
    if not isinstance(elements, list):
        raise ValueError(f"Invalid `elements`. `elements` must be a list, got "
                         f"{type(elements).__name__}.")
    # NOTE: as TF, a Python list inside an element is one tensor, not a structure
    first = elements[0]
    n = len(S.flatten(first))
    columns = [[] for _ in range(n)]
    for el in elements:
        leaves = S.flatten(el)
        if len(leaves) != n or S.is_nested(el) != S.is_nested(first):
            raise ValueError("The two structures don't have the same nested structure.\n\n"
                             f"First structure: {first}\n\nSecond structure: {el}")
        for col, x in zip(columns, leaves):
            col.append(S.to_array(x, "from_list element"))
    for k, col in enumerate(columns):
        if len({c.dtype for c in col}) != 1:
            raise TypeError(f"Invalid `elements`: component {k} has different dtypes in "
                            f"different elements ({sorted({str(c.dtype) for c in col})}).")
    if all(len({c.shape for c in col}) == 1 for col in columns):
        return Dataset.from_tensor_slices(S.pack(first, [np.stack(col) for col in columns]))
    # shapes that differ between elements: the spec has None there, as TF's
    specs = []
    for col in columns:
        spec = S.spec_of(col[0])
        for c in col[1:]:
            spec = spec.most_specific_compatible_type(S.spec_of(c))
        specs.append(spec)
    rows = [list(r) for r in zip(*columns)]
    return _ListDataset(rows, S.pack(first, specs))


def get_single_element(dataset):
    """The only element of ``dataset`` (``InvalidArgumentError`` when it has none or more).

    Args:
      dataset: a ``Dataset`` of one element.

    Returns:
      The element.
    """
    if not isinstance(dataset, Dataset):
        raise TypeError(f"Invalid `dataset`. Expected a `tf.data.Dataset` object but got "
                        f"{type(dataset)}.")
    return dataset.get_single_element()


def get_structure(dataset_or_iterator):
    """The element spec of a dataset or iterator.

    Args:
      dataset_or_iterator: a ``Dataset`` or an iterator over one.

    Returns:
      The nested structure of specs.
    """
    if isinstance(dataset_or_iterator, (Dataset, OwnedIterator)):
        return dataset_or_iterator.element_spec
    raise TypeError("Invalid `dataset_or_iterator`. `dataset_or_iterator` must be a "
                    "`tf.data.Dataset` or tf.data.Iterator object, but got "
                    f"{type(dataset_or_iterator)}.")


def get_next_as_optional(iterator):
    """The next element of ``iterator`` as an ``Optional`` (empty at the end).

    Args:
      iterator: an iterator over a dataset.

    Returns:
      An ``Optional``.
    """
    return iterator.get_next_as_optional()


def enable_debug_mode():
    """Run tf.data user functions one element at a time, in order, in the caller's thread:
    tapeflow already calls them eagerly; after this ``map(num_parallel_calls=...)`` no longer
    computes ahead in a background thread (TF's debug mode likewise drops parallelism)."""
    _DEBUG_MODE[0] = True


class TFRecordWriter:
    """Writes a dataset of scalar ``tf.string`` elements as a TFRecord file.

    Args:
      filename: the file to write.
      compression_type: ``None``, ``"GZIP"`` or ``"ZLIB"``.
    """

    def __init__(self, filename, compression_type=None):
        self._filename = filename
        self._compression = compression_type

    def write(self, dataset):
        """Write every element of ``dataset`` as one record.

        Args:
          dataset: a ``Dataset`` of scalar ``tf.string``.
        """
        if not isinstance(dataset, Dataset):
            raise TypeError(f"Invalid `dataset.` Expected a `tf.data.Dataset` object but got "
                            f"{type(dataset)}.")
        spec = dataset.element_spec
        if not isinstance(spec, S.TensorSpec) or spec.dtype != dtypes.string \
                or spec.shape.rank != 0:
            shapes = spec.shape if isinstance(spec, S.TensorSpec) else spec
            kinds = spec.dtype if isinstance(spec, S.TensorSpec) else spec
            raise TypeError("Invalid `dataset`. Expected a`dataset` that produces scalar "
                            "`tf.string` elements, but got a dataset which produces elements "
                            f"with shapes {shapes} and types {kinds}.")
        with _Writer(self._filename, self._compression) as w:
            for (a,) in dataset._elements():
                w.write(a[()])


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


__all__ = [
    "AUTOTUNE", "AutoShardPolicy", "AutotuneAlgorithm", "AutotuneOptions", "Counter",
    "CsvDataset", "DatasetInitializer", "DistributeOptions", "ExternalStatePolicy",
    "INFINITE_CARDINALITY", "OptimizationOptions", "Optional", "RandomDataset", "Reducer",
    "SHARD_HINT", "ServiceOptions", "SqlDataset", "TFRecordWriter", "ThreadingOptions",
    "UNKNOWN_CARDINALITY", "assert_cardinality", "at", "bucket_by_sequence_length",
    "cardinality", "choose_from_datasets", "copy_to_device", "dense_to_ragged_batch",
    "dense_to_sparse_batch", "distributed_save", "enable_debug_mode", "enumerate_dataset",
    "from_list", "get_next_as_optional", "get_single_element", "get_structure",
    "group_by_reducer", "group_by_window", "ignore_errors", "index_table_from_dataset", "load",
    "make_batched_features_dataset", "make_csv_dataset", "map_and_batch", "pad_to_cardinality",
    "parallel_interleave", "parse_example_dataset", "prefetch_to_device", "rejection_resample",
    "sample_from_datasets", "save", "scan", "shuffle_and_repeat", "snapshot",
    "table_from_dataset", "take_while", "unbatch", "unique"]
