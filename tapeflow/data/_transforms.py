"""More ``tf.data`` transformations and sources: ``ignore_errors``, ``assert_cardinality``,
``sparse_batch`` (``dense_to_sparse_batch``), ``pad_to_cardinality``, ``at`` and
``Dataset.random`` (``RandomDataset``)."""
import warnings

from .. import dtypes, errors
from ..backend import host as np
from ..sparse import SparseTensor, SparseTensorSpec
from ..tensor import TensorBase, TensorShape, wrap
from . import _pipeline as P
from . import _structure as S
from ._structure import TensorSpec
from .dataset import (
    INFINITE,
    UNKNOWN,
    BatchDataset,
    Dataset,
    FilterDataset,
    MapDataset,
    PrefetchDataset,
    TensorDataset,
    _count,
    _seed_base,
    _Wrapped,
)

# -- ignore_errors -----------------------------------------------------------------------------
_FAILED = object()  # in place of an element whose computation raised a tf.errors error


def _note(e, log):
    if log:
        warnings.warn(f"Ignoring error: {e}", stacklevel=3)
    return _FAILED


def _tolerant(ds, log):
    """The elements of ``ds``, with ``_FAILED`` where computing one raised a ``tf.errors``
    error: map and filter functions run element by element here, and ``batch`` loses the
    elements it had gathered when one fails (as TF's iterators, which resume after an error).
    """
    if isinstance(ds, (MapDataset, FilterDataset)):
        fn, keep = ds._fn, isinstance(ds, FilterDataset)
        for pos, arrays in enumerate(_tolerant(ds._parent, log)):
            if arrays is _FAILED:
                yield arrays
                continue
            try:
                out = fn(arrays, pos)
                if keep:
                    ds._check(out, pos)
            except errors.OpError as e:
                yield _note(e, log)
                continue
            if not keep:
                yield out
            elif out[0]:
                yield arrays
        return
    if isinstance(ds, BatchDataset):
        # NOTE: TF fuses map + batch (its default map_and_batch_fusion): an error drops the
        # whole batch, its other elements included; after anything else, batch gives up the
        # elements it had gathered and starts the next batch after the failed element
        fused = isinstance(ds._parent, MapDataset)
        batch, failed = [], False
        for el in _tolerant(ds._parent, log):
            if el is _FAILED and not fused:
                batch = []
                yield el
                continue
            failed = failed or el is _FAILED
            batch.append(el)
            if len(batch) == ds._size:
                yield _FAILED if failed else _stacked(batch)
                batch, failed = [], False
        if batch and not ds._drop:
            yield _FAILED if failed else _stacked(batch)
        return
    if isinstance(ds, (_Wrapped, PrefetchDataset)):
        yield from _tolerant(ds._parent, log)
        return
    if type(ds).__name__ == "CsvDataset":  # a reader that goes on after a bad record
        yield from ds._elements(failed=_FAILED)
        return
    gen = ds._elements()
    while True:
        try:
            el = next(gen)
        except StopIteration:
            return
        except errors.OpError as e:  # a source that failed cannot go on: it ends here
            yield _note(e, log)
            return
        yield el


def _stacked(batch):
    try:
        return P.stack(batch)
    except errors.OpError:
        return _FAILED


class IgnoreErrorsDataset(Dataset):
    """``ignore_errors``: the input's elements, those that raised an error dropped."""

    def __init__(self, parent, log_warning=False):
        self._parent = parent
        self._log = bool(log_warning)

    element_spec = property(lambda self: self._parent.element_spec)

    def _template(self):
        return self._parent._template()

    def _elements(self):
        return (el for el in _tolerant(self._parent, self._log) if el is not _FAILED)

    def _cardinality(self):
        n = self._parent._cardinality()
        return INFINITE if n == INFINITE else UNKNOWN


