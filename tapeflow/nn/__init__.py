"""``tf.nn``: activations, softmax, cross-entropies on logits, dropout, moments."""
from ..ops.nn import *  # noqa: F403
