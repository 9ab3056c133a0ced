"""Fashion-MNIST (Zalando Research): 28x28 grey clothing images in 10 classes."""
from ._common import load_idx_dataset

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
# sha256 of the official files (identical to Debian's dataset-fashion-mnist package)
HASHES = {
    "train-images-idx3-ubyte.gz":
        "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train-labels-idx1-ubyte.gz":
        "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "t10k-images-idx3-ubyte.gz":
        "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte.gz":
        "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}


def load_data(path=None):
    """``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (60000, 28, 28),
    (60000,), (10000, 28, 28), (10000,).

    Looks in ``path`` (a folder with the four IDX files) when given; else, in order, in
    ``$TAPEFLOW_DATASETS/fashion-mnist/``, the project's ``shared/datasets/fashion-mnist/``, the
    Keras cache (``$KERAS_HOME/datasets/fashion-mnist/``), ``/usr/share/datasets/fashion-mnist/``;
    only then downloads into the Keras cache. Files that fail the official sha256 or cannot be
    read are skipped with a warning; when nothing is found the error lists the places searched.
    """
    return load_idx_dataset("fashion-mnist", "fashion-mnist", ORIGIN, HASHES, path)
