"""The import graph: every module imports only from its own layer or the layers below it
(docs/internals.md, "Where things live"), and every module imports on its own.

The layers are read off each module's name; the few imports that reach up a layer are
listed in ``UPWARD`` with the reason, so a new one fails here until it is argued for.
"""
import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tapeflow

PACKAGE = Path(tapeflow.__file__).resolve().parent

# Bottom to top. A module belongs to the longest prefix that names it.
LAYERS = [
    ("base", ["tapeflow._version", "tapeflow.errors", "tapeflow.nest", "tapeflow.unsupported",
              "tapeflow._crc32c",
              "tapeflow._replicas", "tapeflow._recording", "tapeflow.types"]),
    ("backend", ["tapeflow.backend", "tapeflow._io"]),
    ("dtypes", ["tapeflow.dtypes"]),
    ("tensor", ["tapeflow.tensor", "tapeflow.experimental"]),
    ("ops", ["tapeflow.ops"]),
    ("tape and variables", ["tapeflow.variable", "tapeflow.tape", "tapeflow.module",
                            "tapeflow.framework"]),
    ("function", ["tapeflow.function", "tapeflow._graph_replay", "tapeflow.custom_gradient",
                  "tapeflow.tensor_array", "tapeflow.autograph"]),
    ("public API", ["tapeflow.math", "tapeflow.nn", "tapeflow.random", "tapeflow.linalg",
                    "tapeflow.autodiff", "tapeflow.summary", "tapeflow.signal",
                    "tapeflow.ragged", "tapeflow.sparse", "tapeflow.strings",
                    "tapeflow.image", "tapeflow.io", "tapeflow.toplevel", "tapeflow.bitwise",
                    "tapeflow.sets", "tapeflow.audio", "tapeflow.lookup", "tapeflow.test",
                    "tapeflow.tensor_util", "tapeflow.quantization"]),
    # extension types wrap ops, ragged and sparse values and tf.data's specs; a
    # StructuredTensor holds tensors and ragged values in an extension type's manner
    ("input", ["tapeflow.data", "tapeflow.experimental.extension_type",
               "tapeflow.experimental.structured_tensor"]),
    ("keras", ["tapeflow.keras", "tapeflow.train"]),
    ("scale-out", ["tapeflow.distribute"]),
    # tf.experimental.numpy and API dispatch are written over the whole public tf.* API
    ("programs", ["tapeflow.workshop", "tapeflow", "tapeflow.experimental.numpy",
                  "tapeflow.experimental._dispatch"]),
]

# (importer, imported): why this import reaches up. Each is a function-level import.
UPWARD = {
    ("tapeflow.nn", "tapeflow.keras.layers.rnn_cell_wrappers"):
        "tf.nn's RNN cell wrappers are Keras layers (TF's legacy Keras cells)",
    ("tapeflow.dtypes", "tapeflow.ops.math"):
        "tf.dtypes.cast, complex and saturate_cast are ops; the module hands them out on use",
    ("tapeflow.experimental", "tapeflow.data._optional"):
        "tf.experimental.Optional is tf.data's Optional, loaded on first access",
    ("tapeflow.tensor", "tapeflow.ops.array"):
        "convert_to_tensor of a list of tensors is a recorded stack, an op",
    ("tapeflow.ragged._tensor", "tapeflow.data._structure"):
        "a RaggedTensorSpec in an input_signature flattens into tf.TensorSpecs (tf.data's)",
    ("tapeflow.function", "tapeflow.data._structure"):
        "tf.TensorSpec lives with tf.data's element specs; a traced signature is shown with it",
}


def _rank(module):
    best = None
    for rank, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and (
                    best is None or len(p) > len(best[1])):
                best = (rank, p)
    return None if best is None else best[0]


def _modules():
    """{module name: (path, is_package)} for every module of the package."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        out[".".join(parts)] = (path, is_package)
    return out


MODULES = _modules()


def imports_of(module):
    """[(imported module, line, at module level)] for ``module``'s imports of tapeflow
    modules; ``from pkg import name`` counts as ``pkg.name`` when that is a module."""
    path, is_package = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    top = {id(n) for n in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = module.split(".")[:None if is_package else -1]
                package = package[:len(package) - node.level + 1]
                base = ".".join(package + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                     for a in node.names]
        else:
            continue
        found += [(n, node.lineno, id(node) in top) for n in names
                  if n == "tapeflow" or n.startswith("tapeflow.")]
    return found


def test_every_module_has_a_layer():
    assert [m for m in MODULES if _rank(m) is None] == []


def test_the_scan_resolves_relative_imports():
    names = {n for n, _, _ in imports_of("tapeflow.keras.models.model")}
    assert {"tapeflow._replicas", "tapeflow.keras.callbacks"} <= names
    assert "tapeflow.data.dataset" in {n for n, _, _ in imports_of("tapeflow.data")}


def test_modules_import_only_downward():
    offenders, used = [], set()
    for module in MODULES:
        for name, line, _ in imports_of(module):
            if _rank(name) > _rank(module):
                if (module, name) in UPWARD:
                    used.add((module, name))
                    continue
                offenders.append(f"{module}:{line} imports {name} "
                                 f"({LAYERS[_rank(module)][0]} -> {LAYERS[_rank(name)][0]})")
    assert offenders == []
    assert used == set(UPWARD), f"stale exceptions: {set(UPWARD) - used}"


def test_keras_data_and_nn_never_import_distribute():
    below = [m for m in MODULES if _rank(m) < _rank("tapeflow.distribute")]
    bad = [(m, n) for m in below for n, _, _ in imports_of(m)
           if n.startswith("tapeflow.distribute")]
    assert bad == []


def test_the_layer_check_catches_an_upward_import():
    # the check itself: keras reached from ops would be reported
    assert _rank("tapeflow.keras.layers.core") > _rank("tapeflow.ops.math")
    assert _rank("tapeflow.ops._core") > _rank("tapeflow.tensor")
    assert _rank("tapeflow.distribute.strategy") > _rank("tapeflow.keras.models.model")


# Modules that run a program when imported (the workshop's section scripts, ``__main__``).
def _importable(module):
    last = module.rsplit(".", 1)[-1]
    return not last[:1].isdigit() and last != "__main__"


@pytest.mark.parametrize("group", ["tapeflow.backend", "tapeflow.ops", "tapeflow.keras",
                                   "tapeflow.data", "tapeflow.distribute", "other"])
def test_every_module_imports_on_its_own(group):
    """Each module, imported first in a clean interpreter state, loads: no import cycle
    depends on which module happens to be imported first."""
    prefixes = ("tapeflow.backend", "tapeflow.ops", "tapeflow.keras", "tapeflow.data",
                "tapeflow.distribute")
    if group == "other":
        mods = [m for m in MODULES if not any(m == p or m.startswith(p + ".")
                                              for p in prefixes)]
    else:
        mods = [m for m in MODULES if m == group or m.startswith(group + ".")]
    mods = [m for m in mods if _importable(m)]
    code = f"""
import importlib, sys, traceback
failed = []
for m in {mods!r}:
    for k in [k for k in sys.modules if k == "tapeflow" or k.startswith("tapeflow.")]:
        del sys.modules[k]
    try:
        importlib.import_module(m)
    except Exception:
        failed.append(m + ": " + traceback.format_exc(limit=-3))
print("\\n".join(failed))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=600, env=dict(os.environ, MPLBACKEND="Agg",
                                                     PYTHONPATH=str(PACKAGE.parent)))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
