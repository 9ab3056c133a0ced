"""``tf.ragged.stack_dynamic_partitions``: the rows of ``data`` grouped by partition number into
a ragged tensor with one row per partition (rows keep their order). The rows move through a
recorded gather, so gradients reach ``data``."""
from .. import dtypes
from ..backend import host as np
from ..errors import InvalidArgumentError
from ..ops.array import reshape
from ..tensor import TensorBase, convert_to_tensor
from ._tensor import RaggedTensor, _host, _index_tensor, _take

__all__ = ["stack_dynamic_partitions"]


def _shape_str(dims):
    return "(" + ", ".join(str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"


def stack_dynamic_partitions(data, partitions, num_partitions, name=None):
    """Row ``p`` of the result holds the items of ``data`` whose partition is ``p``, in order.

    ``partitions`` (int32/int64, dense or ragged) covers a prefix of ``data``'s dimensions;
    those dimensions are flattened into the items."""
    if not isinstance(data, (RaggedTensor, TensorBase)):
        data = convert_to_tensor(data)
    if not isinstance(partitions, (RaggedTensor, TensorBase)):
        partitions = convert_to_tensor(partitions)
    pvals = partitions.flat_values if isinstance(partitions, RaggedTensor) else partitions
    if pvals.dtype not in (dtypes.int32, dtypes.int64):
        raise ValueError("value_rowids must have dtype int32 or int64")
    num = int(num_partitions.numpy() if hasattr(num_partitions, "numpy") else num_partitions)
    if isinstance(partitions, RaggedTensor):
        for _ in range(partitions.ragged_rank):
            data = data.values
        prank = pvals.shape.rank
    else:
        prank = pvals.shape.rank
    p = _host(pvals).reshape(-1).astype(np.int64)
    if isinstance(data, RaggedTensor):
        if prank > 1:
            raise ValueError(f"Shapes {_shape_str(list(pvals.shape))} and "
                             f"{_shape_str(list(data.shape)[:prank])} are incompatible")
        items = data
        count = int(data.nrows().numpy())
    else:
        shape = list(data._v.shape)
        if shape[:prank] != list(pvals._v.shape):
            raise ValueError(f"Shapes {_shape_str(list(pvals._v.shape))} and "
                             f"{_shape_str(shape[:prank])} are incompatible")
        items = reshape(data, [-1] + shape[prank:])
        count = items._v.shape[0]
    if count != p.shape[0]:
        raise ValueError(f"Shapes {_shape_str([p.shape[0]])} and {_shape_str([count])} are "
                         "incompatible")
    if (p < 0).any():
        raise InvalidArgumentError(None, "stack_dynamic_partitions",
                                   "partitions must be non-negative.")
    if p.size and int(p.max()) >= num:
        raise InvalidArgumentError(None, "stack_dynamic_partitions",
                                   "partitions must be less than num_partitions")
    order = np.argsort(p, kind="stable")
    splits = np.concatenate([[0], np.cumsum(np.bincount(p, minlength=num)[:num])])
    return RaggedTensor.from_row_splits(_take(items, order),
                                        _index_tensor(splits, pvals.dtype.as_numpy_dtype),
                                        validate=False)
