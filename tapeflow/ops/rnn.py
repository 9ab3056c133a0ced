"""A whole LSTM or GRU sequence as one recorded op, with a hand-written backward through time.

The per-step formulation (a dozen recorded ops per time step) pays Python and tape overhead
on every step; here each step is one matmul plus a few in-place array operations, and the
backward pass is one op. Keras's LSTM cell: gates in the order input, forget, cell, output;
``c = f * c + i * tanh(z_c)``, ``h = o * tanh(c)``, sigmoid gates. For each step the LSTM
multiplies one stacked operand ``[h; x; 1]`` by one matrix ``[R; W; b]``, so the recurrent
matmul, the input projection and the bias are a single matmul.

NOTE: the recurrence runs transposed, on ``[gates * units, batch]`` blocks: each gate is then
a contiguous block of rows, so every elementwise operation of a step runs over contiguous
memory (a gate's columns of a ``[batch, 4 * units]`` array are strided, and NumPy runs such
operands row by row, at 2-3x the cost). The LSTM's gates are kept in the order input,
forget, output, cell, so the three sigmoid gates are one block; their pre-activations come
out of the matmuls already halved (the weights' rows are scaled by 0.5, which is exact),
since ``sigmoid(z) = 0.5 * tanh(z / 2) + 0.5`` lets one tanh pass activate all the gates
without overflow. The batch columns, which recur independently, are split over tapeflow's
worker threads (``ops/_chunks.py``); each worker adds up its columns' share of the weight
gradients block by block during its backward pass (``_BLOCK_COLS``), and the shares are
summed at the end, so results with several workers agree with one worker's to rounding.

The GRU op (Keras's ``reset_after=True`` form, below) follows the same plan.

The LSTM op's output packs what the layer needs into one array: with ``sequences`` the outputs
``h_1 .. h_T`` in processing order then the final cell state ``c_T``, ``(batch, steps + 1,
units)``; without, only ``h_T`` and ``c_T``, ``(batch, 2, units)``. The backward ops are not
themselves differentiable (no second-order gradients through these ops; the Keras layers fall
back to per-step ops under nested tapes).
"""
import weakref

from ..backend import xp_of
from ..backend.tuning import one_blas_thread, workers
from ._chunks import run_chunks
from ._core import Op, apply

__all__ = ["gru_sequence", "lstm_sequence", "sequence_pair"]

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


def _gate_cols(u):
    """Keras's gate columns (i, f, c, o) in the op's order (i, f, o, c): slices of 4u."""
    return [slice(0, u), slice(u, 2 * u), slice(3 * u, 4 * u), slice(2 * u, 3 * u)]


def _permuted(xp, m, u):
    """``m``'s last axis (Keras's gate order) in the op's gate order."""
    return xp.concatenate([m[..., s] for s in _gate_cols(u)], axis=-1)


