"""examples/workshop.ipynb is what examples/make_workshop_notebook.py writes from the section
scripts, stored executed at the --quick size: its code matches the sections, its outputs are
clean of anything that changes between runs, and a fresh run (when MNIST is at hand) gives the
same text and the same figures."""
import base64
import importlib.util
import io
import json
import os
import re
import subprocess
import sys

import pytest

from tapeflow.workshop import SECTIONS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK = os.path.join(ROOT, "examples", "workshop.ipynb")
GENERATOR = os.path.join(ROOT, "examples", "make_workshop_notebook.py")


def _generator():
    spec = importlib.util.spec_from_file_location("make_workshop_notebook", GENERATOR)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


gen = _generator()


def _stored():
    with open(NOTEBOOK, encoding="utf-8") as f:
        return json.load(f)


def _code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _text(value):
    return "".join(value) if isinstance(value, list) else value


def _stream_text(nb):
    return "".join(_text(o["text"]) for c in _code_cells(nb) for o in c["outputs"]
                   if o["output_type"] == "stream")


def _images(nb):
    return [o["data"]["image/png"] for c in _code_cells(nb) for o in c["outputs"]
            if "image/png" in o.get("data", {})]


def test_notebook_is_up_to_date_with_the_sections():
    p = subprocess.run([sys.executable, GENERATOR, "--check"], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def test_check_notices_a_changed_cell(tmp_path):
    nb = _stored()
    cell = _code_cells(nb)[3]
    cell["source"] = cell["source"] + ["\nprint('edited by hand')"]
    path = tmp_path / "workshop.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    p = subprocess.run([sys.executable, GENERATOR, "--check", "--output", str(path)],
                       capture_output=True, text=True)
    assert p.returncode == 1 and "out of date" in p.stdout


def test_notebook_markdown_covers_every_section():
    nb = _stored()
    heads = [c["source"][0].strip() for c in nb["cells"] if c["cell_type"] == "markdown"]
    assert [h for h in heads if h.startswith("## ")] == [f"## {n}. {t}" for n, _, _, t in SECTIONS]


def test_notebook_is_stored_executed_with_clean_outputs():
    nb = _stored()
    cells = _code_cells(nb)
    assert [c["execution_count"] for c in cells] == list(range(1, len(cells) + 1)), \
        "examples/workshop.ipynb is not stored executed: run python " \
        "examples/make_workshop_notebook.py (it needs MNIST: --data-dir DIR)"
    text = _stream_text(nb)
    # the MNIST section, the long loops' second report and the last section's fit, --quick size
    assert "Number of 9: 5949" in text
    assert text.count("Loss:") > 20
    assert "Epoch 1/1\n" in text and "val_accuracy" in text
    shows = sum(len(re.findall(r"^\s*show\(", _text(c["source"]), re.M)) for c in cells[2:])
    images = _images(nb)
    assert len(images) >= shows >= 6  # every show() displayed (section 10's is in a loop)
    everything = json.dumps(nb)
    for volatile in (r" at 0x[0-9a-f]+", r"ipykernel_\d+", r"\\r", r"\\u001b\[",
                     r"\d(us|ms)/step", re.escape(ROOT)):
        assert not re.search(volatile, everything), volatile
    assert nb["metadata"] == gen.NB_METADATA
    assert all(c["metadata"] == {} for c in nb["cells"])
    assert os.path.getsize(NOTEBOOK) < 1_000_000
    for png in images:
        width, height = gen.png_size(png)
        assert 200 < width < 1200 and 200 < height < 1200


def test_figures_get_the_scripts_titles_and_labels(monkeypatch):
    """The notebook's show(name) gives a figure the title and axis labels of _plots.LABELS,
    as the scripts do, and no section cell displays a bare figure with plt.show()."""
    matplotlib = pytest.importorskip("matplotlib", reason="matplotlib is not installed")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # optional: skipped above without matplotlib

    from tapeflow.workshop._plots import LABELS

    nb = _stored()
    helper = next(c for c in _code_cells(nb) if "def show(" in _text(c["source"]))
    for c in _code_cells(nb):
        if c is not helper:
            assert not re.search(r"^\s*plt\.show\(\)", _text(c["source"]), re.M)
    seen = []
    monkeypatch.setattr(plt, "show", lambda: seen.append(plt.gca()))
    namespace = {"plt": plt}
    exec(_text(helper["source"]), namespace)
    for name, (title, xlabel, ylabel, legend) in LABELS.items():
        plt.figure()
        for _ in legend or [None]:
            plt.plot([0, 1], [1, 0])
        namespace["show"](name)
        ax = seen[-1]
        assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == (title, xlabel, ylabel)
        if legend:
            assert [t.get_text() for t in ax.get_legend().get_texts()] == legend
        plt.close("all")


