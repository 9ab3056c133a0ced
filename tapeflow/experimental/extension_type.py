"""``tf.experimental.ExtensionType``: user classes whose annotated fields (tensors, shapes,
dtypes, Python values, tuples, mappings, nested extension types) get a generated constructor,
conversion and checking of every field, immutability, ``repr``/``==`` and a ``TypeSpec``
(``MyType.Spec``); ``tf.nest`` (``expand_composites=True``) and ``tf.function`` see through
them to their tensors. ``tf.experimental.extension_type`` itself exposes ``as_dict``.

Loaded on first use of one of these names (``tf.experimental`` resolves them lazily).
"""
import collections.abc as _abc
import sys
import types
import typing

from .. import dtypes
from ..dtypes import DType
from ..nest import _sorted_keys
from ..ops._core import CompositeTensor
from ..tensor import Tensor, TensorBase, TensorShape, as_shape, convert_to_tensor
from ..types.type_spec import TypeSpec

__all__ = ["as_dict"]

_FROZEN = "_tf_extension_type_frozen"  # instance flag: construction finished
_SPEC = "_tf_extension_type_cached_type_spec"


class ImmutableDict(_abc.Mapping):
    """The read-only mapping a ``typing.Mapping`` field stores."""

    __slots__ = ("_d",)

    def __init__(self, *args, **kwargs):
        object.__setattr__(self, "_d", dict(*args, **kwargs))

    def __getitem__(self, key):
        return self._d[key]

    def __iter__(self):
        return iter(self._d)

    def __len__(self):
        return len(self._d)

    def __setattr__(self, name, value):
        raise AttributeError("'ImmutableDict' object does not support attribute assignment")

    def __repr__(self):
        return f"ImmutableDict({self._d!r})"


# -- field types ---------------------------------------------------------------------------------
def _tname(value):
    return type(value).__name__


def _is_union(ann):
    return typing.get_origin(ann) is typing.Union or isinstance(ann, types.UnionType)


def _composite_types():
    from ..ragged import RaggedTensor, RaggedTensorSpec  # deferred: above the core
    from ..sparse import SparseTensor, SparseTensorSpec

    return {RaggedTensor: RaggedTensorSpec, SparseTensor: SparseTensorSpec}


def _check_annotation(ann):
    """Raise TF's TypeError for a field annotation extension types do not support."""
    if ann in (int, float, str, bool, type(None), None, Tensor, TensorShape, DType):
        return
    if isinstance(ann, type) and (issubclass(ann, ExtensionType)
                                  or ann in _composite_types()):
        return
    origin, targs = typing.get_origin(ann), typing.get_args(ann)
    if _is_union(ann) or origin is tuple and targs:
        for a in targs:
            if a is not Ellipsis:
                _check_annotation(a)
        return
    if origin is _abc.Mapping and len(targs) == 2:
        _check_annotation(targs[0])
        _check_annotation(targs[1])
        return
    if isinstance(ann, type):
        raise TypeError(f"Unsupported type annotation {ann.__name__!r}")
    if isinstance(ann, typing._SpecialForm) or ann is typing.Any:
        raise TypeError(f"Unsupported type annotation {getattr(ann, '_name', ann)!r}")
    raise TypeError(f"Unsupported type annotation {ann!r}")


