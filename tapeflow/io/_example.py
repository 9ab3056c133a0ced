"""``tf.train.Example`` and friends as protobuf messages (the ``protobuf`` package, the
``[tfrecord]`` extra), and ``tf.io.parse_single_example``/``parse_example``.

The message classes are built at first use from a descriptor written here with the field
names and numbers of TF's public ``example.proto``/``feature.proto``, so the bytes are the
same as TF's. They live in a private descriptor pool: importing TF beside tapeflow clashes
with nothing."""
import collections

from .. import dtypes
from ..backend import host as np
from ..errors import InvalidArgumentError
from ..tensor import TensorBase, const

EXTRA = "pip install tapeflow[tfrecord]"
MESSAGES = ("BytesList", "FloatList", "Int64List", "Feature", "Features", "FeatureList",
            "FeatureLists", "Example", "SequenceExample")
_CLASSES = {}


def _descriptor():
    from google.protobuf import descriptor_pb2  # optional: the [tfrecord] extra

    F = descriptor_pb2.FieldDescriptorProto
    fd = descriptor_pb2.FileDescriptorProto(name="tapeflow/example.proto", package="tensorflow",
                                            syntax="proto3")

    def message(name, fields, nested=()):
        m = fd.message_type.add(name=name)
        for sub in nested:
            m.nested_type.add().CopyFrom(sub)
        for number, fname, ftype, label, type_name, oneof in fields:
            f = m.field.add(name=fname, number=number, type=ftype, label=label)
            if type_name:
                f.type_name = type_name
            if oneof is not None:
                f.oneof_index = oneof
        return m

    rep, opt = F.LABEL_REPEATED, F.LABEL_OPTIONAL
    message("BytesList", [(1, "value", F.TYPE_BYTES, rep, None, None)])
    message("FloatList", [(1, "value", F.TYPE_FLOAT, rep, None, None)])
    message("Int64List", [(1, "value", F.TYPE_INT64, rep, None, None)])
    feature = message("Feature", [
        (1, "bytes_list", F.TYPE_MESSAGE, opt, ".tensorflow.BytesList", 0),
        (2, "float_list", F.TYPE_MESSAGE, opt, ".tensorflow.FloatList", 0),
        (3, "int64_list", F.TYPE_MESSAGE, opt, ".tensorflow.Int64List", 0)])
    feature.oneof_decl.add(name="kind")

    def map_entry(entry, value_type):
        e = descriptor_pb2.DescriptorProto(name=entry)
        e.field.add(name="key", number=1, type=F.TYPE_STRING, label=opt)
        e.field.add(name="value", number=2, type=F.TYPE_MESSAGE, label=opt, type_name=value_type)
        e.options.map_entry = True
        return e

    message("Features", [(1, "feature", F.TYPE_MESSAGE, rep,
                          ".tensorflow.Features.FeatureEntry", None)],
            [map_entry("FeatureEntry", ".tensorflow.Feature")])
    message("FeatureList", [(1, "feature", F.TYPE_MESSAGE, rep, ".tensorflow.Feature", None)])
    message("FeatureLists", [(1, "feature_list", F.TYPE_MESSAGE, rep,
                              ".tensorflow.FeatureLists.FeatureListEntry", None)],
            [map_entry("FeatureListEntry", ".tensorflow.FeatureList")])
    message("Example", [(1, "features", F.TYPE_MESSAGE, opt, ".tensorflow.Features", None)])
    message("SequenceExample", [
        (1, "context", F.TYPE_MESSAGE, opt, ".tensorflow.Features", None),
        (2, "feature_lists", F.TYPE_MESSAGE, opt, ".tensorflow.FeatureLists", None)])
    return fd


def message_class(name):
    """The protobuf class ``tensorflow.<name>`` (built once, on first use)."""
    if not _CLASSES:
        try:
            from google.protobuf import descriptor_pool, message_factory  # optional: [tfrecord]
        except ImportError:
            raise ImportError(f"tf.train.{name} needs the protobuf package: {EXTRA}") from None
        pool = descriptor_pool.DescriptorPool()
        pool.Add(_descriptor())
        for m in MESSAGES:
            cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("tensorflow." + m))
            _CLASSES[m] = cls
    return _CLASSES[name]


# -- feature specs ---------------------------------------------------------------------------
_KINDS = {"float32": "float_list", "int64": "int64_list", "string": "bytes_list"}
_TYPE_WORDS = {"float_list": "float", "int64_list": "int64", "bytes_list": "string"}


