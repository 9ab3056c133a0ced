"""``tf.RaggedTensor``: rows of different lengths, stored as one values tensor (``values``,
itself a Tensor or another RaggedTensor) cut into rows by ``row_splits``.

The splits are small integer vectors worked on with NumPy on the host; the values stay a
tapeflow Tensor, and everything that moves values (slicing rows, padding to a dense tensor,
gathering from one) goes through recorded ops, so gradients reach the tensors a ragged tensor
was built from. Nothing here depends on the values' dtype beyond the padding value.
"""
from .. import dtypes
from ..backend import host as np
from ..backend import to_host, xp_of
from ..errors import InvalidArgumentError
from ..ops._core import CompositeTensor, Op, apply
from ..ops.array import reshape
from ..ops.indexing import gather, gather_nd
from ..ops.math import cast, multiply
from ..ops.reduction import reduce_sum
from ..tensor import TensorBase, TensorShape, const, convert_to_tensor
from ..types.type_spec import TypeSpec

_SPLIT_DTYPES = ("int32", "int64")


def _host(t):
    return np.asarray(to_host(to_host(t._v)))


def _as_values(values):
    if isinstance(values, (RaggedTensor, TensorBase)):
        return values
    return convert_to_tensor(values)


def _as_index(x, what, dtype=None):
    """An int32/int64 rank-1 Tensor for a splits/lengths/ids argument (int64 by default)."""
    if isinstance(x, TensorBase):
        t = x
    elif isinstance(x, (list, tuple)) and not x:  # TF: an empty list takes the hinted dtype
        t = const(np.zeros(0, (dtypes.int64 if dtype is None else dtype)._np))
    else:
        hint = dtypes.int64 if dtype is None else dtype
        t = convert_to_tensor(x, dtype_hint=hint)
        if t._v.dtype.kind in "iu" and t._v.dtype != hint._np and not isinstance(x, np.ndarray):
            t = convert_to_tensor(_host(t).astype(hint._np))
    if t._v.dtype.name not in _SPLIT_DTYPES:
        raise ValueError(f"{what} must have dtype int32 or int64, got {t.dtype.name}")
    if t._v.ndim != 1:
        raise ValueError(f"Shape {tuple(t._v.shape)} must have rank 1 ({what})")
    if dtype is not None and t._v.dtype != dtype._np:
        t = cast(t, dtype)
    return t


def _nvals(values):
    return values.nrows_host() if isinstance(values, RaggedTensor) else values._v.shape[0]


def _invalid(opname, what):
    return InvalidArgumentError(
        None, opname, f"Arguments to {opname} do not form a valid RaggedTensor: {what}")


def _check_splits(opname, splits, nvals):
    if splits.size == 0:
        raise _invalid(opname, "row_splits must not be empty (it starts with 0)")
    if splits[0] != 0:
        raise _invalid(opname, f"zero: row_splits[0] is {splits[0]}, not 0")
    d = np.diff(splits)
    if (d < 0).any():
        i = int(np.argmax(d < 0))
        raise _invalid(opname, f"monotonic: row_splits[{i + 1}] = {splits[i + 1]} is less "
                       f"than row_splits[{i}] = {splits[i]}")
    if splits[-1] != nvals:
        raise _invalid(opname, f"row_splits[-1] = {splits[-1]} must equal the number of "
                       f"values, {nvals}")


def _index_tensor(a, dtype):
    return const(np.ascontiguousarray(a, dtype=dtype))


def _ranges(starts, lengths):
    """``concatenate([arange(s, s + n) for s, n in zip(starts, lengths)])`` without a Python
    loop (int64)."""
    starts = np.asarray(starts, np.int64)
    lengths = np.asarray(lengths, np.int64)
    total = int(lengths.sum()) if lengths.size else 0
    if total == 0:
        return np.zeros(0, np.int64)
    ends = np.cumsum(lengths)
    return np.repeat(starts - (ends - lengths), lengths) + np.arange(total, dtype=np.int64)


def _zero_of(np_dtype):
    """The padding value of a dtype: 0, False, or the empty string for string-like dtypes."""
    if np_dtype.kind in "biufc":
        return np.zeros((), np_dtype)
    return np.full((), b"" if np_dtype.kind in "OS" else "", np_dtype)


