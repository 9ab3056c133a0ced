"""How much of TensorFlow 2.21's public API tapeflow has, namespace by namespace.

    python scripts/api_surface.py            # print coverage and the missing names
    python scripts/api_surface.py --write    # also rewrite docs/api_surface.md
    python scripts/api_surface.py --check    # exit 1 if docs/api_surface.md is stale

TensorFlow's names come from ``scripts/tf_names_2_21.json`` (written once from a real TF by
``scripts/gen_tf_names.py``; no TensorFlow is needed here). A name counts as present when
``getattr`` finds it on the matching tapeflow namespace and it is not one of
``tapeflow.unsupported``'s placeholders (they exist only to raise NotImplementedError).
Names in ``OUT_OF_SCOPE`` are left out of the counts and listed with their reason.
"""
import argparse
import fnmatch
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
NAMES_FILE = os.path.join(HERE, "tf_names_2_21.json")
REPORT = os.path.join(ROOT, "docs", "api_surface.md")
WRITE_COMMAND = "python scripts/api_surface.py --write"

# (namespace, name or fnmatch pattern, reason): what tapeflow does not set out to provide.
OUT_OF_SCOPE = [
    ("tf", "compat", "TF1 compatibility API (tf.compat.v1: graphs, sessions, placeholders)"),
    ("tf", "raw_ops", "TF's generated wrappers of its C++ kernels; tapeflow implements the "
                      "public ops instead"),
    ("tf", "Graph", "graph mode only: tapeflow is eager, tf.function traces in Python"),
    ("tf", "Operation", "graph mode only"),
    ("tf", "import_graph_def", "graph mode only (GraphDef protobufs)"),
    ("tf", "graph_util", "graph mode only (GraphDef protobufs)"),
    ("tf", "queue", "TF1 input queues, graph mode only; tf.data replaces them"),
    ("tf", "tpu", "TPU hardware"),
    ("tf", "xla", "XLA compiler"),
    ("tf", "mlir", "MLIR compiler bridge"),
    ("tf", "dtensor", "DTensor multi-device meshes (TF's C++ runtime)"),
    ("tf", "lite", "TensorFlow Lite converter and interpreter"),
    ("tf", "sysconfig", "TF's C++ build flags and header paths"),
    ("tf.keras", "export", "Keras's ExportArchive writes a TF SavedModel (see saved_model); "
                           "tapeflow's keras.export only raises an error naming its ONNX "
                           "export"),
    ("tf.keras.callbacks", "OrbaxCheckpoint", "needs the orbax-checkpoint package (JAX's "
                                              "checkpointing library)"),
    ("tf", "load_library", "loads compiled TF C++ kernels"),
    ("tf", "load_op_library", "loads compiled TF C++ kernels"),
    ("tf", "q*int*", "quantized dtypes of TF's C++ kernels, with no NumPy equivalent"),
    ("tf", "resource", "TF runtime's internal handle dtype"),
    ("tf", "variant", "TF runtime's internal handle dtype"),
    ("tf.dtypes", "q*int*", "quantized dtypes of TF's C++ kernels, with no NumPy equivalent"),
    ("tf.dtypes", "QUANTIZED_DTYPES", "the set of the quantized dtypes, which are out of "
                                      "scope (see q*int*)"),
    ("tf.dtypes", "resource", "TF runtime's internal handle dtype"),
    ("tf.dtypes", "variant", "TF runtime's internal handle dtype"),
    ("tf.config", "experimental_connect_to_*", "remote TF servers and TPU clusters"),
    ("tf.data.experimental", "service", "tf.data service: a cluster of dispatcher and worker "
                                        "servers"),
    ("tf", "saved_model", "SavedModel stores traced GraphDef protobufs for TF's C++ runtime; "
                          "tapeflow saves .keras files and tf.train.Checkpoint variables"),
    ("tf", "profiler", "TF's C++ profiler (XPlane traces for TensorBoard's profile plugin)"),
    ("tf", "feature_column", "deprecated in TF 2 and unusable with Keras 3's tf.keras; Keras "
                             "preprocessing layers replace it"),
    ("tf", "security", "tf.security.fuzzing: input annotations for fuzzing TF's C++ kernels"),
    ("tf", "tools", "TF's source tools (the tf_upgrade_v2 converter, the API docs generator)"),
    ("tf.keras.layers", "FlaxLayer", "wraps a Flax module: needs JAX and Flax"),
    ("tf.keras.layers", "JaxLayer", "wraps a JAX function: needs JAX"),
    ("tf.keras.layers", "TorchModuleWrapper", "wraps a torch.nn.Module: needs PyTorch"),
    ("tf.keras.layers", "TFSMLayer", "runs a TF SavedModel's serving graph: needs TF's C++ "
                                     "runtime"),
    ("tf.data.experimental", "to_variant", "a dataset as TF runtime's variant tensor handle "
                                           "(graph interop between C++ kernels)"),
    ("tf.data.experimental", "from_variant", "a dataset from TF runtime's variant tensor "
                                             "handle (graph interop between C++ kernels)"),
    ("tf.data.experimental", "get_model_proto", "the protobuf of TF's C++ autotuning model of "
                                                "a running iterator"),
    ("tf.data.experimental", "make_saveable_from_iterator", "TF1 graph-mode Saver object for "
                                                            "iterator state (tf.compat.v1)"),
    ("tf.io", "write_graph", "writes a GraphDef protobuf: graph mode only"),
    ("tf.io", "*_proto", "protocol buffers of user-compiled .proto descriptors (TF's C++ "
                         "proto library)"),
    ("tf.io", "match_filenames_once", "TF1 graph-mode local variable (tf.compat.v1)"),
    ("tf.io", "decode_jxl", "JPEG XL decoding in TF's C++ image library"),
    ("tf.image", "decode_jxl", "JPEG XL decoding in TF's C++ image library"),
    ("tf.train", "*Def", "cluster protobufs of TF's distributed C++ runtime"),
    ("tf.train", "ClusterSpec", "describes a cluster of TF C++ servers"),
    ("tf.distribute", "Server", "an in-process TF C++ server of a cluster"),
    ("tf.distribute", "TPUStrategy", "TPU hardware"),
    ("tf.distribute", "ParameterServerStrategy", "a cluster of TF C++ parameter servers"),
    ("tf.distribute", "cluster_resolver", "resolves TF C++ server clusters (TPU, Slurm, "
                                          "Kubernetes)"),
    ("tf.distribute", "coordinator", "parameter-server cluster coordination"),
    ("tf.distribute", "NcclAllReduce", "NVIDIA NCCL all-reduce of TF's C++ runtime"),
    ("tf.distribute", "HierarchicalCopyAllReduce", "multi-GPU copies of TF's C++ runtime"),
    ("tf.experimental", "dtensor", "DTensor multi-device meshes (TF's C++ runtime)"),
    ("tf.experimental", "tensorrt", "NVIDIA TensorRT graph converter"),
    ("tf.experimental", "float8_*", "8-bit float dtypes of TF's C++ kernels, with no NumPy "
                                    "equivalent"),
    ("tf.experimental", "float4_*", "4-bit float dtype of TF's C++ kernels, with no NumPy "
                                    "equivalent"),
    ("tf.experimental", "*int[24]", "2- and 4-bit integer dtypes of TF's C++ kernels, with "
                                    "no NumPy equivalent"),
    ("tf.experimental", "register_filesystem_plugin", "loads a compiled TF C++ file-system "
                                                      "plugin"),
    ("tf.experimental", "function_executor_type", "selects TF's C++ function executor"),
    ("tf.test", "create_local_cluster", "starts TF C++ servers"),
    ("tf.test", "assert_equal_graph_def", "compares GraphDef protobufs: graph mode only"),
    ("tf.keras", "applications", "pretrained ImageNet models, downloaded weights of Keras's "
                                 "model zoo"),
    ("tf.keras", "distribution", "JAX's multi-device distribution API"),
]

