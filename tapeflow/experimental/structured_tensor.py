"""``tf.experimental.StructuredTensor``: a tensor whose elements are records. Every element has
the same named fields; a field holds a Tensor, a RaggedTensor or another StructuredTensor whose
leading dimensions are the StructuredTensor's own shape.

The value keeps its fields in a dict (insertion order), its static shape, the number of rows of
its outer dimension and one ``RowPartition`` per dimension after the first (how many elements of
dimension ``i + 1`` each element of dimension ``i`` holds). Everything is eager, so shapes are
checked with concrete row splits.

Loaded on first use of ``tf.experimental.StructuredTensor``.
"""
import re

from .. import dtypes
from ..backend import host as np
from ..errors import InvalidArgumentError
from ..ops._core import CompositeTensor
from ..ragged import RaggedTensor, RaggedTensorSpec
from ..ragged import constant as _ragged_constant
from ..ragged.row_partition import RowPartition
from ..tensor import TensorBase, TensorShape, as_shape, const, convert_to_tensor
from ..types.type_spec import TypeSpec

__all__ = ["StructuredTensor"]

_FIELD_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*$")
_UPDATES = "`StructuredTensor.with_updates`"
_INDEX_TYPES = ("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar "
                "tf.int32/tf.int64 tensors are valid indices, got ")


# -- the outer structure of one field value --------------------------------------------------------
def _host(t):
    return np.asarray(convert_to_tensor(t).numpy())


def _uniform(length, nrows):
    """A partition of ``nrows`` rows of ``length`` values each (int64)."""
    splits = np.arange(nrows + 1, dtype=np.int64) * np.int64(length)
    return RowPartition._from_splits(splits, int(length), int(nrows))


def _splits_partition(splits, uniform=None):
    splits = np.asarray(splits)
    return RowPartition._from_splits(splits, uniform, splits.size - 1)


def _dense_partitions(dims, count):
    """The ``count`` uniform partitions of the leading dimensions ``dims`` of a dense array."""
    out, rows = [], int(dims[0])
    for d in dims[1:count + 1]:
        out.append(_uniform(int(d), rows))
        rows *= int(d)
    return out


def _ragged_partitions(rt, count):
    """The first ``count`` partitions of a RaggedTensor: its ragged ones, then uniform ones
    cut from its flat values' leading dimensions."""
    out, x = [], rt
    while isinstance(x, RaggedTensor) and len(out) < count:
        out.append(_splits_partition(x._splits_host(), x._uniform))
        x = x.values
    if len(out) < count:
        out.extend(_dense_partitions(list(x.shape), count - len(out)))
    return out


def _rank_of(value):
    return value.rank if isinstance(value, StructuredTensor) else value.shape.rank


def _outer(value, rank):
    """``(nrows, partitions)`` of the first ``rank`` dimensions of a field value (rank >= 1)."""
    if isinstance(value, StructuredTensor):
        return value._nrows, list(value._partitions[:rank - 1])
    if isinstance(value, RaggedTensor):
        return value.nrows_host(), _ragged_partitions(value, rank - 1)
    return int(value.shape[0]), _dense_partitions(list(value.shape), rank - 1)


def _same_partitions(a, b):
    return len(a) == len(b) and all(
        np.array_equal(x._splits, y._splits) for x, y in zip(a, b))


def _static_shape(value, rank):
    return TensorShape(list(value.shape)[:rank])


def _shape_text(shape):
    dims = [str(d) for d in shape.as_list()]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


# -- converting fields ------------------------------------------------------------------------
def _convert_field(name, value):
    """A field value as a Tensor, RaggedTensor or StructuredTensor (TF's TypeErrors)."""
    if not isinstance(name, str):
        raise TypeError(f"Unexpected type for key in `fields`: {name!r}")
    if not _FIELD_NAME.match(name):
        raise ValueError(f"Field name {name!r} is not currently allowed.")
    if isinstance(value, (TensorBase, RaggedTensor, StructuredTensor)):
        return value
    try:
        return convert_to_tensor(value)
    except (TypeError, ValueError):
        raise TypeError(f"Unexpected type for value in `fields`: {value}") from None


