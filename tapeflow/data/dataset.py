"""``tf.data.Dataset``: sources, transformations and iteration with TF's semantics on NumPy."""
import glob
import itertools
import os
import threading

from .. import dtypes, errors
from .._io import atomic_open
from ..backend import host as np
from ..ops import random as _random
from ..ops._core import CompositeTensor
from ..ragged import RaggedTensorSpec
from ..tensor import TensorBase, TensorShape, wrap
from . import _pipeline as P
from . import _structure as S
from ._optional import IteratorSpec, Optional
from ._options import AutoShardPolicy, DistributeOptions, Options  # noqa: F401
from ._structure import TensorSpec
from ._vectorize import call_batched

AUTOTUNE = -1
INFINITE = -1
UNKNOWN = -2
_INT64_MAX = 2**63 - 1
_AUTOTUNE_PREFETCH = 4  # NOTE: AUTOTUNE prefetch holds this many elements (TF tunes it live)
_DEBUG_MODE = [False]  # tf.data.experimental.enable_debug_mode(): no background map threads
_ELEMENT_CHUNK = 128  # rows gathered at once when a random-access dataset is read per element


class RandomAccess:
    """Rows ``0..n-1`` of a dataset that can be read in any order: ``gather``/``slice`` blocks."""

    def __init__(self, n, gather, slice_=None):
        self.n = int(n)
        self.gather = gather
        self.slice = slice_ if slice_ is not None else (
            lambda a, b: gather(np.arange(a, b, dtype=np.int64)))


def _ra_blocks(ra, size, drop_remainder):
    n = ra.n
    for a in range(0, n, size):
        b = min(a + size, n)
        if drop_remainder and b - a < size:
            return
        yield ra.slice(a, b)


def _ra_elements(ra):
    for block in _ra_blocks(ra, _ELEMENT_CHUNK, False):
        yield from P.rows(block)


def _count(x, what):
    if isinstance(x, TensorBase):
        x = x.numpy()
    try:
        return int(x)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be an integer scalar, got {x!r}") from None


def _scalar(x):
    return x.numpy() if isinstance(x, TensorBase) else x


def _seed_base(seed):
    """A base seed fixed at construction with TF's rules: an op seed gives the same orders in
    every dataset built with it (combined with the global seed, or TF's default one); without
    it, ``tf.random.set_seed`` makes the sequence of datasets reproducible; else it is fresh."""
    if isinstance(seed, TensorBase):
        seed = seed.numpy()
    if seed is not None:
        g = _random._SeedState.global_seed
        if g is None:
            g = _random._DEFAULT_GLOBAL_SEED
        gen = np.random.default_rng([int(g) & (2**64 - 1), int(seed) & (2**64 - 1), 0x5F])
    else:
        gen = _random._rng(None, "ShuffleDataset")
    return int(gen.integers(0, 2**62))