def _convert(value, ann, path, spec):
    """``value`` converted to annotation ``ann`` (``spec``: the ``TypeSpec`` side, where tensor
    fields hold specs), or TF's TypeError naming ``path``."""
    if ann is None or ann is type(None):
        if value is None:
            return None
        raise TypeError(f"{path}: expected None, got {_tname(value)!r}")
    if ann is Tensor:
        if spec:
            if _is_tensor_spec(value):
                return value
            raise TypeError(f"{path}: expected a TensorSpec, got {_tname(value)!r}")
        if isinstance(value, TensorBase):
            return value
        try:
            return convert_to_tensor(value)
        except (TypeError, ValueError):
            raise TypeError(f"{path}: expected a Tensor, got {_tname(value)!r}") from None
    if ann in (int, float, str, bool):
        if isinstance(value, ann):  # NOTE: as TF, a bool passes as an int, an int not as a float
            return value
        raise TypeError(f"{path}: expected {ann.__name__!r}, got {_tname(value)!r}")
    if ann is TensorShape:
        try:
            return as_shape(value)
        except (TypeError, ValueError):
            raise TypeError(f"{path}: expected 'tf.TensorShape', got {_tname(value)!r}") \
                from None
    if ann is DType:
        try:
            return dtypes.as_dtype(value)
        except (TypeError, ValueError):
            raise TypeError(f"{path}: expected 'tf.DType', got {_tname(value)!r}") from None
    if isinstance(ann, type):
        if issubclass(ann, ExtensionType):
            want = ann.Spec if spec else ann
            if isinstance(value, want):
                return value
            raise TypeError(f"{path}: expected {want.__qualname__!r}, got {_tname(value)!r}")
        comp = _composite_types()
        want = comp[ann] if spec else ann
        if isinstance(value, want):
            return value
        raise TypeError(f"{path}: expected {want.__name__!r}, got {_tname(value)!r}")
    if _is_union(ann):
        options = typing.get_args(ann)
        for a in options:  # a value already of one of the types wins over a conversion
            if _matches_exactly(value, a, spec):
                return _convert(value, a, path, spec)
        for a in options:
            try:
                return _convert(value, a, path, spec)
            except TypeError:
                continue
        raise TypeError(f"{path}: expected {ann!r}, got {_tname(value)!r}")
    origin, targs = typing.get_origin(ann), typing.get_args(ann)
    if origin is tuple:
        if not isinstance(value, (tuple, list)):
            raise TypeError(f"{path}: expected tuple, got {_tname(value)!r}")
        if len(targs) == 2 and targs[1] is Ellipsis:
            return tuple(_convert(v, targs[0], f"{path}[{i}]", spec)
                         for i, v in enumerate(value))
        if len(value) != len(targs):
            # NOTE: TF's message has this unbalanced ")"
            raise TypeError(f"{path}: expected tuple with length {len(targs)}, got "
                            f"{_tname(value)!r})")
        return tuple(_convert(v, a, f"{path}[{i}]", spec)
                     for i, (v, a) in enumerate(zip(value, targs)))
    if origin is _abc.Mapping:
        if not isinstance(value, _abc.Mapping):
            raise TypeError(f"{path}: expected mapping, got {_tname(value)!r}")
        out = {_convert(k, targs[0], f"{path}[<key>]", spec):
               _convert(v, targs[1], f"{path}[{k!r}]", spec) for k, v in value.items()}
        return ImmutableDict(out)
    raise TypeError(f"Unsupported type annotation {ann!r}")


def _matches_exactly(value, ann, spec):
    if ann is None or ann is type(None):
        return value is None
    if ann is Tensor:
        return _is_tensor_spec(value) if spec else isinstance(value, TensorBase)
    if isinstance(ann, type):
        if issubclass(ann, ExtensionType):
            return isinstance(value, ann.Spec if spec else ann)
        return isinstance(value, ann)
    return False


def _is_tensor_spec(x):
    return type(x).__name__ == "TensorSpec" and isinstance(x, TypeSpec)


def _spec_of(value):
    """The spec side of one (converted) field value."""
    if isinstance(value, TensorBase):
        from ..data._structure import TensorSpec  # deferred: tf.data sits above this layer

        return TensorSpec(value.shape, value.dtype)
    if isinstance(value, ExtensionType):
        return value._type_spec
    if isinstance(value, CompositeTensor):
        return _composite_spec(value)
    if isinstance(value, tuple):
        return tuple(_spec_of(v) for v in value)
    if isinstance(value, _abc.Mapping):
        return ImmutableDict({k: _spec_of(v) for k, v in value.items()})
    return value


