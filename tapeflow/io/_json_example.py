"""``tf.io.decode_json_example``: ``tf.train.Example`` protos in protobuf's JSON mapping to
their binary form, written by hand as TF's converter writes them (map entries in the JSON
order, repeated numbers unpacked), so no ``protobuf`` package is needed."""
import base64
import binascii
import json
import math
import struct

from .. import dtypes
from ..backend import host as np
from ..errors import InvalidArgumentError
from ..tensor import TensorBase, const, convert_to_tensor
from ..tensor_util import _field

__all__ = ["decode_json_example"]

_OP = "DecodeJSONExample"
_WHERE = "invalid JSON in type.googleapis.com/tensorflow.Example"


class _Bad(Exception):
    pass


def _object(v, what):
    if not isinstance(v, dict):
        raise _Bad(f"{what}: expected an object")
    return v


def _pick(obj, *names):
    """The one field of ``obj`` among ``names`` (the JSON name, then the proto name)."""
    for k in obj:
        if k not in names:
            raise _Bad(f"no such field: '{k}'")
    for n in names:
        if n in obj and obj[n] is not None:
            return obj[n]
    return None


def _values(lst, what):
    obj = _object(lst, what)
    vals = _pick(obj, "value")
    if vals is None:
        return []
    if not isinstance(vals, list):
        raise _Bad(f"{what}.value: expected an array")
    return vals


def _int64(v):
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise _Bad(f"invalid int64 value {v!r}")
    try:
        n = int(v) if not isinstance(v, float) or v.is_integer() else None
    except ValueError:
        n = None
    if n is None or not -(1 << 63) <= n < (1 << 63):
        raise _Bad(f"invalid int64 value {v!r}")
    return n


def _float(v):
    if isinstance(v, str):
        special = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
        if v in special:
            return special[v]
        try:
            return float(v)
        except ValueError:
            raise _Bad(f"invalid float value {v!r}") from None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise _Bad(f"invalid float value {v!r}")
    return float(v)


def _bytes(v):
    if not isinstance(v, str):
        raise _Bad(f"invalid bytes value {v!r}")
    s = v.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(s + "=" * (-len(s) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise _Bad(f"invalid base64 value {v!r}") from None


def _feature(obj):
    obj = _object(obj, "Feature")
    kinds = [("bytesList", "bytes_list"), ("floatList", "float_list"),
             ("int64List", "int64_list")]
    for k in obj:
        if not any(k in pair for pair in kinds):
            raise _Bad(f"no such field: '{k}'")
    out = b""
    for number, (camel, snake) in enumerate(kinds, 1):
        lst = obj.get(camel, obj.get(snake))
        if lst is None:
            continue
        vals = _values(lst, camel)
        if number == 1:
            body = b"".join(_field(1, 2, _bytes(v)) for v in vals)
        elif number == 2:
            body = b"".join(b"\x0d" + struct.pack("<f", _float(v)) for v in vals)
        else:
            body = b"".join(_field(1, 0, _int64(v)) for v in vals)
        out += _field(number, 2, body)
    return out


def _example(text):
    try:
        doc = json.loads(text, object_pairs_hook=dict)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise _Bad(f"unexpected input: {e.msg}") from None
    doc = _object(doc, "Example")
    features = _pick(doc, "features")
    if features is None:
        return b""
    feats = _object(features, "Features")
    fmap = _pick(feats, "feature") or {}
    body = b""
    for key, value in _object(fmap, "feature").items():
        entry = _field(1, 2, key.encode("utf-8")) + _field(2, 2, _feature(value))
        body += _field(1, 2, entry)
    return _field(1, 2, body)


def decode_json_example(json_examples, name=None):
    """Each string of ``json_examples`` (a ``tf.train.Example`` in protobuf's JSON mapping)
    as the serialized binary ``Example``, in a string tensor of the same shape."""
    t = json_examples if isinstance(json_examples, TensorBase) else \
        convert_to_tensor(json_examples)
    if t.dtype != dtypes.string:
        raise InvalidArgumentError(None, _OP, f"cannot compute {_OP} as input #0(zero-based) "
                                   f"was expected to be a string tensor but is a "
                                   f"{t.dtype.name} tensor [Op:{_OP}]")
    arr = np.asarray(t.numpy(), object)
    out = np.empty(arr.shape, object)
    for i, text in np.ndenumerate(arr):
        try:
            out[i] = _example(text)
        except _Bad as e:
            raise InvalidArgumentError(None, _OP, f"Error while parsing JSON: {_WHERE}: {e} "
                                       f"[Op:{_OP}]") from None
    return const(out)
