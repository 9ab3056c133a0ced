"""``keras.visualization``: drawing bounding boxes and segmentation masks onto batches of
images (NumPy, no OpenCV), and galleries of images, boxes and masks (matplotlib, the
optional ``tapeflow[plot]`` extra, imported only when a gallery is plotted).

>>> import numpy as np, tapeflow as tf
>>> images = np.full((1, 2, 2, 3), 100, "uint8")
>>> masks = np.array([[[0, 1], [1, -1]]])[..., None]
>>> tf.keras.visualization.draw_segmentation_masks(images, masks, num_classes=2)[0, :, :, 1]
array([[ 20, 121],
       [121, 100]], dtype=uint8)
"""
import math

from ...backend import host as np
from ...tensor import TensorBase

__all__ = ["draw_bounding_boxes", "draw_segmentation_masks", "plot_bounding_box_gallery",
           "plot_image_gallery", "plot_segmentation_mask_gallery"]


def _numpy(x):
    if isinstance(x, TensorBase):
        return x.numpy()
    return np.asarray(x)


def _data_format(data_format):
    if data_format is None:
        from .. import backend

        data_format = backend.image_data_format()
    return data_format


def _channels_last(images, data_format, what="images"):
    images = _numpy(images)
    if _data_format(data_format) == "channels_first" and images.ndim >= 3:
        images = np.moveaxis(images, -3, -1)
    return images


def _require_batched(images):
    if images.ndim != 4:
        raise ValueError("`images` must be batched 4D tensor. "
                         f"Received: images.shape={tuple(images.shape)}")


def _palette(num_classes):
    """Keras's default mask colours: class ``c`` gets ``c * (2**25 - 1, 2**15 - 1,
    2**21 - 1) mod 255``."""
    c = np.arange(num_classes, dtype=np.int64)[:, None]
    return (c * np.array([2 ** 25 - 1, 2 ** 15 - 1, 2 ** 21 - 1], np.int64)) % 255


def draw_segmentation_masks(images, segmentation_masks, num_classes=None, color_mapping=None,
                            alpha=0.8, blend=True, ignore_index=-1, data_format=None):
    """Colour each pixel of a batch of images by its class in ``segmentation_masks``
    (integers, one channel). With ``blend`` (the default) the result is
    ``image * (1 - alpha) + colour * alpha`` as uint8, else the float32 colours; pixels
    whose class is ``ignore_index`` or not below ``num_classes`` keep the image's values.
    ``color_mapping`` maps classes to RGB colours (Keras's palette otherwise)."""
    images = _channels_last(images, data_format)
    _require_batched(images)
    masks = _numpy(segmentation_masks)
    if masks.dtype.kind not in "iu":
        raise TypeError("`segmentation_masks` must be in integer dtype. "
                        f"Received: segmentation_masks.dtype={masks.dtype}")
    masks = _channels_last(masks, data_format)
    if masks.shape[-1] != 1:
        raise ValueError("Cannot squeeze axis=-1, because the dimension is not 1.")
    masks = masks[..., 0]
    if num_classes is None:
        num_classes = int(masks.max()) + 1
    if color_mapping is None:
        colors = _palette(num_classes)
    else:
        colors = np.array([color_mapping[c] for c in range(num_classes)])
    colored = images.astype("float32").copy()
    for c in range(num_classes):
        if c == ignore_index:
            continue
        colored[masks == c] = colors[c]
    if not blend:
        return colored
    keep = (masks == ignore_index) | (masks < 0) | (masks >= num_classes)
    out = images.astype("float32") * (1 - alpha) + colored * alpha
    out = np.where(keep[..., None], images.astype("float32"), out)
    return out.astype("uint8")


def _rectangle(canvas, x1, y1, x2, y2, color, thickness):
    """Draw an axis-aligned rectangle outline of ``thickness`` pixels, centred on the box's
    edges, into ``canvas`` (H, W, C) in place."""
    h, w = canvas.shape[:2]
    lo, hi = (thickness - 1) // 2, thickness // 2
    x1, y1, x2, y2 = (int(round(v)) for v in (x1, y1, x2, y2))
    bands = [(y1 - lo, y1 + hi, x1 - lo, x2 + hi), (y2 - lo, y2 + hi, x1 - lo, x2 + hi),
             (y1 - lo, y2 + hi, x1 - lo, x1 + hi), (y1 - lo, y2 + hi, x2 - lo, x2 + hi)]
    for top, bottom, left, right in bands:
        top, left = max(top, 0), max(left, 0)
        bottom, right = min(bottom, h - 1), min(right, w - 1)
        if top <= bottom and left <= right:
            canvas[top:bottom + 1, left:right + 1] = color


