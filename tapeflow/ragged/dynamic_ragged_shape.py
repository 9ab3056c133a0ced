"""``tf.experimental.DynamicRaggedShape``: the shape of a ragged (or dense) tensor as a list
of row partitions (the outer dimensions) plus the dense ``inner_shape`` of the flat values;
``tf.shape`` of a RaggedTensor returns one. ``broadcast_to`` and ``broadcast_dynamic_shape``
here are the ragged forms of ``tf.broadcast_to`` and ``tf.broadcast_dynamic_shape``."""
from .. import dtypes
from ..backend import host as np
from ..errors import InvalidArgumentError
from ..ops.array import reshape
from ..ops.indexing import gather
from ..tensor import TensorBase, TensorShape, const, convert_to_tensor
from ._tensor import RaggedTensor
from .row_partition import RowPartition, _from_ragged

__all__ = ["DynamicRaggedShape", "broadcast_to", "broadcast_dynamic_shape"]


def _ints(x):
    if isinstance(x, TensorBase):
        return [int(v) for v in np.asarray(x.numpy()).reshape(-1)]
    if isinstance(x, (int, np.integer)):
        return [int(x)]
    return [int(v) for v in x]


class DynamicRaggedShape:
    """The shape of a possibly ragged tensor: ``row_partitions`` for its ragged (or
    partitioned) outer dimensions and ``inner_shape`` for the flat values."""

    __slots__ = ("_partitions", "_inner", "_dtype")

    def __init__(self, row_partitions, inner_shape, dtype=None, validate=False,
                 static_inner_shape=None):
        parts = tuple(row_partitions)
        for p in parts:
            if not isinstance(p, RowPartition):
                raise TypeError(f"row_partitions must be RowPartitions, got {type(p).__name__}")
        inner = _ints(inner_shape)
        if dtype is None:
            if parts:
                dtype = parts[0].dtype
            elif isinstance(inner_shape, TensorBase):
                dtype = inner_shape.dtype
            else:
                dtype = dtypes.int64
        dtype = dtypes.as_dtype(dtype)
        if dtype not in (dtypes.int32, dtypes.int64):
            raise ValueError(f"dtype must be tf.int32 or tf.int64, got {dtype.name}")
        parts = tuple(p.with_dtype(dtype) for p in parts)
        if parts and not inner:
            raise ValueError("inner_shape must have rank at least 1 with row partitions")
        for a, b in zip(parts, parts[1:]):
            if int(a._splits[-1]) != b._splits.size - 1:
                raise ValueError("Shape not consistent.")
        if parts and int(parts[-1]._splits[-1]) != inner[0]:
            raise ValueError("Shape not consistent.")
        self._partitions = parts
        self._inner = inner
        self._dtype = dtype

    # -- factories ---------------------------------------------------------------------------
    @classmethod
    def from_tensor(cls, t, dtype=None):
        """The shape of a Tensor or RaggedTensor ``t`` (one partition per ragged dimension)."""
        if isinstance(t, RaggedTensor):
            parts, v = [], t
            while isinstance(v, RaggedTensor):
                parts.append(_from_ragged(v))
                v = v.values
            d = dtype if dtype is not None else parts[0].dtype
            return cls(parts, list(v._v.shape), d)
        if not isinstance(t, TensorBase):
            t = convert_to_tensor(t)
        return cls([], list(t._v.shape), dtype if dtype is not None else dtypes.int32)

    @classmethod
    def from_lengths(cls, lengths, num_row_partitions=None, dtype=dtypes.int64):
        """A shape from one entry per dimension: an int (uniform) or a sequence of row lengths
        (ragged); ``num_row_partitions`` turns leading uniform dimensions into partitions."""
        lengths = list(lengths)
        if not lengths:
            return cls([], [], dtype)
        if not isinstance(lengths[0], (int, np.integer)):
            raise ValueError("First dimension must be an int")
        last_ragged = max((i for i, x in enumerate(lengths)
                           if not isinstance(x, (int, np.integer))), default=0)
        k = last_ragged if num_row_partitions is None else num_row_partitions
        if k < last_ragged:
            raise ValueError("num_row_partitions must be at least the last ragged dimension")
        np_d = dtypes.as_dtype(dtype)._np
        parts, nrows = [], int(lengths[0])
        for x in lengths[1:k + 1]:
            if isinstance(x, (int, np.integer)):
                p = RowPartition.from_uniform_row_length(np.asarray(x, np_d), nrows=nrows)
            else:
                if len(x) != nrows:
                    raise ValueError("Shape not consistent.")
                p = RowPartition.from_row_lengths(np.asarray(x, np_d))
            parts.append(p)
            nrows = int(p._splits[-1])
        return cls(parts, [nrows] + [int(x) for x in lengths[k + 1:]], dtype)

    @classmethod
    def from_row_partitions(cls, row_partitions, dtype=None):
        """A shape with exactly these partitions and flat values of rank 1."""
        parts = list(row_partitions)
        if not parts:
            raise ValueError("row_partitions cannot be empty")
        return cls(parts, [int(parts[-1]._splits[-1])], dtype)

    # -- accessors ---------------------------------------------------------------------------
    @property
    def dtype(self):
        """The dtype of the partitions and of ``inner_shape`` (int32 or int64)."""
        return self._dtype

    @property
    def row_partitions(self):
        """The row partitions, outermost first (a tuple)."""
        return self._partitions

    @property
    def num_row_partitions(self):
        """The number of row partitions."""
        return len(self._partitions)

    @property
    def inner_shape(self):
        """The shape of the flat values, a 1-D tensor of ``dtype``."""
        return const(np.asarray(self._inner, self._dtype._np).reshape(-1))

    @property
    def inner_rank(self):
        """The rank of the flat values."""
        return len(self._inner)

    @property
    def rank(self):
        """The number of dimensions."""
        return len(self._inner) + len(self._partitions)

    def static_lengths(self, ragged_lengths=True):
        """One entry per dimension: an int, or a tuple of row lengths for a ragged one (None
        instead with ``ragged_lengths=False``)."""
        if not self._partitions:
            return list(self._inner)
        out = [self._partitions[0]._splits.size - 1]
        for p in self._partitions:
            if p._uniform is not None:
                out.append(p._uniform)
            elif ragged_lengths:
                out.append(tuple(int(n) for n in p._host_lengths()))
            else:
                out.append(None)
        return out + list(self._inner[1:])

    def is_uniform(self, axis):
        """Whether dimension ``axis`` has one length for every row."""
        axis = self._axis(axis)
        if axis == 0 or axis > len(self._partitions):
            return True
        return self._partitions[axis - 1]._uniform is not None

    def _axis(self, axis):
        r = self.rank
        if axis < 0:
            axis += r
        if axis >= r or axis < 0:
            raise IndexError(f"Index is too big: {axis}>={r}")
        return axis

    def _uniform_length(self, axis):
        if axis == 0:
            return self._partitions[0]._splits.size - 1 if self._partitions else self._inner[0]
        if axis <= len(self._partitions):
            u = self._partitions[axis - 1]._uniform
            if u is None:
                raise ValueError(f"Index {axis} is not uniform")
            return u
        return self._inner[axis - len(self._partitions)]

    def __getitem__(self, index):
        """A dimension's length (a scalar tensor; ragged ones raise ValueError), or a slice of
        dimensions as a DynamicRaggedShape."""
        if isinstance(index, slice):
            start, stop, step = index.indices(self.rank)
            if step != 1:
                raise IndexError("Cannot stride through a shape")
            if start == 0:
                return self._prefix(stop)
            if builtins_any(not self.is_uniform(i) for i in range(0, builtins_min(
                    stop, len(self._partitions) + 1))):
                raise ValueError("All relevant dimensions must be uniform")
            lengths = [self._uniform_length(i) for i in range(start, stop)]
            return DynamicRaggedShape([], lengths, self._dtype)
        axis = self._axis(int(index))
        return const(np.asarray(self._uniform_length(axis), self._dtype._np))

    def _prefix(self, stop):
        k = len(self._partitions)
        if stop == 0:
            return DynamicRaggedShape([], [], self._dtype)
        if stop > k:
            return DynamicRaggedShape(self._partitions, self._inner[:stop - k], self._dtype)
        parts = self._partitions[:stop - 1]
        n = int(parts[-1]._splits[-1]) if parts else self._uniform_length(0)
        return DynamicRaggedShape(parts, [n], self._dtype)

    def with_dtype(self, dtype):
        """The same shape with int32 or int64 partitions and inner shape."""
        return DynamicRaggedShape(self._partitions, self._inner, dtype)

    def _with_num_row_partitions(self, k):
        return DynamicRaggedShape.from_lengths(self.static_lengths(), k, self._dtype)

    def _to_tensor_shape(self):
        dims = [d if isinstance(d, int) else None for d in self.static_lengths(False)]
        return TensorShape(dims)

    def __eq__(self, other):
        if not isinstance(other, DynamicRaggedShape):
            return NotImplemented
        return const(np.asarray(self.static_lengths() == other.static_lengths()))

    __hash__ = None

    def __repr__(self):
        lens = ", ".join(str(x) if isinstance(x, int) else "(" + ", ".join(map(str, x)) +
                         ("," if len(x) == 1 else "") + ")" for x in self.static_lengths())
        return (f"<DynamicRaggedShape lengths=[{lens}] "
                f"num_row_partitions={self.num_row_partitions}>")


