"""tf.image's other non-max suppressions; expected values recorded from TF 2.21."""
import numpy as np
import pytest

import tapeflow as tf

BOXES = [[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, -0.1, 1, 0.9], [0, 10, 1, 11], [0, 10.1, 1, 11.1],
         [0, 100, 1, 101]]
SCORES = [0.9, 0.75, 0.6, 0.95, 0.5, 0.3]


def _b():
    return tf.constant(BOXES, tf.float32)


def _s():
    return tf.constant(SCORES)


def test_with_scores_hard():
    idx, sc = tf.image.non_max_suppression_with_scores(_b(), _s(), 4, 0.5)
    assert idx.dtype == tf.int32 and sc.dtype == tf.float32
    assert idx.numpy().tolist() == [3, 0, 5]
    np.testing.assert_allclose(sc.numpy(), [0.95, 0.9, 0.3], rtol=1e-6)


@pytest.mark.parametrize("args,kw,want_idx,want_scores", [
    ((6, 1.0), dict(soft_nms_sigma=0.5), [3, 0, 1, 5, 4, 2],
     [0.95, 0.9, 0.38400355, 0.3, 0.2560026, 0.19697244]),
    ((6, 0.5), dict(score_threshold=0.2, soft_nms_sigma=0.5), [3, 0, 1, 5, 4],
     [0.95, 0.9, 0.38400355, 0.3, 0.2560026]),
    ((6, 0.9), dict(score_threshold=0.2, soft_nms_sigma=1.0), [3, 0, 1, 4, 2, 5],
     [0.95, 0.9, 0.53665876, 0.3577727, 0.34377822, 0.3]),
    ((3, 0.5), dict(score_threshold=0.4, soft_nms_sigma=0.5), [3, 0], [0.95, 0.9]),
])
def test_with_scores_soft(args, kw, want_idx, want_scores):
    idx, sc = tf.image.non_max_suppression_with_scores(_b(), _s(), *args, **kw)
    assert idx.numpy().tolist() == want_idx
    np.testing.assert_allclose(sc.numpy(), want_scores, rtol=1e-6)


def test_with_scores_negative_sigma():
    with pytest.raises(tf.errors.InvalidArgumentError, match="soft_nms_sigma_val must be >= 0"):
        tf.image.non_max_suppression_with_scores(_b(), _s(), 3, 0.5, soft_nms_sigma=-1.)


def test_padded_single_image():
    idx, n = tf.image.non_max_suppression_padded(_b(), _s(), 5, 0.5)
    assert idx.numpy().tolist() == [3, 0, 5] and n.numpy() == 3
    assert n.shape == () and n.dtype == tf.int32 and idx.dtype == tf.int32
    idx, n = tf.image.non_max_suppression_padded(_b(), _s(), 5, 0.5, pad_to_max_output_size=True)
    assert idx.numpy().tolist() == [3, 0, 5, 0, 0] and n.numpy() == 3
    idx, n = tf.image.non_max_suppression_padded(_b(), _s(), 2, 0.5, pad_to_max_output_size=True)
    assert idx.numpy().tolist() == [3, 0] and n.numpy() == 2
    idx, n = tf.image.non_max_suppression_padded(_b(), _s(), 5, 0.5, score_threshold=0.55,
                                                 pad_to_max_output_size=True)
    assert idx.numpy().tolist() == [3, 0, 0, 0, 0] and n.numpy() == 2


def test_padded_batched():
    b = tf.stack([_b(), _b()[::-1]])
    s = tf.stack([_s(), _s()])
    idx, n = tf.image.non_max_suppression_padded(b, s, 5, 0.5, pad_to_max_output_size=True)
    assert idx.numpy().tolist() == [[3, 0, 5, 0, 0], [3, 0, 1, 0, 0]]
    assert n.numpy().tolist() == [3, 3]
    idx, n = tf.image.non_max_suppression_padded(b, s, 5, 0.5, pad_to_max_output_size=True,
                                                 sorted_input=True)
    assert idx.numpy().tolist() == [[0, 3, 5, 0, 0], [0, 1, 3, 0, 0]]
    b4 = tf.reshape(tf.tile(_b(), [2, 1]), [1, 2, 6, 4])
    s4 = tf.reshape(tf.tile(_s(), [2]), [1, 2, 6])
    idx, n = tf.image.non_max_suppression_padded(b4, s4, 4, 0.5, pad_to_max_output_size=True)
    assert idx.shape == (1, 2, 4) and n.shape == (1, 2)
    assert idx.numpy().tolist() == [[[3, 0, 5, 0], [3, 0, 5, 0]]]
    with pytest.raises(ValueError, match="'pad_to_max_output_size' \\(value False\\) must be "
                                         "True for batched input"):
        tf.image.non_max_suppression_padded(b, s, 5, 0.5)


