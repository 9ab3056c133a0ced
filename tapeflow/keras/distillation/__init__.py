"""``keras.distillation``: train a small student model on the labels and on a frozen teacher's
outputs (``Distiller``), with the distillation losses ``LogitsDistillation`` and
``FeatureDistillation`` or subclasses of ``DistillationLoss``.

>>> import tapeflow as tf
>>> D = tf.keras.distillation
>>> loss = D.FeatureDistillation(loss="mse")
>>> float(loss.compute_loss(tf.constant([[1.0, 2.0]]), tf.constant([[1.0, 0.0]])))
2.0
"""
from ... import nest
from ...ops import math as _math
from ...ops import reduction as _reduction
from ...tensor import convert_to_tensor
from .. import losses as losses_module
from .. import metrics as metrics_module
from ..models.model import Model, _batch_size
from ..saving import deserialize_keras_object, serialize_keras_object

__all__ = ["DistillationLoss", "Distiller", "FeatureDistillation", "LogitsDistillation"]


def _resolve_losses(loss):
    """A loss name, instance or function, or a list/dict of them (None skips an output)."""
    if isinstance(loss, (list, tuple)):
        resolved = [None if x is None else losses_module.get(x) for x in loss]
    elif isinstance(loss, dict):
        resolved = {k: None if x is None else losses_module.get(x) for k, x in loss.items()}
    else:
        resolved = None if loss is None else losses_module.get(loss)
    if all(x is None for x in nest.flatten(resolved)):
        raise ValueError("At least one loss must be non-`None`.")
    return resolved


def _pairs(loss, teacher_outputs, student_outputs):
    """``(loss_fn, teacher, student)`` per output for a single loss or a structure of them."""
    if isinstance(loss, dict):
        return [(loss[k], teacher_outputs[k], student_outputs[k]) for k in loss]
    if isinstance(loss, list):
        return list(zip(loss, nest.flatten(teacher_outputs), nest.flatten(student_outputs)))
    return [(loss, teacher_outputs, student_outputs)]


def _loss_value(fn, y_true, y_pred):
    """The batch mean of ``fn(y_true, y_pred)`` (a Loss instance reduces already)."""
    return _reduction.reduce_mean(fn(convert_to_tensor(y_true), convert_to_tensor(y_pred)))


def _total(terms):
    total = None
    for term in terms:
        total = term if total is None else total + term
    return total


class DistillationLoss:
    """The base of distillation losses: subclass it and define
    ``compute_loss(teacher_outputs, student_outputs, **kwargs)``."""

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        """The distillation loss between the teacher's and the student's outputs."""
        raise NotImplementedError("Subclasses must implement compute_loss")

    def validate_outputs(self, teacher_outputs, student_outputs):
        """Raise ``ValueError`` when the outputs cannot be compared (default: accept)."""

    def validate_model_compatibility(self, teacher, student):
        """Raise ``ValueError`` when the models cannot be distilled (default: accept)."""


class LogitsDistillation(DistillationLoss):
    """The loss between the teacher's and the student's final outputs, both divided by
    ``temperature``.

    Args:
        temperature: the divisor of both models' outputs (positive; default 3.0).
        loss: a loss (name, instance or function; default ``'kl_divergence'``), or a list /
            dict of them, one per model output (None skips that output).

    NOTE: as Keras 3.15 does, the loss is applied to the scaled outputs as they are (no
    softmax, no ``temperature**2`` factor); the losses of several outputs are summed.
    """

    def __init__(self, temperature=3.0, loss="kl_divergence"):
        if temperature <= 0:
            raise ValueError("temperature must be positive.")
        self.temperature = temperature
        self.loss = _resolve_losses(loss)

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        """The summed loss over the outputs of ``loss(teacher / T, student / T)``."""
        t = float(self.temperature)
        return _total(_loss_value(fn, _math.divide(convert_to_tensor(a), t),
                                  _math.divide(convert_to_tensor(b), t))
                      for fn, a, b in _pairs(self.loss, teacher_outputs, student_outputs)
                      if fn is not None)

    def get_config(self):
        return {"temperature": self.temperature,
                "loss": nest.map_structure(serialize_keras_object, self.loss)}

    @classmethod
    def from_config(cls, config):
        return _from_loss_config(cls, config)


