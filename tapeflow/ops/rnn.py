"""A whole LSTM sequence as one recorded op, with a hand-written backward through time.

The per-step formulation (a dozen recorded ops per time step) pays Python and tape overhead
on every step; here the input projection of all steps is one matmul, each step is one matmul
plus a few in-place array operations, and the backward pass is one op whose weight gradients
are again single matmuls over all steps. The batch rows, which recur independently, are split
over tapeflow's worker threads (``ops/_blas.py``). Keras's cell: gates in the order input, forget,
cell, output; ``c = f * c + i * tanh(z_c)``, ``h = o * tanh(c)``, sigmoid gates.

The op's output packs everything the layer needs into one array of shape
``(batch, steps + 1, units)``: the outputs ``h_1 .. h_T`` in processing order, then the final
cell state ``c_T``. The backward op is not itself differentiable (no second-order gradients
through this op; the Keras layer falls back to per-step ops under nested tapes).
"""
import weakref

from ..backend import xp_of
from ._blas import one_blas_thread, run_chunks, workers
from ._core import Op, apply

__all__ = ["lstm_sequence"]

# id(output array) -> the forward's saved activations, dropped when the output array dies.
_SAVED = {}
# NOTE: at most this many sequences' activations are kept (the oldest go first), so outputs
# kept alive for inference hold little memory; a backward pass that finds its entry gone
# recomputes the forward.
_KEEP = 8


def _remember(y, saved):
    key = id(y)
    _SAVED[key] = saved
    weakref.finalize(y, _SAVED.pop, key, None)
    while len(_SAVED) > _KEEP:
        try:
            _SAVED.pop(next(iter(_SAVED)), None)
        except (RuntimeError, StopIteration):  # changed by another thread meanwhile
            break


def _gate_consts(xp, u, dtype):
    """Per-column constants: sigmoid(z) = 0.5 * tanh(0.5 z) + 0.5 on the i, f, o gates and
    tanh on the cell gate, so one tanh pass activates all four gates without overflow."""
    half = dtype.type(0.5)
    scale = xp.full(4 * u, half, dtype)
    scale[2 * u:3 * u] = 1
    shift = xp.full(4 * u, half, dtype)
    shift[2 * u:3 * u] = 0
    return scale, shift


