"""More of TF's public ops (segment reductions, special functions, functional and shape
helpers) against TF 2.21's recorded outcomes (tests/fixtures/tf_extra_cases.py), and their
gradients against float64 central differences."""
import numpy as np
import pytest

import tapeflow as tf
from gradcheck import check_grad
from tests.fixtures.tf_extra_cases import CASES, IDS, UIDS, D, X
from tests.more_ops_parity import check_recorded, every_case_recorded, load_recorded
from tests.test_tf_behaviour import _same

RECORDED = load_recorded("tf_extra_2_21.json")


def test_every_case_was_recorded():
    assert every_case_recorded(RECORDED, CASES)


@pytest.mark.parametrize("name,fn", CASES, ids=[n for n, _ in CASES])
def test_matches_tensorflow(name, fn):
    check_recorded(tf, RECORDED, name, fn, _same)


@pytest.mark.parametrize("fn,value", [
    (lambda x: tf.math.segment_sum(x, tf.constant(IDS)) ** 2, D),
    (lambda x: tf.math.segment_max(x, tf.constant(IDS)) ** 2, D),
    (lambda x: tf.math.unsorted_segment_min(x, tf.constant([2, 0, 1, -1]), 3), D),
    (lambda x: tf.math.unsorted_segment_prod(x, tf.constant(UIDS), 4), D),
    (lambda x: tf.math.unsorted_segment_mean(x, tf.constant(UIDS), 4) ** 2, D),
    (lambda x: tf.math.lgamma(x), X),
    (lambda x: tf.math.digamma(x), X),
    (lambda x: tf.math.erfinv(x * 0.2), X),
    (lambda x: tf.math.erfc(x), X),
    (lambda x: tf.math.atan2(x, 1.0 - x), X),
    (lambda x: tf.math.acosh(x + 1.5), X),
    (lambda x: tf.math.xlog1py(x, x * 2.0), X),
    (lambda x: tf.math.cumulative_logsumexp(x), X),
    (lambda x: tf.clip_by_norm(x, 1.0), D),
    (lambda x: tf.reverse_sequence(x, tf.constant([2, 1, 0, 2]), seq_axis=1, batch_axis=0), D),
    (lambda x: tf.map_fn(lambda r: r * r, x), D),
    (lambda x: tf.scan(lambda a, r: a * r, x), D),
    (lambda x: tf.nn.space_to_depth(tf.reshape(x, (1, 2, 4, 1)), 2), D),
])
def test_gradients_match_central_differences(fn, value):
    check_grad(fn, value, rtol=1e-4, atol=1e-6)


def test_special_functions_against_known_values():
    # lgamma(n) = log((n-1)!), digamma(1) = -Euler's constant, erfinv(erf(x)) = x
    np.testing.assert_allclose(tf.math.lgamma(tf.constant([1.0, 5.0, 10.0], tf.float64)),
                               np.log([1.0, 24.0, 362880.0]), rtol=1e-12)
    assert float(tf.math.digamma(tf.constant(1.0, tf.float64))) == pytest.approx(
        -0.5772156649015329, rel=1e-12)
    x = tf.constant(np.linspace(-2.5, 2.5, 11))
    np.testing.assert_allclose(tf.math.erfinv(tf.math.erf(x)).numpy(), x.numpy(), atol=1e-10)