KINDS = ("class", "function", "module", "constant")


def load_names(path=NAMES_FILE):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def out_of_scope_reason(namespace, name):
    """The reason ``namespace.name`` is out of scope, or None."""
    for ns, pattern, reason in OUT_OF_SCOPE:
        if ns == namespace and fnmatch.fnmatchcase(name, pattern):
            return reason
    return None


def is_placeholder(obj):
    """Whether ``obj`` is one of ``tapeflow.unsupported``'s stand-ins: a namespace such as
    ``tf.strings``, one of the functions it hands out, or anything marked
    ``_tapeflow_unsupported = True``."""
    from tapeflow.unsupported import _Unsupported  # deferred: a script, run after sys.path

    if isinstance(obj, _Unsupported):
        return True
    qualname = getattr(obj, "__qualname__", "")
    if isinstance(qualname, str) and qualname.startswith("_Unsupported."):
        return True
    return getattr(obj, "_tapeflow_unsupported", False) is True


_MISSING = object()


def lookup(obj, name):
    """``getattr(obj, name)``, or ``_MISSING`` when it is absent or a placeholder. A name whose
    loading needs an optional package that is not installed counts as present."""
    if obj is _MISSING:
        return _MISSING
    try:
        value = getattr(obj, name)
    except AttributeError:
        return _MISSING
    except ImportError:
        return True  # implemented, behind an optional extra
    return _MISSING if is_placeholder(value) else value


