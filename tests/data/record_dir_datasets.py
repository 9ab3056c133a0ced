"""Records Keras 3.15's answers to ``dir_datasets_cases.py`` in ``dir_datasets.json``:
``/work/tfenv/bin/python tests/data/record_dir_datasets.py [python with Pillow]`` (the tree is
written by that other Python, ``/work/main/.venv/bin/python`` by default, when TF's has no
Pillow)."""
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile

import keras

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from dir_datasets_cases import CASES, encode, to_numpy  # noqa: E402


def main():
    out = {"keras": keras.__version__, "cases": {}}
    names = {"I": keras.utils.image_dataset_from_directory,
             "T": keras.utils.text_dataset_from_directory,
             "A": keras.utils.audio_dataset_from_directory}
    with tempfile.TemporaryDirectory() as d:
        python = sys.argv[1] if len(sys.argv) > 1 else "/work/main/.venv/bin/python"
        subprocess.run([python, "-c", f"import sys; sys.path.insert(0, {HERE!r}); "
                        f"from dir_datasets_cases import make_tree; make_tree({d!r})"],
                       check=True)
        for call in CASES:
            printed = io.StringIO()
            try:
                with contextlib.redirect_stdout(printed):
                    r = eval(call, dict(names, D=d))
            except Exception as e:
                r = e
            rec = encode(r, d, to_numpy)
            out["cases"][call] = {"result": rec, "printed": printed.getvalue()}
    with open(os.path.join(HERE, "dir_datasets.json"), "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
