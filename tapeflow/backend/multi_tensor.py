"""Adam's update for all of a model's variables at once, on a device (CuPy).

NOTE: per-variable updates launch at least one kernel per variable, and launch cost dominates
small models on a GPU. Here the gradients are concatenated into one flat array (one kernel),
the parameters live as views of one flat array (no kernel when the previous step's array is
still what the variables hold), and one fused kernel (``cuda_kernels.adam_update``) updates
every parameter and both moments. The moments are flat arrays too; the optimizer's per-variable
slots are views of them, so the per-variable path, checkpoints and ``Optimizer.variables`` see
the same state. Each step writes a fresh parameter array and rebinds the variables to views of
it: tensors read earlier keep their values.

Used by ``Adam.apply`` for device arrays of one float dtype without AMSGrad, weight decay or
constraints; on other arrays (the tests' stand-in device) the update runs as array
expressions, so everything but the fused kernel is exercised without a GPU.
"""
import functools

from . import cuda_kernels, generic, ndarray, xp_of
from . import host as _host

_HOST_TYPES = (ndarray, generic)


class _Flat:
    __slots__ = ("key", "offsets", "shapes", "m", "v", "params", "views")


def eligible(opt, grads, variables):
    """Whether ``opt`` (an Adam) can update ``variables`` with the flat path."""
    if opt.amsgrad or opt.weight_decay or len(grads) < 2:
        return False
    dtype = grads[0].dtype
    if dtype.kind != "f" or isinstance(grads[0], _HOST_TYPES):
        return False
    for g, var in zip(grads, variables):
        if g.dtype != dtype or var._v.dtype != dtype or var.constraint is not None \
                or isinstance(g, _HOST_TYPES) or g.shape != var._v.shape:
            return False
    return True


def _state(opt, variables):
    flat = getattr(opt, "_flat_state", None)
    key = tuple(id(v) for v in variables)
    if flat is not None and flat.key == key:
        return flat
    xp = xp_of(variables[0]._v)
    flat = _Flat()
    flat.key = key
    flat.shapes = [v._v.shape for v in variables]
    sizes = [v._v.size for v in variables]
    flat.offsets = [sum(sizes[:i]) for i in range(len(sizes) + 1)]
    total, dtype = flat.offsets[-1], variables[0]._v.dtype
    flat.m, flat.v = xp.zeros(total, dtype), xp.zeros(total, dtype)
    for i, var in enumerate(variables):
        lo, hi = flat.offsets[i], flat.offsets[i + 1]
        entry = opt._state.get(id(var))
        if entry is not None and entry[0] is var:  # keep moments from earlier steps
            flat.m[lo:hi] = entry[1][0].ravel()
            flat.v[lo:hi] = entry[1][1].ravel()
        opt._state[id(var)] = (var, [flat.m[lo:hi].reshape(flat.shapes[i]),
                                     flat.v[lo:hi].reshape(flat.shapes[i])])
    flat.params, flat.views = None, [None] * len(variables)
    opt._flat_state = flat
    return flat


@functools.lru_cache(maxsize=16)  # NOTE: the same for every variable of a step (~1.4 us)
def adam_alpha(dtype, lr, b1, b2, t):
    """Adam's step size ``lr * sqrt(1 - b2^t) / (1 - b1^t)`` computed as Keras computes it: in
    the variables' dtype, each power the float64 power of the rounded beta rounded once
    (TF's float32 pow is correctly rounded).

    NOTE: the same formula in float64 differs from Keras's float32 one by up to ~10 ulps of
    a weight after one step (0.90000063 against Keras's 0.9000013); this way recorded Keras
    Adam steps match bit for bit (tests/keras/test_adam_keras_bits.py).
    """
    f = dtype.type if dtype.kind == "f" else _host.float32
    one = f(1)
    b1t = f(float(f(b1)) ** t)
    b2t = f(float(f(b2)) ** t)
    return f(lr) * _host.sqrt(one - b2t) / (one - b1t)


def adam(opt, grads, variables, lr, t):
    """One Adam step (bias-corrected step size ``lr * sqrt(1 - b2^t) / (1 - b1^t)``)."""
    flat = _state(opt, variables)
    xp = xp_of(grads[0])
    b1, b2, eps = opt.beta_1, opt.beta_2, opt.epsilon
    g = xp.concatenate([a.reshape(-1) for a in grads])
    p = flat.params
    if p is None or any(var._v is not view for var, view in zip(variables, flat.views)):
        p = xp.concatenate([var._v.reshape(-1) for var in variables])
    alpha = adam_alpha(p.dtype, float(lr), float(b1), float(b2), int(t))
    if cuda_kernels.owns(p):
        new = cuda_kernels.adam_update(p, g, flat.m, flat.v, float(alpha), b1, b2, eps)
    else:
        t_ = p.dtype.type
        flat.m += (g - flat.m) * t_(1 - b1)
        flat.v += (g * g - flat.v) * t_(1 - b2)
        new = p - flat.m * t_(alpha) / (xp.sqrt(flat.v) + t_(eps))
    flat.params = new
    for i, var in enumerate(variables):
        view = new[flat.offsets[i]:flat.offsets[i + 1]].reshape(flat.shapes[i])
        flat.views[i] = view
        var._assign_raw(view)
