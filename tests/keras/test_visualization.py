"""keras.visualization: segmentation masks against pixels recorded from Keras 3.15.1 (TF
2.21; its palette, alpha blending, uint8 truncation, ignored and out-of-range classes,
channels_first, errors); box outlines drawn with NumPy (Keras needs OpenCV there, so the
outline pixels are checked against the box geometry); the matplotlib galleries."""
import sys

import numpy as np
import pytest

import tapeflow as tf

V = tf.keras.visualization
MASKS = np.array([[[0, 1, 1, 0], [2, 2, 0, -1], [1, 0, 0, 0]]], "int32")[..., None]
IMAGES = np.full((1, 3, 4, 3), 100, "uint8")
# Keras 3.15.1's draw_segmentation_masks(IMAGES, MASKS, ...)[0]
BLEND = [[[20, 20, 20], [20, 121, 44], [20, 121, 44], [20, 20, 20]],
         [[21, 223, 69], [21, 223, 69], [20, 20, 20], [100, 100, 100]],
         [[20, 121, 44], [20, 20, 20], [20, 20, 20], [20, 20, 20]]]
NO_BLEND = [[[0, 0, 0], [1, 127, 31], [1, 127, 31], [0, 0, 0]],
            [[2, 254, 62], [2, 254, 62], [0, 0, 0], [100, 100, 100]],
            [[1, 127, 31], [0, 0, 0], [0, 0, 0], [0, 0, 0]]]
HALF = [[[50, 50, 50], [50, 113, 65], [50, 113, 65], [50, 50, 50]],
        [[51, 177, 81], [51, 177, 81], [50, 50, 50], [100, 100, 100]],
        [[50, 113, 65], [50, 50, 50], [50, 50, 50], [50, 50, 50]]]
MAPPED = [[[20, 20, 20], [224, 20, 20], [224, 20, 20], [20, 20, 20]],
          [[20, 224, 20], [20, 224, 20], [20, 20, 20], [100, 100, 100]],
          [[224, 20, 20], [20, 20, 20], [20, 20, 20], [20, 20, 20]]]


def test_draw_segmentation_masks_matches_keras():
    out = V.draw_segmentation_masks(IMAGES, MASKS, num_classes=3)
    assert out.dtype == np.uint8 and out.shape == (1, 3, 4, 3)
    assert out[0].tolist() == BLEND
    out = V.draw_segmentation_masks(IMAGES, MASKS, num_classes=3, blend=False)
    assert out.dtype == np.float32 and out[0].tolist() == NO_BLEND
    assert V.draw_segmentation_masks(IMAGES, MASKS, num_classes=3, alpha=0.5)[0].tolist() == HALF
    mapping = {0: (0, 0, 0), 1: (255, 0, 0), 2: (0, 255, 0)}
    assert V.draw_segmentation_masks(IMAGES, MASKS, num_classes=3,
                                     color_mapping=mapping)[0].tolist() == MAPPED
    # num_classes inferred; float images blended as they are (no rescaling)
    assert V.draw_segmentation_masks(IMAGES, MASKS)[0].tolist() == BLEND
    assert V.draw_segmentation_masks(tf.constant(IMAGES.astype("float32")),
                                     tf.constant(MASKS), num_classes=3)[0].tolist() == BLEND
    out = V.draw_segmentation_masks(IMAGES.astype("float32") / 255, MASKS, num_classes=3)
    assert out.reshape(-1)[:12].tolist() == [0, 0, 0, 0, 101, 24, 0, 101, 24, 0, 0, 0]
    out = V.draw_segmentation_masks(IMAGES.transpose(0, 3, 1, 2), MASKS.transpose(0, 3, 1, 2),
                                    num_classes=3, data_format="channels_first")
    assert out[0].tolist() == BLEND  # channels last out, as in Keras
    out = V.draw_segmentation_masks(IMAGES, MASKS, num_classes=3, ignore_index=0)
    assert out.reshape(-1)[:12].tolist() == [100, 100, 100, 20, 121, 44, 20, 121, 44, 100,
                                             100, 100]
    assert (V.draw_segmentation_masks(IMAGES, MASKS + 5, num_classes=3) == 100).all()


def test_draw_segmentation_masks_errors():
    with pytest.raises(ValueError) as e:
        V.draw_segmentation_masks(IMAGES[0], MASKS[0], num_classes=3)
    assert str(e.value) == "`images` must be batched 4D tensor. Received: images.shape=(3, 4, 3)"
    with pytest.raises(TypeError) as e:
        V.draw_segmentation_masks(IMAGES, MASKS.astype("float32"), num_classes=3)
    assert str(e.value) == ("`segmentation_masks` must be in integer dtype. Received: "
                            "segmentation_masks.dtype=float32")
    with pytest.raises(ValueError) as e:
        V.draw_segmentation_masks(IMAGES, MASKS[..., 0], num_classes=3)
    assert str(e.value) == "Cannot squeeze axis=-1, because the dimension is not 1."


