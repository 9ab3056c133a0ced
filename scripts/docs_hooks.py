"""MkDocs hooks for tapeflow's documentation site (mkdocs.yml names this file).

The site is made of the repository's own Markdown, included at build time rather than
copied into docs/, so that it cannot go stale:

- a line ``<!-- include: PATH -->`` in a page is replaced by the file PATH (relative to the
  repository root); ``<!-- include: PATH#Heading text -->`` by one section of it, from that
  heading to the next heading of the same or a higher level, its headings shifted so that
  the section's own heading becomes the page's title (``#``);
- links inside an included file are rewritten to the site: a link to a file that some page
  includes whole goes to that page, one to a file under docs/ to that file; a link to any
  other file of the repository keeps its words and names the file (the site has no page for
  a module or a script), and a link to a file that does not exist fails the build;
- ``examples/workshop.ipynb`` becomes the page ``workshop.ipynb`` (rendered by
  mkdocs-jupyter from its stored outputs; it is never executed here).

Every problem raises ``PluginError``, which stops the build.
"""
from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "examples/workshop.ipynb"   # repository path -> the site's page "workshop.ipynb"

_INCLUDE = re.compile(r"^<!--\s*include:\s*(?P<path>[^#\s]+)(?:#(?P<section>[^>]*?))?\s*-->[ \t]*$",
                      re.MULTILINE)
_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
# [text](target) and [text](target "title"); images too. Not reference-style links.
_LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)((?:\s+\"[^\"]*\")?\))")


def _lines_outside_fences(lines):
    """Yield (index, line, in_fence) for each line of Markdown."""
    fence = None
    for i, line in enumerate(lines):
        m = _FENCE.match(line)
        if m:
            if fence is None:
                fence = m.group(1)
            elif m.group(1) == fence:
                fence = None
                yield i, line, True
                continue
        yield i, line, fence is not None


def _section(text, title, path):
    """The section of ``text`` under the heading ``title``, promoted to a level-1 heading."""
    lines = text.splitlines()
    start = level = None
    end = len(lines)
    for i, line, fenced in _lines_outside_fences(lines):
        m = None if fenced else _HEADING.match(line)
        if not m:
            continue
        if start is None and m.group(2) == title:
            start, level = i, len(m.group(1))
        elif start is not None and len(m.group(1)) <= level:
            end = i
            break
    if start is None:
        raise PluginError(f"docs: {path} has no heading {title!r} to include")
    body = lines[start:end]
    shift = level - 1
    for i, line, fenced in _lines_outside_fences(body):
        m = None if fenced else _HEADING.match(line)
        if m:
            body[i] = "#" * (len(m.group(1)) - shift) + " " + m.group(2)
    return "\n".join(body) + "\n"


def _whole_file_pages(files):
    """{repository path: site page} for every file a page includes whole (and the notebook)."""
    pages = {NOTEBOOK: "workshop.ipynb"}
    for f in files.documentation_pages():
        if not f.src_uri.endswith(".md"):
            continue
        for m in _INCLUDE.finditer(Path(f.abs_src_path).read_text(encoding="utf-8")):
            if not m.group("section"):
                pages[posixpath.normpath(m.group("path"))] = f.src_uri
    return pages


def _rewrite_links(text, source, page_uri, pages, docs_dir):
    """Point the links of the repository file ``source`` at the site's pages."""
    here = posixpath.dirname(page_uri) or "."

    def fix(m):
        target = m.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            return m.group(0)                      # http:, mailto:, in-page anchors
        path, _, anchor = target.partition("#")
        repo_path = posixpath.normpath(posixpath.join(posixpath.dirname(source), path))
        if repo_path in pages:
            site_path = pages[repo_path]
        elif repo_path.startswith(docs_dir + "/") and (ROOT / repo_path).exists():
            site_path = repo_path[len(docs_dir) + 1:]   # a page or file of the site itself
        elif (ROOT / repo_path).exists() and not m.group(1).startswith("!"):
            # a file of the repository that the site does not show (a module, a script):
            # keep the words, name the file, drop the link
            return f"{m.group(1)[1:-2]} (`{repo_path}`)"
        else:
            raise PluginError(f"docs: {source} links to {target!r}, which does not exist "
                              f"(or is an image outside {docs_dir}/)")
        rel = posixpath.relpath(site_path, here)
        return m.group(1) + rel + ("#" + anchor if anchor else "") + m.group(3)

    out, lines = [], text.splitlines()
    for _, line, fenced in _lines_outside_fences(lines):
        out.append(line if fenced else _LINK.sub(fix, line))
    return "\n".join(out) + "\n"


_pages: dict[str, str] = {}


@event_priority(100)  # before mkdocs-jupyter's on_files, so that it renders the notebook
def on_files(files, config):
    notebook = ROOT / NOTEBOOK
    if not notebook.is_file():
        raise PluginError(f"docs: {NOTEBOOK} is missing")
    files.append(File("workshop.ipynb", src_dir=str(notebook.parent),
                      dest_dir=config["site_dir"],
                      use_directory_urls=config["use_directory_urls"]))
    _pages.clear()
    _pages.update(_whole_file_pages(files))
    return files


def on_page_markdown(markdown, page, config, files):
    def include(m):
        path = posixpath.normpath(m.group("path"))
        source = ROOT / path
        if not source.is_file():
            raise PluginError(f"docs: {page.file.src_uri} includes {path}, which does not exist")
        text = source.read_text(encoding="utf-8")
        if m.group("section"):
            text = _section(text, m.group("section").strip(), path)
        docs = Path(config["docs_dir"]).resolve()
        docs_dir = docs.relative_to(ROOT).as_posix() if docs.is_relative_to(ROOT) else "docs"
        return _rewrite_links(text, path, page.file.src_uri, _pages, docs_dir)

    return _INCLUDE.sub(include, markdown)
