"""``LossScaleOptimizer``: dynamic loss scaling for float16 training, as Keras 3.

The loss is multiplied by ``dynamic_scale`` before differentiation (``scale_loss``), so small
float16 gradients do not flush to zero; ``apply_gradients`` divides the gradients by the
scale and applies them with the inner optimizer, unless one of them is inf or nan: then the
step is skipped and the scale halved. After ``dynamic_growth_steps`` finite steps in a row the
scale doubles.
"""
from ...backend import host as np
from ...backend import to_host, xp_of
from ...function import run_effect
from ...ops.math import cast
from ...tensor import TensorBase, convert_to_tensor
from ...variable import Variable
from .. import optimizers
from ..optimizers.base import Optimizer


class LossScaleOptimizer(Optimizer):
    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000,
                 name=None, **kwargs):
        if not isinstance(inner_optimizer, Optimizer):
            raise ValueError("Argument `inner_optimizer` must be an instance of "
                             f"`keras.optimizers.Optimizer`. Received: {inner_optimizer}")
        self.inner_optimizer = inner_optimizer
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = int(dynamic_growth_steps)
        self.name = name or "loss_scale_optimizer"
        self.dynamic_scale = Variable(np.asarray(initial_scale, np.float32), trainable=False,
                                      name=f"{self.name}/dynamic_scale")
        self.step_counter = Variable(np.asarray(0, np.int64), trainable=False,
                                     name=f"{self.name}/step_counter")

    # the inner optimizer's state and hyper-parameters
    iterations = property(lambda self: self.inner_optimizer.iterations)

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner_optimizer.learning_rate = value

    @property
    def variables(self):
        return [self.dynamic_scale, self.step_counter] + self.inner_optimizer.variables

    def build(self, var_list):
        self.inner_optimizer.build(var_list)

    def scale_loss(self, loss):
        """``loss * dynamic_scale`` (a recorded op, differentiable)."""
        loss = loss if isinstance(loss, TensorBase) else convert_to_tensor(loss)
        return loss * cast(self.dynamic_scale, loss.dtype)

    def apply_gradients(self, grads_and_vars, name=None, **kwargs):
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        grads = [g if isinstance(g, TensorBase) else convert_to_tensor(g) for g, _ in pairs]
        variables = [v for _, v in pairs]
        if variables:
            # NOTE: one recorded side effect, so tf.function plans re-decide each step
            run_effect(lambda *gs: self.apply(list(gs), variables), grads)
        return self.iterations

    def apply(self, grads, trainable_variables=None):
        grads = [g._v if isinstance(g, TensorBase) else g for g in grads]
        finite = all(bool(to_host(xp_of(g).isfinite(g).all())) for g in grads)
        scale = float(self.dynamic_scale._v)
        if not finite:
            self.dynamic_scale._assign_raw(np.asarray(scale / 2, np.float32))
            self.step_counter._assign_raw(np.asarray(0, np.int64))
            return
        unscaled = []
        for g in grads:
            if g.dtype.itemsize < 4:
                g = g.astype(np.float32)  # float16 gradients are unscaled in float32
            unscaled.append(g * g.dtype.type(1.0 / scale))
        self.inner_optimizer.apply(unscaled, trainable_variables)
        count = int(self.step_counter._v) + 1
        if count >= self.dynamic_growth_steps:
            self.dynamic_scale._assign_raw(np.asarray(scale * 2, np.float32))
            count = 0
        self.step_counter._assign_raw(np.asarray(count, np.int64))

    def get_config(self):
        return {"name": self.name, "inner_optimizer": optimizers.serialize(
            self.inner_optimizer), "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """The optimizer ``get_config``'s dict describes (its serialized inner optimizer
        rebuilt first)."""
        inner = config.get("inner_optimizer")
        if isinstance(inner, (dict, str)):
            config = {**config, "inner_optimizer": optimizers.deserialize(
                inner, custom_objects=custom_objects)}
        return cls(**config)
