"""The other non-max suppressions of ``tf.image``: with (soft-NMS) scores, padded and batched,
per-class combined, and over a precomputed overlap matrix."""
import collections
import heapq

from .. import dtypes
from ..backend import host as np
from ..errors import InvalidArgumentError, NotFoundError
from ..tensor import convert_to_tensor
from ._common import value_of

__all__ = ["non_max_suppression_with_scores", "non_max_suppression_padded",
           "combined_non_max_suppression", "non_max_suppression_overlaps",
           "generate_bounding_box_proposals"]


def _invalid(op, message):
    return InvalidArgumentError(None, op, f"{message} [Op:{op}]")


def _iou_matrix(b):
    """IoU of every pair of ``[n, 4]`` boxes (corners in either order), float32 as TF's
    kernels compute it; 0 where either box has no area."""
    y1, y2 = np.minimum(b[:, 0], b[:, 2]), np.maximum(b[:, 0], b[:, 2])
    x1, x2 = np.minimum(b[:, 1], b[:, 3]), np.maximum(b[:, 1], b[:, 3])
    area = (y2 - y1) * (x2 - x1)
    ih = np.maximum(np.minimum(y2[:, None], y2[None]) - np.maximum(y1[:, None], y1[None]), 0)
    iw = np.maximum(np.minimum(x2[:, None], x2[None]) - np.maximum(x1[:, None], x1[None]), 0)
    inter = ih * iw
    union = area[:, None] + area[None] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where((area[:, None] > 0) & (area[None] > 0), inter / union, 0)
    return iou.astype(np.float32)


def _greedy(sim, scores, k, threshold, score_threshold, sigma=0.0):
    """TF's ``NonMaxSuppressionV5`` selection over a similarity matrix: the candidates above
    ``score_threshold`` best first; hard suppression above ``threshold``, or, with
    ``sigma > 0``, each candidate's score decays by ``exp(-0.5 * sim**2 / sigma)`` per
    selected box (and it goes back in the queue). Returns (indices, scores)."""
    scale = np.float32(-0.5 / sigma) if sigma > 0 else np.float32(0)
    heap = [(-float(s), int(i), 0) for i, s in enumerate(scores) if s > score_threshold]
    heapq.heapify(heap)
    keep, kept = [], []
    while heap and len(keep) < k:
        neg, i, begin = heapq.heappop(heap)
        score = original = np.float32(-neg)
        hard = False
        for j in range(len(keep) - 1, begin - 1, -1):
            s = sim[i, keep[j]]
            # soft-NMS decays by the Gaussian at any overlap (TF ignores the threshold then)
            weight = np.exp(scale * s * s) if sigma > 0 or s <= threshold else 0
            score = np.float32(score * weight)
            if sigma <= 0 and s > threshold:
                hard = True
                break
            if score <= score_threshold:
                break
        if hard:
            continue
        if score == original:
            keep.append(i)
            kept.append(score)
        elif score > score_threshold:
            heapq.heappush(heap, (-float(score), i, len(keep)))
    return keep, kept


def _nms_inputs(boxes, scores, op):
    b = np.asarray(value_of(boxes), np.float32)
    s = np.asarray(value_of(scores), np.float32)
    if b.ndim != 2:
        raise _invalid(op, f"boxes must be 2-D{list(b.shape)}".replace(", ", ","))
    if b.shape[-1] != 4:
        raise _invalid(op, f"boxes must have 4 columns{list(b.shape)}".replace(", ", ","))
    if s.ndim != 1:
        raise _invalid(op, f"scores must be 1-D{list(s.shape)}".replace(", ", ","))
    if s.shape[0] != b.shape[0]:
        raise _invalid(op, f"scores has incompatible shape{list(s.shape)}".replace(", ", ","))
    return b, s


def non_max_suppression_with_scores(boxes, scores, max_output_size, iou_threshold=0.5,
                                    score_threshold=float("-inf"), soft_nms_sigma=0.0,
                                    name=None):
    """``(selected_indices, selected_scores)``: greedy NMS that, with ``soft_nms_sigma > 0``,
    decays the scores of overlapping boxes (Soft-NMS, Gaussian) instead of dropping them."""
    op = "NonMaxSuppressionV5"
    b, s = _nms_inputs(boxes, scores, op)
    iou_t = float(value_of(iou_threshold))
    if not 0.0 <= iou_t <= 1.0:
        raise _invalid(op, "iou_threshold must be in [0, 1]")
    sigma = float(value_of(soft_nms_sigma))
    if sigma < 0:
        raise _invalid(op, "soft_nms_sigma_val must be >= 0")
    k = int(value_of(max_output_size))
    if k < 0:
        raise _invalid(op, "max_output_size must be non-negative")
    keep, kept = _greedy(_iou_matrix(b), s, k, np.float32(iou_t),
                         np.float32(value_of(score_threshold)), sigma)
    return (convert_to_tensor(np.array(keep, np.int32), dtypes.int32),
            convert_to_tensor(np.array(kept, np.float32), dtypes.float32))


