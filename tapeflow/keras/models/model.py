"""``Model``: a Layer that trains — ``compile``, ``fit``, ``evaluate``, ``predict`` and the
``train_step``/``test_step`` a subclass may override."""
import json
import os
import warnings

from ... import _replicas, nest  # _replicas: data-parallel fit (tf.distribute)
from ...backend import host as np
from ...backend import to_host
from ...function import function
from ...ops.math import cast
from ...tape import GradientTape
from ...tensor import TensorBase
from .. import backend, config, mixed_precision, optimizers, saving
from .. import callbacks as callbacks_module
from .. import losses as losses_module
from .. import metrics as metrics_module
from ..layers.base import Layer
from ..layers.input_layer import KerasTensor
from . import data as data_module
from .summary import print_summary


def _is_loss(fn, names, cls):
    if isinstance(fn, cls):
        return True
    return getattr(fn, "__name__", None) in names


def _accuracy_for(loss_fn):
    """Keras's choice of accuracy for the string 'accuracy', from the loss when known."""
    L = losses_module
    if _is_loss(loss_fn, {"sparse_categorical_crossentropy"}, L.SparseCategoricalCrossentropy):
        return metrics_module.sparse_categorical_accuracy
    if _is_loss(loss_fn, {"categorical_crossentropy"}, L.CategoricalCrossentropy):
        return metrics_module.categorical_accuracy
    if _is_loss(loss_fn, {"binary_crossentropy"}, L.BinaryCrossentropy):
        return metrics_module.binary_accuracy
    return None


def _accuracy_by_shape(y_true, y_pred):
    """Keras 3's rule when the loss does not decide: binary, sparse or categorical."""
    if y_pred.shape[-1] == 1:
        return metrics_module.binary_accuracy(y_true, y_pred)
    t_rank = len(y_true.shape)
    if t_rank < len(y_pred.shape) or (t_rank and y_true.shape[-1] == 1):
        return metrics_module.sparse_categorical_accuracy(y_true, y_pred)
    return metrics_module.categorical_accuracy(y_true, y_pred)


def _resolve_metric(m, loss_fn):
    if m in ("accuracy", "acc"):
        fn = _accuracy_for(loss_fn) or _accuracy_by_shape
        return metrics_module.MeanMetricWrapper(fn, name=m)
    return metrics_module.get(m)


def _functional_arguments(args, kwargs):
    return len(args) == 2 or (len(args) == 1 and "outputs" in kwargs) or (
        "inputs" in kwargs and "outputs" in kwargs)


def _inject_functional(cls, functional):
    """Replace ``Model`` by ``functional`` in the bases of ``cls`` and its ancestors."""
    if cls is Model or cls is object or issubclass(cls, functional):
        return functional if cls is Model else cls
    bases = tuple(_inject_functional(b, functional) for b in cls.__bases__)
    if bases != cls.__bases__:
        cls.__bases__ = bases
    return cls


