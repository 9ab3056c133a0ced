"""Attention layers: Luong-style ``Attention``, Bahdanau-style ``AdditiveAttention``,
``MultiHeadAttention`` (Vaswani et al.) and ``GroupQueryAttention``."""
import math

from ... import dtypes
from ...backend import host as np
from ...ops import array as A
from ...ops import indexing as P
from ...ops import linalg, nn
from ...ops import math as M
from ...ops import reduction as R
from ...tensor import TensorShape, convert_to_tensor
from .base import Layer, kernel_bias_config, set_kernel_bias
from .masking import get_mask


def _masked_softmax(scores, mask):
    """Softmax over the last axis where ``mask`` (broadcastable booleans) is true.

    NOTE: like Keras, masked scores get a large negative number (-1e9; -65504 in float16)
    added rather than -inf, so fully masked rows give a uniform softmax, not NaN.
    """
    if mask is not None:
        big = 65504.0 if scores.dtype == dtypes.float16 else 1e9
        scores = scores - big * (1.0 - M.cast(mask, scores.dtype))
    return nn.softmax(scores, axis=-1)


def _causal(tq, tk):
    return convert_to_tensor(np.tril(np.ones((tq, tk), bool)))


def _and(a, b):
    if a is None:
        return b
    return b if b is None else M.logical_and(a, b)


class Attention(Layer):
    """Dot-product attention of ``[query, value]`` or ``[query, value, key]``:
    ``softmax(query @ key^T) @ value`` (``score_mode='concat'``: additive scores)."""

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError("Invalid value for argument score_mode. Expected one of {'dot', "
                             f"'concat'}}. Received: score_mode={score_mode}")
        self.use_scale, self.score_mode = bool(use_scale), score_mode
        self.dropout, self.seed = float(dropout), seed
        self.supports_masking = True

    def build(self, input_shape):
        self.scale = self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(name="concat_score_weight", shape=(),
                                                       initializer="ones")
        self.built = True

    def _scores(self, q, k):
        if self.score_mode == "dot":
            scores = linalg.matmul(q, k, transpose_b=True)
            return scores * self.scale if self.scale is not None else scores
        s = A.expand_dims(q, -2) + A.expand_dims(k, -3)
        if self.scale is not None:
            s = s * self.scale
        return self.concat_score_weight * R.reduce_sum(M.tanh(s), axis=-1)

    def call(self, inputs, mask=None, training=None, return_attention_scores=False,
             use_causal_mask=False):
        if not isinstance(inputs, (list, tuple)) or len(inputs) not in (2, 3):
            raise ValueError(f"{type(self).__name__} layer must be called on a list of inputs, "
                             "namely [query, value] or [query, value, key]. "
                             f"Received: inputs={inputs}.")
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) == 3 else v
        q_mask, v_mask = (list(mask) + [None, None])[:2] if mask is not None else (
            get_mask(q), get_mask(v))
        scores = self._scores(q, k)
        keep = None if v_mask is None else A.expand_dims(M.cast(v_mask, dtypes.bool), -2)
        if use_causal_mask:
            keep = _and(keep, _causal(scores.shape[-2], scores.shape[-1]))
        weights = _masked_softmax(scores, keep)
        if training and self.dropout > 0:
            weights = nn.dropout(weights, self.dropout, seed=self.seed)
        out = linalg.matmul(weights, v)
        if q_mask is not None:
            out = out * A.expand_dims(M.cast(q_mask, out.dtype), -1)
        return [out, weights] if return_attention_scores else out

    def compute_output_shape(self, input_shape):
        q, v = tuple(input_shape[0]), tuple(input_shape[1])
        return q[:-1] + v[-1:]

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale,
                "score_mode": self.score_mode, "dropout": self.dropout, "seed": self.seed}


class _Projection(Layer):
    """One of MultiHeadAttention's four projections: a kernel and an optional bias."""

    def __init__(self, owner, name, kernel_shape, bias_shape):
        super().__init__(name=f"{owner.name}/{name}",
                         dtype=owner.__dict__.get("_policy") or owner.dtype)
        self.kernel = self.add_weight(name="kernel", shape=kernel_shape,
                                      initializer=owner.kernel_initializer,
                                      regularizer=owner.kernel_regularizer,
                                      constraint=owner.kernel_constraint)
        self.bias = self.add_weight(name="bias", shape=bias_shape,
                                    initializer=owner.bias_initializer,
                                    regularizer=owner.bias_regularizer,
                                    constraint=owner.bias_constraint) if owner.use_bias else None
        self.built = True

    def call(self, inputs):
        raise NotImplementedError("used by MultiHeadAttention only")


