"""California housing: 8 features of 20640 census block groups (1990) and their median house
value."""
from ._common import load_file
from ._tabular import ORIGIN, check_split, read_xy, shuffle_split

NPZ_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """The California housing data, shuffled and split.

    Args:
        version: ``"large"`` (all 20640 samples) or ``"small"`` (the first 600).
        path: the archive's name in the Keras cache (or a path to a local copy).
        test_split: the fraction of the samples that forms the test split, in ``[0, 1)``.
        seed: the seed of the shuffle.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: float arrays of shapes (N, 8) and (N,).

    Raises:
        ValueError: ``test_split`` outside ``[0, 1)`` or an unknown ``version``.
        DatasetFileError: the archive is corrupt, not Keras's or fails its checksum.
    """
    check_split(test_split)
    x, y = load_file("california_housing", path, "california_housing.npz",
                     ORIGIN + "california_housing.npz", NPZ_HASH, read_xy)
    if version == "small":
        x, y = x[:600], y[:600]
    elif version != "large":
        raise ValueError("Argument `version` must be one of 'small', 'large'. Received: "
                         f"version={version}")
    return shuffle_split(x, y, test_split, seed)
