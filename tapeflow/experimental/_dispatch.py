"""``tf.experimental.dispatch_for_api`` and its elementwise variants: run a user function
instead of a tapeflow API when the call's arguments match the registered types; also
``enable_strict_mode``, ``async_scope`` and ``async_clear_error`` (no-ops in eager mode).

NOTE: tapeflow's ops carry no dispatch check, so an op nobody registered for costs nothing.
Registering for an API swaps, in every loaded ``tapeflow`` module namespace that binds it
(``tf.add``, ``tf.math.add``, the defining module...), the function for a wrapper that checks
the registered signatures and otherwise calls the original; when the last target is
unregistered the original goes back everywhere. A reference taken before registration
(``add = tf.add``) keeps the undispatched function.
"""
import contextlib
import functools
import inspect
import sys
import types
import typing

# the elementwise APIs of TF 2.21 that tapeflow has (those missing here are skipped)
UNARY_ELEMENTWISE_APIS = (
    "math.abs", "math.acos", "math.acosh", "math.angle", "math.asin", "math.asinh",
    "math.atan", "math.atanh", "math.bessel_i0", "math.bessel_i0e", "math.bessel_i1",
    "math.bessel_i1e", "math.ceil", "math.conj", "math.cos", "math.cosh", "math.digamma",
    "math.erf", "math.erfc", "math.erfcinv", "math.erfinv", "math.exp", "math.expm1",
    "math.floor", "math.imag", "math.is_finite", "math.is_inf", "math.is_nan", "math.lgamma",
    "math.log", "math.log1p", "math.log_sigmoid", "math.logical_not", "math.ndtri",
    "math.negative", "math.nextafter", "math.real", "math.reciprocal",
    "math.reciprocal_no_nan", "math.rint", "math.round", "math.rsqrt", "math.sigmoid",
    "math.sign", "math.sin", "math.sinh", "math.softplus", "math.softsign", "math.sqrt",
    "math.square", "math.tan", "math.tanh", "math.special.bessel_j0",
    "math.special.bessel_j1", "math.special.bessel_k0", "math.special.bessel_k0e",
    "math.special.bessel_k1", "math.special.bessel_k1e", "math.special.bessel_y0",
    "math.special.bessel_y1", "math.special.dawsn", "math.special.expint",
    "math.special.fresnel_cos", "math.special.fresnel_sin", "math.special.spence", "cast",
    "saturate_cast", "zeros_like", "ones_like", "clip_by_value", "nn.elu", "nn.gelu",
    "nn.leaky_relu", "nn.log_softmax", "nn.relu", "nn.relu6", "nn.selu", "nn.silu",
    "bitwise.invert", "debugging.check_numerics", "image.adjust_brightness",
    "image.adjust_gamma", "image.convert_image_dtype", "image.random_brightness",
    "image.stateless_random_brightness", "io.decode_base64", "io.decode_compressed",
    "io.encode_base64", "strings.as_string", "strings.length", "strings.lower",
    "strings.regex_full_match", "strings.regex_replace", "strings.strip", "strings.substr",
    "strings.to_hash_bucket", "strings.to_hash_bucket_fast", "strings.to_hash_bucket_strong",
    "strings.to_number", "strings.unicode_script", "strings.unicode_transcode",
    "strings.upper")
BINARY_ELEMENTWISE_APIS = (
    "math.add", "math.subtract", "math.multiply", "math.divide", "math.truediv",
    "math.floordiv", "math.floormod", "realdiv", "truncatediv", "truncatemod", "math.pow",
    "math.maximum", "math.minimum", "math.squared_difference", "math.xlogy", "math.xdivy",
    "math.xlog1py", "math.zeta", "math.atan2", "math.equal", "math.not_equal",
    "math.greater", "math.greater_equal", "math.less", "math.less_equal",
    "math.logical_and", "math.logical_or", "math.logical_xor", "math.divide_no_nan",
    "math.multiply_no_nan", "math.scalar_mul", "dtypes.complex", "complex",
    "bitwise.bitwise_and", "bitwise.bitwise_or", "bitwise.bitwise_xor",
    "bitwise.left_shift", "bitwise.right_shift", "nn.sigmoid_cross_entropy_with_logits")
