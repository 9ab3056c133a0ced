"""The object graph of a checkpoint, named as TensorFlow 2.21 (with Keras 3) names it.

Every trackable object has named children: a ``tf.Module``'s attributes, a list's indices, a
dict's keys, a Keras layer's tracked attributes (``_kernel`` for Dense/Conv, as Keras 3), a
Sequential's ``_functional/_operations/<i>``, an optimizer's ``_iterations``,
``_learning_rate``, ``_variables/<i>`` and ``_trainable_variables/<i>``. A breadth-first walk
from the root names each object by its first (shortest) path, exactly as TF does, so the keys
are TF's (``model/_functional/_operations/1/_kernel/.ATTRIBUTES/VARIABLE_VALUE``).
"""
import sys

from ..backend import host as np
from ..backend import to_host, xp_of
from ..module import Module
from ..variable import Variable
from .experimental import PythonState

VARIABLE_VALUE = "VARIABLE_VALUE"
ITERATOR_STATE = "ITERATOR_STATE"
PY_STATE = "py_state"

# Keras 3 stores these weights under a private attribute (a property serves the public name);
# its transposed, depthwise and separable convolutions keep the public names
_KERAS_PRIVATE = {"kernel": "_kernel", "embeddings": "_embeddings"}
_PRIVATE_KINDS = ("Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D", "Embedding")
_LAYER_SKIP = frozenset(["_layers_list", "_functional_layers", "output_names", "input_names",
                         "_inbound_nodes", "_outbound_nodes", "_losses", "_param_axes",
                         "_bshape"])


def _keras(name):
    return sys.modules.get(name)


def is_layer(obj):
    base = _keras("tapeflow.keras.layers.base")
    return base is not None and isinstance(obj, base.Layer)


def is_optimizer(obj):
    base = _keras("tapeflow.keras.optimizers.base")
    return base is not None and isinstance(obj, base.Optimizer)


def is_iterator(obj):
    data = _keras("tapeflow.data.dataset")
    return data is not None and type(obj) is data.OwnedIterator


class Leaf:
    """A value the checkpoint stores that is not a tapeflow Variable: one optimizer slot
    (tapeflow keeps slots as arrays), Nadam's momentum product, an iterator's position."""

    __slots__ = ("get", "set", "shape", "dtype", "name", "attribute")

    def __init__(self, get, set_, shape, dtype, name, attribute=VARIABLE_VALUE):
        self.get, self.set, self.shape, self.dtype = get, set_, shape, dtype
        self.name, self.attribute = name, attribute

    def __repr__(self):
        return f"<checkpoint value '{self.name}' shape={self.shape} dtype={self.dtype}>"


class _Node:
    """A container TF tracks that tapeflow does not have as an object (a Sequential's
    ``_functional``, a functional model's input layer): only its children."""

    __slots__ = ("items",)

    def __init__(self, items=()):
        self.items = list(items)


def _slot_leaf(opt, var, j):
    def get():
        return to_host(opt._state[id(var)][1][j])

    def set_(a):
        opt._state[id(var)][1][j] = xp_of(var._v).asarray(a, dtype=var._v.dtype)

    return Leaf(get, set_, tuple(var.shape), np.dtype(var._v.dtype).name, f"{var.name}_slot")


def _u_product_leaf(opt):
    def set_(a):
        opt._u_product = float(a)
        opt._u_step = int(opt.iterations._v)

    return Leaf(lambda: np.asarray(opt._u_product, np.float32), set_, (), "float32",
                f"{opt.name}/u_product")


def optimizer_children(opt):
    from ..keras.saving._weights import _slot_layout  # deferred: tf.train loads no keras

    var_list = [v for v, _ in opt._state.values()]
    variables, extra = [opt.iterations, opt._lr], []
    if var_list:
        layout, nadam = _slot_layout(opt, var_list)
        variables += [_slot_leaf(opt, var_list[j], i) for j, i in layout]
        if nadam:  # Keras 3 tracks Nadam's momentum product by name, not in _variables
            extra.append(("_u_product", _u_product_leaf(opt)))
    return [("_variables", variables), ("_trainable_variables", var_list),
            ("_iterations", opt.iterations), ("_learning_rate", opt._lr)] + extra


def _layer_children(layer):
    out = _own_layer_children(layer)
    opt = layer.__dict__.get("optimizer")  # a compiled model's
    if opt is not None and is_optimizer(opt):
        out.append(("optimizer", opt))
    return out