class RaggedTensor(CompositeTensor):
    """A tensor whose dimension 1 (and maybe further ones) has rows of different lengths."""

    __slots__ = ("_values", "_row_splits", "_uniform", "__weakref__")

    def __init__(self, values, row_splits, internal=False):
        if not internal:
            raise ValueError("RaggedTensor constructor is private; please use one of the "
                             "factory methods instead (e.g., RaggedTensor.from_row_lengths())")
        self._values = values
        self._row_splits = row_splits
        self._uniform = None  # the row length when every row has it by construction

    # -- factories ---------------------------------------------------------------------------
    @classmethod
    def _make(cls, values, splits, uniform=None):
        rt = cls(values, splits, internal=True)
        rt._uniform = uniform
        return rt

    @classmethod
    def from_row_splits(cls, values, row_splits, name=None, validate=True):
        values = _as_values(values)
        splits = _as_index(row_splits, "row_splits")
        if validate:
            _check_splits("from_row_splits", _host(splits), _nvals(values))
        return cls._make(values, splits)

    @classmethod
    def from_row_lengths(cls, values, row_lengths, name=None, validate=True):
        values = _as_values(values)
        lengths = _as_index(row_lengths, "row_lengths")
        h = _host(lengths)
        if validate and (h < 0).any():
            raise _invalid("from_row_lengths", "row_lengths must not be negative")
        splits = np.concatenate([[0], np.cumsum(h)]).astype(h.dtype)
        if validate:
            _check_splits("from_row_lengths", splits, _nvals(values))
        return cls._make(values, _index_tensor(splits, h.dtype))

    @classmethod
    def from_value_rowids(cls, values, value_rowids, nrows=None, name=None, validate=True):
        values = _as_values(values)
        ids = _as_index(value_rowids, "value_rowids")
        h = _host(ids)
        if validate and h.size and ((np.diff(h) < 0).any() or h[0] < 0):
            raise _invalid("from_value_rowids", "value_rowids must be sorted and non-negative")
        n = int(h[-1]) + 1 if h.size else 0
        if nrows is not None:
            nrows = int(_host(nrows) if isinstance(nrows, TensorBase) else nrows)
            if validate and nrows < n:
                raise _invalid("from_value_rowids", f"nrows = {nrows} is less than the "
                               f"largest row id + 1 = {n}")
            n = nrows
        if validate and h.size != _nvals(values):
            raise _invalid("from_value_rowids", f"{h.size} value_rowids for "
                           f"{_nvals(values)} values")
        counts = np.bincount(h, minlength=n) if h.size else np.zeros(n, h.dtype)
        splits = np.concatenate([[0], np.cumsum(counts)]).astype(h.dtype)
        return cls._make(values, _index_tensor(splits, h.dtype))

    @classmethod
    def from_row_starts(cls, values, row_starts, name=None, validate=True):
        values = _as_values(values)
        starts = _host(_as_index(row_starts, "row_starts"))
        splits = np.concatenate([starts, [_nvals(values)]]).astype(starts.dtype)
        if validate:
            _check_splits("from_row_starts", splits, _nvals(values))
        return cls._make(values, _index_tensor(splits, starts.dtype))

    @classmethod
    def from_row_limits(cls, values, row_limits, name=None, validate=True):
        values = _as_values(values)
        limits = _host(_as_index(row_limits, "row_limits"))
        splits = np.concatenate([[0], limits]).astype(limits.dtype)
        if validate:
            _check_splits("from_row_limits", splits, _nvals(values))
        return cls._make(values, _index_tensor(splits, limits.dtype))

    @classmethod
    def from_uniform_row_length(cls, values, uniform_row_length, nrows=None, validate=True,
                                name=None):
        values = _as_values(values)
        n = _nvals(values)
        length = int(uniform_row_length)
        if nrows is None:
            nrows = n // length if length else 0
        if validate and length * int(nrows) != n:
            raise _invalid("from_uniform_row_length", f"{nrows} rows of length {length} do "
                           f"not hold {n} values")
        splits = np.arange(int(nrows) + 1, dtype=np.int64) * length
        return cls._make(values, _index_tensor(splits, np.int64), length)

    @classmethod
    def from_nested_row_splits(cls, flat_values, nested_row_splits, name=None, validate=True):
        if isinstance(nested_row_splits, TensorBase):
            raise TypeError("nested_row_splits must be a list of Tensors")
        result = _as_values(flat_values)
        for splits in reversed(list(nested_row_splits)):
            result = cls.from_row_splits(result, splits, validate=validate)
        return result

    @classmethod
    def from_nested_row_lengths(cls, flat_values, nested_row_lengths, name=None,
                                validate=True):
        result = _as_values(flat_values)
        for lengths in reversed(list(nested_row_lengths)):
            result = cls.from_row_lengths(result, lengths, validate=validate)
        return result

    @classmethod
    def from_nested_value_rowids(cls, flat_values, nested_value_rowids, nested_nrows=None,
                                 name=None, validate=True):
        result = _as_values(flat_values)
        ids = list(nested_value_rowids)
        nrows = [None] * len(ids) if nested_nrows is None else list(nested_nrows)
        for rowids, n in reversed(list(zip(ids, nrows))):
            result = cls.from_value_rowids(result, rowids, n, validate=validate)
        return result

    @classmethod
    def from_tensor(cls, tensor, lengths=None, padding=None, ragged_rank=1, name=None,
                    row_splits_dtype=dtypes.int64):
        """Rows of a dense tensor, cut to ``lengths`` or with trailing ``padding`` dropped."""
        t = tensor if isinstance(tensor, TensorBase) else convert_to_tensor(tensor)
        if lengths is not None and padding is not None:
            raise ValueError("Specify argument `lengths` or `padding`, but not both.")
        if t._v.ndim < ragged_rank + 1:
            raise ValueError(f"ragged_rank must be less than the rank of the tensor "
                             f"({t._v.ndim}); got {ragged_rank}")
        sd = dtypes.as_dtype(row_splits_dtype)._np
        if ragged_rank > 1:  # the first dimension's rows of an already-ragged tensor
            shape = t._v.shape
            inner = cls.from_tensor(reshape(t, (shape[0] * shape[1],) + tuple(shape[2:])),
                                    lengths, padding, ragged_rank - 1,
                                    row_splits_dtype=row_splits_dtype)
            splits = np.arange(shape[0] + 1, dtype=sd) * shape[1]
            return cls._make(inner, _index_tensor(splits, sd), shape[1])
        nrows, ncols = t._v.shape[0], t._v.shape[1]
        if lengths is not None:
            lens = np.minimum(_host(_as_index(lengths, "lengths")), ncols).astype(sd)
        elif padding is not None:
            pad = padding if isinstance(padding, TensorBase) else convert_to_tensor(
                padding, t.dtype)
            a = np.asarray(to_host(to_host(t._v)))
            is_pad = a == np.asarray(to_host(to_host(pad._v)))
            if is_pad.ndim > 2:
                is_pad = is_pad.reshape(nrows, ncols, -1).all(axis=2)
            # a row's length ends after its last non-padding element
            keep = ~is_pad
            last = np.where(keep.any(axis=1), ncols - np.argmax(keep[:, ::-1], axis=1), 0)
            lens = last.astype(sd)
        else:
            lens = np.full(nrows, ncols, sd)
        splits = np.concatenate([[0], np.cumsum(lens)]).astype(sd)
        if lengths is None and padding is None:
            values = reshape(t, (nrows * ncols,) + tuple(t._v.shape[2:]))
            return cls._make(values, _index_tensor(splits, sd), ncols)
        if (lens == ncols).all():
            values = reshape(t, (nrows * ncols,) + tuple(t._v.shape[2:]))
        else:
            rows = np.repeat(np.arange(nrows), lens)
            cols = np.arange(rows.size) - splits[:-1][rows]
            flat = reshape(t, (nrows * ncols,) + tuple(t._v.shape[2:]))
            values = gather(flat, _index_tensor(rows * ncols + cols, np.int64))
        return cls._make(values, _index_tensor(splits, sd))

    # -- structure ---------------------------------------------------------------------------
    @property
    def values(self):
        return self._values

    @property
    def row_splits(self):
        return self._row_splits

    @property
    def flat_values(self):
        v = self._values
        while isinstance(v, RaggedTensor):
            v = v._values
        return v

    @property
    def nested_row_splits(self):
        out, rt = [], self
        while isinstance(rt, RaggedTensor):
            out.append(rt._row_splits)
            rt = rt._values
        return tuple(out)

    @property
    def ragged_rank(self):
        return len(self.nested_row_splits)

    @property
    def dtype(self):
        return self.flat_values.dtype

    @property
    def row_splits_dtype(self):
        return self._row_splits.dtype

    @property
    def shape(self):
        dims = [self.nrows_host()]
        rt = self
        while isinstance(rt, RaggedTensor):
            dims.append(rt._uniform)
            rt = rt._values
        return TensorShape(dims + list(rt._v.shape[1:]))

    def get_shape(self):
        return self.shape

    @property
    def ndim(self):
        return self.shape.rank

    @property
    def _row_partition(self):
        """The ``tf.experimental.RowPartition`` of the outermost ragged dimension."""
        from .row_partition import _from_ragged  # built on request only

        return _from_ragged(self)

    @property
    def uniform_row_length(self):
        u = self._uniform
        return None if u is None else const(np.asarray(u, self._row_splits._v.dtype))

    def nrows_host(self):
        return int(self._row_splits._v.shape[0]) - 1

    def _splits_host(self):
        return _host(self._row_splits)

    def _lengths_host(self):
        return np.diff(self._splits_host())

    def _rowids_host(self):
        s = self._splits_host()
        return np.repeat(np.arange(s.size - 1, dtype=s.dtype), np.diff(s))

    def nrows(self, out_type=None, name=None):
        d = self._row_splits._v.dtype if out_type is None else dtypes.as_dtype(out_type)._np
        return const(np.asarray(self.nrows_host(), d))

    def row_starts(self, name=None):
        return self._row_splits[:-1]

    def row_limits(self, name=None):
        return self._row_splits[1:]

    def row_lengths(self, axis=1, name=None):
        if axis == 0:
            raise ValueError("axis=0 is not a ragged dimension (it has no row lengths)")
        if axis == 1:
            s = self._splits_host()
            return _index_tensor(np.diff(s), s.dtype)
        if not isinstance(self._values, RaggedTensor):
            raise ValueError(f"axis={axis} is not a ragged dimension of a tensor of "
                             f"ragged_rank {self.ragged_rank}")
        return self.with_values(self._values.row_lengths(axis - 1))

    def nested_row_lengths(self, name=None):
        out, rt = [], self
        while isinstance(rt, RaggedTensor):
            out.append(rt.row_lengths())
            rt = rt._values
        return tuple(out)

    def value_rowids(self, name=None):
        ids = self._rowids_host()
        return _index_tensor(ids, ids.dtype)

    def nested_value_rowids(self, name=None):
        out, rt = [], self
        while isinstance(rt, RaggedTensor):
            out.append(rt.value_rowids())
            rt = rt._values
        return tuple(out)

    def bounding_shape(self, axis=None, name=None, out_type=None):
        d = self._row_splits._v.dtype if out_type is None else dtypes.as_dtype(out_type)._np
        dims = [self.nrows_host()]
        rt = self
        while isinstance(rt, RaggedTensor):
            lens = rt._lengths_host()
            dims.append(int(lens.max()) if lens.size else 0)
            rt = rt._values
        dims += list(rt._v.shape[1:])
        out = np.asarray(dims, d)
        if axis is not None:
            out = out[axis]
        return const(out)

    def with_values(self, new_values):
        new_values = _as_values(new_values)
        if _nvals(new_values) != _nvals(self._values):
            raise ValueError(f"with_values: the new values have {_nvals(new_values)} rows, "
                             f"the ragged tensor has {_nvals(self._values)} values")
        return RaggedTensor._make(new_values, self._row_splits, self._uniform)

    def with_flat_values(self, new_values):
        if isinstance(self._values, RaggedTensor):
            return self.with_values(self._values.with_flat_values(new_values))
        return self.with_values(new_values)

    def with_row_splits_dtype(self, dtype):
        dtype = dtypes.as_dtype(dtype)
        values = self._values
        if isinstance(values, RaggedTensor):
            values = values.with_row_splits_dtype(dtype)
        return RaggedTensor._make(values, cast(self._row_splits, dtype))

    def merge_dims(self, outer_axis, inner_axis):
        """One dimension for dimensions ``outer_axis``..``inner_axis`` (row-major order)."""
        rank = self.shape.rank
        outer = outer_axis % rank if outer_axis < 0 else outer_axis
        inner = inner_axis % rank if inner_axis < 0 else inner_axis
        if not 0 <= outer <= inner < rank:
            raise ValueError(f"Expected outer_axis ({outer_axis}) to be less than or equal to "
                             f"inner_axis ({inner_axis})")
        return _merge_dims(self, outer, inner)

    # -- conversion --------------------------------------------------------------------------
    def _dense_index(self):
        """(index of each flat value in the dense bounding box [m, ragged_rank + 1] int64,
        the bounding box's outer dimensions)."""
        levels = []
        rt = self
        while isinstance(rt, RaggedTensor):
            levels.append(rt._splits_host().astype(np.int64))
            rt = rt._values
        n = rt._v.shape[0]
        pos = np.arange(n, dtype=np.int64)
        cols = []
        for k, splits in enumerate(reversed(levels)):
            lens = np.diff(splits)
            rows = np.repeat(np.arange(lens.size, dtype=np.int64), lens)
            if k:  # the rows of the values at ``pos`` (the innermost level's are all of them)
                rows = rows[pos]
            cols.append(pos - splits[:-1][rows] if n else pos)
            pos = rows
        cols.append(pos)
        index = np.stack(cols[::-1], axis=1) if n else np.zeros((0, len(levels) + 1), np.int64)
        dims = [len(levels[0]) - 1]
        for splits in levels:
            lens = np.diff(splits)
            dims.append(int(lens.max()) if lens.size else 0)
        return index, dims

    def to_tensor(self, default_value=None, name=None, shape=None):
        """A dense tensor: rows padded with ``default_value`` (0) to the bounding shape, or to
        ``shape`` (its known dimensions pad or truncate)."""
        flat = self.flat_values
        index, dims = self._dense_index()
        inner = list(flat._v.shape[1:])
        if shape is not None:
            want = shape.as_list() if isinstance(shape, TensorShape) else (
                _host(shape).tolist() if isinstance(shape, TensorBase) else list(shape))
            if len(want) != len(dims) + len(inner):
                raise ValueError(f"to_tensor: shape {want} must have rank "
                                 f"{len(dims) + len(inner)}")
            for i, w in enumerate(want[len(dims):]):
                if w not in (None, -1) and int(w) != inner[i]:
                    raise ValueError(f"to_tensor: shape {want} does not match the inner "
                                     f"dimensions {inner} of the values")
            dims = [d if w in (None, -1) else int(w) for d, w in zip(dims, want)]
        keep = None  # the bounding box holds every value; a given shape may cut some off
        if shape is not None and index.size:
            keep = (index < np.asarray(dims, np.int64)).all(axis=1)
            if keep.all():
                keep = None
        if default_value is None:
            default = const(_zero_of(flat._v.dtype))
        else:
            default = default_value if isinstance(default_value, TensorBase) else \
                convert_to_tensor(default_value, flat.dtype)
        return apply(TO_DENSE, (flat, default), {"index": index, "keep": keep,
                                                  "shape": tuple(dims + inner)})

    def to_list(self):
        return _to_list(self)

    def numpy(self):
        """NumPy value as TF gives it: a regular array where rows happen to be uniform,
        else an object array of row arrays."""
        v = np.asarray(to_host(to_host(self.flat_values._v)))
        for splits in reversed(self.nested_row_splits):
            s = _host(splits)
            lens = np.diff(s)
            n = lens.size
            if n == 0 or (lens == lens[0]).all():
                width = int(lens[0]) if n else 0
                v = v.reshape((n, width) + v.shape[1:])
            else:
                rows = np.empty(n, dtype=object)
                for i in range(n):
                    rows[i] = v[s[i]:s[i + 1]]
                v = rows
        return v

    def to_sparse(self, name=None):
        from ..sparse._tensor import SparseTensor  # cycle: sparse imports this module

        index, dims = self._dense_index()
        flat = self.flat_values
        if flat._v.ndim > 1:
            raise NotImplementedError("to_sparse: values with inner dimensions")
        return SparseTensor(const(index), flat, const(np.asarray(dims, np.int64)))

    @classmethod
    def from_sparse(cls, st_input, name=None, row_splits_dtype=dtypes.int64):
        idx = _host(st_input.indices)
        shape = _host(st_input.dense_shape)
        if idx.shape[1] != 2:
            raise ValueError("from_sparse: the SparseTensor must have rank 2")
        # TF: row-major order, and each row's columns are 0, 1, 2... with no holes
        if idx.size:
            rows = idx[:, 0]
            starts = np.searchsorted(rows, rows, side="left")
            if (np.diff(rows) < 0).any() or (idx[:, 1] != np.arange(rows.size) - starts).any():
                raise InvalidArgumentError(
                    None, "RaggedTensorFromSparse", "SparseTensor is not right-ragged: each "
                    "row's indices must be 0, 1, 2... in row-major order "
                    "[Op:RaggedTensorFromSparse]")
        lens = np.bincount(idx[:, 0], minlength=int(shape[0])) if idx.size else np.zeros(
            int(shape[0]), np.int64)
        return cls.from_row_lengths(st_input.values, lens.astype(
            dtypes.as_dtype(row_splits_dtype)._np))

    # -- printing ----------------------------------------------------------------------------
    def __repr__(self):
        return f"<tf.RaggedTensor {_value_text(self.numpy())}>"

    __str__ = __repr__

    def __bool__(self):
        raise TypeError("RaggedTensor may not be used as a boolean.")

    __hash__ = None

    @property
    def _type_spec(self):
        return RaggedTensorSpec.from_value(self)

    # NOTE: ``tf.nest(..., expand_composites=True)`` and ``tf.function`` (its arguments and
    # results) see a RaggedTensor as TF does: its flat values, then each level's row splits
    def _tf_nest_parts(self):
        return [self.flat_values, *self.nested_row_splits]

    def _tf_nest_rebuild(self, parts):
        if not all(isinstance(p, TensorBase) for p in parts):  # component specs: the spec
            rows = parts[1].shape[0] if len(parts) > 1 else None
            dims = [None if rows is None else rows - 1] + [None] * (len(parts) - 1)
            return RaggedTensorSpec(TensorShape(dims).concatenate(parts[0].shape[1:]),
                                    parts[0].dtype, len(parts) - 1, parts[-1].dtype)
        return _from_parts(parts)

    def _tf_static_key(self):
        return ("RaggedTensor", self.dtype.name, self.ragged_rank, self.row_splits_dtype.name,
                tuple(self.flat_values.shape[1:]))

    def consumers(self):
        return []

    def __getitem__(self, key):
        return _getitem(self, key)


