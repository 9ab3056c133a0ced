"""Whole models as ``.keras`` zips in Keras 3's layout: ``config.json`` (class, config,
compile config), ``metadata.json`` and ``model.weights.h5``."""
import datetime
import inspect
import io
import json
import os
import sys
import tempfile
import warnings
import zipfile

from ... import nest
from ..._io import Refused, atomic_path, check_zip_members, require_regular_file
from ..._version import __version__ as __tapeflow_version__
from ...backend import host as np
from .. import _registry, losses, metrics
from .._registry import custom_table, get_registered_name
from ..layers.base import creation_budget
from ..layers.core import Lambda
from ..optimizers import schedules
from . import _safetensors
from . import _weights as weights_file
from ._legacy_h5 import is_legacy, load_legacy_model, load_legacy_weights
from ._weights import (
    layer_paths,
    load_store,
    model_store,
    read_h5,
    shape_check,
    write_h5,
    write_safetensors,
)

_CONFIG, _METADATA = "config.json", "metadata.json"
_H5, _SAFETENSORS = "model.weights.h5", "model.weights.safetensors"
_MAX_JSON = 64 * 1024 * 1024
_TENSOR_REF = "__tensor__"  # as models/functional.py writes a tensor among extra arguments


def _has_h5py():
    try:
        import h5py  # noqa: F401 - optional: the [h5] extra
    except ImportError:
        return False
    return True


def _refuse_code(model):
    from ..ops._symbolic import OpLayer  # deferred: keras.ops loads on first use

    for layer in model._flatten_layers():
        if isinstance(layer, OpLayer):
            raise ValueError(
                f"Cannot save the model: layer '{layer.name}' is a `keras.ops.{layer._op_name}`"
                " call on symbolic tensors, which tapeflow's .keras files do not hold yet. "
                "Write it as a Layer subclass with get_config() (registered with "
                "`tf.keras.saving.register_keras_serializable()`), or save the weights only "
                "with `model.save_weights()`.")
        if isinstance(layer, Lambda):
            raise ValueError(
                f"Cannot save the model: layer '{layer.name}' is a Lambda layer, whose "
                "function is Python code. tapeflow never writes code to a model file (nor "
                "runs code from one). Write the function as a Layer subclass with get_config() "
                "and register it with `tf.keras.saving.register_keras_serializable()`, or save "
                "the weights only with `model.save_weights()`.")


# -- compile config ----------------------------------------------------------------------------
def _fn_name(fn, what):
    name = getattr(fn, "__name__", None)
    if name is None:
        raise ValueError(f"Cannot serialize the {what} {fn!r}: it has no name.")
    return name


