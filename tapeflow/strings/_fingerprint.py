"""``tf.fingerprint``: FarmHash Fingerprint64 of each row of a tensor."""
from ..backend import host as np
from ..errors import InvalidArgumentError
from ..tensor import TensorBase, constant, convert_to_tensor
from ._hash import fingerprint64


def fingerprint(data, method="farmhash64", name=None):
    """An 8-byte fingerprint (uint8, little-endian FarmHash Fingerprint64) of each row.

    Args:
      data: tensor of rank >= 1; each ``data[i]`` is hashed (its bytes, or the
        concatenated fingerprints of its strings).
      method: only ``"farmhash64"``.
      name: ignored.

    Returns:
      ``[data.shape[0], 8]`` uint8 tensor.
    """
    t = data if isinstance(data, TensorBase) else convert_to_tensor(data)
    if method != "farmhash64":
        raise InvalidArgumentError(None, "Fingerprint", f"Unsupported fingerprint method: "
                                   f"{method} [Op:Fingerprint]")
    a = t.numpy()
    if a.ndim < 1:
        raise InvalidArgumentError(None, "Fingerprint", "`data` should have at least one "
                                   "dimension [Op:Fingerprint]")
    rows = []
    for row in a.reshape(a.shape[0], -1) if a.size or a.ndim > 1 else a.reshape(-1, 0):
        if t.dtype.name == "string":
            items = [s if isinstance(s, bytes) else str(s).encode() for s in row]
            if len(items) == 1:
                payload = items[0]
            else:
                payload = b"".join(np.uint64(fingerprint64(s)).tobytes() for s in items)
        else:
            payload = np.ascontiguousarray(row).tobytes()
        rows.append(np.frombuffer(np.uint64(fingerprint64(payload)).astype("<u8").tobytes(),
                                  np.uint8))
    out = np.stack(rows) if rows else np.zeros((0, 8), np.uint8)
    return constant(out)
