"""The small models the Keras-interop tests build identically in Keras 3 and in tapeflow.

``build(keras)`` takes either ``keras`` module, so the same code defines both sides; run
``python keras_models.py OUTDIR`` with TensorFlow/Keras 3 and h5py installed to regenerate
the fixtures in ``data/`` (files written by real Keras).
"""
import json
import os
import sys

import numpy as np

EXPECTED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                        "keras3_expected.json")

X = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
Y2 = np.random.default_rng(1).normal(size=(5, 2)).astype("float32")


def sequential(keras):
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu",
                                                                   name="d1"),
                             keras.layers.Dropout(0.1), keras.layers.Dense(2, name="d2")])


def mlp(keras):
    """No dropout: training it is deterministic, so Keras's steps and ours can be compared."""
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu",
                                                                   name="d1"),
                             keras.layers.Dense(2, name="d2")])


def functional(keras):
    inp = keras.Input((3,), name="x")
    h = keras.layers.Dense(4, activation="tanh", name="a")(inp)
    out = keras.layers.Dense(2, name="b")(keras.layers.Concatenate()([h, inp]))
    return keras.Model(inp, out)


def subclassed(keras):
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.zfirst = keras.layers.Dense(3)
            self.blocks = [keras.layers.Dense(4, activation="relu"), keras.layers.Dense(2)]

        def call(self, x):
            x = self.zfirst(x)
            for block in self.blocks:
                x = block(x)
            return x

    model = Net()
    model(X)
    return model


BUILDERS = {"sequential": sequential, "functional": functional, "subclassed": subclassed}
OPTIMIZERS = {"adam": lambda k: k.optimizers.Adam(0.01),
              "sgd": lambda k: k.optimizers.SGD(0.05, momentum=0.9),
              "rmsprop": lambda k: k.optimizers.RMSprop(0.01, momentum=0.5, centered=True)}


def write_fixtures(out):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras  # optional: real Keras writes the fixtures (after its log level is set)

    keras.utils.set_random_seed(0)
    expected = {"x": X, "y": Y2}
    for name, build in BUILDERS.items():
        model = build(keras)
        model.save_weights(f"{out}/keras3_{name}.weights.h5")
        if name != "subclassed":
            model.save(f"{out}/keras3_{name}.keras")
        expected[name] = np.asarray(model.predict(X, verbose=0))
    for name, make in OPTIMIZERS.items():
        model = mlp(keras)
        model.compile(optimizer=make(keras), loss="mse")
        model.fit(X, Y2, batch_size=5, epochs=2, shuffle=False, verbose=0)
        model.save_weights(f"{out}/keras3_{name}_trained.weights.h5")
        model.save(f"{out}/keras3_{name}_trained.keras")
        model.fit(X, Y2, batch_size=5, epochs=1, shuffle=False, verbose=0)
        for i, w in enumerate(model.get_weights()):
            expected[f"{name}_next_{i}"] = w
    with open(f"{out}/keras3_expected.json", "w") as f:
        # float32 values round-trip exactly through Python floats in JSON
        json.dump({k: {"dtype": str(v.dtype), "shape": list(v.shape),
                       "data": v.ravel().tolist()} for k, v in expected.items()}, f)


def load_expected():
    """What real Keras 3 predicted / trained to for the fixtures (written by write_fixtures)."""
    with open(EXPECTED) as f:
        raw = json.load(f)
    return {k: np.asarray(v["data"], dtype=v["dtype"]).reshape(v["shape"])
            for k, v in raw.items()}


if __name__ == "__main__":
    write_fixtures(sys.argv[1])
