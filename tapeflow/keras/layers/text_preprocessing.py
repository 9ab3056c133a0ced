"""Text and lookup preprocessing layers: ``TextVectorization``, ``StringLookup`` and
``IntegerLookup``.

The work happens on the host, per element, in one ``Op`` per call (so a ``tf.function``
trace records it and a replay reads the layer's current vocabulary). Vocabularies follow
Keras 3: special tokens first (mask, then the OOV slots), then the adapted tokens by
descending count, ties broken by the larger token first. The vocabulary and IDF weights
go into ``get_config`` so a ``.keras`` file written by tapeflow carries them.
"""
import math
import re
from collections import Counter

from ... import dtypes
from ...backend import host as np
from ...backend import to_host
from ...errors import InvalidArgumentError
from ...ops._core import Op, apply
from ...tensor import TensorBase, convert_to_tensor, wrap
from .base import Layer, in_symbolic_call

_PUNCT = re.compile(rb"[!\"#$%&()*+,\-./:;<=>?@\[\\\]^_`{|}~']")
_ASCII_UPPER = bytes(range(65, 91))
_ASCII_LOWER = bytes(range(97, 123))
_LOWER_TABLE = bytes.maketrans(_ASCII_UPPER, _ASCII_LOWER)
_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
_DEFAULT = object()


def _as_bytes(x):
    if isinstance(x, bytes):
        return x
    if isinstance(x, str):
        return x.encode("utf-8")
    if isinstance(x, np.generic):
        x = x.item()
        if isinstance(x, bytes):
            return x
    return str(x).encode("utf-8")  # a symbolic input's stand-in zero


def _host_array(x):
    """``x`` (tensor, array, list, scalar) as a NumPy array (strings as an object array of
    bytes)."""
    if isinstance(x, (list, tuple)) and any(isinstance(v, TensorBase) for v in x):
        # NOTE: Layer.__call__ converts a list input element by element (as Keras 3's does);
        # the layer stacks the pieces back into one tensor, as Keras's TF-backend call does
        x = convert_to_tensor(x)
    if isinstance(x, TensorBase):
        a = to_host(x._v)
    else:
        a = np.asarray(x)
    if a.dtype.kind in "SUO":
        flat = [_as_bytes(v) for v in a.ravel().tolist()]
        out = np.empty(len(flat), object)
        out[:] = flat
        return out.reshape(a.shape)
    return a


def _text_array(x):
    """``x`` as an object array of bytes whatever its dtype (a numeric stand-in too)."""
    a = _host_array(x)
    if a.dtype != object:
        flat = [_as_bytes(v) for v in a.ravel().tolist()]
        out = np.empty(len(flat), object)
        out[:] = flat
        a = out.reshape(a.shape)
    return a


def _objects(items):
    out = np.empty(len(items), object)
    out[:] = items
    return out


def _batches(data, steps=None):
    """The host arrays of ``data``: one array, or the batches of a dataset/iterable."""
    if isinstance(data, (TensorBase, np.ndarray, list, tuple, str, bytes)):
        return [_host_array(data)]
    out = []
    for i, item in enumerate(data):
        if steps is not None and i >= steps:
            break
        if isinstance(item, tuple):
            item = item[0]
        if hasattr(item, "flat_values") and hasattr(item, "to_list"):  # a RaggedTensor
            out.append(_host_array(item.flat_values))
        else:
            out.append(_host_array(item))
    return out


def _encode(ids_rows, depth, mode, weights=None, dtype=np.float32):
    """``ids_rows``: a list of index lists (one per sample) -> (len, depth) encoding."""
    out = np.zeros((len(ids_rows), depth), dtype)
    for r, ids in enumerate(ids_rows):
        if not len(ids):
            continue
        ids = np.asarray(ids, np.int64)
        keep = (ids >= 0) & (ids < depth)  # like TF's bincount, out-of-range ids are dropped
        if not keep.all():
            ids = ids[keep]
            if weights is not None:
                weights = [np.asarray(w)[keep] if i == r else w for i, w in enumerate(weights)]
        if mode == "multi_hot":
            out[r, ids] = 1
        else:
            np.add.at(out[r], ids, 1 if weights is None else weights[r])
    return out