class FeatureDistillation(DistillationLoss):
    """The loss between the outputs of a teacher layer and a student layer (the final
    outputs when a layer name is None).

    Args:
        loss: a loss (name, instance or function; default ``'mse'``) or a list / dict of
            them, one per output (None skips that output).
        teacher_layer_name, student_layer_name: the layers whose outputs are compared.
    """

    def __init__(self, loss="mse", teacher_layer_name=None, student_layer_name=None):
        self.teacher_layer_name = teacher_layer_name
        self.student_layer_name = student_layer_name
        self.loss = _resolve_losses(loss)

    def validate_model_compatibility(self, teacher, student):
        """The named layers must exist in their models."""
        for model, name, who in ((teacher, self.teacher_layer_name, "teacher"),
                                 (student, self.student_layer_name, "student")):
            if name is None:
                continue
            try:
                model.get_layer(name)
            except ValueError:
                raise ValueError(f"Layer '{name}' not found in {who} model.") from None

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        """The summed loss over the outputs of ``loss(teacher_features, student_features)``."""
        return _total(_loss_value(fn, a, b)
                      for fn, a, b in _pairs(self.loss, teacher_outputs, student_outputs)
                      if fn is not None)

    def get_config(self):
        return {"loss": nest.map_structure(serialize_keras_object, self.loss),
                "teacher_layer_name": self.teacher_layer_name,
                "student_layer_name": self.student_layer_name}

    @classmethod
    def from_config(cls, config):
        return _from_loss_config(cls, config)


def _from_loss_config(cls, config):
    """A distillation loss from its config (a missing ``loss`` keeps the class's default)."""
    config = dict(config)
    if "loss" in config:
        config["loss"] = _deserialize_loss(config["loss"])
    return cls(**config)


def _deserialize_loss(loss):
    def one(x):
        return deserialize_keras_object(x) if isinstance(x, dict) and "class_name" in x else x

    if isinstance(loss, dict) and "class_name" not in loss:
        return {k: None if x is None else one(x) for k, x in loss.items()}
    if isinstance(loss, (list, tuple)):
        return [None if x is None else one(x) for x in loss]
    return one(loss)


def _feature_function(model, layer_name):
    """A callable giving ``model``'s inputs -> the output of its layer ``layer_name``."""
    layer = model.get_layer(layer_name)
    if "_nodes_in_order" in model.__dict__:  # functional: a model up to that layer
        return Model(model.inputs, layer.output)

    def run(x, training=None):  # Sequential: its layers up to that layer
        for each in model.layers:
            x = each(x, training=training) if training is not None else each(x)
            if each is layer:
                return x
        return x

    return run


