"""``python -m tapeflow.workshop``: run the workshop (``--help`` for the options)."""
import sys

from tapeflow.workshop.cli import main

sys.exit(main())
