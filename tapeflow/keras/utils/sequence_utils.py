"""``keras.utils.pad_sequences`` (also ``keras.preprocessing.sequence.pad_sequences``)."""
from ...backend import host as np


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """A ``(len(sequences), maxlen, ...)`` NumPy array of the sequences, each cut to
    ``maxlen`` (its start dropped with ``truncating="pre"``, its end with "post") and filled
    with ``value`` before it (``padding="pre"``) or after it ("post"). ``maxlen`` is the
    longest sequence's length when None. Items may be arrays: every one must have the first
    non-empty sequence's item shape.

    >>> pad_sequences([[1, 2, 3], [4]], maxlen=2).tolist()
    [[2, 3], [0, 4]]
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be iterable.")
    lengths, item_shape = [], ()
    found_shape = False
    for s in sequences:
        try:
            lengths.append(len(s))
        except TypeError:
            raise ValueError("`sequences` must be a list of iterables. Found non-iterable: "
                             f"{s}") from None
        if not found_shape and len(s):
            item_shape = np.asarray(s).shape[1:]
            found_shape = True
    if maxlen is None:
        maxlen = np.max(lengths)  # NOTE: as Keras: no sequences at all is NumPy's error
    dtype_is_text = np.issubdtype(np.dtype(dtype), np.str_)
    if isinstance(value, str) and np.dtype(dtype).kind != "O" and not dtype_is_text:
        raise ValueError(f"`dtype` {dtype} is not compatible with `value`'s type: "
                         f"{type(value)}\nYou should set `dtype=object` for variable length "
                         "strings.")
    out = np.full((len(lengths), maxlen) + item_shape, value, dtype=dtype)
    for i, s in enumerate(sequences):
        if not len(s):
            continue
        if truncating == "pre":
            kept = s[-maxlen:]
        elif truncating == "post":
            kept = s[:maxlen]
        else:
            raise ValueError(f'Truncating type "{truncating}" not understood')
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != item_shape:
            raise ValueError(f"Shape of sample {kept.shape[1:]} of sequence at position {i} "
                             f"is different from expected shape {item_shape}")
        if padding == "post":
            out[i, :len(kept)] = kept
        elif padding == "pre":
            out[i, -len(kept):] = kept
        else:
            raise ValueError(f'Padding type "{padding}" not understood')
    return out
