"""tf.keras's legacy ``RandomHeight``/``RandomWidth`` (Keras 3's ``keras._legacy.layers``):
a random height or width factor in training, the identity in inference, Keras's config and
errors, and ``.keras`` files under Keras's legacy module name."""
import json
import zipfile

import numpy as np
import pytest

import tapeflow as tf

L = tf.keras.layers
X = np.arange(2 * 8 * 6 * 3, dtype="float32").reshape(2, 8, 6, 3)


@pytest.mark.parametrize("cls,axis", [(L.RandomHeight, 1), (L.RandomWidth, 2)])
def test_a_fixed_factor_resizes_one_axis_as_tf_image_resize(cls, axis):
    layer = cls((0.5, 0.5), interpolation="nearest")
    out = layer(X, training=True)
    size = [8, 6]
    size[axis - 1] = int(1.5 * size[axis - 1])  # truncated, as Keras casts to int32
    assert out.shape == (2, *size, 3) and out.dtype == tf.float32
    np.testing.assert_array_equal(out.numpy(),
                                  tf.image.resize(X, size, method="nearest").numpy())
    np.testing.assert_array_equal(layer(X, training=False).numpy(), X)


def test_random_factors_stay_in_range_and_repeat_with_a_seed():
    sizes = {L.RandomHeight((-0.5, 0.5), seed=4)(X, training=True).shape[1] for _ in range(1)}
    a = [L.RandomWidth(0.4, seed=7)(X, training=True).shape[2] for _ in range(3)]
    b = [L.RandomWidth(0.4, seed=7)(X, training=True).shape[2] for _ in range(3)]
    assert a == b  # one seed, one sequence of sizes
    layer = L.RandomWidth(0.4, seed=2)
    widths = {layer(X, training=True).shape[2] for _ in range(40)}
    assert widths <= set(range(3, 9)) and len(widths) > 1  # int(6 * U(0.6, 1.4))
    assert sizes <= set(range(4, 13))


def test_config_errors_and_output_shape():
    layer = L.RandomHeight(0.3, interpolation="bicubic", seed=1)
    config = layer.get_config()
    assert {k: config[k] for k in ("factor", "interpolation", "seed")} == {
        "factor": 0.3, "interpolation": "bicubic", "seed": 1}
    assert L.RandomHeight.from_config(config).get_config() == config
    assert layer.compute_output_shape((None, 8, 6, 3)) == (None, None, 6, 3)
    assert L.RandomWidth(0.1).compute_output_shape((None, 8, 6, 3)) == (None, 8, None, 3)
    with pytest.raises(ValueError, match="cannot have an upper bound lesser than the lower"):
        L.RandomHeight((0.3, 0.1))
    with pytest.raises(ValueError, match="must have values larger than -1"):
        L.RandomWidth((-1.5, 0.1))


def test_saved_under_kerass_legacy_module(tmp_path):
    model = tf.keras.Sequential([tf.keras.Input((8, 6, 3)), L.RandomHeight(0.3, seed=1)])
    path = tmp_path / "m.keras"
    model.save(path)
    config = json.loads(zipfile.ZipFile(path).read("config.json"))
    assert config["config"]["layers"][1]["module"] == "keras._legacy.layers"
    again = tf.keras.models.load_model(path)
    assert isinstance(again.layers[0], L.RandomHeight) and again.layers[0].factor == 0.3
    np.testing.assert_array_equal(again.predict(X, verbose=0), X)  # inference: unchanged
