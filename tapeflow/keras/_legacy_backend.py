"""The legacy ``tf.keras.backend`` functions (``K.mean``, ``K.variable``, ``K.batch_dot``...)
that TF 2.21 still exposes from Keras 3, written over tapeflow's TF-level ops.

Loaded by ``keras.backend`` on first use of one of these names.
"""
import math as _pymath

from .. import dtypes
from .. import math as tfm
from .. import nn as tfnn
from .. import random as tfr
from .. import sparse as _sparse
from ..backend import host as np
from ..module import name_scope as _name_scope
from ..ops import array as A
from ..ops import extra as _extra
from ..ops import indexing as I
from ..ops import math as M
from ..ops import reduction as R
from ..ops.linalg import matmul as _matmul
from ..tensor import TensorBase, convert_to_tensor
from ..tensor import constant as _constant
from ..toplevel import gradients as _tf_gradients
from ..variable import Variable
from . import backend as _kb
from .utils.misc import standardize_dtype

# NOTE: the public names are backend._LEGACY_NAMES (keras.backend loads this module lazily)

_IMAGE_DATA_FORMAT = "channels_last"
_UIDS = {}
_builtin_any = any
_builtin_all = all


def _t(x):
    return x if isinstance(x, TensorBase) else convert_to_tensor(x)


def _seed(seed):
    # Keras draws a fresh seed from NumPy's global generator when none is given
    return int(np.random.randint(10e6)) if seed is None else seed


# ---- session settings and dtype helpers -------------------------------------------------


def backend():
    """The name of the backend Keras runs on (``'tensorflow'``)."""
    return "tensorflow"


def image_data_format():
    """The image layout the legacy functions default to (``'channels_last'``)."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    """Set the image layout (``'channels_last'`` or ``'channels_first'``)."""
    global _IMAGE_DATA_FORMAT
    fmt = str(data_format).lower()
    if fmt not in ("channels_first", "channels_last"):
        raise ValueError("The `data_format` argument must be one of {'channels_first', "
                         f"'channels_last'}}. Received: data_format={data_format}")
    _IMAGE_DATA_FORMAT = fmt


def get_uid(prefix=""):
    """1 the first time ``prefix`` is asked for, then 2, 3..."""
    _UIDS[prefix] = _UIDS.get(prefix, 0) + 1
    return _UIDS[prefix]


def is_float_dtype(dtype):
    """Whether the dtype (a name or dtype) is a floating type."""
    return standardize_dtype(dtype).startswith(("float", "bfloat"))


def is_int_dtype(dtype):
    """Whether the dtype (a name or dtype) is an integer type."""
    return standardize_dtype(dtype).startswith(("int", "uint"))


def result_type(*dtypes):
    """The dtype Keras's promotion rules give the given dtypes."""
    from .ops._base import result_type as _rt  # deferred: keras.ops loads on first use

    if not dtypes:
        return _kb.floatx()
    return _rt(*[standardize_dtype(d) for d in dtypes])


def name_scope(name):
    """``tf.name_scope``: a context manager naming the ops created inside."""
    return _name_scope(name)


# ---- variables and values ---------------------------------------------------------------


def variable(value, dtype=None, name=None, constraint=None):
    """A ``tf.Variable`` of ``dtype`` (``floatx()`` when None) holding ``value``."""
    if dtype is None:
        dtype = _kb.floatx()
    if hasattr(value, "tocoo"):  # a SciPy sparse matrix
        coo = value.tocoo()
        return _sparse.SparseTensor(np.stack([coo.row, coo.col], 1).astype(np.int64),
                                    coo.data, coo.shape)
    return Variable(value, dtype=dtypes.as_dtype(dtype), name=name, constraint=constraint)


def constant(value, dtype=None, shape=None, name=None):
    """A tensor of ``value`` (``floatx()`` unless ``dtype`` is given)."""
    return _constant(value, dtype=_kb.floatx() if dtype is None else dtype, shape=shape,
                     name=name)


def get_value(x):
    """The NumPy value of a tensor or variable; anything else comes back as given."""
    if not isinstance(x, TensorBase):
        return x
    return x.numpy()


def batch_get_value(tensors):
    """The values of a list of variables or tensors, as NumPy arrays."""
    return [x.numpy() for x in tensors]


def set_value(x, value):
    """Assign the NumPy ``value`` to the variable ``x``."""
    x.assign(np.asarray(value, dtype=x.dtype.name))


def batch_set_value(tuples):
    """Assign each NumPy value of ``tuples`` (``(variable, value)`` pairs) to its variable."""
    for x, value in tuples:
        set_value(x, value)


def update(x, new_x):
    """Assign ``new_x`` to the variable ``x``."""
    return x.assign(new_x)


def update_add(x, increment):
    """Add ``increment`` to the variable ``x``."""
    return x.assign_add(increment)


def update_sub(x, decrement):
    """Subtract ``decrement`` from the variable ``x``."""
    return x.assign_sub(decrement)


def moving_average_update(x, value, momentum):
    """Assign ``x * momentum + value * (1 - momentum)`` to the variable ``x``."""
    momentum = M.cast(momentum, x.dtype)
    value = M.cast(value, x.dtype)
    return x.assign_sub((x - value) * (1 - momentum))


def count_params(x):
    """The number of elements of a variable or tensor, as an int."""
    return _pymath.prod(x.shape.as_list())


