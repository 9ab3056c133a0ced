"""What the next-steps examples share: the checkout on ``sys.path`` (so ``import tapeflow``
finds it), matplotlib when installed, the ``--quick``/``--out`` command line and saving the
current figure to ``--out``."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

try:
    import matplotlib  # optional: the plots ([plot] extra)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None


def parse_args(doc, what, argv=None):
    """The example's command line, with the ``--out`` folder made.

    Args:
      doc: the example's module docstring (its first paragraph describes the command).
      what: what the example generates into ``--out`` besides the plots.
      argv: the arguments (``sys.argv[1:]`` when ``None``).

    Returns:
      The parsed arguments: ``quick`` (tiny data, 1 epoch) and ``out`` (the folder).
    """
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny data, 1 epoch")
    parser.add_argument("--out", default=os.path.join("out", "next_steps"),
                        help=f"folder for the generated {what} and the plots")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    return args


def show(out, name):
    """Save the current figure as ``out/name.png`` (where the notebook shows it)."""
    if plt is not None:
        plt.savefig(os.path.join(out, f"{name}.png"))
        plt.close()