builtins_any = any
builtins_min = min


# -- broadcasting ------------------------------------------------------------------------------
def _element_index(shape):
    """For each element of the (ragged) ``shape``, its index per dimension: an int array of
    shape ``[num_elements, rank]`` in row-major order."""
    lengths = shape.static_lengths()
    if not shape._partitions:
        return np.indices(lengths).reshape(len(lengths), -1).T
    cols = [np.arange(lengths[0])]
    for p in shape._partitions:  # per value of p: its row, and its offset inside the row
        s = p._splits.astype(np.int64)
        rows = np.repeat(np.arange(s.size - 1), np.diff(s))
        cols = [c[rows] for c in cols] + [np.arange(s[-1]) - s[:-1][rows]]
    inner = shape._inner[1:]
    if inner:
        m = int(np.prod(inner))
        idx = np.indices(inner).reshape(len(inner), -1)
        cols = [np.repeat(c, m) for c in cols] + [np.tile(i, cols[0].size) for i in idx]
    return np.stack(cols, 1) if cols else np.zeros((1, 0), np.int64)


def _ragged_from(shape, flat):
    """A RaggedTensor of ``shape`` whose elements (row-major) are ``flat``."""
    values = reshape(flat, list(shape._inner))
    sd = shape._dtype
    for p in reversed(shape._partitions):
        values = RaggedTensor._make(values, const(p._splits.astype(sd._np)), p._uniform)
    return values


