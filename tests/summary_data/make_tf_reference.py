"""Records what TensorFlow 2 / Keras 3 write for the calls tests/test_summary.py and
tests/keras/test_tensorboard_callback.py make, as ``tf_reference.json`` next to this file.

Run with TensorFlow and the ``tensorboard`` package installed (TF's ``tf.summary`` needs it):
``python tests/summary_data/make_tf_reference.py``. tapeflow's CI has no TensorFlow; the
tests read the JSON.
"""
import base64
import glob
import json
import os
import sys
import tempfile

import numpy as np
import tensorflow as tf

HERE = os.path.dirname(os.path.abspath(__file__))


def _value(v):
    """One ``Summary.Value`` as JSON: tag, plugin, dtype, shape and the decoded contents."""
    t = v.tensor
    arr = tf.make_ndarray(t)
    plugin = v.metadata.plugin_data.plugin_name
    out = {"tag": v.tag, "plugin": plugin,
           "content": base64.b64encode(v.metadata.plugin_data.content).decode(),
           "description": v.metadata.summary_description,
           "display_name": v.metadata.display_name,
           "dtype": tf.dtypes.as_dtype(t.dtype).name, "shape": list(arr.shape)}
    if plugin == "images":
        out["dims"] = [x.decode() for x in arr[:2]]
        out["pixels"] = [tf.io.decode_png(p).numpy().tolist() for p in arr[2:]]
    elif plugin == "audio":
        decoded = [tf.audio.decode_wav(a[0]) for a in arr]
        out["samples"] = [d.audio.numpy().tolist() for d in decoded]
        out["sample_rates"] = [int(d.sample_rate) for d in decoded]
        out["labels"] = [a[1].decode() for a in arr]
    elif arr.dtype == object:
        out["value"] = [x.decode() for x in arr.ravel()]
    else:
        out["value"] = arr.tolist()
    return out


def _events(path):
    """[event as JSON] of every event file under ``path`` (one run directory)."""
    files = sorted(glob.glob(os.path.join(path, "events.out.tfevents.*")))
    events = []
    for f in files:
        for e in tf.compat.v1.train.summary_iterator(f):
            if e.HasField("file_version"):
                events.append({"file_version": e.file_version,
                               "writer": e.source_metadata.writer})
            elif e.HasField("summary"):
                for v in e.summary.value:
                    events.append({"step": e.step, **_value(v)})
            else:
                events.append({"step": e.step, "kind": e.WhichOneof("what")})
    return {"files": [os.path.basename(f) for f in files], "events": events}


