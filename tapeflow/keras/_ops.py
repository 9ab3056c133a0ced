"""Differentiable helpers keras needs (softmax, log-softmax, fused cross-entropies), taken
from ``tf.nn`` when it provides them and composed from core ops otherwise."""
from .. import ops as _ops_pkg  # noqa: F401 - makes sure the ops are installed
from ..ops import array as A
from ..ops import math as M
from ..ops import reduction as R


def _nn(name):
    from ..ops import nn  # noqa: PLC0415

    return getattr(nn, name, None)


def softmax(x, axis=-1):
    f = _nn("softmax")
    if f is not None:
        return f(x, axis=axis)
    e = M.exp(x - M.stop_gradient(R.reduce_max(x, axis=axis, keepdims=True)))
    return e / R.reduce_sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    f = _nn("log_softmax")
    if f is not None:
        return f(x, axis=axis)
    return x - R.reduce_logsumexp(x, axis=axis, keepdims=True)


def relu(x):
    f = _nn("relu")
    return f(x) if f is not None else M.maximum(x, 0.0)


def softmax_xent_logits(labels, logits, axis=-1):
    """Per-example cross-entropy of dense ``labels`` against ``logits`` (stable)."""
    f = _nn("softmax_cross_entropy_with_logits")
    if f is not None and axis == -1:
        return f(labels=labels, logits=logits)
    return -R.reduce_sum(labels * log_softmax(logits, axis), axis=axis)


def sparse_softmax_xent_logits(labels, logits):
    """Per-example cross-entropy of integer ``labels`` against ``logits`` (stable)."""
    f = _nn("sparse_softmax_cross_entropy_with_logits")
    if f is not None:
        return f(labels=labels, logits=logits)
    hot = A.one_hot(labels, int(logits.shape[-1]), dtype=logits.dtype)
    return -R.reduce_sum(hot * log_softmax(logits), axis=-1)


def sigmoid_xent_logits(labels, logits):
    """Elementwise ``max(x, 0) - x*z + log(1 + exp(-|x|))``."""
    f = _nn("sigmoid_cross_entropy_with_logits")
    if f is not None:
        return f(labels=labels, logits=logits)
    return M.maximum(logits, 0.0) - logits * labels + M.log1p(M.exp(-M.abs(logits)))
