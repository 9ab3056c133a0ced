"""``keras.legacy``: Keras 2's ways kept for old code; ``keras.legacy.saving`` has its
``serialize_keras_object`` / ``deserialize_keras_object`` (``{'class_name', 'config'}``)."""
from . import saving  # noqa: F401
