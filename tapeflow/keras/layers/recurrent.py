"""Recurrent layers: the ``SimpleRNN``, ``LSTM`` and ``GRU`` cells, the ``RNN`` layer that
runs a cell over time as a Python loop of recorded ops (an LSTM or GRU as one fused op where
it can, see ``ops/rnn.py``), and the layers built on them."""
from threading import get_ident

from ... import nest
from ..._recording import recording
from ...ops import array as A
from ...ops import indexing as P
from ...ops import linalg, nn, rnn
from ...ops import math as M
from ...tensor import TensorShape
from ...variable import Variable
from .. import _registry, activations, regularizers
from .base import InputSpec, Layer, in_symbolic_call, set_weight_options, weight_options_config
from .masking import get_mask, set_mask

_WEIGHT_ARGS = ("kernel", "recurrent", "bias")


def _nested_tapes():
    """Whether two or more gradient tapes of this thread record (higher-order gradients)."""
    tid = get_ident()
    return sum(1 for r in tuple(recording) if r._thread == tid and not r._is_trace) > 1


class _Cell(Layer):
    """Shared arguments of the three cells: weights' initializers, regularizers, constraints
    and the (per-sequence) input and recurrent dropout masks."""

    gates = 1

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        if int(units) != units or int(units) <= 0:
            raise ValueError("Received an invalid value for argument `units`, expected a "
                             f"positive integer, got {units}.")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        given = {"kernel": (kernel_initializer, kernel_regularizer, kernel_constraint),
                 "recurrent": (recurrent_initializer, recurrent_regularizer,
                               recurrent_constraint),
                 "bias": (bias_initializer, bias_regularizer, bias_constraint)}
        for kind, options in given.items():
            set_weight_options(self, kind, *options)
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self._dp = self._rdp = None  # dropout masks of the current sequence

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def _weight(self, name, shape, kind, initializer=None):
        return self.add_weight(name=name, shape=shape,
                               initializer=initializer or getattr(self, f"{kind}_initializer"),
                               regularizer=getattr(self, f"{kind}_regularizer"),
                               constraint=getattr(self, f"{kind}_constraint"))

    def build(self, input_shape):
        d = TensorShape(input_shape)[-1]
        n = self.gates * self.units
        self.kernel = self._weight("kernel", (d, n), "kernel")
        self.recurrent_kernel = self._weight("recurrent_kernel", (self.units, n), "recurrent")
        self.bias = self._build_bias() if self.use_bias else None
        self.built = True

    def _build_bias(self):
        return self._weight("bias", (self.gates * self.units,), "bias")

    def get_initial_state(self, batch_size=None, dtype=None):
        zero = A.zeros((batch_size, self.units), dtype or self.dtype)
        return [zero] * (len(self.state_size) if isinstance(self.state_size, list) else 1)

    # -- dropout masks, drawn once per sequence as in Keras ---------------------------------
    def reset_dropout_mask(self):
        self._dp = self._rdp = None

    def _masks(self, x, h, training):
        if not training:
            return None, None
        if self.dropout > 0 and self._dp is None:
            self._dp = nn.dropout(M.ones_like(x), self.dropout, seed=self.seed)
        if self.recurrent_dropout > 0 and self._rdp is None and h is not None:
            self._rdp = nn.dropout(M.ones_like(h), self.recurrent_dropout, seed=self.seed)
        return self._dp, self._rdp

    # -- the recurrence: project all inputs at once, then step ------------------------------
    def project(self, x, training=None):
        """Input contributions ``x @ kernel (+ bias)`` of all steps of ``x`` [..., d]."""
        dp, _ = self._masks(x[:, 0] if x.ndim == 3 else x, None, training)
        if dp is not None:
            x = x * (A.expand_dims(dp, 1) if x.ndim == 3 else dp)
        return self._input_bias(linalg.matmul(x, self.kernel))

    def _input_bias(self, xk):
        return xk + self.bias if self.bias is not None else xk

    def run_sequence(self, inputs, states, training, go_backwards, sequences=True, keep=None):
        """The whole sequence as one fused op (``ops/rnn.py``): ``(outputs [b, steps, u] or
        None without ``sequences``, final states)``, or None where no fused op computes this
        cell. ``keep`` [b, steps]: the mask as 1/0. For cells that define ``fused`` and
        ``unfuse`` (``RNN._can_fuse``)."""
        fused = self.fused(inputs, states, training)
        if fused is None:
            return None
        kind, x, args = fused
        op = rnn.lstm_sequence if kind == "lstm" else rnn.gru_sequence
        return self.unfuse(op(x, *args, reverse=go_backwards, sequences=sequences, keep=keep),
                           sequences)

    def _fused_inputs(self, inputs, training):
        """``inputs`` [batch, steps, d] as a fused sequence op takes them: with the input
        dropout mask of the sequence applied (drawn as the per-step path draws it); None when
        the op cannot compute this cell (activations other than tanh and sigmoid, dtypes other
        than float32/float64, recurrent dropout in training)."""
        if (self.activation is not activations.tanh
                or self.recurrent_activation is not activations.sigmoid
                or inputs.dtype.name not in ("float32", "float64")):
            return None
        if not training or (self.dropout <= 0 and self.recurrent_dropout <= 0):
            return inputs
        if self.recurrent_dropout > 0:
            return None
        dp, _ = self._masks(inputs[:, 0], None, training)
        self.reset_dropout_mask()
        return inputs * A.expand_dims(dp, 1)

    def call(self, inputs, states, training=None):
        """One step from raw ``inputs`` [batch, d]: ``(output, new_states)`` (Keras's API)."""
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        out, new = self.step(self.project(inputs, training), states, training)
        self.reset_dropout_mask()
        return out, new

    def _h(self, h, training):
        _, rdp = self._masks(h, h, training)
        return h * rdp if rdp is not None else h

    def get_config(self):
        config = {**super().get_config(), "units": self.units,
                  "activation": activations.serialize(self.activation),
                  "use_bias": self.use_bias}
        config.update(weight_options_config(self, _WEIGHT_ARGS))
        config.update({"dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
                       "seed": self.seed})
        return config


