"""The array modules that run the math: NumPy on the host, CuPy on NVIDIA GPUs.

Everything above this package asks ``xp_of(array)`` which module owns an array and
calls that module's functions, so the same op code runs on either. CuPy is never
imported at start-up: when it is installed, the first tensor or op probes for CUDA
devices (``tapeflow.backend.cuda``) and registers them; without it nothing here costs
anything.

Devices: a ``Device`` is one place arrays live (``CPU:0``, ``GPU:0``...). A
``DeviceBackend`` (CuPy, or a stand-in module in the tests) owns one array type and the
devices that hold it. ``placement`` is empty while only the host exists; the ops layer
checks it once per op and only then moves inputs (``tapeflow/ops/_device.py``).
"""
import importlib.util
import os
import threading

import numpy

host = numpy  # the host array module; the only place the rest of tapeflow reaches NumPy
ndarray = numpy.ndarray
generic = numpy.generic

_device_modules = []  # (array type, module) pairs registered by device backends

# Non-empty while devices other than the host exist (or may exist: a pending probe).
# Mutated in place, never rebound, so the ops read it with one global lookup.
placement = []



class _ThreadScopes(threading.local):
    """The ``tf.device`` scopes open in one thread (TF's device scopes are thread-local)."""

    def __init__(self):
        self.devices = []  # resolved Device of each open scope (None: no constraint)
        self.names = []  # the spec string each scope was opened with


# NOTE: only ``current()`` reads the scopes, and it runs only while ``placement`` is set, so
# the thread-local lookup costs nothing on the host-only hot path.
local = _ThreadScopes()


class Device:
    """One place where arrays live: the host (``CPU:0``) or one accelerator."""

    __slots__ = ("kind", "index", "name", "backend")

    def __init__(self, kind, index, backend=None):
        self.kind = kind
        self.index = index
        self.backend = backend  # None for the host
        self.name = f"/job:localhost/replica:0/task:0/device:{kind}:{index}"

    @property
    def xp(self):
        return numpy if self.backend is None else self.backend.xp

    def put(self, a):
        """``a`` (an array of any registered module, or a host scalar) on this device."""
        if self.backend is None:
            return to_host(a)
        return self.backend.to_device(a, self.index)

    def select(self):
        """Make this device the one that new device arrays and kernels go to."""
        if self.backend is not None:
            self.backend.select(self.index)

    def __repr__(self):
        return f"<Device {self.kind}:{self.index}>"


CPU = Device("CPU", 0)
devices = [CPU]  # every device, the host first
_default = [CPU]  # where unscoped tensors and ops go: the first GPU when one exists
_backends = []
_pending = []  # probes to run before the first placement decision (``tapeflow.backend.cuda``)


class DeviceBackend:
    """What a device array module tells tapeflow; CuPy's lives in ``backend/cuda.py``.

    Subclasses set ``kind``, ``xp``, ``array_type``, ``count`` and implement ``index_of``,
    ``to_device``, ``to_host`` and optionally ``select``.
    """

    kind = "GPU"
    xp = None
    array_type = None
    count = 0

    def index_of(self, a):
        return 0

    def to_device(self, a, index):
        raise NotImplementedError

    def to_host(self, a):
        raise NotImplementedError

    def select(self, index):
        return None

    def scatter_add(self, out, index, values):
        self.xp.add.at(out, index, values)

    def scatter_extreme(self, out, index, values, is_max):
        (self.xp.maximum if is_max else self.xp.minimum).at(out, index, values)

    def erf(self, a):
        raise NotImplementedError


def register_backend(be):
    """Add the devices of ``be`` after the host; the first GPU becomes the default device."""
    _backends.append(be)
    _device_modules.append((be.array_type, be.xp))
    be.devices = [Device(be.kind, i, be) for i in range(be.count)]
    devices.extend(be.devices)
    if be.devices and _default[0] is CPU:
        _default[0] = be.devices[0]
    if not placement:
        placement.append(True)
    return be.devices


def unregister_backend(be):
    """Undo ``register_backend`` (tests use it to remove the stand-in device)."""
    _backends.remove(be)
    _device_modules.remove((be.array_type, be.xp))
    for d in be.devices:
        devices.remove(d)
    _default[0] = next((d for d in devices if d.kind == "GPU"), CPU)
    if not _backends and not _pending:
        placement.clear()


def register_device_module(array_type, module):
    """Let a module claim its array type for ``xp_of`` without adding devices."""
    _device_modules.append((array_type, module))


def add_probe(probe):
    """Run ``probe()`` (it may call ``register_backend``) before the first placement."""
    _pending.append(probe)
    if not placement:
        placement.append(True)


