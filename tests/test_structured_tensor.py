"""tf.experimental.StructuredTensor: expected values were printed by TensorFlow 2.21."""
import numpy as np
import pytest

import tapeflow as tf

ST = tf.experimental.StructuredTensor


def _rows():
    return ST.from_pyval([{"a": 1, "b": [1, 2]}, {"a": 2, "b": [3]}])


def _ragged2():
    return ST.from_pyval([[{"a": 1}, {"a": 2}], [{"a": 3}]])


# -- from_pyval / to_pyval ------------------------------------------------------------------------
def test_scalar_record_repr_and_pyval():
    st = ST.from_pyval({"a": 1, "b": [1.0, 2.0], "c": "x"})
    assert repr(st) == (
        '<StructuredTensor(\n    fields={\n'
        '        "a": tf.Tensor(1, shape=(), dtype=int32),\n'
        '        "b": tf.Tensor([1. 2.], shape=(2,), dtype=float32),\n'
        '        "c": tf.Tensor(b\'x\', shape=(), dtype=string)},\n    shape=())>')
    pv = st.to_pyval()
    assert pv == {"a": 1, "b": [1.0, 2.0], "c": b"x"}
    assert isinstance(pv["a"], np.int32)  # TF: np.int32(1)
    assert st.shape == tf.TensorShape([]) and st.rank == 0
    assert st.nrows() is None and st.row_partitions == ()
    assert st.field_names() == ("a", "b", "c")


def test_rank1_records_with_ragged_field():
    st = _rows()
    assert repr(st) == (
        '<StructuredTensor(\n    fields={\n'
        '        "a": tf.Tensor([1 2], shape=(2,), dtype=int32),\n'
        '        "b": <tf.RaggedTensor [[1, 2], [3]]>},\n    shape=(2,))>')
    assert st.to_pyval() == [{"a": 1, "b": [1, 2]}, {"a": 2, "b": [3]}]
    assert type(st.to_pyval()[0]["a"]) is int
    n = st.nrows()
    assert n.dtype == tf.int64 and int(n) == 2
    assert st.row_partitions == ()


def test_nested_lists_of_records_are_ragged():
    st = _ragged2()
    assert st.shape.as_list() == [2, None]
    assert repr(st.row_partitions) == "(tf.RowPartition(row_splits=[0 2 3]),)"
    assert st.to_pyval() == [[{"a": 1}, {"a": 2}], [{"a": 3}]]
    assert repr(st) == ('<StructuredTensor(\n    fields={\n'
                        '        "a": <tf.RaggedTensor [[1, 2], [3]]>},\n    shape=(2, None))>')
    uniform = ST.from_pyval([[{"a": 1}, {"a": 2}], [{"a": 3}, {"a": 4}]])
    assert uniform.shape.as_list() == [2, None]  # TF: lists are always ragged here
    assert repr(uniform.row_partitions) == "(tf.RowPartition(row_splits=[0 2 4]),)"


def test_nested_record_repr_indent_and_paths():
    st = ST.from_pyval({"x": {"y": 1, "z": [1, 2]}, "w": True})
    assert repr(st) == (
        '<StructuredTensor(\n    fields={\n'
        '        "w": tf.Tensor(True, shape=(), dtype=bool),\n'
        '        "x": <StructuredTensor(\n'
        '                fields={\n'
        '                    "y": tf.Tensor(1, shape=(), dtype=int32),\n'
        '                    "z": tf.Tensor([1 2], shape=(2,), dtype=int32)},\n'
        '                shape=())>},\n    shape=())>')
    assert st.field_names() == ("x", "w")
    assert st.to_pyval() == {"x": {"y": 1, "z": [1, 2]}, "w": True}
    assert int(st.field_value(("x", "y"))) == 1
    assert int(st["x", "y"]) == 1
    assert int(st["x", "z", 1]) == 2
    for bad in (lambda: st.field_value("q"), lambda: st.field_value(("x", "q")),
                lambda: st["q"]):
        with pytest.raises(KeyError, match="q"):
            bad()


