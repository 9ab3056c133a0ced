"""Small pieces of TF's framework API: devices, ``tf.config``, ``tf.debugging`` checks,
``tf.executing_eagerly``."""
import contextlib
import re

from . import backend
from .backend import cuda
from .errors import InvalidArgumentError
from .ops.math import as_t
from .tensor import TensorBase, convert_to_tensor

_DEVICE_RE = re.compile(r"^(/job:[^/]+(/replica:\d+)?(/task:\d+)?)?(/?(device:)?(CPU|GPU):\d+)?$",
                        re.IGNORECASE)


@contextlib.contextmanager
def device(device_name):
    """Place ops created in the context on ``device_name`` ('/CPU:0', '/GPU:0', ...)."""
    if device_name is not None and not isinstance(device_name, str):
        raise ValueError(f"device_name must be a string, got {device_name!r}")
    name = device_name or ""
    m = _DEVICE_RE.match(name.strip()) if name else None
    if name and not m:
        raise ValueError(f"Failed parsing device name: '{device_name}'")
    kind = m.group(6) if m else None
    index = int(name.strip().rsplit(":", 1)[1]) if kind else None
    scopes = backend.local  # NOTE: thread-local, as TF's device scopes
    scopes.names.append(name)
    scopes.devices.append(backend.resolve(kind, index))
    try:
        yield
    finally:
        scopes.devices.pop()
        scopes.names.pop()


def current_device():
    """The name of the device new tensors go to (``/GPU:0`` with CuPy and a GPU, else
    ``/CPU:0``)."""
    names = backend.local.names
    return names[-1] if names else ""


def executing_eagerly():
    """True outside a ``tf.function`` trace (tapeflow runs eagerly there), as TF."""
    return True


class PhysicalDevice:
    """A device ``tf.config.list_physical_devices`` reports: ``name`` and ``device_type``."""
    __slots__ = ("name", "device_type")

    def __init__(self, name, device_type):
        self.name = name
        self.device_type = device_type

    def __repr__(self):
        return f"PhysicalDevice(name='{self.name}', device_type='{self.device_type}')"

    def __eq__(self, other):
        return isinstance(other, PhysicalDevice) and other.name == self.name

    def __hash__(self):
        return hash(self.name)


def _gpu_reason():
    backend.ensure()
    if any(d.kind == "GPU" for d in backend.devices):
        return ""
    cuda.probe()
    return cuda.unavailable_reason or "no GPU backend registered"


class LogicalDevice(PhysicalDevice):
    """A device as ``tf.config.list_logical_devices`` reports it."""
    __slots__ = ()

    def __repr__(self):
        return f"LogicalDevice(name='{self.name}', device_type='{self.device_type}')"


class _Config:
    """``tf.config``: device listing (the host, plus CUDA devices through CuPy)."""

    @property
    def gpu_unavailable_reason(self):
        """Why ``list_physical_devices('GPU')`` is empty ('' when it is not): CuPy not
        installed, CuPy failed to import, no CUDA driver, or no device."""
        return _gpu_reason()

    class experimental:  # TF's name
        _growth = {}

        @staticmethod
        def set_memory_growth(device, enable):
            # NOTE: CuPy's memory pool already grows on demand, so this only records the
            # setting; TF refuses it for CPU devices, and so do we.
            if getattr(device, "device_type", None) != "GPU":
                raise ValueError("Cannot set memory growth on non-GPU and non-Pluggable "
                                 "devices")
            _Config.experimental._growth[device] = bool(enable)

        @staticmethod
        def get_memory_growth(device):
            return _Config.experimental._growth.get(device, False)

        @staticmethod
        def list_physical_devices(device_type=None):
            return _Config.list_physical_devices(device_type)

        @staticmethod
        def enable_op_determinism():
            return None

    class threading:  # TF's name
        @staticmethod
        def set_inter_op_parallelism_threads(n):
            return None

        @staticmethod
        def set_intra_op_parallelism_threads(n):
            return None

        @staticmethod
        def get_inter_op_parallelism_threads():
            return 0

        @staticmethod
        def get_intra_op_parallelism_threads():
            return 0

    @staticmethod
    def list_physical_devices(device_type=None):
        if device_type is None or str(device_type).upper() == "GPU":
            _gpu_reason()  # probes CuPy once
        devs = [PhysicalDevice(f"/physical_device:{d.kind}:{d.index}", d.kind)
                for d in backend.devices]
        if device_type is None:
            return devs
        return [d for d in devs if d.device_type == str(device_type).upper()]

    @staticmethod
    def list_logical_devices(device_type=None):
        return [LogicalDevice(d.name.replace("physical_device", "device"), d.device_type)
                for d in _Config.list_physical_devices(device_type)]

    @staticmethod
    def get_visible_devices(device_type=None):
        return _Config.list_physical_devices(device_type)

    @staticmethod
    def set_visible_devices(devices, device_type=None):
        return None

    @staticmethod
    def run_functions_eagerly(run_eagerly):
        _Config._eager_functions = bool(run_eagerly)

    @staticmethod
    def functions_run_eagerly():
        return getattr(_Config, "_eager_functions", False)

    @staticmethod
    def set_soft_device_placement(enabled):
        return None


