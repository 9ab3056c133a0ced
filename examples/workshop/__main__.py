"""``python -m examples.workshop``: the same as ``python -m tapeflow.workshop``."""
import sys

from tapeflow.workshop.cli import main

sys.exit(main())
