"""Every layer class and every optimizer class tapeflow exports survives a round trip through
``.keras``, ``.weights.h5``, ``.safetensors`` and ``.npz`` (config, weights, outputs, and for
optimizers the training trajectory). The tables are checked against what
``tf.keras.layers``/``tf.keras.optimizers`` export, so a class added without a case fails."""
import inspect

import numpy as np
import pytest

import tapeflow as tf

keras = tf.keras
L = keras.layers
RNG = np.random.default_rng(0)
WEIGHT_FORMATS = ["w.weights.h5", "w.safetensors", "w.weights.npz"]


def _x(*shape):
    return RNG.normal(size=shape).astype("float32")


def _seq(shape, make, dtype="float32"):
    return lambda: keras.Sequential([keras.Input(shape, dtype=dtype), make()])


def _two(shape, make):
    """A functional model applying the layer to two inputs (merges, attention)."""
    def build():
        a, b = keras.Input(shape), keras.Input(shape)
        return keras.Model([a, b], make()([a, b]))
    return build


# layer class name -> (model builder, input batch). Each builder makes a fresh model with the
# same structure, so one instance can load what another saved.
CASES = {
    "Dense": (_seq((4,), lambda: L.Dense(3, activation="tanh")), _x(2, 4)),
    "Activation": (_seq((4,), lambda: L.Activation("relu")), _x(2, 4)),
    "ReLU": (_seq((4,), lambda: L.ReLU(max_value=2.0, negative_slope=0.1)), _x(2, 4)),
    "LeakyReLU": (_seq((4,), lambda: L.LeakyReLU(negative_slope=0.1)), _x(2, 4)),
    "ELU": (_seq((4,), lambda: L.ELU(alpha=0.5)), _x(2, 4)),
    "Softmax": (_seq((4,), lambda: L.Softmax()), _x(2, 4)),
    "Dropout": (_seq((4,), lambda: L.Dropout(0.3)), _x(2, 4)),
    "SpatialDropout1D": (_seq((3, 4), lambda: L.SpatialDropout1D(0.3)), _x(2, 3, 4)),
    "SpatialDropout2D": (_seq((3, 3, 4), lambda: L.SpatialDropout2D(0.3)), _x(2, 3, 3, 4)),
    "GaussianNoise": (_seq((4,), lambda: L.GaussianNoise(0.5)), _x(2, 4)),
    "GaussianDropout": (_seq((4,), lambda: L.GaussianDropout(0.5)), _x(2, 4)),
    "Masking": (_seq((3, 2), lambda: L.Masking(0.0)), _x(2, 3, 2)),
    "Flatten": (_seq((2, 3), lambda: L.Flatten()), _x(2, 2, 3)),
    "Reshape": (_seq((6,), lambda: L.Reshape((3, 2))), _x(2, 6)),
    "Rescaling": (_seq((4,), lambda: L.Rescaling(0.5, offset=0.1)), _x(2, 4)),
    "Normalization": (_seq((4,), lambda: L.Normalization(mean=[0.5, 1.0, 0.0, 2.0],
                                                         variance=[1.0, 4.0, 2.0, 1.0])),
                      _x(2, 4)),
    "Conv1D": (_seq((5, 2), lambda: L.Conv1D(3, 2, padding="causal")), _x(2, 5, 2)),
    "Conv2D": (_seq((5, 5, 2), lambda: L.Conv2D(3, 2, padding="same")), _x(2, 5, 5, 2)),
    "Conv2DTranspose": (_seq((3, 3, 2), lambda: L.Conv2DTranspose(2, 2, strides=2)),
                        _x(2, 3, 3, 2)),
    "DepthwiseConv2D": (_seq((4, 4, 2), lambda: L.DepthwiseConv2D(2, depth_multiplier=2)),
                        _x(2, 4, 4, 2)),
    "SeparableConv2D": (_seq((4, 4, 2), lambda: L.SeparableConv2D(3, 2)), _x(2, 4, 4, 2)),
    "MaxPooling1D": (_seq((4, 2), lambda: L.MaxPooling1D(2)), _x(2, 4, 2)),
    "MaxPooling2D": (_seq((4, 4, 2), lambda: L.MaxPooling2D(2)), _x(2, 4, 4, 2)),
    "AveragePooling1D": (_seq((4, 2), lambda: L.AveragePooling1D(2)), _x(2, 4, 2)),
    "AveragePooling2D": (_seq((4, 4, 2), lambda: L.AveragePooling2D(2)), _x(2, 4, 4, 2)),
    "GlobalAveragePooling1D": (_seq((4, 2), lambda: L.GlobalAveragePooling1D()), _x(2, 4, 2)),
    "GlobalAveragePooling2D": (_seq((4, 4, 2), lambda: L.GlobalAveragePooling2D()),
                               _x(2, 4, 4, 2)),
    "GlobalMaxPooling1D": (_seq((4, 2), lambda: L.GlobalMaxPooling1D(keepdims=True)),
                           _x(2, 4, 2)),
    "GlobalMaxPooling2D": (_seq((4, 4, 2), lambda: L.GlobalMaxPooling2D()), _x(2, 4, 4, 2)),
    "BatchNormalization": (_seq((4,), lambda: L.BatchNormalization()), _x(2, 4)),
    "LayerNormalization": (_seq((4,), lambda: L.LayerNormalization()), _x(2, 4)),
    "Embedding": (_seq((4,), lambda: L.Embedding(10, 3), dtype="int32"),
                  RNG.integers(0, 10, size=(2, 4)).astype("int32")),
    "ZeroPadding1D": (_seq((3, 1), lambda: L.ZeroPadding1D(2)), _x(2, 3, 1)),
    "ZeroPadding2D": (_seq((3, 3, 1), lambda: L.ZeroPadding2D(1)), _x(2, 3, 3, 1)),
    "Cropping1D": (_seq((5, 1), lambda: L.Cropping1D((1, 2))), _x(2, 5, 1)),
    "Cropping2D": (_seq((5, 5, 1), lambda: L.Cropping2D(1)), _x(2, 5, 5, 1)),
    "UpSampling1D": (_seq((2, 1), lambda: L.UpSampling1D(3)), _x(2, 2, 1)),
    "UpSampling2D": (_seq((2, 2, 1), lambda: L.UpSampling2D(2)), _x(2, 2, 2, 1)),
    "SimpleRNN": (_seq((4, 2), lambda: L.SimpleRNN(3)), _x(2, 4, 2)),
    "LSTM": (_seq((4, 2), lambda: L.LSTM(3, return_sequences=True)), _x(2, 4, 2)),
    "GRU": (_seq((4, 2), lambda: L.GRU(3, reset_after=False)), _x(2, 4, 2)),
    "RNN": (_seq((4, 2), lambda: L.RNN(L.GRUCell(3), go_backwards=True)), _x(2, 4, 2)),
    "LSTMCell": (_seq((4, 2), lambda: L.RNN(L.LSTMCell(3))), _x(2, 4, 2)),
    "GRUCell": (_seq((4, 2), lambda: L.RNN(L.GRUCell(2), return_sequences=True)),
                _x(2, 4, 2)),
    "SimpleRNNCell": (_seq((4, 2), lambda: L.RNN(L.SimpleRNNCell(3))), _x(2, 4, 2)),
    "StackedRNNCells": (_seq((4, 2), lambda: L.RNN(L.StackedRNNCells(
        [L.LSTMCell(3), L.GRUCell(2)]))), _x(2, 4, 2)),
    "Bidirectional": (_seq((4, 2), lambda: L.Bidirectional(L.LSTM(3))), _x(2, 4, 2)),
    "ConvLSTM2D": (_seq((3, 4, 4, 2), lambda: L.ConvLSTM2D(2, 3, padding="same")),
                   _x(2, 3, 4, 4, 2)),
    "TimeDistributed": (_seq((3, 4), lambda: L.TimeDistributed(L.Dense(2))), _x(2, 3, 4)),
    "Add": (_two((3,), L.Add), [_x(2, 3), _x(2, 3)]),
    "Subtract": (_two((3,), L.Subtract), [_x(2, 3), _x(2, 3)]),
    "Multiply": (_two((3,), L.Multiply), [_x(2, 3), _x(2, 3)]),
    "Average": (_two((3,), L.Average), [_x(2, 3), _x(2, 3)]),
    "Maximum": (_two((3,), L.Maximum), [_x(2, 3), _x(2, 3)]),
    "Minimum": (_two((3,), L.Minimum), [_x(2, 3), _x(2, 3)]),
    "Concatenate": (_two((3,), lambda: L.Concatenate(axis=1)), [_x(2, 3), _x(2, 3)]),
    "Attention": (_two((3, 4), lambda: L.Attention(use_scale=True, score_mode="concat")),
                  [_x(2, 3, 4), _x(2, 3, 4)]),
    "MultiHeadAttention": (_two((3, 4), lambda: L.MultiHeadAttention(2, 3)),
                           [_x(2, 3, 4), _x(2, 3, 4)]),
    "Lambda": (_seq((3,), lambda: L.Lambda(lambda t: t * 2.0)), _x(2, 3)),
    "TextVectorization": (_seq((1,), lambda: L.TextVectorization(
        vocabulary=["the", "cat", "dog"], output_sequence_length=4), dtype="string"),
        np.array([["The cat!"], ["a dog, the dog"]])),
    "StringLookup": (_seq((2,), lambda: L.StringLookup(
        vocabulary=["a", "b"], output_mode="tf_idf", idf_weights=[0.5, 1.5]), dtype="string"),
        np.array([["a", "b"], ["c", "a"]])),
    "IntegerLookup": (_seq((2,), lambda: L.IntegerLookup(vocabulary=[7, 3], mask_token=0),
                           dtype="int64"), np.array([[7, 0], [3, 5]])),
    "Hashing": (_seq((2,), lambda: L.Hashing(5, salt=3), dtype="string"),
                np.array([["a", "b"], ["c", "a"]])),
    "CategoryEncoding": (_seq((3,), lambda: L.CategoryEncoding(4, output_mode="count"),
                              dtype="int32"), np.array([[0, 3, 3], [1, 2, 1]], "int32")),
    "Discretization": (_seq((3,), lambda: L.Discretization(bin_boundaries=[-0.5, 0.5])),
                       _x(2, 3)),
}


