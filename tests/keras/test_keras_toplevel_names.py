"""tf.keras's top-level names (Loss, Metric, Optimizer..., version, device, name_scope),
keras.config, keras.tree, keras.dtype_policies and regularizers.OrthogonalRegularizer, against
values recorded from TF 2.21 / Keras 3.15."""
import collections
import warnings

import numpy as np
import pytest

import tapeflow as tf
from tests.gradcheck import check_grad

k = tf.keras


def test_same_objects_as_the_submodules():
    # TF: tf.keras.Loss is tf.keras.losses.Loss and so on (all True)
    assert k.Loss is k.losses.Loss
    assert k.Metric is k.metrics.Metric
    assert k.Optimizer is k.optimizers.Optimizer
    assert k.Initializer is k.initializers.Initializer
    assert k.Regularizer is k.regularizers.Regularizer
    assert k.DTypePolicy is k.mixed_precision.DTypePolicy
    assert k.DTypePolicy is k.dtype_policies.DTypePolicy
    assert k.FloatDTypePolicy is k.dtype_policies.FloatDTypePolicy
    assert issubclass(k.FloatDTypePolicy, k.DTypePolicy)
    assert isinstance(k.Input((2,)), k.KerasTensor)
    assert k.utils.is_keras_tensor(k.Input((2,)))


def test_version():
    # TF 2.21: tf.keras.version() == tf.keras.__version__ == '3.15.1'
    assert k.version() == "3.15.1"
    assert k.version() == k.__version__


def test_device_accepts_keras_names():
    for name in ["cpu", "cpu:0", "CPU", "gpu:0", "/CPU:0"]:
        with k.device(name):
            t = tf.constant(1.0)
        assert t.device == "/job:localhost/replica:0/task:0/device:CPU:0"
    with pytest.raises(ValueError, match="Unknown attribute 'foo' is encountered while parsing "
                                         "the device spec: 'foo'."):
        with k.device("foo"):
            pass


def test_name_scope():
    with k.name_scope("foo") as scope:
        v = tf.Variable(1.0, name="v")
    assert scope.name == "foo"
    assert v.name == "foo/v:0"
    with pytest.raises(TypeError):
        k.name_scope("foo", bogus=1)


def test_remat_and_remat_scope():
    f = k.remat(lambda x: x * 2.0)
    assert float(f(tf.constant(2.0)).numpy()) == 4.0
    check_grad(k.remat(lambda x: tf.sin(x) * x), np.array([0.3, -1.2, 2.0]))
    with k.RematScope(mode="activations") as scope:
        assert (scope.mode, scope.output_size_threshold, scope.layer_names) == \
            ("activations", 1024, [])
    k.RematScope(mode="list_of_layers")
    k.RematScope(mode=None)
    with pytest.raises(ValueError, match=r"^Invalid mode 'bad'. Supported modes are: 'full', "
                                         r"'activations', 'larger_than', 'list_of_layers', or  "
                                         r"None.$"):
        k.RematScope(mode="bad")


def test_dtype_policies():
    p = k.dtype_policies.get("mixed_float16")
    assert repr(p) == '<DTypePolicy "mixed_float16">'
    assert repr(k.FloatDTypePolicy("float64")) == '<DTypePolicy "float64">'
    assert k.dtype_policies.serialize(k.DTypePolicy("float16")) == {
        "module": "keras", "class_name": "DTypePolicy", "config": {"name": "float16"},
        "registered_name": None}
    back = k.dtype_policies.deserialize({"class_name": "DTypePolicy",
                                         "config": {"name": "float16"}})
    assert repr(back) == '<DTypePolicy "float16">'
    assert repr(k.dtype_policies.get(None)) == '<DTypePolicy "float32">'
    same = k.DTypePolicy("float16")
    assert k.dtype_policies.get(same) is same
    with pytest.raises(ValueError, match="Cannot convert 'int33' to a mixed precision "
                                         "DTypePolicy"):
        k.dtype_policies.get("int33")


# -- keras.config -------------------------------------------------------------------------------
def test_config_defaults():
    c = k.config
    assert (c.floatx(), c.epsilon(), c.image_data_format(), c.backend()) == \
        ("float32", 1e-07, "channels_last", "tensorflow")
    assert repr(c.dtype_policy()) == '<DTypePolicy "float32">'
    assert c.max_epochs() is None and c.max_steps_per_epoch() is None
    assert c.is_flash_attention_enabled() is None
    assert c.is_nnx_enabled() is False
    assert c.is_traceback_filtering_enabled() is True
    assert c.floatx is k.backend.floatx and c.set_epsilon is k.backend.set_epsilon
    assert c.is_interactive_logging_enabled is k.utils.is_interactive_logging_enabled


