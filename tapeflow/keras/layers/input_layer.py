"""Symbolic tensors for the functional API: ``keras.Input``, ``InputLayer``, ``KerasTensor``
and the ``Node`` that records one layer call between them."""
from ... import dtypes
from ...backend import host as np
from ...tensor import TensorShape, convert_to_tensor
from .. import backend
from .base import Layer


class KerasTensor:
    """A placeholder with a shape (batch dimension ``None``) and a dtype, no values."""

    def __init__(self, shape, dtype="float32", sparse=False, ragged=False, record_history=True,
                 name=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtypes.as_dtype(dtype)
        self.sparse = bool(sparse)
        self.ragged = bool(ragged)
        # as Keras: every symbolic tensor is named, "keras_tensor", "keras_tensor_1", ...
        self.name = name if name is not None else backend.unique_name("keras_tensor")
        self._node = None
        self._index = 0

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def _keras_history(self):
        """Keras's (layer, node index, tensor index) of the call that made this tensor."""
        node = self._node
        if node is None:
            return None
        return (node.layer, node.layer.__dict__["_inbound_nodes"].index(node), self._index)

    def _dummy(self):
        """Zeros standing in for the placeholder (unknown dimensions become 1)."""
        shape = tuple(1 if d is None else d for d in self.shape)
        return convert_to_tensor(np.zeros(shape, dtype=self.dtype.as_numpy_dtype))

    def __repr__(self):
        return (f"<KerasTensor shape={self.shape}, dtype={self.dtype.name}, "
                f"sparse={self.sparse}, ragged={self.ragged}, name={self.name}>")

    def __hash__(self):
        return id(self)

    def __array__(self, dtype=None, copy=None):
        raise ValueError(_NOT_A_TF_INPUT)


# Keras's message for a KerasTensor given to a tf.* function
_NOT_A_TF_INPUT = (
    "A KerasTensor cannot be used as input to a TensorFlow function. A KerasTensor is a "
    "symbolic placeholder for a shape and dtype, used when constructing Keras Functional "
    "models or Keras Functions. You can only use it as input to a Keras layer or a Keras "
    "operation (from the namespaces `keras.layers` and `keras.ops`). You are likely doing "
    "something like:\n\n```\nx = Input(...)\n...\ntf_fn(x)  # Invalid.\n```\n\nWhat you "
    "should do instead is wrap `tf_fn` in a layer:\n\n```\nclass MyLayer(Layer):\n    def "
    "call(self, x):\n        return tf_fn(x)\n\nx = MyLayer()(x)\n```\n")


def _operator(op_name, reflected=False):
    """A KerasTensor operator: the ``keras.ops`` function, which adds a graph node."""
    def method(self, *other):
        from .. import ops  # deferred: keras.ops builds on the layers

        fn = getattr(ops, op_name)
        return fn(other[0], self) if reflected else fn(self, *other)

    method.__name__ = op_name
    method.__doc__ = f"``keras.ops.{op_name}`` of this symbolic tensor (a graph node)."
    return method


for _dunder, _op in (("add", "add"), ("sub", "subtract"), ("mul", "multiply"),
                     ("truediv", "divide"), ("floordiv", "floor_divide"), ("mod", "mod"),
                     ("pow", "power"), ("matmul", "matmul"), ("and", "logical_and"),
                     ("or", "logical_or"), ("xor", "logical_xor")):
    setattr(KerasTensor, f"__{_dunder}__", _operator(_op))
    setattr(KerasTensor, f"__r{_dunder}__", _operator(_op, reflected=True))
for _dunder, _op in (("lt", "less"), ("le", "less_equal"), ("gt", "greater"),
                     ("ge", "greater_equal"), ("neg", "negative"), ("abs", "absolute"),
                     ("invert", "logical_not"), ("getitem", "get_item")):
    setattr(KerasTensor, f"__{_dunder}__", _operator(_op))
del _dunder, _op


class Node:
    """One call of ``layer`` on symbolic ``inputs`` that produced symbolic ``outputs``."""

    def __init__(self, layer, inputs, args, kwargs, outputs):
        self.layer, self.inputs, self.args, self.kwargs = layer, inputs, args, dict(kwargs)
        self.outputs = outputs


class InputLayer(Layer):
    """The layer behind ``keras.Input``: it passes its input through unchanged."""

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
                 input_tensor=None, name=None, input_shape=None, batch_input_shape=None,
                 **kwargs):
        # NOTE: Keras 3's config lists ragged and optional; tapeflow has neither
        if kwargs.pop("ragged", False) or kwargs.pop("optional", False):
            raise ValueError("InputLayer(ragged=True) and InputLayer(optional=True) are not "
                             "supported by tapeflow.")
        given_name = name  # the tensor takes it; unnamed, it is a "keras_tensor" (Keras)
        if name is None:
            name = backend.unique_name("input_layer")
        super().__init__(name=name, dtype=dtype, **kwargs)
        if batch_shape is None:
            batch_shape = batch_input_shape
        if batch_shape is None:
            if shape is None:
                shape = input_shape
            if shape is None:
                raise ValueError("You must pass a `shape` argument to Input or InputLayer.")
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        batch_shape = tuple(TensorShape(batch_shape).as_list())
        self.__dict__["_batch_input_shape"] = batch_shape
        self.built = True
        self.__dict__["_output_shape"] = batch_shape
        self.__dict__["_sparse"] = bool(sparse)
        out = KerasTensor(batch_shape, self.dtype, sparse=bool(sparse), name=given_name)
        node = Node(self, [], (), {}, out)
        out._node = node
        self.__dict__["_inbound_nodes"].append(node)
        self.__dict__["_output_tensor"] = out

    @property
    def batch_shape(self):
        return self.__dict__["_batch_input_shape"]

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {"batch_shape": self.batch_shape, "dtype": self.dtype,
                "sparse": self.__dict__["_sparse"],
                "ragged": False, "name": self.name, "optional": False}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
          tensor=None, **kwargs):  # Keras's name
    """A symbolic input: ``x = keras.Input(shape=(784,))`` starts a functional model."""
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       batch_shape=batch_shape,
                       name=name, **kwargs)
    return layer.__dict__["_output_tensor"]
