"""``OptimizerMap`` and ``MultiOptimizer``: different optimizers for different variables,
chosen by the variables' paths (an exact key, else one regular expression matching the
whole path, else the default optimizer)."""
import re
from collections.abc import MutableMapping

from .. import _registry
from .base import Optimizer


def _serialize(obj):
    """Keras 3's ``serialize_keras_object`` shape for an optimizer or an OptimizerMap."""
    return {"module": "keras.optimizers", "class_name": type(obj).__name__,
            "config": obj.get_config(), "registered_name": None}


def _deserialize(config, custom_objects=None):
    if isinstance(config, dict) and config.get("class_name") == "OptimizerMap":
        return OptimizerMap.from_config(config.get("config") or {}, custom_objects)
    return _registry.deserialize("optimizer", config, custom_objects)


def _path(variable):
    return getattr(variable, "path", None) or variable.name.split(":")[0]


class OptimizerMap(MutableMapping):
    """``{path or regular expression: optimizer}`` with a default optimizer; calling it on
    a variable gives that variable's optimizer."""

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError("default_optimizer must be a Keras Optimizer instance. Received: "
                            f"{default_optimizer}")
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(f"optimizer_map must be a dictionary. Received: {optimizer_map}")
        self._default_optimizer = default_optimizer
        self._optimizer_map = dict(optimizer_map or {})

    @property
    def default_optimizer(self):
        return self._default_optimizer

    def __getitem__(self, key):
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matching = [p for p in self._optimizer_map if re.fullmatch(p, key)]
        if len(matching) > 1:
            raise ValueError(f"Multiple optimizers assigned to variable {key}.")
        return self._optimizer_map[matching[0]] if matching else self._default_optimizer

    def __setitem__(self, key, optimizer):
        if key in self._optimizer_map:
            raise ValueError(f"'{key}' already exists in the OptimizerMap with value "
                             f"{self._optimizer_map[key]}. Please make sure to not use "
                             "duplicated keys.")
        if not isinstance(key, str):
            raise ValueError(f"key must be a string. Received: {key}")
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"optimizer must be a Keras Optimizer instance. Received: "
                             f"{optimizer}")
        if isinstance(optimizer, MultiOptimizer):
            raise ValueError("optimizer cannot be MultiOptimizer.")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        return self[_path(variable)]

    def get_config(self):
        return {"default_optimizer": _serialize(self._default_optimizer),
                "optimizer_map": {k: _serialize(v) for k, v in self._optimizer_map.items()}}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        default = _deserialize(config["default_optimizer"], custom_objects)
        mapping = {k: _deserialize(v, custom_objects)
                   for k, v in (config.get("optimizer_map") or {}).items()}
        return cls(default, mapping)


class MultiOptimizer(Optimizer):
    """Applies each variable's gradient with the optimizer ``optimizer_map`` assigns it (an
    ``OptimizerMap``, or a plain ``{path or pattern: optimizer}`` dict where every variable
    must match). Its variables, as Keras's: its own ``iterations`` and ``learning_rate``, then
    each inner optimizer's (the map's optimizers first, then the default)."""

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor,
                         name=name or "multi_optimizer")
        self.loss_scale_factor = loss_scale_factor
        self._optimizer_map = optimizer_map
        self._inner_optimizers = []
        for opt in getattr(optimizer_map, "values", lambda: ())():
            if opt not in self._inner_optimizers:
                self._inner_optimizers.append(opt)
        default = getattr(optimizer_map, "default_optimizer", None)
        if default is not None and default not in self._inner_optimizers:
            self._inner_optimizers.append(default)
        self._var_to_optimizer = {}

    @property
    def optimizers(self):
        return list(self._inner_optimizers)

    @property
    def learning_rate(self):
        raise AttributeError("Learning rate cannot be accessed on a MultiOptimizer. Access the "
                             "learning rate on the individual sub-optimizers instead.")

    @learning_rate.setter
    def learning_rate(self, value):
        if getattr(self, "_lr", None) is not None and hasattr(self, "_inner_optimizers"):
            raise AttributeError("Learning rate cannot be set on a MultiOptimizer. Set the "
                                 "learning rate on the individual sub-optimizers instead.")
        Optimizer.learning_rate.fset(self, value)  # the constructor's 0.0

    def _optimizer_of(self, var):
        opt = self._var_to_optimizer.get(id(var))
        if opt is not None:
            return opt
        mapping = self._optimizer_map
        if callable(mapping):
            opt = mapping(var)
        else:
            opt = OptimizerMap.__getitem__(
                type("_Plain", (), {"_optimizer_map": mapping, "_default_optimizer": None})(),
                _path(var))
        if not isinstance(opt, Optimizer):
            raise ValueError(f"Optimizer for variable {var} is not an Optimizer instance.")
        if isinstance(opt, MultiOptimizer):
            raise ValueError("MultiOptimizer cannot be used inside an MultiOptimizer.")
        if opt not in self._inner_optimizers:
            self._inner_optimizers.append(opt)
        self._var_to_optimizer[id(var)] = opt
        return opt

    def _groups(self, variables, values=None):
        """``[(optimizer, [variables], [values])]`` in the inner optimizers' order."""
        values = list(values) if values is not None else [None] * len(variables)
        owners = [self._optimizer_of(v) for v in variables]
        groups = []
        for opt in self._inner_optimizers:
            pairs = [(v, x) for v, x, o in zip(variables, values, owners) if o is opt]
            groups.append((opt, [p[0] for p in pairs], [p[1] for p in pairs]))
        return groups

    def build(self, var_list):
        for opt, variables, _ in self._groups(list(var_list)):
            if variables:
                opt.build(variables)

    def apply(self, grads, trainable_variables=None):
        grads = list(grads)
        if not grads:
            return
        for opt, variables, gs in self._groups(list(trainable_variables), grads):
            if variables:
                opt.apply(gs, variables)
        self.iterations._assign_raw(self.iterations._v + 1)

    def finalize_variable_values(self, var_list):
        for opt, variables, _ in self._groups(list(var_list)):
            if variables:
                opt.finalize_variable_values(variables)

    @property
    def variables(self):
        out = [self.iterations, self._lr]
        for opt in self._inner_optimizers:
            out.extend(opt.variables)
        return out

    def get_config(self):
        mapping = self._optimizer_map
        serialized = _serialize(mapping) if isinstance(mapping, OptimizerMap) else \
            {k: _serialize(v) for k, v in mapping.items()}
        return {"optimizer_map": serialized, "loss_scale_factor": self.loss_scale_factor,
                "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        mapping = config["optimizer_map"]
        if isinstance(mapping, dict) and "class_name" not in mapping:
            config["optimizer_map"] = {k: _deserialize(v, custom_objects)
                                       for k, v in mapping.items()}
        else:
            config["optimizer_map"] = _deserialize(mapping, custom_objects)
        return cls(**config)