def test_config_setters():
    c = k.config
    c.set_image_data_format("channels_first")
    try:
        assert c.image_data_format() == "channels_first"
        assert k.backend.image_data_format() == "channels_first"  # one setting, as Keras
    finally:
        c.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match=r"The `data_format` argument must be one of "
                                         r"\{'channels_first', 'channels_last'\}. Received: "
                                         r"data_format=foo"):
        c.set_image_data_format("foo")
    c.set_dtype_policy("mixed_float16")
    try:
        assert repr(c.dtype_policy()) == '<DTypePolicy "mixed_float16">'
        assert repr(k.mixed_precision.global_policy()) == '<DTypePolicy "mixed_float16">'
    finally:
        c.set_dtype_policy("float32")
    with pytest.raises(ValueError, match=r"Invalid `policy` argument. Expected the string name "
                                         r"of a policy \(such as 'mixed_float16'\) or a "
                                         r"`DTypePolicy` instance. Received: policy=3 \(of "
                                         r"type <class 'int'>\)"):
        c.set_dtype_policy(3)
    c.disable_traceback_filtering()
    assert c.is_traceback_filtering_enabled() is False
    c.enable_traceback_filtering()
    c.enable_flash_attention()
    assert c.is_flash_attention_enabled() is True
    c.disable_flash_attention()
    assert c.is_flash_attention_enabled() is False
    c.set_backend("tensorflow")
    with pytest.raises(ValueError, match="Unable to import backend : foo"):
        c.set_backend("foo")



def test_enable_unsafe_deserialization_loads_lambdas():
    c = k.config
    with warnings.catch_warnings():  # serializing a lambda warns, as Keras does
        warnings.simplefilter("ignore", UserWarning)
        cfg = k.saving.serialize_keras_object(lambda x: x + 1)
    with pytest.raises(ValueError, match="Requested the deserialization of a `lambda` object"):
        k.saving.deserialize_keras_object(cfg)
    try:
        assert c.enable_unsafe_deserialization() is None
        assert c.in_safe_mode() is False
        # Keras: the global switch wins over the loader's safe_mode=True
        assert k.saving.deserialize_keras_object(cfg, safe_mode=True)(2) == 3
    finally:
        c._state["safe_mode"] = None


def test_config_interactive_logging():
    c = k.config
    c.disable_interactive_logging()
    try:
        assert c.is_interactive_logging_enabled() is False
    finally:
        c.enable_interactive_logging()
    assert c.is_interactive_logging_enabled() is True


def test_max_epochs_and_steps_cap_fit():
    # TF: with set_max_epochs(2), set_max_steps_per_epoch(3), fit(epochs=5) on 20 batches
    # warns twice and gives params {'verbose': 0, 'epochs': 2, 'steps': 3}, 6 iterations
    c = k.config
    c.set_max_epochs(2)
    c.set_max_steps_per_epoch(3)
    try:
        assert (c.max_epochs(), c.max_steps_per_epoch()) == (2, 3)
        m = k.Sequential([k.Input((2,)), k.layers.Dense(1)])
        m.compile("sgd", "mse")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            h = m.fit(np.ones((40, 2)), np.ones((40, 1)), epochs=5, batch_size=2, verbose=0)
        messages = [str(w.message) for w in caught]
        assert "Limiting epochs to 2" in messages
        assert "Limiting steps_per_epoch to 3" in messages
        assert len(h.history["loss"]) == 2
        assert h.params["steps"] == 3
        assert int(m.optimizer.iterations.numpy()) == 6
    finally:
        c.set_max_epochs(None)
        c.set_max_steps_per_epoch(None)


# -- keras.tree ---------------------------------------------------------------------------------
S = {"b": [1, (2, None)], "a": 3}


