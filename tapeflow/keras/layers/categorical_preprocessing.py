"""Categorical preprocessing layers: ``Hashing``, ``HashedCrossing``, ``CategoryEncoding`` and
``Discretization`` (Keras 3's, computed on the host in one recorded ``Op`` per call)."""
from ...backend import host as np
from ...ops._core import Op, apply
from ...tensor import TensorBase, convert_to_tensor
from .text_preprocessing import _as_bytes, _batches, _host_array, encode_categorical
from .text_preprocessing import _Preprocessing as Layer

_ENCODINGS = ("int", "one_hot", "multi_hot", "count")


def _np_dtype(name):
    return np.dtype(getattr(name, "name", name) or "float32")


# -- Hashing ------------------------------------------------------------------------------
def _hash_fwd(a, layer):
    return layer._hash_host(a)


HASHING = Op("Hashing", _hash_fwd, None, None, same_dtype=False)


class Hashing(Layer):
    """Hashes values into ``num_bins`` bins: FarmHash Fingerprint64 (TF's
    ``to_hash_bucket_fast``), or keyed SipHash-2-4 when ``salt`` is given."""

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        if "dtype" not in kwargs or kwargs["dtype"] is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else "float32"
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError("The `num_bins` for `Hashing` cannot be `None` or non-positive "
                             f"values. Received: num_bins={num_bins}.")
        if output_mode not in _ENCODINGS:
            raise ValueError("Invalid value for argument `output_mode`. Expected one of "
                             f"{_ENCODINGS}. Received: output_mode={output_mode}")
        if sparse and output_mode == "int":
            raise ValueError("`sparse` may only be true if `output_mode` is `\"one_hot\"`, "
                             "`\"multi_hot\"`, or `\"count\"`. Received: sparse=True and "
                             f"output_mode={output_mode}")
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = list(salt)
            elif isinstance(salt, int):
                salt = [salt, salt]
            else:
                raise ValueError("The `salt` argument for `Hashing` can only be a tuple of "
                                 f"size 2 integers, or a single integer. Received: "
                                 f"salt={salt}.")
        self.num_bins, self.mask_value, self.salt = num_bins, mask_value, salt
        self.output_mode, self.sparse = output_mode, sparse
        self.built = True

    def _hash_host(self, a):
        from ...strings import _hash  # deferred: keeps tapeflow.strings out of keras's import

        a = _host_array(a)
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mv = _as_bytes(self.mask_value) if a.dtype == object else self.mask_value
            mask = np.vectorize(lambda v: v == mv, otypes=[bool])(a) if a.size else \
                np.zeros(a.shape, bool)
        if a.dtype.kind == "f":
            a = a.astype(np.int64)
        flat = a.ravel().tolist()
        if a.dtype != object:
            flat = [str(v).encode() for v in flat]
        if self.salt is None:
            h = _hash.fingerprint64_many(flat) % np.uint64(bins)
            out = h.astype(np.int64)
        else:
            k0, k1 = (int(k) & ((1 << 64) - 1) for k in self.salt)
            out = np.asarray([_hash.siphash24(k0, k1, s) % bins for s in flat], np.int64)
        out = out.reshape(a.shape)
        if mask is not None:
            out = np.where(mask, 0, out + 1)
        if self.output_mode == "int":
            return out.astype(_np_dtype(self.dtype))
        return encode_categorical(out, self.num_bins, self.output_mode,
                                  _np_dtype(self.dtype))

    def call(self, inputs):
        if not isinstance(inputs, TensorBase):
            inputs = convert_to_tensor(_host_array(inputs))
        return apply(HASHING, (inputs,), {"layer": self})

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode,
                "sparse": self.sparse}


# -- CategoryEncoding -----------------------------------------------------------------------
def _category_fwd(a, *w, layer):
    return layer._encode_host(a, w[0] if w else None)


CATEGORY_ENCODING = Op("CategoryEncoding", _category_fwd, None, None, same_dtype=False)


