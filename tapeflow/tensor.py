"""``Tensor`` (an immutable wrapper over one backend array), ``TensorShape``, and the
conversion of Python/NumPy values into tensors with TF's dtype rules.

Operators (``+``, ``[]``...) are installed onto ``TensorBase`` by ``tapeflow.ops``, so this
module holds only the data structure, printing and conversion.
"""
import numbers

from . import backend, dtypes
from ._recording import recording, trace_here
from .backend import device_name, generic, is_array, ndarray, placement, to_host
from .backend import host as np


class TensorShape:
    """A possibly partially known shape: a list of ints and ``None``s, or unknown rank."""

    __slots__ = ("_dims",)

    def __init__(self, dims):
        if dims is None:
            self._dims = None
        elif isinstance(dims, TensorShape):
            self._dims = dims._dims
        elif isinstance(dims, (int, np.integer)):
            self._dims = (int(dims),)
        else:
            self._dims = tuple(None if d is None else int(_dim_value(d)) for d in dims)

    @property
    def dims(self):
        return None if self._dims is None else list(self._dims)

    @property
    def rank(self):
        return None if self._dims is None else len(self._dims)

    ndims = rank

    def as_list(self):
        if self._dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self._dims)

    def num_elements(self):
        if not self.is_fully_defined():
            return None
        n = 1
        for d in self._dims:
            n *= d
        return n

    def is_fully_defined(self):
        return self._dims is not None and all(d is not None for d in self._dims)

    def assert_is_fully_defined(self):
        if not self.is_fully_defined():
            raise ValueError(f"Shape {self} is not fully defined")

    def is_compatible_with(self, other):
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return True
        if len(self._dims) != len(other._dims):
            return False
        return all(a is None or b is None or a == b for a, b in zip(self._dims, other._dims))

    def assert_is_compatible_with(self, other):
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {as_shape(other)} are incompatible")

    def merge_with(self, other):
        other = as_shape(other)
        if self._dims is None:
            return other
        if other._dims is None:
            return self
        self.assert_is_compatible_with(other)
        return TensorShape([a if a is not None else b for a, b in zip(self._dims, other._dims)])

    def concatenate(self, other):
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return TensorShape(None)
        return TensorShape(self._dims + other._dims)

    def with_rank(self, rank):
        if self._dims is None:
            return TensorShape([None] * rank)
        if len(self._dims) != rank:
            raise ValueError(f"Shape {self} must have rank {rank}")
        return self

    def with_rank_at_least(self, rank):
        if self._dims is not None and len(self._dims) < rank:
            raise ValueError(f"Shape {self} must have rank at least {rank}")
        return self

    def __len__(self):
        if self._dims is None:
            raise ValueError("Cannot take the length of shape with unknown rank.")
        return len(self._dims)

    def __iter__(self):
        if self._dims is None:
            raise ValueError("Cannot iterate over a shape with unknown rank.")
        return iter(self._dims)

    def __getitem__(self, key):
        if self._dims is None:
            return TensorShape(None) if isinstance(key, slice) else None
        if isinstance(key, slice):
            return TensorShape(self._dims[key])
        return self._dims[key]

    def __bool__(self):
        return self._dims is not None

    def __eq__(self, other):
        try:
            other = as_shape(other)
        except (TypeError, ValueError):
            return NotImplemented
        return self._dims == other._dims

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self):
        return hash(self._dims)

    def __add__(self, other):
        return self.concatenate(other)

    def __radd__(self, other):
        return as_shape(other).concatenate(self)

    def __repr__(self):
        return "TensorShape(None)" if self._dims is None else f"TensorShape({list(self._dims)})"

    def __str__(self):
        if self._dims is None:
            return "<unknown>"
        if len(self._dims) == 1:
            return f"({self._dims[0]},)"
        return "(" + ", ".join(str(d) for d in self._dims) + ")"

    def __reduce__(self):
        return TensorShape, (self.dims,)


def _dim_value(d):
    return getattr(d, "value", d)


def as_shape(shape):
    """A ``TensorShape`` for a list, tuple, ``TensorShape`` or None."""
    return shape if isinstance(shape, TensorShape) else TensorShape(shape)


