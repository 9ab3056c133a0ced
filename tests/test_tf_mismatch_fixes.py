"""Fixes of known differences from TF 2.21 / Keras 3.15: the CTC beam search decoder's
paths, ``reduce_std``/``reduce_variance`` of integers, ``DTypePolicy`` names, layers' default
``data_format``, ``tf.constant``/``tf.ragged.constant`` of lists with an empty first
element, and ``tf.test.benchmark_config``. Every expected value was recorded from TF 2.21
(tensorflow-cpu) and Keras 3.15.1."""
import json
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CTC_CASES = json.loads((FIXTURES / "ctc_beam_2_21.json").read_text())["cases"]


# -- ctc_beam_search_decoder ---------------------------------------------------------------
@pytest.mark.parametrize("case", CTC_CASES, ids=[f"case{i}" for i in range(len(CTC_CASES))])
def test_ctc_beam_search_matches_tf(case):
    decoded, logp = tf.nn.ctc_beam_search_decoder(
        np.array(case["x"], np.float32), np.array(case["L"], np.int32),
        beam_width=case["bw"], top_paths=case["tp"])
    assert len(decoded) == case["tp"]
    for sp, idx, vals, shape in zip(decoded, case["indices"], case["values"], case["shapes"]):
        assert sp.indices.numpy().reshape(-1, 2).tolist() == idx
        assert sp.values.numpy().tolist() == vals
        assert sp.dense_shape.numpy().tolist() == shape
        assert sp.values.dtype == tf.int64
    assert logp.dtype == tf.float32
    np.testing.assert_allclose(logp.numpy(), case["logp"], atol=2e-5)


def test_ctc_beam_search_second_path_is_not_a_merged_prefix():
    # the reported case: TF's 2nd path is [1, 0] (a prefix that left the beam does not come
    # back with its old probability), the textbook prefix search gave [1, 0, 0]
    case = CTC_CASES[2]
    decoded, logp = tf.nn.ctc_beam_search_decoder(
        np.array(case["x"], np.float32), np.array(case["L"], np.int32), beam_width=3,
        top_paths=3)
    rows = tf.sparse.to_dense(decoded[2], default_value=-1).numpy().tolist()
    assert rows == [[0, 0], [1, 0]]
    np.testing.assert_allclose(logp.numpy(), case["logp"], atol=2e-5)


def test_ctc_beam_search_fewer_leaves_than_paths():
    # TF: 2 classes, one step: the beam holds 2 prefixes, 3 paths asked for
    x = np.array([[[0.5, -0.2]]], np.float32)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Less leaves in the beam search than requested\."):
        tf.nn.ctc_beam_search_decoder(x, [1], beam_width=5, top_paths=3)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"requested more paths than the beam width\. "
                             r"\[Op:CTCBeamSearchDecoder\]"):
        tf.nn.ctc_beam_search_decoder(x, [1], beam_width=1, top_paths=2)


def test_ctc_beam_search_zero_length_sequence():
    x = np.zeros((3, 2, 3), np.float32)
    decoded, logp = tf.nn.ctc_beam_search_decoder(x, [0, 3], beam_width=4, top_paths=1)
    assert decoded[0].indices.numpy().tolist() == [[1, 0]]  # row 0 decodes to nothing
    assert decoded[0].values.numpy().tolist() == [0]
    np.testing.assert_allclose(logp.numpy(), [[0.0], [-1.504077434539795]], atol=1e-6)


# -- reduce_std / reduce_variance of integers ---------------------------------------------
@pytest.mark.parametrize("fn", [tf.math.reduce_std, tf.math.reduce_variance])
@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "int8", "int16", "uint16",
                                   "uint32"])
def test_reduce_std_variance_of_integers_type_error(fn, dtype):
    x = tf.constant([1, 2], dtype)
    with pytest.raises(TypeError) as info:
        fn(x)
    assert str(info.value) == ("Input must be either real or complex. Received integer type "
                               f"<dtype: '{dtype}'>.")


