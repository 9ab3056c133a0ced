"""``tf.keras.backend``'s legacy functions (``K.mean``, ``K.variable``, ``K.batch_dot``...):
values, dtypes, shapes and errors recorded from TF 2.21 / Keras 3.15."""
import subprocess
import sys

import numpy as np
import pytest

import tapeflow as tf
from tests.gradcheck import check_grad

K = tf.keras.backend

# TF 2.21: the 131 names of tf.keras.backend beyond clear_session, epsilon, floatx,
# is_keras_tensor, set_epsilon, set_floatx
LEGACY = (
    "abs all any arange argmax argmin backend batch_dot batch_flatten batch_get_value "
    "batch_normalization batch_set_value bias_add binary_crossentropy "
    "binary_focal_crossentropy cast cast_to_floatx categorical_crossentropy "
    "categorical_focal_crossentropy clip concatenate constant conv1d conv2d conv2d_transpose "
    "conv3d cos count_params ctc_batch_cost ctc_decode ctc_label_dense_to_sparse cumprod "
    "cumsum depthwise_conv2d dot dropout dtype elu equal eval exp expand_dims eye flatten "
    "foldl foldr gather get_uid get_value gradients greater greater_equal hard_sigmoid "
    "image_data_format in_top_k int_shape is_float_dtype is_int_dtype is_sparse l2_normalize "
    "less less_equal log map_fn max maximum mean min minimum moving_average_update name_scope "
    "ndim not_equal one_hot ones ones_like permute_dimensions pool2d pool3d pow prod "
    "random_bernoulli random_normal random_normal_variable random_uniform "
    "random_uniform_variable relu repeat repeat_elements reshape resize_images resize_volumes "
    "result_type reverse rnn round separable_conv2d set_image_data_format set_value shape "
    "sigmoid sign sin softmax softplus softsign sparse_categorical_crossentropy "
    "spatial_2d_padding spatial_3d_padding sqrt square squeeze stack standardize_dtype std "
    "stop_gradient sum switch tanh temporal_padding tile to_dense transpose truncated_normal "
    "update update_add update_sub var variable zeros zeros_like").split()


def X():
    return tf.constant([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]])


def I32():
    return tf.constant([[1, 2, 3], [4, 5, 6]])


def close(t, expected, dtype=None, rtol=1e-6):
    assert isinstance(t, tf.Tensor)
    if dtype is not None:
        assert t.dtype == dtype
    np.testing.assert_allclose(t.numpy(), expected, rtol=rtol, atol=1e-6)


def test_all_names_listed_in_dir():
    assert len(LEGACY) == 131
    names = dir(K)
    for n in LEGACY + ["clear_session", "epsilon", "floatx", "set_floatx", "is_keras_tensor"]:
        assert n in names, n
        assert callable(getattr(K, n))
    with pytest.raises(AttributeError):
        K.no_such_function