# -- assert_cardinality ------------------------------------------------------------------------
class AssertCardinalityDataset(Dataset):
    """``assert_cardinality``: the input's elements; ``FailedPreconditionError`` when there
    turn out to be more or fewer than ``expected``."""

    def __init__(self, parent, expected):
        self._parent = parent
        self._n = _count(expected, "expected_cardinality")

    element_spec = property(lambda self: self._parent.element_spec)

    def _template(self):
        return self._parent._template()

    def _cardinality(self):
        return self._n

    def _elements(self):
        count = 0
        for el in self._parent._elements():
            count += 1
            if self._n >= 0 and count > self._n:
                raise errors.FailedPreconditionError(
                    None, "AssertCardinalityDataset", f"Input dataset was expected to contain "
                    f"{self._n} elements but contained at least {count} elements.")
            yield el
        if self._n == INFINITE or count < self._n:
            shown = "infinite" if self._n == INFINITE else str(self._n)
            raise errors.FailedPreconditionError(
                None, "AssertCardinalityDataset", f"Input dataset was expected to contain "
                f"{shown} elements but contained only {count} elements.")


# -- sparse_batch ------------------------------------------------------------------------------
class SparseBatchDataset(Dataset):
    """``sparse_batch`` / ``dense_to_sparse_batch``: ``batch_size`` elements of varying shape
    as one ``SparseTensor`` of dense shape ``[n] + row_shape`` (unknown row dims: the largest
    in the batch); every entry of each element becomes a value."""

    def __init__(self, parent, batch_size, row_shape):
        spec = parent.element_spec
        if not isinstance(spec, TensorSpec):
            raise TypeError("`dense_to_sparse_batch` requires elements that are single dense "
                            f"tensors, got {spec}.")
        self._parent = parent
        self._size = _count(batch_size, "batch_size")
        if self._size <= 0:
            raise errors.InvalidArgumentError(None, "DenseToSparseBatchDataset",
                                              "Batch size must be greater than zero.")
        if isinstance(row_shape, TensorBase):
            row_shape = row_shape.numpy().tolist()
        self._row = TensorShape(row_shape)
        self._spec = SparseTensorSpec(TensorShape([None]).concatenate(self._row), spec.dtype)

    def _cardinality(self):
        n = self._parent._cardinality()
        return n if n < 0 else -(-n // self._size)

    def _elements(self):
        batch = []
        for (a,) in self._parent._elements():
            batch.append(a)
            if len(batch) == self._size:
                yield [self._sparse(batch)]
                batch = []
        if batch:
            yield [self._sparse(batch)]

    def _sparse(self, batch):
        row = self._row.dims
        for a in batch:
            if a.ndim != len(row):
                raise errors.InvalidArgumentError(
                    None, "DenseToSparseBatchDataset", f"Input element had shape "
                    f"([{','.join(str(x) for x in a.shape)}]) that is incompatible with the "
                    f"row shape ([{','.join(str(x) for x in row)}]).")
            for d, r in zip(a.shape, row):
                if r is not None and d > r:
                    raise errors.DataLossError(
                        None, "DenseToSparseBatchDataset", f"Input element had shape "
                        f"([{','.join(str(x) for x in a.shape)}]) that is larger than the row "
                        f"shape ([{','.join(str(x) for x in row)}]).")
        dense = [len(batch)] + [r if r is not None else max(a.shape[k] for a in batch)
                                for k, r in enumerate(row)]
        idx, vals = [], []
        for i, a in enumerate(batch):
            if a.size:
                sub = np.indices(a.shape).reshape(a.ndim, -1).T
                idx.append(np.concatenate([np.full((sub.shape[0], 1), i), sub], axis=1))
                vals.append(a.reshape(-1))
        rank = len(row) + 1
        indices = np.concatenate(idx).astype(np.int64) if idx else np.zeros((0, rank), np.int64)
        values = np.concatenate(vals) if vals else np.zeros((0,), self._spec.dtype._np)
        return SparseTensor(wrap(indices), wrap(values), wrap(np.asarray(dense, np.int64)))


# -- pad_to_cardinality ------------------------------------------------------------------------
def pad_to_cardinality(cardinality, mask_key="valid"):
    """A transformation padding a dataset of dicts to ``cardinality`` elements.

    Args:
      cardinality: the number of elements wanted.
      mask_key: the key of the added boolean component (true for the original elements).

    Returns:
      A function for ``Dataset.apply``.
    """

    def _apply_fn(dataset):
        spec = dataset.element_spec
        if not isinstance(spec, dict):
            raise ValueError("`pad_to_cardinality` requires its input dataset to be a "
                             "dictionary.")
        n = dataset._cardinality()
        if n < 0:
            raise ValueError("The dataset passed into `pad_to_cardinality` must have a known "
                             f"cardinalty, but has cardinality {n}")
        target = _count(cardinality, "cardinality")
        if n > target:
            raise ValueError("The dataset passed into `pad_to_cardinality` must have a "
                             f"cardinalty less than the target cardinality ({target}), but has "
                             f"cardinality {n}")
        if mask_key in spec:
            raise ValueError(f"mask_key={mask_key!r} is already a key of the dataset's "
                             "elements.")
        for s in spec.values():
            if not isinstance(s, TensorSpec) or not s.shape.is_fully_defined():
                raise ValueError("`pad_to_cardinality` requires fully defined element shapes, "
                                 f"got {s}.")
        valid = dataset.map(lambda x: {**x, mask_key: wrap(np.asarray(True))})
        pad = {k: np.zeros(s.shape.dims, s.dtype._np) if s.dtype != dtypes.string
               else np.full(s.shape.dims, b"", object) for k, s in spec.items()}
        pad[mask_key] = np.asarray(False)
        padding = TensorDataset({k: wrap(v) for k, v in pad.items()}).repeat(target - n)
        return valid.concatenate(padding)

    return _apply_fn


# -- at ----------------------------------------------------------------------------------------
def at(dataset, index):
    """The element at ``index`` of ``dataset`` (``tf.errors.OutOfRangeError`` past the end).

    Args:
      dataset: a ``Dataset``.
      index: a non-negative int.

    Returns:
      The element, a structure of tensors.
    """
    i = _count(index, "index")
    n = dataset._cardinality()
    if n == INFINITE:
        raise errors.FailedPreconditionError(
            None, "GetElementAtIndex", f"Dataset of type {type(dataset).__name__}Op::Dataset "
            "has infinite cardinality, which does not support random access.")
    ra = dataset._random_access()
    if ra is None:  # as TF: only datasets that can be read in any order (not filter...)
        kind = f"{type(dataset).__name__}Op::Dataset"
        raise errors.UnimplementedError(None, "GetElementAtIndex", "Random access is not "
                                        f"implemented for dataset {kind}")
    if i < 0 or i >= ra.n:
        raise errors.OutOfRangeError(None, "GetElementAtIndex",
                                     f"Index out of range [0, {ra.n}):{i}")
    flat = [c[0] for c in ra.gather(np.asarray([i], np.int64))]
    return S.pack(dataset._template(), [wrap(a) for a in flat])


# -- random --------------------------------------------------------------------------------------
class RandomDataset(Dataset):
    """``Dataset.random`` / ``tf.data.experimental.RandomDataset``: an endless stream of
    pseudorandom scalar int64 values in ``[0, 2**32)``. A ``seed`` fixes the stream (as the
    global seed does); ``rerandomize_each_iteration=True`` draws a new one every pass."""

    def __init__(self, seed=None, rerandomize_each_iteration=None, name=None):
        self._base = _seed_base(seed)
        self._rerandomize = bool(rerandomize_each_iteration)
        self._epoch = 0
        self._spec = TensorSpec([], dtypes.int64)

    def _elements(self):
        epoch = self._epoch
        if self._rerandomize:
            self._epoch += 1
        rng = np.random.default_rng([self._base, epoch])
        while True:
            for v in rng.integers(0, 2**32, size=64, dtype=np.int64):
                yield [np.asarray(v)]

    def _cardinality(self):
        return INFINITE



# -- SparseTensor components ---------------------------------------------------------------------
def _sp_parts(sp):
    return (np.asarray(sp.indices.numpy(), np.int64), sp.values.numpy(),
            np.asarray(sp.dense_shape.numpy(), np.int64))


def _sparse(indices, values, shape):
    return SparseTensor(wrap(indices), wrap(values), wrap(np.asarray(shape, np.int64)))


def sparse_rows(sp):
    """The rows of a SparseTensor (its first dimension) as SparseTensors of one rank less."""
    idx, vals, shape = _sp_parts(sp)
    order = np.argsort(idx[:, 0], kind="stable") if idx.size else np.zeros(0, np.int64)
    idx, vals = idx[order], vals[order]
    bounds = np.searchsorted(idx[:, 0], np.arange(shape[0] + 1)) if idx.size else \
        np.zeros(shape[0] + 1, np.int64)
    for i in range(shape[0]):
        a, b = bounds[i], bounds[i + 1]
        yield _sparse(idx[a:b, 1:], vals[a:b], shape[1:])


def sparse_stack(parts):
    """One SparseTensor of the SparseTensors ``parts`` along a new first dimension, each
    dimension the largest of the parts' (as TF batches sparse components)."""
    decoded = [_sp_parts(p) for p in parts]
    ranks = {len(s) for _, _, s in decoded}
    if len(ranks) != 1:
        raise errors.InvalidArgumentError(None, "BatchDataset", "Cannot batch SparseTensors "
                                          f"of different ranks: {sorted(ranks)}")
    shape = [len(parts)] + [int(max(s[k] for _, _, s in decoded)) for k in range(ranks.pop())]
    idx = [np.concatenate([np.full((i.shape[0], 1), n, np.int64), i], axis=1)
           for n, (i, _, _) in enumerate(decoded)]
    vals = [v for _, v, _ in decoded]
    return _sparse(np.concatenate(idx) if idx else np.zeros((0, len(shape)), np.int64),
                   np.concatenate(vals), shape)


def _leading(spec, n):
    return SparseTensorSpec(TensorShape([n]).concatenate(spec.shape), spec.dtype) \
        if isinstance(spec, SparseTensorSpec) else spec._batch(n)


class ComponentBatchDataset(Dataset):
    """``batch`` of elements with ``SparseTensor`` components: dense components are stacked,
    sparse ones combined into one SparseTensor with a leading batch dimension."""

    def __init__(self, parent, batch_size, drop_remainder):
        self._parent = parent
        self._size = _count(batch_size, "batch_size")
        if self._size <= 0:
            raise errors.InvalidArgumentError(None, "BatchDataset", "Batch size must be greater "
                                              f"than zero, got {self._size}.")
        self._drop = bool(drop_remainder)
        known = self._size if self._drop else None
        self._spec = S.map_structure(lambda s: _leading(s, known), parent.element_spec)

    def _template(self):
        return S.pack(self._parent._template(), S.flatten(self._spec))

    def _cardinality(self):
        n = self._parent._cardinality()
        if n < 0:
            return n
        return n // self._size if self._drop else -(-n // self._size)

    def _combine(self, batch):
        out = []
        for k, spec in enumerate(S.flatten(self._parent.element_spec)):
            comps = [e[k] for e in batch]
            if isinstance(spec, SparseTensorSpec):
                out.append(sparse_stack(comps))
            else:
                out.append(P.stack([[c] for c in comps])[0])
        return out

    def _elements(self):
        batch = []
        for el in self._parent._elements():
            batch.append(el)
            if len(batch) == self._size:
                yield self._combine(batch)
                batch = []
        if batch and not self._drop:
            yield self._combine(batch)


class ComponentUnbatchDataset(Dataset):
    """``unbatch`` of elements with ``SparseTensor`` components: one element per row."""

    def __init__(self, parent):
        self._parent = parent
        self._spec = S.map_structure(
            lambda s: SparseTensorSpec(s.shape[1:], s.dtype) if isinstance(s, SparseTensorSpec)
            else s._unbatch(), parent.element_spec)

    def _template(self):
        return S.pack(self._parent._template(), S.flatten(self._spec))

    def _cardinality(self):
        n = self._parent._cardinality()
        return INFINITE if n == INFINITE else UNKNOWN

    def _elements(self):
        for el in self._parent._elements():
            parts = [list(sparse_rows(c)) if isinstance(c, SparseTensor) else list(c)
                     for c in el]
            n = {len(p) for p in parts}
            if len(n) != 1:
                raise errors.InvalidArgumentError(None, "UnbatchDataset", "Input element must "
                                                  "have the same batch size in each component.")
            for i in range(n.pop()):
                yield [p[i] for p in parts]
