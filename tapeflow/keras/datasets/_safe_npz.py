"""Reading ``.npz`` archives and pickled CIFAR batches without unpickling anything.

Keras's IMDB and Reuters archives hold ``dtype=object`` arrays of lists of word indices, which
NumPy can only store as a pickle stream, and the CIFAR batches are pickles of a dict. Running a
pickle means letting the file call any function it names, so tapeflow never hands these bytes to
``pickle``. Instead ``read_pickle`` interprets the stream itself, opcode by opcode, as data:

* it builds only ``None``, booleans, ints, floats, ``str``, ``bytes``, lists, tuples and dicts;
* the only globals it accepts are NumPy's array rebuilding ones (``ndarray``, ``dtype``,
  ``multiarray._reconstruct`` and ``numeric._frombuffer``, under both the NumPy 1 and NumPy 2
  module names) and the two that spell ``bytes`` in a protocol-2 pickle
  (``_codecs.encode(text, "latin1")``, ``bytes()``), and it never calls them:
  ``_reconstruct`` + ``BUILD`` becomes an array made here from the state's shape, dtype and
  data (protocol 5's ``_frombuffer`` likewise); a ``dtype`` becomes ``numpy.dtype`` of a
  plain type string (never a structured one);
* any other opcode or global (``os.system``, ``builtins.eval``, persistent ids, extension
  codes, protocol 0/1 text opcodes...) is a ``DatasetFileError`` naming it.

Numeric ``.npy`` members are read from their header and raw bytes (no pickle involved)."""
import struct
import zipfile

from ..._io import check_zip_members, require_regular_file
from ...backend import host as np
from ._idx import DatasetFileError

_ARRAY_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): "reconstruct",
    ("numpy._core.multiarray", "_reconstruct"): "reconstruct",
    ("numpy", "ndarray"): "ndarray",
    ("numpy", "dtype"): "dtype",
    ("numpy.core.numeric", "_frombuffer"): "frombuffer",  # protocol 5's arrays
    ("numpy._core.numeric", "_frombuffer"): "frombuffer",
    # bytes in a protocol-2 pickle written by Python 3: ``_codecs.encode(text, "latin1")``
    # (``bytes()`` when empty); evaluated here as that conversion only
    ("_codecs", "encode"): "encode",
    ("__builtin__", "bytes"): "bytes",
    ("builtins", "bytes"): "bytes",
}


class _Global:
    """One of the accepted NumPy globals, as a name (never the function itself)."""

    __slots__ = ("kind",)

    def __init__(self, kind):
        self.kind = kind


class _Pending:
    """An array or dtype whose ``REDUCE`` was seen and whose ``BUILD`` state is still to come."""

    __slots__ = ("kind", "args", "value")

    def __init__(self, kind, args):
        self.kind, self.args, self.value = kind, args, None


class _Mark:
    __slots__ = ()


_MARK = _Mark()
_unpack_i = struct.Struct("<i").unpack_from
_unpack_H = struct.Struct("<H").unpack_from
_unpack_I = struct.Struct("<I").unpack_from
_unpack_Q = struct.Struct("<Q").unpack_from
_unpack_d = struct.Struct(">d").unpack_from


def _text(v):
    return v.decode("latin1") if isinstance(v, bytes) else v


def _make_dtype(p, state, where):
    spec = _text(p.args[0]) if p.args else None
    if not isinstance(spec, str) or not spec or not spec[0].isalpha() and spec[0] not in "<>|=":
        raise DatasetFileError(f"{where}: unsupported pickled dtype {spec!r}")
    try:
        dt = np.dtype(spec)
    except TypeError:
        raise DatasetFileError(f"{where}: unsupported pickled dtype {spec!r}") from None
    if dt.fields is not None or dt.subdtype is not None:
        raise DatasetFileError(f"{where}: structured pickled dtype {spec!r} is not supported")
    order = _text(state[1]) if isinstance(state, tuple) and len(state) > 1 else "|"
    if order in ("<", ">") and dt.itemsize > 1:
        dt = dt.newbyteorder(order)
    return dt


