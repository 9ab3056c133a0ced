"""Layers joining several inputs: ``Add``, ``Subtract``, ``Multiply``, ``Average``,
``Maximum``, ``Minimum``, ``Concatenate``, ``Dot``, and their functional forms."""
from ...ops import array as A
from ...ops import linalg
from ...ops import math as M
from ...ops import reduction as R
from .base import Layer


class _Merge(Layer):
    def _check(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(f"A merge layer ({type(self).__name__}) should be called on a list "
                             f"of at least 2 inputs. Received: inputs={inputs!r}")

    def build(self, input_shape):
        self._check(list(input_shape) if isinstance(input_shape, (list, tuple)) else None)
        self.built = True

    def call(self, inputs):
        self._check(inputs)
        out = inputs[0]
        for x in inputs[1:]:
            out = self._merge(out, x)
        return out

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])


class Add(_Merge):
    def _merge(self, a, b):
        return a + b


class Multiply(_Merge):
    def _merge(self, a, b):
        return a * b


class Maximum(_Merge):
    def _merge(self, a, b):
        return M.maximum(a, b)


class Minimum(_Merge):
    def _merge(self, a, b):
        return M.minimum(a, b)


class Subtract(_Merge):
    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError("A `Subtract` layer should be called on exactly 2 inputs. "
                             f"Received: inputs={inputs!r}")
        return inputs[0] - inputs[1]


class Average(_Merge):
    def call(self, inputs):
        return super().call(inputs) * (1.0 / len(inputs))

    def _merge(self, a, b):
        return a + b


class Concatenate(_Merge):
    """Joins the inputs along ``axis`` (default last)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        self._check(inputs)
        return A.concat(list(inputs), axis=self.axis)

    def compute_output_shape(self, input_shape):
        shapes = [list(s) for s in input_shape]
        out = shapes[0][:]
        sizes = [s[self.axis] for s in shapes]
        out[self.axis] = None if None in sizes else sum(sizes)
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def add(inputs, **kwargs):
    """The elementwise sum of a list of tensors (the functional form of ``Add``)."""
    return Add(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """The elementwise product of a list of tensors (the functional form of ``Multiply``)."""
    return Multiply(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """The tensors of a list joined along ``axis`` (the functional form of ``Concatenate``)."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def _l2_normalize(x, axis):
    """``x`` over its L2 norm along ``axis`` (the inverse norm capped at 1e7, as in Keras)."""
    inv = M.rsqrt(R.reduce_sum(M.square(x), axis=axis, keepdims=True))
    return x * M.minimum(inv, 1e7)


class Dot(_Merge):
    """The batchwise dot product of two inputs, contracting ``axes`` (one int for both, or a
    pair); ``normalize=True`` L2-normalises both along those axes first (cosine proximity)."""

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)) or len(axes) != 2:
                raise ValueError("Invalid format for argument `axes`: expected a list of 2 "
                                 f"integers or an integer. Received: axes={axes}")
        self.axes, self.normalize = axes, bool(normalize)

    def _axes(self, ranks):
        pair = [self.axes] * 2 if isinstance(self.axes, int) else self.axes
        return [a % r if a < 0 else a for a, r in zip(pair, ranks)]

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError("A `Dot` layer should be called on exactly 2 inputs. "
                             f"Received: inputs={inputs!r}")
        x, y = inputs
        ax, ay = self._axes([x.ndim, y.ndim])
        if self.normalize:
            x, y = _l2_normalize(x, ax), _l2_normalize(y, ay)
        letters = "bcdefghijklmnopqrstuvwxy"
        xs = ["a"] + list(letters[:x.ndim - 1])
        ys = ["a"] + list(letters[x.ndim - 1:x.ndim + y.ndim - 2])
        xs[ax] = ys[ay] = "z"
        out = [c for c in xs if c != "z"] + [c for c in ys[1:] if c != "z"]
        result = linalg.einsum(f"{''.join(xs)},{''.join(ys)}->{''.join(out)}", x, y)
        return A.expand_dims(result, 1) if result.ndim == 1 else result

    def compute_output_shape(self, input_shape):
        xs, ys = list(input_shape[0]), list(input_shape[1])
        ax, ay = self._axes([len(xs), len(ys)])
        out = xs[:ax] + xs[ax + 1:] + [d for i, d in enumerate(ys) if i not in (0, ay)]
        return tuple(out) if len(out) > 1 else (out[0], 1)

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def subtract(inputs, **kwargs):
    """``Subtract`` applied to two inputs.

    Args:
        inputs: a list of 2 tensors of one shape.
        **kwargs: layer arguments.

    Returns:
        Their difference.
    """
    return Subtract(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``Average`` applied to ``inputs``.

    Args:
        inputs: a list of at least 2 tensors of one shape.
        **kwargs: layer arguments.

    Returns:
        Their mean.
    """
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """``Maximum`` applied to ``inputs``.

    Args:
        inputs: a list of at least 2 tensors of one shape.
        **kwargs: layer arguments.

    Returns:
        Their elementwise maximum.
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """``Minimum`` applied to ``inputs``.

    Args:
        inputs: a list of at least 2 tensors of one shape.
        **kwargs: layer arguments.

    Returns:
        Their elementwise minimum.
    """
    return Minimum(**kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """``Dot`` applied to two inputs.

    Args:
        inputs: a list of 2 tensors.
        axes: the axis (or pair of axes) to contract.
        normalize: L2-normalise both along the axes first.
        **kwargs: layer arguments.

    Returns:
        Their batchwise dot product.
    """
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