def _check_dtype(dtype):
    dtype = dtypes.as_dtype(dtype)
    if dtype.name not in _KINDS:
        raise InvalidArgumentError(None, "ParseExampleV2", f"Value for attr 'Tdense' of "
                                   f"{dtype.name} is not in the list of allowed values: float, "
                                   "int64, string")
    return dtype


class FixedLenFeature(collections.namedtuple(
        "FixedLenFeature", ["shape", "dtype", "default_value"])):
    """A feature of a fixed number of values, parsed to a dense tensor of ``shape``."""

    def __new__(cls, shape, dtype, default_value=None):
        return super().__new__(cls, shape, dtype, default_value)


class VarLenFeature(collections.namedtuple("VarLenFeature", ["dtype"])):
    """A feature of any number of values, parsed to a ``tf.sparse.SparseTensor``."""


class FixedLenSequenceFeature(collections.namedtuple(
        "FixedLenSequenceFeature", ["shape", "dtype", "allow_missing", "default_value"])):
    """A feature of any number of items of ``shape``, parsed to a dense tensor
    ``[n, *shape]`` (batches padded with ``default_value``)."""

    def __new__(cls, shape, dtype, allow_missing=False, default_value=None):
        return super().__new__(cls, shape, dtype, allow_missing, default_value)


class RaggedFeature(collections.namedtuple(
        "RaggedFeature", ["dtype", "value_key", "partitions", "row_splits_dtype", "validate"])):
    """A feature of any number of values, parsed to a tensor (one example) or a
    ``tf.RaggedTensor`` (a batch). Only the unpartitioned form is supported."""

    def __new__(cls, dtype, value_key=None, partitions=(), row_splits_dtype=dtypes.int32,
                validate=False):
        if partitions:
            raise NotImplementedError("tapeflow: RaggedFeature with partitions is not "
                                      "supported yet")
        return super().__new__(cls, dtype, value_key, tuple(partitions),
                               dtypes.as_dtype(row_splits_dtype), validate)


class SparseFeature(collections.namedtuple(
        "SparseFeature", ["index_key", "value_key", "dtype", "size", "already_sorted"])):
    """A sparse feature stored as index feature(s) ``index_key`` (int64) and a value feature
    ``value_key``, parsed to a ``tf.sparse.SparseTensor`` of dense shape ``size`` (with a
    leading batch dimension for a batch)."""

    def __new__(cls, index_key, value_key, dtype, size, already_sorted=False):
        return super().__new__(cls, index_key, value_key, dtype, size, already_sorted)


# -- parsing ---------------------------------------------------------------------------------
def _serialized_list(serialized):
    """The serialized examples as a NumPy object array (a scalar or a vector of bytes)."""
    if isinstance(serialized, TensorBase):
        if serialized.dtype != dtypes.string:
            raise TypeError(f"Expected string passed to parameter 'serialized' of op "
                            f"'ParseExampleV2', got a {serialized.dtype.name} tensor")
        return np.asarray(serialized.numpy(), object)
    if isinstance(serialized, np.ndarray):
        return serialized.astype(object)
    if isinstance(serialized, (list, tuple)):
        out = np.empty(len(serialized), object)
        out[:] = [x.numpy() if isinstance(x, TensorBase) else x for x in serialized]
        return out
    out = np.empty((), object)
    out[()] = serialized
    return out


def _message(blob, name, op):
    cls = message_class(name)
    if isinstance(blob, str):
        blob = blob.encode("utf-8")
    try:
        return cls.FromString(bytes(blob))
    except Exception:
        raise InvalidArgumentError(None, op, f"Could not parse example input, value: "
                                   f"'{bytes(blob)[:40]!r}'") from None


def _features_of(blob):
    return _message(blob, "Example", "ParseExampleV2").features.feature


def _values(feature, key, dtype, where, i):
    """The values of one example's feature as a NumPy array of ``dtype``, or None when it is
    absent or has no kind set."""
    if feature is None:
        return None
    kind = feature.WhichOneof("kind")
    if kind is None:
        return None
    want = _KINDS[dtype.name]
    if kind != want:
        raise InvalidArgumentError(
            None, "ParseExampleV2", f"{where(i, key)}  Data types don't match. Data type: "
            f"{_TYPE_WORDS[kind]} but expected type: {_TYPE_WORDS[want]}")
    vals = getattr(feature, kind).value
    if dtype == dtypes.string:
        out = np.empty(len(vals), object)
        out[:] = list(vals)
        return out
    return np.array(vals, dtype._np)  # NOTE: one copy through the container's buffer