def test_tree_flatten_and_paths():
    t = k.tree
    assert t.flatten(S) == [3, 1, 2, None]
    assert t.flatten_with_path(S) == [(("a",), 3), (("b", 0), 1), (("b", 1, 0), 2),
                                      (("b", 1, 1), None)]
    assert t.flatten([None, 1]) == [None, 1]
    assert t.flatten(None) == [None]
    assert t.flatten(()) == []
    assert t.flatten(collections.OrderedDict([("b", 1), ("a", 2)])) == [1, 2]
    assert t.flatten({"b": 1, "a": 2}) == [2, 1]
    P = collections.namedtuple("P", "x y")
    assert t.flatten(P(1, 2)) == [1, 2]
    assert t.flatten_with_path(P(1, [2])) == [((0,), 1), ((1, 0), 2)]
    assert (t.is_nested([1]), t.is_nested(1), t.is_nested("ab"),
            t.is_nested(tf.constant(1))) == (True, False, False, False)
    x = tf.constant([1, 2])
    assert t.flatten(x)[0] is x


def test_tree_map_and_pack():
    t = k.tree
    out = t.map_structure(lambda x: None if x is None else x * 2, S)
    assert out == {"b": [2, (4, None)], "a": 6}
    assert list(out) == ["b", "a"]  # the dict keeps its own key order
    assert t.map_structure(lambda x, y: (x, y), [1, 2], [3, 4]) == [(1, 3), (2, 4)]
    assert t.map_structure(lambda x: 1, [None, 2]) == [1, 1]
    assert t.map_structure(lambda x: 1, [None, 2], none_is_leaf=False) == [None, 1]
    P = collections.namedtuple("P", "x y")
    assert t.map_structure(lambda x: x + 1, P(1, 2)) == P(2, 3)
    assert t.pack_sequence_as([1, (2, 3)], [4, 5, 6]) == [4, (5, 6)]
    assert t.map_structure_up_to([1, [2, 3]], lambda x: str(x), [[1, 1], [2, 3]]) == \
        ["[1, 1]", ["2", "3"]]
    assert t.lists_to_tuples([1, [2, {"a": [3]}]]) == (1, (2, {"a": (3,)}))
    assert t.map_shape_structure(lambda s: ("S", s), [(1, 2), [3, (4, None)], {"a": (None,)}]) \
        == [("S", (1, 2)), [("S", 3), ("S", (4, None))], {"a": ("S", (None,))}]


def test_tree_traverse():
    t = k.tree
    seen = []

    def visit(x):
        seen.append(x)

    assert t.traverse(visit, [1, [2]]) == [1, [2]]
    assert seen == [[1, [2]], 1, [2], 2]
    assert t.traverse(lambda x: t.MAP_TO_NONE if x == 1 else None, [1, [2]]) == [None, [2]]
    assert t.traverse(lambda x: x * 10 if isinstance(x, int) else None, [1, [2]],
                      top_down=False) == [10, [20]]
    assert t.traverse(lambda x: "X" if isinstance(x, list) and len(x) == 1 else None,
                      [1, [2]]) == [1, "X"]


def test_tree_errors():
    t = k.tree
    with pytest.raises(ValueError, match=r"^list arity mismatch; expected: 2, got: 1; list: "
                                         r"\[1\].$"):
        t.map_structure(lambda x, y: x, [1, 2], [1])
    with pytest.raises(ValueError, match=r"^Expected an instance of list, got \(1,\).$"):
        t.assert_same_structure([1], (1,))
    with pytest.raises(ValueError, match=r"^Expected an instance of list, got 2.$"):
        t.assert_same_structure([[1]], [2])
    with pytest.raises(ValueError, match="^Structures don't have the same nested structure.$"):
        t.assert_same_structure({"a": 1}, {"a": [1]})
    with pytest.raises(ValueError, match="^Structures don't have the same nested structure.$"):
        t.map_structure(lambda x, y: (x, y), [1], [[2]])
    with pytest.raises(ValueError, match=r"^dictionary key mismatch; expected key\(s\): "
                                         r"\['a'\], got key\(s\): \['b'\], missing key\(s\): "
                                         r"\['a'\], extra key\(s\): \['b'\]; dict: "
                                         r"\{'b': 2\}.$"):
        t.map_structure(lambda x, y: (x, y), {"a": 1}, {"b": 2})
    with pytest.raises(ValueError, match=r"^`a` and `b` don't have the same paths.\nPaths in "
                                         r"`a` missing in `b`:\n\{\('a',\)\}\nPaths in `b` "
                                         r"missing in `a`:\n\{\('b',\)\}$"):
        t.assert_same_paths({"a": 1}, {"b": 1})
    assert t.assert_same_paths([1, [2]], ([3, (4,)])) is None
    with pytest.raises(ValueError, match=r"^Too few leaves for PyTreeSpec; expected: 2, "
                                         r"got: 1.$"):
        t.pack_sequence_as([1, 2], [1])
    with pytest.raises(TypeError, match="'NoneType' object is not callable"):
        t.map_structure(None, 1)
    with pytest.raises(ValueError, match="^Must provide at least one structure$"):
        t.map_structure(lambda x: x)
    with pytest.raises(ValueError, match=r"^list arity mismatch; expected: 1, got: 2; list: "
                                         r"\[1, 2\].$"):
        t.map_structure_up_to([1], lambda x: x, [1, 2])


