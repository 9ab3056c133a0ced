"""More of TF's top-level names: space/batch reshuffles, ``bitcast``, N-D FFTs, the
gradient helpers of TF2's eager mode, TF's own (non-Keras) initializer classes, and small
framework classes (``DeviceSpec``, ``AggregationMethod``, ``CriticalSection``...)."""
import re
import threading

from . import dtypes
from .backend import host as np
from .custom_gradient import custom_gradient
from .errors import InvalidArgumentError
from .ops import random as _random
from .ops.array import fill, reshape, transpose
from .ops.indexing import pad
from .ops.math import cast, identity, stop_gradient
from .signal import _fft
from .tensor import TensorBase, constant, convert_to_tensor
from .variable import _name_scope_stack

__all__ = [
    "space_to_batch_nd", "space_to_batch", "batch_to_space",
    "required_space_to_batch_paddings", "bitcast", "fftnd", "ifftnd", "rfftnd", "irfftnd",
    "get_current_name_scope", "grad_pass_through", "gradients", "hessians", "guarantee_const",
    "is_symbolic_tensor", "recompute_grad", "nondifferentiable_batch_function",
    "constant_initializer", "ones_initializer", "zeros_initializer",
    "random_normal_initializer", "random_uniform_initializer", "DeviceSpec",
    "AggregationMethod", "CriticalSection", "RegisterGradient", "conv",
    "conv2d_backprop_filter_v2", "conv2d_backprop_input_v2", "extract_volume_patches",
    "approx_top_k", "check_pinned", "edit_distance", "random_index_shuffle",
]


def _t(x):
    return x if isinstance(x, TensorBase) else convert_to_tensor(x)


def _ints(v):
    return [int(i) for i in (v.numpy().tolist() if isinstance(v, TensorBase) else
                             np.asarray(v).tolist())]


# -- space <-> batch ----------------------------------------------------------------------------
def space_to_batch_nd(input, block_shape, paddings, name=None):
    """Pad the ``M`` spatial dimensions after the batch one, cut them into blocks of
    ``block_shape`` and move the block offsets into the batch dimension.

    Args:
      input: ``[batch, *spatial(M), *rest]`` tensor.
      block_shape: ``M`` positive ints.
      paddings: ``[M, 2]`` non-negative start/end paddings.
      name: ignored.

    Returns:
      ``[batch * prod(block_shape), *(padded_spatial / block_shape), *rest]`` tensor.
    """
    x = _t(input)
    block = _ints(block_shape)
    pads = np.asarray(_ints(np.asarray(paddings).reshape(-1))).reshape(-1, 2)
    m = len(block)
    shape = list(x.shape)
    full = [[0, 0]] + pads.tolist() + [[0, 0]] * (len(shape) - 1 - m)
    x = pad(x, full)
    spatial = list(x.shape[1:1 + m])
    for s, b, i in zip(spatial, block, range(m)):
        if b < 1 or s % b:
            raise InvalidArgumentError(
                None, "SpaceToBatchND", f"padded_shape[{i}]={s} is not divisible by "
                f"block_shape[{i}]={b} [Op:SpaceToBatchND]")
    rest = list(x.shape[1 + m:])
    split = [shape[0]]
    for s, b in zip(spatial, block):
        split += [s // b, b]
    x = reshape(x, split + rest)
    perm = [2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)] + \
        [1 + 2 * m + i for i in range(len(rest))]
    x = transpose(x, perm)
    return reshape(x, [shape[0] * int(np.prod(block))] + [s // b for s, b in
                                                           zip(spatial, block)] + rest)


space_to_batch = space_to_batch_nd


def batch_to_space(input, block_shape, crops, name=None):
    """The inverse of ``space_to_batch_nd``: move blocks of the batch dimension back into
    the spatial dimensions, then crop.

    Args:
      input: ``[batch * prod(block_shape), *spatial(M), *rest]`` tensor.
      block_shape: ``M`` positive ints.
      crops: ``[M, 2]`` non-negative start/end crops.
      name: ignored.

    Returns:
      ``[batch, *(spatial * block_shape - crops), *rest]`` tensor.
    """
    x = _t(input)
    block = _ints(block_shape)
    crop = np.asarray(_ints(np.asarray(crops).reshape(-1))).reshape(-1, 2)
    m = len(block)
    shape = list(x.shape)
    prod = int(np.prod(block))
    if shape[0] % prod:
        raise InvalidArgumentError(
            None, "BatchToSpaceND", f"Input batch dimension ({shape[0]}) is not divisible by "
            f"product of block sizes ({prod}) [Op:BatchToSpaceND]")
    batch = shape[0] // prod
    spatial = shape[1:1 + m]
    rest = shape[1 + m:]
    x = reshape(x, block + [batch] + spatial + rest)
    perm = [m]
    for i in range(m):
        perm += [m + 1 + i, i]
    perm += [2 * m + 1 + i for i in range(len(rest))]
    x = transpose(x, perm)
    x = reshape(x, [batch] + [s * b for s, b in zip(spatial, block)] + rest)
    key = [slice(None)] + [slice(int(c0), s * b - int(c1)) for (c0, c1), s, b in
                           zip(crop, spatial, block)]
    return x[tuple(key)]


