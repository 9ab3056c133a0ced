"""Functional models: ``Model(inputs, outputs)`` over the graph of layer calls recorded
between ``keras.Input`` placeholders and the outputs."""
import inspect

from ... import nest
from .. import backend
from ..layers import deserialize, serialize
from ..layers.input_layer import Input, InputLayer, KerasTensor
from .model import Model

_REF = "__tensor__"  # a symbolic tensor among a node's extra arguments: {"__tensor__": "i:j"}


def _nodes_between(inputs, outputs):
    """Nodes that produce ``outputs`` from ``inputs``, in an order where every node comes
    after the nodes feeding it (iterative depth-first search, no recursion)."""
    input_ids = {id(t) for t in inputs}
    order, done, on_path = [], set(), set()
    stack = [(t, False) for t in reversed(outputs)]
    while stack:
        kt, expanded = stack.pop()
        node = kt._node
        if node is None:
            raise ValueError(f"{kt!r} was not produced by a Keras layer call.")
        if id(node) in done:
            continue
        if expanded:
            on_path.discard(id(node))
            done.add(id(node))
            order.append(node)
            continue
        if id(kt) in input_ids or not nest.flatten(node.inputs):
            if id(kt) not in input_ids and isinstance(node.layer, InputLayer):
                raise ValueError(f"Graph disconnected: the output depends on input "
                                 f"'{node.layer.name}', which is not among the model's inputs.")
            done.add(id(node))
            order.append(node)
            continue
        if id(node) in on_path:
            raise ValueError("The layer graph has a cycle.")
        on_path.add(id(node))
        stack.append((kt, True))
        for parent in reversed([x for x in nest.flatten((node.inputs, node.args, node.kwargs))
                                if isinstance(x, KerasTensor)]):
            stack.append((parent, False))
    return order


def _parents(node):
    return [x._node for x in nest.flatten((node.inputs, node.args, node.kwargs))
            if isinstance(x, KerasTensor)]


def _keras_layer_order(inputs, outputs, nodes):
    """The layers in Keras 3's order (its ``map_graph``): by depth from the outputs, deepest
    first (a shared layer at its deepest node), ties in the order a depth-first walk from the
    outputs first reaches them. Weights, optimizer slots and ``model.layers`` follow it, so
    files match Keras's for any graph (branches, shared layers, nested models)."""
    input_ids = {id(t) for t in inputs}
    first_seen, post, done = {}, [], set()
    stack = [(t, False) for t in reversed(outputs)]
    while stack:
        kt, expanded = stack.pop()
        node = kt._node
        if expanded:
            done.add(id(node))
            post.append(node)
            continue
        if id(node) in done:
            continue
        first_seen.setdefault(id(node.layer), len(first_seen))
        stack.append((kt, True))
        if id(kt) not in input_ids:
            for parent in reversed([x for x in nest.flatten(
                    (node.inputs, node.args, node.kwargs)) if isinstance(x, KerasTensor)]):
                stack.append((parent, False))
    node_depth, layer_depth = {}, {}
    for node in reversed(post):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[id(node)] = depth
        for parent in _parents(node):
            node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    layers, seen = [], set()
    for node in nodes:
        if id(node.layer) not in seen:
            seen.add(id(node.layer))
            layers.append(node.layer)
    reached = [layer for layer in layers if id(layer) in layer_depth]
    reached.sort(key=lambda layer: (-layer_depth[id(layer)], first_seen[id(layer)]))
    return [layer for layer in layers if id(layer) not in layer_depth] + reached


