"""``tf.make_tensor_proto`` and ``tf.make_ndarray``: a tensor as TF's ``TensorProto``
message. The message is a small Python class with the proto's field names whose
``SerializeToString()`` writes the protobuf wire format by hand (so the bytes equal TF's and
the ``protobuf`` package is not needed); ``make_ndarray`` also reads real ``TensorProto``s
(any object with the same fields)."""
import struct

from . import dtypes
from .backend import host as np
from .tensor import TensorBase

__all__ = ["make_tensor_proto", "make_ndarray", "TensorProto"]

# TF's DataType enum and each dtype's repeated value field (tensor.proto)
_ENUM = {"float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6,
         "string": 7, "complex64": 8, "int64": 9, "bool": 10, "uint16": 17, "complex128": 18,
         "float16": 19, "uint32": 22, "uint64": 23}
_FROM_ENUM = {v: k for k, v in _ENUM.items()}
_FIELD = {"float32": "float_val", "float64": "double_val", "int32": "int_val",
          "uint8": "int_val", "int16": "int_val", "int8": "int_val", "uint16": "int_val",
          "string": "string_val", "complex64": "scomplex_val", "int64": "int64_val",
          "bool": "bool_val", "complex128": "dcomplex_val", "float16": "half_val",
          "uint32": "uint32_val", "uint64": "uint64_val"}
# field number and packed element format ("v": varint, else a struct code)
_WIRE = {"float_val": (5, "<f"), "double_val": (6, "<d"), "int_val": (7, "v"),
         "string_val": (8, None), "scomplex_val": (9, "<f"), "int64_val": (10, "v"),
         "bool_val": (11, "v"), "dcomplex_val": (12, "<d"), "half_val": (13, "v"),
         "uint32_val": (16, "v"), "uint64_val": (17, "v")}


def _varint(n):
    n &= (1 << 64) - 1  # negatives as 64-bit two's complement, as protobuf does
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(number, wire, payload):
    key = _varint(number << 3 | wire)
    if wire == 0:
        return key + _varint(payload)
    return key + _varint(len(payload)) + payload


class _Dim:
    """One dimension of a ``TensorShapeProto``."""

    def __init__(self, size):
        self.size = int(size)
        self.name = ""


class TensorShapeProto:
    """TF's ``TensorShapeProto``: a list ``dim`` of dimensions with a ``size``."""

    def __init__(self, dims=()):
        self.dim = [_Dim(d) for d in dims]
        self.unknown_rank = False

    def SerializeToString(self):
        """The message's protobuf bytes."""
        return b"".join(_field(2, 2, _field(1, 0, d.size) if d.size else b"")
                        for d in self.dim)

    def __str__(self):
        return "".join(f"dim {{\n  size: {d.size}\n}}\n" for d in self.dim)


class TensorProto:
    """TF's ``TensorProto`` message: ``dtype`` (DataType enum), ``tensor_shape``,
    ``tensor_content`` (raw little-endian bytes) or one repeated ``*_val`` field."""

    def __init__(self):
        self.dtype = 0
        self.tensor_shape = TensorShapeProto()
        self.version_number = 0
        self.tensor_content = b""
        for name in _WIRE:
            setattr(self, name, [])

    def SerializeToString(self):
        """The message's protobuf bytes (fields in number order, repeated numbers packed)."""
        out = _field(1, 0, self.dtype) if self.dtype else b""
        out += _field(2, 2, self.tensor_shape.SerializeToString())
        if self.version_number:
            out += _field(3, 0, self.version_number)
        if self.tensor_content:
            out += _field(4, 2, self.tensor_content)
        for name, (number, fmt) in sorted(_WIRE.items(), key=lambda kv: kv[1][0]):
            values = getattr(self, name)
            if not values:
                continue
            if fmt is None:
                out += b"".join(_field(number, 2, v) for v in values)
            elif fmt == "v":
                out += _field(number, 2, b"".join(_varint(int(v)) for v in values))
            else:
                out += _field(number, 2, b"".join(struct.pack(fmt, v) for v in values))
        return out

    def __eq__(self, other):
        return isinstance(other, TensorProto) and \
            self.SerializeToString() == other.SerializeToString()

    def __str__(self):
        name = "DT_" + {"float32": "FLOAT", "float64": "DOUBLE", "float16": "HALF"}.get(
            _FROM_ENUM.get(self.dtype, ""), _FROM_ENUM.get(self.dtype, "INVALID").upper())
        shape = str(self.tensor_shape).replace("\n", "\n  ").rstrip(" ")
        text = f"dtype: {name}\ntensor_shape {{\n  {shape}}}\n" if self.tensor_shape.dim \
            else f"dtype: {name}\ntensor_shape {{\n}}\n"
        if self.tensor_content:
            text += f"tensor_content: {self.tensor_content!r}\n"
        for field in _WIRE:
            for v in getattr(self, field):
                text += f"{field}: {v!r}\n"
        return text

    __repr__ = __str__


