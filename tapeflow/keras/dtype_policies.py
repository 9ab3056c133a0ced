"""``keras.dtype_policies``: ``DTypePolicy`` (``keras.mixed_precision``'s), its deprecated
alias class ``FloatDTypePolicy``, and ``get`` / ``serialize`` / ``deserialize``. The
quantized policies (int8, int4, float8, GPTQ, AWQ) are not provided: tapeflow has no
quantized layers."""
from .mixed_precision.policy import DTypePolicy

__all__ = ["DTypePolicy", "FloatDTypePolicy", "deserialize", "get", "serialize"]


class FloatDTypePolicy(DTypePolicy):
    """Keras's older name for a float ``DTypePolicy``."""


_CLASSES = {"DTypePolicy": DTypePolicy, "FloatDTypePolicy": FloatDTypePolicy}


def serialize(dtype_policy):
    """A policy's config dict in Keras's serialized form."""
    return {"module": "keras", "class_name": type(dtype_policy).__name__,
            "config": dtype_policy.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """The policy a ``serialize`` dict describes."""
    table = dict(_CLASSES, **(custom_objects or {}))
    name = config.get("class_name") if isinstance(config, dict) else None
    if name not in table:
        raise ValueError(f"Unknown dtype policy: {name!r}")
    return table[name].from_config(config.get("config") or {})


def get(identifier):
    """A ``DTypePolicy`` from a policy, a policy name, a serialized dict or ``None`` (the
    global policy)."""
    if identifier is None:
        from .mixed_precision.policy import global_policy  # deferred: the policy of now

        return global_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    raise ValueError(f"Cannot interpret `dtype` argument. Expected a string or an instance of "
                     f"DTypePolicy. Received: dtype={identifier}")
