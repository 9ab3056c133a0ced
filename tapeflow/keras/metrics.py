"""Metrics that accumulate state across batches (a total and a count, never a list of
values): ``Mean``, ``SparseCategoricalAccuracy``, ``Precision``, ``AUC``...

The built-in metrics update on backend arrays as one recorded side effect
(``tapeflow.function.run_effect``): never differentiated, invisible to tapes, and replayed
by a tf.function plan on every call, so ``Model.fit``'s traced step keeps them exact. Their
``result()`` is one non-differentiable op on the state variables, so a plan reads the state
at that point of the step.
"""
import functools

from .. import _recording, dtypes
from ..backend import device_of, is_array, placement, xp_of
from ..backend import host as np
from ..framework import device
from ..function import run_effect
from ..ops._core import Op, apply
from ..tensor import TensorBase, convert_to_tensor
from ..variable import Variable
from . import _registry, backend, losses


def _arr(x):
    """The backend array of a tensor or array, or a host array for anything else."""
    if isinstance(x, TensorBase):
        return x._v
    return x if is_array(x) else np.asarray(x)  # device arrays (CuPy) stay on their device


def _stateful(update):
    """A built-in ``update_state``: ``update(self, ...)`` runs on backend arrays as one
    recorded side effect (see the module doc)."""

    @functools.wraps(update)
    def update_state(self, *args, **kwargs):
        n, keys = len(args), tuple(kwargs)

        def run(*values):
            update(self, *values[:n], **dict(zip(keys, values[n:])))

        # distribute: a MirroredStrategy replica's values move to the state's device
        run_effect(_on_state_device(self, run), [*args, *kwargs.values()])

    return update_state


def _on_state_device(metric, update):
    """A metric's raw update, run where its state lives: values computed on another device
    (by a MirroredStrategy replica) are copied there first, and that device is made current
    again after (a traced plan's next ops run on it). With only the host, ``update`` itself."""
    if not placement:
        return update

    def placed(*values):
        # NOTE: a state still on the host follows the values' device (``_Reduce._accumulate``)
        homes = [device_of(v._v) for v in getattr(metric, "_variables", ())]
        home = next((d for d in homes if d.backend is not None), None)
        if home is None:
            return update(*values)
        away = None
        moved = list(values)
        for i, v in enumerate(values):
            if is_array(v):
                d = device_of(v)
                if d is not home and d.backend is not None:
                    away, moved[i] = d, home.put(v)
        if away is None:
            return update(*values)
        home.select()
        try:
            with device(f"/{home.kind}:{home.index}"):  # the ops inside the update too
                return update(*moved)
        finally:
            away.select()

    return placed


_RESULT = Op("MetricResult", lambda *arrays, fn: fn(*arrays), same_dtype=False)


def _result(fn, *variables):
    """``fn`` of the state variables' arrays, as a (non-differentiable) op."""
    return apply(_RESULT, variables, {"fn": fn})


def _divide(num, den):
    xp = xp_of(num)
    return xp.where(den > 0, num / xp.where(den > 0, den, 1), 0).astype(num.dtype)


def _same(a):
    return a


def _float(a, dtype):
    return a if a.dtype == dtype else a.astype(dtype)


class Metric:
    """Base class: ``update_state(...)`` accumulates, ``result()`` reads, ``reset_state()``
    starts over; calling the metric updates it and returns the result."""

    def __init__(self, name=None, dtype=None):
        self.name = name or backend.snake_case(type(self).__name__)
        self._dtype = dtypes.as_dtype(dtype or backend.floatx())
        self._variables = []

    @property
    def dtype(self):
        return self._dtype.name

    def add_variable(self, shape=(), initializer="zeros", dtype=None, name=None):
        dt = dtypes.as_dtype(dtype or self._dtype)
        value = np.zeros(tuple(shape), dtype=dt.as_numpy_dtype)
        var = Variable(value, trainable=False, name=f"{self.name}/{name or 'variable'}")
        self._variables.append(var)
        return var

    add_weight = add_variable

    @property
    def variables(self):
        return list(self._variables)

    weights = variables

    def reset_state(self):
        for v in self._variables:
            v._assign_raw(xp_of(v._v).zeros_like(v._v))

    def reset_states(self):
        """Keras 2's name for ``reset_state`` (the seed calls it)."""
        self.reset_state()

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class _Reduce(Metric):
    def __init__(self, name=None, dtype=None):
        super().__init__(name, dtype)
        self.total = self.add_variable(name="total")
        self.count = self.add_variable(name="count")

    def _accumulate(self, values, sample_weight=None):
        dt = self._dtype._np
        v = _float(_arr(values), dt)
        xp = xp_of(v)
        if sample_weight is None:
            total, count = v.sum(), v.size
        else:
            sw = _float(_arr(sample_weight), dt)
            if not isinstance(sw, type(v)):
                sw = xp.asarray(sw)
            while sw.ndim > v.ndim and sw.shape[-1] == 1:
                sw = sw[..., 0]
            while sw.ndim < v.ndim:
                sw = sw[..., None]
            sw = xp.broadcast_to(sw, v.shape)
            total, count = (v * sw).sum(), sw.sum()
        tot, cnt = self.total._v, self.count._v
        if not isinstance(tot, type(v)):  # the state follows the values' device
            tot, cnt = xp.asarray(tot), xp.asarray(cnt)
        self.total._assign_raw(tot + total.astype(dt))
        self.count._assign_raw(cnt + xp.asarray(count, dtype=dt))

    update_state = _stateful(_accumulate)


class Sum(_Reduce):
    """The weighted sum of the values seen."""

    def result(self):
        return _result(_same, self.total)


class Mean(_Reduce):
    """The weighted mean of the values seen (total / count)."""

    def result(self):
        return _result(_divide, self.total, self.count)