def test_normalise_text_takes_out_what_changes_between_runs():
    line = ("\r1/235 \u2501 1:02 3ms/step - loss: 2.3"
            "\r235/235 \u2501\u2501 0s 961us/step - loss: 1.7")
    assert gen.normalise_text(line) == "235/235 \u2501\u2501 - loss: 1.7"
    assert gen.normalise_text("235/235 - 2s - 9ms/step - loss: 1.7") == "235/235 - loss: 1.7"
    # a redraw on the last step that ended its line, then the epoch's final line: the last stays
    twice = "Epoch 1/1\n235/235 \u2501 - loss: 1.7\n235/235 \u2501 - loss: 1.7 - val_loss: 1.1\n"
    assert gen.normalise_text(twice) == "Epoch 1/1\n235/235 \u2501 - loss: 1.7 - val_loss: 1.1\n"
    assert gen.normalise_text("1/2 a\n2/2 b\n") == "1/2 a\n2/2 b\n"
    assert gen.normalise_text("<Foo object at 0x7f3a2b>") == "<Foo object>"
    assert gen.normalise_text("/tmp/ipykernel_4242/123456.py:4: DeprecationWarning: x") == \
        "<cell>:4: DeprecationWarning: x"
    assert gen.normalise_text("\x1b[1mbold\x1b[0m") == "bold"
    outputs = [{"output_type": "stream", "name": "stdout", "text": "a\n"},
               {"output_type": "stream", "name": "stderr", "text": "warn\n"},
               {"output_type": "stream", "name": "stdout", "text": "b\n"}]
    assert gen.clean_outputs(outputs) == [
        {"name": "stderr", "output_type": "stream", "text": ["warn\n"]},
        {"name": "stdout", "output_type": "stream", "text": ["a\n", "b\n"]}]


def _mnist_dir():
    try:
        return gen.find_data_dir(), None
    except gen.DataNotFound as e:
        return None, str(e)


def _shrunk(png):
    from PIL import Image  # optional: the dev extra has Pillow (skipped without it)

    img = Image.open(io.BytesIO(base64.b64decode(png))).convert("L").resize((64, 64))
    return list(img.tobytes())


def test_stored_outputs_match_a_fresh_run(tmp_path):
    data_dir, why = _mnist_dir()
    if data_dir is None:
        pytest.skip("MNIST is not available, so the stored outputs cannot be compared with a "
                    f"fresh run (the source checks above still ran): {why}")
    for module in ("nbclient", "nbformat", "ipykernel", "matplotlib_inline", "PIL"):
        pytest.importorskip(module, reason=f"{module} is not installed (pip install -e '.[dev]')")
    out = tmp_path / "workshop.ipynb"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (ROOT, os.environ.get("PYTHONPATH")) if p))
    p = subprocess.run([sys.executable, GENERATOR, "--data-dir", data_dir, "--output", str(out)],
                       capture_output=True, text=True, env=env, timeout=1500)
    assert p.returncode == 0, p.stdout + p.stderr
    with open(out, encoding="utf-8") as f:
        fresh = json.load(f)
    stored = _stored()
    assert gen.render(gen.strip_outputs(fresh)) == gen.render(gen.strip_outputs(stored))
    for old, new in zip(_code_cells(stored), _code_cells(fresh)):
        where = _text(old["source"])[:80]
        # text: exactly the same (volatile parts were normalised away when both were written)
        texts = [[(o["output_type"], o.get("name"), _text(o.get("text", "")),
                   _text(o.get("data", {}).get("text/plain", ""))) for o in c["outputs"]]
                 for c in (old, new)]
        assert texts[0] == texts[1], where
        # figures: as many, the same pixel size, and alike when shrunk to 64x64 grey levels (two
        # different figures of this notebook differ by 2 or more on average; a rerun gives 0)
        pngs = [[o["data"]["image/png"] for o in c["outputs"] if "image/png" in o.get("data", {})]
                for c in (old, new)]
        assert len(pngs[0]) == len(pngs[1]), where
        for a, b in zip(*pngs):
            assert gen.png_size(a) == gen.png_size(b), where
            diff = sum(abs(x - y) for x, y in zip(_shrunk(a), _shrunk(b))) / 64**2
            assert diff < 1.5, (where, diff)
