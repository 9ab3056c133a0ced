"""Connectionist temporal classification: the loss (forward-backward in log space, with its
gradient) and the greedy and prefix-beam-search decoders.

The decoders return plain arrays (indices, values, dense shape); ``tf.nn`` wraps them in
``SparseTensor`` objects, which live above the ops.
"""
import heapq

from ..backend import host as np
from ..backend import to_host
from ..errors import _invalid as invalid
from ..tensor import TensorBase, convert_to_tensor
from ._core import Op, apply
from .array import transpose

__all__ = ["ctc_loss_dense", "greedy_decode", "beam_search_decode"]

_NEG = -np.inf


def _t(x, dtype=None):
    return x if isinstance(x, TensorBase) else convert_to_tensor(x, dtype)


def _log_softmax(a):
    m = np.max(a, axis=-1, keepdims=True)
    z = a - m
    return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


def _lse(*xs):
    m = np.maximum.reduce(xs)
    safe = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(all="ignore"):
        s = sum(np.exp(x - safe) for x in xs)
        return np.where(np.isfinite(m), safe + np.log(s), m)


def _extended(labels, lengths, blank):
    """Labels with blanks between and around them: ``[B, 2L + 1]`` and their lengths."""
    b, width = labels.shape
    ext = np.full((b, 2 * width + 1), blank, np.int64)
    ext[:, 1::2] = labels
    return ext, 2 * lengths + 1


# TF's dense CTC weighs the states a path may not start or end in by this stand-in for log(0)
# (log(1e-307) in float32) instead of excluding them, so a label sequence no alignment can
# produce gets a large finite loss there; its sparse-label kernel gives inf.
DENSE_LOG_ZERO = float(np.float32(np.log(1e-307)))


def _forward(emit, start, skip, valid):
    """The forward log probabilities ``[T, B, S]`` of the extended sequences."""
    t_max, batch, _ = emit.shape
    alpha = np.full(emit.shape, _NEG)
    alpha[0] = np.where(valid, start + emit[0], _NEG)
    for t in range(1, t_max):
        prev = alpha[t - 1]
        a1 = np.concatenate([np.full((batch, 1), _NEG), prev[:, :-1]], axis=1)
        a2 = np.concatenate([np.full((batch, 2), _NEG), prev[:, :-2]], axis=1)
        a2 = np.where(skip, a2, _NEG)
        alpha[t] = np.where(valid, _lse(prev, a1, a2) + emit[t], _NEG)
    return alpha


def _ctc(logits, labels, label_len, logit_len, blank, log_zero=None):
    """(loss [B], gradient [T, B, C]) of time-major logits (float64 host arrays).

    The extended sequence of each row is blank, label 1, blank, ..., label L, blank over the
    widest row (padding labels included). A path starts in the first blank or the first label
    and ends in the row's last label or the blank after it. With ``log_zero`` (TF's dense
    formulation) a path may also end anywhere else, weighted by ``exp(log_zero)``, and the
    occupancies behind the gradient let it start anywhere else too, with the same weight.
    """
    t_max, batch, _ = logits.shape
    lp = _log_softmax(logits)
    ext, ext_len = _extended(labels, label_len, blank)
    s_max = ext.shape[1]
    pos = np.arange(s_max)
    odd = (pos % 2 == 1)[None, :]
    # a skip from s-2 to s is allowed into a label different from the one before it
    skip = np.zeros((batch, s_max), bool)
    skip[:, 2:] = odd[:, 2:] & (ext[:, 2:] != ext[:, :-2])
    emit = np.take_along_axis(lp, np.broadcast_to(ext[None], (t_max, batch, s_max)), axis=2)
    start = np.where(pos[None, :] < np.minimum(ext_len, 2)[:, None], 0.0, _NEG)
    end_mask = (pos[None, :] == ext_len[:, None] - 1) | (
        (pos[None, :] == ext_len[:, None] - 2) & (ext_len[:, None] > 1))
    final = np.where(end_mask, 0.0, _NEG if log_zero is None else log_zero)
    valid = np.ones((batch, s_max), bool) if log_zero is not None else \
        pos[None, :] < ext_len[:, None]
    alpha = _forward(emit, start, skip, valid)
    alpha_any = alpha
    if log_zero is not None:
        # every state may start: from itself and its predecessors, each weighted log_zero
        preds = 1.0 + (pos > 0) + skip
        alpha_any = _forward(emit, np.logaddexp(start, log_zero + np.log(preds)), skip, valid)
    beta = np.full((t_max, batch, s_max), _NEG)
    last_t = logit_len - 1
    rows = np.arange(batch)
    skip_next = np.concatenate([skip[:, 2:], np.zeros((batch, 2), bool)], axis=1)
    for t in range(t_max - 1, -1, -1):
        at_end = (t == last_t)[:, None]
        cur = np.where(at_end & valid, final + emit[t], _NEG)
        if t + 1 < t_max:
            nxt = beta[t + 1]
            b1 = np.concatenate([nxt[:, 1:], np.full((batch, 1), _NEG)], axis=1)
            b2 = np.concatenate([nxt[:, 2:], np.full((batch, 2), _NEG)], axis=1)
            b2 = np.where(skip_next, b2, _NEG)
            inner = _lse(nxt, b1, b2) + emit[t]
            cur = np.where((t < last_t)[:, None] & valid, inner, cur)
        beta[t] = cur
    loss = -_lse(*(alpha[last_t, rows, k] + final[:, k] for k in range(s_max)))
    # gradient: softmax - the occupancy of the positions emitting each class at each frame
    occ = alpha_any + beta - emit
    total = _lse(*(occ[:, :, k] for k in range(s_max)))[:, :, None]
    with np.errstate(all="ignore"):
        post = np.exp(occ - total)
    post = np.where(np.isfinite(occ) & np.isfinite(total), post, 0.0)
    grad = np.exp(lp)
    for b in range(batch):
        np.add.at(grad[:, b, :], (slice(None), ext[b]), -post[:, b, :])
    tmask = np.arange(t_max)[:, None] < logit_len[None, :]
    return loss, np.where(tmask[:, :, None], grad, 0.0)


