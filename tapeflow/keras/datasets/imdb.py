"""IMDB movie reviews labelled by sentiment, as sequences of word indices."""
from ...backend import host as np
from ._common import load_file
from ._sequences import ORIGIN, cut_vocabulary, drop_long, mark, read_archive, read_json, shuffled

NPZ_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"  # md5, as Keras checks it


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3, **kwargs):
    """The IMDB reviews, each a list of word indices (most frequent word first).

    Args:
        path: the archive's name in the Keras cache (or a path to a local copy); the file is
            found as ``keras.datasets.mnist.load_data`` finds its, then downloaded.
        num_words: keep only the ``num_words`` most frequent words (others become
            ``oov_char``); None keeps all.
        skip_top: the most frequent words to mark as ``oov_char``.
        maxlen: drop the reviews of ``maxlen`` or more indices (start mark included).
        seed: the seed of the shuffle of each split.
        start_char: the index that starts every sequence (None: no start mark).
        oov_char: the index of cut words (None: cut words are dropped).
        index_from: the offset added to every stored word index.
        **kwargs: accepted and ignored, as Keras does.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: object arrays of lists of ints and the
        archive's integer labels (0 negative, 1 positive).

    Raises:
        DatasetFileError: the archive is corrupt, not one of Keras's or fails its checksum.
        ValueError: ``maxlen`` leaves no sequence.
    """
    f = load_file("imdb", path, "imdb.npz", ORIGIN + "imdb.npz", NPZ_HASH,
                  read_archive(("x_train", "y_train", "x_test", "y_test")))
    rng = np.random.RandomState(seed)
    x_train, labels_train = shuffled(rng, f["x_train"], f["y_train"])
    x_test, labels_test = shuffled(rng, f["x_test"], f["y_test"])
    x_train = mark(x_train, start_char, index_from)
    x_test = mark(x_test, start_char, index_from)
    if maxlen:
        x_train, labels_train = drop_long(maxlen, x_train, labels_train)
        x_test, labels_test = drop_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, no "
                             "sequence was kept. Increase maxlen.")
    xs = cut_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    idx = len(x_train)
    return ((np.array(xs[:idx], dtype="object"), labels[:idx]),
            (np.array(xs[idx:], dtype="object"), labels[idx:]))


def get_word_index(path="imdb_word_index.json"):
    """The IMDB word index: ``{word: index}`` (add ``index_from`` to match ``load_data``).

    Args:
        path: the file's name in the Keras cache (or a path to a local copy).

    Returns:
        A dict from words to their frequency rank (1 is the most frequent).
    """
    return load_file("imdb", path, "imdb_word_index.json", ORIGIN + "imdb_word_index.json",
                     WORD_INDEX_HASH, read_json)
