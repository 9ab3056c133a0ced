"""More ``tf.sparse`` functions: ``bincount`` (counts as a SparseTensor), ``mask`` (drop rows of
``IndexedSlices``), ``cross``/``cross_hashed`` (feature crosses; the crossing itself lives in
``ragged/_cross.py``) and ``sampled_addmm`` (a matrix product sampled at sparse positions).

``mask`` and ``sampled_addmm`` move values with recorded ops, so they are differentiable;
``bincount`` and the crosses are host bookkeeping, as TF's kernels have no gradients.
"""
from .. import dtypes
from ..backend import host as np
from ..errors import InvalidArgumentError
from ..ops.array import concat
from ..ops.indexing import IndexedSlices, gather, gather_nd
from ..ops.linalg import matrix_transpose
from ..ops.reduction import reduce_sum
from ..ragged._cross import (
    DEFAULT_HASH_KEY,
    _cast_input,
    _check_buckets,
    _is_sparse,
    _values_tensor,
    crossed_rows,
)
from ..ragged._tensor import RaggedTensor
from ..tensor import TensorBase, const, convert_to_tensor
from ._tensor import SparseTensor, _host, sparse_const

__all__ = ["bincount", "mask", "cross", "cross_hashed", "sampled_addmm"]


def _t(x, dtype=None):
    return x if isinstance(x, TensorBase) else convert_to_tensor(x, dtype)


# -- bincount ---------------------------------------------------------------------------------
def _count_inputs(values, weights):
    """(op name, host values, host weights or None, row of each value or None, rows, dtype)."""
    if isinstance(values, SparseTensor):
        if weights is not None and not isinstance(weights, SparseTensor):
            raise ValueError("Argument `weights` must be a SparseTensor if `values` is a "
                             f"SparseTensor. Received weights={weights} of type: "
                             f"{type(weights).__name__}")
        idx = _host(values.indices)
        rows = idx[:, 0] if idx.ndim == 2 and idx.shape[1] >= 1 else None
        nrows = int(_host(values.dense_shape)[0]) if rows is not None else None
        w = None if weights is None else weights.values
        return "SparseCountSparseOutput", values.values, w, rows, nrows, idx.shape[1]
    if isinstance(values, RaggedTensor):
        if weights is not None and not isinstance(weights, RaggedTensor):
            raise ValueError("Argument `weights` must be a RaggedTensor if `values` is a "
                             f"RaggedTensor. Received weights={weights} of type: "
                             f"{type(weights).__name__}")
        splits = _host(values.row_splits)
        rows = np.repeat(np.arange(len(splits) - 1), np.diff(splits))
        w = None if weights is None else weights.flat_values
        return "RaggedCountSparseOutput", values.flat_values, w, rows, len(splits) - 1, 2
    values = _t(values)
    if weights is not None:
        weights = _t(weights)
    return "DenseCountSparseOutput", values, weights, None, None, values._v.ndim


