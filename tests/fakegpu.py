"""A NumPy-backed stand-in for CuPy, registered as two 'GPU' devices, so that tapeflow's
placement and device-dispatch code runs in CI without a GPU.

``FakeArray`` wraps an ``ndarray`` and behaves like ``cupy.ndarray`` where it matters for
catching host/device bugs:

* implicit conversion to NumPy (``np.asarray(fake)``, ``__array__``) raises ``TypeError``,
  as CuPy does, so ``np.*`` calls on device arrays fail loudly;
* mixing a NumPy ``ndarray`` (not a NumPy scalar) into a device op raises ``TypeError``;
* an array used while another fake device is current raises ``ValueError`` (CuPy launches
  kernels on the current device only);
* reductions return 0-d arrays rather than NumPy scalars.

``fake_gpus()`` is a context manager that registers the backend and removes it after.
"""
import contextlib
import operator
from math import erf

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import backend

_COPYING = {"asarray", "array", "asanyarray", "ascontiguousarray"}


class _Dev:
    __slots__ = ("id",)

    def __init__(self, i):
        self.id = i


class FakeArray:
    __slots__ = ("_a", "_dev", "__weakref__")
    __array_priority__ = 200
    __hash__ = None

    def __init__(self, a, dev):
        self._a = a
        self._dev = dev

    # -- what CuPy arrays have -------------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    nbytes = property(lambda self: self._a.nbytes)
    itemsize = property(lambda self: self._a.itemsize)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    device = property(lambda self: _Dev(self._dev))
    T = property(lambda self: FakeArray(self._a.T, self._dev))

    @property
    def real(self):
        return FakeArray(self._a.real, self._dev)

    @real.setter
    def real(self, value):
        self._a.real = _unwrap(value)

    @property
    def imag(self):
        return FakeArray(self._a.imag, self._dev)

    @imag.setter
    def imag(self, value):
        self._a.imag = _unwrap(value)

    def get(self):
        return self._a.copy()

    def __array__(self, *a, **k):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. Please use "
                        "`.get()` to construct a NumPy array explicitly.")

    def __repr__(self):
        return f"fake_gpu{self._dev}:{self._a!r}"

    def __getattr__(self, name):
        if name.startswith("__"):  # no __array_interface__ etc.: no implicit host views
            raise AttributeError(name)
        attr = getattr(self._a, name)
        if not callable(attr):
            return _wrap(attr, self._dev)
        return _function(attr, self._dev, name, check=self)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        dev = _device_of(inputs, kwargs)
        r = getattr(ufunc, method)(*_unwrap(inputs), **_unwrap(kwargs))
        return _wrap(r, dev)

    def __array_function__(self, func, types, args, kwargs):
        dev = _device_of(args, kwargs)
        return _wrap(func(*_unwrap(args), **_unwrap(kwargs)), dev)

    def __getitem__(self, key):
        _device_of((self,), {})
        return _wrap(self._a[_unwrap(key, strict=False)], self._dev)

    def __setitem__(self, key, value):
        _device_of((self, value), {})
        self._a[_unwrap(key, strict=False)] = _unwrap(value)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        for row in self._a:
            yield _wrap(row, self._dev)

    def __bool__(self):
        return bool(self._a)

    def __int__(self):
        return int(self._a)

    def __float__(self):
        return float(self._a)

    def __complex__(self):
        return complex(self._a)

    def __neg__(self):
        return FakeArray(-self._a, self._dev)

    def __pos__(self):
        return FakeArray(+self._a, self._dev)

    def __abs__(self):
        return FakeArray(abs(self._a), self._dev)

    def __invert__(self):
        return FakeArray(~self._a, self._dev)


def _binop(fn, reflected=False):
    def method(self, other):
        if not _operand_ok(other):
            return NotImplemented
        dev = _device_of((self, other), {})
        a, b = self._a, _unwrap(other)
        return _wrap(fn(b, a) if reflected else fn(a, b), dev)
    return method


def _inplace(fn):
    def method(self, other):
        _device_of((self, other), {})
        fn(self._a, _unwrap(other))
        return self
    return method


