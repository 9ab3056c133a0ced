"""``tf.experimental.RowPartition``: how a flat list of values is cut into rows, held as
row splits (plus the row length when every row has it by construction, as
``from_uniform_row_length`` makes). ``RaggedTensor._row_partition`` gives one per ragged
dimension; the other encodings (lengths, row ids, starts, limits) are computed from the
splits on request."""
from .. import dtypes
from ..backend import host as np
from ..errors import InvalidArgumentError
from ..tensor import TensorBase, const, convert_to_tensor

__all__ = ["RowPartition"]

_INDEX = (dtypes.int32, dtypes.int64)


def _index(x, what, dtype, dtype_hint, rank=1):
    """An int32/int64 host array for ``x`` with TF's conversion rules for ``dtype``."""
    dtype = None if dtype is None else dtypes.as_dtype(dtype)
    if isinstance(x, TensorBase):
        if dtype is not None and x.dtype != dtype:
            raise ValueError(f"{what}: Tensor conversion requested dtype {dtype.name} for "
                             f"Tensor with dtype {x.dtype.name}: {x!r}")
        a = np.asarray(x.numpy())
    else:
        a = np.asarray(x)
        want = dtype or (dtypes.as_dtype(dtype_hint) if dtype_hint is not None else None)
        if a.size == 0 and a.dtype.kind == "f":
            a = a.astype((want or dtypes.int64)._np)
        elif a.dtype.kind in "iu":
            a = a.astype((want or dtypes.int64)._np)
    if a.dtype.name not in ("int32", "int64"):
        raise ValueError(f"{what} must have dtype int32 or int64")
    if a.ndim != rank:
        raise ValueError(f"Shape {a.shape} must have rank {rank}")
    return a


def _invalid(factory, kind, msg):
    return InvalidArgumentError(
        None, factory, f"Arguments to {factory} do not form a valid {kind}: {msg}")


