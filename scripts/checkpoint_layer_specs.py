"""The layers whose checkpoint names tapeflow checks against TensorFlow's: shared by
``make_tf_checkpoint_fixtures.py`` (run with TensorFlow) and the tests (run with tapeflow)."""
import numpy as np

# (name, layer factory, input shape, input dtype): each built by one call, then checkpointed
LAYERS = [
    ("dense", lambda L: L.Dense(3), (2, 4), "float32"),
    ("conv1d", lambda L: L.Conv1D(2, 3), (1, 6, 2), "float32"),
    ("conv2d", lambda L: L.Conv2D(2, 3), (1, 5, 5, 1), "float32"),
    ("conv2d_transpose", lambda L: L.Conv2DTranspose(2, 3), (1, 4, 4, 1), "float32"),
    ("depthwise_conv2d", lambda L: L.DepthwiseConv2D(3), (1, 5, 5, 2), "float32"),
    ("separable_conv2d", lambda L: L.SeparableConv2D(2, 3), (1, 5, 5, 2), "float32"),
    ("embedding", lambda L: L.Embedding(7, 2), (1, 3), "int32"),
    ("batch_norm", lambda L: L.BatchNormalization(), (2, 3), "float32"),
    ("layer_norm", lambda L: L.LayerNormalization(), (2, 3), "float32"),
    ("lstm", lambda L: L.LSTM(2), (1, 3, 2), "float32"),
    ("gru", lambda L: L.GRU(2), (1, 3, 2), "float32"),
    ("simple_rnn", lambda L: L.SimpleRNN(2), (1, 3, 2), "float32"),
    ("bidirectional", lambda L: L.Bidirectional(L.LSTM(2)), (1, 3, 2), "float32"),
    ("functional", None, (2, 3), "float32"),
]


def build_layer(name, make, shape, dtype, L, Input, Model):
    """Shared with the tests: build the layer (or a small functional model) by calling it."""
    if make is None:
        i = Input(shape[1:])
        layer = Model(i, L.Dense(2)(L.Dense(4)(i)))
    else:
        layer = make(L)
    layer(np.zeros(shape, dtype))
    return layer
