"""``keras.utils``: ``to_categorical``, ``Progbar``, ``get_file`` (from the datasets
package), ``image_dataset_from_directory`` / ``text_dataset_from_directory`` /
``audio_dataset_from_directory``, ``set_random_seed``, ``array_to_img`` / ``img_to_array``
and, as TF 2.21's ``tf.keras.utils`` has them, ``register_keras_serializable`` /
``get_registered_name`` / ``get_registered_object`` (the same functions as
``keras.saving``'s)."""
import importlib
import random

from ...backend import host as np
from ...backend import to_host
from ...ops import random as tf_random
from ...tensor import TensorBase
from .._registry import get_registered_name, get_registered_object, register_keras_serializable
from .image import array_to_img, img_to_array
from .progbar import Progbar

__all__ = ["Progbar", "to_categorical", "normalize", "set_random_seed", "get_file",
           "array_to_img", "img_to_array", "register_keras_serializable",
           "get_registered_name", "get_registered_object", "image_dataset_from_directory",
           "text_dataset_from_directory", "audio_dataset_from_directory"]

# imported on first use: they bring in tf.data and the datasets package
_LAZY = {"get_file": "tapeflow.keras.datasets._files",
         "image_dataset_from_directory": "tapeflow.keras.utils.image_dataset",
         "text_dataset_from_directory": "tapeflow.keras.utils.text_dataset",
         "audio_dataset_from_directory": "tapeflow.keras.utils.audio_dataset"}


def to_categorical(x, num_classes=None):
    """One-hot rows for integer class labels (a NumPy array, as in Keras)."""
    y = np.asarray(to_host(to_host(x._v)) if isinstance(x, TensorBase) else x)
    if y.dtype.kind == "f":
        if not np.all(np.equal(np.mod(y, 1), 0)):
            raise ValueError(f"to_categorical expects integer class labels. Received float "
                             f"values such as {y.reshape(-1)[:5]}")
        y = y.astype(np.int64)
    shape = y.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    y = y.reshape(-1)
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"Class labels must be in [0, {num_classes}). Received labels from "
                         f"{int(y.min())} to {int(y.max())}.")
    out = np.zeros((y.size, num_classes), dtype="float32")
    out[np.arange(y.size), y] = 1.0
    return out.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    x = np.asarray(x)
    norm = np.linalg.norm(x, order, axis, keepdims=True)
    return x / np.where(norm == 0, 1, norm)


def set_random_seed(seed):
    """Seed Python, NumPy and tapeflow's global random state."""
    random.seed(seed)
    np.random.seed(seed)
    tf_random.set_seed(seed)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tapeflow.keras.utils' has no attribute {name!r}")
