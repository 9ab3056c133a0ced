"""CuPy as tapeflow's GPU backend, imported only when first needed.

``probe()`` runs before the first placement decision (when CuPy is installed) or when
``tf.config.list_physical_devices`` is asked: it imports CuPy, counts CUDA devices and
registers them. ``unavailable_reason`` says why no GPU is listed (CuPy not installed, an
import error, no driver or no device), which ``tf.config`` exposes.
"""
import threading

from . import DeviceBackend, register_backend

unavailable_reason = None  # None until probed; then '' when GPUs were found
_cupy = None


class CupyBackend(DeviceBackend):
    kind = "GPU"

    def __init__(self, cupy, count):
        self.xp = cupy
        self.array_type = cupy.ndarray
        self.count = count
        self._local = threading.local()  # CUDA's current device is per thread

    def index_of(self, a):
        return a.device.id

    def to_device(self, a, index):
        cp = self.xp
        if isinstance(a, cp.ndarray):
            if a.device.id == index:
                return a
            with cp.cuda.Device(index):
                return a.copy()  # a peer-to-peer copy onto ``index``
        with cp.cuda.Device(index):
            return cp.asarray(a)

    def to_host(self, a):
        return a.get()

    def select(self, index):
        # NOTE: CuPy launches kernels on its *current* device, not on the inputs' device, so
        # an op placed on GPU:1 must make GPU:1 current first. Skip the call when it already is
        # (remembered per thread, as CUDA keeps the current device per thread).
        local = self._local
        if getattr(local, "current", None) != index:
            self.xp.cuda.runtime.setDevice(index)
            local.current = index

    def scatter_add(self, out, index, values):
        import cupyx  # optional: ships with CuPy

        cupyx.scatter_add(out, index, values)

    def scatter_extreme(self, out, index, values, is_max):
        import cupyx  # optional: ships with CuPy

        (cupyx.scatter_max if is_max else cupyx.scatter_min)(out, index, values)

    def erf(self, a):
        import cupyx.scipy.special  # optional: ships with CuPy

        return cupyx.scipy.special.erf(a)


def probe():
    """Import CuPy and register its CUDA devices; record why when there are none."""
    global unavailable_reason, _cupy
    if unavailable_reason is not None:
        return
    try:
        import cupy  # optional: the GPU backend's array module
    except ImportError as e:
        missing = getattr(e, "name", None) == "cupy"
        unavailable_reason = ("CuPy is not installed (pip install tapeflow[gpu])" if missing
                              else f"CuPy failed to import: {e}")
        return
    except Exception as e:  # a broken CUDA install can raise anything here
        unavailable_reason = f"CuPy failed to import: {type(e).__name__}: {e}"
        return
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # CUDARuntimeError without a driver
        unavailable_reason = f"no usable CUDA driver: {e}"
        return
    if count == 0:
        unavailable_reason = "CuPy found no CUDA device"
        return
    _cupy = cupy
    unavailable_reason = ""
    register_backend(CupyBackend(cupy, count))


def cupy_module():
    """The CuPy module when the GPU backend is active, else None."""
    return _cupy
