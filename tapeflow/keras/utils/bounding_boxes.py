"""``keras.utils.bounding_boxes``: converting boxes between formats, clipping, cropping,
padding and warping them, their IoU and CIoU, and anchor-box delta encoding.

Formats, as Keras names them: ``"xyxy"`` (left, top, right, bottom), ``"yxyx"``,
``"xywh"`` (left, top, width, height), ``"center_xywh"``, ``"center_yxhw"``, and the
relative ``"rel_xyxy"``, ``"rel_yxyx"``, ``"rel_xywh"``, ``"rel_center_xywh"`` (coordinates
divided by the image's width and height). Boxes are tensors whose last axis is 4, batched or
not; the functions that take Keras's ``{"boxes": ..., "labels": ...}`` dicts say so. All the
arithmetic is recorded tapeflow ops, so gradients flow through IoU, CIoU and the deltas.

>>> import tapeflow as tf
>>> bb = tf.keras.utils.bounding_boxes
>>> bb.convert_format([[10.0, 20.0, 50.0, 80.0]], "xyxy", "center_xywh").numpy()
array([[30., 50., 40., 60.]], dtype=float32)
>>> bb.compute_iou([[0.0, 0.0, 10.0, 10.0]], [[5.0, 0.0, 15.0, 10.0]], "xyxy").numpy()
array([[0.33333334]], dtype=float32)
"""
import math as _math

from ...backend import host as _np

__all__ = ["affine_transform", "clip_to_image_size", "compute_ciou", "compute_iou",
           "convert_format", "crop", "decode_deltas_to_boxes", "encode_box_to_deltas", "pad"]

_FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy", "rel_yxyx",
            "rel_xywh", "rel_center_xywh")
_EPSILON = 1e-7  # Keras's backend epsilon, where a size or an area is divided by


def _ops():
    from .. import ops  # deferred: keras.ops loads on first use

    return ops


def _tensor(x, dtype=None):
    """``x`` as a tensor, refusing what TF refuses to convert (``None``, dicts) as TF does."""
    if x is None or isinstance(x, dict):
        raise ValueError(f"Attempt to convert a value ({x!r}) with an unsupported type "
                         f"({type(x)}) to a Tensor.")
    return _ops().convert_to_tensor(x, dtype=dtype)


def _check_last_axis(boxes):
    if len(boxes.shape) == 0 or boxes.shape[-1] != 4:
        raise ValueError("`boxes` must be a tensor with the last dimension of 4. "
                         f"Received: boxes.shape={tuple(boxes.shape)}")


def _split(boxes):
    return [boxes[..., i:i + 1] for i in range(4)]


def _to_xyxy(boxes, source, height, width):
    """Absolute ``xyxy`` coordinates (four ``[..., 1]`` pieces) from ``source``."""
    a, b, c, d = _split(boxes)
    fmt = source[4:] if source.startswith("rel_") else source
    if fmt == "xyxy":
        parts = (a, b, c, d)
    elif fmt == "yxyx":
        parts = (b, a, d, c)
    elif fmt == "xywh":
        parts = (a, b, a + c, b + d)
    elif fmt == "center_xywh":
        parts = (a - c / 2.0, b - d / 2.0, a + c / 2.0, b + d / 2.0)
    else:  # center_yxhw
        parts = (b - d / 2.0, a - c / 2.0, b + d / 2.0, a + c / 2.0)
    if fmt != source:
        x1, y1, x2, y2 = parts
        parts = (x1 * width, y1 * height, x2 * width, y2 * height)
    return parts


def _from_xyxy(x1, y1, x2, y2, target, height, width):
    fmt = target[4:] if target.startswith("rel_") else target
    if fmt != target:
        x1, x2 = x1 / width, x2 / width
        y1, y2 = y1 / height, y2 / height
    if fmt == "xyxy":
        parts = (x1, y1, x2, y2)
    elif fmt == "yxyx":
        parts = (y1, x1, y2, x2)
    elif fmt == "xywh":
        parts = (x1, y1, x2 - x1, y2 - y1)
    elif fmt == "center_xywh":
        parts = ((x1 + x2) / 2.0, (y1 + y2) / 2.0, x2 - x1, y2 - y1)
    else:  # center_yxhw
        parts = ((y1 + y2) / 2.0, (x1 + x2) / 2.0, y2 - y1, x2 - x1)
    return _ops().concatenate(parts, axis=-1)


