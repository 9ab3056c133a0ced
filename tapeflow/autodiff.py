"""``tf.autodiff``: ``GradientTape`` and ``ForwardAccumulator`` (forward-mode products).

``ForwardAccumulator`` gives Jacobian-vector products: the derivative of a computation in
the direction of the tangents. tapeflow records the computation on a tape as reverse mode
does and forms the product on demand by differentiating the reverse pass once more: for
``y = f(x)``, the backward sweep with a seed ``u`` gives ``g(u) = J^T u``, linear in ``u``,
so ``J v`` is the gradient of ``<g(u), v>`` with respect to ``u``. The results match true
forward mode (and compose with tapes and other accumulators in either order); each ``jvp``
costs about two backward sweeps.
"""
from . import nest as _nest
from .ops.math import multiply as _multiply
from .ops.math import zeros_like as _zeros_like
from .ops.reduction import reduce_sum as _reduce_sum
from .tape import GradientTape
from .tape import UnconnectedGradients as _Unconnected
from .tensor import convert_to_tensor as _convert

__all__ = ["ForwardAccumulator", "GradientTape"]


class ForwardAccumulator:
    """Computes Jacobian-vector products of what runs inside its ``with`` block.

    ``primals`` are the tensors or variables the derivative is taken with respect to and
    ``tangents`` the direction (same structure, shapes and dtypes).

    >>> x = tf.constant([1.0, 2.0])
    >>> with tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 0.0])) as acc:
    ...     y = x * x
    >>> acc.jvp(y).numpy()
    array([2., 0.], dtype=float32)
    """

    def __init__(self, primals, tangents):
        flat_p = _nest.flatten(primals)
        try:
            _nest.assert_same_structure(primals, tangents)
        except (ValueError, TypeError) as e:
            raise ValueError(f"primals and tangents must have the same structure: {e}") from None
        flat_t = _nest.flatten(tangents)
        seen = set()
        self._pairs = []
        for p, t in zip(flat_p, flat_t):
            if id(p) in seen:
                raise ValueError(f"Tensor {p!r} was specified as a primal multiple times. This "
                                 "may indicate an error. If it was intended, please sum the "
                                 "corresponding tangents.")
            seen.add(id(p))
            t = _convert(t, dtype=p.dtype)
            if tuple(t.shape) != tuple(p.shape):
                raise ValueError(f"The tangent's shape {tuple(t.shape)} differs from its "
                                 f"primal's shape {tuple(p.shape)} (ForwardAccumulator)")
            self._pairs.append((p, t))
        self._tangent_of = {id(p): t for p, t in self._pairs}
        self._tape = GradientTape(persistent=True, watch_accessed_variables=False)
        self._floating = [p for p, _ in self._pairs if p.dtype.is_floating]
        self._tape.watch(self._floating)

    def __enter__(self):
        self._tape.__enter__()
        return self

    def __exit__(self, *exc):
        return self._tape.__exit__(*exc)

    def jvp(self, primals, unconnected_gradients=_Unconnected.NONE):
        """The Jacobian-vector products of ``primals`` (tensors computed inside the block),
        in their structure: None (or zeros with ``UnconnectedGradients.ZERO``) for a tensor
        that does not depend on the accumulator's primals. The products are constants for
        this accumulator (an outer tape or accumulator still sees how they were computed)."""
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError(f"Unknown value for unconnected_gradients: {unconnected_gradients!r}")
        with self._tape.stop_recording():
            out = [self._one(t, unconnected_gradients) for t in _nest.flatten(primals)]
        return _nest.pack_sequence_as(primals, out)

    def _one(self, target, unconnected):
        tangent = self._tangent_of.get(id(target))
        if tangent is not None:
            return tangent
        if not target.dtype.is_floating:
            return None
        u = _zeros_like(target)
        with GradientTape() as seed_tape:
            seed_tape.watch(u)
            grads = self._tape.gradient(target, self._floating, output_gradients=u)
            total = None
            for g, p in zip(grads, self._floating):
                if g is None:
                    continue
                part = _reduce_sum(_multiply(g, self._tangent_of[id(p)]))
                total = part if total is None else total + part
        result = None if total is None else seed_tape.gradient(total, u)
        if result is None and unconnected == "zero":
            return _zeros_like(target)
        return result
