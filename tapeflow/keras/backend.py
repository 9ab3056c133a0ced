"""Keras session state: float type, epsilon, automatic layer names and the seeded RNG."""
import re

from ..backend import host as np
from ..ops.random import _rng

_FLOATX = "float32"
_EPSILON = 1e-7
_NAME_COUNTS = {}


def floatx():
    """The default float type of layer weights and inputs (``'float32'``)."""
    return _FLOATX


def set_floatx(value):
    """Set the default float type (``'float16'``, ``'bfloat16'``, ``'float32'`` or
    ``'float64'``)."""
    global _FLOATX
    if value not in ("float16", "bfloat16", "float32", "float64"):
        raise ValueError(f"Unknown `floatx` value: {value}. Expected one of float16, bfloat16, "
                         "float32, float64.")
    _FLOATX = str(value)


def epsilon():
    """The fuzz factor added to denominators (``1e-7`` by default)."""
    return _EPSILON


def set_epsilon(value):
    """Set the fuzz factor ``epsilon()`` returns."""
    global _EPSILON
    _EPSILON = float(value)


def clear_session(free_memory=True):
    """Forget automatic names so the next ``Dense`` is called ``dense`` again."""
    _NAME_COUNTS.clear()


def snake_case(name):
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def unique_name(base):
    """``base`` the first time, then ``base_1``, ``base_2``... until ``clear_session``."""
    n = _NAME_COUNTS.get(base, 0)
    _NAME_COUNTS[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def rng(seed=None, op="keras"):
    """A NumPy Generator for one random draw, under ``tf.random.set_seed``'s rules."""
    return _rng(seed, op)


def layer_rng(seed, op):
    """A random layer's own NumPy Generator, made once when the layer is built (Keras 3 gives
    each such layer its own ``SeedGenerator``).

    Draws then depend on this layer alone: two models trained at once in two threads get the
    masks they get when trained one after the other. A seeded layer replays the same
    sequence (two layers with one seed draw alike, as in Keras); an unseeded one takes its
    seed from the global stream at construction, so ``tf.random.set_seed`` before building
    the model makes it reproducible.
    """
    if seed is None:
        return np.random.default_rng(int(rng(None, op).integers(1, 1 << 62)))
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, sum(map(ord, op)), 3])


def initializer_rng(seed, name):
    """Keras initializers: a seeded one draws the same values on every call (Keras 3's
    documented behaviour); an unseeded one follows the global seed like a random op."""
    if seed is None:
        return rng(None, name)
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, sum(map(ord, name))])


def is_keras_tensor(x):
    """Whether ``x`` is a symbolic tensor of the functional API (``keras.Input`` or a layer's
    output on one)."""
    from .layers.input_layer import KerasTensor  # cycle: keras.layers imports keras.backend

    return isinstance(x, KerasTensor)


# Keras 3's legacy backend functions (``K.mean``, ``K.variable``...), in
# ``keras._legacy_backend``: that module loads on first use of one of these names
_LEGACY_NAMES = frozenset([
    "abs", "all", "any", "arange", "argmax", "argmin", "backend", "batch_dot", "batch_flatten",
    "batch_get_value", "batch_normalization", "batch_set_value", "bias_add",
    "binary_crossentropy", "binary_focal_crossentropy", "cast", "cast_to_floatx",
    "categorical_crossentropy", "categorical_focal_crossentropy", "clip", "concatenate",
    "constant", "conv1d", "conv2d", "conv2d_transpose", "conv3d", "cos", "count_params",
    "ctc_batch_cost", "ctc_decode", "ctc_label_dense_to_sparse", "cumprod", "cumsum",
    "depthwise_conv2d", "dot", "dropout", "dtype", "elu", "equal", "eval", "exp",
    "expand_dims", "eye", "flatten", "foldl", "foldr", "gather", "get_uid", "get_value",
    "gradients", "greater", "greater_equal", "hard_sigmoid", "image_data_format", "in_top_k",
    "int_shape", "is_float_dtype", "is_int_dtype", "is_sparse", "l2_normalize", "less",
    "less_equal", "log", "map_fn", "max", "maximum", "mean", "min", "minimum",
    "moving_average_update", "name_scope", "ndim", "not_equal", "one_hot", "ones",
    "ones_like", "permute_dimensions", "pool2d", "pool3d", "pow", "prod", "random_bernoulli",
    "random_normal", "random_normal_variable", "random_uniform", "random_uniform_variable",
    "relu", "repeat", "repeat_elements", "reshape", "resize_images", "resize_volumes",
    "result_type", "reverse", "rnn", "round", "separable_conv2d", "set_image_data_format",
    "set_value", "shape", "sigmoid", "sign", "sin", "softmax", "softplus", "softsign",
    "sparse_categorical_crossentropy", "spatial_2d_padding", "spatial_3d_padding", "sqrt",
    "square", "squeeze", "stack", "standardize_dtype", "std", "stop_gradient", "sum",
    "switch", "tanh", "temporal_padding", "tile", "to_dense", "transpose", "truncated_normal",
    "update", "update_add", "update_sub", "var", "variable", "zeros", "zeros_like",
])


def __getattr__(name):
    if name in _LEGACY_NAMES:
        import importlib  # deferred: the legacy functions load on first use

        # NOTE: never cached in this module's globals: ``sum``, ``max``, ``round``... would
        # shadow the builtins this module's own functions use
        return getattr(importlib.import_module("tapeflow.keras._legacy_backend"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _LEGACY_NAMES)