class Dataset:
    """A sequence of elements, each a nested structure of tensors with a fixed ``element_spec``.

    Build one with ``from_tensor_slices``, ``from_tensors``, ``range``, ``from_generator`` or
    a file reader, chain transformations (``map``, ``shuffle``, ``batch``, ``prefetch``...)
    and iterate it in Python, ``Model.fit`` or a ``tf.function``.

    >>> ds = tf.data.Dataset.range(6).map(lambda x: x * 2).batch(4)
    >>> for batch in ds:
    ...     print(batch.shape, int(tf.reduce_sum(batch)))
    (4,) 12
    (2,) 18
    """

    _spec = None

    # -- what subclasses provide -------------------------------------------------------------
    def _elements(self):
        """A generator of elements as flat lists of host arrays (one new pass per call)."""
        ra = self._random_access()
        if ra is not None:
            return _ra_elements(ra)
        raise NotImplementedError

    def _blocks(self, size, drop_remainder=False):
        """A generator of consecutive element blocks (flat lists of arrays, ``size`` rows)."""
        ra = self._random_access()
        if ra is not None:
            return _ra_blocks(ra, size, drop_remainder)
        return P.blocks_from_elements(self._elements(), size, drop_remainder)

    def _random_access(self):
        """A ``RandomAccess`` over this dataset when its elements can be read in any order."""
        return None

    def _cardinality(self):
        return UNKNOWN

    def _inputs(self):
        return []

    # -- properties ------------------------------------------------------------------------------
    @property
    def element_spec(self):
        return self._spec

    def _template(self):
        return self.element_spec

    def cardinality(self):
        return wrap(np.asarray(self._cardinality(), dtype=np.int64))

    def __len__(self):
        n = self._cardinality()
        if n == INFINITE:
            raise TypeError("The dataset is infinite.")
        if n == UNKNOWN:
            raise TypeError("The dataset length is unknown.")
        return n

    def __bool__(self):
        return True

    def __iter__(self):
        return OwnedIterator(self)

    def as_numpy_iterator(self):
        if any(isinstance(s, DatasetSpec) for s in S.flatten(self.element_spec)):
            raise TypeError("`tf.data.Dataset.as_numpy_iterator()` is not supported for datasets "
                            "that produce values of type Dataset.")
        return NumpyIterator(self)

    def __repr__(self):
        return f"<{type(self).__name__} element_spec={self.element_spec}>"

    def options(self):
        """The ``tf.data.Options`` in effect: those of the inputs merged, then this dataset's.

        Returns:
          A new ``tf.data.Options``.
        """
        out = Options()
        for d in _input_datasets(self):
            out = out.merge(d.options())
        own = self.__dict__.get("_options")
        return out if own is None else out.merge(own)

    def with_options(self, options, name=None):
        """This dataset with ``options`` merged over the options it already has.

        Args:
          options: a ``tf.data.Options``.
          name: unused (TF's op name).

        Returns:
          A ``Dataset`` with the same elements.
        """
        if not isinstance(options, Options):
            raise TypeError(f"Could not merge incompatible options of type {type(options)} and "
                            f"{Options}.")
        out = _Wrapped(self)
        out._options = options
        return out

    # -- sources ---------------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors, name=None):
        if any(isinstance(x, CompositeTensor) for x in S.flatten(tensors)):
            from ._ragged import RaggedSliceDataset  # cycle: it subclasses Dataset

            return RaggedSliceDataset(tensors)
        return TensorSliceDataset(tensors)

    @staticmethod
    def from_tensors(tensors, name=None):
        return TensorDataset(tensors)

    @staticmethod
    def range(*args, dtype=dtypes.int64, name=None):
        return RangeDataset(*args, dtype=dtype)

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None,
                       output_signature=None, name=None):
        return GeneratorDataset(generator, output_types, output_shapes, args, output_signature)

    @staticmethod
    def zip(*datasets, name=None):
        if len(datasets) == 1 and not isinstance(datasets[0], Dataset):
            datasets = datasets[0]
        return ZipDataset(datasets)

    @staticmethod
    def counter(start=0, step=1, dtype=dtypes.int64, name=None):
        return CounterDataset(start, step, dtype)

    @staticmethod
    def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False,
                             rerandomize_each_iteration=None):
        if isinstance(weights, (list, tuple)) and len(datasets) == len(weights):
            nonzero = [i for i, w in enumerate(weights) if _scalar(w) != 0]
            if len(nonzero) == 1:  # NOTE: as TF: one dataset with weight, that dataset itself
                return datasets[nonzero[0]]
        return SampleDataset(datasets, weights, seed, stop_on_empty_dataset)

    @staticmethod
    def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=True):
        return ChooseDataset(datasets, choice_dataset, stop_on_empty_dataset)

    # -- transformations -------------------------------------------------------------------------
    def concatenate(self, dataset, name=None):
        return ConcatenateDataset(self, dataset)

    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        return MapDataset(self, map_func, num_parallel_calls, deterministic)

    def filter(self, predicate, name=None):
        return FilterDataset(self, predicate)

    def flat_map(self, map_func, name=None):
        return FlatMapDataset(self, map_func)

    def interleave(self, map_func, cycle_length=None, block_length=None,
                   num_parallel_calls=None, deterministic=None, name=None):
        return InterleaveDataset(self, map_func, cycle_length or 1, block_length or 1)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        return ShuffleDataset(self, buffer_size, seed, reshuffle_each_iteration)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None):
        if any(isinstance(s, RaggedTensorSpec) for s in S.flatten(self.element_spec)):
            return self.ragged_batch(batch_size, drop_remainder)  # ragged components stay so
        if any(type(s).__name__ == "SparseTensorSpec" for s in S.flatten(self.element_spec)):
            from ._transforms import ComponentBatchDataset  # cycle: it subclasses Dataset

            return ComponentBatchDataset(self, batch_size, drop_remainder)
        return BatchDataset(self, batch_size, drop_remainder)

    def ragged_batch(self, batch_size, drop_remainder=False, row_splits_dtype=dtypes.int64,
                     name=None):
        from ._ragged import RaggedBatchDataset  # cycle: it subclasses Dataset

        return RaggedBatchDataset(self, batch_size, drop_remainder, row_splits_dtype)

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False, name=None):
        for s in S.flatten(self.element_spec):
            if isinstance(s, RaggedTensorSpec):
                raise TypeError("`padded_batch` is only supported for datasets that produce "
                                "tensor elements but type spec of elements in the input dataset "
                                f"is not a subclass of TensorSpec: `{s}`.")
        return PaddedBatchDataset(self, batch_size, padded_shapes, padding_values, drop_remainder)

    def unbatch(self, name=None):
        if any(type(s).__name__ == "SparseTensorSpec" for s in S.flatten(self.element_spec)):
            from ._transforms import ComponentUnbatchDataset  # cycle: it subclasses Dataset

            return ComponentUnbatchDataset(self)
        return UnbatchDataset(self)

    def rebatch(self, batch_size, drop_remainder=False, name=None):
        return BatchDataset(UnbatchDataset(self), batch_size, drop_remainder)

    def repeat(self, count=None, name=None):
        return RepeatDataset(self, count)

    def take(self, count, name=None):
        return TakeDataset(self, count)

    def skip(self, count, name=None):
        return SkipDataset(self, count)

    def prefetch(self, buffer_size, name=None):
        return PrefetchDataset(self, buffer_size)

    def cache(self, filename="", name=None):
        return CacheDataset(self, filename)

    def enumerate(self, start=0, name=None):
        start = _count(start, "start")
        return ZipDataset((RangeDataset(start, _INT64_MAX), self))

    def shard(self, num_shards, index, name=None):
        return ShardDataset(self, num_shards, index)

    def window(self, size, shift=None, stride=1, drop_remainder=False, name=None):
        return WindowDataset(self, size, shift, stride, drop_remainder)

    def apply(self, transformation_func):
        out = transformation_func(self)
        if not isinstance(out, Dataset):
            raise TypeError("`transformation_func` must return a Dataset, got "
                            f"{type(out).__name__}.")
        return out

    def reduce(self, initial_state, reduce_func, name=None):
        state = initial_state
        for el in self:
            state = reduce_func(state, *el) if _unpacks(el) else reduce_func(state, el)
        return state

    def take_while(self, predicate, name=None):
        return TakeWhileDataset(self, predicate)

    def scan(self, initial_state, scan_func, name=None):
        return ScanDataset(self, initial_state, scan_func)

    def unique(self, name=None):
        return UniqueDataset(self)

    def ignore_errors(self, log_warning=False, name=None):
        """The elements whose computation raised no ``tf.errors`` error.

        Args:
          log_warning: warn about each error dropped.
          name: unused (TF's op name).

        Returns:
          A ``Dataset``.
        """
        from ._transforms import IgnoreErrorsDataset  # cycle: it subclasses Dataset

        return IgnoreErrorsDataset(self, log_warning)

    def sparse_batch(self, batch_size, row_shape, name=None):
        """``batch_size`` elements of varying shape as one ``SparseTensor`` each.

        Args:
          batch_size: elements per batch.
          row_shape: the dense shape of one row (``None`` dims: the largest in the batch).
          name: unused (TF's op name).

        Returns:
          A ``Dataset`` of ``SparseTensor``.
        """
        from ._transforms import SparseBatchDataset  # cycle: it subclasses Dataset

        return SparseBatchDataset(self, batch_size, row_shape)

    def group_by_window(self, key_func, reduce_func, window_size=None, window_size_func=None,
                        name=None):
        """Elements grouped by an int64 key into windows, each reduced to a dataset.

        Args:
          key_func: element -> scalar ``tf.int64`` key.
          reduce_func: ``(key, window_dataset) -> Dataset``.
          window_size: elements per window (or give ``window_size_func``).
          window_size_func: key -> window size.
          name: unused (TF's op name).

        Returns:
          A ``Dataset``.
        """
        from ._grouping import GroupByWindowDataset  # cycle: it subclasses Dataset

        return GroupByWindowDataset(self, key_func, reduce_func, window_size, window_size_func)

    def bucket_by_sequence_length(self, element_length_func, bucket_boundaries,
                                  bucket_batch_sizes, padded_shapes=None, padding_values=None,
                                  pad_to_bucket_boundary=False, no_padding=False,
                                  drop_remainder=False, name=None):
        """Elements batched with others of similar length (see ``_grouping``).

        Args:
          element_length_func: element -> its length.
          bucket_boundaries: increasing length bounds.
          bucket_batch_sizes: a batch size per bucket.
          padded_shapes, padding_values, pad_to_bucket_boundary, no_padding, drop_remainder:
            how each bucket is batched.
          name: unused (TF's op name).

        Returns:
          A ``Dataset`` of batches.
        """
        from ._grouping import bucket_by_sequence_length  # cycle: it subclasses Dataset

        return bucket_by_sequence_length(self, element_length_func, bucket_boundaries,
                                         bucket_batch_sizes, padded_shapes, padding_values,
                                         pad_to_bucket_boundary, no_padding, drop_remainder)

    def rejection_resample(self, class_func, target_dist, initial_dist=None, seed=None,
                           name=None):
        """``(class, element)`` pairs resampled towards the class distribution ``target_dist``.

        Args:
          class_func: element -> scalar integer class.
          target_dist: the wanted class probabilities.
          initial_dist: the input's class probabilities (estimated when ``None``).
          seed: a random seed.
          name: unused (TF's op name).

        Returns:
          A ``Dataset``.
        """
        from ._grouping import RejectionResampleDataset  # cycle: it subclasses Dataset

        return RejectionResampleDataset(self, class_func, target_dist, initial_dist, seed)

    @staticmethod
    def list_files(file_pattern, shuffle=None, seed=None, name=None):
        """The files matching glob patterns, as scalar ``tf.string`` names.

        Args:
          file_pattern: a pattern or a list (or string tensor) of patterns.
          shuffle: shuffle the names (default True; sorted when False).
          seed: a random seed for the shuffle.
          name: unused (TF's op name).

        Returns:
          A ``Dataset`` of file names.
        """
        if isinstance(file_pattern, TensorBase):
            file_pattern = np.asarray(file_pattern.numpy(), object).reshape(-1).tolist()
        patterns = [file_pattern] if isinstance(file_pattern, (str, bytes, os.PathLike)) \
            else list(file_pattern)
        patterns = [os.fsdecode(p) for p in patterns]
        found = sorted({os.fsencode(f) for p in patterns for f in glob.glob(p)})
        if not found:
            raise errors.InvalidArgumentError(
                None, "list_files", "Expected 'tf.Tensor(False, shape=(), dtype=bool)' to be "
                f"true. Summarized data: b'No files matched pattern: {', '.join(patterns)}'")
        names = np.empty(len(found), object)
        names[:] = found
        ds = TensorSliceDataset(names)
        return ds.shuffle(len(found), seed=seed) if shuffle is None or shuffle else ds

    @staticmethod
    def random(seed=None, rerandomize_each_iteration=None, name=None):
        """An endless dataset of pseudorandom int64 scalars.

        Args:
          seed: a random seed.
          rerandomize_each_iteration: a new sequence on every pass.
          name: unused (TF's op name).

        Returns:
          A ``Dataset``.
        """
        from ._transforms import RandomDataset  # cycle: it subclasses Dataset

        return RandomDataset(seed, rerandomize_each_iteration)

    def save(self, path, compression=None, shard_func=None, checkpoint_args=None):
        """Write the elements and element spec to the directory ``path`` (see ``_save``).

        Args:
          path: a directory.
          compression: ``None`` or ``"GZIP"``.
          shard_func: element -> int64 shard index.
          checkpoint_args: unused.
        """
        from ._save import save  # cycle: it reads datasets

        save(self, path, compression, shard_func, checkpoint_args)

    @staticmethod
    def load(path, element_spec=None, compression=None, reader_func=None, wait=False):
        """A dataset of what ``save`` wrote to ``path``.

        Args:
          path: the directory.
          element_spec: the expected spec (read from ``path`` when ``None``).
          compression: as given to ``save`` (read from ``path``).
          reader_func: ``Dataset`` of shard datasets -> ``Dataset``.
          wait: unused.

        Returns:
          A ``Dataset``.
        """
        from ._save import load  # cycle: it subclasses Dataset

        return load(path, element_spec, compression, reader_func)

    def snapshot(self, path, compression="AUTO", reader_func=None, shard_func=None,
                 name=None):
        """The elements, written to ``path`` on the first complete pass and read back after.

        Args:
          path: a directory.
          compression: ``"AUTO"``, ``"GZIP"`` or ``None``.
          reader_func: as ``load``'s.
          shard_func: as ``save``'s.
          name: unused.

        Returns:
          A ``Dataset``.
        """
        from ._save import SnapshotDataset  # cycle: it subclasses Dataset

        return SnapshotDataset(self, path, compression, reader_func, shard_func)

    def get_single_element(self, name=None):
        it = iter(self)
        try:
            first = next(it)
        except StopIteration:
            raise errors.InvalidArgumentError(
                None, "DatasetToSingleElement", "Dataset was empty.") from None
        try:
            next(it)
        except StopIteration:
            return first
        raise errors.InvalidArgumentError(
            None, "DatasetToSingleElement", "Dataset had more than one element.")


def _input_datasets(ds):
    """The datasets ``ds`` reads from (found among its attributes), for option merging."""
    out = []
    for key, v in ds.__dict__.items():
        if key.startswith("_") and isinstance(v, Dataset) and v is not ds:
            out.append(v)
        elif key.startswith("_") and isinstance(v, (list, tuple)):
            out.extend(x for x in v if isinstance(x, Dataset))
    return out


class _Wrapped(Dataset):
    """The same elements as its input (used by ``with_options``)."""

    def __init__(self, parent):
        self._parent = parent
        self._spec = parent._spec

    element_spec = property(lambda self: self._parent.element_spec)

    def _elements(self):
        return self._parent._elements()

    def _blocks(self, size, drop_remainder=False):
        return self._parent._blocks(size, drop_remainder)

    def _random_access(self):
        return self._parent._random_access()

    def _cardinality(self):
        return self._parent._cardinality()


