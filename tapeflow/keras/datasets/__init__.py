"""``keras.datasets``: the Keras dataset loaders (MNIST, Fashion-MNIST, CIFAR-10/100, IMDB,
Reuters, Boston and California housing), which find local copies first."""
import importlib as _importlib

from ._files import DownloadError, get_file
from ._idx import DatasetFileError

_SUBMODULES = ("mnist", "fashion_mnist", "cifar10", "cifar100", "imdb", "reuters",
               "boston_housing", "california_housing")


def __getattr__(name):
    if name in _SUBMODULES:
        mod = _importlib.import_module(f".{name}", __name__)
        globals()[name] = mod
        return mod
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES))


__all__ = list(_SUBMODULES) + ["get_file", "DatasetFileError", "DownloadError"]