def encode_categorical(ids, depth, mode, dtype=np.float32, count_weights=None):
    """Keras's ``encode_categorical_inputs`` on a host integer array ``ids``."""
    ids = np.asarray(ids)
    if mode == "int":
        return ids.astype(dtype)
    if ids.ndim == 0:
        ids = ids.reshape(1)
    if mode == "one_hot":
        if ids.ndim >= 1 and ids.shape[-1] == 1 and ids.ndim > 1:
            ids = ids.reshape(ids.shape[:-1])
        flat = ids.reshape(-1).astype(np.int64)
        out = np.zeros((flat.size, depth), dtype)
        ok = (flat >= 0) & (flat < depth)  # tf.one_hot: an out-of-range id is all zeros
        out[np.arange(flat.size)[ok], flat[ok]] = 1
        return out.reshape(ids.shape + (depth,))
    if ids.ndim > 2:  # Keras 3: one-hot codes reduced over axis 1
        hot = encode_categorical(ids, depth, "one_hot", np.float64)
        if count_weights is not None:
            hot = hot * np.asarray(count_weights, np.float64)[..., None]
        red = hot.max(axis=1) if mode == "multi_hot" else hot.sum(axis=1)
        return red.astype(dtype)
    rows = ids.reshape(-1, ids.shape[-1])  # encoded along the last axis
    w = None
    if count_weights is not None:
        w = np.asarray(count_weights, np.float64).reshape(rows.shape)
    out = _encode([list(r) for r in rows], depth, mode, w, dtype)
    return out.reshape(ids.shape[:-1] + (depth,))


def _fit(idf, depth):
    """The IDF weights cut or zero-padded to ``depth`` (pad_to_max_tokens)."""
    if len(idf) >= depth:
        return idf[:depth]
    return np.concatenate([idf, np.zeros(depth - len(idf), idf.dtype)])


# -- lookups ------------------------------------------------------------------------------
def _lookup_fwd(a, layer):
    return layer._lookup_host(a)


LOOKUP = Op("IndexLookup", _lookup_fwd, None, None, same_dtype=False)


class _Preprocessing(Layer):
    """Inputs pass in as they are (no cast to the layer's float dtype), and a symbolic
    string input stands in as empty strings."""

    def _convert(self, x):
        if isinstance(x, TensorBase) or x is None or isinstance(x, bool):
            return x
        return convert_to_tensor(_host_array(x))

    def __call__(self, *args, **kwargs):
        out = super().__call__(*args, **kwargs)
        if self.__dict__.get("sparse") and isinstance(out, TensorBase):
            from ...sparse import from_dense  # deferred: sparse outputs only

            return from_dense(out)
        return out

    def _symbolic_call(self, inputs, args, kwargs):
        from ... import nest  # deferred: only the functional API needs it

        for k in nest.flatten(inputs):
            if getattr(k, "dtype", None) == dtypes.string and hasattr(k, "_node"):
                k._dummy = _string_dummy(k)
        return super()._symbolic_call(inputs, args, kwargs)


def _string_dummy(k):
    def make():
        shape = tuple(1 if d is None else d for d in k.shape)
        a = np.empty(shape, object)
        a[...] = b"x"  # one token, so a sequence output keeps a length of 1
        return wrap(a)
    return make


