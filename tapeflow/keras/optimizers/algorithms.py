"""The update rules, each a few array operations per variable: SGD, Adam, AdamW, RMSprop,
Adagrad, Adadelta, Nadam, Adamax."""

from ...backend import cuda_kernels, multi_tensor, xp_of
from ...backend import host as np
from .base import Optimizer


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum: ``v = m*v - lr*g; w += v``."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be a float between [0, 1]. Received: "
                             f"momentum={momentum} (of type {type(momentum)}).")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def _slots(self, var):
        return [self._zeros(var)] if self.momentum else []

    def _update(self, var, g, slots, lr, t):
        if not self.momentum:
            var._assign_raw(var._v - g * lr)
            return
        m = slots[0]
        m *= self.momentum
        m -= g * lr
        if self.nesterov:
            var._assign_raw(var._v + (m * self.momentum - g * lr))
        else:
            var._assign_raw(var._v + m)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam (Kingma & Ba) with Keras's defaults (``epsilon=1e-7``) and optional AMSGrad."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def _slots(self, var):
        n = 3 if self.amsgrad else 2
        return [self._zeros(var) for _ in range(n)]

    def _apply(self, grads, trainable_variables=None):
        arrays = [g._v if hasattr(g, "_v") else g for g in grads]
        if trainable_variables is not None and not isinstance(arrays[0], np.ndarray) \
                and multi_tensor.eligible(self, arrays, trainable_variables):
            # device arrays: every variable in one fused update (backend/multi_tensor.py)
            t = int(self.iterations._v) + 1
            multi_tensor.adam(self, self._clip(arrays), list(trainable_variables),
                              self._current_lr(), t)
            self._moving_average(trainable_variables, t)
            self.iterations._assign_raw(np.asarray(t, np.int64))
            return
        super()._apply(grads, trainable_variables)

    def _update(self, var, g, slots, lr, t):
        b1, b2 = self.beta_1, self.beta_2
        m, v = slots[0], slots[1]
        alpha = multi_tensor.adam_alpha(var._v.dtype, float(lr), float(b1), float(b2), int(t))
        if not self.amsgrad and not isinstance(g, np.ndarray) and cuda_kernels.owns(g):
            alpha = float(alpha)  # one fused CuPy kernel
            var._assign_raw(cuda_kernels.adam_update(var._v, g, m, v, alpha, b1, b2,
                                                     self.epsilon))
            return
        # NOTE: in-place on two scratch arrays: half the temporaries of the plain formulas
        d = g - m
        d *= 1 - b1
        m += d
        d = g * g
        d -= v
        d *= 1 - b2
        v += d
        xp = xp_of(g)
        if self.amsgrad:
            vhat = slots[2]
            xp.maximum(vhat, v, out=vhat)
            v = vhat
        den = xp.sqrt(v)
        den += self.epsilon
        step = m * alpha
        step /= den
        var._assign_raw(var._v - step)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay (``weight_decay=0.004`` by default)."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, name=name, weight_decay=weight_decay,
                         **kwargs)
        if not weight_decay:
            raise ValueError("Argument `weight_decay` must be a float. Received: "
                             f"weight_decay={weight_decay}")


class RMSprop(Optimizer):
    """Divides the gradient by a running RMS of past gradients (optionally centred)."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def _slots(self, var):
        return [self._zeros(var) for _ in range(1 + bool(self.momentum) + bool(self.centered))]

    def _update(self, var, g, slots, lr, t):
        xp = xp_of(g)
        rho = self.rho
        vel = slots[0]
        vel *= rho
        vel += (1 - rho) * (g * g)
        denom = vel
        if self.centered:
            avg = slots[-1]
            avg *= rho
            avg += (1 - rho) * g
            denom = vel - avg * avg
        step = (g * lr) / xp.sqrt(denom + self.epsilon)
        if self.momentum:
            mom = slots[1]
            mom *= self.momentum
            mom += step
            step = mom
        var._assign_raw(var._v - step)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}


class Adagrad(Optimizer):
    """Per-coordinate rates from the sum of squared gradients."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def _slots(self, var):
        return [xp_of(var._v).full_like(var._v, self.initial_accumulator_value)]

    def _update(self, var, g, slots, lr, t):
        acc = slots[0]
        acc += g * g
        var._assign_raw(var._v - (g * lr) / xp_of(g).sqrt(acc + self.epsilon))

    def get_config(self):
        return {**super().get_config(),
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


class Adadelta(Optimizer):
    """Adadelta (Zeiler): step sizes from running averages of gradients and updates."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def _slots(self, var):
        return [self._zeros(var), self._zeros(var)]

    def _update(self, var, g, slots, lr, t):
        xp = xp_of(g)
        acc_g, acc_d = slots
        rho, eps = self.rho, self.epsilon
        acc_g *= rho
        acc_g += (1 - rho) * (g * g)
        delta = xp.sqrt(acc_d + eps) / xp.sqrt(acc_g + eps) * g
        acc_d *= rho
        acc_d += (1 - rho) * (delta * delta)
        var._assign_raw(var._v - delta * lr)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class Nadam(Optimizer):
    """Adam with Nesterov momentum (Dozat), Keras's momentum-cache schedule."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self._u_product = 1.0
        self._u_step = 0

    def _slots(self, var):
        return [self._zeros(var), self._zeros(var)]

    def _update(self, var, g, slots, lr, t):
        b1, b2 = self.beta_1, self.beta_2
        u_t = b1 * (1.0 - 0.5 * 0.96 ** t)
        u_t1 = b1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        if self._u_step != t:  # the product advances once per step, not once per variable
            self._u_product *= u_t
            self._u_step = t
        up_t = self._u_product
        up_t1 = up_t * u_t1
        m, v = slots
        m += (g - m) * (1 - b1)
        v += (g * g - v) * (1 - b2)
        m_hat = m * (u_t1 / (1 - up_t1)) + g * ((1 - u_t) / (1 - up_t))
        v_hat = v / (1 - b2 ** t)
        var._assign_raw(var._v - (m_hat * lr) / (xp_of(g).sqrt(v_hat) + self.epsilon))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


class Adamax(Optimizer):
    """Adam with the infinity norm."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def _slots(self, var):
        return [self._zeros(var), self._zeros(var)]

    def _update(self, var, g, slots, lr, t):
        xp = xp_of(g)
        m, u = slots
        m += (g - m) * (1 - self.beta_1)
        xp.maximum(u * self.beta_2, xp.abs(g), out=u)
        alpha = lr / (1 - self.beta_1 ** t)
        var._assign_raw(var._v - (m * alpha) / (u + self.epsilon))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