# -- iterators ---------------------------------------------------------------------------------
class OwnedIterator:
    """Iterator over a dataset yielding tapeflow Tensors in the element's structure."""

    def __init__(self, dataset):
        self._template = dataset._template()
        self._nested = S.is_nested(self._template)
        self._gen = dataset._elements()
        self.element_spec = dataset.element_spec
        self._ckpt_dataset, self._ckpt_position = dataset, 0  # tf.train.Checkpoint's state

    def __iter__(self):
        return self

    def __next__(self):
        flat = next(self._gen)
        self._ckpt_position += 1
        if not self._nested:
            return _leaf(flat[0])
        return S.pack(self._template, [_leaf(a) for a in flat])

    next = __next__

    def get_next(self):
        try:
            return self.__next__()
        except StopIteration:
            raise errors.OutOfRangeError(None, "IteratorGetNext", "End of sequence") from None

    def get_next_as_optional(self):
        """The next element as a ``tf.experimental.Optional`` (empty at the end).

        Returns:
          An ``Optional``.
        """
        try:
            return Optional(self.__next__(), self.element_spec, True)
        except StopIteration:
            return Optional.empty(self.element_spec)

    @property
    def _type_spec(self):
        return IteratorSpec(self.element_spec)

    def close(self):
        self._gen.close()


class NumpyIterator(OwnedIterator):
    """``as_numpy_iterator()``: the same elements as NumPy arrays and scalars."""

    def __next__(self):
        flat = next(self._gen)
        return S.pack(self._template, [_numpy_leaf(a) for a in flat])

    next = __next__

    def __repr__(self):
        return f"NumpyIterator(element_spec={self.element_spec})"


# -- sources -----------------------------------------------------------------------------------
def _frozen(a):
    a = np.array(a, copy=True)
    a.flags.writeable = False
    return a


class TensorSliceDataset(Dataset):
    """``from_tensor_slices``: the rows of in-memory arrays (views, sliced in whole blocks)."""

    def __init__(self, tensors):
        leaves = S.flatten(tensors)
        if not leaves:
            raise ValueError("Dataset.from_tensor_slices() needs at least one component.")
        arrays = [_frozen(S.to_array(x, "from_tensor_slices input")) for x in leaves]
        for a in arrays:
            if a.ndim == 0:
                raise ValueError(
                    f"Unbatching a tensor is only supported for rank >= 1, but got a scalar "
                    f"component of dtype {a.dtype} in from_tensor_slices.")
        n = arrays[0].shape[0]
        for a in arrays[1:]:
            if a.shape[0] != n:
                raise ValueError(f"Dimensions {n} and {a.shape[0]} are not compatible: all "
                                 "components passed to from_tensor_slices must have the same "
                                 "size in their first dimension.")
        self._arrays = arrays
        self._n = n
        self._spec = S.pack(tensors, [TensorSpec(a.shape[1:], dtypes.from_numpy(a.dtype))
                                      for a in arrays])
        arrs = arrays
        self._ra = RandomAccess(n, lambda idx: [a[idx] for a in arrs],
                                lambda s, e: [a[s:e] for a in arrs])

    def _random_access(self):
        return self._ra

    def _cardinality(self):
        return self._n


class TensorDataset(Dataset):
    """``from_tensors``: one element."""

    def __init__(self, tensors):
        arrays = [_frozen(S.to_array(x, "from_tensors input"))[None] for x in S.flatten(tensors)]
        self._spec = S.pack(tensors, [TensorSpec(a.shape[1:], dtypes.from_numpy(a.dtype))
                                      for a in arrays])
        self._ra = RandomAccess(1, lambda idx: [a[idx] for a in arrays],
                                lambda s, e: [a[s:e] for a in arrays])

    def _random_access(self):
        return self._ra

    def _cardinality(self):
        return 1


class RangeDataset(Dataset):
    """``range([start,] stop[, step])`` as int64 (or ``dtype``) scalars."""

    def __init__(self, *args, dtype=dtypes.int64):
        args = [_count(a, "range argument") for a in args]
        if not 1 <= len(args) <= 3:
            raise ValueError("Dataset.range() takes 1 to 3 arguments: [start,] stop[, step].")
        if len(args) == 1:
            start, stop, step = 0, args[0], 1
        elif len(args) == 2:
            (start, stop), step = args, 1
        else:
            start, stop, step = args
        if step == 0:
            raise errors.InvalidArgumentError(None, "RangeDataset", "step must be a non-zero "
                                              "integer.")
        self._dtype = dtypes.as_dtype(dtype)
        self._spec = TensorSpec([], self._dtype)
        n = len(range(start, stop, step))
        npd = self._dtype._np

        def gather(idx):
            return [(start + idx.astype(np.int64) * step).astype(npd)]

        def slice_(a, b):
            return [np.arange(start + a * step, start + b * step, step, dtype=np.int64)
                    .astype(npd, copy=False)]

        self._ra = RandomAccess(n, gather, slice_)

    def _random_access(self):
        return self._ra

    def _cardinality(self):
        return self._ra.n


def _signature_from_types(output_types, output_shapes):
    if output_shapes is None:
        output_shapes = S.map_structure(lambda _: None, output_types)
    types = S.flatten(output_types)
    # NOTE: shapes are read up to the structure of the types: ``()`` is a scalar's shape there,
    # not an empty tuple of shapes (TF: ``output_shapes=((), (1,))``)
    shapes = S.flatten_up_to(output_types, output_shapes)
    specs = [TensorSpec(TensorShape(s), t) for s, t in zip(shapes, types)]
    return S.pack(output_types, specs)


class GeneratorDataset(Dataset):
    """``from_generator``: elements a Python generator yields, checked against the signature."""

    def __init__(self, generator, output_types, output_shapes, args, output_signature):
        if not callable(generator):
            raise TypeError("`generator` must be a Python callable.")
        if output_signature is None:
            if output_types is None:
                raise TypeError("The `output_signature` argument must be set (or, deprecated, "
                                "`output_types`).")
            output_signature = _signature_from_types(output_types, output_shapes)
        for s in S.flatten(output_signature):
            if not isinstance(s, (TensorSpec, RaggedTensorSpec)):
                raise TypeError(f"`output_signature` must contain TensorSpec objects, got {s!r}")
        self._spec = output_signature
        self._gen_fn = generator
        self._args = tuple(args) if args is not None else ()

    def _elements(self):
        specs = S.flatten(self._spec)
        nested = S.is_nested(self._spec)
        # NOTE: like TF, ``args`` reach the generator as NumPy values, not tensors
        args = [(lambda a: a[()] if a.ndim == 0 else a)(S.to_array(a)) for a in self._args]
        it = iter(self._gen_fn(*args))
        for pos, value in enumerate(it):
            if isinstance(value, list) and isinstance(self._spec, tuple):
                value = tuple(value)
            leaves = S.flatten(value) if nested else [value]
            if len(leaves) != len(specs):
                raise TypeError(f"`generator` yielded an element that did not match the expected "
                                f"structure {self._spec} (element {pos}: {value!r}).")
            out = []
            for x, spec in zip(leaves, specs):
                if isinstance(spec, RaggedTensorSpec):
                    from ._ragged import generator_value  # cycle: _ragged imports this module

                    out.append(generator_value(x, spec, pos))
                    continue
                a = S.to_array(x, "generator output")
                if a.dtype != spec.dtype._np:
                    if a.dtype.kind == "f" and spec.dtype._np.kind in "iub":
                        raise TypeError(f"`generator` yielded an element of dtype {a.dtype} "
                                        f"where {spec.dtype.name} was expected (element {pos}).")
                    a = a.astype(spec.dtype._np)
                if not spec.shape.is_compatible_with(a.shape):
                    raise errors.InvalidArgumentError(
                        None, "PyFunc",
                        f"`generator` yielded an element of shape {a.shape} where an element "
                        f"of shape {spec.shape} was expected (element {pos}).")
                out.append(a)
            yield out


# -- combinations ------------------------------------------------------------------------------
class ZipDataset(Dataset):
    """``zip``: elements of several datasets side by side; ends with the shortest."""

    def __init__(self, datasets):
        if isinstance(datasets, Dataset):
            datasets = (datasets,)
        if isinstance(datasets, list):
            datasets = tuple(datasets)
        for d in S.flatten(datasets):
            if not isinstance(d, Dataset):
                raise TypeError(f"Dataset.zip() expects datasets (in a nested structure), got "
                                f"{type(d).__name__}.")
        self._structure = datasets
        self._children = S.flatten(datasets)

    @property
    def element_spec(self):
        return S.pack(self._structure, [d.element_spec for d in self._children])

    def _widths(self):
        return [len(S.flatten(d.element_spec)) for d in self._children]

    def _elements(self):
        ra = self._random_access()
        if ra is not None:
            return _ra_elements(ra)
        return self._zip_elements()

    def _zip_elements(self):
        gens = [d._elements() for d in self._children]
        try:
            for parts in zip(*gens):
                yield [a for p in parts for a in p]
        finally:
            for g in gens:
                g.close()

    def _blocks(self, size, drop_remainder=False):
        ra = self._random_access()
        if ra is not None:
            return _ra_blocks(ra, size, drop_remainder)
        return self._zip_blocks(size, drop_remainder)

    def _zip_blocks(self, size, drop_remainder):
        gens = [d._blocks(size, False) for d in self._children]
        try:
            for parts in zip(*gens):
                n = min(P.block_len(p) for p in parts)
                if n < size and drop_remainder:
                    return
                yield [a[:n] for p in parts for a in p]
                if n < size:
                    return
        finally:
            for g in gens:
                g.close()

    def _random_access(self):
        ras = [d._random_access() for d in self._children]
        if any(r is None for r in ras):
            return None
        n = min(r.n for r in ras)
        return RandomAccess(n, lambda idx: [a for r in ras for a in r.gather(idx)],
                            lambda s, e: [a for r in ras for a in r.slice(s, e)])

    def _cardinality(self):
        cards = [d._cardinality() for d in self._children]
        finite = [c for c in cards if c >= 0]
        if finite:
            return min(finite)
        return UNKNOWN if UNKNOWN in cards else INFINITE


