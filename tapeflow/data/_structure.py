"""Element structures of datasets: ``TensorSpec`` and flattening nested tuples/dicts of arrays."""
import collections.abc as _abc

from .. import dtypes
from ..backend import host as np
from ..backend import is_array, to_host
from ..ops._core import CompositeTensor
from ..ragged import RaggedTensor, RaggedTensorSpec
from ..tensor import Tensor, TensorBase, TensorShape, as_shape, convert_to_tensor, wrap
from ..types.type_spec import TypeSpec


class TensorSpec(TypeSpec):
    """The type of one tensor in a dataset element: shape (maybe partial), dtype and name."""

    __slots__ = ("_shape", "_dtype", "_name")

    def __init__(self, shape, dtype=dtypes.float32, name=None):
        self._shape = as_shape(shape)
        self._dtype = dtypes.as_dtype(dtype)
        self._name = name

    shape = property(lambda self: self._shape)
    dtype = property(lambda self: self._dtype)
    name = property(lambda self: self._name)
    value_type = property(lambda self: Tensor, doc="``tf.Tensor``.")

    def _serialize(self):
        return (self._shape, self._dtype, self._name)

    def most_specific_common_supertype(self, others):
        """The most specific spec compatible with this one and all ``others``."""
        out = self
        for o in others:
            if not isinstance(o, TensorSpec) or o.dtype != self._dtype:
                return None
            out = TensorSpec(_relax(out.shape, o.shape), self._dtype, self._name)
        return out

    @classmethod
    def from_tensor(cls, tensor, name=None):
        t = tensor if isinstance(tensor, TensorBase) else _as_tensor(tensor)
        return cls(t.shape, t.dtype, name)

    @classmethod
    def from_spec(cls, spec, name=None):
        return cls(spec.shape, spec.dtype, spec.name if name is None else name)

    def is_compatible_with(self, spec_or_value):
        """True when a spec or tensor-like value could be described by this spec."""
        other = spec_or_value
        if not isinstance(other, TensorSpec):
            try:
                other = TensorSpec.from_tensor(other)
            except (TypeError, ValueError):
                return False
        return self._dtype == other._dtype and self._shape.is_compatible_with(other._shape)

    def most_specific_compatible_type(self, other):
        if self._dtype != other.dtype:
            raise ValueError(f"No TypeSpec is compatible with both {self} and {other}")
        return TensorSpec(_relax(self._shape, other.shape), self._dtype)

    def _unbatch(self):
        if self._shape.rank == 0:
            raise ValueError("Cannot unbatch a rank-0 tensor (every component of the element "
                             "must have a leading batch dimension).")
        return TensorSpec(self._shape[1:], self._dtype)

    def _batch(self, n):
        return TensorSpec(TensorShape([n]).concatenate(self._shape), self._dtype)

    def __eq__(self, other):
        return (isinstance(other, TensorSpec) and self._shape == other._shape
                and self._dtype == other._dtype and self._name == other._name)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash((self._shape, self._dtype.name, self._name))

    def __repr__(self):
        name = "None" if self._name is None else repr(self._name)
        return f"TensorSpec(shape={self._shape}, dtype={self._dtype!r}, name={name})"

    def __reduce__(self):
        return TensorSpec, (self._shape.dims, self._dtype.name, self._name)


def _relax(a, b):
    """The most specific shape compatible with shapes ``a`` and ``b``."""
    if a.rank is None or b.rank is None or a.rank != b.rank:
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a.dims, b.dims)])


def _as_tensor(value):
    return convert_to_tensor(value)


# -- nested structures --------------------------------------------------------------------------
# An element is a nested tuple / dict / namedtuple of leaves. Unlike ``tf.nest``, a Python list
# is a leaf here (converted to one tensor), because that is what tf.data does with lists.

def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(x, "_fields")


def is_nested(x):
    return isinstance(x, (tuple, _abc.Mapping))


def _keys(d):
    try:
        return sorted(d)
    except TypeError:
        return list(d)


def flatten(structure):
    """Leaves of ``structure`` depth first (dict values in sorted-key order)."""
    out = []
    _flatten_into(structure, out)
    return out


def _flatten_into(x, out):
    if isinstance(x, tuple):
        for c in x:
            _flatten_into(c, out)
    elif isinstance(x, _abc.Mapping):
        for k in _keys(x):
            _flatten_into(x[k], out)
    else:
        out.append(x)