def _composite_spec(value):
    for cls, spec_cls in _composite_types().items():
        if isinstance(value, cls):
            return spec_cls.from_value(value)
    raise TypeError(f"Could not build a TypeSpec for {value!r}")


def _leaves(value):
    """The tensors, specs and composites in one field value, in ``tf.nest`` order."""
    if isinstance(value, (TensorBase, CompositeTensor, TypeSpec)):
        return [value]
    if isinstance(value, tuple):
        return [x for v in value for x in _leaves(v)]
    if isinstance(value, _abc.Mapping):
        return [x for k in _sorted_keys(value) for x in _leaves(value[k])]
    return []


def _replace(value, it):
    if isinstance(value, (TensorBase, CompositeTensor, TypeSpec)):
        return next(it)
    if isinstance(value, tuple):
        return tuple(_replace(v, it) for v in value)
    if isinstance(value, _abc.Mapping):
        new = {k: _replace(value[k], it) for k in _sorted_keys(value)}
        return ImmutableDict({k: new[k] for k in value})
    return value


def _resolve(cls):
    """The class's fields ``[(name, annotation, default)]``, forward references resolved."""
    fields = cls.__dict__.get("_tf_extension_type_cached_fields")
    if fields is not None:
        return fields
    raw = cls._tf_raw_fields
    if any(isinstance(a, str) for _, a, _ in raw):
        ns = dict(vars(sys.modules.get(cls.__module__, types.ModuleType("m"))))
        ns.setdefault(cls.__name__, cls)
        ns.setdefault("tf", sys.modules["tapeflow"])
        fields = []
        for name, ann, default in raw:
            if isinstance(ann, str):
                try:
                    ann = eval(ann, ns)  # the class's own annotation text
                except Exception as e:
                    raise TypeError(f"In field {name!r}: Unsupported type annotation "
                                    f"{ann!r}") from e
                try:
                    _check_annotation(ann)
                except TypeError as e:
                    raise TypeError(f"In field {name!r}: {e}") from e
            fields.append((name, ann, default))
    else:
        fields = raw
    cls._tf_extension_type_cached_fields = fields
    return fields


_NO_DEFAULT = object()


def _build_fields(cls):
    """Collect ``cls``'s annotated fields (its bases' first) and check their annotations and
    defaults, as TF does when the class is defined."""
    fields = {}
    for base in reversed(cls.__mro__):
        if base in _BASES or not issubclass(base, ExtensionType):
            continue
        for name, ann in base.__dict__.get("__annotations__", {}).items():
            if typing.get_origin(ann) is typing.ClassVar or name.startswith("_tf_"):
                continue
            default = base.__dict__.get(name, _NO_DEFAULT)
            if isinstance(default, (property, types.FunctionType, classmethod, staticmethod)):
                default = _NO_DEFAULT
            if not isinstance(ann, str):
                try:
                    _check_annotation(ann)
                except TypeError as e:
                    raise TypeError(f"In field {name!r}: {e}") from e
                if default is not _NO_DEFAULT:
                    try:
                        default = _convert(default, ann, name, False)
                    except TypeError as e:
                        raise TypeError(f"default value for {e}") from None
            fields[name] = (name, ann, default)
    for name, _, default in fields.values():
        if name in cls.__dict__ and default is not _NO_DEFAULT:
            delattr(cls, name)  # the value lives on each instance
    return list(fields.values())