def _convert(boxes, source, target, height, width, dtype):
    """The tensor ``boxes`` from ``source`` to ``target``, computed in float, as ``dtype``."""
    ops = _ops()
    _check_last_axis(boxes)
    float_dtype = dtype if dtype in ("float16", "bfloat16", "float32", "float64") \
        else "float32"
    if source == target:
        return ops.cast(boxes, dtype)
    x = ops.cast(boxes, float_dtype)
    if height is not None:
        height, width = ops.cast(height, float_dtype), ops.cast(width, float_dtype)
    out = _from_xyxy(*_to_xyxy(x, source, height, width), target, height, width)
    return ops.cast(out, dtype)


def convert_format(boxes, source, target, height=None, width=None, dtype="float32"):
    """``boxes`` (a tensor whose last axis is 4, or a dict holding one under ``"boxes"``)
    converted from the ``source`` format to ``target``, as ``dtype``. Converting between a
    relative and an absolute format needs the image's ``height`` and ``width``.

    >>> import tapeflow as tf
    >>> tf.keras.utils.bounding_boxes.convert_format(
    ...     [[10.0, 20.0, 50.0, 80.0]], "xyxy", "rel_yxyx", height=100, width=200).numpy()
    array([[0.2 , 0.05, 0.8 , 0.25]], dtype=float32)
    """
    source, target = str(source).lower(), str(target).lower()
    if source not in _FORMATS or target not in _FORMATS:
        raise ValueError(f"Invalid source or target format. Supported formats: {_FORMATS}")
    if (source.startswith("rel_") or target.startswith("rel_")) and \
            (height is None or width is None):
        raise ValueError("convert_format() must receive `height` and `width` transforming "
                         "between relative and absolute formats.convert_format() received "
                         f"source=`{source}`, target=`{target}, but height={height} and "
                         f"width={width}.")
    if isinstance(boxes, dict):
        # NOTE: as Keras does, the dict itself is updated and returned
        boxes["boxes"] = _convert(_tensor(boxes["boxes"]), source, target, height, width,
                                  dtype)
        return boxes
    return _convert(_tensor(boxes), source, target, height, width, dtype)


def clip_to_image_size(bounding_boxes, height=None, width=None, bounding_box_format="xyxy"):
    """Keras's box dict ``{"boxes", "labels"}`` with each box clipped to the image (``[0,
    width] x [0, height]``, or ``[0, 1]`` for ``"rel_xyxy"``) and the label of every box left
    with no area set to -1. Only ``"xyxy"`` and ``"rel_xyxy"`` are supported, as in Keras.

    >>> import tapeflow as tf
    >>> out = tf.keras.utils.bounding_boxes.clip_to_image_size(
    ...     {"boxes": [[-5.0, 10.0, 50.0, 300.0], [250.0, 0.0, 260.0, 5.0]], "labels": [1, 2]},
    ...     height=100, width=200)
    >>> out["boxes"].numpy(), out["labels"].numpy()
    (array([[  0.,  10.,  50., 100.],
           [200.,   0., 200.,   5.]], dtype=float32), array([ 1, -1], dtype=int32))
    """
    if not isinstance(bounding_boxes, dict):
        raise IndexError("only integers, slices (`:`), ellipsis (`...`), numpy.newaxis "
                         "(`None`) and integer or boolean arrays are valid indices")
    ops = _ops()
    if bounding_box_format == "xyxy":
        if height is None or width is None:
            raise ValueError("`height` and `width` must be set if `format='xyxy'`.")
        xmax, ymax = width, height
    elif bounding_box_format == "rel_xyxy":
        xmax, ymax = 1, 1
    else:
        raise NotImplementedError
    boxes = _tensor(bounding_boxes["boxes"])
    _check_last_axis(boxes)
    x1, y1, x2, y2 = _split(boxes)
    xmax, ymax = ops.cast(xmax, boxes.dtype), ops.cast(ymax, boxes.dtype)
    zero = ops.cast(0, boxes.dtype)
    x1, x2 = ops.clip(x1, zero, xmax), ops.clip(x2, zero, xmax)
    y1, y2 = ops.clip(y1, zero, ymax), ops.clip(y2, zero, ymax)
    out = dict(bounding_boxes)
    out["boxes"] = ops.concatenate([x1, y1, x2, y2], axis=-1)
    if "labels" in bounding_boxes:
        labels = _tensor(bounding_boxes["labels"])
        area = ops.squeeze((x2 - x1) * (y2 - y1), axis=-1)
        out["labels"] = ops.where(area > 0, labels, ops.cast(-1, labels.dtype))
    return out