def broadcast_to(rt_input, shape):
    """``rt_input`` (a Tensor or a uniform RaggedTensor) broadcast to the DynamicRaggedShape
    ``shape``: a RaggedTensor when ``shape`` has row partitions, else a Tensor. Gradients flow
    back to ``rt_input`` (one recorded gather)."""
    if not isinstance(shape, DynamicRaggedShape):
        shape = DynamicRaggedShape.from_lengths(_ints(shape))
    if isinstance(rt_input, RaggedTensor):
        rt_input = rt_input.to_tensor()
    x = rt_input if isinstance(rt_input, TensorBase) else convert_to_tensor(rt_input)
    xs = list(x._v.shape)
    if len(xs) > shape.rank:
        raise ValueError(f"Cannot broadcast a tensor of rank {len(xs)} to a shape of rank "
                         f"{shape.rank}")
    idx = _element_index(shape)[:, shape.rank - len(xs):]
    for d, n in enumerate(xs):
        col = idx[:, d]
        if n != 1 and col.size and int(col.max()) >= n or (n != 1 and not shape.is_uniform(
                d + shape.rank - len(xs))):
            raise InvalidArgumentError(None, "BroadcastTo", "Cannot broadcast")
        if n != 1 and shape.is_uniform(d + shape.rank - len(xs)):
            if shape._uniform_length(d + shape.rank - len(xs)) != n:
                raise InvalidArgumentError(None, "BroadcastTo", "Cannot broadcast")
    pos = np.zeros(idx.shape[0], np.int64)
    for d, n in enumerate(xs):
        pos = pos * n + (idx[:, d] if n != 1 else 0)
    flat = gather(reshape(x, [-1]), const(pos))
    if not shape._partitions:
        return reshape(flat, list(shape._inner))
    return _ragged_from(shape, flat)


def broadcast_dynamic_shape(shape_x, shape_y):
    """The shape both ``shape_x`` and ``shape_y`` broadcast to (DynamicRaggedShapes, or
    dense shapes as lists or 1-D tensors). A ragged dimension broadcasts only against 1."""
    x = shape_x if isinstance(shape_x, DynamicRaggedShape) else \
        DynamicRaggedShape.from_lengths(_ints(shape_x))
    y = shape_y if isinstance(shape_y, DynamicRaggedShape) else \
        DynamicRaggedShape.from_lengths(_ints(shape_y))
    if y.num_row_partitions > x.num_row_partitions or (
            y.num_row_partitions == x.num_row_partitions and y.rank > x.rank):
        x, y = y, x
    lx, ly = x.static_lengths(), y.static_lengths()
    r = max(len(lx), len(ly))
    lx = [1] * (r - len(lx)) + lx
    ly = [1] * (r - len(ly)) + ly
    ragged = [i for i, d in enumerate(lx) if not isinstance(d, int)]
    last = ragged[-1] if ragged else -1
    out = []
    for i, (a, b) in enumerate(zip(lx, ly)):
        if a == b or b == 1:
            out.append(a)
        elif a == 1 and isinstance(b, int) and i > last:
            out.append(b)
        else:  # NOTE: TF also repeats ragged rows against a broadcast outer dimension
            raise InvalidArgumentError(None, "BroadcastDynamicShape",
                                       f"Incompatible shapes: {x} vs. {y}")
    k = x.num_row_partitions + (r - x.rank) if x.num_row_partitions else None
    return DynamicRaggedShape.from_lengths(out, k, x.dtype)