def _text(canvas, text, x, y, color, font_scale):
    """Stamp ``text`` with its bottom-left corner at (x, y) (matplotlib's rasteriser; left
    out when matplotlib is not installed)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:  # NOTE: labels need the [plot] extra; the boxes are drawn anyway
        return
    size = max(6.0, 12.0 * font_scale)
    fig = Figure(figsize=(len(text) * size / 72.0 * 0.7 + 0.1, size / 72.0 * 1.4), dpi=72,
                 facecolor="black")
    fig.text(0.0, 0.15, text, fontsize=size, color="white")
    agg = FigureCanvasAgg(fig)
    agg.draw()
    ink = np.asarray(agg.buffer_rgba())[..., 0].astype("float32") / 255.0  # white on black
    th, tw = ink.shape
    top, left = int(y) - th, int(x)
    h, w = canvas.shape[:2]
    t0, l0 = max(top, 0), max(left, 0)
    t1, l1 = min(top + th, h), min(left + tw, w)
    if t0 >= t1 or l0 >= l1:
        return
    a = ink[t0 - top:t1 - top, l0 - left:l1 - left, None]
    region = canvas[t0:t1, l0:l1].astype("float32")
    canvas[t0:t1, l0:l1] = (region * (1 - a) + np.asarray(color, "float32") * a).astype(
        canvas.dtype)


def draw_bounding_boxes(images, bounding_boxes, bounding_box_format, class_mapping=None,
                        color=(128, 128, 128), line_thickness=2, text_thickness=1,
                        font_scale=1.0, data_format=None):
    """Draw the boxes of Keras's ``{"boxes", "labels"[, "confidences"]}`` dict onto a batch
    of images, returned as uint8 channels-last arrays. Boxes whose label is -1 (padding)
    are skipped; with ``class_mapping`` each box is captioned with its class name (and
    confidence).

    NOTE: Keras draws with OpenCV; tapeflow draws the outlines with NumPy (``line_thickness``
    pixels centred on the edges) and the captions with matplotlib when it is installed, so
    caption pixels differ from Keras's."""
    from ..utils import bounding_boxes as bb

    images = _channels_last(images, data_format)
    _require_batched(images)
    if not isinstance(bounding_boxes, dict) or "boxes" not in bounding_boxes or \
            "labels" not in bounding_boxes:
        raise ValueError("`bounding_boxes` should be a dict with keys 'boxes' and 'labels'. "
                         f"Received: bounding_boxes={bounding_boxes}")
    height, width = images.shape[1:3]
    boxes = _numpy(bb.convert_format(_numpy(bounding_boxes["boxes"]), bounding_box_format,
                                     "xyxy", height=height, width=width))
    labels = _numpy(bounding_boxes["labels"])
    confidences = bounding_boxes.get("confidences")
    confidences = None if confidences is None else _numpy(confidences)
    out = np.ascontiguousarray(images.astype("uint8"))
    for i in range(out.shape[0]):
        for j in range(boxes.shape[1]):
            label = int(labels[i, j])
            if label == -1:
                continue
            x1, y1, x2, y2 = boxes[i, j]
            _rectangle(out[i], x1, y1, x2, y2, color, line_thickness)
            if class_mapping is not None:
                text = str(class_mapping.get(label, label))
                if confidences is not None:
                    text = f"{text} | {float(confidences[i, j]):.2f}"
                _text(out[i], text, x1, y1 - line_thickness, color, font_scale)
    return out


# -- galleries -----------------------------------------------------------------------------
def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("The plot functions of `tf.keras.visualization` need matplotlib: "
                          "install it with `pip install tapeflow[plot]`.") from None
    return plt


def _to_uint8_range(images, value_range):
    lo, hi = value_range
    images = (images.astype("float32") - lo) * (255.0 / (hi - lo))
    return np.clip(images, 0, 255).astype("uint8")


def _grid(n, rows, cols):
    if rows is None and cols is None:
        cols = math.ceil(math.sqrt(n))
    if rows is None:
        rows = math.ceil(n / cols)
    if cols is None:
        cols = math.ceil(n / rows)
    return rows, cols


