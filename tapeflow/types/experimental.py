"""``tf.types.experimental``: the tracing protocol and function types of TF 2.21.

An argument of a ``tf.function`` whose class implements ``SupportsTracingProtocol``
(``__tf_tracing_type__(context)`` returning a hashable ``TraceType``) is keyed by that
trace type: equal trace types share a trace, as in TF.
"""
import abc
import typing

__all__ = ["AtomicFunction", "Callable", "ConcreteFunction", "FunctionType",
           "GenericFunction", "PolymorphicFunction", "SupportsTracingProtocol", "TensorLike",
           "TraceType"]


class TraceType(abc.ABC):
    """What a ``tf.function`` keys one argument by: equal trace types share a trace."""

    @abc.abstractmethod
    def is_subtype_of(self, other):
        """Whether a value of this type may be used where ``other`` is expected."""

    @abc.abstractmethod
    def most_specific_common_supertype(self, others):
        """The most specific type that all of ``self`` and ``others`` are subtypes of."""

    def placeholder_value(self, placeholder_context):
        """The value the traced function receives for an argument of this type."""
        raise NotImplementedError

    @abc.abstractmethod
    def __eq__(self, other):
        ...

    @abc.abstractmethod
    def __hash__(self):
        ...


@typing.runtime_checkable
class SupportsTracingProtocol(typing.Protocol):
    """A class whose instances tell ``tf.function`` their ``TraceType``."""

    @abc.abstractmethod
    def __tf_tracing_type__(self, context):
        ...


class Callable(abc.ABC):
    """A callable of TF's function types."""

    @property
    def function_type(self):
        return None

    @abc.abstractmethod
    def __call__(self, *args, **kwargs):
        ...


class PolymorphicFunction(Callable):
    """A ``tf.function``: traces per input signature (``tapeflow.function.Function``)."""

    @abc.abstractmethod
    def get_concrete_function(self, *args, **kwargs):
        ...

    def experimental_get_compiler_ir(self, *args, **kwargs):
        raise NotImplementedError("tapeflow has no XLA compiler IR")


GenericFunction = PolymorphicFunction  # TF 2.21 keeps the old name as an alias


class ConcreteFunction(Callable):
    """One trace of a ``tf.function`` (``tapeflow.function.ConcreteFunction``)."""


class AtomicFunction(Callable):
    """A single traced graph function."""


class FunctionType:
    """The signature of a traced function (its ``structured_input_signature`` here)."""


# Python and NumPy values a tensor can be made from (tapeflow's Tensor and Variable too)
TensorLike = int | float | bool | str | bytes | complex | tuple | list
