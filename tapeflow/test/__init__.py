"""``tf.test``: a ``unittest.TestCase`` with TF's tensor assertions, and device queries."""
import unittest

from ..backend import host as np

__all__ = ["TestCase", "main", "is_gpu_available", "gpu_device_name", "is_built_with_cuda",
           "is_built_with_gpu_support", "is_built_with_rocm", "is_built_with_xla",
           "is_cpu_target_available"]


def _np(x):
    if hasattr(x, "numpy"):
        return x.numpy()
    return np.asarray(x)


class TestCase(unittest.TestCase):
    """``unittest.TestCase`` plus TF's assertions on tensors and arrays."""

    def evaluate(self, tensors):
        """Tensors (nested) as NumPy values."""
        from .. import nest  # deferred: nest is light, kept off the import path
        return nest.map_structure(_np, tensors)

    def assertAllClose(self, a, b, rtol=1e-6, atol=1e-6, msg=None):
        """Assert two (nested) arrays/tensors are elementwise close."""
        np.testing.assert_allclose(_np(a), _np(b), rtol=rtol, atol=atol, err_msg=msg or "")

    def assertAllEqual(self, a, b, msg=None):
        """Assert two arrays/tensors have the same shape and elements."""
        a, b = _np(a), _np(b)
        self.assertEqual(a.shape, b.shape, msg)
        np.testing.assert_array_equal(a, b, err_msg=msg or "")

    def assertNotAllEqual(self, a, b, msg=None):
        """Assert two arrays/tensors differ somewhere."""
        self.assertFalse(np.array_equal(_np(a), _np(b)), msg)

    def assertNotAllClose(self, a, b, rtol=1e-6, atol=1e-6, msg=None):
        """Assert two arrays/tensors are not all close."""
        self.assertFalse(np.allclose(_np(a), _np(b), rtol=rtol, atol=atol), msg)

    def assertAllGreater(self, a, comparison_target):
        """Assert every element is greater than ``comparison_target``."""
        self.assertTrue(np.all(_np(a) > comparison_target))

    def assertAllLess(self, a, comparison_target):
        """Assert every element is less than ``comparison_target``."""
        self.assertTrue(np.all(_np(a) < comparison_target))

    def assertAllInRange(self, target, lower_bound, upper_bound, open_lower_bound=False,
                         open_upper_bound=False):
        """Assert every element lies within the bounds."""
        t = _np(target)
        lo = t > lower_bound if open_lower_bound else t >= lower_bound
        hi = t < upper_bound if open_upper_bound else t <= upper_bound
        self.assertTrue(np.all(lo & hi))

    def assertShapeEqual(self, np_array, tf_tensor, msg=None):
        """Assert a NumPy array and a tensor have one shape."""
        self.assertEqual(tuple(np.shape(np_array)), tuple(tf_tensor.shape), msg)

    def assertDTypeEqual(self, target, expected_dtype):
        """Assert the array's dtype."""
        self.assertEqual(np.dtype(_np(target).dtype), np.dtype(expected_dtype))


def main(argv=None):
    """Run the tests of ``__main__`` (``unittest.main``)."""
    return unittest.main(argv=argv)


def _gpus():
    from ..framework import config  # deferred: config reads the backend's devices
    return config.list_physical_devices("GPU")


def is_gpu_available(cuda_only=False, min_cuda_compute_capability=None):
    """Whether a GPU device is present."""
    return bool(_gpus())


def gpu_device_name():
    """``"/device:GPU:0"`` when a GPU is present, else ``""``."""
    return "/device:GPU:0" if _gpus() else ""


def is_built_with_cuda():
    """Whether tapeflow can run on CUDA GPUs (through CuPy, when installed)."""
    import importlib.util  # optional: look for CuPy without importing it
    return importlib.util.find_spec("cupy") is not None


def is_built_with_gpu_support():
    """Same as ``is_built_with_cuda`` (tapeflow's only GPU backend is CUDA)."""
    return is_built_with_cuda()


def is_built_with_rocm():
    """Always False: tapeflow has no ROCm backend."""
    return False


def is_built_with_xla():
    """Always False: tapeflow has no XLA compiler."""
    return False


def is_cpu_target_available(cpu):
    """True for the host CPU (NumPy runs everywhere)."""
    return True