for _name, _fn in [("add", operator.add), ("sub", operator.sub), ("mul", operator.mul),
                   ("truediv", operator.truediv), ("floordiv", operator.floordiv),
                   ("mod", operator.mod), ("pow", operator.pow), ("matmul", operator.matmul),
                   ("and", operator.and_), ("or", operator.or_), ("xor", operator.xor),
                   ("lshift", operator.lshift), ("rshift", operator.rshift)]:
    setattr(FakeArray, f"__{_name}__", _binop(_fn))
    setattr(FakeArray, f"__r{_name}__", _binop(_fn, reflected=True))
    setattr(FakeArray, f"__i{_name}__", _inplace(getattr(operator, f"i{_name}")))
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(FakeArray, f"__{_name}__", _binop(getattr(operator, _name)))


def _operand_ok(x):
    return isinstance(x, (FakeArray, np.ndarray, np.generic, int, float, bool, complex))


def _unwrap(x, strict=True):
    """Plain NumPy values for a call; a NumPy ndarray among device values is refused."""
    if isinstance(x, FakeArray):
        return x._a
    if isinstance(x, np.ndarray):
        if strict:
            raise TypeError(f"Unsupported type {type(x)} (a host array mixed into a "
                            f"fake-GPU op, shape {x.shape})")
        return x
    if isinstance(x, tuple):
        return tuple(_unwrap(v, strict) for v in x)
    if isinstance(x, list):
        return [_unwrap(v, strict) for v in x]
    if isinstance(x, dict):
        return {k: _unwrap(v, strict) for k, v in x.items()}
    return x


def _flat(x, out):
    if isinstance(x, FakeArray):
        out.append(x._dev)
    elif isinstance(x, (list, tuple)):
        for v in x:
            _flat(v, out)
    elif isinstance(x, dict):
        for v in x.values():
            _flat(v, out)
    return out


def _device_of(args, kwargs):
    """The current fake device, after checking every device array in the call is on it."""
    cur = BACKEND.current
    for d in _flat(kwargs, _flat(args, [])):
        if d != cur:
            raise ValueError(f"Array device must be same as the current device: array "
                             f"device = {d} while current = {cur}")
    return cur


def _wrap(r, dev):
    if isinstance(r, np.ndarray):
        return FakeArray(r, dev)
    if isinstance(r, np.generic):
        return FakeArray(np.asarray(r), dev)  # CuPy reductions give 0-d arrays
    if isinstance(r, tuple) and any(isinstance(v, np.ndarray) for v in r):
        return tuple(_wrap(v, dev) for v in r)
    if isinstance(r, list) and any(isinstance(v, np.ndarray) for v in r):
        return [_wrap(v, dev) for v in r]
    return r


def _function(fn, dev, name, check=None):
    def call(*args, **kwargs):
        if check is not None:
            _device_of((check,), {})
        d = _device_of(args, kwargs)
        strict = name not in _COPYING
        if name in _COPYING and name != "ascontiguousarray" and args:
            args = (args[0].copy() if isinstance(args[0], np.ndarray) else args[0],) + args[1:]
        r = fn(*_unwrap(args, strict), **_unwrap(kwargs, strict))
        return _wrap(r, d if check is None else dev)
    call.__name__ = name
    return call


class _Ufunc:
    def __init__(self, uf):
        self._uf = uf

    def __call__(self, *args, **kwargs):
        d = _device_of(args, kwargs)
        return _wrap(self._uf(*_unwrap(args), **_unwrap(kwargs)), d)

    def __getattr__(self, name):
        attr = getattr(self._uf, name)
        return _function(attr, None, name) if callable(attr) else attr


class FakeModule:
    """A module that answers like ``cupy``: NumPy's functions on ``FakeArray``s."""

    def __init__(self, mod):
        self._mod = mod

    def __getattr__(self, name):
        if name == "ndarray":
            return FakeArray
        attr = getattr(self._mod, name)
        if isinstance(attr, np.ufunc):
            return _Ufunc(attr)
        if isinstance(attr, type) or not callable(attr):
            if type(attr).__name__ == "module":
                return FakeModule(attr)
            return attr
        return _function(attr, None, name)