class TensorBase:
    """What Tensor and Variable share: a backend array in ``_v`` and the read-only API."""

    __slots__ = ()
    __array_priority__ = 100  # NumPy defers ``ndarray + tensor`` to our __radd__

    @property
    def shape(self):
        return TensorShape(self._v.shape)

    def get_shape(self):
        return self.shape

    @property
    def dtype(self):
        return dtypes.from_numpy(self._v.dtype)

    @property
    def ndim(self):
        return self._v.ndim

    @property
    def device(self):
        return device_name(self._v)

    def numpy(self):
        """The value as a NumPy array (a copy) or a NumPy scalar for rank-0 tensors."""
        if recording:
            _converted(self, "numpy()")
        v = to_host(self._v)
        if isinstance(v, ndarray):
            return v[()] if v.ndim == 0 else v.copy()
        return v

    def __array__(self, dtype=None, copy=None):
        if recording:
            _converted(self, "__array__")
        v = to_host(self._v)
        if isinstance(v, generic) or copy:
            v = np.array(v, dtype=dtype)
        elif dtype is not None:
            v = v.astype(dtype, copy=False)
        return v

    def __dlpack__(self, **kwargs):
        """Export for ``np.from_dlpack``/``torch.from_dlpack``..., without a copy."""
        from .experimental.dlpack import export  # cycle: dlpack imports this module

        return export(self._v, **kwargs)

    def __dlpack_device__(self):
        v = self._v
        return (1, 0) if isinstance(v, generic) else v.__dlpack_device__()

    def __len__(self):
        if self._v.ndim == 0:
            raise TypeError("Scalar tensor has no `len()`")
        return self._v.shape[0]

    def __bool__(self):
        if recording:
            _converted(self, "bool()")
        return bool(self._v)

    def __int__(self):
        if recording:
            _converted(self, "int()")
        return int(self._v)

    def __float__(self):
        if recording:
            _converted(self, "float()")
        return float(self._v)

    def __index__(self):
        if recording:
            _converted(self, "an index")
        if self._v.ndim != 0 or self._v.dtype.kind not in "iu":
            raise TypeError(
                f"Only integer scalar tensors can be used as an index, got shape "
                f"{self.shape} dtype {self.dtype.name}"
            )
        return int(self._v)

    def __complex__(self):
        return complex(self._v)

    def __hash__(self):
        raise TypeError("Tensor is unhashable. Instead, use tensor.ref() as the key.")

    def __iter__(self):
        if self._v.ndim == 0:
            raise TypeError("Cannot iterate over a scalar tensor.")
        if recording:
            _converted(self, "iteration")
        for i in range(self._v.shape[0]):
            yield self[i]

    def __format__(self, spec):
        return format(self.numpy(), spec)

    def __reduce__(self):
        return _rebuild, (self.numpy(),)

    def ref(self):
        """A hashable reference to this object (TF's ``Tensor.ref()``)."""
        return Reference(self)

    experimental_ref = ref

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def _value_text(self, is_repr):
        v = to_host(self._v)
        if v.ndim == 0:
            # NOTE: NumPy 1.x printing of scalars (``-44.360188``), as the seed shows. TF 2.21
            # under NumPy 2 prints the float64 repr of the value instead.
            text = str(v[()] if isinstance(v, ndarray) else v)
        else:
            text = repr(v) if is_repr else str(v)
        return "\n" + text if "\n" in text else text


class Tensor(TensorBase):
    """An immutable multidimensional array with a dtype and a shape (TF's EagerTensor)."""

    __slots__ = ("_v", "__weakref__")

    def __init__(self, value):
        self._v = value

    def __repr__(self):
        return (
            f"<tf.Tensor: shape={self.shape}, dtype={self.dtype.name}, "
            f"numpy={self._value_text(True)}>"
        )

    def __str__(self):
        return f"tf.Tensor({self._value_text(False)}, shape={self.shape}, dtype={self.dtype.name})"

    def __setitem__(self, key, value):
        raise TypeError(
            f"'{type(self).__module__}.{type(self).__name__}' object does not support item "
            "assignment"
        )

    @property
    def name(self):
        raise AttributeError("Tensor.name is undefined when eager execution is enabled.")

    def set_shape(self, shape):
        if not as_shape(shape).is_compatible_with(self.shape):
            raise ValueError(f"Tensor's shape {self.shape} is not compatible with supplied shape "
                             f"{as_shape(shape)}.")


class Reference:
    """Hashable handle returned by ``Tensor.ref()``; ``deref()`` gives the object back."""

    __slots__ = ("_obj",)

    def __init__(self, obj):
        self._obj = obj

    def deref(self):
        return self._obj

    def __hash__(self):
        return id(self._obj)

    def __eq__(self, other):
        return isinstance(other, Reference) and other._obj is self._obj

    def __repr__(self):
        return f"<Reference wrapping {self._obj!r}>"


_new = object.__new__


def _converted(t, what):
    """Tell a trace of this thread that ``t`` becomes a Python or NumPy value (``what``)."""
    trace = trace_here()
    if trace is not None:
        trace.read_value(t, what)