def flatten_up_to(template, structure):
    """``structure``'s parts at the leaves of ``template`` (a part may itself be a tuple, as
    ``()`` is a scalar's shape under a dtype)."""
    if not is_nested(template):
        return [structure]
    if isinstance(template, tuple):
        if not isinstance(structure, (tuple, list)) or len(structure) != len(template):
            raise ValueError(f"The two structures don't have the same sequence length: "
                             f"{template!r} and {structure!r}.")
        return [p for t, x in zip(template, structure) for p in flatten_up_to(t, x)]
    if not isinstance(structure, _abc.Mapping) or set(structure) != set(template):
        raise ValueError(f"The two structures don't have the same keys: {template!r} and "
                         f"{structure!r}.")
    return [p for k in _keys(template) for p in flatten_up_to(template[k], structure[k])]


def pack(template, leaves):
    """Rebuild ``template``'s structure from the flat ``leaves`` (a list)."""
    if not is_nested(template):
        return leaves[0]
    it = iter(leaves)
    return _pack(template, it)


def _pack(t, it):
    if isinstance(t, tuple):
        kids = [_pack(c, it) for c in t]
        return type(t)(*kids) if _is_namedtuple(t) else tuple(kids)
    if isinstance(t, _abc.Mapping):
        vals = {k: _pack(t[k], it) for k in _keys(t)}
        try:
            return type(t)((k, vals[k]) for k in t)
        except TypeError:
            return {k: vals[k] for k in t}
    return next(it)


def map_structure(fn, structure):
    return pack(structure, [fn(x) for x in flatten(structure)])


def normalize(value, what):
    """A function's output with a top-level list made a tuple (as tf.data does)."""
    # NOTE: TF turns a list returned by a map function into a tuple; nested lists stay tensors
    return tuple(value) if isinstance(value, list) else value


def to_array(x, what="dataset element"):
    """A host array for one leaf: a tensor, NumPy value, Python number or nested list."""
    if isinstance(x, TensorBase):
        return to_host(x._v)
    if isinstance(x, np.ndarray):
        if x.dtype.kind in "US":  # NOTE: as TF: NumPy text becomes tf.string (UTF-8 bytes)
            return _as_bytes(x)
        if x.dtype.kind not in "biuf":
            dtypes.as_dtype(x.dtype)  # raises tapeflow's error for strings/complex/objects
        return x
    if isinstance(x, np.generic):
        return np.asarray(x)
    if x is None:
        raise TypeError(f"Unsupported value None in a {what}: every component must be a tensor "
                        "or convertible to one.")
    if is_array(x):
        return to_host(x)
    if hasattr(type(x), "_tf_nest_parts") and not isinstance(x, RaggedTensor):
        # tf.experimental.ExtensionType
        raise TypeError(f"{what}: {type(x).__name__} components are not supported by "
                        "tapeflow's tf.data yet (extension types)")
    if isinstance(x, CompositeTensor):
        return x  # a RaggedTensor component stays one (data/_ragged.py)
    try:
        return to_host(_as_tensor(x)._v)
    except (TypeError, ValueError) as e:
        raise TypeError(f"Unsupported value {x!r} in a {what}: {e}") from None


def _as_bytes(a):
    """An object array of ``bytes`` from a NumPy ``U`` (UTF-8 encoded) or ``S`` array."""
    out = np.empty(a.shape, object)
    flat = out.reshape(-1)
    for i, v in enumerate(a.reshape(-1).tolist()):
        flat[i] = v.encode("utf-8") if isinstance(v, str) else bytes(v)
    return out


def spec_of(arr):
    if isinstance(arr, RaggedTensor):  # its number of rows unknown, as after a traced function
        return RaggedTensorSpec(TensorShape([None]).concatenate(arr.shape[1:]), arr.dtype,
                                arr.ragged_rank, arr.row_splits_dtype)
    return TensorSpec(arr.shape, dtypes.from_numpy(arr.dtype))


def to_tensors(template, arrays):
    """Pack flat host arrays into ``template``'s structure of tapeflow Tensors."""
    if len(arrays) == 1 and not is_nested(template):
        return wrap(arrays[0])
    return pack(template, [wrap(a) for a in arrays])


def to_numpy(template, arrays):
    """Pack flat host arrays into ``template``'s structure of NumPy values."""
    return pack(template, [a[()] if a.ndim == 0 else a for a in arrays])