def _to_list(rt):
    v = np.asarray(to_host(to_host(rt.flat_values._v))).tolist()
    for splits in reversed(rt.nested_row_splits):
        s = _host(splits).tolist()
        v = [v[s[i]:s[i + 1]] for i in range(len(s) - 1)]
    return v


def _format_item(x):
    if isinstance(x, np.ndarray):
        return np.array2string(x, separator=", ") if x.size else repr(x.tolist())
    return str(x)


def _value_text(a):
    with np.printoptions(formatter={"all": _format_item}):
        return _format_item(a)


def _merge_dims(x, outer, inner):
    if outer == inner:
        return x
    if not isinstance(x, RaggedTensor):  # dense dimensions merge by reshape
        s = tuple(x._v.shape)
        n = 1
        for d in s[outer:inner + 1]:
            n *= d
        return reshape(x, s[:outer] + (n,) + s[inner + 1:])
    if outer > 1:  # the rows keep their number of values
        return x.with_values(_merge_dims(x._values, outer - 1, inner - 1))
    if outer == 0:  # dimensions 1..inner first, then the rows' values are the merged dimension
        return _merge_dims(x, 1, inner)._values if inner > 1 else x._values
    for _ in range(inner - 1):  # dimensions 1 and 2, as often as needed
        x = _merge_12(x)
    return x