def _image_hw(image_shape):
    height, width, _ = image_shape  # NOTE: Keras unpacks three values here
    return height, width


def compute_iou(boxes1, boxes2, bounding_box_format, use_masking=False, mask_val=-1,
                image_shape=None):
    """The intersection over union of every box in ``boxes1`` (``[N, 4]`` or ``[B, N, 4]``)
    with every box in ``boxes2`` (``[M, 4]`` or ``[B, M, 4]``): ``[N, M]`` or ``[B, N, M]``,
    float32. With ``use_masking``, pairs where either box is all negative (padding) get
    ``mask_val``. Relative formats need ``image_shape`` (height, width, channels).

    >>> import tapeflow as tf
    >>> tf.keras.utils.bounding_boxes.compute_iou(
    ...     [[0.0, 0.0, 10.0, 10.0], [-1.0, -1.0, -1.0, -1.0]], [[0.0, 0.0, 10.0, 10.0]],
    ...     "xyxy", use_masking=True).numpy()
    array([[ 1.],
           [-1.]], dtype=float32)
    """
    ops = _ops()
    fmt = str(bounding_box_format)
    height = width = None
    if image_shape is not None:
        height, width = _image_hw(image_shape)
    elif fmt.lower().startswith("rel"):
        raise ValueError("When using relative bounding box formats (e.g. `rel_yxyx`) the "
                         "`image_shape` argument must be provided.Received `image_shape`: "
                         f"{image_shape}")
    b1 = convert_format(boxes1, fmt, "xyxy", height=height, width=width)
    b2 = convert_format(boxes2, fmt, "xyxy", height=height, width=width)
    r1, r2 = len(b1.shape), len(b2.shape)
    if r1 not in (2, 3) or r2 not in (2, 3):
        raise ValueError("compute_iou() expects boxes1 to be batched, or to be unbatched. "
                         f"Received len(boxes1.shape)={r1}, len(boxes2.shape)={r2}. Expected "
                         "either len(boxes1.shape)=2 AND or len(boxes1.shape)=3.")
    ax1, ay1, ax2, ay2 = _split(b1)  # [..., N, 1]
    bx1, by1, bx2, by2 = (ops.swapaxes(c, -1, -2) for c in _split(b2))  # [..., 1, M]
    zero = ops.cast(0, "float32")
    iw = ops.maximum(ops.minimum(ax2, bx2) - ops.maximum(ax1, bx1), zero)
    ih = ops.maximum(ops.minimum(ay2, by2) - ops.maximum(ay1, by1), zero)
    inter = iw * ih
    union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
    iou = ops.divide_no_nan(inter, ops.maximum(union, zero))
    if use_masking:
        pad1 = ops.all(b1 < 0, axis=-1, keepdims=True)  # [..., N, 1]
        pad2 = ops.swapaxes(ops.all(b2 < 0, axis=-1, keepdims=True), -1, -2)
        iou = ops.where(ops.logical_or(pad1, pad2), ops.cast(mask_val, "float32"), iou)
    return iou


