"""``tf.sparse``: sparse tensors (``tf.sparse.SparseTensor``) and the ops on them."""
from ._ops import (
    add,
    concat,
    expand_dims,
    fill_empty_rows,
    from_dense,
    maximum,
    minimum,
    reduce_max,
    reduce_sum,
    reorder,
    reshape,
    retain,
    slice,
    sparse_dense_matmul,
    to_dense,
    to_indicator,
    transpose,
)
from ._tensor import SparseTensor, SparseTensorSpec

__all__ = ["SparseTensor", "SparseTensorSpec", "add", "concat", "expand_dims",
           "fill_empty_rows", "from_dense", "maximum", "minimum", "reduce_max", "reduce_sum",
           "reorder", "reshape", "retain", "slice", "sparse_dense_matmul", "to_dense",
           "to_indicator", "transpose"]