# -- the value classes ---------------------------------------------------------------------------
class ExtensionType(CompositeTensor):
    """Base class of user-defined types made of tensors and Python values.

    Annotate the fields on a subclass; it gets an ``__init__`` taking them positionally or by
    keyword (annotated defaults allowed), converting each value to its annotated type
    (``tf.Tensor``, ``tf.TensorShape``, ``tf.DType``, ``int``, ``float``, ``str``, ``bool``,
    ``None``, ``typing.Tuple``, ``typing.Mapping``, ``typing.Union``/``Optional``, other
    extension types, ``tf.RaggedTensor``, ``tf.SparseTensor``) and then calling
    ``__validate__`` when defined. Values are immutable once built.

    >>> import tapeflow as tf
    >>> class MaskedTensor(tf.experimental.ExtensionType):
    ...     values: tf.Tensor
    ...     mask: tf.Tensor
    >>> mt = MaskedTensor([1, 2], [True, False])
    >>> mt.values.dtype
    tf.int32
    """

    __hash__ = None  # unhashable, as TF (== returns a tensor)
    _tf_raw_fields = []

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._tf_raw_fields = _build_fields(cls)
        cls._tf_extension_type_cached_fields = None
        user_init = cls.__dict__.get("__init__")
        if user_init is None:
            cls.__init__ = _generated_init(cls)
        else:
            cls.__init__ = _wrapped_init(user_init)
        _make_spec_class(cls)

    def __new__(cls, *args, **kwargs):
        if cls in (ExtensionType, BatchableExtensionType):
            raise AssertionError(f"Cannot create an instance of {cls.__name__} because "
                                 f"{cls.__name__} is an abstract base class.")
        return object.__new__(cls)

    def __setattr__(self, name, value):
        if self.__dict__.get(_FROZEN, False):
            raise AttributeError(f"Cannot mutate attribute `{name}` outside the custom "
                                 f"constructor of ExtensionType.")
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        if self.__dict__.get(_FROZEN, True):
            raise AttributeError(f"Cannot mutate attribute `{name}` outside the custom "
                                 f"constructor of ExtensionType.")
        object.__delattr__(self, name)

    def __repr__(self):
        parts = ", ".join(f"{n}={self.__dict__.get(n)!r}" for n, _, _ in _resolve(type(self)))
        return f"{type(self).__name__}({parts})"

    def __eq__(self, other):
        if type(other) is not type(self) or self._type_spec != other._type_spec:
            return False
        from ..nest import flatten
        from ..ops.math import equal, logical_and
        from ..ops.reduction import reduce_all

        result = convert_to_tensor(True)
        for a, b in zip(flatten(self, expand_composites=True),
                        flatten(other, expand_composites=True)):
            if isinstance(a, TensorBase):
                result = logical_and(result, reduce_all(equal(a, b)))
        return result

    def __ne__(self, other):
        eq = self.__eq__(other)
        if isinstance(eq, bool):
            return not eq
        from ..ops.math import logical_not

        return logical_not(eq)

    @property
    def _type_spec(self):
        """The ``TypeSpec`` of this value (an instance of ``type(self).Spec``)."""
        spec = self.__dict__.get(_SPEC)
        if spec is None:
            spec = type(self).Spec._from_fields(
                {n: _spec_of(self.__dict__[n]) for n, _, _ in _resolve(type(self))})
            object.__setattr__(self, _SPEC, spec)
        return spec

    def _tf_static_key(self):
        return self._type_spec._tf_static_key()

    # tf.nest's view (expand_composites=True): the tensors and composites of the fields
    def _tf_nest_parts(self):
        return [x for n, _, _ in _resolve(type(self)) for x in _leaves(self.__dict__[n])]

    def _tf_nest_rebuild(self, parts):
        return _rebuild(type(self), self.__dict__, parts)


_BASES = {ExtensionType}  # the library's own base classes: no fields of their own


def _rebuild(cls, values, parts):
    """An instance of ``cls`` with the leaves of ``values`` replaced by ``parts`` (no
    conversion, no ``__validate__``: the parts come from a value of this type)."""
    it = iter(parts)
    out = object.__new__(cls)
    d = out.__dict__
    for n, _, _ in _resolve(cls):
        d[n] = _replace(values[n], it)
    d[_FROZEN] = True
    return out


def _finish(self, cls):
    """Convert every field to its annotation, run ``__validate__`` and freeze."""
    d = self.__dict__
    for name, ann, default in _resolve(cls):
        if name not in d:
            if default is _NO_DEFAULT:
                raise ValueError(f"Field {name} was not set by the constructor of "
                                 f"{cls.__name__}.")
            d[name] = default
        d[name] = _convert(d[name], ann, name, False)
    d.pop(_SPEC, None)
    validate = getattr(self, "__validate__", None)
    d[_FROZEN] = True
    if validate is not None:
        validate()


