"""Record Keras 3's ``get_config()`` for a table of constructor calls (run under the bench venv
that has Keras 3.15 and TF 2.21):

    .bench-venv/bin/python tests/keras/record_keras_configs.py

Writes ``keras_configs.json`` next to this file: per call string, the ``repr`` of the config
(so tuples, lists, key order and float/int types survive), or the error the call raised.
``test_keras_configs.py`` evaluates the same call strings against tapeflow.
"""
import inspect
import json
import os
import sys

# every class of these namespaces is built; these need arguments (the call's argument text)
NAMESPACES = ("layers", "optimizers", "losses", "metrics", "initializers", "regularizers",
              "constraints", "optimizers.schedules")

REQUIRED = {
    "layers.Activation": "'relu'",
    "layers.AdaptiveAveragePooling1D": "4", "layers.AdaptiveAveragePooling2D": "4",
    "layers.AdaptiveAveragePooling3D": "4", "layers.AdaptiveMaxPooling1D": "4",
    "layers.AdaptiveMaxPooling2D": "4", "layers.AdaptiveMaxPooling3D": "4",
    "layers.AlphaDropout": "0.5",
    "layers.AveragePooling1D": "2", "layers.AveragePooling2D": "2",
    "layers.AveragePooling3D": "2", "layers.AvgPool1D": "2", "layers.AvgPool2D": "2",
    "layers.AvgPool3D": "2",
    "layers.Bidirectional": "layers.LSTM(3)",
    "layers.CategoryEncoding": "num_tokens=4",
    "layers.CenterCrop": "4, 5",
    "layers.Conv1D": "2, 3", "layers.Conv1DTranspose": "2, 3", "layers.Conv2D": "2, 3",
    "layers.Conv2DTranspose": "2, 3", "layers.Conv3D": "2, 3", "layers.Conv3DTranspose": "2, 3",
    "layers.ConvLSTM1D": "2, 3", "layers.ConvLSTM2D": "2, 3", "layers.ConvLSTM3D": "2, 3",
    "layers.Convolution1D": "2, 3", "layers.Convolution1DTranspose": "2, 3",
    "layers.Convolution2D": "2, 3", "layers.Convolution2DTranspose": "2, 3",
    "layers.Convolution3D": "2, 3", "layers.Convolution3DTranspose": "2, 3",
    "layers.Dense": "2",
    "layers.DepthwiseConv1D": "3", "layers.DepthwiseConv2D": "3",
    "layers.Discretization": "num_bins=4",
    "layers.Dot": "1",
    "layers.Dropout": "0.5",
    "layers.EinsumDense": "'ab,bc->ac', 4",
    "layers.Embedding": "10, 3",
    "layers.GRU": "3", "layers.GRUCell": "3",
    "layers.GaussianDropout": "0.5", "layers.GaussianNoise": "0.5",
    "layers.GroupQueryAttention": "4, 2, 1",
    "layers.HashedCrossing": "8", "layers.Hashing": "8",
    "layers.InputLayer": "shape=(3,)",
    "layers.Lambda": "activations.relu",
    "layers.LSTM": "3", "layers.LSTMCell": "3",
    "layers.MaxNumBoundingBoxes": "5",
    "layers.MultiHeadAttention": "2, 4",
    "layers.Permute": "(2, 1)",
    "layers.Pipeline": "[layers.Rescaling(2.0)]",
    "layers.RNN": "layers.SimpleRNNCell(3)",
    "layers.RandomBrightness": "0.2", "layers.RandomColorDegeneration": "0.2",
    "layers.RandomContrast": "0.2", "layers.RandomCrop": "4, 5", "layers.RandomHue": "0.2",
    "layers.RandomPosterization": "4", "layers.RandomRotation": "0.2",
    "layers.RandomSaturation": "0.2", "layers.RandomSharpness": "0.2",
    "layers.RandomTranslation": "0.2, 0.3", "layers.RandomZoom": "0.2",
    "layers.RepeatVector": "3",
    "layers.Rescaling": "0.5",
    "layers.Reshape": "(2, 3)",
    "layers.Resizing": "4, 5",
    "layers.ReversibleEmbedding": "10, 3",
    "layers.SeparableConv1D": "2, 3", "layers.SeparableConv2D": "2, 3",
    "layers.SeparableConvolution1D": "2, 3", "layers.SeparableConvolution2D": "2, 3",
    "layers.SimpleRNN": "3", "layers.SimpleRNNCell": "3",
    "layers.SpatialDropout1D": "0.5", "layers.SpatialDropout2D": "0.5",
    "layers.SpatialDropout3D": "0.5",
    "layers.SpectralNormalization": "layers.Dense(2)",
    "layers.StackedRNNCells": "[layers.SimpleRNNCell(2), layers.SimpleRNNCell(3)]",
    "layers.TimeDistributed": "layers.Dense(2)",
    "layers.Wrapper": "layers.Dense(2)",
    "optimizers.LossScaleOptimizer": "optimizers.SGD()",
    "metrics.IoU": "3, [0, 1]", "metrics.MeanIoU": "3",
    "metrics.MeanMetricWrapper": "losses.mean_squared_error",
    "metrics.OneHotIoU": "3, [0, 1]", "metrics.OneHotMeanIoU": "3",
    "metrics.PrecisionAtRecall": "0.5", "metrics.RecallAtPrecision": "0.5",
    "metrics.SensitivityAtSpecificity": "0.5", "metrics.SpecificityAtSensitivity": "0.5",
    "optimizers.schedules.CosineDecay": "0.1, 100",
    "optimizers.schedules.CosineDecayRestarts": "0.1, 100",
    "optimizers.schedules.ExponentialDecay": "0.1, 100, 0.96",
    "optimizers.schedules.InverseTimeDecay": "0.1, 100, 0.5",
    "optimizers.schedules.PiecewiseConstantDecay": "[10, 20], [1.0, 0.5, 0.1]",
    "optimizers.schedules.PolynomialDecay": "0.1, 100",
}