def _merge_12(x):
    """Dimensions 1 and 2 of ragged ``x`` as one: each row concatenates its values' rows."""
    v = x._values
    s = x._splits_host()
    if isinstance(v, RaggedTensor):
        new = v._splits_host()[s]
        return RaggedTensor._make(v._values, _index_tensor(new, s.dtype))
    k = v._v.shape[1]
    return RaggedTensor._make(reshape(v, (v._v.shape[0] * k,) + tuple(v._v.shape[2:])),
                              _index_tensor(s * k, s.dtype))


# -- to_tensor as one op: values scattered into a padded dense tensor ---------------------------
def _to_dense_fwd(values, default, index, keep, shape):
    xp = xp_of(values)
    out = xp.empty(shape, values.dtype)
    out[...] = default
    if index.shape[0]:
        idx = index if keep is None else index[keep]
        vals = values if keep is None else values[xp.asarray(keep)]
        out[tuple(xp.asarray(idx).T)] = vals
    return out


def _to_dense_grad(n, g):
    index, keep = n.attrs["index"], n.attrs["keep"]
    gv = gd = None
    if n.needs[0]:
        if keep is None:
            gv = gather_nd(g, const(index))
        else:
            shape = np.asarray(n.attrs["shape"][:index.shape[1]], np.int64)
            safe = np.minimum(index, np.maximum(shape - 1, 0))
            gv = gather_nd(g, const(safe))
            mask = keep.reshape((-1,) + (1,) * (g._v.ndim - index.shape[1]))
            gv = multiply(gv, const(mask.astype(g._v.dtype)))
    if n.needs[1]:
        filled = _to_dense_fwd(np.ones(n.inputs[0]._v.shape, bool), np.asarray(False),
                               index, keep, n.attrs["shape"])
        gd = reduce_sum(multiply(g, const((~filled).astype(g._v.dtype))))
        if n.inputs[1]._v.ndim:
            gd = None
    return gv, gd


