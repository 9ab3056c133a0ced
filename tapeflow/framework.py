"""Small pieces of TF's framework API: devices, ``tf.config``, ``tf.debugging`` checks,
``tf.executing_eagerly``."""
import contextlib
import operator
import re

from . import backend
from .backend import cuda
from .dtypes import float32
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


class LogicalDeviceConfiguration:
    """``tf.config.LogicalDeviceConfiguration``: how to split a physical device.

    Args:
        memory_limit: the memory (MiB) of the logical device, or None.
        experimental_priority: its stream priority, or None.
        experimental_device_ordinal: its ordinal, or None.
    """
    __slots__ = ("memory_limit", "experimental_priority", "experimental_device_ordinal")

    def __init__(self, memory_limit=None, experimental_priority=None,
                 experimental_device_ordinal=None):
        self.memory_limit = memory_limit
        self.experimental_priority = experimental_priority
        self.experimental_device_ordinal = experimental_device_ordinal

    def _fields(self):
        return (self.memory_limit, self.experimental_priority, self.experimental_device_ordinal)

    def __repr__(self):
        return (f"LogicalDeviceConfiguration(memory_limit={self.memory_limit}, "
                f"experimental_priority={self.experimental_priority}, "
                f"experimental_device_ordinal={self.experimental_device_ordinal})")

    def __eq__(self, other):
        return isinstance(other, LogicalDeviceConfiguration) and other._fields() == self._fields()

    def __hash__(self):
        return hash(self._fields())


class _Optimizer:
    """``tf.config.optimizer``: Grappler's options (recorded: tapeflow has no graph rewriter,
    so they change nothing but what the getters report)."""

    _jit = ""
    _options = {}

    @staticmethod
    def get_jit():
        """The XLA JIT setting: '' (off) or 'autoclustering'."""
        return _Optimizer._jit

    @staticmethod
    def set_jit(enabled):
        """Record the JIT setting (True or 'autoclustering' turns it on)."""
        on = enabled if isinstance(enabled, str) else ("autoclustering" if enabled else "")
        _Optimizer._jit = "autoclustering" if on == "autoclustering" else ""

    @staticmethod
    def get_experimental_options():
        """The options set, plus TF's two defaults (model pruning and the meta optimizer on)."""
        out = dict(_Optimizer._options)
        out.setdefault("disable_model_pruning", False)
        out.setdefault("disable_meta_optimizer", False)
        return out

    @staticmethod
    def set_experimental_options(options):
        """Record Grappler options (a dict of option name to bool)."""
        _Optimizer._options.update(options)