def required_space_to_batch_paddings(input_shape, block_shape, base_paddings=None,
                                     name=None):
    """The paddings (and the crops to undo them) that make ``input_shape`` plus
    ``base_paddings`` divisible by ``block_shape``.

    Args:
      input_shape: ``M`` ints, the spatial shape.
      block_shape: ``M`` ints.
      base_paddings: optional ``[M, 2]`` minimal paddings (default zeros).
      name: ignored.

    Returns:
      ``(paddings, crops)``, two ``[M, 2]`` int32 tensors.
    """
    shape = np.asarray(_ints(input_shape))
    block = np.asarray(_ints(block_shape))
    base = np.zeros((len(shape), 2), np.int64) if base_paddings is None else \
        np.asarray(_ints(np.asarray(base_paddings).reshape(-1))).reshape(-1, 2)
    full = shape + base[:, 0] + base[:, 1]
    extra = (block - full % block) % block
    paddings = np.stack([base[:, 0], base[:, 1] + extra], axis=1)
    crops = np.stack([np.zeros_like(extra), extra], axis=1)
    return (constant(paddings.astype(np.int32)), constant(crops.astype(np.int32)))


# -- bitcast ------------------------------------------------------------------------------------
_ENUM = {"float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6,
         "string": 7, "complex64": 8, "int64": 9, "bool": 10, "bfloat16": 14, "uint16": 17,
         "complex128": 18, "float16": 19, "uint32": 22, "uint64": 23}  # TF's DataType enum


