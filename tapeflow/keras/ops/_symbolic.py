"""``keras.ops`` on symbolic tensors: a call whose arguments hold a ``KerasTensor`` becomes a
node of the functional graph, as Keras 3 records an ``Operation`` (``add (Add)`` in
``summary()``). The node is a small layer that replays the op on the real tensors; its output
shape comes from running the op once on stand-in zeros, as for any layer."""
import functools

from .. import backend
from ..layers.base import Layer
from ..layers.input_layer import KerasTensor

# ops that answer from the static shape and dtype, as Keras's do (no graph node)
STATIC = frozenset(["shape", "dtype", "ndim", "is_tensor", "convert_to_numpy",
                    "is_keras_tensor"])


class OpLayer(Layer):
    """One ``keras.ops`` call in a functional graph (its class is named after the op)."""

    _op = None

    def __init__(self, name=None, **kwargs):
        super().__init__(name=name or backend.unique_name(type(self)._op_name),
                         autocast=False, **kwargs)

    def _convert(self, x):  # the op's own arguments, untouched (no cast to the layer dtype)
        return x

    def call(self, inputs):
        return type(self)._op(*inputs["args"], **inputs["kwargs"])


_CLASSES = {}


def _op_class(fn, name):
    cls = _CLASSES.get(fn)
    if cls is None:
        camel = "".join(part[:1].upper() + part[1:] for part in name.split("_"))
        cls = _CLASSES[fn] = type(camel, (OpLayer,), {
            "_op": staticmethod(fn), "_op_name": name, "__module__": OpLayer.__module__,
            "__doc__": f"The ``keras.ops.{name}`` call of a functional graph."})
    return cls


def _holds_keras_tensor(args, kwargs):
    for group in (args, kwargs.values()):
        for a in group:
            if isinstance(a, KerasTensor):
                return True
            if isinstance(a, (list, tuple)) and any(isinstance(b, KerasTensor) for b in a):
                return True
    return False


def symbolic(fn, name):
    """``fn`` (``keras.ops.<name>``) that, given a KerasTensor among its arguments, adds its
    call to the graph."""
    @functools.wraps(fn)
    def op(*args, **kwargs):
        if _holds_keras_tensor(args, kwargs):
            return _op_class(fn, name)()({"args": args, "kwargs": kwargs})
        return fn(*args, **kwargs)

    op._symbolic = True
    return op


# the static answers for a KerasTensor
_STATIC_OF = {"shape": lambda x: x.shape, "ndim": lambda x: len(x.shape),
              "dtype": lambda x: x.dtype.name}


def _static(fn, name):
    answer = _STATIC_OF[name]

    @functools.wraps(fn)
    def op(x, *args, **kwargs):
        return answer(x) if isinstance(x, KerasTensor) else fn(x, *args, **kwargs)

    op._symbolic = True
    return op


def install(module):
    """Make every public ``keras.ops`` function of ``module`` graph-aware, in place."""
    for name, obj in list(vars(module).items()):
        if (callable(obj) and not isinstance(obj, type) and not name.startswith("_")
                and not getattr(obj, "_symbolic", False)
                and getattr(obj, "__module__", "").startswith("tapeflow.keras.ops")):
            if name in _STATIC_OF:
                setattr(module, name, _wrapped(obj, _static, name))
            elif name not in STATIC:
                setattr(module, name, _wrapped(obj, symbolic, name))


_WRAPPED = {}


def _wrapped(fn, how, name):
    # one wrapper per function, shared by every namespace that exposes it
    w = _WRAPPED.get(fn)
    if w is None:
        w = _WRAPPED[fn] = how(fn, name)
    return w