def _ciou(b1, b2):
    """CIoU of aligned absolute ``xyxy`` float boxes (any float dtype)."""
    ops = _ops()
    dt = b1.dtype
    eps, zero = ops.cast(_EPSILON, dt), ops.cast(0, dt)
    ax1, ay1, ax2, ay2 = _split(b1)
    bx1, by1, bx2, by2 = _split(b2)
    aw, ah = ax2 - ax1, ay2 - ay1 + eps
    bw, bh = bx2 - bx1, by2 - by1 + eps
    inter = ops.maximum(ops.minimum(ax2, bx2) - ops.maximum(ax1, bx1), zero) * \
        ops.maximum(ops.minimum(ay2, by2) - ops.maximum(ay1, by1), zero)
    union = aw * ah + bw * bh - inter + eps
    iou = inter / union
    cw = ops.maximum(ax2, bx2) - ops.minimum(ax1, bx1)
    ch = ops.maximum(ay2, by2) - ops.minimum(ay1, by1)
    c2 = cw * cw + ch * ch + eps
    rho2 = ((bx1 + bx2 - ax1 - ax2) ** 2 + (by1 + by2 - ay1 - ay2) ** 2) / 4.0
    v = ops.cast(4.0 / _math.pi ** 2, dt) * (ops.arctan(bw / bh) - ops.arctan(aw / ah)) ** 2
    alpha = v / (v - iou + (1.0 + eps))
    return ops.squeeze(iou - (rho2 / c2 + v * alpha), axis=-1)


def compute_ciou(boxes1, boxes2, bounding_box_format, image_shape=None):
    """The complete IoU of the boxes of ``boxes1`` and ``boxes2`` taken pairwise (they
    broadcast; the last axis, 4, is dropped): IoU less the squared distance of the centres
    over the squared diagonal of the enclosing box, less the aspect-ratio term. Float32.

    NOTE: as in Keras 3.15, relative formats are refused whatever ``image_shape`` says.

    >>> import tapeflow as tf
    >>> tf.keras.utils.bounding_boxes.compute_ciou(
    ...     [[5.0, 5.0, 15.0, 15.0]], [[5.0, 0.0, 15.0, 10.0]], "xyxy").numpy()
    array([0.25641027], dtype=float32)
    """
    fmt = str(bounding_box_format)
    if fmt.lower().startswith("rel"):
        raise ValueError("When using relative bounding box formats (e.g. `rel_yxyx`) the "
                         "`image_shape` argument must be provided.Received `image_shape`: "
                         f"{image_shape}")
    b1 = convert_format(boxes1, fmt, "xyxy")
    b2 = convert_format(boxes2, fmt, "xyxy")
    return _ciou(b1, b2)


def _xyxy_only(bounding_box_format):
    if bounding_box_format != "xyxy":
        raise NotImplementedError


def crop(boxes, top, left, height, width, bounding_box_format="xyxy"):
    """``xyxy`` boxes in the frame of the crop of size ``height`` x ``width`` whose top-left
    corner is at (``top``, ``left``): shifted, then clipped to the crop (dtype kept).

    >>> import tapeflow as tf
    >>> tf.keras.utils.bounding_boxes.crop([[10.0, 20.0, 50.0, 80.0]], 5, 8, 40, 30).numpy()
    array([[ 2., 15., 30., 40.]], dtype=float32)
    """
    _xyxy_only(bounding_box_format)
    ops = _ops()
    boxes = _tensor(boxes)
    top, left = _tensor(top, boxes.dtype), _tensor(left, boxes.dtype)
    height, width = _tensor(height, boxes.dtype), _tensor(width, boxes.dtype)
    zero = ops.cast(0, boxes.dtype)
    x1, y1, x2, y2 = _split(boxes)
    x1, x2 = ops.clip(x1 - left, zero, width), ops.clip(x2 - left, zero, width)
    y1, y2 = ops.clip(y1 - top, zero, height), ops.clip(y2 - top, zero, height)
    return ops.concatenate([x1, y1, x2, y2], axis=-1)


