"""``tf.nn``: activations, softmax, cross-entropies on logits, dropout, moments."""
from ..ops.conv import *  # noqa: F403, E402
from ..ops.nn import *  # noqa: F403