def _check_fields(fields, rank, shape):
    """The outer ``(nrows, partitions, static shape)`` all fields agree on (ValueError
    otherwise); ``shape`` is the requested static shape."""
    if rank == 0 or not fields:
        return None, None, shape
    names = list(fields)
    first = fields[names[0]]
    if _rank_of(first) < rank:
        raise ValueError(f"Shapes {_shape_text(shape)} and {_shape_text(first.shape)} are not "
                         f"compatible")
    nrows, partitions = _outer(first, rank)
    # NOTE: as in TF, fields are compared with each other before the requested shape
    for name in names[1:]:
        value = fields[name]
        if _rank_of(value) < rank:
            raise ValueError(f"Error in shape of {name}")
        n, p = _outer(value, rank)
        if n != nrows or not _same_partitions(p, partitions):
            raise ValueError(f"Error in shape of {name}")
    prefix = _static_shape(first, rank)
    if not shape.is_compatible_with(prefix):
        raise ValueError(f"Shapes {_shape_text(shape)} and {_shape_text(prefix)} are not "
                         f"compatible")
    for dim, p in zip(shape.as_list()[1:], partitions):
        if dim is not None and (np.diff(p._splits) != dim).any():
            raise InvalidArgumentError(None, None, f"Row partitions of the fields are not "
                                                   f"uniform with length {dim}, as shape "
                                                   f"{_shape_text(shape)} requires")
    return nrows, partitions, shape.merge_with(prefix)


def _nrows_value(nrows):
    """``(int, dtype)`` of a user's ``nrows`` (a Python int or scalar integer tensor)."""
    if isinstance(nrows, TensorBase):
        return int(nrows.numpy()), nrows.dtype
    return int(nrows), dtypes.int64


