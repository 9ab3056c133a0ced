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
from ..tensor import TensorBase
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
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    @_stateful
    def update_state(self, y_true, y_pred, sample_weight=None):
        self._accumulate(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


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
    """Pause recording tapes while a metric computes a loss-like value."""

    def __enter__(self):
        self._saved = _recording.pop_all()

    def __exit__(self, *exc):
        _recording.push(*self._saved)
        return False


MeanSquaredError = _loss_metric("MeanSquaredError", losses.mean_squared_error,
                                "mean_squared_error")
MeanAbsoluteError = _loss_metric("MeanAbsoluteError", losses.mean_absolute_error,
                                 "mean_absolute_error")
BinaryCrossentropy = _loss_metric("BinaryCrossentropy", losses.binary_crossentropy,
                                  "binary_crossentropy",
                                  (("from_logits", False), ("label_smoothing", 0.0)))
CategoricalCrossentropy = _loss_metric("CategoricalCrossentropy",
                                       losses.categorical_crossentropy,
                                       "categorical_crossentropy",
                                       (("from_logits", False), ("label_smoothing", 0.0)))
SparseCategoricalCrossentropy = _loss_metric("SparseCategoricalCrossentropy",
                                             losses.sparse_categorical_crossentropy,
                                             "sparse_categorical_crossentropy",
                                             (("from_logits", False),))


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

    def _count(self, y_true, y_pred, sample_weight=None):
        xp, t, p = _labels_and_preds(y_true, y_pred)
        p = p.astype(self._dtype._np, copy=False)
        if t.shape != p.shape:
            t = xp.broadcast_to(t.reshape(t.shape + (1,) * (p.ndim - t.ndim)), p.shape)
        if self.top_k is not None:
            kth = -xp.sort(-p, axis=-1)[..., self.top_k - 1:self.top_k]
            p = xp.where(p >= kth, p, xp.asarray(-xp.inf, p.dtype))
        if self.class_id is not None:
            t, p = t[..., self.class_id], p[..., self.class_id]
        t = (t > 0.5).reshape(-1) if t.dtype.kind == "f" else (t != 0).reshape(-1)
        p = p.reshape(-1)
        if sample_weight is None:
            w = xp.ones(p.shape, dtype=self._dtype._np)
        else:
            sw = _arr(sample_weight)
            sw = (sw if isinstance(sw, type(p)) else xp.asarray(sw)).astype(p.dtype).reshape(-1)
            if sw.size == 1:
                w = xp.full(p.shape, sw[0], dtype=p.dtype)
            else:
                w = sw if sw.size == p.size else xp.repeat(sw, p.size // sw.size)
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
        if thresholds is None:
            eps = backend.epsilon()
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            thresholds = [0.0 - eps] + inner + [1.0 + eps]
        super().__init__(thresholds=list(thresholds), name=name or "auc", dtype=dtype)
        self._single = False

    @_stateful
    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.from_logits:
            p = _arr(y_pred)
            y_pred = 1.0 / (1.0 + xp_of(p).exp(-p))
        self._count(y_true, y_pred, sample_weight)

    def result(self):
        return _result(self._area, self.true_positives, self.false_positives,
                       self.false_negatives, self.true_negatives)

    def _area(self, tp, fp, fn, tn):
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
                "curve": self.curve, "summation_method": self.summation_method}


_registry.register(
    "metric", Mean, Sum, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError,
    BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, Precision, Recall,
    AUC, aliases={
        "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
        "sparse_categorical_accuracy": SparseCategoricalAccuracy,
        "top_k_categorical_accuracy": TopKCategoricalAccuracy,
        "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
        "mse": (MeanSquaredError, {"name": "mse"}), "mean_squared_error": MeanSquaredError,
        "mae": (MeanAbsoluteError, {"name": "mae"}), "mean_absolute_error": MeanAbsoluteError,
        "binary_crossentropy": BinaryCrossentropy,
        "categorical_crossentropy": CategoricalCrossentropy,
        "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
        "auc": AUC, "precision": Precision, "recall": Recall, "mean": Mean, "sum": Sum})


def get(identifier):
    """A Metric for a name, config dict, instance, class or function (a function is wrapped
    in ``MeanMetricWrapper``; ``'accuracy'`` is resolved against the loss by
    ``Model.compile``)."""
    metric = _registry.get("metric", identifier)
    if metric is None or isinstance(metric, Metric):
        return metric
    return MeanMetricWrapper(metric, name=getattr(metric, "__name__", None))


def serialize(metric):
    return _registry.serialize(metric)


def deserialize(config, custom_objects=None):
    return _registry.deserialize("metric", config, custom_objects)


mse = MSE = losses.mean_squared_error
mae = MAE = losses.mean_absolute_error
binary_crossentropy = losses.binary_crossentropy
categorical_crossentropy = losses.categorical_crossentropy
sparse_categorical_crossentropy = losses.sparse_categorical_crossentropy