class _IndexLookup(_Preprocessing):
    """The shared machinery of ``StringLookup`` and ``IntegerLookup``."""

    _strings = True

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=None,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 sparse=False, pad_to_max_tokens=False, vocabulary_dtype=None, encoding="utf-8",
                 **kwargs):
        kwargs.pop("vocabulary_size", None)
        oov_method = kwargs.pop("oov_method", "floormod")
        salt = kwargs.pop("salt", None)
        super().__init__(**kwargs)
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(f"Unknown value for `oov_method` argument of {type(self).__name__}"
                             ". Allowed values are: ('floormod', 'farmhash'). Received: "
                             f"oov_method={oov_method}")
        if salt is not None and oov_method != "farmhash" and not self._strings:
            raise ValueError("`salt` can only be used when `oov_method='farmhash'`. Received: "
                             f"oov_method={oov_method}")
        # NOTE: as Keras: several OOV slots take strings by FarmHash (SipHash-2-4 keyed by the
        # salt when there is one) whatever the method; integers by value % slots (floormod)
        # or by the hash of their decimal text (farmhash)
        self.oov_method, self.salt = oov_method, salt
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        if output_mode not in _MODES:
            raise ValueError("Invalid value for argument `output_mode`. Expected one of "
                             "`'int'`, `'one_hot'`, `'multi_hot'`, `'count'` or `'tf_idf'`. "
                             f"Received: output_mode={output_mode}")
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError("If set, `max_tokens` must be greater than 1. "
                             f"Received: max_tokens={max_tokens}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError("If pad_to_max_tokens is True, must set `max_tokens`. "
                             f"Received: max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError("`num_oov_indices` must be greater than or equal to 0. "
                             f"Received: num_oov_indices={num_oov_indices}")
        if invert and output_mode != "int":
            raise ValueError("`output_mode` must be `'int'` when `invert` is true. "
                             f"Received: output_mode={output_mode}")
        if sparse and output_mode == "int":
            raise ValueError("`sparse` may only be true if `output_mode` is `'one_hot'`, "
                             "`'multi_hot'`, `'count'` or `'tf_idf'`. Received: sparse=True "
                             f"and output_mode={output_mode}")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError("`idf_weights` should only be set if `output_mode` is `'tf_idf'`. "
                             f"Received: idf_weights={idf_weights} and "
                             f"output_mode={output_mode}")
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.invert = invert
        self.output_mode = output_mode
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self.encoding = encoding
        self.vocabulary_dtype = vocabulary_dtype
        self.__dict__["_input_vocabulary"] = vocabulary
        self.__dict__["_input_idf"] = idf_weights
        self.__dict__["_tokens"] = None  # learned tokens (no special tokens), keys
        self.__dict__["_idf"] = None
        self.built = True
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # -- keys ---------------------------------------------------------------------------
    def _key(self, v):
        if self._strings:
            return _as_bytes(v)
        return int(v)

    def _out_token(self, k):
        return k.decode("utf-8", "replace") if isinstance(k, bytes) else k

    def _oov_start(self):
        # Keras: the mask token has an index only in "int" mode; elsewhere it is dropped
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start(self):
        return self._oov_start() + self.num_oov_indices

    def _table(self):
        tokens = self.__dict__["_tokens"]
        if tokens is None:
            tokens = []
        cache = self.__dict__.get("_cache")
        if cache is None or cache[0] is not tokens:
            start = self._token_start()
            table = {k: i + start for i, k in enumerate(tokens)}
            cache = (tokens, table)
            self.__dict__["_cache"] = cache
        return cache[1]

    # -- vocabulary ---------------------------------------------------------------------
    def vocabulary_size(self):
        n = len(self.__dict__["_tokens"] or [])
        return n + self._token_start()

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary, index order; the special tokens as given, the others as NumPy
        scalars (``np.str_``, ``np.int64``), as Keras 3 returns them."""
        vocab = self._plain_vocabulary(include_special_tokens)
        first = self._token_start() if include_special_tokens else 0
        return vocab[:first] + [np.str_(t) if isinstance(t, str) else np.int64(t)
                                for t in vocab[first:]]

    def _plain_vocabulary(self, include_special_tokens=True):
        """``get_vocabulary`` with Python ``str``/``int`` tokens (configs, files)."""
        tokens = [self._out_token(k) for k in (self.__dict__["_tokens"] or [])]
        if not include_special_tokens:
            return tokens
        special = [self.mask_token] * self._oov_start()
        special += [self.oov_token] * self.num_oov_indices
        return special + tokens

    def set_vocabulary(self, vocabulary, idf_weights=None):
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError("`idf_weights` should only be set if output_mode is `'tf_idf'`. "
                             f"Received: output_mode={self.output_mode} and "
                             f"idf_weights={idf_weights}")
        if isinstance(vocabulary, str):
            with open(vocabulary, encoding="utf-8") as f:
                vocabulary = f.read().splitlines()
        vocab = _host_array(vocabulary).ravel().tolist()
        keys = [self._key(v) for v in vocab]
        special = []
        if self._oov_start():
            special.append(self._key(self.mask_token))
        if self.num_oov_indices:
            special += [self._key(self.oov_token)] * self.num_oov_indices
        has_special = bool(special) and keys[:len(special)] == special
        if has_special:
            keys = keys[len(special):]
        mask_key = None if self.mask_token is None else self._key(self.mask_token)
        oov_key = self._key(self.oov_token) if self.oov_token is not None else None
        for k in keys:
            if k == mask_key or (k == oov_key and self.num_oov_indices):
                raise ValueError(
                    f"Found reserved tokens in `vocabulary`. Reserved tokens must only appear "
                    f"at the start of the vocabulary. Received: vocabulary={vocab}")
        if len(set(keys)) != len(keys):
            raise ValueError(f"The passed vocabulary has at least one repeated term. Please "
                             f"uniquify your dataset. The repeated terms are: {vocab}")
        if self.max_tokens is not None and len(keys) + self._token_start() > self.max_tokens:
            raise ValueError("Attempted to set a vocabulary larger than the maximum vocab "
                             f"size. Received vocabulary size is "
                             f"{len(keys) + self._token_start()}; "
                             f"`max_tokens` is {self.max_tokens}.")
        self.__dict__["_tokens"] = keys
        if idf_weights is not None:
            idf = np.asarray(_host_array(idf_weights), np.float64).ravel()
            start = self._token_start()
            if not has_special and len(idf) == len(keys):
                pad = idf.mean() if len(idf) else 0.0
                idf = np.concatenate([np.full(start, pad), idf])
            self.__dict__["_idf"] = idf.astype(np.float32)

    def adapt(self, data, steps=None, batch_size=None):
        counts, docs, ndocs = {}, {}, 0
        for b in _batches(data, steps):
            self._count(b, counts, docs)
            ndocs += b.shape[0] if b.ndim else 1
        self._finish_adapt(counts, docs, ndocs)

    def _count(self, b, counts, docs, rows=None):
        flat = b.ravel().tolist()
        counter = Counter(v if type(v) is bytes else self._key(v) for v in flat) \
            if self._strings else Counter(int(v) for v in flat)
        for k, c in counter.items():
            counts[k] = counts.get(k, 0) + c
        if self.output_mode == "tf_idf":
            if rows is None:
                rows = [[v] for v in b.ravel().tolist()] if b.ndim <= 1 else \
                    [r.ravel().tolist() for r in b]
            for r in rows:
                for k in {self._key(v) for v in r}:
                    docs[k] = docs.get(k, 0) + 1

    def _finish_adapt(self, counts, docs, ndocs):
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(self._key(special), None)
        items = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        if self.max_tokens:
            items = items[:max(self.max_tokens - self._token_start(), 0)]
        tokens = [k for k, _ in items]
        self.__dict__["_tokens"] = tokens
        if self.output_mode == "tf_idf":
            idf = np.array([math.log(1 + ndocs / (1 + docs.get(k, 0))) for k in tokens],
                           np.float64).astype(np.float32)
            pad = idf.mean() if len(idf) else np.float32(0)
            idf = np.concatenate([np.full(self._token_start(), pad, np.float32), idf])
            if self.pad_to_max_tokens and self.max_tokens is not None:
                idf = np.concatenate([idf, np.zeros(self.max_tokens - len(idf), np.float32)])
            self.__dict__["_idf"] = idf

    # -- the lookup ---------------------------------------------------------------------
    def _ids(self, a):
        """Integer ids (int64) of the host array ``a`` (int mode, not inverted)."""
        table = self._table()
        mask_key = None if self.mask_token is None else self._key(self.mask_token)
        oov_start = self._oov_start()
        mask_id = 0 if oov_start else -1  # -1: left out of the encodings
        n_oov = self.num_oov_indices
        flat = a.ravel().tolist()
        if self._strings:
            keys = [v if type(v) is bytes else _as_bytes(v) for v in flat]
        else:
            keys = [int(v) for v in flat]
        get = table.get
        ids = [get(k, -2) for k in keys]
        for i, j in enumerate(ids):
            if j != -2:
                continue
            k = keys[i]
            if mask_key is not None and k == mask_key:
                j = mask_id
            elif n_oov == 0:
                raise InvalidArgumentError(
                    None, None, "When `num_oov_indices=0` all inputs should be in "
                                f"vocabulary, found OOV values [{self._out_token(k)!r}], "
                                "consider setting `num_oov_indices=1`.")
            elif n_oov == 1:
                j = oov_start
            elif self._strings or self.oov_method == "farmhash":
                j = oov_start + self._hash(k if self._strings else str(k).encode()) % n_oov
            else:
                j = oov_start + k % n_oov
            ids[i] = j
        return np.asarray(ids, np.int64).reshape(a.shape)

    def _hash(self, data):
        """The OOV hash of the bytes ``data``: TF's ``to_hash_bucket_fast`` hash, or
        ``to_hash_bucket_strong``'s keyed by the salt (an int is used for both key words)."""
        from ...strings import _hash  # deferred: only several OOV slots need it

        if self.salt is None:
            return _hash.fingerprint64(data)
        key = [self.salt, self.salt] if isinstance(self.salt, int) else list(self.salt)
        mask = (1 << 64) - 1
        return _hash.siphash24(int(key[0]) & mask, int(key[1]) & mask, data)

    def _invert_host(self, a):
        vocab = self._plain_vocabulary()
        keys = [self._key(v) for v in vocab]
        flat = a.ravel().tolist()
        oov = self._key(self.oov_token)
        vals = [keys[i] if 0 <= i < len(keys) else oov for i in flat]
        if self._strings:
            out = np.empty(len(vals), object)
            out[:] = vals
        else:
            out = np.asarray(vals, np.int64)
        return out.reshape(a.shape)

    def _depth(self):
        return self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()

    def _vocabulary_known(self):
        """Keras needs a vocabulary (or pad_to_max_tokens) to size an encoding; a symbolic
        call gets zeros of the right rank meanwhile."""
        if self.output_mode == "int" or self.pad_to_max_tokens:
            return True
        if self.__dict__["_tokens"] is not None and (
                self.output_mode != "tf_idf" or self.__dict__["_idf"] is not None):
            return True
        if in_symbolic_call():
            return False
        raise RuntimeError(f"When using `output_mode={self.output_mode}` and "
                           "`pad_to_max_tokens=False`, you must set the layer's vocabulary "
                           "before calling it. Either pass a `vocabulary` argument to the "
                           "layer, or call `adapt` with some sample data.")

    def _lookup_host(self, a):
        a = _host_array(a)
        if self.invert:
            return self._invert_host(a)
        if not self._vocabulary_known():
            shape = self.compute_output_shape(a.shape)
            dtype = np.float32 if self.output_mode == "tf_idf" else np.int64
            return np.zeros(shape, dtype)
        ids = self._ids(a)
        if self.output_mode == "int":
            return ids
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        dtype = np.float32 if self.output_mode == "tf_idf" else np.int64
        out = encode_categorical(ids, self._depth(), mode, dtype)
        if self.output_mode == "tf_idf":
            idf = self.__dict__["_idf"]
            if idf is None:
                raise ValueError("When `output_mode` is `'tf_idf'`, `idf_weights` must be "
                                 "provided.")
            out = (out * _fit(idf, out.shape[-1])).astype(np.float32)
        return out

    def call(self, inputs):
        if hasattr(inputs, "flat_values") and hasattr(inputs, "with_flat_values"):
            if self.output_mode == "int":
                return inputs.with_flat_values(self.call(inputs.flat_values))
            rows = [r for r in inputs.to_list()]
            ids = [self._ids(_host_array(r)).tolist() if len(r) else [] for r in rows]
            return wrap(self._encode_rows(ids))
        if not isinstance(inputs, TensorBase):
            inputs = convert_to_tensor(_host_array(inputs))
        return apply(LOOKUP, (inputs,), {"layer": self})

    def _encode_rows(self, ids_rows):
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        dtype = np.float32 if self.output_mode == "tf_idf" else np.int64
        out = _encode(ids_rows, self._depth(), mode, None, dtype)
        if self.output_mode == "tf_idf":
            out = (out * _fit(self.__dict__["_idf"], out.shape[-1])).astype(np.float32)
        return out

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if self.output_mode == "int":
            return shape
        if self.output_mode == "one_hot" and shape and shape[-1] == 1:
            shape = shape[:-1]
        elif self.output_mode != "one_hot":
            shape = shape[:-1] if shape else shape
        return shape + (self._depth(),)

    # -- Keras's asset files (``assets/layers/<name>/vocabulary.txt`` in a .keras file) --
    def save_assets(self, dir_path):
        """Write the vocabulary (special tokens included) as Keras does, one per line."""
        import os  # deferred: only asset files need it

        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(str(v) for v in self._plain_vocabulary()))

    def load_assets(self, dir_path):
        """Read a ``vocabulary.txt`` that Keras wrote (special tokens first)."""
        import os  # deferred: only asset files need it

        if self.__dict__["_input_vocabulary"] is not None:
            return  # Keras keeps a given vocabulary in the config, not in assets
        with open(os.path.join(dir_path, "vocabulary.txt"), encoding="utf-8") as f:
            lines = f.read().split("\n")
        while lines and lines[-1] == "":
            lines.pop()
        values = lines if self._strings else [int(v) for v in lines]
        idf = self.__dict__["_idf"]
        if self.output_mode == "tf_idf" and idf is None:
            idf = np.zeros(len(values), np.float32)  # until load_own_variables sets them
        self.set_vocabulary(values, idf if self.output_mode == "tf_idf" else None)

    def save_own_variables(self, store):
        """Keras keeps the IDF weights (special slots included) as ``idf_weights``."""
        if self.output_mode == "tf_idf" and self.__dict__["_idf"] is not None:
            store["idf_weights"] = np.asarray(self.__dict__["_idf"], np.float32)

    def load_own_variables(self, store):
        if self.output_mode == "tf_idf" and "idf_weights" in store:
            self.__dict__["_idf"] = np.asarray(store["idf_weights"], np.float32)

    def get_config(self):
        vocab = self.__dict__["_input_vocabulary"]
        if self.__dict__["_tokens"] is not None:
            vocab = self._plain_vocabulary(include_special_tokens=False)
        idf = self.__dict__["_idf"]
        config = {**super().get_config(), "invert": self.invert,
                  "max_tokens": self.max_tokens, "num_oov_indices": self.num_oov_indices,
                  "oov_token": self.oov_token, "mask_token": self.mask_token,
                  "output_mode": self.output_mode, "sparse": self.sparse,
                  "pad_to_max_tokens": self.pad_to_max_tokens,
                  "idf_weights": None if idf is None else
                  [float(v) for v in idf[self._token_start():
                                         self._token_start() + len(vocab or [])]],
                  "vocabulary": None if vocab is None else
                  [v if isinstance(v, str) else int(v) for v in vocab],
                  # as Keras: None until a vocabulary is set (the method counts the OOV slots)
                  "vocabulary_size": None if self.__dict__["_tokens"] is None else
                  self.vocabulary_size(),
                  "oov_method": self.oov_method, "salt": self.salt}
        return config