def _crossing():
    a, b = keras.Input((1,), dtype="int64"), keras.Input((1,), dtype="int64")
    return keras.Model([a, b], L.HashedCrossing(5, output_mode="one_hot")([a, b]))


def _gqa():
    a, b = keras.Input((3, 4)), keras.Input((2, 4))
    return keras.Model([a, b], L.GroupQueryAttention(2, 4, 2, use_gate=True)(a, b))


# issue 16's layers
CASES.update({
    "Conv3D": (_seq((3, 4, 3, 2), lambda: L.Conv3D(2, 2, padding="same")), _x(2, 3, 4, 3, 2)),
    "Conv1DTranspose": (_seq((4, 2), lambda: L.Conv1DTranspose(2, 3, strides=2)),
                        _x(2, 4, 2)),
    "Conv3DTranspose": (_seq((2, 3, 2, 2), lambda: L.Conv3DTranspose(2, 2, strides=2)),
                        _x(2, 2, 3, 2, 2)),
    "SeparableConv1D": (_seq((5, 2), lambda: L.SeparableConv1D(3, 2, depth_multiplier=2)),
                        _x(2, 5, 2)),
    "DepthwiseConv1D": (_seq((5, 2), lambda: L.DepthwiseConv1D(2, depth_multiplier=2)),
                        _x(2, 5, 2)),
    "MaxPooling3D": (_seq((4, 4, 4, 2), lambda: L.MaxPooling3D(2)), _x(2, 4, 4, 4, 2)),
    "AveragePooling3D": (_seq((4, 4, 4, 2), lambda: L.AveragePooling3D(2, padding="same")),
                         _x(2, 4, 4, 4, 2)),
    "GlobalAveragePooling3D": (_seq((2, 3, 2, 2), lambda: L.GlobalAveragePooling3D()),
                               _x(2, 2, 3, 2, 2)),
    "GlobalMaxPooling3D": (_seq((2, 3, 2, 2), lambda: L.GlobalMaxPooling3D(keepdims=True)),
                           _x(2, 2, 3, 2, 2)),
    "AdaptiveAveragePooling1D": (_seq((7, 2), lambda: L.AdaptiveAveragePooling1D(3)),
                                 _x(2, 7, 2)),
    "AdaptiveAveragePooling2D": (_seq((5, 4, 2), lambda: L.AdaptiveAveragePooling2D(2)),
                                 _x(2, 5, 4, 2)),
    "AdaptiveAveragePooling3D": (_seq((3, 4, 5, 1), lambda: L.AdaptiveAveragePooling3D(2)),
                                 _x(2, 3, 4, 5, 1)),
    "AdaptiveMaxPooling1D": (_seq((7, 2), lambda: L.AdaptiveMaxPooling1D(3)), _x(2, 7, 2)),
    "AdaptiveMaxPooling2D": (_seq((5, 4, 2), lambda: L.AdaptiveMaxPooling2D(2)),
                             _x(2, 5, 4, 2)),
    "AdaptiveMaxPooling3D": (_seq((3, 4, 5, 1), lambda: L.AdaptiveMaxPooling3D(2)),
                             _x(2, 3, 4, 5, 1)),
    "Cropping3D": (_seq((4, 4, 4, 1), lambda: L.Cropping3D(1)), _x(2, 4, 4, 4, 1)),
    "UpSampling3D": (_seq((2, 2, 2, 1), lambda: L.UpSampling3D(2)), _x(2, 2, 2, 2, 1)),
    "ZeroPadding3D": (_seq((2, 2, 2, 1), lambda: L.ZeroPadding3D(1)), _x(2, 2, 2, 2, 1)),
    "SpatialDropout3D": (_seq((2, 2, 2, 3), lambda: L.SpatialDropout3D(0.3)),
                         _x(2, 2, 2, 2, 3)),
    "Dot": (_two((3,), lambda: L.Dot(axes=1, normalize=True)), [_x(2, 3), _x(2, 3)]),
    "Permute": (_seq((2, 3), lambda: L.Permute((2, 1))), _x(2, 2, 3)),
    "RepeatVector": (_seq((3,), lambda: L.RepeatVector(2)), _x(2, 3)),
    "PReLU": (_seq((3,), lambda: L.PReLU()), _x(2, 3)),
    "ThresholdedReLU": (_seq((3,), lambda: L.ThresholdedReLU(0.2)), _x(2, 3)),
    "Identity": (_seq((3,), lambda: L.Identity()), _x(2, 3)),
    "UnitNormalization": (_seq((3,), lambda: L.UnitNormalization()), _x(2, 3)),
    "GroupNormalization": (_seq((2, 4), lambda: L.GroupNormalization(2)), _x(2, 2, 4)),
    "RMSNormalization": (_seq((3,), lambda: L.RMSNormalization()), _x(2, 3)),
    "ActivityRegularization": (_seq((3,), lambda: L.ActivityRegularization(0.1)), _x(2, 3)),
    "AlphaDropout": (_seq((3,), lambda: L.AlphaDropout(0.2)), _x(2, 3)),
    "AdditiveAttention": (_two((3, 4), lambda: L.AdditiveAttention()),
                          [_x(2, 3, 4), _x(2, 3, 4)]),
    "GroupedQueryAttention": (_gqa, [_x(2, 3, 4), _x(2, 2, 4)]),
    "EinsumDense": (_seq((3, 4), lambda: L.EinsumDense("abc,cde->abde", (3, 2, 2),
                                                       bias_axes="de")), _x(2, 3, 4)),
    "Wrapper": (_seq((3,), lambda: L.Wrapper(L.Dense(2))), _x(2, 3)),
    "SpectralNormalization": (_seq((3,), lambda: L.SpectralNormalization(L.Dense(2))),
                              _x(2, 3)),
    "ConvLSTM1D": (_seq((3, 5, 2), lambda: L.ConvLSTM1D(2, 2)), _x(2, 3, 5, 2)),
    "ConvLSTM3D": (_seq((2, 3, 3, 3, 1), lambda: L.ConvLSTM3D(2, 2)), _x(1, 2, 3, 3, 3, 1)),
    "ReversibleEmbedding": (_seq((4,), lambda: L.ReversibleEmbedding(10, 3, tie_weights=False),
                                 dtype="int32"), RNG.integers(0, 10, size=(2, 4)).astype("int32")),
    "HashedCrossing": (_crossing, [np.array([[1], [2]]), np.array([[3], [4]])]),
    "MelSpectrogram": (_seq((64,), lambda: L.MelSpectrogram(32, 8, num_mel_bins=4)),
                       _x(2, 64)),
    "STFTSpectrogram": (_seq((20, 1), lambda: L.STFTSpectrogram(frame_length=8)), _x(2, 20, 1)),
})
_IMG = RNG.uniform(0, 255, size=(2, 5, 6, 3)).astype("float32")
CASES.update({name: (_seq((5, 6, 3), make), _IMG) for name, make in {
    "Resizing": lambda: L.Resizing(3, 4, interpolation="bicubic"),
    "CenterCrop": lambda: L.CenterCrop(3, 4), "AutoContrast": L.AutoContrast,
    "Equalization": lambda: L.Equalization(bins=64),
    "ContrastLimitedAdaptiveHistogramEqualization": lambda:
        L.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2)),
    "RandomFlip": lambda: L.RandomFlip("vertical", seed=1),
    "RandomRotation": lambda: L.RandomRotation(0.2, fill_mode="wrap"),
    "RandomZoom": lambda: L.RandomZoom(0.2, (0.1, 0.3)),
    "RandomTranslation": lambda: L.RandomTranslation(0.1, 0.2, fill_mode="constant"),
    "RandomShear": lambda: L.RandomShear(0.1, 0.2), "RandomCrop": lambda: L.RandomCrop(3, 4),
    "RandomContrast": lambda: L.RandomContrast(0.3), "RandomBrightness": lambda:
        L.RandomBrightness(0.2), "Solarization": lambda: L.Solarization(0.1, 0.5),
    "RandomGrayscale": L.RandomGrayscale, "RandomHue": lambda: L.RandomHue(0.2),
    "RandomSaturation": lambda: L.RandomSaturation(0.2), "RandomInvert": L.RandomInvert,
    "RandomPosterization": lambda: L.RandomPosterization(5),
    "RandomSharpness": lambda: L.RandomSharpness(0.3),
    "RandomColorDegeneration": lambda: L.RandomColorDegeneration(0.3),
    "RandomColorJitter": lambda: L.RandomColorJitter(brightness_factor=0.1, hue_factor=0.1),
    "MixUp": L.MixUp, "CutMix": L.CutMix, "RandomErasing": L.RandomErasing,
    "RandomGaussianBlur": lambda: L.RandomGaussianBlur(kernel_size=5),
    "RandomPerspective": L.RandomPerspective, "RandAugment": L.RandAugment, "AugMix": L.AugMix,
    "RandomElasticTransform": L.RandomElasticTransform,
    "MaxNumBoundingBoxes": lambda: L.MaxNumBoundingBoxes(4),
    "Pipeline": lambda: L.Pipeline([L.Resizing(4, 4), L.RandomFlip(), L.AutoContrast()]),
    "RandomHeight": lambda: L.RandomHeight(0.2, seed=1),
    "RandomWidth": lambda: L.RandomWidth((0.1, 0.3), interpolation="nearest"),
}.items()})
NOT_LAYERS_TO_SAVE = {"Layer", "InputLayer"}  # the base class; every case has an InputLayer