def test_import_stays_lazy():
    code = ("import sys, tapeflow as tf; tf.keras.backend.floatx(); "
            "print('tapeflow.keras._legacy_backend' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


# ---- reductions -------------------------------------------------------------------------

def test_mean_sum_and_friends():
    close(K.mean(X()), 0.8333333, tf.float32)
    m = K.mean(X(), axis=1, keepdims=True)
    assert m.shape == (2, 1)
    close(m, [[0.6666667], [1.0]])
    close(K.mean(X(), axis=[0, 1]), 0.8333333)
    close(K.mean(I32()), 3, tf.int32)  # integer mean stays integer, as in TF
    close(K.mean(tf.constant([True, False])), 0.5, tf.float32)
    close(K.sum(X(), 0), [5.0, 3.0, -3.0], tf.float32)
    close(K.max(X(), 1), [3.0, 5.0])
    close(K.min(X()), -6.0)
    close(K.prod(I32(), 0), [4, 10, 18], tf.int32)
    close(K.std(X(), 1), [2.0548048, 4.9665546], tf.float32)
    close(K.var(X(), 0, keepdims=True), [[2.25, 12.25, 20.25]])
    close(K.var(tf.constant([True, False])), 0.25, tf.float32)
    close(K.all(I32(), 1), [True, True], tf.bool)
    close(K.any(X()), True, tf.bool)
    close(K.argmax(X()), [2, 1], tf.int64)
    close(K.argmin(X(), 0), [0, 0, 1], tf.int64)
    close(K.cumsum(I32()), [[1, 2, 3], [5, 7, 9]], tf.int32)
    close(K.cumprod(I32(), 1), [[1, 2, 6], [4, 20, 120]], tf.int32)


def test_reduction_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Value for attr 'T' of bool"):
        K.sum(tf.constant([True, False]))
    with pytest.raises(TypeError, match="Input must be either real or complex"):
        K.std(I32())


# ---- elementwise ----------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_elementwise():
    close(K.square([1, 2]), [1, 4], tf.int32)
    close(K.sqrt(tf.constant([4.0, -1.0])), [2.0, 0.0], tf.float32)  # clipped at 0
    close(K.abs([-1, 2]), [1, 2], tf.int32)
    with pytest.raises(TypeError, match="Cannot convert 0.0 to EagerTensor of dtype int32"):
        K.sqrt(tf.constant([4, 1]))
    close(K.exp(tf.constant([0.0, 1.0])), [1.0, 2.7182817])
    close(K.log(tf.constant([0.0, 1.0])), [-np.inf, 0.0])
    close(K.sign(X()), [[1, -1, 1], [1, 1, -1]], tf.float32)
    close(K.round(tf.constant([0.5, 1.5, 2.5, -0.5])), [0.0, 2.0, 2.0, -0.0])
    close(K.pow(X(), 2), [[1, 4, 9], [16, 25, 36]], tf.float32)
    close(K.pow(I32(), 2), [[1, 4, 9], [16, 25, 36]], tf.int32)
    close(K.sin(tf.constant([0.0])), [0.0])
    close(K.cos(tf.constant([0.0])), [1.0])
    close(K.tanh(X()), [[0.7615942, -0.9640276, 0.9950547],
                        [0.99932927, 0.99990916, -0.9999877]])
    close(K.cast(X(), "int32"), [[1, -2, 3], [4, 5, -6]], tf.int32)


def test_clip():
    close(K.clip(X(), -1, 2), [[1, -1, 2], [2, 2, -1]], tf.float32)
    close(K.clip(X(), 2, -1), [[2, 2, 2], [2, 2, 2]])  # max below min: min wins
    close(K.clip(X(), None, 2), [[1, -2, 2], [2, 2, -6]])
    close(K.clip(tf.constant([1, 5, 9], dtype=tf.int64), 2, 6), [2, 5, 6], tf.int64)


def test_comparisons():
    close(K.maximum(X(), 0.0), [[1, 0, 3], [4, 5, 0]], tf.float32)
    close(K.minimum(I32(), 2), [[1, 2, 2], [2, 2, 2]], tf.int32)
    close(K.equal(X(), 1.0), [[True, False, False], [False, False, False]], tf.bool)
    close(K.not_equal(I32(), 2), [[True, False, True], [True, True, True]], tf.bool)
    close(K.greater(X(), 1.0), [[False, False, True], [True, True, False]])
    close(K.greater_equal(X(), 1.0), [[True, False, True], [True, True, False]])
    close(K.less(X(), 1.0), [[False, True, False], [False, False, True]])
    close(K.less_equal(X(), 1.0), [[True, True, False], [False, False, True]])


# ---- activations --------------------------------------------------------------------------

def test_relu_variants():
    close(K.relu(X()), [[1, 0, 3], [4, 5, 0]])
    close(K.relu(X(), alpha=0.1), [[1.0, -0.2, 3.0], [4.0, 5.0, -0.6]])
    close(K.relu(X(), max_value=2.0), [[1, 0, 2], [2, 2, 0]])
    close(K.relu(X(), threshold=2.0), [[0, 0, 3], [4, 5, 0]])
    close(K.relu(X(), alpha=0.5, max_value=3.0, threshold=1.0),
          [[0.0, -1.5, 3.0], [3.0, 3.0, -3.5]])
    close(K.relu(I32(), max_value=3), [[1, 2, 3], [3, 3, 3]], tf.int32)


def test_activations():
    close(K.sigmoid(X()), [[0.7310586, 0.11920292, 0.95257413],
                           [0.98201376, 0.9933072, 0.00247262]], rtol=1e-5)
    close(K.hard_sigmoid(X()), [[0.7, 0.09999999, 1.0], [1.0, 1.0, 0.0]])
    close(K.softmax(X()), [[1.1849965e-01, 5.8997502e-03, 8.7560058e-01],
                           [2.6893815e-01, 7.3104966e-01, 1.2209773e-05]], rtol=1e-5)
    close(K.softmax(X(), 0), [[4.7425874e-02, 9.1105123e-04, 9.9987662e-01],
                              [9.5257413e-01, 9.9908900e-01, 1.2339458e-04]], rtol=1e-5)
    close(K.softplus(X()), [[1.3132616, 0.12692800, 3.0485873],
                            [4.0181499, 5.0067153, 2.4756852e-03]], rtol=1e-5)
    close(K.softsign(X()), [[0.5, -0.6666667, 0.75], [0.8, 0.8333333, -0.85714287]])
    close(K.elu(X()), [[1.0, -0.86466473, 3.0], [4.0, 5.0, -0.9975212]], rtol=1e-5)
    close(K.elu(X(), 0.5), [[1.0, -0.43233237, 3.0], [4.0, 5.0, -0.4987606]], rtol=1e-5)
    close(K.l2_normalize(X(), 1), [[0.26726124, -0.5345225, 0.8017837],
                                   [0.45584232, 0.5698029, -0.6837635]], rtol=1e-5)
    close(K.l2_normalize(X()), [[0.10482848, -0.20965695, 0.31448543],
                                [0.4193139, 0.5241424, -0.62897086]], rtol=1e-5)


# ---- shapes, values, variables ------------------------------------------------------------

def test_shape_helpers():
    assert K.int_shape(X()) == (2, 3)
    assert K.int_shape(K.variable([1.0])) == (1,)
    assert K.ndim(X()) == 2 and K.ndim(tf.Variable(1.0)) == 0
    assert K.dtype(X()) == "float32" and K.dtype(K.variable(1.0)) == "float32"
    close(K.shape(X()), [2, 3], tf.int32)
    assert K.count_params(K.variable(np.zeros((2, 3)))) == 6
    with pytest.raises(AttributeError, match="'list' object has no attribute 'shape'"):
        K.int_shape([1, 2])


def test_variable_and_constant():
    v = K.variable(np.array([1, 2]))
    assert isinstance(v, tf.Variable) and v.dtype == tf.float32  # floatx, not the input's
    assert repr(K.variable(1.0, name="foo")) == (
        "<tf.Variable 'foo:0' shape=() dtype=float32, numpy=1.0>")
    assert K.variable([1.0], dtype="float64").dtype == tf.float64
    close(K.constant([1, 2]), [1.0, 2.0], tf.float32)
    close(K.constant(1, shape=(2,)), [1.0, 1.0], tf.float32)
    close(K.constant([1, 2], dtype="int32"), [1, 2], tf.int32)


def test_get_set_value():
    v = K.variable(np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]]))
    got = K.get_value(v)
    assert isinstance(got, np.ndarray) and got.dtype == np.float32
    assert K.get_value(tf.constant([1, 2])).tolist() == [1, 2]
    assert K.get_value([1, 2]) == [1, 2]  # not a tensor: given back as is
    K.set_value(v, np.ones((2, 3)))
    assert v.numpy().tolist() == [[1, 1, 1], [1, 1, 1]]
    vals = K.batch_get_value([v, tf.constant(1)])
    assert isinstance(vals, list) and vals[1] == 1 and vals[0].shape == (2, 3)
    K.batch_set_value([(v, np.zeros((2, 3)))])
    assert K.eval(v).tolist() == [[0, 0, 0], [0, 0, 0]]
    with pytest.raises(ValueError, match=r"Cannot assign value to variable ' Variable:0': Shape "
                                         r"mismatch.The variable shape \(2, 3\), and the "
                                         r"assigned value shape \(3, 3\) are incompatible."):
        K.set_value(v, np.ones((3, 3)))
    with pytest.raises(AttributeError, match="has no attribute 'assign'"):
        K.set_value(tf.constant(1.0), 2.0)


