"""``keras.config``: Keras's global settings (float type, epsilon, image data format, dtype
policy, interactive logging, unsafe deserialization, traceback filtering, flash attention,
training caps). The backend is always ``'tensorflow'``: tapeflow is Keras on its own
TensorFlow.

>>> import tapeflow as tf
>>> tf.keras.config.floatx(), tf.keras.config.image_data_format(), tf.keras.config.backend()
('float32', 'channels_last', 'tensorflow')
"""
from .backend import epsilon, floatx, set_epsilon, set_floatx
from .mixed_precision.policy import global_policy as dtype_policy
from .mixed_precision.policy import set_global_policy as set_dtype_policy
from .utils.misc import (
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
)

__all__ = ["backend", "disable_flash_attention", "disable_interactive_logging",
           "disable_traceback_filtering", "dtype_policy", "enable_flash_attention",
           "enable_interactive_logging", "enable_traceback_filtering",
           "enable_unsafe_deserialization", "epsilon", "floatx", "image_data_format",
           "is_flash_attention_enabled", "is_interactive_logging_enabled", "is_nnx_enabled",
           "is_traceback_filtering_enabled", "max_epochs", "max_steps_per_epoch", "set_backend",
           "set_dtype_policy", "set_epsilon", "set_floatx", "set_image_data_format",
           "set_max_epochs", "set_max_steps_per_epoch"]

_state = {"safe_mode": None, "traceback_filtering": True,
          "flash_attention": None, "max_epochs": None, "max_steps_per_epoch": None}


def backend():
    """The name of the backend Keras runs on: ``'tensorflow'``."""
    return "tensorflow"


def set_backend(backend):
    """Keras switches backends by re-importing itself; tapeflow has one backend, so only
    ``'tensorflow'`` is accepted (and changes nothing)."""
    if backend != "tensorflow":
        raise ValueError(f"Unable to import backend : {backend}")


def image_data_format():
    """``'channels_last'`` (images as ``(batch, height, width, channels)``) or
    ``'channels_first'``: the setting ``keras.backend.image_data_format`` reads too."""
    from . import _legacy_backend  # deferred: keras.backend's legacy functions hold the setting

    return _legacy_backend.image_data_format()


def set_image_data_format(data_format):
    from . import _legacy_backend  # deferred: keras.backend's legacy functions hold the setting

    _legacy_backend.set_image_data_format(data_format)


def enable_unsafe_deserialization():
    """Let loading deserialize ``lambda`` code by default (Keras's global safe mode off)."""
    _state["safe_mode"] = False


def in_safe_mode():
    """``False`` after ``enable_unsafe_deserialization``, else ``None`` (the loader's own
    ``safe_mode`` argument decides)."""
    return _state["safe_mode"]


def enable_traceback_filtering():
    _state["traceback_filtering"] = True


def disable_traceback_filtering():
    _state["traceback_filtering"] = False


def is_traceback_filtering_enabled():
    """Keras's traceback-filtering flag (True at first). tapeflow's frames are plain Python:
    the flag is recorded, nothing is filtered."""
    return _state["traceback_filtering"]


def enable_flash_attention():
    """Record the wish for flash attention; tapeflow's attention has one implementation."""
    _state["flash_attention"] = True


def disable_flash_attention():
    _state["flash_attention"] = False


def is_flash_attention_enabled():
    """``None`` until ``enable_flash_attention`` / ``disable_flash_attention`` set it."""
    return _state["flash_attention"]


def is_nnx_enabled():
    """Flax NNX support is a JAX-backend feature: always ``False``."""
    return False


def max_epochs():
    """The cap ``set_max_epochs`` put on ``fit``'s epochs (``None``: no cap)."""
    return _state["max_epochs"]


def set_max_epochs(max_epochs):
    _state["max_epochs"] = max_epochs


def max_steps_per_epoch():
    """The cap ``set_max_steps_per_epoch`` put on steps per epoch (``None``: no cap)."""
    return _state["max_steps_per_epoch"]


def set_max_steps_per_epoch(max_steps_per_epoch):
    _state["max_steps_per_epoch"] = max_steps_per_epoch