def test_multiline_field_repr():
    st = ST.from_fields({"b": [1, 2], "a": [[1, 2], [3, 4]]}, shape=[2])
    assert repr(st) == (
        '<StructuredTensor(\n    fields={\n'
        '        "a": tf.Tensor(\n            [[1 2]\n             [3 4]], shape=(2, 2), '
        'dtype=int32),\n'
        '        "b": tf.Tensor([1 2], shape=(2,), dtype=int32)},\n    shape=(2,))>')
    assert st.field_names() == ("b", "a")


def test_pyval_dtypes_and_shapes():
    st = ST.from_pyval({"a": [1, 2.5], "b": 2 ** 40, "c": [], "d": [[1, 2], [3]]})
    assert st["a"].dtype == tf.float32
    assert st["b"].dtype == tf.int64
    assert st["c"].dtype == tf.float32 and st["c"].shape.as_list() == [0]
    assert isinstance(st["d"], tf.RaggedTensor)
    assert st.to_pyval()["c"] == [] and st.to_pyval()["d"] == [[1, 2], [3]]
    inner = ST.from_pyval({"a": [{"b": 1}, {"b": 2}]})
    assert inner.to_pyval() == {"a": [{"b": 1}, {"b": 2}]}
    assert inner["a"].shape.as_list() == [2]
    deep = ST.from_pyval([{"a": [{"b": 1}]}, {"a": [{"b": 2}, {"b": 3}]}])
    assert deep.field_value("a").shape.as_list() == [2, None]
    assert deep.to_pyval() == [{"a": [{"b": 1}]}, {"a": [{"b": 2}, {"b": 3}]}]


def test_pyval_empty_records_and_non_records():
    assert repr(ST.from_pyval({})) == "<StructuredTensor(\n    fields={\n        },\n    shape=())>"
    st = ST.from_pyval([{}, {}])
    assert st.shape.as_list() == [2] and st.to_pyval() == [{}, {}]
    assert ST.from_pyval([[{}], [{}, {}]]).shape.as_list() == [2, None]
    # no dict at all: TF gives a plain Tensor / RaggedTensor
    assert isinstance(ST.from_pyval([1, 2]), tf.Tensor)
    assert ST.from_pyval([]).dtype == tf.float32
    assert isinstance(ST.from_pyval([[], []]), tf.RaggedTensor)


def test_pyval_errors():
    with pytest.raises(ValueError, match=r"Error parsing path \('a',\)"):
        ST.from_pyval({"a": None})
    with pytest.raises(ValueError, match=r"Error parsing path \('a',\)"):
        ST.from_pyval([{"a": [1]}, {"a": 2}])
    with pytest.raises(KeyError):
        ST.from_pyval([{"a": 1}, {"b": 2}])


def test_pyval_with_typespec():
    spec = ST.from_pyval({"a": tf.constant(1, tf.int64)})._type_spec
    assert ST.from_pyval({"a": 1}, typespec=spec)["a"].dtype == tf.int64
    with pytest.raises(ValueError, match=r"Value at \(\) does not match typespec"):
        ST.from_pyval({"b": 1}, typespec=spec)


# -- from_fields / from_fields_and_rank ---------------------------------------------------------
def test_from_fields_shapes_and_partitions():
    dense = ST.from_fields({"a": [[1, 2], [3, 4]]}, shape=[2, 2])
    assert dense.shape.as_list() == [2, 2]
    assert repr(dense.row_partitions) == "(tf.RowPartition(nrows=2, uniform_row_length=2),)"
    ragged = ST.from_fields({"a": tf.ragged.constant([[1, 2], [3]])}, shape=[2, None])
    assert repr(ragged.row_partitions) == "(tf.RowPartition(row_splits=[0 2 3]),)"
    assert ST.from_fields({"a": [1, 2]}, shape=[None]).shape.as_list() == [2]
    deep = ST.from_fields({"a": tf.zeros([2, 3, 4])}, shape=[2, 3, 4])
    assert repr(deep.row_partitions) == ("(tf.RowPartition(nrows=2, uniform_row_length=3), "
                                         "tf.RowPartition(nrows=6, uniform_row_length=4))")
    assert ST.from_fields({"a": [1, 2]}, shape=[2], nrows=tf.constant(2, tf.int32)).nrows() \
        .dtype == tf.int32


