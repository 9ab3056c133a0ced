"""``tf.keras``: layers, models, losses, optimizers, metrics, callbacks and the training
loop. ``keras.datasets`` loads on first use.

>>> import tapeflow as tf
>>> model = tf.keras.Sequential([tf.keras.layers.Dense(2, kernel_initializer="ones")])
>>> model(tf.constant([[1.0, 2.0]])).numpy()
array([[3., 3.]], dtype=float32)
>>> model.compile(optimizer="sgd", loss="mse")
>>> history = model.fit([[1.0, 2.0]], [[3.0, 3.0]], epochs=2, verbose=0)
>>> sorted(history.history), len(history.history["loss"])
(['loss'], 2)
"""
import importlib as _importlib

from ..framework import device as _tf_device
from ..module import name_scope as _tf_name_scope
from . import (  # noqa: F401
    activations,
    backend,
    callbacks,
    config,
    constraints,
    dtype_policies,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    quantizers,
    random,
    regularizers,
    saving,
    tree,
    utils,
)
from ._remat import RematScope, remat  # noqa: F401
from .dtype_policies import DTypePolicy, FloatDTypePolicy  # noqa: F401
from .initializers import Initializer  # noqa: F401
from .layers import Input, InputSpec, Layer  # noqa: F401
from .layers.input_layer import KerasTensor  # noqa: F401
from .losses import Loss  # noqa: F401
from .metrics import Metric  # noqa: F401
from .models import Model, Sequential  # noqa: F401
from .models.function import Function  # noqa: F401
from .operation import Operation  # noqa: F401
from .optimizers import Optimizer  # noqa: F401
from .quantizers import Quantizer  # noqa: F401
from .regularizers import Regularizer  # noqa: F401
from .variables import StatelessScope, SymbolicScope, Variable  # noqa: F401

# NOTE: the Keras release whose behaviour (and file format) tapeflow's keras follows
__version__ = "3.15.1"
_LAZY = {"datasets": ".datasets", "ops": ".ops", "preprocessing": ".preprocessing",
         "visualization": ".visualization",
         "distillation": ".distillation", "wrappers": ".wrappers", "legacy": ".legacy",
         "export": ".export"}


def version():
    """The Keras version tapeflow's ``tf.keras`` mirrors (``tf.keras.__version__``)."""
    return __version__


def device(device_name):
    """A context placing the ops run inside it on ``device_name``: Keras's ``'cpu'``,
    ``'gpu:1'``... or a TF device name (``tf.device``)."""
    if isinstance(device_name, str) and device_name and not device_name.startswith("/"):
        kind, _, index = device_name.partition(":")
        if kind.lower() in ("cpu", "gpu", "tpu"):
            device_name = f"/{kind.upper()}:{index or 0}"
        elif ":" not in device_name:
            raise ValueError(f"Unknown attribute '{device_name}' is encountered while parsing the "
                             f"device spec: '{device_name}'.")
    return _tf_device(device_name)


class name_scope(_tf_name_scope):  # Keras's name
    """Keras's name scope: ``tf.name_scope`` taking Keras's extra keyword arguments."""

    def __init__(self, name, **kwargs):
        unknown = sorted(set(kwargs) - {"caller", "deduplicate", "override_parent"})
        if unknown:
            raise TypeError(f"__init__() got an unexpected keyword argument '{unknown[0]}'")
        super().__init__(name)
        self.name = self._name

    def __enter__(self):
        super().__enter__()
        return self


def __getattr__(name):
    """Load ``keras.datasets`` (written separately, imports data helpers), ``keras.ops`` and
    ``keras.preprocessing`` on first use."""
    if name in _LAZY:
        mod = _importlib.import_module(_LAZY[name], __name__)
        globals()[name] = mod
        return mod
    raise AttributeError(f"module 'tapeflow.keras' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