TO_DENSE = Op("RaggedTensorToTensor", _to_dense_fwd, _to_dense_grad, None, same_dtype=True)


# -- indexing -----------------------------------------------------------------------------------
def _row_range(rt, key):
    """Rows ``key`` (a slice) of ``rt``: a RaggedTensor over the matching values."""
    s = rt._splits_host()
    n = s.size - 1
    start, stop, step = key.indices(n)
    rows = np.arange(start, stop, step)
    if step == 1:
        lo = int(s[start]) if rows.size else 0
        hi = int(s[stop]) if rows.size else 0
        new = (s[start:stop + 1] - lo) if rows.size else np.zeros(1, s.dtype)
        values = rt._values[lo:hi] if not isinstance(rt._values, RaggedTensor) else \
            _row_range(rt._values, slice(lo, hi))
        return RaggedTensor._make(values, _index_tensor(new, s.dtype), rt._uniform)
    lens = s[rows + 1] - s[rows]
    new = np.concatenate([[0], np.cumsum(lens)]).astype(s.dtype)
    return RaggedTensor._make(_take(rt._values, _ranges(s[rows], lens)),
                              _index_tensor(new, s.dtype), rt._uniform)


def _take(values, idx):
    """Rows ``idx`` (host ints) of a Tensor or RaggedTensor."""
    if isinstance(values, RaggedTensor):
        s = values._splits_host()
        lens = s[idx + 1] - s[idx]
        new = np.concatenate([[0], np.cumsum(lens)]).astype(s.dtype)
        return RaggedTensor._make(_take(values._values, _ranges(s[idx], lens)),
                                  _index_tensor(new, s.dtype))
    return gather(values, _index_tensor(idx, np.int64))


