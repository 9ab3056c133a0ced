"""Runs one workshop section file in this interpreter: ``python -m tapeflow.workshop._runner FILE``.

The section's folder goes first on ``sys.path`` (as for ``python FILE``), so its bare
``from _common import ...`` and ``from _plots import ...`` work. With ``WORKSHOP_TF=tensorflow``
the same files run on TensorFlow instead (the benchmark's comparison): their
``import tapeflow as tf`` lines are read as ``import tensorflow as tf``, plus the two
respellings in ``TF_REWRITES`` that Keras 3 needs, and MNIST comes from tapeflow's loader (the
same NumPy arrays; TensorFlow's would download them). A missing MNIST ends the run with
``MNIST_MISSING`` and a message saying where to put the files, not a traceback.
"""
import os
import re
import sys
import types

import tapeflow

HERE = os.path.dirname(os.path.abspath(__file__))
MNIST_MISSING = 3  # the exit status when MNIST cannot be found

TF_REWRITES = [
    (r"^(\s*)import tapeflow as tf\b", r"\1import tensorflow as tf"),
    (r"^(\s*)from tapeflow\.", r"\1from tensorflow."),
    # Keras 3 dropped these Keras 2 spellings of the article; tapeflow still accepts them
    (r"\bSGD\(lr=", "SGD(learning_rate="),
    (r"\breset_states\(", "reset_state("),
]

IDX_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def read_source(path, tf_module="tapeflow"):
    """The text of ``path``, respelled for TensorFlow when ``tf_module`` is ``tensorflow``."""
    with open(path, encoding="utf-8") as f:
        src = f.read()
    if tf_module == "tensorflow":
        for pattern, repl in TF_REWRITES:
            src = re.sub(pattern, repl, src, flags=re.M)
    return src


def _load_helper(name, tf_module):
    path = os.path.join(HERE, name + ".py")
    mod = types.ModuleType(name)
    mod.__file__ = path
    sys.modules[name] = mod
    exec(compile(read_source(path, tf_module), path, "exec"), mod.__dict__)


def mnist_help(error):
    """The message for a missing or unreadable MNIST: the loader's error (which lists the
    places searched, in order, and the files each accepts), then the workshop's way to fix it."""
    dirs = os.environ.get("TAPEFLOW_DATASETS") or ""
    first = dirs.split(os.pathsep)[0] or "DIR"
    # deferred: it loads tapeflow.keras, which the cli does not need
    from tapeflow.keras.datasets._files import DownloadError

    what = "could not be found (nor downloaded)" if isinstance(error, DownloadError) else \
        "could not be read"
    return (
        f"The workshop needs the MNIST data set, and it {what}.\n"
        f"{error}\n"
        f"For the workshop: put the four files {', '.join(IDX_FILES)}\n"
        f"  into {os.path.join(first, 'mnist')}{os.sep} and run with --data-dir {first} "
        f"(that folder is searched first).")


def run(path, tf_module=None):
    """Execute the section file ``path`` as ``__main__``; returns the exit status."""
    tf_module = tf_module or os.environ.get("WORKSHOP_TF", "tapeflow")
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    if tf_module == "tensorflow":
        import tensorflow  # optional: only for the benchmark's comparison

        tensorflow.keras.datasets.mnist.load_data = tapeflow.keras.datasets.mnist.load_data
        _load_helper("_common", tf_module)
    namespace = {"__name__": "__main__", "__file__": path}
    try:
        exec(compile(read_source(path, tf_module), path, "exec"), namespace)
    except Exception as e:
        from tapeflow.keras.datasets._files import DownloadError  # deferred: as in mnist_help
        from tapeflow.keras.datasets._idx import DatasetFileError

        if isinstance(e, (DownloadError, DatasetFileError)):
            sys.stdout.flush()
            print(mnist_help(e), file=sys.stderr)
            return MNIST_MISSING
        raise
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1]))
