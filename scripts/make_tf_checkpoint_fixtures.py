"""Write small TensorFlow 2.21 checkpoints and TF's answers about them for tapeflow's tests.

Run with TensorFlow installed (``/work/tfenv/bin/python scripts/make_tf_checkpoint_fixtures.py``);
it writes ``tests/fixtures/tf_checkpoints/``: the checkpoints TF saved (``module/``,
``keras_adam/``, ``iterator``-free on purpose), and ``expected.json`` with what TF lists
(``tf.train.list_variables``), the values it restores and the errors it raises.
"""
import json
import os
import shutil

import numpy as np
import tensorflow as tf
from checkpoint_layer_specs import LAYERS, build_layer

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "tf_checkpoints")


class Net(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable(np.arange(6, dtype="float32").reshape(2, 3))
        self.layers = [tf.Variable(1.5), {"b": tf.Variable([3.0, -1.0]), "a": tf.Variable(2)}]
        self.sub = tf.Module()
        self.sub.v = tf.Variable(np.array([1.0, 2.0], "float64"))


def keras_model():
    return tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(4, activation="tanh"),
                                tf.keras.layers.Dense(1)])


OPTIMIZERS = {
    "rmsprop_centered": lambda: tf.keras.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "nadam": lambda: tf.keras.optimizers.Nadam(0.01),
    "sgd_nesterov": lambda: tf.keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "adam_amsgrad": lambda: tf.keras.optimizers.Adam(0.01, amsgrad=True),
    "adagrad": lambda: tf.keras.optimizers.Adagrad(0.1),
}


def train(model, opt, x, y, steps):
    losses = []
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((model(x) - y) ** 2)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        losses.append(float(loss))
    return losses


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    expected = {}

    net = Net()
    step = tf.Variable(7, dtype=tf.int64)
    ckpt = tf.train.Checkpoint(net=net, step=step)
    manager = tf.train.CheckpointManager(ckpt, os.path.join(OUT, "module"), max_to_keep=2)
    manager.save()
    net.w.assign_add(tf.ones((2, 3)))
    path = manager.save()
    expected["module"] = {
        "latest": os.path.basename(tf.train.latest_checkpoint(os.path.join(OUT, "module"))),
        "list_variables": tf.train.list_variables(path),
        "values": {"w": net.w.numpy().tolist(), "l0": float(net.layers[0].numpy()),
                   "b": net.layers[1]["b"].numpy().tolist(), "a": int(net.layers[1]["a"].numpy()),
                   "v": net.sub.v.numpy().tolist(), "step": 7, "save_counter": 2},
        "dtypes": {k: v.name for k, v in
                   tf.train.load_checkpoint(path).get_variable_to_dtype_map().items()},
    }

    tf.keras.utils.set_random_seed(0)
    model = keras_model()
    opt = tf.keras.optimizers.Adam(0.01)
    x = np.linspace(-1, 1, 24, dtype="float32").reshape(8, 3)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")
    losses = []
    for _ in range(2):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((model(x) - y) ** 2)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        losses.append(float(loss))
    path = tf.train.Checkpoint(model=model, optimizer=opt).save(
        os.path.join(OUT, "keras_adam", "ckpt"))
    weights = [w.tolist() for w in model.get_weights()]
    slots = [v.numpy().tolist() for v in opt.variables[2:]]
    # the trajectory after the checkpoint, which a restored run must follow
    after = []
    for _ in range(3):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((model(x) - y) ** 2)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        after.append(float(loss))
    expected["keras_adam"] = {
        "path": os.path.relpath(path, OUT), "list_variables": tf.train.list_variables(path),
        "weights": weights, "slots": slots, "iterations": 2, "losses_after": after,
        "weights_after": [w.tolist() for w in model.get_weights()],
        "x": x.tolist(), "y": y.tolist()}
    expected["optimizers"] = {}
    for name, make in OPTIMIZERS.items():
        tf.keras.utils.set_random_seed(1)
        model, opt = keras_model(), make()
        train(model, opt, x, y, 1)
        path = tf.train.Checkpoint(model=model, optimizer=opt).write(
            os.path.join(OUT, "optimizers", name))
        expected["optimizers"][name] = {
            "list_variables": tf.train.list_variables(path),
            "losses_after": train(model, opt, x, y, 2)}
    expected["layers"] = {}
    for name, make, shape, dtype in LAYERS:
        layer = build_layer(name, make, shape, dtype, tf.keras.layers, tf.keras.Input,
                            tf.keras.Model)
        path = tf.train.Checkpoint(layer=layer).write(os.path.join(OUT, "layer"))
        expected["layers"][name] = tf.train.list_variables(path)
    for suffix in (".index", ".data-00000-of-00001"):
        os.remove(os.path.join(OUT, "layer" + suffix))
    model_only = tf.train.Checkpoint(model=keras_model()).write(os.path.join(OUT, "model_only"))
    compiled = keras_model()
    compiled.compile(optimizer="adam", loss="mse")
    compiled.fit(x, y, epochs=1, verbose=0)
    expected["compiled"] = {"list_variables": [
        (name, shape) for name, shape in tf.train.list_variables(
            tf.train.Checkpoint(model=compiled).write(os.path.join(OUT, "compiled")))]}
    os.remove(os.path.join(OUT, "compiled.index"))
    os.remove(os.path.join(OUT, "compiled.data-00000-of-00001"))
    expected["model_only"] = {"list_variables": tf.train.list_variables(model_only)}

    def error(f):
        try:
            f()
        except Exception as e:
            return [type(e).__name__, str(e).splitlines()[0]]
        return None

    module_path = os.path.join(OUT, "module", "ckpt-2")
    expected["errors"] = {
        "restore_missing": error(lambda: tf.train.Checkpoint(a=tf.Variable(0.)).restore(
            os.path.join(OUT, "nothing"))),
        "load_missing": error(lambda: tf.train.load_checkpoint(os.path.join(OUT, "nothing"))),
        "get_tensor_missing": error(lambda: tf.train.load_checkpoint(module_path).get_tensor("x")),
        "shape_mismatch": error(lambda: tf.train.Checkpoint(
            step=tf.Variable([1, 2], dtype=tf.int64)).restore(module_path)),
        "dtype_mismatch": error(lambda: tf.train.Checkpoint(step=tf.Variable(1.0))
                                .restore(module_path)),
        "partial_consumed": error(lambda: tf.train.Checkpoint(step=tf.Variable(0, dtype=tf.int64))
                                  .restore(module_path).assert_consumed()),
        "partial_existing": error(lambda: tf.train.Checkpoint(step=tf.Variable(0, dtype=tf.int64))
                                  .restore(module_path).assert_existing_objects_matched()),
        "extra_existing": error(lambda: tf.train.Checkpoint(
            step=tf.Variable(0, dtype=tf.int64), other=tf.Variable(0.))
            .restore(module_path).assert_existing_objects_matched()),
        "none_consumed": error(lambda: tf.train.Checkpoint().restore(None).assert_consumed()),
        "not_trackable": error(lambda: tf.train.Checkpoint(x=3)),
        "max_to_keep": error(lambda: tf.train.CheckpointManager(tf.train.Checkpoint(), OUT, 0)),
    }
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
