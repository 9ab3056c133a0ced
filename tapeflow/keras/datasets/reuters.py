"""Reuters newswires in 46 topics, as sequences of word indices."""
from ...backend import host as np
from ._common import load_file
from ._sequences import ORIGIN, cut_vocabulary, drop_long, mark, read_archive, read_json, shuffled

NPZ_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"  # md5, as Keras checks it

LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
    "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas",
    "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin",
    "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs",
    "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3):
    """The Reuters newswires, each a list of word indices, split into train and test.

    Args:
        path: the archive's name in the Keras cache (or a path to a local copy).
        num_words: keep only the ``num_words`` most frequent words (others become
            ``oov_char``); None keeps all.
        skip_top: the most frequent words to mark as ``oov_char``.
        maxlen: drop the newswires of ``maxlen`` or more indices (start mark included).
        test_split: the fraction of the (shuffled) newswires that forms the test split.
        seed: the seed of the shuffle.
        start_char: the index that starts every sequence (None: no start mark).
        oov_char: the index of cut words (None: cut words are dropped).
        index_from: the offset added to every stored word index.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: object arrays of lists of ints and integer
        topic labels (names in ``get_label_names()``).

    Raises:
        DatasetFileError: the archive is corrupt, not one of Keras's or fails its checksum.
    """
    f = load_file("reuters", path, "reuters.npz", ORIGIN + "reuters.npz", NPZ_HASH,
                  read_archive(("x", "y")))
    rng = np.random.RandomState(seed)
    xs, labels = shuffled(rng, f["x"], f["y"])
    xs = mark(xs, start_char, index_from)
    if maxlen:
        xs, labels = drop_long(maxlen, xs, labels)
    xs = cut_vocabulary(xs, num_words, skip_top, oov_char)
    idx = int(len(xs) * (1 - test_split))
    return ((np.array(xs[:idx], dtype="object"), np.array(labels[:idx])),
            (np.array(xs[idx:], dtype="object"), np.array(labels[idx:])))


def get_word_index(path="reuters_word_index.json"):
    """The Reuters word index: ``{word: index}`` (add ``index_from`` to match ``load_data``).

    Args:
        path: the file's name in the Keras cache (or a path to a local copy).

    Returns:
        A dict from words to their frequency rank (1 is the most frequent).
    """
    return load_file("reuters", path, "reuters_word_index.json",
                     ORIGIN + "reuters_word_index.json", WORD_INDEX_HASH, read_json)


def get_label_names():
    """The 46 topic names, indexed by the labels ``load_data`` returns.

    Returns:
        A tuple of strings.
    """
    return LABEL_NAMES