def test_padded_corner_order_and_nonpositive_boxes():
    # TF decides the corner order from the first box only, and never keeps a box whose
    # coordinates are all <= 0
    nb = tf.constant([[-2, -2, -1, -1], [0, 0, 1, 1], [1, 0, 0, 1]], tf.float32)
    idx, n = tf.image.non_max_suppression_padded(nb, [0.9, 0.8, 0.7], 3, 0.5,
                                                 pad_to_max_output_size=True)
    assert idx.numpy().tolist() == [1, 2, 0] and n.numpy() == 2
    idx, n = tf.image.non_max_suppression_padded(nb[::-1], [0.9, 0.8, 0.7], 3, 0.5,
                                                 pad_to_max_output_size=True)
    assert idx.numpy().tolist() == [0, 1, 0] and n.numpy() == 2


def test_overlaps():
    ov = tf.constant([[1., 0.8, 0.1], [0.8, 1., 0.2], [0.1, 0.2, 1.]])
    out = tf.image.non_max_suppression_overlaps(ov, [0.5, 0.9, 0.3], 3, overlap_threshold=0.5)
    assert out.dtype == tf.int32 and out.numpy().tolist() == [1, 2]
    assert tf.image.non_max_suppression_overlaps(
        ov, [0.5, 0.9, 0.3], 3, overlap_threshold=0.5, score_threshold=0.4).numpy().tolist() == [1]
    assert tf.image.non_max_suppression_overlaps(
        ov, [0.5, 0.9, 0.3], 3, overlap_threshold=0.15).numpy().tolist() == [1]


def _cb():
    return tf.constant(np.array([[[[0, 0, 1, 1]], [[0, 0.1, 1, 1.1]], [[0, -0.1, 1, 0.9]],
                                  [[0, 10, 1, 11]]]], np.float32))


def _cs():
    return tf.constant([[[0.9, 0.1], [0.75, 0.8], [0.6, 0.2], [0.95, 0.3]]])


def test_combined_default_and_clip():
    r = tf.image.combined_non_max_suppression(_cb(), _cs(), 2, 5, 0.5)
    assert type(r).__name__ == "CombinedNonMaxSuppression"
    np.testing.assert_allclose(r.nmsed_boxes.numpy(), [[[0, 1, 1, 1], [0, 0, 1, 1],
                                                        [0, 0.1, 1, 1], [0, 1, 1, 1],
                                                        [0, 0, 0, 0]]])
    np.testing.assert_allclose(r.nmsed_scores.numpy(), [[0.95, 0.9, 0.8, 0.3, 0.]])
    np.testing.assert_array_equal(r.nmsed_classes.numpy(), [[0., 0., 1., 1., 0.]])
    assert r.nmsed_classes.dtype == tf.float32
    assert r.valid_detections.dtype == tf.int32 and r.valid_detections.numpy().tolist() == [4]
    r = tf.image.combined_non_max_suppression(_cb(), _cs(), 2, 5, 0.5, clip_boxes=False)
    np.testing.assert_allclose(r.nmsed_boxes.numpy(), [[[0, 10, 1, 11], [0, 0, 1, 1],
                                                        [0, 0.1, 1, 1.1], [0, 10, 1, 11],
                                                        [0, 0, 0, 0]]], rtol=1e-6)


def test_combined_pad_per_class_and_per_class_boxes():
    r = tf.image.combined_non_max_suppression(_cb(), _cs(), 2, 5, 0.5, pad_per_class=True)
    assert r.nmsed_boxes.shape == (1, 4, 4)
    np.testing.assert_allclose(r.nmsed_scores.numpy(), [[0.95, 0.9, 0.8, 0.3]])
    b2 = tf.tile(_cb(), [1, 1, 2, 1]) * tf.constant([1., 2.])[None, None, :, None]
    r = tf.image.combined_non_max_suppression(b2, _cs(), 3, 4, 0.5, clip_boxes=False)
    np.testing.assert_allclose(r.nmsed_boxes.numpy(), [[[0, 10, 1, 11], [0, 0, 1, 1],
                                                        [0, 0.2, 2, 2.2], [0, 20, 2, 22]]],
                               rtol=1e-6)
    np.testing.assert_array_equal(r.nmsed_classes.numpy(), [[0., 0., 1., 1.]])


def test_combined_errors():
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="third dimension of boxes must be either 1 or num classes"):
        tf.image.combined_non_max_suppression(tf.tile(_cb(), [1, 1, 3, 1]), _cs(), 3, 4)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"boxes must be 4-D\[1,3,4\]"):
        tf.image.combined_non_max_suppression(tf.zeros([1, 3, 4]), tf.zeros([1, 3, 2]), 3, 4)


def test_generate_bounding_box_proposals_has_no_cpu_kernel():
    # TF 2.21 registers this op for GPUs only; on a CPU it raises NotFoundError
    with pytest.raises(tf.errors.NotFoundError) as info:
        tf.image.generate_bounding_box_proposals(
            np.zeros((1, 2, 2, 1), np.float32), np.zeros((1, 2, 2, 4), np.float32),
            np.zeros((1, 5), np.float32), np.zeros((2, 2, 4), np.float32), post_nms_topn=7)
    assert str(info.value) == (
        "Could not find device for node: {{node GenerateBoundingBoxProposals}} = "
        "GenerateBoundingBoxProposals[post_nms_topn=7]\nAll kernels registered for op "
        "GenerateBoundingBoxProposals:\n  <no registered kernels>\n "
        "[Op:GenerateBoundingBoxProposals]")