def _default(spec, dtype, shape, key):
    if spec.default_value is None:
        return None
    d = np.asarray(spec.default_value, object if dtype == dtypes.string else dtype._np)
    if dtype == dtypes.string:
        d = np.vectorize(lambda s: s.encode() if isinstance(s, str) else s, otypes=[object])(d)
    n = int(np.prod(shape))
    if d.size == 1 and n != 1:
        raise InvalidArgumentError(None, "Reshape", f"Input to reshape is a tensor with 1 "
                                   f"values, but the requested shape has {n}")
    if d.size != n:
        raise InvalidArgumentError(None, "Reshape", f"Input to reshape is a tensor with "
                                   f"{d.size} values, but the requested shape has {n}")
    return d.reshape(shape)


def _fixed(spec, key, examples, where):
    dtype = _check_dtype(spec.dtype)
    shape = [int(d) for d in spec.shape]
    n = int(np.prod(shape))
    default = _default(spec, dtype, shape, key)
    rows = []
    for i, feats in enumerate(examples):
        v = _values(feats.get(key), key, dtype, where, i)
        if v is None:
            if default is None:
                raise InvalidArgumentError(
                    None, "ParseExampleV2", f"{where(i)}Feature: {key} (data type: "
                    f"{_TYPE_WORDS[_KINDS[dtype.name]]}) is required but could not be found.")
            rows.append(default)
            continue
        if v.size != n:
            raise InvalidArgumentError(None, "ParseExampleV2",
                                       f"{where(i, key)}  Can't parse serialized Example.")
        rows.append(v.reshape(shape))
    if not rows:
        return np.zeros([0] + shape, dtype._np)
    return np.stack(rows)


def _lists(key, dtype, examples, where):
    out = []
    for i, feats in enumerate(examples):
        v = _values(feats.get(key), key, dtype, where, i)
        out.append(np.zeros(0, dtype._np) if v is None else v)
    return out