def _row(rt, i):
    s = rt._splits_host()
    n = s.size - 1
    i = int(i)
    if not -n <= i < n:
        raise IndexError(f"Row key {i} out of bounds")
    i %= n
    lo, hi = int(s[i]), int(s[i + 1])
    if isinstance(rt._values, RaggedTensor):
        return _row_range(rt._values, slice(lo, hi))
    return rt._values[lo:hi]


def _slice_rows(rt, key):
    """Each row of ``rt`` sliced by ``key`` (a slice over the ragged dimension)."""
    s = rt._splits_host().astype(np.int64)
    n = np.diff(s)
    if key.step not in (None, 1):  # any step: one row at a time
        rows = [np.arange(s[r], s[r + 1])[key] for r in range(n.size)]
        idx = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        lens = np.asarray([r.size for r in rows], np.int64)
    else:  # Python's slice bounds, clipped per row, for every row at once
        def bound(b, default):
            if b is None:
                return np.full(n.size, default, np.int64) if np.ndim(default) == 0 else default
            b = int(b)
            return np.clip(n + b, 0, n) if b < 0 else np.minimum(b, n)

        lo, hi = bound(key.start, 0), bound(key.stop, n)
        lens = np.maximum(hi - lo, 0)
        idx = _ranges(s[:-1] + lo, lens)
    new = np.concatenate([[0], np.cumsum(lens)]).astype(rt._row_splits._v.dtype)
    return RaggedTensor._make(_take(rt._values, idx), _index_tensor(new, new.dtype))


