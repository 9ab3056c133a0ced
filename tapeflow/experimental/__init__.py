"""``tf.experimental``: DLPack interchange (``tf.experimental.dlpack``) and ``Optional``
(tf.data's, loaded on first use)."""
from . import dlpack  # noqa: F401


def __getattr__(name):
    """``tf.experimental.Optional``: the class of ``tf.data.experimental.Optional``."""
    if name == "Optional":
        from ..data._optional import Optional  # deferred: tf.data sits above this layer

        globals()["Optional"] = Optional
        return Optional
    raise AttributeError(f"module 'tapeflow.experimental' has no attribute {name!r}")
