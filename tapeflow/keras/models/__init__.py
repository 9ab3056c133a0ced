"""``keras.models``: ``Model`` (subclassed or functional), ``Sequential``, ``load_model``,
``clone_model`` and ``model_from_json``."""
from .. import _registry
from ..saving import load_model as _load
from .cloning import clone_model, model_from_json
from .functional import Functional
from .model import Model
from .sequential import Sequential

# NOTE: configs name a functional model 'Functional' (older ones 'Model'); a subclassed model
# resolves only when registered or passed in `custom_objects`.
_registry.register("layer", Sequential, Functional, aliases={"Model": Functional})


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a ``.keras`` model (see ``keras.saving.load_model``)."""
    return _load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_model(model, filepath, overwrite=True, **kwargs):
    """Save ``model`` to ``filepath`` (``model.save``: a ``.keras`` file)."""
    model.save(filepath, overwrite=overwrite, **kwargs)


__all__ = ["Model", "Sequential", "Functional", "load_model", "save_model", "clone_model",
           "model_from_json"]
