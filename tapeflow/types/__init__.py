"""``tf.types``: the public type names of TF 2.21 (``tf.types.experimental``)."""
from . import experimental  # noqa: F401
