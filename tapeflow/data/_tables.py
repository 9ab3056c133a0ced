"""Lookup tables built from datasets: ``DatasetInitializer``, ``table_from_dataset`` and
``index_table_from_dataset``.

tapeflow has no ``tf.lookup`` module yet: the tables here are a minimal stand-in for
``tf.lookup.StaticHashTable`` (and ``IdTableWithHashBuckets`` when out-of-vocabulary buckets
are asked for): ``lookup``, ``size``, ``export``, ``key_dtype``, ``value_dtype`` and
``default_value``. Out-of-vocabulary keys hash with TF's Fingerprint64 as
``tf.strings.to_hash_bucket_fast`` does.
"""
from .. import dtypes, errors
from ..backend import host as np
from ..strings import to_hash_bucket_fast
from ..tensor import TensorBase, convert_to_tensor, wrap
from ._structure import TensorSpec
from ._transforms import AssertCardinalityDataset
from .dataset import Dataset


def _key(v):
    return v if isinstance(v, bytes) else v.item() if hasattr(v, "item") else v


def _shown(k):
    return k.decode("utf-8", "replace") if isinstance(k, bytes) else k


class DatasetInitializer:
    """Table contents from a dataset of ``(key, value)`` scalar pairs.

    Args:
      dataset: a ``Dataset`` whose elements are ``(key, value)`` pairs.
    """

    def __init__(self, dataset):
        if not isinstance(dataset, Dataset):
            raise TypeError(f"`dataset` must be a tf.data.Dataset, got {type(dataset)}.")
        spec = dataset.element_spec
        if not isinstance(spec, tuple) or len(spec) != 2 or not all(
                isinstance(s, TensorSpec) for s in spec):
            raise TypeError("The elements of the dataset given to DatasetInitializer must be "
                            f"(key, value) pairs of tensors, got {spec}.")
        self.dataset = dataset
        self._key_dtype, self._value_dtype = spec[0].dtype, spec[1].dtype

    key_dtype = property(lambda self: self._key_dtype)
    value_dtype = property(lambda self: self._value_dtype)

    def _pairs(self):
        """The ``(key, value)`` pairs as Python scalars/bytes, in dataset order."""
        for k, v in self.dataset._elements():
            yield _key(k[()]), v[()]


class StaticHashTable:
    """A fixed key -> value table (a minimal ``tf.lookup.StaticHashTable``).

    Args:
      initializer: a ``DatasetInitializer``.
      default_value: the value of keys not in the table.
    """

    def __init__(self, initializer, default_value, name=None):
        self._key_dtype = initializer.key_dtype
        self._value_dtype = initializer.value_dtype
        self._table = {}
        for k, v in initializer._pairs():
            if k in self._table:
                raise errors.FailedPreconditionError(None, "InitializeTableFromDataset",
                                                     "HashTable has different value for same "
                                                     f"key. Key {_shown(k)} has "
                                                     f"{self._table[k]} and trying to add value "
                                                     f"{v}")
            self._table[k] = v
        self._default = convert_to_tensor(default_value, dtype=self._value_dtype)

    key_dtype = property(lambda self: self._key_dtype)
    value_dtype = property(lambda self: self._value_dtype)
    default_value = property(lambda self: self._default)

    def size(self, name=None):
        """The number of entries, an int64 scalar tensor."""
        return wrap(np.asarray(len(self._table), np.int64))

    def _keys_array(self, keys):
        t = keys if isinstance(keys, TensorBase) else convert_to_tensor(keys, self._key_dtype)
        if t.dtype != self._key_dtype:
            raise TypeError(f"Signature mismatch. Keys must be dtype {self._key_dtype}, got "
                            f"{t.dtype}.")
        return np.asarray(t.numpy(), object if t.dtype == dtypes.string else None)

    def lookup(self, keys, name=None):
        """The values of ``keys`` (a tensor of any shape); missing keys get the default.

        Args:
          keys: a tensor of ``key_dtype``.
          name: unused.

        Returns:
          A tensor of ``value_dtype`` shaped like ``keys``.
        """
        a = self._keys_array(keys)
        d = self._default.numpy()
        flat = [self._table.get(_key(k), d) for k in a.reshape(-1)]
        out = np.asarray(flat, object if self._value_dtype == dtypes.string
                         else self._value_dtype._np).reshape(a.shape)
        return wrap(out) if self._value_dtype != dtypes.string else convert_to_tensor(
            out, dtype=dtypes.string)

    def export(self, name=None):
        """``(keys, values)``: two tensors of the entries."""
        keys = list(self._table)
        vals = [self._table[k] for k in keys]
        return (convert_to_tensor(np.asarray(keys, object) if self._key_dtype == dtypes.string
                                  else np.asarray(keys, self._key_dtype._np),
                                  dtype=self._key_dtype),
                convert_to_tensor(np.asarray(vals, object) if self._value_dtype == dtypes.string
                                  else np.asarray(vals, self._value_dtype._np),
                                  dtype=self._value_dtype))


