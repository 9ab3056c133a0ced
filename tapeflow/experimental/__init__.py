"""``tf.experimental``: DLPack interchange (``tf.experimental.dlpack``) and ``Optional``
(tf.data's, loaded on first use)."""
from . import dlpack  # noqa: F401


def __getattr__(name):
    """``tf.experimental.Optional``: the class of ``tf.data.experimental.Optional``."""
    if name == "Optional":
        from ..data._optional import Optional  # deferred: tf.data sits above this layer

        globals()["Optional"] = Optional
        return Optional
    if name in _LAZY:  # tf.experimental.numpy, RowPartition, DynamicRaggedShape
        import importlib

        mod = importlib.import_module(_LAZY[name][0], __name__)
        value = mod if _LAZY[name][1] is None else getattr(mod, _LAZY[name][1])
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tapeflow.experimental' has no attribute {name!r}")


_LAZY = {"numpy": (".numpy", None),
         "RowPartition": ("..ragged.row_partition", "RowPartition"),
         "DynamicRaggedShape": ("..ragged.dynamic_ragged_shape", "DynamicRaggedShape"),
         "StructuredTensor": (".structured_tensor", "StructuredTensor")}
# extension types (experimental/extension_type.py) and API dispatch (experimental/_dispatch.py)
_LAZY.update({n: (".extension_type", n) for n in (
    "ExtensionType", "BatchableExtensionType", "ExtensionTypeSpec", "ExtensionTypeBatchEncoder")})
_LAZY["extension_type"] = (".extension_type", None)
_LAZY.update({n: ("._dispatch", n) for n in (
    "dispatch_for_api", "dispatch_for_binary_elementwise_apis",
    "dispatch_for_binary_elementwise_assert_apis", "dispatch_for_unary_elementwise_apis",
    "unregister_dispatch_for", "enable_strict_mode", "async_scope", "async_clear_error")})