def _signature(cls, spec=False):
    params = [_inspect().Parameter("self", _inspect().Parameter.POSITIONAL_OR_KEYWORD)]
    for name, ann, default in cls._tf_raw_fields:
        params.append(_inspect().Parameter(
            name, _inspect().Parameter.POSITIONAL_OR_KEYWORD,
            default=_inspect().Parameter.empty if default is _NO_DEFAULT or spec else default,
            annotation=ann))
    return _inspect().Signature(params, return_annotation=cls)


def _inspect():
    import inspect

    return inspect


def _generated_init(cls):
    sig = _signature(cls)

    def __init__(self, *args, **kwargs):
        bound = sig.bind(self, *args, **kwargs)
        bound.apply_defaults()
        d = self.__dict__
        if _FROZEN in d and d[_FROZEN]:
            d[_FROZEN] = False  # a subclass's generated constructor called through super()
        for name, value in list(bound.arguments.items())[1:]:
            d[name] = value
        _finish(self, type(self))

    __init__.__signature__ = sig
    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    __init__.__doc__ = None
    return __init__


def _wrapped_init(user_init):
    def __init__(self, *args, **kwargs):
        d = self.__dict__
        outer = _FROZEN not in d or d[_FROZEN]
        d[_FROZEN] = False  # the custom constructor may set fields
        user_init(self, *args, **kwargs)
        if outer:
            _finish(self, type(self))

    __init__.__wrapped__ = user_init
    __init__.__doc__ = user_init.__doc__
    __init__.__qualname__ = user_init.__qualname__
    return __init__


# -- the spec classes ----------------------------------------------------------------------------
class ExtensionTypeSpec(TypeSpec):
    """Base class of the ``TypeSpec`` of an ``ExtensionType`` subclass (``MyType.Spec``): the
    same fields, with a ``tf.TensorSpec`` (or nested spec) where the value has a tensor."""

    __slots__ = ("__dict__",)
    _tf_value_type = None

    @property
    def value_type(self):
        """The extension type this spec describes."""
        return self._tf_value_type

    @classmethod
    def _from_fields(cls, values):
        out = object.__new__(cls)
        out.__dict__.update(values)
        out.__dict__[_FROZEN] = True
        return out

    @classmethod
    def from_value(cls, value):
        """The spec of ``value``."""
        return value._type_spec

    def _fields(self):
        return [n for n, _, _ in _resolve(self._tf_value_type)]

    def _serialize(self):
        return tuple((n, self.__dict__[n]) for n in self._fields())

    def __setattr__(self, name, value):
        if self.__dict__.get(_FROZEN, False):
            raise AttributeError(f"Cannot mutate attribute `{name}` outside the custom "
                                 f"constructor of ExtensionTypeSpec.")
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        raise AttributeError(f"Cannot mutate attribute `{name}` outside the custom "
                             f"constructor of ExtensionTypeSpec.")

    def __repr__(self):
        parts = ", ".join(f"{n}={_plain(self.__dict__.get(n))!r}" for n in self._fields())
        return f"{type(self).__qualname__}({parts})"

    def __eq__(self, other):
        return type(other) is type(self) and _hashable(self._serialize()) == \
            _hashable(other._serialize())

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash((type(self).__qualname__, _hashable(self._serialize())))

    def _tf_static_key(self):
        """What a ``tf.function`` keys this structure by apart from tensor shapes and dtypes:
        the class and every non-tensor field."""
        return (type(self), _static(self._serialize()))

    def is_compatible_with(self, spec_or_value):
        """Whether ``spec_or_value`` (a spec or a value) fits this spec: same class and Python
        fields, compatible tensor specs."""
        other = spec_or_value
        if isinstance(other, ExtensionType):
            other = other._type_spec
        if type(other) is not type(self) or self._tf_static_key() != other._tf_static_key():
            return False
        return all(a.is_compatible_with(b) for a, b in zip(_spec_leaves(self),
                                                            _spec_leaves(other)))

    def is_subtype_of(self, other):
        """Whether every value of this spec is a value of ``other``."""
        if type(other) is not type(self) or not other.is_compatible_with(self):
            return False
        for a, b in zip(_spec_leaves(self), _spec_leaves(other)):
            if _is_tensor_spec(a) and b.shape.rank is not None and (a.shape.rank is None or any(
                    y is not None and x != y for x, y in zip(a.shape.dims, b.shape.dims))):
                return False
        return True

    def most_specific_common_supertype(self, others):
        """The spec whose tensor shapes keep the dimensions all of ``self`` and ``others``
        agree on, or None when they differ in more than shapes."""
        out = self
        for o in others:
            if type(o) is not type(self) or o._tf_static_key() != self._tf_static_key():
                return None
            new = []
            for a, b in zip(_spec_leaves(out), _spec_leaves(o)):
                c = a.most_specific_common_supertype([b])
                if c is None:
                    return None
                new.append(c)
            out = out._tf_nest_rebuild_spec(new)
        return out

    def _to_components(self, value):
        """The tensors and composites of ``value``, in ``tf.nest`` order."""
        return tuple(value._tf_nest_parts())

    def _from_components(self, components):
        """The value of this spec made of ``components``."""
        return _rebuild(self._tf_value_type, self.__dict__, components)

    @property
    def _component_specs(self):
        return tuple(_spec_leaves(self))

    # tf.nest's view (expand_composites=True)
    def _tf_nest_parts(self):
        return [x for n in self._fields() for x in _leaves(self.__dict__[n])]

    def _tf_nest_rebuild(self, parts):
        return _rebuild(self._tf_value_type, self.__dict__, parts)

    def _tf_nest_rebuild_spec(self, parts):
        it = iter(parts)
        return type(self)._from_fields({n: _replace(self.__dict__[n], it)
                                        for n in self._fields()})


