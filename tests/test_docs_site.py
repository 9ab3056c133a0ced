"""The documentation site (`make docs`): it builds in strict mode, its pages hold what they
include, a broken reference fails the build, and two pages render in a real headless
Chromium (Debian's package) with no console errors and nothing loaded from outside."""
import functools
import http.server
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]


# `mkdocs build`, then a line naming the tapeflow modules the build imported (none: the API
# pages come from static analysis of the source)
_BUILD = """import sys
from mkdocs.__main__ import cli
try:
    cli(sys.argv[1:])
except SystemExit as stop:
    print("imported:", sorted(m for m in sys.modules if m.split(".")[0] == "tapeflow"))
    raise
"""


def _mkdocs(config, site_dir, cwd):
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    return subprocess.run(
        [sys.executable, "-c", _BUILD, "build", "--strict", "-f", str(config),
         "-d", str(site_dir)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    try:
        import mkdocs  # noqa: F401
    except ImportError:
        pytest.fail("mkdocs is not installed: pip install -e '.[docs]' (make test installs it)")
    out = tmp_path_factory.mktemp("site")
    run = _mkdocs(ROOT / "mkdocs.yml", out, ROOT)
    assert run.returncode == 0, f"mkdocs build --strict failed:\n{run.stdout}\n{run.stderr}"
    assert "imported: []" in run.stdout, run.stdout     # static analysis: no tapeflow import
    return out


def _page(site, name):
    path = site / name
    assert path.is_file(), f"{name} missing from the built site"
    return path.read_text(encoding="utf-8")


def test_strict_build_has_every_page(site):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    index = _page(site, "index.html")
    # the README is included, not copied: its headings and its own text are on the home page
    assert "The two commands" in index and "Differences from TensorFlow" in index
    first_line = next(line for line in readme.splitlines()[1:] if line.strip())
    assert first_line.split("`")[0].strip() in index
    # its link to the benchmark report points at the site's page for it
    assert 'href="benchmarks.html"' in index

    differences = _page(site, "differences.html")
    assert "<h1 id=\"differences-from-tensorflow\">Differences from TensorFlow" in differences
    assert "PCG64" in differences and "The two commands" not in differences

    assert "one training step" in _page(site, "internals.html")
    assert "tapeflow benchmarks" in _page(site, "benchmarks.html")
    assert "tf.distribute" in _page(site, "distributed.html")
    assert "MkDocs with mkdocstrings" in _page(site, "contributing.html")

    workshop = _page(site, "workshop.html")       # the notebook, rendered from its JSON
    assert "Linear regression" in workshop and "GradientTape" in workshop

    core = _page(site, "api/core.html")            # read from the docstrings
    for name in ("tapeflow.Tensor", "tapeflow.Variable", "tapeflow.GradientTape",
                 "tapeflow.function", "tapeflow.constant", "tapeflow.GradientTape.gradient"):
        assert f'id="{name}"' in core, name
    assert 'id="tapeflow.math.reduce_mean"' in _page(site, "api/math.html")
    assert 'id="tapeflow.nn.softmax"' in _page(site, "api/nn.html")
    assert 'id="tapeflow.data.Dataset.batch"' in _page(site, "api/data.html")
    assert 'id="tapeflow.keras.Model.fit"' in _page(site, "api/keras-models.html")
    assert 'id="tapeflow.keras.layers.Dense"' in _page(site, "api/keras-layers.html")
    assert 'id="tapeflow.keras.losses.SparseCategoricalCrossentropy"' in _page(
        site, "api/keras-losses.html")
    assert 'id="tapeflow.keras.optimizers.SGD"' in _page(site, "api/keras-optimizers.html")
    assert 'id="tapeflow.keras.callbacks.EarlyStopping"' in _page(
        site, "api/keras-callbacks.html")


@pytest.mark.parametrize("page, error", [
    ("::: tapeflow.no_such_function\n", "tapeflow.no_such_function"),
    ("[gone](no_such_page.md)\n", "no_such_page.md"),
    ("<!-- include: README.md#No such heading -->\n", "No such heading"),
    ("<!-- include: no_such_file.md -->\n", "no_such_file.md"),
])
def test_strict_build_fails_on_a_broken_reference(tmp_path, page, error):
    """What CI relies on: a missing object, link, heading or file stops the build."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Broken\n\n" + page)
    (tmp_path / "mkdocs.yml").write_text(textwrap.dedent(f"""\
        site_name: broken
        docs_dir: docs
        strict: true
        hooks: [{ROOT / "scripts" / "docs_hooks.py"}]
        validation:
          links: {{not_found: warn}}
        plugins:
          - mkdocstrings:
              handlers:
                python:
                  paths: [{ROOT}]
                  options: {{docstring_style: null}}
        """))
    run = _mkdocs(tmp_path / "mkdocs.yml", tmp_path / "site", tmp_path)
    assert run.returncode != 0, "the strict build passed with a broken reference"
    assert error in run.stdout + run.stderr


def _chromium_or_skip():
    if os.path.exists(CHROMIUM):
        return
    how = "apt-get install -y --no-install-recommends chromium (make test installs it as root)"
    if os.environ.get("CI"):
        pytest.fail(f"Debian's chromium is missing at {CHROMIUM}: {how}")
    pytest.skip(f"Debian's chromium is not installed on this machine ({how})")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_pages_render_in_headless_chromium(site):
    _chromium_or_skip()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install -e '.[dev]' (make test does)")

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    problems, outside = [], []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS,
                                        headless=True, timeout=30_000)
            try:
                page = browser.new_page()
                page.on("console", lambda m: m.type == "error" and problems.append(m.text))
                page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
                page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
                page.on("response", lambda r: r.status >= 400 and problems.append(
                    f"HTTP {r.status}: {r.url}"))
                page.on("request", lambda r: r.url.startswith(base) or
                        r.url.startswith("data:") or outside.append(r.url))
                # the index, one API page, and the notebook page (nbconvert's HTML, whose
                # template would load MathJax and mermaid from a CDN if the site let it)
                for path, title, heading in [
                        ("index.html", "tapeflow", "tapeflow"),
                        ("api/core.html", "Core (tf.*) - tapeflow", "Core (tf.*)"),
                        ("workshop.html", "Workshop - tapeflow", None)]:
                    page.goto(base + path, wait_until="networkidle", timeout=30_000)
                    assert page.title() == title
                    h1 = page.locator("article h1").first
                    assert h1.is_visible()
                    assert heading is None or h1.inner_text().rstrip("¶").strip() == heading
                    if path.startswith("api/"):
                        assert page.locator('[id="tapeflow.GradientTape"]').is_visible()
                    # the theme's script ran (it publishes its document observable)
                    assert page.evaluate("typeof window.document$") == "object"
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
    assert problems == [], f"console errors or failed loads: {problems}"
    assert outside == [], f"the site loaded something from outside itself: {outside}"



def _hooks():
    import importlib.util

    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "scripts/docs_hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_included_links_point_into_the_site():
    hooks = _hooks()
    pages = {"benchmarks/results/latest.md": "benchmarks.md", "README.md": "index.md"}
    text = ("See [the report](benchmarks/results/latest.md#eager_overhead), "
            "[GPUs](docs/gpu.md), [the tape](tapeflow/tape.py) and [TF](https://tensorflow.org)."
            "\n```md\n[kept](nowhere.md)\n```\n")
    out = hooks._rewrite_links(text, "README.md", "api/core.md", pages, "docs")
    assert out == ("See [the report](../benchmarks.md#eager_overhead), [GPUs](../gpu.md), "
                   "the tape (`tapeflow/tape.py`) and [TF](https://tensorflow.org)."
                   "\n```md\n[kept](nowhere.md)\n```\n")
    from mkdocs.exceptions import PluginError
    with pytest.raises(PluginError, match="nowhere.md"):
        hooks._rewrite_links("[gone](nowhere.md)", "README.md", "index.md", pages, "docs")


def test_section_include_stops_at_the_next_heading_outside_code():
    hooks = _hooks()
    text = "# Top\n\n## Wanted\n\ntext\n```sh\n# a shell comment, not a heading\n```\n" \
           "### Sub\n\nmore\n\n## Next\n\nnot this\n"
    assert hooks._section(text, "Wanted", "X.md") == (
        "# Wanted\n\ntext\n```sh\n# a shell comment, not a heading\n```\n## Sub\n\nmore\n\n")
