"""``Optimizer``: the shared step (None-gradient skip, clipping, weight decay, schedules,
constraints, ``iterations``) around each algorithm's update on backend arrays."""
import math
import warnings

from ... import _replicas  # distribute: gradient allreduce
from ...backend import host as np
from ...backend import xp_of
from ...function import run_effect
from ...tape import GradientTape
from ...tensor import TensorBase, convert_to_tensor
from ...variable import Variable
from .schedules import LearningRateSchedule


def _snake_case(name):
    from ..backend import snake_case  # deferred: keras.backend imports the optimizers

    return snake_case(name)


class Optimizer:
    """Base class. Subclasses define ``_slots(var)`` and ``_update(var, g, slots, lr, t)``,
    where ``g`` and the slots are backend arrays and ``t`` is the 1-based step.

    Every optimizer accepts TF 1 / Keras 2's ``lr=`` as a deprecated alias of
    ``learning_rate`` (with a DeprecationWarning), so the workshop's ``SGD(lr=0.05)`` runs;
    Keras 3 itself rejects ``lr``.
    """

    _slot_names = ()
    _decay_of = None  # optional ``fn(var)``: the weight decay of one variable

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if "lr" in kwargs:
            # NOTE: the seed's ``SGD(lr=0.05)``: Keras 3 rejects ``lr``; we accept it as the
            # old alias of ``learning_rate`` with a DeprecationWarning.
            warnings.warn("The `lr` argument is deprecated, use `learning_rate` instead.",
                          DeprecationWarning, stacklevel=3)
            learning_rate = kwargs.pop("lr")
        if kwargs.pop("decay", 0.0):
            raise ValueError("Argument `decay` is no longer supported; use a "
                             "`keras.optimizers.schedules` learning-rate schedule instead.")
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be "
                             f"set. Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                             f"global_clipnorm={global_clipnorm}")
        self.name = name or _snake_case(type(self).__name__)
        self.loss_scale_factor = loss_scale_factor
        if gradient_accumulation_steps and not gradient_accumulation_steps >= 2:
            raise ValueError("`gradient_accumulation_steps` must be an integer >= 2. Received: "
                             f"gradient_accumulation_steps={gradient_accumulation_steps}")
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self._accumulated = {}  # id(var) -> (var, sum of its gradients since the last update)
        self._accumulated_calls = 0
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.use_ema = use_ema
        if use_ema and not 0 <= ema_momentum <= 1:
            raise ValueError("`ema_momentum` must be in the range [0, 1]. Received: "
                             f"ema_momentum={ema_momentum}")
        if ema_overwrite_frequency and (not isinstance(ema_overwrite_frequency, int)
                                        or ema_overwrite_frequency < 1):
            raise ValueError("`ema_overwrite_frequency` must be an integer >= 1 or None. "
                             f"Received: ema_overwrite_frequency={ema_overwrite_frequency}")
        self.ema_momentum, self.ema_overwrite_frequency = ema_momentum, ema_overwrite_frequency
        self._ema = {}  # id(var) -> (var, moving-average array), with use_ema
        self._schedule = None
        self._lr = Variable(np.asarray(0.0, np.float32), trainable=False,
                            name=f"{self.name}/learning_rate")
        self.learning_rate = learning_rate
        self.iterations = Variable(np.asarray(0, np.int64), trainable=False,
                                   name=f"{self.name}/iteration")
        self._state = {}  # id(var) -> (var, [slot arrays])
        self._exclude = set()

    # -- learning rate ----------------------------------------------------------------------
    @property
    def learning_rate(self):
        if self._schedule is not None:
            return self._schedule(int(self.iterations._v))
        return self._lr

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, LearningRateSchedule) or (callable(value) and
                                                       not isinstance(value, TensorBase)):
            self._schedule = value
            return
        if self._schedule is not None:
            raise TypeError("This optimizer was created with a `LearningRateSchedule`; its "
                            "learning rate cannot be set to a constant.")
        self._lr._assign_raw(np.asarray(float(np.asarray(value)), np.float32))

    lr = learning_rate

    def _current_lr(self):
        if self._schedule is not None:
            value = self._schedule(int(self.iterations._v))
            return float(value.numpy() if isinstance(value, TensorBase) else value)
        return float(self._lr._v)

    # -- the step ---------------------------------------------------------------------------
    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        for v in var_list or ():
            self._exclude.add(id(v))
        self._exclude_names = list(var_names or ())

    def _clip(self, grads):
        if self.clipvalue is not None:
            c = self.clipvalue
            return [xp_of(g).clip(g, -c, c) for g in grads]
        if self.clipnorm is not None:
            out = []
            for g in grads:
                n = float(math.sqrt(float((g * g).sum())))
                out.append(g * (self.clipnorm / n) if n > self.clipnorm else g)
            return out
        if self.global_clipnorm is not None:
            total = math.sqrt(sum(float((g * g).sum()) for g in grads))
            if total > self.global_clipnorm:
                scale = self.global_clipnorm / total
                return [g * scale for g in grads]
        return grads

    def apply_gradients(self, grads_and_vars, name=None, skip_gradients_aggregation=False,
                        **kwargs):
        """Apply one update; pairs whose gradient is None are skipped with a warning."""
        grads, variables, missing = [], [], []
        for g, v in grads_and_vars:
            if g is None:
                missing.append(v)
                continue
            grads.append(g if isinstance(g, TensorBase) else convert_to_tensor(g))
            variables.append(v)
        if missing:
            names = [getattr(v, "name", repr(v)) for v in missing]
            warnings.warn(f"Gradients do not exist for variables {names} when minimizing the "
                          "loss. If using `model.compile()`, did you forget to provide a "
                          "`loss` argument?", UserWarning, stacklevel=2)
        if not variables:
            return self.iterations
        # NOTE: one recorded side effect, so a tf.function plan replays the whole update
        # distribute: the allreduce of the raw gradients runs inside it (no-op in one process)
        reduce = _replicas.gradient_reducer(not skip_gradients_aggregation, self)

        def update(*gs):
            reduced = reduce(list(gs), variables)
            if reduced is not None:  # distribute: None when a replica stashed them
                self.apply(reduced, variables)

        run_effect(update, grads)
        return self.iterations

    def apply(self, grads, trainable_variables=None):
        """Apply backend-array (or tensor) ``grads`` to ``trainable_variables`` (with
        ``gradient_accumulation_steps``: every that many calls, their mean)."""
        if self.gradient_accumulation_steps:
            grads = self._accumulate(grads, trainable_variables)
            if grads is None:
                return
        self._apply(grads, trainable_variables)

    def _accumulate(self, grads, variables):
        """Keras's gradient accumulation: the gradients are summed per variable and only
        every ``gradient_accumulation_steps``-th call updates (with their mean); the calls
        in between change neither the variables nor ``iterations``."""
        grads = [g._v if isinstance(g, TensorBase) else g for g in grads]
        steps = int(self.gradient_accumulation_steps)
        self._accumulated_calls += 1
        acc = self._accumulated
        if self._accumulated_calls < steps:
            for g, var in zip(grads, variables):
                entry = acc.get(id(var))
                acc[id(var)] = (var, g.copy() if entry is None or entry[0] is not var
                                else entry[1] + g)
            return None
        out = []
        for g, var in zip(grads, variables):
            entry = acc.get(id(var))
            total = g if entry is None or entry[0] is not var else entry[1] + g
            out.append(total / steps)
        acc.clear()
        self._accumulated_calls = 0
        return out

    def _apply(self, grads, trainable_variables=None):
        grads = [g._v if isinstance(g, TensorBase) else g for g in grads]
        grads = self._clip(grads)
        lr = self._current_lr()
        t = int(self.iterations._v) + 1
        wd = self.weight_decay
        state = self._state
        for g, var in zip(grads, trainable_variables):
            entry = state.get(id(var))
            if entry is None or entry[0] is not var:
                entry = state[id(var)] = (var, self._slots(var))
            if self._decay_of is not None:  # an optimizer deciding per variable (Muon)
                wd = self._decay_of(var)
            if wd and id(var) not in self._exclude and not any(
                    n in var.name for n in getattr(self, "_exclude_names", ())):
                var._assign_raw(var._v - var._v * (wd * lr))
            if g.dtype != var._v.dtype:
                g = g.astype(var._v.dtype)
            self._update(var, g, entry[1], lr, t)
            if var.constraint is not None:
                var._assign_raw(convert_to_tensor(var.constraint(var))._v)
        self._moving_average(trainable_variables, t)
        self.iterations._assign_raw(np.asarray(t, np.int64))

    def _moving_average(self, variables, t):
        """With ``use_ema``: Keras's moving average of each variable after the step (the
        first step copies it), written over the variables every
        ``ema_overwrite_frequency`` steps."""
        if not self.use_ema:
            return
        momentum = self.ema_momentum if t > 1 else 0.0
        for var in variables:
            entry = self._ema.get(id(var))
            if entry is None or entry[0] is not var:
                entry = self._ema[id(var)] = (var, xp_of(var._v).array(var._v, copy=True))
            avg = entry[1]
            avg *= momentum
            avg += (1 - momentum) * var._v
            if self.ema_overwrite_frequency and t % self.ema_overwrite_frequency == 0:
                var._assign_raw(avg.copy())

    def _swap_moving_average(self, variables=None):
        """Swap each variable's value with its moving average (``SwapEMAWeights``)."""
        for var, avg in list(self._ema.values()):
            value = xp_of(var._v).array(var._v, copy=True)
            var._assign_raw(avg.copy())
            avg[...] = value

    def finalize_variable_values(self, var_list):
        """With ``use_ema``, set the variables to their moving averages (Keras calls this
        at the end of ``fit``)."""
        if self.use_ema:
            for var in var_list:
                entry = self._ema.get(id(var))
                if entry is not None and entry[0] is var:
                    var._assign_raw(entry[1].copy())

    def minimize(self, loss, var_list, tape=None):
        """Compute gradients of ``loss`` (a callable unless ``tape`` is given) and apply
        them to ``var_list`` (a list or a callable returning one)."""
        if tape is None:
            if not callable(loss):
                raise ValueError("`tape` is required when a `Tensor` loss is passed. Received: "
                                 f"loss={loss!r}, tape=None.")
            with GradientTape() as tape:
                if callable(var_list):
                    var_list = var_list()
                for v in var_list:
                    tape.watch(v)
                loss = loss()
        if callable(var_list):
            var_list = var_list()
        var_list = list(var_list)
        grads = tape.gradient(loss, var_list)
        self.apply_gradients(zip(grads, var_list))
        return self.iterations

    def _zeros(self, var):
        v = var._v
        return xp_of(v).zeros(v.shape, v.dtype)  # NOTE: C order, as the gradients

    def _slots(self, var):
        return []

    def _update(self, var, g, slots, lr, t):
        raise NotImplementedError

    @property
    def variables(self):
        out = [self.iterations, self._lr]
        for var, slots in self._state.values():
            out.extend(Variable(s, trainable=False, name=f"{var.name}_slot") for s in slots)
        return out

    def build(self, var_list):
        for var in var_list:
            if id(var) not in self._state:
                self._state[id(var)] = (var, self._slots(var))

    def get_config(self):
        """The constructor arguments, in Keras 3's order; a schedule learning rate is
        serialized (``{'module', 'class_name', 'config', 'registered_name'}``)."""
        if self._schedule is not None and hasattr(self._schedule, "get_config"):
            from ..saving.serialization import serialize_keras_object  # cycle: saving imports this

            lr = serialize_keras_object(self._schedule)
        else:
            lr = float(self._lr._v)
        return {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                "clipvalue": self.clipvalue, "use_ema": self.use_ema,
                "ema_momentum": self.ema_momentum,
                "ema_overwrite_frequency": self.ema_overwrite_frequency,
                "loss_scale_factor": self.loss_scale_factor,
                "gradient_accumulation_steps": self.gradient_accumulation_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """The optimizer ``get_config``'s dict describes (a serialized schedule learning rate
        is rebuilt first)."""
        lr = config.get("learning_rate")
        if isinstance(lr, dict):
            from ..saving.serialization import deserialize_keras_object  # cycle: as above

            config = {**config, "learning_rate": deserialize_keras_object(
                lr, custom_objects=custom_objects)}
        return cls(**config)