def _make_array(state, where):
    if not (isinstance(state, tuple) and len(state) == 5):
        raise DatasetFileError(f"{where}: unexpected pickled array state")
    _, shape, dt, fortran, data = state
    if isinstance(dt, _Pending):
        dt = dt.value
    if not isinstance(dt, np.dtype) or not isinstance(shape, tuple) or not all(
            type(d) is int and d >= 0 for d in shape):
        raise DatasetFileError(f"{where}: unexpected pickled array header")
    count = 1
    for d in shape:
        count *= d
    if dt.hasobject:
        if not isinstance(data, list) or len(data) != count:
            raise DatasetFileError(f"{where}: pickled object array of shape {shape} holds "
                                   f"{len(data) if isinstance(data, list) else '?'} items")
        out = np.empty(count, dtype=object)
        for i, v in enumerate(data):
            out[i] = v.value if isinstance(v, _Pending) else v
        order = "F" if fortran else "C"
        return out.reshape(shape, order=order)
    if not isinstance(data, bytes) or len(data) != count * dt.itemsize:
        raise DatasetFileError(f"{where}: pickled array of shape {shape} and dtype {dt} has "
                               f"{len(data) if isinstance(data, bytes) else '?'} data bytes")
    a = np.frombuffer(data, dtype=dt)
    return (a.reshape(shape[::-1]).T if fortran else a.reshape(shape)).copy()