class MeanMetricWrapper(Mean):
    """The mean of ``fn(y_true, y_pred, **kwargs)`` over all examples seen."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if isinstance(fn, (dict, str)):  # a serialized function, from a config
            from .saving.serialization import deserialize_keras_object  # cycle: saving

            fn = deserialize_keras_object(fn, module_objects=_named_functions())
        super().__init__(name=name or (backend.snake_case(type(self).__name__)
                                       if type(self) is MeanMetricWrapper else
                                       getattr(fn, "__name__", None)), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    @_stateful
    def update_state(self, y_true, y_pred, sample_weight=None):
        self._accumulate(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight)

    def get_config(self):
        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is MeanMetricWrapper:  # as Keras 3: the function goes in the config
            from .saving.serialization import serialize_keras_object  # cycle: saving

            config["fn"] = serialize_keras_object(self._fn)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _named_functions():
    """The loss and metric functions a serialized ``fn`` may name."""
    return {**{k: v for k, v in vars(losses).items() if callable(v) and not k.startswith("_")},
            **{k: v for k, v in globals().items() if callable(v) and not k.startswith("_")}}


# -- accuracy functions (backend arrays in, per-example values out) -----------
def _labels_and_preds(y_true, y_pred):
    t, p = _arr(y_true), _arr(y_pred)
    xp = xp_of(p)
    if not isinstance(t, type(p)):
        t = xp.asarray(t)
    return xp, t, p


def _accuracy(y_true, y_pred):
    xp, t, p = _labels_and_preds(y_true, y_pred)
    if t.ndim == p.ndim + 1 and t.shape[-1] == 1:
        t = t[..., 0]
    return (t == p.astype(t.dtype, copy=False)).astype(backend.floatx())


def _binary_accuracy(y_true, y_pred, threshold=0.5):
    xp, t, p = _labels_and_preds(y_true, y_pred)
    if t.ndim == p.ndim - 1:
        t = t[..., None]
    hit = (p > threshold) == (t > 0.5) if t.dtype.kind == "f" else (p > threshold) == t
    return hit.astype(backend.floatx()).mean(axis=-1)


def _categorical_accuracy(y_true, y_pred):
    xp, t, p = _labels_and_preds(y_true, y_pred)
    return (t.argmax(axis=-1) == p.argmax(axis=-1)).astype(backend.floatx())


def _sparse(t, p):
    if t.ndim == p.ndim and t.shape[-1] == 1:
        t = t[..., 0]
    return t.astype("int64", copy=False)


def _sparse_categorical_accuracy(y_true, y_pred):
    xp, t, p = _labels_and_preds(y_true, y_pred)
    return (_sparse(t, p) == p.argmax(axis=-1)).astype(backend.floatx())


def _in_top_k(xp, p, target, k):
    """True where the target's score is among the ``k`` largest (ties count as in)."""
    score = xp.take_along_axis(p, target[..., None], axis=-1)
    return (p > score).sum(axis=-1) < k


def _top_k_categorical_accuracy(y_true, y_pred, k=5):
    xp, t, p = _labels_and_preds(y_true, y_pred)
    return _in_top_k(xp, p, t.argmax(axis=-1), k).astype(backend.floatx())


def _sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    xp, t, p = _labels_and_preds(y_true, y_pred)
    return _in_top_k(xp, p, _sparse(t, p), k).astype(backend.floatx())


def _per_example(fn):
    """The public metric function for array-level ``fn``: one non-differentiable op, so a
    tf.function plan replays it."""

    def metric_fn(y_true, y_pred, **kwargs):
        return apply(_RESULT, (y_true, y_pred), {"fn": functools.partial(fn, **kwargs)}
                     if kwargs else {"fn": fn})

    metric_fn.__name__ = metric_fn.__qualname__ = fn.__name__.lstrip("_")
    metric_fn.__doc__ = f"Keras's per-example ``{metric_fn.__name__}``."
    return metric_fn


accuracy = _per_example(_accuracy)
binary_accuracy = _per_example(_binary_accuracy)
categorical_accuracy = _per_example(_categorical_accuracy)
sparse_categorical_accuracy = _per_example(_sparse_categorical_accuracy)
top_k_categorical_accuracy = _per_example(_top_k_categorical_accuracy)
sparse_top_k_categorical_accuracy = _per_example(_sparse_top_k_categorical_accuracy)


def _wrapper(class_name, fn, default_name, params=()):
    def __init__(self, *args, name=default_name, dtype=None, **kwargs):
        values = dict(params)
        for (key, _), arg in zip(params, args):
            values[key] = arg
        for key, value in kwargs.items():
            if key not in values:
                raise TypeError(f"{class_name}() got an unexpected keyword argument '{key}'")
            values[key] = value
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **values)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}

    return type(class_name, (MeanMetricWrapper,), {
        "__init__": __init__, "get_config": get_config, "__doc__": f"Keras's ``{class_name}``."})


Accuracy = _wrapper("Accuracy", accuracy, "accuracy")
BinaryAccuracy = _wrapper("BinaryAccuracy", binary_accuracy, "binary_accuracy",
                          (("threshold", 0.5),))
CategoricalAccuracy = _wrapper("CategoricalAccuracy", categorical_accuracy,
                               "categorical_accuracy")
SparseCategoricalAccuracy = _wrapper("SparseCategoricalAccuracy", sparse_categorical_accuracy,
                                     "sparse_categorical_accuracy")
TopKCategoricalAccuracy = _wrapper("TopKCategoricalAccuracy", top_k_categorical_accuracy,
                                   "top_k_categorical_accuracy", (("k", 5),))
SparseTopKCategoricalAccuracy = _wrapper(
    "SparseTopKCategoricalAccuracy", sparse_top_k_categorical_accuracy,
    "sparse_top_k_categorical_accuracy", (("k", 5),))


