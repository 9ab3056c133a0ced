"""``keras.remat`` and ``keras.RematScope``. Rematerialisation trades compute for memory:
activations are recomputed in the backward pass instead of kept. tapeflow keeps them
(``tf.recompute_grad`` is a pass-through), so results and gradients are what Keras computes
and only the memory saving is missing."""
from ..toplevel import recompute_grad

_MODES = ("full", "activations", "larger_than", "list_of_layers", None)
_stack = []


def remat(f):
    """``f`` wrapped for rematerialisation (the same values and gradients)."""
    return recompute_grad(f)


class RematScope:
    """A context naming which layers Keras would rematerialise: ``mode`` ``'full'``,
    ``'activations'``, ``'larger_than'`` (outputs above ``output_size_threshold``
    elements), ``'list_of_layers'`` (``layer_names``) or None (off)."""

    def __init__(self, mode="full", output_size_threshold=1024, layer_names=None):
        if mode not in _MODES:
            raise ValueError(f"Invalid mode '{mode}'. Supported modes are: 'full', "
                             "'activations', 'larger_than', 'list_of_layers', or  None.")
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = list(layer_names or [])

    def __enter__(self):
        _stack.append(self)
        return self

    def __exit__(self, *exc):
        _stack.pop()
        return False


def get_current_remat_mode():
    """The innermost open ``RematScope`` (None outside any, or when its mode is None)."""
    if not _stack or _stack[-1].mode is None:
        return None
    return _stack[-1]