class IdTableWithHashBuckets(StaticHashTable):
    """A table whose missing keys map to ``size + hash(key) % num_oov_buckets``."""

    def __init__(self, initializer, default_value, num_oov_buckets):
        super().__init__(initializer, default_value)
        self._buckets = int(num_oov_buckets)

    def size(self, name=None):
        """The number of entries plus the out-of-vocabulary buckets."""
        return wrap(np.asarray(len(self._table) + self._buckets, np.int64))

    def lookup(self, keys, name=None):
        """The ids of ``keys``; missing keys hash into the out-of-vocabulary buckets.

        Args:
          keys: a tensor of ``key_dtype``.
          name: unused.

        Returns:
          An int64 tensor shaped like ``keys``.
        """
        a = self._keys_array(keys)
        strings = np.asarray([k if isinstance(k, bytes) else str(k).encode()
                              for k in a.reshape(-1)], object)
        hashed = to_hash_bucket_fast(convert_to_tensor(strings, dtype=dtypes.string),
                                     self._buckets).numpy()
        n = len(self._table)
        out = [self._table.get(_key(k), n + int(h)) for k, h in zip(a.reshape(-1), hashed)]
        return wrap(np.asarray(out, np.int64).reshape(a.shape))


def table_from_dataset(dataset=None, num_oov_buckets=0, vocab_size=None, default_value=None,
                       hasher_spec=None, key_dtype=dtypes.string, name=None):
    """A lookup table of the ``(key, value)`` pairs of ``dataset``.

    Args:
      dataset: a ``Dataset`` of ``(key, value)`` scalar pairs.
      num_oov_buckets: hash buckets for missing keys (their ids follow the vocabulary).
      vocab_size: use the first ``vocab_size`` pairs (``FailedPreconditionError`` when
        there are fewer).
      default_value: the value of missing keys (when ``num_oov_buckets`` is 0).
      hasher_spec: unused (TF's FastHashSpec: Fingerprint64).
      key_dtype: the dtype of the keys.
      name: unused.

    Returns:
      A table with ``lookup``, ``size`` and ``export``.
    """
    if vocab_size is not None:  # as TF: the first vocab_size pairs, and there must be so many
        dataset = AssertCardinalityDataset(dataset.take(vocab_size), vocab_size)
    init = DatasetInitializer(dataset)
    if init.key_dtype != dtypes.as_dtype(key_dtype):
        raise TypeError(f"`key_dtype` ({dtypes.as_dtype(key_dtype)}) and the dataset's keys "
                        f"({init.key_dtype}) differ.")
    if num_oov_buckets:
        return IdTableWithHashBuckets(init, -1 if default_value is None else default_value,
                                      num_oov_buckets)
    if default_value is None:
        if init.value_dtype == dtypes.string:
            raise ValueError("`default_value` must be specified when creating a table from a "
                             "dataset that produces values of type <dtype: 'string'>.")
        default_value = -1
    return StaticHashTable(init, default_value)


def index_table_from_dataset(dataset=None, num_oov_buckets=0, vocab_size=None,
                             default_value=-1, hasher_spec=None, key_dtype=dtypes.string,
                             name=None):
    """A table mapping each element of ``dataset`` (scalar keys) to its position.

    Args:
      dataset: a ``Dataset`` of scalar keys.
      num_oov_buckets: hash buckets for missing keys.
      vocab_size: the expected number of keys.
      default_value: the id of missing keys (when ``num_oov_buckets`` is 0).
      hasher_spec: unused (TF's FastHashSpec).
      key_dtype: the dtype of the keys.
      name: unused.

    Returns:
      A table with ``lookup``, ``size`` and ``export``.
    """
    spec = dataset.element_spec
    if not isinstance(spec, TensorSpec):
        raise TypeError(f"index_table_from_dataset needs a dataset of scalar keys, got {spec}.")
    pairs = Dataset.zip((dataset, Dataset.range(2**63 - 1)))
    return table_from_dataset(pairs, num_oov_buckets, vocab_size, default_value, hasher_spec,
                              key_dtype, name)
