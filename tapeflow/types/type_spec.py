"""``tf.TypeSpec``: the abstract base of the specs describing a value's type (TensorSpec,
SparseTensorSpec, RaggedTensorSpec, TensorArraySpec...)."""
import abc


class TypeSpec(abc.ABC):
    """Base class of type specifications. A subclass names its ``value_type`` and gives
    ``_serialize()``, the tuple of its constructor arguments: equality, hashing, ``repr``
    and compatibility are defined from it."""

    __slots__ = ()

    @property
    @abc.abstractmethod
    def value_type(self):
        """The Python type of the values this spec describes."""

    @abc.abstractmethod
    def _serialize(self):
        """The constructor arguments, as a tuple."""

    def is_compatible_with(self, spec_or_value):
        """Whether ``spec_or_value`` (a spec of the same kind) could be described by this
        spec: equal arguments, with unknown shape dimensions matching any."""
        other = spec_or_value
        if type(other) is not type(self):
            return False
        return all(_compatible(a, b) for a, b in zip(self._serialize(), other._serialize()))

    def most_specific_common_supertype(self, others):
        """This spec when all ``others`` equal it, else None."""
        return self if all(self == o for o in others) else None

    def __eq__(self, other):
        return type(other) is type(self) and self._serialize() == other._serialize()

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash((type(self).__name__, repr(self._serialize())))

    def __repr__(self):
        return f"{type(self).__name__}{self._serialize()!r}"


def _compatible(a, b):
    if hasattr(a, "is_compatible_with") and not isinstance(a, type):
        return a.is_compatible_with(b)
    return a == b