class Functional(Model):
    """A model defined by symbolic inputs and outputs (several of each allowed)."""

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name or _functional_name(), trainable=trainable)
        self.__dict__["_inputs_struct"] = inputs
        self.__dict__["_outputs_struct"] = outputs
        flat_in = nest.flatten(inputs)
        flat_out = nest.flatten(outputs)
        for t in flat_in + flat_out:
            if not isinstance(t, KerasTensor):
                raise ValueError(f"All `inputs` and `outputs` of a functional model must be "
                                 f"symbolic tensors from `keras.Input` and layer calls. "
                                 f"Received: {t!r}")
        nodes = _nodes_between(flat_in, flat_out)
        for t in flat_in:
            if t._node not in nodes:
                nodes.insert(0, t._node)
        input_nodes = [t._node for t in flat_in]
        nodes = input_nodes + [n for n in nodes if n not in input_nodes]
        self.__dict__["_nodes_in_order"] = nodes
        self._functional_layers = _keras_layer_order(flat_in, flat_out, nodes)
        self.output_names = [t._node.layer.name for t in flat_out]
        self.input_names = [t._node.layer.name for t in flat_in]
        self.built = True

    @property
    def layers(self):
        return list(self._functional_layers)

    @property
    def inputs(self):
        return nest.flatten(self.__dict__["_inputs_struct"])

    @property
    def outputs(self):
        return nest.flatten(self.__dict__["_outputs_struct"])

    @property
    def input(self):
        return self.__dict__["_inputs_struct"]

    @property
    def output(self):
        return self.__dict__["_outputs_struct"]

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def _feed(self, inputs):
        flat_in = self.inputs
        if isinstance(inputs, dict):
            missing = [n for n in self.input_names if n not in inputs]
            if missing:
                raise ValueError(f"Missing data for input(s) {missing}. Expected the keys "
                                 f"{self.input_names}, got {sorted(inputs)}")
            values = [inputs[n] for n in self.input_names]
        else:
            values = nest.flatten(inputs)
        if len(values) != len(flat_in):
            raise ValueError(f'Layer "{self.name}" expects {len(flat_in)} input(s), but it '
                             f"received {len(values)} input tensors.")
        return {id(t): v for t, v in zip(flat_in, values)}

    def call(self, inputs, training=None, mask=None):
        values = self._feed(inputs)
        for node in self.__dict__["_nodes_in_order"]:
            if isinstance(node.layer, InputLayer):
                continue
            def value(k):
                return values[id(k)] if isinstance(k, KerasTensor) else k

            args = nest.map_structure(value, node.inputs)
            extra = nest.map_structure(value, tuple(node.args))
            kwargs = nest.map_structure(value, dict(node.kwargs))
            if training is not None:
                kwargs["training"] = training
            out = node.layer(args, *extra, **kwargs)
            for kt, v in zip(nest.flatten(node.outputs), nest.flatten(out)):
                values[id(kt)] = v
        return nest.map_structure(lambda k: values[id(k)], self.__dict__["_outputs_struct"])

    def _convert(self, x):
        return x  # each inner layer converts and casts its own inputs

    def compute_output_shape(self, input_shape):
        return self.output_shape

    def get_config(self):
        """The graph as data: layer configs plus, per node, references ``"node:output"``
        to the tensors it consumed (JSON-serialisable)."""
        nodes = self.__dict__["_nodes_in_order"]
        index = {id(n): i for i, n in enumerate(nodes)}

        def ref(kt):
            return f"{index[id(kt._node)]}:{kt._index}"

        def argument(x, where):
            if isinstance(x, KerasTensor):
                return {_REF: ref(x)}
            if x is None or isinstance(x, (bool, int, float, str)):
                return x
            if isinstance(x, (list, tuple)):
                return [argument(v, where) for v in x]
            if isinstance(x, dict) and all(isinstance(k, str) for k in x):
                return {k: argument(v, where) for k, v in x.items()}
            raise NotImplementedError(
                f"Layer '{where}' was called with the argument {x!r}, which a model config "
                "cannot hold (only symbolic tensors, numbers, strings, booleans and None).")

        node_cfgs = []
        for n in nodes:
            inputs = None if isinstance(n.layer, InputLayer) else nest.map_structure(
                ref, n.inputs)
            cfg = {"layer": n.layer.name, "inputs": inputs}
            if n.args:
                cfg["args"] = argument(list(n.args), n.layer.name)
            if n.kwargs:
                cfg["kwargs"] = argument(dict(n.kwargs), n.layer.name)
            node_cfgs.append(cfg)
        return {"name": self.name, "trainable": self.trainable,
                "layers": [{**serialize(layer), "name": layer.name} for layer in self.layers],
                "nodes": node_cfgs,
                "inputs": nest.map_structure(ref, self.__dict__["_inputs_struct"]),
                "outputs": nest.map_structure(ref, self.__dict__["_outputs_struct"])}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild the graph from ``get_config()``; layer classes resolve through the
        built-in allow-list and ``custom_objects`` only."""
        if "nodes" not in config and "input_layers" in config:  # Keras 3's form (nested)
            from ..saving._keras_file import _functional_from_keras  # cycle: saving imports us

            config = _functional_from_keras(config, "<nested functional config>")
        specs = {spec["name"]: spec for spec in config["layers"]}
        built = {name: deserialize(spec, custom_objects) for name, spec in specs.items()
                 if spec["class_name"] != "InputLayer"}
        outputs = []

        def lookup(r):
            node, idx = (int(v) for v in r.split(":"))
            return outputs[node][idx]

        def argument(x):
            if isinstance(x, dict):
                if set(x) == {_REF}:
                    return lookup(x[_REF])
                return {k: argument(v) for k, v in x.items()}
            if isinstance(x, list):
                return [argument(v) for v in x]
            return x

        for node in config["nodes"]:
            if node["inputs"] is None:
                spec = specs[node["layer"]]["config"]
                outputs.append([Input(batch_shape=spec["batch_shape"], dtype=spec.get("dtype"),
                                      name=node["layer"])])
            else:
                layer = built[node["layer"]]
                args = nest.map_structure(lookup, node["inputs"])
                extra = argument(node.get("args") or [])
                kwargs = _accepted(layer, argument(node.get("kwargs") or {}))
                outputs.append(nest.flatten(layer(args, *extra, **kwargs)))
        inputs = nest.map_structure(lookup, config["inputs"])
        outs = nest.map_structure(lookup, config["outputs"])
        return Model(inputs=inputs, outputs=outs, name=config.get("name"),
                     trainable=config.get("trainable", True))


def _accepted(layer, kwargs):
    """``kwargs`` less the ``None`` entries ``layer.call`` does not take: Keras 3 records
    ``mask=None`` for every layer whose call has a ``mask`` argument, some of which tapeflow's
    layers lack (an unset argument changes nothing)."""
    if not any(v is None for v in kwargs.values()):
        return kwargs
    params = inspect.signature(layer.call).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return kwargs
    return {k: v for k, v in kwargs.items() if v is not None or k in params}


def _functional_name():
    return backend.unique_name("functional")
