"""``tapeflow.export``: models as files other runtimes load.

``tf.export.to_onnx(model, path)`` writes an ONNX graph (the ``onnx`` extra) of a Sequential
or functional model in inference mode and returns the ``onnx.ModelProto``; without ``path``
it only returns it. ``model.export(path)`` is the same through Keras's method.
"""
import os

from ._onnx import OPSET, export_onnx
from ._onnx import to_onnx as _to_proto

__all__ = ["to_onnx", "OPSET"]


def to_onnx(model, filepath=None):
    """The model's ONNX ``ModelProto`` (opset ``OPSET``), also written atomically to
    ``filepath`` when given. Raises ``ValueError`` listing every layer without an ONNX form."""
    if filepath is None:
        return _to_proto(model)
    return export_onnx(model, os.fspath(filepath))