def non_max_suppression_overlaps(overlaps, scores, max_output_size, overlap_threshold=0.5,
                                 score_threshold=float("-inf"), name=None):
    """Greedy NMS where ``overlaps[i, j]`` (an ``[n, n]`` matrix) is the overlap of boxes
    ``i`` and ``j``: indices (int32) of at most ``max_output_size`` kept boxes."""
    op = "NonMaxSuppressionWithOverlaps"
    o = np.asarray(value_of(overlaps), np.float32)
    s = np.asarray(value_of(scores), np.float32)
    if o.ndim != 2 or o.shape[0] != o.shape[1]:
        raise _invalid(op, f"overlaps must be square{list(o.shape)}".replace(", ", ","))
    if s.ndim != 1 or s.shape[0] != o.shape[0]:
        raise _invalid(op, f"scores has incompatible shape{list(s.shape)}".replace(", ", ","))
    k = int(value_of(max_output_size))
    if k < 0:
        raise _invalid(op, "max_output_size must be non-negative")
    keep, _ = _greedy(o, s, k, np.float32(value_of(overlap_threshold)),
                      np.float32(value_of(score_threshold)))
    return convert_to_tensor(np.array(keep, np.int32), dtypes.int32)


# -- padded (TF's tiled, batched algorithm) ---------------------------------------------------
def _padded_one(b, s, k, iou_t, sorted_input):
    """The kept indices of one image, as TF's padded NMS finds them: greedy in score order
    (input order if ``sorted_input``); IoU with signed areas and a 1e-8 guard; a box whose
    coordinates are all <= 0 never counts as kept."""
    order = np.arange(len(s)) if sorted_input else np.argsort(-s, kind="stable")
    bb = b[order]
    ih = np.maximum(np.minimum(bb[:, None, 2], bb[None, :, 2])
                    - np.maximum(bb[:, None, 0], bb[None, :, 0]), 0)
    iw = np.maximum(np.minimum(bb[:, None, 3], bb[None, :, 3])
                    - np.maximum(bb[:, None, 1], bb[None, :, 1]), 0)
    inter = ih * iw
    area = (bb[:, 2] - bb[:, 0]) * (bb[:, 3] - bb[:, 1])
    iou = inter / (area[:, None] + area[None] - inter + np.float32(1e-8))
    alive = np.any(bb > 0, axis=1)
    keep = []
    for i in range(len(bb)):
        if len(keep) >= k:
            break
        if not alive[i]:
            continue
        if keep and np.any(iou[i, keep] > iou_t):
            continue
        keep.append(i)
    return [int(order[i]) for i in keep]


def non_max_suppression_padded(boxes, scores, max_output_size, iou_threshold=0.5,
                               score_threshold=float("-inf"), pad_to_max_output_size=False,
                               name=None, sorted_input=False, canonicalized_coordinates=False,
                               tile_size=512):
    """``(selected_indices, num_valid)``: greedy NMS over ``[..., num_boxes, 4]`` boxes; with
    ``pad_to_max_output_size`` the indices are ``[..., max_output_size]`` padded with 0 (it
    must be set for batched input), else the ``num_valid`` kept ones of a single image."""
    b = np.asarray(value_of(boxes), np.float32)
    s = np.asarray(value_of(scores), np.float32)
    if not pad_to_max_output_size and b.ndim > 2:
        raise ValueError(f"'pad_to_max_output_size' (value {pad_to_max_output_size}) must be "
                         "True for batched input")
    if b.ndim < 2 or b.shape[-1] != 4:
        raise ValueError(f"boxes must be of shape [..., num_boxes, 4], got {list(b.shape)}")
    if s.shape != b.shape[:-1]:
        raise ValueError(f"scores must be of shape {list(b.shape[:-1])}, got {list(s.shape)}")
    k = int(value_of(max_output_size))
    batch_dims, n = b.shape[:-2], b.shape[-2]
    b, s = b.reshape(-1, n, 4), s.reshape(-1, n)
    thr = float(value_of(score_threshold))
    if thr != float("-inf"):
        mask = (s > np.float32(thr)).astype(np.float32)
        s = s * mask
        b = b * mask[:, :, None]
    if not canonicalized_coordinates and n:
        # TF decides the corner order once, from the first box of every image
        if not np.all(b[:, 0, 0] <= b[:, 0, 2]):
            b = b[:, :, [2, 1, 0, 3]]
        if not np.all(b[:, 0, 1] <= b[:, 0, 3]):
            b = b[:, :, [0, 3, 2, 1]]
    iou_t = np.float32(value_of(iou_threshold))
    idx = np.zeros((b.shape[0], k), np.int32)
    valid = np.zeros(b.shape[0], np.int32)
    for i in range(b.shape[0]):
        keep = _padded_one(b[i], s[i], k, iou_t, sorted_input)
        idx[i, :len(keep)] = keep
        valid[i] = len(keep)
    if not pad_to_max_output_size:
        return (convert_to_tensor(idx[0, :valid[0]], dtypes.int32),
                convert_to_tensor(valid.reshape(batch_dims), dtypes.int32))
    return (convert_to_tensor(idx.reshape(tuple(batch_dims) + (k,)), dtypes.int32),
            convert_to_tensor(valid.reshape(batch_dims), dtypes.int32))


