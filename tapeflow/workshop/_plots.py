"""Plotting for the workshop scripts: the notebook's inline figures become PNG files.

``plt`` is ``matplotlib.pyplot`` on the non-interactive Agg backend, or a stand-in that
ignores every call when matplotlib is not installed (one line says so). ``show(name)``
ends the current figure the way a notebook cell does, by saving it to
``$WORKSHOP_OUT/<name>.png`` (default ``./out/workshop/``). Sections call ``show(name)``
where the notebook would display a figure, never ``plt.show()``.
"""
import os

OUT = os.environ.get("WORKSHOP_OUT", os.path.join("out", "workshop"))

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None


class _NoPlot:
    """Stands in for pyplot, figures and axes: every call, attribute or index gives another
    stand-in, and ``fig, ax = plt.subplots()`` unpacks."""

    def __getattr__(self, name):
        return _NoPlot()

    def __call__(self, *args, **kwargs):
        return _NoPlot()

    def __getitem__(self, key):
        return _NoPlot()

    def __iter__(self):
        return iter((_NoPlot(), _NoPlot()))


_warned = False


def show(name):
    """Save the current figure as ``<name>.png`` (the notebook would display it here)."""
    global _warned
    if isinstance(plt, _NoPlot):
        if not _warned:
            print("(matplotlib is not installed: skipping plots; pip install 'tapeflow[plot]')")
            _warned = True
        return
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name + ".png")
    plt.savefig(path)
    plt.close()
    print(f"[plot saved to {path}]")


if plt is None:
    plt = _NoPlot()