class BatchableExtensionTypeSpec(ExtensionTypeSpec):
    """The spec of a ``BatchableExtensionType``: ``_batch(n)`` and ``_unbatch()`` add or drop
    the leading dimension of every tensor spec."""

    __slots__ = ()

    def _batch(self, batch_size):
        return self._tf_nest_rebuild_spec([_batch_spec(s, batch_size)
                                           for s in self._tf_nest_parts()])

    def _unbatch(self):
        return self._tf_nest_rebuild_spec([_unbatch_spec(s) for s in self._tf_nest_parts()])


def _batch_spec(s, n):
    if _is_tensor_spec(s):
        return type(s)(TensorShape([n]).concatenate(s.shape), s.dtype)
    return s._batch(n)


def _unbatch_spec(s):
    if _is_tensor_spec(s):
        return type(s)(s.shape[1:], s.dtype)
    return s._unbatch()


def _spec_leaves(spec):
    out = []
    for s in spec._tf_nest_parts():
        out.extend(_spec_leaves(s) if isinstance(s, ExtensionTypeSpec) else [s])
    return out


def _plain(v):
    if isinstance(v, ImmutableDict):
        return dict(v)
    return v


def _hashable(v):
    if isinstance(v, _abc.Mapping):
        return ("__map__",) + tuple((k, _hashable(v[k])) for k in _sorted_keys(v))
    if isinstance(v, (tuple, list)):
        return tuple(_hashable(x) for x in v)
    return v


def _static(v):
    if _is_tensor_spec(v):
        return "<tensor>"
    if isinstance(v, ExtensionTypeSpec):
        return v._tf_static_key()
    if isinstance(v, TypeSpec):
        return (type(v).__name__, "<composite>")
    if isinstance(v, _abc.Mapping):
        return ("__map__",) + tuple((k, _static(v[k])) for k in _sorted_keys(v))
    if isinstance(v, (tuple, list)):
        return tuple(_static(x) for x in v)
    return v


