import os
import sys

# NOTE: multi-threaded OpenBLAS on a 2-core machine shared with other work makes small matmuls
# 5-10x slower (threads spin waiting for each other); tests run BLAS single-threaded. This
# must happen before NumPy is first imported, which is why it sits at the top of conftest.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

sys.path.insert(0, os.path.dirname(__file__))