def _compatible_specs(a, b, what):
    fa, fb = S.flatten(a), S.flatten(b)
    try:
        same = S.pack(a, list(range(len(fa)))) == S.pack(b, list(range(len(fb))))
    except (TypeError, ValueError, StopIteration):
        same = False
    if not same or len(fa) != len(fb):
        raise TypeError(f"Incompatible dataset elements for {what}: {a} vs. {b}.")
    out = []
    for x, y in zip(fa, fb):
        if x.dtype != y.dtype:
            raise TypeError(f"Incompatible dataset elements for {what}: {a} vs. {b} "
                            f"(dtypes {x.dtype.name} and {y.dtype.name}).")
        out.append(x.most_specific_compatible_type(y))
    return S.pack(a, out)


class ConcatenateDataset(Dataset):
    """``a.concatenate(b)``: all of ``a`` then all of ``b``."""

    def __init__(self, first, second):
        if not isinstance(second, Dataset):
            raise TypeError("concatenate() expects a Dataset.")
        self._a, self._b = first, second
        self._spec = _compatible_specs(first.element_spec, second.element_spec, "concatenate")

    def _template(self):
        return self._a._template()

    def _elements(self):
        yield from self._a._elements()
        yield from self._b._elements()

    def _blocks(self, size, drop_remainder=False):
        parts = itertools.chain(self._a._blocks(size), self._b._blocks(size))
        return P.rechunk(parts, size, drop_remainder)

    def _random_access(self):
        ra, rb = self._a._random_access(), self._b._random_access()
        if ra is None or rb is None:
            return None
        na = ra.n

        def gather(idx):
            if idx.size and idx.max() < na:
                return ra.gather(idx)
            if idx.size and idx.min() >= na:
                return rb.gather(idx - na)
            first = idx < na
            pa, pb = ra.gather(idx[first]), rb.gather(idx[~first] - na)
            out = []
            for x, y in zip(pa, pb):
                o = np.empty((idx.size,) + x.shape[1:], x.dtype)
                o[first] = x
                o[~first] = y
                out.append(o)
            return out

        return RandomAccess(na + rb.n, gather)

    def _cardinality(self):
        a, b = self._a._cardinality(), self._b._cardinality()
        if INFINITE in (a, b):
            return INFINITE
        if UNKNOWN in (a, b):
            return UNKNOWN
        return a + b


# -- element-wise functions --------------------------------------------------------------------
def _leaf(a):
    """A component of an element as user code sees it: a tensor, or a window's dataset."""
    return a if isinstance(a, _NOT_ARRAYS) else wrap(a)


_NOT_ARRAYS = (Dataset, CompositeTensor, TensorBase)  # components that are not host arrays


def _numpy_leaf(a):
    """A component as ``as_numpy_iterator`` gives it."""
    if isinstance(a, _NOT_ARRAYS):
        return a.numpy()
    return a[()] if a.ndim == 0 else (a if a.flags.writeable else a.copy())


def _unpacks(element):
    return isinstance(element, tuple) and not S._is_namedtuple(element)


class _Function:
    """A user function over dataset elements: tensors in, a nested structure of arrays out."""

    def __init__(self, fn, in_template, where):
        if not callable(fn):
            raise TypeError(f"The function passed to {where} must be callable, got {fn!r}.")
        self.fn = fn
        self.in_template = in_template
        self.where = where

    def call_tensors(self, tensors):
        return self.fn(*tensors) if _unpacks(tensors) else self.fn(tensors)

    def flatten_output(self, out):
        out = S.normalize(out, self.where)
        leaves = S.flatten(out)
        arrays = [S.to_array(x, f"value returned by the function passed to {self.where}")
                  for x in leaves]
        return out, arrays

    def __call__(self, arrays, position):
        """Run on one element (flat arrays); errors name the element's position."""
        try:
            tensors = S.pack(self.in_template, [_leaf(a) for a in arrays])
            return self.flatten_output(self.call_tensors(tensors))[1]
        except Exception as e:
            raise P.with_position(e, self.where, position) from e


# the probe strings of a string input: of different lengths and word counts
_STRING_PROBES = (b"", b"1 1")


class MapDataset(Dataset):
    """``map``: a function applied to every element, on whole blocks when it is batch-safe."""

    def __init__(self, parent, fn, num_parallel_calls=None, deterministic=None):
        self._parent = parent
        self._fn = _Function(fn, parent._template(), "Dataset.map()")
        self._parallel = num_parallel_calls
        self._spec = None
        self._vec = None  # None: untried, True: runs on blocks, False: per element only

    @property
    def element_spec(self):
        if self._spec is None:  # NOTE: found by probing the function, as TF finds it by tracing
            self._spec = self._infer_spec()
        return self._spec

    def _template(self):
        return self.element_spec

    def _infer_spec(self):
        """The output spec from two probe elements (zeros with unknown dims 1, ones with unknown
        dims 2): dimensions that differ between the probes are reported as unknown, as TF's
        symbolic trace would (data-dependent shapes such as boolean masks included)."""
        in_specs = S.flatten(self._parent.element_spec)
        if all(s.shape.rank is not None and not isinstance(s, RaggedTensorSpec)
               for s in in_specs):
            probes = []
            for fill, unknown in ((0, 1), (1, 2)):
                dummy = [np.full([unknown if d is None else d for d in s.shape.dims],
                                 fill if s.dtype._np.kind != "O" else _STRING_PROBES[fill],
                                 s.dtype._np) for s in in_specs]
                try:
                    with np.errstate(all="ignore"):
                        probes.append(self._fn.flatten_output(self._fn.call_tensors(
                            S.pack(self._fn.in_template, [wrap(a) for a in dummy]))))
                except Exception:
                    break
            if probes:
                out, first = probes[0]
                other = probes[-1][1] if len(probes) > 1 else first
                if len(other) == len(first):
                    return S.pack(out, [_merge_spec(a, b) for a, b in zip(first, other)])
        for arrays in self._parent._elements():  # fall back to the first real element
            try:
                out, res = self._fn.flatten_output(self._fn.call_tensors(
                    S.pack(self._fn.in_template, [_leaf(a) for a in arrays])))
            except Exception as e:
                raise P.with_position(e, self._fn.where, 0) from e
            return S.pack(out, [S.spec_of(a) for a in res])
        return S.map_structure(lambda s: s, self._parent.element_spec)

    def _cardinality(self):
        return self._parent._cardinality()

    def _ragged(self):
        """True when the outputs may differ in shape from element to element (an unknown
        dimension): such elements cannot be stacked into blocks before a ``padded_batch``."""
        return not all(isinstance(s, TensorSpec) and s.shape.is_fully_defined()
                       for s in S.flatten(self.element_spec))

    def _elements(self):
        ra = self._random_access()
        if ra is not None and self._vec is not False:
            gen = self._block_elements()
        else:
            gen = self._element_gen()
        if self._parallel is not None and self._parallel != 0 and not _DEBUG_MODE[0]:
            size = _AUTOTUNE_PREFETCH * 8 if self._parallel == AUTOTUNE else self._parallel
            return P.background(lambda: gen, size, "tapeflow.data.map")
        return gen

    def _element_gen(self):
        fn = self._fn
        for pos, arrays in enumerate(self._parent._elements()):
            yield fn(arrays, pos)

    def _block_elements(self):
        """Elements of an in-memory input mapped a block at a time while the function is
        batch-safe (a small first block probes that), then one at a time: a function that
        cannot run on blocks never computes far ahead of the consumer."""
        ra = self._parent._random_access()
        start, n, size = 0, ra.n, 8
        while start < n and self._vec is not False:
            stop = min(start + size, n)
            try:
                out = self._apply_block(ra.slice(start, stop), start)
            except Exception as e:
                done = getattr(e, "_tapeflow_done", None)
                if done is not None:
                    yield from P.rows(done)
                raise
            start = stop
            size = _ELEMENT_CHUNK
            yield from P.rows(out)
        fn = self._fn
        for a in range(start, n, _ELEMENT_CHUNK):
            for i, row in enumerate(P.rows(ra.slice(a, min(a + _ELEMENT_CHUNK, n)))):
                yield fn(row, a + i)

    def _blocks(self, size, drop_remainder=False):
        static = all(s.shape.is_fully_defined() for s in S.flatten(self._parent.element_spec))
        if not static or self._vec is False:
            # ragged inputs cannot be stacked before the function runs: map, then stack
            return P.blocks_from_elements(self._element_gen(), size, drop_remainder)
        return self._gen_blocks(size, drop_remainder)

    def _gen_blocks(self, size, drop_remainder):
        start = 0
        for block in self._parent._blocks(size, drop_remainder):
            yield self._apply_block(block, start)
            start += P.block_len(block)

    def _random_access(self):
        ra = self._parent._random_access()
        if ra is None or self._ragged():
            return None
        return RandomAccess(ra.n, lambda idx: self._apply_block(ra.gather(idx), idx),
                            lambda a, b: self._apply_block(ra.slice(a, b), a))

    def _apply_block(self, block, start):
        """The function on every row of ``block``; ``start``: positions (an int or indices)."""
        n = P.block_len(block)
        if n == 0:
            return [np.zeros((0,) + tuple(0 if d is None else d for d in s.shape.dims),
                             s.dtype._np) for s in S.flatten(self.element_spec)]
        if self._vec is not False and n > 1:
            out = self._try_vectorized(block, start)
            if out is not None:
                return out
        fn = self._fn
        pos = (lambda i: start + i) if isinstance(start, int) else (lambda i: int(start[i]))
        results = []
        try:
            for i, row in enumerate(P.rows(block)):
                results.append(fn(row, pos(i)))
        except Exception as e:
            # the elements before the failing one still come out first, as in TF
            e._tapeflow_done = P.stack(results, pos(0)) if results else None
            raise
        if self._vec is not False and n > 1:
            self._vec = False  # the block failed where every element succeeds: not batch-safe
        return P.stack(results, pos(0))

    def _try_vectorized(self, block, start):
        n = P.block_len(block)
        try:
            out = call_batched(self._fn, block, n)
        except Exception:  # maybe a bad element: the per-element run will say which
            return None
        if out is None:
            self._vec = False
            return None
        if self._vec is None:
            # first block: the batched result must equal per-element results, row for row
            first = self._fn([c[0, ...] for c in block], start if isinstance(start, int)
                             else int(start[0]))
            last = self._fn([c[n - 1, ...] for c in block], start + n - 1
                            if isinstance(start, int) else int(start[n - 1]))
            ok = len(first) == len(out) and all(
                o.shape[1:] == f.shape and o.dtype == f.dtype and _same(o[0], f)
                and _same(o[n - 1], la) for o, f, la in zip(out, first, last))
            self._vec = ok
            if not ok:
                return None
        else:
            for o, s in zip(out, S.flatten(self.element_spec)):
                if o.dtype != s.dtype._np or not s.shape.is_compatible_with(o.shape[1:]):
                    return None
        return out


