"""Write ``examples/workshop.ipynb`` from the section scripts in ``tapeflow/workshop/``, executed.

    python examples/make_workshop_notebook.py                 # run it and rewrite the notebook
    python examples/make_workshop_notebook.py --data-dir DIR  # ...with MNIST from DIR/mnist/
    python examples/make_workshop_notebook.py --check         # exit 1 if its code is stale
    python examples/make_workshop_notebook.py --sources-only  # rewrite it without outputs

The code cells are the sections' code, split at top-level blank lines, with two changes for
a notebook: the helper imports from ``_plots``/``_common`` go, and the ``_common`` definitions
a section imports are written out where it first needs them. ``show(name)`` stays: a cell
near the top defines it as the script's title and axis labels (``LABELS`` and ``label``,
copied from ``_plots.py``) followed by ``plt.show()``. The markdown cells are in ``INTROS``.

The notebook is stored with its outputs, so that it reads like the article without running
it. The generator runs it with nbclient in a fresh kernel at the workshop's ``--quick`` size
(``QUICK_ENV``: 101 steps per long loop, 1 fit epoch) on the real MNIST files, found as the
workshop finds them (``--data-dir``, then ``$TAPEFLOW_DATASETS``, then the project's
``../shared/datasets``). Every section seeds its random numbers and BLAS runs on one thread;
``clean_outputs`` takes out what changes from run to run (progress-bar redraws, timings,
colour codes, memory addresses, the kernel's temporary file names, timestamps), so one
machine writes the same file every time. ``tests/test_workshop_notebook.py`` runs it again
and compares.
"""
import argparse
import ast
import base64
import copy
import json
import os
import re
import struct
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tapeflow.workshop import HERE, SECTIONS  # noqa: E402
from tapeflow.workshop._runner import IDX_FILES  # noqa: E402
from tapeflow.workshop.cli import QUICK_EPOCHS, QUICK_STEPS  # noqa: E402

NOTEBOOK = os.path.join(ROOT, "examples", "workshop.ipynb")

TITLE = f"""# Neural networks from scratch with tapeflow

This notebook walks through the workshop section by section, running every step on
tapeflow (`import tapeflow as tf`), the NumPy re-implementation of TensorFlow 2's eager API.
Run the cells from top to bottom. The four long training loops run `STEPS` steps: 1000 by
default, fewer when the environment variable `WORKSHOP_STEPS` is set; the final `fit` runs
`WORKSHOP_EPOCHS` epochs (10 by default). The same code runs as a script with
`python -m tapeflow.workshop`.

The outputs stored with this notebook come from a short run, the size of
`tapeflow-workshop --quick`: {QUICK_STEPS} steps per long loop and {QUICK_EPOCHS} fit epoch, with
every random seed fixed. They are the same on every run, but they are not the article's
numbers (it trained for longer, unseeded), and timings are left out.
"""

SETUP = """import os

import matplotlib.pyplot as plt

# The long training loops: 1000 steps in the workshop, fewer when WORKSHOP_STEPS is set.
STEPS = int(os.environ.get("WORKSHOP_STEPS", "1000"))"""

PLOTS_INTRO = """The article draws bare figures. As in the workshop's scripts, `show(name)` gives
the current figure the title, axis labels and legend listed under its name in `LABELS`, then
displays it."""

SHOW = '''def show(name):
    """Display the current figure with its title and axis labels from ``LABELS``."""
    label(name)
    plt.show()'''

# The kernel's environment for the stored outputs: the workshop's --quick size, one BLAS
# thread (the same sums in the same order on every run), no colour codes, inline figures.
QUICK_ENV = {"WORKSHOP_STEPS": str(QUICK_STEPS), "WORKSHOP_EPOCHS": str(QUICK_EPOCHS),
             "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
             "NO_COLOR": "1", "PYTHONHASHSEED": "0",
             "MPLBACKEND": "module://matplotlib_inline.backend_inline"}

