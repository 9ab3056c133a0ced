"""``keras.preprocessing``, as TF 2.21's ``tf.keras.preprocessing`` has it: ``sequence``
(``pad_sequences``), ``image`` (``array_to_img``, ``img_to_array``, ``load_img``,
``save_img``) and the ``*_dataset_from_directory`` loaders, the same functions as
``keras.utils``'s."""
import importlib as _importlib

from . import image, sequence  # noqa: F401

_LAZY = {"image_dataset_from_directory": "tapeflow.keras.utils.image_dataset",
         "text_dataset_from_directory": "tapeflow.keras.utils.text_dataset",
         "timeseries_dataset_from_array": "tapeflow.keras.utils.timeseries_dataset"}


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


def __getattr__(name):
    if name in _LAZY:
        return getattr(_importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tapeflow.keras.preprocessing' has no attribute {name!r}")
