"""``tf.nn``: activations, softmax, cross-entropies on logits, dropout, moments."""
from ..ops.conv import *  # noqa: F403, E402
from ..ops.indexing import embedding_lookup  # noqa: F401
from ..ops.nn import *  # noqa: F403
from ..ops.pooling import *  # noqa: F403


def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None):
    """``tf.nn.compute_average_loss``: the per-example losses summed over the global batch
    (see ``tf.distribute``)."""
    from ..distribute.strategy import compute_average_loss as average  # noqa: PLC0415

    return average(per_example_loss, sample_weight, global_batch_size)


def scale_regularization_loss(regularization_loss):
    """``tf.nn.scale_regularization_loss``: the loss divided by the replicas in sync."""
    from ..distribute.strategy import scale_regularization_loss as scale  # noqa: PLC0415

    return scale(regularization_loss)
