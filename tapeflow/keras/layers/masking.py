"""Keras masks without base-class support: a side table from output tensors to their boolean
masks, read by mask-aware layers (``Embedding(mask_zero=True)``, ``Masking``, the RNNs)."""
import weakref

from ...ops import math as M
from ...ops import reduction as R
from ...tensor import TensorBase
from .base import Layer

# NOTE: tapeflow tensors have __slots__, so Keras 2's ``tensor._keras_mask`` attribute cannot
# be set; masks live here instead, keyed by id() and dropped when their tensor is collected.
_MASKS = {}


def set_mask(tensor, mask):
    """Record ``mask`` (boolean, the tensor's shape without features) for ``tensor``."""
    if not isinstance(tensor, TensorBase) or mask is None:
        return tensor
    key = id(tensor)
    _MASKS[key] = (weakref.ref(tensor, lambda _, k=key: _MASKS.pop(k, None)), mask)
    return tensor


def get_mask(tensor):
    """The mask recorded for ``tensor`` by a mask-producing layer, else None."""
    got = _MASKS.get(id(tensor)) if isinstance(tensor, TensorBase) else None
    if got is None or got[0]() is not tensor:
        return None
    return got[1]


def keep_mask(out, inputs):
    """``out`` carrying ``inputs``'s mask, if it has one (Keras's pass-through masking)."""
    mask = get_mask(inputs)
    return out if mask is None or out is inputs else set_mask(out, mask)


class Masking(Layer):
    """Marks timesteps whose features all equal ``mask_value`` as masked for later layers
    (e.g. RNNs skip them); the values themselves are multiplied by the mask."""

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return R.reduce_any(M.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        mask = self.compute_mask(inputs)
        out = inputs * M.cast(mask[..., None], inputs.dtype)
        return set_mask(out, mask)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