def test_from_fields_without_fields():
    assert ST.from_fields({}, shape=[2, 3]).shape.as_list() == [2, 3]
    assert repr(ST.from_fields({}, shape=[2, 3]).row_partitions) == \
        "(tf.RowPartition(nrows=2, uniform_row_length=3),)"
    assert ST.from_fields({}, shape=[None], nrows=3).shape.as_list() == [3]
    with pytest.raises(ValueError, match="Must specify `nrows`, a fully specified `shape`"):
        ST.from_fields({}, shape=[None])


@pytest.mark.parametrize("fields, shape, err, msg", [
    ({"a": [1, 2], "b": [1, 2, 3]}, [2], ValueError, "Error in shape of b"),
    ({"a": [1, 2], "b": [1, 2, 3]}, [3], ValueError, "Error in shape of b"),
    ({"a": [1, 2], "b": 1}, [2], ValueError, "Error in shape of b"),
    ({"a": 1}, [2], ValueError, r"Shapes \(2,\) and \(\) are not compatible"),
    ({"a": [1, 2]}, [3], ValueError, r"Shapes \(3,\) and \(2,\) are not compatible"),
    ({1: [1]}, [], TypeError, "Unexpected type for key in `fields`: 1"),
    ({"a b": [1]}, [], ValueError, "Field name 'a b' is not currently allowed."),
    ({"_a": [1]}, [], ValueError, "Field name '_a' is not currently allowed."),
    ({"a": object()}, [], TypeError, "Unexpected type for value in `fields`"),
    ({"a": 1}, None, ValueError, "StructuredTensor's shape must have known rank."),
])
def test_from_fields_errors(fields, shape, err, msg):
    with pytest.raises(err, match=msg):
        ST.from_fields(fields, shape=shape)


def test_from_fields_other_errors():
    with pytest.raises(TypeError, match="fields must be a dictionary, got list"):
        ST.from_fields([("a", 1)])
    with pytest.raises(tf.errors.InvalidArgumentError):
        ST.from_fields({"a": tf.ragged.constant([[1, 2], [3]])}, shape=[2, 2])
    nested = ST.from_pyval([{"q": 1}, {"q": 2}])
    with pytest.raises(ValueError, match=r"Shapes \(3,\) and \(2,\) are not compatible"):
        ST.from_fields({"s": nested}, shape=[3])


def test_from_fields_and_rank():
    st = ST.from_fields_and_rank({"a": tf.ragged.constant([[1, 2], [3]])}, 2)
    assert st.shape.as_list() == [2, None]
    assert ST.from_fields_and_rank({"a": [[1, 2], [3, 4]]}, 2).shape.as_list() == [2, 2]
    assert ST.from_fields_and_rank({"a": [[1, 2], [3, 4]]}, 0).rank == 0
    for fields, rank, msg in [({}, 1, "Must provide at least one field"),
                              ({"a": [1, 2], "b": [1, 2, 3]}, 1, "Error in shape of b"),
                              ({"a": [1, 2]}, 2, "num_row_partitions must be less than rank"),
                              ({"a": [1, 2]}, -1, "rank must be nonnegative"),
                              ({"a": [1, 2]}, 1.0, "rank must be an integer")]:
        with pytest.raises(ValueError, match=msg):
            ST.from_fields_and_rank(fields, rank)


# -- indexing ---------------------------------------------------------------------------------
def test_getitem_rows_and_fields():
    st = _rows()
    assert st[0].to_pyval() == {"a": 1, "b": [1, 2]}
    assert st[0].shape.rank == 0
    assert st[-1].to_pyval() == {"a": 2, "b": [3]}
    assert st[1:].to_pyval() == [{"a": 2, "b": [3]}]
    assert st[1:].shape.as_list() == [1]
    assert int(st[0, "a"]) == 1
    assert int(st[0, "b", 1]) == 2
    assert st[0, "b", 1:].numpy().tolist() == [2]
    assert st[:, "a"].numpy().tolist() == [1, 2]
    assert [x.to_pyval() for x in st] == [{"a": 1, "b": [1, 2]}, {"a": 2, "b": [3]}]


