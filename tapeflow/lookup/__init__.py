"""``tf.lookup``: key-to-value tables (static ones built from an initializer, mutable ones
under ``experimental``) and vocabulary tables with out-of-vocabulary hash buckets."""
from . import experimental
from ._tables import (
    KeyValueTensorInitializer,
    StaticHashTable,
    StaticVocabularyTable,
    TextFileIndex,
    TextFileInitializer,
)

__all__ = ["KeyValueTensorInitializer", "StaticHashTable", "StaticVocabularyTable",
           "TextFileIndex", "TextFileInitializer", "experimental"]
