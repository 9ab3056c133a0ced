"""tf.experimental.ExtensionType and friends: values recorded from TF 2.21."""
# ruff: noqa: UP006, UP007, UP035, UP045 - the typing spellings of TF's guide are under test
import inspect
from typing import Mapping, Optional, Tuple, Union

import numpy as np
import pytest

import tapeflow as tf

ET = tf.experimental.ExtensionType


class MaskedTensor(ET):
    values: tf.Tensor
    mask: tf.Tensor


class Fields(ET):
    """doc P"""
    name: str
    n: int
    x: float
    flag: bool
    shape: tf.TensorShape
    dtype: tf.DType
    tup: Tuple[int, ...]
    pair: Tuple[int, str]
    m: Mapping[str, int]
    u: Union[int, str]
    o: Optional[tf.Tensor] = None
    d: int = 5


def make(**kw):
    a = dict(name="a", n=1, x=2.0, flag=True, shape=[2, None], dtype=tf.float32, tup=(1, 2),
             pair=(1, "b"), m={"k": 1}, u=3)
    a.update(kw)
    return Fields(**a)


def test_constructor_repr_and_spec():
    mt = MaskedTensor([1, 2, 3], [True, False, True])
    assert repr(mt) == (
        "MaskedTensor(values=<tf.Tensor: shape=(3,), dtype=int32, numpy=array([1, 2, 3], "
        "dtype=int32)>, mask=<tf.Tensor: shape=(3,), dtype=bool, numpy=array([ True, False,  "
        "True])>)")
    spec_text = ("MaskedTensor.Spec(values=TensorSpec(shape=(3,), dtype=tf.int32, name=None), "
                 "mask=TensorSpec(shape=(3,), dtype=tf.bool, name=None))")
    assert repr(mt._type_spec) == spec_text
    assert repr(tf.type_spec_from_value(mt)) == spec_text
    assert type(mt._type_spec) is MaskedTensor.Spec
    assert MaskedTensor.Spec.__qualname__ == "MaskedTensor.Spec"
    assert issubclass(MaskedTensor.Spec, tf.experimental.ExtensionTypeSpec)
    assert mt._type_spec.value_type is MaskedTensor
    assert str(inspect.signature(MaskedTensor)).startswith("(values: ")
    kw = MaskedTensor(values=[1.0, 2.0], mask=[True, False])
    assert kw.values.dtype == tf.float32 and kw.mask.dtype == tf.bool


