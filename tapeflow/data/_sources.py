"""Record readers of ``tf.data.experimental``: ``CsvDataset`` and ``make_csv_dataset``,
``SqlDataset`` (SQLite through Python's ``sqlite3``), ``parse_example_dataset`` and
``make_batched_features_dataset`` (``tf.train.Example`` records)."""
import collections
import glob as _glob
import os

from .. import dtypes, errors
from ..backend import host as np
from ..io import parse_example
from ..io._csv import _split as _csv_split
from ..ragged import RaggedTensorSpec
from ..sparse import SparseTensorSpec
from ..tensor import TensorBase, TensorShape, convert_to_tensor
from . import _structure as S
from ._structure import TensorSpec
from ._tfrecord_dataset import TFRecordDataset
from .dataset import UNKNOWN, Dataset, MapDataset
from .readers import _CHUNK, _COMPRESSIONS, _filenames, _FileReaderDataset, _lines

_CSV_TYPES = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64, dtypes.string)
# NOTE: TF tests ``x in (float32, float64, int32, int64, string)`` on each record default, and
# a DType equals the number of its type enum: a Python 1/True (float32), 2, 3, 7 or 9.0
# (int64) is taken as that dtype (a required field), as TF 2.21 does
_ENUMS = {1: dtypes.float32, 2: dtypes.float64, 3: dtypes.int32, 7: dtypes.string,
          9: dtypes.int64}


def _csv_default(d, i):
    """``(dtype, default or None)`` of one ``record_defaults`` entry."""
    if isinstance(d, dtypes.DType) or (isinstance(d, type) and d in (str, bytes)):
        dtype = dtypes.as_dtype(d)
        if dtype not in _CSV_TYPES:
            raise TypeError(f"Unsupported type {dtype} in record_defaults: expected float32, "
                            "float64, int32, int64 or string")
        return dtype, None
    if isinstance(d, (bool, int, float)) and not isinstance(d, TensorBase) and d == int(d) \
            and int(d) in _ENUMS:
        return _ENUMS[int(d)], None
    t = d if isinstance(d, TensorBase) else convert_to_tensor(d)
    if t.dtype not in _CSV_TYPES:
        raise TypeError(f"Unsupported type {t.dtype} in record_defaults: expected float32, "
                        "float64, int32, int64 or string")
    v = np.asarray(t.numpy()).reshape(-1)
    if v.size > 1:
        raise errors.InvalidArgumentError(None, "CSVDatasetV2", f"There should only be 1 "
                                          f"default per field but field {i} has {v.size}")
    if v.size == 0:
        return t.dtype, None
    return t.dtype, v[0]


def _csv_value(field, dtype, default, col, na):
    """One parsed CSV field (TF's CsvDataset errors)."""
    if field == b"" or (na and field == na):
        if default is None:
            raise errors.InvalidArgumentError(None, "CSVDataset", f"Field {col} is required "
                                              "but missing in record!")
        return default
    if dtype == dtypes.string:
        return field
    try:
        s = field.decode()
        if dtype.is_integer:
            if not s.strip().lstrip("+-").isdigit():
                raise ValueError
            v = int(s)
            if not dtype.min <= v <= dtype.max:
                raise ValueError
            return v
        return float(s)
    except (ValueError, UnicodeDecodeError):
        kind = {"int32": "int32", "int64": "int64", "float32": "float",
                "float64": "double"}[dtype.name]
        raise errors.InvalidArgumentError(
            None, "CSVDataset", f"Field {col} in record is not a valid {kind}: "
            f"{field.decode(errors='replace')}") from None


def _split(line, delim, quotes):
    return _csv_split(line, delim, quotes, 0)


