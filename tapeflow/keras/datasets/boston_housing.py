"""Boston house prices: 13 features of 506 Boston suburbs (1970s) and their median value."""
from ._common import load_file
from ._tabular import ORIGIN, check_split, read_xy, shuffle_split

NPZ_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """The Boston housing data, shuffled and split.

    Args:
        path: the archive's name in the Keras cache (or a path to a local copy).
        test_split: the fraction of the samples that forms the test split, in ``[0, 1)``.
        seed: the seed of the shuffle.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: float arrays of shapes (N, 13) and (N,)
        (404 and 102 samples by default).

    Raises:
        ValueError: ``test_split`` is outside ``[0, 1)``.
        DatasetFileError: the archive is corrupt, not Keras's or fails its checksum.
    """
    check_split(test_split)
    x, y = load_file("boston_housing", path, "boston_housing.npz",
                     ORIGIN + "boston_housing.npz", NPZ_HASH, read_xy)
    return shuffle_split(x, y, test_split, seed)