class StringLookup(_IndexLookup):
    """Maps strings to integer indices of a vocabulary (and back with ``invert=True``)."""

    _config_keys = (
        "name", "trainable", "dtype", "invert", "max_tokens", "num_oov_indices", "oov_token",
        "mask_token", "output_mode", "sparse", "pad_to_max_tokens", "idf_weights", "vocabulary",
        "vocabulary_size", "oov_method", "salt", "encoding")

    _strings = True

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None, **kwargs):
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         sparse=sparse, pad_to_max_tokens=pad_to_max_tokens,
                         vocabulary_dtype="string", encoding=encoding, name=name, **kwargs)

    def get_config(self):
        return {**super().get_config(), "encoding": self.encoding}


class IntegerLookup(_IndexLookup):
    """Maps integers to contiguous indices of a vocabulary (and back with ``invert=True``)."""

    _config_keys = (
        "name", "trainable", "dtype", "invert", "max_tokens", "num_oov_indices", "oov_token",
        "mask_token", "output_mode", "sparse", "pad_to_max_tokens", "vocabulary_dtype",
        "idf_weights", "vocabulary", "vocabulary_size", "oov_method", "salt")

    _strings = False

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False, name=None, **kwargs):
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError("If `max_tokens` is set for `IntegerLookup`, it must be greater "
                             f"than 1. Received: max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError("The value of `num_oov_indices` argument for `IntegerLookup` "
                             "must >= 0. Received: num_oov_indices="
                             f"{num_oov_indices}")
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         sparse=sparse, pad_to_max_tokens=pad_to_max_tokens,
                         vocabulary_dtype=vocabulary_dtype, name=name, **kwargs)

    def get_config(self):
        return {**super().get_config(), "vocabulary_dtype": self.vocabulary_dtype}