class StructuredTensor(CompositeTensor):
    """A (possibly ragged) tensor of records with named fields.

    Build one with ``from_pyval`` (Python dicts and lists), ``from_fields`` (field values and a
    shape) or ``from_fields_and_rank``; read it with ``field_names``, ``field_value``, indexing
    and ``to_pyval``; derive new ones with ``with_updates``, ``partition_outer_dimension``,
    ``merge_dims`` and ``promote``. Values are immutable.
    """

    __slots__ = ("_fields", "_shape", "_nrows", "_nrows_dtype", "_partitions")

    def __init__(self, fields, shape, nrows, partitions, nrows_dtype=dtypes.int64,
                 internal=False):
        if not internal:
            raise ValueError("StructuredTensor constructor is private; please use one of the "
                             "factory methods instead (e.g., StructuredTensor.from_fields())")
        self._fields = dict(fields)
        self._shape = shape
        self._nrows = nrows  # None for a scalar StructuredTensor
        self._nrows_dtype = nrows_dtype
        self._partitions = tuple(partitions)

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def from_fields(cls, fields, shape=(), nrows=None, row_partitions=None, validate=False):
        """A StructuredTensor of static ``shape`` (known rank) with the given ``fields`` (a dict
        from name to a value whose shape starts with ``shape``).

        ``nrows`` and ``row_partitions`` give the outer structure when there are no fields to
        read it from. ``validate`` is accepted for TF compatibility: shapes are always checked
        here, since every value is concrete.
        """
        if not isinstance(fields, dict):
            raise TypeError(f"fields must be a dictionary, got {type(fields).__name__}")
        shape = as_shape(shape)
        if shape.rank is None:
            raise ValueError("StructuredTensor's shape must have known rank.")
        fields = {k: _convert_field(k, v) for k, v in fields.items()}
        rank = shape.rank
        if rank == 0:
            _check_fields(fields, 0, shape)
            return cls(fields, shape, None, (), internal=True)
        nrows_dtype = dtypes.int64
        if fields:
            n, partitions, shape = _check_fields(fields, rank, shape)
            if nrows is not None:
                # NOTE: TF does not compare a given nrows with the fields' row count either
                nrows_dtype = _nrows_value(nrows)[1]
        else:
            n, partitions, nrows_dtype = _outer_without_fields(shape, nrows, row_partitions)
            shape = _shape_from_partitions(n, partitions, shape)
        return cls(fields, shape, n, partitions, nrows_dtype, internal=True)

    @classmethod
    def from_fields_and_rank(cls, fields, rank, validate=False):
        """A StructuredTensor of rank ``rank`` whose shape is read from ``fields`` (at least
        one field; all must agree on their first ``rank`` dimensions)."""
        if not isinstance(rank, int) or isinstance(rank, bool):
            raise ValueError("rank must be an integer")
        if rank < 0:
            raise ValueError("rank must be nonnegative")
        if not fields:
            raise ValueError("Must provide at least one field")
        if not isinstance(fields, dict):
            raise TypeError(f"fields must be a dictionary, got {type(fields).__name__}")
        fields = {k: _convert_field(k, v) for k, v in fields.items()}
        first = next(iter(fields.values()))
        if _rank_of(first) < rank:
            raise ValueError("num_row_partitions must be less than rank")
        return cls.from_fields(fields, shape=_static_shape(first, rank), validate=validate)

    @classmethod
    def from_pyval(cls, pyval, typespec=None):
        """A StructuredTensor from nested Python dicts and lists: a dict is a record, a
        (nested) list of dicts a tensor of records; lists of lists become ragged.

        A value that holds no dict gives a Tensor or RaggedTensor instead, as TF does.
        ``typespec`` (a ``StructuredTensor.Spec``) fixes the dtypes of the tensor fields.
        """
        value = _from_pyval(pyval, ())
        if typespec is not None:
            value = _apply_spec(value, typespec, pyval, ())
        return value

    # -- reading -------------------------------------------------------------------------------
    @property
    def shape(self):
        """The static shape (ragged dimensions are None)."""
        return self._shape

    @property
    def rank(self):
        """The number of dimensions (a Python int)."""
        return self._shape.rank

    @property
    def row_partitions(self):
        """One ``RowPartition`` per dimension after the first (empty for rank 0 or 1)."""
        return self._partitions

    def nrows(self):
        """The number of rows of the outer dimension (a scalar int64 tensor), None for a
        scalar StructuredTensor."""
        if self._nrows is None:
            return None
        return const(np.asarray(self._nrows, self._nrows_dtype._np))

    def field_names(self):
        """The field names, in the order the fields were given."""
        return tuple(self._fields)

    def field_value(self, field_name):
        """The value of a field; a tuple of names walks into nested StructuredTensors."""
        path = field_name if isinstance(field_name, tuple) else (field_name,)
        value = self
        for name in path:
            if not isinstance(value, StructuredTensor) or name not in value._fields:
                raise KeyError(name)
            value = value._fields[name]
        return value

    def to_pyval(self):
        """The value as nested Python dicts and lists (a scalar record's scalar fields stay
        NumPy scalars; elements of tensors are Python scalars, as in TF)."""
        if self.rank == 0:
            return {k: _field_pyval(v) for k, v in self._fields.items()}
        flat = {k: _flatten_lists(_field_pyval(v), self.rank) for k, v in self._fields.items()}
        records = [{k: flat[k][i] for k in flat} for i in range(self._nvals_innermost())]
        return _nest_lists(records, self._nrows, self._partitions)

    def _nvals_innermost(self):
        """How many records there are in all."""
        if self._partitions:
            return int(self._partitions[-1]._splits[-1])
        return self._nrows

    def __repr__(self):
        lines = []
        for name in sorted(self._fields):
            text = _value_text(self._fields[name]).replace("\n", "\n" + " " * 12)
            lines.append(f'        "{name}": {text}')
        body = ",\n".join(lines) if lines else "        "
        return (f"<StructuredTensor(\n    fields={{\n{body}}},\n"
                f"    shape={_shape_text(self._shape)})>")

    # -- indexing --------------------------------------------------------------------------------
    def __getitem__(self, key):
        """``st["name"]`` / ``st["a", "b"]``: a field (with the remaining keys applied to it);
        ``st[i]`` / ``st[i:j]``: elements of the outer dimensions."""
        key = key if isinstance(key, tuple) else (key,)
        if not key:
            return self
        return self._getitem(key, consumed=False)

    def _getitem(self, key, consumed):
        rank = self.rank
        if rank == 0 or len(key) > rank:
            name = key[rank]
            if not isinstance(name, str):
                if consumed or rank > 0:
                    raise ValueError("Key for indexing a StructuredTensor must be a string")
                raise ValueError("Key for indexing a StructuredTensor must be a string or a "
                                 "full slice (':')")
            outer, rest = key[:rank], key[rank + 1:]
            value = self.field_value(name)
            full = outer + rest
            return value[full] if full else value
        for k in key:
            _check_outer_key(k)
        return self._index_outer(key)

    def _index_outer(self, key):
        first, rest = key[0], key[1:]
        if isinstance(first, slice):
            out = self._slice_rows(first)
            if all(_is_full_slice(k) for k in rest):
                return out
            if self._shape[1] is None:
                raise ValueError("Cannot index into an inner ragged dimension.")
            return _fieldwise(out, (slice(None),) + rest)
        row = self._row(_int_key(first))
        return row._index_outer(rest) if rest else row

    def _row(self, i):
        n = self._nrows
        if i < -n or i >= n:
            raise IndexError(f"Row key {i} out of bounds")
        i %= n
        fields = {k: v[i] for k, v in self._fields.items()}
        if not self._partitions:
            return StructuredTensor(fields, TensorShape([]), None, (), internal=True)
        s = self._partitions[0]._splits
        nrows, parts = int(s[i + 1] - s[i]), _sub_partitions(self._partitions[1:], s[i], s[i + 1])
        shape = _shape_from_partitions(nrows, parts, self._shape[1:])
        return StructuredTensor(fields, shape, nrows, parts, internal=True)

    def _slice_rows(self, sl):
        start, stop, step = sl.indices(self._nrows)
        if step != 1:
            raise ValueError("Slicing a StructuredTensor with a step is not supported")
        stop = max(start, stop)
        fields = {k: v[start:stop] for k, v in self._fields.items()}
        if self._partitions:
            s = self._partitions[0]._splits
            first = RowPartition._from_splits(s[start:stop + 1] - s[start],
                                              self._partitions[0]._uniform, stop - start)
            parts = [first] + _sub_partitions(self._partitions[1:], s[start], s[stop])
        else:
            parts = []
        shape = TensorShape([stop - start]).concatenate(self._shape[1:])
        return StructuredTensor(fields, shape, stop - start, parts, self._nrows_dtype,
                                internal=True)

    # -- updating --------------------------------------------------------------------------------
    def with_updates(self, updates, validate=False):
        """A copy with fields added, replaced (a value, or a function of the old value) or
        deleted (``None``); a tuple key names a field of a nested StructuredTensor."""
        paths = {}
        for name, value in updates.items():
            path = name if isinstance(name, tuple) else (name,)
            if not path:
                raise ValueError(f"{_UPDATES} does not allow empty names {(path,)}.")
            if not all(isinstance(p, str) for p in path):
                # NOTE: TF fails a bare assert here; a TypeError says what is wrong
                raise TypeError(f"{_UPDATES}: field names must be strings or tuples of "
                                f"strings, got {name!r}")
            paths[path] = value
        _check_no_parent_and_child(paths)
        return self._apply_updates(paths, (), validate)

    def _apply_updates(self, paths, prefix, validate):
        fields = dict(self._fields)
        nested = {}
        for path, value in paths.items():
            if len(path) > 1:
                nested.setdefault(path[0], {})[path[1:]] = value
                continue
            _update_one(fields, path[0], value, prefix + path)
        for name, sub in nested.items():
            parent = fields.get(name)
            where = prefix + (name,)
            if parent is None:
                child = where + next(iter(sub))[:1]
                raise ValueError(f"{_UPDATES} cannot create new sub-field {child} if parent "
                                 f"field {where} is not set.")
            if not isinstance(parent, StructuredTensor):
                child = where + next(iter(sub))[:1]
                raise ValueError(f"{_UPDATES} cannot create new sub-field {child} if parent "
                                 f"structure {where} is not a `StructuredTensor` that can "
                                 f"contain sub-structures -- it is a `{type(parent)}`.")
            fields[name] = parent._apply_updates(sub, where, validate)
        try:
            return self._with_fields(fields)
        except (ValueError, TypeError) as e:
            raise ValueError(f"{_UPDATES} failed") from e

    def _with_fields(self, fields):
        """This StructuredTensor's outer structure with other fields (checked)."""
        if self.rank == 0 or not fields:
            for k, v in fields.items():
                fields[k] = _convert_field(k, v)
            if self.rank:
                _check_fields(fields, self.rank, self._shape)
            return StructuredTensor(fields, self._shape, self._nrows, self._partitions,
                                    self._nrows_dtype, internal=True)
        fields = {k: _convert_field(k, v) for k, v in fields.items()}
        n, parts, shape = _check_fields(fields, self.rank, self._shape)
        if n != self._nrows or not _same_partitions(parts, self._partitions):
            raise ValueError(f"Error in shape of {next(iter(fields))}")
        return StructuredTensor(fields, shape, n, self._partitions, self._nrows_dtype,
                                internal=True)

    def partition_outer_dimension(self, row_partition):
        """A StructuredTensor one rank higher: the outer dimension cut into the rows of
        ``row_partition`` (which must partition exactly ``nrows()`` values)."""
        if not isinstance(row_partition, RowPartition):
            raise TypeError("row_partition must be a RowPartition.")
        if self.rank == 0:
            raise ValueError("Shape () must have rank at least 1")
        nvals = int(row_partition._splits[-1])
        if nvals != self._nrows:
            raise ValueError(f"row_partition partitions {nvals} values, but the "
                             f"StructuredTensor has {self._nrows} rows")
        fields = {k: _partition_value(v, row_partition) for k, v in self._fields.items()}
        nrows = row_partition._splits.size - 1
        parts = (row_partition,) + self._partitions
        shape = TensorShape([nrows, row_partition._uniform]).concatenate(self._shape[1:])
        return StructuredTensor(fields, shape, nrows, parts, internal=True)

    def merge_dims(self, outer_axis, inner_axis):
        """Dimensions ``outer_axis`` to ``inner_axis`` (inclusive) merged into one."""
        rank = self.rank
        if not -rank <= outer_axis < rank:
            raise ValueError(f"outer_axis={outer_axis} out of bounds: expected "
                             f"{-rank}<=outer_axis<{rank}")
        if not -rank <= inner_axis < rank:
            raise ValueError(f"inner_axis={inner_axis} out of bounds: expected "
                             f"{-rank}<=inner_axis<{rank}")
        outer, inner = outer_axis % rank, inner_axis % rank
        if outer > inner:
            raise ValueError(f"Expected outer_axis ({outer_axis}) to be less than or equal to "
                             f"inner_axis ({inner_axis})")
        if outer == inner:
            return self
        fields = {k: _merge_value(v, outer, inner) for k, v in self._fields.items()}
        nrows, parts = _merged_partitions(self._nrows, self._partitions, outer, inner)
        dims = self._shape.as_list()
        merged = dims[outer:inner + 1]
        size = None if None in merged else int(np.prod(merged))
        if outer == 0:
            size = nrows
        shape = TensorShape(dims[:outer] + [size] + dims[inner + 1:])
        return StructuredTensor(fields, shape, nrows, parts, self._nrows_dtype, internal=True)

    def promote(self, source_path, new_name):
        """A copy with a field ``new_name`` holding the value at ``source_path`` (a nested
        field), its inner dimensions merged into this StructuredTensor's shape."""
        if not isinstance(source_path, (list, tuple)):
            raise ValueError("source_path must be a list or tuple")
        if len(source_path) < 2:
            raise ValueError("source_path must have length at least two")
        # NOTE: a nested field already has this StructuredTensor's shape as its prefix, so
        # the value moves up unchanged (as in TF)
        value = self.field_value(tuple(source_path))
        return self.with_updates({new_name: value})

    # -- specs and tf.nest ----------------------------------------------------------------------
    @property
    def _type_spec(self):
        return StructuredTensorSpec._from_value(self)

    def _tf_static_key(self):
        return self._type_spec._tf_static_key()

    def _tf_nest_parts(self):
        """The component tensors, in TF's order: each field (sorted by name) then the outer
        shape (the innermost row count, then each partition's row splits)."""
        out = []
        for name in sorted(self._fields):
            out.extend(_value_parts(self._fields[name]))
        if self.rank == 0:
            out.append(const(np.zeros(0, np.int64)))
        else:
            out.append(const(np.asarray([self._nvals_innermost()], np.int64)))
            out.extend(p.row_splits() for p in self._partitions)
        return out

    def _tf_nest_rebuild(self, parts):
        it = iter(parts)
        fields = {}
        for name in sorted(self._fields):
            fields[name] = _rebuild_value(self._fields[name], it)
        next(it)
        partitions = [_splits_partition(_host(next(it)), p._uniform) for p in self._partitions]
        return StructuredTensor({k: fields[k] for k in self._fields}, self._shape, self._nrows,
                                partitions, self._nrows_dtype, internal=True)


