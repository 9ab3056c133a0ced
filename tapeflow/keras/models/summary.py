"""``Model.summary()``: Keras 3's box-drawn table of layers, output shapes and parameters."""
import textwrap

from ... import nest
from ..utils.misc import print_msg


def _shape_text(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_shape_text(s) for s in shape)
    if isinstance(shape, dict):
        return ", ".join(_shape_text(s) for s in shape.values())
    if isinstance(shape, tuple) and shape and isinstance(shape[0], tuple):
        return ", ".join(_shape_text(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _bytes_text(n):
    for unit, size in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.2f} {unit}"
    return f"{float(n):.2f} B"


def _cell(text, width, right=False):
    """Lines of ``text`` wrapped into a column of ``width`` (1 space padding each side)."""
    inner = width - 2
    lines = []
    for part in text.split("\n"):
        wrapped = textwrap.wrap(part, inner, break_long_words=False) or [""]
        for w in wrapped:
            lines.append(w if len(w) <= inner else w[:inner - 1] + "\u2026")
    return [" " + (w.rjust(inner) if right else w.ljust(inner)) + " " for w in lines]


def _row(cells, widths, rights):
    cols = [_cell(c, w, r) for c, w, r in zip(cells, widths, rights)]
    height = max(len(c) for c in cols)
    cols = [c + [" " * w] * (height - len(c)) for c, w in zip(cols, widths)]
    return ["\u2502" + "\u2502".join(parts) + "\u2502" for parts in zip(*cols)]


def _rule(widths, left, mid, right, fill):
    return left + mid.join(fill * w for w in widths) + right


def _param_count(layer):
    if not layer.built:
        return "0 (unbuilt)"
    return f"{layer.count_params():,}"


def _connections(node_inputs):
    names = []
    for kt in nest.flatten(node_inputs):
        node = getattr(kt, "_node", None)
        if node is not None:
            names.append(f"{node.layer.name}[0][{kt._index}]")
    return ", ".join(names) if names else "-"


def print_summary(model, print_fn=None):
    print_fn = print_fn or print_msg
    functional = hasattr(model, "_nodes_in_order")
    if functional:
        widths, rights = [21, 19, 12, 19], [False, False, True, False]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    else:
        widths, rights = [33, 24, 15], [False, False, True]
        header = ["Layer (type)", "Output Shape", "Param #"]
    lines = [f'Model: "{model.name}"',
             _rule(widths, "\u250f", "\u2533", "\u2513", "\u2501"),
             "\u2503" + "\u2503".join(_cell(h, w, r)[0] for h, w, r in
                                     zip(header, widths, rights)) + "\u2503",
             _rule(widths, "\u2521", "\u2547", "\u2529", "\u2501")]
    rows = []
    if functional:
        for node in model._nodes_in_order:
            layer = node.layer
            rows.append([f"{layer.name} ({type(layer).__name__})",
                         _shape_text(getattr(layer, "_output_shape", None)),
                         _param_count(layer), _connections(node.inputs)])
    else:
        for layer in model.layers:
            rows.append([f"{layer.name} ({type(layer).__name__})",
                         _shape_text(layer.__dict__.get("_output_shape")),
                         _param_count(layer)])
    for i, r in enumerate(rows):
        lines.extend(_row(r, widths, rights))
        if i < len(rows) - 1:
            lines.append(_rule(widths, "\u251c", "\u253c", "\u2524", "\u2500"))
    lines.append(_rule(widths, "\u2514", "\u2534", "\u2518", "\u2500"))
    trainable = model.trainable_weights
    ids = {id(v) for v in trainable}
    others = [v for v in model.weights if id(v) not in ids]

    def total(vs):
        n = sum(int(v.shape.num_elements() or 0) for v in vs)
        b = sum(int(v.shape.num_elements() or 0) * v._v.dtype.itemsize for v in vs)
        return f"{n:,} ({_bytes_text(b)})"

    lines.append(f" Total params: {total(trainable + others)}")
    lines.append(f" Trainable params: {total(trainable)}")
    lines.append(f" Non-trainable params: {total(others)}")
    opt = getattr(model, "optimizer", None)
    if opt is not None and getattr(opt, "_state", None):
        slots = [s for _, ss in opt._state.values() for s in ss]
        n = sum(int(s.size) for s in slots)
        b = sum(int(s.size) * s.dtype.itemsize for s in slots)
        lines.append(f" Optimizer params: {n:,} ({_bytes_text(b)})")
    for line in lines:
        print_fn(line)
