"""Legacy Keras HDF5 files (``model.save('m.h5')`` in Keras 2 and 3, ``save_weights('w.h5')``
in Keras 2): the model's config in the ``model_config`` attribute, the compile settings in
``training_config``, and each layer's weights under ``model_weights/<layer>`` listed by its
``weight_names`` attribute (or the same groups at the file's root for weights-only files).

The config resolves through the same allow-list as ``.keras`` files (nothing is imported or
run, Lambda code included) and the weights go through ``_weights.read_h5``'s checks (no
links, no external or virtual storage, shapes checked against the model before a byte is
read). The optimizer's state of a legacy file is not restored (its slot names are
Keras-version specific); the model is compiled afresh from ``training_config``.
"""
import json
import os

from ..._io import Refused, require_regular_file
from ...backend import xp_of
from ._weights import isolated_json, read_h5, require_h5py, shape_check

_MAX_ATTR = 64 * 1024 * 1024


def _text(value, what, path):
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if hasattr(value, "tolist") and not isinstance(value, str):
        value = value.tolist()
    if isinstance(value, list):
        return [_text(v, what, path) for v in value]
    if not isinstance(value, str):
        raise ValueError(f"'{path}': the HDF5 attribute {what} is not text ({value!r:.80}).")
    return value


def _attr(obj, name, path, where):
    if name not in obj.attrs:
        return None
    try:
        size = obj.attrs.get_id(name).get_storage_size()
    except (AttributeError, KeyError, RuntimeError, OSError):
        size = 0
    if size > _MAX_ATTR:
        raise ValueError(f"'{path}': attribute '{name}' of {where} is {size} bytes; refusing "
                         "to read it.")
    try:
        return obj.attrs[name]
    except (OSError, RuntimeError, KeyError, TypeError, ValueError) as e:
        raise ValueError(f"'{path}': attribute '{name}' of {where} cannot be read "
                         f"({type(e).__name__}: {e}).") from None


def _read_layout(path):
    """``(model_config or None, training_config or None, root prefix,
    [(layer name, [weight names])])`` from the file's attributes (no array is read), read in
    a forked child with a deadline (a damaged attribute can hang the HDF5 library)."""
    require_h5py()
    require_regular_file(path, "HDF5 model file")
    config, training, prefix, layers = isolated_json(path, lambda: _read_layout_here(path))
    return config, training, prefix, [(name, list(w)) for name, w in layers]


def _read_layout_here(path):
    h5py = require_h5py()
    try:
        with h5py.File(path, "r") as h:
            config = _attr(h, "model_config", path, "the file")
            training = _attr(h, "training_config", path, "the file")
            if "model_weights" in h:
                link = h.get("model_weights", getlink=True)
                if not isinstance(link, h5py.HardLink):
                    raise ValueError(f"'{path}': 'model_weights' is a link to elsewhere.")
                root, prefix = h["model_weights"], "model_weights/"
            else:
                root, prefix = h, ""
            names = _attr(root, "layer_names", path, f"'{prefix or '/'}'")
            if names is None:
                raise ValueError(f"'{path}' is an HDF5 file without Keras's 'layer_names' "
                                 "attribute: not a legacy Keras model or weights file (a Keras "
                                 "3 weights file is named `*.weights.h5`).")
            layers = []
            for name in _text(names, "layer_names", path):
                if name not in root or not isinstance(root.get(name, getlink=True),
                                                      h5py.HardLink):
                    raise ValueError(f"'{path}': layer group '{prefix}{name}' is missing or a "
                                     "link.")
                weights = _attr(root[name], "weight_names", path, f"'{prefix}{name}'")
                weights = [] if weights is None or len(weights) == 0 else \
                    _text(weights, "weight_names", path)
                layers.append((name, weights))
    except (OSError, RuntimeError, KeyError, TypeError) as e:
        raise ValueError(f"'{path}' is not a readable HDF5 file ({type(e).__name__}: "
                         f"{e}).") from None
    loaded = []
    for what, value in (("model_config", config), ("training_config", training)):
        if value is None:
            loaded.append(None)
            continue
        try:
            value = json.loads(_text(value, what, path))
        except (ValueError, RecursionError) as e:
            raise ValueError(f"'{path}': attribute {what} is not valid JSON ({e}).") from None
        if not isinstance(value, dict):
            raise ValueError(f"'{path}': attribute {what} holds a JSON "
                             f"{type(value).__name__}, not an object.")
        loaded.append(value)
    return loaded[0], loaded[1], prefix, layers


