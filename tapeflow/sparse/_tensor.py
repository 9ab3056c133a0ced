"""``tf.sparse.SparseTensor``: a dense shape with a few explicit values, stored as
``indices`` (int64 [N, rank]), ``values`` ([N]) and ``dense_shape`` (int64 [rank]), as TF
stores it. Indices are worked on with NumPy on the host; values stay a tapeflow Tensor so that
ops on them are recorded and differentiable."""
from .. import dtypes
from ..backend import host as np
from ..backend import to_host
from ..ops._core import CompositeTensor
from ..tensor import TensorBase, TensorShape, const, convert_to_tensor
from ..types.type_spec import TypeSpec


def _host(t):
    return np.asarray(to_host(to_host(t._v)))


def _int64(x, what):
    if isinstance(x, TensorBase):
        if x._v.dtype != np.int64:
            raise ValueError(f"{what}: Tensor conversion requested dtype int64 for Tensor with "
                             f"dtype {x.dtype.name}: {x!r}")
        return x
    return convert_to_tensor(x, dtypes.int64)


class SparseTensor(CompositeTensor):
    """A sparse tensor: ``values[i]`` sits at ``indices[i]`` of a ``dense_shape`` tensor whose
    other elements are zero."""

    __slots__ = ("_indices", "_values", "_dense_shape", "__weakref__")

    def __init__(self, indices, values, dense_shape):
        indices = _int64(indices, "indices")
        values = values if isinstance(values, TensorBase) else convert_to_tensor(values)
        dense_shape = _int64(dense_shape, "dense_shape")
        if indices._v.ndim != 2:
            raise ValueError(f"Shape {tuple(indices._v.shape)} must have rank 2")
        if values._v.ndim != 1:
            raise ValueError(f"Shape {tuple(values._v.shape)} must have rank 1")
        if dense_shape._v.ndim != 1:
            raise ValueError(f"Shape {tuple(dense_shape._v.shape)} must have rank 1")
        if indices._v.shape[0] != values._v.shape[0]:
            raise ValueError(f"Dimensions {indices._v.shape[0]} and {values._v.shape[0]} are "
                             "not compatible")
        if indices._v.shape[1] != dense_shape._v.shape[0]:
            raise ValueError(f"Dimensions {indices._v.shape[1]} and {dense_shape._v.shape[0]} "
                             "are not compatible")
        self._indices = indices
        self._values = values
        self._dense_shape = dense_shape

    @classmethod
    def from_value(cls, sparse_tensor_value):
        v = sparse_tensor_value
        return cls(v.indices, v.values, v.dense_shape)

    indices = property(lambda self: self._indices)
    values = property(lambda self: self._values)
    dense_shape = property(lambda self: self._dense_shape)
    dtype = property(lambda self: self._values.dtype)

    @property
    def shape(self):
        return TensorShape(_host(self._dense_shape).tolist())

    def get_shape(self):
        return self.shape

    @property
    def ndim(self):
        return int(self._dense_shape._v.shape[0])

    def with_values(self, new_values):
        new_values = new_values if isinstance(new_values, TensorBase) else \
            convert_to_tensor(new_values)
        return SparseTensor(self._indices, new_values, self._dense_shape)

    def consumers(self):
        return []

    @property
    def _type_spec(self):
        return SparseTensorSpec(self.shape, self.dtype)

    def __repr__(self):
        return (f"SparseTensor(indices={self._indices!s}, values={self._values!s}, "
                f"dense_shape={self._dense_shape!s})")

    __str__ = __repr__

    def __bool__(self):
        raise TypeError("SparseTensor may not be used as a boolean.")

    __hash__ = object.__hash__


class SparseTensorSpec(TypeSpec):
    """The type of a SparseTensor: its (maybe partial) dense shape and dtype."""

    __slots__ = ("_shape", "_dtype")

    def __init__(self, shape=None, dtype=dtypes.float32):
        self._shape = TensorShape(shape)
        self._dtype = dtypes.as_dtype(dtype)

    shape = property(lambda self: self._shape)
    dtype = property(lambda self: self._dtype)
    value_type = property(lambda self: SparseTensor)

    def _serialize(self):
        return (self._shape, self._dtype)

    @classmethod
    def from_value(cls, value):
        return cls(value.shape, value.dtype)

    def is_compatible_with(self, spec_or_value):
        other = spec_or_value
        if isinstance(other, SparseTensor):
            other = SparseTensorSpec.from_value(other)
        return (isinstance(other, SparseTensorSpec) and self._dtype == other._dtype
                and self._shape.is_compatible_with(other._shape))

    def most_specific_compatible_type(self, other):
        if not isinstance(other, SparseTensorSpec) or self._dtype != other._dtype:
            raise ValueError(f"No TypeSpec is compatible with both {self} and {other}")
        a, b = self._shape, other._shape
        if a.rank != b.rank:
            return SparseTensorSpec(None, self._dtype)
        return SparseTensorSpec([x if x == y else None for x, y in zip(a.dims, b.dims)],
                                self._dtype)

    def _batch(self, n):
        return SparseTensorSpec(TensorShape([n]).concatenate(self._shape), self._dtype)

    def _unbatch(self):
        return SparseTensorSpec(self._shape[1:], self._dtype)

    def __eq__(self, other):
        return (isinstance(other, SparseTensorSpec) and self._shape == other._shape
                and self._dtype == other._dtype)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash((self._shape, self._dtype.name))

    def __repr__(self):
        return f"SparseTensorSpec({self._shape!r}, {self._dtype!r})"


def sparse_const(indices, values, shape):
    """A SparseTensor from host index arrays and a values Tensor (no checks)."""
    st = object.__new__(SparseTensor)
    st._indices = const(np.ascontiguousarray(indices, dtype=np.int64).reshape(-1, len(shape)))
    st._values = values
    st._dense_shape = const(np.asarray(shape, np.int64))
    return st
