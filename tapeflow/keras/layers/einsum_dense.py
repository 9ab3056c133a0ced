"""``EinsumDense``: a dense layer whose contraction is an einsum equation, so the kernel can
map any input axes to any output axes."""
import copy
import re

from ...ops import linalg
from ...tensor import TensorShape
from .. import activations, initializers
from .base import InputSpec, Layer, kernel_bias_config, set_kernel_bias


def _split(equation):
    """``(input spec, weight spec, output spec, left_elided)`` of an EinsumDense equation."""
    plain = equation.replace("...", "0")
    for pattern, left in (("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", False),
                          ("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$", True),
                          ("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$", False)):
        found = re.match(pattern, plain)
        if found:
            return found.group(1), found.group(2), found.group(3), left
    raise ValueError(f"Invalid einsum equation '{equation}'. Equations must be in the form "
                     "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")


def einsum_shapes(equation, bias_axes, input_shape, output_shape):
    """The kernel shape, bias shape (or None), full output shape, and the kernel's input and
    output axes (its fans) of an EinsumDense."""
    in_spec, w_spec, out_spec, left = _split(equation)
    input_shape = list(input_shape)
    elided = len(input_shape) - len(in_spec)
    out = [input_shape[0]] + list(output_shape)
    if elided > 0 and left:
        for i in range(1, elided):
            out.insert(1, input_shape[i])
    elif elided > 0:
        out.extend(input_shape[len(input_shape) - elided:])
    if left:
        in_map = {d: i + elided - len(input_shape) for i, d in enumerate(in_spec)}
        out_map = {d: i + elided for i, d in enumerate(out_spec)}
    else:
        in_map = {d: i for i, d in enumerate(in_spec)}
        out_map = {d: i for i, d in enumerate(out_spec)}
    for d in in_spec:
        if d in out_map and out[out_map[d]] is not None and \
                out[out_map[d]] != input_shape[in_map[d]]:
            raise ValueError(f"Input shape and output shape do not match at shared dimension "
                             f"'{d}'. Input shape is {input_shape[in_map[d]]}, and output shape "
                             f"is {out[out_map[d]]}.")
    for d in out_spec:
        if d not in in_spec and d not in w_spec:
            raise ValueError(f"Dimension '{d}' was specified in the output '{out_spec}' but has "
                             f"no corresponding dim in the input spec '{in_spec}' or weight "
                             f"spec '{out_spec}'")
    kernel, in_axes, out_axes = [], [], []
    for i, d in enumerate(w_spec):
        if d in out_map:
            kernel.append(out[out_map[d]])
            out_axes.append(i)
        elif d in in_map:
            kernel.append(input_shape[in_map[d]])
            in_axes.append(i)
        else:
            raise ValueError(f"Weight dimension '{d}' did not have a match in either the input "
                             f"spec '{in_spec}' or the output spec '{out_spec}'. For this layer, "
                             "the weight must be fully specified.")
    bias = None
    if bias_axes is not None:
        skip = elided if left else 0
        sizes = {c: out[i + skip] for i, c in enumerate(out_spec)}
        for c in bias_axes:
            if c not in out_spec:
                raise ValueError(f"Bias dimension '{c}' was requested, but is not part of the "
                                 f"output spec '{out_spec}'")
        first = min(out_spec.find(c) for c in bias_axes)
        bias = [sizes[c] if c in bias_axes else 1 for c in out_spec[first:]]
        if not left:
            bias += [1] * max(elided, 0)
    return kernel, bias, out, (in_axes, out_axes)


class EinsumDense(Layer):
    """``activation(einsum(equation, inputs, kernel) + bias)``: ``output_shape`` gives the
    output's non-batch sizes, ``bias_axes`` the output letters the bias varies along."""

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        if lora_rank or quantization_config is not None:
            raise NotImplementedError("tapeflow's EinsumDense has no LoRA or quantization: "
                                      "lora_rank and quantization_config must be None.")
        self.equation = equation
        self.partial_output_shape = (output_shape,) if isinstance(output_shape, int) else \
            tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        set_kernel_bias(self, kernel_initializer, bias_initializer, kernel_regularizer,
                        bias_regularizer, kernel_constraint, bias_constraint)
        _split(equation)

    def build(self, input_shape):
        shape = TensorShape(input_shape).as_list()
        kernel, bias, self.full_output_shape, fan_axes = einsum_shapes(
            self.equation, self.bias_axes, shape, self.partial_output_shape)
        self.input_spec = InputSpec(ndim=len(shape))
        init = self.kernel_initializer
        if isinstance(init, initializers.VarianceScaling) and init.fan_axes is None:
            init = copy.copy(init)  # NOTE: as Keras, fans from the equation's axes
            init.fan_axes = fan_axes
        self.kernel = self.add_weight(name="kernel", shape=tuple(kernel),
                                      initializer=init,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None if bias is None else self.add_weight(
            name="bias", shape=tuple(bias), initializer=self.bias_initializer,
            regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    def call(self, inputs):
        out = linalg.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            out = out + self.bias
        return out if self.activation is activations.linear else self.activation(out)

    def compute_output_shape(self, input_shape):
        return tuple(einsum_shapes(self.equation, self.bias_axes,
                                   TensorShape(input_shape).as_list(),
                                   self.partial_output_shape)[2])

    def get_config(self):
        return {**super().get_config(), "output_shape": self.partial_output_shape,
                "equation": self.equation, "activation": activations.serialize(self.activation),
                "bias_axes": self.bias_axes, **kernel_bias_config(self),
                "quantization_config": None}
