"""The remaining ``tf.TypeSpec`` subclasses of TF's top level (``NoneTensorSpec``,
``OptionalSpec``, ``TensorArraySpec``, ``IndexedSlicesSpec``) and
``tf.type_spec_from_value``."""
from .. import dtypes
from ..ops.indexing import IndexedSlices
from ..ragged import RaggedTensor, RaggedTensorSpec
from ..sparse import SparseTensor, SparseTensorSpec
from ..tensor import TensorBase, TensorShape, as_shape, convert_to_tensor
from ..tensor_array import TensorArray
from ..types.type_spec import TypeSpec
from ._structure import TensorSpec

__all__ = ["TypeSpec", "NoneTensorSpec", "OptionalSpec", "TensorArraySpec",
           "IndexedSlicesSpec", "type_spec_from_value"]


class NoneTensor:
    """The value a ``NoneTensorSpec`` describes: ``None`` inside a structure of tensors."""


class NoneTensorSpec(TypeSpec):
    """The spec of ``None`` where a tensor could be (e.g. an absent optional input)."""

    __slots__ = ()
    value_type = property(lambda self: NoneTensor, doc="``NoneTensor``.")

    def _serialize(self):
        return ()

    def is_compatible_with(self, spec_or_value):
        """True for ``None`` and for another ``NoneTensorSpec``."""
        return spec_or_value is None or isinstance(spec_or_value, NoneTensorSpec)

    def __repr__(self):
        return "NoneTensorSpec()"


class Optional:
    """A value that may be absent (TF's ``tf.experimental.Optional``): ``from_value(v)`` or
    ``empty(element_spec)``; ``has_value()``, ``get_value()``, ``element_spec``."""

    def __init__(self, value, element_spec, present):
        self._value, self._spec, self._present = value, element_spec, present

    @staticmethod
    def from_value(value):
        """An optional holding ``value``."""
        return Optional(value, type_spec_from_value(value), True)

    @staticmethod
    def empty(element_spec):
        """An optional holding nothing, for values of ``element_spec``."""
        return Optional(None, element_spec, False)

    def has_value(self, name=None):
        """A bool tensor: whether a value is held."""
        return convert_to_tensor(self._present)

    def get_value(self, name=None):
        """The held value (InvalidArgumentError when empty)."""
        if not self._present:
            from ..errors import InvalidArgumentError  # deferred: error path only
            raise InvalidArgumentError(None, "OptionalGetValue", "The optional does not have "
                                       "a value [Op:OptionalGetValue]")
        return self._value

    @property
    def element_spec(self):
        """The spec of the (possible) value."""
        return self._spec


class OptionalSpec(TypeSpec):
    """The spec of a ``tf.experimental.Optional`` holding values of ``element_spec``.

    Args:
      element_spec: the (nested) spec of the value, when present.
    """

    __slots__ = ("_element_spec",)

    def __init__(self, element_spec):
        self._element_spec = element_spec

    value_type = property(lambda self: Optional, doc="``Optional``.")

    def _serialize(self):
        return (self._element_spec,)


class TensorArraySpec(TypeSpec):
    """The spec of a ``tf.TensorArray``.

    Args:
      element_shape: the elements' (maybe partial) shape.
      dtype: the elements' dtype.
      dynamic_size: whether the array can grow (None means False).
      infer_shape: whether the element shape is inferred from the first write.
    """

    __slots__ = ("_element_shape", "_dtype", "_dynamic_size", "_infer_shape")

    def __init__(self, element_shape=None, dtype=dtypes.float32, dynamic_size=False,
                 infer_shape=True):
        self._element_shape = as_shape(element_shape)
        self._dtype = dtypes.as_dtype(dtype)
        self._dynamic_size = bool(dynamic_size)
        self._infer_shape = bool(infer_shape)

    value_type = property(lambda self: TensorArray, doc="``tf.TensorArray``.")

    def _serialize(self):
        return (self._element_shape, self._dtype, self._dynamic_size, self._infer_shape)

    @classmethod
    def from_value(cls, value):
        """The spec of a ``TensorArray``."""
        return cls(value.element_shape, value.dtype, value._dynamic, value._infer)


class IndexedSlicesSpec(TypeSpec):
    """The spec of a ``tf.IndexedSlices``.

    Args:
      shape: the dense shape.
      dtype: the values' dtype.
      indices_dtype: the indices' dtype.
      dense_shape_dtype: the dense shape tensor's dtype (None when absent).
      indices_shape: the indices' shape (default ``[None]``).
    """

    __slots__ = ("_shape", "_dtype", "_indices_dtype", "_dense_shape_dtype", "_indices_shape")

    def __init__(self, shape=None, dtype=dtypes.float32, indices_dtype=dtypes.int64,
                 dense_shape_dtype=None, indices_shape=None):
        self._shape = as_shape(shape)
        self._dtype = dtypes.as_dtype(dtype)
        self._indices_dtype = dtypes.as_dtype(indices_dtype)
        self._dense_shape_dtype = None if dense_shape_dtype is None else \
            dtypes.as_dtype(dense_shape_dtype)
        self._indices_shape = TensorShape([None]) if indices_shape is None else \
            as_shape(indices_shape)

    value_type = property(lambda self: IndexedSlices, doc="``tf.IndexedSlices``.")

    def _serialize(self):
        return (self._shape, self._dtype, self._indices_dtype, self._dense_shape_dtype,
                self._indices_shape)


def type_spec_from_value(value):
    """The ``TypeSpec`` describing ``value``: a ``TensorSpec`` for tensors and values
    convertible to one, the matching spec for sparse and ragged tensors, tensor arrays and
    ``None``.

    Args:
      value: the value.

    Returns:
      A ``TypeSpec``.
    """
    if value is None:
        return NoneTensorSpec()
    if isinstance(value, SparseTensor):
        return SparseTensorSpec.from_value(value)
    if isinstance(value, RaggedTensor):
        return RaggedTensorSpec.from_value(value)
    if isinstance(value, TensorArray):
        return TensorArraySpec.from_value(value)
    if hasattr(type(value), "_tf_nest_parts"):  # an extension type (experimental/)
        return value._type_spec
    if isinstance(value, TensorBase):
        return TensorSpec(value.shape, value.dtype)
    try:
        t = convert_to_tensor(value)
    except (TypeError, ValueError):
        raise TypeError(f"Could not build a TypeSpec for {value!r} of unsupported type "
                        f"{type(value)}.") from None
    return TensorSpec(t.shape, t.dtype)



