"""``tf.io.serialize_tensor``/``parse_tensor`` and the ``SparseTensor`` serializers: a tensor as
TF's ``TensorProto`` in protobuf wire format, written and read by hand (no ``protobuf``
package) so the bytes are TF's own."""
import base64
import struct

from .. import dtypes
from ..backend import host as np
from ..errors import InvalidArgumentError
from ..tensor import TensorBase, const, convert_to_tensor
from ..tensor_util import (
    _ENUM,
    _FIELD,
    _FROM_ENUM,
    _WIRE,
    TensorProto,
    TensorShapeProto,
    _field,
    make_ndarray,
)

__all__ = ["serialize_tensor", "parse_tensor", "serialize_sparse", "serialize_many_sparse",
           "deserialize_many_sparse"]

_BF16 = 14  # DT_BFLOAT16, not in tensor_util's table (an optional dtype here)
# TF's DataTypeString words, for messages
_TF_WORD = {"float32": "float", "float64": "double", "float16": "half"}


def _word(name):
    return _TF_WORD.get(name, name)


def _invalid(op, message):
    return InvalidArgumentError(None, op, f"{message} [Op:{op}]")


def _dims(shape):
    return "[" + ",".join(str(int(d)) for d in shape) + "]"


def _proto_bytes(arr, dtype):
    """The ``TensorProto`` bytes TF's ``AsProtoTensorContent`` writes for ``arr``: the shape,
    then raw little-endian ``tensor_content`` (numbers) or one ``string_val`` per element."""
    enum = _BF16 if dtype.name == "bfloat16" else _ENUM.get(dtype.name)
    if enum is None:
        raise _invalid("SerializeTensor", f"serialize_tensor: unsupported dtype {dtype.name}")
    out = _field(1, 0, enum) + _field(2, 2, TensorShapeProto(arr.shape).SerializeToString())
    flat = arr.reshape(-1)
    if dtype == dtypes.string:
        return out + b"".join(_field(8, 2, v if isinstance(v, bytes) else str(v).encode())
                              for v in flat)
    if flat.size:
        data = np.ascontiguousarray(flat)
        if data.dtype.byteorder == ">":
            data = data.astype(data.dtype.newbyteorder("<"))
        out += _field(4, 2, data.tobytes())
    return out


def _bytes_tensor(values, shape=()):
    arr = np.empty(len(values), object)
    arr[:] = values
    return const(arr.reshape(shape))


def serialize_tensor(tensor, name=None):
    """A scalar string tensor: ``tensor`` as TF's ``TensorProto`` bytes (the same bytes TF
    writes; ``parse_tensor`` reads them back)."""
    t = tensor if isinstance(tensor, TensorBase) else convert_to_tensor(tensor)
    arr = np.asarray(t.numpy(), object if t.dtype == dtypes.string else None)
    return _bytes_tensor([_proto_bytes(arr, t.dtype)])


# -- reading -------------------------------------------------------------------------------
def _read_varint(buf, pos):
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(buf):
    """``[(number, wire type, value)]`` of one message."""
    out, pos = [], 0
    while pos < len(buf):
        key, pos = _read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ValueError("field number 0")
        if wire == 0:
            value, pos = _read_varint(buf, pos)
        elif wire in (1, 5):
            n = 8 if wire == 1 else 4
            if pos + n > len(buf):
                raise ValueError("truncated fixed field")
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 2:
            n, pos = _read_varint(buf, pos)
            if pos + n > len(buf):
                raise ValueError("truncated field")
            value, pos = buf[pos:pos + n], pos + n
        else:
            raise ValueError(f"wire type {wire}")
        out.append((number, wire, value))
    return out


def _signed(v, bits=64):
    return v - (1 << bits) if v >> (bits - 1) else v


_BY_NUMBER = {number: (name, fmt) for name, (number, fmt) in _WIRE.items()}


def _decode(buf):
    """A ``TensorProto`` (tensor_util's class) from its bytes; ValueError when malformed."""
    proto = TensorProto()
    for number, wire, value in _fields(buf):
        if number == 1 and wire == 0:
            proto.dtype = value
        elif number == 2 and wire == 2:
            dims = []
            for n2, w2, v2 in _fields(value):
                if n2 == 2 and w2 == 2:
                    size = 0
                    for n3, w3, v3 in _fields(v2):
                        if n3 == 1 and w3 == 0:
                            size = _signed(v3)
                    if size < 0:
                        raise ValueError("unknown dimension")
                    dims.append(size)
                elif n2 == 3 and w2 == 0 and v2:
                    raise ValueError("unknown rank")
            proto.tensor_shape = TensorShapeProto(dims)
        elif number == 4 and wire == 2:
            proto.tensor_content = value
        elif number in _BY_NUMBER:
            field, fmt = _BY_NUMBER[number]
            vals = getattr(proto, field)
            if fmt is None:
                vals.append(value)
            elif wire == 2:
                if fmt == "v":
                    pos = 0
                    while pos < len(value):
                        v, pos = _read_varint(value, pos)
                        vals.append(v)
                else:
                    vals.extend(x for (x,) in struct.iter_unpack(fmt, value))
            elif fmt == "v":
                vals.append(value)
            else:
                vals.append(struct.unpack(fmt, value)[0])
    return proto