def test_updates():
    v = K.variable([1.0, 2.0])
    assert K.update(v, [3.0, 4.0]).numpy().tolist() == [3.0, 4.0]
    assert K.update_add(v, [1.0, 1.0]).numpy().tolist() == [4.0, 5.0]
    assert K.update_sub(v, [1.0, 1.0]).numpy().tolist() == [3.0, 4.0]
    K.moving_average_update(v, tf.constant([0.0, 0.0]), 0.9)
    np.testing.assert_allclose(v.numpy(), [2.6999998, 3.6], rtol=1e-6)


def test_creation():
    z = K.zeros((2, 2))
    assert isinstance(z, tf.Variable) and z.dtype == tf.float32
    assert z.numpy().tolist() == [[0, 0], [0, 0]]
    assert K.zeros((2,), dtype="int32").dtype == tf.int32
    o = K.ones((2,))
    assert isinstance(o, tf.Variable) and o.numpy().tolist() == [1, 1]
    assert not isinstance(K.zeros((0, 2)), tf.Variable)  # an empty shape stays a tensor
    e = K.eye(2)
    assert isinstance(e, tf.Variable) and e.numpy().tolist() == [[1, 0], [0, 1]]
    assert K.eye(2, dtype="int32").dtype == tf.int32
    with pytest.raises(TypeError, match=r"Arguments `num_rows` and `num_columns` must be "
                                        r"positive integer values. Received: num_rows=\(2, 3\)"):
        K.eye((2, 3))
    close(K.zeros_like(np.array([1, 2])), [0, 0], tf.int64)
    close(K.ones_like(X(), dtype="float64"), np.ones((2, 3)), tf.float64)
    close(K.arange(5), [0, 1, 2, 3, 4], tf.int32)
    close(K.arange(1, 5, 2, dtype="float32"), [1.0, 3.0], tf.float32)
    assert K.arange(-3).shape == (0,)
    close(K.one_hot(tf.constant([0, 2]), 3), [[1, 0, 0], [0, 0, 1]], tf.float32)
    assert K.cast_to_floatx([1, 2]).dtype == np.float32
    assert isinstance(K.cast_to_floatx([1, 2]), np.ndarray)
    close(K.cast_to_floatx(I32()), [[1, 2, 3], [4, 5, 6]], tf.float32)