def resolve(tf, namespace):
    """tapeflow's object for a dotted TF namespace (``tf.keras.ops``), or ``_MISSING``."""
    obj = tf
    for part in namespace.split(".")[1:]:
        obj = lookup(obj, part)
    return obj


def survey(tf, data):
    """Per namespace: total (in scope), present, missing ``{name: kind}``, out of scope
    ``{name: reason}``."""
    rows = []
    for ns, names in data["namespaces"].items():
        obj = resolve(tf, ns)
        present, missing, skipped = [], {}, {}
        for name, kind in names.items():
            reason = out_of_scope_reason(ns, name)
            if reason:
                skipped[name] = reason
            elif lookup(obj, name) is _MISSING:
                missing[name] = kind
            else:
                present.append(name)
        rows.append({"namespace": ns, "present": present, "missing": missing,
                     "out_of_scope": skipped, "total": len(present) + len(missing)})
    return rows


def percent(present, total):
    return 100.0 * present / total if total else 100.0


def summary_table(rows):
    lines = ["| namespace | present | total | coverage | out of scope |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for r in rows:
        n = len(r["present"])
        lines.append(f"| `{r['namespace']}` | {n} | {r['total']} | "
                     f"{percent(n, r['total']):.1f}% | {len(r['out_of_scope'])} |")
    present = sum(len(r["present"]) for r in rows)
    total = sum(r["total"] for r in rows)
    skipped = sum(len(r["out_of_scope"]) for r in rows)
    lines.append(f"| all | {present} | {total} | {percent(present, total):.1f}% | {skipped} |")
    return lines


def report(rows, data):
    """The Markdown text of ``docs/api_surface.md``."""
    out = [
        "# TensorFlow's API in tapeflow",
        "",
        f"Which public names of TensorFlow {data['tensorflow']} (with Keras {data['keras']} "
        "as `tf.keras`) tapeflow has,",
        f"per namespace. Generated by `{WRITE_COMMAND}` from",
        "`scripts/tf_names_2_21.json` (the names TensorFlow lists, recorded by",
        "`scripts/gen_tf_names.py`); `tests/test_api_surface.py` fails when this page is stale.",
        "A name is present when `getattr` finds it on tapeflow's namespace and it is not a",
        "placeholder that only raises NotImplementedError (`tapeflow/unsupported.py`). Names out",
        "of scope are not counted; they are listed at the end with the reason.",
        "",
        *summary_table(rows),
        "",
        "## Missing names",
        "",
    ]
    for r in rows:
        if not r["missing"]:
            continue
        out.append(f"### `{r['namespace']}` ({len(r['missing'])} missing)")
        out.append("")
        for kind in KINDS:
            names = sorted(n for n, k in r["missing"].items() if k == kind)
            if names:
                label = {"class": "classes", "function": "functions", "module": "modules",
                         "constant": "constants"}[kind]
                out.append(f"- {label}: " + ", ".join(f"`{n}`" for n in names))
        out.append("")
    out += ["## Out of scope", "", "| namespace | names | reason |", "| --- | --- | --- |"]
    for ns, pattern, reason in OUT_OF_SCOPE:
        names = sorted(n for n in data["namespaces"].get(ns, {})
                       if fnmatch.fnmatchcase(n, pattern))
        out.append(f"| `{ns}` | {', '.join(f'`{n}`' for n in names)} | {reason} |")
    return "\n".join(out) + "\n"


def render():
    """(rows, report text) for this checkout's tapeflow."""
    sys.path.insert(0, ROOT)
    import tapeflow  # deferred: this checkout's, after sys.path

    data = load_names()
    rows = survey(tapeflow, data)
    return rows, report(rows, data)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = p.add_mutually_exclusive_group()
    g.add_argument("--write", action="store_true", help=f"rewrite {os.path.relpath(REPORT, ROOT)}")
    g.add_argument("--check", action="store_true",
                   help=f"exit 1 if {os.path.relpath(REPORT, ROOT)} is out of date")
    p.add_argument("--quiet", "-q", action="store_true", help="print only the summary table")
    args = p.parse_args(argv)
    rows, text = render()
    if args.check:
        with open(REPORT, encoding="utf-8") as f:
            if f.read() != text:
                print(f"{REPORT} is out of date: run {WRITE_COMMAND}")
                return 1
        print(f"{REPORT} is up to date")
        return 0
    print("\n".join(summary_table(rows)))
    if not args.quiet:
        for r in rows:
            if r["missing"]:
                print(f"\n{r['namespace']} is missing {len(r['missing'])}: "
                      + ", ".join(sorted(r["missing"])))
    if args.write:
        with open(REPORT, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"\nwrote {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
