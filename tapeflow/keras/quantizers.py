"""``keras.quantizers``: the ``Quantizer`` base class, ``AbsMaxQuantizer`` and
``abs_max_quantize`` (symmetric per-axis int quantization), with ``get`` / ``serialize`` /
``deserialize``. The quantization configs, float8, int4 packing, GPTQ and AWQ helpers serve
Keras's quantized layers, which tapeflow does not have, and are not provided."""
from ..ops import math as M
from ..ops import reduction as R
from ..tensor import convert_to_tensor

__all__ = ["AbsMaxQuantizer", "Quantizer", "abs_max_quantize", "deserialize", "get",
           "serialize"]


def abs_max_quantize(inputs, axis, value_range=(-127, 127), dtype="int8", epsilon=1e-7,
                     to_numpy=False):
    """``(quantized, scale)``: ``scale = value_range[1] / (max |inputs| along axis + eps)``
    (kept dims, the inputs' dtype) and ``quantized = clip(round(inputs * scale))`` in
    ``dtype`` (rounding half to even)."""
    x = convert_to_tensor(inputs)

    def const(v):
        return convert_to_tensor(v, dtype=x.dtype)

    amax = R.reduce_max(M.abs(x), axis=axis, keepdims=True)
    scale = M.divide(const(value_range[1]), amax + const(epsilon))
    q = M.clip_by_value(M.round(x * scale), const(value_range[0]), const(value_range[1]))
    return M.cast(q, dtype), scale


class Quantizer:
    """Base class of quantizers: ``quantizer(x)`` returns the quantized form of ``x`` (the
    base class returns ``x``)."""

    def __init__(self, output_dtype="int8"):
        self.output_dtype = output_dtype

    def __call__(self, x):
        return x

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_config(self):
        raise NotImplementedError(f"{self} does not implement get_config()")


class AbsMaxQuantizer(Quantizer):
    """``abs_max_quantize`` along ``axis``: calling it returns ``(quantized, scale)``."""

    def __init__(self, axis=None, value_range=(-127, 127), epsilon=1e-7, output_dtype="int8"):
        super().__init__(output_dtype=output_dtype)
        if isinstance(axis, int):
            axis = (axis,)
        self.axis = tuple(axis) if axis is not None else None
        self.value_range = value_range
        self.epsilon = epsilon

    def __call__(self, x, axis=None, to_numpy=False):
        return abs_max_quantize(x, self.axis if axis is None else axis,
                                value_range=self.value_range, dtype=self.output_dtype,
                                epsilon=self.epsilon, to_numpy=to_numpy)

    def get_config(self):
        return {"value_range": self.value_range, "epsilon": self.epsilon,
                "output_dtype": self.output_dtype, "axis": self.axis}


_CLASSES = {"Quantizer": Quantizer, "AbsMaxQuantizer": AbsMaxQuantizer,
            "abs_max_quantizer": AbsMaxQuantizer}


def serialize(initializer):
    """A quantizer's config in Keras's serialized form."""
    return {"module": "keras.quantizers", "class_name": type(initializer).__name__,
            "config": initializer.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """The quantizer a ``serialize`` dict describes."""
    table = dict(_CLASSES, **(custom_objects or {}))
    name = config.get("class_name") if isinstance(config, dict) else None
    if name not in table:
        raise ValueError(f"Could not interpret quantizer identifier: {config}")
    return table[name].from_config(dict(config.get("config") or {}))


def get(identifier, **kwargs):
    """A quantizer from an instance, a serialized dict or a name (``'abs_max_quantizer'``)."""
    if identifier is None:
        return None
    if isinstance(identifier, Quantizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str) and identifier in _CLASSES:
        return _CLASSES[identifier](**kwargs)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret quantizer identifier: {identifier}")