class MultiHeadAttention(Layer):
    """``num_heads`` parallel scaled dot-product attentions over learned projections of
    ``query``, ``key`` and ``value``, concatenated and projected back.

    Call it as ``mha(query, value)`` or, in functional models, ``mha([query, value])``
    (``[query, value, key]``). Inputs of rank > 3 attend over all their middle axes jointly
    (Keras's default ``attention_axes``); other ``attention_axes`` are not supported.
    """

    _config_keys = (
        "name", "trainable", "dtype", "num_heads", "key_dim", "value_dim", "dropout", "use_bias",
        "use_gate", "output_shape", "attention_axes", "sliding_window", "kernel_initializer",
        "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer",
        "kernel_constraint", "bias_constraint", "seed")

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 seed=None, use_gate=False, sliding_window=None, **kwargs):
        # Keras 3.15 writes these two options; tapeflow has them at their defaults only
        if use_gate:
            raise ValueError("MultiHeadAttention(use_gate=True) is not supported by tapeflow "
                             "(only use_gate=False).")
        if sliding_window is not None:
            raise ValueError("MultiHeadAttention(sliding_window=...) is not supported by "
                             "tapeflow (only sliding_window=None).")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.num_heads, self.key_dim = int(num_heads), int(key_dim)
        self.value_dim = int(value_dim) if value_dim else self.key_dim
        self.dropout, self.use_bias, self.seed = float(dropout), bool(use_bias), seed
        self._out_dims = None if output_shape is None else (
            (int(output_shape),) if isinstance(output_shape, int) else tuple(output_shape))
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        # NOTE: Keras 3 writes the axes it chose once built (``[1]`` for rank-3 inputs);
        # tapeflow attends over all middle axes, so only that choice is accepted (in call)
        self.attention_axes = None if attention_axes is None else tuple(
            int(a) for a in attention_axes)
        set_kernel_bias(self, kernel_initializer, bias_initializer, kernel_regularizer,
                        bias_regularizer, kernel_constraint, bias_constraint)
        self.supports_masking = True
        self._made = False

    def build(self, input_shape):
        self.built = True  # weights are made on the first call, when all inputs are seen

    def _dense(self, attr, name, kernel_shape, bias_shape):
        # NOTE: each projection is a sublayer at the attribute Keras 3 uses
        # (``query_dense``, ...), so weight files share Keras's paths
        # (``multi_head_attention/query_dense/vars``).
        setattr(self, attr, _Projection(self, name, kernel_shape, bias_shape))

    def _make(self, dq, dk, dv):
        h, kd, vd = self.num_heads, self.key_dim, self.value_dim
        out = self._out_dims[-1] if self._out_dims else dq
        self._dense("query_dense", "query", (dq, h, kd), (h, kd))
        self._dense("key_dense", "key", (dk, h, kd), (h, kd))
        self._dense("value_dense", "value", (dv, h, vd), (h, vd))
        self._dense("output_dense", "attention_output", (h, vd, out), (out,))
        self._made = True

    def _pair(self, attr):
        layer = getattr(self, attr)
        return layer.kernel, layer.bias

    # (kernel, bias) of each projection, as the ONNX exporter reads them
    _q = property(lambda self: self._pair("query_dense"))
    _k = property(lambda self: self._pair("key_dense"))
    _v = property(lambda self: self._pair("value_dense"))
    _o = property(lambda self: self._pair("output_dense"))

    def _project(self, x, weights, heads, dim):
        """(b, t, d) -> (b, heads, t, dim)."""
        kernel, bias = weights
        b, t, d = x.shape
        y = linalg.matmul(x, A.reshape(kernel, (d, heads * dim)))
        if bias is not None:
            y = y + A.reshape(bias, (heads * dim,))
        return A.transpose(A.reshape(y, (b, t, heads, dim)), [0, 2, 1, 3])

    @staticmethod
    def _flat(x):
        shape = list(x.shape)
        if len(shape) < 3:
            raise ValueError(f"MultiHeadAttention inputs must have rank >= 3; got {shape}")
        return A.reshape(x, (shape[0], -1, shape[-1])) if len(shape) > 3 else x

    def call(self, query, value=None, key=None, attention_mask=None, training=None,
             return_attention_scores=False, use_causal_mask=False, query_mask=None,
             value_mask=None, key_mask=None):
        if value is None and isinstance(query, (list, tuple)):
            query, value, key = (list(query) + [None])[:3]
        if value is None:
            raise ValueError("MultiHeadAttention needs a `value` (pass mha(query, value)).")
        value = self._convert(value)
        key = value if key is None else self._convert(key)
        q_mask = query_mask if query_mask is not None else get_mask(query)
        v_mask = value_mask if value_mask is not None else get_mask(value)
        qshape = list(query.shape)
        if self.attention_axes is not None and sorted(
                a % len(qshape) for a in self.attention_axes) != list(range(1, len(qshape) - 1)):
            raise NotImplementedError(
                f"tapeflow's MultiHeadAttention attends over all middle axes only; "
                f"attention_axes={list(self.attention_axes)} for inputs of rank {len(qshape)} "
                f"(supported: {list(range(1, len(qshape) - 1))} or None).")
        q, v, k = self._flat(query), self._flat(value), self._flat(key)
        if not self._made:
            self._make(q.shape[-1], k.shape[-1], v.shape[-1])
        h = self.num_heads
        qh = self._project(q, self._q, h, self.key_dim) * (1.0 / math.sqrt(self.key_dim))
        kh = self._project(k, self._k, h, self.key_dim)
        vh = self._project(v, self._v, h, self.value_dim)
        scores = linalg.matmul(qh, kh, transpose_b=True)  # (b, h, tq, tk)
        keep = None
        if attention_mask is not None:
            keep = M.cast(attention_mask, dtypes.bool)
        if v_mask is not None:
            keep = _and(keep, A.expand_dims(M.cast(A.reshape(v_mask, (qshape[0], -1)),
                                                   dtypes.bool), -2))
        if q_mask is not None:
            keep = _and(keep, A.expand_dims(M.cast(A.reshape(q_mask, (qshape[0], -1)),
                                                   dtypes.bool), -1))
        if use_causal_mask:
            keep = _and(keep, _causal(scores.shape[-2], scores.shape[-1]))
        if keep is not None and keep.ndim == 3:
            keep = A.expand_dims(keep, 1)  # one mask for every head
        weights = _masked_softmax(scores, keep)
        dropped = weights
        if training and self.dropout > 0:
            dropped = nn.dropout(weights, self.dropout, seed=self.seed)
        ctx = A.transpose(linalg.matmul(dropped, vh), [0, 2, 1, 3])  # (b, tq, h, vd)
        kernel, bias = self._pair("output_dense")
        b, tq = ctx.shape[0], ctx.shape[1]
        out = linalg.matmul(A.reshape(ctx, (b, tq, h * self.value_dim)),
                            A.reshape(kernel, (h * self.value_dim, kernel.shape[-1])))
        if bias is not None:
            out = out + bias
        out = A.reshape(out, qshape[:-1] + [kernel.shape[-1]])
        return [out, weights] if return_attention_scores else out

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is None and isinstance(query_shape, list) and query_shape and \
                isinstance(query_shape[0], (list, tuple, TensorShape)):
            query_shape = query_shape[0]
        shape = tuple(query_shape)
        return shape[:-1] + (self._out_dims[-1] if self._out_dims else shape[-1],)

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "value_dim": self.value_dim, "dropout": self.dropout,
                "use_bias": self.use_bias, "output_shape": self._out_dims,
                "attention_axes": self.attention_axes, "use_gate": False,
                "sliding_window": None, **kernel_bias_config(self),
                "seed": self.seed}


