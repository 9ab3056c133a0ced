"""The workshop's ``model.fit`` on real MNIST (read straight from the IDX files)."""
import gzip
import os
import time
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf

MNIST = Path(os.environ.get("TAPEFLOW_DATASETS", Path(__file__).resolve().parents[3] /
                            "shared" / "datasets")) / "mnist"


def _idx(name):
    with gzip.open(MNIST / name) as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


@pytest.mark.skipif(not (MNIST / "train-images-idx3-ubyte.gz").exists(),
                    reason=f"MNIST IDX files not found under {MNIST}")
def test_seed_model_fit_reaches_workshop_accuracy(capsys):
    """The seed's Sequential MLP, 'sgd', batch 256, validated on the test set.

    The issue asks for val_accuracy >= 0.89 after 10 epochs (the seed shows 0.9029; epoch 6
    is the first to pass), so all 10 are run: 3-4 s here (0.3-0.4 s per epoch) on an idle
    2-core machine or with OPENBLAS_NUM_THREADS=1; on a busy machine multi-threaded OpenBLAS
    can make the same run 5-10x slower.
    """
    tf.random.set_seed(1234)
    x_train, y_train = _idx("train-images-idx3-ubyte.gz"), _idx("train-labels-idx1-ubyte.gz")
    x_test, y_test = _idx("t10k-images-idx3-ubyte.gz"), _idx("t10k-labels-idx1-ubyte.gz")
    x_train, x_test = x_train / 255.0, x_test / 255.0
    model = tf.keras.Sequential([
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(50),
        tf.keras.layers.ReLU(),
        tf.keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x=x_train, y=y_train, batch_size=256, epochs=10,
                        validation_data=(x_test, y_test))
    elapsed = time.perf_counter() - start
    out = capsys.readouterr().out
    assert out.count("235/235 \u2501") == 10 and "Epoch 10/10" in out
    h = history.history
    assert h["val_accuracy"][-1] >= 0.89, h
    assert h["loss"][-1] < h["loss"][0] and h["accuracy"][-1] > 0.88
    print(f"10 epochs in {elapsed:.1f}s, val_accuracy {h['val_accuracy'][-1]:.4f}")