def _ctc_fwd(logits, labels=None, label_len=None, logit_len=None, blank=0, log_zero=None):
    loss, _ = _ctc(to_host(logits).astype(np.float64), labels, label_len, logit_len, blank,
                   log_zero)
    return loss.astype(logits.dtype)


def _ctc_grad_fwd(logits, labels=None, label_len=None, logit_len=None, blank=0,
                  log_zero=None):
    _, grad = _ctc(to_host(logits).astype(np.float64), labels, label_len, logit_len, blank,
                   log_zero)
    return grad.astype(logits.dtype)


CTC_LOSS_GRAD = Op("CTCLossGrad", _ctc_grad_fwd, None, "f")
CTC_LOSS = Op("CTCLoss", _ctc_fwd, lambda n, g: (
    apply(CTC_LOSS_GRAD, (n.inputs[0],), n.attrs) * g[None, :, None],), "f")


def ctc_loss_dense(labels, logits, label_length, logit_length, time_major, blank,
                   log_zero=None):
    """The per-example CTC loss of dense ``labels`` against ``logits``.

    Args:
        labels: ``[batch, max_label_len]`` integer labels (host array).
        logits: a float tensor, ``[time, batch, classes]`` if ``time_major``.
        label_length: ``[batch]`` label lengths (host array).
        logit_length: ``[batch]`` sequence lengths (host array).
        time_major: the layout of ``logits``.
        blank: the blank class.
        log_zero: None (paths must start and end where CTC says: a label sequence no
            alignment produces costs inf) or ``DENSE_LOG_ZERO`` (TF's dense-label
            formulation, where other starts and ends weigh ``exp(log_zero)``).

    Returns:
        A ``[batch]`` tensor of ``-log p(labels | logits)``, differentiable in ``logits``.
    """
    x = _t(logits)
    if not time_major:
        x = transpose(x, [1, 0, 2])
    t_max, batch, classes = (int(v) for v in x.shape)
    if np.any(np.asarray(logit_length) > t_max):
        raise invalid("CTCLoss", f"sequence_length(0) <= {t_max}")
    return apply(CTC_LOSS, (x,), {"labels": np.asarray(labels, np.int64),
                                  "label_len": np.asarray(label_length, np.int64),
                                  "logit_len": np.asarray(logit_length, np.int64),
                                  "blank": int(blank), "log_zero": log_zero})


def greedy_decode(inputs, sequence_length, merge_repeated, blank):
    """Best-path decoding: (indices, values, dense_shape, neg_sum_logits) host arrays."""
    a = to_host(_t(inputs)._v)
    lens = np.asarray(sequence_length).astype(np.int64)
    t_max, batch, _ = a.shape
    best = np.argmax(a, axis=2)
    score = np.max(a, axis=2)
    rows, neg = [], np.zeros((batch, 1), a.dtype)
    for b in range(batch):
        n = int(lens[b])
        path = best[:n, b]
        neg[b, 0] = -np.sum(score[:n, b])
        out, prev = [], None
        for c in path.tolist():
            if c != blank and not (merge_repeated and c == prev):
                out.append(c)
            prev = c
        rows.append(out)
    return _sparse_parts(rows, batch) + (neg,)


def _sparse_parts(rows, batch):
    indices = [[b, i] for b, r in enumerate(rows) for i in range(len(r))]
    values = [v for r in rows for v in r]
    width = max([len(r) for r in rows] + [0])
    return (np.asarray(indices, np.int64).reshape(-1, 2), np.asarray(values, np.int64),
            np.asarray([batch, width], np.int64))


