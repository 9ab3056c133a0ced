"""The ``tf.nn`` functions that meet ``SparseTensor`` objects (CTC with sparse labels and its
decoders, sparse embedding lookups) and the sampled losses (NCE, sampled softmax), built on
the ops below the public API."""
from .. import dtypes
from ..backend import host as np
from ..backend import to_host
from ..errors import InvalidArgumentError
from ..ops.array import concat, reshape
from ..ops.conv import depthwise_conv2d
from ..ops.ctc import DENSE_LOG_ZERO, beam_search_decode, ctc_loss_dense, greedy_decode
from ..ops.extra import unsorted_segment_sum
from ..ops.indexing import embedding_lookup, gather
from ..ops.linalg import matmul
from ..ops.math import add, cast, divide, log, multiply, sqrt, subtract, where
from ..ops.nn import sigmoid_cross_entropy_with_logits, softmax_cross_entropy_with_logits
from ..ops.reduction import reduce_sum
from ..ops.sampling import compute_accidental_hits, log_uniform_candidate_sampler
from ..sparse import SparseTensor
from ..tape import GradientTape
from ..tensor import TensorBase, const, convert_to_tensor, wrap

__all__ = ["ctc_loss", "ctc_greedy_decoder", "ctc_beam_search_decoder",
           "depthwise_conv2d_backprop_filter", "depthwise_conv2d_backprop_input",
           "embedding_lookup_sparse", "safe_embedding_lookup_sparse", "nce_loss",
           "sampled_softmax_loss"]


def _t(x, dtype=None):
    return x if isinstance(x, TensorBase) else convert_to_tensor(x, dtype)


def _host(x):
    return np.asarray(to_host(_t(x)._v))


# -- CTC -----------------------------------------------------------------------------------------
def _dense_from_sparse(sp):
    idx = _host(sp.indices)
    vals = _host(sp.values)
    shape = _host(sp.dense_shape)
    dense = np.zeros((int(shape[0]), int(shape[1])), np.int64)
    lengths = np.zeros(int(shape[0]), np.int64)
    for (b, i), v in zip(idx.tolist(), vals.tolist()):
        dense[b, i] = v
        lengths[b] = max(lengths[b], i + 1)
    return dense, lengths


def ctc_loss(labels, logits, label_length, logit_length, logits_time_major=True, unique=None,
             blank_index=None, name=None):
    """The connectionist temporal classification loss of each example.

    Args:
        labels: ``[batch, max_label_len]`` integer labels, or a ``SparseTensor``.
        logits: ``[time, batch, classes]`` (or batch-major) unnormalised log probabilities.
        label_length: ``[batch]`` label lengths (None for sparse labels).
        logit_length: ``[batch]`` sequence lengths.
        logits_time_major: the layout of ``logits``.
        unique: accepted, unused (an optimisation hint in TF).
        blank_index: the blank class (0 by default for dense labels, required for sparse
            ones; negative counts from the end).
        name: unused.

    Returns:
        A float ``[batch]`` tensor of ``-log p(labels | logits)``, differentiable in
        ``logits``.
    """
    x = _t(logits)
    if isinstance(labels, SparseTensor) and blank_index is None:
        raise ValueError("Argument `blank_index` must be provided when `labels` is a "
                         "`SparseTensor`.")
    classes = int(x.shape[-1])
    blank = 0 if blank_index is None else int(blank_index)
    if blank < 0:
        blank += classes
    log_zero = None  # TF's kernel for sparse labels; its dense path has a log(0) stand-in
    if isinstance(labels, SparseTensor):
        dense, lengths = _dense_from_sparse(labels)
    else:
        log_zero = DENSE_LOG_ZERO
        if x.dtype != dtypes.float32:
            raise InvalidArgumentError(
                None, "Mul", f"cannot compute Mul as input #1(zero-based) was expected to be a "
                f"{x.dtype.name.replace('float64', 'double')} tensor but is a float tensor "
                "[Op:Mul]")
        dense = _host(labels).astype(np.int64)
        lengths = _host(label_length).astype(np.int64)
    return ctc_loss_dense(dense, x, lengths, _host(logit_length), logits_time_major, blank,
                          log_zero)


