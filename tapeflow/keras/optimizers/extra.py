"""Keras 3's less common update rules: Lion, Lamb, Ftrl, Adafactor (same step, slots and slot
order as Keras, so ``.keras``/``.weights.h5`` files carry their state both ways)."""
from ...backend import host as np
from ...backend import xp_of
from .base import Optimizer


class Lion(Optimizer):
    """Lion (Chen et al., 2023): steps of size ``lr`` in the sign of an interpolated
    momentum; one slot (the momentum)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError("Argument `beta_1` must be in the [0, 1] range. Otherwise, the "
                             f"optimizer degenerates to SignSGD. Received: beta_1={beta_1}.")
        self.beta_1, self.beta_2 = beta_1, beta_2

    def _slots(self, var):
        return [self._zeros(var)]

    def _update(self, var, g, slots, lr, t):
        xp = xp_of(g)
        m = slots[0]
        dt = var._v.dtype.type
        b1, b2 = dt(self.beta_1), dt(self.beta_2)
        direction = xp.sign(m * b1 + g * (dt(1.0) - b1))
        var._assign_raw(var._v - dt(lr) * direction)
        m *= b2
        m += g * (dt(1.0) - b2)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}


class Lamb(Optimizer):
    """LAMB (You et al., 2019): Adam's step rescaled per variable by the trust ratio
    ``||w|| / ||step||``; slots: momentum and velocity."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name=None,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def _slots(self, var):
        return [self._zeros(var), self._zeros(var)]

    def _update(self, var, g, slots, lr, t):
        xp = xp_of(g)
        dt = var._v.dtype.type
        m, v = slots
        b1, b2 = dt(self.beta_1), dt(self.beta_2)
        m += (g - m) * (dt(1.0) - b1)
        v += (g * g - v) * (dt(1.0) - b2)
        step = dt(t)
        m_hat = m / (dt(1.0) - b1 ** step)
        v_sqrt = xp.sqrt(v / (dt(1.0) - b2 ** step)) + dt(self.epsilon)
        update = m_hat / v_sqrt
        w_norm = xp.sqrt((var._v ** 2).sum())
        g_norm = xp.sqrt((update ** 2).sum())
        ratio = w_norm / g_norm if w_norm > 0 and g_norm > 0 else dt(1.0)
        var._assign_raw(var._v - dt(ratio) * dt(lr) * update)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