class Distiller(Model):
    """A model that trains ``student`` on the compiled loss and on distillation losses
    against a frozen ``teacher``.

    The training loss is ``student_loss_weight * student_loss + (1 - student_loss_weight) *
    sum(weight_i * distillation_loss_i)``; calling the distiller calls the student.
    ``fit`` reports ``loss``, ``student_loss``, ``distillation_loss`` and ``total_loss``
    (besides the compiled metrics, computed on the student's outputs).

    Args:
        teacher: a trained model (made non-trainable here).
        student: the model to train.
        distillation_losses: one ``DistillationLoss`` or a list of them.
        distillation_loss_weights: one weight per distillation loss (default all 1.0).
        student_loss_weight: the weight of the student's own loss, in [0, 1] (default 0.5).
        name: the model's name (default ``'distiller'``).
    """

    def __init__(self, teacher, student, distillation_losses, distillation_loss_weights=None,
                 student_loss_weight=0.5, name="distiller", **kwargs):
        super().__init__(name=name, **kwargs)
        if not 0.0 <= student_loss_weight <= 1.0:
            raise ValueError(f"student_loss_weight must be between 0.0 and 1.0, got "
                             f"{student_loss_weight}")
        many = isinstance(distillation_losses, (list, tuple))
        losses = list(distillation_losses) if many else [distillation_losses]
        if distillation_loss_weights is None:
            distillation_loss_weights = [1.0] * len(losses)
        if len(distillation_loss_weights) != len(losses):
            raise ValueError(f"Number of distillation_loss_weights "
                             f"({len(distillation_loss_weights)}) must match number of "
                             f"distillation_losses ({len(losses)})")
        for loss in losses:
            loss.validate_model_compatibility(teacher, student)
        self.teacher = teacher
        self.student = student
        self.distillation_losses = losses
        self.distillation_loss_weights = list(distillation_loss_weights)
        self.student_loss_weight = student_loss_weight
        teacher.trainable = False
        self.__dict__["_trackers"] = [metrics_module.Mean(name=n) for n in (
            "student_loss", "distillation_loss", "total_loss")]
        self.__dict__["_extractors"] = {}

    def call(self, inputs, training=None, **kwargs):
        return self.student(inputs, training=training)

    @property
    def metrics(self):
        return super().metrics + list(self.__dict__["_trackers"])

    def _features(self, which, model, layer_name, x, final):
        if layer_name is None:
            return final
        key = (which, layer_name)
        fn = self.__dict__["_extractors"].get(key)
        if fn is None:
            fn = self.__dict__["_extractors"][key] = _feature_function(model, layer_name)
        return fn(x, training=which == "student") if which == "student" else fn(x)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The weighted sum of the student's compiled loss and the distillation losses."""
        if y_pred is None:
            y_pred = self(x, training=training)
        if self.__dict__.get("_compiled_outputs") is None:
            self._compile_outputs(y_pred)
        _, loss_fns, loss_weights, _, _ = self._compiled_outputs
        preds = nest.flatten(y_pred)
        trues = nest.flatten(y) if len(preds) > 1 else [y]
        terms = []
        for fn, weight, yt, yp in zip(loss_fns, loss_weights, trues, preds):
            if fn is None:
                continue
            if isinstance(fn, losses_module.Loss):
                value = fn(yt, yp, sample_weight=sample_weight)
            else:
                value = losses_module.reduce_values(fn(yt, yp), sample_weight)
            terms.append(value if weight in (None, 1.0) else value * float(weight))
        student_loss = _total(terms)
        if student_loss is None:
            student_loss = convert_to_tensor(0.0)
        teacher_out = self.teacher(x, training=False)
        dist_terms = []
        for loss, weight in zip(self.distillation_losses, self.distillation_loss_weights):
            t_name = getattr(loss, "teacher_layer_name", None)
            s_name = getattr(loss, "student_layer_name", None)
            t_feat = self._features("teacher", self.teacher, t_name, x, teacher_out)
            s_feat = self._features("student", self.student, s_name, x, y_pred)
            loss.validate_outputs(t_feat, s_feat)
            dist_terms.append(loss.compute_loss(t_feat, s_feat) * float(weight))
        distillation_loss = _total(dist_terms)
        w = float(self.student_loss_weight)
        total = student_loss * w + distillation_loss * (1.0 - w)
        for tracker, value in zip(self.__dict__["_trackers"],
                                  (student_loss, distillation_loss, total)):
            tracker.update_state(value)
        self._loss_tracker.update_state(total, sample_weight=_batch_size(y_pred))
        return total

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable,
                "teacher": serialize_keras_object(self.teacher),
                "student": serialize_keras_object(self.student),
                "distillation_losses": [
                    {"class_name": type(loss).__name__, "config": loss.get_config()}
                    for loss in self.distillation_losses],
                "distillation_loss_weights": self.distillation_loss_weights,
                "student_loss_weight": self.student_loss_weight}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        known = {"LogitsDistillation": LogitsDistillation,
                 "FeatureDistillation": FeatureDistillation, **(custom_objects or {})}
        teacher = deserialize_keras_object(config.pop("teacher"), custom_objects)
        student = deserialize_keras_object(config.pop("student"), custom_objects)
        losses = [known[d["class_name"]].from_config(d["config"])
                  for d in config.pop("distillation_losses")]
        config.pop("trainable", None)
        return cls(teacher, student, losses, **config)
