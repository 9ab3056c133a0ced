"""``tf.linalg``: matrix products and decompositions."""
from ..ops.decompositions import *  # noqa: F403
from ..ops.linalg import *  # noqa: F403