def is_legacy(path):
    """Whether ``path`` is an HDF5 file in the legacy layout (``layer_names`` at the root
    or in ``model_weights``), as opposed to a Keras 3 ``.weights.h5`` (read in a forked
    child with a deadline, as every HDF5 read)."""
    require_h5py()
    return isolated_json(path, lambda: _is_legacy_here(path))


def _is_legacy_here(path):
    h5py = require_h5py()
    try:
        with h5py.File(path, "r") as h:
            return "layer_names" in h.attrs or "model_config" in h.attrs or (
                "model_weights" in h and isinstance(h.get("model_weights", getlink=True),
                                                    h5py.HardLink)
                and "layer_names" in h["model_weights"].attrs)
    except (OSError, RuntimeError, KeyError, TypeError, ValueError):
        return False


def _weighted_layers(model):
    return [layer for layer in model.layers if layer.weights]


def load_legacy_weights(model, path, layout=None, skip_mismatch=False):
    """Assign the legacy file's weights: layers with weights in the file, in order, to the
    model's layers with weights, in order (as Keras does), each layer's list in its
    ``weights`` order; everything is checked before anything is assigned."""
    path = os.fspath(path)
    _, _, prefix, layers = layout or _read_layout(path)
    saved = [(name, weights) for name, weights in layers if weights]
    ours = _weighted_layers(model)
    if len(saved) != len(ours):
        raise ValueError(
            f"Layer count mismatch when loading weights from '{path}': the file has weights "
            f"for {len(saved)} layers ({[n for n, _ in saved]}), the model has "
            f"{len(ours)} layers with weights ({[layer.name for layer in ours]}).")
    wanted = {}
    for (name, weights), layer in zip(saved, ours):
        if len(weights) != len(layer.weights):
            raise ValueError(f"'{path}': layer '{name}' has {len(weights)} weights in the file "
                             f"but model layer '{layer.name}' has {len(layer.weights)}.")
        for w, v in zip(weights, layer.weights):
            wanted[f"{prefix}{name}/{w}"] = v
    base = shape_check(model, path)

    def check(key, shape, dtype):
        v = wanted.get(key)
        if v is None:
            return False  # optimizer state, or arrays no layer lists: never read
        if tuple(v.shape) != tuple(shape):
            if skip_mismatch:
                return False
            raise Refused(f"Shape mismatch in '{path}' at '{key}': the model's variable "
                          f"'{v.name}' has shape {tuple(v.shape)}, the file declares "
                          f"{tuple(shape)}.")
        return base(key, shape, dtype)

    arrays, _ = read_h5(path, check)
    missing = [k for k in wanted if k not in arrays]
    if missing and not skip_mismatch:
        raise ValueError(f"'{path}': weights {missing[:5]} listed in 'weight_names' are "
                         "missing from the file.")
    for key, v in wanted.items():
        if key in arrays:
            v._assign_raw(xp_of(v._v).array(arrays[key], dtype=v._v.dtype))


def load_legacy_model(path, custom_objects=None, compile=True):
    from ._keras_file import _compile_from, _named, model_from_config  # cycle: it imports this

    path = os.fspath(path)
    layout = _read_layout(path)
    config, training, _, _ = layout
    if config is None:
        raise ValueError(f"'{path}' holds weights only (no 'model_config' attribute): build "
                         "the model and call `model.load_weights()` on it.")
    try:
        model = _named(path, model_from_config, config, custom_objects, path)
        if compile and training:
            opt = training.get("optimizer_config")
            _named(path, _compile_from, model, {
                "optimizer": opt, "loss": training.get("loss"),
                "loss_weights": training.get("loss_weights"),
                "metrics": _legacy_metrics(training.get("metrics")),
                "weighted_metrics": _legacy_metrics(training.get("weighted_metrics")),
                "run_eagerly": training.get("run_eagerly", False)}, custom_objects, path)
    except (KeyError, TypeError, AttributeError, IndexError, RecursionError) as e:
        what = f"missing entry {e}" if isinstance(e, KeyError) else f"{type(e).__name__}: {e}"
        raise ValueError(f"Could not load '{path}': its model_config does not describe a "
                         f"model tapeflow can build ({what}).") from None
    if not model.built:
        raise ValueError(f"Could not load '{path}': the model in its config has no input "
                         "shape, so its weights cannot be placed.")
    load_legacy_weights(model, path, layout)
    return model


def _legacy_metrics(spec):
    """Keras 2 writes compiled metrics as nested lists per output; one output's list is
    what ``compile`` takes."""
    if isinstance(spec, list) and len(spec) == 1 and isinstance(spec[0], list):
        return spec[0]
    return spec
