"""Keras 3's image preprocessing layers: values against Keras 3.15 (recorded in
``fixtures/keras_image_preprocessing.json``), the random layers' structure, configs, saving,
models and ``Dataset.map``."""
import json
import os

import numpy as np
import pytest

import tapeflow as tf
from tests.fixtures.keras_image_preprocessing_cases import CASES, IMG, IMG8, record

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "fixtures")
with open(os.path.join(FIX, "keras_image_preprocessing.json")) as f:
    RECORDED = json.load(f)["cases"]
L = tf.keras.layers


@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_matches_keras(name, fn):
    want, got = RECORDED[name], record(tf, fn)
    if "error" in want:
        assert got == want, name
        return
    assert "error" not in got, (name, got)
    for g, w in zip(got.get("items", [got]), want.get("items", [want]), strict=True):
        assert (g["dtype"], g["shape"]) == (w["dtype"], w["shape"]), name
        if name.startswith("dtype_"):  # random values: the dtype and shape only
            continue
        np.testing.assert_allclose(g["values"], w["values"], rtol=1e-4, atol=2e-3,
                                   err_msg=name)


# -- the random layers' structure ------------------------------------------------------------
RANDOM = [
    ("RandomFlip", {}), ("RandomRotation", {"factor": 0.2}), ("RandomZoom", {"height_factor": 0.3}),
    ("RandomTranslation", {"height_factor": 0.2, "width_factor": 0.2}),
    ("RandomContrast", {"factor": 0.5}), ("RandomBrightness", {"factor": 0.3}),
    ("RandomCrop", {"height": 3, "width": 4}), ("Solarization", {"threshold_factor": 0.5}),
    ("RandomGrayscale", {}), ("RandomInvert", {"factor": 0.5}), ("RandomHue", {"factor": 0.3}),
    ("RandomSaturation", {"factor": 0.3}), ("RandomPosterization", {"factor": (2, 6)}),
    ("RandomSharpness", {"factor": 0.4}), ("RandomShear", {"x_factor": 0.3, "y_factor": 0.3}),
    ("RandomColorDegeneration", {"factor": 0.5}), ("MixUp", {}), ("CutMix", {}),
    ("RandomErasing", {}), ("RandomGaussianBlur", {}), ("RandomPerspective", {}),
    ("RandomColorJitter", {"brightness_factor": 0.2, "contrast_factor": 0.3,
                           "saturation_factor": 0.3, "hue_factor": 0.2}),
    ("RandAugment", {"num_ops": 3}), ("AugMix", {}), ("RandomElasticTransform", {}),
]
ALL = RANDOM + [("Resizing", {"height": 3, "width": 4}), ("CenterCrop", {"height": 3, "width": 4}),
                ("AutoContrast", {}), ("Equalization", {}),
                ("MaxNumBoundingBoxes", {"max_number": 3}),
                ("ContrastLimitedAdaptiveHistogramEqualization", {"tile_grid_size": (2, 2)}),
                ("Pipeline", {"layers": [L.RandomFlip(seed=1), L.Resizing(3, 3)]})]
BATCH = np.random.default_rng(3).uniform(0, 255, (6, 5, 6, 3)).astype("float32")


@pytest.mark.parametrize("name,kw", RANDOM, ids=[c[0] for c in RANDOM])
def test_random_layer_is_seeded_and_identity_in_inference(name, kw):
    cls = getattr(L, name)
    a, b = cls(seed=11, **kw), cls(seed=11, **kw)
    out_a, out_b = a(BATCH, training=True).numpy(), b(BATCH, training=True).numpy()
    np.testing.assert_array_equal(out_a, out_b)  # same seed: the same draws
    again = a(BATCH, training=True).numpy()
    assert out_a.shape == again.shape
    assert not np.array_equal(out_a, again) or name == "RandomGrayscale"  # a fresh draw
    np.testing.assert_array_equal(a(BATCH, training=False).numpy(), BATCH)
    if name != "MixUp":  # one image mixes with itself
        assert a(BATCH[0], training=True).shape == out_a.shape[1:]  # one image
    assert out_a.dtype == np.float32 and np.isfinite(out_a).all()


def test_flip_flips_each_image_or_leaves_it():
    out = L.RandomFlip("horizontal", seed=2)(BATCH, training=True).numpy()
    flipped = [np.array_equal(o, x[:, ::-1]) for o, x in zip(out, BATCH)]
    kept = [np.array_equal(o, x) for o, x in zip(out, BATCH)]
    assert all(f or k for f, k in zip(flipped, kept)) and any(flipped) and any(kept)
    out = L.RandomFlip("vertical", seed=4)(BATCH, training=True).numpy()
    assert all(np.array_equal(o, x) or np.array_equal(o, x[::-1]) for o, x in zip(out, BATCH))


