"""``keras.utils.model_to_dot`` and ``plot_model``: a model's layer graph as Graphviz DOT
(through pydot, the ``plot`` tools Keras uses) and as an image file (Graphviz's ``dot``)."""
import os

from ..layers.input_layer import InputLayer

_TABLE = '<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'


def _pydot(who):
    try:
        import pydot
    except ImportError:
        raise ImportError(f"You must install pydot (`pip install pydot`) for {who} to work."
                          ) from None
    return pydot


def _is_model(layer):
    from ..models.model import Model  # cycle: models import utils

    return isinstance(layer, Model)


def _shown_layers(model):
    """The layers drawn for ``model``: a Sequential's own layers, a functional model's layers
    with its inputs."""
    return list(model.layers)


def _shapes(layer):
    """(input shape text, output shape text) of the layer's first call."""
    from ... import nest
    from ..layers.input_layer import KerasTensor

    nodes = layer.__dict__.get("_inbound_nodes") or []
    if not nodes:
        return "?", "?"
    node = nodes[0]

    def text(structure):
        flat = [x for x in nest.flatten(structure) if isinstance(x, KerasTensor)]
        shapes = [tuple(x.shape) for x in flat]
        if not shapes:
            return "?"
        return str(shapes[0]) if len(shapes) == 1 else str(shapes)

    return text((node.inputs, node.args, node.kwargs)), text(node.outputs)


def _label(layer, show_shapes, show_dtype, show_layer_names, show_layer_activations,
           show_trainable):
    cols = max(1, 2 * bool(show_shapes) + bool(show_dtype) + bool(show_trainable))
    cls = type(layer).__name__
    title = f"<b>{layer.name}</b> ({cls})" if show_layer_names else f"<b>{cls}</b>"
    rows = [f'<tr><td colspan="{cols}" bgcolor="black"><font point-size="16" color="white">'
            f"{title}</font></td></tr>"]
    activation = getattr(layer, "activation", None)
    if show_layer_activations and activation is not None:
        name = getattr(activation, "__name__", None) or type(activation).__name__
        rows.append(f'<tr><td bgcolor="white" colspan="{cols}"><font point-size="14">'
                    f"Activation: <b>{name}</b></font></td></tr>")

    def cell(text):
        return f'<td bgcolor="white"><font point-size="14">{text}</font></td>'

    cells = []
    if show_shapes:
        in_text, out_text = _shapes(layer)
        if not isinstance(layer, InputLayer):
            cells.append(cell(f"Input shape: <b>{in_text}</b>"))
        cells.append(cell(f"Output shape: <b>{out_text}</b>"))
    if show_dtype:
        dtype = getattr(layer.dtype, "name", layer.dtype)
        cells.append(cell(f"Output dtype: <b>{dtype}</b>"))
    if show_trainable and layer.weights:
        color, text = ("forestgreen", "Trainable") if layer.trainable else \
            ("firebrick", "Non-trainable")
        cells.append(f'<td bgcolor="{color}"><font point-size="14" color="white"><b>{text}'
                     "</b></font></td>")
    if cells:
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "<" + _TABLE + "".join(rows) + "</table>>"


def _edges(model):
    """(source layer, target layer) pairs of ``model``'s graph, in layer order."""
    nodes = model.__dict__.get("_nodes_in_order")
    layers = _shown_layers(model)
    if nodes is None:  # Sequential: one layer after the other
        return list(zip(layers, layers[1:]))
    from ... import nest
    from ..layers.input_layer import KerasTensor

    pairs, seen = [], set()
    for layer in layers:
        for node in nodes:
            if node.layer is not layer:
                continue
            for kt in nest.flatten((node.inputs, node.args, node.kwargs)):
                if isinstance(kt, KerasTensor) and kt._node is not None:
                    key = (id(kt._node.layer), id(layer))
                    if key not in seen:
                        seen.add(key)
                        pairs.append((kt._node.layer, layer))
    return pairs


def _entry(layer, expand_nested):
    """The drawn layer an edge into ``layer`` ends at (a nested model's first layer when
    nested models are expanded)."""
    while expand_nested and _is_model(layer) and _shown_layers(layer):
        layer = _shown_layers(layer)[0]
    return layer


def _exit(layer, expand_nested):
    while expand_nested and _is_model(layer) and _shown_layers(layer):
        layer = _shown_layers(layer)[-1]
    return layer


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                 rankdir="TB", expand_nested=False, dpi=200, subgraph=False,
                 show_layer_activations=False, show_trainable=False, splines="ortho",
                 **kwargs):
    """The model's layer graph as a ``pydot.Dot`` (a ``pydot.Cluster`` with
    ``subgraph=True``): one box per layer (name and class; shapes, dtype, activation and
    trainability on request) and an edge per connection. Needs pydot."""
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    if not model.built:
        raise ValueError("This model has not yet been built. Build the model first by calling "
                         "`build()` or by calling the model on a batch of data.")
    pydot = _pydot("model_to_dot")
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    options = dict(show_shapes=show_shapes, show_dtype=show_dtype,
                   show_layer_names=show_layer_names, rankdir=rankdir,
                   expand_nested=expand_nested, dpi=dpi,
                   show_layer_activations=show_layer_activations,
                   show_trainable=show_trainable, splines=splines)
    for layer in _shown_layers(model):
        if expand_nested and _is_model(layer):
            dot.add_subgraph(model_to_dot(layer, subgraph=True, **options))
            continue
        label = _label(layer, show_shapes, show_dtype, show_layer_names,
                       show_layer_activations, show_trainable)
        dot.add_node(pydot.Node(str(id(layer)), label=label, fontname="Helvetica", border=0,
                                margin=0))
    for source, target in _edges(model):
        source, target = _exit(source, expand_nested), _entry(target, expand_nested)
        dot.add_edge(pydot.Edge(str(id(source)), str(id(target)), penwidth="2"))
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, splines="ortho", **kwargs):
    """Draw the model's graph (``model_to_dot``) into ``to_file``, in the format its
    extension names (png, svg, pdf...). Needs pydot and Graphviz's ``dot`` program; in a
    notebook it returns the image to display."""
    if not model.built:
        raise ValueError("This model has not yet been built. Build the model first by calling "
                         "`build()` or by calling the model on a batch of data.")
    pydot = _pydot("`plot_model`")
    try:
        pydot.Dot.create(pydot.Dot())
    except Exception:
        raise ImportError("You must install graphviz (see instructions at "
                          "https://graphviz.gitlab.io/download/) for `plot_model` to work."
                          ) from None
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                       show_layer_names=show_layer_names, rankdir=rankdir,
                       expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations,
                       show_trainable=show_trainable, splines=splines, **kwargs)
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    dot.write(to_file, format=extension)
    if extension != "pdf":
        try:
            from IPython import display, get_ipython
        except ImportError:
            return None
        if get_ipython() is not None:
            return display.Image(filename=to_file)
    return None
