"""examples/workshop.ipynb is what examples/make_workshop_notebook.py writes from the section
scripts, and it runs top to bottom with nbclient at a small size."""
import json
import os
import subprocess
import sys

import pytest

from tapeflow.workshop import SECTIONS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK = os.path.join(ROOT, "examples", "workshop.ipynb")
MNIST = os.path.join(os.path.dirname(ROOT), "shared", "datasets", "mnist")


def test_notebook_is_up_to_date_with_the_sections():
    p = subprocess.run([sys.executable, os.path.join(ROOT, "examples",
                                                     "make_workshop_notebook.py"), "--check"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def test_notebook_markdown_covers_every_section():
    with open(NOTEBOOK, encoding="utf-8") as f:
        nb = json.load(f)
    heads = [c["source"][0].strip() for c in nb["cells"] if c["cell_type"] == "markdown"]
    assert [h for h in heads if h.startswith("## ")] == [f"## {n}. {t}" for n, _, _, t in SECTIONS]


@pytest.mark.skipif(not os.path.isdir(MNIST), reason=f"MNIST files not found at {MNIST}")
def test_notebook_runs_top_to_bottom(tmp_path, monkeypatch):
    nbclient = pytest.importorskip(
        "nbclient", reason="nbclient is not installed (pip install -e '.[dev]' adds it)")
    import nbformat  # optional, skipped above with nbclient

    # the kernel inherits the environment: this checkout's tapeflow, short loops, no display
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (ROOT, os.environ.get("PYTHONPATH")) if p))
    monkeypatch.setenv("WORKSHOP_STEPS", "2")
    monkeypatch.setenv("WORKSHOP_EPOCHS", "1")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.outputs if o.get("output_type") == "stream")
    images = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code"
                 for o in c.outputs)
    assert "Number of 9: 5949" in text  # the MNIST section
    assert "val_accuracy" in text  # the last section's fit
    assert images >= 6  # the data, the lines, the digit and the training curves