def _merge_spec(a, b):
    """The spec of two probe outputs: their common dims, None where they differ."""
    if isinstance(a, CompositeTensor):
        spec = a._type_spec
        dims = [x if x == y else None for x, y in zip(a.shape, b.shape)] \
            if a.shape.rank == b.shape.rank else None
        if not isinstance(spec, RaggedTensorSpec):  # a SparseTensor: its spec, dims merged
            return type(spec)(dims, spec.dtype)
        return RaggedTensorSpec(dims, spec.dtype, spec.ragged_rank, spec.row_splits_dtype)
    dtype = dtypes.from_numpy(a.dtype)
    if a.ndim != b.ndim:
        return TensorSpec(None, dtype)
    return TensorSpec([x if x == y else None for x, y in zip(a.shape, b.shape)], dtype)


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


class FilterDataset(Dataset):
    """``filter``: the elements for which ``predicate`` returns a true scalar boolean."""

    def __init__(self, parent, predicate):
        self._parent = parent
        self._spec = parent.element_spec
        self._fn = _Function(predicate, parent._template(), "Dataset.filter()")
        self._masks = None  # a MapDataset computing the predicate on blocks of in-memory data

    def _template(self):
        return self._parent._template()

    def _check(self, r, pos):
        if len(r) != 1 or r[0].shape != () or r[0].dtype != np.bool_:
            raise ValueError(
                "Invalid `predicate`: the function passed to Dataset.filter() must return "
                f"a scalar boolean tensor, got {[str(a.dtype) for a in r]} with shapes "
                f"{[a.shape for a in r]} (element {pos}).")

    def _elements(self):
        ra = self._parent._random_access()
        if ra is not None:
            return (row for block in self._kept_blocks(ra) for row in P.rows(block))
        return self._element_gen()

    def _element_gen(self):
        fn = self._fn
        for pos, arrays in enumerate(self._parent._elements()):
            r = fn(arrays, pos)
            self._check(r, pos)
            if r[0]:
                yield arrays

    def _kept_blocks(self, ra):
        """Blocks of the in-memory input with the predicate run on whole blocks."""
        if self._masks is None:
            self._masks = MapDataset(self._parent, self._fn.fn)
            self._masks._fn.where = "Dataset.filter()"
        masks = self._masks
        start = 0
        for block in _ra_blocks(ra, _ELEMENT_CHUNK * 2, False):
            n = P.block_len(block)
            if masks._vec is False:
                keep = []
                for i, row in enumerate(P.rows(block)):
                    r = self._fn(row, start + i)
                    self._check(r, start + i)
                    keep.append(bool(r[0]))
                keep = np.asarray(keep, dtype=bool)
            else:
                out = masks._apply_block(block, start)
                if len(out) != 1 or out[0].shape != (n,) or out[0].dtype != np.bool_:
                    for i, row in enumerate(P.rows(block)):  # find the offending element
                        self._check(self._fn(row, start + i), start + i)
                keep = out[0]
            start += n
            if keep.all():
                yield block
            elif keep.any():
                yield [c[keep] for c in block]

    def _blocks(self, size, drop_remainder=False):
        ra = self._parent._random_access()
        if ra is not None:
            return P.rechunk(self._kept_blocks(ra), size, drop_remainder)
        return P.blocks_from_elements(self._element_gen(), size, drop_remainder)


class TakeWhileDataset(FilterDataset):
    """``take_while``: elements up to the first one for which ``predicate`` is false."""

    def _blocks(self, size, drop_remainder=False):
        return P.blocks_from_elements(self._elements(), size, drop_remainder)

    def _elements(self):
        fn = self._fn
        for pos, arrays in enumerate(self._parent._elements()):
            r = fn(arrays, pos)
            if len(r) != 1 or r[0].shape != () or r[0].dtype != np.bool_:
                raise ValueError("`predicate` must return a scalar boolean tensor.")
            if not r[0]:
                return
            yield arrays


class FlatMapDataset(Dataset):
    """``flat_map``: ``map_func`` returns a dataset per element; their elements in order."""

    def __init__(self, parent, fn):
        self._parent = parent
        self._fnraw = fn
        self._in = parent._template()
        self._spec = None

    def _datasets(self):
        for pos, arrays in enumerate(self._parent._elements()):
            tensors = S.pack(self._in, [_leaf(a) for a in arrays])
            try:
                ds = self._fnraw(*tensors) if _unpacks(tensors) else self._fnraw(tensors)
            except Exception as e:
                raise P.with_position(e, "Dataset.flat_map()", pos) from e
            if not isinstance(ds, Dataset):
                raise TypeError("The function passed to flat_map() must return a Dataset, got "
                                f"{type(ds).__name__}.")
            yield ds

    @property
    def element_spec(self):
        if self._spec is None:
            for ds in self._datasets():
                self._spec = ds.element_spec
                break
        return self._spec

    def _elements(self):
        for ds in self._datasets():
            yield from ds._elements()


class InterleaveDataset(FlatMapDataset):
    """``interleave``: ``block_length`` elements from each of ``cycle_length`` datasets in turn."""

    def __init__(self, parent, fn, cycle_length, block_length):
        super().__init__(parent, fn)
        self._cycle = max(1, int(cycle_length))
        self._block = max(1, int(block_length))

    def _elements(self):
        sources = self._datasets()
        active = []
        exhausted = False
        while True:
            while not exhausted and len(active) < self._cycle:
                ds = next(sources, None)
                if ds is None:
                    exhausted = True
                else:
                    active.append(ds._elements())
            if not active:
                return
            for g in list(active):
                for _ in range(self._block):
                    el = next(g, None)
                    if el is None:
                        active.remove(g)
                        break
                    yield el


# -- shuffle -----------------------------------------------------------------------------------
def _shuffle_order(source, buffer_size, rng):
    """TF's buffer sampling: fill ``buffer_size`` items, then emit a random buffer slot and
    refill it from the input; ``source`` is any iterator of items (indices or elements)."""
    buf = list(itertools.islice(source, buffer_size))
    uniforms = rng.random(4096)
    k = 0
    while buf:
        if k == 4096:
            uniforms = rng.random(4096)
            k = 0
        j = int(uniforms[k] * len(buf))
        k += 1
        out = buf[j]
        nxt = next(source, _MISSING)
        if nxt is _MISSING:
            last = buf.pop()
            if j < len(buf):
                buf[j] = last
        else:
            buf[j] = nxt
        yield out


_MISSING = object()


def _shuffled_indices(n, k, rng, chunk=1 << 16):
    """The order in which ``_shuffle_order`` emits the indices ``0..n-1`` with a buffer of
    ``k``, computed on whole arrays: while input remains, each step picks a buffer slot
    uniformly, emits its index and refills it with the next input, so the index emitted at a
    step is whatever entered that slot when it was last picked (or its initial index); once
    the input is exhausted the remaining buffer comes out in uniformly random order."""
    k = min(k, n)
    slots = np.arange(k, dtype=np.int64)  # slot i initially holds input i
    steady = n - k
    t0 = 0
    while t0 < steady:
        c = min(chunk, steady - t0)
        s = (rng.random(c) * k).astype(np.int64)
        order = np.argsort(s, kind="stable")  # steps grouped by slot, in time order
        ss = s[order]
        first = np.ones(c, dtype=bool)
        first[1:] = ss[1:] != ss[:-1]
        prev_step = np.empty(c, dtype=np.int64)
        prev_step[0] = 0
        prev_step[1:] = order[:-1]
        out = np.empty(c, dtype=np.int64)
        out[order] = np.where(first, slots[ss], k + t0 + prev_step)
        last = np.ones(c, dtype=bool)
        last[:-1] = ss[1:] != ss[:-1]
        slots[ss[last]] = k + t0 + order[last]  # what each picked slot holds afterwards
        yield out
        t0 += c
    if k:
        yield rng.permutation(slots)


