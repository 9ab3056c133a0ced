"""The ``tf.strings`` ops on string tensors (NumPy object arrays of ``bytes``).

Each op is an ``Op`` (so ``tf.function`` traces record it) whose forward maps the elements
with Python's own ``bytes``/``str`` methods: a string tensor holds Python objects, so the
work per element is one C-level method call. None has a gradient (TF's have none).
"""
import codecs
import re

from .. import dtypes
from ..backend import host as np
from ..backend import to_host
from ..errors import InvalidArgumentError, OutOfRangeError
from ..ops._core import CompositeTensor, Op, apply
from ..tensor import TensorBase, convert_to_tensor, flush_subnormals, summary_text, wrap
from . import _hash

_S = "O"  # the NumPy kind of string tensors


def _invalid(op, msg):
    return InvalidArgumentError(None, op, f"{msg} [Op:{op}]")


def _string(x, op):
    """``x`` as a string tensor: TypeError for Python non-strings, TF's dtype error for a
    tensor of another dtype."""
    if isinstance(x, TensorBase):
        if x._v.dtype.kind != _S:
            raise _invalid(op, f"cannot compute {op} as input #0(zero-based) was expected to be "
                               f"a string tensor but is a {x.dtype.name} tensor (shape "
                               f"{list(x._v.shape)})")
        return x
    return convert_to_tensor(x, dtypes.string)


def _ragged_input(x):
    return isinstance(x, CompositeTensor) and hasattr(x, "flat_values")


def _elementwise(fn):
    """``fn`` also on a RaggedTensor: applied to its flat values, in its row partitions (TF
    dispatches its elementwise string ops so)."""

    def wrapper(input, *args, **kwargs):
        if _ragged_input(input):
            return input.with_flat_values(fn(input.flat_values, *args, **kwargs))
        return fn(input, *args, **kwargs)

    wrapper.__name__ = fn.__name__
    wrapper.__qualname__ = fn.__qualname__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _map(f, a, dtype=object):
    """``f`` applied to every element of the object array ``a``, an array of ``a``'s shape."""
    flat = a.ravel().tolist()
    if dtype is object:
        out = np.empty(len(flat), object)
        out[:] = [f(x) for x in flat]
    else:
        out = np.fromiter(map(f, flat), dtype, len(flat))
    return out.reshape(a.shape)


def _objects(items, shape):
    out = np.empty(len(items), object)
    out[:] = items
    return out.reshape(shape)


def _unit(unit, op):
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise _invalid(op, f"Value for attr 'unit' of \"{unit}\" is not in the list of allowed "
                           'values: "BYTE", "UTF8_CHAR"')
    return unit


# -- length, case, strip --------------------------------------------------------------------
_CONTINUATION = bytes(range(0x80, 0xC0))


def _length_fwd(a, unit):
    if unit == "BYTE":
        return _map(len, a, np.int32)
    return _map(lambda s: len(s.translate(None, _CONTINUATION)), a, np.int32)  # lead bytes


STRING_LENGTH = Op("StringLength", _length_fwd, None, _S)


@_elementwise
def length(input, unit="BYTE", name=None):
    """The length of each string in bytes, or in UTF-8 characters (``unit="UTF8_CHAR"``)."""
    return apply(STRING_LENGTH, (_string(input, "StringLength"),),
                 {"unit": _unit(unit, "StringLength")})


def _case_fwd(method):
    def fwd(a, encoding):
        if encoding:  # Unicode case mapping of UTF-8 text, which TF's ends at a NUL
            return _map(lambda s: getattr(s.split(b"\0", 1)[0].decode(
                "utf-8", "surrogateescape"), method)().encode("utf-8", "surrogateescape"), a)
        return _map(getattr(bytes, method), a)  # ASCII letters only
    return fwd


STRING_LOWER = Op("StringLower", _case_fwd("lower"), None, _S)
STRING_UPPER = Op("StringUpper", _case_fwd("upper"), None, _S)


def _encoding(encoding, op):
    e = (encoding or "").lower().replace("_", "-")
    if e not in ("", "utf-8", "utf8"):
        raise _invalid(op, f"Invalid encoding: {encoding!r} (only '' and 'utf-8')")
    return e


@_elementwise
def lower(input, encoding="", name=None):
    """Lower-cased strings: ASCII letters only, or all of Unicode with ``encoding="utf-8"``."""
    return apply(STRING_LOWER, (_string(input, "StringLower"),),
                 {"encoding": _encoding(encoding, "StringLower")})


@_elementwise
def upper(input, encoding="", name=None):
    """Each string with its ASCII letters upper-cased (``encoding`` '' or 'utf-8' as in TF)."""
    return apply(STRING_UPPER, (_string(input, "StringUpper"),),
                 {"encoding": _encoding(encoding, "StringUpper")})


STRING_STRIP = Op("StringStrip", lambda a: _map(bytes.strip, a), None, _S)


@_elementwise
def strip(input, name=None):
    """Strings without leading and trailing ASCII whitespace."""
    return apply(STRING_STRIP, (_string(input, "StringStrip"),), {})


# -- join, reduce_join ------------------------------------------------------------------------
def _join_fwd(*arrays, separator):
    shape = ()
    for a in arrays:
        if a.ndim:
            shape = a.shape
    if not arrays:
        return np.asarray(b"", object)
    cols = [a.ravel().tolist() if a.ndim else [a[()]] * _size(shape) for a in arrays]
    return _objects([separator.join(parts) for parts in zip(*cols)], shape)