class CategoryEncoding(Layer):
    """Integer indices to one-hot, multi-hot or count vectors of ``num_tokens``."""

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in ("count", "one_hot", "multi_hot"):
            raise ValueError(f"Unknown arg for output_mode: {output_mode}")
        if num_tokens is None:
            raise ValueError("num_tokens must be set to use this layer. If the number of "
                             "tokens is not known beforehand, use the IntegerLookup layer "
                             "instead.")
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        self.num_tokens, self.output_mode, self.sparse = num_tokens, output_mode, sparse
        self.built = True

    def _encode_host(self, a, weights):
        return encode_categorical(np.asarray(a).astype(np.int64), self.num_tokens,
                                  self.output_mode, _np_dtype(self.dtype),
                                  count_weights=weights)

    def call(self, inputs, count_weights=None):
        if not isinstance(inputs, TensorBase):
            inputs = convert_to_tensor(np.asarray(inputs))
        if count_weights is not None and self.output_mode != "count":
            raise ValueError("`count_weights` is not used when `output_mode` is not "
                             f"`'count'`. Received `count_weights={count_weights}`.")
        ins = (inputs,) if count_weights is None else (inputs, count_weights)
        return apply(CATEGORY_ENCODING, ins, {"layer": self})

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if not shape:
            return (self.num_tokens,)
        if self.output_mode == "one_hot":
            if shape[-1] != 1:
                return shape + (self.num_tokens,)
            return shape[:-1] + (self.num_tokens,)
        return shape[:-1] + (self.num_tokens,)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens,
                "output_mode": self.output_mode}


# -- Discretization -------------------------------------------------------------------------
def _summary(values, epsilon):
    """A weighted summary of ``values``: about ``1/epsilon`` evenly spaced order
    statistics, each carrying the weight of the stretch it stands for."""
    v = np.sort(np.reshape(values, -1))
    step = max(v.size * epsilon, 1)
    picked = v[int(step - 1)::int(step)]
    return np.stack([picked, np.full(picked.shape, float(step))])


def _compress(summary, epsilon):
    if summary.shape[1] * epsilon < 1:
        return summary
    targets = np.arange(0.0, 1.0, epsilon) + epsilon
    cum = np.cumsum(summary[1])
    frac = cum / cum[-1]
    points = np.interp(targets, frac, summary[0])
    at = np.interp(targets, frac, cum)
    weights = np.diff(np.concatenate([[0.0], at]))
    return np.stack([points, weights]).astype(np.float32)


def _merge(a, b, epsilon):
    both = np.concatenate([a, b], axis=1)
    both = both[:, np.argsort(both[0])]
    return _compress(both, epsilon)


def _discretize_fwd(a, layer):
    return layer._bucketize_host(a)


DISCRETIZE = Op("Discretization", _discretize_fwd, None, None, same_dtype=False)


