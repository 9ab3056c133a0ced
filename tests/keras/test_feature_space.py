"""keras.utils.FeatureSpace against outputs recorded from Keras 3.15.1 (TF 2.21) on a small
dataset: every feature kind, a hashed cross, "dict" and "concat" modes, one unbatched sample,
the symbolic inputs and encoded features, config round trips, save/load_model and errors."""
import zipfile

import numpy as np
import pytest

import tapeflow as tf

FS = tf.keras.utils.FeatureSpace
DATA = {"f": np.array([1.0, 2.0, 3.0, 4.0, 10.0], "float32"),
        "n": np.array([0.0, 1.0, 2.0, 3.0, 4.0], "float32"),
        "i": np.array([1, 2, 2, 5, 1], "int64"),
        "s": np.array(["a", "b", "a", "c", "b"]),
        "h": np.array(["x", "y", "z", "x", "y"]),
        "d": np.array([0.1, 0.5, 0.9, 0.3, 0.7], "float32"),
        "r": np.array([0., 1., 2., 3., 4.], "float32"),
        "k": np.array([1, 2, 2, 5, 1], "int64")}
R2 = 0.7071067690849304
# Keras 3.15.1's dict output for the feature space of _space() below
EXPECTED = {
    "d": [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 0], [0, 0, 1]],
    "f": [[1.0], [2.0], [3.0], [4.0], [10.0]],
    "h": [[0, 0, 1, 0], [0, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0]],
    "i": [[0, 0, 1, 0], [0, 1, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]],
    "k": [[1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 1, 0], [1, 0, 0]],
    "n": [[-2 * R2], [-R2], [0.0], [R2], [2 * R2]],
    "r": [[1.0], [3.0], [5.0], [7.0], [9.0]],
    "s": [[0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 1, 0, 0]],
    "s_X_i": [[0, 0, 0, 1, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 0, 0, 0],
              [0, 1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1, 0, 0]]}


def _space(output_mode="dict", crosses=True):
    return FS(features={"f": "float", "n": "float_normalized", "i": "integer_categorical",
                        "s": "string_categorical", "h": FS.string_hashed(num_bins=4),
                        "d": FS.float_discretized(num_bins=3),
                        "r": FS.float_rescaled(scale=2.0, offset=1.0),
                        "k": FS.integer_hashed(num_bins=3)},
              crosses=[FS.cross(("s", "i"), crossing_dim=8)] if crosses else None,
              output_mode=output_mode)


def _dataset():
    return tf.data.Dataset.from_tensor_slices(DATA).batch(2)


def test_dict_output_matches_keras():
    fs = _space()
    fs.adapt(_dataset())
    out = fs(DATA)
    assert list(out) == sorted(EXPECTED)
    for k, v in EXPECTED.items():
        assert out[k].dtype == tf.float32, k
        np.testing.assert_allclose(out[k].numpy(), v, atol=1e-6, err_msg=k)


def test_concat_output_and_one_sample():
    fs = _space("concat")
    fs.adapt(_dataset())
    out = fs(DATA)
    assert out.dtype == tf.float32 and out.shape == (5, 29)
    expected = np.concatenate([np.array(EXPECTED[k], "float32") for k in sorted(EXPECTED)], -1)
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-6)
    one = fs({k: v[3] for k, v in DATA.items()})  # scalars: an unbatched sample
    assert one.shape == (29,)
    np.testing.assert_allclose(one.numpy(), expected[3], atol=1e-6)
    fs = _space("dict")
    fs.adapt(_dataset())
    one = fs({k: v[3] for k, v in DATA.items()})
    assert one["i"].numpy().tolist() == [0, 0, 0, 1] and one["f"].numpy().tolist() == [4.0]


def test_int_output_mode_and_oov_indices():
    cols = {k: DATA[k] for k in "isf"}
    fs = FS(features={"i": FS.integer_categorical(output_mode="int"),
                      "s": FS.string_categorical(num_oov_indices=2, max_tokens=3), "f": "float"},
            output_mode="dict")
    fs.adapt(tf.data.Dataset.from_tensor_slices(cols).batch(2))
    out = fs(cols)
    assert out["i"].dtype == tf.int64 and out["i"].numpy().ravel().tolist() == [2, 1, 1, 3, 2]
    assert out["s"].numpy().tolist() == [[0, 1, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0], [0, 0, 1]]
    fs = FS(features={"i": FS.integer_categorical(output_mode="int"), "f": "float"})
    fs.adapt(tf.data.Dataset.from_tensor_slices(cols).batch(2))
    with pytest.raises(ValueError) as e:
        fs(cols)
    assert str(e.value) == ("Cannot concatenate features because feature 'i' has not been "
                            "encoded (it has dtype int64). Consider using `output_mode='dict'`.")


def test_symbolic_inputs_and_functional_model():
    fs = _space("concat", crosses=False)
    with pytest.raises(ValueError) as e:
        fs.get_inputs()
    assert str(e.value) == ("You need to call `.adapt(dataset)` on the FeatureSpace before "
                            "you can start using it.")
    fs.adapt(_dataset())
    inputs = fs.get_inputs()
    assert sorted(inputs) == sorted(DATA)
    assert inputs["s"].dtype == tf.string and tuple(inputs["i"].shape) == (None, 1)
    assert inputs["i"].dtype == tf.int32
    assert tuple(fs.get_encoded_features().shape) == (None, 21)
    model = tf.keras.Model(inputs, tf.keras.layers.Dense(1, kernel_initializer="ones")(
        fs(inputs)))
    batch = {k: v[:, None] for k, v in DATA.items()}
    np.testing.assert_allclose(model(batch).numpy().ravel(), fs(DATA).numpy().sum(1),
                               rtol=1e-6)