def pad(boxes, top, left, height=None, width=None, bounding_box_format="xyxy"):
    """``xyxy`` boxes in the frame of an image padded by ``top`` rows and ``left`` columns
    (``height`` and ``width``, the padded size, are not needed).

    >>> import tapeflow as tf
    >>> tf.keras.utils.bounding_boxes.pad([[10.0, 20.0, 50.0, 80.0]], 5, 8).numpy()
    array([[18., 25., 58., 85.]], dtype=float32)
    """
    _xyxy_only(bounding_box_format)
    boxes = _tensor(boxes)
    top, left = _tensor(top, boxes.dtype), _tensor(left, boxes.dtype)
    x1, y1, x2, y2 = _split(boxes)
    return _ops().concatenate([x1 + left, y1 + top, x2 + left, y2 + top], axis=-1)


def affine_transform(boxes, angle, translate_x, translate_y, scale, shear_x, shear_y, height,
                     width, center_x=None, center_y=None, bounding_box_format="xyxy"):
    """Batched ``xyxy`` boxes ``[B, N, 4]`` through one affine warp per image (each argument
    ``[B]``): rotation by ``angle`` degrees, shears of ``shear_x``/``shear_y`` degrees and
    ``scale`` about the centre (``center_x``, ``center_y``: fractions of the image, 0.5 by
    default) after a shift of ``translate_x``/``translate_y`` (fractions of the image);
    each new box encloses the four warped corners. Float32.

    >>> import tapeflow as tf
    >>> tf.keras.utils.bounding_boxes.affine_transform(
    ...     [[[10.0, 20.0, 50.0, 80.0]]], [0.0], [0.1], [0.0], [2.0], [0.0], [0.0],
    ...     height=101, width=201).numpy()
    array([[[-40., -10.,  40., 110.]]], dtype=float32)
    """
    _xyxy_only(bounding_box_format)
    ops = _ops()
    boxes = ops.cast(_tensor(boxes), "float32")
    if len(boxes.shape) < 3:
        raise IndexError("tuple index out of range")

    def per_image(v, default=None):
        v = ops.cast(_tensor(default if v is None else v), "float32")
        if len(v.shape) == 0:
            v = ops.broadcast_to(v, (boxes.shape[0],))
        return ops.reshape(v, (-1, 1))  # [B, 1], against the boxes' [B, N]

    if len(_tensor(angle).shape) == 0:
        raise IndexError("tuple index out of range")
    rad = _math.pi / 180.0
    t = per_image(angle) * rad
    sx, sy = per_image(shear_x) * rad, per_image(shear_y) * rad
    s, tx, ty = per_image(scale), per_image(translate_x), per_image(translate_y)
    w1, h1 = float(width) - 1.0, float(height) - 1.0
    cx, cy = per_image(center_x, 0.5) * w1, per_image(center_y, 0.5) * h1
    # NOTE: the linear part Keras 3.15 applies, found by probing it with point boxes
    # (rotation by -angle; shears couple with the rotation through cos(angle - shear_y))
    cos_sy = ops.cos(sy)
    m00 = ops.sin(t - sy) * ops.tan(sx) / cos_sy + ops.cos(t)
    m01 = ops.cos(t - sy) * ops.tan(sx) / cos_sy + ops.sin(t)
    m10 = -ops.sin(t - sy) / cos_sy
    m11 = ops.cos(t - sy) / cos_sy
    x1, y1, x2, y2 = (c[..., 0] for c in _split(boxes))  # [B, N]
    xs = ops.stack([x1, x2, x1, x2], axis=-1) - cx[..., None] + tx[..., None] * w1
    ys = ops.stack([y1, y1, y2, y2], axis=-1) - cy[..., None] + ty[..., None] * h1
    s = s[..., None]
    nx = s * (m00[..., None] * xs + m01[..., None] * ys) + cx[..., None]
    ny = s * (m10[..., None] * xs + m11[..., None] * ys) + cy[..., None]
    return ops.stack([ops.min(nx, axis=-1), ops.min(ny, axis=-1),
                      ops.max(nx, axis=-1), ops.max(ny, axis=-1)], axis=-1)