def _sparse(parts):
    idx, vals, shape = parts
    return SparseTensor(wrap(idx), wrap(vals), wrap(shape))


def ctc_greedy_decoder(inputs, sequence_length, merge_repeated=True, blank_index=None):
    """Best-path decoding: the most likely class at each step, repeats merged, blanks dropped.

    Args:
        inputs: ``[time, batch, classes]`` logits.
        sequence_length: ``[batch]`` lengths.
        merge_repeated: merge neighbouring repeats before dropping blanks.
        blank_index: the blank class (the last by default; negative counts from the end).

    Returns:
        ``([decoded], neg_sum_logits)``: a one-element list with an int64 ``SparseTensor``
        ``[batch, max_decoded_len]``, and the ``[batch, 1]`` negated sums of the best logits.
    """
    x = _t(inputs)
    classes = int(x.shape[-1])
    blank = classes - 1 if blank_index is None else int(blank_index)
    if blank < 0:
        blank += classes
    idx, vals, shape, neg = greedy_decode(x, _host(sequence_length), merge_repeated, blank)
    return [_sparse((idx, vals, shape))], wrap(neg)


def ctc_beam_search_decoder(inputs, sequence_length, beam_width=100, top_paths=1):
    """Prefix beam search over the label sequences (the blank is the last class).

    Args:
        inputs: ``[time, batch, classes]`` logits.
        sequence_length: ``[batch]`` lengths.
        beam_width: how many prefixes to keep per step.
        top_paths: how many decodings to return.

    Returns:
        ``(decoded, log_probabilities)``: ``top_paths`` int64 ``SparseTensor`` objects and
        the ``[batch, top_paths]`` log probabilities of the decodings.
    """
    if int(top_paths) > int(beam_width):
        raise InvalidArgumentError(None, "CTCBeamSearchDecoder", "requested more paths than "
                                   "the beam width. [Op:CTCBeamSearchDecoder]")
    paths, scores = beam_search_decode(inputs, _host(sequence_length), int(beam_width),
                                       int(top_paths))
    return [_sparse(p) for p in paths], wrap(scores)


# -- depthwise convolution backprops ------------------------------------------------------------
def _ints(x):
    return [int(v) for v in _host(x).ravel().tolist()]


def _grad_of(fn, wrt, seed):
    """The gradient of ``sum(fn(wrt) * seed)`` with respect to ``wrt``."""
    with GradientTape() as tape:
        tape.watch(wrt)
        y = fn(wrt)
    return tape.gradient(y, wrt, output_gradients=seed)


def depthwise_conv2d_backprop_filter(input, filter_sizes, out_backprop, strides, padding,
                                     data_format="NHWC", dilations=None, name=None):
    """The gradient of ``depthwise_conv2d`` with respect to its filter.

    Args:
        input: the 4-D input of the convolution.
        filter_sizes: the 4 dims of the filter.
        out_backprop: the gradient of the convolution's output.
        strides, padding, data_format, dilations: as for ``depthwise_conv2d``.
        name: unused.

    Returns:
        A tensor of ``filter_sizes``.
    """
    x = _t(input)
    g = _t(out_backprop, x.dtype)
    w = const(np.zeros(_ints(filter_sizes), dtype=x._v.dtype))
    return _grad_of(lambda f: depthwise_conv2d(x, f, strides, padding, data_format, dilations),
                    w, g)


def depthwise_conv2d_backprop_input(input_sizes, filter, out_backprop, strides, padding,
                                    data_format="NHWC", dilations=None, name=None):
    """The gradient of ``depthwise_conv2d`` with respect to its input.

    Args:
        input_sizes: the 4 dims of the input.
        filter: the 4-D filter of the convolution.
        out_backprop: the gradient of the convolution's output.
        strides, padding, data_format, dilations: as for ``depthwise_conv2d``.
        name: unused.

    Returns:
        A tensor of ``input_sizes``.
    """
    w = _t(filter)
    g = _t(out_backprop, w.dtype)
    x = const(np.zeros(_ints(input_sizes), dtype=w._v.dtype))
    return _grad_of(lambda v: depthwise_conv2d(v, w, strides, padding, data_format, dilations),
                    x, g)


