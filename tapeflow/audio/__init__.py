"""``tf.audio``: 16-bit PCM WAV encoding and decoding."""
import collections
import struct

from .. import dtypes
from ..backend import host as np
from ..errors import InvalidArgumentError
from ..tensor import TensorBase, constant, convert_to_tensor

__all__ = ["decode_wav", "encode_wav"]

DecodeWav = collections.namedtuple("DecodeWav", ["audio", "sample_rate"])


def _bytes(x):
    v = (x if isinstance(x, TensorBase) else convert_to_tensor(x)).numpy()
    v = v.item() if hasattr(v, "item") else v
    return v if isinstance(v, bytes) else str(v).encode()


def _bad(message):
    return InvalidArgumentError(None, "DecodeWav", f"{message} [Op:DecodeWav]")


def decode_wav(contents, desired_channels=-1, desired_samples=-1, name=None):
    """Decode a 16-bit PCM WAV file into float32 samples in ``[-1, 1)``.

    Args:
      contents: scalar string tensor, the file's bytes.
      desired_channels: keep this many channels (repeating the last, or dropping);
        -1 keeps the file's.
      desired_samples: crop or zero-pad to this many samples; -1 keeps all.
      name: ignored.

    Returns:
      ``(audio [samples, channels] float32, sample_rate int32 scalar)``.
    """
    data = _bytes(contents)
    if len(data) < 12:
        raise _bad("Data too short when trying to read string")
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise _bad("Header mismatch")
    pos, fmt, pcm = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt = struct.unpack("<HHIIHH", body[:16])
        elif cid == b"data":
            pcm = body
            break
        pos += 8 + size + (size & 1)
    if fmt is None or pcm is None:
        raise _bad("Data too short when trying to read string")
    if fmt[0] != 1 or fmt[5] != 16:
        raise _bad(f"Can only read 16-bit WAV files, but received {fmt[5]}")
    channels, rate = fmt[1], fmt[2]
    audio = np.frombuffer(pcm[:len(pcm) // (2 * channels) * 2 * channels], "<i2")
    audio = audio.reshape(-1, channels).astype(np.float32) / 32768.0
    if desired_channels > 0 and desired_channels != channels:
        keep = [min(c, channels - 1) for c in range(desired_channels)]
        audio = audio[:, keep]
    if desired_samples >= 0:
        out = np.zeros((desired_samples, audio.shape[1]), np.float32)
        n = min(desired_samples, audio.shape[0])
        out[:n] = audio[:n]
        audio = out
    return DecodeWav(constant(audio), constant(np.int32(rate)))


def encode_wav(audio, sample_rate, name=None):
    """Encode float samples ``[samples, channels]`` as a 16-bit PCM WAV file.

    Args:
      audio: float32 ``[samples, channels]`` tensor (clipped to ``[-1, 1]``).
      sample_rate: int32 scalar.
      name: ignored.

    Returns:
      Scalar string tensor with the file's bytes.
    """
    a = (audio if isinstance(audio, TensorBase) else convert_to_tensor(audio)).numpy()
    if a.ndim != 2:
        raise InvalidArgumentError(None, "EncodeWav", f"audio must be 2-dimensional "
                                   f"{list(a.shape)} [Op:EncodeWav]")
    rate = int(np.asarray(sample_rate.numpy() if isinstance(sample_rate, TensorBase)
                          else sample_rate))
    pcm = np.clip(np.round(a.astype(np.float64) * 32768.0), -32768, 32767).astype("<i2")
    channels = a.shape[1]
    body = pcm.tobytes()
    header = b"RIFF" + struct.pack("<I", 36 + len(body)) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2,
                                    channels * 2, 16)
    header += b"data" + struct.pack("<I", len(body))
    return constant(header + body, dtypes.string)
