"""``Layer``: deferred ``build`` on first call, ``add_weight``, shallow attribute tracking of
variables and sub-layers (also inside lists and dicts), losses and configs."""
import contextlib
import functools
import inspect
import math as _math
import threading

from ... import dtypes, nest
from ...errors import InvalidArgumentError
from ...module import Module, deferred_restores
from ...ops import math as M
from ...tensor import TensorBase, TensorShape, convert_to_tensor
from ...variable import Variable
from .. import backend, constraints, initializers, regularizers
from ..mixed_precision import policy as _mp


class _CallContext(threading.local):
    """Depth of nested layer calls and the ``training`` flag passed down to inner layers, per
    thread: two models called at once in two threads (two ``fit``s) must not see each
    other's flags (a shared one left ``training=True`` behind for later calls)."""

    def __init__(self):
        self.depth = 0
        self.training = None
        self.outer = None  # the layer whose call is outermost right now
        self.symbolic = 0  # > 0 while a symbolic call runs its layers on placeholder inputs
        self.loss_owners = []  # (layer, outermost layer) for activity losses added by calls


def _has_keras_tensor(values, kt_class):
    """Whether a call's extra arguments hold a symbolic tensor (cheap for the usual
    ``training=True``: only containers are flattened)."""
    for v in values:
        if isinstance(v, kt_class):
            return True
        if isinstance(v, (list, tuple, dict)) and any(
                isinstance(x, kt_class) for x in nest.flatten(v)):
            return True
    return False


def in_symbolic_call():
    """Whether layers are being called on the placeholders of a symbolic (functional-model)
    call, whose results are thrown away: stateful layers leave their state alone."""
    return _CTX.symbolic > 0


_CTX = _CallContext()

# NOTE: as in Keras 3, these compute in float32 under a mixed policy (their statistics would
# lose too much in float16) and cast their outputs to the compute dtype.
_FLOAT32_COMPUTE = {"BatchNormalization", "LayerNormalization", "GroupNormalization",
                    "UnitNormalization"}


def _mixed_call(layer, inputs, args, kwargs):
    """``layer.call`` under a mixed policy: the trainable float variables of the layer and of
    its nested mixed-policy layers (RNN cells, attention projections, a model's layers) are
    read as casts to the compute dtype for the duration of the call (inputs are cast
    already). Nested layers called later find their attributes cast and cast nothing more."""
    d = layer.__dict__
    compute, var_dtype = d["_compute"], d["_dtype"]
    if type(layer).__name__ in _FLOAT32_COMPUTE:
        inputs = nest.map_structure(
            lambda t: M.cast(t, var_dtype) if isinstance(t, TensorBase)
            and t._v.dtype == compute._np else t, inputs)
        out = layer.call(inputs, *args, **kwargs)
        return nest.map_structure(
            lambda t: M.cast(t, compute) if isinstance(t, TensorBase)
            and t._v.dtype == var_dtype._np else t, out)
    count = _weight_count(layer)
    saved = _cast_weights(layer)
    try:
        return layer.call(inputs, *args, **kwargs)
    except InvalidArgumentError:
        if _weight_count(layer) == count:
            raise
        # NOTE: the layer made its weights inside this first call (attention does), so they
        # were not cast; now that they exist, run the call again with them cast.
    finally:
        _restore(saved)
    saved = _cast_weights(layer)
    try:
        return layer.call(inputs, *args, **kwargs)
    finally:
        _restore(saved)


def _castable(v, want):
    return isinstance(v, Variable) and v.trainable and v._v.dtype == want \
        and v._v.dtype.kind == "f"