def _batch_spans(n):
    """Batch rows per worker: the samples of a batch recur independently of each other."""
    k = min(workers(), max(1, n // 16))  # NOTE: at least 16 rows, so each matmul stays efficient
    step = -(-n // k)
    return [(a, min(n, a + step)) for a in range(0, n, step)]


def _row_blocks(rows, n):
    """Blocks of whole time steps (``n`` rows each) of a (steps * n)-row matrix, ~4 per worker."""
    per = max(1, rows // n // (4 * workers())) * n
    return [(a, min(rows, a + per)) for a in range(0, rows, per)]


def _forward(x, h0, c0, w, r, b, reverse):
    """Run the sequence; return the saved arrays the backward pass needs."""
    xp = xp_of(x)
    n, steps, d = x.shape
    u = h0.shape[1]
    xt = x.transpose(1, 0, 2)
    if reverse:
        xt = xt[::-1]
    xt = xp.ascontiguousarray(xt)  # (T, B, D), time-major so each step reads a block
    # the input projection of all steps, in row blocks shared by the workers
    xflat = xt.reshape(steps * n, d)
    acts = xp.empty((steps * n, 4 * u), x.dtype)

    def project(lo, hi):
        xp.matmul(xflat[lo:hi], w, out=acts[lo:hi])
        acts[lo:hi] += b

    run_chunks(project, _row_blocks(steps * n, n), xp)
    acts = acts.reshape(steps, n, 4 * u)
    scale, shift = _gate_consts(xp, u, x.dtype)
    hs = xp.empty((steps + 1, n, u), x.dtype)
    cs = xp.empty((steps + 1, n, u), x.dtype)
    tcs = xp.empty((steps, n, u), x.dtype)
    hs[0], cs[0] = h0, c0

    def job(a, b):
        _steps_forward(xp, acts[:, a:b], hs[:, a:b], cs[:, a:b], tcs[:, a:b], r, scale, shift)

    run_chunks(job, _batch_spans(n), xp)
    return xt, acts, hs, cs, tcs


def _steps_forward(xp, acts, hs, cs, tcs, r, scale, shift):
    """The recurrence over all steps for some batch rows (time-major views)."""
    steps, n, u = tcs.shape
    tmp = xp.empty((n, u), acts.dtype)
    rec = xp.empty((n, 4 * u), acts.dtype)
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


# NOTE: the recurrence runs on one BLAS thread (see ops/_blas.py): its hundreds of small
# matmuls per training step would each end at a thread barrier, which on a busy machine waits
# for a descheduled thread (measured 3-10x slower steps with 2 OpenBLAS threads on a loaded
# 2-core machine). The batch is split over tapeflow's workers instead: its rows recur
# independently, so the workers never wait for each other inside the sequence.
def _lstm_fwd(x, h0, c0, w, r, b, reverse):
    n, steps, _ = x.shape
    with one_blas_thread(xp_of(x)):
        saved = _forward(x, h0, c0, w, r, b, reverse)
    _, _, hs, cs, _ = saved
    y = xp_of(x).empty((n, steps + 1, h0.shape[1]), x.dtype)
    y[:, :steps] = hs[1:].transpose(1, 0, 2)
    y[:, steps] = cs[steps]
    _remember(y, saved)
    return y


def _lstm_bwd(x, h0, c0, w, r, b, y, dy, reverse, need_dx=True):
    """All six gradients (x, h0, c0, kernel, recurrent kernel, bias), packed flat; without
    ``need_dx`` (the input is data) x's part is left unset."""
    with one_blas_thread(xp_of(x)):
        return _backward(x, h0, c0, w, r, b, y, dy, reverse, need_dx)


def _steps_backward(xp, acts, cs, tcs, dyt, rt, dz_all):
    """Backward through time for some batch rows: fills ``dz_all`` (the gates' pre-activation
    gradients) and returns the gradients of the initial states."""
    steps, n, u = tcs.shape
    dtype = acts.dtype
    # The activations' derivatives: a(1-a) on the sigmoid gates and (1-a)(1+a) on the tanh
    # gate, i.e. (1 - a) * (a + beta), computed per step while the step's gates are in cache.
    beta = xp.zeros(4 * u, dtype)
    beta[2 * u:3 * u] = 1
    one = dtype.type(1)
    dh = xp.zeros((n, u), dtype)
    dc = xp.array(dyt[steps], dtype)
    occ = xp.empty((n, u), dtype)
    d1 = xp.empty((n, 4 * u), dtype)
    d2 = xp.empty((n, 4 * u), dtype)
    for t in range(steps - 1, -1, -1):
        dh += dyt[t]
        a, dz, tc = acts[t], dz_all[t], tcs[t]
        # c_t's gradient from h_t: dh * o * (1 - tanh(c)^2)
        xp.multiply(tc, tc, out=occ)
        xp.subtract(one, occ, out=occ)
        occ *= a[:, 3 * u:]
        occ *= dh
        dc += occ
        xp.multiply(dc, a[:, 2 * u:3 * u], out=dz[:, :u])  # d i
        xp.multiply(dc, cs[t], out=dz[:, u:2 * u])  # d f
        xp.multiply(dc, a[:, :u], out=dz[:, 2 * u:3 * u])  # d g
        xp.multiply(dh, tc, out=dz[:, 3 * u:])  # d o
        xp.subtract(one, a, out=d1)
        xp.add(a, beta, out=d2)
        dz *= d1
        dz *= d2
        dc *= a[:, u:2 * u]
        xp.matmul(dz, rt, out=dh)
    return dh, dc


def _backward(x, h0, c0, w, r, b, y, dy, reverse, need_dx=True):
    xp = xp_of(x)
    n, steps, d = x.shape
    u = h0.shape[1]
    saved = _SAVED.get(id(y))
    if saved is None:  # NOTE: e.g. the output was rebuilt by a copy: recompute the forward
        saved = _forward(x, h0, c0, w, r, b, reverse)
    xt, acts, hs, cs, tcs = saved
    dyt = dy.transpose(1, 0, 2)  # (T + 1, B, U): h_1..h_T in processing order, then c_T
    dz_all = xp.empty((steps, n, 4 * u), x.dtype)
    rt = xp.ascontiguousarray(r.T)
    dh0 = xp.empty((n, u), x.dtype)
    dc0 = xp.empty((n, u), x.dtype)

    def job(a, b):
        dh0[a:b], dc0[a:b] = _steps_backward(xp, acts[:, a:b], cs[:, a:b], tcs[:, a:b],
                                             dyt[:, a:b], rt, dz_all[:, a:b])

    run_chunks(job, _batch_spans(n), xp)
    flat = dz_all.reshape(steps * n, 4 * u)
    hflat = hs[:steps].reshape(steps * n, u)
    xflat = xt.reshape(steps * n, d)
    ones = xp.ones(steps * n, x.dtype)
    # NOTE: the recurrent kernel's gradient is the largest matmul here (as large as the whole
    # recurrence); column blocks of the weight gradients are independent, so the workers
    # share them.
    blocks = [(a, min(4 * u, a + u)) for a in range(0, 4 * u, u)]
    grads = run_chunks(lambda lo, hi: (xflat.T @ flat[:, lo:hi], hflat.T @ flat[:, lo:hi],
                                       ones @ flat[:, lo:hi]), blocks, xp)
    dw, dr, db = (xp.concatenate([g[k] for g in grads], axis=-1) for k in range(3))
    parts = [None, dh0, dc0, dw, dr, db]
    if need_dx:
        dxt = xp.empty((steps * n, d), x.dtype)

        def dx_rows(lo, hi):
            xp.matmul(flat[lo:hi], w.T, out=dxt[lo:hi])

        run_chunks(dx_rows, _row_blocks(steps * n, n), xp)
        dxt = dxt.reshape(steps, n, d)
        if reverse:
            dxt = dxt[::-1]
        parts[0] = dxt.transpose(1, 0, 2)
    out = xp.empty(x.size + sum(p.size for p in parts[1:]), x.dtype)
    at = 0
    for p in parts:
        size = x.size if p is None else p.size
        if p is not None:
            out[at:at + size].reshape(p.shape)[...] = p
        at += size
    return out


def _lstm_grad(n, g):
    x, h0, c0, w, r, b = n.inputs
    packed = apply(LSTM_SEQ_GRAD, (x, h0, c0, w, r, b, n.out, g),
                   {**n.attrs, "need_dx": bool(n.needs[0])})
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
