"""``Embedding``: a trainable lookup table from integer ids to dense vectors, and
``ReversibleEmbedding``, which also maps vectors back to logits over the ids."""
from ... import dtypes
from ...ops import array as A
from ...ops import linalg
from ...ops import math as M
from ...ops.indexing import embedding_lookup
from ...tensor import TensorBase, convert_to_tensor
from ...variable import Variable
from .. import constraints, initializers, regularizers
from .base import Layer
from .masking import set_mask


class Embedding(Layer):
    """Maps ids in ``[0, input_dim)`` to rows of an ``(input_dim, output_dim)`` table.

    With ``mask_zero=True`` id 0 is padding: ``compute_mask`` returns ``ids != 0`` and the
    output carries that mask to mask-aware layers (the RNNs skip masked steps).
    """

    _config_keys = (
        "name", "trainable", "dtype", "input_dim", "output_dim", "embeddings_initializer",
        "embeddings_regularizer", "activity_regularizer", "embeddings_constraint", "mask_zero",
        "quantization_config")

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 input_length=None, **kwargs):
        super().__init__(**kwargs)
        for v in (input_dim, output_dim):
            if int(v) != v or int(v) <= 0:
                raise ValueError(f"Both `input_dim` and `output_dim` should be positive, "
                                 f"Received input_dim = {input_dim} and "
                                 f"output_dim = {output_dim}")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        # NOTE: Keras 2's input_length is accepted and ignored (Keras 3 removed it).

    def _convert(self, x):
        # NOTE: ids stay integers (the base class would turn NumPy ints into floats).
        if isinstance(x, Variable):
            return x.value()
        return x if isinstance(x, TensorBase) else convert_to_tensor(x)

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(name="embeddings",
                                          shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        self.built = True

    def call(self, inputs):
        ids = inputs if inputs.dtype.is_integer else M.cast(inputs, dtypes.int32)
        out = embedding_lookup(self.embeddings, ids)
        return set_mask(out, self.compute_mask(ids))

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return M.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
                "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
                "mask_zero": self.mask_zero,
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "quantization_config": None}


class ReversibleEmbedding(Embedding):
    """An ``Embedding`` that also maps vectors back to logits over the ids: called with
    ``reverse=True`` it multiplies by the transposed table (``tie_weights``) or by its own
    ``(output_dim, input_dim)`` ``reverse_embeddings``; ``logit_soft_cap`` bounds the logits
    with ``cap * tanh(logits / cap)``."""

    def __init__(self, input_dim, output_dim, tie_weights=True,
                 embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, reverse_dtype=None,
                 logit_soft_cap=None, quantization_config=None, **kwargs):
        if quantization_config is not None:
            raise NotImplementedError("tapeflow's ReversibleEmbedding has no quantization: "
                                      "quantization_config must be None.")
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero,
                         **kwargs)
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype, self.logit_soft_cap = reverse_dtype, logit_soft_cap

    def build(self, input_shape=None):
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                name="reverse_embeddings", shape=(self.output_dim, self.input_dim),
                initializer=self.embeddings_initializer)

    def _convert(self, x):
        return Layer._convert(self, x) if isinstance(x, TensorBase) and \
            x.dtype.is_floating else super()._convert(x)

    def call(self, inputs, reverse=False):
        if not reverse:
            return super().call(inputs)
        kernel = A.transpose(self.embeddings) if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            inputs, kernel = M.cast(inputs, self.reverse_dtype), M.cast(kernel,
                                                                        self.reverse_dtype)
        logits = linalg.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            logits = M.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return tuple(input_shape)[:-1] + (self.input_dim,)
        return super().compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "tie_weights": self.tie_weights,
                "reverse_dtype": self.reverse_dtype, "logit_soft_cap": self.logit_soft_cap,
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "quantization_config": None}
