"""The array modules that run the math: NumPy on the host, CuPy on NVIDIA GPUs.

Everything above this package asks ``xp_of(array)`` which module owns an array and
calls that module's functions, so the same op code runs on either. CuPy is never
imported here at start-up; the GPU support registers it when it is first needed.
"""
import numpy

host = numpy  # the host array module; the only place the rest of tapeflow reaches NumPy
ndarray = numpy.ndarray
generic = numpy.generic

_device_modules = []  # (array type, module) pairs registered by device backends


def xp_of(a):
    """The array module that owns ``a`` (NumPy unless a device backend claims it)."""
    if _device_modules:
        for kind, mod in _device_modules:
            if isinstance(a, kind):
                return mod
    return numpy


def register_device_module(array_type, module):
    """Let a device backend (CuPy) claim its array type."""
    _device_modules.append((array_type, module))


def to_host(a):
    """A host (NumPy) array or scalar with the values of ``a``."""
    if isinstance(a, (ndarray, generic)):
        return a
    get = getattr(a, "get", None)  # CuPy arrays copy to the host with .get()
    return get() if get is not None else numpy.asarray(a)


def is_array(a):
    """True for arrays and array scalars of any registered module."""
    if isinstance(a, (ndarray, generic)):
        return True
    return any(isinstance(a, kind) for kind, _ in _device_modules)


def device_name(a):
    """TF's full device string for the memory that holds ``a``."""
    if isinstance(a, (ndarray, generic)) or not _device_modules:
        return "/job:localhost/replica:0/task:0/device:CPU:0"
    dev = getattr(a, "device", None)
    index = getattr(dev, "id", 0)
    return f"/job:localhost/replica:0/task:0/device:GPU:{index}"


def reduce_add(a, axis=None, keepdims=False, dtype=None):
    """``a.sum(...)``, through the ufunc on NumPy arrays.

    NOTE: ndarray.sum goes through a NumPy-internal Python function, so its floating-point
    warnings would be attributed to NumPy rather than to tapeflow (whose warnings the package
    silences, as TF computes overflow silently); ``add.reduce`` is the same computation.
    """
    if isinstance(a, (ndarray, generic)):
        return numpy.add.reduce(a, axis=axis, dtype=dtype, keepdims=keepdims)
    return a.sum(axis=axis, dtype=dtype, keepdims=keepdims)


def reduce_multiply(a, axis=None, keepdims=False, dtype=None):
    """``a.prod(...)`` through the ufunc on NumPy arrays (see ``reduce_add``)."""
    if isinstance(a, (ndarray, generic)):
        return numpy.multiply.reduce(a, axis=axis, dtype=dtype, keepdims=keepdims)
    return a.prod(axis=axis, dtype=dtype, keepdims=keepdims)