def test_getitem_ragged_rows():
    st = _ragged2()
    assert st[0].to_pyval() == [{"a": 1}, {"a": 2}] and st[0].shape.as_list() == [2]
    assert st[1, 0].to_pyval() == {"a": 3}
    assert st[1:].to_pyval() == [[{"a": 3}]]
    dense = ST.from_fields({"a": [[1, 2], [3, 4]]}, shape=[2, 2])
    assert dense[:, 0].to_pyval() == [{"a": 1}, {"a": 3}]


@pytest.mark.parametrize("key, err, msg", [
    ("b", TypeError, "Only integers, slices"),
    (("a",), TypeError, "Only integers, slices"),
    (Ellipsis, ValueError, "Slicing not supported for Ellipsis"),
    (None, ValueError, "Slicing not supported for tf.newaxis"),
    ((0, 0), ValueError, "Key for indexing a StructuredTensor must be a string$"),
    (5, IndexError, "Row key 5 out of bounds"),
])
def test_getitem_errors(key, err, msg):
    with pytest.raises(err, match=msg):
        _rows()[key]


def test_getitem_errors_other_ranks():
    with pytest.raises(ValueError, match=r"must be a string or a full slice \(':'\)"):
        ST.from_pyval({"a": 1})[0]
    with pytest.raises(ValueError, match="Cannot index into an inner ragged dimension."):
        _ragged2()[:, 0]


# -- with_updates -------------------------------------------------------------------------------
def _nested_rows():
    return ST.from_pyval([{"a": 1, "b": {"c": 1.5}}, {"a": 2, "b": {"c": 2.5}}])


def test_with_updates_add_replace_delete():
    st = _nested_rows()
    added = st.with_updates({"d": [10, 20]})
    assert added.field_names() == ("a", "b", "d")
    assert added.field_value("d").numpy().tolist() == [10, 20]
    assert st.with_updates({"a": [7, 8]}).to_pyval() == [{"a": 7, "b": {"c": 1.5}},
                                                          {"a": 8, "b": {"c": 2.5}}]
    assert st.with_updates({"a": None}).field_names() == ("b",)
    assert st.with_updates({("b", "d"): [1, 2]}).to_pyval() == [
        {"a": 1, "b": {"c": 1.5, "d": 1}}, {"a": 2, "b": {"c": 2.5, "d": 2}}]
    emptied = st.with_updates({("b", "c"): None})
    inner = emptied.field_value("b")
    assert inner.field_names() == () and inner.shape.as_list() == [2]
    assert st.with_updates({"a": lambda x: x * 10}).to_pyval()[1]["a"] == 20
    assert st.with_updates({("b", "c"): lambda x: x + 1}).to_pyval()[0]["b"] == {"c": 2.5}
    r = st.with_updates({"r": tf.ragged.constant([[1], [2, 3]])})
    assert [x["r"] for x in r.to_pyval()] == [[1], [2, 3]]
    scalar = ST.from_pyval({"a": 1}).with_updates({"b": "s"})
    assert scalar.to_pyval() == {"a": 1, "b": b"s"}


@pytest.mark.parametrize("updates, msg", [
    ({"zz": None}, r"cannot delete field \('zz',\) because it is not present."),
    ({("e", "f"): [1, 2]}, r"cannot create new sub-field \('e', 'f'\) if parent field "
                           r"\('e',\) is not set."),
    ({"q": lambda x: x}, r"cannot update the field \('q',\) because a transforming function "
                         r"was given"),
    ({"a": [1, 2, 3]}, "`StructuredTensor.with_updates` failed"),
    ({"n": {"x": [1, 2]}}, "`StructuredTensor.with_updates` failed"),
    ({"b": [1, 2], ("b", "c"): [1, 2]}, r"does not allow both parent and child nodes to be "
                                        r"updated: parent=\('b',\), child=\('b', 'c'\)"),
    ({(): [1, 2]}, r"does not allow empty names \(\(\),\)."),
    ({("a", "x"): [1, 2]}, r"cannot create new sub-field \('a', 'x'\) if parent structure "
                           r"\('a',\) is not a `StructuredTensor`"),
])
def test_with_updates_errors(updates, msg):
    with pytest.raises(ValueError, match=msg):
        _nested_rows().with_updates(updates)


