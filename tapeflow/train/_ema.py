"""``tf.train.ExponentialMovingAverage``: shadow variables tracking moving averages."""
from ..ops import math as _math
from ..tensor import TensorBase, convert_to_tensor
from ..variable import Variable, _name_scope_stack


def _plain_name(var):
    name = var.name
    return name[:-2] if name.endswith(":0") else name


class ExponentialMovingAverage:
    """``ema.apply(vars)`` creates (on first use) a non-trainable shadow variable per
    variable, initialised to its value, and moves each shadow towards its variable:
    ``shadow -= (1 - decay) * (shadow - variable)``. With ``num_updates`` the decay is
    ``min(decay, (1 + num_updates) / (10 + num_updates))``.

    >>> import tapeflow as tf
    >>> v = tf.Variable(1.0, name="v")
    >>> ema = tf.train.ExponentialMovingAverage(0.9)
    >>> ema.apply([v]); _ = v.assign(3.0); ema.apply([v])
    >>> float(ema.average(v).numpy()), ema.average_name(v)
    (1.2000000476837158, 'v/ExponentialMovingAverage')
    """

    def __init__(self, decay, num_updates=None, zero_debias=False,
                 name="ExponentialMovingAverage"):
        self._decay = decay
        self._num_updates = num_updates
        # NOTE: as TF, zero debiasing applies to averages of plain tensors only, which eager
        # mode refuses; averages of variables start at the variable's value.
        self._zero_debias = zero_debias
        self._name = name
        self._averages = {}  # id(variable) -> (variable, shadow)

    @property
    def name(self):
        return self._name

    def _decay_value(self):
        decay = float(convert_to_tensor(self._decay).numpy())
        if self._num_updates is not None:
            n = self._num_updates
            n = float(n.numpy()) if isinstance(n, TensorBase) or hasattr(n, "numpy") else \
                float(n)
            decay = min(decay, (1.0 + n) / (10.0 + n))
        return decay

    def apply(self, var_list=None):
        """Create missing shadow variables, then update every shadow of ``var_list``."""
        var_list = list(var_list or ())
        for var in var_list:
            if not isinstance(var, Variable):
                raise TypeError("tf.train.ExponentialMovingAverage does not support "
                                "non-Variable tensors when eager execution is enabled.")
            if not var.dtype.is_floating:
                raise TypeError(f"The variables must be half, float, or double: {var.name}")
        for var in var_list:
            if id(var) not in self._averages:
                saved = list(_name_scope_stack)  # the shadow's name ignores open scopes, as TF
                _name_scope_stack.clear()
                try:
                    shadow = Variable(var.read_value(), trainable=False,
                                      name=self.average_name(var))
                finally:
                    _name_scope_stack[:] = saved
                self._averages[id(var)] = (var, shadow)
        decay = self._decay_value()
        for var in var_list:
            shadow = self._averages[id(var)][1]
            delta = _math.cast(1.0 - decay, var.dtype) * (shadow.read_value() - var.read_value())
            shadow.assign_sub(delta)
        return None

    def average(self, var):
        """The shadow variable of ``var`` (None before ``apply`` saw it)."""
        entry = self._averages.get(id(var))
        return entry[1] if entry is not None else None

    def average_name(self, var):
        """The name of ``var``'s shadow: ``'<var name>/<ema name>'``."""
        if not isinstance(var, Variable):
            raise AttributeError("Tensor.name is undefined when eager execution is enabled.")
        return f"{_plain_name(var)}/{self._name}"

    def variables_to_restore(self, moving_avg_variables=None):
        """``{shadow name: variable}`` for the averaged variables (or those given), the map a
        checkpoint restore uses to load averages into the variables."""
        if moving_avg_variables is None:
            variables = [v for v, _ in self._averages.values()]
        else:
            variables = list(moving_avg_variables)
        return {self.average_name(v): v for v in variables}
