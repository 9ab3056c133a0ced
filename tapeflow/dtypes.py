"""TF's dtype objects (``tf.float32``...), conversion from NumPy/strings, and inference
of a dtype from Python values the way ``tf.constant`` does it."""
from .backend import host as np

_UNSUPPORTED = {
    "qint8": "quantized dtypes", "quint8": "quantized dtypes", "qint32": "quantized dtypes",
}


class DType:
    """A tensor element type; compares equal to its NumPy dtype and to its name."""

    __slots__ = ("name", "_np")

    def __init__(self, name, np_type):
        self.name = name
        self._np = np.dtype(np_type)

    @property
    def as_numpy_dtype(self):
        return object if self._np.kind == "O" else self._np.type

    @property
    def base_dtype(self):
        return self

    @property
    def real_dtype(self):
        return _REAL_OF.get(self, self)  # complex64 -> float32, complex128 -> float64

    @property
    def is_floating(self):
        return self._np.kind == "f"

    @property
    def is_integer(self):
        return self._np.kind in "iu"

    @property
    def is_unsigned(self):
        return self._np.kind in "ub"

    @property
    def is_bool(self):
        return self._np.kind == "b"

    @property
    def is_complex(self):
        return self._np.kind == "c"

    @property
    def is_quantized(self):
        return False

    @property
    def is_numpy_compatible(self):
        return True

    @property
    def size(self):
        return 0 if self._np.kind == "O" else self._np.itemsize

    @property
    def itemsize(self):
        return self._np.itemsize

    @property
    def min(self):
        if self._np.kind == "f":
            return self._np.type(np.finfo(self._np).min)
        if self._np.kind in "iu":
            return int(np.iinfo(self._np).min)
        raise TypeError(f"Cannot find minimum value of {self} with type {self}.")

    @property
    def max(self):
        if self._np.kind == "f":
            return self._np.type(np.finfo(self._np).max)
        if self._np.kind in "iu":
            return int(np.iinfo(self._np).max)
        raise TypeError(f"Cannot find maximum value of {self} with type {self}.")

    @property
    def limits(self):
        if self._np.kind == "c":
            raise ValueError(f"{self} does not have defined limits.")
        return self.min, self.max

    def is_compatible_with(self, other):
        return self == other

    def __eq__(self, other):
        if other is self:
            return True
        if other is None:
            return False
        try:
            return as_dtype(other) is self
        except (TypeError, ValueError):
            return False

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f"tf.{self.name}"

    def __str__(self):
        return f"<dtype: '{self.name}'>"

    def __reduce__(self):
        return as_dtype, (self.name,)


float16 = half = DType("float16", np.float16)
float32 = DType("float32", np.float32)
float64 = double = DType("float64", np.float64)
int8 = DType("int8", np.int8)
int16 = DType("int16", np.int16)
int32 = DType("int32", np.int32)
int64 = DType("int64", np.int64)
uint8 = DType("uint8", np.uint8)
uint16 = DType("uint16", np.uint16)
uint32 = DType("uint32", np.uint32)
uint64 = DType("uint64", np.uint64)
bool = DType("bool", np.bool_)  # TF's name
complex64 = DType("complex64", np.complex64)
complex128 = DType("complex128", np.complex128)
# Strings: a NumPy object array whose elements are ``bytes`` (TF's string elements are byte
# strings of any length, NULs included, which fixed-width "S" arrays would strip).
string = DType("string", object)

_ALL = [float16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64, bool,
        complex64, complex128, string]
_REAL_OF = {complex64: float32, complex128: float64}
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update(half=float16, double=float64, float=float32)
_BY_NP = {d._np: d for d in _ALL}

_bfloat16 = []  # [DType or None] once looked up


def _load_bfloat16():
    """``tf.bfloat16``, from ml_dtypes (an optional extra; TF and JAX ship it), imported on
    first use so that ``import tapeflow`` imports nothing optional; None without it."""
    if not _bfloat16:
        try:
            import ml_dtypes  # optional: the bfloat16 extra
        except ImportError:
            _bfloat16.append(None)
        else:
            d = DType("bfloat16", ml_dtypes.bfloat16)
            _ALL.append(d)
            _BY_NAME["bfloat16"] = d
            _BY_NP[d._np] = d
            _bfloat16.append(d)
    return _bfloat16[0]