def _thread_count(n, which):
    """A ``tf.config.threading`` count: an int >= 0 (None is 0), TF's errors otherwise."""
    if n is None:
        return 0
    if isinstance(n, bool):
        raise TypeError(f"Field tensorflow.ConfigProto.{which}_op_parallelism_threads: "
                        "Expected an int, got a boolean.")
    n = operator.index(n)  # TypeError: 'float' object cannot be interpreted as an integer
    if n < 0:
        raise ValueError(f"{which}_op_parallelism_threads must be >= 0 (0: the system's "
                         f"choice), got {n}")
    return n


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
        # NOTE: TF fixes its thread pools when its runtime starts and raises RuntimeError for a
        # change after the first op; tapeflow applies a change at any time instead (a script
        # that runs on TF runs here). A negative count, which aborts TF's process when its
        # runtime starts, is a ValueError here.
        _inter = [0]

        @staticmethod
        def set_inter_op_parallelism_threads(num_threads):
            """How many ops may run at once. Recorded and returned by the getter: tapeflow
            runs one op at a time (each heavy op spreads over the intra-op threads)."""
            _Config.threading._inter[0] = _thread_count(num_threads, "inter")

        @staticmethod
        def set_intra_op_parallelism_threads(num_threads):
            """How many threads one op may use (0: the system's choice): the worker threads
            of convolutions, pooling and large products, and OpenBLAS's threads."""
            from .backend import tuning

            tuning.set_intra_op_threads(_thread_count(num_threads, "intra"))

        @staticmethod
        def get_inter_op_parallelism_threads():
            """The inter-op count set (0: the system's choice)."""
            return _Config.threading._inter[0]

        @staticmethod
        def get_intra_op_parallelism_threads():
            """The intra-op count set (0: the system's choice)."""
            from .backend import tuning

            return tuning.intra_op_threads()

    @staticmethod
    def list_physical_devices(device_type=None):
        """The physical devices (``PhysicalDevice``): all, or those of ``device_type``."""
        if device_type is None or str(device_type).upper() == "GPU":
            _gpu_reason()  # probes CuPy once
        devs = [PhysicalDevice(f"/physical_device:{d.kind}:{d.index}", d.kind)
                for d in backend.devices]
        if device_type is None:
            return devs
        return [d for d in devs if d.device_type == str(device_type).upper()]

    @staticmethod
    def list_logical_devices(device_type=None):
        """The logical devices (``LogicalDevice``), one per physical device."""
        return [LogicalDevice(d.name.replace("physical_device", "device"), d.device_type)
                for d in _Config.list_physical_devices(device_type)]

    @staticmethod
    def get_visible_devices(device_type=None):
        """The devices ops may run on (tapeflow hides none)."""
        return _Config.list_physical_devices(device_type)

    @staticmethod
    def set_visible_devices(devices, device_type=None):
        """Accepted for TF code; tapeflow keeps every device visible."""
        return None

    @staticmethod
    def run_functions_eagerly(run_eagerly):
        """Make every ``tf.function`` run its Python eagerly (True) or traced."""
        _Config._eager_functions = bool(run_eagerly)

    @staticmethod
    def functions_run_eagerly():
        """Whether ``run_functions_eagerly(True)`` is in effect."""
        return getattr(_Config, "_eager_functions", False)

    @staticmethod
    def set_soft_device_placement(enabled):
        """Record the flag (tapeflow always falls back to a device it has)."""
        _Config._soft_placement = bool(enabled)

    @staticmethod
    def get_soft_device_placement():
        """Whether ops without a kernel on the requested device fall back (True, as TF)."""
        return getattr(_Config, "_soft_placement", True)

    @staticmethod
    def experimental_run_functions_eagerly(run_eagerly):
        """The deprecated name of ``run_functions_eagerly``."""
        _Config.run_functions_eagerly(run_eagerly)

    @staticmethod
    def experimental_functions_run_eagerly():
        """The deprecated name of ``functions_run_eagerly``."""
        return _Config.functions_run_eagerly()

    _logical = {}

    @staticmethod
    def get_logical_device_configuration(device):
        """The logical devices ``device`` was split into, or None when it was not."""
        return _Config._logical.get(device)

    @staticmethod
    def set_logical_device_configuration(device, logical_devices):
        """Split ``device`` into ``logical_devices``; as in TF, that is refused once the
        runtime has started (in tapeflow it always has: ops run from the first import)."""
        raise RuntimeError("Virtual devices cannot be modified after being initialized")

    PhysicalDevice = PhysicalDevice
    LogicalDevice = LogicalDevice
    LogicalDeviceConfiguration = LogicalDeviceConfiguration
    optimizer = _Optimizer


config = _Config()


