"""``tf.random``: seeded random tensors."""
from ..ops.random import *  # noqa: F403
