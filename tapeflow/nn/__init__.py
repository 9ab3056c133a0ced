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
from ..ops.nn_more import (  # noqa: F401
    approx_max_k,
    approx_min_k,
    atrous_conv2d,
    atrous_conv2d_transpose,
    batch_norm_with_global_normalization,
    collapse_repeated,
    conv_transpose,
    ctc_unique_labels,
    dilation2d,
    erosion2d,
    experimental,
    fractional_avg_pool,
    fractional_max_pool,
    isotonic_regression,
    local_response_normalization,
    lrn,
    max_pool_with_argmax,
    pool,
    space_to_batch,
    with_space_to_batch,
)
from ..ops.pooling import *  # noqa: F403
from ..ops.reduction import reduce_sum as _reduce_sum
from ..ops.sampling import (  # noqa: F401
    all_candidate_sampler,
    compute_accidental_hits,
    fixed_unigram_candidate_sampler,
    learned_unigram_candidate_sampler,
    log_uniform_candidate_sampler,
    uniform_candidate_sampler,
)
from ..ops.sorting import top_k  # noqa: F401
from ..tensor import TensorBase as _TensorBase
from ..tensor import convert_to_tensor as _convert
from ._more import (  # noqa: F401
    ctc_beam_search_decoder,
    ctc_greedy_decoder,
    ctc_loss,
    depthwise_conv2d_backprop_filter,
    depthwise_conv2d_backprop_input,
    embedding_lookup_sparse,
    nce_loss,
    safe_embedding_lookup_sparse,
    sampled_softmax_loss,
)

_RNN_WRAPPERS = ("RNNCellDropoutWrapper", "RNNCellResidualWrapper", "RNNCellDeviceWrapper")


def __getattr__(name):
    """TF's RNN cell wrappers are Keras layers: loaded from ``tapeflow.keras`` on first use."""
    if name in _RNN_WRAPPERS:
        from ..keras.layers import rnn_cell_wrappers  # deferred: keras sits above tf.nn

        return getattr(rnn_cell_wrappers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