# not built: they wrap another framework's code or a file, or are abstract bases
SKIP = {
    "layers.FlaxLayer": "wraps a Flax module (JAX backend only)",
    "layers.JaxLayer": "wraps a JAX function (JAX backend only)",
    "layers.TorchModuleWrapper": "wraps a torch module (torch backend only)",
    "layers.TFSMLayer": "needs a SavedModel directory on disk",
    "optimizers.Optimizer": "abstract base class",
    "optimizers.MultiOptimizer": "needs an optimizer map keyed by variable paths",
    "optimizers.OptimizerMap": "needs an optimizer map keyed by variable paths",
    "regularizers.Regularizer": "abstract base class",
    "optimizers.schedules.LearningRateSchedule": "abstract base class",
}

# a few non-default constructions each
EXTRA = [
    "layers.Dense(4, activation='relu', use_bias=False, kernel_initializer='he_normal', "
    "kernel_regularizer='l2', bias_constraint='non_neg', name='d', dtype='float64')",
    "layers.Dense(3, activity_regularizer=regularizers.L1(0.1), trainable=False)",
    "layers.Conv2D(8, (3, 5), strides=2, padding='same', activation='relu', dilation_rate=1, "
    "groups=1, data_format='channels_first')",
    "layers.Conv1D(4, 3, padding='causal', bias_initializer='ones')",
    "layers.Conv2DTranspose(3, 2, strides=(2, 2), output_padding=1)",
    "layers.DepthwiseConv2D(3, depth_multiplier=2, padding='same')",
    "layers.SeparableConv2D(4, 3, depth_multiplier=2)",
    "layers.MaxPooling2D(pool_size=(3, 3), strides=1, padding='same')",
    "layers.AveragePooling1D(3, strides=2)",
    "layers.GlobalAveragePooling2D(keepdims=True)",
    "layers.Flatten(data_format='channels_first')",
    "layers.Dropout(0.25, noise_shape=(None, 1), seed=3)",
    "layers.BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, center=False)",
    "layers.LayerNormalization(axis=[-2, -1], epsilon=1e-6, scale=False)",
    "layers.GroupNormalization(groups=4)",
    "layers.Embedding(100, 8, mask_zero=True, embeddings_initializer='ones')",
    "layers.LSTM(4, return_sequences=True, return_state=True, dropout=0.1, go_backwards=True)",
    "layers.GRU(4, reset_after=False, recurrent_activation='hard_sigmoid')",
    "layers.SimpleRNN(5, activation='relu', unroll=True)",
    "layers.Bidirectional(layers.GRU(2, return_sequences=True), merge_mode='sum')",
    "layers.TimeDistributed(layers.Conv2D(2, 3))",
    "layers.MultiHeadAttention(4, 8, value_dim=6, dropout=0.1, output_shape=(5,), "
    "attention_axes=(1,), use_bias=False)",
    "layers.Attention(use_scale=True, score_mode='concat', dropout=0.2)",
    "layers.Reshape((-1, 2))",
    "layers.Permute((2, 3, 1))",
    "layers.ZeroPadding2D(((1, 2), (3, 4)))",
    "layers.Cropping1D((1, 2))",
    "layers.UpSampling2D(size=(2, 3), interpolation='bilinear')",
    "layers.Concatenate(axis=1)",
    "layers.Dot(axes=(1, 2), normalize=True)",
    "layers.LeakyReLU(negative_slope=0.1)",
    "layers.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5)",
    "layers.Softmax(axis=1)",
    "layers.ELU(alpha=0.5)",
    "layers.PReLU(shared_axes=[1, 2])",
    "layers.Rescaling(1.0 / 255, offset=-1)",
    "layers.Normalization(mean=[1.0, 2.0], variance=[1.0, 4.0])",
    "layers.Resizing(8, 9, interpolation='nearest', crop_to_aspect_ratio=True)",
    "layers.RandomFlip('horizontal', seed=1)",
    "layers.RandomRotation(0.1, fill_mode='constant', seed=2)",
    "layers.StringLookup(vocabulary=['a', 'b'], num_oov_indices=2)",
    "layers.IntegerLookup(max_tokens=10, output_mode='one_hot')",
    "layers.TextVectorization(max_tokens=50, output_sequence_length=4)",
    "layers.InputLayer(shape=(None, 4), dtype='int32', name='inp')",
    "layers.Masking(mask_value=-1.0)",
    "layers.Add(name='plus')",
    "optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True, clipnorm=1.0)",
    "optimizers.Adam(learning_rate=1e-4, beta_1=0.8, amsgrad=True, weight_decay=0.01)",
    "optimizers.AdamW(learning_rate=optimizers.schedules.ExponentialDecay(0.1, 10, 0.5))",
    "optimizers.RMSprop(rho=0.8, centered=True, use_ema=True, name='rms')",
    "optimizers.Adagrad(initial_accumulator_value=0.5, epsilon=1e-6)",
    "optimizers.Adam(gradient_accumulation_steps=4, loss_scale_factor=128.0)",
    "losses.MeanSquaredError(reduction='sum', name='mse')",
    "losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1, axis=1)",
    "losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2)",
    "losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)",
    "losses.Huber(delta=2.0)",
    "losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.5, gamma=3.0)",
    "metrics.Mean(name='m', dtype='float64')",
    "metrics.Accuracy(name='acc')",
    "metrics.AUC(num_thresholds=50, curve='PR', multi_label=True, num_labels=3)",
    "metrics.Precision(thresholds=[0.3, 0.6], top_k=2, class_id=1)",
    "metrics.Recall(thresholds=0.4)",
    "metrics.TopKCategoricalAccuracy(k=3)",
    "metrics.MeanIoU(4, ignore_class=0, sparse_y_pred=False)",
    "metrics.F1Score(average='macro', threshold=0.5)",
    "metrics.BinaryAccuracy(threshold=0.7)",
    "metrics.MeanSquaredError(name='mse2')",
    "initializers.RandomNormal(mean=1.0, stddev=0.5, seed=3)",
    "initializers.RandomUniform(-1.0, 1.0, seed=7)",
    "initializers.TruncatedNormal(stddev=2, seed=1)",
    "initializers.VarianceScaling(scale=2.0, mode='fan_out', distribution='uniform', seed=4)",
    "initializers.GlorotNormal(seed=5)",
    "initializers.Constant(3.0)",
    "initializers.Orthogonal(gain=2.0, seed=1)",
    "initializers.Identity(gain=0.5)",
    "regularizers.L1(0.5)",
    "regularizers.L2(l2=0.25)",
    "regularizers.L1L2(l1=0.1, l2=0.2)",
    "regularizers.OrthogonalRegularizer(factor=0.1, mode='columns')",
    "constraints.MaxNorm(max_value=3, axis=1)",
    "constraints.MinMaxNorm(min_value=0.5, max_value=2.0, rate=0.5, axis=[0, 1])",
    "constraints.UnitNorm(axis=1)",
    "optimizers.schedules.ExponentialDecay(0.1, 100, 0.96, staircase=True, name='ed')",
    "optimizers.schedules.PolynomialDecay(0.1, 100, end_learning_rate=0.01, power=2.0, "
    "cycle=True)",
    "optimizers.schedules.CosineDecay(0.1, 100, alpha=0.1, warmup_target=0.2, warmup_steps=10)",
    "optimizers.schedules.CosineDecayRestarts(0.1, 100, t_mul=3.0, m_mul=0.5, alpha=0.1)",
    "optimizers.schedules.InverseTimeDecay(0.1, 10, 0.5, staircase=True)",
    # models
    "models.Sequential([layers.Input((3,)), layers.Dense(2), layers.Dropout(0.5)])",
    "models.Sequential([layers.Dense(2)], name='seq')",
    "models.Sequential()",
]

