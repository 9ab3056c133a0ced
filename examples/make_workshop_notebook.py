"""Write ``examples/workshop.ipynb`` from the section scripts in ``tapeflow/workshop/``.

    python examples/make_workshop_notebook.py          # rewrite the notebook
    python examples/make_workshop_notebook.py --check  # exit 1 if it is out of date

The code cells are the sections' code, split at top-level blank lines, with three changes
for a notebook: ``show(name)`` becomes ``plt.show()`` (figures appear inline), the helper
imports from ``_plots``/``_common`` go, and the ``_common`` definitions a section imports are
written out where it first needs them. The markdown cells are in ``INTROS`` below.
"""
import ast
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tapeflow.workshop import HERE, SECTIONS  # noqa: E402

NOTEBOOK = os.path.join(ROOT, "examples", "workshop.ipynb")

TITLE = """# Neural networks from scratch with tapeflow

This notebook walks through the workshop section by section, running every step on
tapeflow (`import tapeflow as tf`), the NumPy re-implementation of TensorFlow 2's eager API.
Run the cells from top to bottom. The four long training loops run `STEPS` steps: 1000 by
default, fewer when the environment variable `WORKSHOP_STEPS` is set (the test suite runs
this notebook that way). The same code runs as a script with `python -m tapeflow.workshop`.
"""

SETUP = """import os

import matplotlib.pyplot as plt

# The long training loops: 1000 steps in the workshop, fewer when WORKSHOP_STEPS is set.
STEPS = int(os.environ.get("WORKSHOP_STEPS", "1000"))"""

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
        lines.append(re.sub(r"^(\s*)show\([^)]*\)$", r"\1plt.show()", line))
    return "\n".join(lines), needed


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
    merged = []  # a figure stays in one cell: from its first plt call to its plt.show()
    for chunk in chunks:
        if merged and "plt." in merged[-1] and not merged[-1].rstrip().endswith("plt.show()"):
            merged[-1] += "\n\n" + chunk
        else:
            merged.append(chunk)
    return merged


def build():
    """The notebook, as a JSON-ready dict."""
    common = _common_definitions()
    cells = [("markdown", TITLE.strip()), ("code", SETUP)]
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
    return {"cells": out, "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}


def render():
    return json.dumps(build(), indent=1, ensure_ascii=False) + "\n"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in argv:
        with open(NOTEBOOK, encoding="utf-8") as f:
            if f.read() != text:
                print(f"{NOTEBOOK} is out of date: run python examples/make_workshop_notebook.py")
                return 1
        return 0
    with open(NOTEBOOK, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {NOTEBOOK} ({len(build()['cells'])} cells)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
