"""What every ``keras.ops`` function shares: Keras 3's conversion of inputs and its dtype
promotion (Python scalars are "weak": they take the tensor's dtype, except a float with an
integer tensor, which gives ``floatx``), and a way to run a NumPy function on a tensor."""
import numbers

from ... import dtypes
from ...backend import host as np
from ...backend import to_host, xp_of
from ...errors import NotFoundError
from ...errors import _invalid as invalid
from ...ops import math as M
from ...ops._core import Op
from ...tensor import TensorBase, convert_to_tensor, wrap
from .. import backend as _kb

_UINT = ("uint8", "uint16", "uint32", "uint64")
_INT = ("int8", "int16", "int32", "int64")
_FLOAT = ("bfloat16", "float16", "float32", "float64")
_BITS = {"uint8": 8, "uint16": 16, "uint32": 32, "uint64": 64, "int8": 8, "int16": 16,
         "int32": 32, "int64": 64, "bfloat16": 16, "float16": 16, "float32": 32, "float64": 64}


def floatx():
    return _kb.floatx()


def conv(x, dtype=None):
    """Keras's ``convert_to_tensor``: tensors pass through (cast when ``dtype`` differs)."""
    if isinstance(x, TensorBase):
        if dtype is not None and x.dtype.name != dtypes.as_dtype(dtype).name:
            return M.cast(x, dtype)
        return x
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
        if isinstance(x, (np.ndarray, np.generic, list, tuple)):
            return M.cast(convert_to_tensor(x), dtype)
    return convert_to_tensor(x, dtype=dtype)


def dname(x):
    """The dtype name of a tensor-like, or the Python type of a scalar (a weak type)."""
    if isinstance(x, bool):
        return bool
    if isinstance(x, numbers.Integral) and not isinstance(x, (np.generic, np.ndarray)):
        return int
    if isinstance(x, float):
        return float
    if isinstance(x, TensorBase):
        return x.dtype.name
    if isinstance(x, (np.ndarray, np.generic)):
        return np.dtype(x.dtype).name
    return convert_to_tensor(x).dtype.name


def _two(a, b):
    if a == b:
        return a
    if a == "bool":
        return b
    if b == "bool":
        return a
    fa, fb = a in _FLOAT, b in _FLOAT
    if fa and fb:
        if {a, b} == {"bfloat16", "float16"}:
            return "float32"
        return a if _BITS[a] >= _BITS[b] else b
    if fa:
        return a
    if fb:
        return b
    ua, ub = a in _UINT, b in _UINT
    if ua == ub:
        return a if _BITS[a] >= _BITS[b] else b
    u, s = (a, b) if ua else (b, a)
    if _BITS[s] > _BITS[u]:
        return s
    return {8: "int16", 16: "int32", 32: "int64"}.get(_BITS[u], floatx())


def result_type(*kinds):
    """Keras 3's result dtype of mixing ``kinds`` (dtype names or the weak ``int``/``float``/
    ``bool`` of Python scalars)."""
    strong = [k for k in kinds if isinstance(k, str)]
    weak = [k for k in kinds if not isinstance(k, str)]
    if not strong:
        if float in weak:
            return floatx()
        if int in weak:
            return "int32"
        return "bool"
    out = strong[0]
    for k in strong[1:]:
        out = _two(out, k)
    if float in weak and out not in _FLOAT:
        return floatx()
    if int in weak and out == "bool":
        return "int32"
    return out


def promote(*xs):
    """Convert ``xs`` to tensors of their common Keras dtype."""
    d = result_type(*[dname(x) for x in xs])
    return [conv(x, d) for x in xs]


def is_float(d):
    return d in _FLOAT


def is_int(d):
    return d in _INT or d in _UINT


def to_float(x):
    """``x`` as a tensor; integers and booleans become ``floatx`` (Keras's unary float ops)."""
    x = conv(x)
    if not is_float(x.dtype.name):
        return M.cast(x, floatx())
    return x


def host(x):
    """A tensor-like's values as a NumPy array on the host (for index bookkeeping)."""
    return np.asarray(to_host(to_host(conv(x)._v)))


def out(a):
    """A tensor around a backend array ``a`` (not differentiable)."""
    return wrap(a)


def np_fn(fn, *xs, **kw):
    """Run a NumPy function on the backend arrays of ``xs``; the result is not differentiable."""
    arrays = [conv(x)._v for x in xs]
    xp = xp_of(arrays[0]) if arrays else np
    r = fn(xp, *arrays, **kw)
    if isinstance(r, tuple):
        return tuple(wrap(xp.asarray(v)) for v in r)
    return wrap(xp.asarray(r))


def elementwise(name, fwd, grad=None):
    """A new differentiable element-wise op: ``fwd(xp, *arrays)``, ``grad(node, dy)``."""
    return Op(name, lambda *a: fwd(xp_of(a[0]), *a), grad, None)


def need_float(x, op, kind="invalid"):
    """``x`` as a tensor, refusing integer and boolean dtypes the way Keras on TensorFlow
    does: TF's kernel has no integer version (``InvalidArgumentError``, or ``NotFoundError``
    for kernels TF does not register), or Keras's Python mixes a float into an int tensor
    (``TypeError``)."""
    x = conv(x)
    d = x.dtype.name
    if d in _FLOAT:
        return x
    if kind == "type":
        raise TypeError(f"{op}: cannot mix a float constant with a {d} tensor; pass a float "
                        f"tensor")
    if kind == "notfound":
        raise NotFoundError(None, op, f"Could not find device for node: {{{{node {op}}}}} = "
                            f"{op}[T=DT_{d.upper()}] (no {d} kernel)")
    raise invalid(op, f"Value for attr 'T' of {d} is not in the list of allowed values: "
                  f"half, bfloat16, float, double")


def broadcast_shape(op, a, b):
    """The broadcast shape of tensors ``a`` and ``b``, or TF's InvalidArgumentError."""
    try:
        return list(np.broadcast_shapes(tuple(a.shape), tuple(b.shape)))
    except ValueError:
        raise invalid(op, f"Incompatible shapes: {list(a.shape)} vs. {list(b.shape)}") from None
