"""Adam's steps equal Keras 3's bit for bit: its step size is computed in the variable's
dtype (``backend.multi_tensor.adam_alpha``). The values were printed by Keras 3.15.1 / TF 2.21:
``Adam(0.1)`` on ``tf.Variable([1., 2., -3., .5])``, six ``apply_gradients`` calls."""
import numpy as np

import tapeflow as tf

GRADIENTS = [
    [0.1257302165031433, -0.13210485875606537, 0.6404226422309875, 0.10490011423826218],
    [-0.5356693863868713, 0.3615950644016266, 1.3040000200271606, 0.9470809698104858],
    [-0.7037352323532104, -1.2654215097427368, -0.6232744455337524, 0.04132597893476486],
    [-2.32503080368042, -0.218791663646698, -1.2459110021591187, -0.7322673797607422],
    [-0.5442590117454529, -0.3163001537322998, 0.4116305410861969, 1.042513370513916],
    [-0.12853465974330902, 1.3664634227752686, -0.6651946902275085, 0.35151007771492004],
]

KERAS_VALUES = [
    [0.90000319480896, 2.099997043609619, -3.099998950958252, 0.40000367164611816],
    [0.957145094871521, 2.053081750869751, -3.1963233947753906, 0.31867000460624695],
    [1.0346779823303223, 2.1036500930786133, -3.239546060562134, 0.2530882656574249],
    [1.111693024635315, 2.154005289077759, -3.231348752975464, 0.24590538442134857],
    [1.1869373321533203, 2.20796537399292, -3.235502004623413, 0.20556434988975525],
    [1.2543377876281738, 2.204159736633301, -3.2228009700775146, 0.1603425145149231],
]


def _run(opt_fn):
    v = tf.Variable([1.0, 2.0, -3.0, 0.5])
    opt = tf.keras.optimizers.Adam(0.1)
    out = []
    for g in np.array(GRADIENTS, np.float32):
        opt_fn(opt, tf.constant(g), v)
        out.append(v.numpy())
    return np.array(out)


def test_eager_adam_steps_equal_keras_bit_for_bit():
    got = _run(lambda opt, g, v: opt.apply_gradients([(g, v)]))
    np.testing.assert_array_equal(got, np.array(KERAS_VALUES, np.float32))


def test_traced_adam_steps_equal_keras_bit_for_bit():
    @tf.function
    def step(opt, g, v):
        opt.apply_gradients([(g, v)])

    got = _run(step)
    np.testing.assert_array_equal(got, np.array(KERAS_VALUES, np.float32))


def test_float64_variables_compute_in_float64():
    v = tf.Variable(np.array([1.0], np.float64))
    tf.keras.optimizers.Adam(0.1).apply_gradients([(tf.constant([0.5], tf.float64), v)])
    # lr * sqrt(1 - 0.999) / (1 - 0.9) * m / (sqrt(v) + eps), all in float64; the learning
    # rate is held in float32, as Keras's
    lr = float(np.float32(0.1))
    m, s = 0.5 * (1 - 0.9), 0.5 * 0.5 * (1 - 0.999)
    want = 1.0 - lr * np.sqrt(1 - 0.999) / (1 - 0.9) * m / (np.sqrt(s) + 1e-7)
    np.testing.assert_allclose(v.numpy(), [want], rtol=1e-12)
