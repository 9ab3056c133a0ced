"""``tf.experimental.Optional`` (``tf.data.experimental.Optional``): a value that may be
absent, as ``Iterator.get_next_as_optional`` returns; and ``tf.data.IteratorSpec``."""
from .. import errors
from ..backend import host as np
from ..tensor import TensorBase, wrap
from . import _structure as S


def _spec_of(value):
    """The spec of one component of a value (a tensor, or a composite with its own spec)."""
    type_spec = getattr(value, "_type_spec", None)
    if type_spec is not None and not isinstance(value, TensorBase):
        return type_spec
    return S.TensorSpec.from_tensor(value)


class OptionalSpec:
    """The type of an ``Optional``: the spec of the value it may hold."""

    def __init__(self, element_spec):
        self._element_spec = element_spec

    element_spec = property(lambda self: self._element_spec)
    value_type = property(lambda self: Optional)

    def __eq__(self, other):
        return isinstance(other, OptionalSpec) and self._element_spec == other._element_spec

    def __hash__(self):
        return hash(("OptionalSpec", repr(self._element_spec)))

    def __repr__(self):
        return f"OptionalSpec({self._element_spec!r},)"


class Optional:
    """A structure of tensors that may be missing.

    Build one with ``Optional.from_value(value)`` or ``Optional.empty(element_spec)``;
    ``has_value()`` says which, ``get_value()`` returns the value (or raises
    ``tf.errors.InvalidArgumentError`` when there is none).
    """

    def __init__(self, value, element_spec, present):
        self._value = value
        self._element_spec = element_spec
        self._present = bool(present)

    @staticmethod
    def from_value(value):
        """An ``Optional`` holding ``value``.

        Args:
          value: a nested structure of tensors (or values convertible to them).

        Returns:
          An ``Optional``.
        """
        value = S.map_structure(
            lambda v: v if isinstance(v, TensorBase) or hasattr(v, "_type_spec")
            else wrap(S.to_array(v)), S.normalize(value, "Optional.from_value"))
        return Optional(value, S.map_structure(_spec_of, value), True)

    @staticmethod
    def empty(element_spec):
        """An ``Optional`` with no value.

        Args:
          element_spec: the structure of specs a value would have.

        Returns:
          An ``Optional``.
        """
        return Optional(None, element_spec, False)

    def has_value(self, name=None):
        """A scalar boolean tensor: whether there is a value.

        Args:
          name: unused (TF's op name).

        Returns:
          A ``tf.bool`` scalar tensor.
        """
        return wrap(np.asarray(self._present))

    def get_value(self, name=None):
        """The value.

        Args:
          name: unused (TF's op name).

        Returns:
          The nested structure of tensors.

        Raises:
          tf.errors.InvalidArgumentError: when the optional is empty.
        """
        if not self._present:
            raise errors.InvalidArgumentError(None, "OptionalGetValue",
                                              "The given optional does not have a value.")
        return self._value

    element_spec = property(lambda self: self._element_spec)

    @property
    def _type_spec(self):
        return OptionalSpec(self._element_spec)

    def __repr__(self):
        return f"<Optional has_value={self._present} element_spec={self._element_spec}>"


class IteratorSpec:
    """``tf.data.IteratorSpec``: the type of a dataset iterator, by its element spec."""

    def __init__(self, element_spec):
        self._element_spec = element_spec

    @property
    def value_type(self):
        from .dataset import OwnedIterator  # cycle: dataset imports this module

        return OwnedIterator

    def is_compatible_with(self, spec_or_value):
        """Whether another ``IteratorSpec`` (or an iterator) has the same element spec.

        Args:
          spec_or_value: an ``IteratorSpec`` or an iterator.

        Returns:
          A bool.
        """
        other = getattr(spec_or_value, "_type_spec", spec_or_value)
        return isinstance(other, IteratorSpec) and self._element_spec == other._element_spec

    def __eq__(self, other):
        return isinstance(other, IteratorSpec) and self._element_spec == other._element_spec

    def __hash__(self):
        return hash(("IteratorSpec", repr(self._element_spec)))

    def __repr__(self):
        return f"IteratorSpec({self._element_spec!r},)"