def _array(proto):
    """The NumPy array a decoded ``TensorProto`` holds (ValueError when inconsistent)."""
    dims = [d.size for d in proto.tensor_shape.dim]
    size = int(np.prod(dims)) if dims else 1
    if proto.dtype == _BF16:
        bf16 = dtypes.as_dtype("bfloat16")._np
        if proto.tensor_content:
            raw = np.frombuffer(proto.tensor_content, "<u2")
        else:
            raw = np.asarray(proto.half_val, np.uint16)
            if raw.size and raw.size < size:
                raw = np.concatenate([raw, np.repeat(raw[-1:], size - raw.size)])
            raw = raw if raw.size else np.zeros(size, np.uint16)
        if raw.size != size:
            raise ValueError("size mismatch")
        return raw.astype(np.uint16).view(bf16).reshape(dims)
    name = _FROM_ENUM.get(proto.dtype)
    if name is None:
        raise ValueError("unknown dtype")
    if name in ("int32", "int16", "int8", "int64"):
        field = _FIELD[name]
        setattr(proto, field, [_signed(v) for v in getattr(proto, field)])
    if proto.tensor_content:
        width = np.dtype(dtypes.as_dtype(name)._np).itemsize
        if len(proto.tensor_content) != width * size:
            raise ValueError("size mismatch")
    elif name != "string" and len(getattr(proto, _FIELD[name])) > size * \
            (2 if name.startswith("complex") else 1):
        raise ValueError("too many values")
    arr = make_ndarray(proto)
    if name == "string":
        if arr.size != size:
            raise ValueError("size mismatch")
        out = np.empty(arr.shape, object)
        out[...] = arr
        arr = out
    return arr


def _proto_array(blob, op):
    try:
        proto = _decode(bytes(blob))
        if not proto.dtype:
            raise ValueError("no dtype")
        return _array(proto), proto.dtype
    except (ValueError, struct.error, TypeError):
        raise _invalid(op, "Could not parse `serialized` as TensorProto, base64: "
                       + base64.b64encode(bytes(blob)).decode()) from None


def _scalar_blob(serialized, op, what="serialized"):
    t = serialized if isinstance(serialized, TensorBase) else convert_to_tensor(serialized)
    if t.dtype != dtypes.string:
        raise _invalid(op, f"cannot compute {op} as input #0(zero-based) was expected to be a "
                       f"string tensor but is a {_word(t.dtype.name)} tensor")
    if t.shape.rank != 0:
        raise _invalid(op, f"Expected `{what}` to be a scalar, got shape: {_dims(t.shape)}")
    return t.numpy()


def parse_tensor(serialized, out_type, name=None):
    """The tensor whose ``TensorProto`` bytes are the scalar string ``serialized`` (as
    ``serialize_tensor`` or TF writes them); ``out_type`` must be the stored dtype."""
    out_type = dtypes.as_dtype(out_type)
    blob = _scalar_blob(serialized, "ParseTensor")
    arr, enum = _proto_array(blob, "ParseTensor")
    stored = "bfloat16" if enum == _BF16 else _FROM_ENUM[enum]
    if stored != out_type.name:
        raise _invalid("ParseTensor", f"Type mismatch between parsed tensor ({_word(stored)}) "
                       f"and dtype ({_word(out_type.name)})")
    return const(arr) if stored == "string" else convert_to_tensor(arr, out_type)


# -- SparseTensor ----------------------------------------------------------------------------
def _sparse_parts(sp_input, op):
    from ..sparse import SparseTensor  # deferred: same layer, loaded only when serializing

    if not isinstance(sp_input, SparseTensor):
        raise TypeError(f"Input must be a SparseTensor, got {type(sp_input).__name__}")
    values = sp_input.values
    varr = np.asarray(values.numpy(), object if values.dtype == dtypes.string else None)
    return (np.asarray(sp_input.indices.numpy(), np.int64), varr, values.dtype,
            np.asarray(sp_input.dense_shape.numpy(), np.int64))


