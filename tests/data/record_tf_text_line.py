"""Records TensorFlow's answers to ``text_line_cases.py`` in ``text_line_tf.json``:
``/work/tfenv/bin/python tests/data/record_tf_text_line.py`` (TF 2.21 for the checked-in
file)."""
import os
import sys
import tempfile

import numpy as np
import tensorflow as tf

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from record_tf_strings import dumps  # noqa: E402
from strings_cases import encode  # noqa: E402
from text_line_cases import CASES, write_files  # noqa: E402


def main():
    out = {"tensorflow": tf.__version__, "cases": {}}
    with tempfile.TemporaryDirectory() as d:
        write_files(d)
        cwd = os.getcwd()
        os.chdir(d)
        try:
            for expr in CASES:
                try:
                    r = eval(expr, {"tf": tf, "np": np, "D": tf.data.TextLineDataset})
                except Exception as e:
                    r = e
                out["cases"][expr] = encode(r, tf)
        finally:
            os.chdir(cwd)
    with open(os.path.join(HERE, "text_line_tf.json"), "w") as f:
        f.write(dumps(out) + "\n")


if __name__ == "__main__":
    main()
