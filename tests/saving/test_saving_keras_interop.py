"""Live interop with real Keras 3 (skipped unless a Python with TensorFlow/Keras 3 and h5py
is found: ``$TAPEFLOW_KERAS_PYTHON``, /work/refenv/bin/python or /work/tfenv/bin/python):
files written by tapeflow load in Keras and the other way round, optimizer state included."""
import os
import subprocess
import textwrap

import keras_models
import numpy as np
import pytest

import tapeflow as tf

keras = tf.keras
KERAS_PYTHON = os.environ.get("TAPEFLOW_KERAS_PYTHON") or next(
    (p for p in ("/work/refenv/bin/python", "/work/tfenv/bin/python") if os.path.exists(p)),
    "/work/refenv/bin/python")
HERE = os.path.dirname(os.path.abspath(__file__))

pytestmark = pytest.mark.skipif(not os.path.exists(KERAS_PYTHON),
                                reason="no Python with Keras 3 for the interop check")

SCRIPT = textwrap.dedent("""
    import os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    sys.path.insert(0, sys.argv[2])
    import keras, numpy as np
    import keras_models as km
    d = sys.argv[1]
    out = {}
    for kind, build in km.BUILDERS.items():
        model = build(keras)
        model.load_weights(f"{d}/tf_{kind}.weights.h5")
        out[kind] = model.predict(km.X, verbose=0)
    out["functional_keras"] = keras.models.load_model(f"{d}/tf_functional.keras").predict(
        km.X, verbose=0)
    model = keras.models.load_model(f"{d}/tf_mlp.keras")
    out["loaded_iterations"] = np.asarray(int(model.optimizer.iterations.numpy()))
    model.fit(km.X, km.Y2, batch_size=5, epochs=1, shuffle=False, verbose=0)
    for i, w in enumerate(model.get_weights()):
        out[f"tf_mlp_next_{i}"] = w
    model = km.mlp(keras)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    model.fit(km.X, km.Y2, batch_size=5, epochs=2, shuffle=False, verbose=0)
    model.save(f"{d}/keras_mlp.keras")
    model.fit(km.X, km.Y2, batch_size=5, epochs=1, shuffle=False, verbose=0)
    for i, w in enumerate(model.get_weights()):
        out[f"keras_mlp_next_{i}"] = w
    np.savez(f"{d}/keras_results.npz", **out)
""")


def test_tapeflow_and_keras3_read_each_others_files(tmp_path):
    pytest.importorskip("h5py")
    ours = {}
    for kind, build in keras_models.BUILDERS.items():
        model = build(keras)
        model.save_weights(tmp_path / f"tf_{kind}.weights.h5")
        ours[kind] = model.predict(keras_models.X, verbose=0)
        if kind == "functional":
            model.save(tmp_path / "tf_functional.keras")
    mlp = keras_models.mlp(keras)
    mlp.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    mlp.fit(keras_models.X, keras_models.Y2, batch_size=5, epochs=2, shuffle=False, verbose=0)
    mlp.save(tmp_path / "tf_mlp.keras")
    mlp.fit(keras_models.X, keras_models.Y2, batch_size=5, epochs=1, shuffle=False, verbose=0)

    run = subprocess.run([KERAS_PYTHON, "-c", SCRIPT, str(tmp_path), HERE],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    theirs = np.load(tmp_path / "keras_results.npz")

    for kind in keras_models.BUILDERS:  # Keras reads tapeflow's .weights.h5
        np.testing.assert_allclose(theirs[kind], ours[kind], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(theirs["functional_keras"], ours["functional"], rtol=1e-5,
                               atol=1e-6)
    assert int(theirs["loaded_iterations"]) == 2  # ... and tapeflow's .keras with Adam state
    for i, w in enumerate(mlp.get_weights()):
        np.testing.assert_allclose(theirs[f"tf_mlp_next_{i}"], w, rtol=1e-5, atol=1e-6)

    loaded = keras.models.load_model(tmp_path / "keras_mlp.keras")  # tapeflow reads Keras's
    assert int(loaded.optimizer.iterations.numpy()) == 2
    loaded.fit(keras_models.X, keras_models.Y2, batch_size=5, epochs=1, shuffle=False,
               verbose=0)
    for i, w in enumerate(loaded.get_weights()):
        np.testing.assert_allclose(w, theirs[f"keras_mlp_next_{i}"], rtol=1e-5, atol=1e-6)