# -- helpers of the methods above -------------------------------------------------------------
def _outer_without_fields(shape, nrows, row_partitions):
    """``(nrows, partitions, nrows dtype)`` of a StructuredTensor with no fields."""
    rank = shape.rank
    dtype = dtypes.int64
    if nrows is not None:
        n, dtype = _nrows_value(nrows)
    elif shape[0] is not None:
        n = int(shape[0])
    elif row_partitions:
        n = row_partitions[0]._splits.size - 1
    else:
        raise ValueError("Must specify `nrows`, a fully specified `shape`, or have `fields` if "
                         "`rank=1`")
    if row_partitions is not None:
        if len(row_partitions) != rank - 1:
            raise ValueError(f"len(row_partitions) must be shape.rank-1 ({rank - 1})")
        return n, list(row_partitions), dtype
    if not shape[1:].is_fully_defined():
        raise ValueError("Must specify row_partitions, a fully specified shape, or have fields "
                         "if rank > 1")
    return n, _dense_partitions([n] + shape.as_list()[1:], rank - 1), dtype


def _shape_from_partitions(nrows, partitions, shape):
    """``shape`` with its unknown dimensions filled from the outer structure where uniform."""
    dims = [nrows] + [p._uniform for p in partitions]
    known = shape.as_list()
    return TensorShape([k if k is not None else d for k, d in zip(known, dims)])