def int_shape(x):
    """The shape of ``x`` as a tuple of ints (None for unknown dimensions)."""
    s = x.shape
    return s if isinstance(s, tuple) else tuple(s.as_list())


def ndim(x):
    """The number of dimensions of ``x``."""
    return x.shape.rank


def dtype(x):
    """The dtype name of a tensor or variable (``'float32'``)."""
    return x.dtype.base_dtype.name


def shape(x):
    """The shape of ``x`` as an int32 tensor."""
    return A.shape(x)


def is_sparse(tensor):
    """Whether ``tensor`` is a SparseTensor."""
    return isinstance(tensor, _sparse.SparseTensor)


def to_dense(tensor):
    """A SparseTensor as a dense tensor; other tensors unchanged."""
    return _sparse.to_dense(tensor) if is_sparse(tensor) else tensor


def eval(x):
    """The value of a tensor or variable as a NumPy array."""
    return get_value(to_dense(x))


def cast(x, dtype):
    """``x`` converted to ``dtype``."""
    return M.cast(x, dtype)


def cast_to_floatx(x):
    """``x`` as a NumPy array of ``floatx()``."""
    if isinstance(x, (TensorBase, _sparse.SparseTensor)):
        return M.cast(x, _kb.floatx())
    return np.asarray(x, dtype=_kb.floatx())


# ---- creation -----------------------------------------------------------------------------


def _filled(fn, shape, dtype, name):
    dtype = _kb.floatx() if dtype is None else dtype
    v = fn(shape, dtype=dtypes.as_dtype(dtype), name=name)
    if _builtin_all(v.shape.as_list()):
        return variable(v, dtype=dtype, name=name)
    return v  # Keras keeps a tensor when a dimension is 0


def zeros(shape, dtype=None, name=None):
    """A variable of zeros of ``shape`` (a tensor when a dimension is 0)."""
    return _filled(A.zeros, shape, dtype, name)


def ones(shape, dtype=None, name=None):
    """A variable of ones of ``shape`` (a tensor when a dimension is 0)."""
    return _filled(A.ones, shape, dtype, name)


def eye(size, dtype=None, name=None):
    """An identity-matrix variable of ``size`` (an int or ``(rows, columns)``)."""
    dtype = _kb.floatx() if dtype is None else dtype
    if not isinstance(size, (int, np.integer)):
        raise TypeError("Arguments `num_rows` and `num_columns` must be positive integer "
                        f"values. Received: num_rows={size}, num_columns={size}")
    return variable(A.eye(size, dtype=dtypes.as_dtype(dtype)), dtype, name)


def zeros_like(x, dtype=None, name=None):
    """Zeros of ``x``'s shape and dtype."""
    return M.zeros_like(x, dtype=dtype, name=name)


def ones_like(x, dtype=None, name=None):
    """Ones of ``x``'s shape and dtype."""
    return M.ones_like(x, dtype=dtype, name=name)