def bincount(values, weights=None, axis=0, minlength=None, maxlength=None,
             binary_output=False, name=None):
    """Counts of each non-negative integer in ``values`` (``axis=0``: over everything;
    ``axis=-1``: per row of a rank-2 input), as a SparseTensor ``[(rows,) size]``: ``size`` is
    ``maxlength`` when given, else ``max(max(values) + 1, minlength)``. With ``weights`` the
    weights are summed instead; ``binary_output`` records presence (1)."""
    if weights is not None and binary_output:
        raise ValueError("Arguments `binary_output` and `weights` are mutually exclusive. "
                         "Please specify only one.")
    if axis is None:
        axis = 0
    if axis not in (0, -1):
        raise ValueError(f"Unsupported value for argument axis={axis}. Only 0 and -1 are "
                         "currently supported.")
    opname, vals, w, rows, nrows, rank = _count_inputs(values, weights)
    if vals.dtype not in (dtypes.int32, dtypes.int64):
        raise InvalidArgumentError(
            None, opname, f"Value for attr 'T' of {vals.dtype.name} is not in the list of "
            f"allowed values: int32, int64 [Op:{opname}]")
    for what, v in (("minlength", minlength), ("maxlength", maxlength)):
        if v is not None and int(v) < -1:
            raise InvalidArgumentError(
                None, opname, f"Value for attr '{what}' of {int(v)} must be at least minimum -1 "
                f"[Op:{opname}]")
    v = _host(vals)
    wv = None if w is None else _host(w)
    if opname == "DenseCountSparseOutput":
        if wv is not None and wv.shape != v.shape:
            raise InvalidArgumentError(
                None, opname, "Weights and data must have the same shape. Weight shape: "
                f"{list(wv.shape)}; data shape: {list(v.shape)} [Op:{opname}]")
        if axis == -1 and v.ndim not in (1, 2):
            raise InvalidArgumentError(
                None, opname, "Input must be a 1 or 2-dimensional tensor. Got: "
                f"[{','.join(str(d) for d in v.shape)}] [Op:{opname}]")
        if axis == -1 and v.ndim == 2:
            nrows = v.shape[0]
            rows = np.repeat(np.arange(nrows), v.shape[1])
    elif wv is not None and wv.shape != v.shape:
        raise InvalidArgumentError(
            None, opname, f"Weights and values must have the same shape. Weight shape: "
            f"{list(wv.shape)}; values shape: {list(v.shape)} [Op:{opname}]")
    batched = axis == -1 and rows is not None and rank == 2
    v = v.reshape(-1).astype(np.int64)
    wv = None if wv is None else wv.reshape(-1)
    if (v < 0).any():
        raise InvalidArgumentError(None, opname,
                                   f"Input values must all be non-negative [Op:{opname}]")
    if maxlength is not None and int(maxlength) >= 0:
        size = int(maxlength)
    else:
        size = max(int(v.max()) + 1 if v.size else 1, int(minlength or 0))
    keep = v < size
    row = rows[keep].astype(np.int64) if batched else np.zeros(int(keep.sum()), np.int64)
    v = v[keep]
    out_dtype = vals.dtype if w is None else w.dtype
    key = row * max(size, 1) + v
    uniq, inverse = np.unique(key, return_inverse=True)
    if binary_output:
        counts = np.ones(uniq.shape[0])
    elif wv is None:
        counts = np.bincount(inverse, minlength=uniq.shape[0])
    else:
        counts = np.zeros(uniq.shape[0], wv.dtype)
        np.add.at(counts, inverse, wv[keep])
    bins = uniq % max(size, 1)
    out_vals = const(np.asarray(counts).astype(out_dtype.as_numpy_dtype))
    if batched:
        return sparse_const(np.stack([uniq // max(size, 1), bins], 1), out_vals, [nrows, size])
    return sparse_const(bins.reshape(-1, 1), out_vals, [size])


# -- mask -------------------------------------------------------------------------------------
def mask(a, mask_indices, name=None):
    """The rows of the ``IndexedSlices`` ``a`` whose index is not in ``mask_indices``."""
    idx = _host(a.indices)
    drop = np.asarray(_host(_t(mask_indices))).reshape(-1)
    keep = np.nonzero(~np.isin(idx, drop))[0]
    values = gather(a.values, const(keep.astype(np.int64)))
    return IndexedSlices(values, const(idx[keep]), a.dense_shape)


# -- cross ------------------------------------------------------------------------------------
def _sparse_cross(inputs, hashed, num_buckets, hash_key, separator):
    if not isinstance(inputs, (list, tuple)):
        raise TypeError("Inputs must be a list")
    converted = []
    for i, x in enumerate(inputs):
        if not (isinstance(x, TensorBase) or _is_sparse(x)):
            raise TypeError("All inputs must be Tensor or SparseTensor.")
        converted.append(_cast_input(x, False, i))
    # TF's kernel takes the sparse inputs first, then the dense ones
    ordered = [x for x in converted if _is_sparse(x)] + [x for x in converted
                                                          if not _is_sparse(x)]
    splits, values = crossed_rows(ordered, hashed, num_buckets, hash_key, separator, False)
    counts = np.diff(splits)
    rows = np.repeat(np.arange(len(counts)), counts)
    cols = np.arange(len(values)) - np.repeat(splits[:-1], counts)
    width = int(counts.max()) if counts.size else 0
    return sparse_const(np.stack([rows, cols], 1).astype(np.int64),
                        _values_tensor(values, hashed), [len(counts), width])


def cross(inputs, name=None, separator=None):
    """Row-wise cross of rank-2 sparse or dense string/integer inputs as a string
    SparseTensor (features joined by ``separator``, ``"_X_"`` by default; sparse inputs
    come first in each cross, then dense ones)."""
    return _sparse_cross(inputs, False, 0, 0, "_X_" if separator is None else separator)


def cross_hashed(inputs, num_buckets=0, hash_key=None, name=None):
    """``cross`` with each combination hashed (FarmHash FingerprintCat64 chain from
    ``hash_key``) into ``[0, num_buckets)``, or into int64 when ``num_buckets`` is 0."""
    _check_buckets(num_buckets, "SparseCross")
    return _sparse_cross(inputs, True, int(num_buckets), int(hash_key or DEFAULT_HASH_KEY),
                         "_X_")


# -- sampled_addmm ----------------------------------------------------------------------------
def sampled_addmm(indices, values, dense_shape, mat1, mat2, beta=1.0, alpha=1.0,
                  output_type=dtypes.float32):
    """``alpha * (mat1 @ mat2)`` at ``indices`` plus ``beta * values``, returned as the
    components ``(indices, values, dense_shape)`` of the result; batch dimensions lead."""
    indices = _t(indices)
    values = convert_to_tensor(values, output_type)
    dense_shape = convert_to_tensor(dense_shape, dtypes.int32)
    mat1 = convert_to_tensor(mat1, output_type)
    mat2 = convert_to_tensor(mat2, output_type)
    output_shape = const(np.asarray([mat1._v.shape[-2], mat2._v.shape[-1]], np.int32))
    if not np.array_equal(_host(dense_shape), _host(output_shape)):
        raise ValueError(f"Dense shape: {dense_shape} does not match output shape: "
                         f"{output_shape}")
    batch_dims = mat1._v.ndim - 2
    row_idx = indices[..., :-1]
    col_idx = concat([indices[..., :-2], indices[..., -1:]], -1)
    rows = gather_nd(mat1, row_idx, batch_dims=batch_dims)
    cols = gather_nd(matrix_transpose(mat2), col_idx, batch_dims=batch_dims)
    dot = reduce_sum(rows * cols, axis=-1)
    return indices, dot * alpha + values * beta, dense_shape