class Discretization(Layer):
    """Buckets continuous values by ``bin_boundaries`` (given, or learned by ``adapt`` as
    approximate quantiles for ``num_bins`` bins)."""

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, dtype=None, name=None, **kwargs):
        if dtype is None:
            dtype = "int64" if output_mode == "int" else "float32"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse and output_mode == "int":
            raise ValueError("`sparse=True` may only be used if `output_mode` is `'one_hot'`, "
                             "`'multi_hot'`, or `'count'`. Received: sparse=True and "
                             f"output_mode={output_mode}")
        if output_mode not in _ENCODINGS:
            raise ValueError("Invalid value for argument `output_mode`. Expected one of "
                             f"{list(_ENCODINGS)}. Received: output_mode={output_mode}")
        if num_bins is not None and num_bins < 0:
            raise ValueError("`num_bins` must be greater than or equal to 0. "
                             f"Received: `num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None:
            if len(bin_boundaries) != num_bins - 1:
                raise ValueError("Both `num_bins` and `bin_boundaries` should not be set. "
                                 f"Received: `num_bins={num_bins}` and "
                                 f"`bin_boundaries={bin_boundaries}`")
        self.input_bin_boundaries = bin_boundaries
        self.bin_boundaries = list(bin_boundaries) if bin_boundaries is not None else []
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = sparse
        self.__dict__["_summary"] = None
        self.built = True

    def adapt(self, data, steps=None, batch_size=None):
        if self.num_bins is None:
            raise ValueError("Cannot adapt a Discretization layer that has been initialized "
                             "with `bin_boundaries`, use `num_bins` instead.")
        summary = np.zeros((2, 0))
        for b in _batches(data, steps):
            summary = _merge(summary, _summary(np.asarray(b, np.float64), self.epsilon),
                             self.epsilon)
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def _bucketize_host(self, a):
        a = np.asarray(a)
        ids = np.searchsorted(np.asarray(self.bin_boundaries, np.float64 if a.dtype.kind == "f"
                                         and a.dtype.itemsize == 8 else np.float32),
                              a, side="right").astype(np.int64)
        depth = len(self.bin_boundaries) + 1
        if self.output_mode == "int":
            return ids.astype(np.int32)  # Keras 3.15 gives int32 whatever the layer dtype
        return encode_categorical(ids, depth, self.output_mode, _np_dtype(self.dtype))

    def call(self, inputs):
        if not isinstance(inputs, TensorBase):
            inputs = convert_to_tensor(np.asarray(inputs))
        return apply(DISCRETIZE, (inputs,), {"layer": self})

    def get_config(self):
        return {**super().get_config(), "bin_boundaries": self.bin_boundaries,
                "num_bins": self.num_bins, "epsilon": self.epsilon,
                "output_mode": self.output_mode, "sparse": self.sparse}


# -- HashedCrossing -------------------------------------------------------------------------
_CROSS_KEY = np.uint64(0xDECAFCAFFE)  # tf.sparse.cross_hashed's default hash key
_MUL = np.uint64(0xC6A4A7935BD1E995)


def _shift_mix(v):
    return v ^ (v >> np.uint64(47))


def _fingerprint_cat64(fp1, fp2):
    """TF's ``FingerprintCat64`` of two uint64 arrays (NumPy's uint64 arithmetic wraps)."""
    with np.errstate(over="ignore"):
        result = fp1 ^ _MUL
        result = result ^ (_shift_mix(fp2 * _MUL) * _MUL)
        result = result * _MUL
        return _shift_mix(_shift_mix(result) * _MUL)


def _feature_hashes(a):
    """Each value's uint64 as ``cross_hashed`` sees it: integers as they are, strings by
    FarmHash Fingerprint64."""
    from ...strings import _hash  # deferred: keeps tapeflow.strings out of keras's import

    if a.dtype == object or a.dtype.kind in "SU":
        return _hash.fingerprint64_many([_as_bytes(v) for v in a.ravel().tolist()]).reshape(
            a.shape)
    return a.astype(np.int64).view(np.uint64)


def _cross_fwd(*arrays, layer):
    return layer._cross_host(arrays)


HASHED_CROSSING = Op("HashedCrossing", _cross_fwd, None, None, same_dtype=False)


class HashedCrossing(Layer):
    """Crosses two or more categorical features (one value each per example) and hashes
    the combination into ``num_bins`` bins, as ``tf.sparse.cross_hashed`` does; the bin
    ids come out as integers or one-hot vectors."""

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None,
                 **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if output_mode not in ("int", "one_hot"):
            raise ValueError("Invalid value for argument `output_mode`. Expected one of "
                             f"('int', 'one_hot'). Received: output_mode={output_mode}")
        self.num_bins, self.output_mode, self.sparse = num_bins, output_mode, sparse
        self.built = True

    def _cross_host(self, arrays):
        arrays = [_host_array(a) for a in arrays]
        shape = arrays[0].shape
        hashed = np.full(arrays[0].size, _CROSS_KEY, np.uint64)
        for a in arrays:
            hashed = _fingerprint_cat64(hashed, _feature_hashes(a).reshape(-1))
        out = (hashed % np.uint64(self.num_bins)).astype(np.int64).reshape(shape)
        return encode_categorical(out, self.num_bins, self.output_mode, _np_dtype(self.dtype))

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError("`HashedCrossing` should be called on a list or tuple of inputs. "
                             f"Received: inputs={inputs}")
        if len(inputs) < 2:
            raise ValueError("`HashedCrossing` should be called on at least two inputs. "
                             f"Received: inputs={inputs}")
        inputs = [x if isinstance(x, TensorBase) else convert_to_tensor(_host_array(x))
                  for x in inputs]
        first = tuple(inputs[0].shape)
        if len(first) > 2 or (len(first) == 2 and first[-1] != 1):
            raise ValueError("All `HashedCrossing` inputs should have shape `()`, "
                             f"`(batch_size)` or `(batch_size, 1)`. Received: inputs={inputs}")
        if not all(tuple(x.shape) == first for x in inputs[1:]):
            raise ValueError("All `HashedCrossing` inputs should have equal shape. "
                             f"Received: inputs={inputs}")
        return apply(HASHED_CROSSING, tuple(inputs), {"layer": self})

    def compute_output_shape(self, input_shape):
        first = tuple(input_shape[0])
        if self.output_mode == "int":
            return first
        if first and first[-1] == 1:
            return first[:-1] + (self.num_bins,)
        return first + (self.num_bins,)

    def get_config(self):
        return {"num_bins": self.num_bins, "output_mode": self.output_mode,
                "sparse": self.sparse, "name": self.name,
                "dtype": self.__dict__.get("_policy") or self.dtype}