def test_configs_preprocessors_and_errors():
    fs = _space()
    config = fs.get_config()
    assert sorted(config) == ["crosses", "crossing_dim", "features", "hashing_dim",
                              "num_discretization_bins", "output_mode"]
    feat = config["features"]["h"]
    assert feat["class_name"] == "Feature" and feat["config"]["dtype"] == "string"
    assert feat["config"]["output_mode"] == "one_hot"
    assert feat["config"]["preprocessor"]["config"]["name"] == "string_hashed_preprocessor" \
        or feat["config"]["preprocessor"]["config"]["name"].startswith("string_hashed_")
    assert config["features"]["i"]["config"]["preprocessor"]["config"]["name"] == \
        "i_preprocessor"
    assert config["features"]["i"]["config"]["dtype"] == "int32"
    assert config["crosses"][0]["config"] == {"feature_names": ("s", "i"), "crossing_dim": 8,
                                              "output_mode": "one_hot"}
    again = FS.from_config(config)
    with pytest.raises(ValueError, match="You need to call `.adapt"):
        again(DATA)  # as in Keras: a config holds no adapted state
    again.adapt(_dataset())
    np.testing.assert_allclose(again(DATA)["s_X_i"].numpy(), EXPECTED["s_X_i"])
    assert FS(features={"i": "integer_categorical", "s": "string_categorical"},
              crosses=[("i", "s")]).crosses[0].name == "i_X_s"
    with pytest.raises(ValueError) as e:
        FS(features={"i": "integer_categorical"}, output_mode="foo")
    assert str(e.value) == ("Invalid value for argument `output_mode`. Expected one of "
                            "{'dict', 'concat'}. Received: output_mode=foo")
    for bad in ("foo", 3):
        with pytest.raises(ValueError) as e:
            FS(features={"i": bad})
        assert str(e.value) == f"Invalid feature type: {bad}"
    with pytest.raises(ValueError) as e:
        FS(features={"i": "integer_categorical"}, crosses=[("i", "zz")])
    assert str(e.value) == ("All features referenced in the `crosses` argument should be "
                            "present in the `features` dict. Received unknown features: "
                            "('i', 'zz')")
    with pytest.raises(ValueError) as e:
        FS.feature(dtype="float32", preprocessor=tf.keras.layers.Identity(), output_mode="foo")
    assert str(e.value) == ("Invalid value for argument `output_mode`. Expected one of "
                            "{'int', 'one_hot', 'float'}. Received: output_mode=foo")
    assert FS.float(name="zz").preprocessor.name == "zz_preprocessor"


def test_save_and_load_model(tmp_path):
    fs = _space("concat")
    fs.adapt(_dataset())
    path = tmp_path / "fs.keras"
    fs.save(str(path))
    with zipfile.ZipFile(path) as z:
        assert {"config.json", "metadata.json"} <= set(z.namelist())
    loaded = tf.keras.saving.load_model(str(path))
    assert isinstance(loaded, FS)
    np.testing.assert_allclose(loaded(DATA).numpy(), fs(DATA).numpy(), atol=1e-6)
    with pytest.raises(ValueError) as e:
        fs.save(str(tmp_path / "fs.h5"))
    assert str(e.value) == ("Invalid `filepath` argument: expected a `.keras` extension. "
                            f"Received: filepath={tmp_path / 'fs.h5'}")


def test_adapt_on_a_dict_of_arrays_and_docstrings():
    fs = FS(features={"x": "float_normalized"})
    fs.adapt({"x": np.array([1.0, 3.0], "float32")})
    np.testing.assert_allclose(fs({"x": np.array([1.0, 3.0], "float32")}).numpy(),
                               [[-1.0], [1.0]], atol=1e-6)
    import doctest

    from tapeflow.keras.utils import feature_space

    test = doctest.DocTestParser().get_doctest(feature_space.__doc__, {}, "fs", None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0
    for name in ("float", "float_normalized", "float_rescaled", "float_discretized",
                 "integer_categorical", "string_categorical", "string_hashed",
                 "integer_hashed", "feature", "cross", "adapt", "get_inputs",
                 "get_encoded_features", "get_config", "from_config", "save"):
        assert getattr(FS, name).__doc__, name


def test_built_flag_and_a_file_without_adapted_state(tmp_path):
    import json

    fs = FS(features={"n": "float_normalized", "s": "string_categorical"})
    assert repr(fs).endswith("built=False>") and not fs.built
    spec = {"module": "keras.utils", "class_name": "FeatureSpace", "config": fs.get_config(),
            "registered_name": None}
    path = tmp_path / "keras_written.keras"  # state kept outside config.json, as Keras does
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("config.json", json.dumps(spec, default=list))
        z.writestr("metadata.json", "{}")
    with pytest.raises(ValueError, match="adapt it again"):
        tf.keras.saving.load_model(str(path))
    fs.adapt({"n": np.array([1.0, 2.0], "float32"), "s": np.array(["a", "b"])})
    assert fs.built
