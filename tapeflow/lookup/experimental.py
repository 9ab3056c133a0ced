"""``tf.lookup.experimental``: mutable hash tables."""
from .. import dtypes
from ..backend import host as np
from ._tables import _key, _t, _Table

__all__ = ["MutableHashTable", "DenseHashTable"]


class MutableHashTable(_Table):
    """A table whose entries can be inserted and removed.

    Args:
      key_dtype: the keys' dtype.
      value_dtype: the values' dtype.
      default_value: the value of missing keys.
      name: optional name.
      checkpoint: ignored.
      experimental_is_anonymous: ignored.
    """

    def __init__(self, key_dtype, value_dtype, default_value, name="MutableHashTable",
                 checkpoint=True, experimental_is_anonymous=False):
        self.key_dtype, self.value_dtype = dtypes.as_dtype(key_dtype), dtypes.as_dtype(
            value_dtype)
        self._default = _t(default_value, self.value_dtype)
        self._table = {}
        self._name = name

    def insert(self, keys, values, name=None):
        """Set ``keys`` to ``values``."""
        k = _t(keys, self.key_dtype).numpy().reshape(-1)
        v = _t(values, self.value_dtype).numpy().reshape(len(k), -1)
        for key, val in zip(k, v):
            self._table[_key(key)] = val.item() if val.size == 1 else val

    def remove(self, keys, name=None):
        """Remove ``keys`` (missing ones are ignored)."""
        for key in _t(keys, self.key_dtype).numpy().reshape(-1):
            self._table.pop(_key(key), None)

    def lookup(self, keys, dynamic_default_values=None, name=None):
        """The values of ``keys`` (the default value where missing)."""
        d = self._default.numpy()
        return self._lookup(keys, d.item() if hasattr(d, "item") else d)


class DenseHashTable(MutableHashTable):
    """A mutable table with reserved empty and deleted keys (TF's open-addressing table;
    here a dictionary with the same lookups).

    Args:
      key_dtype, value_dtype, default_value: as ``MutableHashTable``.
      empty_key, deleted_key: keys that may never be inserted.
      initial_num_buckets: ignored.
      name: optional name.
      checkpoint, experimental_is_anonymous: ignored.
    """

    def __init__(self, key_dtype, value_dtype, default_value, empty_key, deleted_key,
                 initial_num_buckets=None, name="MutableDenseHashTable", checkpoint=True,
                 experimental_is_anonymous=False):
        super().__init__(key_dtype, value_dtype, default_value, name)
        self._reserved = {_key(np.asarray(_t(empty_key, self.key_dtype).numpy())),
                          _key(np.asarray(_t(deleted_key, self.key_dtype).numpy()))}

    def insert(self, keys, values, name=None):
        """Set ``keys`` to ``values`` (InvalidArgumentError for a reserved key)."""
        from ..errors import InvalidArgumentError  # deferred: error path only
        for key in _t(keys, self.key_dtype).numpy().reshape(-1):
            if _key(key) in self._reserved:
                raise InvalidArgumentError(None, "LookupTableInsertV2", "Using the empty_key "
                                           "or deleted_key as a table key is not allowed "
                                           "[Op:LookupTableInsertV2]")
        super().insert(keys, values)