def _size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


STRING_JOIN = Op("StringJoin", _join_fwd, None, _S)


def join(inputs, separator="", name=None):
    """Elementwise concatenation of the strings of ``inputs`` (same shapes, or scalars)."""
    inputs = list(inputs)
    rag = next((x for x in inputs if _ragged_input(x)), None)
    if rag is not None:  # ragged inputs of one partition (or scalars): join the flat values
        flat = []
        for x in inputs:
            if _ragged_input(x):
                if x.shape != rag.shape or not all(
                        np.array_equal(to_host(a._v), to_host(b._v))
                        for a, b in zip(x.nested_row_splits, rag.nested_row_splits)):
                    raise _invalid("StringJoin", "Input shapes do not match: ragged inputs "
                                                 "with different row partitions")
                flat.append(x.flat_values)
            else:
                flat.append(x)
        return rag.with_flat_values(join(flat, separator))
    ts = [_string(x, "StringJoin") for x in inputs]
    shape = None
    for t in ts:
        if t._v.ndim:
            if shape is not None and t._v.shape != shape:
                raise _invalid("StringJoin", f"Input shapes do not match: {_dims(shape)} vs. "
                                             f"{_dims(t._v.shape)}")
            shape = t._v.shape
    return apply(STRING_JOIN, tuple(ts), {"separator": _bytes(separator)})


def _bytes(s):
    return s.encode("utf-8") if isinstance(s, str) else bytes(s)


def _reduce_join_fwd(a, axes, keepdims, separator):
    for ax in axes:  # one axis at a time, in the order given (TF's order of the joined parts)
        moved = np.moveaxis(a, ax, -1)
        rows = moved.reshape(-1, moved.shape[-1]).tolist() if moved.size else (
            [[]] * _size(moved.shape[:-1]))
        joined = _objects([separator.join(r) for r in rows], moved.shape[:-1])
        a = np.expand_dims(joined, ax)
    if not keepdims:
        a = a.reshape(tuple(d for i, d in enumerate(a.shape) if i not in axes))
    return a


REDUCE_JOIN = Op("ReduceJoin", _reduce_join_fwd, None, _S)


def reduce_join(inputs, axis=None, keepdims=False, separator="", name=None):
    """Joins the strings along ``axis`` (all axes by default), with ``separator`` between."""
    if _ragged_input(inputs):
        return _ragged_reduce_join(inputs, axis, keepdims, _bytes(separator))
    t = _string(inputs, "ReduceJoin")
    nd = t._v.ndim
    if axis is None:
        axes = list(range(nd - 1, -1, -1))
    else:
        if isinstance(axis, TensorBase):
            axis = axis.numpy().tolist()
        axes = [int(x) for x in (axis if isinstance(axis, (list, tuple)) else [axis])]
        for x in axes:
            if not -nd <= x < nd:
                raise OutOfRangeError(None, "ReduceJoin", f"Invalid reduction dimension {x} "
                                      f"for input with {nd} dimension(s) [Op:ReduceJoin]")
        axes = [x % nd for x in axes]
    return apply(REDUCE_JOIN, (t,), {"axes": tuple(axes), "keepdims": bool(keepdims),
                                     "separator": _bytes(separator)})


def _ragged_reduce_join(rt, axis, keepdims, separator):
    """reduce_join of a RaggedTensor along its innermost (ragged) axis."""
    nd = rt.shape.rank
    if axis is None or int(axis) % nd != nd - 1 or rt.flat_values.ndim != 1:
        raise ValueError("reduce_join of a RaggedTensor: tapeflow joins along the innermost, "
                         f"ragged axis only (axis={axis!r} of a rank-{nd} RaggedTensor)")
    inner = rt
    while _ragged_input(inner.values):
        inner = inner.values
    vals = to_host(inner.values._v).tolist()
    splits = to_host(inner.row_splits._v).tolist()
    joined = _objects([separator.join(vals[a:b]) for a, b in zip(splits[:-1], splits[1:])],
                      (len(splits) - 1,))
    if keepdims:
        joined = joined.reshape(-1, 1)
    out = wrap(joined)
    return out if inner is rt else _replace_innermost(rt, out)


def _replace_innermost(rt, new):
    """``rt`` with its innermost ragged dimension's rows replaced by the tensor ``new``."""
    if _ragged_input(rt.values):
        return rt.with_values(_replace_innermost(rt.values, new))
    return new


# -- substr -------------------------------------------------------------------------------
def _substr_fwd(a, pos, ln, unit):
    shape = np.broadcast_shapes(a.shape, pos.shape)
    strs = np.broadcast_to(a, shape).ravel().tolist()
    ps = np.broadcast_to(pos, shape).ravel().tolist()
    ls = np.broadcast_to(ln, shape).ravel().tolist()
    out = []
    for i, (s, p, n) in enumerate(zip(strs, ps, ls)):
        if unit == "BYTE":
            text, size = s, len(s)
            if p > size or p < -size:
                raise _invalid("Substr", f"pos {p} out of range for string {s!r} at index {i}")
        else:  # TF's character mode: a negative len is an empty piece (an error at pos < 0)
            text = s.decode("utf-8", "surrogateescape")
            size = len(text)
            if p > size or p < -size or (n < 0 and p < 0):
                raise _invalid("Substr", f"pos {p} out of range for string at index {i}")
            n = max(n, 0)
        if p < 0:
            p += size
        piece = text[p:] if n < 0 else text[p:p + n]
        out.append(piece if unit == "BYTE" else piece.encode("utf-8", "surrogateescape"))
    return _objects(out, shape)