INTROS = {
    "tensors": """A tensor is an n-dimensional array with one dtype. Arithmetic on tensors
works element by element over the whole array at once, and a smaller operand is stretched
to match a bigger one (broadcasting). Tensors are immutable, so writing into one fails;
a `tf.Variable` holds a value that can be replaced with `assign`.""",
    "linear_regression": """We make up noisy points around a known line and try to
recover its slope `m` and intercept `b` by minimising the mean squared error. First with
the textbook formula, then by gradient descent: `tf.GradientTape` records the forward
computation so that `tape.gradient` can return d loss / d m and d loss / d b, and each step
moves the parameters a little against their gradient. The same loop is then tidied up with
a small model class, a hand-made optimizer object and finally Keras's `SGD`; all four
versions take exactly the same steps.""",
    "multiple_inputs_outputs": """With several inputs and outputs the slope becomes a
weight matrix `W` and the intercept a bias vector `b`; a batch of row vectors is mapped
with one matrix product, `x @ W + b`.""",
    "mnist": """MNIST holds 70,000 grey 28x28 pictures of handwritten digits with their
labels, split into 60,000 for training and 10,000 for testing. We look at the shapes,
the dtypes, one picture and how often each digit occurs.""",
    "logistic_regression": """To classify digits we map each flattened image to ten scores
and turn the scores into probabilities with a softmax. Written naively the softmax
overflows on large scores; `tf.nn.softmax` subtracts the maximum first and stays finite.
Training minimises the cross-entropy between the one-hot labels and the predicted
probabilities. Fitting only 500 images reaches perfect training accuracy but does much
worse on the test set; training on all 60,000 closes most of that gap.""",
    "neural_network": """Stacking linear maps alone gives another linear map, so we put a
non-linearity (the rectifier, relu) between them: one hidden layer of 50 units. The weights
now start random, because a network whose units all start equal would stay symmetric.
With standard-normal initial weights the first predictions are very confident and very
wrong, which is why the loss starts so high.""",
    "keras_layers": """Keras packages the same pieces: `Dense` is our linear layer with an
optional activation, a subclass of `tf.keras.Model` collects layers and their variables,
and `Sequential` chains layers without writing `call`. Dense layers use a scaled random
initialisation, so this network trains much faster than the hand-made one.""",
    "tf_data": """Instead of one step on all 60,000 images, we take many small steps on
shuffled minibatches of 256. `tf.data` builds that input pipeline from the arrays: map a
preprocessing function, shuffle, batch and prefetch.""",
    "metrics": """A loss or accuracy of one minibatch is noisy, so we report averages over
all the batches since the last report, first with a small hand-written `Mean`, then with
Keras metrics, which keep a running total and count instead of a list.""",
    "compile_fit": """`compile` and `fit` wrap up everything above: the optimizer, the
loss, the metrics, the batching and the epoch loop, plus evaluation on validation data
after each epoch. The returned `History` holds the curves we plot at the end.""",
}


def _common_definitions():
    """name -> source of each top-level definition in ``_common.py``."""
    with open(os.path.join(HERE, "_common.py"), encoding="utf-8") as f:
        src = f.read()
    defs = {}
    for node in ast.parse(src).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defs[node.name] = ast.get_source_segment(src, node)
    return defs


def _plot_helpers():
    """The source of ``LABELS`` and ``label`` in ``_plots.py`` (the scripts' figure labels)."""
    with open(os.path.join(HERE, "_plots.py"), encoding="utf-8") as f:
        src = f.read()
    parts = {}
    for node in ast.parse(src).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "LABELS"
                                                for t in node.targets):
            parts["LABELS"] = ast.get_source_segment(src, node)
        elif isinstance(node, ast.FunctionDef) and node.name == "label":
            parts["label"] = ast.get_source_segment(src, node)
    missing = sorted({"LABELS", "label"} - set(parts))
    if missing:
        raise SystemExit(f"tapeflow/workshop/_plots.py no longer defines {', '.join(missing)}; "
                         f"update _plot_helpers in examples/make_workshop_notebook.py")
    return parts["LABELS"], parts["label"]


def _body(path):
    """The section's code without its docstring and helper imports, for a notebook."""
    with open(path, encoding="utf-8") as f:
        src = f.read()
    tree = ast.parse(src)
    first = tree.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        src = "\n".join(src.splitlines()[first.end_lineno:])
    needed = []
    lines = []
    for line in src.splitlines():
        m = re.match(r"from _common import (.*)$", line)
        if m:
            needed += [n.strip() for n in m[1].split(",")]
            continue
        if line.startswith("from _plots import") or "_plots" in line:
            continue  # the import, and the comment about saving figures to files
        lines.append(line)
    return "\n".join(lines), needed


_SHOW_LINE = re.compile(r"\s*(plt\.)?show\(.*\)$")


def _cells_of(code):
    """Split code at blank lines that are followed by an unindented line."""
    chunks, cur = [], []
    lines = code.splitlines()
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if not line.strip() and (not nxt or not nxt[0].isspace()):
            if any(x.strip() for x in cur):
                chunks.append("\n".join(cur).strip("\n"))
            cur = []
        else:
            cur.append(line)
    if any(x.strip() for x in cur):
        chunks.append("\n".join(cur).strip("\n"))
    merged = []  # a figure stays in one cell: from its first plt call to its show()
    for chunk in chunks:
        if merged and "plt." in merged[-1] and not any(
                _SHOW_LINE.match(line) for line in merged[-1].splitlines()):
            merged[-1] += "\n\n" + chunk
        else:
            merged.append(chunk)
    return merged


