"""``tf.io.decode_csv``: CSV records (a string tensor of any shape) to one tensor per column."""
from .. import dtypes
from ..backend import host as np
from ..errors import InvalidArgumentError
from ..tensor import convert_to_tensor
from ._files import _strings

__all__ = ["decode_csv"]

_OP = "DecodeCSV"
_TYPES = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64, dtypes.string)


def _bad(msg):
    return InvalidArgumentError(None, _OP, f"{msg} [Op:{_OP}]")


def _split(record, delim, quotes, index):
    """The fields of one record, with TF's quoting rules."""
    fields, i, n = [], 0, len(record)
    while True:
        if quotes and i < n and record[i:i + 1] == b'"':
            i += 1
            buf = bytearray()
            while True:
                if i >= n:
                    raise _bad(f"Quoted field has to end with quote followed by delim or end "
                               f"in record {index}")
                if record[i:i + 1] == b'"':
                    if record[i + 1:i + 2] == b'"':
                        buf += b'"'
                        i += 2
                        continue
                    i += 1
                    if i < n and record[i:i + 1] != delim:
                        raise _bad(f"Quote inside a string has to be escaped by another quote "
                                   f"in record {index}")
                    break
                buf += record[i:i + 1]
                i += 1
            fields.append(bytes(buf))
        else:
            j = record.find(delim, i)
            j = n if j < 0 else j
            field = record[i:j]
            if quotes and (b'"' in field or b"\n" in field or b"\r" in field):
                raise _bad(f"Unquoted fields cannot have quotes/CRLFs inside in record {index}")
            fields.append(field)
            i = j
        if i >= n:
            return fields
        i += 1  # past the delimiter
        if i == n:
            fields.append(b"")
            return fields


def _parse(text, dtype, col, index):
    try:
        s = text.decode()
        if dtype.is_integer:
            if not s.strip().lstrip("+-").isdigit():
                raise ValueError
            v = int(s)
            if not dtype.min <= v <= dtype.max:
                raise ValueError
            return v
        if "_" in s:
            raise ValueError
        return float(s)
    except (ValueError, UnicodeDecodeError):
        kind = {"int32": "int32", "int64": "int64", "float32": "float", "float64": "double"}
        raise _bad(f"Field {col} in record {index} is not a valid {kind[dtype.name]}: "
                   f"{text.decode(errors='replace')}") from None


def _default(d, i):
    """``(dtype, default value or None when the field is required)``."""
    if hasattr(d, "dtype") and hasattr(d, "numpy"):
        dtype, v = d.dtype, np.asarray(d.numpy())
    else:
        if isinstance(d, (list, tuple)) and len(d) == 0:
            return dtypes.float32, None
        t = convert_to_tensor(d)
        dtype, v = t.dtype, np.asarray(t.numpy())
    if dtype not in _TYPES:
        raise _bad(f"Value for attr 'OUT_TYPE' of {dtype.name} is not in the list of allowed "
                   f"values: float, double, int32, int64, string")
    if v.size == 0:
        return dtype, None
    if v.size != 1:
        raise ValueError(f"Shape of a default must be a length-0 or length-1 vector, or a "
                         f"scalar; record_defaults[{i}] has shape {list(v.shape)}")
    item = v.reshape(-1)[0]
    if dtype == dtypes.string and isinstance(item, str):
        item = item.encode()
    return dtype, item


def decode_csv(records, record_defaults, field_delim=",", use_quote_delim=True, name=None,
               na_value="", select_cols=None):
    """Parse each record of ``records`` into the columns typed by ``record_defaults``: a list
    with one tensor per (selected) column, each shaped like ``records``."""
    if select_cols is not None:
        cols = [int(c) for c in select_cols]
        if any(b <= a for a, b in zip(cols, cols[1:])):
            raise ValueError("select_cols is not strictly increasing.")
        if cols and cols[0] < 0:
            raise ValueError("select_cols contains negative values.")
        if len(cols) != len(record_defaults):
            raise ValueError("Length of select_cols and record_defaults do not match.")
    else:
        cols = None
    delim = field_delim.encode() if isinstance(field_delim, str) else bytes(field_delim)
    if len(delim) != 1:
        raise _bad("field_delim should be only 1 char")
    na = na_value.encode() if isinstance(na_value, str) else bytes(na_value)
    specs = [_default(d, i) for i, d in enumerate(record_defaults)]
    recs = _strings(records)
    flat = recs.reshape(-1)
    columns = [[] for _ in specs]
    for r, record in enumerate(flat):
        fields = _split(record, delim, bool(use_quote_delim), r)
        if cols is None:
            if len(fields) != len(specs):
                raise _bad(f"Expect {len(specs)} fields but have {len(fields)} in record {r}")
            picked = fields
            names = range(len(specs))
        else:
            if len(fields) <= cols[-1]:
                raise _bad(f"Expect {cols[-1] + 1} fields but have {len(fields)} in record {r}")
            picked = [fields[c] for c in cols]
            names = range(len(specs))
        for k, field, (dtype, default) in zip(names, picked, specs):
            if field == b"" or (na and field == na):
                if default is None:
                    raise _bad(f"Field {k} is required but missing in record {r}!")
                columns[k].append(default)
            elif dtype == dtypes.string:
                columns[k].append(field)
            else:
                columns[k].append(_parse(field, dtype, k, r))
    out = []
    for (dtype, _), vals in zip(specs, columns):
        if dtype == dtypes.string:
            a = np.empty(len(vals), dtype=object)
            a[:] = vals
        else:
            a = np.array(vals, dtype=dtype.as_numpy_dtype).reshape(-1)
        out.append(convert_to_tensor(a.reshape(recs.shape), dtype))
    return out
