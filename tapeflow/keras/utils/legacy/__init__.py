"""``keras.utils.legacy``: Keras 2's ``serialize_keras_object`` / ``deserialize_keras_object``
(the same functions as ``keras.legacy.saving``'s)."""
from ...legacy.saving import deserialize_keras_object, serialize_keras_object  # noqa: F401