class SimpleRNNCell(_Cell):
    """``h = activation(x @ kernel + h @ recurrent_kernel + bias)``."""

    def step(self, xk, states, training=None):
        h = self.activation(xk + linalg.matmul(self._h(states[0], training),
                                               self.recurrent_kernel))
        return h, [h]


def _lstm_bias(cell):
    """An LSTM cell's bias of ``4 * cell.units``: with ``unit_forget_bias`` the forget gate's
    part starts at one, the others as configured (as in Keras)."""
    u, init = cell.units, cell.bias_initializer
    if not cell.unit_forget_bias:
        return cell._weight("bias", (4 * u,), "bias")

    def forget_ones(shape, dtype=None):
        return A.concat([init((u,), dtype=dtype), A.ones((u,), dtype),
                         init((2 * u,), dtype=dtype)], axis=0)

    return cell._weight("bias", (4 * u,), "bias", initializer=forget_ones)


class LSTMCell(_Cell):
    """Keras's LSTM cell: gates in the order input, forget, cell, output;
    ``c = f * c + i * activation(z_c)``, ``h = o * activation(c)``."""

    _config_keys = (
        "name", "trainable", "dtype", "units", "activation", "recurrent_activation", "use_bias",
        "unit_forget_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer",
        "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
        "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed")

    gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 unit_forget_bias=True, **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(units, activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    @property
    def state_size(self):
        return [self.units, self.units]

    def _build_bias(self):
        return _lstm_bias(self)

    def step(self, xk, states, training=None):
        h, c = states
        z = xk + linalg.matmul(self._h(h, training), self.recurrent_kernel)
        zi, zf, zc, zo = P.split(z, 4, axis=-1)
        ra = self.recurrent_activation
        c = ra(zf) * c + ra(zi) * self.activation(zc)
        h = ra(zo) * self.activation(c)
        return h, [h, c]

    def fused(self, inputs, states, training):
        """``("lstm", x, the op's inputs after x)`` for ``ops.rnn.lstm_sequence``, or None
        where that op does not compute this cell (other activations or dtypes, recurrent
        dropout in training)."""
        x = self._fused_inputs(inputs, training)
        if x is None:
            return None
        bias = self.bias if self.bias is not None else A.zeros((4 * self.units,), x.dtype)
        return "lstm", x, (states[0], states[1], self.kernel, self.recurrent_kernel, bias)

    @staticmethod
    def unfuse(y, sequences):
        """``(outputs [b, steps, u] or None, [h, c])`` from the op's output."""
        if not sequences:
            return None, [y[:, 0], y[:, 1]]
        steps = y.shape[1] - 1
        return y[:, :steps], [y[:, steps - 1], y[:, steps]]

    def get_config(self):
        return {**super().get_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}


class GRUCell(_Cell):
    """Keras's GRU cell: gates in the order update (z), reset (r), candidate (h).

    ``reset_after=True`` (the default, cuDNN's form) applies the reset gate after the
    recurrent matmul and keeps separate input and recurrent biases (bias shape ``(2, 3u)``).
    """

    _config_keys = (
        "name", "trainable", "dtype", "units", "activation", "recurrent_activation", "use_bias",
        "kernel_initializer", "recurrent_initializer", "bias_initializer", "kernel_regularizer",
        "recurrent_regularizer", "bias_regularizer", "kernel_constraint", "recurrent_constraint",
        "bias_constraint", "dropout", "recurrent_dropout", "reset_after", "seed")

    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 reset_after=True, **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(units, activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)

    def _build_bias(self):
        shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        return self._weight("bias", shape, "bias")

    def _input_bias(self, xk):
        if self.bias is None:
            return xk
        return xk + (self.bias[0] if self.reset_after else self.bias)

    def step(self, xk, states, training=None):
        h = states[0]
        u, ra = self.units, self.recurrent_activation
        hd = self._h(h, training)
        xz, xr, xh = P.split(xk, 3, axis=-1)
        if self.reset_after:
            rec = linalg.matmul(hd, self.recurrent_kernel)
            if self.bias is not None:
                rec = rec + self.bias[1]
            rz, rr, rh = P.split(rec, 3, axis=-1)
            z, r = ra(xz + rz), ra(xr + rr)
            cand = self.activation(xh + r * rh)
        else:
            rk = self.recurrent_kernel
            rec = linalg.matmul(hd, rk[:, :2 * u])
            rz, rr = P.split(rec, 2, axis=-1)
            z, r = ra(xz + rz), ra(xr + rr)
            cand = self.activation(xh + linalg.matmul(r * hd, rk[:, 2 * u:]))
        h = z * h + (1.0 - z) * cand
        return h, [h]

    def fused(self, inputs, states, training):
        """``("gru", x, the op's inputs after x)`` for ``ops.rnn.gru_sequence``
        (``reset_after=True`` only), or None (``LSTMCell.fused``)."""
        x = self._fused_inputs(inputs, training) if self.reset_after else None
        if x is None:
            return None
        if self.bias is not None:
            bi, br = self.bias[0], self.bias[1]
        else:
            bi = br = A.zeros((3 * self.units,), x.dtype)
        return "gru", x, (states[0], self.kernel, self.recurrent_kernel, bi, br)

    @staticmethod
    def unfuse(y, sequences):
        """``(outputs [b, steps, u] or None, [h])`` from the op's output."""
        if not sequences:
            return None, [y]
        return y, [y[:, -1]]

    def get_config(self):
        return {**super().get_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}


def _state_shape(batch, size):
    """The shape of a batch of states of ``size`` (an int or a ``TensorShape``)."""
    if isinstance(size, TensorShape):
        return (batch,) + tuple(size.as_list())
    return (batch, size)


class StackedRNNCells(Layer):
    """Cells run one after the other at every step, each on the previous one's output (what
    ``RNN([cell, cell, ...])`` builds). Its states are every cell's states in turn; an ``RNN``
    with ``return_state`` returns them grouped per cell, as Keras does."""

    def __init__(self, cells, **kwargs):
        cells = list(cells)
        if cells:  # NOTE: computes in its cells' dtype (float64 cells stay float64)
            kwargs.setdefault("dtype", cells[0].dtype)
        super().__init__(**kwargs)
        for cell in cells:
            if not isinstance(cell, Layer) or not hasattr(cell, "state_size"):
                raise ValueError("All cells must have a `state_size` attribute. "
                                 f"Received: cells={cells}")
        self.cells = cells

    @property
    def state_size(self):
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self):
        return self.cells[-1].output_size

    def build(self, input_shape):
        shape = tuple(TensorShape(input_shape).as_list())
        for cell in self.cells:
            if not cell.built:
                cell.build(shape)
                cell.built = True
            shape = shape[:-1] + (cell.output_size,)
        self.built = True

    def _counts(self):
        return [len(nest.flatten(cell.state_size)) for cell in self.cells]

    def group_states(self, flat):
        """A flat list of states grouped per cell (each group a list)."""
        out, at = [], 0
        for n in self._counts():
            out.append(list(flat[at:at + n]))
            at += n
        return out

    def call(self, inputs, states, training=None):
        flat = nest.flatten(states)
        new_states, at, x = [], 0, inputs
        for cell, n in zip(self.cells, self._counts()):
            x, new = cell(x, flat[at:at + n], training=training)
            new_states.extend(new if isinstance(new, (list, tuple)) else [new])
            at += n
        return x, new_states

    def get_config(self):
        return {**super().get_config(), "cells": [_registry.serialize(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = [_registry.deserialize("layer", c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)


class RNN(Layer):
    """Runs ``cell`` over the time axis of ``(batch, steps, features)`` inputs.

    Returns the last output, or all of them with ``return_sequences`` (in processing order,
    so reversed with ``go_backwards``), followed by the final states with ``return_state``.
    A mask (``mask=`` or one carried from ``Embedding(mask_zero=True)``/``Masking``) makes
    masked steps keep the previous states and output.
    """

    _config_drop = ("activity_regularizer",)
    _config_keys = (
        "name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards",
        "stateful", "unroll", "zero_output_for_mask")

    _promotes_int_inputs = True  # TF 2.21: an int32 tensor in, float32 out

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        self.cell = cell
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.stateful = bool(go_backwards), bool(stateful)
        self.states = None  # with ``stateful``: the carried states, variables of the batch
        self.unroll = bool(unroll)  # NOTE: accepted; the loop is always a Python loop
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)

    def build(self, input_shape):
        if isinstance(input_shape, list) and input_shape and isinstance(
                input_shape[0], (list, tuple, TensorShape)):
            input_shape = input_shape[0]
        if not self.cell.built:
            shape = tuple(TensorShape(input_shape).as_list())
            self.cell.build(shape[:1] + shape[2:])
            self.cell.built = True
        self.built = True

    def _state_sizes(self):
        """The cell's (possibly nested) ``state_size`` as a flat list of ints and
        ``TensorShape``s (a state of that shape per sample, as a convolutional cell's)."""
        return nest.flatten(self.cell.state_size)

    def _returned_states(self, states):
        """The final states as the layer returns them: grouped per cell for stacked cells."""
        group = getattr(self.cell, "group_states", None)
        return group(states) if group is not None else list(states)

    def call(self, inputs, mask=None, training=None, initial_state=None):
        if isinstance(inputs, (list, tuple)):
            inputs, initial_state = inputs[0], list(inputs[1:]) or initial_state
        if initial_state is not None:
            initial_state = nest.flatten(initial_state)
        carry = self.stateful and not in_symbolic_call()
        if carry and initial_state is None:
            initial_state = self._carried_states(inputs)
        result, states = self._run(inputs, mask, training, initial_state)
        if carry:
            for var, value in zip(self.states, states):
                var.assign(value)
        return [result] + self._returned_states(states) if self.return_state else result

    def _carried_states(self, inputs):
        """A stateful layer's states (created as zeros for the first batch's size)."""
        batch = inputs.shape[0]
        if self.states is None:
            # NOTE: as in Keras, not weights of the layer (saved models do not hold them)
            self.__dict__["states"] = [
                Variable(A.zeros(_state_shape(batch, n), inputs.dtype), trainable=False,
                         name="rnn_state")
                for n in self._state_sizes()]
        expected = self.states[0].shape[0]
        if batch != expected:
            raise ValueError("If an RNN is stateful, the batch size of the input sequences "
                             "must be the same as the batch size of the initial state. \n"
                             f"- Expected batch size: {expected}\n"
                             f"- Received batch size: {batch}")
        return [v.value() for v in self.states]

    def reset_state(self):
        """Zero a stateful layer's carried states."""
        for var in self.states or ():
            var.assign(M.zeros_like(var))

    def reset_states(self):
        self.reset_state()

    def _run(self, inputs, mask, training, initial_state):
        """``(result, final states)`` of one call."""
        if mask is None:
            mask = get_mask(inputs)
        cell = self.cell
        batch = inputs.shape[0]
        if initial_state is None:
            states = [A.zeros(_state_shape(batch, n), inputs.dtype)
                      for n in self._state_sizes()]
        else:
            states = list(initial_state)  # flat (``call``)
        if self._can_fuse(inputs, mask, initial_state):
            # NOTE: one fused op for the whole sequence (ops/rnn.py); nested tapes take the
            # per-step path below, whose gradients are differentiable again. With a mask the
            # op carries the states over masked steps; from zero initial states its carried
            # outputs are what the per-step path outputs.
            keep = None if mask is None else M.cast(mask, inputs.dtype)
            res = cell.run_sequence(inputs, states, training, self.go_backwards,
                                    self.return_sequences, keep=keep)
            if res is not None:
                return self._fused_result(res, keep, mask)
        # NOTE: inputs are projected step by step: one matmul over all steps followed by
        # per-step slices is slower, as each slice's gradient is a full-size scatter.
        fast = hasattr(cell, "step") and hasattr(cell, "project")
        steps = P.unstack(A.transpose(inputs, [1, 0] + list(range(2, inputs.ndim))))
        masks = P.unstack(A.transpose(mask, [1, 0])) if mask is not None else None
        order = range(len(steps) - 1, -1, -1) if self.go_backwards else range(len(steps))
        outputs, out = [], None
        for t in order:
            if fast:
                out, new = cell.step(cell.project(steps[t], training), states, training)
            else:
                out, new = cell(steps[t], states, training=training)
                new = list(new) if isinstance(new, (list, tuple)) else [new]
            if masks is not None:
                keep = A.reshape(M.cast(masks[t], out.dtype), [-1] + [1] * (out.ndim - 1))
                carry = outputs and not self.zero_output_for_mask
                prev = outputs[-1] if carry else M.zeros_like(out)
                out = keep * out + (1.0 - keep) * prev
                new = [keep * n + (1.0 - keep) * s for n, s in zip(new, states)]
            outputs.append(out)
            states = new
        if fast:
            cell.reset_dropout_mask()
        if self.return_sequences:
            result = A.stack(outputs, axis=1)
            if mask is not None:
                set_mask(result, P.reverse(mask, [1]) if self.go_backwards else mask)
        else:
            result = out
        return result, states

    def _can_fuse(self, inputs, mask, initial_state):
        """Whether the cell's fused op may run this call (``ops/rnn.py``)."""
        return (hasattr(self.cell, "fused") and inputs.ndim == 3 and inputs.shape[1]
                and not _nested_tapes() and (mask is None or initial_state is None))

    def _fused_result(self, res, keep, mask):
        """``(result, final states)`` from the fused op's ``(outputs or None, states)``."""
        seq, states = res
        result = seq if self.return_sequences else states[0]
        if keep is not None:
            if self.zero_output_for_mask:  # masked steps output zeros
                order = P.reverse(keep, [1]) if self.go_backwards else keep
                result = result * (A.expand_dims(order, -1) if self.return_sequences
                                   else order[:, -1:])
            if self.return_sequences:
                set_mask(result, P.reverse(mask, [1]) if self.go_backwards else mask)
        return result, states

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, list) and input_shape and isinstance(
                input_shape[0], (list, tuple)):
            input_shape = input_shape[0]
        shape = tuple(input_shape)
        out = _state_shape(shape[0], self.cell.output_size)
        if self.return_sequences:
            out = out[:1] + (shape[1],) + out[1:]
        if self.return_state:
            return [out] + self._returned_states([_state_shape(shape[0], n)
                                                  for n in self._state_sizes()])
        return out

    def get_initial_state(self, batch_size):
        return [A.zeros(_state_shape(batch_size, n), self.dtype) for n in self._state_sizes()]

    def get_config(self):
        return {**super().get_config(), "return_sequences": self.return_sequences,
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "return_state": self.return_state, "go_backwards": self.go_backwards,
                "stateful": self.stateful, "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask,
                "cell": _registry.serialize(self.cell)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = _registry.deserialize("layer", config.pop("cell"), custom_objects)
        return cls(cell, **config)


class _CellRNN(RNN):
    """An ``RNN`` owning a cell of class ``cell_class`` whose arguments it takes flat, with a
    flat config like Keras's ``LSTM``."""

    cell_class = None
    _rnn_args = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll",
                 "zero_output_for_mask")

    def __init__(self, units, **kwargs):
        rnn = {k: kwargs.pop(k) for k in self._rnn_args if k in kwargs}
        base = {k: kwargs.pop(k) for k in ("name", "trainable", "dtype", "input_shape",
                                           "batch_input_shape", "batch_size", "input_dim",
                                           "activity_regularizer") if k in kwargs}
        cell = self.cell_class(units, dtype=base.get("dtype"), **kwargs)
        super().__init__(cell, **rnn, **base)

    def __getattr__(self, name):
        # NOTE: Keras exposes the cell's arguments and weights on the layer (lstm.units,
        # lstm.cell.kernel); reading them through is enough for that.
        cell = self.__dict__.get("cell")
        if cell is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(cell, name)

    def get_config(self):
        config = super().get_config()
        cell = config.pop("cell")["config"]
        for key in ("name", "trainable", "dtype"):
            cell.pop(key, None)
        return {**config, **cell}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


class SimpleRNN(_CellRNN):
    """A fully connected RNN: ``h_t = tanh(x_t @ W + h_{t-1} @ U + b)``."""

    _config_keys = (
        "name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards",
        "stateful", "unroll", "zero_output_for_mask", "units", "activation", "use_bias",
        "kernel_initializer", "recurrent_initializer", "bias_initializer", "kernel_regularizer",
        "recurrent_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
        "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout")
    _config_drop = ("seed",)

    cell_class = SimpleRNNCell


class LSTM(_CellRNN):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997) with Keras's defaults."""

    _config_drop = ()
    _config_keys = (
        "name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards",
        "stateful", "unroll", "zero_output_for_mask", "units", "activation",
        "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer",
        "bias_initializer", "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer",
        "bias_regularizer", "activity_regularizer", "kernel_constraint", "recurrent_constraint",
        "bias_constraint", "dropout", "recurrent_dropout", "seed")

    cell_class = LSTMCell


class GRU(_CellRNN):
    """Gated recurrent unit (Cho et al., 2014); ``reset_after=True`` by default as in Keras."""

    _config_drop = ()
    _config_keys = (
        "name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards",
        "stateful", "unroll", "zero_output_for_mask", "units", "activation",
        "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer",
        "bias_initializer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
        "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint",
        "dropout", "recurrent_dropout", "reset_after", "seed")

    cell_class = GRUCell