class AdditiveAttention(Attention):
    """Bahdanau-style attention of ``[query, value]`` or ``[query, value, key]``: scores
    ``sum(scale * tanh(query + key))`` over the features, with a learned per-feature
    ``scale`` when ``use_scale``."""

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        kwargs.pop("score_mode", None)
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        dim = TensorShape(input_shape[0]).as_list()[-1]
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(dim,),
                                         initializer="glorot_uniform")
        self.built = True

    def _scores(self, q, k):
        s = M.tanh(A.expand_dims(q, -2) + A.expand_dims(k, -3))
        return R.reduce_sum(s * self.scale if self.scale is not None else s, axis=-1)

    def get_config(self):
        config = super().get_config()
        config.pop("score_mode")
        return config


class GroupedQueryAttention(Layer):
    """Grouped-query attention (Ainslie et al., 2023): ``num_query_heads`` query heads share
    ``num_key_value_heads`` key and value heads (each repeated for its group), scaled
    dot-product attention per head, and an output projection back to the query's features.

    Call it as ``gqa(query, value)`` or ``gqa(query, value, key)``; ``use_causal_mask``,
    ``sliding_window`` (attend within that distance) and the inputs' masks restrict what each
    query step sees; ``use_gate`` multiplies the heads by a sigmoid gate of the query.
    """

    _keras_class_name = "GroupQueryAttention"  # Keras's name in configs; paths use this one

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0,
                 use_bias=True, sliding_window=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError("`num_query_heads` must be divisible by `num_key_value_heads`.")
        if sliding_window is not None and (not isinstance(sliding_window, int)
                                           or sliding_window <= 0):
            raise ValueError("`sliding_window` must be `None` or a positive integer. "
                             f"Received: sliding_window={sliding_window}")
        if flash_attention:
            raise NotImplementedError("tapeflow has no flash attention: flash_attention must "
                                      "be None or False.")
        self.head_dim, self.num_query_heads = int(head_dim), int(num_query_heads)
        self.num_key_value_heads = int(num_key_value_heads)
        self.num_repeats = self.num_query_heads // self.num_key_value_heads
        self.dropout, self.use_bias, self.seed = float(dropout), bool(use_bias), seed
        self.sliding_window, self.use_gate = sliding_window, bool(use_gate)
        set_kernel_bias(self, kernel_initializer, bias_initializer, kernel_regularizer,
                        bias_regularizer, kernel_constraint, bias_constraint)
        self.supports_masking = True
        self._made = False

    def build(self, input_shape):
        self.built = True  # weights are made on the first call, when all inputs are seen

    def _proj(self, attr, name, kernel_shape, bias_shape):
        setattr(self, attr, _Projection(self, name, kernel_shape,
                                        bias_shape if self.use_bias else None))

    def _make(self, dq, dv):
        u, v, h = self.num_query_heads, self.num_key_value_heads, self.head_dim
        # NOTE: Keras's sublayer attributes and build order, so weight lists and files match
        self._proj("_query_dense", "query", (dq, u, h), (u, h))
        self._proj("_key_dense", "key", (dv, v, h), (v, h))
        if self.use_gate:
            self._proj("_gate_dense", "gate", (dq, u, h), (u, h))
        self._proj("_value_dense", "value", (dv, v, h), (v, h))
        self._proj("_output_dense", "attention_output", (u, h, dq), (dq,))
        self._made = True

    @staticmethod
    def _apply(layer, x, equation):
        y = linalg.einsum(equation, x, layer.kernel)
        return y if layer.bias is None else y + layer.bias

    def _keep(self, tq, tk, attention_mask, q_mask, v_mask, k_mask, causal):
        keep = None if attention_mask is None else M.cast(attention_mask, dtypes.bool)
        if q_mask is not None:
            keep = _and(keep, A.expand_dims(M.cast(q_mask, dtypes.bool), -1))
        for m in (v_mask, k_mask):
            if m is not None:
                keep = _and(keep, A.expand_dims(M.cast(m, dtypes.bool), -2))
        if causal:
            keep = _and(keep, _causal(tq, tk))
        if self.sliding_window is not None:
            rows, cols = np.arange(tq)[:, None], np.arange(tk)[None, :]
            keep = _and(keep, convert_to_tensor(np.abs(rows - cols) < self.sliding_window))
        return keep

    def call(self, query, value=None, key=None, query_mask=None, value_mask=None,
             key_mask=None, attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        if value is None and isinstance(query, (list, tuple)):
            query, value, key = (list(query) + [None])[:3]
        if value is None:
            raise ValueError("GroupQueryAttention needs a `value` (gqa(query, value)).")
        value = self._convert(value)
        key = value if key is None else self._convert(key)
        q_mask = query_mask if query_mask is not None else get_mask(query)
        v_mask = value_mask if value_mask is not None else get_mask(value)
        k_mask = key_mask if key_mask is not None else (
            None if key is value else get_mask(key))
        if not self._made:
            self._make(query.shape[-1], value.shape[-1])
        q = self._apply(self._query_dense, query, "bqm,muh->bquh")
        k = P.repeat(self._apply(self._key_dense, key, "bkm,mvh->bkvh"), self.num_repeats, 2)
        v = P.repeat(self._apply(self._value_dense, value, "bkm,mvh->bkvh"), self.num_repeats,
                     2)
        scores = linalg.einsum("bquh,bkuh->buqk", q * (1.0 / math.sqrt(self.head_dim)), k)
        keep = self._keep(scores.shape[-2], scores.shape[-1], attention_mask, q_mask, v_mask,
                          k_mask, use_causal_mask)
        if keep is not None and keep.ndim == 3:
            keep = A.expand_dims(keep, 1)  # one mask for every head
        weights = _masked_softmax(scores, keep)
        dropped = weights
        if training and self.dropout > 0:
            dropped = nn.dropout(weights, self.dropout, seed=self.seed)
        out = linalg.einsum("buqk,bkuh->bquh", dropped, v)
        if self.use_gate:
            gate = M.sigmoid(self._apply(self._gate_dense, query, "bqm,muh->bquh"))
            out = out * gate
        out = self._apply(self._output_dense, out, "bquh,uhm->bqm")
        return (out, weights) if return_attention_scores else out

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is None and isinstance(query_shape, list) and query_shape and \
                isinstance(query_shape[0], (list, tuple, TensorShape)):
            query_shape = query_shape[0]
        return tuple(query_shape)

    def get_config(self):
        return {**super().get_config(), "head_dim": self.head_dim,
                "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads, "use_bias": self.use_bias,
                "use_gate": self.use_gate, "sliding_window": self.sliding_window,
                "dropout": self.dropout, **kernel_bias_config(self), "seed": self.seed}


GroupQueryAttention = GroupedQueryAttention  # Keras exports the class under this name
