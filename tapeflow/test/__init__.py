"""``tf.test``: a ``unittest.TestCase`` with TF's tensor assertions, device queries,
``Benchmark``, the test decorators ``disable_with_predicate`` / ``with_eager_op_as_function``
``experimental.sync_devices`` and ``benchmark_config``."""
import functools
import inspect
import time
import unittest

from ..backend import host as np
from ..tape import GradientTape
from ..tensor import constant, convert_to_tensor
from . import experimental

__all__ = ["TestCase", "main", "compute_gradient", "is_gpu_available", "gpu_device_name",
           "is_built_with_cuda", "is_built_with_gpu_support", "is_built_with_rocm",
           "is_built_with_xla", "is_cpu_target_available", "Benchmark",
           "disable_with_predicate", "with_eager_op_as_function", "experimental",
           "benchmark_config"]


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


def compute_gradient(f, x, delta=None):
    """The theoretical (tape) and numerical (central differences) Jacobians of ``f`` at
    ``x``.

    Args:
      f: function of the tensors in ``x`` returning one tensor.
      x: list of tensors or arrays.
      delta: the perturbation of the numerical Jacobian (default 1/1024).

    Returns:
      ``(theoretical, numerical)``: tuples with one ``[y.size, x_i.size]`` array per input,
      in the inputs' dtypes.
    """
    delta = 1.0 / 1024 if delta is None else delta
    xs = [convert_to_tensor(v) for v in x]
    y = f(*xs)
    size = int(np.prod(y.shape))
    theoretical, numerical = [], []
    for i, xi in enumerate(xs):
        n = int(np.prod(xi.shape))
        jac_t = np.zeros((size, n), xi.dtype.as_numpy_dtype)
        for j in range(size):
            with GradientTape() as tape:
                tape.watch(xi)
                out = f(*xs[:i], xi, *xs[i + 1:])
                pick = np.zeros(size, out.dtype.as_numpy_dtype)
                pick[j] = 1
                flat = out * constant(pick.reshape(out.shape))
            g = tape.gradient(flat, xi)
            if g is not None:
                jac_t[j] = np.asarray(g.numpy()).reshape(-1)
        jac_n = np.zeros((size, n), xi.dtype.as_numpy_dtype)
        base = xi.numpy().reshape(-1)
        for k in range(n):
            shifted = []
            for sign in (1, -1):
                v = base.copy()
                v[k] += sign * delta
                arg = constant(v.reshape(xi.shape), xi.dtype)
                shifted.append(np.asarray(f(*xs[:i], arg, *xs[i + 1:]).numpy()).reshape(-1))
            jac_n[:, k] = (shifted[0] - shifted[1]) / (2 * delta)
        theoretical.append(jac_t)
        numerical.append(jac_n)
    return tuple(theoretical), tuple(numerical)


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


def disable_with_predicate(pred, skip_message):
    """Decorate a test method: skip it with ``skip_message`` when ``pred()`` is true at the
    time the test runs."""
    def decorator(func):
        @functools.wraps(func)
        def wrapper(self, *args, **kwargs):
            if pred():
                self.skipTest(skip_message)
            return func(self, *args, **kwargs)

        return wrapper

    return decorator


def with_eager_op_as_function(cls=None, only_as_function=False):
    """TF 2.21 keeps this decorator for old tests and returns the class unchanged (eager ops
    always run as functions); so does tapeflow. Usable bare or with arguments."""
    if cls is None:
        return lambda c: c
    return cls


def _entry_text(name, iters, cpu_time, wall_time, throughput, extras, metrics):
    """One ``BenchmarkEntries`` record in protobuf text format, as TF prints it."""
    def num(v):
        return repr(int(v)) if float(v).is_integer() and abs(v) < 1e16 else repr(float(v))

    lines = ["entry {", f'  name: "{name}"']
    if iters:  # proto3 text leaves zeros out
        lines.append(f"  iters: {int(iters)}")
    for key, value in (("cpu_time", cpu_time), ("wall_time", wall_time),
                       ("throughput", throughput)):
        if value:
            lines.append(f"  {key}: {num(value)}")
    for key in extras or {}:
        value = extras[key]
        lines += ["  extras {", f'    key: "{key}"', "    value {"]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            lines.append(f"      double_value: {num(value)}")
        else:
            lines.append(f'      string_value: "{value}"')
        lines += ["    }", "  }"]
    for metric in metrics or ():
        lines += ["  metrics {", f'    name: "{metric["name"]}"',
                  f"    value: {num(metric['value'])}"]
        for bound in ("min_value", "max_value"):
            if metric.get(bound) is not None:
                lines.append(f"    {bound}: {num(metric[bound])}")
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


