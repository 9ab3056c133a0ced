"""Feature crosses (``tf.ragged.cross``/``cross_hashed`` here, ``tf.sparse.cross``/
``cross_hashed`` through ``sparse._ops``): for each batch row, every combination of one feature
from each input, joined into a string or hashed with FarmHash's ``FingerprintCat64`` chain.

An input is a rank-2 dense tensor, ``SparseTensor`` or ``RaggedTensor``; each is reduced to a
column (row splits plus a Python list of its features, bytes or ints) on the host.
"""
import itertools

from .. import dtypes
from ..backend import host as np
from ..errors import InvalidArgumentError
from ..ops.math import cast
from ..strings._hash import _shift_mix, fingerprint64
from ..tensor import TensorBase, const, convert_to_tensor
from ._tensor import RaggedTensor, _host

__all__ = ["cross", "cross_hashed"]

_M = (1 << 64) - 1
_MUL = 0xC6A4A7935BD1E995
_INT64_MAX = (1 << 63) - 1
DEFAULT_HASH_KEY = 0xDECAFCAFFE


def fingerprint_cat64(fp1, fp2):
    """FarmHash's ``FingerprintCat64``: two 64-bit fingerprints combined into one."""
    r = fp1 ^ _MUL
    r ^= (_shift_mix((fp2 * _MUL) & _M) * _MUL) & _M
    r = (r * _MUL) & _M
    r = (_shift_mix(r) * _MUL) & _M
    return _shift_mix(r)


def _is_sparse(x):
    return type(x).__name__ == "SparseTensor" and hasattr(x, "dense_shape")


def _features(values):
    """Host features of a 1-D string or int64 tensor as a list of bytes or ints."""
    v = _host(values)
    if values.dtype == dtypes.string:
        return [s if isinstance(s, bytes) else str(s).encode() for s in v.tolist()]
    return [int(i) for i in v.tolist()]


def _sparse_column(sp, opname, position):
    idx = np.asarray(_host(sp.indices), np.int64).reshape(-1, np.shape(_host(sp.indices))[-1])
    if idx.shape[1] != 2:
        raise InvalidArgumentError(
            None, opname, f"Expected D2 of index to be 2 got {idx.shape[1]} at position "
            f"{position} [Op:{opname}]")
    batch = int(np.asarray(_host(sp.dense_shape))[0])
    rows = idx[:, 0]
    order = np.argsort(rows, kind="stable")
    feats = _features(sp.values)
    counts = np.bincount(rows, minlength=batch)[:batch] if rows.size else np.zeros(batch, int)
    splits = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return batch, splits, [feats[i] for i in order.tolist()]


def _dense_column(t, opname, position, ragged_op):
    shape = list(t._v.shape)
    if len(shape) != 2:
        if ragged_op:
            raise InvalidArgumentError(None, opname, "tf.ragged.cross only supports inputs with "
                                       f"rank=2. [Op:{opname}]")
        raise InvalidArgumentError(
            None, opname, f"Dense inputs should be a matrix but received shape {shape} at "
            f"position {position} [Op:{opname}]")
    splits = np.arange(shape[0] + 1, dtype=np.int64) * shape[1]
    return shape[0], splits, _features(convert_to_tensor(t._v.reshape(-1)))


def _ragged_column(rt):
    if rt.ragged_rank != 1 or rt.flat_values.shape.rank != 1:
        raise ValueError("tf.ragged.cross only supports inputs with rank=2")
    splits = np.asarray(_host(rt.row_splits), np.int64)
    return len(splits) - 1, splits, _features(rt.flat_values)


def _cast_input(x, ragged_op, i):
    """Strings and int64 stay; other integers (and, for ``tf.sparse``, any dtype) go int64."""
    values = x.flat_values if isinstance(x, RaggedTensor) else x.values if _is_sparse(x) else x
    dt = values.dtype
    if dt in (dtypes.string, dtypes.int64):
        return x
    if ragged_op and dt != dtypes.int32:
        raise ValueError(f"Unexpected dtype for inputs[{i}]: {dt}")
    if isinstance(x, RaggedTensor):
        return x.with_flat_values(cast(x.flat_values, dtypes.int64))
    if _is_sparse(x):
        return type(x)(x.indices, cast(x.values, dtypes.int64), x.dense_shape)
    return cast(x, dtypes.int64)


