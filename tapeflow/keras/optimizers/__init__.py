"""``keras.optimizers``: SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Nadam, Adamax,
Adafactor, Ftrl, Lamb, Lion and
learning-rate ``schedules``; ``get('adam')`` resolves names."""
import types

from .. import _registry
from . import schedules
from .algorithms import SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, Nadam, RMSprop
from .base import Optimizer
from .extra import Adafactor, Ftrl, Lamb, Lion, Muon, ScheduleFreeAdamW
from .multi import MultiOptimizer, OptimizerMap

_CLASSES = (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Nadam, Adamax, Adafactor, Ftrl, Lamb,
            Lion, Muon, ScheduleFreeAdamW, MultiOptimizer)
_registry.register("optimizer", *_CLASSES, base=Optimizer)  # names are case-insensitive


def get(identifier):
    """An optimizer for a name (``'sgd'``, ``'Adam'``), a config dict, a class or an
    instance."""
    return _registry.get("optimizer", identifier)


def serialize(optimizer):
    """An optimizer's Keras 3 config dict (``class_name``, ``config``...)."""
    return _registry.serialize(optimizer)


def deserialize(config, custom_objects=None):
    """An optimizer from its config dict or name (only built-in, registered and
    ``custom_objects`` classes resolve)."""
    return _registry.deserialize("optimizer", config, custom_objects)


def __getattr__(name):
    # NOTE: Keras 3 also exports ``LossScaleOptimizer`` here; it is looked up lazily because
    # keras.mixed_precision imports this package's base class.
    if name == "LossScaleOptimizer":
        from ..mixed_precision import LossScaleOptimizer  # cycle: mixed_precision imports this

        return LossScaleOptimizer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# NOTE: TF 2.11+ code sometimes names ``tf.keras.optimizers.legacy.SGD``; the same classes.
legacy = types.SimpleNamespace(**{c.__name__: c for c in _CLASSES}, Optimizer=Optimizer)
__all__ = ["Optimizer", "LossScaleOptimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad",
           "Adadelta", "Nadam", "Adamax", "Adafactor", "Ftrl", "Lamb", "Lion", "Muon",
           "ScheduleFreeAdamW", "MultiOptimizer", "OptimizerMap",
           "schedules", "get",
           "serialize", "deserialize"]