class Benchmark:
    """Base class of TF benchmarks: methods named ``benchmark*`` time something and call
    ``report_benchmark``, which prints the entry in TF's text format."""

    @classmethod
    def is_abstract(cls):
        """True for ``tf.test.Benchmark`` itself, False for a subclass."""
        return cls is Benchmark

    def _get_name(self, overwrite_name=None):
        """``'<class>.<name>'``: the given name, else the calling benchmark method's."""
        name = overwrite_name
        if name is None:
            frame = inspect.currentframe().f_back.f_back
            name = frame.f_code.co_name if frame is not None else "unknown"
        return f"{type(self).__name__}.{name}"

    def report_benchmark(self, iters=None, cpu_time=None, wall_time=None, throughput=None,
                         extras=None, name=None, metrics=None):
        """Print one benchmark result (iterations, seconds, throughput, extras, metrics)."""
        name = self._get_name(overwrite_name=name)
        print(_entry_text(name, iters, cpu_time, wall_time, throughput, extras, metrics))

    def _report_as(self, full_name, **values):
        print(_entry_text(full_name, values.get("iters"), None, values.get("wall_time"),
                          values.get("throughput"), values.get("extras"), None))

    def evaluate(self, tensors):
        """Tensors (nested) as NumPy values."""
        from .. import nest  # deferred: nest is light, kept off the import path
        return nest.map_structure(_np, tensors)

    def run_op_benchmark(self, sess, op_or_tensor, feed_dict=None, burn_iters=2, min_iters=10,
                         store_trace=False, store_memory_usage=True, name=None, extras=None,
                         mbs=0):
        """Time ``op_or_tensor`` (a callable in eager tapeflow; a tensor is already computed)
        ``burn_iters`` times unmeasured, then ``min_iters`` times, and report the median.
        ``sess`` and ``feed_dict`` are TF 1's and must be None."""
        full_name = self._get_name(overwrite_name=name)
        if sess is not None or feed_dict is not None:
            raise ValueError("tapeflow runs eagerly: `sess` and `feed_dict` must be None.")
        run = op_or_tensor if callable(op_or_tensor) else (lambda: op_or_tensor)
        for _ in range(burn_iters):
            self.evaluate(run())
        deltas = []
        for _ in range(min_iters):
            start = time.perf_counter()
            self.evaluate(run())
            deltas.append(time.perf_counter() - start)
        median = float(np.median(np.asarray(deltas))) if deltas else 0.0
        throughput = mbs / median if median else 0.0
        extras = dict(extras or {})
        self._report_as(full_name, iters=min_iters, wall_time=median, extras=extras,
                        throughput=throughput)
        extras["wall_time_mean"] = float(np.mean(deltas)) if deltas else 0.0
        extras["wall_time_stdev"] = float(np.std(deltas)) if deltas else 0.0
        return {"iters": min_iters, "wall_time": median, "extras": extras, "name": name,
                "throughput": throughput}


# -- benchmark_config ----------------------------------------------------------------------
class _RewriterConfig:
    """The one Grappler setting ``benchmark_config`` holds: the dependency optimizer (its
    enum values as TF's ``RewriterConfig``: DEFAULT 0, ON 1, OFF 2, AGGRESSIVE 3)."""

    DEFAULT, ON, OFF, AGGRESSIVE = 0, 1, 2, 3

    def __init__(self, dependency_optimization=0):
        self.dependency_optimization = dependency_optimization


class _GraphOptions:
    """``ConfigProto.graph_options``: holds ``rewrite_options``."""

    def __init__(self, rewrite_options):
        self.rewrite_options = rewrite_options


class ConfigProto:
    """What ``benchmark_config()`` returns: TF's session ``ConfigProto`` reduced to the field
    it sets (``graph_options.rewrite_options.dependency_optimization``), with the protobuf
    text form, ``SerializeToString`` and ``HasField``. tapeflow runs eagerly and has no
    sessions or Grappler, so nothing reads it; benchmarks written for TF can still build,
    print and pass it along."""

    _NAMES = {0: "DEFAULT", 1: "ON", 2: "OFF", 3: "AGGRESSIVE"}

    def __init__(self, dependency_optimization=0):
        self.graph_options = _GraphOptions(_RewriterConfig(dependency_optimization))

    def _value(self):
        return self.graph_options.rewrite_options.dependency_optimization

    def HasField(self, field_name):
        """Whether a message field is set (only ``graph_options`` can be).

        Args:
          field_name: the field's name.

        Returns:
          A bool.
        """
        if field_name == "graph_options":
            return self._value() != 0
        return False

    def SerializeToString(self):
        """The protobuf wire bytes (field 10 ``graph_options`` > field 10 ``rewrite_options``
        > field 8 ``dependency_optimization``, a varint).

        Returns:
          bytes.
        """
        value = self._value()
        if not value:
            return b""
        inner = bytes([8 << 3, value])
        middle = bytes([(10 << 3) | 2, len(inner)]) + inner
        return bytes([(10 << 3) | 2, len(middle)]) + middle

    def __eq__(self, other):
        return isinstance(other, ConfigProto) and other._value() == self._value()

    def __hash__(self):
        return hash(self._value())

    def __str__(self):
        value = self._value()
        if not value:
            return ""
        return ("graph_options {\n  rewrite_options {\n    dependency_optimization: "
                f"{self._NAMES.get(value, value)}\n  }}\n}}\n")

    __repr__ = __str__


def benchmark_config():
    """A ``ConfigProto`` that turns Grappler's dependency optimizer off (TF's setting for
    benchmarks; tapeflow, eager and without Grappler, only carries it).

    Returns:
      A ``ConfigProto`` with ``graph_options.rewrite_options.dependency_optimization``
      set to ``OFF``.
    """
    return ConfigProto(dependency_optimization=_RewriterConfig.OFF)