def _sub_partitions(partitions, start, stop):
    """``partitions`` restricted to the values ``start:stop`` of the dimension above them."""
    out = []
    for p in partitions:
        s = p._splits
        out.append(RowPartition._from_splits(s[start:stop + 1] - s[start], p._uniform,
                                             int(stop - start)))
        start, stop = s[start], s[stop]
    return out


def _check_outer_key(k):
    if k is Ellipsis:
        raise ValueError("Slicing not supported for Ellipsis")
    if k is None:
        raise ValueError("Slicing not supported for tf.newaxis")
    if isinstance(k, slice) or isinstance(k, int) and not isinstance(k, bool):
        return
    if isinstance(k, TensorBase) and k.dtype in (dtypes.int32, dtypes.int64) and \
            k.shape.rank == 0:
        return
    raise TypeError(f"{_INDEX_TYPES}{k!r}")


def _int_key(k):
    return int(k.numpy()) if isinstance(k, TensorBase) else int(k)


def _is_full_slice(k):
    return isinstance(k, slice) and k == slice(None)


def _fieldwise(st, key):
    """``key`` (outer ints and slices, dimension 1 uniform) applied to every field."""
    if not st._fields:
        raise ValueError("Cannot index a StructuredTensor with no fields past its outer "
                         "dimension")
    fields = {k: v[key] for k, v in st._fields.items()}
    rank = st.rank - sum(1 for k in key if not isinstance(k, slice))
    return StructuredTensor.from_fields_and_rank(fields, rank)