NB_METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"}}


def build():
    """The notebook without outputs, as a JSON-ready dict."""
    common = _common_definitions()
    labels, label = _plot_helpers()
    cells = [("markdown", TITLE.strip()), ("code", SETUP), ("markdown", PLOTS_INTRO),
             ("code", "\n\n\n".join([labels, label, SHOW]))]
    defined = set()
    for n, name, filename, title in SECTIONS:
        cells.append(("markdown", f"## {n}. {title}\n\n{' '.join(INTROS[name].split())}"))
        code, needed = _body(os.path.join(HERE, filename))
        helpers = [common[h] for h in needed if h in common and h not in defined]
        defined.update(h for h in needed if h in common)
        for cell in _cells_of(code):
            cells.append(("code", cell))
            if helpers and cell.startswith(("import", "from")):
                # the helpers from earlier sections, once, right after the imports
                cells.append(("code", "\n\n\n".join(helpers)))
                helpers = []
    out = []
    for i, (kind, text) in enumerate(cells):
        cell = {"cell_type": kind, "id": f"cell-{i:03d}", "metadata": {},
                "source": text.splitlines(keepends=True)}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        out.append(cell)
    return {"cells": out, "metadata": copy.deepcopy(NB_METADATA), "nbformat": 4,
            "nbformat_minor": 5}


def strip_outputs(nb):
    """A copy of the notebook dict ``nb`` without outputs or execution counts."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell.update(execution_count=None, outputs=[])
    return nb


# ---------------------------------------------------------------------------------------------
# Running the notebook and cleaning its outputs

class DataNotFound(Exception):
    """MNIST's four IDX files are not where the generator looked."""


def find_data_dir(data_dir=None):
    """The folder whose ``mnist/`` holds the four IDX files: ``data_dir``, else the first
    ``$TAPEFLOW_DATASETS`` folder that has them, else the project's ``../shared/datasets``.
    Raises DataNotFound listing the places tried."""
    if data_dir:
        cands = [data_dir]
    else:
        cands = [d for d in os.environ.get("TAPEFLOW_DATASETS", "").split(os.pathsep) if d]
        cands.append(os.path.join(os.path.dirname(ROOT), "shared", "datasets"))
    for d in cands:
        d = os.path.abspath(os.path.expanduser(d))
        if all(os.path.isfile(os.path.join(d, "mnist", f)) for f in IDX_FILES):
            return d
    tried = "\n".join(f"  {os.path.join(os.path.abspath(os.path.expanduser(d)), 'mnist')}"
                      for d in cands)
    raise DataNotFound(f"MNIST ({', '.join(IDX_FILES)}) was not found in:\n{tried}\n"
                       f"Pass --data-dir DIR (with the files in DIR/mnist/) or set "
                       f"TAPEFLOW_DATASETS.")


# Text that changes from run to run, and what it becomes in the stored notebook.
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_VOLATILE = [
    # Keras's progress bar: elapsed time or ETA and time per step ("0s 961us/step", "1:02 3s/step")
    (re.compile(r"(?<= )(?:\d+:)*\d+s? \d+(?:\.\d+)?(?:us|ms|s)/(?:step|sample) ?"), ""),
    (re.compile(r" - (?:\d+:)*\d+s - \d+(?:\.\d+)?(?:us|ms|s)/(?:step|sample)"), ""),  # verbose=2
    # object reprs
    (re.compile(r" at 0x[0-9a-fA-F]+"), ""),
    # the kernel's file name for a cell, in warnings and tracebacks
    (re.compile(r"/[^\s:\"']*/ipykernel_\d+/\d+\.py"), "<cell>"),
    # this checkout's path, where the kernel's messages name a file of tapeflow
    (re.compile(re.escape(ROOT + os.sep)), ""),
]


_PROGRESS = re.compile(r"(\d+/(?:\d+|Unknown)) ")


def normalise_text(text):
    """``text`` as a terminal would leave it (each line after its last carriage return), with
    colour codes, timings, memory addresses and machine paths taken out."""
    text = _ANSI.sub("", text)
    lines = []
    for line in text.split("\n"):
        line = line.rstrip("\r")
        line = line.rsplit("\r", 1)[-1].rstrip() if "\r" in line else line
        # NOTE: a progress bar that happens to redraw on its last step ends that line too, so
        # the step's line can come twice, with and without the epoch's final metrics (whether
        # it does depends on timing): keep the last.
        m = _PROGRESS.match(line)
        if m and lines and lines[-1].startswith(m[0]):
            lines.pop()
        lines.append(line)
    text = "\n".join(lines)
    for pattern, repl in _VOLATILE:
        text = pattern.sub(repl, text)
    return text


def _text(value):
    return "".join(value) if isinstance(value, list) else value


