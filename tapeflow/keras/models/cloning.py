"""``keras.models.clone_model`` and ``model_from_json``: a model's architecture rebuilt with
new layers (fresh weights), and a model from the JSON ``Model.to_json`` writes."""
import json

from ... import nest
from ..layers.input_layer import Input, InputLayer, KerasTensor
from ..saving._keras_file import model_from_config
from .functional import Functional
from .model import Model
from .sequential import Sequential


def _default_clone(layer):
    return layer.__class__.from_config(layer.get_config())


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):
    """A new model with ``model``'s architecture and new, freshly initialised layers.

    ``clone_function(layer)`` makes each new layer (default: ``from_config(get_config())``);
    ``input_tensors`` (``keras.Input`` tensors) replace the inputs; ``call_function(layer,
    *args, **kwargs)`` calls each layer of a functional model; ``recursive`` clones nested
    Sequential and functional models layer by layer too.
    """
    if kwargs:
        raise ValueError(f"Unexpected keyword argument(s): {', '.join(sorted(kwargs))}")
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(
                "`call_function` argument is not supported with Sequential models.  In a "
                "Sequential model, layers aren't called at model-construction time (they're "
                "merely listed). Use `call_function` with Functional models only. Received "
                f"model of type '{type(model).__name__}', with call_function={call_function}")
        return _clone_sequential(model, input_tensors, _wrap(clone_function, recursive))
    if isinstance(model, Functional):
        return _clone_functional(model, input_tensors, _wrap(clone_function, recursive),
                                 call_function)
    if isinstance(model, Model):  # subclassed: rebuilt from its config
        if clone_function is not None or input_tensors is not None:
            raise ValueError(
                "Arguments `clone_function` and `input_tensors` are only supported for "
                "Sequential models or Functional models. Received model of type "
                f"'{type(model).__name__}', with clone_function={clone_function} and "
                f"input_tensors={input_tensors}")
        if call_function is not None:
            raise ValueError("Argument `call_function` is only supported for Functional "
                             f"models. Received model of type '{type(model).__name__}', with "
                             f"call_function={call_function}")
        return type(model).from_config(model.get_config())
    raise ValueError("Expected `model` argument to be a `Model` instance. Received: "
                     f"model={model}")


def _wrap(clone_function, recursive):
    fn = clone_function or _default_clone

    def clone(layer):
        if recursive and isinstance(layer, (Sequential, Functional)):
            return clone_model(layer, clone_function=clone_function, recursive=True)
        if isinstance(layer, InputLayer):
            return layer
        return fn(layer)

    return clone


def _clone_sequential(model, input_tensors, clone):
    layers = [clone(layer) for layer in model.layers]
    first = []
    if input_tensors is not None:
        tensors = nest.flatten(input_tensors)
        if len(tensors) != 1:
            raise ValueError("Argument `input_tensors` must contain a single tensor.")
        if not isinstance(tensors[0], KerasTensor):
            raise ValueError("Argument `input_tensors` must be a KerasTensor. Received "
                             f"invalid value: input_tensors={tensors[0]}")
        first = [tensors[0]]
    elif model.__dict__.get("_input_shape") is not None:
        old = model.__dict__.get("_input_layer")
        first = [Input(batch_shape=model.__dict__["_input_shape"], dtype=model.dtype,
                       name=old.name if old is not None else None)]
    return Sequential(first + layers, name=model.name, trainable=model.trainable)


def _clone_functional(model, input_tensors, clone, call_function):
    old_inputs = model.__dict__["_inputs_struct"]
    new = {}  # id(old KerasTensor) -> new KerasTensor
    if input_tensors is not None:
        given = nest.flatten(input_tensors)
        flat = nest.flatten(old_inputs)
        if len(given) != len(flat):
            raise ValueError(f"Argument `input_tensors` must have the same structure as the "
                             f"model's inputs ({len(flat)} tensors). Received: "
                             f"input_tensors={input_tensors}")
        new.update({id(o): n for o, n in zip(flat, given)})
    layers = {}

    def swap(x):
        return new[id(x)] if isinstance(x, KerasTensor) else x

    for node in model.__dict__["_nodes_in_order"]:
        outs = nest.flatten(node.outputs)
        if isinstance(node.layer, InputLayer):
            if id(outs[0]) not in new:
                layer = node.layer
                new[id(outs[0])] = Input(batch_shape=layer.batch_shape, dtype=layer.dtype,
                                         name=layer.name)
            continue
        key = id(node.layer)
        if key not in layers:
            layers[key] = clone(node.layer)
        layer = layers[key]
        inputs = nest.map_structure(swap, node.inputs)
        args = [nest.map_structure(swap, a) for a in node.args]
        kwargs = {k: nest.map_structure(swap, v) for k, v in node.kwargs.items()}
        if call_function is not None:
            result = call_function(layer, inputs, *args, **kwargs)
        else:
            result = layer(inputs, *args, **kwargs)
        for o, n in zip(outs, nest.flatten(result)):
            new[id(o)] = n
    return Model(inputs=nest.map_structure(swap, old_inputs),
                 outputs=nest.map_structure(swap, model.__dict__["_outputs_struct"]),
                 name=model.name, trainable=model.trainable)


def model_from_json(json_string, custom_objects=None):
    """The model a ``Model.to_json()`` string describes (new, freshly initialised weights).
    Classes resolve through tapeflow's allow-list, registered classes and
    ``custom_objects``."""
    return model_from_config(json.loads(json_string), custom_objects, path="<json>")
