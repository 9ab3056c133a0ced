"""``python -m examples.workshop``: run every workshop section in order."""
import sys

from examples.workshop.run_all import main

sys.exit(main())