# functional models are built by statements, not one call: name -> source whose `model` counts
MODELS = {
    "functional_dense": "x = layers.Input((3,), name='x')\n"
                        "h = layers.Dense(4, activation='relu', name='h')(x)\n"
                        "y = layers.Dense(1, name='y')(h)\n"
                        "model = models.Model(x, y, name='f')",
    "functional_two_inputs": "a = layers.Input((2,), name='a')\n"
                             "b = layers.Input((2,), name='b')\n"
                             "s = layers.Add(name='add')([a, b])\n"
                             "model = models.Model([a, b], s, name='g')",
}

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "keras_configs.json")


def namespace(root, path):
    """The module of ``root`` named by the dotted ``path``."""
    for part in path.split("."):
        root = getattr(root, part)
    return root


def calls(keras):
    """Every constructor call string: each class of each namespace once, then ``EXTRA``."""
    out = []
    for ns in NAMESPACES:
        mod = namespace(keras, ns)
        for name in sorted(dir(mod)):
            obj = getattr(mod, name)
            if not inspect.isclass(obj) or not hasattr(obj, "get_config"):
                continue
            key = f"{ns}.{name}"
            if key in SKIP:
                continue
            out.append(f"{key}({REQUIRED.get(key, '')})")
    return out + EXTRA


def scope(keras):
    """The names a call string may use."""
    return {"layers": keras.layers, "optimizers": keras.optimizers, "losses": keras.losses,
            "metrics": keras.metrics, "initializers": keras.initializers,
            "regularizers": keras.regularizers, "constraints": keras.constraints,
            "models": keras.models, "activations": keras.activations}


def main():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    records = {}
    for call in calls(keras):
        keras.backend.clear_session()
        try:
            records[call] = {"config": repr(eval(call, scope(keras)).get_config())}
        except Exception as e:
            records[call] = {"error": f"{type(e).__name__}: {e}"}
    for name, source in MODELS.items():
        keras.backend.clear_session()
        env = scope(keras)
        exec(source, env)
        records[name] = {"source": source, "config": repr(env["model"].get_config())}
    with open(FIXTURE, "w") as f:
        json.dump({"keras": keras.__version__, "skipped": SKIP, "records": records}, f,
                  indent=1)
    print(f"wrote {len(records)} records to {FIXTURE}", file=sys.stderr)


if __name__ == "__main__":
    main()