def _cast_weights(layer):
    """Replace the castable weight attributes of ``layer``'s mixed-policy layers by casts
    to their compute dtype; returns what ``_restore`` puts back."""
    saved = []
    for sub in layer._flatten_layers():
        sd = sub.__dict__
        c = sd.get("_compute")
        if c is None or type(sub).__name__ in _FLOAT32_COMPUTE:
            continue
        want = sd["_dtype"]._np
        # attributes holding a variable, or a tuple of them (attention's (kernel, bias))
        items = {k: v for k, v in sd.items() if _castable(v, want) or (
            type(v) is tuple and any(_castable(x, want) for x in v))}
        if items:
            saved.append((sd, items))
            for k, v in items.items():
                sd[k] = M.cast(v, c) if not isinstance(v, tuple) else tuple(
                    M.cast(x, c) if _castable(x, want) else x for x in v)
    return saved


def _restore(saved):
    for sd, items in saved:
        sd.update(items)


def _weight_count(layer):
    return sum(len(sub.__dict__.get("_own_weights", ())) for sub in layer._flatten_layers())


_MISSING = object()


def set_weight_options(layer, kind, initializer, regularizer, constraint):
    """``layer.<kind>_initializer`` / ``_regularizer`` / ``_constraint`` resolved from names or
    objects (``kind``: "kernel", "bias", "recurrent", "depthwise"...)."""
    setattr(layer, f"{kind}_initializer", initializers.get(initializer))
    setattr(layer, f"{kind}_regularizer", regularizers.get(regularizer))
    setattr(layer, f"{kind}_constraint", constraints.get(constraint))


def weight_options_config(layer, kinds, activity=False):
    """Those options of each kind serialized for ``get_config``, in Keras's order: every
    initializer, then every regularizer (then ``activity_regularizer`` when ``activity``),
    then every constraint."""
    config = {}
    for kind in kinds:
        config[f"{kind}_initializer"] = initializers.serialize(
            getattr(layer, f"{kind}_initializer"))
    for kind in kinds:
        config[f"{kind}_regularizer"] = regularizers.serialize(
            getattr(layer, f"{kind}_regularizer"))
    if activity:
        config["activity_regularizer"] = regularizers.serialize(layer.activity_regularizer)
    for kind in kinds:
        config[f"{kind}_constraint"] = constraints.serialize(getattr(layer, f"{kind}_constraint"))
    return config


def dtype_policy_config(layer):
    """The ``dtype`` entry of a layer's config: its dtype policy serialized as Keras 3 writes
    it (``{'module': 'keras', 'class_name': 'DTypePolicy', ...}``)."""
    policy = layer.__dict__.get("_policy")
    name = getattr(policy, "name", policy) if policy is not None else layer.dtype
    return {"module": "keras", "class_name": "DTypePolicy",
            "config": {"name": getattr(name, "name", name)}, "registered_name": None}


def set_kernel_bias(layer, kernel_initializer, bias_initializer, kernel_regularizer,
                    bias_regularizer, kernel_constraint, bias_constraint):
    """The kernel and bias options that Dense, the convolutions and MultiHeadAttention share."""
    set_weight_options(layer, "kernel", kernel_initializer, kernel_regularizer,
                       kernel_constraint)
    set_weight_options(layer, "bias", bias_initializer, bias_regularizer, bias_constraint)


def kernel_bias_config(layer, activity=True):
    """Those options (and the activity regularizer, unless ``activity`` is false: Dense's
    config has none) serialized for ``get_config``."""
    return weight_options_config(layer, ("kernel", "bias"), activity)


def _keras_ordered(get_config):
    """``get_config`` whose dict follows the class's ``_config_keys`` (Keras's key order:
    those keys first, the others after), without its ``_config_drop`` keys (keys Keras's
    config of that class lacks) and with its ``_config_fixed`` entries (options tapeflow
    takes only at their Keras default) added where missing."""

    @functools.wraps(get_config)
    def ordered(self):
        config = get_config(self)
        cls = type(self)
        if not isinstance(config, dict):
            return config
        for key in cls._config_drop:
            config.pop(key, None)
        for key, value in cls._config_fixed.items():
            config.setdefault(key, value)
        if cls._config_keys:
            out = {k: config[k] for k in cls._config_keys if k in config}
            out.update((k, v) for k, v in config.items() if k not in out)
            config = out
        return config

    ordered._keras_ordered = True
    return ordered


