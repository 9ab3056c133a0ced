"""Hand-fused CuPy kernels for the few places where it pays; used only for CuPy arrays.

NOTE: each CuPy array expression launches one kernel and allocates one temporary, and a
small model's training step is dominated by launch cost. These three fuse what the NumPy
code does in several passes into one elementwise kernel:

* ``relu_grad``: ``g * (y > 0)`` (a comparison, a cast and a multiply -> one kernel);
* ``sparse_xent_grad``: the logits gradient of sparse softmax cross-entropy, ``(softmax(x)
  - onehot(label)) * g``, from the row max and row sum (four passes after the exp -> two);
* ``adam_update``: Adam's moment updates and parameter step for one variable (eight
  kernels -> one); the moments are updated in place (they belong to the optimizer) and the
  new parameter is a fresh array, since variables are rebound, never written into.

Kernels compile on first use. ``owns(a)`` is the gate: true only for CuPy arrays.
"""
from . import cuda

_kernels = {}


def owns(a):
    """True when ``a`` is a CuPy array (the GPU backend is active)."""
    cp = cuda.cupy_module()
    return cp is not None and isinstance(a, cp.ndarray)


def _kernel(name, in_params, out_params, body):
    k = _kernels.get(name)
    if k is None:
        cp = cuda.cupy_module()
        k = _kernels[name] = cp.ElementwiseKernel(in_params, out_params, body,
                                                  f"tapeflow_{name}")
    return k


def relu_grad(g, y):
    k = _kernel("relu_grad", "T g, T y", "T dx", "dx = y > (T)0 ? g : (T)0")
    return k(g, y)


def sparse_xent_grad(e, labels, g):
    """``(e / sum(e) - onehot(labels)) * g[..., None]`` over the last axis, where ``e`` is
    ``exp(x - max(x))`` of the logits ``x``."""
    c = e.shape[-1]
    s = e.sum(axis=-1, keepdims=True)
    k = _kernel("sparse_xent_grad", "T e, T s, L label, T g, int64 c", "T dx",
                "dx = (e / s - (T)((long long)(i % c) == (long long)label)) * g")
    return k(e, s, labels[..., None], g[..., None], c)


def adam_update(p, g, m, v, alpha, beta_1, beta_2, epsilon):
    """One Adam step: updates ``m`` and ``v`` in place and returns the new parameter."""
    t = p.dtype.type
    k = _kernel(
        "adam", "T p, T g, T alpha, T c1, T c2, T eps", "T m, T v, T out",
        "m = m + (g - m) * c1; v = v + (g * g - v) * c2; "
        "out = p - m * alpha / (sqrt(v) + eps)")
    cp = cuda.cupy_module()
    out = cp.empty_like(p)
    # 1 - beta in double precision, then rounded: what the NumPy path multiplies by
    k(p, g, t(alpha), t(1 - beta_1), t(1 - beta_2), t(epsilon), m, v, out)
    return out