# -- sparse embedding lookups -------------------------------------------------------------------
def _check_combiner(combiner):
    if combiner not in ("mean", "sqrtn", "sum"):
        raise ValueError(f"combiner must be one of 'mean', 'sqrtn' or 'sum', got {combiner}")


def embedding_lookup_sparse(params, sp_ids, sp_weights, combiner=None, max_norm=None, name=None,
                            allow_fast_lookup=False):
    """Combine the embeddings of the ids of each row of a sparse id tensor.

    Args:
        params: the embedding table (or a list of shards).
        sp_ids: a ``SparseTensor`` ``[batch, max_ids]`` of int ids.
        sp_weights: a ``SparseTensor`` of weights at the same indices, or None (weight 1).
        combiner: 'mean' (default), 'sqrtn' or 'sum'.
        max_norm: clip each embedding's L2 norm to this.
        name: unused.
        allow_fast_lookup: accepted, unused.

    Returns:
        A dense ``[batch, dim]`` tensor (rows without ids are zero).
    """
    combiner = combiner or "mean"
    _check_combiner(combiner)
    idx = _host(sp_ids.indices)
    batch = int(_host(sp_ids.dense_shape)[0])
    rows = idx[:, 0].astype(np.int64)
    emb = embedding_lookup(params, sp_ids.values, max_norm=max_norm)
    if sp_weights is None:
        w = wrap(np.ones(len(rows), emb._v.dtype))
    else:
        w = cast(_t(sp_weights.values), emb.dtype)
        emb = multiply(emb, reshape(w, [-1, 1]))
    total = unsorted_segment_sum(emb, rows, batch)
    if combiner == "sum":
        return total
    if combiner == "mean":
        return _div_nz(total, unsorted_segment_sum(w, rows, batch))
    return _div_nz(total, sqrt(unsorted_segment_sum(multiply(w, w), rows, batch)))


def _div_nz(total, den):
    safe = where(den > 0, den, 1.0 + 0.0 * den)
    return divide(total, reshape(safe, [-1, 1]))


def safe_embedding_lookup_sparse(embedding_weights, sparse_ids, sparse_weights=None,
                                 combiner="mean", default_id=None, max_norm=None, name=None,
                                 allow_fast_lookup=False):
    """``embedding_lookup_sparse`` that drops invalid ids (negative) and non-positive weights,
    and gives rows without ids the embedding of ``default_id`` (or zeros).

    Args:
        embedding_weights: the table (or a list of shards).
        sparse_ids: a ``SparseTensor`` ``[batch, max_ids]`` (higher ranks flatten the leading
            dims into the batch).
        sparse_weights: a ``SparseTensor`` of weights, or None.
        combiner: 'mean', 'sqrtn' or 'sum'.
        default_id: the id whose embedding fills empty rows, or None for zeros.
        max_norm: clip each embedding's L2 norm.
        name: unused.
        allow_fast_lookup: accepted, unused.

    Returns:
        A dense tensor ``sparse_ids.dense_shape[:-1] + [dim]``.
    """
    _check_combiner(combiner)
    shape = [int(v) for v in _host(sparse_ids.dense_shape)]
    idx = _host(sparse_ids.indices)
    ids = _host(sparse_ids.values)
    keep = ids >= 0
    if sparse_weights is not None:
        keep &= _host(sparse_weights.values) > 0
    lead = shape[:-1]
    batch = int(np.prod(lead)) if lead else 1
    flat_rows = np.ravel_multi_index(idx[:, :-1].T, lead) if len(lead) > 1 else idx[:, 0]
    sel = np.nonzero(keep)[0]
    new_idx = np.stack([flat_rows[sel], idx[sel, -1]], axis=1) if sel.size else \
        np.zeros((0, 2), np.int64)
    sp = SparseTensor(wrap(new_idx.astype(np.int64)), gather(sparse_ids.values, sel),
                      wrap(np.asarray([batch, shape[-1]], np.int64)))
    spw = None if sparse_weights is None else SparseTensor(
        wrap(new_idx.astype(np.int64)), gather(sparse_weights.values, sel),
        wrap(np.asarray([batch, shape[-1]], np.int64)))
    out = embedding_lookup_sparse(embedding_weights, sp, spw, combiner, max_norm)
    empty = np.ones(batch, bool)
    empty[new_idx[:, 0]] = False
    if default_id is not None and empty.any():
        fill = embedding_lookup(embedding_weights, np.full(batch, int(default_id), np.int64),
                                max_norm=max_norm)
        out = where(wrap(empty[:, None]), fill, out)
    dim = int(out.shape[-1])
    return reshape(out, lead + [dim])


