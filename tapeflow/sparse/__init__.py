"""``tf.sparse``: sparse tensors (``tf.sparse.SparseTensor``) and the ops on them."""
from ._more import bincount, cross, cross_hashed, mask, sampled_addmm
from ._ops import (
    add,
    concat,
    expand_dims,
    eye,
    fill_empty_rows,
    from_dense,
    map_values,
    maximum,
    minimum,
    reduce_max,
    reduce_sum,
    reorder,
    reset_shape,
    reshape,
    retain,
    segment_mean,
    segment_sqrt_n,
    segment_sum,
    slice,
    softmax,
    sparse_dense_matmul,
    split,
    to_dense,
    to_indicator,
    transpose,
)
from ._tensor import SparseTensor, SparseTensorSpec

__all__ = ["SparseTensor", "SparseTensorSpec", "add", "bincount", "concat", "cross",
           "cross_hashed", "expand_dims", "eye", "fill_empty_rows", "from_dense", "map_values",
           "mask", "maximum", "minimum", "reduce_max", "reduce_sum", "reorder", "reset_shape",
           "reshape", "retain", "sampled_addmm", "segment_mean", "segment_sqrt_n", "segment_sum",
           "slice", "softmax", "sparse_dense_matmul", "split", "to_dense", "to_indicator",
           "transpose"]