def test_zero_factors_are_the_identity():
    for layer in (L.RandomRotation(0.0), L.RandomZoom(0.0), L.RandomTranslation(0.0, 0.0),
                  L.RandomShear(0.0, 0.0)):
        np.testing.assert_allclose(layer(BATCH, training=True).numpy(), BATCH, atol=1e-4)


def test_colour_layers_stay_in_value_range():
    for layer in (L.RandomBrightness(0.9, seed=1), L.RandomContrast(0.9, seed=1),
                  L.RandomColorDegeneration(0.9, seed=1),
                  L.RandomSharpness(0.9, seed=1)):
        out = layer(BATCH, training=True).numpy()
        assert out.min() >= -1e-3 and out.max() <= 255 + 1e-3, type(layer).__name__
    out = L.RandomBrightness(0.9, value_range=(0, 1), seed=2)(BATCH / 255, training=True)
    assert 0 <= out.numpy().min() and out.numpy().max() <= 1
    gray = L.RandomGrayscale(1.0)(BATCH, training=True).numpy()
    np.testing.assert_allclose(gray[..., 0], gray[..., 2])


def test_random_crop_window_is_inside_the_image():
    out = L.RandomCrop(3, 4, seed=5)(BATCH, training=True).numpy()
    assert out.shape == (6, 3, 4, 3)
    hits = [(i, j) for i in range(3) for j in range(3)
            if np.array_equal(out, BATCH[:, i:i + 3, j:j + 4])]
    assert len(hits) == 1


@pytest.mark.parametrize("name,kw", ALL, ids=[c[0] for c in ALL])
def test_config_round_trip(name, kw):
    layer = getattr(L, name)(**kw)
    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(config)
    assert json.loads(json.dumps(clone.get_config())) == config
    deser = L.deserialize(L.serialize(layer))
    assert type(deser) is type(layer)


def test_resizing_gradient():
    from tests.gradcheck import check_grad

    # resizing is linear (TF computes it in float32): wide steps, float32 tolerances
    x = np.random.default_rng(0).uniform(size=(1, 4, 5, 2))
    for layer in (L.Resizing(3, 7), L.Resizing(2, 2, crop_to_aspect_ratio=True),
                  L.Resizing(3, 2, pad_to_aspect_ratio=True), L.CenterCrop(2, 3),
                  L.AutoContrast()):
        check_grad(lambda t, layer=layer: layer(t), x, eps=1e-2, rtol=1e-3, atol=1e-4)


def test_random_layers_in_sequential_fit_and_predict():
    tf.keras.utils.set_random_seed(1)
    model = tf.keras.Sequential([
        tf.keras.Input((6, 6, 3)), L.RandomFlip(seed=1), L.RandomRotation(0.1, seed=2),
        L.RandomZoom(0.1, seed=3), L.RandomContrast(0.2, seed=4), L.Resizing(4, 4),
        L.Flatten(), L.Dense(2)])
    model.compile("sgd", "mse")
    x = np.random.default_rng(1).uniform(0, 1, (8, 6, 6, 3)).astype("float32")
    y = np.zeros((8, 2), "float32")
    hist = model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert len(hist.history["loss"]) == 2 and np.isfinite(hist.history["loss"]).all()
    p1, p2 = model.predict(x, verbose=0), model.predict(x, verbose=0)
    np.testing.assert_array_equal(p1, p2)  # inference: no augmentation


def test_traced_call_draws_afresh():
    layer = L.RandomRotation(0.3, seed=7)
    f = tf.function(lambda x: layer(x, training=True))
    a, b = f(BATCH).numpy(), f(BATCH).numpy()
    assert not np.array_equal(a, b)


def test_in_dataset_map():
    layer = L.RandomFlip("horizontal", seed=3)
    resize = L.Resizing(3, 3)
    ds = tf.data.Dataset.from_tensor_slices(BATCH).batch(3).map(
        lambda x: resize(layer(x, training=True)))
    out = [t.numpy() for t in ds]
    assert [o.shape for o in out] == [(3, 3, 3, 3), (3, 3, 3, 3)]


