"""``keras.export``: Keras's ``ExportArchive`` writes a TensorFlow SavedModel, a format that
needs TensorFlow's graph runtime; tapeflow exports ONNX instead
(``model.export(path, format="onnx")`` or ``tf.export.to_onnx``) and saves
whole models as ``.keras`` files (``model.save``)."""

__all__ = ["ExportArchive"]

_MESSAGE = ("keras.export.ExportArchive writes a TensorFlow SavedModel, which tapeflow does not "
            "support (it needs TensorFlow's graph runtime). Export an inference graph as ONNX "
            "with `model.export(filepath, format='onnx')` or `tf.export.to_onnx(model, "
            "filepath)` (the `onnx` extra), or save the whole model with "
            "`model.save('model.keras')`.")


class ExportArchive:
    """Keras's SavedModel export archive: not supported by tapeflow (making one raises
    ``NotImplementedError`` naming the ONNX export and ``.keras`` saving instead)."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(_MESSAGE)