def read_pickle(data, where="<pickle>"):
    """The value of the pickle stream ``data`` (bytes), interpreted as data only (see the
    module docstring for what is accepted); ``DatasetFileError`` for anything else."""
    data = bytes(data)
    n = len(data)
    stack, marks, memo = [], [], {}
    i = 0
    try:
        while True:
            op = data[i]
            i += 1
            if op == 0x4B:      # K BININT1
                stack.append(data[i])
                i += 1
            elif op == 0x4D:    # M BININT2
                stack.append(_unpack_H(data, i)[0])
                i += 2
            elif op == 0x4A:    # J BININT
                stack.append(_unpack_i(data, i)[0])
                i += 4
            elif op == 0x28:    # ( MARK
                marks.append(len(stack))
            elif op == 0x65:    # e APPENDS
                k = marks.pop()
                items = stack[k:]
                del stack[k:]
                target = stack[-1]
                if type(target) is not list:
                    raise DatasetFileError(f"{where}: APPENDS to a non-list")
                target.extend(items)
            elif op == 0x5D:    # ] EMPTY_LIST
                stack.append([])
            elif op == 0x94:    # MEMOIZE
                memo[len(memo)] = stack[-1]
            elif op == 0x71:    # q BINPUT
                memo[data[i]] = stack[-1]
                i += 1
            elif op == 0x72:    # r LONG_BINPUT
                memo[_unpack_I(data, i)[0]] = stack[-1]
                i += 4
            elif op == 0x68:    # h BINGET
                v = memo[data[i]]
                stack.append(v.value if type(v) is _Pending and v.value is not None else v)
                i += 1
            elif op == 0x6A:    # j LONG_BINGET
                v = memo[_unpack_I(data, i)[0]]
                stack.append(v.value if type(v) is _Pending and v.value is not None else v)
                i += 4
            elif op == 0x61:    # a APPEND
                v = stack.pop()
                if type(stack[-1]) is not list:
                    raise DatasetFileError(f"{where}: APPEND to a non-list")
                stack[-1].append(v)
            elif op == 0x6C:    # l LIST
                k = marks.pop()
                items = stack[k:]
                del stack[k:]
                stack.append(items)
            elif op == 0x74:    # t TUPLE
                k = marks.pop()
                items = tuple(stack[k:])
                del stack[k:]
                stack.append(items)
            elif op == 0x29:    # ) EMPTY_TUPLE
                stack.append(())
            elif op == 0x85:    # TUPLE1
                stack[-1:] = [(stack[-1],)]
            elif op == 0x86:    # TUPLE2
                stack[-2:] = [tuple(stack[-2:])]
            elif op == 0x87:    # TUPLE3
                stack[-3:] = [tuple(stack[-3:])]
            elif op == 0x7D:    # } EMPTY_DICT
                stack.append({})
            elif op == 0x75:    # u SETITEMS
                k = marks.pop()
                items = stack[k:]
                del stack[k:]
                target = stack[-1]
                if type(target) is not dict or len(items) % 2:
                    raise DatasetFileError(f"{where}: SETITEMS on a non-dict")
                for j in range(0, len(items), 2):
                    target[_key(items[j], where)] = items[j + 1]
            elif op == 0x73:    # s SETITEM
                v = stack.pop()
                key = stack.pop()
                if type(stack[-1]) is not dict:
                    raise DatasetFileError(f"{where}: SETITEM on a non-dict")
                stack[-1][_key(key, where)] = v
            elif op == 0x8A:    # LONG1
                size = data[i]
                stack.append(int.from_bytes(data[i + 1:i + 1 + size], "little", signed=True))
                i += 1 + size
            elif op == 0x47:    # G BINFLOAT
                stack.append(_unpack_d(data, i)[0])
                i += 8
            elif op == 0x4E:    # N NONE
                stack.append(None)
            elif op == 0x88:    # NEWTRUE
                stack.append(True)
            elif op == 0x89:    # NEWFALSE
                stack.append(False)
            elif op in (0x55, 0x43, 0x8C):  # SHORT_BINSTRING, SHORT_BINBYTES, SHORT_BINUNICODE
                size = data[i]
                raw = data[i + 1:i + 1 + size]
                i += 1 + size
                stack.append(_decode(raw, where) if op == 0x8C else raw)
            elif op in (0x54, 0x42, 0x58):  # BINSTRING, BINBYTES, BINUNICODE
                size = _unpack_I(data, i)[0]
                raw = data[i + 4:i + 4 + size]
                i += 4 + size
                stack.append(_decode(raw, where) if op == 0x58 else raw)
            elif op in (0x8E, 0x96):    # BINBYTES8, BYTEARRAY8
                size = _unpack_Q(data, i)[0]
                raw = data[i + 8:i + 8 + size]
                i += 8 + size
                stack.append(raw)
            elif op == 0x63:    # c GLOBAL (module\nname\n)
                j = data.index(b"\n", i)
                k = data.index(b"\n", j + 1)
                stack.append(_global(_decode(data[i:j], where),
                                     _decode(data[j + 1:k], where), where))
                i = k + 1
            elif op == 0x93:    # STACK_GLOBAL
                name = stack.pop()
                module = stack.pop()
                if not (isinstance(module, str) and isinstance(name, str)):
                    raise DatasetFileError(f"{where}: malformed STACK_GLOBAL")
                stack.append(_global(module, name, where))
            elif op == 0x52:    # R REDUCE
                args = stack.pop()
                fn = stack.pop()
                if not isinstance(fn, _Global) or fn.kind == "ndarray" or \
                        not isinstance(args, tuple):
                    raise DatasetFileError(f"{where}: refusing a pickled call of "
                                           f"{getattr(fn, 'kind', type(fn).__name__)}")
                if fn.kind == "encode":
                    if not (len(args) == 2 and isinstance(args[0], str) and
                            args[1] in ("latin1", "latin-1")):
                        raise DatasetFileError(f"{where}: refusing a pickled call of encode")
                    stack.append(args[0].encode("latin1"))
                elif fn.kind == "frombuffer":
                    stack.append(_from_buffer(args, where))
                elif fn.kind == "bytes":
                    if args:
                        raise DatasetFileError(f"{where}: refusing a pickled call of bytes")
                    stack.append(b"")
                else:
                    stack.append(_Pending(fn.kind, args))
            elif op == 0x62:    # b BUILD
                state = stack.pop()
                p = stack[-1]
                if not isinstance(p, _Pending) or p.value is not None:
                    raise DatasetFileError(f"{where}: BUILD on something not a NumPy array")
                if p.kind == "dtype":
                    p.value = _make_dtype(p, state, where)
                else:
                    p.value = _make_array(state, where)
                stack[-1] = p.value
            elif op == 0x80:    # PROTO
                if data[i] > 5:
                    raise DatasetFileError(f"{where}: unsupported pickle protocol {data[i]}")
                i += 1
            elif op == 0x95:    # FRAME (a size hint only)
                i += 8
            elif op == 0x30:    # 0 POP
                if marks and marks[-1] == len(stack):
                    marks.pop()
                else:
                    stack.pop()
            elif op == 0x2E:    # . STOP
                if len(stack) != 1 or marks:
                    raise DatasetFileError(f"{where}: malformed pickle stream")
                out = stack[0]
                return out.value if isinstance(out, _Pending) else out
            else:
                raise DatasetFileError(
                    f"{where}: refusing pickle opcode {bytes([op])!r} at byte {i - 1}: "
                    "tapeflow reads pickled NumPy arrays, lists and dicts only and never runs "
                    "a pickle")
            if i > n:
                raise IndexError
    except DatasetFileError:
        raise
    except (IndexError, KeyError, struct.error, ValueError):
        raise DatasetFileError(f"{where}: truncated or malformed pickle stream (at byte {i})"
                               ) from None


