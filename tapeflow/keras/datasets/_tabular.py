"""What the housing datasets share: one ``.npz`` with ``x`` and ``y``, shuffled and split."""
from ...backend import host as np
from ._safe_npz import load_npz

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def check_split(test_split):
    """Keras's ``ValueError`` for a ``test_split`` outside ``[0, 1)``."""
    if not 0 <= test_split < 1:
        raise ValueError(f"Invalid `test_split` argument: {test_split}. It must be between 0 "
                         "and 1 (exclusive of 1).")


def read_xy(path):
    """``(x, y)`` of a housing archive (numeric arrays only: pickles are refused)."""
    f = load_npz(path, ("x", "y"))
    return f["x"], f["y"]


def shuffle_split(x, y, test_split, seed):
    """``(x_train, y_train), (x_test, y_test)``: ``x`` and ``y`` in one order drawn from
    ``RandomState(seed)``, the last ``test_split`` of it for test."""
    rng = np.random.RandomState(seed)
    indices = np.arange(len(x))
    rng.shuffle(indices)
    x, y = x[indices], y[indices]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))