# -- combined (per class, then across classes) ------------------------------------------------
CombinedNonMaxSuppression = collections.namedtuple(
    "CombinedNonMaxSuppression",
    ["nmsed_boxes", "nmsed_scores", "nmsed_classes", "valid_detections"])


def combined_non_max_suppression(boxes, scores, max_output_size_per_class, max_total_size,
                                 iou_threshold=0.5, score_threshold=float("-inf"),
                                 pad_per_class=False, clip_boxes=True, name=None):
    """Greedy NMS per image and class (``boxes`` ``[batch, n, q, 4]`` with ``q`` 1 or
    ``num_classes``, ``scores`` ``[batch, n, num_classes]``), then the best
    ``max_total_size`` over the classes, zero-padded: ``(nmsed_boxes, nmsed_scores,
    nmsed_classes, valid_detections)``."""
    op = "CombinedNonMaxSuppression"
    b = np.asarray(value_of(boxes), np.float32)
    s = np.asarray(value_of(scores), np.float32)
    if b.ndim != 4:
        raise _invalid(op, f"boxes must be 4-D{list(b.shape)}".replace(", ", ","))
    if s.ndim != 3:
        raise _invalid(op, f"scores must be 3-D{list(s.shape)}".replace(", ", ","))
    batch, n, q = b.shape[:3]
    classes = s.shape[2]
    if b.shape[3] != 4:
        raise _invalid(op, f"boxes must have 4 columns{list(b.shape)}".replace(", ", ","))
    if s.shape[:2] != (batch, n):
        raise _invalid(op, "scores has incompatible shape")
    if q != 1 and q != classes:
        raise _invalid(op, "third dimension of boxes must be either 1 or num classes")
    per_class = int(value_of(max_output_size_per_class))
    total = int(value_of(max_total_size))
    if per_class <= 0:
        raise _invalid(op, "max_size_per_class must be > 0")
    if total <= 0:
        raise _invalid(op, "max_total_size must be > 0")
    iou_t = float(value_of(iou_threshold))
    if not 0.0 <= iou_t <= 1.0:
        raise _invalid(op, "iou_threshold must be in [0, 1]")
    thr = np.float32(value_of(score_threshold))
    size = min(total, per_class * classes) if pad_per_class else total
    out_b = np.zeros((batch, size, 4), np.float32)
    out_s = np.zeros((batch, size), np.float32)
    out_c = np.zeros((batch, size), np.float32)
    valid = np.zeros(batch, np.int32)
    for i in range(batch):
        found = []  # (score, class, box)
        for c in range(classes):
            bc = b[i, :, c if q > 1 else 0]
            keep, _ = _greedy(_iou_matrix(bc), s[i, :, c], per_class, np.float32(iou_t), thr)
            found += [(s[i, j, c], c, bc[j]) for j in keep]
        found.sort(key=lambda f: -f[0])
        found = found[:size]
        valid[i] = len(found)
        for r, (score, c, box) in enumerate(found):
            out_b[i, r], out_s[i, r], out_c[i, r] = box, score, c
    if clip_boxes:
        out_b = np.clip(out_b, 0.0, 1.0)
    return CombinedNonMaxSuppression(convert_to_tensor(out_b, dtypes.float32),
                                     convert_to_tensor(out_s, dtypes.float32),
                                     convert_to_tensor(out_c, dtypes.float32),
                                     convert_to_tensor(valid, dtypes.int32))


def generate_bounding_box_proposals(scores, bbox_deltas, image_info, anchors, nms_threshold=0.7,
                                    pre_nms_topn=6000, min_size=16, post_nms_topn=300,
                                    name=None):
    """TF has this op (region proposals of Faster R-CNN) only on GPUs: on a CPU it raises
    ``tf.errors.NotFoundError`` (no kernel), and so does tapeflow, which runs on the host."""
    op = "GenerateBoundingBoxProposals"
    raise NotFoundError(None, op, f"Could not find device for node: {{{{node {op}}}}} = "
                        f"{op}[post_nms_topn={int(post_nms_topn)}]\nAll kernels registered "
                        f"for op {op}:\n  <no registered kernels>\n [Op:{op}]")
