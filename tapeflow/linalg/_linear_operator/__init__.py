"""``tf.linalg.LinearOperator`` and its structured subclasses."""
from .base import LinearOperator  # noqa: F401
from .circulant import *  # noqa: F403
from .structured import *  # noqa: F403
