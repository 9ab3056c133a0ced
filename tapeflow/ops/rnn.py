"""A whole LSTM sequence as one recorded op, with a hand-written backward through time.

The per-step formulation (a dozen recorded ops per time step) pays Python and tape overhead
on every step; here the input projection of all steps is one matmul, each step is one matmul
plus a few in-place array operations, and the backward pass is one op whose weight gradients
are again single matmuls over all steps. Keras's cell: gates in the order input, forget,
cell, output; ``c = f * c + i * tanh(z_c)``, ``h = o * tanh(c)``, sigmoid gates.

The op's output packs everything the layer needs into one array of shape
``(batch, steps + 1, units)``: the outputs ``h_1 .. h_T`` in processing order, then the final
cell state ``c_T``. The backward op is not itself differentiable (no second-order gradients
through this op; the Keras layer falls back to per-step ops under nested tapes).
"""
import weakref

from ..backend import xp_of
from ._core import Op, apply

__all__ = ["lstm_sequence"]

# id(output array) -> the forward's saved activations, dropped when the output array dies.
_SAVED = {}


def _remember(y, saved):
    key = id(y)
    _SAVED[key] = saved
    weakref.finalize(y, _SAVED.pop, key, None)


def _gate_consts(xp, u, dtype):
    """Per-column constants: sigmoid(z) = 0.5 * tanh(0.5 z) + 0.5 on the i, f, o gates and
    tanh on the cell gate, so one tanh pass activates all four gates without overflow."""
    half = dtype.type(0.5)
    scale = xp.full(4 * u, half, dtype)
    scale[2 * u:3 * u] = 1
    shift = xp.full(4 * u, half, dtype)
    shift[2 * u:3 * u] = 0
    return scale, shift


def _forward(x, h0, c0, w, r, b, reverse):
    """Run the sequence; return the saved arrays the backward pass needs."""
    xp = xp_of(x)
    n, steps, d = x.shape
    u = h0.shape[1]
    xt = x.transpose(1, 0, 2)
    if reverse:
        xt = xt[::-1]
    xt = xp.ascontiguousarray(xt)  # (T, B, D), time-major so each step reads a block
    acts = (xt.reshape(steps * n, d) @ w).reshape(steps, n, 4 * u)
    acts += b
    scale, shift = _gate_consts(xp, u, x.dtype)
    hs = xp.empty((steps + 1, n, u), x.dtype)
    cs = xp.empty((steps + 1, n, u), x.dtype)
    tcs = xp.empty((steps, n, u), x.dtype)
    hs[0], cs[0] = h0, c0
    tmp = xp.empty((n, u), x.dtype)
    rec = xp.empty((n, 4 * u), x.dtype)
    for t in range(steps):
        z = acts[t]  # pre-activations, overwritten by the activated gates
        xp.matmul(hs[t], r, out=rec)
        z += rec
        z *= scale
        xp.tanh(z, out=z)
        z *= scale
        z += shift
        i, f, g, o = z[:, :u], z[:, u:2 * u], z[:, 2 * u:3 * u], z[:, 3 * u:]
        c = cs[t + 1]
        xp.multiply(f, cs[t], out=c)
        xp.multiply(i, g, out=tmp)
        c += tmp
        xp.tanh(c, out=tcs[t])
        xp.multiply(o, tcs[t], out=hs[t + 1])
    return xt, acts, hs, cs, tcs


def _lstm_fwd(x, h0, c0, w, r, b, reverse):
    n, steps, _ = x.shape
    saved = _forward(x, h0, c0, w, r, b, reverse)
    _, _, hs, cs, _ = saved
    y = xp_of(x).empty((n, steps + 1, h0.shape[1]), x.dtype)
    y[:, :steps] = hs[1:].transpose(1, 0, 2)
    y[:, steps] = cs[steps]
    _remember(y, saved)
    return y