BINARY_ELEMENTWISE_ASSERT_APIS = (
    "debugging.assert_equal", "debugging.assert_greater", "debugging.assert_greater_equal",
    "debugging.assert_less", "debugging.assert_less_equal", "debugging.assert_near",
    "debugging.assert_none_equal")

# argument types that never trigger a dispatch by themselves (what an op takes anyway)
_PLAIN = (int, float, complex, bool, str, bytes, type(None))


class _Api:
    """One dispatchable API: its original function, the wrapper standing in for it while any
    target is registered, and the targets as ``(target, matches)`` pairs."""

    def __init__(self, original):
        self.original = original
        self.signature = inspect.signature(original)
        self.targets = []
        state = self

        @functools.wraps(original)
        def dispatching(*args, **kwargs):
            return state.call(args, kwargs)

        dispatching._tf_dispatch_api = self
        self.wrapper = dispatching

    def call(self, args, kwargs):
        found = None
        bound = None
        for target, matches in self.targets:
            if bound is None:
                try:
                    bound = self.signature.bind(*args, **kwargs).arguments
                except TypeError:
                    break  # the original raises Python's error for the bad call
            if matches(bound):
                if found is not None:
                    raise ValueError(
                        f"Multiple dispatch targets that were registered with tf.dispatch_for "
                        f"({found!r} and {target!r}) match the arguments to "
                        f"{self.original.__name__}")
                found = target
        if found is None:
            return self.original(*args, **kwargs)
        return found(*args, **kwargs)

    def add(self, target, matches):
        if not self.targets:
            _rebind(self.original, self.wrapper, self.original.__name__)
        self.targets.append((target, matches))

    def remove(self, target):
        n = len(self.targets)
        self.targets = [(t, m) for t, m in self.targets if t is not target
                        and getattr(t, "_tf_handler", None) is not target]
        if n and not self.targets:
            _rebind(self.wrapper, self.original, self.original.__name__)
        return len(self.targets) != n


_APIS = {}  # id(original function) -> _Api
_ELEMENTWISE = {"unary": {}, "binary": {}, "assert": {}}  # types -> handler


def _tapeflow_modules():
    return [m for name, m in list(sys.modules.items())
            if isinstance(m, types.ModuleType) and (name == "tapeflow"
                                                    or name.startswith("tapeflow."))]


def _same(v, api):
    return v is api or isinstance(api, types.MethodType) and isinstance(
        v, types.MethodType) and v == api


def _namespace_objects():
    """The namespaces that are objects, not modules (``tf.debugging``, ``tf.config``)."""
    top = sys.modules.get("tapeflow")
    return [] if top is None else [
        v for v in list(vars(top).values()) if not isinstance(v, (types.ModuleType, type))
        and type(v).__module__.startswith("tapeflow") and type(v).__name__.startswith("_")
        and hasattr(v, "__dict__")]


def _exposed(api):
    """Whether a loaded tapeflow namespace exposes ``api``."""
    if any(_same(v, api) for m in _tapeflow_modules() for v in list(m.__dict__.values())):
        return True
    name = getattr(api, "__name__", None)
    return name is not None and any(_same(getattr(o, name, None), api)
                                    for o in _namespace_objects())


def _rebind(old, new, name):
    """Bind ``new`` wherever a loaded tapeflow namespace binds ``old``."""
    for m in _tapeflow_modules():
        d = m.__dict__
        for k, v in list(d.items()):
            if _same(v, old):
                d[k] = new
    for o in _namespace_objects():
        if o.__dict__.get(name) is old:
            del o.__dict__[name]  # the class's own method shows through again
        elif _same(getattr(o, name, None), old):
            o.__dict__[name] = new


def _api_state(api):
    state = getattr(api, "_tf_dispatch_api", None)
    if state is not None:
        return state
    key = _key(api)
    state = _APIS.get(key)
    if state is not None and _same(state.original, api):
        return state
    if not isinstance(api, (types.FunctionType, types.MethodType)) or not _exposed(api):
        raise ValueError(f"{api!r} does not support dispatch.")
    state = _APIS[key] = _Api(api)
    return state


def _key(api):
    return id(getattr(api, "__self__", None)), id(getattr(api, "__func__", api))