class ShuffleDataset(Dataset):
    """``shuffle``: a ``buffer_size``-element buffer sampled uniformly, as TF does it."""

    def __init__(self, parent, buffer_size, seed, reshuffle_each_iteration):
        buffer_size = _count(buffer_size, "buffer_size")
        if buffer_size == AUTOTUNE:
            buffer_size = 1024  # NOTE: TF rejects AUTOTUNE here in older versions; pick a size
        if buffer_size <= 0:
            raise errors.InvalidArgumentError(None, "ShuffleDataset", "buffer_size must be "
                                              f"greater than zero, got {buffer_size}.")
        self._parent = parent
        self._spec = parent.element_spec
        self._size = buffer_size
        self._reshuffle = True if reshuffle_each_iteration is None else \
            bool(reshuffle_each_iteration)
        self._base = _seed_base(seed)
        self._epoch = itertools.count()

    def _template(self):
        return self._parent._template()

    def _cardinality(self):
        return self._parent._cardinality()

    def _rng(self):
        epoch = next(self._epoch) if self._reshuffle else 0
        return np.random.default_rng([self._base, epoch])

    def _index_blocks(self, ra, size, drop_remainder):
        order = P.rechunk(([c] for c in _shuffled_indices(ra.n, self._size, self._rng())), size,
                          drop_remainder)
        for (idx,) in order:
            yield ra.gather(idx)

    def _elements(self):
        ra = self._parent._random_access()
        if ra is not None:
            return self._ra_elements(ra)
        return _shuffle_order(self._parent._elements(), self._size, self._rng())

    def _ra_elements(self, ra):
        for block in self._index_blocks(ra, _ELEMENT_CHUNK, False):
            yield from P.rows(block)

    def _blocks(self, size, drop_remainder=False):
        ra = self._parent._random_access()
        if ra is not None:
            return self._index_blocks(ra, size, drop_remainder)
        return P.blocks_from_elements(self._elements(), size, drop_remainder)


# -- batching ----------------------------------------------------------------------------------
class BatchDataset(Dataset):
    """``batch``: consecutive elements stacked along a new leading dimension."""

    def __init__(self, parent, batch_size, drop_remainder):
        self._parent = parent
        self._size = _count(batch_size, "batch_size")
        if self._size <= 0:
            raise errors.InvalidArgumentError(None, "BatchDataset", "Batch size must be greater "
                                              f"than zero, got {self._size}.")
        self._drop = bool(drop_remainder)
        known = self._size if self._drop else None
        self._spec = S.map_structure(lambda s: s._batch(known), parent.element_spec)

    def _template(self):
        return S.pack(self._parent._template(), S.flatten(self._spec))

    def _elements(self):
        return self._parent._blocks(self._size, self._drop)

    def _random_access(self):
        ra = self._parent._random_access()
        if ra is None or (not self._drop and ra.n % self._size):
            return None  # only equal-sized batches can be gathered in any order
        size, n = self._size, ra.n
        count = n // size if self._drop else -(-n // size)

        def gather(idx):
            blocks = [ra.slice(int(i) * size, min(int(i) * size + size, n)) for i in idx]
            if len(blocks) and len({P.block_len(b) for b in blocks}) > 1:
                raise errors.InvalidArgumentError(None, "IteratorGetNext", "Cannot batch "
                                                  "batches of different sizes.")
            return [np.stack([b[k] for b in blocks]) for k in range(len(blocks[0]))] \
                if blocks else [np.zeros((0,)) for _ in S.flatten(self._spec)]

        return RandomAccess(count, gather)

    def _cardinality(self):
        n = self._parent._cardinality()
        if n < 0:
            return n
        return n // self._size if self._drop else -(-n // self._size)


class PaddedBatchDataset(Dataset):
    """``padded_batch``: batches whose components are padded to a common shape."""

    def __init__(self, parent, batch_size, padded_shapes, padding_values, drop_remainder):
        self._parent = parent
        self._size = _count(batch_size, "batch_size")
        if self._size <= 0:
            raise errors.InvalidArgumentError(None, "PaddedBatchDataset", "Batch size must be "
                                              "greater than zero.")
        self._drop = bool(drop_remainder)
        specs = S.flatten(parent.element_spec)
        if padded_shapes is None:
            shapes = [s.shape for s in specs]
            for s in shapes:
                if s.rank is None:
                    raise ValueError("You must provide `padded_shapes` when an element has an "
                                     "unknown rank.")
        else:
            shapes = [TensorShape(p) for p in (S.flatten(padded_shapes) if S.is_nested(
                parent.element_spec) else [padded_shapes])]
            if len(shapes) != len(specs):
                raise ValueError("`padded_shapes` must match the structure of the elements.")
        self._shapes = shapes
        if padding_values is None:
            values = [None] * len(specs)
        else:
            values = S.flatten(padding_values) if S.is_nested(parent.element_spec) \
                else [padding_values]
        self._values = [0 if v is None else S.to_array(v) for v in values]
        known = self._size if self._drop else None
        self._spec = S.pack(parent._template(), [
            TensorSpec(TensorShape([known]).concatenate(sh), s.dtype)
            for sh, s in zip(shapes, specs)])

    def _template(self):
        return S.pack(self._parent._template(), S.flatten(self._spec))

    def _cardinality(self):
        n = self._parent._cardinality()
        if n < 0:
            return n
        return n // self._size if self._drop else -(-n // self._size)

    def _pad(self, elements, start):
        out = []
        for k, (shape, value) in enumerate(zip(self._shapes, self._values)):
            comps = [e[k] for e in elements]
            rank = comps[0].ndim
            target = []
            for d in range(rank):
                big = max(c.shape[d] for c in comps)
                want = shape[d] if shape.rank is not None else None
                if want is not None and big > want:  # TF 2.21 raises DataLossError here
                    raise errors.DataLossError(
                        None, "PaddedBatchDataset",
                        f"Attempted to pad to a smaller size than the input element (component "
                        f"{k}, dimension {d}: {big} > {want}; batch starting at element "
                        f"{start}).")
                target.append(big if want is None else want)
            arr = np.empty([len(comps)] + target, comps[0].dtype)
            if comps[0].dtype.kind == "O" and isinstance(value, int) and value == 0:
                value = b""  # strings pad with b"" by default, as in TF
            arr[...] = np.asarray(value, dtype=comps[0].dtype)
            for i, c in enumerate(comps):
                if c.ndim != rank:
                    raise errors.InvalidArgumentError(None, "PaddedBatchDataset", "Elements "
                                                      "of a padded batch must have the same rank.")
                arr[(i,) + tuple(slice(0, s) for s in c.shape) + (Ellipsis,)] = c
            out.append(arr)
        return out

    def _elements(self):
        buf = []
        start = 0
        for el in self._parent._elements():
            buf.append(el)
            if len(buf) == self._size:
                yield self._pad(buf, start)
                start += len(buf)
                buf = []
        if buf and not self._drop:
            yield self._pad(buf, start)


class UnbatchDataset(Dataset):
    """``unbatch``: every element split along its leading dimension."""

    def __init__(self, parent):
        self._parent = parent
        self._spec = S.map_structure(lambda s: s._unbatch(), parent.element_spec)

    def _template(self):
        return S.pack(self._parent._template(), S.flatten(self._spec))

    def _elements(self):
        for block in self._parent._elements():
            n = P.block_len(block)
            for c in block:
                if c.shape[0] != n:
                    raise errors.InvalidArgumentError(
                        None, "UnbatchDataset", "Input element must have the same batch size in "
                        f"each component. Component 0 had size {n} but another had size "
                        f"{c.shape[0]}.")
            yield from P.rows(block)

    def _blocks(self, size, drop_remainder=False):
        return P.rechunk(self._parent._elements(), size, drop_remainder)

    def _cardinality(self):
        n = self._parent._cardinality()
        if n == INFINITE:
            return INFINITE
        lead = {s.shape[0] if isinstance(s, TensorSpec) and s.shape.rank else None
                for s in S.flatten(self._parent.element_spec)}
        if n >= 0 and len(lead) == 1 and None not in lead:
            return n * lead.pop()  # every batch has the same static size: TF counts it
        return UNKNOWN


# -- counting ----------------------------------------------------------------------------------
class RepeatDataset(Dataset):
    """``repeat``: the input ``count`` times (forever when ``count`` is None or -1)."""

    def __init__(self, parent, count):
        self._parent = parent
        self._spec = parent.element_spec
        self._count = -1 if count is None else _count(count, "count")

    def _template(self):
        return self._parent._template()

    def _epochs(self):
        return itertools.count() if self._count < 0 else range(self._count)

    def _elements(self):
        for _ in self._epochs():
            produced = False
            for el in self._parent._elements():
                produced = True
                yield el
            if not produced:  # an empty input repeated forever is still empty
                return

    def _blocks(self, size, drop_remainder=False):
        def parts():
            for _ in self._epochs():
                produced = False
                for b in self._parent._blocks(size):
                    produced = True
                    yield b
                if not produced:
                    return

        return P.rechunk(parts(), size, drop_remainder)

    def _random_access(self):
        if self._count < 0:
            return None
        ra = self._parent._random_access()
        if ra is None:
            return None
        n = ra.n
        return RandomAccess(n * self._count, lambda idx: ra.gather(idx % n))

    def _cardinality(self):
        n = self._parent._cardinality()
        if self._count < 0:
            return 0 if n == 0 else INFINITE
        if n < 0:
            return n
        return n * self._count