def _getitem(rt, key):
    if not isinstance(key, tuple):
        key = (key,)
    if any(k is Ellipsis for k in key):  # as many full slices as the dimensions it stands for
        at = next(i for i, k in enumerate(key) if k is Ellipsis)
        fill = rt.shape.rank - (len(key) - 1)
        key = key[:at] + (slice(None),) * max(fill, 0) + key[at + 1:]
    while key and isinstance(key[-1], slice) and key[-1] == slice(None):
        key = key[:-1]  # trailing full slices select everything
    if not key:
        return rt
    first, rest = key[0], key[1:]
    if first is None or any(k is None for k in rest):
        raise NotImplementedError("RaggedTensor indexing with tf.newaxis is not supported by "
                                  "tapeflow yet")
    if isinstance(first, TensorBase):
        first = first.numpy().item() if first._v.ndim == 0 else first
    if isinstance(first, slice):
        out = _row_range(rt, first)
        if not rest:
            return out
        second, rest = rest[0], rest[1:]
        if isinstance(second, slice):
            out = _slice_rows(out, second)
        elif isinstance(second, (int, np.integer)) and out._uniform is not None:
            return _uniform_column(out, int(second), rest)
        else:
            raise ValueError("Cannot index into an inner ragged dimension.")
        if rest:
            if isinstance(out._values, RaggedTensor):
                inner = _getitem(out._values, (slice(None),) + rest)
            else:
                inner = out._values[(slice(None),) + rest]
            out = RaggedTensor._make(inner, out._row_splits)
        return out
    if isinstance(first, (int, np.integer)):
        row = _row(rt, first)
        return row[rest] if rest else row
    raise TypeError(f"RaggedTensor indices must be integers or slices, not "
                    f"{type(first).__name__}")


def _uniform_column(rt, k, rest):
    """``rt[:, k, *rest]`` where every row has the same length (TF allows it there)."""
    length = rt._uniform
    if not -length <= k < length:
        raise InvalidArgumentError(None, "RaggedGather", f"Index out of bounds when indexing "
                                   f"into a ragged tensor: {k} for rows of length {length}")
    picked = _take(rt._values, rt._splits_host()[:-1].astype(np.int64) + k % length)
    return picked[(slice(None),) + rest] if rest else picked


