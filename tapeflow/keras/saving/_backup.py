"""What ``BackupAndRestore`` keeps besides the weights: the epoch and the random-number
position (``tf.random`` seed state), as JSON in the backup file's metadata."""
import json

from ...backend import host as np
from ...ops.random import _SeedState


def _own_generators(model):
    """``[(key, generator)]``: the model's own random sources (its shuffle order and each
    random layer's, see ``keras.backend.layer_rng``), in the order of its layers."""
    out = []
    if model is None:
        return out
    shuffle = model.__dict__.get("_shuffle_rng")
    if shuffle is not None:
        out.append(("shuffle", shuffle))
    for i, layer in enumerate(model._flatten_layers(include_self=False)):
        gen = layer.__dict__.get("_generator")
        if gen is not None:
            out.append((f"{i}/{type(layer).__name__}", gen))  # names differ per process
    return out


def rng_state(model=None):
    """The global seed, call counter and every NumPy stream's position, as JSON text; with
    ``model``, its own generators' positions too."""
    streams = [[list(key), rng.bit_generator.state] for key, rng in _SeedState.streams.items()]
    own = {key: gen.bit_generator.state for key, gen in _own_generators(model)}
    return json.dumps({"global_seed": _SeedState.global_seed, "counter": _SeedState.counter,
                       "streams": streams, "fresh": _SeedState.fresh.bit_generator.state,
                       "model": own})


def set_rng_state(text, model=None):
    """Put the random-number position back (streams are NumPy Generators rebuilt from
    their saved bit-generator states: plain integers, never code); with ``model``, its own
    generators continue from their saved positions (a backup without them leaves them)."""
    state = json.loads(text)
    saved = state.get("model") or {}
    if not isinstance(saved, dict):
        raise ValueError("the model's random states are not a JSON object")
    own = [(gen, _bit_generator(np, saved[key]).state)
           for key, gen in _own_generators(model) if key in saved]
    _SeedState.global_seed = state["global_seed"]
    _SeedState.counter = int(state["counter"])
    streams = {}
    for key, bits in state["streams"]:
        rng = np.random.Generator(_bit_generator(np, bits))
        streams[tuple(key)] = rng
    _SeedState.streams = streams
    _SeedState.fresh = np.random.Generator(_bit_generator(np, state["fresh"]))
    for gen, bits in own:  # the layers hold these Generator objects: set them in place
        gen.bit_generator.state = bits


def _bit_generator(np, bits):
    name = bits.get("bit_generator")
    if name != "PCG64":  # the only kind tapeflow.random creates
        raise ValueError(f"Unexpected random bit generator {name!r} in the backup.")
    gen = np.random.PCG64()
    gen.state = bits
    return gen
