"""Write ``keras3/layer_configs.json``: the config Keras 3.15 writes for every layer class
tapeflow has, each built on a small input so build-time keys are set. Run with a Python
that has TensorFlow 2.21:
``/work/tfenv/bin/python tests/saving/data/make_keras3_layer_configs.py``.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "fixtures"))
from keras_layers_more_cases import _scipy_stand_in

_scipy_stand_in()  # STFTSpectrogram's window (its config does not depend on it)
import keras  # noqa: E402  # optional: real Keras writes the configs (after the log level is set)
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
L = keras.layers
SEQ, IMG, VEC, VOL = (2, 4, 3), (2, 6, 6, 2), (2, 3), (2, 3, 4, 4, 2)
# class -> (constructor arguments, input shape or shapes); None input: not called
CASES = {
    "Activation": ({"activation": "relu"}, VEC), "Add": ({}, [VEC, VEC]),
    "Attention": ({}, [SEQ, SEQ]), "Average": ({}, [VEC, VEC]),
    "AveragePooling1D": ({"pool_size": 2}, SEQ), "AveragePooling2D": ({"pool_size": 2}, IMG),
    "BatchNormalization": ({}, VEC), "Concatenate": ({}, [VEC, VEC]),
    "Conv1D": ({"filters": 2, "kernel_size": 2}, SEQ),
    "Conv2D": ({"filters": 2, "kernel_size": 3}, IMG),
    "Conv2DTranspose": ({"filters": 2, "kernel_size": 3}, IMG),
    "ConvLSTM2D": ({"filters": 2, "kernel_size": 3}, (2, 3, 6, 6, 2)),
    "Cropping1D": ({}, SEQ), "Cropping2D": ({}, IMG), "Dense": ({"units": 2}, VEC),
    "DepthwiseConv2D": ({"kernel_size": 3}, IMG), "Dropout": ({"rate": 0.5}, VEC),
    "ELU": ({}, VEC), "Embedding": ({"input_dim": 5, "output_dim": 2}, None),
    "Flatten": ({}, SEQ), "GRU": ({"units": 2}, SEQ), "GaussianDropout": ({"rate": 0.1}, VEC),
    "GaussianNoise": ({"stddev": 0.1}, VEC), "GlobalAveragePooling1D": ({}, SEQ),
    "GlobalAveragePooling2D": ({}, IMG), "GlobalMaxPooling1D": ({}, SEQ),
    "GlobalMaxPooling2D": ({}, IMG), "LSTM": ({"units": 2}, SEQ),
    "LayerNormalization": ({}, SEQ), "LeakyReLU": ({}, VEC), "Masking": ({}, SEQ),
    "MaxPooling1D": ({"pool_size": 2}, SEQ), "MaxPooling2D": ({"pool_size": 2}, IMG),
    "Maximum": ({}, [VEC, VEC]),
    "Minimum": ({}, [VEC, VEC]), "MultiHeadAttention": ({"num_heads": 2, "key_dim": 2}, None),
    "Multiply": ({}, [VEC, VEC]), "ReLU": ({}, VEC), "Rescaling": ({"scale": 0.5}, VEC),
    "Reshape": ({"target_shape": (3, 4)}, SEQ),
    "SeparableConv2D": ({"filters": 2, "kernel_size": 3}, IMG),
    "SimpleRNN": ({"units": 2}, SEQ), "Softmax": ({}, VEC), "SpatialDropout1D": ({"rate": 0.1},
                                                                                 SEQ),
    "SpatialDropout2D": ({"rate": 0.1}, IMG), "Subtract": ({}, [VEC, VEC]),
    "UpSampling1D": ({}, SEQ), "UpSampling2D": ({}, IMG), "ZeroPadding1D": ({}, SEQ),
    "ZeroPadding2D": ({}, IMG),
    "Bidirectional": ({"layer": L.LSTM(2)}, SEQ),
    "TimeDistributed": ({"layer": L.Dense(2)}, SEQ),
    "RNN": ({"cell": L.GRUCell(2)}, SEQ),
    "TextVectorization": ({"max_tokens": 10, "output_sequence_length": 4}, None),
    "StringLookup": ({}, None), "IntegerLookup": ({}, None), "Hashing": ({"num_bins": 4}, None),
    "CategoryEncoding": ({"num_tokens": 4, "output_mode": "multi_hot"}, None),
    "Discretization": ({"bin_boundaries": [-0.5, 0.5]}, None),
    # issue 16
    "Conv3D": ({"filters": 2, "kernel_size": 2}, VOL),
    "Conv3DTranspose": ({"filters": 2, "kernel_size": 2}, VOL),
    "Conv1DTranspose": ({"filters": 2, "kernel_size": 2}, SEQ),
    "SeparableConv1D": ({"filters": 2, "kernel_size": 2}, SEQ),
    "DepthwiseConv1D": ({"kernel_size": 2}, SEQ),
    "MaxPooling3D": ({"pool_size": 2}, VOL), "AveragePooling3D": ({"pool_size": 2}, VOL),
    "GlobalAveragePooling3D": ({}, VOL), "GlobalMaxPooling3D": ({}, VOL),
    "AdaptiveAveragePooling1D": ({"output_size": 2}, SEQ),
    "AdaptiveAveragePooling2D": ({"output_size": 2}, IMG),
    "AdaptiveAveragePooling3D": ({"output_size": 2}, VOL),
    "AdaptiveMaxPooling1D": ({"output_size": 2}, SEQ),
    "AdaptiveMaxPooling2D": ({"output_size": 2}, IMG),
    "AdaptiveMaxPooling3D": ({"output_size": 2}, VOL),
    "Cropping3D": ({}, VOL), "UpSampling3D": ({}, VOL), "ZeroPadding3D": ({}, VOL),
    "SpatialDropout3D": ({"rate": 0.1}, VOL), "Dot": ({"axes": 1}, [VEC, VEC]),
    "Permute": ({"dims": (2, 1)}, SEQ), "RepeatVector": ({"n": 2}, VEC), "PReLU": ({}, VEC),
    "Identity": ({}, VEC), "UnitNormalization": ({}, VEC),
    "GroupNormalization": ({"groups": 3}, SEQ), "RMSNormalization": ({}, VEC),
    "ActivityRegularization": ({"l1": 0.1}, VEC), "AlphaDropout": ({"rate": 0.1}, VEC),
    "AdditiveAttention": ({}, [SEQ, SEQ]),
    "EinsumDense": ({"equation": "ab,bc->ac", "output_shape": 2, "bias_axes": "c"}, VEC),
    "ThresholdedReLU": ({"theta": 0.5}, VEC), "Wrapper": ({"layer": L.Dense(2)}, None),
    "SpectralNormalization": ({"layer": L.Dense(2)}, VEC),
    "ConvLSTM1D": ({"filters": 2, "kernel_size": 2}, (2, 3, 5, 2)),
    "ConvLSTM3D": ({"filters": 2, "kernel_size": 2}, (1, 2, 3, 3, 3, 2)),
    "ReversibleEmbedding": ({"input_dim": 5, "output_dim": 2}, None),
    "GroupQueryAttention": ({"head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 1},
                            None),
    "HashedCrossing": ({"num_bins": 4}, None),
    "MelSpectrogram": ({"fft_length": 32, "sequence_stride": 8, "num_mel_bins": 4}, None),
    "STFTSpectrogram": ({"frame_length": 8}, (2, 20, 1)),
    "Resizing": ({"height": 3, "width": 4}, IMG), "CenterCrop": ({"height": 3, "width": 4}, IMG),
    "RandomFlip": ({"mode": "horizontal", "seed": 1}, IMG),
    "RandomRotation": ({"factor": 0.2, "fill_mode": "constant"}, IMG),
    "RandomZoom": ({"height_factor": 0.2}, IMG),
    "RandomTranslation": ({"height_factor": 0.1, "width_factor": (-0.2, 0.3)}, IMG),
    "RandomContrast": ({"factor": 0.2}, IMG), "RandomBrightness": ({"factor": 0.2}, IMG),
    "RandomCrop": ({"height": 3, "width": 4, "seed": 2}, IMG), "AutoContrast": ({}, IMG),
    "Solarization": ({"threshold_factor": 0.5}, IMG), "Equalization": ({}, IMG),
    "RandomGrayscale": ({}, None), "RandomHue": ({"factor": 0.2}, None),
    "RandomSaturation": ({"factor": 0.2}, None), "RandomInvert": ({}, None),
    "RandomPosterization": ({"factor": 4}, None), "RandomSharpness": ({"factor": 0.2}, None),
    "RandomShear": ({"x_factor": 0.1, "y_factor": 0.2}, None),
    "RandomColorDegeneration": ({"factor": 0.2}, None),
    "MixUp": ({"alpha": 0.3}, None), "CutMix": ({}, None), "RandomErasing": ({}, None),
    "RandomGaussianBlur": ({"kernel_size": 5, "sigma": 0.5}, None),
    "RandomPerspective": ({"scale": 0.5}, None),
    "RandomColorJitter": ({"brightness_factor": 0.2, "hue_factor": 0.1}, None),
    "MaxNumBoundingBoxes": ({"max_number": 4}, None),
    "Pipeline": ({"layers": [L.RandomFlip(), L.Resizing(3, 3)]}, None),
    "RandAugment": ({"num_ops": 3, "factor": 0.4}, None),
    "AugMix": ({"num_chains": 2, "all_ops": False}, None),
    "RandomElasticTransform": ({"factor": 0.5, "fill_mode": "mirror"}, None),
    "ContrastLimitedAdaptiveHistogramEqualization": ({"tile_grid_size": (2, 2)}, None),
    "RandomHeight": ({"factor": 0.2, "seed": 1}, IMG),
    "RandomWidth": ({"factor": (0.1, 0.3), "interpolation": "nearest"}, IMG),
}


def main():
    out = {}
    for name, (kwargs, shape) in CASES.items():
        if name in ("ThresholdedReLU", "RandomHeight", "RandomWidth"):  # tf.keras's legacy
            from keras.src.legacy import layers as legacy  # optional: Keras (not keras.layers)

            cls = getattr(legacy, name)
        else:
            cls = getattr(L, name)
        layer = cls(**kwargs)
        if shape is None and name not in ("MultiHeadAttention", "GroupQueryAttention",
                                          "Embedding"):
            pass  # preprocessing layers: the config as constructed
        elif name == "Embedding":
            layer(np.zeros((2, 3), "int32"))
        elif name in ("MultiHeadAttention", "GroupQueryAttention"):
            x = np.zeros(SEQ, "float32")
            layer(x, x)
        elif isinstance(shape, list):
            layer([np.zeros(s, "float32") for s in shape])
        else:
            layer(np.zeros(shape, "float32"))
        out[name] = keras.saving.serialize_keras_object(layer)
    with open(os.path.join(HERE, "keras3", "layer_configs.json"), "w") as f:
        json.dump({"keras_version": keras.__version__, "layers": out}, f, indent=0)


if __name__ == "__main__":
    main()