def _type_check(ann):
    """A predicate for values of dispatch annotation ``ann`` (a type, ``List[...]`` or
    ``Union[...]``/``Optional[...]``)."""
    if isinstance(ann, type):
        return lambda v: isinstance(v, ann)
    origin = typing.get_origin(ann)
    if origin is typing.Union or isinstance(ann, types.UnionType):
        checks = [_type_check(a) for a in typing.get_args(ann)]
        return lambda v: any(c(v) for c in checks)
    if origin is list and len(typing.get_args(ann)) == 1:
        item = _type_check(typing.get_args(ann)[0])
        return lambda v: isinstance(v, (list, tuple)) and all(item(x) for x in v)
    raise ValueError(f"Type annotation {ann!r} is not currently supported by dispatch.  "
                     f"Supported annotations: type objects,  List[...], and Union[...]")


def _dispatchable(value):
    """Whether ``value`` is of a type an op would not take as it is (an extension type...):
    only such values trigger a dispatch."""
    if isinstance(value, (list, tuple)):
        return any(_dispatchable(v) for v in value)
    from ..tensor import TensorBase

    if isinstance(value, (TensorBase,) + _PLAIN):
        return False
    return not (hasattr(value, "__array__") and hasattr(value, "dtype"))


def _matcher(signature):
    checks = [(name, _type_check(ann)) for name, ann in signature.items()]

    def matches(bound):
        hit = False
        for name, check in checks:
            if name not in bound:
                return False
            v = bound[name]
            if not check(v):
                return False
            hit = hit or _dispatchable(v)
        return hit

    return matches


def _params_text(sig):
    return str(sig.replace(parameters=[p.replace(annotation=inspect.Parameter.empty)
                                       for p in sig.parameters.values()],
                           return_annotation=inspect.Signature.empty))


def dispatch_for_api(api, *signatures):
    """Decorator: call the decorated function instead of ``api`` when the arguments match
    one of ``signatures`` (dicts from parameter name to a type, ``typing.List[...]`` or
    ``typing.Union[...]``), or, with none given, the decorated function's own parameter
    annotations. At least one matched argument must be of a type the op would not take as
    it is (such as an extension type).

    >>> import tapeflow as tf
    >>> class Box(tf.experimental.ExtensionType):
    ...     v: tf.Tensor
    >>> @tf.experimental.dispatch_for_api(tf.math.add, {"x": Box, "y": Box})
    ... def box_add(x, y, name=None):
    ...     return Box(x.v + y.v)
    >>> int(tf.add(Box(1), Box(2)).v)
    3
    >>> tf.experimental.unregister_dispatch_for(box_add)

    Args:
      api: the tapeflow API function (``tf.math.add``...).
      *signatures: the argument types to dispatch on.

    Returns:
      A decorator registering its function and returning it unchanged.
    """
    state = _api_state(api)
    api_sig = state.signature
    for sig in signatures:
        for name in sig:
            if name not in api_sig.parameters:
                raise ValueError(f"signature includes annotation for unknown parameter "
                                 f"{name!r}.")
        for ann in sig.values():
            _type_check(ann)

    def decorator(target):
        target_sig = inspect.signature(target)
        sigs = list(signatures)
        if not sigs:
            sig = {n: p.annotation for n, p in target_sig.parameters.items()
                   if p.annotation is not inspect.Parameter.empty}
            if not sig:
                raise ValueError("The dispatch_for_api decorator must be called with at least "
                                 "one signature, or applied to a function that has type "
                                 "annotations on its parameters.")
            for ann in sig.values():
                _type_check(ann)
            sigs = [sig]
        if _params_text(target_sig) != _params_text(api_sig):
            raise ValueError(f"Dispatch function's signature {_params_text(target_sig)} does not "
                             f"match API's signature {_params_text(api_sig)}.")
        for sig in sigs:
            state.add(target, _matcher(sig))
        return target

    return decorator


def _resolve_apis(names):
    import tapeflow

    out = []
    for name in names:
        obj = tapeflow
        try:
            for part in name.split("."):
                obj = getattr(obj, part)
        except (AttributeError, ImportError):
            continue
        state = getattr(obj, "_tf_dispatch_api", None)
        if state is not None:
            obj = state.original
        if isinstance(obj, (types.FunctionType, types.MethodType)) and all(
                not _same(o, obj) for o in out):
            out.append(obj)
    return out


