"""``keras.utils``: ``to_categorical``, ``Progbar``, ``get_file`` (from the datasets
package), ``image_dataset_from_directory`` / ``text_dataset_from_directory`` /
``audio_dataset_from_directory``, ``set_random_seed``, ``array_to_img`` / ``img_to_array``,
``load_img`` / ``save_img``, ``PyDataset`` (``Sequence``) and, as TF 2.21's ``tf.keras.utils``
has them,
``register_keras_serializable`` / ``get_registered_name`` / ``get_registered_object`` (the
same functions as ``keras.saving``'s)."""
import importlib as _importlib
import random as _random

from ...backend import host as _np
from ...backend import to_host as _to_host
from ...ops import random as _tf_random
from ...tensor import TensorBase as _TensorBase
from ...tensor import convert_to_tensor as _convert_to_tensor
from .._registry import (
    CustomObjectScope,
    custom_object_scope,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from .image import array_to_img, img_to_array, load_img, save_img
from .misc import (
    Config,
    disable_interactive_logging,
    enable_interactive_logging,
    get_source_inputs,
    is_interactive_logging_enabled,
    standardize_dtype,
)
from .progbar import Progbar
from .py_dataset import PyDataset, Sequence
from .sequence_utils import pad_sequences

__all__ = ["Progbar", "to_categorical", "normalize", "set_random_seed", "get_file",
           "array_to_img", "img_to_array", "load_img", "save_img",
           "register_keras_serializable",
           "get_registered_name", "get_registered_object", "image_dataset_from_directory",
           "text_dataset_from_directory", "audio_dataset_from_directory",
           "pack_x_y_sample_weight", "unpack_x_y_sample_weight", "clear_session",
           "is_keras_tensor", "get_custom_objects", "pad_sequences",
           "timeseries_dataset_from_array", "CustomObjectScope", "custom_object_scope",
           "PyDataset", "Sequence", "Config", "standardize_dtype", "get_source_inputs",
           "enable_interactive_logging", "disable_interactive_logging",
           "is_interactive_logging_enabled", "split_dataset", "serialize_keras_object",
           "deserialize_keras_object", "FeatureSpace", "model_to_dot", "plot_model"]

# imported on first use: they bring in tf.data and the datasets package
_LAZY = {"get_file": "tapeflow.keras.datasets._files",
         "image_dataset_from_directory": "tapeflow.keras.utils.image_dataset",
         "text_dataset_from_directory": "tapeflow.keras.utils.text_dataset",
         "audio_dataset_from_directory": "tapeflow.keras.utils.audio_dataset",
         "timeseries_dataset_from_array": "tapeflow.keras.utils.timeseries_dataset",
         "split_dataset": "tapeflow.keras.utils.dataset_split",
         # the same functions as elsewhere in keras, under keras.utils as Keras has them
         "pack_x_y_sample_weight": "tapeflow.keras.models.data",
         "unpack_x_y_sample_weight": "tapeflow.keras.models.data",
         "clear_session": "tapeflow.keras.backend",
         "is_keras_tensor": "tapeflow.keras.backend",
         "get_custom_objects": "tapeflow.keras.saving",
         "serialize_keras_object": "tapeflow.keras.saving",
         "deserialize_keras_object": "tapeflow.keras.saving",
         "FeatureSpace": "tapeflow.keras.utils.feature_space",
         "model_to_dot": "tapeflow.keras.utils.model_visualization",
         "plot_model": "tapeflow.keras.utils.model_visualization"}
_SUBMODULES = ("bounding_boxes", "legacy")  # loaded on first use, as modules


def to_categorical(x, num_classes=None):
    """One-hot rows for integer class labels: a float64 NumPy array for lists and arrays, a
    float32 tensor for a tensor (as Keras 3's)."""
    is_tensor = isinstance(x, _TensorBase)
    y = _np.asarray(_to_host(_to_host(x._v)) if is_tensor else x)
    if y.dtype.kind == "f":
        if not _np.all(_np.equal(_np.mod(y, 1), 0)):
            raise ValueError(f"to_categorical expects integer class labels. Received float "
                             f"values such as {y.reshape(-1)[:5]}")
        y = y.astype(_np.int64)
    shape = y.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    y = y.reshape(-1)
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"Class labels must be in [0, {num_classes}). Received labels from "
                         f"{int(y.min())} to {int(y.max())}.")
    out = _np.zeros((y.size, num_classes), dtype="float32" if is_tensor else "float64")
    out[_np.arange(y.size), y] = 1.0
    out = out.reshape(shape + (num_classes,))
    return _convert_to_tensor(out) if is_tensor else out


def normalize(x, axis=-1, order=2):
    """``x`` divided by its ``order``-norm along ``axis`` (a NumPy array; zero norms leave rows
    as they are)."""
    x = _np.asarray(x)
    norm = _np.linalg.norm(x, order, axis, keepdims=True)
    return x / _np.where(norm == 0, 1, norm)


def set_random_seed(seed):
    """Seed Python, NumPy and tapeflow's global random state."""
    _random.seed(seed)
    _np.random.seed(seed)
    _tf_random.set_seed(seed)


def __dir__():
    # NOTE: the public names and the module's dunders, not its submodules (as Keras's)
    return sorted({n for n in globals() if n.startswith("__")} | set(__all__) | set(_LAZY)
                  | set(_SUBMODULES))


def __getattr__(name):
    if name in _LAZY:
        return getattr(_importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'tapeflow.keras.utils' has no attribute {name!r}")