class CsvDataset(_FileReaderDataset):
    """The records of CSV files as tuples of scalars, one per (selected) column.

    Args:
      filenames: file names (a string, a list, or a dataset of names).
      record_defaults: per column a dtype (the field is required) or a default value.
      compression_type: ``None``, ``"GZIP"`` or ``"ZLIB"``.
      buffer_size: bytes read at a time.
      header: skip the first line of each file.
      field_delim: the one-character field separator.
      use_quote_delim: double quotes enclose fields (with ``""`` for a quote).
      na_value: a field value that counts as missing.
      select_cols: the sorted column indices to keep (or give ``exclude_cols``).
      exclude_cols: the sorted column indices to drop.
    """

    def __init__(self, filenames, record_defaults, compression_type=None, buffer_size=None,
                 header=False, field_delim=",", use_quote_delim=True, na_value="",
                 select_cols=None, exclude_cols=None, name=None):
        self._files = _filenames(filenames)
        self._defaults = [_csv_default(d, i) for i, d in enumerate(record_defaults)]
        self._options(compression_type, buffer_size)
        self._header = bool(header)
        self._delim = field_delim.encode() if isinstance(field_delim, str) else field_delim
        self._quotes = bool(use_quote_delim)
        self._na = na_value.encode() if isinstance(na_value, str) else na_value
        if select_cols is not None and exclude_cols is not None:
            raise errors.InvalidArgumentError(None, "CSVDatasetV2", "Either select_cols or "
                                              "exclude_cols should be empty")
        self._select = None if select_cols is None else [int(c) for c in select_cols]
        self._exclude = None if exclude_cols is None else {int(c) for c in exclude_cols}
        if self._select is not None:
            if any(b <= a for a, b in zip(self._select, self._select[1:])):
                raise errors.InvalidArgumentError(None, "CSVDatasetV2", "select_cols is not "
                                                  "strictly increasing.")
            if len(self._select) != len(self._defaults):
                raise errors.InvalidArgumentError(
                    None, "CSVDatasetV2", "Expect 1 to 1 correspondence between select_cols "
                    "and record_defaults.")
        self._spec = tuple(TensorSpec([], d) for d, _ in self._defaults)

    def _pick(self, fields):
        if self._select is not None:
            if len(fields) <= self._select[-1]:
                raise errors.InvalidArgumentError(
                    None, "CSVDataset", f"Expect {self._select[-1] + 1} fields but have "
                    f"{len(fields)} in record")
            return [fields[c] for c in self._select]
        if self._exclude is not None:
            fields = [f for c, f in enumerate(fields) if c not in self._exclude]
        if len(fields) != len(self._defaults):
            raise errors.InvalidArgumentError(
                None, "CSVDataset", f"Expect {len(self._defaults)} fields but have "
                f"{len(fields)} in record")
        return fields

    def _elements(self, failed=None):
        """The records; with ``failed`` (``ignore_errors``), that in place of a bad one."""
        if self._compression not in _COMPRESSIONS:
            raise errors.InvalidArgumentError(None, "CSVDataset", "Unsupported "
                                              f"compression_type: {self._compression!r}")
        for name in self._names():
            lines = _lines(name, self._compression, self._size)
            if self._header:
                next(lines, None)
            for line in lines:
                try:
                    yield self._record(line)
                except errors.OpError:
                    if failed is not None:
                        yield failed
                    elif not self._skip_errors:
                        raise

    _skip_errors = False  # make_csv_dataset(ignore_errors=True): bad records are left out

    def _record(self, line):
        fields = self._pick(_split(line, self._delim, self._quotes))
        out = []
        for col, (field, (dtype, default)) in enumerate(zip(fields, self._defaults)):
            v = _csv_value(field, dtype, default, col, self._na)
            if dtype == dtypes.string:
                a = np.empty((), object)
                a[()] = v if isinstance(v, bytes) else str(v).encode()
            else:
                a = np.asarray(v, dtype._np)
            out.append(a)
        return out


# -- make_csv_dataset --------------------------------------------------------------------------
def _files(file_pattern):
    """The sorted file names matching a pattern (or a list of patterns)."""
    if isinstance(file_pattern, TensorBase):
        file_pattern = [x.decode() if isinstance(x, bytes) else x for x in
                        np.asarray(file_pattern.numpy(), object).reshape(-1).tolist()]
    patterns = [file_pattern] if isinstance(file_pattern, (str, bytes, os.PathLike)) \
        else list(file_pattern)
    out = sorted({f for p in patterns for f in _glob.glob(os.fsdecode(p))})
    if not out:
        raise ValueError(f"No files match `file_pattern` {file_pattern}.")
    return out


def _fits_float(s, dtype):
    """Whether the decimal ``s`` is finite in ``dtype`` (or is itself inf/nan)."""
    v = float(s)
    with np.errstate(over="ignore"):
        return bool(np.isfinite(np.asarray(v).astype(dtype._np))) or not np.isfinite(v)