def bitcast(input, type, name=None):
    """Reinterpret the bytes of ``input`` as ``type``: a wider type eats the last
    dimension (which must match the size ratio), a narrower one adds a last dimension.

    Args:
      input: numeric tensor.
      type: the target dtype.
      name: ignored.

    Returns:
      Tensor of dtype ``type``.
    """
    x = _t(input)
    target = dtypes.as_dtype(type)
    a = x._v
    src, dst = a.dtype.itemsize, target._np.itemsize
    if src == dst:
        return constant(a.view(target._np))
    if src > dst:
        return constant(np.ascontiguousarray(a).view(target._np).reshape(
            a.shape + (src // dst,)))
    if not a.shape or a.shape[-1] != dst // src:
        raise InvalidArgumentError(
            None, "Bitcast", f"Cannot bitcast from {_ENUM.get(x.dtype.name)} to "
            f"{_ENUM.get(target.name)} [Op:Bitcast]")
    return constant(np.ascontiguousarray(a).view(target._np).reshape(a.shape[:-1]))


# -- N-D FFTs -----------------------------------------------------------------------------------
def _move_last(x, axis):
    rank = len(x.shape)
    axis %= rank
    perm = [i for i in range(rank) if i != axis] + [axis]
    return transpose(x, perm), perm


def _move_back(x, perm):
    return transpose(x, list(np.argsort(perm)))


def _along(x, axis, fn):
    y, perm = _move_last(x, axis)
    return _move_back(fn(y), perm)


def _c2c_nd(input, fft_length, axes, inverse):
    x = _t(input)
    fn = _fft.ifft if inverse else _fft.fft
    lengths, axs = _ints(fft_length), _ints(axes)
    for n, ax in zip(lengths, axs):
        x = _along(x, ax, lambda y, n=n: fn(_fit(y, n)))
    return x


def _fit(y, n):
    """Crop or zero-pad the last dimension of ``y`` to ``n``."""
    have = y.shape[-1]
    if have > n:
        return y[..., :n]
    if have < n:
        return pad(y, [[0, 0]] * (len(y.shape) - 1) + [[0, n - have]])
    return y


def fftnd(input, fft_length, axes, name=None):
    """The N-D discrete Fourier transform over ``axes`` of a complex tensor, each axis
    cropped or zero-padded to its ``fft_length``.

    Args:
      input: complex64 or complex128 tensor.
      fft_length: one length per axis.
      axes: the axes to transform.
      name: ignored.

    Returns:
      Complex tensor of ``input``'s dtype.
    """
    return _c2c_nd(input, fft_length, axes, False)


def ifftnd(input, fft_length, axes, name=None):
    """The inverse of ``fftnd`` (see there for the arguments)."""
    return _c2c_nd(input, fft_length, axes, True)


def rfftnd(input, fft_length, axes, Tcomplex=dtypes.complex64, name=None):
    """The N-D FFT of a real tensor: a real FFT over the last of ``axes`` (keeping
    ``fft_length[-1] // 2 + 1`` bins), then complex FFTs over the others.

    Args:
      input: float32 or float64 tensor.
      fft_length: one length per axis.
      axes: the axes to transform.
      Tcomplex: the complex output dtype.
      name: ignored.

    Returns:
      Complex tensor.
    """
    x = _t(input)
    lengths, axs = _ints(fft_length), _ints(axes)
    x = _along(x, axs[-1], lambda y: _fft.rfft(y, [lengths[-1]]))
    x = _c2c_nd(x, lengths[:-1], axs[:-1], False)
    return cast(x, Tcomplex)


def irfftnd(input, fft_length, axes, Treal=dtypes.float32, name=None):
    """The inverse of ``rfftnd``: complex inverse FFTs over all but the last of ``axes``,
    then a real inverse FFT of length ``fft_length[-1]`` over the last.

    Args:
      input: complex tensor.
      fft_length: one length per axis (of the real output).
      axes: the axes to transform.
      Treal: the real output dtype.
      name: ignored.

    Returns:
      Real tensor.
    """
    x = _t(input)
    lengths, axs = _ints(fft_length), _ints(axes)
    x = _c2c_nd(x, lengths[:-1], axs[:-1], True)
    x = _along(x, axs[-1], lambda y: _fft.irfft(y, [lengths[-1]]))
    return cast(x, Treal)


# -- gradients in eager mode --------------------------------------------------------------------
def get_current_name_scope():
    """The current name scope as a string (``""`` at the top; ``"a/b"`` inside
    ``name_scope("a")`` and ``name_scope("b")``)."""
    return "/".join(_name_scope_stack)


def grad_pass_through(f):
    """Wrap ``f`` so that its value is ``f(x)`` but its gradient is the identity's: the
    upstream gradient passes straight to ``x``.

    Args:
      f: function of one tensor.

    Returns:
      The wrapped function.
    """
    @custom_gradient
    def wrapped(x):
        def grad(dy):
            return dy
        return f(x), grad
    return wrapped


_EAGER_GRADIENTS = ("tf.gradients is not supported when eager execution is enabled. Use "
                    "tf.GradientTape instead.")


def gradients(ys, xs, grad_ys=None, name="gradients", gate_gradients=False,
              aggregation_method=None, stop_gradients=None, unconnected_gradients=None):
    """TF1's symbolic gradients: in TF2's eager mode TF raises RuntimeError, and so does
    tapeflow (eager only). Use ``tf.GradientTape``."""
    raise RuntimeError(_EAGER_GRADIENTS)


def hessians(ys, xs, gate_gradients=False, aggregation_method=None, name="hessians"):
    """TF1's symbolic Hessians: RuntimeError in eager mode, as in TF. Use nested
    ``tf.GradientTape``s."""
    raise RuntimeError(_EAGER_GRADIENTS)


def guarantee_const(input, name=None):
    """``input`` unchanged (a promise to TF's graph optimiser that it is constant)."""
    return identity(input)


def is_symbolic_tensor(tensor):
    """Whether ``tensor`` is a graph (symbolic) tensor: never, in eager tapeflow."""
    return False


def recompute_grad(f):
    """Wrap ``f`` so its activations would be recomputed in the backward pass to save
    memory. tapeflow keeps them (the values and gradients are the same).

    Args:
      f: the function.

    Returns:
      A function with ``f``'s results and gradients.
    """
    def wrapped(*args, **kwargs):
        return f(*args, **kwargs)
    wrapped.__name__ = getattr(f, "__name__", "recompute_grad")
    wrapped.__doc__ = getattr(f, "__doc__", None)
    return wrapped


def nondifferentiable_batch_function(num_batch_threads, max_batch_size, batch_timeout_micros,
                                     allowed_batch_sizes=None, max_enqueued_batches=10,
                                     autograph=True, enable_large_batch_splitting=True):
    """A decorator that in TF batches concurrent calls of a serving function. Eager
    tapeflow runs each call at once; the results carry no gradient, as in TF.

    Args:
      num_batch_threads, max_batch_size, batch_timeout_micros, allowed_batch_sizes,
      max_enqueued_batches, autograph, enable_large_batch_splitting: TF's batching
        settings (recorded, not used).

    Returns:
      The decorator.
    """
    def decorator(fn):
        def wrapped(*args):
            out = fn(*args)
            if isinstance(out, (list, tuple)):
                return type(out)(stop_gradient(o) for o in out)
            return stop_gradient(out)
        wrapped.__name__ = getattr(fn, "__name__", "batch_function")
        return wrapped
    return decorator


# -- TF's initializer classes (tf.*_initializer, not Keras's) -----------------------------------
def _numeric(dtype):
    d = dtypes.as_dtype(dtype)
    if not (d.is_floating or d.is_integer or d.is_bool or d.is_complex):
        raise ValueError(f"Argument `dtype` expected to be numeric or boolean. Received {d}.")
    return d


def _no_partition(kwargs, what):
    if kwargs.get("partition_shape") is not None or kwargs.get("partition_offset") is not None:
        raise ValueError(f"{what} initializer doesn't support partition-related arguments")


class _Initializer:
    """Shared config handling of TF's initializer classes."""

    def get_config(self):
        """The constructor's arguments as a dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuild an initializer from ``get_config()``'s dict."""
        config = dict(config)
        config.pop("dtype", None)
        return cls(**config)


class _FillInitializer(_Initializer):
    """An initializer of tensors holding one number, ``_value`` (``_what`` names it in
    errors)."""

    _value, _what = 0, "Zeros"

    def __call__(self, shape, dtype=dtypes.float32, **kwargs):
        """Return a tensor of ``shape`` and ``dtype`` (default float32) filled with the
        initializer's number."""
        _no_partition(kwargs, self._what)
        return fill(list(shape), convert_to_tensor(self._value, _numeric(dtype)))


class zeros_initializer(_FillInitializer):
    """Initializer of all-zeros tensors: ``zeros_initializer()(shape, dtype)``."""

    _value, _what = 0, "Zeros"


class ones_initializer(_FillInitializer):
    """Initializer of all-ones tensors: ``ones_initializer()(shape, dtype)``."""

    _value, _what = 1, "Ones"


class constant_initializer(_Initializer):
    """Initializer filling a tensor with a scalar, or reshaping a list/array of values.

    Args:
      value: Python scalar, list, tuple or NumPy array.
      support_partition: ignored.
    """

    def __init__(self, value=0, support_partition=False):
        if not (np.isscalar(value) or isinstance(value, (list, tuple, np.ndarray))):
            raise TypeError(f"Invalid type for initial value: {type(value).__name__}. "
                            "Expected Python scalar, list or tuple of values, or "
                            "numpy.ndarray.")
        self.value = value
        self.support_partition = support_partition

    def __call__(self, shape, dtype=None, **kwargs):
        """Return a tensor of ``shape`` holding ``value`` (broadcast or reshaped)."""
        _no_partition(kwargs, "Constant")
        d = dtypes.as_dtype(dtype) if dtype is not None else None
        arr = np.asarray(self.value)
        if d is None:
            d = dtypes.float32 if arr.dtype.kind == "f" else \
                convert_to_tensor(self.value).dtype
        shape = [int(s) for s in shape]
        if arr.ndim == 0:
            return fill(shape, convert_to_tensor(arr.item(), d))
        if arr.size != int(np.prod(shape)):
            raise TypeError(f"Eager execution of tf.constant with unsupported shape. Tensor "
                            f"{arr.tolist()} (converted from {self.value}) has "
                            f"{arr.size} elements, but got `shape` {tuple(shape)} with "
                            f"{int(np.prod(shape))} elements).")
        return convert_to_tensor(arr.reshape(shape).astype(d._np), d)

    def get_config(self):
        """``{'value': value}``."""
        return {"value": self.value}


class random_normal_initializer(_Initializer):
    """Initializer drawing from a normal distribution.

    Args:
      mean: the mean.
      stddev: the standard deviation.
      seed: optional int seed.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=dtypes.float32, **kwargs):
        """Return a random normal float tensor of ``shape``."""
        _no_partition(kwargs, "Random normal")
        d = dtypes.as_dtype(dtype)
        if not d.is_floating:
            raise ValueError(f"Argument `dtype` expected to be floating point. Received {d}.")
        return _random.normal(list(shape), self.mean, self.stddev, dtype=d, seed=self.seed)

    def get_config(self):
        """``{'mean', 'stddev', 'seed'}``."""
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class random_uniform_initializer(_Initializer):
    """Initializer drawing from a uniform distribution on ``[minval, maxval)``.

    Args:
      minval: lower bound.
      maxval: upper bound.
      seed: optional int seed.
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype=dtypes.float32, **kwargs):
        """Return a random uniform tensor of ``shape`` (float or integer dtype)."""
        _no_partition(kwargs, "Random uniform")
        d = dtypes.as_dtype(dtype)
        if not (d.is_floating or d.is_integer):
            raise ValueError(f"Argument `dtype` expected to be numeric or boolean. Received "
                             f"{d}.")
        return _random.uniform(list(shape), self.minval, self.maxval, dtype=d, seed=self.seed)

    def get_config(self):
        """``{'minval', 'maxval', 'seed'}``."""
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


# -- small framework classes --------------------------------------------------------------------
class AggregationMethod:
    """How TF1's ``gradients`` summed gradient contributions (constants only)."""

    ADD_N = 0
    DEFAULT = ADD_N
    EXPERIMENTAL_TREE = 1
    EXPERIMENTAL_ACCUMULATE_N = 2


_DEVICE_PART = re.compile(r"^/?(job|replica|task|device|cpu|gpu):?(.*)$", re.I)


class DeviceSpec:
    """A device name's parts: ``/job:<j>/replica:<r>/task:<t>/device:<type>:<index>``.

    Args:
      job: job name.
      replica: replica index.
      task: task index.
      device_type: e.g. ``"CPU"`` or ``"GPU"``.
      device_index: device index.
    """

    def __init__(self, job=None, replica=None, task=None, device_type=None,
                 device_index=None):
        self._job = job
        self._replica = None if replica is None else int(replica)
        self._task = None if task is None else int(task)
        self._device_type = None if device_type is None else (
            device_type.upper() if device_type.upper() in ("CPU", "GPU") else device_type)
        self._device_index = None if device_index is None else int(device_index)

    job = property(lambda self: self._job, doc="The job name.")
    replica = property(lambda self: self._replica, doc="The replica index.")
    task = property(lambda self: self._task, doc="The task index.")
    device_type = property(lambda self: self._device_type, doc="The device type.")
    device_index = property(lambda self: self._device_index, doc="The device index.")

    @staticmethod
    def _parse(spec):
        out = {}
        for part in [p for p in (spec or "").split("/") if p]:
            bits = part.split(":")
            key = bits[0].lower()
            if key in ("job", "replica", "task") and len(bits) == 2:
                out[key] = bits[1] if key == "job" else int(bits[1])
            elif key == "device" and len(bits) in (2, 3):
                out["device_type"] = bits[1]
                if len(bits) == 3 and bits[2] != "*":
                    out["device_index"] = int(bits[2])
            elif key in ("cpu", "gpu") and len(bits) == 2:
                out["device_type"] = key.upper()
                if bits[1] != "*":
                    out["device_index"] = int(bits[1])
            else:
                raise ValueError(f"Unknown attribute '{part}' is encountered while parsing "
                                 f"the device spec: '{spec}'.")
        return out

    @classmethod
    def from_string(cls, spec):
        """Parse a device name string into a ``DeviceSpec``."""
        return cls(**cls._parse(spec))

    def parse_from_string(self, spec):
        """A new ``DeviceSpec`` of ``spec``'s parts (TF2's specs are immutable)."""
        return self.from_string(spec)

    def replace(self, **kwargs):
        """A copy with some parts replaced."""
        parts = self._parts()
        parts.update(kwargs)
        return DeviceSpec(**parts)

    def make_merged_spec(self, dev):
        """A copy whose parts are overridden by the parts ``dev`` sets."""
        parts = self._parts()
        parts.update({k: v for k, v in dev._parts().items() if v is not None})
        return DeviceSpec(**parts)

    def _parts(self):
        return {"job": self._job, "replica": self._replica, "task": self._task,
                "device_type": self._device_type, "device_index": self._device_index}

    def to_string(self):
        """The device name string."""
        out = ""
        if self._job is not None:
            out += f"/job:{self._job}"
        if self._replica is not None:
            out += f"/replica:{self._replica}"
        if self._task is not None:
            out += f"/task:{self._task}"
        if self._device_type is not None:
            index = "*" if self._device_index is None else self._device_index
            out += f"/device:{self._device_type}:{index}"
        return out

    def __eq__(self, other):
        return isinstance(other, DeviceSpec) and self.to_string() == other.to_string()

    def __hash__(self):
        return hash(self.to_string())

    def __repr__(self):
        return f"<DeviceSpec(job={self._job}, replica={self._replica}, task={self._task}, " \
               f"device_type={self._device_type}, device_index={self._device_index})>"


class CriticalSection:
    """Runs functions one at a time: ``execute(fn)`` holds a lock while ``fn`` runs.

    Args:
      name: optional name.
      shared_name, critical_section_def, import_scope: TF1 graph arguments (ignored).
    """

    def __init__(self, name=None, shared_name=None, critical_section_def=None,
                 import_scope=None):
        self._name = name or "CriticalSection"
        self._lock = threading.RLock()

    @property
    def name(self):
        """The section's name."""
        return self._name

    def execute(self, fn, exclusive_resource_access=True, name=None):
        """Run ``fn()`` under the section's lock and return its result."""
        with self._lock:
            return fn()


_GRADIENT_REGISTRY = {}


class RegisterGradient:
    """Decorator registering a gradient function under an op type name.

    Args:
      op_type: the op type name (a string).
    """

    def __init__(self, op_type):
        if not isinstance(op_type, str):
            raise TypeError("op_type must be a string")
        self._op_type = op_type

    def __call__(self, f):
        """Register ``f`` and return it; a second registration of one name is an error."""
        if self._op_type in _GRADIENT_REGISTRY:
            raise KeyError(f"Registering two gradient with name '{self._op_type}'! "
                           f"(Previous registration was in {_GRADIENT_REGISTRY[self._op_type]})")
        _GRADIENT_REGISTRY[self._op_type] = f
        return f



# -- convolutions (TF's raw ops) ----------------------------------------------------------------
def conv(input, filter, strides, padding, explicit_paddings=(), data_format="CHANNELS_LAST",
         dilations=(), batch_dims=1, groups=1, name=None):
    """TF's generic ``Conv`` op: an N-D convolution with full-rank ``strides`` and
    ``dilations`` (one per input dimension, batch and channel included).

    Args:
      input: ``[batch, *spatial, in]`` (or channels first) tensor.
      filter: ``[*kernel, in / groups, out]`` tensor.
      strides: ``rank`` ints (1 for batch and channels).
      padding: ``"VALID"``, ``"SAME"`` or ``"EXPLICIT"``.
      explicit_paddings: with ``"EXPLICIT"``, ``2 * rank`` ints (before/after per dim).
      data_format: ``"CHANNELS_LAST"`` or ``"CHANNELS_FIRST"``.
      dilations: ``rank`` ints (default all 1).
      batch_dims: leading batch dimensions (flattened into one).
      groups: must agree with the channel ratio (grouped convolution).
      name: ignored.

    Returns:
      The convolution.
    """
    from .ops.conv import convolution  # deferred: conv pulls in the whole conv module
    x, w = _t(input), _t(filter)
    rank = len(x.shape)
    st = _ints(strides)
    if len(st) != rank:
        raise InvalidArgumentError(None, "Conv", f"Sliding window strides field must specify "
                                   f"{rank} dimensions [Op:Conv]")
    spatial = rank - batch_dims - 1
    if spatial not in (2, 3):
        raise InvalidArgumentError(None, "Conv", f"The input must have 2 or 3 spatial "
                                   f"dimensions but got {spatial} [Op:Conv]")
    lead = list(x.shape[:batch_dims])
    if batch_dims != 1:
        x = reshape(x, [-1] + list(x.shape[batch_dims:]))
    cf = data_format == "CHANNELS_FIRST"
    keep = slice(batch_dims + (1 if cf else 0), batch_dims + (1 if cf else 0) + spatial)
    dil = _ints(dilations) if len(dilations) else [1] * rank
    if padding == "EXPLICIT":
        pads = np.asarray(_ints(explicit_paddings)).reshape(rank, 2)[batch_dims - 1:]
        x = pad(x, pads.tolist())
        padding = "VALID"
    y = convolution(x, w, strides=st[keep], padding=padding,
                    data_format=("NC" + "DHW"[3 - spatial:]) if cf else None,
                    dilations=dil[keep])
    return y if batch_dims == 1 else reshape(y, lead + list(y.shape[1:]))


def _conv2d_backprop(input, filter, out_backprop, strides, padding, explicit_paddings,
                     data_format, dilations, wrt):
    from .ops.conv import conv2d  # deferred: conv pulls in the whole conv module
    from .tape import GradientTape  # deferred: a tape records the forward conv
    x, w, g = _t(input), _t(filter), _t(out_backprop)
    if padding == "EXPLICIT":
        raise InvalidArgumentError(None, "Conv2DBackprop", "EXPLICIT padding is not "
                                   "supported here; pad the input and use VALID")
    with GradientTape() as tape:
        tape.watch(x)
        tape.watch(w)
        y = conv2d(x, w, strides, padding, data_format, dilations)
    return tape.gradient(y, x if wrt == "input" else w, output_gradients=g)


def conv2d_backprop_filter_v2(input, filter, out_backprop, strides, padding,
                              use_cudnn_on_gpu=True, explicit_paddings=(), data_format="NHWC",
                              dilations=(1, 1, 1, 1), name=None):
    """The gradient of ``conv2d(input, filter)`` with respect to ``filter``, given the
    output's gradient ``out_backprop`` (``filter`` gives the shape).

    Args:
      input, filter, out_backprop: the conv's input, filter and output gradient.
      strides, padding, data_format, dilations: as ``tf.nn.conv2d``.
      use_cudnn_on_gpu, explicit_paddings: TF kernel options (explicit paddings refused).
      name: ignored.

    Returns:
      Tensor of ``filter``'s shape.
    """
    return _conv2d_backprop(input, filter, out_backprop, strides, padding, explicit_paddings,
                            data_format, dilations, "filter")


def conv2d_backprop_input_v2(input, filter, out_backprop, strides, padding,
                             use_cudnn_on_gpu=True, explicit_paddings=(), data_format="NHWC",
                             dilations=(1, 1, 1, 1), name=None):
    """The gradient of ``conv2d(input, filter)`` with respect to ``input``, given the
    output's gradient ``out_backprop`` (``input`` gives the shape).

    Args:
      input, filter, out_backprop: the conv's input, filter and output gradient.
      strides, padding, data_format, dilations: as ``tf.nn.conv2d``.
      use_cudnn_on_gpu, explicit_paddings: TF kernel options (explicit paddings refused).
      name: ignored.

    Returns:
      Tensor of ``input``'s shape.
    """
    return _conv2d_backprop(input, filter, out_backprop, strides, padding, explicit_paddings,
                            data_format, dilations, "input")


def extract_volume_patches(input, ksizes, strides, padding, name=None):
    """3-D patches of a ``[batch, depth, rows, cols, channels]`` tensor, each flattened in
    (depth, row, col, channel) order into the last dimension.

    Args:
      input: 5-D tensor.
      ksizes: ``[1, kd, kh, kw, 1]``.
      strides: ``[1, sd, sh, sw, 1]``.
      padding: ``"VALID"`` or ``"SAME"``.
      name: ignored.

    Returns:
      ``[batch, out_d, out_h, out_w, kd * kh * kw * channels]`` tensor.
    """
    from .ops.array import stack  # deferred: only this op stacks patches
    x = _t(input)
    if len(x.shape) != 5:
        raise ValueError(f"Shape must be rank 5 but is rank {len(x.shape)}")
    k, s = _ints(ksizes)[1:4], _ints(strides)[1:4]
    size = list(x.shape[1:4])
    if padding == "SAME":
        out = [-(-n // st) for n, st in zip(size, s)]
        total = [max((o - 1) * st + kk - n, 0) for o, st, kk, n in zip(out, s, k, size)]
        x = pad(x, [[0, 0]] + [[t // 2, t - t // 2] for t in total] + [[0, 0]])
    elif padding == "VALID":
        out = [(n - kk) // st + 1 for n, kk, st in zip(size, k, s)]
    else:
        raise ValueError(f"padding must be VALID or SAME, got {padding!r}")
    parts = []
    for a in range(k[0]):
        for b in range(k[1]):
            for c in range(k[2]):
                parts.append(x[:, a:a + (out[0] - 1) * s[0] + 1:s[0],
                               b:b + (out[1] - 1) * s[1] + 1:s[1],
                               c:c + (out[2] - 1) * s[2] + 1:s[2], :])
    y = stack(parts, axis=4)
    return reshape(y, list(y.shape[:4]) + [-1])


def approx_top_k(input, k, reduction_dimension=-1, recall_target=0.95, is_max_k=True,
                 reduction_input_size_override=-1, aggregate_to_topk=True, name=None):
    """The ``k`` largest (or smallest) values along ``reduction_dimension`` and their
    indices. TF's approximate algorithm is for TPUs; on CPUs (and here) the result is
    exact.

    Args:
      input: float tensor.
      k: how many.
      reduction_dimension: the axis.
      recall_target, reduction_input_size_override, aggregate_to_topk: TPU options.
      is_max_k: largest (True) or smallest (False).
      name: ignored.

    Returns:
      ``(values, indices)`` with ``k`` along the axis; indices int32.
    """
    import collections  # optional: a standard-library namedtuple

    from .ops.sorting import top_k  # deferred: sorting is only needed here
    x = _t(input)
    if x.dtype not in (dtypes.float16, dtypes.float32, dtypes.bfloat16):
        raise InvalidArgumentError(None, "ApproxTopK", f"Value for attr 'T' of {x.dtype.name} "
                                   "is not in the list of allowed values: half, bfloat16, "
                                   "float")
    rank = len(x.shape)
    axis = reduction_dimension % rank
    perm = [i for i in range(rank) if i != axis] + [axis]
    y = transpose(x, perm)
    values, indices = top_k(y if is_max_k else -y, k)
    if not is_max_k:
        values = -values
    back = list(np.argsort(perm))
    result = collections.namedtuple("ApproxTopK", ["values", "indices"])
    return result(transpose(values, back), transpose(indices, back))


def check_pinned(tensor, name=None):
    """TF's check that ``tensor`` lies in pinned (page-locked) host memory, an op of CUDA
    builds. Without a GPU it raises FailedPreconditionError, as TF's CPU build does; with
    one it returns ``tensor``.

    Args:
      tensor: the tensor.
      name: ignored.

    Returns:
      ``tensor``.
    """
    from .errors import FailedPreconditionError  # deferred: error path
    from .framework import config  # deferred: reads the backend's devices
    if not config.list_physical_devices("GPU"):
        raise FailedPreconditionError(None, "CheckPinned", "to check pinnedness, must be "
                                      "built with `--config=cuda` [Op:CheckPinned]")
    return identity(tensor)


def _levenshtein(a, b):
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def _sequences(st):
    idx, vals = st.indices.numpy(), st.values.numpy()
    seqs = {}
    for i, v in zip(idx, vals):
        seqs.setdefault(tuple(int(k) for k in i[:-1]), []).append((int(i[-1]), v))
    return {k: [v for _, v in sorted(items, key=lambda p: p[0])] for k, items in seqs.items()}


def edit_distance(hypothesis, truth, normalize=True, name="edit_distance"):
    """The Levenshtein distance between the sequences of two SparseTensors, one per
    position of their leading dimensions (the last dimension runs along a sequence).

    Args:
      hypothesis: SparseTensor of rank ``R``.
      truth: SparseTensor of rank ``R``, same dtype.
      normalize: divide by the truth's length (inf for an empty truth and nonempty
        hypothesis).
      name: ignored.

    Returns:
      float32 tensor of rank ``R - 1`` (the larger of the two leading shapes).
    """
    from .sparse import SparseTensor  # deferred: sparse tensors load on first use
    if not isinstance(hypothesis, SparseTensor):
        raise TypeError("Hypothesis must be a SparseTensor.")
    if not isinstance(truth, SparseTensor):
        raise TypeError("Truth must be a SparseTensor.")
    if hypothesis.dtype != truth.dtype:
        raise TypeError(f"Hypothesis and truth dtypes differ: {hypothesis.dtype.name} vs "
                        f"{truth.dtype.name}")
    hs, ts = hypothesis.dense_shape.numpy(), truth.dense_shape.numpy()
    if len(hs) != len(ts):
        raise InvalidArgumentError(None, "EditDistance", f"Hypothesis and truth ranks differ "
                                   f"({len(hs)} vs {len(ts)}) [Op:EditDistance]")
    shape = [int(max(a, b)) for a, b in zip(hs[:-1], ts[:-1])]
    h, t = _sequences(hypothesis), _sequences(truth)
    out = np.zeros(shape, np.float32)
    for key in np.ndindex(*shape):
        a, b = h.get(key, []), t.get(key, [])
        d = float(_levenshtein(a, b))
        if normalize:
            d = d / len(b) if b else (np.inf if a else 0.0)
        out[key] = d
    return constant(out)


# -- random_index_shuffle -----------------------------------------------------------------------
def _rotate_left(x, r, width, mask):
    return ((x << r) | (x >> (width - r))) & mask


def _round_function(x, width, mask):
    """The Simon cipher's mixing function of one word."""
    return (_rotate_left(x, 1, width, mask) & _rotate_left(x, 8, width, mask)) ^ \
        _rotate_left(x, 2, width, mask)


def _round_keys(key, width, rounds):
    """The key schedule: the three seed words, then one derived word per further round."""
    mask = (1 << width) - 1
    const_c = 0xFFFFFFFC & mask
    z = 0x7369F885192C0EF5 & mask
    keys = [k & mask for k in key]
    for i in range(3, rounds):
        prev = keys[i - 1]
        rot3 = ((prev >> 3) | (prev << (width - 3))) & mask
        rot4 = ((prev >> 4) | (prev << (width - 4))) & mask
        keys.append(const_c ^ (z & 1) ^ keys[i - 3] ^ rot3 ^ rot4)
        z >>= 1
    return keys


def _shuffle_one(index, key, max_index, rounds):
    """Where ``index`` goes in the keyed permutation of ``0..max_index``: encrypt with a
    small Feistel (Simon) cipher on just enough bits, re-encrypting until the value falls
    in range (cycle walking)."""
    if max_index == 0:
        return 0
    import math  # optional: the standard library's log2

    bits = math.ceil(math.log2(max_index))
    bits = max(bits + bits % 2, 16)
    width = bits // 2
    mask = (1 << width) - 1
    keys = _round_keys(key, width, rounds)
    value = index
    while True:
        left, right = (value >> width) & mask, value & mask
        for k1, k2 in zip(keys[0::2], keys[1::2]):
            left ^= _round_function(right, width, mask) ^ k1
            right ^= _round_function(left, width, mask) ^ k2
        value = (left << width) | right
        if value <= max_index:
            return value


def random_index_shuffle(index, seed, max_index, rounds=4, name=None):
    """The position of ``index`` in a pseudorandom permutation of ``[0, max_index]`` keyed
    by ``seed``: for a fixed seed and ``max_index`` the map is a bijection (TF's algorithm,
    so the values equal TF's).

    Args:
      index: int32/int64/uint32/uint64 scalar or vector.
      seed: ``[3]`` or ``[n, 3]`` integer tensor.
      max_index: scalar or vector of ``index``'s dtype.
      rounds: even number of cipher rounds, at least 4.
      name: ignored.

    Returns:
      Tensor of ``index``'s dtype (a vector unless all inputs are scalars).
    """
    idx, sd, mx = _t(index), _t(seed), _t(max_index)
    if idx.dtype not in (dtypes.int32, dtypes.int64, dtypes.uint32, dtypes.uint64):
        raise InvalidArgumentError(None, "RandomIndexShuffle", f"Value for attr 'dtype' of "
                                   f"{idx.dtype.name} is not in the list of allowed values: "
                                   "int32, int64, uint32, uint64")
    if rounds < 4 or rounds % 2:
        raise InvalidArgumentError(None, "RandomIndexShuffle", f"rounds must be an even "
                                   f"integer >= 4, got {rounds}")
    iv = idx.numpy().astype(np.uint64).reshape(-1)
    mv = mx.numpy().astype(np.uint64).reshape(-1)
    if len(sd.shape) not in (1, 2) or sd.shape[-1] != 3:
        n = max(iv.size, mv.size)
        raise InvalidArgumentError(None, "RandomIndexShuffle", f"Seed must be a vector of "
                                   f"size [3] or a matrix of size [{n}, 3] but got "
                                   f"{list(sd.shape)}.")
    sv = sd.numpy().astype(np.int64).reshape(-1, 3)
    n = max(iv.size, mv.size, sv.shape[0])
    if sv.shape[0] not in (1, n):
        raise InvalidArgumentError(None, "RandomIndexShuffle", f"Seed must be a vector of "
                                   f"size [3] or a matrix of size [{n}, 3] but got "
                                   f"{list(sd.shape)}.")
    out = [_shuffle_one(int(iv[i % iv.size]),
                        [int(s) & 0xFFFFFFFF for s in sv[i % sv.shape[0]]],
                        int(mv[i % mv.size]), rounds) for i in range(n)]
    arr = np.asarray(out, np.uint64).astype(idx.dtype._np)
    scalar = len(idx.shape) == 0 and len(mx.shape) == 0 and len(sd.shape) == 1
    return constant(arr.reshape(()) if scalar else arr)
