"""What ``BackupAndRestore`` keeps besides the weights: the epoch and the random-number
position (``tf.random`` seed state), as JSON in the backup file's metadata."""
import json

from ...backend import host as np
from ...ops.random import _SeedState


def rng_state():
    """The global seed, call counter and every NumPy stream's position, as JSON text."""
    streams = [[list(key), rng.bit_generator.state] for key, rng in _SeedState.streams.items()]
    return json.dumps({"global_seed": _SeedState.global_seed, "counter": _SeedState.counter,
                       "streams": streams, "fresh": _SeedState.fresh.bit_generator.state})


def set_rng_state(text):
    """Put the random-number position back (streams are NumPy Generators rebuilt from
    their saved bit-generator states: plain integers, never code)."""
    state = json.loads(text)
    _SeedState.global_seed = state["global_seed"]
    _SeedState.counter = int(state["counter"])
    streams = {}
    for key, bits in state["streams"]:
        rng = np.random.Generator(_bit_generator(np, bits))
        streams[tuple(key)] = rng
    _SeedState.streams = streams
    _SeedState.fresh = np.random.Generator(_bit_generator(np, state["fresh"]))


def _bit_generator(np, bits):
    name = bits.get("bit_generator")
    if name != "PCG64":  # the only kind tapeflow.random creates
        raise ValueError(f"Unexpected random bit generator {name!r} in the backup.")
    gen = np.random.PCG64()
    gen.state = bits
    return gen
