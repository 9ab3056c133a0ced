"""Weight constraints applied after each optimizer step: ``max_norm``, ``non_neg``..."""
from ..ops import math as M
from ..ops import reduction as R
from . import _registry


class Constraint:
    """Base class: ``c(w)`` returns the projected weight."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class MaxNorm(Constraint):
    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        norms = M.sqrt(R.reduce_sum(M.square(w), axis=self.axis, keepdims=True))
        desired = M.clip_by_value(norms, 0.0, float(self.max_value))
        return w * (desired / (1e-7 + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    def __call__(self, w):
        return M.maximum(w, 0.0)


class UnitNorm(Constraint):
    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        return w / (1e-7 + M.sqrt(R.reduce_sum(M.square(w), axis=self.axis, keepdims=True)))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        norms = M.sqrt(R.reduce_sum(M.square(w), axis=self.axis, keepdims=True))
        desired = (self.rate * M.clip_by_value(norms, self.min_value, self.max_value)
                   + (1 - self.rate) * norms)
        return w * (desired / (1e-7 + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm
_registry.register("constraint", MaxNorm, NonNeg, UnitNorm, MinMaxNorm, aliases={
    "max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm,
    "min_max_norm": MinMaxNorm})


def get(identifier):
    """A constraint from a name, a config dict, a callable or None."""
    return _registry.get("constraint", identifier)


def serialize(constraint):
    """A constraint's config dict (``{'class_name', 'config'}``)."""
    return _registry.serialize(constraint)


def deserialize(config, custom_objects=None):
    """The constraint a config dict or name stands for."""
    return _registry.deserialize("constraint", config, custom_objects)
