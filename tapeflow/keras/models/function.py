"""``keras.Function``: a callable graph of layer calls from symbolic inputs to symbolic
outputs, without a model's training machinery. tapeflow runs the graph through a functional
model; every functional model counts as a ``Function`` (as in Keras, where ``Functional``
subclasses it)."""
import abc

from ... import nest
from .. import backend
from ..layers.input_layer import KerasTensor
from .functional import Functional


class Function(metaclass=abc.ABCMeta):  # noqa: B024 -- ABCMeta to register Functional
    """``Function(inputs, outputs, name=None)``: call it on tensors or arrays structured like
    ``inputs`` to get values structured like ``outputs``.

    >>> import tapeflow as tf
    >>> x = tf.keras.Input((3,))
    >>> f = tf.keras.Function(x, tf.keras.layers.Dense(2, kernel_initializer="ones")(x))
    >>> f(tf.ones((1, 3))).numpy()
    array([[3., 3.]], dtype=float32)
    """

    def __init__(self, inputs, outputs, name=None):
        self._graph = Functional(inputs, outputs, name=name or backend.unique_name("function"))
        self.name = self._graph.name

    @property
    def inputs(self):
        return self._graph.inputs

    @property
    def outputs(self):
        return self._graph.outputs

    @property
    def input(self):
        return self._graph.__dict__["_inputs_struct"]

    @property
    def output(self):
        return self._graph.__dict__["_outputs_struct"]

    @property
    def operations(self):
        """The layers of the graph (input layers first), in Keras's order."""
        return self._graph.layers

    def call(self, inputs):
        return self._graph(inputs)

    def __call__(self, inputs):
        return self.call(inputs)

    def compute_output_spec(self, inputs):
        """Symbolic outputs (``KerasTensor``s) for symbolic ``inputs``."""
        return self._graph(inputs)

    def compute_output_shape(self, input_shape):
        """Output shape(s) for input shape(s) (a tuple, or a structure of them)."""
        if isinstance(input_shape, tuple) and all(
                v is None or isinstance(v, int) for v in input_shape):
            specs = KerasTensor(input_shape, "float32")
        else:
            specs = nest.map_structure(lambda s: KerasTensor(tuple(s), "float32"), input_shape)
        return nest.map_structure(lambda t: tuple(t.shape), self.compute_output_spec(specs))

    def get_config(self):
        return self._graph.get_config()

    def __repr__(self):
        return f"<Operation name={self.name}>"


Function.register(Functional)