def _infer_type(values, na):
    """The narrowest of int32, int64, float32, float64, string that holds every value."""
    best = 0
    order = (dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64, dtypes.string)
    for v in values:
        if v == b"" or (na and v == na):
            continue
        s = v.decode(errors="replace")
        while best < 4:
            t = order[best]
            try:
                if t.is_integer:
                    if s.strip().lstrip("+-").isdigit() and t.min <= int(s) <= t.max:
                        break
                elif _fits_float(s, t):
                    break
            except (ValueError, OverflowError):
                pass
            best += 1
    return order[best] if any(v != b"" and not (na and v == na) for v in values) \
        else dtypes.string


def make_csv_dataset(file_pattern, batch_size, column_names=None, column_defaults=None,
                     label_name=None, select_columns=None, field_delim=",",
                     use_quote_delim=True, na_value="", header=True, num_epochs=None,
                     shuffle=True, shuffle_buffer_size=10000, shuffle_seed=None,
                     prefetch_buffer_size=None, num_parallel_reads=None, sloppy=False,
                     num_rows_for_inference=100, compression_type=None, ignore_errors=False,
                     encoding="utf-8"):
    """Batches of CSV records as ``(features, label)`` (or features alone): an
    ``OrderedDict`` of columns by name, column types inferred from the first rows when
    ``column_defaults`` is not given.

    Args:
      file_pattern: a glob pattern or a list of them.
      batch_size: rows per batch.
      column_names: the column names (read from the header line when ``None``).
      column_defaults: per column a dtype or default value (inferred when ``None``).
      label_name: the column returned apart as the label.
      select_columns: the names (or indices) of the columns to keep.
      field_delim, use_quote_delim, na_value, header: the CSV dialect.
      num_epochs: passes over the data (``None``: forever).
      shuffle, shuffle_buffer_size, shuffle_seed: shuffling of the rows.
      prefetch_buffer_size: elements to prefetch.
      num_parallel_reads: files read at once (interleaved).
      sloppy: unused (the order is deterministic).
      num_rows_for_inference: rows read to infer the column types.
      compression_type: ``None``, ``"GZIP"`` or ``"ZLIB"``.
      ignore_errors: drop records that fail to parse.
      encoding: the text encoding of the files.

    Returns:
      A ``Dataset``.
    """
    files = _files(file_pattern)
    comp = "" if compression_type is None else compression_type
    delim = field_delim.encode()
    na = na_value.encode()
    if column_names is None:
        if not header:
            raise ValueError("Expected `column_names` or `header` argument to be "
                             "provided.")
        first = next(_lines(files[0].encode(), comp, _CHUNK), b"")
        column_names = [f.decode(encoding) for f in _split(first, delim, use_quote_delim)]
    column_names = list(column_names)
    if len(set(column_names)) != len(column_names):
        raise ValueError("Found duplicate column names in `column_names`.")
    if select_columns is not None:
        if all(isinstance(c, int) for c in select_columns):
            select = sorted(select_columns)
        else:
            missing = [c for c in select_columns if c not in column_names]
            if missing:
                raise ValueError(f"Value(s) {missing} in `select_columns` not found in "
                                 f"`column_names`: {column_names}.")
            select = sorted(column_names.index(c) for c in select_columns)
    else:
        select = None
    names = column_names if select is None else [column_names[i] for i in select]
    if label_name is not None and label_name not in names:
        raise ValueError(f"`label_name` provided must be one of the columns: {names}. "
                         f"Received: {label_name}.")
    if column_defaults is None:
        rows = []
        for f in files:
            lines = _lines(f.encode(), comp, _CHUNK)
            if header:
                next(lines, None)
            for line in lines:
                if len(rows) >= num_rows_for_inference:
                    break
                rows.append(_split(line, delim, use_quote_delim))
        wanted = select if select is not None else range(len(column_names))
        column_defaults = []
        for i in wanted:
            t = _infer_type([r[i] if i < len(r) else b"" for r in rows], na)
            column_defaults.append(
                np.asarray(b"", object) if t == dtypes.string else
                np.zeros((), t._np))
        column_defaults = [convert_to_tensor(d, dtype=dtypes.string) if d.dtype == object
                           else convert_to_tensor(d) for d in column_defaults]
    elif select is not None and len(column_defaults) == len(column_names):
        column_defaults = [column_defaults[i] for i in select]

    def read(name):
        ds = CsvDataset(name, column_defaults, compression_type=compression_type,
                        header=header, field_delim=field_delim,
                        use_quote_delim=use_quote_delim, na_value=na_value,
                        select_cols=select)
        ds._skip_errors = bool(ignore_errors)  # as TF's reader, which resumes after an error
        return ds

    ds = Dataset.from_tensor_slices(np.asarray([f.encode() for f in files], object))
    if shuffle and len(files) > 1:
        ds = ds.shuffle(len(files), seed=shuffle_seed)
    ds = ds.interleave(read, cycle_length=num_parallel_reads or 1)
    if num_epochs != 1:
        ds = ds.repeat(num_epochs)
    if shuffle:
        ds = ds.shuffle(shuffle_buffer_size, seed=shuffle_seed)
    ds = ds.batch(batch_size, drop_remainder=num_epochs is None)

    def to_dict(*columns):
        features = collections.OrderedDict(zip(names, columns))
        if label_name is None:
            return features
        label = features.pop(label_name)
        return features, label

    ds = ds.map(to_dict)
    return ds.prefetch(-1 if prefetch_buffer_size is None else prefetch_buffer_size)