def summaries(tmp):
    """``tf.summary`` calls; their return values and the events written."""
    ret = {}
    w = tf.summary.create_file_writer(os.path.join(tmp, "s"))
    rng = np.random.default_rng(0)
    normal = rng.normal(size=100).astype(np.float32)
    with w.as_default():
        try:
            tf.summary.scalar("x", 1.0)
        except ValueError as e:
            ret["no_step_error"] = str(e)
        ret["scalar"] = bool(tf.summary.scalar("loss", 0.5, step=3))
        tf.summary.scalar("loss", np.float64(0.1), step=4, description="the loss")
        tf.summary.scalar("int", 7, step=4)
        tf.summary.histogram("h_arange", np.arange(10, dtype=np.float32), step=1)
        tf.summary.histogram("h_normal_5", normal, step=1, buckets=5)
        tf.summary.histogram("h_normal", normal, step=1)
        tf.summary.histogram("h_const", [3.0, 3.0, 3.0, 3.0], step=1)
        tf.summary.histogram("h_empty", np.zeros([0], np.float32), step=1)
        tf.summary.histogram("h_int", np.array([1, 2, 2, 3, 3, 3]), step=1)
        tf.summary.histogram("h_one_bucket", [1.0, 2.0, 5.0], step=1, buckets=1)
        tf.summary.histogram("h_zero_buckets", [1.0, 2.0], step=1, buckets=0)
        tf.summary.histogram("h_matrix", np.linspace(-1, 1, 12).reshape(3, 4), step=2)
        u8 = (np.arange(3 * 4 * 5 * 3) % 256).astype(np.uint8).reshape(3, 4, 5, 3)
        tf.summary.image("img_u8", u8, step=1, max_outputs=2)
        fl = np.array([-0.5, 0.0, 0.001, 0.002, 0.5, 0.998, 0.999, 1.0, 1.5, 0.25, 0.75, 0.1],
                      np.float32).reshape(1, 3, 4, 1)
        tf.summary.image("img_float", fl, step=1)
        tf.summary.image("img_rgba", np.full((1, 2, 2, 4), 0.5, np.float32), step=1)
        tf.summary.text("txt", "hello **world**", step=1)
        tf.summary.text("txt_table", [["a", "b"], ["c", "d"]], step=1)
        wave = np.sin(np.linspace(0, 20, 64)).astype(np.float32).reshape(1, 64, 1)
        wave = np.concatenate([wave, 0.5 * wave, -wave])
        wave[1, :3, 0] = [1.5, -1.5, 1.0 / 65536]
        tf.summary.audio("snd", wave, 8000, step=1, max_outputs=2)
        with tf.summary.record_if(False):
            ret["record_if_false"] = bool(tf.summary.scalar("skip", 1.0, step=1))
            ret["should_record_false"] = bool(tf.summary.should_record_summaries())
        ret["should_record_true"] = bool(tf.summary.should_record_summaries())
        with tf.summary.record_if(lambda: tf.summary.experimental.get_step() % 2 == 0):
            for s in range(4):
                tf.summary.experimental.set_step(s)
                tf.summary.scalar("even", float(s))
        tf.summary.experimental.set_step(None)
    w.close()
    ret["no_writer"] = bool(tf.summary.scalar("x", 1.0, step=1))
    for name, call in [("image_rank3", lambda: tf.summary.image("b", np.zeros((2, 2, 3)), 1)),
                       ("audio_rank2", lambda: tf.summary.audio("b", np.zeros((2, 2)), 8000, 1))]:
        with tf.summary.create_file_writer(os.path.join(tmp, "err")).as_default():
            try:
                call()
                ret[name] = None
            except Exception as e:  # recording whatever TF raises
                ret[name] = [type(e).__name__, str(e).splitlines()[0]]
    return ret, _events(os.path.join(tmp, "s"))


def keras_callback(tmp):
    """The events of ``keras.callbacks.TensorBoard`` in two configurations."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int32)
    runs = {}
    configs = {
        "default": {},
        "full": dict(histogram_freq=1, update_freq=2, write_images=True,
                     write_steps_per_second=True),
    }
    for name, kwargs in configs.items():
        tf.keras.utils.set_random_seed(0)
        model = tf.keras.Sequential([tf.keras.Input((3,)),
                                     tf.keras.layers.Dense(4, activation="relu", name="d1"),
                                     tf.keras.layers.Dense(2, activation="softmax", name="d2")])
        model.compile(optimizer=tf.keras.optimizers.Adam(0.01),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        logdir = os.path.join(tmp, name)
        cb = tf.keras.callbacks.TensorBoard(log_dir=logdir, **kwargs)
        model.fit(x, y, batch_size=8, epochs=2, validation_data=(x[:16], y[:16]),
                  callbacks=[cb], verbose=0)
        runs[name] = {"args": kwargs, "dirs": sorted(os.listdir(logdir))}
        for sub in runs[name]["dirs"]:
            ev = _events(os.path.join(logdir, sub))
            for e in ev["events"]:  # values depend on training; keep the structure
                if e.get("plugin") in ("scalars",):
                    e["value"] = None
                e.pop("pixels", None)
                if e.get("plugin") == "histograms":
                    e["value"] = None
            runs[name][sub] = ev
    return runs


def main():
    with tempfile.TemporaryDirectory() as tmp:
        ret, events = summaries(tmp)
        runs = keras_callback(tmp)
    out = {"tensorflow": tf.__version__, "keras": tf.keras.__version__,
           "returns": ret, "summaries": events, "keras_callback": runs}
    with open(os.path.join(HERE, "tf_reference.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