def wrap(value):
    """A Tensor over an existing backend array (no copy, no checks).

    Under ``tf.function`` tracing the trace notes the tensor as computed outside recorded ops;
    using it then makes the function run eagerly rather than freeze a value that may depend on
    the inputs. Values that depend only on Python values and shapes use ``const`` instead.
    """
    t = _new(Tensor)
    t._v = value if not placement else backend.put_new(value)
    if recording:  # a trace of this thread notes a value made outside recorded ops
        trace = trace_here()
        if trace is not None:
            trace.orphan(t)
    return t


def const(value):
    """A Tensor for an op's recorded result, or a value fixed by Python values and shapes."""
    t = _new(Tensor)
    t._v = value
    return t


def _rebuild(value):
    return convert_to_tensor(value)


def is_tensor(x):
    """True for tapeflow tensors and variables (and ragged/sparse tensors)."""
    return isinstance(x, TensorBase)


_ALLOWED_KINDS = set("biufc")


def _host_value(value, dtype):
    """A host array of ``dtype`` (a DType or None) for a Python/NumPy value, TF's rules."""
    if isinstance(value, (ndarray, generic)):
        arr = value
        if arr.dtype.kind in "SUO":
            return _string_value(value, dtype, arr)
        if arr.dtype.kind not in _ALLOWED_KINDS:
            dtypes.as_dtype(arr.dtype)  # raises the right error for strings/complex/objects
        if dtype is dtypes.string:
            raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype string")
        if dtype is not None and arr.dtype != dtype._np:
            return arr.astype(dtype._np)
        # a copy: the caller may go on mutating its array, and TF's tensors never see that
        return arr.copy() if isinstance(arr, ndarray) else arr
    if isinstance(value, (list, tuple)) and value and \
            isinstance(value[0], (list, tuple, ndarray, TensorBase)):
        shape = _first_shape(value)
        if 0 in shape:
            # NOTE: TF reads the shape along the first elements and, with no element to
            # hold, looks no further: tf.constant([[], [1.0]]) is a float32 [2, 0]
            d = dtype or dtypes.float32
            return np.zeros(shape, object if d is dtypes.string else d._np)
    inferred = dtypes.infer_dtype(value)
    if inferred is dtypes.string or dtype is dtypes.string:
        return _string_value(value, dtype, None)
    if dtype is None:
        dtype = inferred
    elif dtype is not inferred:
        # Python floats never silently become ints, nor non-bools bools (TypeError like TF)
        bad = (inferred.is_floating and not (dtype.is_floating or dtype.is_complex)) or (
            dtype.is_bool and not inferred.is_bool
        ) or (inferred.is_complex and not dtype.is_complex) or (
            inferred.is_bool and dtype.is_complex)
        if bad and (not isinstance(value, (list, tuple)) or dtypes._scan(value)):
            # NOTE: an empty list has no value to lose: tf.constant([], tf.int32) is fine
            raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {dtype.name}")
    if isinstance(value, (list, tuple)):
        value = _unwrap_nested(value)
    try:
        arr = np.asarray(value, dtype=dtype._np)
    except OverflowError:  # a Python int out of range of a small int dtype wraps, as in TF
        arr = np.asarray(np.asarray(value, dtype=np.int64).astype(dtype._np))
    except (TypeError, ValueError):
        raise ValueError("Can't convert non-rectangular Python sequence to Tensor.") from None
    if arr.dtype.kind not in _ALLOWED_KINDS:
        raise ValueError("Can't convert non-rectangular Python sequence to Tensor.")
    return arr


def _string_value(value, dtype, arr):
    """An object array of ``bytes`` for str/bytes values (``arr``: ``value`` as a NumPy array,
    or None for Python values); str elements are UTF-8 encoded, as TF stores them."""
    if dtype is not None and dtype is not dtypes.string:
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {dtype.name}")
    if arr is None:
        if dtypes.infer_dtype(value) is not dtypes.string and dtypes._scan(value):
            raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype string")
        if isinstance(value, (list, tuple)):
            value = _unwrap_nested(value)
        arr = np.array(value, dtype=object)
        if arr.shape != _first_shape(value):
            raise ValueError("Can't convert non-rectangular Python sequence to Tensor.")
    elif arr.dtype.kind == "S":  # NumPy's bytes strip trailing NULs already, as TF does
        return arr.astype(object)
    flat = arr.ravel() if arr.dtype.kind == "O" else arr.ravel().astype(object)
    out = np.empty(flat.shape, dtype=object)
    out[:] = [x if type(x) is bytes else _as_bytes(x) for x in flat.tolist()]
    return out.reshape(arr.shape)