def _from_parts(parts):
    """The RaggedTensor of ``_tf_nest_parts``' tensors: flat values, then each row splits."""
    return RaggedTensor.from_nested_row_splits(parts[0], list(parts[1:]), validate=False)


class RaggedTensorSpec(TypeSpec):
    """The type of a RaggedTensor: shape (ragged dimensions None), dtype, ragged_rank and the
    row splits' dtype."""

    __slots__ = ("_shape", "_dtype", "_ragged_rank", "_row_splits_dtype", "_flat_values_spec")

    def __init__(self, shape=None, dtype=dtypes.float32, ragged_rank=None,
                 row_splits_dtype=dtypes.int64, flat_values_spec=None):
        self._shape = TensorShape(shape)
        self._dtype = dtypes.as_dtype(dtype)
        if ragged_rank is None:
            if self._shape.rank is None:
                raise ValueError("Must specify ragged_rank or a shape with a known rank.")
            ragged_rank = self._shape.rank - 1
        self._ragged_rank = int(ragged_rank)
        self._row_splits_dtype = dtypes.as_dtype(row_splits_dtype)
        self._flat_values_spec = flat_values_spec

    shape = property(lambda self: self._shape)
    dtype = property(lambda self: self._dtype)
    ragged_rank = property(lambda self: self._ragged_rank)
    row_splits_dtype = property(lambda self: self._row_splits_dtype)
    flat_values_spec = property(lambda self: self._flat_values_spec)
    value_type = property(lambda self: RaggedTensor)

    def _serialize(self):
        return (self._shape, self._dtype, self._ragged_rank, self._row_splits_dtype)

    # NOTE: the spec's side of RaggedTensor's nest protocol (an input_signature entry): the
    # flat values' spec, then one row splits spec per ragged dimension, as TF flattens it
    def _tf_nest_parts(self):
        from ..data._structure import TensorSpec  # cycle: tf.TensorSpec lives with tf.data

        inner = self._shape[self._ragged_rank + 1:] if self._shape.rank is not None else None
        flat = TensorSpec(TensorShape([None]).concatenate(inner), self._dtype)
        return [flat] + [TensorSpec([None], self._row_splits_dtype)] * self._ragged_rank

    def _tf_nest_rebuild(self, parts):
        if all(isinstance(p, TensorBase) for p in parts):  # bound tensors: the value
            return _from_parts(parts)
        return self

    def _tf_static_key(self):
        inner = self._shape[self._ragged_rank + 1:] if self._shape.rank is not None else ()
        return ("RaggedTensor", self._dtype.name, self._ragged_rank,
                self._row_splits_dtype.name, tuple(TensorShape(inner).as_list()))

    @classmethod
    def from_value(cls, value):
        return cls(value.shape, value.dtype, value.ragged_rank, value.row_splits_dtype)

    def is_compatible_with(self, spec_or_value):
        other = spec_or_value
        if isinstance(other, RaggedTensor):
            other = RaggedTensorSpec.from_value(other)
        if not isinstance(other, RaggedTensorSpec):
            return False
        return (self._dtype == other._dtype and self._ragged_rank == other._ragged_rank
                and self._row_splits_dtype == other._row_splits_dtype
                and self._shape.is_compatible_with(other._shape))

    def most_specific_compatible_type(self, other):
        if not isinstance(other, RaggedTensorSpec) or self._dtype != other._dtype or \
                self._ragged_rank != other._ragged_rank:
            raise ValueError(f"No TypeSpec is compatible with both {self} and {other}")
        a, b = self._shape, other._shape
        if a.rank != b.rank:
            shape = TensorShape(None)
        else:
            shape = TensorShape([x if x == y else None for x, y in zip(a.dims, b.dims)])
        return RaggedTensorSpec(shape, self._dtype, self._ragged_rank, self._row_splits_dtype)

    def _batch(self, n):
        return RaggedTensorSpec(TensorShape([n]).concatenate(self._shape), self._dtype,
                                self._ragged_rank + 1, self._row_splits_dtype)

    def _unbatch(self):
        return RaggedTensorSpec(self._shape[1:], self._dtype, self._ragged_rank - 1,
                                self._row_splits_dtype)

    def __eq__(self, other):
        return (isinstance(other, RaggedTensorSpec) and self._shape == other._shape
                and self._dtype == other._dtype and self._ragged_rank == other._ragged_rank
                and self._row_splits_dtype == other._row_splits_dtype)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash((self._shape, self._dtype.name, self._ragged_rank,
                     self._row_splits_dtype.name))

    def __repr__(self):
        return (f"RaggedTensorSpec({self._shape!r}, {self._dtype!r}, {self._ragged_rank}, "
                f"{self._row_splits_dtype!r})")
