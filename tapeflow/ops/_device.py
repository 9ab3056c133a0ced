"""Device placement of op inputs, as TF's eager runtime does it.

Reached only while ``backend.placement`` is non-empty (a GPU, or the tests' stand-in
device, is registered): ``apply`` then calls ``place_inputs`` before the forward. The op
runs on the current device (the innermost ``tf.device`` scope, else the first GPU); inputs
held elsewhere are copied there by a recorded ``_CopyToDevice`` op, whose gradient copies
the upstream gradient back, so tapes and ``tf.function`` plans see the copies.
"""
from .. import backend
from .._recording import recording
from ..backend import device_of, generic
from ..tensor import TensorBase, const
from ._core import Op, record


def _copy_fwd(a, device):
    return device.put(a)


def _copy_grad(node, dy):
    return [copy_to(dy, device_of(node.inputs[0]._v))]


COPY = Op("_CopyToDevice", _copy_fwd, _copy_grad, None, False)


def copy_to(x, device):
    """``x`` on ``device`` (``x`` itself when it is there already), recorded as a copy."""
    if device_of(x._v) is device:
        return x
    out = const(device.put(x._v))
    if recording:
        record(COPY, (x,), out, {"device": device})
    return out


def place_inputs(op, inputs):
    """``inputs`` with every tensor moved to the device the op runs on."""
    dev = backend.current()
    if not backend.placement:  # the probe found no device: host only from now on
        return inputs
    for x in inputs:
        if isinstance(x, TensorBase) and x._v.dtype.kind in "OSU":
            dev = device_of(x._v)  # an op on strings runs on the host, as TF runs them
            break
    dev.select()
    out = None
    for i, x in enumerate(inputs):
        if isinstance(x, TensorBase):
            v = x._v
            # NOTE: NumPy scalars (the operators' Python-number operands) stay where they
            # are: CuPy takes them as kernel arguments, and copying each would cost a transfer.
            if isinstance(v, generic):
                continue
            if device_of(v) is not dev:
                if out is None:
                    out = list(inputs)
                out[i] = copy_to(x, dev)
    return inputs if out is None else tuple(out)


def place_array(a):
    """A raw array on the current device (for ops building arrays on the host)."""
    return backend.put_new(a) if backend.placement else a