def test_keras_file_from_keras_and_back(tmp_path):
    path = os.path.join(FIX, "keras_image_preprocessing.keras")
    with open(os.path.join(FIX, "keras_image_preprocessing_model.json")) as f:
        want = np.array(json.load(f)["predictions"])
    model = tf.keras.models.load_model(path)
    assert [type(x).__name__ for x in model.layers][:3] == ["Resizing", "RandomFlip",
                                                             "RandomRotation"]
    x = np.pad(IMG[:, :5, :5], [(0, 0), (0, 1), (0, 1), (0, 0)], mode="edge")
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-4, atol=1e-4)
    out = str(tmp_path / "again.keras")
    model.save(out)
    again = tf.keras.models.load_model(out)
    assert again.layers[2].get_config()["factor"] == model.layers[2].get_config()["factor"]
    np.testing.assert_allclose(again.predict(x, verbose=0), want, rtol=1e-4, atol=1e-4)


def test_integer_images_keep_or_change_dtype_as_keras():
    assert L.Resizing(3, 3)(IMG8).dtype == tf.uint8
    assert L.RandomBrightness(0.1, seed=1)(IMG8, training=True).dtype == tf.uint8
    assert L.RandomFlip(seed=1)(IMG8, training=False).dtype == tf.float32
    assert L.RandomInvert(seed=1)(IMG8, training=False).dtype == tf.uint8


def test_mixup_and_cutmix_mix_labels_with_the_images():
    labels = np.eye(6, dtype="float32")
    for layer in (L.MixUp(alpha=0.5, seed=3), L.CutMix(seed=3)):
        out = layer({"images": BATCH, "labels": labels}, training=True)
        y = out["labels"].numpy()
        np.testing.assert_allclose(y.sum(1), 1.0, rtol=1e-5)
        again = type(layer).from_config(layer.get_config())
        if isinstance(layer, L.MixUp):
            # each image is w * own + (1 - w) * partner, the label w * e_i + (1 - w) * e_j
            own = np.diagonal(y)
            partner = np.argmax(y - np.diag(own), axis=1)
            want = own[:, None, None, None] * BATCH + (1 - own[:, None, None, None]) * \
                BATCH[partner]
            np.testing.assert_allclose(out["images"].numpy(), want, rtol=1e-4, atol=1e-3)
        assert again.get_config() == layer.get_config()


def test_cutmix_pastes_a_box_from_one_other_image():
    out = L.CutMix(seed=9)(BATCH, training=True).numpy()
    for o, x in zip(out, BATCH):
        changed = ~np.isclose(o, x).all(-1)
        if changed.any():
            rows, cols = np.nonzero(changed)
            assert changed[rows.min():rows.max() + 1, cols.min():cols.max() + 1].sum() <= \
                changed.size


def test_pipeline_config_and_save(tmp_path):
    pipe = L.Pipeline([L.Resizing(4, 4), L.RandomFlip(seed=1), L.AutoContrast()])
    config = json.loads(json.dumps(pipe.get_config()))
    assert [c["class_name"] for c in config["layers"]] == ["Resizing", "RandomFlip",
                                                            "AutoContrast"]
    clone = L.Pipeline.from_config(config)
    np.testing.assert_allclose(clone(IMG, training=False).numpy(),
                               pipe(IMG, training=False).numpy())
    model = tf.keras.Sequential([tf.keras.Input((5, 6, 3)), pipe, L.Flatten(), L.Dense(1)])
    path = str(tmp_path / "p.keras")
    model.save(path)
    again = tf.keras.models.load_model(path)
    np.testing.assert_allclose(again.predict(IMG, verbose=0), model.predict(IMG, verbose=0),
                               rtol=1e-5)


def test_geometric_layers_refuse_boxes_they_cannot_move():
    data = {"images": BATCH, "bounding_boxes": {"boxes": np.zeros((6, 1, 4), "float32"),
                                                "labels": np.zeros((6, 1), "float32")}}
    with pytest.raises(NotImplementedError):
        L.RandomFlip(bounding_box_format="xyxy")(data, training=True)
    out = L.RandomBrightness(0.1, bounding_box_format="xyxy", seed=1)(data, training=True)
    for key in ("boxes", "labels"):  # colour layers leave the boxes as they are
        np.testing.assert_array_equal(out["bounding_boxes"][key], data["bounding_boxes"][key])