# -- regularizers.OrthogonalRegularizer ---------------------------------------------------------
W = np.array([[1., 2., 0.5], [0.3, -1., 2.], [0., 1., 1.], [2., 0., -1.]], np.float32)


def test_orthogonal_regularizer_values():
    R = k.regularizers
    assert R.orthogonal_regularizer is R.OrthogonalRegularizer
    rows = R.OrthogonalRegularizer(factor=0.1, mode="rows")
    cols = R.OrthogonalRegularizer(factor=0.1, mode="columns")
    np.testing.assert_allclose(rows(tf.constant(W)).numpy(), np.float32(0.035114337), rtol=1e-6)
    np.testing.assert_allclose(cols(tf.constant(W)).numpy(), np.float32(0.015572905), rtol=1e-6)
    np.testing.assert_allclose(R.OrthogonalRegularizer()(tf.constant(W)).numpy(),
                               np.float32(0.0035114335), rtol=1e-6)
    assert rows.get_config() == {"factor": 0.10000000149011612, "mode": "rows"}
    with warnings.catch_warnings():  # one row: 0 / 0, NaN as in TF
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.isnan(R.OrthogonalRegularizer(0.5)(tf.constant([[1., 2.]])).numpy())
    got = R.get("orthogonal_regularizer")
    assert isinstance(got, R.OrthogonalRegularizer)
    assert got.get_config() == {"factor": 0.009999999776482582, "mode": "rows"}
    ser = R.serialize(R.OrthogonalRegularizer())
    assert ser["class_name"] == "OrthogonalRegularizer"
    assert ser["config"] == {"factor": 0.009999999776482582, "mode": "rows"}
    back = R.deserialize(ser)
    assert isinstance(back, R.OrthogonalRegularizer) and back.mode == "rows"


def test_orthogonal_regularizer_errors():
    R = k.regularizers
    with pytest.raises(ValueError, match=r'Invalid value for argument `mode`. Expected one of '
                                         r'\{"rows", "columns"\}. Received: mode=x'):
        R.OrthogonalRegularizer(mode="x")
    with pytest.raises(ValueError, match=r"Inputs to OrthogonalRegularizer must have rank 2. "
                                         r"Received: inputs.shape=\(2, 2, 2\)"):
        R.OrthogonalRegularizer()(tf.ones((2, 2, 2)))
    for bad in (-1, "a"):
        with pytest.raises(ValueError, match="Invalid value for argument factor: expected a "
                                             f"non-negative float.Received: factor={bad}"):
            R.OrthogonalRegularizer(factor=bad)


def test_orthogonal_regularizer_in_a_layer():
    layer = k.layers.Dense(3, kernel_regularizer=k.regularizers.OrthogonalRegularizer(0.1),
                           kernel_initializer=k.initializers.Constant(W[:3]))
    layer(tf.ones((1, 3)))
    assert len(layer.losses) == 1


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_orthogonal_regularizer_gradient(mode):
    reg = k.regularizers.OrthogonalRegularizer(0.3, mode=mode)
    # random weights: W's columns 1 and 2 are orthogonal, where |cos| has no derivative
    w = np.random.default_rng(0).uniform(-1.0, 1.0, size=(4, 3))
    check_grad(lambda x: reg(x), w)


