"""``tf.nn``'s RNN cell wrappers (TF's legacy Keras cells): dropout around a cell, a residual
connection around it, or the cell pinned to a device. Each wraps any cell the ``RNN`` layer
runs and delegates ``state_size`` and ``output_size`` to it. Real Keras 3 has no such layers,
so they are saved under the registered names ``tapeflow.nn>...``."""
from ... import framework
from ...ops import math as M
from ...ops import nn
from .. import _registry
from .base import Layer


class _Wrapper(Layer):
    """A cell around ``cell``: ``call`` runs it through ``_wrap``."""

    def __init__(self, cell, **kwargs):
        super().__init__(**kwargs)
        self.cell = cell

    @property
    def state_size(self):
        """The wrapped cell's state size."""
        return self.cell.state_size

    @property
    def output_size(self):
        """The wrapped cell's output size."""
        return self.cell.output_size

    def build(self, input_shape):
        if not self.cell.built:
            self.cell.build(input_shape)
            self.cell.built = True
        self.built = True

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        """The wrapped cell's initial state."""
        return self.cell.get_initial_state(batch_size)

    def get_config(self):
        return {**super().get_config(), "cell": _registry.serialize(self.cell)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = _registry.deserialize("layer", config.pop("cell"), custom_objects)
        return cls(cell, **config)


@_registry.register_keras_serializable("tapeflow.nn")
class RNNCellDropoutWrapper(_Wrapper):
    """Dropout on a cell's inputs, outputs and states (given as keep probabilities).

    Args:
        cell: the wrapped cell.
        input_keep_prob, output_keep_prob, state_keep_prob: the probability of keeping each
            element (1.0: no dropout).
        variational_recurrent: accepted; tapeflow draws a fresh mask each step.
        input_size: accepted, unused.
        dtype: accepted, unused.
        seed: an op seed for the masks.
        dropout_state_filter_visitor: accepted, unused (every state is dropped).
    """

    def __init__(self, cell, input_keep_prob=1.0, output_keep_prob=1.0, state_keep_prob=1.0,
                 variational_recurrent=False, input_size=None, dtype=None, seed=None,
                 dropout_state_filter_visitor=None, **kwargs):
        super().__init__(cell, **kwargs)
        for name, p in (("input_keep_prob", input_keep_prob),
                        ("output_keep_prob", output_keep_prob),
                        ("state_keep_prob", state_keep_prob)):
            if not 0.0 < float(p) <= 1.0:
                raise ValueError(f"Parameter {name} must be between 0 and 1: {p}")
        self.input_keep_prob = float(input_keep_prob)
        self.output_keep_prob = float(output_keep_prob)
        self.state_keep_prob = float(state_keep_prob)
        self.variational_recurrent = bool(variational_recurrent)
        self.input_size = input_size
        self.seed = seed

    def _drop(self, x, keep, training):
        if keep >= 1.0 or not training:
            return x
        return nn.dropout(x, 1.0 - keep, seed=self.seed)

    def call(self, inputs, states, training=None):
        training = bool(training)  # None: inference, as Keras outside fit
        x = self._drop(inputs, self.input_keep_prob, training)
        out, new = self.cell(x, states, training=training)
        new = [self._drop(s, self.state_keep_prob, training) for s in new]
        return self._drop(out, self.output_keep_prob, training), new

    def get_config(self):
        return {**super().get_config(), "input_keep_prob": self.input_keep_prob,
                "output_keep_prob": self.output_keep_prob,
                "state_keep_prob": self.state_keep_prob,
                "variational_recurrent": self.variational_recurrent,
                "input_size": self.input_size, "seed": self.seed}


@_registry.register_keras_serializable("tapeflow.nn")
class RNNCellResidualWrapper(_Wrapper):
    """A residual connection around a cell: the output is ``residual_fn(inputs, output)``
    (``inputs + output`` by default).

    Args:
        cell: the wrapped cell (its output size must match the input size for the sum).
        residual_fn: a callable ``(inputs, outputs) -> outputs``, or None.
    """

    def __init__(self, cell, residual_fn=None, **kwargs):
        super().__init__(cell, **kwargs)
        self._residual_fn = residual_fn

    def call(self, inputs, states, training=None):
        out, new = self.cell(inputs, states, training=training)
        fn = self._residual_fn or M.add
        return fn(inputs, out), new


@_registry.register_keras_serializable("tapeflow.nn")
class RNNCellDeviceWrapper(_Wrapper):
    """A cell whose ops run on ``device`` (a device name such as '/CPU:0').

    Args:
        cell: the wrapped cell.
        device: the device name.
    """

    def __init__(self, cell, device, **kwargs):
        super().__init__(cell, **kwargs)
        self._device = device

    def call(self, inputs, states, training=None):
        with framework.device(self._device):
            return self.cell(inputs, states, training=training)

    def get_config(self):
        return {**super().get_config(), "device": self._device}
