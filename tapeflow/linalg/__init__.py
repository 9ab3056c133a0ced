"""``tf.linalg``: matrix products and decompositions."""
from ..ops.linalg import *  # noqa: F403