class TakeDataset(Dataset):
    """``take``: at most ``count`` elements (all when ``count`` is -1)."""

    def __init__(self, parent, count):
        self._parent = parent
        self._spec = parent.element_spec
        self._count = _count(count, "count")

    def _template(self):
        return self._parent._template()

    def _elements(self):
        ra = self._random_access()
        if ra is not None:
            return _ra_elements(ra)
        if self._count < 0:
            return self._parent._elements()
        return self._take(self._parent._elements())

    def _take(self, gen):
        if self._count == 0:
            return
        for i, el in enumerate(gen):
            yield el
            if i + 1 >= self._count:
                gen.close()
                return

    def _blocks(self, size, drop_remainder=False):
        ra = self._random_access()
        if ra is not None or self._count < 0:
            return super()._blocks(size, drop_remainder) if ra is not None else \
                self._parent._blocks(size, drop_remainder)
        return self._take_blocks(size, drop_remainder)

    def _take_blocks(self, size, drop_remainder):
        left = self._count
        if left == 0:
            return
        gen = self._parent._blocks(size, False)
        for b in gen:
            n = P.block_len(b)
            if n >= left:
                b = [c[:left] for c in b]
                if not (drop_remainder and left < size):
                    yield b
                gen.close()
                return
            if drop_remainder and n < size:
                return
            yield b
            left -= n

    def _random_access(self):
        ra = self._parent._random_access()
        if ra is None:
            return None
        n = ra.n if self._count < 0 else min(ra.n, self._count)
        return RandomAccess(n, ra.gather, ra.slice)

    def _cardinality(self):
        n = self._parent._cardinality()
        if self._count < 0:
            return n
        if n == INFINITE:
            return self._count
        if n == UNKNOWN:
            return UNKNOWN
        return min(n, self._count)


class SkipDataset(Dataset):
    """``skip``: all but the first ``count`` elements (none when ``count`` is -1)."""

    def __init__(self, parent, count):
        self._parent = parent
        self._spec = parent.element_spec
        self._count = _count(count, "count")

    def _template(self):
        return self._parent._template()

    def _elements(self):
        ra = self._random_access()
        if ra is not None:
            return _ra_elements(ra)
        return self._skip()

    def _skip(self):
        if self._count < 0:
            return
        yield from itertools.islice(self._parent._elements(), self._count, None)

    def _random_access(self):
        ra = self._parent._random_access()
        if ra is None:
            return None
        k = ra.n if self._count < 0 else min(ra.n, self._count)
        return RandomAccess(ra.n - k, lambda idx: ra.gather(idx + k),
                            lambda a, b: ra.slice(a + k, b + k))

    def _cardinality(self):
        n = self._parent._cardinality()
        if n < 0:
            return n
        if self._count < 0:
            return 0
        return max(0, n - self._count)