class FakeBackend(backend.DeviceBackend):
    kind = "GPU"
    count = 2
    array_type = FakeArray

    def __init__(self):
        self.xp = FakeModule(np)
        self.current = 0
        self.copies = 0  # host<->device and device<->device transfers, for the tests
        self.log = []  # calls on the CuPy-shaped shim (FakeCupy), for the tests

    def index_of(self, a):
        return a._dev

    def to_device(self, a, index):
        if isinstance(a, FakeArray):
            if a._dev == index:
                return a
            self.copies += 1
            return FakeArray(a._a.copy(), index)
        self.copies += 1
        return FakeArray(np.array(a), index)

    def to_host(self, a):
        self.copies += 1
        return a._a.copy()

    def select(self, index):
        self.current = index


BACKEND = None


@contextlib.contextmanager
def fake_gpus():
    """Register the stand-in as GPU:0 and GPU:1 for the duration of the block."""
    global BACKEND
    BACKEND = FakeBackend()
    backend.register_backend(BACKEND)
    try:
        yield BACKEND
    finally:
        backend.unregister_backend(BACKEND)
        BACKEND.current = 0


def _fake_erf(self, a):
    return FakeArray(np.vectorize(erf, otypes=[a.dtype])(a._a), a._dev)


FakeBackend.erf = _fake_erf


# -- a CuPy-shaped shim for the pinned-buffer copier (tapeflow/backend/transfer.py) ---------------
def _fake_set(self, arr, stream=None):
    """``cupy.ndarray.set``: host values into this device array (the shim copies at once)."""
    if not isinstance(arr, np.ndarray) or arr.shape != self._a.shape:
        raise ValueError(f"set: expected a host array of shape {self._a.shape}")
    self._a[...] = arr
    BACKEND.log.append(("set", stream))


FakeArray.set = _fake_set


class _FakeStream:
    def __init__(self, non_blocking=False, null=False):
        self.non_blocking, self.null = non_blocking, null

    def record(self):
        BACKEND.log.append(("record", self))
        return ("event", self)

    def wait_event(self, event):
        BACKEND.log.append(("wait", self, event))

    def synchronize(self):
        BACKEND.log.append(("sync", self))

    def __enter__(self):
        BACKEND.log.append(("enter", self))
        return self

    def __exit__(self, *exc):
        BACKEND.log.append(("exit", self))


class _FakeDeviceScope:
    def __init__(self, index):
        self.index = index

    def __enter__(self):
        self.saved, BACKEND.current = BACKEND.current, self.index
        return self

    def __exit__(self, *exc):
        BACKEND.current = self.saved


class _FakeCuda:
    Device = _FakeDeviceScope

    class Stream(_FakeStream):
        pass

    def alloc_pinned_memory(self, nbytes):
        BACKEND.log.append(("pinned", nbytes))
        return bytearray(nbytes)  # np.frombuffer views it, as CuPy's PinnedMemoryPointer


_FakeCuda.Stream.null = _FakeCuda.Stream(null=True)


class FakeCupy:
    """Just what ``transfer._CupyStager`` calls on ``cupy``, on the stand-in device; the calls
    are logged in ``BACKEND.log`` so tests can check their order."""

    cuda = _FakeCuda()

    def empty(self, shape, dtype):
        return FakeArray(np.empty(shape, dtype), BACKEND.current)


# -- what the stand-in device tests share ---------------------------------------------------
GPU0 = "/job:localhost/replica:0/task:0/device:GPU:0"
GPU1 = "/job:localhost/replica:0/task:0/device:GPU:1"
CPU0 = "/job:localhost/replica:0/task:0/device:CPU:0"


def skip_if_real_gpu(covered_by):
    """Skip the calling test module on a machine with a real GPU (``covered_by`` says which
    GPU tests cover the same ground there)."""
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("a real GPU is registered: the stand-in device tests run on machines "
                    f"without one ({covered_by} covers the real GPU)", allow_module_level=True)


def _gpus_fixture():
    with fake_gpus() as be:
        yield be


def gpus_fixture():
    """The ``gpus`` fixture: the stand-in GPU:0 and GPU:1 registered for one test."""
    return pytest.fixture(_gpus_fixture, name="gpus")