def _variance(variance):
    if variance is None:
        return None
    v = _np.asarray(variance, dtype="float32")
    if v.shape != (4,):
        raise ValueError(f"`variance` must be length 4, got {v}")
    return v


def _hw(image_shape):
    if image_shape is None:
        return None, None
    return image_shape[0], image_shape[1]


def encode_box_to_deltas(anchors, boxes, anchor_format, box_format,
                         encoding_format="center_yxhw", variance=None, image_shape=None):
    """The regression targets of ``boxes`` against ``anchors`` (they broadcast) in the centre
    format ``encoding_format``: centre offsets over the anchor's size, then the logs of the
    size ratios, each divided by ``variance`` when given. Float32.

    >>> import tapeflow as tf
    >>> tf.keras.utils.bounding_boxes.encode_box_to_deltas(
    ...     [[0.0, 0.0, 10.0, 20.0]], [[1.0, 2.0, 12.0, 18.0]], "xyxy", "xyxy").numpy()
    array([[ 0.        ,  0.15      , -0.22314353,  0.0953102 ]],
          dtype=float32)
    """
    var = _variance(variance)
    if encoding_format not in ("center_xywh", "center_yxhw"):
        raise ValueError("`encoding_format` should be one of 'center_xywh' or 'center_yxhw', "
                         f"got {encoding_format}")
    ops = _ops()
    height, width = _hw(image_shape)
    a = convert_format(ops.cast(_tensor(anchors), "float32"), anchor_format, encoding_format,
                       height=height, width=width)
    b = convert_format(ops.cast(_tensor(boxes), "float32"), box_format, encoding_format,
                       height=height, width=width)
    eps = ops.cast(_EPSILON, "float32")
    a0, a1, a2, a3 = _split(a)
    b0, b1, b2, b3 = _split(b)
    a2, a3 = ops.maximum(a2, eps), ops.maximum(a3, eps)
    b2, b3 = ops.maximum(b2, eps), ops.maximum(b3, eps)
    out = ops.concatenate([(b0 - a0) / a2, (b1 - a1) / a3, ops.log(b2 / a2),
                           ops.log(b3 / a3)], axis=-1)
    if var is not None:
        out = out / ops.convert_to_tensor(var)
    return out


def decode_deltas_to_boxes(anchors, boxes_delta, anchor_format, box_format,
                           encoded_format="center_yxhw", variance=None, image_shape=None):
    """The boxes, in ``box_format``, that ``boxes_delta`` (as ``encode_box_to_deltas``
    makes them) encode against ``anchors``; dicts of anchors and deltas give a dict of boxes.

    >>> import tapeflow as tf
    >>> tf.keras.utils.bounding_boxes.decode_deltas_to_boxes(
    ...     [[0.0, 0.0, 10.0, 20.0]], [[0.0, 0.15, -0.22314353, 0.0953102]],
    ...     "xyxy", "xyxy").numpy().round(4)
    array([[ 1.,  2., 12., 18.]], dtype=float32)
    """
    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        return {k: decode_deltas_to_boxes(anchors[k], boxes_delta[k], anchor_format,
                                          box_format, encoded_format, variance, image_shape)
                for k in anchors}
    var = _variance(variance)
    if encoded_format not in ("center_xywh", "center_yxhw"):
        raise ValueError("`encoded_format` should be 'center_xywh' or 'center_yxhw', but got "
                         f"'{encoded_format}'.")
    ops = _ops()
    height, width = _hw(image_shape)
    a = convert_format(ops.cast(_tensor(anchors), "float32"), anchor_format, encoded_format,
                       height=height, width=width)
    d = ops.cast(_tensor(boxes_delta), "float32")
    if var is not None:
        d = d * ops.convert_to_tensor(var)
    a0, a1, a2, a3 = _split(a)
    d0, d1, d2, d3 = _split(d)
    enc = ops.concatenate([a0 + d0 * a2, a1 + d1 * a3, ops.exp(d2) * a2, ops.exp(d3) * a3],
                          axis=-1)
    return convert_format(enc, encoded_format, box_format, height=height, width=width)