def test_reshaping():
    close(K.reshape(X(), (3, 2)), [[1, -2], [3, 4], [5, -6]])
    close(K.transpose(X()), [[1, 4], [-2, 5], [3, -6]])
    assert K.transpose(tf.zeros((1, 2, 3))).shape == (3, 2, 1)
    close(K.permute_dimensions(X(), (1, 0)), [[1, 4], [-2, 5], [3, -6]])
    assert K.expand_dims(X()).shape == (2, 3, 1)
    assert K.squeeze(tf.zeros((2, 1)), 1).shape == (2,)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Can not squeeze dim\[1\], expected a dimension of 1, got 2"):
        K.squeeze(tf.zeros((2, 2)), 1)
    close(K.concatenate([X(), X()]), [[1, -2, 3, 1, -2, 3], [4, 5, -6, 4, 5, -6]])
    assert K.concatenate([X(), X()], axis=-2).shape == (4, 3)
    assert K.stack([X(), X()]).shape == (2, 2, 3)
    close(K.flatten(X()), [1, -2, 3, 4, 5, -6])
    assert K.batch_flatten(tf.zeros((2, 3, 4))).shape == (2, 12)
    close(K.gather(X(), [1, 0]), [[4, 5, -6], [1, -2, 3]])
    close(K.reverse(X(), 1), [[3, -2, 1], [-6, 5, 4]])
    close(K.reverse(X(), [0, 1]), [[-6, 5, 4], [3, -2, 1]])
    close(K.tile(X(), (1, 2)), [[1, -2, 3, 1, -2, 3], [4, 5, -6, 4, 5, -6]])
    close(K.tile(tf.constant([1, 2]), 2), [1, 2, 1, 2], tf.int32)
    close(K.repeat(X(), 2), [[[1, -2, 3], [1, -2, 3]], [[4, 5, -6], [4, 5, -6]]])
    with pytest.raises(ValueError, match=r"Expected input `x` to have rank 2. "
                                         r"Received: rank\(x\)=1"):
        K.repeat(tf.ones((2,)), 2)
    close(K.repeat_elements(X(), 2, 1), [[1, 1, -2, -2, 3, 3], [4, 4, 5, 5, -6, -6]])
    close(K.repeat_elements(X(), 2, 0), [[1, -2, 3], [1, -2, 3], [4, 5, -6], [4, 5, -6]])
    close(K.repeat_elements(X(), 2, -1), [[1, 1, -2, -2, 3, 3], [4, 4, 5, 5, -6, -6]])


# ---- dot products ---------------------------------------------------------------------------

def test_dot():
    close(K.dot(X(), tf.transpose(X())), [[14, -24], [-24, 77]], tf.float32)
    close(K.dot(I32(), tf.transpose(I32())), [[14, 32], [32, 77]], tf.int32)
    assert K.dot(tf.ones((2, 3, 4)), tf.ones((4, 5))).shape == (2, 3, 5)
    assert K.dot(tf.ones((2, 3, 4)), tf.ones((7, 4, 5))).shape == (2, 3, 7, 5)
    a = np.arange(24.0).reshape(2, 3, 4)
    b = np.arange(140.0).reshape(7, 4, 5)
    np.testing.assert_allclose(K.dot(tf.constant(a), tf.constant(b)).numpy(),
                               np.einsum("ijk,lkm->ijlm", a, b))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Matrix size-incompatible"):
        K.dot(tf.ones((2, 3)), tf.ones((4, 5)))


def test_batch_dot():
    x = tf.reshape(tf.range(24.0), (2, 3, 4))
    y = tf.reshape(tf.range(30.0), (2, 3, 5))
    out = K.batch_dot(x, y, axes=1)
    assert out.shape == (2, 4, 5)
    close(out[0], [[100, 112, 124, 136, 148], [115, 130, 145, 160, 175],
                   [130, 148, 166, 184, 202], [145, 166, 187, 208, 229]])
    close(out[1, 3], [1180, 1237, 1294, 1351, 1408])
    close(K.batch_dot(X(), X(), axes=1), [[14.0], [77.0]])
    close(K.batch_dot(X(), X()), [[14.0], [77.0]])
    assert K.batch_dot(tf.ones((2, 3, 4)), tf.ones((2, 4, 5))).shape == (2, 3, 5)
    assert K.batch_dot(tf.ones((2, 3, 4)), tf.ones((2, 4))).shape == (2, 3)
    assert K.batch_dot(tf.ones((2, 3, 4)), tf.ones((2, 5, 4)), axes=(2, 2)).shape == (2, 3, 5)
    assert K.batch_dot(tf.ones((2, 3, 4, 5)), tf.ones((2, 5, 6))).shape == (2, 3, 4, 6)


def test_batch_dot_errors():
    with pytest.raises(ValueError, match=r"Cannot do batch_dot on inputs with different batch "
                                         r"sizes. Received inputs with tf.shapes \(2, 3, 4\) "
                                         r"and \(3, 4, 5\)."):
        K.batch_dot(tf.ones((2, 3, 4)), tf.ones((3, 4, 5)))
    with pytest.raises(ValueError, match=r"Cannot do batch_dot on inputs with rank < 2. "
                                         r"Received inputs with tf.shapes \(2,\) and \(2, 3\)"):
        K.batch_dot(tf.ones((2,)), tf.ones((2, 3)))
    with pytest.raises(ValueError, match="Cannot perform batch_dot over axis 0. If your inputs "
                                         "are not batched"):
        K.batch_dot(tf.ones((2, 3, 4)), tf.ones((2, 3, 4)), axes=0)


def test_dot_gradients():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 3))
    check_grad(lambda x, y: K.batch_dot(x, y, axes=(1, 2)), a, b)
    check_grad(lambda x, y: K.dot(x, y), a, rng.normal(size=(2, 4, 2)))


# ---- losses -------------------------------------------------------------------------------