def _loss_metric(class_name, fn, default_name, params=()):
    def values(y_true, y_pred, **kw):
        with _no_tape():
            return fn(y_true, y_pred, **kw)

    values.__name__ = default_name
    return _wrapper(class_name, values, default_name, params)


class _no_tape:
    """Pause this thread's recording tapes while a metric computes a loss-like value."""

    def __enter__(self):
        self._saved = _recording.pop_here()

    def __exit__(self, *exc):
        _recording.push(*self._saved)
        return False


MeanSquaredError = _loss_metric("MeanSquaredError", losses.mean_squared_error,
                                "mean_squared_error")
MeanAbsoluteError = _loss_metric("MeanAbsoluteError", losses.mean_absolute_error,
                                 "mean_absolute_error")
BinaryCrossentropy = _loss_metric("BinaryCrossentropy", losses.binary_crossentropy,
                                  "binary_crossentropy",
                                  (("from_logits", False), ("label_smoothing", 0)))
CategoricalCrossentropy = _loss_metric("CategoricalCrossentropy",
                                       losses.categorical_crossentropy,
                                       "categorical_crossentropy",
                                       (("from_logits", False), ("label_smoothing", 0),
                                        ("axis", -1)))
SparseCategoricalCrossentropy = _loss_metric("SparseCategoricalCrossentropy",
                                             losses.sparse_categorical_crossentropy,
                                             "sparse_categorical_crossentropy",
                                             (("from_logits", False), ("ignore_class", None),
                                              ("axis", -1)))