def _outline(h, w, x1, y1, x2, y2):
    m = np.zeros((h, w), bool)
    m[y1, x1:x2 + 1] = m[y2, x1:x2 + 1] = True
    m[y1:y2 + 1, x1] = m[y1:y2 + 1, x2] = True
    return m


def test_draw_bounding_boxes_outlines():
    images = np.full((2, 12, 16, 3), 10, "float32")
    boxes = {"boxes": np.array([[[2., 3., 10., 8.], [0, 0, 1, 1]], [[1, 1, 5, 5],
                                                                   [4, 4, 14, 10]]], "float32"),
             "labels": np.array([[1, -1], [0, 2]])}
    out = V.draw_bounding_boxes(images, boxes, "xyxy", color=(255, 0, 0), line_thickness=1)
    assert out.dtype == np.uint8 and out.shape == images.shape
    np.testing.assert_array_equal(out[0, :, :, 0] == 255, _outline(12, 16, 2, 3, 10, 8))
    np.testing.assert_array_equal(out[1, :, :, 0] == 255,
                                  _outline(12, 16, 1, 1, 5, 5) | _outline(12, 16, 4, 4, 14, 10))
    assert (out[..., 1:] == np.where(out[..., :1] == 255, 0, 10)).all()
    assert (out[0, 4:8, 3:10] == 10).all()  # the inside is untouched
    # thickness 2 widens each edge by one pixel; other formats convert first
    rel = {"boxes": boxes["boxes"][:1, :1] / np.array([16, 12, 16, 12], "float32"),
           "labels": np.array([[1]])}
    out2 = V.draw_bounding_boxes(images[:1], rel, "rel_xyxy", color=(255, 0, 0),
                                 line_thickness=2)
    thick = np.zeros((12, 16), bool)
    thick[3:5, 2:12] = thick[8:10, 2:12] = thick[3:10, 2:4] = thick[3:10, 10:12] = True
    np.testing.assert_array_equal(out2[0, :, :, 0] == 255, thick)
    with pytest.raises(ValueError, match="`bounding_boxes` should be a dict with keys"):
        V.draw_bounding_boxes(images, boxes["boxes"], "xyxy")
    with pytest.raises(ValueError, match="`images` must be batched 4D tensor"):
        V.draw_bounding_boxes(images[0], boxes, "xyxy")


@pytest.fixture
def pyplot():
    mpl = pytest.importorskip("matplotlib")  # the optional [plot] extra
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_galleries(pyplot, tmp_path):
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, (5, 8, 8, 3))
    fig = V.plot_image_gallery(images, y_true=np.array([0, 1, 0, 1, 1]),
                               label_map={0: "cat", 1: "dog"})
    assert len(fig.axes) == 5 and fig.axes[1].get_title() == "True: dog"
    assert len(V.plot_image_gallery(images, rows=1, cols=2).axes) == 2
    path = tmp_path / "g.png"
    assert V.plot_image_gallery(images, path=str(path)) is None and path.stat().st_size > 0
    boxes = {"boxes": np.array([[[1., 1., 6., 6.]]] * 5, "float32"),
             "labels": np.ones((5, 1), "int64")}
    fig = V.plot_bounding_box_gallery(images, "xyxy", y_true=boxes, y_pred=boxes, legend=True,
                                      class_mapping={1: "x"})
    assert len(fig.axes) == 5 and len(fig.legends) == 1
    masks = rng.integers(0, 3, (5, 8, 8, 1))
    fig = V.plot_segmentation_mask_gallery(images, 3, y_true=masks, y_pred=masks)
    assert len(fig.axes) == 15  # images, true masks, predicted masks: one row each


def test_galleries_name_the_extra_without_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install tapeflow\[plot\]"):
        V.plot_image_gallery(np.zeros((1, 2, 2, 3)))
    # the drawing functions need no matplotlib (captions are left out)
    out = V.draw_bounding_boxes(np.zeros((1, 6, 6, 3)), {"boxes": [[[1., 1., 4., 4.]]],
                                                          "labels": [[1]]}, "xyxy",
                                class_mapping={1: "a"}, color=(9, 9, 9), line_thickness=1)
    assert (out[0, :, :, 0] == 9).sum() == 12


def test_namespace_and_docstrings():
    assert sorted(n for n in V.__all__) == ["draw_bounding_boxes", "draw_segmentation_masks",
                                            "plot_bounding_box_gallery", "plot_image_gallery",
                                            "plot_segmentation_mask_gallery"]
    assert "visualization" in dir(tf.keras)
    import doctest

    test = doctest.DocTestParser().get_doctest(V.__doc__, {}, "visualization", None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0
    for name in V.__all__:
        assert getattr(V, name).__doc__, name
