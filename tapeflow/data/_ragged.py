"""Ragged elements in tf.data: ``Dataset.ragged_batch`` (and
``tf.data.experimental.dense_to_ragged_batch``), ``from_tensor_slices`` of a RaggedTensor, and
``batch`` of elements whose spec is a ``RaggedTensorSpec``.

A component of an element is a host array as everywhere in tf.data, or, where its spec is a
RaggedTensorSpec with a ragged rank of at least 1, the RaggedTensor itself.
"""
from .. import dtypes, errors
from ..backend import host as np
from ..ops._core import CompositeTensor
from ..ragged import RaggedTensor, RaggedTensorSpec
from ..ragged._ops import ragged_stack
from ..sparse import SparseTensor, SparseTensorSpec
from ..tensor import TensorShape, const
from . import _structure as S
from ._transforms import sparse_rows
from .dataset import UNKNOWN, Dataset, _count


class RaggedSliceDataset(Dataset):
    """``from_tensor_slices`` with RaggedTensor components: one row of each per element."""

    def __init__(self, tensors):
        leaves = S.flatten(tensors)
        parts, specs = [], []
        for x in leaves:
            if isinstance(x, RaggedTensor):
                parts.append(x)
                specs.append(RaggedTensorSpec(x.shape[1:], x.dtype, x.ragged_rank - 1,
                                              x.row_splits_dtype))
            elif isinstance(x, SparseTensor):
                if x.shape.rank == 0:
                    raise ValueError("Unbatching a tensor is only supported for rank >= 1")
                parts.append(list(sparse_rows(x)))
                specs.append(SparseTensorSpec(x.shape[1:], x.dtype))
            elif isinstance(x, CompositeTensor):
                raise TypeError(f"from_tensor_slices: {type(x).__name__} components are not "
                                "supported by tapeflow's tf.data yet")
            else:
                a = np.array(S.to_array(x, "from_tensor_slices input"), copy=True)
                if a.ndim == 0:
                    raise ValueError("Unbatching a tensor is only supported for rank >= 1, but "
                                     "got a scalar component in from_tensor_slices.")
                parts.append(a)
                specs.append(S.spec_of(a[0]) if len(a) else S.spec_of(a[:0].reshape(
                    a.shape[1:] if a.ndim > 1 else ())))
        sizes = {p.nrows_host() if isinstance(p, RaggedTensor) else len(p) if isinstance(p, list)
                 else p.shape[0] for p in parts}
        if len(sizes) > 1:
            raise ValueError(f"Dimensions {sorted(sizes)} are not compatible: all components "
                             "passed to from_tensor_slices must have the same size in their "
                             "first dimension.")
        self._parts = parts
        self._n = sizes.pop()
        self._spec = S.pack(tensors, specs)

    def _elements(self):
        for i in range(self._n):
            row = []
            for p in self._parts:
                if isinstance(p, RaggedTensor):
                    r = p[i]
                    row.append(r if isinstance(r, RaggedTensor) else np.asarray(r.numpy()))
                elif isinstance(p, list):  # the rows of a SparseTensor
                    row.append(p[i])
                else:
                    row.append(p[i])
            yield row

    def _cardinality(self):
        return self._n


def generator_value(x, spec, pos):
    """A generator's value for a RaggedTensorSpec component, checked against it (TF takes
    only a RaggedTensor there, not nested lists)."""
    if isinstance(x, RaggedTensor) and x.dtype != spec.dtype:
        raise TypeError(f"`generator` yielded an element of dtype {x.dtype.name} where "
                        f"{spec.dtype.name} was expected (element {pos}).")
    if not isinstance(x, RaggedTensor) or x.ragged_rank != spec.ragged_rank or \
            not spec.shape.is_compatible_with(x.shape):
        raise errors.InvalidArgumentError(
            None, "PyFunc", f"`generator` yielded an element that does not match {spec} "
            f"(element {pos}).")
    return x


def _batched_spec(s, known, rsd):
    if isinstance(s, RaggedTensorSpec):
        return RaggedTensorSpec(TensorShape([known]).concatenate(s.shape), s.dtype,
                                s.ragged_rank + 1, rsd if s.ragged_rank == 0 else
                                s.row_splits_dtype)
    if s.shape.is_fully_defined():
        return s._batch(known)
    dims = s.shape.dims
    last_unknown = max(i for i, d in enumerate(dims) if d is None)
    return RaggedTensorSpec(TensorShape([known]).concatenate(s.shape), s.dtype,
                            last_unknown + 1, rsd)


def _batch_component(items, spec, rsd):
    """One batched component: a dense stack, or a RaggedTensor with ``spec``'s ragged rank."""
    if not isinstance(spec, RaggedTensorSpec):
        return np.stack(items)
    target = spec.ragged_rank
    if target == 1 and not any(isinstance(x, RaggedTensor) for x in items):
        lens = [x.shape[0] for x in items]
        inner = {x.shape[1:] for x in items}
        if len(inner) > 1:
            raise ValueError(f"Cannot batch ragged elements whose inner dimensions differ: "
                             f"{sorted(inner)}")
        values = np.concatenate(items) if items else np.zeros((0,), spec.dtype._np)
        splits = np.concatenate([[0], np.cumsum(lens)]).astype(rsd._np)
        return RaggedTensor.from_row_splits(const(values), const(splits), validate=False)
    rts = [x if isinstance(x, RaggedTensor) else RaggedTensor.from_tensor(
        const(x), ragged_rank=target - 1, row_splits_dtype=rsd) for x in items]
    return ragged_stack(rts)


class RaggedBatchDataset(Dataset):
    """``ragged_batch``: components of varying shape batch into RaggedTensors, fully-defined
    ones into dense tensors."""

    def __init__(self, parent, batch_size, drop_remainder, row_splits_dtype=dtypes.int64):
        self._parent = parent
        self._size = _count(batch_size, "batch_size")
        if self._size <= 0:
            raise errors.InvalidArgumentError(None, "BatchDataset", "Batch size must be greater "
                                              f"than zero, got {self._size}.")
        self._drop = bool(drop_remainder)
        self._rsd = dtypes.as_dtype(row_splits_dtype)
        known = self._size if self._drop else None
        self._spec = S.map_structure(lambda s: _batched_spec(s, known, self._rsd),
                                     parent.element_spec)

    def _template(self):
        return S.pack(self._parent._template(), S.flatten(self._spec))

    def _elements(self):
        specs = S.flatten(self._spec)
        buf = []
        for e in self._parent._elements():
            buf.append(e)
            if len(buf) == self._size:
                yield self._batch(buf, specs)
                buf = []
        if buf and not self._drop:
            yield self._batch(buf, specs)

    def _batch(self, buf, specs):
        return [_batch_component([e[k] for e in buf], s, self._rsd)
                for k, s in enumerate(specs)]

    def _blocks(self, size, drop_remainder=False):
        raise TypeError("Batching the batches of a ragged_batch again is not supported by "
                        "tapeflow yet.")

    def _cardinality(self):
        n = self._parent._cardinality()
        if n < 0:
            return n if n != UNKNOWN else UNKNOWN
        return n // self._size if self._drop else -(-n // self._size)


def dense_to_ragged_batch(batch_size, drop_remainder=False, row_splits_dtype=dtypes.int64):
    """``tf.data.experimental.dense_to_ragged_batch``: ``Dataset.ragged_batch`` as a
    transformation for ``Dataset.apply``."""

    def _apply_fn(dataset):
        return RaggedBatchDataset(dataset, batch_size, drop_remainder, row_splits_dtype)

    return _apply_fn
