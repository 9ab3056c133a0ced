"""Record TensorFlow's answers for ``complex_signal_cases.py`` into ``fixtures/`` (run with a
TensorFlow 2.21 environment; CI checks the recorded files without TensorFlow):

    /work/tfenv/bin/python tests/record_tf_complex_signal.py
"""
import json
import os
import sys
import warnings

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import complex_signal_cases as cases  # noqa: E402
import tensorflow as tf  # noqa: E402

OUT = os.path.join(HERE, "fixtures")


def record_ops(table, arrays):
    for name, fn, inputs in table:
        ts = [tf.constant(a) for a in inputs]
        with tf.GradientTape() as tape:
            for t, a in zip(ts, inputs):
                if cases.differentiable(a):
                    tape.watch(t)
            out = fn(tf, *ts)
        for i, a in enumerate(inputs):
            arrays[f"{name}/in{i}"] = a
        arrays[f"{name}/out"] = out.numpy()
        if not inputs or out.dtype.name not in ("float32", "float64", "complex64", "complex128"):
            continue
        up = cases.upstream(name, out.shape, out.dtype.as_numpy_dtype)
        try:
            grads = tape.gradient(out, ts, output_gradients=tf.constant(up))
        except LookupError:  # TF has no gradient for this op (RFFT3D, IRFFT3D)
            arrays[f"{name}/nograd"] = np.array(True)
            continue
        for i, g in enumerate(grads):
            if g is not None:
                arrays[f"{name}/grad{i}"] = g.numpy()


def main():
    arrays = {}
    record_ops(cases.COMPLEX_CASES, arrays)
    record_ops(cases.SIGNAL_CASES, arrays)
    ns = {"tf": tf, "np": np}
    printed = {}
    for expr in cases.PRINT_CASES:
        t = eval(expr, ns)
        printed[expr] = {"str": str(t), "repr": repr(t), "dtype": t.dtype.name,
                         "shape": list(t.shape)}
    values = {expr: repr(eval(expr, ns)) for expr in cases.VALUE_CASES}
    errors = {}
    for expr in cases.ERROR_CASES:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                eval(expr, ns)
        except Exception as e:
            errors[expr] = type(e).__name__
        else:
            raise SystemExit(f"TF did not raise for {expr}")
    os.makedirs(OUT, exist_ok=True)
    buffers, index = cases.pack(arrays)
    np.savez_compressed(os.path.join(OUT, "tf_complex_signal.npz"), **buffers)
    with open(os.path.join(OUT, "tf_complex_signal.json"), "w") as f:
        json.dump({"tensorflow": tf.__version__, "printed": printed, "values": values,
                   "errors": errors, "arrays": index}, f, indent=0, sort_keys=True)
        f.write("\n")
    print(f"recorded {len(arrays)} arrays, {len(printed)} printed, {len(values)} values, "
          f"{len(errors)} errors")


if __name__ == "__main__":
    main()