# -- SqlDataset --------------------------------------------------------------------------------
def _sql_number(v, kind):
    """SQLite's conversion of a column value to a number (text: its numeric prefix, else 0)."""
    if v is None:
        return 0
    if isinstance(v, (bytes, str)):
        s = v.decode(errors="replace") if isinstance(v, bytes) else v
        s = s.strip()
        for end in range(len(s), 0, -1):
            try:
                return kind(float(s[:end])) if kind is int else kind(s[:end])
            except ValueError:
                continue
        return 0
    return kind(v)


class SqlDataset(Dataset):
    """The rows of an SQL query on an SQLite database, one tuple of scalars per row.

    Args:
      driver_name: ``"sqlite"`` (the only database TF supports).
      data_source_name: the database file.
      query: the ``SELECT`` statement.
      output_types: the dtype of each column (one dtype: rows are scalars).
    """

    def __init__(self, driver_name, data_source_name, query, output_types):
        driver = driver_name.decode() if isinstance(driver_name, bytes) else str(driver_name)
        if driver != "sqlite":
            raise errors.InvalidArgumentError(
                None, "SqlDataset", f"The database type, {driver}, is not supported by "
                "SqlDataset. The set of supported databases is: {'sqlite'}.")
        self._source = os.fsdecode(data_source_name)
        self._query = query.decode() if isinstance(query, bytes) else str(query)
        self._types = output_types
        self._spec = S.map_structure(lambda t: TensorSpec([], dtypes.as_dtype(t)), output_types)

    def _cardinality(self):
        return UNKNOWN

    def _elements(self):
        import sqlite3  # optional: Python's standard library SQLite binding

        specs = S.flatten(self._spec)
        try:
            con = sqlite3.connect(f"file:{self._source}?mode=ro", uri=True)
        except sqlite3.Error as e:
            raise errors.UnknownError(None, "SqlDataset", f"Sqlite::Open({self._source}) "
                                      f"failed: {e}") from None
        try:
            try:
                cur = con.execute(self._query)
            except sqlite3.Error as e:
                raise errors.UnknownError(None, "SqlDataset", f"Prepare() failed: [1] {e}: "
                                          f"{self._query}") from None
            width = len(cur.description or ())
            if width != len(specs):
                raise errors.InvalidArgumentError(
                    None, "SqlDataset", f"The number of columns in query ({width}) must match "
                    f"the number of elements in output_types ({len(specs)}).")
            for row in cur:
                out = []
                for v, spec in zip(row, specs):
                    d = spec.dtype
                    if d == dtypes.string:
                        a = np.empty((), object)
                        a[()] = b"" if v is None else (v if isinstance(v, bytes)
                                                       else str(v).encode())
                    elif d == dtypes.bool:
                        a = np.asarray(bool(_sql_number(v, int)))
                    elif d.is_integer:
                        a = np.asarray(_sql_number(v, int)).astype(d._np)
                    else:
                        a = np.asarray(_sql_number(v, float), d._np)
                    out.append(a)
                yield out
        finally:
            con.close()