class InputSpec:
    """What a built layer accepts: rank limits and fixed sizes of some axes."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype, self.shape, self.name = dtype, shape, name
        self.optional = optional
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim, self.min_ndim = max_ndim, min_ndim
        self.axes = dict(axes or {})

    def get_config(self):
        """The spec's fields, as Keras 3's ``InputSpec.get_config`` lists them."""
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes,
                "optional": self.optional}

    @classmethod
    def from_config(cls, config):
        """The spec ``get_config``'s dict describes."""
        return cls(**config)

    def check(self, layer, index, shape):
        rank = len(shape)
        head = f'Input {index} of layer "{layer.name}" is incompatible with the layer: '
        if self.ndim is not None and rank != self.ndim:
            raise ValueError(f"{head}expected ndim={self.ndim}, found ndim={rank}. Full shape "
                             f"received: {tuple(shape)}")
        if self.min_ndim is not None and rank < self.min_ndim:
            raise ValueError(f"{head}expected min_ndim={self.min_ndim}, found ndim={rank}. "
                             f"Full shape received: {tuple(shape)}")
        if self.max_ndim is not None and rank > self.max_ndim:
            raise ValueError(f"{head}expected max_ndim={self.max_ndim}, found ndim={rank}. "
                             f"Full shape received: {tuple(shape)}")
        for axis, size in self.axes.items():
            if size is not None and -rank <= axis < rank and shape[axis] not in (size, None):
                raise ValueError(f"{head}expected axis {axis} of input shape to have value "
                                 f"{size}, but received input with shape {tuple(shape)}")


_SIGNATURES = {}


def _call_takes_training(cls):
    got = _SIGNATURES.get(cls)
    if got is None:
        params = inspect.signature(cls.call).parameters
        got = _SIGNATURES[cls] = ("training" in params or any(
            p.kind is p.VAR_KEYWORD for p in params.values()))
    return got


_FIRST_ARG = {}


