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
from record_ragged_sparse import DATA_SETUP, SETUP  # noqa: E402 - the recording's own setup


def load(name):
    with open(os.path.join(HERE, name)) as f:
        return json.load(f)["cases"]


def _error_class(name):
    return getattr(tf.errors, name, None) or getattr(builtins, name)


def _namespace(setup):
    ns = {"tf": tf}
    exec(setup, ns)
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


# Ops whose float results differ from TF's in the last place on dense tensors too (tapeflow's
# own sigmoid formulas): their values are compared to 1e-6, their reprs not.
APPROX = {"tf.math.log_sigmoid(rtf)", "tf.nn.sigmoid(rtf)",
          "tf.sparse.softmax(tf.sparse.SparseTensor([[0, 0], [0, 2], [1, 1], [2, 0], [2, 3]], "
          "[1.0, 2.0, 3.0, -1.0, 0.5], [3, 4])).values"}


def _close(a, b):
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-6 * max(1.0, abs(b))
    return a == b


def check(expr, want, data=False, keys=("repr", "type", "value", "dtype", "shape")):
    """Evaluate ``expr`` as the recording did (``data``: with the tf.data setup too)."""
    if expr in APPROX:
        got = eval(expr, _namespace(SETUP))
        value = got.to_list() if hasattr(got, "to_list") else got.numpy().tolist()
        assert _close(value, want["value"]), expr
        keys = ("type", "dtype", "shape")
    ns = _namespace(SETUP + DATA_SETUP if data else SETUP)
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