def ensure():
    """Run pending probes once; afterwards ``placement`` is empty if only the host exists."""
    while _pending:
        probe = _pending.pop(0)
        try:
            probe()
        except Exception:  # a failed probe leaves the host only
            pass
    if not _backends:
        placement.clear()


def xp_of(a):
    """The array module that owns ``a`` (NumPy unless a device backend claims it)."""
    if _device_modules:
        for kind, mod in _device_modules:
            if isinstance(a, kind):
                return mod
    return numpy


def device_of(a):
    """The ``Device`` holding array ``a`` (host arrays and scalars: ``CPU``)."""
    if _backends and not isinstance(a, (ndarray, generic)):
        for be in _backends:
            if isinstance(a, be.array_type):
                return be.devices[be.index_of(a)]
    return CPU


def current():
    """The device an op or a new tensor goes to now: the innermost ``tf.device`` scope,
    else the default (the first GPU when there is one)."""
    if _pending:
        ensure()
    scopes = local.devices
    if scopes:
        d = scopes[-1]
        if d is not None:
            return d
    return _default[0]


def resolve(kind, index):
    """The device for a ``tf.device`` spec (``kind`` 'CPU'/'GPU' or None, ``index`` or None).

    Like TF's soft placement (on by default in eager mode), a device that does not exist
    falls back to the default device rather than failing.
    """
    if _pending:
        ensure()
    if kind is None:
        return None
    kind = kind.upper()
    for d in devices:
        if d.kind == kind and d.index == (index or 0):
            return d
    return None


def put_new(a):
    """A freshly made host array on the current device (a no-op while only the host exists)."""
    d = current()
    if d.backend is None or device_of(a) is d or a.dtype.kind in "OSU":
        return a  # strings stay on the host, as TF keeps them (no device holds objects)
    return d.put(a)


def to_host(a):
    """A host (NumPy) array or scalar with the values of ``a``."""
    if isinstance(a, (ndarray, generic)):
        return a
    for be in _backends:
        if isinstance(a, be.array_type):
            return be.to_host(a)
    get = getattr(a, "get", None)  # CuPy arrays copy to the host with .get()
    return get() if get is not None else numpy.asarray(a)


def is_array(a):
    """True for arrays and array scalars of any registered module."""
    if isinstance(a, (ndarray, generic)):
        return True
    return any(isinstance(a, kind) for kind, _ in _device_modules)


def device_name(a):
    """TF's full device string for the memory that holds ``a``."""
    return device_of(a).name


_ONES = {}  # (length, dtype) -> a read-only vector of ones, for sums as matrix-vector products


def ones_vector(n, dtype):
    """A cached read-only host vector of ``n`` ones: sums as matrix-vector products (here, and
    a bias gradient's in the tape's ``SumToShape``)."""
    key = (n, numpy.dtype(dtype))
    v = _ONES.get(key)
    if v is None:
        if len(_ONES) > 64:
            _ONES.clear()
        v = _ONES[key] = numpy.ones(n, dtype)
        v.flags.writeable = False
    return v


def _short_axis(a, axis, dtype):
    """For a NumPy float array reduced over one axis, when that axis is the last one and short
    (or the first one of a 2-D array) next to many others: ``(rows, n, shape, where)`` to
    reduce ``a.reshape(rows, n)`` over its ``where`` axis (1 or 0), else None.

    NOTE: NumPy's reductions over a short contiguous axis run one tiny inner loop per row:
    summing the 10 classes of 60,000 rows takes ~0.8 ms, a matrix-vector product 0.07 ms;
    of 256 rows (a batch's logits) 6.0 us against 1.4."""
    if (type(a) is not ndarray or a.ndim < 2 or a.dtype.kind != "f" or a.dtype.itemsize < 4
            or (dtype is not None and numpy.dtype(dtype) != a.dtype)
            or not a.flags.c_contiguous):
        return None
    axis = _one_axis(a, axis)
    if axis is None:
        return None
    n = a.shape[axis]
    if axis == a.ndim - 1 and 1 < n <= 64 and a.size >= 512:
        return a.size // n, n, a.shape[:-1], 1
    if axis == 0 and a.ndim == 2 and a.shape[0] >= 512 and a.shape[1] <= 64:
        return n, a.shape[1], a.shape[1:], 0
    return None


def _one_axis(a, axis):
    """The single axis (``k`` or ``(k,)``, made non-negative) a reduction of ``a`` runs over,
    or None for several axes or all of them."""
    if isinstance(axis, tuple):
        if len(axis) != 1:
            return None
        axis = axis[0]
    return None if axis is None else axis % a.ndim