SUBSTR = Op("Substr", _substr_fwd, None, None, same_dtype=False)


def substr(input, pos, len, unit="BYTE", name=None):  # TF's argument names
    """Substrings of ``len`` units from ``pos`` (negative: from the end); broadcasts."""
    t = _string(input, "Substr")
    p = pos if isinstance(pos, TensorBase) else convert_to_tensor(pos, dtypes.int32)
    n = len if isinstance(len, TensorBase) else convert_to_tensor(len, p.dtype)
    if p._v.dtype.kind not in "iu" or n._v.dtype != p._v.dtype:
        raise _invalid("Substr", f"pos and len must be int32 or int64 tensors of one dtype, got "
                                 f"{p.dtype.name} and {n.dtype.name}")
    if p._v.shape != n._v.shape:
        raise _invalid("Substr", "pos and len should have the same shape, got: "
                                 f"{_dims(p._v.shape)} vs. {_dims(n._v.shape)}")
    try:
        np.broadcast_shapes(t._v.shape, p._v.shape)
    except ValueError:
        raise _invalid("Substr", f"Incompatible shapes: {_dims(t._v.shape)} vs. "
                                 f"{_dims(p._v.shape)}") from None
    return apply(SUBSTR, (t, p, n), {"unit": _unit(unit, "Substr")})


