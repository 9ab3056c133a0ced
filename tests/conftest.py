import os
import sys

# NOTE: multi-threaded OpenBLAS on a 2-core machine shared with other work makes small matmuls
# 5-10x slower (threads spin waiting for each other); tests run BLAS single-threaded. This
# must happen before NumPy is first imported, which is why it sits at the top of conftest.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

sys.path.insert(0, os.path.dirname(__file__))

# TAPEFLOW_TEST_FAKE_GPU=1 runs every test on the stand-in GPU of tests/fakegpu.py: new tensors
# go to device arrays that refuse implicit conversion to NumPy, as CuPy's do. A machine without
# a GPU finds host/device mix-ups that way (tests that check host placement fail by design).
if os.environ.get("TAPEFLOW_TEST_FAKE_GPU") == "1":
    import pytest

    @pytest.fixture(autouse=True, scope="session")
    def _everything_on_the_stand_in_gpu():
        import fakegpu

        with fakegpu.fake_gpus():
            yield