def _value_text(value):
    return str(value) if isinstance(value, TensorBase) else repr(value)


def _field_pyval(value):
    if isinstance(value, StructuredTensor):
        return value.to_pyval()
    if isinstance(value, RaggedTensor):
        return value.to_list()
    a = value.numpy()
    return a.tolist() if getattr(a, "ndim", 0) else a


def _flatten_lists(nested, depth):
    """The items ``depth`` list levels down, in order."""
    items = nested
    for _ in range(depth - 1):
        items = [x for row in items for x in row]
    return items


def _nest_lists(items, nrows, partitions):
    """``items`` regrouped into nested lists by ``partitions`` (innermost last)."""
    for p in reversed(partitions):
        s = p._splits
        items = [items[s[i]:s[i + 1]] for i in range(s.size - 1)]
    return list(items)


def _check_no_parent_and_child(paths):
    for path in paths:
        for i in range(1, len(path)):
            if path[:i] in paths:
                raise ValueError(f"{_UPDATES} does not allow both parent and child nodes to be "
                                 f"updated: parent={path[:i]}, child={path}. If needed you can "
                                 f"update child nodes in the parent update value.")


def _update_one(fields, name, value, where):
    if value is None:
        if name not in fields:
            raise ValueError(f"{_UPDATES} cannot delete field {where} because it is not "
                             f"present.")
        del fields[name]
    elif callable(value) and not isinstance(value, (TensorBase, CompositeTensor)):
        if name not in fields:
            raise ValueError(f"{_UPDATES} cannot update the field {where} because a "
                             f"transforming function was given, but that field does not "
                             f"already exist.")
        fields[name] = value(fields[name])
    else:
        fields[name] = value


def _partition_value(value, rp):
    """A field value with its outer dimension cut into the rows of ``rp``."""
    if isinstance(value, StructuredTensor):
        return value.partition_outer_dimension(rp)
    if rp._uniform is not None and isinstance(value, TensorBase):
        from ..ops.array import reshape

        return reshape(value, [rp._splits.size - 1, rp._uniform] + value.shape.as_list()[1:])
    return RaggedTensor._make(value, const(rp._splits.copy()), rp._uniform)


