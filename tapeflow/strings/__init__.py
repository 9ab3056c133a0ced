"""``tf.strings``: operations on string tensors (elements are ``bytes``, as in TF)."""
from ._ops import (
    as_string,
    bytes_split,
    format,
    join,
    length,
    lower,
    ngrams,
    reduce_join,
    regex_full_match,
    regex_replace,
    split,
    string_to_number,
    strip,
    substr,
    to_hash_bucket_fast,
    to_hash_bucket_strong,
    to_number,
    unicode_decode,
    unicode_encode,
    unicode_split,
    unicode_transcode,
    upper,
)

__all__ = [
    "as_string", "bytes_split", "format", "join", "length", "lower", "ngrams", "reduce_join",
    "regex_full_match", "regex_replace", "split", "string_to_number", "strip", "substr",
    "to_hash_bucket_fast", "to_hash_bucket_strong", "to_number", "unicode_decode",
    "unicode_encode", "unicode_split", "unicode_transcode", "upper",
]