def _dims(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


# -- regular expressions (RE2 syntax on Python's re) -------------------------------------------
_CLASS_ESCAPES = {"d": "0-9", "w": "0-9A-Za-z_", "s": "\\t\\n\\f\\r "}
_ESCAPES = {"d": "[0-9]", "D": "[^0-9]", "w": "[0-9A-Za-z_]", "W": "[^0-9A-Za-z_]",
            "s": "[\\t\\n\\f\\r ]", "S": "[^\\t\\n\\f\\r ]", "z": "\\Z", "b": "(?a:\\b)",
            "B": "(?a:\\B)"}
# Unicode letters and (NOTE: decimal) digits, and their complements
_PROPERTIES = {"pL": "[^\\W\\d_]", "pN": "\\d", "PL": "[\\W\\d_]", "PN": "\\D"}
_POSIX = {"alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f", "blank": "\\t ",
          "cntrl": "\\x00-\\x1f\\x7f", "digit": "0-9", "graph": "!-~", "lower": "a-z",
          "print": " -~", "punct": "!-/:-@\\[-`{-~", "space": "\\t\\n\\v\\f\\r ",
          "upper": "A-Z", "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f"}


def _property(pattern, i):
    """The Python regex for the ``\\p``/``\\P`` escape at ``i``, and the index after it."""
    e = pattern[i + 1]
    name, end = pattern[i + 2:i + 3], i + 3
    if name == "{":
        close = pattern.find("}", i)
        name, end = pattern[i + 3:close], close + 1
    cls = _PROPERTIES.get(e + name)
    if cls is None:
        raise re.error(f"invalid character class range: \\{e}{name}")
    return cls, end


def _hex_escape(pattern, i):
    """``\\x{HHHH}`` at ``i`` as one character, and the index after it."""
    close = pattern.find("}", i)
    if close < 0:
        raise re.error("missing } in \\x{...}")
    return chr(int(pattern[i + 3:close], 16)), close + 1


def _char_class(pattern, i):
    """The RE2 bracket expression at ``i`` as a Python regex, and the index after it: a plain
    class, or an alternation when it holds a Unicode property or a complemented escape."""
    n = len(pattern)
    j = i + 1
    neg = j < n and pattern[j] == "^"
    j += neg
    plain, alts = [], []
    first = True
    while j < n:
        c = pattern[j]
        if c == "]" and not first:
            break
        first = False
        if pattern.startswith("[:", j):
            end = pattern.find(":]", j + 2)
            name = pattern[j + 2:end] if end > 0 else ""
            if name not in _POSIX:
                raise re.error(f"invalid character class range: [:{name}:]")
            plain.append(_POSIX[name])
            j = end + 2
        elif c == "\\" and j + 1 < n:
            e = pattern[j + 1]
            if e in "pP":
                cls, j = _property(pattern, j)
                alts.append(cls)
                continue
            if e == "x" and pattern.startswith("{", j + 2):
                ch, j = _hex_escape(pattern, j)
                plain.append(re.escape(ch))
                continue
            if e in _CLASS_ESCAPES:
                plain.append(_CLASS_ESCAPES[e])
            elif e in "DWS":
                alts.append(_ESCAPES[e])
            else:
                plain.append(pattern[j:j + 2])
            j += 2
        else:
            plain.append("\\" + c if c in "[&~|" else c)  # literal in RE2, set ops in re
            j += 1
    if j >= n:
        raise re.error("missing ]: " + pattern[i:])
    body = "".join(plain)
    if not alts:
        return ("[^" if neg else "[") + body + "]", j + 1
    alt = "|".join(([f"[{body}]"] if body else []) + alts)
    return (f"(?:(?!{alt})(?s:.))" if neg else f"(?:{alt})"), j + 1


def _translate(pattern):
    """An RE2 pattern as a Python ``re`` pattern over text: RE2's ASCII-only ``\\d \\w \\s
    \\b`` and POSIX classes, ``\\z`` and ``$`` for the end, ``\\pL``/``\\pN`` letters and
    digits, ``\\x{...}`` and ``\\Q...\\E``; the rest is common syntax."""
    out = []
    i = 0
    n = len(pattern)
    multiline = re.search(r"\(\?[a-zA-Z]*m", pattern) is not None
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            e = pattern[i + 1]
            if e in "pP":
                cls, i = _property(pattern, i)
                out.append(cls)
            elif e == "x" and pattern.startswith("{", i + 2):
                ch, i = _hex_escape(pattern, i)
                out.append(re.escape(ch))
            elif e == "Q":
                end = pattern.find("\\E", i + 2)
                end = n if end < 0 else end
                out.append(re.escape(pattern[i + 2:end]))
                i = end + 2
            else:
                out.append(_ESCAPES.get(e, pattern[i:i + 2]))
                i += 2
        elif c == "[":
            cls, i = _char_class(pattern, i)
            out.append(cls)
        else:
            # RE2's $ is the end of the text only (re's also before a last \n)
            out.append("\\Z" if c == "$" and not multiline else c)
            i += 1
    return "".join(out)


_compiled = {}


def _regex(pattern, op):
    if isinstance(pattern, TensorBase):
        pattern = pattern.numpy()
    p = pattern.decode("utf-8") if isinstance(pattern, bytes) else str(pattern)
    r = _compiled.get(p)
    if r is None:
        try:
            r = re.compile(_translate(p))
        except (re.error, IndexError) as e:
            raise _invalid(op, f"Invalid pattern: {p}, error: {e}") from None
        _compiled[p] = r
    return r


def _text(s):
    return s.decode("utf-8", "surrogateescape")


def _back(s):
    return s.encode("utf-8", "surrogateescape")


def _rewrite(rewrite, op):
    """RE2's rewrite string (``\\0``-``\\9`` groups, ``\\\\`` a backslash) as a list of
    literal strings and group numbers."""
    r = _text(_bytes(rewrite))
    parts = []
    lit = []
    i = 0
    while i < len(r):
        c = r[i]
        if c == "\\":
            if i + 1 < len(r) and r[i + 1].isdigit():
                parts.append("".join(lit))
                lit = []
                parts.append(int(r[i + 1]))
                i += 2
                continue
            if i + 1 < len(r) and r[i + 1] == "\\":
                lit.append("\\")
                i += 2
                continue
            raise _invalid(op, f"Invalid rewrite pattern: {r}")
        lit.append(c)
        i += 1
    parts.append("".join(lit))
    return parts


def _regex_replace_fwd(a, regex, parts, replace_global, template):
    if template is not None:  # no empty match possible: re.sub does what RE2 does
        sub, count = regex.sub, 0 if replace_global else 1
        return _map(lambda s: _back(sub(template, _text(s), count)), a)

    def expand(m):
        return "".join(p if isinstance(p, str) else (m.group(p) or "") for p in parts)

    def one(s):
        text = _text(s)
        out = []
        last = 0
        prev_end = -1
        for m in regex.finditer(text):
            if m.start() == m.end() == prev_end:  # RE2: no empty match right after a match
                continue
            out.append(text[last:m.start()])
            out.append(expand(m))
            last = prev_end = m.end()
            if not replace_global:
                break
        out.append(text[last:])
        return _back("".join(out))

    return _map(one, a)


REGEX_REPLACE = Op("StaticRegexReplace", _regex_replace_fwd, None, _S)


@_elementwise
def regex_replace(input, pattern, rewrite, replace_global=True, name=None):
    """Replaces the matches of the RE2 ``pattern`` by ``rewrite`` (``\\1`` a group)."""
    regex = _regex(pattern, "StaticRegexReplace")
    parts = _rewrite(rewrite.numpy() if isinstance(rewrite, TensorBase) else rewrite,
                     "StaticRegexReplace")
    for p in parts:
        if isinstance(p, int) and p > regex.groups:
            raise _invalid("StaticRegexReplace", f"Invalid rewrite pattern: rewrite refers to "
                                                 f"group {p} of a pattern with {regex.groups}")
    template = None
    if not _matches_empty(regex):
        template = "".join(p.replace("\\", "\\\\") if isinstance(p, str) else f"\\g<{p}>"
                           for p in parts)
    return apply(REGEX_REPLACE, (_string(input, "StaticRegexReplace"),),
                 {"regex": regex, "parts": tuple(parts), "replace_global": bool(replace_global),
                  "template": template})


_empty = {}


def _matches_empty(regex):
    """Whether the compiled ``regex`` may match an empty string somewhere (True when unsure):
    re and RE2 differ only there, on an empty match right after another match."""
    r = _empty.get(regex.pattern)
    if r is None:
        try:
            from re import _parser  # optional: CPython's parser, for the pattern's min width

            r = _parser.parse(regex.pattern).getwidth()[0] == 0
        except Exception:
            r = True
        _empty[regex.pattern] = r
    return r


REGEX_FULL_MATCH = Op("StaticRegexFullMatch",
                      lambda a, regex: _map(lambda s: regex.fullmatch(_text(s)) is not None, a,
                                            np.bool_), None, _S)


@_elementwise
def regex_full_match(input, pattern, name=None):
    """Whether each whole string matches the RE2 ``pattern``."""
    regex = _regex(pattern, "StaticRegexFullMatch")
    return apply(REGEX_FULL_MATCH, (_string(input, "StaticRegexFullMatch"),), {"regex": regex})


# -- numbers <-> strings --------------------------------------------------------------------
_FLOAT = re.compile(rb"[ \t\n\v\f\r]*([+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                    rb"|0x[0-9a-f]*\.?[0-9a-f]*(?:p[+-]?[0-9]+)?|inf|infinity"
                    rb"|nan(?:\([0-9a-z_]*\))?))"
                    rb"[ \t\n\v\f\r]*", re.IGNORECASE)
_INT = re.compile(rb"[ \t\n\v\f\r]*([+-]?[0-9]+)[ \t\n\v\f\r]*")
_TO_NUMBER_TYPES = ("float32", "float64", "int32", "int64", "uint32", "uint64")


def _to_number_fwd(a, dtype):
    d = np.dtype(dtype)
    flat = a.ravel().tolist()
    out = np.empty(len(flat), d)
    if d.kind == "f":
        for i, s in enumerate(flat):
            m = _FLOAT.fullmatch(s)
            if m is None:
                raise _bad_number(s)
            text = m.group(1).decode().split("(")[0]
            try:
                out[i] = float.fromhex(text) if "x" in text.lower() else float(text)
            except ValueError:
                raise _bad_number(s) from None
    else:
        info = np.iinfo(d)
        for i, s in enumerate(flat):
            m = _INT.fullmatch(s)
            v = int(m.group(1)) if m is not None else None
            if v is None or not info.min <= v <= info.max:
                raise _bad_number(s)
            out[i] = v
    return out.reshape(a.shape)


def _bad_number(s):
    return _invalid("StringToNumber", "StringToNumberOp could not correctly convert string: "
                                      + s.decode("utf-8", "backslashreplace"))


STRING_TO_NUMBER = Op("StringToNumber", _to_number_fwd, None, _S)


@_elementwise
def to_number(string_tensor, out_type=dtypes.float32, name=None):
    """The numbers the strings spell (TF's InvalidArgumentError for one that is not)."""
    out = dtypes.as_dtype(out_type)
    if out.name not in _TO_NUMBER_TYPES:
        raise _invalid("StringToNumber", f"Value for attr 'out_type' of {out.name} is not in "
                                         "the list of allowed values: float, double, int32, "
                                         "int64, uint32, uint64")
    with np.errstate(over="ignore"):
        return apply(STRING_TO_NUMBER, (_string(string_tensor, "StringToNumber"),),
                     {"dtype": out._np})



def _as_string_fwd(a, fmt, kind):
    flat = flush_subnormals(a).ravel().tolist()
    if kind == "b":  # TF ignores width and fill for bools
        items = [b"true" if v else b"false" for v in flat]
    elif kind == "O":
        items = [fmt % v if fmt != "%s" else v for v in flat]
        items = [v if isinstance(v, bytes) else v.encode() for v in items]
    else:
        items = [(fmt % v).encode() for v in flat]
        if kind == "f" and fmt.startswith("%0"):  # C pads inf and nan with spaces only
            plain = "%" + fmt[2:]
            items = [(plain % v).encode() if v != v or v in (_INF, -_INF) else x
                     for v, x in zip(flat, items)]
    return _objects(items, a.shape)


_INF = float("inf")


AS_STRING = Op("AsString", _as_string_fwd, None, "biufO")


@_elementwise
def as_string(input, precision=-1, scientific=False, shortest=False, width=-1, fill="",
              name=None):
    """The values as strings, formatted by printf's rules (TF's format flags)."""
    t = input if isinstance(input, TensorBase) else convert_to_tensor(input)
    kind = t._v.dtype.kind
    dname = t.dtype.name
    fmt = "%"
    if fill:
        if fill not in (" ", "+", "-", "0", "#"):
            raise _invalid("AsString", f'Fill argument not supported: "{fill}"')
        fmt += fill
    if width > -1:
        fmt += str(int(width))
    if precision > -1:
        if kind != "f":
            raise _invalid("AsString", f"precision not supported for datatype {dname}")
        fmt += f".{int(precision)}"
    if scientific and shortest:
        raise _invalid("AsString", "Cannot select both scientific and shortest notation")
    if kind == "f":
        fmt += "e" if scientific else "g" if shortest else "f"
    else:
        if scientific or shortest:
            raise _invalid("AsString", "scientific and shortest format not supported for "
                                       f"datatype {dname}")
        fmt += "d" if kind in "iu" else "s"
    if kind == "O" and fmt != "%s":
        fmt = fmt.encode()
    return apply(AS_STRING, (t,), {"fmt": fmt, "kind": "f" if kind == "f" else kind})


# -- tf.strings.format ------------------------------------------------------------------------
def _format_fwd(*arrays, pieces, summarize):
    out = [pieces[0]]
    for a, p in zip(arrays, pieces[1:]):
        out.append(summary_text(to_host(a), summarize))
        out.append(p)
    return np.asarray("".join(out).encode("utf-8", "surrogateescape"), object)


STRING_FORMAT = Op("StringFormat", _format_fwd, None, None, same_dtype=False)


def format(template, inputs, placeholder="{}", summarize=3, name=None):  # TF's name
    """``template`` with each ``placeholder`` replaced by the next tensor's summary."""
    if isinstance(inputs, TensorBase):
        inputs = [inputs]
    elif not isinstance(inputs, (list, tuple)):
        inputs = list(inputs) if hasattr(inputs, "__len__") else len(inputs)
    pieces = template.split(placeholder)
    if len(pieces) - 1 != len(inputs):
        raise ValueError(f"The template expects {len(pieces) - 1} tensors, but the inputs only "
                         f"has {len(inputs)}. Please ensure the number of placeholders in "
                         "template matches inputs length.")
    ts = tuple(x if isinstance(x, TensorBase) else convert_to_tensor(x) for x in inputs)
    return apply(STRING_FORMAT, ts, {"pieces": tuple(pieces), "summarize": int(summarize)})


# -- hashing --------------------------------------------------------------------------------
def _bucket_fwd(a, hash_fn, num_buckets):
    return _map(lambda s: hash_fn(s) % num_buckets, a, np.int64)


def _fast_bucket_fwd(a, num_buckets):
    h = _hash.fingerprint64_many(a.ravel().tolist()) % np.uint64(num_buckets)
    return h.astype(np.int64).reshape(a.shape)


HASH_FAST = Op("StringToHashBucketFast", _fast_bucket_fwd, None, _S)
HASH_STRONG = Op("StringToHashBucketStrong", _bucket_fwd, None, _S)
HASH_LEGACY = Op("StringToHashBucket", _bucket_fwd, None, _S)


def _buckets(num_buckets, op):
    n = int(num_buckets)
    if n < 1:
        raise _invalid(op, f"Value for attr 'num_buckets' of {n} must be at least minimum 1")
    return n


@_elementwise
def to_hash_bucket_fast(input, num_buckets, name=None):
    """FarmHash Fingerprint64 of each string modulo ``num_buckets`` (int64)."""
    return apply(HASH_FAST, (_string(input, "StringToHashBucketFast"),),
                 {"num_buckets": _buckets(num_buckets, "StringToHashBucketFast")})


@_elementwise
def to_hash_bucket_strong(input, num_buckets, key, name=None):
    """Keyed SipHash-2-4 of each string (``key``: two ints) modulo ``num_buckets``."""
    key = [int(k) for k in key]
    if len(key) != 2:
        raise _invalid("StringToHashBucketStrong", "Key must have 2 elements")
    k0, k1 = (k & ((1 << 64) - 1) for k in key)
    return apply(HASH_STRONG, (_string(input, "StringToHashBucketStrong"),),
                 {"hash_fn": lambda s: _hash.siphash24(k0, k1, s),
                  "num_buckets": _buckets(num_buckets, "StringToHashBucketStrong")})


# -- splitting (ragged results) and Unicode -------------------------------------------------
def _ragged(rows, shape, dtype):
    """The rows (one list per input element, row-major) as a RaggedTensor whose outer
    dimensions are ``shape``; a scalar input (``shape == ()``) gives one dense vector."""
    lengths = [len(r) for r in rows]
    flat = [x for r in rows for x in r]
    if dtype is object:
        values = _objects(flat, (len(flat),))
    else:
        values = np.asarray(flat, dtype).reshape(len(flat))
    if not shape:
        return wrap(values)
    from ..ragged import RaggedTensor  # deferred: only ragged results load tapeflow.ragged

    splits = np.zeros(len(rows) + 1, np.int64)
    np.cumsum(lengths, out=splits[1:])
    rt = RaggedTensor.from_row_splits(wrap(values), wrap(splits))
    nrows = len(rows)
    for d in reversed(shape[1:]):  # the outer dimensions are uniform
        nrows //= d
        rt = RaggedTensor.from_row_splits(rt, wrap(np.arange(0, nrows * d + 1, d,
                                                               dtype=np.int64)))
    return rt


def _rows(f, t):
    a = to_host(t._v)
    return [f(s) for s in a.ravel().tolist()], a.shape


@_elementwise
def split(input, sep=None, maxsplit=-1, name=None):
    """Splits each string at ``sep`` (runs of ASCII whitespace by default): a RaggedTensor
    with one more dimension, or a vector for a scalar ``input``."""
    t = _string(input, "StringSplit")
    s = _bytes(sep) if sep is not None else None
    rows, shape = _rows(lambda x: x.split(s or None, int(maxsplit)), t)
    return _ragged(rows, shape, object)


@_elementwise
def bytes_split(input, name=None):
    """Each string as a list of one-byte strings (a RaggedTensor, or a vector)."""
    t = _string(input, "BytesSplit")
    rows, shape = _rows(lambda x: [x[i:i + 1] for i in range(len(x))], t)
    return _ragged(rows, shape, object)


_MARK = "\udfff"  # stands for one invalid input sequence while decoding (never valid text)


def _mark_errors(e):
    _spans.append(e.end - e.start)
    return _MARK, e.end


_spans = []
codecs.register_error("tapeflow.strings.mark", _mark_errors)


def _codec(encoding, op):
    try:
        return codecs.lookup(str(encoding)).name
    except LookupError:
        raise _invalid(op, f"Could not create converter for input encoding: {encoding}") \
            from None


def _errors(errors, op):
    if errors not in ("strict", "replace", "ignore"):
        raise ValueError(f"errors must be one of 'strict', 'replace' or 'ignore', got "
                         f"{errors!r} (in {op})")
    return errors


def _decode(s, codec, errors, replacement, control, op):
    """[(code point, byte length, invalid)] of the bytes ``s``; invalid sequences replaced,
    dropped or an error as ``errors`` says."""
    del _spans[:]
    text = s.decode(codec, "tapeflow.strings.mark")
    spans = iter(list(_spans))
    out = []
    for c in text:
        if c == _MARK:
            n = next(spans)
            if errors == "strict":
                raise _invalid(op, "Invalid formatting on input string")
            out.append((replacement, n, True))  # the caller drops it for errors="ignore"
            continue
        cp = ord(c)
        n = len(c.encode(codec, "surrogatepass"))
        out.append((replacement if control and cp < 0x20 else cp, n, False))
    return out


def _decoded(input, input_encoding, errors, replacement_char, control):
    """(tensor, codec, rows): per string, [(code point, byte offset, its bytes)] of the
    characters kept under ``errors``."""
    t = _string(input, "UnicodeDecode")
    codec = _codec(input_encoding, "UnicodeDecode")
    errors = _errors(errors, "UnicodeDecode")
    repl = int(replacement_char)

    def chars(s):
        out = []
        at = 0
        for cp, n, bad in _decode(s, codec, errors, repl, control, "UnicodeDecode"):
            if not bad:
                out.append((cp, at, s[at:at + n]))
            elif errors == "replace":  # TF gives the replacement character, encoded
                out.append((cp, at, chr(cp).encode(codec)))
            at += n
        return out

    rows, shape = _rows(chars, t)
    return rows, shape


@_elementwise
def unicode_decode(input, input_encoding, errors="replace", replacement_char=65533,
                   replace_control_characters=False, name=None):
    """The code points of each string (int32; a RaggedTensor, or a vector for a scalar)."""
    rows, shape = _decoded(input, input_encoding, errors, replacement_char,
                           replace_control_characters)
    return _ragged([[c[0] for c in r] for r in rows], shape, np.int32)


def unicode_decode_with_offsets(input, input_encoding, errors="replace", replacement_char=65533,
                                replace_control_characters=False, name=None):
    """``unicode_decode`` and the byte offset where each character starts (int64)."""
    if _ragged_input(input):
        cps, offs = unicode_decode_with_offsets(input.flat_values, input_encoding, errors,
                                                replacement_char, replace_control_characters)
        return input.with_flat_values(cps), input.with_flat_values(offs)
    rows, shape = _decoded(input, input_encoding, errors, replacement_char,
                           replace_control_characters)
    return (_ragged([[c[0] for c in r] for r in rows], shape, np.int32),
            _ragged([[c[1] for c in r] for r in rows], shape, np.int64))


@_elementwise
def unicode_split(input, input_encoding, errors="replace", replacement_char=65533, name=None):
    """Each string cut into its characters (their bytes as in the input)."""
    rows, shape = _decoded(input, input_encoding, errors, replacement_char, False)
    return _ragged([[c[2] for c in r] for r in rows], shape, object)


def unicode_split_with_offsets(input, input_encoding, errors="replace", replacement_char=65533,
                               name=None):
    """``unicode_split`` and the byte offset where each character starts (int64)."""
    if _ragged_input(input):
        parts, offs = unicode_split_with_offsets(input.flat_values, input_encoding, errors,
                                                 replacement_char)
        return input.with_flat_values(parts), input.with_flat_values(offs)
    rows, shape = _decoded(input, input_encoding, errors, replacement_char, False)
    return (_ragged([[c[2] for c in r] for r in rows], shape, object),
            _ragged([[c[1] for c in r] for r in rows], shape, np.int64))


def unsorted_segment_join(inputs, segment_ids, num_segments, separator="", name=None):
    """Joins the rows of ``inputs`` that share a segment id, in their order (b"" for a segment
    without rows); ``segment_ids`` is a prefix of ``inputs``' shape."""
    t = _string(inputs, "UnsortedSegmentJoin")
    ids = segment_ids if isinstance(segment_ids, TensorBase) else convert_to_tensor(
        segment_ids, dtypes.int32)
    a = to_host(t._v)
    idx = np.asarray(to_host(to_host(ids._v)))
    n = int(num_segments)
    if a.shape[:idx.ndim] != idx.shape:
        raise _invalid("UnsortedSegmentJoin", f"segment_ids.shape = {_dims(idx.shape)} is not "
                                              f"a prefix of input.shape = {_dims(a.shape)}")
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise _invalid("UnsortedSegmentJoin", "segment_ids are not allowed to exceed "
                                              "num_segments or to have negative values.")
    tail = a.shape[idx.ndim:]
    rows = a.reshape((idx.size, -1) if a.size else (idx.size, _size(tail)))
    sep = _bytes(separator)
    groups = [[] for _ in range(n)]
    for i, seg in enumerate(idx.reshape(-1).tolist()):
        groups[seg].append(rows[i])
    width = _size(tail)
    out = []
    for grp in groups:
        out += [sep.join(r[j] for r in grp) for j in range(width)] if grp else [b""] * width
    return wrap(_objects(out, (n,) + tail))


_OUTPUT_ENCODINGS = {"UTF-8": "utf-8", "UTF-16-BE": "utf-16-be", "UTF-32-BE": "utf-32-be"}


def _encode(cps, codec, errors, replacement):
    chars = []
    for cp in cps:
        if 0 <= cp <= 0x10FFFF and not 0xD800 <= cp <= 0xDFFF:
            chars.append(chr(cp))
        elif errors == "replace":
            chars.append(chr(replacement))
        elif errors == "strict":
            raise _invalid("UnicodeEncode", "Code point is out of range for Unicode, or is a "
                                            "surrogate.")
    return "".join(chars).encode(codec)


def unicode_encode(input, output_encoding, errors="replace", replacement_char=65533,
                   name=None):
    """Strings encoded from the code points of ``input``'s innermost dimension (a tensor of
    rank >= 1 or a RaggedTensor)."""
    codec = _OUTPUT_ENCODINGS.get(output_encoding)
    if codec is None:
        raise _invalid("UnicodeEncode", f"Value for attr 'output_encoding' of "
                                        f"\"{output_encoding}\" is not in the list of allowed "
                                        'values: "UTF-8", "UTF-16-BE", "UTF-32-BE"')
    errors = _errors(errors, "UnicodeEncode")
    if _ragged_input(input):
        if _ragged_input(input.values):  # encode the innermost rows, keep the outer ones
            return input.with_values(unicode_encode(input.values, output_encoding, errors,
                                                    replacement_char))
        cps = to_host(input.values._v).tolist()
        splits = to_host(input.row_splits._v).tolist()
        return wrap(_objects([_encode(cps[a:b], codec, errors, int(replacement_char))
                               for a, b in zip(splits[:-1], splits[1:])], (len(splits) - 1,)))
    t = input if isinstance(input, TensorBase) else convert_to_tensor(input, dtypes.int32)
    a = to_host(t._v)
    if a.ndim == 0:
        raise ValueError("unicode_encode: input must have rank >= 1 (got a scalar)")
    flat = a.reshape(-1, a.shape[-1]).tolist() if a.shape[-1] else [[]] * _size(a.shape[:-1])
    return wrap(_objects([_encode(r, codec, errors, int(replacement_char)) for r in flat],
                          a.shape[:-1]))


@_elementwise
def unicode_transcode(input, input_encoding, output_encoding, errors="replace",
                      replacement_char=65533, replace_control_characters=False, name=None):
    """Each string decoded from ``input_encoding`` and encoded in ``output_encoding``."""
    t = _string(input, "UnicodeTranscode")
    src = _codec(input_encoding, "UnicodeTranscode")
    dst = _OUTPUT_ENCODINGS.get(output_encoding) or _codec(output_encoding, "UnicodeTranscode")
    errors = _errors(errors, "UnicodeTranscode")

    def one(s):
        cps = [cp for cp, _, bad in _decode(s, src, errors, int(replacement_char),
                                         replace_control_characters, "UnicodeTranscode")
               if not (bad and errors == "ignore")]
        return _encode(cps, dst, "replace", int(replacement_char))

    return wrap(_map(one, to_host(t._v)))


# -- ngrams ---------------------------------------------------------------------------------
def ngrams(data, ngram_width, separator=" ", pad_values=None, padding_width=None,
           preserve_short_sequences=False, name=None):
    """The n-grams of the innermost dimension's strings joined by ``separator``, for each
    width of ``ngram_width`` in turn (optionally padded with ``pad_values``)."""
    widths = (int(ngram_width),) if not isinstance(ngram_width, (list, tuple)) else tuple(
        int(w) for w in ngram_width)
    for w in widths:
        if w <= 0:
            raise ValueError(f"All ngram_widths must be greater than 0. Got {ngram_width}")
    sep = _bytes(separator)
    if pad_values is not None:
        left, right = (pad_values, pad_values) if isinstance(pad_values, (str, bytes)) \
            else pad_values
        left, right = _bytes(left), _bytes(right)
    if padding_width is not None and int(padding_width) <= 0:
        raise ValueError(f"padding_width must be greater than 0. Got {padding_width}")

    def grams(row):
        out = []
        for w in widths:
            pw = 0 if pad_values is None else (w - 1 if padding_width is None
                                                else int(padding_width))
            padded = [left] * pw + row + [right] * pw if pw else row
            got = [sep.join(padded[i:i + w]) for i in range(len(padded) - w + 1)]
            if not got and preserve_short_sequences and row:
                got = [sep.join(padded)]
            out += got
        return out

    if _ragged_input(data):
        inner = data
        while _ragged_input(inner.values):
            inner = inner.values
        vals = to_host(inner.values._v).tolist()
        splits = to_host(inner.row_splits._v).tolist()
        rows = [grams(vals[a:b]) for a, b in zip(splits[:-1], splits[1:])]
        return _replace_innermost(data, _ragged(rows, (len(rows),), object))
    t = _string(data, "StringNGrams")
    a = to_host(t._v)
    if a.ndim == 0:
        raise ValueError("Data must have rank>0")
    rows = [grams(r) for r in a.reshape(-1, a.shape[-1]).tolist()] if a.size else []
    k = len(rows[0]) if rows else 0
    return wrap(_objects([g for r in rows for g in r], a.shape[:-1] + (k,)))


@_elementwise
def to_hash_bucket(string_tensor, num_buckets, name=None):
    """TF's older string hash (MurmurHash64A with TF's seed) modulo ``num_buckets``."""
    return apply(HASH_LEGACY, (_string(string_tensor, "StringToHashBucket"),),
                 {"hash_fn": _hash.hash64,
                  "num_buckets": _buckets(num_buckets, "StringToHashBucket")})
