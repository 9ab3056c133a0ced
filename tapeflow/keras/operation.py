"""``keras.Operation``: the base of Keras's ops and layers, a named callable whose ``call``
runs on tensors and on ``keras.Input`` placeholders alike.

>>> import tapeflow as tf
>>> class Double(tf.keras.Operation):
...     def call(self, x):
...         return x * 2
>>> Double()(tf.constant([1.0])).numpy()
array([2.], dtype=float32)
"""
from .layers.base import Layer


class _OperationType(type):
    """Every Keras layer is an ``Operation`` (``isinstance(Dense(1), keras.Operation)``)."""

    def __instancecheck__(cls, obj):
        return type.__instancecheck__(cls, obj) or (cls is Operation and isinstance(obj, Layer))

    def __subclasscheck__(cls, sub):
        return type.__subclasscheck__(cls, sub) or (
            cls is Operation and isinstance(sub, type) and issubclass(sub, Layer))


class Operation(Layer, metaclass=_OperationType):
    """A stateless computation: subclass it and define ``call`` (and, for symbolic inputs
    it cannot run on, ``compute_output_spec``).

    Calling it on tensors runs ``call``; calling it on ``keras.Input`` tensors records it in
    the graph of a functional model, as a layer call is. NOTE: tapeflow builds it on its
    ``Layer``, so an Operation also has the (empty) weight lists of a layer.
    """

    def __init__(self, name=None):
        if name is not None and (not isinstance(name, str) or "/" in name):
            raise ValueError("Argument `name` must be a string and cannot contain character "
                             f"`/`. Received: name={name} (of type {type(name)})")
        super().__init__(name=name)
        self.built = True

    def call(self, *args, **kwargs):
        raise NotImplementedError(
            f"Exception encountered when calling Operation.call().\n\nArguments received by "
            f"Operation.call():\n  • args={tuple(str(a) for a in args)}\n  • kwargs={kwargs}")

    def compute_output_spec(self, *args, **kwargs):
        """The symbolic output of ``call`` for symbolic inputs (by default: ``call`` run on
        stand-in values)."""
        from .. import nest
        from .layers.input_layer import KerasTensor

        def dummy(x):
            return x._dummy() if isinstance(x, KerasTensor) else x

        out = self.call(*nest.map_structure(dummy, args), **nest.map_structure(dummy, kwargs))
        batch_open = any(isinstance(x, KerasTensor) and x.shape and x.shape[0] is None
                         for x in nest.flatten((args, kwargs)))
        return nest.map_structure(
            lambda t: KerasTensor((None,) + tuple(t.shape)[1:] if batch_open and t.ndim
                                  else tuple(t.shape), t.dtype), out)

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<Operation name={self.name}>"
