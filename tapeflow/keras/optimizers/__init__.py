"""``keras.optimizers``: SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Nadam, Adamax and
learning-rate ``schedules``; ``get('adam')`` resolves names."""
import types

from . import schedules
from .algorithms import SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, Nadam, RMSprop
from .base import Optimizer

_NAMES = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad,
          "adadelta": Adadelta, "nadam": Nadam, "adamax": Adamax}
_CLASSES = {c.__name__: c for c in _NAMES.values()}


def get(identifier):
    """An optimizer for a name (``'sgd'``), a config dict or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _NAMES.get(identifier.lower())
        if cls is None:
            raise ValueError(f"Could not interpret optimizer identifier: '{identifier}'. "
                             f"Expected one of {sorted(_NAMES)} or an Optimizer instance.")
        return cls()
    if isinstance(identifier, dict):
        cls = _CLASSES.get(identifier.get("class_name")) or _NAMES.get(
            str(identifier.get("class_name")).lower())
        if cls is None:
            raise ValueError(f"Unknown optimizer: {identifier.get('class_name')!r}")
        return cls.from_config(identifier.get("config", {}))
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")


def serialize(optimizer):
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config):
    return get(config)


def __getattr__(name):
    # NOTE: Keras 3 also exports ``LossScaleOptimizer`` here; it is looked up lazily because
    # keras.mixed_precision imports this package's base class.
    if name == "LossScaleOptimizer":
        from ..mixed_precision import LossScaleOptimizer  # noqa: PLC0415

        return LossScaleOptimizer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# NOTE: TF 2.11+ code sometimes names ``tf.keras.optimizers.legacy.SGD``; the same classes.
legacy = types.SimpleNamespace(**_CLASSES, Optimizer=Optimizer)
__all__ = ["Optimizer", "LossScaleOptimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad",
           "Adadelta", "Nadam", "Adamax", "schedules", "get", "serialize", "deserialize"]
