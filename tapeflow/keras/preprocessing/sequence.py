"""``keras.preprocessing.sequence``: ``pad_sequences`` (``keras.utils``'s)."""
from ..utils.sequence_utils import pad_sequences  # noqa: F401