def test_losses():
    t, p = tf.constant([1.0, 0.0]), tf.constant([0.9, 0.2])
    close(K.binary_crossentropy(t, p), [0.10536041, 0.22314338], rtol=1e-5)
    close(K.binary_crossentropy(t, p, from_logits=True), [0.34115386, 0.79813886], rtol=1e-5)
    close(K.binary_focal_crossentropy(t, p), [0.0011, 0.0089], rtol=5e-2)
    close(K.binary_focal_crossentropy(t, p, apply_class_balancing=True, from_logits=True),
          [0.0071, 0.1810], rtol=5e-3)
    ct, cp = tf.constant([[0.0, 1.0, 0.0]]), tf.constant([[0.2, 0.5, 0.3]])
    close(K.categorical_crossentropy(ct, cp), [0.6931472])
    close(K.categorical_crossentropy(ct, cp, from_logits=True), [0.9398311], rtol=1e-5)
    close(K.categorical_focal_crossentropy(ct, cp), [0.0433], rtol=5e-3)
    close(K.categorical_focal_crossentropy(ct, cp, from_logits=True), [0.0872], rtol=5e-3)
    with pytest.raises(ValueError, match=r"Shapes \(1, 2\) and \(1, 3\) are incompatible"):
        K.categorical_crossentropy(tf.constant([[0.0, 1.0]]), cp)
    sp = tf.constant([[0.2, 0.5, 0.3], [0.1, 0.1, 0.8]])
    close(K.sparse_categorical_crossentropy(tf.constant([1, 2]), sp), [0.6931472, 0.22314355])
    close(K.sparse_categorical_crossentropy(tf.constant([[1], [2]]), sp, from_logits=True),
          [0.9398311, 0.68972665], rtol=1e-5)
    close(K.sparse_categorical_crossentropy(tf.constant([1, 2]), sp, ignore_class=2),
          [0.6931472, 0.0])
    close(K.sparse_categorical_crossentropy(tf.constant([[1, 2]]), tf.reshape(sp, (1, 2, 3))),
          [[0.6931472, 0.22314355]])
    close(K.sparse_categorical_crossentropy(tf.constant([1, 2]), tf.transpose(sp), axis=0),
          [0.6931472, 0.22314355])


def test_loss_and_activation_gradients():
    rng = np.random.default_rng(1)
    target = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    probs = rng.uniform(0.1, 0.9, size=(2, 3))
    check_grad(lambda p: K.binary_crossentropy(tf.constant(target), p), probs)
    check_grad(lambda p: K.categorical_crossentropy(tf.constant(target), p), probs)
    check_grad(lambda p: K.categorical_focal_crossentropy(tf.constant(target), p), probs)
    check_grad(lambda p: K.binary_focal_crossentropy(tf.constant(target), p,
                                                     from_logits=True), probs)
    check_grad(lambda p: K.sparse_categorical_crossentropy(tf.constant([0, 2]), p,
                                                           from_logits=True), probs)
    x = np.array([[0.3, -1.2, 2.5], [1.7, -0.4, 0.8]])
    check_grad(lambda t: K.relu(t, alpha=0.5, max_value=2.0, threshold=0.5), x)
    check_grad(lambda t: K.elu(t, 0.5), x)
    check_grad(K.hard_sigmoid, x * 0.5)
    check_grad(K.sqrt, np.abs(x) + 0.1)
    check_grad(lambda t: K.std(t, 1), x)
    check_grad(lambda t: K.repeat_elements(t, 2, 1), x)
    check_grad(lambda t: K.clip(t, -1.0, 1.0), x)


# ---- nn ops -------------------------------------------------------------------------------

def test_bias_add():
    close(K.bias_add(X(), tf.constant([1.0, 2.0, 3.0])), [[2, 0, 6], [5, 7, -3]])
    with pytest.raises(ValueError, match="Unexpected bias dimensions 3. Expected it to be 1 "
                                         "or 2 dimensions"):
        K.bias_add(tf.zeros((2, 3, 4)), tf.zeros((1, 1, 1)))
    with pytest.raises(ValueError, match="Unknown data_format: x"):
        K.bias_add(X(), tf.constant([1.0, 2.0, 3.0]), data_format="x")