def _lines(text):
    return text.splitlines(keepends=True)


def clean_outputs(outputs):
    """The outputs of one cell as stored: consecutive stream outputs merged per stream (stderr
    first: the two arrive in either order), text normalised, metadata and ids dropped."""
    out, streams = [], {}

    def flush_streams():
        for name in ("stderr", "stdout"):
            if name in streams:
                text = normalise_text(streams.pop(name))
                if text:
                    out.append({"name": name, "output_type": "stream", "text": _lines(text)})

    for o in outputs:
        kind = o["output_type"]
        if kind == "stream":
            streams[o["name"]] = streams.get(o["name"], "") + _text(o["text"])
            continue
        flush_streams()
        if kind in ("display_data", "execute_result"):
            data = {}
            for mime, value in sorted(o.get("data", {}).items()):
                if mime.startswith("image/"):
                    data[mime] = _text(value).replace("\n", "") + "\n"
                else:
                    data[mime] = _lines(normalise_text(_text(value)))
            item = {"data": data, "metadata": {}, "output_type": kind}
            if kind == "execute_result":
                item["execution_count"] = o.get("execution_count")
            out.append(item)
        elif kind == "error":
            out.append({"ename": o["ename"], "evalue": normalise_text(o["evalue"]),
                        "output_type": "error",
                        "traceback": [normalise_text(t) for t in o.get("traceback", [])]})
    flush_streams()
    return out


def execute(nb, data_dir, timeout=900):
    """``nb`` (a dict from ``build``) run top to bottom in a fresh kernel at the ``--quick``
    size, its outputs cleaned; returns a new dict."""
    try:
        import nbclient  # optional: the dev extra has it
        import nbformat  # optional: as nbclient
    except ImportError as e:
        raise SystemExit(f"running the notebook needs nbclient, nbformat, ipykernel and "
                         f"matplotlib ({e}): pip install -e '.[dev]'") from None
    env = dict(QUICK_ENV, TAPEFLOW_DATASETS=data_dir, PYTHONPATH=os.pathsep.join(
        p for p in (ROOT, os.environ.get("PYTHONPATH")) if p))
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        with tempfile.TemporaryDirectory() as cwd:
            run = nbformat.reads(json.dumps(nb), as_version=4)
            nbclient.NotebookClient(run, timeout=timeout, kernel_name="python3",
                                    record_timing=False, allow_errors=False,
                                    resources={"metadata": {"path": cwd}}).execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    out = copy.deepcopy(nb)
    for cell, ran in zip(out["cells"], run.cells):
        if cell["cell_type"] == "code":
            cell["execution_count"] = ran.get("execution_count")
            cell["outputs"] = clean_outputs(ran.get("outputs", []))
    return out


def png_size(b64):
    """(width, height) of a base64 PNG, from its header."""
    head = base64.b64decode(b64.strip()[:44])
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", head[16:24])


def render(nb=None):
    """The notebook file's text (``build()``'s notebook without outputs by default)."""
    return json.dumps(build() if nb is None else nb, indent=1, ensure_ascii=False) + "\n"


def read(path=NOTEBOOK):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def parser():
    p = argparse.ArgumentParser(
        prog="make_workshop_notebook.py",
        description="Write examples/workshop.ipynb from the workshop's sections and run it at "
                    "the --quick size so that it is stored with its outputs.")
    p.add_argument("--check", action="store_true",
                   help="exit 1 if the notebook's cells are not the sections' code and text "
                        "(outputs are not compared; the test suite does that)")
    p.add_argument("--sources-only", action="store_true",
                   help="write the notebook without running it (no outputs)")
    p.add_argument("--data-dir", metavar="DIR",
                   help="MNIST's four IDX files are in DIR/mnist/ (default: the first "
                        "TAPEFLOW_DATASETS folder that has them, else ../shared/datasets)")
    p.add_argument("--output", metavar="FILE", default=NOTEBOOK,
                   help="where to write (default: %(default)s)")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    if args.check:
        if render(strip_outputs(read(args.output))) != render():
            print(f"{args.output} is out of date: run python examples/make_workshop_notebook.py")
            return 1
        return 0
    nb = build()
    if not args.sources_only:
        try:
            data_dir = find_data_dir(args.data_dir)
        except DataNotFound as e:
            print(f"Cannot run the notebook: {e}\n(or write it without outputs with "
                  f"--sources-only)", file=sys.stderr)
            return 2
        nb = execute(nb, data_dir)
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(render(nb))
    images = sum("image/png" in o.get("data", {}) for c in nb["cells"]
                 for o in c.get("outputs", []))
    print(f"wrote {args.output} ({len(nb['cells'])} cells, {images} figures, "
          f"{os.path.getsize(args.output) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
