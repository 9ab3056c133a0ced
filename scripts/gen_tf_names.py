"""Record TensorFlow's public names per namespace, for ``scripts/api_surface.py``.

Run once, under a real TensorFlow (``tensorflow-cpu``), to (re)write the checked-in list:

    /path/to/tf-venv/bin/python scripts/gen_tf_names.py    # writes scripts/tf_names_2_21.json

Each namespace (``NAMESPACES``) is the object TensorFlow gives for that dotted name, e.g.
``tf.keras.optimizers.schedules``; its public names are those ``dir()`` lists without a
leading underscore, each with its kind: ``module``, ``class``, ``function`` (anything else
callable) or ``constant``. tapeflow's tests and CI read the JSON file and need no TensorFlow.
"""
import argparse
import inspect
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "tf_names_2_21.json")

NAMESPACES = [
    "tf", "tf.math", "tf.linalg", "tf.nn", "tf.random", "tf.dtypes", "tf.debugging", "tf.nest",
    "tf.config", "tf.data", "tf.data.experimental", "tf.keras.layers", "tf.keras.losses",
    "tf.keras.metrics", "tf.keras.optimizers", "tf.keras.optimizers.schedules",
    "tf.keras.callbacks", "tf.keras.initializers", "tf.keras.activations", "tf.keras.ops",
    "tf.io", "tf.io.gfile", "tf.errors", "tf.strings", "tf.image", "tf.sparse", "tf.ragged",
    "tf.signal", "tf.audio", "tf.bitwise", "tf.sets", "tf.lookup", "tf.train", "tf.summary",
    "tf.autograph", "tf.distribute", "tf.experimental", "tf.test", "tf.keras",
    "tf.keras.utils", "tf.keras.models", "tf.keras.backend",
    "tf.keras.regularizers", "tf.keras.constraints", "tf.keras.preprocessing",
    "tf.keras.mixed_precision", "tf.keras.datasets",
]


def kind(obj):
    """``module``, ``class``, ``function`` or ``constant``."""
    if inspect.ismodule(obj):
        return "module"
    if inspect.isclass(obj):
        return "class"
    if callable(obj):
        return "function"
    return "constant"


def resolve(root, dotted):
    obj = root
    for part in dotted.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


def collect(tf):
    """``{namespace: {name: kind}}`` for every namespace in ``NAMESPACES``."""
    out = {}
    for ns in NAMESPACES:
        obj = resolve(tf, ns)
        names = {}
        for name in sorted(dir(obj)):
            if name.startswith("_"):
                continue
            try:
                names[name] = kind(getattr(obj, name))
            except Exception:  # a lazily loaded name that fails to load: still a public name
                names[name] = "constant"
        out[ns] = names
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--output", default=OUT, help="where to write (default: %(default)s)")
    args = p.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf  # optional: this script exists to ask a real TensorFlow

    try:
        import keras  # optional: only for its version number

        keras_version = keras.__version__
    except ImportError:
        keras_version = None
    data = {
        "about": "Public names of TensorFlow's namespaces, written by scripts/gen_tf_names.py; "
                 "read by scripts/api_surface.py.",
        "tensorflow": tf.__version__,
        "keras": keras_version,
        "python": ".".join(map(str, sys.version_info[:3])),
        "namespaces": collect(tf),
    }
    with open(args.output, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=False)
        f.write("\n")
    total = sum(len(v) for v in data["namespaces"].values())
    print(f"wrote {args.output}: TensorFlow {tf.__version__}, {len(NAMESPACES)} namespaces, "
          f"{total} names")
    return 0


if __name__ == "__main__":
    sys.exit(main())