class _Confusion(Metric):
    """True/false positives (and negatives) at one or more thresholds."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name, dtype)
        self.init_thresholds = thresholds
        self.top_k, self.class_id = top_k, class_id
        single = thresholds is None or isinstance(thresholds, (int, float))
        self._single = single
        thr = [0.5 if thresholds is None else thresholds] if single else list(thresholds)
        if top_k is not None and thresholds is None:
            thr = [-1e-7]  # NOTE: with top_k, every kept prediction counts as positive
        self._thresholds = np.asarray(thr, dtype=np.float64)
        n = len(thr)
        self.true_positives = self.add_variable((n,), name="true_positives")
        self.false_positives = self.add_variable((n,), name="false_positives")
        self.false_negatives = self.add_variable((n,), name="false_negatives")
        self.true_negatives = self.add_variable((n,), name="true_negatives")

    def _count(self, y_true, y_pred, sample_weight=None, label_weights=None):
        xp, t, p = _labels_and_preds(y_true, y_pred)
        p = p.astype(self._dtype._np, copy=False)
        if t.shape != p.shape:
            t = xp.broadcast_to(t.reshape(t.shape + (1,) * (p.ndim - t.ndim)), p.shape)
        if self.top_k is not None:
            kth = -xp.sort(-p, axis=-1)[..., self.top_k - 1:self.top_k]
            p = xp.where(p >= kth, p, xp.asarray(-xp.inf, p.dtype))
        if self.class_id is not None:
            t, p = t[..., self.class_id], p[..., self.class_id]
        w = _weights(sample_weight, p, xp)
        if label_weights is not None:  # AUC: each label's predictions weighted (Keras)
            w = w * xp.asarray(label_weights, dtype=p.dtype)
        t = (t > 0.5).reshape(-1) if t.dtype.kind == "f" else (t != 0).reshape(-1)
        p, w = p.reshape(-1), w.reshape(-1)
        thr = xp.asarray(self._thresholds, dtype=p.dtype)
        dt = self._dtype._np
        pos = (p[None, :] > thr[:, None]).astype(dt)
        neg = 1 - pos
        tw, fw = w * t, w * (~t)
        for var, counts in ((self.true_positives, pos @ tw), (self.false_positives, pos @ fw),
                            (self.false_negatives, neg @ tw), (self.true_negatives, neg @ fw)):
            old = var._v if isinstance(var._v, type(counts)) else xp.asarray(var._v)
            var._assign_raw(old + counts.astype(dt))

    update_state = _stateful(_count)

    def _ratio(self, other):
        """tp / (tp + other), per threshold (a scalar for a single threshold)."""
        single = self._single

        def ratio(tp, o):
            out = _divide(tp, tp + o)
            return out[0] if single else out

        return _result(ratio, self.true_positives, other)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


def _weights(sample_weight, p, xp):
    """Sample weights as an array of ``p``'s shape and dtype: ones, a scalar everywhere, one
    weight per element, or one per example repeated over its trailing values."""
    if sample_weight is None:
        return xp.ones(p.shape, dtype=p.dtype)
    sw = _arr(sample_weight)
    sw = (sw if isinstance(sw, type(p)) else xp.asarray(sw)).astype(p.dtype).reshape(-1)
    if sw.size == 1:
        return xp.full(p.shape, sw[0], dtype=p.dtype)
    if sw.size != p.size:
        sw = xp.repeat(sw, p.size // sw.size)
    return sw.reshape(p.shape)


class Precision(_Confusion):
    def result(self):
        return self._ratio(self.false_positives)


class Recall(_Confusion):
    def result(self):
        return self._ratio(self.false_negatives)


class AUC(_Confusion):
    """Area under the ROC or precision-recall curve from ``num_thresholds`` buckets."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        if num_thresholds <= 1:
            raise ValueError(f"Argument `num_thresholds` must be an integer > 1. Received: "
                             f"num_thresholds={num_thresholds}")
        if curve.upper() not in ("ROC", "PR"):
            raise ValueError(f'Invalid curve: "{curve}". Valid options are: "ROC", "PR"')
        self.num_thresholds, self.curve = num_thresholds, curve.upper()
        self.summation_method, self.from_logits = summation_method, from_logits
        self.multi_label, self.num_labels = multi_label, num_labels
        self.label_weights = label_weights
        if thresholds is None:
            eps = backend.epsilon()
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            thresholds = [0.0 - eps] + inner + [1.0 + eps]
        super().__init__(thresholds=list(thresholds), name=name or "auc", dtype=dtype)
        self._single = False
        if multi_label:  # the counts per threshold and label, made once the labels are known
            self._variables.clear()
            self.true_positives = self.false_positives = None
            self.false_negatives = self.true_negatives = None
            if num_labels is not None:
                self._per_label(num_labels)

    def _per_label(self, n_labels):
        """multi_label: the four counts per threshold and label (Keras builds them on the
        first update unless ``num_labels`` is given)."""
        shape = (len(self._thresholds), int(n_labels))
        for name in ("true_positives", "false_positives", "false_negatives", "true_negatives"):
            setattr(self, name, self.add_variable(shape, name=name))

    @_stateful
    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.from_logits:
            p = _arr(y_pred)
            y_pred = 1.0 / (1.0 + xp_of(p).exp(-p))
        if self.multi_label:
            self._count_per_label(y_true, y_pred, sample_weight)
            return
        self._count(y_true, y_pred, sample_weight, self.label_weights)

    def _count_per_label(self, y_true, y_pred, sample_weight):
        xp, t, p = _labels_and_preds(y_true, y_pred)
        if p.ndim != 2:
            raise ValueError(f"`y_pred` must have rank 2 when `multi_label=True`. Found rank "
                             f"{p.ndim}. Full shape received for `y_pred`: {tuple(p.shape)}")
        if self.true_positives is None:
            self._per_label(p.shape[-1])
        dt = self._dtype._np
        p = p.astype(dt, copy=False)
        t = xp.broadcast_to((t > 0.5) if t.dtype.kind == "f" else (t != 0), p.shape)
        w = _weights(sample_weight, p, xp)
        thr = xp.asarray(self._thresholds, dtype=dt)
        pos = (p[None] > thr[:, None, None]).astype(dt)  # (thresholds, batch, labels)
        tw, fw = w * t, w * ~t
        tp, fp = (pos * tw).sum(1), (pos * fw).sum(1)
        counts = ((self.true_positives, tp), (self.false_positives, fp),
                  (self.false_negatives, tw.sum(0) - tp), (self.true_negatives, fw.sum(0) - fp))
        for var, c in counts:
            old = var._v if isinstance(var._v, type(c)) else xp.asarray(var._v)
            var._assign_raw(old + c.astype(dt))

    def result(self):
        if self.true_positives is None:  # multi_label before its first update
            return convert_to_tensor(np.asarray(0.0, self._dtype._np))
        return _result(self._area, self.true_positives, self.false_positives,
                       self.false_negatives, self.true_negatives)

    def _area(self, tp, fp, fn, tn):
        if tp.ndim == 2:  # multi_label: each label's area, then their (weighted) mean
            xp = xp_of(tp)
            areas = xp.stack([self._area(tp[:, i], fp[:, i], fn[:, i], tn[:, i])
                              for i in range(tp.shape[1])])
            if self.label_weights is None:
                return areas.mean().astype(tp.dtype)
            lw = xp.asarray(self.label_weights, dtype=tp.dtype)
            return ((areas * lw).sum() / lw.sum()).astype(tp.dtype)
        xp = xp_of(tp)
        div = lambda a, b: xp.where(b > 0, a / xp.where(b > 0, b, 1), 0)
        if self.curve == "PR" and self.summation_method == "interpolation":
            # NOTE: Davis & Goadrich interpolation of precision between buckets, as Keras.
            dtp = tp[:-1] - tp[1:]
            p = tp + fp
            dp = p[:-1] - p[1:]
            slope = div(dtp, xp.maximum(dp, 0))
            intercept = tp[1:] - slope * p[1:]
            ok = (p[:-1] > 0) & (p[1:] > 0)
            ratio = xp.where(ok, p[:-1] / xp.where(ok, p[1:], 1), 1)
            inc = slope * (dtp + intercept * xp.log(ratio))
            return div(inc, xp.maximum(tp[1:] + fn[1:], 0)).sum().astype(tp.dtype)
        recall = div(tp, tp + fn)
        if self.curve == "ROC":
            x, y = div(fp, fp + tn), recall
        else:
            x, y = recall, div(tp, tp + fp)
        if self.summation_method == "minoring":
            heights = xp.minimum(y[:-1], y[1:])
        elif self.summation_method == "majoring":
            heights = xp.maximum(y[:-1], y[1:])
        else:
            heights = (y[:-1] + y[1:]) / 2.0
        return ((x[:-1] - x[1:]) * heights).sum().astype(tp.dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "num_thresholds": self.num_thresholds,
                "curve": self.curve, "summation_method": self.summation_method,
                "multi_label": self.multi_label, "num_labels": self.num_labels,
                "label_weights": self.label_weights, "from_logits": self.from_logits}



