"""``keras.layers``: the layer base class and the built-in layers.

A layer is added by importing it here and naming it in ``__all__``: every exported Layer
class is registered for ``deserialize``/``load_model`` under its class name, and ONNX export
derives the layers it cannot convert from that table.
"""
from .. import _registry
from .activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax, ThresholdedReLU
from .attention import AdditiveAttention, Attention, GroupQueryAttention, MultiHeadAttention
from .audio import MelSpectrogram, STFTSpectrogram
from .base import InputSpec, Layer
from .categorical_preprocessing import CategoryEncoding, Discretization, HashedCrossing, Hashing
from .conv_recurrent import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from .convolutional import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    Convolution1D,
    Convolution1DTranspose,
    Convolution2D,
    Convolution2DTranspose,
    Convolution3D,
    Convolution3DTranspose,
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
    SeparableConvolution1D,
    SeparableConvolution2D,
)
from .core import Activation, Dense, Identity, Lambda
from .einsum_dense import EinsumDense
from .embedding import Embedding, ReversibleEmbedding
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
from .legacy_image import RandomHeight, RandomWidth
from .masking import Masking
from .merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from .noise import (
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from .normalization import (
    BatchNormalization,
    GroupNormalization,
    LayerNormalization,
    RMSNormalization,
    UnitNormalization,
)
from .pooling import (
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalAvgPool3D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPool3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from .preprocessing import Normalization, Rescaling
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell, StackedRNNCells
from .regularization import ActivityRegularization, AlphaDropout, Dropout
from .reshaping import Flatten, Permute, RepeatVector, Reshape
from .spatial import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from .text_preprocessing import IntegerLookup, StringLookup, TextVectorization
from .wrappers import Bidirectional, SpectralNormalization, TimeDistributed, Wrapper


def serialize(layer):
    """A layer's ``{'module', 'class_name', 'config', 'registered_name'}`` dict, as Keras 3
    writes it."""
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
    # issue 16: more of Keras 3.15's layers
    "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D",
    "ActivityRegularization", "AdditiveAttention", "AlphaDropout", "AveragePooling3D",
    "AvgPool3D", "Conv1DTranspose", "Conv3D", "Conv3DTranspose", "Convolution1DTranspose",
    "Convolution3D", "Convolution3DTranspose", "Cropping3D", "DepthwiseConv1D", "Dot",
    "EinsumDense", "GlobalAveragePooling3D", "GlobalAvgPool3D", "GlobalMaxPool3D",
    "GlobalMaxPooling3D", "GroupNormalization", "Identity", "MaxPool3D", "MaxPooling3D",
    "PReLU", "Permute", "RMSNormalization", "RepeatVector", "SeparableConv1D",
    "SeparableConvolution1D", "SeparableConvolution2D", "SpatialDropout3D",
    "UnitNormalization", "UpSampling3D", "ZeroPadding3D", "average", "dot", "maximum",
    "minimum", "subtract", "SpectralNormalization", "ThresholdedReLU", "Wrapper",
    "ReversibleEmbedding", "ConvLSTM1D", "ConvLSTM3D", "GroupQueryAttention", "HashedCrossing",
    "MelSpectrogram", "STFTSpectrogram",
    "AutoContrast", "CenterCrop", "Equalization", "RandomBrightness", "RandomColorDegeneration",
    "RandomContrast", "RandomCrop", "RandomFlip", "RandomGrayscale", "RandomHue", "RandomInvert",
    "RandomPosterization", "RandomRotation", "RandomSaturation", "RandomSharpness",
    "RandomShear", "RandomTranslation", "RandomZoom", "Resizing", "Solarization",
    "CutMix", "MaxNumBoundingBoxes", "MixUp", "Pipeline", "RandomColorJitter", "RandomErasing",
    "RandomGaussianBlur", "RandomPerspective", "AugMix",
    "ContrastLimitedAdaptiveHistogramEqualization", "RandAugment", "RandomElasticTransform",
    "RandomHeight", "RandomWidth",
]
from . import rnn_cell_wrappers  # noqa: E402, F401 - registers tf.nn's cell wrappers for loading

_registry.register("layer", *{value for value in map(globals().get, __all__)
                              if isinstance(value, type) and issubclass(value, Layer)})
_registry.register("layer", aliases={"GroupQueryAttention": GroupQueryAttention})