def _lstm_bwd(x, h0, c0, w, r, b, y, dy, reverse):
    """All six gradients (x, h0, c0, kernel, recurrent kernel, bias), packed flat."""
    xp = xp_of(x)
    n, steps, d = x.shape
    u = h0.shape[1]
    saved = _SAVED.get(id(y))
    if saved is None:  # NOTE: e.g. the output was rebuilt by a copy: recompute the forward
        saved = _forward(x, h0, c0, w, r, b, reverse)
    xt, acts, hs, cs, tcs = saved
    # The activations' derivatives for all steps at once: a(1-a) on the sigmoid gates and
    # (1-a)(1+a) on the tanh gate, i.e. (1 - a) * (a + beta).
    beta = xp.zeros(4 * u, x.dtype)
    beta[2 * u:3 * u] = 1
    dact = 1 - acts
    dact *= acts + beta
    # o * (1 - tanh(c)^2): how h_t's gradient reaches c_t
    ocs = tcs * tcs
    xp.subtract(1, ocs, out=ocs)
    ocs *= acts[:, :, 3 * u:]
    dyt = dy.transpose(1, 0, 2)  # (T + 1, B, U): h_1..h_T in processing order, then c_T
    dz_all = xp.empty((steps, n, 4 * u), x.dtype)
    rt = xp.ascontiguousarray(r.T)
    dh = xp.zeros((n, u), x.dtype)
    dc = xp.array(dyt[steps], x.dtype)
    tmp = xp.empty((n, u), x.dtype)
    for t in range(steps - 1, -1, -1):
        dh += dyt[t]
        a, dz = acts[t], dz_all[t]
        xp.multiply(dh, ocs[t], out=tmp)
        dc += tmp
        xp.multiply(dc, a[:, 2 * u:3 * u], out=dz[:, :u])  # d i
        xp.multiply(dc, cs[t], out=dz[:, u:2 * u])  # d f
        xp.multiply(dc, a[:, :u], out=dz[:, 2 * u:3 * u])  # d g
        xp.multiply(dh, tcs[t], out=dz[:, 3 * u:])  # d o
        dz *= dact[t]
        dc *= a[:, u:2 * u]
        xp.matmul(dz, rt, out=dh)
    flat = dz_all.reshape(steps * n, 4 * u)
    dxt = (flat @ w.T).reshape(steps, n, d)
    if reverse:
        dxt = dxt[::-1]
    parts = [dxt.transpose(1, 0, 2), dh, dc, xt.reshape(steps * n, d).T @ flat,
             hs[:steps].reshape(steps * n, u).T @ flat, xp.ones(steps * n, x.dtype) @ flat]
    out = xp.empty(sum(p.size for p in parts), x.dtype)
    at = 0
    for p in parts:
        out[at:at + p.size].reshape(p.shape)[...] = p
        at += p.size
    return out


def _lstm_grad(n, g):
    x, h0, c0, w, r, b = n.inputs
    packed = apply(LSTM_SEQ_GRAD, (x, h0, c0, w, r, b, n.out, g), n.attrs)
    grads, at = [], 0
    for t, need in zip(n.inputs, n.needs):
        shape = t._v.shape
        size = 1
        for s in shape:
            size *= s
        grads.append(apply(UNPACK, (packed,), {"start": at, "shape": shape}) if need else None)
        at += size
    return tuple(grads)


def _unpack_fwd(a, start, shape):
    size = 1
    for s in shape:
        size *= s
    return a[start:start + size].reshape(shape)


LSTM_SEQ = Op("_LSTMSequence", _lstm_fwd, _lstm_grad, "f")
LSTM_SEQ_GRAD = Op("_LSTMSequenceGrad", _lstm_bwd, None, "f")
UNPACK = Op("_Unpack", _unpack_fwd, None, "f")


def lstm_sequence(x, h0, c0, kernel, recurrent_kernel, bias, reverse=False):
    """Run Keras's LSTM cell over ``x`` [batch, steps, features] from states ``h0``, ``c0``
    [batch, units]; ``reverse`` processes the steps last to first.

    Returns one tensor [batch, steps + 1, units]: the outputs of every step in processing
    order, then the final cell state.
    """
    return apply(LSTM_SEQ, (x, h0, c0, kernel, recurrent_kernel, bias), {"reverse": bool(reverse)})
