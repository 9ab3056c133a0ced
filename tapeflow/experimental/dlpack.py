"""``tf.experimental.dlpack``: zero-copy exchange with NumPy, PyTorch, JAX and CuPy.

``to_dlpack(t)`` gives a ``dltensor`` capsule over the tensor's memory; ``from_dlpack``
takes such a capsule or any object with ``__dlpack__`` (a torch tensor, a JAX or CuPy
array) and wraps its memory as a Tensor on the same device, without a copy. Tensors also
implement ``__dlpack__``/``__dlpack_device__``, so ``torch.from_dlpack(t)`` and
``np.from_dlpack(t)`` work directly.
"""
import ctypes

from .. import backend, dtypes
from ..backend import cuda
from ..backend import host as np
from ..tensor import TensorBase, const

_CPU, _CUDA = 1, 2  # DLPack device types (kDLCPU, kDLCUDA)


def to_dlpack(tf_tensor):
    """A ``dltensor`` PyCapsule sharing ``tf_tensor``'s memory."""
    if not isinstance(tf_tensor, TensorBase):
        raise TypeError(f"The argument to `to_dlpack` must be a TF tensor, not Python "
                        f"object: {type(tf_tensor)}")
    return export(tf_tensor._v)


def export(v, **kwargs):
    """``v.__dlpack__(**kwargs)`` for a backend array (NumPy scalars become 0-d arrays)."""
    if isinstance(v, backend.generic):
        v = np.asarray(v)
    try:
        return v.__dlpack__(**kwargs)
    except BufferError:
        # NOTE: NumPy refuses to export read-only arrays (views from broadcast_to) to
        # consumers of the old protocol; such a tensor is exported as a private copy.
        return np.array(v).__dlpack__(**kwargs)


class _Capsule:
    """Presents a bare capsule through the ``__dlpack__`` protocol that array libraries take."""

    def __init__(self, capsule, device):
        self._capsule, self._device = capsule, device

    def __dlpack__(self, stream=None, **kwargs):
        return self._capsule

    def __dlpack_device__(self):
        return self._device


def capsule_device(capsule):
    """``(device_type, device_id)`` read from a ``dltensor`` capsule's DLTensor header."""
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype = ctypes.c_void_p
    get.argtypes = [ctypes.py_object, ctypes.c_char_p]
    ptr = get(capsule, b"dltensor")  # raises ValueError for a used or foreign capsule
    # DLManagedTensor starts with DLTensor {void *data; DLDevice {int32 type; int32 id}; ...}
    dev = (ctypes.c_int32 * 2).from_address(ptr + ctypes.sizeof(ctypes.c_void_p))
    return int(dev[0]), int(dev[1])


def from_dlpack(dlcapsule):
    """A Tensor over the memory of a ``dltensor`` capsule or a ``__dlpack__`` object."""
    if hasattr(dlcapsule, "__dlpack__"):
        obj, (kind, _) = dlcapsule, dlcapsule.__dlpack_device__()
    elif type(dlcapsule).__name__ == "PyCapsule":
        kind, index = capsule_device(dlcapsule)
        obj = _Capsule(dlcapsule, (kind, index))
    else:
        raise TypeError(f"from_dlpack expects a DLPack capsule or an object with __dlpack__, "
                        f"got {type(dlcapsule).__name__}")
    if kind == _CPU:
        arr = np.from_dlpack(obj)
    elif kind == _CUDA:
        backend.ensure()
        cp = cuda.cupy_module()
        if cp is None:
            raise RuntimeError("from_dlpack: the tensor lives on a CUDA device but tapeflow's "
                               f"GPU backend is unavailable ({cuda.unavailable_reason})")
        arr = cp.from_dlpack(obj)
    else:
        raise RuntimeError(f"from_dlpack: unsupported DLPack device type {kind}")
    dtypes.from_numpy(arr.dtype)  # refuse dtypes tapeflow has no DType for
    return const(arr)