def test_conv_and_pool():
    xx = tf.reshape(tf.range(10.0), (1, 5, 2))
    k = tf.reshape(tf.range(1.0, 7.0), (3, 2, 1))
    close(K.conv1d(xx, k), [[[70.0], [112.0], [154.0]]])
    close(K.conv1d(xx, k, padding="causal"), [[[6.0], [32.0], [70.0], [112.0], [154.0]]])
    with pytest.raises(ValueError, match="Invalid padding: full"):
        K.conv1d(xx, k, padding="full")
    img = tf.reshape(tf.range(16.0), (1, 4, 4, 1))
    close(K.conv2d(img, tf.ones((2, 2, 1, 1)), padding="same")[0, :, :, 0],
          [[10, 14, 18, 10], [26, 30, 34, 18], [42, 46, 50, 26], [25, 27, 29, 15]])
    out = K.conv2d(tf.reshape(tf.range(36.0), (1, 6, 6, 1)), tf.ones((2, 2, 1, 2)),
                   dilation_rate=(2, 2))
    close(out[0, :, :, 0], [[28, 32, 36, 40], [52, 56, 60, 64], [76, 80, 84, 88],
                            [100, 104, 108, 112]])
    close(K.conv3d(tf.reshape(tf.range(27.0), (1, 3, 3, 3, 1)), tf.ones((2, 2, 2, 1, 1))),
          [[[[[52.0], [60.0]], [[76.0], [84.0]]], [[[124.0], [132.0]], [[148.0], [156.0]]]]])
    close(K.pool2d(img, (2, 2), (2, 2)), [[[[5.0], [7.0]], [[13.0], [15.0]]]])
    close(K.pool2d(img, (2, 2), (2, 2), pool_mode="avg"), [[[[2.5], [4.5]], [[10.5], [12.5]]]])
    close(K.pool2d(img, (3, 3), (2, 2), padding="same", pool_mode="avg"),
          [[[[5.0], [6.5]], [[11.0], [12.5]]]])
    with pytest.raises(ValueError, match="Invalid pooling mode: sum"):
        K.pool2d(img, (2, 2), (2, 2), pool_mode="sum")
    with pytest.raises(ValueError, match="`pool_size` must be a tuple of 2 integers."):
        K.pool2d(img, (2,), (2, 2))
    vol = tf.reshape(tf.range(8.0), (1, 2, 2, 2, 1))
    close(K.pool3d(vol, (2, 2, 2), (1, 1, 1)), [[[[[7.0]]]]])
    close(K.pool3d(vol, (2, 2, 2), (1, 1, 1), pool_mode="avg"), [[[[[3.5]]]]])


def test_transposed_depthwise_separable():
    x4 = tf.reshape(tf.range(4.0), (1, 2, 2, 1))
    close(K.conv2d_transpose(x4, tf.ones((2, 2, 1, 1)), (1, 4, 4, 1), strides=(2, 2))[0, :, :, 0],
          [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]])
    close(K.conv2d_transpose(x4, tf.reshape(tf.range(1.0, 10.0), (3, 3, 1, 1)), (1, 2, 2, 1),
                             padding="same")[0, :, :, 0], [[11, 17], [29, 35]])
    x18 = tf.reshape(tf.range(18.0), (1, 3, 3, 2))
    close(K.depthwise_conv2d(x18, tf.ones((2, 2, 2, 1))),
          [[[[16, 20], [24, 28]], [[40, 44], [48, 52]]]])
    close(K.separable_conv2d(x18, tf.ones((2, 2, 2, 1)), tf.ones((1, 1, 2, 1))),
          [[[[36.0], [52.0]], [[84.0], [100.0]]]])


def test_paddings_and_resizes():
    close(K.temporal_padding(tf.ones((1, 2, 1)), (1, 2)), [[[0.0], [1.0], [1.0], [0.0], [0.0]]])
    with pytest.raises(ValueError, match=r"Expected `padding` to be a tuple of 2 integers. "
                                         r"Received: padding=\(1, 2, 3\)"):
        K.temporal_padding(tf.ones((1, 2, 1)), (1, 2, 3))
    close(K.spatial_2d_padding(tf.ones((1, 1, 1, 1)), ((1, 0), (0, 1))),
          [[[[0.0], [0.0]], [[1.0], [0.0]]]])
    assert K.spatial_2d_padding(tf.ones((1, 1, 1, 1)), ((1, 0), (0, 1)),
                                data_format="channels_first").shape == (1, 1, 2, 2)
    with pytest.raises(ValueError, match="Expected `padding` to be a tuple of 2 tuples of 2 "
                                         "integers."):
        K.spatial_2d_padding(tf.ones((1, 1, 1, 1)), ((1, 0),))
    assert K.spatial_3d_padding(tf.ones((1, 1, 1, 1, 1))).shape == (1, 3, 3, 3, 1)
    x4 = tf.reshape(tf.range(4.0), (1, 2, 2, 1))
    close(K.resize_images(x4, 2, 1, "channels_last")[0, :, :, 0],
          [[0, 1], [0, 1], [2, 3], [2, 3]])
    r = K.resize_images(tf.reshape(tf.range(4), (1, 2, 2, 1)), 2, 2, "channels_last")
    close(r[0, :, :, 0], [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]], tf.int32)
    close(K.resize_images(x4, 2, 1, "channels_last", interpolation="bilinear")[0, :, :, 0],
          [[0, 1], [0.5, 1.5], [1.5, 2.5], [2, 3]])
    close(K.resize_images(tf.reshape(tf.range(4.0), (1, 1, 2, 2)), 1, 2, "channels_first"),
          [[[[0, 0, 1, 1], [2, 2, 3, 3]]]])
    close(K.resize_volumes(tf.reshape(tf.range(2.0), (1, 1, 1, 2, 1)), 2, 1, 2,
                           "channels_last")[0, :, 0, :, 0], [[0, 0, 1, 1], [0, 0, 1, 1]])
    with pytest.raises(ValueError, match="Invalid data_format: x"):
        K.resize_volumes(tf.zeros((1, 1, 1, 2, 1)), 2, 1, 2, "x")


def test_batch_normalization():
    mean, var = tf.constant([1.0, 1.0, 1.0]), tf.constant([4.0, 4.0, 4.0])
    close(K.batch_normalization(X(), mean, var, tf.constant([0.0, 1.0, 0.0]),
                                tf.constant([1.0, 1.0, 2.0])),
          [[0.0, -0.4998, 1.9998], [1.4998, 2.9998, -6.9991]], rtol=1e-4)
    close(K.batch_normalization(X(), mean, var, None, None, axis=1),
          [[0.0, -1.4998, 0.9999], [1.4998, 1.9998, -3.4996]], rtol=1e-4)


