"""Records TensorFlow's ``tf.strings.unicode_script`` of sample code points in
``tests/fixtures/unicode_script_tf.json``: the first code point of every script, 3,000 seeded
random code points, the edges (surrogates, beyond U+10FFFF, negatives).

Run with a Python that has TensorFlow (2.21 for the checked-in file) and unicodedataplus:
``.bench-venv/bin/python tests/record_tf_unicode_script.py``.
"""
import json
import os
import random

import tensorflow as tf
import unicodedataplus

HERE = os.path.dirname(os.path.abspath(__file__))


def sample():
    first = {}
    for cp in range(0x110000):
        if not 0xD800 <= cp <= 0xDFFF:
            first.setdefault(unicodedataplus.script(chr(cp)), cp)
    rng = random.Random(19)
    cps = sorted(first.values()) + [rng.randrange(0x110000) for _ in range(3000)]
    return cps + [0xD800, 0xDFFF, 0x10FFFF, 0x110000, 2**31 - 1, -1, -(2**31)]


def main():
    cps = sample()
    codes = tf.strings.unicode_script(tf.constant(cps, tf.int32)).numpy().tolist()
    path = os.path.join(HERE, "fixtures", "unicode_script_tf.json")
    with open(path, "w") as f:
        json.dump({"tensorflow": tf.__version__, "code_points": cps, "scripts": codes}, f)
    print(f"wrote {len(cps)} code points to {path}")


if __name__ == "__main__":
    main()
