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

from . import (  # noqa: F401
    activations,
    backend,
    callbacks,
    constraints,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    random,
    regularizers,
    saving,
    utils,
)
from .layers import Input, InputSpec, Layer  # noqa: F401
from .models import Model, Sequential  # noqa: F401

__version__ = "3.0.0"
_LAZY = {"datasets": ".datasets", "ops": ".ops", "preprocessing": ".preprocessing"}


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
