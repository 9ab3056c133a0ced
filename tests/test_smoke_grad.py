import numpy as np

import tapeflow as tf
from gradcheck import check_grad


def test_harness_on_mul_and_broadcast():
    rng = np.random.default_rng(0)
    check_grad(lambda a, b: a * b + a, rng.normal(size=(3, 4)), rng.normal(size=(4,)),
               second_order=True)


def test_harness_matmul():
    rng = np.random.default_rng(1)
    check_grad(lambda a, b: tf.matmul(a, b), rng.normal(size=(2, 3)), rng.normal(size=(3, 2)))
