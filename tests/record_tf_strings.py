"""Records TensorFlow's answers to ``tests/strings_cases.py`` in ``tests/strings_tf.json``.

Run with a Python that has TensorFlow (2.21 for the checked-in file):
``/work/tfenv/bin/python tests/record_tf_strings.py``. Also records the hash of many
random strings so that the FarmHash/SipHash code is checked on every length class.
"""
import json
import os
import random
import sys

import numpy as np
import tensorflow as tf

sys.path.insert(0, os.path.dirname(__file__))
from strings_cases import CASES, differential, encode


def main():
    out = {"tensorflow": tf.__version__, "cases": {}}
    for expr in CASES:
        try:
            r = eval(expr, {"tf": tf, "np": np})
        except Exception as e:
            r = e
        out["cases"][expr] = encode(r, tf)
    rng = random.Random(17)
    strs = [b""] + [bytes(rng.randrange(256) for _ in range(n))
                    for n in list(range(1, 140)) + [200, 255, 256, 257, 500, 1000]]
    nb = 2**62  # a large bucket count keeps most of the hash's bits
    key = [0x0123456789ABCDEF, 0x7EDCBA9876543210]
    out["hash"] = {
        "strings": [s.hex() for s in strs], "num_buckets": nb, "key": key,
        "fast": tf.strings.to_hash_bucket_fast(strs, nb).numpy().tolist(),
        "strong": tf.strings.to_hash_bucket_strong(strs, nb, key).numpy().tolist(),
        "legacy": tf.strings.to_hash_bucket(strs, nb).numpy().tolist(),
    }
    out["differential"] = differential(tf)
    path = os.path.join(os.path.dirname(__file__), "strings_tf.json")
    with open(path, "w") as f:
        f.write(dumps(out) + "\n")


def dumps(out):
    """JSON with one line per case: small, and readable in a diff."""
    sections = []
    for key in sorted(out):
        v = out[key]
        if isinstance(v, dict):
            body = ",\n".join(f"{json.dumps(k)}: {json.dumps(v[k], sort_keys=True)}"
                               for k in sorted(v))
            sections.append(f"{json.dumps(key)}: {{\n{body}\n}}")
        else:
            sections.append(f"{json.dumps(key)}: {json.dumps(v)}")
    return "{\n" + ",\n".join(sections) + "\n}"


if __name__ == "__main__":
    main()