def arange(start, stop=None, step=1, dtype="int32"):
    """A 1-D tensor of ``start, start + step, ...`` below ``stop`` (int32 by default, as Keras)."""
    if stop is None and start < 0:
        start = 0
    out = A.range(start, limit=stop, delta=step, name="arange")
    return out if dtype == "int32" else M.cast(out, dtype)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Uniform random values of ``shape`` in ``[minval, maxval)``."""
    return tfr.uniform(shape, minval=minval, maxval=maxval,
                       dtype=_kb.floatx() if dtype is None else dtype, seed=_seed(seed))


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal random values of ``shape`` (``mean``, ``stddev``)."""
    return tfr.normal(shape, mean=mean, stddev=stddev,
                      dtype=_kb.floatx() if dtype is None else dtype, seed=_seed(seed))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal random values of ``shape`` redrawn beyond two standard deviations."""
    return tfr.truncated_normal(shape, mean, stddev,
                                dtype=_kb.floatx() if dtype is None else dtype,
                                seed=_seed(seed))


def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    """Random 0/1 values of ``shape``, 1 with probability ``p``."""
    dtype = _kb.floatx() if dtype is None else dtype
    draw = tfr.uniform(shape, dtype=dtype, seed=_seed(seed))
    return M.where(draw <= p, A.ones(shape, dtype=dtype), A.zeros(shape, dtype=dtype))


def random_uniform_variable(shape, low, high, dtype=None, name=None, seed=None):
    """A variable of uniform random values of ``shape`` in ``[low, high)``."""
    dtype = _kb.floatx() if dtype is None else dtype
    value = tfr.uniform(shape, minval=low, maxval=high, dtype=dtype,
                        seed=int(np.random.randint(10e8)) if seed is None else seed)
    return variable(value, dtype=dtype, name=name)


def random_normal_variable(shape, mean, scale, dtype=None, name=None, seed=None):
    """A variable of normal random values of ``shape``."""
    dtype = _kb.floatx() if dtype is None else dtype
    value = tfr.normal(shape, mean=mean, stddev=scale, dtype=dtype,
                       seed=int(np.random.randint(10e8)) if seed is None else seed)
    return variable(value, dtype=dtype, name=name)


# ---- elementwise math -----------------------------------------------------------------------


def abs(x):
    """Elementwise absolute value of ``x``."""
    return M.abs(x)


def square(x):
    """Elementwise square."""
    return M.square(x)


def sqrt(x):
    """Elementwise square root (negative inputs clipped to 0)."""
    x = _t(x)
    zero = _constant(0.0, dtype=x.dtype) if x.dtype.is_floating else 0.0
    return M.sqrt(M.clip_by_value(x, zero, float("inf")))


def exp(x):
    """Elementwise exponential."""
    return M.exp(x)


def log(x):
    """Elementwise natural logarithm."""
    return M.log(x)


def sin(x):
    """Elementwise sine."""
    return M.sin(x)


def cos(x):
    """Elementwise cosine."""
    return M.cos(x)


def tanh(x):
    """Elementwise hyperbolic tangent."""
    return M.tanh(x)


def sign(x):
    """Elementwise sign (-1, 0 or 1)."""
    return M.sign(x)


def round(x):
    """Elementwise rounding to the nearest integer (halves to even)."""
    return M.round(x)


def pow(x, a):
    """Elementwise ``x ** a``."""
    return M.pow(x, a)


def clip(x, min_value, max_value):
    """Clip ``x`` into ``[min_value, max_value]`` (``max_value`` below ``min_value`` wins as
    the bound; None means unbounded on that side)."""
    if isinstance(min_value, (int, float)) and isinstance(max_value, (int, float)):
        if max_value < min_value:
            max_value = min_value
    if min_value is None:
        min_value = -np.inf
    if max_value is None:
        max_value = np.inf
    return M.clip_by_value(x, min_value, max_value)


def maximum(x, y):
    """Elementwise maximum of ``x`` and ``y``."""
    return M.maximum(x, y)


def minimum(x, y):
    """Elementwise minimum of ``x`` and ``y``."""
    return M.minimum(x, y)


def equal(x, y):
    """Elementwise ``x == y``."""
    return M.equal(x, y)


def not_equal(x, y):
    """Elementwise ``x != y``."""
    return M.not_equal(x, y)


def greater(x, y):
    """Elementwise ``x > y``."""
    return M.greater(x, y)


def greater_equal(x, y):
    """Elementwise ``x >= y``."""
    return M.greater_equal(x, y)


def less(x, y):
    """Elementwise ``x < y``."""
    return M.less(x, y)


def less_equal(x, y):
    """Elementwise ``x <= y``."""
    return M.less_equal(x, y)


def stop_gradient(variables):
    """``variables`` with gradients stopped (a tensor, or a map over a list)."""
    if isinstance(variables, (list, tuple)):
        return map(M.stop_gradient, variables)
    return M.stop_gradient(variables)


# ---- reductions -------------------------------------------------------------------------


def _as_floatx_if_bool(x):
    x = _t(x)
    return M.cast(x, _kb.floatx()) if x.dtype == dtypes.bool else x


def mean(x, axis=None, keepdims=False):
    """The mean along ``axis`` (bools counted as floats)."""
    return R.reduce_mean(_as_floatx_if_bool(x), axis, keepdims)


def sum(x, axis=None, keepdims=False):
    """The sum along ``axis``."""
    return R.reduce_sum(x, axis, keepdims)


def prod(x, axis=None, keepdims=False):
    """The product along ``axis``."""
    return R.reduce_prod(x, axis, keepdims)


def max(x, axis=None, keepdims=False):
    """The largest value along ``axis``."""
    return R.reduce_max(x, axis, keepdims)


def min(x, axis=None, keepdims=False):
    """The smallest value along ``axis``."""
    return R.reduce_min(x, axis, keepdims)


def std(x, axis=None, keepdims=False):
    """The standard deviation along ``axis``."""
    return tfm.reduce_std(_as_floatx_if_bool(x), axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    """The variance along ``axis``."""
    return tfm.reduce_variance(_as_floatx_if_bool(x), axis=axis, keepdims=keepdims)


def all(x, axis=None, keepdims=False):
    """Whether all of ``x`` is true along ``axis`` (logical AND)."""
    return R.reduce_all(M.cast(x, dtypes.bool), axis, keepdims)


def any(x, axis=None, keepdims=False):
    """Whether any of ``x`` is true along ``axis`` (logical OR)."""
    return R.reduce_any(M.cast(x, dtypes.bool), axis, keepdims)


def argmax(x, axis=-1):
    """The index of the largest value along ``axis``."""
    return tfm.argmax(x, axis)


def argmin(x, axis=-1):
    """The index of the smallest value along ``axis``."""
    return tfm.argmin(x, axis)


def cumsum(x, axis=0):
    """The cumulative sum along ``axis``."""
    return R.cumsum(x, axis=axis)


def cumprod(x, axis=0):
    """The cumulative product along ``axis``."""
    return R.cumprod(x, axis=axis)


def l2_normalize(x, axis=None):
    """``x`` divided by its L2 norm along ``axis``."""
    return tfnn.l2_normalize(x, axis=axis)


def in_top_k(predictions, targets, k):
    """Whether each target is among the ``k`` largest predictions of its row."""
    return tfm.in_top_k(targets, predictions, k)


# ---- shapes -----------------------------------------------------------------------------


def reshape(x, shape):
    """``x`` with a new ``shape``."""
    return A.reshape(x, shape)


def permute_dimensions(x, pattern):
    """``x`` with its dimensions reordered by ``pattern``."""
    return A.transpose(x, perm=pattern)


def transpose(x):
    """``x`` with its dimensions reversed."""
    return A.transpose(x)


def expand_dims(x, axis=-1):
    """``x`` with a dimension of size 1 inserted at ``axis``."""
    return A.expand_dims(x, axis)


def squeeze(x, axis):
    """``x`` without its dimension ``axis`` of size 1."""
    return A.squeeze(x, [axis])


def concatenate(tensors, axis=-1):
    """The tensors joined along ``axis`` (-1 by default)."""
    if axis < 0:
        rank = ndim(tensors[0])
        axis = axis % rank if rank else 0
    if _builtin_all(is_sparse(t) for t in tensors):
        return _sparse.concat(axis, tensors)
    return A.concat([to_dense(t) for t in tensors], axis)


def stack(x, axis=0):
    """The tensors stacked along a new ``axis``."""
    return A.stack(x, axis=axis)


def flatten(x):
    """``x`` as a 1-D tensor."""
    return A.reshape(x, [-1])


def batch_flatten(x):
    """``x`` as a 2-D tensor: the first dimension kept, the rest flattened."""
    x = _t(x)
    return A.reshape(x, [-1, int(np.prod(x.shape.as_list()[1:], dtype=np.int64))])


def gather(reference, indices):
    """The rows of ``reference`` at ``indices``."""
    return I.gather(reference, indices)


def one_hot(indices, num_classes):
    """One-hot vectors of depth ``num_classes`` for integer ``indices``."""
    return A.one_hot(indices, depth=num_classes, axis=-1)


def tile(x, n):
    """``x`` repeated ``n`` times along each axis."""
    if isinstance(n, int):
        n = [n]
    return I.tile(x, n)


def reverse(x, axes):
    """``x`` reversed along ``axes``."""
    if isinstance(axes, int):
        axes = [axes]
    return I.reverse(x, axes)


def repeat(x, n):
    """Repeat a 2D ``(samples, dim)`` tensor ``n`` times into ``(samples, n, dim)``."""
    if ndim(x) != 2:
        raise ValueError(f"Expected input `x` to have rank 2. Received: rank(x)={ndim(x)}")
    return I.tile(A.expand_dims(x, 1), [1, n, 1])


def repeat_elements(x, rep, axis):
    """Repeat each slice of ``x`` along ``axis`` ``rep`` times (``np.repeat``)."""
    x = _t(x)
    axis = axis % x.shape.rank
    moved = A.expand_dims(x, axis + 1)
    multiples = [1] * (x.shape.rank + 1)
    multiples[axis + 1] = rep
    out_shape = x.shape.as_list()
    out_shape[axis] *= rep
    return A.reshape(I.tile(moved, multiples), out_shape)


def dot(x, y):
    """Matrix product; for N-D operands, contracts ``x``'s last axis with ``y``'s
    second-to-last (``y``'s leading axes go after ``x``'s), as Keras 1/2's ``K.dot``."""
    x, y = _t(x), _t(y)
    if x.shape.rank is not None and (x.shape.rank > 2 or (y.shape.rank or 0) > 2):
        xs, ys = x.shape.as_list(), y.shape.as_list()
        perm = [len(ys) - 2] + [i for i in range(len(ys)) if i != len(ys) - 2]
        y2 = A.reshape(A.transpose(y, perm), [ys[-2], -1])
        out = _matmul(A.reshape(x, [-1, xs[-1]]), y2)
        return A.reshape(out, xs[:-1] + ys[:-2] + ys[-1:])
    return _matmul(x, y)