class RowPartition:
    """A partition of ``nvals`` values into ``nrows`` rows (rows are consecutive runs)."""

    __slots__ = ("_splits", "_uniform", "_nrows_static")

    def __init__(self, row_splits, uniform_row_length=None, internal=False, nrows_static=None):
        if not internal:
            raise ValueError("RowPartition constructor is private; please use one of the "
                             "factory methods instead (e.g., RowPartition.from_row_lengths())")
        self._splits = row_splits  # a host int32/int64 array
        self._uniform = uniform_row_length  # int or None
        self._nrows_static = nrows_static

    # -- factories ---------------------------------------------------------------------------
    @classmethod
    def _from_splits(cls, splits, uniform=None, nrows_static=None):
        return cls(np.ascontiguousarray(splits), uniform, True, nrows_static)

    @classmethod
    def from_row_splits(cls, row_splits, validate=True, dtype=None, dtype_hint=None):
        """Rows ``row_splits[i]:row_splits[i + 1]`` of the values (``row_splits[0] == 0``,
        nondecreasing)."""
        s = _index(row_splits, "row_splits", dtype, dtype_hint)
        if s.size == 0:
            raise ValueError("row_splits tensor may not be empty.")
        if validate:
            if s[0] != 0:
                raise _invalid("from_row_splits", "RaggedTensor",
                               f"zero: row_splits[0] is {s[0]}, not 0")
            d = np.diff(s)
            if (d < 0).any():
                raise _invalid("from_row_splits", "RaggedTensor",
                               f"monotonic: row_splits {s.tolist()} decreases")
        return cls._from_splits(s, nrows_static=s.size - 1)

    @classmethod
    def from_row_lengths(cls, row_lengths, validate=True, dtype=None, dtype_hint=None):
        """Rows of the given lengths, one after another."""
        n = _index(row_lengths, "row_lengths", dtype, dtype_hint)
        if validate and (n < 0).any():
            raise _invalid("from_row_lengths", "RowPartition",
                           f"row_lengths {n.tolist()} has a negative length")
        s = np.concatenate([np.zeros(1, n.dtype), np.cumsum(n, dtype=n.dtype)])
        return cls._from_splits(s, nrows_static=n.size)

    @classmethod
    def from_value_rowids(cls, value_rowids, nrows=None, validate=True, dtype=None,
                          dtype_hint=None):
        """Value ``i`` belongs to row ``value_rowids[i]`` (nondecreasing); ``nrows`` defaults
        to the last id plus one."""
        ids = _index(value_rowids, "value_rowids", dtype, dtype_hint)
        if nrows is None:
            n = int(ids[-1]) + 1 if ids.size else 0
        else:
            n = int(nrows.numpy() if isinstance(nrows, TensorBase) else nrows)
        if validate:
            if (ids < 0).any():
                raise _invalid("from_value_rowids", "RowPartition",
                               "value_rowids must be nonnegative")
            if (np.diff(ids) < 0).any():
                raise _invalid("from_value_rowids", "RowPartition",
                               "value_rowids must be sorted in ascending order")
            if n < 0 or (ids.size and ids[-1] >= n):
                raise _invalid("from_value_rowids", "RowPartition",
                               "nrows must be greater than value_rowids[-1]")
        counts = np.bincount(ids.astype(np.int64), minlength=n)[:n].astype(ids.dtype)
        s = np.concatenate([np.zeros(1, ids.dtype), np.cumsum(counts, dtype=ids.dtype)])
        return cls._from_splits(s, nrows_static=n)

    @classmethod
    def from_row_starts(cls, row_starts, nvals, validate=True, dtype=None, dtype_hint=None):
        """Row ``i`` starts at ``row_starts[i]`` (``row_starts[0] == 0``); ``nvals`` values in
        all."""
        st = _index(row_starts, "row_starts", dtype, dtype_hint)
        nv = int(nvals.numpy() if isinstance(nvals, TensorBase) else nvals)
        s = np.concatenate([st, np.asarray([nv], st.dtype)])
        if validate and ((st.size and st[0] != 0) or (np.diff(s) < 0).any()):
            raise _invalid("from_row_starts", "RowPartition",
                           "row_starts must start at 0 and be nondecreasing up to nvals")
        return cls._from_splits(s, nrows_static=st.size)

    @classmethod
    def from_row_limits(cls, row_limits, validate=True, dtype=None, dtype_hint=None):
        """Row ``i`` ends at ``row_limits[i]`` (the first row starts at 0)."""
        lim = _index(row_limits, "row_limits", dtype, dtype_hint)
        s = np.concatenate([np.zeros(1, lim.dtype), lim])
        if validate and (np.diff(s) < 0).any():
            raise _invalid("from_row_limits", "RowPartition",
                           "row_limits must be nonnegative and nondecreasing")
        return cls._from_splits(s, nrows_static=lim.size)

    @classmethod
    def from_uniform_row_length(cls, uniform_row_length, nvals=None, nrows=None,
                                validate=True, dtype=None, dtype_hint=None):
        """``nrows`` rows of ``uniform_row_length`` values each (``nrows`` defaults to
        ``nvals // uniform_row_length``)."""
        u = _index(uniform_row_length, "uniform_row_length", dtype, dtype_hint, rank=0)
        length = int(u)
        if nvals is None and nrows is None:
            raise ValueError("At least one of nvals or nrows must be specified")
        nv = None if nvals is None else int(
            nvals.numpy() if isinstance(nvals, TensorBase) else nvals)
        if nrows is None:
            n = nv // length if length else 0
        else:
            n = int(nrows.numpy() if isinstance(nrows, TensorBase) else nrows)
        if validate:
            if length < 0:
                raise _invalid("from_uniform_row_length", "RowPartition",
                               "uniform_row_length must be nonnegative")
            if nv is not None and length * n != nv:
                raise ValueError(f"uniform_row_length={length} times nrows={n} must equal "
                                 f"nvals={nv}")
        s = np.arange(n + 1, dtype=u.dtype) * u.dtype.type(length)
        return cls._from_splits(s, length, n)

    # -- encodings ---------------------------------------------------------------------------
    @property
    def dtype(self):
        """The dtype of the partition's index tensors (int32 or int64)."""
        return dtypes.as_dtype(self._splits.dtype)

    def row_splits(self):
        """The 1-D tensor of row boundaries, ``nrows + 1`` long, starting at 0."""
        return const(self._splits.copy())

    def row_lengths(self):
        """The length of each row."""
        return const(np.diff(self._splits))

    def value_rowids(self):
        """The row index of each value."""
        s = self._splits
        return const(np.repeat(np.arange(s.size - 1, dtype=s.dtype), np.diff(s)))

    def row_starts(self):
        """The offset of each row's first value."""
        return const(self._splits[:-1].copy())

    def row_limits(self):
        """The offset just after each row's last value."""
        return const(self._splits[1:].copy())

    def nrows(self):
        """The number of rows (a scalar tensor)."""
        return const(np.asarray(self._splits.size - 1, self._splits.dtype))

    def nvals(self):
        """The number of values partitioned (a scalar tensor)."""
        return const(np.asarray(self._splits[-1], self._splits.dtype))

    def uniform_row_length(self):
        """The common row length (a scalar tensor) if built uniform, else None."""
        if self._uniform is None:
            return None
        return const(np.asarray(self._uniform, self._splits.dtype))

    def offsets_in_rows(self):
        """The position of each value inside its row."""
        s = self._splits
        ids = np.repeat(np.arange(s.size - 1), np.diff(s))
        return const((np.arange(s[-1], dtype=s.dtype) - s[:-1][ids]).astype(s.dtype))

    def is_uniform(self):
        """Whether the partition was built with a uniform row length."""
        return self._uniform is not None

    @property
    def static_nrows(self):
        """The number of rows when known without running the partition, else None."""
        return self._nrows_static

    @property
    def static_nvals(self):
        """The number of values when known statically (uniform partitions), else None."""
        if self._uniform is not None:
            return self._splits[-1]  # a NumPy scalar, as TF gives
        return None

    @property
    def static_uniform_row_length(self):
        """The uniform row length as a Python int, or None."""
        return self._uniform

    def with_dtype(self, dtype):
        """The same partition with int32 or int64 index tensors."""
        dtype = dtypes.as_dtype(dtype)
        if dtype not in _INDEX:
            raise ValueError(f"dtype must be int32 or int64, got {dtype.name}")
        return RowPartition._from_splits(self._splits.astype(dtype._np), self._uniform,
                                         self._nrows_static)

    def _host_lengths(self):
        return np.diff(self._splits)

    def __repr__(self):
        if self._uniform is not None:
            return (f"tf.RowPartition(nrows={self._splits.size - 1}, "
                    f"uniform_row_length={self._uniform})")
        return f"tf.RowPartition(row_splits={np.array2string(self._splits)})"


def _from_ragged(rt):
    """The RowPartition of a RaggedTensor's outermost ragged dimension."""
    splits = np.asarray(convert_to_tensor(rt.row_splits).numpy())
    return RowPartition._from_splits(splits, rt._uniform, splits.size - 1)