def test_in_top_k_and_switch():
    close(K.in_top_k(X(), tf.constant([2, 0]), 1), [True, False], tf.bool)
    close(K.switch(tf.constant(True), X(), -X()), X().numpy())
    close(K.switch(tf.constant(False), lambda: X(), lambda: -X()), -X().numpy())
    close(K.switch(tf.constant([[True, False, True], [False, True, False]]), X(), -X()),
          [[1, 2, 3], [-4, 5, 6]])
    with pytest.raises(ValueError, match=r"Rank of `condition` should be less than or equal to "
                                         r"rank of `then_expression` and `else_expression`. "
                                         r"ndim\(condition\)=3, ndim\(then_expression\)=2"):
        K.switch(tf.constant([[[True]]]), X(), -X())
    with pytest.raises(tf.errors.InvalidArgumentError, match="must be broadcastable"):
        K.switch(tf.constant([True, False]), X(), -X())


# ---- control flow, gradients, randomness ----------------------------------------------------

def test_map_fold_and_gradients():
    close(K.map_fn(lambda t: t * 2, I32()), [[2, 4, 6], [8, 10, 12]], tf.int32)
    close(K.foldl(lambda a, t: a + t, tf.constant([1, 2, 3])), 6, tf.int32)
    close(K.foldr(lambda a, t: a * 2 + t, tf.constant([1, 2, 3])), 17, tf.int32)
    with pytest.raises(RuntimeError, match="tf.gradients is not supported when eager "
                                           "execution is enabled. Use tf.GradientTape instead."):
        K.gradients(X(), [X()])
    sg = K.stop_gradient([X()])
    assert isinstance(sg, map)
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = K.sum(K.stop_gradient(x) * x)
    assert tape.gradient(y, x).numpy().tolist() == [1.0, 2.0]


def _step(inp, states):
    s = states[0] + inp
    return s * 2.0, [s]


def test_rnn():
    inp = tf.reshape(tf.range(12.0), (2, 3, 2))
    last, outs, states = K.rnn(_step, inp, [tf.zeros((2, 2))])
    close(last, [[12, 18], [48, 54]])
    close(outs, [[[0, 2], [4, 8], [12, 18]], [[12, 14], [28, 32], [48, 54]]])
    assert isinstance(states, tuple)
    close(states[0], [[6, 9], [24, 27]])
    _, outs, _ = K.rnn(_step, inp, [tf.zeros((2, 2))], go_backwards=True)
    close(outs, [[[8, 10], [12, 16], [12, 18]], [[20, 22], [36, 40], [48, 54]]])
    mask = tf.constant([[True, False, True], [True, True, False]])
    last, outs, states = K.rnn(_step, inp, [tf.zeros((2, 2))], mask=mask)
    close(last, [[8, 12], [28, 32]])
    close(outs, [[[0, 2], [0, 2], [8, 12]], [[12, 14], [28, 32], [28, 32]]])
    close(states[0], [[4, 6], [14, 16]])
    last, outs, _ = K.rnn(_step, inp, [tf.zeros((2, 2))], mask=mask, zero_output_for_mask=True)
    close(last, [[8, 12], [0, 0]])
    close(outs, [[[0, 2], [0, 0], [8, 12]], [[12, 14], [28, 32], [0, 0]]])
    _, outs, _ = K.rnn(_step, inp, [tf.zeros((2, 2))], return_all_outputs=False)
    close(outs, [[[12, 18]], [[48, 54]]])
    _, outs, _ = K.rnn(_step, inp, [tf.zeros((3, 2))], time_major=True)
    close(outs, [[[0, 2], [4, 6], [8, 10]], [[12, 16], [20, 24], [28, 32]]])
    _, outs, _ = K.rnn(lambda i, s: (i + s[1], [s[0]]), inp, [tf.zeros((2, 2))],
                       constants=[tf.ones((2, 2))])
    close(outs, [[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]])


def test_rnn_gradient():
    def step(inp, states):
        s = K.tanh(states[0] * 0.5 + inp)
        return s * states[1], [s, states[1]]

    def run(x, w):
        mask = tf.constant([[True, True, False], [True, False, True]])
        return K.rnn(step, x, [tf.zeros((2, 2), dtype=tf.float64), w], mask=mask)[1]

    rng = np.random.default_rng(3)
    check_grad(run, rng.normal(size=(2, 3, 2)), rng.normal(size=(2, 2)))