def _elementwise(kind, types_, names):
    registry = _ELEMENTWISE[kind]
    label = {"unary": "unary elementwise", "binary": "binary elementwise",
             "assert": "binary elementwise assert"}[kind]

    def decorator(handler):
        checks = [_type_check(t) for t in types_]
        if types_ in registry:
            key = types_[0] if kind == "unary" else f"({types_[0]}, {types_[1]})"
            raise ValueError(f"A {label} dispatch handler ({registry[types_]!r}) has already "
                             f"been registered for {key}.")
        registry[types_] = handler
        for api in _resolve_apis(names):
            try:
                state = _api_state(api)
            except ValueError:  # not one of tapeflow's public functions
                continue
            params = list(state.signature.parameters)[:len(checks)]
            state.add(_elementwise_target(state, handler, params), _positional_matcher(
                params, checks))
        return handler

    return decorator


def _positional_matcher(params, checks):
    def matches(bound):
        hit = False
        for name, check in zip(params, checks):
            if name not in bound or not check(bound[name]):
                return False
            hit = hit or _dispatchable(bound[name])
        return hit

    return matches


def _elementwise_target(state, handler, params):
    api = state.original

    def target(*args, **kwargs):
        bound = state.signature.bind(*args, **kwargs).arguments
        values = [bound.pop(p) for p in params]
        if not bound:
            return handler(api, *values)
        return handler(lambda *xs: api(*xs, **bound), *values)

    target._tf_handler = handler
    return target


def dispatch_for_unary_elementwise_apis(x_type):
    """Decorator: ``handler(api_func, x)`` runs for every unary elementwise API
    (``tf.math.abs``, ``tf.cast``, ``tf.nn.relu``...) called with an ``x`` of ``x_type``;
    ``api_func`` is the API with the call's other arguments bound.

    Args:
      x_type: the type (or ``typing.Union``) of ``x`` to dispatch on.

    Returns:
      A decorator registering its handler and returning it unchanged.
    """
    return _elementwise("unary", (x_type,), UNARY_ELEMENTWISE_APIS)


def dispatch_for_binary_elementwise_apis(x_type, y_type):
    """Decorator: ``handler(api_func, x, y)`` runs for every binary elementwise API
    (``tf.math.add``, ``tf.math.maximum``, ``tf.math.equal``...) called with ``x`` of
    ``x_type`` and ``y`` of ``y_type``.

    Args:
      x_type: the type (or ``typing.Union``) of the first argument.
      y_type: the type (or ``typing.Union``) of the second argument.

    Returns:
      A decorator registering its handler and returning it unchanged.
    """
    return _elementwise("binary", (x_type, y_type), BINARY_ELEMENTWISE_APIS)


def dispatch_for_binary_elementwise_assert_apis(x_type, y_type):
    """Decorator: ``handler(assert_func, x, y)`` runs for every binary elementwise assertion
    (``tf.debugging.assert_equal``, ``assert_less``...) called with ``x`` of ``x_type`` and
    ``y`` of ``y_type``.

    Args:
      x_type: the type (or ``typing.Union``) of the first argument.
      y_type: the type (or ``typing.Union``) of the second argument.

    Returns:
      A decorator registering its handler and returning it unchanged.
    """
    return _elementwise("assert", (x_type, y_type), BINARY_ELEMENTWISE_ASSERT_APIS)


def unregister_dispatch_for(dispatch_target):
    """Undo every registration of ``dispatch_target`` (a ``dispatch_for_api`` target or an
    elementwise handler); an API left with no target is the plain function again.

    Args:
      dispatch_target: the registered function.

    Raises:
      ValueError: ``dispatch_target`` was not registered.
    """
    found = False
    for state in list(_APIS.values()):
        found = state.remove(dispatch_target) or found
    for registry in _ELEMENTWISE.values():
        for key, handler in list(registry.items()):
            if handler is dispatch_target:
                del registry[key]
                found = True
    if not found:
        raise ValueError(f"Function {dispatch_target!r} was not registered using a "
                         f"`@dispatch_for_*` decorator.")


def enable_strict_mode():
    """Turn on TF's strict mode (deprecated behaviours raise). Eager tapeflow has none of
    them, so this does nothing, as in TF's eager mode."""


@contextlib.contextmanager
def async_scope():
    """A context in which TF may run ops asynchronously. tapeflow's eager ops are
    synchronous, so it changes nothing; it yields None, as TF does."""
    yield None


def async_clear_error():
    """Clear a pending error of asynchronous execution. tapeflow never runs ops
    asynchronously, so there is none to clear."""