class Model(Layer):
    """Group layers into an object with training and inference features.

    ``Model(inputs, outputs)`` builds a functional model; subclass it and define ``call``
    for anything else::

        class MyModel(tf.keras.Model):
            def __init__(self):
                super().__init__()
                self.dense = tf.keras.layers.Dense(10)

            def call(self, x):
                return self.dense(x)
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and _functional_arguments(args, kwargs):
            from .functional import Functional  # cycle: models.functional imports this module

            return object.__new__(Functional)
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        if _functional_arguments(args, kwargs):
            from .functional import Functional  # cycle: models.functional imports this module

            if not isinstance(self, Functional):
                # NOTE: as Keras 3 does, a subclass built as ``M(inputs, outputs)`` has Model
                # replaced by Functional among its bases (``M.__mro__[1]`` is Functional)
                _inject_functional(type(self), Functional)
            Functional.__init__(self, *args, **kwargs)
            return
        name = kwargs.pop("name", None)
        trainable = kwargs.pop("trainable", True)
        dtype = kwargs.pop("dtype", None)
        if args or kwargs:
            raise TypeError(f"Model.__init__ got unexpected arguments {args} {kwargs}")
        Layer.__init__(self, name=name, trainable=trainable, dtype=dtype)
        d = self.__dict__
        d["optimizer"] = None
        d["compiled"] = False
        d["stop_training"] = False
        d["history"] = None
        d["_in_fit"] = False
        d["_loss_tracker"] = None
        d["_compiled_metrics"] = []
        # fit's shuffle order: the model's own source, seeded now (keras.backend.layer_rng), so
        # models trained at once in two threads shuffle as they do one after the other
        d["_shuffle_rng"] = backend.layer_rng(None, "Shuffle")

    def call(self, inputs, training=None):
        raise NotImplementedError(f"Model {type(self).__name__} does not have a `call()` "
                                  "method implemented.")

    def build(self, input_shape=None):
        """Create the weights by running the model once on zeros of ``input_shape``."""
        if input_shape is None:
            raise ValueError("You must provide an `input_shape` argument.")
        if not self.built:
            shapes = input_shape
            if isinstance(shapes, (list, tuple)) and shapes and isinstance(
                    shapes[0], (list, tuple)):
                dummies = [KerasTensor(tuple(s))._dummy() for s in shapes]
            elif isinstance(shapes, dict):
                dummies = {k: KerasTensor(tuple(s))._dummy() for k, s in shapes.items()}
            else:
                dummies = KerasTensor(tuple(shapes))._dummy()
            self.__dict__["_build_shapes"] = input_shape
            self.built = True
            self(dummies)
        self.built = True

    def _maybe_build(self, inputs):
        if type(self).build is Model.build:  # the first call itself creates the weights
            self.built = True
            if self.__dict__.get("_build_shapes") is None:  # saved as Keras's build_config
                self.__dict__["_build_shapes"] = nest.map_structure(
                    lambda t: tuple(t.shape) if hasattr(t, "shape") else None, inputs)
            return
        Layer._maybe_build(self, inputs)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "nodes" in config or "input_layers" in config:  # a functional graph
            from .functional import Functional  # cycle: models.functional imports this module

            return Functional.from_config(config, custom_objects)
        return cls(**config)

    # -- structure --------------------------------------------------------------------------
    def get_layer(self, name=None, index=None):
        if index is not None:
            layers = self.layers
            if len(layers) <= index:
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only "
                                 f"has {len(layers)} layers.")
            return layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: "
                         f"{[layer.name for layer in self.layers]}.")

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        print_summary(self, print_fn=print_fn)

    def save_weights(self, filepath, overwrite=True):
        """Write the weights (and optimizer state) by extension: ``.weights.h5`` in Keras
        3's layout, ``.safetensors`` or ``.npz``; written to a temporary file and renamed."""
        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, by_name=False, **kwargs):
        """Read weights written by ``save_weights`` (or by Keras 3), the weights inside a
        ``.keras`` file, or a legacy Keras ``.h5`` (Keras 2's layout). Files are data only;
        shape mismatches name the layer and both shapes, and nothing is assigned unless
        everything fits (``skip_mismatch=True`` loads what matches)."""
        if kwargs:
            raise ValueError(f"Invalid keyword arguments: {kwargs}")
        saving._keras_file.load_weights(self, os.fspath(filepath),
                                        skip_mismatch=skip_mismatch, by_name=by_name)

    def to_json(self, **kwargs):
        """The model's config as JSON (Keras 3's serialized form, which
        ``keras.models.model_from_json`` reads); ``kwargs`` go to ``json.dumps``."""
        return json.dumps(saving._keras_file.model_config(self), **kwargs)

    def save(self, filepath, overwrite=True, include_optimizer=True, **kwargs):
        """Save config, weights and optimizer state as a ``.keras`` zip (Keras 3's layout)."""
        if kwargs.pop("save_format", None) not in (None, "keras"):
            raise ValueError("tapeflow saves whole models only in the `.keras` format.")
        if kwargs:
            raise ValueError(f"Invalid keyword arguments: {kwargs}")
        saving.save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def export(self, filepath, format="onnx", verbose=True, **kwargs):
        """Write an inference graph: ``format="onnx"`` (the ``onnx`` extra) for Sequential and
        functional models; an error lists any layer that has no ONNX conversion."""
        if format != "onnx":
            raise ValueError(f"Unrecognized format={format!r}: tapeflow exports 'onnx' only "
                             "(TF SavedModel needs TensorFlow itself).")
        if kwargs:
            raise ValueError(f"Invalid keyword arguments: {kwargs}")
        from ..saving._onnx import export_onnx  # deferred: heavy, loaded on use

        export_onnx(self, filepath)
        if verbose:
            print(f"Saved artifact at '{os.fspath(filepath)}'.")

    # -- compile ----------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        self.__dict__["optimizer"] = optimizers.get(optimizer)
        if auto_scale_loss and self.__dict__["optimizer"] is not None:
            # Keras 3: mixed_float16 scales the loss
            if mixed_precision.policy.is_mixed_float16() and not isinstance(
                    self.optimizer, mixed_precision.LossScaleOptimizer):
                self.__dict__["optimizer"] = mixed_precision.LossScaleOptimizer(self.optimizer)
        self.__dict__["_loss_spec"] = loss
        self.__dict__["_loss_weights_spec"] = loss_weights
        self.__dict__["_metrics_spec"] = metrics
        self.__dict__["_weighted_metrics_spec"] = weighted_metrics
        self.__dict__["_loss_tracker"] = metrics_module.Mean(name="loss")
        self.__dict__["_compiled_outputs"] = None
        self.__dict__["compiled"] = True
        # resolve what does not depend on the outputs now, so bad strings fail early
        for spec in nest.flatten(loss) if loss is not None else ():
            losses_module.get(spec)
        for spec in nest.flatten(metrics) if metrics is not None else ():
            if spec not in ("accuracy", "acc"):
                metrics_module.get(spec)
        self.__dict__["run_eagerly"] = bool(run_eagerly)
        _replicas.record_strategy(self)  # distribute: the scope's strategy trains this model
        for kind in ("train", "test", "predict"):
            self.__dict__.pop(f"_{kind}_function", None)

    def _output_names(self, n):
        names = getattr(self, "output_names", None)
        if names and len(names) == n:
            return list(names)
        return [f"output_{i}" for i in range(n)] if n > 1 else ["output"]

    def _compile_outputs(self, y_pred):
        """Match losses, loss weights and metrics to the outputs on first use."""
        flat = nest.flatten(y_pred)
        names = self._output_names(len(flat))
        spec = self.__dict__["_loss_spec"]

        def per_output(s, what):
            if s is None:
                return [None] * len(flat)
            if isinstance(s, dict):
                unknown = set(s) - set(names)
                if unknown:
                    raise ValueError(f"Unknown entries in {what} dictionary: {sorted(unknown)}"
                                     f". Only expected the following keys: {names}")
                return [s.get(n) for n in names]
            if isinstance(s, (list, tuple)) and len(flat) > 1:
                if len(s) != len(flat):
                    raise ValueError(f"When there are several outputs, `{what}` should be a "
                                     f"list with one entry per output ({len(flat)}). "
                                     f"Received: {what}={s}")
                return list(s)
            return [s] * len(flat)

        loss_fns = [losses_module.get(s) for s in per_output(spec, "loss")]
        weights = self.__dict__["_loss_weights_spec"]
        loss_weights = per_output(weights, "loss_weights") if weights is not None else \
            [1.0] * len(flat)
        metric_lists = [[] for _ in flat]  # per output: (metric, weighted) pairs
        for key, weighted in (("_metrics_spec", False), ("_weighted_metrics_spec", True)):
            mspec = self.__dict__[key]
            if mspec is None:
                continue
            if isinstance(mspec, dict) or (
                    len(flat) > 1 and isinstance(mspec, (list, tuple)) and mspec and all(
                        isinstance(m, (list, tuple)) or m is None for m in mspec)):
                per = per_output(mspec, "metrics")
            else:
                per = [mspec] * len(flat)
            for i, ms in enumerate(per):
                ms = [] if ms is None else ms if isinstance(ms, (list, tuple)) else [ms]
                for m in ms:
                    metric = _resolve_metric(m, loss_fns[i])
                    if len(flat) > 1:
                        metric = _renamed(metric, f"{names[i]}_{metric.name}")
                    metric_lists[i].append((metric, weighted))
        out_trackers = [metrics_module.Mean(name=f"{n}_loss") for n in names] \
            if len(flat) > 1 else []
        self.__dict__["_compiled_outputs"] = (names, loss_fns, loss_weights, metric_lists,
                                              out_trackers)

    @property
    def metrics(self):
        out = []
        if self.__dict__.get("_loss_tracker") is not None:
            out.append(self._loss_tracker)
        compiled = self.__dict__.get("_compiled_outputs")
        if compiled:
            out.extend(compiled[4])
            for ms in compiled[3]:
                out.extend(m for m, _ in ms)
        return out

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    def _check_compiled(self):
        if not self.__dict__.get("compiled"):
            raise RuntimeError("You must call `compile()` before using the model.")

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled losses (weighted per output) plus the layers' ``losses``."""
        if self.__dict__.get("_compiled_outputs") is None:
            self._compile_outputs(y_pred)
        names, loss_fns, loss_weights, _, trackers = self._compiled_outputs
        preds = nest.flatten(y_pred)
        trues = _match(y, names, len(preds))
        total = None
        for i, (fn, yp) in enumerate(zip(loss_fns, preds)):
            if fn is None:
                continue
            yt = trues[i]
            if yt is None:
                raise ValueError(f"No target (y) given for output '{names[i]}' although a "
                                 "loss was compiled for it.")
            if isinstance(yp, TensorBase) and yp._v.dtype.kind == "f" \
                    and yp._v.dtype.itemsize < 4:
                yp = cast(yp, "float32")  # mixed precision: losses in float32, as Keras 3
            if isinstance(fn, losses_module.Loss):
                value = fn(yt, yp, sample_weight=sample_weight)
            else:
                value = losses_module.reduce_values(fn(yt, yp), sample_weight)
            if trackers:
                trackers[i].update_state(value)
            if loss_weights[i] is not None and loss_weights[i] != 1.0:
                value = value * float(loss_weights[i])
            total = value if total is None else total + value
        extra = self.losses
        for term in extra:
            total = term if total is None else total + term
        if total is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        batch = _batch_size(y_pred)
        self._loss_tracker.update_state(total, sample_weight=batch)
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics and return every metric's result by name."""
        if self.__dict__.get("_compiled_outputs") is None:
            self._compile_outputs(y_pred)
        names, _, _, metric_lists, _ = self._compiled_outputs
        preds = nest.flatten(y_pred)
        trues = _match(y, names, len(preds))
        for ms, yt, yp in zip(metric_lists, trues, preds):
            for m, weighted in ms:
                # NOTE: as in Keras, only `weighted_metrics` see sample (and class) weights
                m.update_state(yt, yp, sample_weight=sample_weight if weighted else None)
        return self.get_metrics_result()

    def get_metrics_result(self):
        logs = {}
        for m in self.metrics:
            r = m.result()
            if isinstance(r, dict):
                logs.update(r)
            else:
                logs[m.name] = r
        return {k: logs[k] for k in sorted(logs)}

    # -- steps ------------------------------------------------------------------------------
    def train_step(self, data):
        x, y, sample_weight = data_module.unpack(data)
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)
            scale = getattr(self.optimizer, "scale_loss", None)  # mixed precision
            scaled = loss if scale is None else scale(loss)
        variables = self.trainable_variables
        grads = tape.gradient(scaled, variables)
        self.optimizer.apply_gradients(zip(grads, variables))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        x, y, sample_weight = data_module.unpack(data)
        y_pred = self(x, training=False)
        self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=False)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        x, _, _ = data_module.unpack(data)
        return self(x, training=False)

    # -- step functions ---------------------------------------------------------------------
    def _step_function(self, kind, force=False):
        """``train_step``/``test_step``/``predict_step`` as a tf.function (traced once per
        batch signature, then replayed as a plan), or the plain method when the model runs
        eagerly (``compile(run_eagerly=True)``, as Keras)."""
        eager = bool(self.__dict__.get("run_eagerly"))
        key = f"_{kind}_function"
        cached = self.__dict__.get(key)
        if cached is not None and not force and cached[0] == eager:
            return cached[1]
        step = getattr(self, f"{kind}_step")
        fn = step if eager else function(step)
        if not eager:
            # Keras 3 builds the model, optimizer and metrics before tracing a step, so TF
            # traces it once; here they are built by the first trace, which makes no
            # variable per call: skip tf.function's second, checking trace
            fn._check_created = False
        self.__dict__[key] = (eager, fn)
        return fn

    def make_train_function(self, force=False):
        return self._step_function("train", force)

    def make_test_function(self, force=False):
        return self._step_function("test", force)

    def make_predict_function(self, force=False):
        return self._step_function("predict", force)

    # -- loops ------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, **kwargs):
        """Train for ``epochs`` passes over the data; returns the ``History``.

        Args:
            x, y: arrays or tensors (``y`` None when ``x`` is a ``tf.data.Dataset`` of
                ``(inputs, targets)``), or a generator of batches.
            batch_size: examples per step (32 by default; not for datasets).
            epochs: passes over the data; ``initial_epoch`` starts later.
            verbose: "auto", 0 (silent), 1 (progress bar) or 2 (one line per epoch).
            callbacks: ``tf.keras.callbacks.Callback`` instances.
            validation_split, validation_data, validation_freq: held-out evaluation.
            shuffle, class_weight, sample_weight, steps_per_epoch: as in Keras.

        Returns:
            A ``History``: ``history.history["loss"]`` lists each epoch's value.

        >>> model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> h = model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=2, verbose=0)
        >>> len(h.history["loss"])
        2
        """
        self._check_compiled()
        if kwargs:
            raise TypeError(f"fit() got unexpected keyword arguments: {sorted(kwargs)}")
        verbose = 1 if verbose == "auto" else int(verbose)
        epochs, steps_per_epoch = _capped(epochs, steps_per_epoch)
        if validation_split and validation_data is None:
            if data_module.is_batch_source(x):
                raise ValueError("`validation_split` is only supported for Tensors or NumPy "
                                 "arrays, not for datasets.")
            if not 0 < validation_split < 1:
                raise ValueError(f"`validation_split` must be between 0 and 1. Received: "
                                 f"{validation_split}")
            x, y, sample_weight = (data_module.as_arrays(v) for v in (x, y, sample_weight))
            n = data_module.num_samples(x=x, y=y, sample_weight=sample_weight)
            cut = int(n * (1.0 - validation_split))
            x, vx = data_module.split_tail(x, cut)
            y, vy = data_module.split_tail(y, cut)
            sample_weight, vsw = data_module.split_tail(sample_weight, cut)
            validation_data = (vx, vy, vsw) if vsw is not None else (vx, vy)
        batches = data_module.make_batches(x, y, sample_weight, batch_size, shuffle,
                                           steps_per_epoch, class_weight,
                                           rng=self.__dict__.get("_shuffle_rng"))
        # distribute: this rank's share of every global batch; progress on rank 0 only
        batches, verbose = _replicas.fit_batches(self, batches, verbose)
        val = None
        if validation_data is not None:
            if data_module.is_batch_source(validation_data):
                val = validation_data
            else:
                vx, vy, vsw = data_module.unpack(tuple(validation_data))
                val = data_module.make_batches(vx, vy, vsw, validation_batch_size or batch_size,
                                               False, validation_steps)
        cbs = callbacks_module.CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=batches.steps)
        self.__dict__["stop_training"] = False
        self.__dict__["_in_fit"] = True
        want_begin = cbs.wants("on_train_batch_begin")
        want_end = cbs.wants("on_train_batch_end")
        train_function = self.make_train_function()
        # distribute: MirroredStrategy over several devices splits each batch across replicas
        train_function = _replicas.replica_steps(self, train_function, train=True)
        epoch_logs = {}
        try:
            cbs.call("on_train_begin", None)
            # NOTE: BackupAndRestore sets the epoch to resume from in on_train_begin, as Keras
            initial_epoch = self.__dict__.pop("_initial_epoch", None) or initial_epoch
            # NOTE: ... and, mid-epoch, the step: the batches before it are skipped, not rerun
            initial_step = data_module.resume_step(batches,
                                                   self.__dict__.pop("_resume_batches", None))
            self.__dict__["_fit_batches"] = batches  # BackupAndRestore saves its position
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                cbs.call("on_epoch_begin", epoch, None)
                logs = None
                step = -1
                start, initial_step = initial_step, 0
                for step, batch in enumerate(data_module.epoch_from(batches, start), start):
                    if want_begin:
                        cbs.call("on_train_batch_begin", step, None)
                    logs = train_function(batch)
                    if want_end:
                        cbs.call("on_train_batch_end", step, logs)
                    if self.stop_training:
                        break
                if logs is None:
                    raise ValueError("Unexpected result of `train_function` (Empty logs). The "
                                     "training data yielded no batches; check its size and "
                                     "`steps_per_epoch`.")
                epoch_logs = {k: _to_float(v) for k, v in logs.items()}
                epoch_logs = _replicas.global_logs(self, epoch_logs)  # distribute: all ranks
                due = (epoch + 1) % validation_freq == 0 if isinstance(validation_freq, int) \
                    else (epoch + 1) in validation_freq
                if val is not None and due:
                    val_logs = self._evaluate_batches(val, callbacks=cbs,
                                                      steps=validation_steps)
                    epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
                cbs.call("on_epoch_end", epoch, epoch_logs)
                if self.stop_training:
                    break
            opt = self.__dict__.get("optimizer")
            if getattr(opt, "use_ema", False):  # Keras ends a use_ema fit on the averages
                opt.finalize_variable_values(self.trainable_weights)
            cbs.call("on_train_end", epoch_logs)
        finally:
            self.__dict__["_in_fit"] = False
            self.__dict__.pop("_fit_batches", None)
        return cbs.history

    def _evaluate_batches(self, batches, callbacks=None, steps=None):
        if data_module.is_batch_source(batches):
            batches = data_module.make_batches(batches, steps=steps)
        batches = _replicas.eval_batches(self, batches)  # distribute: this rank's share
        self.reset_metrics()
        if callbacks is not None:
            callbacks.call("on_test_begin", None)
        logs = None
        test_function = self.make_test_function()
        test_function = _replicas.replica_steps(self, test_function, train=False)  # distribute
        for step, batch in enumerate(batches.epoch()):
            if callbacks is not None:
                callbacks.call("on_test_batch_begin", step, None)
            logs = test_function(batch)
            if callbacks is not None:
                callbacks.call("on_test_batch_end", step, logs)
        if logs is None:
            raise ValueError("The evaluation data yielded no batches.")
        logs = {k: _to_float(v) for k, v in logs.items()}
        logs = _replicas.global_logs(self, logs)  # distribute: over every rank's examples
        if callbacks is not None:
            callbacks.call("on_test_end", logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **kwargs):
        """Loss and metrics on the data: a float, a list in ``metrics_names`` order, or a
        dict with ``return_dict=True``."""
        self._check_compiled()
        verbose = 1 if verbose == "auto" else int(verbose)
        verbose = _replicas.rank_verbose(self, verbose)  # distribute: rank 0 prints
        batches = data_module.make_batches(x, y, sample_weight, batch_size, False, steps)
        cbs = callbacks_module.CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                            verbose=verbose, epochs=1, steps=batches.steps)
        logs = self._evaluate_batches(batches, callbacks=cbs)
        if return_dict:
            return logs
        ordered = [logs["loss"]] + [v for k, v in logs.items() if k != "loss"]
        return ordered[0] if len(ordered) == 1 else ordered

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs for ``x`` as NumPy arrays (batches concatenated)."""
        verbose = 1 if verbose == "auto" else int(verbose)
        verbose = _replicas.rank_verbose(self, verbose)  # distribute: rank 0 prints
        if data_module.is_batch_source(x):
            batches = data_module.make_batches(x, steps=steps)
        else:
            batches = data_module.on_device(  # GPU: batches copied ahead of the steps
                data_module.ArrayBatches(x, None, None, batch_size or 32, False, steps))
        cbs = callbacks_module.CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                            verbose=verbose, epochs=1, steps=batches.steps)
        cbs.call("on_predict_begin", None)
        outs = []
        predict_function = self.make_predict_function()
        for step, batch in enumerate(batches.epoch()):
            cbs.call("on_predict_batch_begin", step, None)
            y = predict_function(batch)
            outs.append(nest.map_structure(lambda t: to_host(t._v), y))
            cbs.call("on_predict_batch_end", step, {"outputs": y})
        cbs.call("on_predict_end", None)
        if not outs:
            raise ValueError("The prediction data yielded no batches.")
        return nest.map_structure(lambda *parts: np.concatenate(parts, axis=0), *outs)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict=False, reset_metrics=False):
        # NOTE: Keras 3 keeps accumulating metrics across calls; Keras 2's
        # ``reset_metrics=True`` is available as an opt-in.
        self._check_compiled()
        if reset_metrics:
            self.reset_metrics()
        x, y, sw = (data_module.take(data_module.as_arrays(v), slice(None))
                    if v is not None else None for v in (x, y, sample_weight))
        if class_weight is not None and y is not None:
            cw = data_module.class_weights_for(y, class_weight)
            sw = cw if sw is None else sw * cw
        logs = {k: _to_float(v) for k, v in self.make_train_function()((x, y, sw)).items()}
        return logs if return_dict else _flat_logs(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._check_compiled()
        self.reset_metrics()
        x, y, sw = (data_module.take(data_module.as_arrays(v), slice(None))
                    if v is not None else None for v in (x, y, sample_weight))
        logs = {k: _to_float(v) for k, v in self.make_test_function()((x, y, sw)).items()}
        return logs if return_dict else _flat_logs(logs)

    def predict_on_batch(self, x):
        x = data_module.take(data_module.as_arrays(x), slice(None))
        return nest.map_structure(lambda t: to_host(t._v), self(x, training=False))


def _flat_logs(logs):
    ordered = [logs["loss"]] + [v for k, v in logs.items() if k != "loss"]
    return ordered[0] if len(ordered) == 1 else ordered


def _to_float(v):
    if isinstance(v, TensorBase):
        return float(to_host(v._v))
    try:
        return float(v)
    except (TypeError, ValueError):
        return v


def _batch_size(y_pred):
    first = nest.flatten(y_pred)[0]
    return int(first._v.shape[0]) if first._v.ndim else 1


def _match(y, names, n):
    """Targets in output order from a single target, a list or a dict keyed by name."""
    if y is None:
        return [None] * n
    if isinstance(y, dict):
        return [y.get(name) for name in names]
    if n == 1:
        return [y[0] if isinstance(y, (list, tuple)) and len(y) == 1 else y]
    if isinstance(y, (list, tuple)):
        return list(y)
    raise ValueError(f"The model has {n} outputs ({names}) but a single target was given.")


def _renamed(metric, name):
    metric.name = name
    return metric


def _capped(epochs, steps_per_epoch):
    """``fit``'s epochs and steps under ``keras.config.set_max_epochs`` /
    ``set_max_steps_per_epoch``, with Keras's warnings."""
    cap = config.max_epochs()
    if cap is not None and epochs > cap:
        warnings.warn(f"Limiting epochs to {cap}", stacklevel=3)
        epochs = cap
    cap = config.max_steps_per_epoch()
    if cap is not None and (steps_per_epoch is None or steps_per_epoch > cap):
        warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=3)
        steps_per_epoch = cap
    return epochs, steps_per_epoch
