"""Weight and activity regularizers: ``l1``, ``l2``, ``l1_l2``."""
from ..ops import math as M
from ..ops import reduction as R
from . import _registry


class Regularizer:
    """Base class: ``reg(x)`` returns a scalar penalty Tensor."""

    def __call__(self, x):
        return 0.0

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x):
        total = None
        if self.l1:
            total = self.l1 * R.reduce_sum(M.abs(x))
        if self.l2:
            term = self.l2 * R.reduce_sum(M.square(x))
            total = term if total is None else total + term
        return total if total is not None else R.reduce_sum(x * 0.0)

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


def l1_l2(l1=0.01, l2=0.01):
    return L1L2(l1, l2)


l1, l2 = L1, L2
# NOTE: the name 'l1_l2' makes l1_l2()'s L1L2(0.01, 0.01), as tf.keras 2's function does.
_registry.register("regularizer", L1L2, L1, L2, aliases={
    "l1": L1, "l2": L2, "l1_l2": (L1L2, {"l1": 0.01, "l2": 0.01})})


def get(identifier):
    return _registry.get("regularizer", identifier)


def serialize(regularizer):
    return _registry.serialize(regularizer)


def deserialize(config, custom_objects=None):
    return _registry.deserialize("regularizer", config, custom_objects)
