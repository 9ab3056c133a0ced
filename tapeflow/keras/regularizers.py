"""Weight and activity regularizers: ``l1``, ``l2``, ``l1_l2``, ``orthogonal_regularizer``."""
from ..backend import host as np
from ..ops import array as A
from ..ops import linalg as LA
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
        super().__init__(l1=np.float32(l1))  # NOTE: Keras keeps L1's factor as a float32

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}




class OrthogonalRegularizer(Regularizer):
    """Penalise non-orthogonal rows (``mode='rows'``) or columns of a rank-2 weight:
    ``factor`` times the mean absolute cosine between distinct rows (columns)."""

    def __init__(self, factor=0.01, mode="rows"):
        if isinstance(factor, bool) or not isinstance(factor, (int, float, np.floating)) or \
                factor < 0:
            raise ValueError("Invalid value for argument factor: expected a non-negative "
                             f"float.Received: factor={factor}")
        if mode not in ("rows", "columns"):
            raise ValueError('Invalid value for argument `mode`. Expected one of {"rows", '
                             f'"columns"}}. Received: mode={mode}')
        self.factor = float(np.float32(factor))  # Keras keeps it as a float32
        self.mode = mode

    def __call__(self, inputs):
        shape = tuple(inputs.shape)
        if len(shape) != 2:
            raise ValueError("Inputs to OrthogonalRegularizer must have rank 2. Received: "
                             f"inputs.shape={shape}")
        x = inputs if self.mode == "rows" else A.transpose(inputs)
        norm = M.sqrt(M.maximum(R.reduce_sum(M.square(x), axis=1, keepdims=True), 1e-12))
        x = x / norm
        size = int(x.shape[0])
        cos = LA.matmul(x, x, transpose_b=True)
        off = M.abs(cos * (1.0 - A.eye(size, dtype=x.dtype)))
        return self.factor * R.reduce_sum(off) / (size * (size - 1))

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


orthogonal_regularizer = OrthogonalRegularizer
# NOTE: as in Keras 3, ``l1_l2`` is the class itself (factors 0.0 by default)
l1, l2, l1_l2 = L1, L2, L1L2
# NOTE: the name 'l1_l2' still gives L1L2(0.01, 0.01), as tf.keras 2's function did.
_registry.register("regularizer", L1L2, L1, L2, OrthogonalRegularizer, aliases={
    "orthogonal_regularizer": OrthogonalRegularizer,
    "l1": L1, "l2": L2, "l1_l2": (L1L2, {"l1": 0.01, "l2": 0.01})})


def get(identifier):
    """A regularizer from an instance, a name (``'l2'``), a config dict or None."""
    return _registry.get("regularizer", identifier)


def serialize(regularizer):
    """A regularizer's config dict (``class_name`` and ``config``)."""
    return _registry.serialize(regularizer)


def deserialize(config, custom_objects=None):
    """The regularizer a ``serialize`` dict describes."""
    return _registry.deserialize("regularizer", config, custom_objects)