def _exported(module, base):
    classes = {}
    for name in dir(module):
        obj = getattr(module, name)
        if inspect.isclass(obj) and issubclass(obj, base):
            classes.setdefault(obj, name)
    return classes


def test_every_exported_layer_class_has_a_case():
    exported = _exported(L, L.Layer)
    names = {cls.__name__ for cls in exported} - NOT_LAYERS_TO_SAVE
    missing = sorted(names - set(CASES))
    assert not missing, f"layers without a saving round-trip case in CASES: {missing}"
    assert set(CASES) <= names  # no stale cases either


def _randomized(build):
    model = build()
    rng = np.random.default_rng(1)
    for v in model.weights:  # non-trivial values, moving statistics included
        value = rng.uniform(0.5, 2.0, size=tuple(v.shape)) if "variance" in v.name else \
            rng.normal(size=tuple(v.shape))
        v.assign(value.astype(v.dtype.name))
    return model


def _same_outputs(a, b, x):
    pa, pb = a.predict(x, verbose=0), b.predict(x, verbose=0)
    np.testing.assert_allclose(pb, pa, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_roundtrips_through_every_format(tmp_path, name):
    build, x = CASES[name]
    model = _randomized(build)
    layer_types = [type(layer) for layer in model.layers]
    if name == "Lambda":  # code is not data: the .keras file is refused, weights still load
        with pytest.raises(ValueError, match="Lambda"):
            model.save(tmp_path / "m.keras")
        assert not (tmp_path / "m.keras").exists()
    else:
        model.save(tmp_path / "m.keras")
        loaded = keras.models.load_model(tmp_path / "m.keras")
        assert [type(layer) for layer in loaded.layers] == layer_types
        assert [layer.get_config() for layer in loaded.layers] == \
            [layer.get_config() for layer in model.layers]
        _same_outputs(model, loaded, x)
    for fmt in WEIGHT_FORMATS:
        if fmt.endswith(".h5") and not _has_h5py():
            continue
        model.save_weights(tmp_path / fmt)
        other = build()
        for v in other.weights:
            v.assign(np.zeros(tuple(v.shape), v.dtype.name))
        other.load_weights(tmp_path / fmt)
        for a, b in zip(model.get_weights(), other.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
        _same_outputs(model, other, x)


def _has_h5py():
    try:
        import h5py  # noqa: F401 - optional: the [h5] extra
    except ImportError:
        return False
    return True


# -- optimizers --------------------------------------------------------------------------------
OPTIMIZERS = {
    "SGD": lambda: keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "Adam": lambda: keras.optimizers.Adam(0.01, amsgrad=True),
    "AdamW": lambda: keras.optimizers.AdamW(0.01, weight_decay=0.01),
    "Adamax": lambda: keras.optimizers.Adamax(0.01),
    "Nadam": lambda: keras.optimizers.Nadam(0.01),
    "RMSprop": lambda: keras.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "Adagrad": lambda: keras.optimizers.Adagrad(0.05),
    "Adadelta": lambda: keras.optimizers.Adadelta(1.0),
    "Adafactor": lambda: keras.optimizers.Adafactor(0.01),
    "Ftrl": lambda: keras.optimizers.Ftrl(0.05, l1_regularization_strength=0.001),
    "Lamb": lambda: keras.optimizers.Lamb(0.01),
    "Lion": lambda: keras.optimizers.Lion(0.001),
    "Muon": lambda: keras.optimizers.Muon(0.01),
    "ScheduleFreeAdamW": lambda: keras.optimizers.ScheduleFreeAdamW(0.01),
    "MultiOptimizer": lambda: keras.optimizers.MultiOptimizer(keras.optimizers.OptimizerMap(
        keras.optimizers.SGD(0.05, momentum=0.9), {".*bias": keras.optimizers.Adam(0.01)})),
}
X = RNG.normal(size=(12, 3)).astype("float32")
Y = RNG.normal(size=(12, 2)).astype("float32")


def test_every_exported_optimizer_class_has_a_case():
    names = {cls.__name__ for cls in _exported(keras.optimizers, keras.optimizers.Optimizer)}
    assert sorted(names - {"Optimizer"}) == sorted(OPTIMIZERS)


def _mlp(name):
    model = keras.Sequential([keras.Input((3,)), L.Dense(4, activation="tanh"), L.Dense(2)])
    model.compile(optimizer=OPTIMIZERS[name](), loss="mse")
    return model


def _fit(model, epochs=1):
    model.fit(X, Y, batch_size=4, epochs=epochs, shuffle=False, verbose=0)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_state_roundtrips_through_every_format(tmp_path, name):
    """Saving after two epochs and training one more from the file lands exactly where the
    uninterrupted run does: slots, iteration count and hyperparameters all came back."""
    model = _mlp(name)
    tf.random.set_seed(3)
    _fit(model, 2)
    files = ["m.keras"] + [f for f in WEIGHT_FORMATS[:2] if _has_h5py() or not f.endswith("h5")]
    model.save_weights(tmp_path / "w.weights.npz")
    for f in files:
        (model.save if f.endswith(".keras") else model.save_weights)(tmp_path / f)
    _fit(model)
    for f in files:
        if f.endswith(".keras"):
            fresh = keras.models.load_model(tmp_path / f)
            assert type(fresh.optimizer).__name__ == name
            assert fresh.optimizer.get_config() == model.optimizer.get_config()
        else:
            fresh = _mlp(name)
            fresh.load_weights(tmp_path / f)
        assert int(fresh.optimizer.iterations.numpy()) == 6, f
        _fit(fresh)
        for a, b in zip(model.get_weights(), fresh.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b, err_msg=f)
    # NOTE: `.npz` is the plain weights-only format by design: the weights come back, the
    # optimizer starts afresh
    fresh = _mlp(name)
    fresh.load_weights(tmp_path / "w.weights.npz")
    assert int(fresh.optimizer.iterations.numpy()) == 0
    saved = np.load(tmp_path / "w.weights.npz", allow_pickle=False)
    assert not [k for k in saved.files if k.startswith("optimizer")]


# -- cross-format ------------------------------------------------------------------------------
def _mixed():
    inp = keras.Input((6, 4))
    x = L.Conv1D(3, 2, padding="same")(inp)
    x = L.BatchNormalization()(x)
    x = L.Bidirectional(L.GRU(3, return_sequences=True))(x)
    x = L.LayerNormalization()(x)
    x = L.MultiHeadAttention(2, 2)([x, x])
    x = L.GlobalAveragePooling1D()(x)
    return keras.Model(inp, L.Dense(2)(x))


@pytest.mark.parametrize("order", [("w.weights.h5", "w.safetensors", "w.weights.npz"),
                                   ("w.weights.npz", "w.safetensors", "w.weights.h5"),
                                   ("w.safetensors", "w.weights.h5", "w.weights.npz")],
                         ids=["h5-st-npz", "npz-st-h5", "st-h5-npz"])
def test_cross_format_chains_keep_every_array(tmp_path, order):
    pytest.importorskip("h5py")
    original = _randomized(_mixed)
    source = original
    for i, fmt in enumerate(order + order[:1]):  # back to the first format at the end
        path = tmp_path / f"{i}_{fmt}"
        source.save_weights(path)
        target = _mixed()
        target.load_weights(path)
        source = target
    for a, b in zip(original.get_weights(), source.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    x = _x(2, 6, 4)
    _same_outputs(original, source, x)