# -- sampled losses ------------------------------------------------------------------------------
def _sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                    sampled_values, subtract_log_q, remove_accidental_hits, seed):
    labels = cast(_t(labels), dtypes.int64)
    if labels._v.ndim == 1:
        labels = reshape(labels, [-1, num_true])
    if sampled_values is None:
        sampled_values = log_uniform_candidate_sampler(labels, num_true, num_sampled, True,
                                                       num_classes, seed=seed)
    sampled, true_expected, sampled_expected = sampled_values
    x = _t(inputs)
    all_ids = concat([reshape(labels, [-1]), cast(_t(sampled), dtypes.int64)], 0)
    all_w = embedding_lookup(weights, all_ids)
    all_b = embedding_lookup(biases, all_ids)
    n_true = int(np.prod(labels.shape))
    true_w = reshape(all_w[:n_true], [-1, num_true, int(all_w.shape[-1])])
    true_b = reshape(all_b[:n_true], [-1, num_true])
    samp_w, samp_b = all_w[n_true:], all_b[n_true:]
    true_logits = add(reduce_sum(multiply(reshape(x, [-1, 1, int(x.shape[-1])]), true_w), -1),
                      true_b)
    samp_logits = add(matmul(x, samp_w, transpose_b=True), samp_b)
    if remove_accidental_hits:
        hit_idx, hit_ids, hit_w = compute_accidental_hits(labels, sampled, num_true)
        mask = np.zeros(tuple(int(v) for v in samp_logits.shape), samp_logits._v.dtype)
        mask[_host(hit_idx), _host(hit_ids)] = _host(hit_w)
        samp_logits = add(samp_logits, wrap(mask))
    if subtract_log_q:
        true_logits = subtract(true_logits, log(cast(_t(true_expected), x.dtype)))
        samp_logits = subtract(samp_logits, log(cast(_t(sampled_expected), x.dtype)))
    logits = concat([true_logits, samp_logits], 1)
    lab = concat([multiply(_ones_like(true_logits), 1.0 / num_true),
                  multiply(_ones_like(samp_logits), 0.0)], 1)
    return logits, lab


def _ones_like(t):
    return wrap(np.ones(tuple(int(v) for v in t.shape), t._v.dtype))


def nce_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
             sampled_values=None, remove_accidental_hits=False, name="nce_loss"):
    """Noise-contrastive estimation loss of each example.

    Args:
        weights: ``[num_classes, dim]`` class embeddings (or a list of shards).
        biases: ``[num_classes]`` class biases.
        labels: ``[batch, num_true]`` int target classes.
        inputs: ``[batch, dim]`` activations.
        num_sampled: negative classes per batch.
        num_classes: the number of classes.
        num_true: targets per example.
        sampled_values: a sampler's result to use (default: ``log_uniform_candidate_sampler``
            with unique draws).
        remove_accidental_hits: mask sampled classes that are targets.
        name: unused.

    Returns:
        A ``[batch]`` tensor of losses.
    """
    logits, lab = _sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes,
                                  num_true, sampled_values, True, remove_accidental_hits, None)
    return reduce_sum(sigmoid_cross_entropy_with_logits(labels=lab, logits=logits), 1)


def sampled_softmax_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                         sampled_values=None, remove_accidental_hits=True, seed=None,
                         name="sampled_softmax_loss"):
    """Softmax cross-entropy over the targets and a sample of the other classes.

    Args:
        weights, biases, labels, inputs, num_sampled, num_classes, num_true, sampled_values:
            as for ``nce_loss``.
        remove_accidental_hits: mask sampled classes that are targets (default True).
        seed: an op seed for the sampler.
        name: unused.

    Returns:
        A ``[batch]`` tensor of losses.
    """
    logits, lab = _sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes,
                                  num_true, sampled_values, True, remove_accidental_hits, seed)
    return softmax_cross_entropy_with_logits(labels=lab, logits=logits)

