"""Loss functions and classes (``MeanSquaredError``, ``SparseCategoricalCrossentropy``...).

Functions return one loss per example (averaged over the last axis); classes add sample
weights and a reduction. Probabilities are clipped to ``[1e-7, 1 - 1e-7]`` as Keras does.
"""
from ..errors import InvalidArgumentError
from ..ops import array as A
from ..ops import linalg, nn
from ..ops import math as M
from ..ops import reduction as R
from ..tensor import TensorBase, convert_to_tensor
from . import _registry, activations, backend


def _pred(y_pred):
    if isinstance(y_pred, TensorBase):
        return y_pred if y_pred.dtype.is_floating else M.cast(y_pred, backend.floatx())
    t = convert_to_tensor(y_pred)
    return t if t.dtype.is_floating else M.cast(t, backend.floatx())


def _true_like(y_true, y_pred):
    t = y_true if isinstance(y_true, TensorBase) else convert_to_tensor(y_true)
    return t if t._v.dtype == y_pred._v.dtype else M.cast(t, y_pred.dtype)


def _pair(y_true, y_pred):
    y_pred = _pred(y_pred)
    y_true = _true_like(y_true, y_pred)
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        y_true = A.expand_dims(y_true, -1)
    return y_true, y_pred


def mean_squared_error(y_true, y_pred):
    """Mean over the last axis of ``(y_true - y_pred) ** 2``: one loss per example."""
    y_true, y_pred = _pair(y_true, y_pred)
    return R.reduce_mean(M.square(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """Mean over the last axis of ``|y_true - y_pred|``: one loss per example."""
    y_true, y_pred = _pair(y_true, y_pred)
    return R.reduce_mean(M.abs(y_pred - y_true), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(|y_true - y_pred| / max(|y_true|, eps))`` over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred)
    diff = M.abs((y_true - y_pred) / M.maximum(M.abs(y_true), backend.epsilon()))
    return 100.0 * R.reduce_mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """Mean over the last axis of ``(log(1 + y_true) - log(1 + y_pred)) ** 2``."""
    y_true, y_pred = _pair(y_true, y_pred)
    eps = backend.epsilon()
    first = M.log(M.maximum(y_pred, eps) + 1.0)
    second = M.log(M.maximum(y_true, eps) + 1.0)
    return R.reduce_mean(M.square(first - second), axis=-1)


def huber(y_true, y_pred, delta=1.0):
    """Huber loss: quadratic for errors up to ``delta``, linear beyond; mean over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred)
    err = M.abs(y_pred - y_true)
    quad = M.minimum(err, delta)
    # NOTE: 0.5*q^2 + d*(|e|-q) equals the two-branch Huber and has a smooth gradient.
    return R.reduce_mean(0.5 * M.square(quad) + delta * (err - quad), axis=-1)


def log_cosh(y_true, y_pred):
    """Mean over the last axis of ``log(cosh(y_pred - y_true))``."""
    y_true, y_pred = _pair(y_true, y_pred)
    x = y_pred - y_true
    return R.reduce_mean(x + M.softplus(-2.0 * x) - 0.6931471805599453, axis=-1)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy per example (mean over ``axis``), from probabilities or, with
    ``from_logits``, logits."""
    y_pred, from_logits = activations.logits_of(y_pred, from_logits, "binary_crossentropy",
                                                "Sigmoid")
    y_true, y_pred = _pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        xent = nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred)
        return R.reduce_mean(xent, axis=axis)
    eps = backend.epsilon()
    p = M.clip_by_value(y_pred, eps, 1.0 - eps)
    bce = y_true * M.log(p) + (1.0 - y_true) * M.log(1.0 - p)
    return -R.reduce_mean(bce, axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Cross-entropy between one-hot (or soft) labels and predicted probabilities (or logits),
    per example."""
    y_pred, from_logits = activations.logits_of(y_pred, from_logits,
                                                "categorical_crossentropy", "Softmax")
    y_pred = _pred(y_pred)
    y_true = _true_like(y_true, y_pred)
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(f"Arguments `target` and `output` must have the same shape. Received: "
                         f"target.shape={tuple(y_true.shape)}, output.shape="
                         f"{tuple(y_pred.shape)}")
    if label_smoothing:
        n = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / n
    if from_logits:
        return nn.softmax_cross_entropy_with_logits(labels=y_true, logits=y_pred, axis=axis)
    p = y_pred / R.reduce_sum(y_pred, axis=axis, keepdims=True)
    eps = backend.epsilon()
    p = M.clip_by_value(p, eps, 1.0 - eps)
    return -R.reduce_sum(y_true * M.log(p), axis=axis)


def _sparse_labels(y_true, y_pred):
    t = y_true if isinstance(y_true, TensorBase) else convert_to_tensor(y_true)
    if t.ndim == y_pred.ndim and t.shape[-1] == 1:
        t = A.squeeze(t, axis=-1)
    if t.ndim != y_pred.ndim - 1:
        raise ValueError(f"Argument `output` must have rank (ndim) `target.ndim + 1`. Received: "
                         f"target.shape={tuple(t.shape)}, output.shape={tuple(y_pred.shape)}")
    if t._v.dtype.kind not in "iu" or t._v.dtype.itemsize < 4 or t._v.dtype.kind == "u":
        t = M.cast(t, "int64")  # as Keras: the sparse cross-entropy op takes int32/int64
    v = t._v
    n = y_pred.shape[-1]
    if v.size and (int(v.min()) < 0 or int(v.max()) >= n):
        bad = int(v.max()) if int(v.max()) >= n else int(v.min())
        raise InvalidArgumentError(
            None, "SparseSoftmaxCrossEntropyWithLogits",
            f"Received a label value of {bad} which is outside the valid range of [0, {n}). "
            f"Labels must be class indices in [0, {n}) for predictions of shape "
            f"{tuple(y_pred.shape)}.")
    return t


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """Cross-entropy between integer class labels and predicted probabilities (or logits), per
    example."""
    y_pred, from_logits = activations.logits_of(y_pred, from_logits,
                                                "sparse_categorical_crossentropy", "Softmax")
    y_pred = _pred(y_pred)
    labels = _sparse_labels(y_true, y_pred)
    if ignore_class is not None:
        valid = M.not_equal(labels, ignore_class)
        labels = M.where(valid, labels, M.zeros_like(labels))
    if from_logits:
        out = nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=y_pred)
    else:
        p = y_pred / R.reduce_sum(y_pred, axis=-1, keepdims=True)
        eps = backend.epsilon()
        p = M.clip_by_value(p, eps, 1.0 - eps)
        hot = A.one_hot(labels, int(y_pred.shape[-1]), dtype=y_pred.dtype)
        out = -R.reduce_sum(hot * M.log(p), axis=-1)
    if ignore_class is not None:
        out = out * M.cast(valid, out.dtype)
    return out


def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred))`` over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred)
    eps = backend.epsilon()
    t = M.clip_by_value(y_true, eps, 1.0)
    p = M.clip_by_value(y_pred, eps, 1.0)
    return R.reduce_sum(t * M.log(t / p), axis=-1)


def poisson(y_true, y_pred):
    """Mean over the last axis of ``y_pred - y_true * log(y_pred)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    return R.reduce_mean(y_pred - y_true * M.log(y_pred + backend.epsilon()), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Negative cosine similarity of ``y_true`` and ``y_pred`` along ``axis`` (-1 is best)."""
    y_true, y_pred = _pair(y_true, y_pred)
    norm = lambda x: x / M.sqrt(M.maximum(R.reduce_sum(M.square(x), axis, keepdims=True),
                                          1e-12))
    return -R.reduce_sum(norm(y_true) * norm(y_pred), axis=axis)


def _hinge_labels(y_true):
    """Keras's hinge losses take labels in {-1, 1}; labels that are all 0 or 1 are mapped
    there (0 -> -1)."""
    v = y_true._v
    if ((v == 0) | (v == 1)).all():
        return 2.0 * y_true - 1.0
    return y_true


def hinge(y_true, y_pred):
    """Mean over the last axis of ``max(1 - y_true * y_pred, 0)`` (labels 0/1 become -1/1)."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return R.reduce_mean(M.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """The mean over the last axis of ``max(1 - y_true * y_pred, 0) ** 2``."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return R.reduce_mean(M.square(M.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """``max(neg - pos + 1, 0)``: ``pos`` the score of the true class, ``neg`` the best other."""
    y_true, y_pred = _pair(y_true, y_pred)
    pos = R.reduce_sum(y_true * y_pred, axis=-1)
    neg = R.reduce_max((1.0 - y_true) * y_pred, axis=-1)
    return M.maximum(neg - pos + 1.0, 0.0)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy scaled by ``(1 - p_t) ** gamma`` (focal loss), optionally
    weighted by ``alpha`` for the positive class."""
    y_true, y_pred = _pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        bce = nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred)
        p = M.sigmoid(y_pred)
    else:
        eps = backend.epsilon()
        p = M.clip_by_value(y_pred, eps, 1.0 - eps)
        bce = -(y_true * M.log(p) + (1.0 - y_true) * M.log(1.0 - p))
    p_t = y_true * p + (1.0 - y_true) * (1.0 - p)
    focal = M.pow(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return R.reduce_mean(focal, axis=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Categorical cross-entropy with each class's term scaled by ``alpha * (1 - p) **
    gamma`` (focal loss)."""
    y_pred = _pred(y_pred)
    y_true = _true_like(y_true, y_pred)
    if label_smoothing:
        n = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / n
    if from_logits:
        y_pred = nn.softmax(y_pred, axis=axis)
    p = y_pred / R.reduce_sum(y_pred, axis=axis, keepdims=True)
    eps = backend.epsilon()
    p = M.clip_by_value(p, eps, 1.0 - eps)
    cce = -y_true * M.log(p)
    return R.reduce_sum(alpha * M.pow(1.0 - p, gamma) * cce, axis=axis)


def _flat_unless_axis(y_true, y_pred, axis):
    y_true, y_pred = _pair(y_true, y_pred)
    if axis is None:  # Keras's default: the whole batch as one set
        return A.reshape(y_true, [-1]), A.reshape(y_pred, [-1])
    return y_true, y_pred


def dice(y_true, y_pred, axis=None):
    """``1 - 2|A∩B| / (|A| + |B|)`` over ``axis`` (one value for the whole batch by default)."""
    y_true, y_pred = _flat_unless_axis(y_true, y_pred, axis)
    inter = R.reduce_sum(y_true * y_pred, axis=axis)
    total = R.reduce_sum(y_true, axis=axis) + R.reduce_sum(y_pred, axis=axis)
    return 1.0 - 2.0 * inter / (total + backend.epsilon())


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """``1 - TP / (TP + alpha FP + beta FN)`` (Dice when alpha = beta = 0.5)."""
    y_true, y_pred = _flat_unless_axis(y_true, y_pred, axis)
    tp = R.reduce_sum(y_true * y_pred, axis=axis)
    # as Keras 3 weighs them: ``alpha`` on the true elements predicted low, ``beta`` on the
    # false ones predicted high (the reverse of the paper's naming; kept for equal values)
    fp = R.reduce_sum(y_true * (1.0 - y_pred), axis=axis)
    fn = R.reduce_sum((1.0 - y_true) * y_pred, axis=axis)
    return 1.0 - tp / (tp + alpha * fp + beta * fn + backend.epsilon())


def ctc(y_true, y_pred):
    """Connectionist temporal classification loss per example.

    Args:
        y_true: integer labels ``(batch, max_length)``; 0 is the blank and pads the labels.
        y_pred: logits ``(batch, time, classes)`` (not softmax-normalised).

    Returns:
        The loss of each example, ``(batch,)``.
    """
    from .ops.nn import ctc_loss  # deferred: keras.ops imports the loss-free layers only

    if len(y_true.shape) != 2:
        raise ValueError("Targets `y_true` are expected to be a tensor of shape `(batch_size, "
                         f"max_length)` in integer format. Received: y_true.shape="
                         f"{tuple(y_true.shape)}")
    if len(y_pred.shape) != 3:
        raise ValueError("Logits `y_pred` are expected to be a tensor of shape `(batch_size, "
                         f"max_length, num_classes)`. Received: y_pred.shape="
                         f"{tuple(y_pred.shape)}")
    y_true = y_true if isinstance(y_true, TensorBase) else convert_to_tensor(y_true)
    labels = M.cast(y_true, "int32")
    label_length = R.reduce_sum(M.cast(M.not_equal(labels, 0), "int32"), axis=-1)
    batch, steps = y_pred.shape[0], y_pred.shape[1]
    lengths = A.fill([batch], steps)
    return ctc_loss(labels, y_pred, label_length, lengths, mask_index=0)


def _circle_parts(y_true, y_pred, ref_labels, ref_embeddings, remove_diagonal, gamma, margin):
    y_pred = _pred(y_pred)
    y_true = M.cast(y_true if isinstance(y_true, TensorBase) else convert_to_tensor(y_true),
                    "int32")
    ref_embeddings = y_pred if ref_embeddings is None else _true_like(ref_embeddings, y_pred)
    ref_labels = y_true if ref_labels is None else M.cast(convert_to_tensor(ref_labels),
                                                          "int32")
    dist = M.maximum(1.0 - linalg.matmul(y_pred, ref_embeddings, transpose_b=True), 0.0)
    q, k = A.reshape(y_true, [-1, 1]), A.reshape(ref_labels, [1, -1])
    positive = M.equal(q, k)
    negative = M.logical_not(positive)
    if remove_diagonal:
        n, m = q.shape[0], k.shape[1]
        positive = M.logical_and(positive, M.logical_not(M.cast(A.eye(n, m), "bool")))
    pos_w = M.maximum((margin + dist) * M.cast(positive, dist.dtype), 0.0)
    neg_w = M.maximum((1.0 + margin - dist) * M.cast(negative, dist.dtype), 0.0)
    ninf = M.cast(A.fill(dist.shape, float("-inf")), dist.dtype)
    p_loss = R.reduce_logsumexp(M.where(positive, -gamma * pos_w * (margin - dist), ninf), 1)
    n_loss = R.reduce_logsumexp(M.where(negative, gamma * neg_w * (1.0 - margin - dist), ninf),
                                1)
    return M.softplus(p_loss + n_loss)


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True,
           gamma=80, margin=0.4):
    """Circle loss (Sun et al., 2020) of L2-normalised embeddings and their integer labels.

    Args:
        y_true: integer labels ``(batch,)``.
        y_pred: L2-normalised embeddings ``(batch, dim)``.
        ref_labels: labels of the reference embeddings (default ``y_true``).
        ref_embeddings: reference embeddings (default ``y_pred``).
        remove_diagonal: leave each example's similarity to itself out of its positives.
        gamma: the scale of the similarities.
        margin: the relaxation margin.

    Returns:
        The loss of each example, ``(batch,)`` (0 where it has no positive or no negative).
    """
    return _circle_parts(y_true, y_pred, ref_labels, ref_embeddings, remove_diagonal, gamma,
                         margin)


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Generalised cross-entropy (Zhang and Sabuncu, 2018): ``(1 - p ** q) / q`` with ``p``
    the predicted probability of the true class.

    Args:
        y_true: integer class indices ``(batch,)`` or ``(batch, 1)``.
        y_pred: class probabilities ``(batch, classes)``.
        q: the noise parameter in (0, 1): near 0 like cross-entropy, near 1 like MAE.

    Returns:
        The loss of each example.
    """
    y_pred = _pred(y_pred)
    t = y_true if isinstance(y_true, TensorBase) else convert_to_tensor(y_true)
    onehot = A.one_hot(M.cast(t, "int32"), y_pred.shape[-1], dtype=y_pred.dtype)
    p = R.reduce_sum(y_pred * onehot, axis=-1)
    return (1.0 - M.pow(p, q)) / q


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh


class Reduction:
    """TF 2's reduction names (``AUTO`` means ``sum_over_batch_size``)."""

    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"

    @classmethod
    def all(cls):
        return (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE, "mean",
                "mean_with_sample_weight")


def _apply_weight(values, sample_weight):
    sw = sample_weight if isinstance(sample_weight, TensorBase) else \
        convert_to_tensor(sample_weight)
    if sw.dtype != values.dtype:
        sw = M.cast(sw, values.dtype)
    while sw.ndim > values.ndim and sw.shape[-1] == 1:
        sw = A.squeeze(sw, axis=-1)
    while sw.ndim < values.ndim:
        sw = A.expand_dims(sw, -1)
    return values * sw, sw


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Weight per-example ``values`` and reduce them the way Keras's Loss classes do."""
    if sample_weight is not None:
        values, sw = _apply_weight(values, sample_weight)
    if reduction in (None, "none"):
        return values
    total = R.reduce_sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return M.divide_no_nan(total, R.reduce_sum(sw * M.ones_like(values)))
    n = 1
    for d in values._v.shape:
        n *= d
    return total / float(max(n, 1)) if n else total * 0.0


def _as_dtype(x, dtype):
    """``x`` as a tensor of the loss's dtype (a name); integer predictions are cast too."""
    t = x if isinstance(x, TensorBase) else convert_to_tensor(x)
    return t if t.dtype.name == dtype else M.cast(t, dtype)


class Loss:
    """Base class: ``loss(y_true, y_pred, sample_weight=None)`` returns the reduced loss."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction == "auto":  # TF 2's name for the default
            reduction = "sum_over_batch_size"
        if reduction is not None and reduction not in Reduction.all():
            raise ValueError(
                "Invalid value for argument `reduction`. Expected one of {'mean', 'sum', "
                "'mean_with_sample_weight', 'none', 'sum_over_batch_size', None}. Received: "
                f"reduction={reduction}")
        self.name = name or backend.snake_case(type(self).__name__)
        self.reduction = reduction
        # Keras computes every loss in its own dtype (floatx unless given), whatever the
        # model's outputs are: float64 or mixed-precision float16 predictions give a float32 loss
        self._dtype = str(dtype.name if hasattr(dtype, "name") else dtype) if dtype else None

    @property
    def dtype(self):
        return self._dtype or backend.floatx()

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        dtype = self.dtype
        y_pred = _as_dtype(y_pred, dtype)
        if isinstance(y_true, TensorBase) and y_true.dtype.is_floating:
            y_true = _as_dtype(y_true, dtype)
        return reduce_values(self.call(y_true, y_pred), sample_weight, self.reduction)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class LossFunctionWrapper(Loss):
    """A Loss around a per-example function and its keyword arguments."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name or fn.__name__, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    # NOTE: the keyword arguments a subclass's config lists, in Keras's order (None: all)
    _config_keys = None

    def get_config(self):
        keys = self._config_keys
        kwargs = self._fn_kwargs if keys is None else {k: self._fn_kwargs[k] for k in keys}
        return {**super().get_config(), **kwargs}


def _loss_class(class_name, fn, default_name, params=(), config=None):
    """A LossFunctionWrapper subclass with named keyword parameters and their defaults;
    ``config``: the parameters its config lists, in Keras's order (default: all of them)."""

    def __init__(self, *args, reduction="sum_over_batch_size", name=default_name, dtype=None,
                 **kwargs):
        values = dict(params)
        for (key, _), arg in zip(params, args):
            values[key] = arg
        for key, value in kwargs.items():
            if key not in values:
                raise TypeError(f"{class_name}() got an unexpected keyword argument '{key}'")
            values[key] = value
        LossFunctionWrapper.__init__(self, fn, reduction=reduction, name=name, dtype=dtype,
                                     **values)
        for key, value in values.items():
            setattr(self, key, value)

    return type(class_name, (LossFunctionWrapper,), {
        "__init__": __init__, "__doc__": f"Keras's ``{class_name}``.",
        "_config_keys": None if config is None else tuple(config)})


MeanSquaredError = _loss_class("MeanSquaredError", mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _loss_class("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error")
MeanAbsolutePercentageError = _loss_class(
    "MeanAbsolutePercentageError", mean_absolute_percentage_error,
    "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = _loss_class(
    "MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error")
# NOTE: Keras 3.15's Huber and CosineSimilarity configs leave out delta and axis
Huber = _loss_class("Huber", huber, "huber_loss", (("delta", 1.0),), config=())
LogCosh = _loss_class("LogCosh", log_cosh, "log_cosh")
BinaryCrossentropy = _loss_class(
    "BinaryCrossentropy", binary_crossentropy, "binary_crossentropy",
    (("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)))
CategoricalCrossentropy = _loss_class(
    "CategoricalCrossentropy", categorical_crossentropy, "categorical_crossentropy",
    (("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)))
SparseCategoricalCrossentropy = _loss_class(
    "SparseCategoricalCrossentropy", sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy", (("from_logits", False), ("ignore_class", None)))
KLDivergence = _loss_class("KLDivergence", kl_divergence, "kl_divergence")
Poisson = _loss_class("Poisson", poisson, "poisson")
CosineSimilarity = _loss_class("CosineSimilarity", cosine_similarity, "cosine_similarity",
                               (("axis", -1),), config=())
Hinge = _loss_class("Hinge", hinge, "hinge")
SquaredHinge = _loss_class("SquaredHinge", squared_hinge, "squared_hinge")
CategoricalHinge = _loss_class("CategoricalHinge", categorical_hinge, "categorical_hinge")
BinaryFocalCrossentropy = _loss_class(
    "BinaryFocalCrossentropy", binary_focal_crossentropy, "binary_focal_crossentropy",
    (("apply_class_balancing", False), ("alpha", 0.25), ("gamma", 2.0),
     ("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)),
    config=("from_logits", "label_smoothing", "axis", "apply_class_balancing", "alpha",
            "gamma"))
CategoricalFocalCrossentropy = _loss_class(
    "CategoricalFocalCrossentropy", categorical_focal_crossentropy,
    "categorical_focal_crossentropy",
    (("alpha", 0.25), ("gamma", 2.0), ("from_logits", False), ("label_smoothing", 0.0),
     ("axis", -1)), config=("from_logits", "label_smoothing", "axis", "alpha", "gamma"))
Dice = _loss_class("Dice", dice, "dice", (("axis", None),))
Tversky = _loss_class("Tversky", tversky, "tversky", (("alpha", 0.5), ("beta", 0.5),
                                                      ("axis", None)))

CategoricalGeneralizedCrossEntropy = _loss_class(
    "CategoricalGeneralizedCrossEntropy", categorical_generalized_cross_entropy,
    "categorical_generalized_cross_entropy", (("q", 0.5),))


class CTC(LossFunctionWrapper):
    """Keras's ``CTC``: the ``ctc`` loss of integer labels and logits."""

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, reduction=reduction, name=name, dtype=dtype)


class Circle(LossFunctionWrapper):
    """Keras's ``Circle``: the ``circle`` loss; examples without positives or negatives
    (loss 0) are left out of the mean, as Keras masks them."""

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True,
                 reduction="sum_over_batch_size", name="circle", dtype=None):
        super().__init__(circle, reduction=reduction, name=name, dtype=dtype, gamma=gamma,
                         margin=margin, remove_diagonal=remove_diagonal)
        self.gamma, self.margin, self.remove_diagonal = gamma, margin, remove_diagonal

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = _as_dtype(y_pred, self.dtype)
        values = self.call(y_true, y_pred)
        valid = M.cast(M.greater(values, 0.0), values.dtype)
        if self.reduction in ("mean", "sum_over_batch_size"):
            n = float(max(values._v.size, 1))
            valid = valid * M.divide_no_nan(M.cast(n, values.dtype), R.reduce_sum(valid))
        if sample_weight is not None:
            valid = _apply_weight(valid, sample_weight)[0]
        return reduce_values(values, valid, self.reduction)


_registry.register(
    "loss", ctc, circle, categorical_generalized_cross_entropy, CTC, Circle,
    CategoricalGeneralizedCrossEntropy, mean_squared_error, mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error, huber, log_cosh, binary_crossentropy,
    categorical_crossentropy, sparse_categorical_crossentropy, kl_divergence, poisson,
    cosine_similarity, hinge, squared_hinge, categorical_hinge, binary_focal_crossentropy,
    categorical_focal_crossentropy, dice, tversky, SquaredHinge, CategoricalHinge,
    BinaryFocalCrossentropy, CategoricalFocalCrossentropy, Dice, Tversky, MeanSquaredError,
    MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, Huber, LogCosh, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, KLDivergence, Poisson, CosineSimilarity, Hinge,
    aliases={"mse": mse, "MSE": mse, "mae": mae, "MAE": mae, "mape": mape, "msle": msle,
             "huber_loss": huber, "logcosh": log_cosh, "kld": kld,
             "kullback_leibler_divergence": kl_divergence})


def get(identifier):
    """A loss for a name (function or class name), a config dict, a class or a callable."""
    return _registry.get("loss", identifier)


def serialize(loss):
    """The ``{'class_name', 'config', ...}`` dict Keras writes for this object."""
    return _registry.serialize(loss)


def deserialize(config, custom_objects=None):
    """The object a ``serialize`` dict describes (allow-listed classes and ``custom_objects``
    only)."""
    return _registry.deserialize("loss", config, custom_objects)
