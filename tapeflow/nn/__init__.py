"""``tf.nn``: activations, softmax, cross-entropies on logits, dropout, moments."""
from .. import _replicas
from ..ops.conv import *  # noqa: F403
from ..ops.conv3d import avg_pool3d, conv3d, conv3d_transpose, max_pool3d  # noqa: F401
from ..ops.extra import (  # noqa: F401
    crelu,
    depth_to_space,
    in_top_k,
    log_poisson_loss,
    normalize_moments,
    space_to_depth,
    sufficient_statistics,
    weighted_moments,
    zero_fraction,
)
from ..ops.indexing import embedding_lookup  # noqa: F401
from ..ops.math import multiply as _multiply
from ..ops.nn import *  # noqa: F403
from ..ops.pooling import *  # noqa: F403
from ..ops.reduction import reduce_sum as _reduce_sum
from ..ops.sorting import top_k  # noqa: F401
from ..tensor import TensorBase as _TensorBase
from ..tensor import convert_to_tensor as _convert


def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None):
    """``tf.nn.compute_average_loss``: the sum of the (weighted) per-example losses over the
    global batch size (this replica's batch times ``num_replicas_in_sync`` unless given), so
    that summing it over the replicas gives the global mean (see ``tf.distribute``)."""
    loss = per_example_loss if isinstance(per_example_loss, _TensorBase) else \
        _convert(per_example_loss)
    if sample_weight is not None:
        loss = _multiply(loss, _convert(sample_weight, dtype=loss.dtype))
    if global_batch_size is None:
        n = int(loss.shape[0]) if loss.shape.rank else 1
        global_batch_size = n * _replicas.num_replicas_in_sync()
    total = _reduce_sum(loss)
    return total / float(global_batch_size) if global_batch_size else total * 0.0


def scale_regularization_loss(regularization_loss):
    """``tf.nn.scale_regularization_loss``: the loss divided by the replicas in sync (their
    sum is the loss)."""
    loss = _convert(regularization_loss)
    return loss / float(_replicas.num_replicas_in_sync())
