"""Dtype policies (Keras 3's ``DTypePolicy``) and the global policy."""
from ... import dtypes
from .. import backend

_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
# NOTE: Keras 3.15 takes any name of its dtype list as a one-dtype policy (integer, bool,
# string and complex ones too, despite its message), and "int" as int64
_PLAIN = {n: n for n in (
    "float16", "float32", "float64", "bfloat16", "float8_e4m3fn", "float8_e5m2", "int8",
    "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool", "string",
    "complex64", "complex128")}
_PLAIN["int"] = "int64"
_global = [None]  # the global policy's name; None: floatx()


class DTypePolicy:
    """A layer's variable dtype and compute dtype: ``'float32'``, ``'mixed_float16'``..."""

    def __init__(self, name=None):
        if name is None:
            name = backend.floatx()
        if isinstance(name, DTypePolicy):
            name = name.name
        if not isinstance(name, str):
            raise TypeError(f"'name' must be a string, such as 'mixed_float16'. Received: "
                            f"name={name} (of type {type(name)})")
        if name in _MIXED:
            compute, variable = _MIXED[name], "float32"
        elif name in _PLAIN:
            compute = variable = _PLAIN[name]
        else:
            raise ValueError(f"Cannot convert '{name}' to a mixed precision DTypePolicy. "
                             "Valid policies include 'mixed_float16', 'mixed_bfloat16', "
                             "and the name of any float dtype such as 'float32'.")
        if compute == "bfloat16" and dtypes.bfloat16 is None:
            raise ValueError(f"DTypePolicy '{name}' needs bfloat16, which NumPy lacks: install "
                             "ml_dtypes (pip install tapeflow[bfloat16]) or use "
                             "'mixed_float16'.")
        self._name, self._compute, self._variable = name, compute, variable

    name = property(lambda self: self._name)
    compute_dtype = property(lambda self: self._compute)
    variable_dtype = property(lambda self: self._variable)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'

    def __eq__(self, other):
        if isinstance(other, str):
            return other == self._name
        return isinstance(other, DTypePolicy) and other._name == self._name

    def __hash__(self):
        return hash(self._name)

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


Policy = DTypePolicy


def set_global_policy(policy):
    """Make ``policy`` (a name or a ``DTypePolicy``) the default of layers created later."""
    if not isinstance(policy, (str, DTypePolicy)):
        raise ValueError("Invalid `policy` argument. Expected the string name of a policy "
                         "(such as 'mixed_float16') or a `DTypePolicy` instance. Received: "
                         f"policy={policy} (of type {type(policy)})")
    p = DTypePolicy(policy)
    _check_computable(p)
    _global[0] = None if p.name == "float32" and p.variable_dtype == "float32" else p.name


set_dtype_policy = set_global_policy


def global_policy():
    """The global DTypePolicy (``mixed_precision.set_global_policy``; 'float32' by default)."""
    return DTypePolicy(_global[0])


dtype_policy = global_policy


def resolve(name):
    """``(variable dtype, compute dtype or None, policy name or None)`` for a layer's ``dtype``
    argument: a policy name, a ``DTypePolicy``, a dtype, or None (the global policy)."""
    if isinstance(name, DTypePolicy):
        name = name.name
    if name is None:
        name = _global[0]
        if name is None:
            return None, None, None
    if isinstance(name, str) and name in _MIXED:
        p = DTypePolicy(name)
        _check_computable(p)
        return p.variable_dtype, p.compute_dtype, p.name
    return name, None, None


def _check_computable(p):
    # NOTE: ml_dtypes gives NumPy a bfloat16 storage type, but neither NumPy nor CuPy computes
    # in it (its dtype kind is 'V', which the ops refuse), so layers cannot run in bfloat16.
    if p.compute_dtype == "bfloat16":
        raise ValueError(f"DTypePolicy '{p.name}': tapeflow's NumPy/CuPy ops do not compute in "
                         "bfloat16 (the array libraries have no bfloat16 arithmetic); use "
                         "'mixed_float16'.")


def is_mixed_float16():
    return _global[0] == "mixed_float16"