# -- more loss-like metrics (Keras 3's hinge, probabilistic and regression metrics) ----------
Hinge = _loss_metric("Hinge", losses.hinge, "hinge")
SquaredHinge = _loss_metric("SquaredHinge", losses.squared_hinge, "squared_hinge")
CategoricalHinge = _loss_metric("CategoricalHinge", losses.categorical_hinge, "categorical_hinge")
KLDivergence = _loss_metric("KLDivergence", losses.kl_divergence, "kl_divergence")
Poisson = _loss_metric("Poisson", losses.poisson, "poisson")
LogCoshError = _loss_metric("LogCoshError", losses.log_cosh, "logcosh")
MeanAbsolutePercentageError = _loss_metric(
    "MeanAbsolutePercentageError", losses.mean_absolute_percentage_error,
    "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = _loss_metric(
    "MeanSquaredLogarithmicError", losses.mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error")


def _same_rank(t, p):
    """Keras's squeeze-or-expand of ``y_true`` to ``y_pred``'s rank (a trailing 1)."""
    if t.ndim == p.ndim + 1 and t.shape[-1] == 1:
        t = t[..., 0]
    elif p.ndim == t.ndim + 1 and p.shape[-1] == 1:
        p = p[..., 0]
    return t, p


def _pair_as(y_true, y_pred):
    xp, t, p = _labels_and_preds(y_true, y_pred)
    if p.dtype.kind != "f":
        p = p.astype(backend.floatx())
    return (xp, *_same_rank(t.astype(p.dtype, copy=False), p))


def _cosine_similarity(y_true, y_pred, axis=-1):
    xp, t, p = _pair_as(y_true, y_pred)

    def unit(a):
        sq = (a * a).sum(axis=axis, keepdims=True)
        return a / xp.sqrt(xp.maximum(sq, 1e-12)).astype(a.dtype)

    return (unit(t) * unit(p)).sum(axis=axis)


def _pearson_correlation(y_true, y_pred, axis=-1):
    xp, t, p = _pair_as(y_true, y_pred)
    t = t - t.mean(axis=axis, keepdims=True)
    p = p - p.mean(axis=axis, keepdims=True)
    t = t / t.std(axis=axis, keepdims=True)
    p = p / p.std(axis=axis, keepdims=True)
    return (t * p).mean(axis=axis)


def _concordance_correlation(y_true, y_pred, axis=-1):
    xp, t, p = _pair_as(y_true, y_pred)
    tm, pm = t.mean(axis=axis, keepdims=True), p.mean(axis=axis, keepdims=True)
    tv, pv = (t - tm).var(axis=axis, keepdims=True), (p - pm).var(axis=axis, keepdims=True)
    # NOTE: as Keras 3.15, the covariance term centres y_true on y_pred's mean
    covar = (t - pm) * (p - pm)
    norm = tv + pv + (tm - pm) ** 2
    return (2 * covar / (norm + backend.epsilon())).astype(p.dtype).mean(axis=axis)


pearson_correlation = _per_example(_pearson_correlation)
concordance_correlation = _per_example(_concordance_correlation)


def _axis_metric(class_name, fn, default_name, with_axis_config=True):
    def __init__(self, name=default_name, dtype=None, axis=-1):
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype}
        return {**config, "axis": self.axis} if with_axis_config else config

    return type(class_name, (MeanMetricWrapper,), {
        "__init__": __init__, "get_config": get_config, "__doc__": f"Keras's ``{class_name}``."})


CosineSimilarity = _axis_metric("CosineSimilarity", _per_example(_cosine_similarity),
                                "cosine_similarity", with_axis_config=False)
PearsonCorrelation = _axis_metric("PearsonCorrelation", pearson_correlation,
                                  "pearson_correlation")
ConcordanceCorrelation = _axis_metric("ConcordanceCorrelation", concordance_correlation,
                                      "concordance_correlation")