def _from_buffer(args, where):
    """The array of protocol 5's ``_frombuffer(data, dtype, shape, order)``, made here."""
    if len(args) != 4:
        raise DatasetFileError(f"{where}: unexpected pickled array buffer")
    data, dt, shape, order = args
    dt = dt.value if isinstance(dt, _Pending) else dt
    fortran = order == "F"
    return _make_array((1, shape, dt, fortran, data), where)


def _decode(raw, where):
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DatasetFileError(f"{where}: invalid UTF-8 string in the pickle stream") from None


def _key(k, where):
    if isinstance(k, _Pending) or isinstance(k, (list, dict)):
        raise DatasetFileError(f"{where}: unhashable dict key in the pickle stream")
    return k


def _global(module, name, where):
    kind = _ARRAY_GLOBALS.get((module, name))
    if kind is None:
        raise DatasetFileError(f"{where}: refusing to load {module}.{name}: tapeflow reads "
                               "pickled NumPy arrays only and never runs a pickle (the file may "
                               "be corrupt or malicious)")
    return _Global(kind)


def _npy_header(fp):
    version = np.lib.format.read_magic(fp)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(fp, max_header_size=1 << 20)
    if version in ((2, 0), (3, 0)):
        return np.lib.format.read_array_header_2_0(fp, max_header_size=1 << 20)
    raise ValueError(f"unsupported .npy format version {version}")


def load_npz(path, keys=None):
    """``{name: array}`` of the ``.npz`` at ``path`` (only ``keys`` when given). Numeric members
    are read from their raw bytes; object members (lists of word indices) through
    ``read_pickle``. Any problem is a ``DatasetFileError`` naming the file."""
    try:
        require_regular_file(path, "dataset file")
        with zipfile.ZipFile(path) as z:
            names = check_zip_members(z, path)
            out = {}
            for member in names:
                key = member[:-4] if member.endswith(".npy") else member
                if not member.endswith(".npy") or (keys is not None and key not in keys):
                    continue
                info = z.getinfo(member)
                where = f"{path}: member {member!r}"
                with z.open(member) as fp:
                    shape, fortran, dtype = _npy_header(fp)
                    if dtype.hasobject:
                        value = read_pickle(fp.read(), where)
                        if not isinstance(value, np.ndarray) or value.shape != tuple(shape):
                            raise DatasetFileError(f"{where}: the pickled array does not match "
                                                   f"the header's shape {tuple(shape)}")
                        out[key] = value
                        continue
                    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
                    if nbytes > info.file_size:
                        raise DatasetFileError(f"{where}: declares shape {tuple(shape)} "
                                               f"({nbytes} bytes) but holds {info.file_size}")
                    raw = fp.read(nbytes)
                    if len(raw) != nbytes:
                        raise DatasetFileError(f"{where}: truncated")
                    a = np.frombuffer(raw, dtype=dtype)
                    out[key] = (a.reshape(shape[::-1]).T if fortran else a.reshape(shape)).copy()
    except DatasetFileError:
        raise
    except FileNotFoundError:
        raise DatasetFileError(f"{path}: no such file") from None
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile,
            NotImplementedError) as e:
        raise DatasetFileError(f"{path}: not a readable .npz archive (truncated or corrupt: "
                               f"{type(e).__name__}: {e})") from None
    if keys is not None:
        missing = [k for k in keys if k not in out]
        if missing:
            has = ", ".join(sorted(out)) or "no arrays"
            raise DatasetFileError(f"{path}: not a dataset archive: it lacks "
                                   f"{', '.join(missing)} (has {has})")
    return out


def load_pickle_file(path):
    """The value of the pickle file at ``path`` (a CIFAR batch), read by ``read_pickle``."""
    try:
        require_regular_file(path, "dataset file")
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise DatasetFileError(f"{path}: missing dataset file") from None
    except (OSError, ValueError) as e:
        raise DatasetFileError(f"{path}: unreadable: {e}") from None
    return read_pickle(data, path)
