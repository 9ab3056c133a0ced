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

# name -> (title, x label, y label, legend entries for the plotted artists in order or None).
# The article's plotting code draws bare figures; ``show`` adds these around it.
LABELS = {
    "02_data": ("The data: y = 3.5x - 1 plus uniform noise", "x", "y", None),
    "02_initial_line": ("The starting line, m = 1 and b = 0", "x", "y",
                        ["data", "y_pred = x*m + b"]),
    "02_closed_form": ("The closed-form least-squares line", "x", "y",
                       ["data", "y_pred = x*m + b"]),
    "02_gradient_descent": ("After 100 steps of gradient descent", "x", "y",
                            ["y_pred", "data"]),
    "04_digit": ("x[3], a training image of MNIST", "pixel column", "pixel row", None),
    "10_loss": ("Loss after each epoch of fit", "epoch", "loss", None),
    "10_accuracy": ("Accuracy after each epoch of fit", "epoch", "accuracy", None),
}


def label(name):
    """Give the current axes ``name``'s title, axis labels and legend from ``LABELS``, where
    the section's own code did not set them."""
    if name not in LABELS:
        return
    title, xlabel, ylabel, legend = LABELS[name]
    ax = plt.gca()
    if not ax.get_title():
        ax.set_title(title)
    if not ax.get_xlabel():
        ax.set_xlabel(xlabel)
    if not ax.get_ylabel():
        ax.set_ylabel(ylabel)
    if legend and ax.get_legend() is None:
        drawn = set(map(id, ax.collections + ax.lines))
        artists = [a for a in ax.get_children() if id(a) in drawn]  # in the order drawn
        if len(artists) == len(legend):
            ax.legend(artists, legend)


def show(name):
    """Save the current figure as ``<name>.png`` (the notebook would display it here), with
    the title and axis labels of ``LABELS``."""
    global _warned
    if isinstance(plt, _NoPlot):
        if not _warned:
            print("(matplotlib is not installed: skipping plots; pip install 'tapeflow[plot]')")
            _warned = True
        return
    label(name)
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name + ".png")
    plt.savefig(path)
    plt.close()
    print(f"[plot saved to {path}]")


if plt is None:
    plt = _NoPlot()