# -- reshaping ------------------------------------------------------------------------------
def test_partition_outer_dimension():
    st = ST.from_pyval([{"a": i} for i in range(5)])
    rp = tf.experimental.RowPartition.from_row_lengths([2, 0, 3])
    p = st.partition_outer_dimension(rp)
    assert p.shape.as_list() == [3, None]
    assert p.to_pyval() == [[{"a": 0}, {"a": 1}], [], [{"a": 2}, {"a": 3}, {"a": 4}]]
    assert repr(p.row_partitions) == "(tf.RowPartition(row_splits=[0 2 2 5]),)"
    p2 = p.partition_outer_dimension(tf.experimental.RowPartition.from_row_lengths([1, 2]))
    assert p2.shape.as_list() == [2, None, None]
    assert repr(p2.row_partitions) == ("(tf.RowPartition(row_splits=[0 1 3]), "
                                       "tf.RowPartition(row_splits=[0 2 2 5]))")
    assert p2.to_pyval() == [[[{"a": 0}, {"a": 1}]], [[], [{"a": 2}, {"a": 3}, {"a": 4}]]]
    u = st.partition_outer_dimension(
        tf.experimental.RowPartition.from_uniform_row_length(5, nvals=5))
    assert u.shape.as_list() == [1, 5] and u.field_value("a").shape.as_list() == [1, 5]
    with pytest.raises(TypeError, match="row_partition must be a RowPartition."):
        st.partition_outer_dimension([2, 3])
    with pytest.raises(ValueError, match=r"Shape \(\) must have rank at least 1"):
        ST.from_pyval({"a": 1}).partition_outer_dimension(rp)


def test_merge_dims():
    st = _ragged2()
    m = st.merge_dims(0, 1)
    assert m.shape.as_list() == [3] and m.row_partitions == ()
    assert m.field_value("a").numpy().tolist() == [1, 2, 3]
    assert st.merge_dims(0, -1).shape.as_list() == [3]
    st3 = ST.from_pyval([[[{"a": 1}], [{"a": 2}, {"a": 5}]], [[{"a": 3}]]])
    assert st3.merge_dims(0, 1).to_pyval() == [[{"a": 1}], [{"a": 2}, {"a": 5}], [{"a": 3}]]
    m12 = st3.merge_dims(1, 2)
    assert m12.to_pyval() == [[{"a": 1}, {"a": 2}, {"a": 5}], [{"a": 3}]]
    assert repr(m12.row_partitions) == "(tf.RowPartition(row_splits=[0 3 4]),)"
    assert st3.merge_dims(0, 2).field_value("a").numpy().tolist() == [1, 2, 5, 3]
    dense = ST.from_fields({"a": [[1, 2], [3, 4]]}, shape=[2, 2]).merge_dims(0, 1)
    assert dense.shape.as_list() == [4] and dense.field_value("a").numpy().tolist() == [1, 2, 3, 4]
    with pytest.raises(ValueError, match=r"Expected outer_axis \(1\) to be less than or equal "
                                         r"to inner_axis \(0\)"):
        st.merge_dims(1, 0)
    with pytest.raises(ValueError, match="inner_axis=2 out of bounds: expected -2<=inner_axis<2"):
        st.merge_dims(0, 2)
    with pytest.raises(ValueError, match="outer_axis=0 out of bounds: expected 0<=outer_axis<0"):
        ST.from_pyval({"a": 1}).merge_dims(0, 0)


