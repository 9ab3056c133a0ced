"""Write the Keras 3 fixtures in ``keras3/``: run with a Python that has TensorFlow 2.21
(Keras 3.15) and h5py, e.g. ``/work/tfenv/bin/python tests/saving/data/make_keras3_fixtures.py``.

Each family of ``keras3_families.py`` is built and briefly trained in real Keras, saved as
``NAME.keras`` and ``NAME.weights.h5`` (``legacy_h5`` as a legacy full-model ``.h5``), and
its predictions on the fixed inputs are recorded in ``keras3/expected.json``.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402 - optional: real Keras writes the fixtures (after the log level)
import keras3_families as fam  # noqa: E402
import numpy as np  # noqa: E402


def main(out=os.path.join(HERE, "keras3")):
    os.makedirs(out, exist_ok=True)
    keras.utils.set_random_seed(0)
    expected = {"keras_version": keras.__version__}
    for name, build in fam.FAMILIES.items():
        model = fam.train(keras, name, build(keras))
        if name == "legacy_h5":
            model.save(f"{out}/{name}.h5")
        else:
            model.save(f"{out}/{name}.keras")
            model.save_weights(f"{out}/{name}.weights.h5")
        pred = np.asarray(model.predict(fam.INPUTS[name], verbose=0))
        # float32 values round-trip exactly through Python floats in JSON
        expected[name] = {"shape": list(pred.shape), "data": pred.ravel().tolist()}
    with open(f"{out}/expected.json", "w") as f:
        json.dump(expected, f)


if __name__ == "__main__":
    main(*sys.argv[1:])