def test_shear_reads_along_the_sheared_rows():
    img = np.arange(5 * 6, dtype="float32").reshape(1, 5, 6, 1)
    out = L.RandomShear(x_factor=(0.5, 0.5), interpolation="nearest", fill_mode="constant",
                        fill_value=-1.0, seed=2)(img, training=True).numpy()[0, ..., 0]

    def sheared(sign):  # output (x, y) reads input x + sign * 0.5 * y, C-rounded
        want = np.full((5, 6), -1.0)
        for y in range(5):
            for x in range(6):
                v = x + sign * 0.5 * y
                src = int(np.sign(v) * np.floor(abs(v) + 0.5))
                if 0 <= src < 6:
                    want[y, x] = img[0, y, src, 0]
        return want

    assert np.array_equal(out, sheared(1)) or np.array_equal(out, sheared(-1))
    assert not np.array_equal(out, img[0, ..., 0])


@pytest.mark.parametrize("make", [
    lambda: L.RandomFlip(seed=3, dtype="float64"),
    lambda: L.RandomRotation(0.2, seed=3, dtype="float64"),
    lambda: L.RandomRotation(0.2, fill_mode="constant", fill_value=0.5, seed=3,
                             dtype="float64"),
    lambda: L.RandomZoom(0.3, interpolation="nearest", seed=3, dtype="float64"),
    lambda: L.RandomTranslation(0.3, 0.3, fill_mode="wrap", seed=3, dtype="float64"),
    lambda: L.RandomShear(0.3, 0.3, seed=3, dtype="float64"),
    lambda: L.RandomBrightness(0.1, seed=3, dtype="float64"),
    lambda: L.RandomContrast(0.5, seed=3, dtype="float64"),
    lambda: L.RandomCrop(2, 3, seed=3, dtype="float64"),
    lambda: L.RandomFlip("vertical", seed=3, data_format="channels_first", dtype="float64"),
    lambda: L.RandomInvert(0.5, seed=3, dtype="float64"),
    lambda: L.RandomGrayscale(0.5, seed=4, dtype="float64"),
    lambda: L.RandomColorDegeneration(0.5, seed=3, dtype="float64"),
    lambda: L.Solarization(0.2, 0.8, seed=3, dtype="float64"),
    lambda: L.MixUp(seed=3, dtype="float64"),
    lambda: L.CutMix(seed=3, dtype="float64"),
    lambda: L.RandomErasing(scale=(0.2, 0.5), fill_value=9.0, seed=3, dtype="float64"),
    lambda: L.RandomPerspective(scale=0.4, seed=3, dtype="float64"),
    lambda: L.RandomSharpness(0.6, seed=3, dtype="float64"),
    lambda: L.RandomElasticTransform(scale=(0.5, 1.0), fill_mode="mirror", seed=3,
                                     dtype="float64"),
    lambda: L.RandomElasticTransform(fill_mode="constant", fill_value=3.0, seed=4,
                                     data_format="channels_first", dtype="float64"),
    lambda: L.RandomColorJitter(brightness_factor=0.1, contrast_factor=0.4, seed=3,
                                dtype="float64"),
    lambda: L.RandomGaussianBlur(kernel_size=(3, 5), sigma=0.8, seed=3, dtype="float64"),
], ids=["flip", "rotation", "rotation_constant", "zoom_nearest", "translation_wrap", "shear",
        "brightness", "contrast", "crop", "flip_channels_first", "invert", "grayscale",
        "degeneration", "solarization", "mixup", "cutmix", "erasing", "perspective",
        "sharpness", "elastic", "elastic_constant_cf", "jitter", "blur"])
def test_random_layer_gradients(make):
    from tests.gradcheck import check_grad

    # a fresh layer of the same seed per evaluation: the same draws each time
    x = np.random.default_rng(5).uniform(20, 200, size=(2, 4, 5, 3))
    check_grad(lambda t: make()(t, training=True), x, eps=1e-3, rtol=1e-4, atol=1e-5)


def test_traced_dict_call_draws_afresh_and_keeps_labels_with_images():
    mix = L.MixUp(alpha=0.7, seed=2)
    f = tf.function(lambda d: mix(d, training=True))
    data = {"images": BATCH, "labels": np.eye(6, dtype="float32")}
    first, second = f(data), f(data)
    assert not np.array_equal(first["labels"].numpy(), second["labels"].numpy())
    for out in (first, second):  # each run's images follow its own labels
        y = out["labels"].numpy()
        own = np.diagonal(y)
        partner = np.argmax(y - np.diag(own), axis=1)
        want = own[:, None, None, None] * BATCH + (1 - own[:, None, None, None]) * \
            BATCH[partner]
        np.testing.assert_allclose(out["images"].numpy(), want, rtol=1e-4, atol=1e-3)