def plot_image_gallery(images, y_true=None, y_pred=None, label_map=None, rows=None,
                       cols=None, value_range=(0, 255), scale=2, path=None, show=None,
                       transparent=True, dpi=60, legend_handles=None, data_format=None):
    """Plot a batch of images in a ``rows`` x ``cols`` grid (square by default), titled by
    ``y_true``/``y_pred`` (through ``label_map``). Saved to ``path`` when given, shown when
    ``show``; the matplotlib Figure is returned otherwise. Needs ``tapeflow[plot]``."""
    plt = _pyplot()
    images = _channels_last(images, data_format)
    if images.ndim == 3:
        images = images[None]
    _require_batched(images)
    images = _to_uint8_range(images, value_range)
    rows, cols = _grid(len(images), rows, cols)
    fig = plt.figure(figsize=(cols * scale, rows * scale))
    fig.tight_layout()
    plt.subplots_adjust(wspace=0, hspace=0)
    for k in range(min(rows * cols, len(images))):
        ax = fig.add_subplot(rows, cols, k + 1)
        img = images[k]
        ax.imshow(img[..., 0] if img.shape[-1] == 1 else img,
                  cmap="gray" if img.shape[-1] == 1 else None)
        ax.axis("off")
        title = []
        for name, y in (("True", y_true), ("Pred", y_pred)):
            if y is not None:
                v = _numpy(y)[k]
                v = int(np.argmax(v)) if np.ndim(v) > 0 else v.item()
                title.append(f"{name}: {label_map[v] if label_map else v}")
        if title:
            ax.set_title("\n".join(title), fontsize=8)
    if legend_handles is not None:
        fig.legend(handles=legend_handles, loc="lower center")
    if path is not None:
        plt.savefig(path, pad_inches=0, bbox_inches="tight", transparent=transparent,
                    dpi=dpi)
        plt.close(fig)
        return None
    if show:
        plt.show()
        plt.close(fig)
        return None
    return fig


def plot_bounding_box_gallery(images, bounding_box_format, y_true=None, y_pred=None,
                              value_range=(0, 255), true_color=(0, 188, 212),
                              pred_color=(255, 235, 59), line_thickness=2, font_scale=1.0,
                              text_thickness=None, class_mapping=None,
                              ground_truth_mapping=None, prediction_mapping=None,
                              legend=False, legend_handles=None, rows=None, cols=None,
                              data_format=None, **kwargs):
    """Plot a batch of images with the true boxes (``y_true``, in ``true_color``) and the
    predicted boxes (``y_pred``, in ``pred_color``) drawn on them, as
    ``plot_image_gallery`` does (its keyword arguments pass through). Needs
    ``tapeflow[plot]``."""
    plt = _pyplot()
    images = _channels_last(images, data_format)
    _require_batched(images)
    images = _to_uint8_range(images, value_range)
    text_thickness = text_thickness or line_thickness
    for boxes, colour, mapping in ((y_true, true_color, ground_truth_mapping or class_mapping),
                                   (y_pred, pred_color, prediction_mapping or class_mapping)):
        if boxes is not None:
            images = draw_bounding_boxes(images, boxes, bounding_box_format,
                                         class_mapping=mapping, color=colour,
                                         line_thickness=line_thickness,
                                         text_thickness=text_thickness,
                                         font_scale=font_scale,
                                         data_format="channels_last")
    if legend and legend_handles is None:
        from matplotlib.patches import Patch

        legend_handles = [Patch(color=np.array(true_color) / 255.0, label="Ground Truth"),
                          Patch(color=np.array(pred_color) / 255.0, label="Prediction")]
    del plt
    return plot_image_gallery(images, rows=rows, cols=cols, legend_handles=legend_handles,
                              data_format="channels_last", **kwargs)


def plot_segmentation_mask_gallery(images, num_classes, value_range=(0, 255), y_true=None,
                                   y_pred=None, color_mapping=None, blend=True, alpha=0.8,
                                   ignore_index=-1, data_format=None, **kwargs):
    """Plot a batch of images beside their true and predicted segmentation masks (each
    drawn with ``draw_segmentation_masks``), one row of the gallery per kind. Needs
    ``tapeflow[plot]``."""
    _pyplot()
    images = _channels_last(images, data_format)
    _require_batched(images)
    images = _to_uint8_range(images, value_range)
    panels = [images]
    for masks in (y_true, y_pred):
        if masks is not None:
            panels.append(draw_segmentation_masks(
                images, masks, num_classes=num_classes, color_mapping=color_mapping,
                alpha=alpha, blend=blend, ignore_index=ignore_index,
                data_format=data_format).astype("uint8"))
    kwargs.setdefault("rows", len(panels))
    kwargs.setdefault("cols", len(images))
    return plot_image_gallery(np.concatenate(panels, axis=0), data_format="channels_last",
                              **kwargs)