def batch_dot(x, y, axes=None):
    """Per-sample dot product: contracts axis ``axes[0]`` of ``x`` with ``axes[1]`` of ``y``
    for each entry of the batch axis 0."""
    x, y = _t(x), _t(y)
    xs, ys = tuple(x.shape.as_list()), tuple(y.shape.as_list())
    xn, yn = len(xs), len(ys)
    if xn < 2 or yn < 2:
        raise ValueError("Cannot do batch_dot on inputs with rank < 2. Received inputs with "
                         f"tf.shapes {x.shape} and {y.shape}.")
    if xs[0] is not None and ys[0] is not None and xs[0] != ys[0]:
        raise ValueError("Cannot do batch_dot on inputs with different batch sizes. Received "
                         f"inputs with tf.shapes {x.shape} and {y.shape}.")
    if isinstance(axes, int):
        axes = [axes, axes]
    if axes is None:
        axes = [xn - 1, yn - 1] if yn == 2 else [xn - 1, yn - 2]
    if _builtin_any(isinstance(a, (list, tuple)) for a in axes):
        raise ValueError("Multiple target dimensions are not supported. Expected: None, int, "
                         f"(int, int), Provided: {axes}")
    axes = [axes[0] + xn if axes[0] < 0 else axes[0], axes[1] + yn if axes[1] < 0 else axes[1]]
    if 0 in axes:
        raise ValueError("Cannot perform batch_dot over axis 0. If your inputs are not "
                         "batched, add a dummy batch dimension to your inputs using "
                         "K.expand_dims(x, 0)")
    a0, a1 = axes
    if xs[a0] != ys[a1]:
        raise ValueError(f"Cannot do batch_dot on inputs with tf.shapes {x.shape} and "
                         f"{y.shape} with axes={axes}. x.shape[{a0}] != y.shape[{a1}] "
                         f"({xs[a0]} != {ys[a1]}).")
    xperm = [i for i in range(xn) if i != a0] + [a0]
    yperm = [0, a1] + [i for i in range(1, yn) if i != a1]
    xm = [xs[i] for i in xperm[1:-1]]
    yt = [ys[i] for i in yperm[2:]]
    xr = A.reshape(A.transpose(x, xperm), [-1, int(np.prod(xm, dtype=np.int64)), xs[a0]])
    yr = A.reshape(A.transpose(y, yperm), [-1, ys[a1], int(np.prod(yt, dtype=np.int64))])
    out = _matmul(xr, yr)
    if xn == 2 and yn == 2:
        return A.reshape(out, [-1, 1])
    return A.reshape(out, [-1] + xm + yt)