def crossed_rows(inputs, hashed, num_buckets, hash_key, separator, ragged_op):
    """Row splits and values (a list) of the cross of ``inputs`` (already in crossing order)."""
    opname = "RaggedCross" if ragged_op else "SparseCrossV2"
    columns = []
    batch = None
    dense_count = 0
    for i, x in enumerate(inputs):
        if isinstance(x, RaggedTensor):
            b, splits, feats = _ragged_column(x)
        elif _is_sparse(x):
            b, splits, feats = _sparse_column(x, opname, i)
        else:
            b, splits, feats = _dense_column(x, opname, dense_count, ragged_op)
        if batch is not None and b != batch:
            if ragged_op:
                raise InvalidArgumentError(None, opname, "inputs must all have the same batch "
                                           f"dimension size. [Op:{opname}]")
            where = f"dense tensor {dense_count}" if not (
                isinstance(x, RaggedTensor) or _is_sparse(x)) else f"position {i}"
            raise InvalidArgumentError(None, opname, f"Expected batch size {batch} got {b} at "
                                       f"{where} [Op:{opname}]")
        if not (isinstance(x, RaggedTensor) or _is_sparse(x)):
            dense_count += 1
        batch = b
        columns.append((splits, feats))
    batch = batch or 0
    if hashed:
        columns = [(s, [fingerprint64(f) if isinstance(f, bytes) else f & _M for f in feats])
                   for s, feats in columns]
    elif columns:
        columns = [(s, [f if isinstance(f, bytes) else str(f).encode() for f in feats])
                   for s, feats in columns]
    sep = separator.encode() if isinstance(separator, str) else separator
    out_splits = [0]
    out = []
    for b in range(batch):
        per = [feats[int(s[b]):int(s[b + 1])] for s, feats in columns]
        for combo in itertools.product(*per):
            if hashed:
                h = hash_key
                for f in combo:
                    h = fingerprint_cat64(h, f)
                out.append(h % num_buckets if num_buckets > 0 else h % _INT64_MAX)
            else:
                out.append(sep.join(combo))
        out_splits.append(len(out))
    return np.asarray(out_splits, np.int64), out


def _values_tensor(values, hashed):
    if hashed:
        return const(np.asarray(values, np.int64).reshape(-1))
    return convert_to_tensor(np.asarray(values, dtype=object).reshape(-1), dtypes.string)


def _ragged_inputs(inputs):
    if not isinstance(inputs, (list, tuple)):
        raise TypeError("Inputs must be a list")
    out = []
    for i, x in enumerate(inputs):
        if not (isinstance(x, (RaggedTensor, TensorBase)) or _is_sparse(x)):
            x = convert_to_tensor(x)
        out.append(_cast_input(x, True, i))
    return out


def _ragged_cross(inputs, hashed, num_buckets, hash_key):
    inputs = _ragged_inputs(inputs)
    splits, values = crossed_rows(inputs, hashed, num_buckets, hash_key, "_X_", True)
    ragged = [x.row_splits.dtype for x in inputs if isinstance(x, RaggedTensor)]
    if ragged and all(d == dtypes.int32 for d in ragged):
        splits = splits.astype(np.int32)
    return RaggedTensor.from_row_splits(_values_tensor(values, hashed), const(splits))


def cross(inputs, name=None):
    """Row-wise cross of rank-2 ragged, sparse or dense string/integer inputs, as a ragged
    string tensor of features joined by ``"_X_"``."""
    return _ragged_cross(inputs, False, 0, 0)


def cross_hashed(inputs, num_buckets=0, hash_key=None, name=None):
    """``cross`` with each combination hashed (FingerprintCat64 of the features' Fingerprint64
    from ``hash_key``) into ``[0, num_buckets)``, or into int64 when ``num_buckets`` is 0."""
    _check_buckets(num_buckets, "RaggedCross")
    return _ragged_cross(inputs, True, int(num_buckets), int(hash_key or DEFAULT_HASH_KEY))


def _check_buckets(num_buckets, opname):
    if int(num_buckets) < 0:
        raise InvalidArgumentError(None, opname, f"Value for attr 'num_buckets' of "
                                   f"{int(num_buckets)} must be at least minimum 0")