class _NarrowDType(DType):
    """One of ``tf.dtypes.experimental``'s narrow types (ml_dtypes' float8/float4 and 2- and
    4-bit integers), whose NumPy kind does not tell floats from integers."""

    __slots__ = ("_kind",)

    def __init__(self, name, np_type, kind):
        super().__init__(name, np_type)
        self._kind = kind

    is_floating = property(lambda self: self._kind == "f")
    is_integer = property(lambda self: self._kind in "iu")
    is_unsigned = property(lambda self: self._kind == "u")

    @property
    def min(self):
        import ml_dtypes  # optional: the narrow dtypes extra

        info = ml_dtypes.finfo if self._kind == "f" else ml_dtypes.iinfo
        value = info(self._np).min
        return self._np.type(value) if self._kind == "f" else int(value)

    @property
    def max(self):
        import ml_dtypes  # optional: the narrow dtypes extra

        info = ml_dtypes.finfo if self._kind == "f" else ml_dtypes.iinfo
        value = info(self._np).max
        return self._np.type(value) if self._kind == "f" else int(value)


_NARROW = {"float4_e2m1fn": "f", "float8_e4m3b11fnuz": "f", "float8_e4m3fn": "f",
           "float8_e4m3fnuz": "f", "float8_e5m2": "f", "float8_e5m2fnuz": "f", "int2": "i",
           "int4": "i", "uint2": "u", "uint4": "u"}


class _Experimental:
    """``tf.dtypes.experimental``: the narrow float and integer dtypes, from ml_dtypes (an
    optional extra, imported on first use)."""

    def __getattr__(self, name):
        if name not in _NARROW:
            raise AttributeError(f"module 'tapeflow.dtypes.experimental' has no attribute "
                                 f"{name!r}")
        found = _BY_NAME.get(name)
        if found is None:
            import ml_dtypes  # optional: the narrow dtypes extra

            found = _NarrowDType(name, getattr(ml_dtypes, name), _NARROW[name])
            _BY_NAME[name] = found
            _BY_NP[found._np] = found
        return found

    def __dir__(self):
        return sorted(_NARROW)


experimental = _Experimental()
_OPS = ("cast", "complex", "saturate_cast")  # tf.dtypes' three ops, from the ops layer


def __getattr__(name):
    if name == "bfloat16":
        return _load_bfloat16()
    if name in _OPS:
        from .ops import math  # deferred: the ops layer sits above the dtypes

        return getattr(math, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def as_dtype(type_value):
    """The DType for a DType, a NumPy dtype or type, or a name such as ``'float32'``."""
    if isinstance(type_value, DType):
        return type_value
    if isinstance(type_value, str):
        d = _BY_NAME.get(type_value)
        if d is not None:
            return d
        if type_value == "bfloat16" and _load_bfloat16() is not None:
            return _BY_NAME["bfloat16"]
        if type_value in _UNSUPPORTED:
            raise NotImplementedError(f"tapeflow does not support {_UNSUPPORTED[type_value]} yet")
    try:
        npd = np.dtype(type_value)
    except TypeError:
        raise TypeError(f"Cannot convert value {type_value!r} to a TensorFlow DType.") from None
    d = _BY_NP.get(npd)
    if d is None and npd.kind in "SU":  # NumPy's bytes and str dtypes are TF strings
        return string
    if d is None and not _bfloat16 and npd.name == "bfloat16":  # an ml_dtypes array
        _load_bfloat16()
        d = _BY_NP.get(npd)
    if d is None:
        if npd.kind in "USO":
            raise NotImplementedError("tapeflow does not support string tensors yet")
        raise TypeError(f"Cannot convert value {type_value!r} to a TensorFlow DType.")
    return d


def from_numpy(npd):
    """The DType of a NumPy dtype object (fast path used by Tensor.dtype)."""
    d = _BY_NP.get(npd)
    return d if d is not None else as_dtype(npd)


_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def _scan(value):
    """The kinds of leaves in a nested Python list: 'float', 'int', 'big', 'bool', dtypes."""
    kinds = set()
    stack = [value]
    while stack:
        v = stack.pop()
        t = type(v)
        if t is float:
            kinds.add("float")
        elif t is complex:
            kinds.add("complex")
        elif t is int:
            kinds.add("big" if not (_INT32_MIN <= v <= _INT32_MAX) else "int")
        elif t is _pybool:
            kinds.add("bool")
        elif t is str or t is bytes:
            kinds.add("str")
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, (np.ndarray, np.generic)):
            kinds.add(v.dtype)
        elif hasattr(v, "_v"):  # a tensor inside a list
            kinds.update(("tensor", v._v.dtype))
        else:
            kinds.add("other")
    return kinds