@pytest.mark.parametrize("call, message", [
    (lambda: MaskedTensor([1]), "missing a required argument: 'mask'"),
    (lambda: MaskedTensor(object(), [True]), "values: expected a Tensor, got 'object'"),
    (lambda: MaskedTensor(1, 2, 3), "too many positional arguments"),
    (lambda: MaskedTensor(1, mask=2, z=3), "got an unexpected keyword argument 'z'"),
    (lambda: MaskedTensor(1, values=2), "multiple values for argument 'values'"),
])
def test_constructor_errors(call, message):
    with pytest.raises(TypeError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_field_conversion():
    v = make()
    assert repr(v) == ("Fields(name='a', n=1, x=2.0, flag=True, shape=TensorShape([2, None]), "
                       "dtype=tf.float32, tup=(1, 2), pair=(1, 'b'), m=ImmutableDict({'k': 1}), "
                       "u=3, o=None, d=5)")
    assert tf.experimental.extension_type.as_dict(v)["m"] == {"k": 1}
    assert make(tup=[1]).tup == (1,)
    assert make(n=True).n is True
    assert make(shape=3).shape == tf.TensorShape([3])
    w = make(o=[1, 2])
    assert w.o.dtype == tf.int32 and w.o.shape == (2,)
    assert repr(make(dtype="float32", tup=[1, 2], pair=[1, "b"], u="s")._type_spec) == (
        "Fields.Spec(name='a', n=1, x=2.0, flag=True, shape=TensorShape([2, None]), "
        "dtype=tf.float32, tup=(1, 2), pair=(1, 'b'), m={'k': 1}, u='s', o=None, d=5)")
    with pytest.raises(TypeError):
        make().m["k"] = 2  # the mapping is immutable


@pytest.mark.parametrize("field, value, message", [
    ("name", 1, "name: expected 'str', got 'int'"),
    ("n", 1.5, "n: expected 'int', got 'float'"),
    ("x", "x", "x: expected 'float', got 'str'"),
    ("x", 1, "x: expected 'float', got 'int'"),
    ("flag", 1, "flag: expected 'bool', got 'int'"),
    ("shape", "x", "shape: expected 'tf.TensorShape', got 'str'"),
    ("dtype", "floot", "dtype: expected 'tf.DType', got 'str'"),
    ("tup", (1, "x"), "tup[1]: expected 'int', got 'str'"),
    ("tup", 5, "tup: expected tuple, got 'int'"),
    ("pair", (1, "b", 3), "pair: expected tuple with length 2, got 'tuple')"),
    ("pair", (1, 2), "pair[1]: expected 'str', got 'int'"),
    ("m", {1: 1}, "m[<key>]: expected 'str', got 'int'"),
    ("m", [1], "m: expected mapping, got 'list'"),
    ("m", {"k": "v"}, "m['k']: expected 'int', got 'str'"),
    ("u", 3.5, "u: expected typing.Union[int, str], got 'float'"),
    ("d", None, "d: expected 'int', got 'NoneType'"),
])
def test_field_errors(field, value, message):
    with pytest.raises(TypeError) as e:
        make(**{field: value})
    assert str(e.value) == message


def test_bad_annotations_and_defaults():
    with pytest.raises(TypeError, match="In field 'x': Unsupported type annotation 'list'"):
        type("Bad", (ET,), {"__annotations__": {"x": list}, "__module__": __name__})
    with pytest.raises(TypeError, match="In field 'x': Unsupported type annotation 'Any'"):
        import typing
        type("Bad", (ET,), {"__annotations__": {"x": typing.Any}, "__module__": __name__})
    with pytest.raises(TypeError, match="default value for x: expected 'int', got 'str'"):
        type("Bad", (ET,), {"__annotations__": {"x": int}, "x": "s", "__module__": __name__})
    with pytest.raises(AssertionError, match="Cannot create an instance of ExtensionType "
                                             "because ExtensionType is an abstract base class."):
        ET()


def test_validate_custom_init_subclass_and_immutability():
    class MT(ET):
        values: tf.Tensor
        mask: tf.Tensor

        def __validate__(self):
            self.values.shape.assert_is_compatible_with(self.mask.shape)
            assert self.mask.dtype.is_bool, "mask.dtype must be bool"

    with pytest.raises(ValueError, match=r"Shapes \(2,\) and \(1,\) are incompatible"):
        MT([1, 2], [True])
    with pytest.raises(AssertionError, match="mask.dtype must be bool"):
        MT([1, 2], [1, 2])

    class Sub(MT):
        extra: int = 0

    s = Sub([1], [True], 3)
    assert s.extra == 3 and "extra=3" in repr(s)
    with pytest.raises(AssertionError):
        Sub([1], [1], 3)

    class C(ET):
        x: tf.Tensor

        def __init__(self, a, b=1):
            self.x = tf.constant(a) + b

    c = C(1)
    assert int(c.x) == 2
    assert repr(c._type_spec) == "C.Spec(x=TensorSpec(shape=(), dtype=tf.int32, name=None))"
    for act in (lambda: setattr(c, "x", 2), lambda: delattr(c, "x"),
                lambda: setattr(c, "foo", 1)):
        with pytest.raises(AttributeError, match="Cannot mutate attribute `(x|foo)` outside "
                                                 "the custom constructor of ExtensionType."):
            act()


def test_nested_and_forward_references():
    class Nest(ET):
        mt: MaskedTensor
        tag: str = "x"
        ts: Tuple[tf.Tensor, ...] = ()

    n = Nest(MaskedTensor([1], [True]), ts=[1, [2.0, 3.0]])
    assert repr(n._type_spec) == (
        "Nest.Spec(mt=MaskedTensor.Spec(values=TensorSpec(shape=(1,), dtype=tf.int32, "
        "name=None), mask=TensorSpec(shape=(1,), dtype=tf.bool, name=None)), tag='x', "
        "ts=(TensorSpec(shape=(), dtype=tf.int32, name=None), TensorSpec(shape=(2,), "
        "dtype=tf.float32, name=None)))")
    flat = tf.nest.flatten(n, expand_composites=True)
    assert [t.dtype for t in flat] == [tf.int32, tf.bool, tf.int32, tf.float32]
    with pytest.raises(TypeError, match="mt: expected 'MaskedTensor', got 'int'"):
        Nest(3)

    global Fwd

    class Fwd(ET):
        child: "Optional[Fwd]"
        v: "tf.Tensor"

    f = Fwd(Fwd(None, 2), 1)
    assert int(f.child.v) == 2 and f.child.child is None


def test_equality_and_hash():
    a = MaskedTensor([1.0, 2.0], [True, False])
    eq = a == MaskedTensor([1.0, 2.0], [True, False])
    assert isinstance(eq, tf.Tensor) and eq.dtype == tf.bool and bool(eq)
    assert not bool(a == MaskedTensor([1.0, 3.0], [True, False]))
    assert bool(a != MaskedTensor([1.0, 3.0], [True, False]))
    assert (a == MaskedTensor([1, 2], [True, False])) is False  # other spec: Python False
    assert (a == MaskedTensor([1.0], [True])) is False
    assert (a == 3) is False
    with pytest.raises(TypeError, match="unhashable type: 'MaskedTensor'"):
        hash(a)


def test_spec_class():
    s = MaskedTensor.Spec(values=tf.TensorSpec([None]), mask=tf.TensorSpec([None], tf.bool))
    assert s.values == tf.TensorSpec([None])
    assert s.is_compatible_with(MaskedTensor([1.0], [True]))
    assert not s.is_compatible_with(MaskedTensor([1], [True]))
    with pytest.raises(TypeError, match="values: expected a TensorSpec, got 'int'"):
        MaskedTensor.Spec(values=3, mask=tf.TensorSpec([2], tf.bool))
    with pytest.raises(TypeError, match="missing a required argument: 'mask'"):
        MaskedTensor.Spec(values=tf.TensorSpec([2]))
    with pytest.raises(AttributeError, match="outside the custom constructor of "
                                             "ExtensionTypeSpec"):
        s.values = 3
    a = MaskedTensor([1, 2, 3], [True, False, True])._type_spec
    b = MaskedTensor([1, 2], [True, False])._type_spec
    assert a == MaskedTensor.Spec(tf.TensorSpec([3], tf.int32), tf.TensorSpec([3], tf.bool))
    assert hash(a) == hash(MaskedTensor.Spec(tf.TensorSpec([3], tf.int32),
                                             tf.TensorSpec([3], tf.bool)))
    assert repr(a.most_specific_common_supertype([b])) == (
        "MaskedTensor.Spec(values=TensorSpec(shape=(None,), dtype=tf.int32, name=None), "
        "mask=TensorSpec(shape=(None,), dtype=tf.bool, name=None))")
    assert a.is_subtype_of(a.most_specific_common_supertype([b]))
    assert len(a._to_components(MaskedTensor([1, 2, 3], [True, False, True]))) == 2


def test_nest_expand_composites():
    mt = MaskedTensor([1, 2, 3], [True, False, True])
    assert tf.nest.flatten(mt) == [mt]
    assert not tf.nest.is_nested(mt)
    flat = tf.nest.flatten(mt, expand_composites=True)
    np.testing.assert_array_equal(flat[0].numpy(), [1, 2, 3])
    doubled = tf.nest.map_structure(lambda x: x * 2 if x.dtype == tf.int32 else x, mt,
                                    expand_composites=True)
    assert isinstance(doubled, MaskedTensor)
    np.testing.assert_array_equal(doubled.values.numpy(), [2, 4, 6])
    packed = tf.nest.pack_sequence_as(MaskedTensor([1], [True]),
                                      [tf.constant([5]), tf.constant([False])],
                                      expand_composites=True)
    assert int(packed.values[0]) == 5 and not bool(packed.mask[0])
    specs = tf.nest.flatten(mt._type_spec, expand_composites=True)
    assert specs == [tf.TensorSpec([3], tf.int32), tf.TensorSpec([3], tf.bool)]
    tf.nest.assert_same_structure(MaskedTensor([1], [True]), MaskedTensor([1, 2], [True, False]),
                                  expand_composites=True)
    with pytest.raises(ValueError, match="don't have the same nested structure"):
        tf.nest.assert_same_structure(MaskedTensor([1], [True]), MaskedTensor([1.0], [True]),
                                      expand_composites=True)


def test_conversion_to_tensor_fails_like_tf():
    mt = MaskedTensor([1, 2], [True, False])
    with pytest.raises(ValueError, match=r"Attempt to convert a value \(MaskedTensor\(.*\) "
                                         r"with an unsupported type \(<class '.*MaskedTensor'>\) "
                                         r"to a Tensor."):
        tf.convert_to_tensor(mt)
    with pytest.raises(ValueError, match="Attempt to convert a value"):
        tf.add(mt, mt)


def test_tf_function_arguments_and_results():
    traces = []

    @tf.function
    def g(mt):
        traces.append(1)
        return MaskedTensor(mt.values * 2, mt.mask)

    r = g(MaskedTensor([1.0, 2.0], [True, False]))
    assert isinstance(r, MaskedTensor)
    np.testing.assert_array_equal(r.values.numpy(), [2.0, 4.0])
    r = g(MaskedTensor([5.0, 6.0], [False, True]))  # same spec: no new trace, new values
    np.testing.assert_array_equal(r.values.numpy(), [10.0, 12.0])
    np.testing.assert_array_equal(r.mask.numpy(), [False, True])
    r = g(MaskedTensor([5.0, 6.0, 7.0], [True, True, False]))
    np.testing.assert_array_equal(r.values.numpy(), [10.0, 12.0, 14.0])
    assert g.experimental_get_tracing_count() == 2
    spec = MaskedTensor.Spec(tf.TensorSpec([None]), tf.TensorSpec([None], tf.bool))
    cf = g.get_concrete_function(spec)
    spec_text = ("MaskedTensor.Spec(values=TensorSpec(shape=(None,), dtype=tf.float32, "
                 "name=None), mask=TensorSpec(shape=(None,), dtype=tf.bool, name=None))")
    assert repr(cf).startswith(f"<ConcreteFunction (mt: {spec_text}) -> {spec_text} at 0x")

    @tf.function(input_signature=[spec])
    def h(mt):
        return mt.values + 1

    np.testing.assert_array_equal(h(MaskedTensor([1.0, 2.0], [True, False])).numpy(), [2, 3])
    np.testing.assert_array_equal(h(MaskedTensor([1.0, 4.0, 5.0], [True] * 3)).numpy(),
                                  [2, 5, 6])
    with pytest.raises(TypeError, match=r"Binding inputs to tf.function failed due to `Can not "
                                        r"cast TensorSpec\(shape=\(1,\), dtype=tf.int32, "
                                        r"name=None\) to TensorSpec\(shape=\(None,\), "
                                        r"dtype=tf.float32, name=None\)`"):
        h(MaskedTensor([1], [True]))


def test_tf_function_gradient_through_extension_type():
    class Affine(ET):
        w: tf.Tensor
        b: tf.Tensor

    @tf.function
    def f(p, x):
        return tf.reduce_sum(tf.sin(p.w * x) + p.b)

    x = tf.constant([0.3, -1.2], tf.float64)
    w = tf.Variable([0.7, 1.1], dtype=tf.float64)
    with tf.GradientTape() as tape:
        y = f(Affine(w, tf.constant(0.5, tf.float64)), x)
    g = tape.gradient(y, w).numpy()
    eps = 1e-6

    def val(wv):
        return np.sum(np.sin(wv * x.numpy()) + 0.5)

    num = [(val(w.numpy() + eps * e) - val(w.numpy() - eps * e)) / (2 * eps)
           for e in np.eye(2)]
    np.testing.assert_allclose(g, num, rtol=1e-7)


def test_batchable_and_encoder():
    class BMT(tf.experimental.BatchableExtensionType):
        values: tf.Tensor
        mask: tf.Tensor

    spec = BMT([1.0], [True])._type_spec
    assert repr(spec._batch(3)) == (
        "BMT.Spec(values=TensorSpec(shape=(3, 1), dtype=tf.float32, name=None), "
        "mask=TensorSpec(shape=(3, 1), dtype=tf.bool, name=None))")
    assert spec._batch(None)._unbatch() == spec
    enc = tf.experimental.ExtensionTypeBatchEncoder()
    assert enc.batch(spec, 2) == spec._batch(2)
    assert enc.unbatch(spec._batch(2)) == spec
    parts = enc.encode(spec, BMT([1.0], [True]))
    assert float(enc.decode(spec, parts).values[0]) == 1.0
    assert enc.encoding_specs(spec) == [tf.TensorSpec([1]), tf.TensorSpec([1], tf.bool)]


def test_module_surface():
    assert tf.experimental.extension_type.as_dict(MaskedTensor([1], [True])).keys() == {
        "values", "mask"}
    assert tf.experimental.extension_type.__all__ == ["as_dict"]
    assert Fields.__doc__ == "doc P"


def test_tf_data_refuses_extension_types_clearly():
    """tapeflow's tf.data does not carry extension types yet: a clear TypeError, never an
    element made of the value's repr."""
    class Masked(tf.experimental.BatchableExtensionType):
        values: tf.Tensor
        mask: tf.Tensor

    mt = Masked(tf.constant([1, 2]), tf.constant([True, False]))
    with pytest.raises(TypeError, match="Masked components are not supported by tapeflow's "
                                        "tf.data yet"):
        tf.data.Dataset.from_tensors(mt)
    with pytest.raises(TypeError, match="not supported by tapeflow's tf.data yet"):
        tf.data.Dataset.from_tensor_slices(mt)