def _make_spec_class(cls):
    """Give ``cls`` its ``Spec``: the user's nested ``Spec`` class (if any) mixed into the
    right spec base, named ``<cls>.Spec``."""
    batchable = globals().get("BatchableExtensionType")
    base = BatchableExtensionTypeSpec if batchable is not None and issubclass(cls, batchable) \
        else ExtensionTypeSpec
    user = cls.__dict__.get("Spec")
    parent = next((b.Spec for b in cls.__mro__[1:] if "Spec" in b.__dict__
                   and isinstance(b.__dict__["Spec"], type)
                   and issubclass(b.__dict__["Spec"], ExtensionTypeSpec)), base)
    if not issubclass(parent, base):
        parent = base
    ns = {"__module__": cls.__module__, "__qualname__": f"{cls.__name__}.Spec",
          "_tf_value_type": cls, "__doc__": None}
    bases = (parent,)
    if user is not None and not (isinstance(user, type) and issubclass(user, ExtensionTypeSpec)):
        for k, v in vars(user).items():
            if k not in ("__dict__", "__weakref__", "__module__", "__qualname__"):
                ns[k] = v
    spec_cls = type("Spec", bases, ns)
    user_init = ns.get("__init__")
    if user_init is not None:
        spec_cls.__init__ = _wrapped_spec_init(user_init)
    else:
        spec_cls.__init__ = _generated_spec_init(cls)
    cls.Spec = spec_cls


def _generated_spec_init(cls):
    def __init__(self, *args, **kwargs):
        sig = _signature(cls, spec=True)
        bound = sig.bind(self, *args, **kwargs)
        d = self.__dict__
        for name, ann, _ in _resolve(cls):
            d[name] = _convert(bound.arguments[name], ann, name, True)
        d[_FROZEN] = True

    return __init__


def _wrapped_spec_init(user_init):
    def __init__(self, *args, **kwargs):
        self.__dict__[_FROZEN] = False
        user_init(self, *args, **kwargs)
        d = self.__dict__
        for name, ann, _ in _resolve(self._tf_value_type):
            d[name] = _convert(d[name], ann, name, True)
        d[_FROZEN] = True

    __init__.__wrapped__ = user_init
    return __init__


class BatchableExtensionType(ExtensionType):
    """An ``ExtensionType`` whose values can be batched and unbatched (``tf.data``'s
    ``batch``/``unbatch``, ``from_tensor_slices``): every tensor field gains or loses a
    leading dimension. Subclass it like ``ExtensionType``."""


_BASES.add(BatchableExtensionType)


class ExtensionTypeBatchEncoder:
    """How a ``BatchableExtensionType`` is batched: ``batch``/``unbatch`` map a spec to the
    spec of a batch of its values (or of one item of a batch); ``encode``/``decode`` turn a
    value into its list of tensors and back; ``encoding_specs`` gives those tensors' specs.
    The default batches every tensor field along a new leading dimension."""

    def batch(self, spec, batch_size):
        """The spec of a batch of ``batch_size`` values of ``spec`` (None: unknown)."""
        return spec._batch(batch_size)

    def unbatch(self, spec):
        """The spec of one item of a batch described by ``spec``."""
        return spec._unbatch()

    def encode(self, spec, value, minimum_rank=0):
        """The components of ``value`` (a value of ``spec``)."""
        return list(spec._to_components(value))

    def decode(self, spec, encoded_value):
        """The value of ``spec`` made of ``encoded_value`` (from ``encode``)."""
        return spec._from_components(list(encoded_value))

    def encoding_specs(self, spec):
        """The specs of the components ``encode`` returns."""
        return list(spec._component_specs)


def as_dict(value):
    """The fields of extension-type ``value`` as a ``dict`` (one level: nested extension types
    stay values).

    Args:
      value: an ``ExtensionType`` value.

    Returns:
      A ``dict`` from field name to value.
    """
    return {n: value.__dict__[n] for n, _, _ in _resolve(type(value))}
