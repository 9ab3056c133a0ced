"""What IMDB and Reuters share: reading their archives and turning the stored word indices into
Keras's sequences (shuffle, start and out-of-vocabulary marks, length and vocabulary cuts)."""
import json

from ...backend import host as np
from ._idx import DatasetFileError
from ._safe_npz import load_npz

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def _is_sequence(seq):
    if isinstance(seq, list):
        return all(type(w) is int for w in seq)
    return isinstance(seq, np.ndarray) and seq.ndim == 1 and seq.dtype.kind in "iu"


def read_archive(keys):
    """A reader for ``load_file``: the arrays ``keys`` of a sequence archive, each object array
    checked to hold lists (or 1-D integer arrays) of word indices only."""
    def read(path):
        arrays = load_npz(path, keys)
        for k, a in arrays.items():
            if a.dtype.hasobject:
                for seq in a.reshape(-1):
                    if not _is_sequence(seq):
                        raise DatasetFileError(f"{path}: {k} must hold lists of word indices "
                                               f"(ints); found {type(seq).__name__}")
        return arrays
    return read


def read_json(path):
    """The JSON word index at ``path``."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (ValueError, UnicodeDecodeError) as e:
        raise DatasetFileError(f"{path}: not a readable JSON word index ({e})") from None


def shuffled(rng, *arrays):
    """``arrays`` in one random order drawn from ``rng`` (a ``RandomState``)."""
    indices = np.arange(len(arrays[0]))
    rng.shuffle(indices)
    return [a[indices] for a in arrays]


def mark(seqs, start_char, index_from):
    """Each sequence as a list, shifted by ``index_from`` and led by ``start_char``."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in seqs]
    if index_from:
        return [[w + index_from for w in x] for x in seqs]
    return [list(x) for x in seqs]


def drop_long(maxlen, seqs, labels):
    """The sequences shorter than ``maxlen`` (strictly) and their labels, as lists."""
    kept = [(x, y) for x, y in zip(seqs, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def cut_vocabulary(seqs, num_words, skip_top, oov_char):
    """Words outside ``[skip_top, num_words)`` become ``oov_char`` (dropped when it is None);
    ``num_words`` defaults to the largest index present."""
    if not num_words:
        num_words = max(max(x) for x in seqs)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in seqs]
    return [[w for w in x if skip_top <= w < num_words] for x in seqs]
