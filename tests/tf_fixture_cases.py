"""Shared test helper: replay the expressions of ``tests/fixtures/record_ragged_sparse.py``
with tapeflow and compare them with TensorFlow's recorded answers (repr, value, dtype, shape,
or the exception class)."""
import builtins
import json
import os
import sys

import numpy as np

import tapeflow as tf

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
sys.path.insert(0, HERE)
from record_ragged_sparse import SETUP  # noqa: E402 - the recording script's own setup


def load(name):
    with open(os.path.join(HERE, name)) as f:
        return json.load(f)["cases"]


def _error_class(name):
    return getattr(tf.errors, name, None) or getattr(builtins, name)


def _namespace():
    ns = {"tf": tf}
    exec(SETUP, ns)
    return ns


def _encode(x):
    name = type(x).__name__
    rec = {"repr": repr(x), "type": "EagerTensor" if name == "Tensor" else name}
    if hasattr(x, "to_list"):
        rec["value"] = x.to_list()
    elif hasattr(x, "numpy") and hasattr(x, "dtype"):
        v = x.numpy()
        rec["value"] = v.tolist() if isinstance(v, np.ndarray) else (
            v.item() if hasattr(v, "item") else v)
    elif isinstance(x, np.ndarray):
        rec["value"] = x.tolist() if x.dtype != object else repr(x)
    if hasattr(x, "dtype") and hasattr(x.dtype, "name"):
        rec["dtype"] = x.dtype.name
    if hasattr(x, "shape"):
        rec["shape"] = repr(x.shape)
    return rec


def _same(a, b):
    """Values equal, NaN equal to NaN."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return a == b


def check(expr, want, keys=("repr", "type", "value", "dtype", "shape")):
    ns = _namespace()
    if "error" in want:
        cls = _error_class(want["error"])
        try:
            got = eval(expr, ns)
        except cls:
            return
        raise AssertionError(f"{expr}: TF raises {want['error']}, tapeflow gave {got!r}")
    got = eval(expr, ns)
    if "items" in want:
        assert isinstance(got, (tuple, list)) and len(got) == len(want["items"]), expr
        pairs = zip([_encode(g) for g in got], want["items"])
    else:
        pairs = [(_encode(got), want)]
    for g, w in pairs:
        for k in keys:
            if k in w:
                assert k in g and _same(g[k], w[k]), f"{expr}: {k}: tapeflow {g.get(k)!r} " \
                                                     f"!= TF {w[k]!r}"
