"""``keras.layers``: the layer base class and the built-in layers.

A layer is added by importing it here and naming it in ``__all__``: every exported Layer
class is registered for ``deserialize``/``load_model`` under its class name, and ONNX export
derives the layers it cannot convert from that table.
"""
from .. import _registry
from .activation_layers import ELU, LeakyReLU, ReLU, Softmax
from .attention import Attention, MultiHeadAttention
from .base import InputSpec, Layer
from .categorical_preprocessing import CategoryEncoding, Discretization, Hashing
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
from .image_augmentation import (
    AugMix,
    ContrastLimitedAdaptiveHistogramEqualization,
    CutMix,
    MaxNumBoundingBoxes,
    MixUp,
    Pipeline,
    RandAugment,
    RandomColorJitter,
    RandomElasticTransform,
    RandomErasing,
    RandomGaussianBlur,
    RandomPerspective,
)
from .image_preprocessing import (
    AutoContrast,
    CenterCrop,
    Equalization,
    RandomBrightness,
    RandomColorDegeneration,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomGrayscale,
    RandomHue,
    RandomInvert,
    RandomPosterization,
    RandomRotation,
    RandomSaturation,
    RandomSharpness,
    RandomShear,
    RandomTranslation,
    RandomZoom,
    Resizing,
    Solarization,
)
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
from .text_preprocessing import IntegerLookup, StringLookup, TextVectorization
from .wrappers import Bidirectional, TimeDistributed


def serialize(layer):
    return _registry.serialize(layer)


def deserialize(config, custom_objects=None):
    """A layer from ``{'class_name', 'config'}`` (Keras 3's form too); only built-in,
    registered and ``custom_objects`` classes resolve (configs are data, never code)."""
    return _registry.deserialize("layer", config, custom_objects)


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
    "CategoryEncoding", "Discretization", "Hashing", "IntegerLookup", "StringLookup",
    "TextVectorization",
    "AutoContrast", "CenterCrop", "Equalization", "RandomBrightness", "RandomColorDegeneration",
    "RandomContrast", "RandomCrop", "RandomFlip", "RandomGrayscale", "RandomHue", "RandomInvert",
    "RandomPosterization", "RandomRotation", "RandomSaturation", "RandomSharpness",
    "RandomShear", "RandomTranslation", "RandomZoom", "Resizing", "Solarization",
    "CutMix", "MaxNumBoundingBoxes", "MixUp", "Pipeline", "RandomColorJitter", "RandomErasing",
    "RandomGaussianBlur", "RandomPerspective", "AugMix",
    "ContrastLimitedAdaptiveHistogramEqualization", "RandAugment", "RandomElasticTransform",
]
_registry.register("layer", *{value for value in map(globals().get, __all__)
                              if isinstance(value, type) and issubclass(value, Layer)})