def _batch_spans(n, share=1):
    """Batch columns per worker: the samples of a batch recur independently of each other.
    With ``share`` sequences run side by side (a bidirectional layer's two directions), each
    gets its share of the workers."""
    if n == 0:
        return [(0, 0)]
    # NOTE: at least 16 columns, so each matmul stays efficient
    k = min(max(1, workers() // share), max(1, n // 16))
    step = -(-n // k)
    return [(a, min(n, a + step)) for a in range(0, n, step)]


def _span_keep(xp, keep, a, b, reverse, u):
    """A span's mask in processing order: per step None where every column is kept, else
    ``(k, 1 - k)`` as full (u, columns) arrays (NOTE: elementwise operations with a broadcast
    (1, columns) row run row by row, several times slower); None without a mask. A masked
    step (k = 0) keeps the previous states."""
    if keep is None:
        return None
    k = (keep[a:b, ::-1] if reverse else keep[a:b]).T  # (steps, columns)
    out = []
    for row in k:
        if bool(row.all()):
            out.append(None)
        else:
            full = xp.empty((u, row.shape[0]), row.dtype)
            full[...] = row
            out.append((full, 1 - full))
    return out


def _run_plans(xp, plans):
    """``plans``: ``[(spans, job)]``; runs ``job(k)`` for every span ``k`` of every plan on the
    workers (the directions of a bidirectional layer run side by side). Returns, per plan,
    the list of its jobs' results."""
    flat = [(p, k) for p, (spans, _) in enumerate(plans) for k in range(len(spans))]
    results = run_chunks(lambda i, _: plans[flat[i][0]][1](flat[i][1]),
                         [(i, i + 1) for i in range(len(flat))], xp)
    out = [[] for _ in plans]
    for (p, _), res in zip(flat, results):
        out[p].append(res)
    return out


def _run_forward(plan, x, *args, **kwargs):
    """Run a sequence's forward pass (``plan``: ``_forward_plan`` or ``_gru_forward_plan``,
    writing the outputs into its ``y`` when given) on the workers; return what the backward
    pass needs: the spans of batch columns and per span its saved arrays."""
    spans = _batch_spans(x.shape[0])
    job = plan(x, *args, **kwargs)
    return spans, _run_plans(xp_of(x), [(spans, lambda k: job(*spans[k]))])[0]


def _forward_plan(x, h0, c0, w, r, b, reverse, y=None, sequences=True, keep=None):
    """``job(a, b)``: the LSTM's forward pass over batch columns ``a:b``, returning what its
    backward pass needs: the span's states, inputs, activated gates and mask."""
    xp = xp_of(x)
    n, steps, d = x.shape
    u = h0.shape[1]
    dtype = x.dtype
    half = dtype.type(0.5)
    # one matrix for the recurrent kernel, the kernel and the bias, applied to [h; x; 1]
    kt = _permuted(xp, xp.concatenate([r, w, b[None]], axis=0), u).T.copy()  # (4u, u + d + 1)
    kt[:3 * u] *= half  # the sigmoid gates' rows halved
    xs = x[:, ::-1] if reverse else x

    def job(a, b):
        m = b - a
        # per step a (u + d + 1, m) slab [h_t; x_t; 1]: the matmul operand of step t
        hx = xp.empty((u + d + 1, steps + 1, m), dtype)
        hx[:u, 0] = h0[a:b].T
        hx[u:u + d, :steps] = xs[a:b].transpose(2, 1, 0)
        hx[u + d] = 1
        hx[u:u + d, steps] = 0
        acts = xp.empty((steps, 4 * u, m), dtype)
        cs = xp.empty((steps + 1, u, m), dtype)
        tcs = xp.empty((steps, u, m), dtype)
        cs[0] = c0[a:b].T
        k = _span_keep(xp, keep, a, b, reverse, u)
        _steps_forward(xp, acts, hx, cs, tcs, kt, half, k)
        if y is not None:
            if sequences:
                y[a:b, :steps] = hx[:u, 1:].transpose(2, 1, 0)
                y[a:b, steps] = cs[steps].T
            else:
                y[a:b, 0] = hx[:u, steps].T
                y[a:b, 1] = cs[steps].T
        return hx, acts, cs, tcs, k

    return job


def _steps_forward(xp, acts, hx, cs, tcs, kt, half, keep=None):
    """The recurrence over all steps for some batch columns, filling ``acts`` (steps, 4u, m)
    with the activated gates, ``hx``'s h rows and ``cs`` with the carried states and ``tcs``
    with tanh of each step's new cell state; ``keep``: the span's mask (``_span_keep``)."""
    steps, u, m = tcs.shape
    s3 = 3 * u
    mul, add, sub, tanh, matmul = xp.multiply, xp.add, xp.subtract, xp.tanh, xp.matmul
    tmp = xp.empty((u, m), acts.dtype)
    if keep is not None:
        c_new = xp.empty((u, m), acts.dtype)
        h_new = xp.empty((u, m), acts.dtype)
    a_i, a_f, a_o, a_g, a_s = (acts[:, :u], acts[:, u:2 * u], acts[:, 2 * u:s3], acts[:, s3:],
                               acts[:, :s3])
    h_out = hx[:u]
    for t in range(steps):
        z = acts[t]
        matmul(kt, hx[:, t], out=z)
        tanh(z, out=z)
        sig = a_s[t]
        mul(sig, half, out=sig)
        add(sig, half, out=sig)
        masked = None if keep is None else keep[t]
        c = cs[t + 1] if masked is None else c_new
        mul(a_f[t], cs[t], out=c)  # f * c
        mul(a_i[t], a_g[t], out=tmp)  # i * g
        add(c, tmp, out=c)
        tc = tcs[t]
        tanh(c, out=tc)
        if masked is None:
            mul(a_o[t], tc, out=h_out[:, t + 1])  # o * tanh(c)
            continue
        mul(a_o[t], tc, out=h_new)
        k = masked[0]  # masked columns carry the previous states: s + k * (new - s)
        sub(c_new, cs[t], out=c_new)
        mul(c_new, k, out=c_new)
        add(cs[t], c_new, out=cs[t + 1])
        sub(h_new, h_out[:, t], out=h_new)
        mul(h_new, k, out=h_new)
        add(h_out[:, t], h_new, out=h_out[:, t + 1])


# NOTE: the recurrence runs on one BLAS thread (see backend/tuning.py): its hundreds of small
# matmuls per training step would each end at a thread barrier, which on a busy machine waits
# for a descheduled thread (measured 3-10x slower steps with 2 OpenBLAS threads on a loaded
# 2-core machine). The batch is split over tapeflow's workers instead: its columns recur
# independently, so the workers never wait for each other inside the sequence.
def _lstm_fwd(x, h0, c0, w, r, b, keep=None, *, reverse, sequences=True):
    xp = xp_of(x)
    n, steps, _ = x.shape
    y = xp.empty((n, steps + 1 if sequences else 2, h0.shape[1]), x.dtype)
    with one_blas_thread(xp):
        saved = _run_forward(_forward_plan, x, h0, c0, w, r, b, reverse, y, sequences, keep)
    _remember(y, saved)
    return y


def _lstm_bwd(*arrays, reverse, sequences=True, need_dx=True):
    """``(x, h0, c0, kernel, recurrent kernel, bias[, keep], y, dy)``: the six gradients of
    the differentiable inputs, packed flat; without ``need_dx`` (the input is data) x's part
    is left unset."""
    with one_blas_thread(xp_of(arrays[0])):
        return _backward(*arrays[:6], *arrays[-2:], reverse, sequences, need_dx,
                         arrays[6] if len(arrays) == 9 else None)


# NOTE: the weight gradients sum over steps and columns. Each worker adds up its columns'
# share every few steps, from the last steps' gate gradients while they are still in cache
# (one (u, k*m) x (k*m, 4u) matmul per block of k steps runs at full matmul speed), instead of
# keeping every step's gradients for one large matmul after the loop.
_BLOCK_COLS = 256  # columns (steps x batch columns) per weight-gradient matmul


def _steps_backward(xp, saved, dys, dh, dc, rp, wpt, dx):
    """Backward through time for one span of batch columns. ``dh``, ``dc`` (u, m) start as the
    final states' gradients and end as the initial states'; ``dys(t)`` is the gradient of step
    ``t``'s output (u, m), or None. Returns the span's share of the gradient of the stacked
    recurrent kernel, kernel and bias (u + d + 1, 4u) in the op's gate order; writes the input
    gradient (steps, m, d) into ``dx`` unless it is None (``wpt``: the kernel transposed, in
    the op's gate order)."""
    hx, acts, cs, tcs, keep = saved
    steps, u, m = tcs.shape
    s3 = 3 * u
    dtype = acts.dtype
    one = dtype.type(1)
    mul, sub, add, matmul = xp.multiply, xp.subtract, xp.add, xp.matmul
    if keep is not None:  # the carried states' gradients that skip a masked step
        dh_skip = xp.empty((u, m), dtype)
        dc_skip = xp.empty((u, m), dtype)
    occ = xp.empty((u, m), dtype)
    dz = xp.empty((4 * u, m), dtype)
    d1 = xp.empty((4 * u, m), dtype)
    dz_i, dz_f, dz_o, dz_g, dz_s = dz[:u], dz[u:2 * u], dz[2 * u:s3], dz[s3:], dz[:s3]
    d1_g = d1[s3:]
    # per-gate views over all steps
    a_i, a_f, a_o, a_g, a_s = (acts[:, :u], acts[:, u:2 * u], acts[:, 2 * u:s3], acts[:, s3:],
                               acts[:, :s3])
    k = max(1, _BLOCK_COLS // max(1, m))
    block = xp.empty((4 * u, k, m), dtype)  # the gate gradients of the last k steps
    rows = hx.shape[0]
    dk = xp.zeros((rows, 4 * u), dtype)
    part = xp.empty((rows, 4 * u), dtype)
    for t in range(steps - 1, -1, -1):
        g = dys(t)
        if g is not None:
            add(dh, g, out=dh)
        masked = None if keep is None else keep[t]
        if masked is not None:
            mul(dh, masked[1], out=dh_skip)
            mul(dc, masked[1], out=dc_skip)
            mul(dh, masked[0], out=dh)
            mul(dc, masked[0], out=dc)
        tc, i, g = tcs[t], a_i[t], a_g[t]
        # c_t's gradient from h_t: dh * o * (1 - tanh(c)^2)
        mul(tc, tc, out=occ)
        sub(one, occ, out=occ)
        mul(occ, a_o[t], out=occ)
        mul(occ, dh, out=occ)
        add(dc, occ, out=dc)
        mul(dc, g, out=dz_i)  # d i = dc * g
        mul(dc, cs[t], out=dz_f)  # d f = dc * c_{t-1}
        mul(dh, tc, out=dz_o)  # d o = dh * tanh(c)
        mul(dc, i, out=dz_g)  # d g = dc * i
        # through the activations: (1 - a) a on the sigmoid gates, (1 - g)(1 + g) on the cell
        sub(one, acts[t], out=d1)
        mul(dz, d1, out=dz)
        mul(dz_s, a_s[t], out=dz_s)
        add(one, g, out=d1_g)
        mul(dz_g, d1_g, out=dz_g)
        mul(dc, a_f[t], out=dc)  # through c = f * c_{t-1} + ...
        matmul(rp, dz, out=dh)
        if masked is not None:
            add(dh, dh_skip, out=dh)
            add(dc, dc_skip, out=dc)
        slot = t % k
        block[:, slot] = dz
        if slot == 0 or t == 0:  # the block holds steps t .. t + kk - 1
            kk = min(k, steps - t)
            gz = block[:, :kk].reshape(4 * u, kk * m)
            matmul(hx[:, t:t + kk].reshape(rows, kk * m), gz.T, out=part)
            add(dk, part, out=dk)
            if dx is not None:
                matmul(gz.T, wpt, out=dx[t:t + kk].reshape(kk * m, dx.shape[2]))
    return dk


def _backward(x, h0, c0, w, r, b, y, dy, reverse, sequences=True, need_dx=True, keep=None):
    xp = xp_of(x)
    saved = _SAVED.get(id(y))
    if saved is None:  # NOTE: e.g. the output was rebuilt by a copy: recompute the forward
        saved = _run_forward(_forward_plan, x, h0, c0, w, r, b, reverse, keep=keep)
    spans, job, finish = _backward_plan(x, h0, c0, w, r, b, dy, reverse, sequences, need_dx,
                                        saved)
    dx, grads = finish(_run_plans(xp, [(spans, job)])[0])
    return _pack(xp, x, [dx] + grads)


def _backward_plan(x, h0, c0, w, r, b, dy, reverse, sequences, need_dx, saved):
    """``(spans, job, finish)``: ``job(k)`` runs span ``k``'s backward pass; ``finish(shares)``
    adds the spans' shares up into ``(dx or None, [dh0, dc0, dkernel, drecurrent, dbias])``."""
    xp = xp_of(x)
    n, steps, d = x.shape
    u = h0.shape[1]
    rp = _permuted(xp, r, u)  # (u, 4u), unscaled: dz holds the true pre-activation gradients
    wpt = _permuted(xp, w, u).T.copy() if need_dx else None  # (4u, d)
    dh0 = xp.empty((n, u), x.dtype)
    dc0 = xp.empty((n, u), x.dtype)

    def span(per, a, b, dxa):
        if sequences:  # dy: h_1 .. h_T, then c_T
            dh, dc = xp.zeros((u, b - a), x.dtype), xp.array(dy[a:b, steps].T)
        else:  # dy: h_T, c_T
            dh, dc = xp.array(dy[a:b, 0].T), xp.array(dy[a:b, 1].T)
        dk = _steps_backward(xp, per, _output_grads(dy, a, b, sequences), dh, dc, rp, wpt, dxa)
        dh0[a:b] = dh.T
        dc0[a:b] = dc.T
        return dk

    spans, job, input_grad = _span_jobs(xp, x, saved, span, reverse, need_dx)

    def finish(shares):
        dkp = shares[0]
        for dk_k in shares[1:]:
            dkp += dk_k
        dk = xp.empty_like(dkp)  # back to Keras's gate order
        for k, col in enumerate(_gate_cols(u)):
            dk[:, col] = dkp[:, k * u:(k + 1) * u]
        return input_grad(), [dh0, dc0, dk[u:u + d], dk[:u], dk[u + d]]

    return spans, job, finish


def _output_grads(dy, a, b, sequences):
    """``dys(t)`` for a span's backward loop: step ``t``'s output gradient (units, columns), or
    None where the op returned the final states only."""
    if not sequences:
        return lambda t: None
    return lambda t: dy[a:b, t].T


def _span_jobs(xp, x, saved, span, reverse, need_dx):
    """``(spans, job, input_grad)`` of a backward pass: ``job(k)`` runs ``span(saved_of_span,
    a, b, dxa)`` for span ``k``, where ``dxa`` is the span's (steps, columns, features) input
    gradient to fill, or None; ``input_grad()`` is then the input's gradient (batch, steps,
    features), or None."""
    n, steps, d = x.shape
    spans, per_span = saved
    dxs = xp.empty((n, steps, d), x.dtype) if need_dx else None

    def job(k):
        a, b = spans[k]
        dxa = xp.empty((steps, b - a, d), x.dtype) if need_dx else None
        out = span(per_span[k], a, b, dxa)
        if need_dx:
            dxs[a:b] = dxa.transpose(1, 0, 2)
        return out

    def input_grad():
        return (dxs[:, ::-1] if reverse else dxs) if need_dx else None

    return spans, job, input_grad


def _pack(xp, x, parts):
    """The gradients of the op's inputs as one flat array (``x``'s part first, left unset when
    its gradient is None)."""
    out = xp.empty(x.size + sum(p.size for p in parts[1:]), x.dtype)
    at = 0
    for p in parts:
        size = x.size if p is None else p.size
        if p is not None:
            out[at:at + size].reshape(p.shape)[...] = p
        at += size
    return out


def _packed_grad(grad_op, n_diff=6):
    """The ``grad`` of a sequence op whose backward op returns the gradients of its first
    ``n_diff`` inputs packed into one flat array (``_pack``): one slice of it per input that
    needs a gradient (the mask after them has none)."""

    def grad(n, g):
        packed = apply(grad_op(), tuple(n.inputs) + (n.out, g),
                       {**n.attrs, "need_dx": bool(n.needs[0])})
        grads, at = [], 0
        for t, need in zip(n.inputs[:n_diff], n.needs[:n_diff]):
            shape = t._v.shape
            size = 1
            for s in shape:
                size *= s
            grads.append(apply(UNPACK, (packed,), {"start": at, "shape": shape}) if need
                         else None)
            at += size
        return tuple(grads) + (None,) * (len(n.inputs) - n_diff)

    return grad


# -- GRU (Keras's reset_after=True form) ---------------------------------------------------------
# Keras's gates: update z, reset r, candidate; ``z, r = sigmoid(x W + b_in + h R + b_rec)`` on
# their columns, ``cand = tanh(x W_h + b_in_h + r * (h R_h + b_rec_h))``,
# ``h' = z * h + (1 - z) * cand``. The reset gate multiplies the recurrent part only, so the
# input projections of all steps are one batched matmul ahead of the loop and each step is one
# matmul over [h; 1] (the ones row carries the recurrent bias).
def _gru_forward_plan(x, h0, w, r, bi, br, reverse, y=None, sequences=True, keep=None):
    """``job(a, b)``: the GRU's forward pass over batch columns ``a:b``."""
    xp = xp_of(x)
    n, steps, d = x.shape
    u = h0.shape[1]
    dtype = x.dtype
    half = dtype.type(0.5)
    wt = xp.concatenate([w, bi[None]], axis=0).T.copy()  # (3u, d + 1)
    rt = xp.concatenate([r, br[None]], axis=0).T.copy()  # (3u, u + 1)
    wt[:2 * u] *= half  # the sigmoid gates' rows halved (see the module's NOTE)
    rt[:2 * u] *= half
    xs = x[:, ::-1] if reverse else x

    def job(a, b):
        m = b - a
        xa = xp.empty((d + 1, steps, m), dtype)  # [x_t; 1] per step
        xa[:d] = xs[a:b].transpose(2, 1, 0)
        xa[d] = 1
        acts = xp.empty((steps, 3 * u, m), dtype)
        xp.matmul(wt, xa.transpose(1, 0, 2), out=acts)
        h1 = xp.empty((u + 1, steps + 1, m), dtype)  # [h_t; 1] per step
        h1[:u, 0] = h0[a:b].T
        h1[u] = 1
        rech = xp.empty((steps, u, m), dtype)
        k = _span_keep(xp, keep, a, b, reverse, u)
        _gru_steps_forward(xp, acts, h1, rech, rt, half, k)
        if y is not None:
            if sequences:
                y[a:b] = h1[:u, 1:].transpose(2, 1, 0)
            else:
                y[a:b] = h1[:u, steps].T
        return xa, acts, h1, rech, k

    return job


def _gru_steps_forward(xp, acts, h1, rech, rt, half, keep=None):
    """The recurrence for some batch columns: ``acts`` (steps, 3u, m) holds the input
    projections and is overwritten by z, r and the candidate; ``rech`` gets the recurrent
    part of the candidate's pre-activation (``h R_h + b_rec_h``); ``keep``: the span's mask
    (``_span_keep``)."""
    steps, u, m = rech.shape
    mul, add, sub, tanh, matmul = xp.multiply, xp.add, xp.subtract, xp.tanh, xp.matmul
    rec = xp.empty((3 * u, m), acts.dtype)
    tmp = xp.empty((u, m), acts.dtype)
    rec_zr, rec_h = rec[:2 * u], rec[2 * u:]
    a_zr, a_z, a_r, a_h = acts[:, :2 * u], acts[:, :u], acts[:, u:2 * u], acts[:, 2 * u:]
    h_out = h1[:u]
    for t in range(steps):
        matmul(rt, h1[:, t], out=rec)
        zr = a_zr[t]
        add(zr, rec_zr, out=zr)
        tanh(zr, out=zr)
        mul(zr, half, out=zr)
        add(zr, half, out=zr)
        rech[t] = rec_h
        cand = a_h[t]
        mul(a_r[t], rec_h, out=tmp)
        add(cand, tmp, out=cand)
        tanh(cand, out=cand)
        sub(h_out[:, t], cand, out=tmp)  # h' = cand + z * (h - cand)
        mul(a_z[t], tmp, out=tmp)
        masked = None if keep is None else keep[t]
        if masked is None:
            add(cand, tmp, out=h_out[:, t + 1])
            continue
        add(cand, tmp, out=tmp)  # a masked column keeps h: h + k * (h' - h)
        sub(tmp, h_out[:, t], out=tmp)
        mul(tmp, masked[0], out=tmp)
        add(h_out[:, t], tmp, out=h_out[:, t + 1])


def _gru_fwd(x, h0, w, r, bi, br, keep=None, *, reverse, sequences=True):
    xp = xp_of(x)
    n, steps, _ = x.shape
    u = h0.shape[1]
    y = xp.empty((n, steps, u) if sequences else (n, u), x.dtype)
    with one_blas_thread(xp):
        saved = _run_forward(_gru_forward_plan, x, h0, w, r, bi, br, reverse, y, sequences,
                             keep)
    _remember(y, saved)
    return y


def _gru_steps_backward(xp, saved, dys, dh, rk, wkt, dx):
    """Backward through time for one span; ``dh`` (u, m) starts as the final state's gradient
    and ends as the initial state's. Returns the span's shares of the gradients of
    [recurrent kernel; recurrent bias] (u + 1, 3u) in Keras's gate order and of [kernel;
    input bias] (d + 1, 3u) with the gate blocks in the order candidate, z, r."""
    xa, acts, h1, rech, keep = saved
    steps, u, m = rech.shape
    dtype = acts.dtype
    one = dtype.type(1)
    mul, sub, add, matmul = xp.multiply, xp.subtract, xp.add, xp.matmul
    dh_skip = xp.empty((u, m), dtype) if keep is not None else None
    # per step, the rows [d cand_pre; d z_pre; d r_pre; d rec_h]: the input projection's
    # gradient is rows 0:3u, the recurrent matmul's rows u:4u
    gz = xp.empty((4 * u, m), dtype)
    g_a, g_z, g_r, g_rh = gz[:u], gz[u:2 * u], gz[2 * u:3 * u], gz[3 * u:]
    t1 = xp.empty((u, m), dtype)
    t2 = xp.empty((u, m), dtype)
    a_z, a_r, a_h = acts[:, :u], acts[:, u:2 * u], acts[:, 2 * u:]
    k = max(1, _BLOCK_COLS // max(1, m))
    block = xp.empty((4 * u, k, m), dtype)
    dr_ext = xp.zeros((u + 1, 3 * u), dtype)
    dw_ext = xp.zeros((xa.shape[0], 3 * u), dtype)
    part_r = xp.empty_like(dr_ext)
    part_w = xp.empty_like(dw_ext)
    for t in range(steps - 1, -1, -1):
        g = dys(t)
        if g is not None:
            add(dh, g, out=dh)
        masked = None if keep is None else keep[t]
        if masked is not None:  # a masked column's gradient skips the step
            mul(dh, masked[1], out=dh_skip)
            mul(dh, masked[0], out=dh)
        z, r, cand, h = a_z[t], a_r[t], a_h[t], h1[:u, t]
        sub(h, cand, out=t1)
        mul(dh, t1, out=g_z)  # d z = dh * (h - cand)
        sub(one, z, out=t1)
        mul(dh, t1, out=t2)  # d cand = dh * (1 - z)
        mul(g_z, t1, out=g_z)
        mul(g_z, z, out=g_z)  # through the sigmoid: z (1 - z)
        mul(cand, cand, out=t1)
        sub(one, t1, out=t1)
        mul(t2, t1, out=g_a)  # through the tanh
        mul(g_a, r, out=g_rh)  # d (h R_h + b_rec_h) = d cand_pre * r
        mul(g_a, rech[t], out=g_r)  # d r = d cand_pre * (h R_h + b_rec_h)
        sub(one, r, out=t1)
        mul(g_r, t1, out=g_r)
        mul(g_r, r, out=g_r)
        mul(dh, z, out=t2)  # h's direct share: dh * z
        matmul(rk, gz[u:], out=dh)
        add(dh, t2, out=dh)
        if masked is not None:
            add(dh, dh_skip, out=dh)
        slot = t % k
        block[:, slot] = gz
        if slot == 0 or t == 0:
            kk = min(k, steps - t)
            cols = kk * m
            blk = block[:, :kk].reshape(4 * u, cols)
            matmul(h1[:, t:t + kk].reshape(u + 1, cols), blk[u:].T, out=part_r)
            add(dr_ext, part_r, out=dr_ext)
            matmul(xa[:, t:t + kk].reshape(xa.shape[0], cols), blk[:3 * u].T, out=part_w)
            add(dw_ext, part_w, out=dw_ext)
            if dx is not None:
                matmul(blk[:3 * u].T, wkt, out=dx[t:t + kk].reshape(cols, dx.shape[2]))
    return dr_ext, dw_ext


def _gru_bwd(*arrays, reverse, sequences=True, need_dx=True):
    """``(x, h0, kernel, recurrent kernel, input bias, recurrent bias[, keep], y, dy)``: the
    six gradients of the differentiable inputs, packed flat (``_lstm_bwd``'s layout)."""
    x, h0, w, r, bi, br = arrays[:6]
    y, dy = arrays[-2:]
    keep = arrays[6] if len(arrays) == 9 else None
    xp = xp_of(x)
    with one_blas_thread(xp):
        saved = _SAVED.get(id(y))
        if saved is None:  # NOTE: e.g. the output was rebuilt by a copy: recompute the forward
            saved = _run_forward(_gru_forward_plan, x, h0, w, r, bi, br, reverse, keep=keep)
        spans, job, finish = _gru_backward_plan(x, h0, w, r, bi, br, dy, reverse, sequences,
                                                need_dx, saved)
        dx, grads = finish(_run_plans(xp, [(spans, job)])[0])
        return _pack(xp, x, [dx] + grads)


def _gru_backward_plan(x, h0, w, r, bi, br, dy, reverse, sequences, need_dx, saved):
    """The GRU's ``_backward_plan``: ``finish`` gives ``(dx or None, [dh0, dkernel,
    drecurrent, dinput_bias, drecurrent_bias])``."""
    xp = xp_of(x)
    n, steps, d = x.shape
    u = h0.shape[1]
    # the kernel's gate blocks in the order of the input-projection gradient rows
    wkt = xp.concatenate([w[:, 2 * u:], w[:, :2 * u]], axis=1).T.copy() if need_dx else None
    dh0 = xp.empty((n, u), x.dtype)

    def span(per, a, b, dxa):
        dh = xp.zeros((u, b - a), x.dtype) if sequences else xp.array(dy[a:b].T)
        out = _gru_steps_backward(xp, per, _output_grads(dy, a, b, sequences), dh, r, wkt,
                                  dxa)
        dh0[a:b] = dh.T
        return out

    spans, job, input_grad = _span_jobs(xp, x, saved, span, reverse, need_dx)

    def finish(shares):
        dr_ext, dw_ext = shares[0]
        for dr_k, dw_k in shares[1:]:
            dr_ext += dr_k
            dw_ext += dw_k
        dw_all = xp.concatenate([dw_ext[:, u:], dw_ext[:, :u]], axis=1)  # z, r, cand
        return input_grad(), [dh0, dw_all[:d], dr_ext[:u], dw_all[d], dr_ext[u]]

    return spans, job, finish


# -- both directions of a bidirectional layer side by side --------------------------------------
# NOTE: a bidirectional layer's two directions are independent recurrences over the same
# inputs. As one op, each worker runs a whole direction (with two workers) instead of half the
# batch of one direction after the other: half the (overhead-bound) elementwise calls per
# worker, and matmuls twice as wide.
def _cell_plans(cell):
    return {"lstm": (_forward_plan, _backward_plan),
            "gru": (_gru_forward_plan, _gru_backward_plan)}[cell]


def _pair_forward(x, dirs, keep, cell, reverse, sequences, y=None):
    xp = xp_of(x)
    spans = _batch_spans(x.shape[0], share=2)
    plan = _cell_plans(cell)[0]
    jobs = [plan(x, *dirs[5 * i:5 * i + 5], reverse[i], None if y is None else y[i], sequences,
                 keep) for i in range(2)]
    per = _run_plans(xp, [(spans, lambda k, job=job: job(*spans[k])) for job in jobs])
    return [(spans, per[0]), (spans, per[1])]


def _pair_out_shape(cell, x, h0, sequences):
    n, steps, _ = x.shape
    u = h0.shape[1]
    if cell == "lstm":
        return (n, steps + 1 if sequences else 2, u)
    return (n, steps, u) if sequences else (n, u)


def _pair_fwd(x, *args, cell, reverse, sequences=True):
    """``(x, <5 inputs of the forward direction>, <5 of the backward one>[, keep])``: both
    directions' outputs (``lstm_sequence``'s or ``gru_sequence``'s) stacked on a new axis."""
    xp = xp_of(x)
    y = xp.empty((2,) + _pair_out_shape(cell, x, args[0], sequences), x.dtype)
    with one_blas_thread(xp):
        saved = _pair_forward(x, args[:10], args[10] if len(args) == 11 else None, cell,
                              reverse, sequences, y)
    _remember(y, saved)
    return y


def _pair_bwd(*arrays, cell, reverse, sequences=True, need_dx=True):
    """The gradients of ``x`` and of both directions' five inputs, packed flat."""
    x, dirs = arrays[0], arrays[1:11]
    keep = arrays[11] if len(arrays) == 14 else None
    y, dy = arrays[-2:]
    xp = xp_of(x)
    with one_blas_thread(xp):
        saved = _SAVED.get(id(y))
        if saved is None:  # NOTE: e.g. the output was rebuilt by a copy: recompute the forward
            saved = _pair_forward(x, dirs, keep, cell, reverse, sequences)
        plan = _cell_plans(cell)[1]
        plans = [plan(x, *dirs[5 * i:5 * i + 5], dy[i], reverse[i], sequences, need_dx,
                      saved[i]) for i in range(2)]
        shares = _run_plans(xp, [(spans, job) for spans, job, _ in plans])
        (dx, grads_f), (dx_b, grads_b) = (finish(sh) for (_, _, finish), sh in zip(plans, shares))
        if need_dx:
            dx = dx + dx_b
        return _pack(xp, x, [dx] + grads_f + grads_b)


def _unpack_fwd(a, start, shape):
    size = 1
    for s in shape:
        size *= s
    return a[start:start + size].reshape(shape)


LSTM_SEQ = Op("_LSTMSequence", _lstm_fwd, _packed_grad(lambda: LSTM_SEQ_GRAD), "f")
LSTM_SEQ_GRAD = Op("_LSTMSequenceGrad", _lstm_bwd, None, "f")
UNPACK = Op("_Unpack", _unpack_fwd, None, "f")
GRU_SEQ = Op("_GRUSequence", _gru_fwd, _packed_grad(lambda: GRU_SEQ_GRAD), "f")
GRU_SEQ_GRAD = Op("_GRUSequenceGrad", _gru_bwd, None, "f")
PAIR_SEQ = Op("_BidirectionalSequence", _pair_fwd, _packed_grad(lambda: PAIR_SEQ_GRAD, 11), "f")
PAIR_SEQ_GRAD = Op("_BidirectionalSequenceGrad", _pair_bwd, None, "f")


def lstm_sequence(x, h0, c0, kernel, recurrent_kernel, bias, reverse=False, sequences=True,
                  keep=None):
    """Run Keras's LSTM cell over ``x`` [batch, steps, features] from states ``h0``, ``c0``
    [batch, units]; ``reverse`` processes the steps last to first. ``keep`` [batch, steps]
    (1 or 0, ``x``'s dtype, in ``x``'s step order) masks steps: a masked step keeps the
    previous states.

    Returns one tensor: with ``sequences``, [batch, steps + 1, units], the (carried) output
    states of every step in processing order then the final cell state; without,
    [batch, 2, units], the final output and the final cell state.
    """
    inputs = (x, h0, c0, kernel, recurrent_kernel, bias) + (() if keep is None else (keep,))
    return apply(LSTM_SEQ, inputs, {"reverse": bool(reverse), "sequences": bool(sequences)})


def gru_sequence(x, h0, kernel, recurrent_kernel, input_bias, recurrent_bias, reverse=False,
                 sequences=True, keep=None):
    """Run Keras's GRU cell (``reset_after=True``) over ``x`` [batch, steps, features] from
    state ``h0`` [batch, units]; ``reverse`` processes the steps last to first; ``keep``
    masks steps as in ``lstm_sequence``.

    Returns the (carried) states of every step in processing order, [batch, steps, units],
    with ``sequences``; else the final state [batch, units].
    """
    inputs = (x, h0, kernel, recurrent_kernel, input_bias, recurrent_bias) + (
        () if keep is None else (keep,))
    return apply(GRU_SEQ, inputs, {"reverse": bool(reverse), "sequences": bool(sequences)})


def sequence_pair(cell, x, forward, backward, reverse=(False, True), sequences=True, keep=None):
    """Both directions of a bidirectional ``cell`` ("lstm" or "gru") layer over the same ``x``
    as one op, the directions running side by side: ``forward`` and ``backward`` are the five
    inputs after ``x`` of ``lstm_sequence`` (``h0, c0, kernel, recurrent_kernel, bias``) or of
    ``gru_sequence`` (``h0, kernel, recurrent_kernel, input_bias, recurrent_bias``), and
    ``reverse`` says which direction runs last to first. Returns the two ops' outputs stacked
    on a new first axis."""
    inputs = (x,) + tuple(forward) + tuple(backward) + (() if keep is None else (keep,))
    return apply(PAIR_SEQ, inputs, {"cell": cell, "reverse": tuple(bool(r) for r in reverse),
                                    "sequences": bool(sequences)})