# -- TextVectorization ---------------------------------------------------------------------
def _tokens_of(s, layer, std=_DEFAULT):
    """The tokens (bytes) of one input string under ``layer``'s standardize/split/ngrams
    (``std``: the standardization to apply instead of the layer's own)."""
    if std is _DEFAULT:
        std = layer._standardize
    if std in ("lower", "lower_and_strip_punctuation"):
        s = s.translate(_LOWER_TABLE)
    if std in ("strip_punctuation", "lower_and_strip_punctuation"):
        s = _PUNCT.sub(b"", s)
    split = layer._split
    if split == "whitespace":
        toks = s.split()
    elif split == "character":
        toks = [c.encode("utf-8") for c in s.decode("utf-8", "replace")]
    else:
        toks = [s]
    ngrams = layer._ngrams
    if ngrams is not None and split is not None:
        out = []
        for n in ngrams:
            out += [b" ".join(toks[i:i + n]) for i in range(len(toks) - n + 1)]
        toks = out
    return toks


class TextVectorization(_Preprocessing):
    """Strings to token indices or bag-of-words vectors: standardize, split, n-grams, then
    a vocabulary lookup (Keras 3's ``TextVectorization``)."""

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int",
                 output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None,
                 **kwargs):
        kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        if output_mode not in ("int", "multi_hot", "count", "tf_idf"):
            raise ValueError("Invalid value for argument `output_mode`. Expected one of "
                             "'int', 'multi_hot', 'count' or 'tf_idf'. "
                             f"Received: output_mode={output_mode}")
        if standardize not in (None, "lower_and_strip_punctuation", "lower",
                               "strip_punctuation") and not callable(standardize):
            raise ValueError(f"Invalid value for argument `standardize`. Received: "
                             f"standardize={standardize}")
        if split not in (None, "whitespace", "character") and not callable(split):
            raise ValueError(f"Invalid value for argument `split`. Received: split={split}")
        if not (ngrams is None or isinstance(ngrams, int) or
                (isinstance(ngrams, tuple) and all(isinstance(i, int) for i in ngrams))):
            raise ValueError("`ngrams` must be None, an integer, or a tuple of integers. "
                             f"Received: ngrams={ngrams}")
        if output_mode == "int" and not (output_sequence_length is None or (
                isinstance(output_sequence_length, int) and output_sequence_length > 0)):
            raise ValueError("`output_sequence_length` must be either None or an integer "
                             f"greater than 0. Received: "
                             f"output_sequence_length={output_sequence_length}")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError("`output_sequence_length` must not be set if `output_mode` is "
                             f"not 'int'. Received output_sequence_length="
                             f"{output_sequence_length}.")
        if ragged and output_mode != "int":
            raise ValueError("`ragged` must not be true if `output_mode` is "
                             f"`'int'`. Received: ragged={ragged} and "
                             f"output_mode={output_mode}")
        if ragged and output_sequence_length is not None:
            raise ValueError("`output_sequence_length` must not be set if ragged is True. "
                             f"Received: ragged={ragged} and output_sequence_length="
                             f"{output_sequence_length}")
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._ragged = ragged
        self._max_tokens = max_tokens
        self._pad_to_max_tokens = pad_to_max_tokens
        self._encoding = encoding
        self._sparse = sparse
        self.__dict__["sparse"] = sparse
        self.__dict__["_lookup_layer"] = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens,
            mask_token="" if output_mode == "int" else None,
            output_mode=output_mode, sparse=False, encoding=encoding,
            name=f"{self.name}_lookup")
        if sparse and output_mode == "int":
            raise ValueError("`sparse` may only be true if `output_mode` is `'one_hot'`, "
                             "`'multi_hot'`, `'count'` or `'tf_idf'`. Received: sparse=True "
                             f"and output_mode={output_mode}")
        self.built = True

    # -- vocabulary ---------------------------------------------------------------------
    def get_vocabulary(self, include_special_tokens=True):
        return self.__dict__["_lookup_layer"].get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self.__dict__["_lookup_layer"].vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        self.__dict__["_lookup_layer"].set_vocabulary(vocabulary, idf_weights)

    def save_own_variables(self, store):
        self.__dict__["_lookup_layer"].save_own_variables(store)

    def load_own_variables(self, store):
        self.__dict__["_lookup_layer"].load_own_variables(store)

    def save_assets(self, dir_path):
        self.__dict__["_lookup_layer"].save_assets(dir_path)

    def load_assets(self, dir_path):
        self.__dict__["_lookup_layer"].load_assets(dir_path)

    def _squeeze(self, a):
        if self._split is not None and a.ndim > 1:
            if a.shape[-1] != 1:
                raise ValueError("When using `TextVectorization` to tokenize strings, the "
                                 "input rank must be 1 or the last shape dimension must be 1. "
                                 f"Received: inputs.shape={a.shape} with rank={a.ndim}")
            a = a.reshape(a.shape[:-1])
        return a

    def _rows(self, inputs):
        """The token rows (lists of bytes) of ``inputs``, and whether it was a scalar."""
        if callable(self._standardize) or callable(self._split):
            return self._rows_callable(inputs)
        a = self._squeeze(_text_array(inputs))
        scalar = a.ndim == 0
        flat = a.reshape(-1).tolist()
        if self._split is None:
            if self._ngrams is not None:
                rows = [_tokens_of(s, self) for s in flat]
                return rows, scalar, a.shape
            rows = [[_tokens_of(s, self)[0]] for s in flat]
            return rows, scalar, a.shape
        return [_tokens_of(s, self) for s in flat], scalar, a.shape

    def _rows_callable(self, inputs):
        t = self._standardized(inputs)
        a = self._squeeze(_host_array(t)) if self._split is not None else _host_array(t)
        scalar = a.ndim == 0
        if callable(self._split):
            out = self._split(wrap(a))
            rows = out.to_list() if hasattr(out, "to_list") else _host_array(out).tolist()
            rows = [[_as_bytes(x) for x in r] for r in rows]
        else:
            rows = [_tokens_of(s, self, None) for s in a.reshape(-1).tolist()]
            return rows, scalar, a.shape
        if self._ngrams is not None:
            rows = [[b" ".join(r[i:i + n]) for n in self._ngrams
                     for i in range(len(r) - n + 1)] for r in rows]
        return rows, scalar, a.shape

    def adapt(self, data, batch_size=None, steps=None):
        lookup = self.__dict__["_lookup_layer"]
        counts, docs, ndocs = {}, {}, 0
        if isinstance(data, (TensorBase, np.ndarray, list, tuple, str, bytes)):
            batches = [data]
        else:
            batches = []
            for i, item in enumerate(data):
                if steps is not None and i >= steps:
                    break
                batches.append(item[0] if isinstance(item, tuple) else item)
        for b in batches:
            rows, scalar, _ = self._rows(b)
            flat = [t for r in rows for t in r]
            arr = np.empty(len(flat), object)
            arr[:] = flat
            lookup._count(arr, counts, docs, rows=rows)
            ndocs += len(rows)
        lookup._finish_adapt(counts, docs, ndocs)

    def _vectorize(self, rows, scalar, shape):
        lookup = self.__dict__["_lookup_layer"]
        ids = [lookup._ids(_objects(r)).tolist() for r in rows]
        if self._output_mode != "int":
            if self._split is None and self._ngrams is None:
                # unsplit strings are the tokens: encoded along the last axis (Keras)
                grid = np.asarray([r[0] for r in ids], np.int64).reshape(shape)
                mode = "count" if self._output_mode == "tf_idf" else self._output_mode
                dtype = np.float32 if self._output_mode == "tf_idf" else np.int64
                out = encode_categorical(grid, lookup._depth(), mode, dtype)
                if self._output_mode == "tf_idf":
                    out = (out * _fit(lookup.__dict__["_idf"], out.shape[-1])).astype(
                        np.float32)
                return out
            out = lookup._encode_rows(ids)
            return out[0] if scalar else out
        length = self._output_sequence_length
        if self._split is None and self._ngrams is None:
            out = np.asarray([r[0] for r in ids], np.int64).reshape(shape)
            if length is not None and out.ndim:
                out = out[..., :length]
                pad = length - out.shape[-1]
                if pad > 0:
                    out = np.concatenate([out, np.zeros(out.shape[:-1] + (pad,), np.int64)],
                                         -1)
            return out
        if length is None:
            length = max((len(r) for r in ids), default=0)
        out = np.zeros((len(ids), length), np.int64)
        for i, r in enumerate(ids):
            r = r[:length]
            out[i, :len(r)] = r
        return out[0] if scalar else out.reshape(tuple(shape) + (length,))

    def _call_host(self, a, standardized=False):
        if not standardized:
            rows, scalar, shape = self._rows(a)
            return self._vectorize(rows, scalar, shape)
        a = self._squeeze(_text_array(a))
        rows = [_tokens_of(s, self, None) for s in a.reshape(-1).tolist()]
        return self._vectorize(rows, a.ndim == 0, a.shape)

    def _from_tokens_host(self, values, splits):
        flat = _text_array(values).tolist()
        bounds = np.asarray(splits).tolist()
        rows = [flat[i:j] for i, j in zip(bounds[:-1], bounds[1:])]
        if self._ngrams is not None:
            rows = [[b" ".join(r[i:i + n]) for n in self._ngrams
                     for i in range(len(r) - n + 1)] for r in rows]
        return self._vectorize(rows, False, (len(rows),))

    def _standardized(self, inputs):
        """``inputs`` standardized with tensor ops (a callable's too), so traces record it."""
        from ... import strings  # deferred: only callables need the tensor string ops

        if isinstance(inputs, TensorBase) and inputs.dtype == dtypes.string:
            t = inputs  # kept as it is, so a tf.function trace follows it to the input
        else:
            t = convert_to_tensor(_text_array(inputs), dtypes.string)
        std = self._standardize
        if std in ("lower", "lower_and_strip_punctuation"):
            t = strings.lower(t)
        if std in ("strip_punctuation", "lower_and_strip_punctuation"):
            t = strings.regex_replace(t, r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']', "")
        if callable(std):
            t = std(t)
        return t

    def call(self, inputs):
        if not isinstance(inputs, TensorBase):
            inputs = convert_to_tensor(_host_array(inputs))
        if self._ragged:
            from ...ragged import RaggedTensor  # deferred: ragged output only

            rows, scalar, _ = self._rows(inputs)
            lookup = self.__dict__["_lookup_layer"]
            ids = [lookup._ids(_objects(r)).tolist() for r in rows]
            if scalar:
                return wrap(np.asarray(ids[0], np.int64))
            lengths = np.asarray([len(r) for r in ids], np.int64)
            values = np.asarray([x for r in ids for x in r], np.int64)
            return RaggedTensor.from_row_lengths(wrap(values), wrap(lengths))
        if callable(self._split):
            from ...ops.array import squeeze  # deferred: callable splits only

            t = self._standardized(inputs)
            if len(t.shape) > 1:
                if t.shape[-1] != 1:
                    self._squeeze(_text_array(t))  # raises Keras's error
                t = squeeze(t, -1)
            rt = self._split(t)
            if hasattr(rt, "flat_values") and hasattr(rt, "row_splits") and \
                    len(rt.shape) == 2:
                op = TEXT_FROM_TOKENS_PADDED if self._pads_to_longest() else TEXT_FROM_TOKENS
                return apply(op, (rt.flat_values, rt.row_splits), {"layer": self})
            return wrap(self._call_host(inputs))
        op = TEXT_VECTORIZE_PADDED if self._pads_to_longest() else TEXT_VECTORIZE
        if callable(self._standardize):
            return apply(op, (self._standardized(inputs),),
                         {"layer": self, "standardized": True})
        return apply(op, (inputs,), {"layer": self})

    def _pads_to_longest(self):
        """Whether int output is padded to each call's longest row (its shape then depends
        on the strings)."""
        return self._output_mode == "int" and self._split is not None and \
            self._output_sequence_length is None

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if self._split is not None and len(shape) > 1:
            shape = shape[:-1]
        if self._output_mode == "int":
            if self._split is None and self._ngrams is None:
                return shape
            return shape + (self._output_sequence_length,)
        depth = self._max_tokens if self._pad_to_max_tokens else self.vocabulary_size()
        return shape[:1] + (depth,)

    def get_config(self):
        lookup = self.__dict__["_lookup_layer"]
        lconf = lookup.get_config()
        return {**super().get_config(), "max_tokens": lookup.max_tokens,
                "standardize": self._standardize, "split": self._split,
                "ngrams": self._ngrams_arg, "output_mode": self._output_mode,
                "output_sequence_length": self._output_sequence_length,
                "pad_to_max_tokens": self._pad_to_max_tokens, "sparse": self._sparse,
                "ragged": self._ragged, "vocabulary": lconf["vocabulary"],
                "idf_weights": lconf["idf_weights"], "encoding": self._encoding,
                "vocabulary_size": self.vocabulary_size()}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)


def _text_fwd(a, layer, standardized=False):
    return layer._call_host(a, standardized)


def _tokens_fwd(values, splits, layer):
    return layer._from_tokens_host(values, splits)


TEXT_VECTORIZE = Op("TextVectorization", _text_fwd, None, None, same_dtype=False)
TEXT_FROM_TOKENS = Op("TextVectorizationFromTokens", _tokens_fwd, None, None,
                      same_dtype=False)
# the same, padding each call's rows to its longest one (int output, no sequence length):
# the output shape depends on the strings, so a tf.function trace runs eagerly
TEXT_VECTORIZE_PADDED = Op("TextVectorization", _text_fwd, None, None, same_dtype=False,
                           value_shaped=True)
TEXT_FROM_TOKENS_PADDED = Op("TextVectorizationFromTokens", _tokens_fwd, None, None,
                             same_dtype=False, value_shaped=True)
