"""One small model per layer family, built by the same code in real Keras 3 and in tapeflow:
``FAMILIES[name](keras)`` takes either ``keras`` module. ``data/make_keras3_fixtures.py``
trains them in Keras 3 and writes the files ``test_keras3_fixtures.py`` loads."""
import numpy as np

_RNG = np.random.default_rng(22)
INPUTS = {
    "dense_dropout": _RNG.normal(size=(4, 5)).astype("float32"),
    "convnet": _RNG.normal(size=(4, 8, 8, 2)).astype("float32"),
    "embedding_rnn": _RNG.integers(0, 20, size=(4, 6)).astype("int32"),
    "bidirectional": _RNG.normal(size=(4, 6, 4)).astype("float32"),
    "attention": _RNG.normal(size=(4, 5, 6)).astype("float32"),
    "nested": _RNG.normal(size=(4, 5)).astype("float32"),
    "nested_functional": _RNG.normal(size=(4, 5)).astype("float32"),
    "time_distributed": _RNG.normal(size=(4, 3, 5)).astype("float32"),
    "subclassed": _RNG.normal(size=(4, 5)).astype("float32"),
    "legacy_h5": _RNG.normal(size=(4, 5)).astype("float32"),
}
OUTPUTS = {"dense_dropout": 3, "convnet": 3, "embedding_rnn": 2, "bidirectional": 2,
           "attention": 2, "nested": 2, "nested_functional": 2, "time_distributed": 1,
           "subclassed": 2, "legacy_h5": 3}


def targets(name):
    rng = np.random.default_rng(7)
    return rng.normal(size=(len(INPUTS[name]), OUTPUTS[name])).astype("float32")


def dense_dropout(keras):
    L = keras.layers
    return keras.Sequential([keras.Input((5,)), L.Dense(8, activation="relu"),
                             L.Dropout(0.2), L.Dense(3, activation="softmax")],
                            name="dense_dropout")


legacy_h5 = dense_dropout


def convnet(keras):
    L = keras.layers
    inp = keras.Input((8, 8, 2), name="image")
    h = L.Conv2D(4, 3, padding="same")(inp)
    h = L.BatchNormalization()(h)
    h = L.Activation("relu")(h)
    h = L.MaxPooling2D()(h)
    h = L.Conv2D(4, 3, activation="relu")(h)
    h = L.AveragePooling2D(pool_size=1)(h)
    h = L.GlobalAveragePooling2D()(h)
    return keras.Model(inp, L.Dense(3)(h), name="convnet")


def embedding_rnn(keras):
    L = keras.layers
    return keras.Sequential([keras.Input((6,), dtype="int32"), L.Embedding(20, 4),
                             L.LSTM(5, return_sequences=True), L.GRU(3), L.Dense(2)],
                            name="embedding_rnn")


def bidirectional(keras):
    L = keras.layers
    inp = keras.Input((6, 4))
    h = L.Bidirectional(L.GRU(3))(inp)
    return keras.Model(inp, L.Dense(2)(h), name="bidirectional")


def attention(keras):
    L = keras.layers
    inp = keras.Input((5, 6), name="tokens")
    h = L.LayerNormalization()(inp)
    a = L.MultiHeadAttention(num_heads=2, key_dim=3)(h, value=h)
    h = L.Add()([inp, a])
    h = L.LayerNormalization()(h)
    h = L.GlobalAveragePooling1D()(h)
    return keras.Model(inp, L.Dense(2)(h), name="attention")


def nested(keras):
    L = keras.layers
    block = keras.Sequential([keras.Input((5,)), L.Dense(6, activation="tanh"), L.Dense(4)],
                             name="block")
    inp = keras.Input((5,))
    h = block(inp)
    h = L.Concatenate()([h, inp])
    return keras.Model(inp, L.Dense(2)(h), name="nested")


def nested_functional(keras):
    """A functional model used as a layer twice (shared), its second call listed after the
    layer it uses."""
    L = keras.layers
    i = keras.Input((5,), name="inner_in")
    inner = keras.Model(i, L.Dense(3, activation="tanh")(L.Dense(4)(i)), name="inner")
    x = keras.Input((5,), name="x")
    h = L.Concatenate()([inner(x), inner(L.Dense(5)(x))])
    return keras.Model(x, L.Dense(2)(h), name="nested_functional")


def time_distributed(keras):
    L = keras.layers
    return keras.Sequential([keras.Input((3, 5)), L.TimeDistributed(L.Dense(2)), L.Flatten(),
                             L.Dense(1)], name="time_distributed")


_NETS = {}


def net_class(keras):
    """A subclassed model registered as ``keras3_fixtures>Net`` (one class per framework)."""
    if id(keras) not in _NETS:
        @keras.saving.register_keras_serializable(package="keras3_fixtures")
        class Net(keras.Model):
            def __init__(self, units=4, **kwargs):
                super().__init__(**kwargs)
                self.units = units
                self.hidden = keras.layers.Dense(units, activation="relu")
                self.out = keras.layers.Dense(2)

            def call(self, x):
                return self.out(self.hidden(x))

            def get_config(self):
                return {**super().get_config(), "units": self.units}

        _NETS[id(keras)] = Net
    return _NETS[id(keras)]


def subclassed(keras):
    model = net_class(keras)(units=4, name="subclassed")
    model(INPUTS["subclassed"])
    return model


FAMILIES = {"dense_dropout": dense_dropout, "convnet": convnet,
            "embedding_rnn": embedding_rnn, "bidirectional": bidirectional,
            "attention": attention, "nested": nested, "nested_functional": nested_functional,
            "time_distributed": time_distributed,
            "subclassed": subclassed, "legacy_h5": legacy_h5}


def train(keras, name, model):
    """Two short epochs of Adam on fixed data, deterministic (no shuffling)."""
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    model.fit(INPUTS[name], targets(name), batch_size=2, epochs=2, shuffle=False, verbose=0)
    return model