def first_call_argument(cls):
    """The name of the inputs argument of ``cls.call`` (``inputs``, ``query``, ...): a layer
    called with it as a keyword (``mha(query=q, value=v)``) takes it as its inputs."""
    got = _FIRST_ARG.get(cls)
    if got is None:
        params = [p for p in inspect.signature(cls.call).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        got = _FIRST_ARG[cls] = params[1].name if len(params) > 1 else "inputs"
    return got


class Layer(Module):
    """The Keras layer contract: ``__init__`` validates, ``build`` makes weights, ``call``
    computes, ``get_config`` describes."""

    # NOTE: Keras's default compute_mask: a layer that supports masking hands its input's
    # mask on to its output unchanged (Dense, Activation, Dropout after an Embedding)
    _passes_mask = False
    # how ``get_config`` matches Keras's dict (see ``_keras_ordered``)
    _config_keys = ()
    _config_drop = ()
    _config_fixed = {}

    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None, autocast=True,
                 name=None, input_shape=None, batch_input_shape=None, input_dim=None,
                 batch_size=None, **kwargs):
        kwargs.pop("dynamic", None)
        if kwargs.pop("quantization_config", None) is not None:  # Keras 3 configs list it
            raise ValueError("tapeflow does not quantize layers: quantization_config must be "
                             "None.")
        kwargs.pop("input_dtype", None)
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                            f"{kwargs}")
        d = self.__dict__
        d.setdefault("_tracked", [])
        d["_own_weights"] = []
        d["_regularized"] = []
        d["_losses"] = []
        d["_inbound_nodes"] = []
        d["_trainable"] = bool(trainable)
        d["_name"] = name if name is not None else backend.unique_name(
            backend.snake_case(type(self).__name__))
        dt = dtype.get("config", {}).get("name") if isinstance(dtype, dict) else dtype
        # mixed precision: a policy name/object, or None under a global policy
        dt, compute, policy = _mp.resolve(getattr(dt, "name", dt))
        d["_dtype"] = dtypes.as_dtype(dt or backend.floatx())
        d["_compute"] = None if compute is None else dtypes.as_dtype(compute)
        d["_policy"] = policy
        d["_autocast"] = autocast
        d["_build_shapes"] = None
        d["_output_shape"] = None
        self.built = False
        self.input_spec = None
        self.supports_masking = type(self)._passes_mask
        self.activity_regularizer = regularizers.get(activity_regularizer)
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is None and input_shape is not None:
            batch_input_shape = (batch_size,) + tuple(input_shape)
        d["_batch_input_shape"] = None if batch_input_shape is None else tuple(batch_input_shape)

    # -- tracking ---------------------------------------------------------------------------
    def __setattr__(self, name, value):
        if isinstance(value, (Layer, Variable, list, tuple, dict)) and name[:2] != "__":
            tracked = self.__dict__.setdefault("_tracked", [])
            if name not in tracked:
                tracked.append(name)
        object.__setattr__(self, name, value)
        if deferred_restores and id(self) in deferred_restores:  # a checkpoint restore waits
            hook = self.__dict__.get("_deferred_restore")
            if hook is not None:
                hook(self, name)

    def __delattr__(self, name):
        tracked = self.__dict__.get("_tracked", [])
        if name in tracked:
            tracked.remove(name)
        object.__delattr__(self, name)

    def _walk(self):
        """Layers and Variables reachable from tracked attributes, in assignment order."""
        d = self.__dict__
        out, seen = [], set()
        stack = [d[n] for n in reversed(d.get("_tracked", ())) if n in d]
        while stack:
            x = stack.pop()
            if isinstance(x, (Layer, Variable)):
                if id(x) not in seen and x is not self:
                    seen.add(id(x))
                    out.append(x)
            elif isinstance(x, dict):
                stack.extend(reversed(list(x.values())))
            elif isinstance(x, (list, tuple)):
                stack.extend(reversed(x))
        return out

    @property
    def _layers(self):
        return [x for x in self._walk() if isinstance(x, Layer)]

    @property
    def layers(self):
        return self._layers

    def _own_variables(self):
        own = list(self.__dict__.get("_own_weights", ()))
        ids = {id(v) for v in own}
        own.extend(v for v in self._walk() if isinstance(v, Variable) and id(v) not in ids)
        return own

    def _flatten_layers(self, include_self=True, skip_frozen=False):
        out, seen = [], set()
        stack = [self] if include_self else list(reversed(self._layers))
        while stack:
            layer = stack.pop()
            if id(layer) in seen or (skip_frozen and not layer._trainable):
                continue
            seen.add(id(layer))
            out.append(layer)
            stack.extend(reversed(layer._layers))
        return out

    def _collect(self, want_trainable, skip_frozen):
        out, seen = [], set()
        for layer in self._flatten_layers(skip_frozen=skip_frozen):
            frozen = not layer._trainable
            for v in layer._own_variables():
                if id(v) in seen:
                    continue
                is_trainable = v.trainable and not frozen
                if want_trainable is None or is_trainable == want_trainable:
                    seen.add(id(v))
                    out.append(v)
        return out

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        return self._collect(True, skip_frozen=True)

    @property
    def non_trainable_weights(self):
        trainable = {id(v) for v in self.trainable_weights}
        return [v for v in self._collect(None, False) if id(v) not in trainable]

    @property
    def weights(self):
        return self._collect(None, False)

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    @property
    def submodules(self):
        return tuple(self._flatten_layers(include_self=False))

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        for layer in self._flatten_layers():
            layer.__dict__["_trainable"] = bool(value)

    @property
    def name(self):
        return self.__dict__["_name"]

    @property
    def dtype(self):
        return self.__dict__["_dtype"].name

    variable_dtype = dtype

    @property
    def compute_dtype(self):
        c = self.__dict__.get("_compute")
        return self.dtype if c is None else c.name

    @property
    def dtype_policy(self):
        try:
            return _mp.DTypePolicy(self.__dict__.get("_policy") or self.dtype)
        except ValueError:  # an integer layer dtype is no float policy: its name, as before
            return self.dtype

    # -- weights ----------------------------------------------------------------------------
    def add_weight(self, *args, **kwargs):
        """A new Variable owned by this layer. Accepts Keras 2's ``(name, shape, ...)`` and
        Keras 3's ``(shape, initializer, ...)`` positional orders."""
        order = (("name", "shape", "dtype", "initializer", "regularizer", "trainable",
                  "constraint") if args and isinstance(args[0], str) else
                 ("shape", "initializer", "dtype", "trainable", "autocast", "regularizer",
                  "constraint"))
        for key, value in zip(order, args):
            kwargs[key] = value
        name = kwargs.pop("name", None) or "variable"
        shape = tuple(int(s) for s in (kwargs.pop("shape", None) or ()))
        dtype = dtypes.as_dtype(kwargs.pop("dtype", None) or self.dtype)
        init = kwargs.pop("initializer", None)
        if init is None:
            init = "glorot_uniform" if dtype.is_floating else "zeros"
        trainable = kwargs.pop("trainable", None)
        trainable = True if trainable is None else bool(trainable)
        reg = regularizers.get(kwargs.pop("regularizer", None))
        constraint = constraints.get(kwargs.pop("constraint", None))
        for ignored in ("autocast", "aggregation", "synchronization", "use_resource",
                        "overwrite_with_gradient", "partitioner", "caching_device"):
            kwargs.pop(ignored, None)
        if kwargs:
            raise TypeError(f"add_weight() got unexpected keyword arguments: {sorted(kwargs)}")
        _take_budget(shape, dtype, self.name, name)
        value = initializers.get(init)(shape, dtype=dtype)
        if not isinstance(value, TensorBase):
            value = convert_to_tensor(value, dtype)
        var = Variable(value, trainable=trainable, name=f"{self.name}/{name}",
                       constraint=constraint)
        var.__dict__["path"] = f"{self.name}/{name}"
        self.__dict__["_own_weights"].append(var)
        if reg is not None:
            self.__dict__["_regularized"].append((var, reg))
        return var

    add_variable = add_weight

    def get_weights(self):
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights):
        params = self.weights
        if len(params) != len(weights):
            raise ValueError(f"Layer {self.name} weight shape mismatch: you called "
                             f"`set_weights(weights)` on layer '{self.name}' with a weight list "
                             f"of length {len(weights)}, but the layer was expecting "
                             f"{len(params)} weights.")
        for v, w in zip(params, weights):
            w = convert_to_tensor(w, v.dtype) if not isinstance(w, TensorBase) else w
            if tuple(w.shape) != tuple(v.shape):
                raise ValueError(f"Layer {self.name} weight shape {tuple(v.shape)} is not "
                                 f"compatible with provided weight shape {tuple(w.shape)}.")
            v.assign(w)

    def count_params(self):
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer '{self.name}', but "
                             "the layer isn't built. You can build it manually via: "
                             f"`{self.name}.build(batch_input_shape)`.")
        total = 0
        for v in self.weights:
            total += int(v.shape.num_elements() or 0)
        return total

    # -- losses -----------------------------------------------------------------------------
    def add_loss(self, loss):
        if not self.__dict__["_losses"]:
            _CTX.loss_owners.append((self, _CTX.outer or self))
        self.__dict__["_losses"].append(loss)

    @property
    def losses(self):
        out = []
        for layer in self._flatten_layers():
            out.extend(layer.__dict__["_losses"])
            out.extend(reg(var) for var, reg in layer.__dict__["_regularized"])
        return out

    # -- calling ----------------------------------------------------------------------------
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_records_shapes", False):
            cls.build = _recording_build(build)
        config = cls.__dict__.get("get_config")
        if config is not None and not getattr(config, "_keras_ordered", False):
            cls.get_config = _keras_ordered(config)

    def build(self, input_shape):
        self.__dict__["_build_shapes"] = input_shape
        self.built = True

    def get_build_config(self):
        """The shapes the layer was built with, as Keras saves them (``{"input_shape": ...}``,
        shapes as tuples), or ``None`` while it is not built."""
        if not self.built:
            return None
        return {"input_shape": _shape_tuples(self.__dict__.get("_build_shapes"))}

    def build_from_config(self, config):
        """Build the layer from :meth:`get_build_config`'s record (nothing for an empty one)."""
        if not config:
            return
        if "input_shape" in config:
            self.build(config["input_shape"])
        elif "shapes_dict" in config:
            self.build(**config["shapes_dict"])

    def call(self, inputs, *args, **kwargs):
        return inputs

    # Layers whose Keras call mixes the inputs with float weights or means: there an integer
    # or bool tensor comes out in the compute dtype (TF 2.21: Dense(int32 tensor) is float32,
    # ReLU / Flatten / Concatenate of it stay int32, Conv1D of it raises InvalidArgumentError).
    _promotes_int_inputs = False

    def _convert(self, x):
        want = self.__dict__.get("_compute") or self.__dict__["_dtype"]
        if isinstance(x, TensorBase):
            kind = x._v.dtype.kind
            if want.is_floating and x._v.dtype != want._np and (
                    (self._autocast and kind == "f")
                    or (self._promotes_int_inputs and kind in "biu")):
                return M.cast(x, want)
            return x if not isinstance(x, Variable) else x.value()
        if x is None or isinstance(x, (str, bool)):
            return x
        t = convert_to_tensor(x)
        # NOTE: like Keras 3, NumPy/Python numbers (ints included) become the layer's float
        # dtype; tensors keep integer dtypes and only floats are autocast.
        if want.is_floating and t._v.dtype.kind in "fiu" and t._v.dtype != want._np:
            t = M.cast(t, want)
        return t

    def _maybe_build(self, inputs):
        shapes = nest.map_structure(
            lambda t: t.shape if isinstance(t, TensorBase) else None, inputs)
        if not self.built:
            self.build(shapes)
            self.built = True
            self.__dict__["_build_shapes"] = shapes

    def __call__(self, *args, **kwargs):
        if "_dtype" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}.__init__ did not call "
                               "`super().__init__()`; a Layer or Model subclass must call it "
                               "before use.")
        if args:
            inputs, args = args[0], args[1:]
        else:
            first = first_call_argument(type(self))
            if first not in kwargs:
                raise TypeError(f"{type(self).__name__}.call() missing its first argument "
                                f"'{first}' (the layer's inputs).")
            inputs = kwargs.pop(first)
        from .input_layer import KerasTensor  # cycle: layers.input_layer imports this module

        if (args or kwargs) and _has_keras_tensor((*args, *kwargs.values()), KerasTensor):
            return self._symbolic_call(inputs, args, kwargs)  # e.g. mha(query, value=h)
        if isinstance(inputs, TensorBase) and not isinstance(inputs, Variable):
            flat = (inputs,)
            inputs = self._convert(inputs)
        else:
            flat = nest.flatten(inputs)
            if any(isinstance(x, KerasTensor) for x in flat):
                return self._symbolic_call(inputs, args, kwargs)
            if isinstance(inputs, list) and flat and all(
                    isinstance(x, (int, float)) and not isinstance(x, bool) for x in flat):
                inputs = self._convert(inputs)  # a nested list of numbers is one tensor
            else:
                inputs = nest.map_structure(self._convert, inputs)
        if not self.built:
            self._maybe_build(inputs)
        spec = self.input_spec
        if spec is not None:
            specs = spec if isinstance(spec, (list, tuple)) else [spec]
            for i, (s, x) in enumerate(zip(specs, nest.flatten(inputs))):
                if s is not None and isinstance(x, TensorBase):
                    s.check(self, i, x._v.shape)
        ctx = _CTX
        training = kwargs.get("training", _MISSING)
        if _call_takes_training(type(self)):
            if (training is _MISSING or training is None) and ctx.training is not None:
                kwargs["training"] = ctx.training
        elif training is not _MISSING:
            del kwargs["training"]
        outermost = ctx.depth == 0
        if outermost:
            ctx.outer = self
            if _CTX.loss_owners:  # a new outer call replaces the losses of its previous one
                keep = []
                for owner, outer in _CTX.loss_owners:
                    if outer is self:
                        owner.__dict__["_losses"].clear()
                    else:
                        keep.append((owner, outer))
                _CTX.loss_owners[:] = keep
        prev = ctx.training
        if training is not _MISSING and training is not None:
            ctx.training = training
        ctx.depth += 1
        try:
            if self.__dict__.get("_compute") is None:
                outputs = self.call(inputs, *args, **kwargs)
            else:
                outputs = _mixed_call(self, inputs, args, kwargs)
        finally:
            ctx.depth -= 1
            ctx.training = prev
            if outermost:
                ctx.outer = None
        if self._passes_mask and isinstance(outputs, TensorBase) and isinstance(inputs,
                                                                               TensorBase):
            from .masking import keep_mask  # cycle: layers.masking imports this module

            outputs = keep_mask(outputs, inputs)
        if self.activity_regularizer is not None:
            for out in nest.flatten(outputs):
                if isinstance(out, TensorBase):
                    loss = self.activity_regularizer(out)
                    if out.ndim > 0:  # Keras 3.15: the activity loss is per example
                        loss = M.divide_no_nan(loss, M.cast(out._v.shape[0], loss.dtype))
                    self.add_loss(loss)
        if self.__dict__["_output_shape"] is None:
            self.__dict__["_output_shape"] = nest.map_structure(
                lambda t: tuple(t.shape) if isinstance(t, TensorBase) else None, outputs)
        return outputs

    def _symbolic_call(self, inputs, args, kwargs):
        from .input_layer import KerasTensor, Node  # cycle: layers.input_layer imports this module

        flat = [x for x in nest.flatten((inputs, args, kwargs)) if isinstance(x, KerasTensor)]

        def dummy(structure):
            return nest.map_structure(
                lambda x: x._dummy() if isinstance(x, KerasTensor) else x, structure)

        owners_before = len(_CTX.loss_owners)
        _CTX.symbolic += 1
        try:
            out = self(dummy(inputs), *dummy(tuple(args)), **dummy(dict(kwargs)))
        finally:
            _CTX.symbolic -= 1
        for owner, _ in _CTX.loss_owners[owners_before:]:
            owner.__dict__["_losses"].clear()
        del _CTX.loss_owners[owners_before:]
        unknown_batch = any(x.shape and x.shape[0] is None for x in flat)
        outputs = nest.map_structure(
            lambda t: KerasTensor(((None,) + tuple(t.shape)[1:]) if unknown_batch and t.ndim
                                  else tuple(t.shape), t.dtype), out)
        node = Node(self, inputs, args, kwargs, outputs)
        for i, kt in enumerate(nest.flatten(outputs)):
            kt._node, kt._index = node, i
        self.__dict__["_inbound_nodes"].append(node)
        self.__dict__["_output_shape"] = nest.map_structure(lambda k: k.shape, outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape`` (a dummy forward pass unless overridden)."""
        from .input_layer import KerasTensor  # cycle: layers.input_layer imports this module

        def sym(s):
            return KerasTensor(tuple(s), self.dtype)

        if isinstance(input_shape, (list, tuple)) and input_shape and \
                isinstance(input_shape[0], (list, tuple, TensorShape)):
            ins = [sym(s) for s in input_shape]
        else:
            ins = sym(input_shape)
        dummies = nest.map_structure(lambda k: k._dummy(), ins)
        out = self(dummies)
        known_batch = not (tuple(nest.flatten(input_shape))[:1] == (None,))
        return nest.map_structure(
            lambda t: tuple(t.shape) if known_batch else (None,) + tuple(t.shape)[1:], out)

    @property
    def output_shape(self):
        shape = self.__dict__["_output_shape"]
        if shape is None:
            raise AttributeError(f"The layer {self.name} has never been called and thus has no "
                                 "defined output shape.")
        return shape

    @property
    def input(self):
        nodes = self.__dict__["_inbound_nodes"]
        if not nodes:
            raise AttributeError(f"Layer {self.name} is not connected, no input to return.")
        return nodes[0].inputs

    @property
    def output(self):
        nodes = self.__dict__["_inbound_nodes"]
        if not nodes:
            raise AttributeError(f"Layer {self.name} has no inbound nodes.")
        return nodes[0].outputs

    # -- config -----------------------------------------------------------------------------
    def get_config(self):
        """``name``, ``trainable`` and the dtype policy, as Keras 3's base layer writes them
        (subclasses add their constructor arguments)."""
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": dtype_policy_config(self)}
        if type(self) is Layer:  # Keras's plain Layer lists its own arguments too
            config = {"name": self.name, "activity_regularizer": regularizers.serialize(
                self.activity_regularizer), "trainable": self.trainable,
                "dtype": config["dtype"], "autocast": self.__dict__["_autocast"]}
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _shape_tuples(shapes):
    """TensorShapes in a (nested) build record as tuples, as Keras records them."""
    if isinstance(shapes, TensorShape):
        return None if shapes.rank is None else tuple(shapes.as_list())
    if isinstance(shapes, dict):
        return {k: _shape_tuples(v) for k, v in shapes.items()}
    if isinstance(shapes, list):
        return [_shape_tuples(v) for v in shapes]
    if isinstance(shapes, tuple) and any(isinstance(v, (TensorShape, list, tuple, dict))
                                         for v in shapes):
        return tuple(_shape_tuples(v) for v in shapes)
    return shapes


def _recording_build(build):
    """A subclass's ``build`` that, as in Keras, records the shape it was called with (what
    ``get_build_config`` and saved files report) and marks the layer built."""
    @functools.wraps(build)
    def recording_build(self, *args, **kwargs):
        out = build(self, *args, **kwargs)
        given = args + tuple(kwargs.values())
        if len(given) == 1 and given[0] is not None:
            self.__dict__["_build_shapes"] = given[0]
        self.built = True
        return out

    recording_build._records_shapes = True
    return recording_build


# While ``load_model`` builds a model from a file, the bytes of the variables its layers may
# create are bounded by what the file's weights could fill (keras/saving): a small file whose
# config asks for Dense(10**9) is refused before the allocation, never an out-of-memory kill.
_budget = threading.local()


@contextlib.contextmanager
def creation_budget(nbytes, source):
    """Bound the bytes of the variables layers create in this thread (``source`` names the
    file in the error)."""
    previous = getattr(_budget, "left", None)
    _budget.left = [int(nbytes), source]
    try:
        yield
    finally:
        _budget.left = previous


def _take_budget(shape, dtype, layer, name):
    left = getattr(_budget, "left", None)
    if left is None:
        return
    need = _math.prod(shape) * dtype._np.itemsize if shape else dtype._np.itemsize
    if need > left[0]:
        raise ValueError(
            f"Could not load '{left[1]}': layer '{layer}' asks for a variable '{name}' of shape "
            f"{tuple(shape)} ({need} bytes), more than the file's weights could fill; refusing "
            "to allocate it (a damaged or hostile config?).")
    left[0] -= need