class RootMeanSquaredError(Mean):
    """The square root of the mean squared error over all examples seen."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    @_stateful
    def update_state(self, y_true, y_pred, sample_weight=None):
        xp, t, p = _labels_and_preds(y_true, y_pred)
        dt = self._dtype._np
        t, p = _same_rank(t.astype(dt), p.astype(dt))
        self._accumulate((p - t) ** 2, sample_weight)

    def result(self):
        return _result(lambda tot, cnt: xp_of(tot).sqrt(_divide(tot, cnt)), self.total, self.count)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


def _float_weights(xp, sample_weight, dtype):
    if sample_weight is None:
        return None
    sw = _arr(sample_weight)
    return (sw if isinstance(sw, xp.ndarray) else xp.asarray(sw)).astype(dtype)


def _add(var, value):
    old = var._v
    xp = xp_of(value)
    if not isinstance(old, type(value)):
        old = xp.asarray(old)
    var._assign_raw((old + value).astype(old.dtype))


# -- counts at thresholds ---------------------------------------------------------------------
def _check_thresholds(thresholds):
    values = thresholds if isinstance(thresholds, (list, tuple)) else [thresholds]
    bad = [t for t in values if t is None or not 0 <= t <= 1]
    if bad:
        raise ValueError("Threshold values must be in [0, 1]. Received: "
                         f"{values}")
    return [float(t) for t in values]


def _condition_counts(metric, y_true, y_pred, sample_weight, thresholds, class_id=None):
    """(tp, fp, tn, fn) per threshold: a prediction is positive when ``> threshold``."""
    xp, t, p = _labels_and_preds(y_true, y_pred)
    dt = metric._dtype._np
    p = p.astype(dt, copy=False)
    t = t.astype(dt, copy=False)
    if t.ndim == p.ndim + 1 and t.shape[-1] == 1:
        t = t[..., 0]
    elif p.ndim == t.ndim + 1 and p.shape[-1] == 1:
        p = p[..., 0]
    if class_id is not None:
        t, p = t[..., class_id], p[..., class_id]
    if t.shape != p.shape:
        t = xp.broadcast_to(t, p.shape)
    w = _float_weights(xp, sample_weight, dt)
    w = xp.ones(p.shape, dt) if w is None else xp.broadcast_to(
        w.reshape(w.shape + (1,) * (p.ndim - w.ndim)) if w.ndim < p.ndim else w, p.shape)
    t, p, w = t.reshape(-1) > 0.5, p.reshape(-1), w.reshape(-1)
    thr = xp.asarray(thresholds, dtype=dt)
    pos = (p[None, :] > thr[:, None]).astype(dt)
    neg = 1 - pos
    tw, fw = (w * t).astype(dt), (w * ~t).astype(dt)
    return pos @ tw, pos @ fw, neg @ fw, neg @ tw


class _ConditionCount(Metric):
    _which = 0  # index into (tp, fp, tn, fn)

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name, dtype)
        self.init_thresholds = thresholds
        self.thresholds = _check_thresholds(0.5 if thresholds is None else thresholds)
        self.accumulator = self.add_variable((len(self.thresholds),), name="accumulator")

    @_stateful
    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = _condition_counts(self, y_true, y_pred, sample_weight, self.thresholds)
        _add(self.accumulator, counts[self._which])

    def result(self):
        single = len(self.thresholds) == 1
        return _result(lambda a: a[0] if single else a, self.accumulator)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConditionCount):
    """The (weighted) number of true positives at each threshold."""
    _which = 0


class FalsePositives(_ConditionCount):
    """The (weighted) number of false positives at each threshold."""
    _which = 1


class TrueNegatives(_ConditionCount):
    """The (weighted) number of true negatives at each threshold."""
    _which = 2


class FalseNegatives(_ConditionCount):
    """The (weighted) number of false negatives at each threshold."""
    _which = 3


class _AtConstraint(Metric):
    """Keras's sensitivity/specificity family: counts at ``num_thresholds`` evenly spaced
    thresholds in [0, 1], then the best of one rate where the other meets ``value``."""

    _arg = "value"

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if value < 0 or value > 1:
            raise ValueError(f"Argument `{self._arg}` must be in the range [0, 1]. Received: "
                             f"{self._arg}={value}")
        if num_thresholds <= 0:
            raise ValueError("Argument `num_thresholds` must be an integer > 0. Received: "
                             f"num_thresholds={num_thresholds}")
        super().__init__(name, dtype)
        setattr(self, self._arg, value)
        self.value, self.num_thresholds, self.class_id = value, num_thresholds, class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
        n = len(self.thresholds)
        self.true_positives = self.add_variable((n,), name="true_positives")
        self.false_positives = self.add_variable((n,), name="false_positives")
        self.true_negatives = self.add_variable((n,), name="true_negatives")
        self.false_negatives = self.add_variable((n,), name="false_negatives")

    @_stateful
    def update_state(self, y_true, y_pred, sample_weight=None):
        tp, fp, tn, fn = _condition_counts(self, y_true, y_pred, sample_weight, self.thresholds,
                                           self.class_id)
        for var, c in ((self.true_positives, tp), (self.false_positives, fp),
                       (self.true_negatives, tn), (self.false_negatives, fn)):
            _add(var, c)

    def result(self):
        value, pick = self.value, self._pick

        def best(tp, fp, tn, fn):
            xp = xp_of(tp)

            def div(a, b):
                return xp.where(b != 0, a / xp.where(b != 0, b, 1), 0)

            rates = {"sens": div(tp, tp + fn), "spec": div(tn, tn + fp),
                     "prec": div(tp, tp + fp)}
            constrained, dependent = (rates[k] for k in pick)
            return xp.where(constrained >= value, dependent, 0).max(initial=0).astype(tp.dtype)

        return _result(best, self.true_positives, self.false_positives, self.true_negatives,
                       self.false_negatives)

    def get_config(self):
        return {**super().get_config(), "class_id": self.class_id,
                "num_thresholds": self.num_thresholds, self._arg: self.value}


class SensitivityAtSpecificity(_AtConstraint):
    """The best sensitivity where specificity >= ``specificity``."""
    _arg, _pick = "specificity", ("spec", "sens")

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)


class SpecificityAtSensitivity(_AtConstraint):
    """The best specificity where sensitivity >= ``sensitivity``."""
    _arg, _pick = "sensitivity", ("sens", "spec")

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)


class PrecisionAtRecall(_AtConstraint):
    """The best precision where recall >= ``recall``."""
    _arg, _pick = "recall", ("sens", "prec")

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)


class RecallAtPrecision(_AtConstraint):
    """The best recall where precision >= ``precision``."""
    _arg, _pick = "precision", ("prec", "sens")

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)


# -- F-scores -----------------------------------------------------------------------------------
class FBetaScore(Metric):
    """The F-beta score per class (``average=None``) or averaged (micro, macro, weighted)."""

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name, dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError("Invalid `average` argument value. Expected one of: {None, "
                             f"'micro', 'macro', 'weighted'}}. Received: average={average}")
        if not isinstance(beta, float):
            raise ValueError("Invalid `beta` argument value. It should be a Python float. "
                             f"Received: beta={beta} of type '{type(beta)}'")
        if beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be > 0. Received: "
                             f"beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError("Invalid `threshold` argument value. It should be a Python "
                                 f"float. Received: threshold={threshold} of type "
                                 f"'{type(threshold)}'")
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError("Invalid `threshold` argument value. It should verify 0 < "
                                 f"threshold <= 1. Received: threshold={threshold}")
        self.average, self.beta, self.threshold = average, beta, threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, t_shape, p_shape):
        if len(p_shape) != 2 or len(t_shape) != 2:
            raise ValueError("FBetaScore expects 2D inputs with shape (batch_size, output_dim). "
                             f"Received input shapes: y_pred.shape={p_shape} and "
                             f"y_true.shape={t_shape}.")
        shape = () if self.average == "micro" else (p_shape[-1],)
        for n in ("true_positives", "false_positives", "false_negatives",
                  "intermediate_weights"):
            setattr(self, n, self.add_variable(shape, name=n))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self._built:
            self._build(tuple(getattr(y_true, "shape", np.shape(y_true))),
                        tuple(getattr(y_pred, "shape", np.shape(y_pred))))
        self._update(y_true, y_pred, sample_weight)

    @_stateful
    def _update(self, y_true, y_pred, sample_weight=None):
        xp, t, p = _labels_and_preds(y_true, y_pred)
        dt = self._dtype._np
        t, p = t.astype(dt), p.astype(dt)
        if self.threshold is None:
            top = p.max(axis=-1, keepdims=True)
            p = (p >= top) & (xp.abs(p) > 1e-9)
        else:
            p = p > self.threshold
        p = p.astype(dt)
        w = _float_weights(xp, sample_weight, dt)

        def wsum(v):
            if w is not None:
                v = v * w[:, None]
            return v.sum(axis=self.axis)

        _add(self.true_positives, wsum(p * t))
        _add(self.false_positives, wsum(p * (1 - t)))
        _add(self.false_negatives, wsum((1 - p) * t))
        _add(self.intermediate_weights, wsum(t))

    def result(self):
        if not self._built:
            raise ValueError(f"{type(self).__name__}.result() was called before any "
                             "update_state(); the number of classes is not known yet.")
        eps, b2, average = backend.epsilon(), self.beta ** 2, self.average

        def score(tp, fp, fn, weights):
            xp = xp_of(tp)
            precision = tp / (tp + fp + eps)
            recall = tp / (tp + fn + eps)
            f = precision * recall / (b2 * precision + recall + eps) * (1 + b2)
            if average == "weighted":
                f = (f * (weights / (weights.sum() + eps))).sum()
            elif average is not None:
                f = f.mean()
            return xp.asarray(f).astype(tp.dtype)

        return _result(score, self.true_positives, self.false_positives, self.false_negatives,
                       self.intermediate_weights)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "average": self.average,
                "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """The F1 score (F-beta with ``beta=1``)."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config