def _sequence(spec, key, examples, where, batched):
    if not spec.allow_missing:
        raise ValueError("Unsupported: FixedLenSequenceFeature requires allow_missing to be "
                         "True.")
    dtype = _check_dtype(spec.dtype)
    shape = [int(d) for d in spec.shape]
    n = int(np.prod(shape)) if shape else 1
    lists = _lists(key, dtype, examples, where)
    for v in lists:
        if n and v.size % n:
            raise InvalidArgumentError(None, "ParseExampleV2",
                                       f"Error while parsing feature with key {key}: number of "
                                       f"elements should be divisible by {n}, found {v.size} "
                                       "instead")
    steps = max([v.size // n if n else 0 for v in lists], default=0)
    if spec.default_value is not None:
        fill = spec.default_value
    else:
        fill = b"" if dtype == dtypes.string else 0
    out = np.empty([len(lists), steps] + shape, dtype._np)
    out[...] = fill
    for i, v in enumerate(lists):
        k = v.size // n if n else 0
        out[i, :k] = v.reshape([k] + shape)
    return out


def _sparse(key, dtype, examples, where, batched):
    from ..sparse import SparseTensor  # deferred: same layer, loaded only when parsing

    lists = _lists(key, dtype, examples, where)
    width = max([v.size for v in lists], default=0)
    if batched:
        idx = [np.stack([np.full(v.size, i), np.arange(v.size)], 1) for i, v in enumerate(lists)]
        idx = np.concatenate(idx).astype(np.int64) if idx else np.zeros((0, 2), np.int64)
        shape = [len(lists), width]
    else:
        idx = np.arange(lists[0].size, dtype=np.int64)[:, None]
        shape = [width]
    vals = np.concatenate(lists) if lists else np.zeros(0, dtype._np)
    if dtype != dtypes.string:
        vals = vals.astype(dtype._np)
    return SparseTensor(const(idx.reshape(-1, idx.shape[-1] if idx.ndim == 2 else 1)),
                        const(vals), const(np.asarray(shape, np.int64)))


def _ragged(spec, key, examples, where, batched):
    dtype = _check_dtype(spec.dtype)
    lists = _lists(spec.value_key or key, dtype, examples, where)
    if not batched:
        return const(lists[0])
    from ..ragged import RaggedTensor  # deferred: same layer, loaded only when parsing

    vals = np.concatenate(lists) if lists else np.zeros(0, dtype._np)
    if dtype != dtypes.string:
        vals = vals.astype(dtype._np)
    lengths = np.asarray([v.size for v in lists], spec.row_splits_dtype._np)
    return RaggedTensor.from_row_lengths(const(vals), const(lengths))


def _parse(serialized, features, batched, example_names=None):
    if not features:
        raise ValueError("Invalid argument: features cannot be empty.")
    blobs = _serialized_list(serialized)
    scalar = blobs.ndim == 0
    if not batched and not scalar:
        raise ValueError("Input serialized must be a scalar")
    if batched and blobs.ndim > 1:
        raise ValueError(f"Input serialized must be a vector, got shape {list(blobs.shape)}")
    examples = [_features_of(b) for b in blobs.reshape(-1)]
    batched = batched and not scalar

    def where(i, key=None):
        if not batched:
            return "" if key is None else f"Key: {key}."
        return "Name: <unknown>, " if key is None else f"Name: <unknown>, Key: {key}, Index: {i}."

    return _parse_features(examples, features, batched, where)


def _parse_features(examples, features, batched, where):
    """``{key: parsed}`` of the feature maps ``examples`` (one, or a batch)."""
    out = {}
    for key, spec in features.items():
        if isinstance(spec, FixedLenFeature):
            dense = _fixed(spec, key, examples, where)
            out[key] = const(dense if batched else dense[0, ...])
        elif isinstance(spec, VarLenFeature):
            out[key] = _sparse(key, _check_dtype(spec.dtype), examples, where, batched)
        elif isinstance(spec, FixedLenSequenceFeature):
            dense = _sequence(spec, key, examples, where, batched)
            out[key] = const(dense if batched else dense[0, ...])
        elif isinstance(spec, RaggedFeature):
            out[key] = _ragged(spec, key, examples, where, batched)
        elif isinstance(spec, SparseFeature):
            out[key] = _sparse_feature(spec, examples, where, batched)
        else:
            raise ValueError(f"Unsupported {type(spec).__name__} {spec!r} for key {key!r}")
    return out


def _sparse_feature(spec, examples, where, batched):
    """A ``SparseFeature``: its index and value features read as lists and merged (sorted by
    index unless ``already_sorted``), as TF's ``sparse_merge`` does."""
    from ..sparse import SparseTensor  # deferred: same layer, loaded only when parsing

    keys = [spec.index_key] if isinstance(spec.index_key, str) else list(spec.index_key)
    sizes = [spec.size] if isinstance(spec.size, int) else [int(d) for d in spec.size]
    dtype = _check_dtype(spec.dtype)
    vals = _lists(spec.value_key, dtype, examples, where)
    n = sum(v.size for v in vals)
    cols = []
    for k in keys:
        ids = _lists(k, dtypes.int64, examples, where)
        total = sum(v.size for v in ids)
        if total != n:
            raise ValueError(f"Dimensions {total} and {n} are not compatible")
        cols.append(np.concatenate(ids).astype(np.int64) if ids else np.zeros(0, np.int64))
    rows = np.concatenate([np.full(v.size, i, np.int64) for i, v in enumerate(vals)]) \
        if vals else np.zeros(0, np.int64)
    if batched:
        cols.insert(0, rows)
        sizes = [len(examples)] + sizes
    idx = np.stack(cols, 1) if cols else np.zeros((n, 0), np.int64)
    flat = np.concatenate(vals) if vals else np.zeros(0, dtype._np)
    if dtype != dtypes.string:
        flat = flat.astype(dtype._np)
    if not spec.already_sorted and n:
        order = np.lexsort(idx.T[::-1])
        idx, flat = idx[order], flat[order]
    return SparseTensor(const(idx.reshape(n, len(sizes))), const(flat),
                        const(np.asarray(sizes, np.int64)))


def parse_single_sequence_example(serialized, context_features=None, sequence_features=None,
                                  example_name=None, name=None):
    """Parses one serialized ``tf.train.SequenceExample`` into ``(context, feature_lists)``
    dicts: context features as ``parse_single_example`` gives them; a feature list of ``T``
    steps as a ``[T, *shape]`` tensor (``FixedLenSequenceFeature``), a ``SparseTensor`` of
    dense shape ``[T, longest]`` (``VarLenFeature``) or a ``RaggedTensor`` (``RaggedFeature``)."""
    if not context_features and not sequence_features:
        raise ValueError("Both context_features and sequence_features are None, but at least "
                         "one should have values.")
    blob = _serialized_list(serialized)
    if blob.ndim:
        raise ValueError("Input serialized must be a scalar")
    msg = _message(blob[()], "SequenceExample", "ParseSequenceExampleV2")

    def where(i, key=None):
        return "Name: <unknown>, " if key is None else \
            f"Name: <unknown>, Key: {key}, Index: {i}."

    context = _parse_features([msg.context.feature], context_features or {}, False,
                              lambda i, key=None: "" if key is None else f"Key: {key}.")
    lists = {}
    for key, spec in (sequence_features or {}).items():
        present = key in msg.feature_lists.feature_list
        steps = [{key: f} for f in msg.feature_lists.feature_list[key].feature] if present \
            else []
        if isinstance(spec, FixedLenSequenceFeature):
            if not present and not spec.allow_missing:
                raise InvalidArgumentError(
                    None, "ParseSequenceExampleV2", f"Name: <unknown>, Feature list '{key}' is "
                    "required but could not be found.  Did you mean to include it in "
                    "feature_list_dense_missing_assumed_empty or feature_list_dense_defaults?")
            fixed = FixedLenFeature(spec.shape, spec.dtype)
            lists[key] = const(_fixed(fixed, key, steps, where))
        elif isinstance(spec, VarLenFeature):
            lists[key] = _sparse(key, _check_dtype(spec.dtype), steps, where, True)
        elif isinstance(spec, RaggedFeature):
            lists[key] = _ragged(spec, key, steps, where, True)
        else:
            raise ValueError(f"Unsupported {type(spec).__name__} {spec!r} for key {key!r}")
    return context, lists


def parse_single_example(serialized, features, example_names=None, name=None):
    """Parses one serialized ``tf.train.Example`` (a scalar string) into a dict of tensors,
    one per entry of ``features`` (``FixedLenFeature``: a dense tensor; ``VarLenFeature``: a
    ``SparseTensor``; ``RaggedFeature``: a 1-D tensor; ``FixedLenSequenceFeature``: a dense
    ``[n, *shape]`` tensor). A required feature that is missing, or values of another type
    or count, raise ``tf.errors.InvalidArgumentError`` naming the key."""
    return _parse(serialized, features, False)


def parse_example(serialized, features, example_names=None, name=None):
    """Parses a vector of serialized ``tf.train.Example`` into a dict of batched tensors
    (``VarLenFeature``: a ``SparseTensor`` of dense shape ``[batch, longest]``;
    ``RaggedFeature``: a ``RaggedTensor``; sequences padded with their default)."""
    return _parse(serialized, features, True)


def parse_sequence_example(serialized, context_features=None, sequence_features=None,
                           example_names=None, name=None):
    """Parses a vector of serialized ``tf.train.SequenceExample`` into ``(context,
    feature_lists, feature_list_lengths)``: context features as ``parse_example`` gives them;
    a feature list as a ``[batch, T, *shape]`` tensor padded with its default
    (``FixedLenSequenceFeature``, whose step counts go in ``feature_list_lengths``), a
    ``SparseTensor`` ``[batch, T, longest]`` (``VarLenFeature``) or a ``RaggedTensor``
    (``RaggedFeature``). A scalar ``serialized`` parses one, without the batch dimension."""
    if not context_features and not sequence_features:
        raise ValueError("Both `context_features` and `sequence_features` argument are None, "
                         "but at least one should have values.")
    blobs = _serialized_list(serialized)
    if blobs.ndim == 0:
        context, lists = parse_single_sequence_example(serialized, context_features,
                                                       sequence_features)
        lengths = {key: const(np.int64(lists[key].shape[0]))
                   for key, spec in (sequence_features or {}).items()
                   if isinstance(spec, FixedLenSequenceFeature)}
        return context, lists, lengths
    if blobs.ndim > 1:
        raise ValueError(f"Input serialized must be a vector, got shape {list(blobs.shape)}")
    op = "ParseSequenceExampleV2"
    msgs = [_message(b, "SequenceExample", op) for b in blobs]

    def where(i, key=None):
        return "Name: <unknown>, " if key is None else \
            f"Name: <unknown>, Key: {key}, Index: {i}."

    context = _parse_features([m.context.feature for m in msgs], context_features or {}, True,
                              where)
    lists, lengths = {}, {}
    for key, spec in (sequence_features or {}).items():
        steps = []
        for m in msgs:
            present = key in m.feature_lists.feature_list
            if not present and isinstance(spec, FixedLenSequenceFeature) and \
                    not spec.allow_missing:
                raise InvalidArgumentError(
                    None, op, f"Name: <unknown>, Feature list '{key}' is required but could "
                    "not be found.  Did you mean to include it in "
                    "feature_list_dense_missing_assumed_empty or feature_list_dense_defaults?")
            steps.append([{key: f} for f in m.feature_lists.feature_list[key].feature]
                         if present else [])
        if isinstance(spec, FixedLenSequenceFeature):
            lists[key], lengths[key] = _dense_lists(spec, key, steps, op)
        elif isinstance(spec, VarLenFeature):
            lists[key] = _sparse_lists(key, _check_dtype(spec.dtype), steps, where)
        elif isinstance(spec, RaggedFeature):
            lists[key] = _ragged_lists(spec, key, steps, where)
        else:
            raise ValueError(f"Unsupported {type(spec).__name__} {spec!r} for key {key!r}")
    return context, lists, lengths


def _dense_lists(spec, key, steps, op):
    dtype = _check_dtype(spec.dtype)
    shape = [int(d) for d in spec.shape]
    n = int(np.prod(shape)) if shape else 1
    per = []
    for ex in steps:
        rows = []
        for t, feats in enumerate(ex):
            v = _values(feats.get(key), key, dtype, lambda i, k: f"Name: <unknown>, Key: {k}, "
                        f"Index: {i}.", t)
            v = np.zeros(0, dtype._np) if v is None else v
            if v.size != n:
                raise InvalidArgumentError(
                    None, op, f"Name: <unknown>, Key: {key}, Index: {t}.  Number of values != "
                    f"expected.  values size: {v.size} but output shape: "
                    f"[{','.join(str(d) for d in shape)}]")
            rows.append(v.reshape(shape))
        per.append(rows)
    longest = max((len(r) for r in per), default=0)
    fill = spec.default_value if spec.default_value is not None else \
        (b"" if dtype == dtypes.string else 0)
    out = np.empty([len(per), longest] + shape, object if dtype == dtypes.string else dtype._np)
    out[...] = fill
    for i, rows in enumerate(per):
        if rows:
            out[i, :len(rows)] = np.stack(rows)
    return const(out), const(np.asarray([len(r) for r in per], np.int64))


def _sparse_lists(key, dtype, steps, where):
    from ..sparse import SparseTensor  # deferred: same layer, loaded only when parsing

    idx, vals = [], []
    longest_t = longest_w = 0
    for i, ex in enumerate(steps):
        for t, v in enumerate(_lists(key, dtype, ex, where)):
            idx.append(np.stack([np.full(v.size, i), np.full(v.size, t), np.arange(v.size)], 1))
            vals.append(v)
            longest_w = max(longest_w, v.size)
        longest_t = max(longest_t, len(ex))
    ind = np.concatenate(idx).astype(np.int64) if idx else np.zeros((0, 3), np.int64)
    flat = np.concatenate(vals) if vals else np.zeros(0, dtype._np)
    if dtype != dtypes.string:
        flat = flat.astype(dtype._np)
    return SparseTensor(const(ind.reshape(-1, 3)), const(flat),
                        const(np.asarray([len(steps), longest_t, longest_w], np.int64)))


def _ragged_lists(spec, key, steps, where):
    from ..ragged import RaggedTensor  # deferred: same layer, loaded only when parsing

    dtype = _check_dtype(spec.dtype)
    inner, vals = [], []
    for ex in steps:
        for v in _lists(spec.value_key or key, dtype, ex, where):
            inner.append(v.size)
            vals.append(v)
    flat = np.concatenate(vals) if vals else np.zeros(0, dtype._np)
    if dtype != dtypes.string:
        flat = flat.astype(dtype._np)
    rs = spec.row_splits_dtype._np
    steps_rt = RaggedTensor.from_row_lengths(const(flat), const(np.asarray(inner, rs)))
    return RaggedTensor.from_row_lengths(steps_rt, const(np.asarray([len(e) for e in steps], rs)))