def _own_layer_children(layer):
    d = layer.__dict__
    kinds = [c.__name__ for c in type(layer).__mro__]
    out = []
    if "Sequential" in kinds:
        if layer.built:
            ops = [_Node()] + list(layer.layers)  # Keras 3 puts the InputLayer first
            out.append(("_functional", _Node([("_operations", ops)])))
    elif "Functional" in kinds:
        out.append(("_operations", list(layer.layers)))
    private = any(c.__name__ in _PRIVATE_KINDS for c in type(layer).__mro__)
    for name in d.get("_tracked", ()):
        if name in _LAYER_SKIP or name not in d:
            continue
        value = d[name]
        if value is None or value is layer:
            continue
        if private and name in _KERAS_PRIVATE:
            name = _KERAS_PRIVATE[name]
        out.append((name, value))
    return out


def _iterator_leaf(it):
    def get():
        return np.asarray([it.__dict__.get("_ckpt_position", 0)], np.int64)

    def set_(a):
        restore_iterator(it, int(np.asarray(a).reshape(-1)[0]))

    return Leaf(get, set_, (1,), "int64", "iterator", ITERATOR_STATE)


def restore_iterator(it, position):
    """Continue ``it`` at ``position``: a fresh pass over its dataset, ``position`` elements
    skipped (the same elements as TF for deterministic pipelines)."""
    dataset = it.__dict__.get("_ckpt_dataset")
    if dataset is None:
        raise ValueError("This iterator cannot be restored: it was not created by iter(dataset).")
    gen = dataset._elements()
    for _ in range(position):
        next(gen)
    it._gen = gen
    it._ckpt_position = position


def children(obj):
    """``[(local name, child)]`` of a trackable object, in TF's order; [] for leaves."""
    if isinstance(obj, (Variable, Leaf)):
        return []
    if isinstance(obj, _Node):
        return obj.items
    if isinstance(obj, (list, tuple)):
        return [(str(i), v) for i, v in enumerate(obj) if is_trackable(v)]
    if isinstance(obj, dict):
        return [(str(k), obj[k]) for k in sorted(obj, key=str) if is_trackable(obj[k])]
    if is_layer(obj):
        out = _layer_children(obj)
        return [(n, v) for n, v in out if is_trackable(v)]
    if is_optimizer(obj):
        return optimizer_children(obj)
    ckpt = getattr(obj, "_checkpoint_children", None)
    if ckpt is not None:
        return ckpt()
    if isinstance(obj, Module):
        ignored = obj._TF_MODULE_IGNORED
        return [(k, v) for k, v in vars(obj).items()
                if k not in ignored and v is not obj and is_trackable(v)]
    return []


def is_trackable(value):
    if isinstance(value, (Variable, Module, Leaf, _Node, PythonState)) or is_optimizer(value) or \
            is_iterator(value) or hasattr(value, "_checkpoint_children"):
        return True
    if isinstance(value, (list, tuple)):
        return any(is_trackable(v) for v in value)
    if isinstance(value, dict):
        return any(is_trackable(v) for v in value.values())
    return False


def escape(name):
    return name.replace(".", "..").replace("/", ".S")


def value_key(path, attribute=VARIABLE_VALUE):
    return "/".join(escape(p) for p in path) + f"/.ATTRIBUTES/{attribute}"


def value_of(obj):
    """The Variable or Leaf holding ``obj``'s checkpointed value, or None."""
    if isinstance(obj, (Variable, Leaf)):
        return obj
    if is_iterator(obj):
        return _iterator_leaf(obj)
    if isinstance(obj, PythonState):
        return _python_state_leaf(obj)
    return None


def _python_state_leaf(obj):
    def get():
        value = obj.serialize()
        return ((), [value.encode("utf-8") if isinstance(value, str) else bytes(value)])

    def set_(a):
        value = np.asarray(a, dtype=object).reshape(-1)[0]
        obj.deserialize(value)

    return Leaf(get, set_, (), "string", "py_state", PY_STATE)


def attribute_of(value):
    return VARIABLE_VALUE if isinstance(value, Variable) else value.attribute


class Graph:
    """The breadth-first numbering of the objects reachable from ``root``: ``objects[i]``,
    ``paths[i]`` (local names from the root), ``edges[i]`` (``[(child id, name)]``)."""

    def __init__(self, root):
        self.objects, self.paths, self.edges = [root], [[]], []
        ids = {id(root): 0}
        i = 0
        while i < len(self.objects):
            obj = self.objects[i]
            edges = []
            for name, child in children(obj):
                j = ids.get(id(child))
                if j is None:
                    j = ids[id(child)] = len(self.objects)
                    self.objects.append(child)
                    self.paths.append(self.paths[i] + [name])
                edges.append((j, name))
            self.edges.append(edges)
            i += 1

    def values(self):
        """``{checkpoint key: (node id, object)}`` for every object that holds a value."""
        out = {}
        for i, obj in enumerate(self.objects):
            value = value_of(obj)
            if value is not None and self.paths[i]:
                out[value_key(self.paths[i], attribute_of(value))] = (i, value)
        return out