def _merge_value(value, outer, inner):
    """A field value with dimensions ``outer..inner`` merged."""
    if isinstance(value, StructuredTensor):
        return value.merge_dims(outer, inner)
    if isinstance(value, RaggedTensor):
        return value.merge_dims(outer, inner)
    from ..ops.array import reshape

    dims = value.shape.as_list()
    return reshape(value, dims[:outer] + [-1] + dims[inner + 1:])


def _merged_partitions(nrows, partitions, outer, inner):
    """``(nrows, partitions)`` after merging dimensions ``outer..inner``."""
    parts = list(partitions)
    # partition j splits dimension j into dimension j + 1
    merged = parts[outer:inner]
    if outer == 0:
        nrows = int(merged[-1]._splits[-1]) if merged else nrows
        return nrows, parts[inner:]
    above = parts[outer - 1]
    splits = above._splits
    for p in merged:
        splits = p._splits[splits]
    new = _splits_partition(splits)
    return nrows, parts[:outer - 1] + [new] + parts[inner:]


def _value_parts(value):
    if isinstance(value, StructuredTensor):
        return value._tf_nest_parts()
    if isinstance(value, RaggedTensor):
        return [value.flat_values] + list(value.nested_row_splits)
    return [value]


def _rebuild_value(value, it):
    if isinstance(value, StructuredTensor):
        n = len(value._tf_nest_parts())
        return value._tf_nest_rebuild([next(it) for _ in range(n)])
    if isinstance(value, RaggedTensor):
        flat = next(it)
        splits = [next(it) for _ in value.nested_row_splits]
        return RaggedTensor.from_nested_row_splits(flat, splits, validate=False)
    return next(it)


# -- from_pyval --------------------------------------------------------------------------------
def _path_error(path):
    return ValueError(f"Error parsing path {path}")


def _dict_depth(pyval):
    """How many list levels lead to dicts in ``pyval`` (None when it holds no dict)."""
    if isinstance(pyval, dict):
        return 0
    if isinstance(pyval, (list, tuple)):
        for x in pyval:
            d = _dict_depth(x)
            if d is not None:
                return d + 1
    return None


def _from_pyval(pyval, path):
    depth = _dict_depth(pyval)
    if depth is None:
        return _tensor_from_pyval(pyval, path)
    if depth == 0:
        fields = {k: _from_pyval(v, path + (k,)) for k, v in pyval.items()}
        return StructuredTensor.from_fields(fields, shape=())
    return _records_from_pyval(pyval, depth, path)


def _records_from_pyval(pyval, depth, path):
    """A rank-``depth`` StructuredTensor from nested lists of dicts."""
    records = _flatten_records(pyval, depth, path)
    # NOTE: TF orders the fields of a list of dicts by a Python set (it varies from run to
    # run); this keeps the order in which the keys first appear.
    names = list(dict.fromkeys(k for r in records for k in r))
    fields = {}
    for name in names:
        column = _regroup([r[name] for r in records], pyval, depth)
        fields[name] = _from_pyval(column, path + (name,))
    nrows = len(pyval)
    partitions = _pyval_partitions(pyval, depth)
    if fields:
        try:
            return StructuredTensor.from_fields_and_rank(fields, depth)
        except ValueError:
            raise _path_error(path) from None
    shape = _shape_from_partitions(nrows, partitions, TensorShape([None] * depth))
    return StructuredTensor.from_fields({}, shape=shape, nrows=nrows,
                                        row_partitions=partitions)


def _flatten_records(pyval, depth, path):
    items = list(pyval)
    for _ in range(depth - 1):
        if not all(isinstance(x, (list, tuple)) for x in items):
            raise _path_error(path)
        items = [x for row in items for x in row]
    for r in items:
        if not isinstance(r, dict):
            raise _path_error(path)
    names = set(items[0]) if items else set()
    for r in items:
        if set(r) != names:
            missing = sorted(names.symmetric_difference(r))[0]
            raise KeyError(missing)
    return items


def _regroup(flat, template, depth):
    """``flat`` (one item per record) nested like the lists of ``template``."""
    it = iter(flat)

    def build(t, d):
        if d == 0:
            return next(it)
        return [build(x, d - 1) for x in t]

    return build(template, depth)