@pytest.mark.parametrize("fn", [tf.math.reduce_std, tf.math.reduce_variance])
def test_reduce_std_variance_python_ints_and_bool(fn):
    with pytest.raises(TypeError, match=r"Received integer type <dtype: 'int32'>\.$"):
        fn([1, 2, 3])
    with pytest.raises(TypeError, match=r"Received integer type <dtype: 'int64'>\.$"):
        fn(np.array([1, 2]))
    # TF: bool and string reach the Mean kernel, which refuses them
    with pytest.raises(tf.errors.InvalidArgumentError, match="Value for attr 'T' of bool"):
        fn(tf.constant([True]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Value for attr 'T' of string"):
        fn(tf.constant(["a"]))


def test_reduce_std_variance_values():
    np.testing.assert_allclose(tf.math.reduce_std(tf.constant([1 + 2j, 3j])).numpy(),
                               0.7071067811865476)
    assert tf.math.reduce_std(tf.constant([1 + 2j, 3j])).dtype == tf.float64
    np.testing.assert_allclose(tf.math.reduce_variance(tf.constant([1.0, 2.0],
                                                                   tf.float16)).numpy(), 0.25)


# -- DTypePolicy names --------------------------------------------------------------------
ONE_DTYPE = ["float16", "float32", "float64", "bfloat16", "float8_e4m3fn", "float8_e5m2",
             "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool",
             "string", "complex64", "complex128"]
REFUSED = ["int4", "uint4", "float", "double", "half", "float8_e4m3fnuz", "mixed_float32",
           "mixed_float64", "mixed_int32", "mixed_int8", "mixed_bool", "Float32", "foo", "",
           "None", "int8_from_float32", "float32_from_int8"]
CTORS = [lambda n: tf.keras.mixed_precision.DTypePolicy(n),
         lambda n: tf.keras.DTypePolicy(n), lambda n: tf.keras.mixed_precision.Policy(n),
         lambda n: tf.keras.dtype_policies.DTypePolicy(n)]


@pytest.mark.parametrize("make", CTORS)
@pytest.mark.parametrize("name", ONE_DTYPE)
def test_dtype_policy_accepts_keras_dtype_names(make, name):
    p = make(name)
    assert (repr(p), p.name, p.compute_dtype, p.variable_dtype) == \
        (f'<DTypePolicy "{name}">', name, name, name)
    assert p.get_config() == {"name": name}


@pytest.mark.parametrize("make", CTORS)
def test_dtype_policy_int_mixed_and_default(make):
    p = make("int")  # Keras: "int" is int64
    assert (repr(p), p.name, p.compute_dtype, p.variable_dtype) == \
        ('<DTypePolicy "int">', "int", "int64", "int64")
    p = make("mixed_float16")
    assert (p.name, p.compute_dtype, p.variable_dtype) == ("mixed_float16", "float16",
                                                          "float32")
    p = make("mixed_bfloat16")
    assert (p.compute_dtype, p.variable_dtype) == ("bfloat16", "float32")
    assert make(None).name == "float32"


@pytest.mark.parametrize("make", CTORS)
@pytest.mark.parametrize("name", REFUSED)
def test_dtype_policy_refused_names(make, name):
    with pytest.raises(ValueError) as info:
        make(name)
    assert str(info.value) == (
        f"Cannot convert '{name}' to a mixed precision DTypePolicy. Valid policies include "
        "'mixed_float16', 'mixed_bfloat16', and the name of any float dtype such as "
        "'float32'.")


def test_dtype_policy_non_string():
    with pytest.raises(TypeError, match=r"'name' must be a string, such as 'mixed_float16'\. "
                                        r"Received: name=3 \(of type <class 'int'>\)"):
        tf.keras.DTypePolicy(3)


def test_int_policy_layer_and_global():
    layer = tf.keras.layers.Dense(2, dtype="int32")
    assert (layer.dtype, layer.compute_dtype, repr(layer.dtype_policy)) == \
        ("int32", "int32", '<DTypePolicy "int32">')
    policy = tf.keras.DTypePolicy("int32")
    assert repr(tf.keras.DTypePolicy.from_config(policy.get_config())) == '<DTypePolicy "int32">'
    try:
        tf.keras.mixed_precision.set_global_policy("int32")
        assert repr(tf.keras.mixed_precision.global_policy()) == '<DTypePolicy "int32">'
    finally:
        tf.keras.mixed_precision.set_global_policy("float32")


# -- the default data_format follows keras.config.image_data_format() -------------------------
@pytest.fixture
def channels_first():
    tf.keras.config.set_image_data_format("channels_first")
    try:
        yield
    finally:
        tf.keras.config.set_image_data_format("channels_last")


LAYERS = [lambda L: L.Conv2D(2, 3), lambda L: L.Conv1D(2, 3), lambda L: L.Conv3D(2, 3),
          lambda L: L.Conv2DTranspose(2, 3), lambda L: L.SeparableConv2D(2, 3),
          lambda L: L.DepthwiseConv2D(3), lambda L: L.MaxPooling2D(),
          lambda L: L.AveragePooling1D(2), lambda L: L.GlobalAveragePooling2D(),
          lambda L: L.UpSampling2D(), lambda L: L.ZeroPadding2D(), lambda L: L.Cropping2D(),
          lambda L: L.SpatialDropout2D(0.1), lambda L: L.Resizing(2, 2),
          lambda L: L.ConvLSTM2D(2, 3), lambda L: L.STFTSpectrogram()]


@pytest.mark.parametrize("make", LAYERS)
def test_layers_default_to_image_data_format(make, channels_first):
    assert tf.keras.config.image_data_format() == "channels_first"
    assert tf.keras.backend.image_data_format() == "channels_first"
    assert make(tf.keras.layers).data_format == "channels_first"


@pytest.mark.parametrize("make", LAYERS)
def test_layers_default_channels_last(make):
    assert make(tf.keras.layers).data_format == "channels_last"


def test_conv2d_channels_first_by_setting(channels_first):
    layer = tf.keras.layers.Conv2D(2, 3)
    y = layer(np.ones((1, 1, 5, 6), np.float32))
    assert tuple(y.shape) == (1, 2, 3, 4)  # Keras 3.15's shape
    assert layer.get_config()["data_format"] == "channels_first"
    tf.keras.config.set_image_data_format("channels_last")
    assert layer.data_format == "channels_first"  # fixed when the layer was made


def test_data_format_argument_checks():
    assert tf.keras.layers.Conv2D(2, 3, data_format="Channels_First").data_format == \
        "channels_first"
    with pytest.raises(ValueError) as info:
        tf.keras.layers.Conv2D(2, 3, data_format="NCHW")
    assert str(info.value) == ("The `data_format` argument must be one of {'channels_first', "
                               "'channels_last'}. Received: data_format=nchw")


# -- tf.constant / tf.ragged.constant with an empty first element ---------------------------
EMPTY_FIRST = [
    ([[], [np.float64(1)]], None, (2, 0)), ([[], [np.float32(1)]], None, (2, 0)),
    ([[], [np.int64(1)]], None, (2, 0)), ([[], [np.bool_(True)]], None, (2, 0)),
    ([[], [np.complex128(1)]], None, (2, 0)), ([[], [1.0]], None, (2, 0)),
    ([[], [1.0, 2.0]], None, (2, 0)), ([[], [[1]]], None, (2, 0)), ([[], 1], None, (2, 0)),
    ([[], [1], []], None, (3, 0)), ([[], [], [1]], None, (3, 0)),
    ([[[], []], [[1.0], [2.0]]], None, (2, 2, 0)), ([[[]], [[1.0, 2.0]]], None, (2, 1, 0)),
    ([[], ["a"]], None, (2, 0)), ([[], [None]], None, (2, 0)), ([[], {}], None, (2, 0)),
    ([[], (1.0,)], None, (2, 0)), ([(), [1.0]], None, (2, 0)),
    ([[], np.array([1.0])], None, (2, 0)), ([np.zeros(0), [1.0]], None, (2, 0)),
    ([[], [1.0]], "int32", (2, 0)), ([[], [1.0]], "float64", (2, 0)),
    ([[], [np.float64(1)]], "int32", (2, 0)),
]


@pytest.mark.parametrize("value,dtype,shape", EMPTY_FIRST)
def test_constant_empty_first_element(value, dtype, shape):
    # TF reads the shape along the first elements; with a 0 in it, it looks no further
    t = tf.constant(value, dtype=dtype)
    assert t.dtype.name == (dtype or "float32")
    assert tuple(t.shape) == shape
    assert t.numpy().size == 0


def test_constant_empty_first_with_tensor():
    t = tf.constant([tf.zeros([0]), [1.0]])
    assert (t.dtype, tuple(t.shape)) == (tf.float32, (2, 0))
    t = tf.constant([[], tf.constant([1.0])])
    assert (t.dtype, tuple(t.shape)) == (tf.float32, (2, 0))


@pytest.mark.parametrize("value", [[[1.0], []], [[np.float64(1)], [np.float64(2),
                                                                   np.float64(3)]],
                                   [[1, 2], [3]], [[[1]], [2]]])
def test_constant_non_rectangular_message(value):
    with pytest.raises(ValueError) as info:
        tf.constant(value)
    assert str(info.value) == "Can't convert non-rectangular Python sequence to Tensor."


RAGGED = [
    ([[], [np.float64(1)]], "float64"), ([[], [np.float32(1)]], "float32"),
    ([[], [np.int64(1)]], "int32"), ([[], [np.int32(1)]], "int32"),
    ([[], [np.int8(1)]], "int32"), ([[], [np.bool_(True)]], "bool"),
    ([[], [np.float16(1)]], "float16"), ([[], [np.uint8(1)]], "int32"),
    ([[], [np.complex128(1)]], "complex128"), ([[], [1.0]], "float32"), ([[], [1]], "int32"),
    ([[[]], [[np.float64(1)]]], "float64"), ([[], [np.float64(1), 2]], "float64"),
    ([[np.int32(1)], [np.float64(2.5)]], "float32"), ([[], []], "float32"),
    ([[], np.array([1.0])], "float64"), ([[1.0], np.array([2.0])], "float32"),
    ([np.array([1, 2], np.int64), []], "int32"),
    ([np.array([1.5], np.float16), [2.0, 3.0]], "float16"),
    (np.array([[1.0], [2.0]]), "float64"), ([np.array([[1.0, 2.0]]), []], "float64"),
    ([[], [np.float16(1), 2.0]], "float16"), ([[], [np.int64(2 ** 40)]], "int64"),
    ([np.array([True]), []], "bool"), ([[], np.array([1 + 1j])], "complex128"),
    ([[], np.array(["a"])], "string"),
]


@pytest.mark.parametrize("value,dtype", RAGGED)
def test_ragged_constant_numpy_values_dtype(value, dtype):
    r = tf.ragged.constant(value)
    assert r.dtype.name == dtype
    want = [np.asarray(row).tolist() for row in value]
    got = r.to_list()
    if dtype == "string":
        want = [[s.encode() for s in row] for row in want]
    assert got == want


def test_ragged_constant_empty_first_with_dtype():
    r = tf.ragged.constant([[], [np.float64(1)]], dtype="float64")
    assert (r.dtype, r.to_list()) == (tf.float64, [[], [1.0]])
    with pytest.raises(TypeError, match=r"Cannot convert \[np.float64\(1.0\)\] to EagerTensor "
                                        "of dtype int32"):
        tf.ragged.constant([[], [np.float64(1)]], dtype="int32")


# -- tf.test.benchmark_config ---------------------------------------------------------------
def test_benchmark_config():
    config = tf.test.benchmark_config()
    assert type(config).__name__ == "ConfigProto"
    text = "graph_options {\n  rewrite_options {\n    dependency_optimization: OFF\n  }\n}\n"
    assert str(config) == text and repr(config) == text
    options = config.graph_options.rewrite_options
    assert options.dependency_optimization == options.OFF == 2
    assert config.SerializeToString() == b"R\x04R\x02@\x02"
    assert config.HasField("graph_options") and not config.HasField("gpu_options")
    assert config == tf.test.benchmark_config()


# -- parity with the reference, where it is installed ----------------------------------------
def test_ctc_matches_installed_tf_on_random_inputs():
    rtf = pytest.importorskip("tensorflow")
    for seed in range(40):
        rng = np.random.default_rng(seed)
        t, b, c = rng.integers(1, 10), rng.integers(1, 3), rng.integers(2, 6)
        x = (rng.normal(size=(t, b, c)) * 2).astype(np.float32)
        lens = rng.integers(1, t + 1, size=b).astype(np.int32)
        bw = int(rng.integers(2, 9))
        top = int(rng.integers(1, min(bw, 2) + 1))
        try:
            want, want_p = rtf.nn.ctc_beam_search_decoder(x, lens, beam_width=bw, top_paths=top)
        except rtf.errors.InvalidArgumentError:
            with pytest.raises(tf.errors.InvalidArgumentError):
                tf.nn.ctc_beam_search_decoder(x, lens, beam_width=bw, top_paths=top)
            continue
        got, got_p = tf.nn.ctc_beam_search_decoder(x, lens, beam_width=bw, top_paths=top)
        np.testing.assert_allclose(got_p.numpy(), want_p.numpy(), atol=1e-4)
        for g, w in zip(got, want):
            assert g.values.numpy().tolist() == w.values.numpy().tolist()