# -- R2 -----------------------------------------------------------------------------------------
class R2Score(Metric):
    """The coefficient of determination per output, aggregated (optionally adjusted)."""

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None):
        super().__init__(name, dtype)
        if class_aggregation not in (None, "uniform_average", "variance_weighted_average"):
            raise ValueError("Invalid value for argument `class_aggregation`. Expected one of "
                             "(None, 'uniform_average', 'variance_weighted_average'). "
                             f"Received: class_aggregation={class_aggregation}")
        if num_regressors < 0:
            raise ValueError("Invalid value for argument `num_regressors`. Expected a value "
                             f">= 0. Received: num_regressors={num_regressors}")
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        self.num_samples = self.add_variable((), name="num_samples")
        self._built = False

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self._built:
            t_shape = tuple(getattr(y_true, "shape", np.shape(y_true)))
            p_shape = tuple(getattr(y_pred, "shape", np.shape(y_pred)))
            if len(p_shape) != 2 or len(t_shape) != 2:
                raise ValueError("R2Score expects 2D inputs with shape (batch_size, "
                                 f"output_dim). Received input shapes: y_pred.shape={p_shape} "
                                 f"and y_true.shape={t_shape}.")
            n = p_shape[-1]
            self.squared_sum = self.add_variable((n,), name="squared_sum")
            self.sum = self.add_variable((n,), name="sum")
            self.total_mse = self.add_variable((n,), name="residual")
            self.count = self.add_variable((n,), name="count")
            self._built = True
        self._update(y_true, y_pred, sample_weight)

    @_stateful
    def _update(self, y_true, y_pred, sample_weight=None):
        xp, t, p = _labels_and_preds(y_true, y_pred)
        dt = self._dtype._np
        t, p = t.astype(dt), p.astype(dt)
        w = _float_weights(xp, sample_weight, dt)
        w = xp.ones((), dt) if w is None else (w[:, None] if w.ndim == 1 else w)
        w = xp.broadcast_to(w, t.shape)
        wt = t * w
        _add(self.sum, wt.sum(axis=0))
        _add(self.squared_sum, (t * wt).sum(axis=0))
        _add(self.total_mse, ((t - p) ** 2 * w).sum(axis=0))
        _add(self.count, w.sum(axis=0))
        _add(self.num_samples, xp.asarray(t.size, dt))

    def result(self):
        agg, k = self.class_aggregation, self.num_regressors
        import warnings  # deferred: only the adjusted score warns

        def r2(sq, total_sum, mse, count, n):
            xp = xp_of(sq)
            with np.errstate(divide="ignore", invalid="ignore"):
                mean = total_sum / count
                total = sq - total_sum * mean
                raw = 1 - mse / total
            raw = xp.where(xp.isinf(raw), 0.0, raw).astype(sq.dtype)
            if agg == "uniform_average":
                score = raw.mean()
            elif agg == "variance_weighted_average":
                score = (total * raw).sum() / total.sum()
            else:
                score = raw
            if k != 0:
                if k > n - 1:
                    warnings.warn("More independent predictors than datapoints in adjusted "
                                  "R2 score. Falling back to standard R2 score.", stacklevel=2)
                elif k == n - 1:
                    warnings.warn("Division by zero in Adjusted R2 score. Falling back to "
                                  "standard R2 score.", stacklevel=2)
                else:
                    score = 1.0 - (1.0 - score) * (n - 1.0) / (n - k - 1.0)
            return xp.asarray(score).astype(sq.dtype)

        return _result(r2, self.squared_sum, self.sum, self.total_mse, self.count,
                       self.num_samples)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype,
                "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}