def _ser_loss(spec):
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, dict):
        return {k: _ser_loss(v) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [_ser_loss(v) for v in spec]
    if isinstance(spec, losses.Loss):
        return {"class_name": get_registered_name(spec), "config": spec.get_config()}
    return _fn_name(spec, "loss")


def _ser_metric(spec):
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, dict):
        return {k: _ser_metric(v) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [_ser_metric(v) for v in spec]
    if isinstance(spec, metrics.Metric):
        return {"class_name": get_registered_name(spec), "config": spec.get_config()}
    return _fn_name(spec, "metric")


def _ser_optimizer(opt):
    config = dict(opt.get_config())
    sched = opt._schedule
    if sched is not None and not isinstance(config.get("learning_rate"), dict):
        config["learning_rate"] = {"class_name": get_registered_name(sched),
                                   "config": sched.get_config()}
    return {"module": "keras.optimizers", "class_name": get_registered_name(opt),
            "config": config, "registered_name": None}


def compile_config(model):
    d = model.__dict__
    if not d.get("compiled"):
        return {}
    return {"optimizer": _ser_optimizer(d["optimizer"]), "loss": _ser_loss(d["_loss_spec"]),
            "loss_weights": d["_loss_weights_spec"],
            "metrics": _ser_metric(d["_metrics_spec"]),
            "weighted_metrics": _ser_metric(d["_weighted_metrics_spec"]),
            "run_eagerly": bool(d.get("run_eagerly", False)), "steps_per_execution": 1,
            "jit_compile": False}


def _resolve(spec, kind, custom_objects):
    """A loss/metric from its saved form (per output: a list or a dict of them), through the
    registry: built-in names and configs, registered classes or ``custom_objects``."""
    if spec is None:
        return None
    if isinstance(spec, list):
        return [_resolve(s, kind, custom_objects) for s in spec]
    if isinstance(spec, dict) and "class_name" not in spec:
        return {k: _resolve(v, kind, custom_objects) for k, v in spec.items()}
    name = spec["class_name"] if isinstance(spec, dict) else spec
    if not isinstance(name, str):
        raise ValueError(f"Invalid {kind} in the compile config: {spec!r}")
    if kind == "metric" and isinstance(spec, str) and spec not in custom_table(custom_objects):
        return spec  # Model.compile resolves metric names ('accuracy' against the loss)
    return _registry.deserialize(kind, spec, custom_objects)


def _compile_from(model, config, custom_objects, path):
    opt_spec = dict(config["optimizer"])
    opt_config = dict(opt_spec.get("config", {}))
    lr = opt_config.get("learning_rate")
    if isinstance(lr, dict):
        cls = custom_table(custom_objects).get(lr.get("class_name")) or {
            c.__name__: c for c in vars(schedules).values()
            if isinstance(c, type) and issubclass(c, schedules.LearningRateSchedule)
        }.get(lr.get("class_name"))
        if cls is None:
            raise ValueError(f"Unknown learning-rate schedule {lr.get('class_name')!r} in "
                             f"'{path}'. Pass it in `custom_objects`.")
        opt_config["learning_rate"] = cls.from_config(lr.get("config", {}))
    opt = _registry.deserialize("optimizer", {
        "class_name": opt_spec.get("class_name"), "config": opt_config,
        "registered_name": opt_spec.get("registered_name")}, custom_objects)
    model.compile(optimizer=opt,
                  loss=_resolve(config.get("loss"), "loss", custom_objects),
                  loss_weights=config.get("loss_weights"),
                  metrics=_resolve(config.get("metrics"), "metric", custom_objects),
                  weighted_metrics=_resolve(config.get("weighted_metrics"), "metric",
                                            custom_objects),
                  run_eagerly=config.get("run_eagerly", False))


# -- model config ------------------------------------------------------------------------------
def model_config(model):
    kind = type(model).__name__
    module = {"Sequential": "keras", "Functional": "keras.src.models.functional"}.get(
        kind, None)
    config = model.get_config()
    if kind == "Functional":
        config = _functional_to_keras(model, config)
    shapes = model.__dict__.get("_build_shapes")
    if kind == "Sequential":
        shapes = model.__dict__.get("_input_shape")
    if module is None:
        module = type(model).__module__
    return {"module": module, "class_name": kind, "config": _keras_tree(config),
            "registered_name": get_registered_name(model),
            "build_config": {"input_shape": _jsonable(shapes)},
            "compile_config": compile_config(model)}


# kind of a nested object by the key holding it; other keys hold layers (or models)
_KIND_OF_KEY = {"optimizer": "optimizer", "loss": "loss", "metrics": "metric",
                "weighted_metrics": "metric"}
_KIND_MODULE = {"layer": "keras.layers", "initializer": "keras.initializers",
                "regularizer": "keras.regularizers", "constraint": "keras.constraints",
                "loss": "keras.losses", "metric": "keras.metrics",
                "optimizer": "keras.optimizers"}
_MODEL_MODULE = {"Sequential": "keras", "Functional": "keras.src.models.functional",
                 "Model": "keras.src.models.model",
                 # tf.keras's legacy layers
                 "ThresholdedReLU": "keras._legacy.layers",
                 "RandomHeight": "keras._legacy.layers", "RandomWidth": "keras._legacy.layers"}


def _key_kind(key, inherited):
    if not isinstance(key, str):
        return inherited
    for suffix in ("initializer", "regularizer", "constraint"):
        if key.endswith(suffix):
            return suffix
    return _KIND_OF_KEY.get(key, inherited)


def _keras_tree(obj, kind="layer", depth=0):
    """``obj`` with ``module`` and ``registered_name`` on every nested object config (a
    wrapper's layer, a nested model and its layers, initializers...), as Keras 3 writes
    them and needs them to read the file back."""
    if depth > 200:
        raise ValueError("The model config nests deeper than 200 levels.")
    if isinstance(obj, list):
        return [_keras_tree(v, kind, depth + 1) for v in obj]
    if not isinstance(obj, dict):
        return obj
    out = {k: _keras_tree(v, _key_kind(k, kind), depth + 1) for k, v in obj.items()}
    name = obj.get("class_name")
    if not isinstance(name, str) or not isinstance(obj.get("config"), dict) or \
            name in ("__keras_tensor__", "function"):
        return out
    cls = _registry.locate(kind, name, obj.get("registered_name"))
    if cls is None and kind != "layer":
        cls = _registry.locate("layer", name, obj.get("registered_name"))
    registered = get_registered_name(cls) if isinstance(cls, type) else None
    if isinstance(cls, type) and registered != cls.__name__:  # a registered custom class
        out.setdefault("module", cls.__module__)
        out["registered_name"] = registered
    else:
        out.setdefault("module", _MODEL_MODULE.get(name, _KIND_MODULE.get(kind, "keras")))
        out.setdefault("registered_name", None)
    return out


def _functional_to_keras(model, config):
    """tapeflow's functional config in Keras 3's form: per layer, ``inbound_nodes`` whose
    arguments are ``__keras_tensor__`` records with ``keras_history`` triples."""
    graph = model.__dict__["_nodes_in_order"]
    where, seen = [], {}
    for node in config["nodes"]:
        k = seen.get(node["layer"], 0)
        seen[node["layer"]] = k + 1
        where.append((node["layer"], k))

    def split(ref):
        i, j = (int(v) for v in ref.split(":"))
        return i, j

    def tensor(ref):
        if isinstance(ref, list):
            return [tensor(r) for r in ref]
        i, j = split(ref)
        kt = nest.flatten(graph[i].outputs)[j]
        return {"class_name": "__keras_tensor__", "config": {
            "shape": list(kt.shape), "dtype": getattr(kt.dtype, "name", str(kt.dtype)),
            "keras_history": [where[i][0], where[i][1], j]}}

    def history(ref):
        if isinstance(ref, list):
            return [history(r) for r in ref]
        i, j = split(ref)
        return [where[i][0], where[i][1], j]

    def argument(x):
        if isinstance(x, dict):
            if set(x) == {_TENSOR_REF}:
                return tensor(x[_TENSOR_REF])
            return {k: argument(v) for k, v in x.items()}
        if isinstance(x, list):
            return [argument(v) for v in x]
        return x

    nested = {layer.name: layer for layer in model.layers if type(layer).__name__ == "Functional"}
    config = {**config, "layers": [
        {**spec, "config": _functional_to_keras(nested[spec["name"]], spec["config"])}
        if spec["name"] in nested and "nodes" in spec.get("config", {}) else spec
        for spec in config["layers"]]}
    inbound = {}
    for node in config["nodes"]:
        if node["inputs"] is not None:
            inbound.setdefault(node["layer"], []).append(
                {"args": [tensor(node["inputs"]), *argument(node.get("args") or [])],
                 "kwargs": argument(node.get("kwargs") or {})})
    layers = [{**spec, "inbound_nodes": inbound.get(spec["name"], [])}
              for spec in config["layers"]]
    return {"name": config["name"], "trainable": config["trainable"], "layers": layers,
            "input_layers": history(config["inputs"]),
            "output_layers": history(config["outputs"])}


def _jsonable(x):
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if hasattr(x, "as_list"):
        return x.as_list()
    return x


def model_from_config(spec, custom_objects=None, path="<config>"):
    """A model from ``config.json``'s object: classes resolve through tapeflow's allow-list,
    registered classes and ``custom_objects`` only.

    NOTE: the ``module`` field Keras writes is ignored: importing a module path named by a
    file is how Keras files ran code (CVE-2024-3660, CVE-2025-1550); names are looked up in
    tables, never imported.
    """
    from ..models import Functional, Model, Sequential  # cycle: keras.models imports keras.saving

    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
        raise ValueError(f"'{path}' has no model class in its config.")
    name, registered = spec["class_name"], spec.get("registered_name")
    config = spec.get("config") or {}
    cls = _registry.locate("layer", name, registered, custom_objects)
    if cls is None or not (isinstance(cls, type) and issubclass(cls, Model)):
        raise ValueError(f"Could not load '{path}': unknown model class '{name}' "
                         f"(registered as {registered!r}, module {spec.get('module')!r}). "
                         "tapeflow never imports code named by a file: pass the class in "
                         "`custom_objects` or decorate it with "
                         "`tf.keras.saving.register_keras_serializable()`.")
    if cls is Sequential:
        return cls.from_config(_plain(config), custom_objects=custom_objects)
    if cls is Functional:
        if "nodes" not in config:
            config = _functional_from_keras(config, path)
        return cls.from_config(config, custom_objects=custom_objects)
    return _subclass_from_config(cls, config, custom_table(custom_objects))


# NOTE: Keras 3 writes bookkeeping keys tapeflow's layers do not take (``module``,
# ``registered_name``, ``build_config``, ``shared_object_id``) and options that tapeflow lacks;
# those are dropped only while unset, so a file that relies on a missing feature still fails.
_BOOKKEEPING = frozenset(["module", "registered_name", "build_config", "shared_object_id"])
_UNSET_ONLY = frozenset(["quantization_config", "input_axes", "output_axes", "lora_rank",
                         "lora_alpha", "optional", "sparse", "ragged"])


def _plain(obj):
    """A Keras 3 config with its bookkeeping removed (Sequential and its layers); Keras 2's
    ``InputLayer`` ``batch_input_shape`` becomes ``batch_shape``."""
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    out = {k: _plain(v) for k, v in obj.items() if k not in _BOOKKEEPING and not (
        k in _UNSET_ONLY and v in (None, False))}
    inner = out.get("config")
    if out.get("class_name") == "InputLayer" and isinstance(inner, dict) and \
            "batch_input_shape" in inner and "batch_shape" not in inner:
        inner = dict(inner)
        inner["batch_shape"] = inner.pop("batch_input_shape")
        out["config"] = inner
    return out


def _functional_from_keras(config, path):
    """Keras 3's functional config (``inbound_nodes`` holding ``keras_history`` triples) in
    tapeflow's form (a node list with ``"node:output"`` references)."""
    nodes, index = [], {}

    def ref(t):
        if not (isinstance(t, dict) and t.get("class_name") == "__keras_tensor__"):
            raise ValueError(f"'{path}': unsupported functional call argument {t!r:.200}.")
        layer, node, tensor = t["config"]["keras_history"]
        if (layer, node) not in index:
            raise _NotYet
        return f"{index[(layer, node)]}:{tensor}"

    def refs(x):
        if isinstance(x, list):
            return [refs(v) for v in x]
        return ref(x)

    def argument(x):  # an extra call argument: tensors become references, the rest stays
        if isinstance(x, dict):
            if x.get("class_name") == "__keras_tensor__":
                return {_TENSOR_REF: ref(x)}
            return {k: argument(v) for k, v in x.items()}
        if isinstance(x, list):
            return [argument(v) for v in x]
        return x

    def history(x):  # input_layers/output_layers: one [name, node, tensor] or a list of them
        if len(x) == 3 and isinstance(x[0], str):
            if (x[0], x[1]) not in index:
                raise ValueError(f"'{path}': the model's inputs/outputs name layer '{x[0]}' "
                                 f"node {x[1]}, which the config does not define.")
            return f"{index[(x[0], x[1])]}:{x[2]}"
        return [history(v) for v in x]

    def record(spec, node):
        if isinstance(node, list):
            node = _keras2_node(node, path, spec["name"])
        args, kwargs = node.get("args") or [], node.get("kwargs") or {}
        if not args and isinstance(kwargs, dict):  # the inputs passed by keyword
            first = _first_argument(spec, kwargs)
            if first is not None:
                kwargs = dict(kwargs)
                args = [kwargs.pop(first)]
        if not isinstance(args, list) or not args or not isinstance(kwargs, dict):
            raise ValueError(f"'{path}': layer '{spec['name']}' has a call record without its "
                             "input tensors (expected 'args': [tensor, ...], 'kwargs': "
                             f"{{...}}); got {node!r:.200}.")
        out = {"layer": spec["name"], "inputs": refs(args[0])}
        if args[1:]:
            out["args"] = argument(args[1:])
        if kwargs:
            out["kwargs"] = argument(kwargs)
        return out

    layers, pending = [], []
    try:
        for spec in config["layers"]:
            layers.append({"class_name": spec["class_name"], "config": spec["config"],
                           "name": spec["name"]})
            if not spec.get("inbound_nodes"):
                index[(spec["name"], 0)] = len(nodes)
                nodes.append({"layer": spec["name"], "inputs": None})
            else:
                pending += [(spec, k, node) for k, node in enumerate(spec["inbound_nodes"])]
        # NOTE: a node may use a layer listed after its own (a shared layer, a nested
        # model called twice): as Keras, process the nodes whose inputs exist, until none
        # is left or none can go
        while pending:
            left = []
            for spec, k, node in pending:
                try:
                    rec = record(spec, node)
                except _NotYet:
                    left.append((spec, k, node))
                    continue
                index[(spec["name"], k)] = len(nodes)
                nodes.append(rec)
            if len(left) == len(pending):
                raise ValueError(f"'{path}': the functional model's nodes reference tensors "
                                 "no node produces (layers "
                                 f"{sorted({s['name'] for s, _, _ in left})[:10]}); the graph "
                                 "is disconnected or cyclic.")
            pending = left
        return {"name": config.get("name"), "trainable": config.get("trainable", True),
                "layers": _plain(layers), "nodes": nodes,
                "inputs": _single(history(config["input_layers"])),
                "outputs": _single(history(config["output_layers"]))}
    except (KeyError, TypeError, IndexError) as e:
        raise ValueError(f"'{path}' has a functional model config tapeflow cannot read "
                         f"({type(e).__name__}: {e}).") from None


class _NotYet(Exception):
    """A node whose input tensors are not made yet (internal to _functional_from_keras)."""


def _single(refs):
    """As Keras 3 reads a functional config: a list of one input (output) is that one."""
    return refs[0] if isinstance(refs, list) and len(refs) == 1 else refs


def _keras2_node(node, path, layer):
    """Keras 2's node record ``[[name, node, tensor, kwargs], ...]`` (one entry per input
    tensor) as Keras 3's ``{"args": [...], "kwargs": {...}}``."""
    tensors, kwargs = [], {}
    for entry in node:
        if not (isinstance(entry, list) and len(entry) in (3, 4) and isinstance(entry[0], str)):
            raise ValueError(f"'{path}': layer '{layer}' has an unreadable Keras 2 node record "
                             f"{entry!r:.200}.")
        tensors.append({"class_name": "__keras_tensor__",
                        "config": {"keras_history": list(entry[:3])}})
        if len(entry) == 4 and isinstance(entry[3], dict):
            kwargs.update(entry[3])
    return {"args": [tensors[0] if len(tensors) == 1 else tensors], "kwargs": kwargs}


def _first_argument(spec, kwargs):
    """The keyword among ``kwargs`` that is the inputs argument of the layer class ``spec``
    names (Keras records ``mha(query=q, value=v)`` with no positional arguments)."""
    from ..layers.base import first_call_argument  # cycle: keras.layers imports saving

    cls = _registry.locate("layer", spec.get("class_name"), spec.get("registered_name"))
    if isinstance(cls, type) and hasattr(cls, "call"):
        name = first_call_argument(cls)
        return name if name in kwargs else None
    return next(iter(kwargs), None) if len(kwargs) == 1 else None


def _subclass_from_config(cls, config, table):
    from ..models import Model  # cycle: keras.models imports keras.saving

    if cls.from_config.__func__ is not Model.from_config.__func__:
        try:
            return cls.from_config(config, custom_objects=table)
        except TypeError:
            return cls.from_config(config)
    params = inspect.signature(cls.__init__).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        config = {k: v for k, v in config.items() if k in params}
    try:
        return cls(**config)
    except TypeError as e:
        raise TypeError(f"Unable to revive model {cls.__name__} from its config: {e}. Make "
                        "sure get_config() returns every argument of __init__, or override "
                        "from_config().") from None


# -- files -------------------------------------------------------------------------------------
def save_model(model, filepath, overwrite=True, include_optimizer=True):
    filepath = os.fspath(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError("The filename must end in `.keras`: model.save('name.keras'); use "
                         f"save_weights() for weights only. Received: filepath={filepath}")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"'{filepath}' exists and overwrite=False")
    _refuse_code(model)
    config = json.dumps(model_config(model))
    arrays, names = model_store(model, include_optimizer=include_optimizer)
    from .. import __version__ as keras_version  # cycle: tapeflow.keras imports saving

    # NOTE: weights go in model.weights.h5 as Keras writes them; without h5py (an optional
    # extra) they go in model.weights.safetensors, which load_model reads either way.
    member = _H5 if _has_h5py() else _SAFETENSORS
    metadata = {"keras_version": keras_version, "tapeflow_version": __tapeflow_version__,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
                "weights_file": member}
    blob = io.BytesIO()
    (write_h5 if member == _H5 else write_safetensors)(blob, arrays, names)
    # NOTE: an adapted vocabulary goes in the layer's config (Keras reads it there too), so
    # tapeflow writes no assets; it reads the ones Keras writes (_load_assets)
    with atomic_path(filepath, suffix=".keras") as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as z:
            z.writestr(_METADATA, json.dumps(metadata))
            z.writestr(_CONFIG, config)
            z.writestr(member, blob.getvalue())


_ASSETS = "assets/"
_MAX_ASSET = 256 << 20  # bytes of one asset file (a vocabulary) read back


def _load_assets(model, path):
    """Hand each layer with ``load_assets`` the files Keras 3 saved for it under
    ``assets/<layer path>/`` (a vocabulary adapted in Keras): plain files copied into a
    temporary folder, each refused beyond ``_MAX_ASSET`` bytes."""
    wanted = [(p, layer) for p, layer in layer_paths(model) if hasattr(layer, "load_assets")]
    if not wanted:
        return
    with zipfile.ZipFile(path) as z:
        members = [i for i in z.infolist() if i.filename.startswith(_ASSETS)
                   and not i.is_dir()]
        for lpath, layer in wanted:
            prefix = f"{_ASSETS}{lpath}/"
            files = [i for i in members if i.filename.startswith(prefix)
                     and "/" not in i.filename[len(prefix):]]
            if not files:
                continue
            with tempfile.TemporaryDirectory() as d:
                for info in files:
                    if info.file_size > _MAX_ASSET:
                        raise Refused(f"'{path}': asset '{info.filename}' holds "
                                      f"{info.file_size} bytes, more than tapeflow reads "
                                      f"({_MAX_ASSET}); refusing it.")
                    with open(os.path.join(d, info.filename[len(prefix):]), "wb") as f:
                        f.write(z.read(info))
                try:
                    layer.load_assets(d)
                except (OSError, ValueError, UnicodeDecodeError) as e:
                    raise ValueError(f"'{path}': the assets of layer '{layer.name}' "
                                     f"({prefix}) cannot be read: {e}") from None


def _read_zip(path):
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise ValueError(f"'{path}' is not a valid .keras file (not a zip archive: {e}).") \
            from None
    with z:
        try:
            names = check_zip_members(z, f"'{path}' (a .keras file)")
        except ValueError as e:
            raise ValueError(f"{e}") from None
        if _CONFIG not in names:
            raise ValueError(f"'{path}' is not a valid .keras file: no {_CONFIG}.")
        try:
            if z.getinfo(_CONFIG).file_size > _MAX_JSON:
                raise ValueError(f"{_CONFIG} is too large")
            config = json.loads(z.read(_CONFIG).decode("utf-8"))
            members = {m: z.getinfo(m).file_size for m in (_H5, _SAFETENSORS) if m in names}
        except RecursionError:
            raise ValueError(f"'{path}': {_CONFIG} nests deeper than tapeflow reads (over "
                             f"{sys.getrecursionlimit()} levels); refusing it.") from None
        except (ValueError, zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as e:
            raise ValueError(f"'{path}' is not a valid .keras file (truncated or corrupt: "
                             f"{e}).") from None
    if not isinstance(config, dict):
        raise ValueError(f"'{path}': {_CONFIG} holds a JSON {type(config).__name__}, not the "
                         "model's config object.")
    return config, members


def _read_members(path, members, limit):
    """The weights members' bytes, each refused before it is decompressed if it is larger
    than ``limit`` (what the model's variables could need)."""
    out = {}
    try:
        with zipfile.ZipFile(path) as z:
            for m, size in members.items():
                if size > limit:
                    raise Refused(f"'{path}': member '{m}' holds {size} bytes, more than the "
                                  f"model's variables could need ({limit} bytes at most); "
                                  "refusing to read it.")
                out[m] = z.read(m)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as e:
        raise ValueError(f"'{path}' is not a valid .keras file (truncated or corrupt: "
                         f"{e}).") from None
    return out


def _read_weights_blob(weights, path, check=None):
    if _H5 in weights:
        with tempfile.TemporaryDirectory() as d:  # h5py reads a real file most portably
            tmp = os.path.join(d, _H5)
            with open(tmp, "wb") as f:
                f.write(weights[_H5])
            try:
                return read_h5(tmp, check)
            except Refused as e:
                raise Refused(str(e).replace(tmp, f"{path}/{_H5}")) from None
            except ValueError as e:
                raise ValueError(f"'{path}': {_H5} is corrupt "
                                 f"({str(e).replace(tmp, _H5)}).") from None
    if _SAFETENSORS in weights:
        arrays, meta = _safetensors.loads(weights[_SAFETENSORS], f"{path}/{_SAFETENSORS}",
                                          check)
        try:
            names = json.loads(meta.get("names", "{}"))
        except ValueError:
            names = {}
        return arrays, names
    return {}, {}


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Rebuild a model saved by ``model.save('m.keras')``: configs resolve through an
    allow-list (plus ``custom_objects``/registered classes), weights are data only."""
    path = os.fspath(filepath)
    if not path.endswith((".keras", ".h5", ".hdf5")):
        raise ValueError(f"File format not supported: filepath={path}. load_model() reads "
                         "`.keras` files and legacy `.h5` model files.")
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file: '{path}'")
    if not path.endswith(".keras"):  # legacy HDF5: the same allow-list, data only
        if not safe_mode:
            warnings.warn("safe_mode=False has no effect: tapeflow never runs code from a "
                          "file.", UserWarning, stacklevel=2)
        return load_legacy_model(path, custom_objects, compile)
    require_regular_file(path, ".keras file")
    spec, members = _read_zip(path)
    if spec.get("class_name") == "FeatureSpace":  # keras.utils.FeatureSpace: a layer
        from ..utils.feature_space import FeatureSpace

        return FeatureSpace._from_saved(spec, path)
    if not safe_mode:
        warnings.warn("safe_mode=False has no effect: tapeflow never runs code from a file.",
                      UserWarning, stacklevel=2)
    # the variables a config may create: what the weights member could fill (float64 at
    # most, twice over for stateful layers the file does not hold) and 16 MiB to spare
    budget = 2 * 8 // 4 * sum(members.values()) + (16 << 20)
    try:
        with creation_budget(budget, path):
            model = _named(path, model_from_config, spec, custom_objects, path)
            if compile and spec.get("compile_config"):
                _named(path, _compile_from, model, spec["compile_config"], custom_objects, path)
            shape = (spec.get("build_config") or {}).get("input_shape")
            if not model.built and shape is not None:
                _named(path, model.build, shape)
    except MemoryError:
        raise ValueError(f"Could not load '{path}': its {_CONFIG} describes a model larger "
                         "than this machine's memory (a damaged or hostile file?).") from None
    except (KeyError, TypeError, AttributeError, IndexError, RecursionError) as e:
        # a config tapeflow wrote itself never gets here: name the file and what broke
        what = f"missing entry {e}" if isinstance(e, KeyError) else f"{type(e).__name__}: {e}"
        raise ValueError(f"Could not load '{path}': its {_CONFIG} does not describe a model "
                         f"tapeflow can build ({what}).") from None
    limit = _weights_limit(model)
    weights = _read_members(path, members, limit)
    arrays, names = _read_weights_blob(
        weights, path, shape_check(model, path) if model.built else None)
    if not model.built or not model.weights and any(k != "vars" for k in names):
        _load_on_first_call(model, arrays, names, path)
    else:
        load_store(model, arrays, names, path)
    _load_assets(model, path)
    return model


def _named(path, fn, *args):
    """``fn(*args)``, with a ValueError that does not say which file it is about prefixed
    by the file's name (errors from deep in a layer's config)."""
    try:
        return fn(*args)
    except ValueError as e:
        if path in str(e):
            raise
        raise ValueError(f"Could not load '{path}': {e}") from None


def load_weights(model, filepath, skip_mismatch=False, by_name=False):
    """``model.load_weights``: a ``.keras`` file's weights member (as Keras 3 accepts), a
    legacy Keras ``.h5`` (model or weights-only, Keras 2's layout), or a weights file
    (``.weights.h5``, ``.safetensors``, ``.npz``)."""
    path = os.fspath(filepath)
    if path.endswith(".keras"):
        if not os.path.exists(path):
            raise FileNotFoundError(f"No such file: '{path}'")
        require_regular_file(path, ".keras file")
        _, members = _read_zip(path)
        if not members:
            raise ValueError(f"'{path}' holds no weights ({_H5} or {_SAFETENSORS}).")
        weights = _read_members(path, members, _weights_limit(model))
        arrays, names = _read_weights_blob(
            weights, path, shape_check(model, path, skip_mismatch) if model.built else None)
        if not model.built:
            _load_on_first_call(model, arrays, names, path)
            return
        if "optimizer/vars" in names and model.__dict__.get("optimizer") is None:
            arrays = {k: v for k, v in arrays.items() if not k.startswith("optimizer/")}
        load_store(model, arrays, names, path, skip_mismatch=skip_mismatch, by_name=by_name)
        return
    if path.endswith((".h5", ".hdf5")) and not path.endswith(".weights.h5") and \
            os.path.exists(path) and _has_h5py():
        require_regular_file(path, "weights file")
        if is_legacy(path):
            if by_name:
                raise ValueError(f"by_name=True is not supported for the legacy HDF5 file "
                                 f"'{path}'; its layers are matched in order.")
            load_legacy_weights(model, path, skip_mismatch=skip_mismatch)
            return
    weights_file.load_weights(model, path, skip_mismatch=skip_mismatch, by_name=by_name)


def _weights_limit(model):
    """The most bytes a weights member may hold for ``model``: 4x its variables as float64
    (weights plus an optimizer's slots) and 1 MiB for the container; a model whose weights
    are created on its first call (no shapes known yet) allows 2 GiB."""
    if not model.built or not model.weights:
        return 2 << 30
    return 4 * 8 * sum(int(np.prod(v.shape)) for v in model.weights) + (1 << 20)


def _load_on_first_call(model, arrays, names, path):
    """A subclassed model whose input shape is unknown creates its weights in its first
    call; load them right after it.

    NOTE: an instance attribute shadows ``call`` once and removes itself, so nothing in
    the class changes; the first call's outputs come from the initial weights, so it runs
    on the next call's inputs again after loading.
    """
    cls_call = type(model).call

    def call(inputs, *args, **kwargs):
        del model.__dict__["call"]
        cls_call(model, inputs, *args, **kwargs)
        load_store(model, arrays, names, path)
        return cls_call(model, inputs, *args, **kwargs)

    model.__dict__["call"] = call