def _small_last_axis(a, axis):
    """``(rows, n)`` when ``a`` (a C-contiguous NumPy array of more than one row) is reduced
    over a short last axis, else None."""
    if a.ndim < 2 or _one_axis(a, axis) != a.ndim - 1 or not a.flags.c_contiguous:
        return None
    n = a.shape[-1]
    return (a.size // n, n) if 1 < n <= 64 and a.size >= 2 * n else None


def reduce_add(a, axis=None, keepdims=False, dtype=None):
    """``a.sum(...)``, through the ufunc on NumPy arrays; a short axis next to many others is
    summed as a matrix-vector product (``_short_axis``).

    NOTE: ndarray.sum goes through a NumPy-internal Python function, so its floating-point
    warnings would be attributed to NumPy rather than to tapeflow (whose warnings the package
    silences, as TF computes overflow silently); ``add.reduce`` is the same computation.
    """
    if isinstance(a, (ndarray, generic)):
        short = _short_axis(a, axis, dtype)
        if short is None:
            return numpy.add.reduce(a, axis=axis, dtype=dtype, keepdims=keepdims)
        rows, n, shape, where = short
        m = a.reshape(rows, n)
        out = m @ ones_vector(n, a.dtype) if where == 1 else ones_vector(rows, a.dtype) @ m
        return out.reshape(_kept(a.shape, axis) if keepdims else shape)
    return a.sum(axis=axis, dtype=dtype, keepdims=keepdims)


def reduce_extreme(a, which, axis=None, keepdims=False):
    """``a.max(...)`` (``which`` "max") or ``a.min(...)``; a short last axis (logits) is
    reduced as the first axis of a transposed copy.

    NOTE: NumPy reduces a short contiguous axis with one tiny inner loop per row; over the
    transposed copy each step is one vectorized pass over all rows. Measured on 256 x 10:
    2.6 us against 12; on 60,000 x 10: 0.33 ms against 2.6 (the running ``maximum`` over
    columns this replaces took 0.35 ms there but 34 us on 256 x 50). Past a million elements
    with more than 16 columns NumPy's own loops win again (60,000 x 50: 2.7 ms against 4.6).
    """
    if type(a) is ndarray:
        small = _small_last_axis(a, axis)
        if small is not None and (small[1] <= 16 or a.size <= 1 << 20):
            rows, n = small
            f = numpy.maximum if which == "max" else numpy.minimum
            out = f.reduce(a.reshape(rows, n).T.copy(), axis=0)
            return out.reshape(_kept(a.shape, axis) if keepdims else a.shape[:-1])
    return getattr(xp_of(a), which)(a, axis=axis, keepdims=keepdims)


def _kept(shape, axis):
    axis = (axis[0] if isinstance(axis, tuple) else axis) % len(shape)
    return shape[:axis] + (1,) + shape[axis + 1:]


def reduce_multiply(a, axis=None, keepdims=False, dtype=None):
    """``a.prod(...)`` through the ufunc on NumPy arrays (see ``reduce_add``)."""
    if isinstance(a, (ndarray, generic)):
        return numpy.multiply.reduce(a, axis=axis, dtype=dtype, keepdims=keepdims)
    return a.prod(axis=axis, dtype=dtype, keepdims=keepdims)


def scatter_add(out, index, values):
    """``out[index] += values`` accumulating repeated indices (NumPy's ``add.at``; CuPy's
    ``scatter_add``), in place."""
    if isinstance(out, ndarray):
        numpy.add.at(out, index, values)
        return
    for be in _backends:
        if isinstance(out, be.array_type):
            be.scatter_add(out, index, values)
            return
    xp_of(out).add.at(out, index, values)


def scatter_extreme(out, index, values, is_max):
    """``out[index] = max(out[index], values)`` (``min`` unless ``is_max``) over repeated
    indices too (NumPy's ``maximum.at``; CuPy's ``scatter_max``), in place."""
    if isinstance(out, ndarray):
        (numpy.maximum if is_max else numpy.minimum).at(out, index, values)
        return
    for be in _backends:
        if isinstance(out, be.array_type):
            be.scatter_extreme(out, index, values, is_max)
            return
    xp = xp_of(out)
    (xp.maximum if is_max else xp.minimum).at(out, index, values)


def device_erf(a):
    """The error function of a device array, by its backend's special-function library."""
    for be in _backends:
        if isinstance(a, be.array_type):
            return be.erf(a)
    raise TypeError(f"erf: no device backend owns {type(a).__name__}")


def _start_probe():
    """Register the CUDA probe when CuPy is installed (found without importing it)."""
    if os.environ.get("TAPEFLOW_DISABLE_GPU", "") not in ("", "0"):
        return
    try:
        found = importlib.util.find_spec("cupy") is not None
    except (ImportError, ValueError):
        found = False
    if found:
        from . import cuda  # cycle: cuda subclasses this package's DeviceBackend

        add_probe(cuda.probe)


_start_probe()