class _Debugging:
    """``tf.debugging``: runtime assertions that raise TF's errors."""

    @staticmethod
    def check_numerics(tensor, message, name=None):
        """``tensor``, or ``InvalidArgumentError`` naming ``message`` on a NaN or Inf."""
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
        """Raise ``InvalidArgumentError`` unless ``x == y`` everywhere (broadcast)."""
        self._assert(lambda a, b: a == b, x, y, message, "==")

    def assert_none_equal(self, x, y, message=None, summarize=None, name=None):
        """Raise ``InvalidArgumentError`` unless ``x != y`` everywhere."""
        self._assert(lambda a, b: a != b, x, y, message, "!=")

    def assert_less(self, x, y, message=None, summarize=None, name=None):
        """Raise ``InvalidArgumentError`` unless ``x < y`` everywhere."""
        self._assert(lambda a, b: a < b, x, y, message, "<")

    def assert_less_equal(self, x, y, message=None, summarize=None, name=None):
        """Raise ``InvalidArgumentError`` unless ``x <= y`` everywhere."""
        self._assert(lambda a, b: a <= b, x, y, message, "<=")

    def assert_greater(self, x, y, message=None, summarize=None, name=None):
        """Raise ``InvalidArgumentError`` unless ``x > y`` everywhere."""
        self._assert(lambda a, b: a > b, x, y, message, ">")

    def assert_greater_equal(self, x, y, message=None, summarize=None, name=None):
        """Raise ``InvalidArgumentError`` unless ``x >= y`` everywhere."""
        self._assert(lambda a, b: a >= b, x, y, message, ">=")

    def assert_near(self, x, y, rtol=None, atol=None, message=None, summarize=None, name=None):
        """Raise ``InvalidArgumentError`` unless ``x`` and ``y`` agree within tolerance."""
        xp = backend.host
        self._assert(lambda a, b: xp.isclose(a, b, rtol=rtol or 1e-6, atol=atol or 1e-6), x, y,
                     message, "~=")

    def assert_non_negative(self, x, message=None, summarize=None, name=None):
        """Raise ``InvalidArgumentError`` unless every element is >= 0."""
        self._assert(lambda a, b: a >= b, x, 0, message, ">=")

    def assert_positive(self, x, message=None, summarize=None, name=None):
        """Raise ``InvalidArgumentError`` unless every element is > 0."""
        self._assert(lambda a, b: a > b, x, 0, message, ">")

    def assert_rank(self, x, rank, message=None, name=None):
        """Raise ``ValueError`` unless ``x`` has rank ``rank``."""
        x = as_t(x)
        if x._v.ndim != int(rank):
            raise ValueError((message or "") + f" Tensor must have rank {int(rank)}. Received "
                             f"rank {x._v.ndim}, shape {list(x._v.shape)}")

    def assert_shapes(self, shapes, data=None, summarize=None, message=None, name=None):
        """Check shapes against each other: ``shapes`` pairs each tensor with a spec of
        sizes (int), symbols (str: every dimension with one symbol has one size), ``None`` or
        ``'.'`` (any size) and a leading ``'*'`` or ``...`` (any leading dimensions). Raises
        ``ValueError`` naming the tensor, the dimension and the size expected."""
        seen = {}
        pairs = shapes.items() if isinstance(shapes, dict) else shapes
        for x, spec in pairs:
            x = as_t(x)
            shape = tuple(x._v.shape)
            spec = (spec,) if isinstance(spec, (int, str)) else tuple(spec)
            head = (message + " ") if message else ""
            desc = f"shape={shape} dtype={x.dtype.name}"
            offset = 0
            if spec and (spec[0] is Ellipsis or spec[0] == "*"):
                spec = spec[1:]
                if len(shape) < len(spec):
                    raise ValueError(f"{head}Tensor  must have rank at least {len(spec)}.  "
                                     f"Received rank {len(shape)}, shape {shape}")
                offset = len(shape) - len(spec)
            elif len(spec) == 1:
                if len(shape) not in (0, 1):
                    raise ValueError(f"{head}Tensor  must have rank in (0, 1).  Received rank "
                                     f"{len(shape)}, shape {shape}")
            elif len(shape) != len(spec):
                raise ValueError(f"{head}Tensor  must have rank {len(spec)}.  Received rank "
                                 f"{len(shape)}, shape {shape}")
            for i, (want, got) in enumerate(zip(spec, shape[offset:])):
                k = i + offset
                if want is None or want == ".":
                    continue
                if isinstance(want, str):
                    first = seen.setdefault(want, (got, desc, k))
                    if first[0] != got:
                        raise ValueError(f"{head}Specified by tensor {first[1]} dimension "
                                         f"{first[2]}.  Tensor {desc} dimension {k} must have "
                                         f"size {first[0]}.  Received size {got}, shape "
                                         f"{shape}")
                elif int(want) != got:
                    raise ValueError(f"{head}Specified explicitly.  Tensor {desc} dimension {k} "
                                     f"must have size {int(want)}.  Received size {got}, shape "
                                     f"{shape}")
        return None

    def assert_all_finite(self, t, msg, name=None, x=None, message=None):
        """``t``, or ``InvalidArgumentError`` when it holds a NaN or an infinity."""
        return self.check_numerics(t if x is None else x, msg or message or "")

    def assert_type(self, tensor, tf_type, message=None, name=None):
        """Raise ``TypeError`` unless ``tensor.dtype`` is ``tf_type``."""
        if tensor.dtype != tf_type:
            raise TypeError(f"{message or ''} {tensor!r} must be of type {tf_type}; got "
                            f"{tensor.dtype}")

    _log_placement = False
    _traceback_filtering = True

    def set_log_device_placement(self, enabled):
        """Record whether op placement is logged (tapeflow logs nothing)."""
        _Debugging._log_placement = bool(enabled)

    def get_log_device_placement(self):
        """The setting ``set_log_device_placement`` made (False at first)."""
        return _Debugging._log_placement

    def enable_check_numerics(self, *a, **k):
        """Accepted for TF code; tapeflow does not check every op's output."""
        return None

    def disable_check_numerics(self):
        """Undo ``enable_check_numerics`` (a no-op when it was not enabled)."""
        return None

    def enable_traceback_filtering(self):
        """Turn traceback filtering on (the flag only: tapeflow's frames are plain Python)."""
        _Debugging._traceback_filtering = True

    def disable_traceback_filtering(self):
        """Turn traceback filtering off."""
        _Debugging._traceback_filtering = False

    def is_traceback_filtering_enabled(self):
        """Whether traceback filtering is on (True at first, as TF)."""
        return _Debugging._traceback_filtering

    @staticmethod
    def _elementwise(x, cond_fn, text, message):
        x = as_t(x)
        if not bool(backend.xp_of(x._v).all(cond_fn(x._v))):
            vals = [str(v) for v in backend.to_host(x._v).ravel().tolist()]
            msg = (f"{message}.  \n" if message else "\n") + (
                f"Condition x {text} did not hold element-wise:" + ("" if message else "\n") +
                f"x (shape={tuple(x._v.shape)} dtype={x.dtype.name}) = \n{vals}")
            raise InvalidArgumentError(None, "assert", msg)

    def assert_negative(self, x, message=None, summarize=None, name=None):
        """Raise InvalidArgumentError unless every element of ``x`` is < 0."""
        self._elementwise(x, lambda a: a < 0, "< 0", message)

    def assert_non_positive(self, x, message=None, summarize=None, name=None):
        """Raise InvalidArgumentError unless every element of ``x`` is <= 0."""
        self._elementwise(x, lambda a: a <= 0, "<= 0", message)

    @staticmethod
    def _prefix(message):
        return f"{message}.  " if message else ""

    def assert_integer(self, x, message=None, name=None):
        """Raise TypeError unless ``x`` has an integer dtype."""
        x = as_t(x)
        if not x.dtype.is_integer:
            raise TypeError(f"{self._prefix(message)}Expected \"x\" to be integer type.  "
                            f"Found: tensor of dtype {x.dtype}")

    def assert_scalar(self, tensor, message=None, name=None):
        """Raise ValueError unless ``tensor`` is a scalar (None in eager mode, as TF)."""
        t = as_t(tensor)
        if t._v.ndim:
            raise ValueError(f"{self._prefix(message)}Expected scalar shape, saw shape: "
                             f"{tuple(t._v.shape)}.")

    def assert_rank_at_least(self, x, rank, message=None, name=None):
        """Raise ValueError unless ``x`` has rank >= ``rank``."""
        x = as_t(x)
        if x._v.ndim < int(rank):
            raise ValueError(f"{self._prefix(message)}Tensor  must have rank at least "
                             f"{int(rank)}.  Received rank {x._v.ndim}, shape "
                             f"{tuple(x._v.shape)}")

    def assert_rank_in(self, x, ranks, message=None, name=None):
        """Raise ValueError unless the rank of ``x`` is one of ``ranks``."""
        x = as_t(x)
        ranks = tuple(int(as_t(r).numpy()) for r in ranks)
        if x._v.ndim not in ranks:
            raise ValueError(f"{self._prefix(message)}Tensor  must have rank in {ranks}.  "
                             f"Received rank {x._v.ndim}, shape {tuple(x._v.shape)}")

    @staticmethod
    def assert_proper_iterable(values):
        """Raise TypeError when ``values`` is a tensor, an array, a string or not iterable."""
        if isinstance(values, (TensorBase, str, bytes)) or type(values).__name__ == "ndarray" \
                or not hasattr(values, "__iter__"):
            raise TypeError(f'Expected argument "values" to be a "proper" iterable.  '
                            f"Found: {type(values)}")

    @staticmethod
    def assert_same_float_dtype(tensors=None, dtype=None):
        """The one float dtype of ``tensors`` (and ``dtype``); ValueError when they differ or
        are not floating point. float32 when there is nothing to check."""
        first = None
        for t in tensors or ():
            if dtype is None:
                dtype, first = t.dtype, t
            elif t.dtype != dtype:
                seen = f" as {first!s}" if first is not None else ""
                raise ValueError(f"{t!s}, type={t.dtype}, must be of the same type ({dtype})"
                                 f"{seen}.")
        if dtype is None:
            return float32
        if not dtype.is_floating:
            raise ValueError(f"Expected floating point type, got {dtype}.")
        return dtype

    @staticmethod
    def is_numeric_tensor(tensor):
        """Whether ``tensor`` is a tensor of a number dtype (not bool, not string)."""
        return isinstance(tensor, TensorBase) and (
            tensor.dtype.is_floating or tensor.dtype.is_integer or tensor.dtype.is_complex)

    @staticmethod
    def Assert(condition, data, summarize=None, name=None):
        """Raise InvalidArgumentError showing ``data`` (at most ``summarize`` elements of
        each, 3 by default) when the scalar ``condition`` is false."""
        ok = condition
        if isinstance(condition, TensorBase):
            ok = condition.numpy()
        if bool(ok):
            return None
        n = 3 if summarize is None else int(summarize)
        lines = []
        for d in data:
            t = as_t(d)
            vals = backend.to_host(t._v).ravel().tolist()
            text = [repr(v) if isinstance(v, bytes) else str(v) for v in vals[:n]]
            lines.append(", ".join(text + (["..."] if len(vals) > n else [])))
        raise InvalidArgumentError(None, "Assert", f"Expected '{condition}' to be true. "
                                   "Summarized data: " + "\n".join(lines))

    class experimental:  # TF's name
        """``tf.debugging.experimental``: tfdbg2 dumps (event files of TF's debugger)."""

        @staticmethod
        def enable_dump_debug_info(dump_root, tensor_debug_mode="NO_TENSOR",
                                   circular_buffer_size=1000, op_regex=None,
                                   tensor_dtypes=None):
            """Refused: tfdbg2's dump files are written by TF's C++ runtime."""
            raise NotImplementedError("tf.debugging.experimental.enable_dump_debug_info: "
                                      "tapeflow does not write tfdbg2 dumps")

        @staticmethod
        def disable_dump_debug_info():
            """A no-op: dumping is never on."""
            return None


debugging = _Debugging()