config = _Config()


class _Debugging:
    """``tf.debugging``: runtime assertions that raise TF's errors."""

    @staticmethod
    def check_numerics(tensor, message, name=None):
        t = tensor if isinstance(tensor, TensorBase) else convert_to_tensor(tensor)
        v = t._v
        if v.dtype.kind == "f":
            xp = backend.xp_of(v)
            if xp.isnan(v).any():
                raise InvalidArgumentError(None, "CheckNumerics",
                                           f"{message} : Tensor had NaN values")
            if xp.isinf(v).any():
                raise InvalidArgumentError(None, "CheckNumerics",
                                           f"{message} : Tensor had Inf values")
        return t

    @staticmethod
    def _assert(cond_fn, x, y, message, summary):
        x, y = as_t(x), as_t(y)
        try:
            ok = bool(backend.xp_of(x._v).all(cond_fn(x._v, y._v)))
        except ValueError:
            ok = False
        if not ok:
            msg = (message + "\n" if message else "") + (
                f"Condition x {summary} y did not hold.\nx (shape={list(x._v.shape)}) = "
                f"{x.numpy()}\ny (shape={list(y._v.shape)}) = {y.numpy()}")
            raise InvalidArgumentError(None, "assert", msg)

    def assert_equal(self, x, y, message=None, summarize=None, name=None):
        self._assert(lambda a, b: a == b, x, y, message, "==")

    def assert_none_equal(self, x, y, message=None, summarize=None, name=None):
        self._assert(lambda a, b: a != b, x, y, message, "!=")

    def assert_less(self, x, y, message=None, summarize=None, name=None):
        self._assert(lambda a, b: a < b, x, y, message, "<")

    def assert_less_equal(self, x, y, message=None, summarize=None, name=None):
        self._assert(lambda a, b: a <= b, x, y, message, "<=")

    def assert_greater(self, x, y, message=None, summarize=None, name=None):
        self._assert(lambda a, b: a > b, x, y, message, ">")

    def assert_greater_equal(self, x, y, message=None, summarize=None, name=None):
        self._assert(lambda a, b: a >= b, x, y, message, ">=")

    def assert_near(self, x, y, rtol=None, atol=None, message=None, summarize=None, name=None):
        xp = backend.host
        self._assert(lambda a, b: xp.isclose(a, b, rtol=rtol or 1e-6, atol=atol or 1e-6), x, y,
                     message, "~=")

    def assert_non_negative(self, x, message=None, summarize=None, name=None):
        self._assert(lambda a, b: a >= b, x, 0, message, ">=")

    def assert_positive(self, x, message=None, summarize=None, name=None):
        self._assert(lambda a, b: a > b, x, 0, message, ">")

    def assert_rank(self, x, rank, message=None, name=None):
        x = as_t(x)
        if x._v.ndim != int(rank):
            raise ValueError((message or "") + f" Tensor must have rank {int(rank)}. Received "
                             f"rank {x._v.ndim}, shape {list(x._v.shape)}")

    def assert_shapes(self, shapes, data=None, summarize=None, message=None, name=None):
        return None

    def assert_all_finite(self, t, msg, name=None, x=None, message=None):
        return self.check_numerics(t if x is None else x, msg or message or "")

    def assert_type(self, tensor, tf_type, message=None, name=None):
        if tensor.dtype != tf_type:
            raise TypeError(f"{message or ''} {tensor!r} must be of type {tf_type}; got "
                            f"{tensor.dtype}")

    def set_log_device_placement(self, enabled):
        return None

    def enable_check_numerics(self, *a, **k):
        return None


debugging = _Debugging()