def test_ctc():
    st = K.ctc_label_dense_to_sparse(tf.constant([[1, 2, 0], [2, 0, 0]]), tf.constant([2, 1]))
    assert K.is_sparse(st)
    assert st.indices.numpy().tolist() == [[0, 0], [0, 1], [1, 0]]
    assert st.values.numpy().tolist() == [1, 2, 2]
    assert st.dense_shape.numpy().tolist() == [2, 3]
    yp = tf.constant([[[0.1, 0.6, 0.3], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [0.7, 0.2, 0.1]],
                      [[0.3, 0.3, 0.4], [0.2, 0.7, 0.1], [0.6, 0.2, 0.2], [0.25, 0.25, 0.5]]])
    cost = K.ctc_batch_cost(tf.constant([[1, 0], [1, 1]]), yp, tf.constant([[4], [3]]),
                            tf.constant([[2], [1]]))
    close(cost, [[1.0835], [1.5606]], rtol=1e-4)
    decoded, log_prob = K.ctc_decode(yp, tf.constant([4, 3]))
    assert len(decoded) == 1 and decoded[0].dtype == tf.int64
    assert decoded[0].numpy().tolist() == [[1, 0, 0, -1], [1, 0, -1, -1]]
    np.testing.assert_allclose(log_prob.numpy(), [[2.0715], [1.7838]], rtol=1e-4)
    decoded, log_prob = K.ctc_decode(yp, tf.constant([4, 4]), greedy=False, beam_width=5)
    assert decoded[0].numpy().tolist() == [[1, 0, -1, -1], [1, 0, -1, -1]]
    np.testing.assert_allclose(log_prob.numpy(), [[-1.0835], [-1.1410]], rtol=1e-4)


def test_random():
    assert K.random_normal((2,)).dtype == tf.float32
    assert K.random_uniform((2, 3), dtype="float64").shape == (2, 3)
    u = K.random_uniform((100,), 2.0, 3.0, seed=1).numpy()
    assert u.min() >= 2.0 and u.max() < 3.0
    t = K.truncated_normal((200,), stddev=1.0, seed=3).numpy()
    assert np.abs(t).max() <= 2.0
    close(K.random_bernoulli((3,), 1.0), [1.0, 1.0, 1.0], tf.float32)
    close(K.random_bernoulli((3,), 0.0), [0.0, 0.0, 0.0], tf.float32)
    v = K.random_uniform_variable((2,), 0, 1, seed=1, name="q")
    assert isinstance(v, tf.Variable) and v.name == "q:0" and v.dtype == tf.float32
    assert isinstance(K.random_normal_variable((2,), 0, 1, seed=1), tf.Variable)
    d = K.dropout(tf.ones((1000,)), 0.5, seed=1).numpy()
    assert set(np.unique(d).tolist()) <= {0.0, 2.0}
    tf.random.set_seed(7)
    first = K.random_normal((3,), seed=5).numpy()
    tf.random.set_seed(7)
    np.testing.assert_array_equal(first, K.random_normal((3,), seed=5).numpy())


# ---- settings and dtype helpers -----------------------------------------------------------

def test_settings_and_dtypes():
    assert K.backend() == "tensorflow"
    assert K.image_data_format() == "channels_last"
    K.set_image_data_format("channels_first")
    try:
        assert K.image_data_format() == "channels_first"
        # the legacy functions follow the setting
        close(K.bias_add(tf.zeros((1, 2, 3)), tf.constant([1.0, 2.0])),
              [[[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]])
        assert K.spatial_2d_padding(tf.ones((1, 1, 1, 1)), ((1, 0), (0, 1))).shape == (
            1, 1, 2, 2)
    finally:
        K.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match=r"The `data_format` argument must be one of "
                                         r"\{'channels_first', 'channels_last'\}. "
                                         r"Received: data_format=foo"):
        K.set_image_data_format("foo")
    a = K.get_uid("legacy_test_prefix")
    assert K.get_uid("legacy_test_prefix") == a + 1
    assert (K.is_float_dtype("float16"), K.is_float_dtype(tf.int32),
            K.is_float_dtype("bfloat16")) == (True, False, True)
    assert (K.is_int_dtype("uint8"), K.is_int_dtype("float32"),
            K.is_int_dtype(tf.int64)) == (True, False, True)
    assert K.result_type("int32", "float32") == "float32"
    assert K.result_type(tf.int64, "float16") == "float16"
    assert K.result_type("int8", "uint8") == "int16"
    assert K.result_type() == "float32"
    assert (K.standardize_dtype(tf.float32), K.standardize_dtype(None),
            K.standardize_dtype(int)) == ("float32", "float32", "int64")
    with K.name_scope("legacy_scope"):
        v = tf.Variable(1.0, name="w")
    assert v.name == "legacy_scope/w:0"


def test_sparse_helpers():
    x = tf.constant([[1, 0], [0, 2]])
    sp = tf.sparse.from_dense(x)
    assert (K.is_sparse(X()), K.is_sparse(sp)) == (False, True)
    close(K.to_dense(sp), [[1, 0], [0, 2]], tf.int32)
    assert K.to_dense(x) is x
    assert K.eval(sp).tolist() == [[1, 0], [0, 2]]
    close(K.concatenate([tf.constant([[1.0]]), tf.constant([[2.0]])], axis=0), [[1.0], [2.0]])


def test_loading_legacy_names_leaves_the_builtins_of_keras_backend_alone():
    # keras.backend's own helpers use sum/max/round...: the legacy functions must not shadow
    for name in ("sum", "max", "min", "abs", "round", "pow", "all", "any"):
        getattr(tf.keras.backend, name)
    kernel = tf.keras.initializers.GlorotUniform(seed=3)((4, 2))
    assert kernel.shape == (4, 2)
    assert tf.keras.backend.sum(tf.constant([1.0, 2.0])).numpy() == 3.0