def make_tensor_proto(values, dtype=None, shape=None, verify_shape=False,
                      allow_broadcast=False):
    """A ``TensorProto`` holding ``values``.

    Args:
      values: a tensor, NumPy array, Python scalar or (nested) list.
      dtype: optional dtype to convert to.
      shape: optional shape; fewer values than it holds are padded with the last one.
      verify_shape: require ``values``' shape to equal ``shape``.
      allow_broadcast: allow a scalar or a broadcastable array to fill ``shape``.

    Returns:
      A ``TensorProto``.
    """
    d = dtypes.as_dtype(dtype) if dtype is not None else None
    if isinstance(values, TensorBase):
        arr = values.numpy()
        d = d or values.dtype
    else:
        arr = np.asarray(values)
        if d is None:
            from .tensor import convert_to_tensor  # deferred: TF's inference of list dtypes
            d = convert_to_tensor(values).dtype
    if d.name == "string":
        arr = np.asarray([v if isinstance(v, bytes) else str(v).encode()
                          for v in np.asarray(arr, dtype=object).reshape(-1)],
                         dtype=object).reshape(np.shape(arr))
    else:
        arr = arr.astype(d._np)
    dims = list(arr.shape) if shape is None else [int(s) for s in shape]
    size = int(np.prod(dims)) if dims else 1
    if shape is not None:
        if verify_shape and list(arr.shape) != dims:
            raise TypeError(f"Expected Tensor's shape: {tuple(dims)}, but got "
                            f"{tuple(arr.shape)}.")
        if arr.size > size:
            raise ValueError(f"Too many elements provided. Takes at most {size}, but got "
                             f"{arr.size}.")
    proto = TensorProto()
    proto.dtype = _ENUM[d.name]
    proto.tensor_shape = TensorShapeProto(dims)
    flat = arr.reshape(-1)
    if d.name != "string" and arr.size == size and size > 1:
        proto.tensor_content = np.ascontiguousarray(flat).astype(
            flat.dtype.newbyteorder("<")).tobytes()
        return proto
    field = _FIELD[d.name]
    if d.name == "float16":
        vals = flat.view(np.uint16).tolist()
    elif d.is_complex:
        vals = [x for c in flat.tolist() for x in (c.real, c.imag)]
    else:
        vals = flat.tolist()
    setattr(proto, field, vals)
    return proto


def make_ndarray(tensor):
    """The NumPy array a ``TensorProto`` holds (``make_tensor_proto``'s, or a real one).

    Args:
      tensor: a ``TensorProto``.

    Returns:
      NumPy array of its dtype and shape.
    """
    name = _FROM_ENUM[int(tensor.dtype)]
    dims = [int(d.size) for d in tensor.tensor_shape.dim]
    size = int(np.prod(dims)) if dims else 1
    np_dtype = object if name == "string" else dtypes.as_dtype(name)._np
    if tensor.tensor_content:
        return np.frombuffer(tensor.tensor_content, np.dtype(np_dtype).newbyteorder("<")) \
            .astype(np_dtype).reshape(dims)
    vals = list(getattr(tensor, _FIELD[name]))
    if name == "float16":
        arr = np.asarray(vals, np.uint16).view(np.float16)
    elif name in ("complex64", "complex128"):
        pairs = np.asarray(vals, np.float64).reshape(-1, 2)
        arr = (pairs[:, 0] + 1j * pairs[:, 1]).astype(np_dtype)
    else:
        arr = np.asarray(vals, dtype=np_dtype)
    if arr.size == 0:
        return np.zeros(dims, np_dtype)
    if arr.size < size:
        arr = np.concatenate([arr, np.repeat(arr[-1:], size - arr.size)])
    return arr.reshape(dims)