def switch(condition, then_expression, else_expression):
    """``then_expression`` where ``condition`` holds, else ``else_expression``; a scalar
    condition picks one whole branch (callables are called only when picked)."""
    condition = _t(condition)
    if condition.dtype != dtypes.bool:
        condition = M.cast(condition, dtypes.bool)
    cond_ndim = ndim(condition)
    if not cond_ndim:
        chosen = then_expression if bool(condition.numpy()) else else_expression
        return _t(chosen() if callable(chosen) else chosen)
    if callable(then_expression):
        then_expression = then_expression()
    if callable(else_expression):
        else_expression = else_expression()
    expr_ndim = ndim(_t(then_expression))
    if cond_ndim > expr_ndim:
        raise ValueError("Rank of `condition` should be less than or equal to rank of "
                         "`then_expression` and `else_expression`. ndim(condition)="
                         f"{cond_ndim}, ndim(then_expression)={expr_ndim}")
    if cond_ndim > 1:
        condition = A.reshape(condition, condition.shape.as_list() + [1] * (expr_ndim -
                                                                             cond_ndim))
    return M.where(condition, then_expression, else_expression)


# ---- neural network -------------------------------------------------------------------------


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit with a leak ``alpha`` below ``threshold`` and a cap
    ``max_value``."""
    x = _t(x)
    if alpha != 0.0:
        if max_value is None and threshold == 0:
            return tfnn.leaky_relu(x, alpha=alpha)
        negative = tfnn.relu(-x + threshold) if threshold != 0 else tfnn.relu(-x)
    clip_max = max_value is not None
    if threshold != 0:
        x = x * M.cast(M.greater(x, threshold), x.dtype)
    elif max_value == 6:
        x = tfnn.relu6(x)
        clip_max = False
    else:
        x = tfnn.relu(x)
    if clip_max:
        x = M.clip_by_value(x, _constant(0, dtype=x.dtype), _constant(max_value, dtype=x.dtype))
    if alpha != 0.0:
        x = x - _constant(alpha, dtype=x.dtype) * negative
    return x


def elu(x, alpha=1.0):
    """Elementwise ELU: ``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    res = tfnn.elu(x)
    if alpha == 1:
        return res
    return M.where(x > 0, res, alpha * res)


def sigmoid(x):
    """Elementwise logistic sigmoid."""
    return tfnn.sigmoid(x)


def hard_sigmoid(x):
    """A piecewise-linear sigmoid: ``clip(0.2 * x + 0.5, 0, 1)``."""
    x = _t(x)
    x = x * _constant(0.2, dtype=x.dtype) + _constant(0.5, dtype=x.dtype)
    return M.clip_by_value(x, _constant(0.0, dtype=x.dtype), _constant(1.0, dtype=x.dtype))


def softmax(x, axis=-1):
    """Softmax of ``x`` along ``axis``."""
    return tfnn.softmax(x, axis=axis)


def softplus(x):
    """Elementwise ``log(1 + exp(x))``."""
    return tfnn.softplus(x)


def softsign(x):
    """Elementwise ``x / (1 + |x|)``."""
    return tfnn.softsign(x)


def dropout(x, level, noise_shape=None, seed=None):
    """``x`` with entries zeroed at rate ``level`` and the rest scaled by ``1 / (1 - level)``."""
    return tfnn.dropout(x, rate=level, noise_shape=noise_shape, seed=_seed(seed))


def _eps(dt):
    return _constant(_kb.epsilon(), dtype=dt)


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy of ``target`` and ``output`` (probabilities, or logits
    with ``from_logits``)."""
    target, output = _t(target), _t(output)
    if from_logits:
        return tfnn.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    e = _eps(output.dtype)
    output = M.clip_by_value(output, e, 1.0 - e)
    bce = target * M.log(output + _kb.epsilon())
    bce = bce + (1 - target) * M.log(1 - output + _kb.epsilon())
    return -bce


def binary_focal_crossentropy(target, output, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False):
    """Binary cross-entropy down-weighted for well-classified entries by ``(1 - p_t) ** gamma``."""
    target, output = _t(target), _t(output)
    sigmoidal = tfnn.sigmoid(output) if from_logits else output
    p_t = target * sigmoidal + (1 - target) * (1 - sigmoidal)
    focal = M.pow(1.0 - p_t, gamma)
    bce = focal * binary_crossentropy(target, output, from_logits)
    if apply_class_balancing:
        bce = (target * alpha + (1 - target) * (1 - alpha)) * bce
    return bce


def _check_compatible(a, b):
    if not a.shape.is_compatible_with(b.shape):
        raise ValueError(f"Shapes {a.shape} and {b.shape} are incompatible")


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy of one-hot ``target`` and ``output`` (probabilities, or logits with
    ``from_logits``) along ``axis``."""
    target, output = _t(target), _t(output)
    _check_compatible(target, output)
    if from_logits:
        return tfnn.softmax_cross_entropy_with_logits(labels=target, logits=output, axis=axis)
    output = output / R.reduce_sum(output, axis, True)
    e = _eps(output.dtype)
    output = M.clip_by_value(output, e, 1.0 - e)
    return -R.reduce_sum(target * M.log(output), axis)