def test_promote():
    st = ST.from_pyval([{"b": [{"c": 1}, {"c": 2}]}, {"b": [{"c": 3}]}])
    p = st.promote(("b", "c"), "c")
    assert p.field_names() == ("b", "c")
    assert p.to_pyval() == [{"b": [{"c": 1}, {"c": 2}], "c": [1, 2]},
                            {"b": [{"c": 3}], "c": [3]}]
    assert st.promote(("b", "c"), "b").field_names() == ("b",)
    with pytest.raises(ValueError, match="source_path must have length at least two"):
        st.promote(("b",), "x")
    with pytest.raises(ValueError, match="source_path must be a list or tuple"):
        st.promote("b", "x")


# -- specs, tf.nest, tf.function --------------------------------------------------------------
def test_spec_repr():
    st = ST.from_pyval([{"a": 1, "b": [1.5]}, {"a": 2, "b": [2.5, 3.5]}])
    assert repr(tf.type_spec_from_value(st)) == (
        "StructuredTensor.Spec(_fields={'a': TensorSpec(shape=(2,), dtype=tf.int32, name=None), "
        "'b': RaggedTensorSpec(TensorShape([2, None]), tf.float32, 1, tf.int64)}, "
        "_ragged_shape=DynamicRaggedShape.Spec(row_partitions=(), "
        "static_inner_shape=TensorShape([2]), dtype=tf.int64))")
    dense = ST.from_fields({"a": tf.zeros([2, 3])}, shape=[2, 3])
    assert repr(dense._type_spec).endswith(
        "_ragged_shape=DynamicRaggedShape.Spec(row_partitions=(RowPartitionSpec(nrows=2, "
        "nvals=6, uniform_row_length=3, dtype=tf.int64),), static_inner_shape=TensorShape([6]), "
        "dtype=tf.int64))")
    assert isinstance(st._type_spec, ST.Spec)


def test_nest_flatten_and_pack():
    st = ST.from_pyval([[{"a": 1, "b": [1.5]}], [{"a": 2, "b": [2.5, 3.5]}, {"a": 3, "b": []}]])
    flat = tf.nest.flatten(st, expand_composites=True)
    assert [x.numpy().tolist() for x in flat] == [
        [1, 2, 3], [0, 1, 3], [1.5, 2.5, 3.5], [0, 1, 3], [0, 1, 3, 3], [3], [0, 1, 3]]
    assert [x.dtype for x in flat] == [tf.int32, tf.int64, tf.float32] + [tf.int64] * 4
    back = tf.nest.pack_sequence_as(st, flat, expand_composites=True)
    assert back.to_pyval() == st.to_pyval()
    scalar = ST.from_pyval({"a": 1, "b": [1.5]})
    sflat = tf.nest.flatten(scalar, expand_composites=True)
    assert [x.shape.as_list() for x in sflat] == [[], [1], [0]]
    assert tf.nest.flatten(scalar) == [scalar]
    doubled = tf.nest.map_structure(lambda x: x * 2 if x.dtype != tf.int64 else x, scalar,
                                    expand_composites=True)
    assert doubled.to_pyval() == {"a": 2, "b": [3.0]}


def test_tf_function_passes_structured_tensors():
    @tf.function
    def bump(s):
        return s.with_updates({"a": s["a"] + 1})

    assert bump(ST.from_pyval({"a": 1, "b": [1.5]})).to_pyval() == {"a": 2, "b": [1.5]}

    @tf.function
    def first(s):
        return s[0]

    rows = ST.from_pyval([{"a": 1, "b": [1.5]}, {"a": 2, "b": [2.5, 3.5]}])
    assert first(rows).to_pyval() == {"a": 1, "b": [1.5]}


def test_constructor_is_private():
    with pytest.raises(ValueError, match="constructor is private"):
        ST({}, tf.TensorShape([]), None, ())


def test_parity_with_tensorflow():
    tf_ref = pytest.importorskip("tensorflow")
    pyval = [[{"a": 1, "b": [1.5]}], [{"a": 2, "b": [2.5, 3.5]}, {"a": 3, "b": []}]]
    ref = tf_ref.experimental.StructuredTensor.from_pyval(pyval)
    ours = ST.from_pyval(pyval)
    assert repr(ours) == repr(ref)
    assert ours.to_pyval() == ref.to_pyval()