def _as_bytes(x):
    if isinstance(x, str):
        return x.encode("utf-8")
    if isinstance(x, (bytes, np.bytes_)):
        return bytes(x)
    if isinstance(x, (list, tuple)):
        raise ValueError("Can't convert non-rectangular Python sequence to Tensor.")
    raise ValueError(
        f"Failed to convert a NumPy array to a Tensor (Unsupported object type "
        f"{type(x).__name__}).")


def _first_shape(value):
    """The shape of a nested list read along its first elements (arrays and tensors in it
    add their shapes), as TF reads it."""
    shape = []
    while True:
        if isinstance(value, (list, tuple)):
            shape.append(len(value))
            if not value:
                break
            value = value[0]
        else:
            if isinstance(value, (ndarray, TensorBase)):
                shape.extend(value.shape)
            break
    return tuple(shape)


def _unwrap_nested(value):
    if any(isinstance(v, TensorBase) for v in value):
        return [to_host(v._v) if isinstance(v, TensorBase) else v for v in value]
    if value and isinstance(value[0], (list, tuple)):
        return [_unwrap_nested(v) if isinstance(v, (list, tuple)) else v for v in value]
    return value


CONVERSIONS = []  # (priority, base type, function), lowest priority first


def register_tensor_conversion_function(base_type, conversion_func, priority=100):
    """Teach ``convert_to_tensor`` to convert instances of ``base_type``.

    Args:
      base_type: a type or tuple of types (not Python numbers or NumPy types).
      conversion_func: ``fn(value, dtype=None, name=None, as_ref=False)`` returning a tensor,
        or ``NotImplemented`` to let the next function try.
      priority: lower runs first (default 100).
    """
    types = base_type if isinstance(base_type, tuple) else (base_type,)
    if not all(isinstance(t, type) for t in types):
        raise TypeError("Argument `base_type` must be a type or a tuple of types. Obtained: "
                        f"{base_type}")
    if any(issubclass(t, (numbers.Number, ndarray, generic)) for t in types):
        raise TypeError("Cannot register conversions for Python numeric types and NumPy "
                        "scalars and arrays.")
    if not callable(conversion_func):
        raise TypeError("Argument `conversion_func` must be callable. Received "
                        f"{conversion_func}.")
    CONVERSIONS.append((priority, types, conversion_func))
    CONVERSIONS.sort(key=lambda entry: entry[0])


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None):
    """A Tensor for ``value``; ``dtype`` must match an existing tensor's dtype exactly."""
    if isinstance(value, TensorBase):
        if dtype is not None:
            dtype = dtypes.as_dtype(dtype)
            if value._v.dtype != dtype._np:
                raise ValueError(
                    f"Tensor conversion requested dtype {dtype.name} for Tensor with dtype "
                    f"{value.dtype.name}: {value!r}"
                )
        if type(value) is Tensor:
            return value
        return value.__tf_tensor__(None, name)
    if hasattr(value, "__tf_tensor__"):
        return value.__tf_tensor__(dtype, name)
    if CONVERSIONS:  # tf.register_tensor_conversion_function's registry
        for _, base, fn in CONVERSIONS:
            if isinstance(value, base):
                out = fn(value, dtype=dtype, name=name, as_ref=False)
                if out is not NotImplemented:
                    return out
    if isinstance(value, (str, bytes)):
        if dtype is not None and dtypes.as_dtype(dtype) is not dtypes.string:
            raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype "
                            f"{dtypes.as_dtype(dtype).name}")
        a = np.empty((), dtype=object)
        a[()] = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        return const(a)
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    elif dtype_hint is not None and not isinstance(value, (ndarray, generic)):
        hint = dtypes.as_dtype(dtype_hint)
        try:
            t = const(_host_value(value, hint))
            return t if not placement else _placed(t)
        except (TypeError, ValueError):
            pass
    if is_array(value) and not isinstance(value, (ndarray, generic)):
        return wrap(value if dtype is None else value.astype(dtype._np))  # a device array
    if isinstance(value, (list, tuple)) and any(isinstance(v, TensorBase) for v in value):
        if not all(isinstance(v, TensorBase) for v in value) and 0 in _first_shape(value):
            return const(_host_value(value, dtype))  # TF's empty result, as for plain lists
        from .ops.array import stack  # cycle: ops.array imports this module (a layer up)

        t = stack([convert_to_tensor(v) for v in value])
        return t if dtype is None or t._v.dtype == dtype._np else convert_to_tensor(t, dtype)
    if isinstance(value, numbers.Number) or isinstance(value, (list, tuple, ndarray, generic)):
        t = const(_host_value(value, dtype))
        return t if not placement else _placed(t)
    if hasattr(value, "__array__"):
        t = const(_host_value(np.asarray(value), dtype))
        return t if not placement else _placed(t)
    raise dtypes.unsupported_value(value)