def categorical_focal_crossentropy(target, output, alpha=0.25, gamma=2.0, from_logits=False,
                                   axis=-1):
    """Categorical cross-entropy weighted by ``alpha * (1 - p) ** gamma``."""
    target, output = _t(target), _t(output)
    _check_compatible(target, output)
    if from_logits:
        output = tfnn.softmax(output, axis=axis)
    output = output / R.reduce_sum(output, axis, True)
    e = _eps(output.dtype)
    output = M.clip_by_value(output, e, 1.0 - e)
    ce = -target * M.log(output)
    modulating = M.pow(1 - output, gamma)
    return R.reduce_sum(alpha * modulating * ce, axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1,
                                    ignore_class=None):
    """Cross-entropy of integer ``target`` classes and ``output`` (probabilities, or logits with
    ``from_logits``)."""
    target, output = M.cast(_t(target), dtypes.int64), _t(output)
    if not from_logits:
        e = _eps(output.dtype)
        output = M.log(M.clip_by_value(output, e, 1 - e))
    rank = output.shape.rank
    axis %= rank
    if axis != rank - 1:
        output = A.transpose(output, [*range(axis), *range(axis + 1, rank), axis])
    out_shape = output.shape.as_list()
    reshaped = target.shape.rank != rank - 1
    if reshaped:
        target = flatten(target)
        output = A.reshape(output, [-1, out_shape[-1]])
    if ignore_class is not None:
        valid = M.not_equal(target, M.cast(ignore_class, target.dtype))
        safe = M.where(valid, target, M.zeros_like(target))
        res = tfnn.sparse_softmax_cross_entropy_with_logits(labels=safe, logits=output)
        res = M.where(valid, res, M.zeros_like(res))
        return A.reshape(res, out_shape[:-1])
    res = tfnn.sparse_softmax_cross_entropy_with_logits(labels=target, logits=output)
    if reshaped and rank >= 3:
        res = A.reshape(res, out_shape[:-1])
    return res