# -- tf.train.Example records ------------------------------------------------------------------
def _feature_spec(feature):
    """The batched spec ``parse_example`` gives for one feature configuration."""
    kind = type(feature).__name__
    dtype = dtypes.as_dtype(feature.dtype)
    if kind == "FixedLenFeature":
        return TensorSpec(TensorShape([None]).concatenate(TensorShape(feature.shape)), dtype)
    if kind == "FixedLenSequenceFeature":
        return TensorSpec(TensorShape([None, None]).concatenate(TensorShape(feature.shape)),
                          dtype)
    if kind == "VarLenFeature":
        return SparseTensorSpec([None, None], dtype)
    if kind == "RaggedFeature":
        splits = dtypes.as_dtype(getattr(feature, "row_splits_dtype", dtypes.int32))
        return RaggedTensorSpec([None, None], dtype, 1, splits)
    return None


def parse_example_dataset(features, num_parallel_calls=1, deterministic=None):
    """A transformation parsing batches (vectors) of serialized ``tf.train.Example`` with
    ``features``: each element becomes a dict of batched features.

    Args:
      features: ``{name: FixedLenFeature | VarLenFeature | RaggedFeature | ...}``.
      num_parallel_calls: elements parsed at once.
      deterministic: unused.

    Returns:
      A function for ``Dataset.apply``.
    """
    if features is None:
        raise ValueError("Argument `features` is required, but not specified.")

    def _apply_fn(dataset):
        spec = dataset.element_spec
        if not isinstance(spec, TensorSpec) or spec.dtype != dtypes.string:
            raise TypeError("Input dataset should be a dataset of vectors of strings. "
                            f"Instead it is `{spec}`.")
        out = MapDataset(dataset, lambda s: parse_example(s, features), num_parallel_calls)
        specs = {k: _feature_spec(f) for k, f in features.items()}
        if all(s is not None for s in specs.values()):
            out._spec = specs
        return out

    return _apply_fn


def make_batched_features_dataset(file_pattern, batch_size, features,
                                  reader=None, label_key=None, reader_args=None,
                                  num_epochs=None, shuffle=True, shuffle_buffer_size=10000,
                                  shuffle_seed=None, prefetch_buffer_size=None,
                                  reader_num_threads=None, parser_num_threads=None,
                                  sloppy_ordering=False, drop_final_batch=False):
    """Batches of parsed ``tf.train.Example`` records read from files.

    Args:
      file_pattern: a glob pattern or a list of them.
      batch_size: records per batch.
      features: the feature configuration for ``tf.io.parse_example``.
      reader: a dataset class reading one file (default ``TFRecordDataset``).
      label_key: a feature returned apart as the label.
      reader_args: extra arguments for ``reader``.
      num_epochs: passes over the data (``None``: forever).
      shuffle, shuffle_buffer_size, shuffle_seed: shuffling of the records.
      prefetch_buffer_size: batches to prefetch.
      reader_num_threads: files read at once (interleaved).
      parser_num_threads, sloppy_ordering: unused.
      drop_final_batch: drop a last, smaller batch.

    Returns:
      A ``Dataset`` of feature dicts (or ``(features, label)``).
    """
    files = _files(file_pattern)
    reader = TFRecordDataset if reader is None else reader
    args = list(reader_args or [])
    ds = Dataset.from_tensor_slices(np.asarray([f.encode() for f in files], object))
    if shuffle and len(files) > 1:
        ds = ds.shuffle(len(files), seed=shuffle_seed)
    ds = ds.interleave(lambda name: reader(name, *args), cycle_length=reader_num_threads or 1)
    if num_epochs != 1:
        ds = ds.repeat(num_epochs)
    if shuffle:
        ds = ds.shuffle(shuffle_buffer_size, seed=shuffle_seed)
    ds = ds.batch(batch_size, drop_remainder=drop_final_batch)
    ds = ds.apply(parse_example_dataset(features))
    if label_key is not None:
        if label_key not in features:
            raise ValueError(f"The `label_key` provided ({label_key}) must be one of the "
                             f"`features` keys: {list(features)}.")

        def split(d):
            d = dict(d)
            return d, d.pop(label_key)

        inner = ds
        ds = inner.map(split)
        spec = dict(inner.element_spec)
        ds._spec = (spec, spec.pop(label_key))
    return ds.prefetch(-1 if prefetch_buffer_size is None else prefetch_buffer_size)
