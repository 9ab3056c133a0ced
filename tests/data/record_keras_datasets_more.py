"""Records Keras 3.15's answers to ``keras_datasets_more_cases.py`` in
``keras_datasets_more.json``: ``/work/tfenv/bin/python tests/data/record_keras_datasets_more.py``.
Keras's ``get_file`` is replaced by one that returns the generated file (nothing is
downloaded)."""
import importlib
import json
import os
import sys
import tempfile

import keras

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from keras_datasets_more_cases import CASES, encode, write_files  # noqa: E402


def main():
    out = {"keras": keras.__version__, "cases": []}
    with tempfile.TemporaryDirectory() as d:
        write_files(d)
        for module, fname, call in CASES:
            m = importlib.import_module(f"keras.src.datasets.{module}")
            target = os.path.join(d, fname) if fname else None
            m.get_file = lambda *a, _t=target, **k: _t
            try:
                r = eval(call, {"m": m, "P": target})
            except Exception as e:
                r = e
            out["cases"].append([module, fname, call, encode(r)])
    with open(os.path.join(HERE, "keras_datasets_more.json"), "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
