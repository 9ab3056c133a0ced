"""Stand-ins for namespaces tapeflow does not implement yet, present so that TF code using
them fails with a clear NotImplementedError instead of AttributeError (none are in use now:
strings, ragged and sparse tensors are implemented; scripts/api_surface.py counts names that
come from here as missing)."""


class _Unsupported:
    def __init__(self, namespace, what):
        self._namespace = namespace
        self._what = what

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)

        def unsupported(*args, **kwargs):
            raise NotImplementedError(
                f"tf.{self._namespace}.{name}: tapeflow does not support {self._what} yet")

        return unsupported

    def __repr__(self):
        return f"<tapeflow: tf.{self._namespace} ({self._what}) is not supported yet>"