def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=0.001):
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta``, the moments given."""
    return tfnn.batch_normalization(x, mean, var, beta, gamma, epsilon)


def _data_format(data_format):
    if data_format is None:
        data_format = image_data_format()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"Unknown data_format: {data_format}")
    return data_format


def _padding(padding):
    if padding == "same":
        return "SAME"
    if padding == "valid":
        return "VALID"
    raise ValueError(f"Invalid padding: {padding}")


def bias_add(x, bias, data_format=None):
    """``x`` plus ``bias`` over its channel axis (``data_format`` chooses which)."""
    data_format = _data_format(data_format)
    x, bias = _t(x), _t(bias)
    bshape = tuple(bias.shape.as_list())
    if len(bshape) not in (1, ndim(x) - 1):
        raise ValueError(f"Unexpected bias dimensions {len(bshape)}. Expected it to be 1 or "
                         f"{ndim(x) - 1} dimensions")
    if len(bshape) == 1:
        return tfnn.bias_add(x, bias, data_format="NCHW" if data_format == "channels_first"
                             else "NHWC")
    if ndim(x) in (3, 4, 5):
        if data_format == "channels_first":
            return x + A.reshape(bias, (1, bshape[-1]) + bshape[:-1])
        return x + A.reshape(bias, (1,) + bshape)
    return tfnn.bias_add(x, bias)


def temporal_padding(x, padding=(1, 1)):
    """``x`` (3-D) zero-padded on its time axis."""
    if len(padding) != 2:
        raise ValueError("Expected `padding` to be a tuple of 2 integers. "
                         f"Received: padding={padding}")
    return I.pad(x, [[0, 0], list(padding), [0, 0]])


def spatial_2d_padding(x, padding=((1, 1), (1, 1)), data_format=None):
    """``x`` (4-D) zero-padded on its two spatial axes."""
    if len(padding) != 2 or _builtin_any(len(p) != 2 for p in padding):
        raise ValueError("Expected `padding` to be a tuple of 2 tuples of 2 integers. "
                         f"Received: padding={padding}")
    data_format = _data_format(data_format)
    pads = [[0, 0], list(padding[0]), list(padding[1])]
    pads = [[0, 0]] + pads if data_format == "channels_first" else pads + [[0, 0]]
    return I.pad(x, pads)


def spatial_3d_padding(x, padding=((1, 1), (1, 1), (1, 1)), data_format=None):
    """``x`` (5-D) zero-padded on its three spatial axes."""
    if len(padding) != 3 or _builtin_any(len(p) != 2 for p in padding):
        raise ValueError("Expected `padding` to be a tuple of 3 tuples of 2 integers. "
                         f"Received: padding={padding}")
    data_format = _data_format(data_format)
    pads = [[0, 0]] + [list(p) for p in padding]
    pads = [[0, 0]] + pads if data_format == "channels_first" else pads + [[0, 0]]
    return I.pad(x, pads)


def conv1d(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """A 1-D convolution of ``x`` with ``kernel`` (``strides``, ``padding``, ``data_format``,
    ``dilation_rate``)."""
    data_format = _data_format(data_format)
    if padding == "causal":
        x = temporal_padding(x, (dilation_rate * (kernel.shape[0] - 1), 0))
        padding = "valid"
    return tfnn.convolution(x, kernel, strides=strides, padding=_padding(padding),
                            data_format="NCW" if data_format == "channels_first" else "NWC",
                            dilations=dilation_rate)


def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None,
           dilation_rate=(1, 1)):
    """A 2-D convolution of ``x`` with ``kernel`` (``strides``, ``padding``, ``data_format``,
    ``dilation_rate``)."""
    data_format = _data_format(data_format)
    return tfnn.convolution(x, kernel, strides=strides, padding=_padding(padding),
                            data_format="NCHW" if data_format == "channels_first" else "NHWC",
                            dilations=dilation_rate)


def conv3d(x, kernel, strides=(1, 1, 1), padding="valid", data_format=None,
           dilation_rate=(1, 1, 1)):
    """A 3-D convolution of ``x`` with ``kernel``."""
    data_format = _data_format(data_format)
    x = _channels_last(x, data_format, 5)
    out = tfnn.conv3d(x, kernel, (1,) + tuple(strides) + (1,), _padding(padding),
                      dilations=(1,) + tuple(dilation_rate) + (1,))
    return _channels_back(out, data_format, 5)


def _channels_last(x, data_format, rank):
    if data_format == "channels_first":
        return A.transpose(x, [0] + list(range(2, rank)) + [1])
    return x


def _channels_back(x, data_format, rank):
    if data_format == "channels_first":
        return A.transpose(x, [0, rank - 1] + list(range(1, rank - 1)))
    return x


def conv2d_transpose(x, kernel, output_shape, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    """The transposed 2-D convolution of ``x`` with ``kernel`` to ``output_shape``."""
    data_format = _data_format(data_format)
    output_shape = tuple(output_shape)
    if data_format == "channels_first":
        output_shape = (output_shape[0],) + output_shape[2:] + (output_shape[1],)
    x = _channels_last(x, data_format, 4)
    out = tfnn.conv2d_transpose(x, kernel, output_shape, (1,) + tuple(strides) + (1,),
                                padding=_padding(padding), dilations=dilation_rate)
    return _channels_back(out, data_format, 4)


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    """A depthwise 2-D convolution of ``x`` with ``depthwise_kernel``."""
    data_format = _data_format(data_format)
    x = _channels_last(x, data_format, 4)
    out = tfnn.depthwise_conv2d(x, depthwise_kernel, (1,) + tuple(strides) + (1,),
                                _padding(padding), dilations=dilation_rate)
    return _channels_back(out, data_format, 4)


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    """A depthwise 2-D convolution followed by a pointwise (1x1) one."""
    data_format = _data_format(data_format)
    if len(strides) != 2:
        raise ValueError("`strides` must be a tuple of 2 integers.")
    x = _channels_last(x, data_format, 4)
    out = tfnn.separable_conv2d(x, depthwise_kernel, pointwise_kernel,
                                (1,) + tuple(strides) + (1,), _padding(padding),
                                dilations=dilation_rate)
    return _channels_back(out, data_format, 4)


def _pool(x, pool_size, strides, padding, data_format, pool_mode, n):
    data_format = _data_format(data_format)
    words = {2: "2", 3: "3"}[n]
    if len(pool_size) != n:
        raise ValueError(f"`pool_size` must be a tuple of {words} integers.")
    if len(strides) != n:
        raise ValueError(f"`strides` must be a tuple of {words} integers.")
    padding = _padding(padding)
    if pool_mode not in ("max", "avg"):
        raise ValueError(f"Invalid pooling mode: {pool_mode}")
    fn = tfnn.max_pool if pool_mode == "max" else tfnn.avg_pool
    x = _channels_last(x, data_format, n + 2)
    out = fn(x, (1,) + tuple(pool_size) + (1,), (1,) + tuple(strides) + (1,), padding)
    return _channels_back(out, data_format, n + 2)


def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None, pool_mode="max"):
    """2-D max or average pooling of ``x`` (``pool_mode`` 'max' or 'avg')."""
    return _pool(x, pool_size, strides, padding, data_format, pool_mode, 2)


def pool3d(x, pool_size, strides=(1, 1, 1), padding="valid", data_format=None,
           pool_mode="max"):
    """3-D max or average pooling of ``x`` (``pool_mode`` 'max' or 'avg')."""
    return _pool(x, pool_size, strides, padding, data_format, pool_mode, 3)


def resize_images(x, height_factor, width_factor, data_format, interpolation="nearest"):
    """Upsample the two spatial axes by integer factors."""
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"Invalid `data_format` argument: {data_format}")
    if interpolation not in ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area",
                             "gaussian", "mitchellcubic"):
        raise ValueError("`interpolation` argument should be one of: \"area\", \"bicubic\", "
                         "\"bilinear\", \"gaussian\", \"lanczos3\", \"lanczos5\", "
                         f"\"mitchellcubic\", \"nearest\". Received: \"{interpolation}\".")
    from .. import image as _image  # deferred: tf.image only for this function

    x = _t(x)
    x = _channels_last(x, data_format, 4)
    h, w = x.shape.as_list()[1:3]
    out = _image.resize(x, [h * height_factor, w * width_factor], method=interpolation)
    if interpolation == "nearest":
        out = M.cast(out, x.dtype)
    return _channels_back(out, data_format, 4)


def resize_volumes(x, depth_factor, height_factor, width_factor, data_format):
    """``x`` (5-D) repeated along its three spatial axes by the given factors."""
    if data_format == "channels_first":
        axes = (2, 3, 4)
    elif data_format == "channels_last":
        axes = (1, 2, 3)
    else:
        raise ValueError(f"Invalid data_format: {data_format}")
    for axis, rep in zip(axes, (depth_factor, height_factor, width_factor)):
        x = repeat_elements(x, rep, axis)
    return x


# ---- control flow, gradients ------------------------------------------------------------


def map_fn(fn, elems, name=None, dtype=None):
    """``fn`` applied to each element of ``elems`` along its first dimension, the results
    stacked."""
    return _extra.map_fn(fn, elems, dtype=dtype, name=name)


def foldl(fn, elems, initializer=None, name=None):
    """``fn`` folded over ``elems`` from the first element (``initializer`` or the first element
    to start)."""
    return _extra.foldl(fn, elems, initializer=initializer, name=name)


def foldr(fn, elems, initializer=None, name=None):
    """``fn`` folded over ``elems`` from the last element."""
    return _extra.foldr(fn, elems, initializer=initializer, name=name)


def gradients(loss, variables):
    """The gradients of ``loss`` with respect to ``variables`` (a list)."""
    return _tf_gradients(loss, variables)


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None, constants=None,
        unroll=False, input_length=None, time_major=False, zero_output_for_mask=False,
        return_all_outputs=True):
    """Run ``step_function(input_t, states (+ constants))`` over the time axis; returns
    ``(last_output, outputs, new_states)``. A ``mask`` keeps the previous states (and the
    previous output, or zeros with ``zero_output_for_mask``) where it is False."""
    inputs = _t(inputs)
    if not time_major:
        inputs = A.transpose(inputs, [1, 0] + list(range(2, inputs.shape.rank)))
    if mask is not None:
        mask = _t(mask)
        if mask.dtype != dtypes.bool:
            mask = M.cast(mask, dtypes.bool)
        if mask.shape.rank == 2:
            mask = A.expand_dims(mask, -1)
        if not time_major:
            mask = A.transpose(mask, [1, 0] + list(range(2, mask.shape.rank)))
    constants = list(constants or [])
    steps = inputs.shape[0]
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    states = list(initial_states)
    outputs, prev = [], None
    for t in order:
        out, new_states = step_function(inputs[t], states + constants)
        new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
        if mask is not None:
            m = mask[t]
            if prev is None:
                prev = M.zeros_like(out)
            keep = prev if not zero_output_for_mask else M.zeros_like(out)
            out = M.where(_widen(m, out), out, keep)
            new_states = [M.where(_widen(m, s), s, s0) for s, s0 in zip(new_states, states)]
            prev = M.where(_widen(m, out), out, prev)
        states = new_states
        outputs.append(out)
    last = outputs[-1]
    if return_all_outputs:
        stacked = A.stack(outputs, 0)
    else:
        stacked = A.expand_dims(last, 0)
    if not time_major:
        stacked = A.transpose(stacked, [1, 0] + list(range(2, stacked.shape.rank)))
    return last, stacked, tuple(states)


def _widen(m, like):
    while m.shape.rank < like.shape.rank:
        m = A.expand_dims(m, -1)
    return m


# ---- CTC --------------------------------------------------------------------------------


def ctc_label_dense_to_sparse(labels, label_lengths):
    """The first ``label_lengths[i]`` entries of each row of ``labels`` as a
    ``SparseTensor``."""
    labels = _t(labels)
    lengths = np.asarray(_t(label_lengths).numpy()).reshape(-1)
    rows, cols = labels.shape.as_list()
    keep = np.arange(cols)[None, :] < lengths[:, None]
    idx = np.argwhere(keep).astype(np.int64)
    vals = labels.numpy()[keep]
    return _sparse.SparseTensor(idx, vals, [rows, cols])


def ctc_batch_cost(y_true, y_pred, input_length, label_length):
    """Per-sample CTC loss, shape ``(samples, 1)``, of softmax outputs ``y_pred``
    (``(samples, time, classes)``, blank last) against dense labels ``y_true``."""
    label_length = M.cast(A.squeeze(_t(label_length), [-1]), dtypes.int32)
    input_length = M.cast(A.squeeze(_t(input_length), [-1]), dtypes.int32)
    y_pred = _t(y_pred)
    sparse_labels = ctc_label_dense_to_sparse(M.cast(y_true, dtypes.int32), label_length)
    logits = M.log(A.transpose(y_pred, [1, 0, 2]) + _kb.epsilon())
    loss = tfnn.ctc_loss(labels=sparse_labels, logits=logits, label_length=None,
                         logit_length=input_length, logits_time_major=True,
                         blank_index=-1)
    return A.expand_dims(loss, 1)


def ctc_decode(y_pred, input_length, greedy=True, beam_width=100, top_paths=1):
    """Decode softmax outputs: ``([dense paths padded with -1], log probabilities)``."""
    y_pred = _t(y_pred)
    logits = M.log(A.transpose(y_pred, [1, 0, 2]) + _kb.epsilon())
    input_length = M.cast(_t(input_length), dtypes.int32)
    if greedy:
        decoded, log_prob = tfnn.ctc_greedy_decoder(logits, input_length)
    else:
        decoded, log_prob = tfnn.ctc_beam_search_decoder(logits, input_length,
                                                          beam_width=beam_width,
                                                          top_paths=top_paths)
    size = [int(y_pred.shape[0]), int(y_pred.shape[1])]
    dense = [_sparse.to_dense(_sparse.SparseTensor(st.indices, st.values, size),
                              default_value=-1) for st in decoded]
    return dense, log_prob