def _placed(t):
    """``t`` moved to the current device (only called while a device exists)."""
    t._v = backend.put_new(t._v)
    return t


def constant(value, dtype=None, shape=None, name="Const"):
    """A constant tensor; unlike convert_to_tensor it may cast tensors and reshape/fill."""
    if isinstance(value, TensorBase):
        t = value if dtype is None else wrap(value._v.astype(dtypes.as_dtype(dtype)._np))
    else:
        t = convert_to_tensor(value, dtype)
    if shape is not None:
        shape = [int(d) for d in shape]
        xp_v = t._v
        n = int(np.prod(shape))
        if xp_v.size == 1:
            xp = backend.xp_of(xp_v)
            t = wrap(xp.broadcast_to(xp_v.reshape(()), shape).copy())
        elif xp_v.size == n:
            t = wrap(xp_v.reshape(shape))
        else:
            raise TypeError(
                f"Eager execution of tf.constant with unsupported shape. Tensor {value!r} "
                f"(converted from {value!r}) has {xp_v.size} elements, but got `shape` "
                f"{tuple(shape)} with {n} elements)."
            )
    return t


# -- the text of tf.print and tf.strings.format --------------------------------------------
def flush_subnormals(a):
    """``a`` with float32/float64 subnormals as signed zeros: TF's CPU kernels run with
    flush-to-zero, so its printing and formatting ops see them as 0."""
    if a.dtype.kind != "f" or a.dtype.itemsize < 4:
        return a
    tiny = np.finfo(a.dtype).tiny
    small = (a != 0) & (abs(a) < tiny)
    return np.where(small, np.copysign(np.zeros((), a.dtype), a), a) if small.any() else a


def _num_text(v, kind, itemsize):
    if kind == "b":
        return "1" if v else "0"
    if kind in "iu":
        return str(int(v))
    if kind == "O":
        return '"' + b"".join([_C_ESCAPES[c] for c in v]).decode("utf-8", "surrogateescape") \
            + '"'
    v = float(v)
    if v != v:
        return "nan"
    if v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    short, long_ = (6, 9) if itemsize <= 4 else (15, 17)
    text = f"{v:.{short}g}"
    caster = np.float32 if itemsize <= 4 else float  # TF writes halves as floats
    if caster(float(text)) != caster(v):
        text = f"{v:.{long_}g}"
    return text


def _c_escapes():
    """C escapes of tf.print/format string elements: named ones, octal for other control
    bytes, bytes from 0x80 up as they are."""
    table = [bytes([c]) if 0x20 <= c < 0x7F or c >= 0x80 else b"\\%03o" % c
             for c in range(256)]
    for c, e in zip(b"\n\r\t\"'\\", [b"\\n", b"\\r", b"\\t", b'\\"', b"\\'", b"\\\\"]):
        table[c] = e
    return table


_C_ESCAPES = _c_escapes()


def summary_text(a, summarize=3):
    """The text TF's ``tf.print`` and ``tf.strings.format`` write for the host array ``a``:
    TF's number formats (the shortest of %.6g/%.9g, or %.15g/%.17g, that reads back),
    quoted and C-escaped strings, and ``summarize`` items at each end of a long dimension
    (-1: all)."""
    kind, size = a.dtype.kind, a.dtype.itemsize
    a = flush_subnormals(a)

    def item(v):
        return _num_text(v, kind, size)

    if a.ndim == 0:
        return item(a[()])

    def block(x, depth):
        n = x.shape[0]
        cut = summarize >= 0 and n > 2 * summarize
        idx = (list(range(summarize)) + [None] + list(range(n - summarize, n))) if cut else \
            list(range(n))
        if x.ndim == 1:
            return "[" + " ".join("..." if i is None else item(x[i]) for i in idx) + "]"
        pad = " " * (depth + 1)
        sep = "\n" * (x.ndim - 1) + pad
        if n == 0:
            return "[]"
        parts = ["..." if i is None else block(x[i], depth + 1) for i in idx]
        return "[" + sep.join(parts) + "]"

    if a.size == 0:
        return "[\n ...]" if a.shape[0] else "[]"  # TF's text for empty matrices
    return block(a, 0)