def _pyval_partitions(pyval, depth):
    """The row partitions of ``depth`` levels of nested lists (all ragged, as in TF)."""
    parts, level = [], list(pyval)
    for _ in range(depth - 1):
        lengths = [len(x) for x in level]
        parts.append(RowPartition.from_row_lengths(np.asarray(lengths, np.int64)))
        level = [x for row in level for x in row]
    return parts


def _tensor_from_pyval(pyval, path):
    """A field that holds no dict: a Tensor, or a RaggedTensor for lists of lists."""
    if isinstance(pyval, (TensorBase, RaggedTensor)):
        return pyval
    try:
        if isinstance(pyval, (list, tuple)) and any(isinstance(x, (list, tuple))
                                                    for x in pyval):
            return _ragged_constant(pyval)
        if pyval is None:
            raise ValueError("None is not a value")
        return convert_to_tensor(pyval)
    except (TypeError, ValueError):
        if not path:
            raise
        raise _path_error(path) from None


def _apply_spec(value, spec, pyval, path):
    """``value`` (from ``pyval``) with the dtypes of ``spec``; ValueError where they differ."""
    if isinstance(spec, StructuredTensorSpec):
        if not isinstance(value, StructuredTensor) or set(value._fields) != set(spec._fields) \
                or value.rank != spec._shape.rank:
            raise ValueError(f"Value at {path} does not match typespec: {pyval} vs {spec!r}")
        fields = {k: _apply_spec(v, spec._fields[k], _sub_pyval(pyval, k), path + (k,))
                  for k, v in value._fields.items()}
        return value._with_fields(fields)
    if isinstance(value, RaggedTensor) != isinstance(spec, RaggedTensorSpec) or \
            not spec.shape.is_compatible_with(value.shape):
        raise ValueError(f"Value at {path} does not match typespec: {spec!r} vs {pyval}")
    if value.dtype == spec.dtype:
        return value
    if isinstance(value, RaggedTensor):
        return _ragged_constant(value.to_list(), dtype=spec.dtype)
    return convert_to_tensor(value.numpy(), dtype=spec.dtype)


def _sub_pyval(pyval, name):
    if isinstance(pyval, dict):
        return pyval.get(name)
    return [_sub_pyval(x, name) for x in pyval]


# -- the spec ---------------------------------------------------------------------------------
class StructuredTensorSpec(TypeSpec):
    """The type of a StructuredTensor: its fields' specs and its outer shape."""

    __slots__ = ("_fields", "_shape", "_partition_info")

    def __init__(self, shape, field_specs):
        self._shape = as_shape(shape)
        self._fields = dict(field_specs)
        self._partition_info = ()

    @classmethod
    def _from_value(cls, value):
        from ..data._type_specs import type_spec_from_value

        specs = {k: (v._type_spec if isinstance(v, StructuredTensor)
                     else type_spec_from_value(v)) for k, v in value._fields.items()}
        out = cls(value._shape, specs)
        out._partition_info = tuple(
            (int(p._splits.size - 1), int(p._splits[-1]), p._uniform) for p in value._partitions)
        return out

    @property
    def value_type(self):
        return StructuredTensor

    def _serialize(self):
        return (self._shape, tuple(self._fields.items()), self._partition_info)

    def _tf_static_key(self):
        return (StructuredTensorSpec, tuple(self._shape.as_list()),
                tuple((k, repr(v)) for k, v in sorted(self._fields.items())),
                self._partition_info)

    def __hash__(self):
        return hash((self._shape.rank, tuple(self._fields)))

    def __repr__(self):
        rank = self._shape.rank
        parts = ", ".join(
            f"RowPartitionSpec(nrows={n}, nvals={v}, uniform_row_length={u}, dtype=tf.int64)"
            for n, v, u in self._partition_info)
        parts = f"({parts},)" if len(self._partition_info) == 1 else f"({parts})"
        if rank == 0:
            inner = "TensorShape([])"
        elif self._partition_info:
            inner = f"TensorShape([{self._partition_info[-1][1]}])"
        else:
            inner = f"TensorShape([{self._shape[0]}])"
        fields = "{" + ", ".join(f"{k!r}: {v!r}" for k, v in self._fields.items()) + "}"
        return (f"StructuredTensor.Spec(_fields={fields}, _ragged_shape=DynamicRaggedShape."
                f"Spec(row_partitions={parts}, static_inner_shape={inner}, dtype=tf.int64))")


StructuredTensor.Spec = StructuredTensorSpec
StructuredTensorSpec.__qualname__ = "StructuredTensor.Spec"