class _Prefix:
    """A node of the prefix trie: a label, its parent, its children by label, and the log
    probabilities of its prefix at the previous step (``old``) and this one (``new``), each
    ``[total, ending in blank, ending in its label]``."""

    __slots__ = ("label", "parent", "children", "old", "new", "version")

    def __init__(self, label, parent):
        self.label, self.parent, self.children = label, parent, {}
        self.old = [_NEG, _NEG, _NEG]
        self.new = [_NEG, _NEG, _NEG]
        self.version = 0

    def active(self):
        return self.new[0] != _NEG

    def labels(self):
        out, node = [], self
        while node.parent is not None:
            out.append(node.label)
            node = node.parent
        return out[::-1]


class _Beam:
    """The live prefixes, at most ``width``: a min-heap on ``new[0]`` whose stale entries
    (prefixes pushed again or dropped) are skipped by their version."""

    def __init__(self, width):
        self.width, self.heap, self.size, self.seq = width, [], 0, 0

    def _clean(self):
        heap = self.heap
        while heap and heap[0][2].version != heap[0][3]:
            heapq.heappop(heap)

    def bottom(self):
        self._clean()
        return self.heap[0][2]

    def push(self, node):
        if self.size == self.width:  # the weakest prefix leaves the beam
            low = self.bottom()
            heapq.heappop(self.heap)
            low.new = [_NEG, _NEG, _NEG]
            low.version += 1
            self.size -= 1
        node.version += 1
        self.seq += 1
        heapq.heappush(self.heap, (node.new[0], self.seq, node, node.version))
        self.size += 1

    def take(self):
        """The live prefixes, best first, leaving the beam empty."""
        live = [e for e in self.heap if e[2].version == e[3]]
        live.sort(key=lambda e: (-e[0], e[1]))
        self.heap, self.size = [], 0
        return [e[2] for e in live]

    def candidate(self, total):
        return total > _NEG and (self.size < self.width or total > self.bottom().new[0])


def _beam_one(lp, steps, beam_width, blank):
    """The beam after ``steps`` steps of ``lp`` ([time, classes] log probabilities).

    Each step first rescores the prefixes in the beam (staying on their last label, or
    closing with a blank, or entering their label from their parent when the parent is
    live too), then grows every prefix by each label into a child not already in the beam;
    a child enters when it beats the weakest prefix of a full beam (which then leaves)."""
    root = _Prefix(-1, None)
    root.new = [0.0, 0.0, _NEG]
    beam = _Beam(beam_width)
    beam.push(root)
    lse = np.logaddexp
    for t in range(steps):
        row = lp[t].tolist()
        branches = beam.take()
        for b in branches:
            b.old = list(b.new)
        for b in branches:
            label = b.old[2]
            if b.parent is not None:
                par = b.parent
                if par.active():
                    prev = par.old[1] if b.label == par.label else par.old[0]
                    label = float(lse(label, prev))
                label += row[b.label]
            pblank = b.old[0] + row[blank]
            b.new = [float(lse(pblank, label)), pblank, label]
            beam.push(b)
        grow = lp[t].copy()
        grow[blank] = _NEG
        for b in branches:
            if not beam.candidate(b.old[0]):
                continue
            ps = grow + b.old[0]
            if b.label >= 0:
                ps[b.label] = grow[b.label] + b.old[1]
            # NOTE: the weakest live score only rises once the beam is full, so a label
            # below it now can never enter: visit only the others and the labels with a
            # child already (a failed entry clears the child's old scores, and a prefix
            # dropped from the beam earlier in this step then grows no children)
            floor = beam.bottom().new[0] if beam.size == beam.width else _NEG
            labels = set(np.flatnonzero(ps > floor).tolist())
            labels.update(b.children)
            labels.discard(blank)
            for c in sorted(labels):
                child = b.children.get(c)
                if child is None:
                    child = b.children[c] = _Prefix(c, b)
                if child.active():
                    continue
                p = float(ps[c])
                child.new = [p, _NEG, p]
                if beam.candidate(p):
                    beam.push(child)
                else:
                    child.old = [_NEG, _NEG, _NEG]
                    child.new = [_NEG, _NEG, _NEG]
    return beam.take()


def beam_search_decode(inputs, sequence_length, beam_width, top_paths):
    """Prefix beam search (blank = last class) on log-softmaxed ``inputs``, on a trie of
    prefixes as TF's decoder (so its approximations too): a list of ``top_paths``
    (indices, values, dense_shape) triples and the ``[batch, top_paths]`` log
    probabilities."""
    raw = to_host(_t(inputs)._v)
    a = raw.astype(np.float64)
    lp = _log_softmax(a)
    t_max, batch, classes = a.shape
    blank = classes - 1
    lens = np.asarray(sequence_length).astype(np.int64)
    per_path = [[] for _ in range(top_paths)]
    scores = np.zeros((batch, top_paths))
    for b in range(batch):
        ranked = _beam_one(lp[:, b], int(lens[b]), beam_width, blank)
        if len(ranked) < top_paths:
            raise invalid("CTCBeamSearchDecoder",
                          "Less leaves in the beam search than requested.")
        for k in range(top_paths):
            per_path[k].append(ranked[k].labels())
            scores[b, k] = ranked[k].new[0]
    return [_sparse_parts(rows, batch) for rows in per_path], scores.astype(raw.dtype)
