"""``tf.experimental``: DLPack interchange (``tf.experimental.dlpack``)."""
from . import dlpack  # noqa: F401
