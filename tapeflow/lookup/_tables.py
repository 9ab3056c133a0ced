"""The tables of ``tf.lookup``: dictionaries from keys to values, looked up a tensor at a
time."""
from .. import dtypes
from ..backend import host as np
from ..tensor import TensorBase, constant, convert_to_tensor


def _t(x, dtype=None):
    if isinstance(x, TensorBase):
        return x
    return convert_to_tensor(x, dtypes.as_dtype(dtype) if dtype is not None else None)


def _key(v):
    return v if isinstance(v, bytes) else (v.encode() if isinstance(v, str) else v.item()
                                          if hasattr(v, "item") else v)


class TextFileIndex:
    """Special column indices of ``TextFileInitializer``."""

    WHOLE_LINE = -2
    LINE_NUMBER = -1


class KeyValueTensorInitializer:
    """Table contents given as two tensors of keys and values.

    Args:
      keys: 1-D keys.
      values: 1-D values, one per key.
      key_dtype, value_dtype: optional dtypes to convert to.
      name: optional name.
    """

    def __init__(self, keys, values, key_dtype=None, value_dtype=None, name=None):
        self._keys = _t(keys, key_dtype)
        self._values = _t(values, value_dtype)
        self._name = name

    key_dtype = property(lambda self: self._keys.dtype, doc="The keys' dtype.")
    value_dtype = property(lambda self: self._values.dtype, doc="The values' dtype.")

    def _pairs(self):
        return list(zip(self._keys.numpy().tolist(), self._values.numpy().tolist()))


class TextFileInitializer:
    """Table contents read from a text file, one entry per line.

    Args:
      filename: the file.
      key_dtype: int64 or string.
      key_index: column of the key, or ``TextFileIndex.LINE_NUMBER``/``WHOLE_LINE``.
      value_dtype: int64, float or string.
      value_index: column of the value, or a ``TextFileIndex`` constant.
      vocab_size: optional number of lines to read.
      delimiter: the column separator.
      name: optional name.
      value_index_offset: added to line-number values.
    """

    def __init__(self, filename, key_dtype, key_index, value_dtype, value_index,
                 vocab_size=None, delimiter="\t", name=None, value_index_offset=0):
        self._filename = filename.numpy().decode() if isinstance(filename, TensorBase) \
            else str(filename)
        self._kd, self._vd = dtypes.as_dtype(key_dtype), dtypes.as_dtype(value_dtype)
        self._ki, self._vi = key_index, value_index
        self._size, self._delim, self._offset = vocab_size, delimiter, value_index_offset

    key_dtype = property(lambda self: self._kd, doc="The keys' dtype.")
    value_dtype = property(lambda self: self._vd, doc="The values' dtype.")

    def _field(self, line, number, index, dtype):
        if index == TextFileIndex.LINE_NUMBER:
            return number + self._offset
        text = line if index == TextFileIndex.WHOLE_LINE else line.split(self._delim)[index]
        if dtype == dtypes.string:
            return text.encode()
        return float(text) if dtype.is_floating else int(text)

    def _pairs(self):
        with open(self._filename, encoding="utf-8") as f:
            lines = f.read().splitlines()
        if self._size is not None:
            lines = lines[:self._size]
        return [(self._field(line, i, self._ki, self._kd),
                 self._field(line, i, self._vi, self._vd)) for i, line in enumerate(lines)]


class _Table:
    """Shared lookup of the tables."""

    def _lookup(self, keys, default):
        k = _t(keys)
        if k.dtype != self.key_dtype:
            raise TypeError(f"Dtype of argument `keys` must be {self.key_dtype!r}, received: "
                            f"{k.dtype!r}")
        flat = [self._table.get(_key(v), default) for v in k.numpy().reshape(-1)]
        arr = np.asarray(flat, dtype=object if self.value_dtype == dtypes.string else
                         self.value_dtype._np).reshape(k.shape)
        return constant(arr, self.value_dtype)

    def size(self, name=None):
        """The number of entries (int64)."""
        return constant(np.int64(len(self._table)))

    def export(self, name=None):
        """``(keys, values)`` tensors of the entries."""
        items = list(self._table.items())
        keys = np.asarray([k for k, _ in items], dtype=object if self.key_dtype ==
                          dtypes.string else self.key_dtype._np)
        vals = np.asarray([v for _, v in items], dtype=object if self.value_dtype ==
                          dtypes.string else self.value_dtype._np)
        return constant(keys, self.key_dtype), constant(vals, self.value_dtype)

    def __getitem__(self, keys):
        return self.lookup(keys)


class StaticHashTable(_Table):
    """An immutable table built once from an initializer.

    Args:
      initializer: ``KeyValueTensorInitializer`` or ``TextFileInitializer``.
      default_value: the value of missing keys.
      name: optional name.
      experimental_is_anonymous: ignored.
    """

    def __init__(self, initializer, default_value, name=None, experimental_is_anonymous=False):
        self._init = initializer
        self.key_dtype, self.value_dtype = initializer.key_dtype, initializer.value_dtype
        self._default = _t(default_value, self.value_dtype)
        self._table = {_key(k): v for k, v in initializer._pairs()}
        self._name = name

    @property
    def default_value(self):
        """The value of missing keys."""
        return self._default

    @property
    def name(self):
        """The table's name."""
        return self._name

    def lookup(self, keys, name=None):
        """The values of ``keys`` (the default value where missing), of ``keys``' shape."""
        d = self._default.numpy()
        return self._lookup(keys, d.item() if hasattr(d, "item") else d)


class StaticVocabularyTable(_Table):
    """A vocabulary table: known keys map to their ids, other keys to one of
    ``num_oov_buckets`` ids after the vocabulary, by FarmHash Fingerprint64.

    Args:
      initializer: initializer of int64 values (the ids).
      num_oov_buckets: how many out-of-vocabulary buckets.
      lookup_key_dtype: the dtype of the looked-up keys (default the initializer's).
      name: optional name.
      experimental_is_anonymous: ignored.
    """

    def __init__(self, initializer, num_oov_buckets, lookup_key_dtype=None, name=None,
                 experimental_is_anonymous=False):
        if num_oov_buckets <= 0:
            raise ValueError("`num_oov_buckets` must be > 0; use StaticHashTable.")
        self._table = {} if initializer is None else \
            {_key(k): v for k, v in initializer._pairs()}
        self.key_dtype = dtypes.as_dtype(lookup_key_dtype) if lookup_key_dtype else \
            initializer.key_dtype
        self.value_dtype = dtypes.int64
        self._buckets = int(num_oov_buckets)
        self._name = name

    def size(self, name=None):
        """Vocabulary size plus the number of OOV buckets (int64)."""
        return constant(np.int64(len(self._table) + self._buckets))

    def lookup(self, keys, name=None):
        """The ids of ``keys``: vocabulary ids, or ``size + hash(key) % buckets``."""
        from ..strings._hash import fingerprint64  # deferred: only OOV keys need the hash
        k = _t(keys)
        vocab = len(self._table)
        out = []
        for v in k.numpy().reshape(-1):
            key = _key(v)
            if key in self._table:
                out.append(self._table[key])
            else:
                # integer keys hash their decimal text, as TF's as_string + hash bucket
                data = key if isinstance(key, bytes) else str(int(key)).encode()
                out.append(vocab + fingerprint64(data) % self._buckets)
        return constant(np.asarray(out, np.int64).reshape(k.shape))
