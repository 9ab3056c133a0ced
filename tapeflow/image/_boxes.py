"""YIQ / YUV colour spaces and greedy ``non_max_suppression``."""
from .. import dtypes
from ..backend import host as np
from ..errors import InvalidArgumentError
from ..ops.linalg import tensordot
from ..ops.math import as_t
from ..tensor import convert_to_tensor
from ._common import value_of

__all__ = ["rgb_to_yiq", "yiq_to_rgb", "rgb_to_yuv", "yuv_to_rgb", "non_max_suppression",
           "draw_bounding_boxes"]

_DEFAULT_COLORS = [[1, 1, 0, 1], [0, 0, 1, 1], [1, 0, 0, 1], [0, 1, 0, 1], [0.5, 0, 0.5, 1],
                   [0.5, 0.5, 0, 1], [0.5, 0, 0, 1], [0, 0, 0.5, 1], [0, 1, 1, 1], [1, 0, 1, 1]]

_RGB_YIQ = [[0.299, 0.59590059, 0.2115], [0.587, -0.27455667, -0.52273617],
            [0.114, -0.32134392, 0.31119955]]
_YIQ_RGB = [[1.0, 1.0, 1.0], [0.95598634, -0.27201283, -1.10674021],
            [0.6208248, -0.64720424, 1.70423049]]  # TF's rounded inverse, kept as TF has it
_RGB_YUV = [[0.299, -0.14714119, 0.61497538], [0.587, -0.28886916, -0.51496512],
            [0.114, 0.43601035, -0.10001026]]


def _mix(images, matrix, op):
    x = as_t(images)
    if not x.dtype.is_floating:
        raise TypeError(f"{op}: images must be a float tensor, got {x.dtype.name}")
    if len(x.shape) < 1 or x.shape[-1] != 3:
        raise ValueError(f"{op}: the last dimension must be 3 (channels), got shape {x.shape}")
    k = convert_to_tensor(np.asarray(matrix, x.dtype.as_numpy_dtype))
    return tensordot(x, k, [[-1], [0]])


def rgb_to_yiq(images):
    """RGB to YIQ (a 3x3 linear map on the last axis)."""
    return _mix(images, _RGB_YIQ, "rgb_to_yiq")


def yiq_to_rgb(images):
    """YIQ back to RGB."""
    return _mix(images, _YIQ_RGB, "yiq_to_rgb")


def rgb_to_yuv(images):
    """RGB to YUV (a 3x3 linear map on the last axis)."""
    return _mix(images, _RGB_YUV, "rgb_to_yuv")


def yuv_to_rgb(images):
    """YUV back to RGB."""
    return _mix(images, np.linalg.inv(np.array(_RGB_YUV)), "yuv_to_rgb")


def _iou(a, b):
    ay1, ay2 = min(a[0], a[2]), max(a[0], a[2])
    ax1, ax2 = min(a[1], a[3]), max(a[1], a[3])
    by1, by2 = min(b[0], b[2]), max(b[0], b[2])
    bx1, bx2 = min(b[1], b[3]), max(b[1], b[3])
    area_a = (ay2 - ay1) * (ax2 - ax1)
    area_b = (by2 - by1) * (bx2 - bx1)
    if area_a <= 0 or area_b <= 0:
        return 0.0
    ih = max(min(ay2, by2) - max(ay1, by1), 0.0)
    iw = max(min(ax2, bx2) - max(ax1, bx1), 0.0)
    inter = ih * iw
    return inter / (area_a + area_b - inter)


def non_max_suppression(boxes, scores, max_output_size, iou_threshold=0.5,
                        score_threshold=float("-inf"), name=None):
    """Indices (int32) of at most ``max_output_size`` boxes, highest score first, dropping
    any box whose IoU with an already kept box exceeds ``iou_threshold``."""
    b = np.asarray(value_of(boxes), np.float32)
    s = np.asarray(value_of(scores), np.float32)
    if b.ndim != 2 or b.shape[-1] != 4:
        raise InvalidArgumentError(None, "NonMaxSuppressionV3", f"boxes must be of shape "
                                   f"[num_boxes, 4], got {list(b.shape)}")
    if s.shape != (b.shape[0],):
        raise InvalidArgumentError(None, "NonMaxSuppressionV3", f"scores has incompatible "
                                   f"shape {list(s.shape)} for boxes {list(b.shape)}")
    iou_t = float(value_of(iou_threshold))
    if not 0.0 <= iou_t <= 1.0:
        raise InvalidArgumentError(None, "NonMaxSuppressionV3", "iou_threshold must be in "
                                   "[0, 1]")
    k = int(value_of(max_output_size))
    thr = float(value_of(score_threshold))
    order = [i for i in np.argsort(-s, kind="stable") if s[i] > thr]
    keep = []
    b64 = b.astype(np.float64)
    for i in order:
        if len(keep) >= k:
            break
        if all(_iou(b64[i], b64[j]) <= iou_t for j in keep):
            keep.append(int(i))
    return convert_to_tensor(np.array(keep, np.int32), dtypes.int32)


def draw_bounding_boxes(images, boxes, colors=None, name=None):
    """One-pixel outlines of the normalised ``[y1, x1, y2, x2]`` boxes (``[batch, n, 4]``)
    drawn on ``images`` (``[batch, h, w, depth]``), box ``i`` in ``colors[i % len(colors)]``."""
    x = as_t(images)
    if len(x.shape) != 4:
        raise InvalidArgumentError(None, "DrawBoundingBoxesV2", f"The rank of the images "
                                   f"should be 4, got shape {x.shape}")
    canvas = np.array(x.numpy(), copy=True)
    n, h, w, depth = canvas.shape
    if depth not in (1, 2, 3, 4):
        raise InvalidArgumentError(None, "DrawBoundingBoxesV2", f"Channel depth should be "
                                   f"either 1 (GRY), 3 (RGB), or 4 (RGBA), got {depth}")
    b = np.asarray(value_of(boxes), np.float32)
    if b.ndim != 3 or b.shape[0] != n or b.shape[-1] != 4:
        raise InvalidArgumentError(None, "DrawBoundingBoxesV2", f"boxes must be "
                                   f"[batch, num_boxes, 4], got {list(b.shape)}")
    table = np.asarray(value_of(colors), np.float32) if colors is not None else \
        np.zeros((0, 4), np.float32)
    if table.size == 0:
        table = np.asarray(_DEFAULT_COLORS, np.float32)
    for i in range(n):
        for k in range(b.shape[1]):
            color = table[k % len(table)][:depth]
            r0, r1 = (int(v) for v in b[i, k, [0, 2]] * np.float32(h - 1))
            c0, c1 = (int(v) for v in b[i, k, [1, 3]] * np.float32(w - 1))
            if r0 > r1 or c0 > c1 or r0 >= h or r1 < 0 or c0 >= w or c1 < 0:
                continue
            rc0, rc1, cc0, cc1 = max(r0, 0), min(r1, h - 1), max(c0, 0), min(c1, w - 1)
            if r0 >= 0:
                canvas[i, r0, cc0:cc1 + 1, :len(color)] = color
            if r1 < h:
                canvas[i, r1, cc0:cc1 + 1, :len(color)] = color
            if c0 >= 0:
                canvas[i, rc0:rc1 + 1, c0, :len(color)] = color
            if c1 < w:
                canvas[i, rc0:rc1 + 1, c1, :len(color)] = color
    return convert_to_tensor(canvas, x.dtype)