def unsupported_value(v):
    """TF's error for a value of a type no tensor can hold (None, a dict, an object)."""
    return ValueError(f"Attempt to convert a value ({v!r}) with an unsupported type "
                      f"({type(v)!r}) to a Tensor.")


def _first_other(value):
    """The first leaf of a nested list, depth first, that ``_scan`` calls 'other'."""
    for v in value:
        if isinstance(v, (list, tuple)):
            found = _first_other(v)
            if found is not _NONE_FOUND:
                return found
        elif _scan(v) == {"other"}:
            return v
    return _NONE_FOUND


_NONE_FOUND = object()


def _is_np_str(kind):
    return not isinstance(kind, str) and kind.kind in "SUO"


_pybool = type(True)  # noqa: UP003 - the name bool is the DType here


def infer_dtype(value):
    """The dtype ``tf.constant(value)`` gives a Python value or nested list of them."""
    t = type(value)
    if t is float:
        return float32
    if t is _pybool:
        return bool
    if t is int:
        return int32 if _INT32_MIN <= value <= _INT32_MAX else int64
    if t is complex:
        return complex128
    if t is str or t is bytes:
        return string
    if isinstance(value, (np.ndarray, np.generic)):
        return from_numpy(value.dtype)
    kinds = _scan(value)
    if "str" in kinds or any(_is_np_str(k) for k in kinds if not isinstance(k, str)):
        if kinds != {"str"} and not all(_is_np_str(k) for k in kinds if k != "str"):
            raise ValueError("Can't convert Python sequence with mixed types to Tensor.")
        return string
    if "other" in kinds:
        if kinds == {"other"}:  # NOTE: TF names the first leaf it cannot convert
            raise unsupported_value(_first_other(value))
        raise ValueError("Can't convert Python sequence with mixed types to Tensor.")
    if "tensor" in kinds:  # tensors inside a list: their dtypes promote as NumPy's would
        extra = [0.0 if k == "float" else np.complex128 for k in kinds
                 if k in ("float", "complex")]
        return from_numpy(np.result_type(*[k for k in kinds if not isinstance(k, str)],
                                         *extra))
    if not kinds:
        return float32  # an empty list is float32 in TF
    return _sequence_dtype(value, kinds)


_CATEGORY = {"bool": "b", "int": "i", "big": "i", "float": "f", "complex": "c"}


def _category(kind):
    """'b', 'i', 'f' or 'c' for a ``_scan`` kind (NumPy unsigned integers are integers)."""
    if isinstance(kind, str):
        return _CATEGORY[kind]
    return "i" if kind.kind == "u" else kind.kind


def _first_leaf(value):
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(reversed(v))
        else:
            return v
    return None


def _sequence_dtype(value, kinds):
    """TF's dtype for a nested list of numbers, NumPy values among them: the first leaf sets
    the kind (and, for a NumPy float, the precision); integers are int32 unless one is out of
    its range; complex is complex128. A bool first admits only bools, and a complex value
    anywhere but first is refused, as TF does ([np.int64(1)] is int32, [np.float16(1), 2.0]
    float16, [1, np.float64(2)] float32, [np.complex64(1)] complex128)."""
    first = _first_leaf(value)
    lead = _category(first.dtype if isinstance(first, (np.ndarray, np.generic)) else
                     _scan(first).pop())
    cats = {_category(k) for k in kinds}
    if lead == "b" and cats != {"b"} or lead != "c" and "c" in cats:
        raise ValueError("Can't convert Python sequence with mixed types to Tensor.")
    if lead == "c":
        return complex128
    if lead == "f":
        return from_numpy(first.dtype) if isinstance(first, (np.ndarray, np.generic)) \
            else float32
    if "f" in cats:
        return float32
    if lead == "b":
        return bool
    if "big" in kinds or _numpy_big(value):
        return int64
    return int32


def _numpy_big(value):
    """Whether a NumPy integer inside the nested list is outside int32 (``ValueError`` past
    int64, as TF)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, (np.ndarray, np.generic)) and v.dtype.kind in "iu" and v.size \
                and v.dtype.itemsize >= 4 and (v.dtype.kind == "u" or v.dtype.itemsize == 8):
            hi = int(v.max())
            if hi > np.iinfo(np.int64).max:
                raise ValueError("Can't convert Python sequence with out-of-range integer to "
                                 "Tensor.")
            if int(v.min()) < _INT32_MIN or hi > _INT32_MAX:
                return True
    return False
    return float32  # an empty list is float32 in TF