class Ftrl(Optimizer):
    """FTRL-Proximal (McMahan et al., 2013) with L1/L2 and shrinkage regularization; slots:
    the accumulator (starting at ``initial_accumulator_value``) and the linear term."""

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if initial_accumulator_value < 0.0:
            raise ValueError("`initial_accumulator_value` needs to be positive or zero. "
                             f"Received: initial_accumulator_value={initial_accumulator_value}.")
        if learning_rate_power > 0.0:
            raise ValueError("`learning_rate_power` needs to be negative or zero. Received: "
                             f"learning_rate_power={learning_rate_power}.")
        for arg, value in (("l1_regularization_strength", l1_regularization_strength),
                           ("l2_regularization_strength", l2_regularization_strength),
                           ("l2_shrinkage_regularization_strength",
                            l2_shrinkage_regularization_strength)):
            if value < 0.0:
                raise ValueError(f"`{arg}` needs to be positive or zero. Received: "
                                 f"{arg}={value}.")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def _slots(self, var):
        v = var._v
        return [xp_of(v).full(v.shape, self.initial_accumulator_value, v.dtype), self._zeros(var)]

    def _update(self, var, g, slots, lr, t):
        xp = xp_of(g)
        dt = var._v.dtype.type
        accum, linear = slots
        power = dt(-self.learning_rate_power)
        lr = dt(lr)
        l1 = dt(self.l1_regularization_strength)
        l2 = dt(self.l2_regularization_strength + self.beta / (2.0 * float(lr)))
        w = var._v
        grad = g + dt(2 * self.l2_shrinkage_regularization_strength) * w
        new_accum = accum + g * g
        linear += grad - (new_accum ** power - accum ** power) / lr * w
        quadratic = new_accum ** power / lr + dt(2) * l2
        var._assign_raw(((xp.clip(linear, -l1, l1) - linear) / quadratic).astype(w.dtype))
        accum[...] = new_accum

    def get_config(self):
        return {**super().get_config(), "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength":
                    self.l2_shrinkage_regularization_strength,
                "beta": self.beta}


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern, 2018): second moments kept factored as row and column
    averages for variables of rank >= 2. Slots per variable, in Keras's order: the row
    factor, the column factor (int32 zeros for rank < 2, as Keras) and the velocity."""

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
                 clip_threshold=1.0, relative_step=True, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_2_decay, self.epsilon_1, self.epsilon_2 = beta_2_decay, epsilon_1, epsilon_2
        self.clip_threshold, self.relative_step = clip_threshold, relative_step

    def _slots(self, var):
        v = var._v
        xp = xp_of(v)
        if v.ndim < 2:
            return [xp.zeros((), np.int32), xp.zeros((), np.int32), self._zeros(var)]
        return [xp.zeros(v.shape[:-1], v.dtype), xp.zeros(v.shape[:-2] + v.shape[-1:], v.dtype),
                self._zeros(var)]

    def _update(self, var, g, slots, lr, t):
        xp = xp_of(g)
        w = var._v
        dt = w.dtype.type
        r, c, v = slots
        step = dt(t)
        # NOTE: min(lr, 1/sqrt(t)) whether or not relative_step: Keras's rho_t
        rho = min(dt(lr), dt(1.0) / xp.sqrt(step))

        def rms(x):
            return xp.sqrt((x * x).mean())

        alpha = max(dt(self.epsilon_2), rms(w)) * rho
        sq = g * g + dt(self.epsilon_1)
        beta = dt(1.0) - step ** dt(self.beta_2_decay)
        if w.ndim >= 2:
            r[...] = beta * r + (dt(1.0) - beta) * sq.mean(axis=-1)
            c[...] = beta * c + (dt(1.0) - beta) * sq.mean(axis=-2)
            v[...] = (r / r.mean(axis=-1, keepdims=True))[..., None] * c[..., None, :]
        else:
            v[...] = beta * v + (dt(1.0) - beta) * sq
        u = g / xp.sqrt(v)
        u = u / max(dt(1.0), rms(u) / dt(self.clip_threshold))
        var._assign_raw((w - alpha * u).astype(w.dtype))

    def get_config(self):
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay,
                "epsilon_1": self.epsilon_1, "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold, "relative_step": self.relative_step}


class ScheduleFreeAdamW(Optimizer):
    """Schedule-free AdamW (Defazio et al., 2024): the variable holds the interpolation of
    an iterate average and the base sequence (kept in the ``momentum`` slot, which starts
    as a copy of the variable); slots: momentum and velocity."""

    def __init__(self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 warmup_steps=0, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.warmup_steps = warmup_steps

    def _slots(self, var):
        return [xp_of(var._v).array(var._v, copy=True), self._zeros(var)]

    def _update(self, var, g, slots, lr, t):
        xp = xp_of(g)
        dt = var._v.dtype.type
        z, v = slots
        step = dt(t)
        lr = dt(lr)
        if self.warmup_steps > 0:
            lr = lr * min(step / dt(self.warmup_steps), dt(1.0))
        b1, b2 = dt(self.beta_1), dt(self.beta_2)
        v += (g * g - v) * (dt(1.0) - b2)
        denom = xp.sqrt(v / (dt(1.0) - b2 ** step)) + dt(self.epsilon)
        z -= lr * g / denom
        weight = dt(1.0) / step
        # NOTE: as Keras 3.15 on TensorFlow, x is recovered from the variable with the
        # momentum slot as it is after this step's update (its ``momentum.value`` is read
        # after the assign), not before
        x_old = (var._v - (dt(1.0) - b1) * z) / b1
        x_new = (dt(1.0) - weight) * x_old + weight * z
        var._assign_raw(((dt(1.0) - b1) * z + b1 * x_new).astype(var._v.dtype))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "warmup_steps": self.warmup_steps}


class Muon(Optimizer):
    """Muon (Jordan et al., 2024) for 2-D weights: Nesterov momentum orthogonalized by
    ``ns_steps`` Newton-Schulz iterations, scaled by ``rms_rate * sqrt(max(shape))``; other
    variables (not 2-D, embeddings, ``exclude_layers`` matches) step with AdamW. Slots per
    variable in Keras's order: the momentum, then (AdamW variables only) the velocity."""

    def __init__(self, learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999,
                 adam_weight_decay=0.004, epsilon=1e-7, weight_decay=0.004, name=None,
                 exclude_layers=None, exclude_embeddings=True, muon_a=3.4445, muon_b=-4.775,
                 muon_c=2.0315, adam_lr_ratio=1, momentum=0.95, ns_steps=5, nesterov=True,
                 rms_rate=0.2, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, name=name,
                         **kwargs)
        self.adam_beta_1, self.adam_beta_2, self.epsilon = adam_beta_1, adam_beta_2, epsilon
        self.muon_a, self.muon_b, self.muon_c = muon_a, muon_b, muon_c
        self.adam_lr_ratio, self.momentum, self.ns_steps = adam_lr_ratio, momentum, ns_steps
        self.nesterov, self.exclude_embeddings = nesterov, exclude_embeddings
        self.exclude_layers = exclude_layers or []
        self.adam_weight_decay, self.rms_rate = adam_weight_decay, rms_rate

    def _uses_adamw(self, var):
        import re  # deferred: only Muon matches variable paths

        if len(var.shape) != 2:
            return True
        path = getattr(var, "path", None) or var.name
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(k, path) for k in self.exclude_layers)

    def _decay_of(self, var):
        return self.adam_weight_decay if self._uses_adamw(var) else self.weight_decay

    def _slots(self, var):
        return [self._zeros(var)] + ([self._zeros(var)] if self._uses_adamw(var) else [])

    def _keras_slot_order(self, var_list):
        return [(j, i) for j, v in enumerate(var_list) for i in range(len(self._slots(v)))]

    def _update(self, var, g, slots, lr, t):
        xp = xp_of(g)
        dt = var._v.dtype.type
        m = slots[0]
        if len(slots) == 2:  # AdamW
            v = slots[1]
            lr = dt(lr * self.adam_lr_ratio)
            b1, b2 = dt(self.adam_beta_1), dt(self.adam_beta_2)
            step = dt(t)
            alpha = lr * xp.sqrt(dt(1.0) - b2 ** step) / (dt(1.0) - b1 ** step)
            m += (g - m) * (dt(1.0) - b1)
            v += (g * g - v) * (dt(1.0) - b2)
            var._assign_raw(var._v - m * alpha / (xp.sqrt(v) + dt(self.epsilon)))
            return
        mu = dt(self.momentum)
        m += g + m * (mu - dt(1.0))
        x = g + mu * m if self.nesterov else m
        update = self._orthogonalize(xp, x.astype(var._v.dtype), dt)
        step = dt(lr) * update
        if self.rms_rate is not None:
            step = step * xp.sqrt(dt(max(update.shape[0], update.shape[1]))) * dt(self.rms_rate)
        var._assign_raw((var._v - step).astype(var._v.dtype))

    def _orthogonalize(self, xp, x, dt):
        """Newton-Schulz iterations towards the nearest semi-orthogonal matrix."""
        a, b, c = dt(self.muon_a), dt(self.muon_b), dt(self.muon_c)
        tall = x.shape[-2] > x.shape[-1]
        if tall:
            x = xp.swapaxes(x, -1, -2)
        x = x / (xp.sqrt((x * x).sum(axis=(-2, -1), keepdims=True)) + dt(1e-7))
        for _ in range(self.ns_steps):
            xx = x @ xp.swapaxes(x, -1, -2)
            x = a * x + (b * xx + c * xx @ xx) @ x
        return xp.swapaxes(x, -1, -2) if tall else x

    def get_config(self):
        return {**super().get_config(), "adam_beta_1": self.adam_beta_1,
                "adam_beta_2": self.adam_beta_2, "epsilon": self.epsilon,
                "exclude_layers": self.exclude_layers, "muon_a": self.muon_a,
                "muon_b": self.muon_b, "muon_c": self.muon_c,
                "adam_lr_ratio": self.adam_lr_ratio, "momentum": self.momentum,
                "ns_steps": self.ns_steps, "nesterov": self.nesterov,
                "exclude_embeddings": self.exclude_embeddings,
                "adam_weight_decay": self.adam_weight_decay, "rms_rate": self.rms_rate}
