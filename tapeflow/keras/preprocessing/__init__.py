"""``keras.preprocessing``, as TF 2.21's ``tf.keras.preprocessing`` has it: ``sequence``
(``pad_sequences``), ``text`` (``Tokenizer``, ``one_hot``, ``hashing_trick``...),
``image`` (``array_to_img``, ``img_to_array``, ``load_img``,
``save_img``) and the ``*_dataset_from_directory`` loaders, the same functions as
``keras.utils``'s."""
from .. import utils as _utils
from . import image, sequence, text  # noqa: F401

# keras.utils's loaders (each imported there on first use)
_FROM_UTILS = ("image_dataset_from_directory", "text_dataset_from_directory",
               "timeseries_dataset_from_array")


def __dir__():
    return sorted(set(globals()) | set(_FROM_UTILS))


def __getattr__(name):
    if name in _FROM_UTILS:
        return getattr(_utils, name)
    raise AttributeError(f"module 'tapeflow.keras.preprocessing' has no attribute {name!r}")
