"""Run the workshop from a checkout: a thin wrapper over ``python -m tapeflow.workshop``.

    python examples/workshop/run_all.py            # every section, the article's counts
    python examples/workshop/run_all.py 02 --quick # sections by number or name, short loops

Bare arguments name sections; options (``--quick``, ``--out``, ``--data-dir``...) are passed
on as they are. The section scripts live in ``tapeflow/workshop/``.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tapeflow.workshop.cli import main  # after the checkout is on sys.path


def translate(argv):
    """Bare words become ``--section WORD``; everything else is passed through."""
    out, takes_value = [], False
    for a in argv:
        if takes_value or a.startswith("-"):
            out.append(a)
            takes_value = a in ("--section", "-s", "--data-dir", "--out", "--steps", "--epochs")
        else:
            out += ["--section", a]
    return out


if __name__ == "__main__":
    sys.exit(main(translate(sys.argv[1:])))