class ShardDataset(Dataset):
    """``shard``: every ``num_shards``-th element starting at ``index``."""

    def __init__(self, parent, num_shards, index):
        n, i = _count(num_shards, "num_shards"), _count(index, "index")
        if n <= 0:
            raise errors.InvalidArgumentError(None, "ShardDataset", "num_shards must be >= 1, "
                                              f"got {n}.")
        if not 0 <= i < n:
            raise errors.InvalidArgumentError(None, "ShardDataset", "index must be between 0 "
                                              f"and {n - 1}, got {i}.")
        self._parent, self._n, self._i = parent, n, i
        self._spec = parent.element_spec

    def _template(self):
        return self._parent._template()

    def _elements(self):
        ra = self._random_access()
        if ra is not None:
            return _ra_elements(ra)
        return itertools.islice(self._parent._elements(), self._i, None, self._n)

    def _random_access(self):
        ra = self._parent._random_access()
        if ra is None:
            return None
        n, i = self._n, self._i
        count = max(0, -(-(ra.n - i) // n))
        return RandomAccess(count, lambda idx: ra.gather(idx * n + i))

    def _cardinality(self):
        c = self._parent._cardinality()
        if c < 0:
            return c
        return c // self._n + (1 if self._i < c % self._n else 0)


# -- prefetch and cache ------------------------------------------------------------------------
class PrefetchDataset(Dataset):
    """``prefetch``: a background thread keeps up to ``buffer_size`` elements ready."""

    def __init__(self, parent, buffer_size):
        size = _count(buffer_size, "buffer_size")
        if size == AUTOTUNE:
            size = _AUTOTUNE_PREFETCH
        if size < 0:
            raise errors.InvalidArgumentError(None, "PrefetchDataset", "buffer_size must be "
                                              f">= 0 or AUTOTUNE, got {size}.")
        self._parent = parent
        self._spec = parent.element_spec
        self._size = size

    def _template(self):
        return self._parent._template()

    def _cardinality(self):
        return self._parent._cardinality()

    def _elements(self):
        if self._size == 0:
            return self._parent._elements()
        return P.background(self._parent._elements, self._size)

    def _blocks(self, size, drop_remainder=False):
        if self._size == 0:
            return self._parent._blocks(size, drop_remainder)
        return P.background(lambda: self._parent._blocks(size, drop_remainder),
                            max(1, self._size // size + 1))


class CacheDataset(Dataset):
    """``cache``: the first complete pass is kept (in memory or in ``filename``) and replayed;
    once filled, uniform elements are held as whole arrays and read like in-memory slices."""

    def __init__(self, parent, filename=""):
        self._parent = parent
        self._spec = parent.element_spec
        self._file = os.fspath(filename) if filename else ""
        self._width = len(S.flatten(self._spec))
        self._memory = None  # after one complete pass: ("arrays", columns) or ("list", elements)
        self._lock = threading.Lock()

    def _template(self):
        return self._parent._template()

    def _cardinality(self):
        return self._parent._cardinality()  # NOTE: static, as in TF, even once filled

    @property
    def _path(self):
        return self._file + ".tapeflow-cache.npz"

    def _cached(self):
        if self._memory is None and self._file and os.path.exists(self._path):
            with self._lock:
                if self._memory is None:
                    self._memory = _read_cache(self._path, self._width)
        return self._memory

    def _random_access(self):
        cached = self._cached()
        if cached is None or cached[0] != "arrays" or not cached[1]:
            return None
        cols = cached[1]
        return RandomAccess(cols[0].shape[0], lambda idx: [c[idx] for c in cols],
                            lambda a, b: [c[a:b] for c in cols])

    def _elements(self):
        cached = self._cached()
        if cached is None:
            return self._fill()
        kind, data = cached
        if kind == "arrays" and data:
            return _ra_elements(self._random_access())
        return iter(data)

    def _fill(self):
        got = []
        for el in self._parent._elements():
            got.append(el)
            yield el
        with self._lock:  # NOTE: only a complete pass is cached (TF discards partial caches)
            if self._memory is None:
                if self._file:
                    _write_cache(self._path, got, self._width)
                self._memory = _as_columns(got, self._width)


def _as_columns(elements, width):
    """Cached elements as stacked read-only columns when every component has one shape."""
    if not elements or width == 0:
        return ("list", elements)
    cols = []
    for k in range(width):
        comps = [e[k] for e in elements]
        if len({c.shape for c in comps}) != 1:
            return ("list", elements)
        cols.append(comps)
    return ("arrays", [_frozen_stack(c) for c in cols])


def _frozen_stack(comps):
    a = np.stack(comps)
    a.flags.writeable = False
    return a


def _read_cache(path, width):
    try:
        with np.load(path, allow_pickle=False) as z:
            count = int(z["count"])
            if int(z["width"]) != width:
                raise ValueError(f"it holds elements with {int(z['width'])} components, the "
                                 f"dataset has {width}")
            cols = [_load_column(z, f"c{k}") for k in range(width)]
            ragged = [z[f"s{k}"] if f"s{k}" in z else None for k in range(width)]
    except (OSError, ValueError, KeyError) as e:
        raise errors.DataLossError(None, "CacheDataset",
                                   f"The cache file {path} cannot be read: {e}") from None
    if all(r is None for r in ragged) and width:
        for c in cols:
            c.flags.writeable = False
        return ("arrays", cols)
    out = []
    for i in range(count):
        el = []
        for k in range(width):
            if ragged[k] is None:
                el.append(cols[k][i, ...])
            else:
                a, b = int(ragged[k][i, 0]), int(ragged[k][i, 1])
                shape = tuple(int(d) for d in ragged[k][i, 2:] if d >= 0)
                el.append(cols[k][a:b].reshape(shape))
        out.append(el)
    return ("list", out)


def _write_cache(path, elements, width, compressed=False):
    """Write cached elements to ``path`` atomically (see ``tapeflow._io``); ``compressed``:
    a deflated ``.npz``."""
    arrays = {"count": np.asarray(len(elements)), "width": np.asarray(width)}
    for k in range(width):
        comps = [e[k] for e in elements]
        if comps and len({c.shape for c in comps}) == 1:
            arrays[f"c{k}"] = np.stack(comps)
        elif not comps:
            arrays[f"c{k}"] = np.zeros((0,))
        else:  # ragged component: flat values plus (start, stop, shape...) per element
            rank = max(c.ndim for c in comps)
            index = np.full((len(comps), 2 + rank), -1, np.int64)
            pos = 0
            for i, c in enumerate(comps):
                index[i, 0], index[i, 1] = pos, pos + c.size
                index[i, 2:2 + c.ndim] = c.shape
                pos += c.size
            arrays[f"c{k}"] = np.concatenate([c.reshape(-1) for c in comps])
            arrays[f"s{k}"] = index
    for name, a in list(arrays.items()):
        if a.dtype.kind == "O":  # strings: their bytes and offsets (npz holds no objects)
            flat = a.reshape(-1).tolist()
            del arrays[name]
            arrays[name + "_bytes"] = np.frombuffer(b"".join(flat), np.uint8)
            arrays[name + "_ends"] = np.cumsum([len(b) for b in flat], dtype=np.int64)
            arrays[name + "_shape"] = np.asarray(a.shape, np.int64)
    with atomic_open(path) as f:
        (np.savez_compressed if compressed else np.savez)(f, **arrays)


def _load_column(z, name):
    """A cached column; string columns come back from their bytes and offsets."""
    if name in z:
        return z[name]
    data = z[name + "_bytes"].tobytes()
    ends = z[name + "_ends"].tolist()
    out = np.empty(len(ends), object)
    out[:] = [data[a:b] for a, b in zip([0] + ends[:-1], ends)]
    return out.reshape(tuple(z[name + "_shape"].tolist()))


class WindowDataset(Dataset):
    """``window``: elements are (structures of) datasets of ``size`` consecutive elements."""

    def __init__(self, parent, size, shift, stride, drop_remainder):
        self._parent = parent
        self._size = _count(size, "size")
        self._shift = self._size if shift is None else _count(shift, "shift")
        self._stride = _count(stride, "stride")
        self._drop = bool(drop_remainder)
        if min(self._size, self._shift, self._stride) <= 0:
            raise errors.InvalidArgumentError(None, "WindowDataset", "size, shift and stride "
                                              "must be positive.")
        self._spec = S.map_structure(lambda s: DatasetSpec(s), parent.element_spec)

    def _elements(self):
        """Flat lists of datasets, one per component of the parent's elements."""
        specs = S.flatten(self._parent.element_spec)
        for window in self._windows():
            yield [_ListDataset([[e[k]] for e in window], spec) for k, spec in enumerate(specs)]

    def _template(self):
        return S.pack(self._parent._template(), S.flatten(self._spec))

    def _cardinality(self):
        n = self._parent._cardinality()
        if n < 0:
            return n
        if self._drop:
            span = (self._size - 1) * self._stride + 1
            return 0 if n < span else (n - span) // self._shift + 1
        return -(-n // self._shift)

    def _windows(self):
        """Lists of elements: ``size`` elements ``stride`` apart, starting every ``shift``."""
        buf = []
        span = (self._size - 1) * self._stride + 1
        it = self._parent._elements()
        done = False
        skip = 0  # elements still to pass over when ``shift`` is longer than a window
        while True:
            while not done and len(buf) < span:
                el = next(it, None)
                if el is None:
                    done = True
                elif skip:
                    skip -= 1
                else:
                    buf.append(el)
            picked = buf[0:span:self._stride]
            if not picked or (self._drop and len(picked) < self._size):
                return
            yield picked
            if done and len(buf) <= self._shift:
                return
            skip = max(0, self._shift - len(buf))
            del buf[:self._shift]


class _ListDataset(Dataset):
    """A dataset over a list of elements already in memory (a window's component)."""

    def __init__(self, elements, spec):
        self._items = elements
        self._spec = spec

    def _elements(self):
        return iter(self._items)

    def _cardinality(self):
        return len(self._items)


class CounterDataset(Dataset):
    """``counter``: ``start``, ``start + step``... forever."""

    def __init__(self, start, step, dtype):
        self._dtype = dtypes.as_dtype(dtype)
        if self._dtype.is_floating:  # TF counts in the dtype: Counter(0.5, 0.25, tf.float32)
            self._start, self._step = _scalar(start), _scalar(step)
        else:
            self._start, self._step = _count(start, "start"), _count(step, "step")
        self._spec = TensorSpec([], self._dtype)

    def _elements(self):
        npd = self._dtype._np
        if self._dtype.is_floating:  # accumulated in the dtype, as TF's scan does
            v, step = np.asarray(self._start, npd), np.asarray(self._step, npd)
            while True:
                yield [v]
                v = (v + step).astype(npd)
        for v in itertools.count(self._start, self._step):
            yield [np.asarray(v, dtype=npd)]

    def _cardinality(self):
        return INFINITE


def _same_specs(datasets, what):
    spec = datasets[0].element_spec
    for ds in datasets[1:]:
        spec = _compatible_specs(spec, ds.element_spec, what)
    return spec


class SampleDataset(Dataset):
    """``sample_from_datasets``: each element from a dataset picked at random by ``weights``."""

    def __init__(self, datasets, weights, seed, stop_on_empty):
        self._children = list(datasets)
        if not self._children:
            raise ValueError("Invalid `datasets`: `datasets` should not be empty.")
        self._spec = _same_specs(self._children, "sample_from_datasets")
        if weights is None:
            weights = [1.0 / len(self._children)] * len(self._children)
        w = S.to_array(weights).astype(np.float64)
        if w.shape != (len(self._children),):
            raise ValueError(f"`weights` must have one entry per dataset, got shape {w.shape}.")
        self._weights = w
        self._stop = bool(stop_on_empty)
        self._base = _seed_base(seed)
        self._epoch = itertools.count()

    def _template(self):
        return self._children[0]._template()

    def _elements(self):
        rng = np.random.default_rng([self._base, next(self._epoch)])
        gens = [d._elements() for d in self._children]
        live = list(range(len(gens)))
        while live:
            w = self._weights[live]
            if w.sum() <= 0:
                return
            k = live[int(rng.choice(len(live), p=w / w.sum()))]
            el = next(gens[k], None)
            if el is None:
                if self._stop:
                    return
                live.remove(k)
                continue
            yield el

    def _cardinality(self):
        # NOTE: TF 2.21 reports INFINITE as soon as one input is infinite
        return INFINITE if INFINITE in [d._cardinality() for d in self._children] else UNKNOWN


class ChooseDataset(Dataset):
    """``choose_from_datasets``: the next element of ``datasets[c]`` for each ``c`` in order."""

    def __init__(self, datasets, choice_dataset, stop_on_empty):
        self._children = list(datasets)
        if not self._children:
            raise ValueError("Invalid `datasets`: `datasets` should not be empty.")
        spec = choice_dataset.element_spec
        if not isinstance(spec, TensorSpec) or spec.dtype != dtypes.int64 or spec.shape.rank:
            raise TypeError("Invalid `choice_dataset`: its elements must be scalar int64 "
                            f"tensors, got {spec}.")
        self._choice = choice_dataset
        self._spec = _same_specs(self._children, "choose_from_datasets")
        self._stop = bool(stop_on_empty)

    def _template(self):
        return self._children[0]._template()

    def _elements(self):
        gens = [d._elements() for d in self._children]
        done = set()
        for (c,) in self._choice._elements():
            k = int(c)
            if not 0 <= k < len(gens):
                raise errors.InvalidArgumentError(
                    None, "DirectedInterleave", f"Selector index out of range: {k} >= "
                    f"{len(gens)} (choose_from_datasets)")
            if k in done:
                continue
            el = next(gens[k], None)
            if el is None:
                if self._stop:
                    return
                done.add(k)
                continue
            yield el

    def _cardinality(self):
        return UNKNOWN


class ScanDataset(Dataset):
    """``scan``: ``state, out = scan_func(state, element)`` carried along the elements."""

    def __init__(self, parent, initial_state, fn):
        self._parent = parent
        self._init = initial_state
        self._fnraw = fn
        self._spec = None

    def _steps(self):
        state = S.map_structure(lambda v: wrap(S.to_array(v)), S.normalize(self._init, "scan"))
        template = self._parent._template()
        for pos, arrays in enumerate(self._parent._elements()):
            el = S.pack(template, [wrap(a) for a in arrays])
            try:
                res = self._fnraw(state, *el) if _unpacks(el) else self._fnraw(state, el)
                state, out = res
            except Exception as e:
                raise P.with_position(e, "Dataset.scan()", pos) from e
            out = S.normalize(out, "scan")
            yield out, [S.to_array(x, "value returned by scan_func") for x in S.flatten(out)]

    @property
    def element_spec(self):
        if self._spec is None:
            for out, arrays in self._steps():
                self._spec = S.pack(out, [S.spec_of(a) for a in arrays])
                break
        return self._spec

    def _elements(self):
        for _, arrays in self._steps():
            yield arrays

    def _cardinality(self):
        return self._parent._cardinality()


class UniqueDataset(Dataset):
    """``unique``: the distinct elements (scalar int or bool), first occurrence order."""

    def __init__(self, parent):
        spec = parent.element_spec
        if not isinstance(spec, TensorSpec):
            raise errors.InvalidArgumentError(None, "UniqueDataset", "UniqueDataset only "
                                              "supports inputs with a single component.")
        if spec.dtype not in (dtypes.int32, dtypes.int64, dtypes.string):
            raise TypeError(f"`tf.data.Dataset.unique` does not support type {spec.dtype} -- "
                            "only `tf.int32`, `tf.int64`, and `tf.string` are supported.")
        self._parent = parent
        self._spec = spec

    def _elements(self):
        seen = set()
        for arrays in self._parent._elements():
            a = arrays[0]
            v = (a.shape, tuple(a.reshape(-1).tolist()))
            if v not in seen:
                seen.add(v)
                yield arrays


class DatasetSpec:
    """The type of a dataset-valued element component (windows)."""

    def __init__(self, element_spec):
        self.element_spec = element_spec

    def __repr__(self):
        return f"DatasetSpec({self.element_spec!r}, TensorShape([]))"

    def __eq__(self, other):
        return isinstance(other, DatasetSpec) and self.element_spec == other.element_spec

    def __hash__(self):
        return hash(("DatasetSpec", repr(self.element_spec)))
