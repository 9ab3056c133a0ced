"""``keras.layers``: the layer base class and the built-in layers."""
from .activation_layers import ELU, LeakyReLU, ReLU, Softmax
from .attention import Attention, MultiHeadAttention
from .base import InputSpec, Layer
from .conv_recurrent import ConvLSTM2D
from .convolutional import (
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    Convolution1D,
    Convolution2D,
    Convolution2DTranspose,
    DepthwiseConv2D,
    SeparableConv2D,
)
from .core import Activation, Dense, Lambda
from .embedding import Embedding
from .input_layer import Input, InputLayer, KerasTensor
from .masking import Masking
from .merging import (
    Add,
    Average,
    Concatenate,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    concatenate,
    multiply,
)
from .noise import GaussianDropout, GaussianNoise, SpatialDropout1D, SpatialDropout2D
from .normalization import BatchNormalization, LayerNormalization
from .pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AvgPool1D,
    AvgPool2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPool1D,
    MaxPool2D,
    MaxPooling1D,
    MaxPooling2D,
)
from .preprocessing import Normalization, Rescaling
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell, StackedRNNCells
from .regularization import Dropout
from .reshaping import Flatten, Reshape
from .spatial import (
    Cropping1D,
    Cropping2D,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)
from .wrappers import Bidirectional, TimeDistributed

_ALLOWED = {c.__name__: c for c in (
    ELU, LeakyReLU, ReLU, Softmax, Activation, Dense, InputLayer, Add, Average, Concatenate,
    Maximum, Minimum, Multiply, Subtract, Normalization, Rescaling, Dropout, Flatten, Reshape,
    Lambda)}
# The convolutional, pooling, normalisation, embedding, noise, spatial and recurrent layers.
_ALLOWED.update({c.__name__: c for c in (
    Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D, MaxPooling1D,
    MaxPooling2D, AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D,
    GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D, BatchNormalization,
    LayerNormalization, Embedding, Masking, SpatialDropout1D, SpatialDropout2D, GaussianNoise,
    GaussianDropout, ZeroPadding1D, ZeroPadding2D, Cropping1D, Cropping2D, UpSampling1D,
    UpSampling2D, RNN, SimpleRNN, LSTM, GRU, SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells,
    ConvLSTM2D, Bidirectional, TimeDistributed, Attention, MultiHeadAttention)})


def serialize(layer):
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config, custom_objects=None):
    """A layer from ``{'class_name', 'config'}``; only built-in and ``custom_objects`` classes
    are allowed (configs are data, never code)."""
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _ALLOWED.get(name)
    if cls is None:
        from .. import models  # noqa: PLC0415

        cls = {"Sequential": models.Sequential, "Functional": models.Functional}.get(name)
    if cls is None:
        raise ValueError(f"Unknown layer: '{name}'. Please ensure you are using a "
                         "`keras.utils.custom_object_scope` or pass it in `custom_objects`.")
    return cls.from_config(config["config"])


__all__ = [
    "Activation", "Add", "Average", "Concatenate", "Dense", "Dropout", "ELU", "Flatten", "Input",
    "InputLayer", "InputSpec", "KerasTensor", "Lambda", "Layer", "LeakyReLU", "Maximum",
    "Minimum", "Multiply", "Normalization", "ReLU", "Rescaling", "Reshape", "Softmax",
    "Subtract", "add", "concatenate", "deserialize", "multiply", "serialize",
    "AveragePooling1D", "AveragePooling2D", "AvgPool1D", "AvgPool2D", "BatchNormalization",
    "Conv1D", "Conv2D", "Conv2DTranspose", "Convolution1D", "Convolution2D",
    "Convolution2DTranspose", "Cropping1D", "Cropping2D", "DepthwiseConv2D", "Embedding",
    "GaussianDropout", "GaussianNoise", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
    "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "LayerNormalization", "Masking", "MaxPool1D",
    "MaxPool2D", "MaxPooling1D", "MaxPooling2D", "SeparableConv2D", "SpatialDropout1D",
    "SpatialDropout2D", "UpSampling1D", "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D",
    "Bidirectional", "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "SimpleRNN", "SimpleRNNCell",
    "StackedRNNCells", "ConvLSTM2D",
    "TimeDistributed", "Attention", "MultiHeadAttention",
]