# -- intersection over union ----------------------------------------------------------------------
class IoU(Metric):
    """Intersection over union of the classes ``target_class_ids``, from a confusion matrix
    accumulated over all batches."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name, dtype or "int64")
        if max(target_class_ids) >= num_classes:
            raise ValueError(f"Target class id {max(target_class_ids)} is out of range, which "
                             f"is [{0}, {num_classes}).")
        self.num_classes, self.ignore_class = num_classes, ignore_class
        self.sparse_y_true, self.sparse_y_pred, self.axis = sparse_y_true, sparse_y_pred, axis
        self.target_class_ids = list(target_class_ids)
        self.total_cm = self.add_variable((num_classes, num_classes),
                                          name="total_confusion_matrix")

    def _labels(self, y_true, y_pred):
        xp, t, p = _labels_and_preds(y_true, y_pred)
        if not self.sparse_y_true:
            t = t.argmax(axis=self.axis)
        if not self.sparse_y_pred:
            p = p.argmax(axis=self.axis)
        return xp, t, p

    def _count(self, xp, t, p, sample_weight):
        dt = self._dtype._np
        t, p = t.astype(dt).reshape(-1), p.astype(dt).reshape(-1)
        w = _float_weights(xp, sample_weight, dt)
        w = xp.ones(t.shape, dt) if w is None else xp.broadcast_to(w.reshape(-1), t.shape)
        ok = (t >= 0) & (t < self.num_classes) & (p >= 0) & (p < self.num_classes)
        if self.ignore_class is not None:
            ok &= t != self.ignore_class
        t, p, w = xp.where(ok, t, 0), xp.where(ok, p, 0), xp.where(ok, w, 0)
        n = self.num_classes
        cm = xp.zeros(n * n, dt)
        xp.add.at(cm, t.astype(np.int64) * n + p.astype(np.int64), w)
        _add(self.total_cm, cm.reshape(n, n))

    @_stateful
    def update_state(self, y_true, y_pred, sample_weight=None):
        self._count(*self._labels(y_true, y_pred), sample_weight)

    def result(self):
        ids, eps = self.target_class_ids, backend.epsilon()

        def iou(cm):
            xp = xp_of(cm)
            tp = xp.diag(cm).astype(np.float32)
            den = (cm.sum(axis=0) + cm.sum(axis=1)).astype(np.float32) - tp
            tp, den = tp[ids], den[ids]
            valid = den > 1e-9
            value = xp.where(valid, tp / (den + np.float32(eps)), 0)
            return (value.sum() / (valid.sum() + np.float32(eps))).astype(np.float32)

        return _result(iou, self.total_cm)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


class BinaryIoU(IoU):
    """IoU of binary labels, with predictions ``>= threshold`` counted as class 1."""

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    @_stateful
    def update_state(self, y_true, y_pred, sample_weight=None):
        xp, t, p = _labels_and_preds(y_true, y_pred)
        self._count(xp, t.astype(self._dtype._np), (p.astype(np.float32) >= self.threshold),
                    sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


class MeanIoU(IoU):
    """The mean IoU over all ``num_classes`` classes."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, list(range(num_classes)), name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotIoU(IoU):
    """IoU with one-hot labels (and, unless ``sparse_y_pred``, scores) argmaxed first."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "name": self.name, "dtype": self.dtype, "ignore_class": self.ignore_class,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotMeanIoU(MeanIoU):
    """MeanIoU with one-hot labels (and, unless ``sparse_y_pred``, scores) argmaxed first."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


_NEW = (Hinge, SquaredHinge, CategoricalHinge, KLDivergence, Poisson, LogCoshError,
        MeanAbsolutePercentageError, MeanSquaredLogarithmicError, CosineSimilarity,
        PearsonCorrelation, ConcordanceCorrelation, RootMeanSquaredError, TruePositives,
        FalsePositives, TrueNegatives, FalseNegatives, SensitivityAtSpecificity,
        SpecificityAtSensitivity, PrecisionAtRecall, RecallAtPrecision, FBetaScore, F1Score,
        R2Score, IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU)


_registry.register(
    "metric", Mean, Sum, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError,
    BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, Precision, Recall,
    AUC, *_NEW, aliases={
        "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
        "sparse_categorical_accuracy": SparseCategoricalAccuracy,
        "top_k_categorical_accuracy": TopKCategoricalAccuracy,
        "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
        "mse": (MeanSquaredError, {"name": "mse"}), "mean_squared_error": MeanSquaredError,
        "mae": (MeanAbsoluteError, {"name": "mae"}), "mean_absolute_error": MeanAbsoluteError,
        "binary_crossentropy": BinaryCrossentropy,
        "categorical_crossentropy": CategoricalCrossentropy,
        "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
        "auc": AUC, "precision": Precision, "recall": Recall, "mean": Mean, "sum": Sum,
        "mape": (MeanAbsolutePercentageError, {"name": "mape"}),
        "mean_absolute_percentage_error": MeanAbsolutePercentageError,
        "msle": (MeanSquaredLogarithmicError, {"name": "msle"}),
        "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
        "hinge": Hinge, "squared_hinge": SquaredHinge, "categorical_hinge": CategoricalHinge,
        "kl_divergence": KLDivergence, "poisson": Poisson,
        "cosine_similarity": CosineSimilarity,
        # NOTE: as Keras 3, every class also by its snake-case name ("r2_score", "mean_io_u")
        **{backend.snake_case(c.__name__): c for c in _NEW}})


def get(identifier):
    """A Metric for a name, config dict, instance, class or function (a function is wrapped
    in ``MeanMetricWrapper``; ``'accuracy'`` is resolved against the loss by
    ``Model.compile``)."""
    metric = _registry.get("metric", identifier)
    if metric is None or isinstance(metric, Metric):
        return metric
    return MeanMetricWrapper(metric, name=getattr(metric, "__name__", None))


def serialize(metric):
    """A metric's Keras 3 config dict (``class_name``, ``config``...)."""
    return _registry.serialize(metric)


def deserialize(config, custom_objects=None):
    """A metric from its config dict or name (only built-in, registered and
    ``custom_objects`` classes resolve)."""
    return _registry.deserialize("metric", config, custom_objects)


mse = MSE = losses.mean_squared_error
mae = MAE = losses.mean_absolute_error
binary_crossentropy = losses.binary_crossentropy
categorical_crossentropy = losses.categorical_crossentropy
sparse_categorical_crossentropy = losses.sparse_categorical_crossentropy
mape = MAPE = losses.mean_absolute_percentage_error
msle = MSLE = losses.mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = losses.kl_divergence
hinge, squared_hinge = losses.hinge, losses.squared_hinge
categorical_hinge = losses.categorical_hinge
logcosh, poisson, huber = losses.log_cosh, losses.poisson, losses.huber
binary_focal_crossentropy = losses.binary_focal_crossentropy
categorical_focal_crossentropy = losses.categorical_focal_crossentropy