def _check_out_type(out_type, op):
    out_type = dtypes.as_dtype(out_type)
    if out_type != dtypes.string:
        raise NotImplementedError(f"tapeflow: {op} with out_type={out_type.name} (a variant "
                                  "tensor) is not supported; use tf.string")


def serialize_sparse(sp_input, out_type=dtypes.string, name=None):
    """A 3-vector of strings: the ``serialize_tensor`` bytes of ``sp_input``'s indices,
    values and dense shape."""
    _check_out_type(out_type, "serialize_sparse")
    idx, vals, vdtype, shape = _sparse_parts(sp_input, "SerializeSparse")
    return _bytes_tensor([_proto_bytes(idx, dtypes.int64), _proto_bytes(vals, vdtype),
                          _proto_bytes(shape, dtypes.int64)], [3])


def serialize_many_sparse(sp_input, out_type=dtypes.string, name=None):
    """A ``[N, 3]`` string matrix: row ``i`` is ``serialize_sparse`` of the minibatch entry
    ``sp_input[i]`` (rank ``R - 1``); ``sp_input`` must have rank > 1."""
    _check_out_type(out_type, "serialize_many_sparse")
    idx, vals, vdtype, shape = _sparse_parts(sp_input, "SerializeManySparse")
    if shape.size < 2:
        raise _invalid("SerializeManySparse", f"Rank of input SparseTensor should be > 1, but "
                       f"saw rank: {shape.size}")
    rows = []
    for i in range(int(shape[0])):
        keep = idx[:, 0] == i
        rows += [_proto_bytes(np.ascontiguousarray(idx[keep, 1:]), dtypes.int64),
                 _proto_bytes(vals[keep], vdtype), _proto_bytes(shape[1:], dtypes.int64)]
    return _bytes_tensor(rows, [int(shape[0]), 3])


def deserialize_many_sparse(serialized_sparse, dtype, rank=None, name=None):
    """The ``SparseTensor`` of rank ``R + 1`` that ``serialize_many_sparse`` wrote into the
    ``[N, 3]`` strings (each entry's shape the elementwise largest)."""
    from ..sparse import SparseTensor  # deferred: same layer, loaded only when parsing

    op = "DeserializeManySparse"
    dtype = dtypes.as_dtype(dtype)
    t = serialized_sparse if isinstance(serialized_sparse, TensorBase) else \
        convert_to_tensor(serialized_sparse)
    blobs = np.asarray(t.numpy(), object)
    if blobs.ndim != 2 or blobs.shape[1] != 3:
        raise _invalid(op, "Serialized sparse should be a matrix with 3 columns, got shape "
                       f"{_dims(blobs.shape)}")
    if blobs.shape[0] == 0:
        raise _invalid(op, "Serialized sparse should have non-zero rows")
    all_idx, all_vals, shapes = [], [], []
    for i, (bi, bv, bs) in enumerate(blobs):
        idx, ei = _proto_array(bi, op)
        vals, ev = _proto_array(bv, op)
        shp, es = _proto_array(bs, op)
        got = "bfloat16" if ev == _BF16 else _FROM_ENUM[ev]
        if got != dtype.name:
            raise _invalid(op, f"Requested SparseTensor of type {_word(dtype.name)} but "
                           f"SparseTensor[{i}].values.dtype() == {_word(got)}")
        if idx.ndim != 2 or shp.ndim != 1 or idx.shape[1] != shp.size or \
                idx.shape[0] != vals.size:
            raise _invalid(op, f"Expected SparseTensor[{i}] to have consistent indices, values "
                           "and shape")
        all_idx.append(np.concatenate([np.full((idx.shape[0], 1), i, np.int64),
                                       idx.astype(np.int64)], 1))
        all_vals.append(vals.reshape(-1))
        shapes.append(shp.astype(np.int64))
    if len({s.size for s in shapes}) != 1:
        raise _invalid(op, "Inconsistent shape across SparseTensors: rank prior to "
                       "SparseTensor[1] was: " + f"{shapes[0].size} but rank of "
                       f"SparseTensor[1] is: {shapes[1].size}")
    out_rank = shapes[0].size + 1
    nnz = sum(a.shape[0] for a in all_idx)
    if rank is not None and int(rank) != out_rank:
        raise ValueError(f"Tensor's shape ({nnz}, {out_rank}) is not "
                         f"compatible with supplied shape (None, {int(rank)}).")
    dense = np.concatenate([[len(shapes)], np.max(np.stack(shapes), 0)]).astype(np.int64)
    vals = np.concatenate(all_vals)
    if dtype == dtypes.string:
        values = const(vals.astype(object))
    else:
        values = convert_to_tensor(vals.astype(dtype._np), dtype)
    return SparseTensor(const(np.concatenate(all_idx)), values, const(dense))
