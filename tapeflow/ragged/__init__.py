"""``tf.ragged``: ragged tensors (``tf.RaggedTensor``) and the functions that make them."""
from ._cross import cross, cross_hashed
from ._ops import (
    boolean_mask,
    constant,
    constant_value,
    map_flat_values,
    ragged_range,
    row_splits_to_segment_ids,
    segment_ids_to_row_splits,
    stack,
)
from ._partitions import stack_dynamic_partitions
from ._tensor import RaggedTensor, RaggedTensorSpec  # noqa: F401

range = ragged_range  # TF's name (tf.ragged.range)

__all__ = ["boolean_mask", "constant", "constant_value", "cross", "cross_hashed",
           "map_flat_values", "range", "row_splits_to_segment_ids", "segment_ids_to_row_splits",
           "stack", "stack_dynamic_partitions"]