# -- keras.Function -----------------------------------------------------------------------------
def test_function_runs_its_graph():
    k.backend.clear_session()
    i = k.Input((3,), name="x")
    o = k.layers.Dense(2, kernel_initializer="ones", name="dense")(i)
    f = k.Function(i, o, name="fn")
    assert f.name == "fn" and repr(f) == "<Operation name=fn>"
    assert [op.name for op in f.operations] == ["x", "dense"]
    assert len(f.inputs) == 1 and tuple(f.outputs[0].shape) == (None, 2)
    np.testing.assert_array_equal(f(np.ones((2, 3), np.float32)).numpy(), [[3.0, 3.0]] * 2)
    spec = f.compute_output_spec(k.KerasTensor((5, 3)))
    assert isinstance(spec, k.KerasTensor) and tuple(spec.shape) == (5, 2)
    assert f.compute_output_shape((5, 3)) == (5, 2)
    # Keras 3.15: auto names 'function', 'function_1'; a model is a Function
    assert (k.Function(i, o).name, k.Function(i, o).name) == ("function", "function_1")
    model = k.Model(i, o)
    assert model.name == "functional"
    assert isinstance(model, k.Function)


def test_function_structures():
    i = k.Input((3,))
    i2 = k.Input((2,))
    o = k.layers.Dense(2, kernel_initializer="ones")(i)
    f = k.Function([i, i2], {"a": o, "b": i2})
    out = f([np.ones((1, 3), np.float32), np.ones((1, 2), np.float32)])
    assert sorted(out) == ["a", "b"]
    np.testing.assert_array_equal(np.asarray(out["a"]), [[3.0, 3.0]])
    np.testing.assert_array_equal(np.asarray(out["b"]), [[1.0, 1.0]])


# -- keras.quantizers ---------------------------------------------------------------------------
X = np.array([[1.0, -2.0, 0.5], [0.1, 0.2, -0.3]], np.float32)


def test_abs_max_quantize():
    Q = k.quantizers
    q, s = Q.abs_max_quantize(tf.constant(X), axis=-1)
    assert q.dtype == tf.int8 and s.dtype == tf.float32
    assert q.numpy().tolist() == [[64, -127, 32], [42, 85, -127]]
    np.testing.assert_array_equal(s.numpy(), np.array([[63.5], [423.33319091796875]],
                                                      np.float32))
    q, s = Q.abs_max_quantize(tf.constant(X), axis=0, value_range=(-7, 7))
    assert q.numpy().tolist() == [[7, -7, 7], [1, 1, -4]]
    np.testing.assert_array_equal(
        s.numpy(), np.array([[6.999999046325684, 3.5, 13.99999713897705]], np.float32))
    q, s = Q.abs_max_quantize(np.array([0.0, 0.0]), axis=0)
    assert q.numpy().tolist() == [0, 0] and s.numpy().tolist() == [1270000000.0]
    q, s = Q.abs_max_quantize(tf.constant([1.0, 2.0], tf.float64), axis=0)
    assert q.numpy().tolist() == [63, 127] and s.numpy().tolist() == [63.49999682500017]
    q, _ = Q.abs_max_quantize(tf.constant([2.5, -2.5, 1.5]), axis=0, value_range=(-5, 5),
                              epsilon=0.0)
    assert q.numpy().tolist() == [5, -5, 3]


def test_quantizer_classes():
    Q = k.quantizers
    assert k.Quantizer is Q.Quantizer
    assert Q.Quantizer()(3) == 3
    with pytest.raises(NotImplementedError, match="does not implement get_config()"):
        Q.Quantizer().get_config()
    a = Q.AbsMaxQuantizer(axis=-1)
    assert a.get_config() == {"value_range": (-127, 127), "epsilon": 1e-07,
                              "output_dtype": "int8", "axis": (-1,)}
    q, s = a(tf.constant(X))
    assert q.numpy().tolist() == [[64, -127, 32], [42, 85, -127]]
    q, _ = Q.AbsMaxQuantizer(axis=0, output_dtype="int16", value_range=(-100, 100))(
        tf.constant(X))
    assert q.dtype == tf.int16 and q.numpy().tolist() == [[100, -100, 100], [10, 10, -60]]
    assert Q.serialize(a) == {"module": "keras.quantizers", "class_name": "AbsMaxQuantizer",
                              "config": a.get_config(), "registered_name": None}
    back = Q.deserialize(Q.serialize(Q.AbsMaxQuantizer(axis=1)))
    assert back.get_config()["axis"] == (1,)
    assert isinstance(Q.get("abs_max_quantizer"), Q.AbsMaxQuantizer)
    assert Q.get({"class_name": "AbsMaxQuantizer", "config": {"axis": 0}}).axis == (0,)
    with pytest.raises(ValueError, match="Could not interpret quantizer identifier: foo"):
        Q.get("foo")
